/*
 * test_client_queue.c - unit tests of the client library's metric pipeline
 * (src/client) against a fake MLflow server run in this process on our own
 * src/http server.
 *
 * The fake answers runs/create, the experiments calls, runs/update and
 * runs/log-batch; it can fail the next N log-batch requests with 503 (or
 * 429 with Retry-After), fail all of them, or hold requests until the test
 * releases them (to fill the queue). It records every accepted point, so the
 * tests check per-key order, exactly-once delivery, the 1000-per-request
 * limit, back-pressure in both queue-full modes, flush and end-run
 * semantics, the counters, per-key order with several producer threads
 * (also through a tiny queue that keeps them blocking), and the
 * Authorization header MLflow's environment variables put on every
 * request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "http/http.h"
#include "../../include/mlflowc.h"

#define MAX_POINTS 20000

struct got {
	char key[16];
	double value;
	int64_t step;
};

struct fake {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fail_next;        /* answer 503 to this many log-batch requests */
	bool fail_all;        /* answer 503 to every log-batch request */
	int status_429;       /* answer 429 + Retry-After: 0 to this many */
	bool hold;            /* keep log-batch requests waiting */
	int held;             /* requests currently waiting */
	int batches, max_batch;
	int points_at_update; /* points accepted when runs/update arrived */
	int n;
	int requests;         /* every request the fake answered */
	int auth_mismatch;    /* requests whose Authorization differed from want_auth */
	char want_auth[128];  /* "" = no Authorization header expected */
	struct got got[MAX_POINTS];
	struct http_server *srv;
	char url[64];
};

static struct fake F;

static void answer(struct http_response *resp, int status, const char *body)
{
	resp->status = status;
	buf_adds(&resp->body, body);
}

static void record(const char *body)
{
	json_t *j = json_loads(body, 0, NULL);
	json_t *ms = json_object_get(j, "metrics");
	size_t i;
	json_t *m;
	json_array_foreach(ms, i, m) {
		if (F.n >= MAX_POINTS)
			break;
		struct got *g = &F.got[F.n++];
		snprintf(g->key, sizeof(g->key), "%s", json_string_value(json_object_get(m, "key")));
		g->value = json_number_value(json_object_get(m, "value"));
		g->step = json_integer_value(json_object_get(m, "step"));
	}
	F.batches++;
	if ((int)json_array_size(ms) > F.max_batch)
		F.max_batch = (int)json_array_size(ms);
	json_decref(j);
}

static void log_batch(const struct http_request *req, struct http_response *resp)
{
	pthread_mutex_lock(&F.mu);
	F.held++;
	pthread_cond_broadcast(&F.cv);
	while (F.hold)
		pthread_cond_wait(&F.cv, &F.mu);
	F.held--;
	if (F.fail_all || F.fail_next > 0) {
		F.fail_next--;
		answer(resp, 503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"try later\"}");
	} else if (F.status_429 > 0) {
		F.status_429--;
		http_response_header(resp, "Retry-After", "0");
		answer(resp, 429, "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow down\"}");
	} else {
		record(req->body);
		answer(resp, 200, "{}");
	}
	pthread_mutex_unlock(&F.mu);
}

static void handler(void *app, const struct http_request *req, struct http_response *resp)
{
	(void)app;
	const char *p = req->path;
	const char *auth = http_request_header(req, "Authorization");
	pthread_mutex_lock(&F.mu);
	F.requests++;
	F.auth_mismatch += strcmp(auth ? auth : "", F.want_auth) != 0;
	pthread_mutex_unlock(&F.mu);
	if (strstr(p, "runs/log-batch")) {
		log_batch(req, resp);
	} else if (strstr(p, "runs/create")) {
		answer(resp, 200, "{\"run\":{\"info\":{\"run_id\":\"0123456789abcdef0123456789abcdef\"}}}");
	} else if (strstr(p, "runs/update")) {
		pthread_mutex_lock(&F.mu);
		F.points_at_update = F.n;
		pthread_mutex_unlock(&F.mu);
		answer(resp, 200, "{}");
	} else if (strstr(p, "experiments/get-by-name")) {
		answer(resp, 404, "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"no such\"}");
	} else if (strstr(p, "experiments/create")) {
		answer(resp, 200, "{\"experiment_id\":\"7\"}");
	} else {
		answer(resp, 200, "{}");
	}
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	pthread_mutex_init(&F.mu, NULL);
	pthread_cond_init(&F.cv, NULL);
	struct http_config cfg = { .host = "127.0.0.1", .port = 0, .threads = 2, .max_body = 64 << 20 };
	struct mlf_err err;
	F.srv = http_server_start(&cfg, handler, NULL, NULL, &err);
	assert_non_null(F.srv);
	snprintf(F.url, sizeof(F.url), "http://127.0.0.1:%u/", http_server_port(F.srv));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pthread_mutex_lock(&F.mu);
	F.hold = false;
	pthread_cond_broadcast(&F.cv);
	pthread_mutex_unlock(&F.mu);
	http_server_stop(F.srv);
	pthread_mutex_destroy(&F.mu);
	pthread_cond_destroy(&F.cv);
	return 0;
}

static mlf_client *open_client(size_t cap, enum mlf_queue_full_mode mode, unsigned attempts)
{
	struct mlf_client_options o = { .queue_capacity = cap, .on_full = mode, .max_attempts = attempts,
					.retry_base_ms = 1, .retry_max_ms = 5 };
	mlf_client *c = NULL;
	char errbuf[256];
	assert_int_equal(mlf_client_open(F.url, &o, &c, errbuf, sizeof(errbuf)), MLF_CLIENT_OK);
	assert_non_null(c);
	return c;
}

static mlf_run *start_run(mlf_client *c)
{
	mlf_run *run = NULL;
	char exp[32];
	assert_int_equal(mlf_experiment_get_or_create(c, "exp", exp), MLF_CLIENT_OK);
	assert_string_equal(exp, "7");
	assert_int_equal(mlf_run_start(c, exp, "r", &run), MLF_CLIENT_OK);
	assert_string_equal(mlf_run_id(run), "0123456789abcdef0123456789abcdef");
	return run;
}

static const char *const keys[] = { "loss", "acc", "lr" };

/* Every point of key k has steps 0,1,2... in order, each exactly once. */
static void check_points(int total)
{
	assert_int_equal(F.n, total);
	int64_t next[3] = { 0, 0, 0 };
	for (int i = 0; i < F.n; i++) {
		int k = 0;
		while (k < 3 && strcmp(F.got[i].key, keys[k]) != 0)
			k++;
		assert_true(k < 3);
		assert_int_equal(F.got[i].step, next[k]);
		assert_true(F.got[i].value == (double)next[k] * 0.5 + k);
		next[k]++;
	}
	assert_true(F.max_batch <= 1000);
}

static void log_points(mlf_run *run, int from, int to)
{
	for (int i = from; i < to; i++) {
		int k = i % 3;
		int64_t step = i / 3;
		assert_int_equal(mlf_log_metric(run, keys[k], (double)step * 0.5 + k, 1700000000000 + i, step),
				 MLF_CLIENT_OK);
	}
}

static void test_order_and_limit(void **state)
{
	(void)state;
	mlf_client *c = open_client(0, MLF_QUEUE_FULL_BLOCK, 0);
	mlf_run *run = start_run(c);
	log_points(run, 0, 9000);
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK);
	check_points(9000);
	struct mlf_client_stats st;
	assert_int_equal(mlf_client_stats(c, &st), MLF_CLIENT_OK);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.sent, 9000);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.retried, 0);
	assert_int_equal(mlf_run_end(run, MLF_RUN_FINISHED), MLF_CLIENT_OK);
	assert_int_equal(mlf_client_close(c), MLF_CLIENT_OK);
}

static void test_retry_exactly_once(void **state)
{
	(void)state;
	F.fail_next = 3;
	F.status_429 = 2;
	mlf_client *c = open_client(0, MLF_QUEUE_FULL_BLOCK, 10);
	mlf_run *run = start_run(c);
	log_points(run, 0, 3000);
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK);
	check_points(3000);
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	assert_int_equal(st.sent, 3000);
	assert_int_equal(st.retried, 5);
	assert_int_equal(st.failed, 0);
	mlf_run_end(run, MLF_RUN_FINISHED);
	mlf_client_close(c);
}

static void test_failed_points_reported(void **state)
{
	(void)state;
	F.fail_all = true;
	mlf_client *c = open_client(0, MLF_QUEUE_FULL_BLOCK, 3);
	mlf_run *run = start_run(c);
	log_points(run, 0, 10);
	assert_int_equal(mlf_flush(c), MLF_CLIENT_ERR_SERVER);
	assert_non_null(strstr(mlf_last_error(), "TEMPORARILY_UNAVAILABLE"));
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	assert_int_equal(st.failed, 10);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.queued, 0);
	/* each request (the sender may split the 10 points) was retried twice */
	assert_true(st.retried >= 2 && st.retried % 2 == 0);
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK); /* reported once */
	F.fail_all = false;
	mlf_run_end(run, MLF_RUN_FAILED);
	mlf_client_close(c);
}

static void wait_held(int n)
{
	pthread_mutex_lock(&F.mu);
	while (F.held < n)
		pthread_cond_wait(&F.cv, &F.mu);
	pthread_mutex_unlock(&F.mu);
}

static void release(void)
{
	pthread_mutex_lock(&F.mu);
	F.hold = false;
	pthread_cond_broadcast(&F.cv);
	pthread_mutex_unlock(&F.mu);
}

static void test_queue_full_error(void **state)
{
	(void)state;
	F.hold = true;
	mlf_client *c = open_client(4, MLF_QUEUE_FULL_ERROR, 0);
	mlf_run *run = start_run(c);
	log_points(run, 0, 1);
	wait_held(1); /* the sender is stuck in a request with point 0 */
	log_points(run, 1, 5);
	assert_int_equal(mlf_log_metric(run, "loss", 1, 0, 99), MLF_CLIENT_ERR_QUEUE_FULL);
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	assert_int_equal(st.queued, 5);
	release();
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK);
	check_points(5);
	mlf_run_end(run, MLF_RUN_FINISHED);
	mlf_client_close(c);
}

struct producer {
	mlf_run *run;
	volatile int done;
	enum mlf_result r;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	p->r = mlf_log_metric(p->run, keys[5 % 3], (double)(5 / 3) * 0.5 + 5 % 3, 0, 5 / 3);
	__atomic_store_n(&p->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_queue_full_blocks(void **state)
{
	(void)state;
	F.hold = true;
	mlf_client *c = open_client(4, MLF_QUEUE_FULL_BLOCK, 0);
	mlf_run *run = start_run(c);
	log_points(run, 0, 1);
	wait_held(1);
	log_points(run, 1, 5);
	struct producer p = { .run = run };
	pthread_t t;
	pthread_create(&t, NULL, produce, &p);
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	assert_int_equal(__atomic_load_n(&p.done, __ATOMIC_SEQ_CST), 0); /* still blocked */
	release();
	pthread_join(t, NULL);
	assert_int_equal(p.r, MLF_CLIENT_OK);
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK);
	check_points(6);
	mlf_run_end(run, MLF_RUN_FINISHED);
	mlf_client_close(c);
}

static void test_end_run_and_close_flush(void **state)
{
	(void)state;
	mlf_client *c = open_client(0, MLF_QUEUE_FULL_BLOCK, 0);
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK); /* nothing queued: returns at once */
	mlf_run *run = start_run(c);
	log_points(run, 0, 2500);
	assert_int_equal(mlf_run_end(run, MLF_RUN_FINISHED), MLF_CLIENT_OK);
	assert_int_equal(F.points_at_update, 2500); /* flushed before runs/update */
	run = start_run(c);
	log_points(run, 2500, 4000);
	assert_int_equal(mlf_client_close(c), MLF_CLIENT_OK); /* close flushes and frees the run */
	check_points(4000);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	mlf_client *c = (mlf_client *)1;
	char errbuf[128];
	assert_int_equal(mlf_client_open("ftp://x/y", NULL, &c, errbuf, sizeof(errbuf)), MLF_CLIENT_ERR_INVALID);
	assert_null(c);
	assert_non_null(strstr(errbuf, "ftp://x/y"));
	assert_int_equal(mlf_client_close(NULL), MLF_CLIENT_OK);
	c = open_client(0, MLF_QUEUE_FULL_BLOCK, 0);
	mlf_run *run = start_run(c);
	assert_int_equal(mlf_log_metric(run, "", 1, 0, 0), MLF_CLIENT_ERR_INVALID);
	assert_int_equal(mlf_log_metric(NULL, "k", 1, 0, 0), MLF_CLIENT_ERR_INVALID);
	assert_int_equal(mlf_log_param(run, NULL, "v"), MLF_CLIENT_ERR_INVALID);
	assert_string_equal(mlf_result_name(MLF_CLIENT_ERR_QUEUE_FULL), "MLF_CLIENT_ERR_QUEUE_FULL");
	assert_string_equal(mlf_result_name((enum mlf_result)99), "MLF_CLIENT_ERR_UNKNOWN");
	mlf_client_close(c);
}

static void test_transport_error(void **state)
{
	(void)state;
	struct mlf_client_options o = { .max_attempts = 2, .retry_base_ms = 1 };
	mlf_client *c = NULL;
	assert_int_equal(mlf_client_open("http://127.0.0.1:1", &o, &c, NULL, 0), MLF_CLIENT_OK);
	char id[32];
	assert_int_equal(mlf_experiment_get_or_create(c, "x", id), MLF_CLIENT_ERR_TRANSPORT);
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	assert_int_equal(st.retried, 1);
	mlf_client_close(c);
}

/* ---- concurrency: per-key order with several producers and back-pressure */

#define N_THREADS 4
#define PER_THREAD 3000

struct worker {
	mlf_run *run;
	int id;
	enum mlf_result r;
};

/* Thread t logs keys "t<t>k0".."t<t>k2": steps 0.. in order per key. */
static void *work(void *arg)
{
	struct worker *w = arg;
	char key[3][16];
	for (int k = 0; k < 3; k++)
		snprintf(key[k], sizeof(key[k]), "t%dk%d", w->id, k);
	w->r = MLF_CLIENT_OK;
	for (int i = 0; i < PER_THREAD && w->r == MLF_CLIENT_OK; i++)
		w->r = mlf_log_metric(w->run, key[i % 3], (double)w->id, 1700000000000 + i, i / 3);
	return NULL;
}

static void check_threads(void)
{
	assert_int_equal(F.n, N_THREADS * PER_THREAD);
	int64_t next[N_THREADS][3] = { { 0 } };
	for (int i = 0; i < F.n; i++) {
		int t = -1, k = -1;
		assert_int_equal(sscanf(F.got[i].key, "t%dk%d", &t, &k), 2);
		assert_true(t >= 0 && t < N_THREADS && k >= 0 && k < 3);
		assert_int_equal(F.got[i].step, next[t][k]);
		assert_true(F.got[i].value == (double)t);
		next[t][k]++;
	}
}

static void run_workers(size_t cap)
{
	mlf_client *c = open_client(cap, MLF_QUEUE_FULL_BLOCK, 0);
	mlf_run *run = start_run(c);
	pthread_t th[N_THREADS];
	struct worker w[N_THREADS];
	for (int t = 0; t < N_THREADS; t++) {
		w[t] = (struct worker){ .run = run, .id = t };
		pthread_create(&th[t], NULL, work, &w[t]);
	}
	for (int t = 0; t < N_THREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(w[t].r, MLF_CLIENT_OK);
	}
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK);
	check_threads();
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	assert_int_equal(st.sent, N_THREADS * PER_THREAD);
	assert_int_equal(st.queued, 0);
	assert_int_equal(mlf_run_end(run, MLF_RUN_FINISHED), MLF_CLIENT_OK);
	assert_int_equal(mlf_client_close(c), MLF_CLIENT_OK);
}

static void test_concurrent_producers_keep_order(void **state)
{
	(void)state;
	run_workers(0);
}

/* A 16-point queue: producers block on a full ring again and again. */
static void test_concurrent_producers_back_pressure(void **state)
{
	(void)state;
	run_workers(16);
	assert_true(F.batches > 1);
}

/* mlf_flush while another thread keeps logging: when it returns, every point
 * accepted before the call is at the server, and the producer never waited
 * for the flush. */
static void test_flush_while_logging(void **state)
{
	(void)state;
	mlf_client *c = open_client(0, MLF_QUEUE_FULL_BLOCK, 0);
	mlf_run *run = start_run(c);
	pthread_t th;
	struct worker w = { .run = run, .id = 0 };
	pthread_create(&th, NULL, work, &w);
	for (int i = 0; i < 5; i++) {
		struct mlf_client_stats st;
		mlf_client_stats(c, &st);
		uint64_t accepted = st.queued + st.sent + st.failed; /* all accepted before the flush */
		assert_int_equal(mlf_flush(c), MLF_CLIENT_OK);
		pthread_mutex_lock(&F.mu);
		int at_server = F.n;
		pthread_mutex_unlock(&F.mu);
		assert_true((uint64_t)at_server >= accepted);
	}
	pthread_join(th, NULL);
	assert_int_equal(w.r, MLF_CLIENT_OK);
	assert_int_equal(mlf_flush(c), MLF_CLIENT_OK);
	assert_int_equal(F.n, PER_THREAD);
	mlf_run_end(run, MLF_RUN_FINISHED);
	mlf_client_close(c);
}

/* ---- auth: MLflow's environment variables on every request */

static void unset_auth_env(void)
{
	unsetenv("MLFLOW_TRACKING_TOKEN");
	unsetenv("MLFLOW_TRACKING_USERNAME");
	unsetenv("MLFLOW_TRACKING_PASSWORD");
	unsetenv("MLFLOW_TRACKING_INSECURE_TLS");
	unsetenv("MLFLOW_TRACKING_SERVER_CERT_PATH");
}

/* Opens a client, makes synchronous and metric requests, closes it, and
 * checks that each request carried F.want_auth. */
static void check_auth_on_every_request(void)
{
	mlf_client *c = open_client(0, MLF_QUEUE_FULL_BLOCK, 0);
	mlf_run *run = start_run(c);
	assert_int_equal(mlf_log_param(run, "p", "v"), MLF_CLIENT_OK);
	log_points(run, 0, 30);
	assert_int_equal(mlf_run_end(run, MLF_RUN_FINISHED), MLF_CLIENT_OK);
	assert_int_equal(mlf_client_close(c), MLF_CLIENT_OK);
	check_points(30);
	assert_true(F.requests >= 6); /* get-by-name, create x2, param, batch, update */
	assert_int_equal(F.auth_mismatch, 0);
}

static void test_auth_none(void **state)
{
	(void)state;
	unset_auth_env();
	check_auth_on_every_request();
}

static void test_auth_bearer_token(void **state)
{
	(void)state;
	unset_auth_env();
	setenv("MLFLOW_TRACKING_TOKEN", "s3cr3t-t0ken", 1);
	snprintf(F.want_auth, sizeof(F.want_auth), "Bearer s3cr3t-t0ken");
	check_auth_on_every_request();
	unset_auth_env();
}

static void test_auth_basic_wins_over_token(void **state)
{
	(void)state;
	unset_auth_env();
	setenv("MLFLOW_TRACKING_USERNAME", "user", 1);
	setenv("MLFLOW_TRACKING_PASSWORD", "pass", 1);
	setenv("MLFLOW_TRACKING_TOKEN", "ignored", 1); /* MLflow: username/password first */
	snprintf(F.want_auth, sizeof(F.want_auth), "Basic dXNlcjpwYXNz"); /* base64("user:pass") */
	check_auth_on_every_request();
	unset_auth_env();
}

static void test_auth_bad_settings(void **state)
{
	(void)state;
	unset_auth_env();
	mlf_client *c = NULL;
	char errbuf[256];
	setenv("MLFLOW_TRACKING_TOKEN", "a\r\nX-Injected: 1", 1);
	assert_int_equal(mlf_client_open(F.url, NULL, &c, errbuf, sizeof(errbuf)), MLF_CLIENT_ERR_INVALID);
	assert_null(c);
	assert_non_null(strstr(errbuf, "MLFLOW_TRACKING_TOKEN"));
	unset_auth_env();
	setenv("MLFLOW_TRACKING_INSECURE_TLS", "true", 1);
	setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", "/etc/ssl/certs/ca-certificates.crt", 1);
	assert_int_equal(mlf_client_open(F.url, NULL, &c, errbuf, sizeof(errbuf)), MLF_CLIENT_ERR_INVALID);
	assert_non_null(strstr(errbuf, "INSECURE_TLS"));
	unset_auth_env();
	/* each alone is accepted (plain http: neither changes what is sent) */
	setenv("MLFLOW_TRACKING_INSECURE_TLS", "true", 1);
	check_auth_on_every_request();
	unset_auth_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_points_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_run_and_close_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test(test_transport_error),
		cmocka_unit_test_setup_teardown(test_concurrent_producers_keep_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_producers_back_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_while_logging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_bearer_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_basic_wins_over_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_bad_settings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
