/*
 * lifecycle.h - the work that keeps a store's size bounded, below every
 * caller: gc (permanently deleting soft-deleted runs and experiments, rows
 * and files) and applying retention policies. `mlflowc gc`, `mlflowc
 * retention` and `mlflowc storage report` call it, and so does the server
 * (its scheduled retention pass, src/server/retention_schedule.c, and the
 * preview answered by GET /mlflowc/experiments/retention/preview).
 *
 * It joins the store fronts (store_gc.h, store_retention.h: which rows may
 * go, in short transactions that check again) with the artifact stores
 * that hold the files. Artifact URIs resolve as the server resolves them:
 * mlflow-artifacts:/ beneath the destination (local or s3://), s3://bucket/
 * key through the S3 store, local paths and file:// only inside the
 * allowed roots.
 *
 * Nothing here prints: every action is said as one line to the caller's
 * `struct lifecycle_out` (the CLI prints it, the server logs it), so the
 * words stay the same wherever the work runs.
 *
 * Threads: a `struct lifecycle_artifacts` is one caller's (it opens S3
 * buckets as it meets them); the store it works on is shared and
 * thread-safe. Memory: what a result points to lives in the arena the
 * caller passes.
 */
#ifndef MLF_LIFECYCLE_H
#define MLF_LIFECYCLE_H

#include "../base/arena.h"
#include "../base/err.h"
#include "../store/store_gc.h"
#include <stdarg.h>
#include <stdatomic.h>

struct artifact_repo;
struct artifact_roots;

/* ---- what the work says ------------------------------------------------------------ */

enum lifecycle_level {
	LIFECYCLE_INFO,  /* an action done, kept or that would be done */
	LIFECYCLE_ERROR, /* an action that failed; the others go on */
};

/* Where lines go: `line` gets each one without a newline; error lines
 * start with the part that failed ("retention: ..." or "gc: ..."). The
 * text is borrowed for the call. A NULL `line` drops everything. */
struct lifecycle_out {
	void (*line)(void *ctx, enum lifecycle_level level, const char *text);
	void *ctx;
};

/* Formats one line and hands it to `out` (nothing when out->line is NULL). */
void lifecycle_say(const struct lifecycle_out *out, enum lifecycle_level level, const char *fmt, ...) MLF_PRINTF(3, 4);
void lifecycle_vsay(const struct lifecycle_out *out, enum lifecycle_level level, const char *fmt, va_list ap)
	MLF_PRINTF(3, 0);

/* ---- reaching artifact locations --------------------------------------------------- */

struct lifecycle_bucket {
	char *uri; /* s3://bucket */
	struct artifact_repo *repo;
};

struct lifecycle_artifacts {
	struct artifact_repo *proxy;        /* the destination; NULL when absent */
	const char *proxy_missing;          /* a local destination that does not exist: nothing is there */
	const struct artifact_roots *roots; /* the local directories files may be deleted in */
	struct artifact_repo *own_proxy;    /* what close() closes: NULL when borrowed */
	struct artifact_roots *own_roots;
	struct lifecycle_bucket buckets[16];
	size_t n_buckets;
	bool dry_run;
	bool quiet;                   /* say nothing per run or path */
	uint64_t bytes;               /* deleted (or, dry, would be) */
	uint64_t kept;                /* kept paths reported */
	size_t n_runs, n_experiments; /* what lifecycle_gc_dry_run found would go */
	struct lifecycle_out out;
};

/* Opens the destination (a local directory that does not exist holds
 * nothing) and the allowed roots into `g` (zeroed by the caller). Close it
 * with lifecycle_artifacts_close() whatever this returns. */
int lifecycle_artifacts_open(struct lifecycle_artifacts *g, const char *destination, const char *allowed_roots,
			     struct mlf_err *err);
/* Uses a server's open artifact stores instead: `proxy` (the destination,
 * may be NULL) and `roots` stay the caller's and must outlive `g`, which
 * the caller zeroed; lifecycle_artifacts_close() closes only what `g`
 * opened itself (S3 buckets). */
void lifecycle_artifacts_borrow(struct lifecycle_artifacts *g, struct artifact_repo *proxy,
				const struct artifact_roots *roots);
void lifecycle_artifacts_close(struct lifecycle_artifacts *g);
/* Adds the bytes of the files at `uri` to *bytes. */
int lifecycle_artifacts_size(struct lifecycle_artifacts *g, const char *uri, uint64_t *bytes, struct mlf_err *err);
/* Where `uri` lives: *repo (NULL when the location can hold nothing, a
 * destination that does not exist) and the path inside it (in `a`); the
 * repo stays owned by `g`. -1 when it cannot be reached. */
int lifecycle_artifacts_resolve(struct lifecycle_artifacts *g, const char *uri, struct artifact_repo **repo,
				const char **path, struct arena *a, struct mlf_err *err);
/* Adds the bytes of the files beneath `path` in `r` to *bytes (a file
 * lists as empty: 0). */
int lifecycle_artifacts_tree_bytes(struct artifact_repo *r, const char *path, uint64_t *bytes, struct arena *a,
				   struct mlf_err *err);
/* `dir`/<the last segment of `entry`> (a listing's entry path), in `a`. */
const char *lifecycle_artifacts_child(const char *dir, const char *entry, struct arena *a);

/* ---- gc ---------------------------------------------------------------------------- */

/* 1 when `rel` (a path below t->uri) is one of t's kept paths or beneath
 * one, 2 when it holds one, 0 otherwise. */
int lifecycle_gc_kept_state(const struct store_gc_target *t, const char *rel);

/* What gc would do with plan `p`, changing nothing: adds to g->bytes and
 * g->kept, counts g->n_runs and g->n_experiments, and says each unless
 * g->quiet. Returns 0, or 1 when some part could not be sized. */
int lifecycle_gc_dry_run(struct store *st, const struct store_gc_plan *p, struct lifecycle_artifacts *g);
/* Purges plan `p`: each run and experiment in its own transaction, files
 * first (a run whose files cannot be reached keeps its rows), saying each
 * and a closing total. Returns 0, or 1 when something failed. */
int lifecycle_gc_purge(struct store *st, const struct store_gc_plan *p, struct lifecycle_artifacts *g);

/* ---- retention --------------------------------------------------------------------- */

struct lifecycle_retention_opts {
	int64_t only_experiment; /* < 0: every active experiment */
	bool dry;                /* change nothing; say what would be done */
	bool measure;            /* with dry: size what would go (bytes in the result) */
	size_t max_ids;          /* how many run ids and paths the result lists at most */
	const atomic_bool *stop; /* NULL, or set by another thread: the pass ends at its next step */
};

/* What a pass did (or, dry, would do). */
struct lifecycle_retention_result {
	size_t n_deleted;       /* runs soft-deleted */
	size_t n_kept;          /* old runs kept by a keep tag or a model version */
	size_t n_pruned;        /* artifact paths pruned */
	size_t n_versions;      /* archived versions whose files were moved or deleted */
	size_t n_failed;        /* actions that failed (said as errors) */
	uint64_t deleted_bytes; /* measure: the files of the runs soft-deleted (gc frees them later) */
	uint64_t pruned_bytes;  /* measure: of the paths pruned */
	uint64_t version_bytes; /* measure: of the archived versions' files */
	const char **run_ids;   /* the first max_ids runs soft-deleted */
	size_t n_run_ids;
	const char **paths; /* the first max_ids paths pruned, as URIs */
	size_t n_paths;
	const char **versions; /* the first max_ids versions, "NAME/VERSION" */
	size_t n_versions_listed;
	bool stopped; /* opts.stop ended it before the end */
};

/* Applies the retention policies (store_retention.h) of every active
 * experiment, or of one, through the artifact stores of `g`, saying one
 * line per action to g->out and a closing total; with opts->dry changes
 * nothing. Fills *res (zeroed here; its lists in `a`). Returns 0, or 1
 * when some action failed (the others went on). */
int lifecycle_retention_apply(struct store *st, struct lifecycle_artifacts *g,
			      const struct lifecycle_retention_opts *opts, struct lifecycle_retention_result *res,
			      struct arena *a);

#endif
