/*
 * test_ui.c - the embedded web UI's serving rules without a server:
 * Accept-Encoding weights (RFC 9110 q-values, "*", x-gzip, case, spaces),
 * the choice between the brotli, gzip and identity copies, If-None-Match,
 * which paths the UI answers (prefix, API roots, hashed assets), and the
 * answer itself (MIME type, ETag per copy, 304, Vary, index.html as a
 * template whose ETag names the prefix, and its auth mark). Synthetic assets cover the
 * encodings; the generated table is checked for consistency.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/ui.h"
#include "base/arena.h"
#include "http/http.h"

static const unsigned char js_data[] = "console.log('identity copy');";
static const unsigned char js_gz[] = "GZIP-BYTES";
static const unsigned char js_br[] = "BR-BYTES";
static const unsigned char index_data[] = "<base href=\"__MLFLOWC_BASE__\"><p>__MLFLOWC_BASE__</p>";

static const struct ui_asset js_both = { "/assets/app-1.js", js_data, sizeof(js_data) - 1, js_gz, sizeof(js_gz) - 1,
					 js_br, sizeof(js_br) - 1, "\"h1\"", "\"h1-gz\"", "\"h1-br\"" };
static const struct ui_asset js_gz_only = { "/assets/app-2.js", js_data, sizeof(js_data) - 1, js_gz, sizeof(js_gz) - 1,
					    NULL, 0, "\"h2\"", "\"h2-gz\"", "\"h2-br\"" };
static const struct ui_asset png = { "/assets/logo.PNG", js_data, 4, NULL, 0, NULL, 0, "\"h3\"", "\"h3-gz\"", "\"h3-br\"" };
/* an index.html that (wrongly) has compressed copies: they must not be used */
static const struct ui_asset index_html = { "/index.html", index_data, sizeof(index_data) - 1, js_gz, sizeof(js_gz) - 1,
					    js_br, sizeof(js_br) - 1, "\"h4\"", "\"h4-gz\"", "\"h4-br\"" };

static void test_encoding_weights(void **state)
{
	(void)state;
	assert_int_equal(ui_encoding_weight("gzip", "gzip"), 1000);
	assert_int_equal(ui_encoding_weight("GZip", "gzip"), 1000);
	assert_int_equal(ui_encoding_weight("x-gzip", "gzip"), 1000);
	assert_int_equal(ui_encoding_weight("x-gzip", "br"), 0);
	assert_int_equal(ui_encoding_weight("gzip, deflate, br", "br"), 1000);
	assert_int_equal(ui_encoding_weight("  deflate ,\tbr ;  q=0.5 , gzip", "br"), 500);
	assert_int_equal(ui_encoding_weight("br;q=0.5, gzip", "gzip"), 1000);
	assert_int_equal(ui_encoding_weight("br;Q=0.25", "br"), 250);
	assert_int_equal(ui_encoding_weight("br;q=0.001", "br"), 1);
	assert_int_equal(ui_encoding_weight("br;q=1.000", "br"), 1000);
	assert_int_equal(ui_encoding_weight("br;level=3;q=0.7", "br"), 700);
	/* q=0 refuses, in any spelling */
	assert_false(ui_accepts_encoding("gzip;q=0", "gzip"));
	assert_false(ui_accepts_encoding("gzip;q=0.000", "gzip"));
	assert_false(ui_accepts_encoding("gzip; q=0, br", "gzip"));
	assert_true(ui_accepts_encoding("gzip; q=0, br", "br"));
	/* a malformed q counts as 0 */
	assert_false(ui_accepts_encoding("br;q=2", "br"));
	assert_false(ui_accepts_encoding("br;q=1.5", "br"));
	assert_false(ui_accepts_encoding("br;q=0.0001", "br"));
	assert_false(ui_accepts_encoding("br;q=abc", "br"));
	assert_false(ui_accepts_encoding("br;q=", "br"));
	/* "*" covers codings not listed; a listed coding's entry wins wherever it stands */
	assert_true(ui_accepts_encoding("*", "br"));
	assert_true(ui_accepts_encoding("identity, *;q=0.1", "gzip"));
	assert_false(ui_accepts_encoding("*;q=0", "br"));
	assert_false(ui_accepts_encoding("gzip;q=0, *", "gzip"));
	assert_false(ui_accepts_encoding("*, gzip;q=0", "gzip"));
	assert_true(ui_accepts_encoding("*;q=0, br", "br"));
	/* names are whole tokens */
	assert_false(ui_accepts_encoding("gzipped, brotli, b", "gzip"));
	assert_false(ui_accepts_encoding("gzipped, brotli, b", "br"));
	assert_false(ui_accepts_encoding("identity", "gzip"));
	assert_false(ui_accepts_encoding("", "gzip"));
	assert_false(ui_accepts_encoding(" , ,", "gzip"));
	assert_false(ui_accepts_encoding(NULL, "br"));
	/* the first of repeated entries counts */
	assert_true(ui_accepts_encoding("br, br;q=0", "br"));
}

static void test_choose_encoding(void **state)
{
	(void)state;
	assert_int_equal(ui_choose_encoding(&js_both, "gzip, deflate, br"), UI_BR);
	assert_int_equal(ui_choose_encoding(&js_both, "br"), UI_BR);
	assert_int_equal(ui_choose_encoding(&js_both, "*"), UI_BR);
	assert_int_equal(ui_choose_encoding(&js_both, "gzip"), UI_GZIP);
	assert_int_equal(ui_choose_encoding(&js_both, "x-gzip"), UI_GZIP);
	/* the browser's weights decide; brotli wins ties */
	assert_int_equal(ui_choose_encoding(&js_both, "br;q=0.5, gzip"), UI_GZIP);
	assert_int_equal(ui_choose_encoding(&js_both, "br;q=0.5, gzip;q=0.5"), UI_BR);
	assert_int_equal(ui_choose_encoding(&js_both, "br, gzip;q=0.9"), UI_BR);
	assert_int_equal(ui_choose_encoding(&js_both, "br;q=0, gzip"), UI_GZIP);
	assert_int_equal(ui_choose_encoding(&js_both, "gzip;q=0, br"), UI_BR);
	assert_int_equal(ui_choose_encoding(&js_both, "gzip;q=0, br;q=0"), UI_IDENTITY);
	assert_int_equal(ui_choose_encoding(&js_both, "identity"), UI_IDENTITY);
	assert_int_equal(ui_choose_encoding(&js_both, NULL), UI_IDENTITY);
	/* a copy that was not made is never chosen */
	assert_int_equal(ui_choose_encoding(&js_gz_only, "br"), UI_IDENTITY);
	assert_int_equal(ui_choose_encoding(&js_gz_only, "br, gzip;q=0.1"), UI_GZIP);
	assert_int_equal(ui_choose_encoding(&png, "br, gzip"), UI_IDENTITY);
}

static void test_etag_matches(void **state)
{
	(void)state;
	assert_true(ui_etag_matches("\"h1\"", "\"h1\""));
	assert_true(ui_etag_matches("\"x\", W/\"h1\"", "\"h1\""));
	assert_true(ui_etag_matches(" \"x\" ,\t\"h1\" ", "\"h1\""));
	assert_true(ui_etag_matches("*", "\"h1\""));
	assert_false(ui_etag_matches("\"h1-gz\"", "\"h1\""));
	assert_false(ui_etag_matches("\"h1\"", "\"h1-br\""));
	assert_false(ui_etag_matches("h1", "\"h1\""));
	assert_false(ui_etag_matches("", "\"h1\""));
	assert_false(ui_etag_matches(NULL, "\"h1\""));
	assert_false(ui_etag_matches("\"h1\"", NULL));
}

/* ---- answers ---------------------------------------------------------------------------------- */

struct answer {
	struct arena mem;
	struct http_response resp;
};

static void answer_init(struct answer *r)
{
	memset(r, 0, sizeof(*r));
	r->resp.fd = -1;
	buf_init(&r->resp.body, 0);
}

static void answer_free(struct answer *r)
{
	buf_release(&r->resp.body);
	arena_release(&r->mem);
}

static const char *header(const struct answer *r, const char *name)
{
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS && r->resp.header_names[i]; i++)
		if (!strcmp(r->resp.header_names[i], name))
			return r->resp.header_values[i];
	return NULL;
}

static void serve_auth(struct answer *r, const struct ui_asset *a, const char *prefix, bool auth_on, const char *ae,
		       const char *inm)
{
	answer_free(r);
	answer_init(r);
	ui_serve(a, prefix, auth_on, ae, inm, &r->mem, &r->resp);
}

static void serve(struct answer *r, const struct ui_asset *a, const char *prefix, const char *ae, const char *inm)
{
	serve_auth(r, a, prefix, false, ae, inm);
}

static void assert_body(const struct answer *r, const unsigned char *data, size_t n)
{
	assert_int_equal(r->resp.body.len, n);
	assert_memory_equal(r->resp.body.ptr, data, n);
}

static void test_serve_encodings(void **state)
{
	(void)state;
	struct answer r;
	answer_init(&r);

	serve(&r, &js_both, "", "gzip, deflate, br", NULL);
	assert_int_equal(r.resp.status, 200);
	assert_string_equal(r.resp.content_type, "text/javascript; charset=utf-8");
	assert_string_equal(header(&r, "Content-Encoding"), "br");
	assert_string_equal(header(&r, "ETag"), "\"h1-br\"");
	assert_string_equal(header(&r, "Vary"), "Accept-Encoding");
	assert_string_equal(header(&r, "Cache-Control"), "public, max-age=31536000, immutable");
	assert_string_equal(header(&r, "X-Content-Type-Options"), "nosniff");
	assert_body(&r, js_br, sizeof(js_br) - 1);

	serve(&r, &js_both, "", "br;q=0.5, gzip", NULL);
	assert_string_equal(header(&r, "Content-Encoding"), "gzip");
	assert_string_equal(header(&r, "ETag"), "\"h1-gz\"");
	assert_body(&r, js_gz, sizeof(js_gz) - 1);

	serve(&r, &js_both, "", NULL, NULL);
	assert_null(header(&r, "Content-Encoding"));
	assert_string_equal(header(&r, "ETag"), "\"h1\"");
	assert_string_equal(header(&r, "Vary"), "Accept-Encoding");
	assert_body(&r, js_data, sizeof(js_data) - 1);

	/* nothing to negotiate: no Vary */
	serve(&r, &png, "", "br, gzip", NULL);
	assert_int_equal(r.resp.status, 200);
	assert_string_equal(r.resp.content_type, "image/png");
	assert_null(header(&r, "Vary"));
	assert_null(header(&r, "Content-Encoding"));
	answer_free(&r);
}

static void test_serve_not_modified(void **state)
{
	(void)state;
	struct answer r;
	answer_init(&r);

	/* the copy the client holds is named in the 304, whichever is chosen now */
	static const struct {
		const char *ae, *inm, *etag;
	} cases[] = {
		{ "br", "\"h1-br\"", "\"h1-br\"" },
		{ "br", "\"h1-gz\"", "\"h1-gz\"" },
		{ "gzip", "\"h1\"", "\"h1\"" },
		{ NULL, "\"other\", W/\"h1-br\"", "\"h1-br\"" },
		{ "gzip", "\"h1\", \"h1-gz\"", "\"h1-gz\"" },
		{ "br", "*", "\"h1-br\"" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		serve(&r, &js_both, "", cases[i].ae, cases[i].inm);
		assert_int_equal(r.resp.status, 304);
		assert_int_equal(r.resp.body.len, 0);
		assert_null(header(&r, "Content-Encoding"));
		assert_string_equal(header(&r, "ETag"), cases[i].etag);
	}
	serve(&r, &js_both, "", "br", "\"h2-br\", \"h1-zz\"");
	assert_int_equal(r.resp.status, 200);
	/* a copy that does not exist has no tag to match */
	serve(&r, &js_gz_only, "", "gzip", "\"h2-br\"");
	assert_int_equal(r.resp.status, 200);
	answer_free(&r);
}

static void test_serve_index_template(void **state)
{
	(void)state;
	struct answer r;
	answer_init(&r);
	static const char root[] = "<base href=\"/\"><p>/</p>";
	static const char prefixed[] = "<base href=\"/ml/flow/\"><p>/ml/flow/</p>";

	serve(&r, &index_html, "", "br, gzip", NULL);
	assert_int_equal(r.resp.status, 200);
	assert_string_equal(r.resp.content_type, "text/html; charset=utf-8");
	assert_string_equal(header(&r, "Cache-Control"), "no-cache");
	assert_null(header(&r, "Content-Encoding"));
	assert_null(header(&r, "Vary"));
	assert_string_equal(header(&r, "ETag"), "\"h4\"");
	assert_body(&r, (const unsigned char *)root, strlen(root));

	serve(&r, &index_html, "/ml/flow", "br", NULL);
	assert_int_equal(r.resp.status, 200);
	assert_body(&r, (const unsigned char *)prefixed, strlen(prefixed));
	char *etag = strdup(header(&r, "ETag"));
	assert_true(strncmp(etag, "\"h4-p", 5) == 0 && etag[strlen(etag) - 1] == '"');

	/* revalidation works under the same prefix ... */
	serve(&r, &index_html, "/ml/flow", "br", etag);
	assert_int_equal(r.resp.status, 304);
	assert_string_equal(header(&r, "ETag"), etag);
	/* ... but a page templated for another prefix is stale */
	serve(&r, &index_html, "/ml/other", NULL, etag);
	assert_int_equal(r.resp.status, 200);
	assert_string_not_equal(header(&r, "ETag"), etag);
	serve(&r, &index_html, "/ml/flow", NULL, "\"h4\"");
	assert_int_equal(r.resp.status, 200);
	serve(&r, &index_html, "", NULL, etag);
	assert_int_equal(r.resp.status, 200);
	/* and index.html's compressed copies are never matched */
	serve(&r, &index_html, "", NULL, "\"h4-br\"");
	assert_int_equal(r.resp.status, 200);
	free(etag);
	answer_free(&r);
}

/* index.html says whether auth is on; the two pages have different ETags */
static void test_serve_index_auth_mark(void **state)
{
	(void)state;
	static const unsigned char data[] = "<base href=\"__MLFLOWC_BASE__\"><meta content=\"__MLFLOWC_AUTH__\">"
					    "__MLFLOWC_AUTH____MLFLOWC_BASE__";
	static const struct ui_asset page = { "/index.html", data, sizeof(data) - 1, NULL, 0, NULL, 0, "\"h5\"", "\"h5-gz\"",
					      "\"h5-br\"" };
	static const char off[] = "<base href=\"/\"><meta content=\"off\">off/";
	static const char on[] = "<base href=\"/p/\"><meta content=\"on\">on/p/";
	struct answer r;
	answer_init(&r);

	serve_auth(&r, &page, "", false, NULL, NULL);
	assert_int_equal(r.resp.status, 200);
	assert_body(&r, (const unsigned char *)off, strlen(off));
	assert_string_equal(header(&r, "ETag"), "\"h5\"");

	serve_auth(&r, &page, "/p", true, NULL, NULL);
	assert_body(&r, (const unsigned char *)on, strlen(on));
	char *etag = strdup(header(&r, "ETag"));
	assert_true(strncmp(etag, "\"h5-p", 5) == 0 && strstr(etag, "-a\"") != NULL);
	serve_auth(&r, &page, "/p", true, NULL, etag);
	assert_int_equal(r.resp.status, 304);
	/* a page cached while auth was on is stale once it is off, and the reverse */
	serve_auth(&r, &page, "/p", false, NULL, etag);
	assert_int_equal(r.resp.status, 200);
	serve_auth(&r, &page, "", true, NULL, "\"h5\"");
	assert_int_equal(r.resp.status, 200);
	assert_string_not_equal(header(&r, "ETag"), "\"h5\"");
	free(etag);
	answer_free(&r);
}

static void test_mime_types(void **state)
{
	(void)state;
	static const struct {
		const char *path, *type;
	} cases[] = {
		{ "/a.css", "text/css; charset=utf-8" },   { "/a.MJS", "text/javascript; charset=utf-8" },
		{ "/i.svg", "image/svg+xml" },             { "/f.woff2", "font/woff2" },
		{ "/x.map", "application/json" },          { "/noext", "application/octet-stream" },
		{ "/dir.d/file", "application/octet-stream" }, { "/a.exe", "application/octet-stream" },
	};
	struct answer r;
	answer_init(&r);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ui_asset a = png;
		a.path = cases[i].path;
		serve(&r, &a, "", NULL, NULL);
		assert_string_equal(r.resp.content_type, cases[i].type);
		assert_string_equal(header(&r, "Cache-Control"), "no-cache"); /* not under /assets/ */
	}
	answer_free(&r);
}

/* ---- the generated table and ui_find ----------------------------------------------------------- */

static const struct ui_asset *index_asset(void)
{
	for (size_t i = 0; i < ui_assets_n; i++)
		if (!strcmp(ui_assets[i].path, "/index.html"))
			return &ui_assets[i];
	return NULL;
}

static void test_generated_table(void **state)
{
	(void)state;
	assert_non_null(index_asset());
	for (size_t i = 0; i < ui_assets_n; i++) {
		const struct ui_asset *a = &ui_assets[i];
		size_t n = strlen(a->etag);
		assert_true(a->path[0] == '/' && n > 2 && a->etag[0] == '"' && a->etag[n - 1] == '"');
		assert_true(strncmp(a->etag_gz, a->etag, n - 1) == 0 && !strcmp(a->etag_gz + n - 1, "-gz\""));
		assert_true(strncmp(a->etag_br, a->etag, n - 1) == 0 && !strcmp(a->etag_br + n - 1, "-br\""));
		/* copies exist only where they save at least 10% */
		assert_true(!a->gz || (a->gz_size > 0 && a->gz_size * 10 < a->size * 9));
		assert_true(!a->br || (a->br_size > 0 && a->br_size * 10 < a->size * 9));
		if (!strcmp(a->path, "/index.html"))
			assert_true(!a->gz && !a->br);
		/* the big script of a real UI build (not the placeholder page) compresses */
		if (strncmp(a->path, "/assets/", 8) == 0 && strstr(a->path, ".js") && a->size > 4096)
			assert_true(a->gz && a->br && a->br_size <= a->gz_size);
	}
}

static void test_find(void **state)
{
	(void)state;
	const struct ui_asset *index = index_asset();
	assert_non_null(index);
	for (size_t i = 0; i < ui_assets_n; i++) {
		assert_ptr_equal(ui_find("", HTTP_GET, ui_assets[i].path), &ui_assets[i]);
		char path[512];
		snprintf(path, sizeof(path), "/ml%s", ui_assets[i].path);
		assert_ptr_equal(ui_find("/ml", HTTP_HEAD, path), &ui_assets[i]);
	}
	/* client-side routes get index.html */
	static const char *const pages[] = { "/", "", "/experiments/3", "/models/a%20b/versions/2", "/runs/x?y" };
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++)
		assert_ptr_equal(ui_find("", HTTP_GET, pages[i]), index);
	assert_ptr_equal(ui_find("", HTTP_HEAD, "/models"), index);
	assert_ptr_equal(ui_find("/ml", HTTP_GET, "/ml"), index);
	assert_ptr_equal(ui_find("/ml", HTTP_GET, "/ml/"), index);
	assert_ptr_equal(ui_find("/ml", HTTP_GET, "/ml/models/m"), index);
	/* not the UI's */
	static const char *const not_ui[] = { "/assets/missing.js", "/api/2.0/mlflow/x", "/ajax-api/2.0/mlflow/x",
					      "/api/" };
	for (size_t i = 0; i < ARRAY_SIZE(not_ui); i++)
		assert_null(ui_find("", HTTP_GET, not_ui[i]));
	assert_null(ui_find("", HTTP_POST, "/"));
	assert_null(ui_find("", HTTP_DELETE, "/models"));
	assert_null(ui_find("", HTTP_OPTIONS, "/"));
	assert_null(ui_find("/ml", HTTP_GET, "/"));
	assert_null(ui_find("/ml", HTTP_GET, "/mlx"));
	assert_null(ui_find("/ml", HTTP_GET, "/models"));
	assert_null(ui_find("/ml", HTTP_GET, "/ml/api/2.0/mlflow/x"));
	assert_null(ui_find("/ml", HTTP_GET, "/ml/assets/missing.css"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_weights),   cmocka_unit_test(test_choose_encoding),
		cmocka_unit_test(test_etag_matches),       cmocka_unit_test(test_serve_encodings),
		cmocka_unit_test(test_serve_not_modified), cmocka_unit_test(test_serve_index_template),
		cmocka_unit_test(test_mime_types),         cmocka_unit_test(test_generated_table),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_serve_index_auth_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
