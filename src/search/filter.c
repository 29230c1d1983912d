/*
 * filter.c - the search DSL: filter strings, order_by clauses and page
 * tokens, parsed into the AST of filter.h.
 *
 * MLflow parses filters with sqlparse, then checks identifiers and values,
 * and only then (in the store) comparators. We reproduce what a client can
 * observe with a small lexer and these passes over its tokens:
 *   1. group tokens into comparisons; anything else but AND, OR, NOT and
 *      grouping parentheses is collected and reported as "Invalid
 *      clause(s) in filter string: ...";
 *   2. build the AND / OR / NOT tree (our extension: MLflow stops at OR,
 *      NOT and parentheses in pass 1), within the limits of filter.h;
 *   3. resolve every identifier and check every value;
 *   4. check every comparator.
 * A filter MLflow accepts has only comparisons and ANDs, so passes 1, 3
 * and 4 answer it as MLflow does, except that an AND joining no two
 * operands ("AND", "a = 1 AND") is refused in pass 1 where MLflow would
 * match every row. Like MLflow, an AND may be left out between two
 * comparisons ("a = 1 b = 2" is an AND).
 * What each search accepts is data, not code: the prefix, kind and rule
 * tables below. String values are kept exactly as written between their
 * quotes; like MLflow we do not unescape '' or \' inside them.
 */
#include "filter.h"
#include "../base/buf.h"
#include "../base/util.h"
#include <jansson.h>

/* ------------------------------------------------------------------ */
/* Tokens                                                              */

enum tok_type {
	TK_IDENT,   /* name.with.dots, parts may be "double" or `back` quoted */
	TK_STRING,  /* 'single quoted' */
	TK_NUMBER,  /* -12, 1.5, .5, 1e-3 */
	TK_OP,      /* comparator; its normalised text is in `op` */
	TK_LIST,    /* a balanced ( ... ) right after a comparator or IN: a value */
	TK_OPEN,    /* any other '(': grouping */
	TK_CLOSE,   /* ')' outside a list */
	TK_KEYWORD, /* AND OR NOT IN IS NULL */
	TK_SEMI,
	TK_OTHER,   /* anything else: always an invalid clause */
};

enum keyword { KW_NONE, KW_AND, KW_OR, KW_NOT, KW_IN, KW_IS, KW_NULL };

struct tok {
	enum tok_type type;
	enum keyword kw;
	bool is_int;    /* TK_NUMBER without fraction or exponent */
	const char *p;  /* raw text, into the filter string */
	size_t n;
	const char *op; /* TK_OP: "=", "LIKE", "NOT ILIKE", ... */
};

static const struct {
	const char *word;
	enum keyword kw;
} keywords[] = {
	{ "AND", KW_AND }, { "OR", KW_OR }, { "NOT", KW_NOT },
	{ "IN", KW_IN },   { "IS", KW_IS }, { "NULL", KW_NULL },
};

/* Word comparators sqlparse knows; only LIKE and ILIKE are ever valid. */
static const char *const word_comparators[] = { "LIKE", "ILIKE", "RLIKE" };

/* ------------------------------------------------------------------ */
/* What each search accepts                                            */

enum { USE_FILTER = 1 << 0, USE_ORDER = 1 << 1, USE_ANY = USE_FILTER | USE_ORDER };

#define OP(o) (1u << (o))
#define OPS_EQ (OP(FOP_EQ) | OP(FOP_NE))
#define OPS_NUMERIC (OPS_EQ | OP(FOP_LT) | OP(FOP_LE) | OP(FOP_GT) | OP(FOP_GE))
#define OPS_STRING (OPS_EQ | OP(FOP_LIKE) | OP(FOP_ILIKE))
#define OPS_LIST (OP(FOP_IN) | OP(FOP_NOT_IN))
#define OPS_NULL (OP(FOP_IS_NULL) | OP(FOP_IS_NOT_NULL))

/* Comparator spellings after normalisation (upper case, single spaces). */
static const struct {
	const char *text;
	enum filter_op op;
} comparators[] = {
	{ "=", FOP_EQ },	   { "!=", FOP_NE },		{ "<", FOP_LT },
	{ "<=", FOP_LE },	   { ">", FOP_GT },		{ ">=", FOP_GE },
	{ "LIKE", FOP_LIKE },	   { "ILIKE", FOP_ILIKE },	{ "IN", FOP_IN },
	{ "NOT IN", FOP_NOT_IN }, { "IS NULL", FOP_IS_NULL }, { "IS NOT NULL", FOP_IS_NOT_NULL },
};

struct ident_rule;
/* Checks the value token of a comparison against `r` and fills `v`. */
typedef int value_check_fn(const struct ident_rule *r, const char *key, const struct tok *t, struct filter_value *v,
			   struct arena *a, struct mlf_err *err);

static value_check_fn check_metric, check_numeric_attr, check_string, check_string_attr, check_dataset,
	check_rm_attr, check_mv_attr, check_mv_number;

/* One identifier a search accepts, with its comparators and value shape. */
struct ident_rule {
	enum filter_kind kind;
	enum filter_entity entity;
	const char *name;      /* key as written; NULL matches any key */
	const char *canon;     /* key stored in the AST; NULL: the key as written */
	unsigned uses;         /* USE_FILTER and/or USE_ORDER */
	unsigned ops;          /* OP(FOP_*) bits allowed in filters */
	value_check_fn *check; /* NULL for order-only rows */
	const char *noun;      /* MLflow's name for the entity in value errors */
	const char *op_error;  /* comparator error text, followed by the comparator */
	bool op_error_lists;   /* then "' not one of '{...}'" (search-runs style) */
	bool lowercase_ids;    /* IN lists drop items with upper-case letters */
};

#define F USE_FILTER
#define O USE_ORDER
#define RUNS_CMP "Invalid comparator '", true
#define EXP_STR_CMP "Invalid comparator for string attribute: ", false
#define EXP_NUM_CMP "Invalid comparator for numeric attribute: ", false
#define REG_ATTR_CMP "Invalid comparator for attribute: ", false
#define TAG_CMP "Invalid comparator for tag: ", false
#define LM_CMP "Invalid comparison operator '", true

/* Row order matters: it is the order of the "Valid keys are" lists.
 * IN / NOT IN on params and tags (OPS_LIST there) goes beyond MLflow,
 * which allows lists only for the run_id and dataset rows. */
static const struct ident_rule ident_rules[] = {
	/* kind, entity, name, canon, uses, ops, check, noun, op_error, lists, lowercase_ids */
	{ FILTER_RUNS, FE_METRIC, NULL, NULL, F | O, OPS_NUMERIC, check_metric, "metric", RUNS_CMP, false },
	{ FILTER_RUNS, FE_PARAM, NULL, NULL, F | O, OPS_STRING | OPS_NULL | OPS_LIST, check_string, "parameter",
	  RUNS_CMP, false },
	{ FILTER_RUNS, FE_TAG, NULL, NULL, F | O, OPS_STRING | OPS_NULL | OPS_LIST, check_string, "tag", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "run_id", NULL, F | O, OPS_STRING | OPS_LIST, check_string_attr, "attributes",
	  RUNS_CMP, true },
	{ FILTER_RUNS, FE_ATTRIBUTE, "run_name", NULL, F | O, OPS_STRING, check_string_attr, "attributes", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "user_id", NULL, F | O, OPS_STRING, check_string_attr, "attributes", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "status", NULL, F | O, OPS_STRING, check_string_attr, "attributes", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "artifact_uri", NULL, F | O, OPS_STRING, check_string_attr, "attributes",
	  RUNS_CMP, false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "start_time", NULL, F | O, OPS_NUMERIC, check_numeric_attr, "attributes",
	  RUNS_CMP, false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "end_time", NULL, F | O, OPS_NUMERIC, check_numeric_attr, "attributes", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "created", "start_time", F | O, OPS_NUMERIC, check_numeric_attr, "attributes",
	  RUNS_CMP, false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "Created", "start_time", F | O, OPS_NUMERIC, check_numeric_attr, "attributes",
	  RUNS_CMP, false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "run name", "run_name", F, OPS_STRING, check_string_attr, "attributes", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "Run name", "run_name", F, OPS_STRING, check_string_attr, "attributes", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_ATTRIBUTE, "Run Name", "run_name", F, OPS_STRING, check_string_attr, "attributes", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_DATASET, "name", NULL, F, OPS_STRING | OPS_LIST, check_dataset, "dataset", RUNS_CMP, false },
	{ FILTER_RUNS, FE_DATASET, "digest", NULL, F, OPS_STRING | OPS_LIST, check_dataset, "dataset", RUNS_CMP,
	  false },
	{ FILTER_RUNS, FE_DATASET, "context", NULL, F, OPS_STRING | OPS_LIST, check_dataset, "dataset", RUNS_CMP,
	  false },

	{ FILTER_EXPERIMENTS, FE_ATTRIBUTE, "name", NULL, F | O, OPS_STRING, check_string_attr, "attributes",
	  EXP_STR_CMP, false },
	{ FILTER_EXPERIMENTS, FE_ATTRIBUTE, "experiment_id", NULL, O, 0, NULL, NULL, NULL, false, false },
	{ FILTER_EXPERIMENTS, FE_ATTRIBUTE, "creation_time", NULL, F | O, OPS_NUMERIC, check_numeric_attr,
	  "attributes", EXP_NUM_CMP, false },
	{ FILTER_EXPERIMENTS, FE_ATTRIBUTE, "last_update_time", NULL, F | O, OPS_NUMERIC, check_numeric_attr,
	  "attributes", EXP_NUM_CMP, false },
	{ FILTER_EXPERIMENTS, FE_TAG, NULL, NULL, F, OPS_STRING | OPS_NULL | OPS_LIST, check_string, "tag", TAG_CMP,
	  false },

	{ FILTER_REGISTERED_MODELS, FE_ATTRIBUTE, "name", NULL, F | O, OPS_STRING, check_rm_attr, "attributes",
	  REG_ATTR_CMP, false },
	{ FILTER_REGISTERED_MODELS, FE_ATTRIBUTE, "timestamp", "last_updated_timestamp", O, 0, NULL, NULL, NULL, false,
	  false },
	{ FILTER_REGISTERED_MODELS, FE_ATTRIBUTE, "last_updated_timestamp", NULL, O, 0, NULL, NULL, NULL, false,
	  false },
	{ FILTER_REGISTERED_MODELS, FE_TAG, NULL, NULL, F, OPS_STRING | OPS_LIST, check_string, "tag", TAG_CMP, false },

	{ FILTER_MODEL_VERSIONS, FE_ATTRIBUTE, "name", NULL, F | O, OPS_STRING, check_mv_attr, "attributes",
	  REG_ATTR_CMP, false },
	{ FILTER_MODEL_VERSIONS, FE_ATTRIBUTE, "source_path", NULL, F, OPS_STRING, check_mv_attr, "attributes",
	  REG_ATTR_CMP, false },
	{ FILTER_MODEL_VERSIONS, FE_ATTRIBUTE, "version_number", NULL, F | O, OPS_NUMERIC, check_mv_number,
	  "attributes", "Invalid comparator for attribute version_number: ", false, false },
	{ FILTER_MODEL_VERSIONS, FE_ATTRIBUTE, "run_id", NULL, F, OPS_STRING | OP(FOP_IN), check_mv_attr,
	  "attributes", REG_ATTR_CMP, true },
	{ FILTER_MODEL_VERSIONS, FE_ATTRIBUTE, "creation_timestamp", NULL, O, 0, NULL, NULL, NULL, false, false },
	{ FILTER_MODEL_VERSIONS, FE_ATTRIBUTE, "last_updated_timestamp", NULL, O, 0, NULL, NULL, NULL, false, false },
	{ FILTER_MODEL_VERSIONS, FE_TAG, NULL, NULL, F, OPS_STRING | OPS_LIST, check_string, "tag", TAG_CMP, false },

	/* Logged models: MLflow 3's SQL store takes IN / NOT IN on every string
	 * field and numbers on the two timestamps; order_by is structured and
	 * handled by the store, so these rows are for filters only. */
	{ FILTER_LOGGED_MODELS, FE_METRIC, NULL, NULL, F, OPS_NUMERIC, check_metric, "metric", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_PARAM, NULL, NULL, F, OPS_STRING | OPS_LIST, check_string, "parameter", LM_CMP,
	  false },
	{ FILTER_LOGGED_MODELS, FE_TAG, NULL, NULL, F, OPS_STRING | OPS_LIST, check_string, "tag", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "name", NULL, F, OPS_STRING | OPS_LIST, check_string_attr, "attributes",
	  LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "model_id", NULL, F, OPS_STRING | OPS_LIST, check_string_attr,
	  "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "model_type", NULL, F, OPS_STRING | OPS_LIST, check_string_attr,
	  "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "status", NULL, F, OPS_STRING | OPS_LIST, check_string_attr, "attributes",
	  LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "source_run_id", NULL, F, OPS_STRING | OPS_LIST, check_string_attr,
	  "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "creation_timestamp", NULL, F, OPS_NUMERIC, check_numeric_attr,
	  "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "creation_time", "creation_timestamp", F, OPS_NUMERIC,
	  check_numeric_attr, "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "creation_timestamp_ms", "creation_timestamp", F, OPS_NUMERIC,
	  check_numeric_attr, "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "last_updated_timestamp", NULL, F, OPS_NUMERIC, check_numeric_attr,
	  "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "last_updated_time", "last_updated_timestamp", F, OPS_NUMERIC,
	  check_numeric_attr, "attributes", LM_CMP, false },
	{ FILTER_LOGGED_MODELS, FE_ATTRIBUTE, "last_updated_timestamp_ms", "last_updated_timestamp", F, OPS_NUMERIC,
	  check_numeric_attr, "attributes", LM_CMP, false },
};

#undef F
#undef O
#undef RUNS_CMP
#undef EXP_STR_CMP
#undef EXP_NUM_CMP
#undef REG_ATTR_CMP
#undef TAG_CMP
#undef LM_CMP

struct prefix {
	const char *name;
	enum filter_entity entity;
};

static const struct prefix run_prefixes[] = {
	{ "metric", FE_METRIC },     { "metrics", FE_METRIC },	  { "parameter", FE_PARAM }, { "parameters", FE_PARAM },
	{ "param", FE_PARAM },	     { "params", FE_PARAM },	  { "tag", FE_TAG },	     { "tags", FE_TAG },
	{ "attribute", FE_ATTRIBUTE }, { "attributes", FE_ATTRIBUTE }, { "attr", FE_ATTRIBUTE }, { "run", FE_ATTRIBUTE },
	{ "dataset", FE_DATASET },   { "datasets", FE_DATASET },  { NULL, FE_ATTRIBUTE },
};

/* Experiments and the registry: note "attributes" is not accepted. */
static const struct prefix short_prefixes[] = {
	{ "attribute", FE_ATTRIBUTE }, { "tag", FE_TAG }, { "tags", FE_TAG }, { NULL, FE_ATTRIBUTE },
};

/* Logged models: MLflow 3 reads `<lower-case word>.<key>` and knows these
 * four words only. */
static const struct prefix logged_model_prefixes[] = {
	{ "attributes", FE_ATTRIBUTE }, { "metrics", FE_METRIC }, { "params", FE_PARAM },
	{ "tags", FE_TAG },		{ NULL, FE_ATTRIBUTE },
};

/* Per search: prefixes and the wording of the errors that differ. */
struct kind_spec {
	const struct prefix *prefixes;  /* NULL-terminated */
	bool trim_entity_backticks;     /* `metrics`.x is runs-only */
	bool quote_invalid_clauses;     /* 'a', 'b' (runs) or a, b (others) */
	const char *bad_entity;         /* %s: the entity as written */
	const char *bad_order_entity;   /* %s: MLflow's entity name */
	const char *bad_order_key;      /* followed by key "' specified. Valid keys are '{...}'" */
	const char *order_keys_shown;   /* NULL: list the order_by keys of the rules */
};

static const struct kind_spec kind_specs[] = {
	[FILTER_RUNS] = { run_prefixes, true, true,
			  "Invalid entity type '%s'. Valid values are ['metric', 'parameter', 'tag', 'attribute', "
			  "'dataset']",
			  "Invalid identifier type '%s'", "Invalid attribute key '", NULL },
	[FILTER_EXPERIMENTS] = { short_prefixes, false, false,
				 "Invalid entity type '%s'. Valid entity types are ('attribute', 'tag', 'tags')",
				 "Invalid order_by entity: %s", "Invalid attribute key '", NULL },
	[FILTER_REGISTERED_MODELS] = { short_prefixes, false, false,
				       "Invalid entity type '%s'. Valid entity types are ('attribute', 'tag', "
				       "'tags')",
				       "Invalid order_by entity: %s", "Invalid order by key '", "{'name', 'timestamp'}" },
	[FILTER_MODEL_VERSIONS] = { short_prefixes, false, false,
				    "Invalid entity type '%s'. Valid entity types are ('attribute', 'tag', 'tags')",
				    "Invalid order_by entity: %s", "Invalid attribute key '", NULL },
	[FILTER_LOGGED_MODELS] = { logged_model_prefixes, false, false,
				   "Invalid entity type: '%s'. Expected one of ['attributes', 'metrics', 'params', "
				   "'tags'].",
				   "Invalid order by field name: %s", "Invalid order by field name: '", NULL },
};

static const char *const entity_names[] = {
	[FE_ATTRIBUTE] = "attribute", [FE_METRIC] = "metric", [FE_PARAM] = "parameter",
	[FE_TAG] = "tag",	      [FE_DATASET] = "dataset",
};

static const char mv_numeric_attrs[] = "{'version_number', 'creation_timestamp', 'last_updated_timestamp'}";

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Letters, digits, '_', '$' and any non-ASCII byte (UTF-8 names). */
static bool is_word_char(char c)
{
	unsigned char u = (unsigned char)c;
	return is_digit(c) || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u == '$' || u >= 0x80;
}

static char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Case-insensitive comparison of s[0..n) with the upper-case `word`. */
static bool word_eq(const char *s, size_t n, const char *word)
{
	size_t i;
	for (i = 0; i < n && word[i]; i++)
		if (to_upper(s[i]) != word[i])
			return false;
	return i == n && !word[i];
}

static bool has_upper(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return true;
	return false;
}

/* Removes one pair of surrounding `q` characters, if present. */
static void trim_pair(const char **p, size_t *n, char q)
{
	if (*n >= 2 && (*p)[0] == q && (*p)[*n - 1] == q) {
		(*p)++;
		*n -= 2;
	}
}

/* MLflow's _strip_quotes then _trim_backticks, for keys. */
static void unquote_key(const char **p, size_t *n)
{
	if (*n >= 2 && ((*p)[0] == '\'' || (*p)[0] == '"'))
		trim_pair(p, n, (*p)[0]);
	trim_pair(p, n, '`');
}

/* Formats the error collected in `b`, releases it and returns -1. */
static int fail_with(struct buf *b, struct mlf_err *err)
{
	mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s", b->ptr);
	buf_release(b);
	return -1;
}

/* Python's repr() of a str, enough for messages that quote MLflow's. */
static void add_py_repr(struct buf *b, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	buf_addch(b, q);
	for (; *s; s++) {
		if (*s == q || *s == '\\')
			buf_addch(b, '\\');
		buf_addch(b, *s);
	}
	buf_addch(b, q);
}

/* ------------------------------------------------------------------ */
/* Lexer                                                               */

struct lexer {
	const char *s;
	size_t i;
	struct tok *toks;
	size_t n, cap;
	struct arena *a;
};

/* Returns the index just past the closing quote of the quoted run that
 * starts at s[i], or 0 when it is not closed. A doubled quote stands for
 * itself; so does a backslash-escaped one, except between backticks. */
static size_t scan_quoted(const char *s, size_t i, char q)
{
	size_t j = i + 1;
	for (;;) {
		if (!s[j])
			return 0;
		if (s[j] == '\\' && q != '`' && s[j + 1]) {
			j += 2;
		} else if (s[j] == q && s[j + 1] == q) {
			j += 2;
		} else if (s[j] == q) {
			return j + 1;
		} else {
			j++;
		}
	}
}

/* A number literal at s[i], as sqlparse reads one; 0 if there is none. */
static size_t scan_number(const char *s, size_t i, bool *is_int)
{
	size_t j = i, digits = 0;
	*is_int = true;
	if (s[j] == '-')
		j++;
	for (; is_digit(s[j]); j++)
		digits++;
	if (s[j] == '.') {
		*is_int = false;
		for (j++; is_digit(s[j]); j++)
			digits++;
	}
	if (!digits)
		return 0;
	if (s[j] == 'e' || s[j] == 'E') {
		size_t k = j + 1;
		if (s[k] == '-' || s[k] == '+')
			k++;
		if (is_digit(s[k])) {
			while (is_digit(s[k]))
				k++;
			j = k;
			*is_int = false;
		}
	}
	if (is_word_char(s[j]) || s[j] == '.')
		return 0; /* "1abc", "1.2.3": a name, not a number */
	return j;
}

/* A dotted name whose parts may be quoted: tags."odd key", `m`.`acc`.
 * Returns its end, or 0 on an unclosed quote. */
static size_t scan_ident(const char *s, size_t i)
{
	size_t j = i;
	for (;;) {
		if (s[j] == '"' || s[j] == '`') {
			size_t end = scan_quoted(s, j, s[j]);
			if (!end)
				return 0;
			j = end;
		} else {
			while (is_word_char(s[j]))
				j++;
		}
		if (s[j] != '.')
			return j;
		j++;
	}
}

/* A balanced parenthesised run starting at s[i]; 0 if never closed. */
static size_t scan_list(const char *s, size_t i)
{
	int depth = 0;
	size_t j = i;
	while (s[j]) {
		char c = s[j];
		if (c == '\'' || c == '"' || c == '`') {
			size_t end = scan_quoted(s, j, c);
			if (!end)
				return 0;
			j = end;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return j + 1;
		j++;
	}
	return 0;
}

static struct tok *push_tok(struct lexer *lx, enum tok_type type, size_t end)
{
	if (lx->n == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 16;
		lx->toks = arena_grow_array(lx->a, lx->toks, lx->n, cap, sizeof(*lx->toks));
		lx->cap = cap;
	}
	struct tok *t = &lx->toks[lx->n++];
	*t = (struct tok){ .type = type, .p = lx->s + lx->i, .n = end - lx->i };
	lx->i = end;
	return t;
}

/* A bare word may be a keyword or a word comparator (LIKE). */
static void classify_word(struct tok *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!is_word_char(t->p[i]))
			return;
	for (size_t k = 0; k < ARRAY_SIZE(keywords); k++) {
		if (word_eq(t->p, t->n, keywords[k].word)) {
			t->type = TK_KEYWORD;
			t->kw = keywords[k].kw;
			return;
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(word_comparators); k++) {
		if (word_eq(t->p, t->n, word_comparators[k])) {
			t->type = TK_OP;
			t->op = word_comparators[k];
			return;
		}
	}
}

/* A '(' is a value list where a value is due: after a comparator or IN
 * (NOT IN ends in IN too); elsewhere it groups. */
static bool opens_list(const struct lexer *lx)
{
	if (!lx->n)
		return false;
	const struct tok *prev = &lx->toks[lx->n - 1];
	return prev->type == TK_OP || (prev->type == TK_KEYWORD && prev->kw == KW_IN);
}

static void lex_one(struct lexer *lx)
{
	const char *s = lx->s;
	size_t i = lx->i, end;
	bool is_int = false;
	char c = s[i];

	if (c == '\'') {
		end = scan_quoted(s, i, '\'');
		push_tok(lx, end ? TK_STRING : TK_OTHER, end ? end : i + strlen(s + i));
	} else if ((is_digit(c) || c == '-' || c == '.') && (end = scan_number(s, i, &is_int))) {
		push_tok(lx, TK_NUMBER, end)->is_int = is_int;
	} else if (c == '"' || c == '`' || is_word_char(c)) {
		end = scan_ident(s, i);
		struct tok *t = push_tok(lx, end ? TK_IDENT : TK_OTHER, end ? end : i + strlen(s + i));
		if (t->type == TK_IDENT)
			classify_word(t);
	} else if (c == '(' && opens_list(lx)) {
		end = scan_list(s, i);
		push_tok(lx, end ? TK_LIST : TK_OTHER, end ? end : i + 1);
	} else if (c == '(' || c == ')') {
		push_tok(lx, c == '(' ? TK_OPEN : TK_CLOSE, i + 1);
	} else if (strchr("<>=~!", c)) {
		for (end = i; s[end] && strchr("<>=~!", s[end]); end++)
			;
		struct tok *t = push_tok(lx, TK_OP, end);
		t->op = arena_strndup(lx->a, t->p, t->n);
	} else {
		push_tok(lx, c == ';' ? TK_SEMI : TK_OTHER, i + 1);
	}
}

/* NOT LIKE / NOT ILIKE are single (invalid) comparators, as in sqlparse. */
static void merge_not_comparators(struct lexer *lx)
{
	size_t out = 0;
	for (size_t k = 0; k < lx->n; k++) {
		struct tok *t = &lx->toks[k];
		if (t->type == TK_KEYWORD && t->kw == KW_NOT && k + 1 < lx->n && lx->toks[k + 1].type == TK_OP &&
		    is_word_char(lx->toks[k + 1].op[0])) {
			struct tok *next = &lx->toks[k + 1];
			next->op = arena_printf(lx->a, "NOT %s", next->op);
			next->n += (size_t)(next->p - t->p);
			next->p = t->p;
			continue;
		}
		lx->toks[out++] = *t;
	}
	lx->n = out;
}

static void lex(const char *s, struct lexer *lx, struct arena *a)
{
	*lx = (struct lexer){ .s = s, .a = a };
	while (s[lx->i]) {
		if (is_space(s[lx->i]))
			lx->i++;
		else
			lex_one(lx);
	}
	merge_not_comparators(lx);
}

/* ------------------------------------------------------------------ */
/* Pass 1: comparisons and invalid clauses                             */

/* `identifier <keywords> [list]` comparisons, as data. */
static const struct {
	enum keyword kw[3]; /* after the identifier; KW_NONE ends */
	bool takes_list;
	const char *op;
} keyword_shapes[] = {
	{ { KW_IN }, true, "IN" },
	{ { KW_NOT, KW_IN }, true, "NOT IN" },
	{ { KW_IS, KW_NULL }, false, "IS NULL" },
	{ { KW_IS, KW_NOT, KW_NULL }, false, "IS NOT NULL" },
};

struct raw_cmp {
	const struct tok *ident;
	const char *op;
	const struct tok *value; /* NULL for IS [NOT] NULL */
};

static bool is_kw(const struct tok *t, enum keyword kw)
{
	return t->type == TK_KEYWORD && t->kw == kw;
}

static bool is_value_tok(const struct tok *t)
{
	return t->type == TK_STRING || t->type == TK_NUMBER || t->type == TK_IDENT || t->type == TK_LIST ||
	       is_kw(t, KW_NULL);
}

/* How many tokens after t[0] spell `kw` (KW_NONE-terminated), or 0. */
static size_t match_keywords(const struct tok *t, size_t left, const enum keyword *kw)
{
	size_t k;
	for (k = 0; k < 3 && kw[k] != KW_NONE; k++)
		if (k + 1 >= left || !is_kw(&t[k + 1], kw[k]))
			return 0;
	return k;
}

/* Tokens used by a keyword-shaped comparison at t[0], or 0. */
static size_t match_keyword_shape(const struct tok *t, size_t left, struct raw_cmp *out)
{
	for (size_t s = 0; s < ARRAY_SIZE(keyword_shapes); s++) {
		size_t k = match_keywords(t, left, keyword_shapes[s].kw);
		bool list = keyword_shapes[s].takes_list;
		if (!k || (list && !(k + 1 < left && t[k + 1].type == TK_LIST)))
			continue;
		out->op = keyword_shapes[s].op;
		out->value = list ? &t[k + 1] : NULL;
		return k + 1 + (list ? 1 : 0);
	}
	return 0;
}

/* Tokens used by a comparison starting at t[0], or 0 if none starts there. */
static size_t match_comparison(const struct tok *t, size_t left, struct raw_cmp *out)
{
	if (t[0].type != TK_IDENT)
		return 0;
	out->ident = &t[0];
	if (left >= 3 && t[1].type == TK_OP && is_value_tok(&t[2])) {
		out->op = t[1].op;
		out->value = &t[2];
		return 3;
	}
	return match_keyword_shape(t, left, out);
}

static int invalid_clauses_error(enum filter_kind kind, const struct tok **bad, size_t n, struct mlf_err *err)
{
	struct buf b = BUF_INIT;
	bool quote = kind_specs[kind].quote_invalid_clauses;
	buf_adds(&b, "Invalid clause(s) in filter string: ");
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s%.*s%s", i ? ", " : "", quote ? "'" : "", (int)bad[i]->n, bad[i]->p, quote ? "'" : "");
	return fail_with(&b, err);
}

/* A ';' followed by more text is a second statement. */
static int check_single_statement(const struct lexer *lx, const char *text, struct mlf_err *err)
{
	for (size_t k = 0; k + 1 < lx->n; k++)
		if (lx->toks[k].type == TK_SEMI)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "Search filter contained multiple expression '%s'. Provide AND-ed expression list.",
					  text);
	return 0;
}

/* What pass 1 leaves for pass 2: comparisons and the words between them. */
enum item_type { IT_CMP, IT_AND, IT_OR, IT_NOT, IT_OPEN, IT_CLOSE };

struct item {
	enum item_type type;
	const struct tok *tok; /* first token, for messages */
	size_t cmp;            /* IT_CMP: index into the comparisons */
};

/* Tokens that structure a filter rather than being part of a comparison. */
static const struct {
	enum tok_type type;
	enum keyword kw;
	enum item_type item;
} structure_toks[] = {
	{ TK_KEYWORD, KW_AND, IT_AND }, { TK_KEYWORD, KW_OR, IT_OR }, { TK_KEYWORD, KW_NOT, IT_NOT },
	{ TK_OPEN, KW_NONE, IT_OPEN },	{ TK_CLOSE, KW_NONE, IT_CLOSE },
};

static bool structure_item(const struct tok *t, enum item_type *type)
{
	for (size_t k = 0; k < ARRAY_SIZE(structure_toks); k++) {
		if (structure_toks[k].type == t->type && structure_toks[k].kw == t->kw) {
			*type = structure_toks[k].item;
			return true;
		}
	}
	return false;
}

/* An AND must join two operands: it follows a comparison or a ')' and is
 * followed by a comparison, NOT, '(' or a second AND (which is then the
 * stray one). MLflow lets an AND stand anywhere, so "AND", "AND AND" or
 * "metrics.a > 1 AND" would match every row; once nothing else is wrong
 * such ANDs are reported with MLflow's invalid-clause message. A missing
 * AND between two comparisons ("a = 1 b = 2") stays an AND, as in MLflow. */
static int stray_ands(enum filter_kind kind, const struct item *items, size_t n, struct arena *a, struct mlf_err *err)
{
	const struct tok **stray = arena_alloc(a, sizeof(*stray) * (n ? n : 1));
	size_t n_stray = 0;
	for (size_t k = 0; k < n; k++) {
		if (items[k].type != IT_AND)
			continue;
		/* the start and the end of the filter join nothing, as an OR does not */
		enum item_type prev = k ? items[k - 1].type : IT_OR, next = k + 1 < n ? items[k + 1].type : IT_OR;
		bool joins = (prev == IT_CMP || prev == IT_CLOSE) &&
			     (next == IT_CMP || next == IT_NOT || next == IT_OPEN || next == IT_AND);
		if (!joins)
			stray[n_stray++] = items[k].tok;
	}
	return n_stray ? invalid_clauses_error(kind, stray, n_stray, err) : 0;
}

/* Splits the tokens into items; `cmps` and `items` have room for lx->n. */
static int group_comparisons(enum filter_kind kind, const struct lexer *lx, struct raw_cmp *cmps, size_t *n_cmps,
			     struct item *items, size_t *n_items, struct arena *a, struct mlf_err *err)
{
	const struct tok **bad = arena_alloc(a, sizeof(*bad) * lx->n);
	size_t n_bad = 0, i = 0;
	*n_cmps = *n_items = 0;
	while (i < lx->n) {
		const struct tok *t = &lx->toks[i];
		struct item *it = &items[*n_items];
		size_t used;
		if ((used = match_comparison(t, lx->n - i, &cmps[*n_cmps]))) {
			*it = (struct item){ .type = IT_CMP, .tok = t, .cmp = (*n_cmps)++ };
			(*n_items)++;
			i += used;
		} else if (structure_item(t, &it->type)) {
			it->tok = t;
			(*n_items)++;
			i++;
		} else {
			bad[n_bad++] = t;
			i++;
		}
	}
	if (n_bad)
		return invalid_clauses_error(kind, bad, n_bad, err);
	if (stray_ands(kind, items, *n_items, a, err) < 0)
		return -1;
	if (*n_cmps > FILTER_MAX_CONDITIONS)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid filter string: it has %zu comparisons; at most %d are allowed", *n_cmps,
				  (int)FILTER_MAX_CONDITIONS);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pass 2: the AND / OR / NOT tree                                     */

/* Recursive descent over the items:
 *   or    := and ( OR and )*
 *   and   := unary ( AND* unary )*      (ANDs before and after are skipped)
 *   unary := NOT unary | '(' or ')' | comparison
 * Each NOT and '(' is one level of FILTER_MAX_DEPTH, so recursion stays
 * within about 3 * FILTER_MAX_DEPTH frames whatever the input. */
struct tree_parser {
	const struct item *items;
	size_t n, i;
	const struct filter_cond *conds;
	struct arena *a;
};

/* A growing list of kids, in the arena. */
struct kids {
	struct filter_node **v;
	size_t n, cap;
};

static void kids_push(struct kids *k, struct filter_node *node, struct arena *a)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4;
		k->v = arena_grow_array(a, k->v, k->n, cap, sizeof(*k->v));
		k->cap = cap;
	}
	k->v[k->n++] = node;
}

/* Adds `node` to a `type` chain, taking over the kids of a same-type node
 * (a parenthesised chain), so chains stay flat. */
static void kids_add(struct kids *k, enum filter_node_type type, struct filter_node *node, struct arena *a)
{
	if (node->type != type) {
		kids_push(k, node, a);
		return;
	}
	for (size_t i = 0; i < node->n_kids; i++)
		kids_push(k, node->kids[i], a);
}

static struct filter_node *new_node(enum filter_node_type type, struct arena *a)
{
	struct filter_node *node = arena_zalloc(a, sizeof(*node));
	node->type = type;
	return node;
}

/* A chain of one kid is that kid. */
static struct filter_node *chain_node(enum filter_node_type type, const struct kids *k, struct arena *a)
{
	if (k->n == 1)
		return k->v[0];
	struct filter_node *node = new_node(type, a);
	node->kids = k->v;
	node->n_kids = k->n;
	return node;
}

static const struct item *peek(const struct tree_parser *p)
{
	return p->i < p->n ? &p->items[p->i] : NULL;
}

static void skip_ands(struct tree_parser *p)
{
	while (p->i < p->n && p->items[p->i].type == IT_AND)
		p->i++;
}

static int tree_error(const struct tree_parser *p, const char *what, struct mlf_err *err)
{
	const struct item *prev = p->i ? &p->items[p->i - 1] : NULL, *cur = peek(p);
	if (prev)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid filter string: %s after '%.*s'", what,
				  (int)prev->tok->n, prev->tok->p);
	if (cur)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid filter string: %s before '%.*s'", what,
				  (int)cur->tok->n, cur->tok->p);
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid filter string: %s", what);
}

static int deeper(unsigned depth, struct mlf_err *err)
{
	if (depth < FILTER_MAX_DEPTH)
		return 0;
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid filter string: parentheses and NOT are nested more than %d deep",
			  (int)FILTER_MAX_DEPTH);
}

static struct filter_node *parse_or(struct tree_parser *p, unsigned depth, struct mlf_err *err);

static bool starts_unary(const struct item *it)
{
	return it && (it->type == IT_CMP || it->type == IT_NOT || it->type == IT_OPEN);
}

static struct filter_node *parse_unary(struct tree_parser *p, unsigned depth, struct mlf_err *err)
{
	const struct item *it = peek(p);
	if (!starts_unary(it)) {
		tree_error(p, "expected a comparison, NOT or '('", err);
		return NULL;
	}
	p->i++;
	if (it->type == IT_CMP) {
		struct filter_node *leaf = new_node(FN_COND, p->a);
		leaf->cond = &p->conds[it->cmp];
		return leaf;
	}
	if (deeper(depth, err) < 0)
		return NULL;
	if (it->type == IT_NOT) {
		struct filter_node *kid = parse_unary(p, depth + 1, err);
		if (!kid)
			return NULL;
		struct filter_node *node = new_node(FN_NOT, p->a);
		node->kids = arena_alloc(p->a, sizeof(*node->kids));
		node->kids[0] = kid;
		node->n_kids = 1;
		return node;
	}
	struct filter_node *inner = parse_or(p, depth + 1, err);
	if (!inner)
		return NULL;
	const struct item *close = peek(p);
	if (!close || close->type != IT_CLOSE) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid filter string: '(' is never closed");
		return NULL;
	}
	p->i++;
	return inner;
}

static struct filter_node *parse_and(struct tree_parser *p, unsigned depth, struct mlf_err *err)
{
	struct kids k = { 0 };
	skip_ands(p);
	do {
		struct filter_node *kid = parse_unary(p, depth, err);
		if (!kid)
			return NULL;
		kids_add(&k, FN_AND, kid, p->a);
		skip_ands(p);
	} while (starts_unary(peek(p)));
	return chain_node(FN_AND, &k, p->a);
}

static struct filter_node *parse_or(struct tree_parser *p, unsigned depth, struct mlf_err *err)
{
	struct kids k = { 0 };
	for (;;) {
		struct filter_node *kid = parse_and(p, depth, err);
		if (!kid)
			return NULL;
		kids_add(&k, FN_OR, kid, p->a);
		const struct item *it = peek(p);
		if (!it || it->type != IT_OR)
			break;
		p->i++;
	}
	return chain_node(FN_OR, &k, p->a);
}

/* The tree of `items`; NULL (and no error) for a filter of bare ANDs. */
static int build_tree(const struct item *items, size_t n, const struct filter_cond *conds, struct filter_node **root,
		      struct arena *a, struct mlf_err *err)
{
	struct tree_parser p = { .items = items, .n = n, .conds = conds, .a = a };
	*root = NULL;
	skip_ands(&p);
	if (p.i == n)
		return 0;
	if (!(*root = parse_or(&p, 0, err)))
		return -1;
	if (p.i < n) /* parse_or stops only at the end or at a ')' */
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid filter string: unmatched ')'");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pass 3: identifiers and values                                      */

static const struct ident_rule *find_rule(enum filter_kind kind, enum filter_entity e, const char *key, unsigned use)
{
	for (size_t i = 0; i < ARRAY_SIZE(ident_rules); i++) {
		const struct ident_rule *r = &ident_rules[i];
		if (r->kind == kind && r->entity == e && (r->uses & use) && (!r->name || !strcmp(r->name, key)))
			return r;
	}
	return NULL;
}

/* "{'a', 'b'}": the named keys of `kind`/`e` usable for `use`. */
static void add_key_set(struct buf *b, enum filter_kind kind, enum filter_entity e, unsigned use)
{
	bool first = true;
	buf_addch(b, '{');
	for (size_t i = 0; i < ARRAY_SIZE(ident_rules); i++) {
		const struct ident_rule *r = &ident_rules[i];
		if (r->kind != kind || r->entity != e || !(r->uses & use) || !r->name)
			continue;
		buf_addf(b, "%s'%s'", first ? "" : ", ", r->name);
		first = false;
	}
	buf_addch(b, '}');
}

static int bad_attribute_key(enum filter_kind kind, const char *key, unsigned use, struct mlf_err *err)
{
	const struct kind_spec *ks = &kind_specs[kind];
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s%s' specified. Valid keys are '", use == USE_ORDER ? ks->bad_order_key : "Invalid attribute key '",
		 key);
	if (use == USE_ORDER && ks->order_keys_shown)
		buf_adds(&b, ks->order_keys_shown);
	else
		add_key_set(&b, kind, FE_ATTRIBUTE, use);
	buf_addch(&b, '\'');
	return fail_with(&b, err);
}

static int bad_key(enum filter_kind kind, enum filter_entity e, const char *key, unsigned use, struct mlf_err *err)
{
	if (e == FE_ATTRIBUTE)
		return bad_attribute_key(kind, key, use, err);
	if (find_rule(kind, e, key, USE_ANY)) /* a known key this use cannot take */
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, kind_specs[kind].bad_order_entity, entity_names[e]);
	struct buf b = BUF_INIT;
	buf_addf(&b, "Invalid %s key '%s' specified. Valid keys are '", entity_names[e], key);
	add_key_set(&b, kind, e, USE_ANY);
	buf_addch(&b, '\'');
	return fail_with(&b, err);
}

static int find_entity(enum filter_kind kind, const char *p, size_t n, enum filter_entity *e, struct arena *a,
		       struct mlf_err *err)
{
	const struct kind_spec *ks = &kind_specs[kind];
	if (ks->trim_entity_backticks)
		trim_pair(&p, &n, '`');
	for (const struct prefix *px = ks->prefixes; px->name; px++) {
		if (strlen(px->name) == n && !memcmp(px->name, p, n)) {
			*e = px->entity;
			return 0;
		}
	}
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, ks->bad_entity, arena_strndup(a, p, n));
}

/* Resolves `entity.key` (split at the first dot) or a bare attribute key.
 * `key_out` is the key for the AST (canonical for attributes); `written`,
 * if not NULL, the key as the user spelled it, for messages. */
static int resolve_ident(enum filter_kind kind, const char *p, size_t n, unsigned use,
			 const struct ident_rule **rule, const char **key_out, const char **written, struct arena *a,
			 struct mlf_err *err)
{
	enum filter_entity e = FE_ATTRIBUTE;
	const char *dot = memchr(p, '.', n);
	if (dot) {
		if (find_entity(kind, p, (size_t)(dot - p), &e, a, err) < 0)
			return -1;
		n -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	unquote_key(&p, &n);
	char *key = arena_strndup(a, p, n);
	const struct ident_rule *r = find_rule(kind, e, key, use);
	if (!r)
		return bad_key(kind, e, key, use, err);
	*rule = r;
	*key_out = r->canon ? r->canon : r->name ? r->name : key;
	if (written)
		*written = key;
	return 0;
}

static int number_value(const struct tok *t, struct filter_value *v, struct arena *a)
{
	char *text = arena_strndup(a, t->p, t->n);
	v->kind = FV_NUMBER;
	v->str = text;
	v->num = strtod(text, NULL);
	v->num_is_int = t->is_int && util_parse_int64(text, &v->inum);
	return 0;
}

/* A 'single' or "double" quoted value; anything else is MLflow's
 * "not quoted" error. */
static int quoted_value(const struct tok *t, struct filter_value *v, struct arena *a, struct mlf_err *err)
{
	if (t->n < 2 || (t->p[0] != '\'' && t->p[0] != '"') || t->p[t->n - 1] != t->p[0])
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Parameter value is either not quoted or unidentified quote types used for string "
				  "value %.*s. Use either single or double quotes.",
				  (int)t->n, t->p);
	v->kind = FV_STRING;
	v->str = arena_strndup(a, t->p + 1, t->n - 2);
	return 0;
}

static size_t skip_spaces(const char *s, size_t j, size_t end)
{
	while (j < end && is_space(s[j]))
		j++;
	return j;
}

static int list_error(const struct tok *t, bool wrong_type, struct mlf_err *err)
{
	if (wrong_type)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "While parsing a list in the query, expected string value, punctuation, or whitespace, "
				  "but got different type in list: %.*s",
				  (int)t->n, t->p);
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "While parsing a list in the query, expected a non-empty list of string values, but got "
			  "ill-formed list.");
}

/* ('a', 'b'): single-quoted strings only, a trailing comma allowed. */
static int list_value(const struct ident_rule *r, const struct tok *t, struct filter_value *v, struct arena *a,
		      struct mlf_err *err)
{
	const char *s = t->p;
	size_t end = t->n - 1, j = skip_spaces(s, 1, end);
	v->kind = FV_LIST;
	v->list = arena_alloc(a, sizeof(*v->list) * (t->n / 2 + 1));
	v->list_len = 0;
	if (j == end)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "While parsing a list in the query, expected a non-empty list of string values, but "
				  "got empty list");
	while (j < end) {
		if (s[j] != '\'')
			return list_error(t, true, err);
		size_t close = scan_quoted(s, j, '\'');
		char *item = arena_strndup(a, s + j + 1, close - j - 2);
		if (!(r->lowercase_ids && has_upper(item)))
			v->list[v->list_len++] = item;
		j = skip_spaces(s, close, end);
		if (j == end)
			break;
		if (s[j] != ',')
			return list_error(t, false, err);
		j = skip_spaces(s, j + 1, end);
	}
	return 0;
}

/* The shapes string attributes share: a quoted string, or a list where
 * the rule allows IN. Returns 1 when `t` is neither. */
static int string_or_list(const struct ident_rule *r, const struct tok *t, struct filter_value *v, struct arena *a,
			  struct mlf_err *err)
{
	if (t->type == TK_STRING || t->type == TK_IDENT)
		return quoted_value(t, v, a, err);
	if (t->type != TK_LIST)
		return 1;
	if (!(r->ops & OP(FOP_IN)))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Only the 'run_id' attribute supports comparison with a list of quoted string values.");
	return list_value(r, t, v, a, err);
}

static int check_metric(const struct ident_rule *r, const char *key, const struct tok *t, struct filter_value *v,
			struct arena *a, struct mlf_err *err)
{
	(void)r, (void)key;
	if (t->type != TK_NUMBER)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Expected numeric value type for metric. Found %.*s",
				  (int)t->n, t->p);
	return number_value(t, v, a);
}

static int check_numeric_attr(const struct ident_rule *r, const char *key, const struct tok *t,
			      struct filter_value *v, struct arena *a, struct mlf_err *err)
{
	(void)r;
	if (t->type != TK_NUMBER)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Expected numeric value type for numeric attribute: %s. Found %.*s", key, (int)t->n,
				  t->p);
	return number_value(t, v, a);
}

static int check_string(const struct ident_rule *r, const char *key, const struct tok *t, struct filter_value *v,
			struct arena *a, struct mlf_err *err)
{
	(void)key;
	if (t->type == TK_STRING || t->type == TK_IDENT)
		return quoted_value(t, v, a, err);
	if (t->type == TK_LIST && (r->ops & OP(FOP_IN)))
		return list_value(r, t, v, a, err);
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "Expected a quoted string value for %s (e.g. 'my-value'). Got value %.*s", r->noun, (int)t->n,
			  t->p);
}

static int check_string_attr(const struct ident_rule *r, const char *key, const struct tok *t,
			     struct filter_value *v, struct arena *a, struct mlf_err *err)
{
	(void)key;
	int rc = string_or_list(r, t, v, a, err);
	if (rc <= 0)
		return rc;
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Expected a quoted string value for attributes. Got value %.*s",
			  (int)t->n, t->p);
}

static int check_dataset(const struct ident_rule *r, const char *key, const struct tok *t, struct filter_value *v,
			 struct arena *a, struct mlf_err *err)
{
	(void)key;
	int rc = string_or_list(r, t, v, a, err);
	if (rc <= 0)
		return rc;
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "Expected a quoted string value for dataset attributes. Got value %.*s", (int)t->n, t->p);
}

static int registry_value_error(const struct tok *t, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "Expected a quoted string value or a list of quoted string values for attributes. Got value "
			  "%.*s",
			  (int)t->n, t->p);
}

static int check_rm_attr(const struct ident_rule *r, const char *key, const struct tok *t, struct filter_value *v,
			 struct arena *a, struct mlf_err *err)
{
	(void)key;
	int rc = string_or_list(r, t, v, a, err);
	return rc <= 0 ? rc : registry_value_error(t, err);
}

static int check_mv_attr(const struct ident_rule *r, const char *key, const struct tok *t, struct filter_value *v,
			 struct arena *a, struct mlf_err *err)
{
	(void)key;
	int rc = string_or_list(r, t, v, a, err);
	if (rc <= 0)
		return rc;
	if (t->type == TK_NUMBER)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Only the '%s' attributes support comparison with numeric values.", mv_numeric_attrs);
	return registry_value_error(t, err);
}

/* MLflow 2.17 accepts version_number = 'one' (and matches nothing). */
static int check_mv_number(const struct ident_rule *r, const char *key, const struct tok *t,
			   struct filter_value *v, struct arena *a, struct mlf_err *err)
{
	if (t->type == TK_NUMBER)
		return number_value(t, v, a);
	return check_mv_attr(r, key, t, v, a, err);
}

static int resolve_condition(enum filter_kind kind, const struct raw_cmp *rc, struct filter_cond *c,
			     const struct ident_rule **rule, struct arena *a, struct mlf_err *err)
{
	const char *written;
	if (resolve_ident(kind, rc->ident->p, rc->ident->n, USE_FILTER, rule, &c->key, &written, a, err) < 0)
		return -1;
	c->entity = (*rule)->entity;
	c->value = (struct filter_value){ .kind = FV_NONE };
	if (!rc->value)
		return 0;
	return (*rule)->check(*rule, written, rc->value, &c->value, a, err);
}

/* ------------------------------------------------------------------ */
/* Pass 4: comparators                                                 */

static int find_comparator(const char *text)
{
	for (size_t i = 0; i < ARRAY_SIZE(comparators); i++)
		if (!strcmp(comparators[i].text, text))
			return (int)comparators[i].op;
	return -1;
}

/* Upper-cases the comparator as written (sqlparse keeps "like"). */
static const char *normalise_comparator(const char *op, struct arena *a)
{
	char *s = arena_strdup(a, op);
	for (char *p = s; *p; p++)
		*p = to_upper(*p);
	return s;
}

static int comparator_error(const struct ident_rule *r, const char *text, struct mlf_err *err)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s%s", r->op_error, text);
	if (r->op_error_lists) {
		bool first = true;
		buf_adds(&b, "' not one of '{");
		for (size_t i = 0; i < ARRAY_SIZE(comparators); i++) {
			if (!(r->ops & OP(comparators[i].op)))
				continue;
			buf_addf(&b, "%s'%s'", first ? "" : ", ", comparators[i].text);
			first = false;
		}
		buf_adds(&b, "}'");
	}
	return fail_with(&b, err);
}

static int check_comparator(const struct ident_rule *r, const char *text, struct filter_cond *c, struct mlf_err *err)
{
	int op = find_comparator(text);
	if (op < 0 || !(r->ops & OP(op)))
		return comparator_error(r, text, err);
	bool list_op = op == FOP_IN || op == FOP_NOT_IN;
	if ((c->value.kind == FV_LIST) != list_op)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid comparator '%s' for a list of values; use IN or NOT IN.", text);
	c->op = (enum filter_op)op;
	return 0;
}

/* ------------------------------------------------------------------ */
/* filter_parse                                                        */

int filter_parse(enum filter_kind kind, const char *text, struct filter *out, struct arena *a, struct mlf_err *err)
{
	struct lexer lx;
	out->root = NULL;
	out->conds = NULL;
	out->n = 0;
	if (!text || !*text)
		return 0;
	lex(text, &lx, a);
	if (check_single_statement(&lx, text, err) < 0)
		return -1;

	struct raw_cmp *cmps = arena_alloc(a, sizeof(*cmps) * (lx.n + 1));
	struct item *items = arena_alloc(a, sizeof(*items) * (lx.n + 1));
	size_t n, n_items;
	if (group_comparisons(kind, &lx, cmps, &n, items, &n_items, a, err) < 0)
		return -1;

	struct filter_cond *conds = arena_zalloc(a, sizeof(*conds) * (n + 1));
	struct filter_node *root;
	if (build_tree(items, n_items, conds, &root, a, err) < 0)
		return -1;
	const struct ident_rule **rules = arena_alloc(a, sizeof(*rules) * (n + 1));
	size_t list_values = 0;
	for (size_t i = 0; i < n; i++) {
		if (resolve_condition(kind, &cmps[i], &conds[i], &rules[i], a, err) < 0)
			return -1;
		list_values += conds[i].value.list_len;
	}
	if (list_values > FILTER_MAX_LIST_VALUES)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid filter string: its IN lists hold %zu values; at most %d are allowed",
				  list_values, (int)FILTER_MAX_LIST_VALUES);
	for (size_t i = 0; i < n; i++)
		if (check_comparator(rules[i], normalise_comparator(cmps[i].op, a), &conds[i], err) < 0)
			return -1;
	out->root = root;
	out->conds = conds;
	out->n = n;
	return 0;
}

static void assume_true(struct filter_node *node, const char *tag_key)
{
	if (node->type == FN_COND) {
		if (node->cond->entity == FE_TAG && !strcmp(node->cond->key, tag_key))
			node->type = FN_TRUE;
		return;
	}
	for (size_t i = 0; i < node->n_kids; i++)
		assume_true(node->kids[i], tag_key);
}

void filter_assume_true(const struct filter *f, const char *tag_key)
{
	if (f->root)
		assume_true(f->root, tag_key);
}

/* ------------------------------------------------------------------ */
/* order_by_parse                                                      */

/* Splits `s` into words as MLflow does (backticks become double quotes,
 * then shlex.split): blanks separate words, '...' and "..." group and
 * are removed. Stores at most `max` words and returns how many there
 * were, or -1 for an unclosed quote. Backslashes are kept as written. */
static int split_words(const char *s, char **words, int max, struct arena *a)
{
	struct buf w = BUF_INIT;
	bool in_word = false;
	int n = 0;
	for (size_t i = 0;; i++) {
		char c = s[i];
		if (!c || is_space(c)) {
			if (in_word) {
				if (n < max)
					words[n] = arena_strndup(a, w.ptr, w.len);
				n++;
			}
			buf_reset(&w);
			in_word = false;
			if (!c)
				break;
			continue;
		}
		in_word = true;
		if (c == '\'' || c == '"' || c == '`') {
			char q = c == '`' ? '"' : c;
			size_t j = i + 1;
			while (s[j] && (s[j] == '`' ? '"' : s[j]) != q)
				j++;
			if (!s[j]) {
				buf_release(&w);
				return -1;
			}
			buf_add(&w, s + i + 1, j - i - 1);
			i = j;
			continue;
		}
		buf_addch(&w, c);
	}
	buf_release(&w);
	return n;
}

static int parse_order_clause(enum filter_kind kind, const char *clause, struct order_term *t, struct arena *a,
			      struct mlf_err *err)
{
	char *words[2];
	int n = split_words(clause, words, 2, a);
	if (n < 1 || n > 2)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid order_by clause '%s'. Could not be parsed.",
				  clause);
	t->ascending = true;
	if (n == 2) {
		if (word_eq(words[1], strlen(words[1]), "DESC"))
			t->ascending = false;
		else if (!word_eq(words[1], strlen(words[1]), "ASC"))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "Invalid ordering key in order_by clause '%s'.", clause);
	}
	const struct ident_rule *r;
	if (resolve_ident(kind, words[0], strlen(words[0]), USE_ORDER, &r, &t->key, NULL, a, err) < 0)
		return -1;
	t->entity = r->entity;
	return 0;
}

static bool same_field(const struct order_term *x, const struct order_term *y)
{
	return x->entity == y->entity && !strcmp(x->key, y->key);
}

static int duplicate_error(const char *const *clauses, size_t n, struct mlf_err *err)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "`order_by` contains duplicate fields: [");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(&b, ", ");
		add_py_repr(&b, clauses[i] ? clauses[i] : "");
	}
	buf_addch(&b, ']');
	return fail_with(&b, err);
}

int order_by_parse(enum filter_kind kind, const char *const *clauses, size_t n, struct order_by *out,
		   struct arena *a, struct mlf_err *err)
{
	out->terms = arena_alloc(a, sizeof(*out->terms) * (n + 1));
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct order_term t;
		if (parse_order_clause(kind, clauses[i] ? clauses[i] : "", &t, a, err) < 0)
			return -1;
		for (size_t k = 0; k < out->n; k++)
			if (same_field(&out->terms[k], &t))
				return duplicate_error(clauses, n, err);
		out->terms[out->n++] = t;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Page tokens                                                         */

char *page_token_encode(int64_t offset, struct arena *a)
{
	json_t *obj = json_pack("{s:I}", "offset", (json_int_t)offset);
	char *json = obj ? json_dumps(obj, 0) : NULL; /* {"offset": N}, as Python writes it */
	if (!json)
		abort(); /* jansson fails only when out of memory: xalloc.h policy */
	struct buf b = BUF_INIT;
	util_base64_encode(&b, json, strlen(json));
	char *token = arena_strndup(a, b.ptr, b.len);
	buf_release(&b);
	free(json);
	json_decref(obj);
	return token;
}

/* Standard base64 with padding: what Python's b64decode insists on. */
static bool is_padded_base64(const char *s, size_t n)
{
	size_t pad = 0;
	while (pad < n && s[n - 1 - pad] == '=')
		pad++;
	return n > 0 && n % 4 == 0 && pad <= 2;
}

/* Printable ASCII of the decoded bytes, for the error message. */
static void add_printable(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && i < 200; i++)
		buf_addch(b, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
}

static int token_json_error(const char *what, const json_t *value, struct mlf_err *err)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid page token, %s%.200s", what, text ? text : "?");
	free(text);
	return -1;
}

static int offset_from_json(const json_t *root, int64_t *offset, struct mlf_err *err)
{
	const json_t *off = json_is_object(root) ? json_object_get(root, "offset") : NULL;
	if (!off || json_is_null(off) || json_is_false(off) || (json_is_integer(off) && !json_integer_value(off)))
		return token_json_error("parsed value=", root, err);
	if (!json_is_integer(off))
		return token_json_error("not stringable ", off, err);
	if (json_integer_value(off) < 0)
		return token_json_error("offset must be positive: ", off, err);
	*offset = json_integer_value(off);
	return 0;
}

int page_token_decode(const char *token, int64_t *offset, struct mlf_err *err)
{
	size_t n = token ? strlen(token) : 0;
	struct buf raw = BUF_INIT;
	*offset = 0;
	if (!n)
		return 0;
	if (!is_padded_base64(token, n) || util_base64_decode(&raw, token, n) < 0) {
		buf_release(&raw);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid page token, could not base64-decode");
	}
	json_t *root = json_loadb(raw.ptr, raw.len, JSON_DECODE_ANY, NULL);
	if (!root) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "Invalid page token, decoded value=");
		add_printable(&b, raw.ptr, raw.len);
		buf_release(&raw);
		return fail_with(&b, err);
	}
	int rc = offset_from_json(root, offset, err);
	json_decref(root);
	buf_release(&raw);
	return rc;
}
