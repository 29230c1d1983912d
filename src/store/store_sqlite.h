/*
 * store_sqlite.h - the embedded SQLite backend of the tracking store.
 */
#ifndef MLF_STORE_SQLITE_H
#define MLF_STORE_SQLITE_H

#include "store.h"
#include "../search/sqlgen.h"

/* Opens (creating if needed) the database file at `path`. See store_open(). */
struct store *store_sqlite_open(const char *path, const struct store_options *opt, struct mlf_err *err);

/* store_inspect() for the file at `path`: read-only, nothing created. */
int store_sqlite_inspect(const char *path, struct store_schema_info *out, struct mlf_err *err);

/* The SQLite schema and dialect as the search compiler needs them
 * (schema_sql.c). A static table; borrowed. */
extern const struct sql_schema store_sqlite_sql_schema;

#endif
