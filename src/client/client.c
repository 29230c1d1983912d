/*
 * client.c - the public face of libmlflowc (include/mlflowc.h): opening and
 * closing a client (and flushing the open ones at exit), errors,
 * experiments, runs, params, tags, flush and counters. Metrics go through
 * client_queue.c; requests through client_http.c; the tracking calls are
 * in client_tracking.c and client_run.c.
 *
 * Synchronous calls share one curl handle under sync_mu, so a multi-threaded
 * host serialises its params and tags but never waits behind metric
 * traffic, which has the sender thread's own connection.
 */
#include "client_int.h"
#include "../base/util.h"
#include "../json/jw.h"
#include "../base/lazylink.h"
#include <jansson.h>
#include <stdarg.h>
#include <unistd.h>

/* ---------------------------------------------------------------- errors */

static _Thread_local char last_error[512];

enum mlf_result client_fail(enum mlf_result r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return r;
}

const char *mlf_last_error(void)
{
	return last_error;
}

static const char *const result_names[] = {
	[MLF_CLIENT_OK] = "MLF_CLIENT_OK",
	[MLF_CLIENT_ERR_SERVER] = "MLF_CLIENT_ERR_SERVER",
	[MLF_CLIENT_ERR_NOMEM] = "MLF_CLIENT_ERR_NOMEM",
	[MLF_CLIENT_ERR_TRANSPORT] = "MLF_CLIENT_ERR_TRANSPORT",
	[MLF_CLIENT_ERR_PROTOCOL] = "MLF_CLIENT_ERR_PROTOCOL",
	[MLF_CLIENT_ERR_QUEUE_FULL] = "MLF_CLIENT_ERR_QUEUE_FULL",
	[MLF_CLIENT_ERR_INVALID] = "MLF_CLIENT_ERR_INVALID",
	[MLF_CLIENT_ERR_CLOSED] = "MLF_CLIENT_ERR_CLOSED",
};

const char *mlf_result_name(enum mlf_result r)
{
	if ((unsigned)r >= ARRAY_SIZE(result_names) || !result_names[r])
		return "MLF_CLIENT_ERR_UNKNOWN";
	return result_names[r];
}

/* ---------------------------------------------------------------- open/close */

static void fill_defaults(struct mlf_client_options *o)
{
	if (!o->queue_capacity)
		o->queue_capacity = 65536;
	if (!o->max_attempts)
		o->max_attempts = 5;
	if (!o->retry_base_ms)
		o->retry_base_ms = 200;
	if (!o->retry_max_ms)
		o->retry_max_ms = 10000;
	if (!o->timeout_ms)
		o->timeout_ms = 30000;
}

static enum mlf_result set_base(mlf_client *c, const char *uri)
{
	if (!uri || !*uri)
		return client_fail(MLF_CLIENT_ERR_INVALID, "no tracking URI (argument NULL and MLFLOW_TRACKING_URI unset)");
	if (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0)
		return client_fail(MLF_CLIENT_ERR_INVALID,
				   "unsupported tracking URI '%s' (http://, https:// or sqlite:// only)", uri);
	size_t n = strlen(uri);
	while (n && uri[n - 1] == '/')
		n--;
	c->base = malloc(n + 1);
	if (!c->base)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	memcpy(c->base, uri, n);
	c->base[n] = '\0';
	return MLF_CLIENT_OK;
}

static enum mlf_result client_setup(mlf_client *c, const char *uri, const struct mlf_client_options *opts)
{
	if (opts)
		c->opt = *opts;
	fill_defaults(&c->opt);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->sync_mu, NULL);
	pthread_cond_init(&c->not_empty, NULL);
	pthread_cond_init(&c->not_full, NULL);
	pthread_cond_init(&c->drained, NULL);
	if (!uri)
		uri = getenv("MLFLOW_TRACKING_URI");
	c->transport = &client_transport_http;
	enum mlf_result r = uri && clocal_uri(uri) ? clocal_open(c, uri) : set_base(c, uri);
	if (r == MLF_CLIENT_OK)
		r = chttp_init(&c->sync);
	if (r == MLF_CLIENT_OK)
		r = queue_init(c);
	if (r == MLF_CLIENT_OK)
		r = queue_start(c);
	return r;
}

static void client_free(mlf_client *c)
{
	queue_stop(c);
	chttp_release(&c->sync);
	clocal_close(c);
	while (c->runs) {
		struct mlf_run *next = c->runs->next;
		free(c->runs);
		c->runs = next;
	}
	intern_release(&c->names);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->sync_mu);
	pthread_cond_destroy(&c->not_empty);
	pthread_cond_destroy(&c->not_full);
	pthread_cond_destroy(&c->drained);
	free(c->base);
	free(c);
}

/* ---------------------------------------------------------------- exit flush
 * Every open client is on one process-wide list; an atexit handler,
 * registered once, flushes each so that points accepted before exit() are
 * sent. The handler holds open_mu while it flushes, so a concurrent
 * mlf_client_close (which takes the client off the list first) cannot free
 * a client under it. A forked child skips its parent's clients: their
 * sender thread does not exist in the child. */

static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static mlf_client *open_clients;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void flush_at_exit(void)
{
	pthread_mutex_lock(&open_mu);
	for (mlf_client *c = open_clients; c; c = c->next_open)
		if (c->owner_pid == getpid())
			mlf_flush(c);
	pthread_mutex_unlock(&open_mu);
}

/* fork() while another thread holds open_mu would leave it locked forever
 * in the child (whose exit then flushes nothing but still takes it). */
static void fork_prepare(void)
{
	pthread_mutex_lock(&open_mu);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&open_mu);
}

static void register_exit_flush(void)
{
	/* on failure there is only no flush at exit / no fork protection */
	atexit(flush_at_exit);
	pthread_atfork(fork_prepare, fork_release, fork_release);
}

static void open_list_add(mlf_client *c)
{
	pthread_once(&exit_once, register_exit_flush);
	c->owner_pid = getpid();
	pthread_mutex_lock(&open_mu);
	c->next_open = open_clients;
	open_clients = c;
	pthread_mutex_unlock(&open_mu);
}

static void open_list_remove(mlf_client *c)
{
	pthread_mutex_lock(&open_mu);
	for (mlf_client **p = &open_clients; *p; p = &(*p)->next_open) {
		if (*p == c) {
			*p = c->next_open;
			break;
		}
	}
	pthread_mutex_unlock(&open_mu);
}

enum mlf_result mlf_client_open(const char *tracking_uri, const struct mlf_client_options *opts, mlf_client **out,
				char *errbuf, size_t errlen)
{
	enum mlf_result r;
	mlf_client *c = out ? calloc(1, sizeof(*c)) : NULL;
	if (!out)
		r = client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	else if (!c)
		r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	else
		r = client_setup(c, tracking_uri, opts);
	if (r != MLF_CLIENT_OK && c) {
		client_free(c);
		c = NULL;
	}
	if (c)
		open_list_add(c);
	if (out)
		*out = c;
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", r == MLF_CLIENT_OK ? "" : last_error);
	return r;
}

enum mlf_result mlf_client_close(mlf_client *client)
{
	if (!client)
		return MLF_CLIENT_OK;
	open_list_remove(client);
	enum mlf_result r = mlf_flush(client);
	client_free(client);
	return r;
}

enum mlf_result mlf_flush(mlf_client *c)
{
	if (!c)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client is NULL");
	pthread_mutex_lock(&c->mu);
	uint64_t target = c->enqueued;
	while (c->done < target) {
		c->flushers_waiting++;
		pthread_cond_wait(&c->drained, &c->mu);
		c->flushers_waiting--;
	}
	enum mlf_result r = c->async_result;
	if (r != MLF_CLIENT_OK)
		client_fail(r, "%s", c->async_err);
	c->async_result = MLF_CLIENT_OK;
	pthread_mutex_unlock(&c->mu);
	return r;
}

enum mlf_result mlf_client_stats(mlf_client *c, struct mlf_client_stats *out)
{
	if (!c || !out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client or out is NULL");
	pthread_mutex_lock(&c->mu);
	*out = c->st;
	out->queued = c->enqueued - c->done;
	pthread_mutex_unlock(&c->mu);
	return MLF_CLIENT_OK;
}

/* ---------------------------------------------------------------- requests */

enum mlf_result client_small_body(struct buf *b, const struct cfield *f, size_t n, const char *int_key,
				  int64_t int_val)
{
	struct jw w;
	jw_init(&w, b);
	jw_obj_begin(&w);
	for (size_t i = 0; i < n; i++)
		if (f[i].str)
			jw_kv_str(&w, f[i].key, f[i].str);
	if (int_key)
		jw_kv_int(&w, int_key, int_val);
	jw_obj_end(&w);
	if (jw_failed(&w))
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory writing a request");
	return MLF_CLIENT_OK;
}

/* One synchronous request through the client's transport (HTTP or the
 * local store); `rep` must be released by the caller. */
enum mlf_result client_sync_request(mlf_client *c, const char *method, const char *path, const struct buf *body,
				    struct creply *rep)
{
	pthread_mutex_lock(&c->sync_mu);
	enum mlf_result r = c->transport->call(c, &c->sync, method, path, body, rep);
	pthread_mutex_unlock(&c->sync_mu);
	return r;
}

enum mlf_result client_sync_call(mlf_client *c, const char *path, const struct buf *body, struct creply *rep)
{
	return client_sync_request(c, NULL, path, body, rep);
}

/* POSTs the fields and releases everything; for calls whose answer is {}. */
enum mlf_result client_post_fields(mlf_client *c, const char *path, const struct cfield *f, size_t n,
				   const char *int_key, int64_t int_val)
{
	struct buf body = BUF_INIT_STICKY;
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = client_small_body(&body, f, n, int_key, int_val);
	if (r == MLF_CLIENT_OK)
		r = client_sync_call(c, path, &body, &rep);
	buf_release(&body);
	buf_release(&rep.body);
	return r;
}

/* Copies the string at reply.<path[0]>.<path[1]>... (NULL-terminated) into out[size]. */
enum mlf_result client_reply_string(const struct creply *rep, const char *const *path, char *out, size_t size)
{
	json_t *j;
	enum mlf_result r = cjson_load(&rep->body, "the server's answer", &j);
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *v = j;
	for (const char *const *k = path; *k && v; k++)
		v = json_object_get(v, *k);
	const char *s = json_string_value(v);
	if (!s || strlen(s) >= size)
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "the server's answer has no usable '%s'", path[0]);
	else
		memcpy(out, s, strlen(s) + 1);
	json_decref(j);
	return r;
}

/* ---------------------------------------------------------------- experiments */

static enum mlf_result experiment_get(mlf_client *c, const char *name, char id[32], struct creply *rep)
{
	char *esc = curl_easy_escape(NULL, name, 0);
	struct buf path = BUF_INIT_STICKY;
	enum mlf_result r = MLF_CLIENT_OK;
	if (esc) {
		buf_adds(&path, "experiments/get-by-name?experiment_name=");
		buf_adds(&path, esc);
	}
	if (!esc || buf_failed(&path))
		r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	else
		r = client_sync_call(c, path.ptr, NULL, rep);
	if (r == MLF_CLIENT_OK)
		r = client_reply_string(rep, (const char *const[]){ "experiment", "experiment_id", NULL }, id, 32);
	curl_free(esc);
	buf_release(&path);
	return r;
}

static enum mlf_result experiment_create(mlf_client *c, const char *name, char id[32], struct creply *rep)
{
	const struct cfield f[] = { { "name", name } };
	struct buf body = BUF_INIT_STICKY;
	enum mlf_result r = client_small_body(&body, f, ARRAY_SIZE(f), NULL, 0);
	if (r == MLF_CLIENT_OK)
		r = client_sync_call(c, "experiments/create", &body, rep);
	if (r == MLF_CLIENT_OK)
		r = client_reply_string(rep, (const char *const[]){ "experiment_id", NULL }, id, 32);
	buf_release(&body);
	return r;
}

bool client_server_said(enum mlf_result r, const struct creply *rep, const char *code)
{
	return r == MLF_CLIENT_ERR_SERVER && strcmp(rep->code, code) == 0;
}

enum mlf_result mlf_experiment_get_or_create(mlf_client *c, const char *name, char id[32])
{
	if (!c || !name || !*name || !id)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client, name and id are required");
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = experiment_get(c, name, id, &rep);
	if (client_server_said(r, &rep, "RESOURCE_DOES_NOT_EXIST")) {
		r = experiment_create(c, name, id, &rep);
		if (client_server_said(r, &rep, "RESOURCE_ALREADY_EXISTS")) /* another client won the race */
			r = experiment_get(c, name, id, &rep);
	}
	buf_release(&rep.body);
	return r;
}
