/*
 * routes_logged_models.c - the route rows of MLflow 3's logged models and
 * runs/outputs. The endpoints with a model id in the path share one
 * prefix row; api_logged_model_item() dispatches on the rest of the path.
 * The exact rows come first, so /logged-models/search is not taken for an
 * id.
 */
#include "api_logged_models.h"
#include "routes.h"

const struct route logged_model_routes[] = {
	{ HTTP_POST, "/mlflow/logged-models", api_logged_model_create, 0 },
	{ HTTP_POST, "/mlflow/logged-models/search", api_logged_model_search, 0 },
	{ HTTP_GET | HTTP_PATCH | HTTP_DELETE | HTTP_POST, "/mlflow/logged-models", api_logged_model_item, ROUTE_PREFIX },
	{ HTTP_POST, "/mlflow/runs/outputs", api_runs_outputs, 0 },
};
const size_t logged_model_routes_n = ARRAY_SIZE(logged_model_routes);
