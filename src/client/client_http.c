/*
 * client_http.c - the client library's transport: one libcurl easy handle
 * per user (keep-alive comes from reusing it), JSON requests to MLflow's
 * REST API, and the retry policy.
 *
 * Retries: a transport failure, 429 or any 5xx is tried again up to
 * opt.max_attempts times in all, after retry_base_ms doubling per attempt
 * (capped at retry_max_ms) or the server's Retry-After when that is longer
 * (also capped). Other answers are final. Replies are collected with
 * malloc/realloc only; an allocation failure is MLF_CLIENT_ERR_NOMEM.
 *
 * Every handle the library makes comes from chttp_init, which applies
 * MLflow's credential and TLS environment variables (see below).
 */
#include "client_int.h"
#include <curl/curl.h>
#include <jansson.h>
#include <strings.h>
#include <time.h>

int cbuf_reserve(struct buf *b, size_t extra)
{
	if (extra > SIZE_MAX / 2 - b->len)
		return -1;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = b->cap ? realloc(b->ptr, cap) : malloc(cap);
	if (!p)
		return -1;
	if (!b->cap)
		p[0] = '\0'; /* len is 0 while ptr was the shared empty string */
	b->ptr = p;
	b->cap = cap;
	return 0;
}

size_t cjson_str_bound(size_t n)
{
	return 6 * n + 2; /* every byte as \u00XX, plus the quotes */
}

static size_t on_reply(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct chttp *h = ctx;
	size_t n = size * nmemb;
	if (cbuf_reserve(h->sink, n)) {
		h->oom = true;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	buf_add(h->sink, data, n);
	return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_global_rc;

static void curl_global(void)
{
	curl_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---------------------------------------------------------------- auth and TLS
 * MLflow's environment variables, read for every handle so that each part
 * of the library (metrics, synchronous calls, artifacts, registry) sends
 * the same credentials:
 *   MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD  HTTP basic auth
 *   MLFLOW_TRACKING_TOKEN             Authorization: Bearer <token> (when
 *                                     no username/password, as MLflow)
 *   MLFLOW_TRACKING_INSECURE_TLS      true/1: no certificate/host checks
 *   MLFLOW_TRACKING_SERVER_CERT_PATH  CA bundle that verifies the server
 *   MLFLOW_TRACKING_CLIENT_CERT_PATH  client certificate (PEM, key inside)
 */

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static bool env_true(const char *name)
{
	const char *v = env_nonempty(name);
	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static bool has_control_chars(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Adds the Authorization header or basic-auth options to a fresh handle. */
static enum mlf_result chttp_auth(struct chttp *h)
{
	CURL *e = h->curl;
	const char *user = env_nonempty("MLFLOW_TRACKING_USERNAME");
	const char *pass = env_nonempty("MLFLOW_TRACKING_PASSWORD");
	const char *token = env_nonempty("MLFLOW_TRACKING_TOKEN");
	if (user && pass) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC); /* sent with the first request */
		curl_easy_setopt(e, CURLOPT_USERNAME, user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, pass);
		return MLF_CLIENT_OK;
	}
	if (!token)
		return MLF_CLIENT_OK;
	if (has_control_chars(token))
		return client_fail(MLF_CLIENT_ERR_INVALID, "MLFLOW_TRACKING_TOKEN contains control characters");
	struct buf line = BUF_INIT;
	if (cbuf_reserve(&line, strlen(token) + 32))
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	buf_adds(&line, "Authorization: Bearer ");
	buf_adds(&line, token);
	struct curl_slist *l = curl_slist_append(h->headers, line.ptr);
	buf_release(&line);
	if (!l)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	h->headers = l;
	return MLF_CLIENT_OK;
}

static enum mlf_result chttp_tls(struct chttp *h)
{
	CURL *e = h->curl;
	const char *ca = env_nonempty("MLFLOW_TRACKING_SERVER_CERT_PATH");
	const char *cert = env_nonempty("MLFLOW_TRACKING_CLIENT_CERT_PATH");
	if (env_true("MLFLOW_TRACKING_INSECURE_TLS")) {
		if (ca)
			return client_fail(MLF_CLIENT_ERR_INVALID, "MLFLOW_TRACKING_INSECURE_TLS and "
					   "MLFLOW_TRACKING_SERVER_CERT_PATH cannot both be set");
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (ca) {
		curl_easy_setopt(e, CURLOPT_CAINFO, ca);
	}
	if (cert)
		curl_easy_setopt(e, CURLOPT_SSLCERT, cert);
	return MLF_CLIENT_OK;
}

/* ---------------------------------------------------------------- handles */

enum mlf_result chttp_init(struct chttp *h)
{
	memset(h, 0, sizeof(*h));
	pthread_once(&curl_once, curl_global);
	if (curl_global_rc != CURLE_OK)
		return client_fail(MLF_CLIENT_ERR_TRANSPORT, "libcurl: %s", curl_easy_strerror(curl_global_rc));
	h->curl = curl_easy_init();
	h->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!h->curl || !h->headers) {
		chttp_release(h);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory creating a connection");
	}
	enum mlf_result r = chttp_auth(h);
	if (r == MLF_CLIENT_OK)
		r = chttp_tls(h);
	if (r != MLF_CLIENT_OK) {
		chttp_release(h);
		return r;
	}
	CURL *e = h->curl;
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* we run in threads of a host program */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mlflowc-client/" MLFLOWC_VERSION);
	return MLF_CLIENT_OK;
}

void chttp_release(struct chttp *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	memset(h, 0, sizeof(*h));
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Transport failures that another attempt cannot fix: a bad URL, TLS
 * settings or a certificate the server will present again. */
static const CURLcode permanent_failures[] = {
	CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT,    CURLE_PEER_FAILED_VERIFICATION,
	CURLE_SSL_CERTPROBLEM,      CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER,
	CURLE_SSL_ENGINE_NOTFOUND,  CURLE_LOGIN_DENIED,
};

static bool retryable(CURLcode rc, long status)
{
	for (size_t i = 0; i < ARRAY_SIZE(permanent_failures); i++)
		if (rc == permanent_failures[i])
			return false;
	return rc != CURLE_OK || status == 429 || status >= 500;
}

static unsigned backoff_ms(const mlf_client *c, unsigned attempt, long retry_after_s)
{
	uint64_t ms = (uint64_t)c->opt.retry_base_ms << (attempt < 20 ? attempt : 20);
	if (retry_after_s > 0 && (uint64_t)retry_after_s * 1000 > ms)
		ms = (uint64_t)retry_after_s * 1000;
	return ms > c->opt.retry_max_ms ? c->opt.retry_max_ms : (unsigned)ms;
}

void chttp_retry_pause(mlf_client *c, unsigned attempt, long retry_after_s)
{
	sleep_ms(backoff_ms(c, attempt, retry_after_s));
	pthread_mutex_lock(&c->mu);
	c->st.retried++;
	pthread_mutex_unlock(&c->mu);
}

static long retry_after(CURL *e)
{
	curl_off_t after = 0;
	if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &after) != CURLE_OK || after <= 0)
		return 0;
	return after > 86400 ? 86400 : (long)after;
}

/* One attempt: sends and fills out->status and out->body. */
static CURLcode perform(mlf_client *c, struct chttp *h, const char *method, const char *url, const struct buf *body,
			struct creply *out)
{
	CURL *e = h->curl;
	buf_reset(&out->body);
	h->sink = &out->body;
	h->oom = false;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->opt.timeout_ms);
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body->ptr);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	/* the handle is reused: a method set for one request must not stick */
	bool custom = method && strcmp(method, body ? "POST" : "GET") != 0;
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, custom ? method : NULL);
	CURLcode rc = curl_easy_perform(e);
	out->status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
	return rc;
}

enum mlf_result chttp_reply_error(const char *where, struct creply *out)
{
	json_t *j = json_loadb(out->body.ptr, out->body.len, 0, NULL);
	const char *code = j ? json_string_value(json_object_get(j, "error_code")) : NULL;
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
	enum mlf_result r;
	if (code)
		r = client_fail(MLF_CLIENT_ERR_SERVER, "%s: %s", code, msg ? msg : "");
	else
		r = client_fail(MLF_CLIENT_ERR_SERVER, "HTTP %ld from %s", out->status, where);
	json_decref(j);
	return r;
}

static enum mlf_result build_url(const mlf_client *c, const char *path, struct buf *url)
{
	size_t n = strlen(c->base) + strlen(path) + 32;
	if (cbuf_reserve(url, n))
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	buf_adds(url, c->base);
	buf_adds(url, "/api/2.0/mlflow/");
	buf_adds(url, path);
	return MLF_CLIENT_OK;
}

enum mlf_result chttp_request(mlf_client *c, struct chttp *h, const char *method, const char *path,
			      const struct buf *body, struct creply *out)
{
	out->status = 0;
	out->code[0] = '\0';
	struct buf url = BUF_INIT;
	enum mlf_result r = build_url(c, path, &url);
	if (r != MLF_CLIENT_OK)
		return r;
	CURLcode rc = CURLE_OK;
	for (unsigned attempt = 0;; attempt++) {
		rc = perform(c, h, method, url.ptr, body, out);
		if (h->oom || !retryable(rc, out->status) || attempt + 1 >= c->opt.max_attempts)
			break;
		chttp_retry_pause(c, attempt, retry_after(h->curl));
	}
	if (h->oom)
		r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading the reply");
	else if (rc != CURLE_OK)
		r = client_fail(MLF_CLIENT_ERR_TRANSPORT, "%s: %s", url.ptr, curl_easy_strerror(rc));
	else if (out->status < 200 || out->status > 299)
		r = chttp_reply_error(url.ptr, out);
	buf_release(&url);
	return r;
}

enum mlf_result chttp_call(mlf_client *c, struct chttp *h, const char *path, const struct buf *body,
			   struct creply *out)
{
	return chttp_request(c, h, NULL, path, body, out);
}

const struct client_transport client_transport_http = { "http", chttp_request };
