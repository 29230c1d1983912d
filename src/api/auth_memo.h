/*
 * auth_memo.h - what the auth gate remembers between requests, so a client
 * logging metric after metric does not pay two extra reads on each: the
 * experiment of a run (it never changes: a run cannot move, and run ids
 * are never reused) and a user's level on a resource (remembered for the
 * credential cache's TTL; every change of permissions made through this
 * server forgets them all at once, other replicas' changes are seen when
 * the entries end, as for passwords).
 *
 * Both are direct-mapped tables of fixed size (memory bounded): a new
 * entry takes its slot from whatever was there. Keys longer than the
 * slots hold are not remembered (they are looked up each time).
 * Thread-safe (one mutex per table; a lookup is a hash and a compare).
 */
#ifndef MLF_AUTH_MEMO_H
#define MLF_AUTH_MEMO_H

#include "../auth/auth_permission.h"
#include "../base/common.h"

#define AUTH_MEMO_SLOTS 8192
#define AUTH_MEMO_KEY_MAX 64 /* bytes of a key a slot holds, with its NUL */

struct auth_memo;

/* A new, empty memo whose levels live `ttl_ms` (0: levels are never
 * remembered); owned by the caller (auth_memo_free). */
struct auth_memo *auth_memo_new(int64_t ttl_ms);
void auth_memo_free(struct auth_memo *m);

bool auth_memo_run_get(struct auth_memo *m, const char *run_id, int64_t *experiment_id);
void auth_memo_run_put(struct auth_memo *m, const char *run_id, int64_t experiment_id);

/* The level of user `user_id` on (`kind`, `key`); `now_ms` monotonic. */
bool auth_memo_level_get(struct auth_memo *m, int64_t user_id, int kind, const char *key, int64_t now_ms,
			 enum auth_permission *level);
/* Remembers a level read from the store. `generation` is what
 * auth_memo_generation said before the read: a level read before a
 * change is not remembered after it. */
uint64_t auth_memo_generation(struct auth_memo *m);
void auth_memo_level_put(struct auth_memo *m, uint64_t generation, int64_t user_id, int kind, const char *key,
			 int64_t now_ms, enum auth_permission level);
/* Forgets every remembered level (a permission, a user or a model changed). */
void auth_memo_levels_changed(struct auth_memo *m);

#endif
