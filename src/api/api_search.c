/*
 * api_search.c - parameters common to the search endpoints.
 */
#include "api_search.h"
#include "auth_gate.h"
#include "../base/util.h"
#include <strings.h>

#define SEARCH_MAX_RESULTS 50000
#define SEARCH_DEFAULT_RESULTS 1000

static const struct {
	const char *name;
	enum store_view view;
} view_types[] = {
	{ "ACTIVE_ONLY", STORE_VIEW_ACTIVE },
	{ "DELETED_ONLY", STORE_VIEW_DELETED },
	{ "ALL", STORE_VIEW_ALL },
};

static int view_param(struct api_ctx *c, const char *field, enum store_view *out)
{
	int64_t num;
	const char *s;
	*out = STORE_VIEW_ACTIVE;
	json_t *v = c->body ? json_object_get(c->body, field) : NULL;
	if (v && json_is_integer(v)) {
		num = json_integer_value(v);
		if (num >= 1 && num <= 3) {
			*out = (enum store_view)num;
			return 0;
		}
		return param_invalid(c, field, v);
	}
	int rc = param_string(c, field, &s);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	for (size_t i = 0; i < ARRAY_SIZE(view_types); i++)
		if (strcasecmp(s, view_types[i].name) == 0) {
			*out = view_types[i].view;
			return 0;
		}
	if (util_parse_int64(s, &num) && num >= 1 && num <= 3) {
		*out = (enum store_view)num;
		return 0;
	}
	return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid value \"%s\" for parameter '%s' supplied:  Hint: Value was of type 'str'.", s, field);
}

int search_params(struct api_ctx *c, enum filter_kind kind, const char *view_field, struct store_search *q)
{
	const char *filter = NULL, *token = NULL, **order;
	size_t n_order;
	memset(q, 0, sizeof(*q));
	q->max_results = SEARCH_DEFAULT_RESULTS;
	int rc = param_int64(c, "max_results", &q->max_results);
	if (rc < 0)
		return -1;
	if (q->max_results <= 0)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value %lld for parameter 'max_results' supplied. It must be a positive integer",
				  (long long)q->max_results);
	if (q->max_results > SEARCH_MAX_RESULTS)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value %lld for parameter 'max_results' supplied. It must be at most %d",
				  (long long)q->max_results, SEARCH_MAX_RESULTS);
	if (view_param(c, view_field, &q->view) < 0 || param_string(c, "filter", &filter) < 0 ||
	    param_string_list(c, "order_by", &order, &n_order) < 0 || param_string(c, "page_token", &token) < 0)
		return -1;
	if (filter_parse(kind, filter, &q->filter, c->a, c->err) < 0 ||
	    order_by_parse(kind, order, n_order, &q->order, c->a, c->err) < 0 ||
	    page_token_decode(token, &q->offset, c->err) < 0)
		return -1;
	return 0;
}

void search_next_token(struct api_ctx *c, const struct store_search *q, bool more)
{
	if (!more)
		return;
	jw_kv_str(&c->w, "next_page_token", page_token_encode(q->offset + q->max_results, c->a));
}

int search_experiment_ids(struct api_ctx *c, size_t max, const char ***ids, size_t *n, int64_t **parsed)
{
	int rc = param_string_list(c, "experiment_ids", ids, n);
	if (rc < 0)
		return -1;
	if (max && *n > max)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Too many experiment ids: at most %zu may be given, got %zu", max, *n);
	*parsed = arena_alloc(c->a, (*n ? *n : 1) * sizeof(**parsed));
	for (size_t i = 0; i < *n; i++)
		if (!util_parse_int64((*ids)[i], &(*parsed)[i]))
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "Invalid experiment id '%s'", (*ids)[i]);
	return 0;
}

void search_next_token_at(struct api_ctx *c, int64_t next)
{
	if (next >= 0)
		jw_kv_str(&c->w, "next_page_token", page_token_encode(next, c->a));
}

int search_filtered(struct api_ctx *c, struct store_search *q, enum route_resource kind, size_t elem,
		    search_fetch_fn fetch, search_key_fn key, void **out, size_t *n, int64_t *next)
{
	void *items;
	size_t got;
	bool more;
	if (fetch(c, q, &items, &got, &more) < 0)
		return -1;
	if (!c->who || c->who->is_admin) {
		*out = items;
		*n = got;
		*next = more ? q->offset + q->max_results : -1;
		return 0;
	}
	size_t want = (size_t)q->max_results, have = 0;
	char *kept = arena_alloc(c->a, (want ? want : 1) * elem);
	for (int page = 0;; page++) {
		for (size_t i = 0; i < got; i++) {
			const char *item = (const char *)items + i * elem;
			if (!auth_gate_may_read(c, kind, key(c, item)))
				continue;
			memcpy(kept + have * elem, item, elem);
			if (++have == want) {
				*next = (i + 1 < got || more) ? q->offset + (int64_t)i + 1 : -1;
				goto done;
			}
		}
		if (!more || page + 1 == SEARCH_FILTER_PAGES) {
			*next = more ? q->offset + q->max_results : -1;
			break;
		}
		q->offset += q->max_results;
		if (fetch(c, q, &items, &got, &more) < 0)
			return -1;
	}
done:
	*out = kept;
	*n = have;
	return 0;
}
