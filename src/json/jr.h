/*
 * jr.h - reading request bodies into jansson values, with MLflow's
 * leniencies and our limits.
 *
 * MLflow's server (Python's json module) accepts the bare tokens NaN,
 * Infinity and -Infinity, and decodes a body that is a JSON string holding
 * JSON a second time. jansson rejects bare tokens, so a body that fails to
 * parse is scanned once: bare tokens outside strings are rewritten to the
 * strings "NaN" / "Infinity" / "-Infinity" (which every double field
 * accepts) and parsed again. The same scan fixes the numbers jansson cannot
 * hold but Python reads: an integer beyond int64 becomes a real of the same
 * value and a literal beyond the double range (1e309) the string "Infinity"
 * (Python's inf), so the field they are in is judged by its type instead of
 * the whole body being dropped. Nesting deeper than the limit is refused
 * before jansson sees the text. Strings may contain NUL (\u0000): callers
 * compare json_string_length() with strlen() to refuse it.
 */
#ifndef MLF_JR_H
#define MLF_JR_H

#include "../base/err.h"
#include <jansson.h>

#define JR_MAX_DEPTH 64

enum jr_status {
	JR_OK,        /* *out is the parsed value (caller json_decref()s it) */
	JR_INVALID,   /* not JSON: MLflow treats this like an empty body */
	JR_TOO_DEEP,  /* nesting over JR_MAX_DEPTH */
};

/* Parses text[0..n). A NULL or empty text gives JR_OK with *out NULL. */
enum jr_status jr_parse(const char *text, size_t n, json_t **out);

/* A short name of a JSON value's type as MLflow's messages print it
 * ("int", "float", "str", "list", "dict", "bool", "NoneType"). */
const char *jr_type_name(const json_t *v);

#endif
