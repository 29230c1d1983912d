/*
 * store_pg_auth.c - users, permissions, tokens and the audit trail in the
 * PostgreSQL store (store_auth.h; migration 6 of schema_pg.h), the twin of
 * store_sqlite_auth.c: the same rows, orderings and row conditions
 * (store_auth_int.h), which the front (store_auth.c) words.
 *
 * Fixed statements are rows of the store's statement table
 * (store_pg_auth_sql.h). Writes are pg_pool_tx write transactions that
 * lock the user a new row hangs off (FOR SHARE) or the user they delete
 * (FOR UPDATE) before they check it, and insert with ON CONFLICT DO
 * NOTHING so a duplicate is a row condition, not an aborted transaction;
 * a write function may run again after a serialization failure and keeps
 * no state between attempts. Reads are one snapshot each.
 */
#include "store_auth_int.h"
#include "store_pg_int.h"
#include <string.h>

#define BY_RESOURCE(r, exp, rm) ((r) == STORE_AUTH_EXPERIMENT ? (exp) : (rm))

static void user_from_row(const PGresult *r, int row, int col, struct store_user *u, struct arena *a)
{
	u->id = pg_col_int64(r, row, col);
	u->username = pg_col_text(r, row, col + 1, a);
	u->password_hash = pg_col_text(r, row, col + 2, a);
	u->is_admin = pg_col_int64(r, row, col + 3) != 0;
	u->created_time = pg_col_int64(r, row, col + 4);
	u->password_changed_time = pg_col_int64(r, row, col + 5);
}

static void permission_from_row(const PGresult *r, int row, enum store_auth_resource res, struct store_permission *p,
				struct arena *a)
{
	p->resource = res;
	p->key = pg_col_text(r, row, 0, a);
	p->user_id = pg_col_int64(r, row, 1);
	if (pg_col_null(r, row, 2) || !store_auth_permission_from_text(PQgetvalue(r, row, 2), &p->permission))
		p->permission = AUTH_PERM_NONE; /* a text we do not know grants nothing */
}

static void token_from_row(const PGresult *r, int row, struct store_token *t, struct arena *a)
{
	t->id = pg_col_int64(r, row, 0);
	t->user_id = pg_col_int64(r, row, 1);
	t->kind = store_auth_kind_from_text(PQgetvalue(r, row, 2));
	t->name = pg_col_text(r, row, 3, a);
	if (!t->name)
		t->name = "";
	t->created_time = pg_col_int64(r, row, 4);
	t->expiry_time = pg_col_int64(r, row, 5);
	t->last_used_time = pg_col_int64(r, row, 6);
	t->revoked = pg_col_int64(r, row, 7) != 0;
}

/* Runs statement `id`; `missing` when it changed no row. */
static int exec_changing(struct pg_conn *c, struct mlf_err *err, enum store_auth_row missing, size_t id,
			 const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	PGresult *r = pg_vstmt(c, err, id, types, ap);
	va_end(ap);
	if (!r)
		return -1;
	const char *changed = PQcmdTuples(r);
	bool any = changed && *changed && strcmp(changed, "0") != 0;
	PQclear(r);
	return any ? 0 : store_auth_row_fail(err, missing);
}

/* Runs an INSERT ... ON CONFLICT DO NOTHING RETURNING id: *id, or
 * `exists` when it met a duplicate. */
static int insert_returning(struct pg_conn *c, struct mlf_err *err, enum store_auth_row exists, int64_t *id,
			    size_t stmt, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	PGresult *r = pg_vstmt(c, err, stmt, types, ap);
	va_end(ap);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0)
		rc = store_auth_row_fail(err, exists);
	else if (id)
		*id = pg_col_int64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* Locks user `id` against a concurrent delete; USER_MISSING when none. */
static int share_user(struct pg_conn *c, int64_t id, struct mlf_err *err)
{
	PGresult *r = pg_stmt(c, err, PS_AUTH_USER_SHARE, "i", id);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	PQclear(r);
	return found ? 0 : store_auth_row_fail(err, STORE_AUTH_ROW_USER_MISSING);
}

/* ---- users ------------------------------------------------------------------------ */

struct user_args {
	const char *username, *hash;
	bool is_admin;
	int64_t id, now, *out_id, *count;
	struct store_user *out, **list;
	size_t *n;
	struct arena *a;
};

static int user_create_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct user_args *x = arg;
	return insert_returning(c, err, STORE_AUTH_ROW_USER_EXISTS, x->out_id, PS_AUTH_USER_INSERT, "ttbi", x->username,
				x->hash, (int)x->is_admin, x->now);
}

static int pg_user_create(struct store *st, const char *username, const char *password_hash, bool is_admin,
			  int64_t now, int64_t *id, struct mlf_err *err)
{
	struct user_args x = { .username = username, .hash = password_hash, .is_admin = is_admin, .now = now,
			       .out_id = id };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, user_create_tx, &x, err);
}

static int user_get_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct user_args *x = arg;
	PGresult *r = x->username ? pg_stmt(c, err, PS_AUTH_USER_BY_NAME, "t", x->username)
				  : pg_stmt(c, err, PS_AUTH_USER_BY_ID, "i", x->id);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0)
		rc = store_auth_row_fail(err, STORE_AUTH_ROW_USER_MISSING);
	else
		user_from_row(r, 0, 0, x->out, x->a);
	PQclear(r);
	return rc;
}

static int pg_user_get(struct store *st, const char *username, int64_t id, struct store_user *out, struct arena *a,
		       struct mlf_err *err)
{
	struct user_args x = { .username = username, .id = id, .out = out, .a = a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, user_get_tx, &x, err);
}

static int user_list_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct user_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_AUTH_USER_LIST, "");
	if (!r)
		return -1;
	int n = PQntuples(r);
	struct store_user *users = arena_zalloc(x->a, (size_t)(n ? n : 1) * sizeof(*users));
	for (int i = 0; i < n; i++)
		user_from_row(r, i, 0, &users[i], x->a);
	PQclear(r);
	*x->list = users;
	*x->n = (size_t)n;
	return 0;
}

static int pg_user_list(struct store *st, struct store_user **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct user_args x = { .list = out, .n = n, .a = a };
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, user_list_tx, &x, err);
}

static int set_password_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct user_args *x = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_USER_MISSING, PS_AUTH_USER_SET_PASSWORD, "tti", x->username, x->hash,
			     x->now);
}

static int pg_user_set_password(struct store *st, const char *username, const char *password_hash, int64_t now,
				struct mlf_err *err)
{
	struct user_args x = { .username = username, .hash = password_hash, .now = now };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, set_password_tx, &x, err);
}

static int set_admin_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct user_args *x = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_USER_MISSING, PS_AUTH_USER_SET_ADMIN, "tb", x->username,
			     (int)x->is_admin);
}

static int pg_user_set_admin(struct store *st, const char *username, bool is_admin, struct mlf_err *err)
{
	struct user_args x = { .username = username, .is_admin = is_admin };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, set_admin_tx, &x, err);
}

/* The user's permissions and tokens go with it: explicit deletes, as on
 * SQLite (the foreign keys would cascade them too). */
static int user_delete_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct user_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_AUTH_USER_LOCK_NAME, "t", x->username);
	if (!r)
		return -1;
	bool found = PQntuples(r) > 0;
	int64_t id = found ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	if (!found)
		return store_auth_row_fail(err, STORE_AUTH_ROW_USER_MISSING);
	static const size_t deletes[] = { PS_AUTH_USER_DELETE_EXP_PERMS, PS_AUTH_USER_DELETE_RM_PERMS,
					  PS_AUTH_USER_DELETE_TOKENS, PS_AUTH_USER_DELETE };
	for (size_t i = 0; i < ARRAY_SIZE(deletes); i++)
		if (pg_stmt_exec(c, err, deletes[i], NULL, "i", id) < 0)
			return -1;
	return 0;
}

static int pg_user_delete(struct store *st, const char *username, struct mlf_err *err)
{
	struct user_args x = { .username = username };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, user_delete_tx, &x, err);
}

static int count_admins_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct user_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_AUTH_ADMIN_COUNT, "");
	if (!r)
		return -1;
	*x->count = PQntuples(r) ? pg_col_int64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

static int pg_user_count_admins(struct store *st, int64_t *n, struct mlf_err *err)
{
	struct user_args x = { .count = n };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, count_admins_tx, &x, err);
}

/* ---- permissions -------------------------------------------------------------------- */

struct perm_args {
	const struct store_permission *p;
	enum store_auth_resource r;
	const char *key, *new_key;
	int64_t user_id;
	struct store_permission *out, **list;
	size_t *n;
	struct arena *a;
};

static int permission_create_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	const struct store_permission *p = ((struct perm_args *)arg)->p;
	if (share_user(c, p->user_id, err) < 0)
		return -1;
	return insert_returning(c, err, STORE_AUTH_ROW_PERMISSION_EXISTS, NULL,
				BY_RESOURCE(p->resource, PS_AUTH_EXP_PERM_INSERT, PS_AUTH_RM_PERM_INSERT), "tit", p->key,
				p->user_id, store_auth_permission_text(p->permission));
}

static int pg_permission_create(struct store *st, const struct store_permission *p, struct mlf_err *err)
{
	struct perm_args x = { .p = p };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, permission_create_tx, &x, err);
}

static int permission_get_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct perm_args *x = arg;
	PGresult *r = pg_stmt(c, err, BY_RESOURCE(x->r, PS_AUTH_EXP_PERM_GET, PS_AUTH_RM_PERM_GET), "ti", x->key,
			      x->user_id);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0)
		rc = store_auth_row_fail(err, STORE_AUTH_ROW_PERMISSION_MISSING);
	else
		permission_from_row(r, 0, x->r, x->out, x->a);
	PQclear(r);
	return rc;
}

static int pg_permission_get(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
			     struct store_permission *out, struct arena *a, struct mlf_err *err)
{
	struct perm_args x = { .r = r, .key = key, .user_id = user_id, .out = out, .a = a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, permission_get_tx, &x, err);
}

static int permission_update_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	const struct store_permission *p = ((struct perm_args *)arg)->p;
	return exec_changing(c, err, STORE_AUTH_ROW_PERMISSION_MISSING,
			     BY_RESOURCE(p->resource, PS_AUTH_EXP_PERM_UPDATE, PS_AUTH_RM_PERM_UPDATE), "tit", p->key,
			     p->user_id, store_auth_permission_text(p->permission));
}

static int pg_permission_update(struct store *st, const struct store_permission *p, struct mlf_err *err)
{
	struct perm_args x = { .p = p };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, permission_update_tx, &x, err);
}

static int permission_delete_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct perm_args *x = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_PERMISSION_MISSING,
			     BY_RESOURCE(x->r, PS_AUTH_EXP_PERM_DELETE, PS_AUTH_RM_PERM_DELETE), "ti", x->key,
			     x->user_id);
}

static int pg_permission_delete(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
				struct mlf_err *err)
{
	struct perm_args x = { .r = r, .key = key, .user_id = user_id };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, permission_delete_tx, &x, err);
}

static int permission_list_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct perm_args *x = arg;
	PGresult *r = pg_stmt(c, err, BY_RESOURCE(x->r, PS_AUTH_EXP_PERM_LIST, PS_AUTH_RM_PERM_LIST), "i", x->user_id);
	if (!r)
		return -1;
	int n = PQntuples(r);
	struct store_permission *perms = arena_zalloc(x->a, (size_t)(n ? n : 1) * sizeof(*perms));
	for (int i = 0; i < n; i++)
		permission_from_row(r, i, x->r, &perms[i], x->a);
	PQclear(r);
	*x->list = perms;
	*x->n = (size_t)n;
	return 0;
}

static int pg_permission_list_user(struct store *st, int64_t user_id, enum store_auth_resource r,
				   struct store_permission **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct perm_args x = { .r = r, .user_id = user_id, .list = out, .n = n, .a = a };
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, permission_list_tx, &x, err);
}

/* Rows left at the new key by an earlier resource of that name give way
 * to the renamed resource's rows, which move over. */
static int rename_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct perm_args *x = arg;
	if (pg_stmt_exec(c, err, BY_RESOURCE(x->r, PS_AUTH_EXP_PERM_CLEAR_TARGET, PS_AUTH_RM_PERM_CLEAR_TARGET), NULL,
			 "tt", x->key, x->new_key) < 0)
		return -1;
	return pg_stmt_exec(c, err, BY_RESOURCE(x->r, PS_AUTH_EXP_PERM_RENAME, PS_AUTH_RM_PERM_RENAME), NULL, "tt",
			    x->key, x->new_key);
}

static int pg_permission_rename_key(struct store *st, enum store_auth_resource r, const char *old_key,
				    const char *new_key, struct mlf_err *err)
{
	struct perm_args x = { .r = r, .key = old_key, .new_key = new_key };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, rename_tx, &x, err);
}

static int delete_key_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct perm_args *x = arg;
	return pg_stmt_exec(c, err, BY_RESOURCE(x->r, PS_AUTH_EXP_PERM_DELETE_KEY, PS_AUTH_RM_PERM_DELETE_KEY), NULL,
			    "t", x->key);
}

static int pg_permission_delete_key(struct store *st, enum store_auth_resource r, const char *key,
				    struct mlf_err *err)
{
	struct perm_args x = { .r = r, .key = key };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, delete_key_tx, &x, err);
}

/* ---- tokens ------------------------------------------------------------------------- */

struct token_args {
	int64_t user_id, id, now, expiry, *out_id, *count;
	enum store_token_kind kind;
	const char *name, *digest;
	struct store_token *out, **list;
	struct store_user *user;
	size_t *n;
	struct arena *a;
};

static int token_create_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	if (share_user(c, x->user_id, err) < 0)
		return -1;
	return insert_returning(c, err, STORE_AUTH_ROW_TOKEN_EXISTS, x->out_id, PS_AUTH_TOKEN_INSERT, "itttii",
				x->user_id, store_auth_kind_text(x->kind), x->name, x->digest, x->now, x->expiry);
}

static int pg_token_create(struct store *st, int64_t user_id, enum store_token_kind kind, const char *name,
			   const char *digest, int64_t now, int64_t expiry_time, int64_t *id, struct mlf_err *err)
{
	struct token_args x = { .user_id = user_id, .kind = kind, .name = name, .digest = digest, .now = now,
				.expiry = expiry_time, .out_id = id };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, token_create_tx, &x, err);
}

static int token_lookup_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_AUTH_TOKEN_LOOKUP, "t", x->digest);
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 0) {
		rc = store_auth_row_fail(err, STORE_AUTH_ROW_TOKEN_MISSING);
	} else {
		token_from_row(r, 0, x->out, x->a);
		if (x->user)
			user_from_row(r, 0, 8, x->user, x->a);
	}
	PQclear(r);
	return rc;
}

static int pg_token_lookup(struct store *st, const char *digest, struct store_token *out, struct store_user *user,
			   struct arena *a, struct mlf_err *err)
{
	struct token_args x = { .digest = digest, .out = out, .user = user, .a = a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, token_lookup_tx, &x, err);
}

static int token_list_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	PGresult *r = pg_stmt(c, err, PS_AUTH_TOKEN_LIST, "it", x->user_id, store_auth_kind_text(x->kind));
	if (!r)
		return -1;
	int n = PQntuples(r);
	struct store_token *tokens = arena_zalloc(x->a, (size_t)(n ? n : 1) * sizeof(*tokens));
	for (int i = 0; i < n; i++)
		token_from_row(r, i, &tokens[i], x->a);
	PQclear(r);
	*x->list = tokens;
	*x->n = (size_t)n;
	return 0;
}

static int pg_token_list(struct store *st, int64_t user_id, enum store_token_kind kind, struct store_token **out,
			 size_t *n, struct arena *a, struct mlf_err *err)
{
	struct token_args x = { .user_id = user_id, .kind = kind, .list = out, .n = n, .a = a };
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, token_list_tx, &x, err);
}

static int token_revoke_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	return exec_changing(c, err, STORE_AUTH_ROW_TOKEN_MISSING, PS_AUTH_TOKEN_REVOKE, "ii", x->user_id, x->id);
}

static int pg_token_revoke(struct store *st, int64_t user_id, int64_t id, struct mlf_err *err)
{
	struct token_args x = { .user_id = user_id, .id = id };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, token_revoke_tx, &x, err);
}

static int token_touch_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	return pg_stmt_exec(c, err, PS_AUTH_TOKEN_TOUCH, NULL, "ii", x->id, x->now);
}

/* At most one write a minute per token (the statement's own condition). */
static int pg_token_touch(struct store *st, int64_t id, int64_t now, struct mlf_err *err)
{
	struct token_args x = { .id = id, .now = now };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, token_touch_tx, &x, err);
}

static int token_purge_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct token_args *x = arg;
	return pg_stmt_exec(c, err, PS_AUTH_TOKEN_PURGE, x->count, "i", x->now);
}

static int pg_token_purge_expired(struct store *st, int64_t before, int64_t *n, struct mlf_err *err)
{
	int64_t purged = 0;
	struct token_args x = { .now = before, .count = &purged };
	int rc = pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, token_purge_tx, &x, err);
	if (rc == 0 && n)
		*n = purged;
	return rc;
}

/* ---- the audit trail ------------------------------------------------------------------ */

struct audit_args {
	const struct buf *times, *users, *methods, *paths, *statuses, *resources;
	const struct store_audit_query *q;
	struct store_audit_row **out;
	size_t *n;
	struct arena *a;
};

static int audit_append_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct audit_args *x = arg;
	return pg_stmt_exec(c, err, PS_AUTH_AUDIT_INSERT, NULL, "tttttt", x->times->ptr, x->users->ptr, x->methods->ptr,
			    x->paths->ptr, x->statuses->ptr, x->resources->ptr);
}

/* One statement for the batch: each column travels as an array. */
static int pg_audit_append(struct store *st, const struct store_audit_entry *e, size_t n, struct mlf_err *err)
{
	struct buf cols[6];
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
		buf_init(&cols[i], 64);
		pg_array_begin(&cols[i]);
	}
	for (size_t i = 0; i < n; i++) {
		pg_array_add_int64(&cols[0], e[i].time);
		pg_array_add_text(&cols[1], e[i].username);
		pg_array_add_text(&cols[2], e[i].method);
		pg_array_add_text(&cols[3], e[i].path);
		pg_array_add_int64(&cols[4], e[i].status);
		pg_array_add_text(&cols[5], e[i].resource);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		pg_array_end(&cols[i]);
	struct audit_args x = { &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], NULL, NULL, NULL, NULL };
	int rc = pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, audit_append_tx, &x, err);
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		buf_release(&cols[i]);
	return rc;
}

static int audit_search_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct audit_args *x = arg;
	const struct store_audit_query *q = x->q;
	PGresult *r = pg_stmt(c, err, PS_AUTH_AUDIT_SEARCH, "iitii", q->since, q->until, q->username, q->before_id,
			      q->max_results);
	if (!r)
		return -1;
	int n = PQntuples(r);
	struct store_audit_row *rows = arena_zalloc(x->a, (size_t)(n ? n : 1) * sizeof(*rows));
	for (int i = 0; i < n; i++) {
		rows[i].id = pg_col_int64(r, i, 0);
		rows[i].e.time = pg_col_int64(r, i, 1);
		rows[i].e.username = pg_col_text(r, i, 2, x->a);
		rows[i].e.method = pg_col_text(r, i, 3, x->a);
		rows[i].e.path = pg_col_text(r, i, 4, x->a);
		rows[i].e.status = (int)pg_col_int64(r, i, 5);
		rows[i].e.resource = pg_col_text(r, i, 6, x->a);
	}
	PQclear(r);
	*x->out = rows;
	*x->n = (size_t)n;
	return 0;
}

static int pg_audit_search(struct store *st, const struct store_audit_query *q, struct store_audit_row **out,
			   size_t *n, struct arena *a, struct mlf_err *err)
{
	struct audit_args x = { .q = q, .out = out, .n = n, .a = a };
	*n = 0;
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, audit_search_tx, &x, err);
}

const struct store_auth_ops store_pg_auth_ops = {
	.user_create = pg_user_create,
	.user_get = pg_user_get,
	.user_list = pg_user_list,
	.user_set_password = pg_user_set_password,
	.user_set_admin = pg_user_set_admin,
	.user_delete = pg_user_delete,
	.user_count_admins = pg_user_count_admins,
	.permission_create = pg_permission_create,
	.permission_get = pg_permission_get,
	.permission_update = pg_permission_update,
	.permission_delete = pg_permission_delete,
	.permission_list_user = pg_permission_list_user,
	.permission_rename_key = pg_permission_rename_key,
	.permission_delete_key = pg_permission_delete_key,
	.token_create = pg_token_create,
	.token_lookup = pg_token_lookup,
	.token_list = pg_token_list,
	.token_revoke = pg_token_revoke,
	.token_touch = pg_token_touch,
	.token_purge_expired = pg_token_purge_expired,
	.audit_append = pg_audit_append,
	.audit_search = pg_audit_search,
};
