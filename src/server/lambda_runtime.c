/*
 * lambda_runtime.c - the Lambda Runtime API loop (see lambda_runtime.h).
 *
 * One curl handle, kept for the life of the runtime (the Runtime API is a
 * local HTTP/1.1 endpoint; keep-alive saves a connect per invocation).
 * The wait for the next event has no timeout: Lambda freezes the process
 * between invocations, and the request simply resumes. Posting an answer
 * has one (30 s), so a wedged API cannot hold the runtime forever.
 */
#include "../base/lazylink.h" /* first: it renames curl's declarations */
#include "lambda_runtime.h"
#include "lambda_event.h"
#include "../base/log.h"
#include <strings.h>

#define API_PREFIX "/2018-06-01/runtime"
#define POST_TIMEOUT_MS 30000L
#define CONNECT_TIMEOUT_MS 10000L

struct rt {
	CURL *curl;
	const char *api;
	struct buf body;      /* the reply being read */
	bool too_large;       /* it passed LAMBDA_MAX_EVENT: the rest was dropped */
	char request_id[256];
	char trace_id[512];
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct rt *rt = user;
	size_t len = size * n;
	if (rt->body.len + len > LAMBDA_MAX_EVENT)
		rt->too_large = true;
	else
		buf_add(&rt->body, data, len);
	return len;
}

/* Copies header `name`'s value (trimmed) into out[size] when `line` is it. */
static void header_copy(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	const char *v = line + nl + 1;
	const char *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	snprintf(out, size, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	struct rt *rt = user;
	size_t len = size * n;
	header_copy(data, len, "Lambda-Runtime-Aws-Request-Id", rt->request_id, sizeof(rt->request_id));
	header_copy(data, len, "Lambda-Runtime-Trace-Id", rt->trace_id, sizeof(rt->trace_id));
	return len;
}

static int curl_fail(const char *what, CURLcode rc, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "the Lambda Runtime API could not be reached (%s): %s",
			  what, curl_easy_strerror(rc));
}

static int rt_open(struct rt *rt, const char *api, struct mlf_err *err)
{
	memset(rt, 0, sizeof(*rt));
	rt->body = (struct buf)BUF_INIT;
	rt->api = api;
	if (!api || !*api)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "AWS_LAMBDA_RUNTIME_API is not set: this command runs inside Lambda (or an emulator)");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rt->curl = curl_easy_init();
	if (!rt->curl)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "libcurl could not be loaded (install libcurl4)");
	return 0;
}

static void rt_close(struct rt *rt)
{
	if (rt->curl)
		curl_easy_cleanup(rt->curl);
	buf_release(&rt->body);
}

/* One request to the API; the reply's body lands in rt->body. Returns the
 * HTTP status, or -1 with err set when the API could not be reached. */
static long rt_request(struct rt *rt, const char *path, const char *body, size_t len, const char *error_type,
		       struct mlf_err *err)
{
	char url[1024];
	snprintf(url, sizeof(url), "http://%s" API_PREFIX "%s", rt->api, path);
	CURL *c = rt->curl;
	curl_easy_reset(c);
	buf_reset(&rt->body);
	rt->too_large = false;
	struct curl_slist *headers = NULL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rt);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rt);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mlflowc-lambda/" MLF_VERSION);
	curl_easy_setopt(c, CURLOPT_PROXY, ""); /* the API is local: never through $http_proxy */
	if (body) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		headers = curl_slist_append(headers, "Expect:");
		if (error_type) {
			char h[160];
			snprintf(h, sizeof(h), "Lambda-Runtime-Function-Error-Type: %s", error_type);
			headers = curl_slist_append(headers, h);
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, POST_TIMEOUT_MS);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK)
		return curl_fail(path, rc, err);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* Lambda's error type: a short token (it goes into a header). */
static void error_type_token(const char *in, char *out, size_t size)
{
	size_t n = 0;
	for (; *in && n + 1 < size; in++) {
		char c = *in;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			  c == '.' || c == '-';
		out[n++] = ok ? c : '_';
	}
	out[n] = '\0';
}

static int rt_post(struct rt *rt, const char *what, const char *doc, size_t len, const char *error_type,
		   struct mlf_err *err)
{
	char path[1024], id[768];
	char *escaped = curl_easy_escape(rt->curl, rt->request_id, 0);
	if (!escaped)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
	snprintf(id, sizeof(id), "%s", escaped);
	curl_free(escaped);
	snprintf(path, sizeof(path), "/invocation/%s/%s", id, what);
	long status = rt_request(rt, path, doc, len, error_type, err);
	if (status < 0)
		return -1;
	if (status == 413) { /* the answer is over Lambda's payload limit: say so instead */
		struct buf e = BUF_INIT;
		lambda_event_error_json("Function.ResponseSizeTooLarge", "the answer is over Lambda's payload limit", &e);
		snprintf(path, sizeof(path), "/invocation/%s/error", id);
		status = rt_request(rt, path, e.ptr, e.len, "Function.ResponseSizeTooLarge", err);
		buf_release(&e);
		if (status < 0)
			return -1;
	}
	if (status < 200 || status > 299)
		return mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE,
				  "the Lambda Runtime API answered %ld to the %s of invocation %s", status, what,
				  rt->request_id);
	return 0;
}

/* Scores one event and posts its answer. */
static int rt_answer(struct rt *rt, lambda_score_fn score, void *ctx, struct mlf_err *err)
{
	struct lambda_request req;
	struct mlf_err uerr;
	struct scoring_answer ans = { .body = BUF_INIT };
	bool refused = lambda_event_unwrap(rt->body.ptr, rt->body.len, &req, &uerr) < 0;
	if (refused) {
		ans.status = mlf_code_http_status(uerr.code);
		ans.content_type = "application/json";
		lambda_event_mlflow_error(uerr.code, uerr.msg, &ans.body);
	} else {
		score(ctx, req.content_type, req.body.ptr, req.body.len, rt->too_large, &ans);
	}
	struct buf doc = BUF_INIT;
	int rc;
	if (req.proxy) {
		lambda_event_proxy_response(ans.status, ans.content_type, ans.body.ptr, ans.body.len, &doc);
		rc = rt_post(rt, "response", doc.ptr, doc.len, NULL, err);
	} else if (ans.status == 200) {
		rc = rt_post(rt, "response", ans.body.ptr, ans.body.len, NULL, err);
	} else {
		char type[128], token[128];
		struct buf msg = BUF_INIT;
		lambda_event_answer_error(ans.status, ans.body.ptr, ans.body.len, type, sizeof(type), &msg);
		error_type_token(type, token, sizeof(token));
		lambda_event_error_json(token, msg.ptr, &doc);
		rc = rt_post(rt, "error", doc.ptr, doc.len, token, err);
		buf_release(&msg);
	}
	buf_release(&doc);
	if (refused)
		buf_release(&ans.body);
	else
		scoring_answer_release(&ans);
	lambda_request_release(&req);
	return rc;
}

int lambda_runtime_run(const char *api, lambda_score_fn score, void *ctx, unsigned long *served,
		       struct mlf_err *err)
{
	struct rt rt;
	if (served)
		*served = 0;
	if (rt_open(&rt, api, err) < 0) {
		rt_close(&rt);
		return -1;
	}
	int rc = 0;
	for (;;) {
		rt.request_id[0] = rt.trace_id[0] = '\0';
		long status = rt_request(&rt, "/invocation/next", NULL, 0, NULL, err);
		if (status < 0) {
			rc = -1;
			break;
		}
		if (status != 200) {
			log_info("the Lambda Runtime API answered %ld for the next invocation: stopping", status);
			break;
		}
		if (!rt.request_id[0]) {
			rc = mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE,
					"the Lambda Runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id");
			break;
		}
		if (rt.trace_id[0])
			setenv("_X_AMZN_TRACE_ID", rt.trace_id, 1);
		else
			unsetenv("_X_AMZN_TRACE_ID");
		if (rt_answer(&rt, score, ctx, err) < 0) {
			rc = -1;
			break;
		}
		if (served)
			(*served)++;
	}
	rt_close(&rt);
	return rc;
}

int lambda_runtime_init_error(const char *api, const char *type, const char *message, struct mlf_err *err)
{
	struct rt rt;
	if (rt_open(&rt, api, err) < 0) {
		rt_close(&rt);
		return -1;
	}
	char token[128];
	error_type_token(type, token, sizeof(token));
	struct buf doc = BUF_INIT;
	lambda_event_error_json(token, message, &doc);
	long status = rt_request(&rt, "/init/error", doc.ptr, doc.len, token, err);
	buf_release(&doc);
	rt_close(&rt);
	if (status < 0)
		return -1;
	if (status < 200 || status > 299)
		return mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "the Lambda Runtime API answered %ld to the init error",
				  status);
	return 0;
}
