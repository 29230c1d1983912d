/*
 * jw.h - a streaming JSON writer that appends compact JSON to a struct buf.
 *
 * It tracks nesting so callers never place commas by hand, escapes strings
 * (control characters, quotes, backslash), writes int64 exactly, and writes
 * doubles with the shortest round-trip form. Its output is always valid
 * UTF-8: well-formed UTF-8 passes through byte for byte, and each
 * ill-formed sequence (stray continuation bytes, overlong forms, encoded
 * surrogates, truncated sequences, bytes C0, C1, F5-FF) becomes one U+FFFD
 * per maximal subpart, as Python's "replace" decoding does. Whatever a
 * client sent or a file name holds, the answer stays parseable.
 * Non-finite doubles follow MLflow's wire rule: NaN is the string "NaN" and
 * +/-Infinity become +/-DBL_MAX (what MLflow's SQL store returns).
 * Misuse (a value without a key inside an object, unbalanced ends) is a
 * programmer error caught by assert.
 *
 * Written into a sticky buffer (buf.h), the writer is sticky too: once an
 * append fails, the rest are no-ops, and jw_failed() says so at the end.
 */
#ifndef MLF_JW_H
#define MLF_JW_H

#include "../base/buf.h"

#define JW_MAX_DEPTH 32

struct jw {
	struct buf *out;    /* borrowed; receives the text */
	int depth;
	bool first[JW_MAX_DEPTH]; /* no element written yet at this level */
	bool after_key;     /* a key was written, its value comes next */
};

void jw_init(struct jw *w, struct buf *out);
/* True when the text is incomplete: the sticky output buffer lost an
 * append (out of memory or past its limit). Never for a plain buffer. */
bool jw_failed(const struct jw *w);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_double(struct jw *w, double v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Appends already-serialised JSON as one value. */
void jw_raw(struct jw *w, const char *json, size_t n);

/* Shorthands for "key": value pairs inside an object. */
void jw_kv_str(struct jw *w, const char *key, const char *s);
void jw_kv_int(struct jw *w, const char *key, int64_t v);
void jw_kv_double(struct jw *w, const char *key, double v);
void jw_kv_bool(struct jw *w, const char *key, bool v);

/* Appends `s` as a quoted, escaped JSON string to `out` (invalid UTF-8
 * replaced as above). */
void jw_escape(struct buf *out, const char *s, size_t n);

#endif
