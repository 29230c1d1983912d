/*
 * test_routes.c - the route tables (src/api/routes*.c) over the router
 * (src/http/router.c): every row says what it needs (a permission, and
 * unless it is public, signed-in only or admin-only, the resource it
 * touches and where its id is), no two ordinary rows answer the same
 * method and path, and routing answers as the server always has: unknown
 * path 404 ENDPOINT_NOT_FOUND JSON, wrong method 405, OPTIONS on an API
 * path Flask's Allow answer, HEAD as GET, the logged-model sub-paths to
 * their own handlers with their ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/api.h"
#include "api/api_logged_models.h"
#include "api/api_registry.h"
#include "api/routes.h"
#include "server/scoring_app.h"

#define EACH_ROW(r)                                                                  \
	for (size_t r##_table = 0; r##_table < api_route_tables_n; r##_table++)      \
		for (const struct route *r = api_route_tables[r##_table].rows;        \
		     r < api_route_tables[r##_table].rows + *api_route_tables[r##_table].n; r++)

static const char *row_name(const struct route *r)
{
	return r->path ? r->path : "(default row)";
}

/* What every row must say: a permission, a resource and where its id is,
 * methods and a handler. */
static void check_row(const struct route *r)
{
	if (r->permission == ROUTE_PERMISSION_UNSET || r->resource == ROUTE_RESOURCE_UNSET ||
	    r->locate == ROUTE_LOCATOR_UNSET || !r->methods || !r->handler)
		fail_msg("row %s (methods %#x) lacks a permission, resource, locator, methods or handler",
			 row_name(r), r->methods);
	bool open = r->permission == ROUTE_PUBLIC || r->permission == ROUTE_SIGNED_IN ||
		    r->permission == ROUTE_ADMIN || r->permission == ROUTE_SELF;
	if (!open && (r->resource == ROUTE_NO_RESOURCE || r->locate == ROUTE_ID_NONE))
		fail_msg("row %s needs permission %d on nothing", row_name(r), r->permission);
	if ((r->resource == ROUTE_NO_RESOURCE) != (r->locate == ROUTE_ID_NONE))
		fail_msg("row %s: a resource without a locator, or a locator without one", row_name(r));
	switch (r->locate) {
	case ROUTE_ID_QUERY:
	case ROUTE_ID_BODY:
	case ROUTE_ID_PARAM:
	case ROUTE_ID_DERIVED:
		if (!r->id || !*r->id)
			fail_msg("row %s does not name its id", row_name(r));
		break;
	case ROUTE_ID_PATH:
		if (!r->id || (r->match != ROUTE_PREFIX && router_segment_index(r, r->id) < 0))
			fail_msg("row %s: no path segment {%s}", row_name(r), r->id ? r->id : "?");
		break;
	default:
		break;
	}
	if (r->match == ROUTE_ANY ? r->rank != ROUTE_DEFAULT : !r->path)
		fail_msg("row %s: only the default row matches every path", row_name(r));
}

static void test_every_row_says_what_it_needs(void **state)
{
	(void)state;
	size_t rows = 0, defaults = 0;
	EACH_ROW(r)
	{
		rows++;
		check_row(r);
		defaults += r->rank == ROUTE_DEFAULT;
	}
	assert_int_equal(defaults, 1);
	assert_true(rows >= 70);
	/* the scoring server's rows (`models serve`) follow the same rules */
	for (size_t i = 0; i < scoring_routes_n; i++) {
		check_row(&scoring_routes[i]);
		assert_int_equal(scoring_routes[i].permission, ROUTE_PUBLIC);
	}
	assert_int_equal(scoring_routes_n, 4);
}

/* A path row `r` matches, as the request path a client would send. */
static void sample_path(const struct route *r, char *out, size_t cap)
{
	const char *mount = r->at == ROUTE_AT_API ? "/api/2.0" : "";
	size_t n = (size_t)snprintf(out, cap, "%s", mount);
	for (const char *p = r->path; *p && n + 8 < cap;) {
		if (*p == '{') {
			n += (size_t)snprintf(out + n, cap - n, "x1");
			p = strchr(p, '}') + 1;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	if (r->match == ROUTE_PREFIX)
		snprintf(out + n, cap - n, "/0/r/f.txt");
}

static void test_no_two_rows_answer_the_same_request(void **state)
{
	(void)state;
	struct app app = { .static_prefix = "" };
	size_t checked = 0;
	EACH_ROW(r)
	{
		char path[512];
		if (r->rank != ROUTE_ORDINARY)
			continue;
		sample_path(r, path, sizeof(path));
		struct http_request req = { .method = HTTP_GET, .raw_path = path, .path = path };
		struct router_view v;
		struct route_hit hit;
		api_router_view(&app, &req, &v);
		assert_true(router_row_matches(r, &v, &hit));
		EACH_ROW(o)
		{
			if (o == r || o->rank != ROUTE_ORDINARY || !(o->methods & r->methods))
				continue;
			if (router_row_matches(o, &v, &hit))
				fail_msg("%s and %s both answer %s for methods %#x", row_name(r), row_name(o), path,
					 r->methods & o->methods);
		}
		checked++;
	}
	assert_true(checked >= 70);
}

struct answer {
	struct arena a;
	struct http_response resp;
	json_t *json;
};

static void ask(struct answer *ans, const char *static_prefix, const char *method, const char *path)
{
	static struct app app;
	app = (struct app){ .static_prefix = static_prefix };
	memset(ans, 0, sizeof(*ans));
	ans->resp = (struct http_response){ .status = 200, .body = BUF_INIT, .fd = -1 };
	struct http_request req = { .method = http_method_of(method), .method_name = method, .raw_path = path,
				    .path = http_decode(&ans->a, path, false, NULL), .body = "", .arena = &ans->a };
	api_handle(&app, &req, &ans->resp);
	if (ans->resp.content_type && !strcmp(ans->resp.content_type, "application/json") && ans->resp.body.len)
		ans->json = json_loadb(ans->resp.body.ptr, ans->resp.body.len, 0, NULL);
}

static void done(struct answer *ans)
{
	json_decref(ans->json);
	buf_release(&ans->resp.body);
	arena_release(&ans->a);
}

static const char *header(const struct answer *ans, const char *name)
{
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS && ans->resp.header_names[i]; i++)
		if (!strcmp(ans->resp.header_names[i], name))
			return ans->resp.header_values[i];
	return NULL;
}

static void assert_not_found(const char *prefix, const char *method, const char *path)
{
	struct answer ans;
	char want[512];
	ask(&ans, prefix, method, path);
	assert_int_equal(ans.resp.status, 404);
	assert_non_null(ans.json);
	assert_string_equal(json_string_value(json_object_get(ans.json, "error_code")), "ENDPOINT_NOT_FOUND");
	snprintf(want, sizeof(want), "No endpoint %s %s", method, path);
	assert_string_equal(json_string_value(json_object_get(ans.json, "message")), want);
	done(&ans);
}

static void assert_answer(const char *prefix, const char *method, const char *path, int status, const char *body)
{
	struct answer ans;
	ask(&ans, prefix, method, path);
	assert_int_equal(ans.resp.status, status);
	if (body) {
		assert_int_equal(ans.resp.body.len, strlen(body));
		assert_memory_equal(ans.resp.body.ptr, body, strlen(body));
	}
	done(&ans);
}

static void assert_allow(const char *method, const char *path, const char *allow)
{
	struct answer ans;
	ask(&ans, "", method, path);
	assert_int_equal(ans.resp.status, 200);
	assert_int_equal(ans.resp.body.len, 0);
	assert_non_null(header(&ans, "Allow"));
	assert_string_equal(header(&ans, "Allow"), allow);
	done(&ans);
}

static void test_unknown_paths_are_404_json(void **state)
{
	(void)state;
	assert_not_found("", "GET", "/api/2.0/mlflow/nope");
	assert_not_found("", "POST", "/ajax-api/2.0/mlflow/runs/nope");
	assert_not_found("", "GET", "/api/3.0/mlflow/traces");
	assert_not_found("", "POST", "/");            /* the UI answers GET and HEAD only */
	assert_not_found("", "DELETE", "/assets/x.js");
	assert_not_found("", "GET", "/assets/missing.js");
	assert_not_found("/p", "GET", "/api/2.0/mlflow/experiments/get"); /* outside the prefix */
	/* below /logged-models/ every path is known: a served method gets 404 JSON */
	assert_not_found("", "GET", "/api/2.0/mlflow/logged-models/m-1/unknown");
	assert_not_found("", "DELETE", "/api/2.0/mlflow/logged-models/m-1/params");
	assert_not_found("", "GET", "/api/2.0/mlflow/logged-models/");
}

static void test_wrong_methods_are_405(void **state)
{
	(void)state;
	assert_answer("", "PUT", "/api/2.0/mlflow/experiments/create", 405, "Method Not Allowed");
	assert_answer("", "GET", "/ajax-api/2.0/mlflow/runs/log-batch", 405, "Method Not Allowed");
	assert_answer("", "PATCH", "/api/2.0/mlflow/registered-models/alias", 405, "Method Not Allowed");
	assert_answer("", "PUT", "/api/2.0/mlflow/logged-models/m-1", 405, "Method Not Allowed");
	assert_answer("", "PUT", "/api/2.0/mlflow/logged-models/m-1/x/y", 405, "Method Not Allowed");
	assert_answer("", "POST", "/get-artifact", 405, "Method Not Allowed");
	assert_answer("", "OPTIONS", "/model-versions/get-artifact", 405, "Method Not Allowed"); /* no Allow outside the API */
	assert_answer("/p", "DELETE", "/p/get-artifact", 405, "Method Not Allowed");
}

static void test_options_and_head(void **state)
{
	(void)state;
	assert_allow("OPTIONS", "/api/2.0/mlflow/registered-models/alias", "DELETE, GET, HEAD, OPTIONS, POST");
	assert_allow("OPTIONS", "/ajax-api/2.0/mlflow/experiments/search", "GET, HEAD, OPTIONS, POST");
	assert_allow("OPTIONS", "/api/2.0/mlflow/logged-models/m-1", "DELETE, GET, HEAD, OPTIONS, PATCH, POST");
	assert_allow("OPTIONS", "/api/2.0/mlflow-artifacts/artifacts/0/r/f", "DELETE, GET, HEAD, OPTIONS, PUT");
	assert_answer("", "HEAD", "/health", 200, "OK");
	assert_answer("", "POST", "/health", 200, "OK");
	assert_answer("/p", "GET", "/health", 200, "OK"); /* probes need not know the prefix */
	assert_answer("/p", "FOO", "/p/health", 200, "OK");
	assert_answer("", "GET", "/version", 200, MLF_MLFLOW_COMPAT_VERSION);
	assert_answer("", "HEAD", "/", 200, NULL); /* the UI's index.html */

	struct app app = { .static_prefix = "" };
	struct route_lookup lk;
	struct http_request req = { .method = HTTP_HEAD, .raw_path = "/api/2.0/mlflow/experiments/get",
				    .path = "/api/2.0/mlflow/experiments/get" };
	api_route_lookup(&app, &req, &lk);
	assert_non_null(lk.route);
	assert_ptr_equal(lk.route->handler, api_experiments_get);
}

/* The row and segments a request reaches. */
static void assert_routed(const char *method, const char *path, route_handler_fn want, const char *model_id,
			  const char *key)
{
	struct app app = { .static_prefix = "" };
	struct arena a = ARENA_INIT;
	struct route_lookup lk;
	struct http_request req = { .method = http_method_of(method), .raw_path = path,
				    .path = http_decode(&a, path, false, NULL), .arena = &a };
	api_route_lookup(&app, &req, &lk);
	assert_non_null(lk.route);
	assert_ptr_equal(lk.route->handler, want);
	struct mlf_err err;
	struct api_ctx c = { .app = &app, .req = &req, .a = &a, .err = &err, .route = lk.route, .hit = &lk.hit };
	if (model_id) {
		assert_non_null(api_path_segment(&c, "model_id"));
		assert_string_equal(api_path_segment(&c, "model_id"), model_id);
	}
	if (key)
		assert_string_equal(api_path_segment(&c, "key"), key);
	else
		assert_null(api_path_segment(&c, "key"));
	arena_release(&a);
}

static void test_one_handler_per_method(void **state)
{
	(void)state;
	const char *lm = "/api/2.0/mlflow/logged-models/m-1";
	char p[256];
	assert_routed("GET", lm, api_logged_model_get, "m-1", NULL);
	assert_routed("HEAD", lm, api_logged_model_get, "m-1", NULL);
	assert_routed("PATCH", lm, api_logged_model_finalize, "m-1", NULL);
	assert_routed("DELETE", lm, api_logged_model_delete, "m-1", NULL);
	snprintf(p, sizeof(p), "%s/tags", lm);
	assert_routed("PATCH", p, api_logged_model_set_tags, "m-1", NULL);
	snprintf(p, sizeof(p), "%s/tags/a%%20b", lm);
	assert_routed("DELETE", p, api_logged_model_delete_tag, "m-1", "a%20b");
	snprintf(p, sizeof(p), "%s/params", lm);
	assert_routed("POST", p, api_logged_model_log_params, "m-1", NULL);
	snprintf(p, sizeof(p), "%s/artifacts/directories", lm);
	assert_routed("GET", p, api_logged_model_artifacts, "m-1", NULL);
	assert_routed("POST", "/api/2.0/mlflow/logged-models/search", api_logged_model_search, NULL, NULL);
	assert_routed("GET", "/api/2.0/mlflow/logged-models/search", api_logged_model_get, "search", NULL);
	assert_routed("GET", "/api/2.0/mlflow/logged-models/m-1/tags/k", api_logged_model_unknown, NULL, NULL);
	assert_routed("POST", "/api/2.0/mlflow/registered-models/alias", api_registry_alias_set, NULL, NULL);
	assert_routed("DELETE", "/api/2.0/mlflow/registered-models/alias", api_registry_alias_delete, NULL, NULL);
	assert_routed("GET", "/ajax-api/2.0/mlflow/registered-models/alias", api_registry_alias_get, NULL, NULL);
	assert_routed("GET", "/api/2.0/mlflow-artifacts/artifacts/0/r/f", api_proxy_download, NULL, NULL);
	assert_routed("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/r/f", api_proxy_upload, NULL, NULL);
	assert_routed("DELETE", "/api/2.0/mlflow-artifacts/artifacts/0/r/f", api_proxy_delete, NULL, NULL);
	assert_routed("GET", "/api/2.0/mlflow-artifacts/artifacts", api_proxy_list, NULL, NULL);
	assert_routed("GET", "/get-artifact", api_get_artifact, NULL, NULL);
}

/* What the permission columns say for a few rows MLflow's basic-auth app
 * is explicit about. */
static void assert_needs(const char *method, const char *path, enum route_permission perm,
			 enum route_resource resource)
{
	struct app app = { .static_prefix = "" };
	struct route_lookup lk;
	struct http_request req = { .method = http_method_of(method), .raw_path = path, .path = path };
	api_route_lookup(&app, &req, &lk);
	assert_non_null(lk.route);
	assert_int_equal(lk.route->permission, perm);
	assert_int_equal(lk.route->resource, resource);
}

static void test_permissions_follow_mlflow(void **state)
{
	(void)state;
	assert_needs("GET", "/health", ROUTE_PUBLIC, ROUTE_NO_RESOURCE);
	assert_needs("GET", "/api/2.0/mlflow/experiments/get", ROUTE_READ, ROUTE_EXPERIMENT);
	assert_needs("POST", "/api/2.0/mlflow/experiments/update", ROUTE_EDIT, ROUTE_EXPERIMENT);
	assert_needs("POST", "/api/2.0/mlflow/experiments/delete", ROUTE_MANAGE, ROUTE_EXPERIMENT);
	assert_needs("POST", "/api/2.0/mlflow/runs/log-batch", ROUTE_EDIT, ROUTE_RUN);
	assert_needs("DELETE", "/api/2.0/mlflow/model-versions/delete-tag", ROUTE_MANAGE, ROUTE_REGISTERED_MODEL);
	assert_needs("DELETE", "/api/2.0/mlflow/registered-models/delete-tag", ROUTE_EDIT, ROUTE_REGISTERED_MODEL);
	assert_needs("DELETE", "/api/2.0/mlflow/logged-models/m/tags/k", ROUTE_MANAGE, ROUTE_LOGGED_MODEL);
	assert_needs("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/r/f", ROUTE_EDIT, ROUTE_ARTIFACT);
	assert_needs("DELETE", "/api/2.0/mlflow-artifacts/artifacts/0/r/f", ROUTE_MANAGE, ROUTE_ARTIFACT);
	assert_needs("POST", "/api/2.0/mlflow/experiments/create", ROUTE_SIGNED_IN, ROUTE_NO_RESOURCE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_says_what_it_needs),
		cmocka_unit_test(test_no_two_rows_answer_the_same_request),
		cmocka_unit_test(test_unknown_paths_are_404_json),
		cmocka_unit_test(test_wrong_methods_are_405),
		cmocka_unit_test(test_options_and_head),
		cmocka_unit_test(test_one_handler_per_method),
		cmocka_unit_test(test_permissions_follow_mlflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
