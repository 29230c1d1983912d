/*
 * model_uri.c - parsing models:/ URIs; see model_uri.h for the grammar.
 */
#include "model_uri.h"
#include <strings.h>

#define MODEL_URI_SCHEME "models:"

/* True when s[0..n) is empty or only whitespace (MLflow's `.strip() == ""`). */
static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\n\v\f\r", s[i]))
			return false;
	return true;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

int model_uri_parse(const char *uri, struct model_uri *out)
{
	size_t scheme_len = strlen(MODEL_URI_SCHEME);
	if (!uri || strncasecmp(uri, MODEL_URI_SCHEME, scheme_len) != 0 || uri[scheme_len] != '/')
		return -1;
	const char *path = uri + scheme_len;
	while (*path == '/')
		path++;
	const char *slash = strchr(path, '/');
	size_t first_len = slash ? (size_t)(slash - path) : strlen(path);
	if (blank(path, first_len))
		return -1;
	if (slash) { /* NAME/SUFFIX */
		const char *suffix = slash + 1;
		size_t suffix_len = strlen(suffix);
		if (strchr(suffix, '/') || blank(suffix, suffix_len))
			return -1;
		*out = (struct model_uri){ .name = path, .name_len = first_len, .ref = suffix, .ref_len = suffix_len };
		if (digits(suffix, suffix_len))
			out->kind = MODEL_URI_VERSION;
		else if (strcasecmp(suffix, "latest") == 0)
			out->kind = MODEL_URI_LATEST;
		else
			out->kind = MODEL_URI_STAGE;
		return 0;
	}
	const char *at = strrchr(path, '@');
	if (!at) {
		*out = (struct model_uri){ .kind = MODEL_URI_ID, .name = path, .name_len = first_len, .ref = "" };
		return 0;
	}
	size_t name_len = (size_t)(at - path), alias_len = strlen(at + 1);
	if (blank(path, name_len) || blank(at + 1, alias_len))
		return -1;
	*out = (struct model_uri){ .kind = MODEL_URI_ALIAS, .name = path, .name_len = name_len, .ref = at + 1,
				   .ref_len = alias_len };
	return 0;
}
