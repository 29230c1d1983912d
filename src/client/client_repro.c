/*
 * client_repro.c - the reproducibility tags libmlflowc adds when it starts
 * a run (MLflow's run context, spec §12): mlflow.user, mlflow.source.name
 * (this program), mlflow.source.type = LOCAL, the git commit, branch and
 * origin url of the work tree the program runs in, and mlflowc.client
 * (library version, kernel, host).
 *
 * Git is read from the files themselves, not through libgit2 or a `git`
 * process: HEAD, the loose ref or the packed-refs line it names, and the
 * [remote "origin"] url of the config. That is a few small reads per run
 * start, no new dependency, and nothing in the server's link. Linked
 * worktrees (.git is a file "gitdir: ..." and the gitdir has a
 * "commondir") are followed. What is not handled (reftable repositories,
 * includeIf'd configs) leaves the tag out rather than guessing.
 */
#include "client_repro.h"
#include "../../include/mlflowc.h"
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define REPRO_PATH_MAX 4096
#define SYMREF_DEPTH_MAX 5

/* ---------------------------------------------------------------- files */

/* Set when a read failed for want of memory (fopen's FILE, realpath):
 * the run start then fails with NOMEM instead of silently leaving the git
 * tags out. Per thread, reset by repro_tags_collect. */
static _Thread_local bool repro_oom;

static FILE *open_read(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f && errno == ENOMEM)
		repro_oom = true;
	return f;
}

/* Reads at most size-1 bytes of a file into out (NUL-terminated) and
 * strips trailing whitespace; false when it cannot be read. */
static bool read_small(const char *path, char *out, size_t size)
{
	FILE *f = open_read(path);
	if (!f)
		return false;
	size_t n = fread(out, 1, size - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
	return true;
}

static bool join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size;
}

static bool is_hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return (n == 40 || n == 64) && s[n] == '\0';
}

/* Copies an object id or a name when it fits; false (out untouched) when not. */
static bool copy_id(char *out, size_t size, const char *id)
{
	size_t n = strlen(id);
	if (n >= size)
		return false;
	memcpy(out, id, n + 1);
	return true;
}

/* A ref name that stays inside the git directory. */
static bool safe_ref(const char *ref)
{
	return strncmp(ref, "refs/", 5) == 0 && !strstr(ref, "..") && !strchr(ref, '\\');
}

/* ---------------------------------------------------------------- locating */

/* Sets gitdir (where HEAD is) and common (refs, packed-refs, config) for
 * the repository containing `dir`; false when there is none. */
static bool find_git_dirs(const char *dir, char gitdir[REPRO_PATH_MAX], char common[REPRO_PATH_MAX])
{
	char cur[REPRO_PATH_MAX], dotgit[REPRO_PATH_MAX];
	if (!realpath(dir, cur)) {
		repro_oom = repro_oom || errno == ENOMEM;
		return false;
	}
	for (;;) {
		struct stat st;
		if (join(dotgit, sizeof(dotgit), strcmp(cur, "/") ? cur : "", ".git") && stat(dotgit, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				snprintf(gitdir, REPRO_PATH_MAX, "%s", dotgit);
				break;
			}
			char line[REPRO_PATH_MAX];
			if (S_ISREG(st.st_mode) && read_small(dotgit, line, sizeof(line)) &&
			    strncmp(line, "gitdir: ", 8) == 0) {
				const char *target = line + 8;
				int n = target[0] == '/' ? snprintf(gitdir, REPRO_PATH_MAX, "%s", target)
							 : snprintf(gitdir, REPRO_PATH_MAX, "%s/%s", cur, target);
				if (n <= 0 || n >= REPRO_PATH_MAX)
					return false;
				break;
			}
		}
		char *slash = strrchr(cur, '/');
		if (!slash || strcmp(cur, "/") == 0)
			return false;
		if (slash == cur)
			slash[1] = '\0'; /* up to "/" */
		else
			*slash = '\0';
	}
	char line[REPRO_PATH_MAX], path[REPRO_PATH_MAX];
	if (join(path, sizeof(path), gitdir, "commondir") && read_small(path, line, sizeof(line)) && *line) {
		int n = line[0] == '/' ? snprintf(common, REPRO_PATH_MAX, "%s", line)
				       : snprintf(common, REPRO_PATH_MAX, "%s/%s", gitdir, line);
		return n > 0 && n < REPRO_PATH_MAX;
	}
	snprintf(common, REPRO_PATH_MAX, "%s", gitdir);
	return true;
}

/* ---------------------------------------------------------------- refs */

/* The object id of `ref` in packed-refs (lines "<id> <ref>"). */
static bool packed_ref(const char *common, const char *ref, char *id, size_t size)
{
	char path[REPRO_PATH_MAX];
	if (!join(path, sizeof(path), common, "packed-refs"))
		return false;
	FILE *f = open_read(path);
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *space = strchr(line, ' ');
		if (line[0] == '#' || line[0] == '^' || !space)
			continue;
		*space = '\0';
		if (strcmp(space + 1, ref) == 0 && is_hex_id(line))
			found = copy_id(id, size, line);
	}
	fclose(f);
	return found;
}

/* Resolves `ref` (loose in gitdir, then in common, then packed), following
 * symbolic refs a few levels. */
static bool resolve_ref(const char *gitdir, const char *common, const char *ref, char *id, size_t size, int depth)
{
	if (depth > SYMREF_DEPTH_MAX || !safe_ref(ref))
		return false;
	char path[REPRO_PATH_MAX], line[REPRO_PATH_MAX];
	const char *dirs[] = { gitdir, common };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!join(path, sizeof(path), dirs[i], ref) || !read_small(path, line, sizeof(line)))
			continue;
		if (strncmp(line, "ref: ", 5) == 0)
			return resolve_ref(gitdir, common, line + 5, id, size, depth + 1);
		if (is_hex_id(line))
			return copy_id(id, size, line);
	}
	return packed_ref(common, ref, id, size);
}

/* ---------------------------------------------------------------- config */

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* Is this line the header [remote "origin"]? (Section names are
 * case-insensitive, subsection names are not.) */
static bool is_origin_header(const char *line)
{
	if (line[0] != '[' || strncasecmp(line + 1, "remote", 6) != 0)
		return false;
	const char *p = line + 7;
	while (*p == ' ' || *p == '\t')
		p++;
	return strncmp(p, "\"origin\"]", 9) == 0;
}

/* The value of `url` in [remote "origin"], without quotes or comments. */
static bool origin_url(const char *common, char *out, size_t size)
{
	char path[REPRO_PATH_MAX];
	if (!join(path, sizeof(path), common, "config"))
		return false;
	FILE *f = open_read(path);
	if (!f)
		return false;
	char raw[4096];
	bool in_origin = false, found = false;
	while (!found && fgets(raw, sizeof(raw), f)) {
		char *line = trim(raw);
		if (line[0] == '[') {
			in_origin = is_origin_header(line);
			continue;
		}
		char *eq = strchr(line, '=');
		if (!in_origin || !eq)
			continue;
		*eq = '\0';
		if (strcasecmp(trim(line), "url") != 0)
			continue;
		char *value = trim(eq + 1);
		size_t n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			value[n - 1] = '\0';
			value++;
		} else {
			value[strcspn(value, "#;")] = '\0';
			value = trim(value);
		}
		if (*value && strlen(value) < size) {
			snprintf(out, size, "%s", value);
			found = true;
		}
	}
	fclose(f);
	return found;
}

bool repro_git_read(const char *dir, struct repro_git *out)
{
	*out = (struct repro_git){ 0 };
	char gitdir[REPRO_PATH_MAX], common[REPRO_PATH_MAX], path[REPRO_PATH_MAX], head[REPRO_PATH_MAX];
	if (!find_git_dirs(dir, gitdir, common))
		return false;
	if (join(path, sizeof(path), gitdir, "HEAD") && read_small(path, head, sizeof(head))) {
		if (strncmp(head, "ref: ", 5) == 0) {
			const char *ref = head + 5;
			if (strncmp(ref, "refs/heads/", 11) == 0)
				copy_id(out->branch, sizeof(out->branch), ref + 11);
			if (!resolve_ref(gitdir, common, ref, out->commit, sizeof(out->commit), 0))
				out->commit[0] = '\0'; /* an unborn branch: no commit yet */
		} else if (is_hex_id(head)) {
			copy_id(out->commit, sizeof(out->commit), head);
		}
	}
	origin_url(common, out->repo_url, sizeof(out->repo_url));
	return true;
}

/* ---------------------------------------------------------------- context */

static bool add(struct repro_tags *t, const char *key, const char *value)
{
	if (!value || !*value || t->n == REPRO_TAGS_MAX)
		return true;
	char *copy = strdup(value);
	if (!copy)
		return false;
	t->key[t->n] = key;
	t->value[t->n++] = copy;
	return true;
}

/* MLflow's order: MLFLOW_TRACKING_USERNAME, then the login name as
 * Python's getpass.getuser finds it (LOGNAME, USER, the passwd entry). */
static void user_name(char *out, size_t size)
{
	const char *envs[] = { "MLFLOW_TRACKING_USERNAME", "LOGNAME", "USER" };
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++) {
		const char *v = getenv(envs[i]);
		if (v && *v) {
			snprintf(out, size, "%s", v);
			return;
		}
	}
	struct passwd pw, *found = NULL;
	char buf[2048];
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) == 0 && found && found->pw_name)
		snprintf(out, size, "%s", found->pw_name);
	else
		snprintf(out, size, "unknown");
}

/* This program's path: /proc/self/exe, else argv[0]. */
static void program_name(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);
	if (n > 0) {
		out[n] = '\0';
		return;
	}
	snprintf(out, size, "%s", program_invocation_name ? program_invocation_name : "");
}

bool repro_tags_collect(struct repro_tags *t)
{
	*t = (struct repro_tags){ 0 };
	repro_oom = false;
	char user[256], program[REPRO_PATH_MAX], cwd[REPRO_PATH_MAX], client[512], host[256] = "";
	user_name(user, sizeof(user));
	program_name(program, sizeof(program));
	struct utsname u;
	if (uname(&u) != 0)
		u = (struct utsname){ 0 };
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	snprintf(client, sizeof(client), "libmlflowc %s; %s %s %s; host %s", MLFLOWC_VERSION, u.sysname, u.release,
		 u.machine, *host ? host : "unknown");
	struct repro_git git;
	bool in_git = getcwd(cwd, sizeof(cwd)) && repro_git_read(cwd, &git);
	bool ok = add(t, "mlflow.user", user) && add(t, "mlflow.source.name", program) &&
		  add(t, "mlflow.source.type", "LOCAL");
	if (ok && in_git)
		ok = add(t, "mlflow.source.git.commit", git.commit) && add(t, "mlflow.source.git.branch", git.branch) &&
		     add(t, "mlflow.source.git.repoURL", git.repo_url) && add(t, "mlflow.gitRepoURL", git.repo_url);
	return ok && !repro_oom && add(t, "mlflowc.client", client);
}

void repro_tags_release(struct repro_tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->value[i]);
	*t = (struct repro_tags){ 0 };
}
