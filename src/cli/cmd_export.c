/*
 * cmd_export.c - `mlflowc export`: writes a stopped or running mlflowc
 * store out as MLflow's file store (`mlruns/`) with export_mlruns(), and
 * prints what it wrote; or, when --to is a store URI (sqlite:,
 * postgresql:, postgres:, postgresql+driver:), copies it into that mlflowc
 * store with store_copy() (created or migrated as the server would) and
 * prints the per-table count of source rows and copied rows, which must
 * match. The source store is opened like the server opens it; a database
 * that does not exist is refused, never created. A PostgreSQL URI is only
 * ever printed without its password.
 */
#include "cli.h"
#include "cli_client.h"
#include "export_mlruns.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "../store/pg_conn.h"
#include "../store/store_copy.h"
#include <unistd.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

struct export_settings {
	const char *backend_store_uri;
	const char *artifacts_destination;
	const char *to;
	const char *experiment_ids;
	bool include_artifacts;
	bool keep_artifact_locations;
	bool force;
};

#define OPT(field) offsetof(struct export_settings, field)

static const struct cli_option export_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "the mlflowc store to export (default sqlite:///mlflow.db)" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "where the server's artifact proxy stored files, for mlflow-artifacts:/ URIs (default ./mlartifacts)" },
	{ "to", 0, CLI_REQUIRED, OPT(to), "DIR|URI",
	  "the new or empty directory to write the file store into, or another mlflowc store to copy into "
	  "(sqlite:///other.db, postgresql://user@host/db): every id, name, time, history point and registry "
	  "row is kept; artifact locations are kept as they are, so point the new server at the same "
	  "--artifacts-destination (or S3 bucket); copying again changes nothing" },
	{ "experiment-ids", 0, CLI_STRING, OPT(experiment_ids), "ID,ID",
	  "export only these experiments (the registry is always exported)" },
	{ "include-artifacts", 0, CLI_TRUE, OPT(include_artifacts), NULL,
	  "copy every run's artifacts into the export and point artifact locations at the copies (file store only)" },
	{ "keep-artifact-locations", 0, CLI_TRUE, OPT(keep_artifact_locations), NULL,
	  "leave artifacts where they are and keep their locations (default)" },
	{ "force", 0, CLI_TRUE, OPT(force), NULL, "replace a non-empty --to directory" },
	{ 0 },
};

static const char export_summary[] =
	"Write the store out as MLflow's file store (mlruns/), readable by `mlflow ui --backend-store-uri DIR`, "
	"or copy it into another mlflowc store (--to sqlite:///other.db or postgresql://...), SQLite and "
	"PostgreSQL either way, ending with a per-table count of source and copied rows.";

/* "1,2,3" into ids; -1 with the message printed on a bad id. */
static int parse_ids(const char *cmd, const char *list, int64_t *ids, size_t max, size_t *n, int *exit_code)
{
	*n = 0;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char one[32];
		if (len == 0 || len >= sizeof(one))
			return cli_usage_fail(exit_code, cmd, "--experiment-ids: bad id list '%s'", list);
		memcpy(one, p, len);
		one[len] = 0;
		if (*n == max)
			return cli_usage_fail(exit_code, cmd, "--experiment-ids: at most %zu ids", max);
		if (!util_parse_int64(one, &ids[*n]) || ids[*n] < 0)
			return cli_usage_fail(exit_code, cmd, "--experiment-ids: '%s' is not an experiment id", one);
		(*n)++;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

/* The database file a sqlite: URI or bare path names must exist: an export
 * never creates a store. */
static int store_must_exist(const char *cmd, const char *uri, int *exit_code)
{
	const char *path = uri;
	if (strncmp(uri, "sqlite://", 9) == 0) {
		path = uri + 9;
		if (*path == '/')
			path++;
	}
	struct stat sb;
	if (strstr(path, "://") == NULL && stat(path, &sb) < 0) {
		fprintf(stderr, "mlflowc %s: no store at %s (%s)\n", cmd, uri, strerror(errno));
		*exit_code = CLI_EXIT_REFUSED;
		return -1;
	}
	return 0;
}

/* ---- copying into another store -------------------------------------------------- */

/* The URI schemes that make --to a store rather than a directory: each
 * must be followed by "//" (after "postgresql+<driver>:" for the last). */
static const char *const store_schemes[] = { "sqlite:", "postgresql:", "postgres:", "postgresql+" };

/* 1 when `to` is a store URI, 0 when it is a directory, -1 (message
 * printed) when it starts like a store URI but is not one. */
static int store_uri_kind(const char *cmd, const char *to, int *exit_code)
{
	for (size_t i = 0; i < ARRAY_SIZE(store_schemes); i++) {
		size_t n = strlen(store_schemes[i]);
		if (strncmp(to, store_schemes[i], n) != 0)
			continue;
		const char *rest = to + n;
		if (store_schemes[i][n - 1] == '+')
			rest = strchr(rest, ':') ? strchr(rest, ':') + 1 : "";
		if (strncmp(rest, "//", 2) == 0)
			return 1;
		return cli_usage_fail(exit_code, cmd,
				      "--to: '%.*s...' is not a store URI (sqlite:///PATH, postgresql://user@host/db)", (int)n,
				      to);
	}
	return 0;
}

/* `uri` as it may be printed (a PostgreSQL one without its password),
 * into `shown`. */
static void uri_shown(const char *uri, struct buf *shown)
{
	struct buf conninfo = BUF_INIT;
	struct mlf_err err;
	buf_init(shown, 0);
	if (strncmp(uri, "sqlite:", 7) == 0)
		buf_adds(shown, uri);
	else if (pg_uri_parse(uri, &conninfo, shown, &err) < 0 && !shown->len)
		buf_adds(shown, "the store URI");
	buf_release(&conninfo);
}

/* The file a sqlite: URI names, resolved when it exists (else as given). */
static void sqlite_file(const char *uri, char out[4096])
{
	const char *path = uri + 7;
	if (strncmp(path, "///", 3) == 0)
		path += 3;
	else if (strncmp(path, "//", 2) == 0)
		path += 2;
	if (!realpath(path, out))
		snprintf(out, 4096, "%s", path);
}

struct copy_progress {
	bool tty;
	int64_t started_ns, shown_ns;
};

static double per_second(int64_t n, int64_t ns)
{
	return ns > 0 ? (double)n * 1e9 / (double)ns : 0.0;
}

static void copy_progress(void *ctx, const struct store_import_report *r, bool final)
{
	struct copy_progress *p = ctx;
	int64_t now = (int64_t)util_mono_ns();
	int64_t ns = now - p->started_ns;
	if (!p->tty) {
		if (final)
			fprintf(stderr,
				"mlflowc export: %lld experiments, %lld runs, %lld metric points in %.2f s (%.0f points/s, "
				"%.0f runs/s)\n",
				(long long)r->experiments_done, (long long)r->runs_done, (long long)r->points_done,
				(double)ns / 1e9, per_second(r->points_done, ns), per_second(r->runs_done, ns));
		return;
	}
	if (!final && now - p->shown_ns < 100000000)
		return;
	p->shown_ns = now;
	fprintf(stderr, "\rexperiments %lld/%lld  runs %lld  points %lld  %.0f points/s  %.0f runs/s   %s",
		(long long)r->experiments_done, (long long)r->experiments_total, (long long)r->runs_done,
		(long long)r->points_done, per_second(r->points_done, ns), per_second(r->runs_done, ns),
		final ? "\n" : "");
	fflush(stderr);
}

static void print_copy_report(const struct store_import_report *r)
{
	printf("%-28s %12s %12s\n", "table", "source", "copied");
	for (size_t t = 0; t < STORE_IMPORT_N_TABLES; t++)
		printf("%-28s %12lld %12lld%s\n", store_import_table_name(t), (long long)r->source[t],
		       (long long)r->imported[t], r->source[t] == r->imported[t] ? "" : "  MISMATCH");
	if (r->latest_differ)
		printf("latest metrics differing from the source's: %lld\n", (long long)r->latest_differ);
}

/* Whether two redacted PostgreSQL URIs are the same but for a password
 * (shown as "user:***@"). */
static bool same_server_uri(const char *a, const char *b)
{
	for (;;) {
		if (strncmp(a, ":***@", 5) == 0)
			a += 4;
		if (strncmp(b, ":***@", 5) == 0)
			b += 4;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++, b++;
	}
}

/* Whether `from` and `to` name the same store: the same SQLite file, or
 * the same PostgreSQL URI whatever its password. */
static bool same_store(const char *from, const char *to, const struct buf *from_shown, const struct buf *to_shown)
{
	bool from_sqlite = strncmp(from, "sqlite:", 7) == 0, to_sqlite = strncmp(to, "sqlite:", 7) == 0;
	if (from_sqlite != to_sqlite)
		return false;
	if (!from_sqlite)
		return strcmp(from, to) == 0 || same_server_uri(from_shown->ptr, to_shown->ptr);
	char a[4096], b[4096];
	sqlite_file(from, a);
	sqlite_file(to, b);
	return strcmp(a, b) == 0;
}

/* Copies the open store `st` (named `from`) into the store `to`. */
static int export_to_store(const char *cmd, struct store *st, const char *from, const char *to, const int64_t *ids,
			   size_t n_ids)
{
	struct buf shown, from_shown;
	struct mlf_err err = { 0 };
	int status = CLI_EXIT_REFUSED;
	struct store *dst = NULL;
	uri_shown(to, &shown);
	uri_shown(from, &from_shown);
	if (same_store(from, to, &from_shown, &shown)) {
		fprintf(stderr, "mlflowc %s: --to %s is the store being exported\n", cmd, shown.ptr);
		goto out;
	}
	struct store_options so = { .artifact_root = "mlflow-artifacts:/" };
	if (store_check_uri(to, &err) < 0 || !(dst = store_open(to, &so, &err))) {
		fprintf(stderr, "mlflowc %s: --to %s: %s\n", cmd, shown.ptr, err.msg);
		goto out;
	}
	struct copy_progress p = { .tty = isatty(2) != 0, .started_ns = (int64_t)util_mono_ns() };
	struct store_copy_options opt = {
		.experiment_ids = ids, .n_experiment_ids = n_ids, .progress = copy_progress, .ctx = &p
	};
	struct store_import_report rep;
	struct store_copy_accounts_report acc = { 0 };
	int rc = store_copy(st, dst, &opt, &rep, &err);
	/* users and policies belong to the whole store: a copy of some experiments leaves them */
	if (rc == 0 && n_ids == 0)
		rc = store_copy_accounts(st, dst, &acc, &err);
	store_close(dst);
	if (rc == 0 || err.code == MLF_DATA_LOSS) {
		printf("copied %s into %s\n", from_shown.ptr, shown.ptr);
		print_copy_report(&rep);
		if (n_ids == 0)
			printf("users: %lld found, %lld new (with %lld of %lld permissions); retention policies: %lld "
			       "(bearer tokens and sessions are not copied: users make new ones)\n",
			       (long long)acc.users_found, (long long)acc.users_created, (long long)acc.permissions_created,
			       (long long)acc.permissions_found, (long long)acc.policies);
		printf("artifact locations were kept as they are: start the new server with the same "
		       "--artifacts-destination (or bucket)\n");
	}
	if (rc < 0)
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
	else
		status = CLI_EXIT_OK;
out:
	buf_release(&shown);
	buf_release(&from_shown);
	return status;
}

int cmd_export(int argc, char **argv)
{
	static const char cmd[] = "export";
	struct export_settings s = { .backend_store_uri = "sqlite:///mlflow.db", .artifacts_destination = "./mlartifacts" };
	int64_t ids[1024];
	size_t n_ids = 0;
	int exit_code;
	if (cli_parse_command(cmd, export_summary, export_options, argc, argv, &s, &exit_code) < 0)
		return exit_code;
	if (s.include_artifacts && s.keep_artifact_locations)
		return cli_usage_error(cmd, "--include-artifacts and --keep-artifact-locations exclude each other");
	if (s.experiment_ids && parse_ids(cmd, s.experiment_ids, ids, ARRAY_SIZE(ids), &n_ids, &exit_code) < 0)
		return exit_code;
	int to_store = store_uri_kind(cmd, s.to, &exit_code);
	if (to_store < 0)
		return exit_code;
	if (to_store && (s.include_artifacts || s.force))
		return cli_usage_error(cmd, "--include-artifacts and --force are for a file store --to, not a store URI");
	if (store_must_exist(cmd, s.backend_store_uri, &exit_code) < 0)
		return exit_code;
	struct mlf_err err = { 0 };
	struct store_options so = { .artifact_root = "mlflow-artifacts:/" };
	struct store *st = NULL;
	if (store_check_uri(s.backend_store_uri, &err) < 0 || !(st = store_open(s.backend_store_uri, &so, &err))) {
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
		return CLI_EXIT_REFUSED;
	}
	if (to_store) {
		int status = export_to_store(cmd, st, s.backend_store_uri, s.to, s.experiment_ids ? ids : NULL, n_ids);
		store_close(st);
		return status;
	}
	char dest[4096];
	const char *destination = s.artifacts_destination;
	if (realpath(destination, dest))
		destination = dest;
	struct export_options opt = {
		.to = s.to,
		.artifacts_destination = destination,
		.experiment_ids = s.experiment_ids ? ids : NULL,
		.n_experiment_ids = n_ids,
		.include_artifacts = s.include_artifacts,
		.force = s.force,
	};
	struct export_counts c;
	int rc = export_mlruns(st, &opt, &c, &err);
	store_close(st);
	if (rc < 0) {
		fprintf(stderr, "mlflowc %s: %s\n", cmd, err.msg);
		return CLI_EXIT_REFUSED;
	}
	printf("exported to %s: %zu experiments, %zu runs, %zu params, %zu tags, %zu metric points, %zu datasets, "
	       "%zu inputs, %zu registered models, %zu versions, %zu aliases, %zu artifact files (%llu bytes)\n",
	       s.to, c.experiments, c.runs, c.params, c.tags, c.metric_points, c.datasets, c.inputs, c.models, c.versions,
	       c.aliases, c.artifact_files, (unsigned long long)c.artifact_bytes);
	return CLI_EXIT_OK;
}
