/*
 * jr.c - lenient, bounded JSON parsing of request bodies; see jr.h.
 */
#include "jr.h"
#include "../base/buf.h"

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

/* Copies text with bare non-finite tokens (outside strings) quoted. Returns
 * false when there were none. */
static bool quote_bare_tokens(const char *t, size_t n, struct buf *out)
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

/* One parse of text: depth check, then jansson, then the bare-token
 * rewrite if jansson refused it. */
static enum jr_status parse_once(const char *text, size_t n, json_t **out)
{
	if (max_depth(text, n) > JR_MAX_DEPTH)
		return JR_TOO_DEEP;
	json_t *v = load(text, n);
	if (!v) {
		struct buf fixed = BUF_INIT;
		if (quote_bare_tokens(text, n, &fixed))
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
