/*
 * deflate.c - DEFLATE with fixed Huffman codes (see deflate.h).
 *
 * The input sits in a buffer of DF_BUF bytes whose first bytes are the
 * last DF_WIN of what was already coded (the window matches may point
 * into). Positions in the hash chains are absolute stream offsets, so
 * sliding the buffer does not touch them; a chain is followed only while
 * its positions decrease and stay inside the window (older slots of
 * `prev` are reused and would otherwise point forward). Matches are
 * greedy, at most DF_CHAIN candidates deep.
 */
#include "deflate.h"
#include "xalloc.h"

#define DF_WIN 32768
#define DF_BUF (4 * DF_WIN)
#define DF_MIN_MATCH 3
#define DF_MAX_MATCH 258
#define DF_HASH_BITS 15
#define DF_CHAIN 48

struct deflater {
	struct buf *out;
	unsigned char *buf;
	size_t len;       /* bytes in buf */
	size_t pos;       /* next byte of buf to code */
	int64_t base;     /* stream offset of buf[0] */
	int64_t *head;    /* hash -> stream offset + 1 of its latest position (0: none) */
	int64_t *prev;    /* offset & (DF_WIN-1) -> offset + 1 of the previous one with its hash */
	uint64_t bits;
	unsigned nbits;
	bool started, finished;
};

static const uint16_t len_base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27,
				       31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
				       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t dist_base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
					193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const uint8_t dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
					6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

struct deflater *deflate_new(struct buf *out)
{
	struct deflater *d = xcalloc(1, sizeof(*d));
	d->out = out;
	d->buf = xmalloc(DF_BUF);
	d->head = xcalloc((size_t)1 << DF_HASH_BITS, sizeof(*d->head));
	d->prev = xcalloc(DF_WIN, sizeof(*d->prev));
	return d;
}

void deflate_free(struct deflater *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d->head);
	free(d->prev);
	free(d);
}

/* Bits go out least significant first. */
static void put_bits(struct deflater *d, uint32_t value, unsigned n)
{
	d->bits |= (uint64_t)value << d->nbits;
	d->nbits += n;
	while (d->nbits >= 8) {
		buf_addch(d->out, (char)(d->bits & 0xff));
		d->bits >>= 8;
		d->nbits -= 8;
	}
}

/* A Huffman code goes out most significant bit first. */
static void put_code(struct deflater *d, uint32_t code, unsigned n)
{
	uint32_t r = 0;
	for (unsigned i = 0; i < n; i++)
		r |= ((code >> i) & 1u) << (n - 1 - i);
	put_bits(d, r, n);
}

/* One literal/length symbol with the fixed code (RFC 1951 3.2.6). */
static void put_symbol(struct deflater *d, unsigned sym)
{
	if (sym < 144)
		put_code(d, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(d, 0x190 + (sym - 144), 9);
	else if (sym < 280)
		put_code(d, sym - 256, 7);
	else
		put_code(d, 0xc0 + (sym - 280), 8);
}

static void put_match(struct deflater *d, unsigned length, unsigned distance)
{
	unsigned li = 28;
	while (len_base[li] > length)
		li--;
	put_symbol(d, 257 + li);
	put_bits(d, length - len_base[li], len_extra[li]);
	unsigned di = 29;
	while (dist_base[di] > distance)
		di--;
	put_code(d, di, 5);
	put_bits(d, distance - dist_base[di], dist_extra[di]);
}

static unsigned hash3(const unsigned char *p)
{
	uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	return (v * 2654435761u) >> (32 - DF_HASH_BITS);
}

static void insert(struct deflater *d, size_t i)
{
	int64_t at = d->base + (int64_t)i;
	unsigned h = hash3(d->buf + i);
	d->prev[at & (DF_WIN - 1)] = d->head[h];
	d->head[h] = at + 1;
}

/* The longest earlier match of buf[i..] (0 when under DF_MIN_MATCH);
 * its distance in *dist. `avail` bytes may be matched. */
static unsigned longest_match(struct deflater *d, size_t i, size_t avail, unsigned *dist)
{
	int64_t at = d->base + (int64_t)i;
	int64_t cand = d->head[hash3(d->buf + i)] - 1;
	unsigned best = 0, max = avail < DF_MAX_MATCH ? (unsigned)avail : DF_MAX_MATCH;
	for (int chain = 0; chain < DF_CHAIN && cand >= 0 && cand < at && at - cand <= DF_WIN; chain++) {
		const unsigned char *a = d->buf + i, *b = d->buf + (cand - d->base);
		if (b[best] == a[best]) {
			unsigned n = 0;
			while (n < max && a[n] == b[n])
				n++;
			if (n > best) {
				best = n;
				*dist = (unsigned)(at - cand);
				if (n == max)
					break;
			}
		}
		int64_t next = d->prev[cand & (DF_WIN - 1)] - 1;
		if (next >= cand)
			break;
		cand = next;
	}
	return best >= DF_MIN_MATCH ? best : 0;
}

/* Codes buf[pos..) up to where a full lookahead is left (all of it when
 * `final`). */
static void code(struct deflater *d, bool final)
{
	if (!d->started) {
		put_bits(d, 1, 1); /* BFINAL: one block */
		put_bits(d, 1, 2); /* BTYPE 01: fixed Huffman codes */
		d->started = true;
	}
	size_t stop = final ? d->len : (d->len > DF_MAX_MATCH ? d->len - DF_MAX_MATCH : 0);
	while (d->pos < stop) {
		size_t i = d->pos, avail = d->len - i;
		unsigned dist = 0, n = avail >= DF_MIN_MATCH ? longest_match(d, i, avail, &dist) : 0;
		if (n) {
			put_match(d, n, dist);
			for (size_t k = 0; k < n && i + k + DF_MIN_MATCH <= d->len; k++)
				insert(d, i + k);
			d->pos += n;
		} else {
			put_symbol(d, d->buf[i]);
			if (avail >= DF_MIN_MATCH)
				insert(d, i);
			d->pos++;
		}
	}
}

/* Keeps the last DF_WIN coded bytes and what is not coded yet. */
static void slide(struct deflater *d)
{
	if (d->pos <= DF_WIN)
		return;
	size_t shift = d->pos - DF_WIN;
	memmove(d->buf, d->buf + shift, d->len - shift);
	d->len -= shift;
	d->pos -= shift;
	d->base += (int64_t)shift;
}

void deflate_feed(struct deflater *d, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len) {
		size_t room = DF_BUF - d->len, n = len < room ? len : room;
		memcpy(d->buf + d->len, p, n);
		d->len += n;
		p += n;
		len -= n;
		if (d->len == DF_BUF) {
			code(d, false);
			slide(d);
		}
	}
}

void deflate_finish(struct deflater *d)
{
	if (d->finished)
		return;
	code(d, true);
	put_symbol(d, 256); /* end of block */
	if (d->nbits)
		put_bits(d, 0, 8 - d->nbits);
	d->finished = true;
}
