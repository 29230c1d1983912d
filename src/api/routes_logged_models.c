/*
 * routes_logged_models.c - the route rows of MLflow 3's logged models and
 * runs/outputs. The endpoints with a model id in the path are pattern rows
 * ({model_id}, checked on the logged model, as MLflow's basic-auth app
 * does); the fallback row keeps every other path below /logged-models/
 * known, so it answers 404 ENDPOINT_NOT_FOUND for a method it serves and
 * 405 for one it does not.
 */
#include "api_logged_models.h"
#include "routes.h"

#define GET HTTP_GET
#define POST HTTP_POST
#define PATCH HTTP_PATCH
#define DELETE HTTP_DELETE
/* The logged model named by the path's {model_id}. */
#define MODEL(perm) .resource = ROUTE_LOGGED_MODEL, .locate = ROUTE_ID_PATH, .id = "model_id", .permission = perm

const struct route logged_model_routes[] = {
	{ .methods = POST, .path = "/mlflow/logged-models", .handler = api_logged_model_create,
	  .resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_PARAM, .id = "experiment_id", .permission = ROUTE_EDIT },
	/* MLflow filters the answer to the models the sender may read: every
	 * model is in one of the experiments searched, so the unreadable ones
	 * are dropped from the list */
	{ .methods = POST, .path = "/mlflow/logged-models/search", .handler = api_logged_model_search,
	  .flags = ROUTE_AUTH_FILTER_IDS, .resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_BODY, .id = "experiment_ids",
	  .permission = ROUTE_READ },
	{ .methods = GET, .match = ROUTE_PATTERN, .path = "/mlflow/logged-models/{model_id}",
	  .handler = api_logged_model_get, MODEL(ROUTE_READ) },
	{ .methods = PATCH, .match = ROUTE_PATTERN, .path = "/mlflow/logged-models/{model_id}",
	  .handler = api_logged_model_finalize, MODEL(ROUTE_EDIT) },
	{ .methods = DELETE, .match = ROUTE_PATTERN, .path = "/mlflow/logged-models/{model_id}",
	  .handler = api_logged_model_delete, MODEL(ROUTE_MANAGE) },
	{ .methods = PATCH, .match = ROUTE_PATTERN, .path = "/mlflow/logged-models/{model_id}/tags",
	  .handler = api_logged_model_set_tags, MODEL(ROUTE_EDIT) },
	{ .methods = DELETE, .match = ROUTE_PATTERN, .path = "/mlflow/logged-models/{model_id}/tags/{key}",
	  .handler = api_logged_model_delete_tag, MODEL(ROUTE_MANAGE) },
	{ .methods = POST, .match = ROUTE_PATTERN, .path = "/mlflow/logged-models/{model_id}/params",
	  .handler = api_logged_model_log_params, MODEL(ROUTE_EDIT) },
	{ .methods = GET, .match = ROUTE_PATTERN, .path = "/mlflow/logged-models/{model_id}/artifacts/directories",
	  .handler = api_logged_model_artifacts, MODEL(ROUTE_READ) },
	{ .methods = GET | PATCH | DELETE | POST, .match = ROUTE_PREFIX, .rank = ROUTE_FALLBACK,
	  .path = "/mlflow/logged-models", .handler = api_logged_model_unknown, .resource = ROUTE_NO_RESOURCE,
	  .locate = ROUTE_ID_NONE, .permission = ROUTE_SIGNED_IN },
	/* MLflow: LogOutputs needs EDIT on the run */
	{ .methods = POST, .path = "/mlflow/runs/outputs", .handler = api_runs_outputs,
	  .resource = ROUTE_RUN, .locate = ROUTE_ID_PARAM, .id = "run_id", .permission = ROUTE_EDIT },
};
const size_t logged_model_routes_n = ARRAY_SIZE(logged_model_routes);
