/*
 * store_pg_sql.h - every fixed SQL text of the PostgreSQL store as one
 * table of statement ids, prepared once per connection on first use
 * (pg_stmt). Each part of the store lists its own statements in its own
 * header (tracking, registry, logged models, import rows, users and permissions); this file joins them into
 * the ids PS_<name>. Search statements, whose text sqlgen builds per
 * request, are not in the table. Not for use outside src/store.
 */
#ifndef MLF_STORE_PG_SQL_H
#define MLF_STORE_PG_SQL_H

#include "store_pg_auth_sql.h"
#include "store_pg_import_sql.h"
#include "store_pg_logged_sql.h"
#include "store_pg_registry_sql.h"
#include "store_pg_tracking_sql.h"

#define PG_STMTS(X) PG_TRACKING_STMTS(X) PG_REGISTRY_STMTS(X) PG_LOGGED_STMTS(X) PG_IMPORT_STMTS(X) PG_AUTH_STMTS(X)

enum pg_stmt_id {
#define X(id, sql) PS_##id,
	PG_STMTS(X)
#undef X
	PS_COUNT
};

#endif
