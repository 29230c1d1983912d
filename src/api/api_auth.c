/*
 * api_auth.c - the basic-auth app's REST API (spec §14.6), answering as
 * MLflow's does so `mlflow.server.get_app_client("basic-auth")` works
 * unchanged: users (create, get, list, current, update-password,
 * update-admin, delete) and experiment and registered-model permissions
 * (create, get, update, delete); and mlflowc's own: bearer tokens a user
 * makes and revokes, the UI's sign-in and sign-out, and the audit trail.
 *
 * Who may call what is the route table's business (routes_auth.c, checked
 * by the auth gate before a handler runs); the handlers here check what
 * only they can: a password's length, the current password when users
 * change their own, the last admin never removed.
 */
#include "api.h"
#include "api_auth.h"
#include "auth_gate.h"
#include "../auth/auth_credentials.h"
#include "../auth/auth_password.h"
#include "../base/util.h"
#include "../store/store_auth.h"
#include <string.h>
#include <time.h>

#define SESSION_MS (12LL * 3600 * 1000)          /* a UI sign-in lasts 12 hours */
#define TOKEN_MAX_DAYS 3650
#define TOKEN_NAME_MAX 255

static struct store *store_of(struct api_ctx *c)
{
	return c->app->store;
}

/* Refuses with NOT_IMPLEMENTED when the server runs without auth. */
static int need_auth(struct api_ctx *c)
{
	if (!c->app->auth)
		return mlf_errorf(c->err, MLF_NOT_IMPLEMENTED,
				  "authentication is off: start the server with --app-name basic-auth");
	return 0;
}

static int required(struct api_ctx *c, const char *name, const char **out)
{
	return param_string_required(c, name, out);
}

static int parse_permission(struct api_ctx *c, enum auth_permission *out)
{
	const char *name;
	if (required(c, "permission", &name) < 0)
		return -1;
	if (!auth_permission_parse(name, out))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid permission '%s'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', "
				  "'NO_PERMISSIONS')",
				  name);
	return 0;
}

static int user_named(struct api_ctx *c, const char *username, struct store_user *u)
{
	if (store_auth_user_get(store_of(c), username, u, c->a, c->err) < 0) {
		if (c->err->code == MLF_RESOURCE_DOES_NOT_EXIST)
			mlf_errorf(c->err, MLF_RESOURCE_DOES_NOT_EXIST, "User with username=%s not found", username);
		return -1;
	}
	return 0;
}

static void render_permissions(struct jw *w, const char *field, const struct store_permission *p, size_t n)
{
	jw_key(w, field);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kv_str(w, p[i].resource == STORE_AUTH_EXPERIMENT ? "experiment_id" : "name", p[i].key);
		jw_kv_int(w, "user_id", p[i].user_id);
		jw_kv_str(w, "permission", auth_permission_name(p[i].permission));
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* {"user": {...}}; with `permissions`, the user's rows too (users/get, create). */
static int render_user(struct api_ctx *c, const struct store_user *u, bool permissions)
{
	struct store_permission *ep = NULL, *mp = NULL;
	size_t ne = 0, nm = 0;
	if (permissions &&
	    (store_auth_permission_list_user(store_of(c), u->id, STORE_AUTH_EXPERIMENT, &ep, &ne, c->a, c->err) < 0 ||
	     store_auth_permission_list_user(store_of(c), u->id, STORE_AUTH_REGISTERED_MODEL, &mp, &nm, c->a, c->err) <
		     0))
		return -1;
	jw_key(&c->w, "user");
	jw_obj_begin(&c->w);
	jw_kv_int(&c->w, "id", u->id);
	jw_kv_str(&c->w, "username", u->username);
	jw_kv_bool(&c->w, "is_admin", u->is_admin);
	if (permissions) {
		render_permissions(&c->w, "experiment_permissions", ep, ne);
		render_permissions(&c->w, "registered_model_permissions", mp, nm);
		/* MLflow 3's client reads this field of every user; mlflowc has no scorers */
		jw_key(&c->w, "scorer_permissions");
		jw_arr_begin(&c->w);
		jw_arr_end(&c->w);
	}
	jw_obj_end(&c->w);
	return 0;
}

/* ---- users ------------------------------------------------------------------- */

int api_auth_user_create(struct api_ctx *c)
{
	const char *username, *password, *why;
	char hash[AUTH_PASSWORD_HASH_MAX];
	int64_t id;
	struct store_user u;
	if (need_auth(c) < 0 || required(c, "username", &username) < 0 || required(c, "password", &password) < 0)
		return -1;
	if (!auth_password_acceptable(password, &why))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "%s", why);
	if (auth_password_hash(password, strlen(password), hash, c->err) < 0)
		return -1;
	if (store_auth_user_create(store_of(c), username, hash, false, &id, c->err) < 0) {
		if (c->err->code == MLF_RESOURCE_ALREADY_EXISTS)
			mlf_errorf(c->err, MLF_RESOURCE_ALREADY_EXISTS, "User (username=%s) already exists.", username);
		return -1;
	}
	if (user_named(c, username, &u) < 0)
		return -1;
	return render_user(c, &u, true);
}

int api_auth_user_get(struct api_ctx *c)
{
	const char *username;
	struct store_user u;
	if (need_auth(c) < 0 || required(c, "username", &username) < 0 || user_named(c, username, &u) < 0)
		return -1;
	return render_user(c, &u, true);
}

int api_auth_user_list(struct api_ctx *c)
{
	struct store_user *u;
	size_t n;
	if (need_auth(c) < 0 || store_auth_user_list(store_of(c), &u, &n, c->a, c->err) < 0)
		return -1;
	jw_key(&c->w, "users");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(&c->w);
		jw_kv_int(&c->w, "id", u[i].id);
		jw_kv_str(&c->w, "username", u[i].username);
		jw_kv_bool(&c->w, "is_admin", u[i].is_admin);
		jw_obj_end(&c->w);
	}
	jw_arr_end(&c->w);
	return 0;
}

int api_auth_user_current(struct api_ctx *c)
{
	struct store_user u;
	if (need_auth(c) < 0 || user_named(c, c->who->username, &u) < 0)
		return -1;
	return render_user(c, &u, false);
}

/* Signs every UI session of user `id` out (its password changed). */
static int end_sessions(struct api_ctx *c, int64_t id)
{
	struct store_token *t;
	size_t n;
	if (store_auth_token_list(store_of(c), id, STORE_TOKEN_SESSION, &t, &n, c->a, c->err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!t[i].revoked && store_auth_token_revoke(store_of(c), id, t[i].id, c->err) < 0)
			return -1;
	return 0;
}

int api_auth_user_update_password(struct api_ctx *c)
{
	const char *username, *password, *current = NULL;
	char hash[AUTH_PASSWORD_HASH_MAX];
	struct store_user u;
	if (need_auth(c) < 0 || required(c, "username", &username) < 0 || required(c, "password", &password) < 0 ||
	    param_string(c, "current_password", &current) < 0 || user_named(c, username, &u) < 0)
		return -1;
	/* users changing their own password prove they know it; an admin
	 * resetting someone else's does not need it */
	if (u.id == c->who->user_id) {
		struct auth_identity who;
		struct mlf_err e;
		if (!current || !*current)
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
					  "Missing value for required parameter 'current_password'.");
		if (auth_gate_check_password(c, username, current, &who, &e) < 0) {
			if (e.code == MLF_UNAUTHENTICATED)
				return mlf_errorf(c->err, MLF_PERMISSION_DENIED, "The current password is wrong.");
			*c->err = e;
			return -1;
		}
	}
	if (auth_password_hash(password, strlen(password), hash, c->err) < 0 ||
	    store_auth_user_set_password(store_of(c), username, hash, c->err) < 0 || end_sessions(c, u.id) < 0)
		return -1;
	auth_gate_forget_user(c, u.id);
	return 0;
}

/* Refuses to take away the last admin. */
static int keep_an_admin(struct api_ctx *c, const struct store_user *u)
{
	int64_t admins;
	if (!u->is_admin)
		return 0;
	if (store_auth_user_count_admins(store_of(c), &admins, c->err) < 0)
		return -1;
	if (admins <= 1)
		return mlf_errorf(c->err, MLF_INVALID_STATE, "%s is the only admin: make another admin first",
				  u->username);
	return 0;
}

int api_auth_user_update_admin(struct api_ctx *c)
{
	const char *username;
	bool is_admin;
	struct store_user u;
	int rc;
	if (need_auth(c) < 0 || required(c, "username", &username) < 0)
		return -1;
	if ((rc = param_bool(c, "is_admin", &is_admin)) < 0)
		return -1;
	if (rc == 1)
		return param_missing(c, "is_admin");
	if (user_named(c, username, &u) < 0 || (!is_admin && keep_an_admin(c, &u) < 0) ||
	    store_auth_user_set_admin(store_of(c), username, is_admin, c->err) < 0)
		return -1;
	auth_gate_forget_user(c, u.id);
	return 0;
}

int api_auth_user_delete(struct api_ctx *c)
{
	const char *username;
	struct store_user u;
	if (need_auth(c) < 0 || required(c, "username", &username) < 0 || user_named(c, username, &u) < 0 ||
	    keep_an_admin(c, &u) < 0 || store_auth_user_delete(store_of(c), username, c->err) < 0)
		return -1;
	auth_gate_forget_user(c, u.id);
	return 0;
}

/* ---- permissions -------------------------------------------------------------- */

/* The resource key and the user of a permission request. */
static int permission_subject(struct api_ctx *c, enum store_auth_resource kind, const char **key, struct store_user *u)
{
	const char *username;
	if (need_auth(c) < 0)
		return -1;
	if (kind == STORE_AUTH_EXPERIMENT) {
		int64_t id;
		if (param_id(c, "experiment_id", key) < 0)
			return -1;
		if (!*key || !**key)
			return param_missing(c, "experiment_id");
		/* an id is kept as the gate reads ids ("07" is experiment 7); other
		 * text is kept as sent, as MLflow keeps it (it names no experiment) */
		if (util_parse_int64(*key, &id) && id >= 0)
			*key = arena_printf(c->a, "%lld", (long long)id);
	} else if (required(c, "name", key) < 0) {
		return -1;
	}
	if (required(c, "username", &username) < 0 || user_named(c, username, u) < 0)
		return -1;
	return 0;
}

static const char *field_of(enum store_auth_resource kind)
{
	return kind == STORE_AUTH_EXPERIMENT ? "experiment_permission" : "registered_model_permission";
}

static void render_permission(struct api_ctx *c, const struct store_permission *p)
{
	jw_key(&c->w, field_of(p->resource));
	jw_obj_begin(&c->w);
	jw_kv_str(&c->w, p->resource == STORE_AUTH_EXPERIMENT ? "experiment_id" : "name", p->key);
	jw_kv_int(&c->w, "user_id", p->user_id);
	jw_kv_str(&c->w, "permission", auth_permission_name(p->permission));
	jw_obj_end(&c->w);
}

static const char *kind_label(enum store_auth_resource kind)
{
	return kind == STORE_AUTH_EXPERIMENT ? "Experiment" : "Registered model";
}

static const char *key_label(enum store_auth_resource kind)
{
	return kind == STORE_AUTH_EXPERIMENT ? "experiment_id" : "name";
}

static int permission_create(struct api_ctx *c, enum store_auth_resource kind)
{
	struct store_permission p = { .resource = kind };
	struct store_user u;
	if (permission_subject(c, kind, &p.key, &u) < 0 || parse_permission(c, &p.permission) < 0)
		return -1;
	p.user_id = u.id;
	if (store_auth_permission_create(store_of(c), &p, c->err) < 0) {
		if (c->err->code == MLF_RESOURCE_ALREADY_EXISTS)
			mlf_errorf(c->err, MLF_RESOURCE_ALREADY_EXISTS, "%s permission (%s=%s, username=%s) already exists.",
				   kind_label(kind), key_label(kind), p.key, u.username);
		return -1;
	}
	auth_gate_permissions_changed(c);
	render_permission(c, &p);
	return 0;
}

static int permission_missing(struct api_ctx *c, enum store_auth_resource kind, const char *key, const char *username)
{
	return mlf_errorf(c->err, MLF_RESOURCE_DOES_NOT_EXIST, "%s permission with %s=%s and username=%s not found",
			  kind_label(kind), key_label(kind), key, username);
}

static int permission_get(struct api_ctx *c, enum store_auth_resource kind)
{
	struct store_permission p;
	struct store_user u;
	const char *key;
	if (permission_subject(c, kind, &key, &u) < 0)
		return -1;
	if (store_auth_permission_get(store_of(c), kind, key, u.id, &p, c->a, c->err) < 0)
		return c->err->code == MLF_RESOURCE_DOES_NOT_EXIST ? permission_missing(c, kind, key, u.username) : -1;
	render_permission(c, &p);
	return 0;
}

static int permission_update(struct api_ctx *c, enum store_auth_resource kind)
{
	struct store_permission p = { .resource = kind };
	struct store_user u;
	if (permission_subject(c, kind, &p.key, &u) < 0 || parse_permission(c, &p.permission) < 0)
		return -1;
	p.user_id = u.id;
	if (store_auth_permission_update(store_of(c), &p, c->err) < 0)
		return c->err->code == MLF_RESOURCE_DOES_NOT_EXIST ? permission_missing(c, kind, p.key, u.username) : -1;
	auth_gate_permissions_changed(c);
	return 0;
}

static int permission_delete(struct api_ctx *c, enum store_auth_resource kind)
{
	struct store_user u;
	const char *key;
	if (permission_subject(c, kind, &key, &u) < 0)
		return -1;
	if (store_auth_permission_delete(store_of(c), kind, key, u.id, c->err) < 0)
		return c->err->code == MLF_RESOURCE_DOES_NOT_EXIST ? permission_missing(c, kind, key, u.username) : -1;
	auth_gate_permissions_changed(c);
	return 0;
}

int api_auth_experiment_permission_create(struct api_ctx *c)
{
	return permission_create(c, STORE_AUTH_EXPERIMENT);
}
int api_auth_experiment_permission_get(struct api_ctx *c)
{
	return permission_get(c, STORE_AUTH_EXPERIMENT);
}
int api_auth_experiment_permission_update(struct api_ctx *c)
{
	return permission_update(c, STORE_AUTH_EXPERIMENT);
}
int api_auth_experiment_permission_delete(struct api_ctx *c)
{
	return permission_delete(c, STORE_AUTH_EXPERIMENT);
}
int api_auth_model_permission_create(struct api_ctx *c)
{
	return permission_create(c, STORE_AUTH_REGISTERED_MODEL);
}
int api_auth_model_permission_get(struct api_ctx *c)
{
	return permission_get(c, STORE_AUTH_REGISTERED_MODEL);
}
int api_auth_model_permission_update(struct api_ctx *c)
{
	return permission_update(c, STORE_AUTH_REGISTERED_MODEL);
}
int api_auth_model_permission_delete(struct api_ctx *c)
{
	return permission_delete(c, STORE_AUTH_REGISTERED_MODEL);
}

/* ---- tokens ----------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void render_token(struct jw *w, const struct store_token *t)
{
	jw_obj_begin(w);
	jw_kv_int(w, "id", t->id);
	jw_kv_str(w, "name", t->name ? t->name : "");
	jw_kv_int(w, "creation_time", t->created_time);
	if (t->expiry_time)
		jw_kv_int(w, "expiry_time", t->expiry_time);
	if (t->last_used_time)
		jw_kv_int(w, "last_used_time", t->last_used_time);
	jw_kv_bool(w, "revoked", t->revoked);
	jw_obj_end(w);
}

/* The user whose tokens a request is about: the sender, or (admins only)
 * the one `username` names. */
static int token_owner(struct api_ctx *c, struct store_user *u)
{
	const char *username = NULL;
	if (need_auth(c) < 0 || param_string(c, "username", &username) < 0)
		return -1;
	if (!username || !*username)
		username = c->who->username;
	else if (strcmp(username, c->who->username) != 0 && !c->who->is_admin)
		return mlf_errorf(c->err, MLF_PERMISSION_DENIED, "Permission denied");
	return user_named(c, username, u);
}

int api_auth_token_create(struct api_ctx *c)
{
	const char *name = "";
	int64_t days = 90, id, expiry = -1;
	struct store_user u;
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_TOKEN_DIGEST_LEN + 1];
	if (token_owner(c, &u) < 0 || param_string(c, "name", &name) < 0 ||
	    param_int64(c, "expires_in_days", &days) < 0 || param_int64(c, "expiry_time", &expiry) < 0)
		return -1;
	if (!name)
		name = "";
	if (strlen(name) > TOKEN_NAME_MAX)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "a token's name is at most %d bytes", TOKEN_NAME_MAX);
	if (days < 0 || days > TOKEN_MAX_DAYS)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "expires_in_days must be between 0 (never) and %d", TOKEN_MAX_DAYS);
	int64_t now = now_ms();
	struct store_token t = { .user_id = u.id, .kind = STORE_TOKEN_API, .name = name, .created_time = now,
				 .expiry_time = days ? now + days * 86400000LL : 0 };
	if (expiry >= 0) { /* an exact expiry (ms since the epoch) instead of a number of days */
		if (expiry <= now || expiry > now + TOKEN_MAX_DAYS * 86400000LL)
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
					  "expiry_time must be in the future and at most %d days away", TOKEN_MAX_DAYS);
		t.expiry_time = expiry;
	}
	auth_token_new(token, digest);
	if (store_auth_token_create(store_of(c), u.id, STORE_TOKEN_API, name, digest, t.expiry_time, &id, c->err) < 0)
		return -1;
	t.id = id;
	jw_key(&c->w, "token");
	render_token(&c->w, &t);
	jw_kv_str(&c->w, "secret", token); /* shown this once */
	return 0;
}

int api_auth_token_list(struct api_ctx *c)
{
	struct store_user u;
	struct store_token *t;
	size_t n;
	if (token_owner(c, &u) < 0 || store_auth_token_list(store_of(c), u.id, STORE_TOKEN_API, &t, &n, c->a, c->err) < 0)
		return -1;
	jw_key(&c->w, "tokens");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++)
		render_token(&c->w, &t[i]);
	jw_arr_end(&c->w);
	return 0;
}

int api_auth_token_revoke(struct api_ctx *c)
{
	struct store_user u;
	int64_t id = -1;
	if (token_owner(c, &u) < 0 || param_int64(c, "id", &id) < 0)
		return -1;
	if (id < 0)
		return param_missing(c, "id");
	if (store_auth_token_revoke(store_of(c), u.id, id, c->err) < 0)
		return -1;
	auth_gate_forget_user(c, u.id);
	return 0;
}

/* ---- the UI's sign-in ----------------------------------------------------------- */

int api_auth_sign_in(struct api_ctx *c)
{
	const char *username, *password;
	struct auth_identity who;
	struct store_user u;
	struct mlf_err e;
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_TOKEN_DIGEST_LEN + 1];
	int64_t id;
	if (need_auth(c) < 0 || required(c, "username", &username) < 0 || required(c, "password", &password) < 0)
		return -1;
	if (auth_gate_check_password(c, username, password, &who, &e) < 0) {
		if (e.code == MLF_UNAUTHENTICATED)
			return mlf_errorf(c->err, MLF_UNAUTHENTICATED, "Wrong username or password.");
		*c->err = e;
		return -1;
	}
	auth_token_new(token, digest);
	if (store_auth_token_create(store_of(c), who.user_id, STORE_TOKEN_SESSION, "", digest, now_ms() + SESSION_MS, &id,
				    c->err) < 0 ||
	    user_named(c, who.username, &u) < 0)
		return -1;
	http_response_header(c->resp, "Set-Cookie",
			     arena_printf(c->a, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
					  AUTH_SESSION_COOKIE, token, SESSION_MS / 1000,
					  auth_gate_secure_cookies(c) ? "; Secure" : ""));
	return render_user(c, &u, false);
}

int api_auth_sign_out(struct api_ctx *c)
{
	const char *cookie = http_request_cookie(c->req, AUTH_SESSION_COOKIE);
	char digest[AUTH_TOKEN_DIGEST_LEN + 1];
	struct store_token t;
	struct store_user u;
	struct mlf_err e;
	if (need_auth(c) < 0)
		return -1;
	if (cookie && auth_token_digest(cookie, strlen(cookie), digest) &&
	    store_auth_token_lookup(store_of(c), digest, &t, &u, c->a, &e) == 0 && t.kind == STORE_TOKEN_SESSION &&
	    store_auth_token_revoke(store_of(c), t.user_id, t.id, c->err) < 0)
		return -1;
	http_response_header(c->resp, "Set-Cookie",
			     arena_printf(c->a, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", AUTH_SESSION_COOKIE,
					  auth_gate_secure_cookies(c) ? "; Secure" : ""));
	return 0;
}

/* ---- the audit trail --------------------------------------------------------------- */

int api_auth_audit_search(struct api_ctx *c)
{
	struct store_audit_query q = { .max_results = 1000 };
	const char *token = NULL;
	struct store_audit_row *rows;
	size_t n;
	if (need_auth(c) < 0 || param_int64(c, "since", &q.since) < 0 || param_int64(c, "until", &q.until) < 0 ||
	    param_string(c, "username", &q.username) < 0 || param_int64(c, "max_results", &q.max_results) < 0 ||
	    param_string(c, "page_token", &token) < 0)
		return -1;
	if (q.max_results < 1 || q.max_results > 10000)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "max_results must be between 1 and 10000");
	if (token && *token && (!util_parse_int64(token, &q.before_id) || q.before_id <= 0))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Invalid page token");
	if (store_auth_audit_search(store_of(c), &q, &rows, &n, c->a, c->err) < 0)
		return -1;
	jw_key(&c->w, "entries");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++) {
		const struct store_audit_entry *e = &rows[i].e;
		jw_obj_begin(&c->w);
		jw_kv_int(&c->w, "id", rows[i].id);
		jw_kv_int(&c->w, "time", e->time);
		if (e->username)
			jw_kv_str(&c->w, "username", e->username);
		jw_kv_str(&c->w, "method", e->method);
		jw_kv_str(&c->w, "path", e->path);
		jw_kv_int(&c->w, "status", e->status);
		if (e->resource)
			jw_kv_str(&c->w, "resource", e->resource);
		jw_obj_end(&c->w);
	}
	jw_arr_end(&c->w);
	if (n == (size_t)q.max_results && n > 0)
		jw_kv_str(&c->w, "next_page_token", arena_printf(c->a, "%lld", (long long)rows[n - 1].id));
	return 0;
}
