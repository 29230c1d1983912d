/*
 * cli.h - the command table and a small table-driven option parser shared
 * by every subcommand; --help text is generated from the same tables.
 */
#ifndef MLF_CLI_H
#define MLF_CLI_H

#include "../base/common.h"

enum cli_opt_type {
	CLI_STRING, /* --name VALUE or --name=VALUE; stores const char * */
	CLI_REQUIRED, /* a CLI_STRING the command cannot go without: cli_parse
		       * refuses it absent or empty (a default preset in the
		       * settings counts); --help says "(required)" */
	CLI_UINT,   /* stores unsigned */
	CLI_TRUE,   /* stores bool true */
	CLI_FALSE,  /* stores bool false (e.g. --no-serve-artifacts) */
	CLI_LIST,   /* repeatable; each value is appended to a struct cli_list */
};

struct cli_option {
	const char *name;  /* long name without dashes */
	char short_name;   /* 0 if none */
	enum cli_opt_type type;
	size_t offset;     /* offset of the field in the command's settings struct */
	const char *metavar;
	const char *help;
};

/* The values of a repeatable option (CLI_LIST) in command-line order,
 * borrowed from argv. */
#define CLI_LIST_MAX 128
struct cli_list {
	const char *items[CLI_LIST_MAX];
	size_t n;
};

/* Parses argv[0..argc) into `settings` according to `opts` (terminated by
 * a zero row), then checks the required options. Returns 0 on success,
 * -1 after printing an error, and 1 for --help without printing anything
 * (the caller prints its usage: cli_parse_command in cli_client.h). */
int cli_parse(const char *cmd, const struct cli_option *opts, int argc, char **argv, void *settings);
void cli_usage(FILE *f, const char *cmd, const char *summary, const struct cli_option *opts);

/* Subcommands: each returns the process exit code. */
int cmd_server(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_experiments(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_artifacts(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_storage(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_retention(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_users(int argc, char **argv);

#endif
