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

/* Opens a client for `tracking_uri` ("http://host:port[/prefix]"); NULL
 * means the MLFLOW_TRACKING_URI environment variable. `opts` may be NULL
 * (all defaults). No request is made yet. Starts the metric sender thread.
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

/* Creates a run in experiment `experiment_id` ("0" is MLflow's Default)
 * named `run_name` (NULL: the server picks one), start time now. *out is
 * a handle owned by the client: the caller gives it back with mlf_run_end
 * (or mlf_client_close frees it). Thread-safe. */
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

#ifdef __cplusplus
}
#endif

#endif
