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
/* A search whose answer auth filters (auth_gate_may_read): `fetch` runs the
 * store's search for q (one page of q->max_results from q->offset) into
 * *items (`elem`-byte items) and *more; `key` names item i's permission
 * key. Pages are fetched until q->max_results readable items are found or
 * the results end (at most SEARCH_FILTER_PAGES pages). *out and *n: the
 * readable items (in the request arena); *next: the offset the next page
 * starts at, or -1 when there is none. With auth off or for an admin this
 * is one fetch. */
#define SEARCH_FILTER_PAGES 1000
typedef int (*search_fetch_fn)(struct api_ctx *c, const struct store_search *q, void **items, size_t *n, bool *more);
typedef const char *(*search_key_fn)(struct api_ctx *c, const void *item);
int search_filtered(struct api_ctx *c, struct store_search *q, enum route_resource kind, size_t elem,
		    search_fetch_fn fetch, search_key_fn key, void **out, size_t *n, int64_t *next);
/* Writes "next_page_token" for offset `next` unless it is -1. */
void search_next_token_at(struct api_ctx *c, int64_t next);
/* experiment_ids: at most `max` (0 = no limit), each an integer. */
int search_experiment_ids(struct api_ctx *c, size_t max, const char ***ids, size_t *n, int64_t **parsed);

#endif
