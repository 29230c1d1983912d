/*
 * serve.h - the life of a server process, shared by every command that
 * serves HTTP (`mlflowc server` today, `mlflowc models serve` next): the
 * process is prepared (SIGINT and SIGTERM blocked in every thread so that
 * one thread takes them with sigwait(), SIGPIPE ignored, the descriptor
 * limit raised), the HTTP server is started with the caller's handlers,
 * and when a signal comes it is stopped cleanly (requests in flight
 * finish). What the handlers serve, and what must be opened before and
 * closed after, is the caller's business.
 */
#ifndef MLF_SERVE_H
#define MLF_SERVE_H

#include "../base/err.h"
#include "../http/http.h"

/* What the HTTP server calls; `ctx` is passed to both and stays the
 * caller's. `stream` may be NULL when no route streams its body. */
struct serve_handlers {
	http_handler_fn handle;
	http_stream_fn stream;
	void *ctx;
};

/* Prepares the process; call it first, before any thread is started, so
 * that every thread inherits the signal mask. */
void serve_prepare_process(void);

/* Starts the HTTP server of `hc` with `h`, logs "<banner> listening on
 * http://HOST:PORT (<detail>)", waits for SIGINT or SIGTERM, logs it and
 * stops the server (requests in flight finish, at most 10 s). Returns 0
 * after a clean stop, or -1 with `err` set when the server cannot start.
 * Nothing is owned by the caller afterwards. */
int serve_until_signal(const struct http_config *hc, const struct serve_handlers *h, const char *banner,
		       const char *detail, struct mlf_err *err);

#endif
