/*
 * store_sqlite_registry.c - the model registry on the SQLite store
 * (migration 2 of schema_sqlite.h; docs/storage.md describes the tables).
 *
 * Rows only (store.h): the front words the row conditions reported here
 * and applies the prompt rule (q->hide_tag). Fixed statements come from
 * the store's statement cache (their SQL is in store_sqlite_sql.h); only
 * search statements, which sqlgen builds per request, are prepared per
 * call and finalized. Writes run as group-commit jobs: each job looks the
 * model or version up on the write connection, changes it and appends its
 * history rows in the same transaction, and a failing job rolls back
 * alone. Reads run inside one read transaction for a consistent view.
 * Every value is a bound parameter; search SQL comes from sqlgen.
 */
#include "store_sqlite_int.h"
#include "store_sqlite_logged.h"
#include "store_sqlite_sql.h"
#include "../base/util.h"
#include "../search/sqlgen.h"
#include <stdarg.h>
#include <strings.h>



/* ---- cached statements -------------------------------------------------- */

/* Reads the integer in the first column of the first row of statement
 * `id`, if any; `types` and the values as for sqlite_stmt_bound(). */
static int q_int(struct sqlite_conn *c, struct mlf_err *err, bool *found, int64_t *out, size_t id,
		 const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *s = sqlite_vstmt_bound(c, err, id, types, ap);
	va_end(ap);
	if (!s)
		return -1;
	int rc = sqlite_step_row(c, s, found, err);
	if (rc == 0 && *found)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

/* ---- lookups --------------------------------------------------------------- */

static int model_missing(const char *name, struct mlf_err *err)
{
	(void)name;
	return store_row_fail(err, STORE_ROW_MODEL_MISSING);
}

static int version_missing(const char *name, int64_t version, struct mlf_err *err)
{
	(void)name;
	(void)version;
	return store_row_fail(err, STORE_ROW_VERSION_MISSING);
}

static int find_model(struct sqlite_conn *c, const char *name, int64_t *pk, struct mlf_err *err)
{
	bool found;
	if (q_int(c, err, &found, pk, S_REG_MODEL_PK, "t", name) < 0)
		return -1;
	return found ? 0 : model_missing(name, err);
}

/* Finds a live (not deleted) version and its model's key. */
static int find_version(struct sqlite_conn *c, const char *name, int64_t version, int64_t *pk, struct mlf_err *err)
{
	bool found;
	if (q_int(c, err, &found, pk, S_REG_VERSION_PK, "ti", name, version) < 0)
		return -1;
	return found ? 0 : version_missing(name, version, err);
}

static int touch_model(struct sqlite_conn *c, int64_t pk, int64_t now, struct mlf_err *err)
{
	return sqlite_exec_stmt(c, err, S_REG_MODEL_TOUCH, "ii", pk, now);
}

/* ---- loading rows ------------------------------------------------------------ */

static void version_from_row(sqlite3_stmt *s, struct store_model_version *v, int64_t *pk, struct arena *a)
{
	memset(v, 0, sizeof(*v));
	v->name = sqlite_col_text(s, 0, a);
	v->version = sqlite3_column_int64(s, 1);
	v->creation_time = sqlite3_column_int64(s, 2);
	v->last_updated_time = sqlite3_column_int64(s, 3);
	v->user_id = sqlite_col_text(s, 4, a);
	v->current_stage = sqlite_col_text(s, 5, a);
	v->description = sqlite_col_text(s, 6, a);
	v->source = sqlite_col_text(s, 7, a);
	v->storage_location = sqlite_col_text(s, 8, a);
	v->run_id = sqlite_col_text(s, 9, a);
	v->run_link = sqlite_col_text(s, 10, a);
	v->status = sqlite_col_text(s, 11, a);
	v->status_message = sqlite_col_text(s, 12, a);
	*pk = sqlite3_column_int64(s, 13);
	v->model_id = sqlite_col_text(s, 14, a);
}

/* Steps `s` to the end, collecting (key, value) rows. */
static int load_pairs(struct sqlite_conn *c, sqlite3_stmt *s, struct store_kv **out, size_t *n, struct arena *a,
		      struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	int rc = store_sqlite_load_kv(c, s, out, n, a, err);
	sqlite3_reset(s);
	return rc;
}

static int version_load_aliases(struct sqlite_conn *c, int64_t pk, struct store_model_version *v, struct arena *a,
				struct mlf_err *err)
{
	struct store_kv *kv;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_VERSION_ALIASES, "ii", pk, v->version);
	if (load_pairs(c, s, &kv, &v->n_aliases, a, err) < 0)
		return -1;
	v->aliases = arena_alloc(a, (v->n_aliases ? v->n_aliases : 1) * sizeof(*v->aliases));
	for (size_t i = 0; i < v->n_aliases; i++)
		v->aliases[i] = kv[i].key;
	return 0;
}

/* ---- loading many rows at once ----------------------------------------------
 * A page of 1,000 models or versions loaded one by one costs thousands of
 * small statements; instead each kind of child row is read once for the
 * whole page (keys passed as a JSON array to json_each) and handed to its
 * parent through a sorted index, as store_sqlite.c's page_load_data does. */

struct key_slot {
	int64_t pk, version; /* version 0 for models */
	size_t idx;          /* index in the page */
};

static int key_slot_cmp(const void *x, const void *y)
{
	const struct key_slot *a = x, *b = y;
	if (a->pk != b->pk)
		return (a->pk > b->pk) - (a->pk < b->pk);
	return (a->version > b->version) - (a->version < b->version);
}

/* A sorted index of (pk, version) -> page index, and the keys as JSON for
 * json_each: "[pk, ...]" or "[[pk, version], ...]" when `pairs`. */
static struct key_slot *key_index(const int64_t *pks, const int64_t *versions, size_t n, bool pairs, struct buf *json,
				  struct arena *a)
{
	struct key_slot *slots = arena_alloc(a, (n ? n : 1) * sizeof(*slots));
	buf_addch(json, '[');
	for (size_t i = 0; i < n; i++) {
		slots[i] = (struct key_slot){ pks[i], versions ? versions[i] : 0, i };
		if (pairs)
			buf_addf(json, "%s[%lld,%lld]", i ? "," : "", (long long)pks[i], (long long)versions[i]);
		else
			buf_addf(json, "%s%lld", i ? "," : "", (long long)pks[i]);
	}
	buf_addch(json, ']');
	qsort(slots, n, sizeof(*slots), key_slot_cmp);
	return slots;
}

static const struct key_slot *key_find(const struct key_slot *slots, size_t n, int64_t pk, int64_t version)
{
	struct key_slot key = { pk, version, 0 };
	return bsearch(&key, slots, n, sizeof(*slots), key_slot_cmp);
}

/* Rows of (pk, version, key, value), grouped by (pk, version) in the
 * statement's order, become slices of one list handed to each owner. */
struct kv_target {
	struct store_kv **list;
	size_t *n;
	size_t stride; /* bytes between owners' list and n fields */
};

static int load_grouped_pairs(struct sqlite_conn *c, sqlite3_stmt *s, const struct key_slot *slots, size_t n_slots,
			      struct kv_target t, struct arena *a, struct mlf_err *err)
{
	struct store_kv *all = NULL;
	size_t n = 0, cap = 0;
	int64_t *owner = NULL;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const struct key_slot *k = key_find(slots, n_slots, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
		if (!k)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			all = arena_grow_array(a, all, n, cap, sizeof(*all));
			owner = arena_grow_array(a, owner, n, cap, sizeof(*owner));
		}
		all[n].key = sqlite_col_text(s, 2, a);
		all[n].value = sqlite_col_text(s, 3, a);
		owner[n++] = (int64_t)k->idx;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sqlite_conn_fail(c, "registry children", err);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && owner[j] == owner[i])
			j++;
		char *base = (char *)t.list + (size_t)owner[i] * t.stride;
		*(struct store_kv **)base = &all[i];
		*(size_t *)((char *)t.n + (size_t)owner[i] * t.stride) = j - i;
		i = j;
	}
	return 0;
}

/* The tags of every version in `v` (their models' keys in `pks`). */
static int versions_load_tags(struct sqlite_conn *c, struct store_model_version *v, const int64_t *pks, size_t n,
			      struct arena *a, struct mlf_err *err)
{
	struct buf json = BUF_INIT;
	if (!n)
		return 0;
	int64_t *versions = arena_alloc(a, n * sizeof(*versions));
	for (size_t i = 0; i < n; i++)
		versions[i] = v[i].version;
	struct key_slot *slots = key_index(pks, versions, n, true, &json, a);
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_VERSIONS_TAGS, "t", json.ptr);
	int rc = s ? load_grouped_pairs(c, s, slots, n,
					(struct kv_target){ &v[0].tags, &v[0].n_tags, sizeof(*v) }, a, err)
		   : -1;
	buf_release(&json);
	return rc;
}

/* Runs a query over VERSION_COLS and loads every row, and the rows' tags;
 * *pks_out (when not NULL) receives each row's model key. */
static int load_versions_pks(struct sqlite_conn *c, sqlite3_stmt *s, struct store_model_version **out, size_t *n,
			     int64_t **pks_out, struct arena *a, struct mlf_err *err)
{
	size_t cap = 0;
	int64_t *pks = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = arena_grow_array(a, *out, *n, cap, sizeof(**out));
			pks = arena_grow_array(a, pks, *n, cap, sizeof(*pks));
		}
		version_from_row(s, &(*out)[*n], &pks[*n], a);
		(*n)++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sqlite_conn_fail(c, "registry versions", err);
	if (pks_out)
		*pks_out = pks;
	return versions_load_tags(c, *out, pks, *n, a, err);
}

static int load_versions(struct sqlite_conn *c, sqlite3_stmt *s, struct store_model_version **out, size_t *n,
			 struct arena *a, struct mlf_err *err)
{
	return load_versions_pks(c, s, out, n, NULL, a, err);
}

/* One live version with its tags and aliases. */
static int version_read(struct sqlite_conn *c, const char *name, int64_t version, struct store_model_version *out,
			struct arena *a, struct mlf_err *err)
{
	struct store_model_version *list;
	size_t n;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_VERSION_GET, "ti", name, version);
	if (load_versions(c, s, &list, &n, a, err) < 0)
		return -1;
	if (!n)
		return version_missing(name, version, err);
	*out = list[0];
	int64_t pk;
	bool found;
	if (q_int(c, err, &found, &pk, S_REG_MODEL_PK, "t", name) < 0)
		return -1;
	return version_load_aliases(c, pk, out, a, err);
}

/* MLflow's latest versions: the highest version per stage, stages in the
 * order of their lowest version. */
static int latest_read(struct sqlite_conn *c, int64_t pk, struct store_model_version **out, size_t *n,
		       struct arena *a, struct mlf_err *err)
{
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_MODEL_LATEST, "i", pk);
	return load_versions(c, s, out, n, a, err);
}

static int model_load_children(struct sqlite_conn *c, int64_t pk, struct store_registered_model *m,
			       struct arena *a, struct mlf_err *err)
{
	struct store_kv *kv;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_MODEL_TAGS, "i", pk);
	if (load_pairs(c, s, &m->tags, &m->n_tags, a, err) < 0)
		return -1;
	s = sqlite_stmt_bound(c, err, S_REG_MODEL_ALIASES, "i", pk);
	if (load_pairs(c, s, &kv, &m->n_aliases, a, err) < 0)
		return -1;
	m->aliases = arena_alloc(a, (m->n_aliases ? m->n_aliases : 1) * sizeof(*m->aliases));
	for (size_t i = 0; i < m->n_aliases; i++) {
		m->aliases[i].alias = kv[i].key;
		util_parse_int64(kv[i].value, &m->aliases[i].version);
	}
	return latest_read(c, pk, &m->latest, &m->n_latest, a, err);
}

static void model_from_row(sqlite3_stmt *s, struct store_registered_model *m, int64_t *pk, struct arena *a)
{
	memset(m, 0, sizeof(*m));
	*pk = sqlite3_column_int64(s, 0);
	m->name = sqlite_col_text(s, 1, a);
	m->creation_time = sqlite3_column_int64(s, 2);
	m->last_updated_time = sqlite3_column_int64(s, 3);
	m->description = sqlite_col_text(s, 4, a);
}


static int model_read(struct sqlite_conn *c, const char *name, struct store_registered_model *out,
		      struct arena *a, struct mlf_err *err)
{
	bool found;
	int64_t pk;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_MODEL_GET, "t", name);
	if (!s)
		return -1;
	int rc = sqlite_step_row(c, s, &found, err);
	if (rc == 0 && found)
		model_from_row(s, out, &pk, a);
	sqlite3_reset(s);
	if (rc < 0)
		return -1;
	if (!found)
		return model_missing(name, err);
	return model_load_children(c, pk, out, a, err);
}

/* ---- read entry points -------------------------------------------------------- */

static int sq_model_get(struct store *st, const char *name, struct store_registered_model *out, struct arena *a,
			struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, model_read(c, name, out, a, err));
}

static int sq_version_get(struct store *st, const char *name, int64_t version, struct store_model_version *out,
			  struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, version_read(c, name, version, out, a, err));
}

static bool stage_listed(const char *stage, const char *const *stages, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(stage, stages[i]))
			return true;
	return n == 0;
}

static int latest_filtered(struct sqlite_conn *c, const char *name, const char *const *stages, size_t n_stages,
			   struct store_model_version **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	int64_t pk;
	if (find_model(c, name, &pk, err) < 0 || latest_read(c, pk, out, n, a, err) < 0)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (stage_listed((*out)[i].current_stage, stages, n_stages))
			(*out)[k++] = (*out)[i];
	*n = k;
	return 0;
}

static int sq_latest_versions(struct store *st, const char *name, const char *const *stages, size_t n_stages,
			      struct store_model_version **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, latest_filtered(c, name, stages, n_stages, out, n, a, err));
}

static int alias_read(struct sqlite_conn *c, const char *name, const char *alias, struct store_model_version *out,
		      struct arena *a, struct mlf_err *err)
{
	bool found;
	int64_t version;
	if (q_int(c, err, &found, &version, S_REG_ALIAS_VERSION_BY_NAME, "tt", name, alias) < 0)
		return -1;
	if (!found)
		return store_row_fail(err, STORE_ROW_ALIAS_MISSING);
	return version_read(c, name, version, out, a, err);
}

static int sq_alias_get(struct store *st, const char *name, const char *alias, struct store_model_version *out,
			struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, alias_read(c, name, alias, out, a, err));
}

/* ---- search ---------------------------------------------------------------------- */

void store_sqlite_bind_all(sqlite3_stmt *s, const struct sql_binds *b)
{
	for (size_t i = 0; i < b->n; i++) {
		int idx = (int)i + 1;
		if (b->items[i].type == SQL_BIND_TEXT)
			sqlite_bind_text(s, idx, b->items[i].text);
		else if (b->items[i].type == SQL_BIND_INT)
			sqlite3_bind_int64(s, idx, b->items[i].i);
		else
			sqlite3_bind_double(s, idx, b->items[i].d);
	}
}

/* Appends filter, ORDER BY and LIMIT (one row more than the page, to know
 * whether another page follows). */
static int search_tail(struct buf *sql, struct sql_binds *binds, enum filter_kind kind, const struct store_search *q,
		       struct arena *a, struct mlf_err *err)
{
	/* The front's prompt rule: leave out models tagged hide_tag = 'true'. */
	if (q->hide_tag) {
		buf_adds(sql, " AND NOT EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.model_pk = m.model_pk "
			      "AND pt.key = ");
		sqlgen_bind(&store_sqlite_sql_schema, sql, binds,
			    (struct sql_bind){ .type = SQL_BIND_TEXT, .text = q->hide_tag }, a);
		buf_adds(sql, " AND pt.value = 'true')");
	}
	if (sqlgen_where(&store_sqlite_sql_schema, kind, &q->filter, sql, binds, a, err) < 0)
		return -1;
	buf_adds(sql, " ORDER BY ");
	if (sqlgen_order_by(&store_sqlite_sql_schema, kind, &q->order, sql, binds, a, err) < 0)
		return -1;
	buf_adds(sql, " LIMIT ");
	sqlgen_bind(&store_sqlite_sql_schema, sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = q->max_results + 1 }, a);
	buf_adds(sql, " OFFSET ");
	sqlgen_bind(&store_sqlite_sql_schema, sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = q->offset }, a);
	return 0;
}

/* Builds and prepares a search statement; NULL with `err` set on failure. */
static sqlite3_stmt *search_prepare(struct sqlite_conn *c, const char *head, enum filter_kind kind,
				    const struct store_search *q, struct arena *a, struct mlf_err *err)
{
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	sqlite3_stmt *s = NULL;
	buf_adds(&sql, head);
	if (search_tail(&sql, &binds, kind, q, a, err) == 0) {
		if (sqlite3_prepare_v2(c->db, sql.ptr, (int)sql.len, &s, NULL) != SQLITE_OK)
			sqlite_conn_fail(c, "registry search", err);
		else
			store_sqlite_bind_all(s, &binds);
	}
	buf_release(&sql);
	return s;
}

struct pair_slice {
	struct store_kv *kv;
	size_t n;
};

static int models_load_aliases(struct sqlite_conn *c, struct store_registered_model *m, const struct key_slot *slots,
			       size_t n, const char *keys, struct arena *a, struct mlf_err *err)
{
	struct pair_slice *sl = arena_zalloc(a, n * sizeof(*sl));
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_MODELS_ALIASES, "t", keys);
	if (!s || load_grouped_pairs(c, s, slots, n, (struct kv_target){ &sl[0].kv, &sl[0].n, sizeof(*sl) }, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		m[i].n_aliases = sl[i].n;
		m[i].aliases = arena_alloc(a, (sl[i].n ? sl[i].n : 1) * sizeof(*m[i].aliases));
		for (size_t j = 0; j < sl[i].n; j++) {
			m[i].aliases[j].alias = sl[i].kv[j].key;
			util_parse_int64(sl[i].kv[j].value, &m[i].aliases[j].version);
		}
	}
	return 0;
}

/* Latest version per stage of every model of the page, MLflow's order
 * within each model (see latest_read). */
static int models_load_latest(struct sqlite_conn *c, struct store_registered_model *m, const struct key_slot *slots,
			      size_t n, const char *keys, struct arena *a, struct mlf_err *err)
{
	struct store_model_version *v;
	int64_t *pks = NULL;
	size_t nv;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_MODELS_LATEST, "t", keys);
	if (load_versions_pks(c, s, &v, &nv, &pks, a, err) < 0)
		return -1;
	for (size_t i = 0; i < nv;) {
		size_t j = i;
		while (j < nv && pks[j] == pks[i])
			j++;
		const struct key_slot *k = key_find(slots, n, pks[i], 0);
		if (k) {
			m[k->idx].latest = &v[i];
			m[k->idx].n_latest = j - i;
		}
		i = j;
	}
	return 0;
}

/* Tags, aliases and latest versions of a page of models in four statements. */
static int models_load_children(struct sqlite_conn *c, struct store_registered_model *m, const int64_t *pks, size_t n,
				struct arena *a, struct mlf_err *err)
{
	struct buf keys = BUF_INIT;
	int rc = 0;
	if (!n)
		return 0;
	struct key_slot *slots = key_index(pks, NULL, n, false, &keys, a);
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_MODELS_TAGS, "t", keys.ptr);
	if (!s || load_grouped_pairs(c, s, slots, n, (struct kv_target){ &m[0].tags, &m[0].n_tags, sizeof(*m) }, a,
				     err) < 0 ||
	    models_load_aliases(c, m, slots, n, keys.ptr, a, err) < 0 || models_load_latest(c, m, slots, n, keys.ptr, a, err) < 0)
		rc = -1;
	buf_release(&keys);
	return rc;
}

static int model_search_read(struct sqlite_conn *c, const struct store_search *q,
			     struct store_registered_model **out, size_t *n, bool *more, struct arena *a,
			     struct mlf_err *err)
{
	sqlite3_stmt *s = search_prepare(c, "SELECT " REG_MODEL_COLS " FROM registered_models m WHERE 1",
					 FILTER_REGISTERED_MODELS, q, a, err);
	size_t cap = 0;
	int64_t *pks = NULL;
	int rc;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = arena_grow_array(a, *out, *n, cap, sizeof(**out));
			pks = arena_grow_array(a, pks, *n, cap, sizeof(*pks));
		}
		model_from_row(s, &(*out)[*n], &pks[*n], a);
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sqlite_conn_fail(c, "registered model search", err);
	if ((int64_t)*n > q->max_results) {
		*more = true;
		*n = (size_t)q->max_results;
	}
	return models_load_children(c, *out, pks, *n, a, err);
}

static int sq_model_search(struct store *st, const struct store_search *q, struct store_registered_model **out,
			   size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, model_search_read(c, q, out, n, more, a, err));
}

static int version_search_read(struct sqlite_conn *c, const struct store_search *q,
			       struct store_model_version **out, size_t *n, bool *more, struct arena *a,
			       struct mlf_err *err)
{
	sqlite3_stmt *s = search_prepare(c,
					 "SELECT " VERSION_COLS VERSION_FROM
					 " WHERE v.current_stage != '" STAGE_DELETED "'",
					 FILTER_MODEL_VERSIONS, q, a, err);
	int rc = load_versions(c, s, out, n, a, err);
	sqlite3_finalize(s); /* a search statement is prepared per call */
	if (rc < 0)
		return -1;
	if ((int64_t)*n > q->max_results) {
		*more = true;
		*n = (size_t)q->max_results;
	}
	return 0;
}

static int sq_version_search(struct store *st, const struct store_search *q, struct store_model_version **out,
			     size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, version_search_read(c, q, out, n, more, a, err));
}

/* ---- history ------------------------------------------------------------------------ */

struct event_args {
	int64_t pk;
	const char *name;
	int64_t version;
	const char *kind, *alias, *from, *to;
	const struct store_actor *who;
	const char *comment; /* overrides who->comment when set */
	int64_t now;
};

static int record_event(struct sqlite_conn *c, const struct event_args *e, struct mlf_err *err)
{
	return sqlite_exec_stmt(c, err, S_REG_HISTORY_INSERT, "ititttttit", e->pk, e->name, e->version, e->kind,
				e->alias, e->from, e->to, e->who->user ? e->who->user : "unknown", e->now,
				e->comment ? e->comment : e->who->comment);
}

static int history_read(struct sqlite_conn *c, const char *name, int64_t version, struct store_registry_event **out,
			size_t *n, struct arena *a, struct mlf_err *err)
{
	int64_t pk;
	size_t cap = 0;
	int rc;
	if (find_model(c, name, &pk, err) < 0)
		return -1;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_HISTORY, "ii", pk, version);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = arena_grow_array(a, *out, *n, cap, sizeof(**out));
		}
		struct store_registry_event *e = &(*out)[(*n)++];
		e->id = sqlite3_column_int64(s, 0);
		e->name = sqlite_col_text(s, 1, a);
		e->version = sqlite3_column_int64(s, 2);
		e->kind = sqlite_col_text(s, 3, a);
		e->alias = sqlite_col_text(s, 4, a);
		e->from = sqlite_col_text(s, 5, a);
		e->to = sqlite_col_text(s, 6, a);
		e->user = sqlite_col_text(s, 7, a);
		e->time = sqlite3_column_int64(s, 8);
		e->comment = sqlite_col_text(s, 9, a);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sqlite_conn_fail(c, "registry history", err);
}

static int sq_history(struct store *st, const char *name, int64_t version, struct store_registry_event **out,
		      size_t *n, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	return sqlite_read_end(c, history_read(c, name, version, out, n, a, err));
}

/* ---- writes: registered models --------------------------------------------------------- */

struct model_args {
	const char *name, *new_name, *description, *key, *value;
	const struct store_kv *tags;
	size_t n_tags;
};

static int name_taken(struct sqlite_conn *c, const char *name, struct mlf_err *err)
{
	bool found;
	int64_t pk;
	if (q_int(c, err, &found, &pk, S_REG_MODEL_PK, "t", name) < 0)
		return -1;
	if (found)
		return store_row_fail(err, STORE_ROW_NAME_TAKEN);
	return 0;
}

static int set_model_tag(struct sqlite_conn *c, int64_t pk, const char *key, const char *value, struct mlf_err *err)
{
	return sqlite_exec_stmt(c, err, S_REG_MODEL_TAG_UPSERT, "itt", pk, key, value ? value : "");
}

static int model_create_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t now = util_now_ms();
	if (name_taken(c, x->name, err) < 0 ||
	    sqlite_exec_stmt(c, err, S_REG_MODEL_INSERT, "tit", x->name, now, x->description) < 0)
		return -1;
	int64_t pk = sqlite3_last_insert_rowid(c->db);
	for (size_t i = 0; i < x->n_tags; i++)
		if (set_model_tag(c, pk, x->tags[i].key, x->tags[i].value, err) < 0)
			return -1;
	return 0;
}

static int model_rename_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t pk;
	if (find_model(c, x->name, &pk, err) < 0)
		return -1;
	if (strcmp(x->name, x->new_name) != 0 && name_taken(c, x->new_name, err) < 0)
		return -1;
	return sqlite_exec_stmt(c, err, S_REG_MODEL_RENAME, "iti", pk, x->new_name, util_now_ms());
}

static int model_update_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t pk;
	if (find_model(c, x->name, &pk, err) < 0)
		return -1;
	return sqlite_exec_stmt(c, err, S_REG_MODEL_SET_DESCRIPTION, "iti", pk, x->description, util_now_ms());
}

static int model_delete_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	static const enum stmt_id deletes[] = {
		S_REG_MODEL_DELETE_VERSION_TAGS, S_REG_MODEL_DELETE_ALIASES, S_REG_MODEL_DELETE_VERSIONS,
		S_REG_MODEL_DELETE_TAGS, S_REG_MODEL_DELETE,
	};
	struct model_args *x = arg;
	int64_t pk;
	if (find_model(c, x->name, &pk, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(deletes); i++)
		if (sqlite_exec_stmt(c, err, deletes[i], "i", pk) < 0)
			return -1;
	return 0;
}

static int model_tag_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t pk;
	if (find_model(c, x->name, &pk, err) < 0)
		return -1;
	if (x->value)
		return set_model_tag(c, pk, x->key, x->value, err);
	return sqlite_exec_stmt(c, err, S_REG_MODEL_TAG_DELETE, "it", pk, x->key);
}

/* Runs a model job, then reads the model back under `read_name`. */
static int model_write_read(struct store *st, int (*job)(struct sqlite_conn *, void *, struct mlf_err *),
			    struct model_args *x, const char *read_name, struct store_registered_model *out,
			    struct arena *a, struct mlf_err *err)
{
	if (sqlite_pool_write(store_sqlite_pool(st), job, x, err) < 0)
		return -1;
	return out ? sq_model_get(st, read_name, out, a, err) : 0;
}

static int sq_model_create(struct store *st, const char *name, const char *description, const struct store_kv *tags,
			   size_t n_tags, struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct model_args x = { .name = name, .description = description, .tags = tags, .n_tags = n_tags };
	return model_write_read(st, model_create_job, &x, name, out, a, err);
}

static int sq_model_rename(struct store *st, const char *name, const char *new_name,
			   struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct model_args x = { .name = name, .new_name = new_name };
	return model_write_read(st, model_rename_job, &x, new_name, out, a, err);
}

static int sq_model_update(struct store *st, const char *name, const char *description,
			   struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct model_args x = { .name = name, .description = description };
	return model_write_read(st, model_update_job, &x, name, out, a, err);
}

static int sq_model_delete(struct store *st, const char *name, struct mlf_err *err)
{
	struct model_args x = { .name = name };
	return model_write_read(st, model_delete_job, &x, name, NULL, NULL, err);
}

static int sq_model_set_tag(struct store *st, const char *name, const char *key, const char *value,
			    struct mlf_err *err)
{
	struct model_args x = { .name = name, .key = key, .value = value ? value : "" };
	return model_write_read(st, model_tag_job, &x, name, NULL, NULL, err);
}

static int sq_model_delete_tag(struct store *st, const char *name, const char *key, struct mlf_err *err)
{
	struct model_args x = { .name = name, .key = key };
	return model_write_read(st, model_tag_job, &x, name, NULL, NULL, err);
}

/* ---- writes: aliases ---------------------------------------------------------------------- */

struct alias_args {
	const char *name, *alias;
	int64_t version;
	const struct store_actor *who;
};

static const char *version_text(int64_t v, bool found, struct arena *a)
{
	return found ? arena_printf(a, "%lld", (long long)v) : NULL;
}

static int alias_set_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct alias_args *x = arg;
	struct arena a = ARENA_INIT;
	int64_t pk, old = 0;
	bool had;
	int rc = -1;
	if (find_version(c, x->name, x->version, &pk, err) < 0 ||
	    q_int(c, err, &had, &old, S_REG_ALIAS_VERSION, "it", pk, x->alias) < 0 ||
	    sqlite_exec_stmt(c, err, S_REG_ALIAS_UPSERT, "iti", pk, x->alias, x->version) < 0)
		goto out;
	struct event_args e = { pk, x->name, x->version, "alias", x->alias, version_text(old, had, &a),
				version_text(x->version, true, &a), x->who, NULL, util_now_ms() };
	rc = record_event(c, &e, err);
out:
	arena_release(&a);
	return rc;
}

static int alias_delete_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct alias_args *x = arg;
	struct arena a = ARENA_INIT;
	int64_t pk, old = 0;
	bool had;
	int rc = -1;
	if (find_model(c, x->name, &pk, err) < 0 ||
	    q_int(c, err, &had, &old, S_REG_ALIAS_VERSION, "it", pk, x->alias) < 0)
		goto out;
	rc = 0;
	if (!had)
		goto out;
	struct event_args e = { pk, x->name, old, "alias", x->alias, version_text(old, true, &a), NULL, x->who, NULL,
				util_now_ms() };
	rc = sqlite_exec_stmt(c, err, S_REG_ALIAS_DELETE, "it", pk, x->alias);
	if (rc == 0)
		rc = record_event(c, &e, err);
out:
	arena_release(&a);
	return rc;
}

static int sq_alias_set(struct store *st, const char *name, const char *alias, int64_t version,
			const struct store_actor *who, struct mlf_err *err)
{
	struct alias_args x = { name, alias, version, who };
	return sqlite_pool_write(store_sqlite_pool(st), alias_set_job, &x, err);
}

static int sq_alias_delete(struct store *st, const char *name, const char *alias, const struct store_actor *who,
			   struct mlf_err *err)
{
	struct alias_args x = { name, alias, 0, who };
	return sqlite_pool_write(store_sqlite_pool(st), alias_delete_job, &x, err);
}

/* ---- writes: versions -------------------------------------------------------------------- */

struct version_args {
	const struct store_version_create *vc;
	const char *name;
	int64_t version;
	const char *description, *key, *value, *stage;
	bool archive_others;
	const struct store_actor *who;
};

static int version_create_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	const struct store_version_create *vc = x->vc;
	int64_t pk, now = util_now_ms();
	bool found;
	if (find_model(c, vc->name, &pk, err) < 0 ||
	    q_int(c, err, &found, &x->version, S_REG_VERSION_NEXT, "i", pk) < 0)
		return -1;
	if (sqlite_exec_stmt(c, err, S_REG_VERSION_INSERT, "iiittttttt", pk, x->version, now,
			     vc->description ? vc->description : "", vc->user_id, vc->source, vc->storage_location,
			     vc->run_id ? vc->run_id : "", vc->run_link ? vc->run_link : "",
			     vc->model_id && *vc->model_id ? vc->model_id : NULL) < 0)
		return -1;
	for (size_t i = 0; i < vc->n_tags; i++)
		if (sqlite_exec_stmt(c, err, S_REG_VERSION_TAG_UPSERT, "iitt", pk, x->version, vc->tags[i].key,
				     vc->tags[i].value ? vc->tags[i].value : "") < 0)
			return -1;
	return touch_model(c, pk, now, err);
}

static int version_update_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	int64_t pk;
	if (find_version(c, x->name, x->version, &pk, err) < 0)
		return -1;
	return sqlite_exec_stmt(c, err, S_REG_VERSION_SET_DESCRIPTION, "iiti", pk, x->version, x->description, util_now_ms());
}

/* MLflow's redacting delete: the row stays so the number is never reused. */
static int version_delete_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	int64_t pk, now = util_now_ms();
	if (find_version(c, x->name, x->version, &pk, err) < 0 ||
	    sqlite_exec_stmt(c, err, S_REG_VERSION_REDACT, "iii", pk, x->version, now) < 0 ||
	    sqlite_exec_stmt(c, err, S_REG_VERSION_TAGS_DELETE, "ii", pk, x->version) < 0)
		return -1;
	return touch_model(c, pk, now, err);
}

static int version_tag_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	int64_t pk;
	if (find_version(c, x->name, x->version, &pk, err) < 0)
		return -1;
	if (x->value)
		return sqlite_exec_stmt(c, err, S_REG_VERSION_TAG_UPSERT, "iitt", pk, x->version, x->key, x->value);
	return sqlite_exec_stmt(c, err, S_REG_VERSION_TAG_DELETE, "iit", pk, x->version, x->key);
}

/* Moves one version and records the move. */
static int move_version(struct sqlite_conn *c, const struct event_args *e, struct mlf_err *err)
{
	if (sqlite_exec_stmt(c, err, S_REG_VERSION_SET_STAGE, "iiti", e->pk, e->version, e->to, e->now) < 0)
		return -1;
	return record_event(c, e, err);
}

/* With archive_existing_versions: every other version in `stage` goes to
 * Archived, each move recorded with the same actor. */
static int archive_others(struct sqlite_conn *c, const struct event_args *moved, struct arena *a,
			  struct mlf_err *err)
{
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_REG_VERSIONS_IN_STAGE, "iti", moved->pk, moved->to, moved->version);
	int64_t *versions = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			versions = arena_grow_array(a, versions, n, cap, sizeof(*versions));
		}
		versions[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sqlite_conn_fail(c, "archive versions", err);
	for (size_t i = 0; i < n; i++) {
		struct event_args e = *moved;
		e.version = versions[i];
		e.from = moved->to;
		e.to = "Archived";
		e.comment = arena_printf(a, "archived when version %lld moved to %s", (long long)moved->version,
					 moved->to);
		if (move_version(c, &e, err) < 0)
			return -1;
	}
	return 0;
}

static int version_transition_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	struct arena a = ARENA_INIT;
	struct store_model_version v;
	int64_t pk;
	int rc = -1;
	if (find_version(c, x->name, x->version, &pk, err) < 0 || version_read(c, x->name, x->version, &v, &a, err) < 0)
		goto out;
	struct event_args e = { pk, x->name, x->version, "stage", NULL, v.current_stage, x->stage, x->who, NULL,
				util_now_ms() };
	if (x->archive_others && archive_others(c, &e, &a, err) < 0)
		goto out;
	if (move_version(c, &e, err) == 0)
		rc = touch_model(c, pk, e.now, err);
out:
	arena_release(&a);
	return rc;
}

/* Runs a version job, then reads the version back when `out` is set. */
static int version_write_read(struct store *st, int (*job)(struct sqlite_conn *, void *, struct mlf_err *),
			      struct version_args *x, struct store_model_version *out, struct arena *a,
			      struct mlf_err *err)
{
	if (sqlite_pool_write(store_sqlite_pool(st), job, x, err) < 0)
		return -1;
	return out ? sq_version_get(st, x->name, x->version, out, a, err) : 0;
}

static int sq_version_create(struct store *st, const struct store_version_create *vc,
			     struct store_model_version *out, struct arena *a, struct mlf_err *err)
{
	struct version_args x = { .vc = vc, .name = vc->name };
	return version_write_read(st, version_create_job, &x, out, a, err);
}

static int sq_version_update(struct store *st, const char *name, int64_t version, const char *description,
			     struct store_model_version *out, struct arena *a, struct mlf_err *err)
{
	struct version_args x = { .name = name, .version = version, .description = description };
	return version_write_read(st, version_update_job, &x, out, a, err);
}

static int sq_version_delete(struct store *st, const char *name, int64_t version, struct mlf_err *err)
{
	struct version_args x = { .name = name, .version = version };
	return version_write_read(st, version_delete_job, &x, NULL, NULL, err);
}

static int sq_version_transition(struct store *st, const char *name, int64_t version, const char *stage,
				 bool archive, const struct store_actor *who, struct store_model_version *out,
				 struct arena *a, struct mlf_err *err)
{
	struct version_args x = { .name = name, .version = version, .stage = stage, .archive_others = archive, .who = who };
	return version_write_read(st, version_transition_job, &x, out, a, err);
}

static int sq_version_set_tag(struct store *st, const char *name, int64_t version, const char *key,
			      const char *value, struct mlf_err *err)
{
	struct version_args x = { .name = name, .version = version, .key = key, .value = value ? value : "" };
	return version_write_read(st, version_tag_job, &x, NULL, NULL, err);
}

static int sq_version_delete_tag(struct store *st, const char *name, int64_t version, const char *key,
				 struct mlf_err *err)
{
	struct version_args x = { .name = name, .version = version, .key = key };
	return version_write_read(st, version_tag_job, &x, NULL, NULL, err);
}

const struct store_registry_ops store_sqlite_registry_ops = {
	.logged = &store_sqlite_logged_ops,
	.model_create = sq_model_create,
	.model_get = sq_model_get,
	.model_rename = sq_model_rename,
	.model_update = sq_model_update,
	.model_delete = sq_model_delete,
	.model_search = sq_model_search,
	.model_set_tag = sq_model_set_tag,
	.model_delete_tag = sq_model_delete_tag,
	.latest_versions = sq_latest_versions,
	.alias_set = sq_alias_set,
	.alias_delete = sq_alias_delete,
	.alias_get = sq_alias_get,
	.version_create = sq_version_create,
	.version_get = sq_version_get,
	.version_update = sq_version_update,
	.version_delete = sq_version_delete,
	.version_transition = sq_version_transition,
	.version_search = sq_version_search,
	.version_set_tag = sq_version_set_tag,
	.version_delete_tag = sq_version_delete_tag,
	.history = sq_history,
};
