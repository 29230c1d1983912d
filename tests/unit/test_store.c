/*
 * test_store.c - the SQLite store through its ops table, without HTTP:
 * the latest-metric rule, write-once params, all-or-nothing batches, group
 * commit under concurrent writers, soft deletes, and the chart step
 * sampling shared by every backend; the durability setting reaches the
 * connection that commits; the probe tells each kind of backend-store path
 * apart and refuses, without changing it, whatever is not ours.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite_conn.h"
#include "store/store_probe.h"
#include "store/store.h"
#include "store_fixture.h"

STORE_FIXTURE_SUITE("/srv/artifacts")

static const char *new_run(struct arena *a, const char *exp_name)
{
	int64_t exp;
	struct store_run run;
	assert_int_equal(store_experiment_create(st, exp_name, NULL, "/srv/artifacts", NULL, 0, &exp, &err), 0);
	struct store_run_create rc = { .experiment_id = exp, .run_name = "r", .start_time = 1 };
	assert_int_equal(store_run_create(st, &rc, &run, a, &err), 0);
	assert_string_equal(run.info.artifact_uri + strlen(run.info.artifact_uri) - 10, "/artifacts");
	return run.info.run_id;
}

static void test_default_experiment_and_locations(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_experiment e;
	int64_t id;
	assert_int_equal(store_experiment_get(st, 0, &e, &a, &err), 0);
	assert_string_equal(e.name, "Default");
	assert_string_equal(e.artifact_location, "/srv/artifacts/0");
	assert_int_equal(store_experiment_create(st, "loc", NULL, "/srv/artifacts", NULL, 0, &id, &err), 0);
	assert_int_equal(store_experiment_get(st, id, &e, &a, &err), 0);
	assert_string_equal(e.artifact_location, arena_printf(&a, "/srv/artifacts/%lld", (long long)id));
	assert_int_equal(store_experiment_create(st, "loc", NULL, "/srv/artifacts", NULL, 0, &id, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_ALREADY_EXISTS);
	arena_release(&a);
}

static void test_latest_metric_rule(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const char *run_id = new_run(&a, "latest");
	const struct store_metric pts[] = {
		{ .key = "m", .value = 1.0, .timestamp = 100, .step = 5 },
		{ .key = "m", .value = 2.0, .timestamp = 50, .step = 7 },
		{ .key = "m", .value = 0.5, .timestamp = 60, .step = 7 },
		{ .key = "m", .value = 0.25, .timestamp = 60, .step = 7 },
		{ .key = "m", .value = NAN, .timestamp = 10, .step = 6 },
		{ .key = "m", .value = 1.0, .timestamp = 100, .step = 5 }, /* duplicate */
	};
	struct store_batch b = { .metrics = pts, .n_metrics = ARRAY_SIZE(pts) };
	assert_int_equal(store_run_log_batch(st, run_id, &b, &err), 0);
	struct store_run run;
	assert_int_equal(store_run_get(st, run_id, &run, &a, &err), 0);
	assert_int_equal(run.n_metrics, 1);
	assert_int_equal(run.metrics[0].step, 7);
	assert_int_equal(run.metrics[0].timestamp, 60);
	assert_true(run.metrics[0].value == 0.5);
	struct store_metric *h;
	size_t n;
	bool more;
	assert_int_equal(store_metric_history(st, run_id, "m", 0, -1, &h, &n, &more, &a, &err), 0);
	assert_int_equal(n, 5); /* the duplicate point is stored once */
	assert_true(isnan(h[0].value) && h[0].timestamp == 10);
	assert_false(more);
	/* paging: two points from offset 1, more remain; then the last two */
	assert_int_equal(store_metric_history(st, run_id, "m", 1, 2, &h, &n, &more, &a, &err), 0);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_int_equal(h[0].timestamp, 50);
	assert_int_equal(store_metric_history(st, run_id, "m", 3, 2, &h, &n, &more, &a, &err), 0);
	assert_int_equal(n, 2);
	assert_false(more);
	arena_release(&a);
}

static void test_params_write_once_and_batch_atomic(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const char *run_id = new_run(&a, "params");
	struct store_kv p1 = { "lr", "0.1" };
	struct store_batch b1 = { .params = &p1, .n_params = 1 };
	assert_int_equal(store_run_log_batch(st, run_id, &b1, &err), 0);
	assert_int_equal(store_run_log_batch(st, run_id, &b1, &err), 0); /* same value: fine */

	const struct store_metric m = { .key = "x", .value = 1, .timestamp = 1, .step = 1 };
	struct store_kv params[] = { { "new", "1" }, { "lr", "0.2" } };
	struct store_kv tag = { "t", "v" };
	struct store_batch b2 = { &m, 1, params, 2, &tag, 1 };
	assert_int_equal(store_run_log_batch(st, run_id, &b2, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	struct store_run run;
	assert_int_equal(store_run_get(st, run_id, &run, &a, &err), 0);
	assert_int_equal(run.n_params, 1);
	assert_int_equal(run.n_metrics, 0);
	assert_int_equal(run.n_tags, 1); /* only mlflow.runName */
	arena_release(&a);
}

static void test_deleted_runs_refuse_writes(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const char *run_id = new_run(&a, "deleted");
	assert_int_equal(store_run_set_lifecycle(st, run_id, true, &err), 0);
	struct store_kv t = { "k", "v" };
	struct store_batch b = { .tags = &t, .n_tags = 1 };
	assert_int_equal(store_run_log_batch(st, run_id, &b, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(err.msg, "must be in the 'active' state"));
	assert_int_equal(store_run_log_batch(st, "0123456789abcdef0123456789abcdef", &b, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	arena_release(&a);
}

struct writer_arg {
	const char *run_id;
	int worker;
	int failures;
};

static void *writer(void *p)
{
	struct writer_arg *w = p;
	struct mlf_err e;
	char key[16];
	snprintf(key, sizeof(key), "w%d", w->worker);
	for (int i = 0; i < 200; i++) {
		struct store_metric m = { .key = key, .value = i, .timestamp = 1000 + i, .step = i };
		struct store_batch b = { .metrics = &m, .n_metrics = 1 };
		if (store_run_log_batch(st, w->run_id, &b, &e) < 0)
			w->failures++;
	}
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const char *run_id = new_run(&a, "concurrent");
	pthread_t t[8];
	struct writer_arg args[8];
	for (int i = 0; i < 8; i++) {
		args[i] = (struct writer_arg){ run_id, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, writer, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	for (int i = 0; i < 8; i++) {
		struct store_metric *h;
		size_t n;
		bool more;
		char key[16];
		snprintf(key, sizeof(key), "w%d", i);
		assert_int_equal(store_metric_history(st, run_id, key, 0, -1, &h, &n, &more, &a, &err), 0);
		assert_int_equal(n, 200);
	}
	arena_release(&a);
}

static void test_sample_steps(void **state)
{
	(void)state;
	int64_t steps[100], out[200];
	for (int i = 0; i < 100; i++)
		steps[i] = i * 2; /* 0, 2, ..., 198 */
	const int64_t bounds[] = { 0, 198, 7, 9 };
	/* everything fits */
	size_t n = store_sample_steps(steps, 100, NULL, 0, true, 10, 20, 10, out);
	assert_int_equal(n, 6);
	assert_int_equal(out[0], 10);
	assert_int_equal(out[5], 20);
	/* sampling: 10 evenly spaced plus the last, plus bounds in range */
	n = store_sample_steps(steps, 100, bounds, 4, false, 0, 0, 10, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[n - 1], 198);
	for (size_t i = 1; i < n; i++)
		assert_true(out[i - 1] < out[i]);
	assert_int_equal(n, 13); /* 0,20,...,180 (10) + 198 + bounds 7 and 9; 0 and 198 shared */
	/* bounds outside the range are dropped */
	n = store_sample_steps(steps, 100, bounds, 4, true, 50, 60, 100, out);
	assert_int_equal(n, 6);
	assert_int_equal(out[0], 50);
	/* no steps at all */
	assert_int_equal(store_sample_steps(NULL, 0, NULL, 0, false, 0, 0, 10, out), 0);
}

/* A write job that reads the write connection's synchronous setting. */
static int read_synchronous(struct sqlite_conn *c, void *arg, struct mlf_err *e)
{
	bool row;
	sqlite3_stmt *s = sqlite_stmt_bound(c, e, 0, ""); /* the pool's one statement */
	if (!s || sqlite_step_row(c, s, &row, e) < 0 || !row) {
		sqlite3_reset(s);
		return -1;
	}
	*(int *)arg = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return 0;
}

static void test_durability_reaches_the_writer(void **state)
{
	(void)state;
	static const char *const no_sql[] = { "PRAGMA synchronous" };
	static const char *const no_migrations[] = { "CREATE TABLE t(x)" };
	for (int full = 0; full <= 1; full++) {
		struct sqlite_pool p;
		char path[300];
		int level = -1;
		snprintf(path, sizeof(path), "%s/durability-%d.db", fx.dir, full);
		assert_int_equal(sqlite_pool_init(&p, path, no_migrations, 1, no_sql, 1, full, &err), 0);
		assert_int_equal(sqlite_pool_write(&p, read_synchronous, &level, &err), 0);
		assert_int_equal(level, full ? 2 : 1); /* FULL is 2, NORMAL 1 */
		sqlite_pool_release(&p);
	}
	enum store_durability d = STORE_DURABILITY_NORMAL;
	assert_int_equal(store_durability_parse("full", &d), 0);
	assert_int_equal(d, STORE_DURABILITY_FULL);
	assert_int_equal(store_durability_parse("normal", &d), 0);
	assert_int_equal(d, STORE_DURABILITY_NORMAL);
	assert_int_equal(store_durability_parse("FULL!", &d), -1);
}

/* Writes `sql` into a new SQLite file `name` under the test directory. */
static void make_sqlite(const char *name, const char *sql, char *path, size_t size)
{
	sqlite3 *db;
	snprintf(path, size, "%s/%s", fx.dir, name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Writes `len` bytes of `text` (its strlen when `len` is 0) to `name`. */
static void write_file(const char *name, const char *text, size_t len, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", fx.dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (!len)
		len = strlen(text);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_probe_tells_store_paths_apart(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *sqlite; /* NULL: `text` is written as a plain file */
		const char *text;
		size_t text_len; /* 0: strlen(text) */
		enum store_probe_kind kind;
		const char *message; /* part of the refusal; NULL: may be opened */
	} cases[] = {
		{ "store.db", NULL, NULL, 0, STORE_PROBE_MLFLOWC, NULL }, /* store_suite_setup()'s SQLite store, open now */
		{ "missing.db", NULL, NULL, 0, STORE_PROBE_MISSING, NULL },
		{ "zero.db", NULL, "", 0, STORE_PROBE_EMPTY, NULL },
		{ "dropped.db", "CREATE TABLE x(a); DROP TABLE x;", NULL, 0, STORE_PROBE_EMPTY, NULL },
		{ "text.db", NULL, "hello\n", 0, STORE_PROBE_NOT_SQLITE, "is not a SQLite database" },
		{ "short.db", NULL, "SQLite", 0, STORE_PROBE_NOT_SQLITE, "is not a SQLite database" },
		{ "fake.db", NULL, "SQLite format 3\0 and then garbage, not a b-tree page at all", 59,
		  STORE_PROBE_UNREADABLE, "whose schema cannot be read" },
		{ "mlflow.db",
		  "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
		  "INSERT INTO alembic_version VALUES ('2c33131f4dae');"
		  "CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name VARCHAR(256));",
		  NULL, 0, STORE_PROBE_MLFLOW, "written by MLflow (alembic revision 2c33131f4dae)" },
		{ "other.db", "CREATE TABLE zeta(a); CREATE TABLE alpha(b);", NULL, 0, STORE_PROBE_FOREIGN,
		  "tables mlflowc did not create (e.g. table 'alpha')" },
		{ "half.db", "CREATE TABLE metric_keys(a);", NULL, 0, STORE_PROBE_FOREIGN, "did not create" },
		{ "view.db", "CREATE VIEW v AS SELECT 1;", NULL, 0, STORE_PROBE_FOREIGN, "(e.g. view 'v')" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char path[300];
		enum store_probe_kind kind = STORE_PROBE_MISSING;
		struct mlf_err e = { 0 };
		if (i == 0) { /* store_suite_setup()'s own store, wherever MLF_TEST_STORE_URI put it */
			const char *own = store_fixture_sqlite_path(&fx);
			if (!own)
				continue; /* another backend */
			snprintf(path, sizeof(path), "%s", own);
		} else if (cases[i].sqlite)
			make_sqlite(cases[i].name, cases[i].sqlite, path, sizeof(path));
		else if (cases[i].text)
			write_file(cases[i].name, cases[i].text, cases[i].text_len, path, sizeof(path));
		else
			snprintf(path, sizeof(path), "%s/%s", fx.dir, cases[i].name);
		int rc = store_probe_sqlite(path, &kind, &e);
		assert_int_equal(kind, cases[i].kind);
		assert_int_equal(rc, cases[i].message ? -1 : 0);
		if (cases[i].message) {
			assert_non_null(strstr(e.msg, cases[i].message));
			assert_non_null(strstr(e.msg, path));
			assert_null(strchr(e.msg, '\n'));
		}
	}
	enum store_probe_kind kind;
	struct mlf_err e = { 0 };
	assert_int_equal(store_probe_sqlite(fx.dir, &kind, &e), -1);
	assert_int_equal(kind, STORE_PROBE_DIRECTORY);
	assert_int_equal(store_probe_sqlite("/dev/null", &kind, &e), -1);
	assert_int_equal(kind, STORE_PROBE_SPECIAL);
	/* the probe wrote nothing: the missing file is still missing */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/missing.db", fx.dir);
	assert_int_equal(access(missing, F_OK), -1);
}

static void test_probe_refuses_file_store_paths(void **state)
{
	(void)state;
	char store_dir[300], meta[320], inside[320];
	struct mlf_err e = { 0 };
	snprintf(store_dir, sizeof(store_dir), "%s/fs", fx.dir);
	snprintf(meta, sizeof(meta), "%s/0", store_dir);
	assert_int_equal(mkdir(store_dir, 0777), 0);
	assert_int_equal(mkdir(meta, 0777), 0);
	snprintf(meta, sizeof(meta), "%s/0/meta.yaml", store_dir);
	FILE *f = fopen(meta, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(inside, sizeof(inside), "%s/new.db", store_dir);
	static const char *const named[] = { "mlruns", "./mlruns", "mlruns/", "/srv/x/mlruns//" };
	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		assert_int_equal(store_probe_bare_path(named[i], &e), -1);
		assert_non_null(strstr(e.msg, "it is named mlruns"));
	}
	assert_int_equal(store_probe_bare_path(store_dir, &e), -1);
	assert_non_null(strstr(e.msg, "it is a directory"));
	assert_int_equal(store_probe_bare_path(inside, &e), -1);
	assert_non_null(strstr(e.msg, "its directory holds meta.yaml"));
	static const char *const fine[] = { "mlflow.db", "mlruns.db", "/tmp/no-such-dir/mlrunsx", "data/mlruns.sqlite" };
	for (size_t i = 0; i < ARRAY_SIZE(fine); i++)
		assert_int_equal(store_probe_bare_path(fine[i], &e), 0);
	/* through store_open: nothing is created for a refused bare path */
	char uri[320];
	snprintf(uri, sizeof(uri), "%s/mlruns", fx.dir);
	assert_null(store_open(uri, &(struct store_options){ .artifact_root = "/srv/artifacts" }, &e));
	assert_int_equal(access(uri, F_OK), -1);
	assert_int_equal(store_check_uri("file:///srv/mlruns", &e), -1);
	assert_non_null(strstr(e.msg, "file store"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_experiment_and_locations),
		cmocka_unit_test(test_latest_metric_rule),
		cmocka_unit_test(test_params_write_once_and_batch_atomic),
		cmocka_unit_test(test_deleted_runs_refuse_writes),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_sample_steps),
		cmocka_unit_test(test_durability_reaches_the_writer),
		cmocka_unit_test(test_probe_tells_store_paths_apart),
		cmocka_unit_test(test_probe_refuses_file_store_paths),
	};
	return cmocka_run_group_tests(tests, store_suite_setup, store_suite_teardown);
}
