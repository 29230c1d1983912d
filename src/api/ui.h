/*
 * ui.h - serves the embedded web UI: the files of web/dist, compiled into
 * the binary at build time (tools/embed-ui.mjs writes the table below into
 * build/gen/ui_assets.c). No file system access: a request can only reach
 * what is in the table.
 *
 * Two rows of the route table (routes.c) hand requests to ui_handle(): the
 * built files below /assets/, and the default row, every path no other row
 * knows. It answers an embedded file by its path, index.html for anything
 * else (the UI routes on the client), all under --static-prefix.
 * Text files carry gzip and brotli copies made at build time; the one the
 * browser prefers is sent, with its own strong ETag.
 */
#ifndef MLF_UI_H
#define MLF_UI_H

#include "../base/common.h"

struct app;
struct arena;
struct http_request;
struct http_response;

/* One embedded file. Everything is static data owned by the binary. */
struct ui_asset {
	const char *path;             /* "/index.html", "/assets/index-3f2a.js" */
	const unsigned char *data;
	size_t size;
	const unsigned char *gz;      /* gzip of `data` made at build time, or NULL */
	size_t gz_size;
	const unsigned char *br;      /* brotli of `data` made at build time, or NULL */
	size_t br_size;
	const char *etag;             /* quoted strong ETag of `data`: "\"<hash>\"" */
	const char *etag_gz;          /* the same for `gz`: "\"<hash>-gz\"" */
	const char *etag_br;          /* the same for `br`: "\"<hash>-br\"" */
};

/* Defined by the generated build/gen/ui_assets.c. */
extern const struct ui_asset ui_assets[];
extern const size_t ui_assets_n;

/* Answers a UI request into `resp` and returns true, or returns false
 * (leaving `resp` alone) when the request is not the UI's: not GET/HEAD,
 * outside --static-prefix, an /api/ or /ajax-api/ path, or a missing file
 * under /assets/. Response headers point at static strings or at `req`'s
 * arena; the body is copied into resp->body. Thread-safe. */
bool ui_handle(const struct app *app, const struct http_request *req, struct http_response *resp);

/* ---- the pieces of ui_handle, exposed for unit tests ---------------------- */

enum ui_encoding { UI_IDENTITY, UI_GZIP, UI_BR };

/* The weight (0..1000, RFC 9110 qvalue times 1000) an Accept-Encoding value
 * gives `coding` ("gzip" also answers to "x-gzip"): its own entry when it
 * is listed, else "*"'s, else 0. A malformed q counts as 0. NULL or an
 * empty value accepts nothing but identity. */
int ui_encoding_weight(const char *accept_encoding, const char *coding);
/* Whether that weight is above 0. */
bool ui_accepts_encoding(const char *accept_encoding, const char *coding);
/* The copy of `a` to send: the accepted one with the highest weight, brotli
 * on a tie with gzip, identity when neither copy exists or is accepted. */
enum ui_encoding ui_choose_encoding(const struct ui_asset *a, const char *accept_encoding);
/* Whether an If-None-Match value matches `etag` (either may be NULL). */
bool ui_etag_matches(const char *if_none_match, const char *etag);

/* The embedded file a GET/HEAD of `path` (decoded, with the prefix) gets,
 * or NULL when the UI does not answer it (see ui_handle). Borrowed from
 * ui_assets[]. `method` is an enum http_method bit. */
const struct ui_asset *ui_find(const char *static_prefix, unsigned method, const char *path);

/* Writes the answer for asset `a` into `resp`: status 200 or 304, the
 * body, Content-Type, ETag, Cache-Control, Vary and Content-Encoding.
 * Header values are static or allocated in `mem` (the request's arena);
 * either header argument may be NULL. index.html is sent as a template
 * with its <base href> set to the prefix and its "__MLFLOWC_AUTH__" to
 * "on" or "off" (`auth_on`: the basic-auth app runs), uncompressed, and
 * its ETag names the prefix and auth too. */
void ui_serve(const struct ui_asset *a, const char *static_prefix, bool auth_on, const char *accept_encoding,
	      const char *if_none_match, struct arena *mem, struct http_response *resp);

#endif
