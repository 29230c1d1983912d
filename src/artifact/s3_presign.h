/*
 * s3_presign.h - presigned S3 URLs (SigV4 query-string authentication), for
 * handing a client a URL it can PUT a multipart part to directly: MLflow's
 * proxied multipart upload API gives out one such URL per part.
 *
 * libcurl signs requests it sends itself; a URL signed for someone else
 * must be computed here (HMAC-SHA256 from OpenSSL's libcrypto). The URL and
 * its canonical query come from s3_sign.h, so both paths agree on encoding.
 */
#ifndef MLF_S3_PRESIGN_H
#define MLF_S3_PRESIGN_H

#include "s3_sign.h"
#include <time.h>

struct s3_credentials {
	const char *access_key;
	const char *secret_key;    /* a secret: never logged */
	const char *session_token; /* NULL when none */
	const char *region;
};

/* Appends to `out` the URL of `method` ("PUT", "GET") on `key` with the
 * query parameters p[0..n), signed for `expires` seconds from `now`
 * (Unix seconds), payload unsigned. */
void s3_presign(struct buf *out, const struct s3_target *t, const struct s3_credentials *cred, const char *method,
		const char *key, const struct s3_param *p, size_t n, time_t now, int expires);

#endif
