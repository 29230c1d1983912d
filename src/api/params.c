/*
 * params.c - typed access to request parameters with MLflow's rules.
 *
 * POST/PATCH/DELETE bodies are JSON objects; GET parameters come from the
 * query string (or from a JSON body when there is no query string). The
 * typing follows protobuf's JSON mapping as MLflow's server applies it:
 * int64 accepts numbers and numeric strings, doubles accept "NaN" and
 * "Infinity", enums their names, booleans true/false.
 *
 * Every string goes through one of two readers here (query_text for the
 * query string, json_text for JSON strings), and both refuse a string that
 * holds a NUL ("\u0000", %00): C strings and the store would keep only what
 * comes before it, so it could not be stored or matched exactly. Other
 * control characters pass, as MLflow stores them.
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
	char num[32], *text = NULL;
	if (json_is_real(v))
		util_format_double(num, json_real_value(v)); /* as Python prints it: 1e+20 */
	else
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
		   "Invalid value %s for parameter '%s' supplied:  Hint: Value was of type '%s'. " SEE_DOCS,
		   json_is_real(v) ? num : text ? text : "?", name, jr_type_name(v));
	free(text);
	return -1;
}

static int query_invalid(struct api_ctx *c, const char *name, const char *value)
{
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid value \"%s\" for parameter '%s' supplied:  Hint: Value was of type 'str'. " SEE_DOCS,
			  value, name);
}

static int nul_invalid(struct api_ctx *c, const char *name)
{
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid value for parameter '%s' supplied: the value contains a NUL character (\\u0000), "
			  "which cannot be stored. " SEE_DOCS,
			  name);
}

/* The value of query parameter p, refusing one that held a %00. */
static int query_param_text(struct api_ctx *c, const char *name, const struct http_param *p, const char **out)
{
	*out = p->value;
	return p->value_len > strlen(p->value) ? nul_invalid(c, name) : 0;
}

/* The first query value for `name`: 0, 1 when absent, -1 when refused. */
static int query_text(struct api_ctx *c, const char *name, const char **out)
{
	*out = NULL;
	for (size_t i = 0; i < c->req->n_query; i++)
		if (strcmp(c->req->query[i].key, name) == 0)
			return query_param_text(c, name, &c->req->query[i], out);
	return 1;
}

/* The text of JSON string v, refusing one that holds a NUL. */
static int json_text(struct api_ctx *c, const char *name, const json_t *v, const char **out)
{
	*out = json_string_value(v);
	return json_string_length(v) != strlen(*out) ? nul_invalid(c, name) : 0;
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
	if (c->use_query)
		return query_text(c, name, out);
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (!json_is_string(v))
		return param_invalid(c, name, v);
	return json_text(c, name, v, out);
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
	const char *s;
	int rc;
	if (c->use_query) {
		if ((rc = query_text(c, name, &s)) != 0)
			return rc;
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
		/* beyond int64 (1e20; 1e309 arrives as "Infinity"): no int64
		 * field can hold it, refused as MLflow's search-runs refuses it */
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
			return param_invalid(c, name, v);
		if (d == (double)(int64_t)d)
			*out = (int64_t)d;
		/* else (1.5): MLflow's protobuf parsing gives up on the field
		 * and its type check (int(1.5)) passes, so the field keeps its
		 * default, which the caller preset in *out (the transcripts
		 * record this for max_results and timestamp) */
		return 0;
	}
	if (json_is_string(v)) {
		if (json_text(c, name, v, &s) < 0)
			return -1;
		if (util_parse_int64(s, out))
			return 0;
	}
	return param_invalid(c, name, v);
}

int param_double(struct api_ctx *c, const char *name, double *out)
{
	const char *s;
	int rc;
	if (c->use_query) {
		if ((rc = query_text(c, name, &s)) != 0)
			return rc;
		return parse_double_text(s, out) ? 0 : query_invalid(c, name, s);
	}
	json_t *v = body_value(c, name);
	if (!v)
		return 1;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		if (json_text(c, name, v, &s) < 0)
			return -1;
		if (parse_double_text(s, out))
			return 0;
	}
	return param_invalid(c, name, v);
}

int param_bool(struct api_ctx *c, const char *name, bool *out)
{
	if (c->use_query) {
		const char *s;
		int rc = query_text(c, name, &s);
		if (rc != 0)
			return rc;
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
			if (strcmp(c->req->query[i].key, name) == 0 &&
			    query_param_text(c, name, &c->req->query[i], &(*out)[k++]) < 0)
				return -1;
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
		if (json_is_string(e)) {
			if (json_text(c, name, e, &(*out)[i]) < 0)
				return -1;
		} else if (json_is_integer(e))
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
		if (param_nested_text(c, kv, "key", &(*out)[i].key) < 0 ||
		    param_nested_text(c, kv, "value", &(*out)[i].value) < 0)
			return -1;
		if (!(*out)[i].key || !*(*out)[i].key)
			return param_missing(c, "key");
	}
	return 0;
}

int param_nested_text(struct api_ctx *c, json_t *obj, const char *field, const char **out)
{
	json_t *v = json_object_get(obj, field);
	*out = NULL;
	if (!v || json_is_null(v))
		return 1;
	if (json_is_string(v))
		return json_text(c, field, v, out);
	if (json_is_array(v) || json_is_object(v))
		return param_invalid(c, field, v); /* never stored as JSON text */
	if (json_is_integer(v)) {
		*out = arena_printf(c->a, "%lld", (long long)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		*out = json_is_true(v) ? "true" : "false";
	} else {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		*out = arena_strdup(c->a, text ? text : "");
		free(text);
	}
	return 0;
}
