/*
 * store_retention.c - the front of retention policies (store_retention.h):
 * what a valid policy is, which policy governs an experiment, and which
 * files of a run registered model versions use, asked of gc's rule
 * (store_gc_targets) so both commands keep exactly the same files.
 */
#include "store_retention.h"
#include "../base/util.h"
#include <stdlib.h>

#define RET(st) ((st)->retention)

static int unsupported(struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "this backend store cannot keep retention policies");
}

/* Whether `uri` may receive moved files: s3://bucket[/prefix] or a local
 * path (file:// or plain); the directory itself is checked when opened. */
static bool move_place_ok(const char *uri)
{
	if (!strncmp(uri, "s3://", 5))
		return uri[5] && uri[5] != '/';
	if (!strncmp(uri, "file://", 7))
		return uri[7] != 0;
	return *uri && !strstr(uri, "://");
}

const char *const store_retention_storage_classes[] = {
	"STANDARD",	   "STANDARD_IA",  "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR",
	"DEEP_ARCHIVE", "REDUCED_REDUNDANCY", "OUTPOSTS",   "EXPRESS_ONEZONE",	   NULL,
};

static bool storage_class_known(const char *name)
{
	for (size_t i = 0; store_retention_storage_classes[i]; i++)
		if (!strcmp(name, store_retention_storage_classes[i]))
			return true;
	return false;
}

int store_retention_set(struct store *st, const struct store_retention_policy *p, struct mlf_err *err)
{
	if (!RET(st))
		return unsupported(err);
	if (p->keep_days < -1 || p->archived_days < -1)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "days must not be negative");
	if (p->keep_days < 0 && !p->prune && p->archived_days < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "a policy needs --keep-days, --prune with --keep-last, or --archived-versions-days");
	if ((p->keep_registered || p->n_keep_tags) && p->keep_days < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--keep-registered and --keep-tag need --keep-days");
	if (p->prune && (!*p->prune || p->keep_last < 0))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--prune needs a pattern and --keep-last K (K >= 0)");
	if (!p->prune && p->keep_last >= 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--keep-last needs --prune");
	for (size_t i = 0; i < p->n_keep_tags; i++)
		if (!p->keep_tags[i].key || !*p->keep_tags[i].key)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--keep-tag needs a key (KEY or KEY=VALUE)");
	bool archived = p->archived_days >= 0;
	const char *act = p->archived_action;
	if (archived != (act != NULL))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "--archived-versions-days and --archived-action go together");
	if (act && strcmp(act, "delete") != 0 && strcmp(act, "move") != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--archived-action must be delete or move, not '%s'",
				  act);
	bool move = act && !strcmp(act, "move");
	if (move != (p->move_to != NULL))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--move-to goes with --archived-action move, and only then");
	if (move && !move_place_ok(p->move_to))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "--move-to '%s' is neither a local directory nor s3://bucket/prefix", p->move_to);
	const char *cls = p->move_storage_class;
	if (cls && !(move && !strncmp(p->move_to, "s3://", 5)))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "--move-storage-class goes with --archived-action move and --move-to s3://bucket/prefix,"
				  " and only then");
	if (cls && !storage_class_known(cls)) {
		char names[256];
		size_t used = 0;
		for (size_t i = 0; store_retention_storage_classes[i] && used < sizeof(names); i++) {
			int k = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
					 store_retention_storage_classes[i]);
			used += k > 0 ? (size_t)k : 0;
		}
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "--move-storage-class must be one of S3's storage classes (%s), not '%s'", names, cls);
	}
	if (RET(st)->policy_put(st, p, util_now_ms(), err) < 0) {
		if (err->detail == STORE_ROW_EXPERIMENT_MISSING)
			return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "No Experiment with id=%lld exists",
					  (long long)p->experiment_id);
		return -1;
	}
	return 0;
}

int store_retention_get(struct store *st, int64_t experiment_id, struct store_retention_policy *out, bool *found,
			struct arena *a, struct mlf_err *err)
{
	if (!RET(st))
		return unsupported(err);
	return RET(st)->policy_get(st, experiment_id, out, found, a, err);
}

int store_retention_effective(struct store *st, int64_t experiment_id, struct store_retention_policy *out,
			      bool *found, struct arena *a, struct mlf_err *err)
{
	if (store_retention_get(st, experiment_id, out, found, a, err) < 0)
		return -1;
	if (*found || experiment_id == STORE_RETENTION_DEFAULT)
		return 0;
	return store_retention_get(st, STORE_RETENTION_DEFAULT, out, found, a, err);
}

int store_retention_list(struct store *st, struct store_retention_policy **out, size_t *n, struct arena *a,
			 struct mlf_err *err)
{
	if (!RET(st))
		return unsupported(err);
	return RET(st)->policy_list(st, out, n, a, err);
}

int store_retention_clear(struct store *st, int64_t experiment_id, struct mlf_err *err)
{
	bool found;
	if (!RET(st))
		return unsupported(err);
	if (RET(st)->policy_delete(st, experiment_id, &found, err) < 0)
		return -1;
	if (!found)
		return experiment_id == STORE_RETENTION_DEFAULT
			       ? mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "there is no default retention policy")
			       : mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST,
					    "experiment %lld has no retention policy of its own", (long long)experiment_id);
	return 0;
}

int store_retention_run_kept(struct store *st, const struct store_retention_run *run, const char ***keep,
			     const char ***why, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct store_gc_run r = { .run_id = run->run_id, .experiment_id = run->experiment_id,
				  .artifact_uri = run->artifact_uri, .lifecycle_stage = "active" };
	struct store_gc_target *t;
	size_t nt;
	*n = 0;
	*keep = *why = NULL;
	if (store_gc_targets(st, &r, -1, &t, &nt, a, err) < 0)
		return -1;
	/* the first target is the run's own artifact URI (logged models follow) */
	if (nt && t[0].uri == r.artifact_uri) {
		*keep = t[0].keep;
		*why = t[0].keep_why;
		*n = t[0].n_keep;
	}
	return 0;
}

int store_retention_run_used(struct store *st, const struct store_retention_run *run, bool *used, const char **why,
			     struct arena *a, struct mlf_err *err)
{
	struct store_gc_run r = { .run_id = run->run_id, .experiment_id = run->experiment_id,
				  .artifact_uri = run->artifact_uri, .lifecycle_stage = "active" };
	struct store_gc_target *t;
	size_t nt;
	*used = false;
	*why = NULL;
	if (store_gc_targets(st, &r, -1, &t, &nt, a, err) < 0)
		return -1;
	for (size_t i = 0; i < nt && !*used; i++)
		if (t[i].n_keep) {
			*used = true;
			*why = t[i].keep_why[0];
		}
	return 0;
}

int store_retention_active_experiments(struct store *st, int64_t **ids, size_t *n, struct arena *a,
				       struct mlf_err *err)
{
	return RET(st) ? RET(st)->active_experiments(st, ids, n, a, err) : unsupported(err);
}

int store_retention_active_runs(struct store *st, int64_t experiment_id, bool has_cutoff, int64_t cutoff,
				struct store_retention_run **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	return RET(st) ? RET(st)->active_runs(st, experiment_id, has_cutoff, cutoff, out, n, a, err) : unsupported(err);
}

int store_retention_soft_delete_run(struct store *st, const char *run_id, const struct store_retention_policy *p,
				    int64_t experiment_id, int64_t cutoff, store_retention_check_fn check, void *ctx,
				    bool dry, enum store_retention_outcome *outcome, const char **why, struct arena *a,
				    struct mlf_err *err)
{
	if (!RET(st))
		return unsupported(err);
	return RET(st)->soft_delete_run(st, run_id, experiment_id, cutoff, p->keep_tags, p->n_keep_tags,
					p->keep_registered ? check : NULL, ctx, dry, util_now_ms(), outcome, why, a, err);
}

int store_retention_locked(struct store *st, int (*fn)(void *ctx, struct mlf_err *err), void *ctx,
			   struct mlf_err *err)
{
	return RET(st) ? RET(st)->locked(st, fn, ctx, err) : unsupported(err);
}

int store_retention_archived_versions(struct store *st, int64_t cutoff, struct store_retention_version **out,
				      size_t *n, struct arena *a, struct mlf_err *err)
{
	return RET(st) ? RET(st)->archived_versions(st, cutoff, out, n, a, err) : unsupported(err);
}

int store_retention_tombstone_version(struct store *st, const char *model_name, int64_t version, int64_t cutoff,
				      store_retention_files_fn files, void *ctx, enum store_retention_outcome *outcome,
				      struct mlf_err *err)
{
	return RET(st) ? RET(st)->tombstone_version(st, model_name, version, cutoff, files, ctx, outcome, err)
		       : unsupported(err);
}
