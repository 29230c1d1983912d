/*
 * artifact_local.h - artifacts in a local directory, and listing one
 * by its open descriptor or by its name.
 */
#ifndef MLF_ARTIFACT_LOCAL_H
#define MLF_ARTIFACT_LOCAL_H

#include "artifact.h"

/* Opens the existing directory `root` (it is never created here: callers
 * that may create it do so first). See artifact_open(). */
struct artifact_repo *artifact_local_open(const char *root, struct mlf_err *err);

/* Opens the existing directory `rel` beneath the local store `root` (a
 * repo from artifact_local_open) as a store of its own, resolved with
 * artifact_open_beneath (symlinks that stay inside are followed, none that
 * lead out). Returns 1 with *out (the caller closes it), 0 when `rel` does
 * not exist (or is a file), -1 with `err` set: PERMISSION_DENIED when it
 * leads out of `root`. Nothing is created. */
int artifact_local_open_beneath(struct artifact_repo *root, const char *rel, struct artifact_repo **out,
				struct mlf_err *err);

/* Lists the immediate children of `rel` (may be "" or NULL) beneath the
 * open directory `root_fd`, sorted by name; each entry's path is
 * `rel`/name. A missing directory or a file gives an empty list; a path
 * leading out of the root (a symlink) is INVALID_PARAMETER_VALUE "Invalid
 * path". Nothing is created. Results live in `a`. */
int artifact_local_list_fd(int root_fd, const char *rel, struct artifact_entry **out, size_t *n,
			   struct arena *a, struct mlf_err *err);

/* The same for the directory named `root` (a missing root lists empty). */
int artifact_local_list(const char *root, const char *rel, struct artifact_entry **out, size_t *n,
			struct arena *a, struct mlf_err *err);

#endif
