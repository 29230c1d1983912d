/*
 * test_install_host.c - a host program of the installed libmlflowc (built by
 * test_install.py with `pkg-config --cflags --libs mlflowc`, against the
 * shared and the static library).
 *
 * It uses libcurl and OpenSSL itself (linked directly, as any program
 * would: the library must not take their names), defines functions named
 * like the library's internals (buf_add, log_error, util_now_ms: they must
 * not clash), then logs a run through the public API and reads it back:
 *
 *   test_install_host TRACKING_URI
 *
 * Prints the run id on success; any failure exits 1 with the reason.
 */
#include <curl/curl.h>
#include <mlflowc.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

/* Names the library uses inside: a host may have its own. */
int buf_add(void);
int log_error(void);
long util_now_ms(void);
int buf_add(void)
{
	return 7;
}
int log_error(void)
{
	return 11;
}
long util_now_ms(void)
{
	return 13;
}

static int fail(const char *what, enum mlf_result r)
{
	fprintf(stderr, "host: %s: %s (%s)\n", what, mlf_last_error(), mlf_result_name(r));
	return 1;
}

/* The host's own libcurl and OpenSSL, called directly. */
static int own_libraries(void)
{
	CURL *h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "host: curl_easy_init failed\n");
		return 1;
	}
	curl_easy_cleanup(h);
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	unsigned char md[SHA256_DIGEST_LENGTH];
	if (!v || !SHA256((const unsigned char *)"abc", 3, md) || md[0] != 0xba || md[31] != 0xad) {
		fprintf(stderr, "host: libcurl/OpenSSL answers are wrong\n");
		return 1;
	}
	return buf_add() + log_error() + util_now_ms() == 31 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_install_host TRACKING_URI\n");
		return 2;
	}
	if (own_libraries())
		return 1;
	char err[256], exp_id[32];
	mlf_client *c;
	mlf_run *run;
	enum mlf_result r = mlf_client_open(argv[1], NULL, &c, err, sizeof(err));
	if (r != MLF_CLIENT_OK) {
		fprintf(stderr, "host: open: %s\n", err);
		return 1;
	}
	if ((r = mlf_experiment_get_or_create(c, "installed-library", exp_id)) ||
	    (r = mlf_run_start(c, exp_id, "host-run", &run)))
		return fail("start", r);
	char run_id[33];
	snprintf(run_id, sizeof(run_id), "%s", mlf_run_id(run));
	if ((r = mlf_log_param(run, "linked", "pkg-config")))
		return fail("param", r);
	for (int step = 0; step < 5; step++)
		if ((r = mlf_log_metric(run, "loss", 1.0 / (step + 1), 0, step)))
			return fail("metric", r);
	if ((r = mlf_run_end(run, MLF_RUN_FINISHED)))
		return fail("end", r);
	struct mlf_runs *got;
	if ((r = mlf_run_get(c, run_id, &got)))
		return fail("get", r);
	const struct mlf_run_record *rec = &got->items[0];
	int ok = got->count == 1 && strcmp(rec->status, "FINISHED") == 0 && rec->n_params == 1 &&
		 strcmp(rec->params[0].key, "linked") == 0 && strcmp(rec->params[0].value, "pkg-config") == 0;
	mlf_runs_free(got);
	struct mlf_metrics *hist;
	if ((r = mlf_metric_history(c, run_id, "loss", &hist)))
		return fail("history", r);
	ok = ok && hist->count == 5 && hist->items[4].step == 4 && hist->items[4].value == 0.2;
	mlf_metrics_free(hist);
	if ((r = mlf_client_close(c)))
		return fail("close", r);
	if (!ok) {
		fprintf(stderr, "host: the run read back differs from what was logged\n");
		return 1;
	}
	printf("%s\n", run_id);
	return 0;
}
