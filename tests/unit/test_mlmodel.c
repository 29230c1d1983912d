/*
 * test_mlmodel.c - unit tests for the model format readers: model_yaml_parse
 * (src/model/model_yaml.h) and mlmodel_parse (src/model/mlmodel.h).
 *
 * YAML: plain scalars typed as PyYAML's safe loader types them (the table
 * in test_plain_scalars), quoted and block scalars, anchors, aliases, merge
 * keys, duplicate keys, and the files refused: alias bombs, deep nesting,
 * unknown tags, NUL bytes, syntax errors, non-scalar keys. MLmodel: the
 * three shapes MLflow 2.17's log_model writes (sklearn with a tensor
 * signature and input example, xgboost without a signature, a PythonModel
 * with a column signature), unknown keys kept, and the malformed files
 * refused with what is wrong. When ../shared/fixtures exists (CI), every
 * MLmodel of the MLflow-written stores there is read too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/mlmodel.h"
#include "model/model_yaml.h"

static json_t *yaml(const char *text)
{
	struct mlf_err err;
	json_t *v = NULL;
	if (model_yaml_parse(text, strlen(text), "test", &v, &err) < 0)
		fail_msg("'%s' does not parse: %s", text, err.msg);
	return v;
}

/* `text` parses to the JSON `want` (compared as JSON values). */
static void expect_yaml(const char *text, const char *want)
{
	json_t *got = yaml(text);
	json_error_t jerr;
	json_t *w = json_loads(want, JSON_DECODE_ANY, &jerr);
	if (!w)
		fail_msg("bad expectation %s", want);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		fail_msg("'%s' gave %s, want %s", text, g, want);
	}
	json_decref(got);
	json_decref(w);
}

static void expect_yaml_refused(const char *text, size_t len, const char *why)
{
	struct mlf_err err;
	json_t *v = (json_t *)1;
	if (model_yaml_parse(text, len, "MLmodel", &v, &err) != -1)
		fail_msg("'%.80s' should be refused", text);
	assert_null(v);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	if (!strstr(err.msg, "Malformed MLmodel") || !strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
}

static void test_plain_scalars(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		/* null */
		{ "k: ~", "null" }, { "k: null", "null" }, { "k: Null", "null" }, { "k: NULL", "null" }, { "k:", "null" },
		{ "k: nULL", "\"nULL\"" },
		/* booleans, YAML 1.1 as PyYAML */
		{ "k: true", "true" }, { "k: True", "true" }, { "k: TRUE", "true" }, { "k: yes", "true" },
		{ "k: On", "true" }, { "k: false", "false" }, { "k: no", "false" }, { "k: OFF", "false" },
		{ "k: tRue", "\"tRue\"" }, { "k: y", "\"y\"" }, { "k: n", "\"n\"" },
		/* integers */
		{ "k: 0", "0" }, { "k: 42", "42" }, { "k: -17", "-17" }, { "k: +5", "5" }, { "k: 1_000", "1000" },
		{ "k: 0x1F", "31" }, { "k: 017", "15" }, { "k: 0b101", "5" },
		{ "k: 9223372036854775807", "9223372036854775807" }, { "k: -9223372036854775808", "-9223372036854775808" },
		{ "k: 0o17", "\"0o17\"" }, { "k: 08", "\"08\"" }, { "k: 1_", "1" }, { "k: 12abc", "\"12abc\"" },
		/* floats: PyYAML needs a '.', and a signed exponent */
		{ "k: 1.5", "1.5" }, { "k: -0.25", "-0.25" }, { "k: .5", "0.5" }, { "k: 1.", "1.0" },
		{ "k: 6.02e+23", "6.02e23" }, { "k: 1.0e-3", "0.001" }, { "k: 1_000.5", "1000.5" },
		{ "k: 1e5", "\"1e5\"" }, { "k: 1.0e5", "\"1.0e5\"" }, { "k: .", "\".\"" },
		{ "k: .inf", "\"Infinity\"" }, { "k: -.Inf", "\"-Infinity\"" }, { "k: .NaN", "\"NaN\"" },
		{ "k: 1.0e+999", "\"Infinity\"" },
		/* strings */
		{ "k: hello world", "\"hello world\"" }, { "k: '42'", "\"42\"" }, { "k: \"true\"", "\"true\"" },
		{ "k: '2026-12-07 01:04:17.356291'", "\"2026-12-07 01:04:17.356291\"" },
		{ "k: 2026-12-07", "\"2026-12-07\"" }, { "k: 3.11.2", "\"3.11.2\"" }, { "k: ''", "\"\"" },
		{ "k: 'it''s'", "\"it's\"" }, { "k: \"tab\\there \\u00e9\"", "\"tab\\there \\u00e9\"" },
		{ "k: caf\xc3\xa9", "\"caf\\u00e9\"" },
		/* explicit tags */
		{ "k: !!str 42", "\"42\"" }, { "k: !!int '7'", "7" }, { "k: !!float 3", "3.0" },
		{ "k: !!bool yes", "true" }, { "k: !!null ''", "null" }, { "k: ! 12", "\"12\"" },
		/* keys that are not strings become their text */
		{ "1: a\ntrue: b\n~: c", "{\"1\": \"a\", \"true\": \"b\", \"~\": \"c\"}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[256];
		if (cases[i][1][0] == '{')
			snprintf(want, sizeof(want), "%s", cases[i][1]);
		else
			snprintf(want, sizeof(want), "{\"k\": %s}", cases[i][1]);
		expect_yaml(cases[i][0], want);
	}
}

static void test_structures(void **state)
{
	(void)state;
	expect_yaml("", "null");
	expect_yaml("# only a comment\n", "null");
	/* a tagged key stays the text it is, once its tag fits (and nothing leaks) */
	expect_yaml("!!int 5: a\n!!float 1.5: b\n!!int 44444444444444444444444: c\n",
		    "{\"5\": \"a\", \"1.5\": \"b\", \"44444444444444444444444\": \"c\"}");
	expect_yaml("- 1\n- [a, {b: c}]\n- {x: 1.5, y: [true, null]}\n",
		    "[1, [\"a\", {\"b\": \"c\"}], {\"x\": 1.5, \"y\": [true, null]}]");
	/* block scalars */
	expect_yaml("lit: |\n  line one\n  line two\nfold: >\n  folded\n  text\nkeep: |+\n  x\n\nstrip: |-\n  y\n",
		    "{\"lit\": \"line one\\nline two\\n\", \"fold\": \"folded text\\n\", \"keep\": \"x\\n\\n\", "
		    "\"strip\": \"y\"}");
	/* a quoted scalar spread over lines, as PyYAML writes long signatures */
	expect_yaml("inputs: '[{\"type\": \"double\", \"name\": \"a\", \"required\": true}, {\"type\": \"double\",\n"
		    "    \"name\": \"b\", \"required\": true}]'\n",
		    "{\"inputs\": \"[{\\\"type\\\": \\\"double\\\", \\\"name\\\": \\\"a\\\", \\\"required\\\": true}, "
		    "{\\\"type\\\": \\\"double\\\", \\\"name\\\": \\\"b\\\", \\\"required\\\": true}]\"}");
	/* anchors, aliases and merge keys (explicit keys win, earlier merges win) */
	expect_yaml("base: &b {x: 1, y: 2}\nother: *b\nmerged:\n  <<: *b\n  y: 3\n",
		    "{\"base\": {\"x\": 1, \"y\": 2}, \"other\": {\"x\": 1, \"y\": 2}, \"merged\": {\"x\": 1, \"y\": 3}}");
	expect_yaml("a: &a {k: 1}\nb: &b {k: 2, j: 2}\nc:\n  <<: [*a, *b]\n",
		    "{\"a\": {\"k\": 1}, \"b\": {\"k\": 2, \"j\": 2}, \"c\": {\"k\": 1, \"j\": 2}}");
	expect_yaml("list: &l [1, 2]\ncopy: *l\n", "{\"list\": [1, 2], \"copy\": [1, 2]}");
	/* quotes inside single-quoted scalars, however many in a row */
	expect_yaml("k: 'a''''b'\nj: 'x'''''''\ni: ''''''\n", "{\"k\": \"a''b\", \"j\": \"x'''\", \"i\": \"''\"}");
	expect_yaml("k: 'one\n  two\n\n  three'\n", "{\"k\": \"one two\\nthree\"}");
	/* an anchored key, and an alias as a key */
	expect_yaml("&k name: v\n*k : w\n", "{\"name\": \"w\"}");
	/* a duplicate key keeps its last value, as PyYAML */
	expect_yaml("k: 1\nk: 2\n", "{\"k\": 2}");
	/* a document marker and an explicit end */
	expect_yaml("---\nk: v\n...\n", "{\"k\": \"v\"}");
}

static void test_refused(void **state)
{
	(void)state;
	/* an alias bomb: 9^9 values if expanded */
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	expect_yaml_refused(bomb, strlen(bomb), "too many values");
	/* nesting beyond the limit (flow style, so the parser's own stack is not the limit) */
	char deep[400];
	size_t n = 0;
	for (int i = 0; i < MODEL_YAML_MAX_DEPTH + 5; i++)
		deep[n++] = '[';
	for (int i = 0; i < MODEL_YAML_MAX_DEPTH + 5; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	struct mlf_err err;
	json_t *v = NULL;
	assert_int_equal(model_yaml_parse(deep, n, "MLmodel", &v, &err), -1);
	assert_null(v);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	/* what the safe loader refuses */
	expect_yaml_refused("k: !!python/object:os.system [ls]\n", 33, "tag");
	expect_yaml_refused("k: !custom x\n", 13, "tag");
	expect_yaml_refused("k: !!int abc\n", 13, "tag");
	expect_yaml_refused("k: !!map [1]\n", 13, "tag");
	/* not YAML */
	expect_yaml_refused("k: [unclosed\n", 13, "line");
	expect_yaml_refused("k: 'unterminated\n", 17, "line");
	expect_yaml_refused("a: b: c\n", 8, "line");
	expect_yaml_refused("k: *nowhere\n", 12, "names no anchor");
	expect_yaml_refused("k: &a [1, *a]\n", 14, "inside what it names");
	expect_yaml_refused("k: &a {x: *a}\n", 14, "inside what it names");
	expect_yaml_refused("a: 1\n---\nb: 2\n", 14, "more than one document");
	expect_yaml_refused("m: {<<: 3}\n", 11, "not a mapping");
	expect_yaml_refused("m: {<<: [{a: 1}, 2]}\n", 21, "not a mapping");
	expect_yaml_refused("\tk: tab indent\n", 15, "");
	/* keys that cannot be JSON keys */
	expect_yaml_refused("? [a, b]\n: v\n", 13, "not a scalar");
	expect_yaml_refused("? {a: 1}\n: v\n", 13, "not a scalar");
	/* bytes */
	expect_yaml_refused("k: a\0b\n", 7, "NUL");
	/* ill-formed UTF-8 (after a directive, too: a parser once looped on it) */
	expect_yaml_refused("%\x92\n", 3, "not UTF-8");
	expect_yaml_refused("k: v\n%\x92\x92\n", 9, "not UTF-8");
	expect_yaml_refused("k: \xff\n", 5, "not UTF-8");
	expect_yaml_refused("k: \xc0\xaf\n", 6, "not UTF-8");       /* overlong '/' */
	expect_yaml_refused("k: \xed\xa0\x80\n", 7, "not UTF-8");   /* a UTF-16 surrogate */
	expect_yaml_refused("k: caf\xc3\n", 8, "not UTF-8");          /* cut short */
	char *big = malloc(MODEL_YAML_MAX_BYTES + 2);
	memset(big, ' ', MODEL_YAML_MAX_BYTES + 1);
	big[MODEL_YAML_MAX_BYTES + 1] = '\0';
	expect_yaml_refused(big, MODEL_YAML_MAX_BYTES + 1, "larger than");
	free(big);
}

/* ---- MLmodel ------------------------------------------------------------------------ */

static const char sklearn_model[] = "artifact_path: model\n"
				    "flavors:\n"
				    "  python_function:\n"
				    "    env:\n"
				    "      conda: conda.yaml\n"
				    "      virtualenv: python_env.yaml\n"
				    "    loader_module: mlflow.sklearn\n"
				    "    model_path: model.pkl\n"
				    "    predict_fn: predict\n"
				    "    python_version: 3.11.2\n"
				    "  sklearn:\n"
				    "    code: null\n"
				    "    pickled_model: model.pkl\n"
				    "    serialization_format: cloudpickle\n"
				    "    sklearn_version: 1.2.1\n"
				    "mlflow_version: 2.17.0\n"
				    "model_size_bytes: 942\n"
				    "model_uuid: 0f3c5e9a1b2d4c6e8f0a1b2c3d4e5f60\n"
				    "run_id: 1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6\n"
				    "saved_input_example_info:\n"
				    "  artifact_path: input_example.json\n"
				    "  serving_input_path: serving_input_example.json\n"
				    "  type: ndarray\n"
				    "signature:\n"
				    "  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": [-1, 2]}}]'\n"
				    "  outputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1]}}]'\n"
				    "  params: null\n"
				    "utc_time_created: '2026-12-07 01:04:14.350106'\n"
				    "a_key_from_the_future:\n"
				    "  nested: [1, 2]\n";

static void test_mlmodel_sklearn(void **state)
{
	(void)state;
	struct mlmodel m;
	struct mlf_err err;
	if (mlmodel_parse(sklearn_model, sizeof(sklearn_model) - 1, &m, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(m.run_id, "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6");
	assert_string_equal(m.artifact_path, "model");
	assert_string_equal(m.mlflow_version, "2.17.0");
	assert_string_equal(m.utc_time_created, "2026-12-07 01:04:14.350106");
	assert_null(m.model_id);
	assert_string_equal(mlmodel_flavor_string(&m, "python_function", "loader_module"), "mlflow.sklearn");
	assert_string_equal(mlmodel_flavor_string(&m, "python_function", "python_version"), "3.11.2");
	assert_string_equal(mlmodel_flavor_string(&m, "sklearn", "sklearn_version"), "1.2.1");
	assert_null(mlmodel_flavor_string(&m, "sklearn", "code"));
	assert_null(mlmodel_flavor(&m, "xgboost"));
	assert_true(m.has_signature);
	assert_true(m.inputs.present && m.inputs.tensors);
	assert_int_equal(m.inputs.n, 1);
	assert_null(m.inputs.specs[0].name);
	assert_string_equal(m.inputs.specs[0].dtype, "float64");
	assert_int_equal(m.inputs.specs[0].rank, 2);
	assert_int_equal(m.inputs.specs[0].shape[0], -1);
	assert_int_equal(m.inputs.specs[0].shape[1], 2);
	assert_string_equal(m.outputs.specs[0].dtype, "int64");
	assert_int_equal(m.n_params, 0);
	assert_string_equal(m.example_type, "ndarray");
	assert_string_equal(m.example_path, "input_example.json");
	assert_string_equal(m.serving_example_path, "serving_input_example.json");
	/* unknown keys are kept, with their types */
	assert_int_equal(json_integer_value(json_object_get(m.doc, "model_size_bytes")), 942);
	assert_int_equal(json_array_size(json_object_get(json_object_get(m.doc, "a_key_from_the_future"), "nested")), 2);
	mlmodel_release(&m);
	assert_null(m.doc);
}

static void test_mlmodel_columns_and_params(void **state)
{
	(void)state;
	const char *text =
		"flavors:\n"
		"  python_function: {loader_module: mlflow.pyfunc.model, python_model: python_model.pkl}\n"
		"model_id: m-0123456789abcdef0123456789abcdef\n"
		"signature:\n"
		"  inputs: '[{\"type\": \"double\", \"name\": \"a\", \"required\": true}, {\"type\": \"long\", \"name\": \"b\","
		" \"required\": false}, {\"type\": \"string\", \"name\": \"c\"}, {\"type\": \"array\", \"items\": {\"type\": "
		"\"double\"}, \"name\": \"d\"}, {\"type\": \"object\", \"properties\": {\"p\": {\"type\": \"string\"}}, "
		"\"name\": \"e\"}]'\n"
		"  outputs: '[{\"type\": \"double\"}]'\n"
		"  params: '[{\"name\": \"temperature\", \"type\": \"float\", \"default\": 0.5, \"shape\": null}, "
		"{\"name\": \"stop\", \"type\": \"string\", \"default\": [\"x\"], \"shape\": [-1]}]'\n";
	struct mlmodel m;
	struct mlf_err err;
	if (mlmodel_parse(text, strlen(text), &m, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(m.model_id, "m-0123456789abcdef0123456789abcdef");
	assert_false(m.inputs.tensors);
	assert_int_equal(m.inputs.n, 5);
	static const enum mlmodel_type types[] = { MLMODEL_DOUBLE, MLMODEL_LONG, MLMODEL_STRING, MLMODEL_ARRAY,
						   MLMODEL_OBJECT };
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	static const bool required[] = { true, false, true, true, true };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(m.inputs.specs[i].type, types[i]);
		assert_string_equal(m.inputs.specs[i].name, names[i]);
		assert_int_equal(m.inputs.specs[i].required, required[i]);
	}
	assert_int_equal(m.outputs.n, 1);
	assert_null(m.outputs.specs[0].name);
	assert_int_equal(m.n_params, 2);
	assert_string_equal(m.params[0].name, "temperature");
	assert_int_equal(m.params[0].type, MLMODEL_FLOAT);
	assert_true(json_real_value(m.params[0].default_value) == 0.5);
	assert_false(m.params[0].is_list);
	assert_true(m.params[1].is_list);
	assert_string_equal(mlmodel_type_name(MLMODEL_DATETIME), "datetime");
	assert_int_equal(mlmodel_type_of("binary"), MLMODEL_BINARY);
	assert_int_equal(mlmodel_type_of("decimal"), -1);
	mlmodel_release(&m);
}

static void expect_mlmodel_refused(const char *text, const char *why)
{
	struct mlmodel m;
	struct mlf_err err;
	if (mlmodel_parse(text, strlen(text), &m, &err) != -1)
		fail_msg("should be refused: %s", text);
	assert_null(m.doc);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	if (!strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
}

static void test_mlmodel_refused(void **state)
{
	(void)state;
	expect_mlmodel_refused("", "not a mapping");
	expect_mlmodel_refused("- a\n- b\n", "not a mapping");
	expect_mlmodel_refused("run_id: x\n", "flavors: missing");
	expect_mlmodel_refused("flavors: {}\n", "flavors: missing");
	expect_mlmodel_refused("flavors: [a]\n", "flavors: missing");
	expect_mlmodel_refused("flavors: {sklearn: 3}\n", "'sklearn' is not a mapping");
	expect_mlmodel_refused("flavors: {a: {}}\nrun_id: [1]\n", "run_id is not a string");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: 7\n", "signature: not a mapping");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: 'not json'}\n", "inputs is not JSON");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '{\"a\": 1}'}\n", "not a list of specs");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: 5}\n", "neither a JSON string nor a list");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"decimal\"}]'}\n",
			       "unknown type decimal");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"name\": \"x\"}]'}\n", "unknown type (missing)");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"double\", \"name\": \"x\"}, "
			       "{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int8\"}}]'}\n",
			       "mixes column and tensor");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"tensor\"}]'}\n", "tensor-spec");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"tensor\", \"tensor-spec\": "
			       "{\"dtype\": \"float64\", \"shape\": [-2]}}]'}\n",
			       "integer >= -1");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"double\", \"name\": \"x\"}, "
			       "{\"type\": \"long\", \"name\": \"x\"}]'}\n",
			       "'x' appears twice");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"double\", \"required\": 1}]'}\n",
			       "not a boolean");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"array\"}]'}\n", "no \"items\"");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {params: '[{\"type\": \"float\"}]'}\n", "has no name");
	expect_mlmodel_refused("flavors: {a: {}}\nsignature: {params: '[{\"name\": \"p\", \"type\": \"float\", "
			       "\"shape\": [2]}]'}\n",
			       "shape other than [-1]");
	expect_mlmodel_refused("flavors: {a: {}}\nsaved_input_example_info: {artifact_path: 3}\n",
			       "artifact_path is not a string");
	expect_mlmodel_refused("flavors: {a: !!python/name:os.system ''}\n", "tag");
}

/* Reads every MLmodel under `dir`, recursively; returns how many. */
static size_t read_tree(const char *dir)
{
	DIR *d = opendir(dir);
	size_t count = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			count += read_tree(path);
			continue;
		}
		if (strcmp(e->d_name, "MLmodel") != 0)
			continue;
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		static char text[1 << 20];
		size_t n = fread(text, 1, sizeof(text), f);
		fclose(f);
		struct mlmodel m;
		struct mlf_err err;
		if (mlmodel_parse(text, n, &m, &err) < 0)
			fail_msg("%s: %s", path, err.msg);
		assert_non_null(mlmodel_flavor(&m, "python_function"));
		assert_non_null(m.run_id);
		assert_string_equal(m.mlflow_version, "2.17.0");
		const char *loader = mlmodel_flavor_string(&m, "python_function", "loader_module");
		assert_non_null(loader);
		if (strcmp(loader, "mlflow.sklearn") == 0)
			assert_true(m.inputs.tensors && m.inputs.n == 1);
		else if (strcmp(loader, "mlflow.xgboost") == 0)
			assert_string_equal(mlmodel_flavor_string(&m, "xgboost", "model_format"), "xgb");
		else if (strcmp(loader, "mlflow.pyfunc.model") == 0)
			assert_true(!m.inputs.tensors && m.inputs.n == 2 && m.inputs.specs[1].type == MLMODEL_DOUBLE);
		mlmodel_release(&m);
		count++;
	}
	closedir(d);
	return count;
}

static void test_mlflow_written_models(void **state)
{
	(void)state;
	const char *root = getenv("MLF_SHARED_DIR") ? getenv("MLF_SHARED_DIR") : "../shared";
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/fixtures/mlflow-stores", root);
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "skipped: %s does not exist (it does in CI)\n", dir);
		skip();
	}
	closedir(d);
	size_t n = read_tree(dir);
	assert_true(n >= 6); /* three models in each of the two 2.17 stores */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_scalars),        cmocka_unit_test(test_structures),
		cmocka_unit_test(test_refused),              cmocka_unit_test(test_mlmodel_sklearn),
		cmocka_unit_test(test_mlmodel_columns_and_params), cmocka_unit_test(test_mlmodel_refused),
		cmocka_unit_test(test_mlflow_written_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
