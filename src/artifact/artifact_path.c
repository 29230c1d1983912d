/*
 * artifact_path.c - path validation and local directory listing; see
 * artifact_path.h.
 */
#include "artifact_path.h"
#include "../base/buf.h"
#include "../base/util.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#define DECODE_ROUNDS 10

static bool has_dotdot_segment(const char *p)
{
	const char *seg = p;
	for (;;) {
		size_t len = strcspn(seg, "/");
		if (len == 2 && seg[0] == '.' && seg[1] == '.')
			return true;
		if (!seg[len])
			return false;
		seg += len + 1;
	}
}

int artifact_path_validate(const char *path, struct mlf_err *err)
{
	struct buf cur = BUF_INIT, next = BUF_INIT;
	int rc = 0;
	if (!path || !*path)
		return 0;
	buf_adds(&cur, path);
	for (int round = 0; round <= DECODE_ROUNDS; round++) {
		if (strlen(cur.ptr) != cur.len || strchr(cur.ptr, '#') || cur.ptr[0] == '/' ||
		    has_dotdot_segment(cur.ptr)) {
			rc = -1;
			break;
		}
		buf_reset(&next);
		util_url_decode(&next, cur.ptr, cur.len, false);
		if (next.len == cur.len && memcmp(next.ptr, cur.ptr, cur.len) == 0)
			break;
		if (round == DECODE_ROUNDS) { /* still changing: refuse, like MLflow */
			rc = -1;
			break;
		}
		struct buf tmp = cur;
		cur = next;
		next = tmp;
	}
	buf_release(&cur);
	buf_release(&next);
	return rc < 0 ? mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid path") : 0;
}

char *artifact_file_uri_path(const char *uri)
{
	if (strncmp(uri, "file://", 7) != 0)
		return NULL;
	const char *path = uri + 7;
	if (strncasecmp(path, "localhost/", 10) == 0) /* file://localhost/x is /x */
		path += 9;
	struct buf decoded = BUF_INIT;
	util_url_decode(&decoded, path, strlen(path), false);
	return buf_detach(&decoded, NULL);
}

const char *artifact_local_root(const char *uri, const char *destination, struct arena *a)
{
	static const char proxy[] = "mlflow-artifacts:";
	char *file_path = artifact_file_uri_path(uri);
	if (file_path) {
		const char *copy = arena_strdup(a, file_path);
		free(file_path);
		return copy;
	}
	if (uri[0] == '/')
		return uri;
	if (destination && strncmp(uri, proxy, sizeof(proxy) - 1) == 0) {
		const char *rest = uri + sizeof(proxy) - 1;
		while (*rest == '/')
			rest++;
		return arena_printf(a, "%s/%s", destination, rest);
	}
	return NULL;
}

static int entry_cmp(const void *x, const void *y)
{
	return strcmp(((const struct artifact_entry *)x)->path, ((const struct artifact_entry *)y)->path);
}

/* Is `path` (resolved) inside `root` (resolved)? */
static bool inside(const char *root, const char *path)
{
	size_t n = strlen(root);
	return strncmp(root, path, n) == 0 && (path[n] == '/' || path[n] == '\0' || (n == 1 && root[0] == '/'));
}

int artifact_local_list(const char *root, const char *rel, struct artifact_entry **out, size_t *n,
			struct arena *a, struct mlf_err *err)
{
	char real_root[PATH_MAX], real_dir[PATH_MAX];
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
	const char *dir = rel && *rel ? arena_printf(a, "%s/%s", root, rel) : root;
	if (!realpath(root, real_root) || !realpath(dir, real_dir))
		return 0; /* nothing logged yet */
	if (!inside(real_root, real_dir))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid path");
	DIR *d = opendir(real_dir);
	if (!d)
		return 0; /* a file, or unreadable: an empty listing */
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
