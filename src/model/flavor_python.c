/*
 * flavor_python.c - the python_function flavor: every model MLflow can load
 * with pyfunc, run in a pool of Python worker processes (pyworker.h) that
 * execute mlflowc's own loader (pyworker.py), in the interpreter the
 * --env-manager gives (pyenv.h).
 *
 * load() checks every path the model's flavors name beneath the model
 * directory (model_dir_file_path), hands the worker those absolute paths
 * with the flavor configurations, the model's requirements and what to say
 * when a package is missing, and waits until every worker has loaded the
 * model. predict() sends scoring_input_to_json()'s line to an idle worker.
 * A model that raised is BAD_REQUEST with MLflow's sentence and the
 * exception; its traceback is pyworker_stack_trace() on the same thread.
 */
#include "flavor.h"

#include "../base/log.h"
#include "../base/xalloc.h"
#include "pyenv.h"
#include "pyworker.h"

#include <limits.h>

extern const struct flavor_ops flavor_python;

struct python_state {
	struct pyworker_pool *pool; /* first: tests/pyflavor/drive.c reads the pool's figures through it */
};

static bool python_accepts(const struct model_dir *md, char *why, size_t size)
{
	if (!mlmodel_flavor(&md->ml, "python_function")) {
		snprintf(why, size, "the model has no python_function flavor");
		return false;
	}
	if (!mlmodel_flavor_string(&md->ml, "python_function", "loader_module")) {
		snprintf(why, size, "the python_function flavor names no loader_module");
		return false;
	}
	return true;
}

/* The files a flavor names, checked beneath the model directory. */
struct named_path {
	const char *flavor, *key, *as;
};
static const struct named_path named_paths[] = {
	{ "python_function", "data", "data" },
	{ "python_function", "model_path", "model_path" },
	{ "python_function", "code", "code" },
	{ "python_function", "python_model", "python_model" },
	{ "sklearn", "pickled_model", "pickled_model" },
};

static int resolve_paths(const struct model_dir *md, json_t *paths, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(named_paths); i++) {
		const struct named_path *np = &named_paths[i];
		const char *rel = mlmodel_flavor_string(&md->ml, np->flavor, np->key);
		if (!rel || json_object_get(paths, np->as))
			continue;
		char full[PATH_MAX];
		struct mlf_err why;
		if (model_dir_file_path(md, rel, full, sizeof(full), &why) < 0)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the %s flavor's %s '%s' cannot be used: %s",
					  np->flavor, np->key, rel, why.msg);
		json_object_set_new(paths, np->as, json_string(full));
	}
	return 0;
}

/* "mlflow==2.17.0" from the requirements, else from MLmodel's mlflow_version. */
static char *mlflow_requirement(const struct model_dir *md, const json_t *reqs)
{
	size_t i;
	const json_t *r;
	json_array_foreach(reqs, i, r) {
		const char *line = json_string_value(r);
		if (line && strncmp(line, "mlflow", 6) == 0 &&
		    (line[6] == '\0' || strchr("=<>~![ ;", line[6]) || strncmp(line + 6, "-skinny", 7) == 0))
			return xstrdup(line);
	}
	if (md->ml.mlflow_version) {
		size_t n = strlen(md->ml.mlflow_version) + 16;
		char *s = xmalloc(n);
		snprintf(s, n, "mlflow==%s", md->ml.mlflow_version);
		return s;
	}
	return xstrdup("mlflow");
}

static char *worker_config(const struct model_dir *md, const struct flavor_options *opt, struct mlf_err *err)
{
	json_t *paths = json_object();
	if (resolve_paths(md, paths, err) < 0) {
		json_decref(paths);
		return NULL;
	}
	json_t *reqs = pyenv_requirements(md);
	char *mlflow_req = mlflow_requirement(md, reqs);
	bool venv = opt->env_manager && strcmp(opt->env_manager, "virtualenv") == 0;
	const char *predict_fn = mlmodel_flavor_string(&md->ml, "python_function", "predict_fn");
	json_t *cfg = json_pack("{s:s, s:s, s:s, s:s?, s:O, s:o, s:o, s:s, s:s, s:I}", "root", md->path, "name",
				md->path, "loader",
				mlmodel_flavor_string(&md->ml, "python_function", "loader_module"), "predict_fn",
				predict_fn, "flavors", md->ml.flavors, "paths", paths, "requirements", reqs,
				"mlflow_requirement", mlflow_req, "hint_suffix",
				venv ? " (list it in the model's requirements.txt)" : ", or use --env-manager virtualenv",
				"max_answer", (json_int_t)PYWORKER_MAX_ANSWER);
	free(mlflow_req);
	char *text = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(cfg);
	if (!text)
		mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write the Python worker's configuration");
	return text;
}

static int python_load(const struct model_dir *md, const struct flavor_options *opt, void **state,
		       struct mlf_err *err)
{
	*state = NULL;
	char python[PATH_MAX];
	if (pyenv_resolve(md, opt, python, sizeof(python), err) < 0)
		return -1;
	char *config = worker_config(md, opt, err);
	if (!config)
		return -1;
	struct pyworker_config pc = {
		.python = python,
		.config_json = config,
		.workers = opt->workers,
		.timeout_ms = opt->timeout_ms,
	};
	struct python_state *st = xcalloc(1, sizeof(*st));
	int rc = pyworker_pool_start(&pc, &st->pool, err);
	free(config);
	if (rc < 0) {
		free(st);
		return -1;
	}
	char *wanted = pyenv_wanted_version(md);
	const char *have = pyworker_pool_python_version(st->pool);
	if (wanted && *have && strcmp(wanted, have) != 0)
		log_warn("the model's python_env.yaml asks for Python %s; its workers run Python %s (%s)", wanted, have,
			 python);
	free(wanted);
	*state = st;
	return 0;
}

static int python_predict(void *state, const struct scoring_input *in, struct buf *out, struct mlf_err *err)
{
	struct python_state *st = state;
	struct buf req = BUF_INIT_STICKY;
	scoring_input_to_json(in, &req);
	int rc;
	if (buf_failed(&req))
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory writing the request for the Python worker");
	else
		rc = pyworker_pool_predict(st->pool, req.ptr, req.len, out, err);
	buf_release(&req);
	return rc;
}

static void python_unload(void *state)
{
	struct python_state *st = state;
	if (!st)
		return;
	pyworker_pool_stop(st->pool);
	free(st);
}

static const char *python_stack_trace(void *state)
{
	(void)state;
	return pyworker_stack_trace();
}

const struct flavor_ops flavor_python = {
	.name = "python_function",
	.stack_trace = python_stack_trace,
	.accepts = python_accepts,
	.load = python_load,
	.predict = python_predict,
	.unload = python_unload,
};
