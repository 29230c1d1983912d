/*
 * test_filter.c - unit tests for the search DSL parser (search/filter.h):
 * what each search kind accepts and how it reads it, every rejection
 * class with MLflow's wording, order_by clauses and page tokens; and the
 * extension beyond MLflow: AND / OR / NOT trees with their precedence,
 * parentheses, IN on params and tags, and the limits of filter.h.
 *
 * The accepted and rejected filters include every filter string MLflow
 * 2.17 answered in the recorded conformance transcripts
 * (/work/shared/conformance/transcripts), with the same verdict.
 */
#include "base/buf.h"
#include "base/util.h"
#include "search/filter.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

struct fixture {
	struct arena a;
	struct mlf_err err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	arena_release(&f->a);
	free(f);
	return 0;
}

static const char *const kind_names[] = { "runs", "experiments", "registered models", "model versions" };

/* Parses `text`, failing the test with the parser's message on error. */
static struct filter parse_ok(struct fixture *fx, enum filter_kind kind, const char *text)
{
	struct filter f;
	if (filter_parse(kind, text, &f, &fx->a, &fx->err) != 0)
		fail_msg("%s filter \"%s\" rejected: %s", kind_names[kind], text, fx->err.msg);
	return f;
}

/* Expects INVALID_PARAMETER_VALUE with `want` in the message. */
static void expect_rejected(struct fixture *fx, int rc, const char *what, const char *want)
{
	if (rc != -1)
		fail_msg("\"%s\" was accepted; expected error containing \"%s\"", what, want);
	assert_int_equal(fx->err.code, MLF_INVALID_PARAMETER_VALUE);
	if (!strstr(fx->err.msg, want))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", what, fx->err.msg, want);
}

static void filter_rejected(struct fixture *fx, enum filter_kind kind, const char *text, const char *want)
{
	struct filter f;
	memset(&fx->err, 0, sizeof(fx->err));
	expect_rejected(fx, filter_parse(kind, text, &f, &fx->a, &fx->err), text, want);
}

/* The list value joined with '|', for compact expectations. */
static const char *list_text(struct fixture *fx, const struct filter_value *v)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < v->list_len; i++)
		buf_addf(&b, "%s%s", i ? "|" : "", v->list[i]);
	char *s = arena_strdup(&fx->a, b.ptr);
	buf_release(&b);
	return s;
}

/* ------------------------------------------------------------------ */
/* Accepted single conditions                                          */

struct accept_case {
	enum filter_kind kind;
	const char *text;
	enum filter_entity entity;
	const char *key;
	enum filter_op op;
	enum filter_value_kind vkind;
	const char *value; /* FV_STRING / FV_NUMBER text; FV_LIST items joined by '|' */
};

#define R FILTER_RUNS
#define E FILTER_EXPERIMENTS
#define RM FILTER_REGISTERED_MODELS
#define MV FILTER_MODEL_VERSIONS

static const struct accept_case accept_cases[] = {
	/* runs: metrics, every numeric comparator, both prefixes, quoting */
	{ R, "metrics.acc > 0.8", FE_METRIC, "acc", FOP_GT, FV_NUMBER, "0.8" },
	{ R, "metric.acc >= 0.91", FE_METRIC, "acc", FOP_GE, FV_NUMBER, "0.91" },
	{ R, "metrics.acc = 0.91", FE_METRIC, "acc", FOP_EQ, FV_NUMBER, "0.91" },
	{ R, "metrics.acc != 1", FE_METRIC, "acc", FOP_NE, FV_NUMBER, "1" },
	{ R, "metrics.loss < -1.5e3", FE_METRIC, "loss", FOP_LT, FV_NUMBER, "-1.5e3" },
	{ R, "metrics.loss <= .5", FE_METRIC, "loss", FOP_LE, FV_NUMBER, ".5" },
	{ R, "metrics.acc>0.8", FE_METRIC, "acc", FOP_GT, FV_NUMBER, "0.8" },
	{ R, "`metrics`.`acc` > 1", FE_METRIC, "acc", FOP_GT, FV_NUMBER, "1" },
	{ R, "metrics.\"f1 score\" > 1", FE_METRIC, "f1 score", FOP_GT, FV_NUMBER, "1" },
	{ R, "metrics.`f1-score` > 1", FE_METRIC, "f1-score", FOP_GT, FV_NUMBER, "1" },
	/* runs: params, every prefix and comparator, quote styles */
	{ R, "params.opt = 'adam'", FE_PARAM, "opt", FOP_EQ, FV_STRING, "adam" },
	{ R, "param.opt != \"adam\"", FE_PARAM, "opt", FOP_NE, FV_STRING, "adam" },
	{ R, "parameter.opt LIKE 'a%'", FE_PARAM, "opt", FOP_LIKE, FV_STRING, "a%" },
	{ R, "parameters.opt ILIKE 'A%'", FE_PARAM, "opt", FOP_ILIKE, FV_STRING, "A%" },
	{ R, "params.opt like 'a_'", FE_PARAM, "opt", FOP_LIKE, FV_STRING, "a_" },
	{ R, "params.opt iLike 'a'", FE_PARAM, "opt", FOP_ILIKE, FV_STRING, "a" },
	{ R, "params.opt IS NULL", FE_PARAM, "opt", FOP_IS_NULL, FV_NONE, NULL },
	{ R, "params.opt is not null", FE_PARAM, "opt", FOP_IS_NOT_NULL, FV_NONE, NULL },
	{ R, "params.\"learning-rate\" = '0.1'", FE_PARAM, "learning-rate", FOP_EQ, FV_STRING, "0.1" },
	{ R, "params.lr = '1e-4'", FE_PARAM, "lr", FOP_EQ, FV_STRING, "1e-4" },
	/* runs: tags */
	{ R, "tags.team = 'vision'", FE_TAG, "team", FOP_EQ, FV_STRING, "vision" },
	{ R, "tag.team LIKE '%a%'", FE_TAG, "team", FOP_LIKE, FV_STRING, "%a%" },
	{ R, "tags.`odd key` = 'v1'", FE_TAG, "odd key", FOP_EQ, FV_STRING, "v1" },
	{ R, "tags.\"odd key\" != 'v1'", FE_TAG, "odd key", FOP_NE, FV_STRING, "v1" },
	{ R, "tags.`mlflow.source.type` = 'LOCAL'", FE_TAG, "mlflow.source.type", FOP_EQ, FV_STRING, "LOCAL" },
	{ R, "tags.mlflow.parentRunId = '708f8049df144d359fe2df810c61859f'", FE_TAG, "mlflow.parentRunId", FOP_EQ,
	  FV_STRING, "708f8049df144d359fe2df810c61859f" },
	{ R, "tags.x IS NOT NULL", FE_TAG, "x", FOP_IS_NOT_NULL, FV_NONE, NULL },
	{ R, "tags.x IS NULL", FE_TAG, "x", FOP_IS_NULL, FV_NONE, NULL },
	{ R, "tags.t = ''", FE_TAG, "t", FOP_EQ, FV_STRING, "" },
	{ R, "tags.t = 'x AND y OR (z)'", FE_TAG, "t", FOP_EQ, FV_STRING, "x AND y OR (z)" },
	/* runs: string attributes, prefixes and aliases */
	{ R, "attributes.status = 'FINISHED'", FE_ATTRIBUTE, "status", FOP_EQ, FV_STRING, "FINISHED" },
	{ R, "status = 'RUNNING'", FE_ATTRIBUTE, "status", FOP_EQ, FV_STRING, "RUNNING" },
	{ R, "attribute.status != 'FINISHED'", FE_ATTRIBUTE, "status", FOP_NE, FV_STRING, "FINISHED" },
	{ R, "attr.user_id = 'u'", FE_ATTRIBUTE, "user_id", FOP_EQ, FV_STRING, "u" },
	{ R, "run.artifact_uri LIKE 's3://%'", FE_ATTRIBUTE, "artifact_uri", FOP_LIKE, FV_STRING, "s3://%" },
	{ R, "attributes.run_name = 'r3'", FE_ATTRIBUTE, "run_name", FOP_EQ, FV_STRING, "r3" },
	{ R, "attributes.run_name ILIKE 'R1'", FE_ATTRIBUTE, "run_name", FOP_ILIKE, FV_STRING, "R1" },
	{ R, "`Run Name` = 'x'", FE_ATTRIBUTE, "run_name", FOP_EQ, FV_STRING, "x" },
	{ R, "\"run name\" = 'x'", FE_ATTRIBUTE, "run_name", FOP_EQ, FV_STRING, "x" },
	{ R, "attributes.`Run name` LIKE 'x%'", FE_ATTRIBUTE, "run_name", FOP_LIKE, FV_STRING, "x%" },
	{ R, "attributes.run_id = 'd63c15e504a74b4aad8081f4aebb96bc'", FE_ATTRIBUTE, "run_id", FOP_EQ, FV_STRING,
	  "d63c15e504a74b4aad8081f4aebb96bc" },
	{ R, "run_id LIKE 'ab%'", FE_ATTRIBUTE, "run_id", FOP_LIKE, FV_STRING, "ab%" },
	{ R, "attributes.run_id IN ('91788cfe3a6d4762b90ca91d32425613', '4d949e3a565044baa0074895269c93f7')",
	  FE_ATTRIBUTE, "run_id", FOP_IN, FV_LIST, "91788cfe3a6d4762b90ca91d32425613|4d949e3a565044baa0074895269c93f7" },
	{ R, "attributes.run_id NOT IN ('d63c15e504a74b4aad8081f4aebb96bc')", FE_ATTRIBUTE, "run_id", FOP_NOT_IN,
	  FV_LIST, "d63c15e504a74b4aad8081f4aebb96bc" },
	{ R, "run_id in ('a1')", FE_ATTRIBUTE, "run_id", FOP_IN, FV_LIST, "a1" },
	{ R, "run_id not in ('a1', )", FE_ATTRIBUTE, "run_id", FOP_NOT_IN, FV_LIST, "a1" },
	/* MLflow drops ids with upper-case letters from run_id lists */
	{ R, "run_id IN ('abc', 'ABC', 'aBc1', 'def')", FE_ATTRIBUTE, "run_id", FOP_IN, FV_LIST, "abc|def" },
	{ R, "run_id IN ('ABC')", FE_ATTRIBUTE, "run_id", FOP_IN, FV_LIST, "" },
	/* runs: numeric attributes and the created alias */
	{ R, "attributes.start_time >= 1700000003000", FE_ATTRIBUTE, "start_time", FOP_GE, FV_NUMBER, "1700000003000" },
	{ R, "attributes.end_time > 1700000004000", FE_ATTRIBUTE, "end_time", FOP_GT, FV_NUMBER, "1700000004000" },
	{ R, "created < 5", FE_ATTRIBUTE, "start_time", FOP_LT, FV_NUMBER, "5" },
	{ R, "attributes.Created <= 5", FE_ATTRIBUTE, "start_time", FOP_LE, FV_NUMBER, "5" },
	{ R, "end_time != 3", FE_ATTRIBUTE, "end_time", FOP_NE, FV_NUMBER, "3" },
	{ R, "start_time = 3", FE_ATTRIBUTE, "start_time", FOP_EQ, FV_NUMBER, "3" },
	/* runs: datasets (upper case kept in lists: only run ids are filtered) */
	{ R, "datasets.name = 'toy-train'", FE_DATASET, "name", FOP_EQ, FV_STRING, "toy-train" },
	{ R, "dataset.digest != 'e6058d75'", FE_DATASET, "digest", FOP_NE, FV_STRING, "e6058d75" },
	{ R, "datasets.context = 'training'", FE_DATASET, "context", FOP_EQ, FV_STRING, "training" },
	{ R, "datasets.context IN ('validation', 'test')", FE_DATASET, "context", FOP_IN, FV_LIST, "validation|test" },
	{ R, "datasets.name NOT IN ('Toy')", FE_DATASET, "name", FOP_NOT_IN, FV_LIST, "Toy" },
	/* IN / NOT IN on params and tags: beyond MLflow, which answers 400 */
	{ R, "params.opt IN ('sgd', 'rmsprop')", FE_PARAM, "opt", FOP_IN, FV_LIST, "sgd|rmsprop" },
	{ R, "params.opt NOT IN ('sgd', 'rmsprop')", FE_PARAM, "opt", FOP_NOT_IN, FV_LIST, "sgd|rmsprop" },
	{ R, "tags.team IN ('nlp', 'tabular')", FE_TAG, "team", FOP_IN, FV_LIST, "nlp|tabular" },
	{ R, "tags.`odd key` not in ('A', 'b''c',)", FE_TAG, "odd key", FOP_NOT_IN, FV_LIST, "A|b''c" },
	{ E, "tags.team IN ('x')", FE_TAG, "team", FOP_IN, FV_LIST, "x" },
	{ RM, "tags.k NOT IN ('x', 'Y')", FE_TAG, "k", FOP_NOT_IN, FV_LIST, "x|Y" },
	{ MV, "tags.k IN ('x')", FE_TAG, "k", FOP_IN, FV_LIST, "x" },
	{ R, "datasets.name LIKE 'toy-%'", FE_DATASET, "name", FOP_LIKE, FV_STRING, "toy-%" },
	{ R, "datasets.name ILIKE 'TOY-%'", FE_DATASET, "name", FOP_ILIKE, FV_STRING, "TOY-%" },

	/* experiments */
	{ E, "name LIKE 'cf-exp-search-%'", FE_ATTRIBUTE, "name", FOP_LIKE, FV_STRING, "cf-exp-search-%" },
	{ E, "attribute.name = 'x'", FE_ATTRIBUTE, "name", FOP_EQ, FV_STRING, "x" },
	{ E, "name ILIKE 'CF-%'", FE_ATTRIBUTE, "name", FOP_ILIKE, FV_STRING, "CF-%" },
	{ E, "name != 'x'", FE_ATTRIBUTE, "name", FOP_NE, FV_STRING, "x" },
	{ E, "creation_time > 5", FE_ATTRIBUTE, "creation_time", FOP_GT, FV_NUMBER, "5" },
	{ E, "last_update_time <= 5", FE_ATTRIBUTE, "last_update_time", FOP_LE, FV_NUMBER, "5" },
	{ E, "tags.team = 'vision'", FE_TAG, "team", FOP_EQ, FV_STRING, "vision" },
	{ E, "tag.team ILIKE 'nlp'", FE_TAG, "team", FOP_ILIKE, FV_STRING, "nlp" },
	{ E, "tags.`odd key` = 'v 2'", FE_TAG, "odd key", FOP_EQ, FV_STRING, "v 2" },
	{ E, "tags.\"odd key\" LIKE 'v%'", FE_TAG, "odd key", FOP_LIKE, FV_STRING, "v%" },
	{ E, "tags.stage IS NULL", FE_TAG, "stage", FOP_IS_NULL, FV_NONE, NULL },
	{ E, "tags.stage IS NOT NULL", FE_TAG, "stage", FOP_IS_NOT_NULL, FV_NONE, NULL },

	/* registered models */
	{ RM, "name = 'm'", FE_ATTRIBUTE, "name", FOP_EQ, FV_STRING, "m" },
	{ RM, "name LIKE 'cf-raw-registry-%'", FE_ATTRIBUTE, "name", FOP_LIKE, FV_STRING, "cf-raw-registry-%" },
	{ RM, "attribute.name ILIKE 'CF-%'", FE_ATTRIBUTE, "name", FOP_ILIKE, FV_STRING, "CF-%" },
	{ RM, "tags.k = 'v'", FE_TAG, "k", FOP_EQ, FV_STRING, "v" },
	{ RM, "tag.`odd key` != 'x y'", FE_TAG, "odd key", FOP_NE, FV_STRING, "x y" },

	/* model versions */
	{ MV, "name = 'cf-registry-versions-model'", FE_ATTRIBUTE, "name", FOP_EQ, FV_STRING,
	  "cf-registry-versions-model" },
	{ MV, "version_number > 2", FE_ATTRIBUTE, "version_number", FOP_GT, FV_NUMBER, "2" },
	{ MV, "version_number = 'one'", FE_ATTRIBUTE, "version_number", FOP_EQ, FV_STRING, "one" },
	{ MV, "run_id = 'not-a-run'", FE_ATTRIBUTE, "run_id", FOP_EQ, FV_STRING, "not-a-run" },
	{ MV, "run_id IN ('acdeb562d8ed4f15a34182e8bf2a0b18', 'X')", FE_ATTRIBUTE, "run_id", FOP_IN, FV_LIST,
	  "acdeb562d8ed4f15a34182e8bf2a0b18" },
	{ MV, "source_path = 'mlflow-artifacts:/24/x/artifacts/model'", FE_ATTRIBUTE, "source_path", FOP_EQ, FV_STRING,
	  "mlflow-artifacts:/24/x/artifacts/model" },
	{ MV, "tags.validated = 'false'", FE_TAG, "validated", FOP_EQ, FV_STRING, "false" },
};

static void check_accept_case(struct fixture *fx, const struct accept_case *c)
{
	struct filter f = parse_ok(fx, c->kind, c->text);
	if (f.n != 1)
		fail_msg("\"%s\": %zu conditions", c->text, f.n);
	const struct filter_cond *cond = &f.conds[0];
	if (cond->entity != c->entity || strcmp(cond->key, c->key) || cond->op != c->op ||
	    cond->value.kind != c->vkind)
		fail_msg("\"%s\": got entity %d key '%s' op %d value kind %d", c->text, cond->entity, cond->key,
			 cond->op, cond->value.kind);
	const char *got = c->vkind == FV_LIST ? list_text(fx, &cond->value) : cond->value.str;
	if (c->value && (!got || strcmp(got, c->value)))
		fail_msg("\"%s\": value '%s', want '%s'", c->text, got ? got : "(null)", c->value);
}

static void test_accepted_conditions(void **state)
{
	for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++)
		check_accept_case(*state, &accept_cases[i]);
}

/* ------------------------------------------------------------------ */
/* Rejections                                                          */

struct reject_case {
	enum filter_kind kind;
	const char *text;
	const char *message; /* a distinctive part of the error message */
};

static const struct reject_case reject_cases[] = {
	/* structure: MLflow's "Invalid clause(s)" (runs quote each token) */
	{ R, "metrics.acc >", "Invalid clause(s) in filter string: 'metrics.acc', '>'" },
	{ R, "metrics.acc = 1;", "Invalid clause(s) in filter string: ';'" },
	{ R, "params.a = 'unterminated", "Invalid clause(s) in filter string: 'params.a', '=', ''unterminated'" },
	{ R, "run_id IN 'a'", "Invalid clause(s) in filter string: 'run_id', 'IN', ''a''" },
	{ R, "params.a IS 'x'", "Invalid clause(s)" },
	{ R, "params.a - 'x'", "Invalid clause(s)" },
	{ R, "metrics.acc = 1; metrics.b = 2", "Search filter contained multiple expression" },
	/* identifiers */
	{ R, "foo.bar = 1", "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', "
			    "'dataset']" },
	{ R, "attributes.foo = 'x'", "Invalid attribute key 'foo' specified. Valid keys are '{'run_id', 'run_name', "
				     "'user_id', 'status', 'artifact_uri', 'start_time', 'end_time', 'created', "
				     "'Created', 'run name', 'Run name', 'Run Name'}'" },
	{ R, "lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'" },
	{ R, "experiment_id = '1'", "Invalid attribute key 'experiment_id'" },
	{ R, "RUN_NAME = 'x'", "Invalid attribute key 'RUN_NAME'" },
	{ R, "datasets.foo = 'x'", "Invalid dataset key 'foo' specified. Valid keys are '{'name', 'digest', "
				   "'context'}'" },
	/* values */
	{ R, "metrics.acc > 'x'", "Expected numeric value type for metric. Found 'x'" },
	{ R, "metrics.acc > \"0.5\"", "Expected numeric value type for metric. Found \"0.5\"" },
	{ R, "metrics.acc > abc", "Expected numeric value type for metric. Found abc" },
	{ R, "attributes.start_time > '5'", "Expected numeric value type for numeric attribute: start_time. Found '5'" },
	{ R, "created > 'x'", "Expected numeric value type for numeric attribute: created. Found 'x'" },
	{ R, "attributes.status = FINISHED", "Parameter value is either not quoted or unidentified quote types used "
					     "for string value FINISHED. Use either single or double quotes." },
	{ R, "params.a = `x`", "Parameter value is either not quoted" },
	{ R, "tags.team LIKE 5", "Expected a quoted string value for tag (e.g. 'my-value'). Got value 5" },
	{ R, "params.opt IN (1, 2)", "but got different type in list: (1, 2)" },
	{ R, "tags.team NOT IN ()", "but got empty list" },
	{ R, "params.opt = ('a')", "Invalid comparator '=' for a list of values" },
	{ R, "tags.t LIKE ('a')", "Invalid comparator 'LIKE' for a list of values" },
	{ R, "tags.team = NULL", "Expected a quoted string value for tag (e.g. 'my-value'). Got value NULL" },
	{ R, "attributes.status IN ('FAILED', 'KILLED')",
	  "Only the 'run_id' attribute supports comparison with a list of quoted string values." },
	{ R, "run_name IN ('r0', 'r6')", "Only the 'run_id' attribute supports comparison with a list" },
	{ R, "attributes.status = 5", "Expected a quoted string value for attributes. Got value 5" },
	{ R, "datasets.name = 5", "Expected a quoted string value for dataset attributes. Got value 5" },
	{ R, "run_id IN ()", "expected a non-empty list of string values, but got empty list" },
	{ R, "run_id IN (   )", "but got empty list" },
	{ R, "run_id IN (1, 2)", "but got different type in list: (1, 2)" },
	{ R, "run_id IN (\"a\")", "but got different type in list: (\"a\")" },
	{ R, "run_id IN ('a' 'b')", "but got ill-formed list." },
	{ R, "run_id IN ('a',, 'b')", "While parsing a list in the query" },
	/* comparators */
	{ R, "params.opt > 'a'", "Invalid comparator '>' not one of '{'=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN', "
				 "'IS NULL', 'IS NOT NULL'}'" },
	{ R, "tags.t < 'a'", "Invalid comparator '<' not one of" },
	{ R, "metrics.acc LIKE 5", "Invalid comparator 'LIKE' not one of '{'=', '!=', '<', '<=', '>', '>='}'" },
	{ R, "metrics.acc IS NULL", "Invalid comparator 'IS NULL'" },
	{ R, "metrics.acc IS NOT NULL", "Invalid comparator 'IS NOT NULL'" },
	{ R, "attributes.status IS NULL", "Invalid comparator 'IS NULL'" },
	{ R, "attributes.end_time IS NULL", "Invalid comparator 'IS NULL'" },
	{ R, "datasets.name IS NULL", "Invalid comparator 'IS NULL'" },
	{ R, "attributes.start_time LIKE 5", "Invalid comparator 'LIKE'" },
	{ R, "attributes.status < 'x'", "Invalid comparator '<'" },
	{ R, "metrics.acc <> 1", "Invalid comparator '<>'" },
	{ R, "metrics.acc == 1", "Invalid comparator '=='" },
	{ R, "params.a NOT LIKE 'x'", "Invalid comparator 'NOT LIKE'" },
	{ R, "params.a not ilike 'x'", "Invalid comparator 'NOT ILIKE'" },
	{ R, "params.a RLIKE 'x'", "Invalid comparator 'RLIKE'" },
	{ R, "run_id = ('a')", "Invalid comparator '=' for a list of values" },
	{ R, "datasets.name LIKE ('a')", "Invalid comparator 'LIKE' for a list of values" },
	/* identifiers are checked before comparators, structure before both */
	{ R, "params.a > 'x' AND foo.b = 'y'", "Invalid entity type 'foo'" },
	{ R, "foo.b = 'y' AND metrics.a >", "Invalid clause(s) in filter string: 'metrics.a', '>'" },
	/* an AND that joins nothing (MLflow would match every run) */
	{ R, "AND", "Invalid clause(s) in filter string: 'AND'" },
	{ R, "and AND", "Invalid clause(s) in filter string: 'and', 'AND'" },
	{ R, "metrics.a > 1 AND", "Invalid clause(s) in filter string: 'AND'" },
	{ R, "AND metrics.a > 1", "Invalid clause(s) in filter string: 'AND'" },
	{ R, "metrics.a > 1 AND AND params.b = 'x'", "Invalid clause(s) in filter string: 'AND'" },
	{ R, "AND metrics.a > 1 And", "Invalid clause(s) in filter string: 'AND', 'And'" },
	{ E, "name = 'a' AND", "Invalid clause(s) in filter string: AND" },
	{ RM, "AND name = 'a'", "Invalid clause(s) in filter string: AND" },
	{ MV, "AND", "Invalid clause(s) in filter string: AND" },
	{ R, "(metrics.a > 1 AND) OR metrics.b > 1", "Invalid clause(s) in filter string: 'AND'" },
	{ R, "metrics.a > 1 AND OR metrics.b > 1", "Invalid clause(s) in filter string: 'AND'" },
	{ R, "NOT AND metrics.a > 1", "Invalid clause(s) in filter string: 'AND'" },
	{ R, "( AND metrics.a > 1)", "Invalid clause(s) in filter string: 'AND'" },

	/* experiments */
	{ E, "name LIKE", "Invalid clause(s) in filter string: name, LIKE" },
	{ E, "name = 'a' OR name", "Invalid clause(s) in filter string: name" },
	{ E, "tags.team > 'x'", "Invalid comparator for tag: >" },
	{ E, "params.p = 'x'", "Invalid entity type 'params'. Valid entity types are ('attribute', 'tag', 'tags')" },
	{ E, "attributes.name = 'x'", "Invalid entity type 'attributes'" },
	{ E, "`tags`.x = 'y'", "Invalid entity type '`tags`'" },
	{ E, "metrics.m > 1", "Invalid entity type 'metrics'" },
	{ E, "name > 'x'", "Invalid comparator for string attribute: >" },
	{ E, "creation_time LIKE 5", "Invalid comparator for numeric attribute: LIKE" },
	{ E, "creation_time = 'x'", "Expected numeric value type for numeric attribute: creation_time. Found 'x'" },
	{ E, "experiment_id = 1", "Invalid attribute key 'experiment_id' specified. Valid keys are '{'name', "
				  "'creation_time', 'last_update_time'}'" },
	{ E, "name IN ('a')", "Only the 'run_id' attribute supports comparison with a list" },
	{ E, "tags.t LIKE 5", "Expected a quoted string value for tag" },

	/* registered models */
	{ RM, "name LIKE", "Invalid clause(s) in filter string: name, LIKE" },
	{ RM, "description = 'x'", "Invalid attribute key 'description' specified. Valid keys are '{'name'}'" },
	{ RM, "name > 'x'", "Invalid comparator for attribute: >" },
	{ RM, "tags.k IS NULL", "Invalid comparator for tag: IS NULL" },
	{ RM, "tags.k IN (5)", "but got different type in list" },
	{ RM, "name = 5", "Expected a quoted string value or a list of quoted string values for attributes. Got value 5" },
	{ RM, "name IN ('a')", "Only the 'run_id' attribute" },
	{ RM, "metrics.x = 1", "Invalid entity type 'metrics'" },

	/* model versions */
	{ MV, "name = ", "Invalid clause(s) in filter string: name, =" },
	{ MV, "bogus = 'x'", "Invalid attribute key 'bogus' specified. Valid keys are '{'name', 'source_path', "
			     "'version_number', 'run_id'}'" },
	{ MV, "name = 5", "Only the '{'version_number', 'creation_timestamp', 'last_updated_timestamp'}' attributes "
			  "support comparison with numeric values." },
	{ MV, "name IN ('a')", "Only the 'run_id' attribute" },
	{ MV, "version_number IN ('1')", "Only the 'run_id' attribute" },
	{ MV, "run_id NOT IN ('a')", "Invalid comparator for attribute: NOT IN" },
	{ MV, "version_number LIKE '2'", "Invalid comparator for attribute version_number: LIKE" },
	{ MV, "tags.t > 'x'", "Invalid comparator for tag: >" },
	{ MV, "creation_timestamp > 1", "Invalid attribute key 'creation_timestamp'" },
};

static void test_rejected_filters(void **state)
{
	for (size_t i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++)
		filter_rejected(*state, reject_cases[i].kind, reject_cases[i].text, reject_cases[i].message);
}

/* ------------------------------------------------------------------ */
/* Whole filters                                                       */

static void test_empty_filters(void **state)
{
	struct fixture *fx = *state;
	static const char *const empties[] = { "", "   ", "\t\n" };
	struct filter f;
	assert_int_equal(filter_parse(FILTER_RUNS, NULL, &f, &fx->a, &fx->err), 0);
	assert_int_equal(f.n, 0);
	for (size_t i = 0; i < 3; i++) {
		f = parse_ok(fx, FILTER_RUNS, empties[i]);
		assert_int_equal(f.n, 0);
	}
}

static void test_and_chain_case_insensitive(void **state)
{
	struct fixture *fx = *state;
	struct filter f = parse_ok(fx, FILTER_RUNS,
				   "metrics.acc > 0.8 AnD params.opt like 'a%' and tags.team != \"x\" AND "
				   "attributes.run_id IN ('a1')");
	assert_int_equal(f.n, 4);
	assert_int_equal(f.conds[0].entity, FE_METRIC);
	assert_int_equal(f.conds[1].op, FOP_LIKE);
	assert_string_equal(f.conds[1].value.str, "a%");
	assert_int_equal(f.conds[2].entity, FE_TAG);
	assert_string_equal(f.conds[2].value.str, "x");
	assert_int_equal(f.conds[3].op, FOP_IN);
	assert_int_equal(f.conds[3].value.list_len, 1);
}

/* Conditions are independent, so one key may appear twice. */
static void test_same_key_twice(void **state)
{
	struct filter f = parse_ok(*state, FILTER_RUNS, "params.a = 'x' AND params.a != 'y'");
	assert_int_equal(f.n, 2);
	assert_int_equal(f.conds[0].op, FOP_EQ);
	assert_int_equal(f.conds[1].op, FOP_NE);
}

static void test_number_values(void **state)
{
	struct fixture *fx = *state;
	struct filter f = parse_ok(fx, FILTER_RUNS,
				   "metrics.a = 5 and metrics.b = 5.0 and metrics.c = -3 and metrics.d = 1e3 and "
				   "metrics.e = 99999999999999999999 and attributes.start_time > 1700000000000");
	assert_int_equal(f.n, 6);
	assert_true(f.conds[0].value.num_is_int);
	assert_int_equal(f.conds[0].value.inum, 5);
	assert_false(f.conds[1].value.num_is_int);
	assert_true(f.conds[1].value.num == 5.0);
	assert_true(f.conds[2].value.num_is_int);
	assert_int_equal(f.conds[2].value.inum, -3);
	assert_false(f.conds[3].value.num_is_int);
	assert_true(f.conds[3].value.num == 1000.0);
	assert_false(f.conds[4].value.num_is_int); /* does not fit int64 */
	assert_true(f.conds[4].value.num == 1e20);
	assert_true(f.conds[5].value.num_is_int);
	assert_true(f.conds[5].value.inum == INT64_C(1700000000000));
}

/* Like MLflow, the text between the quotes is kept as written. */
static void test_string_values_kept_verbatim(void **state)
{
	struct fixture *fx = *state;
	struct filter f = parse_ok(fx, FILTER_RUNS,
				   "tags.a = 'it''s' and tags.b = 'a\\'b' and tags.c = \"say \"\"hi\"\"\" and "
				   "tags.d = '; DROP TABLE runs; --'");
	assert_int_equal(f.n, 4);
	assert_string_equal(f.conds[0].value.str, "it''s");
	assert_string_equal(f.conds[1].value.str, "a\\'b");
	assert_string_equal(f.conds[2].value.str, "say \"\"hi\"\"");
	assert_string_equal(f.conds[3].value.str, "; DROP TABLE runs; --");
}

/* ------------------------------------------------------------------ */
/* order_by                                                            */

struct order_case {
	enum filter_kind kind;
	const char *clause;
	enum filter_entity entity;
	const char *key;
	bool ascending;
};

static const struct order_case order_cases[] = {
	{ R, "metrics.acc DESC", FE_METRIC, "acc", false },
	{ R, "metrics.acc", FE_METRIC, "acc", true },
	{ R, "metrics.acc desc", FE_METRIC, "acc", false },
	{ R, "metrics.acc Asc", FE_METRIC, "acc", true },
	{ R, "`metrics`.`acc` DESC", FE_METRIC, "acc", false },
	{ R, "metrics.\"f1 score\" DESC", FE_METRIC, "f1 score", false },
	{ R, "metrics.`f1 score`", FE_METRIC, "f1 score", true },
	{ R, "params.lr ASC", FE_PARAM, "lr", true },
	{ R, "param.lr", FE_PARAM, "lr", true },
	{ R, "tags.team ASC", FE_TAG, "team", true },
	{ R, "tags.`mlflow.runName`", FE_TAG, "mlflow.runName", true },
	{ R, "attributes.start_time DESC", FE_ATTRIBUTE, "start_time", false },
	{ R, "start_time", FE_ATTRIBUTE, "start_time", true },
	{ R, "created DESC", FE_ATTRIBUTE, "start_time", false },
	{ R, "attributes.run_name ASC", FE_ATTRIBUTE, "run_name", true },
	{ R, "run_id", FE_ATTRIBUTE, "run_id", true },
	{ R, "attributes.status ASC", FE_ATTRIBUTE, "status", true },
	{ R, "attributes.end_time DESC", FE_ATTRIBUTE, "end_time", false },
	{ R, "user_id", FE_ATTRIBUTE, "user_id", true },
	{ R, "artifact_uri DESC", FE_ATTRIBUTE, "artifact_uri", false },
	{ E, "name ASC", FE_ATTRIBUTE, "name", true },
	{ E, "attribute.name DESC", FE_ATTRIBUTE, "name", false },
	{ E, "experiment_id DESC", FE_ATTRIBUTE, "experiment_id", false },
	{ E, "creation_time", FE_ATTRIBUTE, "creation_time", true },
	{ E, "last_update_time DESC", FE_ATTRIBUTE, "last_update_time", false },
	{ RM, "name DESC", FE_ATTRIBUTE, "name", false },
	{ RM, "timestamp", FE_ATTRIBUTE, "last_updated_timestamp", true },
	{ RM, "last_updated_timestamp ASC", FE_ATTRIBUTE, "last_updated_timestamp", true },
	{ MV, "version_number DESC", FE_ATTRIBUTE, "version_number", false },
	{ MV, "name", FE_ATTRIBUTE, "name", true },
	{ MV, "creation_timestamp", FE_ATTRIBUTE, "creation_timestamp", true },
	{ MV, "last_updated_timestamp DESC", FE_ATTRIBUTE, "last_updated_timestamp", false },
};

/* ------------------------------------------------------------------ */
/* AND / OR / NOT and parentheses                                      */

/* The tree as text: leaves are their keys, inner nodes (and k1 k2 ...),
 * (or ...), (not k). */
static void add_tree(struct buf *b, const struct filter_node *node)
{
	static const char *const names[] = { [FN_AND] = "and", [FN_OR] = "or", [FN_NOT] = "not" };
	if (node->type == FN_COND) {
		buf_adds(b, node->cond->key);
		return;
	}
	buf_addf(b, "(%s", names[node->type]);
	for (size_t i = 0; i < node->n_kids; i++) {
		buf_addch(b, ' ');
		add_tree(b, node->kids[i]);
	}
	buf_addch(b, ')');
}

static const char *tree_text(struct fixture *fx, const struct filter *f)
{
	struct buf b = BUF_INIT;
	if (f->root)
		add_tree(&b, f->root);
	char *s = arena_strdup(&fx->a, b.len ? b.ptr : "");
	buf_release(&b);
	return s;
}

static const struct {
	enum filter_kind kind;
	const char *text;
	const char *tree;
} tree_cases[] = {
	/* precedence: NOT > AND > OR; keywords in any case */
	{ R, "metrics.a > 1 OR metrics.b > 1 AND metrics.c > 1", "(or a (and b c))" },
	{ R, "metrics.a > 1 AND metrics.b > 1 OR metrics.c > 1", "(or (and a b) c)" },
	{ R, "NOT metrics.a > 1 AND metrics.b > 1", "(and (not a) b)" },
	{ R, "not metrics.a > 1 or not metrics.b > 1 and metrics.c > 1", "(or (not a) (and (not b) c))" },
	{ R, "metrics.a > 1 Or metrics.b > 1 oR metrics.c > 1", "(or a b c)" },
	/* parentheses group, nest, and flatten into same-kind chains */
	{ R, "(metrics.a > 1 OR metrics.b > 1) AND metrics.c > 1", "(and (or a b) c)" },
	{ R, "metrics.a > 1 AND (metrics.b > 1 OR (metrics.c > 1 AND NOT (params.d = 'x')))",
	  "(and a (or b (and c (not d))))" },
	{ R, "(metrics.a > 1 OR metrics.b > 1) OR (metrics.c > 1)", "(or a b c)" },
	{ R, "((metrics.a > 1))", "a" },
	{ R, "(metrics.a > 1 AND metrics.b > 1) AND metrics.c > 1", "(and a b c)" },
	{ R, "NOT NOT metrics.a > 1", "(not (not a))" },
	{ R, "NOT (metrics.a > 1 OR metrics.b > 1)", "(not (or a b))" },
	/* NOT inside comparisons is still part of them */
	{ R, "NOT params.a NOT IN ('x') OR tags.b IS NOT NULL", "(or (not a) b)" },
	{ R, "NOT (params.a IN ('x', ')') AND tags.b = ')(')", "(not (and a b))" },
	/* MLflow's missing AND is kept (stray ANDs are refused: reject_cases) */
	{ R, "metrics.a > 1 metrics.b > 1", "(and a b)" },
	{ R, "metrics.a > 1 (metrics.b > 1 OR metrics.c > 1)", "(and a (or b c))" },
	{ R, "(metrics.a > 1) AND NOT metrics.b > 1", "(and a (not b))" },
	/* other kinds share the grammar */
	{ E, "name = 'a' OR (tags.t = 'x' AND NOT creation_time > 5)", "(or name (and t (not creation_time)))" },
	{ RM, "name = 'a' OR name = 'b'", "(or name name)" },
	{ MV, "NOT (name = 'a' OR version_number > 2)", "(not (or name version_number))" },
};

static void test_filter_trees(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof(tree_cases) / sizeof(tree_cases[0]); i++) {
		struct filter f = parse_ok(fx, tree_cases[i].kind, tree_cases[i].text);
		const char *got = tree_text(fx, &f);
		if (strcmp(got, tree_cases[i].tree))
			fail_msg("\"%s\": tree %s, want %s", tree_cases[i].text, got, tree_cases[i].tree);
	}
}

/* `conds` lists every leaf in the order written, whatever the tree. */
static void test_tree_leaves_in_order(void **state)
{
	struct fixture *fx = *state;
	struct filter f = parse_ok(fx, FILTER_RUNS, "NOT (tags.a = 'x' OR params.b = 'y') AND metrics.c > 1 OR run_id = 'd'");
	assert_int_equal(f.n, 4);
	assert_string_equal(f.conds[0].key, "a");
	assert_string_equal(f.conds[1].key, "b");
	assert_string_equal(f.conds[2].key, "c");
	assert_string_equal(f.conds[3].key, "run_id");
	assert_int_equal(f.root->type, FN_OR);
	assert_ptr_equal(f.root->kids[1]->cond, &f.conds[3]);
	/* a lone comparison is its own root */
	f = parse_ok(fx, FILTER_RUNS, "metrics.c > 1");
	assert_int_equal(f.root->type, FN_COND);
	assert_ptr_equal(f.root->cond, &f.conds[0]);
}

static const struct reject_case structure_rejects[] = {
	{ R, "metrics.a > 1 OR", "Invalid filter string: expected a comparison, NOT or '(' after 'OR'" },
	{ R, "OR metrics.a > 1", "expected a comparison, NOT or '(' before 'OR'" },
	{ R, "metrics.a > 1 OR OR metrics.b > 1", "after 'OR'" },
	{ R, "metrics.a > 1 AND NOT", "after 'NOT'" },
	{ R, "NOT", "after 'NOT'" },
	{ R, "()", "after '('" },
	{ R, "metrics.a > 1 OR ()", "after '('" },
	{ R, "(metrics.a > 1", "Invalid filter string: '(' is never closed" },
	{ R, "((metrics.a > 1) OR metrics.b > 1", "'(' is never closed" },
	{ R, "metrics.a > 1)", "Invalid filter string: unmatched ')'" },
	{ R, "(metrics.a > 1))", "unmatched ')'" },
	{ R, ")", "before ')'" },
	/* invalid clauses are still reported first, with MLflow's wording */
	{ R, "metrics.a > 1 OR foo", "Invalid clause(s) in filter string: 'foo'" },
	{ R, "(metrics.a > 1 OR metrics.b >) AND x", "Invalid clause(s) in filter string: 'metrics.b', '>', 'x'" },
	{ E, "(name = 'a' OR nme LIKE)", "Invalid clause(s) in filter string: nme, LIKE" },
	/* identifiers and values inside a tree, as in an AND chain */
	{ R, "metrics.a > 1 OR NOT (foo.b = 'y')", "Invalid entity type 'foo'" },
	{ R, "NOT (params.opt > 'a')", "Invalid comparator '>' not one of" },
	{ RM, "name = 'a' OR tags.k IS NULL", "Invalid comparator for tag: IS NULL" },
	/* IN still only where the rules allow it */
	{ R, "NOT status IN ('FAILED')", "Only the 'run_id' attribute" },
	{ MV, "tags.k = 'a' OR run_id NOT IN ('a')", "Invalid comparator for attribute: NOT IN" },
};

static void test_structure_rejected(void **state)
{
	for (size_t i = 0; i < sizeof(structure_rejects) / sizeof(structure_rejects[0]); i++)
		filter_rejected(*state, structure_rejects[i].kind, structure_rejects[i].text, structure_rejects[i].message);
}

/* `n` copies of `unit` between `head` and `tail`. */
static char *repeat(struct fixture *fx, const char *head, const char *unit, size_t n, const char *mid,
		    const char *unit2, size_t n2)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, head);
	for (size_t i = 0; i < n; i++)
		buf_adds(&b, unit);
	buf_adds(&b, mid);
	for (size_t i = 0; i < n2; i++)
		buf_adds(&b, unit2);
	char *s = arena_strdup(&fx->a, b.ptr);
	buf_release(&b);
	return s;
}

static void test_depth_limit(void **state)
{
	struct fixture *fx = *state;
	size_t max = FILTER_MAX_DEPTH;
	/* exactly at the limit: parentheses, NOTs and a mix */
	parse_ok(fx, FILTER_RUNS, repeat(fx, "", "(", max, "metrics.a > 1", ")", max));
	parse_ok(fx, FILTER_RUNS, repeat(fx, "", "NOT ", max, "metrics.a > 1", "", 0));
	parse_ok(fx, FILTER_RUNS, repeat(fx, "", "NOT (", max / 2, "metrics.a > 1", ")", max / 2));
	/* one more is a clear error */
	filter_rejected(fx, FILTER_RUNS, repeat(fx, "", "(", max + 1, "metrics.a > 1", ")", max + 1),
			"parentheses and NOT are nested more than 32 deep");
	filter_rejected(fx, FILTER_RUNS, repeat(fx, "", "NOT ", max + 1, "metrics.a > 1", "", 0), "nested more than");
	filter_rejected(fx, FILTER_RUNS, repeat(fx, "", "(NOT ", max / 2 + 1, "metrics.a > 1", ")", max / 2 + 1),
			"nested more than");
	/* a hostile depth stops at the limit instead of exhausting the stack */
	filter_rejected(fx, FILTER_RUNS, repeat(fx, "", "(", 200000, "", "", 0), "nested more than");
	filter_rejected(fx, FILTER_RUNS, repeat(fx, "", "NOT ", 200000, "metrics.a > 1", "", 0), "nested more than");
	filter_rejected(fx, FILTER_EXPERIMENTS, repeat(fx, "", "((", 50000, "name = 'x'", "))", 50000),
			"nested more than");
	/* depth is nesting, not length: long flat chains are fine */
	parse_ok(fx, FILTER_RUNS, repeat(fx, "metrics.a > 1", " OR (metrics.a > 1)", 200, "", "", 0));
}

static void test_condition_limit(void **state)
{
	struct fixture *fx = *state;
	size_t max = FILTER_MAX_CONDITIONS;
	struct filter f = parse_ok(fx, FILTER_RUNS, repeat(fx, "metrics.a > 1", " OR params.b = 'x'", max - 1, "", "", 0));
	assert_int_equal(f.n, max);
	assert_int_equal(f.root->n_kids, max);
	filter_rejected(fx, FILTER_RUNS, repeat(fx, "metrics.a > 1", " OR params.b = 'x'", max, "", "", 0),
			"Invalid filter string: it has 257 comparisons; at most 256 are allowed");
	filter_rejected(fx, FILTER_REGISTERED_MODELS, repeat(fx, "name = 'a'", " AND name = 'b'", max, "", "", 0),
			"at most 256 are allowed");
}

/* "params.p IN ('v', ...) OR tags.t NOT IN ('w', ...)" with n1 and n2 items. */
static char *two_lists(struct fixture *fx, size_t n1, size_t n2)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "params.p IN ('v'");
	for (size_t i = 1; i < n1; i++)
		buf_adds(&b, ", 'v'");
	buf_adds(&b, ") OR tags.t NOT IN ('w'");
	for (size_t i = 1; i < n2; i++)
		buf_adds(&b, ", 'w'");
	buf_addch(&b, ')');
	char *s = arena_strdup(&fx->a, b.ptr);
	buf_release(&b);
	return s;
}

static void test_list_value_limit(void **state)
{
	struct fixture *fx = *state;
	size_t half = FILTER_MAX_LIST_VALUES / 2;
	struct filter f = parse_ok(fx, FILTER_RUNS, two_lists(fx, half, half));
	assert_int_equal(f.conds[0].value.list_len + f.conds[1].value.list_len, FILTER_MAX_LIST_VALUES);
	filter_rejected(fx, FILTER_RUNS, two_lists(fx, half, half + 1),
			"its IN lists hold 10001 values; at most 10000 are allowed");
}

static void test_order_by_accepted(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		const struct order_case *c = &order_cases[i];
		struct order_by ob;
		const char *clauses[] = { c->clause };
		if (order_by_parse(c->kind, clauses, 1, &ob, &fx->a, &fx->err) != 0)
			fail_msg("order_by \"%s\" rejected: %s", c->clause, fx->err.msg);
		assert_int_equal(ob.n, 1);
		if (ob.terms[0].entity != c->entity || strcmp(ob.terms[0].key, c->key) ||
		    ob.terms[0].ascending != c->ascending)
			fail_msg("order_by \"%s\": entity %d key '%s' asc %d", c->clause, ob.terms[0].entity,
				 ob.terms[0].key, ob.terms[0].ascending);
	}
}

static const struct reject_case order_rejects[] = {
	{ R, "metrics.acc SIDEWAYS", "Invalid ordering key in order_by clause 'metrics.acc SIDEWAYS'." },
	{ R, "bogus.acc DESC", "Invalid entity type 'bogus'. Valid values are ['metric', 'parameter', 'tag', "
			       "'attribute', 'dataset']" },
	{ R, "metrics.acc DESC extra", "Invalid order_by clause 'metrics.acc DESC extra'. Could not be parsed." },
	{ R, "", "Invalid order_by clause ''. Could not be parsed." },
	{ R, "metrics.\"acc DESC", "Could not be parsed." },
	{ R, "lifecycle_stage", "Invalid attribute key 'lifecycle_stage' specified. Valid keys are '{'run_id', "
				"'run_name', 'user_id', 'status', 'artifact_uri', 'start_time', 'end_time', "
				"'created', 'Created'}'" },
	{ R, "`Run Name`", "Invalid attribute key 'Run Name'" },
	{ R, "datasets.name", "Invalid identifier type 'dataset'" },
	{ R, "datasets.bogus", "Invalid dataset key 'bogus'" },
	{ E, "bogus_column ASC", "Invalid attribute key 'bogus_column' specified. Valid keys are '{'name', "
				 "'experiment_id', 'creation_time', 'last_update_time'}'" },
	{ E, "tags.x", "Invalid order_by entity: tag" },
	{ E, "attributes.name", "Invalid entity type 'attributes'" },
	{ RM, "bogus ASC", "Invalid order by key 'bogus' specified. Valid keys are '{'name', 'timestamp'}'" },
	{ RM, "name SIDEWAYS", "Invalid ordering key in order_by clause 'name SIDEWAYS'." },
	{ MV, "bogus", "Invalid attribute key 'bogus' specified. Valid keys are '{'name', 'version_number', "
		       "'creation_timestamp', 'last_updated_timestamp'}'" },
	{ MV, "source_path", "Invalid attribute key 'source_path'" },
};

static void test_order_by_rejected(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof(order_rejects) / sizeof(order_rejects[0]); i++) {
		struct order_by ob;
		const char *clauses[] = { order_rejects[i].text };
		memset(&fx->err, 0, sizeof(fx->err));
		expect_rejected(fx, order_by_parse(order_rejects[i].kind, clauses, 1, &ob, &fx->a, &fx->err),
				order_rejects[i].text, order_rejects[i].message);
	}
}

static void order_dup(struct fixture *fx, enum filter_kind kind, const char *x, const char *y, const char *want)
{
	const char *clauses[] = { x, y };
	struct order_by ob;
	memset(&fx->err, 0, sizeof(fx->err));
	expect_rejected(fx, order_by_parse(kind, clauses, 2, &ob, &fx->a, &fx->err), x, want);
}

static void test_order_by_duplicates(void **state)
{
	struct fixture *fx = *state;
	order_dup(fx, R, "metrics.acc DESC", "metrics.acc ASC",
		  "`order_by` contains duplicate fields: ['metrics.acc DESC', 'metrics.acc ASC']");
	order_dup(fx, R, "created", "attributes.start_time DESC", "`order_by` contains duplicate fields");
	order_dup(fx, R, "tags.`a b`", "tag.\"a b\"", "`order_by` contains duplicate fields");
	order_dup(fx, E, "name", "attribute.name DESC", "`order_by` contains duplicate fields");
	order_dup(fx, RM, "name ASC", "name DESC", "`order_by` contains duplicate fields: ['name ASC', 'name DESC']");
	order_dup(fx, RM, "timestamp", "last_updated_timestamp", "`order_by` contains duplicate fields");
	order_dup(fx, R, "tags.\"it's\"", "tags.`it's`",
		  "`order_by` contains duplicate fields: ['tags.\"it\\'s\"', \"tags.`it's`\"]");

	/* same key under different entities is not a duplicate */
	const char *ok[] = { "metrics.a", "params.a", "tags.a", "attributes.run_name" };
	struct order_by ob;
	assert_int_equal(order_by_parse(R, ok, 4, &ob, &fx->a, &fx->err), 0);
	assert_int_equal(ob.n, 4);
}

static void test_order_by_empty(void **state)
{
	struct fixture *fx = *state;
	struct order_by ob;
	assert_int_equal(order_by_parse(R, NULL, 0, &ob, &fx->a, &fx->err), 0);
	assert_int_equal(ob.n, 0);
}

/* ------------------------------------------------------------------ */
/* Page tokens                                                         */

static const char *b64(struct fixture *fx, const char *text)
{
	struct buf b = BUF_INIT;
	util_base64_encode(&b, text, strlen(text));
	char *s = arena_strdup(&fx->a, b.ptr);
	buf_release(&b);
	return s;
}

static void test_page_token_round_trip(void **state)
{
	struct fixture *fx = *state;
	int64_t off = -1;
	/* byte-identical to MLflow's tokens in the transcripts */
	assert_string_equal(page_token_encode(2, &fx->a), "eyJvZmZzZXQiOiAyfQ==");
	assert_string_equal(page_token_encode(4, &fx->a), "eyJvZmZzZXQiOiA0fQ==");
	assert_int_equal(page_token_decode("eyJvZmZzZXQiOiAzfQ==", &off, &fx->err), 0);
	assert_int_equal(off, 3);
	const int64_t values[] = { 1, 1000, 50001, INT64_C(123456789012) };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(page_token_decode(page_token_encode(values[i], &fx->a), &off, &fx->err), 0);
		assert_true(off == values[i]);
	}
	assert_int_equal(page_token_decode(NULL, &off, &fx->err), 0);
	assert_int_equal(off, 0);
	off = 7;
	assert_int_equal(page_token_decode("", &off, &fx->err), 0);
	assert_int_equal(off, 0);
}

static void token_rejected(struct fixture *fx, const char *token, const char *want)
{
	int64_t off;
	memset(&fx->err, 0, sizeof(fx->err));
	expect_rejected(fx, page_token_decode(token, &off, &fx->err), token, want);
}

static void test_page_token_garbage(void **state)
{
	struct fixture *fx = *state;
	token_rejected(fx, "garbage", "Invalid page token, could not base64-decode");
	token_rejected(fx, "abc", "Invalid page token, could not base64-decode");
	token_rejected(fx, "eyJvZmZzZXQiOiAyfQ", "could not base64-decode"); /* padding missing */
	token_rejected(fx, "!!!!", "could not base64-decode");
	token_rejected(fx, "A===", "could not base64-decode");
	token_rejected(fx, "ey=J", "could not base64-decode");
	token_rejected(fx, b64(fx, "not json"), "Invalid page token, decoded value=not json");
	token_rejected(fx, b64(fx, "{}"), "Invalid page token, parsed value={}");
	token_rejected(fx, b64(fx, "[1]"), "Invalid page token, parsed value=[1]");
	token_rejected(fx, b64(fx, "{\"other\": 2}"), "Invalid page token, parsed value=");
	token_rejected(fx, b64(fx, "{\"offset\": 0}"), "Invalid page token, parsed value={\"offset\":0}");
	token_rejected(fx, b64(fx, "{\"offset\": null}"), "Invalid page token, parsed value=");
	token_rejected(fx, b64(fx, "{\"offset\": -3}"), "Invalid page token, offset must be positive: -3");
	token_rejected(fx, b64(fx, "{\"offset\": 2.5}"), "Invalid page token, not stringable 2.5");
	token_rejected(fx, b64(fx, "{\"offset\": \"5\"}"), "Invalid page token, not stringable \"5\"");
	token_rejected(fx, b64(fx, "{\"offset\": true}"), "Invalid page token, not stringable true");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accepted_conditions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_and_chain_case_insensitive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_key_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_number_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_values_kept_verbatim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_trees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_leaves_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_structure_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_condition_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_value_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_by_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_by_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_by_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_by_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_token_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_token_garbage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
