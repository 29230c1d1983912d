/*
 * store_import.c - the front of an import from MLflow's SQL database
 * (SQLite): reads the source, decides what each row becomes, and hands the
 * rows to the destination backend's import ops (store_import.h).
 *
 * The source is opened read-only and, without a `-wal` beside it,
 * immutable (no lock, no journal, no file made beside it), so its bytes
 * never change. Its `alembic_version` must be a revision of the chain this
 * program knows (spec §7.6: MLflow 1.x to 3.x); a newer or unknown one is
 * refused rather than read wrongly. Every table is read by the columns it
 * has: a column a later migration added is read as NULL where it is
 * missing, and a table that does not exist yet (datasets before 2.4,
 * logged models before 3.0) is skipped. Column names come from the tables
 * below, never from the source; values are bound.
 *
 * Order: one transaction per experiment (the experiment and its tags, its
 * datasets and logged models, then each run with params, tags, the full
 * metric history, latest metrics by MLflow's rule, inputs and model
 * links), then one for the registry. After each, the destination's rows
 * for what was written are counted for the report.
 */
#include "store_import_int.h"
#include "store_probe.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#define X(id, name) name,
static const char *const table_names[] = { STORE_IMPORT_TABLES(X) };
#undef X

const char *store_import_table_name(enum store_import_table t)
{
	return t < STORE_IMPORT_N_TABLES ? table_names[t] : "?";
}

/* ---- what both readers share (store_import_int.h) ------------------------------- */

const char *store_import_relocate(struct store_import_job *job, const char *uri)
{
	if (!uri || !job->hooks || !job->hooks->location)
		return uri;
	return job->hooks->location(job->hooks->ctx, uri, &job->a);
}

int store_import_copy(struct store_import_job *job, const char *uri, struct mlf_err *err)
{
	if (!uri || !*uri || !job->hooks || !job->hooks->copy)
		return 0;
	return job->hooks->copy(job->hooks->ctx, uri, err);
}

void store_import_progress(struct store_import_job *job, bool final)
{
	if (job->hooks && job->hooks->progress)
		job->hooks->progress(job->hooks->ctx, job->rep, final);
}

int store_import_commit(struct store_import_job *job, int (*fn)(struct store_import_tx *tx, void *arg,
								struct mlf_err *err),
			void *arg, struct mlf_err *err)
{
	memset(job->counts, 0, sizeof(job->counts));
	int rc = job->ops->transaction(job->st, fn, arg, err);
	arena_release(&job->a);
	if (rc < 0)
		return -1;
	for (size_t t = 0; t < STORE_IMPORT_N_TABLES; t++)
		job->rep->imported[t] += job->counts[t];
	return 0;
}

int store_import_check_counts(const struct store_import_report *rep, struct mlf_err *err)
{
	for (size_t t = 0; t < STORE_IMPORT_N_TABLES; t++)
		if (rep->source[t] != rep->imported[t])
			return mlf_errorf(err, MLF_DATA_LOSS, "table %s: the source has %lld rows, %lld were imported",
					  table_names[t], (long long)rep->source[t], (long long)rep->imported[t]);
	return 0;
}

int store_import_err_within(struct mlf_err *err, const char *what)
{
	if (!err)
		return -1;
	char msg[sizeof(err->msg)];
	snprintf(msg, sizeof(msg), "%s", err->msg);
	int detail = err->detail;
	mlf_errorf(err, err->code, "%s: %s", what, msg);
	err->detail = detail;
	return -1;
}

bool store_import_uri_under(const char *uri, const char *root)
{
	size_t n = strlen(root);
	while (n && root[n - 1] == '/')
		n--;
	return n && strncmp(uri, root, n) == 0 && (uri[n] == '\0' || uri[n] == '/');
}

/* Every alembic revision of MLflow's SQL store from its first migration to
 * the newest this program was written against (spec §7.6), oldest first. */
static const char *const known_heads[] = {
	"451aebb31d03", "90e64c465722", "181f10493468", "df50e92ffc5e", "7ac759974ad8", "89d4b8295536",
	"2b4d017a5e9b", "cfd24bdc0731", "0a8213491aaa", "728d730b5ebd", "27a6a02d2cf1", "84291f40a231",
	"a8c4a736bde6", "39d1c3be5f05", "c48cb773bb87", "bd07f7e963c5", "0c779009ac13", "cc1f77228345",
	"97727af70f4d", "3500859a5d39", "7f2a7d5fae7d", "2d6e25af4d3e", "acf3f17fdcc7", "867495a8f9d4",
	"5b0e9adcef9c", "4465047574b1", "f5a4f2784254", "0584bdc529eb", "400f98739977", "6953534de441",
	"bda7b8c39065", "cbc13b556ace", "770bee3ae1dd", "a1b2c3d4e5f6", "de4033877273", "1a0cddfcaa16",
	"534353b11cbc", "71994744cf8e", "3da73c924c2f", "bf29a5ff90ea", "1bd49d398cd23", "b7c8d9e0f1a2",
	"5d2d30f0abce", "c9d4e5f6a7b8", "2c33131f4dae", "d3e4f5a6b7c8", "d0e1f2a3b4c5", "c8d9e0f1a2b3",
	"1b5f0d9ad7c1", "e1f2a3b4c5d6", "76601a5f987d", "c3d6457b6d8a", "a5b4c3d2e1f0", "ae8bbe7743c9",
	"7d34483879f0",
};

/* ---- the source's statements --------------------------------------------------- */

#define MAX_COLS 14

enum src_stmt {
	SRC_EXPERIMENTS,
	SRC_EXPERIMENT_TAGS,
	SRC_RUNS,
	SRC_RUN_NAME_TAG,
	SRC_PARAMS,
	SRC_TAGS,
	SRC_METRICS,
	SRC_LATEST,
	SRC_DATASETS,
	SRC_INPUTS,
	SRC_INPUT_TAGS,
	SRC_MODEL_LINKS,
	SRC_LOGGED_MODELS,
	SRC_LM_PARAMS,
	SRC_LM_TAGS,
	SRC_LM_METRICS,
	SRC_MODELS,
	SRC_MODEL_TAGS,
	SRC_VERSIONS,
	SRC_VERSION_TAGS,
	SRC_ALIASES,
	SRC_COUNT
};

/* What each statement reads: its table, the columns in the order the code
 * reads them (a missing one reads NULL), and the rest of the SELECT (the
 * columns it names exist in every revision that has the table). */
static const struct {
	const char *table;
	const char *cols[MAX_COLS];
	const char *tail;
} src_sql[SRC_COUNT] = {
	[SRC_EXPERIMENTS] = { "experiments",
			      { "experiment_id", "name", "artifact_location", "lifecycle_stage", "creation_time",
				"last_update_time" },
			      "ORDER BY experiment_id" },
	[SRC_EXPERIMENT_TAGS] = { "experiment_tags", { "key", "value" }, "WHERE experiment_id = ?1 ORDER BY key" },
	[SRC_RUNS] = { "runs",
		       { "run_uuid", "name", "user_id", "status", "start_time", "end_time", "artifact_uri",
			 "lifecycle_stage", "deleted_time" },
		       "WHERE experiment_id = ?1 ORDER BY start_time, run_uuid" },
	[SRC_RUN_NAME_TAG] = { "tags", { "value" }, "WHERE run_uuid = ?1 AND key = 'mlflow.runName'" },
	[SRC_PARAMS] = { "params", { "key", "value" }, "WHERE run_uuid = ?1" },
	[SRC_TAGS] = { "tags", { "key", "value" }, "WHERE run_uuid = ?1" },
	[SRC_METRICS] = { "metrics",
			  { "key", "value", "timestamp", "step", "is_nan" },
			  "WHERE run_uuid = ?1 ORDER BY key, timestamp, step, value" },
	[SRC_LATEST] = { "latest_metrics", { "key", "value", "timestamp", "step", "is_nan" }, "WHERE run_uuid = ?1" },
	[SRC_DATASETS] = { "datasets",
			   { "dataset_uuid", "name", "digest", "dataset_source_type", "dataset_source", "dataset_schema",
			     "dataset_profile" },
			   "WHERE experiment_id = ?1" },
	[SRC_INPUTS] = { "inputs",
			 { "input_uuid", "source_id" },
			 "WHERE destination_type = 'RUN' AND source_type = 'DATASET' AND destination_id = ?1 ORDER BY rowid" },
	[SRC_INPUT_TAGS] = { "input_tags", { "name", "value" }, "WHERE input_uuid = ?1" },
	[SRC_MODEL_LINKS] = { "inputs",
			      { "source_type", "destination_id", "step" },
			      "WHERE source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND source_id = ?1 ORDER BY rowid" },
	[SRC_LOGGED_MODELS] = { "logged_models",
				{ "model_id", "name", "artifact_location", "creation_timestamp_ms",
				  "last_updated_timestamp_ms", "status", "lifecycle_stage", "model_type", "source_run_id",
				  "status_message" },
				"WHERE experiment_id = ?1 ORDER BY creation_timestamp_ms, model_id" },
	[SRC_LM_PARAMS] = { "logged_model_params", { "param_key", "param_value" }, "WHERE model_id = ?1" },
	[SRC_LM_TAGS] = { "logged_model_tags", { "tag_key", "tag_value" }, "WHERE model_id = ?1" },
	[SRC_LM_METRICS] = { "logged_model_metrics",
			     { "metric_name", "metric_timestamp_ms", "metric_step", "metric_value", "run_id",
			       "dataset_name", "dataset_digest" },
			     "WHERE model_id = ?1" },
	[SRC_MODELS] = { "registered_models",
			 { "name", "creation_time", "last_updated_time", "description" },
			 "ORDER BY name" },
	[SRC_MODEL_TAGS] = { "registered_model_tags", { "key", "value" }, "WHERE name = ?1" },
	[SRC_VERSIONS] = { "model_versions",
			   { "name", "version", "creation_time", "last_updated_time", "description", "user_id",
			     "current_stage", "source", "storage_location", "run_id", "run_link", "status",
			     "status_message" },
			   "WHERE name = ?1 ORDER BY version" },
	[SRC_VERSION_TAGS] = { "model_version_tags", { "version", "key", "value" }, "WHERE name = ?1" },
	[SRC_ALIASES] = { "registered_model_aliases", { "alias", "version" }, "WHERE name = ?1" },
};

/* How the source's rows of each report table are counted. */
static const struct {
	enum store_import_table table;
	const char *source_table;
	const char *where; /* "" for all rows */
} source_counts[] = {
	{ STORE_IMPORT_EXPERIMENTS, "experiments", "" },
	{ STORE_IMPORT_EXPERIMENT_TAGS, "experiment_tags", "" },
	{ STORE_IMPORT_RUNS, "runs", "" },
	{ STORE_IMPORT_PARAMS, "params", "" },
	{ STORE_IMPORT_TAGS, "tags", "" },
	{ STORE_IMPORT_METRICS, "metrics", "" },
	{ STORE_IMPORT_LATEST_METRICS, "latest_metrics", "" },
	{ STORE_IMPORT_DATASETS, "datasets", "" },
	{ STORE_IMPORT_INPUTS, "inputs", "WHERE source_type = 'DATASET' AND destination_type = 'RUN'" },
	{ STORE_IMPORT_INPUT_TAGS, "input_tags", "" },
	{ STORE_IMPORT_MODEL_LINKS, "inputs", "WHERE source_type IN ('RUN_INPUT', 'RUN_OUTPUT')" },
	{ STORE_IMPORT_LOGGED_MODELS, "logged_models", "" },
	{ STORE_IMPORT_LOGGED_MODEL_PARAMS, "logged_model_params", "" },
	{ STORE_IMPORT_LOGGED_MODEL_TAGS, "logged_model_tags", "" },
	{ STORE_IMPORT_LOGGED_MODEL_METRICS, "logged_model_metrics", "" },
	{ STORE_IMPORT_REGISTERED_MODELS, "registered_models", "" },
	{ STORE_IMPORT_REGISTERED_MODEL_TAGS, "registered_model_tags", "" },
	{ STORE_IMPORT_MODEL_VERSIONS, "model_versions", "" },
	{ STORE_IMPORT_MODEL_VERSION_TAGS, "model_version_tags", "" },
	{ STORE_IMPORT_ALIASES, "registered_model_aliases", "" },
};

struct source {
	const char *path;
	sqlite3 *db;
	sqlite3_stmt *stmt[SRC_COUNT]; /* NULL where the table does not exist */
};

static int src_fail(struct source *src, const char *what, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read %s of '%s': %s", what, src->path,
			  sqlite3_errmsg(src->db));
}

static bool src_has_table(struct source *src, const char *table)
{
	sqlite3_stmt *s = NULL;
	bool yes = false;
	if (sqlite3_prepare_v2(src->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
		yes = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	return yes;
}

static bool src_has_column(struct source *src, const char *table, const char *col)
{
	sqlite3_stmt *s = NULL;
	bool yes = false;
	if (sqlite3_prepare_v2(src->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, col, -1, SQLITE_STATIC);
		yes = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	return yes;
}

/* Prepares every reading statement, each column that the table lacks read
 * as NULL; a missing table leaves its statement NULL. */
static int src_prepare_all(struct source *src, struct mlf_err *err)
{
	for (size_t i = 0; i < SRC_COUNT; i++) {
		if (!src_has_table(src, src_sql[i].table))
			continue;
		struct buf q;
		buf_init(&q, 256);
		buf_adds(&q, "SELECT ");
		for (size_t c = 0; c < MAX_COLS && src_sql[i].cols[c]; c++) {
			if (c)
				buf_adds(&q, ", ");
			if (src_has_column(src, src_sql[i].table, src_sql[i].cols[c]))
				buf_addf(&q, "\"%s\"", src_sql[i].cols[c]);
			else
				buf_adds(&q, "NULL");
		}
		buf_addf(&q, " FROM \"%s\" %s", src_sql[i].table, src_sql[i].tail);
		int rc = sqlite3_prepare_v2(src->db, q.ptr, -1, &src->stmt[i], NULL);
		buf_release(&q);
		if (rc != SQLITE_OK)
			return src_fail(src, src_sql[i].table, err);
	}
	return 0;
}

/* The statement `id` reset with ?1 bound to `text` (or `id64` when text
 * is NULL); NULL when the source lacks its table. Borrowed. */
static sqlite3_stmt *src_query(struct source *src, enum src_stmt id, const char *text, int64_t id64)
{
	sqlite3_stmt *s = src->stmt[id];
	if (!s)
		return NULL;
	sqlite3_reset(s);
	if (sqlite3_bind_parameter_count(s) >= 1) {
		if (text)
			sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(s, 1, id64);
	}
	return s;
}

/* Steps `s`: 1 with a row, 0 at the end, -1 with `err` set on failure. */
static int src_step(struct source *src, sqlite3_stmt *s, struct mlf_err *err)
{
	if (!s)
		return 0;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return src_fail(src, "a table", err);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static const char *col_text_or(sqlite3_stmt *s, int i, const char *dflt)
{
	const char *t = col_text(s, i);
	return t ? t : dflt;
}

static int64_t col_int_or(sqlite3_stmt *s, int i, int64_t dflt)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(s, i);
}

static void source_close(struct source *src)
{
	for (size_t i = 0; i < SRC_COUNT; i++)
		sqlite3_finalize(src->stmt[i]);
	sqlite3_close(src->db);
	src->db = NULL;
}

/* Opens MLflow's database read-only and checks its alembic head. */
static int source_open(struct source *src, const char *path, struct store_import_report *rep, struct mlf_err *err)
{
	struct stat st;
	src->path = path;
	if (stat(path, &st) < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' does not exist", path);
	if (!S_ISREG(st.st_mode))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not a database file", path);
	if (store_probe_open_foreign(path, &src->db) != SQLITE_OK)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not an MLflow database (not SQLite: %s)",
				  path, src->db ? sqlite3_errmsg(src->db) : "cannot open");
	if (!src_has_table(src, "alembic_version") || !src_has_table(src, "experiments") ||
	    !src_has_table(src, "runs"))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "'%s' is not an MLflow database (it has no alembic_version, experiments and runs tables)",
				  path);
	const char *head = NULL;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(src->db, "SELECT version_num FROM alembic_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		head = col_text(s, 0);
	snprintf(rep->head, sizeof(rep->head), "%s", head ? head : "");
	sqlite3_finalize(s);
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(known_heads) && !known; i++)
		known = strcmp(known_heads[i], rep->head) == 0;
	if (!known)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "'%s' has MLflow schema revision '%s', which this mlflowc does not know (it reads MLflow "
				  "1.x to 3.x up to revision %s); it was left unchanged: use a newer mlflowc",
				  path, rep->head, known_heads[ARRAY_SIZE(known_heads) - 1]);
	return src_prepare_all(src, err);
}

static int source_count(struct source *src, struct store_import_report *rep, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(source_counts); i++) {
		enum store_import_table t = source_counts[i].table;
		if (!src_has_table(src, source_counts[i].source_table))
			continue;
		if (source_counts[i].where[0] && !src_has_column(src, source_counts[i].source_table, "source_type"))
			continue;
		rep->present[t] = true;
		struct buf q;
		buf_init(&q, 128);
		buf_addf(&q, "SELECT count(*) FROM \"%s\" %s", source_counts[i].source_table, source_counts[i].where);
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(src->db, q.ptr, -1, &s, NULL);
		buf_release(&q);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			rep->source[t] += sqlite3_column_int64(s, 0);
		else
			rc = SQLITE_ERROR;
		sqlite3_finalize(s);
		if (rc != SQLITE_OK)
			return src_fail(src, source_counts[i].source_table, err);
	}
	return 0;
}

/* ---- one experiment ------------------------------------------------------------- */

struct import_ctx {
	struct store_import_job job;
	struct source *src;
	int64_t experiment_id;
	const char *experiment_location; /* as the source has it */
};

static const char *relocate(struct import_ctx *ic, const char *uri)
{
	return store_import_relocate(&ic->job, uri);
}

static int copy_artifacts(struct import_ctx *ic, const char *uri, struct mlf_err *err)
{
	return store_import_copy(&ic->job, uri, err);
}

static void progress(struct import_ctx *ic, bool final)
{
	store_import_progress(&ic->job, final);
}

static int import_experiment_row(struct store_import_tx *tx, struct import_ctx *ic, sqlite3_stmt *e,
				 struct mlf_err *err)
{
	struct store_experiment x = {
		.id = ic->experiment_id,
		.name = col_text_or(e, 1, ""),
		.artifact_location = relocate(ic, col_text_or(e, 2, "")),
		.lifecycle_stage = col_text_or(e, 3, "active"),
		.creation_time = col_int_or(e, 4, -1),
		.last_update_time = col_int_or(e, 5, -1),
	};
	size_t cap = 0;
	sqlite3_stmt *s = src_query(ic->src, SRC_EXPERIMENT_TAGS, NULL, ic->experiment_id);
	int rc;
	while ((rc = src_step(ic->src, s, err)) > 0) {
		if (x.n_tags == cap) {
			x.tags = arena_grow_array(&ic->job.a, x.tags, cap, cap ? cap * 2 : 8, sizeof(*x.tags));
			cap = cap ? cap * 2 : 8;
		}
		x.tags[x.n_tags].key = arena_strdup(&ic->job.a, col_text_or(s, 0, ""));
		x.tags[x.n_tags++].value = arena_strdup(&ic->job.a, col_text_or(s, 1, ""));
	}
	if (rc < 0)
		return -1;
	return ic->job.ops->put_experiment(tx, &x, err);
}

static int import_datasets(struct store_import_tx *tx, struct import_ctx *ic, struct mlf_err *err)
{
	sqlite3_stmt *s = src_query(ic->src, SRC_DATASETS, NULL, ic->experiment_id);
	int rc;
	while ((rc = src_step(ic->src, s, err)) > 0) {
		struct store_dataset d = {
			.name = col_text_or(s, 1, ""),
			.digest = col_text_or(s, 2, ""),
			.source_type = col_text_or(s, 3, ""),
			.source = col_text_or(s, 4, ""),
			.schema = col_text(s, 5),
			.profile = col_text(s, 6),
		};
		if (ic->job.ops->put_dataset(tx, col_text_or(s, 0, ""), ic->experiment_id, &d, err) < 0)
			return -1;
	}
	return rc;
}

/* A point's value as MLflow's SQL store keeps it: NaN as is_nan with 0,
 * a NULL value (before is_nan existed) as NaN. */
static void point_value(sqlite3_stmt *s, int value_col, int nan_col, double *value, bool *is_nan)
{
	*is_nan = sqlite3_column_type(s, value_col) == SQLITE_NULL ||
		  (nan_col >= 0 && sqlite3_column_int(s, nan_col) != 0);
	*value = *is_nan ? 0.0 : sqlite3_column_double(s, value_col);
	if (isnan(*value)) {
		*is_nan = true;
		*value = 0.0;
	}
}

static int import_logged_models(struct store_import_tx *tx, struct import_ctx *ic, struct mlf_err *err)
{
	sqlite3_stmt *s = src_query(ic->src, SRC_LOGGED_MODELS, NULL, ic->experiment_id);
	int rc;
	while ((rc = src_step(ic->src, s, err)) > 0) {
		struct store_import_logged_model m = {
			.model_id = col_text_or(s, 0, ""),
			.name = col_text_or(s, 1, ""),
			.artifact_location = relocate(ic, col_text_or(s, 2, "")),
			.creation_time = col_int_or(s, 3, 0),
			.last_updated_time = col_int_or(s, 4, 0),
			.status = col_int_or(s, 5, 0),
			.lifecycle_stage = col_text_or(s, 6, "active"),
			.model_type = col_text_or(s, 7, ""),
			.source_run_id = col_text_or(s, 8, ""),
			.status_message = col_text(s, 9),
			.experiment_id = ic->experiment_id,
		};
		if (ic->job.ops->put_logged_model(tx, &m, err) < 0)
			return -1;
		sqlite3_stmt *c = src_query(ic->src, SRC_LM_PARAMS, m.model_id, 0);
		int r;
		while ((r = src_step(ic->src, c, err)) > 0)
			if (ic->job.ops->put_logged_model_param(tx, m.model_id, col_text_or(c, 0, ""), col_text(c, 1), err) < 0)
				return -1;
		if (r < 0)
			return -1;
		c = src_query(ic->src, SRC_LM_TAGS, m.model_id, 0);
		while ((r = src_step(ic->src, c, err)) > 0)
			if (ic->job.ops->put_logged_model_tag(tx, m.model_id, col_text_or(c, 0, ""), col_text(c, 1), err) < 0)
				return -1;
		if (r < 0)
			return -1;
		c = src_query(ic->src, SRC_LM_METRICS, m.model_id, 0);
		while ((r = src_step(ic->src, c, err)) > 0) {
			struct store_metric p = {
				.key = col_text_or(c, 0, ""),
				.timestamp = col_int_or(c, 1, 0),
				.step = col_int_or(c, 2, 0),
				.run_id = col_text_or(c, 4, ""),
				.dataset_name = col_text(c, 5),
				.dataset_digest = col_text(c, 6),
			};
			bool is_nan;
			point_value(c, 3, -1, &p.value, &is_nan);
			if (ic->job.ops->put_logged_model_metric(tx, m.model_id, &p, is_nan, err) < 0)
				return -1;
		}
		if (r < 0)
			return -1;
	}
	return rc;
}

/* Compares the run's latest metrics by our rule with MLflow's own table. */
static int compare_latest(struct store_import_tx *tx, struct import_ctx *ic, const char *run_id, struct mlf_err *err)
{
	sqlite3_stmt *s = src_query(ic->src, SRC_LATEST, run_id, 0);
	int rc;
	while ((rc = src_step(ic->src, s, err)) > 0) {
		double mv, ov;
		bool mnan, onan, found;
		int64_t ots, ostep;
		point_value(s, 1, 4, &mv, &mnan);
		if (ic->job.ops->latest_metric(tx, col_text_or(s, 0, ""), &ov, &ots, &ostep, &onan, &found, err) < 0)
			return -1;
		if (!found || mnan != onan || (!mnan && mv != ov) || ostep != col_int_or(s, 3, 0) ||
		    (sqlite3_column_type(s, 2) != SQLITE_NULL && ots != sqlite3_column_int64(s, 2)))
			ic->job.rep->latest_differ++;
	}
	return rc;
}

static int import_run_rows(struct store_import_tx *tx, struct import_ctx *ic, const char *run_id, struct mlf_err *err)
{
	int rc;
	sqlite3_stmt *s = src_query(ic->src, SRC_PARAMS, run_id, 0);
	while ((rc = src_step(ic->src, s, err)) > 0)
		if (ic->job.ops->put_param(tx, col_text_or(s, 0, ""), col_text(s, 1), err) < 0)
			return -1;
	if (rc < 0)
		return -1;
	s = src_query(ic->src, SRC_TAGS, run_id, 0);
	while ((rc = src_step(ic->src, s, err)) > 0)
		if (ic->job.ops->put_tag(tx, col_text_or(s, 0, ""), col_text(s, 1), err) < 0)
			return -1;
	if (rc < 0)
		return -1;
	s = src_query(ic->src, SRC_METRICS, run_id, 0);
	while ((rc = src_step(ic->src, s, err)) > 0) {
		double v;
		bool is_nan;
		point_value(s, 1, 4, &v, &is_nan);
		if (ic->job.ops->put_metric(tx, col_text_or(s, 0, ""), v, col_int_or(s, 2, 0), col_int_or(s, 3, 0), is_nan,
					err) < 0)
			return -1;
		ic->job.rep->points_done++;
	}
	if (rc < 0 || ic->job.ops->finish_run(tx, err) < 0 || compare_latest(tx, ic, run_id, err) < 0)
		return -1;

	s = src_query(ic->src, SRC_INPUTS, run_id, 0);
	int64_t seq = 0;
	while ((rc = src_step(ic->src, s, err)) > 0) {
		struct store_kv *tags = NULL;
		size_t n = 0, cap = 0;
		const char *input_uuid = arena_strdup(&ic->job.a, col_text_or(s, 0, ""));
		sqlite3_stmt *t = src_query(ic->src, SRC_INPUT_TAGS, input_uuid, 0);
		int r;
		while ((r = src_step(ic->src, t, err)) > 0) {
			if (n == cap) {
				tags = arena_grow_array(&ic->job.a, tags, cap, cap ? cap * 2 : 4, sizeof(*tags));
				cap = cap ? cap * 2 : 4;
			}
			tags[n].key = arena_strdup(&ic->job.a, col_text_or(t, 0, ""));
			tags[n++].value = arena_strdup(&ic->job.a, col_text_or(t, 1, ""));
		}
		if (r < 0 || ic->job.ops->put_input(tx, col_text_or(s, 1, ""), seq++, tags, n, err) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	s = src_query(ic->src, SRC_MODEL_LINKS, run_id, 0);
	while ((rc = src_step(ic->src, s, err)) > 0) {
		const char *kind = col_text_or(s, 0, "");
		if (ic->job.ops->put_model_link(tx, strcmp(kind, "RUN_INPUT") == 0 ? "input" : "output",
					    col_text_or(s, 1, ""), col_int_or(s, 2, 0), err) < 0)
			return -1;
	}
	return rc;
}

static int import_runs(struct store_import_tx *tx, struct import_ctx *ic, struct mlf_err *err)
{
	sqlite3_stmt *s = src_query(ic->src, SRC_RUNS, NULL, ic->experiment_id);
	int rc;
	while ((rc = src_step(ic->src, s, err)) > 0) {
		const char *run_id = arena_strdup(&ic->job.a, col_text_or(s, 0, ""));
		const char *name = col_text(s, 1);
		if (!name) { /* runs from before 1.29 keep their name in a tag only */
			sqlite3_stmt *t = src_query(ic->src, SRC_RUN_NAME_TAG, run_id, 0);
			name = src_step(ic->src, t, err) > 0 ? col_text(t, 0) : NULL;
			name = arena_strdup(&ic->job.a, name ? name : "");
		}
		const char *uri = col_text_or(s, 6, "");
		if (!store_import_uri_under(uri, ic->experiment_location) && copy_artifacts(ic, uri, err) < 0)
			return -1;
		struct store_import_run r = {
			.run_id = run_id,
			.name = name,
			.user_id = col_text_or(s, 2, ""),
			.status = col_text_or(s, 3, "RUNNING"),
			.start_time = col_int_or(s, 4, 0),
			.end_time = col_int_or(s, 5, -1),
			.artifact_uri = relocate(ic, uri),
			.lifecycle_stage = col_text_or(s, 7, "active"),
			.deleted_time = col_int_or(s, 8, -1),
			.experiment_id = ic->experiment_id,
		};
		if (ic->job.ops->put_run(tx, &r, err) < 0 || import_run_rows(tx, ic, run_id, err) < 0) {
			char what[64];
			snprintf(what, sizeof(what), "run %s", run_id);
			return store_import_err_within(err, what);
		}
		ic->job.rep->runs_done++;
		progress(ic, false);
	}
	return rc;
}

static int import_experiment_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct import_ctx *ic = arg;
	sqlite3_stmt *e = ic->src->stmt[SRC_EXPERIMENTS];
	if (copy_artifacts(ic, ic->experiment_location, err) < 0 || import_experiment_row(tx, ic, e, err) < 0 ||
	    import_datasets(tx, ic, err) < 0 || import_logged_models(tx, ic, err) < 0 || import_runs(tx, ic, err) < 0) {
		char what[64];
		snprintf(what, sizeof(what), "experiment %lld (rolled back)", (long long)ic->experiment_id);
		return store_import_err_within(err, what);
	}
	return ic->job.ops->count_experiment(tx, ic->experiment_id, ic->job.counts, err);
}

/* ---- the registry ------------------------------------------------------------------ */

static int import_model(struct store_import_tx *tx, struct import_ctx *ic, sqlite3_stmt *m, struct mlf_err *err)
{
	const char *name = arena_strdup(&ic->job.a, col_text_or(m, 0, ""));
	if (ic->job.ops->put_registered_model(tx, name, col_int_or(m, 1, 0), col_int_or(m, 2, 0), col_text(m, 3), err) < 0)
		return -1;
	int rc;
	sqlite3_stmt *s = src_query(ic->src, SRC_MODEL_TAGS, name, 0);
	while ((rc = src_step(ic->src, s, err)) > 0)
		if (ic->job.ops->put_registered_model_tag(tx, name, col_text_or(s, 0, ""), col_text(s, 1), err) < 0)
			return -1;
	if (rc < 0)
		return -1;
	s = src_query(ic->src, SRC_VERSIONS, name, 0);
	while ((rc = src_step(ic->src, s, err)) > 0) {
		struct store_import_version v = {
			.name = name,
			.version = col_int_or(s, 1, 0),
			.creation_time = col_int_or(s, 2, 0),
			.last_updated_time = col_int_or(s, 3, 0),
			.description = col_text(s, 4),
			.user_id = col_text(s, 5),
			.current_stage = col_text(s, 6),
			.source = relocate(ic, col_text(s, 7)),
			.storage_location = relocate(ic, col_text(s, 8)),
			.run_id = col_text(s, 9),
			.run_link = col_text(s, 10),
			.status = col_text(s, 11),
			.status_message = col_text(s, 12),
		};
		if (ic->job.ops->put_model_version(tx, &v, err) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	s = src_query(ic->src, SRC_VERSION_TAGS, name, 0);
	while ((rc = src_step(ic->src, s, err)) > 0)
		if (ic->job.ops->put_model_version_tag(tx, name, col_int_or(s, 0, 0), col_text_or(s, 1, ""), col_text(s, 2),
						   err) < 0)
			return -1;
	if (rc < 0)
		return -1;
	s = src_query(ic->src, SRC_ALIASES, name, 0);
	while ((rc = src_step(ic->src, s, err)) > 0)
		if (ic->job.ops->put_alias(tx, name, col_text_or(s, 0, ""), col_int_or(s, 1, 0), err) < 0)
			return -1;
	if (rc < 0)
		return -1;
	return ic->job.ops->count_model(tx, name, ic->job.counts, err);
}

static int import_registry_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct import_ctx *ic = arg;
	sqlite3_stmt *m = src_query(ic->src, SRC_MODELS, NULL, 0);
	int rc;
	while ((rc = src_step(ic->src, m, err)) > 0)
		if (import_model(tx, ic, m, err) < 0)
			return store_import_err_within(err, "the model registry (rolled back)");
	return rc;
}

/* ---- the whole import ---------------------------------------------------------------- */

static int import_all(struct import_ctx *ic, bool dry_run, struct mlf_err *err)
{
	struct source *src = ic->src;
	sqlite3_stmt *e = src_query(src, SRC_EXPERIMENTS, NULL, 0);
	int rc;
	while ((rc = src_step(src, e, err)) > 0) {
		ic->experiment_id = sqlite3_column_int64(e, 0);
		ic->experiment_location = arena_strdup(&ic->job.a, col_text_or(e, 2, ""));
		if (!dry_run && store_import_commit(&ic->job, import_experiment_tx, ic, err) < 0)
			return -1;
		arena_release(&ic->job.a);
		ic->job.rep->experiments_done++;
		progress(ic, false);
	}
	if (rc < 0)
		return -1;
	if (dry_run || !src->stmt[SRC_MODELS])
		return 0;
	return store_import_commit(&ic->job, import_registry_tx, ic, err);
}

int store_import_check_source(const char *source_path, struct mlf_err *err)
{
	struct store_import_report rep;
	struct source src = { 0 };
	memset(&rep, 0, sizeof(rep));
	int rc = source_open(&src, source_path, &rep, err);
	source_close(&src);
	return rc;
}

int store_import_mlflow_sqlite(struct store *st, const char *source_path, const struct store_import_hooks *h,
			       bool dry_run, struct store_import_report *rep, struct mlf_err *err)
{
	memset(rep, 0, sizeof(*rep));
	if (!dry_run && (!st || !st->import))
		return mlf_errorf(err, MLF_NOT_IMPLEMENTED, "this backend store cannot import");
	struct source src = { 0 };
	struct import_ctx ic = { .job = { .st = st, .ops = st ? st->import : NULL, .hooks = h, .rep = rep }, .src = &src };
	int rc = source_open(&src, source_path, rep, err);
	if (rc == 0)
		rc = source_count(&src, rep, err);
	rep->experiments_total = rep->source[STORE_IMPORT_EXPERIMENTS];
	if (rc == 0)
		rc = import_all(&ic, dry_run, err);
	source_close(&src);
	arena_release(&ic.job.a);
	progress(&ic, true);
	if (rc == 0 && !dry_run)
		rc = store_import_check_counts(rep, err);
	return rc;
}
