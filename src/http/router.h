/*
 * router.h - a generic route table: which row answers a method and a path,
 * and what each row needs before its handler may run.
 *
 * A row is written with designated initialisers and names one handler for
 * its methods (a handler never looks at the method to choose what to do).
 * Besides where it is mounted (below an API prefix, below --static-prefix,
 * or at the root with or without it) and how its path matches (exactly,
 * as a prefix, or as a pattern with {name} segments), each row says what it
 * touches (a resource kind and where the request carries that resource's
 * id) and the permission the sender needs on it. Authentication reads
 * those columns; the router itself only matches.
 *
 * Rows rank in three tiers: ordinary rows never overlap (a unit test holds
 * the tables to it); a ROUTE_FALLBACK row answers what no ordinary row of
 * its path serves; the ROUTE_DEFAULT row (the web UI) answers a path no row
 * knows at all. The router knows neither JSON nor the application: the
 * handler type takes an opaque struct api_ctx.
 */
#ifndef MLF_ROUTER_H
#define MLF_ROUTER_H

#include "../base/common.h"

struct api_ctx;
typedef int (*route_handler_fn)(struct api_ctx *c);

/* Where a row's path is rooted. */
enum route_mount {
	ROUTE_AT_API,  /* below --static-prefix and /api/2.0 or /ajax-api/2.0 (MLflow serves both) */
	ROUTE_AT_SITE, /* below --static-prefix */
	ROUTE_AT_ROOT, /* with or without --static-prefix (probes that do not know it) */
};

enum route_match {
	ROUTE_EXACT,   /* the decoded path equals `path` */
	ROUTE_PREFIX,  /* the raw path is `path` + "/" + anything (the rest: hit.tail) */
	ROUTE_PATTERN, /* the raw path, where a "{name}" segment takes one non-empty segment */
	ROUTE_ANY,     /* every path at the mount (the default row) */
};

enum route_rank {
	ROUTE_ORDINARY, /* 0: rows that never overlap */
	ROUTE_FALLBACK, /* after every ordinary row: answers the rest of a known path */
	ROUTE_DEFAULT,  /* only when no row knows the path */
};

/* What the sender needs on the route's resource; 0 is "not said", which a
 * unit test refuses. Values follow MLflow's basic-auth app
 * (mlflow/server/auth/__init__.py): its can_read is READ, can_update EDIT,
 * can_delete and can_manage MANAGE, sender_is_admin ADMIN; routes it leaves
 * without a validator, behind sign-in, are SIGNED_IN; routes it does not
 * protect (/health, static files) are PUBLIC. */
enum route_permission {
	ROUTE_PERMISSION_UNSET,
	ROUTE_PUBLIC,
	ROUTE_SIGNED_IN,
	ROUTE_READ,
	ROUTE_EDIT,
	ROUTE_MANAGE,
	ROUTE_ADMIN,
	ROUTE_SELF, /* the user the request names (`id`), or an admin: MLflow's users/get */
};

/* The kind of thing whose permission is checked; 0 is "not said". */
enum route_resource {
	ROUTE_RESOURCE_UNSET,
	ROUTE_NO_RESOURCE,
	ROUTE_EXPERIMENT,
	ROUTE_RUN, /* checked on its experiment, as MLflow does */
	ROUTE_LOGGED_MODEL,
	ROUTE_REGISTERED_MODEL,
	ROUTE_MODEL_VERSION,
	ROUTE_ARTIFACT, /* a proxied artifact path: <experiment id>/<run id>/... */
	ROUTE_PROMPT,
};

/* Where the request carries the resource's id (`id` names it). */
enum route_locator {
	ROUTE_LOCATOR_UNSET,
	ROUTE_ID_NONE,    /* no resource */
	ROUTE_ID_QUERY,   /* query parameter `id` */
	ROUTE_ID_BODY,    /* JSON body field `id` */
	ROUTE_ID_PARAM,   /* `id` from the query on GET, else the body (MLflow's _get_request_param) */
	ROUTE_ID_PATH,    /* the pattern segment {id}, or for a prefix row the rest of the path */
	ROUTE_ID_DERIVED, /* from another id the request names (`id`: e.g. a run's experiment) */
	ROUTE_ID_RESULTS, /* a search: each result is checked (filtered), `id` names the scope */
};

struct route {
	unsigned methods; /* enum http_method bits; a GET row serves HEAD too */
	enum route_mount at;
	enum route_match match;
	const char *path;
	route_handler_fn handler; /* NULL: a known endpoint not served yet */
	unsigned flags;           /* the application's (src/api/routes.h) */
	enum route_rank rank;
	enum route_resource resource;
	enum route_locator locate;
	const char *id;
	enum route_permission permission;
};

/* A table of rows (one per service area). */
struct route_table {
	const struct route *rows;
	const size_t *n;
};

/* The request's path as seen from each mount: decoded and raw, NULL when
 * the request is not below it. `root` is the path as sent. */
struct router_target {
	const char *path;
	const char *raw;
};
struct router_view {
	struct router_target api, site, root;
};

#define ROUTE_MAX_SEGMENTS 4

/* What a matching row took from the raw path: the rest after a prefix
 * row's path and '/', the {name} segments of a pattern row (not
 * NUL-terminated; borrowed from the request). */
struct route_hit {
	const char *tail;
	const char *seg[ROUTE_MAX_SEGMENTS];
	size_t seg_len[ROUTE_MAX_SEGMENTS];
	size_t n_seg;
};

struct route_lookup {
	const struct route *route;  /* the row serving the method, or NULL */
	struct route_hit hit;       /* its match */
	unsigned path_methods;      /* methods of the ordinary and fallback rows knowing the path; 0: unknown */
	enum route_mount path_at;   /* where the first of them is mounted */
};

/* Whether row `r` matches the path of `v` (ignoring methods); fills *hit. */
bool router_row_matches(const struct route *r, const struct router_view *v, struct route_hit *hit);

/* Looks `method` (an enum http_method bit; HEAD as GET) and the path of `v`
 * up in `n` tables, tier by tier (see above). Rows are borrowed from the
 * tables, hit pointers from `v`. */
void router_lookup(const struct route_table *tables, size_t n, const struct router_view *v, unsigned method,
		   struct route_lookup *out);

/* The pattern segment named `name` of `r` ("{name}"), as an index into
 * hit.seg, or -1. */
int router_segment_index(const struct route *r, const char *name);

#endif
