/*
 * artifact_s3.h - artifacts in an S3 bucket (or an S3-compatible store),
 * through libcurl with its SigV4 signer.
 */
#ifndef MLF_ARTIFACT_S3_H
#define MLF_ARTIFACT_S3_H

#include "artifact.h"

/* Opens the store at `uri`, "s3://bucket" or "s3://bucket/prefix". Reads
 * the environment once, here: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
 * (required), AWS_SESSION_TOKEN, AWS_DEFAULT_REGION or AWS_REGION (default
 * us-east-1), MLFLOW_S3_ENDPOINT_URL (an S3-compatible server, addressed
 * path-style) and MLFLOW_S3_IGNORE_TLS=true. Contacts nothing. Returns a
 * repo the caller frees with artifact_close(), or NULL with `err` set.
 * Call from one thread at start-up (it initialises libcurl). */
struct artifact_repo *artifact_s3_open(const char *uri, struct mlf_err *err);

#endif
