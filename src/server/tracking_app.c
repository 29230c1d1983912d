/*
 * tracking_app.c - opens and closes what `mlflowc server` serves; see
 * tracking_app.h.
 */
#include "tracking_app.h"
#include "../api/auth_gate.h"
#include "../artifact/artifact.h"
#include "../artifact/artifact_roots.h"
#include "../base/log.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Makes a local directory path absolute (creating it), as MLflow does.
 * The caller frees the result. */
static char *absolute_dir(const char *path)
{
	char resolved[PATH_MAX];
	mkdir(path, 0777);
	if (realpath(path, resolved))
		return strdup(resolved);
	return strdup(path);
}

/* The local directories the server may touch artifacts in: the proxy's
 * destination when local, the default artifact root when it is a local
 * path or file:// URI (created, as MLflow does), and each of
 * --allowed-artifact-roots (which must exist). NULL with `err` set when one
 * cannot be opened. */
static struct artifact_roots *allowed_roots(const char *allowed, const char *destination, const char *default_root,
					    struct mlf_err *err)
{
	struct artifact_roots *roots = artifact_roots_new();
	bool local_default = default_root[0] == '/' || strncmp(default_root, "file://", 7) == 0 ||
			     !strstr(default_root, ":");
	if ((destination && !strstr(destination, "://") && artifact_roots_add(roots, destination, false, err) < 0) ||
	    (local_default && artifact_roots_add(roots, default_root, true, err) < 0) ||
	    artifact_roots_add_list(roots, allowed, false, err) < 0) {
		artifact_roots_free(roots);
		return NULL;
	}
	for (size_t i = 0; i < artifact_roots_count(roots); i++)
		log_debug("local artifacts are served from %s", artifact_roots_path(roots, i));
	return roots;
}

int tracking_app_open(const struct tracking_app_config *cfg, struct tracking_app *t, struct mlf_err *err)
{
	memset(t, 0, sizeof(*t));
	/* before any directory is made: a store that is not ours is left as it was */
	if (!cfg->artifacts_only && store_check_uri(cfg->backend_store_uri, err) < 0)
		return -1;
	t->destination = cfg->serve_artifacts ? absolute_dir(cfg->artifacts_destination) : NULL;
	t->root = cfg->default_artifact_root ? strdup(cfg->default_artifact_root)
		  : cfg->serve_artifacts     ? strdup("mlflow-artifacts:/")
					     : absolute_dir("./mlruns");
	struct store_options so = cfg->store;
	so.artifact_root = t->root;
	if ((!cfg->artifacts_only && !(t->store = store_open(cfg->backend_store_uri, &so, err))) ||
	    (t->destination && !(t->artifacts = artifact_open(t->destination, err))) ||
	    !(t->roots = allowed_roots(cfg->allowed_artifact_roots, t->destination, t->root, err)) ||
	    (cfg->auth && !cfg->artifacts_only && !(t->gate = auth_gate_open(t->store, cfg->auth, cfg->tls, err)))) {
		tracking_app_close(t);
		return -1;
	}
	t->app = (struct app){
		.store = t->store,
		.default_artifact_root = t->root,
		.artifacts_destination = t->destination,
		.artifacts = t->artifacts,
		.serve_artifacts = cfg->serve_artifacts,
		.artifacts_only = cfg->artifacts_only,
		.static_prefix = cfg->static_prefix,
		.artifact_roots = t->roots,
		.max_artifact_bytes = (uint64_t)cfg->max_artifact_mb << 20,
		.min_free_disk_bytes = (uint64_t)cfg->min_free_disk_mb << 20,
		.security = cfg->security,
		.auth = t->gate,
	};
	return 0;
}

void tracking_app_close(struct tracking_app *t)
{
	auth_gate_close(t->gate); /* its audit trail flushes into the store first */
	artifact_close(t->artifacts);
	artifact_roots_free(t->roots);
	store_close(t->store);
	free(t->destination);
	free(t->root);
	memset(t, 0, sizeof(*t));
}
