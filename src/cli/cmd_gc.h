/*
 * cmd_gc.h - what `mlflowc gc` shares with `mlflowc storage report`:
 * reaching artifact locations as gc does (mlflow-artifacts:/ beneath the
 * destination, S3, local roots), sizing them, and the dry run's totals.
 */
#ifndef MLF_CMD_GC_H
#define MLF_CMD_GC_H

#include "cli.h"
#include "../store/store_gc.h"

struct artifact_repo;
struct artifact_roots;

struct s3_bucket {
	char *uri; /* s3://bucket */
	struct artifact_repo *repo;
};

struct gc_artifacts {
	struct artifact_repo *proxy; /* --artifacts-destination; NULL when absent */
	const char *proxy_missing;   /* a local destination that does not exist: nothing is there */
	struct artifact_roots *roots;
	struct s3_bucket buckets[16];
	size_t n_buckets;
	bool dry_run;
	bool quiet;     /* print nothing per run or path */
	uint64_t bytes;  /* deleted (or, dry, would be) */
	uint64_t kept;   /* kept paths reported */
	size_t n_runs, n_experiments; /* what gc_plan_bytes found would go */
};

/* Opens the destination (a local directory that does not exist holds
 * nothing) and the allowed roots into `g` (zeroed by the caller). Close it
 * with gc_artifacts_close() whatever this returns. */
int gc_artifacts_open(struct gc_artifacts *g, const char *destination, const char *allowed_roots,
		      struct mlf_err *err);
void gc_artifacts_close(struct gc_artifacts *g);
/* Adds the bytes of the files at `uri` to *bytes. */
int gc_artifacts_size(struct gc_artifacts *g, const char *uri, uint64_t *bytes, struct mlf_err *err);
/* What gc would do with plan `p`, changing nothing: adds to g->bytes and
 * g->kept, and prints it unless g->quiet. Returns the exit status. */
int gc_plan_bytes(struct store *st, const struct store_gc_plan *p, struct gc_artifacts *g);
/* Opens the store at `uri`, which must exist (nothing is created); prints
 * why not as "mlflowc <cmd>: ..." and returns -1. */
int gc_open_store(const char *cmd, const char *uri, struct store **out);

/* Where `uri` lives, as gc reaches it: *repo (NULL when the location can
 * hold nothing, a destination that does not exist) and the path inside it
 * (in `a`); the repo stays owned by `g`. -1 when it cannot be reached. */
int gc_artifacts_resolve(struct gc_artifacts *g, const char *uri, struct artifact_repo **repo, const char **path,
			 struct arena *a, struct mlf_err *err);
/* 1 when `rel` (a path below t->uri) is one of t's kept paths or beneath
 * one, 2 when it holds one, 0 otherwise. */
int gc_kept_state(const struct store_gc_target *t, const char *rel);

#endif
