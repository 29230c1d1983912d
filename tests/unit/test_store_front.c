/*
 * test_store_front.c - the rules the store front (store.c) owns, through
 * store_*() against whichever backend MLF_TEST_STORE_URI names (SQLite in
 * a temporary directory by default): each refusal carries MLflow's exact
 * error code and message and writes nothing; the defaults (artifact
 * locations, run and logged-model ids and URIs), the mlflow.runName
 * mirroring, the "latest" alias, the prompt rule of registry searches and
 * the check of logged-model order fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store/logged_model.h"
#include "store/registry.h"
#include "store/store.h"
#include "store_fixture.h"

#define ROOT "/srv/artifacts"

STORE_FIXTURE_SUITE(ROOT)

/* Asserts the last failure was `code` with exactly `msg`. */
static void expect_error(int rc, enum mlf_code code, const char *msg)
{
	assert_int_equal(rc, -1);
	assert_string_equal(mlf_code_name(err.code), mlf_code_name(code));
	assert_string_equal(err.msg, msg);
}

static size_t count_experiments(struct arena *a)
{
	struct store_search q = { .view = STORE_VIEW_ALL, .max_results = 1000 };
	struct store_experiment *e;
	size_t n;
	bool more;
	assert_int_equal(store_experiment_search(st, &q, &e, &n, &more, a, &err), 0);
	return n;
}

static size_t count_runs(int64_t exp, struct arena *a)
{
	struct store_search q = { .view = STORE_VIEW_ALL, .max_results = 1000 };
	struct store_run *r;
	size_t n;
	bool more;
	assert_int_equal(store_run_search(st, &exp, 1, &q, &r, &n, &more, a, &err), 0);
	return n;
}

static int64_t new_experiment(const char *name)
{
	int64_t id;
	assert_int_equal(store_experiment_create(st, name, NULL, ROOT, NULL, 0, &id, &err), 0);
	return id;
}

static struct store_run new_run(int64_t exp, const char *name, struct arena *a)
{
	struct store_run run;
	struct store_run_create rc = { .experiment_id = exp, .run_name = name, .start_time = 1 };
	assert_int_equal(store_run_create(st, &rc, &run, a, &err), 0);
	return run;
}

static const char *tag_of(const struct store_kv *tags, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tags[i].key, key) == 0)
			return tags[i].value;
	return NULL;
}

static void test_experiment_defaults_and_refusals(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_experiment e;
	int64_t id, other;
	/* the default location is <root>/<id>, one slash whatever the root ends with */
	assert_int_equal(store_experiment_create(st, "slash", NULL, ROOT "/", NULL, 0, &id, &err), 0);
	assert_int_equal(store_experiment_get(st, id, &e, &a, &err), 0);
	assert_string_equal(e.artifact_location, arena_printf(&a, ROOT "/%lld", (long long)id));
	assert_int_equal(store_experiment_create(st, "given", "s3://b/x", ROOT, NULL, 0, &other, &err), 0);
	assert_int_equal(store_experiment_get(st, other, &e, &a, &err), 0);
	assert_string_equal(e.artifact_location, "s3://b/x");

	size_t before = count_experiments(&a);
	expect_error(store_experiment_create(st, "slash", NULL, ROOT, NULL, 0, &other, &err), MLF_RESOURCE_ALREADY_EXISTS,
		     "Experiment(name=slash) already exists.");
	assert_int_equal(count_experiments(&a), before);

	expect_error(store_experiment_get(st, 98765, &e, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "No Experiment with id=98765 exists");
	expect_error(store_experiment_get_by_name(st, "nope", &e, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Could not find experiment with name 'nope'");

	/* rename: onto a taken name, and of a deleted experiment; nothing changes */
	expect_error(store_experiment_rename(st, id, "given", &err), MLF_BAD_REQUEST,
		     "Experiment(name=given) already exists.");
	assert_int_equal(store_experiment_set_lifecycle(st, id, true, &err), 0);
	expect_error(store_experiment_rename(st, id, "fresh", &err), MLF_INVALID_STATE,
		     "Cannot rename a non-active experiment.");
	assert_int_equal(store_experiment_get(st, id, &e, &a, &err), 0);
	assert_string_equal(e.name, "slash");
	/* deleting twice, restoring an active one */
	expect_error(store_experiment_set_lifecycle(st, id, true, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     arena_printf(&a, "No Experiment with id=%lld exists", (long long)id));
	expect_error(store_experiment_set_lifecycle(st, other, false, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     arena_printf(&a, "No Experiment with id=%lld exists", (long long)other));
	/* tags: on a deleted experiment, and a missing one */
	expect_error(store_experiment_set_tag(st, id, "k", "v", &err), MLF_INVALID_PARAMETER_VALUE,
		     arena_printf(&a, "The experiment %lld must be in the 'active' state. Current state is deleted.",
				  (long long)id));
	expect_error(store_experiment_delete_tag(st, other, "k", &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     arena_printf(&a, "No tag with name: k in experiment with id %lld", (long long)other));
	arena_release(&a);
}

static void test_run_create_rules(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	int64_t exp = new_experiment("runs");
	struct store_experiment e;
	assert_int_equal(store_experiment_get(st, exp, &e, &a, &err), 0);
	/* the name wins over a tag mlflow.runName; the URI is <location>/<id>/artifacts */
	struct store_kv tags[] = { { "mlflow.runName", "from-tag" }, { "team", "a" } };
	struct store_run_create rc = { .experiment_id = exp, .run_name = "named", .start_time = 5, .tags = tags,
				       .n_tags = 2 };
	struct store_run run;
	assert_int_equal(store_run_create(st, &rc, &run, &a, &err), 0);
	assert_int_equal(strlen(run.info.run_id), 32);
	assert_string_equal(run.info.run_name, "named");
	assert_string_equal(tag_of(run.tags, run.n_tags, "mlflow.runName"), "named");
	assert_string_equal(tag_of(run.tags, run.n_tags, "team"), "a");
	assert_string_equal(run.info.artifact_uri,
			    arena_printf(&a, "%s/%s/artifacts", e.artifact_location, run.info.run_id));
	assert_string_equal(run.info.status, "RUNNING");

	expect_error(store_run_create(st, &(struct store_run_create){ .experiment_id = 98765, .run_name = "x" }, &run, &a,
				      &err),
		     MLF_RESOURCE_DOES_NOT_EXIST, "No Experiment with id=98765 exists");
	size_t before = count_runs(exp, &a);
	assert_int_equal(store_experiment_set_lifecycle(st, exp, true, &err), 0);
	expect_error(store_run_create(st, &rc, &run, &a, &err), MLF_INVALID_PARAMETER_VALUE,
		     arena_printf(&a, "The experiment %lld must be in the 'active' state. Current state is deleted.",
				  (long long)exp));
	assert_int_equal(count_runs(exp, &a), before);
	arena_release(&a);
}

static void test_run_name_mirrors_its_tag(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_run run = new_run(new_experiment("mirror"), "first", &a), got;
	const char *id = run.info.run_id;
	/* a batch tag renames the run; the last one wins */
	struct store_kv tags[] = { { "mlflow.runName", "second" }, { "mlflow.runName", "third" } };
	assert_int_equal(store_run_log_batch(st, id, &(struct store_batch){ .tags = tags, .n_tags = 2 }, &err), 0);
	assert_int_equal(store_run_get(st, id, &got, &a, &err), 0);
	assert_string_equal(got.info.run_name, "third");
	assert_string_equal(tag_of(got.tags, got.n_tags, "mlflow.runName"), "third");
	/* an update's name is also the tag; an empty name changes nothing */
	struct store_run_info info;
	assert_int_equal(store_run_update(st, id, &(struct store_run_update){ .run_name = "fourth" }, &info, &a, &err), 0);
	assert_string_equal(info.run_name, "fourth");
	assert_int_equal(store_run_update(st, id, &(struct store_run_update){ .run_name = "" }, &info, &a, &err), 0);
	assert_int_equal(store_run_get(st, id, &got, &a, &err), 0);
	assert_string_equal(got.info.run_name, "fourth");
	assert_string_equal(tag_of(got.tags, got.n_tags, "mlflow.runName"), "fourth");
	arena_release(&a);
}

static void test_run_refusals_write_nothing(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_run run = new_run(new_experiment("refusals"), "r", &a), got;
	const char *id = run.info.run_id;
	struct store_kv p1 = { "lr", "0.1" };
	assert_int_equal(store_run_log_batch(st, id, &(struct store_batch){ .params = &p1, .n_params = 1 }, &err), 0);

	/* a changed param: MLflow's words, and the whole batch rolled back */
	struct store_kv params[] = { { "depth", "3" }, { "lr", "0.2" } };
	struct store_kv tag = { "note", "x" };
	struct store_metric m = { .key = "loss", .value = 1, .timestamp = 1, .step = 0 };
	struct store_batch b = { &m, 1, params, 2, &tag, 1 };
	expect_error(store_run_log_batch(st, id, &b, &err), MLF_INVALID_PARAMETER_VALUE,
		     arena_printf(&a,
				  "Changing param values is not allowed. Param with key='lr' was already logged with "
				  "value='0.1' for run ID='%s'. Attempted logging new value '0.2'.",
				  id));
	assert_int_equal(store_run_get(st, id, &got, &a, &err), 0);
	assert_int_equal(got.n_params, 1);
	assert_int_equal(got.n_metrics, 0);
	assert_null(tag_of(got.tags, got.n_tags, "note"));
	/* the same key twice in one batch: the first value is the one logged before */
	struct store_kv twice[] = { { "seed", "1" }, { "seed", "2" } };
	expect_error(store_run_log_batch(st, id, &(struct store_batch){ .params = twice, .n_params = 2 }, &err),
		     MLF_INVALID_PARAMETER_VALUE,
		     arena_printf(&a,
				  "Changing param values is not allowed. Param with key='seed' was already logged with "
				  "value='1' for run ID='%s'. Attempted logging new value '2'.",
				  id));
	assert_int_equal(store_run_get(st, id, &got, &a, &err), 0);
	assert_int_equal(got.n_params, 1);

	expect_error(store_run_delete_tag(st, id, "nope", &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     arena_printf(&a, "No tag with name: nope in run with id %s", id));
	const char *missing = "0123456789abcdef0123456789abcdef";
	expect_error(store_run_get(st, missing, &got, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     arena_printf(&a, "Run with id=%s not found", missing));
	expect_error(store_run_log_batch(st, missing, &b, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     arena_printf(&a, "Run with id=%s not found", missing));
	assert_int_equal(store_run_set_lifecycle(st, id, true, &err), 0);
	expect_error(store_run_log_batch(st, id, &(struct store_batch){ .tags = &tag, .n_tags = 1 }, &err),
		     MLF_INVALID_PARAMETER_VALUE,
		     arena_printf(&a, "The run %s must be in the 'active' state. Current state is deleted.", id));
	expect_error(store_run_update(st, id, &(struct store_run_update){ .status = "FINISHED" }, &got.info, &a, &err),
		     MLF_INVALID_PARAMETER_VALUE,
		     arena_printf(&a, "The run %s must be in the 'active' state. Current state is deleted.", id));
	assert_int_equal(store_run_get(st, id, &got, &a, &err), 0);
	assert_string_equal(got.info.status, "RUNNING");
	assert_null(tag_of(got.tags, got.n_tags, "note"));
	arena_release(&a);
}

static void test_registry_words(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_registered_model m;
	struct store_model_version v;
	assert_int_equal(store_registered_model_create(st, "reg-a", "", NULL, 0, &m, &a, &err), 0);
	assert_int_equal(store_registered_model_create(st, "reg-b", "", NULL, 0, &m, &a, &err), 0);
	expect_error(store_registered_model_create(st, "reg-a", "", NULL, 0, &m, &a, &err), MLF_RESOURCE_ALREADY_EXISTS,
		     "Registered Model (name=reg-a) already exists.");
	expect_error(store_registered_model_rename(st, "reg-a", "reg-b", &m, &a, &err), MLF_RESOURCE_ALREADY_EXISTS,
		     "Registered Model (name=reg-b) already exists.");
	expect_error(store_registered_model_get(st, "reg-z", &m, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Registered Model with name=reg-z not found");
	expect_error(store_model_version_get(st, "reg-a", 7, &v, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Model Version (name=reg-a, version=7) not found");
	expect_error(store_model_alias_get(st, "reg-a", "latest", &v, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Registered Model reg-a has no versions");
	struct store_actor who = { "unknown", NULL };
	expect_error(store_model_alias_set(st, "reg-a", "champ", 3, &who, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Model Version (name=reg-a, version=3) not found");
	struct store_version_create vc = { .name = "reg-z", .source = "s3://b/m" };
	expect_error(store_model_version_create(st, &vc, &v, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Registered Model with name=reg-z not found");
	vc.name = "reg-a";
	assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), 0);
	expect_error(store_model_alias_get(st, "reg-a", "champ", &v, &a, &err), MLF_INVALID_PARAMETER_VALUE,
		     "Registered model alias champ not found.");
	/* "latest", any case, is the highest live version */
	assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), 0);
	assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), 0);
	assert_int_equal(store_model_version_delete(st, "reg-a", 3, &err), 0);
	assert_int_equal(store_model_alias_get(st, "reg-a", "LaTeSt", &v, &a, &err), 0);
	assert_int_equal(v.version, 2);
	/* the refused rename left both names in place */
	assert_int_equal(store_registered_model_get(st, "reg-a", &m, &a, &err), 0);
	assert_int_equal(store_registered_model_get(st, "reg-b", &m, &a, &err), 0);
	arena_release(&a);
}

static size_t count_models(const char *filter, struct arena *a)
{
	struct store_search q = { .max_results = 100 };
	struct store_registered_model *m;
	size_t n;
	bool more;
	if (filter)
		assert_int_equal(filter_parse(FILTER_REGISTERED_MODELS, filter, &q.filter, a, &err), 0);
	assert_int_equal(store_registered_model_search(st, &q, &m, &n, &more, a, &err), 0);
	return n;
}

static size_t count_versions(const char *filter, struct arena *a)
{
	struct store_search q = { .max_results = 100 };
	struct store_model_version *v;
	size_t n;
	bool more;
	assert_int_equal(filter_parse(FILTER_MODEL_VERSIONS, filter, &q.filter, a, &err), 0);
	assert_int_equal(store_model_version_search(st, &q, &v, &n, &more, a, &err), 0);
	return n;
}

static void test_prompts_stay_out_of_searches_unless_asked(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_registered_model m;
	struct store_model_version v;
	struct store_kv prompt = { "mlflow.prompt.is_prompt", "true" };
	assert_int_equal(store_registered_model_create(st, "pr-model", "", NULL, 0, &m, &a, &err), 0);
	assert_int_equal(store_registered_model_create(st, "pr-prompt", "", &prompt, 1, &m, &a, &err), 0);
	struct store_version_create vc = { .name = "pr-prompt", .source = "s3://b/p" };
	assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), 0);
	vc.name = "pr-model";
	assert_int_equal(store_model_version_create(st, &vc, &v, &a, &err), 0);

	assert_int_equal(count_models("name LIKE 'pr-%'", &a), 1);
	/* the 3.x client's own condition is dropped, not applied */
	assert_int_equal(count_models("name LIKE 'pr-%' AND tags.`mlflow.prompt.is_prompt` != 'true'", &a), 1);
	assert_int_equal(count_models("tags.`mlflow.prompt.is_prompt` = 'true'", &a), 1);
	assert_int_equal(count_models("tags.`mlflow.prompt.is_prompt` != 'false'", &a), 1);
	assert_int_equal(count_versions("name LIKE 'pr-%'", &a), 1);
	arena_release(&a);
}

static void test_logged_model_words(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct store_logged_model m;
	struct store_logged_model_create lc = { .experiment_id = 98765, .name = "lm" };
	expect_error(store_logged_model_create(st, &lc, &m, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "No Experiment with id=98765 exists");
	int64_t exp = new_experiment("logged");
	lc.experiment_id = exp;
	assert_int_equal(store_logged_model_create(st, &lc, &m, &a, &err), 0);
	struct store_experiment e;
	assert_int_equal(store_experiment_get(st, exp, &e, &a, &err), 0);
	assert_int_equal(strlen(m.model_id), 34);
	assert_memory_equal(m.model_id, "m-", 2);
	assert_string_equal(m.artifact_location, arena_printf(&a, "%s/models/%s/artifacts", e.artifact_location, m.model_id));
	assert_int_equal(m.status, LOGGED_MODEL_PENDING);
	expect_error(store_logged_model_delete_tag(st, m.model_id, "k", &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     arena_printf(&a, "No tag with key 'k' found for model with ID '%s'.", m.model_id));
	expect_error(store_logged_model_get(st, "m-0000", false, &m, &a, &err), MLF_RESOURCE_DOES_NOT_EXIST,
		     "Logged model with ID 'm-0000' not found.");

	struct store_logged_search q = { .experiment_ids = &exp, .n_experiments = 1, .max_results = 10 };
	struct store_logged_model *out;
	size_t n;
	bool more;
	static const struct {
		const char *field, *msg;
	} bad[] = {
		{ "params.x", "Invalid order by field name: params.x. Only metrics are supported." },
		{ "metrics.", "Invalid order by field name: metrics.. Only metrics are supported." },
		{ "colour", "Invalid order by field name: colour" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct store_logged_order o = { .field = bad[i].field, .ascending = true };
		q.order = &o;
		q.n_order = 1;
		expect_error(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), MLF_INVALID_PARAMETER_VALUE,
			     bad[i].msg);
	}
	for (size_t i = 0; store_logged_order_fields[i]; i++) {
		struct store_logged_order o = { .field = store_logged_order_fields[i], .ascending = false };
		q.order = &o;
		q.n_order = 1;
		assert_int_equal(store_logged_model_search(st, &q, &out, &n, &more, &a, &err), 0);
		assert_int_equal(n, 1);
	}

	struct store_run run = new_run(exp, "linker", &a);
	assert_int_equal(store_run_set_lifecycle(st, run.info.run_id, true, &err), 0);
	struct store_model_link link = { .model_id = m.model_id };
	expect_error(store_logged_model_link_run(st, run.info.run_id, true, &link, 1, &err), MLF_INVALID_PARAMETER_VALUE,
		     arena_printf(&a, "The run %s must be in the 'active' state. Current state is deleted.",
				  run.info.run_id));
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_experiment_defaults_and_refusals),
		cmocka_unit_test(test_run_create_rules),
		cmocka_unit_test(test_run_name_mirrors_its_tag),
		cmocka_unit_test(test_run_refusals_write_nothing),
		cmocka_unit_test(test_registry_words),
		cmocka_unit_test(test_prompts_stay_out_of_searches_unless_asked),
		cmocka_unit_test(test_logged_model_words),
	};
	return cmocka_run_group_tests(tests, store_suite_setup, store_suite_teardown);
}
