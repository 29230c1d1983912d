/*
 * flavor.h - how a model is loaded and asked for predictions: one small
 * ops table per way of running a model, so the scoring server, predict
 * and the Lambda runtime never know which one they hold.
 *
 *   xgboost          natively through libxgboost's C API (flavor_xgboost.c)
 *   c_function       a shared object with mlflowc's model ABI
 *                    (include/mlflowc_model.h; flavor_cfunc.c)
 *   python_function  every other model, in a pool of Python worker
 *                    processes running mlflowc's own loader (flavor_python.c)
 *
 * flavor_choose() picks the first row of the table that accepts the model
 * (native ones first), unless the caller names one. predict() is called
 * from many HTTP threads at once: a flavor's state is safe for that, or
 * the flavor serialises inside.
 */
#ifndef MLF_FLAVOR_H
#define MLF_FLAVOR_H

#include "model_dir.h"
#include "scoring_input.h"

/* What the command line says about running the model. */
struct flavor_options {
	unsigned workers;          /* processes or threads that predict at once; 0 = 1 */
	unsigned timeout_ms;       /* one prediction's limit; 0 = none */
	const char *python;        /* the interpreter of the Python workers; NULL: /usr/bin/python3 */
	const char *env_manager;   /* "local" (default), "virtualenv", "conda", "uv" */
	const char *env_cache_dir; /* where environments are built and kept; NULL: ~/.cache/mlflowc/envs */
	bool system_site_packages; /* virtualenv: --system-site-packages */
};

struct flavor_ops {
	const char *name; /* the MLmodel flavor key it serves, also what --flavor takes */
	/* Whether this row can run the model; false with a one-line reason in
	 * why[size] (e.g. "model_class sklearn.pipeline.Pipeline is not an
	 * xgboost model"). */
	bool (*accepts)(const struct model_dir *md, char *why, size_t size);
	/* Loads the model; *state is the flavor's. 0, or -1 with err set
	 * (nothing left behind). */
	int (*load)(const struct model_dir *md, const struct flavor_options *opt, void **state, struct mlf_err *err);
	/* Predicts on `in`, appending the JSON of the `predictions` value (a
	 * list, a list of records, an object) to `out`. 0, or -1 with err set:
	 * BAD_REQUEST when the model refused the input (MLflow answers 400),
	 * DEADLINE_EXCEEDED when it ran past opt->timeout_ms, INTERNAL_ERROR or
	 * TEMPORARILY_UNAVAILABLE when the runtime failed (a worker died: it is
	 * replaced, this request fails). */
	int (*predict)(void *state, const struct scoring_input *in, struct buf *out, struct mlf_err *err);
	void (*unload)(void *state);
	/* Optional: the traceback of this thread's last failed predict ("" or
	 * NULL when none), for MLflow's `stack_trace` field; borrowed until the
	 * thread's next predict. */
	const char *(*stack_trace)(void *state);
};

/* The table, native flavors first; borrowed, static. */
const struct flavor_ops *const *flavor_table(size_t *n);

/* The flavor that runs `md`: `name` when not NULL (refused with the row's
 * reason when it does not accept the model, or is unknown), else the first
 * row that accepts it. NULL with INVALID_PARAMETER_VALUE listing the
 * model's flavors and why none can run it. */
const struct flavor_ops *flavor_choose(const struct model_dir *md, const char *name, struct mlf_err *err);

#endif
