/*
 * zip_writer.c - zip archives of deflated or stored entries (see
 * zip_writer.h).
 *
 * Layout written: for each entry a local file header (signature
 * 0x04034b50), its name and its bytes; then one central directory header
 * per entry (0x02014b50) and the end of central directory record
 * (0x06054b50). Every multi-byte field is little-endian. The local header
 * is written with a zero CRC and sizes, and patched with pwrite() once
 * the data has been copied, which keeps the general purpose flag free of
 * bit 3 (data descriptors) so every reader takes the archive. An entry
 * that deflating does not shrink is written again stored: the archive is
 * truncated back to the entry's data and its source read once more.
 * Deflating and the CRC-32 are zlib's.
 */
#include "zip_writer.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include <zlib.h>
#include <errno.h>
#include <unistd.h>

#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_END_SIG 0x06054b50u
#define ZIP_VERSION_NEEDED 20       /* 2.0: what a stored file with directories needs */
#define ZIP_VERSION_MADE_BY (3u << 8 | 30) /* Unix, spec 3.0: external attributes hold st_mode */
#define ZIP_FLAG_UTF8 (1u << 11)
#define ZIP_LOCAL_HEADER 30
#define ZIP_NAME_MAX 4096

#define ZIP_STORED 0
#define ZIP_DEFLATED 8

struct zip_entry {
	char *name;
	uint32_t crc, csize, usize, offset;
	unsigned mode;
	uint16_t flags, method;
};

struct zip_writer {
	int fd;
	uint64_t pos;   /* bytes written */
	uint16_t dos_time, dos_date;
	struct zip_entry *entries;
	size_t n, cap;
	uint64_t unzipped; /* bytes of the entries, uncompressed */
	bool compress;
	bool finished;
	bool broken;    /* an entry failed half-way: its bytes are in the file, nothing more can be added */
};

uint32_t zip_crc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) { /* zlib takes an unsigned int length */
		unsigned n = len > (1u << 30) ? 1u << 30 : (unsigned)len;
		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

static void put16(struct buf *b, unsigned v)
{
	unsigned char c[2] = { (unsigned char)(v & 0xff), (unsigned char)(v >> 8 & 0xff) };
	buf_add(b, c, 2);
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)(v & 0xff), (unsigned char)(v >> 8 & 0xff),
			       (unsigned char)(v >> 16 & 0xff), (unsigned char)(v >> 24 & 0xff) };
	buf_add(b, c, 4);
}

static int write_out(struct zip_writer *zw, const void *data, size_t n, struct mlf_err *err)
{
	if (zw->pos + n > ZIP_WRITER_MAX_SIZE)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "the archive would pass 4 GiB, which needs zip64 (not supported)");
	int e = util_write_all(zw->fd, data, n);
	if (e)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write the archive: %s", strerror(e));
	zw->pos += n;
	return 0;
}

static void dos_stamp(time_t t, uint16_t *dtime, uint16_t *ddate)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year < 80) {
		*dtime = 0;
		*ddate = 1 << 5 | 1; /* 1980-01-01, the earliest a zip can say */
		return;
	}
	*dtime = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	*ddate = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
}

struct zip_writer *zip_writer_new(int fd, time_t mtime, bool compress, struct mlf_err *err)
{
	if (fd < 0) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "no file to write the archive to");
		return NULL;
	}
	struct zip_writer *zw = xcalloc(1, sizeof(*zw));
	zw->fd = fd;
	zw->compress = compress;
	dos_stamp(mtime, &zw->dos_time, &zw->dos_date);
	return zw;
}

void zip_writer_free(struct zip_writer *zw)
{
	if (!zw)
		return;
	for (size_t i = 0; i < zw->n; i++)
		free(zw->entries[i].name);
	free(zw->entries);
	free(zw);
}

uint64_t zip_writer_size(const struct zip_writer *zw)
{
	return zw->pos;
}

size_t zip_writer_count(const struct zip_writer *zw)
{
	return zw->n;
}

uint64_t zip_writer_unzipped(const struct zip_writer *zw)
{
	return zw->unzipped;
}

/* A name every unzip extracts where it says: relative, no empty, "." or
 * ".." segment, no backslash or control byte, valid UTF-8. */
static int check_name(const struct zip_writer *zw, const char *name, struct mlf_err *err)
{
	size_t len = strlen(name);
	if (!len || len > ZIP_NAME_MAX || name[0] == '/' || name[len - 1] == '/' || !util_utf8_valid(name, len))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%.200s' cannot be a name in a zip archive", name);
	for (const char *seg = name; *seg;) {
		size_t n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "'%.200s' cannot be a name in a zip archive (empty, '.' or '..' part)", name);
		seg += n + (seg[n] == '/');
	}
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '\\')
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "'%.200s' cannot be a name in a zip archive (control byte or backslash)", name);
	for (size_t i = 0; i < zw->n; i++)
		if (!strcmp(zw->entries[i].name, name))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%.200s' is in the archive twice", name);
	return 0;
}

static void local_header(struct buf *b, const struct zip_writer *zw, const struct zip_entry *e)
{
	put32(b, ZIP_LOCAL_SIG);
	put16(b, ZIP_VERSION_NEEDED);
	put16(b, e->flags);
	put16(b, e->method);
	put16(b, zw->dos_time);
	put16(b, zw->dos_date);
	put32(b, e->crc);
	put32(b, e->csize);
	put32(b, e->usize);
	put16(b, (unsigned)strlen(e->name));
	put16(b, 0); /* extra field */
	buf_adds(b, e->name);
}

/* Starts entry `name`: checks it, records it and writes its local header
 * (CRC and sizes still zero). */
static struct zip_entry *begin_entry(struct zip_writer *zw, const char *name, unsigned mode, struct mlf_err *err)
{
	if (zw->finished || zw->broken) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "the archive is already finished or failed");
		return NULL;
	}
	if (zw->n >= ZIP_WRITER_MAX_ENTRIES) {
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			   "more than %u files need zip64 (not supported)", ZIP_WRITER_MAX_ENTRIES);
		return NULL;
	}
	if (check_name(zw, name, err) < 0)
		return NULL;
	if (zw->n == zw->cap) {
		zw->cap = zw->cap ? zw->cap * 2 : 16;
		zw->entries = xrealloc(zw->entries, zw->cap * sizeof(*zw->entries));
	}
	struct zip_entry e = { .name = xstrdup(name), .offset = (uint32_t)zw->pos, .mode = mode & 07777 };
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c >= 0x80)
			e.flags = ZIP_FLAG_UTF8;
	struct buf h = BUF_INIT;
	local_header(&h, zw, &e);
	int rc = write_out(zw, h.ptr, h.len, err);
	buf_release(&h);
	if (rc < 0) {
		zw->broken = true;
		free(e.name);
		return NULL;
	}
	zw->entries[zw->n] = e;
	return &zw->entries[zw->n];
}

/* Fills in the local header of `e` now that its data is written (method,
 * CRC and sizes), and counts the entry. */
static int end_entry(struct zip_writer *zw, struct zip_entry *e, struct mlf_err *err)
{
	struct buf b = BUF_INIT;
	put16(&b, e->method);
	put16(&b, zw->dos_time);
	put16(&b, zw->dos_date);
	put32(&b, e->crc);
	put32(&b, e->csize);
	put32(&b, e->usize);
	ssize_t w = pwrite(zw->fd, b.ptr, b.len, (off_t)e->offset + 8);
	bool ok = w == (ssize_t)b.len;
	buf_release(&b);
	if (!ok)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write the archive: %s",
				  w < 0 ? strerror(errno) : "short write");
	zw->unzipped += e->usize;
	zw->n++;
	return 0;
}

/* Forgets an entry that failed half-way (not counted: zw->n unchanged).
 * The archive's bytes are then unusable; the caller gives up on it. */
static void drop_entry(struct zip_writer *zw, struct zip_entry *e)
{
	zw->broken = true;
	free(e->name);
	e->name = NULL;
}

/* Where an entry's bytes come from: memory or a file, read from the start
 * again when the entry is rewritten stored. */
struct zip_source {
	const char *name;
	const unsigned char *data; /* memory, or NULL for fd */
	size_t len, at;
	int fd;
};

/* Up to n bytes into dst: the count, 0 at the end, -1 with err set. */
static ssize_t source_read(struct zip_source *src, void *dst, size_t n, struct mlf_err *err)
{
	if (src->data) {
		size_t k = src->len - src->at < n ? src->len - src->at : n;
		memcpy(dst, src->data + src->at, k);
		src->at += k;
		return (ssize_t)k;
	}
	for (;;) {
		ssize_t r = read(src->fd, dst, n);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read '%.200s': %s", src->name, strerror(errno));
	}
}

static bool source_rewind(struct zip_source *src)
{
	src->at = 0;
	return src->data || lseek(src->fd, 0, SEEK_SET) == 0;
}

/* Copies the source into the archive, stored or deflated, filling in the
 * entry's CRC and sizes. */
static int copy_entry(struct zip_writer *zw, struct zip_entry *e, struct zip_source *src, bool deflated,
		      struct mlf_err *err)
{
	static const size_t chunk = 1u << 16;
	unsigned char *data = xmalloc(chunk), *packed = deflated ? xmalloc(chunk) : NULL;
	z_stream zs = { 0 };
	/* raw DEFLATE (negative window bits: no zlib header), as zip entries hold it */
	if (deflated && deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(data);
		free(packed);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "zlib: cannot start a deflate stream");
	}
	uint64_t total = 0, start = zw->pos;
	uint32_t crc = 0;
	int rc = 0;
	for (bool last = false; rc == 0 && !last;) {
		ssize_t r = source_read(src, data, chunk, err);
		if (r < 0) {
			rc = -1;
			break;
		}
		last = r == 0;
		total += (uint64_t)r;
		if (total > ZIP_WRITER_MAX_SIZE) {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%.200s' is over 4 GiB, which needs zip64",
					src->name);
			break;
		}
		crc = zip_crc32(crc, data, (size_t)r);
		if (!deflated) {
			rc = write_out(zw, data, (size_t)r, err);
			continue;
		}
		zs.next_in = data;
		zs.avail_in = (unsigned)r;
		int zrc;
		do { /* drain everything zlib has for this chunk (all of it at the end) */
			zs.next_out = packed;
			zs.avail_out = (unsigned)chunk;
			zrc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
			if (zrc == Z_STREAM_ERROR) {
				rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "zlib: deflate failed");
				break;
			}
			rc = write_out(zw, packed, chunk - zs.avail_out, err);
		} while (rc == 0 && (zs.avail_out == 0 || (last && zrc != Z_STREAM_END)));
	}
	if (deflated)
		deflateEnd(&zs);
	free(data);
	free(packed);
	if (rc == 0) {
		e->method = deflated ? ZIP_DEFLATED : ZIP_STORED;
		e->crc = crc;
		e->usize = (uint32_t)total;
		e->csize = (uint32_t)(zw->pos - start);
	}
	return rc;
}

/* One entry: local header, data (deflated when that pays), header patched. */
static int add_entry(struct zip_writer *zw, const char *name, unsigned mode, struct zip_source *src,
		     struct mlf_err *err)
{
	struct zip_entry *e = begin_entry(zw, name, mode, err);
	if (!e)
		return -1;
	uint64_t start = zw->pos;
	int rc = copy_entry(zw, e, src, zw->compress, err);
	if (rc == 0 && e->method == ZIP_DEFLATED && e->csize >= e->usize && source_rewind(src)) {
		/* deflating did not pay: the same bytes again, stored */
		if (lseek(zw->fd, (off_t)start, SEEK_SET) < 0 || ftruncate(zw->fd, (off_t)start) < 0)
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot rewrite the archive: %s", strerror(errno));
		zw->pos = start;
		if (rc == 0)
			rc = copy_entry(zw, e, src, false, err);
	}
	if (rc == 0)
		rc = end_entry(zw, e, err);
	if (rc < 0)
		drop_entry(zw, e);
	return rc;
}

int zip_writer_add_bytes(struct zip_writer *zw, const char *name, unsigned mode, const void *data, size_t len,
			 struct mlf_err *err)
{
	if (len > ZIP_WRITER_MAX_SIZE)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%.200s' is over 4 GiB, which needs zip64", name);
	struct zip_source src = { .name = name, .data = len ? data : (const unsigned char *)"", .len = len, .fd = -1 };
	return add_entry(zw, name, mode, &src, err);
}

int zip_writer_add_fd(struct zip_writer *zw, const char *name, unsigned mode, int src_fd, struct mlf_err *err)
{
	struct zip_source src = { .name = name, .fd = src_fd };
	return add_entry(zw, name, mode, &src, err);
}

int zip_writer_finish(struct zip_writer *zw, struct mlf_err *err)
{
	if (zw->finished || zw->broken)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "the archive is already finished or failed");
	uint64_t start = zw->pos;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < zw->n; i++) {
		const struct zip_entry *e = &zw->entries[i];
		put32(&b, ZIP_CENTRAL_SIG);
		put16(&b, ZIP_VERSION_MADE_BY);
		put16(&b, ZIP_VERSION_NEEDED);
		put16(&b, e->flags);
		put16(&b, e->method);
		put16(&b, zw->dos_time);
		put16(&b, zw->dos_date);
		put32(&b, e->crc);
		put32(&b, e->csize);
		put32(&b, e->usize);
		put16(&b, (unsigned)strlen(e->name));
		put16(&b, 0); /* extra */
		put16(&b, 0); /* comment */
		put16(&b, 0); /* disk */
		put16(&b, 0); /* internal attributes */
		put32(&b, (uint32_t)(0100000u | e->mode) << 16); /* S_IFREG | mode */
		put32(&b, e->offset);
		buf_adds(&b, e->name);
	}
	size_t cd_size = b.len;
	if (start + cd_size + 22 > ZIP_WRITER_MAX_SIZE) {
		buf_release(&b);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "the archive would pass 4 GiB, which needs zip64 (not supported)");
	}
	put32(&b, ZIP_END_SIG);
	put16(&b, 0); /* this disk */
	put16(&b, 0); /* disk of the central directory */
	put16(&b, (unsigned)zw->n);
	put16(&b, (unsigned)zw->n);
	put32(&b, (uint32_t)cd_size);
	put32(&b, (uint32_t)start);
	put16(&b, 0); /* comment */
	int rc = write_out(zw, b.ptr, b.len, err);
	buf_release(&b);
	if (rc == 0)
		zw->finished = true;
	return rc;
}
