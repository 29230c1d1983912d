/*
 * routes.c - the tracking route table and the request entry point.
 *
 * Every MLflow REST endpoint is one row (the registry's rows are in
 * routes_registry.c): the methods it answers, its path
 * below the version prefix, and its handler. Each row is served under both
 * /api/2.0 and /ajax-api/2.0 (MLflow registers both). A row without a
 * handler is a known endpoint we do not serve yet: it answers 404 with an
 * empty body, as MLflow does for unimplemented endpoints, while a wrong
 * method still gets 405, and OPTIONS gets Flask's empty answer with an
 * Allow header. This file alone turns a struct mlf_err into MLflow's error
 * JSON and HTTP status. api_handle wraps the routing in the browser
 * protection of security.h when the app has a policy.
 */
#include "api.h"
#include "routes.h"
#include "security.h"
#include "ui.h"
#include "../base/log.h"
#include "../json/jr.h"
#include <strings.h>
#include <unistd.h>

#define GET HTTP_GET
#define POST HTTP_POST
#define PATCH HTTP_PATCH
#define PUT HTTP_PUT
#define DELETE HTTP_DELETE

static const struct route tracking_routes[] = {
	{ POST, "/mlflow/experiments/create", api_experiments_create, 0 },
	{ GET, "/mlflow/experiments/get", api_experiments_get, 0 },
	{ GET, "/mlflow/experiments/get-by-name", api_experiments_get_by_name, 0 },
	{ POST, "/mlflow/experiments/delete", api_experiments_delete, 0 },
	{ POST, "/mlflow/experiments/restore", api_experiments_restore, 0 },
	{ POST, "/mlflow/experiments/update", api_experiments_update, 0 },
	{ POST | GET, "/mlflow/experiments/search", api_experiments_search, 0 },
	{ POST, "/mlflow/experiments/set-experiment-tag", api_experiments_set_tag, 0 },
	{ POST, "/mlflow/experiments/delete-experiment-tag", api_experiments_delete_tag, 0 },
	{ POST, "/mlflow/experiments/search-datasets", api_experiments_search_datasets, 0 },

	{ POST, "/mlflow/runs/create", api_runs_create, 0 },
	{ GET, "/mlflow/runs/get", api_runs_get, 0 },
	{ POST, "/mlflow/runs/update", api_runs_update, 0 },
	{ POST, "/mlflow/runs/delete", api_runs_delete, 0 },
	{ POST, "/mlflow/runs/restore", api_runs_restore, 0 },
	{ POST, "/mlflow/runs/log-metric", api_runs_log_metric, 0 },
	{ POST, "/mlflow/runs/log-parameter", api_runs_log_param, 0 },
	{ POST, "/mlflow/runs/set-tag", api_runs_set_tag, 0 },
	{ POST, "/mlflow/runs/delete-tag", api_runs_delete_tag, 0 },
	{ POST, "/mlflow/runs/log-batch", api_runs_log_batch, ROUTE_LAZY_BODY },
	{ POST, "/mlflow/runs/log-model", api_runs_log_model, 0 },
	{ POST, "/mlflow/runs/log-inputs", api_runs_log_inputs, 0 },
	{ POST, "/mlflow/runs/search", api_runs_search, 0 },

	{ GET, "/mlflow/metrics/get-history", api_metrics_get_history, 0 },
	{ GET, "/mlflow/metrics/get-history-bulk-interval", api_metrics_bulk_interval, 0 },
	{ GET, "/mlflow/metrics/get-history-bulk", api_metrics_get_history_bulk, 0 },
	{ GET, "/mlflow/artifacts/list", api_artifacts_list, 0 },

	/* the artifact proxy */
	{ GET | PUT | DELETE, "/mlflow-artifacts/artifacts", api_proxy_file,
	  ROUTE_PREFIX | ROUTE_RAW_RESPONSE | ROUTE_NO_JSON_CHECK | ROUTE_LAZY_BODY | ROUTE_ARTIFACTS },
	{ GET, "/mlflow-artifacts/artifacts", api_proxy_list, ROUTE_ARTIFACTS },
	{ POST, "/mlflow-artifacts/mpu/create", api_proxy_mpu_create, ROUTE_PREFIX | ROUTE_ARTIFACTS },
	{ POST, "/mlflow-artifacts/mpu/complete", api_proxy_mpu_complete, ROUTE_PREFIX | ROUTE_ARTIFACTS },
	{ POST, "/mlflow-artifacts/mpu/abort", api_proxy_mpu_abort, ROUTE_PREFIX | ROUTE_ARTIFACTS },

};
static const size_t tracking_routes_n = ARRAY_SIZE(tracking_routes);

#undef GET
#undef POST
#undef PATCH
#undef PUT
#undef DELETE

static const struct {
	const struct route *rows;
	const size_t *n;
} route_tables[] = {
	{ tracking_routes, &tracking_routes_n },
	{ registry_routes, &registry_routes_n },
	{ logged_model_routes, &logged_model_routes_n },
};

/* Routes the web UI uses outside the API prefix (still under --static-prefix). */
static const struct route ui_routes[] = {
	{ HTTP_GET, "/get-artifact", api_get_artifact, ROUTE_RAW_RESPONSE },
	{ HTTP_GET, "/model-versions/get-artifact", api_model_version_artifact, ROUTE_RAW_RESPONSE },
};

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

static void run_handler(const struct app *app, const struct route *r, const char *subpath,
			const struct http_request *req, struct http_response *resp)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct api_ctx c = { .app = app, .req = req, .a = req->arena, .err = &err, .resp = resp, .subpath = subpath };
	int rc;

	if ((r->flags & ROUTE_ARTIFACTS) && !app->artifacts) {
		respond_text(resp, 503, "The artifact proxy is off: start the server with --serve-artifacts.");
		return;
	}
	if (!(r->flags & ROUTE_ARTIFACTS) && app->artifacts_only) {
		respond_text(resp, 503, "This server runs with --artifacts-only: only the artifact proxy is served.");
		return;
	}
	if (!(r->flags & ROUTE_NO_JSON_CHECK) && check_content_type(req, &err) < 0) {
		respond_error(resp, &err);
		return;
	}
	if (req->body_too_large || !(r->flags & ROUTE_LAZY_BODY)) {
		if (api_parse_body(&c) < 0) {
			respond_error(resp, &err);
			return;
		}
	}
	jw_init(&c.w, &resp->body);
	if (!(r->flags & ROUTE_RAW_RESPONSE))
		jw_obj_begin(&c.w);
	rc = r->fn(&c);
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
	json_decref(c.body);
}

/* Finds the row for a request. Exact rows match the decoded path; prefix
 * rows match the raw path (artifact paths are checked before decoding) and
 * set *subpath to what follows the prefix. */
static const struct route *find_route(const char *path, const char *raw, unsigned method, bool *path_known,
				      const char **subpath)
{
	*path_known = false;
	for (size_t t = 0; t < ARRAY_SIZE(route_tables); t++) {
		const struct route *rows = route_tables[t].rows;
		for (size_t i = 0; i < *route_tables[t].n; i++) {
			size_t len = strlen(rows[i].path);
			if (rows[i].flags & ROUTE_PREFIX) {
				if (!raw || strncmp(raw, rows[i].path, len) != 0 || raw[len] != '/')
					continue;
				*subpath = raw + len + 1;
			} else if (strcmp(rows[i].path, path) != 0) {
				continue;
			}
			*path_known = true;
			if (rows[i].methods & method)
				return &rows[i];
		}
	}
	return NULL;
}

const struct route *api_route_find(const struct app *app, const struct http_request *req, bool *path_known,
				   const char **subpath)
{
	const char *sub = api_path(app, req->path);
	*path_known = false;
	*subpath = NULL;
	if (!sub)
		return NULL;
	/* HEAD is answered like GET; libmicrohttpd leaves out the body */
	unsigned method = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	return find_route(sub, api_path(app, req->raw_path), method, path_known, subpath);
}

/* /health and /version answer with and without the static prefix, so a
 * load balancer can probe the server without knowing it. */
static bool is_path(const struct app *app, const char *path, const char *want)
{
	size_t sp = strlen(app->static_prefix);
	if (strcmp(path, want) == 0)
		return true;
	return sp && strncmp(path, app->static_prefix, sp) == 0 && strcmp(path + sp, want) == 0;
}

/* The methods of every row serving `path` (raw: `raw`), as find_route
 * matches them; 0 for an unknown path. */
static unsigned route_methods(const char *path, const char *raw)
{
	unsigned methods = 0;
	for (size_t t = 0; t < ARRAY_SIZE(route_tables); t++) {
		const struct route *rows = route_tables[t].rows;
		for (size_t i = 0; i < *route_tables[t].n; i++) {
			size_t len = strlen(rows[i].path);
			if (rows[i].flags & ROUTE_PREFIX ? raw && strncmp(raw, rows[i].path, len) == 0 && raw[len] == '/'
							 : strcmp(rows[i].path, path) == 0)
				methods |= rows[i].methods;
		}
	}
	return methods;
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

/* Routes one request; returns whether the answer is the UI's HTML. */
static bool route_request(const struct app *app, const struct http_request *req, struct http_response *resp)
{
	const char *sub;

	/* Only %00 decodes to a NUL; the decoded path would end there and be
	 * taken for the endpoint before it (experiments/get%00x as
	 * experiments/get), so such a path names no endpoint. */
	if (req->raw_path && strstr(req->raw_path, "%00")) {
		struct mlf_err err;
		mlf_errorf(&err, MLF_ENDPOINT_NOT_FOUND, "No endpoint %s %s", req->method_name, req->raw_path);
		respond_error(resp, &err);
		return false;
	}
	if (is_path(app, req->path, "/health")) {
		respond_text(resp, 200, "OK");
		resp->content_type = "text/html; charset=utf-8"; /* as MLflow's */
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ui_routes); i++) {
		if (!is_path(app, req->path, ui_routes[i].path))
			continue;
		if (req->method & (HTTP_GET | HTTP_HEAD))
			run_handler(app, &ui_routes[i], NULL, req, resp);
		else
			respond_text(resp, 405, "Method Not Allowed");
		return false;
	}
	if (is_path(app, req->path, "/version")) {
		respond_text(resp, 200, MLF_MLFLOW_COMPAT_VERSION);
		resp->content_type = "text/html; charset=utf-8";
		return false;
	}
	sub = api_path(app, req->path);
	if (sub) {
		bool known;
		const char *subpath;
		unsigned method = req->method == HTTP_HEAD ? HTTP_GET : req->method;
		const char *raw = api_path(app, req->raw_path);
		const struct route *r = api_route_find(app, req, &known, &subpath);
		if (r && r->fn) {
			run_handler(app, r, subpath, req, resp);
			return false;
		}
		if (r) { /* known endpoint, not served yet */
			resp->status = 404;
			buf_reset(&resp->body);
			return false;
		}
		if (known && method == HTTP_OPTIONS) {
			respond_options(req, route_methods(sub, raw), resp);
			return false;
		}
		if (known) {
			respond_text(resp, 405, "Method Not Allowed");
			return false;
		}
	}
	if (ui_handle(app, req, resp)) /* the web UI: every other GET outside the API */
		return resp->content_type && strncmp(resp->content_type, "text/html", 9) == 0;
	struct mlf_err err;
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
