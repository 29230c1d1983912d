/*
 * cmd_retention.c - `mlflowc retention set|show|clear`: retention policies
 * kept in the store (store_retention.h), and applying them from the
 * command line (retention_apply, run by `mlflowc gc --apply-retention` and,
 * dry, by `retention show`). What applying a policy does is
 * src/lifecycle/lifecycle_retention.c; the server applies the same
 * policies on a schedule (`mlflowc server --retention-interval`).
 */
#include "cmd_retention.h"
#include "../base/arena.h"
#include "../base/util.h"
#include "../store/store_retention.h"
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

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
	const char *move_storage_class;
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
	{ "move-storage-class", 0, CLI_STRING, OPT(move_storage_class), "CLASS",
	  "with --move-to s3://...: the S3 storage class of the copies (STANDARD_IA, GLACIER_IR, DEEP_ARCHIVE, ...)" },
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
		printf("  archived-versions-days: %lld %s%s%s%s%s%s\n", (long long)p->archived_days, p->archived_action,
		       p->move_to ? " to " : "", p->move_to ? p->move_to : "",
		       p->move_storage_class ? " (storage class " : "",
		       p->move_storage_class ? p->move_storage_class : "", p->move_storage_class ? ")" : "");
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
	p.move_storage_class = s.move_storage_class;
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
	struct lifecycle_artifacts g = { .dry_run = true, .out = gc_cli_out };
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
	if (lifecycle_artifacts_open(&g, s.artifacts_destination, s.allowed_artifact_roots, &err) < 0)
		goto fail;
	printf("next application (dry run):\n");
	status = retention_apply(st, &g, id >= 0 ? id : -1, true);
	goto out;
fail:
	fprintf(stderr, "mlflowc retention show: %s\n", err.msg);
out:
	lifecycle_artifacts_close(&g);
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

int retention_apply(struct store *st, struct lifecycle_artifacts *g, int64_t only_experiment, bool dry)
{
	struct arena a = ARENA_INIT;
	struct lifecycle_retention_opts opts = { .only_experiment = only_experiment, .dry = dry };
	struct lifecycle_retention_result res;
	g->out = gc_cli_out;
	int status = lifecycle_retention_apply(st, g, &opts, &res, &a);
	arena_release(&a);
	return status;
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
