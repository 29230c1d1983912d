/*
 * test_scoring_input.c - unit tests for scoring_input_parse and
 * scoring_input_to_json (src/model/scoring_input.h): the frames the four
 * JSON input fields and CSV make, the column types inferred as pandas
 * infers them, enforcement against column and tensor signatures, params
 * with defaults, content types, and the worker's JSON line (NaN and the
 * infinities as bare tokens).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/mlmodel.h"
#include "model/scoring_input.h"

static const char *const no_signature = "flavors: {python_function: {loader_module: m}}\n";
static const char *const columns_ab = "flavors: {python_function: {loader_module: m}}\n"
				      "signature:\n"
				      "  inputs: '[{\"type\": \"double\", \"name\": \"a\"}, {\"type\": \"long\", \"name\": "
				      "\"b\", \"required\": false}]'\n"
				      "  params: '[{\"name\": \"k\", \"type\": \"long\", \"default\": 3, \"shape\": null}]'\n";
static const char *const tensor_2 = "flavors: {python_function: {loader_module: m}}\n"
				    "signature:\n"
				    "  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", "
				    "\"shape\": [-1, 2]}}]'\n";

static void model(const char *text, struct mlmodel *m)
{
	struct mlf_err err;
	if (mlmodel_parse(text, strlen(text), m, &err) < 0)
		fail_msg("MLmodel does not parse: %s", err.msg);
}

/* Parses `body`; returns 0 or -1 with the message in err. */
static int parse(const char *mlmodel, const char *ctype, const char *body, struct scoring_input *in,
		 struct mlf_err *err)
{
	struct mlmodel m;
	bool unsupported;
	model(mlmodel, &m);
	int rc = scoring_input_parse(ctype, body, strlen(body), &m, in, &unsupported, err);
	/* the input must not borrow from the model: release it first */
	mlmodel_release(&m);
	return rc;
}

static char *worker_json(const char *mlmodel, const char *ctype, const char *body)
{
	struct scoring_input in;
	struct mlf_err err;
	struct buf out = BUF_INIT;
	if (parse(mlmodel, ctype, body, &in, &err) < 0)
		fail_msg("'%s' is refused: %s", body, err.msg);
	scoring_input_to_json(&in, &out);
	scoring_input_release(&in);
	return out.ptr;
}

static void expect_json(const char *mlmodel, const char *ctype, const char *body, const char *want)
{
	char *got = worker_json(mlmodel, ctype, body);
	if (strcmp(got, want) != 0)
		fail_msg("for %s\n got  %s\n want %s", body, got, want);
	free(got);
}

static void expect_refused(const char *mlmodel, const char *ctype, const char *body, enum mlf_code code,
			   const char *words)
{
	struct scoring_input in;
	struct mlf_err err;
	if (parse(mlmodel, ctype, body, &in, &err) == 0) {
		scoring_input_release(&in);
		fail_msg("'%s' was accepted", body);
	}
	if (err.code != code || !strstr(err.msg, words))
		fail_msg("'%s': got %s '%s', want %s with '%s'", body, mlf_code_name(err.code), err.msg,
			 mlf_code_name(code), words);
}

static void test_frames_without_signature(void **state)
{
	(void)state;
	const char *ct = "application/json";
	expect_json(no_signature, ct, "{\"dataframe_split\": {\"columns\": [\"x\", \"y\"], \"data\": [[1, 2.5], [3, null]]}}",
		    "{\"kind\":\"frame\",\"columns\":[\"x\",\"y\"],\"types\":[\"long\",\"double\"],"
		    "\"data\":[[1,2.5],[3,null]],\"params\":null}");
	expect_json(no_signature, ct, "{\"dataframe_records\": [{\"s\": \"a\", \"t\": true}, {\"u\": 1}]}",
		    "{\"kind\":\"frame\",\"columns\":[\"s\",\"t\",\"u\"],\"types\":[\"string\",\"any\",\"double\"],"
		    "\"data\":[[\"a\",true,null],[null,null,1]],\"params\":null}");
	expect_json(no_signature, ct, "{\"inputs\": {\"a\": [1, 2], \"b\": [\"p\", \"q\"]}}",
		    "{\"kind\":\"frame\",\"columns\":[\"a\",\"b\"],\"types\":[\"long\",\"string\"],"
		    "\"data\":[[1,\"p\"],[2,\"q\"]],\"params\":null}");
	expect_json(no_signature, ct, "{\"dataframe_split\": {\"data\": [[1, 2]]}}",
		    "{\"kind\":\"frame\",\"columns\":[\"0\",\"1\"],\"types\":[\"long\",\"long\"],"
		    "\"data\":[[1,2]],\"params\":null}");
	/* a "NaN" among strings is a string, and travels as one */
	expect_json(no_signature, ct, "{\"dataframe_records\": [{\"s\": \"NaN\"}, {\"s\": \"x\"}]}",
		    "{\"kind\":\"frame\",\"columns\":[\"s\"],\"types\":[\"any\"],"
		    "\"data\":[[\"NaN\"],[\"x\"]],\"params\":null}");
	/* Python's NaN / Infinity come through as the bare tokens */
	expect_json(no_signature, ct, "{\"inputs\": {\"a\": [NaN, Infinity, -Infinity, 1.5]}}",
		    "{\"kind\":\"frame\",\"columns\":[\"a\"],\"types\":[\"double\"],"
		    "\"data\":[[NaN],[Infinity],[-Infinity],[1.5]],\"params\":null}");
}

static void test_tensors_without_signature(void **state)
{
	(void)state;
	const char *ct = "application/json";
	expect_json(no_signature, ct, "{\"instances\": [[1, 2], [3, 4]]}",
		    "{\"kind\":\"tensor\",\"dtype\":null,\"data\":[[1,2],[3,4]],\"params\":null}");
	expect_json(no_signature, ct, "{\"inputs\": {\"img\": [[1, 2]], \"k\": [[3]]}}",
		    "{\"kind\":\"tensor\",\"dtype\":null,\"data\":{\"img\":[[1,2]],\"k\":[[3]]},\"params\":null}");
	expect_json(no_signature, ct, "{\"inputs\": [1, 2, 3]}",
		    "{\"kind\":\"tensor\",\"dtype\":null,\"data\":[1,2,3],\"params\":null}");
}

static void test_csv(void **state)
{
	(void)state;
	expect_json(no_signature, "text/csv", "a,b,c\n1,\"x, \"\"y\"\"\",2.5\r\n2,,\n",
		    "{\"kind\":\"frame\",\"columns\":[\"a\",\"b\",\"c\"],\"types\":[\"long\",\"string\",\"double\"],"
		    "\"data\":[[1,\"x, \\\"y\\\"\",2.5],[2,null,null]],\"params\":null}");
	/* with a signature, the column's type decides how text reads */
	expect_json(columns_ab, "text/csv", "b,a\n7,1\n",
		    "{\"kind\":\"frame\",\"columns\":[\"a\",\"b\"],\"types\":[\"double\",\"long\"],"
		    "\"data\":[[1.0,7]],\"params\":{\"k\":3}}");
	expect_refused(columns_ab, "text/csv", "a,b\n1,2,3\n", MLF_BAD_REQUEST, "Expected 2 fields in line 2, saw 3");
	expect_refused(columns_ab, "text/csv", "a,b\n1,x\n", MLF_BAD_REQUEST, "Failed to parse input as a Pandas");
	expect_refused(columns_ab, "text/csv", "", MLF_BAD_REQUEST, "No columns to parse");
}

static void test_column_signature(void **state)
{
	(void)state;
	const char *ct = "application/json; charset=UTF-8";
	/* ints widen to double, extras dropped, order from the signature, params defaulted */
	expect_json(columns_ab, ct, "{\"dataframe_split\": {\"columns\": [\"z\", \"b\", \"a\"], \"data\": [[0, 5, 1]]}}",
		    "{\"kind\":\"frame\",\"columns\":[\"a\",\"b\"],\"types\":[\"double\",\"long\"],"
		    "\"data\":[[1.0,5]],\"params\":{\"k\":3}}");
	/* an optional column may be absent */
	expect_json(columns_ab, ct, "{\"dataframe_records\": [{\"a\": 2.5}], \"params\": {\"k\": 9}}",
		    "{\"kind\":\"frame\",\"columns\":[\"a\"],\"types\":[\"double\"],"
		    "\"data\":[[2.5]],\"params\":{\"k\":9}}");
	expect_refused(columns_ab, ct, "{\"dataframe_records\": [{\"b\": 1}]}", MLF_INVALID_PARAMETER_VALUE,
		       "Model is missing inputs ['a'].");
	expect_refused(columns_ab, ct, "{\"dataframe_records\": [{\"a\": 1, \"b\": 1.5}]}", MLF_INVALID_PARAMETER_VALUE,
		       "Incompatible input types for column b. Can not safely convert float64 to int64.");
	expect_refused(columns_ab, ct, "{\"dataframe_records\": [{\"a\": \"1\"}]}", MLF_INVALID_PARAMETER_VALUE,
		       "Can not safely convert object to float64");
	expect_refused(columns_ab, ct, "{\"dataframe_records\": [{\"a\": 1}], \"params\": {\"k\": \"x\"}}",
		       MLF_INVALID_PARAMETER_VALUE, "Failed to validate type and shape for 'k'");
	expect_refused(columns_ab, ct, "{\"instances\": [[1, 2]]}", MLF_INVALID_PARAMETER_VALUE,
		       "Model is missing inputs ['a', 'b']");
}

static void test_tensor_signature(void **state)
{
	(void)state;
	const char *ct = "application/json";
	expect_json(tensor_2, ct, "{\"instances\": [[1, 2.5]]}",
		    "{\"kind\":\"tensor\",\"dtype\":\"float32\",\"data\":[[1.0,2.5]],\"params\":null}");
	expect_json(tensor_2, ct, "{\"dataframe_split\": {\"columns\": [\"p\", \"q\"], \"data\": [[1, 2]]}}",
		    "{\"kind\":\"tensor\",\"dtype\":\"float32\",\"data\":[[1.0,2.0]],\"params\":null}");
	expect_refused(tensor_2, ct, "{\"instances\": [1, 2]}", MLF_INVALID_PARAMETER_VALUE,
		       "Shape of input (2,) does not match expected shape (-1, 2).");
	expect_refused(tensor_2, ct, "{\"inputs\": [[1, 2], [3]]}", MLF_INVALID_PARAMETER_VALUE, "ragged");
	expect_refused(tensor_2, ct, "{\"inputs\": [[\"a\", 2]]}", MLF_INVALID_PARAMETER_VALUE, "dtype");
}

static void test_envelopes_and_content_types(void **state)
{
	(void)state;
	const char *ct = "application/json";
	expect_refused(no_signature, ct, "[1]", MLF_BAD_REQUEST, "Received a list");
	expect_refused(no_signature, ct, "3", MLF_BAD_REQUEST, "Received unexpected input type");
	expect_refused(no_signature, ct, "{\"inputs\": 1, \"instances\": 2}", MLF_BAD_REQUEST,
		       "Received dictionary with input fields: ['inputs', 'instances']");
	expect_refused(no_signature, ct, "{\"columns\": [], \"data\": []}", MLF_BAD_REQUEST,
		       "scoring protocol has changed in MLflow version 2.0");
	expect_refused(no_signature, ct, "{nope", MLF_BAD_REQUEST, "Ensure that input is a valid JSON");
	expect_refused(no_signature, ct, "", MLF_BAD_REQUEST, "Ensure that input is a valid JSON");

	struct scoring_input in;
	struct mlf_err err;
	struct mlmodel m;
	bool unsupported;
	model(no_signature, &m);
	static const struct {
		const char *ctype;
		const char *words;
	} refused[] = {
		{ "text/plain", "only supports the following content types" },
		{ NULL, "Got 'None'" },
		{ "application/json; charset=latin-1", "only supports UTF-8" },
		{ "application/json; format=pandas-split", "Unrecognized content type parameters: format" },
		{ "application/jsonx", "only supports the following content types" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(scoring_input_parse(refused[i].ctype, "{}", 2, &m, &in, &unsupported, &err), -1);
		assert_true(unsupported);
		if (!strstr(err.msg, refused[i].words))
			fail_msg("%s: '%s'", refused[i].ctype ? refused[i].ctype : "(none)", err.msg);
	}
	assert_int_equal(scoring_input_parse(" Application/JSON ; charset=utf-8", "{\"inputs\": [1]}", 15, &m, &in,
					     &unsupported, &err), 0);
	scoring_input_release(&in);
	mlmodel_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_without_signature),
		cmocka_unit_test(test_tensors_without_signature),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_column_signature),
		cmocka_unit_test(test_tensor_signature),
		cmocka_unit_test(test_envelopes_and_content_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
