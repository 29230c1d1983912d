/*
 * cli.c - table-driven option parsing and help output; see cli.h.
 */
#include "cli.h"
#include <errno.h>

void cli_usage(FILE *f, const char *cmd, const char *summary, const struct cli_option *opts)
{
	fprintf(f, "usage: mlflowc %s [options]\n\n%s\n\noptions:\n", cmd, summary);
	for (const struct cli_option *o = opts; o->name; o++) {
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
		fprintf(f, "  %-34s %s%s\n", left, o->help, o->type == CLI_REQUIRED ? " (required)" : "");
	}
	fprintf(f, "  %-34s %s\n", "    --help", "show this help and exit");
}

static const struct cli_option *find_option(const struct cli_option *opts, const char *arg, size_t len)
{
	for (const struct cli_option *o = opts; o->name; o++) {
		if (len == 1 && o->short_name == arg[0])
			return o;
		if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
			return o;
	}
	return NULL;
}

static int store_value(const char *cmd, const struct cli_option *o, const char *value, void *settings)
{
	char *field = (char *)settings + o->offset;
	if (o->type == CLI_STRING || o->type == CLI_REQUIRED) {
		*(const char **)field = value;
		return 0;
	}
	if (o->type == CLI_LIST) {
		struct cli_list *list = (struct cli_list *)field;
		if (list->n == CLI_LIST_MAX) {
			fprintf(stderr, "mlflowc %s: --%s is given more than %d times\n", cmd, o->name, CLI_LIST_MAX);
			return -1;
		}
		list->items[list->n++] = value;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(value, &end, 10);
	if (errno || *end || !*value || v > 65535u * 1024) {
		fprintf(stderr, "mlflowc %s: --%s needs a number, got '%s'\n", cmd, o->name, value);
		return -1;
	}
	*(unsigned *)field = (unsigned)v;
	return 0;
}

int cli_parse(const char *cmd, const struct cli_option *opts, int argc, char **argv, void *settings)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0)
			return 1;
		bool is_long = strncmp(arg, "--", 2) == 0;
		if (!is_long && (arg[0] != '-' || !arg[1] || arg[2])) {
			fprintf(stderr, "mlflowc %s: unexpected argument '%s'\n", cmd, arg);
			return -1;
		}
		const char *name = arg + (is_long ? 2 : 1);
		const char *eq = is_long ? strchr(name, '=') : NULL;
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct cli_option *o = find_option(opts, name, len);
		if (!o) {
			fprintf(stderr, "mlflowc %s: unknown option '%s' (see --help)\n", cmd, arg);
			return -1;
		}
		if (o->type == CLI_TRUE || o->type == CLI_FALSE) {
			if (eq) {
				fprintf(stderr, "mlflowc %s: --%s takes no value\n", cmd, o->name);
				return -1;
			}
			*(bool *)((char *)settings + o->offset) = o->type == CLI_TRUE;
			continue;
		}
		const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!value) {
			fprintf(stderr, "mlflowc %s: --%s needs a value\n", cmd, o->name);
			return -1;
		}
		if (store_value(cmd, o, value, settings) < 0)
			return -1;
	}
	for (const struct cli_option *o = opts; o->name; o++) {
		if (o->type != CLI_REQUIRED)
			continue;
		const char *value = *(const char **)((char *)settings + o->offset);
		if (!value || !*value) {
			fprintf(stderr, "mlflowc %s: --%s is required (see --help)\n", cmd, o->name);
			return -1;
		}
	}
	return 0;
}
