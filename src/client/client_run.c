/*
 * client_run.c - runs in the client library: start (runs/create), the
 * synchronous param and tag calls, and end (flush, then runs/update).
 *
 * A run handle is owned by its client: it sits in the client's list so that
 * mlf_client_close can free handles the host never ended. Its id string is
 * interned in the client, so queued points can point at it even after the
 * handle is gone.
 */
#include "client_int.h"
#include "../base/util.h"

static enum mlf_result run_create(mlf_client *c, const char *experiment_id, const char *run_name, char id[64])
{
	const struct cfield f[] = { { "experiment_id", experiment_id }, { "run_name", run_name } };
	struct buf body = BUF_INIT;
	struct creply rep = { .body = BUF_INIT };
	enum mlf_result r = client_small_body(&body, f, ARRAY_SIZE(f), "start_time", util_now_ms());
	if (r == MLF_CLIENT_OK)
		r = client_sync_call(c, "runs/create", &body, &rep);
	if (r == MLF_CLIENT_OK)
		r = client_reply_string(&rep, (const char *const[]){ "run", "info", "run_id", NULL }, id, 64);
	buf_release(&body);
	buf_release(&rep.body);
	return r;
}

enum mlf_result mlf_run_start(mlf_client *c, const char *experiment_id, const char *run_name, mlf_run **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!c || !experiment_id || !*experiment_id)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and experiment_id are required");
	char id[64];
	enum mlf_result r = run_create(c, experiment_id, run_name, id);
	if (r != MLF_CLIENT_OK)
		return r;
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
	return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory for run '%s' (created on the server)", id);
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
