/*
 * test_security.c - the browser-protection rules without a server: which
 * Host headers the default set and a configured list allow (ports, IPv6
 * brackets, globs, case, private ranges as IP literals only), which
 * origins count as localhost or the server's own, which requests are
 * refused before routing (exempt paths, state-changing methods, API paths
 * under a static prefix, preflights), and the headers of the answers
 * (403 bodies, preflight CORS headers, X-Frame-Options, the UI's CSP,
 * OPTIONS 204).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/security.h"
#include "base/log.h"
#include "http/http.h"

static struct security_policy policy(const char *hosts, const char *origins, const char *xfo)
{
	struct security_policy p;
	struct mlf_err err;
	assert_int_equal(security_policy_init(&p, hosts, origins, xfo, &err), 0);
	return p;
}

static const char *header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS && resp->header_names[i]; i++)
		if (strcmp(resp->header_names[i], name) == 0)
			return resp->header_values[i];
	return NULL;
}

static struct http_response response(void)
{
	return (struct http_response){ .status = 200, .body = BUF_INIT, .fd = -1 };
}

static void test_default_hosts(void **state)
{
	(void)state;
	struct security_policy p = policy(NULL, NULL, NULL);
	static const char *const yes[] = {
		"localhost", "localhost:5000", "LocalHost:1", "127.0.0.1", "127.0.0.1:65535", "0.0.0.0:5000",
		"[::1]", "[::1]:5000", "[0:0:0:0:0:0:0:1]:80", "10.0.0.1", "10.255.255.255:8080", "172.16.0.1",
		"172.31.255.255:1", "192.168.0.1", "192.168.255.255:5000", "[fc00::1]", "[fdab:cdef::2]:5000",
	};
	static const char *const no[] = {
		"", "evil.example", "evil.example:5000", "localhost.evil.example", "10.evil.example",
		"192.168.1.1.evil.example", "10.0.0.1.nip.io", "172.15.0.1", "172.32.0.1", "192.169.0.1", "11.0.0.1",
		"8.8.8.8", "127.0.0.2", "010.0.0.1", "10.0.1", "localhost:", "localhost:abc", "localhost:5000:1",
		"localhost:123456", "[::1", "[::1]x", "[::1]:", "[::2]", "[fe80::1]", "[2001:db8::1]:5000", "::1",
		"[10.0.0.1]", "10.0.0.1 ", " localhost",
	};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!security_host_allowed(&p, yes[i]))
			fail_msg("default hosts refuse '%s'", yes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (security_host_allowed(&p, no[i]))
			fail_msg("default hosts allow '%s'", no[i]);
	assert_false(security_host_allowed(&p, NULL));
	security_policy_free(&p);
	/* an empty list or one of only commas is the default too */
	p = policy(" , ,", NULL, NULL);
	assert_true(security_host_allowed(&p, "10.1.1.1:5000"));
	assert_false(security_host_allowed(&p, "evil.example"));
	security_policy_free(&p);
}

static void test_host_list(void **state)
{
	(void)state;
	struct security_policy p = policy("mlflow.example.com,  *.corp.example ,10.0.0.100:5000,,app-?.x", NULL, NULL);
	assert_int_equal(p.n_hosts, 4);
	assert_true(security_host_allowed(&p, "mlflow.example.com"));
	assert_true(security_host_allowed(&p, "MLFLOW.example.COM"));
	assert_false(security_host_allowed(&p, "mlflow.example.com:5000")); /* exact means exact */
	assert_true(security_host_allowed(&p, "a.corp.example"));
	assert_true(security_host_allowed(&p, "a.b.corp.example"));
	assert_false(security_host_allowed(&p, "corp.example"));
	assert_false(security_host_allowed(&p, "a.corp.example:80"));
	assert_true(security_host_allowed(&p, "10.0.0.100:5000"));
	assert_false(security_host_allowed(&p, "10.0.0.100"));
	/* without '*' the other glob characters are plain */
	assert_true(security_host_allowed(&p, "app-?.x"));
	assert_false(security_host_allowed(&p, "app-1.x"));
	/* the default set is replaced */
	assert_false(security_host_allowed(&p, "localhost"));
	assert_false(security_host_allowed(&p, ""));
	assert_false(security_host_allowed(&p, NULL));
	security_policy_free(&p);

	p = policy("[[]::1]:*,x.example", NULL, NULL); /* MLflow's escaped bracket */
	assert_true(security_host_allowed(&p, "[::1]:5000"));
	security_policy_free(&p);

	p = policy("x.example, *", NULL, NULL);
	assert_true(p.any_host);
	assert_true(security_host_allowed(&p, "anything.example"));
	assert_true(security_host_allowed(&p, NULL)); /* no check at all, as MLflow with "*" */
	security_policy_free(&p);
}

static void test_origins(void **state)
{
	(void)state;
	static const char *const local[] = {
		"http://localhost", "http://localhost:3000", "https://LOCALHOST:1", "http://127.0.0.1:8080",
		"http://[::1]:5000", "http://[::1]", "http://user@localhost:3000", "http://localhost/path",
		"http://evil.example@localhost",
	};
	static const char *const foreign[] = {
		"", "null", "localhost", "http://localhost.evil.example", "http://localhost@evil.example",
		"http://127.0.0.1.evil.example", "http://[::2]:5000", "http://[::1", "http://evil.example#@localhost",
		"http://evil.example/?@localhost", "http://127.0.0.2",
	};
	for (size_t i = 0; i < ARRAY_SIZE(local); i++)
		if (!security_is_localhost_origin(local[i]))
			fail_msg("'%s' is not taken for localhost", local[i]);
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++)
		if (security_is_localhost_origin(foreign[i]))
			fail_msg("'%s' is taken for localhost", foreign[i]);
	assert_false(security_is_localhost_origin(NULL));

	struct security_policy p = policy(NULL, "https://app.example.com, https://*.tools.example", NULL);
	assert_true(security_origin_allowed(&p, "https://app.example.com", "127.0.0.1:5000"));
	assert_true(security_origin_allowed(&p, "https://nb.tools.example", NULL));
	assert_false(security_origin_allowed(&p, "http://app.example.com", NULL));
	assert_false(security_origin_allowed(&p, "https://app.example.com.evil.example", NULL));
	assert_true(security_origin_allowed(&p, "http://localhost:3000", NULL));
	/* the server's own origin: its authority is the Host header */
	assert_true(security_origin_allowed(&p, "http://192.168.1.5:5000", "192.168.1.5:5000"));
	assert_true(security_origin_allowed(&p, "https://mlflow.corp.example", "MLflow.corp.example"));
	assert_false(security_origin_allowed(&p, "http://192.168.1.6:5000", "192.168.1.5:5000"));
	assert_false(security_origin_allowed(&p, "http://192.168.1.5:5001", "192.168.1.5:5000"));
	assert_false(security_origin_allowed(&p, "ftp://192.168.1.5:5000", "192.168.1.5:5000"));
	assert_false(security_origin_allowed(&p, "http://evil.example", ""));
	assert_false(security_origin_allowed(&p, "http://evil.example", NULL));
	assert_false(security_origin_allowed(&p, NULL, "x"));
	security_policy_free(&p);

	p = policy(NULL, "*", NULL);
	assert_true(p.any_origin);
	assert_true(security_origin_allowed(&p, "https://anywhere.example", NULL));
	security_policy_free(&p);
}

static void test_api_paths(void **state)
{
	(void)state;
	assert_true(security_is_api_path("", "/api/2.0/mlflow/runs/create"));
	assert_true(security_is_api_path("", "/ajax-api/2.0/mlflow/runs/create"));
	assert_true(security_is_api_path("", "/ajax-api/3.0/mlflow/x"));
	assert_false(security_is_api_path("", "/api"));
	assert_false(security_is_api_path("", "/apix/1"));
	assert_false(security_is_api_path("", "/get-artifact"));
	assert_false(security_is_api_path("", "/"));
	assert_true(security_is_api_path("/mlflow", "/mlflow/api/2.0/mlflow/runs/create"));
	assert_true(security_is_api_path("/mlflow", "/api/2.0/mlflow/runs/create"));
	assert_false(security_is_api_path("/mlflow", "/mlflow/experiments/1"));
}

static void test_check(void **state)
{
	(void)state;
	struct security_policy p = policy(NULL, NULL, NULL);
	struct security_request r = { .method = HTTP_GET, .path = "/", .host = "evil.example" };
	assert_int_equal(security_check(&p, "", &r), SECURITY_BAD_HOST);
	r.host = NULL;
	assert_int_equal(security_check(&p, "", &r), SECURITY_BAD_HOST);
	/* /health and /version, bare or under the prefix, are exempt */
	static const char *const exempt[] = { "/health", "/version", "/p/health", "/p/version" };
	for (size_t i = 0; i < ARRAY_SIZE(exempt); i++) {
		r.path = exempt[i];
		assert_int_equal(security_check(&p, "/p", &r), SECURITY_PASS);
	}
	r.path = "/healthz";
	assert_int_equal(security_check(&p, "/p", &r), SECURITY_BAD_HOST);

	/* writes to the API from a foreign origin */
	r = (struct security_request){ .method = HTTP_POST, .path = "/api/2.0/mlflow/experiments/create",
				       .host = "127.0.0.1:5000", .origin = "http://evil.example" };
	static const unsigned writes[] = { HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_PATCH };
	for (size_t i = 0; i < ARRAY_SIZE(writes); i++) {
		r.method = writes[i];
		assert_int_equal(security_check(&p, "", &r), SECURITY_CROSS_ORIGIN);
	}
	r.method = HTTP_GET;
	assert_int_equal(security_check(&p, "", &r), SECURITY_PASS);
	r.method = HTTP_HEAD;
	assert_int_equal(security_check(&p, "", &r), SECURITY_PASS);
	r.method = HTTP_POST;
	r.path = "/some-ui-path"; /* only API paths are guarded */
	assert_int_equal(security_check(&p, "", &r), SECURITY_PASS);
	r.path = "/p/ajax-api/2.0/mlflow/runs/delete";
	assert_int_equal(security_check(&p, "/p", &r), SECURITY_CROSS_ORIGIN);
	r.origin = "";
	assert_int_equal(security_check(&p, "/p", &r), SECURITY_PASS);
	r.origin = NULL;
	assert_int_equal(security_check(&p, "/p", &r), SECURITY_PASS);
	r.origin = "http://localhost:3000";
	assert_int_equal(security_check(&p, "/p", &r), SECURITY_PASS);
	r.origin = "http://127.0.0.1:5000";
	assert_int_equal(security_check(&p, "/p", &r), SECURITY_PASS);

	/* a preflight is answered by the policy; the Host check comes first */
	r = (struct security_request){ .method = HTTP_OPTIONS, .path = "/api/2.0/mlflow/runs/create",
				       .host = "localhost", .origin = "http://evil.example", .preflight_method = "POST" };
	assert_int_equal(security_check(&p, "", &r), SECURITY_PREFLIGHT);
	r.host = "evil.example";
	assert_int_equal(security_check(&p, "", &r), SECURITY_BAD_HOST);
	r.host = "localhost";
	r.preflight_method = NULL; /* a plain OPTIONS is routed */
	assert_int_equal(security_check(&p, "", &r), SECURITY_PASS);
	security_policy_free(&p);

	p = policy("*", "*", NULL);
	r = (struct security_request){ .method = HTTP_DELETE, .path = "/api/2.0/x", .host = NULL,
				       .origin = "http://evil.example" };
	assert_int_equal(security_check(&p, "", &r), SECURITY_PASS);
	security_policy_free(&p);
}

static void test_answers(void **state)
{
	(void)state;
	struct security_policy p = policy(NULL, NULL, NULL);
	struct security_request r = { .method = HTTP_GET, .path = "/", .host = "evil.example" };
	struct http_response resp = response();

	security_answer(&p, SECURITY_BAD_HOST, &r, &resp);
	assert_int_equal(resp.status, 403);
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	assert_string_equal(resp.body.ptr, "Invalid Host header - possible DNS rebinding attack detected");
	buf_release(&resp.body);

	resp = response();
	security_answer(&p, SECURITY_CROSS_ORIGIN, &r, &resp);
	assert_int_equal(resp.status, 403);
	assert_string_equal(resp.body.ptr, "Cross-origin request blocked");
	buf_release(&resp.body);

	/* preflights */
	r = (struct security_request){ .method = HTTP_OPTIONS, .path = "/api/2.0/x", .host = "localhost:5000",
				       .origin = "http://localhost:3000", .preflight_method = "PATCH",
				       .preflight_headers = "content-type" };
	resp = response();
	security_answer(&p, SECURITY_PREFLIGHT, &r, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.ptr, "OK");
	assert_string_equal(header(&resp, "Access-Control-Allow-Origin"), "http://localhost:3000");
	assert_string_equal(header(&resp, "Access-Control-Allow-Methods"), "GET, POST, PUT, DELETE, OPTIONS, PATCH");
	assert_string_equal(header(&resp, "Access-Control-Allow-Headers"), "content-type");
	assert_string_equal(header(&resp, "Access-Control-Allow-Credentials"), "true");
	assert_string_equal(header(&resp, "Access-Control-Max-Age"), "600");
	assert_string_equal(header(&resp, "Vary"), "Origin");
	/* the finishing touches keep the preflight's 200 */
	security_finish(&p, "", &r, false, &resp);
	assert_int_equal(resp.status, 200);
	buf_release(&resp.body);

	r.origin = "http://evil.example";
	resp = response();
	security_answer(&p, SECURITY_PREFLIGHT, &r, &resp);
	assert_int_equal(resp.status, 400);
	assert_string_equal(resp.body.ptr, "Disallowed CORS origin");
	assert_null(header(&resp, "Access-Control-Allow-Origin"));
	buf_release(&resp.body);

	r.preflight_method = "HEAD";
	resp = response();
	security_answer(&p, SECURITY_PREFLIGHT, &r, &resp);
	assert_string_equal(resp.body.ptr, "Disallowed CORS origin, method");
	buf_release(&resp.body);
	r.origin = "http://localhost";
	resp = response();
	security_answer(&p, SECURITY_PREFLIGHT, &r, &resp);
	assert_string_equal(resp.body.ptr, "Disallowed CORS method");
	buf_release(&resp.body);
	security_policy_free(&p);

	/* "*": any origin, no credentials, every method */
	p = policy(NULL, "*", NULL);
	resp = response();
	security_answer(&p, SECURITY_PREFLIGHT, &r, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(header(&resp, "Access-Control-Allow-Origin"), "*");
	assert_null(header(&resp, "Access-Control-Allow-Credentials"));
	buf_release(&resp.body);
	security_policy_free(&p);
}

static void test_finish(void **state)
{
	(void)state;
	struct security_policy p = policy(NULL, NULL, NULL);
	struct security_request r = { .method = HTTP_GET, .path = "/", .host = "localhost" };
	struct http_response resp = response();

	security_finish(&p, "", &r, true, &resp);
	assert_string_equal(header(&resp, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(header(&resp, "X-Frame-Options"), "SAMEORIGIN");
	const char *csp = header(&resp, "Content-Security-Policy");
	assert_non_null(csp);
	assert_non_null(strstr(csp, "default-src 'self'"));
	assert_non_null(strstr(csp, "script-src 'self';"));
	assert_non_null(strstr(csp, "style-src 'self';"));
	assert_non_null(strstr(csp, "frame-ancestors 'self'"));
	assert_null(strstr(csp, "unsafe"));
	assert_null(header(&resp, "Access-Control-Allow-Origin"));
	buf_release(&resp.body);

	/* nosniff is not doubled; no CSP on other answers */
	resp = response();
	http_response_header(&resp, "X-Content-Type-Options", "nosniff");
	security_finish(&p, "", &r, false, &resp);
	assert_null(header(&resp, "Content-Security-Policy"));
	size_t n = 0;
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS && resp.header_names[i]; i++)
		n += strcmp(resp.header_names[i], "X-Content-Type-Options") == 0;
	assert_int_equal(n, 1);
	buf_release(&resp.body);

	/* an allowed origin gets its CORS headers, a foreign one none */
	r.origin = "http://localhost:3000";
	resp = response();
	security_finish(&p, "", &r, false, &resp);
	assert_string_equal(header(&resp, "Access-Control-Allow-Origin"), "http://localhost:3000");
	assert_string_equal(header(&resp, "Access-Control-Allow-Credentials"), "true");
	buf_release(&resp.body);
	r.origin = "http://evil.example";
	resp = response();
	security_finish(&p, "", &r, false, &resp);
	assert_null(header(&resp, "Access-Control-Allow-Origin"));
	buf_release(&resp.body);

	/* OPTIONS answered 200 on an API path becomes 204 without a body */
	r = (struct security_request){ .method = HTTP_OPTIONS, .path = "/p/api/2.0/x", .host = "localhost" };
	resp = response();
	buf_adds(&resp.body, "ignored");
	security_finish(&p, "/p", &r, false, &resp);
	assert_int_equal(resp.status, 204);
	assert_int_equal(resp.body.len, 0);
	buf_release(&resp.body);
	r.path = "/p/experiments";
	resp = response();
	security_finish(&p, "/p", &r, false, &resp);
	assert_int_equal(resp.status, 200);
	buf_release(&resp.body);
	r.path = "/api/2.0/x";
	resp = response();
	resp.status = 405;
	security_finish(&p, "", &r, false, &resp);
	assert_int_equal(resp.status, 405);
	buf_release(&resp.body);
	security_policy_free(&p);
}

static void test_frame_options(void **state)
{
	(void)state;
	static const struct {
		const char *value, *header, *ancestors;
	} cases[] = {
		{ NULL, "SAMEORIGIN", "frame-ancestors 'self'" }, { "sameorigin", "SAMEORIGIN", "frame-ancestors 'self'" },
		{ "DENY", "DENY", "frame-ancestors 'none'" },	 { "Deny", "DENY", "frame-ancestors 'none'" },
		{ "NONE", NULL, NULL },			 { "none", NULL, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct security_policy p = policy(NULL, NULL, cases[i].value);
		struct security_request r = { .method = HTTP_GET, .path = "/", .host = "localhost" };
		struct http_response resp = response();
		security_finish(&p, "", &r, true, &resp);
		if (cases[i].header)
			assert_string_equal(header(&resp, "X-Frame-Options"), cases[i].header);
		else
			assert_null(header(&resp, "X-Frame-Options"));
		const char *csp = header(&resp, "Content-Security-Policy");
		if (cases[i].ancestors)
			assert_non_null(strstr(csp, cases[i].ancestors));
		else
			assert_null(strstr(csp, "frame-ancestors"));
		buf_release(&resp.body);
		security_policy_free(&p);
	}
	struct security_policy p;
	struct mlf_err err;
	assert_int_equal(security_policy_init(&p, "a", "b", "ALLOW-FROM x", &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(err.msg, "SAMEORIGIN, DENY or NONE"));
	assert_null(p.hosts); /* nothing to free after a failure */
	security_policy_free(&p);
	security_policy_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_hosts), cmocka_unit_test(test_host_list), cmocka_unit_test(test_origins),
		cmocka_unit_test(test_api_paths),     cmocka_unit_test(test_check),     cmocka_unit_test(test_answers),
		cmocka_unit_test(test_finish),	      cmocka_unit_test(test_frame_options),
	};
	log_set_level(LOG_ERROR); /* refusals are logged as warnings */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
