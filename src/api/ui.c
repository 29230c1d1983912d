/*
 * ui.c - serves the web UI embedded in the binary (see ui.h).
 *
 * Files come from the generated ui_assets[] table only, so there is no path
 * to resolve and nothing to escape from. Caching: files under /assets/
 * carry a content hash in their name and are cached for a year; everything
 * else (index.html) is revalidated with its ETag (304 on If-None-Match).
 * The gzip copy made at build time is sent when the browser accepts gzip.
 * index.html is a template: its <base href> gets --static-prefix, so the
 * UI's relative URLs work under any prefix and from any deep link.
 */
#include "ui.h"
#include "api.h"
#include <strings.h>

#define BASE_MARK "__MLFLOWC_BASE__"

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".gif", "image/gif" },
	{ ".webp", "image/webp" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/* Paths that belong to the API even when no route matched: they keep the
 * JSON 404 instead of getting index.html. */
static const char *const api_roots[] = { "/api/", "/ajax-api/" };

static const char *mime_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < ARRAY_SIZE(mime_types); i++)
			if (strcasecmp(dot, mime_types[i].ext) == 0)
				return mime_types[i].type;
	return "application/octet-stream";
}

static const struct ui_asset *find_asset(const char *path)
{
	for (size_t i = 0; i < ui_assets_n; i++)
		if (strcmp(ui_assets[i].path, path) == 0)
			return &ui_assets[i];
	return NULL;
}

/* Skips optional whitespace. */
static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Accept-Encoding: a comma list of codings with optional ";q=" weights
 * (RFC 9110 12.5.3). gzip is accepted when "gzip", "x-gzip" or "*" is
 * listed with a weight above 0. */
bool ui_accepts_gzip(const char *ae)
{
	if (!ae)
		return false;
	for (const char *p = ae; *p;) {
		p = skip_ows(p);
		size_t n = strcspn(p, ",;");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		bool name_ok = (n == 4 && strncasecmp(p, "gzip", 4) == 0) || (n == 6 && strncasecmp(p, "x-gzip", 6) == 0) ||
			       (n == 1 && *p == '*');
		double q = 1.0;
		const char *end = p + strcspn(p, ",");
		for (const char *s = strchr(p, ';'); s && s < end; s = strchr(s + 1, ';')) {
			const char *t = skip_ows(s + 1);
			if ((t[0] == 'q' || t[0] == 'Q') && t[1] == '=')
				q = strtod(t + 2, NULL);
		}
		if (name_ok && q > 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* If-None-Match: "*" or a comma list of entity tags, weak ones ("W/")
 * compared weakly, as RFC 9110 13.1.2 asks for GET. */
bool ui_etag_matches(const char *inm, const char *etag)
{
	if (!inm || !etag)
		return false;
	size_t elen = strlen(etag);
	for (const char *p = inm; *p;) {
		p = skip_ows(p);
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		size_t n = strcspn(p, ",");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == elen && strncmp(p, etag, n) == 0)
			return true;
		p += strcspn(p, ",");
		if (*p)
			p++;
	}
	return false;
}

/* Copies index.html with BASE_MARK replaced by "<prefix>/". */
static void add_templated(struct buf *out, const struct ui_asset *a, const char *prefix)
{
	const char *s = (const char *)a->data, *end = s + a->size;
	size_t mlen = strlen(BASE_MARK);
	while (s < end) {
		const char *hit = memmem(s, (size_t)(end - s), BASE_MARK, mlen);
		if (!hit) {
			buf_add(out, s, (size_t)(end - s));
			break;
		}
		buf_add(out, s, (size_t)(hit - s));
		buf_adds(out, prefix);
		buf_addch(out, '/');
		s = hit + mlen;
	}
}

static void serve(const struct app *app, const struct ui_asset *a, const struct http_request *req,
		  struct http_response *resp)
{
	bool templated = strcmp(a->path, "/index.html") == 0;
	bool gz = a->gz && !templated && ui_accepts_gzip(http_request_header(req, "Accept-Encoding"));
	const char *etag = gz ? a->etag_gz : a->etag;

	resp->content_type = mime_type(a->path);
	http_response_header(resp, "ETag", etag);
	http_response_header(resp, "Cache-Control",
			     strncmp(a->path, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable" : "no-cache");
	http_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (a->gz && !templated)
		http_response_header(resp, "Vary", "Accept-Encoding");
	buf_reset(&resp->body);
	const char *inm = http_request_header(req, "If-None-Match");
	if (ui_etag_matches(inm, a->etag) || (a->gz && ui_etag_matches(inm, a->etag_gz))) {
		resp->status = 304;
		return;
	}
	resp->status = 200;
	if (gz) {
		http_response_header(resp, "Content-Encoding", "gzip");
		buf_add(&resp->body, a->gz, a->gz_size);
	} else if (templated) {
		add_templated(&resp->body, a, app->static_prefix);
	} else {
		buf_add(&resp->body, a->data, a->size);
	}
}

bool ui_handle(const struct app *app, const struct http_request *req, struct http_response *resp)
{
	const char *p = req->path;
	size_t sp = strlen(app->static_prefix);

	if (!(req->method & (HTTP_GET | HTTP_HEAD)))
		return false;
	if (sp) {
		if (strncmp(p, app->static_prefix, sp) != 0 || (p[sp] != '/' && p[sp] != '\0'))
			return false;
		p += sp;
	}
	for (size_t i = 0; i < ARRAY_SIZE(api_roots); i++)
		if (strncmp(p, api_roots[i], strlen(api_roots[i])) == 0)
			return false;
	const struct ui_asset *a = (*p && strcmp(p, "/") != 0) ? find_asset(p) : NULL;
	if (!a) {
		/* a missing hashed file is a real 404, not a page: a stale
		 * index.html must not get HTML where it asked for a script */
		if (strncmp(p, "/assets/", 8) == 0)
			return false;
		a = find_asset("/index.html");
		if (!a)
			return false;
	}
	serve(app, a, req, resp);
	return true;
}
