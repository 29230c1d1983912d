/*
 * cmd_export.c - `mlflowc export`: writes a stopped or running mlflowc
 * store out as MLflow's file store (`mlruns/`) with export_mlruns(), and
 * prints what it wrote. The store is opened like the server opens it; a
 * database that does not exist is refused, never created.
 */
#include "cli.h"
#include "cli_client.h"
#include "export_mlruns.h"
#include "../base/util.h"
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

struct export_settings {
	const char *backend_store_uri;
	const char *artifacts_destination;
	const char *to;
	const char *experiment_ids;
	bool include_artifacts;
	bool keep_artifact_locations;
	bool force;
};

#define OPT(field) offsetof(struct export_settings, field)

static const struct cli_option export_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "the mlflowc store to export (default sqlite:///mlflow.db)" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "where the server's artifact proxy stored files, for mlflow-artifacts:/ URIs (default ./mlartifacts)" },
	{ "to", 0, CLI_REQUIRED, OPT(to), "DIR", "the new or empty directory to write the file store into" },
	{ "experiment-ids", 0, CLI_STRING, OPT(experiment_ids), "ID,ID",
	  "export only these experiments (the registry is always exported)" },
	{ "include-artifacts", 0, CLI_TRUE, OPT(include_artifacts), NULL,
	  "copy every run's artifacts into the export and point artifact locations at the copies" },
	{ "keep-artifact-locations", 0, CLI_TRUE, OPT(keep_artifact_locations), NULL,
	  "leave artifacts where they are and keep their locations (default)" },
	{ "force", 0, CLI_TRUE, OPT(force), NULL, "replace a non-empty --to directory" },
	{ 0 },
};

static const char export_summary[] =
	"Write the store out as MLflow's file store (mlruns/), readable by `mlflow ui --backend-store-uri DIR`.";

/* "1,2,3" into ids; -1 with the message printed on a bad id. */
static int parse_ids(const char *cmd, const char *list, int64_t *ids, size_t max, size_t *n, int *exit_code)
{
	*n = 0;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char one[32];
		if (len == 0 || len >= sizeof(one))
			return cli_usage_fail(exit_code, cmd, "--experiment-ids: bad id list '%s'", list);
		memcpy(one, p, len);
		one[len] = 0;
		if (*n == max)
			return cli_usage_fail(exit_code, cmd, "--experiment-ids: at most %zu ids", max);
		if (!util_parse_int64(one, &ids[*n]) || ids[*n] < 0)
			return cli_usage_fail(exit_code, cmd, "--experiment-ids: '%s' is not an experiment id", one);
		(*n)++;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

/* The database file a sqlite: URI or bare path names must exist: an export
 * never creates a store. */
static int store_must_exist(const char *cmd, const char *uri, int *exit_code)
{
	const char *path = uri;
	if (strncmp(uri, "sqlite://", 9) == 0) {
		path = uri + 9;
		if (*path == '/')
			path++;
	}
	struct stat sb;
	if (strstr(path, "://") == NULL && stat(path, &sb) < 0) {
		fprintf(stderr, "mlflowc %s: no store at %s (%s)\n", cmd, uri, strerror(errno));
		*exit_code = CLI_EXIT_REFUSED;
		return -1;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const char cmd[] = "export";
	struct export_settings s = { .backend_store_uri = "sqlite:///mlflow.db", .artifacts_destination = "./mlartifacts" };
	int64_t ids[1024];
	size_t n_ids = 0;
	int exit_code;
	if (cli_parse_command(cmd, export_summary, export_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (s.include_artifacts && s.keep_artifact_locations)
		return cli_usage_error(cmd, "--include-artifacts and --keep-artifact-locations exclude each other");
	if (s.experiment_ids && parse_ids(cmd, s.experiment_ids, ids, ARRAY_SIZE(ids), &n_ids, &exit_code) < 0)
		return exit_code;
	if (store_must_exist(cmd, s.backend_store_uri, &exit_code) < 0)
		return exit_code;
	struct mlf_err err = { 0 };
	struct store_options so = { .artifact_root = "mlflow-artifacts:/" };
	struct store *st = NULL;
	if (store_check_uri(s.backend_store_uri, &err) < 0 || !(st = store_open(s.backend_store_uri, &so, &err))) {
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
		return CLI_EXIT_REFUSED;
	}
	char dest[4096];
	const char *destination = s.artifacts_destination;
	if (realpath(destination, dest))
		destination = dest;
	struct export_options opt = {
		.to = s.to,
		.artifacts_destination = destination,
		.experiment_ids = s.experiment_ids ? ids : NULL,
		.n_experiment_ids = n_ids,
		.include_artifacts = s.include_artifacts,
		.force = s.force,
	};
	struct export_counts c;
	int rc = export_mlruns(st, &opt, &c, &err);
	store_close(st);
	if (rc < 0) {
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
		return CLI_EXIT_REFUSED;
	}
	printf("exported to %s: %zu experiments, %zu runs, %zu params, %zu tags, %zu metric points, %zu datasets, "
	       "%zu inputs, %zu registered models, %zu versions, %zu aliases, %zu artifact files (%llu bytes)\n",
	       s.to, c.experiments, c.runs, c.params, c.tags, c.metric_points, c.datasets, c.inputs, c.models, c.versions,
	       c.aliases, c.artifact_files, (unsigned long long)c.artifact_bytes);
	return CLI_EXIT_OK;
}
