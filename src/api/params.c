/*
 * params.c - typed access to request parameters with MLflow's rules.
 *
 * POST/PATCH/DELETE bodies are JSON objects; GET parameters come from the
 * query string (or from a JSON body when there is no query string). The
 * typing follows protobuf's JSON mapping as MLflow's server applies it:
 * int64 accepts numbers and numeric strings, doubles accept "NaN" and
 * "Infinity", enums their names, booleans true/false.
 */
#include "api.h"
#include "../base/util.h"
#include "../json/jr.h"
#include <errno.h>
#include <strings.h>
#include <math.h>

#define SEE_DOCS "See the API docs for more information about request parameters."

int param_missing(struct api_ctx *c, const char *name)
{
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Missing value for required parameter '%s'. " SEE_DOCS,
			  name);
}

int param_invalid(struct api_ctx *c, const char *name, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
		   "Invalid value %s for parameter '%s' supplied:  Hint: Value was of type '%s'. " SEE_DOCS,
		   text ? text : "?", name, jr_type_name(v));
	free(text);
	return -1;
}

static int query_invalid(struct api_ctx *c, const char *name, const char *value)
{
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid value \"%s\" for parameter '%s' supplied:  Hint: Value was of type 'str'. " SEE_DOCS,
			  value, name);
}

/* The first query value for `name`, or NULL. */
static const char *query_value(struct api_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->req->n_query; i++)
		if (strcmp(c->req->query[i].key, name) == 0)
			return c->req->query[i].value;
	return NULL;
}

/* The JSON member `name`, or NULL when absent or null. */
static json_t *body_value(struct api_ctx *c, const char *name)
{
	json_t *v = c->body ? json_object_get(c->body, name) : NULL;
	return v && !json_is_null(v) ? v : NULL;
}

int param_string(struct api_ctx *c, const char *name, const char **out)
{
	*out = NULL;
	if (c->use_query) {
		*out = query_value(c, name);
		return *out ? 0 : 1;
	}
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (!json_is_string(v))
		return param_invalid(c, name, v);
	*out = json_string_value(v);
	return 0;
}

int param_string_required(struct api_ctx *c, const char *name, const char **out)
{
	int rc = param_string(c, name, out);
	if (rc < 0)
		return -1;
	if (rc == 1 || !**out)
		return param_missing(c, name);
	return 0;
}

int param_id(struct api_ctx *c, const char *name, const char **out)
{
	json_t *v = c->use_query ? NULL : body_value(c, name);
	if (v && json_is_integer(v)) {
		*out = arena_printf(c->a, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	return param_string(c, name, out);
}

int param_run_id(struct api_ctx *c, const char **out)
{
	int rc = param_string(c, "run_id", out);
	if (rc == 1 || (rc == 0 && !**out))
		rc = param_string(c, "run_uuid", out);
	if (rc < 0)
		return -1;
	if (rc == 1 || !**out)
		return param_missing(c, "run_id");
	return 0;
}

static bool parse_double_text(const char *s, double *out)
{
	static const struct {
		const char *text;
		double value;
	} specials[] = { { "NaN", NAN }, { "Infinity", INFINITY }, { "-Infinity", -INFINITY } };
	for (size_t i = 0; i < ARRAY_SIZE(specials); i++)
		if (strcmp(s, specials[i].text) == 0) {
			*out = specials[i].value;
			return true;
		}
	char *end;
	errno = 0;
	if (!*s)
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && errno != ERANGE;
}

int param_int64(struct api_ctx *c, const char *name, int64_t *out)
{
	if (c->use_query) {
		const char *s = query_value(c, name);
		if (!s)
			return 1;
		return util_parse_int64(s, out) ? 0 : query_invalid(c, name, s);
	}
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d)
			*out = (int64_t)d;
		/* else: MLflow's protobuf parsing gives up on the field and it
		 * keeps its default, which the caller preset in *out */
		return 0;
	}
	if (json_is_string(v) && util_parse_int64(json_string_value(v), out))
		return 0;
	return param_invalid(c, name, v);
}

int param_double(struct api_ctx *c, const char *name, double *out)
{
	if (c->use_query) {
		const char *s = query_value(c, name);
		if (!s)
			return 1;
		return parse_double_text(s, out) ? 0 : query_invalid(c, name, s);
	}
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (json_is_string(v) && parse_double_text(json_string_value(v), out))
		return 0;
	return param_invalid(c, name, v);
}

int param_bool(struct api_ctx *c, const char *name, bool *out)
{
	if (c->use_query) {
		const char *s = query_value(c, name);
		if (!s)
			return 1;
		if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) {
			*out = strcasecmp(s, "true") == 0;
			return 0;
		}
		return query_invalid(c, name, s);
	}
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (!json_is_boolean(v))
		return param_invalid(c, name, v);
	*out = json_is_true(v);
	return 0;
}

int param_string_list(struct api_ctx *c, const char *name, const char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (c->use_query) {
		for (size_t i = 0; i < c->req->n_query; i++)
			if (strcmp(c->req->query[i].key, name) == 0)
				(*n)++;
		if (!*n)
			return 1;
		*out = arena_alloc(c->a, *n * sizeof(**out));
		for (size_t i = 0, k = 0; i < c->req->n_query; i++)
			if (strcmp(c->req->query[i].key, name) == 0)
				(*out)[k++] = c->req->query[i].value;
		return 0;
	}
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (!json_is_array(v))
		return param_invalid(c, name, v);
	*n = json_array_size(v);
	*out = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_t *e = json_array_get(v, i);
		if (json_is_string(e))
			(*out)[i] = json_string_value(e);
		else if (json_is_integer(e))
			(*out)[i] = arena_printf(c->a, "%lld", (long long)json_integer_value(e));
		else
			return param_invalid(c, name, v);
	}
	return 0;
}

int param_object_list(struct api_ctx *c, const char *name, json_t **out)
{
	*out = NULL;
	if (c->use_query)
		return 1;
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (!json_is_array(v))
		return param_invalid(c, name, v);
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_object(json_array_get(v, i)))
			return param_invalid(c, name, v);
	*out = v;
	return 0;
}

int param_kv_list(struct api_ctx *c, const char *name, struct store_kv **out, size_t *n)
{
	json_t *list;
	int rc = param_object_list(c, name, &list);
	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc;
	*n = json_array_size(list);
	*out = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_t *kv = json_array_get(list, i);
		(*out)[i].key = param_nested_text(c, kv, "key");
		(*out)[i].value = param_nested_text(c, kv, "value");
		if (!(*out)[i].key || !*(*out)[i].key)
			return param_missing(c, "key");
	}
	return 0;
}

const char *param_nested_text(struct api_ctx *c, json_t *obj, const char *field)
{
	json_t *v = json_object_get(obj, field);
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(c->a, "%lld", (long long)json_integer_value(v));
	if (json_is_true(v) || json_is_false(v))
		return json_is_true(v) ? "true" : "false";
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	const char *copy = arena_strdup(c->a, text ? text : "");
	free(text);
	return copy;
}
