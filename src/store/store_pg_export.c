/*
 * store_pg_export.c - the PostgreSQL rows behind store_export.h, the twin
 * of store_sqlite_export.c: a run's deletion time, a registered model's
 * redacted versions, an experiment's datasets and logged model ids, every
 * registered model name, the highest experiment id given. Read-only; each call is one read snapshot. The texts
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

struct datasets_args {
	int64_t experiment_id;
	struct store_export_dataset **out;
	size_t *n;
	struct arena *a;
};

static int datasets_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct datasets_args *x = arg;
	PGresult *r = pg_query(c, err,
			       "SELECT dataset_uuid, name, digest, source_type, source, schema, profile FROM datasets"
			       " WHERE experiment_id = $1 ORDER BY dataset_pk",
			       "i", x->experiment_id);
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	*x->out = k ? arena_alloc(x->a, k * sizeof(**x->out)) : NULL;
	for (size_t i = 0; i < k; i++) {
		int row = (int)i;
		(*x->out)[i] = (struct store_export_dataset){
			.dataset_uuid = pg_col_text(r, row, 0, x->a),
			.d = {
				.name = pg_col_text(r, row, 1, x->a),
				.digest = pg_col_text(r, row, 2, x->a),
				.source_type = pg_col_text(r, row, 3, x->a),
				.source = pg_col_text(r, row, 4, x->a),
				.schema = pg_col_text(r, row, 5, x->a),
				.profile = pg_col_text(r, row, 6, x->a),
			},
		};
	}
	*x->n = k;
	PQclear(r);
	return 0;
}

static int pge_experiment_datasets(struct store *st, int64_t experiment_id, struct store_export_dataset **out,
				   size_t *n, struct arena *a, struct mlf_err *err)
{
	struct datasets_args x = { experiment_id, out, n, a };
	*out = NULL;
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, datasets_read, &x, err);
}

struct texts_args {
	const char *sql; /* $1 = key when has_key */
	bool has_key;
	int64_t key;
	const char ***out;
	size_t *n;
	struct arena *a;
};

static int texts_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct texts_args *x = arg;
	PGresult *r = x->has_key ? pg_query(c, err, x->sql, "i", x->key) : pg_query(c, err, x->sql, "");
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	*x->out = k ? arena_alloc(x->a, k * sizeof(**x->out)) : NULL;
	for (size_t i = 0; i < k; i++) {
		const char *v = pg_col_text(r, (int)i, 0, x->a);
		(*x->out)[i] = v ? v : "";
	}
	*x->n = k;
	PQclear(r);
	return 0;
}

static int pge_logged_model_ids(struct store *st, int64_t experiment_id, const char ***out, size_t *n,
				struct arena *a, struct mlf_err *err)
{
	struct texts_args x = { "SELECT model_id FROM logged_models WHERE experiment_id = $1 ORDER BY creation_time, model_id",
				true, experiment_id, out, n, a };
	*out = NULL;
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, texts_read, &x, err);
}

static int pge_registered_model_names(struct store *st, const char ***out, size_t *n, struct arena *a,
				      struct mlf_err *err)
{
	struct texts_args x = { "SELECT name FROM registered_models ORDER BY name", false, 0, out, n, a };
	*out = NULL;
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, texts_read, &x, err);
}

static int id_high_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	int64_t *high = arg;
	PGresult *r = pg_query(c, err,
			       "SELECT GREATEST(COALESCE(pg_sequence_last_value(pg_get_serial_sequence('experiments', "
			       "'experiment_id')::regclass), 0), COALESCE((SELECT max(experiment_id) FROM experiments), 0))",
			       "");
	if (!r)
		return -1;
	*high = PQntuples(r) > 0 ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

static int pge_experiment_id_high(struct store *st, int64_t *high, struct mlf_err *err)
{
	*high = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, id_high_read, high, err);
}

const struct store_export_ops store_pg_export_ops = {
	.run_deleted_time = pge_run_deleted_time,
	.deleted_versions = pge_deleted_versions,
	.experiment_datasets = pge_experiment_datasets,
	.logged_model_ids = pge_logged_model_ids,
	.registered_model_names = pge_registered_model_names,
	.experiment_id_high = pge_experiment_id_high,
};
