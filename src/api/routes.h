/*
 * routes.h - the shape of a route table row. Each service area keeps its
 * rows in a table of its own (routes.c for tracking, routes_registry.c for
 * the model registry, routes_logged_models.c for MLflow 3's logged
 * models); routes.c looks a request up in all of them.
 */
#ifndef MLF_ROUTES_H
#define MLF_ROUTES_H

#include "api.h"

enum route_flags {
	ROUTE_NO_JSON_CHECK = 1 << 0, /* the body is not JSON (uploads) */
	ROUTE_LAZY_BODY = 1 << 1,     /* the handler reads the body itself (api_parse_body) */
	ROUTE_PREFIX = 1 << 2,        /* matches `path` + "/" + anything (c->subpath) */
	ROUTE_RAW_RESPONSE = 1 << 3,  /* the handler fills c->resp itself, not JSON via c->w */
	ROUTE_ARTIFACTS = 1 << 4,     /* part of the artifact proxy (503 without --serve-artifacts) */
};

struct route {
	unsigned methods; /* enum http_method bits */
	const char *path; /* below /api/2.0 */
	api_handler_fn fn; /* NULL: a known endpoint not served yet (404, empty body) */
	unsigned flags;
};

extern const struct route registry_routes[];
extern const size_t registry_routes_n;
extern const struct route logged_model_routes[];
extern const size_t logged_model_routes_n;

/* The row serving `req` below the static and API prefixes, or NULL: a
 * static pointer into one of the tables. *path_known tells whether some
 * row serves the path with another method; *subpath (ROUTE_PREFIX rows,
 * else NULL) points into req->raw_path after the row's prefix and "/".
 * HEAD matches as GET. */
const struct route *api_route_find(const struct app *app, const struct http_request *req, bool *path_known,
				   const char **subpath);

#endif
