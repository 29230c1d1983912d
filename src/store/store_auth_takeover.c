/*
 * store_auth_takeover.c - taking over MLflow's auth database
 * (basic_auth.db, spec §14.2) into the store's users (store_auth.h).
 *
 * The file is opened read-only (immutable when no -wal is beside it:
 * store_probe_readonly_uri), and must be MLflow's: an alembic_version at a
 * revision of the auth chain and the users and permission tables. Every
 * row is read and checked before anything is written, so a file with a row
 * the store cannot keep (an empty username, an unknown permission) changes
 * nothing. Then each user the store lacks is created through the front
 * (same name, the Werkzeug hash string kept for the sign-in to verify and
 * re-hash, the admin flag), followed by its experiment and registered-model
 * permissions; a user the store has already is left alone, permissions
 * included, so a second takeover changes nothing. With MLflow's workspaces
 * (3.10+), only the registered-model rows of the default workspace are
 * taken (mlflowc has one namespace).
 */
#include "store_auth_int.h"
#include "store_probe.h"
#include "../base/buf.h"
#include <sqlite3.h>
#include <sys/stat.h>

/* MLflow's auth chain, oldest first (spec §14.2). */
static const char *const auth_revisions[] = {
	"8606fa83a998", /* initial: users, experiment and registered-model permissions */
	"0965eb92f5f0", /* scorer permissions */
	"a1b2c3d4e5f6", /* gateway permissions */
	"2ed73881770d", /* workspace permissions; registered_model_permissions.workspace */
	"c3d4e5f6a7b8", /* roles */
};

#define MLFLOW_DEFAULT_WORKSPACE "default"

struct takeover_user {
	int64_t mlflow_id;
	const char *username, *password_hash;
	bool is_admin;
	struct store_permission *perms;
	size_t n_perms;
};

struct takeover_source {
	const char *path;
	sqlite3 *db;
	struct takeover_user *users;
	size_t n_users;
	int64_t n_perms;
};

static bool source_has(struct takeover_source *src, const char *table, const char *column)
{
	sqlite3_stmt *s = NULL;
	bool found = false;
	if (column) {
		if (sqlite3_prepare_v2(src->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
		}
	} else if (sqlite3_prepare_v2(src->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &s,
				      NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	}
	found = s && sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static int not_mlflow(struct takeover_source *src, const char *why, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not MLflow's auth database (%s); nothing was taken over",
			  src->path, why);
}

/* Opens the file read-only and checks it is MLflow's auth database. */
static int source_open(struct takeover_source *src, struct mlf_err *err)
{
	struct stat sb;
	if (stat(src->path, &sb) < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' does not exist", src->path);
	if (!S_ISREG(sb.st_mode))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not a database file", src->path);
	if (store_probe_open_foreign(src->path, &src->db) != SQLITE_OK)
		return not_mlflow(src, "not SQLite", err);
	if (!source_has(src, "alembic_version", NULL) || !source_has(src, "users", NULL) ||
	    !source_has(src, "experiment_permissions", NULL) || !source_has(src, "registered_model_permissions", NULL))
		return not_mlflow(src, "it has no alembic_version, users and permission tables", err);
	char head[64] = "";
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(src->db, "SELECT version_num FROM alembic_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(head, sizeof(head), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	for (size_t i = 0; i < ARRAY_SIZE(auth_revisions); i++)
		if (!strcmp(auth_revisions[i], head))
			return 0;
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "'%s' is at revision '%s', which is not one of MLflow's auth database revisions this mlflowc "
			  "knows (%s to %s); nothing was taken over",
			  src->path, head, auth_revisions[0], auth_revisions[ARRAY_SIZE(auth_revisions) - 1]);
}

static struct takeover_user *user_by_mlflow_id(struct takeover_source *src, int64_t id)
{
	for (size_t i = 0; i < src->n_users; i++)
		if (src->users[i].mlflow_id == id)
			return &src->users[i];
	return NULL;
}

static int bad_row(struct takeover_source *src, const char *what, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s': %s; nothing was taken over", src->path, what);
}

/* Reads every user and checks it can be kept. */
static int read_users(struct takeover_source *src, struct arena *a, struct mlf_err *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(src->db, "SELECT id, username, password_hash, is_admin FROM users ORDER BY id", -1, &s,
			       NULL) != SQLITE_OK)
		return not_mlflow(src, "its users table lacks MLflow's columns", err);
	int step, rc = 0;
	size_t cap = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (src->n_users == cap) {
			src->users = arena_grow_array(a, src->users, cap, cap ? cap * 2 : 16, sizeof(*src->users));
			cap = cap ? cap * 2 : 16;
		}
		struct takeover_user *u = &src->users[src->n_users++];
		memset(u, 0, sizeof(*u));
		u->mlflow_id = sqlite3_column_int64(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *hash = (const char *)sqlite3_column_text(s, 2);
		u->username = name ? arena_strdup(a, name) : NULL;
		u->password_hash = hash ? arena_strdup(a, hash) : NULL;
		u->is_admin = sqlite3_column_int64(s, 3) != 0;
		if (!u->username || !*u->username) {
			rc = bad_row(src, arena_printf(a, "user id %lld has no username", (long long)u->mlflow_id), err);
			break;
		}
		if (!u->password_hash || !*u->password_hash) {
			rc = bad_row(src, arena_printf(a, "user '%s' has no password hash", u->username), err);
			break;
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = bad_row(src, arena_printf(a, "reading users failed: %s", sqlite3_errmsg(src->db)), err);
	sqlite3_finalize(s);
	return rc;
}

/* Reads one permission table, handing each row to its user. */
static int read_permissions(struct takeover_source *src, enum store_auth_resource r, struct arena *a,
			    struct mlf_err *err)
{
	const char *sql;
	if (r == STORE_AUTH_EXPERIMENT)
		sql = "SELECT experiment_id, user_id, permission FROM experiment_permissions ORDER BY id";
	else if (source_has(src, "registered_model_permissions", "workspace"))
		sql = "SELECT name, user_id, permission FROM registered_model_permissions"
		      " WHERE workspace = '" MLFLOW_DEFAULT_WORKSPACE "' ORDER BY id";
	else
		sql = "SELECT name, user_id, permission FROM registered_model_permissions ORDER BY id";
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(src->db, sql, -1, &s, NULL) != SQLITE_OK)
		return not_mlflow(src, "its permission tables lack MLflow's columns", err);
	int step, rc = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		const char *text = (const char *)sqlite3_column_text(s, 2);
		struct takeover_user *u = user_by_mlflow_id(src, sqlite3_column_int64(s, 1));
		if (!u)
			continue; /* a row of no user grants nothing */
		src->n_perms++;
		struct store_permission p = { .resource = r, .user_id = 0 };
		if (!key || !*key) {
			rc = bad_row(src, arena_printf(a, "a permission of user '%s' has no key", u->username), err);
			break;
		}
		p.key = arena_strdup(a, key);
		if (!store_auth_permission_from_text(text, &p.permission)) {
			rc = bad_row(src,
				     arena_printf(a, "user '%s' has permission '%s' on '%s', which is not a level", u->username,
						  text ? text : "(null)", key),
				     err);
			break;
		}
		if (u->n_perms == 0 || (u->n_perms >= 8 && (u->n_perms & (u->n_perms - 1)) == 0))
			u->perms = arena_grow_array(a, u->perms, u->n_perms, u->n_perms ? u->n_perms * 2 : 8,
						    sizeof(*u->perms));
		u->perms[u->n_perms++] = p;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = bad_row(src, arena_printf(a, "reading permissions failed: %s", sqlite3_errmsg(src->db)), err);
	sqlite3_finalize(s);
	return rc;
}

/* Creates user `u` and its permissions; *created false when the store has
 * the user already (then nothing of it is touched). */
static int take_user(struct store *st, struct takeover_user *u, struct store_auth_takeover_report *rep,
		     struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct store_user have;
	int rc = store_auth_user_get(st, u->username, &have, &a, err);
	arena_release(&a);
	if (rc == 0)
		return 0;
	if (err->code != MLF_RESOURCE_DOES_NOT_EXIST)
		return -1;
	int64_t id = 0;
	if (store_auth_user_create(st, u->username, u->password_hash, u->is_admin, &id, err) < 0)
		return err->code == MLF_RESOURCE_ALREADY_EXISTS ? 0 : -1; /* made meanwhile: theirs */
	rep->users_created++;
	for (size_t i = 0; i < u->n_perms; i++) {
		u->perms[i].user_id = id;
		if (store_auth_permission_create(st, &u->perms[i], err) < 0) {
			if (err->code != MLF_RESOURCE_ALREADY_EXISTS)
				return -1;
			continue;
		}
		rep->permissions_created++;
	}
	return 0;
}

int store_auth_takeover(struct store *st, const char *sqlite_path, struct store_auth_takeover_report *rep,
			struct mlf_err *err)
{
	memset(rep, 0, sizeof(*rep));
	if (!st->auth)
		return mlf_errorf(err, MLF_NOT_IMPLEMENTED, "this backend store keeps no users");
	struct arena a = ARENA_INIT;
	struct takeover_source src = { .path = sqlite_path };
	int rc = source_open(&src, err);
	if (rc == 0)
		rc = read_users(&src, &a, err);
	if (rc == 0)
		rc = read_permissions(&src, STORE_AUTH_EXPERIMENT, &a, err);
	if (rc == 0)
		rc = read_permissions(&src, STORE_AUTH_REGISTERED_MODEL, &a, err);
	sqlite3_close(src.db);
	/* the front's checks, on every row before the first write */
	for (size_t i = 0; rc == 0 && i < src.n_users; i++) {
		struct takeover_user *u = &src.users[i];
		if (store_auth_check_user(u->username, u->password_hash, err) < 0)
			rc = bad_row(&src, arena_printf(&a, "user '%s': %s", u->username, err->msg), err);
		for (size_t j = 0; rc == 0 && j < u->n_perms; j++)
			if (store_auth_check_key(u->perms[j].resource, u->perms[j].key, err) < 0)
				rc = bad_row(&src, arena_printf(&a, "a permission of user '%s': %s", u->username, err->msg),
					     err);
	}
	rep->users_found = (int64_t)src.n_users;
	rep->permissions_found = src.n_perms;
	for (size_t i = 0; rc == 0 && i < src.n_users; i++)
		rc = take_user(st, &src.users[i], rep, err);
	arena_release(&a);
	return rc;
}
