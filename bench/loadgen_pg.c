/*
 * loadgen_pg.c - the PostgreSQL side of the benchmark: scratch databases
 * on the server a --store URI names (one per run, so runs never see each
 * other's rows), the CPU the bench database's backends use (so a phase's
 * "cpu:" line tells a PostgreSQL limit from a server one), and the COPY
 * ceiling. See loadgen_pg.h and bench/README.md.
 */
#include "loadgen_pg.h"
#include "base/buf.h"
#include "base/common.h"
#include "base/xalloc.h"
#include "store/schema_pg.h"
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ADMIN_DB "postgres"

/* The metric statements of the server's log-batch (store_pg_tracking_sql.h). */
static const char latest_upsert_sql[] =
	"INSERT INTO latest_metrics(run_pk, key_id, value, timestamp, step, is_nan) "
	"SELECT 1, t.* FROM unnest($1::bigint[], $2::float8[], $3::bigint[], $4::bigint[], $5::smallint[]) AS t "
	"ON CONFLICT (run_pk, key_id) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, "
	"step = excluded.step, is_nan = excluded.is_nan WHERE (excluded.step, excluded.timestamp, excluded.value) > "
	"(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";
static const char copy_sql[] = "COPY metrics(run_pk, key_id, timestamp, step, value, is_nan) FROM STDIN";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Length of the scheme and "://" of a PostgreSQL URI, 0 when it is not one. */
static size_t pg_scheme_len(const char *uri)
{
	static const char *const plain[] = { "postgresql://", "postgres://" };
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		if (strncmp(uri, plain[i], strlen(plain[i])) == 0)
			return strlen(plain[i]);
	if (strncmp(uri, "postgresql+", 11) == 0) {
		size_t d = strcspn(uri + 11, ":/?");
		if (d > 0 && strncmp(uri + 11 + d, "://", 3) == 0)
			return 11 + d + 3;
	}
	return 0;
}

bool bench_pg_is_uri(const char *uri)
{
	return pg_scheme_len(uri) > 0;
}

/* "<scheme>://<authority>/<db>?<options>" with the database replaced. */
static char *uri_with_db(const char *scheme, size_t scheme_len, const char *authority, size_t authority_len,
			 const char *db, const char *options)
{
	struct buf b = BUF_INIT;
	buf_add(&b, scheme, scheme_len);
	buf_add(&b, authority, authority_len);
	buf_addf(&b, "/%s%s", db, options);
	return buf_detach(&b, NULL);
}

static PGconn *connect_to(const char *admin_uri, const char *db, struct mlf_err *err)
{
	/* expand_dbname: the URI first, then a plain database name that wins */
	const char *const keys[] = { "dbname", "dbname", "fallback_application_name", NULL };
	const char *const values[] = { admin_uri, db, "mlflowc-bench", NULL };
	PGconn *c = PQconnectdbParams(keys, values, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		const char *msg = c ? PQerrorMessage(c) : "out of memory";
		mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "cannot connect to PostgreSQL database %s: %.*s", db,
			   (int)strcspn(msg, "\n"), msg);
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Runs one command (or several, simple protocol); 0 or -1 with err set. */
static int exec_ok(PGconn *c, const char *sql, struct mlf_err *err)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
	if (rc < 0) {
		const char *msg = PQerrorMessage(c);
		mlf_errorf(err, MLF_INTERNAL_ERROR, "PostgreSQL: %.60s: %.*s", sql, (int)strcspn(msg, "\n"), msg);
	}
	PQclear(r);
	return rc;
}

static int create_database(PGconn *admin, const char *name, struct mlf_err *err)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
	return exec_ok(admin, sql, err);
}

static void drop_database(PGconn *admin, char *name)
{
	char sql[160];
	struct mlf_err err;
	if (!name[0])
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	if (exec_ok(admin, sql, &err) < 0)
		fprintf(stderr, "loadgen: could not drop database %s: %s\n", name, err.msg);
	name[0] = '\0';
}

int bench_pg_setup(struct bench_pg *pg, const char *uri, struct mlf_err *err)
{
	static int n_setups;
	size_t scheme_len = pg_scheme_len(uri);
	if (!scheme_len)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "not a PostgreSQL URI (postgresql://...)");
	const char *authority = uri + scheme_len;
	size_t authority_len = strcspn(authority, "/?");
	const char *path = authority + authority_len;
	const char *options = path + strcspn(path, "?");
	char db[64] = ADMIN_DB;
	if (*path == '/' && options - path > 1 && (size_t)(options - path) < sizeof(db) &&
	    !memchr(path, '{', (size_t)(options - path))) {
		memcpy(db, path + 1, (size_t)(options - path) - 1);
		db[options - path - 1] = '\0';
	}
	memset(pg, 0, sizeof(*pg));
	pg->admin_uri = uri_with_db("postgresql://", 13, authority, authority_len, db, options);
	snprintf(pg->db, sizeof(pg->db), "mlflowc_bench_%d_%ld_%d", (int)getpid(), (long)time(NULL), n_setups++);
	pg->server_uri = uri_with_db(uri, scheme_len, authority, authority_len, pg->db, options);
	PGconn *admin = connect_to(pg->admin_uri, db, err);
	if (!admin || create_database(admin, pg->db, err) < 0) {
		pg->db[0] = '\0';
		PQfinish(admin);
		bench_pg_teardown(pg, false);
		return -1;
	}
	pg->admin = admin;
	return 0;
}

void bench_pg_teardown(struct bench_pg *pg, bool keep)
{
	if (pg->admin && keep) {
		if (pg->db[0])
			fprintf(stderr, "loadgen: kept PostgreSQL database %s\n", pg->db);
	} else if (pg->admin) {
		drop_database(pg->admin, pg->copy_db);
		drop_database(pg->admin, pg->db);
	}
	PQfinish(pg->admin);
	pg->admin = NULL;
	free(pg->admin_uri);
	free(pg->server_uri);
	pg->admin_uri = pg->server_uri = NULL;
}

/* utime + stime of /proc/<pid>/stat in seconds, -1 when unreadable. */
static double proc_cpu_s(int pid)
{
	char path[64], line[1024];
	unsigned long long utime, stime;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *fields = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	if (!fields || sscanf(fields + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

void bench_pg_cpu_read(struct bench_pg *pg, struct bench_pg_cpu *out)
{
	const char *values[1] = { pg->db };
	out->n = 0;
	if (!pg->admin)
		return;
	PGresult *r = PQexecParams(pg->admin, "SELECT pid FROM pg_stat_activity WHERE datname = $1", 1, NULL,
				   values, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(r) && out->n < BENCH_PG_MAX_PIDS; i++) {
			int pid = atoi(PQgetvalue(r, i, 0));
			double s = proc_cpu_s(pid);
			if (s >= 0) {
				out->pid[out->n] = pid;
				out->cpu_s[out->n++] = s;
			}
		}
	}
	PQclear(r);
}

double bench_pg_cpu_delta(const struct bench_pg_cpu *start, const struct bench_pg_cpu *end)
{
	double sum = 0;
	if (end->n == 0)
		return -1;
	for (int i = 0; i < end->n; i++) {
		double before = 0;
		for (int j = 0; j < start->n; j++)
			if (start->pid[j] == end->pid[i])
				before = start->cpu_s[j];
		sum += end->cpu_s[i] - before;
	}
	return sum;
}

/* ---- the COPY ceiling ----------------------------------------------------- */

/* MLflow's "latest" rule: the largest (step, timestamp, value). */
static bool row_later(const struct metric_row *a, const struct metric_row *b)
{
	if (a->step != b->step)
		return a->step > b->step;
	if (a->timestamp != b->timestamp)
		return a->timestamp > b->timestamp;
	return a->value > b->value;
}

/* What one batch sends, built before the clock starts. */
struct copy_batch {
	struct buf copy_text;	  /* COPY's text-format rows */
	struct buf arrays[5];	  /* the latest upsert's array literals */
};

static void build_batch(struct copy_batch *cb, const struct metric_row *rows, int n, int n_keys)
{
	const struct metric_row *latest[64] = { 0 };
	buf_init(&cb->copy_text, (size_t)n * 48);
	for (int i = 0; i < n; i++) {
		const struct metric_row *m = &rows[i];
		buf_addf(&cb->copy_text, "1\t%d\t%lld\t%lld\t%.17g\t0\n", m->key + 1, m->timestamp, m->step, m->value);
		if (m->key < 64 && (!latest[m->key] || row_later(m, latest[m->key])))
			latest[m->key] = m;
	}
	for (int a = 0; a < 5; a++) {
		cb->arrays[a] = (struct buf)BUF_INIT;
		buf_addch(&cb->arrays[a], '{');
	}
	bool first = true;
	for (int k = 0; k < n_keys && k < 64; k++) {
		const struct metric_row *m = latest[k];
		if (!m)
			continue;
		const char *sep = first ? "" : ",";
		buf_addf(&cb->arrays[0], "%s%d", sep, k + 1);
		buf_addf(&cb->arrays[1], "%s%.17g", sep, m->value);
		buf_addf(&cb->arrays[2], "%s%lld", sep, m->timestamp);
		buf_addf(&cb->arrays[3], "%s%lld", sep, m->step);
		buf_addf(&cb->arrays[4], "%s0", sep);
		first = false;
	}
	for (int a = 0; a < 5; a++)
		buf_addch(&cb->arrays[a], '}');
}

static void release_batch(struct copy_batch *cb)
{
	buf_release(&cb->copy_text);
	for (int a = 0; a < 5; a++)
		buf_release(&cb->arrays[a]);
}

static int copy_rows(PGconn *c, const struct buf *text, struct mlf_err *err)
{
	PGresult *r = PQexec(c, copy_sql);
	bool ok = PQresultStatus(r) == PGRES_COPY_IN;
	PQclear(r);
	if (ok)
		ok = PQputCopyData(c, text->ptr, (int)text->len) == 1 && PQputCopyEnd(c, NULL) == 1;
	while ((r = PQgetResult(c))) {
		ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok) {
		const char *msg = PQerrorMessage(c);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "PostgreSQL COPY: %.*s", (int)strcspn(msg, "\n"), msg);
	}
	return 0;
}

static int upsert_latest(PGconn *c, const struct copy_batch *cb, struct mlf_err *err)
{
	const char *values[5];
	for (int a = 0; a < 5; a++)
		values[a] = cb->arrays[a].ptr;
	PGresult *r = PQexecPrepared(c, "latest", 5, values, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		const char *msg = PQerrorMessage(c);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "PostgreSQL latest upsert: %.*s", (int)strcspn(msg, "\n"),
				  msg);
	}
	return 0;
}

/* The server's schema, one experiment, one run, the keys, the statement. */
static int prepare_copy_db(PGconn *c, const char *const *key_names, int n_keys, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(schema_pg_migrations); i++)
		if (exec_ok(c, schema_pg_migrations[i], err) < 0)
			return -1;
	if (exec_ok(c, "INSERT INTO experiments(experiment_id, name, artifact_location) VALUES(1, 'raw', '')", err) < 0 ||
	    exec_ok(c, "INSERT INTO runs(run_pk, run_uuid, experiment_id, status) VALUES(1, 'raw', 1, 'RUNNING')", err) < 0)
		return -1;
	for (int k = 0; k < n_keys; k++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "INSERT INTO metric_keys(key_id, key) VALUES(%d, '%s')", k + 1, key_names[k]);
		if (exec_ok(c, sql, err) < 0)
			return -1;
	}
	PGresult *r = PQprepare(c, "latest", latest_upsert_sql, 0, NULL);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "PostgreSQL: cannot prepare the latest upsert");
	return 0;
}

int bench_pg_copy_ceiling(struct bench_pg *pg, const struct metric_row *rows, int batches, int batch_rows,
			  const char *const *key_names, int n_keys, double *rows_s, struct mlf_err *err)
{
	int rc = -1;
	snprintf(pg->copy_db, sizeof(pg->copy_db), "%s_copy", pg->db);
	if (create_database(pg->admin, pg->copy_db, err) < 0) {
		pg->copy_db[0] = '\0';
		return -1;
	}
	PGconn *c = connect_to(pg->admin_uri, pg->copy_db, err);
	struct copy_batch *cbs = xcalloc((size_t)batches, sizeof(*cbs));
	for (int b = 0; b < batches; b++)
		build_batch(&cbs[b], rows + (size_t)b * (size_t)batch_rows, batch_rows, n_keys);
	if (c && prepare_copy_db(c, key_names, n_keys, err) == 0) {
		double t0 = now_s();
		int b = 0;
		for (; b < batches; b++)
			if (exec_ok(c, "BEGIN", err) < 0 || copy_rows(c, &cbs[b].copy_text, err) < 0 ||
			    upsert_latest(c, &cbs[b], err) < 0 || exec_ok(c, "COMMIT", err) < 0)
				break;
		double s = now_s() - t0;
		if (b == batches) {
			*rows_s = (double)batches * batch_rows / s;
			rc = 0;
		}
	}
	for (int b = 0; b < batches; b++)
		release_batch(&cbs[b]);
	free(cbs);
	PQfinish(c);
	drop_database(pg->admin, pg->copy_db);
	return rc;
}
