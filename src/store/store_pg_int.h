/*
 * store_pg_int.h - what the files of the PostgreSQL store share between
 * themselves: the store object, the statement ids of the one statement
 * table (store_pg_sql.h) and each file's ops table. Not for use outside
 * src/store.
 *
 * store_pg.c opens and closes the store and assembles it; the tracking
 * rows are store_pg_tracking.c's, the registry's store_pg_registry.c's,
 * logged models store_pg_logged.c's; schema_pg_sql.c describes the schema
 * to the search compiler.
 */
#ifndef MLF_STORE_PG_INT_H
#define MLF_STORE_PG_INT_H

#include "logged_model.h"
#include "pg_conn.h"
#include "registry.h"
#include "store.h"
#include "store_import.h"
#include "store_pg.h"
#include "store_pg_sql.h"
#include "../search/sqlgen.h"

struct pg_store {
	struct store base;
	struct pg_pool pool;
};

/* The connection pool of a PostgreSQL store. Borrowed. */
struct pg_pool *store_pg_pool(struct store *st);
/* Frees the store (store_ops.close of this backend; store_pg.c). */
void store_pg_close(struct store *st);

/* Collects (key, value) rows from the first two columns of `r` into a
 * list in `a`. */
void store_pg_load_kv(const PGresult *r, struct store_kv **out, size_t *n, struct arena *a);

/* The ops tables of the backend's parts. */
extern const struct store_ops store_pg_ops;                     /* store_pg_tracking.c */
extern const struct store_registry_ops store_pg_registry_ops;   /* store_pg_registry.c */
extern const struct store_logged_model_ops store_pg_logged_ops; /* store_pg_logged.c */
extern const struct store_import_ops store_pg_import_ops;       /* store_pg_import.c */

#endif
