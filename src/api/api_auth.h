/*
 * api_auth.h - the handlers of the basic-auth app's REST API and of
 * mlflowc's tokens, sign-in and audit trail (api_auth.c); their route rows
 * are in routes_auth.c.
 */
#ifndef MLF_API_AUTH_H
#define MLF_API_AUTH_H

#include "api.h"

int api_auth_user_create(struct api_ctx *c);
int api_auth_user_get(struct api_ctx *c);
int api_auth_user_list(struct api_ctx *c);
int api_auth_user_current(struct api_ctx *c);
int api_auth_user_update_password(struct api_ctx *c);
int api_auth_user_update_admin(struct api_ctx *c);
int api_auth_user_delete(struct api_ctx *c);

int api_auth_experiment_permission_create(struct api_ctx *c);
int api_auth_experiment_permission_get(struct api_ctx *c);
int api_auth_experiment_permission_update(struct api_ctx *c);
int api_auth_experiment_permission_delete(struct api_ctx *c);
int api_auth_model_permission_create(struct api_ctx *c);
int api_auth_model_permission_get(struct api_ctx *c);
int api_auth_model_permission_update(struct api_ctx *c);
int api_auth_model_permission_delete(struct api_ctx *c);

int api_auth_token_create(struct api_ctx *c);
int api_auth_token_list(struct api_ctx *c);
int api_auth_token_revoke(struct api_ctx *c);
int api_auth_sign_in(struct api_ctx *c);
int api_auth_sign_out(struct api_ctx *c);
int api_auth_audit_search(struct api_ctx *c);

#endif
