/*
 * buf.c - growable NUL-terminated buffer; see buf.h for the invariants and
 * the two modes (plain buffers abort on OOM, sticky ones record it).
 */
#include "buf.h"
#include "xalloc.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t hint)
{
	*b = (struct buf)BUF_INIT;
	if (hint)
		buf_grow(b, hint);
}

void buf_sticky(struct buf *b, size_t max)
{
	b->sticky = true;
	b->max = max;
}

bool buf_failed(const struct buf *b)
{
	return b->failed;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->ptr);
	b->ptr = buf_empty;
	b->len = b->cap = 0;
	b->failed = false;
}

/* Room for `extra` more bytes and the NUL; false when a sticky buffer
 * cannot have it (it is then marked failed). */
static bool grow(struct buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra > SIZE_MAX / 2 - b->len || (b->max && b->len + extra > b->max)) {
		if (!b->sticky)
			abort(); /* a plain buffer has no limit: only a size overflow gets here */
		b->failed = true;
		return false;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p;
	if (!b->sticky)
		p = b->cap ? xrealloc(b->ptr, cap) : xmalloc(cap);
	else if (!(p = b->cap ? realloc(b->ptr, cap) : malloc(cap))) {
		b->failed = true;
		return false;
	}
	if (!b->cap)
		p[0] = '\0'; /* len is 0 while ptr was the shared empty string */
	b->ptr = p;
	b->cap = cap;
	return true;
}

void buf_grow(struct buf *b, size_t extra)
{
	grow(b, extra);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->cap)
		b->ptr[0] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (!n || !grow(b, n))
		return;
	memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, char c)
{
	if (!grow(b, 1))
		return;
	b->ptr[b->len++] = c;
	b->ptr[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	if (b->failed || (!b->max && !grow(b, 64))) /* a limited buffer grows to fit only */
		return;
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len || (b->max && b->len + (size_t)n > b->max)) {
		if (!grow(b, (size_t)n)) {
			b->ptr[b->len] = '\0'; /* drop the truncated part vsnprintf wrote */
			return;
		}
		vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *buf_detach(struct buf *b, size_t *len)
{
	if (!b->cap)
		grow(b, 0);
	if (b->failed) {
		buf_release(b);
		if (len)
			*len = 0;
		return NULL;
	}
	char *p = b->ptr;
	if (len)
		*len = b->len;
	b->ptr = buf_empty;
	b->len = b->cap = 0;
	return p;
}
