/*
 * api_experiments.c - the experiment endpoints of MLflow's tracking API.
 */
#include "api.h"
#include "api_search.h"

#define EXPERIMENT_NAME_MAX 500
#define ARTIFACT_LOCATION_MAX 2048
#define TAG_KEY_MAX 250
#define EXPERIMENT_TAG_VALUE_MAX 5000

static int experiment_id_param(struct api_ctx *c, int64_t *id)
{
	const char *s;
	int rc = param_id(c, "experiment_id", &s);
	if (rc < 0)
		return -1;
	if (rc == 1 || !*s)
		return param_missing(c, "experiment_id");
	return parse_experiment_id(c, s, id);
}

/* A JSON string with "\u0000" inside reaches C cut short at the NUL:
 * compare the lengths to see it. */
static bool json_field_has_nul(const struct api_ctx *c, const char *field)
{
	json_t *v = c->body ? json_object_get(c->body, field) : NULL;
	return json_is_string(v) && json_string_length(v) != strlen(json_string_value(v));
}

static int validate_artifact_location(struct api_ctx *c, const char *loc)
{
	if (!loc)
		return 0;
	/* a NUL or control character, raw or percent-encoded (one or more
	 * rounds), would let a file:// location name another directory than
	 * it shows (file:///etc%00 was /etc) */
	if (json_field_has_nul(c, "artifact_location") || artifact_decodes_to_control(loc))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "'artifact_location' can't contain NUL or control characters (raw or percent-encoded).");
	if (strncmp(loc, "runs:", 5) == 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Artifact location cannot be a runs:/ URI. Given: '%s'", loc);
	if (strchr(loc, '#'))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "'artifact_location' URL can't include fragments or params.");
	const char *q = strchr(loc, '?');
	if (q && strstr(q, ".."))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "'artifact_location' URL can't include '..'");
	return validate_length(c, loc, ARTIFACT_LOCATION_MAX, "artifact_location");
}

/* Reads and validates `tags` of an experiment request into `out`. */
static int experiment_tags(struct api_ctx *c, struct store_kv **out, size_t *n)
{
	if (param_kv_list(c, "tags", out, n) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		struct store_kv *t = &(*out)[i];
		if (validate_key(c, t->key, "key") < 0 || validate_length(c, t->key, TAG_KEY_MAX, "Tag key") < 0 ||
		    validate_length(c, t->value, EXPERIMENT_TAG_VALUE_MAX, "Tag value") < 0)
			return -1;
		if (!t->value)
			t->value = "";
	}
	return 0;
}

int api_experiments_create(struct api_ctx *c)
{
	const char *name, *location;
	struct store_kv *tags;
	size_t n_tags;
	int64_t id;
	if (param_string_required(c, "name", &name) < 0 || param_string(c, "artifact_location", &location) < 0 ||
	    experiment_tags(c, &tags, &n_tags) < 0)
		return -1;
	if (validate_length(c, name, EXPERIMENT_NAME_MAX, "Experiment name") < 0 ||
	    validate_artifact_location(c, location) < 0)
		return -1;
	struct store *st = c->app->store;
	if (store_experiment_create(st, name, location, c->app->default_artifact_root, tags, n_tags, &id, c->err) < 0)
		return -1;
	jw_key(&c->w, "experiment_id");
	jw_str(&c->w, arena_printf(c->a, "%lld", (long long)id));
	return 0;
}

static int respond_experiment(struct api_ctx *c, int rc, const struct store_experiment *e)
{
	if (rc < 0)
		return -1;
	jw_key(&c->w, "experiment");
	render_experiment(&c->w, e);
	return 0;
}

int api_experiments_get(struct api_ctx *c)
{
	struct store_experiment e;
	int64_t id;
	if (experiment_id_param(c, &id) < 0)
		return -1;
	struct store *st = c->app->store;
	return respond_experiment(c, store_experiment_get(st, id, &e, c->a, c->err), &e);
}

int api_experiments_get_by_name(struct api_ctx *c)
{
	struct store_experiment e;
	const char *name;
	if (param_string_required(c, "experiment_name", &name) < 0)
		return -1;
	struct store *st = c->app->store;
	return respond_experiment(c, store_experiment_get_by_name(st, name, &e, c->a, c->err), &e);
}

static int set_lifecycle(struct api_ctx *c, bool deleted)
{
	int64_t id;
	if (experiment_id_param(c, &id) < 0)
		return -1;
	struct store *st = c->app->store;
	return store_experiment_set_lifecycle(st, id, deleted, c->err);
}

int api_experiments_delete(struct api_ctx *c)
{
	return set_lifecycle(c, true);
}

int api_experiments_restore(struct api_ctx *c)
{
	return set_lifecycle(c, false);
}

int api_experiments_update(struct api_ctx *c)
{
	const char *name;
	int64_t id;
	if (experiment_id_param(c, &id) < 0 || param_string_required(c, "new_name", &name) < 0 ||
	    validate_length(c, name, EXPERIMENT_NAME_MAX, "Experiment name") < 0)
		return -1;
	struct store *st = c->app->store;
	return store_experiment_rename(st, id, name, c->err);
}

static int experiments_fetch(struct api_ctx *c, const struct store_search *q, void **items, size_t *n, bool *more)
{
	struct store_experiment *exps;
	if (store_experiment_search(c->app->store, q, &exps, n, more, c->a, c->err) < 0)
		return -1;
	*items = exps;
	return 0;
}

static const char *experiment_key(struct api_ctx *c, const void *item)
{
	return arena_printf(c->a, "%lld", (long long)((const struct store_experiment *)item)->id);
}

int api_experiments_search(struct api_ctx *c)
{
	struct store_search q;
	struct store_experiment *exps;
	size_t n;
	int64_t next;
	if (search_params(c, FILTER_EXPERIMENTS, "view_type", &q) < 0 ||
	    search_filtered(c, &q, ROUTE_EXPERIMENT, sizeof(*exps), experiments_fetch, experiment_key, (void **)&exps, &n,
			    &next) < 0)
		return -1;
	if (n) {
		jw_key(&c->w, "experiments");
		jw_arr_begin(&c->w);
		for (size_t i = 0; i < n; i++)
			render_experiment(&c->w, &exps[i]);
		jw_arr_end(&c->w);
	}
	search_next_token_at(c, next);
	return 0;
}

static int tag_request(struct api_ctx *c, int64_t *id, const char **key)
{
	if (experiment_id_param(c, id) < 0 || param_string_required(c, "key", key) < 0)
		return -1;
	return validate_key(c, *key, "key") < 0 || validate_length(c, *key, TAG_KEY_MAX, "Tag key") < 0 ? -1 : 0;
}

int api_experiments_set_tag(struct api_ctx *c)
{
	const char *key, *value;
	int64_t id;
	if (tag_request(c, &id, &key) < 0 || param_string(c, "value", &value) < 0 ||
	    validate_length(c, value, EXPERIMENT_TAG_VALUE_MAX, "Tag value") < 0)
		return -1;
	struct store *st = c->app->store;
	return store_experiment_set_tag(st, id, key, value ? value : "", c->err);
}

int api_experiments_delete_tag(struct api_ctx *c)
{
	const char *key;
	int64_t id;
	if (tag_request(c, &id, &key) < 0)
		return -1;
	struct store *st = c->app->store;
	return store_experiment_delete_tag(st, id, key, c->err);
}

int api_experiments_search_datasets(struct api_ctx *c)
{
	const char **ids;
	size_t n_ids;
	int64_t *exp_ids;
	struct store_dataset_summary *ds;
	size_t n;
	if (search_experiment_ids(c, 20, &ids, &n_ids, &exp_ids) < 0)
		return -1;
	struct store *st = c->app->store;
	if (store_dataset_search(st, exp_ids, n_ids, &ds, &n, c->a, c->err) < 0)
		return -1;
	if (!n)
		return 0;
	jw_key(&c->w, "dataset_summaries");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(&c->w);
		jw_kv_str(&c->w, "experiment_id", arena_printf(c->a, "%lld", (long long)ds[i].experiment_id));
		jw_kv_str(&c->w, "name", ds[i].name);
		jw_kv_str(&c->w, "digest", ds[i].digest);
		if (ds[i].context)
			jw_kv_str(&c->w, "context", ds[i].context);
		jw_obj_end(&c->w);
	}
	jw_arr_end(&c->w);
	return 0;
}
