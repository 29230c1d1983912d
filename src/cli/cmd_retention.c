/*
 * cmd_retention.c - `mlflowc retention set|show|clear`: retention policies
 * kept in the store (store_retention.h), and applying them
 * (retention_apply, run by `mlflowc gc --apply-retention` and, dry, by
 * `retention show`).
 *
 * Applying a policy to an experiment: (1) active runs started more than
 * keep-days ago are soft-deleted unless they carry a keep tag or (with
 * --keep-registered) a live model version uses their files, each in its
 * own write transaction that checks again; gc then purges them as it
 * purges any deleted run. (2) Within each active run, the artifact paths
 * matching the prune pattern (fnmatch with FNM_PATHNAME on the run-relative
 * path; a matching directory is one entry) are deleted but for the K
 * greatest in byte order of their paths, and never a path a version uses,
 * while the write transaction is held so no version can be registered on
 * them meanwhile. (3) Archived versions updated more than
 * archived-versions-days ago have their files deleted or moved (copied,
 * then the originals deleted) and get a tombstone tag saying where they
 * went or when they were deleted; their source stays as it was.
 */
#include "cmd_retention.h"
#include "../artifact/artifact.h"
#include "../base/arena.h"
#include "../base/util.h"
#include "../store/store_retention.h"
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DAY_MS 86400000LL

struct set_settings {
	const char *backend_store_uri;
	const char *experiment_id;
	bool is_default;
	const char *keep_days;
	bool keep_registered;
	struct cli_list keep_tags;
	const char *prune;
	const char *keep_last;
	const char *archived_days;
	const char *archived_action;
	const char *move_to;
};

#define OPT(field) offsetof(struct set_settings, field)
static const struct cli_option set_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI", "the store (default sqlite:///mlflow.db); it must exist" },
	{ "experiment-id", 0, CLI_STRING, OPT(experiment_id), "ID", "the experiment the policy is for" },
	{ "default", 0, CLI_TRUE, OPT(is_default), NULL, "the server-wide default, for experiments without a policy" },
	{ "keep-days", 0, CLI_STRING, OPT(keep_days), "N", "soft-delete runs started more than N days ago" },
	{ "keep-registered", 0, CLI_TRUE, OPT(keep_registered), NULL, "never soft-delete a run a live model version uses" },
	{ "keep-tag", 0, CLI_LIST, OPT(keep_tags), "KEY[=VALUE]", "never soft-delete a run with this tag (repeatable)" },
	{ "prune", 0, CLI_STRING, OPT(prune), "PATTERN", "delete run artifact paths matching PATTERN (fnmatch, e.g. 'checkpoints/*')" },
	{ "keep-last", 0, CLI_STRING, OPT(keep_last), "K", "with --prune: keep the K last matching paths of each run, by name" },
	{ "archived-versions-days", 0, CLI_STRING, OPT(archived_days), "N", "act on Archived versions last updated more than N days ago" },
	{ "archived-action", 0, CLI_STRING, OPT(archived_action), "ACTION", "delete or move their artifacts (a tombstone tag stays)" },
	{ "move-to", 0, CLI_STRING, OPT(move_to), "PLACE", "with move: an existing local directory or s3://bucket/prefix" },
	{ 0 },
};
#undef OPT

struct show_settings {
	const char *backend_store_uri;
	const char *experiment_id;
	const char *artifacts_destination;
	const char *allowed_artifact_roots;
	bool is_default;
};

#define OPT(field) offsetof(struct show_settings, field)
static const struct cli_option show_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI", "the store (default sqlite:///mlflow.db); it must exist" },
	{ "experiment-id", 0, CLI_STRING, OPT(experiment_id), "ID", "show (clear) this experiment's policy only" },
	{ "default", 0, CLI_TRUE, OPT(is_default), NULL, "with clear: the server-wide default" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "with show: where mlflow-artifacts:/ locations live (default ./mlartifacts; or s3://bucket/prefix)" },
	{ "allowed-artifact-roots", 0, CLI_STRING, OPT(allowed_artifact_roots), "DIRS",
	  "with show: other local artifact directories (env MLFLOW_ALLOWED_ARTIFACT_ROOTS)" },
	{ 0 },
};
#undef OPT

static int bad(const char *cmd, const char *msg)
{
	fprintf(stderr, "mlflowc retention %s: %s\n", cmd, msg);
	return 2;
}

/* -1 when absent; -2 (after a message) when not a whole number >= 0. */
static int64_t days_value(const char *cmd, const char *flag, const char *text)
{
	int64_t v;
	if (!text)
		return -1;
	if (!util_parse_int64(text, &v) || v < 0 || v > 1000000) {
		fprintf(stderr, "mlflowc retention %s: --%s must be a whole number of 0 or more, not '%s'\n", cmd, flag,
			text);
		return -2;
	}
	return v;
}

static void print_policy(const struct store_retention_policy *p)
{
	if (p->experiment_id == STORE_RETENTION_DEFAULT)
		printf("default policy (experiments without their own):\n");
	else
		printf("experiment %lld:\n", (long long)p->experiment_id);
	if (p->keep_days >= 0) {
		printf("  keep-days: %lld%s\n", (long long)p->keep_days, p->keep_registered ? " (keep registered)" : "");
		for (size_t i = 0; i < p->n_keep_tags; i++)
			printf("  keep-tag: %s%s%s\n", p->keep_tags[i].key, p->keep_tags[i].value ? "=" : "",
			       p->keep_tags[i].value ? p->keep_tags[i].value : "");
	}
	if (p->prune)
		printf("  prune: %s keep-last %lld\n", p->prune, (long long)p->keep_last);
	if (p->archived_days >= 0)
		printf("  archived-versions-days: %lld %s%s%s\n", (long long)p->archived_days, p->archived_action,
		       p->move_to ? " to " : "", p->move_to ? p->move_to : "");
}

/* An absolute spelling of a local --move-to, which must be an existing
 * directory (gc may run from elsewhere); s3:// as given. In `a`. */
static const char *move_place(const char *text, struct arena *a)
{
	if (!strncmp(text, "s3://", 5))
		return text;
	const char *path = !strncmp(text, "file://", 7) ? text + 7 : text;
	if (strstr(path, "://"))
		return NULL;
	char real[PATH_MAX];
	struct stat sb;
	if (!realpath(path, real) || stat(real, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	return arena_strdup(a, real);
}

static int retention_set(int argc, char **argv)
{
	struct set_settings s = { .backend_store_uri = "sqlite:///mlflow.db" };
	int parsed = cli_parse("retention set", set_options, argc, argv, &s);
	if (parsed != 0) {
		if (parsed > 0)
			cli_usage(stdout, "retention set", "Set an experiment's (or the default) retention policy", set_options);
		return parsed > 0 ? 0 : 2;
	}
	struct arena a = ARENA_INIT;
	struct store_retention_policy p = { 0 };
	int status = 2;
	if (!s.is_default == !s.experiment_id) {
		status = bad("set", "give exactly one of --experiment-id ID and --default");
		goto out;
	}
	if (s.experiment_id && (!util_parse_int64(s.experiment_id, &p.experiment_id) || p.experiment_id < 0)) {
		fprintf(stderr, "mlflowc retention set: No Experiment with id=%s exists\n", s.experiment_id);
		goto out;
	}
	if (s.is_default)
		p.experiment_id = STORE_RETENTION_DEFAULT;
	p.keep_days = days_value("set", "keep-days", s.keep_days);
	p.keep_last = days_value("set", "keep-last", s.keep_last);
	p.archived_days = days_value("set", "archived-versions-days", s.archived_days);
	if (p.keep_days == -2 || p.keep_last == -2 || p.archived_days == -2)
		goto out;
	p.keep_registered = s.keep_registered;
	p.prune = s.prune;
	p.archived_action = s.archived_action;
	p.move_to = s.move_to;
	if (s.move_to && !(p.move_to = move_place(s.move_to, &a))) {
		fprintf(stderr, "mlflowc retention set: --move-to '%s' is neither an existing local directory nor "
				"s3://bucket/prefix\n",
			s.move_to);
		goto out;
	}
	p.n_keep_tags = s.keep_tags.n;
	p.keep_tags = arena_alloc(&a, (s.keep_tags.n + 1) * sizeof(*p.keep_tags));
	for (size_t i = 0; i < s.keep_tags.n; i++) {
		const char *t = s.keep_tags.items[i], *eq = strchr(t, '=');
		p.keep_tags[i].key = eq ? arena_strndup(&a, t, (size_t)(eq - t)) : t;
		p.keep_tags[i].value = eq ? eq + 1 : NULL;
	}
	struct store *st;
	if (gc_open_store("retention set", s.backend_store_uri, &st) < 0) {
		status = 1;
		goto out;
	}
	struct mlf_err err;
	if (store_retention_set(st, &p, &err) < 0) {
		fprintf(stderr, "mlflowc retention set: %s\n", err.msg);
		status = err.code == MLF_INTERNAL_ERROR ? 1 : 2;
	} else {
		struct store_retention_policy got;
		bool found;
		if (store_retention_get(st, p.experiment_id, &got, &found, &a, &err) == 0 && found) {
			printf("set ");
			print_policy(&got);
		}
		status = 0;
	}
	store_close(st);
out:
	arena_release(&a);
	return status;
}

static int parse_show(const char *cmd, int argc, char **argv, struct show_settings *s, int64_t *id)
{
	*s = (struct show_settings){
		.backend_store_uri = "sqlite:///mlflow.db",
		.artifacts_destination = "./mlartifacts",
		.allowed_artifact_roots = getenv("MLFLOW_ALLOWED_ARTIFACT_ROOTS"),
	};
	char name[32];
	snprintf(name, sizeof(name), "retention %s", cmd);
	int parsed = cli_parse(name, show_options, argc, argv, s);
	if (parsed != 0) {
		if (parsed > 0)
			cli_usage(stdout, name, "Show or clear retention policies", show_options);
		return parsed > 0 ? 0 : 2;
	}
	*id = s->is_default ? STORE_RETENTION_DEFAULT : -2;
	if (s->experiment_id && (s->is_default || !util_parse_int64(s->experiment_id, id) || *id < 0)) {
		fprintf(stderr, "mlflowc retention %s: No Experiment with id=%s exists\n", cmd, s->experiment_id);
		return 2;
	}
	return -1;
}

static int retention_show(int argc, char **argv)
{
	struct show_settings s;
	int64_t id;
	int rc = parse_show("show", argc, argv, &s, &id);
	if (rc >= 0)
		return rc;
	struct store *st;
	if (gc_open_store("retention show", s.backend_store_uri, &st) < 0)
		return 1;
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct gc_artifacts g = { .dry_run = true };
	int status = 1;
	if (id >= 0) {
		struct store_experiment e;
		struct store_retention_policy p;
		bool found;
		if (store_experiment_get(st, id, &e, &a, &err) < 0) {
			fprintf(stderr, "mlflowc retention show: %s\n", err.msg);
			status = 2;
			goto out;
		}
		if (store_retention_effective(st, id, &p, &found, &a, &err) < 0)
			goto fail;
		if (!found) {
			printf("experiment %lld: no retention policy\n", (long long)id);
		} else {
			if (p.experiment_id == STORE_RETENTION_DEFAULT)
				printf("experiment %lld follows the ", (long long)id);
			print_policy(&p);
		}
	} else {
		struct store_retention_policy *p;
		size_t n;
		if (store_retention_list(st, &p, &n, &a, &err) < 0)
			goto fail;
		if (!n)
			printf("no retention policies\n");
		for (size_t i = 0; i < n; i++)
			if (id == -2 || p[i].experiment_id == id)
				print_policy(&p[i]);
	}
	if (gc_artifacts_open(&g, s.artifacts_destination, s.allowed_artifact_roots, &err) < 0)
		goto fail;
	printf("next application (dry run):\n");
	status = retention_apply(st, &g, id >= 0 ? id : -1, true);
	goto out;
fail:
	fprintf(stderr, "mlflowc retention show: %s\n", err.msg);
out:
	gc_artifacts_close(&g);
	store_close(st);
	arena_release(&a);
	return status;
}

static int retention_clear(int argc, char **argv)
{
	struct show_settings s;
	int64_t id;
	int rc = parse_show("clear", argc, argv, &s, &id);
	if (rc >= 0)
		return rc;
	if (id == -2)
		return bad("clear", "give --experiment-id ID or --default");
	struct store *st;
	if (gc_open_store("retention clear", s.backend_store_uri, &st) < 0)
		return 1;
	struct mlf_err err;
	int status = 0;
	if (store_retention_clear(st, id, &err) < 0) {
		fprintf(stderr, "mlflowc retention clear: %s\n", err.msg);
		status = err.code == MLF_INTERNAL_ERROR ? 1 : 2;
	} else if (id == STORE_RETENTION_DEFAULT) {
		printf("cleared the default policy\n");
	} else {
		printf("cleared the policy of experiment %lld\n", (long long)id);
	}
	store_close(st);
	return status;
}

/* ---- applying ---------------------------------------------------------------------------- */

struct apply {
	struct store *st;
	struct gc_artifacts *g;
	bool dry;
	int status;
	size_t n_deleted, n_kept, n_pruned, n_versions;
	/* dry: the runs it would have soft-deleted, which pruning then skips
	 * as the real application would (they are no longer active) */
	const char **aged;
	size_t n_aged, cap_aged;
	struct arena *a;
};

static void remember_aged(struct apply *ap, const char *run_id)
{
	if (ap->n_aged == ap->cap_aged) {
		size_t cap = ap->cap_aged ? 2 * ap->cap_aged : 16;
		const char **bigger = arena_alloc(ap->a, cap * sizeof(*bigger));
		if (ap->n_aged)
			memcpy(bigger, ap->aged, ap->n_aged * sizeof(*bigger));
		ap->aged = bigger;
		ap->cap_aged = cap;
	}
	ap->aged[ap->n_aged++] = arena_strdup(ap->a, run_id);
}

static bool was_aged(const struct apply *ap, const char *run_id)
{
	for (size_t i = 0; i < ap->n_aged; i++)
		if (!strcmp(ap->aged[i], run_id))
			return true;
	return false;
}

static int failed(struct apply *ap, const char *what, const struct mlf_err *err)
{
	fprintf(stderr, "mlflowc retention: %s: %s\n", what, err->msg);
	ap->status = 1;
	return -1;
}

static int registered_check(void *ctx, const struct store_retention_run *run, bool *keep, const char **why,
			    struct arena *a, struct mlf_err *err)
{
	struct apply *ap = ctx;
	return store_retention_run_used(ap->st, run, keep, why, a, err);
}

static void age_runs(struct apply *ap, const struct store_retention_policy *p, int64_t exp, int64_t now)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct store_retention_run *runs;
	size_t n;
	int64_t cutoff = now - p->keep_days * DAY_MS;
	if (store_retention_active_runs(ap->st, exp, true, cutoff, &runs, &n, &a, &err) < 0) {
		failed(ap, "runs", &err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		enum store_retention_outcome o;
		const char *why;
		if (store_retention_soft_delete_run(ap->st, runs[i].run_id, p, exp, cutoff, registered_check, ap, ap->dry,
						    &o, &why, &a, &err) < 0) {
			failed(ap, runs[i].run_id, &err);
			continue;
		}
		long long age = (long long)((now - runs[i].start_time) / DAY_MS);
		if (o == STORE_RETENTION_DONE) {
			printf("retention: %s run %s of experiment %lld (started %lld days ago, keep-days %lld)\n",
			       ap->dry ? "would soft-delete" : "soft-deleted", runs[i].run_id, (long long)exp, age,
			       (long long)p->keep_days);
			ap->n_deleted++;
			if (ap->dry)
				remember_aged(ap, runs[i].run_id);
		} else if (o == STORE_RETENTION_CHANGED) {
			printf("retention: run %s changed since it was listed: left alone\n", runs[i].run_id);
		} else {
			printf("retention: %s run %s of experiment %lld (started %lld days ago; %s %s)\n",
			       ap->dry ? "would keep" : "kept", runs[i].run_id, (long long)exp, age,
			       o == STORE_RETENTION_KEPT_TAG ? "has" : "used by", why ? why : "");
			ap->n_kept++;
		}
	}
out:
	arena_release(&a);
}

/* One matching entry of a prune. */
struct match {
	const char *rel;  /* below the run's artifact URI */
	const char *path; /* in the repo */
};

struct prune_job {
	struct apply *ap;
	const struct store_retention_policy *p;
	const struct store_retention_run *run;
	struct arena *a;
	struct match *m;
	size_t n, cap;
};

static int collect(struct prune_job *j, struct artifact_repo *r, const char *dir, const char *rel, unsigned depth,
		   struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (depth > 64)
		return 0;
	if (r->ops->list(r, dir, &e, &n, j->a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = strrchr(e[i].path, '/');
		name = name ? name + 1 : e[i].path;
		const char *path = *dir ? arena_printf(j->a, "%s/%s", dir, name) : arena_strdup(j->a, name);
		const char *crel = *rel ? arena_printf(j->a, "%s/%s", rel, name) : arena_strdup(j->a, name);
		if (fnmatch(j->p->prune, crel, FNM_PATHNAME | FNM_PERIOD) == 0) {
			if (j->n == j->cap) {
				size_t cap = j->cap ? 2 * j->cap : 16;
				struct match *bigger = arena_alloc(j->a, cap * sizeof(*bigger));
				if (j->n)
					memcpy(bigger, j->m, j->n * sizeof(*bigger));
				j->m = bigger;
				j->cap = cap;
			}
			j->m[j->n++] = (struct match){ crel, path };
		} else if (e[i].is_dir && collect(j, r, path, crel, depth + 1, err) < 0) {
			return -1;
		}
	}
	return 0;
}

static int by_rel(const void *pa, const void *pb)
{
	return strcmp(((const struct match *)pa)->rel, ((const struct match *)pb)->rel);
}

static int prune_run(void *ctx, struct mlf_err *err)
{
	struct prune_job *j = ctx;
	struct apply *ap = j->ap;
	struct store_gc_target t = { .uri = j->run->artifact_uri, .what = "run" };
	struct artifact_repo *r;
	const char *path;
	if (store_retention_run_kept(ap->st, j->run, &t.keep, &t.keep_why, &t.n_keep, j->a, err) < 0 ||
	    gc_artifacts_resolve(ap->g, j->run->artifact_uri, &r, &path, j->a, err) < 0)
		return -1;
	if (!r)
		return 0;
	if (collect(j, r, path, "", 0, err) < 0)
		return -1;
	if (j->n)
		qsort(j->m, j->n, sizeof(*j->m), by_rel);
	size_t keep_from = j->n > (size_t)j->p->keep_last ? j->n - (size_t)j->p->keep_last : 0;
	for (size_t i = 0; i < keep_from; i++) {
		const char *uri = j->run->artifact_uri, *rel = j->m[i].rel;
		int state = gc_kept_state(&t, rel);
		if (state) {
			const char *why = "a model version";
			for (size_t k = 0; k < t.n_keep; k++) {
				size_t kn = strlen(t.keep[k]);
				if (!kn || !strncmp(t.keep[k], rel, kn) || !strncmp(t.keep[k], rel, strlen(rel)))
					why = t.keep_why[k];
			}
			printf("retention: %s %s/%s (run %s; used by %s)\n", ap->dry ? "would keep" : "kept", uri, rel,
			       j->run->run_id, why);
			continue;
		}
		if (!ap->dry && r->ops->remove(r, j->m[i].path, err) < 0)
			return -1;
		printf("retention: %s %s/%s (run %s; %s, keep-last %lld)\n", ap->dry ? "would prune" : "pruned", uri, rel,
		       j->run->run_id, j->p->prune, (long long)j->p->keep_last);
		ap->n_pruned++;
	}
	return 0;
}

static void prune_runs(struct apply *ap, const struct store_retention_policy *p, int64_t exp)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct store_retention_run *runs;
	size_t n;
	if (store_retention_active_runs(ap->st, exp, false, 0, &runs, &n, &a, &err) < 0) {
		failed(ap, "runs", &err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (was_aged(ap, runs[i].run_id))
			continue;
		struct arena ja = ARENA_INIT;
		struct prune_job j = { .ap = ap, .p = p, .run = &runs[i], .a = &ja };
		/* deletes happen while the write transaction is held: no version
		 * can be registered on a path between the check and the delete */
		int rc = ap->dry ? prune_run(&j, &err) : store_retention_locked(ap->st, prune_run, &j, &err);
		if (rc < 0)
			failed(ap, runs[i].run_id, &err);
		arena_release(&ja);
	}
out:
	arena_release(&a);
}

/* ---- archived versions ---- */

struct tomb_job {
	struct apply *ap;
	const struct store_retention_policy *p;
	const char *uri; /* the version's files */
	int64_t now;
};

static int copy_file(struct artifact_repo *from, const char *src, struct artifact_repo *to, const char *dst,
		     struct mlf_err *err)
{
	struct artifact_download dl;
	struct artifact_upload *up;
	if (from->ops->download_open(from, src, &dl, err) < 0)
		return -1;
	if (to->ops->upload_begin(to, dst, &up, err) < 0) {
		if (dl.fd >= 0)
			close(dl.fd);
		else
			dl.close(dl.ctx);
		return -1;
	}
	char buf[65536];
	uint64_t pos = 0;
	int rc = 0;
	for (;;) {
		ssize_t got = dl.fd >= 0 ? read(dl.fd, buf, sizeof(buf)) : dl.read(dl.ctx, pos, buf, sizeof(buf));
		if (got < 0 && dl.fd >= 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "could not read '%s'", src);
			break;
		}
		if (got == 0)
			break;
		int werr = to->ops->upload_write(up, buf, (size_t)got);
		if (werr) {
			rc = artifact_errno_error(werr, "write", dst, err);
			break;
		}
		pos += (uint64_t)got;
	}
	if (dl.fd >= 0)
		close(dl.fd);
	else
		dl.close(dl.ctx);
	if (rc < 0) {
		to->ops->upload_abort(up);
		return -1;
	}
	return to->ops->upload_commit(up, err);
}

/* Copies the tree at `src` (a directory, or one file) to `dst`; *copied
 * counts the files. */
static int copy_tree(struct artifact_repo *from, const char *src, struct artifact_repo *to, const char *dst,
		     size_t *copied, unsigned depth, struct arena *a, struct mlf_err *err)
{
	struct artifact_entry *e;
	size_t n;
	if (depth > 64)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is nested too deeply", src);
	if (from->ops->list(from, src, &e, &n, a, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = strrchr(e[i].path, '/');
		name = name ? name + 1 : e[i].path;
		const char *s = *src ? arena_printf(a, "%s/%s", src, name) : name;
		const char *d = arena_printf(a, "%s/%s", dst, name);
		int rc = e[i].is_dir ? copy_tree(from, s, to, d, copied, depth + 1, a, err) : copy_file(from, s, to, d, err);
		if (rc < 0)
			return -1;
		*copied += !e[i].is_dir;
	}
	return 0;
}

static int tomb_files(void *ctx, const struct store_retention_version *v, const char **key, const char **value,
		      struct arena *a, struct mlf_err *err)
{
	struct tomb_job *j = ctx;
	struct artifact_repo *r;
	const char *path;
	if (gc_artifacts_resolve(j->ap->g, j->uri, &r, &path, a, err) < 0)
		return -1;
	if (r && !*path)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is the root of an artifact store", j->uri);
	if (!strcmp(j->p->archived_action, "move")) {
		struct artifact_repo *to = artifact_open(j->p->move_to, err);
		if (!to)
			return -1;
		const char *dst = arena_printf(a, "%s/%lld", v->model_name, (long long)v->version);
		size_t copied = 0;
		int rc = artifact_path_validate(dst, err);
		if (rc == 0 && r) {
			rc = copy_tree(r, path, to, dst, &copied, 0, a, err);
			if (rc == 0 && copied == 0) { /* one file, or nothing */
				const char *base = strrchr(path, '/');
				struct mlf_err missing;
				rc = copy_file(r, path, to, arena_printf(a, "%s/%s", dst, base ? base + 1 : path), &missing);
				if (rc < 0 && missing.code != MLF_RESOURCE_DOES_NOT_EXIST) {
					*err = missing;
					rc = -1;
				} else {
					rc = 0;
				}
			}
		}
		artifact_close(to);
		if (rc < 0)
			return -1;
		size_t pn = strlen(j->p->move_to);
		while (pn && j->p->move_to[pn - 1] == '/')
			pn--;
		*key = STORE_RETENTION_MOVED_TAG;
		*value = arena_printf(a, "%.*s/%s", (int)pn, j->p->move_to, dst);
	} else {
		*key = STORE_RETENTION_DELETED_TAG;
		*value = arena_printf(a, "%lld", (long long)j->now);
	}
	/* the originals go last: a failed copy leaves them where they were */
	return r ? r->ops->remove(r, path, err) : 0;
}

/* The place a version's files are read from (in `a`), or NULL (with *why). */
static const char *version_files(const struct store_retention_version *v, const char **why, struct arena *a)
{
	const char *loc = v->storage_location && *v->storage_location ? v->storage_location : v->source;
	if (!loc || !*loc) {
		*why = "it has no source";
		return NULL;
	}
	if (!strncmp(loc, "runs:/", 6)) {
		const char *id = loc + 6, *slash = strchr(id, '/');
		if (!v->run_artifact_uri) {
			*why = "its run is gone";
			return NULL;
		}
		if (strlen(v->run_id) != (slash ? (size_t)(slash - id) : strlen(id)) ||
		    strncmp(v->run_id, id, strlen(v->run_id)) != 0) {
			*why = "its runs:/ source names another run";
			return NULL;
		}
		return arena_printf(a, "%s%s", v->run_artifact_uri, slash && slash[1] ? slash : "");
	}
	if (!strncmp(loc, "models:/", 8)) {
		*why = "its source is another registered model";
		return NULL;
	}
	return loc;
}

static void archived_versions(struct apply *ap, int64_t only_experiment, int64_t now)
{
	struct arena a = ARENA_INIT;
	struct mlf_err err;
	struct store_retention_version *v;
	size_t n;
	if (store_retention_archived_versions(ap->st, now, &v, &n, &a, &err) < 0) {
		failed(ap, "archived versions", &err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t exp = v[i].run_experiment_id;
		if (only_experiment >= 0 && exp != only_experiment)
			continue;
		struct store_retention_policy p;
		bool found;
		if (store_retention_effective(ap->st, exp >= 0 ? exp : STORE_RETENTION_DEFAULT, &p, &found, &a, &err) < 0) {
			failed(ap, v[i].model_name, &err);
			continue;
		}
		int64_t cutoff = now - p.archived_days * DAY_MS;
		if (!found || p.archived_days < 0 || v[i].last_updated_time >= cutoff)
			continue;
		const char *why = NULL, *uri = version_files(&v[i], &why, &a);
		if (!uri) {
			printf("retention: %s model %s version %lld as it is (%s)\n", ap->dry ? "would leave" : "left",
			       v[i].model_name, (long long)v[i].version, why);
			continue;
		}
		/* a live version besides this one using the same files keeps them (gc's rule) */
		if (v[i].run_artifact_uri) {
			struct store_retention_run run = { .run_id = v[i].run_id, .experiment_id = exp,
							   .artifact_uri = v[i].run_artifact_uri };
			struct store_gc_target t = { .uri = run.artifact_uri };
			const char *self = arena_printf(&a, "model %s version %lld", v[i].model_name, (long long)v[i].version);
			const char *other = NULL;
			if (store_retention_run_kept(ap->st, &run, &t.keep, &t.keep_why, &t.n_keep, &a, &err) < 0) {
				failed(ap, v[i].model_name, &err);
				continue;
			}
			size_t rn = strlen(run.artifact_uri);
			const char *rel = !strncmp(uri, run.artifact_uri, rn) && (uri[rn] == '/' || !uri[rn])
						  ? uri + rn + (uri[rn] == '/')
						  : NULL;
			for (size_t k = 0; rel && k < t.n_keep && !other; k++) {
				if (!strcmp(t.keep_why[k], self))
					continue;
				struct store_gc_target one = { .keep = &t.keep[k], .keep_why = &t.keep_why[k], .n_keep = 1 };
				if (gc_kept_state(&one, rel))
					other = t.keep_why[k];
			}
			if (other) {
				printf("retention: %s files of model %s version %lld (%s; also used by %s)\n",
				       ap->dry ? "would keep" : "kept", v[i].model_name, (long long)v[i].version, uri, other);
				continue;
			}
		}
		bool move = !strcmp(p.archived_action, "move");
		if (ap->dry) {
			printf("retention: would %s files of archived model %s version %lld (%s)%s%s\n",
			       move ? "move" : "delete", v[i].model_name, (long long)v[i].version, uri, move ? " to " : "",
			       move ? p.move_to : "");
			ap->n_versions++;
			continue;
		}
		struct tomb_job j = { ap, &p, uri, now };
		enum store_retention_outcome o;
		if (store_retention_tombstone_version(ap->st, v[i].model_name, v[i].version, cutoff, tomb_files, &j, &o,
						      &err) < 0) {
			failed(ap, arena_printf(&a, "model %s version %lld", v[i].model_name, (long long)v[i].version), &err);
			continue;
		}
		if (o == STORE_RETENTION_DONE) {
			printf("retention: %s files of archived model %s version %lld (%s)%s%s\n", move ? "moved" : "deleted",
			       v[i].model_name, (long long)v[i].version, uri, move ? " to " : "", move ? p.move_to : "");
			ap->n_versions++;
		} else {
			printf("retention: model %s version %lld changed since it was listed: left alone\n", v[i].model_name,
			       (long long)v[i].version);
		}
	}
out:
	arena_release(&a);
}

int retention_apply(struct store *st, struct gc_artifacts *g, int64_t only_experiment, bool dry)
{
	struct arena a = ARENA_INIT;
	struct apply ap = { .st = st, .g = g, .dry = dry, .a = &a };
	struct mlf_err err;
	int64_t *ids, now = util_now_ms();
	size_t n;
	if (store_retention_active_experiments(st, &ids, &n, &a, &err) < 0) {
		failed(&ap, "experiments", &err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (only_experiment >= 0 && ids[i] != only_experiment)
			continue;
		struct store_retention_policy p;
		bool found;
		if (store_retention_effective(st, ids[i], &p, &found, &a, &err) < 0) {
			failed(&ap, "policy", &err);
			continue;
		}
		if (!found)
			continue;
		if (p.keep_days >= 0)
			age_runs(&ap, &p, ids[i], now);
		if (p.prune)
			prune_runs(&ap, &p, ids[i]);
	}
	archived_versions(&ap, only_experiment, now);
	printf("retention%s: %zu runs %ssoft-deleted, %zu kept, %zu paths %spruned, %zu archived versions %s\n",
	       dry ? " (dry run)" : "", ap.n_deleted, dry ? "would be " : "", ap.n_kept, ap.n_pruned,
	       dry ? "would be " : "", ap.n_versions, dry ? "would be moved or deleted" : "moved or deleted");
out:
	arena_release(&a);
	return ap.status;
}

/* ---- the group ---- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} retention_commands[] = {
	{ "set", retention_set, "set an experiment's (--experiment-id) or the default (--default) policy" },
	{ "show", retention_show, "the policies and what applying them would do next (a dry run)" },
	{ "clear", retention_clear, "remove an experiment's (or the default) policy" },
};

int cmd_retention(int argc, char **argv)
{
	if (argc >= 1)
		for (size_t i = 0; i < ARRAY_SIZE(retention_commands); i++)
			if (!strcmp(argv[0], retention_commands[i].name))
				return retention_commands[i].fn(argc - 1, argv + 1);
	FILE *f = argc >= 1 && !strcmp(argv[0], "--help") ? stdout : stderr;
	fprintf(f, "usage: mlflowc retention <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(retention_commands); i++)
		fprintf(f, "  %-6s %s\n", retention_commands[i].name, retention_commands[i].summary);
	return f == stdout ? 0 : 2;
}
