/*
 * test_logged_models.c - MLflow 3's logged models through the store ops,
 * without HTTP, on a temporary SQLite store: ids and artifact locations,
 * finalize and soft delete, tags and params, search order and paging,
 * filters with datasets and dataset-scoped metric order, run
 * links shown by run_get; and the registry search's batched loading, which
 * must hand every model of a page exactly its own tags, aliases and
 * latest versions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/logged_model.h"
#include "store/registry.h"
#include "store/store.h"
#include "store_fixture.h"

STORE_FIXTURE_SUITE("/srv/artifacts")

static struct store_logged_model create(const char *name, struct arena *a)
{
	struct store_kv params[] = { { "alpha", "1" } }, tags[] = { { "team", "a" } };
	struct store_logged_model_create lc = { .experiment_id = 0, .name = name, .params = params, .n_params = 1,
						.tags = tags, .n_tags = 1 };
	struct store_logged_model m;
	assert_int_equal(store_logged_model_create(st, &lc, &m, a, &err), 0);
	return m;
}

static void test_create_get_finalize_delete(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_logged_model m = create("clf", &a), got;
	assert_int_equal(strlen(m.model_id), 34);
	assert_memory_equal(m.model_id, "m-", 2);
	assert_string_equal(m.artifact_location, arena_printf(&a, "/srv/artifacts/0/models/%s/artifacts", m.model_id));
	assert_int_equal(m.status, LOGGED_MODEL_PENDING);
	assert_string_equal(m.model_type, "");
	assert_int_equal(m.n_params, 1);
	assert_int_equal(m.n_tags, 1);

	assert_int_equal(store_logged_model_finalize(st, m.model_id, LOGGED_MODEL_READY, &got, &a, &err), 0);
	assert_int_equal(got.status, LOGGED_MODEL_READY);

	struct store_kv more[] = { { "team", "b" }, { "stage", "x" } };
	assert_int_equal(store_logged_model_set_tags(st, m.model_id, more, 2, &err), 0);
	assert_int_equal(store_logged_model_delete_tag(st, m.model_id, "stage", &err), 0);
	assert_int_equal(store_logged_model_delete_tag(st, m.model_id, "stage", &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	assert_int_equal(store_logged_model_get(st, m.model_id, false, &got, &a, &err), 0);
	assert_int_equal(got.n_tags, 1);
	assert_string_equal(got.tags[0].value, "b");

	assert_int_equal(store_logged_model_delete(st, m.model_id, &err), 0);
	assert_int_equal(store_logged_model_get(st, m.model_id, false, &got, &a, &err), -1);
	assert_string_equal(err.msg, arena_printf(&a, "Logged model with ID '%s' not found.", m.model_id));
	assert_int_equal(store_logged_model_get(st, m.model_id, true, &got, &a, &err), 0);
	assert_string_equal(got.lifecycle_stage, "deleted");
	arena_release(&a);
}

static void test_search_orders_and_pages(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const char *names[] = { "b-model", "c-model", "a-model" };
	for (size_t i = 0; i < 3; i++)
		create(names[i], &a);
	int64_t exp = 0;
	struct store_logged_order by_name = { .field = "name", .ascending = true };
	struct store_logged_search q = { .experiment_ids = &exp, .n_experiments = 1, .order = &by_name, .n_order = 1,
					 .max_results = 2 };
	struct store_logged_model *out;
	size_t n;
	bool more;
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_string_equal(out[0].name, "a-model");
	assert_string_equal(out[1].name, "b-model");
	q.offset = 2;
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
	assert_false(more);
	assert_string_equal(out[0].name, "c-model");

	struct store_logged_order bad = { .field = "name; DROP TABLE x", .ascending = true };
	q.order = &bad;
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	arena_release(&a);
}

static void test_run_links(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_run run, got;
	struct store_run_create rc = { .experiment_id = 0, .user_id = "u", .run_name = "r", .start_time = 1 };
	assert_int_equal(store_run_create(st, &rc, &run, &a, &err), 0);
	struct store_logged_model m = create("linked", &a);
	struct store_model_link links[] = { { m.model_id, 3 }, { m.model_id, 3 }, { "m-other", 0 } };
	assert_int_equal(store_logged_model_link_run(st, run.info.run_id, true, links, 3, &err), 0);
	assert_int_equal(store_logged_model_link_run(st, run.info.run_id, false, links, 1, &err), 0);
	assert_int_equal(store_run_get(st, run.info.run_id, &got, &a, &err), 0);
	assert_int_equal(got.n_model_outputs, 2);
	assert_string_equal(got.model_outputs[0].model_id, m.model_id);
	assert_int_equal(got.model_outputs[0].step, 3);
	assert_string_equal(got.model_outputs[1].model_id, "m-other");
	assert_int_equal(got.n_model_inputs, 1);

	assert_int_equal(store_run_set_lifecycle(st, run.info.run_id, true, &err), 0);
	assert_int_equal(store_logged_model_link_run(st, run.info.run_id, true, links, 1, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_int_equal(store_logged_model_link_run(st, "no-such-run", true, links, 1, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	arena_release(&a);
}

/* A page of registered models loaded in a few statements must give each
 * model what a one-model get gives it. */
static void test_registry_page_matches_single_gets(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	const struct store_actor who = { "u", NULL };
	for (int i = 0; i < 5; i++) {
		char name[32];
		struct store_registered_model m;
		struct store_model_version v;
		snprintf(name, sizeof(name), "page-%d", i);
		struct store_kv tag = { "idx", name };
		assert_int_equal(store_registered_model_create(st, name, "", &tag, i % 2, &m, &a, &err), 0);
		for (int k = 0; k < i; k++) {
			struct store_kv vtag = { "k", name };
			struct store_version_create vc = { .name = name, .source = "s3://b/m", .tags = &vtag, .n_tags = 1 };
			assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), 0);
		}
		if (i >= 2)
			assert_int_equal(store_model_version_transition(st, name, 1, "Production", false, &who, &v, &a, &err), 0);
		if (i >= 3)
			assert_int_equal(store_model_alias_set(st, name, "champion", 2, &who, &err), 0);
	}
	struct store_search q = { .max_results = 100 };
	assert_int_equal(filter_parse(FILTER_REGISTERED_MODELS, "name LIKE 'page-%'", &q.filter, &a, &err), 0);
	struct store_registered_model *page;
	size_t n;
	bool more;
	assert_int_equal(store_registered_model_search(st, &q, &page, &n, &more, &a, &err), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		struct store_registered_model one;
		assert_int_equal(store_registered_model_get(st, page[i].name, &one, &a, &err), 0);
		assert_int_equal(page[i].n_tags, one.n_tags);
		assert_int_equal(page[i].n_aliases, one.n_aliases);
		for (size_t k = 0; k < one.n_aliases; k++)
			assert_int_equal(page[i].aliases[k].version, one.aliases[k].version);
		assert_int_equal(page[i].n_latest, one.n_latest);
		for (size_t k = 0; k < one.n_latest; k++) {
			assert_int_equal(page[i].latest[k].version, one.latest[k].version);
			assert_string_equal(page[i].latest[k].current_stage, one.latest[k].current_stage);
			assert_int_equal(page[i].latest[k].n_tags, 1);
			assert_string_equal(page[i].latest[k].tags[0].value, page[i].name);
		}
	}
	arena_release(&a);
}

/* A filter, `datasets` and a dataset-scoped metric order reach the SQL:
 * f-low has acc 0.2 on train, f-high 0.9 on train and 0.1 on test (later),
 * f-none no point. */
static void test_search_filter_datasets_metric_order(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_run run;
	struct store_run_create rc = { .experiment_id = 0, .user_id = "u", .run_name = "r", .start_time = 1 };
	assert_int_equal(store_run_create(st, &rc, &run, &a, &err), 0);
	struct store_logged_model low = create("f-low", &a), high = create("f-high", &a);
	create("f-none", &a);
	struct store_metric points[] = {
		{ .key = "acc", .value = 0.2, .timestamp = 1, .model_id = low.model_id, .dataset_name = "train",
		  .dataset_digest = "d1" },
		{ .key = "acc", .value = 0.9, .timestamp = 1, .model_id = high.model_id, .dataset_name = "train",
		  .dataset_digest = "d1" },
		{ .key = "acc", .value = 0.1, .timestamp = 2, .model_id = high.model_id, .dataset_name = "test",
		  .dataset_digest = "d2" },
	};
	struct store_batch b = { .metrics = points, .n_metrics = 3 };
	assert_int_equal(store_run_log_batch(st, run.info.run_id, &b, &err), 0);

	int64_t exp = 0;
	const char *train[] = { "train" }, *no_digest[] = { NULL };
	struct store_logged_order by_acc = { .field = "metrics.acc", .ascending = false, .dataset_name = "train" };
	struct store_logged_search q = { .experiment_ids = &exp, .n_experiments = 1, .order = &by_acc, .n_order = 1,
					 .max_results = 10 };
	struct store_logged_model *out;
	size_t n;
	bool more;
	assert_int_equal(filter_parse(FILTER_LOGGED_MODELS, "name LIKE 'f-%'", &q.filter, &a, &err), 0);
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].name, "f-high"); /* 0.9 on train, although its latest point is 0.1 */
	assert_string_equal(out[1].name, "f-low");
	assert_string_equal(out[2].name, "f-none"); /* no point: last */

	by_acc.dataset_name = NULL; /* latest of any dataset: f-high's 0.1 */
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
	assert_string_equal(out[0].name, "f-low");
	assert_string_equal(out[1].name, "f-high");

	assert_int_equal(filter_parse(FILTER_LOGGED_MODELS, "name LIKE 'f-%' AND metrics.acc < 0.5", &q.filter, &a, &err),
			 0);
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
	assert_int_equal(n, 2); /* f-high has a point below 0.5 (on test) */
	q.dataset_names = train;
	q.dataset_digests = no_digest;
	q.n_datasets = 1;
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].name, "f-low");

	assert_int_equal(filter_parse(FILTER_LOGGED_MODELS, "name LIKE 'f-%'", &q.filter, &a, &err), 0);
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
	assert_int_equal(n, 2); /* datasets alone: a point on train */

	struct store_logged_order bad = { .field = "params.alpha", .ascending = true };
	q.order = &bad;
	assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_get_finalize_delete),
		cmocka_unit_test(test_search_orders_and_pages),
		cmocka_unit_test(test_run_links),
		cmocka_unit_test(test_registry_page_matches_single_gets),
		cmocka_unit_test(test_search_filter_datasets_metric_order),
	};
	return cmocka_run_group_tests(tests, store_suite_setup, store_suite_teardown);
}
