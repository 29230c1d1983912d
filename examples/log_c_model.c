/*
 * examples/log_c_model.c - logs a native C model (examples/c_model.c built
 * as a shared object) to an MLflow tracking server through libmlflowc and
 * registers it, so `mlflowc models serve -m models:/NAME@champion` serves
 * it with no Python anywhere.
 *
 * It writes a model directory (the shared object, a weights file, an
 * MLmodel naming the c_function flavor with a column signature), starts a
 * run, logs the directory as the run's "model" artifact, registers
 * runs:/RUN/model under NAME, points the alias "champion" at the new
 * version and prints "NAME VERSION RUN_ID" on stdout.
 *
 * Build: make examples (-> build/examples/log_c_model and
 * build/examples/c_model.so). Usage:
 *   log_c_model LIBRARY NAME [BIAS W1 W2 ...]
 * (MLFLOW_TRACKING_URI names the server.) Exit status: 0 done, 1 a library
 * call failed (its message on stderr), 2 bad usage.
 */
#include "mlflowc.h"
#include "mlflowc_model.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failed(const char *what, enum mlf_result r)
{
	fprintf(stderr, "log_c_model: %s: %s (%s)\n", what, mlf_last_error(), mlf_result_name(r));
	return 1;
}

/* Copies the file `from` to `to`; -1 on error. */
static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	char chunk[65536];
	size_t n;
	int rc = in && out ? 0 : -1;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		if (fwrite(chunk, 1, n, out) != n)
			rc = -1;
	if (in && ferror(in))
		rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* Writes the model directory: the library, weights.txt and MLmodel. */
static int write_model(const char *dir, const char *library, int n_weights, char **weights)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/model.so", dir);
	if (copy_file(library, path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/weights.txt", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < n_weights; i++)
		fprintf(f, "%s%s", i ? " " : "", weights[i]);
	fputc('\n', f);
	if (fclose(f) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/MLmodel", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "flavors:\n  c_function:\n    library: model.so\n    weights: weights.txt\n    abi: %d\n",
		MLFLOWC_MODEL_ABI);
	fprintf(f, "signature:\n  inputs: '[");
	for (int i = 1; i < n_weights; i++)
		fprintf(f, "%s{\"type\": \"double\", \"name\": \"x%d\", \"required\": true}", i > 1 ? ", " : "", i);
	fprintf(f, "]'\n  outputs: '[{\"type\": \"double\", \"required\": true}]'\n  params: null\n");
	return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: log_c_model LIBRARY NAME [BIAS W1 W2 ...]\n");
		return 2;
	}
	static char *default_weights[] = { "0.5", "2", "-1" };
	char **weights = argc > 3 ? argv + 3 : default_weights;
	int n_weights = argc > 3 ? argc - 3 : 3;
	if (n_weights < 2) {
		fprintf(stderr, "log_c_model: give a bias and at least one weight\n");
		return 2;
	}
	char dir[] = "/tmp/log_c_model-XXXXXX";
	if (!mkdtemp(dir) || write_model(dir, argv[1], n_weights, weights) < 0) {
		fprintf(stderr, "log_c_model: cannot write the model directory: %s\n", strerror(errno));
		return 1;
	}
	char why[256] = "";
	mlf_client *client;
	enum mlf_result r = mlf_client_open(NULL, NULL, &client, why, sizeof(why));
	if (r != MLF_CLIENT_OK) {
		fprintf(stderr, "log_c_model: %s\n", why);
		return 1;
	}
	char experiment_id[32], version[32], model_uri[128], run_id[64];
	mlf_run *run = NULL;
	if ((r = mlf_experiment_get_or_create(client, "c-models", experiment_id)) != MLF_CLIENT_OK ||
	    (r = mlf_run_start(client, experiment_id, "log-c-model", &run)) != MLF_CLIENT_OK) {
		mlf_client_close(client);
		return failed("start a run", r);
	}
	snprintf(run_id, sizeof(run_id), "%s", mlf_run_id(run));
	snprintf(model_uri, sizeof(model_uri), "runs:/%s/model", run_id);
	if ((r = mlf_log_artifacts(client, run_id, dir, "model")) != MLF_CLIENT_OK ||
	    (r = mlf_run_end(run, MLF_RUN_FINISHED)) != MLF_CLIENT_OK) {
		mlf_client_close(client);
		return failed("log the model", r);
	}
	if ((r = mlf_register_model(client, model_uri, argv[2], version)) != MLF_CLIENT_OK ||
	    (r = mlf_model_alias_set(client, argv[2], "champion", version)) != MLF_CLIENT_OK) {
		mlf_client_close(client);
		return failed("register the model", r);
	}
	printf("%s %s %s\n", argv[2], version, run_id);
	return mlf_client_close(client) == MLF_CLIENT_OK ? 0 : 1;
}
