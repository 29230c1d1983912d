/*
 * artifact.h - the artifact store interface: where artifact bytes live,
 * behind one small ops table chosen by URI scheme: a local directory
 * (artifact_local.c) or an S3 bucket and prefix (artifact_s3.c).
 *
 * Paths given to these functions are relative to the store's root and must
 * already have passed artifact_path_validate(); backends confine them to
 * their root again (no symlink escape on local disk). Uploads are written
 * to a temporary object and put in place only on commit, so a cut upload
 * leaves nothing half-written. Downloads are a local file descriptor or a
 * reader (S3 streams its GET); S3 stores also hand out presigned part URLs
 * for multipart uploads the client drives (the mpu ops; not on local disk).
 */
#ifndef MLF_ARTIFACT_H
#define MLF_ARTIFACT_H

#include "../base/arena.h"
#include "../base/err.h"
#include <sys/types.h>
#include "artifact_path.h"

struct artifact_repo;
struct artifact_upload;

/* One child in a listing. */
struct artifact_entry {
	const char *path; /* relative to the listing's base, in the arena */
	bool is_dir;
	int64_t size;
};

/* An open download: either a local file descriptor (sent with sendfile) or
 * a reader that produces the bytes in order. */
struct artifact_download {
	int fd;        /* >= 0: a local file; the taker closes it */
	uint64_t size; /* bytes; UINT64_MAX when unknown */
	/* when fd < 0: copies up to `max` bytes at offset `pos` into `buf`;
	 * returns the count, 0 at the end, -1 on error */
	ssize_t (*read)(void *ctx, uint64_t pos, char *buf, size_t max);
	void (*close)(void *ctx); /* frees ctx; called exactly once by the taker */
	void *ctx;
};

/* One uploaded part of a client-driven multipart upload. */
struct artifact_part {
	unsigned number;  /* 1-based */
	const char *etag; /* as the store answered the part's PUT */
};

struct artifact_ops {
	const char *scheme;
	/* Starts an upload to `path`; the upload is owned by the caller until
	 * upload_commit or upload_abort, which free it. */
	int (*upload_begin)(struct artifact_repo *r, const char *path, struct artifact_upload **up,
			    struct mlf_err *err);
	/* Appends bytes; returns 0 or an errno value. */
	int (*upload_write)(struct artifact_upload *up, const char *data, size_t n);
	int (*upload_commit)(struct artifact_upload *up, struct mlf_err *err);
	void (*upload_abort)(struct artifact_upload *up);
	/* Opens a file for download (see struct artifact_download for who
	 * closes what). A missing path or a directory is
	 * RESOURCE_DOES_NOT_EXIST. */
	int (*download_open)(struct artifact_repo *r, const char *path, struct artifact_download *dl,
			     struct mlf_err *err);
	/* The immediate children of a directory; a file or a missing path
	 * lists as empty. Entry paths are `path`/name. Results in `a`. */
	int (*list)(struct artifact_repo *r, const char *path, struct artifact_entry **out, size_t *n,
		    struct arena *a, struct mlf_err *err);
	/* Removes a file or a whole directory; a missing path is not an error. */
	int (*remove)(struct artifact_repo *r, const char *path, struct mlf_err *err);
	/* A multipart upload the client drives (MLflow's proxied mpu API): the
	 * store hands out an upload id and one presigned URL per part, the
	 * client PUTs the parts there, then completes or aborts. NULL in
	 * backends without it (local disk: clients fall back to one PUT).
	 * Results of mpu_create live in `a`. */
	int (*mpu_create)(struct artifact_repo *r, const char *path, unsigned n_parts, const char **upload_id,
			  const char ***urls, struct arena *a, struct mlf_err *err);
	int (*mpu_complete)(struct artifact_repo *r, const char *path, const char *upload_id,
			    const struct artifact_part *parts, size_t n, struct mlf_err *err);
	int (*mpu_abort)(struct artifact_repo *r, const char *path, const char *upload_id, struct mlf_err *err);
	void (*close)(struct artifact_repo *r);
	/* Free bytes for uploads on the store's disk (statvfs); NULL where it
	 * has no meaning (S3). Returns 0, or -1 when it cannot tell. */
	int (*free_space)(struct artifact_repo *r, uint64_t *bytes);
	/* Writes this one upload's object with storage class `storage_class`
	 * (S3's x-amz-storage-class, signed, on its PutObject or on its
	 * CreateMultipartUpload; no other request, no other upload); call
	 * before upload_commit. The name is copied; one that is not upper-case
	 * letters, digits and '_' is INVALID_PARAMETER_VALUE (S3 itself judges
	 * the rest). NULL in backends without storage classes (local disk). */
	int (*upload_set_storage_class)(struct artifact_upload *up, const char *storage_class, struct mlf_err *err);
};

struct artifact_repo {
	const struct artifact_ops *ops;
};

/* Opens the store at `uri` (an existing local directory, a file:// URI or
 * s3://bucket/prefix); nothing is created. Returns a repo the caller frees
 * with artifact_close(), or NULL with `err` set. */
struct artifact_repo *artifact_open(const char *uri, struct mlf_err *err);
void artifact_close(struct artifact_repo *r);

/* The one errno table of the artifact backends: the MLflow error code an
 * errno from the local disk maps to (a symlink or a file in the way, a
 * name over 255 bytes, a directory where a file goes -> 400
 * INVALID_PARAMETER_VALUE; a full disk or quota -> 507 INSUFFICIENT_STORAGE;
 * EACCES/EPERM/EROFS -> 403 PERMISSION_DENIED; ENOENT -> 404; anything else
 * INTERNAL_ERROR). */
enum mlf_code artifact_errno_code(int errnum);
/* Fills `err` with "Could not <what> artifact '<path>': <reason>" and the
 * code above (INTERNAL_ERROR ones are logged with strerror and sent
 * without it). Returns -1. */
int artifact_errno_error(int errnum, const char *what, const char *path, struct mlf_err *err);

/* A Content-Type for a file name, as MLflow's server guesses it (text
 * formats as text/plain so browsers never run them). Static string. */
const char *artifact_mime_type(const char *path);

#endif
