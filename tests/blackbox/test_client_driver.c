/*
 * test_client_driver.c - a small host program for tests/blackbox/test_client.py:
 * it logs through the public client library (include/mlflowc.h) against a
 * real mlflowc server and prints what it created, so the test can read it
 * back through the REST API and compare.
 *
 * Usage: test_client_driver URL N_METRICS. Logs params p0..p2, tags t0..t1
 * and N points over keys m0..m4 (point i: key m<i%5>, value i*0.25,
 * timestamp 1700000000000+i, step i/5), ends the run FINISHED and prints
 * one JSON line: experiment id, run id and the client's counters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "../../include/mlflowc.h"

static int check(enum mlf_result r, const char *what)
{
	if (r != MLF_CLIENT_OK)
		fprintf(stderr, "%s: %s: %s\n", what, mlf_result_name(r), mlf_last_error());
	return r != MLF_CLIENT_OK;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long n = strtol(argv[2], NULL, 10);
	mlf_client *c;
	char errbuf[256], exp[32], key[16];
	if (check(mlf_client_open(argv[1], NULL, &c, errbuf, sizeof(errbuf)), "open"))
		return 1;
	mlf_run *run;
	if (check(mlf_experiment_get_or_create(c, "client-test", exp), "experiment") ||
	    check(mlf_run_start(c, exp, "from-c", &run), "run_start"))
		return 1;
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "p%d", i);
		if (check(mlf_log_param(run, key, i == 2 ? "a \"quoted\" value\n" : "v"), "param"))
			return 1;
	}
	if (check(mlf_set_tag(run, "t0", "tag zero"), "tag") || check(mlf_set_tag(run, "t1", "é"), "tag"))
		return 1;
	for (long i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "m%ld", i % 5);
		if (check(mlf_log_metric(run, key, (double)i * 0.25, 1700000000000 + i, i / 5), "metric"))
			return 1;
	}
	char run_id[64];
	snprintf(run_id, sizeof(run_id), "%s", mlf_run_id(run));
	if (check(mlf_run_end(run, MLF_RUN_FINISHED), "run_end"))
		return 1;
	struct mlf_client_stats st;
	mlf_client_stats(c, &st);
	printf("{\"experiment_id\": \"%s\", \"run_id\": \"%s\", \"queued\": %" PRIu64 ", \"sent\": %" PRIu64
	       ", \"retried\": %" PRIu64 ", \"failed\": %" PRIu64 "}\n",
	       exp, run_id, st.queued, st.sent, st.retried, st.failed);
	return check(mlf_client_close(c), "close");
}
