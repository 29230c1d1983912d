/*
 * filter.h - MLflow's search DSL: filter strings, order_by clauses and page
 * tokens, parsed into a small AST that a store compiles to SQL.
 *
 * One parser serves every search (runs, experiments, registered models,
 * model versions and MLflow 3's logged models); `enum filter_kind` selects which identifiers and
 * operators are legal, with MLflow's error messages. A new searchable
 * entity is a new kind plus rows in the identifier tables of filter.c and
 * the column tables of sqlgen.c; the grammar does not change. Beyond
 * MLflow, filters may use OR, NOT and parentheses, and IN / NOT IN on
 * params and tags; a filter MLflow accepts means what it means there. Nothing here knows
 * SQL; see sqlgen.h for the compiler. All AST memory lives in the arena the
 * caller passes.
 */
#ifndef MLF_FILTER_H
#define MLF_FILTER_H

#include "../base/arena.h"
#include "../base/err.h"

enum filter_kind {
	FILTER_RUNS,
	FILTER_EXPERIMENTS,
	FILTER_REGISTERED_MODELS,
	FILTER_MODEL_VERSIONS,
	FILTER_LOGGED_MODELS, /* MLflow 3's logged models (attributes, metrics., params., tags.) */
};

enum filter_entity {
	FE_ATTRIBUTE, /* key is the canonical attribute name, e.g. "run_name", "start_time" */
	FE_METRIC,
	FE_PARAM,
	FE_TAG,
	FE_DATASET,   /* key is "name", "digest" or "context" */
};

enum filter_op {
	FOP_EQ,
	FOP_NE,
	FOP_LT,
	FOP_LE,
	FOP_GT,
	FOP_GE,
	FOP_LIKE,
	FOP_ILIKE,
	FOP_IN,
	FOP_NOT_IN,
	FOP_IS_NULL,
	FOP_IS_NOT_NULL,
};

enum filter_value_kind {
	FV_NONE,   /* IS NULL / IS NOT NULL */
	FV_STRING,
	FV_NUMBER,
	FV_LIST,   /* IN / NOT IN: list of strings */
};

struct filter_value {
	enum filter_value_kind kind;
	const char *str;       /* FV_STRING: the text between the quotes, as written
				* (no unescaping, as in MLflow); FV_NUMBER: the literal */
	double num;            /* FV_NUMBER */
	bool num_is_int;       /* the literal had no fraction or exponent and fits int64 */
	int64_t inum;          /* FV_NUMBER when num_is_int */
	const char **list;     /* FV_LIST; for run_id, ids with upper-case letters are
				* dropped (MLflow does), so it may be empty */
	size_t list_len;
};

struct filter_cond {
	enum filter_entity entity;
	const char *key;       /* unquoted; canonical for attributes ("created" -> "start_time") */
	enum filter_op op;
	struct filter_value value;
};

/* The shape of a filter: conditions combined by AND, OR and NOT, with
 * MLflow's precedence extended as usual (NOT binds tighter than AND, AND
 * tighter than OR; parentheses group). AND and OR chains are flattened,
 * so an AND node never has an AND child. */
enum filter_node_type {
	FN_COND, /* a leaf: `cond` */
	FN_AND,  /* every kid holds (n_kids >= 2) */
	FN_OR,   /* some kid holds (n_kids >= 2) */
	FN_NOT,  /* kids[0] does not hold (n_kids == 1) */
	FN_TRUE, /* holds for every row: a condition a store set aside (filter_assume_true) */
};

/* Truth of a leaf: every condition is true or false for every row, never
 * unknown. A comparison on a metric, param or tag the row lacks (or on a
 * NaN metric, or on a NULL column such as a running run's end_time) is
 * false; IS NULL on it is true. NOT is the plain complement, so
 * `NOT (metrics.a > 1)` matches a run that has no metric `a`, while
 * `metrics.a <= 1` does not (docs/storage.md (Search)). */
struct filter_node {
	enum filter_node_type type;
	const struct filter_cond *cond; /* FN_COND: points into filter.conds */
	struct filter_node **kids;
	size_t n_kids;
};

/* Limits on one filter, past which filter_parse answers
 * INVALID_PARAMETER_VALUE: comparisons in it, nesting of parentheses and
 * NOT (which also bounds the parser's and the compiler's recursion), and
 * quoted strings in all its IN lists together (each is a bound value). */
enum {
	FILTER_MAX_CONDITIONS = 256,
	FILTER_MAX_DEPTH = 32,
	FILTER_MAX_LIST_VALUES = 10000,
};

/* A parsed filter. `root` NULL means "no filtering". `conds` holds every
 * comparison in the order written (the leaves of `root`), for callers
 * that ask whether a filter mentions some key at all. */
struct filter {
	struct filter_node *root;
	struct filter_cond *conds;
	size_t n;
};

struct order_term {
	enum filter_entity entity;
	const char *key; /* canonical attribute name for FE_ATTRIBUTE */
	bool ascending;
};

struct order_by {
	struct order_term *terms;
	size_t n;
};

/* Parses `text` (may be NULL or empty: an empty filter). On error fills
 * `err` with INVALID_PARAMETER_VALUE and returns -1; the message is
 * MLflow's wherever MLflow rejects the filter too, and names the problem
 * (unbalanced parentheses, a limit above) where only the extension can.
 * AST memory is allocated in `a`; strings in it are copies, not pointers
 * into `text`. Thread-safe (no shared state). */
int filter_parse(enum filter_kind kind, const char *text, struct filter *out, struct arena *a,
		 struct mlf_err *err);

/* Parses the order_by clauses (e.g. "metrics.rmse DESC", "name"). Rejects
 * unknown identifiers and duplicate fields. Memory in `a`. */
int order_by_parse(enum filter_kind kind, const char *const *clauses, size_t n, struct order_by *out,
		   struct arena *a, struct mlf_err *err);

/* Turns every comparison on the tag `tag_key` into FN_TRUE: the nodes of
 * `f`'s tree change in place (`conds` stays as parsed, so the filter still
 * says what was written). The registry uses it for
 * MLflow's prompt rule: a search that is not asking for prompts drops its
 * conditions on mlflow.prompt.is_prompt and leaves prompts out instead. */
void filter_assume_true(const struct filter *f, const char *tag_key);

/* Page tokens: standard base64 (padded) of the JSON text {"offset": N},
 * byte-identical to MLflow's. Encoding returns a string in `a`. Decoding a
 * NULL or empty token gives 0; a token that is not base64 / JSON / an
 * object whose "offset" is a JSON integer > 0 is INVALID_PARAMETER_VALUE
 * "Invalid page token, ...". */
char *page_token_encode(int64_t offset, struct arena *a);
int page_token_decode(const char *token, int64_t *offset, struct mlf_err *err);

#endif
