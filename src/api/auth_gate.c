/*
 * auth_gate.c - authentication and authorization around every handler
 * (see auth_gate.h): credentials to a user, the route row's columns to the
 * permission needed and the resource it is needed on, the store's
 * permission rows (or the default) to a verdict, and what a successful
 * write changes in those rows afterwards.
 */
#include "auth_gate.h"
#include "api_audit.h"
#include "auth_memo.h"
#include "batch_reader.h"
#include "routes.h"
#include "../auth/auth_credentials.h"
#include "../auth/auth_limiter.h"
#include "../auth/auth_password.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include "../store/logged_model.h"
#include "../store/store_auth.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* MLflow's answers (mlflow/server/auth). */
#define UNAUTHENTICATED_TEXT                                                                              \
	"You are not authenticated. Please see "                                                          \
	"https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate."
#define DENIED_TEXT "Permission denied"
#define TOKEN_TOUCH_MS 60000 /* a token's last use is written at most this often */

struct auth_gate {
	struct store *st;
	enum auth_permission default_permission;
	struct auth_cache *cache; /* NULL: credentials are checked on every request */
	struct auth_limiter *limiter;
	struct auth_memo *memo; /* run experiments and levels between requests */
	struct api_audit *audit;
	bool secure_cookies;
	char dummy_hash[AUTH_PASSWORD_HASH_MAX]; /* checked for unknown users, so they cost what known ones do */
	pthread_mutex_t kdf_mu;
	pthread_cond_t kdf_cv;
	int kdf_free;
};

static int64_t mono_ms(void)
{
	return (int64_t)(util_mono_ns() / 1000000);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A password check holds one of AUTH_GATE_KDF_SLOTS slots while it runs. */
static void kdf_acquire(struct auth_gate *g)
{
	pthread_mutex_lock(&g->kdf_mu);
	while (g->kdf_free == 0)
		pthread_cond_wait(&g->kdf_cv, &g->kdf_mu);
	g->kdf_free--;
	pthread_mutex_unlock(&g->kdf_mu);
}

static void kdf_release(struct auth_gate *g)
{
	pthread_mutex_lock(&g->kdf_mu);
	g->kdf_free++;
	pthread_cond_signal(&g->kdf_cv);
	pthread_mutex_unlock(&g->kdf_mu);
}

static void identity_of(const struct store_user *u, struct auth_identity *who)
{
	memset(who, 0, sizeof(*who));
	who->user_id = u->id;
	who->is_admin = u->is_admin;
	size_t n = strnlen(u->username, AUTH_USERNAME_MAX);
	memcpy(who->username, u->username, n);
	who->username[n] = 0;
}

/* Username and password to a user, without the limiter (the caller
 * consults and feeds it) and with a KDF slot held by the caller. */
static int verify_password(struct auth_gate *g, const char *username, const char *password, size_t len,
			   struct arena *a, struct auth_identity *who, struct mlf_err *err)
{
	struct store_user u;
	struct mlf_err e;
	if (store_auth_user_get(g->st, username, &u, a, &e) < 0) {
		/* a name no user can have (empty, too long, control bytes) is a
		 * wrong one like an unknown name */
		if (e.code != MLF_RESOURCE_DOES_NOT_EXIST && e.code != MLF_INVALID_PARAMETER_VALUE) {
			*err = e;
			return -1;
		}
		(void)auth_password_verify(g->dummy_hash, password, len);
		return mlf_errorf(err, MLF_UNAUTHENTICATED, "wrong username or password");
	}
	enum auth_password_verdict v = auth_password_verify(u.password_hash, password, len);
	if (v == AUTH_PASSWORD_WRONG)
		return mlf_errorf(err, MLF_UNAUTHENTICATED, "wrong username or password");
	if (v == AUTH_PASSWORD_REHASH) {
		char fresh[AUTH_PASSWORD_HASH_MAX];
		if (auth_password_hash(password, len, fresh, &e) < 0 ||
		    store_auth_user_set_password(g->st, username, fresh, &e) < 0)
			log_warn("auth: could not re-hash the password of %s: %s", username, e.msg);
		else
			log_info("auth: re-hashed the password of %s with argon2id", username);
	}
	identity_of(&u, who);
	return 0;
}

static void answer_text(struct api_ctx *c, int status, const char *text)
{
	c->resp->status = status;
	c->resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&c->resp->body);
	buf_adds(&c->resp->body, text);
}

static int answer_unauthenticated(struct api_ctx *c)
{
	answer_text(c, 401, UNAUTHENTICATED_TEXT);
	if (!http_request_header(c->req, AUTH_UI_HEADER))
		http_response_header(c->resp, "WWW-Authenticate", "Basic realm=\"mlflow\"");
	return 1;
}

static int answer_denied(struct api_ctx *c)
{
	answer_text(c, 403, DENIED_TEXT);
	return 1;
}

/* A token (bearer or session cookie) to its user. */
static int token_user(struct api_ctx *c, const char *token, size_t len, enum store_token_kind kind,
		      struct auth_identity *who)
{
	struct auth_gate *g = c->app->auth;
	char digest[AUTH_TOKEN_DIGEST_LEN + 1];
	struct store_token t;
	struct store_user u;
	struct mlf_err e;
	if (!auth_token_digest(token, len, digest))
		return 1;
	if (store_auth_token_lookup(g->st, digest, &t, &u, c->a, &e) < 0) {
		if (e.code == MLF_RESOURCE_DOES_NOT_EXIST)
			return 1;
		*c->err = e;
		return -1;
	}
	int64_t now = wall_ms();
	if (t.kind != kind || t.revoked || (t.expiry_time && t.expiry_time <= now))
		return 1;
	if (now - t.last_used_time >= TOKEN_TOUCH_MS && store_auth_token_touch(g->st, t.id, &e) < 0)
		log_warn("auth: could not record the use of token %lld: %s", (long long)t.id, e.msg);
	identity_of(&u, who);
	return 0;
}

/* What the limiter counts failures under: the address, and for a password
 * the user it was tried for (a 64-bit FNV-1a of the name), so guessing one
 * user's password from an address slows down that guess and not the
 * others' sign-ins, and a success of one user does not reset another's. */
static void limit_key(const char *peer, const char *username, char out[64])
{
	uint64_t h = 1469598103934665603ULL;
	if (!username) {
		snprintf(out, 64, "%s", peer);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)username; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	snprintf(out, 64, "%.46s|%016llx", peer, (unsigned long long)h);
}

/* 0: *who is the sender; 1: answered (401/429); -1: c->err. */
static int authenticate(struct api_ctx *c, struct auth_identity *who)
{
	struct auth_gate *g = c->app->auth;
	struct auth_presented p;
	char peer[64], key[64];
	auth_credentials_parse(http_request_header(c->req, "Authorization"), &p);
	http_request_peer(c->req, peer, sizeof(peer));
	const char *cookie = p.scheme == AUTH_NONE ? http_request_cookie(c->req, AUTH_SESSION_COOKIE) : NULL;
	if (p.scheme == AUTH_NONE && !cookie)
		return answer_unauthenticated(c);
	limit_key(peer, p.scheme == AUTH_BASIC ? p.username : NULL, key);
	int64_t wait = auth_limiter_wait(g->limiter, key, mono_ms());
	if (wait > 0) {
		answer_text(c, 429, "Too many failed sign-ins from this address: try again later.");
		http_response_header(c->resp, "Retry-After", arena_printf(c->a, "%lld", (long long)wait));
		return 1;
	}
	int rc = 1;
	if (p.scheme == AUTH_BASIC) {
		struct mlf_err e;
		if (g->cache && auth_cache_get(g->cache, &p, mono_ms(), who)) {
			rc = 0;
		} else {
			kdf_acquire(g);
			/* a burst of requests with new credentials: the first verifies,
			 * those that waited for its slot find its answer */
			if (g->cache && auth_cache_get(g->cache, &p, mono_ms(), who)) {
				rc = 0;
			} else if (verify_password(g, p.username, p.password, p.password_len, c->a, who, &e) == 0) {
				rc = 0;
				if (g->cache)
					auth_cache_put(g->cache, &p, mono_ms(), who);
			} else if (e.code != MLF_UNAUTHENTICATED) {
				kdf_release(g);
				*c->err = e;
				return -1;
			}
			kdf_release(g);
		}
	} else if (p.scheme == AUTH_BEARER) {
		rc = token_user(c, p.token, p.token_len, STORE_TOKEN_API, who);
	} else if (cookie) {
		rc = token_user(c, cookie, strlen(cookie), STORE_TOKEN_SESSION, who);
	}
	if (rc < 0)
		return -1;
	if (rc > 0) {
		auth_limiter_failed(g->limiter, key, mono_ms());
		return answer_unauthenticated(c);
	}
	auth_limiter_succeeded(g->limiter, key);
	return 0;
}

/* ---- what a row needs, on what --------------------------------------------- */

static enum auth_permission needed(enum route_permission p)
{
	switch (p) {
	case ROUTE_READ:
		return AUTH_PERM_READ;
	case ROUTE_EDIT:
		return AUTH_PERM_EDIT;
	default:
		return AUTH_PERM_MANAGE;
	}
}

/* The sender's level on (kind, key): their row, else the default. */
static int level_on(struct api_ctx *c, enum store_auth_resource kind, const char *key, enum auth_permission *out)
{
	struct auth_gate *g = c->app->auth;
	struct store_permission p;
	struct mlf_err e;
	int64_t now = mono_ms();
	if (auth_memo_level_get(g->memo, c->who->user_id, (int)kind, key, now, out))
		return 0;
	uint64_t generation = auth_memo_generation(g->memo);
	if (store_auth_permission_get(g->st, kind, key, c->who->user_id, &p, c->a, &e) == 0) {
		*out = p.permission;
	} else if (e.code == MLF_RESOURCE_DOES_NOT_EXIST) {
		*out = g->default_permission;
	} else {
		*c->err = e;
		return -1;
	}
	auth_memo_level_put(g->memo, generation, c->who->user_id, (int)kind, key, now, *out);
	return 0;
}

/* An experiment id as the store reads it, printed canonically; NULL when
 * it is not one (the handler then refuses it itself). */
static const char *experiment_key(struct api_ctx *c, const char *text)
{
	int64_t id;
	if (!text || !util_parse_int64(text, &id) || id < 0)
		return NULL;
	return arena_printf(c->a, "%lld", (long long)id);
}

/* The experiment a proxied artifact path names: its first segment, all
 * digits (MLflow's rule); NULL when it names none. */
static const char *artifact_experiment(struct api_ctx *c, const char *path)
{
	if (!path)
		return NULL;
	while (*path == '/')
		path++;
	size_t n = strspn(path, "0123456789");
	if (n == 0 || n > 18 || (path[n] && path[n] != '/'))
		return NULL;
	return experiment_key(c, arena_strndup(c->a, path, n));
}

/* The ids the request names for the row, raw (as sent). */
static int raw_ids(struct api_ctx *c, const char ***out, size_t *n)
{
	const struct route *r = c->route;
	*out = NULL;
	*n = 0;
	const char *one = NULL;
	int rc;
	switch (r->locate) {
	case ROUTE_ID_PARAM:
		if (r->resource == ROUTE_RUN)
			rc = param_run_id(c, &one);
		else if ((rc = param_id(c, r->id, &one)) == 1 || (rc == 0 && !*one))
			rc = param_missing(c, r->id);
		if (rc < 0)
			return -1;
		break;
	case ROUTE_ID_QUERY: {
		const char **ids = arena_alloc(c->a, (c->req->n_query + 1) * sizeof(*ids));
		for (size_t i = 0; i < c->req->n_query; i++)
			if (strcmp(c->req->query[i].key, r->id) == 0)
				ids[(*n)++] = c->req->query[i].value;
		*out = ids;
		return 0;
	}
	case ROUTE_ID_BODY: {
		const char **ids;
		size_t k;
		rc = param_string_list(c, r->id, &ids, &k);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			*out = ids;
			*n = k;
		}
		return 0;
	}
	case ROUTE_ID_PATH:
		one = r->match == ROUTE_PATTERN ? api_path_segment(c, r->id) : c->subpath;
		break;
	case ROUTE_ID_DERIVED: {
		struct store_experiment e;
		struct mlf_err err;
		if ((rc = param_string(c, r->id, &one)) < 0)
			return -1;
		if (rc == 1 || !*one)
			return param_missing(c, r->id);
		if (store_experiment_get_by_name(c->app->store, one, &e, c->a, &err) < 0)
			return 0; /* unknown: the handler answers */
		one = arena_printf(c->a, "%lld", (long long)e.id);
		break;
	}
	default:
		return 0;
	}
	if (one) {
		const char **ids = arena_alloc(c->a, sizeof(*ids));
		ids[0] = one;
		*out = ids;
		*n = 1;
	}
	return 0;
}

/* The permission key of raw id `id` of the row's resource: 0 with *key
 * (NULL: the resource does not exist, the handler answers), -1: c->err. */
static int key_of(struct api_ctx *c, const char *id, enum store_auth_resource *kind, const char **key)
{
	struct store *st = c->app->store;
	struct mlf_err e;
	*kind = STORE_AUTH_EXPERIMENT;
	*key = NULL;
	switch (c->route->resource) {
	case ROUTE_EXPERIMENT:
		*key = experiment_key(c, id);
		return 0;
	case ROUTE_RUN: {
		struct store_run_info ri;
		int64_t exp;
		if (auth_memo_run_get(c->app->auth->memo, id, &exp)) {
			*key = arena_printf(c->a, "%lld", (long long)exp);
		} else if (store_run_info(st, id, &ri, c->a, &e) == 0) {
			auth_memo_run_put(c->app->auth->memo, ri.run_id, ri.experiment_id);
			*key = arena_printf(c->a, "%lld", (long long)ri.experiment_id);
		} else if (e.code != MLF_RESOURCE_DOES_NOT_EXIST) {
			return (*c->err = e, -1);
		}
		return 0;
	}
	case ROUTE_LOGGED_MODEL: {
		struct store_logged_model m;
		if (store_logged_model_get(st, id, true, &m, c->a, &e) == 0)
			*key = arena_printf(c->a, "%lld", (long long)m.experiment_id);
		else if (e.code != MLF_RESOURCE_DOES_NOT_EXIST)
			return (*c->err = e, -1);
		return 0;
	}
	case ROUTE_ARTIFACT:
		*key = artifact_experiment(c, id);
		if (!*key) /* a path outside every experiment: only admins */
			*key = "";
		return 0;
	default: /* registered models, their versions and prompts: by name */
		*kind = STORE_AUTH_REGISTERED_MODEL;
		*key = id;
		return 0;
	}
}

/* log-batch: its run id is in a body the handler reads itself; read it
 * ahead once and hand the result on (c->batch). */
static int read_batch_ahead(struct api_ctx *c)
{
	struct batch_request *b = arena_alloc(c->a, sizeof(*b));
	if (batch_read_fast(c->req->body, c->req->body_len, c->a, b)) {
		c->batch = b;
		return 0;
	}
	return api_parse_body(c);
}

/* runs/search: drops the experiments the sender may not read from the
 * body's list; 1 when none is left (the answer is then the empty one). */
static int filter_ids(struct api_ctx *c, const char **ids, size_t n, enum auth_permission need)
{
	json_t *kept = json_array();
	for (size_t i = 0; i < n; i++) {
		enum store_auth_resource kind;
		const char *key;
		enum auth_permission have;
		if (key_of(c, ids[i], &kind, &key) < 0 || (key && level_on(c, kind, key, &have) < 0)) {
			json_decref(kept);
			return -1;
		}
		if (!key || have >= need)
			json_array_append_new(kept, json_string(ids[i]));
	}
	size_t left = json_array_size(kept);
	if (c->body)
		json_object_set_new(c->body, c->route->id, kept);
	else
		json_decref(kept);
	return left == 0 && n > 0 ? 1 : 0;
}

/* 0: the sender may; 1: answered; -1: c->err. */
static int authorize(struct api_ctx *c)
{
	const struct route *r = c->route;
	const char **ids;
	size_t n;
	if (c->who->is_admin)
		return 0;
	switch (r->permission) {
	case ROUTE_PUBLIC:
	case ROUTE_SIGNED_IN:
		return 0;
	case ROUTE_ADMIN:
		return answer_denied(c);
	case ROUTE_SELF: {
		const char *name;
		int rc = param_string(c, r->id, &name);
		if (rc < 0)
			return -1;
		if (rc == 1 || !*name)
			return param_missing(c, r->id);
		return strcmp(name, c->who->username) == 0 ? 0 : answer_denied(c);
	}
	default:
		break;
	}
	if (r->locate == ROUTE_ID_RESULTS || r->locate == ROUTE_ID_NONE)
		return 0; /* a search filters its own answer */
	if ((r->flags & ROUTE_LAZY_BODY) && !(r->flags & ROUTE_NO_JSON_CHECK) && !c->batch && read_batch_ahead(c) < 0)
		return -1;
	if (c->batch) { /* log-batch read ahead: its run */
		if (!c->batch->run_id || !*c->batch->run_id)
			return param_missing(c, "run_id");
		ids = arena_alloc(c->a, sizeof(*ids));
		ids[0] = c->batch->run_id;
		n = 1;
	} else if (raw_ids(c, &ids, &n) < 0) {
		return -1;
	}
	enum auth_permission need = needed(r->permission);
	if (r->flags & ROUTE_AUTH_FILTER_IDS) {
		int rc = filter_ids(c, ids, n, need);
		if (rc == 1) { /* nothing readable: the answer of a search that finds nothing */
			c->resp->status = 200;
			c->resp->content_type = "application/json";
			buf_reset(&c->resp->body);
			buf_adds(&c->resp->body, "{}");
		}
		return rc;
	}
	if (n == 0 && (r->resource == ROUTE_ARTIFACT))
		return answer_denied(c); /* a listing of the root names no experiment */
	for (size_t i = 0; i < n; i++) {
		enum store_auth_resource kind;
		const char *key;
		enum auth_permission have;
		if (key_of(c, ids[i], &kind, &key) < 0)
			return -1;
		if (!key)
			continue; /* no such resource: the handler says so */
		if (!*key)
			return answer_denied(c);
		if (level_on(c, kind, key, &have) < 0)
			return -1;
		if (have < need)
			return answer_denied(c);
		c->audit_key = key;
	}
	if (n == 1)
		c->audit_key = ids[0];
	return 0;
}

int auth_gate_identify(struct api_ctx *c)
{
	if (c->route->permission == ROUTE_PUBLIC || c->who)
		return 0;
	struct auth_identity *who = arena_alloc(c->a, sizeof(*who));
	int rc = authenticate(c, who);
	if (rc != 0)
		return rc;
	c->who = who;
	c->user = who->username;
	return 0;
}

int auth_gate_admit(struct api_ctx *c)
{
	if (c->route->permission == ROUTE_PUBLIC)
		return 0;
	int rc = auth_gate_identify(c);
	return rc != 0 ? rc : authorize(c);
}

bool auth_gate_refuses_upload(const struct app *app, const struct http_request *req)
{
	struct route_lookup lk;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct http_response resp = { .status = 200, .body = BUF_INIT, .fd = -1 };
	api_route_lookup(app, req, &lk);
	if (!lk.route || !lk.route->handler)
		return false; /* the handler path answers */
	struct api_ctx c = { .app = app, .req = req, .a = req->arena, .err = &err, .resp = &resp,
			     .subpath = lk.hit.tail, .route = lk.route, .hit = &lk.hit };
	int rc = auth_gate_admit(&c);
	buf_release(&resp.body);
	return rc != 0;
}

/* ---- after the handler ------------------------------------------------------ */

static void grant_manage(struct api_ctx *c, enum store_auth_resource kind, const char *key)
{
	struct store_permission p = { kind, key, c->who->user_id, AUTH_PERM_MANAGE };
	struct mlf_err e;
	if (store_auth_permission_create(c->app->auth->st, &p, &e) < 0 &&
	    (e.code != MLF_RESOURCE_ALREADY_EXISTS || store_auth_permission_update(c->app->auth->st, &p, &e) < 0))
		log_warn("auth: could not give %s MANAGE on %s: %s", c->who->username, key, e.msg);
	auth_gate_permissions_changed(c);
}

/* The experiment id of experiments/create's answer. */
static const char *created_experiment(struct api_ctx *c)
{
	json_t *v = json_loadb(c->resp->body.ptr, c->resp->body.len, 0, NULL);
	const char *id = json_string_value(json_object_get(v, "experiment_id"));
	const char *out = id ? arena_strdup(c->a, id) : NULL;
	json_decref(v);
	return out;
}

static void follow_model(struct api_ctx *c)
{
	const struct route *r = c->route;
	struct store *st = c->app->auth->st;
	const char *name = NULL, *new_name = NULL;
	struct mlf_err e;
	if (param_string(c, "name", &name) != 0 || !name)
		return;
	if ((r->flags & ROUTE_AUTH_GRANT_MODEL) && c->who)
		grant_manage(c, STORE_AUTH_REGISTERED_MODEL, name);
	if ((r->flags & ROUTE_AUTH_MODEL_RENAMED) && param_string(c, "new_name", &new_name) == 0 && new_name &&
	    store_auth_permission_rename_key(st, STORE_AUTH_REGISTERED_MODEL, name, new_name, &e) < 0)
		log_warn("auth: permissions of %s did not follow its rename: %s", name, e.msg);
	if ((r->flags & ROUTE_AUTH_MODEL_DELETED) &&
	    store_auth_permission_delete_key(st, STORE_AUTH_REGISTERED_MODEL, name, &e) < 0)
		log_warn("auth: permissions of deleted model %s remain: %s", name, e.msg);
	auth_gate_permissions_changed(c);
}

void auth_gate_after(struct api_ctx *c, int rc)
{
	const struct route *r = c->route;
	struct auth_gate *g = c->app->auth;
	bool ok = rc == 0 && c->resp->status < 400;
	if (ok && (r->flags & ROUTE_AUTH_GRANT_EXPERIMENT) && c->who) {
		const char *id = created_experiment(c);
		if (id)
			grant_manage(c, STORE_AUTH_EXPERIMENT, id);
	}
	if (ok && (r->flags & (ROUTE_AUTH_GRANT_MODEL | ROUTE_AUTH_MODEL_RENAMED | ROUTE_AUTH_MODEL_DELETED)))
		follow_model(c);
	/* writes only: a POST that reads (a search, latest versions) needs READ */
	if (g->audit && (c->req->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE)) &&
	    r->permission != ROUTE_PUBLIC && r->permission != ROUTE_READ) {
		struct store_audit_entry e = {
			.time = wall_ms(),
			.username = c->user,
			.method = c->req->method_name,
			.path = c->req->path,
			.status = c->resp->status,
			.resource = c->audit_key,
		};
		api_audit_add(g->audit, &e);
	}
}

/* The sender's rows of both kinds, read once per request (a search checks
 * each of up to thousands of results against them). */
struct auth_rows {
	struct store_permission *rows[2];
	size_t n[2];
	bool failed;
};

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_permission *)a)->key, ((const struct store_permission *)b)->key);
}

static struct auth_rows *rows_of(struct api_ctx *c)
{
	if (c->auth_rows)
		return c->auth_rows;
	struct auth_rows *r = arena_zalloc(c->a, sizeof(*r));
	struct mlf_err e;
	for (int k = 0; k < 2; k++) {
		if (store_auth_permission_list_user(c->app->auth->st, c->who->user_id, (enum store_auth_resource)k,
						    &r->rows[k], &r->n[k], c->a, &e) < 0) {
			log_warn("auth: the permissions of %s could not be read: %s", c->who->username, e.msg);
			r->failed = true;
		} else if (r->n[k]) {
			qsort(r->rows[k], r->n[k], sizeof(*r->rows[k]), row_cmp);
		}
	}
	c->auth_rows = r;
	return r;
}

bool auth_gate_may_read(struct api_ctx *c, enum route_resource kind, const char *key)
{
	if (!c->app->auth || !c->who || c->who->is_admin)
		return true;
	struct auth_rows *r = rows_of(c);
	if (r->failed || !key)
		return false;
	int k = kind == ROUTE_REGISTERED_MODEL ? STORE_AUTH_REGISTERED_MODEL : STORE_AUTH_EXPERIMENT;
	struct store_permission probe = { .key = key };
	const struct store_permission *hit = r->n[k] ? bsearch(&probe, r->rows[k], r->n[k], sizeof(probe), row_cmp) : NULL;
	enum auth_permission have = hit ? hit->permission : c->app->auth->default_permission;
	return have >= AUTH_PERM_READ;
}

void auth_gate_forget_user(struct api_ctx *c, int64_t user_id)
{
	if (c->app->auth && c->app->auth->cache)
		auth_cache_forget_user(c->app->auth->cache, user_id);
	auth_gate_permissions_changed(c);
}

void auth_gate_permissions_changed(struct api_ctx *c)
{
	if (c->app->auth)
		auth_memo_levels_changed(c->app->auth->memo);
}

int auth_gate_check_password(struct api_ctx *c, const char *username, const char *password,
			     struct auth_identity *who, struct mlf_err *err)
{
	struct auth_gate *g = c->app->auth;
	char peer[64], key[64];
	http_request_peer(c->req, peer, sizeof(peer));
	limit_key(peer, username, key);
	int64_t wait = auth_limiter_wait(g->limiter, key, mono_ms());
	if (wait > 0)
		return mlf_errorf(err, MLF_REQUEST_LIMIT_EXCEEDED,
				  "Too many failed sign-ins from this address: try again in %lld s", (long long)wait);
	kdf_acquire(g);
	int rc = verify_password(g, username, password, strlen(password), c->a, who, err);
	kdf_release(g);
	if (rc < 0) {
		if (err->code == MLF_UNAUTHENTICATED)
			auth_limiter_failed(g->limiter, key, mono_ms());
		return -1;
	}
	auth_limiter_succeeded(g->limiter, key);
	return 0;
}

bool auth_gate_secure_cookies(const struct api_ctx *c)
{
	return c->app->auth && c->app->auth->secure_cookies;
}

/* ---- opening ----------------------------------------------------------------- */

/* The MLflow auth database cfg->database_uri names, when it is a SQLite
 * file that exists: its users come over once. */
static int take_over(struct store *st, const char *uri, struct mlf_err *err)
{
	if (!uri || strncmp(uri, "sqlite:///", 10) != 0) {
		if (uri)
			log_info("auth: database_uri %s is not read: users and permissions live in the tracking store", uri);
		return 0;
	}
	const char *path = uri + 10;
	struct stat sb;
	if (stat(path, &sb) < 0) {
		log_info("auth: no MLflow auth database at %s: users and permissions live in the tracking store", path);
		return 0;
	}
	struct store_auth_takeover_report rep;
	if (store_auth_takeover(st, path, &rep, err) < 0)
		return -1;
	log_info("auth: took over %s: %lld of %lld users and %lld of %lld permissions were new", path,
		 (long long)rep.users_created, (long long)rep.users_found, (long long)rep.permissions_created,
		 (long long)rep.permissions_found);
	return 0;
}

/* Makes the configured admin when the store has none. */
static int ensure_admin(struct store *st, const struct auth_config *cfg, struct mlf_err *err)
{
	int64_t admins;
	struct arena a = ARENA_INIT;
	if (store_auth_user_count_admins(st, &admins, err) < 0)
		return -1;
	if (admins > 0)
		return 0;
	const char *name = cfg->admin_username ? cfg->admin_username : "admin";
	const char *why;
	if (!cfg->admin_password)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "the store has no admin yet and no admin password is configured: set admin_password "
				  "in the [mlflow] section of the file MLFLOW_AUTH_CONFIG_PATH names, or "
				  "MLFLOW_AUTH_ADMIN_PASSWORD (there is no default password)");
	if (!auth_password_acceptable(cfg->admin_password, &why))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the configured admin password: %s", why);
	char hash[AUTH_PASSWORD_HASH_MAX];
	if (auth_password_hash(cfg->admin_password, strlen(cfg->admin_password), hash, err) < 0)
		return -1;
	struct store_user u;
	struct mlf_err e;
	int rc;
	if (store_auth_user_get(st, name, &u, &a, &e) == 0) {
		rc = store_auth_user_set_admin(st, name, true, err);
		if (rc == 0)
			log_info("auth: %s is now an admin (the configured admin_username)", name);
	} else {
		int64_t id;
		rc = store_auth_user_create(st, name, hash, true, &id, err);
		if (rc == 0)
			log_info("auth: created the admin user %s", name);
	}
	arena_release(&a);
	return rc;
}

struct auth_gate *auth_gate_open(struct store *st, const struct auth_config *cfg, bool secure_cookies,
				 struct mlf_err *err)
{
	if (auth_password_init(err) < 0)
		return NULL;
	if (!st->auth) {
		mlf_errorf(err, MLF_NOT_IMPLEMENTED, "this backend store cannot hold users");
		return NULL;
	}
	if (take_over(st, cfg->database_uri, err) < 0 || ensure_admin(st, cfg, err) < 0)
		return NULL;
	struct auth_gate *g = xcalloc(1, sizeof(*g));
	g->st = st;
	g->default_permission = cfg->default_permission;
	g->secure_cookies = secure_cookies;
	g->kdf_free = AUTH_GATE_KDF_SLOTS;
	pthread_mutex_init(&g->kdf_mu, NULL);
	pthread_cond_init(&g->kdf_cv, NULL);
	char secret[AUTH_TOKEN_LEN + 1], digest[AUTH_TOKEN_DIGEST_LEN + 1];
	auth_token_new(secret, digest); /* a password nobody knows */
	if (auth_password_hash(secret, strlen(secret), g->dummy_hash, err) < 0)
		goto fail;
	g->limiter = auth_limiter_new();
	g->memo = auth_memo_new(cfg->cache_ttl_ms);
	if (cfg->cache_ttl_ms > 0)
		g->cache = auth_cache_new(4096, cfg->cache_ttl_ms);
	if (!g->limiter || (cfg->cache_ttl_ms > 0 && !g->cache)) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory for the auth gate");
		goto fail;
	}
	int64_t purged;
	struct mlf_err e;
	if (store_auth_token_purge_expired(st, wall_ms(), &purged, &e) < 0)
		log_warn("auth: could not purge expired sessions: %s", e.msg);
	if (!(g->audit = api_audit_open(st, err)))
		goto fail;
	return g;
fail:
	auth_gate_close(g);
	return NULL;
}

void auth_gate_close(struct auth_gate *g)
{
	if (!g)
		return;
	api_audit_close(g->audit);
	auth_cache_free(g->cache);
	auth_limiter_free(g->limiter);
	auth_memo_free(g->memo);
	pthread_mutex_destroy(&g->kdf_mu);
	pthread_cond_destroy(&g->kdf_cv);
	free(g);
}
