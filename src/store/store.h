/*
 * store.h - the tracking store: a front that owns MLflow's rules over a
 * backend that owns rows.
 *
 * Handlers call only the store_*() functions below (the front, store.c),
 * never the ops table. The front owns what MLflow defines: input checks
 * the store is responsible for, every error message a client sees (a
 * backend reports a row condition, STORE_ROW_*, and the front words it),
 * defaults (an experiment's artifact location, a run's artifact URI and
 * id) and rules that span entities (tag mlflow.runName mirrors the run's
 * name, prompts are left out of registry searches unless asked for).
 * A backend (SQLite today, PostgreSQL later), chosen by URI in
 * store_open(), fills a `struct store_ops`: functions that read and write
 * rows, inside transactions it owns, including the checks that must be
 * atomic with a write (the experiment or run is still active, the name is
 * free, the tag existed), which it reports with store_row_fail() rather
 * than as a message. The API layer owns request parsing (lengths, key
 * names, truncation). Stores never produce JSON.
 *
 * Memory: every result is allocated in the arena the caller passes and is
 * valid until that arena is released. Input pointers are borrowed for the
 * duration of the call. All functions are thread-safe; a store is shared by
 * every HTTP worker thread.
 */
#ifndef MLF_STORE_H
#define MLF_STORE_H

#include "../base/arena.h"
#include "../base/err.h"
#include "../search/filter.h"

struct store_kv {
	const char *key;
	const char *value;
};

struct store_metric {
	const char *key;
	double value;      /* NaN allowed; +/-Inf are stored as +/-DBL_MAX */
	int64_t timestamp; /* ms */
	int64_t step;
	const char *run_id; /* set in bulk-interval results only */
	/* 3.x, on logging only: the point also belongs to this logged model
	 * (NULL: it does not), measured on this dataset (NULL: none) */
	const char *model_id;
	const char *dataset_name;
	const char *dataset_digest;
};

struct store_experiment {
	int64_t id;
	const char *name;
	const char *artifact_location;
	const char *lifecycle_stage; /* "active" / "deleted" */
	int64_t creation_time;       /* 0 = unknown */
	int64_t last_update_time;
	struct store_kv *tags;
	size_t n_tags;
};

struct store_dataset {
	const char *name;
	const char *digest;
	const char *source_type;
	const char *source;
	const char *schema;  /* NULL when absent */
	const char *profile; /* NULL when absent */
};

struct store_dataset_input {
	struct store_dataset dataset;
	struct store_kv *tags;
	size_t n_tags;
};

struct store_run_info {
	const char *run_id;
	int64_t experiment_id;
	const char *run_name;
	const char *user_id;
	const char *status; /* "RUNNING", "FINISHED", ... */
	int64_t start_time;
	int64_t end_time;
	bool has_end_time;
	const char *artifact_uri;
	const char *lifecycle_stage;
};

/* A logged model a run produced (runs/outputs) or consumed (log-inputs). */
struct store_model_link {
	const char *model_id;
	int64_t step; /* outputs only */
};

struct store_run {
	struct store_run_info info;
	struct store_metric *metrics; /* latest value per key */
	size_t n_metrics;
	struct store_kv *params;
	size_t n_params;
	struct store_kv *tags;
	size_t n_tags;
	struct store_dataset_input *inputs;
	size_t n_inputs;
	struct store_model_link *model_inputs;  /* run_get only (MLflow 3) */
	size_t n_model_inputs;
	struct store_model_link *model_outputs; /* run_get only (MLflow 3) */
	size_t n_model_outputs;
};

enum store_view { STORE_VIEW_ACTIVE = 1, STORE_VIEW_DELETED = 2, STORE_VIEW_ALL = 3 };

struct store_search {
	struct filter filter;
	struct order_by order;
	enum store_view view;
	int64_t max_results;
	int64_t offset;
	/* Registry searches, set by the front: leave out rows whose tag
	 * `hide_tag` is 'true' (NULL: none). */
	const char *hide_tag;
};

struct store_run_create {
	int64_t experiment_id;
	const char *user_id;
	const char *run_name; /* final name; the front also writes tag mlflow.runName */
	int64_t start_time;
	const struct store_kv *tags;
	size_t n_tags;
	/* Set by the front for the backend (callers leave them NULL): the new
	 * run's id and artifact URI. */
	const char *run_id;
	const char *artifact_uri;
};

struct store_run_update {
	const char *status;   /* NULL: unchanged */
	bool has_end_time;
	int64_t end_time;
	const char *run_name; /* NULL or "": unchanged; else also sets tag mlflow.runName */
	/* Set by the front for the backend (callers leave them NULL): tags to
	 * upsert with the change. */
	const struct store_kv *tags;
	size_t n_tags;
};

struct store_batch {
	const struct store_metric *metrics;
	size_t n_metrics;
	const struct store_kv *params;
	size_t n_params;
	const struct store_kv *tags; /* a later duplicate key wins */
	size_t n_tags;
};

struct store_bulk_interval {
	const char *const *run_ids;
	size_t n_run_ids;
	const char *metric_key;
	bool has_range;
	int64_t start_step, end_step;
	int64_t max_results;
};

struct store_dataset_summary {
	int64_t experiment_id;
	const char *name;
	const char *digest;
	const char *context; /* NULL when the input had no mlflow.data.context tag */
};

struct store;
struct store_registry_ops; /* registry.h */

/* Row conditions a backend reports (store_row_fail) instead of a message;
 * the front turns each into MLflow's error for the operation at hand. */
enum store_row {
	STORE_ROW_NONE = 0,
	STORE_ROW_EXPERIMENT_MISSING, /* no experiment with that id (or name) */
	STORE_ROW_EXPERIMENT_DELETED, /* the experiment is not active */
	STORE_ROW_WRONG_STAGE,        /* not in the lifecycle stage a change starts from */
	STORE_ROW_NAME_TAKEN,         /* an experiment or registered model has the name */
	STORE_ROW_RUN_MISSING,
	STORE_ROW_RUN_DELETED,        /* the run is not active */
	STORE_ROW_TAG_MISSING,        /* the tag to delete does not exist */
	STORE_ROW_PARAM_CHANGED,      /* a param was logged before with another value */
	STORE_ROW_MODEL_MISSING,      /* registered model */
	STORE_ROW_VERSION_MISSING,    /* model version, or a deleted one */
	STORE_ROW_NO_VERSIONS,        /* the registered model has no live version */
	STORE_ROW_ALIAS_MISSING,
	STORE_ROW_LOGGED_MODEL_MISSING,
};

/* For backends: fails with row condition `row` (err->detail), which the
 * front replaces with MLflow's message. Returns -1. */
int store_row_fail(struct mlf_err *err, enum store_row row);

/* The backend interface. Row functions only: each reads or writes rows in
 * its own transaction and reports a row condition with store_row_fail();
 * no MLflow message, default or cross-entity rule lives here. Arguments
 * are as the front function of the same name documents. */
struct store_ops {
	const char *name;
	void (*close)(struct store *st);
	const struct store_registry_ops *registry; /* the model registry of this backend */

	/* `artifact_location` NULL or "": `<location_prefix><new id>`. */
	int (*experiment_create)(struct store *st, const char *name, const char *artifact_location,
				 const char *location_prefix, const struct store_kv *tags, size_t n_tags,
				 int64_t *id, struct mlf_err *err);
	/* Inserts experiment 0 named `name` at `location` unless it exists. */
	int (*experiment_create_default)(struct store *st, const char *name, const char *location,
					 struct mlf_err *err);
	int (*experiment_get)(struct store *st, int64_t id, struct store_experiment *out, struct arena *a,
			      struct mlf_err *err);
	int (*experiment_get_by_name)(struct store *st, const char *name, struct store_experiment *out,
				      struct arena *a, struct mlf_err *err);
	int (*experiment_set_lifecycle)(struct store *st, int64_t id, bool deleted, struct mlf_err *err);
	int (*experiment_rename)(struct store *st, int64_t id, const char *new_name, struct mlf_err *err);
	int (*experiment_set_tag)(struct store *st, int64_t id, const char *key, const char *value,
				  struct mlf_err *err);
	int (*experiment_delete_tag)(struct store *st, int64_t id, const char *key, struct mlf_err *err);
	int (*experiment_search)(struct store *st, const struct store_search *q, struct store_experiment **out,
				 size_t *n, bool *more, struct arena *a, struct mlf_err *err);

	int (*run_create)(struct store *st, const struct store_run_create *rc, struct store_run *out,
			  struct arena *a, struct mlf_err *err);
	/* the run's info alone (no params, tags, metrics): what a permission check reads */
	int (*run_info)(struct store *st, const char *run_id, struct store_run_info *out, struct arena *a,
			struct mlf_err *err);
	int (*run_get)(struct store *st, const char *run_id, struct store_run *out, struct arena *a,
		       struct mlf_err *err);
	int (*run_update)(struct store *st, const char *run_id, const struct store_run_update *u,
			  struct store_run_info *out, struct arena *a, struct mlf_err *err);
	int (*run_set_lifecycle)(struct store *st, const char *run_id, bool deleted, struct mlf_err *err);
	/* `run_name` (NULL: unchanged) is the run's new name, which the front
	 * takes from the last tag mlflow.runName of the batch. */
	int (*run_log_batch)(struct store *st, const char *run_id, const struct store_batch *b,
			     const char *run_name, struct mlf_err *err);
	int (*run_delete_tag)(struct store *st, const char *run_id, const char *key, struct mlf_err *err);
	int (*run_log_inputs)(struct store *st, const char *run_id, const struct store_dataset_input *in,
			      size_t n, struct mlf_err *err);
	int (*run_search)(struct store *st, const int64_t *experiment_ids, size_t n_exp,
			  const struct store_search *q, struct store_run **out, size_t *n, bool *more,
			  struct arena *a, struct mlf_err *err);

	/* The points of one key, ordered by timestamp, step, value: `limit`
	 * points (all when < 0) from `offset`; *more tells whether points
	 * remain after them. */
	int (*metric_history)(struct store *st, const char *run_id, const char *key, int64_t offset, int64_t limit,
			      struct store_metric **out, size_t *n, bool *more, struct arena *a, struct mlf_err *err);
	int (*metric_bulk_interval)(struct store *st, const struct store_bulk_interval *q,
				    struct store_metric **out, size_t *n, struct arena *a, struct mlf_err *err);
	int (*dataset_search)(struct store *st, const int64_t *experiment_ids, size_t n_exp,
			      struct store_dataset_summary **out, size_t *n, struct arena *a, struct mlf_err *err);
};

struct store_export_ops; /* store_export.h */
struct store_import_ops; /* store_import.h */
struct store_gc_ops;     /* store_gc.h */
struct store_retention_ops; /* store_retention.h */
struct store_auth_ops;      /* store_auth.h */

struct store {
	const struct store_ops *ops;
	/* the reads of `mlflowc export` (store_export.h); NULL: not offered */
	const struct store_export_ops *export_ops;
	const struct store_import_ops *import; /* rows of an import from MLflow (store_import.h); NULL: none */
	const struct store_gc_ops *gc; /* permanent deletion (mlflowc gc); NULL: not offered */
	const struct store_retention_ops *retention; /* retention policies (store_retention.h); NULL: none */
	const struct store_auth_ops *auth; /* users and permissions (store_auth.h); NULL: none */
	/* a read that proves the database answers (store_ping) */
	int (*ping)(struct store *st, struct mlf_err *err);
};

/* ---- the front: what handlers call (store.c) ------------------------------- */

/* Creates an experiment named `name` with `tags`; its artifact location is
 * `artifact_location`, or `<artifact_root>/<id>` when that is NULL or "".
 * Sets *id. */
int store_experiment_create(struct store *st, const char *name, const char *artifact_location,
			    const char *artifact_root, const struct store_kv *tags, size_t n_tags, int64_t *id,
			    struct mlf_err *err);
int store_experiment_get(struct store *st, int64_t id, struct store_experiment *out, struct arena *a,
			 struct mlf_err *err);
int store_experiment_get_by_name(struct store *st, const char *name, struct store_experiment *out,
				 struct arena *a, struct mlf_err *err);
/* Deletes (`deleted`) or restores an experiment with its runs. */
int store_experiment_set_lifecycle(struct store *st, int64_t id, bool deleted, struct mlf_err *err);
int store_experiment_rename(struct store *st, int64_t id, const char *new_name, struct mlf_err *err);
int store_experiment_set_tag(struct store *st, int64_t id, const char *key, const char *value,
			     struct mlf_err *err);
int store_experiment_delete_tag(struct store *st, int64_t id, const char *key, struct mlf_err *err);
int store_experiment_search(struct store *st, const struct store_search *q, struct store_experiment **out,
			    size_t *n, bool *more, struct arena *a, struct mlf_err *err);

/* Creates a RUNNING run in an active experiment, named `rc->run_name`
 * (also written as tag mlflow.runName, over any such tag in rc->tags),
 * with a new id and the artifact URI `<experiment location>/<id>/artifacts`. */
int store_run_create(struct store *st, const struct store_run_create *rc, struct store_run *out,
		     struct arena *a, struct mlf_err *err);
/* The info of run `run_id` alone (one indexed read); strings live in `a`. */
int store_run_info(struct store *st, const char *run_id, struct store_run_info *out, struct arena *a,
		   struct mlf_err *err);
int store_run_get(struct store *st, const char *run_id, struct store_run *out, struct arena *a,
		  struct mlf_err *err);
int store_run_update(struct store *st, const char *run_id, const struct store_run_update *u,
		     struct store_run_info *out, struct arena *a, struct mlf_err *err);
int store_run_set_lifecycle(struct store *st, const char *run_id, bool deleted, struct mlf_err *err);
/* Logs metrics, params and tags to an active run in one transaction; a
 * tag mlflow.runName also renames the run. A param logged again must keep
 * its value. */
int store_run_log_batch(struct store *st, const char *run_id, const struct store_batch *b, struct mlf_err *err);
int store_run_delete_tag(struct store *st, const char *run_id, const char *key, struct mlf_err *err);
int store_run_log_inputs(struct store *st, const char *run_id, const struct store_dataset_input *in, size_t n,
			 struct mlf_err *err);
int store_run_search(struct store *st, const int64_t *experiment_ids, size_t n_exp, const struct store_search *q,
		     struct store_run **out, size_t *n, bool *more, struct arena *a, struct mlf_err *err);
/* See store_ops.metric_history. */
int store_metric_history(struct store *st, const char *run_id, const char *key, int64_t offset, int64_t limit,
			 struct store_metric **out, size_t *n, bool *more, struct arena *a, struct mlf_err *err);
int store_metric_bulk_interval(struct store *st, const struct store_bulk_interval *q, struct store_metric **out,
			       size_t *n, struct arena *a, struct mlf_err *err);
int store_dataset_search(struct store *st, const int64_t *experiment_ids, size_t n_exp,
			 struct store_dataset_summary **out, size_t *n, struct arena *a, struct mlf_err *err);

/* MLflow's down-sampling of chart steps, shared by every backend. `steps`
 * are the sorted distinct steps of the runs, `bounds` each run's min and max
 * step. Without a range the range is [0, last step]. Keeps every step in
 * range when there are at most `max_results`, else `max_results` evenly
 * spaced ones plus the last; adds the runs' bounds that fall in range.
 * Writes the sorted, distinct result to `out` (room for n_steps + n_bounds)
 * and returns its length. */
size_t store_sample_steps(const int64_t *steps, size_t n_steps, const int64_t *bounds, size_t n_bounds,
			  bool has_range, int64_t start, int64_t end, size_t max_results, int64_t *out);

/* How hard a commit is made to last. NORMAL (the default) survives a
 * crash of the process but an OS crash or power loss may lose the last
 * commits; FULL syncs the log to disk before a write is acknowledged (with
 * group commit, one sync serves every write of a burst). docs/storage.md
 * has the measured cost. */
enum store_durability {
	STORE_DURABILITY_NORMAL,
	STORE_DURABILITY_FULL,
};

struct store_options {
	const char *artifact_root; /* of the default experiment and of new ones */
	enum store_durability durability;
	/* connections a server-based backend (PostgreSQL) keeps at most; 0: its default */
	size_t pool_size;
};

/* Recognises what `uri` names without changing anything (store_probe.h):
 * 0 when store_open() may open it (a new file, an empty one, or one this
 * program created), -1 with `err` holding a one-line refusal otherwise. */
int store_check_uri(const char *uri, struct mlf_err *err);
/* Opens the backend named by `uri` ("sqlite:///relative.db",
 * "sqlite:////abs/path.db", a plain path not named like MLflow's file
 * store, or PostgreSQL's "postgresql://user:password@host:port/db?options",
 * also spelled "postgres://" and "postgresql+<driver>://"), refusing what store_check_uri() refuses; the backend applies its
 * migrations, and the front makes sure MLflow's default experiment 0
 * ("Default") exists with artifact location `<artifact_root>/0`. Returns a store the caller frees with store_close(),
 * or NULL with `err` set. */
struct store *store_open(const char *uri, const struct store_options *opt, struct mlf_err *err);
/* What store_inspect() finds. */
struct store_schema_info {
	const char *backend; /* "sqlite", "postgresql"; static */
	int64_t version;     /* migrations applied; 0: a new or empty store */
	int64_t known;       /* migrations this program has */
};

/* Looks at the store `uri` names without creating or changing anything
 * (no migration, not even a journal mode): which backend, the schema
 * version it is at and the newest this program knows. -1 with `err` set
 * when it cannot be reached or is not a store store_open() would open. */
int store_inspect(const char *uri, struct store_schema_info *out, struct mlf_err *err);
/* Whether an open store's database answers now (one read): 0, or -1 with
 * `err` set (logged; the message may name the database's host). */
int store_ping(struct store *st, struct mlf_err *err);

/* The durability named `name` ("normal" or "full"); -1 when unknown. */
int store_durability_parse(const char *name, enum store_durability *out);
/* Finishes pending writes and frees the store. NULL is a no-op. */
void store_close(struct store *st);

#endif
