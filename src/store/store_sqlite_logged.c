/*
 * store_sqlite_logged.c - MLflow 3's logged models on the SQLite store
 * (migration 3 of schema_sqlite.h; docs/storage.md describes the tables):
 * create, get, finalize, delete, tags, params, search, and the links
 * between runs and models that runs/outputs and log-inputs make.
 *
 * Rows only (store.h): the front picks the model id and artifact location,
 * checks order fields and words the row conditions reported here. Fixed
 * statements come from the store's statement cache (store_sqlite_sql.h);
 * the search statement, which sqlgen builds per request, is prepared per
 * call. Every value is bound. Writes are group-commit jobs that check what
 * they depend on (the experiment or run is active, the model exists) on
 * the write connection, so the check and the change are one transaction.
 * Reads run in one read transaction.
 */
#include "store_sqlite_logged.h"
#include "store_sqlite_int.h"
#include "store_sqlite_sql.h"
#include "../base/util.h"
#include <math.h>
#include <stdarg.h>

#define MODEL_COLS_G                                                                                              \
	"g.model_id, g.experiment_id, g.name, g.artifact_location, g.creation_time, g.last_updated_time, g.status, " \
	"g.lifecycle_stage, g.model_type, g.source_run_id, g.status_message"

/* ---- lookups ------------------------------------------------------------------- */

static int model_missing(const char *model_id, struct mlf_err *err)
{
	(void)model_id;
	return store_row_fail(err, STORE_ROW_LOGGED_MODEL_MISSING);
}

/* The experiment of an existing model (deleted ones included, as MLflow's
 * writes look models up by key alone). */
static int find_model(struct sqlite_conn *c, const char *model_id, int64_t *experiment_id, struct mlf_err *err)
{
	bool found;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_LM_MODEL_EXPERIMENT, "t", model_id);
	if (!s)
		return -1;
	int rc = sqlite_step_row(c, s, &found, err);
	if (rc == 0 && found)
		*experiment_id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc < 0)
		return -1;
	return found ? 0 : model_missing(model_id, err);
}

/* The artifact location of an active experiment. */
static int active_experiment(struct sqlite_conn *c, int64_t id, const char **location, struct arena *a,
			     struct mlf_err *err)
{
	bool found;
	const char *stage = NULL;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_LM_EXPERIMENT, "i", id);
	if (!s)
		return -1;
	int rc = sqlite_step_row(c, s, &found, err);
	if (rc == 0 && found) {
		*location = sqlite_col_text(s, 0, a);
		stage = sqlite_col_text(s, 1, a);
	}
	sqlite3_reset(s);
	if (rc < 0)
		return -1;
	if (!found)
		return store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	if (strcmp(stage, "active") != 0)
		return store_row_fail(err, STORE_ROW_EXPERIMENT_DELETED);
	return 0;
}

/* The key of an active run. */
static int active_run(struct sqlite_conn *c, const char *run_id, int64_t *pk, struct mlf_err *err)
{
	bool found;
	bool active = false;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_LM_RUN_ACTIVE, "t", run_id);
	if (!s)
		return -1;
	int rc = sqlite_step_row(c, s, &found, err);
	if (rc == 0 && found) {
		*pk = sqlite3_column_int64(s, 0);
		active = sqlite3_column_int(s, 1) != 0;
	}
	sqlite3_reset(s);
	if (rc < 0)
		return -1;
	if (!found)
		return store_row_fail(err, STORE_ROW_RUN_MISSING);
	if (!active)
		return store_row_fail(err, STORE_ROW_RUN_DELETED);
	return 0;
}

/* ---- loading models ------------------------------------------------------------- */

static void model_from_row(sqlite3_stmt *s, struct store_logged_model *m, struct arena *a)
{
	memset(m, 0, sizeof(*m));
	m->model_id = sqlite_col_text(s, 0, a);
	m->experiment_id = sqlite3_column_int64(s, 1);
	m->name = sqlite_col_text(s, 2, a);
	m->artifact_location = sqlite_col_text(s, 3, a);
	m->creation_time = sqlite3_column_int64(s, 4);
	m->last_updated_time = sqlite3_column_int64(s, 5);
	m->status = (enum logged_model_status)sqlite3_column_int(s, 6);
	m->lifecycle_stage = sqlite_col_text(s, 7, a);
	m->model_type = sqlite_col_text(s, 8, a);
	m->source_run_id = sqlite_col_text(s, 9, a);
	m->status_message = sqlite_col_text(s, 10, a);
}

static int load_metrics(struct sqlite_conn *c, struct store_logged_model *m, struct arena *a, struct mlf_err *err)
{
	size_t cap = 0;
	int rc;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_LM_METRICS, "t", m->model_id);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (m->n_metrics == cap) {
			cap = cap ? cap * 2 : 8;
			m->metrics = arena_grow_array(a, m->metrics, m->n_metrics, cap, sizeof(*m->metrics));
		}
		struct store_logged_metric *lm = &m->metrics[m->n_metrics++];
		memset(lm, 0, sizeof(*lm));
		lm->m.key = sqlite_col_text(s, 0, a);
		lm->m.value = sqlite3_column_int(s, 2) ? NAN : sqlite3_column_double(s, 1);
		lm->m.timestamp = sqlite3_column_int64(s, 3);
		lm->m.step = sqlite3_column_int64(s, 4);
		lm->run_id = sqlite_col_text(s, 5, a);
		if (lm->run_id && !*lm->run_id)
			lm->run_id = NULL;
		lm->dataset_name = sqlite_col_text(s, 6, a);
		lm->dataset_digest = sqlite_col_text(s, 7, a);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sqlite_conn_fail(c, "logged model metrics", err);
}

/* Tags, params and metrics of a loaded model. */
static int load_children(struct sqlite_conn *c, struct store_logged_model *m, struct arena *a, struct mlf_err *err)
{
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_LM_TAGS, "t", m->model_id);
	if (!s || store_sqlite_load_kv(c, s, &m->tags, &m->n_tags, a, err) < 0) {
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	s = sqlite_stmt_bound(c, err, S_LM_PARAMS, "t", m->model_id);
	if (!s || store_sqlite_load_kv(c, s, &m->params, &m->n_params, a, err) < 0) {
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return load_metrics(c, m, a, err);
}

static int model_read(struct sqlite_conn *c, const char *model_id, bool allow_deleted, struct store_logged_model *out,
		      struct arena *a, struct mlf_err *err)
{
	bool found;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_LM_MODEL_GET, "ti", model_id, (int64_t)allow_deleted);
	if (!s)
		return -1;
	int rc = sqlite_step_row(c, s, &found, err);
	if (rc == 0 && found)
		model_from_row(s, out, a);
	sqlite3_reset(s);
	if (rc < 0)
		return -1;
	if (!found)
		return model_missing(model_id, err);
	return load_children(c, out, a, err);
}

static int sq_get(struct store *st, const char *model_id, bool allow_deleted, struct store_logged_model *out,
		  struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, model_read(c, model_id, allow_deleted, out, a, err));
}

/* ---- search ----------------------------------------------------------------------- */

/* The order_by fields MLflow accepts, and their columns. */
static const struct {
	const char *field;
	const char *column;
} order_fields[] = {
	{ "name", "g.name" },
	{ "model_id", "g.model_id" },
	{ "model_type", "g.model_type" },
	{ "status", "g.status" },
	{ "source_run_id", "g.source_run_id" },
	{ "creation_timestamp", "g.creation_time" },
	{ "creation_timestamp_ms", "g.creation_time" },
	{ "creation_time", "g.creation_time" },
	{ "last_updated_timestamp", "g.last_updated_time" },
	{ "last_updated_timestamp_ms", "g.last_updated_time" },
	{ "last_updated_time", "g.last_updated_time" },
};

#define METRICS_PREFIX "metrics."

static const char *order_column(const char *field)
{
	for (size_t i = 0; i < ARRAY_SIZE(order_fields); i++)
		if (!strcmp(field, order_fields[i].field))
			return order_fields[i].column;
	return NULL;
}

static void bind_text(struct buf *sql, struct sql_binds *binds, const char *text, struct arena *a)
{
	sqlgen_bind(&store_sqlite_sql_schema, sql, binds, (struct sql_bind){ .type = SQL_BIND_TEXT, .text = text }, a);
}

static void bind_int(struct buf *sql, struct sql_binds *binds, int64_t v, struct arena *a)
{
	sqlgen_bind(&store_sqlite_sql_schema, sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = v }, a);
}

/* "(SELECT <what> FROM the latest point of the order term's metric)": by
 * timestamp, then step, then a fixed order so both sort keys see one point. */
static void latest_point(struct buf *sql, struct sql_binds *binds, const struct store_logged_order *o,
			 const char *what, struct arena *a)
{
	buf_addf(sql, "(SELECT %s FROM logged_model_metrics o WHERE o.model_id = g.model_id AND o.key = ", what);
	bind_text(sql, binds, o->field + strlen(METRICS_PREFIX), a);
	if (o->dataset_name) {
		buf_adds(sql, " AND o.dataset_name = ");
		bind_text(sql, binds, o->dataset_name, a);
	}
	if (o->dataset_digest) {
		buf_adds(sql, " AND o.dataset_digest = ");
		bind_text(sql, binds, o->dataset_digest, a);
	}
	buf_adds(sql, " ORDER BY o.timestamp DESC, o.step DESC, o.run_id, o.dataset_name, o.dataset_digest LIMIT 1)");
}

/* One order term: a column, or a metric as two keys (missing last, NaN
 * just before, then the value). */
static int order_term(struct buf *sql, struct sql_binds *binds, const struct store_logged_order *o, bool *has_creation,
		      struct arena *a, struct mlf_err *err)
{
	const char *dir = o->ascending ? "ASC" : "DESC";
	if (!strncmp(o->field, METRICS_PREFIX, strlen(METRICS_PREFIX)) && o->field[strlen(METRICS_PREFIX)]) {
		buf_adds(sql, "COALESCE(");
		latest_point(sql, binds, o, "o.is_nan", a);
		buf_adds(sql, ", 2) ASC, ");
		latest_point(sql, binds, o, "CASE WHEN o.is_nan THEN NULL ELSE o.value END", a);
		buf_addf(sql, " %s, ", dir);
		return 0;
	}
	const char *col = order_column(o->field);
	if (!col) /* the front lets only store_logged_order_fields through */
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "no column for order field %s", o->field);
	*has_creation |= !strcmp(col, "g.creation_time");
	buf_addf(sql, "%s %s, ", col, dir);
	return 0;
}

/* " AND EXISTS (a point on one of the datasets)": MLflow's rule for
 * datasets given without any metric condition. */
static void on_datasets(struct buf *sql, struct sql_binds *binds, const struct store_logged_search *q,
			struct arena *a)
{
	buf_adds(sql, " AND EXISTS (SELECT 1 FROM logged_model_metrics gd WHERE gd.model_id = g.model_id AND (");
	for (size_t i = 0; i < q->n_datasets; i++) {
		buf_adds(sql, i ? " OR (gd.dataset_name = " : "(gd.dataset_name = ");
		bind_text(sql, binds, q->dataset_names[i], a);
		if (q->dataset_digests[i]) {
			buf_adds(sql, " AND gd.dataset_digest = ");
			bind_text(sql, binds, q->dataset_digests[i], a);
		}
		buf_addch(sql, ')');
	}
	buf_adds(sql, "))");
}

static bool mentions_metrics(const struct filter *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->conds[i].entity == FE_METRIC)
			return true;
	return false;
}

/* SELECT ... WHERE active AND experiment_id IN (...) AND <filter> ORDER BY
 * ... LIMIT ? OFFSET ?, every value bound in `binds`. */
static int search_sql(const struct store_logged_search *q, struct buf *sql, struct sql_binds *binds, struct arena *a,
		      struct mlf_err *err)
{
	bool has_creation = false;
	struct sqlgen_datasets ds = { q->dataset_names, q->dataset_digests, q->n_datasets };
	buf_adds(sql, "SELECT " MODEL_COLS_G " FROM logged_models g WHERE g.lifecycle_stage = 'active' AND "
		      "g.experiment_id IN (");
	for (size_t i = 0; i < q->n_experiments; i++) {
		if (i)
			buf_adds(sql, ", ");
		bind_int(sql, binds, q->experiment_ids[i], a);
	}
	buf_addch(sql, ')');
	if (sqlgen_where_datasets(&store_sqlite_sql_schema, FILTER_LOGGED_MODELS, &q->filter, &ds, sql, binds, a, err) < 0)
		return -1;
	if (q->n_datasets && !mentions_metrics(&q->filter))
		on_datasets(sql, binds, q, a);
	buf_adds(sql, " ORDER BY ");
	for (size_t i = 0; i < q->n_order; i++)
		if (order_term(sql, binds, &q->order[i], &has_creation, a, err) < 0)
			return -1;
	if (!has_creation)
		buf_adds(sql, "g.creation_time DESC, ");
	buf_adds(sql, "g.model_id ASC LIMIT ");
	bind_int(sql, binds, q->max_results + 1, a);
	buf_adds(sql, " OFFSET ");
	bind_int(sql, binds, q->offset, a);
	return 0;
}

static int search_read(struct sqlite_conn *c, const struct store_logged_search *q, struct store_logged_model **out,
		       size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int rc = search_sql(q, &sql, &binds, a, err);
	if (rc == 0 && sqlite3_prepare_v2(c->db, sql.ptr, (int)sql.len, &s, NULL) != SQLITE_OK)
		rc = sqlite_conn_fail(c, "logged model search", err);
	buf_release(&sql);
	if (rc < 0)
		return -1;
	store_sqlite_bind_all(s, &binds);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = arena_grow_array(a, *out, *n, cap, sizeof(**out));
		}
		model_from_row(s, &(*out)[(*n)++], a);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sqlite_conn_fail(c, "logged model search", err);
	if ((int64_t)*n > q->max_results) {
		*more = true;
		*n = (size_t)q->max_results;
	}
	for (size_t i = 0; i < *n; i++)
		if (load_children(c, &(*out)[i], a, err) < 0)
			return -1;
	return 0;
}

static int sq_search(struct store *st, const struct store_logged_search *q, struct store_logged_model **out,
		     size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	if (!q->n_experiments)
		return 0;
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, search_read(c, q, out, n, more, a, err));
}

/* ---- run links -------------------------------------------------------------------- */

int store_sqlite_load_model_links(struct sqlite_conn *c, int64_t run_pk, struct store_run *r, struct arena *a,
				  struct mlf_err *err)
{
	size_t cap_in = 0, cap_out = 0;
	int rc;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_LM_RUN_LINKS, "i", run_pk);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		bool output = sqlite3_column_int(s, 0) != 0;
		struct store_model_link **list = output ? &r->model_outputs : &r->model_inputs;
		size_t *n = output ? &r->n_model_outputs : &r->n_model_inputs, *cap = output ? &cap_out : &cap_in;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 4;
			*list = arena_grow_array(a, *list, *n, *cap, sizeof(**list));
		}
		(*list)[*n].model_id = sqlite_col_text(s, 1, a);
		(*list)[(*n)++].step = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sqlite_conn_fail(c, "run model links", err);
}

/* ---- writes --------------------------------------------------------------------------- */

struct logged_args {
	const struct store_logged_model_create *lc;
	const char *model_id, *key, *run_id;
	const struct store_kv *kv;
	size_t n;
	enum logged_model_status status;
	const struct store_model_link *links;
	bool outputs;
};

static int upsert_pairs(struct sqlite_conn *c, enum stmt_id upsert, const char *model_id, const struct store_kv *kv,
			size_t n, struct mlf_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (sqlite_exec_stmt(c, err, upsert, "ttt", model_id, kv[i].key, kv[i].value ? kv[i].value : "") < 0)
			return -1;
	return 0;
}


static int create_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	const struct store_logged_model_create *lc = x->lc;
	struct arena a = ARENA_INIT;
	const char *root = "";
	int64_t now = util_now_ms();
	int rc = -1;
	if (active_experiment(c, lc->experiment_id, &root, &a, err) < 0)
		goto out;
	if (sqlite_exec_stmt(c, err, S_LM_MODEL_INSERT, "tittiitt", x->model_id, lc->experiment_id, lc->name,
			     lc->artifact_location, now, (int64_t)LOGGED_MODEL_PENDING,
			     lc->model_type ? lc->model_type : "", lc->source_run_id ? lc->source_run_id : "") < 0)
		goto out;
	if (upsert_pairs(c, S_LM_PARAM_UPSERT, x->model_id, lc->params, lc->n_params, err) < 0 ||
	    upsert_pairs(c, S_LM_TAG_UPSERT, x->model_id, lc->tags, lc->n_tags, err) < 0)
		goto out;
	rc = 0;
out:
	arena_release(&a);
	return rc;
}

static int touch(struct sqlite_conn *c, const char *model_id, struct mlf_err *err)
{
	return sqlite_exec_stmt(c, err, S_LM_MODEL_TOUCH, "ti", model_id, util_now_ms());
}

static int finalize_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t exp;
	if (find_model(c, x->model_id, &exp, err) < 0)
		return -1;
	return sqlite_exec_stmt(c, err, S_LM_MODEL_SET_STATUS, "tii", x->model_id, (int64_t)x->status, util_now_ms());
}

static int delete_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t exp;
	if (find_model(c, x->model_id, &exp, err) < 0)
		return -1;
	return sqlite_exec_stmt(c, err, S_LM_MODEL_DELETE, "ti", x->model_id, util_now_ms());
}

static int tags_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t exp;
	if (find_model(c, x->model_id, &exp, err) < 0 || upsert_pairs(c, S_LM_TAG_UPSERT, x->model_id, x->kv, x->n, err) < 0)
		return -1;
	return touch(c, x->model_id, err);
}

static int params_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t exp;
	if (find_model(c, x->model_id, &exp, err) < 0)
		return -1;
	return upsert_pairs(c, S_LM_PARAM_UPSERT, x->model_id, x->kv, x->n, err);
}

static int delete_tag_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t exp;
	if (find_model(c, x->model_id, &exp, err) < 0 ||
	    sqlite_exec_stmt(c, err, S_LM_TAG_DELETE, "tt", x->model_id, x->key) < 0)
		return -1;
	if (sqlite3_changes(c->db) == 0)
		return store_row_fail(err, STORE_ROW_TAG_MISSING);
	return 0;
}

static int link_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t pk = 0;
	if (active_run(c, x->run_id, &pk, err) < 0)
		return -1;
	for (size_t i = 0; i < x->n; i++)
		if (sqlite_exec_stmt(c, err, S_LM_LINK_INSERT, "itti", pk, x->outputs ? "output" : "input", x->links[i].model_id,
			 x->outputs ? x->links[i].step : (int64_t)0) < 0)
			return -1;
	return 0;
}

static int lm_write(struct store *st, int (*job)(struct sqlite_conn *, void *, struct mlf_err *), struct logged_args *x,
		 struct mlf_err *err)
{
	return sqlite_pool_write(store_sqlite_pool(st), job, x, err);
}

/* ---- entry points ------------------------------------------------------------------------ */

static int sq_create(struct store *st, const struct store_logged_model_create *lc, struct store_logged_model *out,
		     struct arena *a, struct mlf_err *err)
{
	struct logged_args x = { .lc = lc, .model_id = lc->model_id };
	if (lm_write(st, create_job, &x, err) < 0)
		return -1;
	return sq_get(st, x.model_id, false, out, a, err);
}

static int sq_finalize(struct store *st, const char *model_id, enum logged_model_status status,
		       struct store_logged_model *out, struct arena *a, struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .status = status };
	if (lm_write(st, finalize_job, &x, err) < 0)
		return -1;
	return sq_get(st, model_id, true, out, a, err);
}

static int sq_delete(struct store *st, const char *model_id, struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id };
	return lm_write(st, delete_job, &x, err);
}

static int sq_set_tags(struct store *st, const char *model_id, const struct store_kv *tags, size_t n,
		       struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .kv = tags, .n = n };
	return lm_write(st, tags_job, &x, err);
}

static int sq_delete_tag(struct store *st, const char *model_id, const char *key, struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .key = key };
	return lm_write(st, delete_tag_job, &x, err);
}

static int sq_log_params(struct store *st, const char *model_id, const struct store_kv *params, size_t n,
			 struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .kv = params, .n = n };
	return lm_write(st, params_job, &x, err);
}

static int sq_link_run(struct store *st, const char *run_id, bool outputs, const struct store_model_link *links,
		       size_t n, struct mlf_err *err)
{
	struct logged_args x = { .run_id = run_id, .links = links, .n = n, .outputs = outputs };
	return lm_write(st, link_job, &x, err);
}

const struct store_logged_model_ops store_sqlite_logged_ops = {
	.create = sq_create,
	.get = sq_get,
	.finalize = sq_finalize,
	.delete_model = sq_delete,
	.set_tags = sq_set_tags,
	.delete_tag = sq_delete_tag,
	.log_params = sq_log_params,
	.search = sq_search,
	.link_run = sq_link_run,
};
