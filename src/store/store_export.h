/*
 * store_export.h - the reads that writing a store out in another format
 * needs and that the serving front has no reason to offer: a deleted run's
 * deletion time and the redacted (deleted) versions of a registered model,
 * whose numbers MLflow's formats keep so they are never reused.
 *
 * Same rules as store.h: callers use the store_export_*() front functions,
 * a backend fills `struct store_export_ops` (hung off `struct store` by its
 * `export_ops` pointer; NULL in a backend without it, where the front
 * answers NOT_IMPLEMENTED). Results live in the arena the caller passes.
 */
#ifndef MLF_STORE_EXPORT_H
#define MLF_STORE_EXPORT_H

#include "registry.h"
#include "store.h"

/* A version deleted from a registered model: only its number and times
 * survive MLflow's redaction. */
struct store_deleted_version {
	int64_t version;
	int64_t creation_time;     /* ms */
	int64_t last_updated_time; /* ms: when it was deleted */
};

struct store_export_ops {
	/* *has false when the run has no deletion time (an active run). */
	int (*run_deleted_time)(struct store *st, const char *run_id, int64_t *deleted_time, bool *has,
				struct mlf_err *err);
	/* The deleted versions of model `name`, by version number. */
	int (*deleted_versions)(struct store *st, const char *name, struct store_deleted_version **out, size_t *n,
				struct arena *a, struct mlf_err *err);
};

/* When run `run_id` was deleted (ms); *has is false when it is active or
 * the time is unknown. An unknown run is RESOURCE_DOES_NOT_EXIST. */
int store_export_run_deleted_time(struct store *st, const char *run_id, int64_t *deleted_time, bool *has,
				  struct mlf_err *err);
/* The deleted versions of registered model `name`, ascending; *out lives
 * in `a` (NULL with *n = 0 when there are none). */
int store_export_deleted_versions(struct store *st, const char *name, struct store_deleted_version **out,
				  size_t *n, struct arena *a, struct mlf_err *err);

/* The SQLite backend's table (store_sqlite_export.c). */
extern const struct store_export_ops store_sqlite_export_ops;

/* The PostgreSQL backend's table (store_pg_export.c). */
extern const struct store_export_ops store_pg_export_ops;

#endif
