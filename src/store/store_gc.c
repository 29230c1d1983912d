/*
 * store_gc.c - the front of `mlflowc gc` (store_gc.h): MLflow's rules of
 * what may be permanently deleted (--older-than, named runs and
 * experiments and their refusals), and which artifact paths registered
 * model versions still use, over the backend's row functions.
 */
#include "store_gc.h"
#include "../base/buf.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>

#define GC(st) ((st)->gc)

int store_gc_parse_older_than(const char *text, int64_t *ms, struct mlf_err *err)
{
	/* MLflow: optional parts in the order d, h, m, s, each a number made
	 * of digits and dots */
	static const struct {
		char unit;
		double ms;
	} units[] = { { 'd', 86400000.0 }, { 'h', 3600000.0 }, { 'm', 60000.0 }, { 's', 1000.0 } };
	const char *p = text;
	double total = 0;
	size_t next = 0;
	while (*p) {
		const char *start = p;
		size_t dots = 0;
		while (isdigit((unsigned char)*p) || *p == '.')
			dots += *p++ == '.';
		size_t u = next;
		while (u < ARRAY_SIZE(units) && units[u].unit != *p)
			u++;
		if (p == start || dots > 1 || (p - start == 1 && dots) || u == ARRAY_SIZE(units))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "Could not parse any time information from '%s'. Examples of valid strings: "
					  "'8h', '2d8h5m20s', '2m4s'",
					  text);
		total += strtod(start, NULL) * units[u].ms;
		next = u + 1;
		p++;
	}
	if (!(total < 9.0e15))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--older-than '%s' is too large", text);
	*ms = (int64_t)total;
	return 0;
}

/* ---- selection ------------------------------------------------------------------ */

static bool listed(const char *const *ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

static int select_experiments(struct store *st, const struct store_gc_query *q, struct store_gc_plan *p,
			      struct arena *a, struct mlf_err *err)
{
	if (!q->n_experiment_ids) {
		if (q->n_run_ids)
			return 0;
		return GC(st)->deleted_experiments(st, p->has_cutoff, p->cutoff, &p->experiments, &p->n_experiments, a,
						   err);
	}
	p->experiments = arena_alloc(a, q->n_experiment_ids * sizeof(*p->experiments));
	struct buf active = BUF_INIT, young = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < q->n_experiment_ids && rc == 0; i++) {
		bool dup = false;
		for (size_t j = 0; j < p->n_experiments; j++)
			dup |= p->experiments[j].id == q->experiment_ids[i];
		if (dup)
			continue;
		struct store_experiment *e = &p->experiments[p->n_experiments];
		if (store_experiment_get(st, q->experiment_ids[i], e, a, err) < 0) {
			rc = -1;
			break;
		}
		p->n_experiments++;
		if (strcmp(e->lifecycle_stage, "deleted") != 0)
			buf_addf(&active, "%s'%lld'", active.len ? ", " : "", (long long)e->id);
		else if (p->has_cutoff && !(e->last_update_time && e->last_update_time < p->cutoff))
			buf_addf(&young, "%s'%lld'", young.len ? ", " : "", (long long)e->id);
	}
	if (rc == 0 && active.len)
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				"Experiments [%s] are not in the deleted lifecycle stage. Only experiments in the deleted "
				"lifecycle stage can be hard-deleted.",
				active.ptr);
	else if (rc == 0 && young.len)
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				"Experiments [%s] are not older than the required age. Only experiments older than %s "
				"can be deleted.",
				young.ptr, q->older_than_text ? q->older_than_text : "the limit");
	buf_release(&active);
	buf_release(&young);
	return rc;
}

static int select_runs(struct store *st, const struct store_gc_query *q, struct store_gc_plan *p, struct arena *a,
		       struct mlf_err *err)
{
	if (!q->n_run_ids) {
		if (q->n_experiment_ids)
			return 0;
		return GC(st)->deleted_runs(st, p->has_cutoff, p->cutoff, &p->runs, &p->n_runs, a, err);
	}
	p->runs = arena_alloc(a, q->n_run_ids * sizeof(*p->runs));
	for (size_t i = 0; i < q->n_run_ids; i++) {
		if (listed(q->run_ids, i, q->run_ids[i]))
			continue;
		struct store_gc_run *r = &p->runs[p->n_runs];
		bool found;
		if (GC(st)->run_find(st, q->run_ids[i], r, &found, a, err) < 0)
			return -1;
		if (!found)
			return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Run '%s' not found", q->run_ids[i]);
		if (strcmp(r->lifecycle_stage, "deleted") != 0)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "Run %s is not in `deleted` lifecycle stage. Only runs in `deleted` lifecycle "
					  "stage can be deleted.",
					  r->run_id);
		if (p->has_cutoff && !(r->deleted_time && r->deleted_time <= p->cutoff))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "Run %s is not older than the required age. Only runs older than %s can be "
					  "deleted.",
					  r->run_id, q->older_than_text ? q->older_than_text : "the limit");
		p->n_runs++;
	}
	return 0;
}

int store_gc_select(struct store *st, const struct store_gc_query *q, struct store_gc_plan *out, struct arena *a,
		    struct mlf_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!GC(st))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "this backend store cannot delete runs permanently");
	out->has_cutoff = q->has_older_than;
	out->cutoff = q->now_ms - q->older_than_ms;
	if (select_experiments(st, q, out, a, err) < 0 || select_runs(st, q, out, a, err) < 0)
		return -1;
	out->experiment_runs = arena_alloc(a, (out->n_experiments + 1) * sizeof(*out->experiment_runs));
	out->n_experiment_runs = arena_alloc(a, (out->n_experiments + 1) * sizeof(*out->n_experiment_runs));
	for (size_t i = 0; i < out->n_experiments; i++)
		if (GC(st)->experiment_runs(st, out->experiments[i].id, &out->experiment_runs[i],
					    &out->n_experiment_runs[i], a, err) < 0)
			return -1;
	/* a run of a collected experiment goes with it, once */
	size_t kept = 0;
	for (size_t i = 0; i < out->n_runs; i++) {
		bool with_experiment = false;
		for (size_t j = 0; j < out->n_experiments; j++)
			with_experiment |= out->experiments[j].id == out->runs[i].experiment_id;
		if (!with_experiment)
			out->runs[kept++] = out->runs[i];
	}
	out->n_runs = kept;
	return 0;
}

/* ---- what stays: kept paths ------------------------------------------------------- */

/* `uri` in one spelling for comparisons: mlflow-artifacts://host:port/x
 * and mlflow-artifacts:///x are mlflow-artifacts:/x, file:///x is /x, no
 * trailing slash. In `a`. */
static const char *canonical(const char *uri, struct arena *a)
{
	static const char proxy[] = "mlflow-artifacts:", file[] = "file://";
	const char *rest = uri;
	const char *scheme = "";
	if (!strncmp(uri, proxy, sizeof(proxy) - 1)) {
		rest = uri + sizeof(proxy) - 1;
		if (!strncmp(rest, "//", 2)) {
			const char *slash = strchr(rest + 2, '/');
			rest = slash ? slash : "";
		}
		scheme = "mlflow-artifacts:";
	} else if (!strncmp(uri, file, sizeof(file) - 1)) {
		rest = uri + sizeof(file) - 1;
		if (!strncmp(rest, "localhost/", 10))
			rest += 9;
	}
	while (rest[0] == '/' && rest[1] == '/')
		rest++;
	size_t n = strlen(rest);
	while (n > 1 && rest[n - 1] == '/')
		n--;
	return arena_printf(a, "%s%s%.*s", scheme, *scheme && *rest != '/' ? "/" : "", (int)n, rest);
}

/* The path of `loc` beneath `root` (both canonical): "" for the root
 * itself, NULL when it is not beneath it. */
static const char *beneath(const char *root, const char *loc)
{
	size_t n = strlen(root);
	if (strncmp(root, loc, n) != 0)
		return NULL;
	if (!loc[n])
		return "";
	if (loc[n] != '/' && !(n && root[n - 1] == '/'))
		return NULL;
	while (loc[n] == '/')
		n++;
	return loc + n;
}

static void add_keep(struct store_gc_target *t, size_t cap, const char *rel, const struct store_gc_version *v,
		     struct arena *a)
{
	for (size_t i = 0; i < t->n_keep; i++)
		if (!strcmp(t->keep[i], rel))
			return;
	if (t->n_keep < cap) {
		t->keep[t->n_keep] = rel;
		t->keep_why[t->n_keep++] = arena_printf(a, "model %s version %lld", v->model_name, (long long)v->version);
	}
}

static void init_target(struct store_gc_target *t, const char *uri, const char *what, size_t cap, struct arena *a)
{
	t->uri = uri;
	t->what = what;
	t->keep = arena_alloc(a, (cap + 1) * sizeof(*t->keep));
	t->keep_why = arena_alloc(a, (cap + 1) * sizeof(*t->keep_why));
	t->n_keep = 0;
}

/* The targets of a purge and the paths the versions keep; sets each
 * version's new_storage_location where a runs:/ source of the run could
 * no longer be resolved once it is gone. */
static int build_targets(const struct store_gc_run *run, const struct store_gc_logged *models, size_t n_models,
			 struct store_gc_version *versions, size_t n_versions, struct store_gc_target **out, size_t *n,
			 struct arena *a)
{
	size_t cap = 2 * n_versions;
	struct store_gc_target *t = arena_alloc(a, (n_models + 2) * sizeof(*t));
	size_t nt = 0;
	if (run && run->artifact_uri && *run->artifact_uri)
		init_target(&t[nt++], run->artifact_uri, arena_printf(a, "run %s", run->run_id), cap, a);
	for (size_t i = 0; i < n_models; i++)
		if (models[i].artifact_location && *models[i].artifact_location)
			init_target(&t[nt++], models[i].artifact_location,
				    arena_printf(a, "logged model %s", models[i].model_id), cap, a);
	for (size_t i = 0; i < n_versions; i++) {
		struct store_gc_version *v = &versions[i];
		bool has_storage = v->storage_location && *v->storage_location;
		/* both places count: whichever of them lies under a target is kept */
		const char *loc = canonical(v->source, a);
		const char *stored = has_storage ? canonical(v->storage_location, a) : NULL;
		if (run && !has_storage) { /* runs:/<id>[/path] */
			size_t idn = strlen(run->run_id);
			const char *s = v->source;
			if (!strncmp(s, "runs:/", 6) && !strncmp(s + 6, run->run_id, idn) &&
			    (s[6 + idn] == '/' || !s[6 + idn]) && nt && t[0].uri == run->artifact_uri) {
				const char *rel = s + 6 + idn;
				while (*rel == '/')
					rel++;
				size_t rn = strlen(rel);
				while (rn && rel[rn - 1] == '/')
					rn--;
				rel = arena_strndup(a, rel, rn);
				add_keep(&t[0], cap, rel, v, a);
				v->new_storage_location = *rel ? arena_printf(a, "%s/%s", run->artifact_uri, rel)
							       : run->artifact_uri;
				continue;
			}
		}
		for (size_t j = 0; j < nt; j++) {
			const char *root = canonical(t[j].uri, a);
			const char *rel = beneath(root, loc), *rel_stored = stored ? beneath(root, stored) : NULL;
			if (rel)
				add_keep(&t[j], cap, rel, v, a);
			if (rel_stored)
				add_keep(&t[j], cap, rel_stored, v, a);
		}
	}
	*out = t;
	*n = nt;
	return 0;
}

struct prepare_ctx {
	store_gc_artifacts_fn fn;
	void *ctx;
};

static int prepare(void *pctx, const struct store_gc_run *run, const struct store_gc_logged *models, size_t n_models,
		   struct store_gc_version *versions, size_t n_versions, struct arena *a, struct mlf_err *err)
{
	struct prepare_ctx *pc = pctx;
	struct store_gc_target *t;
	size_t n;
	build_targets(run, models, n_models, versions, n_versions, &t, &n, a);
	return pc->fn(pc->ctx, t, n, err);
}

int store_gc_targets(struct store *st, const struct store_gc_run *run, int64_t experiment_id,
		     struct store_gc_target **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct store_gc_logged *models;
	struct store_gc_version *versions;
	size_t n_models, n_versions;
	if (GC(st)->dependents(st, run ? run->run_id : NULL, experiment_id, run ? run->artifact_uri : NULL, &models,
			       &n_models, &versions, &n_versions, a, err) < 0)
		return -1;
	return build_targets(run, models, n_models, versions, n_versions, out, n, a);
}

int store_gc_purge_run(struct store *st, const struct store_gc_plan *p, const char *run_id, int64_t in_experiment,
		       store_gc_artifacts_fn fn, void *ctx, enum store_gc_outcome *outcome, struct mlf_err *err)
{
	struct prepare_ctx pc = { fn, ctx };
	bool cutoff = in_experiment < 0 && p->has_cutoff;
	return GC(st)->purge_run(st, run_id, in_experiment, cutoff, p->cutoff, prepare, &pc, outcome, err);
}

int store_gc_purge_experiment(struct store *st, int64_t experiment_id, store_gc_artifacts_fn fn, void *ctx,
			      enum store_gc_outcome *outcome, struct mlf_err *err)
{
	struct prepare_ctx pc = { fn, ctx };
	return GC(st)->purge_experiment(st, experiment_id, prepare, &pc, outcome, err);
}

int store_gc_usage(struct store *st, struct store_gc_usage *out, struct arena *a, struct mlf_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!GC(st))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "this backend store cannot report its usage");
	return GC(st)->usage(st, out, a, err);
}
