/*
 * auth_memo.c - the auth gate's memo of run experiments and permission
 * levels (see auth_memo.h). A level's slot records the generation it was
 * written in; auth_memo_levels_changed bumps the generation, so every
 * older slot stops counting without being touched.
 */
#include "auth_memo.h"
#include "../base/xalloc.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct run_slot {
	char run_id[AUTH_MEMO_KEY_MAX];
	int64_t experiment_id;
};

struct level_slot {
	char key[AUTH_MEMO_KEY_MAX];
	int64_t user_id;
	int kind;
	uint64_t generation; /* 0: empty */
	int64_t expires_ms;
	enum auth_permission level;
};

struct auth_memo {
	int64_t ttl_ms;
	pthread_mutex_t run_mu, level_mu;
	uint64_t generation;
	struct run_slot runs[AUTH_MEMO_SLOTS];
	struct level_slot levels[AUTH_MEMO_SLOTS];
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static bool fits(const char *key)
{
	return strnlen(key, AUTH_MEMO_KEY_MAX) < AUTH_MEMO_KEY_MAX;
}

struct auth_memo *auth_memo_new(int64_t ttl_ms)
{
	struct auth_memo *m = xcalloc(1, sizeof(*m));
	m->ttl_ms = ttl_ms;
	m->generation = 1;
	pthread_mutex_init(&m->run_mu, NULL);
	pthread_mutex_init(&m->level_mu, NULL);
	return m;
}

void auth_memo_free(struct auth_memo *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->run_mu);
	pthread_mutex_destroy(&m->level_mu);
	free(m);
}

bool auth_memo_run_get(struct auth_memo *m, const char *run_id, int64_t *experiment_id)
{
	if (!fits(run_id) || !*run_id)
		return false;
	struct run_slot *s = &m->runs[fnv(1469598103934665603ULL, run_id) % AUTH_MEMO_SLOTS];
	pthread_mutex_lock(&m->run_mu);
	bool hit = strcmp(s->run_id, run_id) == 0;
	if (hit)
		*experiment_id = s->experiment_id;
	pthread_mutex_unlock(&m->run_mu);
	return hit;
}

void auth_memo_run_put(struct auth_memo *m, const char *run_id, int64_t experiment_id)
{
	if (!fits(run_id) || !*run_id)
		return;
	struct run_slot *s = &m->runs[fnv(1469598103934665603ULL, run_id) % AUTH_MEMO_SLOTS];
	pthread_mutex_lock(&m->run_mu);
	memcpy(s->run_id, run_id, strlen(run_id) + 1);
	s->experiment_id = experiment_id;
	pthread_mutex_unlock(&m->run_mu);
}

static struct level_slot *level_slot(struct auth_memo *m, int64_t user_id, int kind, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)user_id * 0x9E3779B97F4A7C15ULL ^ (uint64_t)kind;
	return &m->levels[fnv(h, key) % AUTH_MEMO_SLOTS];
}

bool auth_memo_level_get(struct auth_memo *m, int64_t user_id, int kind, const char *key, int64_t now_ms,
			 enum auth_permission *level)
{
	if (m->ttl_ms <= 0 || !fits(key))
		return false;
	struct level_slot *s = level_slot(m, user_id, kind, key);
	pthread_mutex_lock(&m->level_mu);
	bool hit = s->generation == m->generation && s->user_id == user_id && s->kind == kind &&
		   now_ms < s->expires_ms && strcmp(s->key, key) == 0;
	if (hit)
		*level = s->level;
	pthread_mutex_unlock(&m->level_mu);
	return hit;
}

uint64_t auth_memo_generation(struct auth_memo *m)
{
	pthread_mutex_lock(&m->level_mu);
	uint64_t g = m->generation;
	pthread_mutex_unlock(&m->level_mu);
	return g;
}

void auth_memo_level_put(struct auth_memo *m, uint64_t generation, int64_t user_id, int kind, const char *key,
			 int64_t now_ms, enum auth_permission level)
{
	if (m->ttl_ms <= 0 || !fits(key))
		return;
	struct level_slot *s = level_slot(m, user_id, kind, key);
	pthread_mutex_lock(&m->level_mu);
	if (generation != m->generation) { /* read before a change: stale */
		pthread_mutex_unlock(&m->level_mu);
		return;
	}
	memcpy(s->key, key, strlen(key) + 1);
	s->user_id = user_id;
	s->kind = kind;
	s->generation = m->generation;
	s->expires_ms = now_ms + m->ttl_ms;
	s->level = level;
	pthread_mutex_unlock(&m->level_mu);
}

void auth_memo_levels_changed(struct auth_memo *m)
{
	pthread_mutex_lock(&m->level_mu);
	m->generation++;
	pthread_mutex_unlock(&m->level_mu);
}
