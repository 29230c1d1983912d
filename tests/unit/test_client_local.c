/*
 * test_client_local.c - the client library's two transports against the
 * real router and store: a sqlite:// tracking URI (local mode, the store in
 * this process, no socket) and, for comparison, http:// to a real server
 * (api_handle on our src/http server) started in this process on its own
 * database. Each scenario runs on both: experiment names that need
 * percent-encoding in the query string, MLflow errors passed through with
 * their error_code, methods other than GET/POST (PATCH, DELETE), metrics
 * reaching the database exactly, and a reopened local store seeing what
 * the previous client wrote; then 4 threads logging at once (through a
 * small queue, with synchronous calls between) in local mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/api.h"
#include "client/client_int.h"
#include "http/http.h"
#include "store/store.h"

static char dir[64];
static char local_db[128], server_db[128];
static char local_uri[160], http_uri[64];
static struct store *srv_store;
static struct http_server *srv;
static struct app srv_app;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mlflowc-client-local-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(local_db, sizeof(local_db), "%s/local.db", dir);
	snprintf(server_db, sizeof(server_db), "%s/server.db", dir);
	snprintf(local_uri, sizeof(local_uri), "sqlite:///%s", local_db); /* dir is absolute: 4 slashes */
	struct mlf_err err;
	srv_store = store_open(server_db, &(struct store_options){ .artifact_root = "/tmp/mlflowc-client-local-artifacts" }, &err);
	assert_non_null(srv_store);
	srv_app = (struct app){ .store = srv_store, .default_artifact_root = "/tmp/x", .static_prefix = "" };
	struct http_config cfg = { .host = "127.0.0.1", .port = 0, .threads = 2, .max_body = 32 << 20 };
	srv = http_server_start(&cfg, api_handle, NULL, &srv_app, &err);
	assert_non_null(srv);
	snprintf(http_uri, sizeof(http_uri), "http://127.0.0.1:%u", http_server_port(srv));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	http_server_stop(srv);
	store_close(srv_store);
	const char *suffix[] = { "local.db", "local.db-wal", "local.db-shm", "server.db", "server.db-wal", "server.db-shm" };
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char p[192];
		snprintf(p, sizeof(p), "%s/%s", dir, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

static mlf_client *open_uri(const char *uri)
{
	struct mlf_client_options o = { .max_attempts = 2, .retry_base_ms = 1 };
	mlf_client *c = NULL;
	char errbuf[256];
	enum mlf_result r = mlf_client_open(uri, &o, &c, errbuf, sizeof(errbuf));
	if (r != MLF_CLIENT_OK)
		fail_msg("open %s: %s", uri, errbuf);
	return c;
}

static int64_t count_rows(const char *db, const char *sql, const char *arg)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* The scenario both transports must pass; returns the experiment id. */
static void scenario(const char *uri, const char *db, char exp_out[32])
{
	mlf_client *c = open_uri(uri);
	assert_string_equal(c->transport->name, strncmp(uri, "sqlite", 6) == 0 ? "local" : "http");

	/* query strings: the name comes back through get-by-name only if decoded right */
	static const char odd[] = "a b&c=d%e/é+f?g";
	char id1[32], id2[32], id3[32];
	assert_int_equal(mlf_experiment_get_or_create(c, odd, id1), MLF_CLIENT_OK);
	assert_int_equal(mlf_experiment_get_or_create(c, odd, id2), MLF_CLIENT_OK);
	assert_string_equal(id1, id2);
	assert_int_equal(mlf_experiment_get_or_create(c, "a b", id3), MLF_CLIENT_OK);
	assert_string_not_equal(id1, id3);

	/* MLflow's errors pass through with their error_code */
	mlf_run *run = NULL;
	assert_int_equal(mlf_run_start(c, "987654", "r", &run), MLF_CLIENT_ERR_SERVER);
	assert_non_null(strstr(mlf_last_error(), "RESOURCE_DOES_NOT_EXIST"));
	assert_int_equal(mlf_run_start(c, id1, "r", &run), MLF_CLIENT_OK);
	assert_int_equal(mlf_log_param(run, "p", "1"), MLF_CLIENT_OK);
	assert_int_equal(mlf_log_param(run, "p", "2"), MLF_CLIENT_ERR_SERVER); /* params are immutable */
	assert_non_null(strstr(mlf_last_error(), "INVALID_PARAMETER_VALUE"));
	assert_int_equal(mlf_set_tag(run, "t", "v"), MLF_CLIENT_OK);

	/* metrics: every point lands once */
	for (int i = 0; i < 5000; i++)
		assert_int_equal(mlf_log_metric(run, i % 2 ? "odd" : "even", i, 1700000000000 + i, i / 2), MLF_CLIENT_OK);
	char run_id[40];
	snprintf(run_id, sizeof(run_id), "%s", mlf_run_id(run));
	assert_int_equal(mlf_run_end(run, MLF_RUN_FINISHED), MLF_CLIENT_OK);
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	assert_int_equal(st.sent, 5000);
	assert_int_equal(st.failed, 0);

	/* PATCH, DELETE and a GET with a query, through the internal request call */
	struct creply rep = { .body = BUF_INIT };
	struct buf body = BUF_INIT;
	buf_adds(&body, "{\"name\": \"m 1\"}");
	assert_int_equal(client_sync_request(c, "POST", "registered-models/create", &body, &rep), MLF_CLIENT_OK);
	buf_reset(&body);
	buf_adds(&body, "{\"name\": \"m 1\", \"description\": \"patched\"}");
	assert_int_equal(client_sync_request(c, "PATCH", "registered-models/update", &body, &rep), MLF_CLIENT_OK);
	assert_int_equal(client_sync_request(c, NULL, "registered-models/get?name=m%201", NULL, &rep), MLF_CLIENT_OK);
	assert_non_null(strstr(rep.body.ptr, "\"patched\""));
	buf_reset(&body);
	buf_adds(&body, "{\"name\": \"m 1\"}");
	assert_int_equal(client_sync_request(c, "DELETE", "registered-models/delete", &body, &rep), MLF_CLIENT_OK);
	assert_int_equal(client_sync_request(c, "GET", "registered-models/get?name=m+1", NULL, &rep),
			 MLF_CLIENT_ERR_SERVER);
	assert_string_equal(rep.code, "RESOURCE_DOES_NOT_EXIST");
	assert_int_equal(client_sync_request(c, "TRACE", "registered-models/get", NULL, &rep),
			 strcmp(c->transport->name, "local") == 0 ? MLF_CLIENT_ERR_INVALID : MLF_CLIENT_ERR_SERVER);
	buf_release(&body);
	buf_release(&rep.body);
	assert_int_equal(mlf_client_close(c), MLF_CLIENT_OK);

	assert_int_equal(count_rows(db, "SELECT count(*) FROM metrics JOIN runs USING (run_pk) WHERE run_uuid = ?", run_id), 5000);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM params JOIN runs USING (run_pk) WHERE run_uuid = ?", run_id), 1);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM runs WHERE run_uuid = ? AND status = 'FINISHED'", run_id), 1);
	snprintf(exp_out, 32, "%s", id1);
}

static void test_over_http(void **state)
{
	(void)state;
	char exp[32];
	scenario(http_uri, server_db, exp);
}

static void test_local(void **state)
{
	(void)state;
	char exp[32], again[32];
	scenario(local_uri, local_db, exp);
	/* a new client on the same file sees what the first one wrote */
	mlf_client *c = open_uri(local_uri);
	assert_int_equal(mlf_experiment_get_or_create(c, "a b&c=d%e/é+f?g", again), MLF_CLIENT_OK);
	assert_string_equal(exp, again);
	assert_int_equal(mlf_client_close(c), MLF_CLIENT_OK);
	/* the environment variable is read when the argument is NULL */
	setenv("MLFLOW_TRACKING_URI", local_uri, 1);
	c = open_uri(NULL);
	assert_string_equal(c->transport->name, "local");
	mlf_client_close(c);
	unsetenv("MLFLOW_TRACKING_URI");
}

/* ---- several threads at once in local mode: metrics from 4 producers,
 * synchronous calls beside them, every point in the database once */

struct worker {
	mlf_run *run;
	int id;
	enum mlf_result r;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char key[16], tag[40];
	snprintf(key, sizeof(key), "w%d", w->id);
	w->r = MLF_CLIENT_OK;
	for (int i = 0; i < 2000 && w->r == MLF_CLIENT_OK; i++) {
		w->r = mlf_log_metric(w->run, key, i, 1700000000000 + i, i);
		if (w->r == MLF_CLIENT_OK && i % 500 == 0) {
			snprintf(tag, sizeof(tag), "%s.%d", key, i);
			w->r = mlf_set_tag(w->run, tag, "v");
		}
	}
	return NULL;
}

static void test_local_threads(void **state)
{
	(void)state;
	struct mlf_client_options o = { .queue_capacity = 256 }; /* producers block now and then */
	mlf_client *c = NULL;
	assert_int_equal(mlf_client_open(local_uri, &o, &c, NULL, 0), MLF_CLIENT_OK);
	char exp[32], run_id[40];
	mlf_run *run = NULL;
	assert_int_equal(mlf_experiment_get_or_create(c, "threads", exp), MLF_CLIENT_OK);
	assert_int_equal(mlf_run_start(c, exp, "t", &run), MLF_CLIENT_OK);
	snprintf(run_id, sizeof(run_id), "%s", mlf_run_id(run));
	pthread_t th[4];
	struct worker w[4];
	for (int t = 0; t < 4; t++) {
		w[t] = (struct worker){ .run = run, .id = t };
		pthread_create(&th[t], NULL, work, &w[t]);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(w[t].r, MLF_CLIENT_OK);
	}
	assert_int_equal(mlf_run_end(run, MLF_RUN_FINISHED), MLF_CLIENT_OK);
	assert_int_equal(mlf_client_close(c), MLF_CLIENT_OK);
	assert_int_equal(count_rows(local_db, "SELECT count(*) FROM metrics JOIN runs USING (run_pk) WHERE run_uuid = ?",
				    run_id), 8000);
	/* every key has its last step as its latest value */
	assert_int_equal(count_rows(local_db, "SELECT count(*) FROM latest_metrics JOIN runs USING (run_pk) "
					      "WHERE run_uuid = ? AND step = 1999 AND value = 1999", run_id), 4);
}

static void test_local_bad_database(void **state)
{
	(void)state;
	mlf_client *c = (mlf_client *)1;
	char errbuf[256];
	assert_int_equal(mlf_client_open("sqlite:////nonexistent-dir/x.db", NULL, &c, errbuf, sizeof(errbuf)),
			 MLF_CLIENT_ERR_TRANSPORT);
	assert_null(c);
	assert_non_null(strstr(errbuf, "x.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_over_http),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_local_threads),
		cmocka_unit_test(test_local_bad_database),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
