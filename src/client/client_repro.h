/*
 * client_repro.h - the reproducibility context libmlflowc adds to the runs
 * it starts (client_repro.c): who ran what, from which git commit, with
 * which client on which machine. Private to src/client and its unit test.
 */
#ifndef MLF_CLIENT_REPRO_H
#define MLF_CLIENT_REPRO_H

#include "../base/common.h"

/* What a git work tree says about itself; empty strings when unknown. */
struct repro_git {
	char commit[72];     /* full object id of HEAD (40 hex, 64 for SHA-256 repos) */
	char branch[256];    /* "main" for refs/heads/main; "" when HEAD is detached */
	char repo_url[1024]; /* remote "origin" url from the config */
};

/* Looks for a git work tree at `dir` or above it (a .git directory, or a
 * .git file "gitdir: ..." as in linked worktrees and submodules) and reads
 * HEAD, the loose or packed ref it names and the origin url. Returns true
 * when a repository was found (fields it could not read stay ""). */
bool repro_git_read(const char *dir, struct repro_git *out);

/* The context tags, in the order they are sent. Values are owned by the
 * struct; release with repro_tags_release. */
#define REPRO_TAGS_MAX 8
struct repro_tags {
	const char *key[REPRO_TAGS_MAX];
	char *value[REPRO_TAGS_MAX];
	size_t n;
};

/* Collects mlflow.user, mlflow.source.name, mlflow.source.type, the git
 * tags (when the current directory is in a work tree) and mlflowc.client.
 * Returns false on OOM, also when a git file could not be opened for want
 * of memory (what was collected is still released by repro_tags_release). */
bool repro_tags_collect(struct repro_tags *t);
void repro_tags_release(struct repro_tags *t);

#endif
