/*
 * store_sqlite_sql.h - every fixed SQL text of the SQLite store (tracking,
 * registry, logged models) as one table of statement ids, prepared once per
 * connection by the statement cache (sqlite_conn_stmt) and reset between
 * uses (users and permissions list theirs in store_sqlite_auth_sql.h).
 * Only search statements, whose text sqlgen builds per request, are
 * prepared per call. Not for use outside src/store.
 */
#ifndef MLF_STORE_SQLITE_SQL_H
#define MLF_STORE_SQLITE_SQL_H

#include "store_sqlite_auth_sql.h"

/* A deleted version keeps its number in this stage (never shown). */
#define STAGE_DELETED "Deleted_Internal"

/* The columns version_from_row reads, from model_versions v joined with
 * registered_models m. */
#define VERSION_COLS                                                                                        \
	"m.name, v.version, v.creation_time, v.last_updated_time, v.user_id, v.current_stage, v.description, " \
	"v.source, v.storage_location, v.run_id, v.run_link, v.status, v.status_message, v.model_pk, v.model_id"
#define VERSION_FROM " FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk"
/* The columns model_from_row reads (registered_models m). */
#define REG_MODEL_COLS "m.model_pk, m.name, m.creation_time, m.last_updated_time, m.description"
/* The columns of a logged model, in model_from_row's order. */
#define LOGGED_MODEL_COLS                                                                                \
	"model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, status, " \
	"lifecycle_stage, model_type, source_run_id, status_message"

/* clang-format off */
#define STMTS(X) \
	X(EXP_INSERT, "INSERT INTO experiments(name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES(?1, '', 'active', ?2, ?2)") \
	X(EXP_INSERT_DEFAULT, "INSERT OR IGNORE INTO experiments(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES(0, ?3, ?1, 'active', ?2, ?2)") \
	X(EXP_SET_LOCATION, "UPDATE experiments SET artifact_location = ?2 WHERE experiment_id = ?1") \
	X(EXP_BY_ID, "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments WHERE experiment_id = ?1") \
	X(EXP_BY_NAME, "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments WHERE name = ?1") \
	X(EXP_TAGS, "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1") \
	X(EXP_NAME_TAKEN, "SELECT 1 FROM experiments WHERE name = ?1") \
	X(EXP_SET_STAGE, "UPDATE experiments SET lifecycle_stage = ?2, last_update_time = ?3 WHERE experiment_id = ?1") \
	X(EXP_RUNS_SET_STAGE, "UPDATE runs SET lifecycle_stage = ?2, deleted_time = ?3 WHERE experiment_id = ?1 AND lifecycle_stage != ?2") \
	X(EXP_RENAME, "UPDATE experiments SET name = ?2, last_update_time = ?3 WHERE experiment_id = ?1") \
	X(EXP_TAG_UPSERT, "INSERT INTO experiment_tags(experiment_id, key, value) VALUES(?1, ?2, ?3) ON CONFLICT(experiment_id, key) DO UPDATE SET value = excluded.value") \
	X(EXP_TAG_DELETE, "DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2") \
	X(RUN_INSERT, "INSERT INTO runs(run_uuid, experiment_id, name, user_id, status, start_time, artifact_uri, lifecycle_stage) VALUES(?1, ?2, ?3, ?4, 'RUNNING', ?5, ?6, 'active')") \
	X(RUN_BY_UUID, "SELECT run_pk, run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage FROM runs WHERE run_uuid = ?1") \
	X(RUN_BY_PK, "SELECT run_pk, run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage FROM runs WHERE run_pk = ?1") \
	X(RUN_SET_STATUS, "UPDATE runs SET status = ?2 WHERE run_pk = ?1") \
	X(RUN_SET_END, "UPDATE runs SET end_time = ?2 WHERE run_pk = ?1") \
	X(RUN_SET_NAME, "UPDATE runs SET name = ?2 WHERE run_pk = ?1") \
	X(RUN_SET_STAGE, "UPDATE runs SET lifecycle_stage = ?2, deleted_time = ?3 WHERE run_pk = ?1") \
	X(RUN_TAGS, "SELECT key, value FROM tags WHERE run_pk = ?1") \
	X(RUN_PARAMS, "SELECT key, value FROM params WHERE run_pk = ?1") \
	X(RUN_LATEST, "SELECT k.key, l.value, l.timestamp, l.step, l.is_nan FROM latest_metrics l JOIN metric_keys k ON k.key_id = l.key_id WHERE l.run_pk = ?1") \
	X(RUN_INPUTS, "SELECT d.dataset_pk, d.name, d.digest, d.source_type, d.source, d.schema, d.profile FROM run_inputs i JOIN datasets d ON d.dataset_pk = i.dataset_pk WHERE i.run_pk = ?1 ORDER BY i.seq") \
	X(PAGE_LATEST, "SELECT l.run_pk, k.key, l.value, l.timestamp, l.step, l.is_nan FROM latest_metrics l JOIN metric_keys k ON k.key_id = l.key_id WHERE l.run_pk IN (SELECT value FROM json_each(?1)) ORDER BY l.run_pk") \
	X(PAGE_PARAMS, "SELECT run_pk, key, value FROM params WHERE run_pk IN (SELECT value FROM json_each(?1)) ORDER BY run_pk") \
	X(PAGE_TAGS, "SELECT run_pk, key, value FROM tags WHERE run_pk IN (SELECT value FROM json_each(?1)) ORDER BY run_pk") \
	X(PAGE_WITH_INPUTS, "SELECT DISTINCT run_pk FROM run_inputs WHERE run_pk IN (SELECT value FROM json_each(?1))") \
	X(PAGE_OUTPUTS, "SELECT run_pk, model_id, step FROM run_model_links WHERE direction = 'output' AND run_pk IN (SELECT value FROM json_each(?1)) ORDER BY run_pk, link_id") \
	X(INPUT_TAGS, "SELECT key, value FROM input_tags WHERE run_pk = ?1 AND dataset_pk = ?2") \
	X(TAG_UPSERT, "INSERT INTO tags(run_pk, key, value) VALUES(?1, ?2, ?3) ON CONFLICT(run_pk, key) DO UPDATE SET value = excluded.value") \
	X(TAG_DELETE, "DELETE FROM tags WHERE run_pk = ?1 AND key = ?2") \
	X(PARAM_INSERT, "INSERT INTO params(run_pk, key, value) VALUES(?1, ?2, ?3) ON CONFLICT(run_pk, key) DO NOTHING") \
	X(PARAM_GET, "SELECT value FROM params WHERE run_pk = ?1 AND key = ?2") \
	X(KEY_INSERT, "INSERT OR IGNORE INTO metric_keys(key) VALUES(?1)") \
	X(KEY_GET, "SELECT key_id FROM metric_keys WHERE key = ?1") \
	X(MODEL_METRIC_UPSERT, "INSERT OR REPLACE INTO logged_model_metrics(model_id, key, timestamp, step, value, is_nan, run_id, dataset_name, dataset_digest) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") \
	X(METRIC_INSERT, "INSERT OR IGNORE INTO metrics(run_pk, key_id, timestamp, step, value, is_nan) VALUES(?1, ?2, ?3, ?4, ?5, ?6)") \
	X(LATEST_UPSERT, "INSERT INTO latest_metrics(run_pk, key_id, value, timestamp, step, is_nan) VALUES(?1, ?2, ?3, ?4, ?5, ?6) " \
		"ON CONFLICT(run_pk, key_id) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan " \
		"WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)") \
	X(RUN_KEY_STEPS, "SELECT m.step FROM metrics m WHERE m.run_pk = (SELECT run_pk FROM runs WHERE run_uuid = ?1) AND m.key_id = (SELECT key_id FROM metric_keys WHERE key = ?2)") \
	X(RUN_KEY_POINTS, "SELECT m.step, m.timestamp, m.value, m.is_nan FROM metrics m WHERE m.run_pk = (SELECT run_pk FROM runs WHERE run_uuid = ?1) AND m.key_id = (SELECT key_id FROM metric_keys WHERE key = ?2)") \
	X(HISTORY, "SELECT m.timestamp, m.step, m.value, m.is_nan FROM metrics m WHERE m.run_pk = (SELECT run_pk FROM runs WHERE run_uuid = ?1) AND m.key_id = (SELECT key_id FROM metric_keys WHERE key = ?2) ORDER BY m.timestamp, m.step, m.value LIMIT ?3 OFFSET ?4") \
	X(DATASET_INSERT, "INSERT OR IGNORE INTO datasets(dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") \
	X(DATASET_GET, "SELECT dataset_pk FROM datasets WHERE experiment_id = ?1 AND name = ?2 AND digest = ?3") \
	X(INPUT_INSERT, "INSERT OR IGNORE INTO run_inputs(run_pk, dataset_pk, seq) VALUES(?1, ?2, (SELECT count(*) FROM run_inputs WHERE run_pk = ?1))") \
	X(INPUT_TAG_INSERT, "INSERT OR IGNORE INTO input_tags(run_pk, dataset_pk, key, value) VALUES(?1, ?2, ?3, ?4)")
/* clang-format on */

/* clang-format off */
#define REGISTRY_STMTS(X) \
	X(REG_MODEL_PK, "SELECT model_pk FROM registered_models WHERE name = ?1") \
	X(REG_VERSION_PK, "SELECT v.model_pk" VERSION_FROM " WHERE m.name = ?1 AND v.version = ?2 AND v.current_stage != '" STAGE_DELETED "'") \
	X(REG_MODEL_TOUCH, "UPDATE registered_models SET last_updated_time = ?2 WHERE model_pk = ?1") \
	X(REG_VERSION_ALIASES, "SELECT alias, NULL FROM registered_model_aliases WHERE model_pk = ?1 AND version = ?2 ORDER BY alias") \
	X(REG_VERSIONS_TAGS, "SELECT model_pk, version, key, value FROM model_version_tags WHERE (model_pk, version) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)) ORDER BY model_pk, version, key") \
	X(REG_VERSION_GET, "SELECT " VERSION_COLS VERSION_FROM " WHERE m.name = ?1 AND v.version = ?2 AND v.current_stage != '" STAGE_DELETED "'") \
	X(REG_MODEL_LATEST, "SELECT " VERSION_COLS VERSION_FROM " WHERE v.model_pk = ?1 AND v.version IN (SELECT MAX(w.version) FROM model_versions w WHERE w.model_pk = ?1 AND w.current_stage != '" STAGE_DELETED "' GROUP BY w.current_stage) ORDER BY (SELECT MIN(w.version) FROM model_versions w WHERE w.model_pk = ?1 AND w.current_stage = v.current_stage)") \
	X(REG_MODEL_TAGS, "SELECT key, value FROM registered_model_tags WHERE model_pk = ?1 ORDER BY key") \
	X(REG_MODEL_ALIASES, "SELECT alias, version FROM registered_model_aliases WHERE model_pk = ?1 ORDER BY alias") \
	X(REG_MODEL_GET, "SELECT " REG_MODEL_COLS " FROM registered_models m WHERE m.name = ?1") \
	X(REG_ALIAS_VERSION_BY_NAME, "SELECT a.version FROM registered_model_aliases a JOIN registered_models m ON m.model_pk = a.model_pk WHERE m.name = ?1 AND a.alias = ?2") \
	X(REG_MODELS_ALIASES, "SELECT model_pk, 0, alias, version FROM registered_model_aliases WHERE model_pk IN (SELECT value FROM json_each(?1)) ORDER BY model_pk, alias") \
	X(REG_MODELS_LATEST, "SELECT " VERSION_COLS VERSION_FROM " WHERE v.model_pk IN (SELECT value FROM json_each(?1)) AND v.current_stage != '" STAGE_DELETED "' AND v.version = (SELECT MAX(w.version) FROM model_versions w WHERE w.model_pk = v.model_pk AND w.current_stage = v.current_stage) ORDER BY v.model_pk, (SELECT MIN(w.version) FROM model_versions w WHERE w.model_pk = v.model_pk AND w.current_stage = v.current_stage)") \
	X(REG_MODELS_TAGS, "SELECT model_pk, 0, key, value FROM registered_model_tags WHERE model_pk IN (SELECT value FROM json_each(?1)) ORDER BY model_pk, key") \
	X(REG_HISTORY_INSERT, "INSERT INTO registry_history (model_pk, name, version, kind, alias, from_value, to_value, user_id, time, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)") \
	X(REG_HISTORY, "SELECT event_id, name, version, kind, alias, from_value, to_value, user_id, time, comment FROM registry_history WHERE model_pk = ?1 AND (?2 <= 0 OR version = ?2) ORDER BY event_id") \
	X(REG_MODEL_TAG_UPSERT, "INSERT INTO registered_model_tags (model_pk, key, value) VALUES (?1, ?2, ?3) ON CONFLICT (model_pk, key) DO UPDATE SET value = excluded.value") \
	X(REG_MODEL_INSERT, "INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?1, ?2, ?2, ?3)") \
	X(REG_MODEL_RENAME, "UPDATE registered_models SET name = ?2, last_updated_time = ?3 WHERE model_pk = ?1") \
	X(REG_MODEL_SET_DESCRIPTION, "UPDATE registered_models SET description = ?2, last_updated_time = ?3 WHERE model_pk = ?1") \
	X(REG_MODEL_TAG_DELETE, "DELETE FROM registered_model_tags WHERE model_pk = ?1 AND key = ?2") \
	X(REG_ALIAS_VERSION, "SELECT version FROM registered_model_aliases WHERE model_pk = ?1 AND alias = ?2") \
	X(REG_ALIAS_UPSERT, "INSERT INTO registered_model_aliases (model_pk, alias, version) VALUES (?1, ?2, ?3) ON CONFLICT (model_pk, alias) DO UPDATE SET version = excluded.version") \
	X(REG_ALIAS_DELETE, "DELETE FROM registered_model_aliases WHERE model_pk = ?1 AND alias = ?2") \
	X(REG_VERSION_NEXT, "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model_pk = ?1") \
	X(REG_VERSION_INSERT, "INSERT INTO model_versions (model_pk, version, creation_time, last_updated_time, description, user_id, current_stage, source, storage_location, run_id, run_link, status, model_id) VALUES (?1, ?2, ?3, ?3, ?4, ?5, 'None', ?6, ?7, ?8, ?9, 'READY', ?10)") \
	X(REG_VERSION_TAG_UPSERT, "INSERT INTO model_version_tags (model_pk, version, key, value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (model_pk, version, key) DO UPDATE SET value = excluded.value") \
	X(REG_VERSION_SET_DESCRIPTION, "UPDATE model_versions SET description = ?3, last_updated_time = ?4 WHERE model_pk = ?1 AND version = ?2") \
	X(REG_VERSION_REDACT, "UPDATE model_versions SET current_stage = '" STAGE_DELETED "', description = NULL, user_id = NULL, status_message = NULL, source = 'REDACTED-SOURCE-PATH', storage_location = NULL, run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', last_updated_time = ?3 WHERE model_pk = ?1 AND version = ?2") \
	X(REG_VERSION_TAGS_DELETE, "DELETE FROM model_version_tags WHERE model_pk = ?1 AND version = ?2") \
	X(REG_VERSION_TAG_DELETE, "DELETE FROM model_version_tags WHERE model_pk = ?1 AND version = ?2 AND key = ?3") \
	X(REG_VERSION_SET_STAGE, "UPDATE model_versions SET current_stage = ?3, last_updated_time = ?4 WHERE model_pk = ?1 AND version = ?2") \
	X(REG_VERSIONS_IN_STAGE, "SELECT version FROM model_versions WHERE model_pk = ?1 AND current_stage = ?2 AND version != ?3 ORDER BY version") \
	X(REG_MODEL_DELETE_VERSION_TAGS, "DELETE FROM model_version_tags WHERE model_pk = ?1") \
	X(REG_MODEL_DELETE_ALIASES, "DELETE FROM registered_model_aliases WHERE model_pk = ?1") \
	X(REG_MODEL_DELETE_VERSIONS, "DELETE FROM model_versions WHERE model_pk = ?1") \
	X(REG_MODEL_DELETE_TAGS, "DELETE FROM registered_model_tags WHERE model_pk = ?1") \
	X(REG_MODEL_DELETE, "DELETE FROM registered_models WHERE model_pk = ?1")

#define LOGGED_STMTS(X) \
	X(LM_MODEL_EXPERIMENT, "SELECT experiment_id FROM logged_models WHERE model_id = ?1") \
	X(LM_EXPERIMENT, "SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ?1") \
	X(LM_RUN_ACTIVE, "SELECT run_pk, lifecycle_stage = 'active' FROM runs WHERE run_uuid = ?1") \
	X(LM_METRICS, "SELECT key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest FROM logged_model_metrics WHERE model_id = ?1 ORDER BY key, timestamp, step") \
	X(LM_TAGS, "SELECT key, value FROM logged_model_tags WHERE model_id = ?1 ORDER BY key") \
	X(LM_PARAMS, "SELECT key, value FROM logged_model_params WHERE model_id = ?1 ORDER BY key") \
	X(LM_MODEL_GET, "SELECT " LOGGED_MODEL_COLS " FROM logged_models WHERE model_id = ?1 AND (?2 OR lifecycle_stage = 'active')") \
	X(LM_RUN_LINKS, "SELECT direction = 'output', model_id, step FROM run_model_links WHERE run_pk = ?1 ORDER BY link_id") \
	X(LM_MODEL_INSERT, "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, status, lifecycle_stage, model_type, source_run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 'active', ?7, ?8)") \
	X(LM_MODEL_TOUCH, "UPDATE logged_models SET last_updated_time = ?2 WHERE model_id = ?1") \
	X(LM_MODEL_SET_STATUS, "UPDATE logged_models SET status = ?2, last_updated_time = ?3 WHERE model_id = ?1") \
	X(LM_MODEL_DELETE, "UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_time = ?2 WHERE model_id = ?1") \
	X(LM_TAG_DELETE, "DELETE FROM logged_model_tags WHERE model_id = ?1 AND key = ?2") \
	X(LM_LINK_INSERT, "INSERT OR IGNORE INTO run_model_links (run_pk, direction, model_id, step) VALUES (?1, ?2, ?3, ?4)") \
	X(LM_TAG_UPSERT, "INSERT INTO logged_model_tags (model_id, key, value) VALUES (?1, ?2, ?3) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value") \
	X(LM_PARAM_UPSERT, "INSERT INTO logged_model_params (model_id, key, value) VALUES (?1, ?2, ?3) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value")
/* clang-format on */

enum stmt_id {
#define X(id, sql) S_##id,
	STMTS(X) REGISTRY_STMTS(X) LOGGED_STMTS(X) AUTH_STMTS(X)
#undef X
		S_COUNT
};

#endif
