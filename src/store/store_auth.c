/*
 * store_auth.c - the front of users, permissions, tokens and the audit
 * trail (store_auth.h): checks every input before a backend sees it,
 * stamps writes with the store's clock (util_now_ms, as store.c does) and
 * words the row conditions a backend reports (store_auth_int.h) with the
 * messages of MLflow's auth store ("User with username=... not found").
 * It also keeps the spelling of permissions and token kinds in rows, which
 * both backends and the takeover share.
 */
#include "store_auth_int.h"
#include "../base/util.h"

#define AUTH(st) ((st)->auth)

/* The longest username, key, token name or digest (MLflow's VARCHAR(255)). */
#define AUTH_NAME_MAX 255
/* The longest stored password hash (argon2id and Werkzeug strings are far shorter). */
#define AUTH_HASH_MAX 1024
#define AUDIT_PAGE_MAX 10000

/* ---- spellings ---------------------------------------------------------------- */

static const char *const permission_texts[] = {
	[AUTH_PERM_NONE] = "NO_PERMISSIONS", [AUTH_PERM_READ] = "READ", [AUTH_PERM_USE] = "USE",
	[AUTH_PERM_EDIT] = "EDIT",           [AUTH_PERM_MANAGE] = "MANAGE",
};

static bool permission_valid(enum auth_permission p)
{
	return (unsigned)p < ARRAY_SIZE(permission_texts);
}

const char *store_auth_permission_text(enum auth_permission p)
{
	return permission_valid(p) ? permission_texts[p] : "NO_PERMISSIONS";
}

bool store_auth_permission_from_text(const char *text, enum auth_permission *out)
{
	for (size_t i = 0; text && i < ARRAY_SIZE(permission_texts); i++)
		if (!strcmp(permission_texts[i], text)) {
			*out = (enum auth_permission)i;
			return true;
		}
	return false;
}

static const char *const kind_texts[] = { [STORE_TOKEN_API] = "api", [STORE_TOKEN_SESSION] = "session" };

const char *store_auth_kind_text(enum store_token_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_texts) ? kind_texts[k] : "session";
}

enum store_token_kind store_auth_kind_from_text(const char *text)
{
	return text && !strcmp(text, kind_texts[STORE_TOKEN_API]) ? STORE_TOKEN_API : STORE_TOKEN_SESSION;
}

/* ---- row conditions ---------------------------------------------------------------- */

static const struct {
	enum mlf_code code;
	const char *text;
} row_conditions[] = {
	[STORE_AUTH_ROW_USER_EXISTS - STORE_AUTH_ROW_USER_EXISTS] = { MLF_RESOURCE_ALREADY_EXISTS, "user exists" },
	[STORE_AUTH_ROW_USER_MISSING - STORE_AUTH_ROW_USER_EXISTS] = { MLF_RESOURCE_DOES_NOT_EXIST, "user not found" },
	[STORE_AUTH_ROW_PERMISSION_EXISTS - STORE_AUTH_ROW_USER_EXISTS] = { MLF_RESOURCE_ALREADY_EXISTS,
									    "permission exists" },
	[STORE_AUTH_ROW_PERMISSION_MISSING - STORE_AUTH_ROW_USER_EXISTS] = { MLF_RESOURCE_DOES_NOT_EXIST,
									     "permission not found" },
	[STORE_AUTH_ROW_TOKEN_EXISTS - STORE_AUTH_ROW_USER_EXISTS] = { MLF_RESOURCE_ALREADY_EXISTS,
								       "a token with this digest exists" },
	[STORE_AUTH_ROW_TOKEN_MISSING - STORE_AUTH_ROW_USER_EXISTS] = { MLF_RESOURCE_DOES_NOT_EXIST, "token not found" },
};

int store_auth_row_fail(struct mlf_err *err, enum store_auth_row row)
{
	size_t i = (size_t)(row - STORE_AUTH_ROW_USER_EXISTS);
	if (i >= ARRAY_SIZE(row_conditions))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "auth row condition %d", (int)row);
	mlf_errorf(err, row_conditions[i].code, "%s", row_conditions[i].text);
	if (err)
		err->detail = (int)row;
	return -1;
}

/* The row condition a failed backend call reported; 0 for any other failure. */
static int row_of(const struct mlf_err *err)
{
	return err && err->detail >= STORE_AUTH_ROW_USER_EXISTS && err->detail <= STORE_AUTH_ROW_TOKEN_MISSING
		       ? err->detail
		       : 0;
}

/* Rewords `err` (keeping its code and row) with MLflow's message; -1. */
static int reword(struct mlf_err *err, const char *fmt, ...) MLF_PRINTF(2, 3);
static int reword(struct mlf_err *err, const char *fmt, ...)
{
	int row = err->detail;
	enum mlf_code code = err->code;
	char msg[MLF_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mlf_errorf(err, code, "%s", msg);
	err->detail = row;
	return -1;
}

static int user_missing_by_name(struct mlf_err *err, const char *username)
{
	return reword(err, "User with username=%s not found", username);
}

static int user_missing_by_id(struct mlf_err *err, int64_t id)
{
	return reword(err, "User with id=%lld not found", (long long)id);
}

/* The name of user `id` for a message, in `a`; "id=N" in brackets when
 * it cannot be read. */
static const char *username_of(struct store *st, int64_t id, struct arena *a)
{
	struct store_user u;
	struct mlf_err e;
	if (AUTH(st)->user_get(st, NULL, id, &u, a, &e) == 0)
		return u.username;
	return arena_printf(a, "(id=%lld)", (long long)id);
}

/* Words a failed permission call on (r, key, user_id) as MLflow does. */
static int permission_failed(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
			     struct mlf_err *err)
{
	int row = row_of(err);
	if (row == STORE_AUTH_ROW_USER_MISSING)
		return user_missing_by_id(err, user_id);
	if (row != STORE_AUTH_ROW_PERMISSION_EXISTS && row != STORE_AUTH_ROW_PERMISSION_MISSING)
		return -1;
	struct arena a = ARENA_INIT;
	const char *who = username_of(st, user_id, &a);
	bool exists = row == STORE_AUTH_ROW_PERMISSION_EXISTS;
	if (r == STORE_AUTH_EXPERIMENT)
		exists ? reword(err, "Experiment permission (experiment_id=%s, username=%s) already exists", key, who)
		       : reword(err, "Experiment permission with experiment_id=%s and username=%s not found", key, who);
	else
		exists ? reword(err, "Registered model permission (name=%s, username=%s) already exists", key, who)
		       : reword(err, "Registered model permission with name=%s and username=%s not found", key, who);
	arena_release(&a);
	return -1;
}

/* ---- input checks ---------------------------------------------------------------- */

static int no_users(struct mlf_err *err)
{
	return mlf_errorf(err, MLF_NOT_IMPLEMENTED, "this backend store keeps no users");
}

/* Whether s[0..n) holds a control character: C0, DEL or C1 (U+0080..U+009F,
 * which UTF-8 writes as C2 80..C2 9F). */
static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
					      (unsigned char)s[i + 1] <= 0x9f))
			return true;
	}
	return false;
}

/* 1..max bytes of valid UTF-8 without control characters. */
static int check_text(const char *what, const char *s, size_t max, struct mlf_err *err)
{
	if (!s || !*s)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s must not be empty", what);
	size_t n = strlen(s);
	if (n > max)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s must be at most %zu bytes, not %zu", what, max,
				  n);
	if (!util_utf8_valid(s, n) || has_control(s, n))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "%s must be valid UTF-8 without control characters", what);
	return 0;
}

static int check_username(const char *username, struct mlf_err *err)
{
	return check_text("Username", username, AUTH_NAME_MAX, err);
}

static int check_hash(const char *hash, struct mlf_err *err)
{
	return check_text("Password hash", hash, AUTH_HASH_MAX, err);
}

static int check_resource(enum store_auth_resource r, const char *key, struct mlf_err *err)
{
	if (r != STORE_AUTH_EXPERIMENT && r != STORE_AUTH_REGISTERED_MODEL)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "unknown permission resource %d", (int)r);
	const char *what = r == STORE_AUTH_EXPERIMENT ? "Experiment id" : "Registered model name";
	if (!key || !*key)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s must not be empty", what);
	size_t n = strlen(key);
	if (n > AUTH_NAME_MAX)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s must be at most %d bytes, not %zu", what,
				  AUTH_NAME_MAX, n);
	return 0;
}

int store_auth_check_user(const char *username, const char *password_hash, struct mlf_err *err)
{
	return check_username(username, err) < 0 || check_hash(password_hash, err) < 0 ? -1 : 0;
}

int store_auth_check_key(enum store_auth_resource r, const char *key, struct mlf_err *err)
{
	return check_resource(r, key, err);
}

static int check_permission(const struct store_permission *p, struct mlf_err *err)
{
	if (!p)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "no permission given");
	if (check_resource(p->resource, p->key, err) < 0)
		return -1;
	if (!permission_valid(p->permission))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid permission level %d", (int)p->permission);
	return 0;
}

static int check_kind(enum store_token_kind kind, struct mlf_err *err)
{
	if (kind != STORE_TOKEN_API && kind != STORE_TOKEN_SESSION)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "unknown token kind %d", (int)kind);
	return 0;
}

/* ---- users ------------------------------------------------------------------------ */

int store_auth_user_create(struct store *st, const char *username, const char *password_hash, bool is_admin,
			   int64_t *id, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_username(username, err) < 0 || check_hash(password_hash, err) < 0)
		return -1;
	if (AUTH(st)->user_create(st, username, password_hash, is_admin, util_now_ms(), id, err) < 0)
		return row_of(err) == STORE_AUTH_ROW_USER_EXISTS
			       ? reword(err, "User (username=%s) already exists", username)
			       : -1;
	return 0;
}

int store_auth_user_get(struct store *st, const char *username, struct store_user *out, struct arena *a,
			struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_username(username, err) < 0)
		return -1;
	if (AUTH(st)->user_get(st, username, 0, out, a, err) < 0)
		return row_of(err) == STORE_AUTH_ROW_USER_MISSING ? user_missing_by_name(err, username) : -1;
	return 0;
}

int store_auth_user_get_by_id(struct store *st, int64_t id, struct store_user *out, struct arena *a,
			      struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (AUTH(st)->user_get(st, NULL, id, out, a, err) < 0)
		return row_of(err) == STORE_AUTH_ROW_USER_MISSING ? user_missing_by_id(err, id) : -1;
	return 0;
}

int store_auth_user_list(struct store *st, struct store_user **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	return AUTH(st)->user_list(st, out, n, a, err);
}

int store_auth_user_set_password(struct store *st, const char *username, const char *password_hash,
				 struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_username(username, err) < 0 || check_hash(password_hash, err) < 0)
		return -1;
	if (AUTH(st)->user_set_password(st, username, password_hash, util_now_ms(), err) < 0)
		return row_of(err) == STORE_AUTH_ROW_USER_MISSING ? user_missing_by_name(err, username) : -1;
	return 0;
}

int store_auth_user_set_admin(struct store *st, const char *username, bool is_admin, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_username(username, err) < 0)
		return -1;
	if (AUTH(st)->user_set_admin(st, username, is_admin, err) < 0)
		return row_of(err) == STORE_AUTH_ROW_USER_MISSING ? user_missing_by_name(err, username) : -1;
	return 0;
}

int store_auth_user_delete(struct store *st, const char *username, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_username(username, err) < 0)
		return -1;
	if (AUTH(st)->user_delete(st, username, err) < 0)
		return row_of(err) == STORE_AUTH_ROW_USER_MISSING ? user_missing_by_name(err, username) : -1;
	return 0;
}

int store_auth_user_count_admins(struct store *st, int64_t *n, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	return AUTH(st)->user_count_admins(st, n, err);
}

/* ---- permissions -------------------------------------------------------------------- */

int store_auth_permission_create(struct store *st, const struct store_permission *p, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_permission(p, err) < 0)
		return -1;
	if (AUTH(st)->permission_create(st, p, err) < 0)
		return permission_failed(st, p->resource, p->key, p->user_id, err);
	return 0;
}

int store_auth_permission_get(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
			      struct store_permission *out, struct arena *a, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_resource(r, key, err) < 0)
		return -1;
	if (AUTH(st)->permission_get(st, r, key, user_id, out, a, err) < 0)
		return permission_failed(st, r, key, user_id, err);
	return 0;
}

int store_auth_permission_update(struct store *st, const struct store_permission *p, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_permission(p, err) < 0)
		return -1;
	if (AUTH(st)->permission_update(st, p, err) < 0)
		return permission_failed(st, p->resource, p->key, p->user_id, err);
	return 0;
}

int store_auth_permission_delete(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
				 struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_resource(r, key, err) < 0)
		return -1;
	if (AUTH(st)->permission_delete(st, r, key, user_id, err) < 0)
		return permission_failed(st, r, key, user_id, err);
	return 0;
}

int store_auth_permission_list_user(struct store *st, int64_t user_id, enum store_auth_resource r,
				    struct store_permission **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (r != STORE_AUTH_EXPERIMENT && r != STORE_AUTH_REGISTERED_MODEL)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "unknown permission resource %d", (int)r);
	return AUTH(st)->permission_list_user(st, user_id, r, out, n, a, err);
}

int store_auth_permission_rename_key(struct store *st, enum store_auth_resource r, const char *old_key,
				     const char *new_key, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_resource(r, old_key, err) < 0 || check_resource(r, new_key, err) < 0)
		return -1;
	if (!strcmp(old_key, new_key))
		return 0;
	return AUTH(st)->permission_rename_key(st, r, old_key, new_key, err);
}

int store_auth_permission_delete_key(struct store *st, enum store_auth_resource r, const char *key,
				     struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_resource(r, key, err) < 0)
		return -1;
	return AUTH(st)->permission_delete_key(st, r, key, err);
}

/* ---- tokens ------------------------------------------------------------------------- */

int store_auth_token_create(struct store *st, int64_t user_id, enum store_token_kind kind, const char *name,
			    const char *digest, int64_t expiry_time, int64_t *id, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_kind(kind, err) < 0 || check_text("Token digest", digest, AUTH_NAME_MAX, err) < 0)
		return -1;
	if (!name)
		name = "";
	if (*name && check_text("Token name", name, AUTH_NAME_MAX, err) < 0)
		return -1;
	if (expiry_time < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Token expiry must not be negative");
	if (AUTH(st)->token_create(st, user_id, kind, name, digest, util_now_ms(), expiry_time, id, err) < 0) {
		int row = row_of(err);
		if (row == STORE_AUTH_ROW_USER_MISSING)
			return user_missing_by_id(err, user_id);
		if (row == STORE_AUTH_ROW_TOKEN_EXISTS)
			return reword(err, "A token with this digest exists already");
		return -1;
	}
	return 0;
}

int store_auth_token_lookup(struct store *st, const char *digest, struct store_token *out, struct store_user *user,
			    struct arena *a, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_text("Token digest", digest, AUTH_NAME_MAX, err) < 0)
		return -1;
	if (AUTH(st)->token_lookup(st, digest, out, user, a, err) < 0)
		return row_of(err) == STORE_AUTH_ROW_TOKEN_MISSING ? reword(err, "Token not found") : -1;
	return 0;
}

int store_auth_token_list(struct store *st, int64_t user_id, enum store_token_kind kind, struct store_token **out,
			  size_t *n, struct arena *a, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (check_kind(kind, err) < 0)
		return -1;
	return AUTH(st)->token_list(st, user_id, kind, out, n, a, err);
}

int store_auth_token_revoke(struct store *st, int64_t user_id, int64_t id, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (AUTH(st)->token_revoke(st, user_id, id, err) < 0)
		return row_of(err) == STORE_AUTH_ROW_TOKEN_MISSING
			       ? reword(err, "Token with id=%lld not found", (long long)id)
			       : -1;
	return 0;
}

int store_auth_token_touch(struct store *st, int64_t id, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	return AUTH(st)->token_touch(st, id, util_now_ms(), err);
}

int store_auth_token_purge_expired(struct store *st, int64_t before, int64_t *n, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (before <= 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "purge needs a time (ms) after the epoch");
	return AUTH(st)->token_purge_expired(st, before, n, err);
}

/* ---- the audit trail ------------------------------------------------------------------ */

int store_auth_audit_append(struct store *st, const struct store_audit_entry *e, size_t n, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	for (size_t i = 0; i < n; i++) {
		if (!e[i].method || !*e[i].method || !e[i].path)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "an audit entry needs a method and a path");
		if (e[i].time < 0 || e[i].status < 0)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "an audit entry's time and status are >= 0");
	}
	if (n == 0)
		return 0;
	return AUTH(st)->audit_append(st, e, n, err);
}

int store_auth_audit_search(struct store *st, const struct store_audit_query *q, struct store_audit_row **out,
			    size_t *n, struct arena *a, struct mlf_err *err)
{
	if (!AUTH(st))
		return no_users(err);
	if (q->max_results < 1 || q->max_results > AUDIT_PAGE_MAX)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "max_results must be between 1 and %d, not %lld",
				  AUDIT_PAGE_MAX, (long long)q->max_results);
	if (q->since < 0 || q->until < 0 || q->before_id < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "audit times and page ids are >= 0");
	return AUTH(st)->audit_search(st, q, out, n, a, err);
}
