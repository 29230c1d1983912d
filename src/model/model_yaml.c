/*
 * model_yaml.c - libyaml's event stream turned into jansson values, with
 * PyYAML's typing of plain scalars (see model_yaml.h). libyaml is the parser
 * PyYAML itself uses (its C loader), so what MLflow's Python reads, this
 * reads the same way.
 *
 * Values are built bottom-up on a stack of open collections. An anchor
 * keeps the finished value it names, with the number of values it holds; an
 * alias adds a deep copy and that number to the document's count, so an
 * alias bomb reaches MODEL_YAML_MAX_NODES after a few aliases instead of
 * expanding. An alias to an anchor whose value is not finished yet (a
 * structure that contains itself) is refused.
 */
#include "model_yaml.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <yaml.h>
#include <math.h>
#include <stdlib.h>

/* ---- plain scalars, typed as PyYAML's resolver types them ------------------------ */

static bool text_is(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && memcmp(s, *words, n) == 0)
			return true;
	return false;
}

static const char *const null_words[] = { "~", "null", "Null", "NULL", NULL };
static const char *const true_words[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL };
static const char *const false_words[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL };

/* Copies s[0..n) without '_' into out (size cap); false if it does not fit. */
static bool strip_underscores(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_')
			continue;
		if (k + 1 >= cap)
			return false;
		out[k++] = s[i];
	}
	out[k] = '\0';
	return true;
}

static bool all_in(const char *s, size_t n, const char *set)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_' && !strchr(set, s[i]))
			return false;
	return true;
}

/* PyYAML's int: [-+]?(0b[01_]+ | 0[0-7_]+ | 0x[0-9a-fA-F_]+ | 0 | [1-9][0-9_]*).
 * Sexagesimal (1:30) is left a string. */
static json_t *plain_int(const char *s, size_t n)
{
	size_t i = 0;
	bool neg = false;
	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	const char *d = s + i;
	size_t dn = n - i;
	int base;
	size_t skip;
	if (dn >= 3 && d[0] == '0' && d[1] == 'b' && all_in(d + 2, dn - 2, "01"))
		base = 2, skip = 2;
	else if (dn >= 3 && d[0] == '0' && d[1] == 'x' && all_in(d + 2, dn - 2, "0123456789abcdefABCDEF"))
		base = 16, skip = 2;
	else if (dn >= 3 && d[0] == '0' && d[1] == 'o' && all_in(d + 2, dn - 2, "01234567"))
		base = 8, skip = 2; /* YAML 1.2's spelling; PyYAML reads it as a string, we are lenient */
	else if (dn >= 2 && d[0] == '0' && all_in(d + 1, dn - 1, "01234567"))
		base = 8, skip = 1;
	else if (dn == 1 && d[0] == '0')
		base = 10, skip = 0;
	else if (dn >= 1 && d[0] >= '1' && d[0] <= '9' && all_in(d, dn, "0123456789"))
		base = 10, skip = 0;
	else
		return NULL;
	if (base == 8 && skip == 2)
		return NULL; /* keep to PyYAML: "0o17" is a string there */
	char digits[80];
	if (!strip_underscores(d + skip, dn - skip, digits, sizeof(digits)) || !digits[0])
		return NULL;
	errno = 0;
	char *end;
	unsigned long long mag = strtoull(digits, &end, base);
	if (*end)
		return NULL;
	if (errno == ERANGE || mag > (unsigned long long)INT64_MAX + (neg ? 1u : 0u)) {
		/* beyond int64: PyYAML has big integers, JSON numbers do not */
		double v = strtod(digits, NULL);
		if (base != 10)
			v = (double)mag;
		return json_real(neg ? -v : v);
	}
	int64_t v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return json_integer(v);
}

/* PyYAML's float: [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?, [-+]?.inf, .nan
 * (a lone "." is not one). NaN and infinities become the strings MLflow's
 * JSON uses for them, as jansson cannot hold them. */
static json_t *plain_float(const char *s, size_t n)
{
	size_t i = 0;
	bool sign = n && (s[0] == '-' || s[0] == '+');
	if (sign)
		i = 1;
	if (text_is(s + i, n - i, (const char *const[]){ ".inf", ".Inf", ".INF", NULL }))
		return json_string(s[0] == '-' ? "-Infinity" : "Infinity");
	if (!sign && text_is(s, n, (const char *const[]){ ".nan", ".NaN", ".NAN", NULL }))
		return json_string("NaN");
	size_t int_digits = 0, frac_digits = 0;
	if (i < n && isdigit((unsigned char)s[i]))
		for (; i < n && (isdigit((unsigned char)s[i]) || s[i] == '_'); i++)
			int_digits++;
	if (i >= n || s[i] != '.')
		return NULL;
	i++;
	for (; i < n && (isdigit((unsigned char)s[i]) || s[i] == '_'); i++)
		frac_digits += s[i] != '_';
	if (!int_digits && !frac_digits)
		return NULL;
	if (i < n) {
		if ((s[i] != 'e' && s[i] != 'E') || i + 2 >= n + 0 || (s[i + 1] != '-' && s[i + 1] != '+'))
			return NULL;
		i += 2;
		size_t exp_digits = 0;
		for (; i < n && isdigit((unsigned char)s[i]); i++)
			exp_digits++;
		if (!exp_digits || i != n)
			return NULL;
	}
	char text[128];
	if (!strip_underscores(s, n, text, sizeof(text)))
		return NULL;
	double v = strtod(text, NULL);
	if (isinf(v))
		return json_string(v < 0 ? "-Infinity" : "Infinity");
	return json_real(v);
}

static json_t *plain_scalar(const char *s, size_t n)
{
	if (n == 0 || text_is(s, n, null_words))
		return json_null();
	if (text_is(s, n, true_words))
		return json_true();
	if (text_is(s, n, false_words))
		return json_false();
	json_t *v = plain_int(s, n);
	if (!v)
		v = plain_float(s, n);
	return v ? v : json_stringn(s, n);
}

/* ---- tags ------------------------------------------------------------------------ */

enum tag_kind { TAG_NONE, TAG_STR, TAG_INT, TAG_FLOAT, TAG_BOOL, TAG_NULL, TAG_MAP, TAG_SEQ, TAG_OTHER };

/* What an event's tag says; NULL and the non-specific "!" say nothing. */
static enum tag_kind tag_of(const yaml_char_t *tag)
{
	if (!tag || strcmp((const char *)tag, "!") == 0)
		return TAG_NONE;
	static const struct {
		const char *name;
		enum tag_kind kind;
	} known[] = { { YAML_STR_TAG, TAG_STR },   { YAML_INT_TAG, TAG_INT }, { YAML_FLOAT_TAG, TAG_FLOAT },
		      { YAML_BOOL_TAG, TAG_BOOL }, { YAML_NULL_TAG, TAG_NULL }, { YAML_MAP_TAG, TAG_MAP },
		      { YAML_SEQ_TAG, TAG_SEQ } };
	for (size_t k = 0; k < ARRAY_SIZE(known); k++)
		if (strcmp((const char *)tag, known[k].name) == 0)
			return known[k].kind;
	return TAG_OTHER;
}

/* A scalar with an explicit YAML tag, converted as the tag says; NULL when
 * the text does not fit it. */
static json_t *tagged_scalar(enum tag_kind tag, const char *s, size_t n)
{
	json_t *v = NULL;
	switch (tag) {
	case TAG_STR:
		return json_stringn(s, n);
	case TAG_NULL:
		return n == 0 || text_is(s, n, null_words) ? json_null() : NULL;
	case TAG_BOOL:
		return text_is(s, n, true_words) ? json_true() : text_is(s, n, false_words) ? json_false() : NULL;
	case TAG_INT:
		return plain_int(s, n);
	case TAG_FLOAT:
		if ((v = plain_float(s, n)))
			return v;
		if ((v = plain_int(s, n)) && json_is_integer(v)) {
			json_t *real = json_real((double)json_integer_value(v));
			json_decref(v);
			return real;
		}
		return v;
	default:
		return NULL;
	}
}

/* ---- building ---------------------------------------------------------------------- */

struct anchor {
	char *name;
	json_t *value;  /* NULL while its collection is still open */
	size_t count;   /* values it holds, itself included */
};

struct frame {
	json_t *value;   /* the open array or object */
	bool is_map;
	char *key;       /* a mapping's key waiting for its value */
	bool key_is_merge;
	json_t *merges;  /* '<<' values of a mapping, applied at its end */
	size_t anchor;   /* index + 1 of the anchor naming it, 0 for none */
	size_t first;    /* the value count when it opened */
};

struct builder {
	struct frame stack[MODEL_YAML_MAX_DEPTH];
	size_t depth;
	size_t nodes;
	struct anchor *anchors;
	size_t n_anchors;
	json_t *root;
	bool have_root;
	const char *what;
	struct mlf_err *err;
	size_t line; /* of the event being handled, for messages */
};

static int fail(struct builder *b, const char *why, const char *arg)
{
	char text[256];
	snprintf(text, sizeof(text), why, arg);
	return mlf_errorf(b->err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: %s (line %zu)", b->what, text, b->line);
}

static int count_values(struct builder *b, size_t n)
{
	if (n > MODEL_YAML_MAX_NODES || b->nodes + n > MODEL_YAML_MAX_NODES)
		return fail(b, "%s", "too many values (aliases included)");
	b->nodes += n;
	return 0;
}

/* Registers `name` (may be NULL: nothing to do); returns its index + 1. */
static size_t anchor_define(struct builder *b, const yaml_char_t *name, json_t *value, size_t count)
{
	if (!name)
		return 0;
	b->anchors = xrealloc(b->anchors, (b->n_anchors + 1) * sizeof(*b->anchors));
	b->anchors[b->n_anchors] = (struct anchor){ xstrdup((const char *)name), value ? json_incref(value) : NULL,
						    count };
	return ++b->n_anchors;
}

/* The latest anchor called `name` (a later one hides an earlier), or NULL. */
static struct anchor *anchor_find(struct builder *b, const yaml_char_t *name)
{
	for (size_t i = b->n_anchors; i-- > 0;)
		if (strcmp(b->anchors[i].name, (const char *)name) == 0)
			return &b->anchors[i];
	return NULL;
}

/* Adds `v` (owned) where the stack says: the document, an array item or a
 * mapping value. */
static int place(struct builder *b, json_t *v)
{
	if (!b->depth) {
		if (b->have_root) {
			json_decref(v);
			return fail(b, "%s", "more than one document");
		}
		b->root = v;
		b->have_root = true;
		return 0;
	}
	struct frame *f = &b->stack[b->depth - 1];
	if (!f->is_map) {
		json_array_append_new(f->value, v);
		return 0;
	}
	if (!f->key) {
		json_decref(v);
		return fail(b, "%s", "a mapping key is not a scalar");
	}
	if (f->key_is_merge) {
		if (!f->merges)
			f->merges = json_array();
		json_array_append_new(f->merges, v);
	} else {
		json_object_set_new(f->value, f->key, v); /* a duplicate key keeps its last value */
	}
	free(f->key);
	f->key = NULL;
	f->key_is_merge = false;
	return 0;
}

/* A scalar (or an alias's scalar) arriving where a mapping wants a key. */
static bool wants_key(const struct builder *b)
{
	return b->depth && b->stack[b->depth - 1].is_map && !b->stack[b->depth - 1].key;
}

static int set_key(struct builder *b, const char *s, size_t n, bool merge)
{
	if (memchr(s, '\0', n))
		return fail(b, "%s", "a key holds a NUL character");
	struct frame *f = &b->stack[b->depth - 1];
	f->key = xstrndup(s, n);
	f->key_is_merge = merge;
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	enum tag_kind tag = tag_of(ev->data.scalar.tag);
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
	if (tag == TAG_OTHER || tag == TAG_MAP || tag == TAG_SEQ)
		return fail(b, "the tag %.64s is not one the safe loader knows for a scalar",
			    (const char *)ev->data.scalar.tag);
	if (count_values(b, 1) < 0)
		return -1;
	if (wants_key(b)) {
		if (tag != TAG_NONE && tag != TAG_STR) { /* the key stays text; its tag only has to fit it */
			json_t *typed = tagged_scalar(tag, s, n);
			if (!typed)
				return fail(b, "%s", "a key does not match its tag");
			json_decref(typed);
		}
		bool merge = plain && n == 2 && memcmp(s, "<<", 2) == 0;
		if (set_key(b, s, n, merge) < 0)
			return -1;
		if (ev->data.scalar.anchor) {
			json_t *key = json_stringn(s, n);
			anchor_define(b, ev->data.scalar.anchor, key, 1);
			json_decref(key);
		}
		return 0;
	}
	json_t *v = tag != TAG_NONE ? tagged_scalar(tag, s, n) : plain ? plain_scalar(s, n) : json_stringn(s, n);
	if (!v)
		return fail(b, "%s", tag != TAG_NONE ? "a value does not match its tag" : "a string is not UTF-8");
	anchor_define(b, ev->data.scalar.anchor, v, 1);
	return place(b, v);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	struct anchor *an = anchor_find(b, ev->data.alias.anchor);
	if (!an)
		return fail(b, "the alias *%.64s names no anchor", (const char *)ev->data.alias.anchor);
	if (!an->value)
		return fail(b, "the alias *%.64s is inside what it names", (const char *)ev->data.alias.anchor);
	if (count_values(b, an->count) < 0)
		return -1;
	if (wants_key(b)) {
		if (!json_is_string(an->value))
			return fail(b, "%s", "a mapping key is not a scalar");
		return set_key(b, json_string_value(an->value), json_string_length(an->value), false);
	}
	return place(b, json_deep_copy(an->value));
}

static int on_start(struct builder *b, const yaml_event_t *ev, bool is_map)
{
	const yaml_char_t *tag = is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
	const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	enum tag_kind kind = tag_of(tag);
	if (kind != TAG_NONE && kind != (is_map ? TAG_MAP : TAG_SEQ))
		return fail(b, "the tag %.64s does not fit a collection", tag ? (const char *)tag : "");
	if (wants_key(b))
		return fail(b, "%s", "a mapping key is not a scalar");
	if (b->depth == MODEL_YAML_MAX_DEPTH)
		return fail(b, "%s", "nested too deeply");
	if (count_values(b, 1) < 0)
		return -1;
	struct frame *f = &b->stack[b->depth++];
	*f = (struct frame){ .value = is_map ? json_object() : json_array(), .is_map = is_map, .first = b->nodes - 1 };
	f->anchor = anchor_define(b, anchor, NULL, 0);
	return 0;
}

/* Copies the keys of mapping `src` that `dst` does not have yet. */
static void merge_missing(json_t *dst, json_t *src)
{
	const char *k;
	json_t *item;
	json_object_foreach(src, k, item)
		if (!json_object_get(dst, k))
			json_object_set(dst, k, item);
}

static int on_end(struct builder *b)
{
	struct frame f = b->stack[--b->depth];
	int rc = 0;
	if (f.merges) {
		size_t i;
		json_t *m;
		json_array_foreach(f.merges, i, m) {
			if (json_is_object(m)) {
				merge_missing(f.value, m);
				continue;
			}
			size_t j;
			json_t *inner;
			if (json_is_array(m)) {
				json_array_foreach(m, j, inner) {
					if (!json_is_object(inner)) {
						rc = fail(b, "%s", "a merge key lists something that is not a mapping");
						break;
					}
					merge_missing(f.value, inner);
				}
			} else {
				rc = fail(b, "%s", "a merge key names something that is not a mapping");
			}
			if (rc < 0)
				break;
		}
		json_decref(f.merges);
	}
	free(f.key);
	if (rc < 0) {
		json_decref(f.value);
		return -1;
	}
	if (f.anchor) {
		struct anchor *an = &b->anchors[f.anchor - 1];
		an->value = json_incref(f.value);
		an->count = b->nodes - f.first;
	}
	return place(b, f.value);
}

static void builder_release(struct builder *b)
{
	while (b->depth) {
		struct frame *f = &b->stack[--b->depth];
		json_decref(f->value);
		json_decref(f->merges);
		free(f->key);
	}
	for (size_t i = 0; i < b->n_anchors; i++) {
		free(b->anchors[i].name);
		json_decref(b->anchors[i].value);
	}
	free(b->anchors);
	json_decref(b->root);
}

/* Whether the stream's events are done. Returns 1 at its end, 0 to go on, -1 on error. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	b->line = ev->start_mark.line + 1;
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		return b->have_root ? fail(b, "%s", "more than one document") : 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, false);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b);
	default: /* stream start, document end, none */
		return 0;
	}
}

int model_yaml_parse(const char *text, size_t len, const char *what, json_t **out, struct mlf_err *err)
{
	*out = NULL;
	if (len > MODEL_YAML_MAX_BYTES)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: larger than %zu bytes", what,
				  MODEL_YAML_MAX_BYTES);
	if (memchr(text, '\0', len))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: holds a NUL byte", what);
	/* PyYAML reads UTF-8 here too (and libyaml would take a BOM to mean UTF-16) */
	if (!util_utf8_valid(text, len))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: not UTF-8 text", what);
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Out of memory reading %s", what);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	struct builder b = { .what = what, .err = err };
	int rc = 0;
	while (rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: %s%s%s (line %zu)", what,
					parser.problem ? parser.problem : "not YAML", parser.context ? " " : "",
					parser.context ? parser.context : "", parser.problem_mark.line + 1);
			break;
		}
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc < 0) {
		builder_release(&b);
		return -1;
	}
	*out = b.have_root ? b.root : json_null();
	b.root = NULL;
	builder_release(&b);
	return 0;
}
