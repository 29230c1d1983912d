/*
 * routes_registry.c - the model registry's rows of the route table: every
 * registered-model and model-version endpoint of MLflow's registry API,
 * and mlflowc's own history endpoint under /mlflowc/.
 */
#include "api_registry.h"
#include "routes.h"

#define GET HTTP_GET
#define POST HTTP_POST
#define PATCH HTTP_PATCH
#define DELETE HTTP_DELETE

const struct route registry_routes[] = {
	{ POST, "/mlflow/registered-models/create", api_registry_model_create, 0 },
	{ GET, "/mlflow/registered-models/get", api_registry_model_get, 0 },
	{ POST, "/mlflow/registered-models/rename", api_registry_model_rename, 0 },
	{ PATCH, "/mlflow/registered-models/update", api_registry_model_update, 0 },
	{ DELETE, "/mlflow/registered-models/delete", api_registry_model_delete, 0 },
	{ GET, "/mlflow/registered-models/search", api_registry_model_search, 0 },
	{ POST | GET, "/mlflow/registered-models/get-latest-versions", api_registry_latest_versions, 0 },
	{ POST, "/mlflow/registered-models/set-tag", api_registry_model_set_tag, 0 },
	{ DELETE, "/mlflow/registered-models/delete-tag", api_registry_model_delete_tag, 0 },
	{ POST | DELETE | GET, "/mlflow/registered-models/alias", api_registry_alias, 0 },
	{ POST, "/mlflow/model-versions/create", api_registry_version_create, 0 },
	{ GET, "/mlflow/model-versions/get", api_registry_version_get, 0 },
	{ PATCH, "/mlflow/model-versions/update", api_registry_version_update, 0 },
	{ DELETE, "/mlflow/model-versions/delete", api_registry_version_delete, 0 },
	{ GET, "/mlflow/model-versions/search", api_registry_version_search, 0 },
	{ GET, "/mlflow/model-versions/get-download-uri", api_registry_version_download_uri, 0 },
	{ POST, "/mlflow/model-versions/transition-stage", api_registry_version_transition, 0 },
	{ POST, "/mlflow/model-versions/set-tag", api_registry_version_set_tag, 0 },
	{ DELETE, "/mlflow/model-versions/delete-tag", api_registry_version_delete_tag, 0 },
	/* ours: the audit trail of stage transitions and alias moves */
	{ GET, "/mlflowc/registered-models/history", api_registry_history, 0 },
};
const size_t registry_routes_n = ARRAY_SIZE(registry_routes);
