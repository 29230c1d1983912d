/*
 * artifact_path.h - artifact path safety and local listing.
 *
 * Every artifact path a client sends is checked here before it touches a
 * store: after repeated percent-decoding (MLflow decodes up to 10 rounds)
 * it must not contain '#', a NUL, a ".." segment, or be absolute. Local
 * listings resolve the final directory and refuse to leave the root, so a
 * symlink cannot escape it.
 */
#ifndef MLF_ARTIFACT_PATH_H
#define MLF_ARTIFACT_PATH_H

#include "../base/arena.h"
#include "../base/err.h"

/* Returns 0 when `path` (may be NULL or "") is a safe relative path, else
 * -1 with INVALID_PARAMETER_VALUE "Invalid path". */
int artifact_path_validate(const char *path, struct mlf_err *err);

struct artifact_entry {
	const char *path; /* relative to the listing's base, in the arena */
	bool is_dir;
	int64_t size;
};

/* Lists the immediate children of `root`/`rel` (rel may be ""), sorted by
 * name; each entry's path is `rel`/name. A missing directory or a file
 * gives an empty list. Results live in `a`. */
int artifact_local_list(const char *root, const char *rel, struct artifact_entry **out, size_t *n,
			struct arena *a, struct mlf_err *err);

/* The path a file:// URI names, percent-decoded (RFC 8089, as MLflow's
 * local_file_uri_to_path): "file:///a%20b" is "/a b", file://localhost/x
 * is /x. NULL when `uri` is not a file:// URI; else the caller frees it. */
char *artifact_file_uri_path(const char *uri);

/* Maps an artifact URI to a local directory: plain absolute paths,
 * file:// URIs, and mlflow-artifacts:/x when `destination` is set (then
 * <destination>/x). Returns NULL (in `a`) when the URI is not local. */
const char *artifact_local_root(const char *uri, const char *destination, struct arena *a);

#endif
