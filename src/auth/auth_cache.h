/*
 * auth_cache.h - verified credentials remembered for a short time, so the
 * KDF (tens of ms, by design) is paid once per sign-in and not on every
 * request of a client logging metrics.
 *
 * An entry is keyed by a keyed BLAKE2b digest of (scheme, username,
 * password) or of the token, under a random key made when the cache is
 * made: the cache never holds a password, and its keys are useless outside
 * the process. It holds who the credentials proved (user id, name, admin
 * flag) until `ttl_ms` after it was verified (MLflow's
 * auth_cache_ttl_seconds; 0 turns the cache off). auth_cache_forget_user
 * drops a user's entries at once (password change, deletion, admin change,
 * token revocation on this server); other replicas see the change when
 * their entries expire, so the TTL bounds how long an old password still
 * works elsewhere. Fixed capacity; the oldest entry gives way. Thread-safe.
 */
#ifndef MLF_AUTH_CACHE_H
#define MLF_AUTH_CACHE_H

#include "../base/common.h"
#include "auth_credentials.h"

#define AUTH_USERNAME_MAX 255 /* MLflow's VARCHAR(255) */

struct auth_identity {
	int64_t user_id;
	char username[AUTH_USERNAME_MAX + 1];
	bool is_admin;
};

struct auth_cache;

/* A cache of at most `capacity` entries living `ttl_ms` each (owned by the
 * caller; auth_cache_free). NULL when out of memory or when the random key
 * cannot be made. */
struct auth_cache *auth_cache_new(size_t capacity, int64_t ttl_ms);
void auth_cache_free(struct auth_cache *c);

/* Whether `p` (AUTH_BASIC or AUTH_BEARER) was verified less than ttl ago;
 * fills *who. `now_ms`: a monotonic clock. */
bool auth_cache_get(struct auth_cache *c, const struct auth_presented *p, int64_t now_ms, struct auth_identity *who);

/* Remembers that `p` proved `who`. */
void auth_cache_put(struct auth_cache *c, const struct auth_presented *p, int64_t now_ms,
		    const struct auth_identity *who);

/* Drops every entry of user `user_id`. */
void auth_cache_forget_user(struct auth_cache *c, int64_t user_id);

#endif
