/*
 * auth_limiter.h - slowing down guessing: failed sign-ins are counted per
 * client address. AUTH_LIMIT_FREE failures in a row cost nothing; from the
 * next one on, an address must wait before its next attempt is even
 * checked: 1 s after the first extra failure (the AUTH_LIMIT_FREE+1th),
 * doubling with each further one, capped at AUTH_LIMIT_MAX_S.
 * A success clears the address. While it waits, a request is answered 429
 * with Retry-After (no password is checked, so no KDF runs and no worker
 * sleeps).
 *
 * The table has a fixed number of slots (memory bounded whatever the number
 * of addresses): a new address takes a free slot, else the slot least
 * recently failed. Addresses are compared as text (the caller passes the
 * peer's numeric address). Thread-safe (one mutex; the critical sections
 * are a few comparisons). Time is passed in, so tests drive a clock.
 */
#ifndef MLF_AUTH_LIMITER_H
#define MLF_AUTH_LIMITER_H

#include "../base/common.h"

#define AUTH_LIMIT_FREE 5      /* failures in a row before waiting starts */
#define AUTH_LIMIT_MAX_S 60    /* the longest wait, seconds */
#define AUTH_LIMIT_SLOTS 4096

struct auth_limiter;

/* A new, empty table (owned by the caller; auth_limiter_free). NULL when
 * out of memory. */
struct auth_limiter *auth_limiter_new(void);
void auth_limiter_free(struct auth_limiter *l);

/* 0 when `addr` may try now, else the seconds it still has to wait
 * (rounded up, >= 1). `now_ms`: a monotonic clock in milliseconds. */
int64_t auth_limiter_wait(struct auth_limiter *l, const char *addr, int64_t now_ms);

/* Records the outcome of a checked attempt from `addr`. */
void auth_limiter_failed(struct auth_limiter *l, const char *addr, int64_t now_ms);
void auth_limiter_succeeded(struct auth_limiter *l, const char *addr);

#endif
