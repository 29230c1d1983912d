/*
 * test_base.c - unit tests for the dependency-free kits in src/base/.
 *
 * buf.h: BUF_INIT/buf_init, growth one byte at a time and in big steps with
 * the invariants (ptr never NULL, ptr[len] == '\0', len < cap), binary data,
 * reset, detach (never NULL, buffer left empty), release leaving len == 0 &&
 * cap == 0, and buf_addf/buf_vaddf at every boundary around the first
 * 64-byte guess plus very long output. arena.h: thousands of small and large
 * allocations that are 16-byte aligned and never overlap, zalloc, strdup,
 * strndup, printf (short and larger than a chunk), grow_array keeping its
 * contents, release and reuse. err.h: every row of the code table (name and
 * HTTP status, checked against MLflow's ERROR_CODE_TO_HTTP_STATUS),
 * out-of-range codes, mlf_errorf's return value, NULL err and truncation at
 * MLF_ERR_MSG_MAX. util.h: base64 (RFC 4648 vectors, every padding case,
 * round trips, invalid input), util_parse_int64 edge cases, url decoding,
 * util_format_double on hard doubles, uuid format and version/variant
 * nibbles, clocks and util_random_below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <cmocka.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/util.h"

/* ---------------------------------------------------------------- buf */

static void check_buf(const struct buf *b)
{
	assert_non_null(b->ptr);
	assert_int_equal(b->ptr[b->len], '\0');
	if (b->cap) {
		assert_true(b->len < b->cap);
		assert_ptr_not_equal(b->ptr, buf_empty);
	} else {
		assert_ptr_equal(b->ptr, buf_empty);
		assert_int_equal(b->len, 0);
	}
}

static void check_released(const struct buf *b)
{
	assert_ptr_equal(b->ptr, buf_empty);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->cap, 0);
	assert_int_equal(buf_empty[0], '\0');
}

static void test_buf_init_empty(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	check_released(&b);
	assert_string_equal(b.ptr, "");

	buf_init(&b, 0);
	check_released(&b);

	buf_init(&b, 100);
	check_buf(&b);
	assert_true(b.cap >= 101);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	buf_release(&b);
	check_released(&b);

	/* reset on a never-allocated buffer must not touch the shared string */
	buf_reset(&b);
	check_released(&b);
	/* adding nothing allocates nothing */
	buf_add(&b, "x", 0);
	buf_adds(&b, "");
	check_released(&b);
}

static void test_buf_growth_bytewise(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	size_t reallocs = 0, last_cap = 0;
	for (size_t i = 0; i < 10000; i++) {
		buf_addch(&b, (char)('a' + i % 26));
		check_buf(&b);
		assert_int_equal(b.len, i + 1);
		if (b.cap != last_cap) {
			reallocs++;
			last_cap = b.cap;
		}
	}
	for (size_t i = 0; i < 10000; i++)
		assert_int_equal(b.ptr[i], (char)('a' + i % 26));
	assert_int_equal(strlen(b.ptr), 10000);
	/* geometric growth: 64 -> 16384 is 9 steps, not thousands */
	assert_true(reallocs <= 12);
	buf_release(&b);
	check_released(&b);
}

static void test_buf_add_binary_and_big(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	const char bin[] = { 'a', '\0', 'b', '\0', '\xff' };
	buf_add(&b, bin, sizeof(bin));
	check_buf(&b);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.ptr, bin, 5);

	size_t big = 1u << 20;
	char *chunk = malloc(big);
	assert_non_null(chunk);
	memset(chunk, 'Z', big);
	buf_add(&b, chunk, big);
	check_buf(&b);
	assert_int_equal(b.len, 5 + big);
	assert_memory_equal(b.ptr, bin, 5);
	assert_memory_equal(b.ptr + 5, chunk, big);
	free(chunk);

	buf_adds(&b, "tail");
	check_buf(&b);
	assert_string_equal(b.ptr + 5 + big, "tail");
	buf_release(&b);
	check_released(&b);
}

static void test_buf_grow_reserves(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "abc");
	buf_grow(&b, 1000);
	check_buf(&b);
	assert_true(b.cap >= 3 + 1000 + 1);
	size_t cap = b.cap;
	char *p = b.ptr;
	for (int i = 0; i < 1000; i++)
		buf_addch(&b, 'x');
	/* the reservation was enough: no reallocation happened */
	assert_ptr_equal(b.ptr, p);
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.len, 1003);
	assert_memory_equal(b.ptr, "abcxxx", 6);
	buf_grow(&b, 0);
	check_buf(&b);
	buf_release(&b);
	check_released(&b);
}

static void test_buf_reset_keeps_storage(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "hello world");
	size_t cap = b.cap;
	char *p = b.ptr;
	buf_reset(&b);
	check_buf(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_ptr_equal(b.ptr, p);
	assert_string_equal(b.ptr, "");
	buf_adds(&b, "again");
	assert_string_equal(b.ptr, "again");
	buf_release(&b);
	check_released(&b);
	/* a released buffer is reusable */
	buf_adds(&b, "reuse");
	check_buf(&b);
	assert_string_equal(b.ptr, "reuse");
	buf_release(&b);
	buf_release(&b); /* twice is fine */
	check_released(&b);
}

static void test_buf_detach(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	size_t len = 99;

	/* an empty buffer still hands out a real, freeable "" */
	char *s = buf_detach(&b, &len);
	assert_non_null(s);
	assert_ptr_not_equal(s, buf_empty);
	assert_int_equal(len, 0);
	assert_string_equal(s, "");
	check_released(&b);
	free(s);

	buf_adds(&b, "payload");
	char *before = b.ptr;
	s = buf_detach(&b, &len);
	assert_ptr_equal(s, before);
	assert_int_equal(len, 7);
	assert_string_equal(s, "payload");
	check_released(&b);
	free(s);

	buf_add(&b, "a\0b", 3);
	s = buf_detach(&b, NULL);
	assert_memory_equal(s, "a\0b", 4);
	check_released(&b);
	free(s);

	/* the buffer is usable after detach and owns new storage */
	buf_adds(&b, "next");
	assert_string_equal(b.ptr, "next");
	buf_release(&b);
	check_released(&b);
}

static MLF_PRINTF(2, 3) void vaddf_wrapper(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

/* Every (existing length, formatted length) pair around the first 64-byte
 * guess and the following doublings, through buf_addf and buf_vaddf. */
static void test_buf_addf_boundaries(void **state)
{
	(void)state;
	enum { MAXL = 300 };
	char q[MAXL + 1], want[2 * MAXL + 1];
	memset(q, 'q', MAXL);
	q[MAXL] = '\0';
	for (int pre = 0; pre <= 140; pre++) {
		for (int n = 0; n <= MAXL; n++) {
			struct buf b = BUF_INIT;
			for (int i = 0; i < pre; i++)
				buf_addch(&b, 'p');
			if (n & 1)
				buf_addf(&b, "%.*s", n, q);
			else
				vaddf_wrapper(&b, "%.*s", n, q);
			check_buf(&b);
			assert_int_equal(b.len, (size_t)(pre + n));
			memset(want, 'p', (size_t)pre);
			memset(want + pre, 'q', (size_t)n);
			want[pre + n] = '\0';
			assert_string_equal(b.ptr, want);
			buf_release(&b);
			check_released(&b);
		}
	}
}

static void test_buf_addf_long_and_mixed(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_addf(&b, "%d-%s-%c-%05.1f|", -42, "str", 'c', 3.25);
	assert_string_equal(b.ptr, "-42-str-c-003.2|");
	check_buf(&b);

	size_t big = 100000;
	char *s = malloc(big + 1);
	assert_non_null(s);
	for (size_t i = 0; i < big; i++)
		s[i] = (char)('A' + i % 26);
	s[big] = '\0';
	buf_addf(&b, "<%s>%zu", s, big);
	check_buf(&b);
	const char *head = "-42-str-c-003.2|<";
	size_t hl = strlen(head);
	assert_int_equal(b.len, hl + big + 1 + 6);
	assert_memory_equal(b.ptr, head, hl);
	assert_memory_equal(b.ptr + hl, s, big);
	assert_string_equal(b.ptr + hl + big, ">100000");
	free(s);

	/* an empty format result allocates but adds nothing */
	struct buf e = BUF_INIT;
	buf_addf(&e, "%s", "");
	check_buf(&e);
	assert_int_equal(e.len, 0);
	assert_string_equal(e.ptr, "");
	buf_release(&e);
	check_released(&e);

	buf_release(&b);
	check_released(&b);
}

/* -------------------------------------------------------------- arena */

static void check_aligned(const void *p)
{
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 16, 0);
}

struct rec {
	unsigned char *p;
	size_t n;
	unsigned char fill;
};

/* Many small and large allocations interleaved: each is aligned, writable
 * over its full size (ASan catches overruns) and keeps its bytes. */
/* A sticky buffer past its limit: marked failed, keeps its text, ignores
 * every later append, gives NULL on detach; reset starts it over. */
static void test_buf_sticky_limit(void **state)
{
	(void)state;
	struct buf b = BUF_INIT_STICKY;
	b.max = 8;
	buf_adds(&b, "abcd");
	assert_false(buf_failed(&b));
	buf_adds(&b, "efghij"); /* 10 > 8 */
	assert_true(buf_failed(&b));
	assert_string_equal(b.ptr, "abcd");
	buf_addch(&b, 'x');
	buf_addf(&b, "%d", 1);
	buf_add(&b, "y", 1);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.ptr, "abcd");
	buf_reset(&b);
	assert_false(buf_failed(&b));
	assert_true(b.sticky);
	buf_addf(&b, "%s-%d", "ab", 12345); /* 8 bytes: fits exactly */
	assert_false(buf_failed(&b));
	assert_string_equal(b.ptr, "ab-12345");
	buf_addf(&b, "%d", 6);
	assert_true(buf_failed(&b));
	assert_string_equal(b.ptr, "ab-12345"); /* nothing of the failed format */
	size_t len = 99;
	assert_null(buf_detach(&b, &len));
	assert_int_equal(len, 0);
	assert_false(buf_failed(&b));
	assert_true(b.sticky);
	buf_adds(&b, "ok");
	char *s = buf_detach(&b, NULL);
	assert_string_equal(s, "ok");
	free(s);
}

/* A size no allocation can have fails a sticky buffer instead of aborting,
 * and buf_sticky() turns a plain buffer sticky. */
static void test_buf_sticky_overflow(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "keep");
	buf_sticky(&b, 0);
	buf_grow(&b, SIZE_MAX - 2);
	assert_true(buf_failed(&b));
	buf_add(&b, "z", 1);
	assert_string_equal(b.ptr, "keep");
	buf_release(&b);
	assert_false(buf_failed(&b));
	assert_int_equal(b.len, 0);
	struct buf plain = BUF_INIT;
	buf_adds(&plain, "x");
	assert_false(buf_failed(&plain));
	buf_release(&plain);
}

static void test_arena_many_allocations(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	enum { N = 6000 };
	static struct rec recs[N];
	uint32_t x = 12345;
	for (int i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t n;
		if (i % 500 == 499)
			n = 100000 + x % 300000; /* large: own chunk */
		else if (i % 97 == 0)
			n = 4000 + x % 9000; /* around the quarter-chunk threshold */
		else
			n = 1 + x % 120;
		recs[i].p = arena_alloc(&a, n);
		recs[i].n = n;
		recs[i].fill = (unsigned char)(i * 7 + 1);
		check_aligned(recs[i].p);
		memset(recs[i].p, recs[i].fill, n);
	}
	for (int i = 0; i < N; i++)
		for (size_t k = 0; k < recs[i].n; k++)
			if (recs[i].p[k] != recs[i].fill)
				fail_msg("allocation %d byte %zu overwritten", i, k);
	arena_release(&a);
	assert_null(a.head);

	/* released arena is reusable */
	char *p = arena_alloc(&a, 10);
	check_aligned(p);
	memcpy(p, "123456789", 10);
	assert_string_equal(p, "123456789");
	arena_release(&a);
	assert_null(a.head);
	arena_release(&a); /* releasing an empty arena is fine */
}

static void test_arena_exact_sizes(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	static const size_t sizes[] = { 1, 15, 16, 17, 31, 32, 4095, 4096, 4097, 4111, 4112,
					4113, 16383, 16384, 16385, 1 << 20 };
	unsigned char *ps[ARRAY_SIZE(sizes)];
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		ps[i] = arena_alloc(&a, sizes[i]);
		check_aligned(ps[i]);
		memset(ps[i], (int)i + 1, sizes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		assert_int_equal(ps[i][0], i + 1);
		assert_int_equal(ps[i][sizes[i] - 1], i + 1);
	}
	arena_release(&a);
}

static void test_arena_zalloc(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	for (int round = 0; round < 3; round++) {
		unsigned char *p = arena_alloc(&a, 1000);
		memset(p, 0xAB, 1000);
		unsigned char *z = arena_zalloc(&a, 777);
		check_aligned(z);
		for (int i = 0; i < 777; i++)
			assert_int_equal(z[i], 0);
		unsigned char *big = arena_zalloc(&a, 70000);
		check_aligned(big);
		for (int i = 0; i < 70000; i++)
			assert_int_equal(big[i], 0);
		memset(big, 0xCD, 70000);
		arena_release(&a);
	}
}

static void test_arena_strings(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	char *s = arena_strdup(&a, "hello");
	check_aligned(s);
	assert_string_equal(s, "hello");
	char *e = arena_strdup(&a, "");
	assert_string_equal(e, "");

	char *n = arena_strndup(&a, "abcdef", 3);
	assert_string_equal(n, "abc");
	char *n0 = arena_strndup(&a, "abcdef", 0);
	assert_string_equal(n0, "");
	/* strndup copies exactly n bytes, embedded NULs included */
	char *bin = arena_strndup(&a, "a\0b", 3);
	assert_memory_equal(bin, "a\0b\0", 4);

	char *p = arena_printf(&a, "%s/%d/%05.2f", "run", 42, 3.14159);
	assert_string_equal(p, "run/42/03.14");
	check_aligned(p);
	char *pe = arena_printf(&a, "%s", "");
	assert_string_equal(pe, "");

	/* output bigger than a 16 KB chunk */
	size_t big = 50000;
	char *src = malloc(big + 1);
	assert_non_null(src);
	memset(src, 'w', big);
	src[big] = '\0';
	char *pb = arena_printf(&a, "[%s]", src);
	assert_int_equal(strlen(pb), big + 2);
	assert_int_equal(pb[0], '[');
	assert_int_equal(pb[big + 1], ']');
	assert_memory_equal(pb + 1, src, big);
	char *sd = arena_strdup(&a, src);
	assert_string_equal(sd, src);
	free(src);

	/* earlier strings are intact after the big ones */
	assert_string_equal(s, "hello");
	assert_string_equal(n, "abc");
	assert_string_equal(p, "run/42/03.14");
	arena_release(&a);
}

static void test_arena_grow_array(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	int64_t *arr = NULL;
	size_t n = 0, cap = 0;
	for (int64_t i = 0; i < 20000; i++) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1;
			arr = arena_grow_array(&a, arr, n, ncap, sizeof(*arr));
			check_aligned(arr);
			cap = ncap;
			/* the old contents came along */
			for (size_t k = 0; k < n; k++)
				assert_int_equal(arr[k], (int64_t)k * 3 - 7);
		}
		arr[n++] = i * 3 - 7;
	}
	for (size_t k = 0; k < n; k++)
		assert_int_equal(arr[k], (int64_t)k * 3 - 7);

	/* from NULL with old_count 0 */
	struct {
		char c;
		double d;
	} *st = arena_grow_array(&a, NULL, 0, 5, sizeof(*st));
	check_aligned(st);
	st[4].d = 2.5;
	st[0].c = 'x';
	st = arena_grow_array(&a, st, 5, 6, sizeof(*st));
	assert_int_equal(st[0].c, 'x');
	assert_true(st[4].d == 2.5);
	arena_release(&a);
}

/* ---------------------------------------------------------------- err */

static const struct {
	enum mlf_code code;
	const char *name;
	int status;
} expected_codes[] = {
	/* MLflow's mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS, every row */
	{ MLF_INTERNAL_ERROR, "INTERNAL_ERROR", 500 },
	{ MLF_INVALID_STATE, "INVALID_STATE", 500 },
	{ MLF_DATA_LOSS, "DATA_LOSS", 500 },
	{ MLF_NOT_IMPLEMENTED, "NOT_IMPLEMENTED", 501 },
	{ MLF_TEMPORARILY_UNAVAILABLE, "TEMPORARILY_UNAVAILABLE", 503 },
	{ MLF_DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", 504 },
	{ MLF_REQUEST_LIMIT_EXCEEDED, "REQUEST_LIMIT_EXCEEDED", 429 },
	{ MLF_CANCELLED, "CANCELLED", 499 },
	{ MLF_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED", 429 },
	{ MLF_ABORTED, "ABORTED", 409 },
	{ MLF_RESOURCE_CONFLICT, "RESOURCE_CONFLICT", 409 },
	{ MLF_ALREADY_EXISTS, "ALREADY_EXISTS", 409 },
	{ MLF_NOT_FOUND, "NOT_FOUND", 404 },
	{ MLF_ENDPOINT_NOT_FOUND, "ENDPOINT_NOT_FOUND", 404 },
	{ MLF_RESOURCE_DOES_NOT_EXIST, "RESOURCE_DOES_NOT_EXIST", 404 },
	{ MLF_PERMISSION_DENIED, "PERMISSION_DENIED", 403 },
	{ MLF_CUSTOMER_UNAUTHORIZED, "CUSTOMER_UNAUTHORIZED", 401 },
	{ MLF_UNAUTHENTICATED, "UNAUTHENTICATED", 401 },
	{ MLF_BAD_REQUEST, "BAD_REQUEST", 400 },
	{ MLF_RESOURCE_ALREADY_EXISTS, "RESOURCE_ALREADY_EXISTS", 400 },
	{ MLF_INVALID_PARAMETER_VALUE, "INVALID_PARAMETER_VALUE", 400 },
	/* not in MLflow's map (MLflow would answer 500); ours by design */
	{ MLF_MALFORMED_REQUEST, "MALFORMED_REQUEST", 400 },
	{ MLF_MAX_READ_SIZE_EXCEEDED, "MAX_READ_SIZE_EXCEEDED", 413 },
	{ MLF_INSUFFICIENT_STORAGE, "INSUFFICIENT_STORAGE", 507 },
};

static void test_err_table(void **state)
{
	(void)state;
	/* the expectations cover every row of the table exactly once */
	assert_int_equal(ARRAY_SIZE(expected_codes), MLF_CODE_COUNT);
	bool seen[MLF_CODE_COUNT] = { false };
	for (size_t i = 0; i < ARRAY_SIZE(expected_codes); i++) {
		enum mlf_code c = expected_codes[i].code;
		assert_false(seen[c]);
		seen[c] = true;
		assert_string_equal(mlf_code_name(c), expected_codes[i].name);
		if (mlf_code_http_status(c) != expected_codes[i].status)
			fail_msg("%s: status %d, want %d", expected_codes[i].name, mlf_code_http_status(c),
				 expected_codes[i].status);
	}
	/* names are unique */
	for (int i = 0; i < MLF_CODE_COUNT; i++)
		for (int j = i + 1; j < MLF_CODE_COUNT; j++)
			assert_string_not_equal(mlf_code_name((enum mlf_code)i), mlf_code_name((enum mlf_code)j));
	/* rows are only appended: the first stays first */
	assert_int_equal(MLF_INTERNAL_ERROR, 0);
}

static void test_err_out_of_range(void **state)
{
	(void)state;
	assert_string_equal(mlf_code_name(MLF_CODE_COUNT), "INTERNAL_ERROR");
	assert_int_equal(mlf_code_http_status(MLF_CODE_COUNT), 500);
	assert_string_equal(mlf_code_name((enum mlf_code)1000), "INTERNAL_ERROR");
	assert_int_equal(mlf_code_http_status((enum mlf_code)1000), 500);
	assert_string_equal(mlf_code_name((enum mlf_code)-1), "INTERNAL_ERROR");
	assert_int_equal(mlf_code_http_status((enum mlf_code)-1), 500);
}

static void test_err_errorf(void **state)
{
	(void)state;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	int rc = mlf_errorf(&err, MLF_RESOURCE_DOES_NOT_EXIST, "Run '%s' not found (%d)", "abc", 7);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, MLF_RESOURCE_DOES_NOT_EXIST);
	assert_string_equal(err.msg, "Run 'abc' not found (7)");

	/* a second error overwrites the first completely */
	rc = mlf_errorf(&err, MLF_INVALID_PARAMETER_VALUE, "x");
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_string_equal(err.msg, "x");

	/* NULL err is allowed and still returns -1 */
	assert_int_equal(mlf_errorf(NULL, MLF_INTERNAL_ERROR, "ignored %d", 1), -1);
}

static void test_err_truncation(void **state)
{
	(void)state;
	struct mlf_err err;
	memset(&err, 0x55, sizeof(err));
	size_t big = MLF_ERR_MSG_MAX * 3;
	char *s = malloc(big + 1);
	assert_non_null(s);
	for (size_t i = 0; i < big; i++)
		s[i] = (char)('a' + i % 26);
	s[big] = '\0';
	assert_int_equal(mlf_errorf(&err, MLF_BAD_REQUEST, "Too long: %s!", s), -1);
	assert_int_equal(err.code, MLF_BAD_REQUEST);
	assert_int_equal(strlen(err.msg), MLF_ERR_MSG_MAX - 1);
	assert_int_equal(err.msg[MLF_ERR_MSG_MAX - 1], '\0');
	assert_memory_equal(err.msg, "Too long: ", 10);
	assert_memory_equal(err.msg + 10, s, MLF_ERR_MSG_MAX - 1 - 10);

	/* exactly MLF_ERR_MSG_MAX - 1 characters fit */
	s[MLF_ERR_MSG_MAX - 1] = '\0';
	mlf_errorf(&err, MLF_BAD_REQUEST, "%s", s);
	assert_string_equal(err.msg, s);
	free(s);
}

/* --------------------------------------------------------------- util */

static void b64_enc(const void *data, size_t n, const char *want)
{
	struct buf b = BUF_INIT;
	util_base64_encode(&b, data, n);
	check_buf(&b);
	assert_string_equal(b.ptr, want);
	assert_int_equal(b.len, strlen(want));
	buf_release(&b);
}

static int b64_dec(const char *s, struct buf *out)
{
	buf_reset(out);
	return util_base64_decode(out, s, strlen(s));
}

static void test_base64_vectors(void **state)
{
	(void)state;
	/* RFC 4648 section 10: every padding case */
	b64_enc("", 0, "");
	b64_enc("f", 1, "Zg==");
	b64_enc("fo", 2, "Zm8=");
	b64_enc("foo", 3, "Zm9v");
	b64_enc("foob", 4, "Zm9vYg==");
	b64_enc("fooba", 5, "Zm9vYmE=");
	b64_enc("foobar", 6, "Zm9vYmFy");
	/* all-ones and zero bytes use the top and bottom of the alphabet */
	b64_enc("\xff\xff\xff", 3, "////");
	b64_enc("\xfb\xef\xbe", 3, "++++");
	b64_enc("\0\0\0", 3, "AAAA");
	b64_enc("\0", 1, "AA==");
	b64_enc("\xff", 1, "/w==");

	struct buf out = BUF_INIT;
	static const struct {
		const char *in, *want;
	} dec[] = {
		{ "", "" },		{ "Zg==", "f" },	{ "Zm8=", "fo" },
		{ "Zm9v", "foo" },	{ "Zm9vYg==", "foob" }, { "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
		/* padding is optional */
		{ "Zg", "f" },		{ "Zm8", "fo" },	{ "Zm9vYg", "foob" },
		{ "Zm9vYmE", "fooba" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(dec); i++) {
		assert_int_equal(b64_dec(dec[i].in, &out), 0);
		assert_int_equal(out.len, strlen(dec[i].want));
		assert_string_equal(out.ptr, dec[i].want);
	}
	/* only the first n bytes are read */
	buf_reset(&out);
	assert_int_equal(util_base64_decode(&out, "Zm9vYmFy", 4), 0);
	assert_string_equal(out.ptr, "foo");
	buf_release(&out);
	check_released(&out);
}

static void test_base64_appends(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "prefix:");
	util_base64_encode(&b, "foo", 3);
	assert_string_equal(b.ptr, "prefix:Zm9v");
	assert_int_equal(util_base64_decode(&b, "YmFy", 4), 0);
	assert_string_equal(b.ptr, "prefix:Zm9vbar");
	buf_release(&b);
}

static void test_base64_round_trip(void **state)
{
	(void)state;
	unsigned char data[600];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + (i >> 3)); /* hits all 256 values */
	struct buf enc = BUF_INIT, dec = BUF_INIT;
	for (size_t n = 0; n <= sizeof(data); n++) {
		buf_reset(&enc);
		buf_reset(&dec);
		util_base64_encode(&enc, data, n);
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		size_t pads = n % 3 == 0 ? 0 : 3 - n % 3;
		for (size_t k = 0; k < enc.len; k++)
			assert_int_equal(enc.ptr[k] == '=', k >= enc.len - pads);
		assert_int_equal(util_base64_decode(&dec, enc.ptr, enc.len), 0);
		assert_int_equal(dec.len, n);
		if (n)
			assert_memory_equal(dec.ptr, data, n);
		/* and without the padding */
		buf_reset(&dec);
		assert_int_equal(util_base64_decode(&dec, enc.ptr, enc.len - pads), 0);
		assert_int_equal(dec.len, n);
		if (n)
			assert_memory_equal(dec.ptr, data, n);
	}
	buf_release(&enc);
	buf_release(&dec);
}

static void test_base64_invalid(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	static const char *const bad[] = {
		"Zm9v!",     /* not in the alphabet */
		"Zm 9v",     /* whitespace */
		"Zm9v\n",    /* newline */
		"Zm9v-_",    /* URL-safe alphabet is not standard base64 */
		"Zg==Zg==",  /* data after padding */
		"Zg=a",      /* data after padding */
		"=Zg",       /* padding first */
		"Zm9v\x80",  /* high byte */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (b64_dec(bad[i], &out) != -1)
			fail_msg("base64 '%s' accepted", bad[i]);
	}
	/* an embedded NUL inside the given length */
	buf_reset(&out);
	assert_int_equal(util_base64_decode(&out, "Zm\0v", 4), -1);
	buf_release(&out);
}

/* A final group of a single base64 character carries only 6 bits: no whole
 * byte, so the text is not base64 (Python: "number of data characters (1)
 * cannot be 1 more than a multiple of 4"). util.h promises -1 on bad input. */
static void test_base64_lone_final_char(void **state)
{
	(void)state;
	static const char *const bad[] = { "A", "A===", "Zm9vY", "Zm9vY===" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct buf out = BUF_INIT;
		int rc = b64_dec(bad[i], &out);
		size_t len = out.len;
		buf_release(&out);
		if (rc != -1)
			fail_msg("base64 '%s' accepted (decoded %zu bytes), want -1", bad[i], len);
	}
}

static void test_parse_int64(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int64_t v;
	} good[] = {
		{ "0", 0 },
		{ "-0", 0 },
		{ "+0", 0 },
		{ "5", 5 },
		{ "+5", 5 },
		{ "-5", -5 },
		{ "007", 7 },
		{ "1234567890123", 1234567890123LL },
		{ "9223372036854775807", INT64_MAX },
		{ "+9223372036854775807", INT64_MAX },
		{ "-9223372036854775808", INT64_MIN },
		{ "-9223372036854775807", INT64_MIN + 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int64_t v = 12345;
		if (!util_parse_int64(good[i].s, &v))
			fail_msg("'%s' rejected", good[i].s);
		if (v != good[i].v)
			fail_msg("'%s' parsed as %lld", good[i].s, (long long)v);
	}
	static const char *const bad[] = {
		"", " ", "1x", "x1", " 5", "5 ", "\t5", "5\n", "-", "+", "--5", "+-5", "-+5", "- 5",
		"+ 5", "0x10", "1e3", "1.0", "1,000", "9223372036854775808", "-9223372036854775809",
		"18446744073709551616", "99999999999999999999999", "١", /* Arabic-Indic one */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t v = 0;
		if (util_parse_int64(bad[i], &v))
			fail_msg("'%s' accepted as %lld", bad[i], (long long)v);
	}
}

static void url_dec(const char *in, bool plus, const char *want, size_t want_len)
{
	struct buf b = BUF_INIT;
	util_url_decode(&b, in, strlen(in), plus);
	check_buf(&b);
	if (b.len != want_len || memcmp(b.ptr, want, want_len) != 0)
		fail_msg("url_decode('%s', %d) = '%s' (len %zu), want '%s' (len %zu)", in, plus, b.ptr, b.len,
			 want, want_len);
	buf_release(&b);
}
#define URL_DEC(in, plus, want) url_dec(in, plus, want, sizeof(want) - 1)

static void test_url_decode(void **state)
{
	(void)state;
	URL_DEC("", false, "");
	URL_DEC("plain", false, "plain");
	URL_DEC("%41%42%43", false, "ABC");
	URL_DEC("%2f%2F", false, "//");
	URL_DEC("%e2%82%ac", false, "\xe2\x82\xac"); /* euro sign, byte by byte */
	URL_DEC("%00", false, "\0");
	URL_DEC("a%00b", false, "a\0b");
	URL_DEC("%ff", false, "\xff");
	/* invalid escapes are kept literally */
	URL_DEC("%", false, "%");
	URL_DEC("%4", false, "%4");
	URL_DEC("a%", false, "a%");
	URL_DEC("%zz", false, "%zz");
	URL_DEC("%4g", false, "%4g");
	URL_DEC("%g4", false, "%g4");
	URL_DEC("100%", false, "100%");
	URL_DEC("%%41", false, "%A");
	URL_DEC("%2541", false, "%41"); /* one round only */
	/* plus handling */
	URL_DEC("a+b", false, "a+b");
	URL_DEC("a+b", true, "a b");
	URL_DEC("++", true, "  ");
	URL_DEC("%2B", true, "+"); /* an escaped plus stays a plus */
	URL_DEC("%20", false, " ");

	/* only s[0..n) is read, and an escape cut by n is literal */
	struct buf b = BUF_INIT;
	util_url_decode(&b, "%41%42", 5, false);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.ptr, "A%4");
	/* appends */
	util_url_decode(&b, "%21", 3, false);
	assert_string_equal(b.ptr, "A%4!");
	buf_release(&b);
}

static void check_double(double v, const char *want)
{
	char out[32];
	memset(out, 'X', sizeof(out));
	util_format_double(out, v);
	assert_true(memchr(out, '\0', sizeof(out)) != NULL);
	double back = strtod(out, NULL);
	if (!(back == v && signbit(back) == signbit(v)))
		fail_msg("%.17g formatted as '%s' reads back as %.17g", v, out, back);
	if (want && strcmp(out, want) != 0)
		fail_msg("%.17g formatted as '%s', want '%s'", v, out, want);
}

static void test_format_double(void **state)
{
	(void)state;
	check_double(0.1, "0.1");
	check_double(1.0 / 3.0, "0.3333333333333333");
	check_double(2.0 / 3.0, "0.6666666666666666");
	check_double(0.1 + 0.2, "0.30000000000000004");
	check_double(1e300, "1e+300");
	check_double(2.5e-300, "2.5e-300");
	check_double(DBL_MAX, "1.7976931348623157e+308");
	check_double(-DBL_MAX, "-1.7976931348623157e+308");
	check_double(DBL_MIN, "2.2250738585072014e-308");
	check_double(DBL_EPSILON, "2.220446049250313e-16");
	check_double(0.0, "0");
	check_double(-0.0, "-0");
	check_double(1.0, "1");
	check_double(-1.5, "-1.5");
	check_double(123456789.0, "123456789");
	check_double(9007199254740992.0, "9007199254740992");
	check_double(9007199254740993.0, "9007199254740992"); /* not representable */
	check_double(1e16, "1e+16");
	check_double(1e23, "1e+23");
	check_double(5e-324, NULL); /* smallest subnormal: must round-trip */
	check_double(-5e-324, NULL);
	check_double(DBL_MIN / 3, NULL);
	check_double(4.35, "4.35");
	check_double(100.0 / 7.0, "14.285714285714286");
}

static void test_format_double_random(void **state)
{
	(void)state;
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		check_double(v, NULL);
	}
}

static void test_uuid_hex(void **state)
{
	(void)state;
	enum { N = 2000 };
	static char ids[N][33];
	for (int i = 0; i < N; i++) {
		memset(ids[i], 'X', 33);
		util_uuid_hex(ids[i]);
		assert_int_equal(strlen(ids[i]), 32);
		for (int k = 0; k < 32; k++) {
			char c = ids[i][k];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				fail_msg("uuid '%s' has '%c' at %d", ids[i], c, k);
		}
		/* uuid4: version nibble 4, variant 10xx */
		assert_int_equal(ids[i][12], '4');
		assert_non_null(strchr("89ab", ids[i][16]));
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			assert_string_not_equal(ids[i], ids[j]);
}

static void test_clocks_and_random(void **state)
{
	(void)state;
	int64_t now = util_now_ms();
	assert_true(now > 1577836800000LL);	 /* after 2020-01-01 */
	assert_true(now < 4102444800000LL);	 /* before 2100-01-01 */
	int64_t a = util_mono_ns();
	int64_t b = util_mono_ns();
	assert_true(b >= a);

	assert_int_equal(util_random_below(1), 0);
	int hits[10] = { 0 };
	for (int i = 0; i < 10000; i++) {
		uint32_t r = util_random_below(10);
		assert_true(r < 10);
		hits[r]++;
	}
	for (int i = 0; i < 10; i++)
		assert_true(hits[i] > 500); /* expected 1000 each */
	for (int i = 0; i < 1000; i++)
		assert_true(util_random_below(UINT32_MAX) < UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init_empty),
		cmocka_unit_test(test_buf_growth_bytewise),
		cmocka_unit_test(test_buf_add_binary_and_big),
		cmocka_unit_test(test_buf_grow_reserves),
		cmocka_unit_test(test_buf_reset_keeps_storage),
		cmocka_unit_test(test_buf_detach),
		cmocka_unit_test(test_buf_addf_boundaries),
		cmocka_unit_test(test_buf_addf_long_and_mixed),
		cmocka_unit_test(test_buf_sticky_limit),
		cmocka_unit_test(test_buf_sticky_overflow),
		cmocka_unit_test(test_arena_many_allocations),
		cmocka_unit_test(test_arena_exact_sizes),
		cmocka_unit_test(test_arena_zalloc),
		cmocka_unit_test(test_arena_strings),
		cmocka_unit_test(test_arena_grow_array),
		cmocka_unit_test(test_err_table),
		cmocka_unit_test(test_err_out_of_range),
		cmocka_unit_test(test_err_errorf),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_appends),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_base64_invalid),
		cmocka_unit_test(test_base64_lone_final_char),
		cmocka_unit_test(test_parse_int64),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_format_double),
		cmocka_unit_test(test_format_double_random),
		cmocka_unit_test(test_uuid_hex),
		cmocka_unit_test(test_clocks_and_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
