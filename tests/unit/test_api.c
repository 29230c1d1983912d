/*
 * test_api.c - request parameter typing (params.c) and validation rules
 * (validate.c) without a server: a fake request carries a JSON body or a
 * query string, and each getter must accept what MLflow accepts, refuse
 * what it refuses with INVALID_PARAMETER_VALUE, and report absence. Text
 * holding a NUL (JSON "\u0000", query %00) is refused by every reader; a
 * list or object is never taken as text; reals beyond int64 are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "api/api.h"

struct fixture {
	struct arena a;
	struct mlf_err err;
	struct http_request req;
	struct api_ctx c;
};

static struct fixture *with_body(struct fixture *f, const char *json)
{
	memset(f, 0, sizeof(*f));
	f->c.a = &f->a;
	f->c.err = &f->err;
	f->c.req = &f->req;
	f->c.body = json_loads(json, JSON_ALLOW_NUL, NULL); /* as jr reads bodies */
	assert_non_null(f->c.body);
	return f;
}

static struct fixture *with_query(struct fixture *f, const struct http_param *q, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->c.a = &f->a;
	f->c.err = &f->err;
	f->req.query = q;
	f->req.n_query = n;
	f->req.has_query = n > 0;
	f->c.req = &f->req;
	f->c.use_query = true;
	return f;
}

static void done(struct fixture *f)
{
	json_decref(f->c.body);
	arena_release(&f->a);
}

static void test_strings(void **state)
{
	(void)state;
	struct fixture f;
	const char *s;
	with_body(&f, "{\"name\": \"x\", \"num\": 5, \"empty\": \"\", \"nul\": null}");
	assert_int_equal(param_string(&f.c, "name", &s), 0);
	assert_string_equal(s, "x");
	assert_int_equal(param_string(&f.c, "absent", &s), 1);
	assert_int_equal(param_string(&f.c, "nul", &s), 1);
	assert_int_equal(param_string(&f.c, "num", &s), -1);
	assert_int_equal(f.err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(f.err.msg, "Value was of type 'int'"));
	assert_int_equal(param_string_required(&f.c, "empty", &s), -1);
	assert_non_null(strstr(f.err.msg, "Missing value for required parameter 'empty'"));
	assert_int_equal(param_id(&f.c, "num", &s), 0); /* ids may be numbers */
	assert_string_equal(s, "5");
	done(&f);
}

static void test_int64(void **state)
{
	(void)state;
	struct fixture f;
	int64_t v;
	with_body(&f, "{\"a\": 9223372036854775807, \"b\": \"-42\", \"c\": 1.5, \"d\": 3.0, \"e\": \"x\", \"f\": true}");
	assert_int_equal(param_int64(&f.c, "a", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(param_int64(&f.c, "b", &v), 0);
	assert_int_equal(v, -42);
	v = 77; /* a non-integral number leaves the default, as MLflow's parser does */
	assert_int_equal(param_int64(&f.c, "c", &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(param_int64(&f.c, "d", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(param_int64(&f.c, "e", &v), -1);
	assert_int_equal(param_int64(&f.c, "f", &v), -1);
	assert_int_equal(param_int64(&f.c, "zz", &v), 1);
	done(&f);
}

static void test_doubles(void **state)
{
	(void)state;
	struct fixture f;
	double d;
	with_body(&f, "{\"a\": 1.5, \"b\": \"NaN\", \"c\": \"-Infinity\", \"d\": \"2.5e-3\", \"e\": \"abc\", \"f\": false}");
	assert_int_equal(param_double(&f.c, "a", &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(param_double(&f.c, "b", &d), 0);
	assert_true(isnan(d));
	assert_int_equal(param_double(&f.c, "c", &d), 0);
	assert_true(isinf(d) && d < 0);
	assert_int_equal(param_double(&f.c, "d", &d), 0);
	assert_true(d == 2.5e-3);
	assert_int_equal(param_double(&f.c, "e", &d), -1);
	assert_int_equal(param_double(&f.c, "f", &d), -1);
	done(&f);
}

static void test_query_parameters(void **state)
{
	(void)state;
	static const struct http_param q[] = {
		{ "run_ids", "a", 1 }, { "x", "1", 1 }, { "run_ids", "b", 1 }, { "flag", "TRUE", 4 },
		{ "bad", "maybe", 5 }, { "run_uuid", "r1", 2 },
	};
	struct fixture f;
	const char **list, *s;
	size_t n;
	bool b;
	int64_t v;
	with_query(&f, q, ARRAY_SIZE(q));
	assert_int_equal(param_string_list(&f.c, "run_ids", &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "a");
	assert_string_equal(list[1], "b");
	assert_int_equal(param_int64(&f.c, "x", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(param_bool(&f.c, "flag", &b), 0);
	assert_true(b);
	assert_int_equal(param_bool(&f.c, "bad", &b), -1);
	assert_int_equal(param_run_id(&f.c, &s), 0); /* run_uuid is the old name of run_id */
	assert_string_equal(s, "r1");
	done(&f);
}

static void test_lists(void **state)
{
	(void)state;
	struct fixture f;
	const char **list;
	json_t *objs;
	size_t n;
	with_body(&f, "{\"ids\": [\"1\", 2], \"obj\": {\"a\": 1}, \"tags\": [{\"key\": \"k\", \"value\": 1}], \"mixed\": [1, {}]}");
	assert_int_equal(param_string_list(&f.c, "ids", &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[1], "2");
	assert_int_equal(param_string_list(&f.c, "obj", &list, &n), -1);
	assert_int_equal(param_object_list(&f.c, "tags", &objs), 0);
	const char *text;
	assert_int_equal(param_nested_text(&f.c, json_array_get(objs, 0), "value", &text), 0);
	assert_string_equal(text, "1");
	assert_int_equal(param_nested_text(&f.c, json_array_get(objs, 0), "nothing", &text), 1);
	assert_null(text);
	assert_int_equal(param_object_list(&f.c, "mixed", &objs), -1);
	done(&f);
}

/* A list or object where text is expected is refused, never stored as
 * its JSON text; numbers and booleans are printed. */
static void test_nested_text_types(void **state)
{
	(void)state;
	struct fixture f;
	const char *text;
	with_body(&f, "{\"i\": 7, \"r\": 0.5, \"b\": true, \"l\": [1], \"o\": {\"a\": \"b\"}, \"z\": null}");
	assert_int_equal(param_nested_text(&f.c, f.c.body, "i", &text), 0);
	assert_string_equal(text, "7");
	assert_int_equal(param_nested_text(&f.c, f.c.body, "r", &text), 0);
	assert_string_equal(text, "0.5");
	assert_int_equal(param_nested_text(&f.c, f.c.body, "b", &text), 0);
	assert_string_equal(text, "true");
	assert_int_equal(param_nested_text(&f.c, f.c.body, "z", &text), 1);
	assert_int_equal(param_nested_text(&f.c, f.c.body, "l", &text), -1);
	assert_int_equal(f.err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(f.err.msg, "Invalid value [1] for parameter 'l' supplied"));
	assert_non_null(strstr(f.err.msg, "Value was of type 'list'"));
	assert_int_equal(param_nested_text(&f.c, f.c.body, "o", &text), -1);
	assert_non_null(strstr(f.err.msg, "Value was of type 'dict'"));
	done(&f);
}

/* A NUL inside a string cannot be stored exactly: every reader refuses
 * it, from a JSON body and from the query string alike. */
static void test_nul_is_refused(void **state)
{
	(void)state;
	struct fixture f;
	const char *s, **list;
	size_t n;
	int64_t v;
	double d;
	json_t *objs;
	with_body(&f, "{\"name\": \"a\\u0000b\", \"n\": \"5\\u0000\", \"d\": \"1.5\\u0000\", \"ids\": [\"1\", \"2\\u0000\"], "
		      "\"tags\": [{\"key\": \"k\\u0000\", \"value\": \"v\"}], \"ok\": \"tab\\tand\\u0001\"}");
	assert_int_equal(param_string(&f.c, "name", &s), -1);
	assert_int_equal(f.err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(f.err.msg, "parameter 'name'"));
	assert_non_null(strstr(f.err.msg, "NUL character (\\u0000)"));
	assert_int_equal(param_string_required(&f.c, "name", &s), -1);
	assert_int_equal(param_id(&f.c, "name", &s), -1);
	assert_int_equal(param_int64(&f.c, "n", &v), -1);
	assert_int_equal(param_double(&f.c, "d", &d), -1);
	assert_int_equal(param_string_list(&f.c, "ids", &list, &n), -1);
	assert_int_equal(param_object_list(&f.c, "tags", &objs), 0);
	assert_int_equal(param_nested_text(&f.c, json_array_get(objs, 0), "key", &s), -1);
	struct store_kv *kv;
	assert_int_equal(param_kv_list(&f.c, "tags", &kv, &n), -1);
	/* other control characters are stored, as MLflow stores them */
	assert_int_equal(param_string(&f.c, "ok", &s), 0);
	assert_string_equal(s, "tab\tand\x01");
	done(&f);

	static const struct http_param q[] = {
		{ "experiment_name", "a\0b", 3 }, { "max_results", "5\0", 2 }, { "flag", "true\0x", 6 },
		{ "run_ids", "r1", 2 }, { "run_ids", "r2\0", 3 }, { "plain", "p", 1 }, { "unmeasured", "u", 0 },
	};
	bool b;
	with_query(&f, q, ARRAY_SIZE(q));
	assert_int_equal(param_string(&f.c, "experiment_name", &s), -1);
	assert_int_equal(f.err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(f.err.msg, "parameter 'experiment_name'"));
	assert_int_equal(param_int64(&f.c, "max_results", &v), -1);
	assert_int_equal(param_bool(&f.c, "flag", &b), -1);
	assert_int_equal(param_string_list(&f.c, "run_ids", &list, &n), -1);
	assert_int_equal(param_string(&f.c, "plain", &s), 0);
	assert_int_equal(param_string(&f.c, "unmeasured", &s), 0); /* value_len 0: taken as strlen */
	assert_string_equal(s, "u");
	done(&f);
}

/* Reals in int64 fields: integral ones are taken, non-integral ones leave
 * the default (MLflow's recorded answer), ones beyond int64 are refused. */
static void test_int64_from_reals(void **state)
{
	(void)state;
	struct fixture f;
	int64_t v;
	with_body(&f, "{\"big\": 1e20, \"neg\": -1e19, \"edge\": 9223372036854775808.0, \"low\": -9223372036854775808.0, "
		      "\"inf\": \"Infinity\", \"frac\": 1.5}");
	assert_int_equal(param_int64(&f.c, "big", &v), -1);
	assert_int_equal(f.err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(f.err.msg, "Invalid value 1e+20 for parameter 'big' supplied"));
	assert_non_null(strstr(f.err.msg, "Value was of type 'float'"));
	assert_int_equal(param_int64(&f.c, "neg", &v), -1);
	assert_int_equal(param_int64(&f.c, "edge", &v), -1);
	assert_int_equal(param_int64(&f.c, "low", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(param_int64(&f.c, "inf", &v), -1);
	v = 9;
	assert_int_equal(param_int64(&f.c, "frac", &v), 0);
	assert_int_equal(v, 9);
	done(&f);
}

static void test_keys(void **state)
{
	(void)state;
	static const char *const good[] = { "loss", "a/b", "with space", "v1.2-x_y", "ns:key", "ünï", ".hidden" };
	static const char *const bad[] = { "a/../b", "/abs", "trailing/", "a//b", "./a", ".", "..x", "tab\there",
					   "semi;colon", "a/./b", "quote\"" };
	struct fixture f;
	with_body(&f, "{}");
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (validate_key(&f.c, good[i], "key") != 0)
			fail_msg("key '%s' refused: %s", good[i], f.err.msg);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (validate_key(&f.c, bad[i], "key") != -1)
			fail_msg("key '%s' accepted", bad[i]);
		assert_int_equal(f.err.code, MLF_INVALID_PARAMETER_VALUE);
	}
	done(&f);
}

static void test_lengths_and_truncation(void **state)
{
	(void)state;
	struct fixture f;
	with_body(&f, "{}");
	/* characters, not bytes: 250 two-byte characters are fine */
	char s[600];
	for (int i = 0; i < 250; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	s[500] = '\0';
	assert_int_equal(validate_length(&f.c, s, 250, "Metric name"), 0);
	assert_int_equal(validate_length(&f.c, s, 249, "Metric name"), -1);
	const char *t = truncate_chars(&f.c, s, 3);
	assert_string_equal(t, "\xc3\xa9\xc3\xa9\xc3\xa9");
	static const char shortstr[] = "short";
	assert_ptr_equal(truncate_chars(&f.c, shortstr, 10), shortstr); /* no copy when it fits */
	assert_string_equal(truncate_chars(&f.c, "abcdef", 4), "abcd");
	int64_t id;
	assert_int_equal(parse_experiment_id(&f.c, "12", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(parse_experiment_id(&f.c, "x1", &id), -1);
	assert_int_equal(f.err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_query_parameters),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_nested_text_types),
		cmocka_unit_test(test_nul_is_refused),
		cmocka_unit_test(test_int64_from_reals),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_lengths_and_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
