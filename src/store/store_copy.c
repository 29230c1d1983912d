/*
 * store_copy.c - one mlflowc store copied into another (store_copy.h): the
 * source read through its front, the rows written by the destination's
 * import ops.
 *
 * Order: the source's experiments are listed and each is checked against
 * the destination before anything is written. Then, per experiment, the
 * source's rows are counted (by the source's own count functions, so a row
 * the front would not show is still counted and its absence in the
 * destination shows as a mismatch) and copied in one destination
 * transaction: the experiment with its tags, its datasets, its logged
 * models, then each run with params, tags, the history of every metric key
 * (in pages of COPY_PAGE points), latest metrics, inputs and model links.
 * The registry follows in one transaction. Each run and each registered
 * model has an arena of its own, released when it is written.
 */
#include "store_copy.h"
#include "store_auth.h"
#include "store_retention.h"
#include "store_export.h"
#include "store_import_int.h"
#include "registry.h"
#include "logged_model.h"
#include "../base/util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Metric points per history read: a page is a few MB at most; each read
 * skips the points before it, so fewer, larger reads keep a long series
 * near linear (1 run x 1,000,000 points: 7.9 s with pages of 10,000, 4.9 s
 * with 50,000). */
#define COPY_PAGE 50000
#define COPY_RUN_PAGE 500

struct copy_ctx {
	struct store *from;
	struct store_import_job job; /* the destination's writers, report, per-transaction arena */
	struct store_import_hooks hooks;
	int64_t experiment_id;
	struct store_export_dataset *datasets; /* of the experiment being copied */
	size_t n_datasets;
	const char *const *model_names; /* the registry's */
	size_t n_model_names;
};

static int within(struct mlf_err *err, const char *fmt_what, const char *name)
{
	char what[400];
	snprintf(what, sizeof(what), fmt_what, name);
	return store_import_err_within(err, what);
}

/* ---- the source's counts ------------------------------------------------------ */

struct count_args {
	const struct store_import_ops *ops;
	int64_t experiment_id;                /* experiments */
	const char *const *names;             /* or the registry */
	size_t n_names;
	int64_t counts[STORE_IMPORT_N_TABLES];
};

static int count_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct count_args *x = arg;
	if (!x->names)
		return x->ops->count_experiment(tx, x->experiment_id, x->counts, err);
	for (size_t i = 0; i < x->n_names; i++)
		if (x->ops->count_model(tx, x->names[i], x->counts, err) < 0)
			return -1;
	return 0;
}

/* Adds the source's rows of one experiment (names NULL) or of the models
 * `names` to rep->source. */
static int count_source(struct copy_ctx *cc, int64_t experiment_id, const char *const *names, size_t n_names,
			struct mlf_err *err)
{
	struct count_args x = { .ops = cc->from->import, .experiment_id = experiment_id, .names = names, .n_names = n_names };
	if (cc->from->import->transaction(cc->from, count_tx, &x, err) < 0)
		return store_import_err_within(err, "counting the source");
	for (size_t t = 0; t < STORE_IMPORT_N_TABLES; t++)
		cc->job.rep->source[t] += x.counts[t];
	return 0;
}

/* ---- one run ---------------------------------------------------------------- */

/* A value as the writers take it: NaN as is_nan with 0. */
static double stored(double v, bool *is_nan)
{
	*is_nan = isnan(v);
	return *is_nan ? 0.0 : v;
}

static int copy_history(struct store_import_tx *tx, struct copy_ctx *cc, const char *run_id, const char *key,
			struct mlf_err *err)
{
	const struct store_import_ops *out = cc->job.ops;
	for (int64_t offset = 0;;) {
		struct arena page = ARENA_INIT;
		struct store_metric *pts;
		size_t n;
		bool more;
		int rc = store_metric_history(cc->from, run_id, key, offset, COPY_PAGE, &pts, &n, &more, &page, err);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			bool is_nan;
			double v = stored(pts[i].value, &is_nan);
			rc = out->put_metric(tx, key, v, pts[i].timestamp, pts[i].step, is_nan, err);
		}
		arena_release(&page);
		if (rc < 0)
			return -1;
		cc->job.rep->points_done += (int64_t)n;
		offset += (int64_t)n;
		if (!more || n == 0)
			return 0;
	}
}

/* Counts the run's latest metrics that the destination's rule set apart
 * from the source's. */
static int compare_latest(struct store_import_tx *tx, struct copy_ctx *cc, const struct store_run *r,
			  struct mlf_err *err)
{
	for (size_t i = 0; i < r->n_metrics; i++) {
		const struct store_metric *m = &r->metrics[i];
		double v;
		int64_t ts, step;
		bool nan, found, src_nan;
		double sv = stored(m->value, &src_nan);
		if (cc->job.ops->latest_metric(tx, m->key, &v, &ts, &step, &nan, &found, err) < 0)
			return -1;
		if (!found || nan != src_nan || (!nan && v != sv) || ts != m->timestamp || step != m->step)
			cc->job.rep->latest_differ++;
	}
	return 0;
}

static const char *dataset_uuid(struct copy_ctx *cc, const struct store_dataset *d)
{
	for (size_t i = 0; i < cc->n_datasets; i++)
		if (strcmp(cc->datasets[i].d.name, d->name) == 0 && strcmp(cc->datasets[i].d.digest, d->digest) == 0)
			return cc->datasets[i].dataset_uuid;
	return NULL;
}

static int copy_run_in(struct store_import_tx *tx, struct copy_ctx *cc, const char *run_id, struct arena *a,
		       struct mlf_err *err)
{
	const struct store_import_ops *out = cc->job.ops;
	struct store_run r;
	int64_t deleted_time;
	bool has_deleted;
	if (store_run_get(cc->from, run_id, &r, a, err) < 0 ||
	    store_export_run_deleted_time(cc->from, run_id, &deleted_time, &has_deleted, err) < 0)
		return -1;
	struct store_import_run w = {
		.run_id = r.info.run_id,
		.name = r.info.run_name ? r.info.run_name : "",
		.user_id = r.info.user_id ? r.info.user_id : "",
		.status = r.info.status,
		.artifact_uri = r.info.artifact_uri,
		.lifecycle_stage = r.info.lifecycle_stage,
		.experiment_id = r.info.experiment_id,
		.start_time = r.info.start_time,
		.end_time = r.info.has_end_time ? r.info.end_time : -1,
		.deleted_time = has_deleted ? deleted_time : -1,
	};
	if (out->put_run(tx, &w, err) < 0)
		return -1;
	for (size_t i = 0; i < r.n_params; i++)
		if (out->put_param(tx, r.params[i].key, r.params[i].value, err) < 0)
			return -1;
	for (size_t i = 0; i < r.n_tags; i++)
		if (out->put_tag(tx, r.tags[i].key, r.tags[i].value, err) < 0)
			return -1;
	for (size_t i = 0; i < r.n_metrics; i++)
		if (copy_history(tx, cc, run_id, r.metrics[i].key, err) < 0)
			return within(err, "metric '%s'", r.metrics[i].key);
	if (out->finish_run(tx, err) < 0 || compare_latest(tx, cc, &r, err) < 0)
		return -1;
	for (size_t i = 0; i < r.n_inputs; i++) {
		const struct store_dataset_input *in = &r.inputs[i];
		const char *uuid = dataset_uuid(cc, &in->dataset);
		if (!uuid)
			return mlf_errorf(err, MLF_INVALID_STATE, "input dataset '%s' (digest %s) is not among the experiment's",
					  in->dataset.name, in->dataset.digest);
		if (out->put_input(tx, uuid, (int64_t)i, in->tags, in->n_tags, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r.n_model_inputs; i++)
		if (out->put_model_link(tx, "input", r.model_inputs[i].model_id, r.model_inputs[i].step, err) < 0)
			return -1;
	for (size_t i = 0; i < r.n_model_outputs; i++)
		if (out->put_model_link(tx, "output", r.model_outputs[i].model_id, r.model_outputs[i].step, err) < 0)
			return -1;
	return 0;
}

static int copy_run(struct store_import_tx *tx, struct copy_ctx *cc, const char *run_id, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	int rc = copy_run_in(tx, cc, run_id, &a, err);
	arena_release(&a);
	if (rc < 0)
		return within(err, "run %s", run_id);
	cc->job.rep->runs_done++;
	store_import_progress(&cc->job, false);
	return 0;
}

/* ---- one experiment ------------------------------------------------------------- */

static int copy_logged_models(struct store_import_tx *tx, struct copy_ctx *cc, struct mlf_err *err)
{
	const struct store_import_ops *out = cc->job.ops;
	const char **ids;
	size_t n;
	if (store_export_logged_model_ids(cc->from, cc->experiment_id, &ids, &n, &cc->job.a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct arena a = ARENA_INIT;
		struct store_logged_model m;
		int rc = store_logged_model_get(cc->from, ids[i], true, &m, &a, err);
		struct store_import_logged_model w = {
			.model_id = m.model_id,
			.name = m.name,
			.artifact_location = m.artifact_location,
			.lifecycle_stage = m.lifecycle_stage,
			.model_type = m.model_type ? m.model_type : "",
			.source_run_id = m.source_run_id ? m.source_run_id : "",
			.status_message = m.status_message,
			.experiment_id = m.experiment_id,
			.creation_time = m.creation_time,
			.last_updated_time = m.last_updated_time,
			.status = m.status,
		};
		if (rc == 0)
			rc = out->put_logged_model(tx, &w, err);
		for (size_t k = 0; rc == 0 && k < m.n_params; k++)
			rc = out->put_logged_model_param(tx, m.model_id, m.params[k].key, m.params[k].value, err);
		for (size_t k = 0; rc == 0 && k < m.n_tags; k++)
			rc = out->put_logged_model_tag(tx, m.model_id, m.tags[k].key, m.tags[k].value, err);
		for (size_t k = 0; rc == 0 && k < m.n_metrics; k++) {
			const struct store_logged_metric *lm = &m.metrics[k];
			bool is_nan;
			struct store_metric p = {
				.key = lm->m.key,
				.value = stored(lm->m.value, &is_nan),
				.timestamp = lm->m.timestamp,
				.step = lm->m.step,
				.run_id = lm->run_id ? lm->run_id : "",
				.dataset_name = lm->dataset_name,
				.dataset_digest = lm->dataset_digest,
			};
			rc = out->put_logged_model_metric(tx, m.model_id, &p, is_nan, err);
		}
		arena_release(&a);
		if (rc < 0)
			return within(err, "logged model %s", ids[i]);
	}
	return 0;
}

static int copy_runs(struct store_import_tx *tx, struct copy_ctx *cc, struct mlf_err *err)
{
	struct store_search q = { .view = STORE_VIEW_ALL, .max_results = COPY_RUN_PAGE };
	for (;;) {
		struct arena page = ARENA_INIT;
		struct store_run *runs;
		size_t n;
		bool more;
		int rc = store_run_search(cc->from, &cc->experiment_id, 1, &q, &runs, &n, &more, &page, err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = copy_run(tx, cc, runs[i].info.run_id, err);
		arena_release(&page);
		if (rc < 0)
			return -1;
		if (!more || n == 0)
			return 0;
		q.offset += (int64_t)n;
	}
}

static int copy_experiment_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct copy_ctx *cc = arg;
	const struct store_import_ops *out = cc->job.ops;
	struct store_experiment e;
	if (store_experiment_get(cc->from, cc->experiment_id, &e, &cc->job.a, err) < 0 ||
	    out->put_experiment(tx, &e, err) < 0 ||
	    store_export_experiment_datasets(cc->from, cc->experiment_id, &cc->datasets, &cc->n_datasets, &cc->job.a,
					     err) < 0)
		goto fail;
	for (size_t i = 0; i < cc->n_datasets; i++)
		if (out->put_dataset(tx, cc->datasets[i].dataset_uuid, cc->experiment_id, &cc->datasets[i].d, err) < 0)
			goto fail;
	if (copy_logged_models(tx, cc, err) < 0 || copy_runs(tx, cc, err) < 0)
		goto fail;
	return out->count_experiment(tx, cc->experiment_id, cc->job.counts, err);
fail:;
	char what[64];
	snprintf(what, sizeof(what), "experiment %lld (rolled back)", (long long)cc->experiment_id);
	return store_import_err_within(err, what);
}

/* ---- the registry --------------------------------------------------------------- */

static int copy_version(struct store_import_tx *tx, struct copy_ctx *cc, const char *name, int64_t version,
			struct arena *a, struct mlf_err *err)
{
	const struct store_import_ops *out = cc->job.ops;
	struct store_model_version mv;
	if (store_model_version_get(cc->from, name, version, &mv, a, err) < 0) {
		if (err->code != MLF_RESOURCE_DOES_NOT_EXIST)
			return -1;
		memset(err, 0, sizeof(*err)); /* a number never given */
		return 0;
	}
	struct store_import_version w = {
		.name = name,
		.version = mv.version,
		.creation_time = mv.creation_time,
		.last_updated_time = mv.last_updated_time,
		.description = mv.description,
		.user_id = mv.user_id,
		.current_stage = mv.current_stage,
		.source = mv.source,
		.storage_location = mv.storage_location,
		.run_id = mv.run_id,
		.run_link = mv.run_link,
		.status = mv.status,
		.status_message = mv.status_message,
		.model_id = mv.model_id,
	};
	if (out->put_model_version(tx, &w, err) < 0)
		return -1;
	for (size_t i = 0; i < mv.n_tags; i++)
		if (out->put_model_version_tag(tx, name, version, mv.tags[i].key, mv.tags[i].value, err) < 0)
			return -1;
	return 0;
}

static int copy_model_in(struct store_import_tx *tx, struct copy_ctx *cc, const char *name, struct arena *a,
			 struct mlf_err *err)
{
	const struct store_import_ops *out = cc->job.ops;
	struct store_registered_model m;
	if (store_registered_model_get(cc->from, name, &m, a, err) < 0 ||
	    out->put_registered_model(tx, name, m.creation_time, m.last_updated_time, m.description, err) < 0)
		return -1;
	for (size_t i = 0; i < m.n_tags; i++)
		if (out->put_registered_model_tag(tx, name, m.tags[i].key, m.tags[i].value, err) < 0)
			return -1;
	/* live versions go up to the highest any stage holds; deleted ones
	 * keep their redacted rows so their numbers are never given again */
	struct store_model_version *latest;
	struct store_deleted_version *gone;
	size_t n_latest, n_gone;
	int64_t top = 0;
	if (store_registered_model_latest_versions(cc->from, name, NULL, 0, &latest, &n_latest, a, err) < 0 ||
	    store_export_deleted_versions(cc->from, name, &gone, &n_gone, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n_latest; i++)
		if (latest[i].version > top)
			top = latest[i].version;
	for (size_t i = 0; i < n_gone; i++) {
		struct store_import_version w = {
			.name = name,
			.version = gone[i].version,
			.creation_time = gone[i].creation_time,
			.last_updated_time = gone[i].last_updated_time,
			.current_stage = "Deleted_Internal",
			.source = "REDACTED-SOURCE-PATH",
			.run_id = "REDACTED-RUN-ID",
			.run_link = "REDACTED-RUN-LINK",
			.status = "READY",
		};
		if (out->put_model_version(tx, &w, err) < 0)
			return -1;
	}
	for (int64_t v = 1; v <= top; v++) {
		bool is_gone = false;
		for (size_t i = 0; i < n_gone && !is_gone; i++)
			is_gone = gone[i].version == v;
		if (!is_gone && copy_version(tx, cc, name, v, a, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < m.n_aliases; i++)
		if (out->put_alias(tx, name, m.aliases[i].alias, m.aliases[i].version, err) < 0)
			return -1;
	return out->count_model(tx, name, cc->job.counts, err);
}

static int copy_registry_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct copy_ctx *cc = arg;
	for (size_t i = 0; i < cc->n_model_names; i++) {
		struct arena a = ARENA_INIT;
		int rc = copy_model_in(tx, cc, cc->model_names[i], &a, err);
		arena_release(&a);
		if (rc < 0) {
			within(err, "registered model '%s'", cc->model_names[i]);
			return store_import_err_within(err, "the model registry (rolled back)");
		}
	}
	return 0;
}

/* ---- the whole copy ------------------------------------------------------------------ */

struct reserve_args {
	const struct store_import_ops *ops;
	int64_t high;
};

static int reserve_ids_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct reserve_args *x = arg;
	return x->ops->reserve_experiment_ids(tx, x->high, err);
}

/* The destination gives new experiments ids above every id the source has
 * given, as the source itself would. */
static int reserve_ids(struct store *from, struct store *to, struct mlf_err *err)
{
	struct reserve_args x = { .ops = to->import };
	if (!to->import->reserve_experiment_ids)
		return 0;
	if (store_export_experiment_id_high(from, &x.high, err) < 0 ||
	    to->import->transaction(to, reserve_ids_tx, &x, err) < 0)
		return store_import_err_within(err, "reserving the source's experiment ids");
	return 0;
}

struct source_experiment {
	int64_t id;
	const char *name;
};

static int by_id(const void *x, const void *y)
{
	int64_t a = ((const struct source_experiment *)x)->id, b = ((const struct source_experiment *)y)->id;
	return (a > b) - (a < b);
}

/* The source's experiments to copy (all, or those of opt), by id, in `a`. */
static int list_experiments(struct store *from, const struct store_copy_options *opt, struct source_experiment **out,
			    size_t *n, struct arena *a, struct mlf_err *err)
{
	struct store_search q = { .view = STORE_VIEW_ALL, .max_results = 1000 };
	bool *found = arena_zalloc(a, opt->n_experiment_ids + 1);
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (;;) {
		struct arena page = ARENA_INIT;
		struct store_experiment *es;
		size_t k;
		bool more;
		if (store_experiment_search(from, &q, &es, &k, &more, &page, err) < 0) {
			arena_release(&page);
			return -1;
		}
		for (size_t i = 0; i < k; i++) {
			bool yes = !opt->experiment_ids;
			for (size_t j = 0; opt->experiment_ids && j < opt->n_experiment_ids; j++)
				if (opt->experiment_ids[j] == es[i].id)
					yes = found[j] = true;
			if (!yes)
				continue;
			if (*n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				*out = arena_grow_array(a, *out, *n, ncap, sizeof(**out));
				cap = ncap;
			}
			(*out)[(*n)++] = (struct source_experiment){ es[i].id, arena_strdup(a, es[i].name) };
		}
		arena_release(&page);
		if (!more || k == 0)
			break;
		q.offset += (int64_t)k;
	}
	for (size_t j = 0; opt->experiment_ids && j < opt->n_experiment_ids; j++)
		if (!found[j])
			return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "--experiment-ids: no experiment with id %lld",
					  (long long)opt->experiment_ids[j]);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), by_id);
	return 0;
}

/* The destination's experiment `e->id`, or the one named `e->name`, must
 * be this one (an earlier copy) or a new store's default experiment 0
 * while it has no runs. */
static int check_destination(struct store *to, const struct source_experiment *e, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct store_experiment d;
	struct mlf_err miss = { 0 };
	bool clash = false;
	int rc = 0;
	if (store_experiment_get(to, e->id, &d, &a, &miss) == 0) {
		if (strcmp(d.name, e->name) != 0 && e->id != 0) {
			clash = true;
		} else if (strcmp(d.name, e->name) != 0) {
			struct store_search q = { .view = STORE_VIEW_ALL, .max_results = 1 };
			struct store_run *runs;
			size_t n = 0;
			bool more;
			rc = store_run_search(to, &e->id, 1, &q, &runs, &n, &more, &a, err);
			clash = n > 0;
		}
	} else if (miss.code != MLF_RESOURCE_DOES_NOT_EXIST) {
		*err = miss;
		rc = -1;
	}
	if (rc == 0 && !clash) {
		memset(&miss, 0, sizeof(miss));
		if (store_experiment_get_by_name(to, e->name, &d, &a, &miss) == 0)
			clash = d.id != e->id;
		else if (miss.code != MLF_RESOURCE_DOES_NOT_EXIST) {
			*err = miss;
			rc = -1;
		}
	}
	if (rc == 0 && clash)
		rc = mlf_errorf(err, MLF_RESOURCE_ALREADY_EXISTS,
				"the destination already has experiment %lld named '%s', where the source has experiment "
				"%lld named '%s'; nothing was written: copy into a new store",
				(long long)d.id, d.name, (long long)e->id, e->name);
	arena_release(&a);
	return rc;
}

int store_copy(struct store *from, struct store *to, const struct store_copy_options *opt,
	       struct store_import_report *rep, struct mlf_err *err)
{
	memset(rep, 0, sizeof(*rep));
	if (!from->export_ops || !from->import)
		return mlf_errorf(err, MLF_NOT_IMPLEMENTED, "this backend store cannot be copied from");
	if (!to->import)
		return mlf_errorf(err, MLF_NOT_IMPLEMENTED, "this backend store cannot be copied into");
	struct copy_ctx cc = {
		.from = from,
		.job = { .st = to, .ops = to->import, .rep = rep },
		.hooks = { .ctx = opt->ctx, .progress = opt->progress },
	};
	cc.job.hooks = &cc.hooks;
	for (size_t t = 0; t < STORE_IMPORT_N_TABLES; t++)
		rep->present[t] = true;
	struct arena keep = ARENA_INIT;
	struct source_experiment *es;
	size_t n_es;
	const char **names = NULL;
	size_t n_names = 0;
	int rc = list_experiments(from, opt, &es, &n_es, &keep, err);
	rep->experiments_total = (int64_t)n_es;
	for (size_t i = 0; rc == 0 && i < n_es; i++)
		rc = check_destination(to, &es[i], err);
	for (size_t i = 0; rc == 0 && i < n_es; i++) {
		cc.experiment_id = es[i].id;
		rc = count_source(&cc, es[i].id, NULL, 0, err);
		if (rc == 0)
			rc = store_import_commit(&cc.job, copy_experiment_tx, &cc, err);
		cc.datasets = NULL;
		cc.n_datasets = 0;
		rep->experiments_done++;
		store_import_progress(&cc.job, false);
	}
	if (rc == 0)
		rc = reserve_ids(from, to, err);
	if (rc == 0)
		rc = store_export_registered_model_names(from, &names, &n_names, &keep, err);
	if (rc == 0 && n_names) {
		cc.model_names = names;
		cc.n_model_names = n_names;
		rc = count_source(&cc, 0, names, n_names, err);
		if (rc == 0)
			rc = store_import_commit(&cc.job, copy_registry_tx, &cc, err);
	}
	arena_release(&cc.job.a);
	arena_release(&keep);
	store_import_progress(&cc.job, true);
	if (rc == 0)
		rc = store_import_check_counts(rep, err);
	return rc;
}

/* ---- users, permissions, retention policies -------------------------------------- */

static int copy_user(struct store *from, struct store *to, const struct store_user *u,
		     struct store_copy_accounts_report *rep, struct arena *a, struct mlf_err *err)
{
	struct store_user there;
	struct mlf_err e;
	int64_t id;
	struct store_permission *p[2] = { NULL, NULL };
	size_t n[2] = { 0, 0 };
	for (int k = 0; k < 2; k++)
		if (store_auth_permission_list_user(from, u->id, (enum store_auth_resource)k, &p[k], &n[k], a, err) < 0)
			return -1;
	rep->users_found++;
	rep->permissions_found += (int64_t)(n[0] + n[1]);
	if (store_auth_user_get(to, u->username, &there, a, &e) == 0)
		return 0; /* theirs already: left as it is */
	if (e.code != MLF_RESOURCE_DOES_NOT_EXIST) {
		*err = e;
		return -1;
	}
	if (store_auth_user_create(to, u->username, u->password_hash, u->is_admin, &id, err) < 0)
		return -1;
	rep->users_created++;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < n[k]; i++) {
			struct store_permission q = p[k][i];
			q.user_id = id;
			if (store_auth_permission_create(to, &q, err) < 0)
				return -1;
			rep->permissions_created++;
		}
	return 0;
}

int store_copy_accounts(struct store *from, struct store *to, struct store_copy_accounts_report *rep,
			struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct store_user *users = NULL;
	struct store_retention_policy *policies = NULL;
	size_t n_users = 0, n_policies = 0;
	int rc = 0;
	memset(rep, 0, sizeof(*rep));
	if (from->auth && to->auth)
		rc = store_auth_user_list(from, &users, &n_users, &a, err);
	for (size_t i = 0; rc == 0 && i < n_users; i++)
		rc = copy_user(from, to, &users[i], rep, &a, err);
	if (rc == 0 && from->retention && to->retention)
		rc = store_retention_list(from, &policies, &n_policies, &a, err);
	for (size_t i = 0; rc == 0 && i < n_policies; i++) {
		rc = store_retention_set(to, &policies[i], err);
		if (rc == 0)
			rep->policies++;
	}
	arena_release(&a);
	return rc;
}
