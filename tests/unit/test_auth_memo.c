/*
 * test_auth_memo.c - the auth gate's memo (src/api/auth_memo.c): a run's
 * experiment remembered and replaced by a colliding run; a level
 * remembered per (user, kind, key) until its TTL ends, never across users,
 * kinds or keys; a change forgetting every level at once; a level read
 * before a change not remembered after it (the race a stale grant would
 * slip through); a TTL of 0 remembering nothing; keys too long for a slot
 * never remembered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/auth_memo.h"

static void test_runs(void **state)
{
	(void)state;
	struct auth_memo *m = auth_memo_new(1000);
	int64_t e = -1;
	assert_false(auth_memo_run_get(m, "0123456789abcdef0123456789abcdef", &e));
	auth_memo_run_put(m, "0123456789abcdef0123456789abcdef", 7);
	assert_true(auth_memo_run_get(m, "0123456789abcdef0123456789abcdef", &e));
	assert_int_equal(e, 7);
	assert_false(auth_memo_run_get(m, "0123456789abcdef0123456789abcdee", &e));
	assert_false(auth_memo_run_get(m, "", &e));
	/* many runs: each answer is its own run's or none, never another's */
	char id[40];
	for (int i = 0; i < 3 * AUTH_MEMO_SLOTS; i++) {
		snprintf(id, sizeof(id), "run-%d", i);
		auth_memo_run_put(m, id, i);
	}
	int hits = 0;
	for (int i = 0; i < 3 * AUTH_MEMO_SLOTS; i++) {
		snprintf(id, sizeof(id), "run-%d", i);
		if (auth_memo_run_get(m, id, &e)) {
			assert_int_equal(e, i);
			hits++;
		}
	}
	assert_true(hits > 0 && hits <= AUTH_MEMO_SLOTS);
	char long_id[100];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = 0;
	auth_memo_run_put(m, long_id, 3);
	assert_false(auth_memo_run_get(m, long_id, &e));
	auth_memo_free(m);
}

static void test_levels(void **state)
{
	(void)state;
	struct auth_memo *m = auth_memo_new(1000);
	enum auth_permission p = AUTH_PERM_NONE;
	uint64_t g = auth_memo_generation(m);
	auth_memo_level_put(m, g, 1, 0, "5", 100, AUTH_PERM_EDIT);
	assert_true(auth_memo_level_get(m, 1, 0, "5", 1099, &p));
	assert_int_equal(p, AUTH_PERM_EDIT);
	assert_false(auth_memo_level_get(m, 1, 0, "5", 1100, &p)); /* the TTL ended */
	assert_false(auth_memo_level_get(m, 2, 0, "5", 200, &p));  /* another user */
	assert_false(auth_memo_level_get(m, 1, 1, "5", 200, &p));  /* a model named "5" */
	assert_false(auth_memo_level_get(m, 1, 0, "50", 200, &p));
	/* a change forgets every level */
	auth_memo_level_put(m, g, 1, 0, "6", 100, AUTH_PERM_READ);
	assert_true(auth_memo_level_get(m, 1, 0, "6", 200, &p));
	auth_memo_levels_changed(m);
	assert_false(auth_memo_level_get(m, 1, 0, "6", 200, &p));
	/* read before the change, put after it: not remembered */
	auth_memo_level_put(m, g, 1, 0, "6", 300, AUTH_PERM_MANAGE);
	assert_false(auth_memo_level_get(m, 1, 0, "6", 400, &p));
	g = auth_memo_generation(m);
	auth_memo_level_put(m, g, 1, 0, "6", 300, AUTH_PERM_NONE);
	assert_true(auth_memo_level_get(m, 1, 0, "6", 400, &p));
	assert_int_equal(p, AUTH_PERM_NONE);
	auth_memo_free(m);

	m = auth_memo_new(0); /* TTL 0: nothing is remembered */
	auth_memo_level_put(m, auth_memo_generation(m), 1, 0, "5", 100, AUTH_PERM_EDIT);
	assert_false(auth_memo_level_get(m, 1, 0, "5", 100, &p));
	auth_memo_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
