/*
 * store_retention.h - retention policies (`mlflowc retention`, applied by
 * `mlflowc gc --apply-retention`): the policy rows kept in the store, per
 * experiment and one server-wide default, and the row changes applying
 * one makes (soft-deleting aged runs, tombstoning archived versions),
 * behind a small backend table (`struct store_retention_ops`, hung off
 * `struct store`). The front checks a policy before it is written and owns
 * the rule of which policy governs an experiment; what a version uses is
 * gc's rule (store_gc.h), never a second copy of it.
 *
 * Every change is one short write transaction that re-reads what it
 * changes (the run still active and old enough, the version still archived
 * and without a tombstone) and changes nothing when it moved meanwhile.
 *
 * Memory: results are allocated in the arena the caller passes; inputs are
 * borrowed for the call.
 */
#ifndef MLF_STORE_RETENTION_H
#define MLF_STORE_RETENTION_H

#include "store_gc.h"

/* The key of the server-wide default policy (0 is MLflow's Default experiment). */
#define STORE_RETENTION_DEFAULT (-1)

/* The version tags a retention action leaves on an archived version. */
#define STORE_RETENTION_MOVED_TAG "mlflowc.retention.moved_to"
#define STORE_RETENTION_DELETED_TAG "mlflowc.retention.deleted_at"
/* Beside the moved_to tag when the copies got a storage class: the class. */
#define STORE_RETENTION_STORAGE_CLASS_TAG "mlflowc.retention.storage_class"

/* A tag that keeps a run: `key`, with `value` or (value NULL) any value. */
struct store_retention_tag {
	const char *key;
	const char *value;
};

struct store_retention_policy {
	int64_t experiment_id;  /* STORE_RETENTION_DEFAULT for the default */
	int64_t keep_days;      /* -1: runs are not aged out */
	bool keep_registered;   /* a run a live version uses is never soft-deleted */
	struct store_retention_tag *keep_tags;
	size_t n_keep_tags;
	const char *prune;      /* NULL: no pruning; else an fnmatch pattern */
	int64_t keep_last;      /* with prune: matching entries kept per run */
	int64_t archived_days;  /* -1: archived versions are left alone */
	const char *archived_action; /* "delete" or "move" */
	const char *move_to;    /* with "move": a local directory or s3://bucket/prefix */
	int64_t updated_time;   /* ms, set by the store */
	/* with an s3:// move_to: the S3 storage class the copies are written
	 * with (one of store_retention_storage_classes), or NULL: the bucket's
	 * default */
	const char *move_storage_class;
};

/* S3's storage classes (the values of x-amz-storage-class), the ones
 * --move-storage-class takes; NULL-terminated. */
extern const char *const store_retention_storage_classes[];

/* A run a policy may act on. */
struct store_retention_run {
	const char *run_id;
	int64_t experiment_id;
	const char *artifact_uri;
	int64_t start_time;
};

/* An archived version past its age, with where its files are. */
struct store_retention_version {
	const char *model_name;
	int64_t version;
	const char *source;
	const char *storage_location;
	const char *run_id;
	int64_t run_experiment_id; /* -1: no run (or the run is gone) */
	const char *run_artifact_uri; /* NULL without a run */
	int64_t last_updated_time;
};

enum store_retention_outcome {
	STORE_RETENTION_DONE = 0,
	STORE_RETENTION_KEPT_TAG,        /* carries a keep tag */
	STORE_RETENTION_KEPT_REGISTERED, /* a live version uses its files */
	STORE_RETENTION_CHANGED,         /* no longer what the listing said: left alone */
};

/* The check a soft delete runs inside its transaction once the run is
 * still active and old enough and carries no keep tag: sets *keep (and
 * *why, in `a`) when the run must stay. */
typedef int (*store_retention_check_fn)(void *ctx, const struct store_retention_run *run, bool *keep,
					const char **why, struct arena *a, struct mlf_err *err);
/* The tags a tombstone writes: tags[0] always (moved_to or deleted_at),
 * tags[1] when its key is not NULL (the storage class of moved copies). */
struct store_retention_tombstone {
	struct store_retention_tag tags[2];
};

/* The file step of a tombstone, run inside its transaction once the
 * version is still archived, old enough and without a tombstone: moves or
 * deletes the files and fills the tags to write (zeroed on entry; texts in
 * `a`). -1 rolls back. */
typedef int (*store_retention_files_fn)(void *ctx, const struct store_retention_version *v,
					struct store_retention_tombstone *tomb, struct arena *a, struct mlf_err *err);

/* The backend: rows only. */
struct store_retention_ops {
	/* Replaces the policy of p->experiment_id, keep tags included, in one
	 * transaction; STORE_ROW_EXPERIMENT_MISSING when that experiment does
	 * not exist. */
	int (*policy_put)(struct store *st, const struct store_retention_policy *p, int64_t now_ms, struct mlf_err *err);
	int (*policy_get)(struct store *st, int64_t experiment_id, struct store_retention_policy *out, bool *found,
			  struct arena *a, struct mlf_err *err);
	/* Every policy, the default first, then by experiment id. */
	int (*policy_list)(struct store *st, struct store_retention_policy **out, size_t *n, struct arena *a,
			   struct mlf_err *err);
	int (*policy_delete)(struct store *st, int64_t experiment_id, bool *found, struct mlf_err *err);
	/* The ids of the active experiments. */
	int (*active_experiments)(struct store *st, int64_t **ids, size_t *n, struct arena *a, struct mlf_err *err);
	/* The active runs of an experiment, by start time; with has_cutoff
	 * only those started before `cutoff`. */
	int (*active_runs)(struct store *st, int64_t experiment_id, bool has_cutoff, int64_t cutoff,
			   struct store_retention_run **out, size_t *n, struct arena *a, struct mlf_err *err);
	/* In one write transaction: the run, if still active, in experiment
	 * `experiment_id` and started before `cutoff`, without any of the keep
	 * tags, and not kept by `check`, is soft-deleted (deleted_time now_ms),
	 * unless `dry`. *outcome says which; *why the tag or check's words. */
	int (*soft_delete_run)(struct store *st, const char *run_id, int64_t experiment_id, int64_t cutoff,
			       const struct store_retention_tag *keep_tags, size_t n_keep_tags, store_retention_check_fn check,
			       void *ctx, bool dry, int64_t now_ms, enum store_retention_outcome *outcome, const char **why,
			       struct arena *a, struct mlf_err *err);
	/* Runs fn(ctx) while holding the write transaction (nothing else
	 * commits meanwhile), for file work that must not race a new version. */
	int (*locked)(struct store *st, int (*fn)(void *ctx, struct mlf_err *err), void *ctx, struct mlf_err *err);
	/* Live versions in stage Archived last updated before `cutoff` that
	 * carry no retention tag, by model name and version. */
	int (*archived_versions)(struct store *st, int64_t cutoff, struct store_retention_version **out, size_t *n,
				 struct arena *a, struct mlf_err *err);
	/* In one write transaction: the version, if still archived, updated
	 * before `cutoff` and without a retention tag, goes through `files`,
	 * then gets the tag it returns; otherwise *outcome CHANGED. */
	int (*tombstone_version)(struct store *st, const char *model_name, int64_t version, int64_t cutoff,
				 store_retention_files_fn files, void *ctx, enum store_retention_outcome *outcome,
				 struct mlf_err *err);
};

/* ---- the front ------------------------------------------------------------- */

/* Checks `p` (days >= 0, keep_last >= 0 with a prune pattern and only
 * with one, an action and a place that is a local directory or s3://, a
 * storage class only with an s3:// place and only one of S3's) and
 * writes it. INVALID_PARAMETER_VALUE for a bad policy,
 * RESOURCE_DOES_NOT_EXIST for an unknown experiment; nothing is written
 * then. */
int store_retention_set(struct store *st, const struct store_retention_policy *p, struct mlf_err *err);
/* The experiment's own policy (*found false when none). */
int store_retention_get(struct store *st, int64_t experiment_id, struct store_retention_policy *out, bool *found,
			struct arena *a, struct mlf_err *err);
/* The policy that governs experiment `experiment_id`: its own, else the
 * default; *found false when neither exists. */
int store_retention_effective(struct store *st, int64_t experiment_id, struct store_retention_policy *out,
			      bool *found, struct arena *a, struct mlf_err *err);
int store_retention_list(struct store *st, struct store_retention_policy **out, size_t *n, struct arena *a,
			 struct mlf_err *err);
/* RESOURCE_DOES_NOT_EXIST when there was no such policy. */
int store_retention_clear(struct store *st, int64_t experiment_id, struct mlf_err *err);

/* Whether a live version uses files of `run` (gc's rule,
 * store_gc_targets): *used, and *why ("model NAME version N", in `a`). */
int store_retention_run_used(struct store *st, const struct store_retention_run *run, bool *used, const char **why,
			     struct arena *a, struct mlf_err *err);
/* The paths below `run`'s artifact URI that live versions use (gc's
 * rule): *keep[i] relative to it, "" for all of it. In `a`. */
int store_retention_run_kept(struct store *st, const struct store_retention_run *run, const char ***keep,
			     const char ***why, size_t *n, struct arena *a, struct mlf_err *err);

/* The rest passes through to the ops of the same name (see there). */
int store_retention_active_experiments(struct store *st, int64_t **ids, size_t *n, struct arena *a,
				       struct mlf_err *err);
int store_retention_active_runs(struct store *st, int64_t experiment_id, bool has_cutoff, int64_t cutoff,
				struct store_retention_run **out, size_t *n, struct arena *a, struct mlf_err *err);
int store_retention_soft_delete_run(struct store *st, const char *run_id, const struct store_retention_policy *p,
				    int64_t experiment_id, int64_t cutoff, store_retention_check_fn check, void *ctx,
				    bool dry, enum store_retention_outcome *outcome, const char **why, struct arena *a,
				    struct mlf_err *err);
int store_retention_locked(struct store *st, int (*fn)(void *ctx, struct mlf_err *err), void *ctx,
			   struct mlf_err *err);
int store_retention_archived_versions(struct store *st, int64_t cutoff, struct store_retention_version **out,
				      size_t *n, struct arena *a, struct mlf_err *err);
int store_retention_tombstone_version(struct store *st, const char *model_name, int64_t version, int64_t cutoff,
				      store_retention_files_fn files, void *ctx, enum store_retention_outcome *outcome,
				      struct mlf_err *err);

/* The SQLite backend's table (store_sqlite_retention.c). */
extern const struct store_retention_ops store_sqlite_retention_ops;

/* The PostgreSQL backend's table (store_pg_retention.c). */
extern const struct store_retention_ops store_pg_retention_ops;

#endif
