/*
 * cmd_gc.c - `mlflowc gc`: permanently deletes soft-deleted runs and
 * experiments with their rows and artifacts, with MLflow's flags
 * (--older-than, --experiment-ids, --run-ids, --backend-store-uri,
 * --artifacts-destination) and --dry-run.
 *
 * What may go is the store front's decision (store_gc.h); this file opens
 * the store and the artifact stores, deletes each target's files except
 * the paths a registered model version still uses (reported, one line
 * each), and prints what went. Artifact URIs resolve as the server
 * resolves them: mlflow-artifacts:/ beneath --artifacts-destination (local
 * or s3://), s3://bucket/key through the S3 store, local paths and file://
 * only inside --artifacts-destination or --allowed-artifact-roots. A run
 * whose files cannot be reached keeps its rows (reported; exit 1), so no
 * row ever outlives files it names only because they were left behind.
 * Safe beside a running server: every purge is one short write
 * transaction on the same WAL database (busy timeout 10 s).
 */
#include "cli.h"
#include "../artifact/artifact.h"
#include "../artifact/artifact_path.h"
#include "../artifact/artifact_roots.h"
#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "cmd_gc.h"
#include "cmd_retention.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#define CMD "gc"

struct gc_settings {
	const char *backend_store_uri;
	const char *artifacts_destination;
	const char *allowed_artifact_roots;
	const char *older_than;
	const char *experiment_ids;
	const char *run_ids;
	bool dry_run;
	bool apply_retention;
};

#define OPT(field) offsetof(struct gc_settings, field)
static const struct cli_option gc_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "the store to collect (default sqlite:///mlflow.db); it must exist" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "where mlflow-artifacts:/ locations live, as the server's flag (default ./mlartifacts; or s3://bucket/prefix)" },
	{ "allowed-artifact-roots", 0, CLI_STRING, OPT(allowed_artifact_roots), "DIRS",
	  "comma-separated local directories besides --artifacts-destination where artifacts may be deleted "
	  "(env MLFLOW_ALLOWED_ARTIFACT_ROOTS)" },
	{ "older-than", 0, CLI_STRING, OPT(older_than), "AGE",
	  "only what was deleted longer ago than AGE, #d#h#m#s with fractions allowed (e.g. 30d, 1d2h3m4s, 1.5h)" },
	{ "experiment-ids", 0, CLI_STRING, OPT(experiment_ids), "IDS",
	  "comma-separated deleted experiments to remove with all their runs (default: every deleted experiment)" },
	{ "run-ids", 0, CLI_STRING, OPT(run_ids), "IDS", "comma-separated deleted runs to remove (default: every deleted run)" },
	{ "dry-run", 0, CLI_TRUE, OPT(dry_run), NULL, "list what would go and how many bytes, change nothing" },
	{ "apply-retention", 0, CLI_TRUE, OPT(apply_retention), NULL,
	  "first apply the retention policies (mlflowc retention), then collect" },
	{ 0 },
};

/* ---- artifact stores ------------------------------------------------------------------ */

/* Where `uri` lives: *repo and the path inside it (in `a`); *repo NULL
 * when the location cannot hold anything (a destination that does not
 * exist). -1 with `err` set when it cannot be reached. */
static int resolve(struct gc_artifacts *g, const char *uri, struct artifact_repo **repo, const char **path,
		   struct arena *a, struct mlf_err *err)
{
	static const char proxy[] = "mlflow-artifacts:", s3[] = "s3://";
	*repo = NULL;
	if (!strncmp(uri, proxy, sizeof(proxy) - 1)) {
		const char *p = uri + sizeof(proxy) - 1;
		if (!strncmp(p, "//", 2)) /* mlflow-artifacts://host:port/path */
			p = strchr(p + 2, '/') ? strchr(p + 2, '/') : "";
		while (*p == '/')
			p++;
		if (!g->proxy && g->proxy_missing)
			return 0;
		if (!g->proxy)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "no --artifacts-destination for '%s'", uri);
		*repo = g->proxy;
		*path = p;
		return artifact_path_validate(p, err);
	}
	if (!strncmp(uri, s3, sizeof(s3) - 1)) {
		const char *bucket = uri + sizeof(s3) - 1, *slash = strchr(bucket, '/');
		size_t bn = slash ? (size_t)(slash - bucket) : strlen(bucket);
		char *root = arena_printf(a, "s3://%.*s", (int)bn, bucket);
		size_t i = 0;
		while (i < g->n_buckets && strcmp(g->buckets[i].uri, root) != 0)
			i++;
		if (i == g->n_buckets) {
			if (i == ARRAY_SIZE(g->buckets))
				return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "too many S3 buckets");
			struct artifact_repo *r = artifact_open(root, err);
			if (!r)
				return -1;
			g->buckets[i].uri = strdup(root);
			g->buckets[i].repo = r;
			g->n_buckets++;
		}
		const char *p = slash ? slash : "";
		while (*p == '/')
			p++;
		*repo = g->buckets[i].repo;
		*path = p;
		return 0;
	}
	const char *local;
	int rc = artifact_local_root(uri, NULL, a, &local, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifacts at '%s' cannot be deleted by mlflowc", uri);
	if (artifact_roots_resolve(g->roots, local, repo, path, a, err) < 0)
		return mlf_errorf(err, MLF_PERMISSION_DENIED,
				  "artifacts at '%s' are outside --artifacts-destination and --allowed-artifact-roots",
				  uri);
	return 0;
}

static const char *child_path(const char *dir, const char *entry, struct arena *a)
{
	const char *name = strrchr(entry, '/');
	name = name ? name + 1 : entry;
	return *dir ? arena_printf(a, "%s/%s", dir, name) : arena_strdup(a, name);
}

/* Bytes of the files beneath `path` (a file lists as empty: 0). */
static int tree_bytes(struct artifact_repo *r, const char *path, uint64_t *bytes, struct arena *a, struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (r->ops->list(r, path, &e, &n, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].is_dir) {
			*bytes += e[i].size > 0 ? (uint64_t)e[i].size : 0;
		} else if (tree_bytes(r, child_path(path, e[i].path, a), bytes, a, err) < 0) {
			return -1;
		}
	}
	return 0;
}

static int drop(struct gc_artifacts *g, struct artifact_repo *r, const char *path, uint64_t file_size, bool is_dir,
		struct arena *a, struct mlf_err *err)
{
	uint64_t bytes = is_dir ? 0 : file_size;
	if (is_dir && tree_bytes(r, path, &bytes, a, err) < 0)
		return -1;
	g->bytes += bytes;
	return g->dry_run ? 0 : r->ops->remove(r, path, err);
}

/* Whether `rel` is kept (a kept path or beneath one: 1) or holds one (2). */
int gc_kept_state(const struct store_gc_target *t, const char *rel)
{
	size_t n = strlen(rel);
	int state = 0;
	for (size_t i = 0; i < t->n_keep; i++) {
		const char *k = t->keep[i];
		size_t kn = strlen(k);
		if (!kn || (!strncmp(k, rel, kn) && (rel[kn] == '/' || !rel[kn])))
			return 1;
		if (!strncmp(k, rel, n) && (!n || k[n] == '/'))
			state = 2;
	}
	return state;
}

/* Deletes what is beneath `dir` (rel: its path below the target) but the kept paths. */
static int prune(struct gc_artifacts *g, const struct store_gc_target *t, struct artifact_repo *r, const char *dir,
		 const char *rel, struct arena *a, struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (r->ops->list(r, dir, &e, &n, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *path = child_path(dir, e[i].path, a);
		const char *crel = child_path(rel, e[i].path, a);
		int state = gc_kept_state(t, crel);
		if (state == 1)
			continue;
		if (state == 2 && e[i].is_dir) {
			if (prune(g, t, r, path, crel, a, err) < 0)
				return -1;
			continue;
		}
		if (drop(g, r, path, (uint64_t)(e[i].size > 0 ? e[i].size : 0), e[i].is_dir, a, err) < 0)
			return -1;
	}
	return 0;
}

/* Removes `path`'s parent when `path` ends in /artifacts and the parent is
 * left empty: the <run>/ or models/<id>/ directory the server made. */
static void drop_empty_parent(struct gc_artifacts *g, struct artifact_repo *r, const char *path, struct arena *a)
{
	size_t n = strlen(path), tail = strlen("/artifacts");
	if (g->dry_run || n <= tail || strcmp(path + n - tail, "/artifacts") != 0)
		return;
	struct mlf_err ignored;
	const char *parent = arena_strndup(a, path, n - tail);
	struct artifact_entry *e;
	size_t k;
	if (r->ops->list(r, parent, &e, &k, a, &ignored) == 0 && k == 0)
		r->ops->remove(r, parent, &ignored);
}

/* After its experiment went: removes the experiment's directory when
 * nothing is left in it but an empty models/ (what the server made). */
static void drop_experiment_dir(struct gc_artifacts *g, const char *location)
{
	struct arena a = ARENA_INIT;
	struct mlf_err ignored;
	struct artifact_repo *r;
	const char *path;
	struct artifact_entry *e, *m;
	size_t n, k = 0;
	if (!location || !*location || resolve(g, location, &r, &path, &a, &ignored) < 0 || !r || !*path ||
	    r->ops->list(r, path, &e, &n, &a, &ignored) < 0)
		goto out;
	if (n == 1 && e[0].is_dir && !strcmp(child_path("", e[0].path, &a), "models")) {
		const char *models = child_path(path, e[0].path, &a);
		if (r->ops->list(r, models, &m, &k, &a, &ignored) < 0 || k || r->ops->remove(r, models, &ignored) < 0)
			goto out;
		n = 0;
	}
	if (n == 0)
		r->ops->remove(r, path, &ignored);
out:
	arena_release(&a);
}

static int delete_target(struct gc_artifacts *g, const struct store_gc_target *t, struct arena *a, struct mlf_err *err)
{
	struct artifact_repo *r;
	const char *path;
	if (resolve(g, t->uri, &r, &path, a, err) < 0)
		return -1;
	for (size_t i = 0; i < t->n_keep; i++) {
		if (!g->quiet)
			printf("%s %s%s%s (used by %s)\n", g->dry_run ? "would keep" : "kept", t->uri,
			       *t->keep[i] ? "/" : "", t->keep[i], t->keep_why[i]);
		g->kept++;
	}
	if (!r)
		return 0;
	if (!*path) /* a run or model whose location is a whole store: never delete the store */
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "'%s' of %s is the root of an artifact store: refusing to delete it", t->uri, t->what);
	if (!t->n_keep) {
		if (drop(g, r, path, 0, true, a, err) < 0)
			return -1;
		drop_empty_parent(g, r, path, a);
		return 0;
	}
	return prune(g, t, r, path, "", a, err);
}

static int delete_targets(void *ctx, const struct store_gc_target *t, size_t n, struct mlf_err *err)
{
	struct gc_artifacts *g = ctx;
	struct arena a = ARENA_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = delete_target(g, &t[i], &a, err);
	arena_release(&a);
	return rc;
}

/* ---- flags ------------------------------------------------------------------------------ */

static int split_ids(char *list, const char ***out, size_t *n)
{
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	*out = calloc(cap, sizeof(**out));
	*n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t len = strlen(tok);
		while (len && tok[len - 1] == ' ')
			tok[--len] = 0;
		if (len)
			(*out)[(*n)++] = tok;
	}
	return 0;
}

/* The file a sqlite:// URI or bare path names; NULL for other schemes. */
static const char *sqlite_path(const char *uri)
{
	if (!strncmp(uri, "sqlite://", 9)) {
		const char *p = uri + 9;
		return *p == '/' ? p + 1 : p;
	}
	return strstr(uri, "://") ? NULL : uri;
}

static const char *outcome_words(enum store_gc_outcome o)
{
	static const char *const words[] = {
		[STORE_GC_PURGED] = "purged",
		[STORE_GC_SKIPPED_RESTORED] = "restored since it was listed: kept",
		[STORE_GC_SKIPPED_GONE] = "already gone",
		[STORE_GC_SKIPPED_YOUNG] = "deleted again since it was listed, now too recently: kept",
		[STORE_GC_SKIPPED_BUSY] = "still has runs: kept",
	};
	return words[o];
}

static int fail(const char *what, const struct mlf_err *err)
{
	fprintf(stderr, "mlflowc %s: %s%s%s\n", CMD, what ? what : "", what ? ": " : "", err->msg);
	return 1;
}

/* ---- the command -------------------------------------------------------------------------- */

/* Sizes what one run (r) or an experiment's own logged models (r NULL)
 * would free; prints it unless quiet. */
static int plan_one(struct store *st, const struct store_gc_run *r, int64_t experiment_id, struct gc_artifacts *g,
		    struct arena *a)
{
	struct mlf_err err;
	struct store_gc_target *t;
	size_t nt;
	uint64_t before = g->bytes;
	if (store_gc_targets(st, r, r ? -1 : experiment_id, &t, &nt, a, &err) < 0 || delete_targets(g, t, nt, &err) < 0)
		return fail(r ? r->run_id : "experiment", &err);
	if (r && !g->quiet)
		printf("would delete run %s (%llu bytes of artifacts)\n", r->run_id, (unsigned long long)(g->bytes - before));
	return 0;
}

int gc_plan_bytes(struct store *st, const struct store_gc_plan *p, struct gc_artifacts *g)
{
	int status = 0;
	struct arena a = ARENA_INIT;
	g->n_runs = g->n_experiments = 0;
	for (size_t i = 0; i < p->n_runs; i++) {
		status |= plan_one(st, &p->runs[i], -1, g, &a);
		g->n_runs++;
	}
	for (size_t e = 0; e < p->n_experiments; e++) {
		const struct store_experiment *x = &p->experiments[e];
		size_t active = 0, n = p->n_experiment_runs[e];
		for (size_t i = 0; i < n; i++)
			active += strcmp(p->experiment_runs[e][i].lifecycle_stage, "deleted") != 0;
		if (!g->quiet && active)
			printf("would keep experiment %lld '%s': %zu of its %zu runs are active\n", (long long)x->id, x->name,
			       active, n);
		else if (!g->quiet)
			printf("would delete experiment %lld '%s' with %zu runs\n", (long long)x->id, x->name, n);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(p->experiment_runs[e][i].lifecycle_stage, "deleted") != 0)
				continue; /* restored inside the deleted experiment: it stays, and so does the experiment */
			status |= plan_one(st, &p->experiment_runs[e][i], -1, g, &a);
			g->n_runs++;
		}
		if (!active) {
			status |= plan_one(st, NULL, x->id, g, &a);
			g->n_experiments++;
		}
	}
	if (!g->quiet)
		printf("dry run: %zu experiments and %zu runs would be deleted, %llu bytes of artifacts freed, %llu paths "
		       "kept\n",
		       g->n_experiments, g->n_runs, (unsigned long long)g->bytes, (unsigned long long)g->kept);
	arena_release(&a);
	return status;
}

static int purge(struct store *st, const struct store_gc_plan *p, struct gc_artifacts *g)
{
	int status = 0;
	size_t runs = 0, experiments = 0;
	struct mlf_err err;
	enum store_gc_outcome o;
	for (size_t i = 0; i < p->n_runs; i++) {
		if (store_gc_purge_run(st, p, p->runs[i].run_id, -1, delete_targets, g, &o, &err) < 0) {
			status = fail(p->runs[i].run_id, &err);
			continue;
		}
		if (o == STORE_GC_PURGED) {
			printf("Run with ID %s has been permanently deleted.\n", p->runs[i].run_id);
			runs++;
		} else {
			printf("Run with ID %s: %s\n", p->runs[i].run_id, outcome_words(o));
		}
	}
	for (size_t e = 0; e < p->n_experiments; e++) {
		int64_t id = p->experiments[e].id;
		bool ok = true;
		for (size_t i = 0; i < p->n_experiment_runs[e]; i++) {
			const char *run_id = p->experiment_runs[e][i].run_id;
			if (strcmp(p->experiment_runs[e][i].lifecycle_stage, "deleted") != 0) {
				printf("Run with ID %s is active: kept, and so is experiment %lld\n", run_id, (long long)id);
				ok = false;
				continue;
			}
			if (store_gc_purge_run(st, p, run_id, id, delete_targets, g, &o, &err) < 0) {
				status = fail(run_id, &err);
				ok = false;
				continue;
			}
			if (o == STORE_GC_PURGED) {
				printf("Run with ID %s has been permanently deleted.\n", run_id);
				runs++;
			} else {
				printf("Run with ID %s: %s\n", run_id, outcome_words(o));
			}
		}
		if (!ok) { /* its row goes once every run has (the purge checks that too) */
			printf("Experiment with ID %lld: %s\n", (long long)id, outcome_words(STORE_GC_SKIPPED_BUSY));
			continue;
		}
		if (store_gc_purge_experiment(st, id, delete_targets, g, &o, &err) < 0) {
			status = fail("experiment", &err);
			continue;
		}
		if (o == STORE_GC_PURGED) {
			drop_experiment_dir(g, p->experiments[e].artifact_location);
			printf("Experiment with ID %lld has been permanently deleted.\n", (long long)id);
			experiments++;
		} else {
			printf("Experiment with ID %lld: %s\n", (long long)id, outcome_words(o));
		}
	}
	printf("gc: %zu experiments and %zu runs permanently deleted, %llu bytes of artifacts freed, %llu paths kept\n",
	       experiments, runs, (unsigned long long)g->bytes, (unsigned long long)g->kept);
	return status;
}

int gc_artifacts_open(struct gc_artifacts *g, const char *dest, const char *allowed, struct mlf_err *err)
{
	g->roots = artifact_roots_new();
	if (strstr(dest, "://") && strncmp(dest, "file://", 7) != 0) {
		if (!(g->proxy = artifact_open(dest, err)))
			return -1;
	} else {
		char *file = artifact_file_uri_path(dest, NULL);
		struct stat sb;
		if (stat(file ? file : dest, &sb) == 0) {
			if (artifact_roots_add(g->roots, dest, false, err) < 0 || !(g->proxy = artifact_open(dest, err))) {
				free(file);
				return -1;
			}
		} else {
			g->proxy_missing = dest;
		}
		free(file);
	}
	return artifact_roots_add_list(g->roots, allowed, false, err);
}

void gc_artifacts_close(struct gc_artifacts *g)
{
	artifact_close(g->proxy);
	for (size_t i = 0; i < g->n_buckets; i++) {
		artifact_close(g->buckets[i].repo);
		free(g->buckets[i].uri);
	}
	artifact_roots_free(g->roots);
}

int gc_artifacts_resolve(struct gc_artifacts *g, const char *uri, struct artifact_repo **repo, const char **path,
			 struct arena *a, struct mlf_err *err)
{
	return resolve(g, uri, repo, path, a, err);
}

int gc_artifacts_size(struct gc_artifacts *g, const char *uri, uint64_t *bytes, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct artifact_repo *r;
	const char *path;
	int rc = resolve(g, uri, &r, &path, &a, err);
	if (rc == 0 && r)
		rc = tree_bytes(r, path, bytes, &a, err);
	arena_release(&a);
	return rc;
}

int gc_open_store(const char *cmd, const char *uri, struct store **out)
{
	struct mlf_err err;
	const char *db = sqlite_path(uri);
	struct stat sb;
	*out = NULL;
	if (db && stat(db, &sb) < 0) {
		fprintf(stderr, "mlflowc %s: no store at '%s': %s\n", cmd, uri, strerror(errno));
		return -1;
	}
	struct store_options so = { .artifact_root = "mlflow-artifacts:/", .durability = STORE_DURABILITY_NORMAL };
	if (!(*out = store_open(uri, &so, &err))) {
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
		return -1;
	}
	return 0;
}

int cmd_gc(int argc, char **argv)
{
	static const char summary[] = "Permanently delete deleted runs and experiments, their rows and artifacts";
	struct gc_settings s = {
		.backend_store_uri = "sqlite:///mlflow.db",
		.artifacts_destination = "./mlartifacts",
		.allowed_artifact_roots = getenv("MLFLOW_ALLOWED_ARTIFACT_ROOTS"),
	};
	int parsed = cli_parse(CMD, gc_options, argc, argv, &s);
	if (parsed != 0) {
		if (parsed > 0)
			cli_usage(stdout, CMD, summary, gc_options);
		return parsed > 0 ? 0 : 2;
	}
	struct mlf_err err;
	struct store_gc_query q = { .now_ms = util_now_ms(), .older_than_text = s.older_than };
	if (s.older_than && *s.older_than) {
		if (store_gc_parse_older_than(s.older_than, &q.older_than_ms, &err) < 0)
			return fail(NULL, &err) + 1;
		q.has_older_than = true;
	}
	char *run_list = s.run_ids ? strdup(s.run_ids) : NULL;
	char *exp_list = s.experiment_ids ? strdup(s.experiment_ids) : NULL;
	const char **run_ids = NULL, **exp_texts = NULL;
	size_t n_exp = 0;
	int64_t *exp_ids = NULL;
	int status = 1;
	struct store *st = NULL;
	struct gc_artifacts g = { .dry_run = s.dry_run };
	struct arena a = ARENA_INIT;
	if (run_list)
		split_ids(run_list, &run_ids, &q.n_run_ids);
	if (exp_list) {
		split_ids(exp_list, &exp_texts, &n_exp);
		exp_ids = calloc(n_exp + 1, sizeof(*exp_ids));
		for (size_t i = 0; i < n_exp; i++)
			if (!util_parse_int64(exp_texts[i], &exp_ids[i])) {
				fprintf(stderr, "mlflowc %s: No Experiment with id=%s exists\n", CMD, exp_texts[i]);
				goto out;
			}
	}
	q.run_ids = run_ids;
	q.experiment_ids = exp_ids;
	q.n_experiment_ids = n_exp;

	if (gc_open_store(CMD, s.backend_store_uri, &st) < 0)
		goto out;
	if (gc_artifacts_open(&g, s.artifacts_destination, s.allowed_artifact_roots, &err) < 0) {
		fail("--artifacts-destination", &err);
		goto out;
	}
	int retention_status = s.apply_retention ? retention_apply(st, &g, -1, s.dry_run) : 0;
	struct store_gc_plan plan;
	if (store_gc_select(st, &q, &plan, &a, &err) < 0) {
		fail(NULL, &err);
		goto out;
	}
	status = (s.dry_run ? gc_plan_bytes(st, &plan, &g) : purge(st, &plan, &g)) | retention_status;
out:
	arena_release(&a);
	gc_artifacts_close(&g);
	store_close(st);
	free(run_list);
	free(exp_list);
	free(run_ids);
	free(exp_texts);
	free(exp_ids);
	return status;
}
