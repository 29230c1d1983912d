/*
 * lazylink.c - libcurl and libcrypto, loaded the first time they are used.
 *
 * Only a few paths need them: S3 artifacts, presigned URLs, the client
 * library and the client commands. Linked normally, the two libraries
 * bring some twenty more shared objects (nghttp2, ssh2, rtmp, ldap,
 * krb5, ...) that the dynamic loader maps and relocates on every start of
 * every command, doubling `mlflowc server`'s time to its first answer. So
 * the binary is not linked against them: this file defines the functions
 * of theirs that mlflowc calls, under the names lazylink.h gives them
 * (lazylink_curl_easy_init, ...: never the libraries' own, which would
 * replace a host program's libcurl or OpenSSL), and the first call
 * dlopen()s the library by its soname and resolves them all at once (under
 * pthread_once).
 *
 * Variadic setters read their one argument with the type its option
 * number says (curl encodes it: long, pointer, function pointer, curl_off_t
 * or blob), as libcurl itself does, so nothing is reinterpreted.
 *
 * When a library cannot be loaded, the message is logged once and every
 * call fails the way the library reports failure (NULL handle,
 * CURLE_FAILED_INIT, NULL digest): callers already handle those.
 */
#include "lazylink.h" /* first: it renames the declarations below */
#include "common.h"
#include "log.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>

#define LAZY_CURL_SONAME "libcurl.so.4"
#define LAZY_CRYPTO_SONAME "libcrypto.so.3"

/* The functions called with fixed arguments:
 * X(return type, name, (parameters), (arguments), value when not loaded). */
#define CURL_FUNCTIONS(X) \
	X(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT) \
	X(void, curl_global_cleanup, (void), (), ) \
	X(CURL *, curl_easy_init, (void), (), NULL) \
	X(CURLcode, curl_easy_perform, (CURL *h), (h), CURLE_FAILED_INIT) \
	X(void, curl_easy_cleanup, (CURL *h), (h), ) \
	X(void, curl_easy_reset, (CURL *h), (h), ) \
	X(CURLcode, curl_easy_pause, (CURL *h, int mask), (h, mask), CURLE_FAILED_INIT) \
	X(const char *, curl_easy_strerror, (CURLcode code), (code), "libcurl could not be loaded") \
	X(char *, curl_easy_escape, (CURL *h, const char *s, int len), (h, s, len), NULL) \
	X(char *, curl_easy_unescape, (CURL *h, const char *s, int len, int *out_len), (h, s, len, out_len), NULL) \
	X(void, curl_free, (void *p), (p), ) \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s), NULL) \
	X(void, curl_slist_free_all, (struct curl_slist *l), (l), ) \
	X(CURLM *, curl_multi_init, (void), (), NULL) \
	X(CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *h), (m, h), CURLM_INTERNAL_ERROR) \
	X(CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *h), (m, h), CURLM_INTERNAL_ERROR) \
	X(CURLMcode, curl_multi_perform, (CURLM *m, int *running), (m, running), CURLM_INTERNAL_ERROR) \
	X(CURLMcode, curl_multi_poll, (CURLM *m, struct curl_waitfd *fds, unsigned n, int timeout_ms, int *numfds), \
	  (m, fds, n, timeout_ms, numfds), CURLM_INTERNAL_ERROR) \
	X(CURLMsg *, curl_multi_info_read, (CURLM *m, int *left), (m, left), NULL) \
	X(CURLMcode, curl_multi_cleanup, (CURLM *m), (m), CURLM_INTERNAL_ERROR)

/* The variadic ones: resolved here, wrapped by hand below. */
#define CURL_VARIADIC(X) \
	X(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...)) \
	X(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...)) \
	X(CURLMcode, curl_multi_setopt, (CURLM *, CURLMoption, ...))

#define CRYPTO_FUNCTIONS(X) \
	X(const EVP_MD *, EVP_sha256, (void), (), NULL) \
	X(unsigned char *, HMAC, (const EVP_MD *md, const void *key, int key_len, const unsigned char *data, \
				  size_t data_len, unsigned char *md_out, unsigned int *md_len), \
	  (md, key, key_len, data, data_len, md_out, md_len), NULL) \
	X(unsigned char *, SHA256, (const unsigned char *data, size_t len, unsigned char *md_out), (data, len, md_out), NULL)

struct lazy_lib {
	const char *soname;
	pthread_once_t once;
	bool loaded;
};

#define DECLARE_POINTER(ret, name, params, ...) static ret(*p_##name) params;
CURL_FUNCTIONS(DECLARE_POINTER)
CURL_VARIADIC(DECLARE_POINTER)
CRYPTO_FUNCTIONS(DECLARE_POINTER)

static struct lazy_lib curl_lib = { LAZY_CURL_SONAME, PTHREAD_ONCE_INIT, false };
static struct lazy_lib crypto_lib = { LAZY_CRYPTO_SONAME, PTHREAD_ONCE_INIT, false };

/* Resolves `name` into *slot; returns false (and logs) when missing. */
static bool resolve(void *handle, const char *soname, const char *name, void **slot)
{
	*slot = dlsym(handle, name);
	if (!*slot)
		log_error("%s has no %s: %s", soname, name, dlerror());
	return *slot != NULL;
}

/* dlsym returns an object pointer; POSIX guarantees it converts to a
 * function pointer of the right type. */
#define RESOLVE(ret, name, ...) ok = resolve(h, lib->soname, #name, (void **)&p_##name) && ok;

static void *open_lib(struct lazy_lib *lib)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		log_error("cannot load %s: %s", lib->soname, dlerror());
	return h;
}

static void load_curl(void)
{
	struct lazy_lib *lib = &curl_lib;
	void *h = open_lib(lib);
	bool ok = h != NULL;
	if (h) {
		CURL_FUNCTIONS(RESOLVE)
		CURL_VARIADIC(RESOLVE)
	}
	lib->loaded = ok;
}

static void load_crypto(void)
{
	struct lazy_lib *lib = &crypto_lib;
	void *h = open_lib(lib);
	bool ok = h != NULL;
	if (h) {
		CRYPTO_FUNCTIONS(RESOLVE)
	}
	lib->loaded = ok;
}

static bool curl_ready(void)
{
	pthread_once(&curl_lib.once, load_curl);
	return curl_lib.loaded;
}

static bool crypto_ready(void)
{
	pthread_once(&crypto_lib.once, load_crypto);
	return crypto_lib.loaded;
}

#define DEFINE_CURL(ret, name, params, args, failed) \
	ret name params \
	{ \
		if (!curl_ready()) \
			return failed; \
		return p_##name args; \
	}
CURL_FUNCTIONS(DEFINE_CURL)

#define DEFINE_CRYPTO(ret, name, params, args, failed) \
	ret name params \
	{ \
		if (!crypto_ready()) \
			return failed; \
		return p_##name args; \
	}
CRYPTO_FUNCTIONS(DEFINE_CRYPTO)

/* curl numbers every option by the type of its argument. */
#define CALL_WITH_TYPED_ARG(fn, h, opt, ap) \
	((opt) < CURLOPTTYPE_OBJECTPOINT     ? fn(h, opt, va_arg(ap, long)) \
	 : (opt) < CURLOPTTYPE_FUNCTIONPOINT ? fn(h, opt, va_arg(ap, void *)) \
	 : (opt) < CURLOPTTYPE_OFF_T         ? fn(h, opt, va_arg(ap, void (*)(void))) \
	 : (opt) < CURLOPTTYPE_BLOB          ? fn(h, opt, va_arg(ap, curl_off_t)) \
					     : fn(h, opt, va_arg(ap, void *)))

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	if (!curl_ready())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, opt);
	CURLcode rc = CALL_WITH_TYPED_ARG(p_curl_easy_setopt, h, opt, ap);
	va_end(ap);
	return rc;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	if (!curl_ready())
		return CURLM_INTERNAL_ERROR;
	va_list ap;
	va_start(ap, opt);
	CURLMcode rc = CALL_WITH_TYPED_ARG(p_curl_multi_setopt, m, opt, ap);
	va_end(ap);
	return rc;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	if (!curl_ready())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, info);
	CURLcode rc = p_curl_easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}
