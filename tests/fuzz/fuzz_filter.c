/*
 * fuzz_filter.c - libFuzzer target for the search DSL (src/search/filter.h)
 * and its SQL compiler (src/search/sqlgen.h): what a client puts in
 * filter / filter_string / order_by of every search.
 *
 * Input: the first byte picks the entity (runs, experiments, registered
 * models, model versions, logged models) and whether the rest is a filter
 * or order_by clauses (one per line); the rest is the text. Besides "no
 * crash, no leak, no undefined behaviour" it asserts: a refusal is
 * INVALID_PARAMETER_VALUE with a message; a parsed filter's tree agrees
 * with its `conds` (leaves in order, AND/OR with two or more kids, NOT
 * with one, never deeper than FILTER_MAX_DEPTH); what compiles, in both
 * dialects, uses exactly the placeholders 1..binds.n (every bound value
 * has one, none is dangling); and the SQLite text prepares against the
 * real schema (src/store/schema_sqlite.h) inside the store's SELECT,
 * with sqlite3_bind_parameter_count equal to binds.n, and runs to the end
 * on the empty tables with every value bound. Seeds:
 * tests/fuzz/corpus/filter/ (`make fuzz`).
 */
#include "base/buf.h"
#include "search/filter.h"
#include "search/sqlgen.h"
#include "store/schema_sqlite.h"
#include "store/store_sqlite.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

/* Both dialects sqlgen is written for: the SQLite backend's schema, and
 * the same tables with PostgreSQL's placeholders and ILIKE. */
enum fuzz_dialect { SQL_SQLITE, SQL_POSTGRES };

static const struct sql_schema *schema_of(enum fuzz_dialect d)
{
	static struct sql_schema postgres;
	if (d == SQL_SQLITE)
		return &store_sqlite_sql_schema;
	postgres = store_sqlite_sql_schema;
	postgres.placeholder = "$%zu";
	postgres.native_ilike = true;
	return &postgres;
}

#include "fuzz_check.h"

#define N_KINDS 5

/* The FROM part each store puts before the compiled filter (the aliases of
 * sqlgen.h). */
static const char *const from_of_kind[N_KINDS] = {
	"SELECT 1 FROM runs r WHERE 1",
	"SELECT 1 FROM experiments e WHERE 1",
	"SELECT 1 FROM registered_models m WHERE 1",
	"SELECT 1 FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk WHERE 1",
	"SELECT 1 FROM logged_models g WHERE 1",
};

static sqlite3 *db;

static void open_db(void)
{
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	for (size_t i = 0; i < sizeof(schema_sqlite_migrations) / sizeof(schema_sqlite_migrations[0]); i++)
		if (sqlite3_exec(db, schema_sqlite_migrations[i], NULL, NULL, NULL) != SQLITE_OK)
			abort();
	sqlite3_exec(db, "PRAGMA case_sensitive_like=ON;", NULL, NULL, NULL);
}

/* Checks the tree below `n` and counts its leaves, matching them against
 * f->conds in order. */
static void check_node(const struct filter *f, const struct filter_node *n, size_t *leaf, int depth)
{
	CHECK(depth <= 2 * FILTER_MAX_DEPTH + 2);
	switch (n->type) {
	case FN_COND:
		CHECK(*leaf < f->n && n->cond == &f->conds[*leaf]);
		(*leaf)++;
		return;
	case FN_TRUE:
		CHECK(false); /* only filter_assume_true makes these */
		return;
	case FN_NOT:
		CHECK(n->n_kids == 1);
		break;
	case FN_AND:
	case FN_OR:
		CHECK(n->n_kids >= 2);
		break;
	}
	for (size_t i = 0; i < n->n_kids; i++) {
		CHECK(n->kids[i]);
		CHECK(n->kids[i]->type != n->type || n->type == FN_NOT); /* chains are flattened */
		check_node(f, n->kids[i], leaf, depth + 1);
	}
}

/* Placeholders in `sql` written as `mark` digits ('?' or '$'): every one in
 * 1..n, and each of 1..n used. The compiler writes no quoted literal with
 * those characters, but skip '...' anyway. */
static void check_placeholders(const char *sql, char mark, size_t n)
{
	char *seen = calloc(n + 1, 1);
	bool in_str = false;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'') {
			in_str = !in_str;
			continue;
		}
		if (in_str || *p != mark)
			continue;
		CHECK(p[1] >= '1' && p[1] <= '9');
		char *end;
		unsigned long k = strtoul(p + 1, &end, 10);
		CHECK(k >= 1 && k <= n);
		seen[k] = 1;
		p = end - 1;
	}
	CHECK(!in_str);
	for (size_t k = 1; k <= n; k++)
		CHECK(seen[k]);
	free(seen);
}

static void run_sql(const char *sql, const struct sql_binds *b)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "SQL does not prepare: %s\n%s\n", sqlite3_errmsg(db), sql);
	CHECK(rc == SQLITE_OK && st);
	CHECK((size_t)sqlite3_bind_parameter_count(st) == b->n);
	for (size_t i = 0; i < b->n; i++) {
		const struct sql_bind *v = &b->items[i];
		int k = (int)i + 1;
		CHECK(sqlite3_bind_parameter_name(st, k) != NULL); /* no gap in ?1..?n */
		if (v->type == SQL_BIND_TEXT)
			rc = sqlite3_bind_text(st, k, v->text, -1, SQLITE_STATIC);
		else if (v->type == SQL_BIND_INT)
			rc = sqlite3_bind_int64(st, k, v->i);
		else
			rc = sqlite3_bind_double(st, k, v->d);
		CHECK(rc == SQLITE_OK);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		fprintf(stderr, "SQL fails: %s\n%s\n", sqlite3_errmsg(db), sql);
	CHECK(rc == SQLITE_DONE);
	sqlite3_finalize(st);
}

static void fuzz_filter(enum filter_kind kind, const char *text, struct arena *a)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct filter f;
	if (filter_parse(kind, text, &f, a, &err) < 0) {
		CHECK(err.code == MLF_INVALID_PARAMETER_VALUE && err.msg[0]);
		return;
	}
	CHECK(f.n <= FILTER_MAX_CONDITIONS);
	CHECK((f.root == NULL) == (f.n == 0));
	if (f.root) {
		size_t leaves = 0;
		check_node(&f, f.root, &leaves, 0);
		CHECK(leaves == f.n);
	}
	for (int d = 0; d < 2; d++) {
		struct buf where = BUF_INIT;
		struct sql_binds binds = { 0 };
		struct mlf_err e2 = { .code = MLF_INTERNAL_ERROR, .msg = "" };
		enum fuzz_dialect dialect = d == 0 ? SQL_SQLITE : SQL_POSTGRES;
		int rc = kind == FILTER_LOGGED_MODELS
				 ? sqlgen_where_datasets(schema_of(dialect), kind, &f, NULL, &where, &binds, a, &e2)
				 : sqlgen_where(schema_of(dialect), kind, &f, &where, &binds, a, &e2);
		if (rc < 0) {
			CHECK(e2.code == MLF_INVALID_PARAMETER_VALUE && e2.msg[0]);
		} else {
			CHECK(binds.n <= binds.cap || binds.n == 0);
			check_placeholders(where.ptr ? where.ptr : "", dialect == SQL_SQLITE ? '?' : '$', binds.n);
			if (dialect == SQL_SQLITE) {
				struct buf sql = BUF_INIT;
				buf_adds(&sql, from_of_kind[kind]);
				buf_add(&sql, where.ptr ? where.ptr : "", where.len);
				run_sql(sql.ptr, &binds);
				buf_release(&sql);
			}
		}
		buf_release(&where);
	}
}

static void fuzz_order_by(enum filter_kind kind, char *text, struct arena *a)
{
	const char *clauses[16];
	size_t n = 0;
	for (char *p = text; n < 16;) {
		clauses[n++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct order_by ob;
	if (order_by_parse(kind, clauses, n, &ob, a, &err) < 0) {
		CHECK(err.code == MLF_INVALID_PARAMETER_VALUE && err.msg[0]);
		return;
	}
	CHECK(ob.n == n);
	if (kind == FILTER_LOGGED_MODELS)
		return; /* the logged-model store orders by its own structured terms */
	for (int d = 0; d < 2; d++) {
		struct buf order = BUF_INIT;
		struct sql_binds binds = { 0 };
		struct mlf_err e2 = { .code = MLF_INTERNAL_ERROR, .msg = "" };
		enum fuzz_dialect dialect = d == 0 ? SQL_SQLITE : SQL_POSTGRES;
		if (sqlgen_order_by(schema_of(dialect), kind, &ob, &order, &binds, a, &e2) < 0) {
			CHECK(e2.code == MLF_INVALID_PARAMETER_VALUE && e2.msg[0]);
		} else {
			CHECK(order.len > 0);
			check_placeholders(order.ptr, dialect == SQL_SQLITE ? '?' : '$', binds.n);
			if (dialect == SQL_SQLITE) {
				struct buf sql = BUF_INIT;
				buf_adds(&sql, from_of_kind[kind]);
				buf_adds(&sql, " ORDER BY ");
				buf_add(&sql, order.ptr, order.len);
				run_sql(sql.ptr, &binds);
				buf_release(&sql);
			}
		}
		buf_release(&order);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!db)
		open_db();
	enum filter_kind kind = (enum filter_kind)(data[0] % N_KINDS);
	bool order = (data[0] / N_KINDS) % 2 == 1;
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	struct arena a = ARENA_INIT;
	if (order)
		fuzz_order_by(kind, s, &a);
	else
		fuzz_filter(kind, s, &a);
	arena_release(&a);
	free(s);
	return 0;
}
