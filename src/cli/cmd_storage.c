/*
 * cmd_storage.c - `mlflowc storage report`: where a store's space goes.
 * Lists bytes of artifacts and rows per experiment and per registered
 * model, the largest runs, and what `mlflowc gc` (with the same
 * --older-than) would reclaim. Reads only: artifact locations are reached
 * as gc reaches them (lifecycle.h) and sized by listing them; a location that
 * cannot be reached counts as unknown ("?") and is named on stderr.
 */
#include "cmd_gc.h"
#include "../base/arena.h"
#include "../base/util.h"
#include <stdlib.h>

#define CMD "storage report"

struct report_settings {
	const char *backend_store_uri;
	const char *artifacts_destination;
	const char *allowed_artifact_roots;
	const char *older_than;
	unsigned top;
};

#define OPT(field) offsetof(struct report_settings, field)
static const struct cli_option report_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "the store to report on (default sqlite:///mlflow.db); it must exist" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "where mlflow-artifacts:/ locations live (default ./mlartifacts; or s3://bucket/prefix)" },
	{ "allowed-artifact-roots", 0, CLI_STRING, OPT(allowed_artifact_roots), "DIRS",
	  "comma-separated local directories besides --artifacts-destination to size (env MLFLOW_ALLOWED_ARTIFACT_ROOTS)" },
	{ "older-than", 0, CLI_STRING, OPT(older_than), "AGE", "what gc --older-than AGE would reclaim (default: gc without it)" },
	{ "top", 0, CLI_UINT, OPT(top), "N", "how many of the largest runs to list (default 10)" },
	{ 0 },
};

/* A size that may be unknown. */
struct size {
	uint64_t bytes;
	bool unknown;
};

static void size_text(const struct size *s, char *out, size_t n)
{
	snprintf(out, n, "%llu%s", (unsigned long long)s->bytes, s->unknown ? "+?" : "");
}

static void measure(struct lifecycle_artifacts *g, const char *uri, struct size *s, size_t *unreachable)
{
	struct mlf_err err;
	uint64_t bytes = 0;
	if (!uri || !*uri)
		return;
	if (lifecycle_artifacts_size(g, uri, &bytes, &err) < 0) {
		s->unknown = true;
		if ((*unreachable)++ < 20)
			fprintf(stderr, "mlflowc %s: %s: %s\n", CMD, uri, err.msg);
		return;
	}
	s->bytes += bytes;
}

struct run_row {
	const struct store_gc_usage_run *run;
	struct size size;
};

static int by_size_desc(const void *pa, const void *pb)
{
	const struct run_row *a = pa, *b = pb;
	if (a->size.bytes != b->size.bytes)
		return a->size.bytes < b->size.bytes ? 1 : -1;
	if (a->run->rows != b->run->rows)
		return a->run->rows < b->run->rows ? 1 : -1;
	return strcmp(a->run->run_id, b->run->run_id);
}

/* A version's files: its location, a runs:/ one through its run. */
static const char *version_uri(const struct store_gc_usage_version *v, const struct run_row *runs, size_t n,
			       struct arena *a)
{
	const char *loc = v->location;
	if (!loc || strncmp(loc, "runs:/", 6) != 0)
		return loc;
	const char *id = loc + 6, *slash = strchr(id, '/');
	size_t idn = slash ? (size_t)(slash - id) : strlen(id);
	for (size_t i = 0; i < n; i++)
		if (strlen(runs[i].run->run_id) == idn && !strncmp(runs[i].run->run_id, id, idn))
			return slash && slash[1] ? arena_printf(a, "%s/%s", runs[i].run->artifact_uri, slash + 1)
						 : runs[i].run->artifact_uri;
	return NULL;
}

static int report(struct store *st, struct lifecycle_artifacts *g, const struct report_settings *s)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct store_gc_usage u;
	size_t unreachable = 0;
	char num[32];
	int status = 1;
	if (store_gc_usage(st, &u, &a, &err) < 0) {
		fprintf(stderr, "mlflowc %s: %s\n", CMD, err.msg);
		goto out;
	}
	struct run_row *runs = arena_alloc(&a, (u.n_runs + 1) * sizeof(*runs));
	for (size_t i = 0; i < u.n_runs; i++) {
		runs[i] = (struct run_row){ .run = &u.runs[i] };
		measure(g, u.runs[i].artifact_uri, &runs[i].size, &unreachable);
	}

	printf("experiments\n  %6s  %-7s  %16s  %10s  %14s  %s\n", "id", "stage", "runs", "rows", "bytes", "name");
	for (size_t e = 0; e < u.n_experiments; e++) {
		const struct store_gc_usage_experiment *x = &u.experiments[e];
		struct size size = { 0 };
		int64_t rows = x->rows, n = 0, deleted = 0;
		for (size_t i = 0; i < u.n_runs; i++) {
			if (u.runs[i].experiment_id != x->id)
				continue;
			n++;
			deleted += !strcmp(u.runs[i].lifecycle_stage, "deleted");
			rows += u.runs[i].rows;
			size.bytes += runs[i].size.bytes;
			size.unknown |= runs[i].size.unknown;
		}
		size_text(&size, num, sizeof(num));
		char count[48];
		snprintf(count, sizeof(count), deleted ? "%lld(%lld deleted)" : "%lld", (long long)n, (long long)deleted);
		printf("  %6lld  %-7s  %16s  %10lld  %14s  %s\n", (long long)x->id, x->lifecycle_stage, count,
		       (long long)rows, num, x->name);
	}

	printf("registered models\n  %8s  %10s  %14s  %s\n", "versions", "rows", "bytes", "name");
	for (size_t i = 0; i < u.n_versions;) {
		size_t j = i;
		struct size size = { 0 };
		int64_t rows = 1;
		for (; j < u.n_versions && !strcmp(u.versions[j].model_name, u.versions[i].model_name); j++) {
			const char *uri = version_uri(&u.versions[j], runs, u.n_runs, &a);
			if (uri)
				measure(g, uri, &size, &unreachable);
			else
				size.unknown = true;
			rows += u.versions[j].rows;
		}
		size_text(&size, num, sizeof(num));
		printf("  %8zu  %10lld  %14s  %s\n", j - i, (long long)rows, num, u.versions[i].model_name);
		i = j;
	}

	unsigned top = s->top ? s->top : 10;
	qsort(runs, u.n_runs, sizeof(*runs), by_size_desc);
	printf("largest runs\n  %14s  %10s  %10s  %-7s  %-32s  %s\n", "bytes", "rows", "experiment", "stage", "run_id",
	       "name");
	for (size_t i = 0; i < u.n_runs && i < top; i++) {
		size_text(&runs[i].size, num, sizeof(num));
		printf("  %14s  %10lld  %10lld  %-7s  %-32s  %s\n", num, (long long)runs[i].run->rows,
		       (long long)runs[i].run->experiment_id, runs[i].run->lifecycle_stage, runs[i].run->run_id,
		       runs[i].run->name);
	}

	/* what gc would reclaim: its own selection and dry run */
	struct store_gc_query q = { .now_ms = util_now_ms(), .older_than_text = s->older_than };
	if (s->older_than && *s->older_than) {
		if (store_gc_parse_older_than(s->older_than, &q.older_than_ms, &err) < 0) {
			fprintf(stderr, "mlflowc %s: %s\n", CMD, err.msg);
			goto out;
		}
		q.has_older_than = true;
	}
	struct store_gc_plan plan;
	if (store_gc_select(st, &q, &plan, &a, &err) < 0) {
		fprintf(stderr, "mlflowc %s: %s\n", CMD, err.msg);
		goto out;
	}
	g->dry_run = g->quiet = true;
	g->bytes = g->kept = 0;
	int plan_status = lifecycle_gc_dry_run(st, &plan, g);
	/* the rows of what goes: the runs gc would take (an active run in a
	 * deleted experiment stays, and keeps its experiment) */
	int64_t rows = 0;
	for (size_t i = 0; i < u.n_runs; i++) {
		bool goes = false;
		for (size_t k = 0; k < plan.n_runs && !goes; k++)
			goes = !strcmp(plan.runs[k].run_id, u.runs[i].run_id);
		for (size_t e = 0; e < plan.n_experiments && !goes; e++)
			goes = plan.experiments[e].id == u.runs[i].experiment_id &&
			       !strcmp(u.runs[i].lifecycle_stage, "deleted");
		if (goes)
			rows += u.runs[i].rows;
	}
	for (size_t e = 0; e < plan.n_experiments; e++) {
		bool active = false;
		for (size_t i = 0; i < u.n_runs; i++)
			active |= u.runs[i].experiment_id == plan.experiments[e].id &&
				  strcmp(u.runs[i].lifecycle_stage, "deleted") != 0;
		for (size_t i = 0; i < u.n_experiments && !active; i++)
			if (u.experiments[i].id == plan.experiments[e].id)
				rows += u.experiments[i].rows;
	}
	printf("gc%s%s would reclaim: %zu experiments, %zu runs, %lld rows, %llu%s bytes of artifacts (%llu paths kept)\n",
	       q.has_older_than ? " --older-than " : "", q.has_older_than ? s->older_than : "", g->n_experiments,
	       g->n_runs, (long long)rows, (unsigned long long)g->bytes, plan_status ? "+?" : "",
	       (unsigned long long)g->kept);
	status = 0;
out:
	arena_release(&a);
	return status;
}

static int storage_report(int argc, char **argv)
{
	static const char summary[] = "Bytes and rows per experiment and model, the largest runs, what gc would reclaim";
	struct report_settings s = {
		.backend_store_uri = "sqlite:///mlflow.db",
		.artifacts_destination = "./mlartifacts",
		.allowed_artifact_roots = getenv("MLFLOW_ALLOWED_ARTIFACT_ROOTS"),
	};
	int parsed = cli_parse(CMD, report_options, argc, argv, &s);
	if (parsed != 0) {
		if (parsed > 0)
			cli_usage(stdout, CMD, summary, report_options);
		return parsed > 0 ? 0 : 2;
	}
	struct store *st = NULL;
	struct lifecycle_artifacts g = { 0 };
	struct mlf_err err;
	int status = 1;
	if (gc_open_store(CMD, s.backend_store_uri, &st) < 0)
		goto out;
	if (lifecycle_artifacts_open(&g, s.artifacts_destination, s.allowed_artifact_roots, &err) < 0) {
		fprintf(stderr, "mlflowc %s: --artifacts-destination: %s\n", CMD, err.msg);
		goto out;
	}
	status = report(st, &g, &s);
out:
	lifecycle_artifacts_close(&g);
	store_close(st);
	return status;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} storage_commands[] = {
	{ "report", storage_report, "bytes and rows per experiment and model, the largest runs, what gc would reclaim" },
};

int cmd_storage(int argc, char **argv)
{
	if (argc >= 1)
		for (size_t i = 0; i < ARRAY_SIZE(storage_commands); i++)
			if (!strcmp(argv[0], storage_commands[i].name))
				return storage_commands[i].fn(argc - 1, argv + 1);
	FILE *f = argc >= 1 && !strcmp(argv[0], "--help") ? stdout : stderr;
	fprintf(f, "usage: mlflowc storage <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(storage_commands); i++)
		fprintf(f, "  %-8s %s\n", storage_commands[i].name, storage_commands[i].summary);
	return f == stdout ? 0 : 2;
}
