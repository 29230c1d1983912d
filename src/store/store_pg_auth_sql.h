/*
 * store_pg_auth_sql.h - the fixed SQL texts of the PostgreSQL store's
 * users, permissions, tokens and audit trail (store_pg_auth.c, migration 6
 * of schema_pg.h), as X(name, sql) rows joined into the statement table by
 * store_pg_sql.h. Values are $N parameters, always, cast where PostgreSQL
 * could not infer a BIGINT.
 *
 * A write that hangs a row off a user locks the user FOR SHARE first (a
 * concurrent delete waits for it); a user's delete locks it FOR UPDATE.
 * Inserts that may meet a duplicate say ON CONFLICT DO NOTHING RETURNING
 * id, so a duplicate is an empty result rather than an aborted
 * transaction. An audit batch is one statement over arrays.
 */
#ifndef MLF_STORE_PG_AUTH_SQL_H
#define MLF_STORE_PG_AUTH_SQL_H

#define PG_AUTH_USER_COLS "id, username, password_hash, is_admin, created_time, password_changed_time"
#define PG_AUTH_TOKEN_COLS \
	"t.id, t.user_id, t.kind, t.name, t.created_time, t.expiry_time, t.last_used_time, t.revoked"

/* clang-format off */
#define PG_AUTH_STMTS(X) \
	X(AUTH_USER_INSERT, "INSERT INTO users (username, password_hash, is_admin, created_time, password_changed_time) VALUES ($1, $2, $3, $4, 0) ON CONFLICT (username) DO NOTHING RETURNING id") \
	X(AUTH_USER_BY_NAME, "SELECT " PG_AUTH_USER_COLS " FROM users WHERE username = $1") \
	X(AUTH_USER_BY_ID, "SELECT " PG_AUTH_USER_COLS " FROM users WHERE id = $1") \
	X(AUTH_USER_LIST, "SELECT " PG_AUTH_USER_COLS " FROM users ORDER BY id") \
	X(AUTH_USER_SET_PASSWORD, "UPDATE users SET password_hash = $2, password_changed_time = $3 WHERE username = $1") \
	X(AUTH_USER_SET_ADMIN, "UPDATE users SET is_admin = $2 WHERE username = $1") \
	X(AUTH_USER_LOCK_NAME, "SELECT id FROM users WHERE username = $1 FOR UPDATE") \
	X(AUTH_USER_SHARE, "SELECT 1 FROM users WHERE id = $1 FOR SHARE") \
	X(AUTH_USER_DELETE, "DELETE FROM users WHERE id = $1") \
	X(AUTH_USER_DELETE_EXP_PERMS, "DELETE FROM experiment_permissions WHERE user_id = $1") \
	X(AUTH_USER_DELETE_RM_PERMS, "DELETE FROM registered_model_permissions WHERE user_id = $1") \
	X(AUTH_USER_DELETE_TOKENS, "DELETE FROM auth_tokens WHERE user_id = $1") \
	X(AUTH_ADMIN_COUNT, "SELECT count(*) FROM users WHERE is_admin != 0") \
	X(AUTH_EXP_PERM_INSERT, "INSERT INTO experiment_permissions (experiment_id, user_id, permission) VALUES ($1, $2, $3) ON CONFLICT (experiment_id, user_id) DO NOTHING RETURNING id") \
	X(AUTH_RM_PERM_INSERT, "INSERT INTO registered_model_permissions (name, user_id, permission) VALUES ($1, $2, $3) ON CONFLICT (name, user_id) DO NOTHING RETURNING id") \
	X(AUTH_EXP_PERM_GET, "SELECT experiment_id, user_id, permission FROM experiment_permissions WHERE experiment_id = $1 AND user_id = $2") \
	X(AUTH_RM_PERM_GET, "SELECT name, user_id, permission FROM registered_model_permissions WHERE name = $1 AND user_id = $2") \
	X(AUTH_EXP_PERM_UPDATE, "UPDATE experiment_permissions SET permission = $3 WHERE experiment_id = $1 AND user_id = $2") \
	X(AUTH_RM_PERM_UPDATE, "UPDATE registered_model_permissions SET permission = $3 WHERE name = $1 AND user_id = $2") \
	X(AUTH_EXP_PERM_DELETE, "DELETE FROM experiment_permissions WHERE experiment_id = $1 AND user_id = $2") \
	X(AUTH_RM_PERM_DELETE, "DELETE FROM registered_model_permissions WHERE name = $1 AND user_id = $2") \
	X(AUTH_EXP_PERM_LIST, "SELECT experiment_id, user_id, permission FROM experiment_permissions WHERE user_id = $1 ORDER BY experiment_id") \
	X(AUTH_RM_PERM_LIST, "SELECT name, user_id, permission FROM registered_model_permissions WHERE user_id = $1 ORDER BY name") \
	X(AUTH_EXP_PERM_CLEAR_TARGET, "DELETE FROM experiment_permissions WHERE experiment_id = $2 AND user_id IN (SELECT user_id FROM experiment_permissions WHERE experiment_id = $1)") \
	X(AUTH_RM_PERM_CLEAR_TARGET, "DELETE FROM registered_model_permissions WHERE name = $2 AND user_id IN (SELECT user_id FROM registered_model_permissions WHERE name = $1)") \
	X(AUTH_EXP_PERM_RENAME, "UPDATE experiment_permissions SET experiment_id = $2 WHERE experiment_id = $1") \
	X(AUTH_RM_PERM_RENAME, "UPDATE registered_model_permissions SET name = $2 WHERE name = $1") \
	X(AUTH_EXP_PERM_DELETE_KEY, "DELETE FROM experiment_permissions WHERE experiment_id = $1") \
	X(AUTH_RM_PERM_DELETE_KEY, "DELETE FROM registered_model_permissions WHERE name = $1") \
	X(AUTH_TOKEN_INSERT, "INSERT INTO auth_tokens (user_id, kind, name, digest, created_time, expiry_time, last_used_time, revoked) VALUES ($1, $2, $3, $4, $5, $6, 0, 0) ON CONFLICT (digest) DO NOTHING RETURNING id") \
	X(AUTH_TOKEN_LOOKUP, "SELECT " PG_AUTH_TOKEN_COLS ", u.id, u.username, u.password_hash, u.is_admin, u.created_time, u.password_changed_time FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = $1") \
	X(AUTH_TOKEN_LIST, "SELECT " PG_AUTH_TOKEN_COLS " FROM auth_tokens t WHERE t.user_id = $1 AND t.kind = $2 ORDER BY t.id") \
	X(AUTH_TOKEN_REVOKE, "UPDATE auth_tokens SET revoked = 1 WHERE id = $2 AND user_id = $1") \
	X(AUTH_TOKEN_TOUCH, "UPDATE auth_tokens SET last_used_time = $2 WHERE id = $1 AND last_used_time <= $2::bigint - 60000") \
	X(AUTH_TOKEN_PURGE, "DELETE FROM auth_tokens WHERE expiry_time > 0 AND expiry_time < $1") \
	X(AUTH_AUDIT_INSERT, "INSERT INTO audit_log (time, username, method, path, status, resource) SELECT tm, u, m, p, s, r FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[]) WITH ORDINALITY AS x(tm, u, m, p, s, r, o) ORDER BY o") \
	X(AUTH_AUDIT_SEARCH, "SELECT id, time, username, method, path, status, resource FROM audit_log WHERE ($1::bigint = 0 OR time >= $1::bigint) AND ($2::bigint = 0 OR time < $2::bigint) AND ($3::text IS NULL OR username = $3::text) AND ($4::bigint = 0 OR id < $4::bigint) ORDER BY id DESC LIMIT $5::bigint")
/* clang-format on */

#endif
