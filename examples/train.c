/*
 * examples/train.c - a small training loop that reports to an MLflow
 * tracking server through libmlflowc: the shape of a real C/C++ trainer.
 *
 * It opens a client from MLFLOW_TRACKING_URI, finds or creates an
 * experiment, starts a run, logs the hyper-parameters, logs loss and
 * accuracy at every step (asynchronously: mlf_log_metric only queues), then
 * writes a "model" directory and a summary file and logs them as artifacts,
 * and ends the run. The run id is printed on stdout so a script can carry
 * on with the command line, e.g.
 *
 *   RUN=$(build/examples/train)
 *   build/mlflowc models register --model-uri runs:/$RUN/model --name fraud
 *
 * Build: make examples (-> build/examples/train). Usage:
 *   train [--experiment NAME] [--steps N] [--lr RATE]
 * Exit status: 0 done, 1 a library call failed (its message on stderr),
 * 2 bad usage.
 */
#include "mlflowc.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct settings {
	const char *experiment;
	long steps;
	double lr;
};

/* Prints the failed call and the library's reason; returns 1. */
static int failed(const char *what, enum mlf_result r)
{
	fprintf(stderr, "train: %s: %s (%s)\n", what, mlf_last_error(), mlf_result_name(r));
	return 1;
}

static int parse(int argc, char **argv, struct settings *s)
{
	for (int i = 1; i < argc; i += 2) { /* every option takes a value */
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		if (!strcmp(argv[i], "--experiment") && value)
			s->experiment = value;
		else if (!strcmp(argv[i], "--steps") && value && (s->steps = strtol(value, &end, 10)) > 0 && !*end)
			;
		else if (!strcmp(argv[i], "--lr") && value && (s->lr = strtod(value, &end)) > 0 && !*end)
			;
		else {
			fprintf(stderr, "usage: train [--experiment NAME] [--steps N] [--lr RATE]\n");
			return -1;
		}
	}
	return 0;
}

/* A deterministic, noisy, decreasing loss curve (no real model here). */
static double fake_loss(long step, double lr)
{
	double noise = 0.02 * sin((double)step * 1.7) * cos((double)step * 0.3);
	return 0.05 + 2.0 * exp(-lr * (double)step) + noise;
}

/* Writes `text` into dir/name. */
static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "train: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The "trained model": a directory with a descriptor and the weights. */
static int save_model(const char *workdir, double final_loss, char *model_dir, size_t size)
{
	snprintf(model_dir, size, "%s/model", workdir);
	if (mkdir(model_dir, 0755) != 0) {
		fprintf(stderr, "train: cannot create %s: %s\n", model_dir, strerror(errno));
		return -1;
	}
	char weights[256];
	snprintf(weights, sizeof(weights), "w0 %.6f\nw1 %.6f\nbias %.6f\n", 0.5 - final_loss, 1.0 + final_loss,
		 final_loss / 3);
	if (write_file(model_dir, "MLmodel", "flavors:\n  c_example:\n    weights: weights.txt\n") != 0)
		return -1;
	return write_file(model_dir, "weights.txt", weights);
}

/* Removes what save_model and main wrote. */
static void remove_workdir(const char *workdir)
{
	static const char *const files[] = { "model/MLmodel", "model/weights.txt", "summary.txt", "model", "" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", workdir, files[i]);
		remove(path); /* files, then the directories once empty */
	}
}

int main(int argc, char **argv)
{
	struct settings s = { .experiment = "mlflowc-example", .steps = 100, .lr = 0.05 };
	if (parse(argc, argv, &s) != 0)
		return 2;

	mlf_client *client;
	char why[256];
	enum mlf_result r = mlf_client_open(NULL, NULL, &client, why, sizeof(why)); /* NULL: $MLFLOW_TRACKING_URI */
	if (r != MLF_CLIENT_OK) {
		fprintf(stderr, "train: cannot open the client: %s\n", why);
		return 1;
	}
	char experiment_id[32];
	mlf_run *run = NULL;
	if ((r = mlf_experiment_get_or_create(client, s.experiment, experiment_id)) != MLF_CLIENT_OK ||
	    (r = mlf_run_start(client, experiment_id, "train-c", &run)) != MLF_CLIENT_OK) {
		int rc = failed("starting the run", r);
		mlf_client_close(client);
		return rc;
	}

	char steps[32], lr[32];
	snprintf(steps, sizeof(steps), "%ld", s.steps);
	snprintf(lr, sizeof(lr), "%g", s.lr);
	if ((r = mlf_log_param(run, "learning_rate", lr)) != MLF_CLIENT_OK ||
	    (r = mlf_log_param(run, "steps", steps)) != MLF_CLIENT_OK ||
	    (r = mlf_log_param(run, "optimizer", "sgd")) != MLF_CLIENT_OK ||
	    (r = mlf_set_tag(run, "example", "examples/train.c")) != MLF_CLIENT_OK)
		goto fail;

	double loss = 0;
	for (long step = 0; step < s.steps; step++) {
		loss = fake_loss(step, s.lr);
		/* queued and sent in batches by the client's sender thread */
		if ((r = mlf_log_metric(run, "loss", loss, 0, step)) != MLF_CLIENT_OK ||
		    (r = mlf_log_metric(run, "accuracy", 1.0 - loss / 2.1, 0, step)) != MLF_CLIENT_OK)
			goto fail;
	}

	char workdir[] = "/tmp/mlflowc-train-XXXXXX", model_dir[4096], summary[256], summary_path[4096];
	if (!mkdtemp(workdir)) {
		fprintf(stderr, "train: cannot create a work directory: %s\n", strerror(errno));
		mlf_run_end(run, MLF_RUN_FAILED);
		mlf_client_close(client);
		return 1;
	}
	snprintf(summary, sizeof(summary), "steps: %ld\nfinal loss: %.6f\n", s.steps, loss);
	snprintf(summary_path, sizeof(summary_path), "%s/summary.txt", workdir);
	int saved = save_model(workdir, loss, model_dir, sizeof(model_dir)) == 0 &&
		    write_file(workdir, "summary.txt", summary) == 0;
	const char *run_id = mlf_run_id(run);
	if (saved && ((r = mlf_log_artifact(client, run_id, summary_path, NULL)) != MLF_CLIENT_OK ||
		      (r = mlf_log_artifacts(client, run_id, model_dir, "model")) != MLF_CLIENT_OK))
		failed("logging the artifacts", r);
	remove_workdir(workdir);
	if (!saved || r != MLF_CLIENT_OK) {
		mlf_run_end(run, MLF_RUN_FAILED);
		mlf_client_close(client);
		return 1;
	}

	printf("%s\n", run_id); /* before mlf_run_end, which frees the handle and its id */
	r = mlf_run_end(run, MLF_RUN_FINISHED); /* flushes the metric queue first */
	if (r != MLF_CLIENT_OK)
		failed("ending the run", r);
	enum mlf_result closed = mlf_client_close(client);
	return r == MLF_CLIENT_OK && closed == MLF_CLIENT_OK ? 0 : 1;

fail:
	failed("logging", r);
	mlf_run_end(run, MLF_RUN_FAILED);
	mlf_client_close(client);
	return 1;
}
