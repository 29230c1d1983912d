/*
 * api_logged_models.c - MLflow 3's logged-model endpoints and runs/outputs.
 *
 * A 3.x `mlflow.<flavor>.log_model` creates a logged model (PENDING), links
 * it to its run with runs/outputs, uploads the files under the model's
 * artifact location through the artifact proxy, and finalizes it (READY).
 * Search takes MLflow 3's filter language (FILTER_LOGGED_MODELS),
 * `datasets` and structured order_by. These handlers read MLflow's request
 * fields, call the logged-model half of the store (store/logged_model.h)
 * and render LoggedModel the way MLflow's protobuf JSON does: fields in
 * proto order, enums by name, ids as strings, unset fields and empty lists
 * omitted. Nothing here writes SQL.
 */
#include "api_logged_models.h"
#include "run_names.h"
#include "../base/util.h"
#include "../search/filter.h"
#include "../store/registry.h"

#define SEARCH_DEFAULT_RESULTS 50 /* the proto's default, which MLflow's server applies */
#define SEARCH_MAX_RESULTS 1000
#define NAME_FORBIDDEN "/:.%\"'"

/* ---- status names ------------------------------------------------------------- */

static const char *const status_names[] = {
	[LOGGED_MODEL_STATUS_UNSPECIFIED] = "LOGGED_MODEL_STATUS_UNSPECIFIED",
	[LOGGED_MODEL_PENDING] = "LOGGED_MODEL_PENDING",
	[LOGGED_MODEL_READY] = "LOGGED_MODEL_READY",
	[LOGGED_MODEL_UPLOAD_FAILED] = "LOGGED_MODEL_UPLOAD_FAILED",
};

static const char *status_name(enum logged_model_status s)
{
	return (size_t)s < ARRAY_SIZE(status_names) ? status_names[s] : status_names[0];
}

/* The status by enum name or number, as protobuf JSON accepts both. */
static int status_param(struct api_ctx *c, enum logged_model_status *out)
{
	const char *text;
	int64_t n;
	int rc = param_id(c, "status", &text);
	if (rc < 0)
		return -1;
	if (rc == 1 || !*text)
		return param_missing(c, "status");
	for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
		if (!strcmp(text, status_names[i])) {
			*out = (enum logged_model_status)i;
			return 0;
		}
	if (util_parse_int64(text, &n) && n >= 0 && (size_t)n < ARRAY_SIZE(status_names)) {
		*out = (enum logged_model_status)n;
		return 0;
	}
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Invalid value '%s' for parameter 'status'", text);
}

/* ---- rendering ---------------------------------------------------------------------- */

static void kv_id(struct jw *w, const char *key, int64_t id)
{
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)id);
	jw_kv_str(w, key, text);
}

static void render_logged_metric(struct jw *w, const struct store_logged_metric *lm, const char *model_id)
{
	jw_obj_begin(w);
	jw_kv_str(w, "key", lm->m.key);
	jw_kv_double(w, "value", lm->m.value);
	jw_kv_int(w, "timestamp", lm->m.timestamp);
	jw_kv_int(w, "step", lm->m.step);
	if (lm->dataset_name)
		jw_kv_str(w, "dataset_name", lm->dataset_name);
	if (lm->dataset_digest)
		jw_kv_str(w, "dataset_digest", lm->dataset_digest);
	jw_kv_str(w, "model_id", model_id);
	if (lm->run_id)
		jw_kv_str(w, "run_id", lm->run_id);
	jw_obj_end(w);
}

static void render_info(struct jw *w, const struct store_logged_model *m)
{
	jw_obj_begin(w);
	jw_kv_str(w, "model_id", m->model_id);
	kv_id(w, "experiment_id", m->experiment_id);
	jw_kv_str(w, "name", m->name);
	jw_kv_int(w, "creation_timestamp_ms", m->creation_time);
	jw_kv_int(w, "last_updated_timestamp_ms", m->last_updated_time);
	jw_kv_str(w, "artifact_uri", m->artifact_location);
	jw_kv_str(w, "status", status_name(m->status));
	jw_kv_str(w, "model_type", m->model_type ? m->model_type : "");
	jw_kv_str(w, "source_run_id", m->source_run_id ? m->source_run_id : "");
	if (m->status_message)
		jw_kv_str(w, "status_message", m->status_message);
	render_kv_list(w, "tags", m->tags, m->n_tags);
	jw_obj_end(w);
}

static void render_model(struct jw *w, const struct store_logged_model *m)
{
	jw_obj_begin(w);
	jw_key(w, "info");
	render_info(w, m);
	jw_key(w, "data");
	jw_obj_begin(w);
	render_kv_list(w, "params", m->params, m->n_params);
	if (m->n_metrics) {
		jw_key(w, "metrics");
		jw_arr_begin(w);
		for (size_t i = 0; i < m->n_metrics; i++)
			render_logged_metric(w, &m->metrics[i], m->model_id);
		jw_arr_end(w);
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

static int respond_model(struct api_ctx *c, int rc, const struct store_logged_model *m)
{
	if (rc < 0)
		return -1;
	jw_key(&c->w, "model");
	render_model(&c->w, m);
	return 0;
}

/* ---- create ------------------------------------------------------------------------ */

/* MLflow's _validate_logged_model_name. */
static int validate_name(struct api_ctx *c, const char *name)
{
	if (*name && !name[strcspn(name, NAME_FORBIDDEN)])
		return 0;
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid model name ('%s') provided. Model name must be a non-empty string and cannot contain "
			  "the following characters: ('/', ':', '.', '%%', '\"', \"'\")",
			  name);
}

/* `name`, or a random one (MLflow's store does the same) when absent or "". */
static int name_param(struct api_ctx *c, const char **name)
{
	if (param_string(c, "name", name) < 0)
		return -1;
	if (*name && **name)
		return validate_name(c, *name);
	char random[RUN_NAME_RANDOM_MAX + 1];
	run_name_random(random);
	*name = arena_strdup(c->a, random);
	return 0;
}

int api_logged_model_create(struct api_ctx *c)
{
	struct store_logged_model_create lc = { 0 };
	struct store_kv *params, *tags;
	struct store_logged_model m;
	const char *exp;
	int rc = param_id(c, "experiment_id", &exp);
	if (rc < 0)
		return -1;
	if (rc == 1 || !*exp)
		return param_missing(c, "experiment_id");
	if (parse_experiment_id(c, exp, &lc.experiment_id) < 0 || name_param(c, &lc.name) < 0 ||
	    param_string(c, "model_type", &lc.model_type) < 0 || param_string(c, "source_run_id", &lc.source_run_id) < 0 ||
	    param_kv_list(c, "params", &params, &lc.n_params) < 0 || param_kv_list(c, "tags", &tags, &lc.n_tags) < 0)
		return -1;
	lc.params = params;
	lc.tags = tags;
	return respond_model(c, store_logged_model_create(c->app->store, &lc, &m, c->a, c->err), &m);
}

/* ---- search ------------------------------------------------------------------------- */

/* A nested string field into *out, NULL when absent or "" (proto3's
 * unset); -1 (with the error set) when it is not a string. */
static int non_empty(struct api_ctx *c, json_t *obj, const char *field, const char **out)
{
	if (param_nested_text(c, obj, field, out) < 0)
		return -1;
	if (*out && !**out)
		*out = NULL;
	return 0;
}

static int order_param(struct api_ctx *c, struct store_logged_order **out, size_t *n)
{
	json_t *list;
	int rc = param_object_list(c, "order_by", &list);
	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	*n = json_array_size(list);
	*out = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_t *ob = json_array_get(list, i), *asc = json_object_get(ob, "ascending");
		const char *field;
		const char *dataset_name, *dataset_digest;
		if (param_nested_text(c, ob, "field_name", &field) < 0)
			return -1;
		if (!field || !*field)
			return param_missing(c, "field_name");
		if (asc && !json_is_null(asc) && !json_is_boolean(asc))
			return param_invalid(c, "ascending", asc);
		if (non_empty(c, ob, "dataset_name", &dataset_name) < 0 ||
		    non_empty(c, ob, "dataset_digest", &dataset_digest) < 0)
			return -1;
		(*out)[i] = (struct store_logged_order){ field, !json_is_false(asc), dataset_name, dataset_digest };
	}
	return 0;
}

static int experiments_param(struct api_ctx *c, int64_t **ids, size_t *n)
{
	const char **texts;
	int rc = param_string_list(c, "experiment_ids", &texts, n);
	if (rc < 0)
		return -1;
	if (rc == 1 || !*n)
		return param_missing(c, "experiment_ids");
	*ids = arena_alloc(c->a, *n * sizeof(**ids));
	for (size_t i = 0; i < *n; i++)
		if (parse_experiment_id(c, texts[i], &(*ids)[i]) < 0)
			return -1;
	return 0;
}

/* `filter` in the logged-model DSL, and `datasets` [{dataset_name,
 * dataset_digest}] that scope its metric conditions. */
static int filter_params(struct api_ctx *c, struct store_logged_search *q)
{
	const char *filter;
	json_t *datasets;
	if (param_string(c, "filter", &filter) < 0 || param_object_list(c, "datasets", &datasets) < 0 ||
	    filter_parse(FILTER_LOGGED_MODELS, filter, &q->filter, c->a, c->err) < 0)
		return -1;
	size_t n = json_array_size(datasets);
	const char **names = arena_alloc(c->a, (n ? n : 1) * sizeof(*names));
	const char **digests = arena_alloc(c->a, (n ? n : 1) * sizeof(*digests));
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(datasets, i);
		if (non_empty(c, d, "dataset_name", &names[i]) < 0 || non_empty(c, d, "dataset_digest", &digests[i]) < 0)
			return -1;
		if (!names[i])
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
					  "`dataset_name` in the `datasets` clause must be specified.");
	}
	q->dataset_names = names;
	q->dataset_digests = digests;
	q->n_datasets = n;
	return 0;
}

/* ---- page tokens ---------------------------------------------------------------- */

/* What MLflow 3 puts into a logged-model page token besides the offset, as
 * its server sees the request: the experiment ids as sent, the filter (null
 * when absent or ""), and the order_by items with unset fields null. A
 * token must come back with the same request. Owned by the caller
 * (json_decref). */
static json_t *token_context(struct api_ctx *c, const struct store_logged_search *q)
{
	const char **ids = NULL, *filter = NULL;
	size_t n = 0;
	json_t *ctx = json_object(), *list = json_array(), *order = q->n_order ? json_array() : json_null();
	param_string_list(c, "experiment_ids", &ids, &n); /* read before: cannot fail now */
	param_string(c, "filter", &filter);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(ids[i]));
	for (size_t i = 0; i < q->n_order; i++) {
		const struct store_logged_order *o = &q->order[i];
		json_array_append_new(order, json_pack("{s:s, s:b, s:s?, s:s?}", "field_name", o->field, "ascending",
						       o->ascending, "dataset_name", o->dataset_name, "dataset_digest",
						       o->dataset_digest));
	}
	json_object_set_new(ctx, "experiment_ids", list);
	json_object_set_new(ctx, "filter_string", filter && *filter ? json_string(filter) : json_null());
	json_object_set_new(ctx, "order_by", order);
	return ctx;
}

/* base64 of {"experiment_ids": [...], "filter_string": ..., "order_by": ...,
 * "offset": N}, as Python's json.dumps writes it. In the request arena. */
const char *api_logged_model_token_encode(struct api_ctx *c, json_t *ctx, int64_t offset)
{
	json_object_set_new(ctx, "offset", json_integer((json_int_t)offset));
	char *text = json_dumps(ctx, JSON_ENSURE_ASCII);
	if (!text)
		abort(); /* jansson fails only when out of memory: xalloc.h policy */
	struct buf b = BUF_INIT;
	util_base64_encode(&b, text, strlen(text));
	const char *token = arena_strndup(c->a, b.ptr, b.len);
	buf_release(&b);
	free(text);
	return token;
}

static int token_mismatch(struct api_ctx *c, const char *what, const json_t *want, const json_t *found)
{
	char *w = json_dumps(want, JSON_ENCODE_ANY), *f = json_dumps(found, JSON_ENCODE_ANY);
	mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "%s Expected: %.200s. Found: %.200s", what, w ? w : "?",
		   f ? f : "?");
	free(w);
	free(f);
	return -1;
}

/* The offset of `token`, which must carry `ctx` (MLflow's check). A token
 * of offset alone (what this server gave before) is still read as one. */
int api_logged_model_token_decode(struct api_ctx *c, const char *token, json_t *ctx, int64_t *offset)
{
	static const struct {
		const char *key, *what;
	} checked[] = {
		{ "experiment_ids", "Experiment IDs in the page token do not match the requested experiment IDs." },
		{ "filter_string", "Filter string in the page token does not match the requested filter string." },
		{ "order_by", "Order by in the page token does not match the requested order by." },
	};
	struct buf raw = BUF_INIT;
	json_t *root = NULL;
	*offset = 0;
	if (token && *token && util_base64_decode(&raw, token, strlen(token)) == 0)
		root = json_loadb(raw.ptr ? raw.ptr : "", raw.len, 0, NULL);
	buf_release(&raw);
	if (!json_is_object(root) || !json_object_get(root, "experiment_ids")) {
		json_decref(root);
		return page_token_decode(token, offset, c->err);
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(checked); i++) {
		json_t *found = json_object_get(root, checked[i].key), *want = json_object_get(ctx, checked[i].key);
		/* MLflow reads "" and [] there as absent */
		if (!found || (json_is_string(found) && !*json_string_value(found)) ||
		    (json_is_array(found) && !json_array_size(found)))
			found = json_null();
		if (!json_equal(found, want))
			rc = token_mismatch(c, checked[i].what, want, found);
	}
	json_t *off = json_object_get(root, "offset");
	if (rc == 0 && off && !json_is_null(off) && (!json_is_integer(off) || json_integer_value(off) < 0))
		rc = mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Invalid page token, offset must be an integer >= 0");
	if (rc == 0 && json_is_integer(off))
		*offset = json_integer_value(off);
	json_decref(root);
	return rc;
}

static int search_params(struct api_ctx *c, struct store_logged_search *q, json_t **ctx)
{
	int64_t *ids = NULL;
	struct store_logged_order *order = NULL;
	const char *token;
	q->max_results = SEARCH_DEFAULT_RESULTS;
	if (experiments_param(c, &ids, &q->n_experiments) < 0 || filter_params(c, q) < 0 ||
	    param_int64(c, "max_results", &q->max_results) < 0 || order_param(c, &order, &q->n_order) < 0 ||
	    param_string(c, "page_token", &token) < 0)
		return -1;
	q->order = order;
	*ctx = token_context(c, q);
	if (api_logged_model_token_decode(c, token, *ctx, &q->offset) < 0)
		return -1;
	if (q->max_results <= 0)
		q->max_results = SEARCH_DEFAULT_RESULTS;
	if (q->max_results > SEARCH_MAX_RESULTS)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value %lld for parameter 'max_results' supplied. It must be at most %d",
				  (long long)q->max_results, SEARCH_MAX_RESULTS);
	q->experiment_ids = ids;
	return 0;
}

int api_logged_model_search(struct api_ctx *c)
{
	struct store_logged_search q = { 0 };
	struct store_logged_model *models;
	json_t *ctx = NULL;
	size_t n;
	bool more;
	if (search_params(c, &q, &ctx) < 0 || store_logged_model_search(c->app->store, &q, &models, &n, &more, c->a, c->err) < 0) {
		json_decref(ctx);
		return -1;
	}
	if (n) {
		jw_key(&c->w, "models");
		jw_arr_begin(&c->w);
		for (size_t i = 0; i < n; i++)
			render_model(&c->w, &models[i]);
		jw_arr_end(&c->w);
	}
	if (more)
		jw_kv_str(&c->w, "next_page_token", api_logged_model_token_encode(c, ctx, q.offset + q.max_results));
	json_decref(ctx);
	return 0;
}

/* ---- /logged-models/{model_id}[/...] -------------------------------------------------- */

static int item_get(struct api_ctx *c, const char *model_id, const char *rest)
{
	bool allow_deleted = false;
	struct store_logged_model m;
	(void)rest;
	if (param_bool(c, "allow_deleted", &allow_deleted) < 0)
		return -1;
	return respond_model(c, store_logged_model_get(c->app->store, model_id, allow_deleted, &m, c->a, c->err), &m);
}

static int item_finalize(struct api_ctx *c, const char *model_id, const char *rest)
{
	enum logged_model_status status = LOGGED_MODEL_STATUS_UNSPECIFIED;
	struct store_logged_model m;
	(void)rest;
	if (status_param(c, &status) < 0)
		return -1;
	return respond_model(c, store_logged_model_finalize(c->app->store, model_id, status, &m, c->a, c->err), &m);
}

static int item_delete(struct api_ctx *c, const char *model_id, const char *rest)
{
	(void)rest;
	return store_logged_model_delete(c->app->store, model_id, c->err);
}

static int item_set_tags(struct api_ctx *c, const char *model_id, const char *rest)
{
	struct store_kv *tags;
	size_t n;
	(void)rest;
	if (param_kv_list(c, "tags", &tags, &n) < 0)
		return -1;
	return store_logged_model_set_tags(c->app->store, model_id, tags, n, c->err);
}

static int item_delete_tag(struct api_ctx *c, const char *model_id, const char *key)
{
	struct buf b = BUF_INIT;
	util_url_decode(&b, key, strlen(key), false);
	key = arena_strndup(c->a, b.ptr ? b.ptr : "", b.len);
	buf_release(&b);
	return store_logged_model_delete_tag(c->app->store, model_id, key, c->err);
}

static int item_log_params(struct api_ctx *c, const char *model_id, const char *rest)
{
	struct store_kv *params;
	size_t n;
	(void)rest;
	if (param_kv_list(c, "params", &params, &n) < 0)
		return -1;
	return store_logged_model_log_params(c->app->store, model_id, params, n, c->err);
}

static int item_artifacts(struct api_ctx *c, const char *model_id, const char *rest)
{
	const char *path;
	struct store_logged_model m;
	(void)rest;
	if (param_string(c, "artifact_directory_path", &path) < 0 || artifact_path_validate(path, c->err) < 0 ||
	    store_logged_model_get(c->app->store, model_id, false, &m, c->a, c->err) < 0)
		return -1;
	return api_artifacts_list_uri(c, m.artifact_location, path);
}

/* The rows of /logged-models/{model_id}[/...] (routes_logged_models.c):
 * the id is the raw path segment, as sent. */
int api_logged_model_get(struct api_ctx *c)
{
	return item_get(c, api_path_segment(c, "model_id"), "");
}

int api_logged_model_finalize(struct api_ctx *c)
{
	return item_finalize(c, api_path_segment(c, "model_id"), "");
}

int api_logged_model_delete(struct api_ctx *c)
{
	return item_delete(c, api_path_segment(c, "model_id"), "");
}

int api_logged_model_set_tags(struct api_ctx *c)
{
	return item_set_tags(c, api_path_segment(c, "model_id"), "");
}

int api_logged_model_delete_tag(struct api_ctx *c)
{
	return item_delete_tag(c, api_path_segment(c, "model_id"), api_path_segment(c, "key"));
}

int api_logged_model_log_params(struct api_ctx *c)
{
	return item_log_params(c, api_path_segment(c, "model_id"), "");
}

int api_logged_model_artifacts(struct api_ctx *c)
{
	return item_artifacts(c, api_path_segment(c, "model_id"), "");
}

int api_logged_model_unknown(struct api_ctx *c)
{
	return mlf_errorf(c->err, MLF_ENDPOINT_NOT_FOUND, "No endpoint %s %s", c->req->method_name, c->req->path);
}

/* ---- runs/outputs -------------------------------------------------------------------- */

static int models_param(struct api_ctx *c, struct store_model_link **out, size_t *n)
{
	json_t *list;
	int rc = param_object_list(c, "models", &list);
	if (rc != 0)
		return rc < 0 ? -1 : param_missing(c, "models");
	*n = json_array_size(list);
	*out = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_t *m = json_array_get(list, i), *body = c->body;
		const char *id;
		int64_t s = 0;
		if (param_nested_text(c, m, "model_id", &id) < 0)
			return -1;
		if (!id || !*id)
			return param_missing(c, "model_id");
		c->body = m; /* the step is read with the top-level int64 rules */
		rc = param_int64(c, "step", &s);
		c->body = body;
		if (rc < 0)
			return -1;
		(*out)[i] = (struct store_model_link){ id, s };
	}
	return 0;
}

int api_runs_outputs(struct api_ctx *c)
{
	const char *run_id;
	struct store_model_link *links = NULL;
	size_t n = 0;
	if (param_string_required(c, "run_id", &run_id) < 0 || models_param(c, &links, &n) < 0)
		return -1;
	return store_logged_model_link_run(c->app->store, run_id, true, links, n, c->err);
}
