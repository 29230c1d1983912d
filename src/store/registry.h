/*
 * registry.h - the model registry half of the store interface: registered
 * models, model versions, stages, aliases, tags, and the history of stage
 * transitions and alias moves. Same memory and error rules as store.h.
 */
#ifndef MLF_REGISTRY_H
#define MLF_REGISTRY_H

#include "../base/arena.h"
#include "../base/err.h"

struct store;

struct store_registry_ops {
	int unused; /* the operations are being written (issue 4) */
};

#endif
