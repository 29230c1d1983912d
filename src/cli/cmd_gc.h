/*
 * cmd_gc.h - what `mlflowc gc` shares with `mlflowc retention` and
 * `mlflowc storage report`: opening a store that must exist, and printing
 * the lines of the lifecycle work (src/lifecycle/lifecycle.h, which
 * reaches and sizes artifact locations as gc does).
 */
#ifndef MLF_CMD_GC_H
#define MLF_CMD_GC_H

#include "cli.h"
#include "../lifecycle/lifecycle.h"

/* Prints the lifecycle's lines: each to stdout, errors to stderr as
 * "mlflowc <line>". */
extern const struct lifecycle_out gc_cli_out;

/* Opens the store at `uri`, which must exist (nothing is created); prints
 * why not as "mlflowc <cmd>: ..." and returns -1. */
int gc_open_store(const char *cmd, const char *uri, struct store **out);

#endif
