/*
 * cli_tracking.h - what `mlflowc experiments` (cmd_experiments.c) and
 * `mlflowc runs` (cmd_runs.c) share beyond cli_client.h: MLflow's view
 * names, "key=value" tag options and the runs-as-CSV export. Implemented in cmd_runs.c.
 */
#ifndef MLF_CLI_TRACKING_H
#define MLF_CLI_TRACKING_H

#include "cli_client.h"

/* "active_only" / "deleted_only" / "all" (any case; NULL: active only)
 * into *out. Returns 0 when valid, else prints why and returns -1 with
 * *exit_code CLI_EXIT_USAGE. */
int cli_view_type(const char *cmd, const char *name, enum mlf_view_type *out, int *exit_code);

/* Tags from repeated "key=value" options: tags[i].key is a copy (free with
 * cli_tags_free), tags[i].value points into argv. Returns 0 when every
 * item has a non-empty key and '=', else prints which one does not and
 * returns -1 with *exit_code CLI_EXIT_USAGE (nothing to free then). */
int cli_tags_parse(const char *cmd, const struct cli_list *list, struct mlf_tag tags[CLI_LIST_MAX], int *exit_code);
void cli_tags_free(struct mlf_tag *tags, size_t n);

/* Writes runs as CSV (RFC 4180) the way MLflow's `experiments csv` does:
 * run_id, experiment_id, status, artifact_uri, start_time, end_time, then
 * one column per metric (metrics.<key>), param (params.<key>) and tag
 * (tags.<key>), each group sorted by key. Returns 0, or -1 on a write
 * error. */
int cli_runs_csv(FILE *f, const struct mlf_runs *runs);

#endif
