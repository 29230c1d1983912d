/*
 * sqlgen.c - compiles the filter / order_by AST of filter.h into SQL text
 * plus bound values, for mlflowc's schema (src/store/schema_sqlite.h).
 *
 * Every condition becomes one self-contained boolean term: a comparison on
 * a column of the outer row for attributes, or a correlated EXISTS / NOT
 * EXISTS over the entity's table, so conditions never interact (MLflow's
 * `params.a = 'x' AND params.a != 'y'` is legal and means two lookups).
 * Columns and tables come only from the tables below; every user value,
 * including keys, is a placeholder. AND, OR and NOT of the filter tree
 * become the same SQL words around parenthesised terms, except that NOT
 * is "(...) IS NOT TRUE": a comparison on a NULL column (a running run's
 * end_time) is unknown in SQL, and a plain NOT would leave it unknown,
 * whereas filter.h promises that it is false and its NOT true. A filter
 * of ANDs only compiles to exactly the SQL it did before OR existed.
 * What differs between SQL dialects is in the `dialects` table only.
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

/* What differs between dialects. */
static const struct dialect_spec {
	const char *placeholder; /* printf format for the 1-based bind index */
	bool native_ilike;       /* else ILIKE is lower(x) LIKE lower(y) */
} dialects[] = {
	[SQL_SQLITE] = { "?%zu", false },
	[SQL_POSTGRES] = { "$%zu", true },
};

/* Attribute keys (canonical, from filter.c) to columns of the outer row. */
static const struct attr_column {
	enum filter_kind kind;
	const char *key;
	const char *column;
	bool nulls_last; /* nullable runs column: MLflow sorts NULL last both ways */
} attr_columns[] = {
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

/* Where a metric / param / tag / dataset field of the outer row lives:
 * "SELECT x <from> AND <key_open>?k<key_close>" finds its row(s). */
static const struct entity_source {
	enum filter_kind kind;
	enum filter_entity entity;
	const char *field;     /* dataset field; NULL: any key */
	const char *from;      /* FROM ... WHERE <correlation with the outer row> */
	const char *key_open;  /* NULL: the rows are not selected by key */
	const char *key_close;
	const char *fixed_key; /* bound instead of the condition's key */
	const char *value;     /* the column conditions compare */
	const char *nan_flag;  /* metrics: rows with the flag set never match */
} entity_sources[] = {
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

/* The entities whose rows a `datasets` scope narrows, and its columns. */
static const struct dataset_scope_cols {
	enum filter_kind kind;
	enum filter_entity entity;
	const char *name, *digest;
} dataset_scopes[] = {
	{ FILTER_LOGGED_MODELS, FE_METRIC, "gm.dataset_name", "gm.dataset_digest" },
};

/* Comparators that are "<column> <sql> <value>". */
static const struct {
	enum filter_op op;
	const char *sql;
} binary_ops[] = {
	{ FOP_EQ, " = " }, { FOP_NE, " != " }, { FOP_LT, " < " },	  { FOP_LE, " <= " },
	{ FOP_GT, " > " }, { FOP_GE, " >= " }, { FOP_LIKE, " LIKE " }, { FOP_ILIKE, " ILIKE " },
};

/* MLflow's tie-breakers, appended after the user's order_by terms. */
enum tie_when { TIE_ALWAYS, TIE_DEFAULT_ONLY, TIE_EXPLICIT_ONLY };

static const struct {
	enum filter_kind kind;
	enum tie_when when;     /* relative to whether order_by was given */
	const char *unless_key; /* skipped when the user ordered by this attribute */
	const char *sql;
} tie_breakers[] = {
	{ FILTER_RUNS, TIE_ALWAYS, "start_time", "r.start_time DESC" },
	{ FILTER_RUNS, TIE_ALWAYS, NULL, "r.run_uuid ASC" },
	{ FILTER_EXPERIMENTS, TIE_DEFAULT_ONLY, NULL, "e.creation_time DESC" },
	{ FILTER_EXPERIMENTS, TIE_DEFAULT_ONLY, NULL, "e.experiment_id ASC" },
	{ FILTER_EXPERIMENTS, TIE_EXPLICIT_ONLY, "experiment_id", "e.experiment_id DESC" },
	{ FILTER_REGISTERED_MODELS, TIE_ALWAYS, "name", "m.name ASC" },
	{ FILTER_MODEL_VERSIONS, TIE_DEFAULT_ONLY, NULL, "v.last_updated_time DESC" },
	{ FILTER_MODEL_VERSIONS, TIE_ALWAYS, "name", "m.name ASC" },
	{ FILTER_MODEL_VERSIONS, TIE_ALWAYS, "version_number", "v.version DESC" },
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

static void add_placeholder(enum sql_dialect d, struct buf *sql, size_t index)
{
	buf_addf(sql, dialects[d].placeholder, index);
}

void sqlgen_bind(enum sql_dialect d, struct buf *sql, struct sql_binds *binds, struct sql_bind b, struct arena *a)
{
	if (binds->n == binds->cap) {
		size_t cap = binds->cap ? binds->cap * 2 : 16;
		binds->items = arena_grow_array(a, binds->items, binds->n, cap, sizeof(*binds->items));
		binds->cap = cap;
	}
	binds->items[binds->n++] = b;
	add_placeholder(d, sql, binds->n);
}

static void bind_text(enum sql_dialect d, struct buf *sql, struct sql_binds *binds, const char *text,
		      struct arena *a)
{
	sqlgen_bind(d, sql, binds, (struct sql_bind){ .type = SQL_BIND_TEXT, .text = text }, a);
}

static void bind_value(enum sql_dialect d, struct buf *sql, struct sql_binds *binds, const struct filter_value *v,
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

static const struct attr_column *find_column(enum filter_kind kind, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(attr_columns); i++)
		if (attr_columns[i].kind == kind && !strcmp(attr_columns[i].key, key))
			return &attr_columns[i];
	return NULL;
}

static const struct entity_source *find_source(enum filter_kind kind, enum filter_entity e, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(entity_sources); i++) {
		const struct entity_source *s = &entity_sources[i];
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

static void compile_in_list(enum sql_dialect d, struct buf *sql, struct sql_binds *binds, const char *column,
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
static void compile_comparison(enum sql_dialect d, struct buf *sql, struct sql_binds *binds, const char *column,
			       const struct filter_cond *c, struct arena *a)
{
	if (c->op == FOP_IN || c->op == FOP_NOT_IN) {
		compile_in_list(d, sql, binds, column, c, a);
		return;
	}
	if (c->op == FOP_ILIKE && !dialects[d].native_ilike) { /* SQLite: LIKE is case-sensitive per connection */
		buf_addf(sql, "lower(%s) LIKE lower(", column);
		bind_value(d, sql, binds, &c->value, a);
		buf_addch(sql, ')');
		return;
	}
	buf_adds(sql, column);
	for (size_t i = 0; i < ARRAY_SIZE(binary_ops); i++)
		if (binary_ops[i].op == c->op)
			buf_adds(sql, binary_ops[i].sql);
	bind_value(d, sql, binds, &c->value, a);
}

/* "SELECT <what> FROM ... WHERE ... AND <key> = ?k"; returns the key's
 * placeholder index (0 when the source has no key) so a second subquery
 * can reuse it. Pass `key_index` != 0 to reuse one. */
static size_t subquery_head(enum sql_dialect d, struct buf *sql, struct sql_binds *binds,
			    const struct entity_source *s, const char *what, const char *key, size_t key_index,
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
static void dataset_scope(enum sql_dialect d, const struct entity_source *s, const struct sqlgen_datasets *ds,
			  struct buf *sql, struct sql_binds *binds, struct arena *a)
{
	const struct dataset_scope_cols *cols = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(dataset_scopes); i++)
		if (dataset_scopes[i].kind == s->kind && dataset_scopes[i].entity == s->entity)
			cols = &dataset_scopes[i];
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

static int where_entity(enum sql_dialect d, enum filter_kind kind, const struct filter_cond *c,
			const struct sqlgen_datasets *ds, struct buf *sql, struct sql_binds *binds, struct arena *a,
			struct mlf_err *err)
{
	const struct entity_source *s = find_source(kind, c->entity, c->key);
	if (!s)
		return unsupported(kind, "key", c->key, err);
	buf_adds(sql, c->op == FOP_IS_NULL ? "NOT EXISTS (" : "EXISTS (");
	subquery_head(d, sql, binds, s, "1", c->key, 0, a);
	if (c->op != FOP_IS_NULL && c->op != FOP_IS_NOT_NULL) {
		if (s->nan_flag)
			buf_addf(sql, " AND %s = 0", s->nan_flag);
		dataset_scope(d, s, ds, sql, binds, a);
		buf_adds(sql, " AND ");
		compile_comparison(d, sql, binds, s->value, c, a);
	}
	buf_addch(sql, ')');
	return 0;
}

static int where_attribute(enum sql_dialect d, enum filter_kind kind, const struct filter_cond *c, struct buf *sql,
			   struct sql_binds *binds, struct arena *a, struct mlf_err *err)
{
	const struct attr_column *col = find_column(kind, c->key);
	if (!col || c->op == FOP_IS_NULL || c->op == FOP_IS_NOT_NULL)
		return unsupported(kind, "attribute", c->key, err);
	compile_comparison(d, sql, binds, col->column, c, a);
	return 0;
}

static int where_cond(enum sql_dialect d, enum filter_kind kind, const struct filter_cond *c,
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
static int where_node(enum sql_dialect d, enum filter_kind kind, const struct filter_node *node,
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

int sqlgen_where_datasets(enum sql_dialect d, enum filter_kind kind, const struct filter *f,
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

int sqlgen_where(enum sql_dialect d, enum filter_kind kind, const struct filter *f, struct buf *where,
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

static int order_attribute(enum filter_kind kind, const struct order_term *t, struct buf *order,
			   struct mlf_err *err)
{
	const struct attr_column *col = find_column(kind, t->key);
	if (!col)
		return unsupported(kind, "attribute", t->key, err);
	if (col->nulls_last)
		buf_addf(order, "%s IS NULL, ", col->column);
	buf_addf(order, "%s%s", col->column, direction(t->ascending));
	return 0;
}

/* Two sort keys: a rank that puts missing (and NaN) last, then the value.
 * Both are scalar subqueries sharing one key placeholder. */
static int order_entity(enum sql_dialect d, enum filter_kind kind, const struct order_term *t, struct buf *order,
			struct sql_binds *binds, struct arena *a, struct mlf_err *err)
{
	const struct entity_source *s = find_source(kind, t->entity, t->key);
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

static void add_tie_breakers(enum filter_kind kind, const struct order_by *ob, struct buf *order, bool first)
{
	for (size_t i = 0; i < ARRAY_SIZE(tie_breakers); i++) {
		if (tie_breakers[i].kind != kind)
			continue;
		if ((tie_breakers[i].when == TIE_DEFAULT_ONLY && ob->n) ||
		    (tie_breakers[i].when == TIE_EXPLICIT_ONLY && !ob->n))
			continue;
		if (tie_breakers[i].unless_key && ordered_by(ob, tie_breakers[i].unless_key))
			continue;
		buf_addf(order, "%s%s", first ? "" : ", ", tie_breakers[i].sql);
		first = false;
	}
}

int sqlgen_order_by(enum sql_dialect d, enum filter_kind kind, const struct order_by *ob, struct buf *order,
		    struct sql_binds *binds, struct arena *a, struct mlf_err *err)
{
	for (size_t i = 0; i < ob->n; i++) {
		const struct order_term *t = &ob->terms[i];
		if (i)
			buf_adds(order, ", ");
		int rc = t->entity == FE_ATTRIBUTE ? order_attribute(kind, t, order, err)
						   : order_entity(d, kind, t, order, binds, a, err);
		if (rc < 0)
			return -1;
	}
	add_tie_breakers(kind, ob, order, ob->n == 0);
	return 0;
}
