/*
 * test_store_gc.c - unit tests for store_gc_parse_older_than
 * (src/store/store_gc.h), MLflow's --older-than grammar: each unit alone,
 * every combination in order, fractions, the empty text (no limit: 0), and
 * the refusals (a unit out of order or repeated, a unit without a number,
 * a number without a unit, two dots, a sign, trailing text, a value too
 * large), each with MLflow's message and no change to the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store_gc.h"

static int64_t parsed(const char *text)
{
	struct mlf_err err;
	int64_t ms = -1;
	if (store_gc_parse_older_than(text, &ms, &err) != 0)
		fail_msg("'%s' should parse: %s", text, err.msg);
	return ms;
}

static void test_valid_forms(void **state)
{
	(void)state;
	assert_int_equal(parsed("1d"), 86400000);
	assert_int_equal(parsed("2h"), 7200000);
	assert_int_equal(parsed("3m"), 180000);
	assert_int_equal(parsed("4s"), 4000);
	assert_int_equal(parsed("1d2h3m4s"), 86400000 + 7200000 + 180000 + 4000);
	assert_int_equal(parsed("1d4s"), 86404000);
	assert_int_equal(parsed("1.5h"), 5400000);
	assert_int_equal(parsed("1.2d3h4m5s"), 103680000 + 10800000 + 240000 + 5000);
	assert_int_equal(parsed(".5s"), 500);
	assert_int_equal(parsed("30d"), 2592000000LL);
	assert_int_equal(parsed(""), 0);
}

static void test_refusals(void **state)
{
	(void)state;
	static const char *const bad[] = { "1x", "d", "1", "1.2.3d", "1s2d", "1d1d", "-1d", "+1d", "1d ", " 1d",
					   "1D", ".d", "1e3s", "99999999999999d" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct mlf_err err;
		int64_t ms = 42;
		if (store_gc_parse_older_than(bad[i], &ms, &err) != -1)
			fail_msg("'%s' should be refused", bad[i]);
		assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
		assert_int_equal(ms, 42);
		if (strcmp(bad[i], "99999999999999d") != 0 && !strstr(err.msg, "Could not parse any time information"))
			fail_msg("'%s': %s", bad[i], err.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_forms),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
