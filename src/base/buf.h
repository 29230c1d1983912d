/*
 * buf.h - a growable, always NUL-terminated byte buffer (git's strbuf idea).
 *
 * Invariants: `ptr` is never NULL (an empty buffer points at a shared empty
 * string), `ptr[len] == '\0'`, and `len < cap` once anything was allocated.
 * A buffer is a value: initialise with BUF_INIT, release with buf_release().
 */
#ifndef MLF_BUF_H
#define MLF_BUF_H

#include "common.h"
#include <stdarg.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap; /* 0 while ptr points at the shared empty string */
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void buf_init(struct buf *b, size_t hint);
/* Frees the storage and leaves an empty, reusable buffer. */
void buf_release(struct buf *b);
/* Ensures room for `extra` more bytes plus the terminator. */
void buf_grow(struct buf *b, size_t extra);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) MLF_PRINTF(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Hands the storage to the caller (free() it) and resets the buffer.
 * Never NULL. `len` may be NULL. */
char *buf_detach(struct buf *b, size_t *len);

#endif
