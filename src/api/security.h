/*
 * security.h - protection for browsers, as MLflow 3's security middleware
 * gives it: which Host headers the server answers (DNS rebinding), which
 * origins may make state-changing API calls (cross-site requests), CORS
 * answers, X-Frame-Options, X-Content-Type-Options, and a strict
 * Content-Security-Policy for the UI's HTML.
 *
 * The policy is built once at start-up from --allowed-hosts,
 * --cors-allowed-origins and --x-frame-options (or their MLFLOW_SERVER_*
 * variables). A request is judged from a handful of strings
 * (struct security_request), so the rules are testable without a server:
 *
 *   - Host: every path but /health and /version (with or without the
 *     static prefix) needs a Host header the policy allows, else 403
 *     "Invalid Host header - possible DNS rebinding attack detected". A
 *     missing Host counts as a wrong one. Default: localhost, 127.0.0.1,
 *     [::1] and 0.0.0.0 with any port, and private IP literals (10/8,
 *     172.16/12, 192.168/16, [fc00::/7]) with any port. A list replaces
 *     the default; entries match exactly, or as globs when they hold '*';
 *     "*" allows every host.
 *   - Origin: POST, PUT, DELETE and PATCH on /api/ and /ajax-api/ paths
 *     carrying an Origin header are refused (403 "Cross-origin request
 *     blocked") unless the origin is a localhost one (any scheme and
 *     port), the server's own (its authority equals the Host header), or
 *     listed (exact or glob; "*" allows all).
 *   - CORS: a preflight (OPTIONS with Origin and
 *     Access-Control-Request-Method) gets 200 "OK" with the CORS headers
 *     for an allowed origin, 400 "Disallowed CORS origin" otherwise;
 *     other answers to an allowed origin carry Access-Control-Allow-Origin.
 *   - Headers on every answer: X-Content-Type-Options: nosniff, and
 *     X-Frame-Options unless it is NONE; an OPTIONS answered 200 on an API
 *     path becomes 204 with no body.
 *
 * Names are compared without regard to case. Unlike MLflow's globs
 * ("10.*"), the private ranges match IP literals only, so a name such as
 * 10.evil.example does not pass for a private address.
 */
#ifndef MLF_SECURITY_H
#define MLF_SECURITY_H

#include "../base/common.h"
#include "../base/err.h"

struct http_response;

struct security_policy {
	bool any_host;             /* "*" listed: no Host check */
	char **hosts;              /* the --allowed-hosts entries; NULL: the default set */
	size_t n_hosts;
	bool any_origin;           /* "*" listed: no cross-origin refusal */
	char **origins;            /* the --cors-allowed-origins entries */
	size_t n_origins;
	const char *x_frame_options; /* "SAMEORIGIN" or "DENY"; NULL for NONE */
	const char *csp;           /* the UI's Content-Security-Policy (static) */
};

/* What the policy looks at in a request. Strings are borrowed; NULL
 * means the header is absent. */
struct security_request {
	unsigned method;                /* an enum http_method bit */
	const char *path;               /* decoded, with the static prefix */
	const char *host;               /* Host */
	const char *origin;             /* Origin */
	const char *preflight_method;   /* Access-Control-Request-Method */
	const char *preflight_headers;  /* Access-Control-Request-Headers */
};

enum security_verdict {
	SECURITY_PASS,         /* route the request */
	SECURITY_BAD_HOST,     /* 403: Host not allowed */
	SECURITY_CROSS_ORIGIN, /* 403: state-changing call from a foreign origin */
	SECURITY_PREFLIGHT,    /* answered by the policy itself (CORS preflight) */
};

/* Builds a policy from comma-separated lists (NULL or "" gives the
 * default; entries are trimmed, empty ones skipped) and an X-Frame-Options
 * value (NULL: SAMEORIGIN; SAMEORIGIN, DENY or NONE in any case). Fails
 * with INVALID_PARAMETER_VALUE on another X-Frame-Options value. The
 * policy owns its copies; free it with security_policy_free. */
int security_policy_init(struct security_policy *p, const char *allowed_hosts, const char *allowed_origins,
			 const char *x_frame_options, struct mlf_err *err);
void security_policy_free(struct security_policy *p);

/* Whether the policy answers a request with this Host header (NULL or ""
 * is refused). */
bool security_host_allowed(const struct security_policy *p, const char *host);
/* Whether an Origin names localhost, 127.0.0.1 or ::1 (any scheme, port). */
bool security_is_localhost_origin(const char *origin);
/* Whether `origin` may call the API: localhost, the server's own (`host`
 * is the request's Host header, may be NULL), listed, or any with "*". */
bool security_origin_allowed(const struct security_policy *p, const char *origin, const char *host);
/* Whether a decoded path is an API path (/api/, /ajax-api/, also after
 * the static prefix). */
bool security_is_api_path(const char *static_prefix, const char *path);

/* Judges a request before it is routed. */
enum security_verdict security_check(const struct security_policy *p, const char *static_prefix,
				     const struct security_request *r);
/* Writes the answer for a verdict other than SECURITY_PASS: the plain-text
 * 403, or the preflight's 200/400 with its CORS headers. Header values are
 * static or borrowed from `r`. */
void security_answer(const struct security_policy *p, enum security_verdict v, const struct security_request *r,
		     struct http_response *resp);
/* Adds the headers every answer gets (see above) to `resp`, the CSP when
 * `ui_html` (the answer is the UI's HTML), and turns an API OPTIONS 200
 * into 204. Header values are static or borrowed from `r`. */
void security_finish(const struct security_policy *p, const char *static_prefix, const struct security_request *r,
		     bool ui_html, struct http_response *resp);

#endif
