/*
 * store.c - picks a store backend from the backend-store URI.
 */
#include "store.h"
#include "store_sqlite.h"

static const struct {
	const char *scheme; /* URI prefix */
	struct store *(*open)(const char *path, const char *artifact_root, struct mlf_err *err);
} store_backends[] = {
	{ "sqlite://", store_sqlite_open },
};

struct store *store_open(const char *uri, const char *artifact_root, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(store_backends); i++) {
		size_t n = strlen(store_backends[i].scheme);
		if (strncmp(uri, store_backends[i].scheme, n) == 0) {
			const char *path = uri + n;
			/* sqlite:///rel.db -> "rel.db"; sqlite:////abs.db -> "/abs.db" */
			if (*path == '/')
				path++;
			if (!*path)
				path = ":memory:";
			return store_backends[i].open(path, artifact_root, err);
		}
	}
	if (strstr(uri, "://")) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "unsupported backend store URI '%s'", uri);
		return NULL;
	}
	return store_sqlite_open(uri, artifact_root, err);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}
