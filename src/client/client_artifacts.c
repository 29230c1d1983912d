/*
 * client_artifacts.c - artifacts in the client library (include/mlflowc.h):
 * upload a file or a directory tree into a run, list a run's artifacts,
 * download a file or a tree by run and path or by artifact URI (runs:/,
 * models:/, mlflow-artifacts:/, http(s) proxy URLs, file:// and local
 * paths).
 *
 * A "location" is where an artifact URI's bytes are: the server's artifact
 * proxy (server URL + proxy path prefix) or a local directory. A call
 * first plans its files (the local tree, or the proxy's listings), then up
 * to four workers - the caller's thread and threads of the call - each
 * with its own curl handle made by chttp_init (so the same credentials
 * apply) take files from the plan. Bodies stream between the socket and a
 * FILE in constant memory; they are retried (429, 5xx, transport failures)
 * with the client's back-off, rewinding the file each time. Downloads go to a
 * temporary file beside the target, renamed when complete, so a target is
 * either whole or absent. Names that come from a listing are checked
 * (no '/', no "." or "..") before they become local paths, so a server
 * cannot make us write outside the destination.
 */
#include "client_int.h"
#include "../base/lazylink.h"
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROXY_ANCHOR "/api/2.0/mlflow-artifacts/artifacts"
#define MAX_TREE_DEPTH 64     /* directory nesting we follow (symlink loops end here) */
#define ERROR_BODY_MAX 65536  /* bytes of a failed transfer's answer kept for its message */
#define COPY_CHUNK 65536

/* ---------------------------------------------------------------- small strings */

char *cstr_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *cquery_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *copy = e ? cstr_printf("%s", e) : NULL;
	curl_free(e);
	return copy;
}

/* Percent-encodes each '/'-separated segment of `path`, keeping the '/'. */
static char *path_escape(const char *path)
{
	struct buf b = BUF_INIT_STICKY;
	for (const char *p = path;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n) { /* (length 0 would make curl escape up to the NUL) */
			char *e = curl_easy_escape(NULL, p, (int)n);
			if (!e) {
				buf_release(&b);
				return NULL;
			}
			buf_adds(&b, e);
			curl_free(e);
		}
		if (!slash)
			break;
		buf_addch(&b, '/');
		p = slash + 1;
	}
	return buf_detach(&b, NULL); /* NULL when an append failed */
}

/* "a" + "b" → "a/b"; either may be NULL or "". */
static char *path_join(const char *a, const char *b)
{
	a = a ? a : "";
	b = b ? b : "";
	return cstr_printf("%s%s%s", a, *a && *b ? "/" : "", b);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* An artifact path as given by a caller: relative, no "." or ".." segment
 * (empty segments, from doubled or trailing slashes, are tolerated). */
static bool artifact_path_ok(const char *path)
{
	if (!path)
		return true;
	if (path[0] == '/')
		return false;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p)
			p++;
	}
	return true;
}

/* `path` without empty segments ("a//b/" -> "a/b"); NULL → "". malloc'ed. */
static char *clean_path(const char *path)
{
	path = path ? path : "";
	char *out = malloc(strlen(path) + 1);
	if (!out)
		return NULL;
	size_t n = 0;
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");
		if (len) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	out[n] = '\0';
	return out;
}

/* A name from a listing that may become one local path segment. */
static bool entry_name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* The first n bytes of s as a clean_path. */
static char *trim_slashes(const char *s, size_t n)
{
	char *copy = cstr_printf("%.*s", (int)n, s);
	char *clean = copy ? clean_path(copy) : NULL;
	free(copy);
	return clean;
}

static enum mlf_result nomem(void)
{
	return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
}

/* ---------------------------------------------------------------- locations */

struct location {
	bool local;
	char *dir;    /* local: the directory */
	char *server; /* proxy: "http://host:port[/prefix]" */
	char *prefix; /* proxy: path under the proxy root, no leading/trailing '/' ("" = root) */
};

static void location_release(struct location *l)
{
	free(l->dir);
	free(l->server);
	free(l->prefix);
	memset(l, 0, sizeof(*l));
}

/* The scheme and authority of the client's base URL ("http://host:port"). */
static char *base_origin(const mlf_client *c)
{
	const char *after = strstr(c->base, "://");
	const char *path = after ? strchr(after + 3, '/') : NULL;
	return cstr_printf("%.*s", (int)(path ? (size_t)(path - c->base) : strlen(c->base)), c->base);
}

/* mlflow-artifacts:/p or mlflow-artifacts://host:port/p. */
static enum mlf_result location_proxy_scheme(mlf_client *c, const char *rest, struct location *l)
{
	if (strncmp(c->base, "http://", 7) != 0 && strncmp(c->base, "https://", 8) != 0)
		return client_fail(MLF_CLIENT_ERR_INVALID, "mlflow-artifacts: URIs need an http(s) tracking URI, not '%s'",
				   c->base);
	if (strncmp(rest, "//", 2) == 0 && rest[2] != '/') {
		const char *auth = rest + 2, *slash = strchr(auth, '/');
		size_t n = slash ? (size_t)(slash - auth) : strlen(auth);
		char *origin = base_origin(c);
		const char *scheme_end = origin ? strstr(origin, "://") : NULL;
		if (origin && scheme_end)
			l->server = cstr_printf("%.*s://%.*s", (int)(scheme_end - origin), origin, (int)n, auth);
		free(origin);
		rest = slash ? slash : "";
	} else {
		l->server = cstr_printf("%s", c->base);
	}
	l->prefix = trim_slashes(rest, strlen(rest));
	return l->server && l->prefix ? MLF_CLIENT_OK : nomem();
}

/* Where the artifact URI `uri` keeps its bytes. */
static enum mlf_result location_of(mlf_client *c, const char *uri, struct location *l)
{
	memset(l, 0, sizeof(*l));
	if (strncmp(uri, "mlflow-artifacts:", 17) == 0)
		return location_proxy_scheme(c, uri + 17, l);
	if (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0) {
		const char *anchor = strstr(uri, PROXY_ANCHOR);
		if (!anchor || (anchor[strlen(PROXY_ANCHOR)] && anchor[strlen(PROXY_ANCHOR)] != '/'))
			return client_fail(MLF_CLIENT_ERR_INVALID, "'%s' is not an artifact proxy URL (no %s)", uri,
					   PROXY_ANCHOR);
		const char *rest = anchor + strlen(PROXY_ANCHOR);
		l->server = cstr_printf("%.*s", (int)(anchor - uri), uri);
		l->prefix = trim_slashes(rest, strlen(rest));
		return l->server && l->prefix ? MLF_CLIENT_OK : nomem();
	}
	const char *path = uri;
	bool is_file_uri = strncmp(uri, "file:", 5) == 0;
	if (strncmp(uri, "file://", 7) == 0) {
		path = uri + 7;
		if (strncmp(path, "localhost/", 10) == 0)
			path += 9;
	} else if (is_file_uri) {
		path = uri + 5;
	}
	size_t scheme = strcspn(path, ":/");
	if ((is_file_uri && path[0] != '/') || (!is_file_uri && path[scheme] == ':') || !*path)
		return client_fail(MLF_CLIENT_ERR_INVALID,
				   "unsupported artifact URI '%s' (mlflow-artifacts:/, http(s) proxy, file:///path or a "
				   "local path)",
				   uri);
	l->local = true;
	char *decoded = NULL;
	if (is_file_uri) { /* file: URIs are percent-encoded */
		int len = 0;
		char *raw = curl_easy_unescape(NULL, path, 0, &len);
		decoded = raw ? cstr_printf("%.*s", len, raw) : NULL;
		curl_free(raw);
		if (!decoded)
			return nomem();
		path = decoded;
	}
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	l->dir = cstr_printf("%.*s", (int)n, path);
	free(decoded);
	return l->dir ? MLF_CLIENT_OK : nomem();
}

/* The location's full path for relative path `rel`: a local file name, or
 * the proxy path (prefix/rel) for a proxy. */
static char *location_path(const struct location *l, const char *rel)
{
	return path_join(l->local ? l->dir : l->prefix, rel);
}

/* ---------------------------------------------------------------- run artifact roots */

enum mlf_result cart_run_artifact_uri(mlf_client *c, const char *run_id, char **uri)
{
	*uri = NULL;
	char *q = cquery_escape(run_id);
	char *path = q ? cstr_printf("runs/get?run_id=%s", q) : NULL;
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = path ? client_sync_call(c, path, NULL, &rep) : nomem();
	char got[4096];
	if (r == MLF_CLIENT_OK)
		r = client_reply_string(&rep, (const char *const[]){ "run", "info", "artifact_uri", NULL }, got,
					sizeof(got));
	if (r == MLF_CLIENT_OK && !(*uri = cstr_printf("%s", got)))
		r = nomem();
	free(q);
	free(path);
	buf_release(&rep.body);
	return r;
}

/* Where run `run_id` keeps its artifacts; *l is set (releasable) even on failure. */
static enum mlf_result run_location(mlf_client *c, const char *run_id, struct location *l)
{
	memset(l, 0, sizeof(*l)); /* callers release it whatever the result */
	char *uri;
	enum mlf_result r = cart_run_artifact_uri(c, run_id, &uri);
	if (r == MLF_CLIENT_OK)
		r = location_of(c, uri, l);
	free(uri);
	return r;
}

/* ---------------------------------------------------------------- proxy transfers */

/* A connection for one call: a chttp handle whose header list is rebuilt
 * without the JSON Content-Type (auth headers kept). */
struct xfer {
	mlf_client *c;
	struct chttp h;
	struct curl_slist *headers;
};

struct sink {
	CURL *curl;
	FILE *file;       /* 2xx bodies go here when set */
	struct buf *body; /* else (and error bodies) here */
	bool oom, io_error;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (s->file && status >= 200 && status <= 299) {
		if (fwrite(data, 1, n, s->file) != n) {
			s->io_error = true;
			return 0;
		}
		return n;
	}
	if (s->file && s->body->len >= ERROR_BODY_MAX)
		return n; /* enough of an error page for a message */
	buf_add(s->body, data, n);
	if (buf_failed(s->body)) {
		s->oom = true;
		return 0;
	}
	return n;
}

struct upload {
	FILE *file;
	bool io_error;
};

static size_t on_read(char *dest, size_t size, size_t nmemb, void *ctx)
{
	struct upload *u = ctx;
	size_t n = fread(dest, 1, size * nmemb, u->file);
	if (n == 0 && ferror(u->file)) {
		u->io_error = true;
		return CURL_READFUNC_ABORT;
	}
	return n;
}

static enum mlf_result xfer_open(mlf_client *c, struct xfer *x)
{
	memset(x, 0, sizeof(*x));
	x->c = c;
	enum mlf_result r = chttp_init(&x->h);
	if (r != MLF_CLIENT_OK)
		return r;
	for (struct curl_slist *e = x->h.headers; e; e = e->next) {
		if (strncasecmp(e->data, "Content-Type:", 13) == 0)
			continue;
		struct curl_slist *l = curl_slist_append(x->headers, e->data);
		if (!l)
			return nomem();
		x->headers = l;
	}
	/* no "Expect: 100-continue": a server that ignores it would cost a
	 * second's wait per file over 1 MB */
	static const char *const own[] = { "Content-Type: application/octet-stream", "Expect:" };
	for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
		struct curl_slist *l = curl_slist_append(x->headers, own[i]);
		if (!l)
			return nomem();
		x->headers = l;
	}
	curl_easy_setopt(x->h.curl, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->h.curl, CURLOPT_TIMEOUT_MS, 0L); /* big files: no total limit ... */
	curl_easy_setopt(x->h.curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opt.timeout_ms);
	curl_easy_setopt(x->h.curl, CURLOPT_LOW_SPEED_LIMIT, 1L); /* ... but a stall ends it */
	curl_easy_setopt(x->h.curl, CURLOPT_LOW_SPEED_TIME, (long)(c->opt.timeout_ms + 999) / 1000);
	return MLF_CLIENT_OK;
}

static void xfer_close(struct xfer *x)
{
	chttp_release(&x->h);
	curl_slist_free_all(x->headers);
	memset(x, 0, sizeof(*x));
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static unsigned retry_delay_ms(const mlf_client *c, unsigned attempt, CURL *e)
{
	uint64_t ms = (uint64_t)c->opt.retry_base_ms << (attempt < 20 ? attempt : 20);
	curl_off_t after = 0;
	if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0 &&
	    (uint64_t)after * 1000 > ms)
		ms = (uint64_t)after * 1000;
	return ms > c->opt.retry_max_ms ? c->opt.retry_max_ms : (unsigned)ms;
}

/* The kind of a failed local file operation: NOMEM when it failed for
 * want of memory (fopen's FILE, opendir's DIR, a path buffer), else
 * INVALID (a missing or unreadable file). Reads errno. */
static enum mlf_result file_error_kind(void)
{
	return errno == ENOMEM ? MLF_CLIENT_ERR_NOMEM : MLF_CLIENT_ERR_INVALID;
}

/* The thread's error text for a non-2xx answer: MLflow's error, else the status. */
static enum mlf_result answer_error(const char *url, long status, struct creply *rep)
{
	json_t *j;
	if (cjson_load(&rep->body, "an error answer", &j) == MLF_CLIENT_ERR_NOMEM)
		return MLF_CLIENT_ERR_NOMEM; /* callers act on the error_code */
	const char *code = json_string_value(json_object_get(j, "error_code"));
	const char *msg = json_string_value(json_object_get(j, "message"));
	snprintf(rep->code, sizeof(rep->code), "%s", code ? code : "");
	enum mlf_result r;
	if (code)
		r = client_fail(MLF_CLIENT_ERR_SERVER, "%s: %s", code, msg ? msg : "");
	else
		r = client_fail(MLF_CLIENT_ERR_SERVER, "HTTP %ld from %s%s%s", status, url,
				chttp_status_meaning(status) ? ": " : "",
				chttp_status_meaning(status) ? chttp_status_meaning(status) : "");
	json_decref(j);
	return r;
}

/* One request with retries. `up` (a PUT body, size `up_size`) and `down`
 * (where a 2xx body goes) may be NULL; otherwise the answer is in rep. */
static enum mlf_result xfer_run(struct xfer *x, const char *url, FILE *up, int64_t up_size, FILE *down,
				struct creply *rep)
{
	CURL *e = x->h.curl;
	struct sink sink = { .curl = e, .body = &rep->body };
	struct upload upload = { .file = up };
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK) /* copied: can fail */
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory sending %s", url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	if (up) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, &upload);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up_size);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	CURLcode rc = CURLE_OK;
	rep->status = 0;
	rep->code[0] = '\0';
	for (unsigned attempt = 0;; attempt++) {
		buf_reset(&rep->body);
		sink.file = down;
		if ((up && fseeko(up, 0, SEEK_SET) != 0) ||
		    (down && (fflush(down) != 0 || ftruncate(fileno(down), 0) != 0 || fseeko(down, 0, SEEK_SET) != 0)))
			return client_fail(file_error_kind(), "cannot rewind a local file: %s", strerror(errno));
		rc = curl_easy_perform(e);
		rep->status = 0;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &rep->status);
		sink.oom = sink.oom || rc == CURLE_OUT_OF_MEMORY; /* ours or libcurl's: not retried */
		bool local_failure = sink.oom || sink.io_error || upload.io_error;
		bool retry = !local_failure && (rc != CURLE_OK || rep->status == 429 || rep->status >= 500);
		if (!retry || attempt + 1 >= x->c->opt.max_attempts)
			break;
		nap_ms(retry_delay_ms(x->c, attempt, e));
		pthread_mutex_lock(&x->c->mu);
		x->c->st.retried++;
		pthread_mutex_unlock(&x->c->mu);
	}
	if (sink.oom)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory during %s", url);
	if (sink.io_error || upload.io_error)
		return client_fail(file_error_kind(), "local file error during %s: %s", url, strerror(errno));
	if (rc != CURLE_OK)
		return client_fail(MLF_CLIENT_ERR_TRANSPORT, "%s: %s", url, curl_easy_strerror(rc));
	if (rep->status < 200 || rep->status > 299)
		return answer_error(url, rep->status, rep);
	return MLF_CLIENT_OK;
}

enum mlf_result cxfer_get(mlf_client *c, const char *url, struct creply *rep)
{
	struct xfer x;
	enum mlf_result r = xfer_open(c, &x);
	if (r == MLF_CLIENT_OK) {
		curl_easy_setopt(x.h.curl, CURLOPT_TIMEOUT_MS, (long)c->opt.timeout_ms);
		r = xfer_run(&x, url, NULL, 0, NULL, rep);
	}
	xfer_close(&x);
	return r;
}

/* The URL of proxy path `ppath` (a file) or of the listing of directory `ppath`. */
static char *proxy_url(const struct location *l, const char *ppath, bool listing)
{
	char *esc = listing ? cquery_escape(ppath) : path_escape(ppath);
	char *url = esc ? cstr_printf("%s" PROXY_ANCHOR "%s%s", l->server, listing ? "?path=" : "/", esc) : NULL;
	free(esc);
	return url;
}

/* ---------------------------------------------------------------- local files */

/* mkdir -p for `path`. */
static enum mlf_result make_dirs(const char *path)
{
	char *p = cstr_printf("%s", path);
	if (!p)
		return nomem();
	enum mlf_result r = MLF_CLIENT_OK;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char saved = *s;
		*s = '\0';
		struct stat st;
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			r = client_fail(file_error_kind(), "cannot create directory '%s': %s", p, strerror(errno));
		else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			r = client_fail(MLF_CLIENT_ERR_INVALID, "'%s' exists and is not a directory", p);
		*s = saved;
		if (r != MLF_CLIENT_OK || !saved)
			break;
	}
	free(p);
	return r;
}

static enum mlf_result make_parent_dirs(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return MLF_CLIENT_OK;
	char *parent = cstr_printf("%.*s", (int)(slash - path), path);
	enum mlf_result r = parent ? make_dirs(parent) : nomem();
	free(parent);
	return r;
}

/* A temporary file beside `target` (same directory, so rename is atomic). */
static FILE *temp_beside(const char *target, char **tmp_name)
{
	*tmp_name = cstr_printf("%s.mlflowc-XXXXXX", target);
	if (!*tmp_name)
		return NULL;
	int fd = mkstemp(*tmp_name);
	FILE *f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	if (!f) {
		free(*tmp_name);
		*tmp_name = NULL;
	}
	return f;
}

/* Closes `f` (a temporary file) and renames it to `target`, or removes it
 * when r is not OK. Returns r or the local failure. */
static enum mlf_result temp_finish(FILE *f, char *tmp_name, const char *target, enum mlf_result r)
{
	if (fclose(f) != 0 && r == MLF_CLIENT_OK)
		r = client_fail(file_error_kind(), "cannot write '%s': %s", tmp_name, strerror(errno));
	if (r == MLF_CLIENT_OK && rename(tmp_name, target) != 0)
		r = client_fail(file_error_kind(), "cannot rename '%s' to '%s': %s", tmp_name, target,
				strerror(errno));
	if (r != MLF_CLIENT_OK)
		unlink(tmp_name);
	free(tmp_name);
	return r;
}

/* Copies regular file `from` to `to` (parents created, replaced atomically). */
static enum mlf_result copy_file(const char *from, const char *to)
{
	enum mlf_result r = make_parent_dirs(to);
	if (r != MLF_CLIENT_OK)
		return r;
	FILE *in = fopen(from, "rb");
	if (!in)
		return client_fail(file_error_kind(), "cannot read '%s': %s", from, strerror(errno));
	char *tmp;
	FILE *out = temp_beside(to, &tmp);
	if (!out) {
		fclose(in);
		return client_fail(file_error_kind(), "cannot create a file beside '%s': %s", to, strerror(errno));
	}
	char *chunk = malloc(COPY_CHUNK);
	if (!chunk)
		r = nomem();
	size_t n;
	while (r == MLF_CLIENT_OK && (n = fread(chunk, 1, COPY_CHUNK, in)) > 0)
		if (fwrite(chunk, 1, n, out) != n)
			r = client_fail(file_error_kind(), "cannot write '%s': %s", tmp, strerror(errno));
	if (r == MLF_CLIENT_OK && ferror(in))
		r = client_fail(file_error_kind(), "cannot read '%s': %s", from, strerror(errno));
	free(chunk);
	fclose(in);
	return temp_finish(out, tmp, to, r);
}

/* ---------------------------------------------------------------- put and get one file */

/* Uploads local file `local` as `rel` of location `l`. */
static enum mlf_result put_file(struct xfer *x, const struct location *l, const char *local, const char *rel)
{
	char *dest = location_path(l, rel);
	if (!dest)
		return nomem();
	enum mlf_result r;
	if (l->local) {
		r = copy_file(local, dest);
		free(dest);
		return r;
	}
	char *url = proxy_url(l, dest, false);
	FILE *f = url ? fopen(local, "rb") : NULL;
	struct stat st;
	if (!url)
		r = nomem();
	else if (!f || fstat(fileno(f), &st) != 0)
		r = client_fail(file_error_kind(), "cannot read '%s': %s", local, strerror(errno));
	else {
		struct creply rep = { .body = BUF_INIT_STICKY };
		r = xfer_run(x, url, f, (int64_t)st.st_size, NULL, &rep);
		buf_release(&rep.body);
	}
	if (f)
		fclose(f);
	free(url);
	free(dest);
	return r;
}

/* Downloads `rel` of location `l` (a file) to local file `target`. */
static enum mlf_result get_file(struct xfer *x, const struct location *l, const char *rel, const char *target)
{
	char *src = location_path(l, rel);
	if (!src)
		return nomem();
	enum mlf_result r;
	if (l->local) {
		r = copy_file(src, target);
		free(src);
		return r;
	}
	r = make_parent_dirs(target);
	char *url = r == MLF_CLIENT_OK ? proxy_url(l, src, false) : NULL;
	if (r == MLF_CLIENT_OK && !url)
		r = nomem();
	if (r == MLF_CLIENT_OK) {
		char *tmp;
		FILE *f = temp_beside(target, &tmp);
		if (!f) {
			r = client_fail(file_error_kind(), "cannot create a file beside '%s': %s", target,
					strerror(errno));
		} else {
			struct creply rep = { .body = BUF_INIT_STICKY };
			r = xfer_run(x, url, NULL, 0, f, &rep);
			buf_release(&rep.body);
			r = temp_finish(f, tmp, target, r);
		}
	}
	free(url);
	free(src);
	return r;
}

/* ---------------------------------------------------------------- listing a location */

struct entries {
	char **names; /* basenames; owned */
	bool *is_dir;
	size_t n;
};

static void entries_release(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->names[i]);
	free(e->names);
	free(e->is_dir);
	memset(e, 0, sizeof(*e));
}

static enum mlf_result entries_add(struct entries *e, const char *name, bool is_dir)
{
	if (!entry_name_ok(name))
		return client_fail(MLF_CLIENT_ERR_PROTOCOL, "refusing artifact name '%s' from a listing", name ? name : "");
	char **names = realloc(e->names, (e->n + 1) * sizeof(*names));
	if (names)
		e->names = names;
	bool *dirs = names ? realloc(e->is_dir, (e->n + 1) * sizeof(*dirs)) : NULL;
	if (dirs)
		e->is_dir = dirs;
	char *copy = dirs ? cstr_printf("%s", name) : NULL;
	if (!copy)
		return nomem();
	e->names[e->n] = copy;
	e->is_dir[e->n++] = is_dir;
	return MLF_CLIENT_OK;
}

/* The children of directory `rel` of a local location; *is_file tells the
 * path is a regular file (then no entries). */
static enum mlf_result list_local(const struct location *l, const char *rel, struct entries *out, bool *is_file)
{
	char *dir = location_path(l, rel);
	if (!dir)
		return nomem();
	struct stat st;
	enum mlf_result r = MLF_CLIENT_OK;
	DIR *d = NULL;
	if (stat(dir, &st) != 0)
		r = client_fail(MLF_CLIENT_ERR_SERVER, "RESOURCE_DOES_NOT_EXIST: '%s': %s", dir, strerror(errno));
	else if (S_ISREG(st.st_mode))
		*is_file = true;
	else if (!(d = opendir(dir)))
		r = client_fail(file_error_kind(), "cannot read directory '%s': %s", dir, strerror(errno));
	struct dirent *de;
	while (d && r == MLF_CLIENT_OK && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *child = path_join(dir, de->d_name);
		if (!child) {
			r = nomem();
			break;
		}
		if (stat(child, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			r = entries_add(out, de->d_name, S_ISDIR(st.st_mode));
		free(child);
	}
	if (d)
		closedir(d);
	free(dir);
	return r;
}

/* The children of `rel` of a proxy location (basenames, as the proxy
 * answers). A file, a missing path or an empty directory: no entries. */
static enum mlf_result list_proxy(struct xfer *x, const struct location *l, const char *rel, struct entries *out)
{
	char *ppath = location_path(l, rel);
	char *url = ppath ? proxy_url(l, ppath, true) : NULL;
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = url ? xfer_run(x, url, NULL, 0, NULL, &rep) : nomem();
	json_t *doc = NULL;
	if (r == MLF_CLIENT_OK)
		r = cjson_load(&rep.body, "an artifact listing", &doc);
	if (r == MLF_CLIENT_OK && !json_is_object(doc))
		r = client_fail(MLF_CLIENT_ERR_PROTOCOL, "the listing of '%s' is not a JSON object", url);
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(doc, "files"), i, f)
	{
		if (r != MLF_CLIENT_OK)
			break;
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *name = base_name(path ? path : "");
		r = entries_add(out, name, json_is_true(json_object_get(f, "is_dir")));
	}
	json_decref(doc);
	buf_release(&rep.body);
	free(url);
	free(ppath);
	return r;
}

/* ---------------------------------------------------------------- trees */

/* The files of a transfer, owned: for an upload, local file and artifact
 * path; for a download, artifact path and local target. */
struct transfer_plan {
	char **src, **dst;
	size_t n, cap;
};

static void plan_release(struct transfer_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->src[i]);
		free(p->dst[i]);
	}
	free(p->src);
	free(p->dst);
	memset(p, 0, sizeof(*p));
}

/* Takes `src` and `dst` (freed on failure too). */
static enum mlf_result plan_add(struct transfer_plan *p, char *src, char *dst)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		char **s = realloc(p->src, cap * sizeof(*s));
		if (s)
			p->src = s;
		char **d = s ? realloc(p->dst, cap * sizeof(*d)) : NULL;
		if (d)
			p->dst = d;
		if (!s || !d) {
			free(src);
			free(dst);
			return nomem();
		}
		p->cap = cap;
	}
	p->src[p->n] = src;
	p->dst[p->n++] = dst;
	return MLF_CLIENT_OK;
}

/* Lists every regular file below local directory `dir` as `rel`/... */
static enum mlf_result plan_tree(struct transfer_plan *p, const char *dir, const char *rel, unsigned depth)
{
	if (depth > MAX_TREE_DEPTH)
		return client_fail(MLF_CLIENT_ERR_INVALID, "'%s' is nested deeper than %d levels (a symbolic link loop?)",
				   dir, MAX_TREE_DEPTH);
	DIR *d = opendir(dir);
	if (!d)
		return client_fail(file_error_kind(), "cannot read directory '%s': %s", dir, strerror(errno));
	enum mlf_result r = MLF_CLIENT_OK;
	struct dirent *de;
	while (r == MLF_CLIENT_OK && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *local = path_join(dir, de->d_name);
		char *child_rel = path_join(rel, de->d_name);
		struct stat st;
		if (!local || !child_rel)
			r = nomem();
		else if (stat(local, &st) != 0)
			r = client_fail(file_error_kind(), "cannot read '%s': %s", local, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			r = plan_tree(p, local, child_rel, depth + 1);
		else if (S_ISREG(st.st_mode)) {
			r = plan_add(p, local, child_rel);
			local = child_rel = NULL; /* taken */
		}
		free(local);
		free(child_rel);
	}
	closedir(d);
	return r;
}

/* Transfers run on up to TRANSFER_WORKERS connections at once: a server
 * that syncs each upload to disk answers one PUT at a time several times
 * slower than four, and a distant one serves small files at the pace of
 * its round trips. The caller's thread is one of the workers. */
#define TRANSFER_WORKERS 4

struct transfer_pool {
	mlf_client *c;
	const struct location *l;
	const struct transfer_plan *plan;
	bool download;          /* get_file src -> dst, else put_file */
	pthread_mutex_t mu;     /* guards what follows */
	size_t next;            /* the next file to send */
	enum mlf_result result; /* the first failure */
	char err[512];          /* its text (errors are per thread) */
};

static void *transfer_worker(void *arg)
{
	struct transfer_pool *p = arg;
	struct xfer x = { 0 };
	enum mlf_result r = p->l->local ? MLF_CLIENT_OK : xfer_open(p->c, &x);
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next;
		bool go = r == MLF_CLIENT_OK && p->result == MLF_CLIENT_OK && i < p->plan->n;
		if (go)
			p->next++;
		if (r != MLF_CLIENT_OK && p->result == MLF_CLIENT_OK) {
			p->result = r;
			snprintf(p->err, sizeof(p->err), "%s", mlf_last_error());
		}
		pthread_mutex_unlock(&p->mu);
		if (!go)
			break;
		r = p->download ? get_file(&x, p->l, p->plan->src[i], p->plan->dst[i])
				: put_file(&x, p->l, p->plan->src[i], p->plan->dst[i]);
	}
	xfer_close(&x);
	return NULL;
}

static enum mlf_result transfer_all(mlf_client *c, const struct location *l, const struct transfer_plan *plan,
				    bool download)
{
	struct transfer_pool pool = { .c = c, .l = l, .plan = plan, .download = download };
	pthread_mutex_init(&pool.mu, NULL);
	pthread_t threads[TRANSFER_WORKERS - 1];
	size_t started = 0, want = plan->n < TRANSFER_WORKERS ? plan->n : TRANSFER_WORKERS;
	while (!l->local && started + 1 < want && pthread_create(&threads[started], NULL, transfer_worker, &pool) == 0)
		started++; /* fewer threads when the system refuses more */
	transfer_worker(&pool);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&pool.mu);
	if (pool.result != MLF_CLIENT_OK)
		return client_fail(pool.result, "%s", pool.err);
	return MLF_CLIENT_OK;
}

/* Plans the download of `rel` of `l` (a file, or a directory walked with
 * listings) to local path `target`, creating the directories on the way. */
static enum mlf_result plan_download(struct xfer *x, const struct location *l, const char *rel, const char *target,
				     unsigned depth, struct transfer_plan *plan)
{
	if (depth > MAX_TREE_DEPTH)
		return client_fail(MLF_CLIENT_ERR_INVALID, "artifact tree deeper than %d levels at '%s'", MAX_TREE_DEPTH, rel);
	struct entries e = { 0 };
	bool is_file = false;
	enum mlf_result r = l->local ? list_local(l, rel, &e, &is_file) : list_proxy(x, l, rel, &e);
	if (r != MLF_CLIENT_OK)
		return r;
	bool proxy_root = !l->local && !*l->prefix && !*rel;
	if (is_file || (!l->local && e.n == 0 && !proxy_root)) {
		/* a file, or (proxy) an empty listing, which is how the proxy
		 * answers for a file: get it as one; a missing path fails then */
		char *src = cstr_printf("%s", rel), *dst = cstr_printf("%s", target);
		if (src && dst) {
			r = plan_add(plan, src, dst);
		} else {
			free(src);
			free(dst);
			r = nomem();
		}
	} else {
		r = make_dirs(target);
		for (size_t i = 0; i < e.n && r == MLF_CLIENT_OK; i++) {
			char *child_rel = path_join(rel, e.names[i]);
			char *child_target = path_join(target, e.names[i]);
			if (!child_rel || !child_target) {
				free(child_rel);
				free(child_target);
				r = nomem();
			} else if (e.is_dir[i]) {
				r = plan_download(x, l, child_rel, child_target, depth + 1, plan);
				free(child_rel);
				free(child_target);
			} else {
				r = plan_add(plan, child_rel, child_target); /* takes both */
			}
		}
	}
	entries_release(&e);
	return r;
}

/* ---------------------------------------------------------------- public: upload */

static enum mlf_result check_run_args(mlf_client *c, const char *run_id, const char *local, const char *artifact_path)
{
	if (!c || !run_id || !*run_id || !local || !*local)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client, run_id and a local path are required");
	if (!artifact_path_ok(artifact_path))
		return client_fail(MLF_CLIENT_ERR_INVALID, "invalid artifact path '%s' (relative, no '..')", artifact_path);
	return MLF_CLIENT_OK;
}

/* Checks that `local` exists with the wanted type before any request. */
static enum mlf_result check_local(const char *local, bool want_dir)
{
	struct stat st;
	if (stat(local, &st) != 0)
		return client_fail(file_error_kind(), "cannot read '%s': %s", local, strerror(errno));
	if (want_dir && !S_ISDIR(st.st_mode))
		return client_fail(MLF_CLIENT_ERR_INVALID, "'%s' is not a directory", local);
	if (!want_dir && !S_ISREG(st.st_mode))
		return client_fail(MLF_CLIENT_ERR_INVALID, "'%s' is not a regular file", local);
	if (access(local, R_OK) != 0)
		return client_fail(file_error_kind(), "cannot read '%s': %s", local, strerror(errno));
	return MLF_CLIENT_OK;
}

static enum mlf_result log_local(mlf_client *c, const char *run_id, const char *local, const char *artifact_path,
				 bool is_dir)
{
	enum mlf_result r = check_run_args(c, run_id, local, artifact_path);
	if (r == MLF_CLIENT_OK)
		r = check_local(local, is_dir);
	if (r != MLF_CLIENT_OK)
		return r;
	struct transfer_plan plan = { 0 };
	char *dest = clean_path(artifact_path); /* "model/" and "a//b" as MLflow stores them */
	artifact_path = dest;
	if (!dest) {
		r = nomem();
	} else if (is_dir) {
		r = plan_tree(&plan, local, artifact_path, 0);
	} else {
		size_t n = strlen(local);
		while (n > 1 && local[n - 1] == '/')
			n--;
		char *trimmed = cstr_printf("%.*s", (int)n, local);
		char *copy = cstr_printf("%s", local);
		char *rel = trimmed ? path_join(artifact_path, base_name(trimmed)) : NULL;
		if (copy && rel) {
			r = plan_add(&plan, copy, rel);
		} else {
			free(copy);
			free(rel);
			r = nomem();
		}
		free(trimmed);
	}
	struct location l = { 0 };
	if (r == MLF_CLIENT_OK)
		r = run_location(c, run_id, &l);
	if (r == MLF_CLIENT_OK)
		r = transfer_all(c, &l, &plan, false);
	location_release(&l);
	plan_release(&plan);
	free(dest);
	return r;
}

enum mlf_result mlf_log_artifact(mlf_client *c, const char *run_id, const char *local_file, const char *artifact_path)
{
	return log_local(c, run_id, local_file, artifact_path, false);
}

enum mlf_result mlf_log_artifacts(mlf_client *c, const char *run_id, const char *local_dir, const char *artifact_path)
{
	return log_local(c, run_id, local_dir, artifact_path, true);
}

/* ---------------------------------------------------------------- public: listing */

struct artifacts_result {
	struct mlf_artifacts pub; /* first: the caller's pointer is ours */
	json_t *doc;
	char *json;
	struct mlf_artifact_info *items;
};

void mlf_artifacts_free(struct mlf_artifacts *a)
{
	struct artifacts_result *res = (struct artifacts_result *)a;
	if (!res)
		return;
	json_decref(res->doc);
	free(res->json);
	free(res->items);
	free(res);
}

static enum mlf_result artifacts_parse(const struct creply *rep, struct artifacts_result *res)
{
	res->json = cstr_printf("%.*s", (int)rep->body.len, rep->body.ptr);
	if (!res->json)
		return nomem();
	enum mlf_result r = cjson_load(&rep->body, "artifacts/list", &res->doc);
	if (r != MLF_CLIENT_OK)
		return r;
	if (!json_is_object(res->doc))
		return client_fail(MLF_CLIENT_ERR_PROTOCOL, "artifacts/list did not answer a JSON object");
	json_t *files = json_object_get(res->doc, "files");
	size_t n = json_array_size(files);
	if (n && !(res->items = calloc(n, sizeof(*res->items))))
		return nomem();
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f)
	{
		const char *path = json_string_value(json_object_get(f, "path"));
		json_t *size = json_object_get(f, "file_size");
		int64_t bytes = -1;
		if (json_is_integer(size))
			bytes = json_integer_value(size);
		else if (json_is_string(size))
			bytes = strtoll(json_string_value(size), NULL, 10);
		res->items[i] = (struct mlf_artifact_info){
			.path = path ? path : "",
			.is_dir = json_is_true(json_object_get(f, "is_dir")),
			.file_size = json_is_true(json_object_get(f, "is_dir")) ? -1 : bytes,
		};
	}
	res->pub = (struct mlf_artifacts){ .items = res->items, .count = n, .json = res->json };
	return MLF_CLIENT_OK;
}

enum mlf_result mlf_artifact_list(mlf_client *c, const char *run_id, const char *path, struct mlf_artifacts **out)
{
	if (!out)
		return client_fail(MLF_CLIENT_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!c || !run_id || !*run_id)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and run_id are required");
	if (!artifact_path_ok(path))
		return client_fail(MLF_CLIENT_ERR_INVALID, "invalid artifact path '%s' (relative, no '..')", path);
	char *clean = clean_path(path);
	char *qrun = cquery_escape(run_id);
	char *qpath = clean && *clean ? cquery_escape(clean) : NULL;
	char *req = clean && qrun && (qpath || !*clean)
			    ? cstr_printf("artifacts/list?run_id=%s%s%s", qrun, qpath ? "&path=" : "", qpath ? qpath : "")
			    : NULL;
	struct creply rep = { .body = BUF_INIT_STICKY };
	struct artifacts_result *res = calloc(1, sizeof(*res));
	enum mlf_result r = req && res ? client_sync_call(c, req, NULL, &rep) : nomem();
	if (r == MLF_CLIENT_OK)
		r = artifacts_parse(&rep, res);
	if (r == MLF_CLIENT_OK)
		*out = &res->pub;
	else if (res)
		mlf_artifacts_free(&res->pub);
	buf_release(&rep.body);
	free(req);
	free(qpath);
	free(qrun);
	free(clean);
	return r;
}

/* ---------------------------------------------------------------- public: download */

/* The destination directory: `dst` (created) or a new temporary one, in
 * which case *made is set. */
static enum mlf_result destination(const char *dst, char **out, bool *made)
{
	*made = false;
	if (dst && *dst) {
		size_t n = strlen(dst);
		while (n > 1 && dst[n - 1] == '/')
			n--;
		*out = cstr_printf("%.*s", (int)n, dst);
		if (!*out)
			return nomem();
		return make_dirs(*out);
	}
	const char *tmp = getenv("TMPDIR");
	*out = cstr_printf("%s/mlflowc-artifacts-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!*out)
		return nomem();
	if (!mkdtemp(*out))
		return client_fail(file_error_kind(), "cannot create a temporary directory '%s': %s", *out,
				   strerror(errno));
	*made = true;
	return MLF_CLIENT_OK;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* After a failed download into a temporary directory that destination()
 * made (`made`), removes it and whatever got into it; frees `dst`. */
static void destination_done(bool made, char *dst, enum mlf_result r)
{
	if (r != MLF_CLIENT_OK && made)
		nftw(dst, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dst);
}

/* Writes the absolute form of `path` into out[size]. */
static enum mlf_result report_path(const char *path, char *out, size_t size)
{
	if (!out)
		return MLF_CLIENT_OK;
	char *abs = realpath(path, NULL);
	const char *shown = abs ? abs : path;
	enum mlf_result r = MLF_CLIENT_OK;
	if (strlen(shown) >= size)
		r = client_fail(MLF_CLIENT_ERR_INVALID, "local path '%s' does not fit in %zu bytes", shown, size);
	else
		memcpy(out, shown, strlen(shown) + 1);
	free(abs);
	return r;
}

/* Downloads `rel` of `l` to `target` and reports target's path. */
static enum mlf_result download_location(mlf_client *c, const struct location *l, const char *rel,
					 const char *target, char *local_path, size_t size)
{
	struct xfer x = { 0 };
	struct transfer_plan plan = { 0 };
	enum mlf_result r = l->local ? MLF_CLIENT_OK : xfer_open(c, &x);
	if (r == MLF_CLIENT_OK)
		r = plan_download(&x, l, rel ? rel : "", target, 0, &plan);
	xfer_close(&x);
	if (r == MLF_CLIENT_OK)
		r = transfer_all(c, l, &plan, true);
	plan_release(&plan);
	if (r == MLF_CLIENT_OK)
		r = report_path(target, local_path, size);
	return r;
}

/* Downloads `rel` of run `run_id` into `target`. */
static enum mlf_result download_run(mlf_client *c, const char *run_id, const char *rel, const char *target,
				    char *local_path, size_t size)
{
	struct location l;
	enum mlf_result r = run_location(c, run_id, &l);
	if (r == MLF_CLIENT_OK)
		r = download_location(c, &l, rel, target, local_path, size);
	location_release(&l);
	return r;
}

enum mlf_result mlf_artifact_download(mlf_client *c, const char *run_id, const char *path, const char *dst_dir,
				      char *local_path, size_t size)
{
	if (!c || !run_id || !*run_id)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and run_id are required");
	if (!artifact_path_ok(path))
		return client_fail(MLF_CLIENT_ERR_INVALID, "invalid artifact path '%s' (relative, no '..')", path);
	char *dst = NULL;
	bool made;
	enum mlf_result r = destination(dst_dir, &dst, &made);
	char *rel = r == MLF_CLIENT_OK ? trim_slashes(path ? path : "", path ? strlen(path) : 0) : NULL;
	char *target = rel ? path_join(dst, rel) : NULL;
	if (r == MLF_CLIENT_OK && !target)
		r = nomem();
	if (r == MLF_CLIENT_OK)
		r = download_run(c, run_id, rel, target, local_path, size);
	free(target);
	free(rel);
	destination_done(made, dst, r);
	return r;
}

#define MAX_URI_HOPS 4 /* models:/ → runs:/ → ... */

/* Downloads `uri` into `dst`: its contents into dst itself when `into`,
 * else as dst/<last segment>. */
static enum mlf_result download_uri(mlf_client *c, const char *uri, const char *dst, bool into, unsigned hops,
				    char *local_path, size_t size)
{
	if (hops > MAX_URI_HOPS)
		return client_fail(MLF_CLIENT_ERR_INVALID, "artifact URI '%s' resolves through too many models:/ or runs:/ hops",
				   uri);
	if (strncmp(uri, "models:/", 8) == 0) {
		char source[4096];
		enum mlf_result r = mlf_model_uri_resolve(c, uri, source, sizeof(source));
		return r == MLF_CLIENT_OK ? download_uri(c, source, dst, true, hops + 1, local_path, size) : r;
	}
	char *path = NULL, *rel = NULL, *target = NULL;
	enum mlf_result r = MLF_CLIENT_OK;
	struct location l = { 0 };
	if (strncmp(uri, "runs:/", 6) == 0) {
		const char *id = uri + 6;
		while (*id == '/')
			id++;
		size_t id_len = strcspn(id, "/");
		char *run_id = cstr_printf("%.*s", (int)id_len, id);
		rel = trim_slashes(id + id_len, strlen(id + id_len));
		if (!run_id || !rel)
			r = nomem();
		else if (!id_len)
			r = client_fail(MLF_CLIENT_ERR_INVALID, "'%s' has no run id (runs:/<run_id>/<path>)", uri);
		else if (!artifact_path_ok(rel))
			r = client_fail(MLF_CLIENT_ERR_INVALID, "invalid artifact path in '%s'", uri);
		if (r == MLF_CLIENT_OK)
			r = run_location(c, run_id, &l);
		free(run_id);
	} else {
		r = location_of(c, uri, &l);
		if (r == MLF_CLIENT_OK && !(rel = cstr_printf("%s", "")))
			r = nomem();
		path = r == MLF_CLIENT_OK ? location_path(&l, "") : NULL;
		if (r == MLF_CLIENT_OK && !path)
			r = nomem();
	}
	if (r == MLF_CLIENT_OK) {
		const char *last = base_name(path ? path : rel);
		target = into || !*last ? cstr_printf("%s", dst) : path_join(dst, last);
		r = target ? download_location(c, &l, rel, target, local_path, size) : nomem();
	}
	location_release(&l);
	free(target);
	free(rel);
	free(path);
	return r;
}

enum mlf_result mlf_artifact_download_uri(mlf_client *c, const char *artifact_uri, const char *dst_dir,
					  char *local_path, size_t size)
{
	if (!c || !artifact_uri || !*artifact_uri)
		return client_fail(MLF_CLIENT_ERR_INVALID, "client and artifact_uri are required");
	char *dst = NULL;
	bool made;
	enum mlf_result r = destination(dst_dir, &dst, &made);
	if (r == MLF_CLIENT_OK)
		r = download_uri(c, artifact_uri, dst, false, 0, local_path, size);
	destination_done(made, dst, r);
	return r;
}
