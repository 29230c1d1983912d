/*
 * fuzz_artifact_path.c - libFuzzer target for artifact path safety
 * (src/artifact/artifact_path.h): validation, file:// decoding,
 * normalisation, containment and opening beneath a root directory.
 *
 * Besides "no crash, no leak, no undefined behaviour" it asserts the
 * invariants the server relies on: a path that validates has, in every
 * decoded form, no NUL or control byte, no '#', no ".." segment and no
 * leading '/'; normalisation is idempotent and leaves no empty, "." or ".."
 * segment; a decoded file:// path never holds a control byte (a NUL would
 * cut it short); containment agrees with the strings; and whatever
 * artifact_open_beneath opens (with openat2 and with the portable walk)
 * lies inside the fuzzer's scratch root, although that root holds symlinks
 * leading out. Seeds: tests/fuzz/corpus/artifact_path/ (`make fuzz`).
 */
#include "artifact/artifact_path.h"
#include "base/buf.h"
#include "base/util.h"
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.h"

static int root_fd = -1;
static char root_real[PATH_MAX];

static char base[] = "/tmp/fuzz_artifact_XXXXXX";

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_scratch(void)
{
	nftw(base, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A scratch root: a file, a directory, and links inside and out; removed
 * when the fuzzer exits. */
static void make_scratch(void)
{
	char p[PATH_MAX];
	if (!mkdtemp(base))
		abort();
	atexit(remove_scratch);
	snprintf(p, sizeof(p), "%s/root", base);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/outside", base);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/root/a", base);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/root/a/b.txt", base);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/outside/secret", base);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/root/out", base);
	if (symlink("../outside", p) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/root/abs", base);
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/outside", base);
	if (symlink(target, p) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/root/in", base);
	if (symlink("a", p) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/root", base);
	if (!realpath(p, root_real))
		abort();
	root_fd = open(root_real, O_RDONLY | O_DIRECTORY);
	if (root_fd < 0)
		abort();
}

static bool has_segment(const char *p, size_t n, const char *seg)
{
	size_t sl = strlen(seg), i = 0;
	while (i <= n) {
		size_t len = 0;
		while (i + len < n && p[i + len] != '/')
			len++;
		if (len == sl && memcmp(p + i, seg, sl) == 0)
			return true;
		i += len + 1;
	}
	return false;
}

static void check_valid_forms(const char *s)
{
	struct buf cur = BUF_INIT, next = BUF_INIT;
	buf_adds(&cur, s);
	for (int round = 0; round <= 10; round++) {
		CHECK(!artifact_has_control(cur.ptr, cur.len));
		CHECK(!memchr(cur.ptr, '#', cur.len));
		CHECK(cur.ptr[0] != '/');
		CHECK(!has_segment(cur.ptr, cur.len, ".."));
		buf_reset(&next);
		util_url_decode(&next, cur.ptr, cur.len, false);
		if (next.len == cur.len && memcmp(next.ptr, cur.ptr, cur.len) == 0)
			break;
		struct buf t = cur;
		cur = next;
		next = t;
	}
	buf_release(&cur);
	buf_release(&next);
}

/* Whatever fd opened must be the root or below it. */
static void check_inside(int fd)
{
	char link[64], where[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, where, sizeof(where) - 1);
	CHECK(n > 0);
	where[n] = '\0';
	const char *rest;
	CHECK(artifact_path_within(root_real, where, &rest));
	close(fd);
}

static void check_open_beneath(const char *rel)
{
	for (int mode = 0; mode < 2; mode++) {
		artifact_beneath_use_openat2(mode == 0);
		for (int nofollow = 0; nofollow < 2; nofollow++) {
			int fd = artifact_open_beneath(root_fd, rel, O_RDONLY, nofollow);
			if (fd >= 0)
				check_inside(fd);
		}
	}
	artifact_beneath_use_openat2(true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (root_fd < 0)
		make_scratch();
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct arena a = ARENA_INIT;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };

	/* validation, and what a valid path promises */
	int rc = artifact_path_validate(s, &err);
	if (rc == 0) {
		if (*s)
			check_valid_forms(s);
		CHECK(!artifact_decodes_to_control(s));
	} else {
		CHECK(rc == -1 && err.code == MLF_INVALID_PARAMETER_VALUE);
	}

	/* normalisation: no ".." accepted, result clean and idempotent */
	const char *norm, *again;
	size_t segs, segs2;
	if (artifact_path_normalize(s, &a, &norm, &segs) == 0) {
		size_t n = strlen(norm);
		CHECK(!has_segment(norm, n, "..") && !has_segment(norm, n, "."));
		CHECK(n == 0 || (norm[0] != '/' && norm[n - 1] != '/' && !strstr(norm, "//")));
		CHECK(artifact_path_normalize(norm, &a, &again, &segs2) == 0 && strcmp(again, norm) == 0 &&
		      segs2 == segs);
		CHECK((segs == 0) == (n == 0));
		if (rc == 0)
			check_open_beneath(norm);
	} else {
		CHECK(has_segment(s, strlen(s), ".."));
	}

	/* absolute normalisation over the raw bytes (NULs included) */
	const char *abs;
	if (artifact_abs_normalize((const char *)data, size, &a, &abs) == 0) {
		size_t n = strlen(abs);
		CHECK(abs[0] == '/' && !artifact_has_control(abs, n) && !has_segment(abs + 1, n - 1, ".."));
		CHECK(n == 1 || (abs[n - 1] != '/' && !strstr(abs, "//") && !has_segment(abs + 1, n - 1, ".")));
		const char *rest;
		CHECK(artifact_path_within(abs, abs, &rest) && *rest == '\0');
		CHECK(artifact_path_within("/", abs, &rest));
		/* containment: a root and what follows at a segment boundary */
		const char *slash = strrchr(abs, '/');
		if (slash && slash != abs) {
			char *parent = arena_strndup(&a, abs, (size_t)(slash - abs));
			CHECK(artifact_path_within(parent, abs, &rest) && strcmp(rest, slash + 1) == 0);
			char *twin = arena_printf(&a, "%sx", parent); /* shares the prefix, not the directory */
			CHECK(!artifact_path_within(parent, twin, &rest));
		}
	} else {
		CHECK(size == 0 || data[0] != '/' || artifact_has_control((const char *)data, size) ||
		      has_segment((const char *)data + 1, size - 1, ".."));
	}

	/* file:// decoding never hands back a path a NUL cut short */
	char *uri = arena_printf(&a, "file://%s", s);
	bool invalid;
	char *path = artifact_file_uri_path(uri, &invalid);
	if (path) {
		CHECK(!invalid && !artifact_has_control(path, strlen(path)));
		const char *named = strncasecmp(s, "localhost/", 10) == 0 ? s + 9 : s;
		struct buf d = BUF_INIT;
		util_url_decode(&d, named, strlen(named), false);
		CHECK(d.len == strlen(path));
		buf_release(&d);
		free(path);
	} else {
		CHECK(invalid);
	}
	const char *local;
	int lr = artifact_local_root(uri, NULL, &a, &local, &err);
	CHECK(lr == (invalid ? -1 : 1));

	arena_release(&a);
	free(s);
	return 0;
}
