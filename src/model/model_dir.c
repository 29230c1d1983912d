/*
 * model_dir.c - a model directory opened beneath its own descriptor; see
 * model_dir.h. Every file is reached with artifact_open_beneath() (openat2
 * RESOLVE_BENEATH, or a component walk refusing symlinks and ".."), so a
 * name in MLmodel cannot lead out of the model.
 */
#include "model_dir.h"
#include "../artifact/artifact_path.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path the model names: relative, no NUL/control byte, no "..". */
static int check_rel(const char *rel, struct mlf_err *err)
{
	if (!rel || !*rel || rel[0] == '/' || artifact_has_control(rel, strlen(rel)))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The model names an invalid file path '%s'",
				  rel ? rel : "");
	for (const char *p = rel; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "The model names a file outside its directory: '%s'", rel);
		p += n + (slash ? 1 : 0);
	}
	return 0;
}

static int open_error(const char *rel, int errnum, struct mlf_err *err)
{
	if (errnum == ENOENT || errnum == ENOTDIR)
		return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "The model has no file '%s'", rel);
	if (errnum == EXDEV || errnum == ELOOP)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "The model's file '%s' leads outside its directory", rel);
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Cannot open the model's file '%s': %s", rel,
			  strerror(errnum));
}

int model_dir_open_file(const struct model_dir *md, const char *rel, int flags, struct mlf_err *err)
{
	if (check_rel(rel, err) < 0)
		return -1;
	/* O_NONBLOCK: a FIFO in a model opens at once (and is then refused as
	 * not a file) instead of blocking the server's start for ever */
	int fd = artifact_open_beneath(md->fd, rel, flags & O_PATH ? flags : flags | O_NONBLOCK, false);
	if (fd < 0)
		return open_error(rel, errno, err);
	struct stat st;
	if (!(flags & O_PATH) && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		close(fd);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The model's '%s' is not a file", rel);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Reads all of fd (a regular file of at most `max` bytes) into out. */
static int read_fd(int fd, const char *rel, size_t max, struct buf *out, struct mlf_err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The model's '%s' is not a file", rel);
	if ((uint64_t)st.st_size > max)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The model's '%s' is larger than %zu bytes", rel,
				  max);
	buf_init(out, (size_t)st.st_size + 1);
	for (;;) {
		buf_grow(out, 65536);
		ssize_t n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_release(out);
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "Cannot read the model's '%s': %s", rel,
					  strerror(errno));
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > max) {
			buf_release(out);
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The model's '%s' is larger than %zu bytes",
					  rel, max);
		}
	}
	out->ptr[out->len] = '\0';
	return 0;
}

int model_dir_read_file(const struct model_dir *md, const char *rel, size_t max, struct buf *out,
			struct mlf_err *err)
{
	*out = (struct buf)BUF_INIT;
	int fd = model_dir_open_file(md, rel, O_RDONLY, err);
	if (fd < 0)
		return -1;
	int rc = read_fd(fd, rel, max, out, err);
	close(fd);
	return rc;
}

bool model_dir_has(const struct model_dir *md, const char *rel)
{
	if (check_rel(rel, NULL) < 0)
		return false;
	int fd = artifact_open_beneath(md->fd, rel, O_PATH, false);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int model_dir_file_path(const struct model_dir *md, const char *rel, char *out, size_t size, struct mlf_err *err)
{
	int fd = model_dir_open_file(md, rel, O_PATH, err);
	if (fd < 0)
		return -1;
	char link[64], resolved[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, resolved, sizeof(resolved) - 1);
	close(fd);
	if (n < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Cannot resolve the model's '%s': %s", rel, strerror(errno));
	resolved[n] = '\0';
	if ((size_t)n >= size)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The path of the model's '%s' is too long", rel);
	memcpy(out, resolved, (size_t)n + 1);
	return 0;
}

int model_dir_open(const char *path, struct model_dir *md, struct mlf_err *err)
{
	memset(md, 0, sizeof(*md));
	md->fd = -1;
	if (!path || !*path || artifact_has_control(path, strlen(path)))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid model path");
	char resolved[PATH_MAX];
	if (!realpath(path, resolved))
		return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Could not find a model at '%s': %s", path,
				  strerror(errno));
	struct stat st;
	if (stat(resolved, &st) == 0 && S_ISREG(st.st_mode)) {
		/* the MLmodel file itself: its directory is the model */
		char *slash = strrchr(resolved, '/');
		if (strcmp(slash + 1, "MLmodel") != 0)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "'%s' is a file but not an MLmodel file", path);
		if (slash == resolved)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	md->fd = open(resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->fd < 0)
		return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Could not find a model at '%s': %s", path,
				  strerror(errno));
	md->path = strdup(resolved);
	struct buf text;
	if (!model_dir_has(md, "MLmodel")) {
		model_dir_close(md);
		return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST,
				  "Could not find an \"MLmodel\" configuration file at \"%s\"", resolved);
	}
	if (model_dir_read_file(md, "MLmodel", MODEL_DIR_MLMODEL_MAX, &text, err) < 0 ||
	    mlmodel_parse(text.ptr, text.len, &md->ml, err) < 0) {
		if (text.ptr)
			buf_release(&text);
		model_dir_close(md);
		return -1;
	}
	buf_release(&text);
	return 0;
}

void model_dir_close(struct model_dir *md)
{
	if (md->fd >= 0)
		close(md->fd);
	free(md->path);
	mlmodel_release(&md->ml);
	memset(md, 0, sizeof(*md));
	md->fd = -1;
}

void model_dir_env_files(const struct model_dir *md, struct model_env_files *out)
{
	memset(out, 0, sizeof(*out));
	const json_t *pyfunc = mlmodel_flavor(&md->ml, "python_function");
	const json_t *env = pyfunc ? json_object_get(pyfunc, "env") : NULL;
	if (json_is_string(env)) { /* 1.x: the conda file's path */
		out->conda = json_string_value(env);
	} else if (json_is_object(env)) {
		const json_t *v = json_object_get(env, "virtualenv");
		const json_t *c = json_object_get(env, "conda");
		out->python_env = json_is_string(v) ? json_string_value(v) : NULL;
		out->conda = json_is_string(c) ? json_string_value(c) : NULL;
	}
	if (out->python_env && !model_dir_has(md, out->python_env))
		out->python_env = NULL;
	if (out->conda && !model_dir_has(md, out->conda))
		out->conda = NULL;
	if (model_dir_has(md, "requirements.txt"))
		out->requirements = "requirements.txt";
}
