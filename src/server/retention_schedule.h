/*
 * retention_schedule.h - the server applying retention policies by itself
 * (`mlflowc server --retention-interval 6h`): one background thread runs a
 * pass (lifecycle_retention_apply, the work of `mlflowc gc
 * --apply-retention` without the gc) one interval after the start and
 * then one interval after each pass ends, so passes never overlap. Each
 * pass logs one line saying what it did (its actions at debug level, its
 * failures as warnings). Stopping wakes the thread at once; a pass under
 * way ends at its next step (a run, a path, a version), so shutdown does
 * not wait for the pass.
 */
#ifndef MLF_RETENTION_SCHEDULE_H
#define MLF_RETENTION_SCHEDULE_H

#include "../base/err.h"
#include "../store/store.h"

struct artifact_repo;
struct artifact_roots;

struct retention_schedule;

/* Starts the thread. `st`, `proxy` (the artifact destination, may be
 * NULL) and `roots` are borrowed and must stay open until
 * retention_schedule_stop() returns. The caller owns the result; NULL with
 * `err` set when the thread cannot start. */
struct retention_schedule *retention_schedule_start(struct store *st, struct artifact_repo *proxy,
						    const struct artifact_roots *roots, int64_t interval_ms,
						    struct mlf_err *err);

/* Wakes the thread, lets a pass under way end at its next step, joins it
 * and frees `s`. NULL is a no-op. */
void retention_schedule_stop(struct retention_schedule *s);

#endif
