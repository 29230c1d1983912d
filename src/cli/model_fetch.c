/*
 * model_fetch.c - a model URI made into a complete local model directory;
 * see model_fetch.h.
 *
 * The cache holds one directory per resolved source, named by the SHA-256
 * of the tracking URI and the source: a download goes to a temporary
 * directory beside it and is renamed into place only after the model in it
 * was checked complete, so a crash or a second server fetching at the same
 * time never leaves a half model under the final name (the loser of the
 * rename race throws its copy away and uses the winner's).
 */
#include "model_fetch.h"
#include "../../include/mlflowc.h"
#include "../base/lazylink.h"
#include "../artifact/artifact_path.h"
#include "../base/model_uri.h"
#include "../model/model_dir.h"
#include "cli_client.h"
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files each flavor's configuration names; each must be present. */
static const char *const flavor_file_keys[] = { "data", "model_path", "pickled_model", "python_model", "library" };

static int check_complete(const char *dir, struct mlf_err *err)
{
	struct model_dir md;
	if (model_dir_open(dir, &md, err) < 0)
		return -1;
	const char *flavor;
	json_t *conf;
	int rc = 0;
	json_object_foreach((json_t *)md.ml.flavors, flavor, conf) {
		for (size_t k = 0; rc == 0 && k < ARRAY_SIZE(flavor_file_keys); k++) {
			const char *rel = json_string_value(json_object_get(conf, flavor_file_keys[k]));
			if (rel && !model_dir_has(&md, rel))
				rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
						"The model at %s is incomplete: its %s flavor names '%s', which is missing",
						dir, flavor, rel);
		}
	}
	model_dir_close(&md);
	return rc;
}

static bool is_local(const char *uri)
{
	struct stat st;
	return strncmp(uri, "file:", 5) == 0 || (!strstr(uri, ":/") && stat(uri, &st) == 0);
}

/* mkdir -p of an absolute or relative path. */
static int make_dirs(const char *path)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes a temporary download (or a broken cache entry) of our own. */
static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cache_root(const struct model_fetch_options *opt, char *out, size_t size)
{
	const char *env = getenv("MLFLOWC_MODEL_CACHE");
	const char *home = getenv("HOME");
	if (opt && opt->cache_dir)
		snprintf(out, size, "%s", opt->cache_dir);
	else if (env && *env)
		snprintf(out, size, "%s", env);
	else
		snprintf(out, size, "%s/.cache/mlflowc/models", home && *home ? home : "/tmp");
}

static enum mlf_code client_code(enum mlf_result r)
{
	const char *why = mlf_last_error();
	if (r == MLF_CLIENT_ERR_SERVER && strstr(why, "RESOURCE_DOES_NOT_EXIST"))
		return MLF_RESOURCE_DOES_NOT_EXIST;
	if (r == MLF_CLIENT_ERR_TRANSPORT)
		return MLF_TEMPORARILY_UNAVAILABLE;
	return r == MLF_CLIENT_ERR_INVALID ? MLF_INVALID_PARAMETER_VALUE : MLF_INTERNAL_ERROR;
}

/* The registry version a models:/ URI names: its number into version[]. */
static enum mlf_result registry_version(mlf_client *client, const struct model_uri *mu, char *name, size_t name_size,
					char *version, size_t version_size)
{
	snprintf(name, name_size, "%.*s", (int)mu->name_len, mu->name);
	char ref[256];
	snprintf(ref, sizeof(ref), "%.*s", (int)mu->ref_len, mu->ref);
	struct mlf_model_versions *v = NULL;
	enum mlf_result r;
	switch (mu->kind) {
	case MODEL_URI_VERSION:
		snprintf(version, version_size, "%s", ref);
		return MLF_CLIENT_OK;
	case MODEL_URI_ALIAS:
		r = mlf_model_version_by_alias(client, name, ref, &v);
		break;
	case MODEL_URI_LATEST:
		r = mlf_model_version_latest(client, name, NULL, &v);
		break;
	case MODEL_URI_STAGE:
		r = mlf_model_version_latest(client, name, ref, &v);
		break;
	default:
		return MLF_CLIENT_ERR_INVALID;
	}
	if (r == MLF_CLIENT_OK && (!v || !v->count))
		r = MLF_CLIENT_ERR_SERVER;
	if (r == MLF_CLIENT_OK)
		snprintf(version, version_size, "%s", v->items[0].version);
	mlf_model_versions_free(v);
	return r;
}

static int fetch_remote(const char *uri, const struct model_fetch_options *opt, char *dir, size_t size,
			char *registered, size_t registered_size, struct mlf_err *err)
{
	char why[256] = "";
	mlf_client *client = NULL;
	const char *tracking = cli_tracking_uri(opt ? opt->tracking_uri : NULL);
	enum mlf_result r = mlf_client_open(tracking, NULL, &client, why, sizeof(why));
	if (r != MLF_CLIENT_OK)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Cannot use tracking URI '%s': %s", tracking, why);
	/* what the URI resolves to now: a registry version's download URI, or itself */
	char source[4096];
	struct model_uri mu;
	if (model_uri_parse(uri, &mu) == 0 && mu.kind != MODEL_URI_ID) {
		char name[1024], version[256];
		r = registry_version(client, &mu, name, sizeof(name), version, sizeof(version));
		if (r == MLF_CLIENT_OK)
			r = mlf_model_version_download_uri(client, name, version, source, sizeof(source));
		if (r != MLF_CLIENT_OK) {
			mlf_errorf(err, client_code(r), "Cannot resolve '%s': %s", uri, mlf_last_error());
			mlf_client_close(client);
			return -1;
		}
		if (registered)
			snprintf(registered, registered_size, "%s/%s", name, version);
	} else {
		snprintf(source, sizeof(source), "%s", uri);
	}
	/* the cache entry */
	char root[PATH_MAX], key_text[8192];
	unsigned char digest[32];
	char hex[65];
	cache_root(opt, root, sizeof(root));
	snprintf(key_text, sizeof(key_text), "%s\n%s", tracking, source);
	SHA256((const unsigned char *)key_text, strlen(key_text), digest);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	int n = snprintf(dir, size, "%s/%.32s", root, hex);
	if (n < 0 || (size_t)n >= size) {
		mlf_client_close(client);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The model cache path is too long");
	}
	if (check_complete(dir, NULL) == 0) {
		mlf_client_close(client);
		return 0;
	}
	if (make_dirs(root) < 0) {
		mlf_client_close(client);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Cannot create the model cache %s: %s", root, strerror(errno));
	}
	char tmp[PATH_MAX];
	n = snprintf(tmp, sizeof(tmp), "%s/.tmp-%.32s-XXXXXX", root, hex);
	if (n < 0 || (size_t)n >= sizeof(tmp) || !mkdtemp(tmp)) {
		mlf_client_close(client);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Cannot create a directory in %s: %s", root, strerror(errno));
	}
	char landed[PATH_MAX];
	r = mlf_artifact_download_uri(client, source, tmp, landed, sizeof(landed));
	mlf_client_close(client);
	if (r != MLF_CLIENT_OK) {
		mlf_errorf(err, client_code(r), "Cannot download the model '%s' from %s: %s", uri, source,
			   mlf_last_error());
		remove_tree(tmp);
		return -1;
	}
	if (check_complete(landed, err) < 0) {
		remove_tree(tmp);
		return -1;
	}
	if (access(dir, F_OK) == 0 && check_complete(dir, NULL) < 0)
		remove_tree(dir); /* a broken entry (copied in by hand, or from an older layout) */
	if (rename(landed, dir) < 0 && check_complete(dir, NULL) < 0) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "Cannot move the model into the cache at %s: %s", dir, strerror(errno));
		remove_tree(tmp);
		return -1;
	}
	remove_tree(tmp);
	return 0;
}

int model_fetch(const char *uri, const struct model_fetch_options *opt, char *dir, size_t size, char *registered,
		size_t registered_size, struct mlf_err *err)
{
	if (registered && registered_size)
		registered[0] = '\0';
	if (!uri || !*uri)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "No model URI given");
	if (is_local(uri)) {
		bool invalid = false;
		char *path = strncmp(uri, "file:", 5) == 0 ? artifact_file_uri_path(uri, &invalid) : strdup(uri);
		char resolved[PATH_MAX];
		bool ok = path && realpath(path, resolved);
		free(path);
		if (!ok)
			return mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Could not find a model at '%s'", uri);
		if (check_complete(resolved, err) < 0)
			return -1;
		if (strlen(resolved) >= size)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "The model path is too long");
		memcpy(dir, resolved, strlen(resolved) + 1);
		return 0;
	}
	return fetch_remote(uri, opt, dir, size, registered, registered_size, err);
}
