/*
 * cmd_retention.h - applying retention policies from the command line,
 * shared by `mlflowc retention show` (a dry run) and `mlflowc gc
 * --apply-retention`; the work itself is lifecycle_retention_apply().
 */
#ifndef MLF_CMD_RETENTION_H
#define MLF_CMD_RETENTION_H

#include "cmd_gc.h"

/* Applies the policies of every active experiment (only_experiment < 0)
 * or of one, through the artifact stores of `g`, printing one line per
 * action; with `dry` changes nothing and says what it would do. Returns
 * the exit status: 0, or 1 when some action failed (the others went on). */
int retention_apply(struct store *st, struct lifecycle_artifacts *g, int64_t only_experiment, bool dry);

#endif
