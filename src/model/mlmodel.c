/*
 * mlmodel.c - reads an MLmodel file (model_yaml.c does the YAML) and checks
 * and unpacks its signature; see mlmodel.h.
 */
#include "mlmodel.h"
#include "model_yaml.h"
#include <stdlib.h>

static const char *const type_names[] = {
#define X(id, name) name,
	MLMODEL_TYPES(X)
#undef X
};

const char *mlmodel_type_name(enum mlmodel_type type)
{
	return (unsigned)type < MLMODEL_TYPE_COUNT ? type_names[type] : "unknown";
}

int mlmodel_type_of(const char *name)
{
	for (int i = 0; name && i < MLMODEL_TYPE_COUNT; i++)
		if (strcmp(type_names[i], name) == 0)
			return i;
	return -1;
}

static int malformed(struct mlf_err *err, const char *part, const char *why, const char *arg)
{
	char text[512];
	snprintf(text, sizeof(text), why, arg);
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed MLmodel: %s: %s", part, text);
}

/* The string `key` of `obj`, NULL when absent or null; -1 if of another type. */
static int optional_string(const json_t *obj, const char *key, const char **out, struct mlf_err *err)
{
	const json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return malformed(err, key, "%s is not a string", key);
	*out = json_string_value(v);
	return 0;
}

/* ---- signature ------------------------------------------------------------------- */

/* A signature part: a JSON string inside the YAML (as MLflow writes it), or
 * already a list (as a hand-written file may have it). *out is owned. */
static int signature_json(const json_t *sig, const char *part, json_t **out, struct mlf_err *err)
{
	const json_t *v = json_object_get(sig, part);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_array(v)) {
		*out = json_deep_copy(v);
		return 0;
	}
	if (!json_is_string(v))
		return malformed(err, "signature", "%s is neither a JSON string nor a list", part);
	json_error_t jerr;
	*out = json_loadb(json_string_value(v), json_string_length(v), JSON_DECODE_ANY, &jerr);
	if (!*out)
		return malformed(err, "signature", "%s is not JSON", part);
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return malformed(err, "signature", "%s is not a list of specs", part);
	}
	return 0;
}

static int tensor_spec(const json_t *spec, struct mlmodel_spec *out, const char *part, struct mlf_err *err)
{
	const json_t *ts = json_object_get(spec, "tensor-spec");
	if (!json_is_object(ts))
		return malformed(err, part, "%s", "a tensor spec has no \"tensor-spec\" object");
	const json_t *dtype = json_object_get(ts, "dtype"), *shape = json_object_get(ts, "shape");
	if (!json_is_string(dtype) || !json_string_length(dtype))
		return malformed(err, part, "%s", "a tensor spec has no dtype");
	out->dtype = json_string_value(dtype);
	if (shape && !json_is_null(shape)) {
		if (!json_is_array(shape) || json_array_size(shape) > MLMODEL_MAX_RANK)
			return malformed(err, part, "%s", "a tensor shape is not a list of at most 32 sizes");
		size_t i;
		const json_t *d;
		json_array_foreach(shape, i, d) {
			if (!json_is_integer(d) || json_integer_value(d) < -1)
				return malformed(err, part, "%s", "a tensor size is not an integer >= -1");
			out->shape[i] = json_integer_value(d);
		}
		out->rank = json_array_size(shape);
	}
	return 0;
}

static int schema_read(json_t *list, struct mlmodel_schema *s, const char *part, struct mlf_err *err)
{
	if (!list)
		return 0;
	s->present = true;
	s->n = json_array_size(list);
	if (s->n > MLMODEL_MAX_SPECS)
		return malformed(err, part, "more than %s specs", "4096");
	s->specs = calloc(s->n ? s->n : 1, sizeof(*s->specs));
	if (!s->specs)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Out of memory reading MLmodel");
	for (size_t i = 0; i < s->n; i++) {
		const json_t *spec = json_array_get(list, i);
		struct mlmodel_spec *o = &s->specs[i];
		if (!json_is_object(spec))
			return malformed(err, part, "%s", "a spec is not an object");
		const json_t *type = json_object_get(spec, "type"), *name = json_object_get(spec, "name");
		const json_t *required = json_object_get(spec, "required");
		int t = json_is_string(type) ? mlmodel_type_of(json_string_value(type)) : -1;
		if (t < 0)
			return malformed(err, part, "unknown type %s",
					 json_is_string(type) ? json_string_value(type) : "(missing)");
		if (name && !json_is_null(name) && !json_is_string(name))
			return malformed(err, part, "%s", "a spec's name is not a string");
		if (required && !json_is_boolean(required))
			return malformed(err, part, "%s", "a spec's \"required\" is not a boolean");
		o->type = (enum mlmodel_type)t;
		o->name = json_is_string(name) ? json_string_value(name) : NULL;
		o->required = required ? json_is_true(required) : true;
		o->detail = spec;
		bool tensor = o->type == MLMODEL_TENSOR;
		if (i == 0)
			s->tensors = tensor;
		else if (tensor != s->tensors)
			return malformed(err, part, "%s", "a schema mixes column and tensor specs");
		if (tensor && tensor_spec(spec, o, part, err) < 0)
			return -1;
		if (o->type == MLMODEL_ARRAY && !json_object_get(spec, "items"))
			return malformed(err, part, "%s", "an array spec has no \"items\"");
		if (o->type == MLMODEL_OBJECT && !json_is_object(json_object_get(spec, "properties")))
			return malformed(err, part, "%s", "an object spec has no \"properties\"");
		if (o->type == MLMODEL_MAP && !json_object_get(spec, "values"))
			return malformed(err, part, "%s", "a map spec has no \"values\"");
	}
	/* names, when given, are unique: columns are found by them */
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = i + 1; s->specs[i].name && j < s->n; j++)
			if (s->specs[j].name && strcmp(s->specs[i].name, s->specs[j].name) == 0)
				return malformed(err, part, "the name '%.200s' appears twice", s->specs[i].name);
	return 0;
}

static int params_read(struct mlmodel *m, struct mlf_err *err)
{
	json_t *list = m->sig_params;
	if (!list)
		return 0;
	m->n_params = json_array_size(list);
	if (m->n_params > MLMODEL_MAX_SPECS)
		return malformed(err, "signature params", "more than %s", "4096");
	m->params = calloc(m->n_params ? m->n_params : 1, sizeof(*m->params));
	if (!m->params)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Out of memory reading MLmodel");
	for (size_t i = 0; i < m->n_params; i++) {
		const json_t *p = json_array_get(list, i);
		struct mlmodel_param *o = &m->params[i];
		if (!json_is_object(p))
			return malformed(err, "signature params", "%s", "a param is not an object");
		const json_t *name = json_object_get(p, "name"), *type = json_object_get(p, "type");
		const json_t *shape = json_object_get(p, "shape");
		if (!json_is_string(name) || !json_string_length(name))
			return malformed(err, "signature params", "%s", "a param has no name");
		int t = json_is_string(type) ? mlmodel_type_of(json_string_value(type))
					     : json_is_object(type) ? (int)MLMODEL_OBJECT : -1;
		if (t < 0 || t == MLMODEL_TENSOR)
			return malformed(err, "signature params", "param '%.200s' has no known type",
					 json_string_value(name));
		o->name = json_string_value(name);
		o->type = (enum mlmodel_type)t;
		o->default_value = json_object_get(p, "default");
		if (!o->default_value)
			o->default_value = json_null();
		if (shape && !json_is_null(shape)) {
			if (!json_is_array(shape) || json_array_size(shape) != 1 ||
			    json_integer_value(json_array_get(shape, 0)) != -1)
				return malformed(err, "signature params", "param '%.200s' has a shape other than [-1]",
						 o->name);
			o->is_list = true;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->params[j].name, o->name) == 0)
				return malformed(err, "signature params", "the name '%.200s' appears twice", o->name);
	}
	return 0;
}

static int signature_read(struct mlmodel *m, struct mlf_err *err)
{
	const json_t *sig = json_object_get(m->doc, "signature");
	if (!sig || json_is_null(sig))
		return 0;
	if (!json_is_object(sig))
		return malformed(err, "signature", "%s", "not a mapping");
	m->has_signature = true;
	if (signature_json(sig, "inputs", &m->sig_inputs, err) < 0 ||
	    signature_json(sig, "outputs", &m->sig_outputs, err) < 0 ||
	    signature_json(sig, "params", &m->sig_params, err) < 0)
		return -1;
	if (schema_read(m->sig_inputs, &m->inputs, "signature inputs", err) < 0 ||
	    schema_read(m->sig_outputs, &m->outputs, "signature outputs", err) < 0)
		return -1;
	return params_read(m, err);
}

/* ---- the file -------------------------------------------------------------------- */

static int example_read(struct mlmodel *m, struct mlf_err *err)
{
	const json_t *info = json_object_get(m->doc, "saved_input_example_info");
	if (!info || json_is_null(info))
		return 0;
	if (!json_is_object(info))
		return malformed(err, "saved_input_example_info", "%s", "not a mapping");
	return optional_string(info, "artifact_path", &m->example_path, err) < 0 ||
			       optional_string(info, "type", &m->example_type, err) < 0 ||
			       optional_string(info, "serving_input_path", &m->serving_example_path, err) < 0
		       ? -1
		       : 0;
}

int mlmodel_parse(const char *text, size_t len, struct mlmodel *m, struct mlf_err *err)
{
	memset(m, 0, sizeof(*m));
	if (model_yaml_parse(text, len, "MLmodel", &m->doc, err) < 0)
		return -1;
	int rc = -1;
	if (!json_is_object(m->doc)) {
		malformed(err, "the file", "%s", "not a mapping of keys to values");
		goto out;
	}
	m->flavors = json_object_get(m->doc, "flavors");
	if (!json_is_object(m->flavors) || !json_object_size(m->flavors)) {
		malformed(err, "flavors", "%s", "missing or empty: the file describes no way to load the model");
		goto out;
	}
	const char *name;
	const json_t *conf;
	json_object_foreach((json_t *)m->flavors, name, conf) {
		if (!json_is_object(conf) && !json_is_null(conf)) {
			malformed(err, "flavors", "the configuration of '%.200s' is not a mapping", name);
			goto out;
		}
	}
	static const struct {
		const char *key;
		size_t offset;
	} strings[] = {
		{ "run_id", offsetof(struct mlmodel, run_id) },
		{ "artifact_path", offsetof(struct mlmodel, artifact_path) },
		{ "model_uuid", offsetof(struct mlmodel, model_uuid) },
		{ "model_id", offsetof(struct mlmodel, model_id) },
		{ "mlflow_version", offsetof(struct mlmodel, mlflow_version) },
		{ "utc_time_created", offsetof(struct mlmodel, utc_time_created) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		if (optional_string(m->doc, strings[i].key, (const char **)((char *)m + strings[i].offset), err) < 0)
			goto out;
	if (signature_read(m, err) < 0 || example_read(m, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		mlmodel_release(m);
	return rc;
}

void mlmodel_release(struct mlmodel *m)
{
	json_decref(m->doc);
	json_decref(m->sig_inputs);
	json_decref(m->sig_outputs);
	json_decref(m->sig_params);
	free(m->inputs.specs);
	free(m->outputs.specs);
	free(m->params);
	memset(m, 0, sizeof(*m));
}

const json_t *mlmodel_flavor(const struct mlmodel *m, const char *name)
{
	return m->flavors ? json_object_get(m->flavors, name) : NULL;
}

const char *mlmodel_flavor_string(const struct mlmodel *m, const char *flavor, const char *key)
{
	const json_t *v = json_object_get(mlmodel_flavor(m, flavor), key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}
