/*
 * s3_xml.c - finds elements in S3's flat XML and decodes their text; see
 * s3_xml.h for the subset of XML this is correct for.
 */
#include "s3_xml.h"
#include <ctype.h>

/* Where in `in` the start tag of `name` begins, or NULL. A start tag is
 * "<name" followed by '>', '/' or white space. */
static const char *find_start(struct s3_span in, const char *name, size_t nlen)
{
	const char *p = in.ptr, *end = in.ptr + in.len;
	while (p + nlen + 2 <= end && (p = memchr(p, '<', (size_t)(end - p)))) {
		if ((size_t)(end - p) >= nlen + 2 && memcmp(p + 1, name, nlen) == 0 && p[nlen + 1] &&
		    strchr(">/ \t\r\n", p[nlen + 1]))
			return p;
		p++;
	}
	return NULL;
}

bool s3_xml_next(struct s3_span *in, const char *name, struct s3_span *inner)
{
	size_t nlen = strlen(name);
	const char *end = in->ptr + in->len;
	const char *start = find_start(*in, name, nlen);
	if (!start)
		return false;
	const char *gt = memchr(start, '>', (size_t)(end - start));
	if (!gt)
		return false;
	if (gt[-1] == '/') { /* <Name/> */
		*inner = (struct s3_span){ gt + 1, 0 };
		in->len = (size_t)(end - gt - 1);
		in->ptr = gt + 1;
		return true;
	}
	const char *body = gt + 1, *p = body;
	for (;;) { /* the matching </name> */
		p = memchr(p, '<', (size_t)(end - p));
		if (!p || (size_t)(end - p) < nlen + 3)
			return false;
		if (p[1] == '/' && memcmp(p + 2, name, nlen) == 0 && p[nlen + 2] == '>')
			break;
		p++;
	}
	*inner = (struct s3_span){ body, (size_t)(p - body) };
	in->ptr = p + nlen + 3;
	in->len = (size_t)(end - in->ptr);
	return true;
}

static void add_utf8(struct buf *out, unsigned long cp)
{
	unsigned char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_add(out, b, n);
}

static const struct {
	const char *name; /* between '&' and ';' */
	char c;
} entities[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' } };

/* Decodes the entity body e[0..n) (without '&' and ';'); false if unknown. */
static bool decode_entity(struct buf *out, const char *e, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(entities); i++)
		if (strlen(entities[i].name) == n && memcmp(e, entities[i].name, n) == 0) {
			buf_addch(out, entities[i].c);
			return true;
		}
	if (n < 2 || n > 10 || e[0] != '#')
		return false;
	bool hex = e[1] == 'x' || e[1] == 'X';
	char digits[12];
	memcpy(digits, e + 1 + hex, n - 1 - hex);
	digits[n - 1 - hex] = '\0';
	char *stop;
	unsigned long cp = strtoul(digits, &stop, hex ? 16 : 10);
	if (!isxdigit((unsigned char)digits[0]) || *stop || cp == 0 || cp > 0x10FFFF)
		return false;
	add_utf8(out, cp);
	return true;
}

void s3_xml_text(struct buf *out, struct s3_span raw)
{
	const char *p = raw.ptr, *end = raw.ptr + raw.len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		if (!amp) {
			buf_add(out, p, (size_t)(end - p));
			return;
		}
		buf_add(out, p, (size_t)(amp - p));
		const char *semi = memchr(amp, ';', (size_t)(end - amp));
		if (semi && decode_entity(out, amp + 1, (size_t)(semi - amp - 1))) {
			p = semi + 1;
		} else {
			buf_addch(out, '&');
			p = amp + 1;
		}
	}
}

bool s3_xml_find(struct buf *out, struct s3_span in, const char *name)
{
	struct s3_span inner;
	if (!s3_xml_next(&in, name, &inner))
		return false;
	s3_xml_text(out, inner);
	return true;
}

void s3_xml_escape(struct buf *out, const char *s)
{
	static const char *const repl[256] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
					       ['\''] = "&apos;" };
	for (; *s; s++) {
		const char *r = repl[(unsigned char)*s];
		if (r)
			buf_adds(out, r);
		else
			buf_addch(out, *s);
	}
}
