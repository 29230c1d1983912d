/*
 * fuzz_json.c - libFuzzer target for the JSON that strangers send and the
 * JSON we write back: jr_parse (src/json/jr.h), the lenient, depth-bounded
 * reader of every request body; the pull tokenizer jt (src/json/jt.h) of
 * the log-batch fast path; and the writer jw (src/json/jw.h).
 *
 * The input bytes are fed, as they are, to each. Besides "no crash, no
 * leak, no undefined behaviour" it asserts: jr_parse answers one of its
 * three statuses, JR_OK with a value only for a non-empty body; an
 * accepted value nests no deeper than JR_MAX_DEPTH, re-serialises to JSON
 * that jansson and jr_parse read back as an equal value; a body that is
 * plain strict JSON to jansson is accepted as that very value; jt's
 * tokens lie inside the text and it ends (JT_END or JT_INVALID) within
 * one token per byte; jw_escape of any bytes is valid UTF-8 that parses
 * as one JSON string, equal to the input when the input was valid UTF-8;
 * and a jw document with those bytes as key and value, and the input's
 * first eight bytes as a double, parses as JSON. Seeds:
 * tests/fuzz/corpus/json/ (`make fuzz`).
 */
#include "base/buf.h"
#include "json/jr.h"
#include "json/jt.h"
#include "json/jw.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

/* Strict UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned min;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2, min = 0x80, cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3, min = 0x800, cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static int depth_of(const json_t *v)
{
	int max = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			int d = depth_of(x);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			int d = depth_of(x);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

static void check_jr(const char *text, size_t n)
{
	json_t *v = (json_t *)1;
	enum jr_status st = jr_parse(text, n, &v);
	CHECK(st == JR_OK || st == JR_INVALID || st == JR_TOO_DEEP);
	if (st != JR_OK) {
		CHECK(v == NULL);
		return;
	}
	if (n == 0) {
		CHECK(v == NULL);
		return;
	}
	CHECK(v != NULL);
	CHECK(depth_of(v) <= JR_MAX_DEPTH);
	/* jansson holds no NaN or infinity: every real is finite */
	if (json_is_real(v))
		CHECK(isfinite(json_real_value(v)));
	char *out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	CHECK(out);
	size_t out_len = strlen(out);
	CHECK(valid_utf8((const unsigned char *)out, out_len));
	json_t *back = json_loadb(out, out_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	CHECK(back && json_equal(v, back));
	json_decref(back);
	/* the re-serialised text is itself a body jr_parse accepts, with the
	 * same meaning unless it is a string (which it would decode again) */
	if (!json_is_string(v)) {
		json_t *again = NULL;
		CHECK(jr_parse(out, out_len, &again) == JR_OK && again && json_equal(v, again));
		json_decref(again);
	}
	free(out);

	/* strict JSON is taken as it is, not rewritten */
	json_t *strict = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (strict && !json_is_string(strict))
		CHECK(json_equal(strict, v));
	json_decref(strict);
	json_decref(v);
}

static void check_jt(const char *text, size_t n)
{
	struct jt t;
	struct jt_token tok;
	jt_init(&t, text, n);
	for (size_t steps = 0;; steps++) {
		CHECK(steps <= n + 1);
		enum jt_type ty = jt_next(&t, &tok);
		if (ty == JT_END || ty == JT_INVALID)
			break;
		if (ty == JT_STRING || ty == JT_NUMBER) {
			CHECK(tok.s >= text && tok.s + tok.n <= text + n);
			if (ty == JT_NUMBER) {
				CHECK(tok.n > 0);
				/* a number jt passes is one strtod reads in full */
				char num[64];
				if (tok.n < sizeof(num)) {
					memcpy(num, tok.s, tok.n);
					num[tok.n] = '\0';
					char *end;
					(void)strtod(num, &end);
					CHECK(end == num + tok.n);
				}
			}
		}
	}
}

static void check_jw(const char *text, size_t n)
{
	struct buf out = BUF_INIT;
	jw_escape(&out, text, n);
	CHECK(out.len >= 2 && out.ptr[0] == '"' && out.ptr[out.len - 1] == '"');
	CHECK(valid_utf8((const unsigned char *)out.ptr, out.len));
	json_t *s = json_loadb(out.ptr, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	CHECK(s && json_is_string(s));
	if (valid_utf8((const unsigned char *)text, n))
		CHECK(json_string_length(s) == n && memcmp(json_string_value(s), text, n) == 0);
	json_decref(s);

	/* a document */
	double d = 0;
	if (n >= sizeof(d))
		memcpy(&d, text, sizeof(d));
	buf_reset(&out);
	struct jw w;
	jw_init(&w, &out);
	jw_obj_begin(&w);
	struct buf key = BUF_INIT;
	buf_add(&key, text, n);
	jw_key(&w, key.ptr ? key.ptr : "");
	jw_strn(&w, text, n);
	jw_kv_double(&w, "d", d);
	jw_key(&w, "a");
	jw_arr_begin(&w);
	jw_double(&w, d);
	jw_int(&w, (int64_t)n * (n & 1 ? -1 : 1));
	jw_str(&w, key.ptr ? key.ptr : "");
	jw_arr_end(&w);
	jw_obj_end(&w);
	CHECK(w.depth == 0);
	CHECK(valid_utf8((const unsigned char *)out.ptr, out.len));
	json_t *doc = json_loadb(out.ptr, out.len, JSON_ALLOW_NUL, NULL);
	CHECK(doc && json_is_object(doc));
	json_t *dv = json_object_get(doc, "d");
	if (isnan(d))
		CHECK(json_is_string(dv) && strcmp(json_string_value(dv), "NaN") == 0);
	else if (isinf(d))
		CHECK(json_is_number(dv));
	else
		CHECK(json_is_number(dv) && json_number_value(dv) == d);
	json_decref(doc);
	buf_release(&key);
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy with a NUL after it, as the HTTP layer hands bodies */
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	check_jr(text, size);
	check_jt(text, size);
	check_jw(text, size);
	free(text);
	return 0;
}
