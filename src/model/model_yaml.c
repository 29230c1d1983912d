/*
 * model_yaml.c - libfyaml's document tree turned into jansson values, with
 * PyYAML's typing of plain scalars (see model_yaml.h).
 *
 * The document is built unresolved: aliases are followed here, one value at
 * a time, so every value produced (including each copy an alias makes)
 * counts against MODEL_YAML_MAX_NODES and the depth against
 * MODEL_YAML_MAX_DEPTH, which also ends a self-referencing alias.
 */
#include "model_yaml.h"
#include "../base/util.h"
#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdlib.h>

struct conv {
	size_t nodes;
	const char *what;
	struct mlf_err *err;
};

/* Fails with a message naming where in the document (e.g. "at /flavors/x"). */
static int conv_error(struct conv *cv, struct fy_node *at, const char *fmt, const char *arg)
{
	char why[256];
	snprintf(why, sizeof(why), fmt, arg);
	char *path = at ? fy_node_get_path(at) : NULL;
	mlf_errorf(cv->err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: %s at %.200s", cv->what, why,
		   path && *path ? path : "/");
	free(path);
	return -1;
}

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

static enum tag_kind tag_of(struct fy_node *fyn)
{
	size_t len = 0;
	const char *tag = fy_node_get_tag(fyn, &len);
	if (!tag || !len)
		return TAG_NONE;
	static const struct {
		const char *suffix;
		enum tag_kind kind;
	} known[] = { { "str", TAG_STR }, { "int", TAG_INT },   { "float", TAG_FLOAT }, { "bool", TAG_BOOL },
		      { "null", TAG_NULL }, { "map", TAG_MAP }, { "seq", TAG_SEQ } };
	static const char *const prefixes[] = { "tag:yaml.org,2002:", "!!" };
	for (size_t p = 0; p < ARRAY_SIZE(prefixes); p++) {
		size_t pl = strlen(prefixes[p]);
		if (len <= pl || memcmp(tag, prefixes[p], pl) != 0)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(known); k++)
			if (strlen(known[k].suffix) == len - pl && memcmp(tag + pl, known[k].suffix, len - pl) == 0)
				return known[k].kind;
	}
	if (len == 1 && tag[0] == '!')
		return TAG_NONE; /* the non-specific tag: a quoted-style string for scalars */
	return TAG_OTHER;
}

/* A scalar with an explicit tag, converted as that tag says. */
static json_t *tagged_scalar(struct conv *cv, struct fy_node *fyn, enum tag_kind tag, const char *s, size_t n)
{
	json_t *v = NULL;
	switch (tag) {
	case TAG_STR:
		return json_stringn(s, n);
	case TAG_NULL:
		v = n == 0 || text_is(s, n, null_words) ? json_null() : NULL;
		break;
	case TAG_BOOL:
		v = text_is(s, n, true_words) ? json_true() : text_is(s, n, false_words) ? json_false() : NULL;
		break;
	case TAG_INT:
		v = plain_int(s, n);
		break;
	case TAG_FLOAT:
		v = plain_float(s, n);
		if (!v && (v = plain_int(s, n)) && json_is_integer(v)) {
			json_t *real = json_real((double)json_integer_value(v));
			json_decref(v);
			v = real;
		}
		break;
	default:
		break;
	}
	if (!v)
		conv_error(cv, fyn, "a value does not match its tag: %s", tag == TAG_OTHER ? "(unknown)" : "explicit");
	return v;
}

/* ---- the tree ---------------------------------------------------------------------- */

static json_t *convert(struct conv *cv, struct fy_node *fyn, unsigned depth);

/* The text of a mapping key; borrowed from the document or `tmp`. */
static const char *key_text(struct conv *cv, struct fy_node *key, size_t *len, unsigned depth)
{
	struct fy_node *k = key;
	for (unsigned hops = 0; k && fy_node_is_alias(k); hops++) {
		if (hops > MODEL_YAML_MAX_DEPTH || !(k = fy_node_resolve_alias(k))) {
			conv_error(cv, key, "%s", "an alias names no anchor");
			return NULL;
		}
	}
	if (!k) { /* "? " with no key: PyYAML's None, printed as "null" */
		*len = 4;
		return "null";
	}
	if (fy_node_get_type(k) != FYNT_SCALAR) {
		conv_error(cv, key, "%s", "a mapping key is not a scalar");
		return NULL;
	}
	(void)depth;
	const char *s = fy_node_get_scalar(k, len);
	if (!s) {
		*len = 0;
		return "";
	}
	return s;
}

/* Merges the mapping(s) a '<<' key names into `obj`, keys already there win. */
static int merge_into(struct conv *cv, json_t *obj, struct fy_node *src, unsigned depth)
{
	json_t *v = convert(cv, src, depth + 1);
	if (!v)
		return -1;
	int rc = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *item;
		json_object_foreach(v, k, item)
			if (!json_object_get(obj, k))
				json_object_set(obj, k, item);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m) {
			if (!json_is_object(m)) {
				rc = conv_error(cv, src, "%s", "a merge key lists something that is not a mapping");
				break;
			}
			const char *k;
			json_t *item;
			json_object_foreach(m, k, item)
				if (!json_object_get(obj, k))
					json_object_set(obj, k, item);
		}
	} else {
		rc = conv_error(cv, src, "%s", "a merge key names something that is not a mapping");
	}
	json_decref(v);
	return rc;
}

static json_t *convert_mapping(struct conv *cv, struct fy_node *fyn, unsigned depth)
{
	json_t *obj = json_object();
	struct fy_node *merges[16];
	size_t n_merges = 0;
	void *iter = NULL;
	struct fy_node_pair *pair;
	while ((pair = fy_node_mapping_iterate(fyn, &iter))) {
		struct fy_node *key = fy_node_pair_key(pair), *value = fy_node_pair_value(pair);
		size_t klen;
		if (key && fy_node_get_type(key) == FYNT_SCALAR && fy_node_get_style(key) == FYNS_PLAIN &&
		    tag_of(key) == TAG_NONE) {
			const char *s = fy_node_get_scalar(key, &klen);
			if (s && klen == 2 && memcmp(s, "<<", 2) == 0) {
				if (n_merges == ARRAY_SIZE(merges)) {
					conv_error(cv, key, "%s", "too many merge keys");
					goto fail;
				}
				merges[n_merges++] = value;
				continue;
			}
		}
		const char *k = key_text(cv, key, &klen, depth);
		if (!k)
			goto fail;
		if (memchr(k, '\0', klen)) {
			conv_error(cv, key, "%s", "a key holds a NUL character");
			goto fail;
		}
		json_t *v = convert(cv, value, depth + 1);
		if (!v)
			goto fail;
		char *name = strndup(k, klen);
		if (!name) {
			json_decref(v);
			mlf_errorf(cv->err, MLF_INTERNAL_ERROR, "Out of memory reading %s", cv->what);
			goto fail;
		}
		json_object_set_new(obj, name, v); /* a duplicate key keeps its last value */
		free(name);
	}
	for (size_t i = 0; i < n_merges; i++)
		if (merge_into(cv, obj, merges[i], depth) < 0)
			goto fail;
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

static json_t *convert(struct conv *cv, struct fy_node *fyn, unsigned depth)
{
	if (depth > MODEL_YAML_MAX_DEPTH) {
		conv_error(cv, fyn, "%s", "nested too deeply");
		return NULL;
	}
	if (++cv->nodes > MODEL_YAML_MAX_NODES) {
		conv_error(cv, fyn, "%s", "too many values (aliases included)");
		return NULL;
	}
	if (!fyn) /* "key:" with nothing after it */
		return json_null();
	if (fy_node_is_alias(fyn)) {
		struct fy_node *target = fy_node_resolve_alias(fyn);
		if (!target) {
			conv_error(cv, fyn, "%s", "an alias names no anchor");
			return NULL;
		}
		return convert(cv, target, depth + 1);
	}
	enum tag_kind tag = tag_of(fyn);
	if (tag == TAG_OTHER) {
		size_t len = 0;
		const char *t = fy_node_get_tag(fyn, &len);
		char shown[64];
		snprintf(shown, sizeof(shown), "%.*s", (int)(len < 48 ? len : 48), t ? t : "");
		conv_error(cv, fyn, "the tag %s is not one the safe loader knows", shown);
		return NULL;
	}
	switch (fy_node_get_type(fyn)) {
	case FYNT_MAPPING:
		if (tag != TAG_NONE && tag != TAG_MAP)
			break;
		return convert_mapping(cv, fyn, depth);
	case FYNT_SEQUENCE: {
		if (tag != TAG_NONE && tag != TAG_SEQ)
			break;
		json_t *arr = json_array();
		void *iter = NULL;
		struct fy_node *item;
		while ((item = fy_node_sequence_iterate(fyn, &iter))) {
			json_t *v = convert(cv, item, depth + 1);
			if (!v) {
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, v);
		}
		return arr;
	}
	case FYNT_SCALAR: {
		if (tag == TAG_MAP || tag == TAG_SEQ)
			break;
		size_t n = 0;
		const char *s = fy_node_get_scalar(fyn, &n);
		if (!s)
			s = "", n = 0;
		if (tag != TAG_NONE)
			return tagged_scalar(cv, fyn, tag, s, n);
		size_t tlen = 0;
		const char *t = fy_node_get_tag(fyn, &tlen);
		if (fy_node_get_style(fyn) == FYNS_PLAIN && !(t && tlen))
			return plain_scalar(s, n);
		return json_stringn(s, n);
	}
	}
	conv_error(cv, fyn, "%s", "a tag does not match its node");
	return NULL;
}

/* The first error libfyaml collected, or a generic text. */
static void parse_error(struct fy_diag *diag, const char *what, struct mlf_err *err)
{
	void *iter = NULL;
	struct fy_diag_error *e = diag ? fy_diag_errors_iterate(diag, &iter) : NULL;
	if (e && e->msg)
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: %s (line %d)", what, e->msg, e->line + 1);
	else
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: not YAML", what);
}

/* Whether text[0..len) holds no node at all: only blank lines, comments and
 * document markers (libfyaml builds no document for it, as for an error). */
static bool no_document(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *q = p;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		size_t rest = (size_t)(eol - q);
		bool marker = rest >= 3 && (memcmp(q, "---", 3) == 0 || memcmp(q, "...", 3) == 0) &&
			      (rest == 3 || q[3] == ' ' || q[3] == '\r');
		if (q < eol && *q != '#' && !marker)
			return false;
		p = eol + 1;
	}
	return true;
}

int model_yaml_parse(const char *text, size_t len, const char *what, json_t **out, struct mlf_err *err)
{
	*out = NULL;
	if (len > MODEL_YAML_MAX_BYTES)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: larger than %zu bytes", what,
				  MODEL_YAML_MAX_BYTES);
	if (memchr(text, '\0', len))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: holds a NUL byte", what);
	/* PyYAML reads UTF-8 only too; and libfyaml 0.7.12 never returns from
	 * some ill-formed bytes (after a '%' directive), so they stop here */
	if (!util_utf8_valid(text, len))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Malformed %s: not UTF-8 text", what);
	if (len == 0) {
		*out = json_null(); /* libfyaml has no input to read from */
		return 0;
	}
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	if (diag)
		fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = {
		.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_ALLOW_DUPLICATE_KEYS | FYPCF_DEFAULT_VERSION_1_1 |
			 FYPCF_JSON_NONE,
		.diag = diag,
	};
	struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
	int rc = 0;
	if (!doc && no_document(text, len)) {
		*out = json_null(); /* a stream with no document: comments, blanks, markers */
	} else if (!doc) {
		rc = -1;
		parse_error(diag, what, err);
	} else {
		struct conv cv = { .what = what, .err = err };
		struct fy_node *root = fy_document_root(doc);
		*out = root ? convert(&cv, root, 0) : json_null();
		if (!*out)
			rc = -1;
		fy_document_destroy(doc);
	}
	if (diag)
		fy_diag_destroy(diag);
	return rc;
}
