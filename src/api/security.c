/*
 * security.c - Host, Origin and CORS rules and the browser-facing headers;
 * see security.h for the rules themselves.
 *
 * Globs are fnmatch(3) patterns without backslash escapes and without
 * regard to case (MLflow uses Python's fnmatch, which has no escapes
 * either). The default hosts are not globs: the Host header is split into
 * a name and an optional numeric port, and the name must be one of the
 * loopback names or a private IP literal.
 */
#include "security.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../http/http.h"
#include <arpa/inet.h>
#include <fnmatch.h>
#include <strings.h>

#define INVALID_HOST_MSG "Invalid Host header - possible DNS rebinding attack detected"
#define CORS_BLOCKED_MSG "Cross-origin request blocked"

/* Allowed in a preflight's Access-Control-Request-Method (MLflow's list). */
#define CORS_METHODS "GET, POST, PUT, DELETE, OPTIONS, PATCH"
/* With "*" in the origins every method is (Starlette's full list). */
#define CORS_ALL_METHODS "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"

/* The UI is one module script, one stylesheet and same-origin fetches;
 * its favicon is a data: URL, its images come from the artifact routes,
 * and it sets styles through the CSSOM only (never a style attribute).
 * frame-ancestors follows X-Frame-Options, which browsers ignore when a
 * CSP names frame-ancestors. */
#define CSP_BASE                                                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	"font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"

static const struct {
	const char *name;   /* --x-frame-options value */
	const char *header; /* X-Frame-Options, NULL for none */
	const char *csp;
} frame_options[] = {
	{ "SAMEORIGIN", "SAMEORIGIN", CSP_BASE "; frame-ancestors 'self'" },
	{ "DENY", "DENY", CSP_BASE "; frame-ancestors 'none'" },
	{ "NONE", NULL, CSP_BASE },
};

static const char *const loopback_names[] = { "localhost", "127.0.0.1", "0.0.0.0" };
static const char *const localhost_origin_names[] = { "localhost", "127.0.0.1", "::1" };
static const char *const exempt_paths[] = { "/health", "/version" };
static const char *const api_roots[] = { "/api/", "/ajax-api/" };
static const unsigned state_changing = HTTP_POST | HTTP_PUT | HTTP_DELETE | HTTP_PATCH;

/* Splits "a, b,,c" into trimmed, non-empty copies; sets *any when one is "*". */
static void split_list(const char *list, char ***out, size_t *n, bool *any)
{
	*out = NULL;
	*n = 0;
	*any = false;
	if (!list)
		return;
	size_t cap = 1;
	for (const char *s = list; *s; s++)
		cap += *s == ',';
	*out = xcalloc(cap, sizeof(**out));
	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");
		const char *b = s, *e = s + len;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > b) {
			char *item = xmalloc((size_t)(e - b) + 1);
			memcpy(item, b, (size_t)(e - b));
			item[e - b] = '\0';
			if (strcmp(item, "*") == 0)
				*any = true;
			(*out)[(*n)++] = item;
		}
		s += len;
		if (*s)
			s++;
	}
}

static void free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

int security_policy_init(struct security_policy *p, const char *allowed_hosts, const char *allowed_origins,
			 const char *x_frame_options, struct mlf_err *err)
{
	size_t f = 0;
	memset(p, 0, sizeof(*p));
	if (x_frame_options) {
		for (f = 0; f < ARRAY_SIZE(frame_options); f++)
			if (strcasecmp(x_frame_options, frame_options[f].name) == 0)
				break;
		if (f == ARRAY_SIZE(frame_options))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "--x-frame-options must be SAMEORIGIN, DENY or NONE, not '%s'", x_frame_options);
	}
	p->x_frame_options = frame_options[f].header;
	p->csp = frame_options[f].csp;
	split_list(allowed_hosts, &p->hosts, &p->n_hosts, &p->any_host);
	if (!p->n_hosts) { /* "" or only commas: the default, as MLflow's empty variable */
		free(p->hosts);
		p->hosts = NULL;
	}
	split_list(allowed_origins, &p->origins, &p->n_origins, &p->any_origin);
	return 0;
}

void security_policy_free(struct security_policy *p)
{
	if (!p)
		return;
	free_list(p->hosts, p->n_hosts);
	free_list(p->origins, p->n_origins);
	memset(p, 0, sizeof(*p));
}

/* An entry matches exactly, or as a glob when it holds '*'. */
static bool entry_matches(const char *pattern, const char *value)
{
	if (strchr(pattern, '*'))
		return fnmatch(pattern, value, FNM_NOESCAPE | FNM_CASEFOLD) == 0;
	return strcasecmp(pattern, value) == 0;
}

static bool is_port(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n >= 1 && n <= 5 && s[n] == '\0';
}

static bool private_ipv4(const char *name)
{
	unsigned char a[4];
	if (inet_pton(AF_INET, name, a) != 1)
		return false;
	return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168);
}

/* The default set: loopback names and private IP literals, any port. */
static bool default_host_allowed(const char *host)
{
	char name[64];
	const char *port;
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		if (!end || (size_t)(end - host - 1) >= sizeof(name))
			return false;
		port = end + 1;
		if (*port && (*port != ':' || !is_port(port + 1)))
			return false;
		memcpy(name, host + 1, (size_t)(end - host - 1));
		name[end - host - 1] = '\0';
		unsigned char a[16];
		static const unsigned char loopback6[16] = { [15] = 1 };
		if (inet_pton(AF_INET6, name, a) != 1)
			return false;
		return memcmp(a, loopback6, sizeof(a)) == 0 || (a[0] & 0xfe) == 0xfc;
	}
	size_t n = strcspn(host, ":");
	if (n >= sizeof(name))
		return false;
	port = host + n;
	if (*port && !is_port(port + 1))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(loopback_names); i++)
		if (strcasecmp(name, loopback_names[i]) == 0)
			return true;
	return private_ipv4(name);
}

bool security_host_allowed(const struct security_policy *p, const char *host)
{
	if (p->any_host)
		return true;
	if (!host || !*host)
		return false;
	if (!p->hosts)
		return default_host_allowed(host);
	for (size_t i = 0; i < p->n_hosts; i++)
		if (entry_matches(p->hosts[i], host))
			return true;
	return false;
}

/* The host of a URL-like origin ("scheme://user@host:port/..."), brackets
 * removed, into `out`; false when there is none. */
static bool origin_hostname(const char *origin, char *out, size_t cap)
{
	const char *s = strstr(origin, "://");
	if (!s)
		return false;
	s += 3;
	size_t alen = strcspn(s, "/?#");
	const char *end = s + alen;
	for (const char *at = s; at < end; at++) /* userinfo ends at the last '@' */
		if (*at == '@')
			s = at + 1;
	const char *b = s, *e;
	if (*b == '[') {
		b++;
		e = memchr(b, ']', (size_t)(end - b));
		if (!e)
			return false;
	} else {
		e = memchr(b, ':', (size_t)(end - b));
		if (!e)
			e = end;
	}
	if (e == b || (size_t)(e - b) >= cap)
		return false;
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = '\0';
	return true;
}

bool security_is_localhost_origin(const char *origin)
{
	char name[256];
	if (!origin || !origin_hostname(origin, name, sizeof(name)))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(localhost_origin_names); i++)
		if (strcasecmp(name, localhost_origin_names[i]) == 0)
			return true;
	return false;
}

/* "http://<host>" or "https://<host>": the page came from this server. */
static bool same_origin(const char *origin, const char *host)
{
	static const char *const schemes[] = { "http://", "https://" };
	if (!host || !*host)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
		size_t n = strlen(schemes[i]);
		if (strncasecmp(origin, schemes[i], n) == 0 && strcasecmp(origin + n, host) == 0)
			return true;
	}
	return false;
}

bool security_origin_allowed(const struct security_policy *p, const char *origin, const char *host)
{
	if (!origin || !*origin)
		return false;
	if (p->any_origin || security_is_localhost_origin(origin) || same_origin(origin, host))
		return true;
	for (size_t i = 0; i < p->n_origins; i++)
		if (entry_matches(p->origins[i], origin))
			return true;
	return false;
}

static const char *after_prefix(const char *static_prefix, const char *path)
{
	size_t sp = strlen(static_prefix);
	return sp && strncmp(path, static_prefix, sp) == 0 ? path + sp : NULL;
}

static bool has_api_root(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(api_roots); i++)
		if (strncmp(path, api_roots[i], strlen(api_roots[i])) == 0)
			return true;
	return false;
}

bool security_is_api_path(const char *static_prefix, const char *path)
{
	const char *rest = after_prefix(static_prefix, path);
	return has_api_root(path) || (rest && has_api_root(rest));
}

static bool is_exempt(const char *static_prefix, const char *path)
{
	const char *rest = after_prefix(static_prefix, path);
	for (size_t i = 0; i < ARRAY_SIZE(exempt_paths); i++)
		if (strcmp(path, exempt_paths[i]) == 0 || (rest && strcmp(rest, exempt_paths[i]) == 0))
			return true;
	return false;
}

enum security_verdict security_check(const struct security_policy *p, const char *static_prefix,
				     const struct security_request *r)
{
	if (!is_exempt(static_prefix, r->path) && !security_host_allowed(p, r->host)) {
		log_warn("refused a request for Host '%.200s': not in --allowed-hosts", r->host ? r->host : "");
		return SECURITY_BAD_HOST;
	}
	if (r->method == HTTP_OPTIONS && r->origin && r->preflight_method)
		return SECURITY_PREFLIGHT;
	if ((r->method & state_changing) && r->origin && *r->origin && security_is_api_path(static_prefix, r->path) &&
	    !security_origin_allowed(p, r->origin, r->host)) {
		log_warn("refused a cross-origin %s from '%.200s': not in --cors-allowed-origins",
			 r->path, r->origin);
		return SECURITY_CROSS_ORIGIN;
	}
	return SECURITY_PASS;
}

static void answer_text(struct http_response *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	buf_adds(&resp->body, text);
}

/* Whether a preflight's method is one a CORS request may use. */
static bool preflight_method_allowed(const struct security_policy *p, const char *method)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD" };
	size_t n = ARRAY_SIZE(methods) - (p->any_origin ? 0 : 1); /* HEAD only with "*" */
	for (size_t i = 0; i < n; i++)
		if (strcmp(method, methods[i]) == 0)
			return true;
	return false;
}

void security_answer(const struct security_policy *p, enum security_verdict v, const struct security_request *r,
		     struct http_response *resp)
{
	if (v == SECURITY_BAD_HOST) {
		answer_text(resp, 403, INVALID_HOST_MSG);
		return;
	}
	if (v == SECURITY_CROSS_ORIGIN) {
		answer_text(resp, 403, CORS_BLOCKED_MSG);
		return;
	}
	if (v != SECURITY_PREFLIGHT)
		return;
	bool origin_ok = security_origin_allowed(p, r->origin, r->host);
	bool method_ok = preflight_method_allowed(p, r->preflight_method);
	if (p->any_origin) {
		http_response_header(resp, "Access-Control-Allow-Origin", "*");
		http_response_header(resp, "Access-Control-Allow-Methods", CORS_ALL_METHODS);
	} else {
		http_response_header(resp, "Vary", "Origin");
		if (origin_ok)
			http_response_header(resp, "Access-Control-Allow-Origin", r->origin);
		http_response_header(resp, "Access-Control-Allow-Methods", CORS_METHODS);
		http_response_header(resp, "Access-Control-Allow-Credentials", "true");
	}
	http_response_header(resp, "Access-Control-Max-Age", "600");
	if (r->preflight_headers)
		http_response_header(resp, "Access-Control-Allow-Headers", r->preflight_headers);
	if (!origin_ok || !method_ok)
		answer_text(resp, 400,
			    !origin_ok && !method_ok ? "Disallowed CORS origin, method"
			    : !origin_ok	     ? "Disallowed CORS origin"
						     : "Disallowed CORS method");
	else
		answer_text(resp, 200, "OK");
}

static bool has_header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < HTTP_MAX_EXTRA_HEADERS && resp->header_names[i]; i++)
		if (strcasecmp(resp->header_names[i], name) == 0)
			return true;
	return false;
}

void security_finish(const struct security_policy *p, const char *static_prefix, const struct security_request *r,
		     bool ui_html, struct http_response *resp)
{
	if (!has_header(resp, "X-Content-Type-Options"))
		http_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (p->x_frame_options)
		http_response_header(resp, "X-Frame-Options", p->x_frame_options);
	if (ui_html)
		http_response_header(resp, "Content-Security-Policy", p->csp);
	/* the CORS headers of an answer to another origin the policy allows
	 * (a preflight has its own) */
	if (r->origin && *r->origin && !has_header(resp, "Access-Control-Allow-Origin")) {
		if (p->any_origin) {
			http_response_header(resp, "Access-Control-Allow-Origin", "*");
		} else if (security_origin_allowed(p, r->origin, r->host)) {
			http_response_header(resp, "Access-Control-Allow-Origin", r->origin);
			http_response_header(resp, "Access-Control-Allow-Credentials", "true");
			http_response_header(resp, "Vary", "Origin");
		}
	}
	if (r->method == HTTP_OPTIONS && resp->status == 200 && security_is_api_path(static_prefix, r->path) &&
	    !has_header(resp, "Access-Control-Allow-Methods")) {
		resp->status = 204;
		buf_reset(&resp->body);
	}
}
