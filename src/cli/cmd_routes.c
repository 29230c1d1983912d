/*
 * cmd_routes.c - `mlflowc routes`: the server's route table as JSON lines,
 * one per row: its methods, mount, path and how it matches, and the
 * permission it needs on which resource (what the auth gate checks). For
 * people writing a proxy or a policy in front of the server, and for the
 * test that drives every route with every role (tests/blackbox/test_auth.py).
 */
#include "cli.h"
#include "../api/routes.h"
#include "../base/buf.h"
#include "../json/jw.h"

static const char *const permission_names[] = {
	[ROUTE_PERMISSION_UNSET] = "unset", [ROUTE_PUBLIC] = "public", [ROUTE_SIGNED_IN] = "signed_in",
	[ROUTE_READ] = "read",		    [ROUTE_EDIT] = "edit",     [ROUTE_MANAGE] = "manage",
	[ROUTE_ADMIN] = "admin",	    [ROUTE_SELF] = "self",
};
static const char *const resource_names[] = {
	[ROUTE_RESOURCE_UNSET] = "unset",	 [ROUTE_NO_RESOURCE] = "none",	     [ROUTE_EXPERIMENT] = "experiment",
	[ROUTE_RUN] = "run",			 [ROUTE_LOGGED_MODEL] = "logged_model",
	[ROUTE_REGISTERED_MODEL] = "registered_model", [ROUTE_MODEL_VERSION] = "model_version",
	[ROUTE_ARTIFACT] = "artifact",		 [ROUTE_PROMPT] = "prompt",
};
static const char *const locator_names[] = {
	[ROUTE_LOCATOR_UNSET] = "unset", [ROUTE_ID_NONE] = "none",	   [ROUTE_ID_QUERY] = "query",
	[ROUTE_ID_BODY] = "body",	 [ROUTE_ID_PARAM] = "param",	   [ROUTE_ID_PATH] = "path",
	[ROUTE_ID_DERIVED] = "derived",	 [ROUTE_ID_RESULTS] = "results",
};
static const char *const mount_names[] = { [ROUTE_AT_API] = "api", [ROUTE_AT_SITE] = "site", [ROUTE_AT_ROOT] = "root" };
static const char *const match_names[] = { [ROUTE_EXACT] = "exact", [ROUTE_PREFIX] = "prefix",
					   [ROUTE_PATTERN] = "pattern", [ROUTE_ANY] = "any" };
static const struct {
	unsigned bit;
	const char *name;
} method_names[] = {
	{ HTTP_GET, "GET" }, { HTTP_POST, "POST" }, { HTTP_PUT, "PUT" }, { HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" },
};

static void print_row(const struct route *r)
{
	struct buf b = BUF_INIT;
	struct jw w;
	jw_init(&w, &b);
	jw_obj_begin(&w);
	jw_key(&w, "methods");
	jw_arr_begin(&w);
	for (size_t i = 0; i < ARRAY_SIZE(method_names); i++)
		if (r->methods & method_names[i].bit)
			jw_str(&w, method_names[i].name);
	jw_arr_end(&w);
	jw_kv_str(&w, "at", mount_names[r->at]);
	jw_kv_str(&w, "match", match_names[r->match]);
	jw_kv_str(&w, "path", r->path ? r->path : "");
	jw_kv_bool(&w, "served", r->handler != NULL);
	jw_kv_str(&w, "permission", permission_names[r->permission]);
	jw_kv_str(&w, "resource", resource_names[r->resource]);
	jw_kv_str(&w, "locate", locator_names[r->locate]);
	if (r->id)
		jw_kv_str(&w, "id", r->id);
	jw_kv_bool(&w, "filters_ids", (r->flags & ROUTE_AUTH_FILTER_IDS) != 0);
	jw_obj_end(&w);
	printf("%.*s\n", (int)b.len, b.ptr);
	buf_release(&b);
}

int cmd_routes(int argc, char **argv)
{
	static const struct cli_option options[] = { { 0 } };
	int parsed = cli_parse("routes", options, argc, argv, &(int){ 0 });
	if (parsed) {
		if (parsed > 0)
			cli_usage(stdout, "routes",
				  "Print the route table as JSON lines: methods, path, and the permission each needs.",
				  options);
		return parsed > 0 ? 0 : 2;
	}
	for (size_t t = 0; t < api_route_tables_n; t++)
		for (size_t i = 0; i < *api_route_tables[t].n; i++)
			print_row(&api_route_tables[t].rows[i]);
	return 0;
}
