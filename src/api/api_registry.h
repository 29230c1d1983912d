/*
 * api_registry.h - the model registry's REST handlers (api_registry.c):
 * registered models, model versions, stages, aliases, tags, search, and
 * mlflowc's own history endpoint. Same contract as the handlers in api.h:
 * each returns 0 with its JSON written to c->w, or -1 with c->err set.
 */
#ifndef MLF_API_REGISTRY_H
#define MLF_API_REGISTRY_H

#include "api.h"

int api_registry_model_create(struct api_ctx *c);
int api_registry_model_get(struct api_ctx *c);
int api_registry_model_rename(struct api_ctx *c);
int api_registry_model_update(struct api_ctx *c);
int api_registry_model_delete(struct api_ctx *c);
int api_registry_model_search(struct api_ctx *c);
int api_registry_latest_versions(struct api_ctx *c);
int api_registry_model_set_tag(struct api_ctx *c);
int api_registry_model_delete_tag(struct api_ctx *c);
/* registered-models/alias: POST sets or moves an alias, DELETE removes
 * it, GET resolves it (one handler per method). */
int api_registry_alias_set(struct api_ctx *c);
int api_registry_alias_delete(struct api_ctx *c);
int api_registry_alias_get(struct api_ctx *c);

int api_registry_version_create(struct api_ctx *c);
int api_registry_version_get(struct api_ctx *c);
int api_registry_version_update(struct api_ctx *c);
int api_registry_version_delete(struct api_ctx *c);
int api_registry_version_search(struct api_ctx *c);
int api_registry_version_download_uri(struct api_ctx *c);
int api_registry_version_transition(struct api_ctx *c);
int api_registry_version_set_tag(struct api_ctx *c);
int api_registry_version_delete_tag(struct api_ctx *c);

/* GET /mlflowc/registered-models/history?name=N[&version=V]: the recorded
 * stage transitions and alias moves, oldest first. */
int api_registry_history(struct api_ctx *c);

#endif
