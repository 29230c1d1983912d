/*
 * cmd_gc.c - `mlflowc gc`: permanently deletes soft-deleted runs and
 * experiments with their rows and artifacts, with MLflow's flags
 * (--older-than, --experiment-ids, --run-ids, --backend-store-uri,
 * --artifacts-destination) and --dry-run.
 *
 * What may go is the store front's decision (store_gc.h) and the file work
 * is src/lifecycle (lifecycle_gc.c); this file reads the flags, opens the
 * store and the artifact stores (mlflow-artifacts:/ beneath
 * --artifacts-destination, local or s3://; local paths and file:// only
 * inside it or --allowed-artifact-roots), and prints what went. A run
 * whose files cannot be reached keeps its rows (reported; exit 1).
 * Safe beside a running server: every purge is one short write
 * transaction on the same WAL database (busy timeout 10 s).
 */
#include "cli.h"
#include "../base/arena.h"
#include "../base/util.h"
#include "cmd_gc.h"
#include "cmd_retention.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#define CMD "gc"

struct gc_settings {
	const char *backend_store_uri;
	const char *artifacts_destination;
	const char *allowed_artifact_roots;
	const char *older_than;
	const char *experiment_ids;
	const char *run_ids;
	bool dry_run;
	bool apply_retention;
};

#define OPT(field) offsetof(struct gc_settings, field)
static const struct cli_option gc_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "the store to collect (default sqlite:///mlflow.db); it must exist" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "where mlflow-artifacts:/ locations live, as the server's flag (default ./mlartifacts; or s3://bucket/prefix)" },
	{ "allowed-artifact-roots", 0, CLI_STRING, OPT(allowed_artifact_roots), "DIRS",
	  "comma-separated local directories besides --artifacts-destination where artifacts may be deleted "
	  "(env MLFLOW_ALLOWED_ARTIFACT_ROOTS)" },
	{ "older-than", 0, CLI_STRING, OPT(older_than), "AGE",
	  "only what was deleted longer ago than AGE, #d#h#m#s with fractions allowed (e.g. 30d, 1d2h3m4s, 1.5h)" },
	{ "experiment-ids", 0, CLI_STRING, OPT(experiment_ids), "IDS",
	  "comma-separated deleted experiments to remove with all their runs (default: every deleted experiment)" },
	{ "run-ids", 0, CLI_STRING, OPT(run_ids), "IDS", "comma-separated deleted runs to remove (default: every deleted run)" },
	{ "dry-run", 0, CLI_TRUE, OPT(dry_run), NULL, "list what would go and how many bytes, change nothing" },
	{ "apply-retention", 0, CLI_TRUE, OPT(apply_retention), NULL,
	  "first apply the retention policies (mlflowc retention), then collect" },
	{ 0 },
};

/* ---- flags ------------------------------------------------------------------------------ */

static int split_ids(char *list, const char ***out, size_t *n)
{
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	*out = calloc(cap, sizeof(**out));
	*n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t len = strlen(tok);
		while (len && tok[len - 1] == ' ')
			tok[--len] = 0;
		if (len)
			(*out)[(*n)++] = tok;
	}
	return 0;
}

/* The file a sqlite:// URI or bare path names; NULL for other schemes. */
static const char *sqlite_path(const char *uri)
{
	if (!strncmp(uri, "sqlite://", 9)) {
		const char *p = uri + 9;
		return *p == '/' ? p + 1 : p;
	}
	return strstr(uri, "://") ? NULL : uri;
}

static int fail(const char *what, const struct mlf_err *err)
{
	fprintf(stderr, "mlflowc %s: %s%s%s\n", CMD, what ? what : "", what ? ": " : "", err->msg);
	return 1;
}

/* ---- the command -------------------------------------------------------------------------- */

static void print_line(void *ctx, enum lifecycle_level level, const char *text)
{
	(void)ctx;
	if (level == LIFECYCLE_ERROR)
		fprintf(stderr, "mlflowc %s\n", text);
	else
		printf("%s\n", text);
}

const struct lifecycle_out gc_cli_out = { print_line, NULL };

int gc_open_store(const char *cmd, const char *uri, struct store **out)
{
	struct mlf_err err;
	const char *db = sqlite_path(uri);
	struct stat sb;
	*out = NULL;
	if (db && stat(db, &sb) < 0) {
		fprintf(stderr, "mlflowc %s: no store at '%s': %s\n", cmd, uri, strerror(errno));
		return -1;
	}
	struct store_options so = { .artifact_root = "mlflow-artifacts:/", .durability = STORE_DURABILITY_NORMAL };
	if (!(*out = store_open(uri, &so, &err))) {
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
		return -1;
	}
	return 0;
}

int cmd_gc(int argc, char **argv)
{
	static const char summary[] = "Permanently delete deleted runs and experiments, their rows and artifacts";
	struct gc_settings s = {
		.backend_store_uri = "sqlite:///mlflow.db",
		.artifacts_destination = "./mlartifacts",
		.allowed_artifact_roots = getenv("MLFLOW_ALLOWED_ARTIFACT_ROOTS"),
	};
	int parsed = cli_parse(CMD, gc_options, argc, argv, &s);
	if (parsed != 0) {
		if (parsed > 0)
			cli_usage(stdout, CMD, summary, gc_options);
		return parsed > 0 ? 0 : 2;
	}
	struct mlf_err err;
	struct store_gc_query q = { .now_ms = util_now_ms(), .older_than_text = s.older_than };
	if (s.older_than && *s.older_than) {
		if (store_gc_parse_older_than(s.older_than, &q.older_than_ms, &err) < 0)
			return fail(NULL, &err) + 1;
		q.has_older_than = true;
	}
	char *run_list = s.run_ids ? strdup(s.run_ids) : NULL;
	char *exp_list = s.experiment_ids ? strdup(s.experiment_ids) : NULL;
	const char **run_ids = NULL, **exp_texts = NULL;
	size_t n_exp = 0;
	int64_t *exp_ids = NULL;
	int status = 1;
	struct store *st = NULL;
	struct lifecycle_artifacts g = { .dry_run = s.dry_run, .out = gc_cli_out };
	struct arena a = ARENA_INIT;
	if (run_list)
		split_ids(run_list, &run_ids, &q.n_run_ids);
	if (exp_list) {
		split_ids(exp_list, &exp_texts, &n_exp);
		exp_ids = calloc(n_exp + 1, sizeof(*exp_ids));
		for (size_t i = 0; i < n_exp; i++)
			if (!util_parse_int64(exp_texts[i], &exp_ids[i])) {
				fprintf(stderr, "mlflowc %s: No Experiment with id=%s exists\n", CMD, exp_texts[i]);
				goto out;
			}
	}
	q.run_ids = run_ids;
	q.experiment_ids = exp_ids;
	q.n_experiment_ids = n_exp;

	if (gc_open_store(CMD, s.backend_store_uri, &st) < 0)
		goto out;
	if (lifecycle_artifacts_open(&g, s.artifacts_destination, s.allowed_artifact_roots, &err) < 0) {
		fail("--artifacts-destination", &err);
		goto out;
	}
	int retention_status = s.apply_retention ? retention_apply(st, &g, -1, s.dry_run) : 0;
	struct store_gc_plan plan;
	if (store_gc_select(st, &q, &plan, &a, &err) < 0) {
		fail(NULL, &err);
		goto out;
	}
	status = (s.dry_run ? lifecycle_gc_dry_run(st, &plan, &g) : lifecycle_gc_purge(st, &plan, &g)) | retention_status;
out:
	arena_release(&a);
	lifecycle_artifacts_close(&g);
	store_close(st);
	free(run_list);
	free(exp_list);
	free(run_ids);
	free(exp_texts);
	free(exp_ids);
	return status;
}
