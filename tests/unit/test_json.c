/*
 * test_json.c - unit tests for the JSON writer (src/json/jw.h) and the
 * lenient request-body reader (src/json/jr.h).
 *
 * jw: exact compact output for nesting and comma placement, keys and values
 * escaped (quote, backslash, every control character, embedded NUL), every
 * UTF-8 scalar value passed through byte for byte, each ill-formed sequence
 * (stray continuations, overlong forms, surrogates, truncations, F5-FF)
 * replaced by U+FFFD per maximal subpart, random bytes checked against a
 * reference built from Unicode's table of well-formed sequences and read
 * back by jansson, int64 extremes, doubles in shortest
 * round-trip form, NaN as the string "NaN" and +/-Infinity as +/-DBL_MAX,
 * jw_raw, the kv shorthands, the deepest nesting the writer allows, and a
 * large document that jansson reads back to the same values.
 * jr: empty input, plain values, bare NaN/Infinity/-Infinity tokens turned
 * into strings while the same words inside strings and keys stay untouched,
 * numbers beyond int64 read as reals and beyond the double range as
 * "Infinity" (Python's reading) while malformed numbers stay refused,
 * double-encoded bodies, invalid text giving JR_INVALID with *out NULL,
 * nesting at exactly JR_MAX_DEPTH accepted and one deeper refused (also when
 * the text is invalid or double-encoded), brackets inside strings not
 * counted, and jr_type_name for every JSON type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/buf.h"
#include "json/jr.h"
#include "json/jw.h"

/* ----------------------------------------------------------------- jw */

struct wctx {
	struct buf out;
	struct jw w;
};

static void wbegin(struct wctx *c)
{
	buf_init(&c->out, 0);
	jw_init(&c->w, &c->out);
}

static void wend(struct wctx *c, const char *want)
{
	assert_int_equal(c->w.depth, 0);
	assert_false(c->w.after_key);
	assert_string_equal(c->out.ptr, want);
	assert_int_equal(c->out.len, strlen(want));
	buf_release(&c->out);
}

static void test_jw_empty_containers(void **state)
{
	(void)state;
	struct wctx c;
	wbegin(&c);
	jw_obj_begin(&c.w);
	jw_obj_end(&c.w);
	wend(&c, "{}");

	wbegin(&c);
	jw_arr_begin(&c.w);
	jw_arr_end(&c.w);
	wend(&c, "[]");

	wbegin(&c);
	jw_arr_begin(&c.w);
	jw_arr_begin(&c.w);
	jw_arr_end(&c.w);
	jw_obj_begin(&c.w);
	jw_obj_end(&c.w);
	jw_arr_begin(&c.w);
	jw_arr_end(&c.w);
	jw_arr_end(&c.w);
	wend(&c, "[[],{},[]]");
}

static void test_jw_nesting_and_commas(void **state)
{
	(void)state;
	struct wctx c;
	wbegin(&c);
	jw_obj_begin(&c.w);
	jw_kv_int(&c.w, "a", 1);
	jw_key(&c.w, "b");
	jw_arr_begin(&c.w);
	jw_int(&c.w, 1);
	jw_int(&c.w, 2);
	jw_obj_begin(&c.w);
	jw_key(&c.w, "c");
	jw_null(&c.w);
	jw_obj_end(&c.w);
	jw_arr_begin(&c.w);
	jw_arr_end(&c.w);
	jw_str(&c.w, "s");
	jw_arr_end(&c.w);
	jw_key(&c.w, "d");
	jw_obj_begin(&c.w);
	jw_obj_end(&c.w);
	jw_kv_bool(&c.w, "e", true);
	jw_kv_bool(&c.w, "f", false);
	jw_kv_str(&c.w, "g", "");
	jw_key(&c.w, "h");
	jw_obj_begin(&c.w);
	jw_key(&c.w, "i");
	jw_obj_begin(&c.w);
	jw_kv_double(&c.w, "j", 0.5);
	jw_obj_end(&c.w);
	jw_kv_int(&c.w, "k", -3);
	jw_obj_end(&c.w);
	jw_obj_end(&c.w);
	wend(&c, "{\"a\":1,\"b\":[1,2,{\"c\":null},[],\"s\"],\"d\":{},\"e\":true,\"f\":false,\"g\":\"\","
		 "\"h\":{\"i\":{\"j\":0.5},\"k\":-3}}");

	/* top-level scalars */
	wbegin(&c);
	jw_str(&c.w, "x");
	wend(&c, "\"x\"");
	wbegin(&c);
	jw_null(&c.w);
	wend(&c, "null");
}

static void test_jw_appends_to_existing(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	struct jw w;
	buf_adds(&out, "prefix ");
	jw_init(&w, &out);
	jw_arr_begin(&w);
	jw_int(&w, 7);
	jw_arr_end(&w);
	assert_string_equal(out.ptr, "prefix [7]");
	buf_release(&out);
}

/* Into a sticky buffer with a limit, the writer stops cleanly: what fit
 * stays, later calls (even unbalanced by then) are no-ops, jw_failed says so. */
static void test_jw_sticky(void **state)
{
	(void)state;
	struct buf out = BUF_INIT_STICKY;
	out.max = 16;
	struct jw w;
	jw_init(&w, &out);
	jw_obj_begin(&w);
	jw_kv_int(&w, "n", 1);
	assert_false(jw_failed(&w));
	jw_kv_str(&w, "key", "a value longer than the limit");
	assert_true(jw_failed(&w));
	size_t len = out.len;
	jw_kv_double(&w, "x", 0.5);
	jw_obj_end(&w);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.ptr, "{\"n\":1", 6);
	buf_release(&out);
	struct buf plain = BUF_INIT;
	jw_init(&w, &plain);
	jw_arr_begin(&w);
	jw_arr_end(&w);
	assert_false(jw_failed(&w));
	assert_string_equal(plain.ptr, "[]");
	buf_release(&plain);
}

static void test_jw_raw(void **state)
{
	(void)state;
	struct wctx c;
	wbegin(&c);
	jw_arr_begin(&c.w);
	jw_int(&c.w, 1);
	jw_raw(&c.w, "{\"x\":[1,2]}", 11);
	jw_raw(&c.w, "3", 1);
	jw_arr_end(&c.w);
	wend(&c, "[1,{\"x\":[1,2]},3]");

	wbegin(&c);
	jw_obj_begin(&c.w);
	jw_key(&c.w, "r");
	jw_raw(&c.w, "true", 4);
	jw_kv_int(&c.w, "n", 2);
	jw_obj_end(&c.w);
	wend(&c, "{\"r\":true,\"n\":2}");
}

static void escape_is(const char *s, size_t n, const char *want)
{
	struct buf out = BUF_INIT;
	jw_escape(&out, s, n);
	if (strcmp(out.ptr, want) != 0)
		fail_msg("escaped as %s, want %s", out.ptr, want);
	assert_int_equal(out.len, strlen(want));
	buf_release(&out);
}
#define ESCAPE_IS(lit, want) escape_is(lit, sizeof(lit) - 1, want)

static void test_jw_escaping(void **state)
{
	(void)state;
	ESCAPE_IS("", "\"\"");
	ESCAPE_IS("plain", "\"plain\"");
	ESCAPE_IS("a\"b", "\"a\\\"b\"");
	ESCAPE_IS("a\\b", "\"a\\\\b\"");
	ESCAPE_IS("\\\"", "\"\\\\\\\"\"");
	ESCAPE_IS("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
	ESCAPE_IS("\x01\x1f", "\"\\u0001\\u001f\"");
	ESCAPE_IS("\x0b\x1b", "\"\\u000b\\u001b\"");
	ESCAPE_IS("a\0b", "\"a\\u0000b\"");
	/* '/' and DEL need no escaping */
	ESCAPE_IS("a/b\x7f", "\"a/b\x7f\"");
	/* UTF-8 passes through byte for byte */
	ESCAPE_IS("ünï €𝄞", "\"ünï €𝄞\"");
	ESCAPE_IS("日本語\n", "\"日本語\\n\"");

	/* every control character: the short forms or \u00XX */
	for (int ch = 0; ch < 0x20; ch++) {
		char in[3] = { 'x', (char)ch, 'y' };
		char want[16];
		const char *sh = NULL;
		switch (ch) {
		case '\n': sh = "\\n"; break;
		case '\r': sh = "\\r"; break;
		case '\t': sh = "\\t"; break;
		case '\b': sh = "\\b"; break;
		case '\f': sh = "\\f"; break;
		}
		if (sh)
			snprintf(want, sizeof(want), "\"x%sy\"", sh);
		else
			snprintf(want, sizeof(want), "\"x\\u%04xy\"", ch);
		escape_is(in, 3, want);
	}

	/* keys are escaped too, and jw_strn honours its length */
	struct wctx c;
	wbegin(&c);
	jw_obj_begin(&c.w);
	jw_kv_str(&c.w, "k\"ey\\", "v\"al\n");
	jw_key(&c.w, "n");
	jw_strn(&c.w, "abc\0def", 7);
	jw_key(&c.w, "cut");
	jw_strn(&c.w, "abcdef", 3);
	jw_obj_end(&c.w);
	wend(&c, "{\"k\\\"ey\\\\\":\"v\\\"al\\n\",\"n\":\"abc\\u0000def\",\"cut\":\"abc\"}");
}

static void test_jw_long_string(void **state)
{
	(void)state;
	size_t n = 200000;
	char *s = malloc(n + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = i % 10 == 9 ? '"' : 'a';
	s[n] = '\0';
	struct buf out = BUF_INIT;
	jw_escape(&out, s, n);
	assert_int_equal(out.len, n + n / 10 + 2);
	json_error_t e;
	json_t *v = json_loadb(out.ptr, out.len, JSON_DECODE_ANY, &e);
	assert_non_null(v);
	assert_string_equal(json_string_value(v), s);
	json_decref(v);
	buf_release(&out);
	free(s);
}

/* U+FFFD as UTF-8, for the expectations below */
#define FFFD "\xef\xbf\xbd"

static void test_jw_valid_utf8_passes_through(void **state)
{
	(void)state;
	/* the first and last code point of every encoding length and range */
	ESCAPE_IS("\xc2\x80 \xdf\xbf", "\"\xc2\x80 \xdf\xbf\"");                 /* U+0080, U+07FF */
	ESCAPE_IS("\xe0\xa0\x80 \xed\x9f\xbf", "\"\xe0\xa0\x80 \xed\x9f\xbf\"");   /* U+0800, U+D7FF */
	ESCAPE_IS("\xee\x80\x80 \xef\xbf\xbf", "\"\xee\x80\x80 \xef\xbf\xbf\"");   /* U+E000, U+FFFF */
	ESCAPE_IS("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", "\"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\""); /* U+10000, U+10FFFF */
	ESCAPE_IS("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");                           /* U+FFFD itself */

	/* every scalar value, encoded by hand, comes out unchanged */
	for (uint32_t cp = 0x80; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		unsigned char in[4];
		size_t n;
		if (cp < 0x800) {
			in[0] = (unsigned char)(0xc0 | cp >> 6);
			in[1] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			in[0] = (unsigned char)(0xe0 | cp >> 12);
			in[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			in[2] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			in[0] = (unsigned char)(0xf0 | cp >> 18);
			in[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
			in[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			in[3] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		struct buf out = BUF_INIT;
		jw_escape(&out, (const char *)in, n);
		if (out.len != n + 2 || memcmp(out.ptr + 1, in, n) != 0)
			fail_msg("U+%04X was altered", (unsigned)cp);
		buf_release(&out);
	}
}

static void test_jw_invalid_utf8_becomes_fffd(void **state)
{
	(void)state;
	/* lone continuation bytes */
	ESCAPE_IS("\x80", "\"" FFFD "\"");
	ESCAPE_IS("a\xbf" "b", "\"a" FFFD "b\"");
	ESCAPE_IS("\x80\x80", "\"" FFFD FFFD "\"");
	/* overlong forms: C0/C1 leads, E0 80-9F, F0 80-8F */
	ESCAPE_IS("\xc0\xaf", "\"" FFFD FFFD "\"");
	ESCAPE_IS("\xc1\xbf", "\"" FFFD FFFD "\"");
	ESCAPE_IS("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");
	ESCAPE_IS("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"");
	/* UTF-16 surrogates encoded in UTF-8 */
	ESCAPE_IS("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
	ESCAPE_IS("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");
	/* truncated sequences: one U+FFFD for the whole valid prefix */
	ESCAPE_IS("\xc3", "\"" FFFD "\"");
	ESCAPE_IS("\xe2\x82", "\"" FFFD "\"");
	ESCAPE_IS("\xe2\x82x", "\"" FFFD "x\"");
	ESCAPE_IS("\xe0\xa0", "\"" FFFD "\"");
	ESCAPE_IS("\xf0\x9f\x98", "\"" FFFD "\"");
	ESCAPE_IS("\xf0\x9f" "a", "\"" FFFD "a\"");
	ESCAPE_IS("\xc2\xe2\x82\xac", "\"" FFFD "\xe2\x82\xac\"");
	ESCAPE_IS("\xf0\x90\x80\xf0\x90\x80\x80", "\"" FFFD "\xf0\x90\x80\x80\"");
	/* bytes that never occur: F5-FF, and code points over U+10FFFF */
	for (int b = 0xf5; b <= 0xff; b++) {
		char in[2] = { (char)b, 'z' };
		escape_is(in, 2, "\"" FFFD "z\"");
	}
	ESCAPE_IS("\xff\xfe", "\"" FFFD FFFD "\"");
	ESCAPE_IS("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	ESCAPE_IS("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	/* replacement and escaping together; the length is honoured */
	ESCAPE_IS("ok\xff\xc3\xa9\"\n", "\"ok" FFFD "\xc3\xa9\\\"\\n\"");
	escape_is("\xe2\x82\xac", 2, "\"" FFFD "\"");
}

/* One well-formed row of Unicode's Table 3-7: the byte ranges of each
 * position. The reference below checks jw against it. */
static const struct {
	size_t n;
	unsigned char lo[4], hi[4];
} utf8_rows[] = {
	{ 1, { 0x00 }, { 0x7f } },
	{ 2, { 0xc2, 0x80 }, { 0xdf, 0xbf } },
	{ 3, { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf } },
	{ 3, { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf } },
	{ 3, { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf } },
	{ 3, { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf } },
	{ 4, { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf } },
	{ 4, { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf } },
	{ 4, { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf } },
};

/* The escaped form of in[0..n) by the book: well-formed sequences kept,
 * each maximal subpart of an ill-formed one replaced by U+FFFD. */
static void reference_escape(const unsigned char *in, size_t n, struct buf *out)
{
	buf_addch(out, '"');
	for (size_t i = 0; i < n;) {
		size_t whole = 0, prefix = 0;
		for (size_t r = 0; r < sizeof(utf8_rows) / sizeof(utf8_rows[0]); r++) {
			size_t m = 0;
			while (m < utf8_rows[r].n && i + m < n && in[i + m] >= utf8_rows[r].lo[m] &&
			       in[i + m] <= utf8_rows[r].hi[m])
				m++;
			if (m == utf8_rows[r].n)
				whole = m;
			else if (m > prefix)
				prefix = m;
		}
		if (whole == 1 && (in[i] < 0x20 || in[i] == '"' || in[i] == '\\')) {
			struct buf one = BUF_INIT;
			jw_escape(&one, (const char *)in + i, 1); /* escapes are tested above */
			buf_add(out, one.ptr + 1, one.len - 2);
			buf_release(&one);
		} else if (whole) {
			buf_add(out, (const char *)in + i, whole);
		} else {
			buf_adds(out, FFFD);
			whole = prefix ? prefix : 1;
		}
		i += whole;
	}
	buf_addch(out, '"');
}

static void test_jw_random_bytes_match_reference(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	unsigned char in[24];
	for (int round = 0; round < 50000; round++) {
		size_t n = (size_t)(round % (int)sizeof(in)) + 1;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = seed >> 16;
			/* mostly high bytes, some continuation-heavy, some ASCII */
			in[i] = (unsigned char)(r % 3 == 0 ? 0x80 | (r >> 2 & 0x3f) : r % 3 == 1 ? 0xc0 | (r >> 2 & 0x3f)
												 : r >> 2 & 0x7f);
		}
		struct buf got = BUF_INIT, want = BUF_INIT;
		jw_escape(&got, (const char *)in, n);
		reference_escape(in, n, &want);
		if (got.len != want.len || memcmp(got.ptr, want.ptr, got.len) != 0)
			fail_msg("round %d: jw and the reference differ", round);
		json_error_t e;
		json_t *v = json_loadb(got.ptr, got.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		if (!v)
			fail_msg("round %d: jansson refused the output: %s", round, e.text);
		json_decref(v);
		buf_release(&got);
		buf_release(&want);
	}
}

static void test_jw_int64(void **state)
{
	(void)state;
	struct wctx c;
	wbegin(&c);
	jw_arr_begin(&c.w);
	jw_int(&c.w, 0);
	jw_int(&c.w, -1);
	jw_int(&c.w, INT64_MAX);
	jw_int(&c.w, INT64_MIN);
	jw_int(&c.w, 1700000000123);
	jw_arr_end(&c.w);
	wend(&c, "[0,-1,9223372036854775807,-9223372036854775808,1700000000123]");
}

static void double_is(double v, const char *want)
{
	struct wctx c;
	wbegin(&c);
	jw_double(&c.w, v);
	if (strcmp(c.out.ptr, want) != 0)
		fail_msg("jw_double(%.17g) = %s, want %s", v, c.out.ptr, want);
	buf_release(&c.out);
}

static void test_jw_doubles(void **state)
{
	(void)state;
	double_is(0.0, "0");
	double_is(-0.0, "-0");
	double_is(1.0, "1");
	double_is(0.5, "0.5");
	double_is(0.1, "0.1");
	double_is(1.0 / 3.0, "0.3333333333333333");
	double_is(0.1 + 0.2, "0.30000000000000004");
	double_is(1e300, "1e+300");
	double_is(2.5e-300, "2.5e-300");
	double_is(-123.456, "-123.456");
	double_is(DBL_MAX, "1.7976931348623157e+308");
	double_is(-DBL_MAX, "-1.7976931348623157e+308");
	/* MLflow's wire rule for non-finite values */
	double_is(NAN, "\"NaN\"");
	double_is(-NAN, "\"NaN\"");
	double_is(INFINITY, "1.7976931348623157e+308");
	double_is(-INFINITY, "-1.7976931348623157e+308");

	/* the smallest subnormal must at least read back exactly */
	struct wctx c;
	wbegin(&c);
	jw_double(&c.w, 5e-324);
	assert_true(strtod(c.out.ptr, NULL) == 5e-324);
	buf_release(&c.out);

	/* in context: commas and keys around the special values */
	wbegin(&c);
	jw_obj_begin(&c.w);
	jw_kv_double(&c.w, "nan", NAN);
	jw_kv_double(&c.w, "inf", INFINITY);
	jw_key(&c.w, "arr");
	jw_arr_begin(&c.w);
	jw_double(&c.w, -INFINITY);
	jw_double(&c.w, NAN);
	jw_double(&c.w, 2.0);
	jw_arr_end(&c.w);
	jw_obj_end(&c.w);
	wend(&c, "{\"nan\":\"NaN\",\"inf\":1.7976931348623157e+308,\"arr\":[-1.7976931348623157e+308,\"NaN\",2]}");
}

/* Doubles read back by jansson (a real parser) are the same values. */
static void test_jw_doubles_round_trip(void **state)
{
	(void)state;
	struct wctx c;
	wbegin(&c);
	jw_arr_begin(&c.w);
	enum { N = 5000 };
	static double vals[N];
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < N; i++) {
		double v;
		do {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(&v, &x, sizeof(v));
		} while (!isfinite(v) || v == floor(v)); /* integral doubles read back as json ints */
		vals[i] = v;
		jw_double(&c.w, v);
	}
	jw_arr_end(&c.w);
	json_error_t e;
	json_t *arr = json_loadb(c.out.ptr, c.out.len, 0, &e);
	if (!arr)
		fail_msg("jansson: %s", e.text);
	assert_int_equal(json_array_size(arr), N);
	for (int i = 0; i < N; i++) {
		json_t *it = json_array_get(arr, (size_t)i);
		assert_true(json_is_real(it));
		if (json_real_value(it) != vals[i])
			fail_msg("%.17g came back as %.17g", vals[i], json_real_value(it));
	}
	json_decref(arr);
	buf_release(&c.out);
}

static void test_jw_max_depth(void **state)
{
	(void)state;
	/* depth 0 is the top level, so JW_MAX_DEPTH - 1 containers fit */
	int levels = JW_MAX_DEPTH - 1;
	struct wctx c;
	wbegin(&c);
	for (int i = 0; i < levels; i++) {
		if (i % 2) {
			jw_obj_begin(&c.w);
			jw_key(&c.w, "k");
		} else {
			jw_arr_begin(&c.w);
			jw_int(&c.w, i);
		}
	}
	assert_int_equal(c.w.depth, levels);
	jw_null(&c.w);
	for (int i = levels - 1; i >= 0; i--) {
		if (i % 2)
			jw_obj_end(&c.w);
		else
			jw_arr_end(&c.w);
	}
	assert_int_equal(c.w.depth, 0);
	json_t *v = json_loadb(c.out.ptr, c.out.len, 0, NULL);
	assert_non_null(v);
	json_decref(v);
	/* spot-check the text: "[0,{"k":[2,{"k":..." */
	const char *head = "[0,{\"k\":[2,{\"k\":[4,";
	assert_memory_equal(c.out.ptr, head, strlen(head));
	/* innermost is [30,null]; then 15 "}]" pairs close the rest */
	const char *tail = strstr(c.out.ptr, "[30,null]");
	assert_non_null(tail);
	assert_int_equal(strlen(tail), 9 + 30);
	for (int i = 0; i < 30; i++)
		assert_int_equal(tail[9 + i], i % 2 ? ']' : '}');
	buf_release(&c.out);
}

/* A bigger document with everything in it is valid JSON for jansson. */
static void test_jw_document_parses(void **state)
{
	(void)state;
	struct wctx c;
	wbegin(&c);
	jw_obj_begin(&c.w);
	jw_key(&c.w, "runs");
	jw_arr_begin(&c.w);
	for (int i = 0; i < 300; i++) {
		char name[32];
		snprintf(name, sizeof(name), "run \"%d\"\t", i);
		jw_obj_begin(&c.w);
		jw_kv_str(&c.w, "name", name);
		jw_kv_int(&c.w, "step", i - 150);
		jw_kv_double(&c.w, "value", i % 7 == 0 ? NAN : i / 7.0);
		jw_kv_bool(&c.w, "ok", i % 2);
		jw_key(&c.w, "tags");
		jw_arr_begin(&c.w);
		jw_arr_end(&c.w);
		jw_obj_end(&c.w);
	}
	jw_arr_end(&c.w);
	jw_obj_end(&c.w);
	json_error_t e;
	json_t *v = json_loadb(c.out.ptr, c.out.len, 0, &e);
	if (!v)
		fail_msg("jansson: %s at %d", e.text, e.position);
	json_t *runs = json_object_get(v, "runs");
	assert_int_equal(json_array_size(runs), 300);
	json_t *r8 = json_array_get(runs, 8);
	assert_string_equal(json_string_value(json_object_get(r8, "name")), "run \"8\"\t");
	assert_int_equal(json_integer_value(json_object_get(r8, "step")), -142);
	assert_true(json_real_value(json_object_get(r8, "value")) == 8 / 7.0);
	assert_true(json_is_false(json_object_get(r8, "ok")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 7), "value")), "NaN");
	json_decref(v);
	buf_release(&c.out);
}

/* ----------------------------------------------------------------- jr */

static json_t *parse_ok(const char *text)
{
	json_t *v = (json_t *)0x1;
	enum jr_status st = jr_parse(text, strlen(text), &v);
	if (st != JR_OK)
		fail_msg("jr_parse(%.80s) = %d, want JR_OK", text, st);
	return v;
}

static void parse_status(const char *text, size_t n, enum jr_status want)
{
	json_t *v = (json_t *)0x1;
	enum jr_status st = jr_parse(text, n, &v);
	if (st != want)
		fail_msg("jr_parse(%.80s%s) = %d, want %d", text, n > 80 ? "..." : "", st, want);
	if (st != JR_OK)
		assert_null(v);
	else
		json_decref(v);
}

static void test_jr_empty(void **state)
{
	(void)state;
	json_t *v = (json_t *)0x1;
	assert_int_equal(jr_parse(NULL, 0, &v), JR_OK);
	assert_null(v);
	v = (json_t *)0x1;
	assert_int_equal(jr_parse("", 0, &v), JR_OK);
	assert_null(v);
	v = (json_t *)0x1;
	assert_int_equal(jr_parse("{\"a\":1}", 0, &v), JR_OK); /* n == 0 wins */
	assert_null(v);
}

static void test_jr_plain(void **state)
{
	(void)state;
	json_t *v = parse_ok("{\"experiment_id\":\"0\",\"n\":5,\"x\":1.5,\"t\":true,\"z\":null,\"l\":[1,2]}");
	assert_true(json_is_object(v));
	assert_string_equal(json_string_value(json_object_get(v, "experiment_id")), "0");
	assert_int_equal(json_integer_value(json_object_get(v, "n")), 5);
	assert_true(json_real_value(json_object_get(v, "x")) == 1.5);
	assert_true(json_is_true(json_object_get(v, "t")));
	assert_true(json_is_null(json_object_get(v, "z")));
	assert_int_equal(json_array_size(json_object_get(v, "l")), 2);
	json_decref(v);

	/* whitespace around and a top-level array or number are fine */
	v = parse_ok(" \n\t[1, 2 ,3]\r\n");
	assert_int_equal(json_array_size(v), 3);
	json_decref(v);
	v = parse_ok("42");
	assert_int_equal(json_integer_value(v), 42);
	json_decref(v);
	v = parse_ok("null");
	assert_true(json_is_null(v));
	json_decref(v);

	/* big int64 values are exact */
	v = parse_ok("{\"ts\":9223372036854775807,\"m\":-9223372036854775808}");
	assert_true(json_integer_value(json_object_get(v, "ts")) == INT64_MAX);
	assert_true(json_integer_value(json_object_get(v, "m")) == INT64_MIN);
	json_decref(v);

	/* only text[0..n) is parsed */
	v = NULL;
	assert_int_equal(jr_parse("{\"a\":1}garbage", 7, &v), JR_OK);
	assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
	json_decref(v);

	/* \u0000 inside a string is allowed */
	v = parse_ok("{\"s\":\"x\\u0000y\"}");
	assert_int_equal(json_string_length(json_object_get(v, "s")), 3);
	assert_memory_equal(json_string_value(json_object_get(v, "s")), "x\0y", 3);
	json_decref(v);
}

static void expect_str(json_t *o, const char *key, const char *want)
{
	json_t *it = json_object_get(o, key);
	if (!json_is_string(it))
		fail_msg("key %s is not a string", key);
	assert_string_equal(json_string_value(it), want);
}

static void test_jr_bare_tokens(void **state)
{
	(void)state;
	json_t *v = parse_ok("{\"a\": NaN, \"b\": Infinity, \"c\": -Infinity, \"d\": 1.5}");
	expect_str(v, "a", "NaN");
	expect_str(v, "b", "Infinity");
	expect_str(v, "c", "-Infinity");
	assert_true(json_real_value(json_object_get(v, "d")) == 1.5);
	json_decref(v);

	v = parse_ok("[NaN,Infinity,-Infinity,NaN]");
	assert_int_equal(json_array_size(v), 4);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "NaN");
	assert_string_equal(json_string_value(json_array_get(v, 1)), "Infinity");
	assert_string_equal(json_string_value(json_array_get(v, 2)), "-Infinity");
	assert_string_equal(json_string_value(json_array_get(v, 3)), "NaN");
	json_decref(v);

	/* a LogBatch-like body */
	v = parse_ok("{\"run_id\":\"r\",\"metrics\":[{\"key\":\"m\",\"value\":NaN,\"timestamp\":1,\"step\":0},"
		     "{\"key\":\"m\",\"value\":-Infinity,\"timestamp\":2,\"step\":1}]}");
	json_t *ms = json_object_get(v, "metrics");
	expect_str(json_array_get(ms, 0), "value", "NaN");
	expect_str(json_array_get(ms, 1), "value", "-Infinity");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ms, 1), "step")), 1);
	json_decref(v);
}

static void test_jr_numbers_jansson_cannot_hold(void **state)
{
	(void)state;
	/* beyond the double range: Python reads inf, so we read "Infinity" */
	json_t *v = parse_ok("{\"a\": 1e309, \"b\": -1E+400, \"s\": \"1e309\", \"n\": 7}");
	expect_str(v, "a", "Infinity");
	expect_str(v, "b", "-Infinity");
	expect_str(v, "s", "1e309");
	assert_int_equal(json_integer_value(json_object_get(v, "n")), 7);
	json_decref(v);

	/* integers beyond int64 become reals of the same value */
	v = parse_ok("{\"a\": 99999999999999999999, \"b\": -9223372036854775809, \"c\": 9223372036854775807}");
	assert_true(json_is_real(json_object_get(v, "a")));
	assert_true(json_real_value(json_object_get(v, "a")) == 1e20);
	assert_true(json_real_value(json_object_get(v, "b")) == -9223372036854775809.0);
	assert_true(json_is_integer(json_object_get(v, "c")));
	assert_true(json_integer_value(json_object_get(v, "c")) == INT64_MAX);
	json_decref(v);

	/* an integer too long even for a double; together with a bare token */
	char big[512] = "[NaN, 1";
	memset(big + 7, '0', 400);
	memcpy(big + 407, "]", 2);
	v = parse_ok(big);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "NaN");
	assert_string_equal(json_string_value(json_array_get(v, 1)), "Infinity");
	json_decref(v);

	/* what is still not a number stays refused */
	static const char *const bad[] = { "[1e309.5]", "[--1]", "[-]", "[1e]", "[01e400]", "[1e309", "[+1e309]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *out = (json_t *)1;
		if (jr_parse(bad[i], strlen(bad[i]), &out) != JR_INVALID)
			fail_msg("%s was accepted", bad[i]);
		assert_null(out);
	}
}

static void test_jr_tokens_in_strings_untouched(void **state)
{
	(void)state;
	json_t *v = parse_ok("{\"NaN\": NaN, \"s\": \"NaN Infinity -Infinity\", \"e\": \"a\\\"NaN\\\\\", "
			     "\"Infinity\": \"-Infinity\"}");
	expect_str(v, "NaN", "NaN");
	expect_str(v, "s", "NaN Infinity -Infinity");
	expect_str(v, "e", "a\"NaN\\");
	expect_str(v, "Infinity", "-Infinity");
	assert_int_equal(json_object_size(v), 4);
	json_decref(v);

	/* without any bare token the strings are simply parsed */
	v = parse_ok("{\"s\":\"NaN\"}");
	expect_str(v, "s", "NaN");
	json_decref(v);
}

static void test_jr_double_encoded(void **state)
{
	(void)state;
	json_t *v = parse_ok("\"{\\\"experiment_id\\\": \\\"1\\\", \\\"n\\\": [1, {\\\"x\\\": null}]}\"");
	assert_true(json_is_object(v));
	expect_str(v, "experiment_id", "1");
	assert_int_equal(json_array_size(json_object_get(v, "n")), 2);
	json_decref(v);

	/* a double-encoded body nested exactly JR_MAX_DEPTH deep is fine */
	struct buf b = BUF_INIT;
	buf_addch(&b, '"');
	for (int i = 0; i < JR_MAX_DEPTH; i++)
		buf_addch(&b, '[');
	for (int i = 0; i < JR_MAX_DEPTH; i++)
		buf_addch(&b, ']');
	buf_addch(&b, '"');
	parse_status(b.ptr, b.len, JR_OK);
	buf_release(&b);

	/* a string that holds no JSON is invalid */
	parse_status("\"hello\"", 7, JR_INVALID);
	parse_status("\"\"", 2, JR_INVALID);
	parse_status("\"{\\\"a\\\":\"", 9, JR_INVALID);
}

static void test_jr_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"{",
		"}",
		"{\"a\":}",
		"{\"a\" 1}",
		"{'a':1}",
		"{a:1}",
		"[1,]",
		"[1 2]",
		"nul",
		"tru",
		"{\"a\":1}x",
		"{\"a\":1}{",
		"{\"a\":nan}",
		"{\"a\":inf}",
		"{\"a\":NaNa}",
		"{\"a\":-NaN}",
		"{\"a\":NaN",
		"{\"a\":\"unterminated}",
		"\"\xff\"",
		"{\"a\":01}",
		"[\"\\x41\"]",
		"undefined",
		"   ",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		parse_status(bad[i], strlen(bad[i]), JR_INVALID);
}

static char *nested(int depth, const char *inner, bool objects)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < depth; i++)
		buf_adds(&b, objects ? "{\"k\":" : "[");
	buf_adds(&b, inner);
	for (int i = 0; i < depth; i++)
		buf_addch(&b, objects ? '}' : ']');
	return buf_detach(&b, NULL);
}

static void test_jr_depth(void **state)
{
	(void)state;
	for (int objects = 0; objects < 2; objects++) {
		char *ok = nested(JR_MAX_DEPTH, "1", objects);
		json_t *v = parse_ok(ok);
		assert_non_null(v);
		json_decref(v);
		free(ok);

		char *deep = nested(JR_MAX_DEPTH + 1, "1", objects);
		parse_status(deep, strlen(deep), JR_TOO_DEEP);
		free(deep);

		char *deeper = nested(5000, "1", objects);
		parse_status(deeper, strlen(deeper), JR_TOO_DEEP);
		free(deeper);
	}
	/* the limit applies before parsing: invalid but too deep is TOO_DEEP */
	char *open = malloc(JR_MAX_DEPTH + 2);
	memset(open, '[', JR_MAX_DEPTH + 1);
	open[JR_MAX_DEPTH + 1] = '\0';
	parse_status(open, strlen(open), JR_TOO_DEEP);
	open[JR_MAX_DEPTH] = '\0';
	parse_status(open, strlen(open), JR_INVALID);
	free(open);

	/* siblings do not add up: many containers side by side at depth 2 */
	struct buf b = BUF_INIT;
	buf_addch(&b, '[');
	for (int i = 0; i < 1000; i++)
		buf_adds(&b, i ? ",[1]" : "[1]");
	buf_addch(&b, ']');
	json_t *v = parse_ok(b.ptr);
	assert_int_equal(json_array_size(v), 1000);
	json_decref(v);
	buf_release(&b);

	/* a bare token at the innermost level still works */
	char *nan = nested(JR_MAX_DEPTH, "NaN", false);
	v = parse_ok(nan);
	json_t *it = v;
	for (int i = 0; i < JR_MAX_DEPTH; i++)
		it = json_array_get(it, 0);
	assert_string_equal(json_string_value(it), "NaN");
	json_decref(v);
	free(nan);
}

static void test_jr_brackets_in_strings(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"s\":\"");
	for (int i = 0; i < 200; i++)
		buf_adds(&b, "[{");
	/* an escaped quote does not end the string; an escaped backslash
	 * before the real end does not swallow it */
	buf_adds(&b, "\\\"[[[[\\\\\",\"t\":\"");
	for (int i = 0; i < 200; i++)
		buf_adds(&b, "]}");
	buf_adds(&b, "\"}");
	json_t *v = parse_ok(b.ptr);
	assert_int_equal(json_string_length(json_object_get(v, "s")), 400 + 6);
	assert_int_equal(json_string_length(json_object_get(v, "t")), 400);
	json_decref(v);
	buf_release(&b);

	/* after an escaped quote the string goes on: 100 brackets still inside */
	buf_adds(&b, "[\"\\\"");
	for (int i = 0; i < 100; i++)
		buf_addch(&b, '[');
	buf_adds(&b, "\"]");
	v = parse_ok(b.ptr);
	assert_int_equal(json_string_length(json_array_get(v, 0)), 101);
	json_decref(v);
	buf_release(&b);

	/* keys with brackets do not count either */
	char *k = nested(JR_MAX_DEPTH - 2, "{\"[[[[[[[[\":{}}", false);
	parse_status(k, strlen(k), JR_OK);
	free(k);
	k = nested(JR_MAX_DEPTH - 1, "{\"[[[[[[[[\":{}}", false);
	parse_status(k, strlen(k), JR_TOO_DEEP);
	free(k);
}

/* A double-encoded body nested deeper than the limit is a too-deep body:
 * jr.h defines JR_TOO_DEEP as "nesting over JR_MAX_DEPTH", and load_params()
 * answers INVALID_PARAMETER_VALUE for it, but JR_INVALID silently becomes an
 * empty body. */
static void test_jr_double_encoded_too_deep(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_addch(&b, '"');
	for (int i = 0; i < JR_MAX_DEPTH + 1; i++)
		buf_addch(&b, '[');
	for (int i = 0; i < JR_MAX_DEPTH + 1; i++)
		buf_addch(&b, ']');
	buf_addch(&b, '"');
	json_t *v = NULL;
	enum jr_status st = jr_parse(b.ptr, b.len, &v);
	buf_release(&b);
	json_decref(v);
	if (st != JR_TOO_DEEP)
		fail_msg("double-encoded body %d deep: jr_parse = %d, want JR_TOO_DEEP (%d)", JR_MAX_DEPTH + 1, st,
			 JR_TOO_DEEP);
}

static void type_is(const char *text, const char *want)
{
	json_t *v = parse_ok(text);
	assert_string_equal(jr_type_name(v), want);
	json_decref(v);
}

static void test_jr_type_name(void **state)
{
	(void)state;
	type_is("{}", "dict");
	type_is("[]", "list");
	type_is("1", "int");
	type_is("-7", "int");
	type_is("1.5", "float");
	type_is("1e3", "float");
	type_is("true", "bool");
	type_is("false", "bool");
	type_is("null", "NoneType");
	json_t *s = json_string("x");
	assert_string_equal(jr_type_name(s), "str");
	json_decref(s);
	/* a bare NaN became a string */
	json_t *v = parse_ok("[NaN]");
	assert_string_equal(jr_type_name(json_array_get(v, 0)), "str");
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jw_empty_containers),
		cmocka_unit_test(test_jw_nesting_and_commas),
		cmocka_unit_test(test_jw_appends_to_existing),
		cmocka_unit_test(test_jw_sticky),
		cmocka_unit_test(test_jw_raw),
		cmocka_unit_test(test_jw_escaping),
		cmocka_unit_test(test_jw_long_string),
		cmocka_unit_test(test_jw_valid_utf8_passes_through),
		cmocka_unit_test(test_jw_invalid_utf8_becomes_fffd),
		cmocka_unit_test(test_jw_random_bytes_match_reference),
		cmocka_unit_test(test_jw_int64),
		cmocka_unit_test(test_jw_doubles),
		cmocka_unit_test(test_jw_doubles_round_trip),
		cmocka_unit_test(test_jw_max_depth),
		cmocka_unit_test(test_jw_document_parses),
		cmocka_unit_test(test_jr_empty),
		cmocka_unit_test(test_jr_plain),
		cmocka_unit_test(test_jr_bare_tokens),
		cmocka_unit_test(test_jr_numbers_jansson_cannot_hold),
		cmocka_unit_test(test_jr_tokens_in_strings_untouched),
		cmocka_unit_test(test_jr_double_encoded),
		cmocka_unit_test(test_jr_invalid),
		cmocka_unit_test(test_jr_depth),
		cmocka_unit_test(test_jr_brackets_in_strings),
		cmocka_unit_test(test_jr_double_encoded_too_deep),
		cmocka_unit_test(test_jr_type_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
