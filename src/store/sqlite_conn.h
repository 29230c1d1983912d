/*
 * sqlite_conn.h - SQLite connections with a prepared-statement cache, and
 * the one write connection shared through group commit.
 *
 * Readers: every thread that reads gets its own connection (WAL lets them
 * run beside the writer), created on first use and kept for the life of the
 * store. Writers: a caller queues a job; whoever finds the write connection
 * free becomes the leader and runs every queued job, each inside its own
 * SAVEPOINT within one BEGIN IMMEDIATE ... COMMIT, so a failing job rolls
 * back alone and a burst of small writes costs one commit. This file knows
 * nothing of the tracking schema beyond applying migrations.
 */
#ifndef MLF_SQLITE_CONN_H
#define MLF_SQLITE_CONN_H

#include "../base/arena.h"
#include "../base/err.h"
#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>

/* A statement id indexes the caller's SQL table (see sqlite_pool_init). */
struct sqlite_conn {
	sqlite3 *db;
	sqlite3_stmt **stmts; /* lazily prepared, one per SQL table row */
	const char *const *sql;
	size_t n_sql;
	struct sqlite_conn *next; /* in the pool's list of all connections */
};

/* A unit of write work. `fn` runs inside a savepoint on the write
 * connection and returns 0 or -1 with `err` set. */
struct sqlite_job {
	int (*fn)(struct sqlite_conn *c, void *arg, struct mlf_err *err);
	void *arg;
	struct mlf_err *err;
	int rc;
	bool done;
	struct sqlite_job *next;
};

struct sqlite_pool {
	char *path;
	const char *const *sql; /* borrowed static table of statements */
	size_t n_sql;
	pthread_key_t reader_key;
	pthread_mutex_t conns_lock; /* guards `conns` */
	struct sqlite_conn *conns;  /* every reader connection, for close */

	struct sqlite_conn *writer; /* used only by the current leader */
	pthread_mutex_t lock; /* guards the queue, `writing`, `stopping`, job.done */
	pthread_cond_t done;  /* a group finished: check your job, or lead */
	struct sqlite_job *head, *tail;
	bool writing;         /* a leader holds the write connection */
	bool stopping;
	uint64_t commits, jobs; /* statistics, under `lock` */
};

/* Opens the database at `path` (":memory:" is refused: readers could not
 * see it) and applies `migrations` (migration i runs when user_version <= i).
 * With `full_sync` the write connection syncs the WAL at every commit
 * (synchronous=FULL) instead of at checkpoints only (NORMAL).
 * Returns 0, or -1 with `err` set. */
int sqlite_pool_init(struct sqlite_pool *p, const char *path, const char *const *migrations,
		     size_t n_migrations, const char *const *sql, size_t n_sql, bool full_sync, struct mlf_err *err);
/* Refuses new writes, lets queued ones commit, closes every connection. */
void sqlite_pool_release(struct sqlite_pool *p);

/* The calling thread's read connection (opened on first use). Borrowed:
 * valid until sqlite_pool_release(). NULL with `err` set on failure. */
struct sqlite_conn *sqlite_pool_reader(struct sqlite_pool *p, struct mlf_err *err);
/* Runs `fn(conn, arg, err)` on the write connection inside a transaction
 * (possibly on another writer's thread, grouped with its jobs) and waits
 * for the commit. Returns what fn returned (or -1 if the commit
 * failed); `err` is filled on failure. */
int sqlite_pool_write(struct sqlite_pool *p, int (*fn)(struct sqlite_conn *, void *, struct mlf_err *),
		      void *arg, struct mlf_err *err);

/* The cached statement `id`, reset and with bindings cleared. Borrowed. */
sqlite3_stmt *sqlite_conn_stmt(struct sqlite_conn *c, size_t id, struct mlf_err *err);
/* Maps a SQLite failure to INTERNAL_ERROR (logging the driver message,
 * which is never sent to clients) and returns -1. */
int sqlite_conn_fail(struct sqlite_conn *c, const char *what, struct mlf_err *err);
/* Resets every cached statement, ending the implicit read they hold; call
 * before COMMIT or ROLLBACK. */
void sqlite_conn_reset_all(struct sqlite_conn *c);
/* Runs a statement-less SQL text (BEGIN, COMMIT, ...). */
int sqlite_conn_exec(struct sqlite_conn *c, const char *sql, struct mlf_err *err);

/* ---- statement helpers shared by the SQLite stores ----------------------- */
/* Column i as text copied into `a`; NULL for SQL NULL. */
const char *sqlite_col_text(sqlite3_stmt *s, int i, struct arena *a);
/* Binds borrowed text (SQLITE_STATIC: it must outlive the step); NULL binds NULL. */
void sqlite_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Steps a statement run for its effect. */
int sqlite_step_done(struct sqlite_conn *c, sqlite3_stmt *s, struct mlf_err *err);
/* Steps once; *row tells whether a row came back. */
int sqlite_step_row(struct sqlite_conn *c, sqlite3_stmt *s, bool *row, struct mlf_err *err);
/* Begins a read transaction on the calling thread's connection, for a
 * consistent view over several statements; end it with sqlite_read_end(),
 * which passes `rc` through. */
struct sqlite_conn *sqlite_read_begin(struct sqlite_pool *p, struct mlf_err *err);
int sqlite_read_end(struct sqlite_conn *c, int rc);
/* The cached statement `id` (sqlite_conn_stmt) with values bound in
 * order: `types` has one letter per value, 't' for const char * (NULL
 * binds NULL; the text must outlive the steps), 'i' for int64_t.
 * Borrowed: valid until the next use of `id` on this connection. NULL with
 * `err` set when it does not prepare. */
sqlite3_stmt *sqlite_stmt_bound(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types, ...);
sqlite3_stmt *sqlite_vstmt_bound(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types,
				 va_list ap);
/* The same, stepped once for its effect and reset. */
int sqlite_exec_stmt(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types, ...);
int sqlite_exec_vstmt(struct sqlite_conn *c, struct mlf_err *err, size_t id, const char *types, va_list ap);

#endif
