/*
 * artifact_path.c - path validation and normalisation, opening paths
 * beneath a root directory descriptor, file:// URIs; see artifact_path.h.
 */
#include "artifact_path.h"
#include "../base/buf.h"
#include "../base/util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#define DECODE_ROUNDS 10
#define NAME_MAX_BYTES 255

bool artifact_has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

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

/* Decodes `s` round by round (at most DECODE_ROUNDS + 1 looks) and asks
 * `bad` of each form. Returns true when some form is bad, or when the text
 * still changes after the last round (MLflow refuses that too). */
static bool any_decoded_form(const char *s, bool (*bad)(const struct buf *form))
{
	struct buf cur = BUF_INIT, next = BUF_INIT;
	bool refused = false;
	buf_adds(&cur, s);
	for (int round = 0; round <= DECODE_ROUNDS; round++) {
		if (bad(&cur)) {
			refused = true;
			break;
		}
		buf_reset(&next);
		util_url_decode(&next, cur.ptr, cur.len, false);
		if (next.len == cur.len && memcmp(next.ptr, cur.ptr, cur.len) == 0)
			break;
		if (round == DECODE_ROUNDS) {
			refused = true;
			break;
		}
		struct buf tmp = cur;
		cur = next;
		next = tmp;
	}
	buf_release(&cur);
	buf_release(&next);
	return refused;
}

static bool bad_path_form(const struct buf *b)
{
	return artifact_has_control(b->ptr, b->len) || memchr(b->ptr, '#', b->len) || b->ptr[0] == '/' ||
	       has_dotdot_segment(b->ptr);
}

static bool control_form(const struct buf *b)
{
	return artifact_has_control(b->ptr, b->len);
}

int artifact_path_validate(const char *path, struct mlf_err *err)
{
	if (!path || !*path)
		return 0;
	if (any_decoded_form(path, bad_path_form))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid path");
	return 0;
}

bool artifact_decodes_to_control(const char *s)
{
	return s && *s && any_decoded_form(s, control_form);
}

/* Appends the segments of the n bytes at p to `out` (each after a '/'),
 * skipping empty and "." ones. Returns the count, or -1 at a ".." segment. */
static long add_segments(struct buf *out, const char *p, size_t n, bool leading_slash)
{
	long count = 0;
	size_t i = 0;
	while (i < n) {
		size_t len = 0;
		while (i + len < n && p[i + len] != '/')
			len++;
		if (len == 2 && p[i] == '.' && p[i + 1] == '.')
			return -1;
		if (len && !(len == 1 && p[i] == '.')) {
			if (count || leading_slash)
				buf_addch(out, '/');
			buf_add(out, p + i, len);
			count++;
		}
		i += len + 1;
	}
	return count;
}

int artifact_path_normalize(const char *path, struct arena *a, const char **out, size_t *segments)
{
	struct buf b = BUF_INIT;
	if (!path)
		path = "";
	long count = add_segments(&b, path, strlen(path), false);
	if (count < 0) {
		buf_release(&b);
		return -1;
	}
	*segments = (size_t)count;
	*out = b.len == strlen(path) ? path : arena_strndup(a, b.len ? b.ptr : "", b.len);
	buf_release(&b);
	return 0;
}

int artifact_abs_normalize(const char *path, size_t n, struct arena *a, const char **out)
{
	if (!n || path[0] != '/' || artifact_has_control(path, n))
		return -1;
	struct buf b = BUF_INIT;
	long count = add_segments(&b, path, n, true);
	if (count < 0) {
		buf_release(&b);
		return -1;
	}
	*out = count ? arena_strndup(a, b.ptr, b.len) : arena_strdup(a, "/");
	buf_release(&b);
	return 0;
}

bool artifact_path_within(const char *root, const char *path, const char **rest)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/') {
		if (path[0] != '/')
			return false;
		*rest = path + 1;
		return true;
	}
	if (strncmp(root, path, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return false;
	*rest = path[n] ? path + n + 1 : path + n;
	return true;
}

/* ---- opening beneath a directory ------------------------------------------ */

static atomic_bool openat2_missing; /* the kernel said ENOSYS once */
static atomic_bool openat2_off;     /* tests asked for the walk */

void artifact_beneath_use_openat2(bool on)
{
	atomic_store(&openat2_off, !on);
}

/* The next segment at or after p that is neither empty nor "."; NULL at
 * the end. */
static const char *next_segment(const char *p, size_t *len)
{
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return NULL;
		size_t l = strcspn(p, "/");
		if (!(l == 1 && p[0] == '.')) {
			*len = l;
			return p;
		}
		p += l;
	}
}

/* The portable way: one component at a time, O_NOFOLLOW on each. */
static int walk_open(int dir_fd, const char *rel, int flags)
{
	size_t len = 0;
	const char *seg = next_segment(rel, &len);
	int cur = -1; /* -1: still at dir_fd, which is not ours to close */
	if (!seg)
		return openat(dir_fd, ".", flags | O_CLOEXEC);
	while (seg) {
		size_t next_len = 0;
		const char *next = next_segment(seg + len, &next_len);
		char name[NAME_MAX_BYTES + 1];
		int fd = -1;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			errno = EXDEV;
		} else if (len > NAME_MAX_BYTES) {
			errno = ENAMETOOLONG;
		} else {
			memcpy(name, seg, len);
			name[len] = '\0';
			fd = next ? openat(cur >= 0 ? cur : dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				  : openat(cur >= 0 ? cur : dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
		}
		int saved = errno;
		if (cur >= 0)
			close(cur);
		errno = saved;
		if (fd < 0 || !next)
			return fd;
		cur = fd;
		seg = next;
		len = next_len;
	}
	return -1; /* not reached */
}

int artifact_open_beneath(int dir_fd, const char *rel, int flags, bool no_symlinks)
{
	if (!rel || !*rel)
		rel = ".";
#ifdef SYS_openat2
	if (!atomic_load(&openat2_missing) && !atomic_load(&openat2_off)) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
		};
		long fd = syscall(SYS_openat2, dir_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != EPERM) /* EPERM: a seccomp filter that does not know it */
			return -1;
		if (errno == ENOSYS)
			atomic_store(&openat2_missing, true);
	}
#else
	(void)no_symlinks;
#endif
	return walk_open(dir_fd, rel, flags);
}

/* ---- URIs -------------------------------------------------------------------- */

char *artifact_file_uri_path(const char *uri, bool *invalid)
{
	if (invalid)
		*invalid = false;
	if (strncmp(uri, "file://", 7) != 0)
		return NULL;
	const char *path = uri + 7;
	if (strncasecmp(path, "localhost/", 10) == 0) /* file://localhost/x is /x */
		path += 9;
	struct buf decoded = BUF_INIT;
	util_url_decode(&decoded, path, strlen(path), false);
	if (artifact_has_control(decoded.ptr, decoded.len)) { /* "%00" would cut the path short */
		buf_release(&decoded);
		if (invalid)
			*invalid = true;
		return NULL;
	}
	return buf_detach(&decoded, NULL);
}

static int invalid_location(const char *uri, struct mlf_err *err)
{
	(void)uri; /* never echoed: it may hold control bytes */
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid artifact location: it contains a NUL or control character");
}

int artifact_local_root(const char *uri, const char *destination, struct arena *a, const char **out,
			struct mlf_err *err)
{
	static const char proxy[] = "mlflow-artifacts:";
	bool invalid;
	char *file_path = artifact_file_uri_path(uri, &invalid);
	if (invalid)
		return invalid_location(uri, err);
	if (file_path) {
		*out = arena_strdup(a, file_path);
		free(file_path);
		return 1;
	}
	if (uri[0] == '/') {
		if (artifact_has_control(uri, strlen(uri)))
			return invalid_location(uri, err);
		*out = uri;
		return 1;
	}
	if (destination && strncmp(uri, proxy, sizeof(proxy) - 1) == 0) {
		const char *rest = uri + sizeof(proxy) - 1;
		while (*rest == '/')
			rest++;
		if (artifact_has_control(rest, strlen(rest)))
			return invalid_location(uri, err);
		*out = arena_printf(a, "%s/%s", destination, rest);
		return 1;
	}
	return 0;
}
