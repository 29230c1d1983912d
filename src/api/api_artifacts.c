/*
 * api_artifacts.c - listing a run's artifacts (/mlflow/artifacts/list).
 * Uploads and downloads through the artifact proxy come with the artifact
 * store; this endpoint serves local roots and the proxy's local
 * destination.
 */
#include "api.h"
#include "../artifact/artifact_path.h"

int api_artifacts_list(struct api_ctx *c)
{
	const char *run_id, *path;
	struct store_run run;
	struct artifact_entry *files;
	size_t n;
	if (param_run_id(c, &run_id) < 0 || param_string(c, "path", &path) < 0 ||
	    artifact_path_validate(path, c->err) < 0)
		return -1;
	struct store *st = c->app->store;
	if (st->ops->run_get(st, run_id, &run, c->a, c->err) < 0)
		return -1;
	const char *root = artifact_local_root(run.info.artifact_uri, c->app->artifacts_destination, c->a);
	if (!root)
		return mlf_errorf(c->err, MLF_NOT_IMPLEMENTED, "Listing artifacts at '%s' is not supported yet",
				  run.info.artifact_uri);
	if (artifact_local_list(root, path, &files, &n, c->a, c->err) < 0)
		return -1;
	jw_kv_str(&c->w, "root_uri", run.info.artifact_uri);
	if (!n)
		return 0;
	jw_key(&c->w, "files");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(&c->w);
		jw_kv_str(&c->w, "path", files[i].path);
		jw_kv_bool(&c->w, "is_dir", files[i].is_dir);
		if (!files[i].is_dir && files[i].size)
			jw_kv_int(&c->w, "file_size", files[i].size);
		jw_obj_end(&c->w);
	}
	jw_arr_end(&c->w);
	return 0;
}
