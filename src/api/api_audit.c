/*
 * api_audit.c - the audit trail's queue and its writer thread (see
 * api_audit.h). Entries are kept in a ring of fixed slots whose strings
 * live in one heap block per entry; the writer takes the whole pending
 * run at once, appends it outside the lock, and frees it.
 */
#include "api_audit.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUDIT_FIELD_MAX 1024

struct queued {
	struct store_audit_entry e;
	char *strings; /* owns the entry's strings */
};

struct api_audit {
	struct store *st;
	pthread_mutex_t mu;
	pthread_cond_t wake, room, written;
	struct queued ring[AUDIT_QUEUE];
	size_t head, n;     /* pending entries: ring[head .. head+n) */
	uint64_t added, done; /* entries queued / written (or given up) so far */
	bool stopping;
	pthread_t thread;
};

static size_t field_len(const char *s)
{
	return s ? strnlen(s, AUDIT_FIELD_MAX) : 0;
}

static const char *copy_field(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = field_len(s);
	char *out = *at;
	memcpy(out, s, n);
	out[n] = 0;
	*at += n + 1;
	return out;
}

void api_audit_add(struct api_audit *t, const struct store_audit_entry *e)
{
	size_t need = field_len(e->username) + field_len(e->method) + field_len(e->path) + field_len(e->resource) + 4;
	struct queued q = { .e = *e, .strings = xmalloc(need) };
	char *at = q.strings;
	q.e.username = copy_field(&at, e->username);
	q.e.method = copy_field(&at, e->method);
	q.e.path = copy_field(&at, e->path);
	q.e.resource = copy_field(&at, e->resource);
	pthread_mutex_lock(&t->mu);
	while (t->n == AUDIT_QUEUE && !t->stopping)
		pthread_cond_wait(&t->room, &t->mu);
	t->ring[(t->head + t->n) % AUDIT_QUEUE] = q;
	t->n++;
	t->added++;
	if (t->n >= AUDIT_BATCH)
		pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->mu);
}

/* Appends up to AUDIT_BATCH entries from the head; called with the lock
 * held, drops it while writing. */
static void write_some(struct api_audit *t)
{
	size_t n = t->n < AUDIT_BATCH ? t->n : AUDIT_BATCH;
	struct store_audit_entry batch[AUDIT_BATCH];
	char *owned[AUDIT_BATCH];
	for (size_t i = 0; i < n; i++) {
		struct queued *q = &t->ring[(t->head + i) % AUDIT_QUEUE];
		batch[i] = q->e;
		owned[i] = q->strings;
	}
	t->head = (t->head + n) % AUDIT_QUEUE;
	t->n -= n;
	pthread_cond_broadcast(&t->room);
	pthread_mutex_unlock(&t->mu);
	struct mlf_err err;
	int tries = 0;
	while (store_auth_audit_append(t->st, batch, n, &err) < 0) {
		if (++tries == AUDIT_RETRIES) {
			log_error("audit: %zu entries could not be written: %s", n, err.msg);
			break;
		}
		log_warn("audit: writing %zu entries failed (try %d): %s", n, tries, err.msg);
		struct timespec pause = { 0, 200 * 1000000L };
		nanosleep(&pause, NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
	pthread_mutex_lock(&t->mu);
	t->done += n;
	pthread_cond_broadcast(&t->written);
}

static void *writer(void *arg)
{
	struct api_audit *t = arg;
	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (t->n == 0 && !t->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&t->wake, &t->mu, &until);
		}
		if (t->n == 0 && t->stopping)
			break;
		write_some(t);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct api_audit *api_audit_open(struct store *st, struct mlf_err *err)
{
	struct api_audit *t = xcalloc(1, sizeof(*t));
	t->st = st;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->wake, NULL);
	pthread_cond_init(&t->room, NULL);
	pthread_cond_init(&t->written, NULL);
	if (pthread_create(&t->thread, NULL, writer, t) != 0) {
		free(t);
		mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot start the audit trail's thread");
		return NULL;
	}
	return t;
}

void api_audit_flush(struct api_audit *t)
{
	pthread_mutex_lock(&t->mu);
	uint64_t target = t->added;
	pthread_cond_signal(&t->wake);
	while (t->done < target) {
		pthread_cond_signal(&t->wake);
		pthread_cond_wait(&t->written, &t->mu);
	}
	pthread_mutex_unlock(&t->mu);
}

void api_audit_close(struct api_audit *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stopping = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->wake);
	pthread_cond_destroy(&t->room);
	pthread_cond_destroy(&t->written);
	free(t);
}
