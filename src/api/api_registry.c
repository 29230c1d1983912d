/*
 * api_registry.c - the model registry endpoints of MLflow's REST API
 * (registered models, model versions, stages, aliases, tags, search) and
 * mlflowc's history endpoint.
 *
 * Each handler reads and validates its parameters with MLflow's rules and
 * messages (stage names, alias names, version numbers, sources), calls the
 * registry half of the store, and renders the result. Wire rules: versions
 * are strings, timestamps int64 numbers, empty lists and unset fields
 * omitted. Nothing here writes SQL.
 */
#include "api_registry.h"
#include "api_search.h"
#include "../base/model_uri.h"
#include "../base/util.h"
#include "../store/registry.h"
#include <strings.h>

#define TAG_KEY_MAX 250
#define REGISTRY_TAG_VALUE_MAX 100000 /* MLflow 3; 2.x had 5000 */
#define ALIAS_MAX 255
#define MODELS_DEFAULT_RESULTS 100
#define MODELS_MAX_RESULTS 1000
#define VERSIONS_MAX_RESULTS 200000
#define MODEL_VERSIONS_TAG "mlflow.modelVersions"

static const char *const stages[] = { "None", "Staging", "Production", "Archived" };
static const char *const archiving_stages[] = { "Staging", "Production" };

/* ---- parameters ------------------------------------------------------------ */

static int name_param(struct api_ctx *c, const char **name)
{
	return param_string_required(c, "name", name);
}

static int parse_version(struct api_ctx *c, const char *text, int64_t *out)
{
	if (!util_parse_int64(text, out))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Model version must be an integer, got '%s'", text);
	return 0;
}

/* name and version, both required; version is a string of digits. */
static int version_params(struct api_ctx *c, const char **name, int64_t *version)
{
	const char *text;
	int rc;
	if (name_param(c, name) < 0 || (rc = param_id(c, "version", &text)) < 0)
		return -1;
	if (rc == 1 || !*text)
		return param_missing(c, "version");
	return parse_version(c, text, version);
}

/* Canonical stage spelling for case-insensitive input, or MLflow's error. */
static int canonical_stage(struct api_ctx *c, const char *in, const char **out)
{
	for (size_t i = 0; i < ARRAY_SIZE(stages); i++)
		if (strcasecmp(in, stages[i]) == 0) {
			*out = stages[i];
			return 0;
		}
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid Model Version stage: %s. Value must be one of None, Staging, Production, Archived.", in);
}

/* The user a recorded change is attributed to: the request's sender
 * (the signed-in user, else the X-MLflow-User header), else "unknown". */
static void actor(struct api_ctx *c, struct store_actor *who)
{
	who->user = c->user ? c->user : "unknown";
	who->comment = NULL;
	param_string(c, "comment", &who->comment);
}

/* Reads `tags` ([{key, value}]) with the registry's key and length rules;
 * `label` is "Registered model" or "Model version". */
static int tags_param(struct api_ctx *c, const char *label, struct store_kv **out, size_t *n)
{
	json_t *list;
	int rc = param_object_list(c, "tags", &list);
	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	*n = json_array_size(list);
	*out = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_t *t = json_array_get(list, i);
		const char *key, *value;
		if (param_nested_text(c, t, "key", &key) < 0 || param_nested_text(c, t, "value", &value) < 0)
			return -1;
		if (!key || !*key)
			return param_missing(c, "key");
		if (validate_key(c, key, "key") < 0 ||
		    validate_length(c, key, TAG_KEY_MAX, arena_printf(c->a, "%s key", label)) < 0 ||
		    validate_length(c, value, REGISTRY_TAG_VALUE_MAX, arena_printf(c->a, "%s value", label)) < 0)
			return -1;
		(*out)[i] = (struct store_kv){ key, value ? value : "" };
	}
	return 0;
}

/* key (required, a valid tag name) and, for set-tag, value (may be absent). */
static int tag_params(struct api_ctx *c, const char *label, const char **key, const char **value)
{
	if (param_string_required(c, "key", key) < 0 || validate_key(c, *key, "key") < 0 ||
	    validate_length(c, *key, TAG_KEY_MAX, arena_printf(c->a, "%s key", label)) < 0)
		return -1;
	if (!value)
		return 0;
	if (param_string(c, "value", value) < 0 ||
	    validate_length(c, *value, REGISTRY_TAG_VALUE_MAX, arena_printf(c->a, "%s value", label)) < 0)
		return -1;
	if (!*value)
		*value = "";
	return 0;
}

/* ---- alias rules (MLflow's _validate_model_alias_name) ----------------------- */

static bool alias_chars_ok(const char *alias)
{
	for (const unsigned char *p = (const unsigned char *)alias; *p; p++)
		if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

/* v1, V12: reserved for version references. */
static bool alias_is_version_ref(const char *alias)
{
	if (alias[0] != 'v' && alias[0] != 'V')
		return false;
	if (!alias[1])
		return false;
	for (const char *p = alias + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static int validate_alias(struct api_ctx *c, const char *alias)
{
	if (!alias_chars_ok(alias))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid alias name: '%s'. Names may only contain alphanumerics, underscores (_), and "
				  "dashes (-).",
				  alias);
	if (validate_length(c, alias, ALIAS_MAX, "Registered model alias name") < 0)
		return -1;
	if (strcasecmp(alias, "latest") == 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "'latest' alias name (case insensitive) is reserved.");
	if (alias_is_version_ref(alias))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Version alias name '%s' is reserved.", alias);
	return 0;
}

/* ---- sources (MLflow's _validate_source) ---------------------------------------
 * A local path or file: URI is accepted only inside the artifact directory
 * of the run named by run_id; any other URI must be an absolute path free
 * of '.'/'..' segments, also when percent-encoded. */

struct uri_parts {
	const char *scheme; /* "" when none */
	const char *path;   /* without query and fragment */
};

static void uri_split(struct api_ctx *c, const char *uri, struct uri_parts *out)
{
	size_t n = 0;
	const char *rest = uri;
	out->scheme = "";
	if ((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')) {
		n = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
		if (uri[n] == ':') {
			out->scheme = arena_strndup(c->a, uri, n);
			rest = uri + n + 1;
		}
	}
	if (rest[0] == '/' && rest[1] == '/')
		rest += 2 + strcspn(rest + 2, "/?#");
	out->path = arena_strndup(c->a, rest, strcspn(rest, "?#"));
}

/* Python's unquote_plus, once. Returns 1 when something changed, 0 when
 * not, -1 when it decoded a NUL byte. */
static int unquote_plus_once(struct api_ctx *c, const char *in, const char **out)
{
	size_t n = strlen(in), k = 0;
	char *s = arena_alloc(c->a, n + 1);
	for (size_t i = 0; i < n; i++) {
		int hi = i + 2 < n ? util_hex_value(in[i + 1]) : -1, lo = i + 2 < n ? util_hex_value(in[i + 2]) : -1;
		if (in[i] == '+') {
			s[k++] = ' ';
		} else if (in[i] == '%' && hi >= 0 && lo >= 0) {
			if (hi == 0 && lo == 0)
				return -1;
			s[k++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			s[k++] = in[i];
		}
	}
	s[k] = '\0';
	*out = s;
	return k != n || memcmp(s, in, n) != 0;
}

/* Collapses repeated slashes and drops trailing ones. */
static char *squeeze_slashes(struct api_ctx *c, const char *path)
{
	char *s = arena_strdup(c->a, path);
	size_t k = 0;
	for (size_t i = 0; s[i]; i++)
		if (s[i] != '/' || k == 0 || s[k - 1] != '/')
			s[k++] = s[i];
	while (k > 0 && s[k - 1] == '/')
		k--;
	s[k] = '\0';
	return s;
}

/* Is there a ".", ".." or empty-between-slashes segment in `path`? */
static bool has_dot_segment(const char *path, bool dotdot_only)
{
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 2 && p[0] == '.' && p[1] == '.') || (!dotdot_only && n == 1 && p[0] == '.'))
			return true;
		p += n;
		if (*p == '/')
			p++;
	}
	return false;
}

static int relative_source_error(struct api_ctx *c, const char *source)
{
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid model version source: '%s'. If supplying a source as an http, https, local file path, "
			  "ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without "
			  "relative path references present. Please provide an absolute path.",
			  source);
}

static int validate_remote_source(struct api_ctx *c, const char *source)
{
	const char *text = source;
	struct uri_parts u;
	int rc;
	while ((rc = unquote_plus_once(c, text, &text)) > 0)
		;
	if (rc < 0)
		return relative_source_error(c, source);
	uri_split(c, text, &u);
	const char *path = squeeze_slashes(c, u.path);
	if (has_dot_segment(text, true) || (*path && (path[0] != '/' || has_dot_segment(path, false))))
		return relative_source_error(c, source);
	return 0;
}

static bool is_local_source(struct api_ctx *c, const char *source, const char **path)
{
	struct uri_parts u;
	uri_split(c, source, &u);
	if (!*u.scheme || !strcmp(u.scheme, "file")) {
		*path = *u.scheme ? u.path : source;
		return true;
	}
	return false;
}

/* `dir` contains `path` (both absolute, normalised)? */
static bool path_inside(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	return strncmp(dir, path, n) == 0 && (path[n] == '\0' || path[n] == '/' || (n && dir[n - 1] == '/'));
}

static int local_source_error(struct api_ctx *c, const char *shown)
{
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid model version source: '%s'. To use a local path as a model version source, the "
			  "run_id request parameter has to be specified and the local path has to be contained within "
			  "the artifact directory of the run specified by the run_id.",
			  shown);
}

static int validate_local_source(struct api_ctx *c, const char *source, const char *path, const char *run_id)
{
	struct store_run run;
	const char *run_dir;
	if (!run_id || !*run_id)
		return local_source_error(c, source);
	struct store *st = c->app->store;
	if (store_run_get(st, run_id, &run, c->a, c->err) < 0)
		return -1;
	path = squeeze_slashes(c, path);
	if (path[0] == '/' && !has_dot_segment(path, false) &&
	    is_local_source(c, run.info.artifact_uri, &run_dir) && run_dir[0] == '/' &&
	    path_inside(squeeze_slashes(c, run_dir), path))
		return 0;
	return local_source_error(c, path);
}

static int validate_source(struct api_ctx *c, const char *source, const char *run_id)
{
	const char *path;
	if (is_local_source(c, source, &path))
		return validate_local_source(c, source, path, run_id);
	return validate_remote_source(c, source);
}

static int logged_model_location(struct api_ctx *c, const char *model_id, const char **location)
{
	struct store_logged_model m;
	if (store_logged_model_get(c->app->store, model_id, false, &m, c->a, c->err) < 0)
		return -1;
	*location = m.artifact_location;
	return 0;
}

/* The newest version of `name` in `stage` (a stage name in any case). */
static int latest_in_stage(struct api_ctx *c, const char *name, const char *stage, struct store_model_version *v)
{
	struct store_model_version *latest;
	size_t n;
	if (canonical_stage(c, stage, &stage) < 0 ||
	    store_registered_model_latest_versions(c->app->store, name, &stage, 1, &latest, &n, c->a, c->err) < 0)
		return -1;
	if (!n)
		return mlf_errorf(c->err, MLF_RESOURCE_DOES_NOT_EXIST,
				  "No versions of model with name '%s' and stage '%s' found", name, stage);
	*v = latest[0];
	return 0;
}

/* A source whose scheme is models: is stored with the real location of the
 * files it names, looked up now: a version, an alias, the latest version
 * ("latest") or the latest of a stage, or a logged model (models:/<id>).
 * MLflow's server resolves versions and logged models and refuses the rest;
 * resolving them too is what a client means by them. A models: source that
 * does not parse, or names nothing, is refused (MLflow answers 500 for
 * both; the request is at fault, so here it is a 4xx). Other sources are
 * their own location (NULL). */
static int resolve_storage(struct api_ctx *c, const char *source, const char **location)
{
	struct store_model_version v;
	struct model_uri ref;
	int64_t version;
	int rc;
	*location = NULL;
	if (strncasecmp(source, "models:", 7) != 0)
		return 0;
	if (model_uri_parse(source, &ref) < 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Not a proper models:/ URI: %s. Models URIs must be of the form "
				  "'models:/<model_name>/suffix' or 'models:/<model_name>@alias' where suffix is a model "
				  "version, stage, or the string 'latest' and where alias is a registered model alias. "
				  "Only one of suffix or alias can be defined at a time.",
				  source);
	const char *name = arena_strndup(c->a, ref.name, ref.name_len);
	const char *suffix = arena_strndup(c->a, ref.ref, ref.ref_len);
	switch (ref.kind) {
	case MODEL_URI_ID:
		return logged_model_location(c, name, location);
	case MODEL_URI_ALIAS:
		rc = store_model_alias_get(c->app->store, name, suffix, &v, c->a, c->err);
		break;
	case MODEL_URI_LATEST:
		rc = store_model_alias_get(c->app->store, name, "latest", &v, c->a, c->err);
		break;
	case MODEL_URI_STAGE:
		rc = latest_in_stage(c, name, suffix, &v);
		break;
	case MODEL_URI_VERSION:
	default:
		if (!util_parse_int64(suffix, &version))
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Not a proper models:/ URI: %s.", source);
		rc = store_model_version_get(c->app->store, name, version, &v, c->a, c->err);
		break;
	}
	if (rc == 0)
		*location = v.storage_location ? v.storage_location : v.source;
	return rc;
}

/* ---- rendering ------------------------------------------------------------------ */

static void kv_version(struct jw *w, const char *key, int64_t version)
{
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)version);
	jw_kv_str(w, key, text);
}

static void kv_optional(struct jw *w, const char *key, const char *value)
{
	if (value)
		jw_kv_str(w, key, value);
}

static void render_version(struct jw *w, const struct store_model_version *v)
{
	jw_obj_begin(w);
	jw_kv_str(w, "name", v->name);
	kv_version(w, "version", v->version);
	jw_kv_int(w, "creation_timestamp", v->creation_time);
	jw_kv_int(w, "last_updated_timestamp", v->last_updated_time);
	kv_optional(w, "user_id", v->user_id);
	jw_kv_str(w, "current_stage", v->current_stage);
	kv_optional(w, "description", v->description);
	jw_kv_str(w, "source", v->source);
	jw_kv_str(w, "run_id", v->run_id);
	jw_kv_str(w, "status", v->status);
	kv_optional(w, "status_message", v->status_message);
	render_kv_list(w, "tags", v->tags, v->n_tags);
	kv_optional(w, "model_id", v->model_id);
	jw_kv_str(w, "run_link", v->run_link);
	if (v->n_aliases) {
		jw_key(w, "aliases");
		jw_arr_begin(w);
		for (size_t i = 0; i < v->n_aliases; i++)
			jw_str(w, v->aliases[i]);
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

static void render_versions(struct jw *w, const char *key, const struct store_model_version *v, size_t n)
{
	if (!n)
		return;
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		render_version(w, &v[i]);
	jw_arr_end(w);
}

static void render_model(struct jw *w, const struct store_registered_model *m)
{
	jw_obj_begin(w);
	jw_kv_str(w, "name", m->name);
	jw_kv_int(w, "creation_timestamp", m->creation_time);
	if (m->last_updated_time)
		jw_kv_int(w, "last_updated_timestamp", m->last_updated_time);
	if (m->description && *m->description)
		jw_kv_str(w, "description", m->description);
	render_versions(w, "latest_versions", m->latest, m->n_latest);
	render_kv_list(w, "tags", m->tags, m->n_tags);
	if (m->n_aliases) {
		jw_key(w, "aliases");
		jw_arr_begin(w);
		for (size_t i = 0; i < m->n_aliases; i++) {
			jw_obj_begin(w);
			jw_kv_str(w, "alias", m->aliases[i].alias);
			kv_version(w, "version", m->aliases[i].version);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

static int respond_model(struct api_ctx *c, int rc, const struct store_registered_model *m)
{
	if (rc < 0)
		return -1;
	jw_key(&c->w, "registered_model");
	render_model(&c->w, m);
	return 0;
}

static int respond_version(struct api_ctx *c, int rc, const struct store_model_version *v)
{
	if (rc < 0)
		return -1;
	jw_key(&c->w, "model_version");
	render_version(&c->w, v);
	return 0;
}

/* ---- registered models --------------------------------------------------------------- */

int api_registry_model_create(struct api_ctx *c)
{
	const char *name, *description;
	struct store_kv *tags;
	size_t n_tags;
	struct store_registered_model m;
	if (name_param(c, &name) < 0 || tags_param(c, "Registered model", &tags, &n_tags) < 0 ||
	    param_string(c, "description", &description) < 0)
		return -1;
	return respond_model(c,
			     store_registered_model_create(c->app->store, name, description ? description : "", tags, n_tags,
						       &m, c->a, c->err),
			     &m);
}

int api_registry_model_get(struct api_ctx *c)
{
	const char *name;
	struct store_registered_model m;
	if (name_param(c, &name) < 0)
		return -1;
	return respond_model(c, store_registered_model_get(c->app->store, name, &m, c->a, c->err), &m);
}

int api_registry_model_rename(struct api_ctx *c)
{
	const char *name, *new_name;
	struct store_registered_model m;
	if (name_param(c, &name) < 0 || param_string_required(c, "new_name", &new_name) < 0)
		return -1;
	return respond_model(c, store_registered_model_rename(c->app->store, name, new_name, &m, c->a, c->err), &m);
}

int api_registry_model_update(struct api_ctx *c)
{
	const char *name, *description;
	struct store_registered_model m;
	if (name_param(c, &name) < 0 || param_string(c, "description", &description) < 0)
		return -1;
	return respond_model(c,
			     store_registered_model_update(c->app->store, name, description ? description : "", &m, c->a,
						       c->err),
			     &m);
}

int api_registry_model_delete(struct api_ctx *c)
{
	const char *name;
	if (name_param(c, &name) < 0)
		return -1;
	return store_registered_model_delete(c->app->store, name, c->err);
}

int api_registry_model_set_tag(struct api_ctx *c)
{
	const char *name, *key, *value;
	if (name_param(c, &name) < 0 || tag_params(c, "Registered model", &key, &value) < 0)
		return -1;
	return store_registered_model_set_tag(c->app->store, name, key, value, c->err);
}

int api_registry_model_delete_tag(struct api_ctx *c)
{
	const char *name, *key;
	if (name_param(c, &name) < 0 || tag_params(c, "Registered model", &key, NULL) < 0)
		return -1;
	return store_registered_model_delete_tag(c->app->store, name, key, c->err);
}

int api_registry_latest_versions(struct api_ctx *c)
{
	const char *name, **wanted;
	size_t n_wanted, n;
	struct store_model_version *v;
	if (name_param(c, &name) < 0 || param_string_list(c, "stages", &wanted, &n_wanted) < 0)
		return -1;
	for (size_t i = 0; i < n_wanted; i++)
		if (canonical_stage(c, wanted[i], &wanted[i]) < 0)
			return -1;
	if (store_registered_model_latest_versions(c->app->store, name, wanted, n_wanted, &v, &n, c->a, c->err) < 0)
		return -1;
	render_versions(&c->w, "model_versions", v, n);
	return 0;
}

/* ---- search ------------------------------------------------------------------------------ */

struct results_limit {
	int64_t fallback, max;
	bool zero_ok; /* registered-model search accepts 0 (and returns only a token) */
};

static int registry_search_params(struct api_ctx *c, enum filter_kind kind, const struct results_limit *lim,
				  struct store_search *q)
{
	const char *filter = NULL, *token = NULL, **order;
	size_t n_order;
	memset(q, 0, sizeof(*q));
	q->max_results = lim->fallback;
	if (param_int64(c, "max_results", &q->max_results) < 0)
		return -1;
	if (q->max_results < 0 || (q->max_results == 0 && !lim->zero_ok))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value for max_results. It must be a positive integer, but got %lld",
				  (long long)q->max_results);
	if (q->max_results > lim->max)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value for max_results. It must be at most %lld, but got %lld", (long long)lim->max,
				  (long long)q->max_results);
	if (param_string(c, "filter", &filter) < 0 || param_string_list(c, "order_by", &order, &n_order) < 0 ||
	    param_string(c, "page_token", &token) < 0)
		return -1;
	if (filter_parse(kind, filter, &q->filter, c->a, c->err) < 0 ||
	    order_by_parse(kind, order, n_order, &q->order, c->a, c->err) < 0 ||
	    page_token_decode(token, &q->offset, c->err) < 0)
		return -1;
	return 0;
}

static int models_fetch(struct api_ctx *c, const struct store_search *q, void **items, size_t *n, bool *more)
{
	struct store_registered_model *m;
	if (store_registered_model_search(c->app->store, q, &m, n, more, c->a, c->err) < 0)
		return -1;
	*items = m;
	return 0;
}

static const char *model_key(struct api_ctx *c, const void *item)
{
	(void)c;
	return ((const struct store_registered_model *)item)->name;
}

static int versions_fetch(struct api_ctx *c, const struct store_search *q, void **items, size_t *n, bool *more)
{
	struct store_model_version *v;
	if (store_model_version_search(c->app->store, q, &v, n, more, c->a, c->err) < 0)
		return -1;
	*items = v;
	return 0;
}

static const char *version_key(struct api_ctx *c, const void *item)
{
	(void)c;
	return ((const struct store_model_version *)item)->name;
}

int api_registry_model_search(struct api_ctx *c)
{
	static const struct results_limit lim = { MODELS_DEFAULT_RESULTS, MODELS_MAX_RESULTS, true };
	struct store_search q;
	struct store_registered_model *m;
	size_t n;
	int64_t next;
	if (registry_search_params(c, FILTER_REGISTERED_MODELS, &lim, &q) < 0 ||
	    search_filtered(c, &q, ROUTE_REGISTERED_MODEL, sizeof(*m), models_fetch, model_key, (void **)&m, &n, &next) < 0)
		return -1;
	if (n) {
		jw_key(&c->w, "registered_models");
		jw_arr_begin(&c->w);
		for (size_t i = 0; i < n; i++)
			render_model(&c->w, &m[i]);
		jw_arr_end(&c->w);
	}
	search_next_token_at(c, next);
	return 0;
}

int api_registry_version_search(struct api_ctx *c)
{
	static const struct results_limit lim = { VERSIONS_MAX_RESULTS, VERSIONS_MAX_RESULTS, false };
	struct store_search q;
	struct store_model_version *v;
	size_t n;
	int64_t next;
	if (registry_search_params(c, FILTER_MODEL_VERSIONS, &lim, &q) < 0 ||
	    search_filtered(c, &q, ROUTE_REGISTERED_MODEL, sizeof(*v), versions_fetch, version_key, (void **)&v, &n,
			    &next) < 0)
		return -1;
	render_versions(&c->w, "model_versions", v, n);
	search_next_token_at(c, next);
	return 0;
}

/* ---- aliases -------------------------------------------------------------------------------- */

static int alias_set(struct api_ctx *c, const char *name, const char *alias)
{
	const char *text;
	int64_t version;
	struct store_actor who;
	int rc = param_id(c, "version", &text);
	if (rc < 0)
		return -1;
	if (rc == 1 || !*text)
		return param_missing(c, "version");
	if (validate_alias(c, alias) < 0 || parse_version(c, text, &version) < 0)
		return -1;
	actor(c, &who);
	return store_model_alias_set(c->app->store, name, alias, version, &who, c->err);
}

int api_registry_alias_set(struct api_ctx *c)
{
	const char *name, *alias;
	if (name_param(c, &name) < 0 || param_string_required(c, "alias", &alias) < 0)
		return -1;
	return alias_set(c, name, alias);
}

int api_registry_alias_delete(struct api_ctx *c)
{
	const char *name, *alias;
	struct store_actor who;
	if (name_param(c, &name) < 0 || param_string_required(c, "alias", &alias) < 0)
		return -1;
	actor(c, &who);
	return store_model_alias_delete(c->app->store, name, alias, &who, c->err);
}

int api_registry_alias_get(struct api_ctx *c)
{
	const char *name, *alias;
	struct store_model_version v;
	if (name_param(c, &name) < 0 || param_string_required(c, "alias", &alias) < 0)
		return -1;
	return respond_version(c, store_model_alias_get(c->app->store, name, alias, &v, c->a, c->err), &v);
}

/* ---- model versions --------------------------------------------------------------------------- */

/* MLflow's _validate_source_model: with a model_id, a local source must lie
 * inside the logged model's artifact directory. */
static int validate_model_source(struct api_ctx *c, const char *source, const char *model_id)
{
	struct store_logged_model m;
	const char *path, *dir;
	if (!is_local_source(c, source, &path))
		return validate_remote_source(c, source);
	if (store_logged_model_get(c->app->store, model_id, false, &m, c->a, c->err) < 0)
		return -1;
	path = squeeze_slashes(c, path);
	if (path[0] == '/' && !has_dot_segment(path, false) && is_local_source(c, m.artifact_location, &dir) &&
	    dir[0] == '/' && path_inside(squeeze_slashes(c, dir), path))
		return 0;
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid model version source: '%s'. To use a local path as a model version source, the "
			  "model_id request parameter has to be specified and the local path has to be contained within "
			  "the artifact directory of the run specified by the model_id.",
			  path);
}

/* MLflow 3 records a registration on the logged model it came from, as the
 * tag mlflow.modelVersions: a JSON list of {"name", "version"} in Python's
 * json.dumps layout. */
static int tag_logged_model(struct api_ctx *c, const char *model_id, const char *name, int64_t version)
{
	struct store_logged_model m;
	if (store_logged_model_get(c->app->store, model_id, false, &m, c->a, c->err) < 0)
		return -1;
	json_t *list = NULL;
	for (size_t i = 0; i < m.n_tags && !list; i++)
		if (!strcmp(m.tags[i].key, MODEL_VERSIONS_TAG))
			list = json_loads(m.tags[i].value, 0, NULL);
	if (!json_is_array(list)) {
		json_decref(list);
		list = json_array();
	}
	json_t *entry = json_pack("{s:s, s:I}", "name", name, "version", (json_int_t)version);
	bool seen = false;
	for (size_t i = 0; i < json_array_size(list); i++)
		seen |= json_equal(json_array_get(list, i), entry) != 0;
	if (!seen)
		json_array_append(list, entry);
	json_decref(entry);
	char *text = json_dumps(list, JSON_ENSURE_ASCII);
	json_decref(list);
	struct store_kv tag = { MODEL_VERSIONS_TAG, arena_strdup(c->a, text ? text : "[]") };
	free(text);
	return store_logged_model_set_tags(c->app->store, model_id, &tag, 1, c->err);
}

int api_registry_version_create(struct api_ctx *c)
{
	struct store_version_create vc = { 0 };
	struct store_kv *tags;
	struct store_model_version v;
	if (name_param(c, &vc.name) < 0 || param_string_required(c, "source", &vc.source) < 0 ||
	    param_string(c, "run_id", &vc.run_id) < 0 || param_string(c, "run_link", &vc.run_link) < 0 ||
	    param_string(c, "description", &vc.description) < 0 || param_string(c, "model_id", &vc.model_id) < 0 ||
	    tags_param(c, "Model version", &tags, &vc.n_tags) < 0)
		return -1;
	vc.tags = tags;
	bool from_model = vc.model_id && *vc.model_id;
	if ((from_model ? validate_model_source(c, vc.source, vc.model_id) : validate_source(c, vc.source, vc.run_id)) < 0 ||
	    resolve_storage(c, vc.source, &vc.storage_location) < 0)
		return -1;
	if (store_model_version_create(c->app->store, &vc, &v, c->a, c->err) < 0 ||
	    (from_model && tag_logged_model(c, vc.model_id, v.name, v.version) < 0))
		return -1;
	return respond_version(c, 0, &v);
}

int api_registry_version_get(struct api_ctx *c)
{
	const char *name;
	int64_t version;
	struct store_model_version v;
	if (version_params(c, &name, &version) < 0)
		return -1;
	return respond_version(c, store_model_version_get(c->app->store, name, version, &v, c->a, c->err), &v);
}

int api_registry_version_update(struct api_ctx *c)
{
	const char *name, *description;
	int64_t version;
	struct store_model_version v;
	if (version_params(c, &name, &version) < 0 || param_string(c, "description", &description) < 0)
		return -1;
	return respond_version(c,
			       store_model_version_update(c->app->store, name, version, description ? description : "",
							   &v, c->a, c->err),
			       &v);
}

int api_registry_version_delete(struct api_ctx *c)
{
	const char *name;
	int64_t version;
	if (version_params(c, &name, &version) < 0)
		return -1;
	return store_model_version_delete(c->app->store, name, version, c->err);
}

int api_registry_version_download_uri(struct api_ctx *c)
{
	const char *name;
	int64_t version;
	struct store_model_version v;
	if (version_params(c, &name, &version) < 0 ||
	    store_model_version_get(c->app->store, name, version, &v, c->a, c->err) < 0)
		return -1;
	jw_kv_str(&c->w, "artifact_uri", v.storage_location ? v.storage_location : v.source);
	return 0;
}

static int check_archiving_stage(struct api_ctx *c, const char *stage)
{
	for (size_t i = 0; i < ARRAY_SIZE(archiving_stages); i++)
		if (!strcmp(stage, archiving_stages[i]))
			return 0;
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Model version transition cannot archive existing model versions because '%s' is not an "
			  "Active stage. Valid stages are Staging, Production.",
			  stage);
}

int api_registry_version_transition(struct api_ctx *c)
{
	const char *name, *stage;
	int64_t version;
	bool archive = false;
	struct store_actor who;
	struct store_model_version v;
	if (version_params(c, &name, &version) < 0 || param_string_required(c, "stage", &stage) < 0 ||
	    param_bool(c, "archive_existing_versions", &archive) < 0 || canonical_stage(c, stage, &stage) < 0)
		return -1;
	if (archive && check_archiving_stage(c, stage) < 0)
		return -1;
	actor(c, &who);
	return respond_version(c,
			       store_model_version_transition(c->app->store, name, version, stage, archive, &who, &v,
							       c->a, c->err),
			       &v);
}

int api_registry_version_set_tag(struct api_ctx *c)
{
	const char *name, *key, *value;
	int64_t version;
	if (version_params(c, &name, &version) < 0 || tag_params(c, "Model version", &key, &value) < 0)
		return -1;
	return store_model_version_set_tag(c->app->store, name, version, key, value, c->err);
}

int api_registry_version_delete_tag(struct api_ctx *c)
{
	const char *name, *key;
	int64_t version;
	if (version_params(c, &name, &version) < 0 || tag_params(c, "Model version", &key, NULL) < 0)
		return -1;
	return store_model_version_delete_tag(c->app->store, name, version, key, c->err);
}

/* ---- history ------------------------------------------------------------------------------------ */

static void render_event(struct jw *w, const struct store_registry_event *e)
{
	jw_obj_begin(w);
	jw_kv_int(w, "event_id", e->id);
	jw_kv_str(w, "name", e->name);
	kv_version(w, "version", e->version);
	jw_kv_str(w, "kind", e->kind);
	kv_optional(w, "alias", e->alias);
	kv_optional(w, "from", e->from);
	kv_optional(w, "to", e->to);
	jw_kv_str(w, "user_id", e->user);
	jw_kv_int(w, "timestamp", e->time);
	kv_optional(w, "comment", e->comment);
	jw_obj_end(w);
}

int api_registry_history(struct api_ctx *c)
{
	const char *name, *text;
	int64_t version = 0;
	struct store_registry_event *ev;
	size_t n;
	int rc;
	if (name_param(c, &name) < 0 || (rc = param_id(c, "version", &text)) < 0)
		return -1;
	if (rc == 0 && *text && parse_version(c, text, &version) < 0)
		return -1;
	if (store_registry_history(c->app->store, name, version, &ev, &n, c->a, c->err) < 0)
		return -1;
	if (!n)
		return 0;
	jw_key(&c->w, "history");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++)
		render_event(&c->w, &ev[i]);
	jw_arr_end(&c->w);
	return 0;
}
