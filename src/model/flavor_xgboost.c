/*
 * flavor_xgboost.c - the `xgboost` flavor: an MLflow xgboost model served
 * natively through libxgboost's C API, with no Python, answering what
 * MLflow's pyfunc (mlflow/xgboost/__init__.py, _XGBModelWrapper.predict)
 * answers for the same rows.
 *
 * The library is not linked: it is dlopen()ed (by its soname) the first
 * time a model is loaded, as src/base/lazylink.c loads libcurl, so the
 * binary starts and serves other flavors on a host without it; loading an
 * xgboost model there fails with what to install. MLFLOWC_LIBXGBOOST
 * names another build of the library to load. The few prototypes used
 * are declared below (C API of xgboost 1.x, stable), so building needs no
 * xgboost header either.
 *
 * Loading: the file the flavor's `data` key names (model.xgb, .json or
 * .ubj: libxgboost tells the three apart by their first bytes) is opened
 * beneath the model directory, mapped, and given to
 * XGBoosterLoadModelFromBuffer. `model_class` (default
 * xgboost.core.Booster) chooses what predict means, as in MLflow:
 *   - Booster: Booster.predict(DMatrix(df)): transformed values (the
 *     probability for binary:logistic, a row of probabilities for
 *     multi:softprob), every tree;
 *   - XGBRegressor, XGBRFRegressor, XGBRanker: XGBModel.predict: the same
 *     values, up to the early-stopping attribute best_iteration;
 *   - XGBClassifier, XGBRFClassifier: labels as XGBClassifier.predict
 *     gives them (argmax of softprob rows, p > 0.5 for binary, a 0/1 row
 *     per label for multi-label, the class index of multi:softmax; mapped
 *     through a saved label encoder when the model has one).
 * MLflow's pyfunc offers no predict_proba; the request's params pass to
 * predict as MLflow passes them: `output_margin` (raw margins, no labels),
 * `validate_features`, `iteration_range`; the other Booster.predict
 * switches (pred_leaf, pred_contribs, ...) are refused, and unknown params
 * are ignored (MLflow drops the ones predict does not take).
 *
 * Features: a frame's column names must equal the booster's feature names
 * in order when it has them (DMatrix(DataFrame) with validate_features:
 * xgboost's "feature_names mismatch" message), else columns go by
 * position; a tensor goes by position.
 *
 * Numbers: predictions are float32; they are written as Python's json
 * writes float32 widened to double (repr: shortest round-trip digits,
 * "1.0", "1e-05"), labels as integers, NaN as the bare token, with
 * json.dumps' ", " between elements, so the text equals MLflow's.
 *
 * Threads: predict() runs on many HTTP threads at once on one booster.
 * xgboost 1.7's inplace prediction is safe for that: the learner's lazy
 * configuration is taken under its own mutex (LearnerConfiguration::
 * Configure), the result buffer is thread-local (XGBAPIThreadLocalEntry,
 * whose pointer stays valid until this thread's next call), and tree
 * prediction only reads the model; its Python docs state predict and
 * inplace_predict are "thread safe for gbtree and dart". The model is
 * configured once at load (one prediction), so requests never race on
 * that. Each prediction in flight borrows a proxy DMatrix (which carries
 * its input) from the model's small pool. gblinear, which has no inplace
 * prediction, goes through a DMatrix built per request; Learner::Predict
 * keeps its results in a cache of the learner's, shared by all threads
 * and unlocked (the Python docs claim thread safety for gbtree and dart
 * only), so those predictions take turns (the result is still this
 * thread's: the C API copies it into the thread-local entry).
 * nthread is 1: a request's rows are predicted on its own HTTP thread,
 * and a busy server does not start an OpenMP team per request (one row
 * never benefits; see bench/xgb_bench.c).
 */
#include "../base/common.h"
#include "../base/log.h"
#include "../json/jr.h"
#include "flavor.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XGB_SONAME "libxgboost.so.0"
#define XGB_SONAME_DEV "libxgboost.so"
/* names another libxgboost to load (a path, or a soname), e.g. the one a
 * Python wheel ships */
#define XGB_LIBRARY_ENV "MLFLOWC_LIBXGBOOST"
#define XGB_MISSING_HINT \
	"the xgboost flavor needs libxgboost (Debian: apt-get install libxgboost0), or serve the model with --flavor " \
	"python_function"
#define XGB_MAX_CLASSES 1000000 /* output columns we accept from a model */

/* libxgboost's C API types (xgboost/c_api.h) */
typedef uint64_t xgb_ulong;
typedef void *xgb_booster;
typedef void *xgb_dmatrix;

/* X(return type, name, (parameters)) */
#define XGB_FUNCTIONS(X) \
	X(void, XGBoostVersion, (int *major, int *minor, int *patch)) \
	X(const char *, XGBGetLastError, (void)) \
	X(int, XGBoosterCreate, (const xgb_dmatrix dmats[], xgb_ulong len, xgb_booster *out)) \
	X(int, XGBoosterFree, (xgb_booster h)) \
	X(int, XGBoosterLoadModelFromBuffer, (xgb_booster h, const void *buf, xgb_ulong len)) \
	X(int, XGBoosterSetParam, (xgb_booster h, const char *name, const char *value)) \
	X(int, XGBoosterGetAttr, (xgb_booster h, const char *key, const char **out, int *success)) \
	X(int, XGBoosterGetStrFeatureInfo, (xgb_booster h, const char *field, xgb_ulong *len, const char ***out)) \
	X(int, XGBoosterGetNumFeature, (xgb_booster h, xgb_ulong *out)) \
	X(int, XGBoosterSaveJsonConfig, (xgb_booster h, xgb_ulong *out_len, const char **out)) \
	X(int, XGBoosterPredictFromDense, (xgb_booster h, const char *values, const char *config, xgb_dmatrix m, \
					   const xgb_ulong **out_shape, xgb_ulong *out_dim, const float **out)) \
	X(int, XGDMatrixCreateFromDense, (const char *data, const char *config, xgb_dmatrix *out)) \
	X(int, XGBoosterPredictFromDMatrix, (xgb_booster h, xgb_dmatrix m, const char *config, \
					     const xgb_ulong **out_shape, xgb_ulong *out_dim, const float **out)) \
	X(int, XGDMatrixFree, (xgb_dmatrix m)) \
	X(int, XGProxyDMatrixCreate, (xgb_dmatrix *out))

static struct {
#define XGB_POINTER(ret, name, params) ret(*name) params;
	XGB_FUNCTIONS(XGB_POINTER)
#undef XGB_POINTER
} xgb;

static pthread_once_t xgb_once = PTHREAD_ONCE_INIT;
static bool xgb_loaded;
static char xgb_load_error[512];

static void xgb_load_library(void)
{
	const char *chosen = getenv(XGB_LIBRARY_ENV);
	void *h;
	if (chosen && *chosen) {
		h = dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
	} else {
		chosen = XGB_SONAME;
		h = dlopen(XGB_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			h = dlopen(XGB_SONAME_DEV, RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		snprintf(xgb_load_error, sizeof(xgb_load_error), "%s; cannot load %s: %s", XGB_MISSING_HINT, chosen,
			 dlerror());
		return;
	}
	/* dlsym returns an object pointer; POSIX guarantees it converts to a
	 * function pointer of the right type. */
#define XGB_RESOLVE(ret, name, params) \
	if (!(*(void **)&xgb.name = dlsym(h, #name))) { \
		snprintf(xgb_load_error, sizeof(xgb_load_error), "%s has no %s: %s", chosen, #name, dlerror()); \
		return; \
	}
	XGB_FUNCTIONS(XGB_RESOLVE)
#undef XGB_RESOLVE
	int major = 0, minor = 0, patch = 0;
	xgb.XGBoostVersion(&major, &minor, &patch);
	log_info("xgboost flavor: libxgboost %d.%d.%d loaded", major, minor, patch);
	xgb_loaded = true;
}

static int xgb_ready(struct mlf_err *err)
{
	pthread_once(&xgb_once, xgb_load_library);
	if (!xgb_loaded)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "%s", xgb_load_error);
	return 0;
}

/* libxgboost's last error on this thread, without its "[time] file:line: "
 * prefix; the first line only. Copied into out[size]. */
static const char *xgb_last_error(char *out, size_t size)
{
	const char *e = xgb.XGBGetLastError();
	if (!e || !*e)
		e = "unknown libxgboost error";
	if (e[0] == '[') {
		const char *p = strstr(e, ": ");
		if (p && strchr(e, ']') < p)
			e = p + 2;
	}
	size_t n = strcspn(e, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, e, n);
	out[n] = '\0';
	return out;
}

enum xgb_kind {
	XGB_BOOSTER,    /* Booster.predict(DMatrix(df)) */
	XGB_REGRESSOR,  /* XGBModel.predict: values, best_iteration */
	XGB_CLASSIFIER, /* XGBClassifier.predict: labels */
};

/* The model classes MLflow records (module.qualname) that we run. */
static const struct xgb_class {
	const char *name;
	enum xgb_kind kind;
} xgb_classes[] = {
	{ "xgboost.core.Booster", XGB_BOOSTER },
	{ "xgboost.Booster", XGB_BOOSTER },
	{ "xgboost.sklearn.XGBClassifier", XGB_CLASSIFIER },
	{ "xgboost.XGBClassifier", XGB_CLASSIFIER },
	{ "xgboost.sklearn.XGBRFClassifier", XGB_CLASSIFIER },
	{ "xgboost.XGBRFClassifier", XGB_CLASSIFIER },
	{ "xgboost.sklearn.XGBRegressor", XGB_REGRESSOR },
	{ "xgboost.XGBRegressor", XGB_REGRESSOR },
	{ "xgboost.sklearn.XGBRFRegressor", XGB_REGRESSOR },
	{ "xgboost.XGBRFRegressor", XGB_REGRESSOR },
	{ "xgboost.sklearn.XGBRanker", XGB_REGRESSOR },
	{ "xgboost.XGBRanker", XGB_REGRESSOR },
};

/* The formats MLflow's save_model writes (model_format). */
static const char *const xgb_formats[] = { "xgb", "json", "ubj" };

static const struct xgb_class *xgb_class_of(const char *name)
{
	if (!name)
		name = "xgboost.core.Booster";
	for (size_t i = 0; i < ARRAY_SIZE(xgb_classes); i++)
		if (!strcmp(xgb_classes[i].name, name))
			return &xgb_classes[i];
	return NULL;
}

/* The predict params of MLflow's Booster.predict / XGBModel.predict that
 * would change the output's meaning; refused when set to anything true. */
static const char *const xgb_unsupported_params[] = {
	"pred_leaf", "pred_contribs", "approx_contribs", "pred_interactions", "training", "strict_shape",
	"base_margin",
};

struct xgb_state {
	xgb_booster booster;
	enum xgb_kind kind;
	bool gblinear;            /* no inplace prediction: a DMatrix per request */
	bool softmax;             /* objective multi:softmax */
	xgb_ulong n_features;
	size_t n_names;           /* feature names, 0 when the booster has none */
	char **names;
	int64_t n_classes;        /* classifier: n_classes_ (0 when unknown) */
	int iteration_end;        /* sklearn: best_iteration + 1, else 0 (all trees) */
	char missing[32];         /* the value the model treats as missing, as JSON ("NaN") */
	json_t *classes;          /* a saved label encoder's classes_, or NULL */
	/* Idle proxy DMatrices for inplace prediction, one taken per
	 * prediction in flight. Without one, libxgboost builds a proxy per
	 * call, whose context reads the cgroup CPU quota files (two
	 * open/read/close): a third of a one-row prediction. A pool, not one
	 * per thread: freeing a thread's proxy as the thread ends would make
	 * libxgboost register thread_local destructors after the thread's
	 * have run (glibc leaks them). */
	pthread_mutex_t lock;
	pthread_mutex_t dmatrix_lock; /* gblinear: one DMatrix prediction at a time */
	xgb_dmatrix *idle;
	size_t n_idle, cap_idle;
};

/* ---- Python's float repr ------------------------------------------- */

/* v (finite) as Python's repr(float) writes it: the shortest digits that
 * read back as v, positional for exponents -4..15, else d.ddde+XX. */
static void py_float_repr(char out[40], double v)
{
	char sci[40];
	/* shortest round trip: 17 digits always do; 16 usually; fewer when
	 * 15 do (%.14e strips nothing, so zeros are removed below) */
	snprintf(sci, sizeof(sci), "%.15e", v);
	if (strtod(sci, NULL) != v) {
		snprintf(sci, sizeof(sci), "%.16e", v);
	} else {
		char shorter[40];
		snprintf(shorter, sizeof(shorter), "%.14e", v);
		if (strtod(shorter, NULL) == v)
			memcpy(sci, shorter, sizeof(sci));
	}
	/* sci: [-]d.ddddde[+-]XX */
	const char *p = sci;
	bool neg = *p == '-';
	if (neg)
		p++;
	char digits[20];
	size_t nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < sizeof(digits) - 1)
			digits[nd++] = *p;
	int exp = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	size_t o = 0;
	if (neg)
		out[o++] = '-';
	if (exp >= -4 && exp < 16) {
		if (exp < 0) {
			out[o++] = '0';
			out[o++] = '.';
			for (int i = -1; i > exp; i--)
				out[o++] = '0';
			memcpy(out + o, digits, nd);
			o += nd;
		} else {
			for (int i = 0; i <= exp; i++)
				out[o++] = (size_t)i < nd ? digits[i] : '0';
			out[o++] = '.';
			if ((size_t)exp + 1 < nd) {
				memcpy(out + o, digits + exp + 1, nd - (size_t)exp - 1);
				o += nd - (size_t)exp - 1;
			} else {
				out[o++] = '0';
			}
		}
		out[o] = '\0';
		return;
	}
	out[o++] = digits[0];
	if (nd > 1) {
		out[o++] = '.';
		memcpy(out + o, digits + 1, nd - 1);
		o += nd - 1;
	}
	snprintf(out + o, 40 - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* A float32 prediction widened to double, as Python's json writes it
 * (NaN and infinities as its bare tokens). */
static void write_float(struct buf *out, float f)
{
	if (isnan(f)) {
		buf_add(out, "NaN", 3);
		return;
	}
	if (isinf(f)) {
		buf_adds(out, f > 0 ? "Infinity" : "-Infinity");
		return;
	}
	char text[40];
	py_float_repr(text, (double)f);
	buf_adds(out, text);
}

/* ---- accepts / load ------------------------------------------------- */

static bool xgboost_accepts(const struct model_dir *md, char *why, size_t size)
{
	const json_t *conf = mlmodel_flavor(&md->ml, "xgboost");
	if (!conf) {
		snprintf(why, size, "the model has no xgboost flavor");
		return false;
	}
	const json_t *cls = json_object_get(conf, "model_class");
	if (cls && !json_is_null(cls) && !json_is_string(cls)) {
		snprintf(why, size, "the xgboost flavor's model_class is not a string");
		return false;
	}
	const char *class_name = json_string_value(cls);
	if (!xgb_class_of(class_name)) {
		snprintf(why, size, "model_class %s is not an xgboost model class the native flavor runs", class_name);
		return false;
	}
	const char *format = mlmodel_flavor_string(&md->ml, "xgboost", "model_format");
	if (format) {
		size_t i = 0;
		while (i < ARRAY_SIZE(xgb_formats) && strcmp(xgb_formats[i], format))
			i++;
		if (i == ARRAY_SIZE(xgb_formats)) {
			snprintf(why, size, "model_format %s is not one of xgb, json, ubj", format);
			return false;
		}
	}
	if (!mlmodel_flavor_string(&md->ml, "xgboost", "data")) {
		snprintf(why, size, "the xgboost flavor names no data file");
		return false;
	}
	return true;
}

static void xgboost_unload(void *state)
{
	struct xgb_state *s = state;
	if (!s)
		return;
	for (size_t i = 0; i < s->n_idle; i++)
		xgb.XGDMatrixFree(s->idle[i]);
	free(s->idle);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->dmatrix_lock);
	if (s->booster)
		xgb.XGBoosterFree(s->booster);
	for (size_t i = 0; i < s->n_names; i++)
		free(s->names[i]);
	free(s->names);
	json_decref(s->classes);
	free(s);
}

/* Reads `rel` beneath the model and gives it to the booster. */
static int load_model_file(struct xgb_state *s, const struct model_dir *md, const char *rel, struct mlf_err *err)
{
	int fd = model_dir_open_file(md, rel, O_RDONLY, err);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the xgboost model file %s is not a regular file",
				  rel);
	}
	if (st.st_size == 0) {
		close(fd);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the xgboost model file %s is empty", rel);
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int saved = errno;
	close(fd);
	if (map == MAP_FAILED)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot map the xgboost model file %s: %s", rel,
				  strerror(saved));
	int rc = xgb.XGBoosterLoadModelFromBuffer(s->booster, map, (xgb_ulong)st.st_size);
	munmap(map, (size_t)st.st_size);
	if (rc != 0) {
		char msg[512];
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "libxgboost cannot read the model file %s: %s", rel,
				  xgb_last_error(msg, sizeof(msg)));
	}
	return 0;
}

/* The learner's configuration: objective and booster names. */
static int read_config(struct xgb_state *s, struct mlf_err *err)
{
	xgb_ulong len = 0;
	const char *text = NULL;
	char msg[512];
	if (xgb.XGBoosterSaveJsonConfig(s->booster, &len, &text) != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "libxgboost cannot describe the model: %s",
				  xgb_last_error(msg, sizeof(msg)));
	json_t *conf = NULL;
	if (jr_parse(text, (size_t)len, &conf) != JR_OK || !conf)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "libxgboost's configuration of the model does not parse");
	json_t *learner = json_object_get(conf, "learner");
	const char *objective = json_string_value(json_object_get(json_object_get(learner, "objective"), "name"));
	const char *booster =
		json_string_value(json_object_get(json_object_get(learner, "gradient_booster"), "name"));
	s->softmax = objective && !strcmp(objective, "multi:softmax");
	s->gblinear = booster && !strcmp(booster, "gblinear");
	json_decref(conf);
	return 0;
}

/* A booster attribute, or NULL when absent; borrowed until this thread's
 * next libxgboost call. */
static const char *booster_attr(struct xgb_state *s, const char *key)
{
	const char *out = NULL;
	int success = 0;
	if (xgb.XGBoosterGetAttr(s->booster, key, &out, &success) != 0 || !success)
		return NULL;
	return out;
}

/* What the sklearn wrapper saved beside the booster (attribute
 * scikit_learn: n_classes_, missing, a label encoder) and its
 * best_iteration. */
static int read_sklearn_meta(struct xgb_state *s, struct mlf_err *err)
{
	const char *best = booster_attr(s, "best_iteration");
	if (best) {
		char *end;
		long v = strtol(best, &end, 10);
		if (*end || v < 0 || v >= INT32_MAX)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the model's best_iteration '%s' is not valid",
					  best);
		s->iteration_end = (int)v + 1;
	}
	const char *meta_text = booster_attr(s, "scikit_learn");
	if (!meta_text)
		return 0; /* a native model loaded through the wrapper: xgboost warns and goes on */
	json_t *meta = NULL;
	if (jr_parse(meta_text, strlen(meta_text), &meta) != JR_OK || !json_is_object(meta)) {
		json_decref(meta);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the model's scikit_learn attribute does not parse");
	}
	json_t *n_classes = json_object_get(meta, "n_classes_");
	if (json_is_integer(n_classes))
		s->n_classes = json_integer_value(n_classes);
	json_t *missing = json_object_get(meta, "missing");
	if (json_is_number(missing))
		snprintf(s->missing, sizeof(s->missing), "%.17g", json_number_value(missing));
	json_t *le = json_object_get(meta, "_le");
	json_t *classes = json_object_get(json_is_object(le) ? le : NULL, "classes_");
	if (json_is_array(classes))
		s->classes = json_incref(classes);
	json_decref(meta);
	return 0;
}

static int read_features(struct xgb_state *s, struct mlf_err *err)
{
	char msg[512];
	if (xgb.XGBoosterGetNumFeature(s->booster, &s->n_features) != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "libxgboost cannot count the model's features: %s",
				  xgb_last_error(msg, sizeof(msg)));
	xgb_ulong n = 0;
	const char **names = NULL;
	if (xgb.XGBoosterGetStrFeatureInfo(s->booster, "feature_name", &n, &names) != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "libxgboost cannot read the feature names: %s",
				  xgb_last_error(msg, sizeof(msg)));
	if (n) {
		s->names = calloc((size_t)n, sizeof(*s->names));
		if (!s->names)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
		for (; s->n_names < n; s->n_names++)
			if (!(s->names[s->n_names] = strdup(names[s->n_names])))
				return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
	}
	xgb_ulong nt = 0;
	const char **types = NULL;
	if (xgb.XGBoosterGetStrFeatureInfo(s->booster, "feature_type", &nt, &types) == 0)
		for (xgb_ulong i = 0; i < nt; i++)
			if (!strcmp(types[i], "c"))
				return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
						  "feature %s is categorical; the native xgboost flavor takes "
						  "numeric features only",
						  i < s->n_names ? s->names[i] : "?");
	return 0;
}

static int predict_matrix(struct xgb_state *s, const double *m, size_t rows, size_t cols, bool margin,
			  int it_begin, int it_end, const xgb_ulong **shape, xgb_ulong *dim, const float **res,
			  struct mlf_err *err);

static int xgboost_load(const struct model_dir *md, const struct flavor_options *opt, void **state,
			struct mlf_err *err)
{
	(void)opt;
	*state = NULL;
	char why[256];
	if (!xgboost_accepts(md, why, sizeof(why)))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s", why);
	if (xgb_ready(err) < 0)
		return -1;
	struct xgb_state *s = calloc(1, sizeof(*s));
	if (!s)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
	memcpy(s->missing, "NaN", 4);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->dmatrix_lock, NULL);
	s->kind = xgb_class_of(mlmodel_flavor_string(&md->ml, "xgboost", "model_class"))->kind;
	char msg[512];
	if (xgb.XGBoosterCreate(NULL, 0, &s->booster) != 0) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "libxgboost cannot create a booster: %s",
			   xgb_last_error(msg, sizeof(msg)));
		goto fail;
	}
	if (load_model_file(s, md, mlmodel_flavor_string(&md->ml, "xgboost", "data"), err) < 0)
		goto fail;
	/* one thread per prediction (see the header) */
	if (xgb.XGBoosterSetParam(s->booster, "nthread", "1") != 0) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "libxgboost refuses nthread: %s", xgb_last_error(msg, sizeof(msg)));
		goto fail;
	}
	if (read_config(s, err) < 0 || read_features(s, err) < 0)
		goto fail;
	if (s->kind != XGB_BOOSTER && read_sklearn_meta(s, err) < 0)
		goto fail;
	/* configure the learner now, on this thread, with one prediction */
	size_t nf = s->n_features ? (size_t)s->n_features : 1;
	double *probe = malloc(nf * sizeof(double));
	if (!probe) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nf; i++)
		probe[i] = NAN;
	const xgb_ulong *shape;
	xgb_ulong dim;
	const float *res;
	int rc = predict_matrix(s, probe, 1, nf, false, 0, 0, &shape, &dim, &res, err);
	free(probe);
	if (rc < 0)
		goto fail;
	*state = s;
	return 0;
fail:
	xgboost_unload(s);
	return -1;
}

/* ---- predict -------------------------------------------------------- */

/* An idle proxy, or a new one; NULL when libxgboost cannot make one (it
 * then makes its own for the call). */
static xgb_dmatrix proxy_take(struct xgb_state *s)
{
	xgb_dmatrix proxy = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->n_idle)
		proxy = s->idle[--s->n_idle];
	pthread_mutex_unlock(&s->lock);
	if (!proxy && xgb.XGProxyDMatrixCreate(&proxy) != 0)
		proxy = NULL;
	return proxy;
}

static void proxy_give_back(struct xgb_state *s, xgb_dmatrix proxy)
{
	if (!proxy)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->n_idle == s->cap_idle) {
		size_t cap = s->cap_idle ? s->cap_idle * 2 : 8;
		xgb_dmatrix *grown = realloc(s->idle, cap * sizeof(*grown));
		if (grown) {
			s->idle = grown;
			s->cap_idle = cap;
		}
	}
	bool kept = s->n_idle < s->cap_idle;
	if (kept)
		s->idle[s->n_idle++] = proxy;
	pthread_mutex_unlock(&s->lock);
	if (!kept)
		xgb.XGDMatrixFree(proxy);
}

static int predict_matrix(struct xgb_state *s, const double *m, size_t rows, size_t cols, bool margin,
			  int it_begin, int it_end, const xgb_ulong **shape, xgb_ulong *dim, const float **res,
			  struct mlf_err *err)
{
	char values[256], config[256], msg[512];
	/* numpy's __array_interface__ of a C-contiguous float64 matrix */
	snprintf(values, sizeof(values),
		 "{\"data\": [%" PRIuPTR ", true], \"shape\": [%zu, %zu], \"typestr\": \"<f8\", \"version\": 3}",
		 (uintptr_t)m, rows, cols);
	snprintf(config, sizeof(config),
		 "{\"type\": %d, \"training\": false, \"iteration_begin\": %d, \"iteration_end\": %d, "
		 "\"strict_shape\": false, \"missing\": %s, \"cache_id\": 0}",
		 margin ? 1 : 0, it_begin, it_end, s->missing);
	int rc;
	if (!s->gblinear) {
		/* the proxy only carries the input: the result is this
		 * thread's, so the proxy goes back at once */
		xgb_dmatrix proxy = proxy_take(s);
		rc = xgb.XGBoosterPredictFromDense(s->booster, values, config, proxy, shape, dim, res);
		if (rc != 0)
			xgb_last_error(msg, sizeof(msg));
		proxy_give_back(s, proxy);
		if (rc != 0)
			return mlf_errorf(err, MLF_BAD_REQUEST, "xgboost refused the input: %s", msg);
	} else {
		char dconf[96];
		snprintf(dconf, sizeof(dconf), "{\"missing\": %s, \"nthread\": 1}", s->missing);
		xgb_dmatrix d = NULL;
		rc = xgb.XGDMatrixCreateFromDense(values, dconf, &d);
		if (rc == 0) {
			/* the learner's DMatrix prediction cache is shared */
			pthread_mutex_lock(&s->dmatrix_lock);
			rc = xgb.XGBoosterPredictFromDMatrix(s->booster, d, config, shape, dim, res);
			pthread_mutex_unlock(&s->dmatrix_lock);
		}
		if (d) {
			/* keep this thread's error text across the free */
			if (rc != 0)
				xgb_last_error(msg, sizeof(msg));
			xgb.XGDMatrixFree(d);
			if (rc != 0)
				return mlf_errorf(err, MLF_BAD_REQUEST, "xgboost refused the input: %s", msg);
		}
	}
	if (rc != 0)
		return mlf_errorf(err, MLF_BAD_REQUEST, "xgboost refused the input: %s", xgb_last_error(msg, sizeof(msg)));
	return 0;
}

/* Python's repr of a list of the names (['a', 'b']). */
static void names_repr(struct buf *b, const char *const *names, size_t n)
{
	buf_addch(b, '[');
	for (size_t i = 0; i < n; i++)
		buf_addf(b, "%s'%s'", i ? ", " : "", names[i]);
	buf_addch(b, ']');
}

static bool name_in(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* DMatrix(DataFrame) against the booster's names, as Booster.
 * _validate_features words it. */
static int validate_features(const struct xgb_state *s, const struct scoring_input *in, struct mlf_err *err)
{
	if (!s->n_names)
		return 0;
	const char **cols = calloc(in->n_cols ? in->n_cols : 1, sizeof(*cols));
	char(*numbered)[24] = calloc(in->n_cols ? in->n_cols : 1, sizeof(*numbered));
	if (!cols || !numbered) {
		free(cols);
		free(numbered);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
	}
	bool same = in->n_cols == s->n_names;
	for (size_t i = 0; i < in->n_cols; i++) {
		if (in->cols[i].name) {
			cols[i] = in->cols[i].name;
		} else { /* pandas' default column labels, as str() */
			snprintf(numbered[i], sizeof(numbered[i]), "%zu", i);
			cols[i] = numbered[i];
		}
		same = same && !strcmp(cols[i], s->names[i]);
	}
	int rc = 0;
	if (!same) {
		const char *const *booster = (const char *const *)s->names;
		struct buf b = BUF_INIT;
		buf_adds(&b, "feature_names mismatch: ");
		names_repr(&b, booster, s->n_names);
		buf_addch(&b, ' ');
		names_repr(&b, cols, in->n_cols);
		bool first = true;
		for (size_t i = 0; i < s->n_names; i++)
			if (!name_in(booster[i], cols, in->n_cols)) {
				buf_addf(&b, "%s%s", first ? "\nexpected " : ", ", booster[i]);
				first = false;
			}
		if (!first)
			buf_adds(&b, " in input data");
		first = true;
		for (size_t i = 0; i < in->n_cols; i++)
			if (!name_in(cols[i], booster, s->n_names)) {
				buf_addf(&b, "%s%s", first ? "\ntraining data did not have the following fields: " : ", ",
					 cols[i]);
				first = false;
			}
		rc = mlf_errorf(err, MLF_BAD_REQUEST, "%s", b.ptr);
		buf_release(&b);
	}
	free(cols);
	free(numbered);
	return rc;
}

/* A param as a truth value (JSON true, a non-zero number, "true"/"True"). */
static bool param_true(const json_t *v)
{
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_number(v))
		return json_number_value(v) != 0;
	const char *t = json_string_value(v);
	return t && (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "1"));
}

struct predict_params {
	bool margin;
	bool validate;
	int it_begin, it_end;
};

static int read_params(const struct xgb_state *s, const json_t *params, struct predict_params *p,
		       struct mlf_err *err)
{
	p->margin = false;
	p->validate = true;
	p->it_begin = 0;
	p->it_end = s->kind == XGB_BOOSTER ? 0 : s->iteration_end;
	if (!json_is_object(params))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(xgb_unsupported_params); i++) {
		json_t *v = json_object_get(params, xgb_unsupported_params[i]);
		if (v && !json_is_null(v) && param_true(v))
			return mlf_errorf(err, MLF_BAD_REQUEST, "param %s is not supported by the native xgboost flavor",
					  xgb_unsupported_params[i]);
	}
	json_t *v;
	if ((v = json_object_get(params, "output_margin")))
		p->margin = param_true(v);
	if ((v = json_object_get(params, "validate_features")))
		p->validate = param_true(v);
	if ((v = json_object_get(params, "iteration_range")) && !json_is_null(v)) {
		json_t *b = json_array_get(v, 0), *e = json_array_get(v, 1);
		if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(b) || !json_is_integer(e) ||
		    json_integer_value(b) < 0 || json_integer_value(e) < 0 || json_integer_value(b) > INT32_MAX ||
		    json_integer_value(e) > INT32_MAX)
			return mlf_errorf(err, MLF_BAD_REQUEST, "param iteration_range must be a pair of iterations");
		p->it_begin = (int)json_integer_value(b);
		p->it_end = (int)json_integer_value(e);
		/* XGBModel._get_iteration_range: an open end means best_iteration */
		if (p->it_end == 0 && s->kind != XGB_BOOSTER) {
			p->it_begin = 0;
			p->it_end = s->iteration_end;
		}
	}
	return 0;
}

/* A class label: the index, or the saved encoder's class. */
static void write_label(struct buf *out, const struct xgb_state *s, int64_t index)
{
	json_t *c = s->classes ? json_array_get(s->classes, (size_t)index) : NULL;
	if (!c) {
		buf_addf(out, "%" PRId64, index);
		return;
	}
	char *text = json_dumps(c, JSON_ENCODE_ANY | JSON_COMPACT);
	buf_adds(out, text ? text : "null");
	free(text);
}

/* XGBClassifier.predict on the probabilities res[rows x k]. */
static void write_labels(struct buf *out, const struct xgb_state *s, const float *res, size_t rows, size_t k,
			 bool two_d)
{
	buf_addch(out, '[');
	for (size_t r = 0; r < rows; r++) {
		if (r)
			buf_add(out, ", ", 2);
		const float *row = res + r * k;
		if (two_d && s->n_classes != 2) { /* softprob: argmax (numpy's: the first maximum, NaN wins) */
			size_t best = 0;
			for (size_t j = 1; j < k && !isnan(row[best]); j++)
				if (isnan(row[j]) || row[j] > row[best])
					best = j;
			write_label(out, s, (int64_t)best);
		} else if (two_d && k != 1) { /* multi-label: a 0/1 float row */
			buf_addch(out, '[');
			for (size_t j = 0; j < k; j++)
				buf_adds(out, j ? (row[j] > 0.5f ? ", 1.0" : ", 0.0") : (row[j] > 0.5f ? "1.0" : "0.0"));
			buf_addch(out, ']');
		} else if (s->softmax) { /* the class index, astype(int32) */
			float f = row[0];
			int64_t v = isnan(f) || f < -2147483648.0f || f >= 2147483648.0f ? INT32_MIN : (int64_t)(int32_t)f;
			buf_addf(out, "%" PRId64, v);
		} else {
			write_label(out, s, row[0] > 0.5f ? 1 : 0);
		}
	}
	buf_addch(out, ']');
}

static void write_values(struct buf *out, const float *res, size_t rows, size_t k, bool two_d)
{
	buf_addch(out, '[');
	for (size_t r = 0; r < rows; r++) {
		if (r)
			buf_add(out, ", ", 2);
		if (!two_d) {
			write_float(out, res[r]);
			continue;
		}
		buf_addch(out, '[');
		for (size_t j = 0; j < k; j++) {
			if (j)
				buf_add(out, ", ", 2);
			write_float(out, res[r * k + j]);
		}
		buf_addch(out, ']');
	}
	buf_addch(out, ']');
}

/* m[rows x *cols] widened to `want` columns of NaN on the right. */
static int pad_columns(double **m, size_t rows, size_t *cols, size_t want, struct mlf_err *err)
{
	if (rows > SIZE_MAX / sizeof(double) / want) {
		free(*m);
		return mlf_errorf(err, MLF_BAD_REQUEST, "the input is too large");
	}
	double *wide = malloc(rows * want * sizeof(double));
	if (!wide) {
		free(*m);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
	}
	for (size_t r = 0; r < rows; r++) {
		memcpy(wide + r * want, *m + r * *cols, *cols * sizeof(double));
		for (size_t c = *cols; c < want; c++)
			wide[r * want + c] = NAN;
	}
	free(*m);
	*m = wide;
	*cols = want;
	return 0;
}

static int xgboost_predict(void *state, const struct scoring_input *in, struct buf *out, struct mlf_err *err)
{
	struct xgb_state *s = state;
	struct predict_params p;
	if (read_params(s, in->params, &p, err) < 0)
		return -1;
	if (in->kind == SCORING_FRAME && p.validate && validate_features(s, in, err) < 0)
		return -1;
	double *m;
	size_t rows, cols;
	if (scoring_input_matrix(in, false, &m, &rows, &cols, err) < 0)
		return -1;
	/* DMatrix(df) takes fewer columns than the booster's features (the
	 * others are missing); inplace prediction wants all of them */
	if (s->kind == XGB_BOOSTER && cols < s->n_features && rows && pad_columns(&m, rows, &cols, s->n_features, err) < 0)
		return -1;
	if (rows == 0) { /* numpy predicts nothing on no rows */
		free(m);
		buf_add(out, "[]", 2);
		return 0;
	}
	const xgb_ulong *shape;
	xgb_ulong dim;
	const float *res;
	int rc = predict_matrix(s, m, rows, cols, p.margin, p.it_begin, p.it_end, &shape, &dim, &res, err);
	free(m);
	if (rc < 0)
		return -1;
	/* res is this thread's, valid until its next libxgboost call */
	size_t k = dim >= 2 ? (size_t)shape[1] : 1;
	if (dim < 1 || dim > 2 || shape[0] != rows || k == 0 || k > XGB_MAX_CLASSES)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "libxgboost answered a prediction of an unexpected shape");
	if (s->kind == XGB_CLASSIFIER && !p.margin)
		write_labels(out, s, res, rows, k, dim == 2);
	else
		write_values(out, res, rows, k, dim == 2);
	return 0;
}

const struct flavor_ops flavor_xgboost = {
	.name = "xgboost",
	.accepts = xgboost_accepts,
	.load = xgboost_load,
	.predict = xgboost_predict,
	.unload = xgboost_unload,
};
