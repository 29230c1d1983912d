/*
 * fuzz_mlmodel.c - libFuzzer target for the model format readers: the YAML
 * reader (model_yaml_parse, src/model/model_yaml.h) and the MLmodel reader
 * on top of it (mlmodel_parse, src/model/mlmodel.h), which meet files from
 * whoever logged a model.
 *
 * Besides "no crash, no leak, no undefined behaviour" (libyaml included)
 * it asserts: the YAML reader gives 0 with a value of at most
 * MODEL_YAML_MAX_NODES nodes and MODEL_YAML_MAX_DEPTH levels that jansson
 * can write out, or -1 with INVALID_PARAMETER_VALUE, a "Malformed ..."
 * message and no value; the MLmodel reader accepts only what the YAML
 * reader accepts, and an accepted model has a non-empty flavors mapping,
 * schemas whose specs are all columns or all tensors with shapes in range,
 * and params with names. Seeds: tests/fuzz/corpus/mlmodel/ (`make fuzz`).
 */
#include "model/mlmodel.h"
#include "model/model_yaml.h"
#include "fuzz_ui_stub.h"
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

/* Counts the values of `v`; checks the depth on the way. */
static size_t count_values(const json_t *v, unsigned depth)
{
	CHECK(depth <= MODEL_YAML_MAX_DEPTH + 1);
	size_t n = 1;
	if (json_is_object(v)) {
		const char *k;
		json_t *item;
		json_object_foreach((json_t *)v, k, item)
			n += count_values(item, depth + 1);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item)
			n += count_values(item, depth + 1);
	}
	return n;
}

static void check_schema(const struct mlmodel_schema *s)
{
	if (!s->present) {
		CHECK(s->n == 0);
		return;
	}
	CHECK(s->n <= MLMODEL_MAX_SPECS);
	for (size_t i = 0; i < s->n; i++) {
		const struct mlmodel_spec *spec = &s->specs[i];
		CHECK((spec->type == MLMODEL_TENSOR) == s->tensors);
		CHECK((unsigned)spec->type < MLMODEL_TYPE_COUNT);
		CHECK(spec->rank <= MLMODEL_MAX_RANK);
		if (s->tensors)
			CHECK(spec->dtype && *spec->dtype);
		for (size_t d = 0; d < spec->rank; d++)
			CHECK(spec->shape[d] >= -1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlf_err err = { .code = MLF_BAD_REQUEST, .msg = "" };
	json_t *v = (json_t *)1;
	int yaml_rc = model_yaml_parse((const char *)data, size, "MLmodel", &v, &err);
	if (yaml_rc == 0) {
		CHECK(v != NULL);
		CHECK(count_values(v, 0) <= MODEL_YAML_MAX_NODES);
		char *text = json_dumps(v, JSON_ENCODE_ANY);
		CHECK(text != NULL);
		free(text);
		json_decref(v);
	} else {
		CHECK(yaml_rc == -1 && v == NULL);
		CHECK(err.code == MLF_INVALID_PARAMETER_VALUE && strncmp(err.msg, "Malformed MLmodel", 17) == 0);
	}
	struct mlmodel m;
	err = (struct mlf_err){ .code = MLF_BAD_REQUEST, .msg = "" };
	if (mlmodel_parse((const char *)data, size, &m, &err) == 0) {
		CHECK(yaml_rc == 0);
		CHECK(json_is_object(m.flavors) && json_object_size(m.flavors) > 0);
		check_schema(&m.inputs);
		check_schema(&m.outputs);
		for (size_t i = 0; i < m.n_params; i++)
			CHECK(m.params[i].name && *m.params[i].name && m.params[i].default_value);
		mlmodel_release(&m);
	} else {
		CHECK(err.code == MLF_INVALID_PARAMETER_VALUE && strncmp(err.msg, "Malformed MLmodel", 17) == 0);
		CHECK(m.doc == NULL);
	}
	return 0;
}
