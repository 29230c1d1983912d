/*
 * cli_client.c - the pieces every client subcommand shares; see
 * cli_client.h. The CLI is a host program like any other: it reaches the
 * server only through the public library (include/mlflowc.h).
 */
#include "cli_client.h"
#include "../base/xalloc.h"
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

/* Which exit code each library result maps to. */
static const struct {
	enum mlf_result result;
	int exit_code;
} exit_codes[] = {
	{ MLF_CLIENT_OK, CLI_EXIT_OK },
	{ MLF_CLIENT_ERR_SERVER, CLI_EXIT_REFUSED },
	{ MLF_CLIENT_ERR_NOMEM, CLI_EXIT_LOCAL },
	{ MLF_CLIENT_ERR_TRANSPORT, CLI_EXIT_UNREACHABLE },
	{ MLF_CLIENT_ERR_PROTOCOL, CLI_EXIT_UNREACHABLE },
	{ MLF_CLIENT_ERR_QUEUE_FULL, CLI_EXIT_LOCAL },
	{ MLF_CLIENT_ERR_INVALID, CLI_EXIT_USAGE },
	{ MLF_CLIENT_ERR_CLOSED, CLI_EXIT_LOCAL },
};

int cli_exit_code(enum mlf_result r)
{
	for (size_t i = 0; i < ARRAY_SIZE(exit_codes); i++)
		if (exit_codes[i].result == r)
			return exit_codes[i].exit_code;
	return CLI_EXIT_LOCAL;
}

int cli_fail(const char *cmd, enum mlf_result r)
{
	const char *why = mlf_last_error();
	fprintf(stderr, "mlflowc %s: %s\n", cmd, why && *why ? why : mlf_result_name(r));
	return cli_exit_code(r);
}

static void usage_message(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "mlflowc %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	usage_message(cmd, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

static void group_usage(FILE *f, const char *group, const struct cli_subcommand *cmds, size_t n)
{
	size_t width = 10;
	for (size_t i = 0; i < n; i++)
		if (strlen(cmds[i].name) > width)
			width = strlen(cmds[i].name);
	fprintf(f, "usage: mlflowc %s <command> [options]\n\ncommands:\n", group);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-*s %s\n", (int)width, cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun 'mlflowc %s <command> --help' for a command's options.\n", group);
}

int cli_dispatch(const char *group, const struct cli_subcommand *cmds, size_t n, int argc, char **argv)
{
	if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "help"))) {
		group_usage(stdout, group, cmds, n);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; argc >= 1 && i < n; i++)
		if (!strcmp(argv[0], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	if (argc >= 1)
		fprintf(stderr, "mlflowc %s: unknown command '%s'\n\n", group, argv[0]);
	group_usage(stderr, group, cmds, n);
	return CLI_EXIT_USAGE;
}

int cli_parse_command(const char *cmd, const char *summary, const struct cli_option *opts, int argc, char **argv,
		      void *settings, int *exit_code)
{
	int rc = cli_parse(cmd, opts, argc, argv, settings);
	if (rc == 0)
		return 0;
	if (rc > 0) {
		cli_usage(stdout, cmd, summary, opts);
		*exit_code = CLI_EXIT_OK;
	} else {
		*exit_code = CLI_EXIT_USAGE;
	}
	return -1;
}

int cli_begin(const char *cmd, const char *summary, const struct cli_option *opts, int argc, char **argv,
	      void *settings, const char *const *tracking_uri, mlf_client **client, int *exit_code)
{
	if (cli_parse_command(cmd, summary, opts, argc, argv, settings, exit_code) < 0)
		return -1;
	return cli_client_open(cmd, *tracking_uri, client, exit_code);
}

int cli_usage_fail(int *exit_code, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	usage_message(cmd, fmt, ap);
	va_end(ap);
	*exit_code = CLI_EXIT_USAGE;
	return -1;
}

const char *cli_tracking_uri(const char *flag)
{
	if (flag && *flag)
		return flag;
	const char *env = getenv("MLFLOW_TRACKING_URI");
	return env && *env ? env : CLI_DEFAULT_TRACKING_URI;
}

int cli_client_open(const char *cmd, const char *flag, mlf_client **out, int *exit_code)
{
	char why[256] = "";
	const char *uri = cli_tracking_uri(flag);
	enum mlf_result r = mlf_client_open(uri, NULL, out, why, sizeof(why));
	if (r == MLF_CLIENT_OK)
		return 0;
	fprintf(stderr, "mlflowc %s: cannot use tracking URI '%s': %s\n", cmd, uri, *why ? why : mlf_result_name(r));
	*exit_code = cli_exit_code(r);
	return -1;
}

/* ---- tables ------------------------------------------------------------------ */

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers)
{
	*t = (struct cli_table){ .ncols = ncols };
	cli_table_add(t, headers);
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(*t->cells));
	}
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = xstrdup(cells[c] ? cells[c] : "");
	t->nrows++;
}

void cli_table_print(const struct cli_table *t, FILE *f, const char *empty)
{
	size_t width[64] = { 0 };
	size_t ncols = t->ncols < ARRAY_SIZE(width) ? t->ncols : ARRAY_SIZE(width);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);
			if (n > width[c])
				width[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			if (c + 1 < ncols)
				fprintf(f, "%-*s  ", (int)width[c], cell);
			else
				fprintf(f, "%s\n", cell);
		}
	}
	if (t->nrows <= 1 && empty)
		fprintf(f, "%s\n", empty);
}

void cli_table_free(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	*t = (struct cli_table){ 0 };
}

void cli_format_time(int64_t ms, char out[32])
{
	if (ms <= 0) {
		snprintf(out, 32, "-");
		return;
	}
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, 32, "%lld", (long long)ms);
}
