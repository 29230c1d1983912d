/*
 * api_retention.c - GET /api/2.0/mlflowc/experiments/retention: the
 * retention policy that governs an experiment (its own, or the server-wide
 * default), read-only, for the web UI's experiment page; and
 * GET .../retention/preview: what the next application of that policy
 * would do to the experiment (runs soft-deleted, paths pruned, archived
 * versions' files moved or deleted: counts, bytes, the first ids), found
 * by a dry run that changes nothing (lifecycle.h). Policies are set with
 * `mlflowc retention set` (docs/storage.md, Retention policies).
 */
#include "api.h"
#include "../lifecycle/lifecycle.h"
#include "../store/store_retention.h"

/* How many run ids, paths and versions a preview lists. */
#define PREVIEW_IDS 10

static void render_policy(struct jw *w, const struct store_retention_policy *p)
{
	jw_obj_begin(w);
	jw_kv_bool(w, "is_default", p->experiment_id == STORE_RETENTION_DEFAULT);
	if (p->keep_days >= 0) {
		jw_kv_int(w, "keep_days", p->keep_days);
		jw_kv_bool(w, "keep_registered", p->keep_registered);
		jw_key(w, "keep_tags");
		jw_arr_begin(w);
		for (size_t i = 0; i < p->n_keep_tags; i++) {
			jw_obj_begin(w);
			jw_kv_str(w, "key", p->keep_tags[i].key);
			if (p->keep_tags[i].value)
				jw_kv_str(w, "value", p->keep_tags[i].value);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	if (p->prune) {
		jw_kv_str(w, "prune", p->prune);
		jw_kv_int(w, "keep_last", p->keep_last);
	}
	if (p->archived_days >= 0) {
		jw_kv_int(w, "archived_versions_days", p->archived_days);
		jw_kv_str(w, "archived_action", p->archived_action);
		if (p->move_to)
			jw_kv_str(w, "move_to", p->move_to);
		if (p->move_storage_class)
			jw_kv_str(w, "move_storage_class", p->move_storage_class);
	}
	jw_kv_int(w, "updated_time", p->updated_time);
	jw_obj_end(w);
}

int api_retention_get(struct api_ctx *c)
{
	const char *s;
	int64_t id;
	int rc = param_id(c, "experiment_id", &s);
	if (rc < 0)
		return -1;
	if (rc == 1 || !*s)
		return param_missing(c, "experiment_id");
	if (parse_experiment_id(c, s, &id) < 0)
		return -1;
	struct store *st = c->app->store;
	struct store_experiment e;
	struct store_retention_policy p;
	bool found;
	if (store_experiment_get(st, id, &e, c->a, c->err) < 0 ||
	    store_retention_effective(st, id, &p, &found, c->a, c->err) < 0)
		return -1;
	if (found) { /* no policy: an empty object, as MLflow answers absent fields */
		jw_key(&c->w, "policy");
		render_policy(&c->w, &p);
	}
	return 0;
}

static void render_texts(struct jw *w, const char *key, const char *const *texts, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, texts[i]);
	jw_arr_end(w);
}

int api_retention_preview(struct api_ctx *c)
{
	const char *s;
	int64_t id;
	int rc = param_id(c, "experiment_id", &s);
	if (rc < 0)
		return -1;
	if (rc == 1 || !*s)
		return param_missing(c, "experiment_id");
	if (parse_experiment_id(c, s, &id) < 0)
		return -1;
	struct store *st = c->app->store;
	struct store_experiment e;
	if (store_experiment_get(st, id, &e, c->a, c->err) < 0)
		return -1;
	/* a dry run reads only; its artifact stores are the server's */
	struct lifecycle_artifacts g = { .dry_run = true };
	struct lifecycle_retention_opts opts = { .only_experiment = id, .dry = true, .measure = true,
						 .max_ids = PREVIEW_IDS };
	struct lifecycle_retention_result r;
	lifecycle_artifacts_borrow(&g, c->app->artifacts, c->app->artifact_roots);
	lifecycle_retention_apply(st, &g, &opts, &r, c->a);
	lifecycle_artifacts_close(&g);
	struct jw *w = &c->w;
	jw_key(w, "preview");
	jw_obj_begin(w);
	jw_kv_int(w, "soft_delete_runs", (int64_t)r.n_deleted);
	jw_kv_int(w, "soft_delete_bytes", (int64_t)r.deleted_bytes);
	render_texts(w, "soft_delete_run_ids", r.run_ids, r.n_run_ids);
	jw_kv_int(w, "kept_runs", (int64_t)r.n_kept);
	jw_kv_int(w, "prune_paths", (int64_t)r.n_pruned);
	jw_kv_int(w, "prune_bytes", (int64_t)r.pruned_bytes);
	render_texts(w, "prune_path_uris", r.paths, r.n_paths);
	jw_kv_int(w, "archived_versions", (int64_t)r.n_versions);
	jw_kv_int(w, "archived_bytes", (int64_t)r.version_bytes);
	render_texts(w, "archived_version_names", r.versions, r.n_versions_listed);
	jw_kv_int(w, "failures", (int64_t)r.n_failed);
	jw_obj_end(w);
	return 0;
}
