/*
 * jr.c - lenient, bounded JSON parsing of request bodies; see jr.h.
 */
#include "jr.h"
#include "../base/buf.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* Maximum nesting of text[0..n), ignoring brackets inside strings. */
static int max_depth(const char *t, size_t n)
{
	int depth = 0, max = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return max;
}

static const struct {
	const char *token;
	const char *replacement;
} bare_tokens[] = {
	{ "-Infinity", "\"-Infinity\"" },
	{ "Infinity", "\"Infinity\"" },
	{ "NaN", "\"NaN\"" },
};

/* End of the number literal starting at t[i] (a digit or '-'): the run of
 * characters a JSON number may contain (is_json_number checks its form). */
static size_t number_end(const char *t, size_t n, size_t i)
{
	while (i < n && t[i] && strchr("0123456789+-.eE", t[i]))
		i++;
	return i;
}

static size_t skip_digits(const char *t, size_t i, size_t n)
{
	while (i < n && t[i] >= '0' && t[i] <= '9')
		i++;
	return i;
}

/* Does t[0..n) follow JSON's number grammar,
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *t, size_t n)
{
	size_t i = t[0] == '-', j;
	if (i >= n || t[i] < '0' || t[i] > '9')
		return false;
	i = t[i] == '0' ? i + 1 : skip_digits(t, i, n);
	if (i < n && t[i] == '.') {
		if ((j = skip_digits(t, i + 1, n)) == i + 1)
			return false;
		i = j;
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i += i + 1 < n && (t[i + 1] == '+' || t[i + 1] == '-') ? 2 : 1;
		if ((j = skip_digits(t, i, n)) == i)
			return false;
		i = j;
	}
	return i == n;
}

/* Appends the number literal text[0..len) so that jansson can hold it,
 * with Python's json module as the model: an integer beyond int64 becomes
 * a real of the same value, and a literal beyond the double range becomes
 * "Infinity"/"-Infinity" (Python reads 1e309 as inf). Returns false and
 * appends it unchanged when jansson can read it as it is. */
static bool fix_number(const char *text, size_t len, struct buf *out)
{
	struct buf lit = BUF_INIT;
	bool integer = true, changed = false;
	char *end;
	if (!is_json_number(text, len)) {
		buf_add(out, text, len); /* jansson will refuse it */
		return false;
	}
	buf_add(&lit, text, len);
	for (size_t k = 0; k < len; k++)
		integer &= strchr(".eE", text[k]) == NULL;
	errno = 0;
	if (integer) {
		(void)strtoll(lit.ptr, &end, 10);
		changed = *end == '\0' && errno == ERANGE;
		errno = 0;
	}
	double d = strtod(lit.ptr, &end);
	if (*end == '\0' && errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) {
		buf_adds(out, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		changed = true;
	} else {
		buf_add(out, text, len);
		if (changed)
			buf_adds(out, ".0");
	}
	buf_release(&lit);
	return changed;
}

/* Copies text, outside strings, with what Python's json module reads but
 * jansson refuses made readable: bare non-finite tokens quoted, and
 * numbers beyond int64 or double rewritten (fix_number). Returns false
 * when there was nothing of the kind. */
static bool rewrite_python_literals(const char *t, size_t n, struct buf *out)
{
	bool in_str = false, changed = false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (in_str) {
			buf_addch(out, c);
			if (c == '\\' && i + 1 < n)
				buf_addch(out, t[++i]);
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		size_t k;
		for (k = 0; k < sizeof(bare_tokens) / sizeof(bare_tokens[0]); k++) {
			size_t len = strlen(bare_tokens[k].token);
			if (len <= n - i && memcmp(t + i, bare_tokens[k].token, len) == 0)
				break;
		}
		if (k < sizeof(bare_tokens) / sizeof(bare_tokens[0])) {
			buf_adds(out, bare_tokens[k].replacement);
			i += strlen(bare_tokens[k].token) - 1;
			changed = true;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t end = number_end(t, n, i);
			changed |= fix_number(t + i, end - i, out);
			i = end - 1;
		} else {
			buf_addch(out, c);
		}
	}
	return changed;
}

static json_t *load(const char *t, size_t n)
{
	return json_loadb(t, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

/* One parse of text: depth check, then jansson, then the rewrite of
 * Python-only literals if jansson refused it (so the rewrite costs nothing
 * on the usual path). */
static enum jr_status parse_once(const char *text, size_t n, json_t **out)
{
	if (max_depth(text, n) > JR_MAX_DEPTH)
		return JR_TOO_DEEP;
	json_t *v = load(text, n);
	if (!v) {
		struct buf fixed = BUF_INIT;
		if (rewrite_python_literals(text, n, &fixed))
			v = load(fixed.ptr, fixed.len);
		buf_release(&fixed);
	}
	*out = v;
	return v ? JR_OK : JR_INVALID;
}

enum jr_status jr_parse(const char *text, size_t n, json_t **out)
{
	*out = NULL;
	if (!text || n == 0)
		return JR_OK;
	json_t *v;
	enum jr_status st = parse_once(text, n, &v);
	if (st != JR_OK)
		return st;
	if (json_is_string(v)) { /* a double-encoded body */
		json_t *inner;
		st = parse_once(json_string_value(v), json_string_length(v), &inner);
		json_decref(v);
		if (st != JR_OK)
			return st;
		v = inner;
	}
	*out = v;
	return JR_OK;
}

const char *jr_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "dict";
	case JSON_ARRAY: return "list";
	case JSON_STRING: return "str";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_NULL: return "NoneType";
	}
	return "unknown";
}
