/*
 * store_pg_registry_sql.h - the fixed SQL texts of the PostgreSQL store's
 * registry part (store_pg_registry.c), as X(name, sql) rows joined into the
 * statement table by store_pg_sql.h. Values are $N parameters, always;
 * numbers carry an explicit ::bigint so that PostgreSQL never infers a
 * narrower type for a parameter a client controls (a version number).
 *
 * They read and write the same rows as the SQLite store's REG_ statements
 * (store_sqlite_sql.h), with PostgreSQL's means where SQLite relies on its
 * single writer: REG_MODEL_LOCK takes the model's row lock before a write
 * looks at its versions, aliases or tags, REG_MODEL_INSERT claims a name
 * with ON CONFLICT, REG_VERSION_INSERT numbers the new version in the
 * statement that inserts it (under that lock), and page loads take their
 * keys as arrays.
 */
#ifndef MLF_STORE_PG_REGISTRY_SQL_H
#define MLF_STORE_PG_REGISTRY_SQL_H

/* A deleted version keeps its number in this stage (never shown). */
#define PGREG_STAGE_DELETED "Deleted_Internal"

/* The columns pgreg_version_from_row reads, from model_versions v joined
 * with registered_models m. */
#define PGREG_VERSION_COLS                                                                                  \
	"m.name, v.version, v.creation_time, v.last_updated_time, v.user_id, v.current_stage, v.description, " \
	"v.source, v.storage_location, v.run_id, v.run_link, v.status, v.status_message, v.model_pk, v.model_id"
#define PGREG_VERSION_FROM " FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk"
/* The columns pgreg_model_from_row reads (registered_models m). */
#define PGREG_MODEL_COLS "m.model_pk, m.name, m.creation_time, m.last_updated_time, m.description"
#define PGREG_HISTORY_COLS "model_pk, name, version, kind, alias, from_value, to_value, user_id, time, comment"

/* clang-format off */
#define PG_REGISTRY_STMTS(X) \
	X(REG_MODEL_PK, "SELECT model_pk FROM registered_models WHERE name = $1") \
	X(REG_MODEL_LOCK, "SELECT model_pk FROM registered_models WHERE name = $1 FOR UPDATE") \
	X(REG_VERSION_STAGE, "SELECT current_stage FROM model_versions WHERE model_pk = $1::bigint AND version = $2::bigint AND current_stage <> '" PGREG_STAGE_DELETED "'") \
	X(REG_MODEL_TOUCH, "UPDATE registered_models SET last_updated_time = $2::bigint WHERE model_pk = $1::bigint") \
	X(REG_VERSION_ALIASES, "SELECT alias, NULL FROM registered_model_aliases WHERE model_pk = $1::bigint AND version = $2::bigint ORDER BY alias") \
	X(REG_VERSIONS_TAGS, "SELECT t.model_pk, t.version, t.key, t.value FROM model_version_tags t WHERE (t.model_pk, t.version) IN (SELECT k.pk, k.version FROM unnest($1::bigint[], $2::bigint[]) AS k(pk, version)) ORDER BY t.model_pk, t.version, t.key") \
	X(REG_VERSION_GET, "SELECT " PGREG_VERSION_COLS PGREG_VERSION_FROM " WHERE m.name = $1 AND v.version = $2::bigint AND v.current_stage <> '" PGREG_STAGE_DELETED "'") \
	X(REG_MODEL_LATEST, "SELECT " PGREG_VERSION_COLS PGREG_VERSION_FROM " WHERE v.model_pk = $1::bigint AND v.version IN (SELECT MAX(w.version) FROM model_versions w WHERE w.model_pk = $1::bigint AND w.current_stage <> '" PGREG_STAGE_DELETED "' GROUP BY w.current_stage) ORDER BY (SELECT MIN(w.version) FROM model_versions w WHERE w.model_pk = $1::bigint AND w.current_stage = v.current_stage)") \
	X(REG_MODEL_TAGS, "SELECT key, value FROM registered_model_tags WHERE model_pk = $1::bigint ORDER BY key") \
	X(REG_MODEL_ALIASES, "SELECT alias, version FROM registered_model_aliases WHERE model_pk = $1::bigint ORDER BY alias") \
	X(REG_MODEL_GET, "SELECT " PGREG_MODEL_COLS " FROM registered_models m WHERE m.name = $1") \
	X(REG_ALIAS_VERSION_BY_NAME, "SELECT a.version FROM registered_model_aliases a JOIN registered_models m ON m.model_pk = a.model_pk WHERE m.name = $1 AND a.alias = $2") \
	X(REG_MODELS_ALIASES, "SELECT model_pk, 0, alias, version FROM registered_model_aliases WHERE model_pk = ANY($1::bigint[]) ORDER BY model_pk, alias") \
	X(REG_MODELS_LATEST, "SELECT " PGREG_VERSION_COLS PGREG_VERSION_FROM " WHERE v.model_pk = ANY($1::bigint[]) AND v.current_stage <> '" PGREG_STAGE_DELETED "' AND v.version = (SELECT MAX(w.version) FROM model_versions w WHERE w.model_pk = v.model_pk AND w.current_stage = v.current_stage) ORDER BY v.model_pk, (SELECT MIN(w.version) FROM model_versions w WHERE w.model_pk = v.model_pk AND w.current_stage = v.current_stage)") \
	X(REG_MODELS_TAGS, "SELECT model_pk, 0, key, value FROM registered_model_tags WHERE model_pk = ANY($1::bigint[]) ORDER BY model_pk, key") \
	X(REG_HISTORY_INSERT, "INSERT INTO registry_history (" PGREG_HISTORY_COLS ") VALUES ($1::bigint, $2, $3::bigint, $4, $5, $6, $7, $8, $9::bigint, $10)") \
	X(REG_HISTORY, "SELECT event_id, name, version, kind, alias, from_value, to_value, user_id, time, comment FROM registry_history WHERE model_pk = $1::bigint AND ($2::bigint <= 0 OR version = $2::bigint) ORDER BY event_id") \
	X(REG_MODEL_TAG_UPSERT, "INSERT INTO registered_model_tags (model_pk, key, value) VALUES ($1::bigint, $2, $3) ON CONFLICT (model_pk, key) DO UPDATE SET value = excluded.value") \
	/* all tags of a new model at once; a key given twice keeps its last value */ \
	X(REG_MODEL_TAGS_INSERT, "INSERT INTO registered_model_tags (model_pk, key, value) SELECT DISTINCT ON (t.key) $1::bigint, t.key, t.value FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(key, value, pos) ORDER BY t.key, t.pos DESC ON CONFLICT (model_pk, key) DO UPDATE SET value = excluded.value") \
	/* no row back: the name is taken */ \
	X(REG_MODEL_INSERT, "INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES ($1, $2::bigint, $2::bigint, $3) ON CONFLICT (name) DO NOTHING RETURNING model_pk") \
	X(REG_MODEL_RENAME, "UPDATE registered_models SET name = $2, last_updated_time = $3::bigint WHERE model_pk = $1::bigint") \
	X(REG_MODEL_SET_DESCRIPTION, "UPDATE registered_models SET description = $2, last_updated_time = $3::bigint WHERE model_pk = $1::bigint") \
	X(REG_MODEL_TAG_DELETE, "DELETE FROM registered_model_tags WHERE model_pk = $1::bigint AND key = $2") \
	X(REG_ALIAS_VERSION, "SELECT version FROM registered_model_aliases WHERE model_pk = $1::bigint AND alias = $2") \
	X(REG_ALIAS_UPSERT, "INSERT INTO registered_model_aliases (model_pk, alias, version) VALUES ($1::bigint, $2, $3::bigint) ON CONFLICT (model_pk, alias) DO UPDATE SET version = excluded.version") \
	X(REG_ALIAS_DELETE, "DELETE FROM registered_model_aliases WHERE model_pk = $1::bigint AND alias = $2") \
	/* numbers the version max + 1 (deleted ones included) under the model's row lock */ \
	X(REG_VERSION_INSERT, "INSERT INTO model_versions (model_pk, version, creation_time, last_updated_time, description, user_id, current_stage, source, storage_location, run_id, run_link, status, model_id) SELECT $1::bigint, COALESCE(MAX(w.version), 0) + 1, $2::bigint, $2::bigint, $3::text, $4::text, 'None', $5::text, $6::text, $7::text, $8::text, 'READY', $9::text FROM model_versions w WHERE w.model_pk = $1::bigint RETURNING version") \
	X(REG_VERSION_TAG_UPSERT, "INSERT INTO model_version_tags (model_pk, version, key, value) VALUES ($1::bigint, $2::bigint, $3, $4) ON CONFLICT (model_pk, version, key) DO UPDATE SET value = excluded.value") \
	X(REG_VERSION_TAGS_INSERT, "INSERT INTO model_version_tags (model_pk, version, key, value) SELECT DISTINCT ON (t.key) $1::bigint, $2::bigint, t.key, t.value FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS t(key, value, pos) ORDER BY t.key, t.pos DESC ON CONFLICT (model_pk, version, key) DO UPDATE SET value = excluded.value") \
	X(REG_VERSION_SET_DESCRIPTION, "UPDATE model_versions SET description = $3, last_updated_time = $4::bigint WHERE model_pk = $1::bigint AND version = $2::bigint") \
	X(REG_VERSION_REDACT, "UPDATE model_versions SET current_stage = '" PGREG_STAGE_DELETED "', description = NULL, user_id = NULL, status_message = NULL, source = 'REDACTED-SOURCE-PATH', storage_location = NULL, run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', last_updated_time = $3::bigint WHERE model_pk = $1::bigint AND version = $2::bigint") \
	X(REG_VERSION_TAGS_DELETE, "DELETE FROM model_version_tags WHERE model_pk = $1::bigint AND version = $2::bigint") \
	X(REG_VERSION_TAG_DELETE, "DELETE FROM model_version_tags WHERE model_pk = $1::bigint AND version = $2::bigint AND key = $3") \
	X(REG_VERSION_SET_STAGE, "UPDATE model_versions SET current_stage = $3, last_updated_time = $4::bigint WHERE model_pk = $1::bigint AND version = $2::bigint") \
	/* archive_existing_versions: every other version in stage $2 goes to \
	 * Archived, each move recorded (in version order) with the same actor */ \
	X(REG_VERSIONS_ARCHIVE, "WITH moved AS (UPDATE model_versions SET current_stage = 'Archived', last_updated_time = $4::bigint WHERE model_pk = $1::bigint AND current_stage = $2::text AND version <> $3::bigint RETURNING version) INSERT INTO registry_history (" PGREG_HISTORY_COLS ") SELECT $1::bigint, $5::text, moved.version, 'stage', NULL, $2::text, 'Archived', $6::text, $4::bigint, $7::text FROM moved ORDER BY moved.version") \
	X(REG_MODEL_DELETE_VERSION_TAGS, "DELETE FROM model_version_tags WHERE model_pk = $1::bigint") \
	X(REG_MODEL_DELETE_ALIASES, "DELETE FROM registered_model_aliases WHERE model_pk = $1::bigint") \
	X(REG_MODEL_DELETE_VERSIONS, "DELETE FROM model_versions WHERE model_pk = $1::bigint") \
	X(REG_MODEL_DELETE_TAGS, "DELETE FROM registered_model_tags WHERE model_pk = $1::bigint") \
	X(REG_MODEL_DELETE, "DELETE FROM registered_models WHERE model_pk = $1::bigint")
/* clang-format on */

#endif
