/*
 * store_pg_tracking.c - the tracking part of the PostgreSQL store:
 * experiments, runs, log-batch with latest metrics, run inputs, searches,
 * metric history, bulk intervals and dataset summaries, behind
 * `store_pg_ops` (store.h). It mirrors store_sqlite.c op by op: the same
 * row conditions (store_row_fail), orderings and results a client sees.
 *
 * Where SQLite relies on its single writer, this file takes a row lock or
 * leans on a constraint: a new experiment's name is claimed by INSERT ...
 * ON CONFLICT (name) DO NOTHING RETURNING, so concurrent creates through
 * several servers leave one winner; a run is created under a share lock
 * on its experiment, so deleting the experiment waits for it and then
 * sees the new run; writes to a run hold a key-share lock on its row, so
 * permanent deletion cannot interleave. Every write runs in
 * pg_pool_tx(PG_TX_WRITE), which may run it again after a serialization
 * failure or deadlock: a write function keeps its results in its
 * arguments, written at the end. Reads run in one PG_TX_READ snapshot.
 *
 * Many rows are one statement (store_pg_tracking_sql.h): log-batch sends
 * its params, metrics, latest metrics and tags as arrays, and a page of
 * runs loads its latest metrics, params, tags, outputs and inputs with
 * `= ANY($1::bigint[])`, each kind once for the whole page.
 */
#include "store_pg_int.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct pg_pool *pool_of(struct store *st)
{
	return store_pg_pool(st);
}

/* Whether PostgreSQL can hold the text: a UTF-8 database refuses ill-formed
 * UTF-8, which only a query string can bring (JSON bodies are checked), so
 * a name or id that is not well-formed is one no row has, as on SQLite. */
static bool text_storable(const char *s)
{
	return !s || util_utf8_valid(s, strlen(s));
}

/* A search value PostgreSQL cannot take (ill-formed UTF-8 from a query
 * string) with each ill-formed sequence replaced by U+FFFD: like the
 * original on SQLite, it equals no stored text (unless one holds U+FFFD
 * there), where PostgreSQL would refuse the statement. */
static void binds_storable(struct sql_binds *b, struct arena *a)
{
	for (size_t i = 0; i < b->n; i++) {
		const char *t = b->items[i].text;
		if (b->items[i].type != SQL_BIND_TEXT || text_storable(t))
			continue;
		const unsigned char *u = (const unsigned char *)t;
		size_t n = strlen(t);
		struct buf out = BUF_INIT;
		for (size_t k = 0; k < n;) {
			size_t bad = 1, len = u[k] < 0x80 ? 1 : util_utf8_sequence(u + k, n - k, &bad);
			if (len) {
				buf_add(&out, u + k, len);
				k += len;
			} else {
				buf_adds(&out, "\xEF\xBF\xBD");
				k += bad ? bad : 1;
			}
		}
		b->items[i].text = arena_strdup(a, out.ptr);
		buf_release(&out);
	}
}

static double metric_value(const PGresult *r, int row, int value_col, int nan_col)
{
	return pg_col_int64(r, row, nan_col) ? NAN : pg_col_double(r, row, value_col);
}

/* An arena copy of the array literal of `v`. */
static const char *int64_array_in(struct arena *a, const int64_t *v, size_t n)
{
	struct buf b = BUF_INIT;
	pg_array_int64(&b, v, n);
	const char *s = arena_strdup(a, b.ptr);
	buf_release(&b);
	return s;
}

/* The keys and values of `kv` as two text arrays (a NULL value is ""). */
static void kv_arrays(const struct store_kv *kv, size_t n, struct buf *keys, struct buf *values)
{
	pg_array_begin(keys);
	pg_array_begin(values);
	for (size_t i = 0; i < n; i++) {
		pg_array_add_text(keys, kv[i].key);
		pg_array_add_text(values, kv[i].value ? kv[i].value : "");
	}
	pg_array_end(keys);
	pg_array_end(values);
}

/* Upserts (a later duplicate key wins) the pairs under `owner` with a
 * statement taking ($1 owner, $2 keys, $3 values). */
static int kv_upsert(struct pg_conn *c, size_t stmt, int64_t owner, const struct store_kv *kv, size_t n,
		     struct mlf_err *err)
{
	if (n == 0)
		return 0;
	struct buf keys = BUF_INIT, values = BUF_INIT;
	kv_arrays(kv, n, &keys, &values);
	int rc = pg_stmt_exec(c, err, stmt, NULL, "itt", owner, keys.ptr, values.ptr);
	buf_release(&keys);
	buf_release(&values);
	return rc;
}

/* ---- an index from row keys (run_pk, experiment_id) to a page's entries --- */

struct pk_slot {
	int64_t pk;
	size_t at; /* index in the page */
};

static int pk_slot_cmp(const void *x, const void *y)
{
	int64_t a = ((const struct pk_slot *)x)->pk, b = ((const struct pk_slot *)y)->pk;
	return (a > b) - (a < b);
}

/* A sorted index of pks[0..n) in `a`. */
static struct pk_slot *pk_index(const int64_t *pks, size_t n, struct arena *a)
{
	struct pk_slot *idx = arena_alloc(a, (n ? n : 1) * sizeof(*idx));
	for (size_t i = 0; i < n; i++)
		idx[i] = (struct pk_slot){ pks[i], i };
	qsort(idx, n, sizeof(*idx), pk_slot_cmp);
	return idx;
}

/* The page index of `pk`, or SIZE_MAX. */
static size_t pk_find(const struct pk_slot *idx, size_t n, int64_t pk)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (idx[mid].pk < pk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && idx[lo].pk == pk ? idx[lo].at : SIZE_MAX;
}

/* Rows [from, to) of `r` as (key, value) pairs from columns kc, kc + 1. */
static void kv_from_rows(const PGresult *r, int from, int to, int kc, struct store_kv **out, size_t *n,
			 struct arena *a)
{
	*n = (size_t)(to - from);
	*out = arena_alloc(a, (*n ? *n : 1) * sizeof(**out));
	for (int i = from; i < to; i++) {
		(*out)[i - from].key = pg_col_text(r, i, kc, a);
		(*out)[i - from].value = pg_col_text(r, i, kc + 1, a);
	}
}

/* ---- experiments ---------------------------------------------------------- */

static void exp_from_row(const PGresult *r, int row, struct store_experiment *e, struct arena *a)
{
	memset(e, 0, sizeof(*e));
	e->id = pg_col_int64(r, row, 0);
	e->name = pg_col_text(r, row, 1, a);
	e->artifact_location = pg_col_text(r, row, 2, a);
	e->lifecycle_stage = pg_col_text(r, row, 3, a);
	e->creation_time = pg_col_int64(r, row, 4);
	e->last_update_time = pg_col_int64(r, row, 5);
}

/* Loads the tags of every experiment of exps[0..n) in one statement. */
static int exp_load_tags(struct pg_conn *c, struct store_experiment *exps, size_t n, struct arena *a,
			 struct mlf_err *err)
{
	if (n == 0)
		return 0;
	int64_t *ids = arena_alloc(a, n * sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = exps[i].id;
	struct pk_slot *idx = pk_index(ids, n, a);
	PGresult *r = pg_stmt(c, err, PS_EXP_PAGE_TAGS, "t", int64_array_in(a, ids, n));
	if (!r)
		return -1;
	int rows = PQntuples(r);
	for (int i = 0; i < rows;) {
		int64_t id = pg_col_int64(r, i, 0);
		int j = i + 1;
		while (j < rows && pg_col_int64(r, j, 0) == id)
			j++;
		size_t at = pk_find(idx, n, id);
		if (at != SIZE_MAX)
			kv_from_rows(r, i, j, 1, &exps[at].tags, &exps[at].n_tags, a);
		i = j;
	}
	PQclear(r);
	return 0;
}

/* Runs an experiment lookup `stmt` ($1 the id); found=false when absent. */
static int exp_fetch(struct pg_conn *c, size_t stmt, int64_t id, struct store_experiment *e, bool *found,
		     struct arena *a, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, stmt, "i", id);
	if (!r)
		return -1;
	*found = PQntuples(r) > 0;
	if (*found)
		exp_from_row(r, 0, e, a);
	PQclear(r);
	return 0;
}

/* Looks the experiment up with `stmt` (which may lock it) and checks it is
 * active. */
static int exp_require_active(struct pg_conn *c, size_t stmt, int64_t id, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct store_experiment e;
	bool found;
	int rc = exp_fetch(c, stmt, id, &e, &found, &a, err);
	if (rc == 0 && !found)
		rc = store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	else if (rc == 0 && strcmp(e.lifecycle_stage, "active") != 0)
		rc = store_row_fail(err, STORE_ROW_EXPERIMENT_DELETED);
	arena_release(&a);
	return rc;
}

struct exp_create_args {
	const char *name, *location, *prefix; /* location NULL or "": prefix + id */
	const struct store_kv *tags;
	size_t n_tags;
	int64_t id;
};

static int exp_create_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct exp_create_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_EXP_INSERT, "ttti", x->name, x->location, x->prefix ? x->prefix : "",
			      util_now_ms());
	if (!r)
		return -1;
	if (PQntuples(r) == 0) { /* another experiment has the name */
		PQclear(r);
		return store_row_fail(err, STORE_ROW_NAME_TAKEN);
	}
	int64_t id = pg_col_int64(r, 0, 0);
	PQclear(r);
	if (kv_upsert(c, PS_EXP_TAGS_UPSERT, id, x->tags, x->n_tags, err) < 0)
		return -1;
	x->id = id;
	return 0;
}

static int pg_experiment_create(struct store *st, const char *name, const char *artifact_location,
				const char *location_prefix, const struct store_kv *tags, size_t n_tags, int64_t *id,
				struct mlf_err *err)
{
	struct exp_create_args x = { name, artifact_location, location_prefix, tags, n_tags, 0 };
	if (pg_pool_tx(pool_of(st), PG_TX_WRITE, exp_create_tx, &x, err) < 0)
		return -1;
	*id = x.id;
	return 0;
}

struct default_exp_args {
	const char *name, *location;
};

static int default_exp_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct default_exp_args *x = arg;
	return pg_stmt_exec(c, err, PS_EXP_INSERT_DEFAULT, NULL, "tit", x->location, util_now_ms(), x->name);
}

static int pg_experiment_create_default(struct store *st, const char *name, const char *location,
					struct mlf_err *err)
{
	struct default_exp_args x = { name, location };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, default_exp_tx, &x, err);
}

struct exp_get_args {
	int64_t id;
	const char *name; /* set: by name */
	struct store_experiment *out;
	struct arena *a;
};

static int exp_get_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct exp_get_args *x = arg;
	if (!text_storable(x->name))
		return store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	PGresult *r = x->name ? pg_stmt(c, err, PS_EXP_BY_NAME, "t", x->name) : pg_stmt(c, err, PS_EXP_BY_ID, "i", x->id);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	}
	exp_from_row(r, 0, x->out, x->a);
	PQclear(r);
	return exp_load_tags(c, x->out, 1, x->a, err);
}

static int pg_experiment_get(struct store *st, int64_t id, struct store_experiment *out, struct arena *a,
			     struct mlf_err *err)
{
	struct exp_get_args x = { id, NULL, out, a };
	return pg_pool_tx(pool_of(st), PG_TX_READ, exp_get_tx, &x, err);
}

static int pg_experiment_get_by_name(struct store *st, const char *name, struct store_experiment *out,
				     struct arena *a, struct mlf_err *err)
{
	struct exp_get_args x = { 0, name, out, a };
	return pg_pool_tx(pool_of(st), PG_TX_READ, exp_get_tx, &x, err);
}

struct exp_stage_args {
	int64_t id;
	bool deleted;
};

/* The experiment's row is locked first: a run being created in it holds a
 * share lock, so the runs' update below (a new snapshot) sees that run. */
static int exp_stage_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct exp_stage_args *x = arg;
	struct arena a = ARENA_INIT;
	struct store_experiment e;
	bool found;
	int64_t now = util_now_ms();
	const char *want_from = x->deleted ? "active" : "deleted";
	const char *to = x->deleted ? "deleted" : "active";
	int rc = exp_fetch(c, PS_EXP_BY_ID_LOCK, x->id, &e, &found, &a, err);
	if (rc == 0 && !found)
		rc = store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	else if (rc == 0 && strcmp(e.lifecycle_stage, want_from) != 0)
		rc = store_row_fail(err, STORE_ROW_WRONG_STAGE);
	arena_release(&a);
	if (rc < 0)
		return -1;
	if (pg_stmt_exec(c, err, PS_EXP_SET_STAGE, NULL, "iti", x->id, to, now) < 0)
		return -1;
	return pg_stmt_exec(c, err, PS_EXP_RUNS_SET_STAGE, NULL, "iti", x->id, to, now);
}

static int pg_experiment_set_lifecycle(struct store *st, int64_t id, bool deleted, struct mlf_err *err)
{
	struct exp_stage_args x = { id, deleted };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, exp_stage_tx, &x, err);
}

struct exp_rename_args {
	int64_t id;
	const char *name;
};

static int exp_rename_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct exp_rename_args *x = arg;
	if (exp_require_active(c, PS_EXP_BY_ID_LOCK, x->id, err) < 0)
		return -1;
	PGresult *r = pg_stmt(c, err, PS_EXP_NAME_TAKEN, "t", x->name);
	if (!r)
		return -1;
	bool taken = PQntuples(r) > 0;
	PQclear(r);
	if (taken)
		return store_row_fail(err, STORE_ROW_NAME_TAKEN);
	if (pg_stmt_exec(c, err, PS_EXP_RENAME, NULL, "iti", x->id, x->name, util_now_ms()) == 0)
		return 0;
	/* a concurrent create or rename took the name since: the constraint
	 * says so, and the transaction is rolled back */
	if (pg_failed_with(c, "23505"))
		return store_row_fail(err, STORE_ROW_NAME_TAKEN);
	return -1;
}

static int pg_experiment_rename(struct store *st, int64_t id, const char *new_name, struct mlf_err *err)
{
	struct exp_rename_args x = { id, new_name };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, exp_rename_tx, &x, err);
}

struct exp_tag_args {
	int64_t id;
	const char *key, *value; /* value NULL: delete */
};

static int exp_tag_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct exp_tag_args *x = arg;
	int64_t rows = 0;
	if (exp_require_active(c, PS_EXP_BY_ID_SHARE, x->id, err) < 0)
		return -1;
	if (x->value)
		return pg_stmt_exec(c, err, PS_EXP_TAG_UPSERT, NULL, "itt", x->id, x->key, x->value);
	if (pg_stmt_exec(c, err, PS_EXP_TAG_DELETE, &rows, "it", x->id, x->key) < 0)
		return -1;
	return rows == 0 ? store_row_fail(err, STORE_ROW_TAG_MISSING) : 0;
}

static int pg_experiment_set_tag(struct store *st, int64_t id, const char *key, const char *value,
				 struct mlf_err *err)
{
	struct exp_tag_args x = { id, key, value ? value : "" };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, exp_tag_tx, &x, err);
}

static int pg_experiment_delete_tag(struct store *st, int64_t id, const char *key, struct mlf_err *err)
{
	struct exp_tag_args x = { id, key, NULL };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, exp_tag_tx, &x, err);
}

/* ---- search text ------------------------------------------------------------ */

static void view_clause(struct buf *sql, const char *alias, enum store_view view)
{
	if (view == STORE_VIEW_ACTIVE)
		buf_addf(sql, " AND %s.lifecycle_stage = 'active'", alias);
	else if (view == STORE_VIEW_DELETED)
		buf_addf(sql, " AND %s.lifecycle_stage = 'deleted'", alias);
}

/* Appends the view filter, the compiled filter, ORDER BY and LIMIT/OFFSET
 * (bound values) of a search over the table aliased `alias`. Like MLflow,
 * a full page means "there may be more". */
static int search_tail(struct buf *sql, struct sql_binds *binds, enum filter_kind kind, const char *alias,
		       const struct store_search *q, struct arena *a, struct mlf_err *err)
{
	const struct sql_schema *d = &store_pg_sql_schema;
	view_clause(sql, alias, q->view);
	if (sqlgen_where(d, kind, &q->filter, sql, binds, a, err) < 0)
		return -1;
	buf_adds(sql, " ORDER BY ");
	if (sqlgen_order_by(d, kind, &q->order, sql, binds, a, err) < 0)
		return -1;
	buf_adds(sql, " LIMIT ");
	sqlgen_bind(d, sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = q->max_results }, a);
	buf_adds(sql, " OFFSET ");
	sqlgen_bind(d, sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = q->offset < 0 ? 0 : q->offset }, a);
	return 0;
}

struct exp_search_args {
	const char *sql;
	const struct sql_binds *binds;
	int64_t max_results;
	struct arena *a;
	struct store_experiment *out;
	size_t n;
};

static int exp_search_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct exp_search_args *x = arg;
	PGresult *r = pg_query_binds(c, x->sql, x->binds, err);
	if (!r)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct store_experiment *out = arena_alloc(x->a, (n ? n : 1) * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		exp_from_row(r, (int)i, &out[i], x->a);
	PQclear(r);
	if (exp_load_tags(c, out, n, x->a, err) < 0)
		return -1;
	x->out = out;
	x->n = n;
	return 0;
}

static int pg_experiment_search(struct store *st, const struct store_search *q, struct store_experiment **out,
				size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	int rc = -1;

	*out = NULL;
	*n = 0;
	*more = false;
	buf_adds(&sql, "SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, "
		       "e.last_update_time FROM experiments e WHERE TRUE");
	if (search_tail(&sql, &binds, FILTER_EXPERIMENTS, "e", q, a, err) == 0) {
		binds_storable(&binds, a);
		struct exp_search_args x = { sql.ptr, &binds, q->max_results, a, NULL, 0 };
		rc = pg_pool_tx(pool_of(st), PG_TX_READ, exp_search_tx, &x, err);
		if (rc == 0) {
			*out = x.out;
			*n = x.n;
			*more = (int64_t)x.n == q->max_results;
		}
	}
	buf_release(&sql);
	return rc;
}

/* ---- runs: reading ------------------------------------------------------------ */

static void run_info_from_row(const PGresult *r, int row, struct store_run_info *ri, struct arena *a)
{
	ri->run_id = pg_col_text(r, row, 1, a);
	ri->experiment_id = pg_col_int64(r, row, 2);
	ri->run_name = pg_col_text(r, row, 3, a);
	ri->user_id = pg_col_text(r, row, 4, a);
	ri->status = pg_col_text(r, row, 5, a);
	ri->start_time = pg_col_int64(r, row, 6);
	ri->has_end_time = !pg_col_null(r, row, 7);
	ri->end_time = pg_col_int64(r, row, 7);
	ri->artifact_uri = pg_col_text(r, row, 8, a);
	ri->lifecycle_stage = pg_col_text(r, row, 9, a);
}

/* A page of runs: their pks, their entries, and an index by pk. */
struct run_page {
	const int64_t *pks;
	struct store_run *runs;
	size_t n;
	struct pk_slot *idx;
	const char *pks_array; /* "{pk,...}" */
};

enum page_kind { PAGE_KIND_METRICS, PAGE_KIND_PARAMS, PAGE_KIND_TAGS, PAGE_KIND_OUTPUTS };

/* A row of a page load, with what orders it within its run: the key's
 * interned id (metrics, as SQLite's latest_metrics key order) or its text
 * (params and tags, in byte order); outputs keep the statement's order. */
struct page_row {
	int row;
	int64_t id;
	const char *key;
};

static int page_row_cmp(const void *x, const void *y)
{
	const struct page_row *a = x, *b = y;
	if (a->key && b->key)
		return strcmp(a->key, b->key);
	return (a->id > b->id) - (a->id < b->id);
}

/* Hands the rows `rows[0..n)` of `r` (one run's) to the run. */
static void page_fill(enum page_kind kind, struct store_run *run, const PGresult *r, const struct page_row *rows,
		      size_t n, struct arena *a)
{
	if (kind == PAGE_KIND_METRICS) {
		run->metrics = arena_zalloc(a, n * sizeof(*run->metrics));
		run->n_metrics = n;
		for (size_t i = 0; i < n; i++) {
			struct store_metric *m = &run->metrics[i];
			int row = rows[i].row;
			m->key = pg_col_text(r, row, 1, a);
			m->value = metric_value(r, row, 2, 5);
			m->timestamp = pg_col_int64(r, row, 3);
			m->step = pg_col_int64(r, row, 4);
		}
	} else if (kind == PAGE_KIND_OUTPUTS) {
		run->model_outputs = arena_zalloc(a, n * sizeof(*run->model_outputs));
		run->n_model_outputs = n;
		for (size_t i = 0; i < n; i++) {
			run->model_outputs[i].model_id = pg_col_text(r, rows[i].row, 1, a);
			run->model_outputs[i].step = pg_col_int64(r, rows[i].row, 2);
		}
	} else {
		struct store_kv *kv = arena_alloc(a, n * sizeof(*kv));
		for (size_t i = 0; i < n; i++) {
			kv[i].key = pg_col_text(r, rows[i].row, 1, a);
			kv[i].value = pg_col_text(r, rows[i].row, 2, a);
		}
		if (kind == PAGE_KIND_PARAMS) {
			run->params = kv;
			run->n_params = n;
		} else {
			run->tags = kv;
			run->n_tags = n;
		}
	}
}

/* One kind of row for the whole page. The statement does not sort (a sort
 * of every row of the page costs more in PostgreSQL than sorting each
 * run's few rows here): rows are grouped by run with a counting pass, then
 * ordered within their run. */
static int page_load_kind(struct pg_conn *c, const struct run_page *p, size_t stmt, enum page_kind kind,
			  struct arena *a, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, stmt, "t", p->pks_array);
	if (!r)
		return -1;
	size_t rows = (size_t)PQntuples(r);
	size_t *at = xmalloc((rows + 1) * sizeof(*at));
	size_t *start = xcalloc(p->n + 1, sizeof(*start));
	for (size_t i = 0; i < rows; i++) {
		at[i] = pk_find(p->idx, p->n, pg_col_int64(r, (int)i, 0));
		if (at[i] != SIZE_MAX)
			start[at[i] + 1]++;
	}
	for (size_t j = 0; j < p->n; j++)
		start[j + 1] += start[j];
	struct page_row *order = xmalloc((start[p->n] + 1) * sizeof(*order));
	size_t *fill = xmalloc((p->n + 1) * sizeof(*fill));
	memcpy(fill, start, (p->n + 1) * sizeof(*fill));
	for (size_t i = 0; i < rows; i++) {
		if (at[i] == SIZE_MAX)
			continue;
		struct page_row *o = &order[fill[at[i]]++];
		o->row = (int)i;
		o->id = kind == PAGE_KIND_METRICS ? pg_col_int64(r, (int)i, 6) : 0;
		o->key = kind == PAGE_KIND_PARAMS || kind == PAGE_KIND_TAGS ? PQgetvalue(r, (int)i, 1) : NULL;
	}
	for (size_t j = 0; j < p->n; j++) {
		size_t n = start[j + 1] - start[j];
		if (n == 0)
			continue;
		if (n > 1 && kind != PAGE_KIND_OUTPUTS)
			qsort(order + start[j], n, sizeof(*order), page_row_cmp);
		page_fill(kind, &p->runs[j], r, order + start[j], n, a);
	}
	free(order);
	free(fill);
	free(start);
	free(at);
	PQclear(r);
	return 0;
}

/* The first row of `tags` (ordered by run_pk, dataset_pk) for the pair. */
static int input_tags_first(const PGresult *tags, int64_t pk, int64_t dpk)
{
	int lo = 0, hi = PQntuples(tags);
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int64_t p = pg_col_int64(tags, mid, 0), d = pg_col_int64(tags, mid, 1);
		if (p < pk || (p == pk && d < dpk))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The dataset inputs of every run of the page, with their tags, in the
 * order they were logged. */
static int page_load_inputs(struct pg_conn *c, const struct run_page *p, struct arena *a, struct mlf_err *err)
{
	PGresult *in = pg_stmt(c, err, PS_PAGE_INPUTS, "t", p->pks_array);
	if (!in)
		return -1;
	int rows = PQntuples(in);
	if (rows == 0) {
		PQclear(in);
		return 0;
	}
	PGresult *tags = pg_stmt(c, err, PS_PAGE_INPUT_TAGS, "t", p->pks_array);
	if (!tags) {
		PQclear(in);
		return -1;
	}
	int n_tags = PQntuples(tags);
	for (int i = 0; i < rows;) {
		int64_t pk = pg_col_int64(in, i, 0);
		int j = i + 1;
		while (j < rows && pg_col_int64(in, j, 0) == pk)
			j++;
		size_t at = pk_find(p->idx, p->n, pk);
		if (at != SIZE_MAX) {
			struct store_run *run = &p->runs[at];
			run->n_inputs = (size_t)(j - i);
			run->inputs = arena_zalloc(a, run->n_inputs * sizeof(*run->inputs));
			for (int k = i; k < j; k++) {
				struct store_dataset_input *d = &run->inputs[k - i];
				int64_t dpk = pg_col_int64(in, k, 1);
				d->dataset.name = pg_col_text(in, k, 2, a);
				d->dataset.digest = pg_col_text(in, k, 3, a);
				d->dataset.source_type = pg_col_text(in, k, 4, a);
				d->dataset.source = pg_col_text(in, k, 5, a);
				d->dataset.schema = pg_col_text(in, k, 6, a);
				d->dataset.profile = pg_col_text(in, k, 7, a);
				int t0 = input_tags_first(tags, pk, dpk), t1 = t0;
				while (t1 < n_tags && pg_col_int64(tags, t1, 0) == pk && pg_col_int64(tags, t1, 1) == dpk)
					t1++;
				kv_from_rows(tags, t0, t1, 2, &d->tags, &d->n_tags, a);
			}
		}
		i = j;
	}
	PQclear(tags);
	PQclear(in);
	return 0;
}

/* Loads latest metrics, params, tags, dataset inputs and (with `outputs`,
 * as a search page carries them) model outputs of every run of the page,
 * each kind in one statement. */
static int page_load(struct pg_conn *c, const int64_t *pks, struct store_run *runs, size_t n, bool outputs,
		     struct arena *a, struct mlf_err *err)
{
	if (n == 0)
		return 0;
	struct run_page p = { pks, runs, n, pk_index(pks, n, a), int64_array_in(a, pks, n) };
	if (page_load_kind(c, &p, PS_PAGE_LATEST, PAGE_KIND_METRICS, a, err) < 0 ||
	    page_load_kind(c, &p, PS_PAGE_PARAMS, PAGE_KIND_PARAMS, a, err) < 0 ||
	    page_load_kind(c, &p, PS_PAGE_TAGS, PAGE_KIND_TAGS, a, err) < 0 ||
	    (outputs && page_load_kind(c, &p, PS_PAGE_OUTPUTS, PAGE_KIND_OUTPUTS, a, err) < 0))
		return -1;
	return page_load_inputs(c, &p, a, err);
}

/* A run's model inputs and outputs (MLflow 3), in the order they were linked. */
static int run_load_model_links(struct pg_conn *c, int64_t pk, struct store_run *run, struct arena *a,
				struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, PS_RUN_MODEL_LINKS, "i", pk);
	if (!r)
		return -1;
	int rows = PQntuples(r);
	size_t n_out = 0;
	for (int i = 0; i < rows; i++)
		n_out += pg_col_int64(r, i, 0) != 0;
	run->model_outputs = arena_zalloc(a, (n_out ? n_out : 1) * sizeof(*run->model_outputs));
	run->model_inputs = arena_zalloc(a, ((size_t)rows - n_out + 1) * sizeof(*run->model_inputs));
	for (int i = 0; i < rows; i++) {
		bool output = pg_col_int64(r, i, 0) != 0;
		struct store_model_link *l =
			output ? &run->model_outputs[run->n_model_outputs++] : &run->model_inputs[run->n_model_inputs++];
		l->model_id = pg_col_text(r, i, 1, a);
		l->step = pg_col_int64(r, i, 2);
	}
	PQclear(r);
	return 0;
}

/* The run `run_id`'s row: its info into *out and its key into *pk. */
static int run_row(struct pg_conn *c, const char *run_id, struct store_run_info *out, int64_t *pk, struct arena *a,
		   struct mlf_err *err)
{
	if (!text_storable(run_id))
		return store_row_fail(err, STORE_ROW_RUN_MISSING);
	PGresult *r = pg_stmt(c, err, PS_RUN_BY_UUID, "t", run_id);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return store_row_fail(err, STORE_ROW_RUN_MISSING);
	}
	*pk = pg_col_int64(r, 0, 0);
	run_info_from_row(r, 0, out, a);
	PQclear(r);
	return 0;
}

struct run_get_args {
	const char *run_id;
	struct store_run *out;
	struct arena *a;
};

static int run_get_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct run_get_args *x = arg;
	int64_t pk;
	memset(x->out, 0, sizeof(*x->out));
	if (run_row(c, x->run_id, &x->out->info, &pk, x->a, err) < 0 ||
	    page_load(c, &pk, x->out, 1, false, x->a, err) < 0)
		return -1;
	return run_load_model_links(c, pk, x->out, x->a, err);
}

struct run_info_args {
	const char *run_id;
	struct store_run_info *out;
	struct arena *a;
};

static int run_info_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct run_info_args *x = arg;
	int64_t pk;
	return run_row(c, x->run_id, x->out, &pk, x->a, err);
}

static int pg_run_info(struct store *st, const char *run_id, struct store_run_info *out, struct arena *a,
		       struct mlf_err *err)
{
	struct run_info_args x = { run_id, out, a };
	return pg_pool_tx(pool_of(st), PG_TX_READ, run_info_tx, &x, err);
}

static int pg_run_get(struct store *st, const char *run_id, struct store_run *out, struct arena *a,
		      struct mlf_err *err)
{
	struct run_get_args x = { run_id, out, a };
	return pg_pool_tx(pool_of(st), PG_TX_READ, run_get_tx, &x, err);
}

struct run_search_args {
	const char *sql;
	const struct sql_binds *binds;
	struct arena *a;
	struct store_run *out;
	size_t n;
};

static int run_search_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct run_search_args *x = arg;
	PGresult *r = pg_query_binds(c, x->sql, x->binds, err);
	if (!r)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct store_run *out = arena_zalloc(x->a, (n ? n : 1) * sizeof(*out));
	int64_t *pks = arena_alloc(x->a, (n ? n : 1) * sizeof(*pks));
	for (size_t i = 0; i < n; i++) {
		pks[i] = pg_col_int64(r, (int)i, 0);
		run_info_from_row(r, (int)i, &out[i].info, x->a);
	}
	PQclear(r);
	if (page_load(c, pks, out, n, true, x->a, err) < 0)
		return -1;
	x->out = out;
	x->n = n;
	return 0;
}

static int pg_run_search(struct store *st, const int64_t *experiment_ids, size_t n_exp,
			 const struct store_search *q, struct store_run **out, size_t *n, bool *more,
			 struct arena *a, struct mlf_err *err)
{
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	int rc = -1;

	*out = NULL;
	*n = 0;
	*more = false;
	if (n_exp == 0)
		return 0;
	buf_adds(&sql, "SELECT r.run_pk, r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, "
		       "r.end_time, r.artifact_uri, r.lifecycle_stage FROM runs r WHERE r.experiment_id = ANY(");
	sqlgen_bind(&store_pg_sql_schema, &sql, &binds,
		    (struct sql_bind){ .type = SQL_BIND_TEXT, .text = int64_array_in(a, experiment_ids, n_exp) }, a);
	buf_adds(&sql, "::bigint[])");
	if (search_tail(&sql, &binds, FILTER_RUNS, "r", q, a, err) == 0) {
		binds_storable(&binds, a);
		struct run_search_args x = { sql.ptr, &binds, a, NULL, 0 };
		rc = pg_pool_tx(pool_of(st), PG_TX_READ, run_search_tx, &x, err);
		if (rc == 0) {
			*out = x.out;
			*n = x.n;
			*more = (int64_t)x.n == q->max_results;
		}
	}
	buf_release(&sql);
	return rc;
}

/* ---- runs: writing -------------------------------------------------------- */

/* Finds a run with `stmt` (RUN_KEY_SHARE or RUN_LOCK: it stays locked to
 * the end of the transaction) and checks it is active. */
static int run_require_active(struct pg_conn *c, size_t stmt, const char *run_id, int64_t *pk, int64_t *exp_id,
			      struct mlf_err *err)
{
	if (!text_storable(run_id))
		return store_row_fail(err, STORE_ROW_RUN_MISSING);
	PGresult *r = pg_stmt(c, err, stmt, "t", run_id);
	int rc = 0;
	if (!r)
		return -1;
	if (PQntuples(r) == 0)
		rc = store_row_fail(err, STORE_ROW_RUN_MISSING);
	else if (strcmp(PQgetvalue(r, 0, 1), "active") != 0)
		rc = store_row_fail(err, STORE_ROW_RUN_DELETED);
	else {
		*pk = pg_col_int64(r, 0, 0);
		if (exp_id)
			*exp_id = pg_col_int64(r, 0, 2);
	}
	PQclear(r);
	return rc;
}

struct run_create_args {
	const struct store_run_create *rc;
	struct arena *a;
	struct store_run run;
};

struct tag_slot {
	const struct store_kv *kv;
	size_t at;
};

/* By key, and for one key the last given first. */
static int tag_slot_cmp(const void *x, const void *y)
{
	const struct tag_slot *a = x, *b = y;
	int c = strcmp(a->kv->key, b->kv->key);
	if (c)
		return c;
	return (a->at < b->at) - (a->at > b->at);
}

/* The tags a new run reads back with: one per key, the last given (as the
 * upsert keeps it), in key order (as a run's tags are read), in `a`. */
static void new_run_tags(const struct store_kv *kv, size_t n, struct store_run *run, struct arena *a)
{
	struct tag_slot *slots = arena_alloc(a, (n ? n : 1) * sizeof(*slots));
	for (size_t i = 0; i < n; i++)
		slots[i] = (struct tag_slot){ &kv[i], i };
	qsort(slots, n, sizeof(*slots), tag_slot_cmp);
	run->tags = arena_alloc(a, (n ? n : 1) * sizeof(*run->tags));
	run->n_tags = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(slots[i].kv->key, slots[i - 1].kv->key) == 0)
			continue;
		run->tags[run->n_tags].key = arena_strdup(a, slots[i].kv->key);
		run->tags[run->n_tags++].value = arena_strdup(a, slots[i].kv->value ? slots[i].kv->value : "");
	}
}

/* The experiment is share-locked: deleting it waits for this run. The new
 * run is answered from what was written (a new run has no metrics, params,
 * inputs or model links yet), without reading it back. */
static int run_create_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct run_create_args *x = arg;
	const struct store_run_create *rc = x->rc;
	if (exp_require_active(c, PS_EXP_BY_ID_SHARE, rc->experiment_id, err) < 0)
		return -1;
	PGresult *r = pg_stmt(c, err, PS_RUN_INSERT, "tittit", rc->run_id, rc->experiment_id, rc->run_name,
			      rc->user_id ? rc->user_id : "", rc->start_time, rc->artifact_uri);
	if (!r)
		return -1;
	struct store_run run;
	memset(&run, 0, sizeof(run));
	int64_t pk = pg_col_int64(r, 0, 0);
	run_info_from_row(r, 0, &run.info, x->a);
	PQclear(r);
	if (kv_upsert(c, PS_TAGS_UPSERT, pk, rc->tags, rc->n_tags, err) < 0)
		return -1;
	new_run_tags(rc->tags, rc->n_tags, &run, x->a);
	x->run = run;
	return 0;
}

static int pg_run_create(struct store *st, const struct store_run_create *rc, struct store_run *out,
			 struct arena *a, struct mlf_err *err)
{
	struct run_create_args x = { .rc = rc, .a = a };
	if (pg_pool_tx(pool_of(st), PG_TX_WRITE, run_create_tx, &x, err) < 0)
		return -1;
	*out = x.run;
	return 0;
}

struct run_update_args {
	const char *run_id;
	const struct store_run_update *u;
	struct arena *a;
	struct store_run_info info;
};

static int run_update_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct run_update_args *x = arg;
	const struct store_run_update *u = x->u;
	char end[32];
	int64_t pk;
	if (run_require_active(c, PS_RUN_LOCK, x->run_id, &pk, NULL, err) < 0)
		return -1;
	snprintf(end, sizeof(end), "%" PRId64, u->end_time);
	PGresult *r = pg_stmt(c, err, PS_RUN_UPDATE, "ittt", pk, u->status, u->has_end_time ? end : NULL,
			      u->run_name && *u->run_name ? u->run_name : NULL);
	if (!r)
		return -1;
	struct store_run_info info;
	run_info_from_row(r, 0, &info, x->a);
	PQclear(r);
	if (kv_upsert(c, PS_TAGS_UPSERT, pk, u->tags, u->n_tags, err) < 0)
		return -1;
	x->info = info;
	return 0;
}

static int pg_run_update(struct store *st, const char *run_id, const struct store_run_update *u,
			 struct store_run_info *out, struct arena *a, struct mlf_err *err)
{
	struct run_update_args x = { run_id, u, a, { 0 } };
	if (pg_pool_tx(pool_of(st), PG_TX_WRITE, run_update_tx, &x, err) < 0)
		return -1;
	*out = x.info;
	return 0;
}

struct run_stage_args {
	const char *run_id;
	bool deleted;
};

static int run_stage_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct run_stage_args *x = arg;
	int64_t rows = 0;
	if (!text_storable(x->run_id))
		return store_row_fail(err, STORE_ROW_RUN_MISSING);
	if (pg_stmt_exec(c, err, PS_RUN_SET_STAGE, &rows, "tti", x->run_id, x->deleted ? "deleted" : "active",
			 util_now_ms()) < 0)
		return -1;
	return rows == 0 ? store_row_fail(err, STORE_ROW_RUN_MISSING) : 0;
}

static int pg_run_set_lifecycle(struct store *st, const char *run_id, bool deleted, struct mlf_err *err)
{
	struct run_stage_args x = { run_id, deleted };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, run_stage_tx, &x, err);
}

/* ---- log-batch ---------------------------------------------------------------- */

/* MLflow stores NaN as value 0 with is_nan set, and +/-Inf as +/-DBL_MAX. */
static double stored_value(double v, bool *is_nan)
{
	*is_nan = isnan(v);
	if (*is_nan)
		return 0;
	if (isinf(v))
		return v > 0 ? DBL_MAX : -DBL_MAX;
	return v;
}

/* Is point a later than point b by MLflow's (step, timestamp, value) rule,
 * on stored values (NaN as 0), as the latest-metrics upsert compares? */
static bool metric_later(const struct store_metric *a, const struct store_metric *b)
{
	bool nan;
	double va = stored_value(a->value, &nan), vb = stored_value(b->value, &nan);
	if (a->step != b->step)
		return a->step > b->step;
	if (a->timestamp != b->timestamp)
		return a->timestamp > b->timestamp;
	return va > vb;
}

static int cmp_str_ptr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The distinct metric keys of a batch, sorted, with their interned ids. */
struct batch_keys {
	const char **key;
	int64_t *id; /* -1: not interned yet */
	size_t n;
};

static size_t batch_key_find(const struct batch_keys *k, const char *key)
{
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k->key[mid], key);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* The keys still without an id, as a text array; false when none. */
static bool batch_keys_missing(const struct batch_keys *k, struct buf *out)
{
	bool any = false;
	buf_reset(out);
	pg_array_begin(out);
	for (size_t i = 0; i < k->n; i++)
		if (k->id[i] < 0) {
			pg_array_add_text(out, k->key[i]);
			any = true;
		}
	pg_array_end(out);
	return any;
}

/* Reads the ids of the keys in the text array `keys`. */
static int batch_keys_read(struct pg_conn *c, struct batch_keys *k, const char *keys, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, PS_KEYS_GET, "t", keys);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		size_t at = batch_key_find(k, PQgetvalue(r, i, 0));
		if (at != SIZE_MAX)
			k->id[at] = pg_col_int64(r, i, 1);
	}
	PQclear(r);
	return 0;
}

/* Interns the keys the run's lookup did not find (their id is -1): an
 * insert of the new ones (sorted, so concurrent batches lock them in one
 * order) and a read, whose new snapshot also sees keys a concurrent batch
 * inserted first. Nothing to do in the common case, every key known. */
static int batch_keys_intern(struct pg_conn *c, struct batch_keys *k, struct mlf_err *err)
{
	struct buf keys = BUF_INIT;
	int rc = 0;
	if (batch_keys_missing(k, &keys)) {
		if (pg_stmt_exec(c, err, PS_KEYS_INSERT, NULL, "t", keys.ptr) < 0 ||
		    batch_keys_read(c, k, keys.ptr, err) < 0)
			rc = -1;
		else if (batch_keys_missing(k, &keys))
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "metric key vanished during insert");
	}
	buf_release(&keys);
	return rc;
}

/* The distinct keys of the metrics, sorted, without ids yet (-1); the
 * caller frees k->key and k->id. */
static void batch_keys_of(const struct store_metric *m, size_t n, struct batch_keys *k)
{
	k->key = xcalloc(n ? n : 1, sizeof(*k->key));
	k->id = xcalloc(n ? n : 1, sizeof(*k->id));
	k->n = 0;
	for (size_t i = 0; i < n; i++)
		k->key[i] = m[i].key;
	qsort(k->key, n, sizeof(*k->key), cmp_str_ptr);
	for (size_t i = 0; i < n; i++)
		if (k->n == 0 || strcmp(k->key[k->n - 1], k->key[i]) != 0)
			k->key[k->n++] = k->key[i];
	for (size_t i = 0; i < k->n; i++)
		k->id[i] = -1;
}

/* Metrics of one batch, whose keys `k` holds: the history rows and the
 * latest point per key (the max by step, timestamp, value; the first of
 * equal points wins, as on SQLite) in one statement, then the
 * logged-model points (3.x). */
static int log_metrics(struct pg_conn *c, const char *run_id, int64_t pk, const struct store_metric *m, size_t n,
		       struct batch_keys *kp, struct mlf_err *err)
{
	if (n == 0)
		return 0;
	struct batch_keys k = *kp;
	size_t *latest = xcalloc(n, sizeof(*latest)); /* per distinct key: index of its latest point */
	bool *has_latest = xcalloc(n, sizeof(*has_latest));
	struct buf a_key = BUF_INIT, a_ts = BUF_INIT, a_step = BUF_INIT, a_val = BUF_INIT, a_nan = BUF_INIT;
	struct buf l_key = BUF_INIT, l_ts = BUF_INIT, l_step = BUF_INIT, l_val = BUF_INIT, l_nan = BUF_INIT;
	int rc = -1;

	if (batch_keys_intern(c, &k, err) < 0)
		goto out;

	pg_array_begin(&a_key);
	pg_array_begin(&a_ts);
	pg_array_begin(&a_step);
	pg_array_begin(&a_val);
	pg_array_begin(&a_nan);
	size_t n_model = 0;
	for (size_t i = 0; i < n; i++) {
		bool is_nan;
		double v = stored_value(m[i].value, &is_nan);
		size_t at = batch_key_find(&k, m[i].key);
		pg_array_add_int64(&a_key, k.id[at]);
		pg_array_add_int64(&a_ts, m[i].timestamp);
		pg_array_add_int64(&a_step, m[i].step);
		pg_array_add_double(&a_val, v);
		pg_array_add_int64(&a_nan, is_nan);
		if (!has_latest[at] || metric_later(&m[i], &m[latest[at]])) {
			latest[at] = i;
			has_latest[at] = true;
		}
		n_model += m[i].model_id != NULL;
	}
	pg_array_end(&a_key);
	pg_array_end(&a_ts);
	pg_array_end(&a_step);
	pg_array_end(&a_val);
	pg_array_end(&a_nan);

	/* one latest row per key, in key order (the order concurrent batches lock them) */
	pg_array_begin(&l_key);
	pg_array_begin(&l_val);
	pg_array_begin(&l_ts);
	pg_array_begin(&l_step);
	pg_array_begin(&l_nan);
	for (size_t j = 0; j < k.n; j++) {
		const struct store_metric *l = &m[latest[j]];
		bool is_nan;
		double v = stored_value(l->value, &is_nan);
		pg_array_add_int64(&l_key, k.id[j]);
		pg_array_add_double(&l_val, v);
		pg_array_add_int64(&l_ts, l->timestamp);
		pg_array_add_int64(&l_step, l->step);
		pg_array_add_int64(&l_nan, is_nan);
	}
	pg_array_end(&l_key);
	pg_array_end(&l_val);
	pg_array_end(&l_ts);
	pg_array_end(&l_step);
	pg_array_end(&l_nan);
	if (pg_stmt_exec(c, err, PS_METRICS_LOG, NULL, "i" "tttttttttt", pk, a_key.ptr,
			 a_ts.ptr, a_step.ptr, a_val.ptr, a_nan.ptr, l_key.ptr, l_val.ptr, l_ts.ptr, l_step.ptr,
			 l_nan.ptr) < 0)
		goto out;

	rc = 0;
	if (n_model) { /* a point logged with a model_id also belongs to that logged model */
		struct buf a_model = BUF_INIT, a_name = BUF_INIT, a_digest = BUF_INIT;
		buf_reset(&a_key);
		buf_reset(&a_ts);
		buf_reset(&a_step);
		buf_reset(&a_val);
		buf_reset(&a_nan);
		struct buf *arrays[] = { &a_model, &a_key, &a_ts, &a_step, &a_val, &a_nan, &a_name, &a_digest };
		for (size_t i = 0; i < ARRAY_SIZE(arrays); i++)
			pg_array_begin(arrays[i]);
		for (size_t i = 0; i < n; i++) {
			if (!m[i].model_id)
				continue;
			bool is_nan;
			double v = stored_value(m[i].value, &is_nan);
			pg_array_add_text(&a_model, m[i].model_id);
			pg_array_add_text(&a_key, m[i].key);
			pg_array_add_int64(&a_ts, m[i].timestamp);
			pg_array_add_int64(&a_step, m[i].step);
			pg_array_add_double(&a_val, v);
			pg_array_add_int64(&a_nan, is_nan);
			pg_array_add_text(&a_name, m[i].dataset_name);
			pg_array_add_text(&a_digest, m[i].dataset_digest);
		}
		for (size_t i = 0; i < ARRAY_SIZE(arrays); i++)
			pg_array_end(arrays[i]);
		rc = pg_stmt_exec(c, err, PS_MODEL_METRICS_UPSERT, NULL, "ttttttttt", run_id, a_model.ptr, a_key.ptr,
				  a_ts.ptr, a_step.ptr, a_val.ptr, a_nan.ptr, a_name.ptr, a_digest.ptr);
		buf_release(&a_model);
		buf_release(&a_name);
		buf_release(&a_digest);
	}
out:
	buf_release(&a_key);
	buf_release(&a_ts);
	buf_release(&a_step);
	buf_release(&a_val);
	buf_release(&a_nan);
	buf_release(&l_key);
	buf_release(&l_ts);
	buf_release(&l_step);
	buf_release(&l_val);
	buf_release(&l_nan);
	free(latest);
	free(has_latest);
	return rc;
}

/* Inserts the params that are new (the first of a repeated key wins); when
 * some were not new, one read tells whether any differs from what is
 * stored now. */
static int log_params(struct pg_conn *c, int64_t pk, const struct store_kv *p, size_t n, struct mlf_err *err)
{
	if (n == 0)
		return 0;
	struct buf keys = BUF_INIT, values = BUF_INIT;
	int64_t inserted = 0;
	int rc;
	kv_arrays(p, n, &keys, &values);
	rc = pg_stmt_exec(c, err, PS_PARAMS_INSERT, &inserted, "itt", pk, keys.ptr, values.ptr);
	if (rc == 0 && (size_t)inserted < n) {
		PGresult *r = pg_stmt(c, err, PS_PARAMS_CHANGED, "itt", pk, keys.ptr, values.ptr);
		if (!r)
			rc = -1;
		else if (PQntuples(r) > 0)
			rc = store_row_fail(err, STORE_ROW_PARAM_CHANGED);
		PQclear(r);
	}
	buf_release(&keys);
	buf_release(&values);
	return rc;
}

struct batch_args {
	const char *run_id;
	const struct store_batch *b;
	const char *run_name; /* NULL: unchanged */
};

/* Finds the run (key-share locked) and checks it is active, reading with
 * it the ids of the batch's metric keys already interned: one round trip. */
static int batch_run_and_keys(struct pg_conn *c, const char *run_id, struct batch_keys *k, int64_t *pk,
			      struct mlf_err *err)
{
	if (!text_storable(run_id))
		return store_row_fail(err, STORE_ROW_RUN_MISSING);
	struct buf keys = BUF_INIT;
	batch_keys_missing(k, &keys);
	PGresult *r = pg_stmt(c, err, PS_RUN_AND_KEYS, "tt", run_id, keys.ptr);
	buf_release(&keys);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0)
		rc = store_row_fail(err, STORE_ROW_RUN_MISSING);
	else if (strcmp(PQgetvalue(r, 0, 1), "active") != 0)
		rc = store_row_fail(err, STORE_ROW_RUN_DELETED);
	else {
		*pk = pg_col_int64(r, 0, 0);
		for (int i = 0; i < PQntuples(r); i++) {
			if (pg_col_null(r, i, 2))
				continue;
			size_t at = batch_key_find(k, PQgetvalue(r, i, 2));
			if (at != SIZE_MAX)
				k->id[at] = pg_col_int64(r, i, 3);
		}
	}
	PQclear(r);
	return rc;
}

static int log_batch_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct batch_args *x = arg;
	const struct store_batch *b = x->b;
	struct batch_keys k;
	int64_t pk = 0;
	int rc = -1;
	batch_keys_of(b->metrics, b->n_metrics, &k);
	if (batch_run_and_keys(c, x->run_id, &k, &pk, err) == 0 && log_params(c, pk, b->params, b->n_params, err) == 0 &&
	    log_metrics(c, x->run_id, pk, b->metrics, b->n_metrics, &k, err) == 0 &&
	    kv_upsert(c, PS_TAGS_UPSERT, pk, b->tags, b->n_tags, err) == 0)
		rc = x->run_name ? pg_stmt_exec(c, err, PS_RUN_SET_NAME, NULL, "it", pk, x->run_name) : 0;
	free(k.key);
	free(k.id);
	return rc;
}

static int pg_run_log_batch(struct store *st, const char *run_id, const struct store_batch *b, const char *run_name,
			    struct mlf_err *err)
{
	struct batch_args x = { run_id, b, run_name };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, log_batch_tx, &x, err);
}

struct tag_delete_args {
	const char *run_id, *key;
};

static int tag_delete_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct tag_delete_args *x = arg;
	int64_t pk, rows = 0;
	if (run_require_active(c, PS_RUN_KEY_SHARE, x->run_id, &pk, NULL, err) < 0 ||
	    pg_stmt_exec(c, err, PS_TAG_DELETE, &rows, "it", pk, x->key) < 0)
		return -1;
	return rows == 0 ? store_row_fail(err, STORE_ROW_TAG_MISSING) : 0;
}

static int pg_run_delete_tag(struct store *st, const char *run_id, const char *key, struct mlf_err *err)
{
	struct tag_delete_args x = { run_id, key };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, tag_delete_tx, &x, err);
}

/* ---- dataset inputs ----------------------------------------------------------- */

/* The dataset's key in the experiment, inserting it when new. A dataset a
 * concurrent transaction inserted first is read again once it committed. */
static int dataset_pk_for(struct pg_conn *c, int64_t exp_id, const struct store_dataset *d, int64_t *dpk,
			  struct mlf_err *err)
{
	char uuid[33];
	util_uuid_hex(uuid);
	PGresult *r = pg_stmt(c, err, PS_DATASET_UPSERT, "titttttt", uuid, exp_id, d->name, d->digest, d->source_type,
			      d->source, d->schema, d->profile);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		if (!(r = pg_stmt(c, err, PS_DATASET_GET, "itt", exp_id, d->name, d->digest)))
			return -1;
	}
	int rc = 0;
	if (PQntuples(r) == 0)
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "dataset vanished during insert");
	else
		*dpk = pg_col_int64(r, 0, 0);
	PQclear(r);
	return rc;
}

struct inputs_args {
	const char *run_id;
	const struct store_dataset_input *in;
	size_t n;
};

/* The run is locked for update: its inputs are numbered in the order they
 * were logged, one logger at a time. */
static int log_inputs_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct inputs_args *x = arg;
	int64_t pk, exp_id;
	if (run_require_active(c, PS_RUN_LOCK, x->run_id, &pk, &exp_id, err) < 0)
		return -1;
	for (size_t i = 0; i < x->n; i++) {
		int64_t dpk = 0, linked = 0;
		if (dataset_pk_for(c, exp_id, &x->in[i].dataset, &dpk, err) < 0 ||
		    pg_stmt_exec(c, err, PS_INPUT_INSERT, &linked, "ii", pk, dpk) < 0)
			return -1;
		if (linked == 0 || x->in[i].n_tags == 0)
			continue; /* tags are stored only with the first link */
		struct buf keys = BUF_INIT, values = BUF_INIT;
		kv_arrays(x->in[i].tags, x->in[i].n_tags, &keys, &values);
		int rc = pg_stmt_exec(c, err, PS_INPUT_TAGS_INSERT, NULL, "iitt", pk, dpk, keys.ptr, values.ptr);
		buf_release(&keys);
		buf_release(&values);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int pg_run_log_inputs(struct store *st, const char *run_id, const struct store_dataset_input *in, size_t n,
			     struct mlf_err *err)
{
	struct inputs_args x = { run_id, in, n };
	return pg_pool_tx(pool_of(st), PG_TX_WRITE, log_inputs_tx, &x, err);
}

/* ---- metrics ------------------------------------------------------------------ */

struct history_args {
	const char *run_id, *key;
	int64_t offset, limit;
	struct arena *a;
	struct store_metric *out;
	size_t n;
	bool more;
};

static int history_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct history_args *x = arg;
	/* one more than asked: are there more? */
	int64_t limit = x->limit < 0 || x->limit >= INT64_MAX - 1 ? INT64_MAX : x->limit + 1;
	if (pg_stmt_exec(c, err, PS_HISTORY_PLAN, NULL, "") < 0)
		return -1;
	PGresult *r = pg_stmt(c, err, PS_HISTORY, "ttii", x->run_id, x->key, limit, x->offset < 0 ? 0 : x->offset);
	if (!r)
		return -1;
	size_t rows = (size_t)PQntuples(r);
	bool more = x->limit >= 0 && rows > (size_t)x->limit;
	size_t n = more ? (size_t)x->limit : rows;
	struct store_metric *out = arena_zalloc(x->a, (n ? n : 1) * sizeof(*out));
	const char *key = arena_strdup(x->a, x->key);
	for (size_t i = 0; i < n; i++) {
		out[i].key = key;
		out[i].timestamp = pg_col_int64(r, (int)i, 0);
		out[i].step = pg_col_int64(r, (int)i, 1);
		out[i].value = metric_value(r, (int)i, 2, 3);
	}
	PQclear(r);
	x->out = n ? out : NULL;
	x->n = n;
	x->more = more;
	return 0;
}

static int pg_metric_history(struct store *st, const char *run_id, const char *key, int64_t offset, int64_t limit,
			     struct store_metric **out, size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	struct history_args x = { run_id, key, offset, limit, a, NULL, 0, false };
	*out = NULL;
	*n = 0;
	*more = false;
	if (!text_storable(run_id) || !text_storable(key))
		return 0;
	if (pg_pool_tx(pool_of(st), PG_TX_READ, history_tx, &x, err) < 0)
		return -1;
	*out = x.out;
	*n = x.n;
	*more = x.more;
	return 0;
}

/* ---- bulk interval ----------------------------------------------------------
 * MLflow's sampling needs the sorted distinct steps of the key over all the
 * runs and each run's first and last step (one statement each); the points
 * at the chosen steps then come in one statement, run by run in the order
 * asked, each run's ordered by step, timestamp, value. */

struct bulk_args {
	const struct store_bulk_interval *q;
	struct arena *a;
	struct store_metric *out;
	size_t n;
};

static int bulk_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct bulk_args *x = arg;
	const struct store_bulk_interval *q = x->q;
	struct buf ids = BUF_INIT, chosen_array = BUF_INIT;
	PGresult *steps = NULL, *bounds = NULL, *points = NULL;
	int rc = -1;

	/* ids PostgreSQL cannot hold name no run; positions map back to run_ids */
	size_t *asked = arena_alloc(x->a, (q->n_run_ids + 1) * sizeof(*asked)), n_asked = 0;
	pg_array_begin(&ids);
	for (size_t i = 0; i < q->n_run_ids; i++)
		if (text_storable(q->run_ids[i])) {
			pg_array_add_text(&ids, q->run_ids[i]);
			asked[n_asked++] = i;
		}
	pg_array_end(&ids);
	if (!(steps = pg_stmt(c, err, PS_BULK_STEPS, "tt", ids.ptr, q->metric_key)) ||
	    !(bounds = pg_stmt(c, err, PS_BULK_BOUNDS, "tt", ids.ptr, q->metric_key)))
		goto out;
	size_t n_steps = (size_t)PQntuples(steps), n_bounds = 2 * (size_t)PQntuples(bounds);
	int64_t *step_v = arena_alloc(x->a, (n_steps + 1) * sizeof(*step_v));
	int64_t *bound_v = arena_alloc(x->a, (n_bounds + 1) * sizeof(*bound_v));
	int64_t *chosen = arena_alloc(x->a, (n_steps + n_bounds + 1) * sizeof(*chosen));
	for (size_t i = 0; i < n_steps; i++)
		step_v[i] = pg_col_int64(steps, (int)i, 0);
	for (size_t i = 0; i < n_bounds / 2; i++) {
		bound_v[2 * i] = pg_col_int64(bounds, (int)i, 0);
		bound_v[2 * i + 1] = pg_col_int64(bounds, (int)i, 1);
	}
	size_t n_chosen = store_sample_steps(step_v, n_steps, bound_v, n_bounds, q->has_range, q->start_step,
					     q->end_step, (size_t)q->max_results, chosen);
	pg_array_int64(&chosen_array, chosen, n_chosen);
	if (!(points = pg_stmt(c, err, PS_BULK_POINTS, "ttt", ids.ptr, q->metric_key, chosen_array.ptr)))
		goto out;
	size_t n = (size_t)PQntuples(points);
	struct store_metric *out = arena_zalloc(x->a, (n ? n : 1) * sizeof(*out));
	const char *key = arena_strdup(x->a, q->metric_key);
	const char **run_copy = arena_zalloc(x->a, (q->n_run_ids + 1) * sizeof(*run_copy));
	for (size_t i = 0; i < n; i++) {
		int64_t o = pg_col_int64(points, (int)i, 0); /* 1-based position in the ids sent */
		size_t at = asked[o >= 1 && (size_t)o <= n_asked ? (size_t)o - 1 : 0];
		if (!run_copy[at])
			run_copy[at] = arena_strdup(x->a, q->run_ids[at]);
		out[i].run_id = run_copy[at];
		out[i].key = key;
		out[i].step = pg_col_int64(points, (int)i, 1);
		out[i].timestamp = pg_col_int64(points, (int)i, 2);
		out[i].value = metric_value(points, (int)i, 3, 4);
	}
	x->out = n ? out : NULL;
	x->n = n;
	rc = 0;
out:
	PQclear(steps);
	PQclear(bounds);
	PQclear(points);
	buf_release(&ids);
	buf_release(&chosen_array);
	return rc;
}

static int pg_metric_bulk_interval(struct store *st, const struct store_bulk_interval *q, struct store_metric **out,
				   size_t *n, struct arena *a, struct mlf_err *err)
{
	struct bulk_args x = { q, a, NULL, 0 };
	*out = NULL;
	*n = 0;
	if (q->n_run_ids == 0 || !text_storable(q->metric_key))
		return 0;
	if (pg_pool_tx(pool_of(st), PG_TX_READ, bulk_tx, &x, err) < 0)
		return -1;
	*out = x.out;
	*n = x.n;
	return 0;
}

struct dataset_search_args {
	const int64_t *ids;
	size_t n_ids;
	struct arena *a;
	struct store_dataset_summary *out;
	size_t n;
};

static int dataset_search_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct dataset_search_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_DATASET_SEARCH, "t", int64_array_in(x->a, x->ids, x->n_ids));
	if (!r)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct store_dataset_summary *out = arena_zalloc(x->a, (n ? n : 1) * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i].experiment_id = pg_col_int64(r, (int)i, 0);
		out[i].name = pg_col_text(r, (int)i, 1, x->a);
		out[i].digest = pg_col_text(r, (int)i, 2, x->a);
		out[i].context = pg_col_text(r, (int)i, 3, x->a);
	}
	PQclear(r);
	x->out = n ? out : NULL;
	x->n = n;
	return 0;
}

static int pg_dataset_search(struct store *st, const int64_t *experiment_ids, size_t n_exp,
			     struct store_dataset_summary **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct dataset_search_args x = { experiment_ids, n_exp, a, NULL, 0 };
	*out = NULL;
	*n = 0;
	if (n_exp == 0)
		return 0;
	if (pg_pool_tx(pool_of(st), PG_TX_READ, dataset_search_tx, &x, err) < 0)
		return -1;
	*out = x.out;
	*n = x.n;
	return 0;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.close = store_pg_close,
	.registry = &store_pg_registry_ops,
	.experiment_create = pg_experiment_create,
	.experiment_create_default = pg_experiment_create_default,
	.experiment_get = pg_experiment_get,
	.experiment_get_by_name = pg_experiment_get_by_name,
	.experiment_set_lifecycle = pg_experiment_set_lifecycle,
	.experiment_rename = pg_experiment_rename,
	.experiment_set_tag = pg_experiment_set_tag,
	.experiment_delete_tag = pg_experiment_delete_tag,
	.experiment_search = pg_experiment_search,
	.run_create = pg_run_create,
	.run_info = pg_run_info,
	.run_get = pg_run_get,
	.run_update = pg_run_update,
	.run_set_lifecycle = pg_run_set_lifecycle,
	.run_log_batch = pg_run_log_batch,
	.run_delete_tag = pg_run_delete_tag,
	.run_log_inputs = pg_run_log_inputs,
	.run_search = pg_run_search,
	.metric_history = pg_metric_history,
	.metric_bulk_interval = pg_metric_bulk_interval,
	.dataset_search = pg_dataset_search,
};
