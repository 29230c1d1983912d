/*
 * store_probe.h - recognises what a backend-store path holds before the
 * SQLite store opens it for writing.
 *
 * Opening a database read-write switches it to WAL and runs our migrations,
 * which would change a file another program owns (MLflow's own SQLite store,
 * say). So store_open() first looks at the file without changing it: its
 * type and first bytes, then, for a SQLite file, its schema through a
 * read-only connection. Only a missing file, an empty one, or one this
 * program created goes on to be opened; anything else is refused with one
 * line saying what the file is and what to do instead.
 */
#ifndef MLF_STORE_PROBE_H
#define MLF_STORE_PROBE_H

#include "../base/buf.h"
#include "../base/err.h"
#include <sqlite3.h>

/* What a backend-store path was found to hold. */
enum store_probe_kind {
	STORE_PROBE_MISSING,     /* nothing there: a new database is created */
	STORE_PROBE_EMPTY,       /* 0 bytes, or SQLite without tables: initialised */
	STORE_PROBE_MLFLOWC,     /* a database mlflowc created */
	STORE_PROBE_DIRECTORY,   /* a directory (MLflow's file store, maybe) */
	STORE_PROBE_SPECIAL,     /* a device, FIFO or socket */
	STORE_PROBE_NOT_SQLITE,  /* a file without SQLite's header */
	STORE_PROBE_UNREADABLE,  /* SQLite's header, but its schema cannot be read */
	STORE_PROBE_MLFLOW,      /* MLflow's SQL store (it has `alembic_version`) */
	STORE_PROBE_FOREIGN,     /* SQLite with tables mlflowc did not create */
};

/* Looks at the file at `path` without writing to it (a SQLite file is read
 * through a read-only connection; no journal mode change, no migration) and
 * stores what it is in `*kind`. Returns 0 when the SQLite store may open it
 * (missing, empty or ours), or -1 with `err` holding a one-line refusal
 * that names the file, says what it is and what to use instead. */
int store_probe_sqlite(const char *path, enum store_probe_kind *kind, struct mlf_err *err);
/* The same, also setting *version to the schema version (PRAGMA
 * user_version) of a database mlflowc created, 0 for a new or empty one. */
int store_probe_sqlite_schema(const char *path, enum store_probe_kind *kind, int64_t *version, struct mlf_err *err);

/* For a backend-store URI given as a bare path (no scheme): refuses, with
 * `err` set and -1, a path that looks like MLflow's file store (named
 * `mlruns`, an existing directory, or inside a directory holding
 * `meta.yaml` or `0/meta.yaml`), which a SQLite file there would break.
 * Returns 0 for anything else; store_probe_sqlite() still runs after. */
int store_probe_bare_path(const char *path, struct mlf_err *err);

/* The SQLite URI that opens `path` read-only, changing nothing: immutable
 * when no `-wal` file is beside it, a plain reader otherwise. Appended to
 * *uri, which the function initialises and the caller releases. */
void store_probe_readonly_uri(const char *path, struct buf *uri);

/* Opens the foreign SQLite file `path` (an MLflow database to read from)
 * read-only through store_probe_readonly_uri and proves it is SQLite by
 * reading its catalogue. SQLITE_OK with *db open; otherwise an SQLite
 * error code, with *db left for the caller to read sqlite3_errmsg from
 * (NULL when it could not even be opened) and to close. */
int store_probe_open_foreign(const char *path, sqlite3 **db);

#endif
