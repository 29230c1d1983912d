/*
 * store_pg_import_sql.h - the fixed SQL texts of the PostgreSQL store's
 * import rows (store_pg_import.c), one row each of the store's statement
 * table (joined in store_pg_sql.h as PS_IMP_<name>). Every write is an
 * upsert keyed by MLflow's identity, the twin of store_sqlite_import.c's
 * statements; a run's points, params and tags go in as arrays, one
 * statement per batch. Not for use outside src/store.
 */
#ifndef MLF_STORE_PG_IMPORT_SQL_H
#define MLF_STORE_PG_IMPORT_SQL_H

/* clang-format off */
#define PG_IMPORT_STMTS(X) \
	X(IMP_EXP_FIND, "SELECT experiment_id, name, EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.experiment_id) " \
		"FROM experiments e WHERE experiment_id = $1::bigint OR name = $2::text") \
	X(IMP_EXP_UPSERT, "INSERT INTO experiments(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) " \
		"VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT (experiment_id) DO UPDATE SET name = excluded.name, " \
		"artifact_location = excluded.artifact_location, lifecycle_stage = excluded.lifecycle_stage, " \
		"creation_time = excluded.creation_time, last_update_time = excluded.last_update_time") \
	/* moves the experiment id sequence up to an imported id, never down \
	 * (a server may have handed out higher ids meanwhile) */ \
	X(IMP_EXP_SEQ, "SELECT setval(s.seq, $1::bigint) FROM (SELECT pg_get_serial_sequence('experiments', 'experiment_id')::regclass AS seq) s " \
		"WHERE COALESCE(pg_sequence_last_value(s.seq), 0) < $1::bigint") \
	X(IMP_EXP_TAGS_CLEAR, "DELETE FROM experiment_tags WHERE experiment_id = $1") \
	X(IMP_EXP_TAG, "INSERT INTO experiment_tags(experiment_id, key, value) VALUES($1, $2, $3) " \
		"ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value") \
	X(IMP_RUN_UPSERT, "INSERT INTO runs(run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, " \
		"lifecycle_stage, deleted_time) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (run_uuid) DO UPDATE SET " \
		"experiment_id = excluded.experiment_id, name = excluded.name, user_id = excluded.user_id, status = excluded.status, " \
		"start_time = excluded.start_time, end_time = excluded.end_time, artifact_uri = excluded.artifact_uri, " \
		"lifecycle_stage = excluded.lifecycle_stage, deleted_time = excluded.deleted_time RETURNING run_pk") \
	/* a run's child rows, emptied in one round trip when the run is put */ \
	X(IMP_RUN_CLEAR, "WITH p AS (DELETE FROM params WHERE run_pk = $1::bigint), t AS (DELETE FROM tags WHERE run_pk = $1::bigint), " \
		"m AS (DELETE FROM metrics WHERE run_pk = $1::bigint), l AS (DELETE FROM latest_metrics WHERE run_pk = $1::bigint), " \
		"i AS (DELETE FROM run_inputs WHERE run_pk = $1::bigint), it AS (DELETE FROM input_tags WHERE run_pk = $1::bigint) " \
		"DELETE FROM run_model_links WHERE run_pk = $1::bigint") \
	/* a later duplicate key wins, as INSERT OR REPLACE row by row */ \
	X(IMP_PARAMS, "INSERT INTO params(run_pk, key, value) SELECT DISTINCT ON (t.k) $1::bigint, t.k, t.v " \
		"FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(k, v, o) ORDER BY t.k, t.o DESC " \
		"ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value") \
	X(IMP_TAGS, "INSERT INTO tags(run_pk, key, value) SELECT DISTINCT ON (t.k) $1::bigint, t.k, t.v " \
		"FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(k, v, o) ORDER BY t.k, t.o DESC " \
		"ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value") \
	X(IMP_KEYS, "INSERT INTO metric_keys(key) SELECT DISTINCT t.k FROM unnest($1::text[]) AS t(k) " \
		"WHERE NOT EXISTS (SELECT 1 FROM metric_keys m WHERE m.key = t.k) ORDER BY t.k ON CONFLICT (key) DO NOTHING") \
	X(IMP_METRICS, "INSERT INTO metrics(run_pk, key_id, timestamp, step, value, is_nan) " \
		"SELECT $1::bigint, k.key_id, t.ts, t.s, t.v, t.n " \
		"FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::float8[], $6::smallint[]) AS t(k, ts, s, v, n) " \
		"JOIN metric_keys k ON k.key = t.k ON CONFLICT DO NOTHING") \
	X(IMP_LATEST_SET, "INSERT INTO latest_metrics(run_pk, key_id, value, timestamp, step, is_nan) " \
		"SELECT DISTINCT ON (key_id) run_pk, key_id, value, timestamp, step, is_nan FROM metrics WHERE run_pk = $1::bigint " \
		"ORDER BY key_id, step DESC, timestamp DESC, value DESC") \
	X(IMP_LATEST_GET, "SELECT l.value, l.timestamp, l.step, l.is_nan FROM latest_metrics l JOIN metric_keys k ON k.key_id = l.key_id " \
		"WHERE l.run_pk = $1::bigint AND k.key = $2::text") \
	X(IMP_DATASET_UPSERT, "INSERT INTO datasets(dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile) " \
		"VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dataset_uuid) DO UPDATE SET experiment_id = excluded.experiment_id, " \
		"name = excluded.name, digest = excluded.digest, source_type = excluded.source_type, source = excluded.source, " \
		"schema = excluded.schema, profile = excluded.profile") \
	X(IMP_DATASET_PK, "SELECT dataset_pk FROM datasets WHERE dataset_uuid = $1") \
	X(IMP_INPUT, "INSERT INTO run_inputs(run_pk, dataset_pk, seq) VALUES($1, $2, $3) " \
		"ON CONFLICT (run_pk, dataset_pk) DO UPDATE SET seq = excluded.seq") \
	X(IMP_INPUT_TAG, "INSERT INTO input_tags(run_pk, dataset_pk, key, value) VALUES($1, $2, $3, $4) " \
		"ON CONFLICT (run_pk, dataset_pk, key) DO UPDATE SET value = excluded.value") \
	X(IMP_LINK, "INSERT INTO run_model_links(run_pk, direction, model_id, step) VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING") \
	X(IMP_LM_UPSERT, "INSERT INTO logged_models(model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, " \
		"status, lifecycle_stage, model_type, source_run_id, status_message) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) " \
		"ON CONFLICT (model_id) DO UPDATE SET experiment_id = excluded.experiment_id, name = excluded.name, " \
		"artifact_location = excluded.artifact_location, creation_time = excluded.creation_time, " \
		"last_updated_time = excluded.last_updated_time, status = excluded.status, lifecycle_stage = excluded.lifecycle_stage, " \
		"model_type = excluded.model_type, source_run_id = excluded.source_run_id, status_message = excluded.status_message") \
	X(IMP_LM_CLEAR, "WITH p AS (DELETE FROM logged_model_params WHERE model_id = $1::text), " \
		"t AS (DELETE FROM logged_model_tags WHERE model_id = $1::text) DELETE FROM logged_model_metrics WHERE model_id = $1::text") \
	X(IMP_LM_PARAM, "INSERT INTO logged_model_params(model_id, key, value) VALUES($1, $2, $3) " \
		"ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value") \
	X(IMP_LM_TAG, "INSERT INTO logged_model_tags(model_id, key, value) VALUES($1, $2, $3) " \
		"ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value") \
	X(IMP_LM_METRIC, "INSERT INTO logged_model_metrics(model_id, key, timestamp, step, value, is_nan, run_id, dataset_name, " \
		"dataset_digest) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (model_id, key, timestamp, step, run_id) " \
		"DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, dataset_name = excluded.dataset_name, " \
		"dataset_digest = excluded.dataset_digest") \
	X(IMP_RM_UPSERT, "INSERT INTO registered_models(name, creation_time, last_updated_time, description) VALUES($1, $2, $3, $4) " \
		"ON CONFLICT (name) DO UPDATE SET creation_time = excluded.creation_time, last_updated_time = excluded.last_updated_time, " \
		"description = excluded.description RETURNING model_pk") \
	X(IMP_RM_PK, "SELECT model_pk FROM registered_models WHERE name = $1") \
	X(IMP_RM_CLEAR, "WITH t AS (DELETE FROM registered_model_tags WHERE model_pk = $1::bigint), " \
		"vt AS (DELETE FROM model_version_tags WHERE model_pk = $1::bigint), " \
		"a AS (DELETE FROM registered_model_aliases WHERE model_pk = $1::bigint) " \
		"DELETE FROM model_versions WHERE model_pk = $1::bigint") \
	X(IMP_RM_TAG, "INSERT INTO registered_model_tags(model_pk, key, value) VALUES($1, $2, $3) " \
		"ON CONFLICT (model_pk, key) DO UPDATE SET value = excluded.value") \
	X(IMP_MV, "INSERT INTO model_versions(model_pk, version, creation_time, last_updated_time, description, user_id, " \
		"current_stage, source, storage_location, run_id, run_link, status, status_message, model_id) " \
		"VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (model_pk, version) DO UPDATE SET " \
		"creation_time = excluded.creation_time, last_updated_time = excluded.last_updated_time, " \
		"description = excluded.description, user_id = excluded.user_id, current_stage = excluded.current_stage, " \
		"source = excluded.source, storage_location = excluded.storage_location, run_id = excluded.run_id, " \
		"run_link = excluded.run_link, status = excluded.status, status_message = excluded.status_message, " \
		"model_id = excluded.model_id") \
	X(IMP_MV_TAG, "INSERT INTO model_version_tags(model_pk, version, key, value) VALUES($1, $2, $3, $4) " \
		"ON CONFLICT (model_pk, version, key) DO UPDATE SET value = excluded.value") \
	X(IMP_ALIAS, "INSERT INTO registered_model_aliases(model_pk, alias, version) VALUES($1, $2, $3) " \
		"ON CONFLICT (model_pk, alias) DO UPDATE SET version = excluded.version") \
	/* what the destination holds for one experiment ($1), in the report's order */ \
	X(IMP_COUNT_EXPERIMENT, "SELECT " \
		"(SELECT count(*) FROM experiments WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM experiment_tags WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM runs WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM params JOIN runs USING (run_pk) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM tags JOIN runs USING (run_pk) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM metrics JOIN runs USING (run_pk) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM latest_metrics JOIN runs USING (run_pk) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM datasets WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM run_inputs JOIN runs USING (run_pk) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM input_tags JOIN runs USING (run_pk) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM run_model_links JOIN runs USING (run_pk) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM logged_models WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM logged_model_params JOIN logged_models USING (model_id) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM logged_model_tags JOIN logged_models USING (model_id) WHERE experiment_id = $1::bigint), " \
		"(SELECT count(*) FROM logged_model_metrics JOIN logged_models USING (model_id) WHERE experiment_id = $1::bigint)") \
	/* and for one registered model ($1: its key) */ \
	X(IMP_COUNT_MODEL, "SELECT " \
		"(SELECT count(*) FROM registered_models WHERE model_pk = $1::bigint), " \
		"(SELECT count(*) FROM registered_model_tags WHERE model_pk = $1::bigint), " \
		"(SELECT count(*) FROM model_versions WHERE model_pk = $1::bigint), " \
		"(SELECT count(*) FROM model_version_tags WHERE model_pk = $1::bigint), " \
		"(SELECT count(*) FROM registered_model_aliases WHERE model_pk = $1::bigint)")
/* clang-format on */

#endif
