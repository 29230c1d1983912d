/*
 * store_auth.h - users, their credentials and their permissions, kept in
 * the tracking store itself (both backends), so one database holds
 * everything and replicas share users at once: the basic-auth app's
 * tables (spec §14.2: users, experiment_permissions,
 * registered_model_permissions) plus bearer tokens (and the UI's sign-in
 * sessions, which are tokens of another kind) and an audit trail of writes.
 *
 * Callers use the store_auth_*() front functions; a backend fills `struct
 * store_auth_ops` (hung off `struct store` as `auth`; NULL in a backend
 * without users, where the front answers NOT_IMPLEMENTED). The front
 * checks names and permissions before a backend sees them.
 *
 * Errors as MLflow's auth store gives them: a user or permission that
 * exists already is RESOURCE_ALREADY_EXISTS, an unknown one
 * RESOURCE_DOES_NOT_EXIST. Deleting a user deletes its permissions and
 * tokens in the same transaction; deleting a registered model's
 * permissions and moving them on a rename are the registry's to call.
 *
 * Memory: results live in the arena the caller passes; inputs are borrowed
 * for the call.
 */
#ifndef MLF_STORE_AUTH_H
#define MLF_STORE_AUTH_H

#include "store.h"
#include "../auth/auth_permission.h"

struct store_user {
	int64_t id;
	const char *username;
	const char *password_hash; /* auth_password.h's stored string */
	bool is_admin;
	int64_t created_time;      /* ms */
	int64_t password_changed_time; /* ms; 0: never changed */
};

/* What a permission row is about. */
enum store_auth_resource {
	STORE_AUTH_EXPERIMENT,       /* key: the experiment id, as text ("12") */
	STORE_AUTH_REGISTERED_MODEL, /* key: the registered model's name */
};

struct store_permission {
	enum store_auth_resource resource;
	const char *key;
	int64_t user_id;
	enum auth_permission permission;
};

enum store_token_kind {
	STORE_TOKEN_API,     /* a bearer token a user made (MLFLOW_TRACKING_TOKEN) */
	STORE_TOKEN_SESSION, /* the UI's sign-in session (a cookie) */
};

struct store_token {
	int64_t id;
	int64_t user_id;
	enum store_token_kind kind;
	const char *name;         /* the owner's label; "" for sessions */
	int64_t created_time;     /* ms */
	int64_t expiry_time;      /* ms; 0: never expires */
	int64_t last_used_time;   /* ms; 0: never used (updated at most once a minute) */
	bool revoked;
};

/* One write that was answered, for the audit trail. */
struct store_audit_entry {
	int64_t time;          /* ms */
	const char *username;  /* who sent it; NULL: anonymous (auth off) */
	const char *method;    /* "POST" */
	const char *path;      /* the request path, without the query */
	int status;            /* the HTTP status it got */
	const char *resource;  /* the id it named (run id, experiment id, model name); NULL: none */
};

struct store_audit_query {
	int64_t since, until;  /* ms; 0: unbounded */
	const char *username;  /* NULL: all */
	int64_t max_results;   /* 1..10000 */
	int64_t before_id;     /* page: entries with a smaller id; 0: from the newest */
};

struct store_audit_row {
	int64_t id;
	struct store_audit_entry e;
};

struct store_auth_ops {
	int (*user_create)(struct store *st, const char *username, const char *password_hash, bool is_admin,
			   int64_t now, int64_t *id, struct mlf_err *err);
	/* by name (`username` non-NULL) or by id */
	int (*user_get)(struct store *st, const char *username, int64_t id, struct store_user *out, struct arena *a,
			struct mlf_err *err);
	int (*user_list)(struct store *st, struct store_user **out, size_t *n, struct arena *a, struct mlf_err *err);
	int (*user_set_password)(struct store *st, const char *username, const char *password_hash, int64_t now,
				 struct mlf_err *err);
	int (*user_set_admin)(struct store *st, const char *username, bool is_admin, struct mlf_err *err);
	int (*user_delete)(struct store *st, const char *username, struct mlf_err *err);
	int (*user_count_admins)(struct store *st, int64_t *n, struct mlf_err *err);

	int (*permission_create)(struct store *st, const struct store_permission *p, struct mlf_err *err);
	int (*permission_get)(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
			      struct store_permission *out, struct arena *a, struct mlf_err *err);
	int (*permission_update)(struct store *st, const struct store_permission *p, struct mlf_err *err);
	int (*permission_delete)(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
				 struct mlf_err *err);
	/* every row of one user and one resource kind, by key */
	int (*permission_list_user)(struct store *st, int64_t user_id, enum store_auth_resource r,
				    struct store_permission **out, size_t *n, struct arena *a, struct mlf_err *err);
	/* a registered model renamed / deleted: its rows follow */
	int (*permission_rename_key)(struct store *st, enum store_auth_resource r, const char *old_key,
				     const char *new_key, struct mlf_err *err);
	int (*permission_delete_key)(struct store *st, enum store_auth_resource r, const char *key,
				     struct mlf_err *err);

	int (*token_create)(struct store *st, int64_t user_id, enum store_token_kind kind, const char *name,
			    const char *digest, int64_t now, int64_t expiry_time, int64_t *id, struct mlf_err *err);
	/* the token with this digest, with its owner in *user; RESOURCE_DOES_NOT_EXIST when none (revoked
	 * and expired ones are returned: the caller judges them) */
	int (*token_lookup)(struct store *st, const char *digest, struct store_token *out, struct store_user *user,
			    struct arena *a, struct mlf_err *err);
	int (*token_list)(struct store *st, int64_t user_id, enum store_token_kind kind, struct store_token **out,
			  size_t *n, struct arena *a, struct mlf_err *err);
	/* revokes token `id` of user `user_id`; RESOURCE_DOES_NOT_EXIST when it is not theirs */
	int (*token_revoke)(struct store *st, int64_t user_id, int64_t id, struct mlf_err *err);
	int (*token_touch)(struct store *st, int64_t id, int64_t now, struct mlf_err *err);
	/* deletes sessions and tokens expired before `before` (ms); *n: how many */
	int (*token_purge_expired)(struct store *st, int64_t before, int64_t *n, struct mlf_err *err);

	/* appends `n` entries in one transaction */
	int (*audit_append)(struct store *st, const struct store_audit_entry *e, size_t n, struct mlf_err *err);
	/* newest first */
	int (*audit_search)(struct store *st, const struct store_audit_query *q, struct store_audit_row **out,
			    size_t *n, struct arena *a, struct mlf_err *err);
};

/* ---- the front (store_auth.c) ---------------------------------------------
 * Same arguments as the ops; each checks its input (usernames: 1..255
 * bytes of valid UTF-8 without control characters; keys: non-empty,
 * <= 255 bytes; permissions: a level of auth_permission.h) and answers
 * NOT_IMPLEMENTED when the store has no users. */
int store_auth_user_create(struct store *st, const char *username, const char *password_hash, bool is_admin,
			   int64_t *id, struct mlf_err *err);
int store_auth_user_get(struct store *st, const char *username, struct store_user *out, struct arena *a,
			struct mlf_err *err);
int store_auth_user_get_by_id(struct store *st, int64_t id, struct store_user *out, struct arena *a,
			      struct mlf_err *err);
int store_auth_user_list(struct store *st, struct store_user **out, size_t *n, struct arena *a, struct mlf_err *err);
int store_auth_user_set_password(struct store *st, const char *username, const char *password_hash,
				 struct mlf_err *err);
int store_auth_user_set_admin(struct store *st, const char *username, bool is_admin, struct mlf_err *err);
int store_auth_user_delete(struct store *st, const char *username, struct mlf_err *err);
int store_auth_user_count_admins(struct store *st, int64_t *n, struct mlf_err *err);

int store_auth_permission_create(struct store *st, const struct store_permission *p, struct mlf_err *err);
int store_auth_permission_get(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
			      struct store_permission *out, struct arena *a, struct mlf_err *err);
int store_auth_permission_update(struct store *st, const struct store_permission *p, struct mlf_err *err);
int store_auth_permission_delete(struct store *st, enum store_auth_resource r, const char *key, int64_t user_id,
				 struct mlf_err *err);
int store_auth_permission_list_user(struct store *st, int64_t user_id, enum store_auth_resource r,
				    struct store_permission **out, size_t *n, struct arena *a, struct mlf_err *err);
int store_auth_permission_rename_key(struct store *st, enum store_auth_resource r, const char *old_key,
				     const char *new_key, struct mlf_err *err);
int store_auth_permission_delete_key(struct store *st, enum store_auth_resource r, const char *key,
				     struct mlf_err *err);

int store_auth_token_create(struct store *st, int64_t user_id, enum store_token_kind kind, const char *name,
			    const char *digest, int64_t expiry_time, int64_t *id, struct mlf_err *err);
int store_auth_token_lookup(struct store *st, const char *digest, struct store_token *out, struct store_user *user,
			    struct arena *a, struct mlf_err *err);
int store_auth_token_list(struct store *st, int64_t user_id, enum store_token_kind kind, struct store_token **out,
			  size_t *n, struct arena *a, struct mlf_err *err);
int store_auth_token_revoke(struct store *st, int64_t user_id, int64_t id, struct mlf_err *err);
int store_auth_token_touch(struct store *st, int64_t id, struct mlf_err *err);
int store_auth_token_purge_expired(struct store *st, int64_t before, int64_t *n, struct mlf_err *err);

int store_auth_audit_append(struct store *st, const struct store_audit_entry *e, size_t n, struct mlf_err *err);
int store_auth_audit_search(struct store *st, const struct store_audit_query *q, struct store_audit_row **out,
			    size_t *n, struct arena *a, struct mlf_err *err);

/* ---- taking over an MLflow auth database (store_auth_takeover.c) ----------
 * Reads MLflow's basic_auth.db (SQLite, any revision of its chain, §14.2)
 * read-only and immutable, and creates each of its users that the store
 * does not have yet (same name, its Werkzeug hash kept: the user signs in
 * with the old password and is re-hashed then, admin flag kept) with its
 * experiment and registered-model permissions. Users already present are
 * left as they are, so a second takeover changes nothing. Refuses a file
 * that is not MLflow's auth database. */
struct store_auth_takeover_report {
	int64_t users_found, users_created;
	int64_t permissions_found, permissions_created;
};
int store_auth_takeover(struct store *st, const char *sqlite_path, struct store_auth_takeover_report *rep,
			struct mlf_err *err);

/* The backends' tables. */
extern const struct store_auth_ops store_sqlite_auth_ops; /* store_sqlite_auth.c */
extern const struct store_auth_ops store_pg_auth_ops;     /* store_pg_auth.c */

#endif
