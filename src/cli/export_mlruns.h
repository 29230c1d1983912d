/*
 * export_mlruns.h - writes an mlflowc store out as MLflow's file store
 * (`mlruns/`, docs/storage.md "Exporting to MLflow's file store"), which
 * `mlflow ui --backend-store-uri DIR` and MLflow's clients read: experiments
 * (deleted ones under .trash/), runs with params, tags, full metric
 * histories, datasets and inputs, the model registry under models/, and
 * optionally the runs' artifacts. It reads the store only through its front
 * (store.h, registry.h, store_export.h).
 */
#ifndef MLF_EXPORT_MLRUNS_H
#define MLF_EXPORT_MLRUNS_H

#include "../base/err.h"
#include "../store/store.h"

struct export_options {
	const char *to;                    /* the directory to write; new or empty */
	const char *artifacts_destination; /* where mlflow-artifacts:/ URIs live (local) */
	const int64_t *experiment_ids;     /* NULL: every experiment */
	size_t n_experiment_ids;
	bool include_artifacts; /* copy artifacts in and point locations at the copies */
	bool force;             /* replace a non-empty `to` */
};

struct export_counts {
	size_t experiments, runs, params, tags, metric_points, datasets, inputs;
	size_t models, versions, aliases, artifact_files;
	uint64_t artifact_bytes;
};

/* Writes the whole export into a hidden sibling of `opt->to` and renames it
 * into place only when complete, so an interrupted export never looks like
 * a finished one. Returns 0 with *counts filled, or -1 with `err` set and
 * nothing at `opt->to`. */
int export_mlruns(struct store *st, const struct export_options *opt, struct export_counts *counts,
		  struct mlf_err *err);

/* Python's repr() of a float, as MLflow's file store writes metric values
 * ("0.5", "1e-05", "100.0", "nan", "inf"). */
void export_py_float(char out[40], double v);

/* The MD5 of s[0..n) as 32 lowercase hex digits (MLflow's dataset and
 * input ids). */
void export_md5_hex(const void *s, size_t n, char out[33]);

#endif
