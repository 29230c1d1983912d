/*
 * lambda_runtime.h - a model served as an AWS Lambda function with a
 * custom runtime (`provided.al2023`): the loop of the Lambda Runtime API
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) at
 * $AWS_LAMBDA_RUNTIME_API, over libcurl as the client library uses it
 * (loaded on first use, src/base/lazylink.h):
 *
 *   GET  /2018-06-01/runtime/invocation/next           the next event
 *   POST /2018-06-01/runtime/invocation/{id}/response  its answer
 *   POST /2018-06-01/runtime/invocation/{id}/error     a direct event's refusal
 *   POST /2018-06-01/runtime/init/error                the model did not load
 *
 * Errors are Lambda's JSON {"errorMessage", "errorType"} with the
 * Lambda-Runtime-Function-Error-Type header. Events and answers are
 * translated by lambda_event.h; the answer is whatever the scoring
 * callback (scoring_app_invoke in `mlflowc models lambda-runtime`) gives.
 */
#ifndef MLF_LAMBDA_RUNTIME_H
#define MLF_LAMBDA_RUNTIME_H

#include "scoring_app.h"

/* Scores one request: the signature of scoring_app_invoke(), with the
 * app as `ctx`. */
typedef void (*lambda_score_fn)(void *ctx, const char *content_type, const char *body, size_t len, bool too_large,
				struct scoring_answer *ans);

#define LAMBDA_MAX_EVENT (64u << 20) /* bytes of one event we read (Lambda sends at most 6 MB) */

/* Posts an init error (`type`, `message`) to the Runtime API at `api`
 * ("host:port"). 0 when the API took it, else -1 with err set. */
int lambda_runtime_init_error(const char *api, const char *type, const char *message, struct mlf_err *err);

/* Serves invocations from the Runtime API at `api` until it ends the loop:
 * returns 0 when it answers the request for the next invocation with a
 * status other than 200 (the API's way of telling a runtime to stop), or
 * -1 with TEMPORARILY_UNAVAILABLE when it cannot be reached or refuses an
 * answer. `*served` (may be NULL) counts the invocations answered. A
 * scoring refusal never ends the loop. */
int lambda_runtime_run(const char *api, lambda_score_fn score, void *ctx, unsigned long *served,
		       struct mlf_err *err);

#endif
