/*
 * test_artifact_path.c - unit tests for src/artifact/artifact_path.h.
 *
 * artifact_path_validate: a table of hostile paths that must be refused with
 * INVALID_PARAMETER_VALUE "Invalid path" (".." segments, absolute paths, '#',
 * NULs, and all of those hidden behind one or more rounds of
 * percent-encoding, up to and beyond MLflow's 10 rounds), and a table of
 * legal paths that must pass (names that merely contain dots, spaces,
 * UTF-8, literal '%' and '+', NULL and "").
 * artifact_local_list: a temp directory with files of known sizes, an empty
 * file, subdirectories, an in-root symlink and symlinks pointing outside the
 * root (including a sibling whose name shares the root's prefix): sorted
 * order, rel/name paths, sizes, is_dir, listing through an escaping symlink
 * refused, missing directories and files giving empty lists, and more
 * entries than the first array allocation.
 * artifact_local_root: the URI forms its header lists, and NUL/control
 * characters refused. Normalisation, containment, opening beneath a root
 * (with openat2 and with the portable walk) and the allowed-roots set
 * (artifact_roots.h): given and resolved names, prefix twins, "..".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact/artifact_local.h"
#include "artifact/artifact_path.h"
#include "artifact/artifact_roots.h"
#include "base/buf.h"

/* ----------------------------------------------------------- validate */

static void expect_refused(const char *path, const char *label)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	int rc = artifact_path_validate(path, &err);
	if (rc != -1)
		fail_msg("path %s ('%s') accepted, want refused", label, path);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_string_equal(err.msg, "Invalid path");
	/* a NULL err is allowed and gives the same answer */
	assert_int_equal(artifact_path_validate(path, NULL), -1);
}

static void expect_accepted(const char *path)
{
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "untouched" };
	int rc = artifact_path_validate(path, &err);
	if (rc != 0)
		fail_msg("path '%s' refused (%s), want accepted", path ? path : "(null)", err.msg);
	assert_string_equal(err.msg, "untouched");
	assert_int_equal(artifact_path_validate(path, NULL), 0);
}

static const char *const bad_paths[] = {
	"..",
	"../",
	"../x",
	"../../../../etc/passwd",
	"a/..",
	"a/../",
	"a/../b",
	"a/../../b",
	"a/b/../../../c",
	"./..",
	"a//../b",
	"/",
	"/etc/passwd",
	"//etc/passwd",
	"/a/b",
	"#",
	"a#b",
	"a/b#frag",
	"#/x",
	/* one round of percent-encoding */
	"%2e%2e",
	"%2e%2e/x",
	"%2E%2E/x",
	".%2e/x",
	"%2e./x",
	"a/%2e%2e/%2e%2e/b",
	"..%2F..%2Fetc",
	"..%2f..%2fetc%2fpasswd",
	"x/..%2f",
	"%2Fetc%2Fpasswd",
	"%2fetc",
	"%23",
	"a%23b",
	"%00",
	"a%00b",
	"a/b%00.txt",
	"%2e%2e%00",
	/* two rounds */
	"%252e%252e/x",
	"%252E%252E%252Fx",
	".%252e/x",
	"%252Fetc%252Fpasswd",
	"%2523frag",
	"%2500",
	"a%2500b",
	/* mixed rounds inside one path */
	"%2e%252e/x",
	/* control characters, raw and encoded (the NUL family of issue #10) */
	"a\x01b",
	"a\tb",
	"a\nb",
	"a\x1f",
	"a\x7f",
	"%01",
	"a%0Ab",
	"a%0d%0a",
	"%7f",
	"%7F",
	"%251f",
	"%25252500",
	"dir/%2500/x",
};

static void test_validate_refuses(void **state)
{
	(void)state;
	assert_true(ARRAY_SIZE(bad_paths) >= 20);
	for (size_t i = 0; i < ARRAY_SIZE(bad_paths); i++) {
		char label[16];
		snprintf(label, sizeof(label), "#%zu", i);
		expect_refused(bad_paths[i], label);
	}
}

static void test_validate_accepts(void **state)
{
	(void)state;
	static const char *const good[] = {
		"a",
		"a/b.txt",
		"dir/sub/file.tar.gz",
		"name with spaces.txt",
		"ünï.txt",
		"日本/データ.csv",
		"..foo",
		"foo..",
		"a/..b/c",
		"a/b..",
		"...",
		"....",
		"....//",
		"x/.../y",
		".",
		"./a",
		"a/./b",
		".hidden",
		"a//b",
		"a/",
		"a+b",
		"100%",
		"a%b",
		"%zz",
		"%",
		"50%25off",   /* decodes to "50%off", which is stable */
		"%2e",	      /* "." */
		"%2e%2efoo",  /* "..foo" */
		"a%2Fb",      /* "a/b" */
		"%20leading",
		"model/MLmodel",
		"C:foo",      /* just a name on POSIX */
		"a\\..\\b",   /* backslash is not a separator here */
	};
	expect_accepted(NULL);
	expect_accepted("");
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		expect_accepted(good[i]);
}

/* "../x" percent-encoded `rounds` times: "%2e%2e/x", "%252e%252e/x", ... */
static char *encode_dotdot(int rounds)
{
	struct buf cur = BUF_INIT;
	buf_adds(&cur, "%2e%2e/x");
	for (int r = 1; r < rounds; r++) {
		struct buf next = BUF_INIT;
		for (size_t i = 0; i < cur.len; i++) {
			if (cur.ptr[i] == '%')
				buf_adds(&next, "%25");
			else
				buf_addch(&next, cur.ptr[i]);
		}
		buf_release(&cur);
		cur = next;
	}
	return buf_detach(&cur, NULL);
}

static void test_validate_decode_rounds(void **state)
{
	(void)state;
	/* within MLflow's 10 rounds the hidden ".." is found */
	for (int rounds = 1; rounds <= 10; rounds++) {
		char *p = encode_dotdot(rounds);
		char label[32];
		snprintf(label, sizeof(label), "encoded %dx", rounds);
		expect_refused(p, label);
		free(p);
	}
	/* and legal names survive many rounds of encoding of '%' itself */
	expect_accepted("%25252525252541");
}

/* artifact_path.h: "after repeated percent-decoding (MLflow decodes up to 10
 * rounds) it must not contain ... a '..' segment". MLflow's _decode() raises
 * when the text still changes after its 10 rounds, so deeper encodings are
 * refused there; here they are accepted unchecked. */
static void test_validate_beyond_decode_rounds(void **state)
{
	(void)state;
	static const int rounds[] = { 11, 12, 20 };
	for (size_t i = 0; i < ARRAY_SIZE(rounds); i++) {
		char *p = encode_dotdot(rounds[i]);
		int rc = artifact_path_validate(p, NULL);
		free(p);
		if (rc != -1)
			fail_msg("'../x' percent-encoded %d times accepted (rc %d), want -1", rounds[i], rc);
	}
}

/* ------------------------------------------------------------ listing */

struct fixture {
	char base[64];	/* mkdtemp dir holding root/ and outside/ */
	char root[128];
	char *outside;
};

static struct fixture fx;

static void write_file(const char *dir, const char *name, size_t size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	char block[4096];
	memset(block, 'd', sizeof(block));
	while (size) {
		size_t n = size < sizeof(block) ? size : sizeof(block);
		assert_int_equal(write(fd, block, n), (ssize_t)n);
		size -= n;
	}
	assert_int_equal(close(fd), 0);
}

static void make_dir(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const char *target, const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	(void)state;
	char path[512];
	snprintf(fx.base, sizeof(fx.base), "/tmp/mlfc_artifact_XXXXXX");
	if (!mkdtemp(fx.base))
		return -1;
	snprintf(fx.root, sizeof(fx.root), "%s/root", fx.base);
	make_dir(fx.base, "root");
	make_dir(fx.base, "outside");
	make_dir(fx.base, "root-evil"); /* shares the root's name as a prefix */
	write_file(fx.base, "root-evil/loot.txt", 9);
	write_file(fx.base, "outside/secret.txt", 12345);

	write_file(fx.root, "b.txt", 5);
	write_file(fx.root, "a.bin", 1000);
	write_file(fx.root, "empty", 0);
	write_file(fx.root, "Zed", 2);
	write_file(fx.root, "name with spaces.txt", 7);
	make_dir(fx.root, "sub");
	write_file(fx.root, "sub/inner.txt", 3);
	make_dir(fx.root, "sub/deeper");
	make_dir(fx.root, "emptydir");
	make_dir(fx.root, "many");
	for (int i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof(name), "many/f%03d", i);
		write_file(fx.root, name, (size_t)i);
	}
	/* escaping links: absolute, relative, to a file, to the prefix twin */
	snprintf(path, sizeof(path), "%s/outside", fx.base);
	make_link(path, fx.root, "escape");
	make_link("../outside/secret.txt", fx.root, "escape_file");
	make_link("../root-evil", fx.root, "evil");
	make_link("../../outside", fx.root, "sub/up");
	/* a link that stays inside, and a dangling one */
	make_link("sub", fx.root, "inner_link");
	make_link("nowhere", fx.root, "dangling");
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(fx.base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct want {
	const char *path;
	bool is_dir;
	int64_t size; /* -1: the lstat size of a symlink, checked separately */
};

static void check_listing(const char *rel, const struct want *want, size_t nwant)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct artifact_entry *e = (struct artifact_entry *)0x1;
	size_t n = 99;
	int rc = artifact_local_list(fx.root, rel, &e, &n, &a, &err);
	if (rc != 0)
		fail_msg("listing '%s': rc %d (%s)", rel, rc, err.msg);
	if (n != nwant) {
		for (size_t i = 0; i < n; i++)
			print_message("  got %s\n", e[i].path);
		fail_msg("listing '%s': %zu entries, want %zu", rel, n, nwant);
	}
	if (!n)
		assert_null(e);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].path, want[i].path) != 0)
			fail_msg("listing '%s' [%zu]: '%s', want '%s'", rel, i, e[i].path, want[i].path);
		if (e[i].is_dir != want[i].is_dir)
			fail_msg("'%s': is_dir %d, want %d", e[i].path, e[i].is_dir, want[i].is_dir);
		if (want[i].size >= 0 && e[i].size != want[i].size)
			fail_msg("'%s': size %lld, want %lld", e[i].path, (long long)e[i].size,
				 (long long)want[i].size);
	}
	arena_release(&a);
}

static void test_list_root(void **state)
{
	(void)state;
	/* strcmp order: upper case before lower case; symlinks are reported
	 * as themselves (lstat), never as the directory or file they name, and
	 * with size 0 (a link's own size is only its target's name length) */
	static const struct want want[] = {
		{ "Zed", false, 2 },
		{ "a.bin", false, 1000 },
		{ "b.txt", false, 5 },
		{ "dangling", false, 0 },
		{ "empty", false, 0 },
		{ "emptydir", true, 0 },
		{ "escape", false, 0 },
		{ "escape_file", false, 0 },
		{ "evil", false, 0 },
		{ "inner_link", false, 0 },
		{ "many", true, 0 },
		{ "name with spaces.txt", false, 7 },
		{ "sub", true, 0 },
	};
	check_listing("", want, ARRAY_SIZE(want));
	check_listing(NULL, want, ARRAY_SIZE(want));
}

static void test_list_root_escape_size(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct artifact_entry *e;
	size_t n;
	assert_int_equal(artifact_local_list(fx.root, "", &e, &n, &a, NULL), 0);
	char target[512];
	snprintf(target, sizeof(target), "%s/outside", fx.base);
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].path, "escape") == 0) {
			found = true;
			assert_false(e[i].is_dir);
			/* nothing about outside/ leaks through the size */
			assert_int_equal(e[i].size, 0);
		}
		/* nothing from outside the root shows up */
		assert_null(strstr(e[i].path, "secret"));
		assert_null(strstr(e[i].path, "loot"));
		assert_true(e[i].size != 12345);
	}
	assert_true(found);
	arena_release(&a);
}

static void test_list_subdir(void **state)
{
	(void)state;
	static const struct want want[] = {
		{ "sub/deeper", true, 0 },
		{ "sub/inner.txt", false, 3 },
		{ "sub/up", false, 0 }, /* a symlink */
	};
	check_listing("sub", want, ARRAY_SIZE(want));

	/* an in-root symlink can be listed; paths keep the name asked for */
	static const struct want via_link[] = {
		{ "inner_link/deeper", true, 0 },
		{ "inner_link/inner.txt", false, 3 },
		{ "inner_link/up", false, 0 },
	};
	check_listing("inner_link", via_link, ARRAY_SIZE(via_link));

	check_listing("sub/deeper", NULL, 0);
	check_listing("emptydir", NULL, 0);
}

static void test_list_many(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct artifact_entry *e;
	size_t n;
	assert_int_equal(artifact_local_list(fx.root, "many", &e, &n, &a, NULL), 0);
	assert_int_equal(n, 100);
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "many/f%03zu", i);
		assert_string_equal(e[i].path, want);
		assert_false(e[i].is_dir);
		assert_int_equal(e[i].size, (int64_t)i);
	}
	arena_release(&a);
}

static void expect_list_refused(const char *root, const char *rel)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct artifact_entry *e = (struct artifact_entry *)0x1;
	size_t n = 99;
	int rc = artifact_local_list(root, rel, &e, &n, &a, &err);
	if (rc != -1)
		fail_msg("listing '%s' gave rc %d with %zu entries, want -1", rel, rc, n);
	assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	assert_string_equal(err.msg, "Invalid path");
	assert_int_equal(n, 0);
	assert_null(e);
	arena_release(&a);
}

static void test_list_escapes_refused(void **state)
{
	(void)state;
	/* symlinks that resolve outside the root */
	expect_list_refused(fx.root, "escape");
	expect_list_refused(fx.root, "escape/");
	expect_list_refused(fx.root, "escape_file");
	expect_list_refused(fx.root, "evil"); /* /tmp/x/root-evil is not inside /tmp/x/root */
	expect_list_refused(fx.root, "sub/up");
	expect_list_refused(fx.root, "inner_link/up");
	/* paths the validator refuses */
	expect_list_refused(fx.root, "..");
	expect_list_refused(fx.root, "../outside");
	expect_list_refused(fx.root, "sub/../..");
	expect_list_refused(fx.root, "/etc");
	expect_list_refused(fx.root, "%2e%2e/outside");
	expect_list_refused(fx.root, "sub#x");
}

static void expect_empty(const char *root, const char *rel)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct artifact_entry *e = (struct artifact_entry *)0x1;
	size_t n = 99;
	int rc = artifact_local_list(root, rel, &e, &n, &a, &err);
	if (rc != 0 || n != 0)
		fail_msg("listing '%s' under '%s': rc %d, %zu entries, want an empty list", rel, root, rc, n);
	assert_null(e);
	arena_release(&a);
}

static void test_list_missing_and_files(void **state)
{
	(void)state;
	expect_empty(fx.root, "missing");
	expect_empty(fx.root, "missing/deeper");
	expect_empty(fx.root, "b.txt");
	expect_empty(fx.root, "empty");
	expect_empty(fx.root, "dangling");
	char missing_root[256];
	snprintf(missing_root, sizeof(missing_root), "%s/no-such-root", fx.base);
	expect_empty(missing_root, "");
	expect_empty(missing_root, "sub");
}

static void test_list_root_through_symlink(void **state)
{
	(void)state;
	/* the root itself may be a symlink: it is resolved first */
	char link_root[256];
	snprintf(link_root, sizeof(link_root), "%s/root-link", fx.base);
	assert_int_equal(symlink(fx.root, link_root), 0);
	struct arena a = ARENA_INIT;
	struct artifact_entry *e;
	size_t n;
	assert_int_equal(artifact_local_list(link_root, "sub", &e, &n, &a, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].path, "sub/deeper");
	assert_string_equal(e[1].path, "sub/inner.txt");
	/* ... and the escape check still holds */
	expect_list_refused(link_root, "escape");
	arena_release(&a);
	assert_int_equal(unlink(link_root), 0);
}

static void test_list_without_openat2(void **state)
{
	(void)state;
	/* the portable walk refuses every symlink, escaping or not, and still
	 * lists plain directories */
	artifact_beneath_use_openat2(false);
	static const struct want want[] = {
		{ "sub/deeper", true, 0 },
		{ "sub/inner.txt", false, 3 },
		{ "sub/up", false, 0 },
	};
	check_listing("sub", want, ARRAY_SIZE(want));
	static const char *const links[] = { "escape", "evil", "sub/up", "inner_link", "escape_file" };
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) { /* refused or empty: nothing behind a link */
		struct arena a = ARENA_INIT;
		struct artifact_entry *e;
		size_t n = 99;
		int rc = artifact_local_list(fx.root, links[i], &e, &n, &a, NULL);
		if (!(rc == -1 || n == 0))
			fail_msg("listing '%s' without openat2 gave %zu entries", links[i], n);
		arena_release(&a);
	}
	expect_empty(fx.root, "missing");
	artifact_beneath_use_openat2(true);
}

static void test_open_beneath(void **state)
{
	(void)state;
	int root = open(fx.root, O_RDONLY | O_DIRECTORY);
	assert_true(root >= 0);
	for (int mode = 0; mode < 2; mode++) {
		artifact_beneath_use_openat2(mode == 0);
		int fd = artifact_open_beneath(root, "sub/inner.txt", O_RDONLY, true);
		assert_true(fd >= 0);
		close(fd);
		fd = artifact_open_beneath(root, "./sub//./inner.txt", O_RDONLY, true);
		assert_true(fd >= 0);
		close(fd);
		fd = artifact_open_beneath(root, "", O_RDONLY | O_DIRECTORY, true);
		assert_true(fd >= 0);
		close(fd);
		static const char *const refused[] = { "escape/secret.txt", "escape_file", "sub/up/secret.txt",
						       "../outside/secret.txt", "sub/../../outside/secret.txt",
						       "inner_link/inner.txt" };
		for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
			fd = artifact_open_beneath(root, refused[i], O_RDONLY, true);
			if (fd >= 0)
				fail_msg("'%s' opened (mode %d), want refused", refused[i], mode);
			assert_true(errno == EXDEV || errno == ELOOP || errno == ENOTDIR);
		}
		char longname[300];
		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_int_equal(artifact_open_beneath(root, longname, O_RDONLY, true), -1);
		assert_int_equal(errno, ENAMETOOLONG);
	}
	artifact_beneath_use_openat2(true);
	close(root);
}

/* ----------------------------------------------------------- normalise */

static void test_normalize(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
		size_t segments;
	} cases[] = {
		{ "", "", 0 },	       { ".", "", 0 },		 { "./", "", 0 },	 { "//./", "", 0 },
		{ "a", "a", 1 },       { "a/.", "a", 1 },	 { "a/./", "a", 1 },	 { "./a", "a", 1 },
		{ "a//b/", "a/b", 2 }, { "a/./b/.", "a/b", 2 }, { "exp/run/x", "exp/run/x", 3 },
		{ "...", "...", 1 },   { ".a/b.", ".a/b.", 2 },
	};
	struct arena a = ARENA_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *out;
		size_t n = 99;
		assert_int_equal(artifact_path_normalize(cases[i].in, &a, &out, &n), 0);
		if (strcmp(out, cases[i].out) != 0 || n != cases[i].segments)
			fail_msg("normalize('%s') = '%s' (%zu), want '%s' (%zu)", cases[i].in, out, n, cases[i].out,
				 cases[i].segments);
	}
	const char *out;
	size_t n;
	assert_int_equal(artifact_path_normalize(NULL, &a, &out, &n), 0);
	assert_string_equal(out, "");
	assert_int_equal(artifact_path_normalize("..", &a, &out, &n), -1);
	assert_int_equal(artifact_path_normalize("a/../b", &a, &out, &n), -1);

	assert_int_equal(artifact_abs_normalize("//srv/./ml//x/", 14, &a, &out), 0);
	assert_string_equal(out, "/srv/ml/x");
	assert_int_equal(artifact_abs_normalize("/", 1, &a, &out), 0);
	assert_string_equal(out, "/");
	assert_int_equal(artifact_abs_normalize("/./", 3, &a, &out), 0);
	assert_string_equal(out, "/");
	assert_int_equal(artifact_abs_normalize("rel", 3, &a, &out), -1);
	assert_int_equal(artifact_abs_normalize("/a/../b", 7, &a, &out), -1);
	assert_int_equal(artifact_abs_normalize("/etc\0/x", 7, &a, &out), -1);
	assert_int_equal(artifact_abs_normalize("/etc\x01", 5, &a, &out), -1);
	assert_int_equal(artifact_abs_normalize("", 0, &a, &out), -1);
	arena_release(&a);
}

static void test_within(void **state)
{
	(void)state;
	const char *rest;
	assert_true(artifact_path_within("/data/art", "/data/art", &rest));
	assert_string_equal(rest, "");
	assert_true(artifact_path_within("/data/art", "/data/art/1/r", &rest));
	assert_string_equal(rest, "1/r");
	assert_false(artifact_path_within("/data/art", "/data/artifacts", &rest));
	assert_false(artifact_path_within("/data/art", "/data/ar", &rest));
	assert_false(artifact_path_within("/data/art", "/data", &rest));
	assert_false(artifact_path_within("/data/art", "/etc", &rest));
	assert_true(artifact_path_within("/", "/etc/x", &rest));
	assert_string_equal(rest, "etc/x");
}

static void test_control(void **state)
{
	(void)state;
	assert_false(artifact_has_control("abc", 3));
	assert_true(artifact_has_control("a\0c", 3));
	assert_true(artifact_has_control("a\x1f", 2));
	assert_true(artifact_has_control("\x7f", 1));
	assert_false(artifact_has_control("\xc3\xbc", 2)); /* UTF-8 is fine */
	assert_false(artifact_decodes_to_control(NULL));
	assert_false(artifact_decodes_to_control("file:///srv/a%20b"));
	assert_false(artifact_decodes_to_control("s3://bucket/key%2Fx"));
	assert_true(artifact_decodes_to_control("file:///etc%00"));
	assert_true(artifact_decodes_to_control("file:///etc%2500"));
	assert_true(artifact_decodes_to_control("file:///etc%252500"));
	assert_true(artifact_decodes_to_control("file:///etc%0a"));
	assert_true(artifact_decodes_to_control("/etc\x01"));
	assert_true(artifact_decodes_to_control("/etc%7F"));
}

/* ----------------------------------------------------------- allowed roots */

static void expect_resolve(const struct artifact_roots *rs, const char *path, enum mlf_code want_code,
			   const char *want_rest)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
	struct artifact_repo *repo = NULL;
	const char *rest = NULL;
	int rc = artifact_roots_resolve(rs, path, &repo, &rest, &a, &err);
	if (want_rest) {
		if (rc != 0)
			fail_msg("'%s' refused (%s), want rest '%s'", path, err.msg, want_rest);
		assert_non_null(repo);
		assert_string_equal(rest, want_rest);
	} else {
		if (rc != -1)
			fail_msg("'%s' resolved to '%s', want refused", path, rest);
		assert_int_equal(err.code, want_code);
	}
	arena_release(&a);
}

static void test_allowed_roots(void **state)
{
	(void)state;
	struct artifact_roots *rs = artifact_roots_new();
	char link_root[256], p[512];
	snprintf(link_root, sizeof(link_root), "%s/roots-link", fx.base);
	assert_int_equal(symlink(fx.root, link_root), 0);
	assert_int_equal(artifact_roots_add(rs, link_root, false, NULL), 0);
	snprintf(p, sizeof(p), "file://%s/outside", fx.base);
	assert_int_equal(artifact_roots_add(rs, p, false, NULL), 0);
	assert_int_equal(artifact_roots_count(rs), 2);
	assert_string_equal(artifact_roots_path(rs, 0), fx.root); /* resolved */

	/* both the name given and the resolved one match, at segment boundaries */
	expect_resolve(rs, fx.root, 0, "");
	snprintf(p, sizeof(p), "%s/sub/deeper", fx.root);
	expect_resolve(rs, p, 0, "sub/deeper");
	snprintf(p, sizeof(p), "%s//./sub/", link_root);
	expect_resolve(rs, p, 0, "sub");
	snprintf(p, sizeof(p), "%s/outside/x", fx.base);
	expect_resolve(rs, p, 0, "x");
	snprintf(p, sizeof(p), "%s/root-evil/loot.txt", fx.base); /* shares the prefix only */
	expect_resolve(rs, p, MLF_PERMISSION_DENIED, NULL);
	expect_resolve(rs, "/etc", MLF_PERMISSION_DENIED, NULL);
	expect_resolve(rs, "/", MLF_PERMISSION_DENIED, NULL);
	snprintf(p, sizeof(p), "%s/../outside", fx.root); /* never resolved lexically */
	expect_resolve(rs, p, MLF_INVALID_PARAMETER_VALUE, NULL);
	snprintf(p, sizeof(p), "%s/a\x01b", fx.root);
	expect_resolve(rs, p, MLF_INVALID_PARAMETER_VALUE, NULL);
	expect_resolve(rs, "relative/x", MLF_INVALID_PARAMETER_VALUE, NULL);

	/* a missing root, a control character, a non-local URI: refused at start-up */
	struct mlf_err err;
	snprintf(p, sizeof(p), "%s/no-such-root", fx.base);
	assert_int_equal(artifact_roots_add(rs, p, false, &err), -1);
	assert_int_equal(artifact_roots_add(rs, "file:///tmp%00", false, &err), -1);
	assert_int_equal(artifact_roots_add(rs, "s3://bucket/x", false, &err), -1);
	assert_int_equal(artifact_roots_add_list(rs, ",,", false, &err), 0);
	assert_int_equal(artifact_roots_count(rs), 2);
	/* `create` makes the directory first */
	snprintf(p, sizeof(p), "%s/created-root", fx.base);
	assert_int_equal(artifact_roots_add_list(rs, p, true, &err), 0);
	assert_int_equal(artifact_roots_count(rs), 3);
	artifact_roots_free(rs);
	artifact_roots_free(NULL);
	assert_int_equal(unlink(link_root), 0);
}

/* ----------------------------------------------------------- local root */

static const char *local_root(const char *uri, const char *destination, struct arena *a)
{
	const char *out = NULL;
	int rc = artifact_local_root(uri, destination, a, &out, NULL);
	assert_true(rc >= 0);
	return rc ? out : NULL;
}

static void test_local_root(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	assert_string_equal(local_root("file:///tmp/mlruns/0/abc/artifacts", NULL, &a), "/tmp/mlruns/0/abc/artifacts");
	assert_string_equal(local_root("/srv/mlruns/1/r/artifacts", NULL, &a), "/srv/mlruns/1/r/artifacts");
	assert_string_equal(local_root("mlflow-artifacts:/0/abc/artifacts", "/data/art", &a),
			    "/data/art/0/abc/artifacts");
	assert_string_equal(local_root("mlflow-artifacts:///0/abc", "/data/art", &a), "/data/art/0/abc");
	assert_null(local_root("mlflow-artifacts:/0/abc/artifacts", NULL, &a));
	assert_null(local_root("s3://bucket/key", "/data/art", &a));
	assert_null(local_root("gs://bucket/key", NULL, &a));
	assert_null(local_root("relative/path", NULL, &a));
	assert_null(local_root("", NULL, &a));
	/* a NUL or control character is refused, never cut short */
	static const char *const bad[] = { "file:///etc%00", "file:///etc%00/1/r/artifacts", "file:///etc%0a",
					   "file://localhost/etc%1f", "/etc\x01/x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mlf_err err = { .code = MLF_INTERNAL_ERROR, .msg = "" };
		const char *out = NULL;
		if (artifact_local_root(bad[i], NULL, &a, &out, &err) != -1)
			fail_msg("'%s' accepted as '%s'", bad[i], out ? out : "(null)");
		assert_int_equal(err.code, MLF_INVALID_PARAMETER_VALUE);
	}
	bool invalid = false;
	assert_null(artifact_file_uri_path("file:///etc%00", &invalid));
	assert_true(invalid);
	char *p = artifact_file_uri_path("file:///a%20b", &invalid);
	assert_false(invalid);
	assert_string_equal(p, "/a b");
	free(p);
	assert_null(artifact_file_uri_path("/plain", &invalid));
	assert_false(invalid);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_refuses),
		cmocka_unit_test(test_validate_accepts),
		cmocka_unit_test(test_validate_decode_rounds),
		cmocka_unit_test(test_validate_beyond_decode_rounds),
		cmocka_unit_test(test_list_root),
		cmocka_unit_test(test_list_root_escape_size),
		cmocka_unit_test(test_list_subdir),
		cmocka_unit_test(test_list_many),
		cmocka_unit_test(test_list_escapes_refused),
		cmocka_unit_test(test_list_missing_and_files),
		cmocka_unit_test(test_list_root_through_symlink),
		cmocka_unit_test(test_list_without_openat2),
		cmocka_unit_test(test_open_beneath),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_within),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_allowed_roots),
		cmocka_unit_test(test_local_root),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
