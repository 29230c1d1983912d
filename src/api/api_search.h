/*
 * api_search.h - request parameters shared by the search endpoints:
 * max_results, page_token, filter, order_by, view type, experiment ids.
 */
#ifndef MLF_API_SEARCH_H
#define MLF_API_SEARCH_H

#include "api.h"

/* Reads filter, order_by, max_results (default 1000, 1..50000),
 * page_token and the view type field `view_field` into `q`. */
int search_params(struct api_ctx *c, enum filter_kind kind, const char *view_field, struct store_search *q);
/* Writes "next_page_token" when `more`. */
void search_next_token(struct api_ctx *c, const struct store_search *q, bool more);
/* experiment_ids: at most `max` (0 = no limit), each an integer. */
int search_experiment_ids(struct api_ctx *c, size_t max, const char ***ids, size_t *n, int64_t **parsed);

#endif
