/*
 * util.h - small dependency-free helpers: clocks, random ids, base64,
 * strict number parsing and percent-decoding.
 */
#ifndef MLF_UTIL_H
#define MLF_UTIL_H

#include "common.h"
#include "arena.h"
#include "buf.h"

/* The value 0-15 of one hex digit (either case), -1 for any other char. */
int util_hex_value(char c);

/* Length of the well-formed UTF-8 sequence at p[0..left), or 0 when it is
 * ill-formed; then *bad is the length of its maximal subpart (the bytes
 * one U+FFFD replaces, as Unicode recommends and Python's "replace"
 * does): a lone byte, or a lead byte with the valid continuations that
 * followed it before the sequence broke off. */
size_t util_utf8_sequence(const unsigned char *p, size_t left, size_t *bad);

/* Whether s[0..n) is well-formed UTF-8 (NUL bytes count as characters). */
bool util_utf8_valid(const char *s, size_t n);

/* Wall-clock time in Unix epoch milliseconds. */
int64_t util_now_ms(void);
/* Monotonic time in nanoseconds, for durations. */
int64_t util_mono_ns(void);
/* Writes 32 lowercase hex chars + NUL (a uuid4 without dashes) into out[33].
 * Thread-safe; reads /dev/urandom through getrandom(). */
void util_uuid_hex(char out[33]);
/* Uniform random integer in [0, n). */
uint32_t util_random_below(uint32_t n);
/* Standard base64 with padding, appended to `out`. */
void util_base64_encode(struct buf *out, const void *data, size_t n);
/* Decodes standard base64 (padding optional); returns -1 on bad input. */
int util_base64_decode(struct buf *out, const char *s, size_t n);
/* Parses a whole string as a base-10 int64 (optional sign); false if it is
 * not exactly that or overflows. */
bool util_parse_int64(const char *s, int64_t *out);
/* Percent-decodes s[0..n) into out; '+' becomes a space when `plus_space`.
 * Invalid escapes are kept literally. */
void util_url_decode(struct buf *out, const char *s, size_t n, bool plus_space);
/* The same into a NUL-terminated copy owned by `a`; *len (when not NULL)
 * gets the decoded length, which a %00 makes longer than strlen of it. */
char *util_url_decode_dup(struct arena *a, const char *s, size_t n, bool plus_space, size_t *len);
/* Writes all n bytes to fd, retrying short writes and EINTR. Returns 0, or
 * the errno of the failure. */
int util_write_all(int fd, const void *data, size_t n);
/* Formats a double so that strtod gives the same value back: integral
 * values as integers, else the shortest of %.15g/%.16g/%.17g. `out` must
 * hold 32 bytes. Finite values only. */
void util_format_double(char out[32], double v);

#endif
