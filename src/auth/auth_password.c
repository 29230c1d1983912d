/*
 * auth_password.c - password hashes: argon2id strings made and checked by
 * libsodium, and the Werkzeug strings of a taken-over MLflow auth database
 * ("scrypt:N:r:p$salt$hex", "pbkdf2:sha256:iterations$salt$hex") checked
 * here, with PBKDF2-HMAC-SHA256 written on libsodium's HMAC and scrypt
 * from libsodium's low-level call.
 *
 * Werkzeug's reading of a stored string (werkzeug.security, 2.x and 3.x):
 * split at the first two '$' into method, salt and hex; the salt is used
 * as its UTF-8 bytes; the hex is compared as text with the lower-case hex
 * of the derived key (64 bytes for scrypt, 32 for pbkdf2), so upper-case
 * hex never matches there and does not here. A method without its
 * parameters takes Werkzeug's defaults: "scrypt" is scrypt:32768:8:1,
 * "pbkdf2" and "pbkdf2:sha256" take DEFAULT_PBKDF2_ITERATIONS of the
 * verifying Werkzeug, not of the one that wrote the string. No
 * generate_password_hash ever wrote such a string (every version writes
 * the count it used: 1000 in 0.9, 50000 in 0.12, 150000 in 0.15, 260000
 * in 2.0, 600000 in 2.3, 1000000 in 3.1); we take today's Werkzeug's,
 * 1000000, which is what a current MLflow server would check such a
 * string with. Hash names other than sha256 are not ours to check (MLflow
 * never wrote them) and never verify.
 *
 * A stored argon2 string is bounded too before libsodium reads it
 * (m <= 1 GiB, t <= 16, m*t <= 4 GiB-passes, p <= 16): libsodium would
 * otherwise allocate and spend whatever the string asks for.
 */
#include "auth_password.h"

#include <sodium.h>

#define AUTH_ARGON2_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define AUTH_ARGON2_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE
/* A stored string longer than this is not one of the forms above. */
#define AUTH_STORED_MAX 1024

/* Bounds on what a stored string may ask for (see auth_password.h). */
#define AUTH_SCRYPT_N_MAX (UINT64_C(1) << 20)
#define AUTH_SCRYPT_RP_MAX (UINT64_C(1) << 10)
#define AUTH_SCRYPT_WORK_MAX (UINT64_C(1) << 23) /* N*r*p and N*r: <= 1 GiB, 32x Werkzeug's default */
#define AUTH_PBKDF2_ITER_MAX UINT64_C(10000000)
#define AUTH_ARGON2_M_MAX (UINT64_C(1) << 20) /* KiB */
#define AUTH_ARGON2_T_MAX 16
#define AUTH_ARGON2_WORK_MAX (UINT64_C(4) << 20)
#define AUTH_ARGON2_P_MAX 16

/* Werkzeug's defaults for a method written without parameters. */
#define WERKZEUG_SCRYPT_N 32768
#define WERKZEUG_SCRYPT_R 8
#define WERKZEUG_SCRYPT_P 1
#define WERKZEUG_PBKDF2_ITERATIONS 1000000
#define WERKZEUG_SCRYPT_DKLEN 64
#define WERKZEUG_PBKDF2_DKLEN 32

_Static_assert(AUTH_PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES, "argon2id strings fit");

int auth_password_init(struct mlf_err *err)
{
	if (sodium_init() < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "libsodium cannot be initialised");
	return 0;
}

int auth_password_hash(const char *password, size_t len, char out[AUTH_PASSWORD_HASH_MAX], struct mlf_err *err)
{
	if (auth_password_init(err) < 0)
		return -1;
	if (!password)
		password = "";
	if (crypto_pwhash_str_alg(out, password, len, AUTH_ARGON2_OPS, AUTH_ARGON2_MEM, crypto_pwhash_ALG_ARGON2ID13) !=
	    0) {
		out[0] = '\0';
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot hash the password: out of memory");
	}
	return 0;
}

/* A decimal number of at most 10 digits at [s, s+n) (no sign, no blank). */
static bool parse_decimal(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Reads "name=<decimal>" at *s, then the separator `sep` (0: none). */
static bool parse_field(const char **s, const char *name, char sep, uint64_t *out)
{
	size_t nl = strlen(name);
	if (strncmp(*s, name, nl) != 0)
		return false;
	const char *p = *s + nl;
	size_t n = 0;
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (!parse_decimal(p, n, out))
		return false;
	p += n;
	if (sep) {
		if (*p != sep)
			return false;
		p++;
	}
	*s = p;
	return true;
}

/* Whether the argon2 string's parameters (after "$argon2id$" or
 * "$argon2i$") are within our bounds. */
static bool argon2_bounded(const char *s)
{
	uint64_t v, m, t, p;
	if (strncmp(s, "v=", 2) == 0 && !parse_field(&s, "v=", '$', &v))
		return false;
	if (!parse_field(&s, "m=", ',', &m) || !parse_field(&s, "t=", ',', &t) || !parse_field(&s, "p=", '$', &p))
		return false;
	return m >= 1 && m <= AUTH_ARGON2_M_MAX && t >= 1 && t <= AUTH_ARGON2_T_MAX && m * t <= AUTH_ARGON2_WORK_MAX &&
	       p >= 1 && p <= AUTH_ARGON2_P_MAX;
}

static enum auth_password_verdict verify_argon2(const char *stored, const char *password, size_t len, bool is_id)
{
	const char *params = stored + (is_id ? strlen(crypto_pwhash_argon2id_STRPREFIX)
					     : strlen(crypto_pwhash_argon2i_STRPREFIX));
	if (!argon2_bounded(params))
		return AUTH_PASSWORD_WRONG;
	if (crypto_pwhash_str_verify(stored, password, len) != 0)
		return AUTH_PASSWORD_WRONG;
	if (!is_id || crypto_pwhash_str_needs_rehash(stored, AUTH_ARGON2_OPS, AUTH_ARGON2_MEM) != 0)
		return AUTH_PASSWORD_REHASH;
	return AUTH_PASSWORD_OK;
}

/* PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of any output length. The keyed
 * HMAC state is made once and copied for every iteration, so each costs
 * two SHA-256 compressions. */
static void pbkdf2_sha256(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen, uint64_t iterations,
			  uint8_t *out, size_t outlen)
{
	crypto_auth_hmacsha256_state keyed, st;
	uint8_t u[crypto_auth_hmacsha256_BYTES], t[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_init(&keyed, pw, pwlen);
	for (uint32_t block = 1; outlen > 0; block++) {
		const uint8_t counter[4] = { (uint8_t)(block >> 24), (uint8_t)(block >> 16), (uint8_t)(block >> 8),
					     (uint8_t)block };
		st = keyed;
		crypto_auth_hmacsha256_update(&st, salt, saltlen);
		crypto_auth_hmacsha256_update(&st, counter, sizeof(counter));
		crypto_auth_hmacsha256_final(&st, u);
		memcpy(t, u, sizeof(t));
		for (uint64_t i = 1; i < iterations; i++) {
			st = keyed;
			crypto_auth_hmacsha256_update(&st, u, sizeof(u));
			crypto_auth_hmacsha256_final(&st, u);
			for (size_t k = 0; k < sizeof(t); k++)
				t[k] ^= u[k];
		}
		size_t n = outlen < sizeof(t) ? outlen : sizeof(t);
		memcpy(out, t, n);
		out += n;
		outlen -= n;
	}
	sodium_memzero(&keyed, sizeof(keyed));
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(u, sizeof(u));
	sodium_memzero(t, sizeof(t));
}

/* The fields of a Werkzeug method ("scrypt:32768:8:1"), split at ':'. */
struct method_fields {
	const char *at[4];
	size_t len[4];
	size_t n;
};

static bool split_method(const char *s, size_t n, struct method_fields *f)
{
	f->n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == ':') {
			if (f->n == ARRAY_SIZE(f->at))
				return false;
			f->at[f->n] = s + start;
			f->len[f->n] = i - start;
			f->n++;
			start = i + 1;
		}
	return true;
}

static bool field_is(const struct method_fields *f, size_t i, const char *word)
{
	return f->len[i] == strlen(word) && memcmp(f->at[i], word, f->len[i]) == 0;
}

/* Derives the key the method asks for into dk (*dklen bytes); false when
 * the method is not one we check or asks for more than our bounds. */
static bool werkzeug_derive(const struct method_fields *f, const char *password, size_t len, const uint8_t *salt,
			    size_t saltlen, uint8_t dk[WERKZEUG_SCRYPT_DKLEN], size_t *dklen)
{
	if (field_is(f, 0, "scrypt")) {
		uint64_t n = WERKZEUG_SCRYPT_N, r = WERKZEUG_SCRYPT_R, p = WERKZEUG_SCRYPT_P;
		if (f->n == 4) {
			if (!parse_decimal(f->at[1], f->len[1], &n) || !parse_decimal(f->at[2], f->len[2], &r) ||
			    !parse_decimal(f->at[3], f->len[3], &p))
				return false;
		} else if (f->n != 1) {
			return false;
		}
		if (n < 2 || (n & (n - 1)) != 0 || n > AUTH_SCRYPT_N_MAX || r < 1 || p < 1 || r > AUTH_SCRYPT_RP_MAX ||
		    p > AUTH_SCRYPT_RP_MAX || r * p > AUTH_SCRYPT_RP_MAX ||
		    n * r > AUTH_SCRYPT_WORK_MAX || n * r * p > AUTH_SCRYPT_WORK_MAX)
			return false;
		*dklen = WERKZEUG_SCRYPT_DKLEN;
		return crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)password, len, salt, saltlen, n,
							     (uint32_t)r, (uint32_t)p, dk, *dklen) == 0;
	}
	if (field_is(f, 0, "pbkdf2")) {
		uint64_t iterations = WERKZEUG_PBKDF2_ITERATIONS;
		if (f->n >= 2 && !field_is(f, 1, "sha256"))
			return false;
		if (f->n == 3 && !parse_decimal(f->at[2], f->len[2], &iterations))
			return false;
		if (f->n > 3 || iterations < 1 || iterations > AUTH_PBKDF2_ITER_MAX)
			return false;
		*dklen = WERKZEUG_PBKDF2_DKLEN;
		pbkdf2_sha256((const uint8_t *)password, len, salt, saltlen, iterations, dk, *dklen);
		return true;
	}
	return false;
}

static enum auth_password_verdict verify_werkzeug(const char *stored, size_t slen, const char *password, size_t len)
{
	const char *d1 = memchr(stored, '$', slen);
	if (!d1)
		return AUTH_PASSWORD_WRONG;
	const char *d2 = memchr(d1 + 1, '$', slen - (size_t)(d1 + 1 - stored));
	if (!d2)
		return AUTH_PASSWORD_WRONG;
	struct method_fields f;
	if (!split_method(stored, (size_t)(d1 - stored), &f))
		return AUTH_PASSWORD_WRONG;
	const char *hex = d2 + 1;
	size_t hexlen = slen - (size_t)(hex - stored);

	uint8_t dk[WERKZEUG_SCRYPT_DKLEN];
	size_t dklen = 0;
	if (!werkzeug_derive(&f, password, len, (const uint8_t *)(d1 + 1), (size_t)(d2 - d1 - 1), dk, &dklen))
		return AUTH_PASSWORD_WRONG;
	char mine[2 * WERKZEUG_SCRYPT_DKLEN + 1];
	sodium_bin2hex(mine, sizeof(mine), dk, dklen);
	bool same = hexlen == 2 * dklen && sodium_memcmp(mine, hex, hexlen) == 0;
	sodium_memzero(dk, sizeof(dk));
	sodium_memzero(mine, sizeof(mine));
	return same ? AUTH_PASSWORD_REHASH : AUTH_PASSWORD_WRONG;
}

enum auth_password_verdict auth_password_verify(const char *stored, const char *password, size_t len)
{
	if (!stored || sodium_init() < 0)
		return AUTH_PASSWORD_WRONG;
	if (!password) {
		if (len)
			return AUTH_PASSWORD_WRONG;
		password = "";
	}
	size_t slen = strnlen(stored, AUTH_STORED_MAX + 1);
	if (slen > AUTH_STORED_MAX)
		return AUTH_PASSWORD_WRONG;
	if (strncmp(stored, crypto_pwhash_argon2id_STRPREFIX, strlen(crypto_pwhash_argon2id_STRPREFIX)) == 0)
		return verify_argon2(stored, password, len, true);
	if (strncmp(stored, crypto_pwhash_argon2i_STRPREFIX, strlen(crypto_pwhash_argon2i_STRPREFIX)) == 0)
		return verify_argon2(stored, password, len, false);
	return verify_werkzeug(stored, slen, password, len);
}

bool auth_password_acceptable(const char *password, const char **why)
{
	size_t points = 0;
	for (const unsigned char *p = (const unsigned char *)(password ? password : ""); *p; p++)
		if ((*p & 0xC0) != 0x80) /* not a continuation byte: a code point starts */
			points++;
	if (points >= 12)
		return true;
	if (why)
		*why = "Password must be at least 12 characters long";
	return false;
}
