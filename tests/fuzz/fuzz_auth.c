/*
 * fuzz_auth.c - libFuzzer target for the outside input the auth kit
 * reads (src/auth/): the value of an Authorization header
 * (auth_credentials_parse, auth_token_digest), the INI text of the
 * basic-auth settings (auth_config_parse) and a stored password hash
 * string (auth_password_verify).
 *
 * Every input goes to all three. The header and the hash string are the
 * input up to its first NUL; the password checked against the hash is
 * what follows that NUL (or "password"). A hash string whose numbers ask
 * for more than a few milliseconds of KDF is not verified (the bounds of
 * auth_password.h allow seconds, which would only slow the fuzzer; the
 * unit tests check those bounds).
 *
 * Invariants besides "no crash, no leak, no undefined behaviour":
 * a header is never AUTH_NONE; Basic credentials are a username without
 * ':' and a password, NUL-terminated in the struct's buffer, UTF-8 without
 * control bytes, and the header made again from them parses to the same;
 * a bearer token lies within the header and holds no blank or control
 * byte, and its digest, when it is one of ours, is the SHA-256 hex of its
 * text; INVALID leaves no pointers. The INI text parses to settings
 * within their ranges, or fails with INVALID_PARAMETER_VALUE naming the
 * file and leaving nothing allocated. A verdict is one of the three, and
 * OK only for an argon2id string. Seeds: tests/fuzz/corpus/auth/
 * (`make fuzz`).
 */
#include "auth/auth_config.h"
#include "auth/auth_credentials.h"
#include "auth/auth_password.h"
#include "base/util.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static void check_header(const char *header)
{
	struct auth_presented *p = malloc(sizeof(*p));
	auth_credentials_parse(header, p);
	CHECK(p->scheme == AUTH_BASIC || p->scheme == AUTH_BEARER || p->scheme == AUTH_INVALID);
	if (p->scheme == AUTH_BASIC) {
		size_t ul = strlen(p->username);
		CHECK(p->username == p->buf && p->password == p->buf + ul + 1);
		CHECK(strlen(p->password) == p->password_len && ul + 1 + p->password_len <= AUTH_CREDENTIAL_MAX);
		CHECK(!strchr(p->username, ':'));
		for (size_t i = 0; i < ul; i++)
			CHECK(!is_control((unsigned char)p->username[i]));
		for (size_t i = 0; i < p->password_len; i++)
			CHECK(!is_control((unsigned char)p->password[i]));
		CHECK(util_utf8_valid(p->username, ul) && util_utf8_valid(p->password, p->password_len));
		CHECK(!p->token);
		/* the header a client would send for them parses to the same */
		char joined[AUTH_CREDENTIAL_MAX + 1];
		memcpy(joined, p->username, ul);
		joined[ul] = ':';
		memcpy(joined + ul + 1, p->password, p->password_len);
		char again[16 + sodium_base64_ENCODED_LEN(AUTH_CREDENTIAL_MAX, sodium_base64_VARIANT_ORIGINAL)];
		memcpy(again, "Basic ", 6);
		sodium_bin2base64(again + 6, sizeof(again) - 6, (const unsigned char *)joined, ul + 1 + p->password_len,
				  sodium_base64_VARIANT_ORIGINAL);
		struct auth_presented *q = malloc(sizeof(*q));
		auth_credentials_parse(again, q);
		CHECK(q->scheme == AUTH_BASIC && strcmp(q->username, p->username) == 0 &&
		      q->password_len == p->password_len && memcmp(q->password, p->password, p->password_len) == 0);
		free(q);
	} else if (p->scheme == AUTH_BEARER) {
		CHECK(p->token >= header && p->token + p->token_len <= header + strlen(header) && p->token_len > 0);
		for (size_t i = 0; i < p->token_len; i++)
			CHECK((unsigned char)p->token[i] > 0x20 && p->token[i] != 0x7f);
		CHECK(!p->username && !p->password);
		char digest[AUTH_TOKEN_DIGEST_LEN + 1];
		if (auth_token_digest(p->token, p->token_len, digest)) {
			CHECK(p->token_len == AUTH_TOKEN_LEN);
			unsigned char h[crypto_hash_sha256_BYTES];
			char hex[AUTH_TOKEN_DIGEST_LEN + 1];
			crypto_hash_sha256(h, (const unsigned char *)p->token, p->token_len);
			sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
			CHECK(strcmp(hex, digest) == 0);
		}
	} else {
		CHECK(!p->username && !p->password && !p->token);
	}
	free(p);
}

static void check_config(const uint8_t *data, size_t size)
{
	struct auth_config cfg;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	if (auth_config_parse((const char *)data, size, "fuzz.ini", &cfg, &err) == 0) {
		CHECK(cfg.admin_username && cfg.admin_username[0] && strlen(cfg.admin_username) <= 255);
		CHECK(!cfg.admin_password || cfg.admin_password[0]);
		CHECK(!cfg.database_uri || cfg.database_uri[0]);
		CHECK(cfg.cache_ttl_ms >= 0 && cfg.cache_ttl_ms % 1000 == 0);
		CHECK(cfg.default_permission >= AUTH_PERM_NONE && cfg.default_permission <= AUTH_PERM_MANAGE);
		auth_config_release(&cfg);
	} else {
		CHECK(err.code == MLF_INVALID_PARAMETER_VALUE && strncmp(err.msg, "fuzz.ini:", 9) == 0);
		CHECK(!cfg.admin_username && !cfg.admin_password && !cfg.database_uri);
	}
}

/* Whether the numbers of the string's parameters (the method of a
 * Werkzeug string, the fields before an argon2 string's salt) multiply
 * to little work; a method whose defaults cost a lot is not cheap. */
static bool cheap_to_verify(const char *s)
{
	const char *end = s;
	int dollars = 0;
	while (*end && !(s[0] == '$' ? (*end == '$' && ++dollars == 4) : *end == '$'))
		end++;
	if ((strncmp(s, "scrypt", 6) == 0 || strncmp(s, "pbkdf2", 6) == 0) &&
	    memchr(s, ':', (size_t)(end - s)) == memrchr(s, ':', (size_t)(end - s)))
		return false; /* no or one parameter: Werkzeug's costly defaults */
	uint64_t product = 1;
	for (const char *p = s; p < end;) {
		if (*p < '0' || *p > '9') {
			p++;
			continue;
		}
		uint64_t v = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			v = v > (UINT64_C(1) << 40) ? v : v * 10 + (uint64_t)(*p - '0');
			p++;
		}
		product *= v ? v : 1;
		if (product > (UINT64_C(1) << 16))
			return false;
	}
	return true;
}

static void check_stored(const char *stored, const char *password, size_t len)
{
	if (!cheap_to_verify(stored))
		return;
	enum auth_password_verdict v = auth_password_verify(stored, password, len);
	CHECK(v == AUTH_PASSWORD_WRONG || v == AUTH_PASSWORD_OK || v == AUTH_PASSWORD_REHASH);
	if (v == AUTH_PASSWORD_OK)
		CHECK(strncmp(stored, "$argon2id$", 10) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		struct mlf_err err;
		CHECK(auth_password_init(&err) == 0);
		ready = true;
	}
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	size_t head = strlen(text);
	check_header(text);
	check_config(data, size);
	if (head < size)
		check_stored(text, text + head + 1, size - head - 1);
	else
		check_stored(text, "password", 8);
	free(text);
	return 0;
}
