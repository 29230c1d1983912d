/*
 * router.c - matches a request's method and path against route tables
 * (router.h): exact rows on the decoded path, prefix and pattern rows on
 * the raw path (ids and artifact paths are decoded by their handlers, after
 * their own checks), tier by tier: ordinary rows, fallback rows, the
 * default row.
 */
#include "router.h"
#include "http.h"

/* Matches pattern `pat` ("/a/{x}/b") against raw path `raw`. */
static bool pattern_matches(const char *pat, const char *raw, struct route_hit *hit)
{
	hit->n_seg = 0;
	while (*pat) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			size_t n = strcspn(raw, "/");
			if (!close || n == 0 || hit->n_seg == ROUTE_MAX_SEGMENTS)
				return false;
			hit->seg[hit->n_seg] = raw;
			hit->seg_len[hit->n_seg++] = n;
			pat = close + 1;
			raw += n;
			continue;
		}
		if (*pat++ != *raw++)
			return false;
	}
	return *raw == '\0';
}

static bool target_matches(const struct route *r, const struct router_target *t, struct route_hit *hit)
{
	size_t len;
	switch (r->match) {
	case ROUTE_EXACT:
		return t->path && strcmp(t->path, r->path) == 0;
	case ROUTE_PREFIX:
		len = strlen(r->path);
		if (!t->raw || strncmp(t->raw, r->path, len) != 0 || t->raw[len] != '/')
			return false;
		hit->tail = t->raw + len + 1;
		return true;
	case ROUTE_PATTERN:
		return t->raw && pattern_matches(r->path, t->raw, hit);
	case ROUTE_ANY:
		return t->path != NULL;
	}
	return false;
}

bool router_row_matches(const struct route *r, const struct router_view *v, struct route_hit *hit)
{
	*hit = (struct route_hit){ 0 };
	switch (r->at) {
	case ROUTE_AT_API:
		return target_matches(r, &v->api, hit);
	case ROUTE_AT_SITE:
		return target_matches(r, &v->site, hit);
	case ROUTE_AT_ROOT:
		return target_matches(r, &v->root, hit) || target_matches(r, &v->site, hit);
	}
	return false;
}

void router_lookup(const struct route_table *tables, size_t n, const struct router_view *v, unsigned method,
		   struct route_lookup *out)
{
	struct route_hit hit;
	*out = (struct route_lookup){ 0 };
	if (method == HTTP_HEAD) /* answered like GET; libmicrohttpd leaves out the body */
		method = HTTP_GET;
	for (enum route_rank rank = ROUTE_ORDINARY; rank <= ROUTE_DEFAULT; rank++) {
		if (rank == ROUTE_DEFAULT && out->path_methods)
			break; /* a known path never reaches the default row */
		for (size_t t = 0; t < n; t++)
			for (size_t i = 0; i < *tables[t].n; i++) {
				const struct route *r = &tables[t].rows[i];
				if (r->rank != rank || !router_row_matches(r, v, &hit))
					continue;
				if (rank != ROUTE_DEFAULT) {
					if (!out->path_methods)
						out->path_at = r->at;
					out->path_methods |= r->methods;
				}
				if (!out->route && (r->methods & method)) {
					out->route = r;
					out->hit = hit;
				}
			}
		if (out->route)
			return;
	}
}

int router_segment_index(const struct route *r, const char *name)
{
	size_t len = strlen(name);
	int i = 0;
	if (r->match != ROUTE_PATTERN)
		return -1;
	for (const char *p = strchr(r->path, '{'); p; p = strchr(p + 1, '{'), i++)
		if (strncmp(p + 1, name, len) == 0 && p[1 + len] == '}')
			return i;
	return -1;
}
