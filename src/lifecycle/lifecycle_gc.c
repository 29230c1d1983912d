/*
 * lifecycle_gc.c - gc's file work: what a purge deletes, what a dry run
 * sizes, and the purge of a plan (store_gc.h chooses what may go; this file
 * deletes each target's files but the paths a registered model version
 * still uses, which are reported, one line each). A run whose files cannot
 * be reached keeps its rows (reported), so no row ever outlives files it
 * names only because they were left behind. See lifecycle.h.
 */
#include "lifecycle.h"
#include "../artifact/artifact.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(struct lifecycle_artifacts *g, const char *fmt, ...) MLF_PRINTF(2, 3);
static void say(struct lifecycle_artifacts *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lifecycle_vsay(&g->out, LIFECYCLE_INFO, fmt, ap);
	va_end(ap);
}

static int fail(struct lifecycle_artifacts *g, const char *what, const struct mlf_err *err)
{
	lifecycle_say(&g->out, LIFECYCLE_ERROR, "gc: %s%s%s", what ? what : "", what ? ": " : "", err->msg);
	return 1;
}

static int drop(struct lifecycle_artifacts *g, struct artifact_repo *r, const char *path, uint64_t file_size,
		bool is_dir, struct arena *a, struct mlf_err *err)
{
	uint64_t bytes = is_dir ? 0 : file_size;
	if (is_dir && lifecycle_artifacts_tree_bytes(r, path, &bytes, a, err) < 0)
		return -1;
	g->bytes += bytes;
	return g->dry_run ? 0 : r->ops->remove(r, path, err);
}

/* Whether `rel` is kept (a kept path or beneath one: 1) or holds one (2). */
int lifecycle_gc_kept_state(const struct store_gc_target *t, const char *rel)
{
	size_t n = strlen(rel);
	int state = 0;
	for (size_t i = 0; i < t->n_keep; i++) {
		const char *k = t->keep[i];
		size_t kn = strlen(k);
		if (!kn || (!strncmp(k, rel, kn) && (rel[kn] == '/' || !rel[kn])))
			return 1;
		if (!strncmp(k, rel, n) && (!n || k[n] == '/'))
			state = 2;
	}
	return state;
}

/* Deletes what is beneath `dir` (rel: its path below the target) but the kept paths. */
static int prune(struct lifecycle_artifacts *g, const struct store_gc_target *t, struct artifact_repo *r,
		 const char *dir, const char *rel, struct arena *a, struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (r->ops->list(r, dir, &e, &n, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *path = lifecycle_artifacts_child(dir, e[i].path, a);
		const char *crel = lifecycle_artifacts_child(rel, e[i].path, a);
		int state = lifecycle_gc_kept_state(t, crel);
		if (state == 1)
			continue;
		if (state == 2 && e[i].is_dir) {
			if (prune(g, t, r, path, crel, a, err) < 0)
				return -1;
			continue;
		}
		if (drop(g, r, path, (uint64_t)(e[i].size > 0 ? e[i].size : 0), e[i].is_dir, a, err) < 0)
			return -1;
	}
	return 0;
}

/* Removes `path`'s parent when `path` ends in /artifacts and the parent is
 * left empty: the <run>/ or models/<id>/ directory the server made. */
static void drop_empty_parent(struct lifecycle_artifacts *g, struct artifact_repo *r, const char *path, struct arena *a)
{
	size_t n = strlen(path), tail = strlen("/artifacts");
	if (g->dry_run || n <= tail || strcmp(path + n - tail, "/artifacts") != 0)
		return;
	struct mlf_err ignored;
	const char *parent = arena_strndup(a, path, n - tail);
	struct artifact_entry *e;
	size_t k;
	if (r->ops->list(r, parent, &e, &k, a, &ignored) == 0 && k == 0)
		r->ops->remove(r, parent, &ignored);
}

/* After its experiment went: removes the experiment's directory when
 * nothing is left in it but an empty models/ (what the server made). */
static void drop_experiment_dir(struct lifecycle_artifacts *g, const char *location)
{
	struct arena a = ARENA_INIT;
	struct mlf_err ignored;
	struct artifact_repo *r;
	const char *path;
	struct artifact_entry *e, *m;
	size_t n, k = 0;
	if (!location || !*location || lifecycle_artifacts_resolve(g, location, &r, &path, &a, &ignored) < 0 || !r ||
	    !*path || r->ops->list(r, path, &e, &n, &a, &ignored) < 0)
		goto out;
	if (n == 1 && e[0].is_dir && !strcmp(lifecycle_artifacts_child("", e[0].path, &a), "models")) {
		const char *models = lifecycle_artifacts_child(path, e[0].path, &a);
		if (r->ops->list(r, models, &m, &k, &a, &ignored) < 0 || k || r->ops->remove(r, models, &ignored) < 0)
			goto out;
		n = 0;
	}
	if (n == 0)
		r->ops->remove(r, path, &ignored);
out:
	arena_release(&a);
}

static int delete_target(struct lifecycle_artifacts *g, const struct store_gc_target *t, struct arena *a,
			 struct mlf_err *err)
{
	struct artifact_repo *r;
	const char *path;
	if (lifecycle_artifacts_resolve(g, t->uri, &r, &path, a, err) < 0)
		return -1;
	for (size_t i = 0; i < t->n_keep; i++) {
		if (!g->quiet)
			say(g, "%s %s%s%s (used by %s)", g->dry_run ? "would keep" : "kept", t->uri,
			    *t->keep[i] ? "/" : "", t->keep[i], t->keep_why[i]);
		g->kept++;
	}
	if (!r)
		return 0;
	if (!*path) /* a run or model whose location is a whole store: never delete the store */
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "'%s' of %s is the root of an artifact store: refusing to delete it", t->uri,
				  t->what);
	if (!t->n_keep) {
		if (drop(g, r, path, 0, true, a, err) < 0)
			return -1;
		drop_empty_parent(g, r, path, a);
		return 0;
	}
	return prune(g, t, r, path, "", a, err);
}

static int delete_targets(void *ctx, const struct store_gc_target *t, size_t n, struct mlf_err *err)
{
	struct lifecycle_artifacts *g = ctx;
	struct arena a = ARENA_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = delete_target(g, &t[i], &a, err);
	arena_release(&a);
	return rc;
}

static const char *outcome_words(enum store_gc_outcome o)
{
	static const char *const words[] = {
		[STORE_GC_PURGED] = "purged",
		[STORE_GC_SKIPPED_RESTORED] = "restored since it was listed: kept",
		[STORE_GC_SKIPPED_GONE] = "already gone",
		[STORE_GC_SKIPPED_YOUNG] = "deleted again since it was listed, now too recently: kept",
		[STORE_GC_SKIPPED_BUSY] = "still has runs: kept",
	};
	return words[o];
}

/* Sizes what one run (r) or an experiment's own logged models (r NULL)
 * would free; prints it unless quiet. */
static int plan_one(struct store *st, const struct store_gc_run *r, int64_t experiment_id,
		    struct lifecycle_artifacts *g, struct arena *a)
{
	struct mlf_err err;
	struct store_gc_target *t;
	size_t nt;
	uint64_t before = g->bytes;
	if (store_gc_targets(st, r, r ? -1 : experiment_id, &t, &nt, a, &err) < 0 || delete_targets(g, t, nt, &err) < 0)
		return fail(g, r ? r->run_id : "experiment", &err);
	if (r && !g->quiet)
		say(g, "would delete run %s (%llu bytes of artifacts)", r->run_id,
		    (unsigned long long)(g->bytes - before));
	return 0;
}

int lifecycle_gc_dry_run(struct store *st, const struct store_gc_plan *p, struct lifecycle_artifacts *g)
{
	int status = 0;
	struct arena a = ARENA_INIT;
	g->n_runs = g->n_experiments = 0;
	for (size_t i = 0; i < p->n_runs; i++) {
		status |= plan_one(st, &p->runs[i], -1, g, &a);
		g->n_runs++;
	}
	for (size_t e = 0; e < p->n_experiments; e++) {
		const struct store_experiment *x = &p->experiments[e];
		size_t active = 0, n = p->n_experiment_runs[e];
		for (size_t i = 0; i < n; i++)
			active += strcmp(p->experiment_runs[e][i].lifecycle_stage, "deleted") != 0;
		if (!g->quiet && active)
			say(g, "would keep experiment %lld '%s': %zu of its %zu runs are active", (long long)x->id,
			    x->name, active, n);
		else if (!g->quiet)
			say(g, "would delete experiment %lld '%s' with %zu runs", (long long)x->id, x->name, n);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(p->experiment_runs[e][i].lifecycle_stage, "deleted") != 0)
				continue; /* restored inside the deleted experiment: it stays, and so does the experiment */
			status |= plan_one(st, &p->experiment_runs[e][i], -1, g, &a);
			g->n_runs++;
		}
		if (!active) {
			status |= plan_one(st, NULL, x->id, g, &a);
			g->n_experiments++;
		}
	}
	if (!g->quiet)
		say(g,
		    "dry run: %zu experiments and %zu runs would be deleted, %llu bytes of artifacts freed, %llu paths "
		    "kept",
		    g->n_experiments, g->n_runs, (unsigned long long)g->bytes, (unsigned long long)g->kept);
	arena_release(&a);
	return status;
}

int lifecycle_gc_purge(struct store *st, const struct store_gc_plan *p, struct lifecycle_artifacts *g)
{
	int status = 0;
	size_t runs = 0, experiments = 0;
	struct mlf_err err;
	enum store_gc_outcome o;
	for (size_t i = 0; i < p->n_runs; i++) {
		if (store_gc_purge_run(st, p, p->runs[i].run_id, -1, delete_targets, g, &o, &err) < 0) {
			status = fail(g, p->runs[i].run_id, &err);
			continue;
		}
		if (o == STORE_GC_PURGED) {
			say(g, "Run with ID %s has been permanently deleted.", p->runs[i].run_id);
			runs++;
		} else {
			say(g, "Run with ID %s: %s", p->runs[i].run_id, outcome_words(o));
		}
	}
	for (size_t e = 0; e < p->n_experiments; e++) {
		int64_t id = p->experiments[e].id;
		bool ok = true;
		for (size_t i = 0; i < p->n_experiment_runs[e]; i++) {
			const char *run_id = p->experiment_runs[e][i].run_id;
			if (strcmp(p->experiment_runs[e][i].lifecycle_stage, "deleted") != 0) {
				say(g, "Run with ID %s is active: kept, and so is experiment %lld", run_id,
				    (long long)id);
				ok = false;
				continue;
			}
			if (store_gc_purge_run(st, p, run_id, id, delete_targets, g, &o, &err) < 0) {
				status = fail(g, run_id, &err);
				ok = false;
				continue;
			}
			if (o == STORE_GC_PURGED) {
				say(g, "Run with ID %s has been permanently deleted.", run_id);
				runs++;
			} else {
				say(g, "Run with ID %s: %s", run_id, outcome_words(o));
			}
		}
		if (!ok) { /* its row goes once every run has (the purge checks that too) */
			say(g, "Experiment with ID %lld: %s", (long long)id, outcome_words(STORE_GC_SKIPPED_BUSY));
			continue;
		}
		if (store_gc_purge_experiment(st, id, delete_targets, g, &o, &err) < 0) {
			status = fail(g, "experiment", &err);
			continue;
		}
		if (o == STORE_GC_PURGED) {
			drop_experiment_dir(g, p->experiments[e].artifact_location);
			say(g, "Experiment with ID %lld has been permanently deleted.", (long long)id);
			experiments++;
		} else {
			say(g, "Experiment with ID %lld: %s", (long long)id, outcome_words(o));
		}
	}
	say(g, "gc: %zu experiments and %zu runs permanently deleted, %llu bytes of artifacts freed, %llu paths kept",
	    experiments, runs, (unsigned long long)g->bytes, (unsigned long long)g->kept);
	return status;
}
