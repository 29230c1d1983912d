/*
 * store_sqlite_int.h - what the files of the SQLite store share between
 * themselves (the tracking part in store_sqlite.c, the registry part in
 * store_sqlite_registry.c). Not for use outside src/store.
 */
#ifndef MLF_STORE_SQLITE_INT_H
#define MLF_STORE_SQLITE_INT_H

#include "registry.h"
#include "sqlite_conn.h"
#include "store.h"
#include "store_sqlite.h"
#include "../search/sqlgen.h"

/* The connection pool of a SQLite store. Borrowed. */
struct sqlite_pool *store_sqlite_pool(struct store *st);

/* Steps `s` to the end, collecting (key, value) rows from its first two
 * columns into a list in `a`. */
int store_sqlite_load_kv(struct sqlite_conn *c, sqlite3_stmt *s, struct store_kv **out, size_t *n,
			 struct arena *a, struct mlf_err *err);

/* Binds every value of `b` to `s`, items[i] to index i + 1 (sqlgen's
 * numbering). Defined in store_sqlite_registry.c. */
void store_sqlite_bind_all(sqlite3_stmt *s, const struct sql_binds *b);

/* The registry half of the SQLite store (store_sqlite_registry.c). */
extern const struct store_registry_ops store_sqlite_registry_ops;

#endif
