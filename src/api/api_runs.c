/*
 * api_runs.c - the run endpoints of MLflow's tracking API: lifecycle,
 * logging (single values and batches), inputs, models and search.
 *
 * Every logging endpoint funnels into one store call, run_log_batch, so the
 * validation rules (key names, lengths, truncation) live in one place here
 * and the store sees only clean data.
 */
#include "api.h"
#include "api_search.h"
#include "batch_reader.h"
#include "run_names.h"
#include "../store/registry.h"
#include <strings.h>

#define KEY_MAX 250
#define PARAM_VALUE_MAX 6000
#define RUN_TAG_VALUE_MAX 8000
#define BATCH_MAX_METRICS 1000
#define BATCH_MAX_PARAMS 100
#define BATCH_MAX_TAGS 100
#define BATCH_MAX_TOTAL 1000
#define DATASET_NAME_MAX 500
#define DATASET_DIGEST_MAX 36
#define DATASET_SOURCE_MAX 65535
#define DATASET_SCHEMA_MAX 1048575
#define DATASET_PROFILE_MAX 16777215
#define INPUT_TAG_KEY_MAX 255
#define INPUT_TAG_VALUE_MAX 500
#define RUN_NAME_TAG "mlflow.runName"
#define LOG_MODEL_HISTORY_TAG "mlflow.log-model.history"

static const char *const run_statuses[] = { "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED" };

/* ---- validation shared by the logging endpoints -------------------------- */

static int check_param(struct api_ctx *c, struct store_kv *p, const char *what)
{
	if (validate_key(c, p->key, what) < 0 || validate_length(c, p->key, KEY_MAX, "Param key") < 0)
		return -1;
	p->value = truncate_chars(c, p->value ? p->value : "", PARAM_VALUE_MAX);
	return 0;
}

static int check_tag(struct api_ctx *c, struct store_kv *t, const char *what)
{
	if (validate_key(c, t->key, what) < 0 || validate_length(c, t->key, KEY_MAX, "Tag key") < 0)
		return -1;
	t->value = truncate_chars(c, t->value ? t->value : "", RUN_TAG_VALUE_MAX);
	return 0;
}

static int check_metric(struct api_ctx *c, const struct store_metric *m, const char *what)
{
	if (validate_key(c, m->key, what) < 0)
		return -1;
	if (validate_length(c, m->key, KEY_MAX, "Metric name") < 0)
		return -1;
	if (m->timestamp < 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value %lld for parameter 'timestamp' supplied. Timestamp must be a nonnegative "
				  "long (64-bit integer)",
				  (long long)m->timestamp);
	return 0;
}

/* Runs a store batch for `run_id` after the checks above. */
static int store_batch(struct api_ctx *c, const char *run_id, const struct store_batch *b)
{
	struct store *st = c->app->store;
	return store_run_log_batch(st, run_id, b, c->err);
}

/* ---- create / get / update / delete --------------------------------------- */

/* Reads `tags` of runs/create (key and value of each); values truncated. */
static int run_tags(struct api_ctx *c, struct store_kv **out, size_t *n)
{
	if (param_kv_list(c, "tags", out, n) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (check_tag(c, &(*out)[i], "key") < 0)
			return -1;
	return 0;
}

/* The run name: run_name, or the mlflow.runName tag, or a random one. */
static int resolve_run_name(struct api_ctx *c, const char *run_name, const struct store_kv *tags, size_t n,
			    const char **out)
{
	const char *tag_name = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(tags[i].key, RUN_NAME_TAG) == 0)
			tag_name = tags[i].value;
	if (run_name && *run_name && tag_name && strcmp(run_name, tag_name) != 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different "
				  "values (run_name='%s', mlflow.runName='%s').",
				  run_name, tag_name);
	if (run_name && *run_name)
		*out = run_name;
	else if (tag_name && *tag_name)
		*out = tag_name;
	else {
		char *name = arena_alloc(c->a, RUN_NAME_RANDOM_MAX + 1);
		run_name_random(name);
		*out = name;
	}
	return 0;
}

int api_runs_create(struct api_ctx *c)
{
	struct store_run_create rc = { 0 };
	const char *exp_id, *run_name;
	struct store_kv *tags;
	size_t n_tags;
	int got = param_id(c, "experiment_id", &exp_id);
	if (got < 0 || param_string(c, "user_id", &rc.user_id) < 0 || param_string(c, "run_name", &run_name) < 0 ||
	    param_int64(c, "start_time", &rc.start_time) < 0 || run_tags(c, &tags, &n_tags) < 0)
		return -1;
	if (got == 1 || !*exp_id)
		return mlf_errorf(c->err, MLF_BAD_REQUEST, "An experiment_id is required to create a run");
	if (parse_experiment_id(c, exp_id, &rc.experiment_id) < 0 ||
	    resolve_run_name(c, run_name, tags, n_tags, &rc.run_name) < 0)
		return -1;
	rc.tags = tags;
	rc.n_tags = n_tags;

	struct store_run run;
	struct store *st = c->app->store;
	if (store_run_create(st, &rc, &run, c->a, c->err) < 0)
		return -1;
	jw_key(&c->w, "run");
	render_run(&c->w, &run, false);
	return 0;
}

int api_runs_get(struct api_ctx *c)
{
	const char *run_id;
	struct store_run run;
	if (param_run_id(c, &run_id) < 0)
		return -1;
	struct store *st = c->app->store;
	if (store_run_get(st, run_id, &run, c->a, c->err) < 0)
		return -1;
	jw_key(&c->w, "run");
	render_run(&c->w, &run, true);
	return 0;
}

/* The status field: an enum name or number. Unknown values are ignored,
 * which is what MLflow's server does with them. */
static int status_param(struct api_ctx *c, const char **out)
{
	json_t *v = c->body ? json_object_get(c->body, "status") : NULL;
	const char *s;
	*out = NULL;
	if (v && json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i >= 1 && i <= 5)
			*out = run_statuses[i == 1 ? 0 : i - 1];
		return 0;
	}
	int rc = param_string(c, "status", &s);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	for (size_t i = 0; i < ARRAY_SIZE(run_statuses); i++)
		if (strcasecmp(s, run_statuses[i]) == 0)
			*out = run_statuses[i];
	return 0;
}

int api_runs_update(struct api_ctx *c)
{
	struct store_run_update u = { 0 };
	struct store_run_info info;
	const char *run_id;
	int got_end;
	if (param_run_id(c, &run_id) < 0 || status_param(c, &u.status) < 0 ||
	    (got_end = param_int64(c, "end_time", &u.end_time)) < 0 || param_string(c, "run_name", &u.run_name) < 0)
		return -1;
	u.has_end_time = got_end == 0;
	if (u.run_name)
		u.run_name = truncate_chars(c, u.run_name, RUN_TAG_VALUE_MAX);
	struct store *st = c->app->store;
	if (store_run_update(st, run_id, &u, &info, c->a, c->err) < 0)
		return -1;
	jw_key(&c->w, "run_info");
	render_run_info(&c->w, &info);
	return 0;
}

static int set_lifecycle(struct api_ctx *c, bool deleted)
{
	const char *run_id;
	if (param_run_id(c, &run_id) < 0)
		return -1;
	struct store *st = c->app->store;
	return store_run_set_lifecycle(st, run_id, deleted, c->err);
}

int api_runs_delete(struct api_ctx *c)
{
	return set_lifecycle(c, true);
}

int api_runs_restore(struct api_ctx *c)
{
	return set_lifecycle(c, false);
}

/* ---- single-value logging ------------------------------------------------- */

int api_runs_log_metric(struct api_ctx *c)
{
	struct store_metric m = { 0 };
	const char *run_id;
	int rc;
	if (param_run_id(c, &run_id) < 0 || param_string_required(c, "key", &m.key) < 0)
		return -1;
	if ((rc = param_double(c, "value", &m.value)) != 0)
		return rc < 0 ? -1 : param_missing(c, "value");
	if ((rc = param_int64(c, "timestamp", &m.timestamp)) != 0)
		return rc < 0 ? -1 : param_missing(c, "timestamp");
	if (param_int64(c, "step", &m.step) < 0 || param_string(c, "model_id", &m.model_id) < 0 ||
	    param_string(c, "dataset_name", &m.dataset_name) < 0 ||
	    param_string(c, "dataset_digest", &m.dataset_digest) < 0 || check_metric(c, &m, "key") < 0)
		return -1;
	struct store_batch b = { .metrics = &m, .n_metrics = 1 };
	return store_batch(c, run_id, &b);
}

int api_runs_log_param(struct api_ctx *c)
{
	struct store_kv p;
	const char *run_id;
	if (param_run_id(c, &run_id) < 0 || param_string_required(c, "key", &p.key) < 0 ||
	    param_string(c, "value", &p.value) < 0 || check_param(c, &p, "key") < 0)
		return -1;
	struct store_batch b = { .params = &p, .n_params = 1 };
	return store_batch(c, run_id, &b);
}

int api_runs_set_tag(struct api_ctx *c)
{
	struct store_kv t;
	const char *run_id;
	if (param_run_id(c, &run_id) < 0 || param_string_required(c, "key", &t.key) < 0 ||
	    param_string(c, "value", &t.value) < 0 || check_tag(c, &t, "key") < 0)
		return -1;
	struct store_batch b = { .tags = &t, .n_tags = 1 };
	return store_batch(c, run_id, &b);
}

int api_runs_delete_tag(struct api_ctx *c)
{
	const char *run_id, *key;
	if (param_run_id(c, &run_id) < 0 || param_string_required(c, "key", &key) < 0)
		return -1;
	struct store *st = c->app->store;
	return store_run_delete_tag(st, run_id, key, c->err);
}

/* ---- log-batch ------------------------------------------------------------ */

static int batch_limit(struct api_ctx *c, size_t got, size_t max, const char *what)
{
	if (got <= max)
		return 0;
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "A batch logging request can contain at most %zu %s. Got %zu %s. Please split up %s across "
			  "multiple requests and try again.",
			  max, what, got, what, what);
}

/* Reads one numeric field of a nested metric with the top-level rules;
 * errors name the element ("metrics[3].value"). */
static int nested_number(struct api_ctx *c, json_t *obj, size_t idx, const char *field, bool integer, double *d,
			 int64_t *i)
{
	json_t *saved = c->body;
	c->body = obj;
	int rc = integer ? param_int64(c, field, i) : param_double(c, field, d);
	c->body = saved;
	if (rc < 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value for parameter 'metrics[%zu].%s' supplied", idx, field);
	return rc;
}

static int missing_element(struct api_ctx *c, const char *what, size_t idx, const char *field)
{
	return param_missing(c, arena_printf(c->a, "%s[%zu].%s", what, idx, field));
}

static int batch_metrics(struct api_ctx *c, json_t *list, struct store_metric **out, size_t *n)
{
	*n = list ? json_array_size(list) : 0;
	*out = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_t *o = json_array_get(list, i);
		struct store_metric *m = &(*out)[i];
		int rc;
		memset(m, 0, sizeof(*m));
		if (param_nested_text(c, o, "key", &m->key) < 0)
			return -1;
		if (!m->key || !*m->key)
			return missing_element(c, "metrics", i, "key");
		if ((rc = nested_number(c, o, i, "value", false, &m->value, NULL)) != 0)
			return rc < 0 ? -1 : missing_element(c, "metrics", i, "value");
		if ((rc = nested_number(c, o, i, "timestamp", true, NULL, &m->timestamp)) != 0)
			return rc < 0 ? -1 : missing_element(c, "metrics", i, "timestamp");
		if (nested_number(c, o, i, "step", true, NULL, &m->step) < 0)
			return -1;
		if (param_nested_text(c, o, "model_id", &m->model_id) < 0 ||
		    param_nested_text(c, o, "dataset_name", &m->dataset_name) < 0 ||
		    param_nested_text(c, o, "dataset_digest", &m->dataset_digest) < 0)
			return -1;
	}
	return 0;
}

static int batch_kvs(struct api_ctx *c, json_t *list, const char *what, struct store_kv **out, size_t *n)
{
	*n = list ? json_array_size(list) : 0;
	*out = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_t *o = json_array_get(list, i);
		if (param_nested_text(c, o, "key", &(*out)[i].key) < 0 ||
		    param_nested_text(c, o, "value", &(*out)[i].value) < 0)
			return -1;
		if (!(*out)[i].key || !*(*out)[i].key)
			return missing_element(c, what, i, "key");
	}
	return 0;
}

static int reject_duplicate_params(struct api_ctx *c, const struct store_kv *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(p[i].key, p[j].key) == 0)
				return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
						  "Duplicate parameter keys have been submitted: ['%s']. Please ensure the "
						  "request contains only one param value per param key.",
						  p[i].key);
	return 0;
}

static int batch_limits(struct api_ctx *c, size_t nm, size_t np, size_t nt)
{
	if (batch_limit(c, nm, BATCH_MAX_METRICS, "metrics") < 0 || batch_limit(c, np, BATCH_MAX_PARAMS, "params") < 0 ||
	    batch_limit(c, nt, BATCH_MAX_TAGS, "tags") < 0 ||
	    batch_limit(c, nm + np + nt, BATCH_MAX_TOTAL, "metrics, params, and tags") < 0)
		return -1;
	return 0;
}

/* Reads the batch with the full parser and MLflow's typing rules. */
static int batch_read_full(struct api_ctx *c, struct batch_request *b)
{
	json_t *metrics, *params, *tags;
	if (api_parse_body(c) < 0 || param_run_id(c, &b->run_id) < 0 ||
	    param_object_list(c, "metrics", &metrics) < 0 || param_object_list(c, "params", &params) < 0 ||
	    param_object_list(c, "tags", &tags) < 0)
		return -1;
	if (batch_limits(c, metrics ? json_array_size(metrics) : 0, params ? json_array_size(params) : 0,
			 tags ? json_array_size(tags) : 0) < 0)
		return -1;
	if (batch_metrics(c, metrics, &b->metrics, &b->n_metrics) < 0 ||
	    batch_kvs(c, params, "params", &b->params, &b->n_params) < 0 ||
	    batch_kvs(c, tags, "tags", &b->tags, &b->n_tags) < 0)
		return -1;
	return 0;
}

/* The rules every batch passes, however it was read. */
static int batch_validate(struct api_ctx *c, struct batch_request *b)
{
	if (!b->run_id || !*b->run_id)
		return param_missing(c, "run_id");
	if (batch_limits(c, b->n_metrics, b->n_params, b->n_tags) < 0)
		return -1;
	for (size_t i = 0; i < b->n_metrics; i++)
		if (check_metric(c, &b->metrics[i], "key") < 0)
			return -1;
	for (size_t i = 0; i < b->n_params; i++)
		if (check_param(c, &b->params[i], "key") < 0)
			return -1;
	for (size_t i = 0; i < b->n_tags; i++)
		if (check_tag(c, &b->tags[i], "key") < 0)
			return -1;
	return reject_duplicate_params(c, b->params, b->n_params);
}

int api_runs_log_batch(struct api_ctx *c)
{
	struct batch_request b;
	if (c->batch) /* read ahead by the auth gate */
		b = *c->batch;
	else if (!batch_read_fast(c->req->body, c->req->body_len, c->a, &b) && batch_read_full(c, &b) < 0)
		return -1;
	if (batch_validate(c, &b) < 0)
		return -1;
	struct store_batch sb = { b.metrics, b.n_metrics, b.params, b.n_params, b.tags, b.n_tags };
	return store_batch(c, b.run_id, &sb);
}

/* ---- log-model ------------------------------------------------------------ */

/* The summary MLflow keeps per logged model: the model JSON without the
 * flavors' "config" entries. */
static json_t *model_summary(json_t *model)
{
	json_t *summary = json_deep_copy(model);
	json_t *flavors = json_object_get(summary, "flavors");
	const char *name;
	json_t *flavor;
	json_object_foreach(flavors, name, flavor)
	{
		if (json_is_object(flavor))
			json_object_del(flavor, "config");
	}
	return summary;
}

static int append_model_history(struct api_ctx *c, const char *run_id, json_t *model, const char **out)
{
	struct store *st = c->app->store;
	struct store_run run;
	json_t *history = NULL;
	if (store_run_get(st, run_id, &run, c->a, c->err) < 0)
		return -1;
	for (size_t i = 0; i < run.n_tags; i++)
		if (strcmp(run.tags[i].key, LOG_MODEL_HISTORY_TAG) == 0)
			history = json_loads(run.tags[i].value, 0, NULL);
	if (!json_is_array(history)) {
		json_decref(history);
		history = json_array();
	}
	json_array_append_new(history, model_summary(model));
	/* Python's json.dumps layout (", " and ": ", ASCII escapes): clients
	 * compare this tag's text */
	char *text = json_dumps(history, JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
	*out = arena_strdup(c->a, text ? text : "[]");
	free(text);
	json_decref(history);
	return 0;
}

int api_runs_log_model(struct api_ctx *c)
{
	static const char *const required[] = { "artifact_path", "flavors", "utc_time_created", "run_id" };
	const char *run_id, *model_json;
	if (param_run_id(c, &run_id) < 0 || param_string_required(c, "model_json", &model_json) < 0)
		return -1;
	json_t *model = json_loads(model_json, 0, NULL);
	if (!json_is_object(model)) {
		json_decref(model);
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Malformed model info. \n model_json = %s", model_json);
	}
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!json_object_get(model, required[i])) {
			json_decref(model);
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
					  "Model json is missing mandatory fields: %s", required[i]);
		}
	struct store_kv tag = { LOG_MODEL_HISTORY_TAG, NULL };
	int rc = append_model_history(c, run_id, model, &tag.value);
	json_decref(model);
	if (rc < 0)
		return -1;
	struct store_batch b = { .tags = &tag, .n_tags = 1 };
	return store_batch(c, run_id, &b);
}

/* ---- log-inputs ----------------------------------------------------------- */

static int dataset_field(struct api_ctx *c, json_t *d, const char *field, size_t max, bool required, const char **out)
{
	if (param_nested_text(c, d, field, out) < 0)
		return -1;
	if (!*out && required)
		return param_missing(c, field);
	if (*out && strlen(*out) > max)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "'%s' exceeds the maximum length of %zu characters",
				  field, max);
	return 0;
}

static int one_input(struct api_ctx *c, json_t *o, struct store_dataset_input *in)
{
	json_t *d = json_object_get(o, "dataset"), *tags = json_object_get(o, "tags");
	struct store_dataset *ds = &in->dataset;
	if (!json_is_object(d))
		return param_missing(c, "dataset");
	if (dataset_field(c, d, "name", DATASET_NAME_MAX, true, &ds->name) < 0 ||
	    dataset_field(c, d, "digest", DATASET_DIGEST_MAX, false, &ds->digest) < 0 ||
	    dataset_field(c, d, "source_type", DATASET_NAME_MAX, true, &ds->source_type) < 0 ||
	    dataset_field(c, d, "source", DATASET_SOURCE_MAX, true, &ds->source) < 0 ||
	    dataset_field(c, d, "schema", DATASET_SCHEMA_MAX, false, &ds->schema) < 0 ||
	    dataset_field(c, d, "profile", DATASET_PROFILE_MAX, false, &ds->profile) < 0)
		return -1;
	if (!ds->digest)
		ds->digest = "";
	in->n_tags = json_is_array(tags) ? json_array_size(tags) : 0;
	in->tags = arena_alloc(c->a, (in->n_tags ? in->n_tags : 1) * sizeof(*in->tags));
	for (size_t t = 0; t < in->n_tags; t++) {
		json_t *tag = json_array_get(tags, t);
		if (dataset_field(c, tag, "key", INPUT_TAG_KEY_MAX, true, &in->tags[t].key) < 0 ||
		    dataset_field(c, tag, "value", INPUT_TAG_VALUE_MAX, true, &in->tags[t].value) < 0)
			return -1;
	}
	return 0;
}

/* MLflow 3's `models` [{model_id}]: logged models the run used. */
static int model_inputs(struct api_ctx *c, struct store_model_link **out, size_t *n)
{
	json_t *list;
	if (param_object_list(c, "models", &list) < 0)
		return -1;
	*n = list ? json_array_size(list) : 0;
	*out = arena_zalloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		const char *id;
		if (param_nested_text(c, json_array_get(list, i), "model_id", &id) < 0)
			return -1;
		if (!id || !*id)
			return param_missing(c, "model_id");
		(*out)[i].model_id = id;
	}
	return 0;
}

/* Everything is read and checked before the first write; the datasets
 * (when there are some, or nothing else) and then the model links are
 * written, each write checking that the run is active. */
int api_runs_log_inputs(struct api_ctx *c)
{
	const char *run_id;
	json_t *list;
	struct store_model_link *models;
	size_t n_models;
	if (param_run_id(c, &run_id) < 0 || param_object_list(c, "datasets", &list) < 0)
		return -1;
	size_t n = list ? json_array_size(list) : 0;
	struct store_dataset_input *in = arena_zalloc(c->a, (n ? n : 1) * sizeof(*in));
	for (size_t i = 0; i < n; i++)
		if (one_input(c, json_array_get(list, i), &in[i]) < 0)
			return -1;
	if (model_inputs(c, &models, &n_models) < 0)
		return -1;
	struct store *st = c->app->store;
	if ((n || !n_models) && store_run_log_inputs(st, run_id, in, n, c->err) < 0)
		return -1;
	if (!n_models)
		return 0;
	return store_logged_model_link_run(st, run_id, false, models, n_models, c->err);
}

/* ---- search --------------------------------------------------------------- */

int api_runs_search(struct api_ctx *c)
{
	const char **ids;
	int64_t *exp_ids;
	size_t n_ids, n;
	struct store_search q;
	struct store_run *runs;
	bool more;
	if (search_experiment_ids(c, 0, &ids, &n_ids, &exp_ids) < 0 ||
	    search_params(c, FILTER_RUNS, "run_view_type", &q) < 0)
		return -1;
	struct store *st = c->app->store;
	if (store_run_search(st, exp_ids, n_ids, &q, &runs, &n, &more, c->a, c->err) < 0)
		return -1;
	if (n) {
		jw_key(&c->w, "runs");
		jw_arr_begin(&c->w);
		for (size_t i = 0; i < n; i++)
			render_run(&c->w, &runs[i], true);
		jw_arr_end(&c->w);
	}
	search_next_token(c, &q, more);
	return 0;
}
