/*
 * store_pg_logged_sql.h - the fixed SQL texts of the PostgreSQL store's
 * logged part (store_pg_logged.c), as X(name, sql) rows joined into the
 * statement table by store_pg_sql.h. Values are $N parameters, always.
 *
 * The checks a write depends on lock the row they read (FOR SHARE on the
 * experiment or run a new row hangs off, FOR UPDATE on the model a write
 * changes), so a concurrent delete waits for the write and the check holds
 * until the commit. Children of many rows at once (a search page, a
 * request's params and tags) travel as arrays: `= ANY($1::text[])` and
 * unnest() WITH ORDINALITY, where the last of duplicate keys wins as it
 * does when rows are upserted one by one.
 */
#ifndef MLF_STORE_PG_LOGGED_SQL_H
#define MLF_STORE_PG_LOGGED_SQL_H

/* The columns of a logged model, in model_from_row's order. */
#define PG_LOGGED_MODEL_COLS                                                                             \
	"model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, status, " \
	"lifecycle_stage, model_type, source_run_id, status_message"

/* Upserts (model_id $1, keys $2, values $3) into `table`, keeping the last
 * value of a key given twice. */
#define PG_LOGGED_KV_UPSERT(table)                                                                     \
	"INSERT INTO " table " (model_id, key, value) SELECT DISTINCT ON (k) $1::text, k, v"                 \
	" FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(k, v, o) ORDER BY k, o DESC"        \
	" ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value"

/* clang-format off */
#define PG_LOGGED_STMTS(X) \
	X(LOGGED_MODEL_LOCK, "SELECT experiment_id FROM logged_models WHERE model_id = $1 FOR UPDATE") \
	X(LOGGED_MODEL_SHARE, "SELECT experiment_id FROM logged_models WHERE model_id = $1 FOR SHARE") \
	X(LOGGED_EXPERIMENT, "SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = $1 FOR SHARE") \
	X(LOGGED_RUN_ACTIVE, "SELECT run_pk, (lifecycle_stage = 'active')::int FROM runs WHERE run_uuid = $1 FOR SHARE") \
	X(LOGGED_MODEL_GET, "SELECT " PG_LOGGED_MODEL_COLS " FROM logged_models WHERE model_id = $1 AND ($2::boolean OR lifecycle_stage = 'active')") \
	X(LOGGED_PAGE_TAGS, "SELECT model_id, key, value FROM logged_model_tags WHERE model_id = ANY($1::text[]) ORDER BY model_id, key") \
	X(LOGGED_PAGE_PARAMS, "SELECT model_id, key, value FROM logged_model_params WHERE model_id = ANY($1::text[]) ORDER BY model_id, key") \
	X(LOGGED_PAGE_METRICS, "SELECT model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest FROM logged_model_metrics WHERE model_id = ANY($1::text[]) ORDER BY model_id, key, timestamp, step, run_id") \
	X(LOGGED_RUN_LINKS, "SELECT (direction = 'output')::int, model_id, step FROM run_model_links WHERE run_pk = $1 ORDER BY link_id") \
	X(LOGGED_MODEL_INSERT, "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, status, lifecycle_stage, model_type, source_run_id) VALUES ($1, $2, $3, $4, $5, $5, $6, 'active', $7, $8)") \
	X(LOGGED_MODEL_TOUCH, "UPDATE logged_models SET last_updated_time = $2 WHERE model_id = $1") \
	X(LOGGED_MODEL_SET_STATUS, "UPDATE logged_models SET status = $2, last_updated_time = $3 WHERE model_id = $1") \
	X(LOGGED_MODEL_DELETE, "UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_time = $2 WHERE model_id = $1") \
	X(LOGGED_TAG_DELETE, "DELETE FROM logged_model_tags WHERE model_id = $1 AND key = $2") \
	X(LOGGED_LINKS_INSERT, "INSERT INTO run_model_links (run_pk, direction, model_id, step) SELECT $1::bigint, $2::text, m, s FROM unnest($3::text[], $4::bigint[]) WITH ORDINALITY AS u(m, s, o) ORDER BY o ON CONFLICT (run_pk, direction, model_id, step) DO NOTHING") \
	X(LOGGED_TAGS_UPSERT, PG_LOGGED_KV_UPSERT("logged_model_tags")) \
	X(LOGGED_PARAMS_UPSERT, PG_LOGGED_KV_UPSERT("logged_model_params"))
/* clang-format on */

#endif
