/*
 * store_import_int.h - what the two readers of an import (MLflow's SQL
 * database, store_import.c; MLflow's file store, store_import_mlruns.c)
 * share on their way to one writer, the destination's `struct
 * store_import_ops`: the job (destination, hooks, report, per-transaction
 * arena and counts), artifact relocation and copying through the caller's
 * hooks, progress, committing one transaction and adding what the
 * destination then holds to the report, and the final count check.
 */
#ifndef MLF_STORE_IMPORT_INT_H
#define MLF_STORE_IMPORT_INT_H

#include "store_import.h"

struct store_import_job {
	struct store *st;
	const struct store_import_ops *ops; /* the destination's, or store_import_dry_ops */
	const struct store_import_hooks *hooks;
	struct store_import_report *rep;
	struct arena a;                        /* released after each transaction */
	int64_t counts[STORE_IMPORT_N_TABLES]; /* what the destination holds for this transaction */
};

/* The location to store for the source's `uri` (the hook's answer,
 * allocated in job->a, or `uri` itself). */
const char *store_import_relocate(struct store_import_job *job, const char *uri);
/* Copies the artifacts below the source location `uri` (nothing for NULL
 * or ""): 0, or -1 with `err` set. */
int store_import_copy(struct store_import_job *job, const char *uri, struct mlf_err *err);
void store_import_progress(struct store_import_job *job, bool final);
/* Runs fn in one destination transaction; on success adds the counts it
 * left in job->counts to the report. job->a is released either way. */
int store_import_commit(struct store_import_job *job, int (*fn)(struct store_import_tx *tx, void *arg,
								struct mlf_err *err),
			void *arg, struct mlf_err *err);
/* 0 when every table's source and imported counts agree, else -1 with
 * DATA_LOSS naming the first table that differs. */
int store_import_check_counts(const struct store_import_report *rep, struct mlf_err *err);
/* Puts "<what>: " before the message in `err`, keeping its code; -1. */
int store_import_err_within(struct mlf_err *err, const char *what);
/* Whether `uri` lies under `root` (the same string, or followed by '/'). */
bool store_import_uri_under(const char *uri, const char *root);

#endif
