/*
 * jt.h - a pull tokenizer for JSON text, for hot paths that must not build
 * a DOM (a 1000-metric log-batch body would otherwise cost ~10,000
 * allocations).
 *
 * It hands out one token at a time, pointing into the text (no copies).
 * Strings are returned raw, without their quotes; a string that contains a
 * backslash escape, a control character or a non-ASCII byte is reported as
 * JT_COMPLEX, so that callers can fall back to the full parser (jr.h)
 * instead of re-implementing escapes and UTF-8 validation. Numbers are
 * checked against JSON's number grammar. The tokenizer does not check the
 * grammar between tokens; the caller expects specific tokens and gives up
 * on anything else.
 */
#ifndef MLF_JT_H
#define MLF_JT_H

#include "../base/common.h"

enum jt_type {
	JT_END,       /* end of text */
	JT_INVALID,   /* not a JSON token */
	JT_COMPLEX,   /* a valid-looking string the fast path does not handle */
	JT_OBJ_BEGIN, /* { */
	JT_OBJ_END,   /* } */
	JT_ARR_BEGIN, /* [ */
	JT_ARR_END,   /* ] */
	JT_COLON,
	JT_COMMA,
	JT_STRING,    /* s/n: the characters between the quotes */
	JT_NUMBER,    /* s/n: the literal; is_int when it has no fraction/exponent */
	JT_TRUE,
	JT_FALSE,
	JT_NULL,
};

struct jt {
	const char *p, *end;
};

struct jt_token {
	enum jt_type type;
	const char *s; /* borrowed from the text */
	size_t n;
	bool is_int;
};

void jt_init(struct jt *t, const char *text, size_t n);
/* Reads the next token (skipping white space). */
enum jt_type jt_next(struct jt *t, struct jt_token *tok);
/* The next token must be `type`; returns false otherwise. */
bool jt_expect(struct jt *t, enum jt_type type);

#endif
