/*
 * cmd_models.c - `mlflowc models ...`: the model registry from scripts and
 * CI jobs: register a version from a runs:/ (or any) URI, move it between
 * stages, set and delete aliases, look versions up by stage, alias or
 * number, list registered models, and print mlflowc's audit trail of stage
 * transitions and alias moves (`models history NAME`).
 *
 * A client like any other host program: it talks to the server named by
 * --tracking-uri, MLFLOW_TRACKING_URI or http://127.0.0.1:5000 through the
 * public library (include/mlflowc.h) and never opens a database. Output is
 * a table, or MLflow's JSON with --json; `register` prints the new version
 * number alone so a script can capture it. Exit codes are cli_client.h's:
 * 0 done, 1 the server refused (unknown model, bad version: its message is
 * printed), 2 bad usage, 3 the server could not be reached.
 */
#include "cli_client.h"
#include "cmd_models_serve.h"

struct models_settings {
	const char *tracking_uri;
	const char *name;
	const char *model_uri;
	const char *version;
	const char *stage;
	const char *alias;
	const char *filter;
	bool archive;
	bool json;
};

#define OPT(field) offsetof(struct models_settings, field)
#define TRACKING_URI_OPTION CLI_TRACKING_URI_OPTION(struct models_settings)
#define NAME_OPTION { "name", 'n', CLI_REQUIRED, OPT(name), "NAME", "registered model name" }
#define JSON_OPTION CLI_JSON_OPTION(struct models_settings)

static const struct cli_option register_options[] = {
	{ "model-uri", 'm', CLI_REQUIRED, OPT(model_uri), "URI", "runs:/RUN_ID/PATH or any artifact URI" },
	NAME_OPTION,
	JSON_OPTION,
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option transition_options[] = {
	NAME_OPTION,
	{ "version", 'v', CLI_REQUIRED, OPT(version), "N", "version number" },
	{ "stage", 's', CLI_REQUIRED, OPT(stage), "STAGE", "None, Staging, Production or Archived" },
	{ "archive-existing-versions", 0, CLI_TRUE, OPT(archive), NULL,
	  "move the other versions in STAGE to Archived" },
	JSON_OPTION,
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option set_alias_options[] = {
	NAME_OPTION,
	{ "alias", 'a', CLI_REQUIRED, OPT(alias), "ALIAS", "alias to set" },
	{ "version", 'v', CLI_REQUIRED, OPT(version), "N", "version it points at" },
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option delete_alias_options[] = {
	NAME_OPTION,
	{ "alias", 'a', CLI_REQUIRED, OPT(alias), "ALIAS", "alias to remove" },
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option get_latest_options[] = {
	NAME_OPTION,
	{ "stage", 's', CLI_STRING, OPT(stage), "STAGE", "only this stage (default: any)" },
	JSON_OPTION,
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option get_version_options[] = {
	NAME_OPTION,
	{ "version", 'v', CLI_STRING, OPT(version), "N", "version number (or --alias)" },
	{ "alias", 'a', CLI_STRING, OPT(alias), "ALIAS", "the version this alias points at" },
	JSON_OPTION,
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option download_uri_options[] = {
	{ "name", 'n', CLI_STRING, OPT(name), "NAME", "registered model name (with --version)" },
	{ "version", 'v', CLI_STRING, OPT(version), "N", "version number" },
	{ "model-uri", 'm', CLI_STRING, OPT(model_uri), "URI",
	  "or models:/NAME/VERSION|STAGE|latest or models:/NAME@ALIAS" },
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option list_options[] = {
	{ "filter", 'f', CLI_STRING, OPT(filter), "FILTER", "MLflow's filter, e.g. \"name LIKE 'fraud%'\"" },
	JSON_OPTION,
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option history_options[] = {
	{ "version", 0, CLI_STRING, OPT(version), "N", "only the changes of version N" },
	CLI_JSON_OPTION(struct models_settings),
	TRACKING_URI_OPTION,
	{ 0 },
};

#undef JSON_OPTION
#undef NAME_OPTION
#undef TRACKING_URI_OPTION
#undef OPT

/* ---- shared steps ---------------------------------------------------------------- */

/* Prints why `r` failed and returns its exit code; an unreachable server
 * is named as such. */
static int fail(const char *cmd, const char *tracking_flag, enum mlf_result r)
{
	if (r != MLF_CLIENT_ERR_TRANSPORT)
		return cli_fail(cmd, r);
	fprintf(stderr, "mlflowc %s: cannot reach '%s': %s\n", cmd, cli_tracking_uri(tracking_flag), mlf_last_error());
	return cli_exit_code(r);
}

static int finish(const char *cmd, const struct models_settings *s, mlf_client *client, enum mlf_result r)
{
	int rc = r == MLF_CLIENT_OK ? CLI_EXIT_OK : fail(cmd, s->tracking_uri, r);
	mlf_client_close(client);
	return rc;
}

static void join_aliases(const struct mlf_model_version *v, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < v->n_aliases && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s@%s", i ? "," : "", v->aliases[i]);
}

/* Prints versions as a table, or their JSON. */
static void print_versions(const struct mlf_model_versions *v, bool json)
{
	if (json) {
		printf("%s\n", v->json);
		return;
	}
	struct cli_table t;
	cli_table_init(&t, 8,
		       (const char *const[]){ "NAME", "VERSION", "STAGE", "STATUS", "ALIASES", "CREATED (UTC)", "RUN_ID",
					      "SOURCE" });
	for (size_t i = 0; i < v->count; i++) {
		const struct mlf_model_version *m = &v->items[i];
		char aliases[512], created[32];
		join_aliases(m, aliases, sizeof(aliases));
		cli_format_time(m->creation_timestamp, created);
		cli_table_add(&t, (const char *const[]){ m->name, m->version, m->current_stage, m->status, aliases,
							 created, m->run_id, m->source });
	}
	cli_table_print(&t, stdout, "(no versions)");
	cli_table_free(&t);
}

/* ---- commands ---------------------------------------------------------------------- */

static int models_register(int argc, char **argv)
{
	static const char cmd[] = "models register";
	struct models_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd,
		      "Register a version of model NAME from MODEL_URI (creating NAME if needed), wait until it\n"
		      "is READY and print its version number (or the version as JSON).",
		      register_options, argc, argv, &s, &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	char version[32];
	enum mlf_result r = mlf_register_model(client, s.model_uri, s.name, version);
	struct mlf_model_versions *v = NULL;
	if (r == MLF_CLIENT_OK && s.json)
		r = mlf_model_version_get(client, s.name, version, &v);
	if (r == MLF_CLIENT_OK)
		printf("%s\n", v ? v->json : version);
	mlf_model_versions_free(v);
	return finish(cmd, &s, client, r);
}

static int models_transition_stage(int argc, char **argv)
{
	static const char cmd[] = "models transition-stage";
	struct models_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "Move version N of model NAME to STAGE and print it.", transition_options, argc, argv, &s,
		      &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	struct mlf_model_versions *v = NULL;
	enum mlf_result r = mlf_model_version_transition_stage(client, s.name, s.version, s.stage, s.archive, &v);
	if (r == MLF_CLIENT_OK)
		print_versions(v, s.json);
	mlf_model_versions_free(v);
	return finish(cmd, &s, client, r);
}

static int models_set_alias(int argc, char **argv)
{
	static const char cmd[] = "models set-alias";
	struct models_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "Point alias ALIAS of model NAME at version N (moving it if it is set).", set_alias_options,
		      argc, argv, &s, &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	return finish(cmd, &s, client, mlf_model_alias_set(client, s.name, s.alias, s.version));
}

static int models_delete_alias(int argc, char **argv)
{
	static const char cmd[] = "models delete-alias";
	struct models_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "Remove alias ALIAS of model NAME.", delete_alias_options, argc, argv, &s, &s.tracking_uri,
		      &client, &exit_code) < 0)
		return exit_code;
	return finish(cmd, &s, client, mlf_model_alias_delete(client, s.name, s.alias));
}

static int models_get_latest(int argc, char **argv)
{
	static const char cmd[] = "models get-latest";
	struct models_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "Print the highest version of model NAME in STAGE (default: in any stage).",
		      get_latest_options, argc, argv, &s, &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	struct mlf_model_versions *v = NULL;
	enum mlf_result r = mlf_model_version_latest(client, s.name, s.stage, &v);
	if (r == MLF_CLIENT_OK)
		print_versions(v, s.json);
	mlf_model_versions_free(v);
	return finish(cmd, &s, client, r);
}

static int models_get_version(int argc, char **argv)
{
	static const char cmd[] = "models get-version";
	struct models_settings s = { 0 };
	int exit_code;
	if (cli_parse_command(cmd, "Print version N of model NAME, or the version alias ALIAS points at.",
			      get_version_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (!s.version == !s.alias)
		return cli_usage_error(cmd, "give either --version or --alias");
	mlf_client *client;
	if (cli_client_open(cmd, s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	struct mlf_model_versions *v = NULL;
	enum mlf_result r = s.version ? mlf_model_version_get(client, s.name, s.version, &v)
				      : mlf_model_version_by_alias(client, s.name, s.alias, &v);
	if (r == MLF_CLIENT_OK)
		print_versions(v, s.json);
	mlf_model_versions_free(v);
	return finish(cmd, &s, client, r);
}

static int models_get_download_uri(int argc, char **argv)
{
	static const char cmd[] = "models get-download-uri";
	struct models_settings s = { 0 };
	int exit_code;
	if (cli_parse_command(cmd,
			      "Print where a model version's files are (its artifact URI), by name and version\n"
			      "or by models:/ URI.",
			      download_uri_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (!s.model_uri == !(s.name && s.version) || (s.model_uri && (s.name || s.version)))
		return cli_usage_error(cmd, "give either --name with --version, or --model-uri");
	mlf_client *client;
	if (cli_client_open(cmd, s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	char uri[4096];
	enum mlf_result r = s.model_uri ? mlf_model_uri_resolve(client, s.model_uri, uri, sizeof(uri))
					: mlf_model_version_download_uri(client, s.name, s.version, uri, sizeof(uri));
	if (r == MLF_CLIENT_OK)
		printf("%s\n", uri);
	return finish(cmd, &s, client, r);
}

static void print_models(const struct mlf_registered_models *m)
{
	struct cli_table t;
	cli_table_init(&t, 4, (const char *const[]){ "NAME", "LATEST VERSIONS", "ALIASES", "UPDATED (UTC)" });
	for (size_t i = 0; i < m->count; i++) {
		const struct mlf_registered_model *rm = &m->items[i];
		char latest[512] = "", aliases[512] = "", updated[32];
		size_t used = 0;
		for (size_t k = 0; k < rm->n_latest_versions && used < sizeof(latest); k++)
			used += (size_t)snprintf(latest + used, sizeof(latest) - used, "%s%s:%s", k ? ", " : "",
						 rm->latest_versions[k].current_stage, rm->latest_versions[k].version);
		used = 0;
		for (size_t k = 0; k < rm->n_aliases && used < sizeof(aliases); k++)
			used += (size_t)snprintf(aliases + used, sizeof(aliases) - used, "%s@%s=%s", k ? ", " : "",
						 rm->aliases[k].alias, rm->aliases[k].version);
		cli_format_time(rm->last_updated_timestamp ? rm->last_updated_timestamp : rm->creation_timestamp,
				updated);
		cli_table_add(&t, (const char *const[]){ rm->name, latest, aliases, updated });
	}
	cli_table_print(&t, stdout, "(no registered models)");
	cli_table_free(&t);
}

static int models_list(int argc, char **argv)
{
	static const char cmd[] = "models list";
	struct models_settings s = { 0 };
	mlf_client *client;
	int exit_code;
	if (cli_begin(cmd, "List registered models with their latest version per stage and their aliases.",
		      list_options, argc, argv, &s, &s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	struct mlf_registered_models *m = NULL;
	enum mlf_result r = mlf_registered_model_search(client, s.filter, &m);
	if (r == MLF_CLIENT_OK && s.json)
		printf("%s\n", m->json);
	else if (r == MLF_CLIENT_OK)
		print_models(m);
	mlf_registered_models_free(m);
	return finish(cmd, &s, client, r);
}

/* ---- history ------------------------------------------------------------------------ */

/* "2026-01-31 12:00:00.123" in UTC for epoch milliseconds. */
static void format_time_ms(int64_t ms, char out[32])
{
	cli_format_time(ms, out);
	size_t n = strlen(out);
	if (ms > 0 && n + 4 < 32)
		snprintf(out + n, 32 - n, ".%03d", (int)(ms % 1000));
}

static void print_history(const struct mlf_model_events *h)
{
	printf("%-6s %-23s %-7s %-6s %-16s %-28s %-12s %s\n", "EVENT", "TIME (UTC)", "VERSION", "KIND", "ALIAS",
	       "CHANGE", "USER", "COMMENT");
	for (size_t i = 0; i < h->count; i++) {
		const struct mlf_model_event *ev = &h->items[i];
		char when[32], change[96];
		format_time_ms(ev->timestamp, when);
		snprintf(change, sizeof(change), "%s -> %s", *ev->from ? ev->from : "(none)",
			 *ev->to ? ev->to : "(removed)");
		printf("%-6lld %-23s %-7s %-6s %-16s %-28s %-12s %s\n", (long long)ev->event_id, when, ev->version,
		       ev->kind, *ev->alias ? ev->alias : "-", change, ev->user_id, ev->comment);
	}
	if (!h->count)
		printf("(no stage transitions or alias moves recorded)\n");
}

static int models_history(int argc, char **argv)
{
	static const char cmd[] = "models history";
	static const char summary[] = "Print the recorded stage transitions and alias moves of registered model NAME,\n"
				      "oldest first. Exit codes: 0 done, 1 the server refused (e.g. unknown model),\n"
				      "2 bad usage, 3 server unreachable.";
	struct models_settings s = { 0 };
	if (argc < 1 || argv[0][0] == '-') {
		bool asked = argc >= 1 && !strcmp(argv[0], "--help");
		cli_usage(asked ? stdout : stderr, "models history NAME", summary, history_options);
		return asked ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	int exit_code;
	if (cli_parse_command(cmd, summary, history_options, argc - 1, argv + 1, &s, &exit_code) < 0)
		return exit_code;
	mlf_client *client;
	if (cli_client_open(cmd, s.tracking_uri, &client, &exit_code) < 0)
		return exit_code;
	struct mlf_model_events *h = NULL;
	enum mlf_result r = mlf_model_history(client, argv[0], s.version, &h);
	if (r == MLF_CLIENT_OK && s.json)
		printf("%s\n", h->json);
	else if (r == MLF_CLIENT_OK)
		print_history(h);
	mlf_model_events_free(h);
	return finish(cmd, &s, client, r);
}

static const struct cli_subcommand model_commands[] = {
	{ "register", models_register, "register a model version from a runs:/ or other URI; prints the version" },
	{ "transition-stage", models_transition_stage, "move a version to None, Staging, Production or Archived" },
	{ "set-alias", models_set_alias, "point an alias at a version" },
	{ "delete-alias", models_delete_alias, "remove an alias" },
	{ "get-latest", models_get_latest, "the highest version, in a stage or overall" },
	{ "get-version", models_get_version, "a version by number or by alias" },
	{ "get-download-uri", models_get_download_uri, "the artifact URI of a version or of a models:/ URI" },
	{ "list", models_list, "registered models with their latest versions and aliases" },
	{ "history", models_history, "stage transitions and alias moves of a registered model" },
	{ "serve", models_serve, "serve a model over HTTP with MLflow's scoring protocol" },
	{ "predict", models_predict, "predict on a file or stdin with a model, as serve would" },
};

int cmd_models(int argc, char **argv)
{
	return cli_dispatch("models", model_commands, ARRAY_SIZE(model_commands), argc, argv);
}
