/*
 * artifact_s3.c - the S3 artifact backend: the same ops as a local
 * directory, on objects under s3://bucket/prefix.
 *
 * Every request goes through libcurl with CURLOPT_AWS_SIGV4. libcurl 7.88
 * signs correctly only when the URL is already canonical (s3_sign.h), when
 * we send x-amz-content-sha256 ourselves and when no header is blanked, so
 * all requests are made by easy_new() below, which does exactly that.
 *
 * Memory stays bounded whatever the object size:
 *  - Uploads are spooled to an unlinked temporary file and sent on commit.
 *    PutObject needs the length before the first byte, and the proxy's
 *    request may be chunked; a spool also lets a large file go up as a
 *    multipart upload (16 MB parts, aborted on failure) from its offsets.
 *    The object appears only when the PUT or the completion succeeds, so a
 *    cut upload leaves nothing behind, as on local disk. An upload may ask
 *    for a storage class (upload_set_storage_class, retention's moves): it
 *    goes, signed, on that upload's PUT or multipart create only.
 *  - Downloads pull from one GET driven by a curl multi handle: the write
 *    callback fills a fixed stash and pauses the transfer when it is full;
 *    the HTTP layer's reads drain it and resume it.
 *  - Listings and deletes read ListObjectsV2 pages of at most 1000 keys.
 *  - Multipart uploads the client drives (MLflow's proxied mpu API) get
 *    an upload id here and one presigned PUT URL per part (s3_presign.h).
 *
 * Secrets (the key pair, the session token) live only in the repo and in
 * libcurl's options; nothing here logs them. S3's own error code and
 * message are logged; clients get MLflow's generic errors.
 */
#include "artifact_s3.h"
#include "s3_presign.h"
#include "s3_sign.h"
#include "s3_xml.h"
#include "../base/buf.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include "../base/lazylink.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <strings.h>
#include <unistd.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PART_SIZE ((uint64_t)16 << 20) /* larger uploads go multipart, in parts of this size */
#define MAX_PARTS 10000                /* S3's limit */
#define RESPONSE_MAX ((size_t)8 << 20) /* XML we keep from one answer (a list page is < 1 MB) */
#define STASH_SIZE (256 * 1024)        /* per download */

struct s3_repo {
	struct artifact_repo base;
	struct s3_target target; /* points into the strings below */
	char *endpoint;          /* NULL for AWS */
	char *bucket;
	char *region;
	char *prefix;       /* key prefix without leading or trailing '/'; may be "" */
	char *sigv4;        /* "aws:amz:<region>:s3" */
	char *userpwd;      /* "ACCESS:SECRET": a secret, never logged */
	char *token_header; /* "x-amz-security-token: ..." or NULL: a secret */
	bool insecure;      /* MLFLOW_S3_IGNORE_TLS */
};

static struct s3_repo *s3_of(struct artifact_repo *r)
{
	return (struct s3_repo *)r;
}

/* ---- keys ------------------------------------------------------------------ */

/* The object key of artifact `path`: the prefix and the path's segments
 * joined by '/', empty and "." segments dropped, plus a trailing '/' when
 * `dir` and the key is not empty. NULL for a ".." segment (validated paths
 * never have one). The caller frees the result. */
static char *key_for(const struct s3_repo *s, const char *path, bool dir)
{
	struct buf k = BUF_INIT;
	buf_adds(&k, s->prefix);
	for (const char *p = path ? path : ""; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			buf_release(&k);
			return NULL;
		}
		if (len && !(len == 1 && p[0] == '.')) {
			if (k.len)
				buf_addch(&k, '/');
			buf_add(&k, p, len);
		}
		p += len + (p[len] == '/');
	}
	if (dir && k.len)
		buf_addch(&k, '/');
	return buf_detach(&k, NULL);
}

static int bad_path(const char *path, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid path '%s'", path ? path : "");
}

/* ---- one request -------------------------------------------------------------- */

enum s3_method { S3_GET, S3_PUT, S3_POST, S3_DELETE };

static const struct {
	CURLoption opt; /* switched on with 1L */
	const char *custom;
} methods[] = {
	[S3_GET] = { CURLOPT_HTTPGET, NULL },
	[S3_PUT] = { CURLOPT_UPLOAD, NULL },
	[S3_POST] = { CURLOPT_POST, NULL },
	[S3_DELETE] = { CURLOPT_HTTPGET, "DELETE" },
};

/* A request body read from a file: `len` bytes at `start`. */
struct file_body {
	int fd;
	uint64_t start, len;
	uint64_t done;
};

struct s3_call {
	enum s3_method method;
	const char *key; /* full object key; "" for the bucket */
	const struct s3_param *params;
	size_t nparams;
	struct file_body *file; /* PUT body, or NULL */
	const char *body;       /* POST body (may be ""), or NULL */
	const char *storage_class; /* sent as x-amz-storage-class, or NULL */
	/* results */
	CURLcode rc;
	long status;
	struct buf resp; /* the answer's body, up to RESPONSE_MAX */
	struct buf etag; /* the ETag header, quotes included */
	char curl_msg[CURL_ERROR_SIZE];
};

/* A configured easy handle for `method` on `key`: canonical URL, SigV4,
 * the payload-hash header (UNSIGNED-PAYLOAD when there is a body, the hash
 * of nothing otherwise), the session token, an x-amz-storage-class header
 * when `storage_class` is not NULL (libcurl signs every header it is
 * given), timeouts. The caller frees the handle with curl_easy_cleanup()
 * and *hdrs with curl_slist_free_all(). NULL only when libcurl cannot
 * allocate. */
static CURL *easy_new(const struct s3_repo *s, enum s3_method method, const char *key, const struct s3_param *p,
		      size_t n, const char *storage_class, struct curl_slist **hdrs)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	struct buf url = BUF_INIT;
	s3_url(&url, &s->target, key, p, n);
	curl_easy_setopt(c, CURLOPT_URL, url.ptr);
	buf_release(&url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(c, CURLOPT_USERPWD, s->userpwd);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled store fails the request */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
	if (s->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(c, methods[method].opt, 1L);
	if (methods[method].custom)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, methods[method].custom);
	bool body = method == S3_PUT || method == S3_POST;
	*hdrs = curl_slist_append(NULL, body ? "x-amz-content-sha256: UNSIGNED-PAYLOAD"
					     : "x-amz-content-sha256: " EMPTY_SHA256);
	if (method == S3_POST) /* else libcurl picks a form type itself */
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/xml");
	if (s->token_header)
		*hdrs = curl_slist_append(*hdrs, s->token_header);
	if (storage_class) {
		struct buf h = BUF_INIT;
		buf_addf(&h, "x-amz-storage-class: %s", storage_class);
		*hdrs = curl_slist_append(*hdrs, h.ptr);
		buf_release(&h);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return c;
}

static size_t file_body_read(char *dst, size_t size, size_t nmemb, void *ctx)
{
	struct file_body *b = ctx;
	size_t want = size * nmemb;
	if (want > b->len - b->done)
		want = (size_t)(b->len - b->done);
	if (!want)
		return 0;
	ssize_t n;
	do
		n = pread(b->fd, dst, want, (off_t)(b->start + b->done));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return CURL_READFUNC_ABORT;
	b->done += (uint64_t)n;
	return (size_t)n;
}

/* libcurl rewinds the body when it must send it again (a redirect, a
 * reused connection that closed). */
static int file_body_seek(void *ctx, curl_off_t offset, int origin)
{
	struct file_body *b = ctx;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > b->len)
		return CURL_SEEKFUNC_CANTSEEK;
	b->done = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t keep_response(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	if (b->len < RESPONSE_MAX)
		buf_add(b, data, n < RESPONSE_MAX - b->len ? n : RESPONSE_MAX - b->len);
	return n;
}

static size_t keep_etag(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *etag = ctx;
	size_t n = size * nmemb;
	if (n > 5 && strncasecmp(data, "etag:", 5) == 0) {
		const char *v = data + 5, *end = data + n;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		buf_reset(etag);
		buf_add(etag, v, (size_t)(end - v));
	}
	return n;
}

static void set_body(CURL *c, const struct s3_call *call)
{
	if (call->file) {
		curl_easy_setopt(c, CURLOPT_READFUNCTION, file_body_read);
		curl_easy_setopt(c, CURLOPT_READDATA, call->file);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, file_body_seek);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, call->file);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)call->file->len);
	} else if (call->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(call->body));
	}
}

/* Runs `call`; returns 0 when S3 answered 2xx, else -1 (see call_error).
 * The caller releases call->resp and call->etag. */
static int s3_perform(const struct s3_repo *s, struct s3_call *call)
{
	struct curl_slist *hdrs = NULL;
	call->resp = (struct buf)BUF_INIT;
	call->etag = (struct buf)BUF_INIT;
	call->curl_msg[0] = '\0';
	call->status = 0;
	CURL *c = easy_new(s, call->method, call->key, call->params, call->nparams, call->storage_class, &hdrs);
	if (!c) {
		call->rc = CURLE_OUT_OF_MEMORY;
		curl_slist_free_all(hdrs);
		return -1;
	}
	set_body(c, call);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_response);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &call->resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_etag);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &call->etag);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, call->curl_msg);
	call->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &call->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return call->rc == CURLE_OK && call->status / 100 == 2 ? 0 : -1;
}

static void call_release(struct s3_call *call)
{
	buf_release(&call->resp);
	buf_release(&call->etag);
}

/* Logs why a request failed and fills `err`: RESOURCE_DOES_NOT_EXIST for
 * a missing object, INTERNAL_ERROR otherwise (S3's text stays in the log).
 * `status` and `body` describe S3's answer, `rc` and `msg` libcurl's. */
static int s3_error(CURLcode rc, const char *msg, long status, const struct buf *body, const char *what,
		    const char *path, struct mlf_err *err)
{
	if (rc != CURLE_OK) {
		log_error("artifacts: S3 %s '%s': %s", what, path, msg && *msg ? msg : curl_easy_strerror(rc));
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not %s artifact '%s'", what, path);
	}
	if (status == 404)
		return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Artifact '%s' does not exist", path);
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err ignored;
	const char *code = NULL, *text = NULL;
	if (s3_xml_parse(&doc, body->ptr, body->len, &ignored) == 0) {
		code = s3_xml_child_text(&doc, s3_xml_root(&doc), "Code");
		text = s3_xml_child_text(&doc, s3_xml_root(&doc), "Message");
	}
	log_error("artifacts: S3 %s '%s': HTTP %ld %s: %s", what, path, status, code && *code ? code : "(no code)",
		  text ? text : "");
	s3_xml_release(&doc);
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not %s artifact '%s'", what, path);
}

static int call_error(const struct s3_call *call, const char *what, const char *path, struct mlf_err *err)
{
	return s3_error(call->rc, call->curl_msg, call->status, &call->resp, what, path, err);
}

/* ---- uploads ------------------------------------------------------------------- */

struct artifact_upload {
	struct s3_repo *repo;
	char *key;
	char *path;    /* as the client named it, for messages */
	int fd;        /* the spool: an unlinked temporary file */
	uint64_t size; /* bytes spooled */
	char *storage_class; /* x-amz-storage-class of the object, or NULL */
};

/* An unlinked temporary file in $TMPDIR (or /tmp), or -1 with errno. */
static int spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	struct buf name = BUF_INIT;
	buf_addf(&name, "%s/mlflowc-s3-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkostemp(name.ptr, O_CLOEXEC);
	if (fd >= 0)
		unlink(name.ptr);
	buf_release(&name);
	return fd;
}

static int s3_upload_begin(struct artifact_repo *r, const char *path, struct artifact_upload **up,
			   struct mlf_err *err)
{
	struct s3_repo *s = s3_of(r);
	if (!path || !*path)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "An artifact path is required");
	char *key = key_for(s, path, false);
	if (!key || strlen(key) <= strlen(s->prefix) || path[strlen(path) - 1] == '/') {
		free(key);
		return bad_path(path, err);
	}
	int fd = spool_open();
	if (fd < 0) {
		log_error("artifacts: temporary file for '%s': %s", path, strerror(errno));
		free(key);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not store artifact '%s'", path);
	}
	*up = xcalloc(1, sizeof(**up));
	(*up)->repo = s;
	(*up)->key = key;
	(*up)->path = xstrdup(path);
	(*up)->fd = fd;
	return 0;
}

static int s3_upload_write(struct artifact_upload *up, const char *data, size_t n)
{
	int rc = util_write_all(up->fd, data, n);
	if (rc == 0)
		up->size += n;
	return rc;
}

static void s3_upload_abort(struct artifact_upload *up)
{
	close(up->fd);
	free(up->key);
	free(up->path);
	free(up->storage_class);
	free(up);
}

static int s3_upload_set_storage_class(struct artifact_upload *up, const char *storage_class, struct mlf_err *err)
{
	size_t n = storage_class ? strlen(storage_class) : 0;
	if (!n || n > 64 || strspn(storage_class, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not an S3 storage class",
				  storage_class ? storage_class : "");
	free(up->storage_class);
	up->storage_class = xstrdup(storage_class);
	return 0;
}

static int put_object(struct artifact_upload *up, struct mlf_err *err)
{
	struct file_body fb = { up->fd, 0, up->size, 0 };
	struct s3_call call = { .method = S3_PUT, .key = up->key, .file = &fb, .storage_class = up->storage_class };
	int rc = s3_perform(up->repo, &call);
	if (rc < 0)
		call_error(&call, "store", up->path, err);
	call_release(&call);
	return rc;
}

/* Part size for `size` bytes: PART_SIZE, or larger (whole MBs) so that
 * the upload fits in MAX_PARTS parts. */
static uint64_t part_size(uint64_t size)
{
	uint64_t part = PART_SIZE, mb = (uint64_t)1 << 20;
	if (size / MAX_PARTS >= part)
		part = (size / MAX_PARTS / mb + 1) * mb;
	return part;
}

/* CreateMultipartUpload of `key`, with `storage_class` (or NULL: none
 * asked); the upload id goes to `id`. */
static int mpu_create(const struct s3_repo *s, const char *key, const char *storage_class, const char *path,
		      struct buf *id, struct mlf_err *err)
{
	static const struct s3_param uploads[] = { { "uploads", NULL } };
	struct s3_call call = { .method = S3_POST, .key = key, .params = uploads, .nparams = 1, .body = "",
				.storage_class = storage_class };
	int rc = s3_perform(s, &call);
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	if (rc == 0) {
		const char *upload_id = NULL;
		if (s3_xml_parse(&doc, call.resp.ptr, call.resp.len, err) == 0)
			upload_id = s3_xml_child_text(&doc, s3_xml_root(&doc), "UploadId");
		if (upload_id && *upload_id)
			buf_adds(id, upload_id);
		else
			rc = -1;
	}
	if (rc < 0)
		call_error(&call, "store", path, err);
	s3_xml_release(&doc);
	call_release(&call);
	return rc;
}

/* UploadPart number `n` of `id`; appends its <Part> to `parts`. */
static int mpu_part(struct artifact_upload *up, const char *id, unsigned n, uint64_t off, uint64_t len,
		    struct buf *parts, struct mlf_err *err)
{
	char num[16];
	snprintf(num, sizeof(num), "%u", n);
	const struct s3_param q[] = { { "partNumber", num }, { "uploadId", id } };
	struct file_body fb = { up->fd, off, len, 0 };
	struct s3_call call = { .method = S3_PUT, .key = up->key, .params = q, .nparams = 2, .file = &fb };
	int rc = s3_perform(up->repo, &call);
	if (rc == 0 && !call.etag.len)
		rc = -1;
	if (rc < 0) {
		call_error(&call, "store", up->path, err);
	} else {
		buf_addf(parts, "<Part><PartNumber>%u</PartNumber><ETag>", n);
		s3_xml_escape(parts, call.etag.ptr);
		buf_adds(parts, "</ETag></Part>");
	}
	call_release(&call);
	return rc;
}

/* CompleteMultipartUpload, which can fail inside a 200 answer. */
static int mpu_complete(const struct s3_repo *s, const char *key, const char *path, const char *id,
			const struct buf *parts, struct mlf_err *err)
{
	const struct s3_param q[] = { { "uploadId", id } };
	struct buf body = BUF_INIT;
	buf_addf(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">%s"
			"</CompleteMultipartUpload>", parts->ptr);
	struct s3_call call = { .method = S3_POST, .key = key, .params = q, .nparams = 1, .body = body.ptr };
	int rc = s3_perform(s, &call);
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	if (rc == 0 && (s3_xml_parse(&doc, call.resp.ptr, call.resp.len, err) < 0 ||
			strcmp(s3_xml_root(&doc)->name, "CompleteMultipartUploadResult") != 0)) {
		/* an <Error> inside the 200, or an answer that does not confirm */
		call.status = 500; /* reported with S3's code and message */
		rc = -1;
	}
	if (rc < 0)
		call_error(&call, "store", path, err);
	s3_xml_release(&doc);
	call_release(&call);
	buf_release(&body);
	return rc;
}

/* AbortMultipartUpload, best effort (some S3-compatible stores lack it;
 * the bucket's lifecycle rules then clean up). */
static int mpu_abort(const struct s3_repo *s, const char *key, const char *path, const char *id)
{
	const struct s3_param q[] = { { "uploadId", id } };
	struct s3_call call = { .method = S3_DELETE, .key = key, .params = q, .nparams = 1 };
	int rc = s3_perform(s, &call);
	if (rc < 0)
		log_warn("artifacts: S3 could not abort the multipart upload of '%s' (HTTP %ld)", path, call.status);
	call_release(&call);
	return rc;
}

static int multipart_upload(struct artifact_upload *up, struct mlf_err *err)
{
	struct buf id = BUF_INIT, parts = BUF_INIT;
	if (mpu_create(up->repo, up->key, up->storage_class, up->path, &id, err) < 0) {
		buf_release(&id);
		return -1;
	}
	uint64_t part = part_size(up->size);
	int rc = 0;
	unsigned n = 1;
	for (uint64_t off = 0; rc == 0 && off < up->size; off += part, n++)
		rc = mpu_part(up, id.ptr, n, off, up->size - off < part ? up->size - off : part, &parts, err);
	if (rc == 0)
		rc = mpu_complete(up->repo, up->key, up->path, id.ptr, &parts, err);
	if (rc < 0)
		mpu_abort(up->repo, up->key, up->path, id.ptr);
	buf_release(&id);
	buf_release(&parts);
	return rc;
}

static int s3_upload_commit(struct artifact_upload *up, struct mlf_err *err)
{
	int rc = up->size > PART_SIZE ? multipart_upload(up, err) : put_object(up, err);
	s3_upload_abort(up); /* frees the spool and the upload */
	return rc;
}

/* ---- downloads ------------------------------------------------------------------ */

struct s3_reader {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	char *stash; /* STASH_SIZE bytes; the unread ones are [head, head + len) */
	size_t head, len;
	bool paused;       /* the write callback refused a chunk; resume when drained */
	bool headers_done; /* the final status line and headers are in */
	bool done;         /* the transfer ended; `result` says how */
	CURLcode result;
	uint64_t served;     /* bytes handed to the HTTP layer */
	struct buf err_body; /* the body of a non-2xx answer (capped) */
};

static long response_code(CURL *c)
{
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static size_t reader_sink(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct s3_reader *r = ctx;
	size_t n = size * nmemb;
	if (response_code(r->easy) / 100 != 2)
		return keep_response(data, size, nmemb, &r->err_body);
	if (r->head + r->len + n > STASH_SIZE) {
		memmove(r->stash, r->stash + r->head, r->len);
		r->head = 0;
	}
	if (r->len + n > STASH_SIZE) {
		r->paused = true; /* libcurl hands this chunk again after CURLPAUSE_CONT */
		return CURL_WRITEFUNC_PAUSE;
	}
	memcpy(r->stash + r->head + r->len, data, n);
	r->len += n;
	return n;
}

static size_t reader_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct s3_reader *r = ctx;
	size_t n = size * nmemb;
	if ((n == 2 && data[0] == '\r') || (n == 1 && data[0] == '\n'))
		r->headers_done = response_code(r->easy) >= 200; /* not after a 1xx */
	return n;
}

static bool headers_in(const struct s3_reader *r)
{
	return r->headers_done;
}

static bool has_data(const struct s3_reader *r)
{
	return r->len > 0;
}

static bool finished(const struct s3_reader *r)
{
	return r->done;
}

/* Runs the transfer until `ready` holds or it ends. libcurl's own timeouts
 * (LOW_SPEED_*) end a stalled transfer, so this returns. -1 on a multi
 * handle failure. */
static int drive(struct s3_reader *r, bool (*ready)(const struct s3_reader *))
{
	while (!ready(r) && !r->done) {
		int running, queued;
		if (curl_multi_perform(r->multi, &running) != CURLM_OK)
			return -1;
		CURLMsg *m;
		while ((m = curl_multi_info_read(r->multi, &queued)))
			if (m->msg == CURLMSG_DONE) {
				r->done = true;
				r->result = m->data.result;
			}
		if (!ready(r) && !r->done && curl_multi_poll(r->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			return -1;
	}
	return 0;
}

static void reader_close(void *ctx)
{
	struct s3_reader *r = ctx;
	if (r->easy) {
		curl_multi_remove_handle(r->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_multi_cleanup(r->multi);
	curl_slist_free_all(r->hdrs);
	buf_release(&r->err_body);
	free(r->stash);
	free(r);
}

static ssize_t reader_read(void *ctx, uint64_t pos, char *buf, size_t max)
{
	struct s3_reader *r = ctx;
	if (pos != r->served)
		return -1; /* the HTTP layer reads in order */
	if (!r->len && r->paused) {
		r->paused = false;
		if (curl_easy_pause(r->easy, CURLPAUSE_CONT) != CURLE_OK)
			return -1;
	}
	if (!r->len && drive(r, has_data) < 0)
		return -1;
	if (!r->len)
		return r->done && r->result == CURLE_OK ? 0 : -1;
	size_t n = r->len < max ? r->len : max;
	memcpy(buf, r->stash + r->head, n);
	r->head += n;
	r->len -= n;
	r->served += n;
	return (ssize_t)n;
}

/* Starts the GET and waits for S3's answer to its headers. */
static struct s3_reader *reader_start(const struct s3_repo *s, const char *key)
{
	struct s3_reader *r = xcalloc(1, sizeof(*r));
	r->err_body = (struct buf)BUF_INIT;
	r->multi = curl_multi_init();
	r->easy = r->multi ? easy_new(s, S3_GET, key, NULL, 0, NULL, &r->hdrs) : NULL;
	if (!r->easy)
		return r;
	r->stash = xmalloc(STASH_SIZE);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, reader_sink);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, reader_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	if (curl_multi_add_handle(r->multi, r->easy) != CURLM_OK || drive(r, headers_in) < 0) {
		r->done = true;
		r->result = CURLE_FAILED_INIT;
	}
	return r;
}

static int s3_download_open(struct artifact_repo *r, const char *path, struct artifact_download *dl,
			    struct mlf_err *err)
{
	struct s3_repo *s = s3_of(r);
	memset(dl, 0, sizeof(*dl));
	dl->fd = -1;
	char *key = key_for(s, path, false);
	if (!key || strlen(key) <= strlen(s->prefix) || !*path || path[strlen(path) - 1] == '/') {
		free(key);
		return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Artifact '%s' does not exist", path ? path : "");
	}
	struct s3_reader *rd = reader_start(s, key);
	free(key);
	long status = rd->easy ? response_code(rd->easy) : 0;
	if (!rd->easy || !rd->headers_done || status / 100 != 2) {
		if (rd->easy && rd->headers_done)
			drive(rd, finished); /* the error's XML, for the log */
		CURLcode rc = !rd->easy ? CURLE_OUT_OF_MEMORY : rd->done ? rd->result : CURLE_OK;
		if (rc == CURLE_OK && !rd->headers_done)
			rc = CURLE_RECV_ERROR;
		int ret = s3_error(rc, NULL, status, &rd->err_body, "read", path, err);
		reader_close(rd);
		return ret;
	}
	curl_off_t length = -1;
	curl_easy_getinfo(rd->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
	dl->size = length >= 0 ? (uint64_t)length : UINT64_MAX;
	dl->read = reader_read;
	dl->close = reader_close;
	dl->ctx = rd;
	return 0;
}

/* ---- listings ------------------------------------------------------------------- */

/* Called for each key (is_prefix false, with its size) and, in delimited
 * listings, each common prefix (is_prefix true, ending in '/'). */
typedef int (*list_fn)(void *ctx, const char *key, int64_t size, bool is_prefix, struct mlf_err *err);

/* Calls `fn` for the keys of one ListObjectsV2 page. */
static int page_each(const struct s3_xml_doc *doc, list_fn fn, void *ctx, struct mlf_err *err)
{
	static const struct {
		const char *outer, *inner;
		bool is_prefix;
	} kinds[] = { { "Contents", "Key", false }, { "CommonPrefixes", "Prefix", true } };
	const struct s3_xml_node *root = s3_xml_root(doc);
	int rc = 0;
	for (size_t k = 0; k < ARRAY_SIZE(kinds) && rc == 0; k++) {
		for (const struct s3_xml_node *item = s3_xml_child(doc, root, kinds[k].outer, NULL); item && rc == 0;
		     item = s3_xml_child(doc, root, kinds[k].outer, item)) {
			const char *key = s3_xml_child_text(doc, item, kinds[k].inner);
			const char *size = s3_xml_child_text(doc, item, "Size");
			if (key)
				rc = fn(ctx, key, size ? strtoll(size, NULL, 10) : 0, kinds[k].is_prefix, err);
		}
	}
	return rc;
}

/* Lists every key under `prefix` (with `delimited`, only one level: the
 * rest come as common prefixes), page by page. `path` names the listing in
 * messages. */
static int list_walk(const struct s3_repo *s, const char *prefix, bool delimited, const char *path, list_fn fn,
		     void *ctx, struct mlf_err *err)
{
	struct buf token = BUF_INIT;
	int rc = 0;
	for (bool more = true; more && rc == 0;) {
		struct s3_param q[4] = { { "list-type", "2" }, { "prefix", prefix } };
		size_t n = 2;
		if (delimited)
			q[n++] = (struct s3_param){ "delimiter", "/" };
		if (token.len)
			q[n++] = (struct s3_param){ "continuation-token", token.ptr };
		struct s3_call call = { .method = S3_GET, .key = "", .params = q, .nparams = n };
		if ((rc = s3_perform(s, &call)) < 0) {
			call_error(&call, "list", path, err);
			call_release(&call);
			break;
		}
		struct s3_xml_doc doc = S3_XML_DOC_INIT;
		if ((rc = s3_xml_parse(&doc, call.resp.ptr, call.resp.len, err)) < 0 ||
		    strcmp(s3_xml_root(&doc)->name, "ListBucketResult") != 0) {
			log_error("artifacts: S3 list '%s': %s", path, rc < 0 ? err->msg : "not a ListBucketResult");
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not list artifact '%s'", path);
			s3_xml_release(&doc);
			call_release(&call);
			break;
		}
		const struct s3_xml_node *root = s3_xml_root(&doc);
		const char *truncated = s3_xml_child_text(&doc, root, "IsTruncated");
		const char *next = s3_xml_child_text(&doc, root, "NextContinuationToken");
		buf_reset(&token);
		more = truncated && strcmp(truncated, "true") == 0 && next && *next;
		if (more)
			buf_adds(&token, next);
		rc = page_each(&doc, fn, ctx, err);
		s3_xml_release(&doc);
		call_release(&call);
	}
	buf_release(&token);
	return rc;
}

struct list_ctx {
	size_t skip;      /* length of the listed prefix */
	const char *path; /* the listed artifact path, "" for the root */
	struct artifact_entry *e;
	size_t n, cap;
	struct arena *a;
};

static int list_add(void *ctxv, const char *key, int64_t size, bool is_prefix, struct mlf_err *err)
{
	(void)err;
	struct list_ctx *lc = ctxv;
	if (strlen(key) <= lc->skip)
		return 0; /* the directory's own marker object */
	const char *name = key + lc->skip;
	size_t len = strlen(name) - (is_prefix && name[strlen(name) - 1] == '/');
	if (!len)
		return 0;
	if (lc->n == lc->cap) {
		size_t cap = lc->cap ? lc->cap * 2 : 32;
		lc->e = arena_grow_array(lc->a, lc->e, lc->n, cap, sizeof(*lc->e));
		lc->cap = cap;
	}
	struct artifact_entry *e = &lc->e[lc->n++];
	e->path = *lc->path ? arena_printf(lc->a, "%s/%.*s", lc->path, (int)len, name)
			    : arena_strndup(lc->a, name, len);
	e->is_dir = is_prefix;
	e->size = is_prefix ? 0 : size;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct artifact_entry *)a)->path, ((const struct artifact_entry *)b)->path);
}

static int s3_list(struct artifact_repo *r, const char *path, struct artifact_entry **out, size_t *n,
		   struct arena *a, struct mlf_err *err)
{
	struct s3_repo *s = s3_of(r);
	char *prefix = key_for(s, path, true);
	if (!prefix)
		return bad_path(path, err);
	struct list_ctx lc = { .skip = strlen(prefix), .path = path ? path : "", .a = a };
	int rc = list_walk(s, prefix, true, lc.path, list_add, &lc, err);
	free(prefix);
	if (rc < 0)
		return -1;
	if (lc.n)
		qsort(lc.e, lc.n, sizeof(*lc.e), entry_cmp);
	*out = lc.e;
	*n = lc.n;
	return 0;
}

/* ---- deletes -------------------------------------------------------------------- */

struct remove_ctx {
	const struct s3_repo *s;
	const char *path;
};

static int delete_key(const struct s3_repo *s, const char *key, const char *path, struct mlf_err *err)
{
	struct s3_call call = { .method = S3_DELETE, .key = key };
	int rc = s3_perform(s, &call);
	if (rc < 0 && call.rc == CURLE_OK && call.status == 404)
		rc = 0; /* already gone */
	if (rc < 0)
		call_error(&call, "delete", path, err);
	call_release(&call);
	return rc;
}

static int remove_one(void *ctxv, const char *key, int64_t size, bool is_prefix, struct mlf_err *err)
{
	(void)size;
	(void)is_prefix;
	struct remove_ctx *rc = ctxv;
	return delete_key(rc->s, key, rc->path, err);
}

/* Deletes the object `path` and every object under `path`/, as MLflow's
 * S3 repository does; a missing path is not an error. */
static int s3_remove(struct artifact_repo *r, const char *path, struct mlf_err *err)
{
	struct s3_repo *s = s3_of(r);
	if (!path || !*path)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Deleting the artifact root is not allowed");
	char *key = key_for(s, path, false), *dir = key_for(s, path, true);
	int rc;
	if (!key || !dir || strlen(dir) <= strlen(s->prefix) + 1)
		rc = bad_path(path, err);
	else if ((rc = delete_key(s, key, path, err)) == 0)
		rc = list_walk(s, dir, false, path, remove_one, &(struct remove_ctx){ s, path }, err);
	free(key);
	free(dir);
	return rc;
}

/* ---- opening -------------------------------------------------------------------- */

static void s3_close(struct artifact_repo *r)
{
	struct s3_repo *s = s3_of(r);
	free(s->endpoint);
	free(s->bucket);
	free(s->region);
	free(s->prefix);
	free(s->sigv4);
	free(s->userpwd);
	free(s->token_header);
	free(s);
}

/* ---- multipart driven by the client (MLflow's proxied mpu API) -------------- */

#define PRESIGN_SECONDS 3600 /* how long a part URL stays valid */

/* The credentials of `s` for presigning. The strings point into `userpwd`'s
 * copy in `a` and into the token header. */
static struct s3_credentials credentials_of(const struct s3_repo *s, struct arena *a)
{
	char *pair = arena_strdup(a, s->userpwd), *colon = strchr(pair, ':');
	*colon = '\0';
	const char *token = s->token_header ? strchr(s->token_header, ' ') + 1 : NULL;
	return (struct s3_credentials){ pair, colon + 1, token, s->region };
}

static int s3_mpu_create(struct artifact_repo *r, const char *path, unsigned n_parts, const char **upload_id,
			 const char ***urls, struct arena *a, struct mlf_err *err)
{
	struct s3_repo *s = s3_of(r);
	char *key = key_for(s, path, false);
	struct buf id = BUF_INIT;
	if (!key || !*key || n_parts == 0 || n_parts > MAX_PARTS) {
		free(key);
		return n_parts == 0 || n_parts > MAX_PARTS
			       ? mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "num_parts must be 1..%d", MAX_PARTS)
			       : bad_path(path, err);
	}
	int rc = mpu_create(s, key, NULL, path, &id, err);
	if (rc == 0) {
		struct s3_credentials cred = credentials_of(s, a);
		*upload_id = arena_strndup(a, id.ptr, id.len);
		*urls = arena_alloc(a, n_parts * sizeof(**urls));
		for (unsigned i = 0; i < n_parts; i++) {
			char num[16];
			struct buf url = BUF_INIT;
			snprintf(num, sizeof(num), "%u", i + 1);
			const struct s3_param q[] = { { "partNumber", num }, { "uploadId", *upload_id } };
			s3_presign(&url, &s->target, &cred, "PUT", key, q, 2, time(NULL), PRESIGN_SECONDS);
			(*urls)[i] = arena_strndup(a, url.ptr, url.len);
			buf_release(&url);
		}
	}
	buf_release(&id);
	free(key);
	return rc;
}

static int s3_mpu_complete(struct artifact_repo *r, const char *path, const char *upload_id,
			   const struct artifact_part *parts, size_t n, struct mlf_err *err)
{
	struct s3_repo *s = s3_of(r);
	char *key = key_for(s, path, false);
	if (!key || !*key) {
		free(key);
		return bad_path(path, err);
	}
	struct buf xml = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_addf(&xml, "<Part><PartNumber>%u</PartNumber><ETag>", parts[i].number);
		s3_xml_escape(&xml, parts[i].etag);
		buf_adds(&xml, "</ETag></Part>");
	}
	int rc = mpu_complete(s, key, path, upload_id, &xml, err);
	buf_release(&xml);
	free(key);
	return rc;
}

static int s3_mpu_abort(struct artifact_repo *r, const char *path, const char *upload_id, struct mlf_err *err)
{
	struct s3_repo *s = s3_of(r);
	char *key = key_for(s, path, false);
	int rc = key && *key ? mpu_abort(s, key, path, upload_id) : bad_path(path, err);
	if (rc < 0 && key && *key)
		mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not abort the upload of '%s'", path);
	free(key);
	return rc;
}

static const struct artifact_ops s3_ops = {
	.scheme = "s3",
	.upload_begin = s3_upload_begin,
	.upload_write = s3_upload_write,
	.upload_commit = s3_upload_commit,
	.upload_abort = s3_upload_abort,
	.upload_set_storage_class = s3_upload_set_storage_class,
	.download_open = s3_download_open,
	.list = s3_list,
	.remove = s3_remove,
	.mpu_create = s3_mpu_create,
	.mpu_complete = s3_mpu_complete,
	.mpu_abort = s3_mpu_abort,
	.close = s3_close,
};

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Only these bytes may appear in a bucket or region name (they go into
 * host names and libcurl's "aws:amz:<region>:s3"). */
static bool name_ok(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(extra, *s)))
			return false;
	return true;
}

/* Splits "s3://bucket/prefix" into s->bucket and s->prefix. */
static int parse_uri(struct s3_repo *s, const char *uri, struct mlf_err *err)
{
	const char *b = uri + strlen("s3://");
	size_t blen = strcspn(b, "/");
	s->bucket = xstrndup(b, blen);
	const char *p = b + blen;
	while (*p == '/')
		p++;
	size_t plen = strlen(p);
	while (plen && p[plen - 1] == '/')
		plen--;
	s->prefix = xstrndup(p, plen);
	if (!name_ok(s->bucket, ".-_"))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "invalid S3 bucket in '%s'", uri);
	char *check = key_for(s, "x", false); /* no ".." segment in the prefix */
	free(check);
	return check ? 0 : mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "invalid S3 prefix in '%s'", uri);
}

/* Credentials, region, endpoint and TLS choice from the environment. */
static int read_env(struct s3_repo *s, struct mlf_err *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN"), *endpoint = env("MLFLOW_S3_ENDPOINT_URL");
	const char *region = env("AWS_DEFAULT_REGION") ? env("AWS_DEFAULT_REGION") : env("AWS_REGION");
	const char *ignore_tls = env("MLFLOW_S3_IGNORE_TLS");
	if (!id || !secret)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "S3 artifacts need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
	s->region = xstrdup(region ? region : "us-east-1");
	if (!name_ok(s->region, "-"))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "invalid AWS region '%s'", s->region);
	if (endpoint && strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "MLFLOW_S3_ENDPOINT_URL must start with http:// or https://");
	if (endpoint) {
		size_t n = strlen(endpoint);
		while (n && endpoint[n - 1] == '/')
			n--;
		s->endpoint = xstrndup(endpoint, n);
	}
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s:%s", id, secret);
	s->userpwd = buf_detach(&b, NULL);
	buf_addf(&b, "aws:amz:%s:s3", s->region);
	s->sigv4 = buf_detach(&b, NULL);
	if (token) {
		buf_addf(&b, "x-amz-security-token: %s", token);
		s->token_header = buf_detach(&b, NULL);
	}
	s->insecure = ignore_tls && strcasecmp(ignore_tls, "true") == 0;
	return 0;
}

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct artifact_repo *artifact_s3_open(const char *uri, struct mlf_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, curl_init_once);
	struct s3_repo *s = xcalloc(1, sizeof(*s));
	s->base.ops = &s3_ops;
	if (parse_uri(s, uri, err) < 0 || read_env(s, err) < 0) {
		s3_close(&s->base);
		return NULL;
	}
	s->target = (struct s3_target){ s->endpoint, s->bucket, s->region };
	log_info("artifacts: S3 bucket '%s', prefix '%s', %s", s->bucket, s->prefix,
		 s->endpoint ? s->endpoint : "AWS");
	return &s->base;
}
