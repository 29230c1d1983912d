/*
 * store_pg_registry.c - the model registry on the PostgreSQL store
 * (migration 2 of schema_pg.h), the twin of store_sqlite_registry.c: the
 * same rows, row conditions, orderings and history, so a client cannot
 * tell the two stores apart.
 *
 * Rows only (store.h): the front words the row conditions reported here
 * and applies the prompt rule (q->hide_tag). Fixed statements are rows of
 * the store's statement table (store_pg_registry_sql.h); only search
 * statements, which sqlgen builds per request, are sent as text.
 *
 * Concurrency: where SQLite has one writer, PostgreSQL has many, on
 * several servers. Every write takes the registered model's row lock
 * (SELECT ... FOR UPDATE) before it looks at anything of the model, so
 * writes to one model run one after the other, and a version's number
 * (max + 1, deleted versions included) is computed under that lock in the
 * statement that inserts it: numbers stay unique and gap-free whatever the
 * number of servers. A new name is claimed with INSERT ... ON CONFLICT DO
 * NOTHING; a rename that loses a race for the name to another transaction
 * fails on the unique index, which is reported as the name taken. Writes
 * run in pg_pool_tx(PG_TX_WRITE), which may run a write function again
 * after a serialization failure, so each function starts from its
 * arguments and writes its results into them at the end; the row a write
 * returns is read back in the same transaction. Reads run in one
 * PG_TX_READ transaction for a consistent snapshot. Every value is a bound
 * parameter.
 */
#include "store_pg_int.h"
#include "../base/util.h"
#include "../search/sqlgen.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- statements ------------------------------------------------------------ */

/* Reads the integer in the first column of the first row of statement
 * `id`, if any; `types` and the values as for pg_stmt(). */
static int q_int(struct pg_conn *c, struct mlf_err *err, bool *found, int64_t *out, size_t id, const char *types,
		 ...)
{
	va_list ap;
	va_start(ap, types);
	PGresult *r = pg_vstmt(c, err, id, types, ap);
	va_end(ap);
	if (!r)
		return -1;
	*found = PQntuples(r) > 0;
	if (*found)
		*out = pg_col_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* ---- lookups ----------------------------------------------------------------- */

/* Whether PostgreSQL can hold the text: a UTF-8 database refuses
 * ill-formed UTF-8, which only a query string can bring (JSON bodies are
 * checked). No stored name, key or value is such text, so on SQLite it
 * matches no row; here it must not reach the database at all. */
static bool storable(const char *s)
{
	return !s || util_utf8_valid(s, strlen(s));
}


static int model_missing(struct mlf_err *err)
{
	return store_row_fail(err, STORE_ROW_MODEL_MISSING);
}

static int version_missing(struct mlf_err *err)
{
	return store_row_fail(err, STORE_ROW_VERSION_MISSING);
}

/* The key of the model `name` without locking it (reads). */
static int find_model(struct pg_conn *c, const char *name, int64_t *pk, struct mlf_err *err)
{
	bool found;
	if (!storable(name))
		return model_missing(err);
	if (q_int(c, err, &found, pk, PS_REG_MODEL_PK, "t", name) < 0)
		return -1;
	return found ? 0 : model_missing(err);
}

/* Finds the model `name` and takes its row lock for the rest of the
 * transaction: every registry write starts here, so the writes of one
 * model are serialized and see each other's rows. *found false when there
 * is no such model (the caller words it). */
static int lock_model(struct pg_conn *c, const char *name, int64_t *pk, bool *found, struct mlf_err *err)
{
	*found = false;
	if (!storable(name))
		return 0;
	return q_int(c, err, found, pk, PS_REG_MODEL_LOCK, "t", name);
}

static int lock_model_or_fail(struct pg_conn *c, const char *name, int64_t *pk, struct mlf_err *err)
{
	bool found;
	if (lock_model(c, name, pk, &found, err) < 0)
		return -1;
	return found ? 0 : model_missing(err);
}

/* Locks the model of a live (not deleted) version: a missing model is a
 * missing version, as for SQLite's joined lookup. *stage (when not NULL)
 * receives the version's current stage, in `a`. */
static int lock_version(struct pg_conn *c, const char *name, int64_t version, int64_t *pk, const char **stage,
			struct arena *a, struct mlf_err *err)
{
	bool found;
	if (lock_model(c, name, pk, &found, err) < 0)
		return -1;
	if (!found)
		return version_missing(err);
	PGresult *r = pg_stmt(c, err, PS_REG_VERSION_STAGE, "ii", *pk, version);
	if (!r)
		return -1;
	found = PQntuples(r) > 0;
	if (found && stage)
		*stage = pg_col_text(r, 0, 0, a);
	PQclear(r);
	return found ? 0 : version_missing(err);
}

static int touch_model(struct pg_conn *c, int64_t pk, int64_t now, struct mlf_err *err)
{
	return pg_stmt_exec(c, err, PS_REG_MODEL_TOUCH, NULL, "ii", pk, now);
}

/* ---- loading rows ------------------------------------------------------------ */

static void version_from_row(const PGresult *r, int row, struct store_model_version *v, int64_t *pk,
			     struct arena *a)
{
	memset(v, 0, sizeof(*v));
	v->name = pg_col_text(r, row, 0, a);
	v->version = pg_col_int64(r, row, 1);
	v->creation_time = pg_col_int64(r, row, 2);
	v->last_updated_time = pg_col_int64(r, row, 3);
	v->user_id = pg_col_text(r, row, 4, a);
	v->current_stage = pg_col_text(r, row, 5, a);
	v->description = pg_col_text(r, row, 6, a);
	v->source = pg_col_text(r, row, 7, a);
	v->storage_location = pg_col_text(r, row, 8, a);
	v->run_id = pg_col_text(r, row, 9, a);
	v->run_link = pg_col_text(r, row, 10, a);
	v->status = pg_col_text(r, row, 11, a);
	v->status_message = pg_col_text(r, row, 12, a);
	*pk = pg_col_int64(r, row, 13);
	v->model_id = pg_col_text(r, row, 14, a);
}

static void model_from_row(const PGresult *r, int row, struct store_registered_model *m, int64_t *pk,
			   struct arena *a)
{
	memset(m, 0, sizeof(*m));
	*pk = pg_col_int64(r, row, 0);
	m->name = pg_col_text(r, row, 1, a);
	m->creation_time = pg_col_int64(r, row, 2);
	m->last_updated_time = pg_col_int64(r, row, 3);
	m->description = pg_col_text(r, row, 4, a);
}

/* Runs statement `id` and collects its (key, value) rows. */
static int load_pairs(struct pg_conn *c, struct store_kv **out, size_t *n, struct arena *a, struct mlf_err *err,
		      size_t id, const char *types, ...)
{
	va_list ap;
	*out = NULL;
	*n = 0;
	va_start(ap, types);
	PGresult *r = pg_vstmt(c, err, id, types, ap);
	va_end(ap);
	if (!r)
		return -1;
	store_pg_load_kv(r, out, n, a);
	PQclear(r);
	return 0;
}

static int version_load_aliases(struct pg_conn *c, int64_t pk, struct store_model_version *v, struct arena *a,
				struct mlf_err *err)
{
	struct store_kv *kv;
	if (load_pairs(c, &kv, &v->n_aliases, a, err, PS_REG_VERSION_ALIASES, "ii", pk, v->version) < 0)
		return -1;
	v->aliases = arena_alloc(a, (v->n_aliases ? v->n_aliases : 1) * sizeof(*v->aliases));
	for (size_t i = 0; i < v->n_aliases; i++)
		v->aliases[i] = kv[i].key;
	return 0;
}

/* ---- loading many rows at once ------------------------------------------------
 * A page of 1,000 models or versions loaded one by one costs thousands of
 * small statements; instead each kind of child row is read once for the
 * whole page (keys bound as arrays) and handed to its parent through a
 * sorted index, as store_sqlite_registry.c does. */

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

/* A sorted index of (pk, version) -> page index. */
static struct key_slot *key_index(const int64_t *pks, const int64_t *versions, size_t n, struct arena *a)
{
	struct key_slot *slots = arena_alloc(a, (n ? n : 1) * sizeof(*slots));
	for (size_t i = 0; i < n; i++)
		slots[i] = (struct key_slot){ pks[i], versions ? versions[i] : 0, i };
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

static void load_grouped_pairs(const PGresult *r, const struct key_slot *slots, size_t n_slots, struct kv_target t,
			       struct arena *a)
{
	int rows = PQntuples(r);
	struct store_kv *all = arena_alloc(a, (rows ? (size_t)rows : 1) * sizeof(*all));
	size_t *owner = arena_alloc(a, (rows ? (size_t)rows : 1) * sizeof(*owner));
	size_t n = 0;
	for (int row = 0; row < rows; row++) {
		const struct key_slot *k = key_find(slots, n_slots, pg_col_int64(r, row, 0), pg_col_int64(r, row, 1));
		if (!k)
			continue;
		all[n].key = pg_col_text(r, row, 2, a);
		all[n].value = pg_col_text(r, row, 3, a);
		owner[n++] = k->idx;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && owner[j] == owner[i])
			j++;
		*(struct store_kv **)((char *)t.list + owner[i] * t.stride) = &all[i];
		*(size_t *)((char *)t.n + owner[i] * t.stride) = j - i;
		i = j;
	}
}

/* The tags of every version in `v` (their models' keys in `pks`), in one
 * statement. */
static int versions_load_tags(struct pg_conn *c, struct store_model_version *v, const int64_t *pks, size_t n,
			      struct arena *a, struct mlf_err *err)
{
	if (!n)
		return 0;
	struct buf pk_arr = BUF_INIT, version_arr = BUF_INIT;
	int64_t *versions = arena_alloc(a, n * sizeof(*versions));
	for (size_t i = 0; i < n; i++)
		versions[i] = v[i].version;
	struct key_slot *slots = key_index(pks, versions, n, a);
	pg_array_int64(&pk_arr, pks, n);
	pg_array_int64(&version_arr, versions, n);
	PGresult *r = pg_stmt(c, err, PS_REG_VERSIONS_TAGS, "tt", pk_arr.ptr, version_arr.ptr);
	buf_release(&pk_arr);
	buf_release(&version_arr);
	if (!r)
		return -1;
	load_grouped_pairs(r, slots, n, (struct kv_target){ &v[0].tags, &v[0].n_tags, sizeof(*v) }, a);
	PQclear(r);
	return 0;
}

/* Loads every row of `r` (over PGREG_VERSION_COLS, cleared here) and the
 * rows' tags; *pks_out (when not NULL) receives each row's model key. */
static int load_versions_pks(struct pg_conn *c, PGresult *r, struct store_model_version **out, size_t *n,
			     int64_t **pks_out, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	if (!r)
		return -1;
	size_t rows = (size_t)PQntuples(r);
	*out = arena_alloc(a, (rows ? rows : 1) * sizeof(**out));
	int64_t *pks = arena_alloc(a, (rows ? rows : 1) * sizeof(*pks));
	for (size_t i = 0; i < rows; i++)
		version_from_row(r, (int)i, &(*out)[i], &pks[i], a);
	PQclear(r);
	*n = rows;
	if (pks_out)
		*pks_out = pks;
	return versions_load_tags(c, *out, pks, *n, a, err);
}

/* One live version with its tags and aliases. */
static int version_read(struct pg_conn *c, const char *name, int64_t version, struct store_model_version *out,
			struct arena *a, struct mlf_err *err)
{
	struct store_model_version *list;
	int64_t *pks;
	size_t n;
	if (!storable(name))
		return version_missing(err);
	PGresult *r = pg_stmt(c, err, PS_REG_VERSION_GET, "ti", name, version);
	if (load_versions_pks(c, r, &list, &n, &pks, a, err) < 0)
		return -1;
	if (!n)
		return version_missing(err);
	*out = list[0];
	return version_load_aliases(c, pks[0], out, a, err);
}

/* MLflow's latest versions: the highest version per stage, stages in the
 * order of their lowest version. */
static int latest_read(struct pg_conn *c, int64_t pk, struct store_model_version **out, size_t *n, struct arena *a,
		       struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, PS_REG_MODEL_LATEST, "i", pk);
	return load_versions_pks(c, r, out, n, NULL, a, err);
}

static int model_load_children(struct pg_conn *c, int64_t pk, struct store_registered_model *m, struct arena *a,
			       struct mlf_err *err)
{
	struct store_kv *kv;
	if (load_pairs(c, &m->tags, &m->n_tags, a, err, PS_REG_MODEL_TAGS, "i", pk) < 0 ||
	    load_pairs(c, &kv, &m->n_aliases, a, err, PS_REG_MODEL_ALIASES, "i", pk) < 0)
		return -1;
	m->aliases = arena_alloc(a, (m->n_aliases ? m->n_aliases : 1) * sizeof(*m->aliases));
	for (size_t i = 0; i < m->n_aliases; i++) {
		m->aliases[i].alias = kv[i].key;
		util_parse_int64(kv[i].value, &m->aliases[i].version);
	}
	return latest_read(c, pk, &m->latest, &m->n_latest, a, err);
}

static int model_read(struct pg_conn *c, const char *name, struct store_registered_model *out, struct arena *a,
		      struct mlf_err *err)
{
	int64_t pk;
	if (!storable(name))
		return model_missing(err);
	PGresult *r = pg_stmt(c, err, PS_REG_MODEL_GET, "t", name);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	if (found)
		model_from_row(r, 0, out, &pk, a);
	PQclear(r);
	if (!found)
		return model_missing(err);
	return model_load_children(c, pk, out, a, err);
}

/* ---- read entry points ------------------------------------------------------------ */

struct read_args {
	const char *name, *alias;
	int64_t version;
	const char *const *stages;
	size_t n_stages;
	const struct store_search *q;
	struct store_registered_model *model;
	struct store_model_version *version_out;
	struct store_registered_model **models;
	struct store_model_version **versions;
	struct store_registry_event **events;
	size_t *n;
	bool *more;
	struct arena *a;
};

static int read_tx(struct store *st, int (*fn)(struct pg_conn *, void *, struct mlf_err *), struct read_args *x,
		   struct mlf_err *err)
{
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, fn, x, err);
}

static int model_get_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct read_args *x = arg;
	return model_read(c, x->name, x->model, x->a, err);
}

static int pg_model_get(struct store *st, const char *name, struct store_registered_model *out, struct arena *a,
			struct mlf_err *err)
{
	struct read_args x = { .name = name, .model = out, .a = a };
	return read_tx(st, model_get_fn, &x, err);
}

static int version_get_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct read_args *x = arg;
	return version_read(c, x->name, x->version, x->version_out, x->a, err);
}

static int pg_version_get(struct store *st, const char *name, int64_t version, struct store_model_version *out,
			  struct arena *a, struct mlf_err *err)
{
	struct read_args x = { .name = name, .version = version, .version_out = out, .a = a };
	return read_tx(st, version_get_fn, &x, err);
}

static bool stage_listed(const char *stage, const char *const *stages, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(stage, stages[i]))
			return true;
	return n == 0;
}

static int latest_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct read_args *x = arg;
	struct store_model_version *v;
	size_t n;
	int64_t pk;
	if (find_model(c, x->name, &pk, err) < 0 || latest_read(c, pk, &v, &n, x->a, err) < 0)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (stage_listed(v[i].current_stage, x->stages, x->n_stages))
			v[k++] = v[i];
	*x->versions = v;
	*x->n = k;
	return 0;
}

static int pg_latest_versions(struct store *st, const char *name, const char *const *stages, size_t n_stages,
			      struct store_model_version **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	struct read_args x = { .name = name, .stages = stages, .n_stages = n_stages, .versions = out, .n = n, .a = a };
	return read_tx(st, latest_fn, &x, err);
}

static int alias_get_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct read_args *x = arg;
	bool found;
	int64_t version;
	if (!storable(x->name) || !storable(x->alias))
		return store_row_fail(err, STORE_ROW_ALIAS_MISSING);
	if (q_int(c, err, &found, &version, PS_REG_ALIAS_VERSION_BY_NAME, "tt", x->name, x->alias) < 0)
		return -1;
	if (!found)
		return store_row_fail(err, STORE_ROW_ALIAS_MISSING);
	return version_read(c, x->name, version, x->version_out, x->a, err);
}

static int pg_alias_get(struct store *st, const char *name, const char *alias, struct store_model_version *out,
			struct arena *a, struct mlf_err *err)
{
	struct read_args x = { .name = name, .alias = alias, .version_out = out, .a = a };
	return read_tx(st, alias_get_fn, &x, err);
}

/* ---- search -------------------------------------------------------------------------- */

/* version_number against a string or a fractional number, as SQLite
 * compares its integer column `version` with them: a string that reads as
 * a number (spaces around it allowed) is that number, any other string is
 * greater than every integer; a fraction compares as such. PostgreSQL would
 * instead refuse to read 'one' or 2.5 as a bigint, so such conditions are
 * rewritten before sqlgen sees them: to an integer comparison with the same
 * outcome, or to a constant. */

enum vn_truth { VN_COMPARE, VN_ALWAYS, VN_NEVER };

static bool sqlite_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* Whether SQLite's numeric affinity turns `s` into a number: optional
 * spaces, sign, digits with an optional point (a digit somewhere), an
 * optional exponent, optional spaces. */
static bool sqlite_numeric_text(const char *s)
{
	size_t digits = 0;
	while (sqlite_space(*s))
		s++;
	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	while (sqlite_space(*s))
		s++;
	return *s == '\0';
}

/* 2^63, the first double past the int64 range. */
#define VN_INT64_END 9223372036854775808.0

/* How `c` (version_number OP value) reads for PostgreSQL: VN_COMPARE with
 * *op and *bound to compare with, or a constant outcome. */
static enum vn_truth version_number_rule(const struct filter_cond *c, enum filter_op *op, int64_t *bound)
{
	double x;
	*op = c->op;
	if (c->value.kind == FV_NUMBER && c->value.num_is_int) {
		*bound = c->value.inum;
		return VN_COMPARE;
	}
	if (c->value.kind == FV_NUMBER) {
		x = c->value.num;
	} else if (c->value.kind == FV_STRING && sqlite_numeric_text(c->value.str)) {
		x = strtod(c->value.str, NULL);
	} else {
		/* text sorts after every integer */
		bool holds = c->op == FOP_NE || c->op == FOP_LT || c->op == FOP_LE;
		return holds ? VN_ALWAYS : VN_NEVER;
	}
	if (x == floor(x) && x >= -VN_INT64_END && x < VN_INT64_END) {
		*bound = (int64_t)x;
		return VN_COMPARE;
	}
	switch (c->op) {
	case FOP_LT:
	case FOP_LE: /* version <= floor(x) */
		x = floor(x);
		if (x >= VN_INT64_END)
			return VN_ALWAYS;
		if (x < -VN_INT64_END)
			return VN_NEVER;
		*op = FOP_LE;
		*bound = (int64_t)x;
		return VN_COMPARE;
	case FOP_GT:
	case FOP_GE: /* version >= ceil(x) */
		x = ceil(x);
		if (x >= VN_INT64_END)
			return VN_NEVER;
		if (x < -VN_INT64_END)
			return VN_ALWAYS;
		*op = FOP_GE;
		*bound = (int64_t)x;
		return VN_COMPARE;
	case FOP_NE:
		return VN_ALWAYS;
	default: /* equal to a fraction or to an integer past int64 */
		return VN_NEVER;
	}
}

static bool needs_version_rule(enum filter_kind kind, const struct filter_cond *c)
{
	return kind == FILTER_MODEL_VERSIONS && c->entity == FE_ATTRIBUTE && !strcmp(c->key, "version_number") &&
	       !(c->value.kind == FV_NUMBER && c->value.num_is_int);
}

static bool cond_storable(const struct filter_cond *c)
{
	if (!storable(c->key) || (c->value.kind == FV_STRING && !storable(c->value.str)))
		return false;
	for (size_t i = 0; c->value.kind == FV_LIST && i < c->value.list_len; i++)
		if (!storable(c->value.list[i]))
			return false;
	return true;
}

static bool needs_rewrite(enum filter_kind kind, const struct filter_cond *c)
{
	return needs_version_rule(kind, c) || !cond_storable(c);
}

/* A node that holds for every row (VN_ALWAYS) or for none (NOT true). */
static struct filter_node *constant_node(enum vn_truth t, struct arena *a)
{
	struct filter_node *always = arena_zalloc(a, sizeof(*always));
	always->type = FN_TRUE;
	if (t == VN_ALWAYS)
		return always;
	struct filter_node *never = arena_zalloc(a, sizeof(*never));
	never->type = FN_NOT;
	never->kids = arena_alloc(a, sizeof(*never->kids));
	never->kids[0] = always;
	never->n_kids = 1;
	return never;
}

static struct filter_node *cond_node(const struct filter_cond *c, struct arena *a)
{
	struct filter_node *out = arena_zalloc(a, sizeof(*out));
	out->type = FN_COND;
	out->cond = c;
	return out;
}

/* A condition with text PostgreSQL cannot hold, as SQLite reads it: a key
 * no row has, or a value no row has, matches nothing, except that `!=` on
 * a value holds wherever the key (or attribute) is present (LIKE '%'), and
 * IN / NOT IN lists simply lose such items. */
static struct filter_node *unstorable_node(const struct filter_cond *c, struct arena *a)
{
	if (!storable(c->key))
		return constant_node(VN_NEVER, a);
	struct filter_cond *copy = arena_alloc(a, sizeof(*copy));
	*copy = *c;
	if (c->value.kind == FV_LIST) {
		const char **kept = arena_alloc(a, (c->value.list_len + 1) * sizeof(*kept));
		size_t n = 0;
		for (size_t i = 0; i < c->value.list_len; i++)
			if (storable(c->value.list[i]))
				kept[n++] = c->value.list[i];
		copy->value.list = kept;
		copy->value.list_len = n;
		return cond_node(copy, a);
	}
	if (c->op != FOP_NE)
		return constant_node(VN_NEVER, a);
	copy->op = FOP_LIKE;
	copy->value.str = "%";
	return cond_node(copy, a);
}

static struct filter_node *rewrite_cond(enum filter_kind kind, const struct filter_cond *c, struct arena *a)
{
	if (!needs_version_rule(kind, c))
		return unstorable_node(c, a);
	enum filter_op op;
	int64_t bound;
	enum vn_truth t = version_number_rule(c, &op, &bound);
	if (t != VN_COMPARE)
		return constant_node(t, a);
	struct filter_cond *copy = arena_alloc(a, sizeof(*copy));
	*copy = *c;
	copy->op = op;
	copy->value = (struct filter_value){ .kind = FV_NUMBER, .str = "", .num = (double)bound, .num_is_int = true,
					     .inum = bound };
	return cond_node(copy, a);
}

/* A copy of `node` with every condition needs_rewrite() names rewritten;
 * other conditions are shared. */
static struct filter_node *rewrite_node(enum filter_kind kind, const struct filter_node *node, struct arena *a)
{
	if (node->type == FN_COND && needs_rewrite(kind, node->cond))
		return rewrite_cond(kind, node->cond, a);
	struct filter_node *out = arena_alloc(a, sizeof(*out));
	*out = *node;
	if (node->n_kids) {
		out->kids = arena_alloc(a, node->n_kids * sizeof(*out->kids));
		for (size_t i = 0; i < node->n_kids; i++)
			out->kids[i] = rewrite_node(kind, node->kids[i], a);
	}
	return out;
}

/* The filter sqlgen compiles for `kind`: `f` itself, or, when a condition
 * would read differently on PostgreSQL than on SQLite (version_number
 * against text or a fraction, text that is not UTF-8), a rewritten copy
 * in `a`. */
static const struct filter *search_filter(enum filter_kind kind, const struct filter *f, struct arena *a)
{
	bool rewrite = false;
	for (size_t i = 0; i < f->n; i++)
		rewrite = rewrite || needs_rewrite(kind, &f->conds[i]);
	if (!rewrite || !f->root)
		return f;
	struct filter *copy = arena_alloc(a, sizeof(*copy));
	*copy = *f;
	copy->root = rewrite_node(kind, f->root, a);
	return copy;
}

/* Builds the whole search statement: `head`, the prompt rule, the filter,
 * ORDER BY and LIMIT (one row more than the page, to know whether another
 * page follows) / OFFSET, and runs it. NULL with `err` set on failure. */
static PGresult *search_run(struct pg_conn *c, const char *head, enum filter_kind kind, const struct store_search *q,
			    struct arena *a, struct mlf_err *err)
{
	const struct sql_schema *d = &store_pg_sql_schema;
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	PGresult *r = NULL;
	buf_adds(&sql, head);
	/* The front's prompt rule: leave out models tagged hide_tag = 'true'. */
	if (q->hide_tag) {
		buf_adds(&sql, " AND NOT EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.model_pk = m.model_pk "
			       "AND pt.key = ");
		sqlgen_bind(d, &sql, &binds, (struct sql_bind){ .type = SQL_BIND_TEXT, .text = q->hide_tag }, a);
		buf_adds(&sql, " AND pt.value = 'true')");
	}
	if (sqlgen_where(d, kind, search_filter(kind, &q->filter, a), &sql, &binds, a, err) < 0)
		goto out;
	buf_adds(&sql, " ORDER BY ");
	if (sqlgen_order_by(d, kind, &q->order, &sql, &binds, a, err) < 0)
		goto out;
	buf_adds(&sql, " LIMIT ");
	sqlgen_bind(d, &sql, &binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = q->max_results + 1 }, a);
	buf_adds(&sql, " OFFSET ");
	sqlgen_bind(d, &sql, &binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = q->offset }, a);
	r = pg_query_binds(c, sql.ptr, &binds, err);
out:
	buf_release(&sql);
	return r;
}

struct pair_slice {
	struct store_kv *kv;
	size_t n;
};

static int models_load_aliases(struct pg_conn *c, struct store_registered_model *m, const struct key_slot *slots,
			       size_t n, const char *keys, struct arena *a, struct mlf_err *err)
{
	struct pair_slice *sl = arena_zalloc(a, n * sizeof(*sl));
	PGresult *r = pg_stmt(c, err, PS_REG_MODELS_ALIASES, "t", keys);
	if (!r)
		return -1;
	load_grouped_pairs(r, slots, n, (struct kv_target){ &sl[0].kv, &sl[0].n, sizeof(*sl) }, a);
	PQclear(r);
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
static int models_load_latest(struct pg_conn *c, struct store_registered_model *m, const struct key_slot *slots,
			      size_t n, const char *keys, struct arena *a, struct mlf_err *err)
{
	struct store_model_version *v;
	int64_t *pks = NULL;
	size_t nv;
	PGresult *r = pg_stmt(c, err, PS_REG_MODELS_LATEST, "t", keys);
	if (load_versions_pks(c, r, &v, &nv, &pks, a, err) < 0)
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

/* Tags, aliases and latest versions (with their tags) of a page of models
 * in four statements. */
static int models_load_children(struct pg_conn *c, struct store_registered_model *m, const int64_t *pks, size_t n,
				struct arena *a, struct mlf_err *err)
{
	if (!n)
		return 0;
	struct buf keys = BUF_INIT;
	struct key_slot *slots = key_index(pks, NULL, n, a);
	pg_array_int64(&keys, pks, n);
	int rc = -1;
	PGresult *r = pg_stmt(c, err, PS_REG_MODELS_TAGS, "t", keys.ptr);
	if (r) {
		load_grouped_pairs(r, slots, n, (struct kv_target){ &m[0].tags, &m[0].n_tags, sizeof(*m) }, a);
		PQclear(r);
		if (models_load_aliases(c, m, slots, n, keys.ptr, a, err) == 0 &&
		    models_load_latest(c, m, slots, n, keys.ptr, a, err) == 0)
			rc = 0;
	}
	buf_release(&keys);
	return rc;
}

static int model_search_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct read_args *x = arg;
	PGresult *r = search_run(c, "SELECT " PGREG_MODEL_COLS " FROM registered_models m WHERE TRUE",
				 FILTER_REGISTERED_MODELS, x->q, x->a, err);
	if (!r)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct store_registered_model *m = arena_alloc(x->a, (n ? n : 1) * sizeof(*m));
	int64_t *pks = arena_alloc(x->a, (n ? n : 1) * sizeof(*pks));
	for (size_t i = 0; i < n; i++)
		model_from_row(r, (int)i, &m[i], &pks[i], x->a);
	PQclear(r);
	bool more = false;
	if ((int64_t)n > x->q->max_results) {
		more = true;
		n = (size_t)x->q->max_results;
	}
	if (models_load_children(c, m, pks, n, x->a, err) < 0)
		return -1;
	*x->models = m;
	*x->n = n;
	*x->more = more;
	return 0;
}

static int pg_model_search(struct store *st, const struct store_search *q, struct store_registered_model **out,
			   size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	struct read_args x = { .q = q, .models = out, .n = n, .more = more, .a = a };
	return read_tx(st, model_search_fn, &x, err);
}

static int version_search_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct read_args *x = arg;
	struct store_model_version *v;
	size_t n;
	PGresult *r = search_run(c,
				 "SELECT " PGREG_VERSION_COLS PGREG_VERSION_FROM
				 " WHERE v.current_stage <> '" PGREG_STAGE_DELETED "'",
				 FILTER_MODEL_VERSIONS, x->q, x->a, err);
	if (load_versions_pks(c, r, &v, &n, NULL, x->a, err) < 0)
		return -1;
	bool more = false;
	if ((int64_t)n > x->q->max_results) {
		more = true;
		n = (size_t)x->q->max_results;
	}
	*x->versions = v;
	*x->n = n;
	*x->more = more;
	return 0;
}

static int pg_version_search(struct store *st, const struct store_search *q, struct store_model_version **out,
			     size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	struct read_args x = { .q = q, .versions = out, .n = n, .more = more, .a = a };
	return read_tx(st, version_search_fn, &x, err);
}

/* ---- history ------------------------------------------------------------------------ */

struct event_args {
	int64_t pk;
	const char *name;
	int64_t version;
	const char *kind, *alias, *from, *to;
	const struct store_actor *who;
	int64_t now;
};

static const char *actor_user(const struct store_actor *who)
{
	return who && who->user ? who->user : "unknown";
}

static const char *actor_comment(const struct store_actor *who)
{
	return who ? who->comment : NULL;
}

static int record_event(struct pg_conn *c, const struct event_args *e, struct mlf_err *err)
{
	return pg_stmt_exec(c, err, PS_REG_HISTORY_INSERT, NULL, "ititttttit", e->pk, e->name, e->version, e->kind,
			    e->alias, e->from, e->to, actor_user(e->who), e->now, actor_comment(e->who));
}

static int history_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct read_args *x = arg;
	struct arena *a = x->a;
	int64_t pk;
	if (find_model(c, x->name, &pk, err) < 0)
		return -1;
	PGresult *r = pg_stmt(c, err, PS_REG_HISTORY, "ii", pk, x->version);
	if (!r)
		return -1;
	size_t n = (size_t)PQntuples(r);
	struct store_registry_event *ev = arena_alloc(a, (n ? n : 1) * sizeof(*ev));
	for (size_t i = 0; i < n; i++) {
		int row = (int)i;
		struct store_registry_event *e = &ev[i];
		e->id = pg_col_int64(r, row, 0);
		e->name = pg_col_text(r, row, 1, a);
		e->version = pg_col_int64(r, row, 2);
		e->kind = pg_col_text(r, row, 3, a);
		e->alias = pg_col_text(r, row, 4, a);
		e->from = pg_col_text(r, row, 5, a);
		e->to = pg_col_text(r, row, 6, a);
		e->user = pg_col_text(r, row, 7, a);
		e->time = pg_col_int64(r, row, 8);
		e->comment = pg_col_text(r, row, 9, a);
	}
	PQclear(r);
	*x->events = n ? ev : NULL;
	*x->n = n;
	return 0;
}

static int pg_history(struct store *st, const char *name, int64_t version, struct store_registry_event **out,
		      size_t *n, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	struct read_args x = { .name = name, .version = version, .events = out, .n = n, .a = a };
	return read_tx(st, history_fn, &x, err);
}

/* ---- writes: registered models --------------------------------------------------------- */

struct model_args {
	const char *name, *new_name, *description, *key, *value;
	const struct store_kv *tags;
	size_t n_tags;
	struct store_registered_model *out; /* read back under read_name when set */
	const char *read_name;
	struct arena *a;
};

/* Runs a model write and reads the model back in the same transaction. */
static int model_write(struct store *st, int (*fn)(struct pg_conn *, void *, struct mlf_err *), struct model_args *x,
		       struct mlf_err *err)
{
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, fn, x, err);
}

static int model_read_back(struct pg_conn *c, struct model_args *x, struct mlf_err *err)
{
	return x->out ? model_read(c, x->read_name, x->out, x->a, err) : 0;
}

/* Binds a list of tags as two text arrays (keys, values). */
static void tag_arrays(const struct store_kv *tags, size_t n, struct buf *keys, struct buf *values)
{
	pg_array_begin(keys);
	pg_array_begin(values);
	for (size_t i = 0; i < n; i++) {
		pg_array_add_text(keys, tags[i].key);
		pg_array_add_text(values, tags[i].value ? tags[i].value : "");
	}
	pg_array_end(keys);
	pg_array_end(values);
}

static int model_create_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t pk;
	bool inserted;
	if (q_int(c, err, &inserted, &pk, PS_REG_MODEL_INSERT, "tit", x->name, util_now_ms(), x->description) < 0)
		return -1;
	if (!inserted)
		return store_row_fail(err, STORE_ROW_NAME_TAKEN);
	if (x->n_tags) {
		struct buf keys = BUF_INIT, values = BUF_INIT;
		tag_arrays(x->tags, x->n_tags, &keys, &values);
		int rc = pg_stmt_exec(c, err, PS_REG_MODEL_TAGS_INSERT, NULL, "itt", pk, keys.ptr, values.ptr);
		buf_release(&keys);
		buf_release(&values);
		if (rc < 0)
			return -1;
	}
	return model_read_back(c, x, err);
}

static int model_rename_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t pk, other;
	bool taken;
	if (lock_model_or_fail(c, x->name, &pk, err) < 0)
		return -1;
	if (strcmp(x->name, x->new_name) != 0) {
		if (q_int(c, err, &taken, &other, PS_REG_MODEL_PK, "t", x->new_name) < 0)
			return -1;
		if (taken)
			return store_row_fail(err, STORE_ROW_NAME_TAKEN);
	}
	/* A transaction that claimed the name since the look-up makes this
	 * fail on the unique index: the name is taken all the same. */
	if (pg_stmt_exec(c, err, PS_REG_MODEL_RENAME, NULL, "iti", pk, x->new_name, util_now_ms()) < 0)
		return pg_failed_with(c, "23505") ? store_row_fail(err, STORE_ROW_NAME_TAKEN) : -1;
	return model_read_back(c, x, err);
}

static int model_update_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t pk;
	if (lock_model_or_fail(c, x->name, &pk, err) < 0 ||
	    pg_stmt_exec(c, err, PS_REG_MODEL_SET_DESCRIPTION, NULL, "iti", pk, x->description, util_now_ms()) < 0)
		return -1;
	return model_read_back(c, x, err);
}

static int model_delete_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	static const enum pg_stmt_id deletes[] = {
		PS_REG_MODEL_DELETE_VERSION_TAGS, PS_REG_MODEL_DELETE_ALIASES, PS_REG_MODEL_DELETE_VERSIONS,
		PS_REG_MODEL_DELETE_TAGS, PS_REG_MODEL_DELETE,
	};
	struct model_args *x = arg;
	int64_t pk;
	if (lock_model_or_fail(c, x->name, &pk, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(deletes); i++)
		if (pg_stmt_exec(c, err, deletes[i], NULL, "i", pk) < 0)
			return -1;
	return 0;
}

static int model_tag_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct model_args *x = arg;
	int64_t pk;
	if (lock_model_or_fail(c, x->name, &pk, err) < 0)
		return -1;
	if (x->value)
		return pg_stmt_exec(c, err, PS_REG_MODEL_TAG_UPSERT, NULL, "itt", pk, x->key, x->value);
	return pg_stmt_exec(c, err, PS_REG_MODEL_TAG_DELETE, NULL, "it", pk, x->key);
}

static int pg_model_create(struct store *st, const char *name, const char *description, const struct store_kv *tags,
			   size_t n_tags, struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct model_args x = { .name = name, .description = description, .tags = tags, .n_tags = n_tags,
				.out = out, .read_name = name, .a = a };
	return model_write(st, model_create_fn, &x, err);
}

static int pg_model_rename(struct store *st, const char *name, const char *new_name,
			   struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct model_args x = { .name = name, .new_name = new_name, .out = out, .read_name = new_name, .a = a };
	return model_write(st, model_rename_fn, &x, err);
}

static int pg_model_update(struct store *st, const char *name, const char *description,
			   struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct model_args x = { .name = name, .description = description, .out = out, .read_name = name, .a = a };
	return model_write(st, model_update_fn, &x, err);
}

static int pg_model_delete(struct store *st, const char *name, struct mlf_err *err)
{
	struct model_args x = { .name = name };
	return model_write(st, model_delete_fn, &x, err);
}

static int pg_model_set_tag(struct store *st, const char *name, const char *key, const char *value,
			    struct mlf_err *err)
{
	struct model_args x = { .name = name, .key = key, .value = value ? value : "" };
	return model_write(st, model_tag_fn, &x, err);
}

static int pg_model_delete_tag(struct store *st, const char *name, const char *key, struct mlf_err *err)
{
	struct model_args x = { .name = name, .key = key };
	return model_write(st, model_tag_fn, &x, err);
}

/* ---- writes: aliases ---------------------------------------------------------------------- */

struct alias_args {
	const char *name, *alias;
	int64_t version;
	const struct store_actor *who;
};

/* A version number as history text, in `a`; NULL when there is none. */
static const char *version_text(int64_t v, bool found, struct arena *a)
{
	return found ? arena_printf(a, "%lld", (long long)v) : NULL;
}

static int alias_set_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct alias_args *x = arg;
	struct arena a = ARENA_INIT;
	int64_t pk, old = 0;
	bool had;
	int rc = -1;
	if (lock_version(c, x->name, x->version, &pk, NULL, &a, err) < 0 ||
	    q_int(c, err, &had, &old, PS_REG_ALIAS_VERSION, "it", pk, x->alias) < 0 ||
	    pg_stmt_exec(c, err, PS_REG_ALIAS_UPSERT, NULL, "iti", pk, x->alias, x->version) < 0)
		goto out;
	struct event_args e = { pk, x->name, x->version, "alias", x->alias, version_text(old, had, &a),
				version_text(x->version, true, &a), x->who, util_now_ms() };
	rc = record_event(c, &e, err);
out:
	arena_release(&a);
	return rc;
}

static int alias_delete_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct alias_args *x = arg;
	struct arena a = ARENA_INIT;
	int64_t pk, old = 0;
	bool had;
	int rc = -1;
	if (lock_model_or_fail(c, x->name, &pk, err) < 0 ||
	    q_int(c, err, &had, &old, PS_REG_ALIAS_VERSION, "it", pk, x->alias) < 0)
		goto out;
	rc = 0;
	if (!had)
		goto out;
	struct event_args e = { pk, x->name, old, "alias", x->alias, version_text(old, true, &a), NULL, x->who,
				util_now_ms() };
	rc = pg_stmt_exec(c, err, PS_REG_ALIAS_DELETE, NULL, "it", pk, x->alias);
	if (rc == 0)
		rc = record_event(c, &e, err);
out:
	arena_release(&a);
	return rc;
}

static int pg_alias_set(struct store *st, const char *name, const char *alias, int64_t version,
			const struct store_actor *who, struct mlf_err *err)
{
	struct alias_args x = { name, alias, version, who };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, alias_set_fn, &x, err);
}

static int pg_alias_delete(struct store *st, const char *name, const char *alias, const struct store_actor *who,
			   struct mlf_err *err)
{
	struct alias_args x = { name, alias, 0, who };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, alias_delete_fn, &x, err);
}

/* ---- writes: versions -------------------------------------------------------------------- */

struct version_args {
	const struct store_version_create *vc;
	const char *name;
	int64_t version; /* version_create: the number given, once committed */
	const char *description, *key, *value, *stage;
	bool archive_others;
	const struct store_actor *who;
	struct store_model_version *out; /* read back when set */
	struct arena *a;
};

static int version_read_back(struct pg_conn *c, struct version_args *x, int64_t version, struct mlf_err *err)
{
	return x->out ? version_read(c, x->name, version, x->out, x->a, err) : 0;
}

static int version_create_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	const struct store_version_create *vc = x->vc;
	int64_t pk, version, now = util_now_ms();
	bool inserted;
	/* The lock makes concurrent creates of one model number one after
	 * the other, each seeing the version the previous one committed. */
	if (lock_model_or_fail(c, vc->name, &pk, err) < 0 ||
	    q_int(c, err, &inserted, &version, PS_REG_VERSION_INSERT, "iittttttt", pk, now,
		  vc->description ? vc->description : "", vc->user_id, vc->source, vc->storage_location,
		  vc->run_id ? vc->run_id : "", vc->run_link ? vc->run_link : "",
		  vc->model_id && *vc->model_id ? vc->model_id : NULL) < 0)
		return -1;
	if (!inserted)
		return pg_conn_fail(c, "model version insert returned no row", err);
	if (vc->n_tags) {
		struct buf keys = BUF_INIT, values = BUF_INIT;
		tag_arrays(vc->tags, vc->n_tags, &keys, &values);
		int rc = pg_stmt_exec(c, err, PS_REG_VERSION_TAGS_INSERT, NULL, "iitt", pk, version, keys.ptr, values.ptr);
		buf_release(&keys);
		buf_release(&values);
		if (rc < 0)
			return -1;
	}
	if (touch_model(c, pk, now, err) < 0 || version_read_back(c, x, version, err) < 0)
		return -1;
	x->version = version;
	return 0;
}

static int version_update_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	int64_t pk;
	if (lock_version(c, x->name, x->version, &pk, NULL, x->a, err) < 0 ||
	    pg_stmt_exec(c, err, PS_REG_VERSION_SET_DESCRIPTION, NULL, "iiti", pk, x->version, x->description,
			 util_now_ms()) < 0)
		return -1;
	return version_read_back(c, x, x->version, err);
}

/* MLflow's redacting delete: the row stays so the number is never reused. */
static int version_delete_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	int64_t pk, now = util_now_ms();
	if (lock_version(c, x->name, x->version, &pk, NULL, x->a, err) < 0 ||
	    pg_stmt_exec(c, err, PS_REG_VERSION_REDACT, NULL, "iii", pk, x->version, now) < 0 ||
	    pg_stmt_exec(c, err, PS_REG_VERSION_TAGS_DELETE, NULL, "ii", pk, x->version) < 0)
		return -1;
	return touch_model(c, pk, now, err);
}

static int version_tag_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	int64_t pk;
	if (lock_version(c, x->name, x->version, &pk, NULL, x->a, err) < 0)
		return -1;
	if (x->value)
		return pg_stmt_exec(c, err, PS_REG_VERSION_TAG_UPSERT, NULL, "iitt", pk, x->version, x->key, x->value);
	return pg_stmt_exec(c, err, PS_REG_VERSION_TAG_DELETE, NULL, "iit", pk, x->version, x->key);
}

static int version_transition_fn(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct version_args *x = arg;
	struct arena a = ARENA_INIT;
	const char *stage = NULL;
	int64_t pk;
	int rc = -1;
	if (lock_version(c, x->name, x->version, &pk, &stage, &a, err) < 0)
		goto out;
	struct event_args e = { pk, x->name, x->version, "stage", NULL, stage, x->stage, x->who, util_now_ms() };
	if (x->archive_others) {
		const char *comment = arena_printf(&a, "archived when version %lld moved to %s", (long long)x->version,
						   x->stage);
		if (pg_stmt_exec(c, err, PS_REG_VERSIONS_ARCHIVE, NULL, "itiittt", pk, x->stage, x->version, e.now,
				 x->name, actor_user(x->who), comment) < 0)
			goto out;
	}
	if (pg_stmt_exec(c, err, PS_REG_VERSION_SET_STAGE, NULL, "iiti", pk, x->version, x->stage, e.now) < 0 ||
	    record_event(c, &e, err) < 0 || touch_model(c, pk, e.now, err) < 0)
		goto out;
	rc = version_read_back(c, x, x->version, err);
out:
	arena_release(&a);
	return rc;
}

static int version_write(struct store *st, int (*fn)(struct pg_conn *, void *, struct mlf_err *),
			 struct version_args *x, struct mlf_err *err)
{
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, fn, x, err);
}

static int pg_version_create(struct store *st, const struct store_version_create *vc,
			     struct store_model_version *out, struct arena *a, struct mlf_err *err)
{
	struct version_args x = { .vc = vc, .name = vc->name, .out = out, .a = a };
	return version_write(st, version_create_fn, &x, err);
}

static int pg_version_update(struct store *st, const char *name, int64_t version, const char *description,
			     struct store_model_version *out, struct arena *a, struct mlf_err *err)
{
	struct version_args x = { .name = name, .version = version, .description = description, .out = out, .a = a };
	return version_write(st, version_update_fn, &x, err);
}

static int pg_version_delete(struct store *st, const char *name, int64_t version, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct version_args x = { .name = name, .version = version, .a = &a };
	int rc = version_write(st, version_delete_fn, &x, err);
	arena_release(&a);
	return rc;
}

static int pg_version_transition(struct store *st, const char *name, int64_t version, const char *stage,
				 bool archive, const struct store_actor *who, struct store_model_version *out,
				 struct arena *a, struct mlf_err *err)
{
	struct version_args x = { .name = name, .version = version, .stage = stage, .archive_others = archive,
				  .who = who, .out = out, .a = a };
	return version_write(st, version_transition_fn, &x, err);
}

static int pg_version_set_tag(struct store *st, const char *name, int64_t version, const char *key,
			      const char *value, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct version_args x = { .name = name, .version = version, .key = key, .value = value ? value : "", .a = &a };
	int rc = version_write(st, version_tag_fn, &x, err);
	arena_release(&a);
	return rc;
}

static int pg_version_delete_tag(struct store *st, const char *name, int64_t version, const char *key,
				 struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct version_args x = { .name = name, .version = version, .key = key, .a = &a };
	int rc = version_write(st, version_tag_fn, &x, err);
	arena_release(&a);
	return rc;
}

const struct store_registry_ops store_pg_registry_ops = {
	.logged = &store_pg_logged_ops,
	.model_create = pg_model_create,
	.model_get = pg_model_get,
	.model_rename = pg_model_rename,
	.model_update = pg_model_update,
	.model_delete = pg_model_delete,
	.model_search = pg_model_search,
	.model_set_tag = pg_model_set_tag,
	.model_delete_tag = pg_model_delete_tag,
	.latest_versions = pg_latest_versions,
	.alias_set = pg_alias_set,
	.alias_delete = pg_alias_delete,
	.alias_get = pg_alias_get,
	.version_create = pg_version_create,
	.version_get = pg_version_get,
	.version_update = pg_version_update,
	.version_delete = pg_version_delete,
	.version_transition = pg_version_transition,
	.version_search = pg_version_search,
	.version_set_tag = pg_version_set_tag,
	.version_delete_tag = pg_version_delete_tag,
	.history = pg_history,
};
