/*
 * deflate.h - a small DEFLATE compressor (RFC 1951) for zip entries:
 * LZ77 over a 32 KB window with hash chains, coded with the fixed Huffman
 * tables (one block per stream). It gives up some of zlib's ratio (its
 * dynamic tables) for having no dependency; shared libraries and models
 * shrink to about half. Input is fed in pieces; output is appended to a
 * buffer the caller drains.
 */
#ifndef MLF_DEFLATE_H
#define MLF_DEFLATE_H

#include "buf.h"

struct deflater;

/* A compressor writing to `out` (borrowed; the caller takes the bytes
 * from it whenever it likes, e.g. after each deflate_feed). Release with
 * deflate_free(). Aborts on allocation failure, as the CLI does. */
struct deflater *deflate_new(struct buf *out);
void deflate_free(struct deflater *d);

/* Compresses `len` more bytes of the stream. */
void deflate_feed(struct deflater *d, const void *data, size_t len);

/* Ends the stream: the rest is coded and the final block closed. */
void deflate_finish(struct deflater *d);

#endif
