/*
 * scoring_app.c - a loaded model answering MLflow's scoring protocol; see
 * scoring_app.h.
 *
 * The four routes are rows of a router table like the tracking server's,
 * each public (MLflow's scoring server has no authentication; put a proxy
 * in front of it when it needs one). An unknown path or method is answered
 * as the FastAPI server MLflow runs answers it.
 */
#include "scoring_app.h"
#include "../base/log.h"
#include "../http/router.h"
#include "../json/jw.h"
#include <stdlib.h>
#include <string.h>

struct scoring_app {
	struct model_dir md;
	const struct flavor_ops *flavor;
	void *state;
	size_t max_body;
};

/* What a scoring route's handler gets (the router passes it opaquely). */
struct api_ctx {
	struct scoring_app *app;
	const struct http_request *req;
	struct http_response *resp;
};

struct scoring_app *scoring_app_open(const struct scoring_config *cfg, struct mlf_err *err)
{
	struct scoring_app *a = calloc(1, sizeof(*a));
	if (!a) {
		mlf_errorf(err, MLF_RESOURCE_EXHAUSTED, "Out of memory");
		return NULL;
	}
	a->max_body = cfg->max_body ? cfg->max_body : SCORING_DEFAULT_MAX_BODY;
	if (model_dir_open(cfg->model_path, &a->md, err) < 0) {
		free(a);
		return NULL;
	}
	if (!(a->flavor = flavor_choose(&a->md, cfg->flavor, err)) ||
	    a->flavor->load(&a->md, &cfg->options, &a->state, err) < 0) {
		model_dir_close(&a->md);
		free(a);
		return NULL;
	}
	return a;
}

void scoring_app_close(struct scoring_app *a)
{
	if (!a)
		return;
	a->flavor->unload(a->state);
	model_dir_close(&a->md);
	free(a);
}

const struct model_dir *scoring_app_model(const struct scoring_app *a)
{
	return &a->md;
}

const char *scoring_app_flavor(const struct scoring_app *a)
{
	return a->flavor->name;
}

size_t scoring_app_max_body(const struct scoring_app *a)
{
	return a->max_body;
}

void scoring_answer_release(struct scoring_answer *ans)
{
	buf_release(&ans->body);
	memset(ans, 0, sizeof(*ans));
}

static void answer_error(struct scoring_answer *ans, const struct mlf_err *err, const char *stack_trace)
{
	struct jw w;
	ans->status = mlf_code_http_status(err->code);
	ans->content_type = "application/json";
	buf_reset(&ans->body);
	jw_init(&w, &ans->body);
	jw_obj_begin(&w);
	jw_kv_str(&w, "error_code", mlf_code_name(err->code));
	jw_kv_str(&w, "message", err->msg);
	if (stack_trace && *stack_trace)
		jw_kv_str(&w, "stack_trace", stack_trace);
	jw_obj_end(&w);
}

static void answer_text(struct scoring_answer *ans, int status, const char *content_type, const char *text)
{
	ans->status = status;
	ans->content_type = content_type;
	buf_reset(&ans->body);
	buf_adds(&ans->body, text);
}

void scoring_app_invoke(struct scoring_app *a, const char *content_type, const char *body, size_t len,
			bool too_large, struct scoring_answer *ans)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct scoring_input in;
	bool unsupported = false;
	*ans = (struct scoring_answer){ .body = BUF_INIT };
	if (too_large || len > a->max_body) {
		mlf_errorf(&err, MLF_MAX_READ_SIZE_EXCEEDED, "The request body exceeds the limit of %zu bytes",
			   a->max_body);
		answer_error(ans, &err, NULL);
		return;
	}
	if (scoring_input_parse(content_type, body, len, &a->md.ml, &in, &unsupported, &err) < 0) {
		if (unsupported)
			answer_text(ans, 415, "text/plain; charset=utf-8", err.msg);
		else
			answer_error(ans, &err, NULL);
		return;
	}
	struct buf predictions = BUF_INIT;
	int rc = a->flavor->predict(a->state, &in, &predictions, &err);
	scoring_input_release(&in);
	if (rc < 0 || buf_failed(&predictions)) {
		if (rc == 0)
			mlf_errorf(&err, MLF_INTERNAL_ERROR, "Out of memory for the predictions");
		if (err.code == MLF_DEADLINE_EXCEEDED)
			answer_text(ans, 504, "application/json", "Request processing time exceeded limit");
		else
			answer_error(ans, &err, rc < 0 && a->flavor->stack_trace ? a->flavor->stack_trace(a->state) : NULL);
		buf_release(&predictions);
		return;
	}
	ans->status = 200;
	ans->content_type = "application/json";
	buf_grow(&ans->body, predictions.len + 20);
	buf_adds(&ans->body, "{\"predictions\": ");
	buf_add(&ans->body, predictions.ptr, predictions.len);
	buf_addch(&ans->body, '}');
	buf_release(&predictions);
}

/* ---- HTTP ------------------------------------------------------------------------ */

static void respond(struct http_response *resp, int status, const char *content_type, const char *text, size_t n)
{
	resp->status = status;
	resp->content_type = content_type;
	buf_reset(&resp->body);
	buf_add(&resp->body, text, n);
}

static int scoring_ping(struct api_ctx *c)
{
	respond(c->resp, 200, "application/json", "\n", 1);
	return 0;
}

static int scoring_version(struct api_ctx *c)
{
	respond(c->resp, 200, "application/json", MLF_MLFLOW_COMPAT_VERSION, strlen(MLF_MLFLOW_COMPAT_VERSION));
	return 0;
}

static int scoring_invocations(struct api_ctx *c)
{
	struct scoring_answer ans;
	scoring_app_invoke(c->app, c->req->content_type, c->req->body, c->req->body_len, c->req->body_too_large, &ans);
	respond(c->resp, ans.status, ans.content_type, ans.body.ptr ? ans.body.ptr : "", ans.body.len);
	scoring_answer_release(&ans);
	return 0;
}

#define SCORING_ROW(m, p, fn) \
	{ .methods = m, .at = ROUTE_AT_ROOT, .match = ROUTE_EXACT, .path = p, .handler = fn, \
	  .resource = ROUTE_NO_RESOURCE, .locate = ROUTE_ID_NONE, .permission = ROUTE_PUBLIC }

const struct route scoring_routes[] = {
	SCORING_ROW(HTTP_GET, "/ping", scoring_ping),
	SCORING_ROW(HTTP_GET, "/health", scoring_ping),
	SCORING_ROW(HTTP_GET, "/version", scoring_version),
	SCORING_ROW(HTTP_POST, "/invocations", scoring_invocations),
};
const size_t scoring_routes_n = ARRAY_SIZE(scoring_routes);

void scoring_app_handle(void *app, const struct http_request *req, struct http_response *resp)
{
	static const struct route_table tables[] = { { scoring_routes, &scoring_routes_n } };
	struct router_view v = { .root = { req->path, req->raw_path } };
	struct route_lookup lk;
	unsigned method = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	router_lookup(tables, ARRAY_SIZE(tables), &v, method, &lk);
	if (!lk.route) {
		static const char not_found[] = "{\"detail\":\"Not Found\"}";
		static const char not_allowed[] = "{\"detail\":\"Method Not Allowed\"}";
		if (lk.path_methods)
			respond(resp, 405, "application/json", not_allowed, sizeof(not_allowed) - 1);
		else
			respond(resp, 404, "application/json", not_found, sizeof(not_found) - 1);
		return;
	}
	struct api_ctx c = { .app = app, .req = req, .resp = resp };
	lk.route->handler(&c);
}
