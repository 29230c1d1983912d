/*
 * test_batch_reader.c - the DOM-free log-batch reader and its tokenizer:
 * what it reads must equal what the body says, and everything outside its
 * subset (escapes, non-ASCII, non-numeric values, unknown or repeated
 * fields, malformed JSON) must be declined so the full parser decides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/batch_reader.h"
#include "json/jt.h"

static void test_tokens(void **state)
{
	(void)state;
	struct jt t;
	struct jt_token tok;
	const char *text = " {\"a\" : [1, -2.5e3, true, false, null, \"x\\\"y\", \"\xc3\xa9\"]} ";
	const enum jt_type want[] = { JT_OBJ_BEGIN, JT_STRING, JT_COLON, JT_ARR_BEGIN, JT_NUMBER, JT_COMMA,
				      JT_NUMBER, JT_COMMA, JT_TRUE, JT_COMMA, JT_FALSE, JT_COMMA, JT_NULL, JT_COMMA,
				      JT_COMPLEX, JT_COMMA, JT_COMPLEX, JT_ARR_END, JT_OBJ_END, JT_END };
	jt_init(&t, text, strlen(text));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		enum jt_type got = jt_next(&t, &tok);
		if (got != want[i])
			fail_msg("token %zu: %d, want %d", i, got, want[i]);
		if (i == 4)
			assert_true(tok.is_int && tok.n == 1);
		if (i == 6)
			assert_true(!tok.is_int && tok.n == 6);
	}
	static const char *const bad_numbers[] = { "-", "01", "1.", ".5", "1e", "1e+", "+1", "NaN" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_numbers); i++) {
		jt_init(&t, bad_numbers[i], strlen(bad_numbers[i]));
		enum jt_type got = jt_next(&t, &tok);
		/* "01" lexes as 0 then 1: the caller's grammar refuses the second number */
		if (got == JT_NUMBER && strcmp(bad_numbers[i], "01") == 0)
			assert_int_equal(jt_next(&t, &tok), JT_NUMBER);
		else if (got != JT_INVALID)
			fail_msg("'%s' lexed as %d", bad_numbers[i], got);
	}
	jt_init(&t, "\"unterminated", 13);
	assert_int_equal(jt_next(&t, &tok), JT_INVALID);
}

static void test_reads_a_batch(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct batch_request b;
	const char *body = "{\"run_uuid\": \"u\", \"run_id\": \"r1\", \"metrics\": [{\"key\": \"loss\", \"value\": 0.1, "
			   "\"timestamp\": 1700000000000, \"step\": -3}, {\"timestamp\": 5, \"value\": -2e-300, "
			   "\"key\": \"acc\"}], \"params\": [{\"key\": \"lr\", \"value\": \"0.01\"}, {\"key\": \"empty\"}], "
			   "\"tags\": []}";
	assert_true(batch_read_fast(body, strlen(body), &a, &b));
	assert_string_equal(b.run_id, "r1");
	assert_int_equal(b.n_metrics, 2);
	assert_string_equal(b.metrics[0].key, "loss");
	assert_true(b.metrics[0].value == 0.1);
	assert_true(b.metrics[0].timestamp == 1700000000000);
	assert_int_equal(b.metrics[0].step, -3);
	assert_string_equal(b.metrics[1].key, "acc");
	assert_true(b.metrics[1].value == -2e-300);
	assert_int_equal(b.metrics[1].step, 0);
	assert_int_equal(b.n_params, 2);
	assert_string_equal(b.params[0].value, "0.01");
	assert_null(b.params[1].value);
	assert_int_equal(b.n_tags, 0);
	const char *only_uuid = "{\"run_uuid\": \"u\"}";
	assert_true(batch_read_fast(only_uuid, strlen(only_uuid), &a, &b));
	assert_string_equal(b.run_id, "u");
	arena_release(&a);
}

static void test_declines_the_rest(void **state)
{
	(void)state;
	static const char *const declined[] = {
		"",
		"{}",
		"[]",
		"null",
		"{\"run_id\": \"r\",}",
		"{\"run_id\": \"r\"} trailing",
		"{\"run_id\": \"r\", \"run_id\": \"s\"}",
		"{\"run_id\": \"r\", \"extra\": 1}",
		"{\"run_id\": 5}",
		"{\"run_id\": \"r\\u0041\"}",
		"{\"run_id\": \"r\", \"metrics\": {\"key\": \"m\"}}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": \"NaN\", \"timestamp\": 1}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": NaN, \"timestamp\": 1}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1, \"timestamp\": 1.5}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1, \"timestamp\": \"1\"}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1, \"timestamp\": 99999999999999999999}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1e999, \"timestamp\": 1}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"\", \"value\": 1, \"timestamp\": 1}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1, \"timestamp\": 1, \"model_id\": \"x\"}]}",
		"{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1, \"timestamp\": 1},]}",
		"{\"run_id\": \"r\", \"params\": [{\"key\": \"p\", \"value\": 5}]}",
		"{\"run_id\": \"r\", \"params\": [{\"key\": \"\xc3\xa9\", \"value\": \"v\"}]}",
		"{\"run_id\": \"r\", \"tags\": [{\"value\": \"v\"}]}",
		"{\"run_id\": \"r\", \"tags\": [null]}",
	};
	struct arena a = ARENA_INIT;
	struct batch_request b;
	for (size_t i = 0; i < ARRAY_SIZE(declined); i++)
		if (batch_read_fast(declined[i], strlen(declined[i]), &a, &b))
			fail_msg("accepted: %s", declined[i]);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_reads_a_batch),
		cmocka_unit_test(test_declines_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
