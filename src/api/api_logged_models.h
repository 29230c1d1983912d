/*
 * api_logged_models.h - MLflow 3's logged-model endpoints and runs/outputs
 * (api_logged_models.c), the REST half of every 3.x `log_model` call. Same
 * contract as the handlers in api.h: each returns 0 with its JSON written
 * to c->w, or -1 with c->err set.
 */
#ifndef MLF_API_LOGGED_MODELS_H
#define MLF_API_LOGGED_MODELS_H

#include "api.h"

/* POST /mlflow/logged-models */
int api_logged_model_create(struct api_ctx *c);
/* POST /mlflow/logged-models/search */
int api_logged_model_search(struct api_ctx *c);
/* Everything below /mlflow/logged-models/{model_id}: get, finalize,
 * delete, tags, params, artifact listing (c->subpath is the raw rest). */
int api_logged_model_item(struct api_ctx *c);
/* POST /mlflow/runs/outputs */
int api_runs_outputs(struct api_ctx *c);

#endif
