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
/* Below /mlflow/logged-models/{model_id} (the id: api_path_segment):
 * GET, PATCH (finalize), DELETE; PATCH .../tags, DELETE .../tags/{key},
 * POST .../params, GET .../artifacts/directories. */
int api_logged_model_get(struct api_ctx *c);
int api_logged_model_finalize(struct api_ctx *c);
int api_logged_model_delete(struct api_ctx *c);
int api_logged_model_set_tags(struct api_ctx *c);
int api_logged_model_delete_tag(struct api_ctx *c);
int api_logged_model_log_params(struct api_ctx *c);
int api_logged_model_artifacts(struct api_ctx *c);
/* Any other path below /mlflow/logged-models/: 404 ENDPOINT_NOT_FOUND. */
int api_logged_model_unknown(struct api_ctx *c);
/* POST /mlflow/runs/outputs */
int api_runs_outputs(struct api_ctx *c);

/* The search's page token: base64 of the JSON object `ctx` (experiment_ids,
 * filter_string, order_by, as the search built it) with "offset" set to
 * `offset` (ctx is changed). The token lives in c's request arena. */
const char *api_logged_model_token_encode(struct api_ctx *c, json_t *ctx, int64_t offset);
/* Reads a token back into *offset (0 for NULL or ""): 0, or -1 with
 * c->err INVALID_PARAMETER_VALUE when it is not a token, or carries another
 * search's ctx. A token of the offset alone (page_token_decode's) is read
 * too. `ctx` stays the caller's. */
int api_logged_model_token_decode(struct api_ctx *c, const char *token, json_t *ctx, int64_t *offset);

#endif
