/*
 * sqlgen.c - compiles the filter / order_by AST of filter.h into SQL text
 * plus bound values, for the schema a backend describes (sqlgen.h's
 * struct sql_schema; the SQLite backend's is in src/store/schema_sql.c).
 *
 * Every condition becomes one self-contained boolean term: a comparison on
 * a column of the outer row for attributes, or a correlated EXISTS / NOT
 * EXISTS over the entity's table, so conditions never interact (MLflow's
 * `params.a = 'x' AND params.a != 'y'` is legal and means two lookups).
 * Columns and tables come only from the backend's schema tables; every user value,
 * including keys, is a placeholder. AND, OR and NOT of the filter tree
 * become the same SQL words around parenthesised terms, except that NOT
 * is "(...) IS NOT TRUE": a comparison on a NULL column (a running run's
 * end_time) is unknown in SQL, and a plain NOT would leave it unknown,
 * whereas filter.h promises that it is false and its NOT true. A filter
 * of ANDs only compiles to exactly the SQL it did before OR existed.
 * What differs between SQL dialects is in struct sql_schema only.
 *
 * Decisions the store must know about:
 * - A metric whose latest value is NaN (is_nan = 1) matches no metric
 *   condition, not even `!=`, exactly like a run without the metric.
 *   (MLflow's SQL store compares the stored placeholder 0 instead, so there
 *   NaN matched `= 0`; that is an accident we do not copy.)
 * - IN with an empty list (every run id had upper-case letters) matches
 *   nothing; NOT IN with an empty list matches everything.
 * - ORDER BY puts rows without the metric/param/tag last in both
 *   directions; metric NaN sorts after every number and before missing.
 */
#include "sqlgen.h"

/* Comparators that are "<column> <sql> <value>". */
static const struct {
	enum filter_op op;
	const char *sql;
} binary_ops[] = {
	{ FOP_EQ, " = " }, { FOP_NE, " != " }, { FOP_LT, " < " },	  { FOP_LE, " <= " },
	{ FOP_GT, " > " }, { FOP_GE, " >= " }, { FOP_LIKE, " LIKE " }, { FOP_ILIKE, " ILIKE " },
};

static const char *const kind_names[] = {
	[FILTER_RUNS] = "runs",
	[FILTER_EXPERIMENTS] = "experiments",
	[FILTER_REGISTERED_MODELS] = "registered models",
	[FILTER_MODEL_VERSIONS] = "model versions",
	[FILTER_LOGGED_MODELS] = "logged models",
};

/* ------------------------------------------------------------------ */
/* Placeholders                                                        */

static void add_placeholder(const struct sql_schema *d, struct buf *sql, size_t index)
{
	buf_addf(sql, d->placeholder, index);
}

void sqlgen_bind(const struct sql_schema *d, struct buf *sql, struct sql_binds *binds, struct sql_bind b, struct arena *a)
{
	if (binds->n == binds->cap) {
		size_t cap = binds->cap ? binds->cap * 2 : 16;
		binds->items = arena_grow_array(a, binds->items, binds->n, cap, sizeof(*binds->items));
		binds->cap = cap;
	}
	binds->items[binds->n++] = b;
	add_placeholder(d, sql, binds->n);
	if (b.type == SQL_BIND_DOUBLE && d->double_cast)
		buf_adds(sql, d->double_cast);
}

static void bind_text(const struct sql_schema *d, struct buf *sql, struct sql_binds *binds, const char *text,
		      struct arena *a)
{
	sqlgen_bind(d, sql, binds, (struct sql_bind){ .type = SQL_BIND_TEXT, .text = text }, a);
}

static void bind_value(const struct sql_schema *d, struct buf *sql, struct sql_binds *binds, const struct filter_value *v,
		       struct arena *a)
{
	struct sql_bind b = { .type = SQL_BIND_TEXT, .text = v->str };
	if (v->kind == FV_NUMBER && v->num_is_int)
		b = (struct sql_bind){ .type = SQL_BIND_INT, .i = v->inum };
	else if (v->kind == FV_NUMBER)
		b = (struct sql_bind){ .type = SQL_BIND_DOUBLE, .d = v->num };
	sqlgen_bind(d, sql, binds, b, a);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */

static const struct sql_attr_column *find_column(const struct sql_schema *d, enum filter_kind kind, const char *key)
{
	for (size_t i = 0; i < d->n_attrs; i++)
		if (d->attrs[i].kind == kind && !strcmp(d->attrs[i].key, key))
			return &d->attrs[i];
	return NULL;
}

static const struct sql_entity_source *find_source(const struct sql_schema *d, enum filter_kind kind,
						  enum filter_entity e, const char *key)
{
	for (size_t i = 0; i < d->n_sources; i++) {
		const struct sql_entity_source *s = &d->sources[i];
		if (s->kind == kind && s->entity == e && (!s->field || !strcmp(s->field, key)))
			return s;
	}
	return NULL;
}

static int unsupported(enum filter_kind kind, const char *what, const char *key, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Searching %s by %s '%s' is not supported", kind_names[kind],
			  what, key);
}

/* ------------------------------------------------------------------ */
/* WHERE                                                               */

static void compile_in_list(const struct sql_schema *d, struct buf *sql, struct sql_binds *binds, const char *column,
			    const struct filter_cond *c, struct arena *a)
{
	bool negate = c->op == FOP_NOT_IN;
	if (!c->value.list_len) {
		buf_adds(sql, negate ? "1 = 1" : "1 = 0");
		return;
	}
	buf_addf(sql, "%s %s (", column, negate ? "NOT IN" : "IN");
	for (size_t i = 0; i < c->value.list_len; i++) {
		if (i)
			buf_adds(sql, ", ");
		bind_text(d, sql, binds, c->value.list[i], a);
	}
	buf_addch(sql, ')');
}

/* <column> <op> <value>, for every comparator but IS [NOT] NULL. */
static void compile_comparison(const struct sql_schema *d, struct buf *sql, struct sql_binds *binds, const char *column,
			       const struct filter_cond *c, struct arena *a)
{
	if (c->op == FOP_IN || c->op == FOP_NOT_IN) {
		compile_in_list(d, sql, binds, column, c, a);
		return;
	}
	if (c->op == FOP_ILIKE && !d->native_ilike) { /* SQLite: LIKE is case-sensitive per connection */
		buf_addf(sql, "lower(%s) LIKE lower(", column);
		bind_value(d, sql, binds, &c->value, a);
		buf_addch(sql, ')');
		if (d->like_suffix)
			buf_adds(sql, d->like_suffix);
		return;
	}
	buf_adds(sql, column);
	for (size_t i = 0; i < ARRAY_SIZE(binary_ops); i++)
		if (binary_ops[i].op == c->op)
			buf_adds(sql, binary_ops[i].sql);
	bind_value(d, sql, binds, &c->value, a);
	if ((c->op == FOP_LIKE || c->op == FOP_ILIKE) && d->like_suffix)
		buf_adds(sql, d->like_suffix);
}

/* "SELECT <what> FROM ... WHERE ... AND <key> = ?k"; returns the key's
 * placeholder index (0 when the source has no key) so a second subquery
 * can reuse it. Pass `key_index` != 0 to reuse one. */
static size_t subquery_head(const struct sql_schema *d, struct buf *sql, struct sql_binds *binds,
			    const struct sql_entity_source *s, const char *what, const char *key, size_t key_index,
			    struct arena *a)
{
	buf_addf(sql, "SELECT %s %s", what, s->from);
	if (!s->key_open)
		return 0;
	buf_addf(sql, " AND %s", s->key_open);
	if (key_index) {
		add_placeholder(d, sql, key_index);
	} else {
		bind_text(d, sql, binds, s->fixed_key ? s->fixed_key : key, a);
		key_index = binds->n;
	}
	buf_adds(sql, s->key_close);
	return key_index;
}

/* " AND ((name = ? [AND digest = ?]) OR ...)": the point is on one of the datasets. */
static void dataset_scope(const struct sql_schema *d, const struct sql_entity_source *s, const struct sqlgen_datasets *ds,
			  struct buf *sql, struct sql_binds *binds, struct arena *a)
{
	const struct sql_dataset_scope *cols = NULL;
	for (size_t i = 0; i < d->n_scopes; i++)
		if (d->scopes[i].kind == s->kind && d->scopes[i].entity == s->entity)
			cols = &d->scopes[i];
	if (!ds || !ds->n || !cols)
		return;
	buf_adds(sql, " AND (");
	for (size_t i = 0; i < ds->n; i++) {
		buf_addf(sql, "%s(%s = ", i ? " OR " : "", cols->name);
		bind_text(d, sql, binds, ds->names[i], a);
		if (ds->digests[i]) {
			buf_addf(sql, " AND %s = ", cols->digest);
			bind_text(d, sql, binds, ds->digests[i], a);
		}
		buf_addch(sql, ')');
	}
	buf_addch(sql, ')');
}

static int where_entity(const struct sql_schema *d, enum filter_kind kind, const struct filter_cond *c,
			const struct sqlgen_datasets *ds, struct buf *sql, struct sql_binds *binds, struct arena *a,
			struct mlf_err *err)
{
	const struct sql_entity_source *s = find_source(d, kind, c->entity, c->key);
	if (!s)
		return unsupported(kind, "key", c->key, err);
	buf_adds(sql, c->op == FOP_IS_NULL ? "NOT EXISTS (" : "EXISTS (");
	subquery_head(d, sql, binds, s, "1", c->key, 0, a);
	if (c->op != FOP_IS_NULL && c->op != FOP_IS_NOT_NULL) {
		if (s->nan_flag)
			buf_addf(sql, " AND %s = %s", s->nan_flag, d->flag_false);
		dataset_scope(d, s, ds, sql, binds, a);
		buf_adds(sql, " AND ");
		compile_comparison(d, sql, binds, s->value, c, a);
	}
	buf_addch(sql, ')');
	return 0;
}

static int where_attribute(const struct sql_schema *d, enum filter_kind kind, const struct filter_cond *c, struct buf *sql,
			   struct sql_binds *binds, struct arena *a, struct mlf_err *err)
{
	const struct sql_attr_column *col = find_column(d, kind, c->key);
	if (!col || c->op == FOP_IS_NULL || c->op == FOP_IS_NOT_NULL)
		return unsupported(kind, "attribute", c->key, err);
	compile_comparison(d, sql, binds, col->column, c, a);
	return 0;
}

static int where_cond(const struct sql_schema *d, enum filter_kind kind, const struct filter_cond *c,
		      const struct sqlgen_datasets *ds, struct buf *sql, struct sql_binds *binds, struct arena *a,
		      struct mlf_err *err)
{
	return c->entity == FE_ATTRIBUTE ? where_attribute(d, kind, c, sql, binds, a, err)
					 : where_entity(d, kind, c, ds, sql, binds, a, err);
}

/* How each inner node is written around its parenthesised kids. */
static const struct {
	const char *open, *between, *close;
} node_sql[] = {
	[FN_AND] = { "(", " AND ", ")" },
	[FN_OR] = { "(", " OR ", ")" },
	[FN_NOT] = { "(", "", " IS NOT TRUE)" }, /* the kid is parenthesised already */
};

/* One node as a parenthesised term. Recursion is bounded by the tree's
 * depth, which filter_parse keeps within FILTER_MAX_DEPTH. */
static int where_node(const struct sql_schema *d, enum filter_kind kind, const struct filter_node *node,
		      const struct sqlgen_datasets *ds, struct buf *sql, struct sql_binds *binds, struct arena *a,
		      struct mlf_err *err)
{
	if (node->type == FN_TRUE) {
		buf_adds(sql, "(1 = 1)");
		return 0;
	}
	if (node->type == FN_COND) {
		buf_addch(sql, '(');
		if (where_cond(d, kind, node->cond, ds, sql, binds, a, err) < 0)
			return -1;
		buf_addch(sql, ')');
		return 0;
	}
	buf_adds(sql, node_sql[node->type].open);
	for (size_t i = 0; i < node->n_kids; i++) {
		if (i)
			buf_adds(sql, node_sql[node->type].between);
		if (where_node(d, kind, node->kids[i], ds, sql, binds, a, err) < 0)
			return -1;
	}
	buf_adds(sql, node_sql[node->type].close);
	return 0;
}

int sqlgen_where_datasets(const struct sql_schema *d, enum filter_kind kind, const struct filter *f,
			  const struct sqlgen_datasets *ds, struct buf *where, struct sql_binds *binds, struct arena *a,
			  struct mlf_err *err)
{
	const struct filter_node *root = f->root;
	if (!root)
		return 0;
	/* The top AND's kids are terms of the caller's AND list, as before. */
	const struct filter_node *const *terms = (const struct filter_node *const *)root->kids;
	size_t n = root->n_kids;
	if (root->type != FN_AND) {
		terms = &root;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		buf_adds(where, " AND ");
		if (where_node(d, kind, terms[i], ds, where, binds, a, err) < 0)
			return -1;
	}
	return 0;
}

int sqlgen_where(const struct sql_schema *d, enum filter_kind kind, const struct filter *f, struct buf *where,
		 struct sql_binds *binds, struct arena *a, struct mlf_err *err)
{
	return sqlgen_where_datasets(d, kind, f, NULL, where, binds, a, err);
}

/* ------------------------------------------------------------------ */
/* ORDER BY                                                            */

static const char *direction(bool ascending)
{
	return ascending ? " ASC" : " DESC";
}

static int order_attribute(const struct sql_schema *d, enum filter_kind kind, const struct order_term *t, struct buf *order,
			   struct mlf_err *err)
{
	const struct sql_attr_column *col = find_column(d, kind, t->key);
	if (!col)
		return unsupported(kind, "attribute", t->key, err);
	if (col->nulls_last)
		buf_addf(order, "%s IS NULL, ", col->column);
	buf_addf(order, "%s%s", col->column, direction(t->ascending));
	return 0;
}

/* Two sort keys: a rank that puts missing (and NaN) last, then the value.
 * Both are scalar subqueries sharing one key placeholder. */
static int order_entity(const struct sql_schema *d, enum filter_kind kind, const struct order_term *t, struct buf *order,
			struct sql_binds *binds, struct arena *a, struct mlf_err *err)
{
	const struct sql_entity_source *s = find_source(d, kind, t->entity, t->key);
	if (!s || !s->key_open)
		return unsupported(kind, "key", t->key, err);
	size_t key_index;
	if (s->nan_flag) { /* 0 number, 1 NaN, 2 missing */
		buf_adds(order, "COALESCE((");
		key_index = subquery_head(d, order, binds, s, s->nan_flag, t->key, 0, a);
		buf_adds(order, "), 2), (");
	} else {
		buf_adds(order, "(");
		key_index = subquery_head(d, order, binds, s, s->value, t->key, 0, a);
		buf_adds(order, ") IS NULL, (");
	}
	subquery_head(d, order, binds, s, s->value, t->key, key_index, a);
	buf_addf(order, ")%s", direction(t->ascending));
	return 0;
}

static bool ordered_by(const struct order_by *ob, const char *key)
{
	for (size_t i = 0; i < ob->n; i++)
		if (ob->terms[i].entity == FE_ATTRIBUTE && !strcmp(ob->terms[i].key, key))
			return true;
	return false;
}

static void add_tie_breakers(const struct sql_schema *d, enum filter_kind kind, const struct order_by *ob,
			     struct buf *order, bool first)
{
	const struct sql_tie_breaker *tie_breakers = d->ties;
	for (size_t i = 0; i < d->n_ties; i++) {
		if (tie_breakers[i].kind != kind)
			continue;
		if ((tie_breakers[i].when == SQL_TIE_DEFAULT_ONLY && ob->n) ||
		    (tie_breakers[i].when == SQL_TIE_EXPLICIT_ONLY && !ob->n))
			continue;
		if (tie_breakers[i].unless_key && ordered_by(ob, tie_breakers[i].unless_key))
			continue;
		buf_addf(order, "%s%s", first ? "" : ", ", tie_breakers[i].sql);
		first = false;
	}
}

int sqlgen_order_by(const struct sql_schema *d, enum filter_kind kind, const struct order_by *ob, struct buf *order,
		    struct sql_binds *binds, struct arena *a, struct mlf_err *err)
{
	for (size_t i = 0; i < ob->n; i++) {
		const struct order_term *t = &ob->terms[i];
		if (i)
			buf_adds(order, ", ");
		int rc = t->entity == FE_ATTRIBUTE ? order_attribute(d, kind, t, order, err)
						   : order_entity(d, kind, t, order, binds, a, err);
		if (rc < 0)
			return -1;
	}
	add_tie_breakers(d, kind, ob, order, ob->n == 0);
	return 0;
}
