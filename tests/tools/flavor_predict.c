/*
 * flavor_predict.c - drives a native flavor directly, without the scoring
 * server: opens a model directory with model_dir_open(), loads it with the
 * flavor's load(), and answers one request per line of stdin with one line
 * on stdout. The black-box tests (tests/blackbox/test_flavor_xgboost.py)
 * compare its answers with Python xgboost's on the same rows; they build it
 * against the libmlflowc-server.a beside the binary under test.
 *
 *   flavor_predict MODEL_DIR < requests
 *
 * A request line is JSON (bare NaN allowed, as Python writes it):
 *   {"kind": "frame", "columns": [names], "data": [[row], ...], "params": {...}}
 *   {"kind": "tensor", "data": <nested list>, "params": {...}}
 * The answer is the predictions JSON predict() wrote, or
 * "ERROR <CODE> <message>" (newlines in the message shown as \n). A model
 * that does not load prints "LOAD-ERROR <CODE> <message>" and exits 2.
 * The flavor's accepts() verdict is printed first: "ACCEPTS" or
 * "REFUSES <why>".
 */
#include "../../src/base/common.h"
#include "../../src/json/jr.h"
#include "../../src/model/flavor.h"

extern const struct flavor_ops flavor_xgboost;

/* One line, with newlines escaped so the answer stays one line. */
static void print_error(const char *prefix, const struct mlf_err *err)
{
	printf("%s %s ", prefix, mlf_code_name(err->code));
	for (const char *p = err->msg; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
}

/* Fills *in from the request `req` (which stays owned by the caller). */
static int input_from(json_t *req, struct scoring_input *in, struct mlf_err *err)
{
	memset(in, 0, sizeof(*in));
	in->doc = req;
	in->params = json_object_get(req, "params");
	const char *kind = json_string_value(json_object_get(req, "kind"));
	json_t *data = json_object_get(req, "data");
	if (kind && !strcmp(kind, "tensor")) {
		in->kind = SCORING_TENSOR;
		in->format = "instances";
		in->tensor = data;
		return 0;
	}
	json_t *columns = json_object_get(req, "columns");
	if (!json_is_array(columns) || !json_is_array(data))
		return mlf_errorf(err, MLF_BAD_REQUEST, "a frame request needs columns and data lists");
	in->kind = SCORING_FRAME;
	in->format = "dataframe_split";
	in->n_cols = json_array_size(columns);
	in->n_rows = json_array_size(data);
	in->cols = calloc(in->n_cols + 1, sizeof(*in->cols));
	in->cells = calloc(in->n_rows * in->n_cols + 1, sizeof(*in->cells));
	if (!in->cols || !in->cells)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
	for (size_t c = 0; c < in->n_cols; c++) {
		in->cols[c].name = json_string_value(json_array_get(columns, c));
		in->cols[c].type = MLMODEL_DOUBLE;
	}
	for (size_t r = 0; r < in->n_rows; r++) {
		json_t *row = json_array_get(data, r);
		if (json_array_size(row) != in->n_cols)
			return mlf_errorf(err, MLF_BAD_REQUEST, "row %zu has %zu values, not %zu", r,
					  json_array_size(row), in->n_cols);
		for (size_t c = 0; c < in->n_cols; c++)
			in->cells[r * in->n_cols + c] = json_array_get(row, c);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s MODEL_DIR < requests\n", argv[0]);
		return 64;
	}
	const struct flavor_ops *flavor = &flavor_xgboost;
	struct mlf_err err;
	struct model_dir md;
	if (model_dir_open(argv[1], &md, &err) < 0) {
		print_error("LOAD-ERROR", &err);
		return 2;
	}
	char why[256];
	if (flavor->accepts(&md, why, sizeof(why)))
		printf("ACCEPTS\n");
	else
		printf("REFUSES %s\n", why);
	struct flavor_options opt = { .workers = 1 };
	void *state;
	if (flavor->load(&md, &opt, &state, &err) < 0) {
		print_error("LOAD-ERROR", &err);
		model_dir_close(&md);
		return 2;
	}
	fflush(stdout);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_t *req = NULL;
		if (jr_parse(line, (size_t)n, &req) != JR_OK || !json_is_object(req)) {
			json_decref(req);
			printf("ERROR BAD_REQUEST the request line is not a JSON object\n");
			continue;
		}
		struct scoring_input in;
		struct buf out = BUF_INIT;
		if (input_from(req, &in, &err) < 0 || flavor->predict(state, &in, &out, &err) < 0)
			print_error("ERROR", &err);
		else
			printf("%s\n", out.ptr);
		fflush(stdout);
		buf_release(&out);
		free(in.cols);
		free(in.cells);
		json_decref(req);
	}
	free(line);
	flavor->unload(state);
	model_dir_close(&md);
	return 0;
}
