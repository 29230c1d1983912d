/*
 * test_store_auth.c - users, permissions, tokens and the audit trail of the
 * store (store_auth.h), through the store_auth_*() front against whichever
 * backend MLF_TEST_STORE_URI names (SQLite in a temporary directory by
 * default): every operation, duplicates and missing rows with MLflow's
 * codes and messages, a user's delete taking its permissions and tokens,
 * a registered model's rows following a rename and a delete, tokens
 * (lookup by digest returning revoked and expired ones, list, revoking
 * someone else's refused, purge), audit paging, the front's refusals of
 * bad input (which write nothing), writers racing for one username or
 * permission (one wins, the others are told it exists), the takeover of
 * MLflow's basic_auth.db (made here with Python's sqlite3 module, at the
 * chain's first and last revision; twice changes nothing; a file that is
 * not MLflow's refused),
 * and, on SQLite, a store made before the auth migration gaining it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <pthread.h>
#include <sys/stat.h>

#include "store/schema_sqlite.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "store_fixture.h"

STORE_FIXTURE_SUITE("/srv/artifacts")

/* Asserts the last call failed with `code` and exactly `msg` (NULL: any message). */
static void expect_error(int rc, enum mlf_code code, const char *msg)
{
	assert_int_equal(rc, -1);
	assert_string_equal(mlf_code_name(err.code), mlf_code_name(code));
	if (msg)
		assert_string_equal(err.msg, msg);
}

static int64_t new_user(const char *name, bool admin)
{
	int64_t id = 0;
	if (store_auth_user_create(st, name, "argon2id$fake$hash", admin, &id, &err) != 0)
		fail_msg("create %s: %s", name, err.msg);
	assert_true(id > 0);
	return id;
}

static size_t count_perms_in(struct store *s, int64_t user, enum store_auth_resource r)
{
	struct arena a = ARENA_INIT;
	struct store_permission *p;
	size_t n = 99;
	assert_int_equal(store_auth_permission_list_user(s, user, r, &p, &n, &a, &err), 0);
	arena_release(&a);
	return n;
}

static size_t count_perms(int64_t user, enum store_auth_resource r)
{
	return count_perms_in(st, user, r);
}

static size_t count_tokens(int64_t user, enum store_token_kind kind)
{
	struct arena a = ARENA_INIT;
	struct store_token *t;
	size_t n = 99;
	assert_int_equal(store_auth_token_list(st, user, kind, &t, &n, &a, &err), 0);
	arena_release(&a);
	return n;
}

static void test_users(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	int64_t before = 0;
	assert_int_equal(store_auth_user_count_admins(st, &before, &err), 0);
	int64_t alice = new_user("alice", false);
	int64_t root = new_user("root", true);
	assert_true(root > alice);

	struct store_user u;
	assert_int_equal(store_auth_user_get(st, "alice", &u, &a, &err), 0);
	assert_int_equal(u.id, alice);
	assert_string_equal(u.username, "alice");
	assert_string_equal(u.password_hash, "argon2id$fake$hash");
	assert_false(u.is_admin);
	assert_true(u.created_time > 0);
	assert_int_equal(u.password_changed_time, 0);
	assert_int_equal(store_auth_user_get_by_id(st, root, &u, &a, &err), 0);
	assert_string_equal(u.username, "root");
	assert_true(u.is_admin);

	expect_error(store_auth_user_create(st, "alice", "h", false, NULL, &err), MLF_RESOURCE_ALREADY_EXISTS,
		     "User (username=alice) already exists");
	expect_error(store_auth_user_get(st, "nobody", &u, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "User with username=nobody not found");
	expect_error(store_auth_user_get_by_id(st, 987654, &u, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "User with id=987654 not found");
	expect_error(store_auth_user_set_password(st, "nobody", "h", &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "User with username=nobody not found");
	expect_error(store_auth_user_set_admin(st, "nobody", true, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "User with username=nobody not found");
	expect_error(store_auth_user_delete(st, "nobody", &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "User with username=nobody not found");

	assert_int_equal(store_auth_user_set_password(st, "alice", "scrypt:32768:8:1$salt$abcd", &err), 0);
	assert_int_equal(store_auth_user_get(st, "alice", &u, &a, &err), 0);
	assert_string_equal(u.password_hash, "scrypt:32768:8:1$salt$abcd");
	assert_true(u.password_changed_time >= u.created_time && u.password_changed_time > 0);

	int64_t n = 0;
	assert_int_equal(store_auth_user_count_admins(st, &n, &err), 0);
	assert_int_equal(n, before + 1);
	assert_int_equal(store_auth_user_set_admin(st, "alice", true, &err), 0);
	assert_int_equal(store_auth_user_count_admins(st, &n, &err), 0);
	assert_int_equal(n, before + 2);
	assert_int_equal(store_auth_user_set_admin(st, "alice", false, &err), 0);
	assert_int_equal(store_auth_user_get(st, "alice", &u, &a, &err), 0);
	assert_false(u.is_admin);

	struct store_user *list;
	size_t k = 0;
	assert_int_equal(store_auth_user_list(st, &list, &k, &a, &err), 0);
	bool saw_alice = false, saw_root = false;
	for (size_t i = 0; i < k; i++) {
		saw_alice |= list[i].id == alice && !strcmp(list[i].username, "alice");
		saw_root |= list[i].id == root && list[i].is_admin;
		if (i > 0)
			assert_true(list[i].id > list[i - 1].id);
	}
	assert_true(saw_alice && saw_root);

	/* a unicode name is a name */
	new_user("j\xc3\xbcrgen", false);
	assert_int_equal(store_auth_user_get(st, "j\xc3\xbcrgen", &u, &a, &err), 0);
	arena_release(&a);
}

static void test_permissions(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	int64_t bob = new_user("bob", false);
	struct store_permission p = { STORE_AUTH_EXPERIMENT, "12", bob, AUTH_PERM_READ };
	assert_int_equal(store_auth_permission_create(st, &p, &err), 0);
	expect_error(store_auth_permission_create(st, &p, &err), MLF_RESOURCE_ALREADY_EXISTS,
		     "Experiment permission (experiment_id=12, username=bob) already exists");
	struct store_permission got;
	assert_int_equal(store_auth_permission_get(st, STORE_AUTH_EXPERIMENT, "12", bob, &got, &a, &err), 0);
	assert_int_equal(got.resource, STORE_AUTH_EXPERIMENT);
	assert_string_equal(got.key, "12");
	assert_int_equal(got.user_id, bob);
	assert_int_equal(got.permission, AUTH_PERM_READ);

	p.permission = AUTH_PERM_MANAGE;
	assert_int_equal(store_auth_permission_update(st, &p, &err), 0);
	assert_int_equal(store_auth_permission_get(st, STORE_AUTH_EXPERIMENT, "12", bob, &got, &a, &err), 0);
	assert_int_equal(got.permission, AUTH_PERM_MANAGE);

	expect_error(store_auth_permission_get(st, STORE_AUTH_EXPERIMENT, "13", bob, &got, &a, &err),
		     MLF_RESOURCE_DOES_NOT_EXIST, "Experiment permission with experiment_id=13 and username=bob not found");
	struct store_permission other = { STORE_AUTH_EXPERIMENT, "13", bob, AUTH_PERM_EDIT };
	expect_error(store_auth_permission_update(st, &other, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Experiment permission with experiment_id=13 and username=bob not found");
	expect_error(store_auth_permission_delete(st, STORE_AUTH_EXPERIMENT, "13", bob, &err),
		     MLF_RESOURCE_DOES_NOT_EXIST, "Experiment permission with experiment_id=13 and username=bob not found");
	struct store_permission ghost = { STORE_AUTH_EXPERIMENT, "12", 987654, AUTH_PERM_READ };
	expect_error(store_auth_permission_create(st, &ghost, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "User with id=987654 not found");

	/* the same key on the other kind is another row */
	struct store_permission m = { STORE_AUTH_REGISTERED_MODEL, "12", bob, AUTH_PERM_EDIT };
	assert_int_equal(store_auth_permission_create(st, &m, &err), 0);
	expect_error(store_auth_permission_create(st, &m, &err), MLF_RESOURCE_ALREADY_EXISTS,
		     "Registered model permission (name=12, username=bob) already exists");
	expect_error(store_auth_permission_get(st, STORE_AUTH_REGISTERED_MODEL, "nope", bob, &got, &a, &err),
		     MLF_RESOURCE_DOES_NOT_EXIST, "Registered model permission with name=nope and username=bob not found");
	m.key = "a model";
	m.permission = AUTH_PERM_NONE;
	assert_int_equal(store_auth_permission_create(st, &m, &err), 0);
	assert_int_equal(store_auth_permission_get(st, STORE_AUTH_REGISTERED_MODEL, "a model", bob, &got, &a, &err), 0);
	assert_int_equal(got.permission, AUTH_PERM_NONE);
	m.permission = AUTH_PERM_USE;
	assert_int_equal(store_auth_permission_update(st, &m, &err), 0);
	assert_int_equal(store_auth_permission_get(st, STORE_AUTH_REGISTERED_MODEL, "a model", bob, &got, &a, &err), 0);
	assert_int_equal(got.permission, AUTH_PERM_USE);

	struct store_permission *list;
	size_t n = 0;
	assert_int_equal(store_auth_permission_list_user(st, bob, STORE_AUTH_REGISTERED_MODEL, &list, &n, &a, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].key, "12"); /* by key */
	assert_string_equal(list[1].key, "a model");
	assert_int_equal(list[1].resource, STORE_AUTH_REGISTERED_MODEL);
	assert_int_equal(count_perms(bob, STORE_AUTH_EXPERIMENT), 1);

	assert_int_equal(store_auth_permission_delete(st, STORE_AUTH_EXPERIMENT, "12", bob, &err), 0);
	assert_int_equal(count_perms(bob, STORE_AUTH_EXPERIMENT), 0);
	assert_int_equal(count_perms(bob, STORE_AUTH_REGISTERED_MODEL), 2);
	arena_release(&a);
}

static void test_model_keys_follow_rename_and_delete(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	int64_t u1 = new_user("carol", false), u2 = new_user("dave", false);
	struct store_permission p = { STORE_AUTH_REGISTERED_MODEL, "m-old", u1, AUTH_PERM_MANAGE };
	assert_int_equal(store_auth_permission_create(st, &p, &err), 0);
	p.user_id = u2;
	p.permission = AUTH_PERM_READ;
	assert_int_equal(store_auth_permission_create(st, &p, &err), 0);
	/* a stale row at the new name (an earlier model of that name) gives way */
	struct store_permission stale = { STORE_AUTH_REGISTERED_MODEL, "m-new", u2, AUTH_PERM_MANAGE };
	assert_int_equal(store_auth_permission_create(st, &stale, &err), 0);
	/* an experiment row with the same key is not the model's */
	struct store_permission e = { STORE_AUTH_EXPERIMENT, "m-old", u1, AUTH_PERM_EDIT };
	assert_int_equal(store_auth_permission_create(st, &e, &err), 0);

	assert_int_equal(store_auth_permission_rename_key(st, STORE_AUTH_REGISTERED_MODEL, "m-old", "m-new", &err), 0);
	struct store_permission got;
	expect_error(store_auth_permission_get(st, STORE_AUTH_REGISTERED_MODEL, "m-old", u1, &got, &a, &err),
		     MLF_RESOURCE_DOES_NOT_EXIST, NULL);
	assert_int_equal(store_auth_permission_get(st, STORE_AUTH_REGISTERED_MODEL, "m-new", u1, &got, &a, &err), 0);
	assert_int_equal(got.permission, AUTH_PERM_MANAGE);
	assert_int_equal(store_auth_permission_get(st, STORE_AUTH_REGISTERED_MODEL, "m-new", u2, &got, &a, &err), 0);
	assert_int_equal(got.permission, AUTH_PERM_READ);
	assert_int_equal(store_auth_permission_get(st, STORE_AUTH_EXPERIMENT, "m-old", u1, &got, &a, &err), 0);
	/* renaming a key nobody has is no error */
	assert_int_equal(store_auth_permission_rename_key(st, STORE_AUTH_REGISTERED_MODEL, "absent", "other", &err), 0);

	assert_int_equal(store_auth_permission_delete_key(st, STORE_AUTH_REGISTERED_MODEL, "m-new", &err), 0);
	assert_int_equal(count_perms(u1, STORE_AUTH_REGISTERED_MODEL), 0);
	assert_int_equal(count_perms(u2, STORE_AUTH_REGISTERED_MODEL), 0);
	assert_int_equal(count_perms(u1, STORE_AUTH_EXPERIMENT), 1);
	arena_release(&a);
}

static void test_user_delete_cascades(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	int64_t eve = new_user("eve", false), frank = new_user("frank", false);
	for (int64_t u = eve; u <= frank; u += frank - eve) {
		struct store_permission p = { STORE_AUTH_EXPERIMENT, "1", u, AUTH_PERM_READ };
		assert_int_equal(store_auth_permission_create(st, &p, &err), 0);
		p.resource = STORE_AUTH_REGISTERED_MODEL;
		assert_int_equal(store_auth_permission_create(st, &p, &err), 0);
	}
	int64_t tok;
	assert_int_equal(store_auth_token_create(st, eve, STORE_TOKEN_API, "ci", "digest-eve-1", 0, &tok, &err), 0);
	assert_int_equal(store_auth_token_create(st, eve, STORE_TOKEN_SESSION, NULL, "digest-eve-2", 0, &tok, &err), 0);
	assert_int_equal(store_auth_token_create(st, frank, STORE_TOKEN_API, "x", "digest-frank-1", 0, &tok, &err), 0);

	assert_int_equal(store_auth_user_delete(st, "eve", &err), 0);
	struct store_user u;
	expect_error(store_auth_user_get(st, "eve", &u, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST, NULL);
	assert_int_equal(count_perms(eve, STORE_AUTH_EXPERIMENT), 0);
	assert_int_equal(count_perms(eve, STORE_AUTH_REGISTERED_MODEL), 0);
	assert_int_equal(count_tokens(eve, STORE_TOKEN_API), 0);
	assert_int_equal(count_tokens(eve, STORE_TOKEN_SESSION), 0);
	struct store_token t;
	expect_error(store_auth_token_lookup(st, "digest-eve-1", &t, &u, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST, NULL);
	/* the other user keeps everything */
	assert_int_equal(count_perms(frank, STORE_AUTH_EXPERIMENT), 1);
	assert_int_equal(count_perms(frank, STORE_AUTH_REGISTERED_MODEL), 1);
	assert_int_equal(count_tokens(frank, STORE_TOKEN_API), 1);
	/* the name is free again, and a new user of it starts with nothing */
	int64_t eve2 = new_user("eve", false);
	assert_true(eve2 != eve);
	assert_int_equal(count_perms(eve2, STORE_AUTH_EXPERIMENT), 0);
	arena_release(&a);
}

static void test_tokens(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	int64_t gina = new_user("gina", false), hank = new_user("hank", true);
	int64_t t1, t2, t3, t4;
	assert_int_equal(store_auth_token_create(st, gina, STORE_TOKEN_API, "laptop", "d-gina-1", 0, &t1, &err), 0);
	assert_int_equal(store_auth_token_create(st, gina, STORE_TOKEN_API, "ci", "d-gina-2", 1000, &t2, &err), 0);
	assert_int_equal(store_auth_token_create(st, gina, STORE_TOKEN_SESSION, "", "d-gina-3", 2000, &t3, &err), 0);
	assert_int_equal(store_auth_token_create(st, hank, STORE_TOKEN_API, "h", "d-hank-1", 0, &t4, &err), 0);
	expect_error(store_auth_token_create(st, hank, STORE_TOKEN_API, "again", "d-gina-1", 0, NULL, &err),
		     MLF_RESOURCE_ALREADY_EXISTS, NULL);
	expect_error(store_auth_token_create(st, 987654, STORE_TOKEN_API, "x", "d-ghost", 0, NULL, &err),
		     MLF_RESOURCE_DOES_NOT_EXIST, "User with id=987654 not found");

	struct store_token t;
	struct store_user u;
	assert_int_equal(store_auth_token_lookup(st, "d-gina-1", &t, &u, &a, &err), 0);
	assert_int_equal(t.id, t1);
	assert_int_equal(t.user_id, gina);
	assert_int_equal(t.kind, STORE_TOKEN_API);
	assert_string_equal(t.name, "laptop");
	assert_true(t.created_time > 0);
	assert_int_equal(t.expiry_time, 0);
	assert_int_equal(t.last_used_time, 0);
	assert_false(t.revoked);
	assert_int_equal(u.id, gina);
	assert_string_equal(u.username, "gina");
	assert_string_equal(u.password_hash, "argon2id$fake$hash");
	expect_error(store_auth_token_lookup(st, "d-none", &t, &u, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST, NULL);

	/* an expired one is returned: the caller judges it */
	assert_int_equal(store_auth_token_lookup(st, "d-gina-2", &t, &u, &a, &err), 0);
	assert_int_equal(t.expiry_time, 1000);
	assert_int_equal(store_auth_token_lookup(st, "d-gina-3", &t, &u, &a, &err), 0);
	assert_int_equal(t.kind, STORE_TOKEN_SESSION);
	assert_string_equal(t.name, "");

	struct store_token *list;
	size_t n = 0;
	assert_int_equal(store_auth_token_list(st, gina, STORE_TOKEN_API, &list, &n, &a, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, t1);
	assert_int_equal(list[1].id, t2);
	assert_int_equal(count_tokens(gina, STORE_TOKEN_SESSION), 1);

	/* touch: stamped once, then not again within the minute */
	assert_int_equal(store_auth_token_touch(st, t1, &err), 0);
	assert_int_equal(store_auth_token_lookup(st, "d-gina-1", &t, &u, &a, &err), 0);
	int64_t used = t.last_used_time;
	assert_true(used >= t.created_time && used > 0);
	assert_int_equal(store_auth_token_touch(st, 987654, &err), 0); /* a gone token: nothing to stamp */

	/* revoking someone else's token is refused and changes nothing */
	expect_error(store_auth_token_revoke(st, hank, t1, &err), MLF_RESOURCE_DOES_NOT_EXIST, NULL);
	assert_int_equal(store_auth_token_lookup(st, "d-gina-1", &t, &u, &a, &err), 0);
	assert_false(t.revoked);
	expect_error(store_auth_token_revoke(st, gina, 987654, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Token with id=987654 not found");
	assert_int_equal(store_auth_token_revoke(st, gina, t1, &err), 0);
	assert_int_equal(store_auth_token_lookup(st, "d-gina-1", &t, &u, &a, &err), 0);
	assert_true(t.revoked);
	assert_int_equal(store_auth_token_revoke(st, gina, t1, &err), 0); /* again: still revoked */

	/* purge: those that expired before the time go, never-expiring ones stay */
	int64_t purged = -1;
	assert_int_equal(store_auth_token_purge_expired(st, 1500, &purged, &err), 0);
	assert_int_equal(purged, 1);
	expect_error(store_auth_token_lookup(st, "d-gina-2", &t, &u, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST, NULL);
	assert_int_equal(store_auth_token_lookup(st, "d-gina-3", &t, &u, &a, &err), 0);
	assert_int_equal(store_auth_token_purge_expired(st, 1500, &purged, &err), 0);
	assert_int_equal(purged, 0);
	assert_int_equal(store_auth_token_purge_expired(st, 3000, &purged, &err), 0);
	assert_int_equal(purged, 1);
	assert_int_equal(store_auth_token_lookup(st, "d-gina-1", &t, &u, &a, &err), 0);
	assert_int_equal(store_auth_token_lookup(st, "d-hank-1", &t, &u, &a, &err), 0);
	arena_release(&a);
}

static void test_audit(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_audit_entry e[25];
	for (int i = 0; i < 25; i++)
		e[i] = (struct store_audit_entry){
			.time = 1000 + i * 10,
			.username = i % 5 == 0 ? NULL : (i % 2 ? "ivy" : "jack"),
			.method = "POST",
			.path = i % 3 ? "/api/2.0/mlflow/runs/log-metric" : "/api/2.0/mlflow/experiments/create",
			.status = i == 7 ? 403 : 200,
			.resource = i % 4 ? "run-1" : NULL,
		};
	assert_int_equal(store_auth_audit_append(st, e, 20, &err), 0);
	assert_int_equal(store_auth_audit_append(st, e + 20, 5, &err), 0);
	assert_int_equal(store_auth_audit_append(st, e, 0, &err), 0);

	/* all of it, newest first, in pages of 10 */
	struct store_audit_query q = { .max_results = 10 };
	struct store_audit_row *rows;
	size_t n = 0, total = 0;
	int64_t expect_time = 1000 + 24 * 10, last_id = 0;
	for (int page = 0; page < 5; page++) {
		assert_int_equal(store_auth_audit_search(st, &q, &rows, &n, &a, &err), 0);
		for (size_t i = 0; i < n; i++, expect_time -= 10) {
			assert_int_equal(rows[i].e.time, expect_time);
			if (last_id)
				assert_true(rows[i].id < last_id);
			last_id = rows[i].id;
		}
		total += n;
		if (n < 10)
			break;
		q.before_id = rows[n - 1].id;
	}
	assert_int_equal(total, 25);

	/* the entry's fields come back as written */
	q = (struct store_audit_query){ .since = 1070, .until = 1071, .max_results = 5 };
	assert_int_equal(store_auth_audit_search(st, &q, &rows, &n, &a, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].e.username, "ivy");
	assert_string_equal(rows[0].e.method, "POST");
	assert_string_equal(rows[0].e.path, "/api/2.0/mlflow/runs/log-metric");
	assert_int_equal(rows[0].e.status, 403);
	assert_string_equal(rows[0].e.resource, "run-1");
	q.since = 1000;
	q.until = 1001;
	assert_int_equal(store_auth_audit_search(st, &q, &rows, &n, &a, &err), 0);
	assert_int_equal(n, 1);
	assert_null(rows[0].e.username);
	assert_null(rows[0].e.resource);

	/* one user, within a time window ([since, until)) */
	q = (struct store_audit_query){ .since = 1050, .until = 1150, .username = "jack", .max_results = 100 };
	assert_int_equal(store_auth_audit_search(st, &q, &rows, &n, &a, &err), 0);
	/* i in 5..14, even, not a multiple of 5: 6, 8, 12, 14 */
	assert_int_equal(n, 4);
	assert_int_equal(rows[0].e.time, 1140);
	assert_int_equal(rows[3].e.time, 1060);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(rows[i].e.username, "jack");

	expect_error(store_auth_audit_search(st, &(struct store_audit_query){ .max_results = 0 }, &rows, &n, &a, &err),
		     MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_error(store_auth_audit_search(st, &(struct store_audit_query){ .max_results = 10001 }, &rows, &n, &a,
					     &err),
		     MLF_INVALID_PARAMETER_VALUE, NULL);
	struct store_audit_entry bad = { .time = 1, .method = "", .path = "/x", .status = 200 };
	expect_error(store_auth_audit_append(st, &bad, 1, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	arena_release(&a);
}

static void test_front_refuses_bad_input(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	const char *bad_names[] = { "", "tab\tname", "new\nline", "del\x7f", "c1\xc2\x85", "bad\xff utf8", longname };
	size_t users_before = 0;
	struct store_user *list;
	assert_int_equal(store_auth_user_list(st, &list, &users_before, &a, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		expect_error(store_auth_user_create(st, bad_names[i], "h", false, NULL, &err),
			     MLF_INVALID_PARAMETER_VALUE, NULL);
		struct store_user u;
		expect_error(store_auth_user_get(st, bad_names[i], &u, &a, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	}
	expect_error(store_auth_user_create(st, NULL, "h", false, NULL, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_error(store_auth_user_create(st, "kim", "", false, NULL, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_error(store_auth_user_create(st, "kim", NULL, false, NULL, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	/* 255 bytes is a name, 256 is not */
	longname[255] = '\0';
	int64_t id = new_user(longname, false);
	longname[255] = 'x';
	longname[256] = '\0';
	expect_error(store_auth_user_create(st, longname, "h", false, NULL, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	size_t users_after = 0;
	assert_int_equal(store_auth_user_list(st, &list, &users_after, &a, &err), 0);
	assert_int_equal(users_after, users_before + 1); /* only the 255-byte one */

	struct store_permission p = { STORE_AUTH_EXPERIMENT, "1", id, (enum auth_permission)42 };
	expect_error(store_auth_permission_create(st, &p, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	p.permission = (enum auth_permission)-1;
	expect_error(store_auth_permission_create(st, &p, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_error(store_auth_permission_update(st, &p, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	p.permission = AUTH_PERM_READ;
	p.key = "";
	expect_error(store_auth_permission_create(st, &p, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	p.key = NULL;
	expect_error(store_auth_permission_create(st, &p, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	p.key = longname;
	expect_error(store_auth_permission_create(st, &p, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	p.key = "1";
	p.resource = (enum store_auth_resource)7;
	expect_error(store_auth_permission_create(st, &p, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	assert_int_equal(count_perms(id, STORE_AUTH_EXPERIMENT), 0);
	expect_error(store_auth_permission_rename_key(st, STORE_AUTH_REGISTERED_MODEL, "a", "", &err),
		     MLF_INVALID_PARAMETER_VALUE, NULL);

	expect_error(store_auth_token_create(st, id, STORE_TOKEN_API, "x", "", 0, NULL, &err),
		     MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_error(store_auth_token_create(st, id, (enum store_token_kind)9, "x", "d-kim", 0, NULL, &err),
		     MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_error(store_auth_token_create(st, id, STORE_TOKEN_API, "x", "d-kim", -5, NULL, &err),
		     MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_error(store_auth_token_create(st, id, STORE_TOKEN_API, "bad\nname", "d-kim", 0, NULL, &err),
		     MLF_INVALID_PARAMETER_VALUE, NULL);
	assert_int_equal(count_tokens(id, STORE_TOKEN_API), 0);
	arena_release(&a);
}

/* ---- the takeover of MLflow's basic_auth.db --------------------------------------------- */

/* Writes MLflow's auth database to `path` with Python's sqlite3 module:
 * the tables of revision `rev` as its migrations make them (the later
 * revisions' tables when `later`), users alice (admin, a Werkzeug scrypt
 * hash) and bob (pbkdf2), their permissions, and in `extra_sql` anything
 * else. */
static void make_mlflow_auth_db(const char *path, const char *rev, bool later, const char *extra_sql)
{
	char script[4096], py[128], cmd[512];
	snprintf(py, sizeof(py), "%s/make_auth_db.py", fx.dir);
	snprintf(
		script, sizeof(script),
		"import sqlite3, sys\n"
		"db = sqlite3.connect(sys.argv[1])\n"
		"db.executescript('''\n"
		"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n"
		"CREATE TABLE users (id INTEGER NOT NULL, username VARCHAR(255), password_hash VARCHAR(255), is_admin BOOLEAN, PRIMARY KEY (id), UNIQUE (username));\n"
		"CREATE TABLE experiment_permissions (id INTEGER NOT NULL, experiment_id VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id), CONSTRAINT fk_user_id FOREIGN KEY(user_id) REFERENCES users (id), CONSTRAINT unique_experiment_user UNIQUE (experiment_id, user_id));\n"
		"%s\n"
		"INSERT INTO users VALUES (1, 'mlf_alice', 'scrypt:32768:8:1$AbCdEfGh12345678$00ff', 1);\n"
		"INSERT INTO users VALUES (2, 'mlf_bob', 'pbkdf2:sha256:600000$saltsaltsaltsalt$beef', 0);\n"
		"INSERT INTO users VALUES (3, 'mlf_carl', 'pbkdf2:sha256:260000$0123456789abcdef$cafe', NULL);\n"
		"INSERT INTO experiment_permissions VALUES (1, '1', 2, 'READ');\n"
		"INSERT INTO experiment_permissions VALUES (2, '7', 2, 'MANAGE');\n"
		"INSERT INTO experiment_permissions VALUES (3, '7', 3, 'NO_PERMISSIONS');\n"
		"INSERT INTO experiment_permissions VALUES (4, '9', 99, 'EDIT');\n"
		"%s\n"
		"''')\n"
		"db.execute('INSERT INTO alembic_version VALUES (?)', (sys.argv[2],))\n"
		"db.commit()\n",
		later ? "CREATE TABLE registered_model_permissions (id INTEGER NOT NULL, name VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), workspace VARCHAR(63) DEFAULT 'default' NOT NULL, PRIMARY KEY (id), CONSTRAINT unique_workspace_name_user UNIQUE (workspace, name, user_id));\n"
			"CREATE TABLE scorer_permissions (id INTEGER NOT NULL, experiment_id VARCHAR(255) NOT NULL, scorer_name VARCHAR(256) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id));\n"
			"CREATE TABLE gateway_secret_permissions (id INTEGER NOT NULL, secret_id VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id));\n"
			"CREATE TABLE gateway_endpoint_permissions (id INTEGER NOT NULL, endpoint_id VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id));\n"
			"CREATE TABLE gateway_model_definition_permissions (id INTEGER NOT NULL, model_definition_id VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id));\n"
			"CREATE TABLE workspace_permissions (workspace VARCHAR(63) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(32) NOT NULL, CONSTRAINT workspace_permissions_pk PRIMARY KEY (workspace, user_id));\n"
			"CREATE TABLE roles (id INTEGER NOT NULL, name VARCHAR(255) NOT NULL, workspace VARCHAR(63) NOT NULL, description VARCHAR(1024), PRIMARY KEY (id), UNIQUE (workspace, name));\n"
			"CREATE TABLE role_permissions (id INTEGER NOT NULL, role_id INTEGER NOT NULL, resource_type VARCHAR(64) NOT NULL, resource_pattern VARCHAR(255) NOT NULL, permission VARCHAR(255) NOT NULL, PRIMARY KEY (id));\n"
			"CREATE TABLE user_role_assignments (id INTEGER NOT NULL, user_id INTEGER NOT NULL, role_id INTEGER NOT NULL, PRIMARY KEY (id), UNIQUE (user_id, role_id));\n"
			"INSERT INTO registered_model_permissions VALUES (1, 'model-a', 1, 'EDIT', 'default');\n"
			"INSERT INTO registered_model_permissions VALUES (2, 'model-a', 2, 'READ', 'default');\n"
			"INSERT INTO registered_model_permissions VALUES (3, 'model-b', 2, 'MANAGE', 'team-x');\n"
		      : "CREATE TABLE registered_model_permissions (id INTEGER NOT NULL, name VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id), CONSTRAINT fk_user_id FOREIGN KEY(user_id) REFERENCES users (id), CONSTRAINT unique_name_user UNIQUE (name, user_id));\n"
			"INSERT INTO registered_model_permissions VALUES (1, 'model-a', 1, 'EDIT');\n"
			"INSERT INTO registered_model_permissions VALUES (2, 'model-a', 2, 'READ');\n",
		extra_sql ? extra_sql : "");
	FILE *f = fopen(py, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -f '%s' && /usr/bin/python3 '%s' '%s' '%s'", path, py, path, rev);
	assert_int_equal(system(cmd), 0);
}

/* A fresh store of the backend under test, for a takeover of its own. */
static struct store *fresh_store(struct store_fixture *f)
{
	struct store *s = store_fixture_open(f, "/srv/artifacts", &err);
	assert_non_null(s);
	return s;
}

static void check_taken_users(struct store *s, bool later)
{
	struct arena a = ARENA_INIT;
	struct store_user u;
	assert_int_equal(store_auth_user_get(s, "mlf_alice", &u, &a, &err), 0);
	assert_true(u.is_admin);
	assert_string_equal(u.password_hash, "scrypt:32768:8:1$AbCdEfGh12345678$00ff");
	int64_t alice = u.id;
	assert_int_equal(store_auth_user_get(s, "mlf_bob", &u, &a, &err), 0);
	assert_false(u.is_admin);
	assert_string_equal(u.password_hash, "pbkdf2:sha256:600000$saltsaltsaltsalt$beef");
	int64_t bob = u.id;

	struct store_permission p;
	assert_int_equal(store_auth_permission_get(s, STORE_AUTH_EXPERIMENT, "1", bob, &p, &a, &err), 0);
	assert_int_equal(p.permission, AUTH_PERM_READ);
	assert_int_equal(store_auth_permission_get(s, STORE_AUTH_EXPERIMENT, "7", bob, &p, &a, &err), 0);
	assert_int_equal(p.permission, AUTH_PERM_MANAGE);
	assert_int_equal(store_auth_permission_get(s, STORE_AUTH_REGISTERED_MODEL, "model-a", alice, &p, &a, &err), 0);
	assert_int_equal(p.permission, AUTH_PERM_EDIT);
	assert_int_equal(store_auth_permission_get(s, STORE_AUTH_REGISTERED_MODEL, "model-a", bob, &p, &a, &err), 0);
	assert_int_equal(p.permission, AUTH_PERM_READ);
	/* another workspace's row is not the default namespace's */
	(void)later;
	expect_error(store_auth_permission_get(s, STORE_AUTH_REGISTERED_MODEL, "model-b", bob, &p, &a, &err),
		     MLF_RESOURCE_DOES_NOT_EXIST, NULL);
	arena_release(&a);
}

static void takeover_revision(const char *rev, bool later)
{
	struct store_fixture f = { 0 };
	struct store *s = fresh_store(&f);
	char path[128];
	snprintf(path, sizeof(path), "%s/basic_auth.db", f.dir);
	make_mlflow_auth_db(path, rev, later, NULL);
	struct stat before;
	assert_int_equal(stat(path, &before), 0);

	/* a user the store has already is left as it is */
	int64_t carl = 0;
	assert_int_equal(store_auth_user_create(s, "mlf_carl", "argon2id$mine", true, &carl, &err), 0);

	struct store_auth_takeover_report rep;
	if (store_auth_takeover(s, path, &rep, &err) != 0)
		fail_msg("takeover at %s: %s", rev, err.msg);
	assert_int_equal(rep.users_found, 3);
	assert_int_equal(rep.users_created, 2);
	/* rows of users of the file: bob 2 + carl 1 experiment, model-a twice (+ model-b at 3.10+ is
	 * another workspace's, not counted) */
	assert_int_equal(rep.permissions_found, 5);
	assert_int_equal(rep.permissions_created, 4);
	check_taken_users(s, later);
	struct arena a = ARENA_INIT;
	struct store_user u;
	assert_int_equal(store_auth_user_get(s, "mlf_carl", &u, &a, &err), 0);
	assert_string_equal(u.password_hash, "argon2id$mine");
	assert_true(u.is_admin);
	assert_int_equal(count_perms_in(s, carl, STORE_AUTH_EXPERIMENT), 0);
	/* the file is left as it was: same bytes and time, nothing made beside it */
	struct stat after;
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	char beside[160];
	snprintf(beside, sizeof(beside), "%s-shm", path);
	assert_int_not_equal(access(beside, F_OK), 0);
	snprintf(beside, sizeof(beside), "%s-journal", path);
	assert_int_not_equal(access(beside, F_OK), 0);

	/* twice: nothing changes */
	size_t n_before = 0, n_after = 0;
	struct store_user *list;
	assert_int_equal(store_auth_user_list(s, &list, &n_before, &a, &err), 0);
	assert_int_equal(store_auth_takeover(s, path, &rep, &err), 0);
	assert_int_equal(rep.users_found, 3);
	assert_int_equal(rep.users_created, 0);
	assert_int_equal(rep.permissions_created, 0);
	assert_int_equal(store_auth_user_list(s, &list, &n_after, &a, &err), 0);
	assert_int_equal(n_after, n_before);
	check_taken_users(s, later);
	arena_release(&a);
	store_fixture_close(&f, s);
}

static void test_takeover_first_revision(void **state)
{
	(void)state;
	takeover_revision("8606fa83a998", false);
}

static void test_takeover_last_revision(void **state)
{
	(void)state;
	takeover_revision("c3d4e5f6a7b8", true);
}

static size_t count_users(struct store *s)
{
	struct arena a = ARENA_INIT;
	struct store_user *list;
	size_t n = 0;
	assert_int_equal(store_auth_user_list(s, &list, &n, &a, &err), 0);
	arena_release(&a);
	return n;
}

static void expect_refused(struct store *s, const char *path, const char *says)
{
	struct store_auth_takeover_report rep;
	expect_error(store_auth_takeover(s, path, &rep, &err), MLF_INVALID_PARAMETER_VALUE, NULL);
	if (!strstr(err.msg, says))
		fail_msg("'%s' does not say '%s'", err.msg, says);
	assert_int_equal(rep.users_created, 0);
	assert_int_equal(count_users(s), 0);
}

static void test_takeover_refusals(void **state)
{
	(void)state;
	struct store_fixture f = { 0 };
	struct store *s = fresh_store(&f);
	char path[128], cmd[512];

	snprintf(path, sizeof(path), "%s/absent.db", f.dir);
	expect_refused(s, path, "does not exist");
	expect_refused(s, f.dir, "is not a database file");

	snprintf(path, sizeof(path), "%s/text.db", f.dir);
	snprintf(cmd, sizeof(cmd), "echo 'users, but not SQLite' > '%s'", path);
	assert_int_equal(system(cmd), 0);
	expect_refused(s, path, "is not MLflow's auth database");

	/* SQLite with a users table but no alembic_version */
	snprintf(path, sizeof(path), "%s/other.db", f.dir);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c \"import sqlite3; db = sqlite3.connect('%s'); "
		 "db.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, password_hash TEXT, is_admin INT)'); "
		 "db.execute('INSERT INTO users VALUES (1, 0, 0, 0)'); db.commit()\"",
		 path);
	assert_int_equal(system(cmd), 0);
	expect_refused(s, path, "is not MLflow's auth database");

	/* a revision of another alembic chain (MLflow's tracking database) */
	snprintf(path, sizeof(path), "%s/tracking.db", f.dir);
	make_mlflow_auth_db(path, "1b5f0d9ad7c1", false, NULL);
	expect_refused(s, path, "not one of MLflow's auth database revisions");
	/* a later revision this mlflowc does not know */
	make_mlflow_auth_db(path, "e5f6a7b8c9d0", true, NULL);
	expect_refused(s, path, "e5f6a7b8c9d0");

	/* a row the store cannot keep refuses the whole file before any write */
	snprintf(path, sizeof(path), "%s/bad_row.db", f.dir);
	make_mlflow_auth_db(path, "8606fa83a998", false, "INSERT INTO users VALUES (4, char(122,10,122), 'h', 0);");
	expect_refused(s, path, "user 'z");
	make_mlflow_auth_db(path, "8606fa83a998", false, "INSERT INTO experiment_permissions VALUES (9, '3', 1, 'OWNER');");
	expect_refused(s, path, "'OWNER'");
	make_mlflow_auth_db(path, "8606fa83a998", false, "INSERT INTO users VALUES (4, 'nohash', NULL, 0);");
	expect_refused(s, path, "no password hash");

	/* an mlflowc store is not MLflow's auth database either */
	const char *own = store_fixture_sqlite_path(&fx);
	if (own)
		expect_refused(s, own, "is not MLflow's auth database");
	store_fixture_close(&f, s);
}

/* A store made before the auth migration (SQLite, migrations 1..4 as the
 * previous release applied them) gains the tables on open, keeping its rows. */
static void test_old_sqlite_store_migrates(void **state)
{
	(void)state;
	if (!store_fixture_sqlite_path(&fx))
		skip();
	char dir[] = "/tmp/mlflowc-test-auth-old-XXXXXX", path[128], cmd[160];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (size_t i = 0; i < 4; i++) {
		char *msg = NULL;
		if (sqlite3_exec(db, schema_sqlite_migrations[i], NULL, NULL, &msg) != SQLITE_OK)
			fail_msg("migration %zu: %s", i + 1, msg);
	}
	assert_int_equal(sqlite3_exec(db,
				      "PRAGMA user_version=4;"
				      "INSERT INTO experiments (experiment_id, name, artifact_location, creation_time,"
				      " last_update_time) VALUES (0, 'Default', '/srv/artifacts/0', 1, 1);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	char uri[160];
	snprintf(uri, sizeof(uri), "sqlite:///%s", path);
	struct store *s = store_open(uri, &(struct store_options){ .artifact_root = "/srv/artifacts" }, &err);
	if (!s)
		fail_msg("open: %s", err.msg);
	struct arena a = ARENA_INIT;
	struct store_experiment e;
	assert_int_equal(store_experiment_get(s, 0, &e, &a, &err), 0);
	assert_string_equal(e.name, "Default");
	int64_t id = 0;
	assert_int_equal(store_auth_user_create(s, "old", "h", true, &id, &err), 0);
	struct store_user u;
	assert_int_equal(store_auth_user_get(s, "old", &u, &a, &err), 0);
	arena_release(&a);
	store_close(s);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), (int)ARRAY_SIZE(schema_sqlite_migrations));
	sqlite3_finalize(q);
	sqlite3_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- racing writers ------------------------------------------------------------------ */

#define RACERS 6

struct racer {
	int64_t user_id; /* 0: create the user; else its permission */
	int rc;
	enum mlf_code code;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct mlf_err e;
	if (r->user_id == 0) {
		r->rc = store_auth_user_create(st, "racer", "h", false, NULL, &e);
	} else {
		struct store_permission p = { STORE_AUTH_EXPERIMENT, "77", r->user_id, AUTH_PERM_EDIT };
		r->rc = store_auth_permission_create(st, &p, &e);
	}
	r->code = r->rc ? e.code : MLF_INTERNAL_ERROR;
	return NULL;
}

/* Writers racing for one username, then for one permission row: one
 * wins, every other one is told the row exists (never an internal error). */
static void test_racing_creates(void **state)
{
	(void)state;
	for (int round = 0; round < 2; round++) {
		int64_t uid = 0;
		if (round == 1) {
			struct arena a = ARENA_INIT;
			struct store_user u;
			assert_int_equal(store_auth_user_get(st, "racer", &u, &a, &err), 0);
			uid = u.id;
			arena_release(&a);
		}
		pthread_t t[RACERS];
		struct racer r[RACERS];
		for (int i = 0; i < RACERS; i++) {
			r[i] = (struct racer){ .user_id = uid };
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		int won = 0;
		for (int i = 0; i < RACERS; i++) {
			pthread_join(t[i], NULL);
			if (r[i].rc == 0)
				won++;
			else
				assert_string_equal(mlf_code_name(r[i].code), mlf_code_name(MLF_RESOURCE_ALREADY_EXISTS));
		}
		assert_int_equal(won, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_model_keys_follow_rename_and_delete),
		cmocka_unit_test(test_user_delete_cascades),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_front_refuses_bad_input),
		cmocka_unit_test(test_racing_creates),
		cmocka_unit_test(test_takeover_first_revision),
		cmocka_unit_test(test_takeover_last_revision),
		cmocka_unit_test(test_takeover_refusals),
		cmocka_unit_test(test_old_sqlite_store_migrates),
	};
	return cmocka_run_group_tests(tests, store_suite_setup, store_suite_teardown);
}
