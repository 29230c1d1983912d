/*
 * store_sqlite_auth.c - users, permissions, tokens and the audit trail in
 * the SQLite store (store_auth.h; the tables of migration 6). Rows only:
 * the front (store_auth.c) checks input and words the row conditions
 * reported here (store_auth_int.h). Fixed statements are rows of the
 * store's statement table (store_sqlite_auth_sql.h), values always bound.
 * Each write is one job on the write connection (one transaction with
 * its checks: a user's delete takes its permissions and tokens with it);
 * each read is one read transaction on the thread's connection.
 */
#include "store_auth_int.h"
#include "store_sqlite_int.h"
#include "store_sqlite_sql.h"

/* Picks the statement of the experiment or the registered-model table. */
#define BY_RESOURCE(r, exp, rm) ((r) == STORE_AUTH_EXPERIMENT ? (exp) : (rm))

static void user_from_row(sqlite3_stmt *s, int col, struct store_user *u, struct arena *a)
{
	u->id = sqlite3_column_int64(s, col);
	u->username = sqlite_col_text(s, col + 1, a);
	u->password_hash = sqlite_col_text(s, col + 2, a);
	u->is_admin = sqlite3_column_int64(s, col + 3) != 0;
	u->created_time = sqlite3_column_int64(s, col + 4);
	u->password_changed_time = sqlite3_column_int64(s, col + 5);
}

static void permission_from_row(sqlite3_stmt *s, enum store_auth_resource r, struct store_permission *p,
				struct arena *a)
{
	p->resource = r;
	p->key = sqlite_col_text(s, 0, a);
	p->user_id = sqlite3_column_int64(s, 1);
	const char *text = (const char *)sqlite3_column_text(s, 2);
	if (!store_auth_permission_from_text(text, &p->permission))
		p->permission = AUTH_PERM_NONE; /* a text we do not know grants nothing */
}

static void token_from_row(sqlite3_stmt *s, struct store_token *t, struct arena *a)
{
	t->id = sqlite3_column_int64(s, 0);
	t->user_id = sqlite3_column_int64(s, 1);
	t->kind = store_auth_kind_from_text((const char *)sqlite3_column_text(s, 2));
	t->name = sqlite_col_text(s, 3, a);
	if (!t->name)
		t->name = "";
	t->created_time = sqlite3_column_int64(s, 4);
	t->expiry_time = sqlite3_column_int64(s, 5);
	t->last_used_time = sqlite3_column_int64(s, 6);
	t->revoked = sqlite3_column_int64(s, 7) != 0;
}

/* Appends a zeroed item to a list in `a`, doubling its capacity at powers of two. */
static void *list_push(void *items, size_t *n, size_t size, struct arena *a)
{
	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0))
		items = arena_grow_array(a, items, *n, *n ? *n * 2 : 8, size);
	memset((char *)items + *n * size, 0, size);
	(*n)++;
	return items;
}

/* The id of the user named `username`; USER_MISSING when none. */
static int user_id_of(struct sqlite_conn *c, const char *username, int64_t *id, struct mlf_err *err)
{
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_AUTH_USER_ID, "t", username);
	bool row;
	if (!s || sqlite_step_row(c, s, &row, err) < 0)
		return -1;
	if (!row)
		return store_auth_row_fail(err, STORE_AUTH_ROW_USER_MISSING);
	*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

static int user_exists(struct sqlite_conn *c, int64_t id, struct mlf_err *err)
{
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_AUTH_USER_EXISTS, "i", id);
	bool row;
	if (!s || sqlite_step_row(c, s, &row, err) < 0)
		return -1;
	sqlite3_reset(s);
	return row ? 0 : store_auth_row_fail(err, STORE_AUTH_ROW_USER_MISSING);
}

/* Runs `id` for its effect; `missing` when it changed no row. */
static int exec_changing(struct sqlite_conn *c, struct mlf_err *err, enum store_auth_row missing, size_t id,
			 const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = sqlite_exec_vstmt(c, err, id, types, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	return sqlite3_changes(c->db) > 0 ? 0 : store_auth_row_fail(err, missing);
}

/* ---- users ------------------------------------------------------------------------ */

struct user_create_args {
	const char *username, *hash;
	bool is_admin;
	int64_t now, *id;
};

static int user_create_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct user_create_args *x = arg;
	if (exec_changing(c, err, STORE_AUTH_ROW_USER_EXISTS, S_AUTH_USER_INSERT, "ttii", x->username, x->hash,
			  (int64_t)x->is_admin, x->now) < 0)
		return -1;
	if (x->id)
		*x->id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

static int sq_user_create(struct store *st, const char *username, const char *password_hash, bool is_admin,
			  int64_t now, int64_t *id, struct mlf_err *err)
{
	struct user_create_args x = { username, password_hash, is_admin, now, id };
	return sqlite_pool_write(store_sqlite_pool(st), user_create_job, &x, err);
}

static int sq_user_get(struct store *st, const char *username, int64_t id, struct store_user *out, struct arena *a,
		       struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = username ? sqlite_stmt_bound(c, err, S_AUTH_USER_BY_NAME, "t", username)
				   : sqlite_stmt_bound(c, err, S_AUTH_USER_BY_ID, "i", id);
	bool row = false;
	int rc = !s || sqlite_step_row(c, s, &row, err) < 0 ? -1 : 0;
	if (rc == 0 && row)
		user_from_row(s, 0, out, a);
	else if (rc == 0)
		rc = store_auth_row_fail(err, STORE_AUTH_ROW_USER_MISSING);
	return sqlite_read_end(c, rc);
}

static int sq_user_list(struct store *st, struct store_user **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_AUTH_USER_LIST, "");
	struct store_user *users = NULL;
	size_t k = 0;
	int step = SQLITE_DONE, rc = s ? 0 : -1;
	while (s && (step = sqlite3_step(s)) == SQLITE_ROW) {
		users = list_push(users, &k, sizeof(*users), a);
		user_from_row(s, 0, &users[k - 1], a);
	}
	if (s && step != SQLITE_DONE)
		rc = sqlite_conn_fail(c, "users", err);
	*out = users;
	*n = k;
	return sqlite_read_end(c, rc);
}

struct user_change_args {
	const char *username, *hash;
	bool is_admin;
	int64_t now;
};

static int set_password_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct user_change_args *x = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_USER_MISSING, S_AUTH_USER_SET_PASSWORD, "tti", x->username, x->hash,
			     x->now);
}

static int sq_user_set_password(struct store *st, const char *username, const char *password_hash, int64_t now,
				struct mlf_err *err)
{
	struct user_change_args x = { .username = username, .hash = password_hash, .now = now };
	return sqlite_pool_write(store_sqlite_pool(st), set_password_job, &x, err);
}

static int set_admin_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct user_change_args *x = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_USER_MISSING, S_AUTH_USER_SET_ADMIN, "ti", x->username,
			     (int64_t)x->is_admin);
}

static int sq_user_set_admin(struct store *st, const char *username, bool is_admin, struct mlf_err *err)
{
	struct user_change_args x = { .username = username, .is_admin = is_admin };
	return sqlite_pool_write(store_sqlite_pool(st), set_admin_job, &x, err);
}

/* The user's permissions and tokens go with it (foreign_keys is off on
 * our connections: the deletes are explicit, in the same transaction). */
static int user_delete_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	int64_t id = 0;
	if (user_id_of(c, arg, &id, err) < 0)
		return -1;
	static const size_t deletes[] = { S_AUTH_USER_DELETE_EXP_PERMS, S_AUTH_USER_DELETE_RM_PERMS,
					  S_AUTH_USER_DELETE_TOKENS, S_AUTH_USER_DELETE };
	for (size_t i = 0; i < ARRAY_SIZE(deletes); i++)
		if (sqlite_exec_stmt(c, err, deletes[i], "i", id) < 0)
			return -1;
	return 0;
}

static int sq_user_delete(struct store *st, const char *username, struct mlf_err *err)
{
	return sqlite_pool_write(store_sqlite_pool(st), user_delete_job, (void *)username, err);
}

static int sq_user_count_admins(struct store *st, int64_t *n, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_AUTH_ADMIN_COUNT, "");
	bool row = false;
	int rc = !s || sqlite_step_row(c, s, &row, err) < 0 ? -1 : 0;
	*n = rc == 0 && row ? sqlite3_column_int64(s, 0) : 0;
	return sqlite_read_end(c, rc);
}

/* ---- permissions -------------------------------------------------------------------- */

static int permission_create_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	const struct store_permission *p = arg;
	if (user_exists(c, p->user_id, err) < 0)
		return -1;
	return exec_changing(c, err, STORE_AUTH_ROW_PERMISSION_EXISTS,
			     BY_RESOURCE(p->resource, S_AUTH_EXP_PERM_INSERT, S_AUTH_RM_PERM_INSERT), "tit", p->key,
			     p->user_id, store_auth_permission_text(p->permission));
}

static int sq_permission_create(struct store *st, const struct store_permission *p, struct mlf_err *err)
{
	return sqlite_pool_write(store_sqlite_pool(st), permission_create_job, (void *)p, err);
}

static int sq_permission_get(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
			     struct store_permission *out, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s =
		sqlite_stmt_bound(c, err, BY_RESOURCE(r, S_AUTH_EXP_PERM_GET, S_AUTH_RM_PERM_GET), "ti", key, user_id);
	bool row = false;
	int rc = !s || sqlite_step_row(c, s, &row, err) < 0 ? -1 : 0;
	if (rc == 0 && row)
		permission_from_row(s, r, out, a);
	else if (rc == 0)
		rc = store_auth_row_fail(err, STORE_AUTH_ROW_PERMISSION_MISSING);
	return sqlite_read_end(c, rc);
}

static int permission_update_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	const struct store_permission *p = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_PERMISSION_MISSING,
			     BY_RESOURCE(p->resource, S_AUTH_EXP_PERM_UPDATE, S_AUTH_RM_PERM_UPDATE), "tit", p->key,
			     p->user_id, store_auth_permission_text(p->permission));
}

static int sq_permission_update(struct store *st, const struct store_permission *p, struct mlf_err *err)
{
	return sqlite_pool_write(store_sqlite_pool(st), permission_update_job, (void *)p, err);
}

static int permission_delete_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	const struct store_permission *p = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_PERMISSION_MISSING,
			     BY_RESOURCE(p->resource, S_AUTH_EXP_PERM_DELETE, S_AUTH_RM_PERM_DELETE), "ti", p->key,
			     p->user_id);
}

static int sq_permission_delete(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
				struct mlf_err *err)
{
	struct store_permission p = { .resource = r, .key = key, .user_id = user_id };
	return sqlite_pool_write(store_sqlite_pool(st), permission_delete_job, &p, err);
}

static int sq_permission_list_user(struct store *st, int64_t user_id, enum store_auth_resource r,
				   struct store_permission **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, BY_RESOURCE(r, S_AUTH_EXP_PERM_LIST, S_AUTH_RM_PERM_LIST), "i",
					    user_id);
	struct store_permission *perms = NULL;
	size_t k = 0;
	int step = SQLITE_DONE, rc = s ? 0 : -1;
	while (s && (step = sqlite3_step(s)) == SQLITE_ROW) {
		perms = list_push(perms, &k, sizeof(*perms), a);
		permission_from_row(s, r, &perms[k - 1], a);
	}
	if (s && step != SQLITE_DONE)
		rc = sqlite_conn_fail(c, "permissions", err);
	*out = perms;
	*n = k;
	return sqlite_read_end(c, rc);
}

struct rename_args {
	enum store_auth_resource r;
	const char *old_key, *new_key;
};

/* Rows left at the new key by an earlier resource of that name give way
 * to the renamed resource's rows, which move over. */
static int rename_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct rename_args *x = arg;
	if (sqlite_exec_stmt(c, err, BY_RESOURCE(x->r, S_AUTH_EXP_PERM_CLEAR_TARGET, S_AUTH_RM_PERM_CLEAR_TARGET), "tt",
			     x->old_key, x->new_key) < 0)
		return -1;
	return sqlite_exec_stmt(c, err, BY_RESOURCE(x->r, S_AUTH_EXP_PERM_RENAME, S_AUTH_RM_PERM_RENAME), "tt",
				x->old_key, x->new_key);
}

static int sq_permission_rename_key(struct store *st, enum store_auth_resource r, const char *old_key,
				    const char *new_key, struct mlf_err *err)
{
	struct rename_args x = { r, old_key, new_key };
	return sqlite_pool_write(store_sqlite_pool(st), rename_job, &x, err);
}

static int delete_key_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct rename_args *x = arg;
	return sqlite_exec_stmt(c, err, BY_RESOURCE(x->r, S_AUTH_EXP_PERM_DELETE_KEY, S_AUTH_RM_PERM_DELETE_KEY), "t",
				x->old_key);
}

static int sq_permission_delete_key(struct store *st, enum store_auth_resource r, const char *key,
				    struct mlf_err *err)
{
	struct rename_args x = { r, key, NULL };
	return sqlite_pool_write(store_sqlite_pool(st), delete_key_job, &x, err);
}

/* ---- tokens ------------------------------------------------------------------------- */

struct token_create_args {
	int64_t user_id;
	enum store_token_kind kind;
	const char *name, *digest;
	int64_t now, expiry, *id;
};

static int token_create_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct token_create_args *x = arg;
	if (user_exists(c, x->user_id, err) < 0 ||
	    exec_changing(c, err, STORE_AUTH_ROW_TOKEN_EXISTS, S_AUTH_TOKEN_INSERT, "itttii", x->user_id,
			  store_auth_kind_text(x->kind), x->name, x->digest, x->now, x->expiry) < 0)
		return -1;
	if (x->id)
		*x->id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

static int sq_token_create(struct store *st, int64_t user_id, enum store_token_kind kind, const char *name,
			   const char *digest, int64_t now, int64_t expiry_time, int64_t *id, struct mlf_err *err)
{
	struct token_create_args x = { user_id, kind, name, digest, now, expiry_time, id };
	return sqlite_pool_write(store_sqlite_pool(st), token_create_job, &x, err);
}

static int sq_token_lookup(struct store *st, const char *digest, struct store_token *out, struct store_user *user,
			   struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_AUTH_TOKEN_LOOKUP, "t", digest);
	bool row = false;
	int rc = !s || sqlite_step_row(c, s, &row, err) < 0 ? -1 : 0;
	if (rc == 0 && row) {
		token_from_row(s, out, a);
		if (user)
			user_from_row(s, 8, user, a);
	} else if (rc == 0) {
		rc = store_auth_row_fail(err, STORE_AUTH_ROW_TOKEN_MISSING);
	}
	return sqlite_read_end(c, rc);
}

static int sq_token_list(struct store *st, int64_t user_id, enum store_token_kind kind, struct store_token **out,
			 size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_AUTH_TOKEN_LIST, "it", user_id, store_auth_kind_text(kind));
	struct store_token *tokens = NULL;
	size_t k = 0;
	int step = SQLITE_DONE, rc = s ? 0 : -1;
	while (s && (step = sqlite3_step(s)) == SQLITE_ROW) {
		tokens = list_push(tokens, &k, sizeof(*tokens), a);
		token_from_row(s, &tokens[k - 1], a);
	}
	if (s && step != SQLITE_DONE)
		rc = sqlite_conn_fail(c, "tokens", err);
	*out = tokens;
	*n = k;
	return sqlite_read_end(c, rc);
}

struct token_args {
	int64_t a, b;
	int64_t *n;
};

static int token_revoke_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_TOKEN_MISSING, S_AUTH_TOKEN_REVOKE, "ii", x->a, x->b);
}

static int sq_token_revoke(struct store *st, int64_t user_id, int64_t id, struct mlf_err *err)
{
	struct token_args x = { user_id, id, NULL };
	return sqlite_pool_write(store_sqlite_pool(st), token_revoke_job, &x, err);
}

static int token_touch_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	return sqlite_exec_stmt(c, err, S_AUTH_TOKEN_TOUCH, "ii", x->a, x->b);
}

/* At most one write a minute per token: a touch within a minute of the
 * last one changes nothing (the statement's own condition). */
static int sq_token_touch(struct store *st, int64_t id, int64_t now, struct mlf_err *err)
{
	struct token_args x = { id, now, NULL };
	return sqlite_pool_write(store_sqlite_pool(st), token_touch_job, &x, err);
}

static int token_purge_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	if (sqlite_exec_stmt(c, err, S_AUTH_TOKEN_PURGE, "i", x->a) < 0)
		return -1;
	if (x->n)
		*x->n = sqlite3_changes(c->db);
	return 0;
}

static int sq_token_purge_expired(struct store *st, int64_t before, int64_t *n, struct mlf_err *err)
{
	struct token_args x = { before, 0, n };
	return sqlite_pool_write(store_sqlite_pool(st), token_purge_job, &x, err);
}

/* ---- the audit trail ------------------------------------------------------------------ */

struct audit_args {
	const struct store_audit_entry *e;
	size_t n;
};

static int audit_append_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct audit_args *x = arg;
	for (size_t i = 0; i < x->n; i++) {
		const struct store_audit_entry *e = &x->e[i];
		if (sqlite_exec_stmt(c, err, S_AUTH_AUDIT_INSERT, "itttit", e->time, e->username, e->method, e->path,
				     (int64_t)e->status, e->resource) < 0)
			return -1;
	}
	return 0;
}

static int sq_audit_append(struct store *st, const struct store_audit_entry *e, size_t n, struct mlf_err *err)
{
	struct audit_args x = { e, n };
	return sqlite_pool_write(store_sqlite_pool(st), audit_append_job, &x, err);
}

static int sq_audit_search(struct store *st, const struct store_audit_query *q, struct store_audit_row **out,
			   size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = sqlite_stmt_bound(c, err, S_AUTH_AUDIT_SEARCH, "iitii", q->since, q->until, q->username,
					    q->before_id, q->max_results);
	struct store_audit_row *rows = NULL;
	size_t k = 0;
	int step = SQLITE_DONE, rc = s ? 0 : -1;
	while (s && (step = sqlite3_step(s)) == SQLITE_ROW) {
		rows = list_push(rows, &k, sizeof(*rows), a);
		struct store_audit_row *r = &rows[k - 1];
		r->id = sqlite3_column_int64(s, 0);
		r->e.time = sqlite3_column_int64(s, 1);
		r->e.username = sqlite_col_text(s, 2, a);
		r->e.method = sqlite_col_text(s, 3, a);
		r->e.path = sqlite_col_text(s, 4, a);
		r->e.status = (int)sqlite3_column_int64(s, 5);
		r->e.resource = sqlite_col_text(s, 6, a);
	}
	if (s && step != SQLITE_DONE)
		rc = sqlite_conn_fail(c, "audit log", err);
	*out = rows;
	*n = k;
	return sqlite_read_end(c, rc);
}

const struct store_auth_ops store_sqlite_auth_ops = {
	.user_create = sq_user_create,
	.user_get = sq_user_get,
	.user_list = sq_user_list,
	.user_set_password = sq_user_set_password,
	.user_set_admin = sq_user_set_admin,
	.user_delete = sq_user_delete,
	.user_count_admins = sq_user_count_admins,
	.permission_create = sq_permission_create,
	.permission_get = sq_permission_get,
	.permission_update = sq_permission_update,
	.permission_delete = sq_permission_delete,
	.permission_list_user = sq_permission_list_user,
	.permission_rename_key = sq_permission_rename_key,
	.permission_delete_key = sq_permission_delete_key,
	.token_create = sq_token_create,
	.token_lookup = sq_token_lookup,
	.token_list = sq_token_list,
	.token_revoke = sq_token_revoke,
	.token_touch = sq_token_touch,
	.token_purge_expired = sq_token_purge_expired,
	.audit_append = sq_audit_append,
	.audit_search = sq_audit_search,
};
