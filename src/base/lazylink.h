/*
 * lazylink.h - libcurl's and libcrypto's declarations under mlflowc's own
 * names. Include this instead of <curl/curl.h> and the OpenSSL headers:
 * every function lazylink.c loads on first use is renamed here to
 * lazylink_<name> before the library headers declare it, so mlflowc's code
 * calls the lazy shims and never defines a symbol named curl_easy_init,
 * HMAC or SHA256 that would take the place of a host program's own libcurl
 * or OpenSSL (the client library is linked into such programs).
 *
 * curl's compile-time option type checks (typecheck-gcc.h) define
 * curl_easy_setopt as a macro of its own, so they are off where this
 * header is used; lazylink.c reads each option's argument by the type its
 * number encodes, as libcurl does.
 */
#ifndef MLFLOWC_LAZYLINK_H
#define MLFLOWC_LAZYLINK_H

#define CURL_DISABLE_TYPECHECK 1

#define curl_global_init lazylink_curl_global_init
#define curl_global_cleanup lazylink_curl_global_cleanup
#define curl_easy_init lazylink_curl_easy_init
#define curl_easy_perform lazylink_curl_easy_perform
#define curl_easy_cleanup lazylink_curl_easy_cleanup
#define curl_easy_reset lazylink_curl_easy_reset
#define curl_easy_pause lazylink_curl_easy_pause
#define curl_easy_strerror lazylink_curl_easy_strerror
#define curl_easy_escape lazylink_curl_easy_escape
#define curl_easy_unescape lazylink_curl_easy_unescape
#define curl_free lazylink_curl_free
#define curl_slist_append lazylink_curl_slist_append
#define curl_slist_free_all lazylink_curl_slist_free_all
#define curl_multi_init lazylink_curl_multi_init
#define curl_multi_add_handle lazylink_curl_multi_add_handle
#define curl_multi_remove_handle lazylink_curl_multi_remove_handle
#define curl_multi_perform lazylink_curl_multi_perform
#define curl_multi_poll lazylink_curl_multi_poll
#define curl_multi_info_read lazylink_curl_multi_info_read
#define curl_multi_cleanup lazylink_curl_multi_cleanup
#define curl_easy_setopt lazylink_curl_easy_setopt
#define curl_easy_getinfo lazylink_curl_easy_getinfo
#define curl_multi_setopt lazylink_curl_multi_setopt
#define EVP_sha256 lazylink_EVP_sha256
#define HMAC lazylink_HMAC
#define SHA256 lazylink_SHA256

#include <curl/curl.h>
/* Without its type checks, curl.h redefines its three variadic functions
 * as macros calling the real names: back to ours. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_setopt lazylink_curl_easy_setopt
#define curl_easy_getinfo lazylink_curl_easy_getinfo
#define curl_multi_setopt lazylink_curl_multi_setopt
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#endif
