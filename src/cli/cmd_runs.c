/*
 * cmd_runs.c - `mlflowc runs ...`: runs from scripts and CI/CD through the
 * client library (include/mlflowc.h). create prints the new run's id so a
 * pipeline can keep it (RUN=$(mlflowc runs create ...)); later steps log
 * params, metrics and tags into it by id, end it, and list, search or
 * describe runs. Flag names follow MLflow's `mlflow runs` where MLflow has
 * the command. Output is a table, or MLflow's JSON message with --json.
 * Exit codes: cli_client.h.
 *
 * Also the helpers cli_tracking.h declares for cmd_experiments.c.
 */
#include "cli_tracking.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <strings.h>

/* ---- shared helpers (cli_tracking.h) ---------------------------------------- */

static const struct {
	const char *name;
	enum mlf_view_type view;
} view_names[] = {
	{ "active_only", MLF_VIEW_ACTIVE_ONLY },
	{ "deleted_only", MLF_VIEW_DELETED_ONLY },
	{ "all", MLF_VIEW_ALL },
};

int cli_view_type(const char *cmd, const char *name, enum mlf_view_type *out, int *exit_code)
{
	*out = MLF_VIEW_ACTIVE_ONLY;
	if (!name)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(view_names); i++) {
		if (strcasecmp(name, view_names[i].name) == 0) {
			*out = view_names[i].view;
			return 0;
		}
	}
	return cli_usage_fail(exit_code, cmd, "--view must be active_only, deleted_only or all, not '%s'", name);
}

int cli_tags_parse(const char *cmd, const struct cli_list *list, struct mlf_tag tags[CLI_LIST_MAX], int *exit_code)
{
	for (size_t i = 0; i < list->n; i++) {
		const char *eq = strchr(list->items[i], '=');
		if (!eq || eq == list->items[i]) {
			cli_tags_free(tags, i);
			return cli_usage_fail(exit_code, cmd, "a tag is key=value, not '%s'", list->items[i]);
		}
		tags[i] = (struct mlf_tag){ xstrndup(list->items[i], (size_t)(eq - list->items[i])), eq + 1 };
		for (size_t k = 0; k < i; k++) {
			if (strcmp(tags[k].key, tags[i].key) == 0) {
				cli_usage_fail(exit_code, cmd, "tag '%s' is given twice", tags[i].key);
				cli_tags_free(tags, i + 1);
				return -1;
			}
		}
	}
	return 0;
}

void cli_tags_free(struct mlf_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)tags[i].key);
}

/* A value for CSV: quoted when it holds a comma, quote or line break. */
static void csv_cell(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* "<prefix><key>", malloc'ed. */
static char *prefixed(const char *prefix, const char *key)
{
	size_t n = strlen(prefix) + strlen(key) + 1;
	char *out = xmalloc(n);
	snprintf(out, n, "%s%s", prefix, key);
	return out;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted distinct keys of one group over every run. */
enum kv_group { GROUP_METRICS, GROUP_PARAMS, GROUP_TAGS };

static const char *group_key(const struct mlf_run_record *r, enum kv_group g, size_t i)
{
	return g == GROUP_METRICS ? r->metrics[i].key : g == GROUP_PARAMS ? r->params[i].key : r->tags[i].key;
}

static size_t group_count(const struct mlf_run_record *r, enum kv_group g)
{
	return g == GROUP_METRICS ? r->n_metrics : g == GROUP_PARAMS ? r->n_params : r->n_tags;
}

static const char **distinct_keys(const struct mlf_runs *runs, enum kv_group g, size_t *n)
{
	size_t total = 0;
	for (size_t r = 0; r < runs->count; r++)
		total += group_count(&runs->items[r], g);
	const char **keys = xmalloc((total ? total : 1) * sizeof(*keys));
	size_t k = 0;
	for (size_t r = 0; r < runs->count; r++)
		for (size_t i = 0; i < group_count(&runs->items[r], g); i++)
			keys[k++] = group_key(&runs->items[r], g, i);
	qsort(keys, k, sizeof(*keys), compare_strings);
	size_t out = 0;
	for (size_t i = 0; i < k; i++)
		if (out == 0 || strcmp(keys[out - 1], keys[i]) != 0)
			keys[out++] = keys[i];
	*n = out;
	return keys;
}

/* "2026-01-31 12:00:00.123+00:00" (pandas' UTC form), "" for 0. */
static void csv_time(int64_t ms, char out[48])
{
	char secs[32];
	if (ms <= 0) {
		out[0] = '\0';
		return;
	}
	cli_format_time(ms, secs);
	snprintf(out, 48, "%s.%03d+00:00", secs, (int)(ms % 1000));
}

static void format_metric(double v, char out[32])
{
	if (isnan(v))
		snprintf(out, 32, "NaN");
	else if (isinf(v))
		snprintf(out, 32, "%s", v > 0 ? "inf" : "-inf");
	else
		util_format_double(out, v);
}

/* The value of key in run r's group, or NULL. */
static const char *group_value(const struct mlf_run_record *r, enum kv_group g, const char *key, char num[32])
{
	for (size_t i = 0; i < group_count(r, g); i++) {
		if (strcmp(group_key(r, g, i), key) != 0)
			continue;
		if (g == GROUP_METRICS) {
			format_metric(r->metrics[i].value, num);
			return num;
		}
		return g == GROUP_PARAMS ? r->params[i].value : r->tags[i].value;
	}
	return NULL;
}

int cli_runs_csv(FILE *f, const struct mlf_runs *runs)
{
	static const char *const fixed[] = { "run_id", "experiment_id", "status", "artifact_uri", "start_time",
					     "end_time" };
	static const char *const prefix[] = { "metrics.", "params.", "tags." };
	const char **keys[3];
	size_t nkeys[3];
	for (int g = 0; g < 3; g++)
		keys[g] = distinct_keys(runs, (enum kv_group)g, &nkeys[g]);
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		csv_cell(f, fixed[i], i == 0);
	for (int g = 0; g < 3; g++) {
		for (size_t i = 0; i < nkeys[g]; i++) {
			char *name = prefixed(prefix[g], keys[g][i]);
			csv_cell(f, name, false);
			free(name);
		}
	}
	fputs("\r\n", f);
	for (size_t r = 0; r < runs->count; r++) {
		const struct mlf_run_record *run = &runs->items[r];
		char start[48], end[48], num[32];
		csv_time(run->start_time, start);
		csv_time(run->end_time, end);
		const char *cells[] = { run->run_id, run->experiment_id, run->status, run->artifact_uri, start, end };
		for (size_t i = 0; i < ARRAY_SIZE(cells); i++)
			csv_cell(f, cells[i], i == 0);
		for (int g = 0; g < 3; g++) {
			for (size_t i = 0; i < nkeys[g]; i++) {
				const char *v = group_value(run, (enum kv_group)g, keys[g][i], num);
				csv_cell(f, v ? v : "", false);
			}
		}
		fputs("\r\n", f);
	}
	for (int g = 0; g < 3; g++)
		free(keys[g]);
	return ferror(f) ? -1 : 0;
}

/* ---- common to the run commands ---------------------------------------------- */

/* Prints a result's JSON text as one line. */
static void print_json(const char *json)
{
	fputs(json, stdout);
	fputc('\n', stdout);
}

/* An int64 option value: 0, or -1 with *exit_code CLI_EXIT_USAGE. */
static int parse_int64(const char *cmd, const char *name, const char *s, int64_t *out, int *exit_code)
{
	if (!util_parse_int64(s, out))
		return cli_usage_fail(exit_code, cmd, "--%s needs an integer, got '%s'", name, s);
	return 0;
}

/* ---- runs list / search --------------------------------------------------------- */

static void runs_table(const struct mlf_runs *runs)
{
	static const char *const headers[] = { "Date", "Name", "ID", "Status", "Experiment" };
	struct cli_table t;
	cli_table_init(&t, ARRAY_SIZE(headers), headers);
	for (size_t i = 0; i < runs->count; i++) {
		const struct mlf_run_record *r = &runs->items[i];
		char date[32];
		cli_format_time(r->start_time, date);
		const char *cells[] = { date, r->run_name, r->run_id, r->status, r->experiment_id };
		cli_table_add(&t, cells);
	}
	cli_table_print(&t, stdout, "(no runs)");
	cli_table_free(&t);
	if (*runs->next_page_token)
		fprintf(stderr, "more runs: --page-token %s\n", runs->next_page_token);
}

/* Runs a search and prints it. */
static int search_and_print(const char *cmd, mlf_client *c, const struct mlf_run_search *q, bool json)
{
	struct mlf_runs *runs;
	enum mlf_result r = mlf_run_search(c, q, &runs);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	if (json)
		print_json(runs->json);
	else
		runs_table(runs);
	mlf_runs_free(runs);
	return CLI_EXIT_OK;
}

struct list_settings {
	CLI_COMMON_SETTINGS;
	const char *experiment_id;
	const char *view;
};

static const struct cli_option list_options[] = {
	{ "experiment-id", 0, CLI_REQUIRED, offsetof(struct list_settings, experiment_id), "ID",
	  "the experiment (default $MLFLOW_EXPERIMENT_ID)" },
	{ "view", 'v', CLI_STRING, offsetof(struct list_settings, view), "VIEW",
	  "active_only (default), deleted_only or all" },
	CLI_COMMON_OPTIONS(struct list_settings),
	{ 0 },
};

static int runs_list(int argc, char **argv)
{
	static const char cmd[] = "runs list";
	struct list_settings s = { .experiment_id = getenv("MLFLOW_EXPERIMENT_ID") };
	mlf_client *c;
	enum mlf_view_type view;
	int exit_code;
	if (cli_parse_command(cmd, "List the runs of an experiment (every page).", list_options, argc, argv, &s,
			      &exit_code) < 0 ||
	    cli_view_type(cmd, s.view, &view, &exit_code) < 0 || cli_client_open(cmd, s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	const char *ids[] = { s.experiment_id };
	const struct mlf_run_search q = { .experiment_ids = ids, .n_experiment_ids = 1, .view = view };
	exit_code = search_and_print(cmd, c, &q, s.json);
	mlf_client_close(c);
	return exit_code;
}

struct search_settings {
	CLI_COMMON_SETTINGS;
	struct cli_list experiment_ids;
	const char *filter;
	struct cli_list order_by;
	unsigned max_results;
	const char *page_token;
	const char *view;
};

static const struct cli_option search_options[] = {
	{ "experiment-ids", 0, CLI_LIST, offsetof(struct search_settings, experiment_ids), "ID[,ID...]",
	  "experiments to search (repeatable; comma-separated lists too)" },
	{ "filter", 0, CLI_STRING, offsetof(struct search_settings, filter), "FILTER",
	  "MLflow search filter, e.g. \"metrics.loss < 0.5 and params.lr = '0.1'\"" },
	{ "order-by", 0, CLI_LIST, offsetof(struct search_settings, order_by), "CLAUSE",
	  "e.g. \"metrics.loss ASC\" (repeatable)" },
	{ "max-results", 0, CLI_UINT, offsetof(struct search_settings, max_results), "N",
	  "one page of at most N runs (default: every page)" },
	{ "page-token", 0, CLI_STRING, offsetof(struct search_settings, page_token), "TOKEN",
	  "the page after a previous --max-results search" },
	{ "view", 'v', CLI_STRING, offsetof(struct search_settings, view), "VIEW",
	  "active_only (default), deleted_only or all (any case)" },
	{ "view-type", 0, CLI_STRING, offsetof(struct search_settings, view), "VIEW", "same as --view" },
	CLI_COMMON_OPTIONS(struct search_settings),
	{ 0 },
};

static int runs_search(int argc, char **argv)
{
	static const char cmd[] = "runs search";
	struct search_settings s = { 0 };
	mlf_client *c;
	enum mlf_view_type view;
	int exit_code;
	if (cli_parse_command(cmd, "Search runs with MLflow's filter and order_by.", search_options, argc, argv, &s,
			      &exit_code) < 0)
		return exit_code;
	if (s.experiment_ids.n == 0)
		return cli_usage_error(cmd, "--experiment-ids is required (see --help)");
	if (cli_view_type(cmd, s.view, &view, &exit_code) < 0)
		return exit_code;
	/* split comma-separated lists into one array of copies */
	char *ids_storage[CLI_LIST_MAX * 4];
	size_t n_ids = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < s.experiment_ids.n; i++) {
		const char *p = s.experiment_ids.items[i];
		while (rc == 0) {
			size_t len = strcspn(p, ",");
			if (len == 0 || n_ids == ARRAY_SIZE(ids_storage))
				rc = cli_usage_fail(&exit_code, cmd, "--experiment-ids has an empty or too many ids: '%s'",
						    s.experiment_ids.items[i]);
			else
				ids_storage[n_ids++] = xstrndup(p, len);
			if (!p[len])
				break;
			p += len + 1;
		}
	}
	if (rc == 0 && s.page_token && !s.max_results)
		rc = cli_usage_fail(&exit_code, cmd, "--page-token needs --max-results");
	if (rc == 0)
		rc = cli_client_open(cmd, s.tracking_uri, &c, &exit_code);
	if (rc == 0) {
		const struct mlf_run_search q = {
			.experiment_ids = (const char *const *)ids_storage,
			.n_experiment_ids = n_ids,
			.filter = s.filter,
			.order_by = s.order_by.items,
			.n_order_by = s.order_by.n,
			.view = view,
			.max_results = s.max_results,
			.page_token = s.page_token,
		};
		exit_code = search_and_print(cmd, c, &q, s.json);
		mlf_client_close(c);
	}
	for (size_t i = 0; i < n_ids; i++)
		free(ids_storage[i]);
	return exit_code;
}

/* ---- runs describe ------------------------------------------------------------------ */

static void describe_table(const struct mlf_run_record *r)
{
	static const char *const headers[] = { "Field", "Value" };
	char start[32], end[32];
	cli_format_time(r->start_time, start);
	cli_format_time(r->end_time, end);
	struct cli_table t;
	cli_table_init(&t, 2, headers);
	const char *const info[][2] = {
		{ "run_id", r->run_id },		 { "run_name", r->run_name },
		{ "experiment_id", r->experiment_id },	 { "status", r->status },
		{ "user_id", r->user_id },		 { "start_time", start },
		{ "end_time", end },			 { "artifact_uri", r->artifact_uri },
		{ "lifecycle_stage", r->lifecycle_stage },
	};
	for (size_t i = 0; i < ARRAY_SIZE(info); i++)
		cli_table_add(&t, info[i]);
	for (size_t i = 0; i < r->n_params; i++) {
		char *k = prefixed("params.", r->params[i].key);
		cli_table_add(&t, (const char *const[]){ k, r->params[i].value });
		free(k);
	}
	for (size_t i = 0; i < r->n_metrics; i++) {
		char *k = prefixed("metrics.", r->metrics[i].key), v[32];
		format_metric(r->metrics[i].value, v);
		cli_table_add(&t, (const char *const[]){ k, v });
		free(k);
	}
	for (size_t i = 0; i < r->n_tags; i++) {
		char *k = prefixed("tags.", r->tags[i].key);
		cli_table_add(&t, (const char *const[]){ k, r->tags[i].value });
		free(k);
	}
	cli_table_print(&t, stdout, NULL);
	cli_table_free(&t);
}

struct run_id_settings {
	CLI_COMMON_SETTINGS;
	const char *run_id;
};

static const struct cli_option run_id_options[] = {
	{ "run-id", 0, CLI_REQUIRED, offsetof(struct run_id_settings, run_id), "ID", "the run" },
	CLI_COMMON_OPTIONS(struct run_id_settings),
	{ 0 },
};

static int runs_describe(int argc, char **argv)
{
	static const char cmd[] = "runs describe";
	struct run_id_settings s = { 0 };
	mlf_client *c;
	int exit_code;
	if (cli_begin(cmd, "Show a run: info, params, latest metrics, tags.", run_id_options, argc, argv, &s,
		      &s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	struct mlf_runs *runs;
	enum mlf_result r = mlf_run_get(c, s.run_id, &runs);
	if (r != MLF_CLIENT_OK) {
		exit_code = cli_fail(cmd, r);
	} else {
		if (s.json)
			print_json(runs->json);
		else
			describe_table(&runs->items[0]);
		mlf_runs_free(runs);
		exit_code = CLI_EXIT_OK;
	}
	mlf_client_close(c);
	return exit_code;
}

/* delete / restore: one call by id. */
static int run_id_call(const char *cmd, const char *summary, const char *done, int argc, char **argv,
		       enum mlf_result (*call)(mlf_client *, const char *))
{
	struct run_id_settings s = { 0 };
	mlf_client *c;
	int exit_code;
	if (cli_begin(cmd, summary, run_id_options, argc, argv, &s, &s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	enum mlf_result r = call(c, s.run_id);
	mlf_client_close(c);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	if (s.json)
		printf("{}\n");
	else
		printf("Run %s %s.\n", s.run_id, done);
	return CLI_EXIT_OK;
}

static int runs_delete(int argc, char **argv)
{
	return run_id_call("runs delete", "Mark a run deleted (restorable).", "deleted", argc, argv, mlf_run_delete);
}

static int runs_restore(int argc, char **argv)
{
	return run_id_call("runs restore", "Restore a deleted run.", "restored", argc, argv, mlf_run_restore);
}

/* ---- runs create -------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum mlf_run_status status;
} statuses[] = {
	{ "FINISHED", MLF_RUN_FINISHED },
	{ "FAILED", MLF_RUN_FAILED },
	{ "KILLED", MLF_RUN_KILLED },
};

/* --status (NULL: FINISHED) into *out: 0, or -1 with *exit_code CLI_EXIT_USAGE. */
static int parse_status(const char *cmd, const char *name, enum mlf_run_status *out, int *exit_code)
{
	*out = MLF_RUN_FINISHED;
	if (!name)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(statuses); i++) {
		if (strcasecmp(name, statuses[i].name) == 0) {
			*out = statuses[i].status;
			return 0;
		}
	}
	return cli_usage_fail(exit_code, cmd, "--status must be FINISHED, FAILED or KILLED, not '%s'", name);
}

struct create_settings {
	CLI_COMMON_SETTINGS;
	const char *experiment_id;
	const char *experiment_name;
	const char *run_name;
	const char *parent_run_id;
	const char *description;
	const char *status;
	struct cli_list tags;
	bool no_context_tags;
};

static const struct cli_option create_options[] = {
	{ "experiment-id", 0, CLI_STRING, offsetof(struct create_settings, experiment_id), "ID",
	  "the experiment (default $MLFLOW_EXPERIMENT_ID, else $MLFLOW_EXPERIMENT_NAME, else 0)" },
	{ "experiment-name", 0, CLI_STRING, offsetof(struct create_settings, experiment_name), "NAME",
	  "the experiment by name (created when missing)" },
	{ "run-name", 0, CLI_STRING, offsetof(struct create_settings, run_name), "NAME",
	  "the run's name (default: the server picks one)" },
	{ "tags", 't', CLI_LIST, offsetof(struct create_settings, tags), "KEY=VALUE",
	  "a run tag (repeatable; --tag works too)" },
	{ "tag", 0, CLI_LIST, offsetof(struct create_settings, tags), "KEY=VALUE", "same as --tags" },
	{ "parent-run-id", 0, CLI_STRING, offsetof(struct create_settings, parent_run_id), "ID",
	  "make it a child run (tag mlflow.parentRunId)" },
	{ "description", 0, CLI_STRING, offsetof(struct create_settings, description), "TEXT",
	  "the run's description (tag mlflow.note.content)" },
	{ "status", 0, CLI_STRING, offsetof(struct create_settings, status), "STATUS",
	  "end the run at once as FINISHED, FAILED or KILLED (default: leave it RUNNING)" },
	{ "no-context-tags", 0, CLI_TRUE, offsetof(struct create_settings, no_context_tags), NULL,
	  "do not add mlflow.user, mlflow.source.* and git tags" },
	CLI_COMMON_OPTIONS(struct create_settings),
	{ 0 },
};

static int create_run(const char *cmd, mlf_client *c, const struct create_settings *s, const struct mlf_tag *tags,
		      bool end_now, enum mlf_run_status status)
{
	char exp[32];
	enum mlf_result r = MLF_CLIENT_OK;
	if (s->experiment_name)
		r = mlf_experiment_get_or_create(c, s->experiment_name, exp);
	const struct mlf_run_options o = {
		.experiment_id = s->experiment_name ? exp : s->experiment_id,
		.run_name = s->run_name,
		.tags = tags,
		.n_tags = s->tags.n,
		.parent_run_id = s->parent_run_id,
		.description = s->description,
		.no_context_tags = s->no_context_tags,
	};
	mlf_run *run = NULL;
	if (r == MLF_CLIENT_OK)
		r = mlf_run_start_opts(c, &o, &run);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	char id[64];
	snprintf(id, sizeof(id), "%s", mlf_run_id(run));
	r = end_now ? mlf_run_end(run, status) : mlf_run_detach(run);
	if (r != MLF_CLIENT_OK) {
		fprintf(stderr, "mlflowc %s: run %s was created, but: ", cmd, id);
		return cli_fail(cmd, r);
	}
	if (!s->json) {
		printf("%s\n", id);
		return CLI_EXIT_OK;
	}
	struct mlf_runs *got;
	r = mlf_run_get(c, id, &got);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	print_json(got->json);
	mlf_runs_free(got);
	return CLI_EXIT_OK;
}

static int runs_create(int argc, char **argv)
{
	static const char cmd[] = "runs create";
	struct create_settings s = { 0 };
	mlf_client *c;
	int exit_code;
	if (cli_parse_command(cmd, "Create a run and print its id (for later steps: --run-id).", create_options, argc,
			      argv, &s, &exit_code) < 0)
		return exit_code;
	if (s.experiment_id && s.experiment_name)
		return cli_usage_error(cmd, "give --experiment-id or --experiment-name, not both");
	enum mlf_run_status status;
	struct mlf_tag tags[CLI_LIST_MAX];
	if (parse_status(cmd, s.status, &status, &exit_code) < 0 || cli_tags_parse(cmd, &s.tags, tags, &exit_code) < 0)
		return exit_code;
	if (cli_client_open(cmd, s.tracking_uri, &c, &exit_code) == 0) {
		exit_code = create_run(cmd, c, &s, tags, s.status != NULL, status);
		mlf_client_close(c);
	}
	cli_tags_free(tags, s.tags.n);
	return exit_code;
}

/* ---- runs log-param / log-metric / set-tag / end ------------------------------------ */

struct log_settings {
	CLI_COMMON_SETTINGS;
	const char *run_id;
	const char *key;
	const char *value;
	const char *step;
	const char *timestamp;
	const char *status;
};

#define LOG_RUN_ID { "run-id", 0, CLI_REQUIRED, offsetof(struct log_settings, run_id), "ID", "the run" }
#define LOG_KEY { "key", 'k', CLI_REQUIRED, offsetof(struct log_settings, key), "KEY", "the name" }

static const struct cli_option kv_options[] = {
	LOG_RUN_ID,
	LOG_KEY,
	{ "value", 'v', CLI_REQUIRED, offsetof(struct log_settings, value), "VALUE", "the value" },
	CLI_COMMON_OPTIONS(struct log_settings),
	{ 0 },
};

static const struct cli_option metric_options[] = {
	LOG_RUN_ID,
	LOG_KEY,
	{ "value", 'v', CLI_REQUIRED, offsetof(struct log_settings, value), "NUMBER", "the value" },
	{ "step", 's', CLI_STRING, offsetof(struct log_settings, step), "N", "the step (default 0)" },
	{ "timestamp", 0, CLI_STRING, offsetof(struct log_settings, timestamp), "MS",
	  "epoch milliseconds (default now)" },
	CLI_COMMON_OPTIONS(struct log_settings),
	{ 0 },
};

static const struct cli_option end_options[] = {
	LOG_RUN_ID,
	{ "status", 0, CLI_STRING, offsetof(struct log_settings, status), "STATUS",
	  "FINISHED (default), FAILED or KILLED" },
	CLI_COMMON_OPTIONS(struct log_settings),
	{ 0 },
};

/* What one logging command does with the attached run. */
struct log_action {
	const char *cmd;
	const char *summary;
	const struct cli_option *options;
	bool takes_metric; /* --value is a number, with --step and --timestamp: a metric point */
	bool ends_run;     /* ends the run with --status instead of applying */
	/* what it logs into the attached run (NULL when ends_run) */
	enum mlf_result (*apply)(mlf_run *run, const struct log_settings *s, const struct mlf_metric *metric);
};

static enum mlf_result apply_param(mlf_run *run, const struct log_settings *s, const struct mlf_metric *metric)
{
	(void)metric;
	const struct mlf_tag p = { s->key, s->value };
	return mlf_log_batch(run, NULL, 0, &p, 1, NULL, 0);
}

static enum mlf_result apply_tag(mlf_run *run, const struct log_settings *s, const struct mlf_metric *metric)
{
	(void)metric;
	const struct mlf_tag t = { s->key, s->value };
	return mlf_log_batch(run, NULL, 0, NULL, 0, &t, 1);
}

static enum mlf_result apply_metric(mlf_run *run, const struct log_settings *s, const struct mlf_metric *metric)
{
	(void)s;
	return mlf_log_batch(run, metric, 1, NULL, 0, NULL, 0);
}

/* Attaches to the run, applies, detaches (or ends when a->ends_run). */
static int log_command(const struct log_action *a, const struct mlf_metric *metric, const struct log_settings *s,
		       mlf_client *c, enum mlf_run_status status)
{
	mlf_run *run;
	enum mlf_result r = mlf_run_open(c, s->run_id, &run);
	if (r != MLF_CLIENT_OK)
		return cli_fail(a->cmd, r);
	if (a->ends_run) {
		r = mlf_run_end(run, status);
	} else {
		r = a->apply(run, s, metric);
		enum mlf_result d = mlf_run_detach(run);
		if (r == MLF_CLIENT_OK)
			r = d;
	}
	if (r != MLF_CLIENT_OK)
		return cli_fail(a->cmd, r);
	if (s->json)
		printf("{}\n");
	return CLI_EXIT_OK;
}

static int run_log(const struct log_action *a, int argc, char **argv)
{
	struct log_settings s = { 0 };
	mlf_client *c;
	int exit_code;
	if (cli_parse_command(a->cmd, a->summary, a->options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	struct mlf_metric metric = { .key = s.key };
	if (a->takes_metric) {
		char *end;
		errno = 0;
		metric.value = strtod(s.value, &end);
		if (errno == ERANGE || end == s.value || *end)
			return cli_usage_error(a->cmd, "--value needs a number, got '%s'", s.value);
		if ((s.step && parse_int64(a->cmd, "step", s.step, &metric.step, &exit_code) < 0) ||
		    (s.timestamp && parse_int64(a->cmd, "timestamp", s.timestamp, &metric.timestamp, &exit_code) < 0))
			return exit_code;
	}
	enum mlf_run_status status = MLF_RUN_FINISHED;
	if ((a->ends_run && parse_status(a->cmd, s.status, &status, &exit_code) < 0) ||
	    cli_client_open(a->cmd, s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	exit_code = log_command(a, &metric, &s, c, status);
	mlf_client_close(c);
	return exit_code;
}

static const struct log_action log_param_action = {
	.cmd = "runs log-param", .summary = "Log a parameter of a run.", .options = kv_options, .apply = apply_param
};
static const struct log_action set_tag_action = {
	.cmd = "runs set-tag", .summary = "Set a tag of a run.", .options = kv_options, .apply = apply_tag
};
static const struct log_action log_metric_action = {
	.cmd = "runs log-metric", .summary = "Log one metric point of a run.", .options = metric_options,
	.takes_metric = true, .apply = apply_metric
};
static const struct log_action end_action = {
	.cmd = "runs end", .summary = "End a run: status and end time now.", .options = end_options, .ends_run = true
};

static int runs_log_param(int argc, char **argv)
{
	return run_log(&log_param_action, argc, argv);
}

static int runs_set_tag(int argc, char **argv)
{
	return run_log(&set_tag_action, argc, argv);
}

static int runs_log_metric(int argc, char **argv)
{
	return run_log(&log_metric_action, argc, argv);
}

static int runs_end(int argc, char **argv)
{
	return run_log(&end_action, argc, argv);
}

/* ---- runs history ------------------------------------------------------------------- */

struct history_settings {
	CLI_COMMON_SETTINGS;
	const char *run_id;
	const char *key;
};

static const struct cli_option history_options[] = {
	{ "run-id", 0, CLI_REQUIRED, offsetof(struct history_settings, run_id), "ID", "the run" },
	{ "key", 'k', CLI_REQUIRED, offsetof(struct history_settings, key), "KEY", "the metric" },
	{ "metric-key", 0, CLI_STRING, offsetof(struct history_settings, key), "KEY", "same as --key" },
	CLI_COMMON_OPTIONS(struct history_settings),
	{ 0 },
};

static int runs_history(int argc, char **argv)
{
	static const char cmd[] = "runs history";
	struct history_settings s = { 0 };
	mlf_client *c;
	int exit_code;
	if (cli_parse_command(cmd, "Every logged point of one metric of a run.", history_options, argc, argv, &s,
			      &exit_code) < 0 ||
	    cli_client_open(cmd, s.tracking_uri, &c, &exit_code) < 0)
		return exit_code;
	struct mlf_metrics *m;
	enum mlf_result r = mlf_metric_history(c, s.run_id, s.key, &m);
	mlf_client_close(c);
	if (r != MLF_CLIENT_OK)
		return cli_fail(cmd, r);
	if (s.json) {
		print_json(m->json);
	} else {
		static const char *const headers[] = { "Step", "Timestamp", "Value" };
		struct cli_table t;
		cli_table_init(&t, ARRAY_SIZE(headers), headers);
		for (size_t i = 0; i < m->count; i++) {
			char step[24], when[32], value[32];
			snprintf(step, sizeof(step), "%lld", (long long)m->items[i].step);
			cli_format_time(m->items[i].timestamp, when);
			format_metric(m->items[i].value, value);
			cli_table_add(&t, (const char *const[]){ step, when, value });
		}
		cli_table_print(&t, stdout, "(no points)");
		cli_table_free(&t);
	}
	mlf_metrics_free(m);
	return CLI_EXIT_OK;
}

/* ---- the group ---------------------------------------------------------------------- */

static const struct cli_subcommand run_commands[] = {
	{ "create", runs_create, "Create a run, print its id" },
	{ "log-param", runs_log_param, "Log a parameter" },
	{ "log-metric", runs_log_metric, "Log a metric point" },
	{ "set-tag", runs_set_tag, "Set a tag" },
	{ "end", runs_end, "End a run (FINISHED, FAILED or KILLED)" },
	{ "list", runs_list, "List the runs of an experiment" },
	{ "search", runs_search, "Search runs (filter, order, paging)" },
	{ "describe", runs_describe, "Show one run" },
	{ "history", runs_history, "Every point of one metric" },
	{ "get-metric-history", runs_history, "Same as history (MLflow's name)" },
	{ "delete", runs_delete, "Delete a run" },
	{ "restore", runs_restore, "Restore a deleted run" },
};

int cmd_runs(int argc, char **argv)
{
	return cli_dispatch("runs", run_commands, ARRAY_SIZE(run_commands), argc, argv);
}
