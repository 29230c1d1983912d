/*
 * schema_sql.c - how the search compiler (sqlgen.h) reaches the searchable
 * fields of both SQL backends: which column or correlated table holds each
 * field, and MLflow's tie-breakers in terms of our columns. The SQLite
 * schema (schema_sqlite.h) and the PostgreSQL one (schema_pg.h) have the
 * same tables and columns, so one description serves both; what differs is
 * the dialect: SQLite's ?N placeholders and ILIKE as lower() LIKE lower()
 * (LIKE is case-sensitive on our connections), PostgreSQL's $N and its own
 * ILIKE; both keep flags as 0/1 integers. Text compares by bytes on both
 * (PostgreSQL columns use the "C" collation).
 */
#include "store_pg.h"
#include "store_sqlite_int.h"

static const struct sql_attr_column sql_attrs[] = {
	{ FILTER_RUNS, "run_id", "r.run_uuid", false },
	{ FILTER_RUNS, "run_name", "r.name", false },
	{ FILTER_RUNS, "user_id", "r.user_id", false },
	{ FILTER_RUNS, "status", "r.status", false },
	{ FILTER_RUNS, "artifact_uri", "r.artifact_uri", false },
	{ FILTER_RUNS, "start_time", "r.start_time", false },
	{ FILTER_RUNS, "end_time", "r.end_time", true },
	/* MLflow orders experiment columns plainly, NULLs where the DB puts them. */
	{ FILTER_EXPERIMENTS, "name", "e.name", false },
	{ FILTER_EXPERIMENTS, "experiment_id", "e.experiment_id", false },
	{ FILTER_EXPERIMENTS, "creation_time", "e.creation_time", false },
	{ FILTER_EXPERIMENTS, "last_update_time", "e.last_update_time", false },
	/* registry: models are `m`, versions `v` joined with their model `m` */
	{ FILTER_REGISTERED_MODELS, "name", "m.name", false },
	{ FILTER_REGISTERED_MODELS, "last_updated_timestamp", "m.last_updated_time", false },
	{ FILTER_MODEL_VERSIONS, "name", "m.name", false },
	{ FILTER_MODEL_VERSIONS, "source_path", "v.source", false },
	{ FILTER_MODEL_VERSIONS, "version_number", "v.version", false },
	{ FILTER_MODEL_VERSIONS, "run_id", "v.run_id", false },
	{ FILTER_MODEL_VERSIONS, "creation_timestamp", "v.creation_time", false },
	{ FILTER_MODEL_VERSIONS, "last_updated_timestamp", "v.last_updated_time", false },
	/* logged models `g`: '' is how the store keeps "not given", which MLflow
	 * keeps as NULL, so no comparison matches it; status compares by the
	 * name MLflow's LoggedModelStatus has (READY, not 2 or LOGGED_MODEL_READY) */
	{ FILTER_LOGGED_MODELS, "name", "g.name", false },
	{ FILTER_LOGGED_MODELS, "model_id", "g.model_id", false },
	{ FILTER_LOGGED_MODELS, "model_type", "NULLIF(g.model_type, '')", false },
	{ FILTER_LOGGED_MODELS, "status",
	  "(CASE g.status WHEN 1 THEN 'PENDING' WHEN 2 THEN 'READY' WHEN 3 THEN 'FAILED' ELSE 'UNSPECIFIED' END)", false },
	{ FILTER_LOGGED_MODELS, "source_run_id", "NULLIF(g.source_run_id, '')", false },
	{ FILTER_LOGGED_MODELS, "creation_timestamp", "g.creation_time", false },
	{ FILTER_LOGGED_MODELS, "last_updated_timestamp", "g.last_updated_time", false },
};

static const struct sql_entity_source sql_sources[] = {
	{ FILTER_RUNS, FE_METRIC, NULL, "FROM latest_metrics lm WHERE lm.run_pk = r.run_pk",
	  "lm.key_id = (SELECT mk.key_id FROM metric_keys mk WHERE mk.key = ", ")", NULL, "lm.value", "lm.is_nan" },
	{ FILTER_RUNS, FE_PARAM, NULL, "FROM params p WHERE p.run_pk = r.run_pk", "p.key = ", "", NULL, "p.value",
	  NULL },
	{ FILTER_RUNS, FE_TAG, NULL, "FROM tags t WHERE t.run_pk = r.run_pk", "t.key = ", "", NULL, "t.value", NULL },
	{ FILTER_RUNS, FE_DATASET, "name",
	  "FROM run_inputs ri JOIN datasets d ON d.dataset_pk = ri.dataset_pk WHERE ri.run_pk = r.run_pk", NULL, NULL,
	  NULL, "d.name", NULL },
	{ FILTER_RUNS, FE_DATASET, "digest",
	  "FROM run_inputs ri JOIN datasets d ON d.dataset_pk = ri.dataset_pk WHERE ri.run_pk = r.run_pk", NULL, NULL,
	  NULL, "d.digest", NULL },
	{ FILTER_RUNS, FE_DATASET, "context", "FROM input_tags it WHERE it.run_pk = r.run_pk", "it.key = ", "",
	  "mlflow.data.context", "it.value", NULL },
	{ FILTER_EXPERIMENTS, FE_TAG, NULL, "FROM experiment_tags et WHERE et.experiment_id = e.experiment_id",
	  "et.key = ", "", NULL, "et.value", NULL },
	{ FILTER_REGISTERED_MODELS, FE_TAG, NULL, "FROM registered_model_tags rt WHERE rt.model_pk = m.model_pk",
	  "rt.key = ", "", NULL, "rt.value", NULL },
	{ FILTER_MODEL_VERSIONS, FE_TAG, NULL,
	  "FROM model_version_tags vt WHERE vt.model_pk = v.model_pk AND vt.version = v.version", "vt.key = ", "", NULL,
	  "vt.value", NULL },
	/* a logged model's metric condition holds when one of its points does */
	{ FILTER_LOGGED_MODELS, FE_METRIC, NULL, "FROM logged_model_metrics gm WHERE gm.model_id = g.model_id",
	  "gm.key = ", "", NULL, "gm.value", "gm.is_nan" },
	{ FILTER_LOGGED_MODELS, FE_PARAM, NULL, "FROM logged_model_params gp WHERE gp.model_id = g.model_id",
	  "gp.key = ", "", NULL, "gp.value", NULL },
	{ FILTER_LOGGED_MODELS, FE_TAG, NULL, "FROM logged_model_tags gt WHERE gt.model_id = g.model_id", "gt.key = ",
	  "", NULL, "gt.value", NULL },
};

static const struct sql_dataset_scope sql_scopes[] = {
	{ FILTER_LOGGED_MODELS, FE_METRIC, "gm.dataset_name", "gm.dataset_digest" },
};

static const struct sql_tie_breaker sql_ties[] = {
	{ FILTER_RUNS, SQL_TIE_ALWAYS, "start_time", "r.start_time DESC" },
	{ FILTER_RUNS, SQL_TIE_ALWAYS, NULL, "r.run_uuid ASC" },
	{ FILTER_EXPERIMENTS, SQL_TIE_DEFAULT_ONLY, NULL, "e.creation_time DESC" },
	{ FILTER_EXPERIMENTS, SQL_TIE_DEFAULT_ONLY, NULL, "e.experiment_id ASC" },
	{ FILTER_EXPERIMENTS, SQL_TIE_EXPLICIT_ONLY, "experiment_id", "e.experiment_id DESC" },
	{ FILTER_REGISTERED_MODELS, SQL_TIE_ALWAYS, "name", "m.name ASC" },
	{ FILTER_MODEL_VERSIONS, SQL_TIE_DEFAULT_ONLY, NULL, "v.last_updated_time DESC" },
	{ FILTER_MODEL_VERSIONS, SQL_TIE_ALWAYS, "name", "m.name ASC" },
	{ FILTER_MODEL_VERSIONS, SQL_TIE_ALWAYS, "version_number", "v.version DESC" },
};

const struct sql_schema store_sqlite_sql_schema = {
	.name = "sqlite",
	.placeholder = "?%zu",
	.native_ilike = false,
	.flag_false = "0",
	.attrs = sql_attrs,
	.n_attrs = ARRAY_SIZE(sql_attrs),
	.sources = sql_sources,
	.n_sources = ARRAY_SIZE(sql_sources),
	.scopes = sql_scopes,
	.n_scopes = ARRAY_SIZE(sql_scopes),
	.ties = sql_ties,
	.n_ties = ARRAY_SIZE(sql_ties),
};

const struct sql_schema store_pg_sql_schema = {
	.name = "postgresql",
	.placeholder = "$%zu",
	.native_ilike = true,
	.flag_false = "0",
	.double_cast = "::double precision",
	.like_suffix = " ESCAPE ''",
	.attrs = sql_attrs,
	.n_attrs = ARRAY_SIZE(sql_attrs),
	.sources = sql_sources,
	.n_sources = ARRAY_SIZE(sql_sources),
	.scopes = sql_scopes,
	.n_scopes = ARRAY_SIZE(sql_scopes),
	.ties = sql_ties,
	.n_ties = ARRAY_SIZE(sql_ties),
};
