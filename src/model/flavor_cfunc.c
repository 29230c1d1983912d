/*
 * flavor_cfunc.c - the c_function flavor: a model that is a shared object
 * with mlflowc's model ABI (include/mlflowc_model.h), loaded with dlopen
 * from beneath the model directory and called in-process.
 */
#include "flavor.h"
#include "../../include/mlflowc_model.h"
#include "../base/log.h"
#include "../json/jw.h"
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cfunc {
	void *lib;
	void *model;
	unsigned flags;
	pthread_mutex_t lock; /* held around predict unless the model is thread-safe */
	int (*predict)(void *, const struct mlflowc_model_input *, struct mlflowc_model_output *, char *, size_t);
	void (*free_output)(void *, struct mlflowc_model_output *);
	void (*unload)(void *);
};

static bool cfunc_accepts(const struct model_dir *md, char *why, size_t size)
{
	if (!mlmodel_flavor(&md->ml, "c_function")) {
		snprintf(why, size, "the model has no c_function flavor");
		return false;
	}
	if (!mlmodel_flavor_string(&md->ml, "c_function", "library")) {
		snprintf(why, size, "the c_function flavor names no library");
		return false;
	}
	return true;
}

static void *symbol(void *lib, const char *name, struct mlf_err *err)
{
	void *p = dlsym(lib, name);
	if (!p)
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The c_function library does not export %s", name);
	return p;
}

static void cfunc_unload(void *state)
{
	struct cfunc *c = state;
	if (!c)
		return;
	if (c->model && c->unload)
		c->unload(c->model);
	if (c->lib)
		dlclose(c->lib);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int cfunc_load(const struct model_dir *md, const struct flavor_options *opt, void **state, struct mlf_err *err)
{
	(void)opt;
	const char *library = mlmodel_flavor_string(&md->ml, "c_function", "library");
	char path[4096];
	if (!library)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The c_function flavor names no library");
	if (model_dir_file_path(md, library, path, sizeof(path), err) < 0)
		return -1;
	struct cfunc *c = calloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!c->lib) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Cannot load the c_function library %s: %s", library,
			   dlerror());
		cfunc_unload(c);
		return -1;
	}
	int (*abi)(void) = (int (*)(void))symbol(c->lib, "mlflowc_model_abi_version", err);
	void *(*load)(const char *, const char *, char *, size_t) =
		(void *(*)(const char *, const char *, char *, size_t))symbol(c->lib, "mlflowc_model_load", err);
	c->predict = (int (*)(void *, const struct mlflowc_model_input *, struct mlflowc_model_output *, char *,
			      size_t))symbol(c->lib, "mlflowc_model_predict", err);
	c->free_output = (void (*)(void *, struct mlflowc_model_output *))symbol(c->lib, "mlflowc_model_free_output", err);
	c->unload = (void (*)(void *))symbol(c->lib, "mlflowc_model_unload", err);
	unsigned (*flags)(void) = (unsigned (*)(void))dlsym(c->lib, "mlflowc_model_flags");
	if (!abi || !load || !c->predict || !c->free_output || !c->unload) {
		c->unload = NULL;
		cfunc_unload(c);
		return -1;
	}
	if (abi() != MLFLOWC_MODEL_ABI) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			   "The c_function library %s was built for model ABI %d; this mlflowc runs ABI %d", library,
			   abi(), MLFLOWC_MODEL_ABI);
		c->unload = NULL;
		cfunc_unload(c);
		return -1;
	}
	c->flags = flags ? flags() : 0;
	char *config = json_dumps(mlmodel_flavor(&md->ml, "c_function"), JSON_COMPACT);
	char error[1024] = "";
	c->model = load(md->path, config ? config : "{}", error, sizeof(error));
	free(config);
	if (!c->model) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The c_function model failed to load: %s",
			   *error ? error : "(no message)");
		c->unload = NULL;
		cfunc_unload(c);
		return -1;
	}
	*state = c;
	return 0;
}

/* The predictions matrix as JSON: a flat list for one column, else rows. */
static void write_matrix(struct buf *out, const struct mlflowc_model_output *o)
{
	struct jw w;
	jw_init(&w, out);
	jw_arr_begin(&w);
	for (size_t r = 0; r < o->n_rows; r++) {
		if (o->n_cols != 1)
			jw_arr_begin(&w);
		for (size_t c = 0; c < o->n_cols; c++)
			jw_double(&w, o->values[c * o->n_rows + r]);
		if (o->n_cols != 1)
			jw_arr_end(&w);
	}
	jw_arr_end(&w);
}

/* The input as JSON records, for models that want non-numeric values. */
static char *records_json(const struct scoring_input *in)
{
	json_t *records = json_array();
	if (in->kind == SCORING_FRAME) {
		for (size_t r = 0; r < in->n_rows; r++) {
			json_t *rec = json_object();
			for (size_t c = 0; c < in->n_cols; c++)
				json_object_set(rec, in->cols[c].name, in->cells[r * in->n_cols + c]);
			json_array_append_new(records, rec);
		}
	}
	char *s = json_dumps(in->kind == SCORING_FRAME ? records : in->tensor, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(records);
	return s;
}

static int cfunc_predict(void *state, const struct scoring_input *in, struct buf *out, struct mlf_err *err)
{
	struct cfunc *c = state;
	double *values = NULL;
	size_t rows = 0, cols = 0;
	bool wants_records = c->flags & MLFLOWC_MODEL_WANTS_RECORDS;
	if (scoring_input_matrix(in, true, &values, &rows, &cols, err) < 0 && !wants_records)
		return -1;
	/* column names: the frame's, or numbers for a tensor */
	const char **names = calloc(cols ? cols : 1, sizeof(*names));
	char (*numbers)[24] = in->kind == SCORING_FRAME ? NULL : calloc(cols ? cols : 1, sizeof(*numbers));
	for (size_t i = 0; i < cols; i++) {
		if (numbers) {
			snprintf(numbers[i], sizeof(numbers[i]), "%zu", i);
			names[i] = numbers[i];
		} else {
			names[i] = in->cols[i].name;
		}
	}
	char *records = wants_records ? records_json(in) : NULL;
	char *params = in->params ? json_dumps(in->params, JSON_COMPACT) : NULL;
	struct mlflowc_model_input mi = {
		.n_rows = rows, .n_cols = cols, .values = values, .names = names,
		.records_json = records, .params_json = params,
	};
	struct mlflowc_model_output mo = { 0 };
	char error[1024] = "";
	bool serial = !(c->flags & MLFLOWC_MODEL_THREAD_SAFE);
	if (serial)
		pthread_mutex_lock(&c->lock);
	int rc = c->predict(c->model, &mi, &mo, error, sizeof(error));
	if (serial)
		pthread_mutex_unlock(&c->lock);
	free(values);
	free(names);
	free(numbers);
	free(records);
	free(params);
	if (rc != 0) {
		c->free_output(c->model, &mo);
		return mlf_errorf(err, MLF_BAD_REQUEST, "The model failed to predict: %s", *error ? error : "(no message)");
	}
	int result = 0;
	if (mo.json) {
		json_error_t jerr;
		json_t *check = json_loads(mo.json, JSON_DECODE_ANY, &jerr);
		if (check)
			buf_adds(out, mo.json);
		else
			result = mlf_errorf(err, MLF_INTERNAL_ERROR, "The model's predictions are not JSON: %s", jerr.text);
		json_decref(check);
	} else if (mo.values || !mo.n_rows) {
		if (mo.n_cols && mo.n_rows > SIZE_MAX / sizeof(double) / mo.n_cols)
			result = mlf_errorf(err, MLF_INTERNAL_ERROR, "The model's predictions are too large");
		else
			write_matrix(out, &mo);
	} else {
		result = mlf_errorf(err, MLF_INTERNAL_ERROR, "The model returned no predictions");
	}
	c->free_output(c->model, &mo);
	return result;
}

const struct flavor_ops flavor_cfunc = {
	.name = "c_function",
	.accepts = cfunc_accepts,
	.load = cfunc_load,
	.predict = cfunc_predict,
	.unload = cfunc_unload,
};
