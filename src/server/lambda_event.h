/*
 * lambda_event.h - what an AWS Lambda invocation asks the scoring protocol,
 * and how its answer goes back (the pure half of the Lambda runtime,
 * lambda_runtime.c being the half that talks to the Runtime API).
 *
 * An event is one of:
 *   - a direct scoring payload: the same JSON a client POSTs to
 *     /invocations (`aws lambda invoke --payload '{"dataframe_split": ...}'`),
 *     scored as application/json; a 200 answer's body is the function's
 *     result, any other answer becomes an invocation error whose
 *     errorType is MLflow's error code (BAD_REQUEST, ...) and errorMessage
 *     its message;
 *   - an API Gateway proxy event, REST (payload format 1.0) or HTTP API and
 *     function URLs (2.0): recognised by its `requestContext` object; its
 *     `body` (base64-decoded when `isBase64Encoded`) is scored with the
 *     Content-Type of its `headers` (found case-insensitively; absent ->
 *     none, so 415 as /invocations answers), and every answer, errors
 *     included, goes back as a proxy response {statusCode, headers, body}.
 * The answer itself is exactly what scoring_app_invoke() gave.
 */
#ifndef MLF_LAMBDA_EVENT_H
#define MLF_LAMBDA_EVENT_H

#include "../base/buf.h"
#include "../base/err.h"

/* One event unwrapped into a scoring request. */
struct lambda_request {
	bool proxy;          /* an API Gateway proxy event: answer with lambda_event_proxy_response() */
	int proxy_version;   /* 1 (REST API, payload 1.0) or 2 (HTTP API / function URL, payload 2.0) */
	char *content_type;  /* owned; NULL when the event sent none */
	struct buf body;     /* the scoring payload; owned */
};

/* Unwraps `event` (the bytes the Runtime API gave) into *req (zeroed
 * first). Returns 0, or -1 with BAD_REQUEST when a proxy event's body is
 * not a string or its base64 does not decode (req->proxy is still set so
 * the refusal is answered in the proxy shape). Release with
 * lambda_request_release() in both cases. */
int lambda_event_unwrap(const char *event, size_t len, struct lambda_request *req, struct mlf_err *err);
void lambda_request_release(struct lambda_request *req);

/* Appends to `out` the proxy response of a scoring answer: {"statusCode":
 * status, "headers": {"Content-Type": content_type}, "body": the answer,
 * "isBase64Encoded": false} (true, the body base64-encoded, when the
 * answer is not UTF-8 text). */
void lambda_event_proxy_response(int status, const char *content_type, const char *body, size_t len,
				 struct buf *out);

/* Appends to `out` Lambda's error document {"errorMessage": message,
 * "errorType": type}. */
void lambda_event_error_json(const char *type, const char *message, struct buf *out);

/* The error type and message of a non-200 scoring answer to a direct
 * event: MLflow's error_code and message when the body is MLflow's error
 * JSON, else "HTTP_<status>" and the body's text. `type` gets at most
 * type_size bytes; `message` is appended to. */
void lambda_event_answer_error(int status, const char *body, size_t len, char *type, size_t type_size,
			       struct buf *message);

/* MLflow's error JSON {"error_code": code, "message": message}, for a
 * refusal found before the scoring app was asked (a proxy body that does
 * not decode). Appends to `out`. */
void lambda_event_mlflow_error(enum mlf_code code, const char *message, struct buf *out);

#endif
