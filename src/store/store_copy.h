/*
 * store_copy.h - copying a whole mlflowc store into another mlflowc store
 * (SQLite or PostgreSQL, either way), every entity with its identity:
 * experiment ids, names, lifecycle, times and tags; run uuids, names,
 * statuses, times, deletion times, params, tags, the full metric history
 * (NaN and +/-inf exactly) and latest metrics; datasets with their ids and
 * inputs with their tags; MLflow 3's logged models with params, tags,
 * metrics and run links; registered models, versions (numbers, stages,
 * sources, run links, tags, descriptions, the redacted rows of deleted
 * versions, so numbers are never reused) and aliases. Artifact locations
 * are kept as they are: the destination's server is pointed at the same
 * artifact store.
 *
 * The source is read only through its front (store.h, registry.h,
 * logged_model.h, store_export.h); the rows go to the destination through
 * its `struct store_import_ops`, the writers of `mlflowc import`: one
 * transaction per experiment and one for the registry, every write an
 * upsert keyed by identity, so a copy run twice changes nothing and a cut
 * copy run again completes. Metric histories are read in pages, so memory
 * stays bounded by a run's page, not by the store.
 */
#ifndef MLF_STORE_COPY_H
#define MLF_STORE_COPY_H

#include "store_import.h"

struct store_copy_options {
	const int64_t *experiment_ids; /* NULL: every experiment */
	size_t n_experiment_ids;
	/* Called after each run and at the end (`final`); NULL: not told. */
	void (*progress)(void *ctx, const struct store_import_report *r, bool final);
	void *ctx;
};

/* Copies `from` into `to` (two different open stores). Before anything is
 * written, every source experiment is checked against the destination: an
 * experiment there with a source experiment's id but another name, or with
 * its name but another id, is someone else's, and the copy is refused
 * (RESOURCE_ALREADY_EXISTS) with nothing written (the default experiment 0
 * of a new store, without runs, is taken over). Fills `rep`: per table the
 * rows the source holds (counted by the source's own count functions) and
 * the rows the destination holds for them. Returns 0 when every count
 * matches, -1 with `err` set otherwise (DATA_LOSS naming the first table
 * that differs; on a failed write the experiment being written is rolled
 * back, those before it stay). Nothing in `from` is changed. */
int store_copy(struct store *from, struct store *to, const struct store_copy_options *opt,
	       struct store_import_report *rep, struct mlf_err *err);

/* What a whole store holds besides its experiments and registry: users
 * (store_auth.h) with their password hashes, admin flags and experiment
 * and registered-model permissions, and retention policies
 * (store_retention.h; the default and each experiment's). A user the
 * destination already has is left as it is, with its permissions, as a
 * takeover leaves it; policies are written over the destination's (the
 * same policy twice changes nothing). Bearer tokens and UI sessions are
 * not copied: their secrets were never stored, so users make new ones.
 * 0, or -1 with `err` set (users and policies written before it stay). */
struct store_copy_accounts_report {
	int64_t users_found, users_created;
	int64_t permissions_found, permissions_created;
	int64_t policies;
};
int store_copy_accounts(struct store *from, struct store *to, struct store_copy_accounts_report *rep,
			struct mlf_err *err);

#endif
