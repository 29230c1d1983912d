/*
 * buf.h - a growable, always NUL-terminated byte buffer (git's strbuf idea).
 *
 * Invariants: `ptr` is never NULL (an empty buffer points at a shared empty
 * string), `ptr[len] == '\0'`, and `len < cap` once anything was allocated.
 * A buffer is a value: initialise with BUF_INIT, release with buf_release().
 *
 * Two modes. A plain buffer (BUF_INIT) aborts the process when memory runs
 * out (xalloc), as the server's code expects. A sticky one (BUF_INIT_STICKY,
 * or buf_sticky(); SQLite's sqlite3_str and curl's dynbuf work this way)
 * never aborts: when an allocation fails or the text would pass its limit,
 * the buffer is marked failed, keeps what it held (still NUL-terminated),
 * and every later append is a no-op, so a writer appends freely and checks
 * buf_failed() once at the end. The client library uses only sticky
 * buffers. buf_reset and buf_release keep the mode and clear the failure.
 */
#ifndef MLF_BUF_H
#define MLF_BUF_H

#include "common.h"
#include <stdarg.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap;  /* 0 while ptr points at the shared empty string */
	size_t max;  /* sticky: the most bytes of text it may hold (0: no limit) */
	bool sticky; /* allocation failures set `failed` instead of aborting */
	bool failed; /* sticky: an append did not fit; later ones are no-ops */
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0, 0, false, false }
#define BUF_INIT_STICKY { buf_empty, 0, 0, 0, true, false }

/* A plain, empty buffer (its previous contents are not freed). */
void buf_init(struct buf *b, size_t hint);
/* Makes `b` sticky, holding at most `max` bytes of text (0: no limit). */
void buf_sticky(struct buf *b, size_t max);
/* True when a sticky buffer lost an append (out of memory or past max):
 * its text is incomplete. Always false for a plain buffer. */
bool buf_failed(const struct buf *b);
/* Frees the storage and leaves an empty, reusable buffer. */
void buf_release(struct buf *b);
/* Ensures room for `extra` more bytes plus the terminator (a sticky buffer
 * that cannot have it is marked failed). */
void buf_grow(struct buf *b, size_t extra);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) MLF_PRINTF(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Hands the storage to the caller (free() it) and resets the buffer.
 * Never NULL for a plain buffer; a sticky one gives NULL (and frees what it
 * held) when it failed or cannot allocate the empty string. `len` may be
 * NULL. */
char *buf_detach(struct buf *b, size_t *len);

#endif
