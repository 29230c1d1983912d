/*
 * routes_auth.c - the route rows of the basic-auth app's REST API (spec
 * §14.6: users, experiment and registered-model permissions, below both
 * /api/2.0 and /ajax-api/2.0 as MLflow serves them) and of mlflowc's own
 * tokens, sign-in and audit trail. The permission column is MLflow's:
 * admins manage users, MANAGE on a resource manages its permissions, a
 * user reads and changes only their own account.
 */
#include "api_auth.h"
#include "routes.h"

#define GET HTTP_GET
#define POST HTTP_POST
#define PATCH HTTP_PATCH
#define DELETE HTTP_DELETE
#define ADMIN .resource = ROUTE_NO_RESOURCE, .locate = ROUTE_ID_NONE, .permission = ROUTE_ADMIN
#define SIGNED_IN .resource = ROUTE_NO_RESOURCE, .locate = ROUTE_ID_NONE, .permission = ROUTE_SIGNED_IN
#define SELF .resource = ROUTE_NO_RESOURCE, .locate = ROUTE_ID_NONE, .id = "username", .permission = ROUTE_SELF
#define ON_EXPERIMENT \
	.resource = ROUTE_EXPERIMENT, .locate = ROUTE_ID_PARAM, .id = "experiment_id", .permission = ROUTE_MANAGE
#define ON_MODEL .resource = ROUTE_REGISTERED_MODEL, .locate = ROUTE_ID_PARAM, .id = "name", .permission = ROUTE_MANAGE

const struct route auth_routes[] = {
	{ .methods = POST, .path = "/mlflow/users/create", .handler = api_auth_user_create, ADMIN },
	{ .methods = GET, .path = "/mlflow/users/get", .handler = api_auth_user_get, SELF },
	{ .methods = GET, .path = "/mlflow/users/list", .handler = api_auth_user_list, ADMIN },
	{ .methods = GET, .path = "/mlflow/users/current", .handler = api_auth_user_current, SIGNED_IN },
	{ .methods = PATCH, .path = "/mlflow/users/update-password", .handler = api_auth_user_update_password, SELF },
	{ .methods = PATCH, .path = "/mlflow/users/update-admin", .handler = api_auth_user_update_admin, ADMIN },
	{ .methods = DELETE, .path = "/mlflow/users/delete", .handler = api_auth_user_delete, ADMIN },

	{ .methods = POST, .path = "/mlflow/experiments/permissions/create",
	  .handler = api_auth_experiment_permission_create, ON_EXPERIMENT },
	{ .methods = GET, .path = "/mlflow/experiments/permissions/get", .handler = api_auth_experiment_permission_get,
	  ON_EXPERIMENT },
	{ .methods = PATCH, .path = "/mlflow/experiments/permissions/update",
	  .handler = api_auth_experiment_permission_update, ON_EXPERIMENT },
	{ .methods = DELETE, .path = "/mlflow/experiments/permissions/delete",
	  .handler = api_auth_experiment_permission_delete, ON_EXPERIMENT },
	{ .methods = POST, .path = "/mlflow/registered-models/permissions/create",
	  .handler = api_auth_model_permission_create, ON_MODEL },
	{ .methods = GET, .path = "/mlflow/registered-models/permissions/get", .handler = api_auth_model_permission_get,
	  ON_MODEL },
	{ .methods = PATCH, .path = "/mlflow/registered-models/permissions/update",
	  .handler = api_auth_model_permission_update, ON_MODEL },
	{ .methods = DELETE, .path = "/mlflow/registered-models/permissions/delete",
	  .handler = api_auth_model_permission_delete, ON_MODEL },

	/* ours: a user's bearer tokens (MLFLOW_TRACKING_TOKEN); admins may name another user */
	{ .methods = POST, .path = "/mlflowc/users/tokens/create", .handler = api_auth_token_create, SIGNED_IN },
	{ .methods = GET, .path = "/mlflowc/users/tokens/list", .handler = api_auth_token_list, SIGNED_IN },
	{ .methods = POST, .path = "/mlflowc/users/tokens/revoke", .handler = api_auth_token_revoke, SIGNED_IN },
	/* ours: the UI's sign-in page trades a password for a session cookie */
	{ .methods = POST, .path = "/mlflowc/auth/sign-in", .handler = api_auth_sign_in, .resource = ROUTE_NO_RESOURCE,
	  .locate = ROUTE_ID_NONE, .permission = ROUTE_PUBLIC },
	{ .methods = POST, .path = "/mlflowc/auth/sign-out", .handler = api_auth_sign_out, .resource = ROUTE_NO_RESOURCE,
	  .locate = ROUTE_ID_NONE, .permission = ROUTE_PUBLIC },
	/* ours: who wrote what */
	{ .methods = GET, .path = "/mlflowc/audit/search", .handler = api_auth_audit_search, ADMIN },
};
const size_t auth_routes_n = ARRAY_SIZE(auth_routes);
