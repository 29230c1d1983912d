/*
 * store_pg.h - the PostgreSQL backend of the tracking store (libpq), for a
 * team that outgrows one machine: several stateless servers share one
 * database, each with a bounded pool of connections.
 */
#ifndef MLF_STORE_PG_H
#define MLF_STORE_PG_H

#include "store.h"
#include "../search/sqlgen.h"

/* Checks that `uri` is a PostgreSQL URI this backend accepts, without
 * connecting. 0, or -1 with `err` set. */
int store_pg_check(const char *uri, struct mlf_err *err);
/* Connects to the database `uri` names (postgresql://, postgres://,
 * postgresql+<driver>://), applies the migrations and returns the store;
 * see store_open(). */
struct store *store_pg_open(const char *uri, const struct store_options *opt, struct mlf_err *err);

/* store_inspect() for the database `uri` names: one connection, reads only. */
int store_pg_inspect(const char *uri, struct store_schema_info *out, struct mlf_err *err);

/* The PostgreSQL schema and dialect as the search compiler needs them
 * (schema_pg_sql.c). A static table; borrowed. */
extern const struct sql_schema store_pg_sql_schema;

#endif
