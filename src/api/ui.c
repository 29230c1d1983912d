/*
 * ui.c - serves the web UI embedded in the binary (see ui.h).
 *
 * Files come from the generated ui_assets[] table only, so there is no path
 * to resolve and nothing to escape from. Caching: files under /assets/
 * carry a content hash in their name and are cached for a year; everything
 * else (index.html) is revalidated with its ETag (304 on If-None-Match).
 * The brotli or gzip copy made at build time is sent when the browser
 * accepts it (brotli first, unless the browser weights gzip higher); each
 * copy has its own strong ETag, as a strong validator names one byte
 * sequence.
 * index.html is a template: its <base href> gets --static-prefix, so the
 * UI's relative URLs work under any prefix and from any deep link, and its
 * <meta name="mlflowc-auth"> says whether the basic-auth app is on (the UI
 * then has a sign-in page and the user in its header; with auth off it
 * asks nothing about users).
 */
#include "ui.h"
#include "api.h"
#include <strings.h>

#define BASE_MARK "__MLFLOWC_BASE__"
#define AUTH_MARK "__MLFLOWC_AUTH__"

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

/* An RFC 9110 qvalue ("0" ["." 0*3DIGIT] / "1" ["." 0*3"0"]) in
 * thousandths, or -1 when `s` (n bytes, trailing whitespace allowed) is
 * not one. */
static int parse_qvalue(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n || (s[0] != '0' && s[0] != '1'))
		return -1;
	int q = (s[0] - '0') * 1000, scale = 100;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q <= 1000 ? q : -1;
}

static bool coding_is(const char *name, size_t n, const char *coding)
{
	if (n == strlen(coding) && strncasecmp(name, coding, n) == 0)
		return true;
	/* RFC 9110 8.4.1.3: x-gzip is gzip */
	return strcmp(coding, "gzip") == 0 && n == 6 && strncasecmp(name, "x-gzip", 6) == 0;
}

/* Accept-Encoding: a comma list of codings with optional ";q=" weights
 * (RFC 9110 12.5.3). A coding's own entry wins over "*" wherever it
 * stands; of repeated entries the first counts. */
int ui_encoding_weight(const char *ae, const char *coding)
{
	int star = 0;
	bool have_star = false;
	if (!ae)
		return 0;
	for (const char *p = ae; *p;) {
		const char *end = p + strcspn(p, ",");
		p = skip_ows(p);
		size_t n = strcspn(p, ",;");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		int w = 1000;
		for (const char *s = memchr(p, ';', (size_t)(end - p)); s; s = memchr(s + 1, ';', (size_t)(end - s - 1))) {
			const char *t = skip_ows(s + 1);
			if ((t[0] == 'q' || t[0] == 'Q') && t[1] == '=') {
				size_t len = strcspn(t + 2, ",;");
				w = parse_qvalue(t + 2, len);
				if (w < 0)
					w = 0;
			}
		}
		if (n && coding_is(p, n, coding))
			return w;
		if (n == 1 && *p == '*' && !have_star) {
			star = w;
			have_star = true;
		}
		p = *end ? end + 1 : end;
	}
	return have_star ? star : 0;
}

bool ui_accepts_encoding(const char *ae, const char *coding)
{
	return ui_encoding_weight(ae, coding) > 0;
}

enum ui_encoding ui_choose_encoding(const struct ui_asset *a, const char *ae)
{
	int br = a->br ? ui_encoding_weight(ae, "br") : 0;
	int gz = a->gz ? ui_encoding_weight(ae, "gzip") : 0;
	if (br > 0 && br >= gz)
		return UI_BR;
	return gz > 0 ? UI_GZIP : UI_IDENTITY;
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

/* Copies index.html with BASE_MARK replaced by "<prefix>/" and AUTH_MARK
 * by "on" or "off". */
static void add_templated(struct buf *out, const struct ui_asset *a, const char *prefix, bool auth_on)
{
	const char *s = (const char *)a->data, *end = s + a->size;
	size_t blen = strlen(BASE_MARK), alen = strlen(AUTH_MARK);
	while (s < end) {
		const char *base = memmem(s, (size_t)(end - s), BASE_MARK, blen);
		const char *auth = memmem(s, (size_t)(end - s), AUTH_MARK, alen);
		const char *hit = base && (!auth || base < auth) ? base : auth;
		if (!hit) {
			buf_add(out, s, (size_t)(end - s));
			break;
		}
		buf_add(out, s, (size_t)(hit - s));
		if (hit == base) {
			buf_adds(out, prefix);
			buf_addch(out, '/');
			s = hit + blen;
		} else {
			buf_adds(out, auth_on ? "on" : "off");
			s = hit + alen;
		}
	}
}

/* FNV-1a, to tell index.html's ETag under one prefix from another's. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void ui_serve(const struct ui_asset *a, const char *prefix, bool auth_on, const char *ae, const char *inm,
	      struct arena *mem, struct http_response *resp)
{
	bool templated = strcmp(a->path, "/index.html") == 0;
	enum ui_encoding enc = templated ? UI_IDENTITY : ui_choose_encoding(a, ae);
	const char *etags[] = { a->etag, a->gz ? a->etag_gz : NULL, a->br ? a->etag_br : NULL };
	const char *etag = etags[enc];

	if (templated && (*prefix || auth_on)) {
		/* the body depends on the prefix and on auth: "<hash>-p<fnv of prefix>[-a]" */
		size_t n = strlen(a->etag);
		etag = arena_printf(mem, "%.*s-p%08x%s\"", (int)(n > 1 ? n - 1 : 0), a->etag, (unsigned)fnv1a(prefix),
				    auth_on ? "-a" : "");
		etags[UI_IDENTITY] = etag;
	}
	resp->content_type = mime_type(a->path);
	http_response_header(resp, "Cache-Control",
			     strncmp(a->path, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable" : "no-cache");
	http_response_header(resp, "X-Content-Type-Options", "nosniff");
	if ((a->gz || a->br) && !templated)
		http_response_header(resp, "Vary", "Accept-Encoding");
	buf_reset(&resp->body);
	/* The content has not changed if any of its copies' tags is listed;
	 * the 304 names the copy the client holds, so its cache can find the
	 * stored response (RFC 9111 4.3.4), preferring the one chosen now. */
	const char *held = ui_etag_matches(inm, etag) ? etag : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(etags) && !held && !templated; i++)
		if (ui_etag_matches(inm, etags[i]))
			held = etags[i];
	if (held) {
		http_response_header(resp, "ETag", held);
		resp->status = 304;
		return;
	}
	http_response_header(resp, "ETag", etag);
	resp->status = 200;
	if (enc == UI_BR) {
		http_response_header(resp, "Content-Encoding", "br");
		buf_add(&resp->body, a->br, a->br_size);
	} else if (enc == UI_GZIP) {
		http_response_header(resp, "Content-Encoding", "gzip");
		buf_add(&resp->body, a->gz, a->gz_size);
	} else if (templated) {
		add_templated(&resp->body, a, prefix, auth_on);
	} else {
		buf_add(&resp->body, a->data, a->size);
	}
}

const struct ui_asset *ui_find(const char *static_prefix, unsigned method, const char *p)
{
	size_t sp = strlen(static_prefix);

	if (!(method & (HTTP_GET | HTTP_HEAD)))
		return NULL;
	if (sp) {
		if (strncmp(p, static_prefix, sp) != 0 || (p[sp] != '/' && p[sp] != '\0'))
			return NULL;
		p += sp;
	}
	for (size_t i = 0; i < ARRAY_SIZE(api_roots); i++)
		if (strncmp(p, api_roots[i], strlen(api_roots[i])) == 0)
			return NULL;
	const struct ui_asset *a = (*p && strcmp(p, "/") != 0) ? find_asset(p) : NULL;
	if (a)
		return a;
	/* a missing hashed file is a real 404, not a page: a stale
	 * index.html must not get HTML where it asked for a script */
	if (strncmp(p, "/assets/", 8) == 0)
		return NULL;
	return find_asset("/index.html");
}

bool ui_handle(const struct app *app, const struct http_request *req, struct http_response *resp)
{
	const struct ui_asset *a = ui_find(app->static_prefix, req->method, req->path);
	if (!a)
		return false;
	ui_serve(a, app->static_prefix, app->auth != NULL, http_request_header(req, "Accept-Encoding"),
		 http_request_header(req, "If-None-Match"), req->arena, resp);
	return true;
}
