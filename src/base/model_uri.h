/*
 * model_uri.h - the grammar of models:/ URIs, as MLflow's clients and
 * server read them, for every layer that meets one (the registry handlers
 * resolving a version's source, the client library resolving a download):
 *
 *   models:/NAME/VERSION   digits only
 *   models:/NAME/latest    any case
 *   models:/NAME/STAGE     any other suffix (the caller checks the stage)
 *   models:/NAME@ALIAS     split at the last '@'
 *   models:/ID             one segment without '@' (a logged model, 3.x)
 *
 * The scheme is read in any case (as urlparse does); slashes after it are skipped; more than two segments, a blank
 * name, a blank suffix (so a trailing slash) or a blank alias is malformed.
 */
#ifndef MLF_MODEL_URI_H
#define MLF_MODEL_URI_H

#include "common.h"

enum model_uri_kind {
	MODEL_URI_VERSION,
	MODEL_URI_LATEST,
	MODEL_URI_STAGE,
	MODEL_URI_ALIAS,
	MODEL_URI_ID,
};

struct model_uri {
	enum model_uri_kind kind;
	const char *name; /* the model name, or the logged model id for MODEL_URI_ID */
	size_t name_len;
	const char *ref;  /* the version digits, "latest", the stage or the alias; "" for MODEL_URI_ID */
	size_t ref_len;
};

/* Parses `uri` into *out, whose pointers borrow from `uri` (nothing is
 * allocated). Returns 0, or -1 when `uri` is not a models:/ URI of the
 * grammar above (*out is then unspecified). */
int model_uri_parse(const char *uri, struct model_uri *out);

#endif
