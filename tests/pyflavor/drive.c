/*
 * drive.c - drives the python_function flavor directly, without HTTP, for
 * tests/blackbox/test_pyflavor.py and bench/pyflavor.py.
 *
 *   build/tests/pyflavor_drive MODEL_DIR [--workers N] [--timeout-ms T]
 *       [--env-manager M] [--python P] [--env-cache DIR] [--system-site-packages]
 *
 * Opens the model with model_dir_open(), loads it with flavor_python.load
 * and prints one JSON line: {"ready": true, "python": VERSION} or
 * {"load_error": {"error_code", "message"}} (exit 3). Then reads JSON lines
 * from stdin and answers each with one line:
 *   a request in scoring_input_to_json()'s shape ({"kind": "frame",
 *   "columns", "types", "data", "params"} or {"kind": "tensor", "dtype",
 *   "data", "params"}) is turned into a struct scoring_input by hand and
 *   predicted: {"predictions": ...} or {"error_code", "message", "stack_trace"};
 *   {"cmd": "parallel", "request": R, "n": K}: K predicts at once, one
 *   thread each: {"results": [answers], "ms": elapsed};
 *   {"cmd": "bench", "request": R, "n": N, "threads": T}: N predicts over
 *   T threads: {"rps", "p50_us", "p99_us", "errors"};
 *   {"cmd": "restarts"}: {"restarts": N}.
 * At EOF it unloads the model (every worker stopped and reaped) and prints
 * {"unloaded": true}.
 */
#include "base/buf.h"
#include "base/util.h"
#include "model/flavor.h"
#include "model/pyworker.h"

#include <pthread.h>

extern const struct flavor_ops flavor_python;

/* ---- requests ------------------------------------------------------------ */

/* Fills *in from a request line (borrowing from `req`); frees in->cols/cells after. */
static int input_of(json_t *req, struct scoring_input *in)
{
	memset(in, 0, sizeof(*in));
	in->doc = req;
	json_t *params = json_object_get(req, "params");
	in->params = json_is_object(params) ? params : NULL;
	const char *kind = json_string_value(json_object_get(req, "kind"));
	if (kind && strcmp(kind, "frame") == 0) {
		json_t *cols = json_object_get(req, "columns"), *types = json_object_get(req, "types"),
		       *data = json_object_get(req, "data");
		in->kind = SCORING_FRAME;
		in->format = "dataframe_split";
		in->n_cols = json_array_size(cols);
		in->n_rows = json_array_size(data);
		in->cols = calloc(in->n_cols ? in->n_cols : 1, sizeof(*in->cols));
		in->cells = calloc(in->n_cols * in->n_rows + 1, sizeof(*in->cells));
		for (size_t c = 0; c < in->n_cols; c++) {
			in->cols[c].name = json_string_value(json_array_get(cols, c));
			const char *t = json_string_value(json_array_get(types, c));
			int ty = t ? mlmodel_type_of(t) : -1;
			in->cols[c].type = ty < 0 ? MLMODEL_ANY : (enum mlmodel_type)ty;
		}
		for (size_t r = 0; r < in->n_rows; r++)
			for (size_t c = 0; c < in->n_cols; c++)
				in->cells[r * in->n_cols + c] = json_array_get(json_array_get(data, r), c);
		return 0;
	}
	in->kind = SCORING_TENSOR;
	in->format = "inputs";
	in->tensor = json_object_get(req, "data");
	in->dtype = json_string_value(json_object_get(req, "dtype"));
	return 0;
}

static void input_free(struct scoring_input *in)
{
	free(in->cols);
	free(in->cells);
}

/* flavor_python's state; its first member is the pool (flavor_python.c), which
 * the restarts command and the ready line read. */
static void *model_state;

/* One prediction as the answer line's JSON (appended to out). */
static void predict_line(json_t *req, struct buf *out)
{
	struct scoring_input in;
	input_of(req, &in);
	struct buf preds = BUF_INIT;
	struct mlf_err err;
	if (flavor_python.predict(model_state, &in, &preds, &err) == 0) {
		buf_adds(out, "{\"predictions\": ");
		buf_add(out, preds.ptr, preds.len);
		buf_adds(out, "}");
	} else {
		json_t *e = json_pack("{s:s, s:s, s:s}", "error_code", mlf_code_name(err.code), "message", err.msg,
				      "stack_trace", pyworker_stack_trace());
		char *t = json_dumps(e, JSON_COMPACT);
		buf_adds(out, t);
		free(t);
		json_decref(e);
	}
	buf_release(&preds);
	input_free(&in);
}

struct job {
	json_t *req;
	size_t n;          /* predictions this thread makes */
	struct buf answer; /* parallel: the one answer */
	int64_t *lat_ns;   /* bench: each latency */
	size_t errors;
};

static void *parallel_one(void *arg)
{
	struct job *j = arg;
	predict_line(j->req, &j->answer);
	return NULL;
}

static void *bench_loop(void *arg)
{
	struct job *j = arg;
	struct scoring_input in;
	input_of(j->req, &in);
	struct buf preds = BUF_INIT;
	for (size_t i = 0; i < j->n; i++) {
		struct mlf_err err;
		buf_reset(&preds);
		int64_t t0 = util_mono_ns();
		if (flavor_python.predict(model_state, &in, &preds, &err) < 0)
			j->errors++;
		j->lat_ns[i] = util_mono_ns() - t0;
	}
	buf_release(&preds);
	input_free(&in);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void run_command(json_t *req, const char *cmd, struct buf *out)
{
	json_t *inner = json_object_get(req, "request");
	size_t n = (size_t)json_integer_value(json_object_get(req, "n"));
	if (strcmp(cmd, "restarts") == 0) {
		buf_addf(out, "{\"restarts\": %u}", pyworker_pool_restarts(*(struct pyworker_pool **)model_state));
		return;
	}
	if (strcmp(cmd, "parallel") == 0) {
		struct job *jobs = calloc(n, sizeof(*jobs));
		pthread_t *th = calloc(n, sizeof(*th));
		int64_t t0 = util_mono_ns();
		for (size_t i = 0; i < n; i++) {
			jobs[i].req = inner;
			jobs[i].answer = (struct buf)BUF_INIT;
			pthread_create(&th[i], NULL, parallel_one, &jobs[i]);
		}
		buf_adds(out, "{\"results\": [");
		for (size_t i = 0; i < n; i++) {
			pthread_join(th[i], NULL);
			buf_adds(out, i ? ", " : "");
			buf_add(out, jobs[i].answer.ptr, jobs[i].answer.len);
			buf_release(&jobs[i].answer);
		}
		buf_addf(out, "], \"ms\": %.1f}", (double)(util_mono_ns() - t0) / 1e6);
		free(jobs);
		free(th);
		return;
	}
	if (strcmp(cmd, "bench") == 0) {
		size_t threads = (size_t)json_integer_value(json_object_get(req, "threads"));
		if (!threads)
			threads = 1;
		struct job *jobs = calloc(threads, sizeof(*jobs));
		pthread_t *th = calloc(threads, sizeof(*th));
		int64_t *lat = calloc(n * threads + 1, sizeof(*lat));
		int64_t t0 = util_mono_ns();
		for (size_t i = 0; i < threads; i++) {
			jobs[i] = (struct job){ .req = inner, .n = n, .lat_ns = lat + i * n };
			pthread_create(&th[i], NULL, bench_loop, &jobs[i]);
		}
		size_t errors = 0;
		for (size_t i = 0; i < threads; i++) {
			pthread_join(th[i], NULL);
			errors += jobs[i].errors;
		}
		double secs = (double)(util_mono_ns() - t0) / 1e9;
		size_t total = n * threads;
		qsort(lat, total, sizeof(*lat), cmp_i64);
		buf_addf(out, "{\"rps\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"errors\": %zu}",
			 (double)total / secs, total ? (double)lat[total / 2] / 1e3 : 0.0,
			 total ? (double)lat[total * 99 / 100] / 1e3 : 0.0, errors);
		free(lat);
		free(jobs);
		free(th);
		return;
	}
	buf_addf(out, "{\"error\": \"unknown command\"}");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s MODEL_DIR [--workers N] [--timeout-ms T] [--env-manager M] [--python P] "
				"[--env-cache DIR] [--system-site-packages]\n",
			argv[0]);
		return 2;
	}
	struct flavor_options opt = { .workers = 1 };
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--system-site-packages") == 0) {
			opt.system_site_packages = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "%s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--workers") == 0)
			opt.workers = (unsigned)atoi(v);
		else if (strcmp(a, "--timeout-ms") == 0)
			opt.timeout_ms = (unsigned)atoi(v);
		else if (strcmp(a, "--env-manager") == 0)
			opt.env_manager = v;
		else if (strcmp(a, "--python") == 0)
			opt.python = v;
		else if (strcmp(a, "--env-cache") == 0)
			opt.env_cache_dir = v;
		else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
	}
	struct model_dir md;
	struct mlf_err err;
	char why[256];
	int rc = model_dir_open(argv[1], &md, &err);
	bool opened = rc == 0;
	if (rc == 0 && !flavor_python.accepts(&md, why, sizeof(why)))
		rc = mlf_errorf(&err, MLF_INVALID_PARAMETER_VALUE, "%s", why);
	if (rc == 0)
		rc = flavor_python.load(&md, &opt, &model_state, &err);
	if (rc < 0) {
		json_t *e = json_pack("{s:{s:s, s:s}}", "load_error", "error_code", mlf_code_name(err.code), "message",
				      err.msg);
		char *t = json_dumps(e, JSON_COMPACT);
		printf("%s\n", t);
		free(t);
		json_decref(e);
		if (opened)
			model_dir_close(&md);
		return 3;
	}
	printf("{\"ready\": true, \"python\": \"%s\"}\n",
	       pyworker_pool_python_version(*(struct pyworker_pool **)model_state));
	fflush(stdout);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		json_error_t jerr;
		json_t *req = json_loadb(line, (size_t)len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		struct buf out = BUF_INIT;
		const char *cmd = json_string_value(json_object_get(req, "cmd"));
		if (!req)
			buf_addf(&out, "{\"error\": \"bad line: %s\"}", jerr.text);
		else if (cmd)
			run_command(req, cmd, &out);
		else
			predict_line(req, &out);
		printf("%s\n", out.ptr);
		fflush(stdout);
		buf_release(&out);
		json_decref(req);
	}
	free(line);
	flavor_python.unload(model_state);
	model_dir_close(&md);
	printf("{\"unloaded\": true}\n");
	return 0;
}
