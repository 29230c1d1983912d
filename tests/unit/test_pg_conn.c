/*
 * test_pg_conn.c - unit tests for the PostgreSQL connection layer
 * (src/store/pg_conn.h): the URI forms MLflow users write and their
 * redaction (no database needed), array literals, and, when
 * MLF_TEST_PG_ADMIN names a PostgreSQL server's admin database (as
 * scripts/pg_test_cluster.sh prints), the pool on a fresh database:
 * migrations applied once (also by several pools starting at the same
 * moment, as replicas do), a schema newer than the program refused, an
 * MLflow database and a foreign one refused untouched, values and NULLs
 * both ways, a failed statement's SQLSTATE, a write retried after a
 * serialization failure, and a bounded pool shared by more threads than
 * it has connections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/pg_conn.h"

/* ---- URIs ------------------------------------------------------------------------------ */

static void expect_uri(const char *uri, const char *conninfo, const char *redacted)
{
	struct buf c = BUF_INIT, r = BUF_INIT;
	struct mlf_err err = { 0 };
	assert_int_equal(pg_uri_parse(uri, &c, &r, &err), 0);
	assert_string_equal(c.ptr, conninfo);
	assert_string_equal(r.ptr, redacted);
	buf_release(&c);
	buf_release(&r);
}

static void expect_uri_refused(const char *uri)
{
	struct buf c = BUF_INIT, r = BUF_INIT;
	struct mlf_err err = { 0 };
	assert_int_equal(pg_uri_parse(uri, &c, &r, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_null(strstr(err.msg, "s3cret"));
	buf_release(&c);
	buf_release(&r);
}

static void test_uri_forms(void **state)
{
	(void)state;
	expect_uri("postgresql://mlflow:s3cret@db:5432/mlflow", "postgresql://mlflow:s3cret@db:5432/mlflow",
		   "postgresql://mlflow:***@db:5432/mlflow");
	expect_uri("postgres://u@h/d", "postgresql://u@h/d", "postgresql://u@h/d");
	expect_uri("postgresql+psycopg2://u:p@h/d?sslmode=require", "postgresql://u:p@h/d?sslmode=require",
		   "postgresql://u:***@h/d?sslmode=require");
	expect_uri("postgresql+psycopg://h/d", "postgresql://h/d", "postgresql://h/d");
	/* the password as an option, and an '@' inside the password */
	expect_uri("postgresql://h/d?user=u&password=s3cret&sslmode=disable",
		   "postgresql://h/d?user=u&password=s3cret&sslmode=disable",
		   "postgresql://h/d?user=u&password=***&sslmode=disable");
	expect_uri("postgresql://u:a@b@h/d", "postgresql://u:a@b@h/d", "postgresql://u:***@h/d");
	/* an '@' after the authority is not user info */
	expect_uri("postgresql://h/d?application_name=a@b", "postgresql://h/d?application_name=a@b",
		   "postgresql://h/d?application_name=a@b");
	expect_uri_refused("postgresql+://u:s3cret@h/d");
	expect_uri_refused("postgresql+psycopg2:/u:s3cret@h/d");
	expect_uri_refused("mysql://u:s3cret@h/d");
	expect_uri_refused("postgresql://u:s3cret@h/d\n");
}

static void test_arrays(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	const int64_t ints[] = { 1, -2, INT64_MAX };
	pg_array_int64(&b, ints, 3);
	assert_string_equal(b.ptr, "{1,-2,9223372036854775807}");
	buf_reset(&b);
	const char *texts[] = { "a", "", NULL, "q\"b\\s,{}", "NULL" };
	pg_array_text(&b, texts, 5);
	assert_string_equal(b.ptr, "{\"a\",\"\",NULL,\"q\\\"b\\\\s,{}\",\"NULL\"}");
	buf_reset(&b);
	const double d[] = { 0.1, NAN, -INFINITY };
	pg_array_double(&b, d, 3);
	assert_string_equal(b.ptr, "{0.10000000000000001,NaN,-Infinity}");
	buf_reset(&b);
	pg_array_int64(&b, NULL, 0);
	assert_string_equal(b.ptr, "{}");
	buf_release(&b);
}

/* ---- against a server ---------------------------------------------------------------------- */

static const char *admin_uri(void)
{
	const char *a = getenv("MLF_TEST_PG_ADMIN");
	return a && *a ? a : NULL;
}

static PGconn *admin_connect(void)
{
	const char *k[] = { "dbname", NULL }, *v[] = { admin_uri(), NULL };
	PGconn *c = PQconnectdbParams(k, v, 1);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	return c;
}

static void admin_exec(const char *sql)
{
	PGconn *c = admin_connect();
	PGresult *r = PQexec(c, sql);
	assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
	PQfinish(c);
}

/* A fresh database; returns its URI (static storage). */
static const char *fresh_db(const char *name)
{
	static char uri[512];
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	admin_exec(sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	admin_exec(sql);
	const char *a = admin_uri();
	const char *slash = strrchr(a, '/');
	snprintf(uri, sizeof(uri), "%.*s/%s", (int)(slash - a), a, name);
	return uri;
}

static void drop_db(const char *name)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	admin_exec(sql);
}

static const char *const migrations[] = {
	"CREATE TABLE t (id BIGINT PRIMARY KEY, s TEXT, d DOUBLE PRECISION)",
	"CREATE TABLE counter (n BIGINT NOT NULL); INSERT INTO counter VALUES (0)",
};
static const char *const stmts[] = {
	"INSERT INTO t (id, s, d) VALUES ($1, $2, $3)",
	"SELECT id, s, d FROM t WHERE id = $1",
	"UPDATE counter SET n = n + 1",
	"SELECT n FROM counter",
};

static int skip_without_server(void)
{
	if (admin_uri())
		return 0;
	fprintf(stderr, "skipped: MLF_TEST_PG_ADMIN is not set (scripts/pg_test_cluster.sh start)\n");
	return 1;
}

static int insert_and_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	(void)arg;
	if (pg_stmt_exec(c, err, 0, NULL, "itd", (int64_t)1, "héllo", 0.1) < 0 ||
	    pg_stmt_exec(c, err, 0, NULL, "ind", (int64_t)2, -INFINITY) < 0)
		return -1;
	PGresult *r = pg_stmt(c, err, 1, "i", (int64_t)1);
	if (!r)
		return -1;
	struct arena a = ARENA_INIT;
	assert_int_equal(PQntuples(r), 1);
	assert_int_equal(pg_col_int64(r, 0, 0), 1);
	assert_string_equal(pg_col_text(r, 0, 1, &a), "héllo");
	assert_true(pg_col_double(r, 0, 2) == 0.1);
	PQclear(r);
	r = pg_stmt(c, err, 1, "i", (int64_t)2);
	assert_non_null(r);
	assert_true(pg_col_null(r, 0, 1));
	assert_null(pg_col_text(r, 0, 1, &a));
	assert_true(isinf(pg_col_double(r, 0, 2)) && pg_col_double(r, 0, 2) < 0);
	PQclear(r);
	/* a duplicate key fails with its SQLSTATE; the transaction is then over */
	assert_int_equal(pg_stmt_exec(c, err, 0, NULL, "itd", (int64_t)1, "again", 1.0), -1);
	assert_true(pg_failed_with(c, "23505"));
	assert_int_equal(err->code, MLF_INTERNAL_ERROR);
	arena_release(&a);
	return -1;
}

static int insert_one(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	(void)arg;
	return pg_stmt_exec(c, err, 0, NULL, "itd", (int64_t)7, "seven", 7.0);
}

static int read_seven(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	PGresult *r = pg_query(c, err, "SELECT count(*) FROM t WHERE id = $1 AND s = $2", "it", (int64_t)7, "seven");
	if (!r)
		return -1;
	*(int64_t *)arg = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

static void test_pool_values_and_rollback(void **state)
{
	(void)state;
	if (skip_without_server())
		return;
	const char *uri = fresh_db("mlflowc_unit_pgconn");
	struct pg_pool p;
	struct mlf_err err = { 0 };
	assert_int_equal(pg_pool_init(&p, uri, 2, migrations, 2, stmts, 4, false, &err), 0);
	int64_t version = 0;
	assert_int_equal(pg_pool_schema_version(&p, &version, &err), 0);
	assert_int_equal(version, 2);
	/* the failed transaction rolled back both of its inserts */
	assert_int_equal(pg_pool_tx(&p, PG_TX_WRITE, insert_and_read, NULL, &err), -1);
	int64_t n = -1;
	assert_int_equal(pg_pool_tx(&p, PG_TX_WRITE, insert_one, NULL, &err), 0);
	assert_int_equal(pg_pool_tx(&p, PG_TX_READ, read_seven, &n, &err), 0);
	assert_int_equal(n, 1);
	/* a read transaction cannot write */
	assert_int_equal(pg_pool_tx(&p, PG_TX_READ, insert_one, NULL, &err), -1);
	pg_pool_release(&p);

	/* opened again: nothing re-applied, data kept */
	assert_int_equal(pg_pool_init(&p, uri, 2, migrations, 2, stmts, 4, false, &err), 0);
	assert_int_equal(pg_pool_tx(&p, PG_TX_READ, read_seven, &n, &err), 0);
	assert_int_equal(n, 1);
	pg_pool_release(&p);

	/* a program that knows fewer migrations refuses the newer schema */
	assert_int_equal(pg_pool_init(&p, uri, 2, migrations, 1, stmts, 4, false, &err), -1);
	assert_non_null(strstr(err.msg, "newer than this mlflowc knows"));
	drop_db("mlflowc_unit_pgconn");
}

static void test_foreign_databases_refused(void **state)
{
	(void)state;
	if (skip_without_server())
		return;
	const char *const names[] = { "mlflowc_unit_pgmlflow", "mlflowc_unit_pgother" };
	const char *const setup[] = { "CREATE TABLE alembic_version (version_num VARCHAR(32)); "
				      "INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1')",
				      "CREATE TABLE accounts (id INT)" };
	const char *const says[] = { "MLflow tracking database", "tables that are not mlflowc's" };
	for (size_t i = 0; i < 2; i++) {
		const char *uri = fresh_db(names[i]);
		char uri_copy[512];
		snprintf(uri_copy, sizeof(uri_copy), "%s", uri);
		const char *k[] = { "dbname", NULL }, *v[] = { uri_copy, NULL };
		PGconn *c = PQconnectdbParams(k, v, 1);
		PQclear(PQexec(c, setup[i]));
		struct pg_pool p;
		struct mlf_err err = { 0 };
		assert_int_equal(pg_pool_init(&p, uri_copy, 2, migrations, 2, stmts, 4, false, &err), -1);
		assert_non_null(strstr(err.msg, says[i]));
		/* nothing was created */
		PGresult *r = PQexec(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
		assert_string_equal(PQgetvalue(r, 0, 0), "1");
		PQclear(r);
		PQfinish(c);
		drop_db(names[i]);
	}
}

struct opener {
	const char *uri;
	int rc;
};

static void *open_concurrently(void *arg)
{
	struct opener *o = arg;
	struct pg_pool p;
	struct mlf_err err = { 0 };
	o->rc = pg_pool_init(&p, o->uri, 1, migrations, 2, stmts, 4, false, &err);
	if (o->rc == 0)
		pg_pool_release(&p);
	return NULL;
}

static void test_replicas_migrate_once(void **state)
{
	(void)state;
	if (skip_without_server())
		return;
	const char *uri = fresh_db("mlflowc_unit_pgrace");
	enum { N = 6 };
	pthread_t t[N];
	struct opener o[N];
	for (int i = 0; i < N; i++) {
		o[i] = (struct opener){ uri, -1 };
		pthread_create(&t[i], NULL, open_concurrently, &o[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(o[i].rc, 0);
	}
	/* the second migration's INSERT ran once */
	struct pg_pool p;
	struct mlf_err err = { 0 };
	assert_int_equal(pg_pool_init(&p, uri, 1, migrations, 2, stmts, 4, false, &err), 0);
	int64_t rows = -1;
	assert_int_equal(pg_pool_tx(&p, PG_TX_READ, read_seven, &rows, &err), 0);
	assert_int_equal(rows, 0);
	pg_pool_release(&p);
	const char *k[] = { "dbname", NULL }, *v[] = { uri, NULL };
	PGconn *pc = PQconnectdbParams(k, v, 1);
	PGresult *r = PQexec(pc, "SELECT count(*) FROM counter");
	assert_string_equal(PQgetvalue(r, 0, 0), "1");
	PQclear(r);
	PQfinish(pc);
	drop_db("mlflowc_unit_pgrace");
}

/* Many threads over a pool of 3: every increment lands once. */
struct bumper {
	struct pg_pool *p;
	int failures;
};

static int bump(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	(void)arg;
	return pg_stmt_exec(c, err, 2, NULL, "");
}

static void *bump_many(void *arg)
{
	struct bumper *b = arg;
	for (int i = 0; i < 50; i++) {
		struct mlf_err err = { 0 };
		if (pg_pool_tx(b->p, PG_TX_WRITE, bump, NULL, &err) < 0)
			b->failures++;
	}
	return NULL;
}

static int read_counter(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, 3, "");
	if (!r)
		return -1;
	*(int64_t *)arg = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* A SERIALIZABLE write that conflicts with another commit fails with
 * 40001 the first time and succeeds when run again. */
struct conflict {
	const char *uri;
	int attempts;
};

static int conflicting_write(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct conflict *x = arg;
	x->attempts++;
	PGresult *r = pg_query(c, err, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "");
	if (!r)
		return -1;
	PQclear(r);
	int64_t n;
	if (read_counter(c, &n, err) < 0)
		return -1;
	if (x->attempts == 1) { /* another session changes the row we read */
		const char *k[] = { "dbname", NULL }, *v[] = { x->uri, NULL };
		PGconn *other = PQconnectdbParams(k, v, 1);
		PQclear(PQexec(other, "UPDATE counter SET n = n + 1000"));
		PQfinish(other);
	}
	return pg_stmt_exec(c, err, 2, NULL, "");
}

static void test_bounded_pool_and_retry(void **state)
{
	(void)state;
	if (skip_without_server())
		return;
	const char *uri = fresh_db("mlflowc_unit_pgpool");
	struct pg_pool p;
	struct mlf_err err = { 0 };
	assert_int_equal(pg_pool_init(&p, uri, 3, migrations, 2, stmts, 4, true, &err), 0);
	enum { N = 8 };
	pthread_t t[N];
	struct bumper b[N];
	for (int i = 0; i < N; i++) {
		b[i] = (struct bumper){ &p, 0 };
		pthread_create(&t[i], NULL, bump_many, &b[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(b[i].failures, 0);
	}
	assert_true(p.n_open <= 3);
	int64_t n = 0;
	assert_int_equal(pg_pool_tx(&p, PG_TX_READ, read_counter, &n, &err), 0);
	assert_int_equal(n, N * 50);

	struct conflict x = { uri, 0 };
	assert_int_equal(pg_pool_tx(&p, PG_TX_WRITE, conflicting_write, &x, &err), 0);
	assert_int_equal(x.attempts, 2);
	assert_int_equal(pg_pool_tx(&p, PG_TX_READ, read_counter, &n, &err), 0);
	assert_int_equal(n, N * 50 + 1000 + 1);
	pg_pool_release(&p);
	drop_db("mlflowc_unit_pgpool");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_forms),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_pool_values_and_rollback),
		cmocka_unit_test(test_foreign_databases_refused),
		cmocka_unit_test(test_replicas_migrate_once),
		cmocka_unit_test(test_bounded_pool_and_retry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
