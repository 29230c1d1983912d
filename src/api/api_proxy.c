/*
 * api_proxy.c - the artifact proxy (/api/2.0/mlflow-artifacts/...) and the
 * UI's /get-artifact: uploads stream from the request into the artifact
 * store, downloads stream from the store with sendfile, so a file of any
 * size passes through in constant memory.
 *
 * Paths arrive percent-encoded in the URL; they are checked with
 * artifact_path_validate() (which decodes repeatedly) before anything
 * touches the store, and the store confines them to its root again. A
 * run's local artifact location is served only inside the server's
 * allowed roots (artifact_roots.h). Uploads are refused before their first
 * byte when they announce more than --max-artifact-mb or would leave less
 * than --min-free-disk-mb free, and cut off when a chunked one passes the
 * limit. Deletes never take the store's root or a whole experiment.
 */
#include "api.h"
#include "auth_gate.h"
#include "routes.h"
#include "../base/util.h"
#include "../artifact/artifact_local.h"
#include "../store/registry.h"
#include <errno.h>
#include <unistd.h>

#define PROXY_PREFIX "/mlflow-artifacts/artifacts/"

/* Decodes and checks an artifact path from the URL. The result lives in
 * the request arena. */
static int proxy_path(struct api_ctx *c, const char *raw, const char **out)
{
	struct buf b = BUF_INIT;
	if (artifact_path_validate(raw, c->err) < 0)
		return -1;
	util_url_decode(&b, raw, strlen(raw), false);
	*out = arena_strndup(c->a, b.ptr, b.len);
	buf_release(&b);
	return artifact_path_validate(*out, c->err);
}

/* ---- uploads: the body streams into the store ------------------------------ */

struct proxy_upload {
	struct artifact_repo *repo;
	struct artifact_upload *up; /* NULL when begin failed or the upload was cut off */
	struct mlf_err err;         /* why begin failed, or why the upload was cut off */
	uint64_t limit;             /* --max-artifact-mb in bytes; 0: none */
	uint64_t written;
};

static void upload_sink_abort(void *ctx)
{
	struct proxy_upload *pu = ctx;
	if (pu->up)
		pu->repo->ops->upload_abort(pu->up);
	pu->up = NULL;
}

static int too_large(struct mlf_err *err, uint64_t limit)
{
	return mlf_errorf(err, MLF_MAX_READ_SIZE_EXCEEDED, "Artifact exceeds the server's upload limit of %llu MB "
			  "(--max-artifact-mb)", (unsigned long long)(limit >> 20));
}

static int upload_sink_write(void *ctx, const char *data, size_t n)
{
	struct proxy_upload *pu = ctx;
	if (!pu->up)
		return 0; /* refused before it began: the body is dropped */
	pu->written += n;
	if (pu->limit && pu->written > pu->limit) { /* a chunked upload ran past the limit */
		upload_sink_abort(pu);
		too_large(&pu->err, pu->limit);
		return EFBIG;
	}
	return pu->repo->ops->upload_write(pu->up, data, n);
}

/* The announced Content-Length, when there is one. */
static bool content_length(const struct http_request *req, uint64_t *out)
{
	const char *h = http_request_header(req, "Content-Length");
	int64_t v;
	if (!h || !util_parse_int64(h, &v) || v < 0)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* Refuses an upload before its first byte: over --max-artifact-mb, or one
 * that would leave less than --min-free-disk-mb free (with no length, the
 * disk must at least hold the reserve). */
static int upload_allowed(const struct app *app, const struct http_request *req, struct mlf_err *err)
{
	uint64_t length = 0, free_bytes;
	bool known = content_length(req, &length);
	if (known && app->max_artifact_bytes && length > app->max_artifact_bytes)
		return too_large(err, app->max_artifact_bytes);
	struct artifact_repo *repo = app->artifacts;
	if (repo->ops->free_space && repo->ops->free_space(repo, &free_bytes) == 0 &&
	    (free_bytes < app->min_free_disk_bytes || free_bytes - app->min_free_disk_bytes < length))
		return mlf_errorf(err, MLF_INSUFFICIENT_STORAGE,
				  "Not enough free disk space for this artifact: %llu MB free, the upload needs %llu MB "
				  "and the server keeps %llu MB free (--min-free-disk-mb)",
				  (unsigned long long)(free_bytes >> 20), (unsigned long long)((length + (1 << 20) - 1) >> 20),
				  (unsigned long long)(app->min_free_disk_bytes >> 20));
	return 0;
}

/* The raw path after the API prefix and PROXY_PREFIX, or NULL. */
static const char *proxy_subpath(const struct app *app, const char *raw)
{
	static const char *const prefixes[] = { "/api/2.0" PROXY_PREFIX, "/ajax-api/2.0" PROXY_PREFIX };
	size_t sp = strlen(app->static_prefix);
	if (strncmp(raw, app->static_prefix, sp) != 0)
		return NULL;
	raw += sp;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(raw, prefixes[i], strlen(prefixes[i])) == 0)
			return raw + strlen(prefixes[i]);
	return NULL;
}

bool api_stream(void *appv, const struct http_request *req, struct http_body_sink *sink)
{
	const struct app *app = appv;
	const char *raw = req->method == HTTP_PUT && app->artifacts ? proxy_subpath(app, req->raw_path) : NULL;
	if (!raw)
		return false; /* not an upload: the handler answers (and the body is small or dropped) */
	struct buf path = BUF_INIT;
	struct proxy_upload *pu = arena_zalloc(req->arena, sizeof(*pu));
	pu->repo = app->artifacts;
	pu->limit = app->max_artifact_bytes;
	/* a request the browser protection refuses stores nothing (api_handle answers 403) */
	/* nor one that is not signed in or may not write there (the handler answers) */
	if (!api_security_refuses(app, req) && !(app->auth && auth_gate_refuses_upload(app, req)) &&
	    artifact_path_validate(raw, &pu->err) == 0) {
		util_url_decode(&path, raw, strlen(raw), false);
		if (artifact_path_validate(path.ptr, &pu->err) == 0 && upload_allowed(app, req, &pu->err) == 0)
			app->artifacts->ops->upload_begin(app->artifacts, path.ptr, &pu->up, &pu->err);
	}
	buf_release(&path);
	/* refused before the first byte: answer now rather than after the body */
	*sink = (struct http_body_sink){ upload_sink_write, upload_sink_abort, pu, .refuse_now = !pu->up };
	return true;
}

static int proxy_put(struct api_ctx *c, const char *path)
{
	struct proxy_upload *pu = c->req->sink_ctx;
	if (!pu) /* not streamed: only when the path was refused, so refuse it now */
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Invalid path");
	if (!pu->up) {
		*c->err = pu->err;
		return -1;
	}
	if (c->req->sink_error) {
		upload_sink_abort(pu);
		return artifact_errno_error(c->req->sink_error, "store", path, c->err);
	}
	struct artifact_upload *up = pu->up;
	pu->up = NULL;
	if (pu->repo->ops->upload_commit(up, c->err) < 0)
		return -1;
	buf_adds(&c->resp->body, "{}");
	return 0;
}

/* ---- downloads, deletes, listings ----------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range against a
 * file of `size` bytes. Returns 1 with [*from, *from + *len) for a
 * satisfiable range, 0 when there is no (usable) Range header, -1 when the
 * range lies outside the file. */
static int byte_range(const char *h, uint64_t size, uint64_t *from, uint64_t *len)
{
	int64_t a = -1, b = -1;
	const char *dash;
	if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') || !(dash = strchr(h + 6, '-')))
		return 0;
	char first[24] = "", second[24] = "";
	size_t n1 = (size_t)(dash - (h + 6)), n2 = strlen(dash + 1);
	if (n1 >= sizeof(first) || n2 >= sizeof(second))
		return 0;
	memcpy(first, h + 6, n1);
	memcpy(second, dash + 1, n2 + 1);
	if ((*first && (!util_parse_int64(first, &a) || a < 0)) || (*second && (!util_parse_int64(second, &b) || b < 0)))
		return 0;
	if (a < 0 && b < 0)
		return 0;
	if (a < 0) { /* the last b bytes */
		if (b == 0)
			return -1;
		a = (uint64_t)b >= size ? 0 : (int64_t)(size - (uint64_t)b);
		b = (int64_t)size - 1;
	} else if (b < 0 || (uint64_t)b >= size) {
		b = (int64_t)size - 1;
	}
	if ((uint64_t)a >= size || b < a)
		return -1;
	*from = (uint64_t)a;
	*len = (uint64_t)(b - a + 1);
	return 1;
}

/* Sends the open file `dl` (a local descriptor), honouring a Range request. */
static void send_fd(struct api_ctx *c, struct artifact_download *dl)
{
	uint64_t from = 0, len = dl->size;
	int r = byte_range(http_request_header(c->req, "Range"), dl->size, &from, &len);
	http_response_header(c->resp, "Accept-Ranges", "bytes");
	c->resp->fd = dl->fd;
	if (r < 0) {
		c->resp->status = 416;
		c->resp->fd_size = 0;
		http_response_header(c->resp, "Content-Range",
				     arena_printf(c->a, "bytes */%llu", (unsigned long long)dl->size));
		return;
	}
	if (r > 0) {
		c->resp->status = 206;
		http_response_header(c->resp, "Content-Range",
				     arena_printf(c->a, "bytes %llu-%llu/%llu", (unsigned long long)from,
						  (unsigned long long)(from + len - 1), (unsigned long long)dl->size));
	}
	c->resp->fd_offset = from;
	c->resp->fd_size = len;
}

/* Streams `path` of `repo` as the response. */
static int send_file(struct api_ctx *c, struct artifact_repo *repo, const char *path)
{
	struct artifact_download dl;
	if (repo->ops->download_open(repo, path, &dl, c->err) < 0)
		return -1;
	if (dl.fd >= 0) {
		send_fd(c, &dl);
	} else {
		c->resp->reader = dl.read;
		c->resp->reader_free = dl.close;
		c->resp->reader_ctx = dl.ctx;
		c->resp->reader_size = dl.size;
	}
	c->resp->content_type = artifact_mime_type(path);
	http_response_header(c->resp, "Content-Disposition",
			     arena_printf(c->a, "attachment; filename=\"%s\"", base_name(path)));
	http_response_header(c->resp, "X-Content-Type-Options", "nosniff");
	return 0;
}

int api_proxy_upload(struct api_ctx *c)
{
	const char *path;
	int rc = proxy_path(c, c->subpath, &path);
	if (rc < 0) {
		if (c->req->sink_ctx)
			upload_sink_abort(c->req->sink_ctx);
		return -1;
	}
	return proxy_put(c, path);
}

int api_proxy_delete(struct api_ctx *c)
{
	const char *path;
	if (proxy_path(c, c->subpath, &path) < 0)
		return -1;
	const char *norm;
	size_t segments;
	if (artifact_path_normalize(path, c->a, &norm, &segments) < 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Invalid path");
	/* <experiment>/<run>/...: the store's root and a whole experiment are never deleted */
	if (segments < 2)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Refusing to delete '%s': a delete must name something inside an experiment's "
				  "or a run's artifact directory, not the artifact root or a whole experiment",
				  norm);
	if (c->app->artifacts->ops->remove(c->app->artifacts, norm, c->err) < 0)
		return -1;
	buf_adds(&c->resp->body, "{}");
	return 0;
}

int api_proxy_download(struct api_ctx *c)
{
	const char *path;
	if (proxy_path(c, c->subpath, &path) < 0)
		return -1;
	return send_file(c, c->app->artifacts, path);
}

static void render_entries(struct api_ctx *c, const struct artifact_entry *e, size_t n, bool basenames)
{
	if (!n)
		return;
	jw_key(&c->w, "files");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(&c->w);
		jw_kv_str(&c->w, "path", basenames ? base_name(e[i].path) : e[i].path);
		jw_kv_bool(&c->w, "is_dir", e[i].is_dir);
		if (!e[i].is_dir && e[i].size)
			jw_kv_int(&c->w, "file_size", e[i].size);
		jw_obj_end(&c->w);
	}
	jw_arr_end(&c->w);
}

int api_proxy_list(struct api_ctx *c)
{
	const char *path;
	struct artifact_entry *e;
	size_t n;
	if (param_string(c, "path", &path) < 0 || artifact_path_validate(path, c->err) < 0)
		return -1;
	struct artifact_repo *repo = c->app->artifacts;
	if (repo->ops->list(repo, path ? path : "", &e, &n, c->a, c->err) < 0)
		return -1;
	render_entries(c, e, n, true);
	return 0;
}

/* ---- multipart uploads the client drives ----------------------------------------
 * mpu/create/<dir> {path, num_parts}: the object is <dir>/<basename(path)>;
 * the answer carries the upload id and one presigned URL per part, which
 * the client PUTs to directly; then mpu/complete/<dir> {path, upload_id,
 * parts: [{part_number, etag}]} or mpu/abort/<dir> {path, upload_id}. A
 * store without it (local disk) answers NOT_IMPLEMENTED with the message
 * MLflow's client recognises, and the client falls back to one PUT. */

static int mpu_target(struct api_ctx *c, struct artifact_repo **repo, const char **object)
{
	const char *dir, *path;
	*repo = c->app->artifacts;
	if (!(*repo)->ops->mpu_create)
		return mlf_errorf(c->err, MLF_NOT_IMPLEMENTED,
				  "Multipart upload is not supported for the current artifact repository");
	if (proxy_path(c, c->subpath, &dir) < 0 || param_string_required(c, "path", &path) < 0)
		return -1;
	*object = *dir ? arena_printf(c->a, "%s/%s", dir, base_name(path)) : base_name(path);
	return artifact_path_validate(*object, c->err);
}

int api_proxy_mpu_create(struct api_ctx *c)
{
	struct artifact_repo *repo;
	const char *object, *upload_id, **urls;
	int64_t n_parts;
	int rc;
	if (mpu_target(c, &repo, &object) < 0)
		return -1;
	if ((rc = param_int64(c, "num_parts", &n_parts)) != 0)
		return rc < 0 ? -1 : param_missing(c, "num_parts");
	if (n_parts < 1 || n_parts > 10000)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "num_parts must be between 1 and 10000");
	if (repo->ops->mpu_create(repo, object, (unsigned)n_parts, &upload_id, &urls, c->a, c->err) < 0)
		return -1;
	jw_kv_str(&c->w, "upload_id", upload_id);
	jw_key(&c->w, "credentials");
	jw_arr_begin(&c->w);
	for (int64_t i = 0; i < n_parts; i++) {
		jw_obj_begin(&c->w);
		jw_kv_str(&c->w, "url", urls[i]);
		jw_kv_int(&c->w, "part_number", i + 1);
		jw_obj_end(&c->w);
	}
	jw_arr_end(&c->w);
	return 0;
}

int api_proxy_mpu_complete(struct api_ctx *c)
{
	struct artifact_repo *repo;
	const char *object, *upload_id;
	json_t *list;
	if (mpu_target(c, &repo, &object) < 0 || param_string_required(c, "upload_id", &upload_id) < 0 ||
	    param_object_list(c, "parts", &list) < 0)
		return -1;
	size_t n = list ? json_array_size(list) : 0;
	struct artifact_part *parts = arena_alloc(c->a, (n ? n : 1) * sizeof(*parts));
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(list, i), *num = json_object_get(p, "part_number");
		if (param_nested_text(c, p, "etag", &parts[i].etag) < 0)
			return -1;
		if (!json_is_integer(num) || json_integer_value(num) < 1 || !parts[i].etag)
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
					  "Each part needs a positive part_number and an etag");
		parts[i].number = (unsigned)json_integer_value(num);
	}
	return repo->ops->mpu_complete(repo, object, upload_id, parts, n, c->err);
}

int api_proxy_mpu_abort(struct api_ctx *c)
{
	struct artifact_repo *repo;
	const char *object, *upload_id;
	if (mpu_target(c, &repo, &object) < 0 || param_string_required(c, "upload_id", &upload_id) < 0)
		return -1;
	return repo->ops->mpu_abort(repo, object, upload_id, c->err);
}

/* ---- a run's artifacts ------------------------------------------------------ */

/* Opens the store that holds the artifact URI `uri` and the path of `uri`
 * inside it: the proxy's store for mlflow-artifacts: URIs, a local
 * directory for local ones; runs:/<id>/<path> resolves through the run.
 * *owned tells whether the caller must close the repo. */
static int resolve_uri(struct api_ctx *c, const char *uri, struct artifact_repo **repo, const char **base,
		       bool *owned, int depth)
{
	static const char proxy[] = "mlflow-artifacts:", runs[] = "runs:/";
	*owned = false;
	if (strncmp(uri, proxy, sizeof(proxy) - 1) == 0 && c->app->artifacts) {
		const char *p = uri + sizeof(proxy) - 1;
		if (strncmp(p, "//", 2) == 0) /* mlflow-artifacts://host:port/path */
			p = strchr(p + 2, '/') ? strchr(p + 2, '/') : "";
		while (*p == '/')
			p++;
		*repo = c->app->artifacts;
		*base = p;
		return artifact_path_validate(p, c->err);
	}
	if (strncmp(uri, runs, sizeof(runs) - 1) == 0 && depth == 0) {
		const char *id = uri + sizeof(runs) - 1, *slash = strchr(id, '/');
		const char *run_id = slash ? arena_strndup(c->a, id, (size_t)(slash - id)) : id;
		struct store_run run;
		struct store *st = c->app->store;
		if (store_run_get(st, run_id, &run, c->a, c->err) < 0)
			return -1;
		const char *inner = slash && slash[1] ? arena_printf(c->a, "%s/%s", run.info.artifact_uri, slash + 1)
						      : run.info.artifact_uri;
		return resolve_uri(c, inner, repo, base, owned, depth + 1);
	}
	const char *local, *rest;
	struct artifact_repo *root;
	int rc = artifact_local_root(uri, NULL, c->a, &local, c->err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return mlf_errorf(c->err, MLF_NOT_IMPLEMENTED, "Artifacts at '%s' are not served by this server", uri);
	/* only inside an allowed root, resolved beneath its descriptor; nothing is created */
	if (artifact_roots_resolve(c->app->artifact_roots, local, &root, &rest, c->a, c->err) < 0 ||
	    (rc = artifact_local_open_beneath(root, rest, repo, c->err)) < 0)
		return -1;
	if (rc == 0) { /* not there (yet): list empty, download 404, through the root */
		*repo = root;
		*base = rest;
		return 0;
	}
	*owned = true;
	*base = "";
	return 0;
}

/* The store holding a run's artifacts; see resolve_uri(). */
static int run_artifacts(struct api_ctx *c, const char *run_id, struct artifact_repo **repo, const char **base,
			 bool *owned, const char **root_uri)
{
	struct store_run run;
	struct store *st = c->app->store;
	if (store_run_get(st, run_id, &run, c->a, c->err) < 0)
		return -1;
	*root_uri = run.info.artifact_uri;
	return resolve_uri(c, run.info.artifact_uri, repo, base, owned, 0);
}

static const char *join(struct api_ctx *c, const char *base, const char *path)
{
	if (!*base)
		return path ? path : "";
	if (!path || !*path)
		return base;
	return arena_printf(c->a, "%s/%s", base, path);
}

int api_artifacts_list(struct api_ctx *c)
{
	const char *run_id, *path;
	struct store_run run;
	struct store *st = c->app->store;
	if (param_run_id(c, &run_id) < 0 || param_string(c, "path", &path) < 0 ||
	    artifact_path_validate(path, c->err) < 0 || store_run_get(st, run_id, &run, c->a, c->err) < 0)
		return -1;
	return api_artifacts_list_uri(c, run.info.artifact_uri, path);
}

int api_artifacts_list_uri(struct api_ctx *c, const char *root_uri, const char *path)
{
	const char *base;
	struct artifact_repo *repo;
	struct artifact_entry *e;
	size_t n;
	bool owned;
	if (resolve_uri(c, root_uri, &repo, &base, &owned, 0) < 0)
		return -1;
	int rc = repo->ops->list(repo, join(c, base, path), &e, &n, c->a, c->err);
	if (owned)
		artifact_close(repo);
	if (rc < 0)
		return -1;
	jw_kv_str(&c->w, "root_uri", root_uri);
	/* entries are relative to the run's root */
	size_t skip = *base ? strlen(base) + 1 : 0;
	for (size_t i = 0; i < n; i++)
		e[i].path += skip;
	render_entries(c, e, n, false);
	return 0;
}

int api_get_artifact(struct api_ctx *c)
{
	const char *run_id, *path, *base, *root_uri;
	struct artifact_repo *repo;
	bool owned;
	if (param_run_id(c, &run_id) < 0 || param_string_required(c, "path", &path) < 0 ||
	    artifact_path_validate(path, c->err) < 0 || run_artifacts(c, run_id, &repo, &base, &owned, &root_uri) < 0)
		return -1;
	int rc = send_file(c, repo, join(c, base, path));
	if (owned)
		artifact_close(repo);
	return rc;
}

int api_model_version_artifact(struct api_ctx *c)
{
	const char *name, *path, *base;
	struct store_model_version mv;
	struct artifact_repo *repo;
	int64_t version;
	bool owned;
	if (param_string_required(c, "name", &name) < 0 || param_string_required(c, "path", &path) < 0 ||
	    artifact_path_validate(path, c->err) < 0)
		return -1;
	int rc = param_int64(c, "version", &version);
	if (rc != 0)
		return rc < 0 ? -1 : param_missing(c, "version");
	struct store *st = c->app->store;
	if (store_model_version_get(st, name, version, &mv, c->a, c->err) < 0)
		return -1;
	const char *where = mv.storage_location && *mv.storage_location ? mv.storage_location : mv.source;
	if (resolve_uri(c, where, &repo, &base, &owned, 0) < 0)
		return -1;
	rc = send_file(c, repo, join(c, base, path));
	if (owned)
		artifact_close(repo);
	return rc;
}
