/*
 * store_sqlite.h - the embedded SQLite backend of the tracking store.
 */
#ifndef MLF_STORE_SQLITE_H
#define MLF_STORE_SQLITE_H

#include "store.h"

/* Opens (creating if needed) the database file at `path`. See store_open(). */
struct store *store_sqlite_open(const char *path, const struct store_options *opt, struct mlf_err *err);

#endif
