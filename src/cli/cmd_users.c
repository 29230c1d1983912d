/*
 * cmd_users.c - `mlflowc users ...`: the basic-auth app's users, passwords,
 * permissions and bearer tokens, managed by an admin working directly on
 * the store (as `mlflowc gc` does: --backend-store-uri, default
 * sqlite:///mlflow.db; a store that does not exist is refused, never
 * created). Also taking over MLflow's basic_auth.db and reading the audit
 * trail.
 *
 * What is stored and checked is the store front's (store_auth.h); this
 * file reads flags, passwords (stdin or MLFLOWC_NEW_PASSWORD, never a
 * flag: flags end up in shell histories and `ps`), hashes them
 * (auth_password.h), makes tokens (auth_credentials.h) and prints. The
 * last admin is never taken away. A running server remembers verified
 * credentials for its auth_cache_ttl_seconds, so a password changed or a
 * token revoked here stops working there within that time.
 *
 * Exit status: 0 done; 2 bad input (flags, a short password, an unknown
 * user, permission or resource, the last admin), nothing changed; 1 the
 * store could not be opened or failed.
 */
#include "cli.h"
#include "cmd_gc.h"
#include "../auth/auth_credentials.h"
#include "../auth/auth_password.h"
#include "../base/arena.h"
#include "../base/util.h"
#include "../store/registry.h"
#include "../store/store_auth.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define USERS_PASSWORD_ENV "MLFLOWC_NEW_PASSWORD"
#define USERS_PASSWORD_MAX 1000    /* bytes; with the username it must fit AUTH_CREDENTIAL_MAX */
#define USERS_TOKEN_DAYS_DEFAULT 90 /* as /mlflowc/users/tokens/create */
#define USERS_TOKEN_DAYS_MAX 3650
#define USERS_TOKEN_NAME_MAX 255
#define USERS_AUDIT_DEFAULT 100
#define USERS_AUDIT_MAX 10000

/* Every subcommand's flags; each reads the ones of its table. */
struct users_settings {
	const char *backend_store_uri;
	const char *username;
	bool admin, no_admin;
	const char *experiment_id;
	const char *registered_model;
	const char *permission;
	const char *name;
	const char *expires_in_days;
	const char *id;
	const char *from;
	const char *max_results;
};

#define OPT(field) offsetof(struct users_settings, field)
#define STORE_OPT                                                                                         \
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",                              \
	  "the store (default sqlite:///mlflow.db, or postgresql://...); it must exist" }
#define USER_OPT(help) { "username", 0, CLI_REQUIRED, OPT(username), "USER", help }
#define RESOURCE_OPTS                                                                                     \
	{ "experiment-id", 0, CLI_STRING, OPT(experiment_id), "ID", "the experiment (or --registered-model)" }, \
	{ "registered-model", 0, CLI_STRING, OPT(registered_model), "NAME", "the registered model (or --experiment-id)" }

static const struct cli_option create_options[] = {
	STORE_OPT,
	USER_OPT("the new user's name"),
	{ "admin", 0, CLI_TRUE, OPT(admin), NULL, "make the user an admin" },
	{ 0 },
};
static const struct cli_option list_options[] = { STORE_OPT, { 0 } };
static const struct cli_option set_admin_options[] = {
	STORE_OPT,
	USER_OPT("the user"),
	{ "admin", 0, CLI_TRUE, OPT(admin), NULL, "make the user an admin" },
	{ "no-admin", 0, CLI_TRUE, OPT(no_admin), NULL, "take admin away (never from the last admin)" },
	{ 0 },
};
static const struct cli_option user_options[] = { STORE_OPT, USER_OPT("the user"), { 0 } };
static const struct cli_option grant_options[] = {
	STORE_OPT,
	USER_OPT("the user"),
	RESOURCE_OPTS,
	{ "permission", 0, CLI_REQUIRED, OPT(permission), "LEVEL", "READ, USE, EDIT, MANAGE or NO_PERMISSIONS" },
	{ 0 },
};
static const struct cli_option revoke_options[] = { STORE_OPT, USER_OPT("the user"), RESOURCE_OPTS, { 0 } };
static const struct cli_option token_create_options[] = {
	STORE_OPT,
	USER_OPT("the token's owner"),
	{ "name", 0, CLI_STRING, OPT(name), "NAME", "a label for the token (at most 255 bytes)" },
	{ "expires-in-days", 0, CLI_STRING, OPT(expires_in_days), "D", "days until it expires, 0: never (default 90)" },
	{ 0 },
};
static const struct cli_option token_revoke_options[] = {
	STORE_OPT,
	USER_OPT("the token's owner"),
	{ "id", 0, CLI_REQUIRED, OPT(id), "ID", "the token (see `users tokens`)" },
	{ 0 },
};
static const struct cli_option takeover_options[] = {
	STORE_OPT,
	{ "from", 0, CLI_REQUIRED, OPT(from), "URI", "MLflow's auth database: sqlite:///basic_auth.db (or a path)" },
	{ 0 },
};
static const struct cli_option audit_options[] = {
	STORE_OPT,
	{ "username", 0, CLI_STRING, OPT(username), "USER", "only this user's writes" },
	{ "max-results", 0, CLI_STRING, OPT(max_results), "N", "at most N entries, newest first (default 100, max 10000)" },
	{ 0 },
};
#undef OPT

/* The subcommand being run, for messages. */
static const char *users_cmd = "users";

static MLF_PRINTF(1, 2) int users_bad(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mlflowc %s: ", users_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* A store error: 1 when the store failed, 2 when the input was wrong. */
static int users_fail(const struct mlf_err *err)
{
	fprintf(stderr, "mlflowc %s: %s\n", users_cmd, err->msg);
	return err->code == MLF_INTERNAL_ERROR || err->code == MLF_TEMPORARILY_UNAVAILABLE ? 1 : 2;
}

/* "2026-12-07T22:56:54Z" of a time in ms; "-" for 0. */
static const char *users_time(int64_t ms, char *out, size_t size)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, size, "-");
	return out;
}

/* ---- passwords ------------------------------------------------------------------------ */

/* One line of stdin into `buf` (without its line end); with a terminal,
 * prompted with `prompt` and not echoed. false at end of input or when the
 * line is longer than the buffer. */
static bool users_read_line(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	bool ok = fgets(buf, (int)size, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return false;
	size_t len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == size - 1 && !feof(stdin))
		return false; /* longer than the buffer */
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return true;
}

/* The new password of `username` (MLFLOWC_NEW_PASSWORD, else stdin),
 * checked, hashed into `hash`. 0, or an exit status after a message. */
static int users_new_password(const char *username, char hash[AUTH_PASSWORD_HASH_MAX])
{
	char line[USERS_PASSWORD_MAX + 2], again[USERS_PASSWORD_MAX + 2];
	const char *password = getenv(USERS_PASSWORD_ENV), *why;
	struct mlf_err err;
	if (!password) {
		if (!users_read_line("New password: ", line, sizeof(line)))
			return users_bad("no password on stdin (or in " USERS_PASSWORD_ENV "), or one longer than %d bytes",
					 USERS_PASSWORD_MAX);
		if (isatty(STDIN_FILENO) &&
		    (!users_read_line("Again: ", again, sizeof(again)) || strcmp(line, again) != 0))
			return users_bad("the passwords do not match");
		password = line;
	}
	size_t len = strlen(password);
	if (!auth_password_acceptable(password, &why))
		return users_bad("%s", why);
	if (len > USERS_PASSWORD_MAX || strlen(username) + 1 + len > AUTH_CREDENTIAL_MAX)
		return users_bad("the password is too long (at most %d bytes)", USERS_PASSWORD_MAX);
	/* what HTTP Basic could never carry (auth_credentials.h) */
	if (!util_utf8_valid(password, len))
		return users_bad("the password is not valid UTF-8");
	for (const char *p = password; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return users_bad("the password contains a control character");
	if (auth_password_init(&err) < 0 || auth_password_hash(password, len, hash, &err) < 0)
		return users_fail(&err);
	return 0;
}

/* ---- the commands ---------------------------------------------------------------------
 * Each runs on an open store and returns the exit status. */

/* The last admin is never taken away. */
static int users_keep_an_admin(struct store *st, const struct store_user *u)
{
	int64_t admins;
	struct mlf_err err;
	if (!u->is_admin)
		return 0;
	if (store_auth_user_count_admins(st, &admins, &err) < 0)
		return users_fail(&err);
	if (admins <= 1)
		return users_bad("%s is the only admin: make another admin first", u->username);
	return 0;
}

static int users_create(struct store *st, const struct users_settings *s, struct arena *a)
{
	char hash[AUTH_PASSWORD_HASH_MAX];
	struct store_user u;
	struct mlf_err err;
	int64_t id;
	int rc;
	if (store_auth_user_get(st, s->username, &u, a, &err) == 0)
		return users_bad("User (username=%s) already exists", s->username);
	if (err.code != MLF_RESOURCE_DOES_NOT_EXIST)
		return users_fail(&err);
	if ((rc = users_new_password(s->username, hash)) != 0)
		return rc;
	if (store_auth_user_create(st, s->username, hash, s->admin, &id, &err) < 0)
		return users_fail(&err);
	printf("created user %s (id %lld%s)\n", s->username, (long long)id, s->admin ? ", admin" : "");
	return 0;
}

static void users_print_permissions(struct store *st, const struct store_user *u, enum store_auth_resource r,
				    struct arena *a)
{
	struct store_permission *p;
	size_t n;
	struct mlf_err err;
	if (store_auth_permission_list_user(st, u->id, r, &p, &n, a, &err) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		printf("    %s %s: %s\n", r == STORE_AUTH_EXPERIMENT ? "experiment" : "registered-model", p[i].key,
		       auth_permission_name(p[i].permission));
}

static int users_list(struct store *st, const struct users_settings *s, struct arena *a)
{
	(void)s;
	struct store_user *u;
	size_t n;
	struct mlf_err err;
	char created[32], changed[32];
	if (store_auth_user_list(st, &u, &n, a, &err) < 0)
		return users_fail(&err);
	if (!n)
		printf("no users\n");
	for (size_t i = 0; i < n; i++) {
		printf("%s (id %lld)%s created %s, password changed %s\n", u[i].username, (long long)u[i].id,
		       u[i].is_admin ? " admin," : "", users_time(u[i].created_time, created, sizeof(created)),
		       users_time(u[i].password_changed_time, changed, sizeof(changed)));
		users_print_permissions(st, &u[i], STORE_AUTH_EXPERIMENT, a);
		users_print_permissions(st, &u[i], STORE_AUTH_REGISTERED_MODEL, a);
	}
	return 0;
}

static int users_set_admin(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_user u;
	struct mlf_err err;
	int rc;
	if (s->admin == s->no_admin)
		return users_bad("give exactly one of --admin and --no-admin");
	if (store_auth_user_get(st, s->username, &u, a, &err) < 0)
		return users_fail(&err);
	if (s->no_admin && (rc = users_keep_an_admin(st, &u)) != 0)
		return rc;
	if (store_auth_user_set_admin(st, s->username, s->admin, &err) < 0)
		return users_fail(&err);
	printf("%s is %s\n", s->username, s->admin ? "an admin" : "not an admin");
	return 0;
}

/* A new password also ends the user's UI sign-ins, as the REST API does. */
static int users_set_password(struct store *st, const struct users_settings *s, struct arena *a)
{
	char hash[AUTH_PASSWORD_HASH_MAX];
	struct store_user u;
	struct store_token *t;
	size_t n;
	struct mlf_err err;
	int rc;
	if (store_auth_user_get(st, s->username, &u, a, &err) < 0)
		return users_fail(&err);
	if ((rc = users_new_password(s->username, hash)) != 0)
		return rc;
	if (store_auth_user_set_password(st, s->username, hash, &err) < 0 ||
	    store_auth_token_list(st, u.id, STORE_TOKEN_SESSION, &t, &n, a, &err) < 0)
		return users_fail(&err);
	for (size_t i = 0; i < n; i++)
		if (!t[i].revoked && store_auth_token_revoke(st, u.id, t[i].id, &err) < 0)
			return users_fail(&err);
	printf("set the password of %s\n", s->username);
	return 0;
}

static int users_delete(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_user u;
	struct mlf_err err;
	int rc;
	if (store_auth_user_get(st, s->username, &u, a, &err) < 0)
		return users_fail(&err);
	if ((rc = users_keep_an_admin(st, &u)) != 0)
		return rc;
	if (store_auth_user_delete(st, s->username, &err) < 0)
		return users_fail(&err);
	printf("deleted user %s with its permissions and tokens\n", s->username);
	return 0;
}

/* The permission row --username and --experiment-id / --registered-model
 * name, checked: the user and the resource exist. */
static int users_subject(struct store *st, const struct users_settings *s, struct store_permission *p,
			 struct arena *a)
{
	struct store_user u;
	struct mlf_err err;
	if (!s->experiment_id == !s->registered_model)
		return users_bad("give exactly one of --experiment-id ID and --registered-model NAME");
	if (store_auth_user_get(st, s->username, &u, a, &err) < 0)
		return users_fail(&err);
	p->user_id = u.id;
	if (s->experiment_id) {
		int64_t id;
		struct store_experiment e;
		if (!util_parse_int64(s->experiment_id, &id) || id < 0)
			return users_bad("No Experiment with id=%s exists", s->experiment_id);
		if (store_experiment_get(st, id, &e, a, &err) < 0)
			return users_fail(&err);
		p->resource = STORE_AUTH_EXPERIMENT;
		p->key = arena_printf(a, "%lld", (long long)id);
	} else {
		struct store_registered_model m;
		if (store_registered_model_get(st, s->registered_model, &m, a, &err) < 0)
			return users_fail(&err);
		p->resource = STORE_AUTH_REGISTERED_MODEL;
		p->key = s->registered_model;
	}
	return 0;
}

static const char *users_resource_text(const struct store_permission *p)
{
	return p->resource == STORE_AUTH_EXPERIMENT ? "experiment" : "registered model";
}

static int users_grant(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_permission p = { 0 }, old;
	struct mlf_err err;
	int rc;
	if (!auth_permission_parse(s->permission, &p.permission))
		return users_bad("Invalid permission '%s'. Valid permissions are: READ, USE, EDIT, MANAGE, NO_PERMISSIONS",
				 s->permission);
	if ((rc = users_subject(st, s, &p, a)) != 0)
		return rc;
	bool exists = store_auth_permission_get(st, p.resource, p.key, p.user_id, &old, a, &err) == 0;
	if (!exists && err.code != MLF_RESOURCE_DOES_NOT_EXIST)
		return users_fail(&err);
	if ((exists ? store_auth_permission_update(st, &p, &err) : store_auth_permission_create(st, &p, &err)) < 0)
		return users_fail(&err);
	printf("%s has %s on %s %s%s%s%s\n", s->username, auth_permission_name(p.permission), users_resource_text(&p),
	       p.key, exists ? " (was " : "", exists ? auth_permission_name(old.permission) : "", exists ? ")" : "");
	return 0;
}

static int users_revoke(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_permission p = { 0 };
	struct mlf_err err;
	int rc;
	if ((rc = users_subject(st, s, &p, a)) != 0)
		return rc;
	if (store_auth_permission_delete(st, p.resource, p.key, p.user_id, &err) < 0) {
		if (err.code == MLF_RESOURCE_DOES_NOT_EXIST)
			return users_bad("%s has no permission row on %s %s", s->username, users_resource_text(&p), p.key);
		return users_fail(&err);
	}
	printf("%s has no own permission on %s %s any more (the default applies)\n", s->username,
	       users_resource_text(&p), p.key);
	return 0;
}

static int users_tokens(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_user u;
	struct store_token *t;
	size_t n;
	struct mlf_err err;
	char created[32], expires[32], used[32];
	if (store_auth_user_get(st, s->username, &u, a, &err) < 0 ||
	    store_auth_token_list(st, u.id, STORE_TOKEN_API, &t, &n, a, &err) < 0)
		return users_fail(&err);
	if (!n)
		printf("%s has no tokens\n", s->username);
	int64_t now = util_now_ms();
	for (size_t i = 0; i < n; i++)
		printf("id %lld name '%s' created %s expires %s last used %s%s\n", (long long)t[i].id, t[i].name,
		       users_time(t[i].created_time, created, sizeof(created)),
		       t[i].expiry_time ? users_time(t[i].expiry_time, expires, sizeof(expires)) : "never",
		       users_time(t[i].last_used_time, used, sizeof(used)),
		       t[i].revoked ? " REVOKED" : t[i].expiry_time && t[i].expiry_time <= now ? " EXPIRED" : "");
	return 0;
}

/* The secret alone goes to stdout (TOKEN=$(mlflowc users token-create ...)). */
static int users_token_create(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_user u;
	struct mlf_err err;
	int64_t days = USERS_TOKEN_DAYS_DEFAULT, id;
	const char *name = s->name ? s->name : "";
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_TOKEN_DIGEST_LEN + 1], expires[32];
	if (s->expires_in_days && (!util_parse_int64(s->expires_in_days, &days) || days < 0 || days > USERS_TOKEN_DAYS_MAX))
		return users_bad("--expires-in-days must be between 0 (never) and %d, not '%s'", USERS_TOKEN_DAYS_MAX,
				 s->expires_in_days);
	if (strlen(name) > USERS_TOKEN_NAME_MAX)
		return users_bad("a token's name is at most %d bytes", USERS_TOKEN_NAME_MAX);
	if (store_auth_user_get(st, s->username, &u, a, &err) < 0)
		return users_fail(&err);
	int64_t expiry = days ? util_now_ms() + days * 86400000LL : 0;
	auth_token_new(token, digest);
	if (store_auth_token_create(st, u.id, STORE_TOKEN_API, name, digest, expiry, &id, &err) < 0)
		return users_fail(&err);
	fprintf(stderr, "token %lld of %s, expires %s; shown this once:\n", (long long)id, s->username,
		expiry ? users_time(expiry, expires, sizeof(expires)) : "never");
	printf("%s\n", token);
	return 0;
}

static int users_token_revoke(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_user u;
	struct mlf_err err;
	int64_t id;
	if (!util_parse_int64(s->id, &id) || id < 0)
		return users_bad("--id must be a token id (see `users tokens`), not '%s'", s->id);
	if (store_auth_user_get(st, s->username, &u, a, &err) < 0)
		return users_fail(&err);
	if (store_auth_token_revoke(st, u.id, id, &err) < 0)
		return users_fail(&err);
	printf("revoked token %lld of %s\n", (long long)id, s->username);
	return 0;
}

static int users_takeover(struct store *st, const struct users_settings *s, struct arena *a)
{
	(void)a;
	struct store_auth_takeover_report rep;
	struct mlf_err err;
	struct stat sb;
	const char *path = !strncmp(s->from, "sqlite:///", 10) ? s->from + 10 : s->from;
	if (strstr(path, "://"))
		return users_bad("--from takes sqlite:///PATH (MLflow's basic_auth.db), not '%s'", s->from);
	if (stat(path, &sb) < 0)
		return users_bad("no MLflow auth database at '%s': %s", path, strerror(errno));
	if (store_auth_takeover(st, path, &rep, &err) < 0)
		return users_fail(&err);
	printf("took over %s: %lld of %lld users and %lld of %lld permissions were new\n", path,
	       (long long)rep.users_created, (long long)rep.users_found, (long long)rep.permissions_created,
	       (long long)rep.permissions_found);
	return 0;
}

static int users_audit(struct store *st, const struct users_settings *s, struct arena *a)
{
	struct store_audit_query q = { .username = s->username, .max_results = USERS_AUDIT_DEFAULT };
	struct store_audit_row *r;
	size_t n;
	struct mlf_err err;
	char when[32];
	if (s->max_results && (!util_parse_int64(s->max_results, &q.max_results) || q.max_results < 1 ||
			       q.max_results > USERS_AUDIT_MAX))
		return users_bad("--max-results must be between 1 and %d, not '%s'", USERS_AUDIT_MAX, s->max_results);
	if (store_auth_audit_search(st, &q, &r, &n, a, &err) < 0)
		return users_fail(&err);
	if (!n)
		printf("no audit entries\n");
	for (size_t i = 0; i < n; i++)
		printf("%lld %s %s %s %s %d %s\n", (long long)r[i].id, users_time(r[i].e.time, when, sizeof(when)),
		       r[i].e.username ? r[i].e.username : "-", r[i].e.method, r[i].e.path, r[i].e.status,
		       r[i].e.resource ? r[i].e.resource : "-");
	return 0;
}

/* ---- the group ---------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(struct store *st, const struct users_settings *s, struct arena *a);
	const struct cli_option *options;
	const char *summary;
} users_commands[] = {
	{ "create", users_create, create_options, "add a user (password from stdin or $" USERS_PASSWORD_ENV ")" },
	{ "list", users_list, list_options, "every user with its permissions" },
	{ "set-admin", users_set_admin, set_admin_options, "make a user an admin (--admin) or not (--no-admin)" },
	{ "set-password", users_set_password, user_options, "a new password (stdin or $" USERS_PASSWORD_ENV ")" },
	{ "delete", users_delete, user_options, "delete a user with its permissions and tokens" },
	{ "grant", users_grant, grant_options, "give a user a permission on an experiment or registered model" },
	{ "revoke", users_revoke, revoke_options, "remove a user's permission row (the default applies again)" },
	{ "tokens", users_tokens, user_options, "a user's bearer tokens" },
	{ "token-create", users_token_create, token_create_options, "a new bearer token (printed once)" },
	{ "token-revoke", users_token_revoke, token_revoke_options, "revoke a bearer token" },
	{ "takeover", users_takeover, takeover_options, "take over MLflow's basic_auth.db (users, permissions)" },
	{ "audit", users_audit, audit_options, "the audit trail of writes, newest first" },
};

int cmd_users(int argc, char **argv)
{
	size_t i = 0;
	while (argc >= 1 && i < ARRAY_SIZE(users_commands) && strcmp(argv[0], users_commands[i].name) != 0)
		i++;
	if (argc < 1 || i == ARRAY_SIZE(users_commands)) {
		FILE *f = argc >= 1 && !strcmp(argv[0], "--help") ? stdout : stderr;
		fprintf(f, "usage: mlflowc users <command> [options]\n\n"
			   "The basic-auth app's users, worked on directly in the store.\n\ncommands:\n");
		for (size_t k = 0; k < ARRAY_SIZE(users_commands); k++)
			fprintf(f, "  %-13s %s\n", users_commands[k].name, users_commands[k].summary);
		return f == stdout ? 0 : 2;
	}
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "users %s", users_commands[i].name);
	users_cmd = cmd;
	struct users_settings s = { .backend_store_uri = "sqlite:///mlflow.db" };
	int parsed = cli_parse(cmd, users_commands[i].options, argc - 1, argv + 1, &s);
	if (parsed != 0) {
		if (parsed > 0)
			cli_usage(stdout, cmd, users_commands[i].summary, users_commands[i].options);
		return parsed > 0 ? 0 : 2;
	}
	struct store *st;
	if (gc_open_store(cmd, s.backend_store_uri, &st) < 0)
		return 1;
	struct arena a = ARENA_INIT;
	int status = users_commands[i].fn(st, &s, &a);
	arena_release(&a);
	store_close(st);
	return status;
}
