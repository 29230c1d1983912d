/*
 * lifecycle_artifacts.c - reaching artifact locations as the server does
 * (mlflow-artifacts:/ beneath the destination, s3:// through the S3 store,
 * local paths only inside the allowed roots), opening those stores or
 * borrowing a server's, and sizing what is at a location; see lifecycle.h.
 */
#include "lifecycle.h"
#include "../artifact/artifact.h"
#include "../artifact/artifact_path.h"
#include "../artifact/artifact_roots.h"
#include "../base/xalloc.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- artifact stores ------------------------------------------------------------------ */

/* Where `uri` lives: *repo and the path inside it (in `a`); *repo NULL
 * when the location cannot hold anything (a destination that does not
 * exist). -1 with `err` set when it cannot be reached. */
static int resolve(struct lifecycle_artifacts *g, const char *uri, struct artifact_repo **repo, const char **path,
		   struct arena *a, struct mlf_err *err)
{
	static const char proxy[] = "mlflow-artifacts:", s3[] = "s3://";
	*repo = NULL;
	if (!strncmp(uri, proxy, sizeof(proxy) - 1)) {
		const char *p = uri + sizeof(proxy) - 1;
		if (!strncmp(p, "//", 2)) /* mlflow-artifacts://host:port/path */
			p = strchr(p + 2, '/') ? strchr(p + 2, '/') : "";
		while (*p == '/')
			p++;
		if (!g->proxy && g->proxy_missing)
			return 0;
		if (!g->proxy)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "no --artifacts-destination for '%s'", uri);
		*repo = g->proxy;
		*path = p;
		return artifact_path_validate(p, err);
	}
	if (!strncmp(uri, s3, sizeof(s3) - 1)) {
		const char *bucket = uri + sizeof(s3) - 1, *slash = strchr(bucket, '/');
		size_t bn = slash ? (size_t)(slash - bucket) : strlen(bucket);
		char *root = arena_printf(a, "s3://%.*s", (int)bn, bucket);
		size_t i = 0;
		while (i < g->n_buckets && strcmp(g->buckets[i].uri, root) != 0)
			i++;
		if (i == g->n_buckets) {
			if (i == ARRAY_SIZE(g->buckets))
				return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "too many S3 buckets");
			struct artifact_repo *r = artifact_open(root, err);
			if (!r)
				return -1;
			g->buckets[i].uri = xstrdup(root);
			g->buckets[i].repo = r;
			g->n_buckets++;
		}
		const char *p = slash ? slash : "";
		while (*p == '/')
			p++;
		*repo = g->buckets[i].repo;
		*path = p;
		return 0;
	}
	const char *local;
	int rc = artifact_local_root(uri, NULL, a, &local, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifacts at '%s' cannot be deleted by mlflowc",
				  uri);
	if (artifact_roots_resolve(g->roots, local, repo, path, a, err) < 0)
		return mlf_errorf(err, MLF_PERMISSION_DENIED,
				  "artifacts at '%s' are outside --artifacts-destination and --allowed-artifact-roots",
				  uri);
	return 0;
}

const char *lifecycle_artifacts_child(const char *dir, const char *entry, struct arena *a)
{
	const char *name = strrchr(entry, '/');
	name = name ? name + 1 : entry;
	return *dir ? arena_printf(a, "%s/%s", dir, name) : arena_strdup(a, name);
}

/* Bytes of the files beneath `path` (a file lists as empty: 0). */
int lifecycle_artifacts_tree_bytes(struct artifact_repo *r, const char *path, uint64_t *bytes, struct arena *a,
				   struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (r->ops->list(r, path, &e, &n, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].is_dir) {
			*bytes += e[i].size > 0 ? (uint64_t)e[i].size : 0;
		} else if (lifecycle_artifacts_tree_bytes(r, lifecycle_artifacts_child(path, e[i].path, a), bytes, a,
							  err) < 0) {
			return -1;
		}
	}
	return 0;
}

int lifecycle_artifacts_open(struct lifecycle_artifacts *g, const char *dest, const char *allowed, struct mlf_err *err)
{
	g->roots = g->own_roots = artifact_roots_new();
	if (strstr(dest, "://") && strncmp(dest, "file://", 7) != 0) {
		if (!(g->proxy = g->own_proxy = artifact_open(dest, err)))
			return -1;
	} else {
		char *file = artifact_file_uri_path(dest, NULL);
		struct stat sb;
		if (stat(file ? file : dest, &sb) == 0) {
			if (artifact_roots_add(g->own_roots, dest, false, err) < 0 ||
			    !(g->proxy = g->own_proxy = artifact_open(dest, err))) {
				free(file);
				return -1;
			}
		} else {
			g->proxy_missing = dest;
		}
		free(file);
	}
	return artifact_roots_add_list(g->own_roots, allowed, false, err);
}

void lifecycle_artifacts_borrow(struct lifecycle_artifacts *g, struct artifact_repo *proxy,
				const struct artifact_roots *roots)
{
	g->proxy = proxy;
	g->roots = roots;
}

void lifecycle_artifacts_close(struct lifecycle_artifacts *g)
{
	artifact_close(g->own_proxy);
	artifact_roots_free(g->own_roots);
	for (size_t i = 0; i < g->n_buckets; i++) {
		artifact_close(g->buckets[i].repo);
		free(g->buckets[i].uri);
	}
	g->n_buckets = 0;
}

int lifecycle_artifacts_resolve(struct lifecycle_artifacts *g, const char *uri, struct artifact_repo **repo,
				const char **path, struct arena *a, struct mlf_err *err)
{
	return resolve(g, uri, repo, path, a, err);
}

int lifecycle_artifacts_size(struct lifecycle_artifacts *g, const char *uri, uint64_t *bytes, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct artifact_repo *r;
	const char *path;
	int rc = resolve(g, uri, &r, &path, &a, err);
	if (rc == 0 && r)
		rc = lifecycle_artifacts_tree_bytes(r, path, bytes, &a, err);
	arena_release(&a);
	return rc;
}
