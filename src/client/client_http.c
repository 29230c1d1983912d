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
 */
#include "client_int.h"
#include <curl/curl.h>
#include <jansson.h>
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

static bool retryable(CURLcode rc, long status)
{
	return rc != CURLE_OK || status == 429 || status >= 500;
}

static unsigned backoff_ms(const mlf_client *c, unsigned attempt, CURL *e)
{
	uint64_t ms = (uint64_t)c->opt.retry_base_ms << (attempt < 20 ? attempt : 20);
	curl_off_t after = 0;
	if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0 &&
	    (uint64_t)after * 1000 > ms)
		ms = (uint64_t)after * 1000;
	return ms > c->opt.retry_max_ms ? c->opt.retry_max_ms : (unsigned)ms;
}

/* One attempt: sends and fills out->status and out->body. */
static CURLcode perform(mlf_client *c, struct chttp *h, const char *url, const struct buf *body,
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
	CURLcode rc = curl_easy_perform(e);
	out->status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
	return rc;
}

/* Fills out->code and the thread's error text from an MLflow error body. */
static enum mlf_result server_error(const char *url, struct creply *out)
{
	json_t *j = json_loadb(out->body.ptr, out->body.len, 0, NULL);
	const char *code = j ? json_string_value(json_object_get(j, "error_code")) : NULL;
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
	enum mlf_result r;
	if (code)
		r = client_fail(MLF_CLIENT_ERR_SERVER, "%s: %s", code, msg ? msg : "");
	else
		r = client_fail(MLF_CLIENT_ERR_SERVER, "HTTP %ld from %s", out->status, url);
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

enum mlf_result chttp_call(mlf_client *c, struct chttp *h, const char *path, const struct buf *body,
			   struct creply *out)
{
	out->status = 0;
	out->code[0] = '\0';
	struct buf url = BUF_INIT;
	enum mlf_result r = build_url(c, path, &url);
	if (r != MLF_CLIENT_OK)
		return r;
	CURLcode rc = CURLE_OK;
	for (unsigned attempt = 0;; attempt++) {
		rc = perform(c, h, url.ptr, body, out);
		if (h->oom || !retryable(rc, out->status) || attempt + 1 >= c->opt.max_attempts)
			break;
		sleep_ms(backoff_ms(c, attempt, h->curl));
		pthread_mutex_lock(&c->mu);
		c->st.retried++;
		pthread_mutex_unlock(&c->mu);
	}
	if (h->oom)
		r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory reading the reply");
	else if (rc != CURLE_OK)
		r = client_fail(MLF_CLIENT_ERR_TRANSPORT, "%s: %s", url.ptr, curl_easy_strerror(rc));
	else if (out->status < 200 || out->status > 299)
		r = server_error(url.ptr, out);
	buf_release(&url);
	return r;
}
