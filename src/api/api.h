/*
 * api.h - what every REST handler shares: the application state, the
 * per-request context, typed parameter access with MLflow's errors, and the
 * handler signature used by the route table (routes.c).
 *
 * A handler reads parameters through param_*(), calls the store, and writes
 * its JSON answer with c->w (a jw writer positioned inside the top-level
 * object). It returns 0, or -1 with c->err filled; routes.c turns that into
 * MLflow's error JSON and HTTP status. Handlers never write SQL.
 */
#ifndef MLF_API_H
#define MLF_API_H

#include "../base/arena.h"
#include "../base/err.h"
#include "../http/http.h"
#include "../http/router.h"
#include "../json/jw.h"
#include "../artifact/artifact.h"
#include "../artifact/artifact_roots.h"
#include "../store/store.h"
#include <jansson.h>

struct security_policy;
struct auth_gate;
struct auth_identity;
struct batch_request;
struct auth_rows;

/* Process-wide state shared by every request; read-only after start-up. */
struct app {
	struct store *store;
	const char *default_artifact_root; /* e.g. "mlflow-artifacts:/" or "/srv/mlruns" */
	const char *artifacts_destination; /* root of the artifact proxy, or NULL */
	struct artifact_repo *artifacts;   /* the proxy's store; NULL without --serve-artifacts */
	bool serve_artifacts;
	bool artifacts_only;               /* serve the artifact proxy alone (no store) */
	const char *static_prefix;         /* "" or "/prefix" */
	/* the only local directories the server reads, lists, writes or
	 * deletes artifacts in (see artifact_roots.h); NULL: none */
	const struct artifact_roots *artifact_roots;
	uint64_t max_artifact_bytes;       /* largest upload accepted; 0: no limit */
	uint64_t min_free_disk_bytes;      /* an upload must leave this much free */
	const struct security_policy *security; /* browser protection; NULL: off */
	struct auth_gate *auth;            /* users and permissions (auth_gate.h); NULL: off */
};

struct api_ctx {
	const struct app *app;
	const struct http_request *req;
	json_t *body;          /* parsed request object, or NULL */
	bool use_query;        /* parameters come from the query string */
	struct arena *a;       /* the request's arena */
	struct jw w;           /* writes into the response body */
	struct http_response *resp; /* for handlers that answer with raw bytes */
	const char *subpath;   /* ROUTE_PREFIX routes: the raw path after the route's prefix */
	struct mlf_err *err;
	const struct route *route;      /* the row being served (NULL outside the router) */
	const struct route_hit *hit;    /* what its path matched */
	/* who sends it: the signed-in user with auth on (NULL on a public
	 * row), else NULL; `user` is the name changes are attributed to (the
	 * signed-in user, else the X-MLflow-User header, else NULL) */
	const struct auth_identity *who;
	const char *user;
	/* log-batch read ahead by the auth gate (to learn its run); NULL */
	struct batch_request *batch;
	const char *audit_key; /* the id the gate checked, for the audit trail */
	struct auth_rows *auth_rows; /* the sender's permission rows, loaded once by searches */
};

typedef int (*api_handler_fn)(struct api_ctx *c);

/* The pattern segment {name} of the row being served (the raw text, as
 * sent), copied into the request arena; NULL when the row has none. */
const char *api_path_segment(struct api_ctx *c, const char *name);

/* ---- parameters (params.c) ----------------------------------------------
 * Each getter returns 0 when the value is present and well-typed, 1 when it
 * is absent (null counts as absent), -1 with c->err set for a wrong type
 * or for text holding a NUL (JSON "\u0000" or a query's %00), which no
 * getter lets through.
 * Strings are borrowed from the request (valid for the request). The
 * *_required forms also treat "" as missing and return -1 with MLflow's
 * "Missing value for required parameter" error. */
int param_string(struct api_ctx *c, const char *name, const char **out);
int param_string_required(struct api_ctx *c, const char *name, const char **out);
/* Like param_string, but a JSON number is accepted and printed as text
 * (MLflow accepts numeric experiment ids). */
int param_id(struct api_ctx *c, const char *name, const char **out);
/* run_id, or its deprecated alias run_uuid; required. */
int param_run_id(struct api_ctx *c, const char **out);
/* A non-integral number leaves *out unchanged (preset the default), as
 * MLflow 2.17 answers; one beyond int64 (1e20, 1e309) is refused. */
int param_int64(struct api_ctx *c, const char *name, int64_t *out);
int param_double(struct api_ctx *c, const char *name, double *out);
int param_bool(struct api_ctx *c, const char *name, bool *out);
/* A repeated string field: JSON array of strings, or repeated query keys.
 * The array is allocated in the request arena. */
int param_string_list(struct api_ctx *c, const char *name, const char ***out, size_t *n);
/* A repeated message field (JSON array of objects); borrowed. */
int param_object_list(struct api_ctx *c, const char *name, json_t **out);
/* Error helpers that format MLflow's standard messages; return -1. */
int param_missing(struct api_ctx *c, const char *name);
int param_invalid(struct api_ctx *c, const char *name, const json_t *v);

/* A repeated {key, value} message field such as `tags`: every key is
 * required (MLflow's missing-value error), values may be absent (NULL).
 * The list lives in the request arena; 1 when the field is absent. */
int param_kv_list(struct api_ctx *c, const char *name, struct store_kv **out, size_t *n);

/* Reads a string field of a nested message object (tags, metrics...) into
 * *out: 0 when present, 1 (*out NULL) when absent or null, -1 with c->err
 * set for a list or object, or a string holding a NUL. Numbers and
 * booleans are printed as text, as MLflow accepts them. The text is
 * borrowed from the body or lives in the request arena. */
int param_nested_text(struct api_ctx *c, json_t *obj, const char *field, const char **out);

/* ---- validation (validate.c) -------------------------------------------- */
/* Key names of metrics, params and tags (§5.3). `what` names the parameter
 * in the message, e.g. "key" or "metrics[3].name". */
int validate_key(struct api_ctx *c, const char *key, const char *what);
/* Fails when strlen-in-characters(value) > max. `what` is MLflow's label. */
int validate_length(struct api_ctx *c, const char *value, size_t max, const char *what);
/* Returns `value` cut to at most `max` characters (UTF-8 aware), in the
 * request arena when it had to be cut. */
const char *truncate_chars(struct api_ctx *c, const char *value, size_t max);
/* Parses an experiment id ("12") for the SQL store. Non-integers give
 * RESOURCE_DOES_NOT_EXIST, as MLflow answers for unknown ids. */
int parse_experiment_id(struct api_ctx *c, const char *s, int64_t *out);

/* ---- rendering (render.c) ----------------------------------------------- */
/* "name": [{"key", "value"}...], left out when n is 0. */
void render_kv_list(struct jw *w, const char *name, const struct store_kv *kv, size_t n);
void render_experiment(struct jw *w, const struct store_experiment *e);
void render_run_info(struct jw *w, const struct store_run_info *ri);
/* `with_inputs`: emit "inputs" (as {} when empty), as runs/get and
 * runs/search do; runs/create leaves it out. */
void render_run(struct jw *w, const struct store_run *r, bool with_inputs);
void render_metric(struct jw *w, const struct store_metric *m, bool with_run_id);

/* ---- handlers ------------------------------------------------------------ */
int api_experiments_create(struct api_ctx *c);
int api_experiments_get(struct api_ctx *c);
int api_experiments_get_by_name(struct api_ctx *c);
int api_experiments_delete(struct api_ctx *c);
int api_experiments_restore(struct api_ctx *c);
int api_experiments_update(struct api_ctx *c);
int api_experiments_search(struct api_ctx *c);
int api_experiments_set_tag(struct api_ctx *c);
int api_experiments_delete_tag(struct api_ctx *c);
int api_experiments_search_datasets(struct api_ctx *c);

int api_runs_create(struct api_ctx *c);
int api_runs_get(struct api_ctx *c);
int api_runs_update(struct api_ctx *c);
int api_runs_delete(struct api_ctx *c);
int api_runs_restore(struct api_ctx *c);
int api_runs_log_metric(struct api_ctx *c);
int api_runs_log_param(struct api_ctx *c);
int api_runs_set_tag(struct api_ctx *c);
int api_runs_delete_tag(struct api_ctx *c);
int api_runs_log_batch(struct api_ctx *c);
int api_runs_log_model(struct api_ctx *c);
int api_runs_log_inputs(struct api_ctx *c);
int api_runs_search(struct api_ctx *c);

int api_metrics_get_history(struct api_ctx *c);
int api_metrics_bulk_interval(struct api_ctx *c);
int api_metrics_get_history_bulk(struct api_ctx *c);
int api_artifacts_list(struct api_ctx *c);
/* Writes MLflow's {"root_uri", "files"} listing of the immediate children
 * of `path` (NULL: the root; already validated) under the artifact URI
 * `root_uri`: mlflow-artifacts: through the proxy, runs:/ through the run,
 * local paths directly. Paths are relative to `root_uri`. (api_proxy.c) */
int api_artifacts_list_uri(struct api_ctx *c, const char *root_uri, const char *path);
/* the proxy's file rows: GET, PUT and DELETE below /mlflow-artifacts/artifacts/ */
int api_proxy_download(struct api_ctx *c);
int api_proxy_upload(struct api_ctx *c);
int api_proxy_delete(struct api_ctx *c);
int api_proxy_list(struct api_ctx *c);
int api_proxy_mpu_create(struct api_ctx *c);
int api_proxy_mpu_complete(struct api_ctx *c);
int api_proxy_mpu_abort(struct api_ctx *c);
int api_get_artifact(struct api_ctx *c);
int api_model_version_artifact(struct api_ctx *c);

/* The body-streaming decision for the HTTP server (http_stream_fn): artifact
 * uploads stream to the artifact store instead of being buffered. */
bool api_stream(void *app, const struct http_request *req, struct http_body_sink *sink);

/* Parses the request body into c->body (or selects the query string) with
 * MLflow's leniencies; a no-op when already done. The route table does this
 * before most handlers; ROUTE_LAZY_BODY handlers call it when they need it. */
int api_parse_body(struct api_ctx *c);

/* Whether app->security refuses this request before routing (a wrong
 * Host, a cross-origin write, or a CORS preflight it answers itself), so
 * api_stream leaves a refused upload's body unstreamed. (routes.c) */
bool api_security_refuses(const struct app *app, const struct http_request *req);

/* The one entry point the HTTP server calls (routes.c): app->security's
 * checks and headers (security.h) around the routing. `app` is a
 * struct app. */
void api_handle(void *app, const struct http_request *req, struct http_response *resp);

/* GET /mlflowc/experiments/retention: an experiment's retention policy (api_retention.c). */
int api_retention_get(struct api_ctx *c);
/* GET /mlflowc/experiments/retention/preview: what its next application would do, changing nothing. */
int api_retention_preview(struct api_ctx *c);

#endif
