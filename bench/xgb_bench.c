/*
 * xgb_bench.c - how fast the native xgboost flavor predicts on its own:
 * flavor_xgboost.predict called directly (no HTTP, no request parsing),
 * for one row and for 100 rows, on 1 and on 2 threads sharing one loaded
 * model (wall-clock rates, and the CPU time each prediction took, which a
 * busy machine does not blur), plus the process's RSS before and after
 * loading. A benchmark,
 * not a test: it reports figures; it fails only when two threads' answers
 * differ from the single-threaded answer for the same input (the flavor
 * relies on libxgboost's prediction being safe on one booster from many
 * threads).
 *
 *   build/bench/xgb_bench MODEL_DIR [COLUMNS [SECONDS]]
 *
 * COLUMNS is the comma-separated feature names the model wants (its frame
 * is built with them), or a number of features (a tensor, by position);
 * default 4. SECONDS is each measurement's length (default 1).
 * bench/xgb_model.py writes a small model of the kind the issue measures.
 */
#include "base/common.h"
#include "model/flavor.h"
#include <math.h>
#include <pthread.h>
#include <sys/resource.h>

extern const struct flavor_ops flavor_xgboost;

#define MAX_COLS 256

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* A request of `rows` rows of pseudo-random values (some missing). */
static void make_input(struct scoring_input *in, size_t rows, char **names, size_t ncols, unsigned seed)
{
	memset(in, 0, sizeof(*in));
	json_t *data = json_array();
	for (size_t r = 0; r < rows; r++) {
		json_t *row = json_array();
		for (size_t c = 0; c < ncols; c++) {
			seed = seed * 1103515245u + 12345u;
			double v = ((double)(seed >> 8) / (double)(1u << 24)) * 4 - 2;
			json_array_append_new(row, (seed & 15) == 0 ? json_null() : json_real(v));
		}
		json_array_append_new(data, row);
	}
	in->doc = data;
	if (!names[0]) {
		in->kind = SCORING_TENSOR;
		in->tensor = data;
		return;
	}
	in->kind = SCORING_FRAME;
	in->n_rows = rows;
	in->n_cols = ncols;
	in->cols = calloc(ncols, sizeof(*in->cols));
	in->cells = calloc(rows * ncols, sizeof(*in->cells));
	for (size_t c = 0; c < ncols; c++)
		in->cols[c] = (struct scoring_column){ names[c], MLMODEL_DOUBLE };
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < ncols; c++)
			in->cells[r * ncols + c] = json_array_get(json_array_get(data, r), c);
}

struct worker {
	pthread_t thread;
	void *state;
	const struct scoring_input *in;
	const char *reference;
	double seconds;
	long done;
	long mismatches;
	double cpu_s; /* the thread's CPU time (user + system) */
	int failed;
};

static double thread_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct buf out = BUF_INIT;
	struct mlf_err err;
	double cpu0 = thread_cpu_s();
	double end = now_s() + w->seconds;
	while (now_s() < end) {
		for (int i = 0; i < 64; i++) {
			buf_reset(&out);
			if (flavor_xgboost.predict(w->state, w->in, &out, &err) < 0) {
				fprintf(stderr, "predict: %s\n", err.msg);
				w->failed = 1;
				buf_release(&out);
				return NULL;
			}
			if (strcmp(out.ptr, w->reference))
				w->mismatches++;
			w->done++;
		}
	}
	w->cpu_s = thread_cpu_s() - cpu0;
	buf_release(&out);
	return NULL;
}

/* predictions/s (requests/s) on `threads` threads. */
static int measure(void *state, const struct scoring_input *in, size_t rows, int threads, double seconds)
{
	struct buf ref = BUF_INIT;
	struct mlf_err err;
	if (flavor_xgboost.predict(state, in, &ref, &err) < 0) {
		fprintf(stderr, "predict: %s\n", err.msg);
		return -1;
	}
	struct worker w[8];
	double start = now_s();
	for (int t = 0; t < threads; t++) {
		w[t] = (struct worker){ .state = state, .in = in, .reference = ref.ptr, .seconds = seconds };
		pthread_create(&w[t].thread, NULL, work, &w[t]);
	}
	long done = 0, mismatches = 0;
	double cpu = 0;
	int failed = 0;
	for (int t = 0; t < threads; t++) {
		pthread_join(w[t].thread, NULL);
		done += w[t].done;
		mismatches += w[t].mismatches;
		cpu += w[t].cpu_s;
		failed |= w[t].failed;
	}
	double elapsed = now_s() - start;
	/* CPU time per prediction is what a loaded machine does not blur */
	printf("%3zu row%s, %d thread%s: %9.0f predict/s %10.0f rows/s  %7.2f CPU us/predict%s\n", rows,
	       rows == 1 ? " " : "s", threads, threads == 1 ? " " : "s", (double)done / elapsed,
	       (double)done * (double)rows / elapsed, cpu * 1e6 / (double)(done ? done : 1),
	       mismatches ? "  ANSWERS DIFFER" : "");
	buf_release(&ref);
	return failed || mismatches ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s MODEL_DIR [COLUMNS|N_FEATURES [SECONDS]]\n", argv[0]);
		return 64;
	}
	char *names[MAX_COLS + 1] = { 0 };
	size_t ncols = 4;
	char *spec = argc > 2 ? strdup(argv[2]) : NULL;
	if (spec && strchr("0123456789", spec[0])) {
		ncols = strtoul(spec, NULL, 10);
	} else if (spec) {
		ncols = 0;
		char *save = NULL;
		for (char *tok = strtok_r(spec, ",", &save); tok && ncols < MAX_COLS; tok = strtok_r(NULL, ",", &save))
			names[ncols++] = tok;
	}
	if (ncols == 0 || ncols > MAX_COLS) {
		fprintf(stderr, "1 to %d columns\n", MAX_COLS);
		return 64;
	}
	double seconds = argc > 3 ? strtod(argv[3], NULL) : 1.0;
	long rss_before = rss_kb();
	struct mlf_err err;
	struct model_dir md;
	if (model_dir_open(argv[1], &md, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	struct flavor_options opt = { .workers = 2 };
	void *state;
	double t0 = now_s();
	if (flavor_xgboost.load(&md, &opt, &state, &err) < 0) {
		fprintf(stderr, "load: %s\n", err.msg);
		return 1;
	}
	double load_ms = (now_s() - t0) * 1e3;
	printf("load: %.2f ms (libxgboost loaded with it); RSS %ld kB before, %ld kB after\n", load_ms, rss_before,
	       rss_kb());
	int rc = 0;
	static const size_t sizes[] = { 1, 100 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct scoring_input in;
		make_input(&in, sizes[i], names, ncols, 42u + (unsigned)i);
		for (int threads = 1; threads <= 2; threads++)
			if (measure(state, &in, sizes[i], threads, seconds) < 0)
				rc = 1;
		free(in.cols);
		free(in.cells);
		json_decref(in.doc);
	}
	printf("RSS after the runs: %ld kB\n", rss_kb());
	flavor_xgboost.unload(state);
	model_dir_close(&md);
	free(spec);
	return rc;
}
