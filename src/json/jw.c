/*
 * jw.c - streaming JSON writer; see jw.h.
 */
#include "jw.h"
#include "../base/util.h"
#include <assert.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>

void jw_init(struct jw *w, struct buf *out)
{
	w->out = out;
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
}

bool jw_failed(const struct jw *w)
{
	return buf_failed(w->out);
}

/* Separator before a value (or key) at the current level. */
static void jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		buf_addch(w->out, ',');
	w->first[w->depth] = false;
}

static void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	buf_addch(w->out, c);
	assert(w->depth + 1 < JW_MAX_DEPTH);
	w->depth++;
	w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
	assert(w->depth > 0 && !w->after_key);
	w->depth--;
	buf_addch(w->out, c);
}

void jw_obj_begin(struct jw *w) { jw_open(w, '{'); }
void jw_obj_end(struct jw *w) { jw_close(w, '}'); }
void jw_arr_begin(struct jw *w) { jw_open(w, '['); }
void jw_arr_end(struct jw *w) { jw_close(w, ']'); }

/* What jw_escape does with each byte: copy it, escape it, or check the
 * UTF-8 sequence it starts. A table keeps the common case (printable
 * ASCII) to one load and one test per byte. */
enum { JW_COPY, JW_ESCAPE, JW_MULTIBYTE };
#define JW_ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
#define ESC JW_ESCAPE
static const unsigned char jw_byte_class[256] = {
	JW_ROW(ESC), JW_ROW(ESC),                      /* 0x00-0x1f control characters */
	0, 0, ESC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x22 '"' */
	JW_ROW(0), JW_ROW(0),
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ESC, 0, 0, 0, /* 0x5c '\\' */
	JW_ROW(0), JW_ROW(0),
	JW_ROW(JW_MULTIBYTE), JW_ROW(JW_MULTIBYTE), JW_ROW(JW_MULTIBYTE), JW_ROW(JW_MULTIBYTE),
	JW_ROW(JW_MULTIBYTE), JW_ROW(JW_MULTIBYTE), JW_ROW(JW_MULTIBYTE), JW_ROW(JW_MULTIBYTE),
};
#undef ESC
#undef JW_ROW

void jw_escape(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0, i = 0;
	buf_grow(out, n + 2);
	buf_addch(out, '"');
	for (;;) {
		while (i < n && jw_byte_class[u[i]] == JW_COPY)
			i++;
		if (i == n)
			break;
		unsigned char c = u[i];
		if (jw_byte_class[c] == JW_MULTIBYTE) {
			/* the common forms inline: 2 bytes, and 3 bytes after a
			 * lead other than E0 and ED (whose second byte has a
			 * narrower range) */
			if (c >= 0xc2 && c <= 0xdf && n - i >= 2 && (u[i + 1] & 0xc0) == 0x80) {
				i += 2;
				continue;
			}
			if (c >= 0xe1 && c <= 0xef && c != 0xed && n - i >= 3 && (u[i + 1] & 0xc0) == 0x80 &&
			    (u[i + 2] & 0xc0) == 0x80) {
				i += 3;
				continue;
			}
			size_t bad, len = util_utf8_sequence(u + i, n - i, &bad);
			if (len) {
				i += len;
				continue;
			}
			buf_add(out, s + start, i - start);
			buf_add(out, "\xef\xbf\xbd", 3); /* U+FFFD REPLACEMENT CHARACTER */
			i += bad;
			start = i;
			continue;
		}
		buf_add(out, s + start, i - start);
		start = ++i;
		switch (c) {
		case '"': buf_add(out, "\\\"", 2); break;
		case '\\': buf_add(out, "\\\\", 2); break;
		case '\n': buf_add(out, "\\n", 2); break;
		case '\r': buf_add(out, "\\r", 2); break;
		case '\t': buf_add(out, "\\t", 2); break;
		case '\b': buf_add(out, "\\b", 2); break;
		case '\f': buf_add(out, "\\f", 2); break;
		default: {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_add(out, esc, 6);
		}
		}
	}
	buf_add(out, s + start, n - start);
	buf_addch(out, '"');
}

void jw_key(struct jw *w, const char *key)
{
	assert(!w->after_key);
	jw_sep(w);
	jw_escape(w->out, key, strlen(key));
	buf_addch(w->out, ':');
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	jw_escape(w->out, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
	char text[24], *p = text + sizeof(text);
	/* by hand: this runs twice per metric point of a 100k-point history */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	jw_sep(w);
	buf_add(w->out, p, (size_t)(text + sizeof(text) - p));
}

void jw_double(struct jw *w, double v)
{
	char num[32];
	jw_sep(w);
	if (isnan(v)) {
		buf_add(w->out, "\"NaN\"", 5);
		return;
	}
	if (isinf(v))
		v = v > 0 ? DBL_MAX : -DBL_MAX;
	util_format_double(num, v);
	buf_adds(w->out, num);
}

void jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	buf_adds(w->out, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	jw_sep(w);
	buf_add(w->out, "null", 4);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	jw_sep(w);
	buf_add(w->out, json, n);
}

void jw_kv_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_kv_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kv_double(struct jw *w, const char *key, double v)
{
	jw_key(w, key);
	jw_double(w, v);
}

void jw_kv_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}
