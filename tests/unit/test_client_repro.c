/*
 * test_client_repro.c - unit tests of the client library's git reader and
 * reproducibility tags (src/client/client_repro.c) on real repositories
 * made with /usr/bin/git in a temporary directory: a branch with a loose
 * ref, the same after `git pack-refs` (the ref only in packed-refs), a
 * detached HEAD, a linked worktree (.git is a file; refs in the common
 * dir), a subdirectory (the search goes upward), an unborn branch and a
 * directory outside any repository. The expected ids come from
 * `git rev-parse`, never from the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_repro.h"

#define GIT "/usr/bin/git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main -c advice.detachedHead=false"
#define ORIGIN "https://example.com/team/project.git"

static char root[256];

/* Runs a shell command in `dir`; fails the test when it fails. */
static void sh(const char *dir, const char *cmd)
{
	char line[4096];
	snprintf(line, sizeof(line), "cd '%s' && %s >/dev/null 2>&1", dir, cmd);
	assert_int_equal(system(line), 0);
}

/* The first line a command prints in `dir`. */
static void capture(const char *dir, const char *cmd, char *out, size_t size)
{
	char line[4096];
	snprintf(line, sizeof(line), "cd '%s' && %s", dir, cmd);
	FILE *p = popen(line, "r");
	assert_non_null(p);
	if (!fgets(out, (int)size, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", root, name);
}

static int setup(void **state)
{
	(void)state;
	if (access("/usr/bin/git", X_OK) != 0)
		return -1;
	snprintf(root, sizeof(root), "/tmp/mlflowc-repro-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	char repo[300];
	path_of(repo, sizeof(repo), "repo");
	if (mkdir(repo, 0755) != 0)
		return -1;
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && " GIT " init -q && " GIT " remote add origin " ORIGIN " && echo a > f && mkdir -p sub/deeper && "
		 "echo b > sub/deeper/g && " GIT " add . && " GIT " commit -qm one && echo c >> f && " GIT
		 " commit -qam two",
		 repo);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_loose_ref_branch_and_origin(void **state)
{
	(void)state;
	char repo[300], head[128];
	path_of(repo, sizeof(repo), "repo");
	capture(repo, "/usr/bin/git rev-parse HEAD", head, sizeof(head));
	struct stat st;
	char loose[400];
	snprintf(loose, sizeof(loose), "%s/.git/refs/heads/main", repo);
	assert_int_equal(stat(loose, &st), 0); /* the case under test: a loose ref */

	struct repro_git g;
	assert_true(repro_git_read(repo, &g));
	assert_string_equal(g.commit, head);
	assert_string_equal(g.branch, "main");
	assert_string_equal(g.repo_url, ORIGIN);
}

static void test_subdirectory_searches_upward(void **state)
{
	(void)state;
	char repo[300], deep[400], head[128];
	path_of(repo, sizeof(repo), "repo");
	snprintf(deep, sizeof(deep), "%s/sub/deeper", repo);
	capture(repo, "/usr/bin/git rev-parse HEAD", head, sizeof(head));
	struct repro_git g;
	assert_true(repro_git_read(deep, &g));
	assert_string_equal(g.commit, head);
	assert_string_equal(g.branch, "main");
}

static void test_packed_ref(void **state)
{
	(void)state;
	char repo[300], head[128], loose[400];
	path_of(repo, sizeof(repo), "repo");
	capture(repo, "/usr/bin/git rev-parse HEAD", head, sizeof(head));
	sh(repo, GIT " pack-refs --all --prune");
	snprintf(loose, sizeof(loose), "%s/.git/refs/heads/main", repo);
	assert_int_not_equal(access(loose, F_OK), 0); /* only in packed-refs now */

	struct repro_git g;
	assert_true(repro_git_read(repo, &g));
	assert_string_equal(g.commit, head);
	assert_string_equal(g.branch, "main");
}

static void test_detached_head(void **state)
{
	(void)state;
	char repo[300], first[128];
	path_of(repo, sizeof(repo), "repo");
	capture(repo, "/usr/bin/git rev-parse HEAD~1", first, sizeof(first));
	sh(repo, GIT " checkout -q --detach HEAD~1");
	struct repro_git g;
	assert_true(repro_git_read(repo, &g));
	assert_string_equal(g.commit, first);
	assert_string_equal(g.branch, "");
	assert_string_equal(g.repo_url, ORIGIN);
	sh(repo, GIT " checkout -q main");
}

static void test_linked_worktree(void **state)
{
	(void)state;
	char repo[300], wt[300], head[128], dotgit[400];
	path_of(repo, sizeof(repo), "repo");
	path_of(wt, sizeof(wt), "wt");
	sh(repo, GIT " worktree add -q -b feature ../wt HEAD~1");
	capture(wt, "/usr/bin/git rev-parse HEAD", head, sizeof(head));
	snprintf(dotgit, sizeof(dotgit), "%s/.git", wt);
	struct stat st;
	assert_int_equal(stat(dotgit, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* a "gitdir: ..." file */

	struct repro_git g;
	assert_true(repro_git_read(wt, &g));
	assert_string_equal(g.commit, head);
	assert_string_equal(g.branch, "feature");
	assert_string_equal(g.repo_url, ORIGIN); /* from the common dir's config */
}

static void test_unborn_branch_and_no_repo(void **state)
{
	(void)state;
	char fresh[300], plain[300];
	path_of(fresh, sizeof(fresh), "fresh");
	path_of(plain, sizeof(plain), "plain");
	assert_int_equal(mkdir(fresh, 0755), 0);
	assert_int_equal(mkdir(plain, 0755), 0);
	sh(fresh, GIT " init -q");
	struct repro_git g;
	assert_true(repro_git_read(fresh, &g));
	assert_string_equal(g.commit, "");
	assert_string_equal(g.branch, "main");
	assert_string_equal(g.repo_url, "");
	/* /tmp/... is not inside a repository (the test needs that) */
	assert_false(repro_git_read(plain, &g));
	assert_false(repro_git_read("/nonexistent/dir", &g));
}

static const char *tag(const struct repro_tags *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->key[i], key) == 0)
			return t->value[i];
	return NULL;
}

static void test_context_tags(void **state)
{
	(void)state;
	char repo[300], head[128], cwd[1024];
	path_of(repo, sizeof(repo), "repo");
	capture(repo, "/usr/bin/git rev-parse HEAD", head, sizeof(head));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(repo), 0);
	setenv("LOGNAME", "ci-user", 1);
	struct repro_tags t;
	bool ok = repro_tags_collect(&t);
	assert_int_equal(chdir(cwd), 0);
	assert_true(ok);
	assert_string_equal(tag(&t, "mlflow.user"), "ci-user");
	assert_string_equal(tag(&t, "mlflow.source.type"), "LOCAL");
	assert_non_null(strstr(tag(&t, "mlflow.source.name"), "test_client_repro"));
	assert_string_equal(tag(&t, "mlflow.source.git.commit"), head);
	assert_string_equal(tag(&t, "mlflow.source.git.branch"), "main");
	assert_string_equal(tag(&t, "mlflow.source.git.repoURL"), ORIGIN);
	assert_string_equal(tag(&t, "mlflow.gitRepoURL"), ORIGIN);
	assert_int_equal(strncmp(tag(&t, "mlflowc.client"), "libmlflowc ", 11), 0);
	assert_non_null(strstr(tag(&t, "mlflowc.client"), "; host "));
	repro_tags_release(&t);

	char plain[300];
	path_of(plain, sizeof(plain), "plain2");
	assert_int_equal(mkdir(plain, 0755), 0);
	assert_int_equal(chdir(plain), 0);
	ok = repro_tags_collect(&t);
	assert_int_equal(chdir(cwd), 0);
	assert_true(ok);
	assert_null(tag(&t, "mlflow.source.git.commit"));
	assert_non_null(tag(&t, "mlflow.user"));
	repro_tags_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loose_ref_branch_and_origin),
		cmocka_unit_test(test_subdirectory_searches_upward),
		cmocka_unit_test(test_detached_head),
		cmocka_unit_test(test_linked_worktree),
		cmocka_unit_test(test_context_tags),
		cmocka_unit_test(test_packed_ref),
		cmocka_unit_test(test_unborn_branch_and_no_repo),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
