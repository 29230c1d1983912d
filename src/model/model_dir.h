/*
 * model_dir.h - a model directory on local disk (spec §9): its MLmodel read
 * and checked, and every other file of it (the flavor's data, environment
 * files, input examples, bundled code) opened beneath the directory's own
 * descriptor, never by joining strings: a path in MLmodel that climbs out
 * ("../x", an absolute path, a symlink leading out) is refused.
 *
 * Serving, predict, the Docker context and the Lambda zip all start from a
 * struct model_dir; the flavors (flavor.h) get one to load from.
 */
#ifndef MLF_MODEL_DIR_H
#define MLF_MODEL_DIR_H

#include "../base/buf.h"
#include "mlmodel.h"

#define MODEL_DIR_MLMODEL_MAX (4u << 20)   /* bytes of MLmodel we read */
#define MODEL_DIR_TEXT_MAX (64u << 20)     /* bytes of a text file read whole (examples, env files) */

struct model_dir {
	int fd;                /* the directory, opened O_DIRECTORY; owned */
	char *path;            /* its absolute path; owned */
	struct mlmodel ml;     /* its MLmodel; owned */
};

/* Opens the model at `path`: a directory holding MLmodel, or the MLmodel
 * file itself (as MLflow's loaders accept). Returns 0, or -1 with
 * RESOURCE_DOES_NOT_EXIST (no such directory, no MLmodel) or
 * INVALID_PARAMETER_VALUE (an MLmodel that does not read) and *md zeroed.
 * Release with model_dir_close(). */
int model_dir_open(const char *path, struct model_dir *md, struct mlf_err *err);
void model_dir_close(struct model_dir *md);

/* Opens `rel`, a path the model names (relative, no NUL or control
 * bytes), beneath the directory with `flags` (O_CLOEXEC added). Returns a
 * descriptor the caller closes, or -1 with INVALID_PARAMETER_VALUE for a
 * path that escapes or RESOURCE_DOES_NOT_EXIST for a missing file. */
int model_dir_open_file(const struct model_dir *md, const char *rel, int flags, struct mlf_err *err);

/* Reads the whole of `rel` (at most `max` bytes, else an error) into *out,
 * which the caller releases; NUL-terminated after `out->len` bytes. */
int model_dir_read_file(const struct model_dir *md, const char *rel, size_t max, struct buf *out,
			struct mlf_err *err);

/* Whether `rel` exists beneath the directory (any kind of file). */
bool model_dir_has(const struct model_dir *md, const char *rel);

/* The absolute path of `rel` after checking it stays beneath the directory
 * (for libraries that only take a path, such as libxgboost and dlopen);
 * written into out[size]. Returns 0, or -1 as model_dir_open_file. The
 * file is checked to exist and to be reachable without leaving the
 * directory; callers open it at once. */
int model_dir_file_path(const struct model_dir *md, const char *rel, char *out, size_t size, struct mlf_err *err);

/* The environment files of the python_function flavor (spec §9.5), as
 * paths relative to the directory, or NULL when absent: env.virtualenv
 * (python_env.yaml), env.conda (conda.yaml; a legacy string `env` too),
 * and requirements.txt beside them. Borrowed from the model. */
struct model_env_files {
	const char *python_env;
	const char *conda;
	const char *requirements;
};
void model_dir_env_files(const struct model_dir *md, struct model_env_files *out);

#endif
