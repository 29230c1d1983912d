/*
 * cmd_models_deploy.c - `mlflowc models generate-dockerfile | build-docker
 * | build-lambda | lambda-runtime | generate-k8s`: a model taken from the
 * registry (or any model URI, or a local directory) to a container image,
 * a serverless function or a Kubernetes service, as `mlflow models
 * generate-dockerfile` and `build-docker` do for MLflow (spec §10.1).
 *
 *   generate-dockerfile  a complete build context in -d DIR: Dockerfile,
 *                        the running binary, the model under model/
 *                        (copied to /opt/ml/model in the image)
 *   build-docker         the same, then `docker build -t NAME DIR` when a
 *                        Docker engine answers (`docker info`); otherwise
 *                        it says so and leaves the context
 *   build-lambda         a zip for Lambda's custom runtime: bootstrap, the
 *                        binary, the model and every shared library the
 *                        process has loaded once the model is loaded
 *   lambda-runtime       what bootstrap runs: the Runtime API loop
 *   generate-k8s         Deployment, Service and HorizontalPodAutoscaler
 *
 * Nothing is written half: a context or zip is built under a temporary
 * name beside its destination and renamed into place when complete.
 *
 * Exit codes: 0 done; 1 the model was refused (unknown, unreadable, a
 * flavor the target cannot run); 2 bad usage; 3 the tracking server (or,
 * for lambda-runtime, the Runtime API) could not be reached; 4 a local
 * failure (cannot write the context or zip); 5 build-docker found no
 * Docker engine (the context is left for a later `docker build`); 6
 * `docker build` failed.
 */
#include "../base/lazylink.h" /* first: it renames curl's declarations */
#include "cmd_models_deploy.h"
#include "cli_client.h"
#include "deploy_gen.h"
#include "deploy_libs.h"
#include "model_fetch.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include "zip_writer.h"
#include "../model/flavor.h"
#include "../server/lambda_runtime.h"
#include "../server/scoring_app.h"
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define EXIT_NO_ENGINE 5
#define EXIT_BUILD_FAILED 6
#define SELF_EXE "/proc/self/exe"
#define CONTEXT_MARKER ".mlflowc-context"
#define TREE_MAX_DEPTH 64
#define LAMBDA_ZIP_LIMIT (50u << 20)      /* Lambda's direct upload limit (zipped) */
#define LAMBDA_UNZIPPED_LIMIT (250u << 20) /* and what a function may unpack to */

struct deploy_settings {
	const char *tracking_uri;
	const char *model_uri;
	const char *output;
	const char *name;
	const char *env_manager;
	const char *image;
	const char *cpu;
	const char *memory;
	unsigned replicas, port, min_replicas, max_replicas, target_cpu, timeout;
};

#define OPT(field) offsetof(struct deploy_settings, field)
#define TRACKING_URI_OPTION CLI_TRACKING_URI_OPTION(struct deploy_settings)
#define ENV_MANAGER_OPTION                                                                                    \
	{ "env-manager", 0, CLI_STRING, OPT(env_manager), "MANAGER",                                          \
	  "a Python model's environment: virtualenv (default: a venv of its requirements.txt built into "     \
	  "the image) or local (Debian's python3 alone)" }

static const struct cli_option dockerfile_options[] = {
	{ "model-uri", 'm', CLI_STRING, OPT(model_uri), "URI",
	  "models:/NAME/VERSION, models:/NAME@ALIAS, runs:/ID/PATH or a directory (none: a generic image "
	  "serving a model mounted at /opt/ml/model)" },
	{ "output-directory", 'd', CLI_STRING, OPT(output), "DIR", "where the build context goes (mlflow-dockerfile)" },
	ENV_MANAGER_OPTION,
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option build_docker_options[] = {
	{ "model-uri", 'm', CLI_STRING, OPT(model_uri), "URI", "the model (none: a generic image)" },
	{ "name", 'n', CLI_STRING, OPT(name), "NAME", "image name and tag (mlflow-pyfunc-servable)" },
	{ "output-directory", 'd', CLI_STRING, OPT(output), "DIR",
	  "where the build context goes and stays (mlflow-dockerfile)" },
	ENV_MANAGER_OPTION,
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option build_lambda_options[] = {
	{ "model-uri", 'm', CLI_REQUIRED, OPT(model_uri), "URI", "the model (a native flavor: xgboost, c_function)" },
	{ "output", 'o', CLI_REQUIRED, OPT(output), "FILE.zip", "the zip to write" },
	TRACKING_URI_OPTION,
	{ 0 },
};

static const struct cli_option lambda_runtime_options[] = {
	{ "model-path", 'm', CLI_REQUIRED, OPT(model_uri), "DIR", "the model directory (the zip's model/)" },
	{ "timeout", 't', CLI_UINT, OPT(timeout), "SECONDS", "one prediction's limit (60)" },
	{ 0 },
};

static const struct cli_option k8s_options[] = {
	{ "model-uri", 'm', CLI_REQUIRED, OPT(model_uri), "URI", "what the pods serve (MLFLOW_MODEL_URI)" },
	{ "image", 0, CLI_REQUIRED, OPT(image), "IMAGE", "an image with mlflowc (e.g. from build-docker)" },
	{ "name", 0, CLI_STRING, OPT(name), "NAME", "object names, a DNS label (default: from the model's name)" },
	{ "replicas", 0, CLI_UINT, OPT(replicas), "N", "pods at first (--min-replicas)" },
	{ "port", 0, CLI_UINT, OPT(port), "PORT", "the container's and Service's port (8080)" },
	{ "cpu", 0, CLI_STRING, OPT(cpu), "QUANTITY", "CPU request per pod (500m)" },
	{ "memory", 0, CLI_STRING, OPT(memory), "QUANTITY", "memory request and limit per pod (512Mi)" },
	{ "min-replicas", 0, CLI_UINT, OPT(min_replicas), "N", "autoscaler's minimum (1)" },
	{ "max-replicas", 0, CLI_UINT, OPT(max_replicas), "N", "autoscaler's maximum (5, at least --replicas)" },
	{ "target-cpu", 0, CLI_UINT, OPT(target_cpu), "PERCENT", "autoscaler's CPU utilisation target (70)" },
	{ "tracking-uri", 0, CLI_STRING, OPT(tracking_uri), "URI",
	  "the pods' MLFLOW_TRACKING_URI (default $MLFLOW_TRACKING_URI; needed for models:/ and runs:/)" },
	{ 0 },
};

#undef ENV_MANAGER_OPTION
#undef TRACKING_URI_OPTION
#undef OPT

/* ---- shared steps ---------------------------------------------------------------- */

/* The exit code of a failure found on the way to the model, by error
 * code; any other code means the model was refused. */
static const struct {
	enum mlf_code code;
	int exit_code;
} model_exit_codes[] = {
	{ MLF_TEMPORARILY_UNAVAILABLE, CLI_EXIT_UNREACHABLE },
	{ MLF_INTERNAL_ERROR, CLI_EXIT_LOCAL },
};

static int model_exit_code(const struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(model_exit_codes); i++)
		if (model_exit_codes[i].code == err->code)
			return model_exit_codes[i].exit_code;
	return CLI_EXIT_REFUSED;
}

static int fail_err(const char *cmd, const struct mlf_err *err, int code, int *exit_code)
{
	fprintf(stderr, "mlflowc %s: %s\n", cmd, err->msg);
	*exit_code = code;
	return -1;
}

/* A model URI fetched into a local directory and opened, with the flavor
 * that will serve it. The caller closes md with model_dir_close(). */
static int open_model(const char *cmd, const char *uri, const char *tracking_uri, struct model_dir *md,
		      const struct flavor_ops **flavor, int *exit_code)
{
	struct mlf_err err;
	struct model_fetch_options opt = { .tracking_uri = tracking_uri };
	char dir[4096];
	if (model_fetch(uri, &opt, dir, sizeof(dir), NULL, 0, &err) < 0)
		return fail_err(cmd, &err, model_exit_code(&err), exit_code);
	if (model_dir_open(dir, md, &err) < 0)
		return fail_err(cmd, &err, model_exit_code(&err), exit_code);
	*flavor = flavor_choose(md, NULL, &err);
	if (!*flavor) {
		model_dir_close(md);
		return fail_err(cmd, &err, CLI_EXIT_REFUSED, exit_code);
	}
	return 0;
}

/* The first native flavor (not python_function) that runs `md`, or NULL. */
static const struct flavor_ops *native_flavor(const struct model_dir *md)
{
	size_t n;
	const struct flavor_ops *const *table = flavor_table(&n);
	char why[256];
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i]->name, "python_function") && table[i]->accepts(md, why, sizeof(why)))
			return table[i];
	return NULL;
}

/* Walking a model's files: from the model's own descriptor, following
 * symbolic links that stay beneath its real path and refusing those that
 * lead out. fn gets each directory (fd -1) and regular file (fd open). */
typedef int (*tree_fn)(void *ctx, const char *rel, int fd, mode_t mode, struct mlf_err *err);

struct tree {
	char root[4096]; /* real path of the top */
	size_t root_len;
	tree_fn fn;
	void *ctx;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether descriptor `fd` is beneath the tree's root. */
static bool fd_inside(const struct tree *t, int fd)
{
	char link[64], real[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return false;
	real[n] = '\0';
	return !strncmp(real, t->root, t->root_len) && (real[t->root_len] == '/' || real[t->root_len] == '\0');
}

static int tree_dir(struct tree *t, int dirfd, const char *prefix, unsigned depth, struct mlf_err *err)
{
	if (depth > TREE_MAX_DEPTH)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the model nests directories deeper than %d",
				  TREE_MAX_DEPTH);
	int dfd = dup(dirfd);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot list '%s': %s", *prefix ? prefix : ".",
				  strerror(errno));
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char rel[4096];
		if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", names[i]) >= sizeof(rel)) {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "a path in the model is too long");
			break;
		}
		int fd = openat(dirfd, names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read the model's '%s': %s", rel, strerror(errno));
		} else if (!fd_inside(t, fd)) {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					"the model's '%s' is a symbolic link leading out of the model", rel);
		} else if (S_ISDIR(st.st_mode)) {
			rc = t->fn(t->ctx, rel, -1, st.st_mode, err);
			if (rc == 0)
				rc = tree_dir(t, fd, rel, depth + 1, err);
		} else if (S_ISREG(st.st_mode)) {
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0)
				fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			rc = t->fn(t->ctx, rel, fd, st.st_mode, err);
		} else {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the model's '%s' is not a file or directory", rel);
		}
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Calls fn for every directory (fd -1) and regular file beneath the
 * model, in sorted order, parents first. */
static int tree_walk(const struct model_dir *md, tree_fn fn, void *ctx, struct mlf_err *err)
{
	struct tree t = { .fn = fn, .ctx = ctx };
	if (!realpath(md->path, t.root))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot resolve '%s': %s", md->path, strerror(errno));
	t.root_len = strlen(t.root);
	return tree_dir(&t, md->fd, "", 0, err);
}

static int copy_fd(int in, int out, struct mlf_err *err)
{
	char chunk[1 << 16];
	for (;;) {
		ssize_t r = read(in, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read: %s", strerror(errno));
		if (r == 0)
			return 0;
		int e = util_write_all(out, chunk, (size_t)r);
		if (e)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write: %s", strerror(e));
	}
}

/* Copies `in` to a new file `rel` beneath `dirfd` with `mode`. */
static int copy_to(int dirfd, const char *rel, int in, mode_t mode, struct mlf_err *err)
{
	int out = openat(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot create '%s': %s", rel, strerror(errno));
	int rc = copy_fd(in, out, err);
	if (rc == 0 && fchmod(out, mode) < 0)
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot set the mode of '%s': %s", rel, strerror(errno));
	if (close(out) < 0 && rc == 0)
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write '%s': %s", rel, strerror(errno));
	return rc;
}

static int copy_self(int dirfd, const char *rel, struct mlf_err *err)
{
	int in = open(SELF_EXE, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read the running binary: %s", strerror(errno));
	int rc = copy_to(dirfd, rel, in, 0755, err);
	close(in);
	return rc;
}

/* Removes the tree beneath `dirfd` (then the caller removes the top). */
static void remove_tree_at(int dirfd, unsigned depth)
{
	int dfd = dup(dirfd);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0)
			continue;
		int sub = depth < TREE_MAX_DEPTH + 2 ? openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
						     : -1;
		if (sub >= 0) {
			remove_tree_at(sub, depth + 1);
			close(sub);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		}
	}
	closedir(d);
}

static void remove_tree(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		remove_tree_at(fd, 0);
		close(fd);
	}
	rmdir(path);
}

/* ---- Docker -------------------------------------------------------------------------- */

struct copy_ctx {
	int dest; /* the context's model/ directory */
};

static int copy_one(void *ctx, const char *rel, int fd, mode_t mode, struct mlf_err *err)
{
	struct copy_ctx *c = ctx;
	if (fd < 0) {
		if (mkdirat(c->dest, rel, 0755) < 0)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot create 'model/%s': %s", rel, strerror(errno));
		return 0;
	}
	/* readable by the image's user whatever the model's own modes were */
	return copy_to(c->dest, rel, fd, (mode & 0111) ? 0755 : 0644, err);
}

/* Whether `dir` may receive a context: absent, empty, or an earlier one. */
static int check_output_dir(const char *cmd, const char *dir, bool *replace, int *exit_code)
{
	*replace = false;
	struct stat st;
	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return cli_usage_fail(exit_code, cmd, "cannot use '%s': %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return cli_usage_fail(exit_code, cmd, "'%s' exists and is not a directory", dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return cli_usage_fail(exit_code, cmd, "cannot read '%s': %s", dir, strerror(errno));
	}
	bool empty = true, marked = false;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		empty = false;
		marked |= !strcmp(e->d_name, CONTEXT_MARKER);
	}
	closedir(d);
	if (!empty && !marked)
		return cli_usage_fail(exit_code, cmd,
				      "'%s' is not empty and is not a build context mlflowc wrote: choose another -d", dir);
	*replace = true;
	return 0;
}

/* Writes the build context into `dir`: Dockerfile, mlflowc, model/ (when
 * md is not NULL) and the marker that lets a later run replace it. */
static int write_context(const char *dir, const struct dockerfile_spec *spec, const struct model_dir *md,
			 struct mlf_err *err)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot open '%s': %s", dir, strerror(errno));
	struct buf text = BUF_INIT;
	deploy_dockerfile(spec, &text);
	int rc = 0;
	static const char marker[] = "This build context was written by `mlflowc models generate-dockerfile`;\n"
				     "running it again with the same -d replaces it.\n";
	int fd = openat(dfd, "Dockerfile", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int e = fd < 0 ? errno : util_write_all(fd, text.ptr, text.len);
	if (fd >= 0 && close(fd) < 0 && !e)
		e = errno;
	if (e)
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write the Dockerfile: %s", strerror(e));
	if (rc == 0) {
		fd = openat(dfd, CONTEXT_MARKER, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		e = fd < 0 ? errno : util_write_all(fd, marker, sizeof(marker) - 1);
		if (fd >= 0)
			close(fd);
		if (e)
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write '%s': %s", CONTEXT_MARKER, strerror(e));
	}
	if (rc == 0)
		rc = copy_self(dfd, "mlflowc", err);
	if (rc == 0 && md) {
		if (mkdirat(dfd, "model", 0755) < 0) {
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot create 'model': %s", strerror(errno));
		} else {
			struct copy_ctx c = { .dest = openat(dfd, "model", O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
			rc = c.dest < 0 ? mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot open 'model'") : tree_walk(md, copy_one, &c, err);
			if (c.dest >= 0)
				close(c.dest);
		}
	}
	buf_release(&text);
	close(dfd);
	return rc;
}

/* generate-dockerfile's work, shared with build-docker. */
static int make_context(const char *cmd, struct deploy_settings *s, int *exit_code)
{
	static char output[4096];
	snprintf(output, sizeof(output), "%s", s->output ? s->output : "mlflow-dockerfile");
	size_t n_out = strlen(output);
	while (n_out > 1 && output[n_out - 1] == '/') /* "ctx/" is ctx: the temporary one goes beside it */
		output[--n_out] = '\0';
	if (!*output || !strcmp(output, "/"))
		return cli_usage_fail(exit_code, cmd, "-d needs a directory other than /");
	s->output = output;
	if (!s->env_manager)
		s->env_manager = "virtualenv";
	if (strcmp(s->env_manager, "virtualenv") && strcmp(s->env_manager, "local"))
		return cli_usage_fail(exit_code, cmd,
				      "--env-manager '%s' is not available in the image: use virtualenv or local", s->env_manager);
	bool replace;
	if (check_output_dir(cmd, s->output, &replace, exit_code) < 0)
		return -1;
	struct mlf_err err;
	const char *packages[64];
	int n = deploy_binary_packages(SELF_EXE, packages, ARRAY_SIZE(packages), &err);
	if (n < 0)
		return fail_err(cmd, &err, CLI_EXIT_LOCAL, exit_code);
	struct model_dir md = { .fd = -1 };
	const struct flavor_ops *flavor = NULL;
	if (s->model_uri && open_model(cmd, s->model_uri, s->tracking_uri, &md, &flavor, exit_code) < 0)
		return -1;
	struct dockerfile_spec spec = {
		.model_uri = s->model_uri,
		.flavor = flavor ? flavor->name : NULL,
		.requirements = flavor && model_dir_has(&md, "requirements.txt"),
		.env_manager = s->env_manager,
		.packages = packages,
		.n_packages = (size_t)n,
	};
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.partial-%ld", s->output, (long)getpid());
	int rc = mkdir(tmp, 0755) < 0 ? mlf_errorf(&err, MLF_INTERNAL_ERROR, "cannot create '%s': %s", tmp, strerror(errno))
				      : write_context(tmp, &spec, flavor ? &md : NULL, &err);
	if (rc == 0 && replace)
		remove_tree(s->output);
	if (rc == 0 && rename(tmp, s->output) < 0)
		rc = mlf_errorf(&err, MLF_INTERNAL_ERROR, "cannot rename '%s' to '%s': %s", tmp, s->output, strerror(errno));
	if (rc < 0)
		remove_tree(tmp);
	if (flavor)
		model_dir_close(&md);
	if (rc < 0) /* a model that cannot be copied (a link leading out) is refused; a write failure is local */
		return fail_err(cmd, &err, model_exit_code(&err), exit_code);
	fprintf(stderr, "mlflowc %s: wrote the build context (%s%s) in %s/\n", cmd,
		spec.flavor ? "flavor " : "a generic image", spec.flavor ? spec.flavor : "", s->output);
	return 0;
}

int models_generate_dockerfile(int argc, char **argv)
{
	static const char cmd[] = "models generate-dockerfile";
	struct deploy_settings s = { 0 };
	int exit_code;
	if (cli_parse_command(cmd,
			      "Write a Docker build context serving the model on port 8080: a Dockerfile (Debian 12\n"
			      "slim, only the packages the binary and the model's flavor need, a non-root user, a\n"
			      "HEALTHCHECK on /ping), this mlflowc binary and the model (to /opt/ml/model).\n"
			      "Exit codes: 0 done, 1 model refused, 2 bad usage, 3 server unreachable, 4 write failed.",
			      dockerfile_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (make_context(cmd, &s, &exit_code) < 0)
		return exit_code;
	printf("%s\n", s.output);
	return CLI_EXIT_OK;
}

/* Runs `argv` (found in PATH) with its output going where `quiet` says;
 * returns its exit status, or -1 when it could not be started. */
static int run_program(char *const *args, bool quiet)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (quiet) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	pid_t pid;
	int rc = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int models_build_docker(int argc, char **argv)
{
	static const char cmd[] = "models build-docker";
	struct deploy_settings s = { .name = "mlflow-pyfunc-servable" };
	int exit_code;
	if (cli_parse_command(cmd,
			      "Write the build context of generate-dockerfile and build it as image NAME with\n"
			      "`docker build` when a Docker engine answers (`docker info`). Without one it says so and\n"
			      "leaves the context for a later `docker build -t NAME DIR`.\n"
			      "Exit codes: 0 built, 1 model refused, 2 bad usage, 3 server unreachable, 4 write failed,\n"
			      "5 no Docker engine answered (the context is left), 6 docker build failed.",
			      build_docker_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (!*s.name)
		return cli_usage_error(cmd, "--name must not be empty");
	if (make_context(cmd, &s, &exit_code) < 0)
		return exit_code;
	char *info[] = { "docker", "info", NULL };
	if (run_program(info, true) != 0) {
		fprintf(stderr,
			"mlflowc %s: no Docker engine answers (`docker info` failed); the build context is in %s/: "
			"run `docker build -t %s %s` where one does\n",
			cmd, s.output, s.name, s.output);
		return EXIT_NO_ENGINE;
	}
	char *build[] = { "docker", "build", "-t", (char *)s.name, (char *)s.output, NULL };
	int rc = run_program(build, false);
	if (rc != 0) {
		fprintf(stderr, "mlflowc %s: docker build failed (exit %d); the context is in %s/\n", cmd, rc, s.output);
		return EXIT_BUILD_FAILED;
	}
	printf("%s\n", s.name);
	return CLI_EXIT_OK;
}

/* ---- Lambda -------------------------------------------------------------------------- */

struct zip_ctx {
	struct zip_writer *zw;
};

static int zip_one(void *ctx, const char *rel, int fd, mode_t mode, struct mlf_err *err)
{
	struct zip_ctx *z = ctx;
	if (fd < 0)
		return 0; /* directories come with their files */
	char name[4200];
	snprintf(name, sizeof(name), "model/%s", rel);
	return zip_writer_add_fd(z->zw, name, (mode & 0111) ? 0755 : 0644, fd, err);
}

static int zip_file(struct zip_ctx *z, const char *name, const char *path, unsigned mode, struct mlf_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read '%s': %s", path, strerror(errno));
	int rc = zip_writer_add_fd(z->zw, name, mode, fd, err);
	close(fd);
	return rc;
}

/* Writes the zip into `fd`: bootstrap, bin/mlflowc, lib/ (libs), model/. */
static int write_lambda_zip(int fd, const struct model_dir *md, const char *interp, const struct deploy_lib *libs,
			    size_t n_libs, struct zip_ctx *z, struct mlf_err *err)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
	int64_t when;
	time_t t = epoch && util_parse_int64(epoch, &when) ? (time_t)when : time(NULL);
	z->zw = zip_writer_new(fd, t, true, err);
	if (!z->zw)
		return -1;
	struct buf boot = BUF_INIT;
	deploy_lambda_bootstrap(interp, &boot);
	int rc = zip_writer_add_bytes(z->zw, "bootstrap", 0755, boot.ptr, boot.len, err);
	buf_release(&boot);
	if (rc == 0)
		rc = zip_file(z, "bin/mlflowc", SELF_EXE, 0755, err);
	for (size_t i = 0; i < n_libs && rc == 0; i++) {
		char name[512];
		snprintf(name, sizeof(name), "lib/%s", libs[i].name);
		rc = zip_file(z, name, libs[i].path, 0755, err);
	}
	if (rc == 0)
		rc = tree_walk(md, zip_one, z, err);
	if (rc == 0)
		rc = zip_writer_finish(z->zw, err);
	return rc;
}

/* The model of a Lambda zip: fetched and opened with a native flavor.
 * A model Python alone can run is refused saying so, whether or not this
 * build has the python_function flavor. */
static int open_lambda_model(const char *cmd, const struct deploy_settings *s, struct model_dir *md,
			     const struct flavor_ops **flavor, int *exit_code)
{
	struct mlf_err err;
	struct model_fetch_options opt = { .tracking_uri = s->tracking_uri };
	char dir[4096];
	if (model_fetch(s->model_uri, &opt, dir, sizeof(dir), NULL, 0, &err) < 0)
		return fail_err(cmd, &err, model_exit_code(&err), exit_code);
	if (model_dir_open(dir, md, &err) < 0)
		return fail_err(cmd, &err, model_exit_code(&err), exit_code);
	*flavor = native_flavor(md);
	if (*flavor)
		return 0;
	bool python = mlmodel_flavor(&md->ml, "python_function") != NULL;
	if (!python)
		flavor_choose(md, NULL, &err);
	model_dir_close(md);
	if (!python)
		return fail_err(cmd, &err, CLI_EXIT_REFUSED, exit_code);
	fprintf(stderr,
		"mlflowc %s: this model runs only with Python (python_function), which Lambda's custom runtime lacks: "
		"deploy it as a container image (generate-dockerfile) instead\n",
		cmd);
	*exit_code = CLI_EXIT_REFUSED;
	return -1;
}

int models_build_lambda(int argc, char **argv)
{
	static const char cmd[] = "models build-lambda";
	struct deploy_settings s = { 0 };
	int exit_code;
	if (cli_parse_command(cmd,
			      "Write a zip for an AWS Lambda function on a custom runtime (provided.al2023, x86_64 like\n"
			      "this binary): bootstrap, this mlflowc binary, the model and the shared libraries it\n"
			      "loads (the C library and its loader included). Events are /invocations payloads or\n"
			      "API Gateway proxy events. Native flavors only (Lambda's runtime has no Python).\n"
			      "Exit codes: 0 done, 1 model refused, 2 bad usage, 3 server unreachable, 4 write failed.",
			      build_lambda_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	struct model_dir md;
	const struct flavor_ops *flavor;
	if (open_lambda_model(cmd, &s, &md, &flavor, &exit_code) < 0)
		return exit_code;
	struct mlf_err err;
	/* Load the model as the runtime will: it must load, and what it maps
	 * (libxgboost, a c_function model's needs) goes into lib/. */
	struct scoring_config cfg = { .model_path = md.path, .flavor = flavor->name, .options = { .workers = 1 } };
	struct scoring_app *app = scoring_app_open(&cfg, &err);
	if (!app) {
		model_dir_close(&md);
		fail_err(cmd, &err, CLI_EXIT_REFUSED, &exit_code);
		return exit_code;
	}
	CURL *probe = curl_easy_init(); /* the runtime's HTTP client, loaded now so it is bundled */
	if (!probe) {
		scoring_app_close(app);
		model_dir_close(&md);
		fprintf(stderr, "mlflowc %s: libcurl could not be loaded; the runtime needs it (install libcurl4)\n", cmd);
		return CLI_EXIT_LOCAL;
	}
	curl_easy_cleanup(probe);
	struct deploy_lib libs[DEPLOY_LIBS_MAX];
	char interp[256];
	char real_model[4096];
	int n_libs = -1;
	if (deploy_interpreter_name(interp, sizeof(interp), &err) == 0)
		n_libs = deploy_loaded_libs(realpath(md.path, real_model) ? real_model : md.path, libs,
					    ARRAY_SIZE(libs), &err);
	if (n_libs < 0) {
		scoring_app_close(app);
		model_dir_close(&md);
		fail_err(cmd, &err, CLI_EXIT_LOCAL, &exit_code);
		return exit_code;
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.partial-%ld", s.output, (long)getpid());
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	struct zip_ctx z = { 0 };
	int rc = fd < 0 ? mlf_errorf(&err, MLF_INTERNAL_ERROR, "cannot create '%s': %s", tmp, strerror(errno))
			: write_lambda_zip(fd, &md, interp, libs, (size_t)n_libs, &z, &err);
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = mlf_errorf(&err, MLF_INTERNAL_ERROR, "cannot write '%s': %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, s.output) < 0)
		rc = mlf_errorf(&err, MLF_INTERNAL_ERROR, "cannot rename '%s' to '%s': %s", tmp, s.output, strerror(errno));
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	uint64_t size = z.zw ? zip_writer_size(z.zw) : 0, unzipped = z.zw ? zip_writer_unzipped(z.zw) : 0;
	size_t count = z.zw ? zip_writer_count(z.zw) : 0;
	zip_writer_free(z.zw);
	for (int i = 0; i < n_libs; i++)
		deploy_lib_release(&libs[i]);
	scoring_app_close(app);
	model_dir_close(&md);
	if (rc < 0) {
		fail_err(cmd, &err, model_exit_code(&err), &exit_code);
		return exit_code;
	}
	fprintf(stderr, "mlflowc %s: wrote %s: %zu files, %d shared libraries, %.1f MB (%.1f MB unzipped)\n", cmd,
		s.output, count, n_libs, (double)size / 1e6, (double)unzipped / 1e6);
	if (size > LAMBDA_ZIP_LIMIT)
		fprintf(stderr, "mlflowc %s: note: over Lambda's 50 MB limit for a direct upload: upload it through S3\n",
			cmd);
	if (unzipped > LAMBDA_UNZIPPED_LIMIT)
		fprintf(stderr, "mlflowc %s: note: over Lambda's 250 MB limit for a function unzipped: use a container "
				"image (generate-dockerfile) instead\n",
			cmd);
	printf("%s\n", s.output);
	return CLI_EXIT_OK;
}

static void score_with_app(void *ctx, const char *content_type, const char *body, size_t len, bool too_large,
			   struct scoring_answer *ans)
{
	scoring_app_invoke(ctx, content_type, body, len, too_large, ans);
}

int models_lambda_runtime(int argc, char **argv)
{
	static const char cmd[] = "models lambda-runtime";
	struct deploy_settings s = { .timeout = 60 };
	int exit_code;
	if (cli_parse_command(cmd,
			      "Serve the model as a Lambda function: the Runtime API loop at $AWS_LAMBDA_RUNTIME_API\n"
			      "(what a build-lambda zip's bootstrap runs). Exit codes: 0 the Runtime API ended the loop,\n"
			      "1 the model did not load (an init error was posted), 2 bad usage, 3 the Runtime API\n"
			      "could not be reached.",
			      lambda_runtime_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	if (!api || !*api)
		return cli_usage_error(cmd, "AWS_LAMBDA_RUNTIME_API is not set: this command runs inside Lambda");
	struct mlf_err err, perr;
	struct scoring_config cfg = {
		.model_path = s.model_uri,
		.options = { .workers = 1, .timeout_ms = s.timeout * 1000u },
	};
	struct scoring_app *app = scoring_app_open(&cfg, &err);
	if (!app) {
		fprintf(stderr, "mlflowc %s: the model did not load: %s\n", cmd, err.msg);
		if (lambda_runtime_init_error(api, "Runtime.ModelLoadError", err.msg, &perr) < 0)
			fprintf(stderr, "mlflowc %s: %s\n", cmd, perr.msg);
		return CLI_EXIT_REFUSED;
	}
	unsigned long served = 0;
	int rc = lambda_runtime_run(api, score_with_app, app, &served, &err);
	scoring_app_close(app);
	if (rc < 0) {
		fprintf(stderr, "mlflowc %s: %s (after %lu invocations)\n", cmd, err.msg, served);
		return CLI_EXIT_UNREACHABLE;
	}
	fprintf(stderr, "mlflowc %s: the Runtime API ended the loop after %lu invocations\n", cmd, served);
	return CLI_EXIT_OK;
}

/* ---- Kubernetes ---------------------------------------------------------------------- */

static bool needs_tracking_server(const char *uri)
{
	return !strncmp(uri, "models:/", 8) || !strncmp(uri, "runs:/", 6) || !strncmp(uri, "mlflow-artifacts:", 17);
}

int models_generate_k8s(int argc, char **argv)
{
	static const char cmd[] = "models generate-k8s";
	/* UINT_MAX: not given (derived from the other values) */
	struct deploy_settings s = { .replicas = UINT_MAX, .port = DEPLOY_PORT, .cpu = "500m", .memory = "512Mi",
				     .target_cpu = 70, .min_replicas = UINT_MAX, .max_replicas = UINT_MAX };
	int exit_code;
	if (cli_parse_command(cmd,
			      "Print Kubernetes manifests serving the model: a Deployment (the image runs `mlflowc\n"
			      "models serve` on MLFLOW_MODEL_URI, probes on /ping, resources), a Service and a\n"
			      "HorizontalPodAutoscaler (autoscaling/v2). Exit codes: 0 done, 2 bad usage.",
			      k8s_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	char name[64];
	if (!s.name) {
		deploy_k8s_default_name(s.model_uri, name);
		s.name = name;
	}
	if (!s.tracking_uri) {
		const char *env = getenv("MLFLOW_TRACKING_URI");
		s.tracking_uri = env && *env ? env : NULL;
	}
	if (!s.tracking_uri && needs_tracking_server(s.model_uri))
		return cli_usage_error(cmd, "'%s' is resolved through a tracking server: give --tracking-uri (or set "
					    "MLFLOW_TRACKING_URI) as the pods reach it",
				       s.model_uri);
	struct k8s_spec spec = {
		.name = s.name,
		.image = s.image,
		.model_uri = s.model_uri,
		.tracking_uri = s.tracking_uri,
		.replicas = s.replicas,
		.port = s.port,
		.cpu = s.cpu,
		.memory = s.memory,
		.target_cpu = s.target_cpu,
	};
	/* Kubernetes' own default minimum is 1; the first replica count is the
	 * minimum when only that is given */
	spec.min_replicas = s.min_replicas != UINT_MAX ? s.min_replicas : 1;
	if (spec.replicas == UINT_MAX)
		spec.replicas = spec.min_replicas ? spec.min_replicas : 1;
	spec.max_replicas = s.max_replicas;
	if (spec.max_replicas == UINT_MAX) {
		spec.max_replicas = spec.replicas > 5 ? spec.replicas : 5;
		if (spec.max_replicas < spec.min_replicas)
			spec.max_replicas = spec.min_replicas;
	}
	struct mlf_err err;
	if (deploy_k8s_check(&spec, &err) < 0)
		return cli_usage_error(cmd, "%s", err.msg);
	if (spec.tracking_uri && (strstr(spec.tracking_uri, "://127.") || strstr(spec.tracking_uri, "://localhost")))
		fprintf(stderr, "mlflowc %s: note: the pods will look for the tracking server at %s, inside themselves\n",
			cmd, spec.tracking_uri);
	struct buf out = BUF_INIT;
	deploy_k8s_yaml(&spec, &out);
	fwrite(out.ptr, 1, out.len, stdout);
	buf_release(&out);
	return CLI_EXIT_OK;
}
