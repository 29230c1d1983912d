/*
 * http.h - the HTTP server: libmicrohttpd underneath, plain structs on top.
 *
 * The server collects a request (method, raw and decoded path, decoded
 * query parameters with repeats kept in order, Content-Type, body up to a
 * limit), calls one handler function, and sends what the handler put in
 * the response. It knows no JSON and no application routes (router.h
 * matches the application's route tables). Requests run on a
 * pool of worker threads (each polls its connections with poll(); see
 * http.c for why not epoll); a handler may block.
 *
 * Connections are guarded (http_conns.h): a global and a per-address cap
 * that close idle connections to make room before refusing, a deadline
 * for request headers, a minimum rate for buffered bodies, and a small
 * per-connection memory pool. A body announced larger than `max_body`
 * is answered at once (the handler runs with body_too_large set), as is a
 * streamed body its sink refuses before it arrives; the connection is then
 * closed once the guard has drained what the client still sends, so the
 * client reads the answer rather than a reset. Streamed bodies have no
 * limit here.
 *
 * Large bodies stream both ways in constant memory: before the body
 * arrives, a stream function may hand the request a sink that receives the
 * body chunk by chunk (uploads), and a response may be a file descriptor
 * sent with sendfile (downloads).
 *
 * The sender of a request comes from one place, req->user, set when the
 * request is read (http_request_user), so authentication can fill it in.
 *
 * The request decoding (method names, percent-decoding, query parameters)
 * is exposed too: the fuzz target drives it, and the client library's local
 * mode builds its requests with it, so they read exactly as served ones.
 */
#ifndef MLF_HTTP_H
#define MLF_HTTP_H

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/err.h"
#include <sys/types.h>

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_POST = 1 << 1,
	HTTP_PUT = 1 << 2,
	HTTP_PATCH = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_HEAD = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
	HTTP_OTHER = 1 << 7,
};

struct http_param {
	const char *key;   /* percent-decoded */
	const char *value; /* percent-decoded, "+" as space, NUL-terminated */
	size_t value_len;  /* bytes decoded: more than strlen(value) when it held %00
			    * (0 from builders that do not measure: then strlen) */
};

struct http_request {
	enum http_method method;
	const char *method_name;
	const char *raw_path;     /* exactly as sent, without the query */
	const char *path;         /* percent-decoded */
	const struct http_param *query;
	size_t n_query;
	bool has_query;           /* the URL had a '?' with something after it */
	const char *content_type; /* NULL when the header is absent */
	const char *body;         /* NUL-terminated; "" when empty */
	size_t body_len;
	bool body_too_large;      /* the body exceeded the limit and was dropped */
	void *sink_ctx;           /* the body went to this sink's ctx (see http_stream_fn) */
	int sink_error;           /* the sink's write refused the body (errno-like, 0 = fine) */
	struct arena *arena;      /* request-scoped memory, released after the response */
	void *conn;               /* the MHD connection, for header lookups */
	/* who sends the request, or NULL: set once when the request is read
	 * (http_request_user), the one place handlers learn it from */
	const char *user;
};

#define HTTP_MAX_EXTRA_HEADERS 12

struct http_response {
	int status;
	const char *content_type; /* static or arena string; default application/json */
	struct buf body;
	int fd;                   /* >= 0: send this file instead of `body`; the server closes it */
	uint64_t fd_offset;       /* send fd_size bytes from this offset */
	uint64_t fd_size;
	/* else, when set: the body comes from this reader (see
	 * struct artifact_download); the server calls reader_free once */
	ssize_t (*reader)(void *ctx, uint64_t pos, char *buf, size_t max);
	void (*reader_free)(void *ctx);
	void *reader_ctx;
	uint64_t reader_size;     /* UINT64_MAX: unknown (chunked) */
	const char *header_names[HTTP_MAX_EXTRA_HEADERS]; /* static or arena strings */
	const char *header_values[HTTP_MAX_EXTRA_HEADERS];
};

/* Adds a response header (at most HTTP_MAX_EXTRA_HEADERS; more are dropped). */
void http_response_header(struct http_response *resp, const char *name, const char *value);

typedef void (*http_handler_fn)(void *app, const struct http_request *req, struct http_response *resp);

/* Where a streamed body goes. `write` gets each chunk in order and returns 0,
 * or an errno value to refuse the rest (later chunks are dropped; the
 * handler sees it in req->sink_error). `abort` runs when the request ends
 * without reaching the handler (the client hung up): it must undo
 * everything, e.g. remove a partial file. The handler finishes the sink
 * (commit or abort) itself. */
struct http_body_sink {
	int (*write)(void *ctx, const char *data, size_t n);
	void (*abort)(void *ctx);
	void *ctx;
	/* the stream function already refused the request (a bad path, a body
	 * over a limit, a full disk): the handler answers at once, before the
	 * body, and the connection is closed after the answer */
	bool refuse_now;
};

/* Called once per request when the headers are in, before any body: may
 * fill `sink` and return true to stream the body there instead of
 * buffering it. `req` has everything but the body. */
typedef bool (*http_stream_fn)(void *app, const struct http_request *req, struct http_body_sink *sink);

struct http_config {
	const char *host;
	unsigned port;
	unsigned threads;
	size_t max_body; /* bytes; larger bodies set body_too_large */
	unsigned idle_timeout; /* seconds a connection may stay silent before it is closed */
	unsigned max_connections;        /* 0: from the descriptor limit (half of it, at most 8192) */
	unsigned max_connections_per_ip; /* 0: a quarter of max_connections */
	unsigned header_timeout;         /* seconds to send a request's headers; 0: 10 */
	/* TLS (libmicrohttpd's GnuTLS): the PEM texts of the certificate
	 * chain and its private key, borrowed while the server runs; NULL: plain HTTP */
	const char *tls_cert_pem, *tls_key_pem;
};

/* Raises the soft limit on open descriptors to the hard limit and returns
 * the limit now in force. Call once at start-up, before starting. */
unsigned http_raise_fd_limit(void);

struct http_server;

/* Binds and starts serving. Returns a server the caller stops with
 * http_server_stop(), or NULL with `err` set (e.g. the port is taken). */
struct http_server *http_server_start(const struct http_config *cfg, http_handler_fn fn, http_stream_fn stream,
				      void *app, struct mlf_err *err);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *s);
/* Stops accepting, lets in-flight requests finish (bounded wait), closes
 * everything and frees the server. NULL is a no-op. */
void http_server_stop(struct http_server *s);
/* The value of a request header, or NULL. Borrowed from the connection. */
const char *http_request_header(const struct http_request *req, const char *name);

/* The value of cookie `name`, or NULL. Borrowed from the connection. */
const char *http_request_cookie(const struct http_request *req, const char *name);

/* The numeric address of the peer ("192.0.2.7", "::1") in `buf` (at least
 * 64 bytes), or "" when unknown (an in-process request). Returns buf. */
const char *http_request_peer(const struct http_request *req, char *buf, size_t n);

/* The header naming the sender when authentication is off (MLflow's
 * clients do not send it; mlflowc's CLI and tests do). */
#define HTTP_USER_HEADER "X-MLflow-User"

/* The sender of `req` as its headers name it: HTTP_USER_HEADER when set and
 * not empty, else NULL. Borrowed from the connection. With authentication
 * on (src/api/auth_gate.h) the header is ignored: the signed-in user counts. */
const char *http_request_user(const struct http_request *req);

/* The method named `name` (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS),
 * HTTP_OTHER for any other name. */
enum http_method http_method_of(const char *name);

/* The decoding every request goes through (exposed for the fuzz target).
 * http_decode percent-decodes s (and "+" to a space when plus_space) into
 * a NUL-terminated copy in `a`; *len (when not NULL) gets the decoded
 * length, which a %00 makes longer than strlen of the result.
 * http_query_add decodes one raw key=value pair of the query string (value
 * NULL: a key without '=') and appends it to the array *params of *n
 * entries and room for *cap, grown in `a`; a key holding %00 names no
 * parameter and is dropped. */
char *http_decode(struct arena *a, const char *s, bool plus_space, size_t *len);
void http_query_add(struct arena *a, struct http_param **params, size_t *n, size_t *cap, const char *key,
		    const char *value);

#endif
