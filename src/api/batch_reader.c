/*
 * batch_reader.c - the fast, DOM-free log-batch reader; see batch_reader.h.
 * Every function returns false as soon as the input leaves the subset.
 */
#include "batch_reader.h"
#include "../json/jt.h"
#include <errno.h>

static bool read_string(struct jt *t, struct arena *a, const char **out)
{
	struct jt_token tok;
	if (jt_next(t, &tok) != JT_STRING)
		return false;
	*out = arena_strndup(a, tok.s, tok.n);
	return true;
}

static bool read_number(struct jt *t, bool integer, double *d, int64_t *i)
{
	struct jt_token tok;
	char text[64];
	if (jt_next(t, &tok) != JT_NUMBER || tok.n >= sizeof(text) || (integer && !tok.is_int))
		return false;
	memcpy(text, tok.s, tok.n);
	text[tok.n] = '\0';
	errno = 0;
	if (integer)
		*i = strtoll(text, NULL, 10);
	else
		*d = strtod(text, NULL);
	return errno == 0;
}

/* Reads `"name":` and returns the name's slot in `fields` (-1 if unknown
 * or repeated). */
static int read_key(struct jt *t, const char *const *fields, size_t n_fields, unsigned *seen)
{
	struct jt_token tok;
	if (jt_next(t, &tok) != JT_STRING || !jt_expect(t, JT_COLON))
		return -1;
	for (size_t i = 0; i < n_fields; i++)
		if (strlen(fields[i]) == tok.n && memcmp(fields[i], tok.s, tok.n) == 0) {
			if (*seen & (1u << i))
				return -1;
			*seen |= 1u << i;
			return (int)i;
		}
	return -1;
}

/* After a member: true and *more when a ',' follows, true and !*more at
 * the closing `close`. */
static bool next_member(struct jt *t, enum jt_type close, bool *more)
{
	struct jt_token tok;
	enum jt_type ty = jt_next(t, &tok);
	*more = ty == JT_COMMA;
	return ty == JT_COMMA || ty == close;
}

/* Calls `one` for each element of an array of objects; `one` reads the
 * object after its '{'. Elements go to a growing arena array. */
static bool read_objects(struct jt *t, struct arena *a, size_t elem, void **items, size_t *n,
			 bool (*one)(struct jt *, struct arena *, void *))
{
	struct jt_token tok;
	size_t cap = 0;
	*items = NULL;
	*n = 0;
	if (!jt_expect(t, JT_ARR_BEGIN))
		return false;
	enum jt_type ty = jt_next(t, &tok);
	if (ty == JT_ARR_END)
		return true;
	for (;;) {
		if (ty != JT_OBJ_BEGIN)
			return false;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			*items = arena_grow_array(a, *items, *n, ncap, elem);
			cap = ncap;
		}
		if (!one(t, a, (char *)*items + elem * (*n)++))
			return false;
		ty = jt_next(t, &tok);
		if (ty == JT_ARR_END)
			return true;
		if (ty != JT_COMMA)
			return false;
		ty = jt_next(t, &tok);
	}
}

static bool read_metric(struct jt *t, struct arena *a, void *item)
{
	static const char *const fields[] = { "key", "value", "timestamp", "step" };
	struct store_metric *m = item;
	unsigned seen = 0;
	bool more = true;
	memset(m, 0, sizeof(*m));
	while (more) {
		switch (read_key(t, fields, ARRAY_SIZE(fields), &seen)) {
		case 0: if (!read_string(t, a, &m->key)) return false; break;
		case 1: if (!read_number(t, false, &m->value, NULL)) return false; break;
		case 2: if (!read_number(t, true, NULL, &m->timestamp)) return false; break;
		case 3: if (!read_number(t, true, NULL, &m->step)) return false; break;
		default: return false;
		}
		if (!next_member(t, JT_OBJ_END, &more))
			return false;
	}
	return (seen & 7u) == 7u && *m->key; /* key, value and timestamp are required */
}

static bool read_kv(struct jt *t, struct arena *a, void *item)
{
	static const char *const fields[] = { "key", "value" };
	struct store_kv *kv = item;
	unsigned seen = 0;
	bool more = true;
	kv->key = kv->value = NULL;
	while (more) {
		int f = read_key(t, fields, ARRAY_SIZE(fields), &seen);
		if (f < 0 || !read_string(t, a, f == 0 ? &kv->key : &kv->value) || !next_member(t, JT_OBJ_END, &more))
			return false;
	}
	return kv->key && *kv->key;
}

bool batch_read_fast(const char *body, size_t n, struct arena *a, struct batch_request *out)
{
	static const char *const fields[] = { "run_id", "run_uuid", "metrics", "params", "tags" };
	const char *ids[2] = { NULL, NULL };
	struct jt t;
	unsigned seen = 0;
	bool more = true;
	memset(out, 0, sizeof(*out));
	jt_init(&t, body, n);
	if (!jt_expect(&t, JT_OBJ_BEGIN))
		return false;
	while (more) {
		int f = read_key(&t, fields, ARRAY_SIZE(fields), &seen);
		bool ok;
		switch (f) {
		case 0:
		case 1: ok = read_string(&t, a, &ids[f]); break;
		case 2: ok = read_objects(&t, a, sizeof(*out->metrics), (void **)&out->metrics, &out->n_metrics, read_metric); break;
		case 3: ok = read_objects(&t, a, sizeof(*out->params), (void **)&out->params, &out->n_params, read_kv); break;
		case 4: ok = read_objects(&t, a, sizeof(*out->tags), (void **)&out->tags, &out->n_tags, read_kv); break;
		default: return false;
		}
		if (!ok || !next_member(&t, JT_OBJ_END, &more))
			return false;
	}
	if (!jt_expect(&t, JT_END))
		return false;
	out->run_id = ids[0] && *ids[0] ? ids[0] : ids[1];
	return true;
}
