/*
 * cmd_models_serve.c - `mlflowc models serve` and `mlflowc models predict`:
 * a model URI fetched into a complete local directory (model_fetch.h),
 * loaded with its flavor, and answered through the scoring protocol
 * (scoring_app.h): over HTTP until a signal, or once on a file. Flags and
 * defaults follow `mlflow models` (spec §10.1); the environment variables
 * MLflow reads for them are read too.
 */
#include "../base/log.h"
#include "../server/scoring_app.h"
#include "../server/serve.h"
#include "cli.h"
#include "cli_client.h"
#include "cmd_models_serve.h"
#include "model_fetch.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct serve_settings {
	const char *tracking_uri;
	const char *model_uri;
	const char *host;
	unsigned port;
	unsigned workers;
	unsigned timeout;
	const char *env_manager;
	bool no_conda;
	bool install_mlflow;
	const char *flavor;
	const char *python;
	const char *env_cache;
	bool system_site_packages;
	unsigned max_body_mb;
	const char *input_path;
	const char *output_path;
	const char *content_type;
};

#define OPT(field) offsetof(struct serve_settings, field)
#define MODEL_OPTIONS                                                                                           \
	{ "model-uri", 'm', CLI_REQUIRED, OPT(model_uri), "URI",                                                \
	  "a local model directory, runs:/RUN/PATH, models:/NAME/VERSION|STAGE|latest, models:/NAME@ALIAS, "    \
	  "mlflow-artifacts:/..." },                                                                             \
	{ "env-manager", 0, CLI_STRING, OPT(env_manager), "NAME",                                                \
	  "local (default: this machine's python3), virtualenv, conda or uv" },                                  \
	{ "no-conda", 0, CLI_TRUE, OPT(no_conda), NULL, "same as --env-manager local" },                         \
	{ "install-mlflow", 0, CLI_TRUE, OPT(install_mlflow), NULL,                                               \
	  "accepted for MLflow's CLI; mlflowc's Python loader does not need MLflow" },                           \
	{ "flavor", 0, CLI_STRING, OPT(flavor), "NAME",                                                          \
	  "run the model with this flavor (xgboost, c_function, python_function); default: the first native one" }, \
	{ "python", 0, CLI_STRING, OPT(python), "PATH", "the Python of the workers (default /usr/bin/python3)" },  \
	{ "env-cache", 0, CLI_STRING, OPT(env_cache), "DIR",                                                     \
	  "where virtualenvs are built and kept (default ~/.cache/mlflowc/envs)" },                              \
	{ "system-site-packages", 0, CLI_TRUE, OPT(system_site_packages), NULL,                                  \
	  "virtualenv: see the system's Python packages too" },                                                  \
	{ "tracking-uri", 0, CLI_STRING, OPT(tracking_uri), "URI", CLI_TRACKING_URI_HELP }

static const struct cli_option serve_options[] = {
	MODEL_OPTIONS,
	{ "port", 'p', CLI_UINT, OPT(port), "PORT", "port to listen on (default 5000, env MLFLOW_PORT)" },
	{ "host", 'h', CLI_STRING, OPT(host), "HOST", "address to listen on (default 127.0.0.1, env MLFLOW_HOST)" },
	{ "workers", 'w', CLI_UINT, OPT(workers), "N",
	  "predictions at once: Python worker processes (default 1, env MLFLOW_MODELS_WORKERS)" },
	{ "timeout", 't', CLI_UINT, OPT(timeout), "SECONDS",
	  "a request's limit (default 60, env MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT)" },
	{ "max-body-mb", 0, CLI_UINT, OPT(max_body_mb), "MB", "largest /invocations body (default 64)" },
	{ 0 },
};

static const struct cli_option predict_options[] = {
	MODEL_OPTIONS,
	{ "input-path", 'i', CLI_STRING, OPT(input_path), "FILE", "the payload (default stdin)" },
	{ "output-path", 'o', CLI_STRING, OPT(output_path), "FILE", "where predictions go (default stdout)" },
	{ "content-type", 't', CLI_STRING, OPT(content_type), "TYPE", "json (default) or csv" },
	{ 0 },
};

static unsigned env_uint(const char *name, unsigned fallback)
{
	const char *v = getenv(name);
	char *end;
	if (!v || !*v)
		return fallback;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	return *end || errno || n > 65535 * 1000UL ? fallback : (unsigned)n;
}

static void settings_defaults(struct serve_settings *s)
{
	const char *host = getenv("MLFLOW_HOST");
	*s = (struct serve_settings){
		.host = host && *host ? host : "127.0.0.1",
		.port = env_uint("MLFLOW_PORT", 5000),
		.workers = env_uint("MLFLOW_MODELS_WORKERS", 1),
		.timeout = env_uint("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", 60),
		.max_body_mb = 64,
		.content_type = "json",
	};
}

static const char *const env_managers[] = { "local", "virtualenv", "conda", "uv" };

/* The scoring configuration the settings describe; -1 after a message. */
static int scoring_config_of(const char *cmd, const struct serve_settings *s, const char *dir,
			     struct scoring_config *cfg)
{
	const char *env = s->no_conda ? "local" : s->env_manager ? s->env_manager : "local";
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(env_managers); i++)
		known |= strcmp(env, env_managers[i]) == 0;
	if (!known) {
		fprintf(stderr, "mlflowc %s: --env-manager must be local, virtualenv, conda or uv, not '%s'\n", cmd, env);
		return -1;
	}
	if (s->workers == 0 || s->workers > 256) {
		fprintf(stderr, "mlflowc %s: --workers must be between 1 and 256\n", cmd);
		return -1;
	}
	*cfg = (struct scoring_config){
		.model_path = dir,
		.flavor = s->flavor,
		.options = { .workers = s->workers, .timeout_ms = s->timeout * 1000u, .python = s->python,
			     .env_manager = env, .env_cache_dir = s->env_cache,
			     .system_site_packages = s->system_site_packages },
		.max_body = (size_t)s->max_body_mb << 20,
	};
	return 0;
}

/* Fetches the model and opens the scoring app; NULL after a message. */
static struct scoring_app *open_model(const char *cmd, const struct serve_settings *s, char *label, size_t size)
{
	char dir[4096], registered[1100];
	struct mlf_err err;
	struct model_fetch_options fo = { .tracking_uri = s->tracking_uri };
	if (model_fetch(s->model_uri, &fo, dir, sizeof(dir), registered, sizeof(registered), &err) < 0) {
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
		return NULL;
	}
	struct scoring_config cfg;
	if (scoring_config_of(cmd, s, dir, &cfg) < 0)
		return NULL;
	struct scoring_app *a = scoring_app_open(&cfg, &err);
	if (!a) {
		fprintf(stderr, "mlflowc %s: cannot load the model at %s: %s\n", cmd, dir, err.msg);
		return NULL;
	}
	snprintf(label, size, "%s%s%s, flavor %s", s->model_uri, *registered ? " = " : "", registered,
		 scoring_app_flavor(a));
	return a;
}

int models_serve(int argc, char **argv)
{
	static const char cmd[] = "models serve";
	static const char summary[] =
		"Serve a model with MLflow's scoring protocol: GET /ping, /health, /version, POST /invocations\n"
		"(application/json: dataframe_split, dataframe_records, instances, inputs, params; text/csv).\n"
		"xgboost and c_function models run natively, others in Python worker processes.";
	struct serve_settings s;
	settings_defaults(&s);
	int exit_code;
	if (cli_parse_command(cmd, summary, serve_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (s.port > 65535) {
		fprintf(stderr, "mlflowc %s: --port must be at most 65535\n", cmd);
		return CLI_EXIT_USAGE;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	serve_prepare_process();
	char label[8192];
	struct scoring_app *a = open_model(cmd, &s, label, sizeof(label));
	if (!a)
		return CLI_EXIT_REFUSED;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = (unsigned)(cpus > 0 ? cpus : 2) * 2;
	if (threads < s.workers * 2)
		threads = s.workers * 2;
	struct http_config hc = { .host = s.host, .port = s.port, .threads = threads,
				  .max_body = scoring_app_max_body(a), .idle_timeout = 120 };
	struct serve_handlers h = { scoring_app_handle, NULL, a };
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char detail[8400];
	snprintf(detail, sizeof(detail), "model %s; loaded in %.1f ms", label,
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	struct mlf_err err;
	int rc = serve_until_signal(&hc, &h, "mlflowc models serve", detail, &err);
	if (rc < 0)
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
	scoring_app_close(a);
	return rc < 0 ? CLI_EXIT_REFUSED : CLI_EXIT_OK;
}

/* Reads all of f into b; -1 on a read error or past `max` bytes. */
static int read_all(FILE *f, struct buf *b, size_t max)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > max)
			return -1;
		buf_add(b, chunk, n);
	}
	return ferror(f) ? -1 : 0;
}

int models_predict(int argc, char **argv)
{
	static const char cmd[] = "models predict";
	static const char summary[] =
		"Predict on a payload file (or stdin) with a model, exactly as `models serve` answers\n"
		"POST /invocations; the predictions JSON goes to --output-path (or stdout).\n"
		"Exit codes: 0 done, 1 the model or the payload was refused, 2 bad usage.";
	struct serve_settings s;
	settings_defaults(&s);
	int exit_code;
	if (cli_parse_command(cmd, summary, predict_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	const char *content_type = !strcmp(s.content_type, "json") ? "application/json"
				   : !strcmp(s.content_type, "csv") ? "text/csv"
								    : NULL;
	if (!content_type) {
		fprintf(stderr, "mlflowc %s: --content-type must be json or csv, not '%s'\n", cmd, s.content_type);
		return CLI_EXIT_USAGE;
	}
	FILE *in = s.input_path ? fopen(s.input_path, "rb") : stdin;
	if (!in) {
		fprintf(stderr, "mlflowc %s: cannot read %s: %s\n", cmd, s.input_path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	char label[8192];
	struct scoring_app *a = open_model(cmd, &s, label, sizeof(label));
	if (!a) {
		if (in != stdin)
			fclose(in);
		return CLI_EXIT_REFUSED;
	}
	struct buf body = BUF_INIT;
	int rc = read_all(in, &body, scoring_app_max_body(a));
	if (in != stdin)
		fclose(in);
	if (rc < 0) {
		fprintf(stderr, "mlflowc %s: cannot read the payload (or it is over %zu bytes)\n", cmd,
			scoring_app_max_body(a));
		buf_release(&body);
		scoring_app_close(a);
		return CLI_EXIT_USAGE;
	}
	struct scoring_answer ans;
	scoring_app_invoke(a, content_type, body.ptr ? body.ptr : "", body.len, false, &ans);
	buf_release(&body);
	scoring_app_close(a);
	if (ans.status != 200) {
		fprintf(stderr, "mlflowc %s: %d: %.*s\n", cmd, ans.status, (int)ans.body.len, ans.body.ptr);
		scoring_answer_release(&ans);
		return CLI_EXIT_REFUSED;
	}
	FILE *out = s.output_path ? fopen(s.output_path, "wb") : stdout;
	if (!out) {
		fprintf(stderr, "mlflowc %s: cannot write %s: %s\n", cmd, s.output_path, strerror(errno));
		scoring_answer_release(&ans);
		return CLI_EXIT_USAGE;
	}
	bool ok = fwrite(ans.body.ptr, 1, ans.body.len, out) == ans.body.len && fputc('\n', out) != EOF;
	ok = (out == stdout ? fflush(out) : fclose(out)) == 0 && ok;
	scoring_answer_release(&ans);
	if (!ok) {
		fprintf(stderr, "mlflowc %s: writing the predictions failed: %s\n", cmd, strerror(errno));
		return CLI_EXIT_REFUSED;
	}
	return CLI_EXIT_OK;
}
