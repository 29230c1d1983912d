/*
 * store_pg_tracking_sql.h - the fixed SQL texts of the PostgreSQL store's
 * tracking part (store_pg_tracking.c), as X(name, sql) rows joined into the
 * statement table by store_pg_sql.h. Values are $N parameters, always.
 */
#ifndef MLF_STORE_PG_TRACKING_SQL_H
#define MLF_STORE_PG_TRACKING_SQL_H

/* clang-format off */
#define PG_TRACKING_STMTS(X)
/* clang-format on */

#endif
