/*
 * routes_registry.c - the model registry's rows of the route table: every
 * registered-model and model-version endpoint of MLflow's registry API,
 * and mlflowc's own history endpoint under /mlflowc/. MLflow's basic-auth
 * app checks every one of them on the registered model the request names
 * (`name`), model versions included; a search's answer is filtered.
 */
#include "api_registry.h"
#include "routes.h"

#define GET HTTP_GET
#define POST HTTP_POST
#define PATCH HTTP_PATCH
#define DELETE HTTP_DELETE
/* The registered model named by the request's `name`. */
#define MODEL(perm) .resource = ROUTE_REGISTERED_MODEL, .locate = ROUTE_ID_PARAM, .id = "name", .permission = perm
#define FILTERED .resource = ROUTE_REGISTERED_MODEL, .locate = ROUTE_ID_RESULTS, .permission = ROUTE_READ

const struct route registry_routes[] = {
	/* MLflow: any signed-in user creates one, and gets MANAGE on it */
	{ .methods = POST, .path = "/mlflow/registered-models/create", .handler = api_registry_model_create,
	  .flags = ROUTE_AUTH_GRANT_MODEL, .resource = ROUTE_NO_RESOURCE, .locate = ROUTE_ID_NONE, .permission = ROUTE_SIGNED_IN },
	{ .methods = GET, .path = "/mlflow/registered-models/get", .handler = api_registry_model_get, MODEL(ROUTE_READ) },
	{ .methods = POST, .path = "/mlflow/registered-models/rename", .handler = api_registry_model_rename,
	  .flags = ROUTE_AUTH_MODEL_RENAMED, MODEL(ROUTE_EDIT) },
	{ .methods = PATCH, .path = "/mlflow/registered-models/update", .handler = api_registry_model_update,
	  MODEL(ROUTE_EDIT) },
	{ .methods = DELETE, .path = "/mlflow/registered-models/delete", .handler = api_registry_model_delete,
	  .flags = ROUTE_AUTH_MODEL_DELETED, MODEL(ROUTE_MANAGE) },
	{ .methods = GET, .path = "/mlflow/registered-models/search", .handler = api_registry_model_search, FILTERED },
	{ .methods = POST | GET, .path = "/mlflow/registered-models/get-latest-versions",
	  .handler = api_registry_latest_versions, MODEL(ROUTE_READ) },
	{ .methods = POST, .path = "/mlflow/registered-models/set-tag", .handler = api_registry_model_set_tag,
	  MODEL(ROUTE_EDIT) },
	{ .methods = DELETE, .path = "/mlflow/registered-models/delete-tag", .handler = api_registry_model_delete_tag,
	  MODEL(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/registered-models/alias", .handler = api_registry_alias_set,
	  MODEL(ROUTE_EDIT) },
	{ .methods = DELETE, .path = "/mlflow/registered-models/alias", .handler = api_registry_alias_delete,
	  MODEL(ROUTE_MANAGE) },
	{ .methods = GET, .path = "/mlflow/registered-models/alias", .handler = api_registry_alias_get,
	  MODEL(ROUTE_READ) },
	{ .methods = POST, .path = "/mlflow/model-versions/create", .handler = api_registry_version_create,
	  MODEL(ROUTE_EDIT) },
	{ .methods = GET, .path = "/mlflow/model-versions/get", .handler = api_registry_version_get, MODEL(ROUTE_READ) },
	{ .methods = PATCH, .path = "/mlflow/model-versions/update", .handler = api_registry_version_update,
	  MODEL(ROUTE_EDIT) },
	{ .methods = DELETE, .path = "/mlflow/model-versions/delete", .handler = api_registry_version_delete,
	  MODEL(ROUTE_MANAGE) },
	{ .methods = GET, .path = "/mlflow/model-versions/search", .handler = api_registry_version_search, FILTERED },
	{ .methods = GET, .path = "/mlflow/model-versions/get-download-uri",
	  .handler = api_registry_version_download_uri, MODEL(ROUTE_READ) },
	{ .methods = POST, .path = "/mlflow/model-versions/transition-stage", .handler = api_registry_version_transition,
	  MODEL(ROUTE_EDIT) },
	{ .methods = POST, .path = "/mlflow/model-versions/set-tag", .handler = api_registry_version_set_tag,
	  MODEL(ROUTE_EDIT) },
	{ .methods = DELETE, .path = "/mlflow/model-versions/delete-tag", .handler = api_registry_version_delete_tag,
	  MODEL(ROUTE_MANAGE) },
	/* ours: the audit trail of stage transitions and alias moves */
	{ .methods = GET, .path = "/mlflowc/registered-models/history", .handler = api_registry_history,
	  MODEL(ROUTE_READ) },
};
const size_t registry_routes_n = ARRAY_SIZE(registry_routes);
