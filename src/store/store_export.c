/*
 * store_export.c - the front of the export reads (store_export.h): checks
 * that the backend offers them, words its row conditions as MLflow does,
 * and starts every result empty.
 */
#include "store_export.h"

static int export_missing(struct store *st, struct mlf_err *err)
{
	(void)st;
	return mlf_errorf(err, MLF_NOT_IMPLEMENTED, "This store cannot be exported (no export reads)");
}

int store_export_run_deleted_time(struct store *st, const char *run_id, int64_t *deleted_time, bool *has,
				  struct mlf_err *err)
{
	*has = false;
	*deleted_time = 0;
	if (!st->export_ops)
		return export_missing(st, err);
	if (st->export_ops->run_deleted_time(st, run_id, deleted_time, has, err) < 0) {
		if (err->detail == STORE_ROW_RUN_MISSING)
			return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Run with id=%s not found", run_id);
		return -1;
	}
	return 0;
}

int store_export_deleted_versions(struct store *st, const char *name, struct store_deleted_version **out,
				  size_t *n, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	if (!st->export_ops)
		return export_missing(st, err);
	if (st->export_ops->deleted_versions(st, name, out, n, a, err) < 0) {
		if (err->detail == STORE_ROW_MODEL_MISSING)
			return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Registered Model with name=%s not found",
					  name);
		return -1;
	}
	return 0;
}

int store_export_experiment_datasets(struct store *st, int64_t experiment_id, struct store_export_dataset **out,
				     size_t *n, struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	if (!st->export_ops || !st->export_ops->experiment_datasets)
		return export_missing(st, err);
	return st->export_ops->experiment_datasets(st, experiment_id, out, n, a, err);
}

int store_export_logged_model_ids(struct store *st, int64_t experiment_id, const char ***out, size_t *n,
				  struct arena *a, struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	if (!st->export_ops || !st->export_ops->logged_model_ids)
		return export_missing(st, err);
	return st->export_ops->logged_model_ids(st, experiment_id, out, n, a, err);
}

int store_export_registered_model_names(struct store *st, const char ***out, size_t *n, struct arena *a,
					struct mlf_err *err)
{
	*out = NULL;
	*n = 0;
	if (!st->export_ops || !st->export_ops->registered_model_names)
		return export_missing(st, err);
	return st->export_ops->registered_model_names(st, out, n, a, err);
}

int store_export_experiment_id_high(struct store *st, int64_t *high, struct mlf_err *err)
{
	*high = 0;
	if (!st->export_ops || !st->export_ops->experiment_id_high)
		return export_missing(st, err);
	return st->export_ops->experiment_id_high(st, high, err);
}
