/*
 * client_int.h - private declarations shared by the files of src/client/.
 *
 * src/client implements include/mlflowc.h over libcurl, jansson and the
 * base/json kits only (never src/store or src/api), except client_local.c,
 * which runs the server's router and store in-process for sqlite:// URIs
 * (see the transport section below). It never calls the
 * aborting xalloc wrappers: every allocation is malloc/realloc with its
 * failure returned as MLF_CLIENT_ERR_NOMEM. Every struct buf here is sticky
 * (BUF_INIT_STICKY, see buf.h): appends after an allocation failure are
 * no-ops, and the writer checks buf_failed()/jw_failed() once at the end.
 *
 * Locking: `mu` guards the queue, the intern table, the run list and the
 * counters; `sync_mu` guards the handle used by synchronous calls. The
 * sender thread owns its own curl handle. Lock order: sync_mu before mu.
 */
#ifndef MLF_CLIENT_INT_H
#define MLF_CLIENT_INT_H

#include "../base/common.h"
#include "../base/buf.h"
#include "../../include/mlflowc.h"
#include <pthread.h>
#include <sys/types.h> /* pid_t */

#define CLIENT_BATCH_MAX 1000 /* MLflow's limit of metrics per log-batch */
#define CLIENT_KEY_MAX 250    /* MLflow's limit on metric/param/tag key length */

/* One queued metric point. Strings are interned in the client and live
 * until mlf_client_close, so a point holds pointers, not copies. */
struct point {
	const char *run_id;
	const char *key;
	double value;
	int64_t timestamp;
	int64_t step;
};

/* Interned strings: an open-addressing hash of indexes into `names`. */
struct intern {
	char **names;   /* owned; each malloc'ed */
	size_t n, cap;
	uint32_t *slots; /* UINT32_MAX = empty; nslots a power of two */
	size_t nslots;
};

/* A curl easy handle plus what each request needs (keep-alive lives in it). */
struct chttp {
	void *curl;      /* CURL * */
	void *headers;   /* struct curl_slist * */
	bool oom;        /* the write callback could not grow the reply */
	struct buf *sink; /* where the current reply goes */
};

/* An answer from the server. */
struct creply {
	long status;
	struct buf body;  /* release with buf_release */
	char code[64];    /* MLflow's error_code when status is not 2xx, else "" */
};

struct clocal;

struct mlf_run {
	mlf_client *client;
	const char *id;       /* interned, 32 hex */
	struct mlf_run *next; /* the client's list of open handles (under mu) */
};

struct mlf_client {
	char *base;                      /* "http://host:port[/prefix]" without trailing '/' */
	struct mlf_client_options opt;   /* with defaults filled in */

	pthread_mutex_t sync_mu;         /* guards sync */
	struct chttp sync;               /* for synchronous calls */

	pthread_mutex_t mu;              /* guards everything below */
	pthread_cond_t not_empty;        /* the sender waits here */
	pthread_cond_t not_full;         /* blocked producers wait here */
	pthread_cond_t drained;          /* flushers wait here */
	struct point *ring;              /* opt.queue_capacity slots */
	size_t head, count;
	bool sender_idle, stopping;
	unsigned producers_waiting, flushers_waiting;
	uint64_t enqueued, done;         /* points accepted / acknowledged or failed */
	struct mlf_client_stats st;      /* .queued is derived on read */
	enum mlf_result async_result;    /* last async failure since the last flush */
	char async_err[512];             /* its text */
	struct intern names;             /* metric keys and run ids */
	struct mlf_run *runs;            /* open run handles */

	pthread_t sender;
	bool sender_started;
	struct chttp send;               /* owned by the sender thread */
	struct point *batch;             /* the sender's CLIENT_BATCH_MAX points in flight */

	/* tracking (client_tracking.c) and the exit flush (client.c) */
	char default_experiment[32];     /* under mu; "" = none (mlf_experiment_set) */
	pid_t owner_pid;                 /* the process that opened it (no flush in a fork) */
	struct mlf_client *next_open;    /* process-wide list of open clients (open_mu) */

	/* transport (client_local.c / client_http.c): set once at open */
	const struct client_transport *transport; /* never NULL after open */
	struct clocal *local;            /* the in-process store; NULL over HTTP */
};

/* client.c */
/* Sets the calling thread's error text and returns `r`. */
enum mlf_result client_fail(enum mlf_result r, const char *fmt, ...) MLF_PRINTF(2, 3);

/* A small JSON object of string fields, then one optional int64 field. */
struct cfield {
	const char *key;
	const char *str; /* NULL: the field is left out */
};
/* Writes {"key": "str", ..., "int_key": int_val} into b (int_key may be NULL). */
enum mlf_result client_small_body(struct buf *b, const struct cfield *f, size_t n, const char *int_key,
				  int64_t int_val);
/* One request on the synchronous handle; `rep` must be released by the caller. */
enum mlf_result client_sync_call(mlf_client *c, const char *path, const struct buf *body, struct creply *rep);
/* POSTs the fields, discarding the answer. */
enum mlf_result client_post_fields(mlf_client *c, const char *path, const struct cfield *f, size_t n,
				   const char *int_key, int64_t int_val);
/* Copies the string at answer.path[0].path[1]... (NULL-terminated) into out[size]. */
enum mlf_result client_reply_string(const struct creply *rep, const char *const *path, char *out, size_t size);
/* The call failed with this MLflow error_code. */
bool client_server_said(enum mlf_result r, const struct creply *rep, const char *code);

/* client_http.c */
enum mlf_result chttp_init(struct chttp *h);
void chttp_release(struct chttp *h);
/* Sends `body` (NULL: a GET) to <base>/api/2.0/mlflow/<path>, retrying
 * 429/5xx/transport failures per the options; `retries` is incremented
 * under c->mu per retry. 2xx → OK; else SERVER/TRANSPORT/NOMEM with the
 * thread's error text set. `out` is filled in every case (release it). */
enum mlf_result chttp_call(mlf_client *c, struct chttp *h, const char *path, const struct buf *body,
			   struct creply *out);

/* ---------------------------------------------------------------- transport
 * Every request of the library goes through c->transport, chosen by the
 * tracking URI at open: HTTP (http://, https://: libcurl, client_http.c) or
 * local (sqlite://: the server's own router and store in this process,
 * client_local.c). `h` is the caller's curl handle (unused by local).
 * `method` NULL means GET without a body, POST with one; else "GET",
 * "POST", "PATCH", "DELETE" or "PUT". `path` is below /api/2.0/mlflow/ and
 * may carry a ?query (percent-encoded). Same contract as chttp_call. */
struct client_transport {
	const char *name; /* "http" or "local" */
	enum mlf_result (*call)(mlf_client *c, struct chttp *h, const char *method, const char *path,
				const struct buf *body, struct creply *out);
};
extern const struct client_transport client_transport_http;
extern const struct client_transport client_transport_local;

/* client_http.c: chttp_call with a method (NULL: GET/POST by body). */
enum mlf_result chttp_request(mlf_client *c, struct chttp *h, const char *method, const char *path,
			      const struct buf *body, struct creply *out);
/* Parses a reply into *out (the caller decrefs it). When it cannot:
 * MLF_CLIENT_ERR_NOMEM if memory ran out (also when jansson would have
 * returned a tree missing the bytes it had no room for), else
 * MLF_CLIENT_ERR_PROTOCOL ("<what> is not JSON"); *out NULL and the
 * thread's error text set. Every reply the library reads goes through it. */
struct json_t;
enum mlf_result cjson_load(const struct buf *text, const char *what, struct json_t **out);
/* Fills out->code and the thread's error text from a non-2xx MLflow error
 * body; returns MLF_CLIENT_ERR_SERVER. `where` names the request. */
enum mlf_result chttp_reply_error(const char *where, struct creply *out);
/* What a non-2xx status without MLflow's error JSON means to the user
 * (401 with or without credentials in the environment, 403, 429), static;
 * NULL for other statuses. */
const char *chttp_status_meaning(long status);
/* Sleeps the back-off before retry number `attempt` (0 first) and counts
 * the retry in c->st.retried. `retry_after_s` > 0: the server's hint. */
void chttp_retry_pause(mlf_client *c, unsigned attempt, long retry_after_s);

/* client.c: one synchronous request with a method, on the sync handle
 * (the transport switch's counterpart of client_sync_call). */
enum mlf_result client_sync_request(mlf_client *c, const char *method, const char *path, const struct buf *body,
				    struct creply *rep);

/* client_local.c: a sqlite:// tracking URI. Opens the store (artifact root
 * of new experiments: ./mlruns of the current directory, made absolute, as
 * MLflow) and sets c->transport/c->local; TRANSPORT with the store's reason
 * when the database cannot be opened. clocal_close(NULL) is a no-op. */
bool clocal_uri(const char *uri);
enum mlf_result clocal_open(mlf_client *c, const char *uri);
void clocal_close(mlf_client *c);

/* client_queue.c */
enum mlf_result queue_init(mlf_client *c);
/* Starts the sender thread. */
enum mlf_result queue_start(mlf_client *c);
/* Drains, stops and joins the sender; frees the ring. */
void queue_stop(mlf_client *c);
/* Interns s under c->mu (the caller holds it); NULL on OOM. */
const char *intern_get(struct intern *t, const char *s);
void intern_release(struct intern *t);

/* client_tracking.c, client_run.c (tracking calls) */
/* A request built with jansson: `body` (stolen; NULL means a GET of `path`,
 * which then carries its own percent-encoded query) is sent on the
 * synchronous handle; on success *reply (when `reply` is not NULL) is the
 * parsed answer, which the caller decrefs. */
struct json_t;
enum mlf_result client_json_call(mlf_client *c, const char *path, struct json_t *body, struct json_t **reply);
/* The compact JSON text of `v`, malloc'ed (the caller frees it); NULL on
 * OOM. Written with jw into a sticky buffer, not json_dumps: jansson 2.14's
 * dump ignores a failure to write an object key and goes on, so a request
 * could lose a field silently. */
char *client_json_text(const struct json_t *v);
/* The experiment of a run started with experiment_id NULL (see struct
 * mlf_run_options), written into id. */
enum mlf_result client_default_experiment(mlf_client *c, char id[32]);

/* ---- artifacts and registry (client_artifacts.c, client_registry.c) ---- */
/* A malloc'ed formatted string; NULL when out of memory. */
char *cstr_printf(const char *fmt, ...) MLF_PRINTF(1, 2);
/* Percent-encodes `s` for a query value; malloc'ed, NULL when out of memory. */
char *cquery_escape(const char *s);
/* GETs the absolute `url` on a connection of its own (credentials as
 * chttp_init), retrying like chttp_call; `rep` as for chttp_call. */
enum mlf_result cxfer_get(mlf_client *c, const char *url, struct creply *rep);
/* The artifact_uri of run `run_id` (runs/get), malloc'ed into *uri. */
enum mlf_result cart_run_artifact_uri(mlf_client *c, const char *run_id, char **uri);

#endif
