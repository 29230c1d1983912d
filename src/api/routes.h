/*
 * routes.h - the server's route tables over the generic router
 * (src/http/router.h). Every route is a row: the REST API (routes.c for
 * tracking and the artifact proxy, routes_registry.c for the model
 * registry, routes_logged_models.c for MLflow 3's logged models), /health,
 * /version, the UI's artifact downloads and the web UI itself (routes.c).
 * Each row names one handler, what it touches and the permission it needs;
 * routes.c looks a request up in all the tables and runs the row's handler.
 */
#ifndef MLF_ROUTES_H
#define MLF_ROUTES_H

#include "api.h"
#include "../http/router.h"

/* The application's bits of struct route.flags. */
enum route_flags {
	ROUTE_NO_JSON_CHECK = 1 << 0, /* the body is not JSON (uploads) */
	ROUTE_LAZY_BODY = 1 << 1,     /* the handler reads the body itself (api_parse_body) */
	ROUTE_RAW_RESPONSE = 1 << 3,  /* the handler fills c->resp itself, not JSON via c->w */
	ROUTE_ARTIFACTS = 1 << 4,     /* part of the artifact proxy (503 without --serve-artifacts) */
	ROUTE_ANY_MODE = 1 << 5,      /* served by every server, --artifacts-only too */
	ROUTE_IGNORE_BODY = 1 << 6,   /* neither Content-Type nor body is looked at */
	ROUTE_UI = 1 << 7,            /* the web UI's pages (security.h treats its HTML apart) */
	/* what the auth gate does around the handler (auth_gate.h) */
	ROUTE_AUTH_GRANT_EXPERIMENT = 1 << 8, /* the sender gets MANAGE on the experiment made */
	ROUTE_AUTH_GRANT_MODEL = 1 << 9,      /* ... on the registered model made (`name`) */
	ROUTE_AUTH_MODEL_RENAMED = 1 << 10,   /* permission rows follow `name` to `new_name` */
	ROUTE_AUTH_MODEL_DELETED = 1 << 11,   /* permission rows of `name` go */
	ROUTE_AUTH_FILTER_IDS = 1 << 12,      /* unreadable ids of the `id` list are dropped, not refused */
};

/* Every method, for rows whose answer does not depend on it. */
#define ROUTE_ANY_METHOD \
	(HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE | HTTP_HEAD | HTTP_OPTIONS | HTTP_OTHER)

extern const struct route tracking_routes[];
extern const size_t tracking_routes_n;
extern const struct route registry_routes[];
extern const size_t registry_routes_n;
extern const struct route logged_model_routes[];
extern const size_t logged_model_routes_n;
extern const struct route auth_routes[];
extern const size_t auth_routes_n;
extern const struct route site_routes[];
extern const size_t site_routes_n;

/* Every table, in the order they are searched. */
extern const struct route_table api_route_tables[];
extern const size_t api_route_tables_n;

/* api_router_view: the request's paths as seen from each mount under
 * app->static_prefix (borrowed from `req`). api_route_lookup: the row
 * serving `req` and what it matched, as router_lookup reports it (rows
 * are static, hit pointers point into req->raw_path). */
void api_router_view(const struct app *app, const struct http_request *req, struct router_view *v);
void api_route_lookup(const struct app *app, const struct http_request *req, struct route_lookup *out);

#endif
