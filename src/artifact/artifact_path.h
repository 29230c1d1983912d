/*
 * artifact_path.h - artifact path safety, confinement beneath a directory
 * descriptor, and file:// URIs.
 *
 * Every artifact path a client sends is checked here before it touches a
 * store: after each round of repeated percent-decoding (MLflow decodes up
 * to 10 rounds) it must not contain '#', a NUL or another control byte
 * (< 0x20, 0x7f), a ".." segment, or be absolute. Local files are reached
 * only beneath an open root directory (artifact_open_beneath: openat2 with
 * RESOLVE_BENEATH where the kernel has it, else a component walk with
 * O_NOFOLLOW), never by string checks alone.
 */
#ifndef MLF_ARTIFACT_PATH_H
#define MLF_ARTIFACT_PATH_H

#include "../base/arena.h"
#include "../base/err.h"

/* Returns 0 when `path` (may be NULL or "") is a safe relative path, else
 * -1 with INVALID_PARAMETER_VALUE "Invalid path". */
int artifact_path_validate(const char *path, struct mlf_err *err);

/* True when the n bytes at s hold a NUL or a control byte (< 0x20, 0x7f). */
bool artifact_has_control(const char *s, size_t n);

/* True when `s`, or any of up to 10 rounds of percent-decoding it, holds a
 * NUL or a control byte: "%00", "%2500" and "\x01" all count. */
bool artifact_decodes_to_control(const char *s);

/* Normalises a relative path: drops empty and "." segments (so "a/./b/"
 * is "a/b" and ".", "./" and "" are ""). *segments counts what remains.
 * Returns -1 (nothing written) when a ".." segment is present. *out lives
 * in `a` (or is `path` itself when nothing changed). */
int artifact_path_normalize(const char *path, struct arena *a, const char **out, size_t *segments);

/* Normalises an absolute local path the same way ("//a/./b/" is "/a/b",
 * "/" stays "/"). Returns -1 when it is not absolute, holds a NUL or
 * control byte in its first n bytes, or has a ".." segment. In `a`. */
int artifact_abs_normalize(const char *path, size_t n, struct arena *a, const char **out);

/* When the normalised absolute `path` is `root` or below it (at a segment
 * boundary: /data/art is not inside /data/a), points *rest into `path` at
 * what follows ("" for the root itself) and returns true. */
bool artifact_path_within(const char *root, const char *path, const char **rest);

/* Opens `rel` (relative; "" is the directory itself) beneath the directory
 * `dir_fd` with `flags` (O_CLOEXEC is added). With openat2 the kernel
 * refuses any escape (RESOLVE_BENEATH: "..", absolute symlinks, links
 * leading out) and, when `no_symlinks`, every symlink; without openat2
 * each component is opened with O_NOFOLLOW (every symlink refused) and ".."
 * is refused. Returns a descriptor the caller closes, or -1 with errno
 * (EXDEV for an escape, ELOOP/ENOTDIR for a refused link). */
int artifact_open_beneath(int dir_fd, const char *rel, int flags, bool no_symlinks);

/* For tests: false makes artifact_open_beneath use its component walk even
 * where the kernel has openat2. */
void artifact_beneath_use_openat2(bool on);

/* The path a file:// URI names, percent-decoded (RFC 8089, as MLflow's
 * local_file_uri_to_path): "file:///a%20b" is "/a b", file://localhost/x
 * is /x. NULL when `uri` is not a file:// URI, or when the decoded path
 * holds a NUL or a control byte (then *invalid is set, if given); else the
 * caller frees it. */
char *artifact_file_uri_path(const char *uri, bool *invalid);

/* Maps an artifact URI to a local directory: plain absolute paths,
 * file:// URIs, and mlflow-artifacts:/x when `destination` is set (then
 * <destination>/x). Returns 1 with *out (in `a`) for a local URI, 0 when
 * the URI is not local, -1 with INVALID_PARAMETER_VALUE when the local
 * path holds a NUL or a control byte. */
int artifact_local_root(const char *uri, const char *destination, struct arena *a, const char **out,
			struct mlf_err *err);

#endif
