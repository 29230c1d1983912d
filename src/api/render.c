/*
 * render.c - the JSON shapes of experiments, runs and metrics, following
 * the wire rules: ids as strings, int64 as numbers, empty repeated fields
 * and unset optional fields omitted.
 */
#include "api.h"

void render_kv_list(struct jw *w, const char *name, const struct store_kv *kv, size_t n)
{
	if (!n)
		return;
	jw_key(w, name);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kv_str(w, "key", kv[i].key);
		jw_kv_str(w, "value", kv[i].value ? kv[i].value : "");
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void render_id(struct jw *w, const char *key, int64_t id)
{
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)id);
	jw_kv_str(w, key, text);
}

void render_experiment(struct jw *w, const struct store_experiment *e)
{
	jw_obj_begin(w);
	render_id(w, "experiment_id", e->id);
	jw_kv_str(w, "name", e->name);
	jw_kv_str(w, "artifact_location", e->artifact_location);
	jw_kv_str(w, "lifecycle_stage", e->lifecycle_stage);
	if (e->last_update_time)
		jw_kv_int(w, "last_update_time", e->last_update_time);
	if (e->creation_time)
		jw_kv_int(w, "creation_time", e->creation_time);
	render_kv_list(w, "tags", e->tags, e->n_tags);
	jw_obj_end(w);
}

void render_run_info(struct jw *w, const struct store_run_info *ri)
{
	jw_obj_begin(w);
	jw_kv_str(w, "run_uuid", ri->run_id);
	render_id(w, "experiment_id", ri->experiment_id);
	jw_kv_str(w, "run_name", ri->run_name ? ri->run_name : "");
	jw_kv_str(w, "user_id", ri->user_id ? ri->user_id : "");
	jw_kv_str(w, "status", ri->status);
	jw_kv_int(w, "start_time", ri->start_time);
	if (ri->has_end_time)
		jw_kv_int(w, "end_time", ri->end_time);
	jw_kv_str(w, "artifact_uri", ri->artifact_uri);
	jw_kv_str(w, "lifecycle_stage", ri->lifecycle_stage);
	jw_kv_str(w, "run_id", ri->run_id);
	jw_obj_end(w);
}

void render_metric(struct jw *w, const struct store_metric *m, bool with_run_id)
{
	jw_obj_begin(w);
	jw_kv_str(w, "key", m->key);
	jw_kv_double(w, "value", m->value);
	jw_kv_int(w, "timestamp", m->timestamp);
	jw_kv_int(w, "step", m->step);
	if (with_run_id && m->run_id)
		jw_kv_str(w, "run_id", m->run_id);
	jw_obj_end(w);
}

static void render_dataset(struct jw *w, const struct store_dataset *d)
{
	jw_obj_begin(w);
	jw_kv_str(w, "name", d->name);
	jw_kv_str(w, "digest", d->digest);
	jw_kv_str(w, "source_type", d->source_type);
	jw_kv_str(w, "source", d->source);
	if (d->schema)
		jw_kv_str(w, "schema", d->schema);
	if (d->profile)
		jw_kv_str(w, "profile", d->profile);
	jw_obj_end(w);
}

static void render_model_links(struct jw *w, const char *name, const struct store_model_link *l, size_t n,
			       bool with_step)
{
	jw_key(w, name);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kv_str(w, "model_id", l[i].model_id);
		if (with_step)
			jw_kv_int(w, "step", l[i].step);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

void render_run(struct jw *w, const struct store_run *r, bool with_inputs)
{
	jw_obj_begin(w);
	jw_key(w, "info");
	render_run_info(w, &r->info);
	jw_key(w, "data");
	jw_obj_begin(w);
	if (r->n_metrics) {
		jw_key(w, "metrics");
		jw_arr_begin(w);
		for (size_t i = 0; i < r->n_metrics; i++)
			render_metric(w, &r->metrics[i], false);
		jw_arr_end(w);
	}
	render_kv_list(w, "params", r->params, r->n_params);
	render_kv_list(w, "tags", r->tags, r->n_tags);
	jw_obj_end(w);
	if (with_inputs) {
		jw_key(w, "inputs");
		jw_obj_begin(w);
	}
	if (with_inputs && r->n_inputs) {
		jw_key(w, "dataset_inputs");
		jw_arr_begin(w);
		for (size_t i = 0; i < r->n_inputs; i++) {
			jw_obj_begin(w);
			render_kv_list(w, "tags", r->inputs[i].tags, r->inputs[i].n_tags);
			jw_key(w, "dataset");
			render_dataset(w, &r->inputs[i].dataset);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	if (with_inputs && r->n_model_inputs)
		render_model_links(w, "model_inputs", r->model_inputs, r->n_model_inputs, false);
	if (with_inputs)
		jw_obj_end(w);
	/* MLflow 3's outputs, left out when empty so 2.x answers stay as they were */
	if (with_inputs && r->n_model_outputs) {
		jw_key(w, "outputs");
		jw_obj_begin(w);
		render_model_links(w, "model_outputs", r->model_outputs, r->n_model_outputs, true);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}
