/*
 * artifact_local.h - artifacts in a local directory.
 */
#ifndef MLF_ARTIFACT_LOCAL_H
#define MLF_ARTIFACT_LOCAL_H

#include "artifact.h"

/* Opens (creating it if needed) the directory `root`. See artifact_open(). */
struct artifact_repo *artifact_local_open(const char *root, struct mlf_err *err);

#endif
