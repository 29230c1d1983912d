/*
 * model_fetch.h - a model URI made into a complete local model directory:
 * what `models serve`, `predict`, the Docker context, the Lambda zip and
 * the Kubernetes manifests start from.
 *
 * A local directory (or MLmodel file, or file:// URI) is used where it is.
 * Any other URI (models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME@ALIAS,
 * models:/NAME/latest, runs:/RUN/PATH, mlflow-artifacts:/..., http(s)://)
 * is resolved through the tracking server with the client library and
 * downloaded once into a cache directory keyed by what it resolved to
 * (a registry version's source and the version itself), under a temporary
 * name renamed when complete, and checked complete (MLmodel present and
 * readable, every file the flavors name present) before it is used, so a
 * server never says it is ready on half a model.
 */
#ifndef MLF_MODEL_FETCH_H
#define MLF_MODEL_FETCH_H

#include "../base/err.h"

struct model_fetch_options {
	const char *tracking_uri; /* NULL: MLFLOW_TRACKING_URI, else the CLI's default */
	const char *cache_dir;    /* NULL: $MLFLOWC_MODEL_CACHE, else ~/.cache/mlflowc/models */
};

/* Resolves `uri` into a local model directory written into dir[size].
 * Returns 0, or -1 with err set (RESOURCE_DOES_NOT_EXIST for an unknown
 * model or version, INVALID_PARAMETER_VALUE for a malformed URI or an
 * incomplete model, TEMPORARILY_UNAVAILABLE when the server cannot be
 * reached). `registered` (may be NULL) receives "NAME/VERSION" for a
 * models:/ URI, "" otherwise, when the caller wants to show what it serves. */
int model_fetch(const char *uri, const struct model_fetch_options *opt, char *dir, size_t size,
		char *registered, size_t registered_size, struct mlf_err *err);

#endif
