/*
 * pg_conn.h - PostgreSQL connections for the store: a bounded pool,
 * transactions that retry on serialization failures, a per-connection
 * cache of prepared statements and the small helpers the PostgreSQL store
 * files share to bind values and read columns.
 *
 * Concurrency is PostgreSQL's own (MVCC): any number of threads, on any
 * number of servers, run transactions at once. A read is one REPEATABLE
 * READ READ ONLY transaction, so several statements see one snapshot; a
 * write is a READ COMMITTED transaction whose function takes the row
 * locks it needs (SELECT ... FOR UPDATE) and is run again from the start
 * when PostgreSQL reports a serialization failure or a deadlock (40001,
 * 40P01), so a write function must not keep state between attempts beyond
 * what it writes into its arguments at the end.
 *
 * Values travel in text format. The connection string (the URI the user
 * gave, password included) is never logged or put into an error message:
 * messages name the redacted URI (pg_pool.redacted).
 */
#ifndef MLF_PG_CONN_H
#define MLF_PG_CONN_H

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/err.h"
#include "../search/sqlgen.h"
#include "pg_lib.h" /* libpq, loaded on first use: never include <libpq-fe.h> */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

struct pg_conn {
	PGconn *conn;
	unsigned char *prepared;  /* one flag per row of the pool's statement table */
	struct pg_conn *next;     /* in the pool's idle list */
	char sqlstate[6];         /* of the last failed statement, "" when none */
	struct pg_pool *pool;
};

struct pg_pool {
	char *conninfo;           /* what libpq connects with; holds the password */
	char *redacted;           /* the URI without its password, for messages */
	const char *const *sql;   /* borrowed static statement table */
	size_t n_sql;
	size_t max_conns;         /* at most this many connections at once */
	bool full_sync;           /* synchronous_commit on for every write */
	pthread_mutex_t lock;     /* guards idle, n_open */
	pthread_cond_t freed;     /* a connection went back to the pool */
	struct pg_conn *idle;
	size_t n_open;
};

/* The default and the upper bound of a pool's size. */
#define PG_POOL_DEFAULT 16
#define PG_POOL_MAX 1024

/* Turns a store URI as MLflow users write it (postgresql://, postgres://,
 * postgresql+psycopg2:// and the other SQLAlchemy driver suffixes, with
 * user, password, host, port, database and libpq's ?options) into what
 * libpq connects with (`conninfo`) and the same URI with its password
 * replaced by "***" (`redacted`), both appended to the caller's buffers.
 * The password may also come from PGPASSWORD or ~/.pgpass (libpq reads
 * them). -1 with `err` set (naming only the redacted URI) when the URI is
 * not a PostgreSQL one. */
int pg_uri_parse(const char *uri, struct buf *conninfo, struct buf *redacted, struct mlf_err *err);

/* Connects once, refuses a database that is not ours (MLflow's own, with
 * an alembic_version table, or any other non-empty schema) and applies
 * `migrations` not yet applied (migration i brings the schema to version
 * i + 1), all under one advisory lock so that replicas starting together
 * apply each once. A schema newer than `n_migrations` is refused. The pool
 * then hands out up to `max_conns` connections (0: PG_POOL_DEFAULT).
 * `sql` is the statement table pg_stmt() indexes, borrowed for the pool's
 * life. Returns 0, or -1 with `err` set. */
int pg_pool_init(struct pg_pool *p, const char *uri, size_t max_conns, const char *const *migrations,
		 size_t n_migrations, const char *const *sql, size_t n_sql, bool full_sync, struct mlf_err *err);
/* Connects once to the database `uri` names and reads, changing nothing,
 * the schema version it is at (0: no mlflowc schema yet); refuses MLflow's
 * own database and a foreign one as pg_pool_init() does. 0, or -1 with
 * `err` set. */
int pg_inspect(const char *uri, int64_t *version, struct mlf_err *err);
/* A pool on the database `uri` names without touching its schema (no
 * check, no migration, no statement table: pg_query only), for reading a
 * database that is not ours. Nothing is connected yet. 0, or -1 with
 * `err` set for a URI that is not PostgreSQL's. */
int pg_pool_open_raw(struct pg_pool *p, const char *uri, size_t max_conns, struct mlf_err *err);
/* Closes every connection and frees the pool's memory (not `p`). */
void pg_pool_release(struct pg_pool *p);
/* The schema version the database is at (after pg_pool_init: n_migrations).
 * -1 with `err` set on failure. */
int pg_pool_schema_version(struct pg_pool *p, int64_t *version, struct mlf_err *err);

enum pg_tx_mode {
	PG_TX_READ,  /* REPEATABLE READ READ ONLY: one snapshot */
	PG_TX_WRITE, /* READ COMMITTED; retried on 40001 / 40P01 */
};

/* Runs `fn(conn, arg, err)` inside a transaction of `mode` on a pooled
 * connection (waiting for one when all `max_conns` are busy), commits when
 * it returns 0 and rolls back when it returns -1. A write is run again (at
 * most a few times) after a serialization failure or deadlock. A broken
 * connection is dropped and replaced. Returns what fn returned, or -1 with
 * `err` set when the transaction could not begin or commit. */
int pg_pool_tx(struct pg_pool *p, enum pg_tx_mode mode, int (*fn)(struct pg_conn *c, void *arg, struct mlf_err *err),
	       void *arg, struct mlf_err *err);

/* ---- statements ---------------------------------------------------------
 * `types` has one letter per value that follows: 't' const char * (NULL
 * binds SQL NULL), 'i' int64_t, 'd' double (NaN and infinities as
 * PostgreSQL spells them), 'b' int (0/1, bound as a SMALLINT-compatible
 * 0/1), 'n' no argument: SQL NULL. Results belong to the caller, who
 * PQclear()s them. On failure the driver's message is logged (never sent
 * to a client), c->sqlstate is set and `err` holds INTERNAL_ERROR, except
 * for the SQLSTATEs a caller may expect, which it can test with
 * pg_failed_with() after a NULL / -1. */

/* Runs row `id` of the pool's statement table (prepared on this connection
 * on first use). NULL with `err` set on failure. */
PGresult *pg_stmt(struct pg_conn *c, struct mlf_err *err, size_t id, const char *types, ...);
PGresult *pg_vstmt(struct pg_conn *c, struct mlf_err *err, size_t id, const char *types, va_list ap);
/* The same, for its effect only: 0, or -1 with `err` set. *rows (when
 * not NULL) receives the number of rows it changed. */
int pg_stmt_exec(struct pg_conn *c, struct mlf_err *err, size_t id, int64_t *rows, const char *types, ...);
/* Runs an SQL text of the caller's (not prepared, for texts built per
 * request such as sqlgen's) with values as for pg_stmt. */
PGresult *pg_query(struct pg_conn *c, struct mlf_err *err, const char *sql, const char *types, ...);
/* Runs an SQL text with sqlgen's binds, items[i] as $(i + 1). */
PGresult *pg_query_binds(struct pg_conn *c, const char *sql, const struct sql_binds *b, struct mlf_err *err);
/* True when the last failure on `c` had SQLSTATE `code` (e.g. "23505"). */
bool pg_failed_with(const struct pg_conn *c, const char *code);
/* Logs the driver's message for `what` and fills `err` with INTERNAL_ERROR;
 * returns -1. */
int pg_conn_fail(struct pg_conn *c, const char *what, struct mlf_err *err);

/* ---- columns --------------------------------------------------------------- */
/* Column `col` of row `row` as text copied into `a`; NULL for SQL NULL. */
const char *pg_col_text(const PGresult *r, int row, int col, struct arena *a);
/* As an integer (0 for NULL), a double (NaN, Infinity and -Infinity read
 * as such; 0 for NULL), or whether it is NULL. */
int64_t pg_col_int64(const PGresult *r, int row, int col);
double pg_col_double(const PGresult *r, int row, int col);
bool pg_col_null(const PGresult *r, int row, int col);

/* ---- array literals, for one statement over many rows ------------------------
 * `{...}` texts to bind as one value and unnest() in SQL
 * ("... FROM unnest($1::bigint[], $2::text[])"). Append to `out`. */
void pg_array_int64(struct buf *out, const int64_t *v, size_t n);
/* Elements are double-quoted and escaped; NULL elements are SQL NULL. */
void pg_array_text(struct buf *out, const char *const *v, size_t n);
/* Doubles as %.17g; NaN and infinities as PostgreSQL spells them. */
void pg_array_double(struct buf *out, const double *v, size_t n);
/* Builders for arrays whose elements live in structs: open with
 * pg_array_begin(), add each element, close with pg_array_end(). */
void pg_array_begin(struct buf *out);
void pg_array_add_int64(struct buf *out, int64_t v);
void pg_array_add_text(struct buf *out, const char *v);
void pg_array_add_double(struct buf *out, double v);
void pg_array_end(struct buf *out);

#endif
