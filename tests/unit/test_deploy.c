/*
 * test_deploy.c - unit tests for the pieces of deployment that need no
 * model, binary or cluster: the zip writer (src/cli/zip_writer.h: CRC-32,
 * headers read back field by field, names refused, the entry limit,
 * deflated entries, decoded again by zlib's inflate, and stored ones
 * where deflating does not pay), the Lambda event translation (src/server/lambda_event.h: direct payloads,
 * API Gateway 1.0 and 2.0 events, base64 bodies, proxy answers, Lambda's
 * error JSON), the generated text (src/cli/deploy_gen.h: Dockerfiles per
 * flavor, Kubernetes names, quantities and YAML quoting, the bootstrap)
 * and the ELF and package lookups (src/cli/deploy_libs.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/zip_writer.h"
#include <zlib.h>
#include "cli/deploy_gen.h"
#include "cli/deploy_libs.h"
#include "server/lambda_event.h"

/* ---- zip ------------------------------------------------------------------------------ */

static unsigned rd16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The whole of a temporary file. */
static unsigned char *slurp(FILE *f, size_t *len)
{
	fflush(f);
	long n = ftell(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	unsigned char *data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(pread(fileno(f), data, (size_t)n, 0), n);
	*len = (size_t)n;
	return data;
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(zip_crc32(0, "123456789", 9), 0xCBF43926u); /* the check value of CRC-32/ISO-HDLC */
	assert_int_equal(zip_crc32(0, "", 0), 0);
	uint32_t part = zip_crc32(0, "1234", 4);
	assert_int_equal(zip_crc32(part, "56789", 5), 0xCBF43926u);
}

static void test_zip_layout(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	FILE *src = tmpfile();
	fputs("#!/bin/sh\necho hi\n", src);
	fflush(src);
	rewind(src);
	struct mlf_err err;
	/* 2026-12-07 14:30:10 UTC */
	struct zip_writer *zw = zip_writer_new(fileno(f), 1796653810, false, &err);
	assert_non_null(zw);
	assert_int_equal(zip_writer_add_fd(zw, "bootstrap", 0755, fileno(src), &err), 0);
	assert_int_equal(zip_writer_add_bytes(zw, "model/MLmodel", 0644, "flavors: {}\n", 12, &err), 0);
	assert_int_equal(zip_writer_add_bytes(zw, "model/é.txt", 0600, "", 0, &err), 0);
	assert_int_equal(zip_writer_finish(zw, &err), 0);
	assert_int_equal(zip_writer_count(zw), 3);
	size_t len;
	unsigned char *z = slurp(f, &len);
	assert_int_equal(zip_writer_size(zw), len);
	zip_writer_free(zw);

	/* end record */
	const unsigned char *end = z + len - 22;
	assert_int_equal(rd32(end), 0x06054b50u);
	assert_int_equal(rd16(end + 8), 3);
	assert_int_equal(rd16(end + 10), 3);
	uint32_t cd_size = rd32(end + 12), cd_off = rd32(end + 16);
	assert_int_equal(cd_off + cd_size, len - 22);
	/* first local header: stored, CRC and sizes filled in, no data descriptor */
	assert_int_equal(rd32(z), 0x04034b50u);
	assert_int_equal(rd16(z + 6) & 0x8, 0);
	assert_int_equal(rd16(z + 8), 0);
	assert_int_equal(rd32(z + 14), zip_crc32(0, "#!/bin/sh\necho hi\n", 18));
	assert_int_equal(rd32(z + 18), 18);
	assert_int_equal(rd32(z + 22), 18);
	assert_int_equal(rd16(z + 26), 9);
	assert_memory_equal(z + 30, "bootstrap", 9);
	assert_memory_equal(z + 39, "#!/bin/sh", 9);
	/* DOS date and time */
	unsigned t = rd16(z + 10), d = rd16(z + 12);
	assert_int_equal(t >> 11, 14);
	assert_int_equal(t >> 5 & 63, 30);
	assert_int_equal((t & 31) * 2, 10);
	assert_int_equal((d >> 9) + 1980, 2026);
	assert_int_equal(d >> 5 & 15, 12);
	assert_int_equal(d & 31, 7);
	/* central directory: made by Unix, modes in the external attributes */
	const unsigned char *c = z + cd_off;
	const char *names[] = { "bootstrap", "model/MLmodel", "model/é.txt" };
	unsigned modes[] = { 0100755, 0100644, 0100600 };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rd32(c), 0x02014b50u);
		assert_int_equal(rd16(c + 4) >> 8, 3);
		size_t n = rd16(c + 28);
		assert_int_equal(n, strlen(names[i]));
		assert_memory_equal(c + 46, names[i], n);
		assert_int_equal(rd32(c + 38) >> 16, modes[i]);
		assert_int_equal(rd16(c + 8) & 0x800, i == 2 ? 0x800 : 0); /* UTF-8 name flag */
		uint32_t off = rd32(c + 42);
		assert_int_equal(rd32(z + off), 0x04034b50u);
		assert_int_equal(rd32(z + off + 14), rd32(c + 16)); /* same CRC in both headers */
		c += 46 + n;
	}
	free(z);
	fclose(f);
	fclose(src);
}

static void test_zip_refusals(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct mlf_err err;
	struct zip_writer *zw = zip_writer_new(fileno(f), 0, false, &err);
	const char *bad[] = { "", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/.", "a\\b", "a\nb", "\xff\xfe",
			      "dir/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (zip_writer_add_bytes(zw, bad[i], 0644, "x", 1, &err) != -1)
			fail_msg("'%s' should be refused", bad[i]);
		assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	}
	assert_int_equal(zip_writer_add_bytes(zw, "a", 0644, "x", 1, &err), 0);
	assert_int_equal(zip_writer_add_bytes(zw, "a", 0644, "y", 1, &err), -1);
	assert_non_null(strstr(err.msg, "twice"));
	assert_int_equal(zip_writer_count(zw), 1);
	assert_int_equal(zip_writer_finish(zw, &err), 0);
	assert_int_equal(zip_writer_add_bytes(zw, "b", 0644, "x", 1, &err), -1);
	assert_int_equal(zip_writer_finish(zw, &err), -1);
	zip_writer_free(zw);
	fclose(f);
}

static void test_zip_entry_limit(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct mlf_err err;
	struct zip_writer *zw = zip_writer_new(fileno(f), 0, false, &err);
	char name[32];
	for (unsigned i = 0; i < ZIP_WRITER_MAX_ENTRIES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		if (zip_writer_add_bytes(zw, name, 0644, "", 0, &err) < 0)
			fail_msg("entry %u: %s", i, err.msg);
	}
	assert_int_equal(zip_writer_add_bytes(zw, "one-more", 0644, "", 0, &err), -1);
	assert_non_null(strstr(err.msg, "zip64"));
	assert_int_equal(zip_writer_finish(zw, &err), 0);
	size_t len;
	unsigned char *z = slurp(f, &len);
	assert_int_equal(rd16(z + len - 22 + 10), ZIP_WRITER_MAX_ENTRIES);
	free(z);
	zip_writer_free(zw);
	fclose(f);
}

/* zlib's raw inflate: what an entry decodes to (*out_len bytes). */
static unsigned char *inflate_raw(const unsigned char *in, size_t len, size_t want, size_t *out_len)
{
	unsigned char *out = malloc(want + 1);
	z_stream zs = { 0 };
	assert_int_equal(inflateInit2(&zs, -15), Z_OK);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (unsigned)len;
	zs.next_out = out;
	zs.avail_out = (unsigned)want + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0); /* nothing after the end of the stream */
	*out_len = want + 1 - zs.avail_out;
	inflateEnd(&zs);
	return out;
}

static void test_zip_deflated_entries(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct mlf_err err;
	struct zip_writer *zw = zip_writer_new(fileno(f), 0, true, &err);
	size_t n = 200000;
	char *text = malloc(n), *noise = malloc(n);
	uint32_t x = 7;
	for (size_t i = 0; i < n; i++) {
		text[i] = "MLflow model "[i % 13];
		noise[i] = (char)((x = x * 1103515245u + 12345u) >> 23);
	}
	FILE *src = tmpfile();
	fwrite(noise, 1, n, src);
	fflush(src);
	rewind(src);
	assert_int_equal(zip_writer_add_bytes(zw, "text", 0644, text, n, &err), 0);
	assert_int_equal(zip_writer_add_fd(zw, "noise", 0644, fileno(src), &err), 0);
	assert_int_equal(zip_writer_add_bytes(zw, "empty", 0644, "", 0, &err), 0);
	assert_int_equal(zip_writer_finish(zw, &err), 0);
	assert_int_equal(zip_writer_unzipped(zw), 2 * n);
	size_t len;
	unsigned char *z = slurp(f, &len);
	/* text: deflated, smaller, and decodes to itself */
	assert_int_equal(rd16(z + 8), 8);
	uint32_t csize = rd32(z + 18);
	assert_int_equal(rd32(z + 22), n);
	assert_true(csize < n / 20);
	assert_int_equal(rd32(z + 14), zip_crc32(0, text, n));
	size_t back_len;
	unsigned char *back = inflate_raw(z + 30 + 4, csize, n, &back_len);
	assert_int_equal(back_len, n);
	assert_memory_equal(back, text, n);
	free(back);
	/* noise: deflating did not pay, so it was written again stored, right after */
	const unsigned char *h = z + 30 + 4 + csize;
	assert_int_equal(rd32(h), 0x04034b50u);
	assert_int_equal(rd16(h + 8), 0);
	assert_int_equal(rd32(h + 18), n);
	assert_memory_equal(h + 30 + 5, noise, n);
	/* empty: stored */
	h += 30 + 5 + n;
	assert_int_equal(rd16(h + 8), 0);
	assert_int_equal(rd32(h + 18), 0);
	/* the central directory says the same */
	const unsigned char *end = z + len - 22;
	assert_int_equal(rd32(end + 12) + rd32(end + 16), len - 22);
	const unsigned char *c = z + rd32(end + 16);
	assert_int_equal(rd16(c + 10), 8);
	assert_int_equal(rd32(c + 20), csize);
	free(z);
	free(text);
	free(noise);
	zip_writer_free(zw);
	fclose(src);
	fclose(f);
}

/* ---- Lambda events --------------------------------------------------------------------- */

static void unwrap(const char *event, struct lambda_request *req, int want_rc)
{
	struct mlf_err err;
	int rc = lambda_event_unwrap(event, strlen(event), req, &err);
	if (rc != want_rc)
		fail_msg("'%s' unwrapped with %d (%s)", event, rc, rc ? err.msg : "");
}

static void test_direct_events(void **state)
{
	(void)state;
	struct lambda_request req;
	const char *events[] = { "{\"dataframe_split\": {\"columns\": [\"a\"], \"data\": [[1]]}}", "not json at all",
				 "[1, 2]", "{\"requestContext\": \"a string is no context\"}" };
	for (size_t i = 0; i < 4; i++) {
		unwrap(events[i], &req, 0);
		assert_false(req.proxy);
		assert_string_equal(req.content_type, "application/json");
		assert_string_equal(req.body.ptr, events[i]);
		lambda_request_release(&req);
	}
}

static void test_proxy_events(void **state)
{
	(void)state;
	struct lambda_request req;
	unwrap("{\"httpMethod\": \"POST\", \"requestContext\": {}, \"headers\": {\"Content-TYPE\": \"text/csv\"},"
	       " \"body\": \"a,b\\n1,2\\n\", \"isBase64Encoded\": false}",
	       &req, 0);
	assert_true(req.proxy);
	assert_int_equal(req.proxy_version, 1);
	assert_string_equal(req.content_type, "text/csv");
	assert_string_equal(req.body.ptr, "a,b\n1,2\n");
	lambda_request_release(&req);

	/* 2.0, base64: {"inputs": [1]} */
	unwrap("{\"version\": \"2.0\", \"requestContext\": {\"http\": {}}, \"headers\": {\"content-type\": "
	       "\"application/json; charset=utf-8\"}, \"body\": \"eyJpbnB1dHMiOiBbMV19\", \"isBase64Encoded\": true}",
	       &req, 0);
	assert_int_equal(req.proxy_version, 2);
	assert_string_equal(req.content_type, "application/json; charset=utf-8");
	assert_string_equal(req.body.ptr, "{\"inputs\": [1]}");
	lambda_request_release(&req);

	/* only multiValueHeaders; no body at all */
	unwrap("{\"requestContext\": {}, \"multiValueHeaders\": {\"content-type\": [\"application/json\"]}, \"body\": null}",
	       &req, 0);
	assert_string_equal(req.content_type, "application/json");
	assert_int_equal(req.body.len, 0);
	lambda_request_release(&req);

	/* no content type: none, so the scoring app answers 415 as over HTTP */
	unwrap("{\"requestContext\": {}, \"body\": \"{}\"}", &req, 0);
	assert_null(req.content_type);
	lambda_request_release(&req);

	/* a NUL inside a body survives */
	unwrap("{\"requestContext\": {}, \"body\": \"a\\u0000b\"}", &req, 0);
	assert_int_equal(req.body.len, 3);
	lambda_request_release(&req);

	unwrap("{\"requestContext\": {}, \"body\": \"!!!\", \"isBase64Encoded\": true}", &req, -1);
	assert_true(req.proxy);
	lambda_request_release(&req);
	unwrap("{\"requestContext\": {}, \"body\": {\"inputs\": [1]}}", &req, -1);
	assert_true(req.proxy);
	lambda_request_release(&req);
}

static json_t *parse(const struct buf *b)
{
	json_error_t jerr;
	json_t *doc = json_loadb(b->ptr, b->len, 0, &jerr);
	if (!doc)
		fail_msg("not JSON: %s", b->ptr);
	return doc;
}

static void test_answers(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	const char body[] = "{\"predictions\": [0.5]}";
	lambda_event_proxy_response(200, "application/json", body, strlen(body), &out);
	json_t *doc = parse(&out);
	assert_int_equal(json_integer_value(json_object_get(doc, "statusCode")), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "headers"), "Content-Type")),
			    "application/json");
	assert_string_equal(json_string_value(json_object_get(doc, "body")), body);
	assert_true(json_is_false(json_object_get(doc, "isBase64Encoded")));
	json_decref(doc);

	buf_reset(&out);
	lambda_event_proxy_response(400, "text/plain", "\xff\x00z", 3, &out);
	doc = parse(&out);
	assert_true(json_is_true(json_object_get(doc, "isBase64Encoded")));
	assert_string_equal(json_string_value(json_object_get(doc, "body")), "/wB6");
	json_decref(doc);

	buf_reset(&out);
	lambda_event_error_json("BAD_REQUEST", "line\n\"quoted\"", &out);
	assert_string_equal(out.ptr, "{\"errorMessage\":\"line\\n\\\"quoted\\\"\",\"errorType\":\"BAD_REQUEST\"}");

	char type[64];
	struct buf msg = BUF_INIT;
	const char err_body[] = "{\"error_code\": \"BAD_REQUEST\", \"message\": \"Failed to enforce schema\"}";
	lambda_event_answer_error(400, err_body, strlen(err_body), type, sizeof(type), &msg);
	assert_string_equal(type, "BAD_REQUEST");
	assert_string_equal(msg.ptr, "Failed to enforce schema");
	buf_reset(&msg);
	lambda_event_answer_error(415, "This predictor only supports", 28, type, sizeof(type), &msg);
	assert_string_equal(type, "HTTP_415");
	assert_string_equal(msg.ptr, "This predictor only supports");

	buf_reset(&out);
	lambda_event_mlflow_error(MLF_BAD_REQUEST, "no", &out);
	assert_string_equal(out.ptr, "{\"error_code\":\"BAD_REQUEST\",\"message\":\"no\"}");
	buf_release(&msg);
	buf_release(&out);
}

/* ---- generated text --------------------------------------------------------------------- */

static void test_dockerfiles(void **state)
{
	(void)state;
	const char *pkgs[] = { "ca-certificates", "libcurl4", "libjansson4", "libmicrohttpd12" };
	struct buf out = BUF_INIT;
	struct dockerfile_spec xgb = { .model_uri = "models:/fraud/3", .flavor = "xgboost", .requirements = true,
				       .env_manager = "virtualenv", .packages = pkgs, .n_packages = 4 };
	deploy_dockerfile(&xgb, &out);
	assert_non_null(strstr(out.ptr, "\nFROM debian:12-slim\n"));
	assert_non_null(strstr(out.ptr, "      libxgboost0 \\\n"));
	assert_non_null(strstr(out.ptr, "      libmicrohttpd12 \\\n"));
	assert_null(strstr(out.ptr, "python"));
	assert_null(strstr(out.ptr, "pip"));
	assert_non_null(strstr(out.ptr, "\nCOPY mlflowc /usr/local/bin/mlflowc\nCOPY model /opt/ml/model\n"));
	assert_non_null(strstr(out.ptr, "\nUSER 10001:10001\n"));
	assert_non_null(strstr(out.ptr, "\nEXPOSE 8080\n"));
	assert_non_null(strstr(out.ptr, "HEALTHCHECK "));
	assert_non_null(strstr(out.ptr, "GET /ping"));
	assert_non_null(strstr(out.ptr, "\nENTRYPOINT [\"/usr/local/bin/mlflowc\", \"models\", \"serve\"]\n"));
	assert_non_null(strstr(out.ptr, "\nCMD [\"-m\", \"/opt/ml/model\", \"-h\", \"0.0.0.0\", \"-p\", \"8080\"]\n"));

	buf_reset(&out);
	struct dockerfile_spec cf = xgb;
	cf.flavor = "c_function";
	cf.model_uri = "evil\nRUN rm -rf /";
	deploy_dockerfile(&cf, &out);
	assert_null(strstr(out.ptr, "libxgboost0"));
	assert_null(strstr(out.ptr, "python"));
	assert_null(strstr(out.ptr, "\nRUN rm")); /* a newline in the URI cannot start an instruction */
	assert_non_null(strstr(out.ptr, "evil?RUN rm -rf /"));

	buf_reset(&out);
	struct dockerfile_spec py = xgb;
	py.flavor = "python_function";
	deploy_dockerfile(&py, &out);
	assert_non_null(strstr(out.ptr, "      python3 \\\n"));
	assert_non_null(strstr(out.ptr, "      python3-venv \\\n"));
	assert_non_null(strstr(out.ptr, "python3 -m venv /opt/mlflowc-env"));
	assert_non_null(strstr(out.ptr, "pip install --no-cache-dir -r /opt/ml/model/requirements.txt"));
	assert_non_null(strstr(out.ptr, "PATH=/opt/mlflowc-env/bin:$PATH"));
	assert_non_null(strstr(out.ptr, "\"--env-manager\", \"local\", \"--python\", \"/opt/mlflowc-env/bin/python\"]"));
	assert_null(strstr(out.ptr, "libxgboost0"));

	buf_reset(&out);
	py.env_manager = "local";
	deploy_dockerfile(&py, &out);
	assert_null(strstr(out.ptr, "venv /opt"));
	assert_null(strstr(out.ptr, "--python"));
	assert_non_null(strstr(out.ptr, "      python3 \\\n"));

	buf_reset(&out);
	struct dockerfile_spec generic = { .packages = pkgs, .n_packages = 4, .env_manager = "virtualenv" };
	deploy_dockerfile(&generic, &out);
	assert_null(strstr(out.ptr, "COPY model"));
	assert_non_null(strstr(out.ptr, "libxgboost0"));
	assert_non_null(strstr(out.ptr, "python3"));
	assert_non_null(strstr(out.ptr, "\"--env-manager\", \"virtualenv\"]"));
	buf_release(&out);
}

static void test_k8s_names_and_quantities(void **state)
{
	(void)state;
	assert_true(deploy_dns_label("fraud"));
	assert_true(deploy_dns_label("a"));
	assert_true(deploy_dns_label("fraud-2"));
	assert_false(deploy_dns_label(""));
	assert_false(deploy_dns_label("-fraud"));
	assert_false(deploy_dns_label("fraud-"));
	assert_false(deploy_dns_label("Fraud"));
	assert_false(deploy_dns_label("fraud.model"));
	assert_false(deploy_dns_label("fraud_model"));
	assert_true(deploy_dns_label("a23456789012345678901234567890123456789012345678901234567890123"));
	assert_false(deploy_dns_label("a234567890123456789012345678901234567890123456789012345678901234"));

	const char *good[] = { "500m", "1", "0.5", "2", "512Mi", "2Gi", "1G", "1e3", "100k" };
	const char *bad[] = { "", "m", "1.2.3", "-1", "5 00m", "1Gb", "1e", "abc", "1\n" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(deploy_quantity(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (deploy_quantity(bad[i]))
			fail_msg("'%s' should not be a quantity", bad[i]);

	char name[64];
	deploy_k8s_default_name("models:/Fraud Detector@champion", name);
	assert_string_equal(name, "fraud-detector");
	deploy_k8s_default_name("models:/fraud/3", name);
	assert_string_equal(name, "fraud");
	deploy_k8s_default_name("runs:/0123abc/model", name);
	assert_string_equal(name, "model");
	deploy_k8s_default_name("models:/___/1", name);
	assert_string_equal(name, "mlflow-model");
	deploy_k8s_default_name("models:/" "ÄÖÜ", name);
	assert_string_equal(name, "mlflow-model");
}

static void test_yaml_quote(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	deploy_yaml_quote(&out, "plain");
	assert_string_equal(out.ptr, "\"plain\"");
	buf_reset(&out);
	deploy_yaml_quote(&out, "a\"b\\c\nd\te\x01" "f\x7f");
	assert_string_equal(out.ptr, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007F\"");
	buf_reset(&out);
	deploy_yaml_quote(&out, "\xc2\x85|\xe2\x80\xa8|\xef\xbb\xbf|\xef\xbf\xbe|é|€");
	assert_string_equal(out.ptr, "\"\\u0085|\\u2028|\\uFEFF|\\uFFFE|é|€\"");
	buf_reset(&out);
	deploy_yaml_quote(&out, "key: value # not a comment");
	assert_string_equal(out.ptr, "\"key: value # not a comment\"");
	buf_release(&out);
}

static struct k8s_spec good_spec(void)
{
	return (struct k8s_spec){ .name = "fraud", .image = "registry.example.com/fraud:3", .model_uri = "models:/fraud@champion",
				  .tracking_uri = "http://mlflow:5000", .replicas = 2, .port = 8080, .cpu = "500m",
				  .memory = "512Mi", .min_replicas = 1, .max_replicas = 4, .target_cpu = 70 };
}

static void test_k8s_check(void **state)
{
	(void)state;
	struct mlf_err err;
	struct k8s_spec s = good_spec();
	assert_int_equal(deploy_k8s_check(&s, &err), 0);
#define REFUSED(field_change, word)                                          \
	do {                                                                 \
		struct k8s_spec t = good_spec();                             \
		field_change;                                                \
		assert_int_equal(deploy_k8s_check(&t, &err), -1);            \
		if (!strstr(err.msg, word))                                  \
			fail_msg("'%s' does not name %s", err.msg, word);    \
	} while (0)
	REFUSED(t.name = "Fraud", "--name");
	REFUSED(t.name = "", "--name");
	REFUSED(t.image = "a b", "--image");
	REFUSED(t.image = "", "--image");
	REFUSED(t.cpu = "lots", "--cpu");
	REFUSED(t.memory = "1 Gi", "--memory");
	REFUSED(t.port = 0, "--port");
	REFUSED(t.port = 70000, "--port");
	REFUSED(t.min_replicas = 0, "--min-replicas");
	REFUSED(t.min_replicas = 5, "--min-replicas");
	REFUSED(t.replicas = 9, "--replicas");
	REFUSED(t.target_cpu = 0, "--target-cpu");
	REFUSED(t.target_cpu = 101, "--target-cpu");
	REFUSED(t.model_uri = "\xff", "--model-uri");
#undef REFUSED
}

static void test_k8s_yaml(void **state)
{
	(void)state;
	struct k8s_spec s = good_spec();
	s.model_uri = "models:/fr$(HOME)aud@champion";
	struct buf out = BUF_INIT;
	deploy_k8s_yaml(&s, &out);
	assert_non_null(strstr(out.ptr, "---\napiVersion: \"apps/v1\"\nkind: \"Deployment\"\n"));
	assert_non_null(strstr(out.ptr, "---\napiVersion: \"v1\"\nkind: \"Service\"\n"));
	assert_non_null(strstr(out.ptr, "---\napiVersion: \"autoscaling/v2\"\nkind: \"HorizontalPodAutoscaler\"\n"));
	assert_non_null(strstr(out.ptr, "value: \"models:/fr$$(HOME)aud@champion\"")); /* not expanded by the kubelet */
	assert_non_null(strstr(out.ptr, "mlflow.org/model-uri: \"models:/fr$(HOME)aud@champion\""));
	assert_non_null(strstr(out.ptr, "  replicas: 2\n"));
	assert_non_null(strstr(out.ptr, "  minReplicas: 1\n  maxReplicas: 4\n"));
	assert_non_null(strstr(out.ptr, "averageUtilization: 70\n"));
	assert_non_null(strstr(out.ptr, "path: \"/ping\""));
	buf_release(&out);
}

static void test_bootstrap(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	deploy_lambda_bootstrap("ld-linux-x86-64.so.2", &out);
	assert_true(!strncmp(out.ptr, "#!/bin/sh\n", 10));
	assert_non_null(strstr(out.ptr, "exec \"$ROOT/lib/ld-linux-x86-64.so.2\" --library-path \"$ROOT/lib\" "
					"\"$ROOT/bin/mlflowc\" models lambda-runtime -m \"$ROOT/model\"\n"));
	buf_release(&out);
}

/* ---- libraries ------------------------------------------------------------------------ */

static void test_libraries(void **state)
{
	(void)state;
	struct mlf_err err;
	char *names[DEPLOY_LIBS_MAX];
	int n = deploy_elf_needed("/proc/self/exe", names, DEPLOY_LIBS_MAX, &err);
	assert_true(n > 0);
	bool cmocka = false, jansson = false;
	for (int i = 0; i < n; i++) {
		cmocka |= !strncmp(names[i], "libcmocka.so", 12);
		jansson |= !strcmp(names[i], "libjansson.so.4");
		free(names[i]);
	}
	assert_true(cmocka && jansson);
	assert_int_equal(deploy_elf_needed("/etc/hostname", names, DEPLOY_LIBS_MAX, &err), -1);
	assert_int_equal(deploy_elf_needed("/nonexistent", names, DEPLOY_LIBS_MAX, &err), -1);

	char soname[256];
	assert_int_equal(deploy_elf_soname("/proc/self/exe", soname, sizeof(soname), &err), 0);
	assert_string_equal(soname, ""); /* a program has none */

	assert_string_equal(deploy_debian_package("libmicrohttpd.so.12"), "libmicrohttpd12");
	assert_string_equal(deploy_debian_package("libxgboost.so.0"), "libxgboost0");
	assert_string_equal(deploy_debian_package("libc.so.6"), "");
	assert_null(deploy_debian_package("libcmocka.so.0"));
	const char *pkgs[64];
	/* the test program links cmocka, which no image has a row for */
	assert_int_equal(deploy_binary_packages("/proc/self/exe", pkgs, 64, &err), -1);
	assert_non_null(strstr(err.msg, "libcmocka"));

	char interp[256];
	assert_int_equal(deploy_interpreter_name(interp, sizeof(interp), &err), 0);
	assert_non_null(strstr(interp, "ld-"));
	struct deploy_lib libs[DEPLOY_LIBS_MAX];
	int nl = deploy_loaded_libs(NULL, libs, DEPLOY_LIBS_MAX, &err);
	assert_true(nl > 2);
	bool libc = false, loader = false;
	for (int i = 0; i < nl; i++) {
		assert_true(libs[i].path[0] == '/');
		libc |= !strcmp(libs[i].name, "libc.so.6");
		assert_int_equal(deploy_elf_soname(libs[i].path, soname, sizeof(soname), &err), 0);
		if (soname[0])
			assert_string_equal(libs[i].name, soname);
		loader |= !strcmp(libs[i].name, interp);
		deploy_lib_release(&libs[i]);
	}
	assert_true(libc && loader);
	assert_int_equal(deploy_loaded_libs(NULL, libs, 1, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_zip_layout),
		cmocka_unit_test(test_zip_refusals),
		cmocka_unit_test(test_zip_entry_limit),
		cmocka_unit_test(test_zip_deflated_entries),
		cmocka_unit_test(test_direct_events),
		cmocka_unit_test(test_proxy_events),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_dockerfiles),
		cmocka_unit_test(test_k8s_names_and_quantities),
		cmocka_unit_test(test_yaml_quote),
		cmocka_unit_test(test_k8s_check),
		cmocka_unit_test(test_k8s_yaml),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_libraries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
