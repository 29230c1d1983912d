/*
 * scoring_matrix.c - a parsed scoring request as the dense matrix of
 * doubles that native flavors (libxgboost, the c_function ABI) predict on:
 * scoring_input_matrix() of scoring_input.h.
 *
 * It reads the request the way a numpy-fed library sees the DataFrame or
 * array pandas would build from it: a frame's cells are numbers (JSON
 * integers and reals), booleans (0/1) or missing (JSON null: NaN); a
 * tensor must be a rank-2 nested list of those. Anything else (a string,
 * a list inside a cell, a ragged tensor, another rank) is refused with
 * BAD_REQUEST naming the column or element, as xgboost refuses an object
 * column or a 1-D array.
 *
 * The strings "NaN", "Infinity" and "-Infinity" count as those numbers:
 * the request reader (src/json/jr.h) rewrites Python's bare tokens NaN /
 * Infinity, which jansson cannot hold, into exactly these strings, so this
 * is how a client's NaN reaches us.
 */
#include "../base/common.h"
#include "scoring_input.h"
#include <math.h>

/* One JSON value as a matrix element; false when it is not numeric. */
static bool cell_number(const json_t *v, double *out)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		*out = NAN;
		return true;
	case JSON_TRUE:
		*out = 1;
		return true;
	case JSON_FALSE:
		*out = 0;
		return true;
	case JSON_INTEGER:
		*out = (double)json_integer_value(v);
		return true;
	case JSON_REAL:
		*out = json_real_value(v);
		return true;
	case JSON_STRING: {
		const char *s = json_string_value(v);
		if (!strcmp(s, "NaN")) {
			*out = NAN;
			return true;
		}
		if (!strcmp(s, "Infinity") || !strcmp(s, "-Infinity")) {
			*out = s[0] == '-' ? -INFINITY : INFINITY;
			return true;
		}
		return false;
	}
	default:
		return false;
	}
}

/* pandas' name for the dtype a column holding `v` would get. */
static const char *cell_dtype(const json_t *v)
{
	return json_is_string(v) ? "object (a string)" : json_is_array(v) ? "object (a list)" : "object (a dict)";
}

/* rows x cols doubles, or -1 when the size overflows. */
static int alloc_matrix(size_t rows, size_t cols, double **out, struct mlf_err *err)
{
	if (cols && rows > SIZE_MAX / sizeof(double) / cols)
		return mlf_errorf(err, MLF_BAD_REQUEST, "the input of %zu rows and %zu columns is too large", rows,
				  cols);
	size_t n = rows * cols;
	if (n > SCORING_MAX_CELLS)
		return mlf_errorf(err, MLF_BAD_REQUEST, "the input has %zu values; at most %u are taken", n,
				  SCORING_MAX_CELLS);
	*out = malloc(n ? n * sizeof(double) : 1);
	if (!*out)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory for a %zu x %zu matrix", rows, cols);
	return 0;
}

static int frame_matrix(const struct scoring_input *in, bool column_major, double **out, size_t *rows, size_t *cols,
			struct mlf_err *err)
{
	size_t nr = in->n_rows, nc = in->n_cols;
	double *m;
	if (alloc_matrix(nr, nc, &m, err) < 0)
		return -1;
	for (size_t r = 0; r < nr; r++) {
		for (size_t c = 0; c < nc; c++) {
			const json_t *v = in->cells[r * nc + c];
			double d;
			if (!cell_number(v ? v : json_null(), &d)) {
				free(m);
				return mlf_errorf(err, MLF_BAD_REQUEST,
						  "DataFrame.dtypes for data must be int, float or bool. "
						  "Invalid columns:%s: %s in row %zu",
						  in->cols[c].name ? in->cols[c].name : "?", cell_dtype(v), r);
			}
			m[column_major ? c * nr + r : r * nc + c] = d;
		}
	}
	*out = m;
	*rows = nr;
	*cols = nc;
	return 0;
}

static int tensor_matrix(const struct scoring_input *in, bool column_major, double **out, size_t *rows, size_t *cols,
			 struct mlf_err *err)
{
	const json_t *t = in->tensor;
	if (!json_is_array(t))
		return mlf_errorf(err, MLF_BAD_REQUEST,
				  "Expecting 2 dimensional numpy.ndarray, got named inputs (a dict of tensors)");
	size_t nr = json_array_size(t);
	if (nr == 0 || !json_is_array(json_array_get(t, 0)))
		return mlf_errorf(err, MLF_BAD_REQUEST, "Expecting 2 dimensional numpy.ndarray, got: (%zu,)", nr);
	size_t nc = json_array_size(json_array_get(t, 0));
	for (size_t r = 0; r < nr; r++) {
		const json_t *row = json_array_get(t, r);
		if (!json_is_array(row) || json_array_size(row) != nc)
			return mlf_errorf(err, MLF_BAD_REQUEST,
					  "Expecting 2 dimensional numpy.ndarray: row %zu is %s, row 0 has %zu values",
					  r, json_is_array(row) ? "of another length" : "not a list", nc);
	}
	double *m;
	if (alloc_matrix(nr, nc, &m, err) < 0)
		return -1;
	for (size_t r = 0; r < nr; r++) {
		const json_t *row = json_array_get(t, r);
		for (size_t c = 0; c < nc; c++) {
			const json_t *v = json_array_get(row, c);
			double d;
			if (!cell_number(v, &d)) {
				free(m);
				if (json_is_array(v))
					return mlf_errorf(err, MLF_BAD_REQUEST,
							  "Expecting 2 dimensional numpy.ndarray: element [%zu][%zu] "
							  "is a list (a tensor of higher rank)",
							  r, c);
				return mlf_errorf(err, MLF_BAD_REQUEST,
						  "the input must be numeric: element [%zu][%zu] is %s", r, c,
						  cell_dtype(v));
			}
			m[column_major ? c * nr + r : r * nc + c] = d;
		}
	}
	*out = m;
	*rows = nr;
	*cols = nc;
	return 0;
}

int scoring_input_matrix(const struct scoring_input *in, bool column_major, double **out, size_t *rows,
			 size_t *cols, struct mlf_err *err)
{
	*out = NULL;
	*rows = *cols = 0;
	if (in->kind == SCORING_FRAME)
		return frame_matrix(in, column_major, out, rows, cols, err);
	return tensor_matrix(in, column_major, out, rows, cols, err);
}
