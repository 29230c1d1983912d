/*
 * s3_presign.c - SigV4 query-string signing; see s3_presign.h. The steps
 * are AWS's: a canonical request (method, path, sorted query, the host
 * header, UNSIGNED-PAYLOAD), its SHA-256 in a string to sign with the
 * credential scope, and an HMAC-SHA256 with a key derived from the secret
 * through the date, region and service.
 */
#include "s3_presign.h"
#include "../base/xalloc.h"
#include "../base/lazylink.h"

static void hex(struct buf *out, const unsigned char *d, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		buf_addch(out, digits[d[i] >> 4]);
		buf_addch(out, digits[d[i] & 15]);
	}
}

static void hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* The host a request for `t` goes to, with its port. */
static void host_of(struct buf *out, const struct s3_target *t)
{
	if (t->endpoint) {
		const char *h = strstr(t->endpoint, "://");
		buf_adds(out, h ? h + 3 : t->endpoint);
	} else if (s3_path_style(t)) {
		buf_addf(out, "s3.%s.amazonaws.com", t->region);
	} else {
		buf_addf(out, "%s.s3.%s.amazonaws.com", t->bucket, t->region);
	}
}

static void canonical_path(struct buf *out, const struct s3_target *t, const char *key)
{
	buf_addch(out, '/');
	if (s3_path_style(t)) {
		s3_encode(out, t->bucket, strlen(t->bucket), true);
		if (*key)
			buf_addch(out, '/');
	}
	s3_encode(out, key, strlen(key), true);
}

void s3_presign(struct buf *out, const struct s3_target *t, const struct s3_credentials *cred, const char *method,
		const char *key, const struct s3_param *p, size_t n, time_t now, int expires)
{
	char amz_date[17], date[9], expiry[16];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	snprintf(expiry, sizeof(expiry), "%d", expires);

	struct buf scope = BUF_INIT, credential = BUF_INIT, req = BUF_INIT, sts = BUF_INIT, query = BUF_INIT;
	buf_addf(&scope, "%s/%s/s3/aws4_request", date, cred->region);
	buf_addf(&credential, "%s/%s", cred->access_key, scope.ptr);

	/* the caller's parameters plus the X-Amz-* ones, canonically sorted */
	struct s3_param *all = xcalloc(n + 6, sizeof(*all));
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		all[m++] = p[i];
	all[m++] = (struct s3_param){ "X-Amz-Algorithm", "AWS4-HMAC-SHA256" };
	all[m++] = (struct s3_param){ "X-Amz-Credential", credential.ptr };
	all[m++] = (struct s3_param){ "X-Amz-Date", amz_date };
	all[m++] = (struct s3_param){ "X-Amz-Expires", expiry };
	all[m++] = (struct s3_param){ "X-Amz-SignedHeaders", "host" };
	if (cred->session_token)
		all[m++] = (struct s3_param){ "X-Amz-Security-Token", cred->session_token };
	s3_query(&query, all, m);

	buf_addf(&req, "%s\n", method);
	canonical_path(&req, t, key);
	buf_addf(&req, "\n%s\nhost:", query.ptr);
	host_of(&req, t);
	buf_adds(&req, "\n\nhost\nUNSIGNED-PAYLOAD");

	unsigned char digest[32], k[32];
	SHA256((const unsigned char *)req.ptr, req.len, digest);
	buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n", amz_date, scope.ptr);
	hex(&sts, digest, sizeof(digest));

	struct buf secret = BUF_INIT;
	buf_addf(&secret, "AWS4%s", cred->secret_key);
	hmac(secret.ptr, secret.len, date, k);
	hmac(k, sizeof(k), cred->region, k);
	hmac(k, sizeof(k), "s3", k);
	hmac(k, sizeof(k), "aws4_request", k);
	hmac(k, sizeof(k), sts.ptr, digest);
	memset(secret.ptr, 0, secret.len);

	s3_url(out, t, key, all, m);
	buf_adds(out, "&X-Amz-Signature=");
	hex(out, digest, sizeof(digest));

	free(all);
	buf_release(&secret);
	buf_release(&scope);
	buf_release(&credential);
	buf_release(&req);
	buf_release(&sts);
	buf_release(&query);
}
