/*
 * sqlgen.h - compiles a parsed filter / order_by into SQL text with bound
 * parameters, against the schema a store backend describes.
 *
 * Values from the user never enter the SQL text: every literal becomes a
 * placeholder with an entry in `binds`, and identifiers come only from the
 * whitelists in filter.c and the backend's struct sql_schema (its tables,
 * columns, placeholder syntax, case-insensitive matching and how a flag
 * column reads false), so a PostgreSQL backend supplies its own description
 * and sqlgen stays the same. The SQLite backend's is store_sqlite_sql_schema
 * (src/store/schema_sql.c). The SQL refers to the outer table by the
 * alias the schema's tables use (`r` for runs, `e` for experiments, `m`
 * for registered models, `v` joined with its model `m` for model
 * versions, `g` for logged models).
 */
#ifndef MLF_SQLGEN_H
#define MLF_SQLGEN_H

#include "../base/buf.h"
#include "filter.h"

/* Attribute keys (canonical, from filter.c) to columns of the outer row. */
struct sql_attr_column {
	enum filter_kind kind;
	const char *key;
	const char *column;
	bool nulls_last; /* nullable column that MLflow sorts NULL last both ways */
};

/* Where a metric / param / tag / dataset field of the outer row lives:
 * "SELECT x <from> AND <key_open>?k<key_close>" finds its row(s). */
struct sql_entity_source {
	enum filter_kind kind;
	enum filter_entity entity;
	const char *field;     /* dataset field; NULL: any key */
	const char *from;      /* FROM ... WHERE <correlation with the outer row> */
	const char *key_open;  /* NULL: the rows are not selected by key */
	const char *key_close;
	const char *fixed_key; /* bound instead of the condition's key */
	const char *value;     /* the column conditions compare */
	const char *nan_flag;  /* metrics: rows with the flag set never match; ordered 0 number, 1 NaN */
};

/* The entities whose rows a `datasets` scope narrows, and its columns. */
struct sql_dataset_scope {
	enum filter_kind kind;
	enum filter_entity entity;
	const char *name, *digest;
};

/* MLflow's tie-breakers, appended after the user's order_by terms. */
enum sql_tie_when { SQL_TIE_ALWAYS, SQL_TIE_DEFAULT_ONLY, SQL_TIE_EXPLICIT_ONLY };

struct sql_tie_breaker {
	enum filter_kind kind;
	enum sql_tie_when when; /* relative to whether order_by was given */
	const char *unless_key; /* skipped when the user ordered by this attribute */
	const char *sql;
};

/* A backend's schema and dialect, as sqlgen needs them. Static tables the
 * backend owns; sqlgen only reads them. */
struct sql_schema {
	const char *name;        /* for messages and tests, e.g. "sqlite" */
	const char *placeholder; /* printf format of the 1-based bind index: "?%zu", "$%zu" */
	bool native_ilike;       /* else ILIKE is lower(x) LIKE lower(y) */
	const char *flag_false;  /* a flag column's false value in SQL: "0" (integer flags), "FALSE" */
	/* Appended to a double's placeholder so that an integer column compares
	 * with a fraction as a number ("::double precision"); NULL: none. */
	const char *double_cast;
	/* Appended to LIKE / ILIKE patterns: " ESCAPE ''" where the engine
	 * would otherwise treat '\' as an escape, so '\' matches itself on
	 * every backend, as on SQLite; NULL: none. */
	const char *like_suffix;
	const struct sql_attr_column *attrs;
	size_t n_attrs;
	const struct sql_entity_source *sources;
	size_t n_sources;
	const struct sql_dataset_scope *scopes;
	size_t n_scopes;
	const struct sql_tie_breaker *ties;
	size_t n_ties;
};

enum sql_bind_type { SQL_BIND_TEXT, SQL_BIND_INT, SQL_BIND_DOUBLE };

struct sql_bind {
	enum sql_bind_type type;
	const char *text; /* borrowed from the AST (arena) */
	int64_t i;
	double d;
};

struct sql_binds {
	struct sql_bind *items; /* allocated in the arena passed to sqlgen */
	size_t n, cap;
};

/* Appends " AND (<term>)" to `where` for every term of the top-level AND
 * of `f` (or for its root when that is not an AND), adding placeholders to
 * `binds`; OR and NOT inside a term follow filter.h's truth rules. Runs: outer alias `r` (columns of `runs`);
 * experiments: alias `e`; registered models: `m` (registered_models);
 * model versions: `v` (model_versions) joined with its model as `m`.
 * Returns -1 with INVALID_PARAMETER_VALUE for a condition the kind does
 * not support.
 * A metric whose latest value is NaN matches no metric condition (not even
 * `!=`); an IN list left empty matches nothing, NOT IN () everything.
 *
 * Placeholders are numbered by their position in `binds` (binds->n after
 * adding), so the store binds items[i] to index i + 1 and must use one
 * `binds` for the whole statement: its own values (experiment ids, LIMIT)
 * go through sqlgen_bind too, in any order relative to these calls. */
int sqlgen_where(const struct sql_schema *d, enum filter_kind kind, const struct filter *f, struct buf *where,
		 struct sql_binds *binds, struct arena *a, struct mlf_err *err);

/* The `datasets` of a logged-model search: dataset_name[i] with, when
 * digests[i] is not NULL, dataset_digest[i]. */
struct sqlgen_datasets {
	const char *const *names;
	const char *const *digests;
	size_t n;
};

/* sqlgen_where for logged models (alias `g`, table logged_models), whose
 * metric conditions hold only for points on one of `ds` (MLflow 3's
 * `datasets`; NULL or empty: any point). A metric condition holds when
 * some non-NaN point of the key satisfies it, as in MLflow's SQL store. */
int sqlgen_where_datasets(const struct sql_schema *d, enum filter_kind kind, const struct filter *f,
			  const struct sqlgen_datasets *ds, struct buf *where, struct sql_binds *binds, struct arena *a,
			  struct mlf_err *err);

/* Appends the ORDER BY list for `ob` to `order` as is (no keywords, no
 * leading comma: the caller writes " ORDER BY "), followed by
 * MLflow's tie-breakers for `kind` (runs: start_time DESC unless ordered,
 * then run_uuid ASC; experiments: creation_time DESC, experiment_id ASC
 * when `ob` is empty, else experiment_id DESC unless ordered; registered
 * models: name ASC unless ordered; model versions: last_updated DESC when
 * `ob` is empty, then name ASC and version DESC unless ordered). Rows lacking
 * a metric/param/tag sort last in both directions; NaN metrics sort after
 * numbers and before missing. A key placeholder is used twice here (the
 * same ?N / $N), which SQLite and PostgreSQL both allow. */
int sqlgen_order_by(const struct sql_schema *d, enum filter_kind kind, const struct order_by *ob, struct buf *order,
		    struct sql_binds *binds, struct arena *a, struct mlf_err *err);

/* Appends one placeholder for `b` to `sql` and records the bind. */
void sqlgen_bind(const struct sql_schema *d, struct buf *sql, struct sql_binds *binds, struct sql_bind b,
		 struct arena *a);

#endif
