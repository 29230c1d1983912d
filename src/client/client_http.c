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
#include "../base/lazylink.h"
#include <errno.h>
#include <jansson.h>
#include <strings.h>
#include <time.h>

static size_t on_reply(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct chttp *h = ctx;
	size_t n = size * nmemb;
	buf_add(h->sink, data, n);
	if (buf_failed(h->sink)) {
		h->oom = true;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode global_init_rc;

static void curl_global(void)
{
	global_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
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
		if (curl_easy_setopt(e, CURLOPT_USERNAME, user) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_PASSWORD, pass) != CURLE_OK)
			return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
		return MLF_CLIENT_OK;
	}
	if (!token)
		return MLF_CLIENT_OK;
	if (has_control_chars(token))
		return client_fail(MLF_CLIENT_ERR_INVALID, "MLFLOW_TRACKING_TOKEN contains control characters");
	struct buf line = BUF_INIT_STICKY;
	buf_adds(&line, "Authorization: Bearer ");
	buf_adds(&line, token);
	if (buf_failed(&line)) {
		buf_release(&line);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	}
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
	} else if (ca && curl_easy_setopt(e, CURLOPT_CAINFO, ca) != CURLE_OK) {
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	}
	if (cert && curl_easy_setopt(e, CURLOPT_SSLCERT, cert) != CURLE_OK)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	return MLF_CLIENT_OK;
}

/* ---------------------------------------------------------------- handles
 * String options are copied by libcurl: their setopt can fail with
 * CURLE_OUT_OF_MEMORY (a failed CURLOPT_URL leaves no URL at all), so
 * those results are checked; the others only store a value. */

enum mlf_result chttp_init(struct chttp *h)
{
	memset(h, 0, sizeof(*h));
	pthread_once(&curl_once, curl_global);
	if (global_init_rc != CURLE_OK)
		return client_fail(MLF_CLIENT_ERR_TRANSPORT, "libcurl: %s", curl_easy_strerror(global_init_rc));
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
	if (curl_easy_setopt(e, CURLOPT_USERAGENT, "mlflowc-client/" MLFLOWC_VERSION) != CURLE_OK) {
		chttp_release(h);
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory creating a connection");
	}
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
	out->status = 0;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK)
		return CURLE_OUT_OF_MEMORY;
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

/* Parsing replies with jansson 2.14 under memory pressure. Its lexer keeps
 * the current token in a buffer that starts at 16 bytes and doubles; when
 * a growth fails it drops the byte and goes on (a run id loses a
 * character, a number a digit), and if the dropped byte is a string's
 * closing quote, decoding that string runs past the buffer (a heap
 * overflow). Most of its other allocation failures come back as syntax
 * errors. So:
 *   - the text is handed over one byte per callback and errno is looked
 *     at before each byte: malloc's ENOMEM is seen before the next token
 *     (jansson's number lexer resets errno) and stops the parse;
 *   - the text is parsed as element 1 of ["xx..xx", <text>], whose first
 *     string is as long as the text's longest token: the buffer reaches
 *     its final size on that string, whose length keeps its closing quote
 *     off a doubling point, so no byte of the text itself is ever dropped. */
#define CJSON_TOKEN_MIN 16 /* jansson's first token buffer */

struct cjson_feed {
	const char *text;
	size_t len;
	size_t pad;  /* x's of the leading string */
	size_t pos;  /* in the virtual text ["<pad>",<text>] */
	bool oom;
};

/* The most bytes jansson's lexer saves for one token of s: a string with
 * its quotes, a number or literal with the byte after it (saved, then
 * given back). */
static size_t cjson_longest_token(const char *s, size_t n)
{
	size_t best = 0, start = 0;
	bool in_string = false, escaped = false;
	for (size_t i = 0; i <= n; i++) {
		char ch = i < n ? s[i] : ' ';
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (ch == '\\')
				escaped = true;
			else if (ch == '"' || i == n)
				in_string = false;
			if (!in_string && i - start + 1 > best)
				best = i - start + 1;
			continue;
		}
		bool separator = ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '"' || ch == ',' ||
				 ch == ':' || ch == '[' || ch == ']' || ch == '{' || ch == '}';
		if (separator && i > start && i - start + 1 > best)
			best = i - start + 1;
		if (separator)
			start = i + 1;
		if (ch == '"') {
			in_string = true;
			start = i;
		}
	}
	return best;
}

static size_t cjson_feed_byte(void *buffer, size_t buflen, void *data)
{
	struct cjson_feed *f = data;
	if (errno == ENOMEM) {
		f->oom = true;
		return (size_t)-1; /* stops the parse */
	}
	size_t p = f->pos, pad = f->pad;
	char ch;
	if (!buflen)
		return 0;
	if (p < 2)
		ch = "[\""[p];
	else if (p < 2 + pad)
		ch = 'x';
	else if (p < 4 + pad)
		ch = "\","[p - 2 - pad];
	else if (p < 4 + pad + f->len)
		ch = f->text[p - 4 - pad];
	else if (p == 4 + pad + f->len)
		ch = ']';
	else
		return 0;
	*(char *)buffer = ch;
	f->pos++;
	return 1;
}

enum mlf_result cjson_load(const struct buf *text, const char *what, json_t **out)
{
	/* the leading token must save as many bytes as the longest one (plus
	 * its NUL), and its closing quote must not be byte 16, 32, 64... */
	size_t need = cjson_longest_token(text->ptr, text->len);
	size_t token = need > CJSON_TOKEN_MIN ? need : CJSON_TOKEN_MIN;
	if ((token & (token - 1)) == 0)
		token++;
	struct cjson_feed feed = { text->ptr, text->len, token - 2, 0, false };
	json_error_t err;
	errno = 0;
	json_t *wrapped = json_load_callback(cjson_feed_byte, &feed, 0, &err);
	if (!feed.oom && errno == ENOMEM)
		feed.oom = true; /* the parse ended after the failure */
	json_t *v = json_array_get(wrapped, 1);
	*out = NULL;
	if (wrapped && !feed.oom && json_array_size(wrapped) == 2 && (json_is_object(v) || json_is_array(v)))
		*out = json_incref(v);
	json_decref(wrapped);
	if (*out)
		return MLF_CLIENT_OK;
	if (feed.oom || json_error_code(&err) == json_error_out_of_memory)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading %s", what);
	return client_fail(MLF_CLIENT_ERR_PROTOCOL, "%s is not JSON%s%s", what, wrapped ? "" : ": ",
			   wrapped ? " (not an object or array)" : err.text);
}

/* What an answer without MLflow's error JSON means (the basic-auth app
 * answers 401, 403 and 429 in plain text, as MLflow's does), by status. */
static const struct {
	long status;
	bool with_credentials; /* for 401: whether credentials were sent */
	const char *meaning;
} status_meanings[] = {
	{ 401, false, "the server needs credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, "
		      "or MLFLOW_TRACKING_TOKEN" },
	{ 401, true, "the server refused the credentials (MLFLOW_TRACKING_USERNAME/PASSWORD or "
		     "MLFLOW_TRACKING_TOKEN): wrong password, or an expired or revoked token" },
	{ 403, false, "permission denied: the user lacks the permission this needs (an admin can grant it)" },
	{ 403, true, "permission denied: the user lacks the permission this needs (an admin can grant it)" },
	{ 429, false, "too many requests (or failed sign-ins from this address): try again later" },
	{ 429, true, "too many requests (or failed sign-ins from this address): try again later" },
};

const char *chttp_status_meaning(long status)
{
	bool sent = (env_nonempty("MLFLOW_TRACKING_USERNAME") && env_nonempty("MLFLOW_TRACKING_PASSWORD")) ||
		    env_nonempty("MLFLOW_TRACKING_TOKEN");
	for (size_t i = 0; i < ARRAY_SIZE(status_meanings); i++)
		if (status_meanings[i].status == status && status_meanings[i].with_credentials == sent)
			return status_meanings[i].meaning;
	return NULL;
}

enum mlf_result chttp_reply_error(const char *where, struct creply *out)
{
	json_t *j;
	if (cjson_load(&out->body, "an error answer", &j) == MLF_CLIENT_ERR_NOMEM)
		return MLF_CLIENT_ERR_NOMEM; /* not "HTTP 404 from": callers act on the error_code */
	const char *code = j ? json_string_value(json_object_get(j, "error_code")) : NULL;
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
	enum mlf_result r;
	if (code)
		r = client_fail(MLF_CLIENT_ERR_SERVER, "%s: %s", code, msg ? msg : "");
	else
		r = client_fail(MLF_CLIENT_ERR_SERVER, "HTTP %ld from %s%s%s", out->status, where,
				chttp_status_meaning(out->status) ? ": " : "",
				chttp_status_meaning(out->status) ? chttp_status_meaning(out->status) : "");
	json_decref(j);
	return r;
}

static enum mlf_result build_url(const mlf_client *c, const char *path, struct buf *url)
{
	buf_adds(url, c->base);
	buf_adds(url, "/api/2.0/mlflow/");
	buf_adds(url, path);
	if (buf_failed(url))
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory");
	return MLF_CLIENT_OK;
}

enum mlf_result chttp_request(mlf_client *c, struct chttp *h, const char *method, const char *path,
			      const struct buf *body, struct creply *out)
{
	out->status = 0;
	out->code[0] = '\0';
	struct buf url = BUF_INIT_STICKY;
	enum mlf_result r = build_url(c, path, &url);
	if (r != MLF_CLIENT_OK) {
		buf_release(&url);
		return r;
	}
	CURLcode rc = CURLE_OK;
	for (unsigned attempt = 0;; attempt++) {
		rc = perform(c, h, method, url.ptr, body, out);
		h->oom = h->oom || rc == CURLE_OUT_OF_MEMORY; /* ours or libcurl's: not retried */
		if (h->oom || !retryable(rc, out->status) || attempt + 1 >= c->opt.max_attempts)
			break;
		chttp_retry_pause(c, attempt, retry_after(h->curl));
	}
	if (h->oom)
		r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory %s %s",
				rc == CURLE_OUT_OF_MEMORY ? "sending" : "reading the reply to", url.ptr);
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
