/*
 * client_registry.c - the model registry in the client library
 * (include/mlflowc.h): registered models, versions (register and wait for
 * READY), stages, aliases, download URIs, models:/ URI resolution, and
 * mlflowc's audit trail.
 *
 * Requests are JSON bodies written with jansson, sent on the client's
 * synchronous handle through its transport (HTTP, or the in-process store
 * of a sqlite:// URI) with chttp's retries and error parsing. Results keep the
 * parsed answer: their strings point into it, and one free releases the
 * answer, the arrays and the JSON text together.
 */
#include "client_int.h"
#include "../base/model_uri.h"
#include "../base/util.h"
#include <jansson.h>
#include <strings.h>

#define REGISTER_WAIT_SECONDS 300 /* MLflow's default await_registration_for */
#define POLL_INTERVAL_MS 500
#define SEARCH_PAGE_SIZE 1000     /* registered-models/search's maximum */

static enum mlf_result nomem(void)
{
	return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
}

/* ---------------------------------------------------------------- requests */

/* Sends `body` (NULL: a GET of `path`, whose query the caller built) with
 * `method` ("DELETE", "PATCH"; NULL: POST with a body) on the synchronous
 * handle. The answer is in rep (release it). */
static enum mlf_result call(mlf_client *c, const char *method, const char *path, json_t *body, struct creply *rep)
{
	char *text = body ? client_json_text(body) : NULL;
	if (body && !text)
		return nomem();
	struct buf b = { .ptr = text, .len = text ? strlen(text) : 0, .cap = text ? strlen(text) + 1 : 0, .sticky = true };
	enum mlf_result r = client_sync_request(c, method, path, text ? &b : NULL, rep);
	free(text);
	return r;
}

/* A request whose answer is not needed. Takes ownership of `body`. */
static enum mlf_result call_discard(mlf_client *c, const char *method, const char *path, json_t *body)
{
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = body ? call(c, method, path, body, &rep) : nomem();
	json_decref(body);
	buf_release(&rep.body);
	return r;
}

/* "path?k1=v1&k2=v2" with the values escaped; NULL values are left out.
 * `kv` is key, value pairs ending with a NULL key. */
static char *query(const char *path, const char *const *kv)
{
	struct buf b = BUF_INIT_STICKY;
	buf_adds(&b, path);
	char sep = '?';
	for (; kv[0]; kv += 2) {
		if (!kv[1])
			continue;
		char *v = cquery_escape(kv[1]);
		if (!v) {
			buf_release(&b);
			return NULL;
		}
		buf_addch(&b, sep);
		buf_adds(&b, kv[0]);
		buf_addch(&b, '=');
		buf_adds(&b, v);
		free(v);
		sep = '&';
	}
	return buf_detach(&b, NULL); /* NULL when an append failed */
}

/* GETs path?query; *doc is the parsed answer (the caller decrefs), *text
 * its raw text (malloc'ed) when text is not NULL. */
static enum mlf_result get_json(mlf_client *c, const char *path, const char *const *kv, json_t **doc, char **text)
{
	*doc = NULL;
	char *url = query(path, kv);
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = url ? client_sync_call(c, url, NULL, &rep) : nomem();
	if (r == MLF_CLIENT_OK)
		r = cjson_load(&rep.body, path, doc);
	if (r == MLF_CLIENT_OK && !json_is_object(*doc))
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "%s: the answer is not a JSON object", path);
	if (r == MLF_CLIENT_OK && text && !(*text = strndup(rep.body.ptr, rep.body.len)))
		r = nomem();
	if (r != MLF_CLIENT_OK) {
		json_decref(*doc);
		*doc = NULL;
	}
	buf_release(&rep.body);
	free(url);
	return r;
}

/* POSTs (or `method`s) body (owned) and parses the answer into *doc. */
static enum mlf_result send_json(mlf_client *c, const char *method, const char *path, json_t *body, json_t **doc)
{
	*doc = NULL;
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = body ? call(c, method, path, body, &rep) : nomem();
	json_decref(body);
	if (r == MLF_CLIENT_OK)
		r = cjson_load(&rep.body, path, doc);
	if (r == MLF_CLIENT_OK && !json_is_object(*doc))
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "%s: the answer is not a JSON object", path);
	buf_release(&rep.body);
	return r;
}

/* {"k": "v", ...} from key, value pairs ending with a NULL key (NULL values left out). */
static json_t *object_of(const char *const *kv)
{
	json_t *o = json_object();
	for (; o && kv[0]; kv += 2)
		if (kv[1] && json_object_set_new(o, kv[0], json_string(kv[1])) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* ---------------------------------------------------------------- results */

/* What a result owns besides its public struct: the answer and arrays. */
struct holder {
	json_t *doc;
	char *json;
	void **blocks;
	size_t nblocks;
};

static void *holder_calloc(struct holder *h, size_t n, size_t size)
{
	if (!n)
		return NULL;
	void **blocks = realloc(h->blocks, (h->nblocks + 1) * sizeof(*blocks));
	if (!blocks)
		return NULL;
	h->blocks = blocks;
	void *p = calloc(n, size);
	if (p)
		h->blocks[h->nblocks++] = p;
	return p;
}

static void holder_release(struct holder *h)
{
	json_decref(h->doc);
	free(h->json);
	for (size_t i = 0; i < h->nblocks; i++)
		free(h->blocks[i]);
	free(h->blocks);
}

/* The JSON text of the result: the raw answer when given, else h->doc dumped. */
static enum mlf_result holder_text(struct holder *h, char *raw)
{
	h->json = raw ? raw : client_json_text(h->doc);
	return h->json ? MLF_CLIENT_OK : nomem();
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int64_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

/* Fills `out` from a ModelVersion object; its aliases array comes from h. */
static enum mlf_result version_fill(struct holder *h, json_t *v, struct mlf_model_version *out)
{
	json_t *aliases = json_object_get(v, "aliases");
	size_t n = json_array_size(aliases);
	const char **names = holder_calloc(h, n, sizeof(*names));
	if (n && !names)
		return nomem();
	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_array_get(aliases, i));
		names[i] = a ? a : "";
	}
	*out = (struct mlf_model_version){
		.name = str(v, "name"),
		.version = str(v, "version"),
		.current_stage = str(v, "current_stage"),
		.status = str(v, "status"),
		.status_message = str(v, "status_message"),
		.source = str(v, "source"),
		.run_id = str(v, "run_id"),
		.description = str(v, "description"),
		.creation_timestamp = num(v, "creation_timestamp"),
		.last_updated_timestamp = num(v, "last_updated_timestamp"),
		.aliases = names,
		.n_aliases = n,
	};
	return MLF_CLIENT_OK;
}

struct versions_result {
	struct mlf_model_versions pub; /* first: the caller's pointer is ours */
	struct holder h;
};

void mlf_model_versions_free(struct mlf_model_versions *v)
{
	struct versions_result *res = (struct versions_result *)v;
	if (!res)
		return;
	holder_release(&res->h);
	free(res);
}

/* A result of the versions in array `list` (NULL: the one object `one`),
 * keeping `doc` (taken) and `raw` (taken, may be NULL). */
static enum mlf_result versions_result(json_t *doc, char *raw, json_t *list, json_t *one,
				       struct mlf_model_versions **out)
{
	struct versions_result *res = calloc(1, sizeof(*res));
	if (!res) {
		json_decref(doc);
		free(raw);
		return nomem();
	}
	res->h.doc = doc;
	size_t n = list ? json_array_size(list) : 1;
	struct mlf_model_version *items = holder_calloc(&res->h, n, sizeof(*items));
	enum mlf_result r = holder_text(&res->h, raw);
	if (r == MLF_CLIENT_OK && n && !items)
		r = nomem();
	if (r == MLF_CLIENT_OK && !list && !json_is_object(one))
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "the answer has no model_version");
	for (size_t i = 0; i < n && r == MLF_CLIENT_OK; i++)
		r = version_fill(&res->h, list ? json_array_get(list, i) : one, &items[i]);
	res->pub = (struct mlf_model_versions){ .items = items, .count = n, .json = res->h.json };
	if (r != MLF_CLIENT_OK) {
		mlf_model_versions_free(&res->pub);
		return r;
	}
	*out = &res->pub;
	return MLF_CLIENT_OK;
}

/* One version from an answer {"model_version": {...}}. */
static enum mlf_result one_version(json_t *doc, char *raw, struct mlf_model_versions **out)
{
	return versions_result(doc, raw, NULL, json_object_get(doc, "model_version"), out);
}

/* ---------------------------------------------------------------- arguments */

static bool present(const char *s)
{
	return s && *s;
}

static enum mlf_result need(bool ok, const char *what)
{
	return ok ? MLF_CLIENT_OK : client_fail(MLF_CLIENT_ERR_INVALID, "%s", what);
}

/* MLflow's stage names; input is matched without regard to case. */
static const char *const stages[] = { "None", "Staging", "Production", "Archived" };

static const char *canonical_stage(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(stages); i++)
		if (!strcasecmp(s, stages[i]))
			return stages[i];
	return NULL;
}

/* ---------------------------------------------------------------- registered models */

enum mlf_result mlf_registered_model_create(mlf_client *c, const char *name, const char *description)
{
	enum mlf_result r = need(c && present(name), "client and name are required");
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *body = object_of((const char *const[]){ "name", name, "description", description, NULL });
	return call_discard(c, NULL, "registered-models/create", body);
}

struct models_result {
	struct mlf_registered_models pub;
	struct holder h;
};

void mlf_registered_models_free(struct mlf_registered_models *m)
{
	struct models_result *res = (struct models_result *)m;
	if (!res)
		return;
	holder_release(&res->h);
	free(res);
}

static enum mlf_result model_fill(struct holder *h, json_t *m, struct mlf_registered_model *out)
{
	json_t *latest = json_object_get(m, "latest_versions"), *aliases = json_object_get(m, "aliases");
	size_t nl = json_array_size(latest), na = json_array_size(aliases);
	struct mlf_model_version *versions = holder_calloc(h, nl, sizeof(*versions));
	struct mlf_model_alias *names = holder_calloc(h, na, sizeof(*names));
	if ((nl && !versions) || (na && !names))
		return nomem();
	for (size_t i = 0; i < nl; i++)
		if (version_fill(h, json_array_get(latest, i), &versions[i]) != MLF_CLIENT_OK)
			return nomem();
	for (size_t i = 0; i < na; i++) {
		json_t *a = json_array_get(aliases, i);
		names[i] = (struct mlf_model_alias){ .alias = str(a, "alias"), .version = str(a, "version") };
	}
	*out = (struct mlf_registered_model){
		.name = str(m, "name"),
		.description = str(m, "description"),
		.creation_timestamp = num(m, "creation_timestamp"),
		.last_updated_timestamp = num(m, "last_updated_timestamp"),
		.latest_versions = versions,
		.n_latest_versions = nl,
		.aliases = names,
		.n_aliases = na,
	};
	return MLF_CLIENT_OK;
}

/* Appends every page of registered-models/search to `all`. */
static enum mlf_result search_pages(mlf_client *c, const char *filter, json_t *all)
{
	char *token = NULL;
	enum mlf_result r = MLF_CLIENT_OK;
	do {
		json_t *page;
		r = get_json(c, "registered-models/search",
			     (const char *const[]){ "filter", filter, "max_results", "1000", "page_token", token, NULL },
			     &page, NULL);
		free(token);
		token = NULL;
		if (r != MLF_CLIENT_OK)
			break;
		json_t *models = json_object_get(page, "registered_models");
		if (models && json_array_extend(all, models) != 0)
			r = nomem();
		const char *next = str(page, "next_page_token");
		if (r == MLF_CLIENT_OK && *next && !(token = strdup(next)))
			r = nomem();
		json_decref(page);
	} while (r == MLF_CLIENT_OK && token);
	free(token);
	return r;
}

enum mlf_result mlf_registered_model_search(mlf_client *c, const char *filter, struct mlf_registered_models **out)
{
	enum mlf_result r = need(c && out, "client and out are required");
	if (r != MLF_CLIENT_OK)
		return r;
	*out = NULL;
	struct models_result *res = calloc(1, sizeof(*res));
	json_t *all = json_array();
	if (res)
		res->h.doc = json_object();
	if (!res || !all || !res->h.doc || json_object_set(res->h.doc, "registered_models", all) != 0)
		r = nomem();
	if (r == MLF_CLIENT_OK)
		r = search_pages(c, filter, all);
	if (r == MLF_CLIENT_OK)
		r = holder_text(&res->h, NULL);
	size_t n = json_array_size(all);
	struct mlf_registered_model *items = res ? holder_calloc(&res->h, n, sizeof(*items)) : NULL;
	if (r == MLF_CLIENT_OK && n && !items)
		r = nomem();
	for (size_t i = 0; i < n && r == MLF_CLIENT_OK; i++)
		r = model_fill(&res->h, json_array_get(all, i), &items[i]);
	json_decref(all);
	if (!res)
		return r;
	res->pub = (struct mlf_registered_models){ .items = items, .count = n, .json = res->h.json };
	if (r != MLF_CLIENT_OK) {
		mlf_registered_models_free(&res->pub);
		return r;
	}
	*out = &res->pub;
	return MLF_CLIENT_OK;
}

/* ---------------------------------------------------------------- versions */

enum mlf_result mlf_model_version_get(mlf_client *c, const char *name, const char *version,
				      struct mlf_model_versions **out)
{
	enum mlf_result r = need(c && present(name) && present(version) && out, "client, name, version and out are required");
	if (r != MLF_CLIENT_OK)
		return r;
	*out = NULL;
	json_t *doc;
	char *raw;
	r = get_json(c, "model-versions/get", (const char *const[]){ "name", name, "version", version, NULL }, &doc,
		     &raw);
	return r == MLF_CLIENT_OK ? one_version(doc, raw, out) : r;
}

enum mlf_result mlf_model_version_by_alias(mlf_client *c, const char *name, const char *alias,
					   struct mlf_model_versions **out)
{
	enum mlf_result r = need(c && present(name) && present(alias) && out, "client, name, alias and out are required");
	if (r != MLF_CLIENT_OK)
		return r;
	*out = NULL;
	json_t *doc;
	char *raw;
	r = get_json(c, "registered-models/alias", (const char *const[]){ "name", name, "alias", alias, NULL }, &doc,
		     &raw);
	return r == MLF_CLIENT_OK ? one_version(doc, raw, out) : r;
}

enum mlf_result mlf_model_version_latest(mlf_client *c, const char *name, const char *stage,
					 struct mlf_model_versions **out)
{
	enum mlf_result r = need(c && present(name) && out, "client, name and out are required");
	if (r != MLF_CLIENT_OK)
		return r;
	*out = NULL;
	const char *canon = stage ? canonical_stage(stage) : NULL;
	if (stage && !canon)
		return client_fail(MLF_CLIENT_ERR_INVALID, "unknown stage '%s' (None, Staging, Production or Archived)",
				   stage);
	json_t *doc;
	r = get_json(c, "registered-models/get-latest-versions",
		     (const char *const[]){ "name", name, "stages", canon, NULL }, &doc, NULL);
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *best = NULL, *v;
	size_t i;
	json_array_foreach(json_object_get(doc, "model_versions"), i, v)
		if (!best || num(v, "version") > num(best, "version"))
			best = v;
	if (!best) {
		r = client_fail(MLF_CLIENT_ERR_SERVER, "RESOURCE_DOES_NOT_EXIST: registered model '%s' has no version%s%s",
				name, canon ? " in stage " : "", canon ? canon : "");
		json_decref(doc);
		return r;
	}
	json_t *answer = json_pack("{sO}", "model_version", best);
	json_decref(doc);
	return answer ? one_version(answer, NULL, out) : nomem();
}

/* Polls version `version` while it is PENDING_REGISTRATION, up to `wait_seconds`. */
static enum mlf_result wait_ready(mlf_client *c, const char *name, const char *version, const char *status,
				  unsigned wait_seconds)
{
	int64_t deadline = util_now_ms() + (int64_t)wait_seconds * 1000;
	char last[32];
	snprintf(last, sizeof(last), "%s", status);
	while (!strcmp(last, "PENDING_REGISTRATION")) {
		if (util_now_ms() >= deadline)
			return client_fail(MLF_CLIENT_ERR_TRANSPORT,
					   "version %s of '%s' is still PENDING_REGISTRATION after %u s", version, name,
					   wait_seconds);
		struct timespec ts = { .tv_sec = POLL_INTERVAL_MS / 1000, .tv_nsec = (POLL_INTERVAL_MS % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		struct mlf_model_versions *v;
		enum mlf_result r = mlf_model_version_get(c, name, version, &v);
		if (r != MLF_CLIENT_OK)
			return r;
		snprintf(last, sizeof(last), "%s", v->items[0].status);
		if (!strcmp(last, "FAILED_REGISTRATION"))
			r = client_fail(MLF_CLIENT_ERR_SERVER, "FAILED_REGISTRATION: version %s of '%s': %s", version, name,
					v->items[0].status_message);
		mlf_model_versions_free(v);
		if (r != MLF_CLIENT_OK)
			return r;
	}
	return MLF_CLIENT_OK;
}

enum mlf_result mlf_model_version_create(mlf_client *c, const char *name, const char *source, const char *run_id,
					 unsigned wait_seconds, char version[32])
{
	enum mlf_result r = need(c && present(name) && present(source), "client, name and source are required");
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *doc;
	r = send_json(c, NULL, "model-versions/create",
		      object_of((const char *const[]){ "name", name, "source", source, "run_id", run_id, NULL }), &doc);
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *mv = json_object_get(doc, "model_version");
	char got[32];
	if (!*str(mv, "version") || strlen(str(mv, "version")) >= sizeof(got))
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "model-versions/create answered no usable version");
	else
		snprintf(got, sizeof(got), "%s", str(mv, "version"));
	if (r == MLF_CLIENT_OK && !strcmp(str(mv, "status"), "FAILED_REGISTRATION"))
		r = client_fail(MLF_CLIENT_ERR_SERVER, "FAILED_REGISTRATION: version %s of '%s': %s", got, name,
				str(mv, "status_message"));
	if (r == MLF_CLIENT_OK)
		r = wait_ready(c, name, got, str(mv, "status"), wait_seconds);
	if (r == MLF_CLIENT_OK && version)
		memcpy(version, got, strlen(got) + 1);
	json_decref(doc);
	return r;
}

/* runs:/<run_id>/<path> → the run's artifact_uri + "/" + path, and the run id. */
static enum mlf_result runs_uri_source(mlf_client *c, const char *uri, char **source, char **run_id)
{
	const char *id = uri + 6;
	while (*id == '/')
		id++;
	size_t n = strcspn(id, "/");
	if (!n)
		return client_fail(MLF_CLIENT_ERR_INVALID, "'%s' has no run id (runs:/<run_id>/<path>)", uri);
	const char *path = id + n;
	while (*path == '/')
		path++;
	if (!(*run_id = strndup(id, n)))
		return nomem();
	char *root;
	enum mlf_result r = cart_run_artifact_uri(c, *run_id, &root);
	if (r != MLF_CLIENT_OK)
		return r;
	size_t rn = strlen(root);
	while (rn && root[rn - 1] == '/')
		rn--;
	*source = *path ? cstr_printf("%.*s/%s", (int)rn, root, path) : cstr_printf("%.*s", (int)rn, root);
	free(root);
	return *source ? MLF_CLIENT_OK : nomem();
}

enum mlf_result mlf_register_model(mlf_client *c, const char *model_uri, const char *name, char version[32])
{
	enum mlf_result r = need(c && present(model_uri) && present(name), "client, model_uri and name are required");
	if (r != MLF_CLIENT_OK)
		return r;
	char *source = NULL, *run_id = NULL;
	if (!strncmp(model_uri, "runs:/", 6))
		r = runs_uri_source(c, model_uri, &source, &run_id);
	else if (!(source = strdup(model_uri)))
		r = nomem();
	if (r == MLF_CLIENT_OK) {
		struct creply rep = { .body = BUF_INIT_STICKY };
		json_t *body = object_of((const char *const[]){ "name", name, NULL });
		r = body ? call(c, NULL, "registered-models/create", body, &rep) : nomem();
		if (client_server_said(r, &rep, "RESOURCE_ALREADY_EXISTS"))
			r = MLF_CLIENT_OK;
		json_decref(body);
		buf_release(&rep.body);
	}
	if (r == MLF_CLIENT_OK)
		r = mlf_model_version_create(c, name, source, run_id, REGISTER_WAIT_SECONDS, version);
	free(source);
	free(run_id);
	return r;
}

enum mlf_result mlf_model_version_transition_stage(mlf_client *c, const char *name, const char *version,
						   const char *stage, int archive_existing_versions,
						   struct mlf_model_versions **out)
{
	if (out)
		*out = NULL;
	enum mlf_result r = need(c && present(name) && present(version) && present(stage),
				 "client, name, version and stage are required");
	if (r != MLF_CLIENT_OK)
		return r;
	const char *canon = canonical_stage(stage);
	if (!canon)
		return client_fail(MLF_CLIENT_ERR_INVALID, "unknown stage '%s' (None, Staging, Production or Archived)",
				   stage);
	json_t *body = object_of((const char *const[]){ "name", name, "version", version, "stage", canon, NULL });
	if (body && json_object_set_new(body, "archive_existing_versions", json_boolean(archive_existing_versions)))
		body = (json_decref(body), NULL);
	json_t *doc;
	r = send_json(c, NULL, "model-versions/transition-stage", body, &doc);
	if (r != MLF_CLIENT_OK)
		return r;
	if (!out) {
		json_decref(doc);
		return MLF_CLIENT_OK;
	}
	return one_version(doc, NULL, out);
}

enum mlf_result mlf_model_alias_set(mlf_client *c, const char *name, const char *alias, const char *version)
{
	enum mlf_result r = need(c && present(name) && present(alias) && present(version),
				 "client, name, alias and version are required");
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *body = object_of((const char *const[]){ "name", name, "alias", alias, "version", version, NULL });
	return call_discard(c, NULL, "registered-models/alias", body);
}

enum mlf_result mlf_model_alias_delete(mlf_client *c, const char *name, const char *alias)
{
	enum mlf_result r = need(c && present(name) && present(alias), "client, name and alias are required");
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *body = object_of((const char *const[]){ "name", name, "alias", alias, NULL });
	return call_discard(c, "DELETE", "registered-models/alias", body);
}

/* ---------------------------------------------------------------- URIs */

static enum mlf_result copy_out(const char *s, char *out, size_t size, const char *what)
{
	if (!out || strlen(s) >= size)
		return client_fail(MLF_CLIENT_ERR_INVALID, "%s '%s' does not fit in %zu bytes", what, s, out ? size : 0);
	memcpy(out, s, strlen(s) + 1);
	return MLF_CLIENT_OK;
}

enum mlf_result mlf_model_version_download_uri(mlf_client *c, const char *name, const char *version, char *uri,
					       size_t size)
{
	enum mlf_result r = need(c && present(name) && present(version), "client, name and version are required");
	if (r != MLF_CLIENT_OK)
		return r;
	json_t *doc;
	r = get_json(c, "model-versions/get-download-uri", (const char *const[]){ "name", name, "version", version, NULL },
		     &doc, NULL);
	if (r == MLF_CLIENT_OK && !*str(doc, "artifact_uri"))
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "get-download-uri answered no artifact_uri");
	if (r == MLF_CLIENT_OK)
		r = copy_out(str(doc, "artifact_uri"), uri, size, "download URI");
	json_decref(doc);
	return r;
}

/* The version a models:/ URI's name and suffix (a version, alias, "latest"
 * or stage, as `kind` says) select. */
static enum mlf_result uri_version(mlf_client *c, const char *uri, const char *name, enum model_uri_kind kind,
				   const char *suffix, char version[32])
{
	if (kind == MODEL_URI_VERSION)
		return copy_out(suffix, version, 32, "version");
	struct mlf_model_versions *v = NULL;
	enum mlf_result r;
	if (kind == MODEL_URI_ALIAS)
		r = mlf_model_version_by_alias(c, name, suffix, &v);
	else if (kind == MODEL_URI_LATEST)
		r = mlf_model_version_latest(c, name, NULL, &v);
	else if (canonical_stage(suffix))
		r = mlf_model_version_latest(c, name, suffix, &v);
	else
		r = client_fail(MLF_CLIENT_ERR_INVALID,
				"'%s': '%s' is neither a version number, a stage (None, Staging, Production, "
				"Archived) nor 'latest'",
				uri, suffix);
	if (r == MLF_CLIENT_OK)
		r = copy_out(v->items[0].version, version, 32, "version");
	mlf_model_versions_free(v);
	return r;
}

enum mlf_result mlf_model_uri_resolve(mlf_client *c, const char *models_uri, char *source, size_t size)
{
	enum mlf_result r = need(c && present(models_uri), "client and models_uri are required");
	if (r != MLF_CLIENT_OK)
		return r;
	if (strncmp(models_uri, "models:/", 8) != 0)
		return client_fail(MLF_CLIENT_ERR_INVALID, "'%s' is not a models:/ URI", models_uri);
	/* trailing slashes are forgiven ("models:/m/1/"), unlike MLflow's parser */
	size_t len = strlen(models_uri);
	while (models_uri[len - 1] == '/')
		len--;
	char *trimmed = strndup(models_uri, len), *name = NULL, *sfx = NULL;
	struct model_uri parsed;
	char version[32];
	if (!trimmed)
		r = nomem();
	else if (model_uri_parse(trimmed, &parsed) < 0 || parsed.kind == MODEL_URI_ID)
		r = client_fail(MLF_CLIENT_ERR_INVALID,
				"'%s' is not models:/<name>/<version|stage|latest> or models:/<name>@<alias>", models_uri);
	else if (!(name = strndup(parsed.name, parsed.name_len)) || !(sfx = strndup(parsed.ref, parsed.ref_len)))
		r = nomem();
	if (r == MLF_CLIENT_OK)
		r = uri_version(c, models_uri, name, parsed.kind, sfx, version);
	if (r == MLF_CLIENT_OK)
		r = mlf_model_version_download_uri(c, name, version, source, size);
	free(trimmed);
	free(name);
	free(sfx);
	return r;
}

/* ---------------------------------------------------------------- audit trail */

struct events_result {
	struct mlf_model_events pub;
	struct holder h;
};

void mlf_model_events_free(struct mlf_model_events *e)
{
	struct events_result *res = (struct events_result *)e;
	if (!res)
		return;
	holder_release(&res->h);
	free(res);
}

static enum mlf_result events_parse(struct events_result *res)
{
	json_t *list = json_object_get(res->h.doc, "history");
	size_t n = json_array_size(list);
	struct mlf_model_event *items = holder_calloc(&res->h, n, sizeof(*items));
	if (n && !items)
		return nomem();
	for (size_t i = 0; i < n; i++) {
		json_t *ev = json_array_get(list, i);
		items[i] = (struct mlf_model_event){
			.event_id = num(ev, "event_id"),
			.timestamp = num(ev, "timestamp"),
			.version = str(ev, "version"),
			.kind = str(ev, "kind"),
			.alias = str(ev, "alias"),
			.from = str(ev, "from"),
			.to = str(ev, "to"),
			.user_id = str(ev, "user_id"),
			.comment = str(ev, "comment"),
		};
	}
	res->pub = (struct mlf_model_events){ .items = items, .count = n, .json = res->h.json };
	return MLF_CLIENT_OK;
}

enum mlf_result mlf_model_history(mlf_client *c, const char *name, const char *version, struct mlf_model_events **out)
{
	enum mlf_result r = need(c && present(name) && out, "client, name and out are required");
	if (r != MLF_CLIENT_OK)
		return r;
	*out = NULL;
	if (strncmp(c->base, "http://", 7) != 0 && strncmp(c->base, "https://", 8) != 0)
		return client_fail(MLF_CLIENT_ERR_INVALID, "the audit trail needs an mlflowc server (http:// or https://)");
	char *base = cstr_printf("%s/api/2.0/mlflowc/registered-models/history", c->base);
	char *url = base ? query(base, (const char *const[]){ "name", name, "version", version, NULL }) : NULL;
	struct creply rep = { .body = BUF_INIT_STICKY };
	struct events_result *res = calloc(1, sizeof(*res));
	r = url && res ? cxfer_get(c, url, &rep) : nomem();
	if (r == MLF_CLIENT_OK)
		r = cjson_load(&rep.body, url, &res->h.doc);
	if (r == MLF_CLIENT_OK && !json_is_object(res->h.doc))
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "%s: the answer is not a JSON object", url);
	if (r == MLF_CLIENT_OK) {
		char *raw = strndup(rep.body.ptr, rep.body.len);
		r = raw ? holder_text(&res->h, raw) : nomem();
	}
	if (r == MLF_CLIENT_OK)
		r = events_parse(res);
	if (r == MLF_CLIENT_OK)
		*out = &res->pub;
	else if (res)
		mlf_model_events_free(&res->pub);
	buf_release(&rep.body);
	free(url);
	free(base);
	return r;
}
