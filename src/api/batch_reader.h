/*
 * batch_reader.h - the log-batch request, read without building a JSON
 * DOM when it can be.
 *
 * log-batch is the hottest write path (1000 metrics a request). The fast
 * reader pulls tokens (json/jt.h) straight into store structs in the
 * request arena. It accepts only the common, unambiguous shape: ASCII
 * strings without escapes, numeric values, integral timestamps and steps,
 * no unknown or repeated fields. Anything else makes it decline, and the
 * handler reads the body with the full parser, so every error message and
 * leniency stays in one place (api_runs.c).
 */
#ifndef MLF_BATCH_READER_H
#define MLF_BATCH_READER_H

#include "../store/store.h"

struct batch_request {
	const char *run_id; /* run_id, else run_uuid; NULL when neither */
	struct store_metric *metrics;
	size_t n_metrics;
	struct store_kv *params;
	size_t n_params;
	struct store_kv *tags;
	size_t n_tags;
};

/* Reads `body` into `out` (strings in `a`). Returns true when the body was
 * read completely; false when it is outside the fast subset (then `out`
 * means nothing and the caller uses the full parser). */
bool batch_read_fast(const char *body, size_t n, struct arena *a, struct batch_request *out);

#endif
