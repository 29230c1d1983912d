/*
 * test_scoring_matrix.c - unit tests for scoring_input_matrix()
 * (src/model/scoring_matrix.c): a frame or a rank-2 tensor, built by hand
 * from JSON, into the dense double matrix native flavors predict on.
 *
 * Checks both layouts, missing values (null and the "NaN" string the
 * request reader leaves for a bare NaN) as NaN, booleans as 0/1, integers
 * widened, the empty frame, and the refusals: a string or list cell (the
 * message names the column), tensors of rank 1 and 3, ragged rows, named
 * tensors, and a frame whose size overflows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/scoring_input.h"

/* A frame from a JSON document {"columns": [...], "data": [[...], ...]};
 * the doc owns the cells. */
static void frame_from(struct scoring_input *in, const char *json)
{
	json_error_t jerr;
	memset(in, 0, sizeof(*in));
	in->doc = json_loads(json, 0, &jerr);
	assert_non_null(in->doc);
	json_t *columns = json_object_get(in->doc, "columns"), *data = json_object_get(in->doc, "data");
	in->kind = SCORING_FRAME;
	in->format = "dataframe_split";
	in->n_cols = json_array_size(columns);
	in->n_rows = json_array_size(data);
	in->cols = calloc(in->n_cols ? in->n_cols : 1, sizeof(*in->cols));
	in->cells = calloc(in->n_rows * in->n_cols + 1, sizeof(*in->cells));
	for (size_t c = 0; c < in->n_cols; c++) {
		in->cols[c].name = json_string_value(json_array_get(columns, c));
		in->cols[c].type = MLMODEL_DOUBLE;
	}
	for (size_t r = 0; r < in->n_rows; r++)
		for (size_t c = 0; c < in->n_cols; c++)
			in->cells[r * in->n_cols + c] = json_array_get(json_array_get(data, r), c);
}

static void tensor_from(struct scoring_input *in, const char *json)
{
	json_error_t jerr;
	memset(in, 0, sizeof(*in));
	in->doc = json_loads(json, JSON_DECODE_ANY, &jerr);
	assert_non_null(in->doc);
	in->kind = SCORING_TENSOR;
	in->format = "instances";
	in->tensor = in->doc;
}

static void release(struct scoring_input *in)
{
	free(in->cols);
	free(in->cells);
	json_decref(in->doc);
}

static void test_frame_layouts(void **state)
{
	(void)state;
	struct scoring_input in;
	frame_from(&in, "{\"columns\": [\"a\", \"b\", \"c\"], "
			"\"data\": [[1, 2.5, true], [null, -3, false], [\"NaN\", 1e300, \"-Infinity\"]]}");
	double *m;
	size_t rows, cols;
	struct mlf_err err;
	assert_int_equal(scoring_input_matrix(&in, false, &m, &rows, &cols, &err), 0);
	assert_int_equal(rows, 3);
	assert_int_equal(cols, 3);
	assert_true(m[0] == 1 && m[1] == 2.5 && m[2] == 1);
	assert_true(isnan(m[3]) && m[4] == -3 && m[5] == 0);
	assert_true(isnan(m[6]) && m[7] == 1e300 && isinf(m[8]) && m[8] < 0);
	free(m);
	assert_int_equal(scoring_input_matrix(&in, true, &m, &rows, &cols, &err), 0);
	/* column a, then b, then c */
	assert_true(m[0] == 1 && isnan(m[1]) && isnan(m[2]));
	assert_true(m[3] == 2.5 && m[4] == -3 && m[5] == 1e300);
	assert_true(m[6] == 1 && m[7] == 0 && isinf(m[8]));
	free(m);
	release(&in);
}

static void test_frame_refusals(void **state)
{
	(void)state;
	struct scoring_input in;
	double *m = (double *)&m;
	size_t rows = 7, cols = 7;
	struct mlf_err err;
	frame_from(&in, "{\"columns\": [\"a\", \"colour\"], \"data\": [[1, 2], [3, \"red\"]]}");
	assert_int_equal(scoring_input_matrix(&in, false, &m, &rows, &cols, &err), -1);
	assert_int_equal(err.code, MLF_BAD_REQUEST);
	assert_non_null(strstr(err.msg, "colour"));
	assert_null(m);
	assert_int_equal(rows, 0);
	release(&in);

	frame_from(&in, "{\"columns\": [\"v\"], \"data\": [[[1, 2]]]}");
	assert_int_equal(scoring_input_matrix(&in, true, &m, &rows, &cols, &err), -1);
	assert_int_equal(err.code, MLF_BAD_REQUEST);
	assert_non_null(strstr(err.msg, "Invalid columns:v"));
	release(&in);
}

static void test_frame_empty_and_overflow(void **state)
{
	(void)state;
	struct scoring_input in;
	double *m;
	size_t rows, cols;
	struct mlf_err err;
	frame_from(&in, "{\"columns\": [\"a\"], \"data\": []}");
	assert_int_equal(scoring_input_matrix(&in, false, &m, &rows, &cols, &err), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(cols, 1);
	free(m);
	/* sizes that do not fit are refused before anything is read */
	in.n_rows = SIZE_MAX / 4;
	in.n_cols = 3;
	assert_int_equal(scoring_input_matrix(&in, false, &m, &rows, &cols, &err), -1);
	assert_int_equal(err.code, MLF_BAD_REQUEST);
	in.n_rows = SCORING_MAX_CELLS;
	in.n_cols = 2;
	assert_int_equal(scoring_input_matrix(&in, false, &m, &rows, &cols, &err), -1);
	assert_int_equal(err.code, MLF_BAD_REQUEST);
	in.n_rows = 0;
	in.n_cols = 1;
	release(&in);
}

static void test_tensor(void **state)
{
	(void)state;
	struct scoring_input in;
	double *m;
	size_t rows, cols;
	struct mlf_err err;
	tensor_from(&in, "[[1, 2, 3], [4.5, null, false]]");
	assert_int_equal(scoring_input_matrix(&in, false, &m, &rows, &cols, &err), 0);
	assert_int_equal(rows, 2);
	assert_int_equal(cols, 3);
	assert_true(m[0] == 1 && m[2] == 3 && m[3] == 4.5 && isnan(m[4]) && m[5] == 0);
	free(m);
	assert_int_equal(scoring_input_matrix(&in, true, &m, &rows, &cols, &err), 0);
	assert_true(m[0] == 1 && m[1] == 4.5 && m[2] == 2 && isnan(m[3]) && m[4] == 3 && m[5] == 0);
	free(m);
	release(&in);
}

static void expect_tensor_refused(const char *json, const char *needle)
{
	struct scoring_input in;
	double *m;
	size_t rows, cols;
	struct mlf_err err;
	tensor_from(&in, json);
	if (scoring_input_matrix(&in, false, &m, &rows, &cols, &err) != -1)
		fail_msg("%s should be refused", json);
	assert_int_equal(err.code, MLF_BAD_REQUEST);
	if (!strstr(err.msg, needle))
		fail_msg("%s: message '%s' lacks '%s'", json, err.msg, needle);
	assert_null(m);
	release(&in);
}

static void test_tensor_refusals(void **state)
{
	(void)state;
	expect_tensor_refused("[1, 2, 3]", "got: (3,)");
	expect_tensor_refused("[]", "got: (0,)");
	expect_tensor_refused("[[[1], [2]]]", "element [0][0] is a list");
	expect_tensor_refused("[[1, 2], [3]]", "row 1");
	expect_tensor_refused("[[1, 2], 3]", "row 1 is not a list");
	expect_tensor_refused("[[1, \"x\"]]", "element [0][1]");
	expect_tensor_refused("{\"a\": [[1]]}", "named inputs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_layouts),
		cmocka_unit_test(test_frame_refusals),
		cmocka_unit_test(test_frame_empty_and_overflow),
		cmocka_unit_test(test_tensor),
		cmocka_unit_test(test_tensor_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
