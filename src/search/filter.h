/*
 * filter.h - MLflow's search DSL: filter strings, order_by clauses and page
 * tokens, parsed into a small AST that a store compiles to SQL.
 *
 * One parser serves every search (runs, experiments, and later registered
 * models and model versions); `enum filter_kind` selects which identifiers
 * and operators are legal, with MLflow's error messages. Nothing here knows
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

/* A filter is an AND of conditions; n == 0 means "no filtering". */
struct filter {
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
 * `err` with INVALID_PARAMETER_VALUE and MLflow's message and returns -1.
 * AST memory is allocated in `a`; strings in it are copies, not pointers
 * into `text`. Thread-safe (no shared state). */
int filter_parse(enum filter_kind kind, const char *text, struct filter *out, struct arena *a,
		 struct mlf_err *err);

/* Parses the order_by clauses (e.g. "metrics.rmse DESC", "name"). Rejects
 * unknown identifiers and duplicate fields. Memory in `a`. */
int order_by_parse(enum filter_kind kind, const char *const *clauses, size_t n, struct order_by *out,
		   struct arena *a, struct mlf_err *err);

/* Page tokens: standard base64 (padded) of the JSON text {"offset": N},
 * byte-identical to MLflow's. Encoding returns a string in `a`. Decoding a
 * NULL or empty token gives 0; a token that is not base64 / JSON / an
 * object whose "offset" is a JSON integer > 0 is INVALID_PARAMETER_VALUE
 * "Invalid page token, ...". */
char *page_token_encode(int64_t offset, struct arena *a);
int page_token_decode(const char *token, int64_t *offset, struct mlf_err *err);

#endif
