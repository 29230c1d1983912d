/*
 * auth_credentials.h - what a request presents to prove who sends it, and
 * the bearer tokens the server hands out.
 *
 * The Authorization header is parsed here and nowhere else: "Basic
 * base64(username:password)" (what MLflow's clients send from
 * MLFLOW_TRACKING_USERNAME/PASSWORD) and "Bearer <token>"
 * (MLFLOW_TRACKING_TOKEN). Scheme names are case-insensitive; the base64
 * must be canonical (padding, alphabet) and decode to at most
 * AUTH_CREDENTIAL_MAX bytes of UTF-8 holding a ':' and no NUL or control
 * byte.
 *
 * Tokens are AUTH_TOKEN_PREFIX + 43 characters of base64url (32 random
 * bytes). Only a token's digest is ever stored (SHA-256, hex): tokens
 * carry 256 bits of entropy, so a fast hash is enough, and a database
 * leak gives nobody a usable token. The digest doubles as the lookup key.
 */
#ifndef MLF_AUTH_CREDENTIALS_H
#define MLF_AUTH_CREDENTIALS_H

#include "../base/common.h"

#define AUTH_CREDENTIAL_MAX 1024 /* decoded Basic credentials, bytes */
#define AUTH_TOKEN_PREFIX "mlfct_"
#define AUTH_TOKEN_LEN (sizeof(AUTH_TOKEN_PREFIX) - 1 + 43)
#define AUTH_TOKEN_DIGEST_LEN 64 /* hex characters of SHA-256 */

enum auth_scheme {
	AUTH_NONE,    /* no Authorization header */
	AUTH_BASIC,   /* username and password */
	AUTH_BEARER,  /* token */
	AUTH_INVALID, /* a header that does not parse, or another scheme */
};

/* AUTH_BASIC's pointers point into the struct's own `buf`: fill it in
 * place and pass it by pointer; a copy would point into the original. */
struct auth_presented {
	enum auth_scheme scheme;
	/* AUTH_BASIC: NUL-terminated, pointing into `buf`; the username is
	 * what precedes the first ':' (as Werkzeug splits it) */
	const char *username, *password;
	size_t password_len;
	/* AUTH_BEARER: the token text (borrowed from the header) */
	const char *token;
	size_t token_len;
	char buf[AUTH_CREDENTIAL_MAX + 1];
};

/* Parses the value of an Authorization header (`header` NULL: none) into
 * *out. Never fails; a bad header is AUTH_INVALID. Leading and trailing
 * blanks around the value are ignored. */
void auth_credentials_parse(const char *header, struct auth_presented *out);

/* Writes a new token into `token` (AUTH_TOKEN_LEN characters and a NUL)
 * and its digest into `digest` (hex and a NUL). The token is shown to its
 * owner once and never stored. */
void auth_token_new(char token[AUTH_TOKEN_LEN + 1], char digest[AUTH_TOKEN_DIGEST_LEN + 1]);

/* The digest of the presented token `token` (`len` bytes). false when it
 * cannot be one of ours (wrong prefix or length, or a byte outside
 * base64url): such a token is refused without a lookup. */
bool auth_token_digest(const char *token, size_t len, char digest[AUTH_TOKEN_DIGEST_LEN + 1]);

/* Constant-time equality of two byte strings of length `n`. */
bool auth_equal(const void *a, const void *b, size_t n);

#endif
