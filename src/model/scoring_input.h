/*
 * scoring_input.h - what a scoring request asks a model to predict on, as
 * MLflow's scoring server reads it (spec §10): the JSON payload forms
 * (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, with
 * optional `params`) and pandas-style CSV, parsed, checked against the
 * model's signature (missing columns, types, MLflow's integer -> double
 * widening, tensor dtypes and shapes, params with their defaults) and
 * normalised into one shape every flavor reads: a frame of named, typed
 * columns, or a tensor. A refusal carries MLflow's message and code
 * (BAD_REQUEST, 400); nothing here ever aborts on what a client sends.
 *
 * `serve`, `predict` and the Lambda runtime all come through here, so the
 * three answer alike.
 */
#ifndef MLF_SCORING_INPUT_H
#define MLF_SCORING_INPUT_H

#include "../base/buf.h"
#include "mlmodel.h"
#include <jansson.h>

#define SCORING_MAX_CELLS (50u * 1000 * 1000) /* rows x columns of one request */

enum scoring_content {
	SCORING_CONTENT_JSON,
	SCORING_CONTENT_CSV,
};

enum scoring_kind {
	SCORING_FRAME,  /* named columns: dataframe_split, dataframe_records, CSV, records or columns in instances/inputs */
	SCORING_TENSOR, /* instances/inputs holding a (nested) list, or an object of named (nested) lists */
};

struct scoring_column {
	const char *name;        /* borrowed from the input's doc */
	enum mlmodel_type type;  /* the signature's; without one, what the values hold as pandas infers it:
				  * BOOLEAN, LONG, DOUBLE (also ints mixed with floats or missing values),
				  * STRING, else ANY */
};

/* One request, parsed. Everything is owned by `doc` and released with
 * scoring_input_release(). */
struct scoring_input {
	enum scoring_kind kind;
	const char *format;          /* "dataframe_split", "dataframe_records", "instances", "inputs", "csv" */
	/* SCORING_FRAME */
	size_t n_rows, n_cols;
	struct scoring_column *cols;
	json_t **cells;              /* n_rows * n_cols, row-major, borrowed: JSON null is a missing value;
				      * after enforcement a DOUBLE/FLOAT column holds reals (ints widened), null,
				      * or for values JSON cannot hold the strings "NaN", "Infinity", "-Infinity";
				      * a LONG/INTEGER column integers only; a BOOLEAN column true/false */
	/* SCORING_TENSOR */
	json_t *tensor;              /* a (nested) array, or an object name -> (nested) array; borrowed;
				      * non-finite numbers as in cells */
	const char *dtype;           /* the signature's numpy dtype, or NULL without one */
	/* both */
	json_t *params;              /* an object: the request's params checked against the params schema,
				      * defaults filled in; NULL when the model has no params schema and the
				      * request sent none */
	json_t *doc;                 /* owns the parsed payload */
};

/* Parses `content_type` (as sent, may be NULL) and `body` against model
 * `m` into *in (zeroed first). Returns 0, or -1 with `err` set and *in
 * empty. A content type the protocol does not take sets *unsupported and
 * puts MLflow's 415 text in err->msg; a payload that does not parse is
 * BAD_REQUEST, one the signature refuses INVALID_PARAMETER_VALUE ("Failed
 * to enforce schema ..."), both with MLflow's messages (HTTP 400). */
int scoring_input_parse(const char *content_type, const char *body, size_t len, const struct mlmodel *m,
			struct scoring_input *in, bool *unsupported, struct mlf_err *err);
void scoring_input_release(struct scoring_input *in);

/* The input as a dense matrix of doubles, for native flavors: a frame's
 * columns in order (missing values NaN, booleans 0/1), or a tensor of rank
 * 2 (another rank is refused, as numpy-fed libraries refuse it).
 * `column_major` chooses the layout. Returns 0 with *out malloc'd (the
 * caller frees it), or -1 with BAD_REQUEST naming the column or element
 * that is not numeric. */
int scoring_input_matrix(const struct scoring_input *in, bool column_major, double **out, size_t *rows,
			 size_t *cols, struct mlf_err *err);

/* The input as the JSON the Python worker reads (one line, no newline
 * inside):
 *   {"kind": "frame", "columns": [names], "types": [MLflow type names],
 *    "data": [[row], ...], "params": {...} | null}
 *   {"kind": "tensor", "dtype": "float64" | null, "data": <nested list or
 *    object of them>, "params": {...} | null}
 * NaN and infinities (which JSON cannot hold) travel as the bare tokens
 * NaN, Infinity, -Infinity, as Python's json module reads them. Appends to
 * `out` (sticky errors: check buf_failed). */
void scoring_input_to_json(const struct scoring_input *in, struct buf *out);

#endif
