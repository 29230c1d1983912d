/*
 * test_export_formats.c - the text formats `mlflowc export` writes
 * (src/cli/export_mlruns.c, src/cli/pyyaml_out.c): metric values as Python's
 * repr() prints floats, MD5 ids against RFC 1321's vectors, which plain
 * scalars PyYAML would read as something other than a string, and a few
 * mappings whose bytes PyYAML's safe_dump was seen to write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "cli/export_mlruns.h"
#include "cli/pyyaml_out.h"

static void test_py_float(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *repr;
	} cases[] = {
		{ 0.5, "0.5" },       { 1e-05, "1e-05" },     { 0.0001, "0.0001" },  { 100.0, "100.0" },
		{ 1e16, "1e+16" },    { 1e15, "1000000000000000.0" }, { 0.1 + 0.2, "0.30000000000000004" },
		{ -0.0, "-0.0" },     { 0.0, "0.0" },         { 123456789.125, "123456789.125" },
		{ 1.5e300, "1.5e+300" }, { 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ -2.5, "-2.5" },     { 1.0 / 3, "0.3333333333333333" },
	};
	char out[40];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		export_py_float(out, cases[i].v);
		assert_string_equal(out, cases[i].repr);
	}
	export_py_float(out, NAN);
	assert_string_equal(out, "nan");
	export_py_float(out, INFINITY);
	assert_string_equal(out, "inf");
	export_py_float(out, -INFINITY);
	assert_string_equal(out, "-inf");
}

static void test_md5(void **state)
{
	(void)state;
	static const struct {
		const char *in, *hex;
	} cases[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
		{ "fx-trainb064d295", "851052e879e3b974224d60c3d6b0e135" }, /* the 2.17 fixture's dataset id */
	};
	char hex[33];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		export_md5_hex(cases[i].in, strlen(cases[i].in), hex);
		assert_string_equal(hex, cases[i].hex);
	}
}

static void test_plain_resolution(void **state)
{
	(void)state;
	static const char *const not_str[] = { "yes", "No", "ON", "true", "3", "-7", "0x1F", "017", "1.5", ".5",
					       "1_000", "1:30", ".inf", "-.Inf", ".NaN", "null", "~", "2024-01-02",
					       "2024-1-2 3:04:05", "<<", "=", NULL };
	static const char *const str[] = { "y", "n", "1e5", "yes please", "fx-nlp ü", "0o", "0o7", "abc", "1.5.2",
					   "2024-01-02x", "none", "NaN", NULL };
	for (size_t i = 0; not_str[i]; i++)
		assert_false(pyyaml_plain_is_str(not_str[i]));
	for (size_t i = 0; str[i]; i++)
		assert_true(pyyaml_plain_is_str(str[i]));
	assert_false(pyyaml_plain_is_str(""));
}

static void test_mapping_bytes(void **state)
{
	(void)state;
	struct buf b;
	struct pyyaml y;
	buf_init(&b, 256);
	pyyaml_init(&y, &b);
	pyyaml_str(&y, 0, "a", "it's");
	pyyaml_str(&y, 0, "b", "3");
	pyyaml_str(&y, 0, "c", "x\ny");
	pyyaml_str(&y, 0, "d", "tab\t");
	pyyaml_flow(&y, 0, "e", "[]");
	pyyaml_map(&y, 0, "f");
	pyyaml_str(&y, 2, "k: v", "");
	pyyaml_int(&y, 0, "g", -5);
	pyyaml_str_or_null(&y, 0, "h", NULL);
	pyyaml_end(&y);
	/* yaml.safe_dump({...}, default_flow_style=False, allow_unicode=True) */
	assert_string_equal(b.ptr, "a: it's\nb: '3'\nc: 'x\n\n  y'\nd: \"tab\\t\"\ne: []\nf:\n  'k: v': ''\ng: -5\nh: null\n");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_py_float),
		cmocka_unit_test(test_md5),
		cmocka_unit_test(test_plain_resolution),
		cmocka_unit_test(test_mapping_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
