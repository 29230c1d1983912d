/*
 * routes.c - the tracking and site route tables and the request entry
 * point.
 *
 * Every route is a row of a table (src/http/router.h; the registry's rows
 * are in routes_registry.c, the logged models' in routes_logged_models.c):
 * the REST endpoints below /api/2.0 and /ajax-api/2.0 (MLflow registers
 * both), the artifact proxy, /health and /version, the UI's artifact
 * downloads, the UI's files and, as the default row, its pages. A row
 * names one handler, the resource it touches, where the request carries
 * that resource's id, and the permission MLflow's basic-auth app requires
 * for it. A row without a handler is a known endpoint we do not serve yet:
 * it answers 404 with an empty body, as MLflow does for unimplemented
 * endpoints. A known path with a wrong method gets 405, and on an API path
 * OPTIONS gets Flask's empty answer with an Allow header. This file alone
 * turns a struct mlf_err into MLflow's error JSON and HTTP status.
 * api_handle wraps the routing in the browser protection of security.h
 * when the app has a policy.
 */
#include "api.h"
#include "auth_gate.h"
#include "routes.h"
#include "security.h"
#include "ui.h"
#include "../base/log.h"
#include "../json/jr.h"
#include <strings.h>
#include <unistd.h>

#define GET HTTP_GET
#define POST HTTP_POST
#define PUT HTTP_PUT
#define DELETE HTTP_DELETE

/* The id each kind of row names, as MLflow's auth validators read it. */
#define EXPERIMENT(perm) .resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_PARAM, .id = "experiment_id", .permission = perm
#define RUN(perm) .resource = ROUTE_RUN, .locate = ROUTE_ID_PARAM, .id = "run_id", .permission = perm
#define NOTHING(perm) .resource = ROUTE_NO_RESOURCE, .locate = ROUTE_ID_NONE, .permission = perm
#define PROXIED(perm) .resource = ROUTE_ARTIFACT, .locate = ROUTE_ID_PATH, .id = "path", .permission = perm

const struct route tracking_routes[] = {
	/* MLflow: any signed-in user creates one, and gets MANAGE on it */
	{ .methods = POST, .path = "/mlflow/experiments/create", .handler = api_experiments_create,
	  .flags = ROUTE_AUTH_GRANT_EXPERIMENT, NOTHING(ROUTE_SIGNED_IN) },
	{ .methods = GET, .path = "/mlflow/experiments/get", .handler = api_experiments_get, EXPERIMENT(ROUTE_READ) },
	{ .methods = GET, .path = "/mlflow/experiments/get-by-name", .handler = api_experiments_get_by_name,
	  .resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_DERIVED, .id = "experiment_name", .permission = ROUTE_READ },
	{ .methods = POST, .path = "/mlflow/experiments/delete", .handler = api_experiments_delete, EXPERIMENT(ROUTE_MANAGE) },
	{ .methods = POST, .path = "/mlflow/experiments/restore", .handler = api_experiments_restore, EXPERIMENT(ROUTE_MANAGE) },
	{ .methods = POST, .path = "/mlflow/experiments/update", .handler = api_experiments_update, EXPERIMENT(ROUTE_EDIT) },
	/* MLflow filters the answer to the experiments the sender may read */
	{ .methods = POST | GET, .path = "/mlflow/experiments/search", .handler = api_experiments_search,
	  .resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_RESULTS, .permission = ROUTE_READ },
	{ .methods = POST, .path = "/mlflow/experiments/set-experiment-tag", .handler = api_experiments_set_tag,
	  EXPERIMENT(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/experiments/delete-experiment-tag", .handler = api_experiments_delete_tag,
	  EXPERIMENT(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/experiments/search-datasets", .handler = api_experiments_search_datasets,
	  .resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_BODY, .id = "experiment_ids", .permission = ROUTE_READ },

	{ .methods = POST, .path = "/mlflow/runs/create", .handler = api_runs_create, EXPERIMENT(ROUTE_EDIT) },
	{ .methods = GET, .path = "/mlflow/runs/get", .handler = api_runs_get, RUN(ROUTE_READ) },
	{ .methods = POST, .path = "/mlflow/runs/update", .handler = api_runs_update, RUN(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/runs/delete", .handler = api_runs_delete, RUN(ROUTE_MANAGE) },
	{ .methods = POST, .path = "/mlflow/runs/restore", .handler = api_runs_restore, RUN(ROUTE_MANAGE) },
	{ .methods = POST, .path = "/mlflow/runs/log-metric", .handler = api_runs_log_metric, RUN(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/runs/log-parameter", .handler = api_runs_log_param, RUN(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/runs/set-tag", .handler = api_runs_set_tag, RUN(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/runs/delete-tag", .handler = api_runs_delete_tag, RUN(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/runs/log-batch", .handler = api_runs_log_batch, .flags = ROUTE_LAZY_BODY,
	  RUN(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/runs/log-model", .handler = api_runs_log_model, RUN(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/runs/log-inputs", .handler = api_runs_log_inputs, RUN(ROUTE_EDIT) },
	/* every experiment searched must be readable */
	{ .methods = POST, .path = "/mlflow/runs/search", .handler = api_runs_search, .flags = ROUTE_AUTH_FILTER_IDS,
	  .resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_BODY, .id = "experiment_ids", .permission = ROUTE_READ },

	{ .methods = GET, .path = "/mlflow/metrics/get-history", .handler = api_metrics_get_history, RUN(ROUTE_READ) },
	{ .methods = GET, .path = "/mlflow/metrics/get-history-bulk-interval", .handler = api_metrics_bulk_interval,
	  .resource = ROUTE_RUN, .locate = ROUTE_ID_QUERY, .id = "run_ids", .permission = ROUTE_READ },
	{ .methods = GET, .path = "/mlflow/metrics/get-history-bulk", .handler = api_metrics_get_history_bulk,
	  .resource = ROUTE_RUN, .locate = ROUTE_ID_QUERY, .id = "run_id", .permission = ROUTE_READ },
	{ .methods = GET, .path = "/mlflow/artifacts/list", .handler = api_artifacts_list, RUN(ROUTE_READ) },

	/* the artifact proxy: MLflow checks the experiment named by the path's
	 * first segment (list: the `path` query parameter) */
	{ .methods = GET, .match = ROUTE_PREFIX, .path = "/mlflow-artifacts/artifacts", .handler = api_proxy_download,
	  .flags = ROUTE_RAW_RESPONSE | ROUTE_NO_JSON_CHECK | ROUTE_LAZY_BODY | ROUTE_ARTIFACTS, PROXIED(ROUTE_READ) },
	{ .methods = PUT, .match = ROUTE_PREFIX, .path = "/mlflow-artifacts/artifacts", .handler = api_proxy_upload,
	  .flags = ROUTE_RAW_RESPONSE | ROUTE_NO_JSON_CHECK | ROUTE_LAZY_BODY | ROUTE_ARTIFACTS, PROXIED(ROUTE_EDIT) },
	{ .methods = DELETE, .match = ROUTE_PREFIX, .path = "/mlflow-artifacts/artifacts", .handler = api_proxy_delete,
	  .flags = ROUTE_RAW_RESPONSE | ROUTE_NO_JSON_CHECK | ROUTE_LAZY_BODY | ROUTE_ARTIFACTS, PROXIED(ROUTE_MANAGE) },
	{ .methods = GET, .path = "/mlflow-artifacts/artifacts", .handler = api_proxy_list, .flags = ROUTE_ARTIFACTS,
	  .resource = ROUTE_ARTIFACT, .locate = ROUTE_ID_QUERY, .id = "path", .permission = ROUTE_READ },
	{ .methods = POST, .match = ROUTE_PREFIX, .path = "/mlflow-artifacts/mpu/create", .handler = api_proxy_mpu_create,
	  .flags = ROUTE_ARTIFACTS, PROXIED(ROUTE_EDIT) },
	{ .methods = POST, .match = ROUTE_PREFIX, .path = "/mlflow-artifacts/mpu/complete",
	  .handler = api_proxy_mpu_complete, .flags = ROUTE_ARTIFACTS, PROXIED(ROUTE_EDIT) },
	{ .methods = POST, .match = ROUTE_PREFIX, .path = "/mlflow-artifacts/mpu/abort", .handler = api_proxy_mpu_abort,
	  .flags = ROUTE_ARTIFACTS, PROXIED(ROUTE_EDIT) },
	/* ours: the retention policy governing an experiment, read-only (mlflowc retention) */
	{ .methods = GET, .path = "/mlflowc/experiments/retention", .handler = api_retention_get, EXPERIMENT(ROUTE_READ) },
	/* ours: what the next application of that policy would do, changing nothing */
	{ .methods = GET, .path = "/mlflowc/experiments/retention/preview", .handler = api_retention_preview,
	  EXPERIMENT(ROUTE_READ) },
};
const size_t tracking_routes_n = ARRAY_SIZE(tracking_routes);

static int api_health(struct api_ctx *c);
static int api_version(struct api_ctx *c);
static int api_ui(struct api_ctx *c);

/* Outside the API prefixes: probes, the UI's downloads, the UI itself. */
const struct route site_routes[] = {
	/* MLflow's auth leaves /health unprotected; any method answers */
	{ .methods = ROUTE_ANY_METHOD, .at = ROUTE_AT_ROOT, .path = "/health", .handler = api_health,
	  .flags = ROUTE_RAW_RESPONSE | ROUTE_ANY_MODE | ROUTE_IGNORE_BODY, NOTHING(ROUTE_PUBLIC) },
	{ .methods = ROUTE_ANY_METHOD, .at = ROUTE_AT_ROOT, .path = "/version", .handler = api_version,
	  .flags = ROUTE_RAW_RESPONSE | ROUTE_ANY_MODE | ROUTE_IGNORE_BODY, NOTHING(ROUTE_SIGNED_IN) },
	{ .methods = GET, .at = ROUTE_AT_ROOT, .path = "/get-artifact", .handler = api_get_artifact,
	  .flags = ROUTE_RAW_RESPONSE, .resource = ROUTE_RUN, .locate = ROUTE_ID_QUERY, .id = "run_id",
	  .permission = ROUTE_READ },
	{ .methods = GET, .at = ROUTE_AT_ROOT, .path = "/model-versions/get-artifact",
	  .handler = api_model_version_artifact, .flags = ROUTE_RAW_RESPONSE, .resource = ROUTE_REGISTERED_MODEL,
	  .locate = ROUTE_ID_QUERY, .id = "name", .permission = ROUTE_READ },
	/* the UI's built files (MLflow's /static: unprotected); any method, as
	 * the UI itself answers only GET and HEAD (404 otherwise) */
	{ .methods = ROUTE_ANY_METHOD, .at = ROUTE_AT_SITE, .match = ROUTE_PREFIX, .path = "/assets", .handler = api_ui,
	  .flags = ROUTE_RAW_RESPONSE | ROUTE_ANY_MODE | ROUTE_IGNORE_BODY | ROUTE_UI, NOTHING(ROUTE_PUBLIC) },
	/* every other path no row knows: the UI's pages (index.html), else 404;
	 * public, unlike MLflow's, so the page can ask for a sign-in itself (it
	 * holds no data: every API call it makes is checked) */
	{ .methods = ROUTE_ANY_METHOD, .at = ROUTE_AT_ROOT, .match = ROUTE_ANY, .rank = ROUTE_DEFAULT, .handler = api_ui,
	  .flags = ROUTE_RAW_RESPONSE | ROUTE_ANY_MODE | ROUTE_IGNORE_BODY | ROUTE_UI, NOTHING(ROUTE_PUBLIC) },
};
const size_t site_routes_n = ARRAY_SIZE(site_routes);

#undef GET
#undef POST
#undef PUT
#undef DELETE
#undef EXPERIMENT
#undef RUN
#undef NOTHING
#undef PROXIED

const struct route_table api_route_tables[] = {
	{ tracking_routes, &tracking_routes_n },
	{ registry_routes, &registry_routes_n },
	{ logged_model_routes, &logged_model_routes_n },
	{ auth_routes, &auth_routes_n },
	{ site_routes, &site_routes_n },
};
const size_t api_route_tables_n = ARRAY_SIZE(api_route_tables);

static const char *const api_prefixes[] = { "/api/2.0", "/ajax-api/2.0" };

/* Strips the static prefix and the API version prefix; NULL if none. */
static const char *api_path(const struct app *app, const char *path)
{
	size_t sp = strlen(app->static_prefix);
	if (sp) {
		if (strncmp(path, app->static_prefix, sp) != 0)
			return NULL;
		path += sp;
	}
	for (size_t i = 0; i < ARRAY_SIZE(api_prefixes); i++) {
		size_t n = strlen(api_prefixes[i]);
		if (strncmp(path, api_prefixes[i], n) == 0 && path[n] == '/')
			return path + n;
	}
	return NULL;
}

static void respond_text(struct http_response *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	buf_adds(&resp->body, text);
}

static void respond_error(struct http_response *resp, const struct mlf_err *err)
{
	struct jw w;
	resp->status = mlf_code_http_status(err->code);
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	jw_init(&w, &resp->body);
	jw_obj_begin(&w);
	jw_kv_str(&w, "error_code", mlf_code_name(err->code));
	jw_kv_str(&w, "message", err->msg);
	jw_obj_end(&w);
}

/* MLflow's Content-Type rule for POST/PUT on JSON endpoints. */
static int check_content_type(const struct http_request *req, struct mlf_err *err)
{
	if (!(req->method & (HTTP_POST | HTTP_PUT)))
		return 0;
	if (!req->content_type)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Bad Request. Content-Type header is missing.");
	size_t n = strcspn(req->content_type, ";");
	while (n && (req->content_type[n - 1] == ' ' || req->content_type[n - 1] == '\t'))
		n--;
	if (n != strlen("application/json") || strncasecmp(req->content_type, "application/json", n) != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Bad Request. Content-Type must be one of ['application/json'].");
	return 0;
}

int api_parse_body(struct api_ctx *c)
{
	const struct http_request *req = c->req;
	if (c->body || c->use_query)
		return 0;
	if (req->body_too_large)
		return mlf_errorf(c->err, MLF_MAX_READ_SIZE_EXCEEDED, "Request body exceeds the maximum allowed size");
	if (req->method == HTTP_GET && req->has_query) {
		c->use_query = true;
		return 0;
	}
	json_t *v;
	switch (jr_parse(req->body, req->body_len, &v)) {
	case JR_TOO_DEEP:
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Request body nesting exceeds the maximum depth of %d", JR_MAX_DEPTH);
	case JR_INVALID: /* MLflow treats unparsable JSON like an empty body */
		return 0;
	case JR_OK:
		break;
	}
	if (v && !json_is_object(v) && !json_is_null(v)) {
		json_decref(v);
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Request body must be a JSON object");
	}
	c->body = json_is_null(v) ? NULL : v;
	if (json_is_null(v))
		json_decref(v);
	if (req->method == HTTP_GET && !c->body)
		c->use_query = true;
	return 0;
}

static void run_handler(const struct app *app, const struct route_lookup *lk, const struct http_request *req,
			struct http_response *resp)
{
	const struct route *r = lk->route;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct api_ctx c = { .app = app, .req = req, .a = req->arena, .err = &err, .resp = resp,
			     .subpath = lk->hit.tail, .route = r, .hit = &lk->hit };
	int rc;

	if (!(r->flags & ROUTE_ANY_MODE)) {
		if ((r->flags & ROUTE_ARTIFACTS) && !app->artifacts) {
			respond_text(resp, 503, "The artifact proxy is off: start the server with --serve-artifacts.");
			return;
		}
		if (!(r->flags & ROUTE_ARTIFACTS) && app->artifacts_only) {
			respond_text(resp, 503, "This server runs with --artifacts-only: only the artifact proxy is served.");
			return;
		}
	}
	c.user = app->auth ? NULL : req->user; /* with auth on, only the signed-in user counts */
	if (app->auth) {
		int gate = auth_gate_identify(&c);
		if (gate != 0) {
			if (gate < 0)
				respond_error(resp, &err);
			auth_gate_after(&c, -1);
			return;
		}
	}
	if (!(r->flags & (ROUTE_NO_JSON_CHECK | ROUTE_IGNORE_BODY)) && check_content_type(req, &err) < 0) {
		respond_error(resp, &err);
		return;
	}
	if (!(r->flags & ROUTE_IGNORE_BODY) && (req->body_too_large || !(r->flags & ROUTE_LAZY_BODY))) {
		if (api_parse_body(&c) < 0) {
			respond_error(resp, &err);
			return;
		}
	}
	if (app->auth) {
		int gate = auth_gate_admit(&c);
		if (gate != 0) {
			if (gate < 0)
				respond_error(resp, &err);
			auth_gate_after(&c, -1);
			json_decref(c.body);
			return;
		}
	}
	jw_init(&c.w, &resp->body);
	if (!(r->flags & ROUTE_RAW_RESPONSE))
		jw_obj_begin(&c.w);
	rc = r->handler(&c);
	if (rc < 0) {
		if (err.code == MLF_INTERNAL_ERROR)
			log_error("%s %s: %s", req->method_name, req->path, err.msg);
		if (resp->fd >= 0) {
			close(resp->fd);
			resp->fd = -1;
		}
		if (resp->reader && resp->reader_free)
			resp->reader_free(resp->reader_ctx);
		resp->reader = NULL;
		respond_error(resp, &err);
	} else {
		/* a handler may have left nested objects open only by a bug */
		while (c.w.depth > 0)
			jw_obj_end(&c.w);
	}
	if (app->auth)
		auth_gate_after(&c, rc);
	json_decref(c.body);
}

/* The path after the static prefix ("" when there is none), or NULL. */
static const char *site_path(const struct app *app, const char *path)
{
	size_t sp = strlen(app->static_prefix);
	return path && strncmp(path, app->static_prefix, sp) == 0 ? path + sp : NULL;
}

void api_router_view(const struct app *app, const struct http_request *req, struct router_view *v)
{
	*v = (struct router_view){
		.api = { api_path(app, req->path), req->raw_path ? api_path(app, req->raw_path) : NULL },
		.site = { site_path(app, req->path), site_path(app, req->raw_path) },
		.root = { req->path, req->raw_path },
	};
}

void api_route_lookup(const struct app *app, const struct http_request *req, struct route_lookup *out)
{
	struct router_view v;
	api_router_view(app, req, &v);
	router_lookup(api_route_tables, api_route_tables_n, &v, req->method, out);
}

const char *api_path_segment(struct api_ctx *c, const char *name)
{
	int i = c->route ? router_segment_index(c->route, name) : -1;
	if (i < 0 || (size_t)i >= c->hit->n_seg)
		return NULL;
	return arena_strndup(c->a, c->hit->seg[i], c->hit->seg_len[i]);
}

static const struct {
	unsigned method;
	const char *name;
} allow_names[] = { /* Flask's order: sorted by name */
	{ HTTP_DELETE, "DELETE" }, { HTTP_GET, "GET" }, { HTTP_GET, "HEAD" }, { HTTP_OPTIONS, "OPTIONS" },
	{ HTTP_PATCH, "PATCH" },   { HTTP_POST, "POST" }, { HTTP_PUT, "PUT" },
};

/* OPTIONS on a known endpoint: 200 with an empty body and its Allow
 * header, as Flask answers it (the security policy makes it 204). */
static void respond_options(const struct http_request *req, unsigned methods, struct http_response *resp)
{
	struct buf allow = BUF_INIT;
	methods |= HTTP_OPTIONS;
	for (size_t i = 0; i < ARRAY_SIZE(allow_names); i++)
		if (methods & allow_names[i].method) {
			if (allow.len)
				buf_adds(&allow, ", ");
			buf_adds(&allow, allow_names[i].name);
		}
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	buf_reset(&resp->body);
	http_response_header(resp, "Allow", arena_strndup(req->arena, allow.ptr, allow.len));
	buf_release(&allow);
}

/* ---- the handlers of the site rows -------------------------------------- */

/* "OK" as MLflow answers, once the store has answered a read: a load
 * balancer then takes a replica whose database is gone out of rotation
 * (503; the reason is logged, never sent). */
static int api_health(struct api_ctx *c)
{
	struct mlf_err err;
	if (c->app->store && store_ping(c->app->store, &err) < 0) {
		log_warn("health: the store does not answer: %s", err.msg);
		respond_text(c->resp, 503, "store unavailable");
		c->resp->content_type = "text/html; charset=utf-8";
		return 0;
	}
	respond_text(c->resp, 200, "OK");
	c->resp->content_type = "text/html; charset=utf-8"; /* as MLflow's */
	return 0;
}

static int api_version(struct api_ctx *c)
{
	respond_text(c->resp, 200, MLF_MLFLOW_COMPAT_VERSION);
	c->resp->content_type = "text/html; charset=utf-8";
	return 0;
}

/* The web UI: an embedded file, or index.html for the UI's own routes. */
static int api_ui(struct api_ctx *c)
{
	if (ui_handle(c->app, c->req, c->resp))
		return 0;
	return mlf_errorf(c->err, MLF_ENDPOINT_NOT_FOUND, "No endpoint %s %s", c->req->method_name, c->req->path);
}

/* Routes one request; returns whether the answer is the UI's HTML. */
static bool route_request(const struct app *app, const struct http_request *req, struct http_response *resp)
{
	struct route_lookup lk;
	struct mlf_err err;

	/* Only %00 decodes to a NUL; the decoded path would end there and be
	 * taken for the endpoint before it (experiments/get%00x as
	 * experiments/get), so such a path names no endpoint. */
	if (req->raw_path && strstr(req->raw_path, "%00")) {
		mlf_errorf(&err, MLF_ENDPOINT_NOT_FOUND, "No endpoint %s %s", req->method_name, req->raw_path);
		respond_error(resp, &err);
		return false;
	}
	api_route_lookup(app, req, &lk);
	if (lk.route && lk.route->handler) {
		run_handler(app, &lk, req, resp);
		return (lk.route->flags & ROUTE_UI) && resp->content_type &&
		       strncmp(resp->content_type, "text/html", 9) == 0;
	}
	if (lk.route) { /* known endpoint, not served yet */
		resp->status = 404;
		buf_reset(&resp->body);
		return false;
	}
	if (lk.path_methods && req->method == HTTP_OPTIONS && lk.path_at == ROUTE_AT_API) {
		respond_options(req, lk.path_methods, resp);
		return false;
	}
	if (lk.path_methods) {
		respond_text(resp, 405, "Method Not Allowed");
		return false;
	}
	mlf_errorf(&err, MLF_ENDPOINT_NOT_FOUND, "No endpoint %s %s", req->method_name, req->path);
	respond_error(resp, &err);
	return false;
}

/* The strings the security policy judges a request by. */
static struct security_request security_request_of(const struct http_request *req)
{
	return (struct security_request){
		.method = req->method,
		.path = req->path,
		.host = http_request_header(req, "Host"),
		.origin = http_request_header(req, "Origin"),
		.preflight_method = http_request_header(req, "Access-Control-Request-Method"),
		.preflight_headers = http_request_header(req, "Access-Control-Request-Headers"),
	};
}

bool api_security_refuses(const struct app *app, const struct http_request *req)
{
	if (!app->security)
		return false;
	struct security_request sr = security_request_of(req);
	return security_check(app->security, app->static_prefix, &sr) != SECURITY_PASS;
}

void api_handle(void *appv, const struct http_request *req, struct http_response *resp)
{
	const struct app *app = appv;
	if (!app->security) {
		route_request(app, req, resp);
		return;
	}
	struct security_request sr = security_request_of(req);
	enum security_verdict v = security_check(app->security, app->static_prefix, &sr);
	if (v == SECURITY_PASS) {
		bool ui_html = route_request(app, req, resp);
		security_finish(app->security, app->static_prefix, &sr, ui_html, resp);
		return;
	}
	security_answer(app->security, v, &sr, resp);
	if (v != SECURITY_PREFLIGHT)
		sr.origin = NULL; /* a refusal carries no CORS headers */
	security_finish(app->security, app->static_prefix, &sr, false, resp);
}
