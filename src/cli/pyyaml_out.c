/*
 * pyyaml_out.c - PyYAML's block-style emitter for flat and two-level string
 * mappings (pyyaml_out.h). The rules, as PyYAML documents and applies them:
 * a scalar is analysed for indicators, leading/trailing spaces and breaks,
 * and characters outside the printable set; plain style is used when
 * allowed and the text resolves back to a string, single quotes when
 * allowed, double quotes (with escapes) otherwise. A single space past
 * column 80 becomes a line break plus the continuation indent (two more
 * than the mapping's), except inside keys.
 */
#include "pyyaml_out.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <regex.h>
#include <pthread.h>
#include <string.h>

#define PYYAML_WIDTH 80
#define PYYAML_MAX_SIMPLE_KEY 128

/* The text as code points; ill-formed bytes become U+FFFD, as a Python
 * string decoded with "replace" holds them. Caller frees. */
static uint32_t *decode(const char *s, size_t *n)
{
	size_t len = strlen(s), i = 0;
	uint32_t *cp = xmalloc((len + 1) * sizeof(*cp));
	*n = 0;
	while (i < len) {
		const unsigned char *p = (const unsigned char *)s + i;
		if (p[0] < 0x80) {
			cp[(*n)++] = p[0];
			i++;
			continue;
		}
		size_t bad = 1, k = util_utf8_sequence(p, len - i, &bad);
		if (!k) {
			cp[(*n)++] = 0xFFFD;
			i += bad ? bad : 1;
			continue;
		}
		uint32_t c = k == 1 ? p[0]
			     : k == 2 ? (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F)
			     : k == 3 ? (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F)
				      : (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
						(uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
		cp[(*n)++] = c;
		i += k;
	}
	return cp;
}

static void put_cp(struct buf *b, uint32_t c)
{
	char u[4];
	size_t k;
	if (c < 0x80) {
		u[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3F));
		k = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | c >> 12);
		u[1] = (char)(0x80 | (c >> 6 & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		k = 3;
	} else {
		u[0] = (char)(0xF0 | c >> 18);
		u[1] = (char)(0x80 | (c >> 12 & 0x3F));
		u[2] = (char)(0x80 | (c >> 6 & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		k = 4;
	}
	buf_add(b, u, k);
}

static void put_cps(struct pyyaml *y, const uint32_t *cp, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		put_cp(y->out, cp[i]);
	y->column += to - from;
	if (to > from) {
		y->whitespace = false;
		y->indention = false;
	}
}

static void put_ascii(struct pyyaml *y, const char *s)
{
	size_t n = strlen(s);
	buf_add(y->out, s, n);
	y->column += n;
	y->whitespace = n && s[n - 1] == ' ';
	y->indention = false;
}

static void line_break(struct pyyaml *y, uint32_t br)
{
	put_cp(y->out, br);
	y->column = 0;
	y->whitespace = true;
	y->indention = true;
}

static void write_indent(struct pyyaml *y, int indent)
{
	size_t in = (size_t)indent;
	if (!y->indention || y->column > in || (y->column == in && !y->whitespace))
		line_break(y, '\n');
	while (y->column < in) {
		buf_addch(y->out, ' ');
		y->column++;
		y->whitespace = true;
	}
}

static bool is_break(uint32_t c)
{
	return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

static bool is_blank_or_end(uint32_t c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\r' || is_break(c);
}

/* ---- plain scalars that would not read back as strings ------------------ */

static const char *const implicit_patterns[] = {
	/* bool */
	"^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
	/* float */
	"^([-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9_]+([eE][-+][0-9]+)?"
	"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
	/* int */
	"^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
	"|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
	/* merge, null, value */
	"^(<<|~|null|Null|NULL|=)$",
	/* timestamp */
	"^([0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
	"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]"
	"(\\.[0-9]*)?([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?)$",
};

static regex_t implicit_re[ARRAY_SIZE(implicit_patterns)];
static bool implicit_ok;
static pthread_once_t implicit_once = PTHREAD_ONCE_INIT;

static void implicit_compile(void)
{
	implicit_ok = true;
	for (size_t i = 0; i < ARRAY_SIZE(implicit_patterns); i++)
		if (regcomp(&implicit_re[i], implicit_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			implicit_ok = false;
}

bool pyyaml_plain_is_str(const char *s)
{
	if (!*s)
		return false; /* the empty plain scalar is null */
	pthread_once(&implicit_once, implicit_compile);
	if (!implicit_ok)
		return false; /* quoting is always safe */
	for (size_t i = 0; i < ARRAY_SIZE(implicit_patterns); i++)
		if (regexec(&implicit_re[i], s, 0, NULL, 0) == 0)
			return false;
	return true;
}

/* ---- analysis and style -------------------------------------------------- */

enum style { STYLE_PLAIN, STYLE_SINGLE, STYLE_DOUBLE };

static bool multiline(const uint32_t *cp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_break(cp[i]))
			return true;
	return false;
}

static enum style choose_style(const char *text, const uint32_t *cp, size_t n, bool simple_key)
{
	bool block_ind = false, line_breaks = false, special = false;
	bool lead_space = false, lead_break = false, trail_space = false, trail_break = false;
	bool break_space = false, space_break = false, prev_space = false, prev_break = false;
	if (n == 0)
		return STYLE_SINGLE;
	if (n >= 3 && ((cp[0] == '-' && cp[1] == '-' && cp[2] == '-') || (cp[0] == '.' && cp[1] == '.' && cp[2] == '.')))
		block_ind = true;
	bool preceded_ws = true, followed_ws = n == 1 || is_blank_or_end(cp[1]);
	for (size_t i = 0; i < n; i++) {
		uint32_t ch = cp[i];
		if (i == 0) {
			if (ch < 0x80 && strchr("#,[]{}&*!|>'\"%@`", (int)ch))
				block_ind = true;
			if ((ch == '?' || ch == ':' || ch == '-') && followed_ws)
				block_ind = true;
		} else {
			if (ch == ':' && followed_ws)
				block_ind = true;
			if (ch == '#' && preceded_ws)
				block_ind = true;
		}
		if (is_break(ch))
			line_breaks = true;
		if (!(ch == '\n' || (ch >= 0x20 && ch <= 0x7E))) {
			bool printable = (ch == 0x85 || (ch >= 0xA0 && ch <= 0xD7FF) || (ch >= 0xE000 && ch <= 0xFFFD) ||
					  (ch >= 0x10000 && ch < 0x10FFFF)) &&
					 ch != 0xFEFF;
			if (!printable)
				special = true;
		}
		if (ch == ' ') {
			if (i == 0)
				lead_space = true;
			if (i == n - 1)
				trail_space = true;
			if (prev_break)
				break_space = true;
			prev_space = true;
			prev_break = false;
		} else if (is_break(ch)) {
			if (i == 0)
				lead_break = true;
			if (i == n - 1)
				trail_break = true;
			if (prev_space)
				space_break = true;
			prev_space = false;
			prev_break = true;
		} else {
			prev_space = prev_break = false;
		}
		preceded_ws = is_blank_or_end(ch);
		followed_ws = i + 2 >= n || is_blank_or_end(cp[i + 2]);
	}
	bool plain = true, single = true;
	if (lead_space || lead_break || trail_space || trail_break)
		plain = false;
	if (break_space)
		plain = single = false;
	if (space_break || special)
		plain = single = false;
	if (line_breaks || block_ind)
		plain = false;
	if (plain && !(simple_key && line_breaks) && pyyaml_plain_is_str(text))
		return STYLE_PLAIN;
	if (single && !(simple_key && line_breaks))
		return STYLE_SINGLE;
	return STYLE_DOUBLE;
}

/* ---- writers --------------------------------------------------------------- */

static void write_plain(struct pyyaml *y, const uint32_t *cp, size_t n, int indent, bool split)
{
	size_t start = 0;
	bool spaces = false;
	if (!y->whitespace)
		put_ascii(y, " ");
	for (size_t end = 0; end <= n; end++) {
		uint32_t ch = end < n ? cp[end] : 0;
		if (spaces) {
			if (ch != ' ') {
				if (start + 1 == end && y->column > PYYAML_WIDTH && split)
					write_indent(y, indent);
				else
					put_cps(y, cp, start, end);
				start = end;
			}
		} else if (end == n || ch == ' ') {
			put_cps(y, cp, start, end);
			start = end;
		}
		spaces = end < n && ch == ' ';
	}
}

static void write_single(struct pyyaml *y, const uint32_t *cp, size_t n, int indent, bool split)
{
	size_t start = 0;
	bool spaces = false, breaks = false;
	if (!y->whitespace)
		put_ascii(y, " ");
	put_ascii(y, "'");
	for (size_t end = 0; end <= n; end++) {
		uint32_t ch = end < n ? cp[end] : 0;
		if (spaces) {
			if (end == n || ch != ' ') {
				if (start + 1 == end && y->column > PYYAML_WIDTH && split && start != 0 && end != n)
					write_indent(y, indent);
				else
					put_cps(y, cp, start, end);
				start = end;
			}
		} else if (breaks) {
			if (end == n || !is_break(ch)) {
				if (cp[start] == '\n')
					line_break(y, '\n');
				for (size_t i = start; i < end; i++)
					line_break(y, cp[i]);
				write_indent(y, indent);
				start = end;
			}
		} else if (end == n || ch == ' ' || is_break(ch) || ch == '\'') {
			put_cps(y, cp, start, end);
			start = end;
		}
		if (end < n && ch == '\'') {
			put_ascii(y, "''");
			start = end + 1;
		}
		spaces = end < n && ch == ' ';
		breaks = end < n && is_break(ch);
	}
	put_ascii(y, "'");
}

static const struct {
	uint32_t ch;
	const char *escape;
} escapes[] = {
	{ 0x00, "\\0" }, { 0x07, "\\a" }, { 0x08, "\\b" },  { 0x09, "\\t" },   { 0x0A, "\\n" },   { 0x0B, "\\v" },
	{ 0x0C, "\\f" }, { 0x0D, "\\r" }, { 0x1B, "\\e" },  { '"', "\\\"" },   { '\\', "\\\\" },  { 0x85, "\\N" },
	{ 0xA0, "\\_" }, { 0x2028, "\\L" }, { 0x2029, "\\P" },
};

static bool double_printable(uint32_t ch)
{
	return (ch >= 0x20 && ch <= 0x7E) || (ch >= 0xA0 && ch <= 0xD7FF) || (ch >= 0xE000 && ch <= 0xFFFD);
}

static void write_double(struct pyyaml *y, const uint32_t *cp, size_t n, int indent, bool split)
{
	size_t start = 0;
	if (!y->whitespace)
		put_ascii(y, " ");
	put_ascii(y, "\"");
	for (size_t end = 0; end <= n; end++) {
		uint32_t ch = end < n ? cp[end] : 0;
		if (end == n || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xFEFF ||
		    !double_printable(ch)) {
			put_cps(y, cp, start, end);
			start = end;
			if (end < n) {
				char esc[16];
				const char *e = NULL;
				for (size_t i = 0; i < ARRAY_SIZE(escapes); i++)
					if (escapes[i].ch == ch)
						e = escapes[i].escape;
				if (!e) {
					if (ch <= 0xFF)
						snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)ch);
					else if (ch <= 0xFFFF)
						snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)ch);
					else
						snprintf(esc, sizeof(esc), "\\U%08X", (unsigned)ch);
					e = esc;
				}
				put_ascii(y, e);
				start = end + 1;
			}
		}
		if (end > 0 && end + 1 < n && (ch == ' ' || start >= end) && y->column + (end - start) > PYYAML_WIDTH &&
		    split) {
			if (start < end) {
				put_cps(y, cp, start, end);
				start = end;
			}
			put_ascii(y, "\\");
			write_indent(y, indent);
			y->whitespace = false;
			y->indention = false;
			if (cp[start] == ' ')
				put_ascii(y, "\\");
		}
	}
	put_ascii(y, "\"");
}

static void (*const style_writers[])(struct pyyaml *y, const uint32_t *cp, size_t n, int indent, bool split) = {
	[STYLE_PLAIN] = write_plain,
	[STYLE_SINGLE] = write_single,
	[STYLE_DOUBLE] = write_double,
};

/* Writes `text` as a scalar in the style PyYAML chooses. */
static void write_scalar(struct pyyaml *y, const char *text, int indent, bool simple_key)
{
	size_t n;
	uint32_t *cp = decode(text, &n);
	style_writers[choose_style(text, cp, n, simple_key)](y, cp, n, indent, !simple_key);
	free(cp);
}

void pyyaml_init(struct pyyaml *y, struct buf *out)
{
	y->out = out;
	y->column = 0;
	y->whitespace = true;
	y->indention = true;
}

/* Writes the key and its ':' (a complex `? key` line when PyYAML could not
 * write it as a simple key). */
static void write_key(struct pyyaml *y, int indent, const char *key)
{
	size_t n;
	uint32_t *cp = decode(key, &n);
	bool simple = n < PYYAML_MAX_SIMPLE_KEY && !multiline(cp, n);
	free(cp);
	write_indent(y, indent);
	if (simple) {
		write_scalar(y, key, indent + 2, true);
		put_ascii(y, ":");
		y->whitespace = false;
		return;
	}
	put_ascii(y, "?");
	y->whitespace = false;
	write_scalar(y, key, indent + 2, false);
	write_indent(y, indent);
	put_ascii(y, ":");
	y->whitespace = false;
	y->indention = true;
}

void pyyaml_str(struct pyyaml *y, int indent, const char *key, const char *value)
{
	write_key(y, indent, key);
	write_scalar(y, value, indent + 2, false);
}

void pyyaml_str_or_null(struct pyyaml *y, int indent, const char *key, const char *value)
{
	if (value)
		pyyaml_str(y, indent, key, value);
	else
		pyyaml_flow(y, indent, key, "null");
}

void pyyaml_int(struct pyyaml *y, int indent, const char *key, int64_t value)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)value);
	pyyaml_flow(y, indent, key, num);
}

void pyyaml_flow(struct pyyaml *y, int indent, const char *key, const char *flow)
{
	write_key(y, indent, key);
	put_ascii(y, " ");
	put_ascii(y, flow);
}

void pyyaml_map(struct pyyaml *y, int indent, const char *key)
{
	write_key(y, indent, key);
}

void pyyaml_end(struct pyyaml *y)
{
	if (!y->indention || y->column)
		line_break(y, '\n');
}
