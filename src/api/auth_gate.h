/*
 * auth_gate.h - who sends a request and whether they may: the basic-auth
 * app (`mlflowc server --app-name basic-auth`, spec §14) in front of every
 * handler.
 *
 * Authentication: HTTP Basic (argon2id or a taken-over Werkzeug hash,
 * checked at most AUTH_GATE_KDF_SLOTS at a time, remembered for the
 * configured TTL in the credential cache), a bearer token, or the UI's
 * session cookie. Missing or wrong credentials get 401 with
 * WWW-Authenticate (not for the UI's own requests, which show a sign-in
 * page instead of the browser's prompt); an address that keeps failing is
 * answered 429 with Retry-After before anything is checked
 * (auth_limiter.h).
 *
 * Authorization reads the route row's columns (src/http/router.h): the
 * permission it needs, on which resource, and where the request names it.
 * Admins pass everything. Others need the permission on the experiment
 * (runs, logged models and proxied artifacts count as their experiment's)
 * or registered model: their own row if there is one, else the
 * configured default. A refusal is 403 "Permission denied" and the
 * handler never runs, so a refused write changes nothing.
 *
 * After a handler: the creator of an experiment or registered model gets
 * MANAGE on it, a registered model's rows follow its rename and go with
 * its deletion, and every write is added to the audit trail (api_audit.h).
 */
#ifndef MLF_AUTH_GATE_H
#define MLF_AUTH_GATE_H

#include "api.h"
#include "../auth/auth_cache.h"
#include "../auth/auth_config.h"

#define AUTH_GATE_KDF_SLOTS 2 /* password checks running at once (each takes 64 MiB) */
#define AUTH_SESSION_COOKIE "mlflowc_session"
#define AUTH_UI_HEADER "X-MLflowc-UI" /* sent by the web UI: a 401 then carries no Basic challenge */

struct auth_gate;
struct api_audit;

/* Opens the gate over store `st` with settings `cfg` (borrowed for the
 * call): makes the configured admin when the store has no admin yet
 * (refusing when no admin password is configured), takes over an MLflow
 * auth database named by cfg->database_uri, starts the audit trail.
 * `secure_cookies`: the server speaks TLS. The gate is owned by the
 * caller (auth_gate_close). NULL with `err` set. */
struct auth_gate *auth_gate_open(struct store *st, const struct auth_config *cfg, bool secure_cookies,
				 struct mlf_err *err);
/* Flushes the audit trail and frees the gate. NULL is a no-op. */
void auth_gate_close(struct auth_gate *g);

/* Runs before the handler of c->route. 0: go on (c->who and c->user
 * set); 1: the answer is in c->resp (401, 403, 429); -1: c->err holds an
 * MLflow error to send (e.g. a missing id). auth_gate_identify is its
 * first half (who sends it), which runs before anything else looks at the
 * request, so an unauthenticated request learns nothing from its
 * validation; auth_gate_admit does what is left (whether they may). */
int auth_gate_identify(struct api_ctx *c);
int auth_gate_admit(struct api_ctx *c);

/* Whether an artifact upload must not begin: the sender of `req` is not
 * signed in or may not write there (its handler then answers why). Runs
 * before the first byte of the body is stored. */
bool auth_gate_refuses_upload(const struct app *app, const struct http_request *req);

/* Runs after the handler returned `rc` (0 or -1). */
void auth_gate_after(struct api_ctx *c, int rc);

/* Whether the sender may read `key` (an experiment id as text for
 * ROUTE_EXPERIMENT, a registered model's name for ROUTE_REGISTERED_MODEL):
 * what searches filter their results with. Always true with auth off or
 * for an admin. A store error counts as no. */
bool auth_gate_may_read(struct api_ctx *c, enum route_resource kind, const char *key);

/* Forgets cached credentials of user `user_id` (password, admin flag or
 * tokens changed on this server), and every remembered permission level. */
void auth_gate_forget_user(struct api_ctx *c, int64_t user_id);
/* Forgets every remembered permission level (a permission row changed
 * through this server). */
void auth_gate_permissions_changed(struct api_ctx *c);

/* Verifies `password` for `username` as Basic credentials are verified
 * (the KDF slots, the limiter for `peer`, re-hashing an old hash): 0 with
 * *who filled, or -1 with `err` (UNAUTHENTICATED: wrong; or a store
 * error). For the sign-in page and update-password's current password. */
int auth_gate_check_password(struct api_ctx *c, const char *username, const char *password,
			     struct auth_identity *who, struct mlf_err *err);

/* Whether session cookies carry Secure (the server speaks TLS). */
bool auth_gate_secure_cookies(const struct api_ctx *c);

#endif
