/*
 * test_client_tracking_driver.c - a host program for the tracking tests of
 * tests/blackbox/test_client.py: it drives the experiment, run, batch,
 * search and history calls of include/mlflowc.h against a real server and
 * prints what it created and what the library read back as one JSON line,
 * so the test can compare both with the REST API.
 *
 * Usage: test_client_tracking_driver MODE URL [NAME]
 *   tracking  experiments, runs with options, log_batch over the limits,
 *             get, search (all pages and one page), history, open/detach,
 *             delete/restore; NAME is the experiment name
 *   exit      starts a run, queues 5000 metrics and returns from main
 *             without mlf_client_close (the atexit flush must send them)
 *   context   starts a run (with the reproducibility tags) and one without
 *   history   logs 30,000 points of one key in one mlf_log_batch and reads
 *             them back with mlf_metric_history (two pages of 25,000)
 *   threads   4 threads share one client: each sets the same experiment,
 *             starts a run, logs a batch and queued metrics, reads its run,
 *             searches for it by tag and reads a history, then ends it
 *   fork      as exit, but forks right after queueing; the child exits at
 *             once (it must not wait for its parent's queue) and the parent
 *             returns from main after the child
 * Exit status: 0 done, 1 a call failed (its error on stderr).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../include/mlflowc.h"

#define N_BATCH_METRICS 2500
#define N_BATCH_PARAMS 150
#define N_BATCH_TAGS 250
#define N_EXIT_METRICS 5000
#define N_HISTORY 30000

static int failed(enum mlf_result r, const char *what)
{
	if (r != MLF_CLIENT_OK)
		fprintf(stderr, "%s: %s: %s\n", what, mlf_result_name(r), mlf_last_error());
	return r != MLF_CLIENT_OK;
}

#define CHECK(call)                       \
	do {                              \
		if (failed((call), #call)) \
			return 1;         \
	} while (0)

static const char *tag_of(const struct mlf_run_record *run, const char *key)
{
	for (size_t i = 0; i < run->n_tags; i++)
		if (strcmp(run->tags[i].key, key) == 0)
			return run->tags[i].value;
	return "";
}

/* Logs N_BATCH_* items in one mlf_log_batch call (several requests). */
static int log_big_batch(mlf_run *run)
{
	static struct mlf_metric m[N_BATCH_METRICS];
	static struct mlf_tag p[N_BATCH_PARAMS], t[N_BATCH_TAGS];
	static char mkeys[N_BATCH_METRICS][16], pkeys[N_BATCH_PARAMS][16], tkeys[N_BATCH_TAGS][16];
	for (int i = 0; i < N_BATCH_METRICS; i++) {
		snprintf(mkeys[i], sizeof(mkeys[i]), "bm%d", i % 3);
		m[i] = (struct mlf_metric){ mkeys[i], i * 0.5, 1700000000000 + i, i / 3 };
	}
	for (int i = 0; i < N_BATCH_PARAMS; i++) {
		snprintf(pkeys[i], sizeof(pkeys[i]), "bp%d", i);
		p[i] = (struct mlf_tag){ pkeys[i], pkeys[i] };
	}
	for (int i = 0; i < N_BATCH_TAGS; i++) {
		snprintf(tkeys[i], sizeof(tkeys[i]), "bt%d", i);
		t[i] = (struct mlf_tag){ tkeys[i], "x" };
	}
	return failed(mlf_log_batch(run, m, N_BATCH_METRICS, p, N_BATCH_PARAMS, t, N_BATCH_TAGS), "log_batch");
}

static int tracking(mlf_client *c, const char *name)
{
	char exp[32], again[32], child_id[64], parent_id[64];
	const struct mlf_tag exp_tags[] = { { "team", "c" }, { "purpose", "test" } };
	CHECK(mlf_experiment_create(c, name, NULL, exp_tags, 2, exp));

	/* a second create of the same name is the server's refusal */
	char dup[32];
	enum mlf_result dup_r = mlf_experiment_create(c, name, NULL, NULL, 0, dup);
	char dup_err[256];
	snprintf(dup_err, sizeof(dup_err), "%s", mlf_last_error());
	dup_err[strcspn(dup_err, ":\"\\")] = '\0'; /* the error code only, safe inside JSON */

	struct mlf_experiments *by_id, *by_name;
	CHECK(mlf_experiment_get(c, exp, &by_id));
	CHECK(mlf_experiment_get_by_name(c, name, &by_name));
	CHECK(mlf_experiment_set(c, name, again));

	/* parent with explicit options, child through the default experiment */
	const struct mlf_tag run_tags[] = { { "stage", "ci" }, { "mlflow.source.type", "JOB" } };
	struct mlf_run_options po = { .experiment_id = exp, .run_name = "parent", .tags = run_tags, .n_tags = 2,
				      .description = "the parent", .start_time = 1600000000000 };
	mlf_run *parent, *child, *reopened;
	CHECK(mlf_run_start_opts(c, &po, &parent));
	snprintf(parent_id, sizeof(parent_id), "%s", mlf_run_id(parent));
	struct mlf_run_options co = { .run_name = "child", .parent_run_id = parent_id };
	CHECK(mlf_run_start_opts(c, &co, &child));
	snprintf(child_id, sizeof(child_id), "%s", mlf_run_id(child));
	if (log_big_batch(child))
		return 1;
	CHECK(mlf_run_end(child, MLF_RUN_FAILED));

	/* attach to the ended child, log into it, detach without ending */
	CHECK(mlf_run_open(c, child_id, &reopened));
	CHECK(mlf_log_param(reopened, "after", "open"));
	CHECK(mlf_log_metric(reopened, "late", 7.5, 0, 3));
	CHECK(mlf_run_detach(reopened));
	CHECK(mlf_run_end(parent, MLF_RUN_FINISHED));

	struct mlf_runs *got, *all, *page1, *page2;
	CHECK(mlf_run_get(c, child_id, &got));
	const char *ids[] = { exp };
	const char *order[] = { "attributes.run_name ASC" };
	struct mlf_run_search q = { .experiment_ids = ids, .n_experiment_ids = 1, .order_by = order, .n_order_by = 1 };
	CHECK(mlf_run_search(c, &q, &all));
	q.max_results = 1;
	CHECK(mlf_run_search(c, &q, &page1));
	q.page_token = page1->next_page_token;
	CHECK(mlf_run_search(c, &q, &page2));
	struct mlf_run_search filtered = { .experiment_ids = ids, .n_experiment_ids = 1,
					   .filter = "params.bp7 = 'bp7' and attributes.status = 'FAILED'" };
	struct mlf_runs *hit;
	CHECK(mlf_run_search(c, &filtered, &hit));

	struct mlf_metrics *hist;
	CHECK(mlf_metric_history(c, child_id, "bm1", &hist));
	double hist_sum = 0;
	for (size_t i = 0; i < hist->count; i++)
		hist_sum += hist->items[i].value;

	/* delete/restore a run, then the experiment; deleted → refused by set and open */
	CHECK(mlf_run_delete(c, parent_id));
	enum mlf_result open_deleted = mlf_run_open(c, parent_id, &reopened);
	CHECK(mlf_run_restore(c, parent_id));
	struct mlf_experiments *search_all, *search_deleted;
	char renamed[256], renamed_filter[300];
	snprintf(renamed, sizeof(renamed), "%s-renamed", name);
	snprintf(renamed_filter, sizeof(renamed_filter), "name = '%s'", renamed);
	CHECK(mlf_experiment_rename(c, exp, renamed));
	CHECK(mlf_experiment_delete(c, exp));
	enum mlf_result set_deleted = mlf_experiment_set(c, renamed, NULL);
	CHECK(mlf_experiment_search(c, NULL, MLF_VIEW_ALL, 0, NULL, &search_all));
	CHECK(mlf_experiment_search(c, renamed_filter, MLF_VIEW_DELETED_ONLY, 10, NULL, &search_deleted));
	CHECK(mlf_experiment_restore(c, exp));

	const struct mlf_run_record *r = &got->items[0];
	printf("{\"experiment_id\": \"%s\", \"set_id\": \"%s\", \"dup_result\": \"%s\", \"dup_error\": \"%s\", "
	       "\"by_id_name\": \"%s\", \"by_name_id\": \"%s\", \"by_id_tags\": %zu, \"by_id_json\": %s, "
	       "\"parent_id\": \"%s\", \"child_id\": \"%s\", "
	       "\"got\": {\"status\": \"%s\", \"experiment_id\": \"%s\", \"run_name\": \"%s\", \"n_params\": %zu, "
	       "\"n_metrics\": %zu, \"parent_tag\": \"%s\", \"end_time\": %" PRId64 "}, \"got_json\": %s, "
	       "\"all_names\": [\"%s\", \"%s\"], \"all_count\": %zu, \"page1\": \"%s\", \"page1_token\": %s, "
	       "\"page2\": \"%s\", \"hit\": %zu, \"hit_id\": \"%s\", \"hist_count\": %zu, \"hist_sum\": %.17g, "
	       "\"open_deleted\": \"%s\", \"set_deleted\": \"%s\", \"search_all\": %zu, \"search_deleted\": %zu, "
	       "\"search_deleted_name\": \"%s\"}\n",
	       exp, again, mlf_result_name(dup_r), dup_err, by_id->items[0].name, by_name->items[0].experiment_id,
	       by_id->items[0].n_tags, by_id->json, parent_id, child_id, r->status, r->experiment_id, r->run_name,
	       r->n_params, r->n_metrics, tag_of(r, "mlflow.parentRunId"), r->end_time, got->json,
	       all->count > 0 ? all->items[0].run_name : "", all->count > 1 ? all->items[1].run_name : "", all->count,
	       page1->count ? page1->items[0].run_name : "", *page1->next_page_token ? "true" : "false",
	       page2->count ? page2->items[0].run_name : "", hit->count, hit->count ? hit->items[0].run_id : "",
	       hist->count, hist_sum, mlf_result_name(open_deleted), mlf_result_name(set_deleted), search_all->count,
	       search_deleted->count, search_deleted->count ? search_deleted->items[0].name : "");
	(void)dup;
	mlf_experiments_free(by_id);
	mlf_experiments_free(by_name);
	mlf_experiments_free(search_all);
	mlf_experiments_free(search_deleted);
	mlf_runs_free(got);
	mlf_runs_free(all);
	mlf_runs_free(page1);
	mlf_runs_free(page2);
	mlf_runs_free(hit);
	mlf_metrics_free(hist);
	return 0;
}

static int context(mlf_client *c)
{
	mlf_run *with, *without;
	const struct mlf_tag given[] = { { "mlflow.user", "given-user" } };
	struct mlf_run_options o = { .experiment_id = "0", .run_name = "with-context", .tags = given, .n_tags = 1 };
	CHECK(mlf_run_start_opts(c, &o, &with));
	struct mlf_run_options n = { .experiment_id = "0", .run_name = "no-context", .no_context_tags = 1 };
	CHECK(mlf_run_start_opts(c, &n, &without));
	mlf_run *plain;
	CHECK(mlf_run_start(c, "0", "plain", &plain));
	printf("{\"with\": \"%s\", \"without\": \"%s\", \"plain\": \"%s\"}\n", mlf_run_id(with), mlf_run_id(without),
	       mlf_run_id(plain));
	CHECK(mlf_run_end(with, MLF_RUN_FINISHED));
	CHECK(mlf_run_end(without, MLF_RUN_FINISHED));
	CHECK(mlf_run_end(plain, MLF_RUN_FINISHED));
	return 0;
}

static int long_history(mlf_client *c)
{
	static struct mlf_metric m[N_HISTORY];
	mlf_run *run;
	CHECK(mlf_run_start(c, "0", "long-history", &run));
	for (int i = 0; i < N_HISTORY; i++)
		m[i] = (struct mlf_metric){ "long", i * 0.5, 1700000000000 + i, i };
	CHECK(mlf_log_batch(run, m, N_HISTORY, NULL, 0, NULL, 0));
	struct mlf_metrics *h;
	CHECK(mlf_metric_history(c, mlf_run_id(run), "long", &h));
	int in_order = 1;
	double sum = 0;
	for (size_t i = 0; i < h->count; i++) {
		sum += h->items[i].value;
		if (h->items[i].step != (int64_t)i || h->items[i].timestamp != 1700000000000 + (int64_t)i)
			in_order = 0;
	}
	printf("{\"run_id\": \"%s\", \"count\": %zu, \"in_order\": %s, \"sum\": %.17g, \"json_bytes\": %zu}\n",
	       mlf_run_id(run), h->count, in_order ? "true" : "false", sum, strlen(h->json));
	mlf_metrics_free(h);
	CHECK(mlf_run_end(run, MLF_RUN_FINISHED));
	return 0;
}

#define N_THREADS 4

struct worker {
	mlf_client *c;
	int index;
	char run_id[64];
	int failed;
	size_t got_metrics, found, history;
};

static int work(struct worker *w)
{
	char exp[32], tag_value[16], filter[64];
	snprintf(tag_value, sizeof(tag_value), "w%d", w->index);
	CHECK(mlf_experiment_set(w->c, "threads", exp));
	const struct mlf_tag tags[] = { { "worker", tag_value } };
	const struct mlf_run_options o = { .experiment_id = exp, .run_name = tag_value, .tags = tags, .n_tags = 1 };
	mlf_run *run;
	CHECK(mlf_run_start_opts(w->c, &o, &run));
	snprintf(w->run_id, sizeof(w->run_id), "%s", mlf_run_id(run));
	struct mlf_metric m[300];
	struct mlf_tag p[20];
	char pkeys[20][8];
	for (int i = 0; i < 300; i++)
		m[i] = (struct mlf_metric){ "batch", i, 1700000000000 + i, i };
	for (int i = 0; i < 20; i++) {
		snprintf(pkeys[i], sizeof(pkeys[i]), "p%d", i);
		p[i] = (struct mlf_tag){ pkeys[i], tag_value };
	}
	CHECK(mlf_log_batch(run, m, 300, p, 20, NULL, 0));
	for (int i = 0; i < 500; i++)
		CHECK(mlf_log_metric(run, "queued", i, 1700000000000 + i, i));
	CHECK(mlf_flush(w->c));
	struct mlf_runs *got, *found;
	CHECK(mlf_run_get(w->c, w->run_id, &got));
	w->got_metrics = got->items[0].n_metrics;
	mlf_runs_free(got);
	snprintf(filter, sizeof(filter), "tags.worker = '%s'", tag_value);
	const char *ids[] = { exp };
	const struct mlf_run_search q = { .experiment_ids = ids, .n_experiment_ids = 1, .filter = filter };
	CHECK(mlf_run_search(w->c, &q, &found));
	w->found = found->count == 1 && strcmp(found->items[0].run_id, w->run_id) == 0;
	mlf_runs_free(found);
	struct mlf_metrics *h;
	CHECK(mlf_metric_history(w->c, w->run_id, "queued", &h));
	w->history = h->count;
	mlf_metrics_free(h);
	CHECK(mlf_run_end(run, MLF_RUN_FINISHED));
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->failed = work(w);
	return NULL;
}

static int threads(mlf_client *c)
{
	pthread_t t[N_THREADS];
	struct worker w[N_THREADS];
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .c = c, .index = i };
		if (pthread_create(&t[i], NULL, worker_main, &w[i]) != 0)
			return 1;
	}
	int failed = 0;
	for (int i = 0; i < N_THREADS; i++) {
		pthread_join(t[i], NULL);
		failed |= w[i].failed;
	}
	if (failed)
		return 1;
	printf("{\"runs\": [");
	for (int i = 0; i < N_THREADS; i++)
		printf("%s{\"run_id\": \"%s\", \"metrics\": %zu, \"found\": %zu, \"history\": %zu}", i ? ", " : "",
		       w[i].run_id, w[i].got_metrics, w[i].found, w[i].history);
	printf("]}\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	mlf_client *c;
	char errbuf[256];
	if (failed(mlf_client_open(argv[2], NULL, &c, errbuf, sizeof(errbuf)), "open"))
		return 1;
	if (strcmp(argv[1], "exit") == 0 || strcmp(argv[1], "fork") == 0) {
		mlf_run *run;
		CHECK(mlf_run_start(c, "0", "flushed-at-exit", &run));
		for (int i = 0; i < N_EXIT_METRICS; i++)
			CHECK(mlf_log_metric(run, "at_exit", i, 1700000000000 + i, i));
		printf("{\"run_id\": \"%s\"}\n", mlf_run_id(run));
		fflush(stdout);
		if (strcmp(argv[1], "fork") == 0) {
			pid_t child = fork();
			if (child == 0)
				exit(0); /* runs the atexit handler in the child */
			int status;
			if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)
				return 1;
		}
		return 0; /* no mlf_client_close: the atexit handler flushes */
	}
	int rc = strcmp(argv[1], "tracking") == 0 ? tracking(c, argc > 3 ? argv[3] : "tracking-from-c")
		 : strcmp(argv[1], "context") == 0 ? context(c)
		 : strcmp(argv[1], "history") == 0 ? long_history(c)
		 : strcmp(argv[1], "threads") == 0 ? threads(c)
						     : 2;
	if (failed(mlf_client_close(c), "close"))
		return 1;
	return rc;
}
