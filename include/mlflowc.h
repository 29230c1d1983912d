/*
 * mlflowc.h - the C client library for MLflow tracking servers (libmlflowc).
 *
 * This is the one public header: everything a host program needs, nothing
 * from the server's internals. Handles are opaque (mlf_client, mlf_run);
 * every call returns an enum mlf_result and never aborts the host (an
 * allocation failure is MLF_CLIENT_ERR_NOMEM, not a crash).
 *
 * Metrics are asynchronous: mlf_log_metric copies the point into a bounded
 * in-memory queue and returns; one background thread per client sends the
 * queue as runs/log-batch requests (at most 1000 metrics each) over one
 * keep-alive connection, retrying 429/5xx/transport failures with
 * exponential back-off. mlf_flush, mlf_run_end and mlf_client_close wait for
 * the queue to drain. A point that mlf_log_metric accepted is either
 * acknowledged by the server or counted in `failed` and reported by the
 * next mlf_flush: it is never dropped silently.
 *
 * Errors: the result code says which kind of failure it was; the text (for
 * MLF_CLIENT_ERR_SERVER, MLflow's error_code and message, e.g.
 * "RESOURCE_DOES_NOT_EXIST: Run 'x' not found") is in mlf_last_error() of
 * the calling thread, like errno.
 *
 * Thread safety: an mlf_client may be used from any number of threads at
 * once, except mlf_client_close, which must be the last call on it. An
 * mlf_run may be shared by threads for logging; mlf_run_end must be its
 * last call.
 */
#ifndef MLFLOWC_H
#define MLFLOWC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libmlflowc is built with -fvisibility=hidden: what this header declares
 * is all the library exports. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define MLFLOWC_VERSION "0.1.0"

typedef struct mlf_client mlf_client;
typedef struct mlf_run mlf_run;

/* Result of every call. Values are never renumbered; new ones are appended. */
enum mlf_result {
	MLF_CLIENT_OK = 0,
	MLF_CLIENT_ERR_SERVER = 1,     /* the server answered with an MLflow error (text: mlf_last_error) */
	MLF_CLIENT_ERR_NOMEM = 2,      /* an allocation failed */
	MLF_CLIENT_ERR_TRANSPORT = 3,  /* connection refused/reset/timed out (after retries) */
	MLF_CLIENT_ERR_PROTOCOL = 4,   /* the server's answer was not what MLflow's protocol says */
	MLF_CLIENT_ERR_QUEUE_FULL = 5, /* the metric queue is full (MLF_QUEUE_FULL_ERROR mode) */
	MLF_CLIENT_ERR_INVALID = 6,    /* a bad argument: NULL handle, empty key, unsupported URI */
	MLF_CLIENT_ERR_CLOSED = 7,     /* the client is closing or the run has ended */
};

/* What mlf_log_metric does when the queue is full. */
enum mlf_queue_full_mode {
	MLF_QUEUE_FULL_BLOCK = 0, /* wait until the sender makes room (default) */
	MLF_QUEUE_FULL_ERROR = 1, /* return MLF_CLIENT_ERR_QUEUE_FULL at once */
};

/* Options for mlf_client_open. Zero-initialise and set what you need:
 * every 0 field takes the default shown. */
struct mlf_client_options {
	size_t queue_capacity;            /* metric points held in memory; default 65536 */
	enum mlf_queue_full_mode on_full; /* default MLF_QUEUE_FULL_BLOCK */
	unsigned max_attempts;            /* tries per request, first one included; default 5 */
	unsigned retry_base_ms;           /* first back-off; doubles per try; default 200 */
	unsigned retry_max_ms;            /* back-off cap, also for Retry-After; default 10000 */
	unsigned timeout_ms;              /* per request; default 30000 */
};

/* Counters since mlf_client_open. Points: one mlf_log_metric call each. */
struct mlf_client_stats {
	uint64_t queued;  /* points accepted but not yet acknowledged nor failed */
	uint64_t sent;    /* points the server acknowledged */
	uint64_t retried; /* requests sent again after a 429/5xx/transport failure */
	uint64_t failed;  /* points given up on (attempts exhausted or rejected) */
};

/* The name of a result code ("MLF_CLIENT_ERR_NOMEM"); a static string,
 * "MLF_CLIENT_ERR_UNKNOWN" for values outside the enum. Thread-safe. */
const char *mlf_result_name(enum mlf_result r);

/* The calling thread's last error text, "" if none: the server's
 * "ERROR_CODE: message" or a local description. Borrowed, valid until the
 * thread's next failing call. Thread-safe (thread-local). */
const char *mlf_last_error(void);

/* Opens a client for `tracking_uri`; NULL means the MLFLOW_TRACKING_URI
 * environment variable. "http://host:port[/prefix]" or "https://..." talks
 * to a server (credentials and TLS from MLflow's MLFLOW_TRACKING_TOKEN,
 * _USERNAME/_PASSWORD, _INSECURE_TLS, _SERVER_CERT_PATH variables);
 * "sqlite:///relative.db" or "sqlite:////abs/path.db" needs no server: the
 * store runs in this process, with the server's own handlers (new
 * experiments' artifacts under ./mlruns; see docs/client.md). Anything else
 * is MLF_CLIENT_ERR_INVALID; a database that cannot be opened is
 * MLF_CLIENT_ERR_TRANSPORT. `opts` may be NULL (all defaults). No request
 * is made yet. Starts the metric sender thread.
 * On success *out is a client the caller closes with mlf_client_close. On
 * failure *out is NULL and, when errbuf is not NULL, errbuf holds a
 * NUL-terminated reason (truncated to errlen). Thread-safe. */
enum mlf_result mlf_client_open(const char *tracking_uri, const struct mlf_client_options *opts,
				mlf_client **out, char *errbuf, size_t errlen);

/* Flushes every queued point (as mlf_flush), stops the sender, frees the
 * client. Runs not ended are left as they are on the server (still
 * RUNNING) and their handles freed. NULL is a no-op. Returns what the
 * final flush returned. Must be the last call on `client` and not race
 * with other calls on it. */
enum mlf_result mlf_client_close(mlf_client *client);

/* Finds the experiment named `name`, creating it if it does not exist,
 * and writes its id (NUL-terminated) into `id`. Thread-safe. */
enum mlf_result mlf_experiment_get_or_create(mlf_client *client, const char *name, char id[32]);

/* Creates a run in experiment `experiment_id` ("0" is MLflow's Default;
 * NULL: the default of struct mlf_run_options) named `run_name` (NULL: the
 * server picks one), start time now, with the reproducibility tags (see
 * mlf_run_start_opts). *out is a handle owned by the client: the caller
 * gives it back with mlf_run_end or mlf_run_detach (or mlf_client_close
 * frees it). Thread-safe. */
enum mlf_result mlf_run_start(mlf_client *client, const char *experiment_id, const char *run_name,
			      mlf_run **out);

/* The run's id (32 hex characters). Borrowed from the handle, valid until
 * mlf_run_end. Thread-safe. */
const char *mlf_run_id(const mlf_run *run);

/* Synchronous: logs a parameter / sets a tag on the run (one request,
 * retried like metrics). Strings are copied. Thread-safe. */
enum mlf_result mlf_log_param(mlf_run *run, const char *key, const char *value);
enum mlf_result mlf_set_tag(mlf_run *run, const char *key, const char *value);

/* Asynchronous: queues one metric point and returns. `key` is copied (keys
 * are interned once per client, so a point costs no allocation);
 * timestamp_ms 0 means now. With a full queue it blocks or returns
 * MLF_CLIENT_ERR_QUEUE_FULL (see enum mlf_queue_full_mode). MLF_CLIENT_OK
 * means the point will be acknowledged or counted as failed. Points of one
 * key of one run reach the server in call order. Thread-safe. */
enum mlf_result mlf_log_metric(mlf_run *run, const char *key, double value, int64_t timestamp_ms,
			       int64_t step);

/* Waits until every point queued before the call is acknowledged or
 * failed. Returns MLF_CLIENT_OK if no point failed since the previous
 * flush, else the kind of the last failure (its text in mlf_last_error).
 * Thread-safe. */
enum mlf_result mlf_flush(mlf_client *client);

/* Run statuses MLflow accepts for an ended run. */
enum mlf_run_status {
	MLF_RUN_FINISHED = 0,
	MLF_RUN_FAILED = 1,
	MLF_RUN_KILLED = 2,
};

/* Flushes, then marks the run ended with `status` and end time now
 * (runs/update), and frees the handle whatever the result: `run` must not
 * be used afterwards. Returns the flush's failure if there was one, else
 * the update's result. Thread-safe with respect to other runs. */
enum mlf_result mlf_run_end(mlf_run *run, enum mlf_run_status status);

/* Copies the client's counters into *out. Thread-safe. */
enum mlf_result mlf_client_stats(mlf_client *client, struct mlf_client_stats *out);

/* ======================================================================
 * Tracking: experiments, runs, batches, searches (client_tracking.c,
 * client_run.c) and reproducibility tags (client_repro.c).
 *
 * Read results are plain structs the caller frees with one call
 * (mlf_experiments_free, mlf_runs_free, mlf_metrics_free). Every string in
 * them is borrowed from the result (never NULL: "" when the server left the
 * field out) and lives until that free. `json` is the result as MLflow's
 * JSON message ({"experiment": ..}, {"experiments": [..], ..}, {"run": ..},
 * {"runs": [..], ..}, {"metrics": [..]}), for printing or forwarding.
 * ====================================================================== */

/* A key and a value: a parameter, a run tag or an experiment tag. */
struct mlf_tag {
	const char *key;
	const char *value;
};

/* One metric point. In mlf_log_batch, timestamp 0 means now. */
struct mlf_metric {
	const char *key;
	double value;
	int64_t timestamp; /* epoch ms */
	int64_t step;
};

/* MLflow's ViewType: which lifecycle stages a search returns. */
enum mlf_view_type {
	MLF_VIEW_ACTIVE_ONLY = 1, /* also what 0 means */
	MLF_VIEW_DELETED_ONLY = 2,
	MLF_VIEW_ALL = 3,
};

struct mlf_experiment {
	const char *experiment_id;
	const char *name;
	const char *artifact_location;
	const char *lifecycle_stage; /* "active" or "deleted" */
	int64_t creation_time;       /* epoch ms, 0 if unknown */
	int64_t last_update_time;
	const struct mlf_tag *tags;
	size_t n_tags;
};

struct mlf_experiments {
	const struct mlf_experiment *items;
	size_t count;
	const char *next_page_token; /* "" on the last page */
	const char *json;
};

/* A run as the server describes it (runs/get, runs/search). `metrics` are
 * the latest value of each key. */
struct mlf_run_record {
	const char *run_id;
	const char *run_name;
	const char *experiment_id;
	const char *user_id;
	const char *status;          /* "RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED" */
	const char *artifact_uri;
	const char *lifecycle_stage; /* "active" or "deleted" */
	int64_t start_time;          /* epoch ms */
	int64_t end_time;            /* 0 while the run has not ended */
	const struct mlf_metric *metrics;
	size_t n_metrics;
	const struct mlf_tag *params;
	size_t n_params;
	const struct mlf_tag *tags;
	size_t n_tags;
};

struct mlf_runs {
	const struct mlf_run_record *items;
	size_t count;
	const char *next_page_token; /* "" on the last page */
	const char *json;
};

struct mlf_metrics {
	const struct mlf_metric *items;
	size_t count;
	const char *json;
};

/* Free a result and everything borrowed from it. NULL is a no-op. */
void mlf_experiments_free(struct mlf_experiments *e);
void mlf_runs_free(struct mlf_runs *r);
void mlf_metrics_free(struct mlf_metrics *m);

/* Creates experiment `name`; artifact_location NULL lets the server choose;
 * tags may be NULL when n_tags is 0. Writes the new id into `id`.
 * Thread-safe (all calls below are, unless they say otherwise). */
enum mlf_result mlf_experiment_create(mlf_client *client, const char *name, const char *artifact_location,
				      const struct mlf_tag *tags, size_t n_tags, char id[32]);

/* One experiment (active or deleted) by id or by exact name: *out holds
 * count 1; the caller frees it with mlf_experiments_free. An unknown one is
 * MLF_CLIENT_ERR_SERVER ("RESOURCE_DOES_NOT_EXIST: ..."). */
enum mlf_result mlf_experiment_get(mlf_client *client, const char *experiment_id, struct mlf_experiments **out);
enum mlf_result mlf_experiment_get_by_name(mlf_client *client, const char *name, struct mlf_experiments **out);

/* MLflow's set_experiment: finds experiment `name` or creates it, refuses a
 * deleted one (MLF_CLIENT_ERR_INVALID), writes its id into `id` (may be
 * NULL) and makes it the client's default experiment: runs started with
 * experiment_id NULL go there. */
enum mlf_result mlf_experiment_set(mlf_client *client, const char *name, char id[32]);

/* Renames / soft-deletes / restores an experiment. */
enum mlf_result mlf_experiment_rename(mlf_client *client, const char *experiment_id, const char *new_name);
enum mlf_result mlf_experiment_delete(mlf_client *client, const char *experiment_id);
enum mlf_result mlf_experiment_restore(mlf_client *client, const char *experiment_id);

/* experiments/search. filter NULL: all; max_results 0 follows every page
 * and returns them together (next_page_token ""); otherwise one page of at
 * most max_results starting at page_token (NULL: the first). The caller
 * frees *out with mlf_experiments_free. */
enum mlf_result mlf_experiment_search(mlf_client *client, const char *filter, enum mlf_view_type view,
				      unsigned max_results, const char *page_token, struct mlf_experiments **out);

/* Options for mlf_run_start_opts. Zero-initialise; every field is optional. */
struct mlf_run_options {
	/* NULL: the client's default experiment (mlf_experiment_set), else
	 * $MLFLOW_EXPERIMENT_ID, else $MLFLOW_EXPERIMENT_NAME (created if
	 * missing), else "0" (MLflow's Default). */
	const char *experiment_id;
	const char *run_name;          /* NULL: the server picks one */
	const struct mlf_tag *tags;    /* n_tags tags sent with runs/create */
	size_t n_tags;
	const char *parent_run_id;     /* sets tag mlflow.parentRunId */
	const char *description;       /* sets tag mlflow.note.content */
	int64_t start_time;            /* epoch ms; 0: now */
	/* Non-zero: do not add the reproducibility tags (mlflow.user,
	 * mlflow.source.*, mlflow.gitRepoURL, mlflowc.client). Otherwise each
	 * is added unless `tags` already has that key; see docs/client.md. */
	int no_context_tags;
};

/* Creates a run (runs/create, one request, tags included) and returns its
 * handle like mlf_run_start (which is this call with only experiment_id
 * and run_name set; it adds the reproducibility tags too). */
enum mlf_result mlf_run_start_opts(mlf_client *client, const struct mlf_run_options *opts, mlf_run **out);

/* Attaches to an existing run (checked with runs/get; a deleted run is
 * refused with MLF_CLIENT_ERR_INVALID) without changing it, e.g. for a CI
 * step logging into a run an earlier step created. The handle is like
 * mlf_run_start's: give it back with mlf_run_end (which ends the run) or
 * mlf_run_detach (which does not). */
enum mlf_result mlf_run_open(mlf_client *client, const char *run_id, mlf_run **out);

/* Frees a run handle without ending the run; flushes the client's queue
 * first and returns the flush's result. `run` must not be used afterwards. */
enum mlf_result mlf_run_detach(mlf_run *run);

/* Synchronous: logs params, tags and metrics in runs/log-batch requests of
 * at most MLflow's limits (1000 metrics, 100 params, 100 tags, 1000 items),
 * split in order: a larger batch becomes several requests and stops at the
 * first refused one. Any array may be NULL with its count 0. Queued
 * metrics of mlf_log_metric are not flushed first. */
enum mlf_result mlf_log_batch(mlf_run *run, const struct mlf_metric *metrics, size_t n_metrics,
			      const struct mlf_tag *params, size_t n_params, const struct mlf_tag *tags, size_t n_tags);

/* One run (info, params, tags, latest metrics), active or deleted: *out
 * holds count 1; free it with mlf_runs_free. */
enum mlf_result mlf_run_get(mlf_client *client, const char *run_id, struct mlf_runs **out);

/* Soft-deletes / restores a run by id. */
enum mlf_result mlf_run_delete(mlf_client *client, const char *run_id);
enum mlf_result mlf_run_restore(mlf_client *client, const char *run_id);

/* What mlf_run_search looks for. Zero-initialise. */
struct mlf_run_search {
	const char *const *experiment_ids; /* n_experiment_ids ids, at least one */
	size_t n_experiment_ids;
	const char *filter;                /* MLflow's search-runs filter; NULL: all */
	const char *const *order_by;       /* e.g. "metrics.loss ASC"; may be NULL */
	size_t n_order_by;
	enum mlf_view_type view;           /* 0: active only */
	unsigned max_results;              /* 0: every page, together; else one page */
	const char *page_token;            /* NULL: the first page */
};

/* runs/search; the caller frees *out with mlf_runs_free. */
enum mlf_result mlf_run_search(mlf_client *client, const struct mlf_run_search *query, struct mlf_runs **out);

/* Every point of metric `key` of run `run_id` (all pages of
 * metrics/get-history), in the server's order; the caller frees *out with
 * mlf_metrics_free. An unknown key is an empty list. */
enum mlf_result mlf_metric_history(mlf_client *client, const char *run_id, const char *key,
				   struct mlf_metrics **out);

/* Flush at exit: every open client is in a process-wide list, and an
 * atexit handler (registered by the first mlf_client_open) flushes each
 * one, so metrics accepted before exit() or a return from main are sent
 * (each flush retries like any other; runs are not ended, memory is not
 * freed). mlf_client_close takes the client off the list. A forked child
 * does not flush its parent's clients. Nothing is flushed on _exit, abort
 * or a fatal signal. */

/* ======================================================================
 * Artifacts (client_artifacts.c). A run's artifacts live under its
 * artifact_uri (runs/get). mlflow-artifacts:/ and http(s) proxy URIs go
 * through the server's artifact proxy (PUT/GET
 * /api/2.0/mlflow-artifacts/artifacts/<path>); a local path or file:// URI
 * is read and written directly, as MLflow's client does; other schemes
 * (s3://, gs://, ...) are MLF_CLIENT_ERR_INVALID. File bodies stream
 * from/to disk in constant memory over a connection of the call's own
 * (with the same credentials as every request) and are retried like other
 * requests. Artifact paths are relative and '/'-separated, without ".."
 * segments. Results follow the tracking section's rules: one free call,
 * strings borrowed from the result and never NULL. Thread-safe.
 * ====================================================================== */

/* One entry of a listing. */
struct mlf_artifact_info {
	const char *path;  /* relative to the run's artifact root, e.g. "model/MLmodel" */
	int is_dir;        /* 1 for a directory */
	int64_t file_size; /* bytes; -1 for a directory or when the server did not say */
};

struct mlf_artifacts {
	const struct mlf_artifact_info *items;
	size_t count;
	const char *json; /* the server's {"root_uri": .., "files": [..]} */
};
void mlf_artifacts_free(struct mlf_artifacts *a);

/* Uploads the file `local_file` as <artifact_path>/<basename(local_file)>
 * of run `run_id` (mlf_run_id of a handle; artifact_path NULL or "": at
 * the root). A missing or unreadable file is MLF_CLIENT_ERR_INVALID. */
enum mlf_result mlf_log_artifact(mlf_client *client, const char *run_id, const char *local_file,
				 const char *artifact_path);

/* Uploads every regular file below directory `local_dir`, keeping the tree,
 * under <artifact_path>/ of run `run_id` (the directory's own name is not
 * added, as in MLflow). Symbolic links are followed, other special files
 * skipped. Up to 4 files are sent at once, each over a connection of its
 * own (threads that end before the call returns). Stops at the first
 * failure (files sent before it stay). */
enum mlf_result mlf_log_artifacts(mlf_client *client, const char *run_id, const char *local_dir,
				  const char *artifact_path);

/* The immediate children of directory `path` (NULL or "": the root) of run
 * `run_id` (artifacts/list), sorted by path; a file or a missing path gives
 * an empty list. The caller frees *out with mlf_artifacts_free. */
enum mlf_result mlf_artifact_list(mlf_client *client, const char *run_id, const char *path,
				  struct mlf_artifacts **out);

/* Downloads artifact `path` of run `run_id` (a file, or a directory with
 * everything below it; NULL or "": all of them) into directory `dst_dir`
 * (created if missing; NULL: a new directory under $TMPDIR or /tmp,
 * removed again when the call fails). The
 * result is <dst_dir>/<path>; that path is written into local_path[size]
 * when local_path is not NULL (MLF_CLIENT_ERR_INVALID if it does not fit).
 * Up to 4 files are fetched at once, as mlf_log_artifacts sends them. Each
 * file is written under a temporary name and renamed when complete.
 * An unknown path is MLF_CLIENT_ERR_SERVER (RESOURCE_DOES_NOT_EXIST). */
enum mlf_result mlf_artifact_download(mlf_client *client, const char *run_id, const char *path, const char *dst_dir,
				      char *local_path, size_t size);

/* The same for an artifact URI: runs:/<run_id>/<path>,
 * models:/<name>/<version|stage|latest>, models:/<name>@<alias>,
 * mlflow-artifacts:/<path>, http(s)://host/api/2.0/mlflow-artifacts/artifacts/<path>,
 * file:///<path> (percent-encoded) or a local path. A models:/ URI's files land
 * directly in dst_dir (`-d ./model` gives ./model/MLmodel); any other URI
 * lands as <dst_dir>/<its last path segment>. */
enum mlf_result mlf_artifact_download_uri(mlf_client *client, const char *artifact_uri, const char *dst_dir,
					  char *local_path, size_t size);

/* ======================================================================
 * Model registry (client_registry.c): MLflow's registered-models and
 * model-versions endpoints. Version numbers are strings ("3"), as on
 * the wire. Results follow the tracking section's rules (one free call,
 * borrowed strings never NULL, `json` is MLflow's message). Thread-safe.
 * ====================================================================== */

struct mlf_model_version {
	const char *name;
	const char *version;        /* "1", "2", ... */
	const char *current_stage;  /* "None", "Staging", "Production", "Archived" */
	const char *status;         /* "READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION" */
	const char *status_message;
	const char *source;         /* the artifact URI the version was registered from */
	const char *run_id;
	const char *description;
	int64_t creation_timestamp; /* epoch ms */
	int64_t last_updated_timestamp;
	const char *const *aliases;
	size_t n_aliases;
};

struct mlf_model_versions {
	const struct mlf_model_version *items;
	size_t count;
	const char *json; /* {"model_version": ..} or {"model_versions": [..]} */
};
void mlf_model_versions_free(struct mlf_model_versions *v);

struct mlf_model_alias {
	const char *alias;
	const char *version;
};

struct mlf_registered_model {
	const char *name;
	const char *description;
	int64_t creation_timestamp;
	int64_t last_updated_timestamp;
	const struct mlf_model_version *latest_versions; /* per stage, its highest version */
	size_t n_latest_versions;
	const struct mlf_model_alias *aliases;
	size_t n_aliases;
};

struct mlf_registered_models {
	const struct mlf_registered_model *items;
	size_t count;
	const char *json; /* {"registered_models": [..]} (every page together) */
};
void mlf_registered_models_free(struct mlf_registered_models *m);

/* Creates registered model `name` (description may be NULL). An existing
 * one is MLF_CLIENT_ERR_SERVER (RESOURCE_ALREADY_EXISTS). */
enum mlf_result mlf_registered_model_create(mlf_client *client, const char *name, const char *description);

/* Every registered model matching `filter` (MLflow's registry filter; NULL:
 * all), following page tokens. The caller frees *out. */
enum mlf_result mlf_registered_model_search(mlf_client *client, const char *filter,
					    struct mlf_registered_models **out);

/* Creates a version of `name` from `source` (run_id may be NULL); while
 * its status is PENDING_REGISTRATION, polls it every 500 ms for up to
 * `wait_seconds` (0: no waiting). Writes the version number into
 * version[32] (may be NULL). FAILED_REGISTRATION is MLF_CLIENT_ERR_SERVER
 * with the server's status_message; still pending at the deadline is
 * MLF_CLIENT_ERR_TRANSPORT. */
enum mlf_result mlf_model_version_create(mlf_client *client, const char *name, const char *source, const char *run_id,
					 unsigned wait_seconds, char version[32]);

/* MLflow's register_model: creates registered model `name` unless it
 * exists, then a version from `model_uri` (runs:/<run_id>/<path> is stored
 * as the run's underlying artifact URI plus its run_id; any other URI as
 * given), waiting up to 300 s for READY; version[32] as above. */
enum mlf_result mlf_register_model(mlf_client *client, const char *model_uri, const char *name, char version[32]);

/* Moves `version` of `name` to `stage` (None, Staging, Production,
 * Archived; any case); with archive_existing_versions non-zero the other
 * versions in that stage move to Archived. *out (out may be NULL) is the
 * updated version, count 1, freed by the caller. */
enum mlf_result mlf_model_version_transition_stage(mlf_client *client, const char *name, const char *version,
						   const char *stage, int archive_existing_versions,
						   struct mlf_model_versions **out);

/* Points alias `alias` of `name` at `version` (moving it if it was set). */
enum mlf_result mlf_model_alias_set(mlf_client *client, const char *name, const char *alias, const char *version);
/* Removes alias `alias` of `name` (not an error when it is not set). */
enum mlf_result mlf_model_alias_delete(mlf_client *client, const char *name, const char *alias);

/* One version (count 1; the caller frees *out): by number, by alias, or
 * the highest version in `stage` (NULL: in any stage; none is
 * MLF_CLIENT_ERR_SERVER with RESOURCE_DOES_NOT_EXIST). */
enum mlf_result mlf_model_version_get(mlf_client *client, const char *name, const char *version,
				      struct mlf_model_versions **out);
enum mlf_result mlf_model_version_by_alias(mlf_client *client, const char *name, const char *alias,
					   struct mlf_model_versions **out);
enum mlf_result mlf_model_version_latest(mlf_client *client, const char *name, const char *stage,
					 struct mlf_model_versions **out);

/* Where `version` of `name` is downloaded from (get-download-uri), written
 * into uri[size] (MLF_CLIENT_ERR_INVALID if it does not fit). */
enum mlf_result mlf_model_version_download_uri(mlf_client *client, const char *name, const char *version, char *uri,
					       size_t size);

/* Resolves models:/<name>/<version>, models:/<name>/<stage>,
 * models:/<name>/latest or models:/<name>@<alias> to that version's
 * download URI, written into source[size]. Other URIs are
 * MLF_CLIENT_ERR_INVALID. */
enum mlf_result mlf_model_uri_resolve(mlf_client *client, const char *models_uri, char *source, size_t size);

/* mlflowc's registry audit trail (not in MLflow's API; an mlflowc server
 * only): stage transitions and alias moves, oldest first. */
struct mlf_model_event {
	int64_t event_id;
	int64_t timestamp; /* epoch ms */
	const char *version;
	const char *kind;  /* "stage" or "alias" */
	const char *alias;
	const char *from;  /* "" when there was none */
	const char *to;    /* "" when removed */
	const char *user_id;
	const char *comment;
};

struct mlf_model_events {
	const struct mlf_model_event *items;
	size_t count;
	const char *json; /* the server's {"history": [..]} */
};
void mlf_model_events_free(struct mlf_model_events *e);

/* The trail of `name` (only version `version` when not NULL). The caller
 * frees *out. */
enum mlf_result mlf_model_history(mlf_client *client, const char *name, const char *version,
				  struct mlf_model_events **out);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
