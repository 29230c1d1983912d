/*
 * validate.c - MLflow's validation rules for names and lengths (§5 of the
 * protocol spec): key characters, path-unique names, length limits counted
 * in characters, and truncation of long param and tag values.
 */
#include "api.h"
#include "../base/util.h"

/* Length in Unicode code points of UTF-8 text (continuation bytes skipped). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int validate_length(struct api_ctx *c, const char *value, size_t max, const char *what)
{
	if (value && utf8_chars(value) > max)
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE, "%s '%.64s...' had length %zu, which exceeded length limit of %zu",
				  what, value, utf8_chars(value), max);
	return 0;
}

const char *truncate_chars(struct api_ctx *c, const char *value, size_t max)
{
	size_t chars = 0, i;
	if (!value)
		return value;
	for (i = 0; value[i]; i++) {
		if (((unsigned char)value[i] & 0xC0) != 0x80) {
			if (chars == max)
				return arena_strndup(c->a, value, i);
			chars++;
		}
	}
	return value;
}

/* Python's \w (Unicode word characters) plus "/.- :". Non-ASCII bytes are
 * taken as word characters: MLflow accepts letters of every script. */
static bool key_char_ok(unsigned char ch)
{
	return ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("_/.- :", ch) != NULL;
}

/* Does POSIX path normalisation change `key`? (a//b, a/./b, a/, ./a, a/../b) */
static bool path_changes(const char *key)
{
	size_t n = strlen(key);
	if (strcmp(key, ".") == 0 || strncmp(key, "..", 2) == 0 || key[0] == '/')
		return true;
	if (n && key[n - 1] == '/')
		return true;
	if (strstr(key, "//") || strstr(key, "/./") || strstr(key, "/../") || strncmp(key, "./", 2) == 0)
		return true;
	if (n >= 2 && strcmp(key + n - 2, "/.") == 0)
		return true;
	if (n >= 3 && strcmp(key + n - 3, "/..") == 0)
		return true;
	return false;
}

int validate_key(struct api_ctx *c, const char *key, const char *what)
{
	for (const char *p = key; *p; p++)
		if (!key_char_ok((unsigned char)*p))
			return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
					  "Invalid value \"%s\" for parameter '%s' supplied: Names may only contain "
					  "alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and "
					  "slashes (/).",
					  key, what);
	if (path_changes(key))
		return mlf_errorf(c->err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid value \"%s\" for parameter '%s' supplied: Names may be treated as files in "
				  "certain cases, and must not resolve to other names when treated as such.",
				  key, what);
	return 0;
}

int parse_experiment_id(struct api_ctx *c, const char *s, int64_t *out)
{
	if (!util_parse_int64(s, out))
		return mlf_errorf(c->err, MLF_RESOURCE_DOES_NOT_EXIST, "No Experiment with id=%s exists", s);
	return 0;
}
