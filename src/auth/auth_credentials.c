/*
 * auth_credentials.c - the Authorization header read into what it
 * presents (Basic username and password, or a bearer token), and our
 * tokens made and digested. Every byte of the header is outside input:
 * lengths are checked before anything is copied, the base64 is decoded by
 * libsodium's strict decoder, and a header that is not exactly one of the
 * two forms is AUTH_INVALID.
 */
#include "auth_credentials.h"

#include <sodium.h>
#include <strings.h>

#include "../base/util.h"

#define AUTH_TOKEN_RANDOM_BYTES 32
/* The longest base64 text that can decode to AUTH_CREDENTIAL_MAX bytes. */
#define AUTH_BASIC_B64_MAX (((AUTH_CREDENTIAL_MAX + 2) / 3) * 4)

_Static_assert(AUTH_TOKEN_LEN == sizeof(AUTH_TOKEN_PREFIX) - 1 +
				 sodium_base64_ENCODED_LEN(AUTH_TOKEN_RANDOM_BYTES,
							   sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1,
	       "a token is its prefix and 32 bytes of unpadded base64url");

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The scheme word at [s, s+n) is `word`, ignoring case. */
static bool scheme_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

static void parse_basic(const char *b64, size_t n, struct auth_presented *out)
{
	if (n > AUTH_BASIC_B64_MAX)
		return;
	size_t len = 0;
	const char *end = NULL;
	if (sodium_base642bin((unsigned char *)out->buf, AUTH_CREDENTIAL_MAX, b64, n, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + n)
		return;
	char *colon = NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out->buf[i];
		if (c < 0x20 || c == 0x7f)
			return;
		if (c == ':' && !colon)
			colon = out->buf + i;
	}
	/* Werkzeug decodes the credentials as UTF-8 and refuses them when
	 * they are not */
	if (!colon || !util_utf8_valid(out->buf, len))
		return;
	out->buf[len] = '\0';
	*colon = '\0';
	out->username = out->buf;
	out->password = colon + 1;
	out->password_len = len - (size_t)(colon + 1 - out->buf);
	out->scheme = AUTH_BASIC;
}

static void parse_bearer(const char *token, size_t n, struct auth_presented *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c <= 0x20 || c == 0x7f)
			return;
	}
	out->token = token;
	out->token_len = n;
	out->scheme = AUTH_BEARER;
}

void auth_credentials_parse(const char *header, struct auth_presented *out)
{
	out->scheme = AUTH_NONE;
	out->username = out->password = out->token = NULL;
	out->password_len = out->token_len = 0;
	out->buf[0] = '\0';
	if (!header)
		return;
	out->scheme = AUTH_INVALID;
	size_t n = strlen(header);
	while (n && is_blank(*header)) {
		header++;
		n--;
	}
	while (n && is_blank(header[n - 1]))
		n--;
	size_t word = 0;
	while (word < n && !is_blank(header[word]))
		word++;
	const char *rest = header + word;
	size_t left = n - word;
	if (left == 0) /* a scheme alone */
		return;
	while (left && is_blank(*rest)) {
		rest++;
		left--;
	}
	if (scheme_is(header, word, "Basic"))
		parse_basic(rest, left, out);
	else if (scheme_is(header, word, "Bearer"))
		parse_bearer(rest, left, out);
}

/* SHA-256 of the token text, as lower-case hex. */
static void token_digest(const char *token, size_t len, char digest[AUTH_TOKEN_DIGEST_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)token, len);
	sodium_bin2hex(digest, AUTH_TOKEN_DIGEST_LEN + 1, h, sizeof(h));
}

void auth_token_new(char token[AUTH_TOKEN_LEN + 1], char digest[AUTH_TOKEN_DIGEST_LEN + 1])
{
	unsigned char raw[AUTH_TOKEN_RANDOM_BYTES];
	const size_t plen = sizeof(AUTH_TOKEN_PREFIX) - 1;
	if (sodium_init() < 0)
		abort(); /* no randomness source: no token can be made safely */
	randombytes_buf(raw, sizeof(raw));
	memcpy(token, AUTH_TOKEN_PREFIX, plen);
	sodium_bin2base64(token + plen, AUTH_TOKEN_LEN + 1 - plen, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	token_digest(token, AUTH_TOKEN_LEN, digest);
}

bool auth_token_digest(const char *token, size_t len, char digest[AUTH_TOKEN_DIGEST_LEN + 1])
{
	const size_t plen = sizeof(AUTH_TOKEN_PREFIX) - 1;
	digest[0] = '\0';
	if (!token || len != AUTH_TOKEN_LEN || memcmp(token, AUTH_TOKEN_PREFIX, plen) != 0)
		return false;
	for (size_t i = plen; i < len; i++) {
		char c = token[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	token_digest(token, len, digest);
	return true;
}

bool auth_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
