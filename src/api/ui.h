/*
 * ui.h - serves the embedded web UI: the files of web/dist, compiled into
 * the binary at build time (tools/embed-ui.mjs writes the table below into
 * build/gen/ui_assets.c). No file system access: a request can only reach
 * what is in the table.
 *
 * Every GET or HEAD that is not an API path and not answered by a route is
 * offered to ui_handle(): an embedded file by its path, index.html for
 * anything else (the UI routes on the client), all under --static-prefix.
 */
#ifndef MLF_UI_H
#define MLF_UI_H

#include "../base/common.h"

struct app;
struct http_request;
struct http_response;

/* One embedded file. Everything is static data owned by the binary. */
struct ui_asset {
	const char *path;             /* "/index.html", "/assets/index-3f2a.js" */
	const unsigned char *data;
	size_t size;
	const unsigned char *gz;      /* gzip of `data` made at build time, or NULL */
	size_t gz_size;
	const char *etag;             /* quoted strong ETag of `data` */
	const char *etag_gz;          /* the same for `gz` */
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

/* Exposed for unit tests: whether an Accept-Encoding value accepts gzip,
 * and whether an If-None-Match value matches `etag` (either may be NULL). */
bool ui_accepts_gzip(const char *accept_encoding);
bool ui_etag_matches(const char *if_none_match, const char *etag);

#endif
