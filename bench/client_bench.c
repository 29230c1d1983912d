/*
 * client_bench.c - what the client library's asynchronous metrics cost and
 * deliver, next to the synchronous way, in one run.
 *
 *   build/bench/client_bench URL [N_ASYNC [N_SYNC]]   (defaults 1000000, 5000)
 *
 * 1. Caller cost: N_ASYNC mlf_log_metric calls (10 keys) into a queue large
 *    enough never to block, timed on the caller's thread: ns per call, wall
 *    clock and the thread's CPU time (which a busy machine does not
 *    inflate: the caller waiting for a core is not the call's cost).
 * 2. End to end: from the first call until mlf_flush returns (every point
 *    acknowledged by the server): points/s.
 * 3. Contended caller cost: 4 threads log N_ASYNC/4 points each at the same
 *    time into one client (one run, 10 keys per thread): ns per call on
 *    each caller's thread (the mean of the four, wall and CPU), then end to
 *    end.
 * 4. Synchronous baseline: N_SYNC points, one runs/log-metric request each,
 *    over one keep-alive libcurl handle: points/s (HTTP URLs only).
 * URL is a running server (e.g. build/mlflowc server on 127.0.0.1:5000), or
 * a sqlite:// URI for the library's local mode (no server; then phase 4 is
 * left out).
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../include/mlflowc.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread: what a call costs the caller even when
 * the machine is busy and the thread waits for a core. */
static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int check(enum mlf_result r, const char *what)
{
	if (r != MLF_CLIENT_OK)
		fprintf(stderr, "%s: %s: %s\n", what, mlf_result_name(r), mlf_last_error());
	return r != MLF_CLIENT_OK;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

/* One runs/log-metric request per point; returns points/s or -1. */
static double sync_baseline(const char *url, const char *run_id, long n)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char endpoint[512], body[256];
	snprintf(endpoint, sizeof(endpoint), "%s/api/2.0/mlflow/runs/log-metric", url);
	curl_easy_setopt(e, CURLOPT_URL, endpoint);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	double t0 = now_s();
	long ok = 0;
	for (long i = 0; i < n; i++) {
		snprintf(body, sizeof(body),
			 "{\"run_id\":\"%s\",\"key\":\"sync%ld\",\"value\":%ld.5,\"timestamp\":%ld,\"step\":%ld}",
			 run_id, i % 10, i, 1700000000000L + i, i / 10);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		long status = 0;
		if (curl_easy_perform(e) == CURLE_OK &&
		    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200)
			ok++;
	}
	double dt = now_s() - t0;
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return ok == n ? (double)n / dt : -1;
}

#define THREADS 4

static const char *const keys[] = { "loss", "acc", "lr", "grad_norm", "reward",
				    "ep_len", "kl", "entropy", "val_loss", "val_acc" };

struct producer {
	mlf_run *run;
	long n;
	int id;
	double seconds, cpu_seconds;
	long failed;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	char k[10][32];
	for (int i = 0; i < 10; i++)
		snprintf(k[i], sizeof(k[i]), "t%d_%s", p->id, keys[i]);
	double t0 = now_s(), c0 = thread_cpu_s();
	for (long i = 0; i < p->n; i++)
		p->failed += mlf_log_metric(p->run, k[i % 10], (double)i * 0.5, 1700000000000 + i, i / 10) != MLF_CLIENT_OK;
	p->seconds = now_s() - t0;
	p->cpu_seconds = thread_cpu_s() - c0;
	return NULL;
}

/* Phase 3: THREADS producers at once; prints the figures, returns 0 if all
 * points were acknowledged. */
static int contended(const char *url, const char *exp, long n)
{
	struct mlf_client_options o = { .queue_capacity = (size_t)n };
	mlf_client *c;
	mlf_run *run;
	char errbuf[256];
	if (check(mlf_client_open(url, &o, &c, errbuf, sizeof(errbuf)), "open") ||
	    check(mlf_run_start(c, exp, "bench-threads", &run), "run"))
		return 1;
	pthread_t th[THREADS];
	struct producer p[THREADS];
	double t0 = now_s();
	for (int t = 0; t < THREADS; t++) {
		p[t] = (struct producer){ .run = run, .n = n / THREADS, .id = t };
		pthread_create(&th[t], NULL, produce, &p[t]);
	}
	double ns = 0, cpu_ns = 0;
	long failed = 0;
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		ns += p[t].seconds * 1e9 / (double)p[t].n / THREADS;
		cpu_ns += p[t].cpu_seconds * 1e9 / (double)p[t].n / THREADS;
		failed += p[t].failed;
	}
	int bad = check(mlf_flush(c), "flush");
	double t1 = now_s();
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	check(mlf_run_end(run, MLF_RUN_FINISHED), "end");
	check(mlf_client_close(c), "close");
	printf("%d threads at once, mlf_log_metric per caller: %.1f ns/call wall, %.1f ns/call CPU (%ld calls each)\n",
	       THREADS, ns, cpu_ns, n / THREADS);
	printf("%d threads, end to end: %.0f points/s (sent %" PRIu64 ", failed %" PRIu64 ")\n", THREADS,
	       (double)(n / THREADS * THREADS) / (t1 - t0), st.sent, st.failed);
	return bad || failed || st.failed;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s URL [N_ASYNC [N_SYNC]]\n", argv[0]);
		return 2;
	}
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
	long n_sync = argc > 3 ? strtol(argv[3], NULL, 10) : 5000;
	struct mlf_client_options o = { .queue_capacity = (size_t)n };
	mlf_client *c;
	mlf_run *run;
	char errbuf[256], exp[32];
	bool http = strncmp(argv[1], "http", 4) == 0;
	if (check(mlf_client_open(argv[1], &o, &c, errbuf, sizeof(errbuf)), "open") ||
	    check(mlf_experiment_get_or_create(c, "client-bench", exp), "experiment") ||
	    check(mlf_run_start(c, exp, "bench", &run), "run"))
		return 1;

	double t0 = now_s(), c0 = thread_cpu_s();
	for (long i = 0; i < n; i++)
		mlf_log_metric(run, keys[i % 10], (double)i * 0.5, 1700000000000 + i, i / 10);
	double t1 = now_s(), c1 = thread_cpu_s();
	if (check(mlf_flush(c), "flush"))
		return 1;
	double t2 = now_s();
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);

	double sync_rate = http ? sync_baseline(argv[1], mlf_run_id(run), n_sync) : 0;
	check(mlf_run_end(run, MLF_RUN_FINISHED), "end");
	check(mlf_client_close(c), "close");

	printf("mlf_log_metric on the caller's thread: %.1f ns/call wall, %.1f ns/call CPU (%ld calls)\n",
	       (t1 - t0) * 1e9 / (double)n, (c1 - c0) * 1e9 / (double)n, n);
	printf("async end to end (first call .. flush): %.0f points/s (sent %" PRIu64 ", retried %" PRIu64
	       ", failed %" PRIu64 ")\n", (double)n / (t2 - t0), st.sent, st.retried, st.failed);
	int bad = contended(argv[1], exp, n);
	if (http)
		printf("sync, one log-metric request per point: %.0f points/s (%ld points)\n", sync_rate, n_sync);
	return bad || st.failed != 0 || sync_rate < 0;
}
