/*
 * fuzz_lambda_event.c - libFuzzer target for what the Lambda runtime reads
 * from the Runtime API and writes back (src/server/lambda_event.h), and
 * for the YAML quoting of the Kubernetes manifests (deploy_yaml_quote,
 * src/cli/deploy_gen.h), which takes whatever a user passes as a model URI.
 *
 * The first byte picks what the rest is: 0 an event (unwrapped, then its
 * body answered as a proxy response), 1 a string to quote, 2 a scoring
 * answer to turn into Lambda's error. Invariants beyond "no crash": a
 * refusal is BAD_REQUEST on a proxy event; a direct event is scored as
 * sent, byte for byte; a proxy response is JSON whose body gives the
 * answer back (as text, or base64 of it); a quoted string is one
 * double-quoted scalar with no raw control, C1 or line-separator
 * character left inside. Seeds: tests/fuzz/corpus/lambda_event/.
 */
#include "base/util.h"
#include "cli/deploy_gen.h"
#include "server/lambda_event.h"
#include "fuzz_ui_stub.h"
#include <jansson.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void event(const char *p, size_t n)
{
	struct lambda_request req;
	struct mlf_err err;
	int rc = lambda_event_unwrap(p, n, &req, &err);
	if (rc < 0) {
		CHECK(req.proxy && err.code == MLF_BAD_REQUEST);
		lambda_request_release(&req);
		return;
	}
	if (!req.proxy) {
		CHECK(req.body.len == n && !memcmp(req.body.ptr, p, n));
		CHECK(!strcmp(req.content_type, "application/json"));
	} else {
		CHECK(req.proxy_version == 1 || req.proxy_version == 2);
	}
	struct buf out = BUF_INIT;
	lambda_event_proxy_response(400, req.content_type, req.body.ptr, req.body.len, &out);
	json_error_t jerr;
	json_t *doc = json_loadb(out.ptr, out.len, JSON_ALLOW_NUL, &jerr);
	CHECK(doc != NULL);
	const json_t *body = json_object_get(doc, "body");
	CHECK(json_is_string(body));
	struct buf back = BUF_INIT;
	if (json_is_true(json_object_get(doc, "isBase64Encoded")))
		CHECK(util_base64_decode(&back, json_string_value(body), json_string_length(body)) == 0);
	else
		buf_add(&back, json_string_value(body), json_string_length(body));
	CHECK(back.len == req.body.len && !memcmp(back.ptr, req.body.ptr, back.len));
	buf_release(&back);
	json_decref(doc);
	buf_release(&out);
	lambda_request_release(&req);
}

static void quote(const char *p, size_t n)
{
	if (memchr(p, '\0', n) || !util_utf8_valid(p, n))
		return; /* the CLI refuses these before quoting */
	char *s = strndup(p, n);
	struct buf out = BUF_INIT;
	deploy_yaml_quote(&out, s);
	CHECK(out.len >= 2 && out.ptr[0] == '"' && out.ptr[out.len - 1] == '"');
	const unsigned char *q = (const unsigned char *)out.ptr;
	for (size_t i = 1; i + 1 < out.len; i++) {
		CHECK(q[i] >= 0x20 && q[i] != 0x7f);
		CHECK(!(q[i] == 0xc2 && i + 1 < out.len && q[i + 1] >= 0x80 && q[i + 1] <= 0x9f));
		CHECK(!(q[i] == 0xe2 && q[i + 1] == 0x80 && (q[i + 2] == 0xa8 || q[i + 2] == 0xa9)));
		if (q[i] == '\\')
			i++; /* an escape: the next byte is its letter */
		else
			CHECK(q[i] != '"');
	}
	CHECK(util_utf8_valid(out.ptr, out.len));
	buf_release(&out);
	free(s);
}

static void answer(const char *p, size_t n)
{
	char type[128];
	struct buf msg = BUF_INIT, doc = BUF_INIT;
	lambda_event_answer_error(415, p, n, type, sizeof(type), &msg);
	CHECK(type[0] != '\0');
	lambda_event_error_json(type, msg.ptr, &doc);
	json_error_t jerr;
	json_t *j = json_loadb(doc.ptr, doc.len, JSON_ALLOW_NUL, &jerr);
	CHECK(j != NULL && json_is_string(json_object_get(j, "errorMessage")));
	json_decref(j);
	buf_release(&msg);
	buf_release(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	static void (*const modes[])(const char *, size_t) = { event, quote, answer };
	modes[data[0] % 3](p, n);
	return 0;
}
