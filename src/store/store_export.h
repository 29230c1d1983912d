/*
 * store_export.h - the reads that writing a store out in another format
 * needs and that the serving front has no reason to offer: a deleted run's
 * deletion time and the redacted (deleted) versions of a registered model,
 * whose numbers MLflow's formats keep so they are never reused; and, for a
 * copy into another store (store_copy.h), every dataset of an experiment
 * with its id (also those no run uses), every logged model id of an
 * experiment (deleted ones too), every registered model name (prompts
 * too), which the front's searches leave out or do not carry, and the
 * highest experiment id ever given.
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

/* A dataset of an experiment with the id it is stored under. */
struct store_export_dataset {
	const char *dataset_uuid;
	struct store_dataset d;
};

struct store_export_ops {
	/* *has false when the run has no deletion time (an active run). */
	int (*run_deleted_time)(struct store *st, const char *run_id, int64_t *deleted_time, bool *has,
				struct mlf_err *err);
	/* The deleted versions of model `name`, by version number. */
	int (*deleted_versions)(struct store *st, const char *name, struct store_deleted_version **out, size_t *n,
				struct arena *a, struct mlf_err *err);
	/* Every dataset of experiment `experiment_id`, in the order they were stored. */
	int (*experiment_datasets)(struct store *st, int64_t experiment_id, struct store_export_dataset **out,
				   size_t *n, struct arena *a, struct mlf_err *err);
	/* The ids of every logged model of the experiment, deleted ones too,
	 * oldest first. */
	int (*logged_model_ids)(struct store *st, int64_t experiment_id, const char ***out, size_t *n,
				struct arena *a, struct mlf_err *err);
	/* The name of every registered model (prompts too), by name. */
	int (*registered_model_names)(struct store *st, const char ***out, size_t *n, struct arena *a,
				      struct mlf_err *err);
	/* The highest experiment id the store has given: its id counter, which
	 * stays above experiments removed for good, or the highest id. */
	int (*experiment_id_high)(struct store *st, int64_t *high, struct mlf_err *err);
};

/* When run `run_id` was deleted (ms); *has is false when it is active or
 * the time is unknown. An unknown run is RESOURCE_DOES_NOT_EXIST. */
int store_export_run_deleted_time(struct store *st, const char *run_id, int64_t *deleted_time, bool *has,
				  struct mlf_err *err);
/* The deleted versions of registered model `name`, ascending; *out lives
 * in `a` (NULL with *n = 0 when there are none). */
int store_export_deleted_versions(struct store *st, const char *name, struct store_deleted_version **out,
				  size_t *n, struct arena *a, struct mlf_err *err);

/* Every dataset of experiment `experiment_id` (none for an unknown one);
 * *out lives in `a` (NULL with *n = 0 when there are none). */
int store_export_experiment_datasets(struct store *st, int64_t experiment_id, struct store_export_dataset **out,
				     size_t *n, struct arena *a, struct mlf_err *err);
/* Every logged model id of the experiment, deleted ones too; in `a`. */
int store_export_logged_model_ids(struct store *st, int64_t experiment_id, const char ***out, size_t *n,
				  struct arena *a, struct mlf_err *err);
/* Every registered model name, prompts too, by name; in `a`. */
int store_export_registered_model_names(struct store *st, const char ***out, size_t *n, struct arena *a,
					struct mlf_err *err);

/* The highest experiment id the store has given (0 for a new store). */
int store_export_experiment_id_high(struct store *st, int64_t *high, struct mlf_err *err);

/* The SQLite backend's table (store_sqlite_export.c). */
extern const struct store_export_ops store_sqlite_export_ops;

/* The PostgreSQL backend's table (store_pg_export.c). */
extern const struct store_export_ops store_pg_export_ops;

#endif
