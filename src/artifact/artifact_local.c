/*
 * artifact_local.c - the local-directory artifact backend.
 *
 * Every path is resolved from the root's directory descriptor one component
 * at a time with openat(O_NOFOLLOW), so neither "..", an absolute path nor a
 * symlink planted inside the root can lead outside it. Uploads go to a
 * hidden temporary file in the target directory and are renamed into place
 * on commit (after fsync), so readers never see a partial file.
 */
#include "artifact_local.h"
#include "../base/buf.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct local_repo {
	struct artifact_repo base;
	char *root;
	int root_fd;
};

struct artifact_upload {
	int dir_fd;        /* the target's directory */
	int fd;            /* the temporary file */
	char *tmp_name;    /* in dir_fd */
	char *final_name;  /* in dir_fd */
};

static struct local_repo *local_of(struct artifact_repo *r)
{
	return (struct local_repo *)r;
}

static int io_error(struct mlf_err *err, const char *what, const char *path)
{
	log_error("artifacts: %s '%s': %s", what, path, strerror(errno));
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not %s artifact '%s'", what, path);
}

/* Walks the directories of `path` (all but the last component) from the
 * root, creating them when `create`. Returns a directory fd the caller
 * closes and points *leaf at the last component; -1 with errno set on
 * failure (ENOENT when a directory is missing, ELOOP/ENOTDIR for a link). */
static int walk_parent(struct local_repo *lr, const char *path, bool create, const char **leaf)
{
	int dir = dup(lr->root_fd);
	const char *p = path;
	for (;;) {
		size_t len = strcspn(p, "/");
		if (!p[len]) {
			*leaf = p;
			return dir;
		}
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len + 1;
			continue;
		}
		char name[256];
		if (len >= sizeof(name)) {
			close(dir);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (create && mkdirat(dir, name, 0777) < 0 && errno != EEXIST) {
			close(dir);
			return -1;
		}
		int next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		if (next < 0)
			return -1;
		dir = next;
		p += len + 1;
	}
}

static int local_upload_begin(struct artifact_repo *r, const char *path, struct artifact_upload **up,
			      struct mlf_err *err)
{
	struct local_repo *lr = local_of(r);
	const char *leaf;
	char id[33];
	if (!path || !*path)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "An artifact path is required");
	int dir = walk_parent(lr, path, true, &leaf);
	if (dir < 0)
		return io_error(err, "create the directory of", path);
	if (!*leaf) {
		close(dir);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid path");
	}
	util_uuid_hex(id);
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, ".mlflowc-upload-%s", id);
	int fd = openat(dir, tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0) {
		buf_release(&tmp);
		close(dir);
		return io_error(err, "create", path);
	}
	*up = xcalloc(1, sizeof(**up));
	(*up)->dir_fd = dir;
	(*up)->fd = fd;
	(*up)->tmp_name = buf_detach(&tmp, NULL);
	(*up)->final_name = xstrdup(leaf);
	return 0;
}

static int local_upload_write(struct artifact_upload *up, const char *data, size_t n)
{
	return util_write_all(up->fd, data, n);
}

static void upload_free(struct artifact_upload *up)
{
	if (up->fd >= 0)
		close(up->fd);
	close(up->dir_fd);
	free(up->tmp_name);
	free(up->final_name);
	free(up);
}

static void local_upload_abort(struct artifact_upload *up)
{
	unlinkat(up->dir_fd, up->tmp_name, 0);
	upload_free(up);
}

static int local_upload_commit(struct artifact_upload *up, struct mlf_err *err)
{
	int rc = fsync(up->fd);
	if (rc == 0)
		rc = close(up->fd);
	up->fd = -1;
	if (rc == 0)
		rc = renameat(up->dir_fd, up->tmp_name, up->dir_fd, up->final_name);
	if (rc < 0) {
		int saved = errno;
		unlinkat(up->dir_fd, up->tmp_name, 0);
		errno = saved;
		rc = io_error(err, "store", up->final_name);
	}
	upload_free(up);
	return rc;
}

static int missing(const char *path, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Artifact '%s' does not exist", path);
}

static int local_download_open(struct artifact_repo *r, const char *path, struct artifact_download *dl,
			       struct mlf_err *err)
{
	struct local_repo *lr = local_of(r);
	const char *leaf;
	struct stat sb;
	memset(dl, 0, sizeof(*dl));
	dl->fd = -1;
	int dir = walk_parent(lr, path ? path : "", false, &leaf);
	if (dir < 0)
		return missing(path, err);
	int fd = *leaf ? openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	close(dir);
	if (fd < 0)
		return missing(path, err);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return missing(path, err);
	}
	dl->fd = fd;
	dl->size = (uint64_t)sb.st_size;
	return 0;
}

static int local_list(struct artifact_repo *r, const char *path, struct artifact_entry **out, size_t *n,
		      struct arena *a, struct mlf_err *err)
{
	return artifact_local_list(local_of(r)->root, path ? path : "", out, n, a, err);
}

/* Removes everything below the open directory `dir` (which it closes). */
static int remove_tree(int dir)
{
	DIR *d = fdopendir(dir);
	struct dirent *de;
	int rc = 0;
	if (!d) {
		close(dir);
		return -1;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || remove_tree(sub) < 0 || unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

static int local_remove(struct artifact_repo *r, const char *path, struct mlf_err *err)
{
	struct local_repo *lr = local_of(r);
	const char *leaf;
	if (!path || !*path)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Deleting the artifact root is not allowed");
	int dir = walk_parent(lr, path, false, &leaf);
	if (dir < 0)
		return 0; /* nothing there */
	int rc = 0;
	if (*leaf && unlinkat(dir, leaf, 0) < 0 && errno != ENOENT) {
		int sub = openat(dir, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || remove_tree(sub) < 0 || unlinkat(dir, leaf, AT_REMOVEDIR) < 0)
			rc = io_error(err, "delete", path);
	}
	close(dir);
	return rc;
}

static void local_close(struct artifact_repo *r)
{
	struct local_repo *lr = local_of(r);
	close(lr->root_fd);
	free(lr->root);
	free(lr);
}

static const struct artifact_ops local_ops = {
	.scheme = "file",
	.upload_begin = local_upload_begin,
	.upload_write = local_upload_write,
	.upload_commit = local_upload_commit,
	.upload_abort = local_upload_abort,
	.download_open = local_download_open,
	.list = local_list,
	.remove = local_remove,
	.close = local_close,
};

struct artifact_repo *artifact_local_open(const char *root, struct mlf_err *err)
{
	mkdir(root, 0777);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "cannot open artifact directory '%s': %s", root,
			   strerror(errno));
		return NULL;
	}
	struct local_repo *lr = xcalloc(1, sizeof(*lr));
	lr->base.ops = &local_ops;
	lr->root = xstrdup(root);
	lr->root_fd = fd;
	return &lr->base;
}
