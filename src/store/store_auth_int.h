/*
 * store_auth_int.h - what the front of users and permissions
 * (store_auth.c) and its backends (store_sqlite_auth.c, store_pg_auth.c)
 * share: how a permission and a token kind are spelled in a row, and the
 * row conditions a backend reports (store_auth_row_fail) for the front to
 * word as MLflow's auth store does. Not for use outside src/store.
 */
#ifndef MLF_STORE_AUTH_INT_H
#define MLF_STORE_AUTH_INT_H

#include "store_auth.h"

/* Row conditions of the auth tables, in mlf_err.detail (distinct from
 * store.h's STORE_ROW_*). */
enum store_auth_row {
	STORE_AUTH_ROW_USER_EXISTS = 1000, /* the username is taken */
	STORE_AUTH_ROW_USER_MISSING,       /* no user of that name or id */
	STORE_AUTH_ROW_PERMISSION_EXISTS,  /* the user has a row for that key already */
	STORE_AUTH_ROW_PERMISSION_MISSING, /* the user has no row for that key */
	STORE_AUTH_ROW_TOKEN_EXISTS,       /* a token has that digest already */
	STORE_AUTH_ROW_TOKEN_MISSING,      /* no token of that digest, or not the user's */
};

/* Fills `err` with the condition (code and a plain message; the front
 * rewords it) and returns -1. */
int store_auth_row_fail(struct mlf_err *err, enum store_auth_row row);

/* The front's checks of a username and password hash, and of a
 * permission's key (store_auth.h), for the takeover to run on every row
 * before it writes. 0, or -1 with `err` set. */
int store_auth_check_user(const char *username, const char *password_hash, struct mlf_err *err);
int store_auth_check_key(enum store_auth_resource r, const char *key, struct mlf_err *err);

/* How a permission is kept in a row: MLflow's name ("READ", "MANAGE",
 * "NO_PERMISSIONS"...), static. */
const char *store_auth_permission_text(enum auth_permission p);
/* The level a row's text names; false for a text that is none. */
bool store_auth_permission_from_text(const char *text, enum auth_permission *out);

/* How a token kind is kept in a row ("api", "session"), static. */
const char *store_auth_kind_text(enum store_token_kind k);
/* The kind a row's text names (a text that is none reads as a session,
 * the kind that grants least). */
enum store_token_kind store_auth_kind_from_text(const char *text);

#endif
