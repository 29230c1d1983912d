/*
 * s3_sign.c - builds canonical S3 URLs (see s3_sign.h for why libcurl's
 * signer needs them pre-canonicalised). Pure string work: no I/O, no
 * secrets, no global state.
 */
#include "s3_sign.h"
#include "../base/xalloc.h"

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

void s3_encode(struct buf *out, const char *s, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	buf_grow(out, n * 3);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			out->ptr[out->len++] = (char)c;
			continue;
		}
		out->ptr[out->len++] = '%';
		out->ptr[out->len++] = hex[c >> 4];
		out->ptr[out->len++] = hex[c & 15];
	}
	out->ptr[out->len] = '\0';
}

struct encoded_param {
	struct buf name;
	struct buf value;
};

/* SigV4 sorts by encoded name, then by encoded value, in byte order. */
static int param_cmp(const void *a, const void *b)
{
	const struct encoded_param *x = a, *y = b;
	int c = strcmp(x->name.ptr, y->name.ptr);
	return c ? c : strcmp(x->value.ptr, y->value.ptr);
}

void s3_query(struct buf *out, const struct s3_param *p, size_t n)
{
	if (!n)
		return;
	struct encoded_param *e = xcalloc(n, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		e[i].name = (struct buf)BUF_INIT;
		e[i].value = (struct buf)BUF_INIT;
		s3_encode(&e[i].name, p[i].name, strlen(p[i].name), false);
		if (p[i].value)
			s3_encode(&e[i].value, p[i].value, strlen(p[i].value), false);
	}
	qsort(e, n, sizeof(*e), param_cmp);
	for (size_t i = 0; i < n; i++) {
		buf_addf(out, "%s%s=%s", i ? "&" : "", e[i].name.ptr, e[i].value.ptr);
		buf_release(&e[i].name);
		buf_release(&e[i].value);
	}
	free(e);
}

bool s3_path_style(const struct s3_target *t)
{
	return t->endpoint || strchr(t->bucket, '.');
}

void s3_url(struct buf *out, const struct s3_target *t, const char *key, const struct s3_param *p, size_t n)
{
	if (t->endpoint)
		buf_addf(out, "%s/%s", t->endpoint, t->bucket);
	else if (s3_path_style(t))
		buf_addf(out, "https://s3.%s.amazonaws.com/%s", t->region, t->bucket);
	else
		buf_addf(out, "https://%s.s3.%s.amazonaws.com", t->bucket, t->region);
	if (*key || !s3_path_style(t))
		buf_addch(out, '/');
	s3_encode(out, key, strlen(key), true);
	if (n) {
		buf_addch(out, '?');
		s3_query(out, p, n);
	}
}
