/*
 * test_cli.c - the table-driven option parser every command uses
 * (src/cli/cli.c): long and short forms, --name=value, flags that take no
 * value, numbers, repeatable options, unknown options and stray arguments,
 * --help, and required options (absent, empty, given, or preset by the
 * command as a default).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli/cli.h"

struct settings {
	const char *run_id;
	const char *name;
	unsigned port;
	bool json;
	bool serve;
	struct cli_list tags;
};

#define OPT(field) offsetof(struct settings, field)
static const struct cli_option options[] = {
	{ "run-id", 'r', CLI_REQUIRED, OPT(run_id), "ID", "the run" },
	{ "name", 'n', CLI_STRING, OPT(name), "NAME", "a name" },
	{ "port", 'p', CLI_UINT, OPT(port), "PORT", "a port" },
	{ "json", 0, CLI_TRUE, OPT(json), NULL, "JSON output" },
	{ "no-serve", 0, CLI_FALSE, OPT(serve), NULL, "do not serve" },
	{ "tag", 't', CLI_LIST, OPT(tags), "K=V", "a tag (repeatable)" },
	{ 0 },
};
#undef OPT

static int parse(struct settings *s, int argc, const char **argv)
{
	return cli_parse("test", options, argc, (char **)argv, s);
}

static void test_forms(void **state)
{
	(void)state;
	struct settings s = { .serve = true };
	const char *argv[] = { "--run-id", "r1", "-n", "x", "--port=8080", "--json", "--no-serve", "-t", "a=1",
			       "--tag=b=2" };
	assert_int_equal(parse(&s, 10, argv), 0);
	assert_string_equal(s.run_id, "r1");
	assert_string_equal(s.name, "x");
	assert_int_equal(s.port, 8080);
	assert_true(s.json);
	assert_false(s.serve);
	assert_int_equal(s.tags.n, 2);
	assert_string_equal(s.tags.items[0], "a=1");
	assert_string_equal(s.tags.items[1], "b=2");
}

static void test_refusals(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{ "--run-id", "r", "--bogus" },      /* unknown option */
		{ "--run-id", "r", "stray" },        /* positional argument */
		{ "--run-id", "r", "--port=80x" },   /* not a number */
		{ "--run-id", "r", "--json=yes" },   /* a flag takes no value */
		{ "--run-id", "r", "--name" },       /* a value is missing */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s = { 0 };
		assert_int_equal(parse(&s, 3, (const char **)cases[i]), -1);
	}
}

static void test_required(void **state)
{
	(void)state;
	struct settings s = { 0 };
	assert_int_equal(parse(&s, 2, (const char *[]){ "-n", "x" }), -1);             /* absent */
	assert_int_equal(parse(&s, 2, (const char *[]){ "--run-id", "" }), -1);       /* empty */
	assert_int_equal(parse(&s, 1, (const char *[]){ "--run-id=r2" }), 0);         /* given */
	struct settings preset = { .run_id = "from-env" };
	assert_int_equal(parse(&preset, 0, (const char *[]){ NULL }), 0);             /* default counts */
	assert_string_equal(preset.run_id, "from-env");
	assert_int_equal(parse(&s, 1, (const char *[]){ "--help" }), 1);              /* help wins */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
