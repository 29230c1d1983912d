/*
 * export_mlruns.c - MLflow's file store layout written from an mlflowc store
 * (export_mlruns.h). Everything goes into `.NAME.partial-PID` beside the
 * target and is renamed onto it at the end. Keys become file paths as in
 * MLflow (a key `a/b` is the file `a/b`); a key that cannot be one path
 * without aliasing another (empty, absolute, `.`/`..` or empty segments)
 * is refused with the run and key named, as MLflow refuses it on logging.
 */
#include "export_mlruns.h"
#include "pyyaml_out.h"
#include "../artifact/artifact.h"
#include "../artifact/artifact_path.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include "../store/registry.h"
#include "../store/store_export.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT_PAGE 1000

/* ---- numbers and ids --------------------------------------------------------- */

void export_py_float(char out[40], double v)
{
	if (isnan(v)) {
		snprintf(out, 40, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(out, 40, v > 0 ? "inf" : "-inf");
		return;
	}
	/* the fewest digits that read back as v (Python's repr); reading back
	 * is monotonic in the digit count, so search it by halves */
	char e[40];
	int lo = 0, hi = 16;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(e, sizeof(e), "%.*e", mid, v);
		if (strtod(e, NULL) == v)
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(e, sizeof(e), "%.*e", lo, v);
	/* e is [-]d[.ddd]e[+-]xx: take its digits and decimal exponent */
	const char *p = e;
	bool neg = *p == '-';
	if (neg)
		p++;
	char digits[24];
	size_t nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = 0;
	int exp10 = atoi(p + 1);
	struct buf b;
	buf_init(&b, 40);
	if (neg)
		buf_addch(&b, '-');
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			buf_adds(&b, "0.");
			for (int i = -1; i > exp10; i--)
				buf_addch(&b, '0');
			buf_adds(&b, digits);
		} else {
			for (int i = 0; i <= exp10; i++)
				buf_addch(&b, (size_t)i < nd ? digits[i] : '0');
			buf_addch(&b, '.');
			if ((size_t)exp10 + 1 < nd)
				buf_adds(&b, digits + exp10 + 1);
			else
				buf_addch(&b, '0');
		}
	} else {
		buf_addch(&b, digits[0]);
		if (nd > 1) {
			buf_addch(&b, '.');
			buf_adds(&b, digits + 1);
		}
		buf_addf(&b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	}
	snprintf(out, 40, "%s", b.ptr);
	buf_release(&b);
}

/* RFC 1321. */
static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
static const uint8_t md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9,  14, 20, 5, 9,  14, 20,
	5, 9,  14, 20, 5, 9,  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static void md5_block(uint32_t h[4], const unsigned char *blk)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[i * 4] | (uint32_t)blk[i * 4 + 1] << 8 | (uint32_t)blk[i * 4 + 2] << 16 |
		       (uint32_t)blk[i * 4 + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f;
		int g;
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		uint32_t t = d;
		d = c;
		c = b;
		uint32_t x = a + f + md5_k[i] + w[g];
		b = b + (x << md5_r[i] | x >> (32 - md5_r[i]));
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void export_md5_hex(const void *s, size_t n, char out[33])
{
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	const unsigned char *p = s;
	unsigned char tail[128] = { 0 };
	size_t full = n / 64 * 64, rest = n - full;
	for (size_t i = 0; i < full; i += 64)
		md5_block(h, p + i);
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	size_t tl = rest + 9 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;
	for (int i = 0; i < 8; i++)
		tail[tl - 8 + i] = (unsigned char)(bits >> (8 * i));
	md5_block(h, tail);
	if (tl == 128)
		md5_block(h, tail + 64);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned)(h[i / 4] >> (8 * (i % 4)) & 0xFF));
}

/* ---- files ------------------------------------------------------------------ */

struct exporter {
	struct store *st;
	const struct export_options *opt;
	struct export_counts *counts;
	struct arena *a;      /* the current run's or model's: released after it */
	struct arena *keep;   /* what lives for the whole export */
	const char *tmp;      /* the partial tree being written */
	const char *final;    /* absolute path of the target */
	/* run id -> (old artifact URI, new one), for rewriting version sources */
	const char **run_ids, **old_uris, **new_uris;
	size_t n_runs, cap_runs;
};

static int errno_fail(const char *what, const char *path, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "could not %s %s: %s", what, path, strerror(errno));
}

/* mkdir -p of `path` (absolute). */
static int make_dirs(const char *path, struct mlf_err *err)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(tmp))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long: %s", path);
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != 0)
			continue;
		char c = tmp[i];
		tmp[i] = 0;
		if (mkdir(tmp, 0777) < 0 && errno != EEXIST)
			return errno_fail("create directory", tmp, err);
		tmp[i] = c;
	}
	return 0;
}

/* Writes `data` as the new file `path` (its directories made). */
static int write_file(const char *path, const char *data, size_t n, struct mlf_err *err)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	size_t dl = (size_t)(slash - path);
	if (dl >= sizeof(dir))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long: %s", path);
	memcpy(dir, path, dl);
	dir[dl] = 0;
	if (make_dirs(dir, err) < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return errno_fail("create", path, err);
	if (util_write_all(fd, data, n) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return errno_fail("write", path, err);
	}
	if (close(fd) < 0)
		return errno_fail("write", path, err);
	return 0;
}

static int write_yaml(struct exporter *x, const char *path, struct buf *b, struct mlf_err *err)
{
	(void)x;
	if (buf_failed(b))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory writing %s", path);
	return write_file(path, b->ptr, b->len, err);
}

/* Whether `key` names one file path and no other (MLflow's rule: the
 * normalised path is the key itself, not ".", not above or absolute). */
static bool key_is_path(const char *key)
{
	if (!*key || key[0] == '/')
		return false;
	const char *seg = key;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (len == 0 || len > 255 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (!end)
			return true;
		seg = end + 1;
	}
}

static int key_files(struct exporter *x, const char *dir, const char *what, const char *owner,
		     const struct store_kv *kv, size_t n, size_t *count, struct mlf_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!key_is_path(kv[i].key))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "%s: %s key '%s' cannot be a file name in MLflow's file store (it must be a "
					  "relative path without empty, '.' or '..' parts); rename it before exporting",
					  owner, what, kv[i].key);
		const char *path = arena_printf(x->a, "%s/%s/%s", dir, what, kv[i].key);
		if (write_file(path, kv[i].value, strlen(kv[i].value), err) < 0)
			return -1;
		if (count)
			(*count)++;
	}
	return 0;
}

/* file:// URI of an absolute path, percent-encoding what a URI cannot hold
 * (as pathlib's as_uri does). */
static const char *file_uri(struct arena *a, const char *path)
{
	struct buf b;
	buf_init(&b, strlen(path) + 16);
	buf_adds(&b, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~!$&'()*+,;=:@", *p))
			buf_addch(&b, (char)*p);
		else
			buf_addf(&b, "%%%02X", *p);
	}
	const char *s = arena_strdup(a, b.ptr);
	buf_release(&b);
	return s;
}

/* ---- artifacts ---------------------------------------------------------------- */

/* The artifact store holding `uri`'s files, or NULL (with *none set) when
 * it is a local directory that does not exist (a run without artifacts). */
static struct artifact_repo *artifact_source(struct exporter *x, const char *owner, const char *uri, bool *none,
					     struct mlf_err *err)
{
	*none = false;
	const char *local = NULL;
	if (strncmp(uri, "mlflow-artifacts:", 17) == 0) {
		const char *rest = uri + 17;
		if (strncmp(rest, "//", 2) == 0) {
			rest = strchr(rest + 2, '/');
			rest = rest ? rest : "";
		}
		while (*rest == '/')
			rest++;
		const char *dest = x->opt->artifacts_destination;
		size_t dl = strlen(dest);
		while (dl > 1 && dest[dl - 1] == '/')
			dl--;
		if (strstr(dest, "://")) /* the proxy's S3 destination */
			return artifact_open(arena_printf(x->a, "%.*s/%s", (int)dl, dest, rest), err);
		local = arena_printf(x->a, "%.*s/%s", (int)dl, dest, rest);
	} else if (strncmp(uri, "file:", 5) == 0) {
		char *p = artifact_file_uri_path(uri, NULL);
		if (!p)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s: bad artifact URI '%s'", owner, uri),
			       NULL;
		local = arena_strdup(x->a, p);
		free(p);
	} else if (uri[0] == '/') {
		local = uri;
	} else if (strncmp(uri, "s3://", 5) != 0) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			   "%s: cannot copy artifacts from '%s' (local paths, file:, mlflow-artifacts: and s3: URIs "
			   "only); use --keep-artifact-locations",
			   owner, uri);
		return NULL;
	}
	if (local) {
		struct stat sb;
		if (stat(local, &sb) < 0 && errno == ENOENT) {
			*none = true;
			return NULL;
		}
		return artifact_open(local, err);
	}
	return artifact_open(uri, err);
}

static int copy_one(struct exporter *x, struct artifact_repo *src, const struct artifact_entry *e,
		    const char *dest_dir, struct mlf_err *err)
{
	struct artifact_download dl;
	const char *dest = arena_printf(x->a, "%s/%s", dest_dir, e->path);
	if (src->ops->download_open(src, e->path, &dl, err) < 0)
		return -1;
	const char *slash = strrchr(dest, '/');
	const char *dir = arena_strndup(x->a, dest, (size_t)(slash - dest));
	int out = -1, rc = -1;
	uint64_t total = 0;
	char chunk[65536];
	if (make_dirs(dir, err) < 0)
		goto done;
	if ((out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) < 0) {
		errno_fail("create", dest, err);
		goto done;
	}
	for (;;) {
		ssize_t got = dl.fd >= 0 ? read(dl.fd, chunk, sizeof(chunk)) : dl.read(dl.ctx, total, chunk, sizeof(chunk));
		if (got < 0 && dl.fd >= 0 && errno == EINTR)
			continue;
		if (got < 0) {
			mlf_errorf(err, MLF_INTERNAL_ERROR, "could not read artifact %s", e->path);
			goto done;
		}
		if (got == 0)
			break;
		if (util_write_all(out, chunk, (size_t)got) < 0) {
			errno_fail("write", dest, err);
			goto done;
		}
		total += (uint64_t)got;
	}
	if (close(out) < 0) {
		out = -1;
		errno_fail("write", dest, err);
		goto done;
	}
	out = -1;
	struct stat sb;
	if (stat(dest, &sb) < 0 || (uint64_t)sb.st_size != total || (e->size >= 0 && (uint64_t)e->size != total) ||
	    (dl.size != UINT64_MAX && dl.size != total)) {
		mlf_errorf(err, MLF_DATA_LOSS, "artifact %s: copied %llu bytes, the source lists %lld", e->path,
			   (unsigned long long)total, (long long)e->size);
		goto done;
	}
	x->counts->artifact_files++;
	x->counts->artifact_bytes += total;
	rc = 0;
done:
	if (out >= 0)
		close(out);
	if (dl.fd >= 0)
		close(dl.fd);
	else if (dl.close)
		dl.close(dl.ctx);
	return rc;
}

static int copy_tree(struct exporter *x, struct artifact_repo *src, const char *rel, const char *dest_dir,
		     struct mlf_err *err)
{
	struct artifact_entry *es;
	size_t n;
	if (src->ops->list(src, rel, &es, &n, x->a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int rc = es[i].is_dir ? copy_tree(x, src, es[i].path, dest_dir, err) : copy_one(x, src, &es[i], dest_dir, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int copy_artifacts(struct exporter *x, const char *owner, const char *uri, const char *dest_dir,
			  struct mlf_err *err)
{
	bool none;
	if (make_dirs(dest_dir, err) < 0)
		return -1;
	struct artifact_repo *src = artifact_source(x, owner, uri, &none, err);
	if (!src)
		return none ? 0 : -1;
	int rc = copy_tree(x, src, "", dest_dir, err);
	artifact_close(src);
	return rc;
}

/* ---- tracking ------------------------------------------------------------------ */

/* Whether experiment `id` is to be exported; marks it found in `found`
 * (one flag per --experiment-ids entry). */
static bool wanted(const struct export_options *opt, int64_t id, bool *found)
{
	bool yes = !opt->experiment_ids;
	for (size_t i = 0; opt->experiment_ids && i < opt->n_experiment_ids; i++)
		if (opt->experiment_ids[i] == id)
			yes = found[i] = true;
	return yes;
}

static const struct {
	const char *name;
	int code;
} run_statuses[] = {
	{ "RUNNING", 1 }, { "SCHEDULED", 2 }, { "FINISHED", 3 }, { "FAILED", 4 }, { "KILLED", 5 },
};

static int status_code(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(run_statuses); i++)
		if (strcmp(run_statuses[i].name, s) == 0)
			return run_statuses[i].code;
	return 1;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct store_kv *)a)->key, ((const struct store_kv *)b)->key);
}

static void sort_kv(struct store_kv *kv, size_t n)
{
	if (n > 1)
		qsort(kv, n, sizeof(*kv), cmp_kv);
}

static int write_metric(struct exporter *x, const char *run_dir, const struct store_run *r, const char *key,
			struct mlf_err *err)
{
	struct store_metric *pts;
	size_t n;
	bool more;
	if (!key_is_path(key))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "run %s: metric key '%s' cannot be a file name in MLflow's file store", r->info.run_id,
				  key);
	if (store_metric_history(x->st, r->info.run_id, key, 0, -1, &pts, &n, &more, x->a, err) < 0)
		return -1;
	struct buf b;
	buf_init(&b, n * 40 + 16);
	buf_sticky(&b, SIZE_MAX / 2);
	for (size_t i = 0; i < n; i++) {
		char v[40];
		double d = pts[i].value;
		/* the store keeps +/-Inf as +/-DBL_MAX, as MLflow's SQL store does */
		if (d == DBL_MAX || d == -DBL_MAX)
			d = d > 0 ? INFINITY : -INFINITY;
		export_py_float(v, d);
		buf_addf(&b, "%lld %s %lld\n", (long long)pts[i].timestamp, v, (long long)pts[i].step);
	}
	int rc = buf_failed(&b) ? mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory")
				: write_file(arena_printf(x->a, "%s/metrics/%s", run_dir, key), b.ptr,
					     b.len, err);
	buf_release(&b);
	x->counts->metric_points += n;
	return rc;
}

/* datasets/<md5(name + digest)>/meta.yaml of the experiment, once each. */
static const char *dataset_id(struct exporter *x, const struct store_dataset *d)
{
	const char *nd = arena_printf(x->a, "%s%s", d->name, d->digest);
	char *id = arena_alloc(x->a, 33);
	export_md5_hex(nd, strlen(nd), id);
	return id;
}

static int write_dataset(struct exporter *x, const char *exp_dir, const struct store_dataset *d, const char *id,
			 struct mlf_err *err)
{
	const char *path = arena_printf(x->a, "%s/datasets/%s/meta.yaml", exp_dir, id);
	if (access(path, F_OK) == 0)
		return 0;
	struct buf b;
	struct pyyaml y;
	buf_init(&b, 512);
	buf_sticky(&b, SIZE_MAX / 2);
	pyyaml_init(&y, &b);
	pyyaml_str(&y, 0, "digest", d->digest);
	pyyaml_str(&y, 0, "name", d->name);
	pyyaml_str_or_null(&y, 0, "profile", d->profile);
	pyyaml_str_or_null(&y, 0, "schema", d->schema);
	pyyaml_str(&y, 0, "source", d->source);
	pyyaml_str(&y, 0, "source_type", d->source_type);
	pyyaml_end(&y);
	int rc = write_yaml(x, path, &b, err);
	buf_release(&b);
	if (rc == 0)
		x->counts->datasets++;
	return rc;
}

static int write_inputs(struct exporter *x, const char *exp_dir, const char *run_dir, struct store_run *r,
			struct mlf_err *err)
{
	for (size_t i = 0; i < r->n_inputs; i++) {
		struct store_dataset_input *in = &r->inputs[i];
		const char *did = dataset_id(x, &in->dataset);
		if (write_dataset(x, exp_dir, &in->dataset, did, err) < 0)
			return -1;
		const char *edge = arena_printf(x->a, "%s%s", did, r->info.run_id);
		char iid[33];
		export_md5_hex(edge, strlen(edge), iid);
		struct buf b;
		struct pyyaml y;
		buf_init(&b, 256);
		buf_sticky(&b, SIZE_MAX / 2);
		pyyaml_init(&y, &b);
		/* MLflow's writer puts the dataset id in destination_id too */
		pyyaml_str(&y, 0, "destination_id", did);
		pyyaml_str(&y, 0, "destination_type", "RUN");
		pyyaml_str(&y, 0, "source_id", did);
		pyyaml_str(&y, 0, "source_type", "DATASET");
		sort_kv(in->tags, in->n_tags);
		if (in->n_tags) {
			pyyaml_map(&y, 0, "tags");
			for (size_t t = 0; t < in->n_tags; t++)
				pyyaml_str(&y, 2, in->tags[t].key, in->tags[t].value);
		} else {
			pyyaml_flow(&y, 0, "tags", "{}");
		}
		pyyaml_end(&y);
		int rc = write_yaml(x, arena_printf(x->a, "%s/inputs/%s/meta.yaml", run_dir, iid), &b, err);
		buf_release(&b);
		if (rc < 0)
			return -1;
		x->counts->inputs++;
	}
	return 0;
}

static void remember_run(struct exporter *x, const char *run_id, const char *old_uri, const char *new_uri)
{
	if (x->n_runs == x->cap_runs) {
		size_t ncap = x->cap_runs ? x->cap_runs * 2 : 64;
		x->run_ids = arena_grow_array(x->keep, x->run_ids, x->n_runs, ncap, sizeof(*x->run_ids));
		x->old_uris = arena_grow_array(x->keep, x->old_uris, x->n_runs, ncap, sizeof(*x->old_uris));
		x->new_uris = arena_grow_array(x->keep, x->new_uris, x->n_runs, ncap, sizeof(*x->new_uris));
		x->cap_runs = ncap;
	}
	x->run_ids[x->n_runs] = arena_strdup(x->keep, run_id);
	x->old_uris[x->n_runs] = arena_strdup(x->keep, old_uri);
	x->new_uris[x->n_runs] = arena_strdup(x->keep, new_uri);
	x->n_runs++;
}

static int export_run_in(struct exporter *x, const char *exp_dir, const char *exp_location, const char *run_id,
		      struct mlf_err *err)
{
	struct store_run r;
	int64_t deleted_time;
	bool has_deleted;
	if (store_run_get(x->st, run_id, &r, x->a, err) < 0 ||
	    store_export_run_deleted_time(x->st, run_id, &deleted_time, &has_deleted, err) < 0)
		return -1;
	const char *run_dir = arena_printf(x->a, "%s/%s", exp_dir, run_id);
	const char *owner = arena_printf(x->a, "run %s", run_id);
	const char *artifact_uri = r.info.artifact_uri;
	if (x->opt->include_artifacts) {
		artifact_uri = arena_printf(x->a, "%s/%s/artifacts", exp_location, run_id);
		if (copy_artifacts(x, owner, r.info.artifact_uri, arena_printf(x->a, "%s/artifacts", run_dir), err) < 0)
			return -1;
		remember_run(x, run_id, r.info.artifact_uri, artifact_uri);
	}
	bool deleted = strcmp(r.info.lifecycle_stage, "deleted") == 0;
	struct buf b;
	struct pyyaml y;
	buf_init(&b, 1024);
	buf_sticky(&b, SIZE_MAX / 2);
	pyyaml_init(&y, &b);
	pyyaml_str(&y, 0, "artifact_uri", artifact_uri);
	if (deleted) {
		if (has_deleted)
			pyyaml_int(&y, 0, "deleted_time", deleted_time);
		else
			pyyaml_flow(&y, 0, "deleted_time", "null");
	}
	if (r.info.has_end_time)
		pyyaml_int(&y, 0, "end_time", r.info.end_time);
	else
		pyyaml_flow(&y, 0, "end_time", "null");
	pyyaml_str(&y, 0, "entry_point_name", "");
	pyyaml_str(&y, 0, "experiment_id", arena_printf(x->a, "%lld", (long long)r.info.experiment_id));
	pyyaml_str(&y, 0, "lifecycle_stage", r.info.lifecycle_stage);
	pyyaml_str(&y, 0, "run_id", run_id);
	pyyaml_str(&y, 0, "run_name", r.info.run_name ? r.info.run_name : "");
	pyyaml_str(&y, 0, "run_uuid", run_id);
	pyyaml_str(&y, 0, "source_name", "");
	pyyaml_int(&y, 0, "source_type", 4);
	pyyaml_str(&y, 0, "source_version", "");
	pyyaml_int(&y, 0, "start_time", r.info.start_time);
	pyyaml_int(&y, 0, "status", status_code(r.info.status));
	pyyaml_flow(&y, 0, "tags", "[]");
	pyyaml_str(&y, 0, "user_id", r.info.user_id ? r.info.user_id : "");
	pyyaml_end(&y);
	int rc = write_yaml(x, arena_printf(x->a, "%s/meta.yaml", run_dir), &b, err);
	buf_release(&b);
	if (rc < 0 || key_files(x, run_dir, "params", owner, r.params, r.n_params, &x->counts->params, err) < 0 ||
	    key_files(x, run_dir, "tags", owner, r.tags, r.n_tags, &x->counts->tags, err) < 0)
		return -1;
	for (size_t i = 0; i < r.n_metrics; i++)
		if (write_metric(x, run_dir, &r, r.metrics[i].key, err) < 0)
			return -1;
	if (write_inputs(x, exp_dir, run_dir, &r, err) < 0)
		return -1;
	x->counts->runs++;
	return 0;
}

/* One run, with its data in an arena of its own. */
static int export_run(struct exporter *x, const char *exp_dir, const char *exp_location, const char *run_id,
		      struct mlf_err *err)
{
	struct arena run_arena = ARENA_INIT, *outer = x->a;
	x->a = &run_arena;
	int rc = export_run_in(x, exp_dir, exp_location, run_id, err);
	x->a = outer;
	arena_release(&run_arena);
	return rc;
}

static int export_experiment(struct exporter *x, const struct store_experiment *e, struct mlf_err *err)
{
	bool deleted = strcmp(e->lifecycle_stage, "deleted") == 0;
	const char *rel = arena_printf(x->a, "%s%lld", deleted ? ".trash/" : "", (long long)e->id);
	const char *dir = arena_printf(x->a, "%s/%s", x->tmp, rel);
	/* MLflow's location is <root>/<id> even while the folder sits in .trash */
	const char *location = x->opt->include_artifacts
				       ? file_uri(x->a, arena_printf(x->a, "%s/%lld", x->final, (long long)e->id))
				       : e->artifact_location;
	const char *owner = arena_printf(x->a, "experiment %lld", (long long)e->id);
	struct store_kv *tags = e->tags;
	sort_kv(tags, e->n_tags);
	struct buf b;
	struct pyyaml y;
	buf_init(&b, 512);
	buf_sticky(&b, SIZE_MAX / 2);
	pyyaml_init(&y, &b);
	pyyaml_str(&y, 0, "artifact_location", location);
	pyyaml_int(&y, 0, "creation_time", e->creation_time);
	pyyaml_str(&y, 0, "experiment_id", arena_printf(x->a, "%lld", (long long)e->id));
	pyyaml_int(&y, 0, "last_update_time", e->last_update_time);
	pyyaml_str(&y, 0, "lifecycle_stage", e->lifecycle_stage);
	pyyaml_str(&y, 0, "name", e->name);
	if (deleted) {
		/* MLflow rewrites a deleted experiment's meta.yaml with its tags */
		if (e->n_tags) {
			pyyaml_map(&y, 0, "tags");
			for (size_t i = 0; i < e->n_tags; i++)
				pyyaml_str(&y, 2, tags[i].key, tags[i].value);
		} else {
			pyyaml_flow(&y, 0, "tags", "{}");
		}
	}
	pyyaml_end(&y);
	int rc = write_yaml(x, arena_printf(x->a, "%s/meta.yaml", dir), &b, err);
	buf_release(&b);
	if (rc < 0 || key_files(x, dir, "tags", owner, tags, e->n_tags, NULL, err) < 0)
		return -1;
	x->counts->experiments++;

	struct store_search q = { .view = STORE_VIEW_ALL, .max_results = EXPORT_PAGE };
	for (;;) {
		struct store_run *runs;
		size_t n;
		bool more;
		struct arena page = ARENA_INIT;
		rc = store_run_search(x->st, &e->id, 1, &q, &runs, &n, &more, &page, err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = export_run(x, dir, location, runs[i].info.run_id, err);
		arena_release(&page);
		if (rc < 0)
			return -1;
		if (!more || n == 0)
			break;
		q.offset += (int64_t)n;
	}
	return 0;
}

/* ---- registry --------------------------------------------------------------------- */

/* A source under a copied run's artifacts follows the copy. */
static const char *rewrite_source(struct exporter *x, const char *run_id, const char *source)
{
	if (!source || !run_id)
		return source;
	for (size_t i = 0; i < x->n_runs; i++) {
		if (strcmp(x->run_ids[i], run_id) != 0)
			continue;
		size_t ol = strlen(x->old_uris[i]);
		if (strncmp(source, x->old_uris[i], ol) == 0 && (source[ol] == 0 || source[ol] == '/'))
			return arena_printf(x->a, "%s%s", x->new_uris[i], source + ol);
	}
	return source;
}

static bool model_name_ok(const char *name)
{
	/* MLflow's file registry refuses path separators and '%' in names */
	return *name && !strchr(name, '/') && !strchr(name, '\\') && !strchr(name, '%') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && strlen(name) <= 255;
}

static int write_version(struct exporter *x, const char *mdir, const struct store_model_version *v,
			 struct mlf_err *err)
{
	const char *vdir = arena_printf(x->a, "%s/version-%lld", mdir, (long long)v->version);
	const char *source = rewrite_source(x, v->run_id, v->source);
	const char *storage = rewrite_source(x, v->run_id, v->storage_location ? v->storage_location : v->source);
	struct buf b;
	struct pyyaml y;
	buf_init(&b, 512);
	buf_sticky(&b, SIZE_MAX / 2);
	pyyaml_init(&y, &b);
	pyyaml_flow(&y, 0, "aliases", "[]");
	pyyaml_int(&y, 0, "creation_timestamp", v->creation_time);
	pyyaml_str(&y, 0, "current_stage", v->current_stage);
	pyyaml_str(&y, 0, "description", v->description ? v->description : "");
	pyyaml_int(&y, 0, "last_updated_timestamp", v->last_updated_time);
	if (v->model_id && *v->model_id)
		pyyaml_str(&y, 0, "model_id", v->model_id);
	pyyaml_str(&y, 0, "name", v->name);
	pyyaml_str_or_null(&y, 0, "run_id", v->run_id && *v->run_id ? v->run_id : NULL);
	pyyaml_str(&y, 0, "run_link", v->run_link ? v->run_link : "");
	pyyaml_str(&y, 0, "source", source);
	pyyaml_str(&y, 0, "status", v->status ? v->status : "READY");
	pyyaml_str_or_null(&y, 0, "status_message", v->status_message);
	pyyaml_str(&y, 0, "storage_location", storage);
	pyyaml_str_or_null(&y, 0, "user_id", v->user_id);
	pyyaml_int(&y, 0, "version", v->version);
	pyyaml_end(&y);
	int rc = write_yaml(x, arena_printf(x->a, "%s/meta.yaml", vdir), &b, err);
	buf_release(&b);
	if (rc < 0)
		return -1;
	struct store_kv *tags = v->tags;
	sort_kv(tags, v->n_tags);
	const char *owner = arena_printf(x->a, "model %s version %lld", v->name, (long long)v->version);
	if (key_files(x, vdir, "tags", owner, tags, v->n_tags, NULL, err) < 0)
		return -1;
	x->counts->versions++;
	return 0;
}

/* A deleted version: its number and times, with the fields MLflow's SQL
 * store redacts (the store redacted them the same way; MLflow's file store
 * would have kept them). */
static int write_deleted_version(struct exporter *x, const char *mdir, const char *name,
				 const struct store_deleted_version *d, struct mlf_err *err)
{
	struct buf b;
	struct pyyaml y;
	buf_init(&b, 512);
	buf_sticky(&b, SIZE_MAX / 2);
	pyyaml_init(&y, &b);
	pyyaml_flow(&y, 0, "aliases", "[]");
	pyyaml_int(&y, 0, "creation_timestamp", d->creation_time);
	pyyaml_str(&y, 0, "current_stage", "Deleted_Internal");
	pyyaml_flow(&y, 0, "description", "null");
	pyyaml_int(&y, 0, "last_updated_timestamp", d->last_updated_time);
	pyyaml_str(&y, 0, "name", name);
	pyyaml_str(&y, 0, "run_id", "REDACTED-RUN-ID");
	pyyaml_str(&y, 0, "run_link", "REDACTED-RUN-LINK");
	pyyaml_str(&y, 0, "source", "REDACTED-SOURCE-PATH");
	pyyaml_str(&y, 0, "status", "READY");
	pyyaml_flow(&y, 0, "status_message", "null");
	pyyaml_str(&y, 0, "storage_location", "REDACTED-SOURCE-PATH");
	pyyaml_flow(&y, 0, "user_id", "null");
	pyyaml_int(&y, 0, "version", d->version);
	pyyaml_end(&y);
	int rc = write_yaml(x, arena_printf(x->a, "%s/version-%lld/meta.yaml", mdir, (long long)d->version), &b, err);
	buf_release(&b);
	return rc;
}

static int export_model_in(struct exporter *x, const char *name, struct mlf_err *err)
{
	struct store_registered_model m;
	if (!model_name_ok(name))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "registered model '%s' cannot be a directory name in MLflow's file store", name);
	if (store_registered_model_get(x->st, name, &m, x->a, err) < 0)
		return -1;
	const char *mdir = arena_printf(x->a, "%s/models/%s", x->tmp, name);
	struct buf b;
	struct pyyaml y;
	buf_init(&b, 512);
	buf_sticky(&b, SIZE_MAX / 2);
	pyyaml_init(&y, &b);
	if (m.n_aliases) {
		pyyaml_map(&y, 0, "aliases");
		for (size_t i = 0; i < m.n_aliases; i++)
			pyyaml_str(&y, 2, m.aliases[i].alias, arena_printf(x->a, "%lld", (long long)m.aliases[i].version));
	} else {
		pyyaml_flow(&y, 0, "aliases", "{}");
	}
	pyyaml_int(&y, 0, "creation_timestamp", m.creation_time);
	pyyaml_str(&y, 0, "description", m.description ? m.description : "");
	pyyaml_int(&y, 0, "last_updated_timestamp", m.last_updated_time);
	pyyaml_str(&y, 0, "name", m.name);
	pyyaml_end(&y);
	int rc = write_yaml(x, arena_printf(x->a, "%s/meta.yaml", mdir), &b, err);
	buf_release(&b);
	if (rc < 0)
		return -1;
	sort_kv(m.tags, m.n_tags);
	const char *owner = arena_printf(x->a, "model %s", name);
	if (key_files(x, mdir, "tags", owner, m.tags, m.n_tags, NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < m.n_aliases; i++) {
		if (!key_is_path(m.aliases[i].alias) || strchr(m.aliases[i].alias, '/'))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s: alias '%s' cannot be a file name", owner,
					  m.aliases[i].alias);
		const char *num = arena_printf(x->a, "%lld", (long long)m.aliases[i].version);
		if (write_file(arena_printf(x->a, "%s/aliases/%s", mdir, m.aliases[i].alias), num, strlen(num), err) < 0)
			return -1;
		x->counts->aliases++;
	}
	/* live versions: up to the highest any stage holds */
	struct store_model_version *latest;
	size_t n_latest;
	int64_t top = 0;
	if (store_registered_model_latest_versions(x->st, name, NULL, 0, &latest, &n_latest, x->a, err) < 0)
		return -1;
	for (size_t i = 0; i < n_latest; i++)
		if (latest[i].version > top)
			top = latest[i].version;
	struct store_deleted_version *gone;
	size_t n_gone;
	if (store_export_deleted_versions(x->st, name, &gone, &n_gone, x->a, err) < 0)
		return -1;
	for (size_t i = 0; i < n_gone; i++)
		if (write_deleted_version(x, mdir, name, &gone[i], err) < 0)
			return -1;
	for (int64_t v = 1; v <= top; v++) {
		struct store_model_version mv;
		bool is_gone = false;
		for (size_t i = 0; i < n_gone; i++)
			is_gone |= gone[i].version == v;
		if (is_gone)
			continue;
		if (store_model_version_get(x->st, name, v, &mv, x->a, err) < 0) {
			if (err->code == MLF_RESOURCE_DOES_NOT_EXIST)
				continue;
			return -1;
		}
		if (write_version(x, mdir, &mv, err) < 0)
			return -1;
	}
	x->counts->models++;
	return 0;
}

static int export_model(struct exporter *x, const char *name, struct mlf_err *err)
{
	struct arena model_arena = ARENA_INIT, *outer = x->a;
	x->a = &model_arena;
	int rc = export_model_in(x, name, err);
	x->a = outer;
	arena_release(&model_arena);
	return rc;
}

static int export_registry(struct exporter *x, struct mlf_err *err)
{
	struct store_search q = { .max_results = EXPORT_PAGE };
	for (;;) {
		struct store_registered_model *ms;
		size_t n;
		bool more;
		if (store_registered_model_search(x->st, &q, &ms, &n, &more, x->a, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (export_model(x, ms[i].name, err) < 0)
				return -1;
		if (!more || n == 0)
			break;
		q.offset += (int64_t)n;
	}
	return 0;
}

/* ---- the whole ------------------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 when `path` is a directory holding anything, 0 when empty or absent,
 * -1 (err set) when it is not a directory. */
static int dir_state(const char *path, struct mlf_err *err)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return errno == ENOENT ? 0 : errno_fail("read", path, err);
	if (!S_ISDIR(sb.st_mode))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s exists and is not a directory", path);
	DIR *d = opendir(path);
	if (!d)
		return errno_fail("read", path, err);
	struct dirent *de;
	int full = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			full = 1;
	closedir(d);
	return full;
}

/* The absolute, normalised form of `path`, whose parent must exist. */
static const char *absolute_target(struct arena *a, const char *path, struct mlf_err *err)
{
	char *copy = arena_strdup(a, path);
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = 0;
	char *slash = strrchr(copy, '/');
	const char *parent = slash ? (slash == copy ? "/" : arena_strndup(a, copy, (size_t)(slash - copy))) : ".";
	const char *base = slash ? slash + 1 : copy;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "--to must name a directory: %s", path), NULL;
	char resolved[PATH_MAX];
	if (!realpath(parent, resolved))
		return errno_fail("find the parent directory of", path, err), NULL;
	return arena_printf(a, "%s/%s", strcmp(resolved, "/") == 0 ? "" : resolved, base);
}

int export_mlruns(struct store *st, const struct export_options *opt, struct export_counts *counts,
		  struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct exporter x = { .st = st, .opt = opt, .counts = counts, .a = &a, .keep = &a };
	int rc = -1, state;
	memset(counts, 0, sizeof(*counts));
	if (!(x.final = absolute_target(&a, opt->to, err)) || (state = dir_state(x.final, err)) < 0)
		goto out;
	if (state == 1 && !opt->force) {
		mlf_errorf(err, MLF_RESOURCE_ALREADY_EXISTS,
			   "%s is not empty; export writes into a new or empty directory (--force replaces it)", x.final);
		goto out;
	}
	const char *slash = strrchr(x.final, '/');
	const char *parent = slash == x.final ? "" : arena_strndup(&a, x.final, (size_t)(slash - x.final));
	x.tmp = arena_printf(&a, "%s/.%s.partial-%ld", parent, slash + 1, (long)getpid());
	remove_tree(x.tmp);
	if (mkdir(x.tmp, 0777) < 0) {
		errno_fail("create", x.tmp, err);
		goto out;
	}
	/* MLflow's FileStore makes .trash when it opens a store */
	if (make_dirs(arena_printf(&a, "%s/.trash", x.tmp), err) < 0)
		goto fail;

	struct store_search q = { .view = STORE_VIEW_ALL, .max_results = EXPORT_PAGE };
	bool *found = arena_zalloc(&a, opt->n_experiment_ids + 1);
	for (;;) {
		struct store_experiment *es;
		size_t n;
		bool more;
		if (store_experiment_search(st, &q, &es, &n, &more, &a, err) < 0)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (wanted(opt, es[i].id, found) && export_experiment(&x, &es[i], err) < 0)
				goto fail;
		if (!more || n == 0)
			break;
		q.offset += (int64_t)n;
	}
	for (size_t i = 0; opt->experiment_ids && i < opt->n_experiment_ids; i++)
		if (!found[i]) {
			mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "--experiment-ids: no experiment with id %lld",
				   (long long)opt->experiment_ids[i]);
			goto fail;
		}
	if (export_registry(&x, err) < 0)
		goto fail;

	/* the finished tree takes the target's place in one rename */
	const char *old = NULL;
	if (state == 1) {
		old = arena_printf(&a, "%s/.%s.replaced-%ld", parent, slash + 1, (long)getpid());
		if (rename(x.final, old) < 0) {
			errno_fail("move aside", x.final, err);
			goto fail;
		}
	}
	if (rename(x.tmp, x.final) < 0) {
		errno_fail("rename the export to", x.final, err);
		if (old && rename(old, x.final) < 0)
			errno_fail("put back", x.final, err);
		goto fail;
	}
	if (old)
		remove_tree(old);
	rc = 0;
	goto out;
fail:
	remove_tree(x.tmp);
out:
	arena_release(&a);
	return rc;
}
