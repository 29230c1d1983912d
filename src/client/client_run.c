/*
 * client_run.c - runs in the client library: start (runs/create with the
 * caller's tags and the reproducibility tags of client_repro.c), attach to
 * an existing run, the synchronous param/tag/batch calls (log-batch split
 * at MLflow's limits), and end or detach (flush, then runs/update or not).
 *
 * A run handle is owned by its client: it sits in the client's list so that
 * mlf_client_close can free handles the host never ended. Its id string is
 * interned in the client, so queued points can point at it even after the
 * handle is gone.
 */
#include "client_int.h"
#include "client_repro.h"
#include "../base/util.h"
#include "../json/jw.h"
#include <jansson.h>

/* The runs/create body: experiment, name, start time, user_id and the
 * tags: the caller's, then parent/description, then the context tags the
 * caller did not give. NULL on OOM. */
static json_t *create_body(const char *experiment_id, const struct mlf_run_options *o, const struct repro_tags *ctx)
{
	json_t *tags = json_array();
	json_t *body = json_pack("{sssIso}", "experiment_id", experiment_id, "start_time",
				 (json_int_t)(o->start_time ? o->start_time : util_now_ms()), "tags", tags);
	if (!body)
		return NULL; /* json_pack released `tags` */
	bool ok = true;
	if (o->run_name)
		ok = json_object_set_new(body, "run_name", json_string(o->run_name)) == 0;
	for (size_t i = 0; ok && i < o->n_tags; i++)
		ok = !json_array_append_new(tags, json_pack("{ssss}", "key", o->tags[i].key, "value", o->tags[i].value));
	const struct mlf_tag extra[] = { { "mlflow.parentRunId", o->parent_run_id },
					 { "mlflow.note.content", o->description } };
	size_t n_given = o->n_tags;
	for (size_t i = 0; ok && i < ARRAY_SIZE(extra) + ctx->n; i++) {
		const char *key = i < ARRAY_SIZE(extra) ? extra[i].key : ctx->key[i - ARRAY_SIZE(extra)];
		const char *value = i < ARRAY_SIZE(extra) ? extra[i].value : ctx->value[i - ARRAY_SIZE(extra)];
		bool given = !value;
		for (size_t k = 0; !given && k < n_given; k++)
			given = strcmp(o->tags[k].key, key) == 0;
		if (!given)
			ok = !json_array_append_new(tags, json_pack("{ssss}", "key", key, "value", value));
	}
	/* user_id (deprecated, still stored) is the mlflow.user tag, whoever set it */
	size_t i;
	json_t *tag;
	json_array_foreach(tags, i, tag) {
		if (ok && strcmp(json_string_value(json_object_get(tag, "key")), "mlflow.user") == 0)
			ok = json_object_set(body, "user_id", json_object_get(tag, "value")) == 0;
	}
	if (!ok) {
		json_decref(body);
		return NULL;
	}
	return body;
}

static enum mlf_result run_create(mlf_client *c, const char *experiment_id, const struct mlf_run_options *o,
				  char id[64])
{
	struct repro_tags ctx = { 0 };
	bool ok = o->no_context_tags || repro_tags_collect(&ctx);
	json_t *body = ok ? create_body(experiment_id, o, &ctx) : NULL;
	repro_tags_release(&ctx);
	if (!body)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory writing runs/create");
	json_t *reply;
	enum mlf_result r = client_json_call(c, "runs/create", body, &reply);
	if (r != MLF_CLIENT_OK)
		return r;
	const char *got = json_string_value(json_object_get(json_object_get(json_object_get(reply, "run"), "info"),
							    "run_id"));
	if (!got || !*got || strlen(got) >= 64)
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "runs/create answered no usable run.info.run_id");
	else
		snprintf(id, 64, "%s", got);
	json_decref(reply);
	return r;
}

/* Makes a handle for run `id` in the client's list. */
static enum mlf_result run_handle(mlf_client *c, const char *id, mlf_run **out)
{
	mlf_run *run = calloc(1, sizeof(*run));
	pthread_mutex_lock(&c->mu);
	if (run)
		run->id = intern_get(&c->names, id);
	if (run && run->id) {
		run->client = c;
		run->next = c->runs;
		c->runs = run;
		*out = run;
	}
	pthread_mutex_unlock(&c->mu);
	if (*out)
		return MLF_CLIENT_OK;
	free(run);
	return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory for the handle of run '%s'", id);
}

static bool tags_valid(const struct mlf_tag *tags, size_t n)
{
	if (n && !tags)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!tags[i].key || !*tags[i].key || !tags[i].value)
			return false;
	return true;
}

enum mlf_result mlf_run_start_opts(mlf_client *c, const struct mlf_run_options *opts, mlf_run **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	const struct mlf_run_options none = { 0 };
	const struct mlf_run_options *o = opts ? opts : &none;
	if (!c || (o->experiment_id && !*o->experiment_id))
		return client_fail(MLF_CLIENT_ERR_INVALID, "client is NULL or experiment_id empty");
	if (!tags_valid(o->tags, o->n_tags))
		return client_fail(MLF_CLIENT_ERR_INVALID, "every run tag needs a key and a value");
	char exp[32];
	enum mlf_result r = MLF_CLIENT_OK;
	if (o->experiment_id) {
		if (strlen(o->experiment_id) >= sizeof(exp))
			return client_fail(MLF_CLIENT_ERR_INVALID, "experiment_id '%s' is too long", o->experiment_id);
		snprintf(exp, sizeof(exp), "%s", o->experiment_id);
	} else {
		r = client_default_experiment(c, exp);
	}
	char id[64];
	if (r == MLF_CLIENT_OK)
		r = run_create(c, exp, o, id);
	if (r == MLF_CLIENT_OK)
		r = run_handle(c, id, out);
	return r;
}

enum mlf_result mlf_run_start(mlf_client *c, const char *experiment_id, const char *run_name, mlf_run **out)
{
	const struct mlf_run_options o = { .experiment_id = experiment_id, .run_name = run_name };
	return mlf_run_start_opts(c, &o, out);
}

enum mlf_result mlf_run_open(mlf_client *c, const char *run_id, mlf_run **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	struct mlf_runs *got;
	enum mlf_result r = mlf_run_get(c, run_id, &got);
	if (r != MLF_CLIENT_OK)
		return r;
	if (strcmp(got->items[0].lifecycle_stage, "deleted") == 0)
		r = client_fail(MLF_CLIENT_ERR_INVALID, "run '%s' is deleted: restore it first", run_id);
	else
		r = run_handle(c, got->items[0].run_id, out);
	mlf_runs_free(got);
	return r;
}

const char *mlf_run_id(const mlf_run *run)
{
	return run ? run->id : NULL;
}

static enum mlf_result run_kv(mlf_run *run, const char *path, const char *key, const char *value)
{
	if (!run || !key || !*key || !value)
		return client_fail(MLF_CLIENT_ERR_INVALID, "run, key and value are required");
	const struct cfield f[] = { { "run_id", run->id }, { "key", key }, { "value", value } };
	return client_post_fields(run->client, path, f, ARRAY_SIZE(f), NULL, 0);
}

enum mlf_result mlf_log_param(mlf_run *run, const char *key, const char *value)
{
	return run_kv(run, "runs/log-parameter", key, value);
}

enum mlf_result mlf_set_tag(mlf_run *run, const char *key, const char *value)
{
	return run_kv(run, "runs/set-tag", key, value);
}

static const char *const status_names[] = {
	[MLF_RUN_FINISHED] = "FINISHED",
	[MLF_RUN_FAILED] = "FAILED",
	[MLF_RUN_KILLED] = "KILLED",
};

static void run_unlink(mlf_run *run)
{
	mlf_client *c = run->client;
	pthread_mutex_lock(&c->mu);
	for (mlf_run **p = &c->runs; *p; p = &(*p)->next) {
		if (*p == run) {
			*p = run->next;
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	free(run);
}

enum mlf_result mlf_run_end(mlf_run *run, enum mlf_run_status status)
{
	if (!run)
		return client_fail(MLF_CLIENT_ERR_INVALID, "run is NULL");
	if ((unsigned)status >= ARRAY_SIZE(status_names)) {
		run_unlink(run);
		return client_fail(MLF_CLIENT_ERR_INVALID, "unknown run status %d", (int)status);
	}
	enum mlf_result flushed = mlf_flush(run->client);
	char err[512];
	snprintf(err, sizeof(err), "%s", mlf_last_error());
	const struct cfield f[] = { { "run_id", run->id }, { "status", status_names[status] } };
	enum mlf_result r = client_post_fields(run->client, "runs/update", f, ARRAY_SIZE(f), "end_time", util_now_ms());
	run_unlink(run);
	if (flushed != MLF_CLIENT_OK)
		return client_fail(flushed, "%s", err);
	return r;
}

enum mlf_result mlf_run_detach(mlf_run *run)
{
	if (!run)
		return client_fail(MLF_CLIENT_ERR_INVALID, "run is NULL");
	enum mlf_result r = mlf_flush(run->client);
	run_unlink(run);
	return r;
}

/* ---------------------------------------------------------------- log-batch */

/* MLflow's limits per runs/log-batch request (spec §5.2). */
#define BATCH_PARAMS_MAX 100
#define BATCH_TAGS_MAX 100
#define BATCH_ITEMS_MAX 1000

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void write_kv_list(struct jw *w, const char *name, const struct mlf_tag *kv, size_t n)
{
	jw_key(w, name);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kv_str(w, "key", kv[i].key);
		jw_kv_str(w, "value", kv[i].value);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* One request's body, written into a sticky buffer and checked once. */
static enum mlf_result batch_body(struct buf *b, const char *run_id, const struct mlf_metric *m, size_t nm,
				  const struct mlf_tag *p, size_t np, const struct mlf_tag *t, size_t nt)
{
	int64_t now = util_now_ms();
	struct jw w;
	jw_init(&w, b);
	jw_obj_begin(&w);
	jw_kv_str(&w, "run_id", run_id);
	jw_key(&w, "metrics");
	jw_arr_begin(&w);
	for (size_t i = 0; i < nm; i++) {
		jw_obj_begin(&w);
		jw_kv_str(&w, "key", m[i].key);
		jw_kv_double(&w, "value", m[i].value);
		jw_kv_int(&w, "timestamp", m[i].timestamp ? m[i].timestamp : now);
		jw_kv_int(&w, "step", m[i].step);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	write_kv_list(&w, "params", p, np);
	write_kv_list(&w, "tags", t, nt);
	jw_obj_end(&w);
	if (jw_failed(&w))
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory writing runs/log-batch");
	return MLF_CLIENT_OK;
}

enum mlf_result mlf_log_batch(mlf_run *run, const struct mlf_metric *metrics, size_t n_metrics,
			      const struct mlf_tag *params, size_t n_params, const struct mlf_tag *tags, size_t n_tags)
{
	if (!run || (n_metrics && !metrics) || !tags_valid(params, n_params) || !tags_valid(tags, n_tags))
		return client_fail(MLF_CLIENT_ERR_INVALID, "run is NULL or a param/tag has no key or value");
	for (size_t i = 0; i < n_metrics; i++)
		if (!metrics[i].key || !*metrics[i].key)
			return client_fail(MLF_CLIENT_ERR_INVALID, "metric %zu has no key", i);
	size_t m = 0, p = 0, t = 0;
	enum mlf_result r = MLF_CLIENT_OK;
	while (r == MLF_CLIENT_OK && (m < n_metrics || p < n_params || t < n_tags)) {
		size_t np = min_size(BATCH_PARAMS_MAX, n_params - p);
		size_t nt = min_size(BATCH_TAGS_MAX, n_tags - t);
		size_t nm = min_size(BATCH_ITEMS_MAX - np - nt, n_metrics - m);
		struct buf body = BUF_INIT_STICKY;
		struct creply rep = { .body = BUF_INIT_STICKY };
		r = batch_body(&body, run->id, metrics + m, nm, params + p, np, tags + t, nt);
		if (r == MLF_CLIENT_OK)
			r = client_sync_call(run->client, "runs/log-batch", &body, &rep);
		buf_release(&body);
		buf_release(&rep.body);
		m += nm;
		p += np;
		t += nt;
	}
	return r;
}
