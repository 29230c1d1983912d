/*
 * http_conns.h - the connection guard of the HTTP server: caps, deadlines
 * and pressure relief for libmicrohttpd's connections (used by http.c only).
 *
 * Every connection is tracked from accept to close with its address, its
 * descriptor and where it is in its request cycle: sending headers, idle
 * between requests (keep-alive), sending a buffered body, or busy (handler,
 * streamed upload, response). When a new connection would exceed the
 * global or the per-address cap, the oldest connection that is not inside
 * a request (idle or still sending headers) is closed to make room; only
 * when there is none is the new one refused. A reaper thread closes, once a
 * second, connections whose request headers took longer than the header
 * deadline (counted from accept, or from the first byte of a keep-alive
 * connection's next request) and buffered bodies that arrive too slowly;
 * with 3/4 of the global cap open, it also closes connections idle for
 * longer than the header deadline.
 *
 * Closing means shutdown(fd, SHUT_RDWR) from our side: libmicrohttpd then
 * sees the peer gone and closes the connection itself. This is safe against
 * descriptor reuse because libmicrohttpd 0.9.75 reports a connection CLOSED
 * before it close()s the descriptor, and both the report and every shutdown
 * run under the guard's mutex.
 */
#ifndef MLF_HTTP_CONNS_H
#define MLF_HTTP_CONNS_H

#include "../base/common.h"
#include <microhttpd.h>

/* A buffered (non-streamed) body must average this many bytes a second
 * once the header deadline has passed since its headers arrived. */
#define HTTP_CONNS_MIN_BODY_RATE (16 * 1024)

struct http_conns_config {
	unsigned max_connections; /* > 0 */
	unsigned max_per_address; /* > 0 */
	unsigned header_timeout;  /* seconds, > 0 */
};

struct http_conns;

/* Starts the guard and its reaper thread. The caller owns the result and
 * frees it with http_conns_free() after the MHD daemon has stopped. */
struct http_conns *http_conns_new(const struct http_conns_config *cfg);
/* Stops the reaper and frees the guard. NULL is a no-op. */
void http_conns_free(struct http_conns *g);

/* MHD's accept-policy callback (cls = the guard): makes room or refuses. */
enum MHD_Result http_conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* MHD's MHD_OPTION_NOTIFY_CONNECTION callback (cls = the guard). */
void http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code);

/* The request's headers are complete; `body_pending`: a buffered body is
 * still to come (else the request is busy until it completes). */
void http_conns_request_started(struct http_conns *g, struct MHD_Connection *conn, bool body_pending);
/* The request is answered before its body is read (it is refused): when
 * MHD closes the connection after the answer, what the client still sends
 * is read and dropped for up to the header deadline, so that a client that
 * sends its whole body before reading gets the answer, not a reset. */
void http_conns_linger_on_close(struct http_conns *g, struct MHD_Connection *conn);
/* `n` more bytes of the buffered body arrived. */
void http_conns_body_bytes(struct MHD_Connection *conn, size_t n);
/* The body is in and the handler runs. */
void http_conns_request_dispatched(struct http_conns *g, struct MHD_Connection *conn);
/* The response is sent (or the request ended): the connection is idle. */
void http_conns_request_done(struct http_conns *g, struct MHD_Connection *conn);

#endif
