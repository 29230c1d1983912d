/*
 * main.c - the mlflowc command line: a table of subcommands.
 */
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "server", cmd_server, "Run the tracking server (REST API, artifact proxy, UI)" },
	{ "experiments", cmd_experiments, "Create, find, rename, delete and export experiments" },
	{ "runs", cmd_runs, "Create runs, log params/metrics/tags, end, search and describe them" },
	{ "models", cmd_models, "Model registry: register, stages, aliases, versions, list, history" },
	{ "artifacts", cmd_artifacts, "Upload, list and download a run's artifacts (runs:/, models:/ URIs)" },
	{ "export", cmd_export, "Write the store out as MLflow's file store (mlruns/)" },
	{ "import", cmd_import, "Import an MLflow SQL database (SQLite) and its artifacts, ids and all" },
	{ "gc", cmd_gc, "Permanently delete deleted runs and experiments, their rows and artifacts" },
	{ "storage", cmd_storage, "Storage report: bytes and rows per experiment and model, what gc would reclaim" },
	{ "retention", cmd_retention, "Retention policies per experiment and a default, applied by gc --apply-retention" },
	{ "routes", cmd_routes, "The route table as JSON lines: methods, paths, the permission each needs" },
	{ "db", cmd_db, "The store's schema: upgrade (apply migrations without serving), check (version, connectivity)" },
	{ "users", cmd_users, "The basic-auth app's users, permissions and tokens, worked on in the store" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mlflowc <command> [options]\n       mlflowc --version\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'mlflowc <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mlflowc %s (MLflow REST API %s)\n", MLF_VERSION, MLF_MLFLOW_COMPAT_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "mlflowc: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
