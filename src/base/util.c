/*
 * util.c - clocks, ids, base64, number parsing, percent-decoding.
 */
#include "util.h"
#include <errno.h>
#include <math.h>
#include <sys/random.h>
#include <unistd.h>
#include <time.h>

int64_t util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t util_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fill_random(void *p, size_t n)
{
	unsigned char *q = p;
	while (n) {
		ssize_t got = getrandom(q, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* no entropy source: nothing safe to do */
		}
		q += got;
		n -= (size_t)got;
	}
}

void util_uuid_hex(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	fill_random(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40; /* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80; /* variant */
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[32] = '\0';
}

uint32_t util_random_below(uint32_t n)
{
	uint32_t r, limit = UINT32_MAX - UINT32_MAX % n;
	do
		fill_random(&r, sizeof(r));
	while (r >= limit);
	return r % n;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void util_base64_encode(struct buf *out, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;
	buf_grow(out, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63] };
		buf_add(out, q, 4);
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=', '=' };
		buf_add(out, q, 4);
	}
}

int util_base64_decode(struct buf *out, const char *s, size_t n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;
	for (i = 0; i < n && s[i] != '='; i++) {
		const char *pos = memchr(b64, s[i], 64);
		if (!pos || !s[i])
			return -1;
		acc = acc << 6 | (uint32_t)(pos - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(out, (char)((acc >> bits) & 0xff));
		}
	}
	for (; i < n; i++)
		if (s[i] != '=')
			return -1;
	/* a lone final character carries 6 bits: not a whole byte */
	return bits == 6 ? -1 : 0;
}

bool util_parse_int64(const char *s, int64_t *out)
{
	char *end;
	if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

int util_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void util_url_decode(struct buf *out, const char *s, size_t n, bool plus_space)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && util_hex_value(s[i + 1]) >= 0 && util_hex_value(s[i + 2]) >= 0) {
			buf_addch(out, (char)(util_hex_value(s[i + 1]) * 16 + util_hex_value(s[i + 2])));
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			buf_addch(out, ' ');
		} else {
			buf_addch(out, s[i]);
		}
	}
}

char *util_url_decode_dup(struct arena *a, const char *s, size_t n, bool plus_space, size_t *len)
{
	struct buf b = BUF_INIT;
	util_url_decode(&b, s, n, plus_space);
	char *out = arena_strndup(a, b.ptr, b.len);
	if (len)
		*len = b.len;
	buf_release(&b);
	return out;
}

/* True when out[] read back gives v. */
static bool round_trips(const char *text, double v)
{
	return strtod(text, NULL) == v;
}

void util_format_double(char out[32], double v)
{
	/* integral values print exactly and fast (-0.0 keeps its sign below);
	 * the range test comes first, as converting a double beyond int64 is
	 * undefined behaviour */
	if (v > -9e15 && v < 9e15 && v == (double)(int64_t)v && (v != 0 || !signbit(v))) {
		snprintf(out, 32, "%lld", (long long)v);
		return;
	}
	/* Most measured values need 16 or 17 digits, so start at 16: when 16
	 * digits do not round-trip, 17 always do (no check needed); when they
	 * do, 15 may too. Same result as trying 15, 16, 17 in turn, with fewer
	 * conversions for the common case. */
	snprintf(out, 32, "%.16g", v);
	if (!round_trips(out, v)) {
		snprintf(out, 32, "%.17g", v);
		return;
	}
	char shorter[32];
	snprintf(shorter, sizeof(shorter), "%.15g", v);
	if (round_trips(shorter, v))
		memcpy(out, shorter, sizeof(shorter));
}

int util_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

size_t util_utf8_sequence(const unsigned char *p, size_t left, size_t *bad)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;
	*bad = 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return 0; /* a continuation byte, C0/C1 (overlong), F5-FF */
	if (c == 0xe0)
		lo = 0xa0; /* overlong 3-byte forms */
	else if (c == 0xed)
		hi = 0x9f; /* UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong 4-byte forms */
	else if (c == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (left < 2 || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k <= need; k++)
		if (k >= left || (p[k] & 0xc0) != 0x80) {
			*bad = k;
			return 0;
		}
	return need + 1;
}

bool util_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t bad;
	for (size_t i = 0; i < n;) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t len = util_utf8_sequence(u + i, n - i, &bad);
		if (!len)
			return false;
		i += len;
	}
	return true;
}
