/*
 * lifecycle_retention.c - applying retention policies (store_retention.h)
 * with their file work; see lifecycle.h. Run by `mlflowc gc
 * --apply-retention`, dry by `mlflowc retention show`, and by the server:
 * on a schedule (--retention-interval) and, dry, for the preview the UI
 * shows.
 *
 * Applying a policy to an experiment: (1) active runs started more than
 * keep-days ago are soft-deleted unless they carry a keep tag or (with
 * --keep-registered) a live model version uses their files, each in its
 * own write transaction that checks again; gc then purges them as it
 * purges any deleted run. (2) Within each active run, the artifact paths
 * matching the prune pattern (fnmatch with FNM_PATHNAME on the run-relative
 * path; a matching directory is one entry) are deleted but for the K
 * greatest in byte order of their paths, and never a path a version uses,
 * while the write transaction is held so no version can be registered on
 * them meanwhile. (3) Archived versions updated more than
 * archived-versions-days ago have their files deleted or moved (copied,
 * then the originals deleted) and get a tombstone tag saying where they
 * went or when they were deleted; their source stays as it was.
 *
 * A dry run reads only (its checks run on the reader), so it is safe to
 * answer from a request handler.
 */
#include "lifecycle.h"
#include "../artifact/artifact.h"
#include "../artifact/artifact_path.h"
#include "../base/util.h"
#include "../store/store_retention.h"
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_MS 86400000LL

struct apply {
	struct store *st;
	struct lifecycle_artifacts *g;
	const struct lifecycle_retention_opts *opts;
	bool dry;
	int status;
	struct lifecycle_retention_result *res;
	/* dry: the runs it would have soft-deleted, which pruning then skips
	 * as the real application would (they are no longer active) */
	const char **aged;
	size_t n_aged, cap_aged;
	struct arena *a;
};

static void remember_aged(struct apply *ap, const char *run_id)
{
	if (ap->n_aged == ap->cap_aged) {
		size_t cap = ap->cap_aged ? 2 * ap->cap_aged : 16;
		const char **bigger = arena_alloc(ap->a, cap * sizeof(*bigger));
		if (ap->n_aged)
			memcpy(bigger, ap->aged, ap->n_aged * sizeof(*bigger));
		ap->aged = bigger;
		ap->cap_aged = cap;
	}
	ap->aged[ap->n_aged++] = arena_strdup(ap->a, run_id);
}

/* Adds `text` to one of the result's lists of at most opts->max_ids. */
static void listed(struct apply *ap, const char ***list, size_t *n, const char *text)
{
	size_t max = ap->opts->max_ids;
	if (*n >= max)
		return;
	if (!*list)
		*list = arena_alloc(ap->a, max * sizeof(**list));
	(*list)[(*n)++] = arena_strdup(ap->a, text);
}

/* Whether another thread asked the pass to end (it ends at the next step). */
static bool stopping(struct apply *ap)
{
	if (ap->opts->stop && atomic_load(ap->opts->stop))
		ap->res->stopped = true;
	return ap->res->stopped;
}

static void say(struct apply *ap, const char *fmt, ...) MLF_PRINTF(2, 3);
static void say(struct apply *ap, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	lifecycle_vsay(&ap->g->out, LIFECYCLE_INFO, fmt, args);
	va_end(args);
}

/* Bytes of the files at `uri`, when the pass measures (0 otherwise or when
 * they cannot be reached: the action itself says why). */
static uint64_t measured(struct apply *ap, const char *uri)
{
	uint64_t bytes = 0;
	struct mlf_err ignored;
	if (ap->dry && ap->opts->measure && uri && *uri)
		lifecycle_artifacts_size(ap->g, uri, &bytes, &ignored);
	return bytes;
}

static bool was_aged(const struct apply *ap, const char *run_id)
{
	for (size_t i = 0; i < ap->n_aged; i++)
		if (!strcmp(ap->aged[i], run_id))
			return true;
	return false;
}

static int failed(struct apply *ap, const char *what, const struct mlf_err *err)
{
	lifecycle_say(&ap->g->out, LIFECYCLE_ERROR, "retention: %s: %s", what, err->msg);
	ap->res->n_failed++;
	ap->status = 1;
	return -1;
}

static int registered_check(void *ctx, const struct store_retention_run *run, bool *keep, const char **why,
			    struct arena *a, struct mlf_err *err)
{
	struct apply *ap = ctx;
	return store_retention_run_used(ap->st, run, keep, why, a, err);
}

static void age_runs(struct apply *ap, const struct store_retention_policy *p, int64_t exp, int64_t now)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct store_retention_run *runs;
	size_t n;
	int64_t cutoff = now - p->keep_days * DAY_MS;
	if (store_retention_active_runs(ap->st, exp, true, cutoff, &runs, &n, &a, &err) < 0) {
		failed(ap, "runs", &err);
		goto out;
	}
	for (size_t i = 0; i < n && !stopping(ap); i++) {
		enum store_retention_outcome o;
		const char *why;
		if (store_retention_soft_delete_run(ap->st, runs[i].run_id, p, exp, cutoff, registered_check, ap,
						    ap->dry, &o, &why, &a, &err) < 0) {
			failed(ap, runs[i].run_id, &err);
			continue;
		}
		long long age = (long long)((now - runs[i].start_time) / DAY_MS);
		if (o == STORE_RETENTION_DONE) {
			say(ap, "retention: %s run %s of experiment %lld (started %lld days ago, keep-days %lld)",
			    ap->dry ? "would soft-delete" : "soft-deleted", runs[i].run_id, (long long)exp, age,
			    (long long)p->keep_days);
			ap->res->n_deleted++;
			ap->res->deleted_bytes += measured(ap, runs[i].artifact_uri);
			listed(ap, &ap->res->run_ids, &ap->res->n_run_ids, runs[i].run_id);
			if (ap->dry)
				remember_aged(ap, runs[i].run_id);
		} else if (o == STORE_RETENTION_CHANGED) {
			say(ap, "retention: run %s changed since it was listed: left alone", runs[i].run_id);
		} else {
			say(ap, "retention: %s run %s of experiment %lld (started %lld days ago; %s %s)",
			    ap->dry ? "would keep" : "kept", runs[i].run_id, (long long)exp, age,
			    o == STORE_RETENTION_KEPT_TAG ? "has" : "used by", why ? why : "");
			ap->res->n_kept++;
		}
	}
out:
	arena_release(&a);
}

/* One matching entry of a prune. */
struct match {
	const char *rel;  /* below the run's artifact URI */
	const char *path; /* in the repo */
	bool is_dir;
	uint64_t size; /* a file's bytes */
};

struct prune_job {
	struct apply *ap;
	const struct store_retention_policy *p;
	const struct store_retention_run *run;
	struct arena *a;
	struct match *m;
	size_t n, cap;
};

static int collect(struct prune_job *j, struct artifact_repo *r, const char *dir, const char *rel, unsigned depth,
		   struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (depth > 64)
		return 0;
	if (r->ops->list(r, dir, &e, &n, j->a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = strrchr(e[i].path, '/');
		name = name ? name + 1 : e[i].path;
		const char *path = *dir ? arena_printf(j->a, "%s/%s", dir, name) : arena_strdup(j->a, name);
		const char *crel = *rel ? arena_printf(j->a, "%s/%s", rel, name) : arena_strdup(j->a, name);
		if (fnmatch(j->p->prune, crel, FNM_PATHNAME | FNM_PERIOD) == 0) {
			if (j->n == j->cap) {
				size_t cap = j->cap ? 2 * j->cap : 16;
				struct match *bigger = arena_alloc(j->a, cap * sizeof(*bigger));
				if (j->n)
					memcpy(bigger, j->m, j->n * sizeof(*bigger));
				j->m = bigger;
				j->cap = cap;
			}
			j->m[j->n++] =
				(struct match){ crel, path, e[i].is_dir, e[i].size > 0 ? (uint64_t)e[i].size : 0 };
		} else if (e[i].is_dir && collect(j, r, path, crel, depth + 1, err) < 0) {
			return -1;
		}
	}
	return 0;
}

static int by_rel(const void *pa, const void *pb)
{
	return strcmp(((const struct match *)pa)->rel, ((const struct match *)pb)->rel);
}

static int prune_run(void *ctx, struct mlf_err *err)
{
	struct prune_job *j = ctx;
	struct apply *ap = j->ap;
	struct store_gc_target t = { .uri = j->run->artifact_uri, .what = "run" };
	struct artifact_repo *r;
	const char *path;
	if (store_retention_run_kept(ap->st, j->run, &t.keep, &t.keep_why, &t.n_keep, j->a, err) < 0 ||
	    lifecycle_artifacts_resolve(ap->g, j->run->artifact_uri, &r, &path, j->a, err) < 0)
		return -1;
	if (!r)
		return 0;
	if (collect(j, r, path, "", 0, err) < 0)
		return -1;
	if (j->n)
		qsort(j->m, j->n, sizeof(*j->m), by_rel);
	size_t keep_from = j->n > (size_t)j->p->keep_last ? j->n - (size_t)j->p->keep_last : 0;
	for (size_t i = 0; i < keep_from; i++) {
		const char *uri = j->run->artifact_uri, *rel = j->m[i].rel;
		int state = lifecycle_gc_kept_state(&t, rel);
		if (state) {
			const char *why = "a model version";
			for (size_t k = 0; k < t.n_keep; k++) {
				size_t kn = strlen(t.keep[k]);
				if (!kn || !strncmp(t.keep[k], rel, kn) || !strncmp(t.keep[k], rel, strlen(rel)))
					why = t.keep_why[k];
			}
			say(ap, "retention: %s %s/%s (run %s; used by %s)", ap->dry ? "would keep" : "kept", uri, rel,
			    j->run->run_id, why);
			continue;
		}
		if (!ap->dry && r->ops->remove(r, j->m[i].path, err) < 0)
			return -1;
		say(ap, "retention: %s %s/%s (run %s; %s, keep-last %lld)", ap->dry ? "would prune" : "pruned", uri,
		    rel, j->run->run_id, j->p->prune, (long long)j->p->keep_last);
		const char *full = arena_printf(j->a, "%s/%s", uri, rel);
		ap->res->n_pruned++;
		if (j->m[i].is_dir)
			ap->res->pruned_bytes += measured(ap, full);
		else if (ap->dry && ap->opts->measure)
			ap->res->pruned_bytes += j->m[i].size;
		listed(ap, &ap->res->paths, &ap->res->n_paths, full);
	}
	return 0;
}

static void prune_runs(struct apply *ap, const struct store_retention_policy *p, int64_t exp)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct store_retention_run *runs;
	size_t n;
	if (store_retention_active_runs(ap->st, exp, false, 0, &runs, &n, &a, &err) < 0) {
		failed(ap, "runs", &err);
		goto out;
	}
	for (size_t i = 0; i < n && !stopping(ap); i++) {
		if (was_aged(ap, runs[i].run_id))
			continue;
		struct arena ja = ARENA_INIT;
		struct prune_job j = { .ap = ap, .p = p, .run = &runs[i], .a = &ja };
		/* deletes happen while the write transaction is held: no version
		 * can be registered on a path between the check and the delete */
		int rc = ap->dry ? prune_run(&j, &err) : store_retention_locked(ap->st, prune_run, &j, &err);
		if (rc < 0)
			failed(ap, runs[i].run_id, &err);
		arena_release(&ja);
	}
out:
	arena_release(&a);
}

/* ---- archived versions ---- */

struct tomb_job {
	struct apply *ap;
	const struct store_retention_policy *p;
	const char *uri; /* the version's files */
	int64_t now;
};

/* Copies the file `src` of `from` to `dst` of `to`, written with
 * `storage_class` when not NULL (S3 only). */
static int copy_file(struct artifact_repo *from, const char *src, struct artifact_repo *to, const char *dst,
		     const char *storage_class, struct mlf_err *err)
{
	struct artifact_download dl;
	struct artifact_upload *up;
	if (storage_class && !to->ops->upload_set_storage_class)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "a %s store has no storage classes (%s)",
				  to->ops->scheme, storage_class);
	if (from->ops->download_open(from, src, &dl, err) < 0)
		return -1;
	int begun = to->ops->upload_begin(to, dst, &up, err);
	if (begun == 0 && storage_class && to->ops->upload_set_storage_class(up, storage_class, err) < 0) {
		to->ops->upload_abort(up);
		begun = -1;
	}
	if (begun < 0) {
		if (dl.fd >= 0)
			close(dl.fd);
		else
			dl.close(dl.ctx);
		return -1;
	}
	char buf[65536];
	uint64_t pos = 0;
	int rc = 0;
	for (;;) {
		ssize_t got = dl.fd >= 0 ? read(dl.fd, buf, sizeof(buf)) : dl.read(dl.ctx, pos, buf, sizeof(buf));
		if (got < 0 && dl.fd >= 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "could not read '%s'", src);
			break;
		}
		if (got == 0)
			break;
		int werr = to->ops->upload_write(up, buf, (size_t)got);
		if (werr) {
			rc = artifact_errno_error(werr, "write", dst, err);
			break;
		}
		pos += (uint64_t)got;
	}
	if (dl.fd >= 0)
		close(dl.fd);
	else
		dl.close(dl.ctx);
	if (rc < 0) {
		to->ops->upload_abort(up);
		return -1;
	}
	return to->ops->upload_commit(up, err);
}

/* Copies the tree at `src` (a directory, or one file) to `dst`; *copied
 * counts the files. */
static int copy_tree(struct artifact_repo *from, const char *src, struct artifact_repo *to, const char *dst,
		     const char *storage_class, size_t *copied, unsigned depth, struct arena *a, struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (depth > 64)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is nested too deeply", src);
	if (from->ops->list(from, src, &e, &n, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = strrchr(e[i].path, '/');
		name = name ? name + 1 : e[i].path;
		const char *s = *src ? arena_printf(a, "%s/%s", src, name) : name;
		const char *d = arena_printf(a, "%s/%s", dst, name);
		int rc = e[i].is_dir ? copy_tree(from, s, to, d, storage_class, copied, depth + 1, a, err)
				     : copy_file(from, s, to, d, storage_class, err);
		if (rc < 0)
			return -1;
		*copied += !e[i].is_dir;
	}
	return 0;
}

static int tomb_files(void *ctx, const struct store_retention_version *v, struct store_retention_tombstone *tomb,
		      struct arena *a, struct mlf_err *err)
{
	struct tomb_job *j = ctx;
	struct artifact_repo *r;
	const char *path;
	if (lifecycle_artifacts_resolve(j->ap->g, j->uri, &r, &path, a, err) < 0)
		return -1;
	if (r && !*path)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is the root of an artifact store", j->uri);
	if (!strcmp(j->p->archived_action, "move")) {
		struct artifact_repo *to = artifact_open(j->p->move_to, err);
		if (!to)
			return -1;
		const char *dst = arena_printf(a, "%s/%lld", v->model_name, (long long)v->version);
		const char *cls = j->p->move_storage_class;
		size_t copied = 0;
		int rc = artifact_path_validate(dst, err);
		if (rc == 0 && r) {
			rc = copy_tree(r, path, to, dst, cls, &copied, 0, a, err);
			if (rc == 0 && copied == 0) { /* one file, or nothing */
				const char *base = strrchr(path, '/');
				struct mlf_err missing;
				rc = copy_file(r, path, to, arena_printf(a, "%s/%s", dst, base ? base + 1 : path), cls,
					       &missing);
				if (rc < 0 && missing.code != MLF_RESOURCE_DOES_NOT_EXIST) {
					*err = missing;
					rc = -1;
				} else {
					rc = 0;
				}
			}
		}
		artifact_close(to);
		if (rc < 0)
			return -1;
		size_t pn = strlen(j->p->move_to);
		while (pn && j->p->move_to[pn - 1] == '/')
			pn--;
		tomb->tags[0].key = STORE_RETENTION_MOVED_TAG;
		tomb->tags[0].value = arena_printf(a, "%.*s/%s", (int)pn, j->p->move_to, dst);
		if (cls) {
			tomb->tags[1].key = STORE_RETENTION_STORAGE_CLASS_TAG;
			tomb->tags[1].value = cls;
		}
	} else {
		tomb->tags[0].key = STORE_RETENTION_DELETED_TAG;
		tomb->tags[0].value = arena_printf(a, "%lld", (long long)j->now);
	}
	/* the originals go last: a failed copy leaves them where they were */
	return r ? r->ops->remove(r, path, err) : 0;
}

/* The place a version's files are read from (in `a`), or NULL (with *why). */
static const char *version_files(const struct store_retention_version *v, const char **why, struct arena *a)
{
	const char *loc = v->storage_location && *v->storage_location ? v->storage_location : v->source;
	if (!loc || !*loc) {
		*why = "it has no source";
		return NULL;
	}
	if (!strncmp(loc, "runs:/", 6)) {
		const char *id = loc + 6, *slash = strchr(id, '/');
		if (!v->run_artifact_uri) {
			*why = "its run is gone";
			return NULL;
		}
		if (strlen(v->run_id) != (slash ? (size_t)(slash - id) : strlen(id)) ||
		    strncmp(v->run_id, id, strlen(v->run_id)) != 0) {
			*why = "its runs:/ source names another run";
			return NULL;
		}
		return arena_printf(a, "%s%s", v->run_artifact_uri, slash && slash[1] ? slash : "");
	}
	if (!strncmp(loc, "models:/", 8)) {
		*why = "its source is another registered model";
		return NULL;
	}
	return loc;
}

/* Counts (and, measuring, sizes) a version whose files went or would go. */
static void version_done(struct apply *ap, const struct store_retention_version *v, const char *uri)
{
	ap->res->n_versions++;
	ap->res->version_bytes += measured(ap, uri);
	listed(ap, &ap->res->versions, &ap->res->n_versions_listed,
	       arena_printf(ap->a, "%s/%lld", v->model_name, (long long)v->version));
}

static void archived_versions(struct apply *ap, int64_t only_experiment, int64_t now)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct store_retention_version *v;
	size_t n;
	if (store_retention_archived_versions(ap->st, now, &v, &n, &a, &err) < 0) {
		failed(ap, "archived versions", &err);
		goto out;
	}
	for (size_t i = 0; i < n && !stopping(ap); i++) {
		int64_t exp = v[i].run_experiment_id;
		if (only_experiment >= 0 && exp != only_experiment)
			continue;
		struct store_retention_policy p;
		bool found;
		int64_t governing = exp >= 0 ? exp : STORE_RETENTION_DEFAULT;
		if (store_retention_effective(ap->st, governing, &p, &found, &a, &err) < 0) {
			failed(ap, v[i].model_name, &err);
			continue;
		}
		int64_t cutoff = now - p.archived_days * DAY_MS;
		if (!found || p.archived_days < 0 || v[i].last_updated_time >= cutoff)
			continue;
		const char *why = NULL, *uri = version_files(&v[i], &why, &a);
		if (!uri) {
			say(ap, "retention: %s model %s version %lld as it is (%s)", ap->dry ? "would leave" : "left",
			    v[i].model_name, (long long)v[i].version, why);
			continue;
		}
		/* a live version besides this one using the same files keeps them (gc's rule) */
		if (v[i].run_artifact_uri) {
			struct store_retention_run run = { .run_id = v[i].run_id,
							   .experiment_id = exp,
							   .artifact_uri = v[i].run_artifact_uri };
			struct store_gc_target t = { .uri = run.artifact_uri };
			const char *self =
				arena_printf(&a, "model %s version %lld", v[i].model_name, (long long)v[i].version);
			const char *other = NULL;
			if (store_retention_run_kept(ap->st, &run, &t.keep, &t.keep_why, &t.n_keep, &a, &err) < 0) {
				failed(ap, v[i].model_name, &err);
				continue;
			}
			size_t rn = strlen(run.artifact_uri);
			const char *rel = !strncmp(uri, run.artifact_uri, rn) && (uri[rn] == '/' || !uri[rn])
						  ? uri + rn + (uri[rn] == '/')
						  : NULL;
			for (size_t k = 0; rel && k < t.n_keep && !other; k++) {
				if (!strcmp(t.keep_why[k], self))
					continue;
				struct store_gc_target one = { .keep = &t.keep[k],
							       .keep_why = &t.keep_why[k],
							       .n_keep = 1 };
				if (lifecycle_gc_kept_state(&one, rel))
					other = t.keep_why[k];
			}
			if (other) {
				say(ap, "retention: %s files of model %s version %lld (%s; also used by %s)",
				    ap->dry ? "would keep" : "kept", v[i].model_name, (long long)v[i].version, uri,
				    other);
				continue;
			}
		}
		bool move = !strcmp(p.archived_action, "move");
		const char *to = !move ? ""
			       : p.move_storage_class
				       ? arena_printf(&a, " to %s (storage class %s)", p.move_to, p.move_storage_class)
				       : arena_printf(&a, " to %s", p.move_to);
		if (ap->dry) {
			say(ap, "retention: would %s files of archived model %s version %lld (%s)%s",
			    move ? "move" : "delete", v[i].model_name, (long long)v[i].version, uri, to);
			version_done(ap, &v[i], uri);
			continue;
		}
		struct tomb_job j = { ap, &p, uri, now };
		enum store_retention_outcome o;
		if (store_retention_tombstone_version(ap->st, v[i].model_name, v[i].version, cutoff, tomb_files, &j, &o,
						      &err) < 0) {
			failed(ap, arena_printf(&a, "model %s version %lld", v[i].model_name, (long long)v[i].version),
			       &err);
			continue;
		}
		if (o == STORE_RETENTION_DONE) {
			say(ap, "retention: %s files of archived model %s version %lld (%s)%s",
			    move ? "moved" : "deleted", v[i].model_name, (long long)v[i].version, uri, to);
			version_done(ap, &v[i], uri);
		} else {
			say(ap, "retention: model %s version %lld changed since it was listed: left alone",
			    v[i].model_name, (long long)v[i].version);
		}
	}
out:
	arena_release(&a);
}

int lifecycle_retention_apply(struct store *st, struct lifecycle_artifacts *g,
			      const struct lifecycle_retention_opts *opts, struct lifecycle_retention_result *res,
			      struct arena *a)
{
	*res = (struct lifecycle_retention_result){ 0 };
	struct apply ap = { .st = st, .g = g, .opts = opts, .dry = opts->dry, .res = res, .a = a };
	struct mlf_err err;
	int64_t *ids, now = util_now_ms(), only_experiment = opts->only_experiment;
	size_t n;
	bool dry = opts->dry;
	if (store_retention_active_experiments(st, &ids, &n, a, &err) < 0) {
		failed(&ap, "experiments", &err);
		return ap.status;
	}
	for (size_t i = 0; i < n && !stopping(&ap); i++) {
		if (only_experiment >= 0 && ids[i] != only_experiment)
			continue;
		struct store_retention_policy p;
		bool found;
		if (store_retention_effective(st, ids[i], &p, &found, a, &err) < 0) {
			failed(&ap, "policy", &err);
			continue;
		}
		if (!found)
			continue;
		if (p.keep_days >= 0)
			age_runs(&ap, &p, ids[i], now);
		if (p.prune)
			prune_runs(&ap, &p, ids[i]);
	}
	if (!stopping(&ap))
		archived_versions(&ap, only_experiment, now);
	say(&ap, "retention%s: %zu runs %ssoft-deleted, %zu kept, %zu paths %spruned, %zu archived versions %s%s",
	    dry ? " (dry run)" : "", res->n_deleted, dry ? "would be " : "", res->n_kept, res->n_pruned,
	    dry ? "would be " : "", res->n_versions, dry ? "would be moved or deleted" : "moved or deleted",
	    res->stopped ? " (stopped before the end)" : "");
	return ap.status;
}
