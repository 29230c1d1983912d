/*
 * cli_client.h - what the client subcommands (experiments, runs,
 * artifacts, models) share: the command-group dispatcher, the exit codes,
 * opening a libmlflowc client from --tracking-uri / MLFLOW_TRACKING_URI,
 * turning a library result into a message and an exit code, and a plain
 * text table that sizes its columns to its contents.
 *
 * Exit codes are the same for every client command, so scripts can rely on
 * them: 0 done, 1 the server refused (unknown run, bad value: its message
 * is printed), 2 bad usage, 3 the server could not be reached or answered
 * something that is not MLflow's protocol, 4 a local failure (file not
 * readable, out of memory).
 */
#ifndef MLF_CLI_CLIENT_H
#define MLF_CLI_CLIENT_H

#include "cli.h"
#include "../../include/mlflowc.h"

#define CLI_DEFAULT_TRACKING_URI "http://127.0.0.1:5000"

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_REFUSED = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_UNREACHABLE = 3,
	CLI_EXIT_LOCAL = 4,
};

/* Option rows every client command has; `type` is the command's settings
 * struct, with fields `tracking_uri` (const char *) and `json` (bool). */
#define CLI_TRACKING_URI_HELP "server (default $MLFLOW_TRACKING_URI, else " CLI_DEFAULT_TRACKING_URI ")"
#define CLI_TRACKING_URI_OPTION(type) \
	{ "tracking-uri", 0, CLI_STRING, offsetof(type, tracking_uri), "URI", CLI_TRACKING_URI_HELP }
#define CLI_JSON_OPTION(type) \
	{ "json", 0, CLI_TRUE, offsetof(type, json), NULL, "print MLflow's JSON instead of a table" }

/* The two fields the rows above fill, for settings structs that start with them. */
#define CLI_COMMON_SETTINGS       \
	const char *tracking_uri; \
	bool json
#define CLI_COMMON_OPTIONS(type) CLI_TRACKING_URI_OPTION(type), CLI_JSON_OPTION(type)

/* One command of a group: `mlflowc <group> <name> [options]`. */
struct cli_subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Runs the command of `cmds` (n entries) named by argv[0], with the rest of
 * argv; prints the group's usage for --help (exit 0) or a missing/unknown
 * command (exit 2). Returns the exit code. */
int cli_dispatch(const char *group, const struct cli_subcommand *cmds, size_t n, int argc, char **argv);

/*
 * The steps before a command's work (parsing, checking values, opening the
 * client) follow the project's 0/-1 rule: they return 0 when the command
 * goes on, and -1 when it must stop at once, after printing why, with the
 * process exit code it must return in *exit_code (last parameter, set only
 * on -1). A command chains them and returns *exit_code on the first -1.
 */

/* Parses a command's options with cli_parse and handles --help. `cmd` is
 * "group name" as shown in messages. Returns 0 when the command goes on;
 * -1 with *exit_code CLI_EXIT_OK after --help was printed, or
 * CLI_EXIT_USAGE after a usage error was. */
int cli_parse_command(const char *cmd, const char *summary, const struct cli_option *opts, int argc, char **argv,
		      void *settings, int *exit_code);

/* cli_parse_command, then cli_client_open with the --tracking-uri value
 * that parsing left in *tracking_uri (a field of `settings`). Returns 0
 * with *client open (the caller closes it with mlf_client_close), or -1
 * with *exit_code set and no client. */
int cli_begin(const char *cmd, const char *summary, const struct cli_option *opts, int argc, char **argv,
	      void *settings, const char *const *tracking_uri, mlf_client **client, int *exit_code);

/* Prints "mlflowc <cmd>: <what>" to stderr, sets *exit_code to
 * CLI_EXIT_USAGE and returns -1: the failure of a value check. */
int cli_usage_fail(int *exit_code, const char *cmd, const char *fmt, ...) MLF_PRINTF(3, 4);

/* Prints "mlflowc <cmd>: <what>" to stderr and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) MLF_PRINTF(2, 3);

/* The exit code for a library result (see the table in cli_client.c). */
int cli_exit_code(enum mlf_result r);

/* Prints "mlflowc <cmd>: <mlf_last_error() or the result's name>" to
 * stderr and returns cli_exit_code(r). */
int cli_fail(const char *cmd, enum mlf_result r);

/* The tracking URI to use: `flag` when set, else $MLFLOW_TRACKING_URI,
 * else CLI_DEFAULT_TRACKING_URI. Borrowed (static or from the environment). */
const char *cli_tracking_uri(const char *flag);

/* Opens a client for cli_tracking_uri(flag). Returns 0 with *out a client
 * the caller closes with mlf_client_close; on failure prints the reason
 * and returns -1 with *exit_code the library result's exit code. */
int cli_client_open(const char *cmd, const char *flag, mlf_client **out, int *exit_code);

/* A text table: header row plus rows of cells, printed with each column as
 * wide as its widest cell (the last column unpadded). Cells are copied. */
struct cli_table {
	size_t ncols;
	char **cells;   /* rows * ncols strings, the header row first; owned */
	size_t nrows;   /* header included */
	size_t cap;     /* cells allocated, in rows */
};

/* Starts a table with `ncols` column headers. Release with cli_table_free. */
void cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers);
/* Appends a row of t->ncols cells; NULL cells print as "". */
void cli_table_add(struct cli_table *t, const char *const *cells);
/* Prints the table; with no rows but the header, prints `empty` instead
 * (when not NULL). */
void cli_table_print(const struct cli_table *t, FILE *f, const char *empty);
void cli_table_free(struct cli_table *t);

/* "2026-01-31 12:00:00" (UTC) for epoch milliseconds, "-" for 0. */
void cli_format_time(int64_t ms, char out[32]);

#endif
