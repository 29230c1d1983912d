/*
 * store_pg_registry_sql.h - the fixed SQL texts of the PostgreSQL store's
 * registry part (store_pg_registry.c), as X(name, sql) rows joined into the
 * statement table by store_pg_sql.h. Values are $N parameters, always.
 */
#ifndef MLF_STORE_PG_REGISTRY_SQL_H
#define MLF_STORE_PG_REGISTRY_SQL_H

/* clang-format off */
#define PG_REGISTRY_STMTS(X)
/* clang-format on */

#endif
