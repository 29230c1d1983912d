/*
 * store_sqlite_import.c - the SQLite store's rows of an import from MLflow
 * (store_import.h): upserts keyed by MLflow's identity, on the write
 * connection, one transaction per call of `transaction`.
 *
 * A run's children (params, tags, metrics, latest metrics, inputs, model
 * links) are cleared when the run is put, and a registered model's when the
 * model is put, so the destination ends up holding exactly the source's
 * rows however many times an import ran, or was cut short, before. Explicit
 * experiment ids go into the AUTOINCREMENT column, which moves SQLite's
 * counter above them; registered models get new integer keys. Statements
 * are prepared once per transaction; values are always bound.
 */
#include "store_import.h"
#include "store_sqlite_int.h"
#include "../base/xalloc.h"
#include <string.h>

#define IMPORT_SQL(X) \
	X(EXP_UPSERT, "INSERT INTO experiments(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) " \
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(experiment_id) DO UPDATE SET name = excluded.name, " \
		"artifact_location = excluded.artifact_location, lifecycle_stage = excluded.lifecycle_stage, " \
		"creation_time = excluded.creation_time, last_update_time = excluded.last_update_time") \
	X(EXP_FIND, "SELECT experiment_id, name, EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.experiment_id) " \
		"FROM experiments e WHERE experiment_id = ?1 OR name = ?2") \
	X(EXP_TAGS_CLEAR, "DELETE FROM experiment_tags WHERE experiment_id = ?1") \
	X(EXP_TAG, "INSERT OR REPLACE INTO experiment_tags(experiment_id, key, value) VALUES(?1, ?2, ?3)") \
	X(RUN_UPSERT, "INSERT INTO runs(run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, " \
		"lifecycle_stage, deleted_time) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(run_uuid) DO UPDATE SET " \
		"experiment_id = excluded.experiment_id, name = excluded.name, user_id = excluded.user_id, status = excluded.status, " \
		"start_time = excluded.start_time, end_time = excluded.end_time, artifact_uri = excluded.artifact_uri, " \
		"lifecycle_stage = excluded.lifecycle_stage, deleted_time = excluded.deleted_time RETURNING run_pk") \
	X(RUN_CLEAR_PARAMS, "DELETE FROM params WHERE run_pk = ?1") \
	X(RUN_CLEAR_TAGS, "DELETE FROM tags WHERE run_pk = ?1") \
	X(RUN_CLEAR_METRICS, "DELETE FROM metrics WHERE run_pk = ?1") \
	X(RUN_CLEAR_LATEST, "DELETE FROM latest_metrics WHERE run_pk = ?1") \
	X(RUN_CLEAR_INPUTS, "DELETE FROM run_inputs WHERE run_pk = ?1") \
	X(RUN_CLEAR_INPUT_TAGS, "DELETE FROM input_tags WHERE run_pk = ?1") \
	X(RUN_CLEAR_LINKS, "DELETE FROM run_model_links WHERE run_pk = ?1") \
	X(PARAM, "INSERT OR REPLACE INTO params(run_pk, key, value) VALUES(?1, ?2, ?3)") \
	X(TAG, "INSERT OR REPLACE INTO tags(run_pk, key, value) VALUES(?1, ?2, ?3)") \
	X(KEY_GET, "SELECT key_id FROM metric_keys WHERE key = ?1") \
	X(KEY_ADD, "INSERT INTO metric_keys(key) VALUES(?1) RETURNING key_id") \
	X(METRIC, "INSERT OR IGNORE INTO metrics(run_pk, key_id, timestamp, step, value, is_nan) VALUES(?1, ?2, ?3, ?4, ?5, ?6)") \
	/* per key, the point first by MLflow's rule (a top-1 probe of the key's points: several \
	 * times faster than a window over the run's whole history) */ \
	X(LATEST_SET, "INSERT INTO latest_metrics(run_pk, key_id, value, timestamp, step, is_nan) " \
		"SELECT m.run_pk, m.key_id, m.value, m.timestamp, m.step, m.is_nan FROM (SELECT DISTINCT key_id FROM metrics " \
		"WHERE run_pk = ?1) k JOIN metrics m ON m.run_pk = ?1 AND m.key_id = k.key_id AND (m.timestamp, m.step, m.value, " \
		"m.is_nan) = (SELECT timestamp, step, value, is_nan FROM metrics x WHERE x.run_pk = ?1 AND x.key_id = k.key_id " \
		"ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1)") \
	X(LATEST_GET, "SELECT l.value, l.timestamp, l.step, l.is_nan FROM latest_metrics l JOIN metric_keys k ON k.key_id = l.key_id " \
		"WHERE l.run_pk = ?1 AND k.key = ?2") \
	X(DATASET_UPSERT, "INSERT INTO datasets(dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile) " \
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(dataset_uuid) DO UPDATE SET experiment_id = excluded.experiment_id, " \
		"name = excluded.name, digest = excluded.digest, source_type = excluded.source_type, source = excluded.source, " \
		"schema = excluded.schema, profile = excluded.profile") \
	X(DATASET_PK, "SELECT dataset_pk FROM datasets WHERE dataset_uuid = ?1") \
	X(INPUT, "INSERT OR REPLACE INTO run_inputs(run_pk, dataset_pk, seq) VALUES(?1, ?2, ?3)") \
	X(INPUT_TAG, "INSERT OR REPLACE INTO input_tags(run_pk, dataset_pk, key, value) VALUES(?1, ?2, ?3, ?4)") \
	X(LINK, "INSERT OR IGNORE INTO run_model_links(run_pk, direction, model_id, step) VALUES(?1, ?2, ?3, ?4)") \
	X(LM_UPSERT, "INSERT INTO logged_models(model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, " \
		"status, lifecycle_stage, model_type, source_run_id, status_message) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) " \
		"ON CONFLICT(model_id) DO UPDATE SET experiment_id = excluded.experiment_id, name = excluded.name, " \
		"artifact_location = excluded.artifact_location, creation_time = excluded.creation_time, " \
		"last_updated_time = excluded.last_updated_time, status = excluded.status, lifecycle_stage = excluded.lifecycle_stage, " \
		"model_type = excluded.model_type, source_run_id = excluded.source_run_id, status_message = excluded.status_message") \
	X(LM_CLEAR_PARAMS, "DELETE FROM logged_model_params WHERE model_id = ?1") \
	X(LM_CLEAR_TAGS, "DELETE FROM logged_model_tags WHERE model_id = ?1") \
	X(LM_CLEAR_METRICS, "DELETE FROM logged_model_metrics WHERE model_id = ?1") \
	X(LM_PARAM, "INSERT OR REPLACE INTO logged_model_params(model_id, key, value) VALUES(?1, ?2, ?3)") \
	X(LM_TAG, "INSERT OR REPLACE INTO logged_model_tags(model_id, key, value) VALUES(?1, ?2, ?3)") \
	X(LM_METRIC, "INSERT OR REPLACE INTO logged_model_metrics(model_id, key, timestamp, step, value, is_nan, run_id, " \
		"dataset_name, dataset_digest) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") \
	X(RM_INSERT, "INSERT INTO registered_models(name, creation_time, last_updated_time, description) VALUES(?1, ?2, ?3, ?4) " \
		"RETURNING model_pk") \
	X(RM_UPDATE, "UPDATE registered_models SET creation_time = ?2, last_updated_time = ?3, description = ?4 WHERE name = ?1 " \
		"RETURNING model_pk") \
	X(RM_PK, "SELECT model_pk FROM registered_models WHERE name = ?1") \
	X(RM_CLEAR_TAGS, "DELETE FROM registered_model_tags WHERE model_pk = ?1") \
	X(RM_CLEAR_VERSIONS, "DELETE FROM model_versions WHERE model_pk = ?1") \
	X(RM_CLEAR_VERSION_TAGS, "DELETE FROM model_version_tags WHERE model_pk = ?1") \
	X(RM_CLEAR_ALIASES, "DELETE FROM registered_model_aliases WHERE model_pk = ?1") \
	X(RM_TAG, "INSERT OR REPLACE INTO registered_model_tags(model_pk, key, value) VALUES(?1, ?2, ?3)") \
	X(MV, "INSERT OR REPLACE INTO model_versions(model_pk, version, creation_time, last_updated_time, description, user_id, " \
		"current_stage, source, storage_location, run_id, run_link, status, status_message, model_id) " \
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)") \
	X(MV_TAG, "INSERT OR REPLACE INTO model_version_tags(model_pk, version, key, value) VALUES(?1, ?2, ?3, ?4)") \
	X(ALIAS, "INSERT OR REPLACE INTO registered_model_aliases(model_pk, alias, version) VALUES(?1, ?2, ?3)") \
	X(EXP_SEQ_ADD, "INSERT INTO sqlite_sequence(name, seq) SELECT 'experiments', ?1 " \
		"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'experiments')") \
	X(EXP_SEQ_RAISE, "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'experiments' AND seq < ?1")

#define X(id, sql) IS_##id,
enum { IMPORT_SQL(X) IS_COUNT };
#undef X
#define X(id, sql) sql,
static const char *const import_sql[] = { IMPORT_SQL(X) };
#undef X

/* Counts of what the destination holds for one experiment, in the
 * report's table order (store_import.h); -1 marks a table not counted here. */
static const struct {
	enum store_import_table table;
	const char *sql; /* ?1 = experiment id */
} experiment_counts[] = {
	{ STORE_IMPORT_EXPERIMENTS, "SELECT count(*) FROM experiments WHERE experiment_id = ?1" },
	{ STORE_IMPORT_EXPERIMENT_TAGS, "SELECT count(*) FROM experiment_tags WHERE experiment_id = ?1" },
	{ STORE_IMPORT_RUNS, "SELECT count(*) FROM runs WHERE experiment_id = ?1" },
	{ STORE_IMPORT_PARAMS, "SELECT count(*) FROM params JOIN runs USING (run_pk) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_TAGS, "SELECT count(*) FROM tags JOIN runs USING (run_pk) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_METRICS, "SELECT count(*) FROM metrics JOIN runs USING (run_pk) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_LATEST_METRICS,
	  "SELECT count(*) FROM latest_metrics JOIN runs USING (run_pk) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_DATASETS, "SELECT count(*) FROM datasets WHERE experiment_id = ?1" },
	{ STORE_IMPORT_INPUTS, "SELECT count(*) FROM run_inputs JOIN runs USING (run_pk) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_INPUT_TAGS, "SELECT count(*) FROM input_tags JOIN runs USING (run_pk) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_MODEL_LINKS,
	  "SELECT count(*) FROM run_model_links JOIN runs USING (run_pk) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_LOGGED_MODELS, "SELECT count(*) FROM logged_models WHERE experiment_id = ?1" },
	{ STORE_IMPORT_LOGGED_MODEL_PARAMS,
	  "SELECT count(*) FROM logged_model_params JOIN logged_models USING (model_id) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_LOGGED_MODEL_TAGS,
	  "SELECT count(*) FROM logged_model_tags JOIN logged_models USING (model_id) WHERE experiment_id = ?1" },
	{ STORE_IMPORT_LOGGED_MODEL_METRICS,
	  "SELECT count(*) FROM logged_model_metrics JOIN logged_models USING (model_id) WHERE experiment_id = ?1" },
};

static const struct {
	enum store_import_table table;
	const char *sql; /* ?1 = model_pk */
} model_counts[] = {
	{ STORE_IMPORT_REGISTERED_MODELS, "SELECT count(*) FROM registered_models WHERE model_pk = ?1" },
	{ STORE_IMPORT_REGISTERED_MODEL_TAGS, "SELECT count(*) FROM registered_model_tags WHERE model_pk = ?1" },
	{ STORE_IMPORT_MODEL_VERSIONS, "SELECT count(*) FROM model_versions WHERE model_pk = ?1" },
	{ STORE_IMPORT_MODEL_VERSION_TAGS, "SELECT count(*) FROM model_version_tags WHERE model_pk = ?1" },
	{ STORE_IMPORT_ALIASES, "SELECT count(*) FROM registered_model_aliases WHERE model_pk = ?1" },
};

struct store_import_tx {
	struct sqlite_conn *c;
	sqlite3_stmt *stmt[IS_COUNT];
	int64_t run_pk;        /* the current run's key; 0 before put_run */
	char *last_key;        /* the metric key whose id is cached (owned) */
	int64_t last_key_id;
	char *model_name;      /* the registered model whose key is cached (owned) */
	int64_t model_pk;
	int (*fn)(struct store_import_tx *tx, void *arg, struct mlf_err *err);
	void *arg;
};

static int tx_fail(struct store_import_tx *tx, const char *what, struct mlf_err *err)
{
	return sqlite_conn_fail(tx->c, what, err);
}

/* The statement `id`, prepared on first use in this transaction, reset and
 * with bindings cleared. Borrowed. */
static sqlite3_stmt *tx_stmt(struct store_import_tx *tx, int id, struct mlf_err *err)
{
	sqlite3_stmt *s = tx->stmt[id];
	if (!s) {
		if (sqlite3_prepare_v3(tx->c->db, import_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &tx->stmt[id], NULL) !=
		    SQLITE_OK) {
			tx_fail(tx, "prepare import statement", err);
			return NULL;
		}
		return tx->stmt[id];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_opt_int(sqlite3_stmt *s, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

/* Steps `s` to its end (for its effect); a row it returns is read into
 * *out when `out` is given. */
static int tx_run(struct store_import_tx *tx, sqlite3_stmt *s, int64_t *out, bool *found, const char *what,
		  struct mlf_err *err)
{
	if (!s)
		return -1;
	int rc;
	bool row = false;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (out && !row)
			*out = sqlite3_column_int64(s, 0);
		row = true;
	}
	if (found)
		*found = row;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return tx_fail(tx, what, err);
	return 0;
}

static int tx_exec_id(struct store_import_tx *tx, int id, int64_t key, const char *what, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, id, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, key);
	return tx_run(tx, s, NULL, NULL, what, err);
}

static int tx_exec_text(struct store_import_tx *tx, int id, const char *key, const char *what, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, id, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, key);
	return tx_run(tx, s, NULL, NULL, what, err);
}

static int tx_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct store_import_tx *tx = arg;
	tx->c = c;
	int rc = tx->fn(tx, tx->arg, err);
	for (size_t i = 0; i < IS_COUNT; i++)
		sqlite3_finalize(tx->stmt[i]);
	memset(tx->stmt, 0, sizeof(tx->stmt));
	free(tx->last_key);
	free(tx->model_name);
	tx->last_key = tx->model_name = NULL;
	return rc;
}

static int sqi_transaction(struct store *st, int (*fn)(struct store_import_tx *, void *, struct mlf_err *), void *arg,
			   struct mlf_err *err)
{
	struct store_import_tx tx = { .fn = fn, .arg = arg };
	return sqlite_pool_write(store_sqlite_pool(st), tx_job, &tx, err);
}

/* ---- tracking rows ------------------------------------------------------------ */

/* An experiment of the destination may be the one being imported (same id
 * and name: an earlier import), or the default experiment 0 while it has no
 * runs (every new store has one); any other with its id or its name is
 * someone else's, and is not overwritten. */
static int check_experiment_free(struct store_import_tx *tx, const struct store_experiment *e, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, IS_EXP_FIND, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, e->id);
	sqlite_bind_text(s, 2, e->name);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);
		bool has_runs = sqlite3_column_int(s, 2) != 0;
		if (id == e->id && ((name && strcmp(name, e->name) == 0) || (id == 0 && !has_runs)))
			continue;
		int r = mlf_errorf(err, MLF_RESOURCE_ALREADY_EXISTS,
				   "the destination already has experiment %lld named '%s', where the source has "
				   "experiment %lld named '%s'; import into a new store",
				   (long long)id, name ? name : "", (long long)e->id, e->name);
		sqlite3_reset(s);
		return r;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : tx_fail(tx, "find experiment", err);
}

static int sqi_put_experiment(struct store_import_tx *tx, const struct store_experiment *e, struct mlf_err *err)
{
	if (check_experiment_free(tx, e, err) < 0)
		return -1;
	sqlite3_stmt *s = tx_stmt(tx, IS_EXP_UPSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, e->id);
	sqlite_bind_text(s, 2, e->name);
	sqlite_bind_text(s, 3, e->artifact_location);
	sqlite_bind_text(s, 4, e->lifecycle_stage);
	bind_opt_int(s, 5, e->creation_time);
	bind_opt_int(s, 6, e->last_update_time);
	if (tx_run(tx, s, NULL, NULL, "import experiment", err) < 0 ||
	    tx_exec_id(tx, IS_EXP_TAGS_CLEAR, e->id, "clear experiment tags", err) < 0)
		return -1;
	for (size_t i = 0; i < e->n_tags; i++) {
		if (!(s = tx_stmt(tx, IS_EXP_TAG, err)))
			return -1;
		sqlite3_bind_int64(s, 1, e->id);
		sqlite_bind_text(s, 2, e->tags[i].key);
		sqlite_bind_text(s, 3, e->tags[i].value);
		if (tx_run(tx, s, NULL, NULL, "import experiment tag", err) < 0)
			return -1;
	}
	return 0;
}

/* A run's child tables, emptied when the run is put. */
static const int run_children[] = {
	IS_RUN_CLEAR_PARAMS, IS_RUN_CLEAR_TAGS,	 IS_RUN_CLEAR_METRICS, IS_RUN_CLEAR_LATEST,
	IS_RUN_CLEAR_INPUTS, IS_RUN_CLEAR_INPUT_TAGS, IS_RUN_CLEAR_LINKS,
};

static int sqi_put_run(struct store_import_tx *tx, const struct store_import_run *r, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, IS_RUN_UPSERT, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, r->run_id);
	sqlite3_bind_int64(s, 2, r->experiment_id);
	sqlite_bind_text(s, 3, r->name);
	sqlite_bind_text(s, 4, r->user_id);
	sqlite_bind_text(s, 5, r->status);
	sqlite3_bind_int64(s, 6, r->start_time);
	bind_opt_int(s, 7, r->end_time);
	sqlite_bind_text(s, 8, r->artifact_uri);
	sqlite_bind_text(s, 9, r->lifecycle_stage);
	bind_opt_int(s, 10, r->deleted_time);
	if (tx_run(tx, s, &tx->run_pk, NULL, "import run", err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(run_children); i++)
		if (tx_exec_id(tx, run_children[i], tx->run_pk, "clear run rows", err) < 0)
			return -1;
	return 0;
}

static int put_run_kv(struct store_import_tx *tx, int id, const char *key, const char *value, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, id, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, tx->run_pk);
	sqlite_bind_text(s, 2, key);
	sqlite_bind_text(s, 3, value ? value : "");
	return tx_run(tx, s, NULL, NULL, "import run row", err);
}

static int sqi_put_param(struct store_import_tx *tx, const char *key, const char *value, struct mlf_err *err)
{
	return put_run_kv(tx, IS_PARAM, key, value, err);
}

static int sqi_put_tag(struct store_import_tx *tx, const char *key, const char *value, struct mlf_err *err)
{
	return put_run_kv(tx, IS_TAG, key, value, err);
}

/* The interned id of metric key `key` (cached for the runs of points that
 * share it). */
static int metric_key_id(struct store_import_tx *tx, const char *key, int64_t *id, struct mlf_err *err)
{
	if (tx->last_key && strcmp(tx->last_key, key) == 0) {
		*id = tx->last_key_id;
		return 0;
	}
	bool found;
	sqlite3_stmt *s = tx_stmt(tx, IS_KEY_GET, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, key);
	if (tx_run(tx, s, id, &found, "metric key", err) < 0)
		return -1;
	if (!found) {
		if (!(s = tx_stmt(tx, IS_KEY_ADD, err)))
			return -1;
		sqlite_bind_text(s, 1, key);
		if (tx_run(tx, s, id, NULL, "add metric key", err) < 0)
			return -1;
	}
	free(tx->last_key);
	tx->last_key = xstrdup(key);
	tx->last_key_id = *id;
	return 0;
}

static int sqi_put_metric(struct store_import_tx *tx, const char *key, double value, int64_t timestamp, int64_t step,
			  bool is_nan, struct mlf_err *err)
{
	int64_t key_id;
	if (metric_key_id(tx, key, &key_id, err) < 0)
		return -1;
	sqlite3_stmt *s = tx_stmt(tx, IS_METRIC, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, tx->run_pk);
	sqlite3_bind_int64(s, 2, key_id);
	sqlite3_bind_int64(s, 3, timestamp);
	sqlite3_bind_int64(s, 4, step);
	sqlite3_bind_double(s, 5, is_nan ? 0.0 : value);
	sqlite3_bind_int(s, 6, is_nan);
	return tx_run(tx, s, NULL, NULL, "import metric", err);
}

static int sqi_finish_run(struct store_import_tx *tx, struct mlf_err *err)
{
	return tx_exec_id(tx, IS_LATEST_SET, tx->run_pk, "set latest metrics", err);
}

static int sqi_latest_metric(struct store_import_tx *tx, const char *key, double *value, int64_t *timestamp,
			     int64_t *step, bool *is_nan, bool *found, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, IS_LATEST_GET, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, tx->run_pk);
	sqlite_bind_text(s, 2, key);
	int rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW;
	if (*found) {
		*value = sqlite3_column_double(s, 0);
		*timestamp = sqlite3_column_int64(s, 1);
		*step = sqlite3_column_int64(s, 2);
		*is_nan = sqlite3_column_int(s, 3) != 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tx_fail(tx, "read latest metric", err);
	return 0;
}

static int sqi_put_dataset(struct store_import_tx *tx, const char *dataset_uuid, int64_t experiment_id,
			   const struct store_dataset *d, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, IS_DATASET_UPSERT, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, dataset_uuid);
	sqlite3_bind_int64(s, 2, experiment_id);
	sqlite_bind_text(s, 3, d->name);
	sqlite_bind_text(s, 4, d->digest);
	sqlite_bind_text(s, 5, d->source_type);
	sqlite_bind_text(s, 6, d->source);
	sqlite_bind_text(s, 7, d->schema);
	sqlite_bind_text(s, 8, d->profile);
	return tx_run(tx, s, NULL, NULL, "import dataset", err);
}

static int sqi_put_input(struct store_import_tx *tx, const char *dataset_uuid, int64_t seq, const struct store_kv *tags,
			 size_t n_tags, struct mlf_err *err)
{
	int64_t dataset_pk = 0;
	bool found;
	sqlite3_stmt *s = tx_stmt(tx, IS_DATASET_PK, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, dataset_uuid);
	if (tx_run(tx, s, &dataset_pk, &found, "find dataset", err) < 0)
		return -1;
	if (!found)
		return mlf_errorf(err, MLF_INVALID_STATE, "run input names dataset '%s', which the source lacks",
				  dataset_uuid);
	if (!(s = tx_stmt(tx, IS_INPUT, err)))
		return -1;
	sqlite3_bind_int64(s, 1, tx->run_pk);
	sqlite3_bind_int64(s, 2, dataset_pk);
	sqlite3_bind_int64(s, 3, seq);
	if (tx_run(tx, s, NULL, NULL, "import input", err) < 0)
		return -1;
	for (size_t i = 0; i < n_tags; i++) {
		if (!(s = tx_stmt(tx, IS_INPUT_TAG, err)))
			return -1;
		sqlite3_bind_int64(s, 1, tx->run_pk);
		sqlite3_bind_int64(s, 2, dataset_pk);
		sqlite_bind_text(s, 3, tags[i].key);
		sqlite_bind_text(s, 4, tags[i].value);
		if (tx_run(tx, s, NULL, NULL, "import input tag", err) < 0)
			return -1;
	}
	return 0;
}

static int sqi_put_model_link(struct store_import_tx *tx, const char *direction, const char *model_id, int64_t step,
			      struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, IS_LINK, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, tx->run_pk);
	sqlite_bind_text(s, 2, direction);
	sqlite_bind_text(s, 3, model_id);
	sqlite3_bind_int64(s, 4, step);
	return tx_run(tx, s, NULL, NULL, "import model link", err);
}

static int sqi_put_logged_model(struct store_import_tx *tx, const struct store_import_logged_model *m,
				struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, IS_LM_UPSERT, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, m->model_id);
	sqlite3_bind_int64(s, 2, m->experiment_id);
	sqlite_bind_text(s, 3, m->name);
	sqlite_bind_text(s, 4, m->artifact_location);
	sqlite3_bind_int64(s, 5, m->creation_time);
	sqlite3_bind_int64(s, 6, m->last_updated_time);
	sqlite3_bind_int64(s, 7, m->status);
	sqlite_bind_text(s, 8, m->lifecycle_stage);
	sqlite_bind_text(s, 9, m->model_type);
	sqlite_bind_text(s, 10, m->source_run_id);
	sqlite_bind_text(s, 11, m->status_message);
	if (tx_run(tx, s, NULL, NULL, "import logged model", err) < 0 ||
	    tx_exec_text(tx, IS_LM_CLEAR_PARAMS, m->model_id, "clear logged model params", err) < 0 ||
	    tx_exec_text(tx, IS_LM_CLEAR_TAGS, m->model_id, "clear logged model tags", err) < 0 ||
	    tx_exec_text(tx, IS_LM_CLEAR_METRICS, m->model_id, "clear logged model metrics", err) < 0)
		return -1;
	return 0;
}

static int put_model_kv(struct store_import_tx *tx, int id, const char *model_id, const char *key, const char *value,
			struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, id, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, model_id);
	sqlite_bind_text(s, 2, key);
	sqlite_bind_text(s, 3, value ? value : "");
	return tx_run(tx, s, NULL, NULL, "import logged model row", err);
}

static int sqi_put_logged_model_param(struct store_import_tx *tx, const char *model_id, const char *key,
				      const char *value, struct mlf_err *err)
{
	return put_model_kv(tx, IS_LM_PARAM, model_id, key, value, err);
}

static int sqi_put_logged_model_tag(struct store_import_tx *tx, const char *model_id, const char *key,
				    const char *value, struct mlf_err *err)
{
	return put_model_kv(tx, IS_LM_TAG, model_id, key, value, err);
}

static int sqi_put_logged_model_metric(struct store_import_tx *tx, const char *model_id, const struct store_metric *m,
				       bool is_nan, struct mlf_err *err)
{
	sqlite3_stmt *s = tx_stmt(tx, IS_LM_METRIC, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, model_id);
	sqlite_bind_text(s, 2, m->key);
	sqlite3_bind_int64(s, 3, m->timestamp);
	sqlite3_bind_int64(s, 4, m->step);
	sqlite3_bind_double(s, 5, is_nan ? 0.0 : m->value);
	sqlite3_bind_int(s, 6, is_nan);
	sqlite_bind_text(s, 7, m->run_id ? m->run_id : "");
	sqlite_bind_text(s, 8, m->dataset_name);
	sqlite_bind_text(s, 9, m->dataset_digest);
	return tx_run(tx, s, NULL, NULL, "import logged model metric", err);
}

/* Runs each count query with ?1 bound to `key`, adding to counts[]. */
static int add_counts(struct store_import_tx *tx, int64_t key, int64_t counts[STORE_IMPORT_N_TABLES], size_t n,
		      const enum store_import_table *tables, const char *const *sql, struct mlf_err *err)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(tx->c->db, sql[i], -1, &s, NULL) != SQLITE_OK)
			return tx_fail(tx, "prepare import count", err);
		sqlite3_bind_int64(s, 1, key);
		int64_t v = 0;
		int rc = tx_run(tx, s, &v, NULL, "import count", err);
		sqlite3_finalize(s);
		if (rc < 0)
			return -1;
		counts[tables[i]] += v;
	}
	return 0;
}

static int sqi_count_experiment(struct store_import_tx *tx, int64_t id, int64_t counts[STORE_IMPORT_N_TABLES],
				struct mlf_err *err)
{
	enum store_import_table tables[ARRAY_SIZE(experiment_counts)];
	const char *sql[ARRAY_SIZE(experiment_counts)];
	for (size_t i = 0; i < ARRAY_SIZE(experiment_counts); i++) {
		tables[i] = experiment_counts[i].table;
		sql[i] = experiment_counts[i].sql;
	}
	return add_counts(tx, id, counts, ARRAY_SIZE(experiment_counts), tables, sql, err);
}

/* ---- registry rows ------------------------------------------------------------ */

/* The key of registered model `name` (cached for its following rows). */
static int model_key(struct store_import_tx *tx, const char *name, int64_t *pk, struct mlf_err *err)
{
	if (tx->model_name && strcmp(tx->model_name, name) == 0) {
		*pk = tx->model_pk;
		return 0;
	}
	bool found;
	sqlite3_stmt *s = tx_stmt(tx, IS_RM_PK, err);
	if (!s)
		return -1;
	sqlite_bind_text(s, 1, name);
	if (tx_run(tx, s, pk, &found, "find registered model", err) < 0)
		return -1;
	if (!found)
		return mlf_errorf(err, MLF_INVALID_STATE, "registered model '%s' has not been imported", name);
	free(tx->model_name);
	tx->model_name = xstrdup(name);
	tx->model_pk = *pk;
	return 0;
}

static const int model_children[] = { IS_RM_CLEAR_TAGS, IS_RM_CLEAR_VERSIONS, IS_RM_CLEAR_VERSION_TAGS,
				      IS_RM_CLEAR_ALIASES };

static int sqi_put_registered_model(struct store_import_tx *tx, const char *name, int64_t creation_time,
				    int64_t last_updated_time, const char *description, struct mlf_err *err)
{
	/* an update first: a failed INSERT would still move the key counter */
	int64_t pk = 0;
	bool found = false;
	for (int id = IS_RM_UPDATE; !found; id = IS_RM_INSERT) {
		sqlite3_stmt *s = tx_stmt(tx, id, err);
		if (!s)
			return -1;
		sqlite_bind_text(s, 1, name);
		sqlite3_bind_int64(s, 2, creation_time);
		sqlite3_bind_int64(s, 3, last_updated_time);
		sqlite_bind_text(s, 4, description);
		if (tx_run(tx, s, &pk, &found, "import registered model", err) < 0)
			return -1;
		if (id == IS_RM_INSERT && !found)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "registered model '%s' was not inserted", name);
	}
	free(tx->model_name);
	tx->model_name = xstrdup(name);
	tx->model_pk = pk;
	for (size_t i = 0; i < ARRAY_SIZE(model_children); i++)
		if (tx_exec_id(tx, model_children[i], pk, "clear registered model rows", err) < 0)
			return -1;
	return 0;
}

static int sqi_put_registered_model_tag(struct store_import_tx *tx, const char *name, const char *key,
					const char *value, struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	sqlite3_stmt *s = tx_stmt(tx, IS_RM_TAG, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pk);
	sqlite_bind_text(s, 2, key);
	sqlite_bind_text(s, 3, value ? value : "");
	return tx_run(tx, s, NULL, NULL, "import registered model tag", err);
}

static int sqi_put_model_version(struct store_import_tx *tx, const struct store_import_version *v, struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, v->name, &pk, err) < 0)
		return -1;
	sqlite3_stmt *s = tx_stmt(tx, IS_MV, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pk);
	sqlite3_bind_int64(s, 2, v->version);
	sqlite3_bind_int64(s, 3, v->creation_time);
	sqlite3_bind_int64(s, 4, v->last_updated_time);
	sqlite_bind_text(s, 5, v->description);
	sqlite_bind_text(s, 6, v->user_id);
	sqlite_bind_text(s, 7, v->current_stage ? v->current_stage : "None");
	sqlite_bind_text(s, 8, v->source ? v->source : "");
	sqlite_bind_text(s, 9, v->storage_location);
	sqlite_bind_text(s, 10, v->run_id ? v->run_id : "");
	sqlite_bind_text(s, 11, v->run_link ? v->run_link : "");
	sqlite_bind_text(s, 12, v->status ? v->status : "READY");
	sqlite_bind_text(s, 13, v->status_message);
	sqlite_bind_text(s, 14, v->model_id);
	return tx_run(tx, s, NULL, NULL, "import model version", err);
}

static int sqi_put_model_version_tag(struct store_import_tx *tx, const char *name, int64_t version, const char *key,
				     const char *value, struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	sqlite3_stmt *s = tx_stmt(tx, IS_MV_TAG, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pk);
	sqlite3_bind_int64(s, 2, version);
	sqlite_bind_text(s, 3, key);
	sqlite_bind_text(s, 4, value ? value : "");
	return tx_run(tx, s, NULL, NULL, "import model version tag", err);
}

static int sqi_put_alias(struct store_import_tx *tx, const char *name, const char *alias, int64_t version,
			 struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	sqlite3_stmt *s = tx_stmt(tx, IS_ALIAS, err);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pk);
	sqlite_bind_text(s, 2, alias);
	sqlite3_bind_int64(s, 3, version);
	return tx_run(tx, s, NULL, NULL, "import alias", err);
}

static int sqi_count_model(struct store_import_tx *tx, const char *name, int64_t counts[STORE_IMPORT_N_TABLES],
			   struct mlf_err *err)
{
	int64_t pk;
	if (model_key(tx, name, &pk, err) < 0)
		return -1;
	enum store_import_table tables[ARRAY_SIZE(model_counts)];
	const char *sql[ARRAY_SIZE(model_counts)];
	for (size_t i = 0; i < ARRAY_SIZE(model_counts); i++) {
		tables[i] = model_counts[i].table;
		sql[i] = model_counts[i].sql;
	}
	return add_counts(tx, pk, counts, ARRAY_SIZE(model_counts), tables, sql, err);
}

/* AUTOINCREMENT's counter of experiments, in sqlite_sequence, moved up to `high`. */
static int sqi_reserve_experiment_ids(struct store_import_tx *tx, int64_t high, struct mlf_err *err)
{
	if (tx_exec_id(tx, IS_EXP_SEQ_ADD, high, "reserve experiment ids", err) < 0)
		return -1;
	return tx_exec_id(tx, IS_EXP_SEQ_RAISE, high, "reserve experiment ids", err);
}

const struct store_import_ops store_sqlite_import_ops = {
	.transaction = sqi_transaction,
	.put_experiment = sqi_put_experiment,
	.put_run = sqi_put_run,
	.put_param = sqi_put_param,
	.put_tag = sqi_put_tag,
	.put_metric = sqi_put_metric,
	.finish_run = sqi_finish_run,
	.latest_metric = sqi_latest_metric,
	.put_dataset = sqi_put_dataset,
	.put_input = sqi_put_input,
	.put_model_link = sqi_put_model_link,
	.put_logged_model = sqi_put_logged_model,
	.put_logged_model_param = sqi_put_logged_model_param,
	.put_logged_model_tag = sqi_put_logged_model_tag,
	.put_logged_model_metric = sqi_put_logged_model_metric,
	.count_experiment = sqi_count_experiment,
	.put_registered_model = sqi_put_registered_model,
	.put_registered_model_tag = sqi_put_registered_model_tag,
	.put_model_version = sqi_put_model_version,
	.put_model_version_tag = sqi_put_model_version_tag,
	.put_alias = sqi_put_alias,
	.count_model = sqi_count_model,
	.reserve_experiment_ids = sqi_reserve_experiment_ids,
};
