/*
 * pyenv.h - the Python environment a python_function model runs in
 * (--env-manager, spec section 9.5):
 *
 *   local       the interpreter in flavor_options.python (default /usr/bin/python3)
 *   virtualenv  a venv made with `python3 -m venv` from the model's
 *               python_env.yaml and requirements.txt, pip-installed, and
 *               cached under env_cache_dir by a SHA-256 of those files (and
 *               of the interpreter and --system-site-packages). It is built
 *               under a temporary name and renamed into place once complete,
 *               so a half-built environment is never used and two servers
 *               starting at once do not corrupt it (the second one's copy is
 *               thrown away).
 *   conda, uv   refused with a clear message (the tool is not on PATH, or
 *               not supported yet)
 *
 * Environment managers are rows of a table in pyenv.c.
 */
#ifndef MLF_PYENV_H
#define MLF_PYENV_H

#include "flavor.h"

#define PYENV_DEFAULT_PYTHON "/usr/bin/python3"
#define PYENV_VENV_TIMEOUT_MS (300u * 1000) /* python3 -m venv */
#define PYENV_PIP_TIMEOUT_MS (1800u * 1000) /* pip install of the requirements */
#define PYENV_TAIL_MAX 2048                 /* bytes of a failing tool's output quoted */

/* The interpreter that runs `md` under opt->env_manager, building the
 * environment when needed; written into python[size] (an absolute path).
 * Returns 0, or -1 with INVALID_PARAMETER_VALUE (unknown manager, conda/uv
 * unavailable, an interpreter that cannot run) or INTERNAL_ERROR (venv or
 * pip failed: the message quotes the tool's last lines). */
int pyenv_resolve(const struct model_dir *md, const struct flavor_options *opt, char *python, size_t size,
		  struct mlf_err *err);

/* The Python version the model's python_env.yaml asks for ("3.11.2"), or
 * NULL; malloc'd, the caller frees it. */
char *pyenv_wanted_version(const struct model_dir *md);

/* The pip requirement lines of the model's requirements.txt (comments,
 * blank lines and options such as -r left out), as a new JSON array the
 * caller releases (empty without the file). */
json_t *pyenv_requirements(const struct model_dir *md);

#endif
