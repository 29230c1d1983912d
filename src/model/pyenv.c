/*
 * pyenv.c - the environment managers of the python_function flavor (see
 * pyenv.h): which interpreter runs a model's workers, and the virtualenv
 * cache. The managers are rows of `managers[]`; the external tools (venv,
 * pip) run through pyworker_run, bounded in time, their output's last lines
 * kept for the error message.
 */
#include "pyenv.h"

#include "../base/lazylink.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include "model_yaml.h"
#include "pyworker.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define READY_MARK ".mlflowc-env-ready"

static const char *base_python(const struct flavor_options *opt)
{
	return opt->python && *opt->python ? opt->python : PYENV_DEFAULT_PYTHON;
}

static int check_python(const char *python, struct mlf_err *err)
{
	if (python[0] != '/')
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "the Python interpreter must be an absolute path, not '%s'", python);
	if (access(python, X_OK) != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the Python interpreter %s cannot be run: %s",
				  python, strerror(errno));
	return 0;
}

static int copy_path(char *out, size_t size, const char *path, struct mlf_err *err)
{
	if ((size_t)snprintf(out, size, "%s", path) >= size)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long: %s", path);
	return 0;
}

static int env_local(const struct model_dir *md, const struct flavor_options *opt, char *python, size_t size,
		     struct mlf_err *err)
{
	(void)md;
	const char *py = base_python(opt);
	if (check_python(py, err) < 0)
		return -1;
	return copy_path(python, size, py, err);
}

/* Whether `tool` is an executable on PATH. */
static bool on_path(const char *tool)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		char full[PATH_MAX];
		if (n && (size_t)snprintf(full, sizeof(full), "%.*s/%s", (int)n, path, tool) < sizeof(full) &&
		    access(full, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static int env_unsupported(const char *manager, const char *tool, struct mlf_err *err)
{
	if (!on_path(tool))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "--env-manager %s needs the %s command, which is not on PATH; install it, or use "
				  "--env-manager virtualenv or local",
				  manager, tool);
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "--env-manager %s is not supported by mlflowc yet; use --env-manager virtualenv or local",
			  manager);
}

static int env_conda(const struct model_dir *md, const struct flavor_options *opt, char *python, size_t size,
		     struct mlf_err *err)
{
	(void)md, (void)opt, (void)python, (void)size;
	return env_unsupported("conda", "conda", err);
}

static int env_uv(const struct model_dir *md, const struct flavor_options *opt, char *python, size_t size,
		  struct mlf_err *err)
{
	(void)md, (void)opt, (void)python, (void)size;
	return env_unsupported("uv", "uv", err);
}

/* ---- virtualenv ---------------------------------------------------------- */

static json_t *read_python_env(const struct model_dir *md, struct buf *text)
{
	struct model_env_files ef;
	model_dir_env_files(md, &ef);
	struct mlf_err err;
	if (!ef.python_env || model_dir_read_file(md, ef.python_env, MODEL_DIR_TEXT_MAX, text, &err) < 0)
		return NULL;
	json_t *doc = NULL;
	if (model_yaml_parse(text->ptr, text->len, ef.python_env, &doc, &err) < 0)
		return NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

char *pyenv_wanted_version(const struct model_dir *md)
{
	struct buf text = BUF_INIT;
	json_t *doc = read_python_env(md, &text);
	buf_release(&text);
	const json_t *v = doc ? json_object_get(doc, "python") : NULL;
	char *out = NULL;
	if (json_is_string(v)) /* `python: 3.10` reads as a number and says too little: no warning then */
		out = xstrdup(json_string_value(v));
	json_decref(doc);
	return out;
}

json_t *pyenv_requirements(const struct model_dir *md)
{
	json_t *out = json_array();
	struct model_env_files ef;
	model_dir_env_files(md, &ef);
	struct buf text = BUF_INIT;
	struct mlf_err err;
	if (!ef.requirements || model_dir_read_file(md, ef.requirements, MODEL_DIR_TEXT_MAX, &text, &err) < 0) {
		buf_release(&text);
		return out;
	}
	const char *p = text.ptr, *end = text.ptr + text.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *hash = memchr(p, '#', (size_t)(le - p));
		const char *e = hash ? hash : le;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > p && *p != '-')
			json_array_append_new(out, json_stringn(p, (size_t)(e - p)));
		p = nl ? nl + 1 : end;
	}
	buf_release(&text);
	return out;
}

static int cache_root(const struct flavor_options *opt, char *out, size_t size, struct mlf_err *err)
{
	if (opt->env_cache_dir && *opt->env_cache_dir)
		return copy_path(out, size, opt->env_cache_dir, err);
	const char *home = getenv("HOME");
	if (!home || !*home)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "HOME is not set: name a directory for environments (env_cache_dir)");
	if ((size_t)snprintf(out, size, "%s/.cache/mlflowc/envs", home) >= size)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "HOME is too long");
	return 0;
}

static int mkdirs(const char *path, struct mlf_err *err)
{
	char tmp[PATH_MAX];
	if (copy_path(tmp, sizeof(tmp), path, err) < 0)
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot create %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot create %s: %s", tmp, strerror(errno));
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool env_ready(const char *dir)
{
	char mark[PATH_MAX];
	if ((size_t)snprintf(mark, sizeof(mark), "%s/" READY_MARK, dir) >= sizeof(mark))
		return false;
	return access(mark, F_OK) == 0;
}

/* Runs a tool; a failure quotes its output's last lines. */
static int run_tool(char *const argv[], unsigned timeout_ms, const char *what, struct mlf_err *err)
{
	struct buf tail = BUF_INIT;
	int status = 0;
	int rc = pyworker_run(argv, timeout_ms, PYENV_TAIL_MAX, &tail, &status, err);
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char how[96];
		pyworker_describe_status(status, how, sizeof(how));
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "%s failed (%s %s): %s", what, argv[0], how, tail.ptr);
	} else if (rc < 0) {
		char first[MLF_ERR_MSG_MAX];
		memcpy(first, err->msg, sizeof(first));
		mlf_errorf(err, MLF_INTERNAL_ERROR, "%s failed: %.1000s: %s", what, first, tail.ptr);
	}
	buf_release(&tail);
	return rc;
}

/* The hash naming the environment: what it is built from. */
static int env_key(const char *python, bool ssp, const struct buf *pyenv_text, const struct buf *req_text,
		   char hex[65], struct mlf_err *err)
{
	struct buf in = BUF_INIT;
	buf_addf(&in, "mlflowc-venv 1\npython=%s\nsystem-site-packages=%d\npython_env.yaml %zu\n", python, ssp,
		 pyenv_text->len);
	buf_add(&in, pyenv_text->ptr, pyenv_text->len);
	buf_addf(&in, "\nrequirements.txt %zu\n", req_text->len);
	buf_add(&in, req_text->ptr, req_text->len);
	unsigned char md[32];
	unsigned char *ok = SHA256((const unsigned char *)in.ptr, in.len, md);
	buf_release(&in);
	if (!ok)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot hash the environment: libcrypto.so.3 did not load");
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* pip's arguments: python_env.yaml's build_dependencies and dependencies
 * ("-r requirements.txt" resolved beneath the model), else requirements.txt. */
static int pip_args(const struct model_dir *md, const json_t *pyenv, char ***argv_out, size_t *argc_out,
		    const char *venv_python, struct mlf_err *err)
{
	size_t cap = 16, n = 0;
	char **argv = xcalloc(cap, sizeof(*argv));
	static const char *const fixed[] = { "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
					     "--retries", "1", "--timeout", "30" };
	argv[n++] = xstrdup(venv_python);
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		argv[n++] = xstrdup(fixed[i]);
	size_t first_dep = n;
	int rc = 0;
#define PUSH(s)                                                   \
	do {                                                      \
		if (n + 2 >= cap) {                               \
			cap *= 2;                                 \
			argv = xrealloc(argv, cap * sizeof(*argv)); \
		}                                                 \
		argv[n++] = (s);                                  \
	} while (0)
	static const char *const keys[] = { "build_dependencies", "dependencies" };
	for (size_t k = 0; pyenv && k < ARRAY_SIZE(keys) && rc == 0; k++) {
		const json_t *list = json_object_get(pyenv, keys[k]);
		size_t i;
		const json_t *item;
		json_array_foreach(list, i, item) {
			const char *dep = json_string_value(item);
			if (!dep)
				continue;
			if (strncmp(dep, "-r ", 3) == 0 || strncmp(dep, "-c ", 3) == 0) {
				const char *rel = dep + 3;
				while (*rel == ' ')
					rel++;
				char full[PATH_MAX];
				if (model_dir_file_path(md, rel, full, sizeof(full), err) < 0) {
					rc = -1;
					break;
				}
				PUSH(xstrndup(dep, 2));
				PUSH(xstrdup(full));
			} else {
				PUSH(xstrdup(dep));
			}
		}
	}
	if (rc == 0 && !pyenv) {
		struct model_env_files ef;
		model_dir_env_files(md, &ef);
		char full[PATH_MAX];
		if (ef.requirements && model_dir_file_path(md, ef.requirements, full, sizeof(full), err) == 0) {
			PUSH(xstrdup("-r"));
			PUSH(xstrdup(full));
		}
	}
#undef PUSH
	argv[n] = NULL;
	if (rc < 0 || n == first_dep) {
		for (size_t i = 0; i < n; i++)
			free(argv[i]);
		free(argv);
		*argv_out = NULL;
		*argc_out = 0;
		return rc;
	}
	*argv_out = argv;
	*argc_out = n;
	return 0;
}

static int build_venv(const struct model_dir *md, const struct flavor_options *opt, const char *py,
		      const json_t *pyenv, const char *tmp, struct mlf_err *err)
{
	char *venv_argv[6];
	size_t k = 0;
	venv_argv[k++] = (char *)py;
	venv_argv[k++] = (char *)"-m";
	venv_argv[k++] = (char *)"venv";
	if (opt->system_site_packages)
		venv_argv[k++] = (char *)"--system-site-packages";
	venv_argv[k++] = (char *)tmp;
	venv_argv[k] = NULL;
	if (run_tool(venv_argv, PYENV_VENV_TIMEOUT_MS, "creating the virtualenv", err) < 0)
		return -1;
	char venv_python[PATH_MAX];
	if ((size_t)snprintf(venv_python, sizeof(venv_python), "%s/bin/python", tmp) >= sizeof(venv_python))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "path too long: %s", tmp);
	char **argv = NULL;
	size_t argc = 0;
	if (pip_args(md, pyenv, &argv, &argc, venv_python, err) < 0)
		return -1;
	int rc = 0;
	if (argv) {
		log_info("installing the model's requirements into %s (pip, at most %u s)", tmp,
			 PYENV_PIP_TIMEOUT_MS / 1000);
		rc = run_tool(argv, PYENV_PIP_TIMEOUT_MS, "installing the model's requirements with pip", err);
		for (size_t i = 0; i < argc; i++)
			free(argv[i]);
		free(argv);
	}
	if (rc < 0)
		return -1;
	char mark[PATH_MAX];
	if ((size_t)snprintf(mark, sizeof(mark), "%s/" READY_MARK, tmp) >= sizeof(mark))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "path too long: %s", tmp);
	int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write %s: %s", mark, strerror(errno));
	close(fd);
	return 0;
}

static int env_virtualenv(const struct model_dir *md, const struct flavor_options *opt, char *python,
			  size_t size, struct mlf_err *err)
{
	const char *py = base_python(opt);
	if (check_python(py, err) < 0)
		return -1;
	struct model_env_files ef;
	model_dir_env_files(md, &ef);
	struct buf pyenv_text = BUF_INIT, req_text = BUF_INIT;
	json_t *pyenv = read_python_env(md, &pyenv_text);
	if (ef.python_env && !pyenv && model_dir_has(md, ef.python_env)) {
		buf_release(&pyenv_text);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the model's %s does not read as a mapping",
				  ef.python_env);
	}
	if (!pyenv)
		log_warn("the model has no python_env.yaml: its virtualenv gets requirements.txt only, if any");
	if (ef.requirements && model_dir_read_file(md, ef.requirements, MODEL_DIR_TEXT_MAX, &req_text, err) < 0) {
		json_decref(pyenv);
		buf_release(&pyenv_text);
		return -1;
	}
	char hex[65], root[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX];
	int rc = env_key(py, opt->system_site_packages, &pyenv_text, &req_text, hex, err);
	buf_release(&pyenv_text);
	buf_release(&req_text);
	if (rc == 0)
		rc = cache_root(opt, root, sizeof(root), err);
	if (rc == 0 && (size_t)snprintf(final, sizeof(final), "%s/%.40s", root, hex) >= sizeof(final))
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "env_cache_dir is too long");
	if (rc == 0 && !env_ready(final)) {
		rc = mkdirs(root, err);
		char rnd[33];
		util_uuid_hex(rnd);
		if (rc == 0 && (size_t)snprintf(tmp, sizeof(tmp), "%s/.build-%.12s-%d-%.8s", root, hex, (int)getpid(),
						rnd) >= sizeof(tmp))
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "env_cache_dir is too long");
		if (rc == 0) {
			log_info("building the model's virtualenv %s", final);
			rc = build_venv(md, opt, py, pyenv, tmp, err);
			if (rc == 0 && rename(tmp, final) < 0) {
				/* Another server finished the same environment first: use its copy. */
				if ((errno == ENOTEMPTY || errno == EEXIST) && env_ready(final))
					rc = 0;
				else
					rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot rename %s to %s: %s", tmp, final,
							strerror(errno));
				remove_tree(tmp);
			} else if (rc < 0) {
				remove_tree(tmp);
			}
		}
	}
	json_decref(pyenv);
	if (rc < 0)
		return -1;
	if ((size_t)snprintf(python, size, "%s/bin/python", final) >= size)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "env_cache_dir is too long");
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

struct env_manager {
	const char *name;
	int (*resolve)(const struct model_dir *md, const struct flavor_options *opt, char *python, size_t size,
		       struct mlf_err *err);
};

static const struct env_manager managers[] = {
	{ "local", env_local },
	{ "virtualenv", env_virtualenv },
	{ "conda", env_conda },
	{ "uv", env_uv },
};

int pyenv_resolve(const struct model_dir *md, const struct flavor_options *opt, char *python, size_t size,
		  struct mlf_err *err)
{
	const char *name = opt->env_manager && *opt->env_manager ? opt->env_manager : "local";
	for (size_t i = 0; i < ARRAY_SIZE(managers); i++)
		if (strcmp(managers[i].name, name) == 0)
			return managers[i].resolve(md, opt, python, size, err);
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "Invalid value '%s' for --env-manager: choose local, virtualenv, conda or uv", name);
}
