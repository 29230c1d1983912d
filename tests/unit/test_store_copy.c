/*
 * test_store_copy.c - unit tests for store_copy() (src/store/store_copy.h)
 * on the backend under test (tests/unit/store_fixture.h): a store with an
 * experiment, a run, params and a NaN/+inf history copies with every count
 * matching and the history exact; a destination whose writer loses rows
 * (its put_param dropped) makes the copy fail with DATA_LOSS naming the
 * table, its report showing source and copied counts apart; a destination
 * with another experiment under a source id is refused before anything is
 * written.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store_copy.h"
#include "store_fixture.h"

struct pair {
	struct store_fixture fs, fd;
	struct store *src, *dst;
	char run_id[64];
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct mlf_err err = { 0 };
	struct arena a = ARENA_INIT;
	int64_t exp;
	struct store_run run;
	assert_non_null(p);
	p->src = store_fixture_open(&p->fs, "mlflow-artifacts:/", &err);
	p->dst = p->src ? store_fixture_open(&p->fd, "mlflow-artifacts:/", &err) : NULL;
	if (!p->dst)
		fail_msg("open: %s", err.msg);
	if (store_experiment_create(p->src, "copied", NULL, "mlflow-artifacts:/", NULL, 0, &exp, &err) < 0 ||
	    store_run_create(p->src, &(struct store_run_create){ .experiment_id = exp, .user_id = "u", .run_name = "r",
								 .start_time = 5 },
			     &run, &a, &err) < 0)
		fail_msg("fill: %s", err.msg);
	snprintf(p->run_id, sizeof(p->run_id), "%s", run.info.run_id);
	struct store_metric pts[] = {
		{ .key = "m", .value = NAN, .timestamp = 1, .step = 0 },
		{ .key = "m", .value = INFINITY, .timestamp = 2, .step = 1 },
		{ .key = "m", .value = 0.5, .timestamp = 3, .step = 2 },
	};
	struct store_kv params[] = { { "a", "1" }, { "b", "2" } };
	if (store_run_log_batch(p->src, p->run_id,
				&(struct store_batch){ .metrics = pts, .n_metrics = 3, .params = params, .n_params = 2 },
				&err) < 0)
		fail_msg("log: %s", err.msg);
	arena_release(&a);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;
	store_fixture_close(&p->fd, p->dst);
	store_fixture_close(&p->fs, p->src);
	free(p);
	return 0;
}

static void test_copy_keeps_every_row(void **state)
{
	struct pair *p = *state;
	struct store_import_report rep;
	struct mlf_err err = { 0 };
	if (store_copy(p->src, p->dst, &(struct store_copy_options){ 0 }, &rep, &err) != 0)
		fail_msg("copy: %s", err.msg);
	assert_int_equal(rep.source[STORE_IMPORT_EXPERIMENTS], 2); /* Default and "copied" */
	assert_int_equal(rep.source[STORE_IMPORT_METRICS], 3);
	assert_int_equal(rep.imported[STORE_IMPORT_PARAMS], 2);
	for (size_t t = 0; t < STORE_IMPORT_N_TABLES; t++)
		assert_int_equal(rep.source[t], rep.imported[t]);
	struct arena a = ARENA_INIT;
	struct store_metric *got;
	size_t n;
	bool more;
	if (store_metric_history(p->dst, p->run_id, "m", 0, -1, &got, &n, &more, &a, &err) < 0)
		fail_msg("history: %s", err.msg);
	assert_int_equal(n, 3);
	assert_true(isnan(got[0].value));
	assert_true(got[1].value == DBL_MAX);
	assert_true(got[2].value == 0.5 && got[2].step == 2 && got[2].timestamp == 3);
	arena_release(&a);
}

static int drop_param(struct store_import_tx *tx, const char *key, const char *value, struct mlf_err *err)
{
	(void)tx, (void)key, (void)value, (void)err;
	return 0;
}

static void test_lost_rows_fail_the_copy(void **state)
{
	struct pair *p = *state;
	struct store_import_ops lossy = *p->dst->import;
	const struct store_import_ops *real = p->dst->import;
	lossy.put_param = drop_param;
	p->dst->import = &lossy;
	struct store_import_report rep;
	struct mlf_err err = { 0 };
	int rc = store_copy(p->src, p->dst, &(struct store_copy_options){ 0 }, &rep, &err);
	p->dst->import = real;
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, MLF_DATA_LOSS);
	assert_non_null(strstr(err.msg, "table params"));
	assert_int_equal(rep.source[STORE_IMPORT_PARAMS], 2);
	assert_int_equal(rep.imported[STORE_IMPORT_PARAMS], 0);
	assert_int_equal(rep.source[STORE_IMPORT_METRICS], rep.imported[STORE_IMPORT_METRICS]);
}

static void test_another_experiment_is_refused(void **state)
{
	struct pair *p = *state;
	struct mlf_err err = { 0 };
	int64_t id;
	if (store_experiment_create(p->dst, "someone-else", NULL, "mlflow-artifacts:/", NULL, 0, &id, &err) < 0)
		fail_msg("create: %s", err.msg);
	struct store_import_report rep;
	assert_int_equal(store_copy(p->src, p->dst, &(struct store_copy_options){ 0 }, &rep, &err), -1);
	assert_int_equal(err.code, MLF_RESOURCE_ALREADY_EXISTS);
	assert_non_null(strstr(err.msg, "'someone-else'"));
	struct arena a = ARENA_INIT;
	struct store_experiment e;
	struct mlf_err miss = { 0 };
	assert_int_equal(store_experiment_get_by_name(p->dst, "copied", &e, &a, &miss), -1);
	assert_int_equal(miss.code, MLF_RESOURCE_DOES_NOT_EXIST);
	struct store_run r;
	assert_int_equal(store_run_get(p->dst, p->run_id, &r, &a, &miss), -1);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_keeps_every_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_rows_fail_the_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_another_experiment_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
