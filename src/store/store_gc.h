/*
 * store_gc.h - permanent deletion of soft-deleted runs and experiments
 * (`mlflowc gc`): the front that owns MLflow's rules of what may go, over a
 * small backend table (`struct store_gc_ops`, hung off `struct store`) that
 * lists candidates and deletes rows.
 *
 * The order that keeps rows from ever pointing at deleted files: each run
 * (and at the end each experiment) is purged in its own write transaction,
 * which re-checks inside the transaction that the run is still deleted and
 * old enough (a run restored since the listing is left alone), then calls
 * the caller's artifact callback, and only if that succeeds deletes the
 * rows. The callback gets the artifact locations that go and, for each, the
 * paths a registered model version still uses (kept, never deleted).
 *
 * Memory: results are allocated in the arena the caller passes; inputs are
 * borrowed for the call.
 */
#ifndef MLF_STORE_GC_H
#define MLF_STORE_GC_H

#include "store.h"

/* A registered model version that uses files of something gc removes. */
struct store_gc_version {
	const char *model_name;
	int64_t version;
	const char *source;
	const char *storage_location; /* NULL or "": the source */
	const char *model_id;         /* the logged model it came from, or NULL */
	/* Set by the front for the backend: written as the version's
	 * storage_location after the run's rows go (a runs:/ source could no
	 * longer be resolved through the run). NULL: unchanged. */
	const char *new_storage_location;
};

/* A run gc may remove. */
struct store_gc_run {
	const char *run_id;
	int64_t experiment_id;
	const char *artifact_uri;
	const char *lifecycle_stage;
	int64_t deleted_time; /* ms; 0 when unknown */
};

/* A 3.x logged model that goes with its source run or its experiment. */
struct store_gc_logged {
	const char *model_id;
	const char *artifact_location;
};

/* One artifact location to delete, except the kept paths beneath it. */
struct store_gc_target {
	const char *uri;         /* the run's artifact URI or a logged model's location */
	const char *what;        /* "run <id>" or "logged model <id>", for reports */
	const char **keep;       /* paths relative to `uri` a version still uses ("" = all of it) */
	const char **keep_why;   /* per kept path: "model NAME version N" */
	size_t n_keep;
};

/* The caller's artifact step, run inside the purge transaction before any
 * row is deleted: remove every target except its kept paths. Returning -1
 * (with `err` set) rolls the purge back; the rows stay. */
typedef int (*store_gc_artifacts_fn)(void *ctx, const struct store_gc_target *targets, size_t n, struct mlf_err *err);

/* What a purge found inside its transaction. */
enum store_gc_outcome {
	STORE_GC_PURGED = 0,
	STORE_GC_SKIPPED_RESTORED, /* no longer deleted: left alone */
	STORE_GC_SKIPPED_GONE,     /* already removed (by another gc) */
	STORE_GC_SKIPPED_YOUNG,    /* deleted again since the listing, now too recent */
	STORE_GC_SKIPPED_BUSY,     /* an experiment that still has runs */
};

/* What the store holds, for `mlflowc storage report`. */
struct store_gc_usage_run {
	const char *run_id;
	int64_t experiment_id;
	const char *name;
	const char *artifact_uri;
	const char *lifecycle_stage;
	int64_t metric_rows; /* points of the metric history */
	int64_t rows;        /* every row of the run, its history included */
};

struct store_gc_usage_experiment {
	int64_t id;
	const char *name;
	const char *lifecycle_stage;
	int64_t rows; /* its own: the experiment, tags, datasets, logged models and their rows */
};

struct store_gc_usage_version {
	const char *model_name;
	int64_t version;
	const char *location; /* storage_location, else source (what its downloads read) */
	int64_t rows;         /* the version and its tags */
};

struct store_gc_usage {
	struct store_gc_usage_experiment *experiments;
	size_t n_experiments;
	struct store_gc_usage_run *runs;
	size_t n_runs;
	struct store_gc_usage_version *versions; /* live ones, by model name and version */
	size_t n_versions;
};

/* The backend: rows only. */
struct store_gc_ops {
	/* Deleted runs with deleted_time <= cutoff (every deleted run when
	 * !has_cutoff), oldest first. */
	int (*deleted_runs)(struct store *st, bool has_cutoff, int64_t cutoff, struct store_gc_run **out, size_t *n,
			    struct arena *a, struct mlf_err *err);
	/* Deleted experiments with last_update_time < cutoff (all when
	 * !has_cutoff), by id. */
	int (*deleted_experiments)(struct store *st, bool has_cutoff, int64_t cutoff, struct store_experiment **out,
				   size_t *n, struct arena *a, struct mlf_err *err);
	/* Every run of an experiment, whatever its stage. */
	int (*experiment_runs)(struct store *st, int64_t experiment_id, struct store_gc_run **out, size_t *n,
			       struct arena *a, struct mlf_err *err);
	/* One run; *found false when there is none. */
	int (*run_find)(struct store *st, const char *run_id, struct store_gc_run *out, bool *found, struct arena *a,
			struct mlf_err *err);
	/* The logged models going with run `run_id` (source run) or, with
	 * run_id NULL, every one of experiment `experiment_id`; and the live
	 * versions whose run is `run_id`, whose source or storage location
	 * lies under `run_artifact_uri` or a listed model's location, or whose
	 * source is runs:/<run_id> or the model's. Read outside a purge. */
	int (*dependents)(struct store *st, const char *run_id, int64_t experiment_id, const char *run_artifact_uri,
			  struct store_gc_logged **models, size_t *n_models, struct store_gc_version **versions,
			  size_t *n_versions, struct arena *a, struct mlf_err *err);
	/* In one write transaction: re-reads the run; if it is missing, not
	 * deleted (or, with `in_experiment` >= 0, its experiment is no longer
	 * that deleted experiment), or with has_cutoff deleted after `cutoff`, sets *outcome
	 * and changes nothing. Otherwise reads its dependents as above, calls
	 * `prepare(pctx, ...)` (the front: kept paths, targets, the artifact
	 * callback; results in `a`, which lives until the commit), then deletes every row of the run, its logged models
	 * and datasets no other run uses, and writes the versions'
	 * new_storage_location. */
	int (*purge_run)(struct store *st, const char *run_id, int64_t in_experiment, bool has_cutoff, int64_t cutoff,
			 int (*prepare)(void *pctx, const struct store_gc_run *run, const struct store_gc_logged *models,
					size_t n_models, struct store_gc_version *versions, size_t n_versions,
					struct arena *a, struct mlf_err *err),
			 void *pctx, enum store_gc_outcome *outcome, struct mlf_err *err);
	/* In one write transaction: the experiment, if still deleted and
	 * without runs, goes with its tags, datasets and remaining logged
	 * models (through `prepare` as above, with run NULL). */
	int (*purge_experiment)(struct store *st, int64_t experiment_id,
				int (*prepare)(void *pctx, const struct store_gc_run *run,
					       const struct store_gc_logged *models, size_t n_models,
					       struct store_gc_version *versions, size_t n_versions, struct arena *a,
					       struct mlf_err *err),
				void *pctx, enum store_gc_outcome *outcome, struct mlf_err *err);
	/* Every experiment, run and live version with its row counts, read
	 * in one transaction. */
	int (*usage)(struct store *st, struct store_gc_usage *out, struct arena *a, struct mlf_err *err);
};

/* ---- the front ------------------------------------------------------------- */

/* What to collect, as `mlflowc gc`'s flags say. */
struct store_gc_query {
	bool has_older_than;
	int64_t older_than_ms;       /* with has_older_than */
	const char *const *run_ids;  /* NULL/0: every deleted run (unless experiments are named) */
	size_t n_run_ids;
	const int64_t *experiment_ids; /* NULL/0: every deleted experiment (unless runs are named) */
	size_t n_experiment_ids;
	int64_t now_ms;              /* the clock older-than counts from */
	const char *older_than_text; /* as given, for messages */
};

/* The selection: runs on their own, and experiments (each with its runs). */
struct store_gc_plan {
	struct store_gc_run *runs;
	size_t n_runs;
	struct store_experiment *experiments;
	size_t n_experiments;
	struct store_gc_run **experiment_runs; /* per experiment */
	size_t *n_experiment_runs;
	bool has_cutoff;
	int64_t cutoff; /* runs: deleted_time <= cutoff; experiments: last_update_time < cutoff */
};

/* Parses MLflow's --older-than text ("1d2h3m4s", each part optional, each
 * number may have a fraction, e.g. "1.5d") into milliseconds. -1 with
 * INVALID_PARAMETER_VALUE and MLflow's message when it does not parse. */
int store_gc_parse_older_than(const char *text, int64_t *ms, struct mlf_err *err);

/* Chooses what goes, with MLflow's refusals: a named run or experiment
 * that does not exist, is not deleted, or is not older than the limit
 * fails the whole selection (nothing is deleted). Named runs alone collect
 * only those runs and named experiments alone only those experiments
 * (MLflow would add every other deleted run, or experiment). */
int store_gc_select(struct store *st, const struct store_gc_query *q, struct store_gc_plan *out, struct arena *a,
		    struct mlf_err *err);

/* The targets of a run (run_id set) or of an experiment's own logged
 * models (run_id NULL), as purge would pass them, read now: for a dry run. */
int store_gc_targets(struct store *st, const struct store_gc_run *run, int64_t experiment_id,
		     struct store_gc_target **out, size_t *n, struct arena *a, struct mlf_err *err);

/* Purges one run of the plan (in_experiment: the id of the deleted
 * experiment it goes with, or -1) or one experiment; see the ops. */
int store_gc_purge_run(struct store *st, const struct store_gc_plan *p, const char *run_id, int64_t in_experiment,
		       store_gc_artifacts_fn fn, void *ctx, enum store_gc_outcome *outcome, struct mlf_err *err);
int store_gc_purge_experiment(struct store *st, int64_t experiment_id, store_gc_artifacts_fn fn, void *ctx,
			      enum store_gc_outcome *outcome, struct mlf_err *err);

/* See store_gc_ops.usage. */
int store_gc_usage(struct store *st, struct store_gc_usage *out, struct arena *a, struct mlf_err *err);

/* The SQLite backend's table (store_sqlite_gc.c). */
extern const struct store_gc_ops store_sqlite_gc_ops;

/* The PostgreSQL backend's table (store_pg_gc.c). */
extern const struct store_gc_ops store_pg_gc_ops;

#endif
