/*
 * sqlite_conn.c - connection setup, statement cache, migrations and the
 * group commit on the one write connection; see sqlite_conn.h.
 */
#include "sqlite_conn.h"
#include <stdarg.h>
#include "../base/log.h"
#include "../base/xalloc.h"

/* How many queued jobs one transaction may take. */
#define WRITER_MAX_GROUP 256

static int conn_open(struct sqlite_conn *c, const char *path, const char *const *sql, size_t n_sql,
		     struct mlf_err *err)
{
	static const char *const pragmas =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=NORMAL;"
		"PRAGMA foreign_keys=OFF;"
		"PRAGMA case_sensitive_like=ON;"
		"PRAGMA temp_store=MEMORY;"
		"PRAGMA cache_size=-8192;";
	memset(c, 0, sizeof(*c));
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot open database '%s': %s", path,
			   c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		c->db = NULL;
		return -1;
	}
	/* busy_timeout before journal_mode: switching to WAL takes a lock */
	sqlite3_busy_timeout(c->db, 10000);
	if (sqlite_conn_exec(c, pragmas, err) < 0) {
		sqlite3_close(c->db);
		c->db = NULL;
		return -1;
	}
	c->sql = sql;
	c->n_sql = n_sql;
	c->stmts = xcalloc(n_sql, sizeof(*c->stmts));
	return 0;
}

static void conn_close(struct sqlite_conn *c)
{
	if (!c->db)
		return;
	for (size_t i = 0; i < c->n_sql; i++)
		sqlite3_finalize(c->stmts[i]);
	free(c->stmts);
	sqlite3_close(c->db);
	c->db = NULL;
}

int sqlite_conn_fail(struct sqlite_conn *c, const char *what, struct mlf_err *err)
{
	log_error("sqlite: %s: %s", what, sqlite3_errmsg(c->db));
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "Internal database error (%s)", what);
}

void sqlite_conn_reset_all(struct sqlite_conn *c)
{
	for (size_t i = 0; i < c->n_sql; i++)
		if (c->stmts[i])
			sqlite3_reset(c->stmts[i]);
}

int sqlite_conn_exec(struct sqlite_conn *c, const char *sql, struct mlf_err *err)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_conn_fail(c, sql, err);
	return 0;
}

sqlite3_stmt *sqlite_conn_stmt(struct sqlite_conn *c, size_t id, struct mlf_err *err)
{
	sqlite3_stmt *st = c->stmts[id];
	if (!st) {
		if (sqlite3_prepare_v3(c->db, c->sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			sqlite_conn_fail(c, c->sql[id], err);
			return NULL;
		}
		c->stmts[id] = st;
		return st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static int apply_migrations(struct sqlite_conn *c, const char *const *migrations, size_t n, struct mlf_err *err)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return sqlite_conn_fail(c, "read user_version", err);
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if ((size_t)version > n)
		return mlf_errorf(err, MLF_INTERNAL_ERROR,
				  "database schema version %d is newer than this mlflowc (%zu)", version, n);
	for (size_t i = (size_t)version; i < n; i++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version=%zu;", i + 1);
		if (sqlite_conn_exec(c, "BEGIN IMMEDIATE", err) < 0)
			return -1;
		if (sqlite_conn_exec(c, migrations[i], err) < 0 || sqlite_conn_exec(c, bump, err) < 0) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (sqlite_conn_exec(c, "COMMIT", err) < 0)
			return -1;
		log_info("database migrated to schema version %zu", i + 1);
	}
	return 0;
}

/* ---- group commit -------------------------------------------------------
 * There is no writer thread. A writer queues its job; if nobody holds the
 * write connection it becomes the leader: it takes every queued job (its
 * own and those that arrived while the previous group ran), runs them in
 * one transaction and wakes the waiters. Uncontended writes therefore run
 * on the caller's thread with no hand-off, and contended ones share a
 * commit. */

static void run_group(struct sqlite_pool *p, struct sqlite_job *jobs)
{
	struct sqlite_conn *c = p->writer;
	struct mlf_err txerr;
	bool single = jobs->next == NULL;

	if (sqlite_conn_exec(c, "BEGIN IMMEDIATE", &txerr) < 0) {
		for (struct sqlite_job *j = jobs; j; j = j->next) {
			*j->err = txerr;
			j->rc = -1;
		}
		return;
	}
	for (struct sqlite_job *j = jobs; j; j = j->next) {
		if (!single)
			sqlite3_exec(c->db, "SAVEPOINT job", NULL, NULL, NULL);
		j->rc = j->fn(c, j->arg, j->err);
		if (single) {
			if (j->rc < 0) {
				sqlite_conn_reset_all(c);
				sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
				return;
			}
		} else {
			sqlite_conn_reset_all(c);
			if (j->rc < 0)
				sqlite3_exec(c->db, "ROLLBACK TO job", NULL, NULL, NULL);
			sqlite3_exec(c->db, "RELEASE job", NULL, NULL, NULL);
		}
	}
	sqlite_conn_reset_all(c);
	if (sqlite_conn_exec(c, "COMMIT", &txerr) < 0) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		for (struct sqlite_job *j = jobs; j; j = j->next) {
			if (j->rc == 0)
				*j->err = txerr;
			j->rc = -1;
		}
	}
}

/* Detaches up to WRITER_MAX_GROUP queued jobs. Called with `lock` held. */
static struct sqlite_job *take_group(struct sqlite_pool *p, size_t *n)
{
	struct sqlite_job *group = p->head, *last = group;
	*n = 1;
	while (last->next && *n < WRITER_MAX_GROUP) {
		last = last->next;
		(*n)++;
	}
	p->head = last->next;
	if (!p->head)
		p->tail = NULL;
	last->next = NULL;
	return group;
}

int sqlite_pool_write(struct sqlite_pool *p, int (*fn)(struct sqlite_conn *, void *, struct mlf_err *),
		      void *arg, struct mlf_err *err)
{
	struct sqlite_job job = { .fn = fn, .arg = arg, .err = err };
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "The server is shutting down");
	}
	if (p->tail)
		p->tail->next = &job;
	else
		p->head = &job;
	p->tail = &job;
	while (!job.done) {
		if (p->writing) {
			pthread_cond_wait(&p->done, &p->lock);
			continue;
		}
		size_t n;
		struct sqlite_job *group = take_group(p, &n);
		p->writing = true;
		pthread_mutex_unlock(&p->lock);

		run_group(p, group);

		pthread_mutex_lock(&p->lock);
		p->writing = false;
		p->commits++;
		p->jobs += n;
		for (struct sqlite_job *j = group; j;) {
			struct sqlite_job *next = j->next; /* j may vanish once done */
			j->done = true;
			j = next;
		}
		/* wake the finished and the next leader (if jobs are queued) */
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return job.rc;
}

/* ---- pool lifecycle ----------------------------------------------------- */

struct sqlite_conn *sqlite_pool_reader(struct sqlite_pool *p, struct mlf_err *err)
{
	struct sqlite_conn *c = pthread_getspecific(p->reader_key);
	if (c)
		return c;
	c = xmalloc(sizeof(*c));
	if (conn_open(c, p->path, p->sql, p->n_sql, err) < 0) {
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&p->conns_lock);
	c->next = p->conns;
	p->conns = c;
	pthread_mutex_unlock(&p->conns_lock);
	pthread_setspecific(p->reader_key, c);
	return c;
}

int sqlite_pool_init(struct sqlite_pool *p, const char *path, const char *const *migrations,
		     size_t n_migrations, const char *const *sql, size_t n_sql, bool full_sync, struct mlf_err *err)
{
	memset(p, 0, sizeof(*p));
	if (strcmp(path, ":memory:") == 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "an in-memory SQLite store is not supported; give a file path");
	p->path = xstrdup(path);
	p->sql = sql;
	p->n_sql = n_sql;
	p->writer = xmalloc(sizeof(*p->writer));
	/* only the writer commits (and checkpoints), so only its setting counts */
	if (conn_open(p->writer, path, sql, n_sql, err) < 0 ||
	    (full_sync && sqlite_conn_exec(p->writer, "PRAGMA synchronous=FULL;", err) < 0) ||
	    apply_migrations(p->writer, migrations, n_migrations, err) < 0) {
		conn_close(p->writer);
		free(p->writer);
		free(p->path);
		return -1;
	}
	pthread_key_create(&p->reader_key, NULL);
	pthread_mutex_init(&p->conns_lock, NULL);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->done, NULL);
	return 0;
}

void sqlite_pool_release(struct sqlite_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true; /* refuse new jobs, let queued ones finish */
	while (p->writing || p->head)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	log_info("database writes: %llu jobs in %llu commits", (unsigned long long)p->jobs,
		 (unsigned long long)p->commits);

	for (struct sqlite_conn *c = p->conns; c;) {
		struct sqlite_conn *next = c->next;
		conn_close(c);
		free(c);
		c = next;
	}
	/* checkpoint so the database file is complete on its own */
	sqlite3_wal_checkpoint_v2(p->writer->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	conn_close(p->writer);
	free(p->writer);
	pthread_key_delete(p->reader_key);
	pthread_mutex_destroy(&p->conns_lock);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->done);
	free(p->path);
}

/* ---- statement helpers shared by the SQLite stores ---------------------- */

const char *sqlite_col_text(sqlite3_stmt *s, int i, struct arena *a)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(s, i)) : NULL;
}

void sqlite_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int sqlite_step_done(struct sqlite_conn *c, sqlite3_stmt *s, struct mlf_err *err)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sqlite_conn_fail(c, sqlite3_sql(s), err);
	return 0;
}

int sqlite_step_row(struct sqlite_conn *c, sqlite3_stmt *s, bool *row, struct mlf_err *err)
{
	int rc = sqlite3_step(s);
	*row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_conn_fail(c, sqlite3_sql(s), err);
	return 0;
}

struct sqlite_conn *sqlite_read_begin(struct sqlite_pool *p, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_pool_reader(p, err);
	if (c && sqlite_conn_exec(c, "BEGIN", err) < 0)
		return NULL;
	return c;
}

int sqlite_read_end(struct sqlite_conn *c, int rc)
{
	sqlite_conn_reset_all(c);
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* ---- cached statements with bound values ------------------------------------ */

sqlite3_stmt *sqlite_vstmt_bound(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types,
				 va_list ap)
{
	sqlite3_stmt *s = sqlite_conn_stmt(c, id, err);
	if (!s)
		return NULL;
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't')
			sqlite_bind_text(s, i + 1, va_arg(ap, const char *));
		else
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
	}
	return s;
}

sqlite3_stmt *sqlite_stmt_bound(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *s = sqlite_vstmt_bound(c, err, id, types, ap);
	va_end(ap);
	return s;
}

int sqlite_exec_vstmt(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types, va_list ap)
{
	sqlite3_stmt *s = sqlite_vstmt_bound(c, err, id, types, ap);
	if (!s)
		return -1;
	int rc = sqlite_step_done(c, s, err);
	sqlite3_reset(s);
	return rc;
}

int sqlite_exec_stmt(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = sqlite_exec_vstmt(c, err, id, types, ap);
	va_end(ap);
	return rc;
}
