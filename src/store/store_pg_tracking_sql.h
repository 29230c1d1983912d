/*
 * store_pg_tracking_sql.h - the fixed SQL texts of the PostgreSQL store's
 * tracking part (store_pg_tracking.c), as X(name, sql) rows joined into the
 * statement table by store_pg_sql.h. Values are $N parameters, always.
 *
 * Many rows travel as array parameters unnested in SQL (one statement per
 * kind of row, not one per row), and a page of runs loads its rows with
 * `= ANY($1::bigint[])`. Parameters in a SELECT list carry a cast, since
 * PostgreSQL does not infer their type from the INSERT's target. Texts
 * compare and sort by bytes (the schema's "C" collation), as on SQLite.
 */
#ifndef MLF_STORE_PG_TRACKING_SQL_H
#define MLF_STORE_PG_TRACKING_SQL_H

/* The columns exp_from_row reads, and run_info_from_row's (run_pk first). */
#define PG_EXP_COLS "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time"
#define PG_RUN_COLS \
	"run_pk, run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage"
/* The metric key's id, or NULL when the key was never logged. */
#define PG_KEY_ID(p) "(SELECT key_id FROM metric_keys WHERE key = " p ")"

/* clang-format off */
#define PG_TRACKING_STMTS(X) \
	X(EXP_INSERT, "INSERT INTO experiments(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) " \
		"SELECT n.id, $1::text, COALESCE(NULLIF($2::text, ''), $3::text || n.id::text), 'active', $4::bigint, $4::bigint " \
		"FROM (SELECT nextval(pg_get_serial_sequence('experiments', 'experiment_id')) AS id " \
		"WHERE NOT EXISTS (SELECT 1 FROM experiments WHERE name = $1::text)) n " \
		"ON CONFLICT (name) DO NOTHING RETURNING experiment_id") \
	X(EXP_INSERT_DEFAULT, "INSERT INTO experiments(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) " \
		"VALUES(0, $3, $1, 'active', $2, $2) ON CONFLICT DO NOTHING") \
	X(EXP_BY_ID, "SELECT " PG_EXP_COLS " FROM experiments WHERE experiment_id = $1") \
	X(EXP_BY_ID_LOCK, "SELECT " PG_EXP_COLS " FROM experiments WHERE experiment_id = $1 FOR NO KEY UPDATE") \
	X(EXP_BY_ID_SHARE, "SELECT " PG_EXP_COLS " FROM experiments WHERE experiment_id = $1 FOR SHARE") \
	X(EXP_BY_NAME, "SELECT " PG_EXP_COLS " FROM experiments WHERE name = $1") \
	X(EXP_PAGE_TAGS, "SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id = ANY($1::bigint[]) ORDER BY experiment_id, key") \
	X(EXP_NAME_TAKEN, "SELECT 1 FROM experiments WHERE name = $1") \
	X(EXP_SET_STAGE, "UPDATE experiments SET lifecycle_stage = $2, last_update_time = $3 WHERE experiment_id = $1") \
	X(EXP_RUNS_SET_STAGE, "UPDATE runs SET lifecycle_stage = $2::text, deleted_time = CASE WHEN $2::text = 'deleted' THEN $3::bigint END " \
		"WHERE experiment_id = $1 AND lifecycle_stage <> $2::text") \
	X(EXP_RENAME, "UPDATE experiments SET name = $2, last_update_time = $3 WHERE experiment_id = $1") \
	X(EXP_TAGS_UPSERT, "INSERT INTO experiment_tags(experiment_id, key, value) " \
		"SELECT DISTINCT ON (t.k) $1::bigint, t.k, t.v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(k, v, o) ORDER BY t.k, t.o DESC " \
		"ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value") \
	X(EXP_TAG_UPSERT, "INSERT INTO experiment_tags(experiment_id, key, value) VALUES($1, $2, $3) " \
		"ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value") \
	X(EXP_TAG_DELETE, "DELETE FROM experiment_tags WHERE experiment_id = $1 AND key = $2") \
	X(RUN_INSERT, "INSERT INTO runs(run_uuid, experiment_id, name, user_id, status, start_time, artifact_uri, lifecycle_stage) " \
		"VALUES($1, $2, $3, $4, 'RUNNING', $5, $6, 'active') RETURNING " PG_RUN_COLS) \
	X(RUN_BY_UUID, "SELECT " PG_RUN_COLS " FROM runs WHERE run_uuid = $1") \
	X(RUN_KEY_SHARE, "SELECT run_pk, lifecycle_stage, experiment_id FROM runs WHERE run_uuid = $1 FOR KEY SHARE") \
	X(RUN_LOCK, "SELECT run_pk, lifecycle_stage, experiment_id FROM runs WHERE run_uuid = $1 FOR NO KEY UPDATE") \
	X(RUN_UPDATE, "UPDATE runs SET status = COALESCE($2::text, status), end_time = COALESCE($3::bigint, end_time), " \
		"name = COALESCE($4::text, name) WHERE run_pk = $1 RETURNING " PG_RUN_COLS) \
	X(RUN_SET_NAME, "UPDATE runs SET name = $2 WHERE run_pk = $1") \
	X(RUN_SET_STAGE, "UPDATE runs SET lifecycle_stage = $2::text, deleted_time = CASE WHEN $2::text = 'deleted' THEN $3::bigint END " \
		"WHERE run_uuid = $1") \
	X(RUN_MODEL_LINKS, "SELECT (direction = 'output')::int, model_id, step FROM run_model_links WHERE run_pk = $1 ORDER BY link_id") \
	X(PAGE_LATEST, "SELECT l.run_pk, k.key, l.value, l.timestamp, l.step, l.is_nan, l.key_id FROM latest_metrics l " \
		"JOIN metric_keys k ON k.key_id = l.key_id WHERE l.run_pk = ANY($1::bigint[])") \
	X(PAGE_PARAMS, "SELECT run_pk, key, value FROM params WHERE run_pk = ANY($1::bigint[])") \
	X(PAGE_TAGS, "SELECT run_pk, key, value FROM tags WHERE run_pk = ANY($1::bigint[])") \
	X(PAGE_OUTPUTS, "SELECT run_pk, model_id, step FROM run_model_links WHERE direction = 'output' AND run_pk = ANY($1::bigint[]) " \
		"ORDER BY run_pk, link_id") \
	X(PAGE_INPUTS, "SELECT i.run_pk, d.dataset_pk, d.name, d.digest, d.source_type, d.source, d.schema, d.profile " \
		"FROM run_inputs i JOIN datasets d ON d.dataset_pk = i.dataset_pk WHERE i.run_pk = ANY($1::bigint[]) " \
		"ORDER BY i.run_pk, i.seq, i.dataset_pk") \
	X(PAGE_INPUT_TAGS, "SELECT run_pk, dataset_pk, key, value FROM input_tags WHERE run_pk = ANY($1::bigint[]) " \
		"ORDER BY run_pk, dataset_pk, key") \
	X(TAGS_UPSERT, "INSERT INTO tags(run_pk, key, value) " \
		"SELECT DISTINCT ON (t.k) $1::bigint, t.k, t.v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(k, v, o) ORDER BY t.k, t.o DESC " \
		"ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value") \
	X(TAG_DELETE, "DELETE FROM tags WHERE run_pk = $1 AND key = $2") \
	X(PARAMS_INSERT, "INSERT INTO params(run_pk, key, value) " \
		"SELECT $1::bigint, t.k, t.v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(k, v, o) ORDER BY t.o " \
		"ON CONFLICT (run_pk, key) DO NOTHING") \
	X(PARAMS_CHANGED, "SELECT 1 FROM unnest($2::text[], $3::text[]) AS t(k, v) JOIN params p ON p.run_pk = $1::bigint AND p.key = t.k " \
		"WHERE p.value <> t.v LIMIT 1") \
	X(KEYS_GET, "SELECT key, key_id FROM metric_keys WHERE key = ANY($1::text[])") \
	X(KEYS_INSERT, "INSERT INTO metric_keys(key) SELECT DISTINCT t.k FROM unnest($1::text[]) AS t(k) " \
		"WHERE NOT EXISTS (SELECT 1 FROM metric_keys m WHERE m.key = t.k) ORDER BY t.k ON CONFLICT (key) DO NOTHING") \
	X(RUN_AND_KEYS, "SELECT r.run_pk, r.lifecycle_stage, k.key, k.key_id " \
		"FROM (SELECT run_pk, lifecycle_stage FROM runs WHERE run_uuid = $1 FOR KEY SHARE) r " \
		"LEFT JOIN metric_keys k ON k.key = ANY($2::text[])") \
	/* history first (the count makes the upsert wait for it), then the
	 * latest rows: their locks, which concurrent batches of the run wait
	 * on, are held from here to the commit only */ \
	X(METRICS_LOG, "WITH history AS (INSERT INTO metrics(run_pk, key_id, timestamp, step, value, is_nan) " \
		"SELECT $1::bigint, t.* FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::float8[], $6::smallint[]) AS t " \
		"ON CONFLICT DO NOTHING RETURNING 1) " \
		"INSERT INTO latest_metrics(run_pk, key_id, value, timestamp, step, is_nan) " \
		"SELECT $1::bigint, t.* FROM unnest($7::bigint[], $8::float8[], $9::bigint[], $10::bigint[], $11::smallint[]) AS t " \
		"WHERE (SELECT count(*) FROM history) >= 0 " \
		"ON CONFLICT (run_pk, key_id) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, " \
		"is_nan = excluded.is_nan WHERE (excluded.step, excluded.timestamp, excluded.value) > " \
		"(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)") \
	X(MODEL_METRICS_UPSERT, "INSERT INTO logged_model_metrics(model_id, key, timestamp, step, value, is_nan, run_id, dataset_name, dataset_digest) " \
		"SELECT DISTINCT ON (t.m, t.k, t.ts, t.s) t.m, t.k, t.ts, t.s, t.v, t.n, $1::text, t.dn, t.dd " \
		"FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::smallint[], $8::text[], $9::text[]) " \
		"WITH ORDINALITY AS t(m, k, ts, s, v, n, dn, dd, o) ORDER BY t.m, t.k, t.ts, t.s, t.o DESC " \
		"ON CONFLICT (model_id, key, timestamp, step, run_id) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, " \
		"dataset_name = excluded.dataset_name, dataset_digest = excluded.dataset_digest") \
	/* The history's primary key holds its order: read it in index order,
	 * even before the table's statistics say how many points a run has
	 * (a bitmap scan and a sort, spilling to disk, would serve 100k points) */ \
	X(HISTORY_PLAN, "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)") \
	X(HISTORY, "SELECT m.timestamp, m.step, m.value, m.is_nan FROM metrics m " \
		"WHERE m.run_pk = (SELECT run_pk FROM runs WHERE run_uuid = $1) AND m.key_id = " PG_KEY_ID("$2") " " \
		"ORDER BY m.timestamp, m.step, m.value, m.is_nan LIMIT $3 OFFSET $4") \
	X(BULK_STEPS, "SELECT DISTINCT m.step FROM metrics m WHERE m.run_pk IN (SELECT run_pk FROM runs WHERE run_uuid = ANY($1::text[])) " \
		"AND m.key_id = " PG_KEY_ID("$2") " ORDER BY m.step") \
	X(BULK_BOUNDS, "SELECT min(m.step), max(m.step) FROM metrics m WHERE m.run_pk IN (SELECT run_pk FROM runs WHERE run_uuid = ANY($1::text[])) " \
		"AND m.key_id = " PG_KEY_ID("$2") " GROUP BY m.run_pk") \
	X(BULK_POINTS, "SELECT u.o, m.step, m.timestamp, m.value, m.is_nan FROM unnest($1::text[]) WITH ORDINALITY AS u(id, o) " \
		"JOIN runs r ON r.run_uuid = u.id JOIN metrics m ON m.run_pk = r.run_pk " \
		"WHERE m.key_id = " PG_KEY_ID("$2") " AND m.step = ANY($3::bigint[]) ORDER BY u.o, m.step, m.timestamp, m.value, m.is_nan") \
	X(DATASET_UPSERT, "WITH ins AS (INSERT INTO datasets(dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile) " \
		"VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING dataset_pk) " \
		"SELECT dataset_pk FROM ins UNION ALL SELECT dataset_pk FROM datasets WHERE experiment_id = $2 AND name = $3 AND digest = $4") \
	X(DATASET_GET, "SELECT dataset_pk FROM datasets WHERE experiment_id = $1 AND name = $2 AND digest = $3") \
	X(INPUT_INSERT, "INSERT INTO run_inputs(run_pk, dataset_pk, seq) VALUES($1, $2, (SELECT count(*) FROM run_inputs WHERE run_pk = $1)) " \
		"ON CONFLICT DO NOTHING") \
	X(INPUT_TAGS_INSERT, "INSERT INTO input_tags(run_pk, dataset_pk, key, value) " \
		"SELECT $1::bigint, $2::bigint, t.k, t.v FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS t(k, v, o) ORDER BY t.o " \
		"ON CONFLICT DO NOTHING") \
	X(DATASET_SEARCH, "SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value FROM datasets d " \
		"JOIN run_inputs i ON i.dataset_pk = d.dataset_pk " \
		"LEFT JOIN input_tags t ON t.run_pk = i.run_pk AND t.dataset_pk = i.dataset_pk AND t.key = 'mlflow.data.context' " \
		"WHERE d.experiment_id = ANY($1::bigint[]) ORDER BY d.experiment_id, d.name, d.digest, t.value NULLS FIRST LIMIT 1000")
/* clang-format on */

#endif
