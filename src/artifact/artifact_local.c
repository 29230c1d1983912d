/*
 * artifact_local.c - the local-directory artifact backend.
 *
 * Every path is resolved beneath the root's directory descriptor
 * (artifact_open_beneath: openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a
 * walk with O_NOFOLLOW on each component), so neither "..", an absolute
 * path nor a symlink planted inside the root can lead outside it. Only an
 * upload creates directories, one component at a time from the root fd.
 * Uploads go to a hidden temporary file in the target directory and are
 * renamed into place on commit (after fsync), so readers never see a
 * partial file. Errors are mapped from errno by artifact_errno_error().
 * Listings (artifact_local_list_fd; artifact_local_list for a directory
 * known by name) are read beneath the root's descriptor too.
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
#include <sys/statvfs.h>
#include <unistd.h>

#define NAME_MAX_BYTES 255

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

/* Splits the normalised `path` at its last '/': *parent (in `a`, "" at
 * the root) and *leaf. */
static void split_leaf(const char *path, struct arena *a, const char **parent, const char **leaf)
{
	const char *slash = strrchr(path, '/');
	*parent = slash ? arena_strndup(a, path, (size_t)(slash - path)) : "";
	*leaf = slash ? slash + 1 : path;
}

/* Opens (creating each missing one) the directories of `dir` (normalised,
 * "" for the root) from the root, one component at a time with
 * O_NOFOLLOW. Returns a directory fd the caller closes, or -1 with errno. */
static int make_dirs(struct local_repo *lr, const char *dir)
{
	int cur = fcntl(lr->root_fd, F_DUPFD_CLOEXEC, 0);
	const char *p = dir;
	while (cur >= 0 && *p) {
		size_t len = strcspn(p, "/");
		char name[NAME_MAX_BYTES + 1];
		int next = -1;
		if (len > NAME_MAX_BYTES) {
			errno = ENAMETOOLONG;
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			errno = EXDEV;
		} else {
			memcpy(name, p, len);
			name[len] = '\0';
			if (mkdirat(cur, name, 0777) == 0 || errno == EEXIST)
				next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int saved = errno;
		close(cur);
		errno = saved;
		cur = next;
		p += len;
		if (*p == '/')
			p++;
	}
	return cur;
}

static int local_upload_begin(struct artifact_repo *r, const char *path, struct artifact_upload **up,
			      struct mlf_err *err)
{
	struct local_repo *lr = local_of(r);
	struct arena a = ARENA_INIT;
	const char *norm, *parent, *leaf;
	size_t segments;
	char id[33];
	int rc = -1;
	if (artifact_path_normalize(path, &a, &norm, &segments) < 0) {
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid path");
		goto out;
	}
	if (!segments) {
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "An artifact path is required");
		goto out;
	}
	split_leaf(norm, &a, &parent, &leaf);
	if (strlen(leaf) > NAME_MAX_BYTES) {
		rc = artifact_errno_error(ENAMETOOLONG, "store", path, err);
		goto out;
	}
	int dir = make_dirs(lr, parent);
	if (dir < 0) {
		rc = artifact_errno_error(errno, "create the directory of", path, err);
		goto out;
	}
	struct stat sb; /* an existing directory of that name cannot be replaced */
	if (fstatat(dir, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode)) {
		close(dir);
		rc = artifact_errno_error(EISDIR, "store", path, err);
		goto out;
	}
	util_uuid_hex(id);
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, ".mlflowc-upload-%s", id);
	int fd = openat(dir, tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0) {
		int saved = errno;
		buf_release(&tmp);
		close(dir);
		rc = artifact_errno_error(saved, "create", path, err);
		goto out;
	}
	*up = xcalloc(1, sizeof(**up));
	(*up)->dir_fd = dir;
	(*up)->fd = fd;
	(*up)->tmp_name = buf_detach(&tmp, NULL);
	(*up)->final_name = xstrdup(leaf);
	rc = 0;
out:
	arena_release(&a);
	return rc;
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
		rc = artifact_errno_error(saved, "store", up->final_name, err);
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
	struct stat sb;
	memset(dl, 0, sizeof(*dl));
	dl->fd = -1;
	if (!path || !*path)
		return missing("", err);
	/* O_NONBLOCK: a FIFO (or a device) opens at once and is refused below,
	 * instead of blocking the request's thread until a writer appears */
	int fd = artifact_open_beneath(lr->root_fd, path, O_RDONLY | O_NONBLOCK, true);
	if (fd < 0) {
		/* a symlink or an escape reads as absent, as it always did */
		if (errno == ENAMETOOLONG || errno == EACCES || errno == EPERM)
			return artifact_errno_error(errno, "read", path, err);
		return missing(path, err);
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return missing(path, err);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	dl->fd = fd;
	dl->size = (uint64_t)sb.st_size;
	return 0;
}

static int local_list(struct artifact_repo *r, const char *path, struct artifact_entry **out, size_t *n,
		      struct arena *a, struct mlf_err *err)
{
	return artifact_local_list_fd(local_of(r)->root_fd, path ? path : "", out, n, a, err);
}

struct remove_tally {
	size_t removed, failed;
	int first_errno;
	char first_name[NAME_MAX_BYTES + 1];
};

static void tally_failure(struct remove_tally *t, const char *name, int errnum)
{
	if (!t->failed++) {
		t->first_errno = errnum;
		snprintf(t->first_name, sizeof(t->first_name), "%s", name);
	}
}

/* Removes everything below the open directory `dir` (which it closes),
 * never following a symlink. Counts what it removed and what it could not. */
static void remove_tree(int dir, struct remove_tally *t)
{
	DIR *d = fdopendir(dir);
	struct dirent *de;
	if (!d) {
		tally_failure(t, ".", errno);
		close(dir);
		return;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
			t->removed++;
			continue;
		}
		if (errno != EISDIR && errno != EPERM) { /* EPERM: what Linux says for a directory, or immutable */
			tally_failure(t, de->d_name, errno);
			continue;
		}
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			tally_failure(t, de->d_name, errno == ENOTDIR ? EPERM : errno);
			continue;
		}
		remove_tree(sub, t);
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == 0)
			t->removed++;
		else if (errno != ENOTEMPTY) /* a failure below is already counted */
			tally_failure(t, de->d_name, errno);
	}
	closedir(d);
}

static int local_remove(struct artifact_repo *r, const char *path, struct mlf_err *err)
{
	struct local_repo *lr = local_of(r);
	struct arena a = ARENA_INIT;
	struct remove_tally t = { 0 };
	const char *norm, *parent, *leaf;
	size_t segments;
	int rc = 0;
	if (artifact_path_normalize(path, &a, &norm, &segments) < 0 || !segments) {
		arena_release(&a);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Deleting the artifact root is not allowed");
	}
	split_leaf(norm, &a, &parent, &leaf);
	int dir = artifact_open_beneath(lr->root_fd, parent, O_RDONLY | O_DIRECTORY, true);
	if (dir < 0) {
		if (errno != ENOENT && errno != ENOTDIR) /* through a symlink, say */
			rc = artifact_errno_error(errno, "delete", path, err);
		arena_release(&a);
		return rc; /* ENOENT, ENOTDIR: nothing there */
	}
	if (unlinkat(dir, leaf, 0) < 0 && errno != ENOENT) {
		int sub = (errno == EISDIR || errno == EPERM)
				  ? openat(dir, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				  : -1;
		if (sub < 0) {
			tally_failure(&t, leaf, errno == ENOTDIR ? EPERM : errno);
		} else {
			remove_tree(sub, &t);
			if (!t.failed && unlinkat(dir, leaf, AT_REMOVEDIR) < 0)
				tally_failure(&t, leaf, errno);
		}
	}
	close(dir);
	if (t.failed) {
		enum mlf_code code = artifact_errno_code(t.first_errno);
		log_warn("artifacts: delete '%s': removed %zu, %zu left ('%s': %s)", norm, t.removed, t.failed,
			 t.first_name, strerror(t.first_errno));
		rc = mlf_errorf(err, code == MLF_INTERNAL_ERROR ? MLF_ABORTED : code,
				"Artifact '%s' was only partly deleted: %zu entries removed, %zu could not be "
				"removed (first: '%s': %s); what remains is still there",
				norm, t.removed, t.failed, t.first_name, strerror(t.first_errno));
	}
	arena_release(&a);
	return rc;
}

static int local_free_space(struct artifact_repo *r, uint64_t *bytes)
{
	struct statvfs sv;
	if (fstatvfs(local_of(r)->root_fd, &sv) < 0)
		return -1;
	*bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return 0;
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
	.free_space = local_free_space,
};

struct artifact_repo *artifact_local_open(const char *root, struct mlf_err *err)
{
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

int artifact_local_open_beneath(struct artifact_repo *root, const char *rel, struct artifact_repo **out,
				struct mlf_err *err)
{
	struct local_repo *lr = local_of(root);
	int fd = artifact_open_beneath(lr->root_fd, rel, O_RDONLY | O_DIRECTORY, false);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		if (errno == EXDEV || errno == ELOOP)
			return mlf_errorf(err, MLF_PERMISSION_DENIED,
					  "Artifacts at '%s/%s' lead outside the server's artifact roots", lr->root, rel);
		return artifact_errno_error(errno, "open", rel, err);
	}
	struct local_repo *sub = xcalloc(1, sizeof(*sub));
	sub->base.ops = &local_ops;
	sub->root = *rel ? xstrdup(rel) : xstrdup(lr->root);
	sub->root_fd = fd;
	*out = &sub->base;
	return 1;
}

/* ---- listing ------------------------------------------------------------------ */

static int entry_cmp(const void *x, const void *y)
{
	return strcmp(((const struct artifact_entry *)x)->path, ((const struct artifact_entry *)y)->path);
}

int artifact_local_list_fd(int root_fd, const char *rel, struct artifact_entry **out, size_t *n,
			   struct arena *a, struct mlf_err *err)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (artifact_path_validate(rel, err) < 0)
		return -1;
	if (rel) { /* "sub/" lists like "sub" */
		size_t len = strlen(rel);
		while (len && rel[len - 1] == '/')
			len--;
		rel = arena_strndup(a, rel, len);
	}
	int fd = artifact_open_beneath(root_fd, rel ? rel : "", O_RDONLY | O_DIRECTORY, false);
	if (fd < 0) {
		if (errno == EXDEV || errno == ELOOP)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid path");
		return 0; /* missing, a file, or unreadable: nothing logged there yet */
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat sb;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			*out = arena_grow_array(a, *out, *n, ncap, sizeof(**out));
			cap = ncap;
		}
		struct artifact_entry *e = &(*out)[(*n)++];
		e->path = rel && *rel ? arena_printf(a, "%s/%s", rel, de->d_name) : arena_strdup(a, de->d_name);
		e->is_dir = S_ISDIR(sb.st_mode);
		/* a symlink's own size is its target's name length: meaningless */
		e->size = S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : 0;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), entry_cmp);
	return 0;
}

int artifact_local_list(const char *root, const char *rel, struct artifact_entry **out, size_t *n,
			struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	if (artifact_path_validate(rel, err) < 0)
		return -1;
	int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return 0; /* nothing logged yet */
	int rc = artifact_local_list_fd(root_fd, rel, out, n, a, err);
	close(root_fd);
	return rc;
}
