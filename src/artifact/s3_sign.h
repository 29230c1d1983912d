/*
 * s3_sign.h - the canonical S3 request URL: what libcurl's SigV4 signer
 * (CURLOPT_AWS_SIGV4) needs to be handed so that the signature it computes
 * is the one S3 recomputes.
 *
 * libcurl 7.88 signs the URL's path and query string as they are: it
 * neither sorts the query nor encodes it. So every URL we give it is built
 * here, with the query already canonical: parameters sorted by encoded name
 * then value, every name and value RFC 3986-encoded (including '/'), and
 * "name=" for an empty value ("?uploads="). Object keys in the path are
 * encoded byte by byte with '/' kept, as S3 (unlike other AWS services)
 * expects. This module signs nothing itself and holds no secrets.
 */
#ifndef MLF_S3_SIGN_H
#define MLF_S3_SIGN_H

#include "../base/buf.h"

/* Appends s[0..n) RFC 3986-encoded to `out`: the unreserved bytes
 * A-Z a-z 0-9 - . _ ~ as they are, '/' as it is when `keep_slash`, every
 * other byte (UTF-8 included) as %XX with upper-case hex. */
void s3_encode(struct buf *out, const char *s, size_t n, bool keep_slash);

/* One query parameter; a NULL value is the empty value. Borrowed strings. */
struct s3_param {
	const char *name;
	const char *value;
};

/* Appends the canonical query string of p[0..n) (without the '?'); nothing
 * when n is 0. `p` is not modified. */
void s3_query(struct buf *out, const struct s3_param *p, size_t n);

/* Where a bucket lives. Borrowed strings. */
struct s3_target {
	const char *endpoint; /* "http://127.0.0.1:9000" (no trailing '/'), or NULL for AWS */
	const char *bucket;
	const char *region;   /* used for the AWS host name */
};

/* True when requests for `t` use path-style URLs (endpoint/bucket/key):
 * always with a custom endpoint, and on AWS for bucket names with a dot
 * (which virtual-host TLS certificates do not cover). */
bool s3_path_style(const struct s3_target *t);

/* Appends the full URL of `key` ("" for the bucket itself): path-style
 * <endpoint>/<bucket>/<key> or virtual-host
 * https://<bucket>.s3.<region>.amazonaws.com/<key>, then '?' and the
 * canonical query when n > 0. */
void s3_url(struct buf *out, const struct s3_target *t, const char *key, const struct s3_param *p, size_t n);

#endif
