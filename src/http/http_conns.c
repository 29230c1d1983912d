/*
 * http_conns.c - the connection guard; see http_conns.h.
 *
 * One mutex guards everything: the connections, each in one of two lists
 * (`evictable`: idle or sending headers, oldest first; `others`: inside a
 * request, or doomed), and the per-address slots in a small hash table,
 * each with its own oldest-first list of evictable connections. A doomed
 * connection has been shut down by us and no longer counts against any
 * cap; it stays in `others` until libmicrohttpd reports it closed.
 *
 * Whether an idle keep-alive connection has begun its next request is read
 * from the kernel (TCP_INFO's bytes received), since libmicrohttpd reads
 * the bytes into its own buffer: the header deadline of that request
 * starts at the reaper tick that first sees new bytes (within a second).
 */
#include "http_conns.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

enum conn_state {
	CONN_HEADERS, /* sending a request's headers (or nothing yet, after accept) */
	CONN_IDLE,    /* between requests; its next request has not begun */
	CONN_BODY,    /* sending a buffered body */
	CONN_BUSY,    /* handler, streamed upload or response */
};

#define ADDR_KEY_LEN 17 /* family byte + up to 16 address bytes */
#define SLOT_BUCKETS 1024
#define REAPER_TICK_MS 1000
#define REPORT_EVERY_MS 10000
#define LINGER_MAX 32          /* refused connections drained at once, at most */
#define LINGER_POLL_MS 100

struct conn;

struct conn_list {
	struct conn *head, *tail;
};

struct addr_slot {
	struct addr_slot *next_in_bucket;
	unsigned char key[ADDR_KEY_LEN];
	unsigned live;  /* connections not doomed */
	unsigned refs;  /* every connection, doomed or not */
	struct conn_list evictable;
};

struct conn {
	struct conn *prev, *next;         /* in g->evictable or g->others */
	struct conn *ip_prev, *ip_next;   /* in slot->evictable while evictable */
	struct addr_slot *slot;
	int fd;
	enum conn_state state;
	bool doomed;
	bool in_evictable;
	bool linger;             /* drain what the client still sends after its close */
	int64_t since_ms;        /* when this state began */
	int64_t header_start_ms; /* CONN_HEADERS: when the request began arriving */
	uint64_t bytes_mark;     /* CONN_IDLE: kernel's bytes received when it went idle */
	_Atomic uint64_t body_bytes;
};

/* A refused connection's socket, kept open (a dup of MHD's descriptor)
 * after MHD closed it: what the client still sends is read and dropped
 * until it hangs up or `until_ms`, so its unread bytes never turn the
 * close into a reset that would destroy the answer before it is read. */
struct lingering_socket {
	int fd;
	int64_t until_ms;
};

struct http_conns {
	struct http_conns_config cfg;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	bool stopping;
	pthread_t reaper;
	unsigned live;
	struct conn_list evictable, others;
	struct addr_slot *buckets[SLOT_BUCKETS];
	/* counts since the last report */
	unsigned evicted_for_cap, refused, header_deadline, body_too_slow, idle_under_pressure;
	int64_t last_report_ms;
	struct lingering_socket pending[LINGER_MAX]; /* handed over by CLOSED, taken by the reaper */
	unsigned n_pending;
	unsigned n_lingering;              /* pending + the reaper's own */
};

/* ---- lists ---------------------------------------------------------------- */

static void list_push(struct conn_list *l, struct conn *c)
{
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

static void list_remove(struct conn_list *l, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

static void ip_list_push(struct conn_list *l, struct conn *c)
{
	c->ip_prev = l->tail;
	c->ip_next = NULL;
	if (l->tail)
		l->tail->ip_next = c;
	else
		l->head = c;
	l->tail = c;
}

static void ip_list_remove(struct conn_list *l, struct conn *c)
{
	if (c->ip_prev)
		c->ip_prev->ip_next = c->ip_next;
	else
		l->head = c->ip_next;
	if (c->ip_next)
		c->ip_next->ip_prev = c->ip_prev;
	else
		l->tail = c->ip_prev;
	c->ip_prev = c->ip_next = NULL;
}

/* Moves `c` to the tail of the evictable lists (it just became evictable). */
static void make_evictable(struct http_conns *g, struct conn *c)
{
	if (c->in_evictable)
		return;
	list_remove(&g->others, c);
	list_push(&g->evictable, c);
	ip_list_push(&c->slot->evictable, c);
	c->in_evictable = true;
}

static void make_unevictable(struct http_conns *g, struct conn *c)
{
	if (!c->in_evictable)
		return;
	list_remove(&g->evictable, c);
	ip_list_remove(&c->slot->evictable, c);
	list_push(&g->others, c);
	c->in_evictable = false;
}

/* ---- addresses ------------------------------------------------------------ */

/* IPv4-mapped IPv6 addresses count as their IPv4 address. */
static void addr_key(const struct sockaddr *addr, unsigned char key[ADDR_KEY_LEN])
{
	static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	memset(key, 0, ADDR_KEY_LEN);
	if (addr && addr->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)addr)->sin_addr, 4);
	} else if (addr && addr->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr.s6_addr;
		if (memcmp(a, v4_mapped, sizeof(v4_mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 16);
		}
	}
}

static unsigned addr_bucket(const unsigned char key[ADDR_KEY_LEN])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < ADDR_KEY_LEN; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % SLOT_BUCKETS;
}

static struct addr_slot *slot_find(struct http_conns *g, const unsigned char key[ADDR_KEY_LEN])
{
	for (struct addr_slot *s = g->buckets[addr_bucket(key)]; s; s = s->next_in_bucket)
		if (memcmp(s->key, key, ADDR_KEY_LEN) == 0)
			return s;
	return NULL;
}

static struct addr_slot *slot_get(struct http_conns *g, const unsigned char key[ADDR_KEY_LEN])
{
	struct addr_slot *s = slot_find(g, key);
	if (s)
		return s;
	unsigned b = addr_bucket(key);
	s = xcalloc(1, sizeof(*s));
	memcpy(s->key, key, ADDR_KEY_LEN);
	s->next_in_bucket = g->buckets[b];
	g->buckets[b] = s;
	return s;
}

static void slot_put(struct http_conns *g, struct addr_slot *s)
{
	if (--s->refs > 0)
		return;
	struct addr_slot **p = &g->buckets[addr_bucket(s->key)];
	while (*p != s)
		p = &(*p)->next_in_bucket;
	*p = s->next_in_bucket;
	free(s);
}

/* ---- closing ---------------------------------------------------------------- */

/* Shuts `c` down from our side (under the mutex: `c` is not yet reported
 * closed, so its descriptor is still its own). MHD then closes it. */
static void doom(struct http_conns *g, struct conn *c)
{
	if (c->doomed)
		return;
	make_unevictable(g, c);
	c->doomed = true;
	g->live--;
	c->slot->live--;
	shutdown(c->fd, SHUT_RDWR);
}

/* The kernel's count of bytes received on a TCP socket; 0 when unknown. */
static uint64_t tcp_bytes_received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received;
}

/* ---- MHD callbacks ---------------------------------------------------------- */

enum MHD_Result http_conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_conns *g = cls;
	unsigned char key[ADDR_KEY_LEN];
	enum MHD_Result ok = MHD_YES;
	(void)addrlen;
	addr_key(addr, key);
	pthread_mutex_lock(&g->mu);
	struct addr_slot *s = slot_find(g, key);
	if (s && s->live >= g->cfg.max_per_address) {
		if (s->evictable.head) {
			doom(g, s->evictable.head);
			g->evicted_for_cap++;
		} else {
			ok = MHD_NO;
		}
	}
	if (ok == MHD_YES && g->live >= g->cfg.max_connections) {
		if (g->evictable.head) {
			doom(g, g->evictable.head);
			g->evicted_for_cap++;
		} else {
			ok = MHD_NO;
		}
	}
	if (ok == MHD_NO)
		g->refused++;
	pthread_mutex_unlock(&g->mu);
	return ok;
}

void http_conns_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	struct http_conns *g = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		unsigned char key[ADDR_KEY_LEN];
		if (!fd) {
			*socket_context = NULL;
			return;
		}
		addr_key(ad ? ad->client_addr : NULL, key);
		struct conn *c = xcalloc(1, sizeof(*c));
		c->fd = fd->connect_fd;
		c->state = CONN_HEADERS;
		c->since_ms = c->header_start_ms = util_mono_ns() / 1000000;
		pthread_mutex_lock(&g->mu);
		c->slot = slot_get(g, key);
		c->slot->refs++;
		c->slot->live++;
		g->live++;
		list_push(&g->others, c);
		make_evictable(g, c);
		pthread_mutex_unlock(&g->mu);
		*socket_context = c;
		return;
	}
	struct conn *c = *socket_context;
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->in_evictable)
		make_unevictable(g, c);
	list_remove(&g->others, c);
	if (!c->doomed) {
		g->live--;
		c->slot->live--;
	}
	if (c->linger && !g->stopping && g->n_lingering < LINGER_MAX) {
		int fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0) {
			g->pending[g->n_pending++] =
				(struct lingering_socket){ fd, util_mono_ns() / 1000000 + (int64_t)g->cfg.header_timeout * 1000 };
			g->n_lingering++;
			pthread_cond_signal(&g->wake);
		}
	}
	slot_put(g, c->slot);
	pthread_mutex_unlock(&g->mu);
	free(c);
	*socket_context = NULL;
}

/* ---- request cycle (called on the connection's MHD worker thread) ----------- */

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

void http_conns_request_started(struct http_conns *g, struct MHD_Connection *mc, bool body_pending)
{
	struct conn *c = conn_of(mc);
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	make_unevictable(g, c);
	c->state = body_pending ? CONN_BODY : CONN_BUSY;
	c->since_ms = util_mono_ns() / 1000000;
	atomic_store(&c->body_bytes, 0);
	pthread_mutex_unlock(&g->mu);
}

void http_conns_linger_on_close(struct http_conns *g, struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	c->linger = true;
	pthread_mutex_unlock(&g->mu);
}

void http_conns_body_bytes(struct MHD_Connection *mc, size_t n)
{
	struct conn *c = conn_of(mc);
	if (c)
		atomic_fetch_add(&c->body_bytes, n);
}

void http_conns_request_dispatched(struct http_conns *g, struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	c->state = CONN_BUSY;
	pthread_mutex_unlock(&g->mu);
}

void http_conns_request_done(struct http_conns *g, struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);
	if (!c)
		return;
	uint64_t mark = tcp_bytes_received(c->fd);
	pthread_mutex_lock(&g->mu);
	c->state = CONN_IDLE;
	c->since_ms = util_mono_ns() / 1000000;
	c->bytes_mark = mark;
	if (!c->doomed)
		make_evictable(g, c);
	pthread_mutex_unlock(&g->mu);
}

/* ---- the reaper ------------------------------------------------------------ */

/* 3/4 of the cap open: idle connections get the header deadline as their
 * idle timeout, oldest first, so room is made before the cap is met. */
static bool under_pressure(const struct http_conns *g)
{
	return (uint64_t)g->live * 4 >= (uint64_t)g->cfg.max_connections * 3;
}

static void reap(struct http_conns *g, int64_t now)
{
	int64_t header_ms = (int64_t)g->cfg.header_timeout * 1000;
	for (struct conn *c = g->evictable.head, *next; c; c = next) {
		next = c->next;
		if (c->state == CONN_IDLE && tcp_bytes_received(c->fd) > c->bytes_mark) {
			c->state = CONN_HEADERS; /* its next request has begun */
			c->header_start_ms = now;
		}
		if (c->state == CONN_HEADERS && now - c->header_start_ms >= header_ms) {
			doom(g, c);
			g->header_deadline++;
		} else if (c->state == CONN_IDLE && under_pressure(g) && now - c->since_ms >= header_ms) {
			doom(g, c);
			g->idle_under_pressure++;
		}
	}
	for (struct conn *c = g->others.head, *next; c; c = next) {
		next = c->next;
		if (c->doomed || c->state != CONN_BODY || now - c->since_ms <= header_ms)
			continue;
		uint64_t due = (uint64_t)(now - c->since_ms - header_ms) * HTTP_CONNS_MIN_BODY_RATE / 1000;
		if (atomic_load(&c->body_bytes) < due) {
			doom(g, c);
			g->body_too_slow++;
		}
	}
	if (now - g->last_report_ms >= REPORT_EVERY_MS) {
		if (g->evicted_for_cap || g->refused || g->header_deadline || g->body_too_slow || g->idle_under_pressure)
			log_info("connections: %u open; in the last %llds %u closed to make room, %u refused "
				 "(caps %u, %u per address), %u idle closed under pressure, %u closed by the %us "
				 "header deadline, %u for a body slower than %u B/s",
				 g->live, (long long)(now - g->last_report_ms) / 1000, g->evicted_for_cap, g->refused,
				 g->cfg.max_connections, g->cfg.max_per_address, g->idle_under_pressure,
				 g->header_deadline, g->cfg.header_timeout, g->body_too_slow, HTTP_CONNS_MIN_BODY_RATE);
		g->evicted_for_cap = g->refused = g->header_deadline = g->body_too_slow = g->idle_under_pressure = 0;
		g->last_report_ms = now;
	}
}

/* Reads and drops what lingering sockets have, for up to `wait_ms`; closes
 * those whose client hung up or whose time is over. Returns how many it
 * closed. Runs without the mutex: `set` is the reaper's own. */
static unsigned drain_lingering(struct lingering_socket *set, unsigned *n, int wait_ms)
{
	struct pollfd pfd[LINGER_MAX];
	static char sink[64 * 1024];
	unsigned closed = 0;
	for (unsigned i = 0; i < *n; i++)
		pfd[i] = (struct pollfd){ .fd = set[i].fd, .events = POLLIN };
	poll(pfd, *n, wait_ms);
	int64_t now = util_mono_ns() / 1000000;
	for (unsigned i = 0; i < *n;) {
		bool done = now >= set[i].until_ms;
		for (int reads = 0; !done && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && reads < 16; reads++) {
			ssize_t got = recv(set[i].fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				done = true;
			else if (got < 0)
				break;
		}
		if (!done) {
			i++;
			continue;
		}
		close(set[i].fd);
		closed++;
		set[i] = set[--*n];
		pfd[i] = pfd[*n];
	}
	return closed;
}

static void *reaper_main(void *arg)
{
	struct http_conns *g = arg;
	struct lingering_socket lingering[LINGER_MAX];
	unsigned n_lingering = 0;
	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		int64_t next_tick = util_mono_ns() / 1000000 + REAPER_TICK_MS;
		for (;;) {
			while (g->n_pending)
				lingering[n_lingering++] = g->pending[--g->n_pending];
			int64_t now = util_mono_ns() / 1000000;
			if (g->stopping || now >= next_tick)
				break;
			if (!n_lingering) { /* sleep to the tick, or to a stop or a new lingering socket */
				struct timespec until = { (time_t)(next_tick / 1000), (long)(next_tick % 1000) * 1000000 };
				pthread_cond_timedwait(&g->wake, &g->mu, &until);
				continue;
			}
			int wait_ms = next_tick - now < LINGER_POLL_MS ? (int)(next_tick - now) : LINGER_POLL_MS;
			pthread_mutex_unlock(&g->mu);
			unsigned closed = drain_lingering(lingering, &n_lingering, wait_ms);
			pthread_mutex_lock(&g->mu);
			g->n_lingering -= closed;
		}
		if (!g->stopping)
			reap(g, util_mono_ns() / 1000000);
	}
	pthread_mutex_unlock(&g->mu);
	for (unsigned i = 0; i < n_lingering; i++)
		close(lingering[i].fd);
	return NULL;
}

struct http_conns *http_conns_new(const struct http_conns_config *cfg)
{
	struct http_conns *g = xcalloc(1, sizeof(*g));
	pthread_condattr_t attr;
	g->cfg = *cfg;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &attr);
	pthread_condattr_destroy(&attr);
	g->last_report_ms = util_mono_ns() / 1000000;
	if (pthread_create(&g->reaper, NULL, reaper_main, g) != 0) {
		log_error("cannot start the connection reaper thread: header deadlines are off");
		g->stopping = true;
	}
	return g;
}

void http_conns_free(struct http_conns *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	bool running = !g->stopping;
	g->stopping = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->mu);
	if (running)
		pthread_join(g->reaper, NULL);
	for (unsigned i = 0; i < g->n_pending; i++)
		close(g->pending[i].fd);
	/* the daemon has stopped: every connection was reported closed */
	for (size_t b = 0; b < SLOT_BUCKETS; b++)
		while (g->buckets[b]) {
			struct addr_slot *s = g->buckets[b];
			g->buckets[b] = s->next_in_bucket;
			free(s);
		}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
