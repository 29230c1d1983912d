/*
 * store_pg_import.c - the PostgreSQL store's rows of an import
 * (store_import.h), the twin of store_sqlite_import.c op by op: upserts
 * keyed by MLflow's identity, one pooled write transaction per call of
 * `transaction`, statements from the store's table
 * (store_pg_import_sql.h).
 *
 * As on SQLite, a run's children (params, tags, metrics, latest metrics,
 * inputs, model links) are cleared when the run is put and a registered
 * model's when the model is put, so the destination ends up holding
 * exactly the source's rows however many imports ran, or were cut short,
 * before. Experiments keep their ids: the identity sequence is then moved
 * past the highest imported id with setval (only ever up), so experiments
 * created afterwards never take an imported id; registered models, runs
 * and datasets get new internal keys from their sequences; version
 * numbers are the source's (the registry numbers new versions from the
 * highest one, deleted ones included).
 *
 * A run's params, tags and metric points are gathered and sent as arrays,
 * one statement per kind (and per 10,000 points), before anything else
 * touches the database; every other row is one statement. PostgreSQL may
 * run a write transaction again (pg_conn.h): each attempt starts from a
 * clean slate, and counts added to the caller's report by an attempt that
 * did not commit are taken back before the next one.
 */
#include "store_import.h"
#include "store_pg_int.h"
#include "../base/buf.h"
#include "../base/xalloc.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Points gathered before they are sent in one statement. */
#define PGI_POINT_BATCH 10000

/* A run's params or tags waiting to be sent: two text arrays. */
struct kv_batch {
	struct buf keys, values;
	size_t n;
};

struct point_batch {
	struct buf keys, timestamps, steps, values, nans;
	size_t n;
};

struct store_import_tx {
	struct pg_conn *c;
	int64_t run_pk; /* the current run's key; 0 before put_run */
	struct kv_batch params, tags;
	struct point_batch points;
	char *model_name; /* the registered model whose key is cached (owned) */
	int64_t model_pk;
	int (*fn)(struct store_import_tx *tx, void *arg, struct mlf_err *err);
	void *arg;
	/* what this attempt added to the caller's counts, taken back on a rerun */
	int64_t *counts_target[2];
	int64_t counts_added[2][STORE_IMPORT_N_TABLES];
};

/* `v` as the text of a bigint, or NULL (SQL NULL) when negative. */
static const char *opt_int(char buf[24], int64_t v)
{
	if (v < 0)
		return NULL;
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

/* ---- batches -------------------------------------------------------------------- */

static void kv_batch_add(struct kv_batch *b, const char *key, const char *value)
{
	if (!b->n) {
		buf_reset(&b->keys);
		buf_reset(&b->values);
		pg_array_begin(&b->keys);
		pg_array_begin(&b->values);
	}
	pg_array_add_text(&b->keys, key);
	pg_array_add_text(&b->values, value);
	b->n++;
}

static int kv_batch_flush(struct store_import_tx *tx, struct kv_batch *b, size_t stmt, struct mlf_err *err)
{
	if (!b->n)
		return 0;
	b->n = 0;
	pg_array_end(&b->keys);
	pg_array_end(&b->values);
	return pg_stmt_exec(tx->c, err, stmt, NULL, "itt", tx->run_pk, b->keys.ptr, b->values.ptr);
}

static int points_flush(struct store_import_tx *tx, struct mlf_err *err)
{
	struct point_batch *p = &tx->points;
	if (!p->n)
		return 0;
	p->n = 0;
	pg_array_end(&p->keys);
	pg_array_end(&p->timestamps);
	pg_array_end(&p->steps);
	pg_array_end(&p->values);
	pg_array_end(&p->nans);
	if (pg_stmt_exec(tx->c, err, PS_IMP_KEYS, NULL, "t", p->keys.ptr) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_METRICS, NULL, "itttt" "t", tx->run_pk, p->keys.ptr, p->timestamps.ptr,
			    p->steps.ptr, p->values.ptr, p->nans.ptr);
}

/* Sends what the current run has gathered; every op that is not one of
 * the gathering ones calls it first. */
static int flush(struct store_import_tx *tx, struct mlf_err *err)
{
	if (kv_batch_flush(tx, &tx->params, PS_IMP_PARAMS, err) < 0 ||
	    kv_batch_flush(tx, &tx->tags, PS_IMP_TAGS, err) < 0 || points_flush(tx, err) < 0)
		return -1;
	return 0;
}

static void batches_release(struct store_import_tx *tx)
{
	struct buf *bufs[] = { &tx->params.keys, &tx->params.values, &tx->tags.keys,      &tx->tags.values,
			       &tx->points.keys, &tx->points.timestamps, &tx->points.steps, &tx->points.values,
			       &tx->points.nans };
	for (size_t i = 0; i < ARRAY_SIZE(bufs); i++)
		buf_release(bufs[i]);
}

/* ---- the transaction -------------------------------------------------------------- */

/* Adds row `r`'s first n columns to counts[tables...] and remembers them. */
static void add_counts(struct store_import_tx *tx, int slot, const PGresult *r, const enum store_import_table *tables,
		       size_t n, int64_t counts[STORE_IMPORT_N_TABLES])
{
	tx->counts_target[slot] = counts;
	for (size_t i = 0; i < n; i++) {
		int64_t v = pg_col_int64(r, 0, (int)i);
		counts[tables[i]] += v;
		tx->counts_added[slot][tables[i]] += v;
	}
}

static int tx_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct store_import_tx *tx = arg;
	/* a rerun after a serialization failure: the last attempt's counts
	 * were never committed */
	for (int slot = 0; slot < 2; slot++) {
		for (size_t t = 0; tx->counts_target[slot] && t < STORE_IMPORT_N_TABLES; t++)
			tx->counts_target[slot][t] -= tx->counts_added[slot][t];
		memset(tx->counts_added[slot], 0, sizeof(tx->counts_added[slot]));
	}
	tx->c = c;
	tx->run_pk = 0;
	tx->params.n = tx->tags.n = tx->points.n = 0;
	free(tx->model_name);
	tx->model_name = NULL;
	int rc = tx->fn(tx, tx->arg, err);
	if (rc == 0)
		rc = flush(tx, err);
	return rc;
}

static int pgi_transaction(struct store *st, int (*fn)(struct store_import_tx *, void *, struct mlf_err *), void *arg,
			   struct mlf_err *err)
{
	struct store_import_tx tx = { .fn = fn, .arg = arg };
	int rc = pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, tx_job, &tx, err);
	batches_release(&tx);
	free(tx.model_name);
	return rc;
}

/* ---- tracking rows ------------------------------------------------------------ */

/* An experiment of the destination may be the one being imported (same id
 * and name: an earlier import), or the default experiment 0 while it has no
 * runs (every new store has one); any other with its id or its name is
 * someone else's, and is not overwritten. */
static int check_experiment_free(struct store_import_tx *tx, const struct store_experiment *e, struct mlf_err *err)
{
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_EXP_FIND, "it", e->id, e->name);
	if (!r)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		int64_t id = pg_col_int64(r, i, 0);
		const char *name = PQgetvalue(r, i, 1);
		bool has_runs = strcmp(PQgetvalue(r, i, 2), "t") == 0;
		if (id == e->id && (strcmp(name, e->name) == 0 || (id == 0 && !has_runs)))
			continue;
		rc = mlf_errorf(err, MLF_RESOURCE_ALREADY_EXISTS,
				"the destination already has experiment %lld named '%s', where the source has "
				"experiment %lld named '%s'; import into a new store",
				(long long)id, name, (long long)e->id, e->name);
	}
	PQclear(r);
	return rc;
}

static int pgi_put_experiment(struct store_import_tx *tx, const struct store_experiment *e, struct mlf_err *err)
{
	char ct[24], ut[24];
	if (flush(tx, err) < 0 || check_experiment_free(tx, e, err) < 0 ||
	    pg_stmt_exec(tx->c, err, PS_IMP_EXP_UPSERT, NULL, "itttt" "t", e->id, e->name, e->artifact_location,
			 e->lifecycle_stage, opt_int(ct, e->creation_time), opt_int(ut, e->last_update_time)) < 0)
		return -1;
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_EXP_SEQ, "i", e->id);
	if (!r)
		return -1;
	PQclear(r);
	if (pg_stmt_exec(tx->c, err, PS_IMP_EXP_TAGS_CLEAR, NULL, "i", e->id) < 0)
		return -1;
	for (size_t i = 0; i < e->n_tags; i++)
		if (pg_stmt_exec(tx->c, err, PS_IMP_EXP_TAG, NULL, "itt", e->id, e->tags[i].key, e->tags[i].value) < 0)
			return -1;
	return 0;
}

static int pgi_put_run(struct store_import_tx *tx, const struct store_import_run *r, struct mlf_err *err)
{
	char et[24], dt[24];
	if (flush(tx, err) < 0)
		return -1;
	PGresult *res = pg_stmt(tx->c, err, PS_IMP_RUN_UPSERT, "titttittt" "t", r->run_id, r->experiment_id, r->name,
				r->user_id, r->status, r->start_time, opt_int(et, r->end_time), r->artifact_uri,
				r->lifecycle_stage, opt_int(dt, r->deleted_time));
	if (!res)
		return -1;
	bool found = PQntuples(res) > 0;
	tx->run_pk = found ? pg_col_int64(res, 0, 0) : 0;
	PQclear(res);
	if (!found)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "run '%s' was not written", r->run_id);
	return pg_stmt_exec(tx->c, err, PS_IMP_RUN_CLEAR, NULL, "i", tx->run_pk);
}

static int pgi_put_param(struct store_import_tx *tx, const char *key, const char *value, struct mlf_err *err)
{
	(void)err;
	kv_batch_add(&tx->params, key, value ? value : "");
	return 0;
}

static int pgi_put_tag(struct store_import_tx *tx, const char *key, const char *value, struct mlf_err *err)
{
	(void)err;
	kv_batch_add(&tx->tags, key, value ? value : "");
	return 0;
}

static int pgi_put_metric(struct store_import_tx *tx, const char *key, double value, int64_t timestamp, int64_t step,
			  bool is_nan, struct mlf_err *err)
{
	struct point_batch *p = &tx->points;
	if (!p->n) {
		struct buf *bufs[] = { &p->keys, &p->timestamps, &p->steps, &p->values, &p->nans };
		for (size_t i = 0; i < ARRAY_SIZE(bufs); i++) {
			buf_reset(bufs[i]);
			pg_array_begin(bufs[i]);
		}
	}
	pg_array_add_text(&p->keys, key);
	pg_array_add_int64(&p->timestamps, timestamp);
	pg_array_add_int64(&p->steps, step);
	pg_array_add_double(&p->values, is_nan ? 0.0 : value);
	pg_array_add_int64(&p->nans, is_nan ? 1 : 0);
	if (++p->n >= PGI_POINT_BATCH)
		return points_flush(tx, err);
	return 0;
}

static int pgi_finish_run(struct store_import_tx *tx, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_LATEST_SET, NULL, "i", tx->run_pk);
}

static int pgi_latest_metric(struct store_import_tx *tx, const char *key, double *value, int64_t *timestamp,
			     int64_t *step, bool *is_nan, bool *found, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_LATEST_GET, "it", tx->run_pk, key);
	if (!r)
		return -1;
	*found = PQntuples(r) > 0;
	if (*found) {
		*value = pg_col_double(r, 0, 0);
		*timestamp = pg_col_int64(r, 0, 1);
		*step = pg_col_int64(r, 0, 2);
		*is_nan = pg_col_int64(r, 0, 3) != 0;
	}
	PQclear(r);
	return 0;
}

static int pgi_put_dataset(struct store_import_tx *tx, const char *dataset_uuid, int64_t experiment_id,
			   const struct store_dataset *d, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_DATASET_UPSERT, NULL, "titttt" "tt", dataset_uuid, experiment_id, d->name,
			    d->digest, d->source_type, d->source, d->schema, d->profile);
}

static int pgi_put_input(struct store_import_tx *tx, const char *dataset_uuid, int64_t seq, const struct store_kv *tags,
			 size_t n_tags, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_DATASET_PK, "t", dataset_uuid);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	int64_t dataset_pk = found ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	if (!found)
		return mlf_errorf(err, MLF_INVALID_STATE, "run input names dataset '%s', which the source lacks",
				  dataset_uuid);
	if (pg_stmt_exec(tx->c, err, PS_IMP_INPUT, NULL, "iii", tx->run_pk, dataset_pk, seq) < 0)
		return -1;
	for (size_t i = 0; i < n_tags; i++)
		if (pg_stmt_exec(tx->c, err, PS_IMP_INPUT_TAG, NULL, "iitt", tx->run_pk, dataset_pk, tags[i].key,
				 tags[i].value) < 0)
			return -1;
	return 0;
}

static int pgi_put_model_link(struct store_import_tx *tx, const char *direction, const char *model_id, int64_t step,
			      struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_LINK, NULL, "itti", tx->run_pk, direction, model_id, step);
}

static int pgi_put_logged_model(struct store_import_tx *tx, const struct store_import_logged_model *m,
				struct mlf_err *err)
{
	if (flush(tx, err) < 0 ||
	    pg_stmt_exec(tx->c, err, PS_IMP_LM_UPSERT, NULL, "titti" "iittt" "t", m->model_id, m->experiment_id, m->name,
			 m->artifact_location, m->creation_time, m->last_updated_time, m->status, m->lifecycle_stage,
			 m->model_type, m->source_run_id, m->status_message) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_LM_CLEAR, NULL, "t", m->model_id);
}

static int pgi_put_logged_model_param(struct store_import_tx *tx, const char *model_id, const char *key,
				      const char *value, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_LM_PARAM, NULL, "ttt", model_id, key, value ? value : "");
}

static int pgi_put_logged_model_tag(struct store_import_tx *tx, const char *model_id, const char *key,
				    const char *value, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_LM_TAG, NULL, "ttt", model_id, key, value ? value : "");
}

static int pgi_put_logged_model_metric(struct store_import_tx *tx, const char *model_id, const struct store_metric *m,
				       bool is_nan, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_LM_METRIC, NULL, "ttiid" "bttt", model_id, m->key, m->timestamp, m->step,
			    is_nan ? 0.0 : m->value, (int)is_nan, m->run_id ? m->run_id : "", m->dataset_name,
			    m->dataset_digest);
}

static const enum store_import_table experiment_tables[] = {
	STORE_IMPORT_EXPERIMENTS,	    STORE_IMPORT_EXPERIMENT_TAGS,    STORE_IMPORT_RUNS,
	STORE_IMPORT_PARAMS,		    STORE_IMPORT_TAGS,		     STORE_IMPORT_METRICS,
	STORE_IMPORT_LATEST_METRICS,	    STORE_IMPORT_DATASETS,	     STORE_IMPORT_INPUTS,
	STORE_IMPORT_INPUT_TAGS,	    STORE_IMPORT_MODEL_LINKS,	     STORE_IMPORT_LOGGED_MODELS,
	STORE_IMPORT_LOGGED_MODEL_PARAMS,   STORE_IMPORT_LOGGED_MODEL_TAGS,  STORE_IMPORT_LOGGED_MODEL_METRICS,
};

static int pgi_count_experiment(struct store_import_tx *tx, int64_t id, int64_t counts[STORE_IMPORT_N_TABLES],
				struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_COUNT_EXPERIMENT, "i", id);
	if (!r)
		return -1;
	add_counts(tx, 0, r, experiment_tables, ARRAY_SIZE(experiment_tables), counts);
	PQclear(r);
	return 0;
}

/* ---- registry rows ------------------------------------------------------------ */

static void remember_model(struct store_import_tx *tx, const char *name, int64_t pk)
{
	free(tx->model_name);
	tx->model_name = xstrdup(name);
	tx->model_pk = pk;
}

/* The key of registered model `name` (cached for its following rows). */
static int model_key(struct store_import_tx *tx, const char *name, int64_t *pk, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	if (tx->model_name && strcmp(tx->model_name, name) == 0) {
		*pk = tx->model_pk;
		return 0;
	}
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_RM_PK, "t", name);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	*pk = found ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	if (!found)
		return mlf_errorf(err, MLF_INVALID_STATE, "registered model '%s' has not been imported", name);
	remember_model(tx, name, *pk);
	return 0;
}

static int pgi_put_registered_model(struct store_import_tx *tx, const char *name, int64_t creation_time,
				    int64_t last_updated_time, const char *description, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	PGresult *r =
		pg_stmt(tx->c, err, PS_IMP_RM_UPSERT, "tiit", name, creation_time, last_updated_time, description);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	int64_t pk = found ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	if (!found)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "registered model '%s' was not written", name);
	remember_model(tx, name, pk);
	return pg_stmt_exec(tx->c, err, PS_IMP_RM_CLEAR, NULL, "i", pk);
}

static int pgi_put_registered_model_tag(struct store_import_tx *tx, const char *name, const char *key,
					const char *value, struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_RM_TAG, NULL, "itt", pk, key, value ? value : "");
}

static int pgi_put_model_version(struct store_import_tx *tx, const struct store_import_version *v, struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, v->name, &pk, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_MV, NULL, "iiiit" "ttttt" "tttt", pk, v->version, v->creation_time,
			    v->last_updated_time, v->description, v->user_id, v->current_stage ? v->current_stage : "None",
			    v->source ? v->source : "", v->storage_location, v->run_id ? v->run_id : "",
			    v->run_link ? v->run_link : "", v->status ? v->status : "READY", v->status_message,
			    v->model_id);
}

static int pgi_put_model_version_tag(struct store_import_tx *tx, const char *name, int64_t version, const char *key,
				     const char *value, struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_MV_TAG, NULL, "iitt", pk, version, key, value ? value : "");
}

static int pgi_put_alias(struct store_import_tx *tx, const char *name, const char *alias, int64_t version,
			 struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	return pg_stmt_exec(tx->c, err, PS_IMP_ALIAS, NULL, "iti", pk, alias, version);
}

static const enum store_import_table model_tables[] = {
	STORE_IMPORT_REGISTERED_MODELS, STORE_IMPORT_REGISTERED_MODEL_TAGS, STORE_IMPORT_MODEL_VERSIONS,
	STORE_IMPORT_MODEL_VERSION_TAGS, STORE_IMPORT_ALIASES,
};

static int pgi_count_model(struct store_import_tx *tx, const char *name, int64_t counts[STORE_IMPORT_N_TABLES],
			   struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_COUNT_MODEL, "i", pk);
	if (!r)
		return -1;
	add_counts(tx, 1, r, model_tables, ARRAY_SIZE(model_tables), counts);
	PQclear(r);
	return 0;
}

/* The identity sequence of experiments moved up to `high` (never down). */
static int pgi_reserve_experiment_ids(struct store_import_tx *tx, int64_t high, struct mlf_err *err)
{
	if (flush(tx, err) < 0)
		return -1;
	PGresult *r = pg_stmt(tx->c, err, PS_IMP_EXP_SEQ, "i", high);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

const struct store_import_ops store_pg_import_ops = {
	.transaction = pgi_transaction,
	.put_experiment = pgi_put_experiment,
	.put_run = pgi_put_run,
	.put_param = pgi_put_param,
	.put_tag = pgi_put_tag,
	.put_metric = pgi_put_metric,
	.finish_run = pgi_finish_run,
	.latest_metric = pgi_latest_metric,
	.put_dataset = pgi_put_dataset,
	.put_input = pgi_put_input,
	.put_model_link = pgi_put_model_link,
	.put_logged_model = pgi_put_logged_model,
	.put_logged_model_param = pgi_put_logged_model_param,
	.put_logged_model_tag = pgi_put_logged_model_tag,
	.put_logged_model_metric = pgi_put_logged_model_metric,
	.count_experiment = pgi_count_experiment,
	.put_registered_model = pgi_put_registered_model,
	.put_registered_model_tag = pgi_put_registered_model_tag,
	.put_model_version = pgi_put_model_version,
	.put_model_version_tag = pgi_put_model_version_tag,
	.put_alias = pgi_put_alias,
	.count_model = pgi_count_model,
	.reserve_experiment_ids = pgi_reserve_experiment_ids,
};
