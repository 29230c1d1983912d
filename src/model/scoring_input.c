/*
 * scoring_input.c - a scoring request parsed and checked against the
 * model's signature; see scoring_input.h.
 *
 * The rules are those of MLflow's scoring server and pyfunc schema
 * enforcement (spec §10): a JSON object with exactly one of the four input
 * fields; `dataframe_split` / `dataframe_records` and CSV are frames, as are
 * records in `instances` and a columnar object in `inputs`; other
 * `instances` / `inputs` are tensors. A column signature takes its columns
 * by name (extra columns are dropped, a missing required one is refused),
 * widens integers to doubles and refuses what pandas could not convert
 * safely; a tensor signature converts to its dtype and checks the shape.
 *
 * Values stay jansson values borrowed from one owning array (in->doc): the
 * payload first, then every value made here (widened numbers, generated
 * column names), so a cell pointer lives as long as the input.
 */
#include "scoring_input.h"
#include "../json/jr.h"
#include "../json/jw.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCORING_FORMATS "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}"
#define REQUIRED_INPUT_FORMAT "The input must be a JSON dictionary with exactly one of the input fields " SCORING_FORMATS
#define PROTOCOL_CHANGE_INFO                                                                                   \
	"IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this " \
	"error, you are likely using an outdated scoring request format. To resolve the error, either update "   \
	"your request format or adjust your MLflow Model's requirements file to specify an older version of "   \
	"MLflow (for example, change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making " \
	"a request using the MLflow client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client "  \
	"to a version >= 2.0 in order to use the new request format. For more information about the updated "   \
	"MLflow Model scoring protocol in MLflow 2.0, see "                                                      \
	"https://mlflow.org/docs/latest/models.html#deploy-mlflow-models."

/* ---- owned values ------------------------------------------------------------ */

/* Keeps `v` (a new reference) alive as long as the input; returns it. */
static json_t *keep(struct scoring_input *in, json_t *v)
{
	json_array_append_new(in->doc, v);
	return v;
}

static bool is_nonfinite_token(const json_t *v)
{
	const char *s = json_string_value(v);
	return s && (!strcmp(s, "NaN") || !strcmp(s, "Infinity") || !strcmp(s, "-Infinity"));
}

/* A Python-style list of names: ['a', 'b']. */
static void name_list(struct buf *b, const char *const *names, size_t n)
{
	buf_addch(b, '[');
	for (size_t i = 0; i < n; i++)
		buf_addf(b, "%s'%s'", i ? ", " : "", names[i]);
	buf_addch(b, ']');
}

/* ---- frames ------------------------------------------------------------------ */

static int frame_alloc(struct scoring_input *in, size_t rows, size_t cols, struct mlf_err *err)
{
	if (cols && rows > SCORING_MAX_CELLS / cols)
		return mlf_errorf(err, MLF_BAD_REQUEST, "The input has more than %u values", SCORING_MAX_CELLS);
	if (cols > MLMODEL_MAX_SPECS)
		return mlf_errorf(err, MLF_BAD_REQUEST, "The input has more than %d columns", MLMODEL_MAX_SPECS);
	in->kind = SCORING_FRAME;
	in->n_rows = rows;
	in->n_cols = cols;
	in->cols = calloc(cols ? cols : 1, sizeof(*in->cols));
	in->cells = calloc(rows && cols ? rows * cols : 1, sizeof(*in->cells));
	if (!in->cols || !in->cells)
		return mlf_errorf(err, MLF_RESOURCE_EXHAUSTED, "Out of memory for the input");
	return 0;
}

static json_t **cell(const struct scoring_input *in, size_t row, size_t col)
{
	return &in->cells[row * in->n_cols + col];
}

static int column_index(const struct scoring_input *in, const char *name)
{
	for (size_t c = 0; c < in->n_cols; c++)
		if (in->cols[c].name && !strcmp(in->cols[c].name, name))
			return (int)c;
	return -1;
}

static bool is_scalar(const json_t *v)
{
	return !json_is_array(v) && !json_is_object(v);
}

/* dataframe_split: {"columns": [...], "data": [[...], ...], "index": [...]}. */
static int frame_from_split(struct scoring_input *in, json_t *v, struct mlf_err *err)
{
	if (!json_is_object(v))
		return mlf_errorf(err, MLF_BAD_REQUEST,
				  "Invalid input. Dataframe split format must be a dictionary with keys 'columns' and "
				  "'data'. Received '%s'.",
				  jr_type_name(v));
	json_t *columns = json_object_get(v, "columns");
	json_t *data = json_object_get(v, "data");
	if (!data || !json_is_array(data))
		return mlf_errorf(err, MLF_BAD_REQUEST,
				  "Invalid input. Dataframe split format must have 'data' field as a list.");
	if (columns && !json_is_array(columns))
		return mlf_errorf(err, MLF_BAD_REQUEST, "Invalid input. 'columns' must be a list of column names.");
	size_t rows = json_array_size(data);
	size_t cols = columns ? json_array_size(columns) : 0;
	if (!columns && rows) {
		json_t *first = json_array_get(data, 0);
		cols = json_is_array(first) ? json_array_size(first) : 1;
	}
	if (frame_alloc(in, rows, cols, err) < 0)
		return -1;
	for (size_t c = 0; c < cols; c++) {
		json_t *name = columns ? json_array_get(columns, c) : NULL;
		if (name && json_is_string(name)) {
			in->cols[c].name = json_string_value(name);
		} else if (name && !json_is_integer(name)) {
			return mlf_errorf(err, MLF_BAD_REQUEST, "Invalid input. Column names must be strings, got '%s'.",
					  jr_type_name(name));
		} else {
			char text[32];
			snprintf(text, sizeof(text), "%lld", name ? (long long)json_integer_value(name) : (long long)c);
			in->cols[c].name = json_string_value(keep(in, json_string(text)));
		}
	}
	for (size_t r = 0; r < rows; r++) {
		json_t *row = json_array_get(data, r);
		if (!json_is_array(row) && cols == 1) {
			*cell(in, r, 0) = row;
			continue;
		}
		if (!json_is_array(row) || json_array_size(row) != cols)
			return mlf_errorf(err, MLF_BAD_REQUEST,
					  "Invalid input. Row %zu of 'data' has %zu values, but there are %zu columns.", r,
					  json_is_array(row) ? json_array_size(row) : 1, cols);
		for (size_t c = 0; c < cols; c++)
			*cell(in, r, c) = json_array_get(row, c);
	}
	return 0;
}

/* Columns of a list of objects, in order of first appearance. */
static int record_columns(struct scoring_input *in, json_t *records, json_t **names, struct mlf_err *err)
{
	*names = keep(in, json_array());
	json_t *seen = keep(in, json_object());
	size_t n = json_array_size(records);
	for (size_t r = 0; r < n; r++) {
		json_t *rec = json_array_get(records, r);
		if (!json_is_object(rec))
			return mlf_errorf(err, MLF_BAD_REQUEST,
					  "Invalid input. Records must be a list of dictionaries; item %zu is a '%s'.", r,
					  jr_type_name(rec));
		const char *key;
		json_t *value;
		json_object_foreach(rec, key, value) {
			(void)value;
			if (!json_object_get(seen, key)) {
				json_object_set_new(seen, key, json_true());
				json_array_append_new(*names, json_string(key));
				if (json_array_size(*names) > MLMODEL_MAX_SPECS)
					return mlf_errorf(err, MLF_BAD_REQUEST, "The input has more than %d columns",
							  MLMODEL_MAX_SPECS);
			}
		}
	}
	return 0;
}

/* dataframe_records (and `instances` holding records). */
static int frame_from_records(struct scoring_input *in, json_t *records, struct mlf_err *err)
{
	json_t *names;
	if (record_columns(in, records, &names, err) < 0)
		return -1;
	size_t rows = json_array_size(records), cols = json_array_size(names);
	if (frame_alloc(in, rows, cols, err) < 0)
		return -1;
	json_t *null = keep(in, json_null());
	for (size_t c = 0; c < cols; c++)
		in->cols[c].name = json_string_value(json_array_get(names, c));
	for (size_t r = 0; r < rows; r++) {
		json_t *rec = json_array_get(records, r);
		for (size_t c = 0; c < cols; c++) {
			json_t *v = json_object_get(rec, in->cols[c].name);
			*cell(in, r, c) = v ? v : null;
		}
	}
	return 0;
}

/* `inputs` as a columnar object {"a": [1, 2], "b": [3, 4]} (or scalars: one row). */
static int frame_from_columns(struct scoring_input *in, json_t *obj, struct mlf_err *err)
{
	size_t cols = json_object_size(obj), rows = 0;
	bool first = true;
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		size_t n = json_is_array(value) ? json_array_size(value) : 1;
		if (!first && n != rows)
			return mlf_errorf(err, MLF_BAD_REQUEST,
					  "Invalid input. All columns of 'inputs' must have the same length; '%s' has %zu "
					  "values, another %zu.",
					  key, n, rows);
		rows = n;
		first = false;
	}
	if (frame_alloc(in, rows, cols, err) < 0)
		return -1;
	size_t c = 0;
	json_object_foreach(obj, key, value) {
		in->cols[c].name = key;
		for (size_t r = 0; r < rows; r++)
			*cell(in, r, c) = json_is_array(value) ? json_array_get(value, r) : value;
		c++;
	}
	return 0;
}

/* Whether an object of `inputs` is columnar: every value a scalar or a
 * list of scalars (else it is a dict of named tensors). */
static bool columnar(const json_t *obj)
{
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)obj, key, value) {
		(void)key;
		if (json_is_object(value))
			return false;
		if (json_is_array(value))
			for (size_t i = 0; i < json_array_size(value); i++)
				if (!is_scalar(json_array_get(value, i)))
					return false;
	}
	return true;
}

/* ---- types -------------------------------------------------------------------- */

/* What pandas makes of a column's values: the MLflow type and numpy's name. */
static enum mlmodel_type infer_column(const struct scoring_input *in, size_t c, const char **numpy)
{
	bool ints = false, reals = false, bools = false, strings = false, other = false, nulls = false;
	for (size_t r = 0; r < in->n_rows; r++) {
		json_t *v = *cell(in, r, c);
		if (json_is_null(v))
			nulls = true;
		else if (json_is_integer(v))
			ints = true;
		else if (json_is_real(v) || is_nonfinite_token(v))
			reals = true;
		else if (json_is_boolean(v))
			bools = true;
		else if (json_is_string(v))
			strings = true;
		else
			other = true;
	}
	unsigned kinds = ints + reals + bools + strings + other;
	if (kinds == 0) {
		*numpy = nulls ? "float64" : "object";
		return nulls ? MLMODEL_DOUBLE : MLMODEL_ANY;
	}
	if (!other && !strings && !bools && (reals || nulls)) {
		*numpy = "float64";
		return MLMODEL_DOUBLE;
	}
	if (kinds == 1 && ints) {
		*numpy = "int64";
		return MLMODEL_LONG;
	}
	if (kinds == 1 && bools && !nulls) {
		*numpy = "bool";
		return MLMODEL_BOOLEAN;
	}
	*numpy = "object";
	return kinds == 1 && strings ? MLMODEL_STRING : MLMODEL_ANY;
}

static void infer_types(struct scoring_input *in)
{
	for (size_t c = 0; c < in->n_cols; c++) {
		const char *numpy;
		in->cols[c].type = infer_column(in, c, &numpy);
	}
}

/* MLflow's repr of a column schema: ['a': double (required), ...]. */
static void schema_repr(struct buf *b, const struct mlmodel_schema *s)
{
	buf_addch(b, '[');
	for (size_t i = 0; i < s->n; i++) {
		const struct mlmodel_spec *sp = &s->specs[i];
		if (i)
			buf_adds(b, ", ");
		if (sp->type == MLMODEL_TENSOR) {
			buf_addf(b, "Tensor('%s', (", sp->dtype ? sp->dtype : "object");
			for (size_t d = 0; d < sp->rank; d++)
				buf_addf(b, "%s%lld", d ? ", " : "", (long long)sp->shape[d]);
			buf_adds(b, sp->rank == 1 ? ",))" : "))");
		} else {
			if (sp->name)
				buf_addf(b, "'%s': ", sp->name);
			buf_addf(b, "%s (%s)", mlmodel_type_name(sp->type), sp->required ? "required" : "optional");
		}
	}
	buf_addch(b, ']');
}

static int schema_error(struct mlf_err *err, const struct mlmodel_schema *s, const char *fmt, ...) MLF_PRINTF(3, 4);
static int schema_error(struct mlf_err *err, const struct mlmodel_schema *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "Failed to enforce schema of data with schema '");
	schema_repr(&b, s);
	buf_adds(&b, "'. Error: ");
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s", b.ptr);
	buf_release(&b);
	return -1;
}

static const char *numpy_of(enum mlmodel_type t)
{
	switch (t) {
	case MLMODEL_BOOLEAN: return "bool";
	case MLMODEL_INTEGER: return "int32";
	case MLMODEL_LONG: return "int64";
	case MLMODEL_FLOAT: return "float32";
	case MLMODEL_DOUBLE: return "float64";
	case MLMODEL_STRING: return "str";
	case MLMODEL_BINARY: return "bytes";
	case MLMODEL_DATETIME: return "datetime64[ns]";
	default: return "object";
	}
}

/* Converts cell *v to column type `t` in place where MLflow would, or
 * returns false when pandas could not convert it safely. */
static bool coerce(struct scoring_input *in, json_t **v, enum mlmodel_type t, bool required)
{
	json_t *x = *v;
	switch (t) {
	case MLMODEL_DOUBLE:
	case MLMODEL_FLOAT:
		if (json_is_integer(x)) {
			*v = keep(in, json_real((double)json_integer_value(x)));
			return true;
		}
		return json_is_real(x) || json_is_null(x) || is_nonfinite_token(x);
	case MLMODEL_LONG:
		return json_is_integer(x) || (json_is_null(x) && !required);
	case MLMODEL_INTEGER:
		return (json_is_integer(x) && json_integer_value(x) >= INT32_MIN && json_integer_value(x) <= INT32_MAX) ||
		       (json_is_null(x) && !required);
	case MLMODEL_BOOLEAN:
		return json_is_boolean(x) || (json_is_null(x) && !required);
	case MLMODEL_STRING:
	case MLMODEL_BINARY:
	case MLMODEL_DATETIME:
		return json_is_string(x) || json_is_null(x);
	default:
		return true; /* array, object, map, any: checked by the model */
	}
}

/* A column signature over a frame: columns by name (or position when the
 * specs have none), extras dropped, values converted. */
static int enforce_columns(struct scoring_input *in, const struct mlmodel_schema *s, struct mlf_err *err)
{
	bool named = s->n && s->specs[0].name;
	if (!named && in->n_cols != s->n)
		return schema_error(err, s, "Model inference is missing inputs. The model signature declares %zu inputs "
					    "but the provided value only has %zu inputs.", s->n, in->n_cols);
	int *from = calloc(s->n ? s->n : 1, sizeof(*from));
	const char **missing = calloc(s->n ? s->n : 1, sizeof(*missing));
	size_t n_missing = 0, kept = 0;
	for (size_t i = 0; i < s->n; i++) {
		from[i] = named ? column_index(in, s->specs[i].name) : (int)i;
		if (from[i] < 0 && s->specs[i].required)
			missing[n_missing++] = s->specs[i].name;
		if (from[i] >= 0)
			kept++;
	}
	if (n_missing) {
		const char **extra = calloc(in->n_cols ? in->n_cols : 1, sizeof(*extra));
		size_t n_extra = 0;
		for (size_t c = 0; c < in->n_cols; c++) {
			bool known = false;
			for (size_t i = 0; i < s->n && !known; i++)
				known = from[i] == (int)c;
			if (!known)
				extra[n_extra++] = in->cols[c].name;
		}
		struct buf b = BUF_INIT;
		name_list(&b, missing, n_missing);
		struct buf e = BUF_INIT;
		name_list(&e, extra, n_extra);
		schema_error(err, s, "Model is missing inputs %s.%s%s%s", b.ptr, n_extra ? " Note that there were extra inputs: " : "",
			     n_extra ? e.ptr : "", n_extra ? "." : "");
		buf_release(&b);
		buf_release(&e);
		free(extra);
		free(missing);
		free(from);
		return -1;
	}
	free(missing);
	/* the new frame: the schema's columns that are present, in its order */
	struct scoring_column *cols = calloc(kept ? kept : 1, sizeof(*cols));
	json_t **cells = calloc(in->n_rows && kept ? in->n_rows * kept : 1, sizeof(*cells));
	if (!cols || !cells) {
		free(cols);
		free(cells);
		free(from);
		return mlf_errorf(err, MLF_RESOURCE_EXHAUSTED, "Out of memory for the input");
	}
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (from[i] < 0)
			continue;
		const struct mlmodel_spec *sp = &s->specs[i];
		cols[k] = (struct scoring_column){ .name = in->cols[from[i]].name, .type = sp->type };
		for (size_t r = 0; r < in->n_rows; r++) {
			json_t **v = cell(in, r, (size_t)from[i]);
			if (!coerce(in, v, sp->type, sp->required)) {
				const char *actual;
				infer_column(in, (size_t)from[i], &actual);
				if (json_is_null(*v))
					schema_error(err, s, "Incompatible input types for column %s. Can not safely convert "
							     "float64 to %s.", cols[k].name, numpy_of(sp->type));
				else
					schema_error(err, s, "Incompatible input types for column %s. Can not safely convert "
							     "%s to %s.", cols[k].name, actual, numpy_of(sp->type));
				free(cols);
				free(cells);
				free(from);
				return -1;
			}
			cells[r * kept + k] = *v;
		}
		k++;
	}
	free(from);
	free(in->cols);
	free(in->cells);
	in->cols = cols;
	in->cells = cells;
	in->n_cols = kept;
	return 0;
}

/* ---- tensors ------------------------------------------------------------------ */

static bool dtype_is_float(const char *d)
{
	return d && (!strncmp(d, "float", 5) || !strcmp(d, "double"));
}

static bool dtype_is_int(const char *d)
{
	return d && (!strncmp(d, "int", 3) || !strncmp(d, "uint", 4));
}

static bool dtype_is_bool(const char *d)
{
	return d && !strcmp(d, "bool");
}

/* Converts the leaves of `v` to `dtype` in place (ints widened for float
 * dtypes); false when a leaf cannot be. Records the shape in dims. */
static bool convert_leaves(struct scoring_input *in, json_t **v, const char *dtype, size_t depth, int64_t *dims,
			   size_t *rank, bool *ragged)
{
	json_t *x = *v;
	if (json_is_array(x)) {
		if (depth >= MLMODEL_MAX_RANK)
			return false;
		size_t n = json_array_size(x);
		if (*rank <= depth) {
			*rank = depth + 1;
			dims[depth] = (int64_t)n;
		} else if (dims[depth] != (int64_t)n) {
			*ragged = true;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *item = json_array_get(x, i);
			json_t *converted = item;
			if (!convert_leaves(in, &converted, dtype, depth + 1, dims, rank, ragged))
				return false;
			if (converted != item)
				json_array_set(x, i, converted);
		}
		return true;
	}
	if (*rank > depth)
		*ragged = true;
	if (dtype_is_float(dtype)) {
		if (json_is_integer(x))
			*v = keep(in, json_real((double)json_integer_value(x)));
		return json_is_number(x) || json_is_null(x) || is_nonfinite_token(x);
	}
	if (dtype_is_int(dtype))
		return json_is_integer(x) && (dtype[0] != 'u' || json_integer_value(x) >= 0);
	if (dtype_is_bool(dtype))
		return json_is_boolean(x);
	return true; /* object, str, bytes: the model checks */
}

static void shape_repr(struct buf *b, const int64_t *dims, size_t rank)
{
	buf_addch(b, '(');
	for (size_t d = 0; d < rank; d++)
		buf_addf(b, "%s%lld", d ? ", " : "", (long long)dims[d]);
	buf_adds(b, rank == 1 ? ",)" : ")");
}

/* Checks one tensor `*v` against spec `sp`, converting its leaves. */
static int enforce_one_tensor(struct scoring_input *in, json_t **v, const struct mlmodel_spec *sp,
			      const struct mlmodel_schema *s, struct mlf_err *err)
{
	int64_t dims[MLMODEL_MAX_RANK] = { 0 };
	size_t rank = 0;
	bool ragged = false;
	if (!convert_leaves(in, v, sp->dtype, 0, dims, &rank, &ragged))
		return schema_error(err, s, "dtype of input does not match expected dtype %s", sp->dtype);
	if (ragged)
		return schema_error(err, s, "The input is a ragged nested list; a tensor's rows must all have the same "
					    "length");
	bool ok = rank == sp->rank;
	for (size_t d = 0; ok && d < rank; d++)
		ok = sp->shape[d] == -1 || sp->shape[d] == dims[d];
	if (!ok) {
		struct buf got = BUF_INIT, want = BUF_INIT;
		shape_repr(&got, dims, rank);
		shape_repr(&want, sp->shape, sp->rank);
		schema_error(err, s, "Shape of input %s does not match expected shape %s.", got.ptr, want.ptr);
		buf_release(&got);
		buf_release(&want);
		return -1;
	}
	return 0;
}

/* A frame made into the tensor a one-tensor signature asks for: its rows. */
static void frame_to_rows(struct scoring_input *in)
{
	json_t *rows = keep(in, json_array());
	for (size_t r = 0; r < in->n_rows; r++) {
		json_t *row = json_array();
		for (size_t c = 0; c < in->n_cols; c++)
			json_array_append(row, *cell(in, r, c));
		json_array_append_new(rows, row);
	}
	in->kind = SCORING_TENSOR;
	in->tensor = rows;
}

/* A frame made into named 1-D tensors, one per column. */
static void frame_to_named(struct scoring_input *in)
{
	json_t *obj = keep(in, json_object());
	for (size_t c = 0; c < in->n_cols; c++) {
		json_t *col = json_array();
		for (size_t r = 0; r < in->n_rows; r++)
			json_array_append(col, *cell(in, r, c));
		json_object_set_new(obj, in->cols[c].name, col);
	}
	in->kind = SCORING_TENSOR;
	in->tensor = obj;
}

static int enforce_tensors(struct scoring_input *in, const struct mlmodel_schema *s, struct mlf_err *err)
{
	bool single = s->n == 1;
	if (in->kind == SCORING_FRAME) {
		if (single)
			frame_to_rows(in);
		else
			frame_to_named(in);
	}
	/* the dtype is kept with the input, which may outlive the model's specs */
	in->dtype = s->specs[0].dtype ? json_string_value(keep(in, json_string(s->specs[0].dtype))) : NULL;
	if (single && json_is_array(in->tensor)) {
		return enforce_one_tensor(in, &in->tensor, &s->specs[0], s, err);
	}
	if (!json_is_object(in->tensor))
		return schema_error(err, s, "Model is missing inputs: the signature declares %zu named tensors, the "
					    "input is a single unnamed one.", s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct mlmodel_spec *sp = &s->specs[i];
		const char *name = sp->name ? sp->name : "";
		json_t *v = json_object_get(in->tensor, name);
		if (!v) {
			if (!sp->required)
				continue;
			return schema_error(err, s, "Model is missing inputs ['%s'].", name);
		}
		json_t *converted = v;
		if (enforce_one_tensor(in, &converted, sp, s, err) < 0)
			return -1;
		if (converted != v)
			json_object_set(in->tensor, name, converted);
	}
	return 0;
}

/* A column signature over a tensor: an unnamed 2-D list takes the columns
 * by position when the specs have no names (as pandas numbers them);
 * named specs need named data, as MLflow's pd.DataFrame(ndarray) would. */
static int tensor_to_frame(struct scoring_input *in, const struct mlmodel_schema *s, struct mlf_err *err)
{
	json_t *t = in->tensor;
	if (json_is_object(t))
		return frame_from_columns(in, t, err);
	size_t rows = json_array_size(t);
	json_t *first = json_array_get(t, 0);
	size_t cols = rows ? (json_is_array(first) ? json_array_size(first) : 1) : s->n;
	json_t *split = keep(in, json_object());
	json_t *data = json_array();
	for (size_t r = 0; r < rows; r++) {
		json_t *row = json_array_get(t, r);
		if (json_is_array(row))
			json_array_append(data, row);
		else
			json_array_append_new(data, json_pack("[O]", row));
	}
	json_object_set_new(split, "data", data);
	if (s->n && s->specs[0].name && cols == s->n) {
		/* MLflow numbers the columns 0..n-1 and then finds the named ones missing */
		const char **names = calloc(s->n, sizeof(*names));
		for (size_t i = 0; i < s->n; i++)
			names[i] = s->specs[i].name;
		struct buf b = BUF_INIT;
		name_list(&b, names, s->n);
		free(names);
		schema_error(err, s, "Model is missing inputs %s. The input is an unnamed list: send named columns "
				     "(dataframe_split, dataframe_records, or 'inputs' as an object).", b.ptr);
		buf_release(&b);
		return -1;
	}
	in->tensor = NULL;
	return frame_from_split(in, split, err);
}

/* ---- params ------------------------------------------------------------------- */

static bool param_value_ok(const json_t *v, enum mlmodel_type t)
{
	switch (t) {
	case MLMODEL_BOOLEAN: return json_is_boolean(v);
	case MLMODEL_INTEGER:
	case MLMODEL_LONG: return json_is_integer(v);
	case MLMODEL_FLOAT:
	case MLMODEL_DOUBLE: return json_is_number(v) || is_nonfinite_token(v);
	case MLMODEL_STRING:
	case MLMODEL_DATETIME:
	case MLMODEL_BINARY: return json_is_string(v);
	default: return true;
	}
}

static int check_params(struct scoring_input *in, json_t *sent, const struct mlmodel *m, struct mlf_err *err)
{
	if (sent && !json_is_object(sent) && !json_is_null(sent))
		return mlf_errorf(err, MLF_BAD_REQUEST, "Invalid input. 'params' must be a dictionary, got '%s'.",
				  jr_type_name(sent));
	if (!m->n_params) {
		in->params = NULL; /* MLflow ignores params a model does not declare */
		return 0;
	}
	json_t *out = keep(in, json_object());
	for (size_t i = 0; i < m->n_params; i++) {
		const struct mlmodel_param *p = &m->params[i];
		json_t *v = sent && json_is_object(sent) ? json_object_get(sent, p->name) : NULL;
		if (!v) {
			json_object_set(out, p->name, (json_t *)p->default_value);
			continue;
		}
		bool ok = true;
		if (p->is_list) {
			ok = json_is_array(v);
			for (size_t k = 0; ok && k < json_array_size(v); k++)
				ok = param_value_ok(json_array_get(v, k), p->type);
		} else {
			ok = param_value_ok(v, p->type);
		}
		if (!ok)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "Failed to validate type and shape for '%s', error: Incompatible type for "
					  "param '%s': expected %s%s, got %s",
					  p->name, p->name, p->is_list ? "a list of " : "", mlmodel_type_name(p->type),
					  jr_type_name(v));
		json_object_set(out, p->name, v);
	}
	in->params = out;
	return 0;
}

/* ---- CSV ---------------------------------------------------------------------- */

/* One CSV field from *p (quoted or not); false at the end of the text. */
static bool csv_field(const char **p, const char *end, struct buf *field, bool *row_end, bool *quoted)
{
	buf_reset(field);
	*quoted = false;
	const char *s = *p;
	if (s >= end)
		return false;
	if (*s == '"') {
		*quoted = true;
		s++;
		for (;;) {
			if (s >= end)
				break; /* an unclosed quote runs to the end, as pandas reads it */
			if (*s == '"' && s + 1 < end && s[1] == '"') {
				buf_addch(field, '"');
				s += 2;
			} else if (*s == '"') {
				s++;
				break;
			} else {
				buf_addch(field, *s++);
			}
		}
	}
	while (s < end && *s != ',' && *s != '\n' && *s != '\r')
		buf_addch(field, *s++);
	*row_end = s >= end || *s != ',';
	if (s < end && *s == ',')
		s++;
	else if (s < end && *s == '\r')
		s += (s + 1 < end && s[1] == '\n') ? 2 : 1;
	else if (s < end && *s == '\n')
		s++;
	*p = s;
	return true;
}

/* A CSV text value as pandas reads it for column type `t` (ANY: inferred
 * later from all values of the column). NULL when it cannot be. */
static json_t *csv_value(const char *text, bool quoted, enum mlmodel_type t)
{
	if (!*text && !quoted)
		return json_null();
	char *endp;
	errno = 0;
	if (t == MLMODEL_STRING || t == MLMODEL_BINARY || t == MLMODEL_DATETIME)
		return json_string(text);
	long long i = strtoll(text, &endp, 10);
	bool is_int = *text && !*endp && errno == 0;
	if (is_int && t != MLMODEL_DOUBLE && t != MLMODEL_FLOAT)
		return json_integer(i);
	errno = 0;
	double d = strtod(text, &endp);
	bool is_real = *text && !*endp && !(text[0] == '0' && (text[1] == 'x' || text[1] == 'X'));
	if (is_real && !isfinite(d))
		return json_string(isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
	if (is_real && t != MLMODEL_LONG && t != MLMODEL_INTEGER)
		return json_real(d);
	if (!strcmp(text, "True") || !strcmp(text, "true") || !strcmp(text, "TRUE"))
		return t == MLMODEL_ANY || t == MLMODEL_BOOLEAN ? json_true() : NULL;
	if (!strcmp(text, "False") || !strcmp(text, "false") || !strcmp(text, "FALSE"))
		return t == MLMODEL_ANY || t == MLMODEL_BOOLEAN ? json_false() : NULL;
	return t == MLMODEL_ANY ? json_string(text) : NULL;
}

static enum mlmodel_type csv_column_type(const struct mlmodel *m, const char *name)
{
	const struct mlmodel_schema *s = &m->inputs;
	if (!s->present || s->tensors)
		return MLMODEL_ANY;
	for (size_t i = 0; i < s->n; i++)
		if (s->specs[i].name && !strcmp(s->specs[i].name, name))
			return s->specs[i].type;
	return MLMODEL_ANY;
}

static int parse_csv(struct scoring_input *in, const char *body, size_t len, const struct mlmodel *m,
		     struct mlf_err *err)
{
	static const char failed[] = "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "
				     "CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` "
				     "method. Error: '%s'";
	const char *p = body, *end = body + len;
	struct buf field = BUF_INIT;
	bool row_end = false, quoted;
	json_t *names = keep(in, json_array());
	while (!row_end && csv_field(&p, end, &field, &row_end, &quoted)) {
		if (json_array_size(names) >= MLMODEL_MAX_SPECS) {
			buf_release(&field);
			return mlf_errorf(err, MLF_BAD_REQUEST, failed, "too many columns");
		}
		json_array_append_new(names, json_string(field.ptr ? field.ptr : ""));
	}
	size_t cols = json_array_size(names);
	if (!cols) {
		buf_release(&field);
		return mlf_errorf(err, MLF_BAD_REQUEST, failed, "No columns to parse from file");
	}
	enum mlmodel_type *types = calloc(cols, sizeof(*types));
	for (size_t c = 0; c < cols; c++)
		types[c] = csv_column_type(m, json_string_value(json_array_get(names, c)));
	json_t *rows = keep(in, json_array());
	size_t line = 1;
	while (p < end) {
		json_t *row = json_array();
		json_array_append_new(rows, row);
		line++;
		size_t c = 0;
		row_end = false;
		while (!row_end && csv_field(&p, end, &field, &row_end, &quoted)) {
			if (c >= cols) {
				char why[128];
				snprintf(why, sizeof(why), "Error tokenizing data. C error: Expected %zu fields in line %zu, saw %zu",
					 cols, line, c + 1);
				free(types);
				buf_release(&field);
				return mlf_errorf(err, MLF_BAD_REQUEST, failed, why);
			}
			json_t *v = csv_value(field.ptr ? field.ptr : "", quoted, types[c]);
			if (!v) {
				char why[256];
				snprintf(why, sizeof(why), "invalid literal for %s column '%s': '%.64s'",
					 mlmodel_type_name(types[c]), json_string_value(json_array_get(names, c)),
					 field.ptr ? field.ptr : "");
				free(types);
				buf_release(&field);
				return mlf_errorf(err, MLF_BAD_REQUEST, failed, why);
			}
			json_array_append_new(row, v);
			c++;
		}
		if (c == 1 && json_is_null(json_array_get(row, 0)) && cols > 1) {
			json_array_remove(rows, json_array_size(rows) - 1); /* a blank line */
			continue;
		}
		while (c++ < cols)
			json_array_append_new(row, json_null());
		if (json_array_size(rows) > SCORING_MAX_CELLS / cols) {
			free(types);
			buf_release(&field);
			return mlf_errorf(err, MLF_BAD_REQUEST, "The input has more than %u values", SCORING_MAX_CELLS);
		}
	}
	free(types);
	buf_release(&field);
	json_t *split = keep(in, json_pack("{sOsO}", "columns", names, "data", rows));
	return frame_from_split(in, split, err);
}

/* ---- content types and the JSON envelope --------------------------------------- */

/* "application/json; charset=utf-8" -> SCORING_CONTENT_JSON; -1 with the
 * 415 text in err otherwise. */
static int content_kind(const char *content_type, struct mlf_err *err)
{
	const char *ct = content_type ? content_type : "";
	const char *semi = strchr(ct, ';');
	size_t n = semi ? (size_t)(semi - ct) : strlen(ct);
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	while (n && (*ct == ' ' || *ct == '\t'))
		ct++, n--;
	int kind = -1;
	if (n == 16 && !strncasecmp(ct, "application/json", 16))
		kind = SCORING_CONTENT_JSON;
	else if (n == 8 && !strncasecmp(ct, "text/csv", 8))
		kind = SCORING_CONTENT_CSV;
	/* parameters: only charset, and only utf-8 */
	struct buf unknown = BUF_INIT;
	bool bad_charset = false;
	for (const char *p = semi; p && *p;) {
		p++;
		const char *next = strchr(p, ';');
		size_t len = next ? (size_t)(next - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		const char *k = p;
		size_t klen = eq ? (size_t)(eq - p) : len;
		while (klen && (*k == ' ' || *k == '\t'))
			k++, klen--;
		while (klen && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
			klen--;
		if (klen == 7 && !strncasecmp(k, "charset", 7)) {
			const char *v = eq ? eq + 1 : "";
			size_t vlen = eq ? len - (size_t)(v - p) : 0;
			while (vlen && (*v == ' ' || *v == '\t'))
				v++, vlen--;
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (!((vlen == 5 && !strncasecmp(v, "utf-8", 5)) || (vlen == 4 && !strncasecmp(v, "utf8", 4))))
				bad_charset = true;
		} else if (klen) {
			buf_addf(&unknown, "%s%.*s", unknown.len ? ", " : "", (int)klen, k);
		}
		p = next;
	}
	if (bad_charset) {
		mlf_errorf(err, MLF_BAD_REQUEST, "The scoring server only supports UTF-8");
		kind = -1;
	} else if (unknown.len) {
		mlf_errorf(err, MLF_BAD_REQUEST, "Unrecognized content type parameters: %s. %s", unknown.ptr,
			   PROTOCOL_CHANGE_INFO);
		kind = -1;
	} else if (kind < 0) {
		mlf_errorf(err, MLF_BAD_REQUEST,
			   "This predictor only supports the following content types: Types: ['text/csv', "
			   "'application/json']. Got '%.200s'.",
			   content_type ? content_type : "None");
	}
	buf_release(&unknown);
	return kind;
}

static const char *const input_fields[] = { "dataframe_split", "dataframe_records", "instances", "inputs" };

/* The one input field of the payload object, or -1 with MLflow's message. */
static int input_field(json_t *payload, json_t **value, struct mlf_err *err)
{
	int found = -1, count = 0;
	for (int i = 0; i < (int)ARRAY_SIZE(input_fields); i++) {
		json_t *v = json_object_get(payload, input_fields[i]);
		if (v) {
			found = i;
			*value = v;
			count++;
		}
	}
	if (count == 1)
		return found;
	struct buf keys = BUF_INIT;
	const char *key;
	json_t *v;
	buf_addch(&keys, '[');
	json_object_foreach(payload, key, v) {
		(void)v;
		buf_addf(&keys, "%s'%.100s'", keys.len > 1 ? ", " : "", key);
		if (keys.len > 1000) {
			buf_adds(&keys, ", ...");
			break;
		}
	}
	buf_addch(&keys, ']');
	mlf_errorf(err, MLF_BAD_REQUEST, "%s. Received dictionary with input fields: %s. %s", REQUIRED_INPUT_FORMAT,
		   keys.ptr, PROTOCOL_CHANGE_INFO);
	buf_release(&keys);
	return -1;
}

static bool all_objects(const json_t *arr)
{
	size_t n = json_array_size(arr);
	for (size_t i = 0; i < n; i++)
		if (!json_is_object(json_array_get(arr, i)))
			return false;
	return n > 0;
}

static int parse_json_payload(struct scoring_input *in, const char *body, size_t len, const struct mlmodel *m,
			      struct mlf_err *err)
{
	json_t *payload = NULL;
	enum jr_status st = jr_parse(body, len, &payload);
	if (st == JR_TOO_DEEP)
		return mlf_errorf(err, MLF_BAD_REQUEST, "Invalid input. The JSON input is nested deeper than %d levels.",
				  JR_MAX_DEPTH);
	json_error_t jerr;
	if (st != JR_OK || !payload)
		payload = len ? json_loadb(body, len, JSON_DECODE_ANY, &jerr) : NULL; /* a bare scalar */
	if (!payload) {
		return mlf_errorf(err, MLF_BAD_REQUEST,
				  "Invalid input. Ensure that input is a valid JSON formatted string. Error: '%s at line "
				  "%d column %d'",
				  len ? jerr.text : "Expecting value", len ? jerr.line : 1, len ? jerr.column : 1);
	}
	keep(in, payload);
	if (json_is_array(payload))
		return mlf_errorf(err, MLF_BAD_REQUEST, "Invalid input. %s. Received a list. %s", REQUIRED_INPUT_FORMAT,
				  PROTOCOL_CHANGE_INFO);
	if (!json_is_object(payload))
		return mlf_errorf(err, MLF_BAD_REQUEST, "Invalid input. %s. Received unexpected input type '<class '%s'>'.",
				  REQUIRED_INPUT_FORMAT, jr_type_name(payload));
	json_t *value = NULL;
	int field = input_field(payload, &value, err);
	if (field < 0)
		return -1;
	in->format = input_fields[field];
	int rc = 0;
	switch (field) {
	case 0:
		rc = frame_from_split(in, value, err);
		break;
	case 1:
		if (!json_is_array(value))
			return mlf_errorf(err, MLF_BAD_REQUEST,
					  "Invalid input. Dataframe records format must be a list of records. Got '%s'.",
					  jr_type_name(value));
		rc = frame_from_records(in, value, err);
		break;
	case 2:
		if (!json_is_array(value))
			return mlf_errorf(err, MLF_BAD_REQUEST,
					  "Failed to parse data as TF serving input. \"instances\" must be a list, got '%s'.",
					  jr_type_name(value));
		if (all_objects(value) && m->inputs.present && !m->inputs.tensors) {
			rc = frame_from_records(in, value, err);
		} else if (all_objects(value)) {
			/* records of named tensors: each name's values stacked */
			json_t *cols;
			rc = record_columns(in, value, &cols, err);
			if (rc == 0) {
				json_t *obj = keep(in, json_object());
				for (size_t c = 0; c < json_array_size(cols); c++) {
					const char *name = json_string_value(json_array_get(cols, c));
					json_t *list = json_array();
					for (size_t r = 0; r < json_array_size(value); r++) {
						json_t *v = json_object_get(json_array_get(value, r), name);
						json_array_append(list, v ? v : json_null());
					}
					json_object_set_new(obj, name, list);
				}
				if (columnar(obj)) {
					rc = frame_from_columns(in, obj, err);
				} else {
					in->kind = SCORING_TENSOR;
					in->tensor = obj;
				}
			}
		} else {
			in->kind = SCORING_TENSOR;
			in->tensor = value;
		}
		break;
	default:
		if (json_is_object(value) && columnar(value) && !(m->inputs.present && m->inputs.tensors)) {
			rc = frame_from_columns(in, value, err);
		} else {
			in->kind = SCORING_TENSOR;
			in->tensor = value;
			rc = 0;
		}
		break;
	}
	if (rc < 0)
		return -1;
	return check_params(in, json_object_get(payload, "params"), m, err);
}

/* ---- the entry point ------------------------------------------------------------ */

int scoring_input_parse(const char *content_type, const char *body, size_t len, const struct mlmodel *m,
			struct scoring_input *in, bool *unsupported, struct mlf_err *err)
{
	memset(in, 0, sizeof(*in));
	*unsupported = false;
	in->doc = json_array();
	int kind = content_kind(content_type, err);
	if (kind < 0) {
		*unsupported = true;
		scoring_input_release(in);
		return -1;
	}
	int rc;
	if (kind == SCORING_CONTENT_CSV) {
		in->format = "csv";
		rc = parse_csv(in, body, len, m, err);
		if (rc == 0)
			rc = check_params(in, NULL, m, err);
	} else {
		rc = parse_json_payload(in, body, len, m, err);
	}
	if (rc == 0 && in->kind == SCORING_FRAME)
		infer_types(in);
	const struct mlmodel_schema *s = &m->inputs;
	if (rc == 0 && s->present && s->n) {
		if (s->tensors)
			rc = enforce_tensors(in, s, err);
		else if (in->kind == SCORING_TENSOR)
			rc = tensor_to_frame(in, s, err) < 0 ? -1 : (infer_types(in), enforce_columns(in, s, err));
		else
			rc = enforce_columns(in, s, err);
	}
	if (rc < 0) {
		scoring_input_release(in);
		return -1;
	}
	return 0;
}

void scoring_input_release(struct scoring_input *in)
{
	free(in->cols);
	free(in->cells);
	json_decref(in->doc);
	memset(in, 0, sizeof(*in));
}

/* ---- the worker's JSON ---------------------------------------------------------- */

/* Writes v as JSON; with `numeric`, the non-finite tokens bare (Python
 * reads them as floats), else as the strings they are. */
static void write_value(struct buf *out, const json_t *v, bool numeric)
{
	if (numeric && is_nonfinite_token(v)) {
		buf_adds(out, json_string_value(v));
		return;
	}
	if (json_is_array(v)) {
		buf_addch(out, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_addch(out, ',');
			write_value(out, json_array_get(v, i), numeric);
		}
		buf_addch(out, ']');
		return;
	}
	if (json_is_object(v)) {
		buf_addch(out, '{');
		const char *key;
		json_t *item;
		bool first = true;
		json_object_foreach((json_t *)v, key, item) {
			if (!first)
				buf_addch(out, ',');
			first = false;
			json_t *k = json_string(key);
			char *ks = json_dumps(k, JSON_ENCODE_ANY);
			buf_adds(out, ks ? ks : "\"\"");
			free(ks);
			json_decref(k);
			buf_addch(out, ':');
			write_value(out, item, numeric);
		}
		buf_addch(out, '}');
		return;
	}
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
	buf_adds(out, s ? s : "null");
	free(s);
}

void scoring_input_to_json(const struct scoring_input *in, struct buf *out)
{
	if (in->kind == SCORING_FRAME) {
		buf_adds(out, "{\"kind\":\"frame\",\"columns\":[");
		for (size_t c = 0; c < in->n_cols; c++) {
			json_t *k = json_string(in->cols[c].name);
			char *ks = json_dumps(k, JSON_ENCODE_ANY);
			buf_addf(out, "%s%s", c ? "," : "", ks ? ks : "\"\"");
			free(ks);
			json_decref(k);
		}
		buf_adds(out, "],\"types\":[");
		for (size_t c = 0; c < in->n_cols; c++)
			buf_addf(out, "%s\"%s\"", c ? "," : "", mlmodel_type_name(in->cols[c].type));
		buf_adds(out, "],\"data\":[");
		for (size_t r = 0; r < in->n_rows; r++) {
			buf_adds(out, r ? ",[" : "[");
			for (size_t c = 0; c < in->n_cols; c++) {
				if (c)
					buf_addch(out, ',');
				enum mlmodel_type t = in->cols[c].type;
				write_value(out, *cell(in, r, c), t == MLMODEL_DOUBLE || t == MLMODEL_FLOAT);
			}
			buf_addch(out, ']');
		}
		buf_addch(out, ']');
	} else {
		buf_adds(out, "{\"kind\":\"tensor\",\"dtype\":");
		if (in->dtype)
			jw_escape(out, in->dtype, strlen(in->dtype));
		else
			buf_adds(out, "null");
		buf_adds(out, ",\"data\":");
		/* a tensor without a dtype: a "NaN" leaf most likely was Python's bare token */
		write_value(out, in->tensor, !in->dtype || !strncmp(in->dtype, "float", 5));
	}
	buf_adds(out, ",\"params\":");
	if (in->params)
		write_value(out, in->params, false);
	else
		buf_adds(out, "null");
	buf_addch(out, '}');
}
