/*
 * test_registry.c - the model registry through its store ops, without
 * HTTP, on a temporary SQLite store: version numbering, the stage state
 * machine with archive_existing_versions, latest-per-stage, alias moves,
 * the append-only history, renames, deletes, and failed writes changing
 * nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/registry.h"
#include "store/store.h"
#include "store_fixture.h"

STORE_FIXTURE_SUITE("/srv/artifacts")
static const struct store_actor alice = { "alice", "ship it" };

/* Creates a model with `n` versions from an s3 source. */
static void model_with_versions(const char *name, int n, struct arena *a)
{
	struct store_registered_model m;
	struct store_model_version v;
	assert_int_equal(store_registered_model_create(st, name, "", NULL, 0, &m, a, &err), 0);
	for (int i = 1; i <= n; i++) {
		struct store_version_create vc = { .name = name, .source = "s3://b/model" };
		assert_int_equal(store_model_version_create(st, &vc, &v, a, &err), 0);
		assert_int_equal(v.version, i);
		assert_string_equal(v.current_stage, "None");
		assert_string_equal(v.status, "READY");
	}
}

static const char *stage_of(const char *name, int64_t version, struct arena *a)
{
	struct store_model_version v;
	assert_int_equal(store_model_version_get(st, name, version, &v, a, &err), 0);
	return v.current_stage;
}

static void test_versions_are_numbered_and_never_reused(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_model_version v;
	model_with_versions("numbered", 3, &a);
	assert_int_equal(store_model_version_delete(st, "numbered", 3, &err), 0);
	assert_int_equal(store_model_version_get(st, "numbered", 3, &v, &a, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	assert_string_equal(err.msg, "Model Version (name=numbered, version=3) not found");
	struct store_version_create vc = { .name = "numbered", .source = "s3://b/m2" };
	assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), 0);
	assert_int_equal(v.version, 4);
	vc.name = "no-such-model";
	assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	arena_release(&a);
}

static void test_stage_machine_and_archiving(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_model_version v;
	model_with_versions("staged", 4, &a);
	assert_int_equal(store_model_version_transition(st, "staged", 1, "Production", false, &alice, &v, &a, &err), 0);
	assert_string_equal(v.current_stage, "Production");
	assert_int_equal(store_model_version_transition(st, "staged", 2, "Production", false, &alice, &v, &a, &err), 0);
	assert_int_equal(store_model_version_transition(st, "staged", 3, "Staging", false, &alice, &v, &a, &err), 0);
	/* without archiving, two versions share Production */
	assert_string_equal(stage_of("staged", 1, &a), "Production");
	assert_int_equal(store_model_version_transition(st, "staged", 4, "Production", true, &alice, &v, &a, &err), 0);
	assert_string_equal(stage_of("staged", 1, &a), "Archived");
	assert_string_equal(stage_of("staged", 2, &a), "Archived");
	assert_string_equal(stage_of("staged", 3, &a), "Staging"); /* other stages untouched */
	assert_string_equal(stage_of("staged", 4, &a), "Production");
	/* a deleted version cannot move */
	assert_int_equal(store_model_version_delete(st, "staged", 3, &err), 0);
	assert_int_equal(store_model_version_transition(st, "staged", 3, "Staging", false, &alice, &v, &a, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	arena_release(&a);
}

static void test_latest_versions_follow_mlflow_order(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_model_version v, *latest;
	size_t n;
	model_with_versions("latest", 4, &a);
	/* v1 Staging, v2 Production, v3 Staging, v4 None: Staging first (its
	 * lowest version is 1), then Production, then None */
	assert_int_equal(store_model_version_transition(st, "latest", 1, "Staging", false, &alice, &v, &a, &err), 0);
	assert_int_equal(store_model_version_transition(st, "latest", 2, "Production", false, &alice, &v, &a, &err), 0);
	assert_int_equal(store_model_version_transition(st, "latest", 3, "Staging", false, &alice, &v, &a, &err), 0);
	assert_int_equal(store_registered_model_latest_versions(st, "latest", NULL, 0, &latest, &n, &a, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(latest[0].version, 3);
	assert_int_equal(latest[1].version, 2);
	assert_int_equal(latest[2].version, 4);
	const char *prod[] = { "Production", "Archived" };
	assert_int_equal(store_registered_model_latest_versions(st, "latest", prod, 2, &latest, &n, &a, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(latest[0].version, 2);
	assert_int_equal(store_registered_model_latest_versions(st, "nope", NULL, 0, &latest, &n, &a, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	arena_release(&a);
}

static void test_aliases_move_and_resolve(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_model_version v;
	struct store_registered_model m;
	model_with_versions("aliased", 2, &a);
	assert_int_equal(store_model_alias_set(st, "aliased", "champion", 1, &alice, &err), 0);
	assert_int_equal(store_model_alias_set(st, "aliased", "champion", 2, &alice, &err), 0);
	assert_int_equal(store_model_alias_set(st, "aliased", "other", 2, &alice, &err), 0);
	assert_int_equal(store_model_alias_get(st, "aliased", "champion", &v, &a, &err), 0);
	assert_int_equal(v.version, 2);
	assert_int_equal(v.n_aliases, 2);
	assert_string_equal(v.aliases[0], "champion");
	assert_int_equal(store_model_alias_get(st, "aliased", "LATEST", &v, &a, &err), 0);
	assert_int_equal(v.version, 2);
	/* an alias onto a missing version changes nothing */
	assert_int_equal(store_model_alias_set(st, "aliased", "champion", 9, &alice, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	assert_int_equal(store_registered_model_get(st, "aliased", &m, &a, &err), 0);
	assert_int_equal(m.n_aliases, 2);
	assert_int_equal(m.aliases[0].version, 2);
	assert_int_equal(store_model_alias_delete(st, "aliased", "other", &alice, &err), 0);
	assert_int_equal(store_model_alias_delete(st, "aliased", "never-set", &alice, &err), 0);
	assert_int_equal(store_model_alias_get(st, "aliased", "other", &v, &a, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_string_equal(err.msg, "Registered model alias other not found.");
	/* MLflow 2.17: deleting the version leaves the alias dangling */
	assert_int_equal(store_model_version_delete(st, "aliased", 2, &err), 0);
	assert_int_equal(store_model_alias_get(st, "aliased", "champion", &v, &a, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	arena_release(&a);
}

static void test_history_records_moves_in_order(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_model_version v;
	struct store_registered_model m;
	struct store_registry_event *ev;
	size_t n;
	const struct store_actor bob = { "bob", NULL };
	model_with_versions("audited", 2, &a);
	assert_int_equal(store_model_version_transition(st, "audited", 1, "Production", false, &alice, &v, &a, &err), 0);
	assert_int_equal(store_model_version_transition(st, "audited", 2, "Production", true, &bob, &v, &a, &err), 0);
	assert_int_equal(store_model_alias_set(st, "audited", "champ", 1, &alice, &err), 0);
	assert_int_equal(store_model_alias_set(st, "audited", "champ", 2, &bob, &err), 0);
	assert_int_equal(store_model_alias_delete(st, "audited", "champ", &alice, &err), 0);
	/* a failed transition records nothing */
	assert_int_equal(store_model_version_transition(st, "audited", 7, "Staging", false, &alice, &v, &a, &err), -1);
	/* history follows the model through a rename */
	assert_int_equal(store_registered_model_rename(st, "audited", "audited-2", &m, &a, &err), 0);
	assert_int_equal(store_registry_history(st, "audited-2", 0, &ev, &n, &a, &err), 0);
	assert_int_equal(n, 6);
	const struct {
		int64_t version;
		const char *kind, *from, *to, *user;
	} want[] = {
		{ 1, "stage", "None", "Production", "alice" },	   { 1, "stage", "Production", "Archived", "bob" },
		{ 2, "stage", "None", "Production", "bob" },	   { 1, "alias", NULL, "1", "alice" },
		{ 2, "alias", "1", "2", "bob" },		   { 2, "alias", "2", NULL, "alice" },
	};
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ev[i].version, want[i].version);
		assert_string_equal(ev[i].kind, want[i].kind);
		assert_true(want[i].from ? ev[i].from && !strcmp(ev[i].from, want[i].from) : !ev[i].from);
		assert_true(want[i].to ? ev[i].to && !strcmp(ev[i].to, want[i].to) : !ev[i].to);
		assert_string_equal(ev[i].user, want[i].user);
		assert_string_equal(ev[i].name, "audited");
		assert_true(i == 0 || ev[i].id > ev[i - 1].id);
	}
	assert_string_equal(ev[0].comment, "ship it");
	assert_non_null(ev[1].comment); /* names the version that caused the archiving */
	assert_int_equal(store_registry_history(st, "audited-2", 2, &ev, &n, &a, &err), 0);
	assert_int_equal(n, 3);
	arena_release(&a);
}

static void test_history_is_append_only(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_model_version v;
	const char *path = store_fixture_sqlite_path(&fx);
	sqlite3 *db;
	if (!path) /* a test of the SQLite backend's triggers */
		skip();
	model_with_versions("immutable", 1, &a);
	assert_int_equal(store_model_version_transition(st, "immutable", 1, "Staging", false, &alice, &v, &a, &err), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE registry_history SET user_id = 'mallory'", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM registry_history", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	/* deleting the model keeps its history; a new model of that name starts afresh */
	assert_int_equal(store_registered_model_delete(st, "immutable", &err), 0);
	struct store_registered_model m;
	struct store_registry_event *ev;
	size_t n;
	assert_int_equal(store_registered_model_create(st, "immutable", NULL, NULL, 0, &m, &a, &err), 0);
	assert_int_equal(store_registry_history(st, "immutable", 0, &ev, &n, &a, &err), 0);
	assert_int_equal(n, 0);
	arena_release(&a);
}

static void test_names_renames_and_deletes(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_registered_model m;
	struct store_model_version v;
	const struct store_kv tags[] = { { "team", "vision" } };
	assert_int_equal(store_registered_model_create(st, "taken", "d", tags, 1, &m, &a, &err), 0);
	assert_int_equal(m.n_tags, 1);
	assert_int_equal(m.creation_time, m.last_updated_time);
	assert_int_equal(store_registered_model_create(st, "taken", NULL, NULL, 0, &m, &a, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_ALREADY_EXISTS);
	model_with_versions("mover", 1, &a);
	assert_int_equal(store_registered_model_rename(st, "mover", "taken", &m, &a, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_ALREADY_EXISTS);
	assert_int_equal(store_registered_model_rename(st, "mover", "moved", &m, &a, &err), 0);
	assert_int_equal(m.n_latest, 1);
	assert_string_equal(m.latest[0].name, "moved");
	assert_int_equal(store_model_version_get(st, "moved", 1, &v, &a, &err), 0);
	assert_int_equal(store_registered_model_get(st, "mover", &m, &a, &err), -1);
	assert_string_equal(err.msg, "Registered Model with name=mover not found");
	assert_int_equal(store_registered_model_delete(st, "moved", &err), 0);
	assert_int_equal(store_model_version_get(st, "moved", 1, &v, &a, &err), -1);
	assert_int_equal(store_registered_model_delete(st, "moved", &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	arena_release(&a);
}

static void test_search_pages_and_excludes_deleted(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_search q = { .max_results = 2 };
	struct store_model_version *v;
	size_t n;
	bool more;
	model_with_versions("searched", 3, &a);
	assert_int_equal(store_model_version_delete(st, "searched", 2, &err), 0);
	assert_int_equal(filter_parse(FILTER_MODEL_VERSIONS, "name = 'searched'", &q.filter, &a, &err), 0);
	const char *order[] = { "version_number ASC" };
	assert_int_equal(order_by_parse(FILTER_MODEL_VERSIONS, order, 1, &q.order, &a, &err), 0);
	assert_int_equal(store_model_version_search(st, &q, &v, &n, &more, &a, &err), 0);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_int_equal(v[0].version, 1);
	assert_int_equal(v[1].version, 3);
	q.max_results = 1;
	assert_int_equal(store_model_version_search(st, &q, &v, &n, &more, &a, &err), 0);
	assert_int_equal(n, 1);
	assert_true(more);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions_are_numbered_and_never_reused),
		cmocka_unit_test(test_stage_machine_and_archiving),
		cmocka_unit_test(test_latest_versions_follow_mlflow_order),
		cmocka_unit_test(test_aliases_move_and_resolve),
		cmocka_unit_test(test_history_records_moves_in_order),
		cmocka_unit_test(test_history_is_append_only),
		cmocka_unit_test(test_names_renames_and_deletes),
		cmocka_unit_test(test_search_pages_and_excludes_deleted),
	};
	return cmocka_run_group_tests(tests, store_suite_setup, store_suite_teardown);
}
