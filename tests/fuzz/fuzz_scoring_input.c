/*
 * fuzz_scoring_input.c - libFuzzer target for the scoring request reader
 * (scoring_input_parse, src/model/scoring_input.h), which reads whatever
 * reaches POST /invocations, and for what the flavors make of its result
 * (scoring_input_to_json for the Python workers, scoring_input_matrix for
 * the native flavors).
 *
 * The first byte picks the model's signature (none, named columns with
 * params, one tensor, two named tensors) and the content type (JSON or
 * CSV); the rest is the body. Besides "no crash, no leak, no undefined
 * behaviour" it asserts: a refusal is BAD_REQUEST or
 * INVALID_PARAMETER_VALUE with a message, never "unsupported" for these
 * content types; an accepted frame has every cell set and every column
 * named and typed, and under a column signature only the signature's
 * columns with its types; the worker's JSON line always reads back as JSON
 * (bare NaN tokens included) and says the same kind; the matrix, when it
 * can be made, has rows x columns of the input. Seeds:
 * tests/fuzz/corpus/scoring_input/ (`make fuzz`).
 */
#include "json/jr.h"
#include "model/mlmodel.h"
#include "model/scoring_input.h"
#include "fuzz_ui_stub.h"
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

static const char *const models[] = {
	"flavors: {python_function: {loader_module: m}}\n",
	"flavors: {python_function: {loader_module: m}}\n"
	"signature:\n"
	"  inputs: '[{\"type\": \"double\", \"name\": \"a\"}, {\"type\": \"long\", \"name\": \"b\", \"required\": false},"
	" {\"type\": \"string\", \"name\": \"s\", \"required\": false}, {\"type\": \"boolean\", \"name\": \"t\", "
	"\"required\": false}]'\n"
	"  params: '[{\"name\": \"k\", \"type\": \"long\", \"default\": 3, \"shape\": null},"
	" {\"name\": \"l\", \"type\": \"double\", \"default\": [1.5], \"shape\": [-1]}]'\n",
	"flavors: {python_function: {loader_module: m}}\n"
	"signature:\n"
	"  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": [-1, 2]}}]'\n",
	"flavors: {python_function: {loader_module: m}}\n"
	"signature:\n"
	"  inputs: '[{\"type\": \"tensor\", \"name\": \"x\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1]}},"
	" {\"type\": \"tensor\", \"name\": \"y\", \"tensor-spec\": {\"dtype\": \"uint8\", \"shape\": [-1, 2, 2]}}]'\n",
};
#define N_MODELS (sizeof(models) / sizeof(models[0]))

static struct mlmodel parsed[N_MODELS];
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		for (size_t i = 0; i < N_MODELS; i++) {
			struct mlf_err err;
			CHECK(mlmodel_parse(models[i], strlen(models[i]), &parsed[i], &err) == 0);
		}
		ready = true;
	}
	if (size < 1)
		return 0;
	const struct mlmodel *m = &parsed[data[0] % N_MODELS];
	const char *ctype = (data[0] / N_MODELS) % 2 ? "text/csv" : "application/json";
	struct scoring_input in;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	bool unsupported = true;
	if (scoring_input_parse(ctype, (const char *)data + 1, size - 1, m, &in, &unsupported, &err) < 0) {
		CHECK(!unsupported);
		CHECK(err.code == MLF_BAD_REQUEST || err.code == MLF_INVALID_PARAMETER_VALUE);
		CHECK(err.msg[0] != '\0');
		CHECK(in.doc == NULL && in.cells == NULL);
		return 0;
	}
	CHECK(in.format != NULL);
	if (in.kind == SCORING_FRAME) {
		for (size_t c = 0; c < in.n_cols; c++) {
			CHECK(in.cols[c].name != NULL);
			CHECK((unsigned)in.cols[c].type < MLMODEL_TYPE_COUNT);
		}
		for (size_t i = 0; i < in.n_rows * in.n_cols; i++)
			CHECK(in.cells[i] != NULL);
		if (m->inputs.present && !m->inputs.tensors) {
			CHECK(in.n_cols <= m->inputs.n);
			for (size_t c = 0; c < in.n_cols; c++) {
				bool found = false;
				for (size_t s = 0; s < m->inputs.n && !found; s++)
					found = !strcmp(m->inputs.specs[s].name, in.cols[c].name) &&
						m->inputs.specs[s].type == in.cols[c].type;
				CHECK(found);
			}
		}
	} else {
		CHECK(in.kind == SCORING_TENSOR && in.tensor != NULL);
		CHECK(!(m->inputs.present && !m->inputs.tensors));
	}
	if (m->n_params)
		CHECK(json_is_object(in.params) && json_object_size(in.params) == m->n_params);
	struct buf line = BUF_INIT;
	scoring_input_to_json(&in, &line);
	json_t *back = NULL;
	CHECK(jr_parse(line.ptr, line.len, &back) == JR_OK && json_is_object(back));
	CHECK(!strcmp(json_string_value(json_object_get(back, "kind")), in.kind == SCORING_FRAME ? "frame" : "tensor"));
	json_decref(back);
	buf_release(&line);
	double *matrix = NULL;
	size_t rows = 0, cols = 0;
	if (scoring_input_matrix(&in, data[0] & 1, &matrix, &rows, &cols, &err) == 0) {
		if (in.kind == SCORING_FRAME)
			CHECK(rows == in.n_rows && cols == in.n_cols);
		free(matrix);
	}
	scoring_input_release(&in);
	return 0;
}
