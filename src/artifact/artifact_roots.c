/*
 * artifact_roots.c - the allowed local artifact roots; see artifact_roots.h.
 */
#include "artifact_roots.h"
#include "artifact_local.h"
#include "artifact_path.h"
#include "../base/buf.h"
#include "../base/xalloc.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct allowed_root {
	char *lexical; /* absolute and normalised as given ("" when it had a "..") */
	char *real;    /* realpath() at start-up */
	struct artifact_repo *repo;
};

struct artifact_roots {
	struct allowed_root *v;
	size_t n;
};

struct artifact_roots *artifact_roots_new(void)
{
	return xcalloc(1, sizeof(struct artifact_roots));
}

void artifact_roots_free(struct artifact_roots *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].lexical);
		free(rs->v[i].real);
		artifact_close(rs->v[i].repo);
	}
	free(rs->v);
	free(rs);
}

size_t artifact_roots_count(const struct artifact_roots *rs)
{
	return rs ? rs->n : 0;
}

const char *artifact_roots_path(const struct artifact_roots *rs, size_t i)
{
	return rs->v[i].real;
}

int artifact_roots_add(struct artifact_roots *rs, const char *where, bool create, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	bool invalid;
	char *decoded = artifact_file_uri_path(where, &invalid);
	const char *path = decoded ? decoded : where;
	char resolved[PATH_MAX];
	int rc = -1;
	if (invalid || artifact_has_control(path, strlen(path))) {
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifact root has a NUL or control character");
		goto out;
	}
	if (strstr(path, "://")) {
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifact root '%s' is not a local directory", path);
		goto out;
	}
	const char *abs = path;
	if (path[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd))) {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "cannot make '%s' absolute", path);
			goto out;
		}
		abs = arena_printf(&a, "%s/%s", cwd, path);
	}
	if (create)
		mkdir(abs, 0777);
	if (!realpath(abs, resolved)) {
		rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifact root '%s': %s", abs, strerror(errno));
		goto out;
	}
	struct artifact_repo *repo = artifact_local_open(resolved, err);
	if (!repo)
		goto out;
	const char *lexical;
	if (artifact_abs_normalize(abs, strlen(abs), &a, &lexical) < 0)
		lexical = "";
	rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
	rs->v[rs->n++] = (struct allowed_root){ xstrdup(lexical), xstrdup(resolved), repo };
	rc = 0;
out:
	free(decoded);
	arena_release(&a);
	return rc;
}

int artifact_roots_add_list(struct artifact_roots *rs, const char *list, bool create, struct mlf_err *err)
{
	const char *p = list;
	while (p && *p) {
		size_t len = strcspn(p, ",");
		if (len) {
			char *one = xstrndup(p, len);
			int rc = artifact_roots_add(rs, one, create, err);
			free(one);
			if (rc < 0)
				return -1;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int artifact_roots_resolve(const struct artifact_roots *rs, const char *path, struct artifact_repo **repo,
			   const char **rest, struct arena *a, struct mlf_err *err)
{
	const char *norm;
	if (artifact_abs_normalize(path, strlen(path), a, &norm) < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid artifact location: it must be an absolute path without '..' segments "
				  "or control characters");
	size_t best_len = 0;
	bool found = false;
	for (size_t i = 0; rs && i < rs->n; i++) {
		const char *forms[] = { rs->v[i].lexical, rs->v[i].real };
		for (size_t f = 0; f < ARRAY_SIZE(forms); f++) {
			const char *r;
			size_t len = strlen(forms[f]);
			if (len && (!found || len > best_len) && artifact_path_within(forms[f], norm, &r)) {
				found = true;
				best_len = len;
				*repo = rs->v[i].repo;
				*rest = r;
			}
		}
	}
	if (!found)
		return mlf_errorf(err, MLF_PERMISSION_DENIED,
				  "Artifacts at '%s' are outside the server's artifact roots; the server reads and "
				  "writes local artifacts only under --default-artifact-root, --artifacts-destination "
				  "and --allowed-artifact-roots",
				  norm);
	return 0;
}
