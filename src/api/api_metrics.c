/*
 * api_metrics.c - metric history endpoints: the full history of one key,
 * the down-sampled history of several runs for charts, and the UI's legacy
 * bulk history.
 */
#include "api.h"

#define BULK_MAX_RUNS 100
#define BULK_INTERVAL_MAX_RESULTS 2500
#define BULK_HISTORY_MAX_RESULTS 25000
#define HISTORY_MAX_RESULTS 1000000

static void render_metrics(struct api_ctx *c, const struct store_metric *m, size_t n, bool with_run_id)
{
	if (!n)
		return;
	jw_key(&c->w, "metrics");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++)
		render_metric(&c->w, &m[i], with_run_id);
	jw_arr_end(&c->w);
}

/* The points of one key, ordered by timestamp, step and value. Without
 * max_results every point comes back in one answer (what MLflow 2.x
 * clients expect); with it, pages of that size with a next_page_token, as
 * MLflow 3.x serves and its clients follow. */
int api_metrics_get_history(struct api_ctx *c)
{
	const char *run_id, *key, *token;
	struct store_metric *m;
	int64_t limit = -1, offset;
	size_t n;
	bool more;
	int has_limit;
	if (param_run_id(c, &run_id) < 0 || param_string_required(c, "metric_key", &key) < 0 ||
	    (has_limit = param_int64(c, "max_results", &limit)) < 0 || param_string(c, "page_token", &token) < 0 ||
	    page_token_decode(has_limit == 0 ? token : NULL, &offset, c->err) < 0)
		return -1;
	if (has_limit == 0 && (limit < 1 || limit > HISTORY_MAX_RESULTS))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value %lld for parameter 'max_results' supplied. It must be between 1 and %d",
				  (long long)limit, HISTORY_MAX_RESULTS);
	struct store *st = c->app->store;
	if (store_metric_history(st, run_id, key, offset, has_limit == 0 ? limit : -1, &m, &n, &more, c->a,
				    c->err) < 0)
		return -1;
	render_metrics(c, m, n, false);
	if (more)
		jw_kv_str(&c->w, "next_page_token", page_token_encode(offset + limit, c->a));
	return 0;
}

static int run_ids_param(struct api_ctx *c, const char *name, const char ***ids, size_t *n)
{
	int rc = param_string_list(c, name, ids, n);
	if (rc < 0)
		return -1;
	if (rc == 1 || *n == 0)
		return param_missing(c, name);
	if (*n > BULK_MAX_RUNS)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "GetMetricHistoryBulkInterval request must specify at most %d run_ids. Received %zu "
				  "run_ids.",
				  BULK_MAX_RUNS, *n);
	return 0;
}

int api_metrics_bulk_interval(struct api_ctx *c)
{
	struct store_bulk_interval q = { 0 };
	struct store_metric *m;
	size_t n;
	int has_start, has_end;
	q.max_results = BULK_INTERVAL_MAX_RESULTS;
	if (run_ids_param(c, "run_ids", (const char ***)&q.run_ids, &q.n_run_ids) < 0 ||
	    param_string_required(c, "metric_key", &q.metric_key) < 0 ||
	    (has_start = param_int64(c, "start_step", &q.start_step)) < 0 ||
	    (has_end = param_int64(c, "end_step", &q.end_step)) < 0 || param_int64(c, "max_results", &q.max_results) < 0)
		return -1;
	if (q.max_results < 1 || q.max_results > BULK_INTERVAL_MAX_RESULTS)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "max_results must be between 1 and %d.",
				  BULK_INTERVAL_MAX_RESULTS);
	if ((has_start == 0) != (has_end == 0))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "If either start step or end step are specified, both must be specified.");
	q.has_range = has_start == 0;
	if (q.has_range && q.start_step > q.end_step)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "end_step must be greater than start_step.");
	struct store *st = c->app->store;
	if (store_metric_bulk_interval(st, &q, &m, &n, c->a, c->err) < 0)
		return -1;
	render_metrics(c, m, n, true);
	return 0;
}

int api_metrics_get_history_bulk(struct api_ctx *c)
{
	const char **ids, *key;
	size_t n_ids, total = 0;
	int64_t max_results = BULK_HISTORY_MAX_RESULTS;
	if (run_ids_param(c, "run_id", &ids, &n_ids) < 0 || param_string_required(c, "metric_key", &key) < 0 ||
	    param_int64(c, "max_results", &max_results) < 0)
		return -1;
	if (max_results < 1 || max_results > BULK_HISTORY_MAX_RESULTS)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "max_results must be between 1 and %d.",
				  BULK_HISTORY_MAX_RESULTS);
	struct store *st = c->app->store;
	jw_key(&c->w, "metrics");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n_ids && total < (size_t)max_results; i++) {
		struct store_metric *m;
		size_t n;
		bool more;
		if (store_metric_history(st, ids[i], key, 0, max_results - (int64_t)total, &m, &n, &more, c->a,
					    c->err) < 0)
			return -1;
		for (size_t k = 0; k < n && total < (size_t)max_results; k++, total++) {
			m[k].run_id = ids[i];
			render_metric(&c->w, &m[k], true);
		}
	}
	jw_arr_end(&c->w);
	return 0;
}
