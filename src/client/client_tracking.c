/*
 * client_tracking.c - the read and manage side of tracking in libmlflowc:
 * experiments (create, get, set, rename, delete, restore, search), runs
 * (get, delete, restore, search) and metric history, plus the results the
 * host reads them through (struct mlf_experiments / mlf_runs / mlf_metrics
 * in include/mlflowc.h).
 *
 * A result keeps the parsed jansson tree of the answer: its public structs
 * hold pointers into that tree (strings are never copied), and one free
 * call drops the tree and the arrays. Its `json` text is written from the
 * tree with the jw writer, so doubles keep their shortest round-trip form;
 * into a sticky buffer checked at the end, so an allocation failure is
 * MLF_CLIENT_ERR_NOMEM and never an abort. Searches with max_results 0
 * follow next_page_token and gather every page into one result.
 */
#include "client_int.h"
#include "../json/jw.h"
#include "../base/lazylink.h"
#include <jansson.h>
#include <math.h>

#define PAGE_SIZE_RUNS 1000        /* what MLflow's Python client asks for */
#define PAGE_SIZE_EXPERIMENTS 1000
#define PAGE_SIZE_HISTORY 25000

/* ---------------------------------------------------------------- requests */

enum mlf_result client_json_call(mlf_client *c, const char *path, json_t *body, json_t **reply)
{
	if (reply)
		*reply = NULL;
	char *text = NULL;
	if (body) {
		text = client_json_text(body);
		json_decref(body);
		if (!text)
			return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory writing a request to %s", path);
	}
	struct buf b = { .ptr = text, .len = text ? strlen(text) : 0, .cap = text ? strlen(text) + 1 : 0, .sticky = true };
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = client_sync_call(c, path, text ? &b : NULL, &rep);
	free(text);
	if (r == MLF_CLIENT_OK && reply) {
		char what[160];
		snprintf(what, sizeof(what), "the answer to %s", path);
		r = cjson_load(&rep.body, what, reply);
	}
	buf_release(&rep.body);
	return r;
}

/* Makes "<endpoint>?k1=v1&k2=v2" (values percent-encoded; NULL values left
 * out) into *out, which the caller frees. */
static enum mlf_result query_path(const char *endpoint, const char *const *kv, size_t n, char **out)
{
	struct buf p = BUF_INIT_STICKY;
	bool escaped = true;
	buf_adds(&p, endpoint);
	char sep = '?';
	for (size_t i = 0; escaped && i < 2 * n; i += 2) {
		if (!kv[i + 1])
			continue;
		char *esc = curl_easy_escape(NULL, kv[i + 1], 0);
		if ((escaped = esc != NULL)) {
			buf_addch(&p, sep);
			buf_adds(&p, kv[i]);
			buf_addch(&p, '=');
			buf_adds(&p, esc);
			sep = '&';
		}
		curl_free(esc);
	}
	if (!escaped)
		buf_release(&p);
	if (!escaped || !(*out = buf_detach(&p, NULL)))
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	return MLF_CLIENT_OK;
}

static enum mlf_result get_json(mlf_client *c, const char *endpoint, const char *const *kv, size_t n, json_t **reply)
{
	char *path;
	enum mlf_result r = query_path(endpoint, kv, n, &path);
	if (r != MLF_CLIENT_OK)
		return r;
	r = client_json_call(c, path, NULL, reply);
	free(path);
	return r;
}

/* A jansson object from string fields (NULL values left out); NULL on OOM. */
static json_t *object_of(const struct cfield *f, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++) {
		if (f[i].str && json_object_set_new(o, f[i].key, json_string(f[i].str))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* POSTs string fields, ignoring the answer. */
static enum mlf_result post_fields(mlf_client *c, const char *path, const struct cfield *f, size_t n)
{
	json_t *body = object_of(f, n);
	if (!body)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory writing a request to %s", path);
	return client_json_call(c, path, body, NULL);
}

static bool blank(const char *s)
{
	return !s || !*s;
}

/* ---------------------------------------------------------------- JSON text */

/* Writes a jansson value as JSON text through jw into its sticky buffer
 * (the caller checks jw_failed once). -1 when it stopped early. */
static int tree_write(struct jw *w, const json_t *v)
{
	if (jw_failed(w))
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		jw_obj_begin(w);
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			jw_key(w, k);
			if (tree_write(w, x))
				return -1;
		}
		jw_obj_end(w);
		return 0;
	}
	case JSON_ARRAY: {
		jw_arr_begin(w);
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (tree_write(w, x))
				return -1;
		}
		jw_arr_end(w);
		return 0;
	}
	case JSON_STRING:
		jw_strn(w, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		jw_int(w, json_integer_value(v));
		return 0;
	case JSON_REAL:
		jw_double(w, json_real_value(v));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		jw_bool(w, json_is_true(v));
		return 0;
	case JSON_NULL:
		jw_null(w);
		return 0;
	}
	return 0;
}

char *client_json_text(const json_t *v)
{
	struct buf b = BUF_INIT_STICKY;
	struct jw w;
	jw_init(&w, &b);
	if (tree_write(&w, v) || jw_failed(&w)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* ---------------------------------------------------------------- fields */

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* int64 fields come as numbers or, from protobuf-JSON writers, strings. */
static int64_t jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

/* Metric values: numbers, or MLflow's "NaN" / "Infinity" / "-Infinity". */
static double jdouble(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_number(v))
		return json_number_value(v);
	const char *s = json_string_value(v);
	if (s && strcmp(s, "Infinity") == 0)
		return INFINITY;
	if (s && strcmp(s, "-Infinity") == 0)
		return -INFINITY;
	if (s)
		return strtod(s, NULL); /* "NaN" */
	return 0;
}

/* Fills tags[0..) from a JSON list of {key, value}; returns how many. */
static size_t read_tags(const json_t *list, struct mlf_tag *tags)
{
	size_t i, n = 0;
	json_t *t;
	json_array_foreach(list, i, t) {
		tags[n++] = (struct mlf_tag){ jstr(t, "key"), jstr(t, "value") };
	}
	return n;
}

static size_t read_metrics(const json_t *list, struct mlf_metric *m)
{
	size_t i, n = 0;
	json_t *x;
	json_array_foreach(list, i, x) {
		m[n++] = (struct mlf_metric){ jstr(x, "key"), jdouble(x, "value"), jint(x, "timestamp"),
					      jint(x, "step") };
	}
	return n;
}

/* ---------------------------------------------------------------- results */

/* A result: the public struct first, so the host's pointer is ours. */
struct exp_result {
	struct mlf_experiments pub;
	json_t *root;
	char *json;
	struct mlf_experiment *items;
	struct mlf_tag *tags;
};

struct run_result {
	struct mlf_runs pub;
	json_t *root;
	char *json;
	struct mlf_run_record *items;
	struct mlf_tag *kv;        /* params and tags of every run */
	struct mlf_metric *metrics;
};

struct metric_result {
	struct mlf_metrics pub;
	json_t *root;
	char *json;
	struct mlf_metric *items;
};

void mlf_experiments_free(struct mlf_experiments *e)
{
	struct exp_result *x = (struct exp_result *)e;
	if (!x)
		return;
	json_decref(x->root);
	free(x->json);
	free(x->items);
	free(x->tags);
	free(x);
}

void mlf_runs_free(struct mlf_runs *r)
{
	struct run_result *x = (struct run_result *)r;
	if (!x)
		return;
	json_decref(x->root);
	free(x->json);
	free(x->items);
	free(x->kv);
	free(x->metrics);
	free(x);
}

void mlf_metrics_free(struct mlf_metrics *m)
{
	struct metric_result *x = (struct metric_result *)m;
	if (!x)
		return;
	json_decref(x->root);
	free(x->json);
	free(x->items);
	free(x);
}

/* calloc that is never asked for 0 bytes (so NULL means OOM). */
static void *alloc_n(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* Builds the result for `list` (an array of Experiment inside `root`);
 * takes `root` in every case. */
static enum mlf_result experiments_result(json_t *root, const json_t *list, struct mlf_experiments **out)
{
	struct exp_result *x = calloc(1, sizeof(*x));
	size_t i, ntags = 0;
	json_t *e;
	json_array_foreach(list, i, e) {
		ntags += json_array_size(json_object_get(e, "tags"));
	}
	if (x) {
		x->root = root;
		x->items = alloc_n(json_array_size(list), sizeof(*x->items));
		x->tags = alloc_n(ntags, sizeof(*x->tags));
		x->json = client_json_text(root);
	}
	if (!x || !x->items || !x->tags || !x->json) {
		if (x)
			mlf_experiments_free(&x->pub);
		else
			json_decref(root);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading experiments");
	}
	size_t t = 0;
	json_array_foreach(list, i, e) {
		struct mlf_experiment *it = &x->items[i];
		*it = (struct mlf_experiment){
			.experiment_id = jstr(e, "experiment_id"),
			.name = jstr(e, "name"),
			.artifact_location = jstr(e, "artifact_location"),
			.lifecycle_stage = jstr(e, "lifecycle_stage"),
			.creation_time = jint(e, "creation_time"),
			.last_update_time = jint(e, "last_update_time"),
			.tags = x->tags + t,
		};
		it->n_tags = read_tags(json_object_get(e, "tags"), x->tags + t);
		t += it->n_tags;
	}
	x->pub = (struct mlf_experiments){ x->items, json_array_size(list), jstr(root, "next_page_token"), x->json };
	*out = &x->pub;
	return MLF_CLIENT_OK;
}

static enum mlf_result runs_result(json_t *root, const json_t *list, struct mlf_runs **out)
{
	struct run_result *x = calloc(1, sizeof(*x));
	size_t i, nkv = 0, nmetrics = 0;
	json_t *run;
	json_array_foreach(list, i, run) {
		json_t *data = json_object_get(run, "data");
		nkv += json_array_size(json_object_get(data, "params")) + json_array_size(json_object_get(data, "tags"));
		nmetrics += json_array_size(json_object_get(data, "metrics"));
	}
	if (x) {
		x->root = root;
		x->items = alloc_n(json_array_size(list), sizeof(*x->items));
		x->kv = alloc_n(nkv, sizeof(*x->kv));
		x->metrics = alloc_n(nmetrics, sizeof(*x->metrics));
		x->json = client_json_text(root);
	}
	if (!x || !x->items || !x->kv || !x->metrics || !x->json) {
		if (x)
			mlf_runs_free(&x->pub);
		else
			json_decref(root);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading runs");
	}
	size_t k = 0, m = 0;
	json_array_foreach(list, i, run) {
		const json_t *info = json_object_get(run, "info"), *data = json_object_get(run, "data");
		struct mlf_run_record *it = &x->items[i];
		*it = (struct mlf_run_record){
			.run_id = jstr(info, "run_id"),
			.run_name = jstr(info, "run_name"),
			.experiment_id = jstr(info, "experiment_id"),
			.user_id = jstr(info, "user_id"),
			.status = jstr(info, "status"),
			.artifact_uri = jstr(info, "artifact_uri"),
			.lifecycle_stage = jstr(info, "lifecycle_stage"),
			.start_time = jint(info, "start_time"),
			.end_time = jint(info, "end_time"),
		};
		if (!*it->run_id)
			it->run_id = jstr(info, "run_uuid");
		it->metrics = x->metrics + m;
		it->n_metrics = read_metrics(json_object_get(data, "metrics"), x->metrics + m);
		m += it->n_metrics;
		it->params = x->kv + k;
		it->n_params = read_tags(json_object_get(data, "params"), x->kv + k);
		k += it->n_params;
		it->tags = x->kv + k;
		it->n_tags = read_tags(json_object_get(data, "tags"), x->kv + k);
		k += it->n_tags;
	}
	x->pub = (struct mlf_runs){ x->items, json_array_size(list), jstr(root, "next_page_token"), x->json };
	*out = &x->pub;
	return MLF_CLIENT_OK;
}

/* Wraps one object of the answer (answer.<key>) as a list of one in *list,
 * keeping the answer as the result's root. PROTOCOL when the answer has no
 * such object, NOMEM when the list cannot be made. */
static enum mlf_result single(json_t *root, const char *key, const char *endpoint, json_t **list)
{
	json_t *one = json_object_get(root, key);
	*list = NULL;
	if (!json_is_object(one))
		return client_fail(MLF_CLIENT_ERR_PROTOCOL, "%s answered no %s", endpoint, key);
	*list = json_pack("[O]", one);
	return *list ? MLF_CLIENT_OK : client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading %s", endpoint);
}

/* ---------------------------------------------------------------- paging */

/* The answer's list under `key` must be an array (absent: empty). */
static bool list_ok(const json_t *page, const char *key)
{
	json_t *v = json_object_get(page, key);
	return !v || json_is_array(v);
}

/* Sends the request made by `make(ctx, token)` until next_page_token is
 * empty, appending every page's `key` list to one array. With `one_page`
 * it stops after the first page and returns it as it came. *root is the
 * result's root: {key: [...]} (plus next_page_token for one page). */
static enum mlf_result paged(mlf_client *c, const char *key, bool one_page,
			     enum mlf_result (*fetch)(mlf_client *c, const void *ctx, const char *token, json_t **page),
			     const void *ctx, const char *first_token, json_t **root)
{
	*root = NULL;
	json_t *all = json_array();
	if (!all)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	char *token = NULL;
	enum mlf_result r = MLF_CLIENT_OK;
	for (unsigned pages = 0;; pages++) {
		json_t *page;
		r = fetch(c, ctx, token ? token : first_token, &page);
		free(token);
		token = NULL;
		if (r != MLF_CLIENT_OK)
			break;
		if (!list_ok(page, key)) {
			json_decref(page);
			r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "the server's '%s' is not a list", key);
			break;
		}
		if (!json_object_get(page, key) && json_object_set_new(page, key, json_array())) {
			json_decref(page);
			r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
			break;
		}
		if (one_page) {
			json_decref(all);
			*root = page;
			return MLF_CLIENT_OK;
		}
		const char *next = jstr(page, "next_page_token");
		bool more = *next != '\0';
		int bad = json_array_extend(all, json_object_get(page, key));
		token = more ? strdup(next) : NULL;
		json_decref(page); /* `next` pointed into it */
		if (bad || (more && !token)) {
			r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
			break;
		}
		if (!token)
			break;
		if (pages > 1000000) {
			r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "the server keeps sending next_page_token");
			break;
		}
	}
	free(token);
	if (r == MLF_CLIENT_OK) {
		*root = json_pack("{so}", key, all);
		if (!*root)
			r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	} else {
		json_decref(all);
	}
	return r;
}

/* ---------------------------------------------------------------- experiments */

static bool tag_list_add(json_t *list, const char *key, const char *value)
{
	return json_array_append_new(list, json_pack("{ssss}", "key", key, "value", value)) == 0;
}

enum mlf_result mlf_experiment_create(mlf_client *c, const char *name, const char *artifact_location,
				      const struct mlf_tag *tags, size_t n_tags, char id[32])
{
	if (!c || blank(name) || !id || (n_tags && !tags))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client, name and id are required");
	for (size_t i = 0; i < n_tags; i++)
		if (blank(tags[i].key) || !tags[i].value)
			return client_fail(MLF_CLIENT_ERR_INVALID, "experiment tag %zu has no key or value", i);
	const struct cfield f[] = { { "name", name }, { "artifact_location", artifact_location } };
	json_t *body = object_of(f, ARRAY_SIZE(f));
	json_t *list = n_tags ? json_array() : NULL;
	bool ok = body && (!n_tags || list);
	for (size_t i = 0; ok && i < n_tags; i++)
		ok = tag_list_add(list, tags[i].key, tags[i].value);
	if (ok && list) {
		ok = json_object_set_new(body, "tags", list) == 0;
		list = NULL;
	}
	json_decref(list);
	if (!ok) {
		json_decref(body);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	}
	json_t *reply;
	enum mlf_result r = client_json_call(c, "experiments/create", body, &reply);
	if (r != MLF_CLIENT_OK)
		return r;
	const char *got = jstr(reply, "experiment_id");
	if (!*got || strlen(got) >= 32)
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "experiments/create answered no usable experiment_id");
	else
		snprintf(id, 32, "%s", got);
	json_decref(reply);
	return r;
}

static enum mlf_result experiment_one(mlf_client *c, const char *endpoint, const char *param, const char *value,
				      struct mlf_experiments **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!c || blank(value))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and %s are required", param);
	json_t *reply;
	enum mlf_result r = get_json(c, endpoint, (const char *const[]){ param, value }, 1, &reply);
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *list;
	r = single(reply, "experiment", endpoint, &list);
	if (r != MLF_CLIENT_OK) {
		json_decref(reply);
		return r;
	}
	r = experiments_result(reply, list, out);
	json_decref(list);
	return r;
}

enum mlf_result mlf_experiment_get(mlf_client *c, const char *experiment_id, struct mlf_experiments **out)
{
	return experiment_one(c, "experiments/get", "experiment_id", experiment_id, out);
}

enum mlf_result mlf_experiment_get_by_name(mlf_client *c, const char *name, struct mlf_experiments **out)
{
	return experiment_one(c, "experiments/get-by-name", "experiment_name", name, out);
}

/* Looks `name` up; *found false when it does not exist. */
static enum mlf_result experiment_lookup(mlf_client *c, const char *name, char id[32], bool *found, bool *deleted)
{
	struct mlf_experiments *e = NULL;
	enum mlf_result r = mlf_experiment_get_by_name(c, name, &e);
	*found = r == MLF_CLIENT_OK;
	if (r == MLF_CLIENT_ERR_SERVER && strncmp(mlf_last_error(), "RESOURCE_DOES_NOT_EXIST", 23) == 0)
		r = MLF_CLIENT_OK;
	if (*found) {
		snprintf(id, 32, "%s", e->items[0].experiment_id);
		*deleted = strcmp(e->items[0].lifecycle_stage, "deleted") == 0;
	}
	mlf_experiments_free(e);
	return r;
}

enum mlf_result mlf_experiment_set(mlf_client *c, const char *name, char id[32])
{
	if (!c || blank(name))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and name are required");
	char got[32];
	bool found, deleted = false;
	enum mlf_result r = experiment_lookup(c, name, got, &found, &deleted);
	if (r == MLF_CLIENT_OK && !found) {
		r = mlf_experiment_create(c, name, NULL, NULL, 0, got);
		if (r == MLF_CLIENT_ERR_SERVER && strncmp(mlf_last_error(), "RESOURCE_ALREADY_EXISTS", 23) == 0)
			r = experiment_lookup(c, name, got, &found, &deleted); /* another client won the race */
	}
	if (r != MLF_CLIENT_OK)
		return r;
	if (deleted)
		return client_fail(MLF_CLIENT_ERR_INVALID,
				   "experiment '%s' (id %s) is deleted: restore it or pick another name", name, got);
	pthread_mutex_lock(&c->mu);
	snprintf(c->default_experiment, sizeof(c->default_experiment), "%s", got);
	pthread_mutex_unlock(&c->mu);
	if (id)
		snprintf(id, 32, "%s", got);
	return MLF_CLIENT_OK;
}

enum mlf_result client_default_experiment(mlf_client *c, char id[32])
{
	pthread_mutex_lock(&c->mu);
	snprintf(id, 32, "%s", c->default_experiment);
	pthread_mutex_unlock(&c->mu);
	if (*id)
		return MLF_CLIENT_OK;
	const char *env_id = getenv("MLFLOW_EXPERIMENT_ID");
	const char *env_name = getenv("MLFLOW_EXPERIMENT_NAME");
	if (!blank(env_id)) {
		if (strlen(env_id) >= 32)
			return client_fail(MLF_CLIENT_ERR_INVALID, "MLFLOW_EXPERIMENT_ID is too long");
		snprintf(id, 32, "%s", env_id);
		return MLF_CLIENT_OK;
	}
	if (!blank(env_name))
		return mlf_experiment_get_or_create(c, env_name, id);
	snprintf(id, 32, "0");
	return MLF_CLIENT_OK;
}

static enum mlf_result experiment_post(mlf_client *c, const char *path, const char *experiment_id,
				       const char *new_name)
{
	if (!c || blank(experiment_id) || (new_name && !*new_name))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and experiment_id are required");
	const struct cfield f[] = { { "experiment_id", experiment_id }, { "new_name", new_name } };
	return post_fields(c, path, f, ARRAY_SIZE(f));
}

enum mlf_result mlf_experiment_rename(mlf_client *c, const char *experiment_id, const char *new_name)
{
	if (blank(new_name))
		return client_fail(MLF_CLIENT_ERR_INVALID, "new_name is required");
	return experiment_post(c, "experiments/update", experiment_id, new_name);
}

enum mlf_result mlf_experiment_delete(mlf_client *c, const char *experiment_id)
{
	return experiment_post(c, "experiments/delete", experiment_id, NULL);
}

enum mlf_result mlf_experiment_restore(mlf_client *c, const char *experiment_id)
{
	return experiment_post(c, "experiments/restore", experiment_id, NULL);
}

static const char *const view_names[] = {
	[0] = "ACTIVE_ONLY",
	[MLF_VIEW_ACTIVE_ONLY] = "ACTIVE_ONLY",
	[MLF_VIEW_DELETED_ONLY] = "DELETED_ONLY",
	[MLF_VIEW_ALL] = "ALL",
};

struct exp_search {
	const char *filter;
	enum mlf_view_type view;
	unsigned max_results;
};

static enum mlf_result exp_search_page(mlf_client *c, const void *ctx, const char *token, json_t **page)
{
	const struct exp_search *q = ctx;
	json_t *body = json_pack("{sIss}", "max_results", (json_int_t)q->max_results, "view_type", view_names[q->view]);
	if (body && !blank(q->filter) && json_object_set_new(body, "filter", json_string(q->filter)))
		json_decref(body), body = NULL;
	if (body && !blank(token) && json_object_set_new(body, "page_token", json_string(token)))
		json_decref(body), body = NULL;
	if (!body)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	return client_json_call(c, "experiments/search", body, page);
}

enum mlf_result mlf_experiment_search(mlf_client *c, const char *filter, enum mlf_view_type view,
				      unsigned max_results, const char *page_token, struct mlf_experiments **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!c || (unsigned)view >= ARRAY_SIZE(view_names))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client is NULL or view %d unknown", (int)view);
	const struct exp_search q = { filter, view, max_results ? max_results : PAGE_SIZE_EXPERIMENTS };
	json_t *root;
	enum mlf_result r = paged(c, "experiments", max_results != 0, exp_search_page, &q, page_token, &root);
	if (r != MLF_CLIENT_OK)
		return r;
	return experiments_result(root, json_object_get(root, "experiments"), out);
}

/* ---------------------------------------------------------------- runs */

enum mlf_result mlf_run_get(mlf_client *c, const char *run_id, struct mlf_runs **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!c || blank(run_id))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and run_id are required");
	json_t *reply;
	enum mlf_result r = get_json(c, "runs/get", (const char *const[]){ "run_id", run_id }, 1, &reply);
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *list;
	r = single(reply, "run", "runs/get", &list);
	if (r != MLF_CLIENT_OK) {
		json_decref(reply);
		return r;
	}
	r = runs_result(reply, list, out);
	json_decref(list);
	return r;
}

static enum mlf_result run_post(mlf_client *c, const char *path, const char *run_id)
{
	if (!c || blank(run_id))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and run_id are required");
	const struct cfield f[] = { { "run_id", run_id } };
	return post_fields(c, path, f, ARRAY_SIZE(f));
}

enum mlf_result mlf_run_delete(mlf_client *c, const char *run_id)
{
	return run_post(c, "runs/delete", run_id);
}

enum mlf_result mlf_run_restore(mlf_client *c, const char *run_id)
{
	return run_post(c, "runs/restore", run_id);
}

static json_t *string_array(const char *const *s, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		if (json_array_append_new(a, json_string(s[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

struct run_search_ctx {
	const struct mlf_run_search *q;
	unsigned max_results;
};

static enum mlf_result run_search_page(mlf_client *c, const void *ctxv, const char *token, json_t **page)
{
	const struct run_search_ctx *ctx = ctxv;
	const struct mlf_run_search *q = ctx->q;
	json_t *body = json_pack("{sIssso}", "max_results", (json_int_t)ctx->max_results, "run_view_type",
				 view_names[q->view], "experiment_ids",
				 string_array(q->experiment_ids, q->n_experiment_ids));
	if (body && !blank(q->filter) && json_object_set_new(body, "filter", json_string(q->filter)))
		json_decref(body), body = NULL;
	if (body && q->n_order_by && json_object_set_new(body, "order_by", string_array(q->order_by, q->n_order_by)))
		json_decref(body), body = NULL;
	if (body && !blank(token) && json_object_set_new(body, "page_token", json_string(token)))
		json_decref(body), body = NULL;
	if (!body)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	return client_json_call(c, "runs/search", body, page);
}

enum mlf_result mlf_run_search(mlf_client *c, const struct mlf_run_search *q, struct mlf_runs **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!c || !q || !q->n_experiment_ids || !q->experiment_ids || (q->n_order_by && !q->order_by) ||
	    (unsigned)q->view >= ARRAY_SIZE(view_names))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client, query and at least one experiment id are required");
	for (size_t i = 0; i < q->n_experiment_ids; i++)
		if (blank(q->experiment_ids[i]))
			return client_fail(MLF_CLIENT_ERR_INVALID, "experiment id %zu is empty", i);
	for (size_t i = 0; i < q->n_order_by; i++)
		if (blank(q->order_by[i]))
			return client_fail(MLF_CLIENT_ERR_INVALID, "order_by %zu is empty", i);
	const struct run_search_ctx ctx = { q, q->max_results ? q->max_results : PAGE_SIZE_RUNS };
	json_t *root;
	enum mlf_result r = paged(c, "runs", q->max_results != 0, run_search_page, &ctx, q->page_token, &root);
	if (r != MLF_CLIENT_OK)
		return r;
	return runs_result(root, json_object_get(root, "runs"), out);
}

/* ---------------------------------------------------------------- metric history */

struct history_ctx {
	const char *run_id, *key;
};

static enum mlf_result history_page(mlf_client *c, const void *ctxv, const char *token, json_t **page)
{
	const struct history_ctx *h = ctxv;
	char max[16];
	snprintf(max, sizeof(max), "%d", PAGE_SIZE_HISTORY);
	const char *const kv[] = { "run_id", h->run_id, "metric_key", h->key, "max_results", max, "page_token",
				   blank(token) ? NULL : token };
	return get_json(c, "metrics/get-history", kv, ARRAY_SIZE(kv) / 2, page);
}

enum mlf_result mlf_metric_history(mlf_client *c, const char *run_id, const char *key, struct mlf_metrics **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!c || blank(run_id) || blank(key))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client, run_id and key are required");
	const struct history_ctx h = { run_id, key };
	json_t *root;
	enum mlf_result r = paged(c, "metrics", false, history_page, &h, NULL, &root);
	if (r != MLF_CLIENT_OK)
		return r;
	const json_t *list = json_object_get(root, "metrics");
	struct metric_result *x = calloc(1, sizeof(*x));
	if (x) {
		x->root = root;
		x->items = alloc_n(json_array_size(list), sizeof(*x->items));
		x->json = client_json_text(root);
	}
	if (!x || !x->items || !x->json) {
		if (x)
			mlf_metrics_free(&x->pub);
		else
			json_decref(root);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading metric history");
	}
	x->pub = (struct mlf_metrics){ x->items, read_metrics(list, x->items), x->json };
	*out = &x->pub;
	return MLF_CLIENT_OK;
}
