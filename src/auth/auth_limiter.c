/*
 * auth_limiter.c - the table of client addresses that failed to sign in.
 *
 * AUTH_LIMIT_SLOTS slots, allocated once. An address is found through a
 * chained hash (FNV-1a of its text) and the slots in use are kept in a
 * list ordered by their last failure, so finding an address, taking the
 * least recently failed slot when the table is full, and freeing a slot
 * on success are all a few steps, whatever the number of addresses.
 *
 * An address that failed n times in a row waits, from its last failure,
 * 0 s while n <= AUTH_LIMIT_FREE, then 2^(n - AUTH_LIMIT_FREE - 1) s
 * capped at AUTH_LIMIT_MAX_S: the first AUTH_LIMIT_FREE failures are free,
 * the next one costs 1 s, then 2 s, 4 s... An address is compared on its
 * first AUTH_LIMIT_ADDR_MAX - 1 bytes (a numeric IPv6 address with a zone
 * is well within).
 */
#include "auth_limiter.h"

#include <pthread.h>
#include <stdatomic.h>

#define AUTH_LIMIT_ADDR_MAX 64
#define AUTH_LIMIT_BUCKETS (2 * AUTH_LIMIT_SLOTS)
#define NO_SLOT (-1)

struct limiter_slot {
	char addr[AUTH_LIMIT_ADDR_MAX];
	uint32_t failures;   /* in a row */
	int64_t until_ms;    /* may not try before this */
	int32_t next_bucket; /* the next slot of its hash chain */
	int32_t older, newer; /* the failure-order list (or the free list: newer) */
	uint32_t bucket;
	bool used;
};

struct auth_limiter {
	pthread_mutex_t mu;
	/* slots in use: with none (every sender signs in right), a check takes no lock */
	atomic_int in_use;
	int32_t buckets[AUTH_LIMIT_BUCKETS];
	int32_t oldest, newest; /* the slots in use, by last failure */
	int32_t free_head;
	struct limiter_slot slots[AUTH_LIMIT_SLOTS];
};

/* The address as the table keeps it: at most AUTH_LIMIT_ADDR_MAX-1 bytes. */
static void addr_key(const char *addr, char key[AUTH_LIMIT_ADDR_MAX])
{
	size_t n = addr ? strnlen(addr, AUTH_LIMIT_ADDR_MAX - 1) : 0;
	if (n)
		memcpy(key, addr, n);
	key[n] = '\0';
}

static uint32_t addr_bucket(const char *key)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % AUTH_LIMIT_BUCKETS;
}

struct auth_limiter *auth_limiter_new(void)
{
	struct auth_limiter *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (pthread_mutex_init(&l->mu, NULL) != 0) {
		free(l);
		return NULL;
	}
	for (size_t i = 0; i < AUTH_LIMIT_BUCKETS; i++)
		l->buckets[i] = NO_SLOT;
	for (int32_t i = 0; i < AUTH_LIMIT_SLOTS; i++)
		l->slots[i].newer = i + 1 < AUTH_LIMIT_SLOTS ? i + 1 : NO_SLOT;
	l->free_head = 0;
	atomic_init(&l->in_use, 0);
	l->oldest = l->newest = NO_SLOT;
	return l;
}

void auth_limiter_free(struct auth_limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static int32_t find(const struct auth_limiter *l, const char *key, uint32_t bucket)
{
	for (int32_t i = l->buckets[bucket]; i != NO_SLOT; i = l->slots[i].next_bucket)
		if (strcmp(l->slots[i].addr, key) == 0)
			return i;
	return NO_SLOT;
}

static void list_unlink(struct auth_limiter *l, int32_t i)
{
	struct limiter_slot *s = &l->slots[i];
	if (s->older != NO_SLOT)
		l->slots[s->older].newer = s->newer;
	else
		l->oldest = s->newer;
	if (s->newer != NO_SLOT)
		l->slots[s->newer].older = s->older;
	else
		l->newest = s->older;
}

static void list_push_newest(struct auth_limiter *l, int32_t i)
{
	struct limiter_slot *s = &l->slots[i];
	s->older = l->newest;
	s->newer = NO_SLOT;
	if (l->newest != NO_SLOT)
		l->slots[l->newest].newer = i;
	else
		l->oldest = i;
	l->newest = i;
}

/* Takes slot i out of the table (hash chain and failure order). */
static void release_slot(struct auth_limiter *l, int32_t i)
{
	struct limiter_slot *s = &l->slots[i];
	int32_t *link = &l->buckets[s->bucket];
	while (*link != i)
		link = &l->slots[*link].next_bucket;
	*link = s->next_bucket;
	list_unlink(l, i);
	s->used = false;
}

int64_t auth_limiter_wait(struct auth_limiter *l, const char *addr, int64_t now_ms)
{
	char key[AUTH_LIMIT_ADDR_MAX];
	addr_key(addr, key);
	uint32_t bucket = addr_bucket(key);
	int64_t wait_s = 0;
	if (atomic_load_explicit(&l->in_use, memory_order_acquire) == 0)
		return 0;
	pthread_mutex_lock(&l->mu);
	int32_t i = find(l, key, bucket);
	if (i != NO_SLOT && l->slots[i].until_ms > now_ms)
		wait_s = (l->slots[i].until_ms - now_ms + 999) / 1000;
	pthread_mutex_unlock(&l->mu);
	return wait_s;
}

/* The wait after `failures` failures in a row, in milliseconds. */
static int64_t delay_ms(uint32_t failures)
{
	if (failures <= AUTH_LIMIT_FREE)
		return 0;
	uint32_t doublings = failures - AUTH_LIMIT_FREE - 1;
	int64_t s = doublings >= 16 ? AUTH_LIMIT_MAX_S : (int64_t)1 << doublings;
	return (s < AUTH_LIMIT_MAX_S ? s : AUTH_LIMIT_MAX_S) * 1000;
}

void auth_limiter_failed(struct auth_limiter *l, const char *addr, int64_t now_ms)
{
	char key[AUTH_LIMIT_ADDR_MAX];
	addr_key(addr, key);
	uint32_t bucket = addr_bucket(key);
	pthread_mutex_lock(&l->mu);
	int32_t i = find(l, key, bucket);
	if (i == NO_SLOT) {
		if (l->free_head != NO_SLOT) {
			i = l->free_head;
			l->free_head = l->slots[i].newer;
			atomic_fetch_add_explicit(&l->in_use, 1, memory_order_release);
		} else {
			i = l->oldest; /* full: the least recently failed address gives way */
			release_slot(l, i);
		}
		struct limiter_slot *s = &l->slots[i];
		memcpy(s->addr, key, sizeof(key));
		s->failures = 0;
		s->bucket = bucket;
		s->next_bucket = l->buckets[bucket];
		l->buckets[bucket] = i;
		s->used = true;
	} else {
		list_unlink(l, i);
	}
	list_push_newest(l, i);
	struct limiter_slot *s = &l->slots[i];
	if (s->failures < UINT32_MAX)
		s->failures++;
	s->until_ms = now_ms + delay_ms(s->failures);
	pthread_mutex_unlock(&l->mu);
}

void auth_limiter_succeeded(struct auth_limiter *l, const char *addr)
{
	char key[AUTH_LIMIT_ADDR_MAX];
	addr_key(addr, key);
	uint32_t bucket = addr_bucket(key);
	if (atomic_load_explicit(&l->in_use, memory_order_acquire) == 0)
		return;
	pthread_mutex_lock(&l->mu);
	int32_t i = find(l, key, bucket);
	if (i != NO_SLOT) {
		release_slot(l, i);
		l->slots[i].newer = l->free_head;
		l->free_head = i;
		atomic_fetch_sub_explicit(&l->in_use, 1, memory_order_release);
	}
	pthread_mutex_unlock(&l->mu);
}
