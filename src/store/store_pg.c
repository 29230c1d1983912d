/*
 * store_pg.c - the PostgreSQL backend: opens the store (URI, pool,
 * migrations), assembles it from its parts and closes it.
 *
 * The parts read and write rows on pooled connections (pg_conn.h):
 * tracking (store_pg_tracking.c), the registry (store_pg_registry.c),
 * logged models (store_pg_logged.c). Every fixed SQL text is a row of the
 * one statement table below, joined from the parts' headers
 * (store_pg_sql.h) and prepared once per connection on first use.
 */
#include "store_pg_int.h"
#include "schema_pg.h"
#include "store_export.h"
#include "store_gc.h"
#include "store_retention.h"
#include "store_auth.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <stdlib.h>

static const char *const pg_stmt_sql[] = {
#define X(id, sql) sql,
	PG_STMTS(X)
#undef X
};
_Static_assert(ARRAY_SIZE(pg_stmt_sql) == PS_COUNT, "statement table out of sync");

struct pg_pool *store_pg_pool(struct store *st)
{
	return &((struct pg_store *)st)->pool;
}

void store_pg_load_kv(const PGresult *r, struct store_kv **out, size_t *n, struct arena *a)
{
	int rows = PQntuples(r);
	*n = (size_t)rows;
	*out = rows ? arena_alloc(a, (size_t)rows * sizeof(**out)) : NULL;
	for (int i = 0; i < rows; i++) {
		(*out)[i].key = pg_col_text(r, i, 0, a);
		(*out)[i].value = pg_col_text(r, i, 1, a);
	}
}

int store_pg_check(const char *uri, struct mlf_err *err)
{
	struct buf conninfo = BUF_INIT, redacted = BUF_INIT;
	int rc = pg_uri_parse(uri, &conninfo, &redacted, err);
	buf_release(&conninfo);
	buf_release(&redacted);
	return rc;
}

static int pg_ping(struct store *st, struct mlf_err *err)
{
	int64_t version;
	return pg_pool_schema_version(store_pg_pool(st), &version, err);
}

int store_pg_inspect(const char *uri, struct store_schema_info *out, struct mlf_err *err)
{
	out->backend = "postgresql";
	out->known = (int64_t)ARRAY_SIZE(schema_pg_migrations);
	return pg_inspect(uri, &out->version, err);
}

struct store *store_pg_open(const char *uri, const struct store_options *opt, struct mlf_err *err)
{
	struct pg_store *s = xcalloc(1, sizeof(*s));
	if (pg_pool_init(&s->pool, uri, opt->pool_size, schema_pg_migrations, ARRAY_SIZE(schema_pg_migrations),
			 pg_stmt_sql, PS_COUNT, opt->durability == STORE_DURABILITY_FULL, err) < 0) {
		free(s);
		return NULL;
	}
	s->base.ops = &store_pg_ops;
	s->base.ping = pg_ping;
	/* the lifecycle parts of this backend */
	s->base.export_ops = &store_pg_export_ops;
	s->base.import = &store_pg_import_ops;
	s->base.gc = &store_pg_gc_ops;
	s->base.retention = &store_pg_retention_ops;
	s->base.auth = &store_pg_auth_ops;
	return &s->base;
}

void store_pg_close(struct store *st)
{
	struct pg_store *s = (struct pg_store *)st;
	pg_pool_release(&s->pool);
	free(s);
}
