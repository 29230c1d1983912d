/*
 * store.c - picks a store backend from the backend-store URI. A bare path
 * is a SQLite file unless it looks like MLflow's file store, which is
 * refused before anything is created (store_probe.h).
 */
#include "store.h"
#include "store_probe.h"
#include "store_sqlite.h"

static int check_sqlite(const char *path, struct mlf_err *err)
{
	enum store_probe_kind kind;
	return store_probe_sqlite(path, &kind, err);
}

/* MLflow's file store (file:///path/mlruns) has no backend here. */
static int refuse_file_store(const char *path, struct mlf_err *err)
{
	(void)path;
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "a file: URI names MLflow's file store, and MLflow's file store is not supported as a "
			  "backend store; use a SQLite file, e.g. --backend-store-uri sqlite:///mlflowc.db");
}

static const struct {
	const char *scheme; /* URI prefix */
	int (*check)(const char *path, struct mlf_err *err); /* changes nothing */
	struct store *(*open)(const char *path, const struct store_options *opt, struct mlf_err *err);
} store_backends[] = {
	{ "sqlite://", check_sqlite, store_sqlite_open },
	{ "file:", refuse_file_store, NULL },
};

/* The backend row for `uri` (a bare path is SQLite's) and the path after
 * its scheme, borrowed from `uri`. -1 with `err` set for an unknown scheme
 * or a bare path that looks like MLflow's file store. */
static int store_resolve(const char *uri, size_t *backend, const char **path, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(store_backends); i++) {
		size_t n = strlen(store_backends[i].scheme);
		if (strncmp(uri, store_backends[i].scheme, n) == 0) {
			*path = uri + n;
			/* sqlite:///rel.db -> "rel.db"; sqlite:////abs.db -> "/abs.db" */
			if (**path == '/')
				(*path)++;
			if (!**path)
				*path = ":memory:";
			*backend = i;
			return 0;
		}
	}
	if (strstr(uri, "://"))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "unsupported backend store URI '%s'", uri);
	if (store_probe_bare_path(uri, err) < 0)
		return -1;
	*backend = 0;
	*path = uri;
	return 0;
}

int store_check_uri(const char *uri, struct mlf_err *err)
{
	size_t backend;
	const char *path;
	if (store_resolve(uri, &backend, &path, err) < 0)
		return -1;
	return store_backends[backend].check(path, err);
}

static const char *const durability_names[] = {
	[STORE_DURABILITY_NORMAL] = "normal",
	[STORE_DURABILITY_FULL] = "full",
};

int store_durability_parse(const char *name, enum store_durability *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(durability_names); i++)
		if (strcmp(name, durability_names[i]) == 0) {
			*out = (enum store_durability)i;
			return 0;
		}
	return -1;
}

struct store *store_open(const char *uri, const struct store_options *opt, struct mlf_err *err)
{
	size_t backend;
	const char *path;
	if (store_resolve(uri, &backend, &path, err) < 0 || store_backends[backend].check(path, err) < 0)
		return NULL;
	return store_backends[backend].open(path, opt, err);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

static int cmp_int64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* First index with steps[i] >= v (or > v when `after`). */
static size_t bisect(const int64_t *steps, size_t n, int64_t v, bool after)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (steps[mid] < v || (after && steps[mid] == v))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t store_sample_steps(const int64_t *steps, size_t n_steps, const int64_t *bounds, size_t n_bounds,
			  bool has_range, int64_t start, int64_t end, size_t max_results, int64_t *out)
{
	size_t n = 0;
	if (!has_range) {
		start = 0;
		end = n_steps ? steps[n_steps - 1] : 0;
	}
	size_t lo = bisect(steps, n_steps, start, false), hi = bisect(steps, n_steps, end, true);
	if (hi > lo && hi - lo <= max_results) {
		for (size_t i = lo; i < hi; i++)
			out[n++] = steps[i];
	} else if (hi > lo && max_results > 0) {
		double interval = (double)(hi - lo) / (double)max_results;
		for (size_t i = 0; i < max_results; i++) {
			size_t idx = lo + (size_t)((double)i * interval);
			if (idx < hi)
				out[n++] = steps[idx];
		}
		out[n++] = steps[hi - 1];
	}
	for (size_t i = 0; i < n_bounds; i++)
		if (bounds[i] >= start && bounds[i] <= end)
			out[n++] = bounds[i];
	qsort(out, n, sizeof(*out), cmp_int64);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || out[k - 1] != out[i])
			out[k++] = out[i];
	return k;
}
