/*
 * store_pg_export.c - the PostgreSQL rows behind store_export.h, the twin
 * of store_sqlite_export.c: a run's deletion time and a registered model's
 * redacted versions. Read-only; each call is one read snapshot. The texts
 * run per call (exports are rare), not from the statement table.
 */
#include "store_export.h"
#include "store_pg_int.h"

struct deleted_time_args {
	const char *run_id;
	int64_t deleted_time;
	bool has;
};

static int deleted_time_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct deleted_time_args *x = arg;
	PGresult *r = pg_query(c, err, "SELECT deleted_time FROM runs WHERE run_uuid = $1", "t", x->run_id);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0) {
		rc = store_row_fail(err, STORE_ROW_RUN_MISSING);
	} else {
		x->has = !pg_col_null(r, 0, 0);
		x->deleted_time = x->has ? pg_col_int64(r, 0, 0) : 0;
	}
	PQclear(r);
	return rc;
}

static int pge_run_deleted_time(struct store *st, const char *run_id, int64_t *deleted_time, bool *has,
				struct mlf_err *err)
{
	struct deleted_time_args x = { run_id, 0, false };
	if (pg_pool_tx(store_pg_pool(st), PG_TX_READ, deleted_time_read, &x, err) < 0)
		return -1;
	*deleted_time = x.deleted_time;
	*has = x.has;
	return 0;
}

struct deleted_versions_args {
	const char *name;
	struct store_deleted_version **out;
	size_t *n;
	struct arena *a;
};

static int deleted_versions_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct deleted_versions_args *x = arg;
	PGresult *r = pg_query(c, err, "SELECT model_pk FROM registered_models WHERE name = $1", "t", x->name);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	int64_t pk = found ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	if (!found)
		return store_row_fail(err, STORE_ROW_MODEL_MISSING);
	r = pg_query(c, err,
		     "SELECT version, creation_time, last_updated_time FROM model_versions"
		     " WHERE model_pk = $1 AND current_stage = 'Deleted_Internal' ORDER BY version",
		     "i", pk);
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	*x->out = k ? arena_alloc(x->a, k * sizeof(**x->out)) : NULL;
	for (size_t i = 0; i < k; i++)
		(*x->out)[i] = (struct store_deleted_version){
			.version = pg_col_int64(r, (int)i, 0),
			.creation_time = pg_col_int64(r, (int)i, 1),
			.last_updated_time = pg_col_int64(r, (int)i, 2),
		};
	*x->n = k;
	PQclear(r);
	return 0;
}

static int pge_deleted_versions(struct store *st, const char *name, struct store_deleted_version **out, size_t *n,
				struct arena *a, struct mlf_err *err)
{
	struct deleted_versions_args x = { name, out, n, a };
	*out = NULL;
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, deleted_versions_read, &x, err);
}

const struct store_export_ops store_pg_export_ops = {
	.run_deleted_time = pge_run_deleted_time,
	.deleted_versions = pge_deleted_versions,
};
