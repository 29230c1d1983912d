/*
 * store_pg_gc.c - the rows of `mlflowc gc` in the PostgreSQL store
 * (store_gc.h), the twin of store_sqlite_gc.c: lists deleted runs and
 * experiments, and purges one run or one experiment per write transaction,
 * every statement with bound parameters (texts run per call: gc is a
 * command, not a request path).
 *
 * SQLite's purge is safe because nothing else writes while it runs. Here
 * servers keep serving, so a purge takes the locks that stand for that:
 * model_versions in SHARE ROW EXCLUSIVE mode first (no version can be
 * registered on, or moved to, a path between the listing of what versions
 * use and the deletion of the files; reads go on; two purges queue), then
 * the run FOR UPDATE (a restore waits, then finds nothing) and its
 * experiment FOR SHARE (an experiment restore waits too). Everything is
 * re-checked after the locks. A deadlock with a concurrent writer is
 * retried by pg_pool_tx before any file is touched, as the locks come
 * first.
 *
 * Bounded transactions: the purge transaction deletes the run row and its
 * small rows; the metric history, which may hold millions of points, is
 * deleted afterwards in batches of PURGE_BATCH rows, each its own short
 * transaction, once no row points at it any more (run_pk comes from an
 * identity column and is never handed out again, so nothing can reach or
 * join those points in between). A gc stopped between the two leaves
 * unreachable history rows that no read returns.
 */
#include "store_gc.h"
#include "store_pg_int.h"
#include "../base/common.h"
#include <stdlib.h>
#include <string.h>

/* History points deleted per transaction after a purge. */
#define PURGE_BATCH 10000

/* Runs a statement for its effect: 0, or -1 with `err` set. */
static int done(PGresult *r)
{
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

#define RUN_COLUMNS "run_uuid, experiment_id, artifact_uri, lifecycle_stage, deleted_time"

/* Rows of RUN_COLUMNS. */
static void load_runs(const PGresult *r, struct store_gc_run **out, size_t *n, struct arena *a)
{
	size_t k = (size_t)PQntuples(r);
	struct store_gc_run *v = arena_alloc(a, (k ? k : 1) * sizeof(*v));
	for (size_t i = 0; i < k; i++) {
		v[i].run_id = pg_col_text(r, (int)i, 0, a);
		v[i].experiment_id = pg_col_int64(r, (int)i, 1);
		v[i].artifact_uri = pg_col_text(r, (int)i, 2, a);
		v[i].lifecycle_stage = pg_col_text(r, (int)i, 3, a);
		v[i].deleted_time = pg_col_int64(r, (int)i, 4);
	}
	*out = v;
	*n = k;
}

/* ---- listings ---------------------------------------------------------------------- */

struct runs_args {
	const char *sql;
	const char *types;
	int64_t i1, i2;
	const char *t1;
	struct store_gc_run **out;
	size_t *n;
	struct arena *a;
};

static int runs_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct runs_args *x = arg;
	PGresult *r = x->t1 ? pg_query(c, err, x->sql, "t", x->t1)
		      : !strcmp(x->types, "ii") ? pg_query(c, err, x->sql, "ii", x->i1, x->i2)
						 : pg_query(c, err, x->sql, "i", x->i1);
	if (!r)
		return -1;
	load_runs(r, x->out, x->n, x->a);
	PQclear(r);
	return 0;
}

static int pg_gc_deleted_runs(struct store *st, bool has_cutoff, int64_t cutoff, struct store_gc_run **out,
			      size_t *n, struct arena *a, struct mlf_err *err)
{
	/* SQLite sorts a NULL deletion time first */
	struct runs_args x = { "SELECT " RUN_COLUMNS " FROM runs WHERE lifecycle_stage = 'deleted'"
			       " AND ($1::bigint = 0 OR deleted_time <= $2) ORDER BY deleted_time NULLS FIRST, run_pk",
			       "ii", has_cutoff, cutoff, NULL, out, n, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, runs_read, &x, err);
}

static int pg_gc_experiment_runs(struct store *st, int64_t experiment_id, struct store_gc_run **out, size_t *n,
				 struct arena *a, struct mlf_err *err)
{
	struct runs_args x = { "SELECT " RUN_COLUMNS " FROM runs WHERE experiment_id = $1 ORDER BY run_pk", "i",
			       experiment_id, 0, NULL, out, n, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, runs_read, &x, err);
}

static int pg_gc_run_find(struct store *st, const char *run_id, struct store_gc_run *out, bool *found,
			  struct arena *a, struct mlf_err *err)
{
	struct store_gc_run *r = NULL;
	size_t n = 0;
	struct runs_args x = { "SELECT " RUN_COLUMNS " FROM runs WHERE run_uuid = $1", "t", 0, 0, run_id, &r, &n, a };
	int rc = pg_pool_tx(store_pg_pool(st), PG_TX_READ, runs_read, &x, err);
	*found = rc == 0 && n == 1;
	if (*found)
		*out = r[0];
	return rc;
}

struct experiments_args {
	bool has_cutoff;
	int64_t cutoff;
	struct store_experiment **out;
	size_t *n;
	struct arena *a;
};

static int experiments_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct experiments_args *x = arg;
	PGresult *r = pg_query(c, err,
			       "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time,"
			       " last_update_time FROM experiments WHERE lifecycle_stage = 'deleted'"
			       " AND ($1::bigint = 0 OR last_update_time < $2) ORDER BY experiment_id",
			       "ii", (int64_t)x->has_cutoff, x->cutoff);
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	struct store_experiment *e = arena_alloc(x->a, (k ? k : 1) * sizeof(*e));
	for (size_t i = 0; i < k; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].id = pg_col_int64(r, (int)i, 0);
		e[i].name = pg_col_text(r, (int)i, 1, x->a);
		e[i].artifact_location = pg_col_text(r, (int)i, 2, x->a);
		e[i].lifecycle_stage = pg_col_text(r, (int)i, 3, x->a);
		e[i].creation_time = pg_col_int64(r, (int)i, 4);
		e[i].last_update_time = pg_col_int64(r, (int)i, 5);
	}
	PQclear(r);
	*x->out = e;
	*x->n = k;
	return 0;
}

static int pg_gc_deleted_experiments(struct store *st, bool has_cutoff, int64_t cutoff, struct store_experiment **out,
				     size_t *n, struct arena *a, struct mlf_err *err)
{
	struct experiments_args x = { has_cutoff, cutoff, out, n, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, experiments_read, &x, err);
}

/* ---- dependents: logged models and versions ----------------------------------------- */

static int load_dependents(struct pg_conn *c, const char *run_id, int64_t experiment_id,
			   struct store_gc_logged **models, size_t *n_models, struct store_gc_version **versions,
			   size_t *n_versions, struct arena *a, struct mlf_err *err)
{
	PGresult *r = run_id ? pg_query(c, err,
					"SELECT model_id, artifact_location FROM logged_models WHERE source_run_id = $1"
					" ORDER BY model_id",
					"t", run_id)
			     : pg_query(c, err,
					"SELECT model_id, artifact_location FROM logged_models WHERE experiment_id = $1"
					" ORDER BY model_id",
					"i", experiment_id);
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	struct store_gc_logged *m = arena_alloc(a, (k ? k : 1) * sizeof(*m));
	for (size_t i = 0; i < k; i++) {
		m[i].model_id = pg_col_text(r, (int)i, 0, a);
		m[i].artifact_location = pg_col_text(r, (int)i, 1, a);
	}
	PQclear(r);
	*models = m;
	*n_models = k;

	/* every live version: the front decides which use these files (their
	 * sources may spell the same place in several ways) */
	r = pg_query(c, err,
		     "SELECT m.name, v.version, v.source, v.storage_location, v.model_id FROM model_versions v"
		     " JOIN registered_models m ON m.model_pk = v.model_pk"
		     " WHERE v.current_stage <> 'Deleted_Internal' ORDER BY m.name, v.version",
		     "");
	if (!r)
		return -1;
	k = (size_t)PQntuples(r);
	struct store_gc_version *v = arena_alloc(a, (k ? k : 1) * sizeof(*v));
	for (size_t i = 0; i < k; i++) {
		v[i].model_name = pg_col_text(r, (int)i, 0, a);
		v[i].version = pg_col_int64(r, (int)i, 1);
		v[i].source = pg_col_text(r, (int)i, 2, a);
		v[i].storage_location = pg_col_text(r, (int)i, 3, a);
		v[i].model_id = pg_col_text(r, (int)i, 4, a);
		v[i].new_storage_location = NULL;
		if (!v[i].source)
			v[i].source = "";
	}
	PQclear(r);
	*versions = v;
	*n_versions = k;
	return 0;
}

struct dependents_args {
	const char *run_id;
	int64_t experiment_id;
	struct store_gc_logged **models;
	size_t *n_models;
	struct store_gc_version **versions;
	size_t *n_versions;
	struct arena *a;
};

static int dependents_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct dependents_args *x = arg;
	return load_dependents(c, x->run_id, x->experiment_id, x->models, x->n_models, x->versions, x->n_versions, x->a,
			       err);
}

static int pg_gc_dependents(struct store *st, const char *run_id, int64_t experiment_id, const char *run_artifact_uri,
			    struct store_gc_logged **models, size_t *n_models, struct store_gc_version **versions,
			    size_t *n_versions, struct arena *a, struct mlf_err *err)
{
	(void)run_artifact_uri;
	struct dependents_args x = { run_id, experiment_id, models, n_models, versions, n_versions, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, dependents_read, &x, err);
}

/* ---- purges -------------------------------------------------------------------------- */

typedef int (*prepare_fn)(void *pctx, const struct store_gc_run *run, const struct store_gc_logged *models,
			  size_t n_models, struct store_gc_version *versions, size_t n_versions, struct arena *a,
			  struct mlf_err *err);

/* Nothing registers a version on, or moves one to, a path while a purge
 * decides and deletes; reads go on, and two purges take turns. */
static int lock_versions(struct pg_conn *c, struct mlf_err *err)
{
	return done(pg_query(c, err, "LOCK TABLE model_versions IN SHARE ROW EXCLUSIVE MODE", ""));
}

/* The rows of the logged models `where` selects (a condition on
 * logged_models with the one bound value $1). */
static int delete_logged(struct pg_conn *c, const char *where, char type, const char *text, int64_t num,
			 struct mlf_err *err)
{
	static const char *const tables[] = { "logged_model_params", "logged_model_tags", "logged_model_metrics",
					      "run_model_links" };
	char sql[256];
	for (size_t i = 0; i <= ARRAY_SIZE(tables); i++) {
		if (i < ARRAY_SIZE(tables))
			snprintf(sql, sizeof(sql),
				 "DELETE FROM %s WHERE model_id IN (SELECT model_id FROM logged_models WHERE %s)", tables[i],
				 where);
		else
			snprintf(sql, sizeof(sql), "DELETE FROM logged_models WHERE %s", where);
		PGresult *r = type == 't' ? pg_query(c, err, sql, "t", text) : pg_query(c, err, sql, "i", num);
		if (done(r) < 0)
			return -1;
	}
	return 0;
}

static int rewrite_versions(struct pg_conn *c, const struct store_gc_version *v, size_t n, struct mlf_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].new_storage_location &&
		    done(pg_query(c, err,
				  "UPDATE model_versions SET storage_location = $1 WHERE version = $2 AND model_pk ="
				  " (SELECT model_pk FROM registered_models WHERE name = $3)",
				  "tit", v[i].new_storage_location, v[i].version, v[i].model_name)) < 0)
			return -1;
	return 0;
}

/* The datasets of run $1 that no other run uses. */
#define DELETE_UNUSED_DATASETS                                                                                         \
	"DELETE FROM datasets WHERE dataset_pk IN (SELECT dataset_pk FROM run_inputs WHERE run_pk = $1)"               \
	" AND NOT EXISTS (SELECT 1 FROM run_inputs o WHERE o.dataset_pk = datasets.dataset_pk AND o.run_pk <> $1)"

struct purge_run_args {
	const char *run_id;
	int64_t in_experiment;
	bool has_cutoff;
	int64_t cutoff;
	prepare_fn prepare;
	void *pctx;
	enum store_gc_outcome outcome; /* written at the end of an attempt */
	int64_t pk;                    /* of the purged run, for the history batches */
};

/* The stage of experiment `id`, locked FOR SHARE (`update`: FOR UPDATE). */
static int experiment_stage(struct pg_conn *c, int64_t id, bool update, bool *deleted, bool *found,
			    struct mlf_err *err)
{
	PGresult *r = pg_query(c, err,
			       update ? "SELECT lifecycle_stage FROM experiments WHERE experiment_id = $1 FOR UPDATE"
				      : "SELECT lifecycle_stage FROM experiments WHERE experiment_id = $1 FOR SHARE",
			       "i", id);
	if (!r)
		return -1;
	*found = PQntuples(r) > 0;
	*deleted = *found && !strcmp(PQgetvalue(r, 0, 0), "deleted");
	PQclear(r);
	return 0;
}

static int purge_run_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct purge_run_args *x = arg;
	struct arena a = ARENA_INIT;
	int rc = -1;
	if (lock_versions(c, err) < 0)
		return -1;
	PGresult *r = pg_query(c, err, "SELECT " RUN_COLUMNS ", run_pk FROM runs WHERE run_uuid = $1 FOR UPDATE", "t",
			       x->run_id);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		x->outcome = STORE_GC_SKIPPED_GONE;
		return 0;
	}
	struct store_gc_run run = {
		.run_id = pg_col_text(r, 0, 0, &a),
		.experiment_id = pg_col_int64(r, 0, 1),
		.artifact_uri = pg_col_text(r, 0, 2, &a),
		.lifecycle_stage = pg_col_text(r, 0, 3, &a),
		.deleted_time = pg_col_int64(r, 0, 4),
	};
	bool no_time = pg_col_null(r, 0, 4);
	int64_t pk = pg_col_int64(r, 0, 5);
	PQclear(r);

	/* the checks of the listing, again, now that the rows are locked */
	enum store_gc_outcome outcome = STORE_GC_PURGED;
	bool deleted, found;
	if (experiment_stage(c, run.experiment_id, false, &deleted, &found, err) < 0)
		goto out;
	if (x->in_experiment >= 0) {
		if (run.experiment_id != x->in_experiment || !deleted || strcmp(run.lifecycle_stage, "deleted") != 0)
			outcome = STORE_GC_SKIPPED_RESTORED;
	} else if (strcmp(run.lifecycle_stage, "deleted") != 0) {
		outcome = STORE_GC_SKIPPED_RESTORED;
	} else if (x->has_cutoff && (no_time || run.deleted_time > x->cutoff)) {
		outcome = STORE_GC_SKIPPED_YOUNG;
	}
	if (outcome != STORE_GC_PURGED) {
		x->outcome = outcome;
		rc = 0;
		goto out;
	}

	struct store_gc_logged *models;
	struct store_gc_version *versions;
	size_t n_models, n_versions;
	if (load_dependents(c, run.run_id, -1, &models, &n_models, &versions, &n_versions, &a, err) < 0 ||
	    x->prepare(x->pctx, &run, models, n_models, versions, n_versions, &a, err) < 0)
		goto out;

	/* the artifacts are gone: now the rows (the history after the commit) */
	if (delete_logged(c, "source_run_id = $1", 't', run.run_id, 0, err) < 0)
		goto out;
	static const char *const by_run[] = {
		"DELETE FROM latest_metrics WHERE run_pk = $1",
		"DELETE FROM params WHERE run_pk = $1",
		"DELETE FROM tags WHERE run_pk = $1",
		"DELETE FROM input_tags WHERE run_pk = $1",
		DELETE_UNUSED_DATASETS,
		"DELETE FROM run_inputs WHERE run_pk = $1",
		"DELETE FROM run_model_links WHERE run_pk = $1",
		"DELETE FROM runs WHERE run_pk = $1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(by_run); i++)
		if (done(pg_query(c, err, by_run[i], "i", pk)) < 0)
			goto out;
	if (rewrite_versions(c, versions, n_versions, err) < 0)
		goto out;
	x->outcome = STORE_GC_PURGED;
	x->pk = pk;
	rc = 0;
out:
	arena_release(&a);
	return rc;
}

struct batch_args {
	int64_t pk;
	int64_t deleted;
};

/* One batch of the history of a purged run. */
static int history_batch(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct batch_args *x = arg;
	PGresult *r = pg_query(c, err,
			       "DELETE FROM metrics WHERE ctid = ANY (ARRAY (SELECT ctid FROM metrics WHERE run_pk = $1"
			       " LIMIT $2))",
			       "ii", x->pk, (int64_t)PURGE_BATCH);
	if (!r)
		return -1;
	x->deleted = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

static int pg_gc_purge_run(struct store *st, const char *run_id, int64_t in_experiment, bool has_cutoff,
			   int64_t cutoff, prepare_fn prepare, void *pctx, enum store_gc_outcome *outcome,
			   struct mlf_err *err)
{
	struct purge_run_args x = { run_id, in_experiment, has_cutoff, cutoff, prepare, pctx, STORE_GC_SKIPPED_GONE, 0 };
	if (pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, purge_run_job, &x, err) < 0)
		return -1;
	*outcome = x.outcome;
	if (x.outcome != STORE_GC_PURGED)
		return 0;
	struct batch_args b = { x.pk, PURGE_BATCH };
	while (b.deleted >= PURGE_BATCH)
		if (pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, history_batch, &b, err) < 0)
			return -1;
	return 0;
}

struct purge_exp_args {
	int64_t id;
	prepare_fn prepare;
	void *pctx;
	enum store_gc_outcome outcome;
};

static int purge_exp_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct purge_exp_args *x = arg;
	bool deleted, found;
	if (lock_versions(c, err) < 0 || experiment_stage(c, x->id, true, &deleted, &found, err) < 0)
		return -1;
	if (!found || !deleted) {
		x->outcome = found ? STORE_GC_SKIPPED_RESTORED : STORE_GC_SKIPPED_GONE;
		return 0;
	}
	PGresult *r = pg_query(c, err, "SELECT 1 FROM runs WHERE experiment_id = $1 LIMIT 1", "i", x->id);
	if (!r)
		return -1;
	bool busy = PQntuples(r) > 0;
	PQclear(r);
	if (busy) {
		x->outcome = STORE_GC_SKIPPED_BUSY;
		return 0;
	}
	struct arena a = ARENA_INIT;
	struct store_gc_logged *models;
	struct store_gc_version *versions;
	size_t n_models, n_versions;
	int rc = -1;
	if (load_dependents(c, NULL, x->id, &models, &n_models, &versions, &n_versions, &a, err) < 0 ||
	    x->prepare(x->pctx, NULL, models, n_models, versions, n_versions, &a, err) < 0 ||
	    delete_logged(c, "experiment_id = $1", 'i', NULL, x->id, err) < 0)
		goto out;
	static const char *const by_experiment[] = {
		"DELETE FROM input_tags WHERE dataset_pk IN (SELECT dataset_pk FROM datasets WHERE experiment_id = $1)",
		"DELETE FROM run_inputs WHERE dataset_pk IN (SELECT dataset_pk FROM datasets WHERE experiment_id = $1)",
		"DELETE FROM datasets WHERE experiment_id = $1",
		"DELETE FROM experiment_tags WHERE experiment_id = $1",
		"DELETE FROM experiments WHERE experiment_id = $1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(by_experiment); i++)
		if (done(pg_query(c, err, by_experiment[i], "i", x->id)) < 0)
			goto out;
	if (rewrite_versions(c, versions, n_versions, err) < 0)
		goto out;
	x->outcome = STORE_GC_PURGED;
	rc = 0;
out:
	arena_release(&a);
	return rc;
}

static int pg_gc_purge_experiment(struct store *st, int64_t experiment_id, prepare_fn prepare, void *pctx,
				  enum store_gc_outcome *outcome, struct mlf_err *err)
{
	struct purge_exp_args x = { experiment_id, prepare, pctx, STORE_GC_SKIPPED_GONE };
	if (pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, purge_exp_job, &x, err) < 0)
		return -1;
	*outcome = x.outcome;
	return 0;
}

/* ---- usage ---------------------------------------------------------------------------- */

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

struct usage_args {
	struct store_gc_usage *out;
	struct arena *a;
};

static int usage_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct usage_args *x = arg;
	struct store_gc_usage *out = x->out;
	struct arena *a = x->a;
	PGresult *r = pg_query(c, err,
			       "SELECT e.experiment_id, e.name, e.lifecycle_stage, 1 + (SELECT count(*) FROM"
			       " experiment_tags x WHERE x.experiment_id = e.experiment_id) + (SELECT count(*) FROM"
			       " datasets x WHERE x.experiment_id = e.experiment_id) + " MODEL_ROWS(
				       "l.experiment_id = e.experiment_id") " FROM experiments e ORDER BY 1",
			       "");
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	struct store_gc_usage_experiment *e = arena_alloc(a, (k ? k : 1) * sizeof(*e));
	for (size_t i = 0; i < k; i++) {
		e[i].id = pg_col_int64(r, (int)i, 0);
		e[i].name = pg_col_text(r, (int)i, 1, a);
		e[i].lifecycle_stage = pg_col_text(r, (int)i, 2, a);
		e[i].rows = pg_col_int64(r, (int)i, 3);
	}
	PQclear(r);
	out->experiments = e;
	out->n_experiments = k;

	r = pg_query(c, err,
		     "SELECT r.run_uuid, r.experiment_id, r.name, r.artifact_uri, r.lifecycle_stage,"
		     " (SELECT count(*) FROM metrics x WHERE x.run_pk = r.run_pk), 1 + " RUN_ROWS("r.run_pk")
		     " FROM runs r ORDER BY r.run_pk",
		     "");
	if (!r)
		return -1;
	k = (size_t)PQntuples(r);
	struct store_gc_usage_run *u = arena_alloc(a, (k ? k : 1) * sizeof(*u));
	for (size_t i = 0; i < k; i++) {
		u[i].run_id = pg_col_text(r, (int)i, 0, a);
		u[i].experiment_id = pg_col_int64(r, (int)i, 1);
		u[i].name = pg_col_text(r, (int)i, 2, a);
		u[i].artifact_uri = pg_col_text(r, (int)i, 3, a);
		u[i].lifecycle_stage = pg_col_text(r, (int)i, 4, a);
		u[i].metric_rows = pg_col_int64(r, (int)i, 5);
		u[i].rows = pg_col_int64(r, (int)i, 6) + u[i].metric_rows;
	}
	PQclear(r);
	out->runs = u;
	out->n_runs = k;

	r = pg_query(c, err,
		     "SELECT m.name, v.version, coalesce(nullif(v.storage_location, ''), v.source), 1 + (SELECT"
		     " count(*) FROM model_version_tags x WHERE x.model_pk = v.model_pk AND x.version = v.version)"
		     " FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk"
		     " WHERE v.current_stage <> 'Deleted_Internal' ORDER BY m.name, v.version",
		     "");
	if (!r)
		return -1;
	k = (size_t)PQntuples(r);
	struct store_gc_usage_version *v = arena_alloc(a, (k ? k : 1) * sizeof(*v));
	for (size_t i = 0; i < k; i++) {
		v[i].model_name = pg_col_text(r, (int)i, 0, a);
		v[i].version = pg_col_int64(r, (int)i, 1);
		v[i].location = pg_col_text(r, (int)i, 2, a);
		v[i].rows = pg_col_int64(r, (int)i, 3);
	}
	PQclear(r);
	out->versions = v;
	out->n_versions = k;
	return 0;
}

static int pg_gc_usage(struct store *st, struct store_gc_usage *out, struct arena *a, struct mlf_err *err)
{
	struct usage_args x = { out, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, usage_read, &x, err);
}

const struct store_gc_ops store_pg_gc_ops = {
	.deleted_runs = pg_gc_deleted_runs,
	.deleted_experiments = pg_gc_deleted_experiments,
	.experiment_runs = pg_gc_experiment_runs,
	.run_find = pg_gc_run_find,
	.dependents = pg_gc_dependents,
	.purge_run = pg_gc_purge_run,
	.purge_experiment = pg_gc_purge_experiment,
	.usage = pg_gc_usage,
};
