/*
 * auth_password.h - password hashes: new ones with argon2id (libsodium's
 * crypto_pwhash_str, a memory-hard KDF), and verification of every form a
 * user's stored hash may take: our argon2id strings and the Werkzeug
 * strings of an MLflow auth database taken over (spec §14.2:
 * "scrypt:N:r:p$salt$hex" and "pbkdf2:sha256:iterations$salt$hex"), so
 * its users sign in with their old passwords and are re-hashed then.
 *
 * Comparisons of derived keys are constant-time. A stored string that does
 * not parse never verifies (it is not an error a caller could tell from a
 * wrong password). Parameters read from a stored string are bounded
 * (scrypt N <= 2^20, r*p <= 2^10, and N*r, N*r*p <= 2^23: at most 1 GiB
 * and 32 times Werkzeug's default work; pbkdf2 iterations <= 10^7; argon2
 * m <= 1 GiB, t <= 16, m*t <= 4 GiB, p <= 16), so a crafted database
 * cannot make one sign-in take minutes or all memory. A Werkzeug method
 * without parameters takes Werkzeug's defaults ("scrypt": 32768:8:1;
 * "pbkdf2", "pbkdf2:sha256": 1000000 iterations, today's Werkzeug's
 * default; auth_password.c says why).
 */
#ifndef MLF_AUTH_PASSWORD_H
#define MLF_AUTH_PASSWORD_H

#include "../base/common.h"
#include "../base/err.h"

/* Room for any stored hash string this module writes, with its NUL. */
#define AUTH_PASSWORD_HASH_MAX 128

/* Initialises libsodium once; safe to call from many threads and many
 * times. -1 with `err` (INTERNAL_ERROR) when the library cannot start. */
int auth_password_init(struct mlf_err *err);

/* Hashes `password` (any bytes, `len` of them) with argon2id and a random
 * salt into `out` (NUL-terminated, at most AUTH_PASSWORD_HASH_MAX bytes
 * with the NUL). 0, or -1 with `err` set (out of memory). Takes tens of
 * milliseconds and tens of MiB by design. */
int auth_password_hash(const char *password, size_t len, char out[AUTH_PASSWORD_HASH_MAX], struct mlf_err *err);

enum auth_password_verdict {
	AUTH_PASSWORD_WRONG,   /* wrong password, or a stored string that does not parse */
	AUTH_PASSWORD_OK,      /* right, and the stored hash is current */
	AUTH_PASSWORD_REHASH,  /* right, but stored in an old form (Werkzeug, weaker argon2id
				  parameters): store auth_password_hash(password) instead */
};

/* Checks `password` against the stored string `stored`. */
enum auth_password_verdict auth_password_verify(const char *stored, const char *password, size_t len);

/* Whether `password` is acceptable for a new user: MLflow's rule, at least
 * 12 characters (counted as UTF-8 code points); *why (static) says what is
 * wrong otherwise. */
bool auth_password_acceptable(const char *password, const char **why);

#endif
