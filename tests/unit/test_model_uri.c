/*
 * test_model_uri.c - unit tests for model_uri_parse (src/base/model_uri.h),
 * the one models:/ grammar of the registry handlers and the client library:
 * each form (version, latest in any case, stage, alias split at the last
 * '@', logged model id, a name holding '@' before a version, extra leading
 * slashes) with the exact name and suffix it yields, and the malformed
 * ones (another scheme, no path, empty or blank name, trailing slash, blank
 * suffix, '@' with an empty or blank alias or an empty name, extra
 * segments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/model_uri.h"

static void expect_form(const char *uri, enum model_uri_kind kind, const char *name, const char *ref)
{
	struct model_uri m;
	if (model_uri_parse(uri, &m) != 0)
		fail_msg("'%s' should parse", uri);
	assert_int_equal(m.kind, kind);
	assert_int_equal(m.name_len, strlen(name));
	assert_memory_equal(m.name, name, m.name_len);
	assert_int_equal(m.ref_len, strlen(ref));
	assert_memory_equal(m.ref, ref, m.ref_len);
}

static void expect_malformed(const char *uri)
{
	struct model_uri m;
	if (model_uri_parse(uri, &m) != -1)
		fail_msg("'%s' should be malformed", uri ? uri : "(null)");
}

static void test_forms(void **state)
{
	(void)state;
	expect_form("models:/fraud/3", MODEL_URI_VERSION, "fraud", "3");
	expect_form("models:/fraud/0012", MODEL_URI_VERSION, "fraud", "0012");
	expect_form("models:/fraud/latest", MODEL_URI_LATEST, "fraud", "latest");
	expect_form("models:/fraud/LaTeSt", MODEL_URI_LATEST, "fraud", "LaTeSt");
	expect_form("models:/fraud/Production", MODEL_URI_STAGE, "fraud", "Production");
	expect_form("models:/fraud/staging", MODEL_URI_STAGE, "fraud", "staging");
	expect_form("models:/fraud/-1", MODEL_URI_STAGE, "fraud", "-1"); /* not digits */
	expect_form("models:/fraud@champion", MODEL_URI_ALIAS, "fraud", "champion");
	expect_form("models:/a@b@c", MODEL_URI_ALIAS, "a@b", "c");
	expect_form("models:/a@b/2", MODEL_URI_VERSION, "a@b", "2");
	expect_form("models:/m-0123456789abcdef0123456789abcdef", MODEL_URI_ID, "m-0123456789abcdef0123456789abcdef", "");
	expect_form("models:///fraud/3", MODEL_URI_VERSION, "fraud", "3");
	expect_form("models:/my model/1", MODEL_URI_VERSION, "my model", "1");
	expect_form("MODELS:/fraud/3", MODEL_URI_VERSION, "fraud", "3"); /* the scheme in any case, as urlparse */
	expect_form("Models:/fraud@champion", MODEL_URI_ALIAS, "fraud", "champion");
}

static void test_malformed(void **state)
{
	(void)state;
	expect_malformed(NULL);
	expect_malformed("runs:/abc/model");
	expect_malformed("modelsx:/fraud/1");
	expect_malformed("models:");
	expect_malformed("models:fraud/1");
	expect_malformed("models:/");
	expect_malformed("models:///");
	expect_malformed("models:/ /1"); /* blank name */
	expect_malformed("models:/fraud/");
	expect_malformed("models:/fraud/1/");
	expect_malformed("models:/fraud@champion/");
	expect_malformed("models:/fraud/ ");
	expect_malformed("models:/fraud@");
	expect_malformed("models:/fraud@ ");
	expect_malformed("models:/@champion"); /* empty name */
	expect_malformed("models:/fraud/1/extra");
	expect_malformed("models:/a/b/c/d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
