/*
 * pg_conn.c - PostgreSQL connections for the store (see pg_conn.h): the
 * URI forms MLflow users write, a bounded pool, transactions with retry,
 * migrations under an advisory lock, prepared statements per connection,
 * and text-format values both ways.
 */
#include "pg_conn.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The advisory lock every replica takes to migrate: "mlflowc" in ASCII. */
#define PG_MIGRATE_LOCK "29104451022812003"
/* How often a write runs again after a serialization failure or deadlock,
 * and how many dead pooled connections a transaction steps over. */
#define PG_TX_ATTEMPTS 5
/* Values a statement takes without allocating. */
#define PG_STACK_PARAMS 16
/* Room for one int64 or %.17g double as text. */
#define PG_NUM_TEXT 32

/* ---- URIs ------------------------------------------------------------------ */

/* Scheme prefixes, longest first within a family: a SQLAlchemy driver
 * suffix (postgresql+psycopg2://) is MLflow's spelling; libpq wants none. */
static const char *const pg_schemes[] = { "postgresql://", "postgres://", "postgresql+" };

int pg_uri_parse(const char *uri, struct buf *conninfo, struct buf *redacted, struct mlf_err *err)
{
	const char *rest = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(pg_schemes) && !rest; i++) {
		size_t n = strlen(pg_schemes[i]);
		if (strncmp(uri, pg_schemes[i], n) != 0)
			continue;
		rest = uri + n;
		if (pg_schemes[i][n - 1] == '+') { /* a driver name, then :// */
			size_t d = strspn(rest, "abcdefghijklmnopqrstuvwxyz0123456789_");
			if (d == 0 || strncmp(rest + d, "://", 3) != 0)
				return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
						  "a PostgreSQL store URI starts with postgresql:// (or "
						  "postgresql+<driver>://, postgres://)");
			rest += d + 3;
		}
	}
	if (!rest)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "not a PostgreSQL URI");
	for (const char *p = rest; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "the PostgreSQL URI holds a control character");

	buf_adds(conninfo, "postgresql://");
	buf_adds(conninfo, rest);

	/* The authority ends at the first '/', '?' or '#'; a password is
	 * between the first ':' and the last '@' of its user info. */
	size_t auth_len = strcspn(rest, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < auth_len; i++)
		if (rest[i] == '@')
			at = rest + i;
	buf_adds(redacted, "postgresql://");
	const char *tail = rest;
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		if (colon) {
			buf_add(redacted, rest, (size_t)(colon - rest) + 1);
			buf_adds(redacted, "***");
			tail = at;
		}
	}
	/* a password=... query option is redacted too */
	const char *q = strchr(tail, '?');
	if (!q) {
		buf_adds(redacted, tail);
		return 0;
	}
	buf_add(redacted, tail, (size_t)(q - tail));
	for (const char *opt = q; *opt;) {
		buf_addch(redacted, *opt++); /* '?' or '&' */
		size_t len = strcspn(opt, "&");
		if (strncmp(opt, "password=", 9) == 0)
			buf_adds(redacted, "password=***");
		else
			buf_add(redacted, opt, len);
		opt += len;
	}
	return 0;
}

/* ---- failures ----------------------------------------------------------------- */

static void note_sqlstate(struct pg_conn *c, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "?????");
}

int pg_conn_fail(struct pg_conn *c, const char *what, struct mlf_err *err)
{
	/* the first line of the server's message; never sent to clients */
	const char *msg = PQerrorMessage(c->conn);
	int len = (int)strcspn(msg, "\n");
	log_error("postgresql: %s: [%s] %.*s", what, c->sqlstate, len, msg);
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "Internal database error (%s)", what);
}

bool pg_failed_with(const struct pg_conn *c, const char *code)
{
	return strcmp(c->sqlstate, code) == 0;
}

/* Takes ownership of `r`: returns it when it carries rows or a command's
 * success, else clears it and fails. */
static PGresult *check_result(struct pg_conn *c, PGresult *r, const char *what, struct mlf_err *err)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		c->sqlstate[0] = '\0';
		return r;
	}
	note_sqlstate(c, r);
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->conn);
	int len = (int)strcspn(msg, "\n");
	log_error("postgresql: %s: [%s] %.*s", what, c->sqlstate, len, msg);
	PQclear(r);
	if (strncmp(c->sqlstate, "54", 2) == 0) /* program_limit_exceeded: a key too long for its index */
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			   "a value is too long for the PostgreSQL store (an indexed name or key holds at most "
			   "about 2,700 bytes)");
	else
		mlf_errorf(err, MLF_INTERNAL_ERROR, "Internal database error (%.200s)", what);
	return NULL;
}

/* Runs a text without values (BEGIN, COMMIT, DDL) for its effect. */
static int exec_simple(struct pg_conn *c, const char *sql, struct mlf_err *err)
{
	PGresult *r = check_result(c, PQexec(c->conn, sql), sql, err);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* ---- the pool ------------------------------------------------------------------ */

static struct pg_conn *conn_open(struct pg_pool *p, struct mlf_err *err)
{
	/* expand_dbname: the URI's own options first, then ours, which win */
	const char *const keys[] = { "dbname", "fallback_application_name", "client_encoding", NULL };
	const char *const values[] = { p->conninfo, "mlflowc", "UTF8", NULL };
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		const char *msg = conn ? PQerrorMessage(conn)
					: pg_lib_ready() ? "out of memory"
							 : "libpq (Debian package libpq5) could not be loaded";
		int len = (int)strcspn(msg, "\n");
		/* libpq's message names host and user, never the password */
		mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "cannot connect to PostgreSQL at %s: %.*s", p->redacted,
			   len, msg);
		log_error("%s", err ? err->msg : "cannot connect to PostgreSQL");
		PQfinish(conn);
		return NULL;
	}
	struct pg_conn *c = xcalloc(1, sizeof(*c));
	c->conn = conn;
	c->pool = p;
	c->prepared = xcalloc(p->n_sql ? p->n_sql : 1, 1);
	/* durability "full": every commit waits for its WAL flush, whatever
	 * the server's default; "normal" keeps the server's own setting */
	if (p->full_sync && exec_simple(c, "SET synchronous_commit = on", err) < 0) {
		PQfinish(conn);
		free(c->prepared);
		free(c);
		return NULL;
	}
	return c;
}

static void conn_close(struct pg_conn *c)
{
	PQfinish(c->conn);
	free(c->prepared);
	free(c);
}

static struct pg_conn *pool_acquire(struct pg_pool *p, struct mlf_err *err)
{
	pthread_mutex_lock(&p->lock);
	while (!p->idle && p->n_open >= p->max_conns)
		pthread_cond_wait(&p->freed, &p->lock);
	struct pg_conn *c = p->idle;
	if (c) {
		p->idle = c->next;
		pthread_mutex_unlock(&p->lock);
		c->next = NULL;
		return c;
	}
	p->n_open++;
	pthread_mutex_unlock(&p->lock);
	c = conn_open(p, err);
	if (!c) {
		pthread_mutex_lock(&p->lock);
		p->n_open--;
		pthread_cond_signal(&p->freed);
		pthread_mutex_unlock(&p->lock);
	}
	return c;
}

/* Gives `c` back, or closes it when its link is broken or it is left
 * inside a transaction (a failed ROLLBACK). */
static void pool_put(struct pg_pool *p, struct pg_conn *c)
{
	bool keep = PQstatus(c->conn) == CONNECTION_OK && PQtransactionStatus(c->conn) == PQTRANS_IDLE;
	if (!keep)
		conn_close(c);
	pthread_mutex_lock(&p->lock);
	if (keep) {
		c->next = p->idle;
		p->idle = c;
	} else {
		p->n_open--;
	}
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

static bool retryable(const struct pg_conn *c)
{
	return pg_failed_with(c, "40001") || pg_failed_with(c, "40P01");
}

int pg_pool_tx(struct pg_pool *p, enum pg_tx_mode mode, int (*fn)(struct pg_conn *c, void *arg, struct mlf_err *err),
	       void *arg, struct mlf_err *err)
{
	const char *begin = mode == PG_TX_READ ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
	int rc = -1;
	size_t dead_seen = 0;
	for (int attempt = 0; attempt < PG_TX_ATTEMPTS; attempt++) {
		struct pg_conn *c = pool_acquire(p, err);
		if (!c)
			return -1;
		c->sqlstate[0] = '\0';
		if (exec_simple(c, begin, err) < 0) {
			/* a pooled connection the server dropped: take another */
			bool dead = PQstatus(c->conn) != CONNECTION_OK;
			pool_put(p, c);
			if (dead && dead_seen++ <= p->max_conns) {
				attempt--; /* every pooled one may have died with a server restart */
				continue;
			}
			return -1;
		}
		rc = fn(c, arg, err);
		if (rc == 0 && exec_simple(c, "COMMIT", err) == 0) {
			pool_put(p, c);
			return 0;
		}
		bool again = mode == PG_TX_WRITE && retryable(c);
		if (PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
			struct mlf_err ignored;
			exec_simple(c, "ROLLBACK", &ignored);
		}
		pool_put(p, c);
		if (!again)
			return rc < 0 ? rc : -1;
		log_info("postgresql: transaction retried after a serialization failure (attempt %d)", attempt + 1);
	}
	return mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "the database is busy; try again");
}

/* ---- migrations ---------------------------------------------------------------- */

struct migrate_args {
	const char *const *migrations;
	size_t n;
	const char *redacted;
};

static int query_int(struct pg_conn *c, const char *sql, int64_t *out, struct mlf_err *err)
{
	PGresult *r = check_result(c, PQexec(c->conn, sql), sql, err);
	if (!r)
		return -1;
	*out = PQntuples(r) ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* Whether the database holds our schema (*ours); refuses MLflow's own and
 * a foreign one. */
static int inspect_tables(struct pg_conn *c, const char *redacted, bool *ours_out, struct mlf_err *err)
{
	int64_t ours, mlflow, foreign;
	if (query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'mlflowc_schema'",
		      &ours, err) < 0 ||
	    query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'alembic_version'",
		      &mlflow, err) < 0 ||
	    query_int(c, "SELECT count(*) FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace "
			 "WHERE n.nspname = current_schema() AND k.relkind IN ('r', 'p', 'v', 'm', 'f')",
		      &foreign, err) < 0)
		return -1;
	if (mlflow)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "%s holds an MLflow tracking database (it has MLflow's alembic_version table); "
				  "mlflowc does not change it; give mlflowc an empty database of its own",
				  redacted);
	if (!ours && foreign)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "%s holds %lld tables that are not mlflowc's; give mlflowc an empty database of its "
				  "own",
				  redacted, (long long)foreign);
	*ours_out = ours != 0;
	return 0;
}

static int migrate(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct migrate_args *m = arg;
	int64_t version;
	bool ours;
	if (exec_simple(c, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", err) < 0 ||
	    inspect_tables(c, m->redacted, &ours, err) < 0)
		return -1;
	if (!ours && exec_simple(c, "CREATE TABLE mlflowc_schema (version BIGINT NOT NULL);"
				    "INSERT INTO mlflowc_schema VALUES (0)",
				 err) < 0)
		return -1;
	if (query_int(c, "SELECT version FROM mlflowc_schema", &version, err) < 0)
		return -1;
	if (version > (int64_t)m->n)
		return mlf_errorf(err, MLF_INVALID_STATE,
				  "the database %s is at schema version %lld, newer than this mlflowc knows (%zu); "
				  "run a newer mlflowc",
				  m->redacted, (long long)version, m->n);
	for (size_t i = (size_t)version; i < m->n; i++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "UPDATE mlflowc_schema SET version = %zu", i + 1);
		if (exec_simple(c, m->migrations[i], err) < 0 || exec_simple(c, bump, err) < 0)
			return -1;
		log_info("postgresql: applied schema migration %zu", i + 1);
	}
	return 0;
}

int pg_pool_open_raw(struct pg_pool *p, const char *uri, size_t max_conns, struct mlf_err *err)
{
	struct buf conninfo = BUF_INIT, redacted = BUF_INIT;
	memset(p, 0, sizeof(*p));
	if (pg_uri_parse(uri, &conninfo, &redacted, err) < 0) {
		buf_release(&conninfo);
		buf_release(&redacted);
		return -1;
	}
	p->conninfo = buf_detach(&conninfo, NULL);
	p->redacted = buf_detach(&redacted, NULL);
	p->max_conns = max_conns ? (max_conns > PG_POOL_MAX ? PG_POOL_MAX : max_conns) : PG_POOL_DEFAULT;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	return 0;
}

int pg_pool_init(struct pg_pool *p, const char *uri, size_t max_conns, const char *const *migrations,
		 size_t n_migrations, const char *const *sql, size_t n_sql, bool full_sync, struct mlf_err *err)
{
	if (pg_pool_open_raw(p, uri, max_conns, err) < 0)
		return -1;
	p->sql = sql;
	p->n_sql = n_sql;
	p->full_sync = full_sync;
	struct migrate_args m = { migrations, n_migrations, p->redacted };
	if (pg_pool_tx(p, PG_TX_WRITE, migrate, &m, err) < 0) {
		pg_pool_release(p);
		return -1;
	}
	return 0;
}

void pg_pool_release(struct pg_pool *p)
{
	if (!p->conninfo)
		return;
	pthread_mutex_lock(&p->lock);
	while (p->idle) {
		struct pg_conn *c = p->idle;
		p->idle = c->next;
		conn_close(c);
		p->n_open--;
	}
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	/* wipe the password before the memory goes back */
	memset(p->conninfo, 0, strlen(p->conninfo));
	free(p->conninfo);
	free(p->redacted);
	p->conninfo = p->redacted = NULL;
}

static int inspect_version(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	bool ours;
	int64_t *version = arg;
	*version = 0;
	if (inspect_tables(c, c->pool->redacted, &ours, err) < 0)
		return -1;
	return ours ? query_int(c, "SELECT version FROM mlflowc_schema", version, err) : 0;
}

int pg_inspect(const char *uri, int64_t *version, struct mlf_err *err)
{
	struct pg_pool p;
	if (pg_pool_open_raw(&p, uri, 1, err) < 0)
		return -1;
	int rc = pg_pool_tx(&p, PG_TX_READ, inspect_version, version, err);
	pg_pool_release(&p);
	return rc;
}

static int read_version(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	return query_int(c, "SELECT version FROM mlflowc_schema", arg, err);
}

int pg_pool_schema_version(struct pg_pool *p, int64_t *version, struct mlf_err *err)
{
	return pg_pool_tx(p, PG_TX_READ, read_version, version, err);
}

/* ---- statements ------------------------------------------------------------------ */

/* Text forms of the values `types` describes, pointing into `nums` for
 * numbers (room for one per value). */
static void vtexts(const char *types, va_list ap, const char **values, char (*nums)[PG_NUM_TEXT])
{
	for (size_t i = 0; types[i]; i++) {
		values[i] = nums[i];
		switch (types[i]) {
		case 't':
			values[i] = va_arg(ap, const char *);
			break;
		case 'i':
			snprintf(nums[i], PG_NUM_TEXT, "%lld", (long long)va_arg(ap, int64_t));
			break;
		case 'd': {
			double d = va_arg(ap, double);
			if (isnan(d))
				snprintf(nums[i], PG_NUM_TEXT, "NaN");
			else if (isinf(d))
				snprintf(nums[i], PG_NUM_TEXT, "%s", d > 0 ? "Infinity" : "-Infinity");
			else
				snprintf(nums[i], PG_NUM_TEXT, "%.17g", d);
			break;
		}
		case 'b':
			snprintf(nums[i], PG_NUM_TEXT, "%d", va_arg(ap, int) ? 1 : 0);
			break;
		default: /* 'n' */
			values[i] = NULL;
			break;
		}
	}
}

/* Runs `sql` (prepared as `name` when not NULL) with the values of
 * `types`/`ap`. */
static PGresult *run_values(struct pg_conn *c, const char *name, const char *sql, const char *types, va_list ap,
			    struct mlf_err *err)
{
	size_t n = strlen(types);
	const char *stack_values[PG_STACK_PARAMS];
	char stack_nums[PG_STACK_PARAMS][PG_NUM_TEXT];
	const char **values = stack_values;
	char (*nums)[PG_NUM_TEXT] = stack_nums;
	if (n > PG_STACK_PARAMS) {
		values = xcalloc(n, sizeof(*values));
		nums = xcalloc(n, sizeof(*nums));
	}
	vtexts(types, ap, values, nums);
	PGresult *r = name ? PQexecPrepared(c->conn, name, (int)n, values, NULL, NULL, 0)
			   : PQexecParams(c->conn, sql, (int)n, NULL, values, NULL, NULL, 0);
	if (values != stack_values) {
		free(values);
		free(nums);
	}
	return check_result(c, r, sql, err);
}

PGresult *pg_vstmt(struct pg_conn *c, struct mlf_err *err, size_t id, const char *types, va_list ap)
{
	struct pg_pool *p = c->pool;
	char name[32];
	snprintf(name, sizeof(name), "mlflowc_%zu", id);
	if (id >= p->n_sql) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "Internal database error (statement %zu)", id);
		return NULL;
	}
	if (!c->prepared[id]) {
		PGresult *r = check_result(c, PQprepare(c->conn, name, p->sql[id], 0, NULL), p->sql[id], err);
		if (!r)
			return NULL;
		PQclear(r);
		c->prepared[id] = 1;
	}
	return run_values(c, name, p->sql[id], types, ap, err);
}

PGresult *pg_stmt(struct pg_conn *c, struct mlf_err *err, size_t id, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	PGresult *r = pg_vstmt(c, err, id, types, ap);
	va_end(ap);
	return r;
}

int pg_stmt_exec(struct pg_conn *c, struct mlf_err *err, size_t id, int64_t *rows, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	PGresult *r = pg_vstmt(c, err, id, types, ap);
	va_end(ap);
	if (!r)
		return -1;
	if (rows)
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

PGresult *pg_query(struct pg_conn *c, struct mlf_err *err, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	PGresult *r = run_values(c, NULL, sql, types, ap, err);
	va_end(ap);
	return r;
}

PGresult *pg_query_binds(struct pg_conn *c, const char *sql, const struct sql_binds *b, struct mlf_err *err)
{
	size_t n = b ? b->n : 0;
	const char **values = xcalloc(n ? n : 1, sizeof(*values));
	char (*nums)[PG_NUM_TEXT] = xcalloc(n ? n : 1, sizeof(*nums));
	for (size_t i = 0; i < n; i++) {
		const struct sql_bind *v = &b->items[i];
		values[i] = nums[i];
		if (v->type == SQL_BIND_TEXT)
			values[i] = v->text;
		else if (v->type == SQL_BIND_INT)
			snprintf(nums[i], PG_NUM_TEXT, "%lld", (long long)v->i);
		else if (isnan(v->d))
			snprintf(nums[i], PG_NUM_TEXT, "NaN");
		else if (isinf(v->d))
			snprintf(nums[i], PG_NUM_TEXT, "%s", v->d > 0 ? "Infinity" : "-Infinity");
		else
			snprintf(nums[i], PG_NUM_TEXT, "%.17g", v->d);
	}
	PGresult *r = PQexecParams(c->conn, sql, (int)n, NULL, values, NULL, NULL, 0);
	free(values);
	free(nums);
	return check_result(c, r, sql, err);
}

/* ---- columns ---------------------------------------------------------------------- */

const char *pg_col_text(const PGresult *r, int row, int col, struct arena *a)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

int64_t pg_col_int64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double pg_col_double(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const char *v = PQgetvalue(r, row, col);
	if (strcmp(v, "NaN") == 0)
		return NAN;
	if (strcmp(v, "Infinity") == 0)
		return INFINITY;
	if (strcmp(v, "-Infinity") == 0)
		return -INFINITY;
	return strtod(v, NULL);
}

bool pg_col_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

/* ---- array literals ------------------------------------------------------------------ */

void pg_array_begin(struct buf *out)
{
	buf_addch(out, '{');
}

static void array_sep(struct buf *out)
{
	if (out->len && out->ptr[out->len - 1] != '{')
		buf_addch(out, ',');
}

void pg_array_add_int64(struct buf *out, int64_t v)
{
	array_sep(out);
	buf_addf(out, "%lld", (long long)v);
}

void pg_array_add_text(struct buf *out, const char *v)
{
	array_sep(out);
	if (!v) {
		buf_adds(out, "NULL");
		return;
	}
	buf_addch(out, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addch(out, '\\');
		buf_addch(out, *p);
	}
	buf_addch(out, '"');
}

void pg_array_add_double(struct buf *out, double v)
{
	array_sep(out);
	if (isnan(v))
		buf_adds(out, "NaN");
	else if (isinf(v))
		buf_adds(out, v > 0 ? "Infinity" : "-Infinity");
	else
		buf_addf(out, "%.17g", v);
}

void pg_array_end(struct buf *out)
{
	buf_addch(out, '}');
}

void pg_array_int64(struct buf *out, const int64_t *v, size_t n)
{
	pg_array_begin(out);
	for (size_t i = 0; i < n; i++)
		pg_array_add_int64(out, v[i]);
	pg_array_end(out);
}

void pg_array_text(struct buf *out, const char *const *v, size_t n)
{
	pg_array_begin(out);
	for (size_t i = 0; i < n; i++)
		pg_array_add_text(out, v[i]);
	pg_array_end(out);
}

void pg_array_double(struct buf *out, const double *v, size_t n)
{
	pg_array_begin(out);
	for (size_t i = 0; i < n; i++)
		pg_array_add_double(out, v[i]);
	pg_array_end(out);
}
