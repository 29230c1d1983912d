/*
 * store_sqlite_gc.c - the rows of `mlflowc gc` in the SQLite store
 * (store_gc.h): lists deleted runs and experiments, and purges one run or
 * one experiment per write transaction, every statement with bound
 * parameters. The statements are prepared per call (gc is a command, not a
 * request path), so the shared statement table stays as it is.
 */
#include "store_gc.h"
#include "store_sqlite_int.h"
#include <stdarg.h>

/* ---- statement helpers ------------------------------------------------------------- */

static sqlite3_stmt *gc_vprepare(struct sqlite_conn *c, struct mlf_err *err, const char *sql, const char *types,
				 va_list ap)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite_conn_fail(c, sql, err);
		return NULL;
	}
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't')
			sqlite_bind_text(s, i + 1, va_arg(ap, const char *));
		else
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
	}
	return s;
}

/* Prepares `sql` on `c` and binds values as sqlite_stmt_bound does ('t'
 * text, 'i' int64). The caller finalizes it. NULL with `err` set. */
static sqlite3_stmt *gc_prepare(struct sqlite_conn *c, struct mlf_err *err, const char *sql, const char *types,
				...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *s = gc_vprepare(c, err, sql, types, ap);
	va_end(ap);
	return s;
}

/* The same, stepped once for its effect and finalized. */
static int gc_exec(struct sqlite_conn *c, struct mlf_err *err, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *s = gc_vprepare(c, err, sql, types, ap);
	va_end(ap);
	int rc = s ? sqlite_step_done(c, s, err) : -1;
	sqlite3_finalize(s);
	return rc;
}

/* Rows of (run_uuid, experiment_id, artifact_uri, lifecycle_stage, deleted_time). */
static int load_runs(struct sqlite_conn *c, sqlite3_stmt *s, struct store_gc_run **out, size_t *n, struct arena *a,
		     struct mlf_err *err)
{
	size_t cap = 16, k = 0;
	struct store_gc_run *r = arena_alloc(a, cap * sizeof(*r));
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			struct store_gc_run *bigger = arena_alloc(a, 2 * cap * sizeof(*r));
			memcpy(bigger, r, cap * sizeof(*r));
			r = bigger;
			cap *= 2;
		}
		r[k].run_id = sqlite_col_text(s, 0, a);
		r[k].experiment_id = sqlite3_column_int64(s, 1);
		r[k].artifact_uri = sqlite_col_text(s, 2, a);
		r[k].lifecycle_stage = sqlite_col_text(s, 3, a);
		r[k].deleted_time = sqlite3_column_int64(s, 4);
		k++;
	}
	if (rc != SQLITE_DONE)
		return sqlite_conn_fail(c, sqlite3_sql(s), err);
	*out = r;
	*n = k;
	return 0;
}

#define RUN_COLUMNS "run_uuid, experiment_id, artifact_uri, lifecycle_stage, deleted_time"

static int sq_deleted_runs(struct store *st, bool has_cutoff, int64_t cutoff, struct store_gc_run **out, size_t *n,
			   struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = gc_prepare(c, err,
				     "SELECT " RUN_COLUMNS " FROM runs WHERE lifecycle_stage = 'deleted'"
				     " AND (?1 = 0 OR deleted_time <= ?2) ORDER BY deleted_time, run_pk",
				     "ii", (int64_t)has_cutoff, cutoff);
	int rc = s ? load_runs(c, s, out, n, a, err) : -1;
	sqlite3_finalize(s);
	return sqlite_read_end(c, rc);
}

static int sq_experiment_runs(struct store *st, int64_t experiment_id, struct store_gc_run **out, size_t *n,
			      struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = gc_prepare(c, err, "SELECT " RUN_COLUMNS " FROM runs WHERE experiment_id = ?1 ORDER BY run_pk",
				     "i", experiment_id);
	int rc = s ? load_runs(c, s, out, n, a, err) : -1;
	sqlite3_finalize(s);
	return sqlite_read_end(c, rc);
}

static int sq_run_find(struct store *st, const char *run_id, struct store_gc_run *out, bool *found, struct arena *a,
		       struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = gc_prepare(c, err, "SELECT " RUN_COLUMNS " FROM runs WHERE run_uuid = ?1", "t", run_id);
	struct store_gc_run *r;
	size_t n = 0;
	int rc = s ? load_runs(c, s, &r, &n, a, err) : -1;
	sqlite3_finalize(s);
	*found = rc == 0 && n == 1;
	if (*found)
		*out = r[0];
	return sqlite_read_end(c, rc);
}

static int sq_deleted_experiments(struct store *st, bool has_cutoff, int64_t cutoff, struct store_experiment **out,
				  size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = gc_prepare(c, err,
				     "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time,"
				     " last_update_time FROM experiments WHERE lifecycle_stage = 'deleted'"
				     " AND (?1 = 0 OR last_update_time < ?2) ORDER BY experiment_id",
				     "ii", (int64_t)has_cutoff, cutoff);
	int rc = s ? 0 : -1, step;
	size_t cap = 8, k = 0;
	struct store_experiment *e = arena_alloc(a, cap * sizeof(*e));
	while (s && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			struct store_experiment *bigger = arena_alloc(a, 2 * cap * sizeof(*e));
			memcpy(bigger, e, cap * sizeof(*e));
			e = bigger;
			cap *= 2;
		}
		memset(&e[k], 0, sizeof(e[k]));
		e[k].id = sqlite3_column_int64(s, 0);
		e[k].name = sqlite_col_text(s, 1, a);
		e[k].artifact_location = sqlite_col_text(s, 2, a);
		e[k].lifecycle_stage = sqlite_col_text(s, 3, a);
		e[k].creation_time = sqlite3_column_int64(s, 4);
		e[k].last_update_time = sqlite3_column_int64(s, 5);
		k++;
	}
	if (s && step != SQLITE_DONE)
		rc = sqlite_conn_fail(c, sqlite3_sql(s), err);
	sqlite3_finalize(s);
	*out = e;
	*n = k;
	return sqlite_read_end(c, rc);
}

/* ---- dependents: logged models and versions ----------------------------------------- */

static int load_dependents(struct sqlite_conn *c, const char *run_id, int64_t experiment_id,
			   struct store_gc_logged **models, size_t *n_models, struct store_gc_version **versions,
			   size_t *n_versions, struct arena *a, struct mlf_err *err)
{
	sqlite3_stmt *s =
		run_id ? gc_prepare(c, err,
				    "SELECT model_id, artifact_location FROM logged_models WHERE source_run_id = ?1"
				    " ORDER BY model_id",
				    "t", run_id)
		       : gc_prepare(c, err,
				    "SELECT model_id, artifact_location FROM logged_models WHERE experiment_id = ?1"
				    " ORDER BY model_id",
				    "i", experiment_id);
	if (!s)
		return -1;
	size_t cap = 4, k = 0;
	struct store_gc_logged *m = arena_alloc(a, cap * sizeof(*m));
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			struct store_gc_logged *bigger = arena_alloc(a, 2 * cap * sizeof(*m));
			memcpy(bigger, m, cap * sizeof(*m));
			m = bigger;
			cap *= 2;
		}
		m[k].model_id = sqlite_col_text(s, 0, a);
		m[k].artifact_location = sqlite_col_text(s, 1, a);
		k++;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return sqlite_conn_fail(c, "logged models of a purge", err);
	*models = m;
	*n_models = k;

	/* every live version: the front decides which use these files (their
	 * sources may spell the same place in several ways) */
	s = gc_prepare(c, err,
		       "SELECT m.name, v.version, v.source, v.storage_location, v.model_id FROM model_versions v"
		       " JOIN registered_models m ON m.model_pk = v.model_pk"
		       " WHERE v.current_stage != 'Deleted_Internal' ORDER BY m.name, v.version",
		       "");
	if (!s)
		return -1;
	cap = 8;
	k = 0;
	struct store_gc_version *v = arena_alloc(a, cap * sizeof(*v));
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			struct store_gc_version *bigger = arena_alloc(a, 2 * cap * sizeof(*v));
			memcpy(bigger, v, cap * sizeof(*v));
			v = bigger;
			cap *= 2;
		}
		v[k].model_name = sqlite_col_text(s, 0, a);
		v[k].version = sqlite3_column_int64(s, 1);
		v[k].source = sqlite_col_text(s, 2, a);
		v[k].storage_location = sqlite_col_text(s, 3, a);
		v[k].model_id = sqlite_col_text(s, 4, a);
		v[k].new_storage_location = NULL;
		if (!v[k].source)
			v[k].source = "";
		k++;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return sqlite_conn_fail(c, "model versions of a purge", err);
	*versions = v;
	*n_versions = k;
	return 0;
}

static int sq_dependents(struct store *st, const char *run_id, int64_t experiment_id, const char *run_artifact_uri,
			 struct store_gc_logged **models, size_t *n_models, struct store_gc_version **versions,
			 size_t *n_versions, struct arena *a, struct mlf_err *err)
{
	(void)run_artifact_uri;
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	int rc = load_dependents(c, run_id, experiment_id, models, n_models, versions, n_versions, a, err);
	return sqlite_read_end(c, rc);
}

/* ---- purges -------------------------------------------------------------------------- */

typedef int (*prepare_fn)(void *pctx, const struct store_gc_run *run, const struct store_gc_logged *models,
			  size_t n_models, struct store_gc_version *versions, size_t n_versions, struct arena *a,
			  struct mlf_err *err);

/* The rows of logged models `where` selects (a condition on logged_models
 * with one bound value). */
static int delete_logged(struct sqlite_conn *c, const char *where, char type, const char *text, int64_t num,
			 struct mlf_err *err)
{
	static const char *const tables[] = { "logged_model_params", "logged_model_tags", "logged_model_metrics",
					      "run_model_links" };
	char sql[256], types[2] = { type, 0 };
	for (size_t i = 0; i <= ARRAY_SIZE(tables); i++) {
		if (i < ARRAY_SIZE(tables))
			snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE model_id IN (SELECT model_id FROM logged_models WHERE %s)",
				 tables[i], where);
		else
			snprintf(sql, sizeof(sql), "DELETE FROM logged_models WHERE %s", where);
		int rc = type == 't' ? gc_exec(c, err, sql, types, text) : gc_exec(c, err, sql, types, num);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int rewrite_versions(struct sqlite_conn *c, const struct store_gc_version *v, size_t n, struct mlf_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].new_storage_location &&
		    gc_exec(c, err,
			    "UPDATE model_versions SET storage_location = ?1 WHERE version = ?2 AND model_pk ="
			    " (SELECT model_pk FROM registered_models WHERE name = ?3)",
			    "tit", v[i].new_storage_location, v[i].version, v[i].model_name) < 0)
			return -1;
	return 0;
}

/* The datasets of run ?1 that no other run uses. */
#define DELETE_UNUSED_DATASETS                                                                                         \
	"DELETE FROM datasets WHERE dataset_pk IN (SELECT dataset_pk FROM run_inputs WHERE run_pk = ?1)"               \
	" AND NOT EXISTS (SELECT 1 FROM run_inputs o WHERE o.dataset_pk = datasets.dataset_pk AND o.run_pk != ?1)"

struct purge_run_args {
	const char *run_id;
	int64_t in_experiment;
	bool has_cutoff;
	int64_t cutoff;
	prepare_fn prepare;
	void *pctx;
	enum store_gc_outcome *outcome;
};

static int experiment_stage(struct sqlite_conn *c, int64_t id, bool *deleted, bool *found, struct mlf_err *err)
{
	sqlite3_stmt *s = gc_prepare(c, err, "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?1", "i", id);
	if (!s)
		return -1;
	bool row;
	int rc = sqlite_step_row(c, s, &row, err);
	*found = rc == 0 && row;
	*deleted = *found && !strcmp((const char *)sqlite3_column_text(s, 0), "deleted");
	sqlite3_finalize(s);
	return rc;
}

static int purge_run_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct purge_run_args *x = arg;
	struct arena a = ARENA_INIT;
	int rc = -1;
	sqlite3_stmt *s = gc_prepare(c, err, "SELECT " RUN_COLUMNS ", run_pk FROM runs WHERE run_uuid = ?1", "t",
				     x->run_id);
	if (!s)
		return -1;
	bool row;
	if (sqlite_step_row(c, s, &row, err) < 0) {
		sqlite3_finalize(s);
		return -1;
	}
	if (!row) {
		sqlite3_finalize(s);
		*x->outcome = STORE_GC_SKIPPED_GONE;
		return 0;
	}
	struct store_gc_run run = {
		.run_id = sqlite_col_text(s, 0, &a),
		.experiment_id = sqlite3_column_int64(s, 1),
		.artifact_uri = sqlite_col_text(s, 2, &a),
		.lifecycle_stage = sqlite_col_text(s, 3, &a),
		.deleted_time = sqlite3_column_int64(s, 4),
	};
	bool no_time = sqlite3_column_type(s, 4) == SQLITE_NULL;
	int64_t pk = sqlite3_column_int64(s, 5);
	sqlite3_finalize(s);

	/* the checks of the listing, again, now that nobody else writes */
	*x->outcome = STORE_GC_PURGED;
	if (x->in_experiment >= 0) {
		bool deleted, found;
		if (experiment_stage(c, run.experiment_id, &deleted, &found, err) < 0)
			goto out;
		if (run.experiment_id != x->in_experiment || !deleted || strcmp(run.lifecycle_stage, "deleted") != 0)
			*x->outcome = STORE_GC_SKIPPED_RESTORED;
	} else if (strcmp(run.lifecycle_stage, "deleted") != 0) {
		*x->outcome = STORE_GC_SKIPPED_RESTORED;
	} else if (x->has_cutoff && (no_time || run.deleted_time > x->cutoff)) {
		*x->outcome = STORE_GC_SKIPPED_YOUNG;
	}
	if (*x->outcome != STORE_GC_PURGED) {
		rc = 0;
		goto out;
	}

	struct store_gc_logged *models;
	struct store_gc_version *versions;
	size_t n_models, n_versions;
	if (load_dependents(c, run.run_id, -1, &models, &n_models, &versions, &n_versions, &a, err) < 0 ||
	    x->prepare(x->pctx, &run, models, n_models, versions, n_versions, &a, err) < 0)
		goto out;

	/* the artifacts are gone: now the rows */
	if (delete_logged(c, "source_run_id = ?1", 't', run.run_id, 0, err) < 0)
		goto out;
	static const char *const by_run[] = {
		"DELETE FROM metrics WHERE run_pk = ?1",
		"DELETE FROM latest_metrics WHERE run_pk = ?1",
		"DELETE FROM params WHERE run_pk = ?1",
		"DELETE FROM tags WHERE run_pk = ?1",
		"DELETE FROM input_tags WHERE run_pk = ?1",
		DELETE_UNUSED_DATASETS,
		"DELETE FROM run_inputs WHERE run_pk = ?1",
		"DELETE FROM run_model_links WHERE run_pk = ?1",
		"DELETE FROM runs WHERE run_pk = ?1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(by_run); i++)
		if (gc_exec(c, err, by_run[i], "i", pk) < 0)
			goto out;
	rc = rewrite_versions(c, versions, n_versions, err);
out:
	arena_release(&a);
	return rc;
}

static int sq_purge_run(struct store *st, const char *run_id, int64_t in_experiment, bool has_cutoff, int64_t cutoff,
			prepare_fn prepare, void *pctx, enum store_gc_outcome *outcome, struct mlf_err *err)
{
	struct purge_run_args x = { run_id, in_experiment, has_cutoff, cutoff, prepare, pctx, outcome };
	return sqlite_pool_write(store_sqlite_pool(st), purge_run_job, &x, err);
}

struct purge_exp_args {
	int64_t id;
	prepare_fn prepare;
	void *pctx;
	enum store_gc_outcome *outcome;
};

static int purge_exp_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct purge_exp_args *x = arg;
	bool deleted, found, row;
	if (experiment_stage(c, x->id, &deleted, &found, err) < 0)
		return -1;
	if (!found || !deleted) {
		*x->outcome = found ? STORE_GC_SKIPPED_RESTORED : STORE_GC_SKIPPED_GONE;
		return 0;
	}
	sqlite3_stmt *s = gc_prepare(c, err, "SELECT 1 FROM runs WHERE experiment_id = ?1 LIMIT 1", "i", x->id);
	if (!s || sqlite_step_row(c, s, &row, err) < 0) {
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	if (row) {
		*x->outcome = STORE_GC_SKIPPED_BUSY;
		return 0;
	}
	*x->outcome = STORE_GC_PURGED;
	struct arena a = ARENA_INIT;
	struct store_gc_logged *models;
	struct store_gc_version *versions;
	size_t n_models, n_versions;
	int rc = -1;
	if (load_dependents(c, NULL, x->id, &models, &n_models, &versions, &n_versions, &a, err) < 0 ||
	    x->prepare(x->pctx, NULL, models, n_models, versions, n_versions, &a, err) < 0 ||
	    delete_logged(c, "experiment_id = ?1", 'i', NULL, x->id, err) < 0)
		goto out;
	static const char *const by_experiment[] = {
		"DELETE FROM input_tags WHERE dataset_pk IN (SELECT dataset_pk FROM datasets WHERE experiment_id = ?1)",
		"DELETE FROM run_inputs WHERE dataset_pk IN (SELECT dataset_pk FROM datasets WHERE experiment_id = ?1)",
		"DELETE FROM datasets WHERE experiment_id = ?1",
		"DELETE FROM experiment_tags WHERE experiment_id = ?1",
		"DELETE FROM experiments WHERE experiment_id = ?1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(by_experiment); i++)
		if (gc_exec(c, err, by_experiment[i], "i", x->id) < 0)
			goto out;
	rc = rewrite_versions(c, versions, n_versions, err);
out:
	arena_release(&a);
	return rc;
}

static int sq_purge_experiment(struct store *st, int64_t experiment_id, prepare_fn prepare, void *pctx,
			       enum store_gc_outcome *outcome, struct mlf_err *err)
{
	struct purge_exp_args x = { experiment_id, prepare, pctx, outcome };
	return sqlite_pool_write(store_sqlite_pool(st), purge_exp_job, &x, err);
}

/* ---- usage ---------------------------------------------------------------------------- */

/* Grows `*items` (of `size` bytes each) when `k` reached `*cap`. */
static void *grow(void *items, size_t size, size_t k, size_t *cap, struct arena *a)
{
	if (k < *cap)
		return items;
	void *bigger = arena_alloc(a, 2 * *cap * size);
	memcpy(bigger, items, *cap * size);
	*cap *= 2;
	return bigger;
}

#define RUN_ROWS(pk)                                                                                                   \
	"(SELECT count(*) FROM latest_metrics x WHERE x.run_pk = " pk ") + (SELECT count(*) FROM params x WHERE"        \
	" x.run_pk = " pk ") + (SELECT count(*) FROM tags x WHERE x.run_pk = " pk ") + (SELECT count(*) FROM"          \
	" run_inputs x WHERE x.run_pk = " pk ") + (SELECT count(*) FROM input_tags x WHERE x.run_pk = " pk ") +"      \
	" (SELECT count(*) FROM run_model_links x WHERE x.run_pk = " pk ")"

#define MODEL_ROWS(where)                                                                                              \
	"(SELECT count(*) FROM logged_models l WHERE " where ") + (SELECT count(*) FROM logged_model_params x JOIN"   \
	" logged_models l USING (model_id) WHERE " where ") + (SELECT count(*) FROM logged_model_tags x JOIN"          \
	" logged_models l USING (model_id) WHERE " where ") + (SELECT count(*) FROM logged_model_metrics x JOIN"       \
	" logged_models l USING (model_id) WHERE " where ")"

static int usage_read(struct sqlite_conn *c, struct store_gc_usage *out, struct arena *a, struct mlf_err *err)
{
	int step;
	size_t cap = 8, k = 0;
	sqlite3_stmt *s = gc_prepare(c, err,
				     "SELECT e.experiment_id, e.name, e.lifecycle_stage, 1 + (SELECT count(*) FROM"
				     " experiment_tags x WHERE x.experiment_id = e.experiment_id) + (SELECT count(*) FROM"
				     " datasets x WHERE x.experiment_id = e.experiment_id) + " MODEL_ROWS(
					     "l.experiment_id = e.experiment_id") " FROM experiments e ORDER BY 1",
				     "");
	if (!s)
		return -1;
	struct store_gc_usage_experiment *e = arena_alloc(a, cap * sizeof(*e));
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		e = grow(e, sizeof(*e), k, &cap, a);
		e[k].id = sqlite3_column_int64(s, 0);
		e[k].name = sqlite_col_text(s, 1, a);
		e[k].lifecycle_stage = sqlite_col_text(s, 2, a);
		e[k].rows = sqlite3_column_int64(s, 3);
		k++;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return sqlite_conn_fail(c, "experiment usage", err);
	out->experiments = e;
	out->n_experiments = k;

	s = gc_prepare(c, err,
		       "SELECT r.run_uuid, r.experiment_id, r.name, r.artifact_uri, r.lifecycle_stage,"
		       " (SELECT count(*) FROM metrics x WHERE x.run_pk = r.run_pk), 1 + " RUN_ROWS("r.run_pk")
		       " FROM runs r ORDER BY r.run_pk",
		       "");
	if (!s)
		return -1;
	cap = 16;
	k = 0;
	struct store_gc_usage_run *r = arena_alloc(a, cap * sizeof(*r));
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		r = grow(r, sizeof(*r), k, &cap, a);
		r[k].run_id = sqlite_col_text(s, 0, a);
		r[k].experiment_id = sqlite3_column_int64(s, 1);
		r[k].name = sqlite_col_text(s, 2, a);
		r[k].artifact_uri = sqlite_col_text(s, 3, a);
		r[k].lifecycle_stage = sqlite_col_text(s, 4, a);
		r[k].metric_rows = sqlite3_column_int64(s, 5);
		r[k].rows = sqlite3_column_int64(s, 6) + r[k].metric_rows;
		k++;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return sqlite_conn_fail(c, "run usage", err);
	out->runs = r;
	out->n_runs = k;

	s = gc_prepare(c, err,
		       "SELECT m.name, v.version, coalesce(nullif(v.storage_location, ''), v.source), 1 + (SELECT"
		       " count(*) FROM model_version_tags x WHERE x.model_pk = v.model_pk AND x.version = v.version)"
		       " FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk"
		       " WHERE v.current_stage != 'Deleted_Internal' ORDER BY m.name, v.version",
		       "");
	if (!s)
		return -1;
	cap = 8;
	k = 0;
	struct store_gc_usage_version *v = arena_alloc(a, cap * sizeof(*v));
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, sizeof(*v), k, &cap, a);
		v[k].model_name = sqlite_col_text(s, 0, a);
		v[k].version = sqlite3_column_int64(s, 1);
		v[k].location = sqlite_col_text(s, 2, a);
		v[k].rows = sqlite3_column_int64(s, 3);
		k++;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return sqlite_conn_fail(c, "version usage", err);
	out->versions = v;
	out->n_versions = k;
	return 0;
}

static int sq_usage(struct store *st, struct store_gc_usage *out, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, usage_read(c, out, a, err));
}

const struct store_gc_ops store_sqlite_gc_ops = {
	.deleted_runs = sq_deleted_runs,
	.deleted_experiments = sq_deleted_experiments,
	.experiment_runs = sq_experiment_runs,
	.run_find = sq_run_find,
	.dependents = sq_dependents,
	.purge_run = sq_purge_run,
	.purge_experiment = sq_purge_experiment,
	.usage = sq_usage,
};
