/*
 * artifact.c - picks the artifact backend for a URI, and the MIME table.
 */
#include "artifact.h"
#include "artifact_local.h"
#include "artifact_path.h"
#include "artifact_s3.h"
#include <strings.h>

struct artifact_repo *artifact_open(const char *uri, struct mlf_err *err)
{
	char *file_path = artifact_file_uri_path(uri);
	if (file_path) {
		struct artifact_repo *r = artifact_local_open(file_path, err);
		free(file_path);
		return r;
	}
	if (strncmp(uri, "s3://", 5) == 0)
		return artifact_s3_open(uri, err);
	if (strstr(uri, "://")) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "unsupported artifact destination '%s'", uri);
		return NULL;
	}
	return artifact_local_open(uri, err);
}

void artifact_close(struct artifact_repo *r)
{
	if (r)
		r->ops->close(r);
}

static const struct {
	const char *ext; /* lower case, without the dot */
	const char *type;
} mime_types[] = {
	{ "txt", "text/plain" },  { "log", "text/plain" },    { "json", "text/plain" }, { "yaml", "text/plain" },
	{ "yml", "text/plain" },  { "md", "text/plain" },     { "py", "text/plain" },   { "csv", "text/plain" },
	{ "tsv", "text/plain" },  { "html", "text/plain" },   { "htm", "text/plain" },  { "js", "text/plain" },
	{ "xml", "text/plain" },  { "svg", "text/plain" },    { "png", "image/png" },   { "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" }, { "gif", "image/gif" },     { "bmp", "image/bmp" },   { "webp", "image/webp" },
	{ "pdf", "application/pdf" },
};

/* Files MLflow writes without an extension that are text. */
static const char *const text_names[] = { "MLmodel", "MLproject", "requirements.txt", "conda.yaml" };

const char *artifact_mime_type(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < ARRAY_SIZE(text_names); i++)
		if (strcmp(base, text_names[i]) == 0)
			return "text/plain";
	const char *dot = strrchr(base, '.');
	if (dot)
		for (size_t i = 0; i < ARRAY_SIZE(mime_types); i++)
			if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
				return mime_types[i].type;
	return "application/octet-stream";
}
