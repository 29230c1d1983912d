/*
 * fuzz_ui_stub.h - the embedded web UI table for fuzz targets that link the
 * API layer: the build's generated table (build/gen/ui_assets.c) is not in
 * the fuzzers' library, so a target includes this once, and ui_handle
 * serves a one-file UI whose index page is all it holds.
 */
#ifndef MLF_FUZZ_UI_STUB_H
#define MLF_FUZZ_UI_STUB_H

#include "api/ui.h"

static const unsigned char fuzz_index_html[] = "<!doctype html><title>mlflowc</title>";
const struct ui_asset ui_assets[] = {
	{ "/index.html", fuzz_index_html, sizeof(fuzz_index_html) - 1, NULL, 0, NULL, 0, "\"i\"", "\"i-gz\"",
	  "\"i-br\"" },
};
const size_t ui_assets_n = 1;

#endif
