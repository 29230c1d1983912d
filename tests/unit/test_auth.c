/*
 * test_auth.c - the authentication kit without a server: argon2id hashes
 * made and checked (and old parameters asking for a re-hash), Werkzeug's
 * stored strings checked against published vectors (RFC 7914 §11-12,
 * PBKDF2-HMAC-SHA256 on RFC 6070's inputs) and strings that Debian's
 * Werkzeug 2.2 and Python's hashlib wrote (in the form of Werkzeug 3),
 * stored strings asking for absurd work refused; the Authorization
 * header's Basic and Bearer forms and every way it can be malformed;
 * tokens and their digests; the failure limiter's doubling, cap, reset and
 * bounded table; the credential cache's expiry, keys, eviction and
 * forgetting; both under four threads at once; the [mlflow] INI file and
 * its refusals with line numbers; permission names.
 *
 * The Werkzeug vectors were computed once with /usr/bin/python3
 * (hashlib.scrypt, hashlib.pbkdf2_hmac; werkzeug.security 2.2.2 for the
 * generate_password_hash strings) and are constants here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth/auth_cache.h"
#include "auth/auth_config.h"
#include "auth/auth_credentials.h"
#include "auth/auth_limiter.h"
#include "auth/auth_password.h"
#include "auth/auth_permission.h"

#define PW "correct horse battery staple"

static int setup(void **state)
{
	(void)state;
	struct mlf_err err;
	return auth_password_init(&err);
}

static enum auth_password_verdict verify(const char *stored, const char *password)
{
	return auth_password_verify(stored, password, strlen(password));
}

/* ---- argon2id ---- */

static void test_argon2id(void **state)
{
	(void)state;
	struct mlf_err err;
	char h1[AUTH_PASSWORD_HASH_MAX], h2[AUTH_PASSWORD_HASH_MAX];
	assert_int_equal(auth_password_hash(PW, strlen(PW), h1, &err), 0);
	assert_int_equal(auth_password_hash(PW, strlen(PW), h2, &err), 0);
	assert_true(strncmp(h1, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
	assert_true(strlen(h1) < AUTH_PASSWORD_HASH_MAX);
	assert_string_not_equal(h1, h2); /* a random salt each time */
	assert_int_equal(verify(h1, PW), AUTH_PASSWORD_OK);
	assert_int_equal(verify(h2, PW), AUTH_PASSWORD_OK);
	assert_int_equal(verify(h1, PW "x"), AUTH_PASSWORD_WRONG);
	assert_int_equal(verify(h1, "correct horse battery stapl"), AUTH_PASSWORD_WRONG);
	assert_int_equal(verify(h1, ""), AUTH_PASSWORD_WRONG);

	/* the empty password and passwords holding NUL bytes are bytes like any */
	assert_int_equal(auth_password_hash("", 0, h1, &err), 0);
	assert_int_equal(verify(h1, ""), AUTH_PASSWORD_OK);
	assert_int_equal(verify(h1, " "), AUTH_PASSWORD_WRONG);
	assert_int_equal(auth_password_hash("a\0b", 3, h1, &err), 0);
	assert_int_equal(auth_password_verify(h1, "a\0b", 3), AUTH_PASSWORD_OK);
	assert_int_equal(auth_password_verify(h1, "a\0c", 3), AUTH_PASSWORD_WRONG);
	assert_int_equal(auth_password_verify(h1, "a", 1), AUTH_PASSWORD_WRONG);

	/* a damaged string never verifies */
	assert_int_equal(auth_password_hash(PW, strlen(PW), h1, &err), 0);
	h1[strlen(h1) - 2] = h1[strlen(h1) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(h1, PW), AUTH_PASSWORD_WRONG);
	h1[20] = '\0';
	assert_int_equal(verify(h1, PW), AUTH_PASSWORD_WRONG);
}

static void test_argon2_rehash_and_bounds(void **state)
{
	(void)state;
	char s[crypto_pwhash_STRBYTES];
	/* weaker argon2id parameters: right password, but re-hash */
	assert_int_equal(crypto_pwhash_str_alg(s, PW, strlen(PW), crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_int_equal(verify(s, PW), AUTH_PASSWORD_REHASH);
	assert_int_equal(verify(s, "nope"), AUTH_PASSWORD_WRONG);
	/* argon2i, even at our parameters: re-hash as argon2id */
	assert_int_equal(crypto_pwhash_str_alg(s, PW, strlen(PW), crypto_pwhash_argon2i_OPSLIMIT_MIN,
					       crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2I13),
			 0);
	assert_true(strncmp(s, "$argon2i$", 9) == 0);
	assert_int_equal(verify(s, PW), AUTH_PASSWORD_REHASH);
	assert_int_equal(verify(s, "nope"), AUTH_PASSWORD_WRONG);
	/* a string asking for more passes than our bound (t=17, a little memory,
	 * so it is cheap to make) is refused even with the right password */
	assert_int_equal(crypto_pwhash_str_alg(s, PW, strlen(PW), 17, crypto_pwhash_MEMLIMIT_MIN,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_non_null(strstr(s, ",t=17,"));
	assert_int_equal(verify(s, PW), AUTH_PASSWORD_WRONG);
	assert_int_equal(crypto_pwhash_str_alg(s, PW, strlen(PW), 16, crypto_pwhash_MEMLIMIT_MIN,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_int_equal(verify(s, PW), AUTH_PASSWORD_REHASH); /* at the bound */
	/* absurd memory: refused before libsodium would allocate it */
	assert_int_equal(verify("$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
				"MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
				PW),
			 AUTH_PASSWORD_WRONG);
	assert_int_equal(verify("$argon2id$v=19$m=,t=2,p=1$x$y", PW), AUTH_PASSWORD_WRONG);
	assert_int_equal(verify("$argon2id$", PW), AUTH_PASSWORD_WRONG);
	assert_int_equal(verify("$argon2d$v=19$m=8,t=1,p=1$x$y", PW), AUTH_PASSWORD_WRONG);
}

/* ---- Werkzeug ---- */

/* Right password: REHASH; the same string with another password: WRONG. */
static void werkzeug_ok(const char *stored, const char *password)
{
	if (verify(stored, password) != AUTH_PASSWORD_REHASH)
		fail_msg("'%s' does not verify with its password", stored);
	char other[256];
	snprintf(other, sizeof(other), "%sx", password);
	if (verify(stored, other) != AUTH_PASSWORD_WRONG)
		fail_msg("'%s' verifies with a wrong password", stored);
}

static void test_werkzeug_published_vectors(void **state)
{
	(void)state;
	/* RFC 7914 §12 (scrypt, 64-byte keys) */
	werkzeug_ok("scrypt:16:1:1$$77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a7"
		    "53a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
		    "");
	werkzeug_ok("scrypt:1024:8:16$NaCl$fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a"
		    "3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
		    "password");
	/* RFC 7914 §11 (PBKDF2-HMAC-SHA256): its first 32 bytes */
	werkzeug_ok("pbkdf2:sha256:1$salt$55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc", "passwd");
	werkzeug_ok("pbkdf2:sha256:80000$NaCl$4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56",
		    "Password");
	/* PBKDF2-HMAC-SHA256 on RFC 6070's inputs (the widely published values) */
	werkzeug_ok("pbkdf2:sha256:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b", "password");
	werkzeug_ok("pbkdf2:sha256:2$salt$ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43", "password");
	werkzeug_ok("pbkdf2:sha256:4096$salt$c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
		    "password");
}

static void test_werkzeug_generated(void **state)
{
	(void)state;
	/* werkzeug.security.generate_password_hash (Werkzeug 2.2.2) */
	werkzeug_ok("pbkdf2:sha256:260000$ed5YDjtneN4vWoSi$bab4525120cccca997708d45378944fee6b13c2975cdeba4c7115d99a2b77fb4",
		    PW);
	werkzeug_ok("pbkdf2:sha256:600000$ufdUmSe0TfDQKJsT$41cf5ff7c7e8bf29e9daa66b7d20280c79022df5c28df308a6ba73e81f65bad0",
		    "pa:ss:w\xc3\xb6rd \xe2\x82\xac");
	werkzeug_ok("pbkdf2:sha256:1$uWNhz2jUup5wCgAA$17864410b461de6912089fb21db4dbcc361f02338ee5347651b0e9f0e2e3bea9",
		    "short");
	/* Werkzeug 3's default form (scrypt:32768:8:1), computed with hashlib */
	werkzeug_ok("scrypt:32768:8:1$Gm3qK0aZx8PuTb7W$fbf45bf81a00c22b710cf6d81ee6623a4403fd649af47e36b20764cc592abe3525b"
		    "401cd611fa8550f3ea6c723dc984debceaca7201630a9cdc25eccf1f89bd7",
		    PW);
	werkzeug_ok("scrypt:32768:8:1$AbCdEfGh12345678$54b5f0fdd213456a37dd9c12a968387b05c480cf0ee77fd428f59a8691751f6bb"
		    "edba64ca19c9a3982edde665995a006667a94aaf41d33a4c080b457b823baf9",
		    "pa:ss:w\xc3\xb6rd \xe2\x82\xac");
	werkzeug_ok("scrypt:32768:8:1$emptypassword123$30e07153a3983ad455b3b3bf81e4ded7180707c7cdbdb4ae79b7735f6b7e3af66"
		    "482d6bab9a2593aff6bb203ec4d9a5c036b5fa04106875849268b9971bdb203",
		    "");
	/* "scrypt" alone is scrypt:32768:8:1 (Werkzeug 3) */
	werkzeug_ok("scrypt$Gm3qK0aZx8PuTb7W$fbf45bf81a00c22b710cf6d81ee6623a4403fd649af47e36b20764cc592abe3525b401cd611fa"
		    "8550f3ea6c723dc984debceaca7201630a9cdc25eccf1f89bd7",
		    PW);
	werkzeug_ok("pbkdf2:sha256:1000$Gm3qK0aZx8PuTb7W$61f10c55f640d62918561d5845e20c7ae7dec1fe3881a8f6f6161a9dc012e458",
		    PW);
}

static void test_werkzeug_default_iterations(void **state)
{
	(void)state;
	/* no count: today's Werkzeug's DEFAULT_PBKDF2_ITERATIONS, 1000000 */
	const char *hex1m = "5ab1f221cef8305b358e17ce52e0858d5a8cf5eca09fa9e341c54ec427cd136e";
	char s[256];
	snprintf(s, sizeof(s), "pbkdf2:sha256$Gm3qK0aZx8PuTb7W$%s", hex1m);
	assert_int_equal(verify(s, PW), AUTH_PASSWORD_REHASH);
	snprintf(s, sizeof(s), "pbkdf2$Gm3qK0aZx8PuTb7W$%s", hex1m);
	assert_int_equal(verify(s, PW), AUTH_PASSWORD_REHASH);
	snprintf(s, sizeof(s), "pbkdf2:sha256:1000000$Gm3qK0aZx8PuTb7W$%s", hex1m);
	assert_int_equal(verify(s, PW), AUTH_PASSWORD_REHASH);
	/* (260000 iterations' key under no count is not taken) */
	assert_int_equal(verify("pbkdf2:sha256$Gm3qK0aZx8PuTb7W$98f0ba0139906ae3c026932036d5e82b623145f49d5c05c04b9733f77"
				"43f7c1f",
				PW),
			 AUTH_PASSWORD_WRONG);
	assert_int_equal(verify("pbkdf2:sha256:260000$Gm3qK0aZx8PuTb7W$98f0ba0139906ae3c026932036d5e82b623145f49d5c05c04b9"
				"733f7743f7c1f",
				PW),
			 AUTH_PASSWORD_REHASH);
}

static void test_werkzeug_refused(void **state)
{
	(void)state;
	const char *good = "pbkdf2:sha256:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b";
	assert_int_equal(verify(good, "password"), AUTH_PASSWORD_REHASH);
	static const char *const bad[] = {
		/* the hex is compared as Werkzeug compares it: lower case, whole */
		"pbkdf2:sha256:1$salt$120FB6CFFCF8B32C43E7225256C4F837A86548C92CCC35480805987CB70BE17B",
		"pbkdf2:sha256:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17",
		"pbkdf2:sha256:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b0",
		"pbkdf2:sha256:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b$",
		"pbkdf2:sha256:1$salt$",
		"pbkdf2:sha256:1$salt",
		"pbkdf2:sha256:1",
		"pbkdf2:sha256:1$salX$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		/* methods we do not check, malformed parameters */
		"pbkdf2:sha512:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"pbkdf2:sha256:0$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"pbkdf2:sha256:$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"pbkdf2:sha256:-1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"pbkdf2:sha256:+1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"pbkdf2:sha256:1:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"pbkdf2:sha256:99999999999$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"PBKDF2:sha256:1$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"sha256$salt$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
		"plain$$password",
		"scrypt:1000:8:1$salt$00",
		"scrypt:1:8:1$salt$00",
		"scrypt:0:8:1$salt$00",
		"scrypt:16:0:1$salt$00",
		"scrypt:16:1:0$salt$00",
		"scrypt:16:1$salt$00",
		"scrypt:16:1:1:1$salt$00",
		"scrypt:16:99999999999:1$salt$00",
		"",
		"$",
		"$$",
		"::::$$",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (verify(bad[i], "password") != AUTH_PASSWORD_WRONG)
			fail_msg("'%s' verified", bad[i]);
	assert_int_equal(auth_password_verify(NULL, "password", 8), AUTH_PASSWORD_WRONG);
	/* a stored string longer than any of ours */
	char *longer = malloc(4096);
	snprintf(longer, 4096, "%s", good);
	memset(longer + strlen(good), 'a', 2000);
	longer[strlen(good) + 2000] = '\0';
	assert_int_equal(verify(longer, "password"), AUTH_PASSWORD_WRONG);
	free(longer);
}

static void test_werkzeug_bounds(void **state)
{
	(void)state;
	/* each string is the true key of its parameters (hashlib), so only the
	 * bound refuses it */
	/* r*p = 1025 > 2^10 */
	assert_int_equal(verify("scrypt:2:1:1025$rpTooLarge000001$02dc1a461ac4772f8d3ff7b819265e9a80951b48b0f29edc1de5b4b"
				"86e57c355d6d2a07fb4245b01b16cb5867dd52d8372b62983a163e61a0dab95161fc39a38",
				PW),
			 AUTH_PASSWORD_WRONG);
	/* r*p = 2^10: at the bound, checked */
	assert_int_equal(verify("scrypt:2:1:1024$rpAtTheBound0001$254389aee3a388d536a150e0f419b15c5421fdd119cc992084b2eb5"
				"6cb4e8fa5b37b1016307140ac143e912cfacdd2122a2fbb060ab3e0de40f73c2887ea8f05",
				PW),
			 AUTH_PASSWORD_REHASH);
	/* N = 2^21 > 2^20 */
	assert_int_equal(verify("scrypt:2097152:2:1$NTooLarge0000001$1c8cc7aed91a535defaacebb2ec8a539a5952f313fc8082243a5"
				"351fe96b75f290fe7cb68e99bb1ee45081bf60a6b20a09c79e639f66c31727fccdd9d9cbc9a1",
				PW),
			 AUTH_PASSWORD_WRONG);
	/* N*r*p = 2^24 > 2^23 */
	assert_int_equal(verify("scrypt:16384:1:1024$WorkTooLarge0001$51458a71c57b330b77657fa8492ff8a658598fd826b44d9b1a8"
				"fd56bccec6fe46801af4468b27b68a4bf0272acc5f9161c492990e1ed50960876e0f09df5a0b2",
				PW),
			 AUTH_PASSWORD_WRONG);
	/* 10^7 + 1 iterations */
	assert_int_equal(verify("pbkdf2:sha256:10000001$IterTooMany00001$a2fd190998b8562e09f2932988436ed7890dcc2ddeadc245b"
				"a6cbbfe98f5c52b",
				PW),
			 AUTH_PASSWORD_WRONG);
	/* absurd N that would need terabytes */
	assert_int_equal(verify("scrypt:1099511627776:8:1$salt$00", PW), AUTH_PASSWORD_WRONG);
	assert_int_equal(verify("scrypt:4294967296:8:1$salt$00", PW), AUTH_PASSWORD_WRONG);
}

static void test_password_acceptable(void **state)
{
	(void)state;
	const char *why = NULL;
	assert_false(auth_password_acceptable("", &why));
	assert_non_null(why);
	assert_false(auth_password_acceptable(NULL, &why));
	assert_false(auth_password_acceptable("12345678901", &why));
	assert_true(auth_password_acceptable("123456789012", &why));
	/* code points, not bytes: 11 'é' are 22 bytes and still too short */
	assert_false(auth_password_acceptable("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					      "\xc3\xa9\xc3\xa9",
					      &why));
	assert_true(auth_password_acceptable("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					     "\xc3\xa9\xc3\xa9\xc3\xa9",
					     &why));
	assert_true(auth_password_acceptable("\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91xxxxxxxx",
					     NULL));
	assert_false(auth_password_acceptable("\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91xxxxxxxx", NULL));
}

/* ---- credentials ---- */

/* (struct auth_presented points into itself: it is filled in place, never
 * returned by value) */
static struct auth_presented *parse_into(struct auth_presented *p, const char *header)
{
	memset(p, 0x5a, sizeof(*p)); /* the parser must set every field */
	auth_credentials_parse(header, p);
	return p;
}

static void expect_basic(const char *header, const char *user, const char *pass, size_t pass_len)
{
	struct auth_presented p;
	parse_into(&p, header);
	if (p.scheme != AUTH_BASIC)
		fail_msg("'%s' is not Basic (%d)", header, p.scheme);
	assert_string_equal(p.username, user);
	assert_int_equal(p.password_len, pass_len);
	assert_memory_equal(p.password, pass, pass_len);
	assert_int_equal(p.password[pass_len], '\0');
	assert_true(p.username >= p.buf && p.password > p.buf && p.password + pass_len <= p.buf + sizeof(p.buf));
	assert_null(p.token);
}

static void test_credentials_basic(void **state)
{
	(void)state;
	struct auth_presented p;
	parse_into(&p, NULL);
	assert_int_equal(p.scheme, AUTH_NONE);
	assert_null(p.username);
	assert_null(p.token);
	expect_basic("Basic YWxpY2U6cHc=", "alice", "pw", 2);
	expect_basic("basic YWxpY2U6cHc=", "alice", "pw", 2);
	expect_basic("BASIC YWxpY2U6cHc=", "alice", "pw", 2);
	expect_basic("  Basic \t YWxpY2U6cHc=  \t", "alice", "pw", 2);
	/* the first ':' splits; the password may hold more */
	expect_basic("Basic YWxpY2U6cGE6c3M=", "alice", "pa:ss", 5);
	expect_basic("Basic YWxpY2U6", "alice", "", 0);
	expect_basic("Basic OnNlY3JldA==", "", "secret", 6);
	expect_basic("Basic am9zw6k6cMOkc3M=", "jos\xc3\xa9", "p\xc3\xa4ss", 5);
	/* exactly AUTH_CREDENTIAL_MAX decoded bytes: accepted */
	unsigned char raw[AUTH_CREDENTIAL_MAX + 1];
	memset(raw, 'u', sizeof(raw));
	raw[3] = ':';
	char header[2 * AUTH_CREDENTIAL_MAX];
	memcpy(header, "Basic ", 6);
	sodium_bin2base64(header + 6, sizeof(header) - 6, raw, AUTH_CREDENTIAL_MAX, sodium_base64_VARIANT_ORIGINAL);
	parse_into(&p, header);
	assert_int_equal(p.scheme, AUTH_BASIC);
	assert_string_equal(p.username, "uuu");
	assert_int_equal(p.password_len, AUTH_CREDENTIAL_MAX - 4);
	/* one byte more: refused */
	sodium_bin2base64(header + 6, sizeof(header) - 6, raw, AUTH_CREDENTIAL_MAX + 1, sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(parse_into(&p, header)->scheme, AUTH_INVALID);
}

static void test_credentials_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"   ",
		"Basic",
		"Basic ",
		"Basic    ",
		"Basic YWxpY2Vwdw==",        /* no ':' */
		"Basic YWxpY2U6cHc",         /* padding missing */
		"Basic YWxpY2U6cHc==",       /* too much padding */
		"Basic YWxpY2U6cHd=",        /* non-canonical: stray bits in the last character */
		"Basic YWxpY2U6cH*=",        /* outside the alphabet */
		"Basic YWxpY2U6cHc=YWxp",    /* data after the padding */
		"Basic YWxp Y2U6cHc=",       /* a blank inside */
		"Basic YWxpY2U6cHc= extra",
		"Basic YWxpY2U6cH-_",        /* base64url is not Basic's alphabet */
		"Basic YWwBaWNlOnB3",        /* a control byte */
		"Basic YWxpY2U6cAB3",        /* a NUL */
		"Basic YWxpY2U6cH93",        /* DEL */
		"Basic YWxpY2U6//4=",        /* not UTF-8 (Werkzeug refuses it too) */
		"Basic YWxpY2U6ww==",        /* a cut UTF-8 sequence */
		"Basic 7aCAOnB3",            /* a UTF-16 surrogate in UTF-8 */
		"Basic\tYWxpY2U6cHc=x",
		"BasicYWxpY2U6cHc=",
		"Basic: YWxpY2U6cHc=",
		"Digest username=\"alice\"",
		"Bearer",
		"Bearer ",
		"Bearer a b",
		"Bearer a\x01",
		"Token abc",
		"Negotiate YWxpY2U6cHc=",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct auth_presented p;
		parse_into(&p, bad[i]);
		if (p.scheme != AUTH_INVALID)
			fail_msg("'%s' parsed as %d", bad[i], p.scheme);
		assert_null(p.username);
		assert_null(p.token);
	}
	/* an oversize header: base64 far beyond AUTH_CREDENTIAL_MAX */
	struct auth_presented p;
	char *huge = malloc(100000);
	memcpy(huge, "Basic ", 6);
	memset(huge + 6, 'A', 100000 - 7);
	huge[100000 - 1] = '\0';
	assert_int_equal(parse_into(&p, huge)->scheme, AUTH_INVALID);
	memcpy(huge, "Bearer", 6);
	huge[6] = ' ';
	assert_int_equal(parse_into(&p, huge)->scheme, AUTH_BEARER); /* a bearer token is checked by auth_token_digest */
	char digest[AUTH_TOKEN_DIGEST_LEN + 1];
	assert_false(auth_token_digest(huge + 7, strlen(huge + 7), digest));
	free(huge);
}

static void test_credentials_bearer(void **state)
{
	(void)state;
	const char *h = "Bearer mlfct_abc-_09";
	struct auth_presented p;
	parse_into(&p, h);
	assert_int_equal(p.scheme, AUTH_BEARER);
	assert_ptr_equal(p.token, h + 7);
	assert_int_equal(p.token_len, 13);
	assert_null(p.username);
	parse_into(&p, "  bEARER   tok  ");
	assert_int_equal(p.scheme, AUTH_BEARER);
	assert_int_equal(p.token_len, 3);
	assert_memory_equal(p.token, "tok", 3);
}

static void test_tokens(void **state)
{
	(void)state;
	char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	char d1[AUTH_TOKEN_DIGEST_LEN + 1], d2[AUTH_TOKEN_DIGEST_LEN + 1], d[AUTH_TOKEN_DIGEST_LEN + 1];
	auth_token_new(t1, d1);
	auth_token_new(t2, d2);
	assert_int_equal(strlen(t1), AUTH_TOKEN_LEN);
	assert_int_equal(strlen(d1), AUTH_TOKEN_DIGEST_LEN);
	assert_true(strncmp(t1, AUTH_TOKEN_PREFIX, strlen(AUTH_TOKEN_PREFIX)) == 0);
	assert_string_not_equal(t1, t2);
	assert_string_not_equal(d1, d2);
	for (size_t i = strlen(AUTH_TOKEN_PREFIX); i < AUTH_TOKEN_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t1[i]));
	for (size_t i = 0; i < AUTH_TOKEN_DIGEST_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", d1[i]));
	assert_true(auth_token_digest(t1, strlen(t1), d));
	assert_string_equal(d, d1);
	/* the token as a client sends it */
	char header[128];
	snprintf(header, sizeof(header), "Bearer %s", t1);
	struct auth_presented p;
	parse_into(&p, header);
	assert_int_equal(p.scheme, AUTH_BEARER);
	assert_true(auth_token_digest(p.token, p.token_len, d));
	assert_string_equal(d, d1);

	/* the digest is SHA-256 of the token text (hashlib) */
	char known[AUTH_TOKEN_LEN + 1];
	memcpy(known, AUTH_TOKEN_PREFIX, 6);
	memset(known + 6, 'A', 43);
	known[AUTH_TOKEN_LEN] = '\0';
	assert_true(auth_token_digest(known, AUTH_TOKEN_LEN, d));
	assert_string_equal(d, "1219e922ab816d064e26afd75c063532b860f9bd8dd1d8b5f119bab58d6ab9da");
	/* not ours: refused without a digest */
	char bad[AUTH_TOKEN_LEN + 2];
	memcpy(bad, known, sizeof(known));
	bad[0] = 'x'; /* wrong prefix */
	assert_false(auth_token_digest(bad, AUTH_TOKEN_LEN, d));
	assert_string_equal(d, "");
	memcpy(bad, "MLFCT_", 6);
	assert_false(auth_token_digest(bad, AUTH_TOKEN_LEN, d));
	memcpy(bad, known, sizeof(known));
	assert_false(auth_token_digest(bad, AUTH_TOKEN_LEN - 1, d)); /* short */
	bad[AUTH_TOKEN_LEN] = 'A';
	bad[AUTH_TOKEN_LEN + 1] = '\0';
	assert_false(auth_token_digest(bad, AUTH_TOKEN_LEN + 1, d)); /* long */
	memcpy(bad, known, sizeof(known));
	bad[20] = '+';
	assert_false(auth_token_digest(bad, AUTH_TOKEN_LEN, d));
	bad[20] = '=';
	assert_false(auth_token_digest(bad, AUTH_TOKEN_LEN, d));
	bad[20] = '\0';
	assert_false(auth_token_digest(bad, AUTH_TOKEN_LEN, d));
	assert_false(auth_token_digest(NULL, 0, d));

	assert_true(auth_equal("abcdef", "abcdef", 6));
	assert_false(auth_equal("abcdef", "abcdeg", 6));
	assert_false(auth_equal("xbcdef", "abcdef", 6));
	assert_true(auth_equal("", "", 0));
}

/* ---- limiter ---- */

static void test_limiter_doubling(void **state)
{
	(void)state;
	struct auth_limiter *l = auth_limiter_new();
	assert_non_null(l);
	int64_t now = 1000000;
	assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), 0);
	for (int i = 0; i < AUTH_LIMIT_FREE; i++) {
		auth_limiter_failed(l, "10.0.0.1", now);
		assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), 0);
	}
	/* the first extra failure: 1 s, then 2, 4, 8, 16, 32, capped at 60 */
	static const int64_t expect[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		auth_limiter_failed(l, "10.0.0.1", now);
		assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), expect[i]);
		assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now + 1), expect[i]); /* rounded up */
		assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now + expect[i] * 1000 - 1), 1);
		assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now + expect[i] * 1000), 0);
		now += expect[i] * 1000;
	}
	/* other addresses are not slowed */
	assert_int_equal(auth_limiter_wait(l, "10.0.0.2", now - 1), 0);
	assert_int_equal(auth_limiter_wait(l, "10.0.0.1 ", now - 1), 0);
	/* many more failures stay at the cap (no overflow) */
	for (int i = 0; i < 100; i++)
		auth_limiter_failed(l, "10.0.0.1", now);
	assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), AUTH_LIMIT_MAX_S);

	/* a success clears the address: its next failures are free again */
	auth_limiter_succeeded(l, "10.0.0.1");
	assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), 0);
	for (int i = 0; i < AUTH_LIMIT_FREE; i++)
		auth_limiter_failed(l, "10.0.0.1", now);
	assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), 0);
	auth_limiter_failed(l, "10.0.0.1", now);
	assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), 1);
	auth_limiter_succeeded(l, "10.0.0.99"); /* never failed: nothing happens */
	assert_int_equal(auth_limiter_wait(l, "10.0.0.1", now), 1);
	auth_limiter_free(l);
}

static void fail_until_waiting(struct auth_limiter *l, const char *addr, int64_t now)
{
	for (int i = 0; i <= AUTH_LIMIT_FREE; i++)
		auth_limiter_failed(l, addr, now);
}

static void test_limiter_full(void **state)
{
	(void)state;
	struct auth_limiter *l = auth_limiter_new();
	char addr[64];
	int64_t now = 5000;
	for (int i = 0; i < AUTH_LIMIT_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		fail_until_waiting(l, addr, now); /* the order of the calls is the order of failure */
	}
	for (int i = 0; i < AUTH_LIMIT_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		assert_int_equal(auth_limiter_wait(l, addr, now), 1);
	}
	/* address 0 fails again: now address 1 is the least recently failed */
	auth_limiter_failed(l, "2001:db8::0", now);
	/* a new address takes a slot: address 1 gives way, nothing else */
	fail_until_waiting(l, "192.0.2.1", now);
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", now), 1);
	assert_int_equal(auth_limiter_wait(l, "2001:db8::1", now), 0);
	assert_int_equal(auth_limiter_wait(l, "2001:db8::0", now), 2);
	assert_int_equal(auth_limiter_wait(l, "2001:db8::2", now), 1);
	/* a stream of new addresses keeps the table working: each one evicts
	 * the oldest; the newest AUTH_LIMIT_SLOTS are remembered */
	for (int i = 0; i < 3 * AUTH_LIMIT_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "198.51.%d.%d", i / 256, i % 256);
		auth_limiter_failed(l, addr, now + 10000 + i);
	}
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", now), 0);
	for (int i = 2 * AUTH_LIMIT_SLOTS; i < 3 * AUTH_LIMIT_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "198.51.%d.%d", i / 256, i % 256);
		for (int k = 0; k < AUTH_LIMIT_FREE; k++)
			auth_limiter_failed(l, addr, now + 20000);
		if (auth_limiter_wait(l, addr, now + 20000) != 1)
			fail_msg("%s lost its failures", addr);
	}
	/* a success frees a slot that the next address takes */
	auth_limiter_succeeded(l, "198.51.47.255");
	fail_until_waiting(l, "203.0.113.9", now + 20000);
	assert_int_equal(auth_limiter_wait(l, "203.0.113.9", now + 20000), 1);
	snprintf(addr, sizeof(addr), "198.51.%d.%d", (2 * AUTH_LIMIT_SLOTS) / 256, (2 * AUTH_LIMIT_SLOTS) % 256);
	assert_int_equal(auth_limiter_wait(l, addr, now + 20000), 1); /* the free slot was taken, no eviction */
	assert_int_equal(auth_limiter_wait(l, NULL, now), 0);
	auth_limiter_failed(l, NULL, now);
	auth_limiter_succeeded(l, NULL);
	auth_limiter_free(l);
	auth_limiter_free(NULL);
}

/* ---- cache ---- */

static struct auth_identity identity(int64_t id, const char *name, bool admin)
{
	struct auth_identity who = { .user_id = id, .is_admin = admin };
	size_t n = strnlen(name, AUTH_USERNAME_MAX);
	memcpy(who.username, name, n);
	who.username[n] = '\0';
	return who;
}

static void basic(struct auth_presented *p, const char *user, const char *pass)
{
	size_t ul = strlen(user), pl = strlen(pass);
	*p = (struct auth_presented){ .scheme = AUTH_BASIC };
	memcpy(p->buf, user, ul + 1);
	memcpy(p->buf + ul + 1, pass, pl + 1);
	p->username = p->buf;
	p->password = p->buf + ul + 1;
	p->password_len = pl;
}

static struct auth_presented bearer(const char *token)
{
	return (struct auth_presented){ .scheme = AUTH_BEARER, .token = token, .token_len = strlen(token) };
}

static void test_cache_basic(void **state)
{
	(void)state;
	struct auth_cache *c = auth_cache_new(16, 30000);
	assert_non_null(c);
	struct auth_identity who = identity(7, "alice", true), got;
	struct auth_presented p;
	basic(&p, "alice", "s3cret:pw");
	assert_false(auth_cache_get(c, &p, 1000, &got));
	auth_cache_put(c, &p, 1000, &who);
	memset(&got, 0, sizeof(got));
	assert_true(auth_cache_get(c, &p, 1000, &got));
	assert_int_equal(got.user_id, 7);
	assert_string_equal(got.username, "alice");
	assert_true(got.is_admin);
	assert_true(auth_cache_get(c, &p, 1000 + 29999, &got));
	/* expired at ttl */
	assert_false(auth_cache_get(c, &p, 1000 + 30000, &got));
	assert_false(auth_cache_get(c, &p, 1000, &got)); /* and gone */

	auth_cache_put(c, &p, 2000, &who);
	struct auth_presented wrong;
	basic(&wrong, "alice", "s3cret:pX");
	assert_false(auth_cache_get(c, &wrong, 2000, &got));
	basic(&wrong, "alice", "s3cret:p");
	assert_false(auth_cache_get(c, &wrong, 2000, &got));
	basic(&wrong, "alicE", "s3cret:pw");
	assert_false(auth_cache_get(c, &wrong, 2000, &got));
	/* the same bytes split differently are other credentials */
	struct auth_presented a, b;
	basic(&a, "ab", "c0123456789");
	basic(&b, "a", "bc0123456789");
	auth_cache_put(c, &a, 2000, &who);
	assert_false(auth_cache_get(c, &b, 2000, &got));
	/* a token is not a password */
	struct auth_presented t = bearer("s3cret:pw");
	assert_false(auth_cache_get(c, &t, 2000, &got));
	struct auth_identity bob = identity(8, "bob", false);
	auth_cache_put(c, &t, 2000, &bob);
	assert_true(auth_cache_get(c, &t, 2000, &got));
	assert_int_equal(got.user_id, 8);
	assert_false(got.is_admin);
	assert_true(auth_cache_get(c, &p, 2000, &got));
	assert_int_equal(got.user_id, 7);
	/* a put again refreshes the expiry */
	auth_cache_put(c, &p, 20000, &who);
	assert_true(auth_cache_get(c, &p, 2000 + 30000, &got));
	/* nothing is cached for no or bad credentials */
	struct auth_presented none, invalid;
	parse_into(&none, NULL);
	parse_into(&invalid, "Digest x");
	auth_cache_put(c, &none, 2000, &who);
	auth_cache_put(c, &invalid, 2000, &who);
	assert_false(auth_cache_get(c, &none, 2000, &got));
	assert_false(auth_cache_get(c, &invalid, 2000, &got));

	/* forget_user drops every entry of that user, only those */
	auth_cache_forget_user(c, 7);
	assert_false(auth_cache_get(c, &p, 20000, &got));
	assert_false(auth_cache_get(c, &a, 2000, &got));
	assert_true(auth_cache_get(c, &t, 2000, &got));
	auth_cache_forget_user(c, 8);
	assert_false(auth_cache_get(c, &t, 2000, &got));
	auth_cache_free(c);
	auth_cache_free(NULL);
}

static void test_cache_off_and_capacity(void **state)
{
	(void)state;
	struct auth_identity who = identity(1, "u", false), got;
	struct auth_presented p;
	basic(&p, "u", "password1234");
	/* ttl 0: the cache is off */
	struct auth_cache *c = auth_cache_new(16, 0);
	assert_non_null(c);
	auth_cache_put(c, &p, 1, &who);
	assert_false(auth_cache_get(c, &p, 1, &got));
	auth_cache_forget_user(c, 1);
	auth_cache_free(c);
	c = auth_cache_new(0, 1000);
	assert_non_null(c);
	auth_cache_put(c, &p, 1, &who);
	assert_false(auth_cache_get(c, &p, 1, &got));
	auth_cache_free(c);

	/* capacity 4: the fifth entry pushes out the first */
	c = auth_cache_new(4, 1000000);
	char name[16];
	struct auth_presented ps[5];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		basic(&ps[i], name, "password1234");
		who = identity(i, name, false);
		auth_cache_put(c, &ps[i], 10, &who);
	}
	assert_false(auth_cache_get(c, &ps[0], 10, &got));
	for (int i = 1; i < 5; i++) {
		assert_true(auth_cache_get(c, &ps[i], 10, &got));
		assert_int_equal(got.user_id, i);
	}
	auth_cache_free(c);

	/* many entries through a small cache, with forgetting and expiry on the
	 * way: the most recent `capacity` entries are always found, whatever
	 * the index had to move */
	c = auth_cache_new(64, 50);
	static struct auth_presented many[2000];
	static char tokens[2000][24];
	for (int i = 0; i < 2000; i++) {
		snprintf(tokens[i], sizeof(tokens[i]), "tok-%d", i);
		many[i] = bearer(tokens[i]);
		who = identity(i % 10, "u", false);
		auth_cache_put(c, &many[i], i, &who);
		if (i % 97 == 0)
			auth_cache_forget_user(c, 3);
		int lo = i - 63 > 0 ? i - 63 : 0;
		for (int k = lo; k <= i; k++) {
			bool hit = auth_cache_get(c, &many[k], i, &got);
			/* alive (ttl 50), and not forgotten since it was put (user 3
			 * is forgotten at every step that is a multiple of 97) */
			bool want = k + 50 > i && !(k % 10 == 3 && (i / 97) * 97 >= k);
			if (hit != want)
				fail_msg("entry %d at step %d: %s", k, i, hit ? "found" : "missing");
			if (hit)
				assert_int_equal(got.user_id, k % 10);
		}
		if (i >= 64)
			assert_false(auth_cache_get(c, &many[i - 64], i, &got));
	}
	auth_cache_free(c);
}

/* ---- many threads at once ---- */

#define THREADS 4
#define THREAD_KEYS 200
#define THREAD_STEPS 100000 /* enough for the threads to overlap on a busy machine */

static pthread_barrier_t threads_start;

struct thread_job {
	struct auth_cache *cache;
	struct auth_limiter *limiter;
	int id;
	int wrong;
};

/* Each thread puts, gets and forgets its own tokens through one small
 * cache (so entries of all threads push each other out and the index
 * moves all the time): a hit must give the identity put for that token,
 * and the limiter must count each thread's own address. */
static void *hammer(void *arg)
{
	struct thread_job *job = arg;
	char tokens[THREAD_KEYS][32];
	for (int k = 0; k < THREAD_KEYS; k++)
		snprintf(tokens[k], sizeof(tokens[k]), "t%d-%d", job->id, k);
	char addr[32];
	snprintf(addr, sizeof(addr), "10.1.0.%d", job->id);
	uint32_t seed = 2463534242u + (uint32_t)job->id;
	pthread_barrier_wait(&threads_start);
	for (int step = 0; step < THREAD_STEPS; step++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		int k = (int)(seed % THREAD_KEYS);
		struct auth_presented p = bearer(tokens[k]);
		int64_t user = job->id * 1000 + k % 10;
		struct auth_identity who = identity(user, tokens[k], false), got;
		switch ((seed >> 8) % 4) {
		case 0:
		case 1:
			auth_cache_put(job->cache, &p, 1, &who);
			break;
		case 2:
			if (auth_cache_get(job->cache, &p, 1, &got) &&
			    (got.user_id != user || strcmp(got.username, tokens[k]) != 0))
				job->wrong++;
			break;
		default:
			if (step % 64 == 0)
				auth_cache_forget_user(job->cache, user);
			break;
		}
		if (step % 1000 == 0) {
			for (int i = 0; i < AUTH_LIMIT_FREE; i++)
				auth_limiter_failed(job->limiter, addr, 0);
			if (auth_limiter_wait(job->limiter, addr, 0) != 0)
				job->wrong++;
			auth_limiter_failed(job->limiter, addr, 0);
			if (auth_limiter_wait(job->limiter, addr, 0) != 1)
				job->wrong++;
			auth_limiter_succeeded(job->limiter, addr);
			if (auth_limiter_wait(job->limiter, addr, 0) != 0)
				job->wrong++;
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct auth_cache *c = auth_cache_new(64, 1000);
	struct auth_limiter *l = auth_limiter_new();
	pthread_t t[THREADS];
	struct thread_job jobs[THREADS];
	assert_int_equal(pthread_barrier_init(&threads_start, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (struct thread_job){ c, l, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &jobs[i]), 0);
	}
	/* (a table corrupted by a race can loop forever: that is a failure
	 * too, after a deadline far beyond the second or so this takes) */
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 300;
	for (int i = 0; i < THREADS; i++) {
		if (pthread_timedjoin_np(t[i], NULL, &deadline) != 0)
			fail_msg("thread %d did not finish: the cache or the limiter is stuck", i);
		assert_int_equal(jobs[i].wrong, 0);
	}
	pthread_barrier_destroy(&threads_start);
	/* and the cache still works */
	struct auth_presented p = bearer("after");
	struct auth_identity who = identity(99, "after", false), got;
	auth_cache_put(c, &p, 1, &who);
	assert_true(auth_cache_get(c, &p, 1, &got));
	assert_int_equal(got.user_id, 99);
	auth_cache_free(c);
	auth_limiter_free(l);
}

/* ---- config ---- */

static int parse_cfg(const char *text, struct auth_config *cfg, struct mlf_err *err)
{
	return auth_config_parse(text, strlen(text), "auth.ini", cfg, err);
}

static void test_config_defaults_and_values(void **state)
{
	(void)state;
	struct auth_config cfg;
	struct mlf_err err;
	assert_int_equal(parse_cfg("", &cfg, &err), 0);
	assert_int_equal(cfg.default_permission, AUTH_PERM_READ);
	assert_null(cfg.database_uri);
	assert_string_equal(cfg.admin_username, "admin");
	assert_null(cfg.admin_password);
	assert_int_equal(cfg.cache_ttl_ms, 30000);
	auth_config_release(&cfg);

	/* MLflow's packaged file, with our admin password */
	const char *mlflow_ini = "[mlflow]\n"
				 "default_permission = READ\n"
				 "database_uri = sqlite:///basic_auth.db\n"
				 "admin_username = admin\n"
				 "admin_password = password1234\n"
				 "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n";
	assert_int_equal(parse_cfg(mlflow_ini, &cfg, &err), 0);
	assert_int_equal(cfg.default_permission, AUTH_PERM_READ);
	assert_string_equal(cfg.database_uri, "sqlite:///basic_auth.db");
	assert_string_equal(cfg.admin_username, "admin");
	assert_string_equal(cfg.admin_password, "password1234");
	auth_config_release(&cfg);
	assert_null(cfg.admin_username);

	const char *text = "# a comment\r\n"
			   "; another\n"
			   "\n"
			   "[other]\n"
			   "admin_username = not-this-one\n"
			   "   # an indented comment\n"
			   "[mlflow]\n"
			   "DEFAULT_PERMISSION: NO_PERMISSIONS\r\n"
			   "Admin_Username=  root  \n"
			   "admin_password = p%%ss ; not a comment\n"
			   "auth_cache_ttl_seconds = 5\n"
			   "grant_default_workspace_access = true\n"
			   "auth_cache_max_size = 10000\n"
			   "\t\n"
			   "[more]\n"
			   "x = %(y)s\n";
	assert_int_equal(parse_cfg(text, &cfg, &err), 0);
	assert_int_equal(cfg.default_permission, AUTH_PERM_NONE);
	assert_string_equal(cfg.admin_username, "root");
	assert_string_equal(cfg.admin_password, "p%ss ; not a comment");
	assert_int_equal(cfg.cache_ttl_ms, 5000);
	assert_null(cfg.database_uri);
	auth_config_release(&cfg);

	/* [DEFAULT] fills what [mlflow] leaves */
	assert_int_equal(parse_cfg("[DEFAULT]\nadmin_password = from-default\ndefault_permission = EDIT\n"
				   "[mlflow]\ndefault_permission = MANAGE\nauth_cache_ttl_seconds = 0\n",
				   &cfg, &err),
			 0);
	assert_string_equal(cfg.admin_password, "from-default");
	assert_int_equal(cfg.default_permission, AUTH_PERM_MANAGE);
	assert_int_equal(cfg.cache_ttl_ms, 0);
	auth_config_release(&cfg);
	assert_int_equal(parse_cfg("[mlflow]\ndefault_permission = USE\nadmin_password =\n", &cfg, &err), -1);
	assert_int_equal(parse_cfg("[mlflow]\ndefault_permission = USE", &cfg, &err), 0); /* no final newline */
	assert_int_equal(cfg.default_permission, AUTH_PERM_USE);
	auth_config_release(&cfg);
}

static void expect_config_error(const char *text, size_t len, const char *where, const char *words)
{
	struct auth_config cfg;
	struct mlf_err err = { 0 };
	memset(&cfg, 0x5a, sizeof(cfg));
	if (auth_config_parse(text, len, "auth.ini", &cfg, &err) != -1)
		fail_msg("accepted: %s", text);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	if (strncmp(err.msg, where, strlen(where)) != 0 || !strstr(err.msg, words))
		fail_msg("for %s: '%s' (wanted %s...%s)", text, err.msg, where, words);
	/* cfg holds nothing */
	assert_null(cfg.admin_username);
	assert_null(cfg.admin_password);
	assert_null(cfg.database_uri);
	auth_config_release(&cfg);
}

#define CONFIG_ERROR(text, where, words) expect_config_error(text, strlen(text), where, words)

static void test_config_errors(void **state)
{
	(void)state;
	CONFIG_ERROR("[mlflow]\nadmin_username = a\n# c\nadmin_username = b\n", "auth.ini:4:", "twice");
	CONFIG_ERROR("[mlflow]\nadmin_username = a\nAdmin_Username = b\n", "auth.ini:3:", "twice");
	CONFIG_ERROR("[other]\nx = 1\nX = 2\n", "auth.ini:3:", "twice"); /* in any section, as configparser */
	CONFIG_ERROR("[mlflow]\nadmin_username = a\n[other]\n[mlflow]\n", "auth.ini:4:", "twice");
	CONFIG_ERROR("[mlflow]\nadmin_password = abc\n  def\n", "auth.ini:3:", "indented");
	CONFIG_ERROR("[mlflow]\n  admin_password = abc\n", "auth.ini:2:", "indented");
	CONFIG_ERROR("admin_password = abc\n[mlflow]\n", "auth.ini:1:", "before any [section]");
	CONFIG_ERROR("\n\n[mlflow]\nadmin_password\n", "auth.ini:4:", "key = value");
	CONFIG_ERROR("[mlflow]\n= value\n", "auth.ini:2:", "without a key");
	CONFIG_ERROR("[mlflow]\n : value\n", "auth.ini:2:", "indented");
	CONFIG_ERROR("[]\n", "auth.ini:1:", "section");
	CONFIG_ERROR("[mlflow\n", "auth.ini:1:", "section");
	CONFIG_ERROR("[mlflow]\ndefault_permission = read\n", "auth.ini:2:", "default_permission");
	CONFIG_ERROR("[mlflow]\ndefault_permission = ADMIN\n", "auth.ini:2:", "not a permission");
	CONFIG_ERROR("[mlflow]\n\nauthorization_function = mymod:check\n", "auth.ini:3:", "not supported");
	CONFIG_ERROR("[mlflow]\nadmin_password = %(user)s\n", "auth.ini:2:", "interpolation");
	CONFIG_ERROR("[mlflow]\nadmin_password = 100%\n", "auth.ini:2:", "interpolation");
	CONFIG_ERROR("[mlflow]\nauth_cache_ttl_seconds = -1\n", "auth.ini:2:", "auth_cache_ttl_seconds");
	CONFIG_ERROR("[mlflow]\nauth_cache_ttl_seconds = 1.5\n", "auth.ini:2:", "auth_cache_ttl_seconds");
	CONFIG_ERROR("[mlflow]\nauth_cache_ttl_seconds =\n", "auth.ini:2:", "auth_cache_ttl_seconds");
	CONFIG_ERROR("[mlflow]\nauth_cache_ttl_seconds = 99999999999\n", "auth.ini:2:", "auth_cache_ttl_seconds");
	CONFIG_ERROR("[mlflow]\nadmin_username =\n", "auth.ini:2:", "admin_username");
	CONFIG_ERROR("[mlflow]\ndatabase_uri = \n", "auth.ini:2:", "database_uri");
	CONFIG_ERROR("[DEFAULT]\nadmin_password = %x\n[mlflow]\n", "auth.ini:2:", "interpolation");
	expect_config_error("[mlflow]\nadmin_password = a\0b\n", sizeof("[mlflow]\nadmin_password = a\0b\n") - 1, "auth.ini:", "NUL");
	/* a name longer than AUTH_USERNAME_MAX */
	char text[600];
	int n = snprintf(text, sizeof(text), "[mlflow]\nadmin_username = ");
	memset(text + n, 'u', AUTH_USERNAME_MAX + 1);
	text[n + AUTH_USERNAME_MAX + 1] = '\0';
	CONFIG_ERROR(text, "auth.ini:2:", "admin_username");
	/* a line of 4097 bytes; a text over 64 KiB */
	char *big = malloc(70 * 1024);
	n = snprintf(big, 70 * 1024, "[mlflow]\n#");
	memset(big + n, 'c', 4096);
	big[n + 4096] = '\0';
	CONFIG_ERROR(big, "auth.ini:2:", "longer than 4096");
	big[n + 4095] = '\0'; /* 4096 bytes: fine */
	struct auth_config cfg;
	struct mlf_err err;
	assert_int_equal(parse_cfg(big, &cfg, &err), 0);
	auth_config_release(&cfg);
	memset(big, '\n', 64 * 1024 + 1);
	expect_config_error(big, 64 * 1024 + 1, "auth.ini:", "64 KiB");
	assert_int_equal(auth_config_parse(big, 64 * 1024, "auth.ini", &cfg, &err), 0);
	auth_config_release(&cfg);
	free(big);
}

static void test_config_load(void **state)
{
	(void)state;
	struct auth_config cfg;
	struct mlf_err err;
	unsetenv("MLFLOW_AUTH_ADMIN_PASSWORD");
	assert_int_equal(auth_config_load(NULL, &cfg, &err), 0);
	assert_null(cfg.admin_password);
	auth_config_release(&cfg);
	setenv("MLFLOW_AUTH_ADMIN_PASSWORD", "from-the-environment", 1);
	assert_int_equal(auth_config_load(NULL, &cfg, &err), 0);
	assert_string_equal(cfg.admin_password, "from-the-environment");
	assert_string_equal(cfg.admin_username, "admin");
	auth_config_release(&cfg);

	char path[] = "/tmp/test_auth_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "[mlflow]\nadmin_username = boss\nadmin_password = from-the-file\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(auth_config_load(path, &cfg, &err), 0);
	assert_string_equal(cfg.admin_username, "boss");
	assert_string_equal(cfg.admin_password, "from-the-environment"); /* the environment wins */
	auth_config_release(&cfg);
	unsetenv("MLFLOW_AUTH_ADMIN_PASSWORD");
	assert_int_equal(auth_config_load(path, &cfg, &err), 0);
	assert_string_equal(cfg.admin_password, "from-the-file");
	auth_config_release(&cfg);
	/* errors name the file */
	const char *bad = "[mlflow]\nnothing\n";
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, bad, strlen(bad), 0), (ssize_t)strlen(bad));
	assert_int_equal(auth_config_load(path, &cfg, &err), -1);
	char where[64];
	snprintf(where, sizeof(where), "%s:2:", path);
	assert_true(strncmp(err.msg, where, strlen(where)) == 0);
	/* a file over 64 KiB */
	char *big = calloc(1, 65 * 1024);
	memset(big, '\n', 65 * 1024);
	assert_int_equal(pwrite(fd, big, 65 * 1024, 0), 65 * 1024);
	assert_int_equal(auth_config_load(path, &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "64 KiB"));
	free(big);
	close(fd);
	unlink(path);
	assert_int_equal(auth_config_load(path, &cfg, &err), -1);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(err.msg, path));
}

/* ---- permissions ---- */

static void test_permissions(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum auth_permission p;
	} names[] = {
		{ "NO_PERMISSIONS", AUTH_PERM_NONE }, { "READ", AUTH_PERM_READ },     { "USE", AUTH_PERM_USE },
		{ "EDIT", AUTH_PERM_EDIT },	      { "MANAGE", AUTH_PERM_MANAGE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		enum auth_permission p = AUTH_PERM_MANAGE + 1;
		assert_true(auth_permission_parse(names[i].name, &p));
		assert_int_equal(p, names[i].p);
		assert_string_equal(auth_permission_name(names[i].p), names[i].name);
	}
	enum auth_permission p = AUTH_PERM_EDIT;
	static const char *const bad[] = { "read", "Read", "", "NONE", "READ ", " READ", "MANAGER", "ADMIN" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_false(auth_permission_parse(bad[i], &p));
	assert_false(auth_permission_parse(NULL, &p));
	assert_int_equal(p, AUTH_PERM_EDIT);
	/* the levels rank as MLflow's do */
	assert_true(AUTH_PERM_NONE < AUTH_PERM_READ && AUTH_PERM_READ < AUTH_PERM_USE && AUTH_PERM_USE < AUTH_PERM_EDIT &&
		    AUTH_PERM_EDIT < AUTH_PERM_MANAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argon2id),
		cmocka_unit_test(test_argon2_rehash_and_bounds),
		cmocka_unit_test(test_werkzeug_published_vectors),
		cmocka_unit_test(test_werkzeug_generated),
		cmocka_unit_test(test_werkzeug_default_iterations),
		cmocka_unit_test(test_werkzeug_refused),
		cmocka_unit_test(test_werkzeug_bounds),
		cmocka_unit_test(test_password_acceptable),
		cmocka_unit_test(test_credentials_basic),
		cmocka_unit_test(test_credentials_invalid),
		cmocka_unit_test(test_credentials_bearer),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_limiter_doubling),
		cmocka_unit_test(test_limiter_full),
		cmocka_unit_test(test_cache_basic),
		cmocka_unit_test(test_cache_off_and_capacity),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_config_defaults_and_values),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_load),
		cmocka_unit_test(test_permissions),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
