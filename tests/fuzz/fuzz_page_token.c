/*
 * fuzz_page_token.c - libFuzzer target for the page tokens a client hands
 * back: page_token_decode (src/search/filter.h), the offset token of run,
 * experiment, registry and metric-history searches, and the logged-model
 * search's token that also carries the search it belongs to
 * (api_logged_model_token_decode in src/api/api_logged_models.h).
 *
 * The input is the token (cut at its first NUL, as a query value or JSON
 * string reaching the decoders is). Besides "no crash, no leak, no
 * undefined behaviour" it asserts: each decoder answers 0 with an offset
 * >= 0, or -1 with INVALID_PARAMETER_VALUE and a message "Invalid page
 * token..." (logged models: or the search mismatch they name) and the
 * offset left 0; an empty token is offset 0; a token page_token_encode
 * made from that offset (> 0) decodes to it again, in both decoders; and the
 * logged-model token made for a search decodes to its offset for that
 * search and is refused for another. Seeds: tests/fuzz/corpus/page_token/
 * (`make fuzz`).
 */
#include "api/api_logged_models.h"
#include "base/buf.h"
#include "search/filter.h"
#include "fuzz_ui_stub.h"
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

/* The search context a logged-model search puts into its tokens. */
static json_t *search_ctx(const char *filter)
{
	return json_pack("{s:[s], s:s?, s:n}", "experiment_ids", "1", "filter_string", filter, "order_by");
}

static void check_plain(const char *token, struct arena *a)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	int64_t off = -5;
	int rc = page_token_decode(token, &off, &err);
	if (rc == 0) {
		CHECK(off >= 0);
		CHECK(*token || off == 0);
		int64_t again = -5;
		if (off > 0) /* an offset of 0 is written as no token at all */
			CHECK(page_token_decode(page_token_encode(off, a), &again, &err) == 0 && again == off);
	} else {
		CHECK(rc == -1 && off == 0 && err.code == MLF_INVALID_PARAMETER_VALUE);
		CHECK(strncmp(err.msg, "Invalid page token", 18) == 0);
		CHECK(*token);
	}
}

static void check_logged(const char *token, struct arena *a)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct api_ctx c = { .a = a, .err = &err };
	json_t *ctx = search_ctx("metrics.x > 1");
	int64_t off = -5;
	int rc = api_logged_model_token_decode(&c, token, ctx, &off);
	if (rc == 0) {
		CHECK(off >= 0);
		CHECK(*token || off == 0);
		/* the token this search would hand out next decodes to its offset */
		json_t *ctx2 = json_deep_copy(ctx);
		const char *next = api_logged_model_token_encode(&c, ctx2, off);
		int64_t again = -5;
		CHECK(api_logged_model_token_decode(&c, next, ctx, &again) == 0 && again == off);
		json_t *other = search_ctx(NULL);
		again = -5;
		CHECK(api_logged_model_token_decode(&c, next, other, &again) == -1 &&
		      err.code == MLF_INVALID_PARAMETER_VALUE);
		json_decref(other);
		json_decref(ctx2);
		/* and so does the plain token of that offset */
		again = -5;
		if (off > 0)
			CHECK(api_logged_model_token_decode(&c, page_token_encode(off, a), ctx, &again) == 0 &&
			      again == off);
	} else {
		CHECK(rc == -1 && err.code == MLF_INVALID_PARAMETER_VALUE && err.msg[0]);
		CHECK(*token);
	}
	/* the decoders leave the search's context as it was */
	json_t *fresh = search_ctx("metrics.x > 1");
	CHECK(json_equal(ctx, fresh));
	json_decref(fresh);
	json_decref(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = malloc(size + 1);
	memcpy(token, data, size);
	token[size] = '\0';
	struct arena a = ARENA_INIT;
	check_plain(token, &a);
	check_logged(token, &a);
	arena_release(&a);
	free(token);
	return 0;
}
