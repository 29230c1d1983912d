/*
 * zip_writer.h - a small writer of zip archives (PKWARE APPNOTE 6.3), as
 * AWS Lambda takes a function's code: entries deflated (method 8, by
 * zlib) or stored (method 0) with their CRC-32, Unix permissions in
 * the external attributes (so `bootstrap` stays executable), UTF-8 names.
 * No zip64: an archive whose entries, sizes or offsets would need it (more
 * than 65,535 entries, 4 GiB) is refused with an error before anything
 * wrong is written.
 *
 * The writer streams into a seekable descriptor: each entry's local header
 * is written first and its CRC and sizes filled in once its data is copied,
 * so a file is read once and never held in memory.
 */
#ifndef MLF_ZIP_WRITER_H
#define MLF_ZIP_WRITER_H

#include "../base/err.h"

#define ZIP_WRITER_MAX_ENTRIES 65535u
#define ZIP_WRITER_MAX_SIZE 0xFFFFFFFEu /* bytes of one entry, and of the archive up to its end record */

struct zip_writer;

/* Starts an archive on `fd` (open for reading and writing, seekable,
 * empty; the caller still owns and closes it). `mtime` is the time stamped
 * on every entry (UTC seconds). With `compress`, entries are deflated, and
 * stored instead when deflating does not make one smaller. Returns the
 * writer, which the caller releases with zip_writer_free(), or NULL with
 * err set. */
struct zip_writer *zip_writer_new(int fd, time_t mtime, bool compress, struct mlf_err *err);
void zip_writer_free(struct zip_writer *zw);

/* Adds a regular file named `name` (relative, '/'-separated, no "..", no
 * leading '/') with permission bits `mode` (e.g. 0755) and the bytes read
 * from `src_fd` to its end. Returns 0, or -1 with err set:
 * INVALID_PARAMETER_VALUE for a bad name, a duplicate name or an archive
 * that would need zip64; INTERNAL_ERROR for a read or write failure. */
int zip_writer_add_fd(struct zip_writer *zw, const char *name, unsigned mode, int src_fd, struct mlf_err *err);
/* The same for bytes in memory. */
int zip_writer_add_bytes(struct zip_writer *zw, const char *name, unsigned mode, const void *data, size_t len,
			 struct mlf_err *err);

/* Writes the central directory and end record. Returns 0, or -1 with err
 * set; the archive is complete only after 0. */
int zip_writer_finish(struct zip_writer *zw, struct mlf_err *err);

/* Bytes written so far, entries added, and the bytes those entries hold
 * uncompressed. */
uint64_t zip_writer_size(const struct zip_writer *zw);
size_t zip_writer_count(const struct zip_writer *zw);
uint64_t zip_writer_unzipped(const struct zip_writer *zw);

/* The CRC-32 (ISO-HDLC, as zip and gzip use) of `len` bytes continuing
 * from `crc` (0 to start). */
uint32_t zip_crc32(uint32_t crc, const void *data, size_t len);

#endif
