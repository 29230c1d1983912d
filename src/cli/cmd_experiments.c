/*
 * cmd_experiments.c - `mlflowc experiments ...`: create, search, get,
 * rename, delete and restore experiments and export an experiment's runs
 * as CSV, through the client library (include/mlflowc.h). Flag names are
 * MLflow's (`mlflow experiments`: -n/--experiment-name, -x/--experiment-id,
 * -l/--artifact-location, -v/--view, -o/--filename). Output is a table,
 * or MLflow's JSON message with --json (`get --output json` as in MLflow
 * works too). Exit codes: cli_client.h.
 */
#include "cli_tracking.h"
#include <errno.h>

struct exp_settings {
	CLI_COMMON_SETTINGS;
	const char *experiment_id;
	const char *experiment_name;
	const char *artifact_location;
	const char *new_name;
	const char *view;
	const char *filter;
	const char *output;
	const char *filename;
	const char *page_token;
	unsigned max_results;
	struct cli_list tags;
};

#define OPT(field) offsetof(struct exp_settings, field)
#define OPT_ID(type) { "experiment-id", 'x', type, OPT(experiment_id), "ID", "the experiment's id" }
#define OPT_NAME(help, type) { "experiment-name", 'n', type, OPT(experiment_name), "NAME", help }

/* ---- create -------------------------------------------------------------------- */

static const struct cli_option create_options[] = {
	OPT_NAME("the new experiment's name", CLI_REQUIRED),
	{ "artifact-location", 'l', CLI_STRING, OPT(artifact_location), "URI",
	  "where its runs' artifacts go (default: the server's artifact root)" },
	{ "tag", 't', CLI_LIST, OPT(tags), "KEY=VALUE", "an experiment tag (repeatable)" },
	CLI_COMMON_OPTIONS(struct exp_settings),
	{ 0 },
};

static int exp_create(int argc, char **argv)
{
	static const char cmd[] = "experiments create";
	struct exp_settings s = { 0 };
	struct mlf_tag tags[CLI_LIST_MAX];
	int exit_code;
	if (cli_parse_command(cmd, "Create an experiment and print its id.", create_options, argc, argv, &s, &exit_code) < 0 ||
	    cli_tags_parse(cmd, &s.tags, tags, &exit_code) < 0)
		return exit_code;
	mlf_client *c;
	if (cli_client_open(cmd, s.tracking_uri, &c, &exit_code) == 0) {
		char id[32];
		enum mlf_result r = mlf_experiment_create(c, s.experiment_name, s.artifact_location, tags, s.tags.n, id);
		mlf_client_close(c);
		if (r != MLF_CLIENT_OK)
			exit_code = cli_fail(cmd, r);
		else if (s.json)
			exit_code = printf("{\"experiment_id\":\"%s\"}\n", id) < 0 ? CLI_EXIT_LOCAL : CLI_EXIT_OK;
		else
			exit_code = printf("Experiment '%s' created with id %s\n", s.experiment_name, id) < 0 ? CLI_EXIT_LOCAL
												    : CLI_EXIT_OK;
	}
	cli_tags_free(tags, s.tags.n);
	return exit_code;
}

/* ---- search -------------------------------------------------------------------- */

static void experiments_table(const struct mlf_experiments *e, bool with_stage)
{
	static const char *const headers[] = { "Experiment Id", "Name", "Artifact Location", "Created", "Stage" };
	struct cli_table t;
	size_t ncols = with_stage ? 5 : 4;
	cli_table_init(&t, ncols, headers);
	for (size_t i = 0; i < e->count; i++) {
		const struct mlf_experiment *x = &e->items[i];
		char created[32];
		cli_format_time(x->creation_time, created);
		const char *cells[] = { x->experiment_id, x->name, x->artifact_location, created, x->lifecycle_stage };
		cli_table_add(&t, cells);
	}
	cli_table_print(&t, stdout, "(no experiments)");
	cli_table_free(&t);
	if (*e->next_page_token)
		fprintf(stderr, "more experiments: --page-token %s\n", e->next_page_token);
}

static const struct cli_option search_options[] = {
	{ "view", 'v', CLI_STRING, OPT(view), "VIEW", "active_only (default), deleted_only or all" },
	{ "filter", 0, CLI_STRING, OPT(filter), "FILTER", "MLflow search filter, e.g. \"name LIKE 'ci-%'\"" },
	{ "max-results", 0, CLI_UINT, OPT(max_results), "N", "one page of at most N (default: every page)" },
	{ "page-token", 0, CLI_STRING, OPT(page_token), "TOKEN", "the page after a previous --max-results search" },
	CLI_COMMON_OPTIONS(struct exp_settings),
	{ 0 },
};

static int exp_search(int argc, char **argv)
{
	static const char cmd[] = "experiments search";
	struct exp_settings s = { 0 };
	enum mlf_view_type view;
	int exit_code;
	if (cli_parse_command(cmd, "Search experiments.", search_options, argc, argv, &s, &exit_code) < 0 ||
	    cli_view_type(cmd, s.view, &view, &exit_code) < 0)
		return exit_code;
	if (s.page_token && !s.max_results)
		return cli_usage_error(cmd, "--page-token needs --max-results");
	mlf_client *c;
	if (cli_client_open(cmd, s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	struct mlf_experiments *e;
	enum mlf_result r = mlf_experiment_search(c, s.filter, view, s.max_results, s.page_token, &e);
	mlf_client_close(c);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	if (s.json) {
		puts(e->json);
	} else {
		experiments_table(e, view != MLF_VIEW_ACTIVE_ONLY);
	}
	mlf_experiments_free(e);
	return CLI_EXIT_OK;
}

/* ---- get ----------------------------------------------------------------------- */

static void experiment_fields(const struct mlf_experiment *x)
{
	static const char *const headers[] = { "Field", "Value" };
	char created[32], updated[32];
	cli_format_time(x->creation_time, created);
	cli_format_time(x->last_update_time, updated);
	struct cli_table t;
	cli_table_init(&t, 2, headers);
	const char *const rows[][2] = {
		{ "experiment_id", x->experiment_id },	       { "name", x->name },
		{ "artifact_location", x->artifact_location }, { "lifecycle_stage", x->lifecycle_stage },
		{ "creation_time", created },		       { "last_update_time", updated },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		cli_table_add(&t, rows[i]);
	for (size_t i = 0; i < x->n_tags; i++) {
		size_t n = strlen(x->tags[i].key) + 6;
		char *k = malloc(n);
		if (!k)
			continue;
		snprintf(k, n, "tags.%s", x->tags[i].key);
		cli_table_add(&t, (const char *const[]){ k, x->tags[i].value });
		free(k);
	}
	cli_table_print(&t, stdout, NULL);
	cli_table_free(&t);
}

static const struct cli_option get_options[] = {
	OPT_ID(CLI_STRING),
	OPT_NAME("or the experiment's name", CLI_STRING),
	{ "output", 0, CLI_STRING, OPT(output), "FORMAT", "table (default) or json, as MLflow's --output" },
	CLI_COMMON_OPTIONS(struct exp_settings),
	{ 0 },
};

static int exp_get(int argc, char **argv)
{
	static const char cmd[] = "experiments get";
	struct exp_settings s = { 0 };
	int exit_code;
	if (cli_parse_command(cmd, "Show one experiment.", get_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (!s.experiment_id == !s.experiment_name)
		return cli_usage_error(cmd, "give --experiment-id or --experiment-name (one of them)");
	if (s.output && strcmp(s.output, "json") != 0 && strcmp(s.output, "table") != 0)
		return cli_usage_error(cmd, "--output must be table or json, not '%s'", s.output);
	mlf_client *c;
	if (cli_client_open(cmd, s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	struct mlf_experiments *e;
	enum mlf_result r = s.experiment_id ? mlf_experiment_get(c, s.experiment_id, &e)
					    : mlf_experiment_get_by_name(c, s.experiment_name, &e);
	mlf_client_close(c);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	if (s.json || (s.output && strcmp(s.output, "json") == 0))
		puts(e->json);
	else
		experiment_fields(&e->items[0]);
	mlf_experiments_free(e);
	return CLI_EXIT_OK;
}

/* ---- rename / delete / restore -------------------------------------------------- */

static const struct cli_option rename_options[] = {
	OPT_ID(CLI_REQUIRED),
	{ "new-name", 0, CLI_REQUIRED, OPT(new_name), "NAME", "the new name" },
	CLI_COMMON_OPTIONS(struct exp_settings),
	{ 0 },
};

static const struct cli_option id_options[] = {
	OPT_ID(CLI_REQUIRED),
	CLI_COMMON_OPTIONS(struct exp_settings),
	{ 0 },
};

static enum mlf_result call_rename(mlf_client *c, const struct exp_settings *s)
{
	return mlf_experiment_rename(c, s->experiment_id, s->new_name);
}

static enum mlf_result call_delete(mlf_client *c, const struct exp_settings *s)
{
	return mlf_experiment_delete(c, s->experiment_id);
}

static enum mlf_result call_restore(mlf_client *c, const struct exp_settings *s)
{
	return mlf_experiment_restore(c, s->experiment_id);
}

/* What rename, delete and restore do after parsing. */
struct exp_change {
	const char *cmd;
	const char *summary;
	const struct cli_option *options;
	enum mlf_result (*call)(mlf_client *c, const struct exp_settings *s);
	const char *done;
};

static int exp_changed(const struct exp_change *x, int argc, char **argv)
{
	struct exp_settings s = { 0 };
	mlf_client *c;
	int exit_code;
	if (cli_parse_command(x->cmd, x->summary, x->options, argc, argv, &s, &exit_code) < 0 ||
	    cli_client_open(x->cmd, s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	enum mlf_result r = x->call(c, &s);
	mlf_client_close(c);
	if (r != MLF_CLIENT_OK)
		return cli_fail(x->cmd, r);
	if (s.json)
		puts("{}");
	else
		printf("Experiment %s %s.\n", s.experiment_id, x->done);
	return CLI_EXIT_OK;
}

static int exp_rename(int argc, char **argv)
{
	static const struct exp_change x = { "experiments rename", "Rename an experiment.", rename_options,
					     call_rename, "renamed" };
	return exp_changed(&x, argc, argv);
}

static int exp_delete(int argc, char **argv)
{
	static const struct exp_change x = { "experiments delete", "Mark an experiment and its runs deleted.",
					     id_options, call_delete, "deleted" };
	return exp_changed(&x, argc, argv);
}

static int exp_restore(int argc, char **argv)
{
	static const struct exp_change x = { "experiments restore", "Restore a deleted experiment and its runs.",
					     id_options, call_restore, "restored" };
	return exp_changed(&x, argc, argv);
}

/* ---- csv ----------------------------------------------------------------------- */

static const struct cli_option csv_options[] = {
	OPT_ID(CLI_REQUIRED),
	{ "filename", 'o', CLI_STRING, OPT(filename), "FILE", "write here instead of stdout" },
	CLI_TRACKING_URI_OPTION(struct exp_settings),
	{ 0 },
};

static int exp_csv(int argc, char **argv)
{
	static const char cmd[] = "experiments csv";
	struct exp_settings s = { 0 };
	mlf_client *c;
	int exit_code;
	if (cli_parse_command(cmd, "Write the experiment's active runs as CSV (MLflow's columns).", csv_options, argc,
			      argv, &s, &exit_code) < 0 ||
	    cli_client_open(cmd, s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	const char *ids[] = { s.experiment_id };
	const struct mlf_run_search q = { .experiment_ids = ids, .n_experiment_ids = 1 };
	struct mlf_runs *runs;
	enum mlf_result r = mlf_run_search(c, &q, &runs);
	mlf_client_close(c);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	FILE *f = s.filename ? fopen(s.filename, "we") : stdout;
	if (!f) {
		fprintf(stderr, "mlflowc %s: cannot write '%s': %s\n", cmd, s.filename, strerror(errno));
		mlf_runs_free(runs);
		return CLI_EXIT_LOCAL;
	}
	exit_code = cli_runs_csv(f, runs) == 0 ? CLI_EXIT_OK : CLI_EXIT_LOCAL;
	if (f != stdout && fclose(f) != 0)
		exit_code = CLI_EXIT_LOCAL;
	if (exit_code != CLI_EXIT_OK)
		fprintf(stderr, "mlflowc %s: writing the CSV failed: %s\n", cmd, strerror(errno));
	else if (s.filename)
		printf("Experiment %s: %zu runs written to %s\n", s.experiment_id, runs->count, s.filename);
	mlf_runs_free(runs);
	return exit_code;
}

/* ---- the group ------------------------------------------------------------------ */

static const struct cli_subcommand experiment_commands[] = {
	{ "create", exp_create, "Create an experiment" },
	{ "search", exp_search, "Search experiments (view, filter, paging)" },
	{ "get", exp_get, "Show one experiment by id or name" },
	{ "rename", exp_rename, "Rename an experiment" },
	{ "delete", exp_delete, "Delete an experiment (restorable)" },
	{ "restore", exp_restore, "Restore a deleted experiment" },
	{ "csv", exp_csv, "Export an experiment's runs as CSV" },
};

int cmd_experiments(int argc, char **argv)
{
	return cli_dispatch("experiments", experiment_commands, ARRAY_SIZE(experiment_commands), argc, argv);
}
