/*
 * artifact_roots.h - the local directories the server itself may read,
 * list, write and delete artifact files in.
 *
 * An experiment may record any artifact location (clients that write
 * artifacts directly keep working), but when the server must touch a local
 * location (a run's or a model version's artifacts under a plain path or a
 * file:// URI) that location must lie lexically inside one of these roots;
 * the rest of the path is then resolved beneath the root's directory
 * descriptor, opened once at start-up, so a symlink cannot lead out.
 * Read-only after start-up: safe to share between threads.
 */
#ifndef MLF_ARTIFACT_ROOTS_H
#define MLF_ARTIFACT_ROOTS_H

#include "artifact.h"

struct artifact_roots;

/* An empty set; the caller frees it with artifact_roots_free(). */
struct artifact_roots *artifact_roots_new(void);
void artifact_roots_free(struct artifact_roots *rs);

/* Adds the directory `where` (a path, relative ones against the current
 * directory, or a file:// URI), creating it first when `create`, and
 * opens it. A missing directory (without `create`), a NUL or control
 * character, or a ".." that cannot be resolved is an error. */
int artifact_roots_add(struct artifact_roots *rs, const char *where, bool create, struct mlf_err *err);

/* Adds each entry of the comma-separated `list` (empty entries skipped). */
int artifact_roots_add_list(struct artifact_roots *rs, const char *list, bool create, struct mlf_err *err);

/* The number of roots, and the i-th one's absolute path (borrowed). */
size_t artifact_roots_count(const struct artifact_roots *rs);
const char *artifact_roots_path(const struct artifact_roots *rs, size_t i);

/* Finds the root holding the local path `path` (absolute, already
 * percent-decoded): *repo is that root's store (owned by the set; never
 * close it) and *rest the normalised remainder (in `a`; "" for the root
 * itself). A path with a NUL, a control character or a ".." segment is
 * INVALID_PARAMETER_VALUE; a path outside every root is PERMISSION_DENIED. */
int artifact_roots_resolve(const struct artifact_roots *rs, const char *path, struct artifact_repo **repo,
			   const char **rest, struct arena *a, struct mlf_err *err);

#endif
