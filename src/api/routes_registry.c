/*
 * routes_registry.c - the model registry's rows of the route table.
 */
#include "routes.h"

#define GET HTTP_GET
#define POST HTTP_POST
#define PATCH HTTP_PATCH
#define DELETE HTTP_DELETE

const struct route registry_routes[] = {
	{ POST, "/mlflow/registered-models/create", NULL, 0 },
	{ GET, "/mlflow/registered-models/get", NULL, 0 },
	{ POST, "/mlflow/registered-models/rename", NULL, 0 },
	{ PATCH, "/mlflow/registered-models/update", NULL, 0 },
	{ DELETE, "/mlflow/registered-models/delete", NULL, 0 },
	{ GET, "/mlflow/registered-models/search", NULL, 0 },
	{ POST | GET, "/mlflow/registered-models/get-latest-versions", NULL, 0 },
	{ POST, "/mlflow/registered-models/set-tag", NULL, 0 },
	{ DELETE, "/mlflow/registered-models/delete-tag", NULL, 0 },
	{ POST | DELETE | GET, "/mlflow/registered-models/alias", NULL, 0 },
	{ POST, "/mlflow/model-versions/create", NULL, 0 },
	{ GET, "/mlflow/model-versions/get", NULL, 0 },
	{ PATCH, "/mlflow/model-versions/update", NULL, 0 },
	{ DELETE, "/mlflow/model-versions/delete", NULL, 0 },
	{ GET, "/mlflow/model-versions/search", NULL, 0 },
	{ GET, "/mlflow/model-versions/get-download-uri", NULL, 0 },
	{ POST, "/mlflow/model-versions/transition-stage", NULL, 0 },
	{ POST, "/mlflow/model-versions/set-tag", NULL, 0 },
	{ DELETE, "/mlflow/model-versions/delete-tag", NULL, 0 },
};
const size_t registry_routes_n = ARRAY_SIZE(registry_routes);
