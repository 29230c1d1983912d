/*
 * lambda_event.c - Lambda events to scoring requests and scoring answers
 * back to Lambda (see lambda_event.h). Events are parsed with jansson
 * (bounded by what the Runtime API delivers: 6 MB for a synchronous
 * invocation); answers are written with jw, which keeps them valid UTF-8.
 */
#include "lambda_event.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include "../json/jw.h"
#include <jansson.h>
#include <strings.h>

void lambda_request_release(struct lambda_request *req)
{
	if (!req)
		return;
	free(req->content_type);
	buf_release(&req->body);
	req->content_type = NULL;
}

/* The value of header `name` in a headers object, compared
 * case-insensitively as HTTP does (payload 2.0 lowercases names, 1.0
 * keeps the client's spelling). A list (multiValueHeaders) gives its
 * first string. NULL when absent. */
static const char *header_value(const json_t *headers, const char *name)
{
	const char *key;
	json_t *v;
	if (!json_is_object(headers))
		return NULL;
	json_object_foreach((json_t *)headers, key, v) {
		if (strcasecmp(key, name))
			continue;
		if (json_is_string(v))
			return json_string_value(v);
		if (json_is_array(v) && json_is_string(json_array_get(v, 0)))
			return json_string_value(json_array_get(v, 0));
	}
	return NULL;
}

int lambda_event_unwrap(const char *event, size_t len, struct lambda_request *req, struct mlf_err *err)
{
	memset(req, 0, sizeof(*req));
	req->body = (struct buf)BUF_INIT;
	json_error_t jerr;
	json_t *doc = json_loadb(event, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	const json_t *ctx = json_is_object(doc) ? json_object_get(doc, "requestContext") : NULL;
	if (!json_is_object(ctx)) {
		/* a direct payload: scored as sent, parse errors included */
		json_decref(doc);
		req->content_type = xstrdup("application/json");
		buf_add(&req->body, event, len);
		return 0;
	}
	req->proxy = true;
	const json_t *version = json_object_get(doc, "version");
	req->proxy_version = json_is_string(version) && !strcmp(json_string_value(version), "2.0") ? 2 : 1;
	const char *ct = header_value(json_object_get(doc, "headers"), "content-type");
	if (!ct)
		ct = header_value(json_object_get(doc, "multiValueHeaders"), "content-type");
	if (ct)
		req->content_type = xstrdup(ct);
	const json_t *body = json_object_get(doc, "body");
	int rc = 0;
	if (json_is_string(body)) {
		const char *text = json_string_value(body);
		size_t n = json_string_length(body);
		if (json_is_true(json_object_get(doc, "isBase64Encoded"))) {
			if (util_base64_decode(&req->body, text, n) < 0)
				rc = mlf_errorf(err, MLF_BAD_REQUEST,
						"The event's body is marked isBase64Encoded but is not valid base64");
		} else {
			buf_add(&req->body, text, n);
		}
	} else if (body && !json_is_null(body)) {
		rc = mlf_errorf(err, MLF_BAD_REQUEST, "The event's body must be a string (the request's body)");
	}
	json_decref(doc);
	return rc;
}

void lambda_event_proxy_response(int status, const char *content_type, const char *body, size_t len,
				 struct buf *out)
{
	struct jw w;
	bool text = util_utf8_valid(body, len) && !memchr(body, '\0', len);
	jw_init(&w, out);
	jw_obj_begin(&w);
	jw_kv_int(&w, "statusCode", status);
	jw_key(&w, "headers");
	jw_obj_begin(&w);
	jw_kv_str(&w, "Content-Type", content_type ? content_type : "application/json");
	jw_obj_end(&w);
	jw_key(&w, "body");
	if (text) {
		jw_strn(&w, body, len);
	} else {
		struct buf b64 = BUF_INIT;
		util_base64_encode(&b64, body, len);
		jw_strn(&w, b64.ptr, b64.len);
		buf_release(&b64);
	}
	jw_kv_bool(&w, "isBase64Encoded", !text);
	jw_obj_end(&w);
}

void lambda_event_error_json(const char *type, const char *message, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_begin(&w);
	jw_kv_str(&w, "errorMessage", message);
	jw_kv_str(&w, "errorType", type);
	jw_obj_end(&w);
}

/* An MLflow error code name (upper case, digits, '_'; not empty): what may
 * become Lambda's errorType and its Lambda-Runtime-Function-Error-Type
 * header. */
static bool is_code_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

void lambda_event_answer_error(int status, const char *body, size_t len, char *type, size_t type_size,
			       struct buf *message)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, 0, &jerr);
	const json_t *code = json_object_get(doc, "error_code");
	const json_t *msg = json_object_get(doc, "message");
	if (json_is_string(code) && json_is_string(msg) && is_code_name(json_string_value(code), json_string_length(code))) {
		snprintf(type, type_size, "%s", json_string_value(code));
		buf_add(message, json_string_value(msg), json_string_length(msg));
	} else {
		snprintf(type, type_size, "HTTP_%d", status);
		buf_add(message, body, len);
	}
	json_decref(doc);
}

void lambda_event_mlflow_error(enum mlf_code code, const char *message, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_begin(&w);
	jw_kv_str(&w, "error_code", mlf_code_name(code));
	jw_kv_str(&w, "message", message);
	jw_obj_end(&w);
}
