/*
 * http.c - libmicrohttpd glue; see http.h.
 *
 * MHD calls the access handler several times per request: first with no
 * body (we only allocate our context, and answering later keeps HTTP
 * keep-alive working), then once per body chunk, then a last time with no
 * data, when we dispatch. Percent-decoding is ours: MHD is given a no-op
 * unescape callback so the raw path reaches the router (artifact paths
 * must be checked before decoding).
 */
#include "http.h"
#include "http_conns.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <arpa/inet.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct http_server {
	struct MHD_Daemon *daemon;
	http_handler_fn fn;
	http_stream_fn stream;
	void *app;
	size_t max_body;
	unsigned port;
	atomic_int in_flight;
	struct http_conns *conns;
};

struct http_response_reader {
	ssize_t (*read)(void *ctx, uint64_t pos, char *buf, size_t max);
	void (*free)(void *ctx);
	void *ctx;
};

struct req_ctx {
	struct arena arena;
	struct buf body;
	bool too_large;
	bool dispatched;             /* the handler ran (it owns the sink's end) */
	struct http_body_sink sink;  /* sink.write != NULL: the body streams there */
	int sink_error;
	struct http_param *query;
	size_t n_query, cap_query;
};

static const struct {
	const char *name;
	enum http_method method;
} method_table[] = {
	{ "GET", HTTP_GET },       { "POST", HTTP_POST },     { "PUT", HTTP_PUT },
	{ "PATCH", HTTP_PATCH },   { "DELETE", HTTP_DELETE }, { "HEAD", HTTP_HEAD },
	{ "OPTIONS", HTTP_OPTIONS },
};

enum http_method http_method_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(method_table); i++)
		if (strcmp(method_table[i].name, name) == 0)
			return method_table[i].method;
	return HTTP_OTHER;
}

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

char *http_decode(struct arena *a, const char *s, bool plus_space, size_t *len)
{
	return util_url_decode_dup(a, s, strlen(s), plus_space, len);
}

void http_query_add(struct arena *a, struct http_param **params, size_t *n, size_t *cap, const char *key,
		    const char *value)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		*params = arena_grow_array(a, *params, *n, ncap, sizeof(**params));
		*cap = ncap;
	}
	size_t key_len;
	struct http_param *p = &(*params)[*n];
	p->key = http_decode(a, key, true, &key_len);
	p->value = http_decode(a, value ? value : "", true, &p->value_len);
	if (key_len == strlen(p->key)) /* a key with %00 names no parameter: dropped */
		(*n)++;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct req_ctx *ctx = cls;
	(void)kind;
	http_query_add(&ctx->arena, &ctx->query, &ctx->n_query, &ctx->cap_query, key, value);
	return MHD_YES;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	if (!req->conn) /* a request built in-process (the client library's local mode) */
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_cookie(const struct http_request *req, const char *name)
{
	if (!req->conn)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *http_request_peer(const struct http_request *req, char *buf, size_t n)
{
	buf[0] = 0;
	if (!req->conn)
		return buf;
	const union MHD_ConnectionInfo *ad = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ad || !ad->client_addr)
		return buf;
	socklen_t len = ad->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ad->client_addr, len, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
		buf[0] = 0;
	return buf;
}

const char *http_request_user(const struct http_request *req)
{
	const char *user = http_request_header(req, HTTP_USER_HEADER);
	return user && *user ? user : NULL;
}

void http_response_header(struct http_response *resp, const char *name, const char *value)
{
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS; i++)
		if (!resp->header_names[i]) {
			resp->header_names[i] = name;
			resp->header_values[i] = value;
			return;
		}
}

static ssize_t reader_adapter(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_response_reader *r = cls;
	ssize_t n = r->read(r->ctx, pos, buf, max);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void reader_release(void *cls)
{
	struct http_response_reader *r = cls;
	if (r->free)
		r->free(r->ctx);
	free(r);
}

static struct MHD_Response *make_response(struct http_response *resp)
{
	if (resp->reader) {
		struct http_response_reader *r = xmalloc(sizeof(*r));
		*r = (struct http_response_reader){ resp->reader, resp->reader_free, resp->reader_ctx };
		uint64_t size = resp->reader_size == UINT64_MAX ? MHD_SIZE_UNKNOWN : resp->reader_size;
		struct MHD_Response *mr = MHD_create_response_from_callback(size, 64 * 1024, reader_adapter, r,
									   reader_release);
		if (!mr)
			reader_release(r);
		return mr;
	}
	if (resp->fd >= 0) {
		struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(resp->fd_size, resp->fd, resp->fd_offset);
		if (!r)
			close(resp->fd);
		return r;
	}
	size_t len;
	char *body = buf_detach(&resp->body, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(body);
	return r;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *resp)
{
	struct MHD_Response *r = make_response(resp);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->content_type ? resp->content_type : "application/json");
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS && resp->header_names[i]; i++)
		MHD_add_response_header(r, resp->header_names[i], resp->header_values[i]);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Fills everything of a request but its body. */
static void request_head(struct req_ctx *ctx, struct MHD_Connection *conn, const char *url, const char *method,
			 struct http_request *req)
{
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, ctx);
	req->method = http_method_of(method);
	req->method_name = method;
	req->raw_path = url;
	req->path = http_decode(&ctx->arena, url, false, NULL);
	req->query = ctx->query;
	req->n_query = ctx->n_query;
	req->has_query = ctx->n_query > 0;
	req->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req->body = "";
	req->arena = &ctx->arena;
	req->conn = conn;
	req->user = http_request_user(req);
}

static enum MHD_Result dispatch(struct http_server *s, struct MHD_Connection *conn, struct req_ctx *ctx,
				const char *url, const char *method)
{
	struct http_request req = { 0 };
	struct http_response resp = { .status = 200, .body = BUF_INIT, .fd = -1 };
	int64_t t0 = util_mono_ns();

	request_head(ctx, conn, url, method, &req);
	req.body = ctx->body.ptr;
	req.body_len = ctx->body.len;
	req.body_too_large = ctx->too_large;
	req.sink_ctx = ctx->sink.write ? ctx->sink.ctx : NULL;
	req.sink_error = ctx->sink_error;
	ctx->dispatched = true;
	http_conns_request_dispatched(s->conns, conn);

	s->fn(s->app, &req, &resp);
	log_debug("%s %s %d %zu %.3fms", method, url, resp.status, resp.body.len, (util_mono_ns() - t0) / 1e6);
	return send_response(conn, &resp);
}

/* First call: decide whether the body streams into a sink. */
static void choose_sink(struct http_server *s, struct MHD_Connection *conn, struct req_ctx *ctx, const char *url,
			const char *method)
{
	struct http_request req = { 0 };
	if (!s->stream)
		return;
	request_head(ctx, conn, url, method, &req);
	/* request_head collected the query; dispatch collects it again */
	if (!s->stream(s->app, &req, &ctx->sink))
		memset(&ctx->sink, 0, sizeof(ctx->sink));
	ctx->n_query = 0;
}

/* The announced body size, UINT64_MAX when it is chunked (or the length is
 * unreadable); *has_body is false when no body comes at all. */
static uint64_t announced_body(struct MHD_Connection *conn, bool *has_body)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	*has_body = true;
	if (cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (end != cl && *end == '\0') {
			*has_body = n > 0;
			return n;
		}
		return UINT64_MAX;
	}
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return UINT64_MAX;
	*has_body = false;
	return 0;
}

static void take_chunk(struct http_server *s, struct MHD_Connection *conn, struct req_ctx *ctx, const char *data,
		       size_t n)
{
	if (ctx->sink.write) {
		if (!ctx->sink_error)
			ctx->sink_error = ctx->sink.write(ctx->sink.ctx, data, n);
	} else if (ctx->too_large || ctx->body.len + n > s->max_body) {
		ctx->too_large = true;
		buf_release(&ctx->body);
	} else {
		buf_add(&ctx->body, data, n);
	}
	if (!ctx->sink.write)
		http_conns_body_bytes(conn, n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct req_ctx *ctx = *con_cls;
	(void)version;

	if (!ctx) {
		ctx = xcalloc(1, sizeof(*ctx));
		buf_init(&ctx->body, 0);
		*con_cls = ctx;
		atomic_fetch_add(&s->in_flight, 1);
		choose_sink(s, conn, ctx, url, method);
		bool has_body;
		uint64_t announced = announced_body(conn, &has_body);
		http_conns_request_started(s->conns, conn, has_body && !ctx->sink.write);
		bool over_limit = !ctx->sink.write && has_body && announced != UINT64_MAX && announced > s->max_body;
		if (over_limit || (ctx->sink.write && ctx->sink.refuse_now && has_body)) {
			/* refuse at once: MHD sends the answer, skips the body and
			 * closes; the guard drains what the client still sends */
			ctx->too_large = over_limit;
			http_conns_linger_on_close(s->conns, conn);
			return dispatch(s, conn, ctx, url, method);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		take_chunk(s, conn, ctx, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(s, conn, ctx, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct req_ctx *ctx = *con_cls;
	(void)toe;
	http_conns_request_done(s->conns, conn);
	if (!ctx)
		return;
	if (ctx->sink.write && !ctx->dispatched && ctx->sink.abort)
		ctx->sink.abort(ctx->sink.ctx); /* the client hung up mid-body */
	arena_release(&ctx->arena);
	buf_release(&ctx->body);
	free(ctx);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

#define MHD_LOG_WINDOW_MS 10000
#define MHD_LOG_BURST 20

/* libmicrohttpd's messages go to our log, at most MHD_LOG_BURST lines per
 * ten seconds: it writes one for each connection that breaks off, and the
 * guard closes slow ones by the hundred under attack. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static int64_t window_ms = INT64_MIN / 2;
	static unsigned in_window, dropped;
	char msg[512];
	unsigned dropped_before = 0;
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	int64_t now = util_mono_ns() / 1000000;
	pthread_mutex_lock(&mu);
	if (now - window_ms >= MHD_LOG_WINDOW_MS) {
		dropped_before = dropped;
		dropped = in_window = 0;
		window_ms = now;
	}
	bool emit = in_window < MHD_LOG_BURST;
	if (emit)
		in_window++;
	else
		dropped++;
	pthread_mutex_unlock(&mu);
	if (dropped_before)
		log_info("libmicrohttpd: %u more messages were not logged", dropped_before);
	if (emit)
		log_info("libmicrohttpd: %s", msg);
}

static int resolve(const char *host, unsigned port, struct sockaddr_storage *addr, socklen_t *len,
		   struct mlf_err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%u", port);
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "cannot resolve host '%s': %s", host, gai_strerror(rc));
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

unsigned http_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	rlim_t want = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
	if (rl.rlim_cur < want) {
		struct rlimit raised = { want, rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl.rlim_cur = want;
	}
	return rl.rlim_cur > UINT_MAX ? UINT_MAX : (unsigned)rl.rlim_cur;
}

/* Descriptors kept out of the connection budget: the database, listeners,
 * MHD's inter-thread channels, logs. */
#define FD_RESERVE 64
/* Per-connection memory of libmicrohttpd: its pool holds the read buffer,
 * the parsed headers and arguments and the response header. 0.9.75 zeroes
 * the whole pool after each request, so an idle keep-alive connection
 * keeps all of it resident: the size is what an idle connection costs. */
#define CONNECTION_POOL_BYTES (32 * 1024)
#define DEFAULT_MAX_CONNECTIONS 8192

/* Fills the connection caps left 0 from the descriptor limit: every
 * connection may hold a second descriptor (a file it uploads or sends). */
static void connection_caps(const struct http_config *cfg, struct http_conns_config *gc, unsigned *mhd_limit)
{
	struct rlimit rl;
	unsigned fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < UINT_MAX ? (unsigned)rl.rlim_cur : UINT_MAX;
	unsigned budget = fds > FD_RESERVE + 2 ? fds - FD_RESERVE : 2;
	unsigned max = cfg->max_connections;
	if (!max)
		max = budget / 2 < DEFAULT_MAX_CONNECTIONS ? budget / 2 : DEFAULT_MAX_CONNECTIONS;
	if (max > budget) {
		log_warn("--max-connections %u exceeds the descriptor limit %u: using %u", max, fds, budget);
		max = budget;
	}
	gc->max_connections = max ? max : 1;
	gc->max_per_address = cfg->max_connections_per_ip ? cfg->max_connections_per_ip
							  : (gc->max_connections + 3) / 4;
	gc->header_timeout = cfg->header_timeout ? cfg->header_timeout : 10;
	/* MHD's own limit only backs ours up: it refuses without making room,
	 * and splits itself evenly over the workers, and doomed connections
	 * linger until their worker sees them go */
	uint64_t backstop = (uint64_t)gc->max_connections * 2 + 16 * (cfg->threads ? cfg->threads : 4);
	*mhd_limit = backstop < budget ? (unsigned)backstop : budget;
	if (*mhd_limit < gc->max_connections)
		*mhd_limit = gc->max_connections;
	log_info("connections: at most %u (%u per address), descriptor limit %u, header deadline %us, idle timeout %us",
		 gc->max_connections, gc->max_per_address, fds, gc->header_timeout,
		 cfg->idle_timeout ? cfg->idle_timeout : 120);
}

struct http_server *http_server_start(const struct http_config *cfg, http_handler_fn fn, http_stream_fn stream,
				      void *app, struct mlf_err *err)
{
	struct sockaddr_storage addr;
	socklen_t addrlen;
	if (resolve(cfg->host, cfg->port, &addr, &addrlen, err) < 0)
		return NULL;
	if (cfg->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "this libmicrohttpd was built without TLS");
		return NULL;
	}

	struct http_server *s = xcalloc(1, sizeof(*s));
	struct http_conns_config gc;
	unsigned mhd_limit;
	s->fn = fn;
	s->stream = stream;
	s->app = app;
	s->max_body = cfg->max_body;
	connection_caps(cfg, &gc, &mhd_limit);
	s->conns = http_conns_new(&gc);
	/* poll, not epoll: with epoll, libmicrohttpd 0.9.75 misses a client
	 * that hangs up in the middle of a request body once the worker has
	 * served an earlier connection (the socket sits in CLOSE-WAIT until the
	 * timeout, and a cut upload's temporary file with it). bench/ measured
	 * no difference at our connection counts (docs/architecture.md).
	 * ITC lets MHD_quiesce_daemon() stop the listener at shutdown. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0" },
		{ MHD_OPTION_END, 0, NULL },
	};
	if (cfg->tls_cert_pem)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, http_conns_accept, s->conns, on_request, s,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* first: it takes every message */
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 4),
				     MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_POOL_BYTES,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->idle_timeout ? cfg->idle_timeout : 120),
				     MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_NOTIFY_CONNECTION, http_conns_notify, s->conns,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
				     MHD_OPTION_ARRAY, tls,
				     MHD_OPTION_END);
	if (!s->daemon) {
		http_conns_free(s->conns);
		free(s);
		mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot listen on %s:%u (address in use?)", cfg->host, cfg->port);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	return s;
}

unsigned http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_quiesce_daemon(s->daemon);
	/* let requests being handled finish: at most 10 s */
	for (int i = 0; i < 1000 && atomic_load(&s->in_flight) > 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->daemon);
	http_conns_free(s->conns);
	free(s);
}
