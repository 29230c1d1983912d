/*
 * xalloc.h - allocation wrappers for the server and CLI.
 *
 * Policy (docs/architecture.md): in the server an allocation failure is not
 * a recoverable condition, so these log and abort instead of returning NULL.
 * That removes thousands of untestable branches. Library code meant for
 * other hosts must not use them.
 */
#ifndef MLF_XALLOC_H
#define MLF_XALLOC_H

#include "common.h"

/* Each returns memory the caller frees with free(); never NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
