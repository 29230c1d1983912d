/*
 * test_sqlgen.c - unit tests for the filter/order_by SQL compiler
 * (search/sqlgen.h).
 *
 * Two kinds of checks: the exact SQL text and bind list of representative
 * filters for both dialects (so a refactor cannot silently change what a
 * filter means), and execution against an in-memory SQLite database built
 * from src/store/schema_sqlite.h. That database holds the runs, datasets
 * and experiments of the recorded MLflow 2.17 transcripts (search_runs,
 * datasets, exp_search), and the queries assert the same rows in the same
 * order MLflow returned.
 */
#include "base/buf.h"
#include "search/filter.h"
#include "search/sqlgen.h"
#include "store/schema_sqlite.h"
#include "store/store_sqlite.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <sqlite3.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* The schemas the cases are written for: the SQLite backend's own, and the
 * same tables with PostgreSQL's placeholders and ILIKE, as a PostgreSQL
 * backend would describe them (sqlgen.h). */
enum test_dialect { SQL_SQLITE, SQL_POSTGRES };

static const struct sql_schema *schema_of(enum test_dialect d)
{
	static struct sql_schema postgres;
	if (d == SQL_SQLITE)
		return &store_sqlite_sql_schema;
	postgres = store_sqlite_sql_schema;
	postgres.name = "postgres";
	postgres.placeholder = "$%zu";
	postgres.native_ilike = true;
	return &postgres;
}

struct fixture {
	struct arena a;
	struct mlf_err err;
	sqlite3 *db;
};

static const char *const kind_names[] = { "runs", "experiments", "registered models", "model versions",
					   "logged models" };

static struct filter parse_filter(struct fixture *fx, enum filter_kind kind, const char *text)
{
	struct filter f;
	if (filter_parse(kind, text, &f, &fx->a, &fx->err) != 0)
		fail_msg("%s filter \"%s\" rejected: %s", kind_names[kind], text, fx->err.msg);
	return f;
}

static struct order_by parse_order(struct fixture *fx, enum filter_kind kind, const char *const *clauses)
{
	struct order_by ob;
	size_t n = 0;
	while (clauses && clauses[n])
		n++;
	if (order_by_parse(kind, clauses, n, &ob, &fx->a, &fx->err) != 0)
		fail_msg("order_by rejected: %s", fx->err.msg);
	return ob;
}

/* The bind list as text: T:acc D:0.8 I:5, space separated. */
static char *binds_text(struct fixture *fx, const struct sql_binds *b)
{
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < b->n; i++) {
		const struct sql_bind *x = &b->items[i];
		if (i)
			buf_addch(&out, ' ');
		if (x->type == SQL_BIND_TEXT)
			buf_addf(&out, "T:%s", x->text);
		else if (x->type == SQL_BIND_INT)
			buf_addf(&out, "I:%lld", (long long)x->i);
		else
			buf_addf(&out, "D:%g", x->d);
	}
	char *s = arena_strdup(&fx->a, out.ptr);
	buf_release(&out);
	return s;
}

/* ------------------------------------------------------------------ */
/* Exact SQL                                                           */

struct where_case {
	enum test_dialect dialect;
	enum filter_kind kind;
	const char *filter;
	const char *sql;
	const char *binds;
};

#define LM_KEY "lm.key_id = (SELECT mk.key_id FROM metric_keys mk WHERE mk.key = "
#define LM "FROM latest_metrics lm WHERE lm.run_pk = r.run_pk AND " LM_KEY
#define DS "FROM run_inputs ri JOIN datasets d ON d.dataset_pk = ri.dataset_pk WHERE ri.run_pk = r.run_pk"

static const struct where_case where_cases[] = {
	{ SQL_SQLITE, FILTER_RUNS, "metrics.acc > 0.8",
	  " AND (EXISTS (SELECT 1 " LM "?1) AND lm.is_nan = 0 AND lm.value > ?2))", "T:acc D:0.8" },
	{ SQL_POSTGRES, FILTER_RUNS, "metrics.acc != 1",
	  " AND (EXISTS (SELECT 1 " LM "$1) AND lm.is_nan = 0 AND lm.value != $2))", "T:acc I:1" },
	{ SQL_SQLITE, FILTER_RUNS, "params.opt = 'adam'",
	  " AND (EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.run_pk AND p.key = ?1 AND p.value = ?2))",
	  "T:opt T:adam" },
	{ SQL_SQLITE, FILTER_RUNS, "params.opt ILIKE 'a%'",
	  " AND (EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.run_pk AND p.key = ?1 AND lower(p.value) LIKE "
	  "lower(?2)))",
	  "T:opt T:a%" },
	{ SQL_POSTGRES, FILTER_RUNS, "params.opt ILIKE 'a%'",
	  " AND (EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.run_pk AND p.key = $1 AND p.value ILIKE $2))",
	  "T:opt T:a%" },
	{ SQL_SQLITE, FILTER_RUNS, "tags.`odd key` LIKE 'v%'",
	  " AND (EXISTS (SELECT 1 FROM tags t WHERE t.run_pk = r.run_pk AND t.key = ?1 AND t.value LIKE ?2))",
	  "T:odd key T:v%" },
	{ SQL_SQLITE, FILTER_RUNS, "tags.x IS NULL",
	  " AND (NOT EXISTS (SELECT 1 FROM tags t WHERE t.run_pk = r.run_pk AND t.key = ?1))", "T:x" },
	{ SQL_SQLITE, FILTER_RUNS, "params.x IS NOT NULL",
	  " AND (EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.run_pk AND p.key = ?1))", "T:x" },
	{ SQL_SQLITE, FILTER_RUNS, "attributes.run_id IN ('abc', 'DEF', 'def')",
	  " AND (r.run_uuid IN (?1, ?2))", "T:abc T:def" },
	{ SQL_SQLITE, FILTER_RUNS, "run_id IN ('ABC')", " AND (1 = 0)", "" },
	{ SQL_SQLITE, FILTER_RUNS, "run_id NOT IN ('ABC')", " AND (1 = 1)", "" },
	{ SQL_POSTGRES, FILTER_RUNS, "run_id NOT IN ('a', 'b')", " AND (r.run_uuid NOT IN ($1, $2))", "T:a T:b" },
	{ SQL_SQLITE, FILTER_RUNS, "attributes.run_name = 'r3'", " AND (r.name = ?1)", "T:r3" },
	{ SQL_SQLITE, FILTER_RUNS, "status != 'FINISHED'", " AND (r.status != ?1)", "T:FINISHED" },
	{ SQL_SQLITE, FILTER_RUNS, "attributes.start_time >= 1700000003000", " AND (r.start_time >= ?1)",
	  "I:1700000003000" },
	{ SQL_SQLITE, FILTER_RUNS, "created < 2.5", " AND (r.start_time < ?1)", "D:2.5" },
	{ SQL_SQLITE, FILTER_RUNS, "datasets.name = 'toy'", " AND (EXISTS (SELECT 1 " DS " AND d.name = ?1))",
	  "T:toy" },
	{ SQL_SQLITE, FILTER_RUNS, "datasets.digest IN ('a', 'b')",
	  " AND (EXISTS (SELECT 1 " DS " AND d.digest IN (?1, ?2)))", "T:a T:b" },
	{ SQL_SQLITE, FILTER_RUNS, "datasets.context = 'training'",
	  " AND (EXISTS (SELECT 1 FROM input_tags it WHERE it.run_pk = r.run_pk AND it.key = ?1 AND it.value = ?2))",
	  "T:mlflow.data.context T:training" },
	{ SQL_SQLITE, FILTER_RUNS, "metrics.a < 1 and params.b = 'x'",
	  " AND (EXISTS (SELECT 1 " LM "?1) AND lm.is_nan = 0 AND lm.value < ?2)) AND (EXISTS (SELECT 1 FROM params "
	  "p WHERE p.run_pk = r.run_pk AND p.key = ?3 AND p.value = ?4))",
	  "T:a I:1 T:b T:x" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, "name LIKE 'x%' AND tags.team = 'v'",
	  " AND (e.name LIKE ?1) AND (EXISTS (SELECT 1 FROM experiment_tags et WHERE et.experiment_id = "
	  "e.experiment_id AND et.key = ?2 AND et.value = ?3))",
	  "T:x% T:team T:v" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, "name ILIKE 'X'", " AND (lower(e.name) LIKE lower(?1))", "T:X" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, "creation_time > 5", " AND (e.creation_time > ?1)", "I:5" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, "tags.t IS NULL",
	  " AND (NOT EXISTS (SELECT 1 FROM experiment_tags et WHERE et.experiment_id = e.experiment_id AND et.key = "
	  "?1))",
	  "T:t" },
	{ SQL_SQLITE, FILTER_RUNS, "", "", "" },
	{ SQL_SQLITE, FILTER_REGISTERED_MODELS, "name LIKE 'cf-%' AND tags.`odd key` = 'x y'",
	  " AND (m.name LIKE ?1) AND (EXISTS (SELECT 1 FROM registered_model_tags rt WHERE rt.model_pk = m.model_pk "
	  "AND rt.key = ?2 AND rt.value = ?3))",
	  "T:cf-% T:odd key T:x y" },
	{ SQL_SQLITE, FILTER_MODEL_VERSIONS, "name = 'm' AND version_number > 2 AND run_id IN ('ab', 'CD')",
	  " AND (m.name = ?1) AND (v.version > ?2) AND (v.run_id IN (?3))", "T:m I:2 T:ab" },
	{ SQL_SQLITE, FILTER_MODEL_VERSIONS, "source_path ILIKE 'S3:%' AND tags.t != 'x'",
	  " AND (lower(v.source) LIKE lower(?1)) AND (EXISTS (SELECT 1 FROM model_version_tags vt WHERE vt.model_pk "
	  "= v.model_pk AND vt.version = v.version AND vt.key = ?2 AND vt.value != ?3))",
	  "T:S3:% T:t T:x" },
	/* OR / NOT / parentheses: the top AND stays a list of terms */
	{ SQL_SQLITE, FILTER_RUNS, "metrics.a > 1 OR NOT params.b = 'x'",
	  " AND ((EXISTS (SELECT 1 " LM "?1) AND lm.is_nan = 0 AND lm.value > ?2)) OR ((EXISTS (SELECT 1 FROM params "
	  "p WHERE p.run_pk = r.run_pk AND p.key = ?3 AND p.value = ?4)) IS NOT TRUE))",
	  "T:a I:1 T:b T:x" },
	{ SQL_SQLITE, FILTER_RUNS, "status = 'x' AND (run_name = 'a' OR run_name = 'b')",
	  " AND (r.status = ?1) AND ((r.name = ?2) OR (r.name = ?3))", "T:x T:a T:b" },
	{ SQL_SQLITE, FILTER_RUNS, "NOT end_time > 5", " AND ((r.end_time > ?1) IS NOT TRUE)", "I:5" },
	{ SQL_POSTGRES, FILTER_RUNS, "NOT tags.t IN ('a', 'b')",
	  " AND ((EXISTS (SELECT 1 FROM tags t WHERE t.run_pk = r.run_pk AND t.key = $1 AND t.value IN ($2, $3))) IS "
	  "NOT TRUE)",
	  "T:t T:a T:b" },
	{ SQL_SQLITE, FILTER_RUNS, "params.p NOT IN ('a')",
	  " AND (EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.run_pk AND p.key = ?1 AND p.value NOT IN (?2)))",
	  "T:p T:a" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, "(name = 'a' OR name = 'b') AND NOT (creation_time < 3 OR tags.t = 'x')",
	  " AND ((e.name = ?1) OR (e.name = ?2)) AND (((e.creation_time < ?3) OR (EXISTS (SELECT 1 FROM "
	  "experiment_tags et WHERE et.experiment_id = e.experiment_id AND et.key = ?4 AND et.value = ?5))) IS NOT "
	  "TRUE)",
	  "T:a T:b I:3 T:t T:x" },
	{ SQL_SQLITE, FILTER_MODEL_VERSIONS, "NOT (name = 'm' OR tags.k NOT IN ('x'))",
	  " AND (((m.name = ?1) OR (EXISTS (SELECT 1 FROM model_version_tags vt WHERE vt.model_pk = v.model_pk AND "
	  "vt.version = v.version AND vt.key = ?2 AND vt.value NOT IN (?3)))) IS NOT TRUE)",
	  "T:m T:k T:x" },
	{ SQL_SQLITE, FILTER_REGISTERED_MODELS, "name = 'a' OR tags.k IN ('x', 'y')",
	  " AND ((m.name = ?1) OR (EXISTS (SELECT 1 FROM registered_model_tags rt WHERE rt.model_pk = m.model_pk AND "
	  "rt.key = ?2 AND rt.value IN (?3, ?4))))",
	  "T:a T:k T:x T:y" },
	/* logged models: any non-NaN point of the key; '' model_type is "not given" */
	{ SQL_SQLITE, FILTER_LOGGED_MODELS, "metrics.acc >= 0.5 AND model_type IN ('a') AND creation_time > 3",
	  " AND (EXISTS (SELECT 1 FROM logged_model_metrics gm WHERE gm.model_id = g.model_id AND gm.key = ?1 AND "
	  "gm.is_nan = 0 AND gm.value >= ?2)) AND (NULLIF(g.model_type, '') IN (?3)) AND (g.creation_time > ?4)",
	  "T:acc D:0.5 T:a I:3" },
	{ SQL_SQLITE, FILTER_LOGGED_MODELS, "status = 'READY' OR tags.t LIKE 'x%'",
	  " AND (((CASE g.status WHEN 1 THEN 'PENDING' WHEN 2 THEN 'READY' WHEN 3 THEN 'FAILED' ELSE 'UNSPECIFIED' "
	  "END) = ?1) OR (EXISTS (SELECT 1 FROM logged_model_tags gt WHERE gt.model_id = g.model_id AND gt.key = ?2 "
	  "AND gt.value LIKE ?3)))",
	  "T:READY T:t T:x%" },
};

static void test_where_sql(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof(where_cases) / sizeof(where_cases[0]); i++) {
		const struct where_case *c = &where_cases[i];
		struct filter f = parse_filter(fx, c->kind, c->filter);
		struct buf sql = BUF_INIT;
		struct sql_binds binds = { 0 };
		assert_int_equal(sqlgen_where(schema_of(c->dialect), c->kind, &f, &sql, &binds, &fx->a, &fx->err), 0);
		if (strcmp(sql.ptr, c->sql))
			fail_msg("\"%s\":\n got  \"%s\"\n want \"%s\"", c->filter, sql.ptr, c->sql);
		const char *got = binds_text(fx, &binds);
		if (strcmp(got, c->binds))
			fail_msg("\"%s\": binds \"%s\", want \"%s\"", c->filter, got, c->binds);
		buf_release(&sql);
	}
}

/* `datasets` narrow the points a logged-model metric condition looks at,
 * and nothing else; a condition set aside is TRUE wherever it stands. */
static void test_dataset_scope_and_true(void **state)
{
	struct fixture *fx = *state;
	const char *names[] = { "train", "test" }, *digests[] = { "d1", NULL };
	struct sqlgen_datasets ds = { names, digests, 2 };
	struct filter f = parse_filter(fx, FILTER_LOGGED_MODELS, "metrics.acc > 1 AND params.p = 'x'");
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	assert_int_equal(sqlgen_where_datasets(schema_of(SQL_SQLITE), FILTER_LOGGED_MODELS, &f, &ds, &sql, &binds, &fx->a,
					       &fx->err),
			 0);
	assert_string_equal(sql.ptr, " AND (EXISTS (SELECT 1 FROM logged_model_metrics gm WHERE gm.model_id = "
				     "g.model_id AND gm.key = ?1 AND gm.is_nan = 0 AND ((gm.dataset_name = ?2 AND "
				     "gm.dataset_digest = ?3) OR (gm.dataset_name = ?4)) AND gm.value > ?5)) AND (EXISTS "
				     "(SELECT 1 FROM logged_model_params gp WHERE gp.model_id = g.model_id AND gp.key = ?6 "
				     "AND gp.value = ?7))");
	assert_string_equal(binds_text(fx, &binds), "T:acc T:train T:d1 T:test I:1 T:p T:x");
	buf_release(&sql);

	f = parse_filter(fx, FILTER_REGISTERED_MODELS, "name = 'a' AND NOT (tags.p = 'x' OR tags.q = 'y')");
	filter_assume_true(&f, "p");
	binds = (struct sql_binds){ 0 };
	assert_int_equal(sqlgen_where(schema_of(SQL_SQLITE), FILTER_REGISTERED_MODELS, &f, &sql, &binds, &fx->a, &fx->err), 0);
	assert_string_equal(sql.ptr, " AND (m.name = ?1) AND (((1 = 1) OR (EXISTS (SELECT 1 FROM registered_model_tags "
				     "rt WHERE rt.model_pk = m.model_pk AND rt.key = ?2 AND rt.value = ?3))) IS NOT TRUE)");
	assert_string_equal(binds_text(fx, &binds), "T:a T:q T:y");
	assert_int_equal(f.n, 3); /* the conditions as written stay */
	buf_release(&sql);
}

/* Tables, columns and flags come from the backend's description only: a
 * schema with boolean flags and its own table names gets its own SQL, and
 * a field it does not describe is refused, not guessed. */
static void test_schema_decides_tables_and_flags(void **state)
{
	struct fixture *fx = *state;
	static const struct sql_attr_column attrs[] = { { FILTER_RUNS, "status", "r.state", false } };
	static const struct sql_entity_source sources[] = {
		{ FILTER_RUNS, FE_METRIC, NULL, "FROM run_latest l WHERE l.run = r.id", "l.name = ", "", NULL, "l.val",
		  "l.nan" },
	};
	static const struct sql_tie_breaker ties[] = { { FILTER_RUNS, SQL_TIE_ALWAYS, NULL, "r.id ASC" } };
	const struct sql_schema other = { .name = "other", .placeholder = "$%zu", .native_ilike = true,
					  .flag_false = "FALSE", .attrs = attrs, .n_attrs = 1, .sources = sources,
					  .n_sources = 1, .ties = ties, .n_ties = 1 };
	struct filter f = parse_filter(fx, FILTER_RUNS, "metrics.acc > 1 AND status ILIKE 'f%'");
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	assert_int_equal(sqlgen_where(&other, FILTER_RUNS, &f, &sql, &binds, &fx->a, &fx->err), 0);
	assert_string_equal(sql.ptr, " AND (EXISTS (SELECT 1 FROM run_latest l WHERE l.run = r.id AND l.name = $1 AND "
				     "l.nan = FALSE AND l.val > $2)) AND (r.state ILIKE $3)");
	buf_release(&sql);
	struct order_by ob = parse_order(fx, FILTER_RUNS, (const char *const[]){ "metrics.acc DESC", NULL });
	binds = (struct sql_binds){ 0 };
	assert_int_equal(sqlgen_order_by(&other, FILTER_RUNS, &ob, &sql, &binds, &fx->a, &fx->err), 0);
	assert_string_equal(sql.ptr, "COALESCE((SELECT l.nan FROM run_latest l WHERE l.run = r.id AND l.name = $1), 2), "
				     "(SELECT l.val FROM run_latest l WHERE l.run = r.id AND l.name = $1) DESC, r.id ASC");
	buf_release(&sql);
	f = parse_filter(fx, FILTER_RUNS, "params.p = 'x'");
	binds = (struct sql_binds){ 0 };
	assert_int_equal(sqlgen_where(&other, FILTER_RUNS, &f, &sql, &binds, &fx->a, &fx->err), -1);
	assert_int_equal(fx->err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_string_equal(fx->err.msg, "Searching runs by key 'p' is not supported");
	buf_release(&sql);
}

/* The store binds its own values first; numbering continues from them. */
static void test_where_numbering_continues(void **state)
{
	struct fixture *fx = *state;
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	sqlgen_bind(schema_of(SQL_SQLITE), &sql, &binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = 28 }, &fx->a);
	sqlgen_bind(schema_of(SQL_SQLITE), &sql, &binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = 29 }, &fx->a);
	struct filter f = parse_filter(fx, FILTER_RUNS, "status = 'x'");
	assert_int_equal(sqlgen_where(schema_of(SQL_SQLITE), FILTER_RUNS, &f, &sql, &binds, &fx->a, &fx->err), 0);
	assert_string_equal(sql.ptr, "?1?2 AND (r.status = ?3)");
	assert_string_equal(binds_text(fx, &binds), "I:28 I:29 T:x");
	buf_release(&sql);
}

/* Hostile values never reach the SQL text: no quote character appears. */
static void test_values_are_never_inlined(void **state)
{
	struct fixture *fx = *state;
	static const char *const filters[] = {
		"params.x = '''; DROP TABLE runs; --'",
		"tags.\"a'b\" LIKE \"x'y\"",
		"run_id IN ('a''b', 'c')",
		"datasets.context NOT IN (' OR 1=1 --')",
		"attributes.run_name ILIKE 'x''%'",
		"params.x IN (') OR 1=1 --') OR NOT (tags.\"a'\" NOT IN ('\"'))",
	};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct filter f = parse_filter(fx, FILTER_RUNS, filters[i]);
		struct buf sql = BUF_INIT;
		struct sql_binds binds = { 0 };
		assert_int_equal(sqlgen_where(schema_of(SQL_SQLITE), FILTER_RUNS, &f, &sql, &binds, &fx->a, &fx->err), 0);
		if (strchr(sql.ptr, '\'') || strchr(sql.ptr, '"'))
			fail_msg("\"%s\" put a quote in the SQL: %s", filters[i], sql.ptr);
		buf_release(&sql);
	}
}

struct order_sql_case {
	enum test_dialect dialect;
	enum filter_kind kind;
	const char *order[3];
	const char *sql;
	const char *binds;
};

static const struct order_sql_case order_sql_cases[] = {
	{ SQL_SQLITE, FILTER_RUNS, { NULL }, "r.start_time DESC, r.run_uuid ASC", "" },
	{ SQL_SQLITE, FILTER_RUNS, { "metrics.acc DESC" },
	  "COALESCE((SELECT lm.is_nan " LM "?1)), 2), (SELECT lm.value " LM "?1)) DESC, r.start_time DESC, "
	  "r.run_uuid ASC",
	  "T:acc" },
	{ SQL_POSTGRES, FILTER_RUNS, { "params.lr", "tags.t DESC" },
	  "(SELECT p.value FROM params p WHERE p.run_pk = r.run_pk AND p.key = $1) IS NULL, (SELECT p.value FROM "
	  "params p WHERE p.run_pk = r.run_pk AND p.key = $1) ASC, (SELECT t.value FROM tags t WHERE t.run_pk = "
	  "r.run_pk AND t.key = $2) IS NULL, (SELECT t.value FROM tags t WHERE t.run_pk = r.run_pk AND t.key = $2) "
	  "DESC, r.start_time DESC, r.run_uuid ASC",
	  "T:lr T:t" },
	{ SQL_SQLITE, FILTER_RUNS, { "attributes.start_time ASC" }, "r.start_time ASC, r.run_uuid ASC", "" },
	{ SQL_SQLITE, FILTER_RUNS, { "created" }, "r.start_time ASC, r.run_uuid ASC", "" },
	{ SQL_SQLITE, FILTER_RUNS, { "end_time DESC" },
	  "r.end_time IS NULL, r.end_time DESC, r.start_time DESC, r.run_uuid ASC", "" },
	{ SQL_SQLITE, FILTER_RUNS, { "run_name", "run_id DESC" },
	  "r.name ASC, r.run_uuid DESC, r.start_time DESC, r.run_uuid ASC", "" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, { NULL }, "e.creation_time DESC, e.experiment_id ASC", "" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, { "name" }, "e.name ASC, e.experiment_id DESC", "" },
	{ SQL_SQLITE, FILTER_EXPERIMENTS, { "last_update_time DESC", "experiment_id" },
	  "e.last_update_time DESC, e.experiment_id ASC", "" },
	{ SQL_SQLITE, FILTER_REGISTERED_MODELS, { NULL }, "m.name ASC", "" },
	{ SQL_SQLITE, FILTER_REGISTERED_MODELS, { "timestamp DESC" }, "m.last_updated_time DESC, m.name ASC", "" },
	{ SQL_SQLITE, FILTER_REGISTERED_MODELS, { "name DESC" }, "m.name DESC", "" },
	{ SQL_SQLITE, FILTER_MODEL_VERSIONS, { NULL }, "v.last_updated_time DESC, m.name ASC, v.version DESC", "" },
	{ SQL_SQLITE, FILTER_MODEL_VERSIONS, { "name DESC", "version_number ASC" }, "m.name DESC, v.version ASC", "" },
	{ SQL_SQLITE, FILTER_MODEL_VERSIONS, { "creation_timestamp" }, "v.creation_time ASC, m.name ASC, v.version DESC",
	  "" },
};

static void test_order_by_sql(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof(order_sql_cases) / sizeof(order_sql_cases[0]); i++) {
		const struct order_sql_case *c = &order_sql_cases[i];
		struct order_by ob = parse_order(fx, c->kind, c->order);
		struct buf sql = BUF_INIT;
		struct sql_binds binds = { 0 };
		assert_int_equal(sqlgen_order_by(schema_of(c->dialect), c->kind, &ob, &sql, &binds, &fx->a, &fx->err), 0);
		if (strcmp(sql.ptr, c->sql))
			fail_msg("order case %zu:\n got  \"%s\"\n want \"%s\"", i, sql.ptr, c->sql);
		assert_string_equal(binds_text(fx, &binds), c->binds);
		buf_release(&sql);
	}
}

/* ------------------------------------------------------------------ */
/* The transcript database                                             */

static const char fixture_sql[] =
	/* experiments: search_runs (28, 29), datasets (2), exp_search (6..12), ours (30) */
	"INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time,"
	"  last_update_time) VALUES"
	" (2, 'cf-datasets-exp', 'x', 'active', 2, 2),"
	" (6, 'cf-exp-search-alpha', 'x', 'active', 1006, 1006),"
	" (7, 'cf-exp-search-beta', 'x', 'active', 1007, 1007),"
	" (8, 'cf-exp-search-gamma', 'x', 'active', 1008, 1008),"
	" (9, 'cf-exp-search-delta', 'x', 'active', 1009, 1009),"
	" (10, 'cf-exp-search-Epsilon', 'x', 'active', 1010, 1010),"
	" (11, 'cf-exp-search-zeta', 'x', 'deleted', 1011, 1011),"
	" (12, 'cf-exp-search-eta', 'x', 'active', 1012, 1012),"
	" (28, 'cf-search-runs-main', 'x', 'active', 28, 28),"
	" (29, 'cf-search-runs-other', 'x', 'active', 29, 29),"
	" (30, 'nan-and-nulls', 'x', 'active', 30, 30);"
	"INSERT INTO experiment_tags (experiment_id, key, value) VALUES"
	" (6, 'team', 'vision'), (6, 'stage', 'dev'), (6, 'odd key', 'v 1'),"
	" (7, 'team', 'nlp'), (7, 'stage', 'prod'),"
	" (8, 'team', 'vision'), (8, 'stage', 'prod'),"
	" (9, 'team', 'tabular'),"
	" (10, 'team', 'NLP'), (10, 'stage', 'dev'),"
	" (12, 'team', 'vision'), (12, 'odd key', 'v 2');"
	"INSERT INTO runs (run_pk, run_uuid, experiment_id, name, user_id, status, start_time, end_time,"
	"  lifecycle_stage) VALUES"
	" (1, '7f9041a1ba7b474faa115ac77299c1c3', 28, 'r0', 'unknown', 'FINISHED', 1700000000000, 1700000000100, 'active'),"
	" (2, '91788cfe3a6d4762b90ca91d32425613', 28, 'r1', 'unknown', 'FINISHED', 1700000001000, 1700000001200, 'active'),"
	" (3, 'd63c15e504a74b4aad8081f4aebb96bc', 28, 'r2', 'unknown', 'FAILED', 1700000002000, 1700000002300, 'active'),"
	" (4, 'b48522039f1c480c97b8427e80f07503', 28, 'r3', 'unknown', 'KILLED', 1700000003000, 1700000003400, 'active'),"
	" (5, '4d949e3a565044baa0074895269c93f7', 28, 'r4', 'unknown', 'FINISHED', 1700000004000, 1700000004500, 'active'),"
	" (6, 'babf6516770b46b9a51cdac47dbf5327', 28, 'r5', 'unknown', 'RUNNING', 1700000005000, NULL, 'active'),"
	" (7, '6b59e4881c734a088dbf090d4b79a909', 28, 'r6', 'unknown', 'FINISHED', 1700000006000, 1700000006700, 'active'),"
	" (8, '0647b33af18d4d6a8ddc312dcd27bce7', 28, 'deleted', 'unknown', 'RUNNING', 1700000007000, NULL, 'deleted'),"
	" (9, 'dc79b23f86414334b851db95de8724f5', 29, 'elsewhere', 'unknown', 'RUNNING', 1700000008000, NULL, 'active'),"
	" (10, '297d34f8e51a46648078e96d5c38be48', 2, 'with-train', 'root', 'FINISHED',"
	"  1795806950699, 1795806950841, 'active'),"
	" (11, '5f23dbf0c12d47a587e6dbe40f6b27a5', 2, 'with-train-again', 'root', 'FINISHED',"
	"  1795806950959, 1795806951713, 'active'),"
	" (12, '3388df79092a4d958a2d01e9f21bccdc', 2, 'no-data', 'root', 'FINISHED',"
	"  1795806951187, 1795806951305, 'active'),"
	" (13, 'a0000000000000000000000000000013', 30, 'zero', 'u', 'RUNNING', 13, NULL, 'active'),"
	" (14, 'a0000000000000000000000000000014', 30, 'nan', 'u', 'RUNNING', 14, NULL, 'active'),"
	" (15, 'a0000000000000000000000000000015', 30, 'one', 'u', 'RUNNING', 15, NULL, 'active'),"
	" (16, 'a0000000000000000000000000000016', 30, 'none', 'u', 'RUNNING', 16, NULL, 'active'),"
	" (17, 'a0000000000000000000000000000017', 30, 'minus', 'u', 'RUNNING', 17, NULL, 'active');"
	"INSERT INTO metric_keys (key_id, key) VALUES (1, 'acc'), (2, 'loss'), (3, 'm');"
	"INSERT INTO latest_metrics (run_pk, key_id, value, timestamp, step, is_nan) VALUES"
	" (1, 1, 0.7, 0, 0, 0), (1, 2, 0.9, 0, 0, 0),"
	" (2, 1, 0.85, 0, 0, 0), (2, 2, 0.5, 0, 0, 0),"
	" (3, 1, 0.91, 0, 0, 0), (3, 2, 0.3, 0, 0, 0),"
	" (4, 1, 0.6, 0, 0, 0), (4, 2, 1.2, 0, 0, 0),"
	" (5, 1, 0.91, 0, 0, 0), (5, 2, 0.25, 0, 0, 0),"
	" (6, 2, 2.0, 0, 0, 0),"
	" (7, 1, 0.99, 0, 0, 0),"
	" (8, 1, 0.95, 0, 0, 0),"
	" (9, 1, 0.8, 0, 0, 0),"
	" (12, 3, 1.0, 0, 0, 0),"
	/* NaN is stored as value 0 with is_nan = 1 */
	" (13, 3, 0.0, 0, 0, 0), (14, 3, 0.0, 0, 0, 1), (15, 3, 1.0, 0, 0, 0), (17, 3, -1.0, 0, 0, 0);"
	"INSERT INTO params (run_pk, key, value) VALUES"
	" (1, 'lr', '0.1'), (1, 'opt', 'adam'), (2, 'lr', '0.01'), (2, 'opt', 'sgd'),"
	" (3, 'lr', '0.001'), (3, 'opt', 'adam'), (4, 'lr', '0.1'), (4, 'opt', 'rmsprop'),"
	" (5, 'lr', '0.05'), (5, 'opt', 'sgd'), (6, 'lr', '0.2'), (6, 'opt', 'adam'),"
	" (7, 'lr', '1e-4'), (7, 'opt', 'Adam'), (8, 'lr', '0.1'), (9, 'lr', '0.1');"
	"INSERT INTO tags (run_pk, key, value) VALUES"
	" (1, 'kind', 'fixture'), (1, 'odd key', 'v0'), (1, 'team', 'vision'),"
	" (2, 'kind', 'fixture'), (2, 'odd key', 'v1'), (2, 'team', 'vision'),"
	" (3, 'kind', 'fixture'), (3, 'odd key', 'v2'), (3, 'team', 'nlp'),"
	" (4, 'kind', 'fixture'), (4, 'odd key', 'v0'), (4, 'team', 'nlp'),"
	" (5, 'kind', 'fixture'), (5, 'odd key', 'v1'), (5, 'team', 'tabular'),"
	" (6, 'kind', 'fixture'), (6, 'odd key', 'v2'), (6, 'team', 'vision'),"
	" (7, 'kind', 'fixture'), (7, 'odd key', 'v0'),"
	" (9, 'team', 'vision');"
	"INSERT INTO datasets (dataset_pk, dataset_uuid, experiment_id, name, digest, source_type, source) VALUES"
	" (1, 'd1', 2, 'toy-train', 'e6058d75', 'code', '{}'),"
	" (2, 'd2', 2, 'toy-numpy', '4ccdccbc', 'code', '{}');"
	"INSERT INTO run_inputs (run_pk, dataset_pk, seq) VALUES (10, 1, 0), (10, 2, 1), (11, 1, 0), (11, 2, 1);"
	"INSERT INTO input_tags (run_pk, dataset_pk, key, value) VALUES"
	" (10, 1, 'split', 'train'), (10, 1, 'mlflow.data.context', 'training'),"
	" (10, 2, 'mlflow.data.context', 'eval'),"
	" (11, 1, 'mlflow.data.context', 'validation'), (11, 2, 'mlflow.data.context', 'test');";

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sqlite: %s", msg ? msg : "?");
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx || sqlite3_open(":memory:", &fx->db) != SQLITE_OK)
		return -1;
	*state = fx;
	for (size_t i = 0; i < sizeof(schema_sqlite_migrations) / sizeof(schema_sqlite_migrations[0]); i++)
		exec_sql(fx->db, schema_sqlite_migrations[i]);
	exec_sql(fx->db, "PRAGMA case_sensitive_like = ON;");
	exec_sql(fx->db, fixture_sql);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	sqlite3_close(fx->db);
	arena_release(&fx->a);
	free(fx);
	return 0;
}

static void bind_all(sqlite3_stmt *s, const struct sql_binds *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct sql_bind *x = &b->items[i];
		int idx = (int)i + 1;
		if (x->type == SQL_BIND_TEXT)
			sqlite3_bind_text(s, idx, x->text, -1, SQLITE_STATIC);
		else if (x->type == SQL_BIND_INT)
			sqlite3_bind_int64(s, idx, x->i);
		else
			sqlite3_bind_double(s, idx, x->d);
	}
}

/* Runs `sql` and returns the first column of every row joined by ','. */
static char *query_names(struct fixture *fx, const struct buf *sql, const struct sql_binds *binds)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(fx->db, sql->ptr, (int)sql->len, &s, NULL) != SQLITE_OK)
		fail_msg("prepare failed: %s\n%s", sqlite3_errmsg(fx->db), sql->ptr);
	bind_all(s, binds);
	struct buf out = BUF_INIT;
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_addf(&out, "%s%s", out.len ? "," : "", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	char *names = arena_strdup(&fx->a, out.ptr);
	buf_release(&out);
	return names;
}

/* A search request: what the store would be asked, and MLflow's answer. */
struct search_case {
	const char *filter;
	const char *order[3];
	const char *expect;   /* names in order, comma separated */
	const char *exps;     /* runs: experiment ids, e.g. "28,29" */
	const char *view;     /* lifecycle_stage, or "" for ALL */
	int limit, offset;    /* limit 0: no LIMIT */
};

static void add_limit(struct buf *sql, struct sql_binds *binds, const struct search_case *c, struct arena *a)
{
	if (!c->limit)
		return;
	buf_adds(sql, " LIMIT ");
	sqlgen_bind(schema_of(SQL_SQLITE), sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = c->limit }, a);
	buf_adds(sql, " OFFSET ");
	sqlgen_bind(schema_of(SQL_SQLITE), sql, binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = c->offset }, a);
}

/* Builds the query the way the store does: its own conditions first (as
 * placeholders), then sqlgen's WHERE and ORDER BY, then LIMIT/OFFSET. */
static void check_search(struct fixture *fx, enum filter_kind kind, const struct search_case *c)
{
	struct buf sql = BUF_INIT;
	struct sql_binds binds = { 0 };
	struct filter f = parse_filter(fx, kind, c->filter);
	struct order_by ob = parse_order(fx, kind, c->order);
	const char *view = c->view ? c->view : "active";

	if (kind == FILTER_RUNS) {
		const char *exps = c->exps ? c->exps : "28";
		buf_adds(&sql, "SELECT r.name FROM runs r WHERE r.experiment_id IN (");
		char *end;
		for (const char *p = exps; *p; p = end + (*end == ',')) {
			int64_t id = strtoll(p, &end, 10);
			if (p != exps)
				buf_adds(&sql, ", ");
			sqlgen_bind(schema_of(SQL_SQLITE), &sql, &binds, (struct sql_bind){ .type = SQL_BIND_INT, .i = id }, &fx->a);
		}
		buf_addch(&sql, ')');
		if (*view)
			buf_addf(&sql, " AND r.lifecycle_stage = '%s'", view);
	} else {
		buf_adds(&sql, "SELECT replace(e.name, 'cf-exp-search-', '') FROM experiments e WHERE 1");
		if (*view)
			buf_addf(&sql, " AND e.lifecycle_stage = '%s'", view);
	}
	assert_int_equal(sqlgen_where(schema_of(SQL_SQLITE), kind, &f, &sql, &binds, &fx->a, &fx->err), 0);
	buf_adds(&sql, " ORDER BY ");
	assert_int_equal(sqlgen_order_by(schema_of(SQL_SQLITE), kind, &ob, &sql, &binds, &fx->a, &fx->err), 0);
	add_limit(&sql, &binds, c, &fx->a);

	const char *got = query_names(fx, &sql, &binds);
	if (strcmp(got, c->expect))
		fail_msg("filter \"%s\" order \"%s\":\n got  %s\n want %s\nSQL: %s", c->filter,
			 c->order[0] ? c->order[0] : "", got, c->expect, sql.ptr);
	buf_release(&sql);
}

/* Q(filter, expected names, order_by...): runs of experiment 28 or
 * experiments, active rows only. QV adds experiment ids ("28,29"), the
 * lifecycle view ("" = ALL), LIMIT and OFFSET (limit 0 = none). */
#define Q(f, want, ...) { .filter = (f), .expect = (want), .order = { __VA_ARGS__ } }
#define QV(f, want, ids, v, lim, off, ...)                                                           \
	{ .filter = (f), .expect = (want), .exps = (ids), .view = (v), .limit = (lim), .offset = (off), \
	  .order = { __VA_ARGS__ } }

#define ALL_R "r6,r5,r4,r3,r2,r1,r0"

/* search_runs.jsonl, experiment 28 unless noted; comments give the seq. */
static const struct search_case run_cases[] = {
	Q("", ALL_R, NULL), /* 34 */
	Q("metrics.acc > 0.8", "r6,r4,r2,r1", NULL), /* 35 */
	Q("metrics.acc >= 0.91", "r6,r4,r2", NULL), /* 36 */
	Q("metrics.acc = 0.91", "r4,r2", NULL), /* 37 */
	Q("metrics.acc != 0.91", "r6,r3,r1,r0", NULL), /* 38 */
	Q("metrics.loss < 0.5", "r4,r2", NULL), /* 39 */
	Q("metrics.loss <= 0.5 and metrics.acc > 0.9", "r4,r2", NULL), /* 40 */
	Q("params.opt = 'adam'", "r5,r2,r0", NULL), /* 41 */
	Q("params.opt != 'adam'", "r6,r4,r3,r1", NULL), /* 42 */
	Q("params.opt LIKE 'a%'", "r5,r2,r0", NULL), /* 43 */
	Q("params.opt ILIKE 'a%'", "r6,r5,r2,r0", NULL), /* 44 */
	Q("params.lr = '0.1'", "r3,r0", NULL), /* 47 */
	Q("tags.team = 'vision'", "r5,r1,r0", NULL), /* 48 */
	Q("tags.team != 'vision'", "r4,r3,r2", NULL), /* 49 */
	Q("tags.team LIKE '%a%'", "r4", NULL), /* 50 */
	Q("tags.`odd key` = 'v1'", "r4,r1", NULL), /* 52 */
	Q("tags.\"odd key\" != 'v1'", "r6,r5,r3,r2,r0", NULL), /* 53 */
	Q("tag.kind = 'fixture' and param.opt = 'sgd'", "r4,r1", NULL), /* 54 */
	Q("attributes.status = 'FINISHED'", "r6,r4,r1,r0", NULL), /* 55 */
	Q("attributes.status != 'FINISHED'", "r5,r3,r2", NULL), /* 56 */
	Q("status = 'RUNNING'", "r5", NULL), /* 58 */
	Q("attributes.run_name = 'r3'", "r3", NULL), /* 59 */
	Q("attributes.run_name LIKE 'r%'", ALL_R, NULL), /* 60 */
	Q("attributes.run_name ILIKE 'R1'", "r1", NULL), /* 61 */
	Q("attributes.start_time >= 1700000003000", "r6,r5,r4,r3", NULL), /* 63 */
	Q("attributes.start_time < 1700000002000 and metrics.acc > 0.5", "r1,r0", NULL), /* 64 */
	Q("attributes.end_time > 1700000004000", "r6,r4", NULL), /* 65 */
	Q("attributes.run_id IN ('91788cfe3a6d4762b90ca91d32425613', '4d949e3a565044baa0074895269c93f7')", "r4,r1",
	  NULL), /* 66 */
	Q("attributes.run_id = 'd63c15e504a74b4aad8081f4aebb96bc'", "r2", NULL), /* 67 */
	Q("attributes.run_id NOT IN ('d63c15e504a74b4aad8081f4aebb96bc')", "r6,r5,r4,r3,r1,r0", NULL), /* 68 */
	Q("metrics.missing > 0", "", NULL), /* 69 */
	Q("params.lr = '1e-4' and tags.team = 'nlp'", "", NULL), /* 70 */
	Q("", "r6,r4,r2,r1,r0,r3,r5", "metrics.acc DESC"), /* 71 */
	Q("", "r3,r0,r1,r4,r2,r6,r5", "metrics.acc ASC"), /* 72 */
	Q("", "r4,r2,r1,r0,r3,r5,r6", "metrics.loss"), /* 73 */
	Q("", "r6,r2,r4,r1,r0,r3,r5", "metrics.acc DESC", "params.lr ASC"), /* 74 */
	Q("", "r6,r5,r2,r0,r3,r4,r1", "params.opt ASC", "attributes.start_time DESC"), /* 75 */
	Q("", "r6,r5,r3,r0,r4,r1,r2", "params.lr DESC"), /* 76 */
	Q("", "r3,r2,r4,r5,r1,r0,r6", "tags.team ASC"), /* 77 */
	Q("", ALL_R, "attributes.run_name DESC"), /* 78 */
	Q("", "r0,r1,r2,r3,r4,r5,r6", "attributes.start_time ASC"), /* 79 */
	Q("", "r6,r4,r3,r2,r1,r0,r5", "attributes.end_time DESC"), /* 80 */
	Q("", "r2,r0,r1,r4,r6,r3,r5", "attributes.status ASC", "attributes.run_name ASC"), /* 81 */
	Q("", "r6,r4,r2,r1,r0,r3,r5", "`metrics`.`acc` DESC"), /* 82 */
	QV("", "deleted", "28", "deleted", 0, 0, NULL), /* 83 */
	QV("", "deleted,r0,r1,r2,r3,r4,r5,r6", "28", "", 0, 0, "attributes.run_name ASC"), /* 84 */
	QV("tags.team = 'vision'", "elsewhere,r5,r1,r0", "28,29", NULL, 0, 0, NULL), /* 85 */
	QV("params.lr = '0.1'", "elsewhere,deleted,r3,r0", "29,28", "", 0, 0, NULL), /* 86 */
	QV("tags.kind = 'fixture'", "r6,r4,r2", NULL, NULL, 3, 0, "metrics.acc DESC"), /* 87 */
	QV("tags.kind = 'fixture'", "r1,r0,r3", NULL, NULL, 3, 3, "metrics.acc DESC"), /* 88 */
	QV("tags.kind = 'fixture'", "r5", NULL, NULL, 3, 6, "metrics.acc DESC"), /* 89 */
	Q("metrics.acc > 0.8", "r6,r2,r4,r1", "metrics.acc DESC", "attributes.run_name ASC"), /* 90 */
	QV("", "r0,r1,r2,r3", NULL, NULL, 4, 0, "attributes.start_time ASC"), /* 93 */
	/* nested_runs.jsonl: unquoted dotted tag keys */
	Q("tags.mlflow.parentRunId = 'x'", "", NULL),
	/* datasets.jsonl 26-31 (experiment 2) */
	QV("datasets.name = 'toy-train'", "with-train,with-train-again", "2", NULL, 0, 0, "attributes.run_name ASC"),
	QV("datasets.context = 'training'", "with-train", "2", NULL, 0, 0, "attributes.run_name ASC"),
	QV("datasets.context IN ('validation', 'test')", "with-train-again", "2", NULL, 0, 0, "attributes.run_name ASC"),
	QV("datasets.digest = 'e6058d75'", "with-train,with-train-again", "2", NULL, 0, 0, "attributes.run_name ASC"),
	QV("datasets.name LIKE 'toy-%' and datasets.context = 'eval'", "with-train", "2", NULL, 0, 0,
	   "attributes.run_name ASC"),
	QV("datasets.name != 'toy-numpy'", "with-train,with-train-again", "2", NULL, 0, 0, "attributes.run_name ASC"),
	/* beyond the transcripts: our own decisions */
	QV("datasets.name NOT IN ('toy-numpy', 'toy-train')", "", "2", NULL, 0, 0, NULL),
	QV("datasets.name ILIKE 'TOY-T%'", "with-train,with-train-again", "2", NULL, 0, 0, "run_name"),
	QV("datasets.context LIKE 'T%'", "", "2", NULL, 0, 0, NULL),
	Q("tags.team IS NULL", "r6", NULL),
	Q("tags.team IS NOT NULL", "r5,r4,r3,r2,r1,r0", NULL),
	Q("params.opt IS NULL", "", NULL),
	Q("params.lr IS NOT NULL and params.lr = '0.1'", "r3,r0", NULL),
	Q("run_id IN ('ABC')", "", NULL),
	Q("run_id NOT IN ('ABC')", ALL_R, NULL),
	Q("run_id IN ('D63C15E504A74B4AAD8081F4AEBB96BC', 'd63c15e504a74b4aad8081f4aebb96bc')", "r2", NULL),
	Q("params.opt = 'Adam'", "r6", NULL),
	Q("params.opt LIKE 'A%'", "r6", NULL),
	Q("attributes.run_name ILIKE 'r_'", "r0,r1,r2,r3,r4,r5,r6", "run_name"),
	Q("params.a = '''; DROP TABLE runs; --'", "", NULL),
	Q("created > 1700000005000", "r6", "created DESC"),
	Q("metrics.acc > 0.5 and metrics.acc < 0.8", "r3,r0", NULL),
	Q("params.lr = '0.1' and params.lr != '0.2'", "r3,r0", NULL),
	/* beyond MLflow: OR, NOT, parentheses, IN on params and tags */
	Q("metrics.acc = 1 or metrics.acc = 2", "", NULL), /* 99 (MLflow: 400) */
	Q("metrics.acc = 0.6 or metrics.acc = 0.99", "r6,r3", NULL),
	Q("metrics.acc > 0.9 OR metrics.loss > 1", "r6,r5,r4,r3,r2", NULL),
	Q("NOT (metrics.acc > 0.8)", "r5,r3,r0", NULL),   /* r5 has no acc: NOT matches it */
	Q("metrics.acc <= 0.8", "r3,r0", NULL),           /* ... a comparison does not */
	Q("NOT attributes.end_time > 1700000004000", "r5,r3,r2,r1,r0", NULL), /* r5: NULL end_time */
	Q("attributes.end_time <= 1700000004000", "r3,r2,r1,r0", NULL),
	Q("params.opt IN ('sgd', 'rmsprop')", "r4,r3,r1", NULL),      /* 45 (MLflow: 400) */
	Q("params.opt NOT IN ('sgd', 'rmsprop')", "r6,r5,r2,r0", NULL), /* 46 (MLflow: 400) */
	Q("tags.team IN ('nlp', 'tabular')", "r4,r3,r2", NULL),         /* 51 (MLflow: 400) */
	Q("tags.team NOT IN ('nlp')", "r5,r4,r1,r0", NULL), /* r6 has no team */
	Q("NOT tags.team IN ('nlp')", "r6,r5,r4,r1,r0", NULL),
	Q("tags.team = 'nlp' OR params.opt = 'sgd' AND metrics.acc > 0.9", "r4,r3,r2", NULL),
	Q("(tags.team = 'nlp' OR params.opt = 'sgd') AND metrics.acc > 0.9", "r4,r2", NULL),
	Q("NOT (status = 'FINISHED' OR status = 'RUNNING')", "r3,r2", NULL),
	Q("run_id IN ('d63c15e504a74b4aad8081f4aebb96bc') or run_name = 'r0'", "r2,r0", NULL),
	Q("NOT NOT tags.team IS NULL", "r6", NULL),
	Q("NOT (params.opt LIKE 'a%' AND NOT tags.team = 'vision')", "r6,r5,r4,r3,r1,r0", NULL),
	QV("NOT metrics.m > 0", "minus,none,nan,zero", "30", NULL, 0, 0, NULL), /* NaN and missing match */
	QV("metrics.m <= 0 OR metrics.m > 0", "minus,one,zero", "30", NULL, 0, 0, NULL),
	/* NaN: stored value 0 with is_nan = 1; it matches no condition */
	QV("metrics.m = 0", "zero", "30", NULL, 0, 0, NULL),
	QV("metrics.m != 1", "minus,zero", "30", NULL, 0, 0, NULL),
	QV("metrics.m < 5", "minus,one,zero", "30", NULL, 0, 0, NULL),
	QV("metrics.m >= -1", "minus,zero,one", "30", NULL, 0, 0, "metrics.m ASC"),
	/* numbers, then NaN, then missing, in both directions */
	QV("", "minus,zero,one,nan,none", "30", NULL, 0, 0, "metrics.m ASC"),
	QV("", "one,zero,minus,nan,none", "30", NULL, 0, 0, "metrics.m DESC"),
};

static void test_runs_against_sqlite(void **state)
{
	for (size_t i = 0; i < sizeof(run_cases) / sizeof(run_cases[0]); i++)
		check_search(*state, FILTER_RUNS, &run_cases[i]);
}

#define CF "name LIKE 'cf-exp-search-%'"
#define BY_CREATION "eta,Epsilon,delta,gamma,beta,alpha"
#define BY_NAME "Epsilon,alpha,beta,delta,eta,gamma"

/* exp_search.jsonl; names are shown without "cf-exp-search-". */
static const struct search_case experiment_cases[] = {
	Q(CF, BY_CREATION, NULL), /* 9 */
	QV(CF, "eta,zeta,Epsilon,delta,gamma,beta,alpha", NULL, "", 0, 0, NULL), /* 10 */
	QV(CF, "zeta", NULL, "deleted", 0, 0, NULL), /* 11 */
	Q(CF, BY_NAME, "name ASC"), /* 12 */
	Q(CF, "gamma,eta,delta,beta,alpha,Epsilon", "name DESC"), /* 13 */
	Q(CF, BY_CREATION, "experiment_id DESC"), /* 14 */
	Q(CF, "alpha,beta,gamma,delta,Epsilon,eta", "creation_time ASC"), /* 15 */
	Q(CF, BY_CREATION, "last_update_time DESC", "name ASC"), /* 16 */
	Q("name ILIKE 'CF-EXP-SEARCH-%'", BY_NAME, "name ASC"), /* 18 */
	Q("name = 'cf-exp-search-beta'", "beta", NULL), /* 19 */
	Q("name != 'cf-exp-search-beta' AND " CF, "Epsilon,alpha,delta,eta,gamma", "name"), /* 20 */
	Q("name LIKE 'cf-exp-search-%a' ", "alpha,beta,delta,eta,gamma", "name"), /* 21 */
	Q(CF " AND tags.team = 'vision'", "alpha,eta,gamma", "name ASC"), /* 22 */
	Q(CF " AND tags.team ILIKE 'nlp'", "Epsilon,beta", "name ASC"), /* 23 */
	Q(CF " AND tags.team LIKE 'v%'", "alpha,eta,gamma", "name ASC"), /* 24 */
	Q(CF " AND tags.team LIKE 'nlp'", "beta", "name ASC"), /* 25 */
	Q(CF " AND tags.team != 'vision'", "Epsilon,beta,delta", "name ASC"), /* 26 */
	Q(CF " AND tags.`odd key` = 'v 2'", "eta", NULL), /* 27 */
	Q(CF " AND tags.\"odd key\" LIKE 'v%'", "alpha,eta", "name ASC"), /* 28 */
	Q(CF " AND tags.stage = 'prod' AND tags.team = 'nlp'", "beta", NULL), /* 29 */
	Q(CF " AND tags.missing = 'x'", "", NULL), /* 30 */
	Q("attribute.name LIKE 'cf-exp-search-%' AND tags.team = 'vision'", "gamma,eta,alpha",
	  "attribute.name DESC"), /* 31 */
	QV(CF, "Epsilon,alpha", NULL, NULL, 2, 0, "name ASC"), /* 32 */
	QV(CF, "beta,delta", NULL, NULL, 2, 2, "name ASC"), /* 33 */
	QV(CF, "eta,gamma", NULL, NULL, 2, 4, "name ASC"), /* 34 */
	QV(CF, "", NULL, NULL, 2, 6, "name ASC"),
	Q("name = 'cf-raw-protocol-exp'", "", NULL),
	/* beyond the transcripts */
	Q(CF " AND tags.stage IS NULL", "eta,delta", NULL),
	Q(CF " AND tags.stage IS NOT NULL", "Epsilon,gamma,beta,alpha", NULL),
	Q(CF " AND creation_time >= 1009 AND last_update_time < 1012", "delta,Epsilon", "creation_time"),
	Q("name LIKE 'CF-%'", "", NULL),
	Q(CF " AND (tags.team = 'nlp' OR tags.stage = 'dev')", "Epsilon,alpha,beta", "name"),
	Q(CF " AND NOT tags.team = 'vision'", "Epsilon,beta,delta", "name"),
	Q(CF " AND NOT tags.stage IS NOT NULL", "delta,eta", "name"),
	Q(CF " AND tags.team IN ('nlp', 'NLP')", "Epsilon,beta", "name"),
	Q("name = 'cf-exp-search-beta' OR name = 'cf-exp-search-eta' OR name = 'nope'", "beta,eta", "name"),
};

static void test_experiments_against_sqlite(void **state)
{
	for (size_t i = 0; i < sizeof(experiment_cases) / sizeof(experiment_cases[0]); i++)
		check_search(*state, FILTER_EXPERIMENTS, &experiment_cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_where_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_where_numbering_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_decides_tables_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dataset_scope_and_true, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_are_never_inlined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_by_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_against_sqlite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_experiments_against_sqlite, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
