/*
 * auth_cache.c - the short-lived memory of verified credentials.
 *
 * Entries live in a ring of `capacity` slots in the order they were put,
 * so the next put overwrites the oldest; an open-addressing index (linear
 * probing, deletion by backward shift, at most half full) finds an entry
 * by its key. The key is keyed BLAKE2b-256 over the scheme byte, then for
 * Basic the username, a 0 byte (a username holds no NUL) and the
 * password, for Bearer the token: uniformly distributed, so its first
 * bytes are the index's hash, and one-way, so nothing in memory gives the
 * password back. The BLAKE2b key is random per cache and wiped on free.
 */
#include "auth_cache.h"

#include <pthread.h>
#include <sodium.h>

#define CACHE_KEY_BYTES 32
#define NO_ENTRY UINT32_MAX

struct cache_entry {
	unsigned char key[CACHE_KEY_BYTES];
	struct auth_identity who;
	int64_t expires_ms;
	bool used;
};

struct auth_cache {
	pthread_mutex_t mu;
	unsigned char mac_key[crypto_generichash_KEYBYTES];
	int64_t ttl_ms;
	size_t capacity;
	size_t next; /* the ring slot the next new entry takes */
	struct cache_entry *entries;
	uint32_t *index; /* entry numbers, NO_ENTRY when empty */
	size_t index_mask;
};

struct auth_cache *auth_cache_new(size_t capacity, int64_t ttl_ms)
{
	if (sodium_init() < 0)
		return NULL;
	if (capacity > UINT32_MAX / 4)
		capacity = UINT32_MAX / 4;
	struct auth_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ttl_ms = ttl_ms > 0 ? ttl_ms : 0;
	c->capacity = c->ttl_ms ? capacity : 0;
	size_t slots = 2;
	while (slots < 2 * c->capacity)
		slots *= 2;
	c->entries = calloc(c->capacity ? c->capacity : 1, sizeof(*c->entries));
	c->index = malloc(slots * sizeof(*c->index));
	if (!c->entries || !c->index || pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->entries);
		free(c->index);
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < slots; i++)
		c->index[i] = NO_ENTRY;
	c->index_mask = slots - 1;
	crypto_generichash_keygen(c->mac_key);
	return c;
}

void auth_cache_free(struct auth_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	sodium_memzero(c->mac_key, sizeof(c->mac_key));
	sodium_memzero(c->entries, (c->capacity ? c->capacity : 1) * sizeof(*c->entries));
	free(c->entries);
	free(c->index);
	free(c);
}

/* The cache key of what `p` presents; false for a scheme we never cache. */
static bool presented_key(const struct auth_cache *c, const struct auth_presented *p,
			  unsigned char key[CACHE_KEY_BYTES])
{
	crypto_generichash_state st;
	unsigned char scheme;
	if (p->scheme == AUTH_BASIC && p->username && p->password)
		scheme = 'B';
	else if (p->scheme == AUTH_BEARER && p->token)
		scheme = 'T';
	else
		return false;
	crypto_generichash_init(&st, c->mac_key, sizeof(c->mac_key), CACHE_KEY_BYTES);
	crypto_generichash_update(&st, &scheme, 1);
	if (scheme == 'B') {
		crypto_generichash_update(&st, (const unsigned char *)p->username, strlen(p->username) + 1);
		crypto_generichash_update(&st, (const unsigned char *)p->password, p->password_len);
	} else {
		crypto_generichash_update(&st, (const unsigned char *)p->token, p->token_len);
	}
	crypto_generichash_final(&st, key, CACHE_KEY_BYTES);
	sodium_memzero(&st, sizeof(st));
	return true;
}

static size_t home_of(const struct auth_cache *c, const unsigned char key[CACHE_KEY_BYTES])
{
	uint64_t h;
	memcpy(&h, key, sizeof(h));
	return (size_t)h & c->index_mask;
}

/* The index position holding the entry with `key`, or of the empty slot
 * where it would go. */
static size_t probe(const struct auth_cache *c, const unsigned char key[CACHE_KEY_BYTES])
{
	size_t i = home_of(c, key);
	while (c->index[i] != NO_ENTRY && sodium_memcmp(c->entries[c->index[i]].key, key, CACHE_KEY_BYTES) != 0)
		i = (i + 1) & c->index_mask;
	return i;
}

/* Removes index position `i`, moving later entries of its probe run back
 * so every entry stays reachable from its home. */
static void index_delete(struct auth_cache *c, size_t i)
{
	size_t j = i;
	for (;;) {
		j = (j + 1) & c->index_mask;
		if (c->index[j] == NO_ENTRY)
			break;
		size_t k = home_of(c, c->entries[c->index[j]].key);
		/* the entry at j may move to i when its home is not in (i, j] */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			c->index[i] = c->index[j];
			i = j;
		}
	}
	c->index[i] = NO_ENTRY;
}

static void entry_drop(struct auth_cache *c, uint32_t e)
{
	index_delete(c, probe(c, c->entries[e].key));
	sodium_memzero(&c->entries[e], sizeof(c->entries[e]));
}

bool auth_cache_get(struct auth_cache *c, const struct auth_presented *p, int64_t now_ms, struct auth_identity *who)
{
	unsigned char key[CACHE_KEY_BYTES];
	if (!c || !c->capacity || !presented_key(c, p, key))
		return false;
	bool hit = false;
	pthread_mutex_lock(&c->mu);
	size_t i = probe(c, key);
	uint32_t e = c->index[i];
	if (e != NO_ENTRY) {
		if (c->entries[e].expires_ms > now_ms) {
			*who = c->entries[e].who;
			hit = true;
		} else {
			entry_drop(c, e);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void auth_cache_put(struct auth_cache *c, const struct auth_presented *p, int64_t now_ms,
		    const struct auth_identity *who)
{
	unsigned char key[CACHE_KEY_BYTES];
	if (!c || !c->capacity || !presented_key(c, p, key))
		return;
	pthread_mutex_lock(&c->mu);
	size_t i = probe(c, key);
	uint32_t e = c->index[i];
	if (e == NO_ENTRY) {
		e = (uint32_t)c->next;
		c->next = (c->next + 1) % c->capacity;
		if (c->entries[e].used) { /* the oldest gives way */
			entry_drop(c, e);
			i = probe(c, key);
		}
		memcpy(c->entries[e].key, key, CACHE_KEY_BYTES);
		c->entries[e].used = true;
		c->index[i] = e;
	}
	c->entries[e].who = *who;
	c->entries[e].who.username[AUTH_USERNAME_MAX] = '\0';
	c->entries[e].expires_ms = now_ms + c->ttl_ms;
	pthread_mutex_unlock(&c->mu);
}

void auth_cache_forget_user(struct auth_cache *c, int64_t user_id)
{
	if (!c || !c->capacity)
		return;
	pthread_mutex_lock(&c->mu);
	for (uint32_t e = 0; e < c->capacity; e++)
		if (c->entries[e].used && c->entries[e].who.user_id == user_id)
			entry_drop(c, e);
	pthread_mutex_unlock(&c->mu);
}
