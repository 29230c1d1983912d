/*
 * store_pg_logged.c - MLflow 3's logged models on the PostgreSQL store
 * (migration 3 of schema_pg.h): create, get, finalize, delete, tags,
 * params, search, and the links between runs and models that runs/outputs
 * and log-inputs make. The twin of store_sqlite_logged.c: the same rows,
 * orderings and row conditions.
 *
 * Rows only (store.h): the front picks the model id and artifact location,
 * checks order fields and words the row conditions reported here. Fixed
 * statements are rows of the store's statement table
 * (store_pg_logged_sql.h); the search statement, which sqlgen builds per
 * request, runs as text with bound values. Writes are pg_pool_tx write
 * transactions that lock the row they depend on (the experiment or run
 * FOR SHARE, the model FOR UPDATE or FOR SHARE) before they check it, so
 * the check holds until the commit under any number of writers; a write
 * function may run again after a serialization failure and keeps no state
 * between attempts. Reads are one snapshot; a model's tags, params and
 * metrics are read for a whole page at once (three statements, whatever
 * the page size).
 */
#include "store_pg_int.h"
#include "../base/common.h"
#include "../base/util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_COLS_G                                                                                              \
	"g.model_id, g.experiment_id, g.name, g.artifact_location, g.creation_time, g.last_updated_time, g.status, " \
	"g.lifecycle_stage, g.model_type, g.source_run_id, g.status_message"

/* ---- lookups ------------------------------------------------------------------- */

/* Locks an existing model (deleted ones included, as MLflow's writes look
 * models up by key alone): FOR UPDATE when the write changes its row
 * (`exclusive`), FOR SHARE otherwise. */
static int lock_model(struct pg_conn *c, const char *model_id, bool exclusive, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, exclusive ? PS_LOGGED_MODEL_LOCK : PS_LOGGED_MODEL_SHARE, "t", model_id);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	PQclear(r);
	return found ? 0 : store_row_fail(err, STORE_ROW_LOGGED_MODEL_MISSING);
}

/* Locks an active experiment against a concurrent delete. */
static int active_experiment(struct pg_conn *c, int64_t id, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, PS_LOGGED_EXPERIMENT, "i", id);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0)
		rc = store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	else if (strcmp(PQgetvalue(r, 0, 1), "active") != 0)
		rc = store_row_fail(err, STORE_ROW_EXPERIMENT_DELETED);
	PQclear(r);
	return rc;
}

/* The key of an active run, locked against a concurrent delete. */
static int active_run(struct pg_conn *c, const char *run_id, int64_t *pk, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, PS_LOGGED_RUN_ACTIVE, "t", run_id);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0)
		rc = store_row_fail(err, STORE_ROW_RUN_MISSING);
	else if (pg_col_int64(r, 0, 1) == 0)
		rc = store_row_fail(err, STORE_ROW_RUN_DELETED);
	else
		*pk = pg_col_int64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* ---- loading models ------------------------------------------------------------- */

static void model_from_row(const PGresult *r, int row, struct store_logged_model *m, struct arena *a)
{
	memset(m, 0, sizeof(*m));
	m->model_id = pg_col_text(r, row, 0, a);
	m->experiment_id = pg_col_int64(r, row, 1);
	m->name = pg_col_text(r, row, 2, a);
	m->artifact_location = pg_col_text(r, row, 3, a);
	m->creation_time = pg_col_int64(r, row, 4);
	m->last_updated_time = pg_col_int64(r, row, 5);
	m->status = (enum logged_model_status)pg_col_int64(r, row, 6);
	m->lifecycle_stage = pg_col_text(r, row, 7, a);
	m->model_type = pg_col_text(r, row, 8, a);
	m->source_run_id = pg_col_text(r, row, 9, a);
	m->status_message = pg_col_text(r, row, 10, a);
}

/* A page's models by model id, to hand each child row to its model. */
struct page_slot {
	const char *model_id;
	struct store_logged_model *m;
};

static int slot_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct page_slot *)pa)->model_id, ((const struct page_slot *)pb)->model_id);
}

static struct store_logged_model *page_find(const struct page_slot *idx, size_t n, const char *model_id)
{
	struct page_slot key = { model_id, NULL };
	const struct page_slot *s = bsearch(&key, idx, n, sizeof(*idx), slot_cmp);
	return s ? s->m : NULL;
}

/* Appends one (key, value) to a model's list, doubling its capacity as
 * the list reaches a power of two. */
static void kv_push(struct store_kv **list, size_t *n, const char *key, const char *value, struct arena *a)
{
	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0))
		*list = arena_grow_array(a, *list, *n, *n ? *n * 2 : 8, sizeof(**list));
	(*list)[*n].key = key;
	(*list)[(*n)++].value = value;
}

static void metric_push(struct store_logged_model *m, const PGresult *r, int row, struct arena *a)
{
	size_t n = m->n_metrics;
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0))
		m->metrics = arena_grow_array(a, m->metrics, n, n ? n * 2 : 8, sizeof(*m->metrics));
	struct store_logged_metric *lm = &m->metrics[m->n_metrics++];
	memset(lm, 0, sizeof(*lm));
	lm->m.key = pg_col_text(r, row, 1, a);
	lm->m.value = pg_col_int64(r, row, 3) ? NAN : pg_col_double(r, row, 2);
	lm->m.timestamp = pg_col_int64(r, row, 4);
	lm->m.step = pg_col_int64(r, row, 5);
	lm->run_id = pg_col_text(r, row, 6, a);
	if (lm->run_id && !*lm->run_id)
		lm->run_id = NULL;
	lm->dataset_name = pg_col_text(r, row, 7, a);
	lm->dataset_digest = pg_col_text(r, row, 8, a);
}

/* Tags, params and metrics of the `n` loaded models, in three statements
 * over the page's model ids. */
static int load_children(struct pg_conn *c, struct store_logged_model *models, size_t n, struct arena *a,
			 struct mlf_err *err)
{
	if (!n)
		return 0;
	struct page_slot *idx = arena_alloc(a, n * sizeof(*idx));
	struct buf ids = BUF_INIT;
	pg_array_begin(&ids);
	for (size_t i = 0; i < n; i++) {
		idx[i] = (struct page_slot){ models[i].model_id, &models[i] };
		pg_array_add_text(&ids, models[i].model_id);
	}
	pg_array_end(&ids);
	qsort(idx, n, sizeof(*idx), slot_cmp);
	static const size_t stmts[] = { PS_LOGGED_PAGE_TAGS, PS_LOGGED_PAGE_PARAMS, PS_LOGGED_PAGE_METRICS };
	int rc = 0;
	for (size_t k = 0; k < ARRAY_SIZE(stmts) && rc == 0; k++) {
		PGresult *r = pg_stmt(c, err, stmts[k], "t", ids.ptr);
		if (!r) {
			rc = -1;
			break;
		}
		int rows = PQntuples(r);
		for (int i = 0; i < rows; i++) {
			struct store_logged_model *m = page_find(idx, n, PQgetvalue(r, i, 0));
			if (!m)
				continue;
			if (stmts[k] == PS_LOGGED_PAGE_METRICS)
				metric_push(m, r, i, a);
			else if (stmts[k] == PS_LOGGED_PAGE_TAGS)
				kv_push(&m->tags, &m->n_tags, pg_col_text(r, i, 1, a), pg_col_text(r, i, 2, a), a);
			else
				kv_push(&m->params, &m->n_params, pg_col_text(r, i, 1, a), pg_col_text(r, i, 2, a), a);
		}
		PQclear(r);
	}
	buf_release(&ids);
	return rc;
}

struct get_args {
	const char *model_id;
	bool allow_deleted;
	struct store_logged_model *out;
	struct arena *a;
};

static int get_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct get_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_LOGGED_MODEL_GET, "tb", x->model_id, (int)x->allow_deleted);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	if (found)
		model_from_row(r, 0, x->out, x->a);
	PQclear(r);
	if (!found)
		return store_row_fail(err, STORE_ROW_LOGGED_MODEL_MISSING);
	return load_children(c, x->out, 1, x->a, err);
}

static int pg_lm_get(struct store *st, const char *model_id, bool allow_deleted, struct store_logged_model *out,
		     struct arena *a, struct mlf_err *err)
{
	struct get_args x = { model_id, allow_deleted, out, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, get_read, &x, err);
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
	sqlgen_bind(&store_pg_sql_schema, sql, binds, (struct sql_bind){ .type = SQL_BIND_TEXT, .text = text }, a);
}

static void bind_int(struct buf *sql, struct sql_binds *binds, int64_t v, struct arena *a)
{
	sqlgen_bind(&store_pg_sql_schema, sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = v }, a);
}

/* "(SELECT <what> FROM the latest point of the order term's metric)": by
 * timestamp, then step, then a fixed order so both sort keys see one point
 * (NULL datasets first, as SQLite orders them). */
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
	buf_adds(sql, " ORDER BY o.timestamp DESC, o.step DESC, o.run_id, o.dataset_name NULLS FIRST,"
		      " o.dataset_digest NULLS FIRST LIMIT 1)");
}

/* One order term: a column, or a metric as two keys (missing last, NaN
 * just before, then the value; within one first key the values are all
 * NULL or none is, so PostgreSQL's NULL order never decides). */
static int order_term(struct buf *sql, struct sql_binds *binds, const struct store_logged_order *o, bool *has_creation,
		      struct arena *a, struct mlf_err *err)
{
	const char *dir = o->ascending ? "ASC" : "DESC";
	if (!strncmp(o->field, METRICS_PREFIX, strlen(METRICS_PREFIX)) && o->field[strlen(METRICS_PREFIX)]) {
		buf_adds(sql, "COALESCE(");
		latest_point(sql, binds, o, "o.is_nan", a);
		buf_adds(sql, ", 2) ASC, ");
		latest_point(sql, binds, o, "CASE WHEN o.is_nan <> 0 THEN NULL ELSE o.value END", a);
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
 * ... LIMIT $n OFFSET $m, every value bound in `binds`. */
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
	if (sqlgen_where_datasets(&store_pg_sql_schema, FILTER_LOGGED_MODELS, &q->filter, &ds, sql, binds, a, err) < 0)
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

struct search_args {
	const struct store_logged_search *q;
	struct store_logged_model **out;
	size_t *n;
	bool *more;
	struct arena *a;
};

static int search_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct search_args *x = arg;
	const struct store_logged_search *q = x->q;
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	PGresult *r = NULL;
	int rc = search_sql(q, &sql, &binds, x->a, err);
	if (rc == 0 && !(r = pg_query_binds(c, sql.ptr, &binds, err)))
		rc = -1;
	buf_release(&sql);
	if (rc < 0)
		return -1;
	size_t rows = (size_t)PQntuples(r), n = rows;
	bool more = false;
	if ((int64_t)rows > q->max_results) {
		more = true;
		n = (size_t)q->max_results;
	}
	struct store_logged_model *models = n ? arena_alloc(x->a, n * sizeof(*models)) : NULL;
	for (size_t i = 0; i < n; i++)
		model_from_row(r, (int)i, &models[i], x->a);
	PQclear(r);
	if (load_children(c, models, n, x->a, err) < 0)
		return -1;
	*x->out = models;
	*x->n = n;
	*x->more = more;
	return 0;
}

static int pg_lm_search(struct store *st, const struct store_logged_search *q, struct store_logged_model **out,
			size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	if (!q->n_experiments)
		return 0;
	struct search_args x = { q, out, n, more, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, search_read, &x, err);
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

/* Upserts `n` pairs of a model in one statement (the last of a key given
 * twice wins, as when they are upserted one by one). */
static int upsert_pairs(struct pg_conn *c, size_t stmt, const char *model_id, const struct store_kv *kv, size_t n,
			struct mlf_err *err)
{
	if (!n)
		return 0;
	struct buf keys = BUF_INIT, values = BUF_INIT;
	pg_array_begin(&keys);
	pg_array_begin(&values);
	for (size_t i = 0; i < n; i++) {
		pg_array_add_text(&keys, kv[i].key);
		pg_array_add_text(&values, kv[i].value ? kv[i].value : "");
	}
	pg_array_end(&keys);
	pg_array_end(&values);
	int rc = pg_stmt_exec(c, err, stmt, NULL, "ttt", model_id, keys.ptr, values.ptr);
	buf_release(&keys);
	buf_release(&values);
	return rc;
}

static int create_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	const struct store_logged_model_create *lc = x->lc;
	int64_t now = util_now_ms();
	if (active_experiment(c, lc->experiment_id, err) < 0)
		return -1;
	if (pg_stmt_exec(c, err, PS_LOGGED_MODEL_INSERT, NULL, "tittiitt", x->model_id, lc->experiment_id, lc->name,
			 lc->artifact_location, now, (int64_t)LOGGED_MODEL_PENDING, lc->model_type ? lc->model_type : "",
			 lc->source_run_id ? lc->source_run_id : "") < 0)
		return -1;
	if (upsert_pairs(c, PS_LOGGED_PARAMS_UPSERT, x->model_id, lc->params, lc->n_params, err) < 0 ||
	    upsert_pairs(c, PS_LOGGED_TAGS_UPSERT, x->model_id, lc->tags, lc->n_tags, err) < 0)
		return -1;
	return 0;
}

static int finalize_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	if (lock_model(c, x->model_id, true, err) < 0)
		return -1;
	return pg_stmt_exec(c, err, PS_LOGGED_MODEL_SET_STATUS, NULL, "tii", x->model_id, (int64_t)x->status,
			    util_now_ms());
}

static int delete_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	if (lock_model(c, x->model_id, true, err) < 0)
		return -1;
	return pg_stmt_exec(c, err, PS_LOGGED_MODEL_DELETE, NULL, "ti", x->model_id, util_now_ms());
}

static int tags_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	if (lock_model(c, x->model_id, true, err) < 0 ||
	    upsert_pairs(c, PS_LOGGED_TAGS_UPSERT, x->model_id, x->kv, x->n, err) < 0)
		return -1;
	return pg_stmt_exec(c, err, PS_LOGGED_MODEL_TOUCH, NULL, "ti", x->model_id, util_now_ms());
}

static int params_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	if (lock_model(c, x->model_id, false, err) < 0)
		return -1;
	return upsert_pairs(c, PS_LOGGED_PARAMS_UPSERT, x->model_id, x->kv, x->n, err);
}

static int delete_tag_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t changed = 0;
	if (lock_model(c, x->model_id, false, err) < 0 ||
	    pg_stmt_exec(c, err, PS_LOGGED_TAG_DELETE, &changed, "tt", x->model_id, x->key) < 0)
		return -1;
	return changed ? 0 : store_row_fail(err, STORE_ROW_TAG_MISSING);
}

static int link_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct logged_args *x = arg;
	int64_t pk = 0;
	if (active_run(c, x->run_id, &pk, err) < 0)
		return -1;
	if (!x->n)
		return 0;
	struct buf ids = BUF_INIT, steps = BUF_INIT;
	pg_array_begin(&ids);
	pg_array_begin(&steps);
	for (size_t i = 0; i < x->n; i++) {
		pg_array_add_text(&ids, x->links[i].model_id);
		pg_array_add_int64(&steps, x->outputs ? x->links[i].step : 0);
	}
	pg_array_end(&ids);
	pg_array_end(&steps);
	int rc = pg_stmt_exec(c, err, PS_LOGGED_LINKS_INSERT, NULL, "ittt", pk, x->outputs ? "output" : "input", ids.ptr,
			      steps.ptr);
	buf_release(&ids);
	buf_release(&steps);
	return rc;
}

static int lm_write(struct store *st, int (*job)(struct pg_conn *, void *, struct mlf_err *), struct logged_args *x,
		    struct mlf_err *err)
{
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, job, x, err);
}

/* ---- entry points ------------------------------------------------------------------------ */

static int pg_lm_create(struct store *st, const struct store_logged_model_create *lc, struct store_logged_model *out,
			struct arena *a, struct mlf_err *err)
{
	struct logged_args x = { .lc = lc, .model_id = lc->model_id };
	if (lm_write(st, create_job, &x, err) < 0)
		return -1;
	return pg_lm_get(st, x.model_id, false, out, a, err);
}

static int pg_lm_finalize(struct store *st, const char *model_id, enum logged_model_status status,
			  struct store_logged_model *out, struct arena *a, struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .status = status };
	if (lm_write(st, finalize_job, &x, err) < 0)
		return -1;
	return pg_lm_get(st, model_id, true, out, a, err);
}

static int pg_lm_delete(struct store *st, const char *model_id, struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id };
	return lm_write(st, delete_job, &x, err);
}

static int pg_lm_set_tags(struct store *st, const char *model_id, const struct store_kv *tags, size_t n,
			  struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .kv = tags, .n = n };
	return lm_write(st, tags_job, &x, err);
}

static int pg_lm_delete_tag(struct store *st, const char *model_id, const char *key, struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .key = key };
	return lm_write(st, delete_tag_job, &x, err);
}

static int pg_lm_log_params(struct store *st, const char *model_id, const struct store_kv *params, size_t n,
			    struct mlf_err *err)
{
	struct logged_args x = { .model_id = model_id, .kv = params, .n = n };
	return lm_write(st, params_job, &x, err);
}

static int pg_lm_link_run(struct store *st, const char *run_id, bool outputs, const struct store_model_link *links,
			  size_t n, struct mlf_err *err)
{
	struct logged_args x = { .run_id = run_id, .links = links, .n = n, .outputs = outputs };
	return lm_write(st, link_job, &x, err);
}

const struct store_logged_model_ops store_pg_logged_ops = {
	.create = pg_lm_create,
	.get = pg_lm_get,
	.finalize = pg_lm_finalize,
	.delete_model = pg_lm_delete,
	.set_tags = pg_lm_set_tags,
	.delete_tag = pg_lm_delete_tag,
	.log_params = pg_lm_log_params,
	.search = pg_lm_search,
	.link_run = pg_lm_link_run,
};
