/*
 * fuzz_http_request.c - libFuzzer target for what a request line carries
 * before any handler runs: percent-decoding of the path and of the query
 * (src/http/http.h, http_decode and http_query_add), route matching
 * (src/http/router.h over src/api/routes.h's tables: api_route_lookup and
 * api_handle), and the typed
 * parameter getters of src/api/params.c over the query or a JSON body.
 *
 * Input: "METHOD\nURL\nCONTENT-TYPE\nBODY" (missing lines are empty); the
 * URL is split at its first '?' and the query at '&' and the first '='
 * of each pair, as libmicrohttpd hands them over. Besides "no crash, no
 * leak, no undefined behaviour" it asserts: decoding never lengthens a
 * string and reports the decoded length (a %00 makes it longer than the C
 * string, never shorter); no kept query key holds a NUL; route matching
 * gives a row or none, a row that serves the method (the default row only
 * for a path no other row knows), an API row's exact path being the
 * request's below the prefixes, a prefix row's tail inside the raw path
 * right after the row's path and a '/', a pattern row's segments non-empty
 * slash-free pieces of the raw path; api_handle (on an
 * --artifacts-only app without a store, so no handler touches storage,
 * and the web UI from a one-file table) answers a status from 200 to 599
 * and, when JSON, an object with error_code and message (404 for a path
 * holding %00, which would otherwise be cut short); and each getter
 * answers -1, 0 or 1, a refusal being INVALID_PARAMETER_VALUE, a string
 * never holding a NUL it hides (strlen equals the value's decoded
 * length). Seeds: tests/fuzz/corpus/http_request/ (`make fuzz`).
 */
#include "api/api.h"
#include "api/routes.h"
#include "base/buf.h"
#include "fuzz_ui_stub.h"
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

static const struct {
	const char *name;
	enum http_method method;
} methods[] = {
	{ "GET", HTTP_GET },       { "POST", HTTP_POST },     { "PUT", HTTP_PUT },
	{ "PATCH", HTTP_PATCH },   { "DELETE", HTTP_DELETE }, { "HEAD", HTTP_HEAD },
	{ "OPTIONS", HTTP_OPTIONS },
};

/* Cuts the next '\n'-terminated line off *p (NUL-terminated copy in a). */
static char *next_line(char **p, char *end)
{
	char *s = *p;
	if (s >= end)
		return s;
	char *nl = memchr(s, '\n', (size_t)(end - s));
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = end;
	}
	return s;
}

static void check_decode(struct arena *a, const char *s, bool plus_space)
{
	size_t len;
	char *d = http_decode(a, s, plus_space, &len);
	CHECK(d && len <= strlen(s) && strlen(d) <= len);
}

static void check_route(const struct app *app, const struct http_request *req, const char *below)
{
	struct route_lookup lk;
	api_route_lookup(app, req, &lk);
	const struct route *r = lk.route;
	if (!r)
		return;
	unsigned method = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	size_t raw_len = strlen(req->raw_path);
	CHECK(r->methods & method);
	/* the default row only answers paths no other row knows */
	CHECK(r->rank == ROUTE_DEFAULT ? lk.path_methods == 0 : (lk.path_methods & r->methods) != 0);
	if (r->at == ROUTE_AT_API)
		CHECK(below != NULL);
	switch (r->match) {
	case ROUTE_PREFIX: {
		size_t plen = strlen(r->path);
		const char *tail = lk.hit.tail;
		CHECK(tail && tail > req->raw_path && tail <= req->raw_path + raw_len);
		CHECK((size_t)(tail - req->raw_path) > plen && tail[-1] == '/');
		CHECK(memcmp(tail - 1 - plen, r->path, plen) == 0);
		break;
	}
	case ROUTE_EXACT:
		CHECK(lk.hit.tail == NULL);
		if (r->at == ROUTE_AT_API)
			CHECK(strcmp(r->path, below) == 0);
		break;
	case ROUTE_PATTERN:
		CHECK(lk.hit.n_seg > 0);
		for (size_t i = 0; i < lk.hit.n_seg; i++) {
			const char *seg = lk.hit.seg[i];
			CHECK(seg > req->raw_path && seg + lk.hit.seg_len[i] <= req->raw_path + raw_len);
			CHECK(lk.hit.seg_len[i] > 0 && !memchr(seg, '/', lk.hit.seg_len[i]) && seg[-1] == '/');
		}
		break;
	case ROUTE_ANY:
		break;
	}
}

/* A getter's answer: -1, 0 or 1, a refusal INVALID_PARAMETER_VALUE with a
 * message (err is reset for the next getter). */
static int checked(int rc, struct mlf_err *err)
{
	CHECK(rc >= -1 && rc <= 1);
	if (rc < 0) {
		CHECK(err->code == MLF_INVALID_PARAMETER_VALUE && err->msg[0]);
		err->code = MLF_INTERNAL_ERROR;
		err->msg[0] = '\0';
	}
	return rc;
}

static void check_getters(const struct app *app, const struct http_request *req)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct api_ctx c = { .app = app, .req = req, .a = req->arena, .err = &err };
	int rc = api_parse_body(&c);
	CHECK(rc == 0 || (rc == -1 && err.code == MLF_INVALID_PARAMETER_VALUE));
	if (rc < 0)
		return;
	CHECK(!c.body || json_is_object(c.body));
	static const char *const names[] = { "run_id", "experiment_id", "max_results", "value", "page_token",
					     "filter", "name", "experiment_ids", "tags", "step" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *s = NULL, **list = NULL;
		int64_t i64 = 7;
		double d;
		bool b;
		size_t n = 0;
		struct store_kv *kv = NULL;
		int r[8];
		(void)r;
		r[0] = checked(param_string(&c, names[i], &s), &err);
		if (r[0] == 0) {
			CHECK(s);
			if (c.use_query) /* the first value of that key, NUL-free in full */
				for (size_t k = 0; k < req->n_query; k++)
					if (strcmp(req->query[k].key, names[i]) == 0) {
						CHECK(strlen(s) == req->query[k].value_len);
						break;
					}
		}
		r[1] = checked(param_id(&c, names[i], &s), &err);
		r[2] = checked(param_int64(&c, names[i], &i64), &err);
		r[3] = checked(param_double(&c, names[i], &d), &err);
		r[4] = checked(param_bool(&c, names[i], &b), &err);
		r[5] = checked(param_string_list(&c, names[i], &list, &n), &err);
		if (r[5] == 0)
			for (size_t k = 0; k < n; k++)
				CHECK(list[k]);
		r[6] = checked(param_kv_list(&c, names[i], &kv, &n), &err);
		if (r[6] == 0)
			for (size_t k = 0; k < n; k++)
				CHECK(kv[k].key);
		r[7] = checked(param_string_required(&c, names[i], &s), &err);
		if (r[7] == 0)
			CHECK(s && *s);
	}
	const char *run;
	rc = checked(param_run_id(&c, &run), &err);
	CHECK(rc == 0 ? run && *run : rc == -1);
	json_decref(c.body);
}

static void check_handle(const struct app *app, const struct http_request *req)
{
	struct http_response resp = { .status = 200, .body = BUF_INIT, .fd = -1 };
	api_handle((void *)app, req, &resp);
	CHECK(resp.status >= 200 && resp.status <= 599);
	CHECK(resp.fd < 0 && !resp.reader);
	if (strstr(req->raw_path, "%00")) /* a path cut short at a NUL names no endpoint */
		CHECK(resp.status == 404);
	if (resp.content_type && strcmp(resp.content_type, "application/json") == 0 && resp.body.len) {
		json_t *v = json_loadb(resp.body.ptr, resp.body.len, 0, NULL);
		CHECK(v && json_is_string(json_object_get(v, "error_code")) &&
		      json_is_string(json_object_get(v, "message")));
		json_decref(v);
	}
	buf_release(&resp.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	char *p = copy, *end = copy + size;
	const char *method_name = next_line(&p, end);
	char *url = next_line(&p, end);
	const char *content_type = next_line(&p, end);
	const char *body = p < end ? p : "";
	size_t body_len = p < end ? (size_t)(end - p) : 0;

	struct arena a = ARENA_INIT;
	struct http_request req = { .method = HTTP_OTHER, .method_name = method_name, .arena = &a };
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strcmp(methods[i].name, method_name) == 0)
			req.method = methods[i].method;

	char *q = strchr(url, '?');
	if (q)
		*q++ = '\0';
	req.raw_path = url;
	check_decode(&a, url, false);
	check_decode(&a, url, true);
	req.path = http_decode(&a, url, false, NULL);

	struct http_param *params = NULL;
	size_t n = 0, cap = 0;
	for (char *pair = q; pair && *pair;) {
		char *amp = strchr(pair, '&');
		if (amp)
			*amp = '\0';
		if (*pair) {
			char *eq = strchr(pair, '=');
			if (eq)
				*eq = '\0';
			size_t before = n;
			http_query_add(&a, &params, &n, &cap, pair, eq ? eq + 1 : NULL);
			CHECK(n == before || n == before + 1);
			if (n > before) {
				const struct http_param *hp = &params[n - 1];
				CHECK(hp->key && hp->value && hp->value_len >= strlen(hp->value));
				CHECK(strlen(hp->key) <= strlen(pair));
			}
		}
		pair = amp ? amp + 1 : NULL;
	}
	req.query = params;
	req.n_query = n;
	req.has_query = n > 0;
	req.content_type = *content_type ? content_type : NULL;
	req.body = body;
	req.body_len = body_len;

	/* with and without a static prefix */
	for (int k = 0; k < 2; k++) {
		struct app app = { .static_prefix = k ? "/p" : "", .artifacts_only = true };
		const char *below = NULL;
		const char *path = req.path;
		if (k) {
			path = strncmp(path, "/p", 2) == 0 ? path + 2 : NULL;
		}
		if (path)
			for (size_t i = 0; i < 2; i++) {
				const char *pre = i ? "/ajax-api/2.0/" : "/api/2.0/";
				if (strncmp(path, pre, strlen(pre)) == 0)
					below = path + strlen(pre) - 1;
			}
		check_route(&app, &req, below);
		check_handle(&app, &req);
		if (k == 0)
			check_getters(&app, &req);
	}

	arena_release(&a);
	free(copy);
	return 0;
}
