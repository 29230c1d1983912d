/*
 * artifact.c - picks the artifact backend for a URI, and the MIME table.
 */
#include "artifact.h"
#include "artifact_local.h"
#include "artifact_path.h"
#include "artifact_s3.h"
#include "../base/log.h"
#include <errno.h>
#include <strings.h>

struct artifact_repo *artifact_open(const char *uri, struct mlf_err *err)
{
	bool invalid;
	char *file_path = artifact_file_uri_path(uri, &invalid);
	if (invalid) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifact destination has a NUL or control character");
		return NULL;
	}
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

static const struct {
	int errnum;
	enum mlf_code code;
	const char *why; /* NULL: strerror's text */
} errno_errors[] = {
	{ ENOENT, MLF_RESOURCE_DOES_NOT_EXIST, "it does not exist" },
	{ ELOOP, MLF_INVALID_PARAMETER_VALUE, "a symbolic link is in the way" },
	{ EXDEV, MLF_INVALID_PARAMETER_VALUE, "the path leads outside the artifact root" },
	{ ENOTDIR, MLF_INVALID_PARAMETER_VALUE, "a file is in the way of a directory (or a symbolic link)" },
	{ EISDIR, MLF_INVALID_PARAMETER_VALUE, "a directory of that name exists" },
	{ EEXIST, MLF_INVALID_PARAMETER_VALUE, "something of that name is in the way" },
	{ ENOTEMPTY, MLF_INVALID_PARAMETER_VALUE, "a directory of that name exists" },
	{ ENAMETOOLONG, MLF_INVALID_PARAMETER_VALUE, "a path component is longer than 255 bytes" },
	{ ENOSPC, MLF_INSUFFICIENT_STORAGE, "no space is left on the artifact store's disk" },
	{ EDQUOT, MLF_INSUFFICIENT_STORAGE, "the artifact store's disk quota is exhausted" },
	{ EFBIG, MLF_MAX_READ_SIZE_EXCEEDED, "the file is too large" },
	{ EACCES, MLF_PERMISSION_DENIED, NULL },
	{ EPERM, MLF_PERMISSION_DENIED, NULL },
	{ EROFS, MLF_PERMISSION_DENIED, "the artifact store is read-only" },
};

enum mlf_code artifact_errno_code(int errnum)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_errors); i++)
		if (errno_errors[i].errnum == errnum)
			return errno_errors[i].code;
	return MLF_INTERNAL_ERROR;
}

int artifact_errno_error(int errnum, const char *what, const char *path, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_errors); i++)
		if (errno_errors[i].errnum == errnum)
			return mlf_errorf(err, errno_errors[i].code, "Could not %s artifact '%s': %s", what, path,
					  errno_errors[i].why ? errno_errors[i].why : strerror(errnum));
	log_error("artifacts: %s '%s': %s", what, path, strerror(errnum));
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not %s artifact '%s'", what, path);
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
