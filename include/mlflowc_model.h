/*
 * mlflowc_model.h - the ABI of a native C model that `mlflowc models serve`
 * runs with no Python at all (the `c_function` flavor).
 *
 * A model is a directory with an MLmodel file naming a shared object:
 *
 *     flavors:
 *       c_function:
 *         library: model.so      # relative to the model directory
 *         abi: 1
 *         (any other keys: the model's own configuration)
 *
 * The shared object exports the functions below (C linkage). mlflowc loads
 * it once with dlopen, calls mlflowc_model_load, then mlflowc_model_predict
 * for every request. Unless mlflowc_model_flags() says
 * MLFLOWC_MODEL_THREAD_SAFE, calls of predict are made one at a time.
 * Input is the request after MLflow's schema enforcement: a matrix of
 * doubles in column-major order (column c is values[c * n_rows ...],
 * missing values NaN, booleans 0/1), with the column names; a model that
 * sets MLFLOWC_MODEL_WANTS_RECORDS also gets the request as JSON records
 * (for strings and other non-numeric values; `values` is then NULL when
 * the input is not all numeric). Output is either a matrix of doubles
 * (n_cols 1: a flat list of predictions; more: a list of rows) or JSON text
 * of the `predictions` value, both allocated by the model and released by
 * mlflowc_model_free_output.
 *
 * Loading a model runs its code with the server's rights, as loading a
 * pickled Python model does: serve only models you trust.
 */
#ifndef MLFLOWC_MODEL_H
#define MLFLOWC_MODEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLFLOWC_MODEL_ABI 1

#define MLFLOWC_MODEL_THREAD_SAFE 1u   /* predict may run on many threads at once */
#define MLFLOWC_MODEL_WANTS_RECORDS 2u /* fill records_json in the input */

struct mlflowc_model_input {
	size_t n_rows, n_cols;
	const double *values;          /* n_rows * n_cols, column-major; NULL when not numeric */
	const char *const *names;      /* n_cols column names ("0", "1", ... for an unnamed tensor) */
	const char *records_json;      /* [{"a": 1, ...}, ...] with MLFLOWC_MODEL_WANTS_RECORDS, else NULL */
	const char *params_json;       /* the request's params object, or NULL */
};

struct mlflowc_model_output {
	size_t n_rows, n_cols;         /* of `values` */
	double *values;                /* column-major, allocated by the model; or NULL when `json` is set */
	char *json;                    /* the predictions as JSON text, allocated by the model; or NULL */
};

/* MLFLOWC_MODEL_ABI of the header the model was built with. */
int mlflowc_model_abi_version(void);

/* Optional: MLFLOWC_MODEL_* flags. */
unsigned mlflowc_model_flags(void);

/* Loads the model from `model_dir` (absolute) with `config_json`, the
 * c_function flavor's configuration as a JSON object. Returns the model's
 * handle, or NULL with a message in error[error_size]. */
void *mlflowc_model_load(const char *model_dir, const char *config_json, char *error, size_t error_size);

/* Predicts on `in` into *out (zeroed by the caller). Returns 0, or non-zero
 * with a message in error[error_size] (the client gets 400 BAD_REQUEST). */
int mlflowc_model_predict(void *model, const struct mlflowc_model_input *in, struct mlflowc_model_output *out,
			  char *error, size_t error_size);

/* Releases what predict put in *out. */
void mlflowc_model_free_output(void *model, struct mlflowc_model_output *out);

/* Releases the model. */
void mlflowc_model_unload(void *model);

#ifdef __cplusplus
}
#endif

#endif
