/*
 * scoring_app.h - a loaded model answering MLflow's scoring protocol
 * (spec §10): GET /ping, /health, /version and POST /invocations, as
 * `mlflowc models serve` serves them over HTTP, `models predict` runs them
 * on a file and the Lambda runtime on its events. One entry point,
 * scoring_app_invoke(), so the three answer byte for byte alike.
 */
#ifndef MLF_SCORING_APP_H
#define MLF_SCORING_APP_H

#include "../http/http.h"
#include "../http/router.h"
#include "../model/flavor.h"

#define SCORING_DEFAULT_MAX_BODY (64u << 20) /* bytes of one /invocations body */

struct scoring_config {
	const char *model_path;         /* a local model directory (already downloaded) */
	const char *flavor;             /* NULL: flavor_choose() picks */
	struct flavor_options options;
	size_t max_body;                /* 0: SCORING_DEFAULT_MAX_BODY */
};

struct scoring_app;

/* Opens the model and loads it with its flavor. NULL with err set when the
 * model cannot be read or loaded (the server then does not start). The
 * caller closes it with scoring_app_close(). */
struct scoring_app *scoring_app_open(const struct scoring_config *cfg, struct mlf_err *err);
void scoring_app_close(struct scoring_app *a);

/* The model the app serves (borrowed) and the flavor that runs it. */
const struct model_dir *scoring_app_model(const struct scoring_app *a);
const char *scoring_app_flavor(const struct scoring_app *a);

/* The largest /invocations body the app takes (the HTTP server's limit). */
size_t scoring_app_max_body(const struct scoring_app *a);

/* One answer of the scoring protocol. `body` is owned by the answer;
 * release with scoring_answer_release(). `content_type` is static. */
struct scoring_answer {
	int status;
	const char *content_type;
	struct buf body;
};
void scoring_answer_release(struct scoring_answer *ans);

/* Answers one /invocations request: `content_type` as sent (NULL when
 * absent), the body and its length. 200 {"predictions": ...}; 400 with
 * MLflow's error JSON for a payload or schema refusal or a failed
 * prediction; 415 text/plain for another content type; 413 for a body
 * over the limit (when `too_large`); 504 text/plain "Request processing
 * time exceeded limit" on timeout (application/json, as MLflow's); 503 when the model's runtime failed. */
void scoring_app_invoke(struct scoring_app *a, const char *content_type, const char *body, size_t len,
			bool too_large, struct scoring_answer *ans);

/* The HTTP handler over scoring_app_invoke and the probes; `app` is the
 * struct scoring_app. */
void scoring_app_handle(void *app, const struct http_request *req, struct http_response *resp);

/* The rows scoring_app_handle routes by (static; the route test reads them). */
extern const struct route scoring_routes[];
extern const size_t scoring_routes_n;

#endif
