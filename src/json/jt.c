/*
 * jt.c - pull tokenizer for JSON; see jt.h.
 */
#include "jt.h"

void jt_init(struct jt *t, const char *text, size_t n)
{
	t->p = text;
	t->end = text + n;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static enum jt_type lex_number(struct jt *t, struct jt_token *tok)
{
	const char *p = t->p, *end = t->end;
	tok->s = p;
	tok->is_int = true;
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && is_digit(*p))
		while (p < end && is_digit(*p))
			p++;
	else
		return JT_INVALID;
	if (p < end && *p == '.') {
		tok->is_int = false;
		if (++p >= end || !is_digit(*p))
			return JT_INVALID;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		tok->is_int = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return JT_INVALID;
		while (p < end && is_digit(*p))
			p++;
	}
	tok->n = (size_t)(p - tok->s);
	t->p = p;
	return JT_NUMBER;
}

static enum jt_type lex_string(struct jt *t, struct jt_token *tok)
{
	const char *p = ++t->p; /* after the opening quote */
	bool plain = true;
	while (p < t->end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c == '\\') {
			plain = false;
			if (++p >= t->end)
				return JT_INVALID;
		} else if (c < 0x20 || c >= 0x80) {
			plain = false;
		}
		p++;
	}
	if (p >= t->end)
		return JT_INVALID;
	tok->s = t->p;
	tok->n = (size_t)(p - t->p);
	t->p = p + 1;
	return plain ? JT_STRING : JT_COMPLEX;
}

static enum jt_type lex_word(struct jt *t, const char *word, enum jt_type type)
{
	size_t n = strlen(word);
	if ((size_t)(t->end - t->p) < n || memcmp(t->p, word, n) != 0)
		return JT_INVALID;
	t->p += n;
	return type;
}

enum jt_type jt_next(struct jt *t, struct jt_token *tok)
{
	static const char punct[] = "{}[]:,";
	static const enum jt_type punct_type[] = { JT_OBJ_BEGIN, JT_OBJ_END, JT_ARR_BEGIN,
						   JT_ARR_END,   JT_COLON, JT_COMMA };
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\n' || *t->p == '\r' || *t->p == '\t'))
		t->p++;
	tok->s = t->p;
	tok->n = 0;
	if (t->p >= t->end)
		return tok->type = JT_END;
	const char *pc = memchr(punct, *t->p, sizeof(punct) - 1);
	if (pc) {
		t->p++;
		tok->n = 1;
		return tok->type = punct_type[pc - punct];
	}
	switch (*t->p) {
	case '"': return tok->type = lex_string(t, tok);
	case 't': return tok->type = lex_word(t, "true", JT_TRUE);
	case 'f': return tok->type = lex_word(t, "false", JT_FALSE);
	case 'n': return tok->type = lex_word(t, "null", JT_NULL);
	default: return tok->type = lex_number(t, tok);
	}
}

bool jt_expect(struct jt *t, enum jt_type type)
{
	struct jt_token tok;
	return jt_next(t, &tok) == type;
}
