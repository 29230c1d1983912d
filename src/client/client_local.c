/*
 * client_local.c - the client library without a server: a sqlite:// tracking
 * URI (as MLflow's, e.g. "sqlite:///mlflow.db" relative, "sqlite:////abs.db")
 * opens the tracking store in the host process and answers every request of
 * the library through the server's own router (api_handle), so each call has
 * one implementation whatever the transport, and a database written here is
 * the one `mlflowc server --backend-store-uri` serves.
 *
 * This is the one file of src/client that depends on the server's layers
 * (api, store, http's request/response structs, and http.c's method table
 * and query decoding, so a local request is read exactly as a served one).
 * Unlike the rest of the library, those layers abort on allocation failure
 * (xalloc): local mode inherits that. A request is built as libmicrohttpd would build it (method,
 * raw and decoded path, decoded query parameters, JSON body, an arena for
 * its lifetime, no connection) and its response body, file or reader is
 * copied into the reply. 5xx answers (e.g. the database is locked by
 * another process past its busy timeout) are retried like HTTP ones.
 */
#include "client_int.h"
#include "../api/api.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../store/store.h"
#include <errno.h>
#include <limits.h>
#include <unistd.h>

struct clocal {
	struct store *store;
	char *artifact_root; /* absolute ./mlruns */
	struct app app;
};

bool clocal_uri(const char *uri)
{
	return strncmp(uri, "sqlite://", 9) == 0; /* as store_open spells it */
}

/* <cwd>/mlruns, as MLflow's default for a database backend. */
static char *default_artifact_root(void)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	size_t n = strlen(cwd) + sizeof("/mlruns");
	char *root = malloc(n);
	if (root)
		snprintf(root, n, "%s%s", strcmp(cwd, "/") == 0 ? "" : cwd, "/mlruns");
	return root;
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

/* The store's info lines (migrations, commit counts) are for a server's
 * operator, not a host program's stderr: warnings and errors only. */
static void quiet_store_logs(void)
{
	log_set_level(LOG_WARN);
}

enum mlf_result clocal_open(mlf_client *c, const char *uri)
{
	pthread_once(&quiet_once, quiet_store_logs);
	struct clocal *l = calloc(1, sizeof(*l));
	c->base = strdup(uri); /* for messages: nothing builds URLs from it here */
	if (!l || !c->base) {
		free(l);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	}
	c->local = l;
	c->transport = &client_transport_local;
	if (!(l->artifact_root = default_artifact_root()))
		return client_fail(MLF_CLIENT_ERR_INVALID, "cannot resolve ./mlruns: %s", strerror(errno));
	struct mlf_err err;
	if (!(l->store = store_open(uri, &(struct store_options){ .artifact_root = l->artifact_root }, &err)))
		return client_fail(MLF_CLIENT_ERR_TRANSPORT, "%s: %s", uri, err.msg);
	l->app = (struct app){
		.store = l->store,
		.default_artifact_root = l->artifact_root,
		.static_prefix = "",
	};
	return MLF_CLIENT_OK;
}

void clocal_close(mlf_client *c)
{
	struct clocal *l = c->local;
	if (!l)
		return;
	store_close(l->store);
	free(l->artifact_root);
	free(l);
	c->local = NULL;
}

/* ---------------------------------------------------------------- requests */

/* The methods the library sends; http.c's table names them. */
enum { CLOCAL_METHODS = HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE };

/* Splits "k=v&k2=v2" into parameters decoded as http.c decodes a server's
 * (repeats kept in order, a key holding %00 dropped). */
static void parse_query(struct http_request *req, const char *q)
{
	struct http_param *params = NULL;
	size_t n = 0, cap = 0;
	while (*q) {
		size_t len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);
		size_t klen = eq ? (size_t)(eq - q) : len;
		if (len)
			http_query_add(req->arena, &params, &n, &cap, arena_strndup(req->arena, q, klen),
				       eq ? arena_strndup(req->arena, eq + 1, len - klen - 1) : NULL);
		q += len + (q[len] == '&');
	}
	req->query = params;
	req->n_query = n;
	req->has_query = n > 0;
}

/* Fills a request for `method` `/api/2.0/mlflow/<path>` with `body`. */
static enum mlf_result build_request(struct http_request *req, const char *method, const char *path,
				     const struct buf *body)
{
	if (!method)
		method = body ? "POST" : "GET";
	req->method = http_method_of(method);
	req->method_name = method;
	if (!(req->method & CLOCAL_METHODS))
		return client_fail(MLF_CLIENT_ERR_INVALID, "unsupported method '%s'", method);
	const char *q = strchr(path, '?');
	size_t plen = q ? (size_t)(q - path) : strlen(path);
	char *raw = arena_printf(req->arena, "/api/2.0/mlflow/%.*s", (int)plen, path);
	req->raw_path = raw;
	req->path = http_decode(req->arena, raw, false, NULL);
	parse_query(req, q ? q + 1 : "");
	req->content_type = body ? "application/json" : NULL;
	req->body = body && body->len ? body->ptr : "";
	req->body_len = body ? body->len : 0;
	req->conn = NULL;
	return MLF_CLIENT_OK;
}

/* Moves what the handler answered into out->body (a file or a reader is read
 * whole: local answers are JSON, these paths exist for completeness). */
static enum mlf_result take_response(struct http_response *resp, struct creply *out)
{
	enum mlf_result r = MLF_CLIENT_OK;
	buf_reset(&out->body);
	if (resp->fd >= 0 || resp->reader) {
		char chunk[65536];
		uint64_t pos = 0;
		for (;;) {
			ssize_t got = resp->reader ? resp->reader(resp->reader_ctx, pos, chunk, sizeof(chunk))
						   : pread(resp->fd, chunk, sizeof(chunk), (off_t)(resp->fd_offset + pos));
			if (got < 0 && errno == EINTR)
				continue;
			if (!resp->reader && got > 0 && pos + (uint64_t)got > resp->fd_size)
				got = (ssize_t)(resp->fd_size - pos);
			if (got <= 0)
				break;
			buf_add(&out->body, chunk, (size_t)got);
			if (buf_failed(&out->body)) {
				r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading the reply");
				break;
			}
			pos += (uint64_t)got;
		}
		if (resp->fd >= 0)
			close(resp->fd);
		if (resp->reader && resp->reader_free)
			resp->reader_free(resp->reader_ctx);
	} else { /* the same malloc'ed struct buf: hand it over */
		buf_release(&out->body);
		out->body = resp->body;
		buf_sticky(&out->body, 0); /* as every buffer of the client */
		resp->body = (struct buf)BUF_INIT;
	}
	buf_release(&resp->body);
	return r;
}

/* One request through the router, no retries. */
static enum mlf_result local_once(struct clocal *l, const char *method, const char *path, const struct buf *body,
				  struct creply *out)
{
	struct arena a = ARENA_INIT;
	struct http_request req = { .arena = &a };
	struct http_response resp = { .status = 200, .body = BUF_INIT, .fd = -1 };
	enum mlf_result r = build_request(&req, method, path, body);
	if (r == MLF_CLIENT_OK) {
		api_handle(&l->app, &req, &resp);
		out->status = resp.status;
		r = take_response(&resp, out);
	}
	arena_release(&a);
	return r;
}

static enum mlf_result local_call(mlf_client *c, struct chttp *h, const char *method, const char *path,
				  const struct buf *body, struct creply *out)
{
	(void)h;
	out->status = 0;
	out->code[0] = '\0';
	enum mlf_result r;
	for (unsigned attempt = 0;; attempt++) {
		r = local_once(c->local, method, path, body, out);
		if (r != MLF_CLIENT_OK || (out->status != 429 && out->status < 500) ||
		    attempt + 1 >= c->opt.max_attempts)
			break;
		chttp_retry_pause(c, attempt, 0);
	}
	if (r == MLF_CLIENT_OK && (out->status < 200 || out->status > 299))
		r = chttp_reply_error(path, out);
	return r;
}

const struct client_transport client_transport_local = { "local", local_call };
