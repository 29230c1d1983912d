/*
 * store_sqlite_auth_sql.h - the fixed SQL texts of the SQLite store's users,
 * permissions, tokens and audit trail (store_sqlite_auth.c, migration 6 of
 * schema_sqlite.h), as X(name, sql) rows that store_sqlite_sql.h joins into
 * the store's one statement table. Values are ?N parameters, always; the
 * two permission tables have one statement each, chosen by resource.
 * Not for use outside src/store.
 */
#ifndef MLF_STORE_SQLITE_AUTH_SQL_H
#define MLF_STORE_SQLITE_AUTH_SQL_H

#define AUTH_USER_COLS "id, username, password_hash, is_admin, created_time, password_changed_time"
#define AUTH_TOKEN_COLS "t.id, t.user_id, t.kind, t.name, t.created_time, t.expiry_time, t.last_used_time, t.revoked"

/* clang-format off */
#define AUTH_STMTS(X) \
	X(AUTH_USER_INSERT, "INSERT INTO users (username, password_hash, is_admin, created_time, password_changed_time) VALUES (?1, ?2, ?3, ?4, 0) ON CONFLICT (username) DO NOTHING") \
	X(AUTH_USER_BY_NAME, "SELECT " AUTH_USER_COLS " FROM users WHERE username = ?1") \
	X(AUTH_USER_BY_ID, "SELECT " AUTH_USER_COLS " FROM users WHERE id = ?1") \
	X(AUTH_USER_LIST, "SELECT " AUTH_USER_COLS " FROM users ORDER BY id") \
	X(AUTH_USER_SET_PASSWORD, "UPDATE users SET password_hash = ?2, password_changed_time = ?3 WHERE username = ?1") \
	X(AUTH_USER_SET_ADMIN, "UPDATE users SET is_admin = ?2 WHERE username = ?1") \
	X(AUTH_USER_ID, "SELECT id FROM users WHERE username = ?1") \
	X(AUTH_USER_EXISTS, "SELECT 1 FROM users WHERE id = ?1") \
	X(AUTH_USER_DELETE, "DELETE FROM users WHERE id = ?1") \
	X(AUTH_USER_DELETE_EXP_PERMS, "DELETE FROM experiment_permissions WHERE user_id = ?1") \
	X(AUTH_USER_DELETE_RM_PERMS, "DELETE FROM registered_model_permissions WHERE user_id = ?1") \
	X(AUTH_USER_DELETE_TOKENS, "DELETE FROM auth_tokens WHERE user_id = ?1") \
	X(AUTH_ADMIN_COUNT, "SELECT count(*) FROM users WHERE is_admin != 0") \
	X(AUTH_EXP_PERM_INSERT, "INSERT INTO experiment_permissions (experiment_id, user_id, permission) VALUES (?1, ?2, ?3) ON CONFLICT (experiment_id, user_id) DO NOTHING") \
	X(AUTH_RM_PERM_INSERT, "INSERT INTO registered_model_permissions (name, user_id, permission) VALUES (?1, ?2, ?3) ON CONFLICT (name, user_id) DO NOTHING") \
	X(AUTH_EXP_PERM_GET, "SELECT experiment_id, user_id, permission FROM experiment_permissions WHERE experiment_id = ?1 AND user_id = ?2") \
	X(AUTH_RM_PERM_GET, "SELECT name, user_id, permission FROM registered_model_permissions WHERE name = ?1 AND user_id = ?2") \
	X(AUTH_EXP_PERM_UPDATE, "UPDATE experiment_permissions SET permission = ?3 WHERE experiment_id = ?1 AND user_id = ?2") \
	X(AUTH_RM_PERM_UPDATE, "UPDATE registered_model_permissions SET permission = ?3 WHERE name = ?1 AND user_id = ?2") \
	X(AUTH_EXP_PERM_DELETE, "DELETE FROM experiment_permissions WHERE experiment_id = ?1 AND user_id = ?2") \
	X(AUTH_RM_PERM_DELETE, "DELETE FROM registered_model_permissions WHERE name = ?1 AND user_id = ?2") \
	X(AUTH_EXP_PERM_LIST, "SELECT experiment_id, user_id, permission FROM experiment_permissions WHERE user_id = ?1 ORDER BY experiment_id") \
	X(AUTH_RM_PERM_LIST, "SELECT name, user_id, permission FROM registered_model_permissions WHERE user_id = ?1 ORDER BY name") \
	X(AUTH_EXP_PERM_CLEAR_TARGET, "DELETE FROM experiment_permissions WHERE experiment_id = ?2 AND user_id IN (SELECT user_id FROM experiment_permissions WHERE experiment_id = ?1)") \
	X(AUTH_RM_PERM_CLEAR_TARGET, "DELETE FROM registered_model_permissions WHERE name = ?2 AND user_id IN (SELECT user_id FROM registered_model_permissions WHERE name = ?1)") \
	X(AUTH_EXP_PERM_RENAME, "UPDATE experiment_permissions SET experiment_id = ?2 WHERE experiment_id = ?1") \
	X(AUTH_RM_PERM_RENAME, "UPDATE registered_model_permissions SET name = ?2 WHERE name = ?1") \
	X(AUTH_EXP_PERM_DELETE_KEY, "DELETE FROM experiment_permissions WHERE experiment_id = ?1") \
	X(AUTH_RM_PERM_DELETE_KEY, "DELETE FROM registered_model_permissions WHERE name = ?1") \
	X(AUTH_TOKEN_INSERT, "INSERT INTO auth_tokens (user_id, kind, name, digest, created_time, expiry_time, last_used_time, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0) ON CONFLICT (digest) DO NOTHING") \
	X(AUTH_TOKEN_LOOKUP, "SELECT " AUTH_TOKEN_COLS ", u.id, u.username, u.password_hash, u.is_admin, u.created_time, u.password_changed_time FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = ?1") \
	X(AUTH_TOKEN_LIST, "SELECT " AUTH_TOKEN_COLS " FROM auth_tokens t WHERE t.user_id = ?1 AND t.kind = ?2 ORDER BY t.id") \
	X(AUTH_TOKEN_REVOKE, "UPDATE auth_tokens SET revoked = 1 WHERE id = ?2 AND user_id = ?1") \
	X(AUTH_TOKEN_TOUCH, "UPDATE auth_tokens SET last_used_time = ?2 WHERE id = ?1 AND last_used_time <= ?2 - 60000") \
	X(AUTH_TOKEN_PURGE, "DELETE FROM auth_tokens WHERE expiry_time > 0 AND expiry_time < ?1") \
	X(AUTH_AUDIT_INSERT, "INSERT INTO audit_log (time, username, method, path, status, resource) VALUES (?1, ?2, ?3, ?4, ?5, ?6)") \
	X(AUTH_AUDIT_SEARCH, "SELECT id, time, username, method, path, status, resource FROM audit_log WHERE (?1 = 0 OR time >= ?1) AND (?2 = 0 OR time < ?2) AND (?3 IS NULL OR username = ?3) AND (?4 = 0 OR id < ?4) ORDER BY id DESC LIMIT ?5")
/* clang-format on */

#endif
