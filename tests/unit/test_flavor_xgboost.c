/*
 * test_flavor_xgboost.c - unit tests for the parts of the native xgboost
 * flavor (src/model/flavor_xgboost.c, included here for its static
 * functions) that do not need libxgboost: the float formatting that makes
 * the output equal MLflow's (Python's repr of float32 widened to double,
 * every layout: positional, scientific, the 1e-4 and 1e16 edges,
 * subnormals), XGBClassifier.predict's label rules on given probabilities
 * (threshold, argmax, multi-label, multi:softmax, a saved label encoder),
 * the feature-name check and its message, the predict params, and
 * accepts() on hand-written MLmodels. The predictions themselves are
 * compared with Python xgboost's in tests/blackbox/test_flavor_xgboost.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/model/flavor_xgboost.c"

/* float32 bits -> what Python prints for float(np.float32(v)) (computed
 * with CPython 3.11 and numpy) */
static const struct {
	uint32_t bits;
	const char *repr;
} python_reprs[] = {
	{ 0x00000000u, "0.0" },
	{ 0x80000000u, "-0.0" },
	{ 0x3f800000u, "1.0" },
	{ 0xc0e00000u, "-7.0" },
	{ 0x3f000000u, "0.5" },
	{ 0x3dcccccdu, "0.10000000149011612" },
	{ 0x38d1b717u, "9.999999747378752e-05" },
	{ 0x3727c5acu, "9.999999747378752e-06" },
	{ 0x3901725bu, "0.0001234499941347167" },
	{ 0x34048f8bu, "1.234567861274627e-07" },
	{ 0x4ceb79a3u, "123456792.0" },
	{ 0x5a0700ccu, "9499999507316736.0" },
	{ 0x5a0e1bcau, "1.0000000272564224e+16" },
	{ 0x5a5529afu, "1.5000000408846336e+16" },
	{ 0x64078678u, "9.999999778196308e+21" },
	{ 0x7f7fffffu, "3.4028234663852886e+38" },
	{ 0x00000001u, "1.401298464324817e-45" },
	{ 0x631596b5u, "2.759424453059197e+21" },
	{ 0x3f7ded94u, "0.9919064044952393" },
	{ 0x449a522bu, "1234.5677490234375" },
	{ 0x477fe000u, "65504.0" },
	{ 0x4b800000u, "16777216.0" },
	{ 0x58635fa9u, "999999986991104.0" },
	{ 0x497423feu, "999999.875" },
};

static float float_of(uint32_t bits)
{
	float f;
	memcpy(&f, &bits, sizeof(f));
	return f;
}

static void test_python_float_repr(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(python_reprs); i++) {
		struct buf out = BUF_INIT;
		write_float(&out, float_of(python_reprs[i].bits));
		if (strcmp(out.ptr, python_reprs[i].repr))
			fail_msg("0x%08x: got %s, Python writes %s", python_reprs[i].bits, out.ptr, python_reprs[i].repr);
		buf_release(&out);
		/* negatives mirror */
		write_float(&out, -float_of(python_reprs[i].bits));
		const char *want = python_reprs[i].repr;
		if (want[0] == '-')
			assert_string_equal(out.ptr, want + 1);
		else
			assert_true(out.ptr[0] == '-' && !strcmp(out.ptr + 1, want));
		buf_release(&out);
	}
	struct buf out = BUF_INIT;
	write_float(&out, NAN);
	buf_adds(&out, " ");
	write_float(&out, INFINITY);
	buf_adds(&out, " ");
	write_float(&out, -INFINITY);
	assert_string_equal(out.ptr, "NaN Infinity -Infinity");
	buf_release(&out);
}

static char *labels(const struct xgb_state *s, const float *res, size_t rows, size_t k, bool two_d)
{
	struct buf out = BUF_INIT;
	write_labels(&out, s, res, rows, k, two_d);
	return buf_detach(&out, NULL);
}

static void test_classifier_labels(void **state)
{
	(void)state;
	struct xgb_state s = { .kind = XGB_CLASSIFIER, .n_classes = 2 };
	const float binary[] = { 0.2f, 0.5f, 0.50001f, 0.9f };
	char *got = labels(&s, binary, 4, 1, false);
	assert_string_equal(got, "[0, 0, 1, 1]"); /* p > 0.5, as XGBClassifier.predict */
	free(got);

	s.n_classes = 3;
	const float softprob[] = { 0.1f, 0.7f, 0.2f, 0.4f, 0.4f, 0.2f, 0.1f, 0.2f, 0.7f };
	got = labels(&s, softprob, 3, 3, true);
	assert_string_equal(got, "[1, 0, 2]"); /* numpy's argmax: the first maximum */
	free(got);

	s.n_classes = 2; /* multi-label: a 0/1 float row per label */
	const float multilabel[] = { 0.9f, 0.1f, 0.6f, 0.3f, 0.51f, 0.5f };
	got = labels(&s, multilabel, 2, 3, true);
	assert_string_equal(got, "[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]");
	free(got);

	struct xgb_state softmax = { .kind = XGB_CLASSIFIER, .n_classes = 4, .softmax = true };
	const float classes[] = { 0.0f, 3.0f, 2.0f };
	got = labels(&softmax, classes, 3, 1, false);
	assert_string_equal(got, "[0, 3, 2]");
	free(got);

	/* a saved label encoder maps indexes to the classes */
	json_error_t jerr;
	s.n_classes = 2;
	s.classes = json_loads("[\"cat\", \"dog\"]", 0, &jerr);
	got = labels(&s, binary, 4, 1, false);
	assert_string_equal(got, "[\"cat\", \"cat\", \"dog\", \"dog\"]");
	free(got);
	json_decref(s.classes);
}

static void test_values_layout(void **state)
{
	(void)state;
	const float res[] = { 0.25f, 0.75f, 0.5f, 0.5f };
	struct buf out = BUF_INIT;
	write_values(&out, res, 2, 2, true);
	assert_string_equal(out.ptr, "[[0.25, 0.75], [0.5, 0.5]]");
	buf_reset(&out);
	write_values(&out, res, 3, 1, false);
	assert_string_equal(out.ptr, "[0.25, 0.75, 0.5]");
	buf_release(&out);
}

static void frame_with(struct scoring_input *in, const char **names, size_t n)
{
	memset(in, 0, sizeof(*in));
	in->kind = SCORING_FRAME;
	in->n_cols = n;
	in->cols = calloc(n + 1, sizeof(*in->cols));
	for (size_t i = 0; i < n; i++)
		in->cols[i].name = names[i];
}

static void test_feature_names(void **state)
{
	(void)state;
	char *names[] = { "a", "b", "c" };
	struct xgb_state s = { .n_names = 3, .names = names };
	struct scoring_input in;
	struct mlf_err err;
	const char *same[] = { "a", "b", "c" };
	frame_with(&in, same, 3);
	assert_int_equal(validate_features(&s, &in, &err), 0);
	free(in.cols);

	const char *other[] = { "a", "c", "x", "y" };
	frame_with(&in, other, 4);
	assert_int_equal(validate_features(&s, &in, &err), -1);
	assert_int_equal(err.code, MLF_BAD_REQUEST);
	assert_string_equal(err.msg, "feature_names mismatch: ['a', 'b', 'c'] ['a', 'c', 'x', 'y']\n"
				     "expected b in input data\n"
				     "training data did not have the following fields: x, y");
	free(in.cols);

	/* the same names in another order are a mismatch too, as in xgboost */
	const char *swapped[] = { "b", "a", "c" };
	frame_with(&in, swapped, 3);
	assert_int_equal(validate_features(&s, &in, &err), -1);
	assert_string_equal(err.msg, "feature_names mismatch: ['a', 'b', 'c'] ['b', 'a', 'c']");
	free(in.cols);

	/* no names in the booster: by position */
	struct xgb_state anonymous = { 0 };
	frame_with(&in, swapped, 3);
	assert_int_equal(validate_features(&anonymous, &in, &err), 0);
	free(in.cols);
}

static void test_params(void **state)
{
	(void)state;
	struct xgb_state sk = { .kind = XGB_REGRESSOR, .iteration_end = 7 };
	struct xgb_state booster = { .kind = XGB_BOOSTER, .iteration_end = 7 };
	struct predict_params p;
	struct mlf_err err;
	json_error_t jerr;
	assert_int_equal(read_params(&sk, NULL, &p, &err), 0);
	assert_true(!p.margin && p.validate && p.it_begin == 0 && p.it_end == 7);
	assert_int_equal(read_params(&booster, NULL, &p, &err), 0);
	assert_int_equal(p.it_end, 0); /* Booster.predict: every tree */

	json_t *params = json_loads("{\"output_margin\": true, \"validate_features\": false, "
				    "\"iteration_range\": [1, 3], \"unknown\": 5}",
				    0, &jerr);
	assert_int_equal(read_params(&sk, params, &p, &err), 0);
	assert_true(p.margin && !p.validate && p.it_begin == 1 && p.it_end == 3);
	json_decref(params);

	params = json_loads("{\"iteration_range\": [2, 0]}", 0, &jerr);
	assert_int_equal(read_params(&sk, params, &p, &err), 0);
	assert_true(p.it_begin == 0 && p.it_end == 7); /* an open end is best_iteration */
	json_decref(params);

	static const char *const refused[] = {
		"{\"pred_contribs\": true}",
		"{\"pred_leaf\": 1}",
		"{\"iteration_range\": [1]}",
		"{\"iteration_range\": \"1,2\"}",
		"{\"iteration_range\": [-1, 2]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		params = json_loads(refused[i], 0, &jerr);
		if (read_params(&sk, params, &p, &err) != -1)
			fail_msg("%s should be refused", refused[i]);
		assert_int_equal(err.code, MLF_BAD_REQUEST);
		json_decref(params);
	}
	params = json_loads("{\"pred_contribs\": false, \"strict_shape\": null}", 0, &jerr);
	assert_int_equal(read_params(&sk, params, &p, &err), 0);
	json_decref(params);
}

static bool accepts_text(const char *mlmodel, char *why, size_t size)
{
	struct model_dir md = { .fd = -1 };
	struct mlf_err err;
	if (mlmodel_parse(mlmodel, strlen(mlmodel), &md.ml, &err) < 0)
		fail_msg("MLmodel does not parse: %s", err.msg);
	bool ok = xgboost_accepts(&md, why, size);
	mlmodel_release(&md.ml);
	return ok;
}

static void test_accepts(void **state)
{
	(void)state;
	char why[256];
	static const char *const accepted[] = {
		"flavors:\n  xgboost:\n    data: model.xgb\n    model_class: xgboost.core.Booster\n    model_format: xgb\n",
		("flavors:\n  xgboost:\n    data: model.ubj\n    model_class: xgboost.sklearn.XGBClassifier\n"
		 "    model_format: ubj\n"),
		"flavors:\n  xgboost:\n    data: model.json\n    model_class: xgboost.sklearn.XGBRanker\n",
		"flavors:\n  xgboost:\n    data: model.xgb\n", /* no class: a Booster */
		"flavors:\n  xgboost:\n    data: model.xgb\n    model_class: null\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++)
		if (!accepts_text(accepted[i], why, sizeof(why)))
			fail_msg("refused (%s): %s", why, accepted[i]);
	static const struct {
		const char *mlmodel, *why;
	} refused[] = {
		{ "flavors:\n  sklearn:\n    pickled_model: model.pkl\n", "the model has no xgboost flavor" },
		{ "flavors:\n  xgboost:\n    data: m.pkl\n    model_class: sklearn.pipeline.Pipeline\n",
		  "model_class sklearn.pipeline.Pipeline is not an xgboost model class the native flavor runs" },
		{ "flavors:\n  xgboost:\n    data: m.pkl\n    model_format: pkl\n",
		  "model_format pkl is not one of xgb, json, ubj" },
		{ "flavors:\n  xgboost:\n    model_class: xgboost.core.Booster\n",
		  "the xgboost flavor names no data file" },
		{ "flavors:\n  xgboost:\n    data: m.xgb\n    model_class: [1]\n",
		  "the xgboost flavor's model_class is not a string" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		if (accepts_text(refused[i].mlmodel, why, sizeof(why)))
			fail_msg("accepted: %s", refused[i].mlmodel);
		assert_string_equal(why, refused[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_float_repr),
		cmocka_unit_test(test_classifier_labels),
		cmocka_unit_test(test_values_layout),
		cmocka_unit_test(test_feature_names),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_accepts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
