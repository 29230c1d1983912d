/*
 * cmd_artifacts.c - `mlflowc artifacts ...`: upload, list and download a
 * run's artifacts from scripts and CI jobs, with MLflow's command and flag
 * names (log-artifact, log-artifacts, list, download; -l/-r/-a/-u/-d).
 * Everything goes through the public client library (include/mlflowc.h),
 * so the artifact proxy, local artifact roots, runs:/ and models:/ URIs
 * behave as for any host program. Exit codes are cli_client.h's; a local
 * file or directory that cannot be read is exit 4 before any request.
 */
#include "cli_client.h"
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

struct artifacts_settings {
	const char *tracking_uri;
	const char *run_id;
	const char *local_file;
	const char *local_dir;
	const char *artifact_path;
	const char *artifact_uri;
	const char *dst_path;
	bool json;
};

#define OPT(field) offsetof(struct artifacts_settings, field)
#define TRACKING_URI_OPTION CLI_TRACKING_URI_OPTION(struct artifacts_settings)
#define RUN_ID_OPTION { "run-id", 'r', CLI_REQUIRED, OPT(run_id), "RUN_ID", "the run" }

static const struct cli_option log_artifact_options[] = {
	{ "local-file", 'l', CLI_REQUIRED, OPT(local_file), "FILE", "the file to upload" },
	RUN_ID_OPTION,
	{ "artifact-path", 'a', CLI_STRING, OPT(artifact_path), "PATH", "directory under the run's artifacts" },
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option log_artifacts_options[] = {
	{ "local-dir", 'l', CLI_REQUIRED, OPT(local_dir), "DIR", "the directory whose tree to upload" },
	RUN_ID_OPTION,
	{ "artifact-path", 'a', CLI_STRING, OPT(artifact_path), "PATH", "directory under the run's artifacts" },
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option list_options[] = {
	RUN_ID_OPTION,
	{ "artifact-path", 'a', CLI_STRING, OPT(artifact_path), "PATH", "directory to list (default: the root)" },
	CLI_JSON_OPTION(struct artifacts_settings),
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option download_options[] = {
	{ "run-id", 'r', CLI_STRING, OPT(run_id), "RUN_ID", "the run (or --artifact-uri)" },
	{ "artifact-path", 'a', CLI_STRING, OPT(artifact_path), "PATH", "file or directory of the run (default: all)" },
	{ "artifact-uri", 'u', CLI_STRING, OPT(artifact_uri), "URI",
	  "runs:/RUN/PATH, models:/NAME/VERSION|STAGE|latest, models:/NAME@ALIAS, ..." },
	{ "dst-path", 'd', CLI_STRING, OPT(dst_path), "DIR", "where to put it (default: a new temporary directory)" },
	TRACKING_URI_OPTION,
	{ 0 },
};

#undef RUN_ID_OPTION
#undef TRACKING_URI_OPTION
#undef OPT

/* 0 when `path` is a readable file (want_dir false) or directory; else
 * prints why and returns -1 with *exit_code CLI_EXIT_LOCAL. */
static int check_local(const char *cmd, const char *path, bool want_dir, int *exit_code)
{
	struct stat st;
	const char *why = NULL;
	if (stat(path, &st) != 0 || access(path, R_OK) != 0)
		why = strerror(errno);
	else if (want_dir && !S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (!want_dir && !S_ISREG(st.st_mode))
		why = "not a regular file";
	if (!why)
		return 0;
	fprintf(stderr, "mlflowc %s: cannot read '%s': %s\n", cmd, path, why);
	*exit_code = CLI_EXIT_LOCAL;
	return -1;
}

static int finish(const char *cmd, mlf_client *client, enum mlf_result r)
{
	int rc = r == MLF_CLIENT_OK ? CLI_EXIT_OK : cli_fail(cmd, r);
	mlf_client_close(client);
	return rc;
}

static int artifacts_log_artifact(int argc, char **argv)
{
	static const char cmd[] = "artifacts log-artifact";
	struct artifacts_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "Upload one file into a run's artifacts (as ARTIFACT_PATH/<file name>).",
		      log_artifact_options, argc, argv, &s, &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	if (check_local(cmd, s.local_file, false, &exit_code) < 0) {
		mlf_client_close(client);
		return exit_code;
	}
	return finish(cmd, client, mlf_log_artifact(client, s.run_id, s.local_file, s.artifact_path));
}

static int artifacts_log_artifacts(int argc, char **argv)
{
	static const char cmd[] = "artifacts log-artifacts";
	struct artifacts_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "Upload a directory tree into a run's artifacts (its files under ARTIFACT_PATH/).",
		      log_artifacts_options, argc, argv, &s, &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	if (check_local(cmd, s.local_dir, true, &exit_code) < 0) {
		mlf_client_close(client);
		return exit_code;
	}
	return finish(cmd, client, mlf_log_artifacts(client, s.run_id, s.local_dir, s.artifact_path));
}

static void print_listing(const struct mlf_artifacts *a)
{
	struct cli_table t;
	cli_table_init(&t, 3, (const char *const[]){ "PATH", "TYPE", "SIZE" });
	for (size_t i = 0; i < a->count; i++) {
		char size[32] = "";
		if (!a->items[i].is_dir && a->items[i].file_size >= 0)
			snprintf(size, sizeof(size), "%lld", (long long)a->items[i].file_size);
		cli_table_add(&t, (const char *const[]){ a->items[i].path, a->items[i].is_dir ? "dir" : "file", size });
	}
	cli_table_print(&t, stdout, "(no artifacts)");
	cli_table_free(&t);
}

static int artifacts_list(int argc, char **argv)
{
	static const char cmd[] = "artifacts list";
	struct artifacts_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "List the files and directories directly under ARTIFACT_PATH of a run.", list_options, argc,
		      argv, &s, &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	struct mlf_artifacts *a;
	enum mlf_result r = mlf_artifact_list(client, s.run_id, s.artifact_path, &a);
	if (r == MLF_CLIENT_OK && s.json)
		printf("%s\n", a->json);
	else if (r == MLF_CLIENT_OK)
		print_listing(a);
	mlf_artifacts_free(r == MLF_CLIENT_OK ? a : NULL);
	return finish(cmd, client, r);
}

static int artifacts_download(int argc, char **argv)
{
	static const char cmd[] = "artifacts download";
	struct artifacts_settings s = { 0 };
	int exit_code;
	if (cli_parse_command(cmd,
			      "Download a run's artifact (file or directory) or anything an artifact URI names, and\n"
			      "print the local path. models:/ URIs put the model's files directly in --dst-path.",
			      download_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (!s.run_id == !s.artifact_uri)
		return cli_usage_error(cmd, "give either --run-id (with an optional --artifact-path) or --artifact-uri");
	if (s.artifact_uri && s.artifact_path)
		return cli_usage_error(cmd, "--artifact-path goes with --run-id; put the path in the URI instead");
	mlf_client *client;
	if (cli_client_open(cmd, s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	char local[4096];
	enum mlf_result r = s.run_id ? mlf_artifact_download(client, s.run_id, s.artifact_path, s.dst_path, local,
							      sizeof(local))
				     : mlf_artifact_download_uri(client, s.artifact_uri, s.dst_path, local, sizeof(local));
	if (r == MLF_CLIENT_OK)
		printf("%s\n", local);
	return finish(cmd, client, r);
}

static const struct cli_subcommand artifacts_commands[] = {
	{ "log-artifact", artifacts_log_artifact, "upload a file into a run's artifacts" },
	{ "log-artifacts", artifacts_log_artifacts, "upload a directory tree into a run's artifacts" },
	{ "list", artifacts_list, "list a run's artifacts (one directory level)" },
	{ "download", artifacts_download, "download by run and path, or by runs:/, models:/ or other artifact URI" },
};

int cmd_artifacts(int argc, char **argv)
{
	return cli_dispatch("artifacts", artifacts_commands, ARRAY_SIZE(artifacts_commands), argc, argv);
}
