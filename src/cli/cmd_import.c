/*
 * cmd_import.c - `mlflowc import`: brings an MLflow SQL database (SQLite,
 * or PostgreSQL through a read-only snapshot in a scratch SQLite file that is
 * removed afterwards) or an MLflow file store (an `mlruns/` directory, or file:///...), and the
 * artifacts its server proxied, into an mlflowc store, with every id, name
 * and time as MLflow had them (src/store/store_import.h does the rows; both
 * sources go through the same writers).
 *
 * The destination flags are the server's (--backend-store-uri,
 * --artifacts-destination, same defaults). With --artifacts-from DIR (the
 * old server's --artifacts-destination) each experiment's files are copied
 * under the new destination before its rows commit: `mlflow-artifacts:/`
 * locations then stay as they are (they name paths below the destination),
 * local locations under DIR are rewritten to the same place below the
 * destination, and anything else (s3://, a directory outside DIR) is kept
 * and reported. --keep-artifact-locations copies nothing and rewrites
 * nothing. Copying is by file, into a temporary name renamed when its size
 * checks out; a file already there with the source's size is skipped, so a
 * cut import resumes where it stopped.
 */
#include "cli.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "../store/store.h"
#include "../store/pg_conn.h"
#include "../store/store_import.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct import_settings {
	const char *from;
	const char *artifacts_from;
	const char *backend_store_uri;
	const char *artifacts_destination;
	bool keep_artifact_locations;
	bool dry_run;
};

#define OPT(field) offsetof(struct import_settings, field)

static const struct cli_option import_options[] = {
	{ "from", 0, CLI_REQUIRED, OPT(from), "URI",
	  "MLflow's database (sqlite:///path/mlflow.db, or a file; postgresql://user@host/db, read in one "
	  "snapshot) or file store (a directory such as ./mlruns, or file:///path/mlruns); read only, never changed" },
	{ "artifacts-from", 0, CLI_STRING, OPT(artifacts_from), "DIR",
	  "the old server's --artifacts-destination (or local artifact root), whose files are copied" },
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "the mlflowc store to import into (default sqlite:///mlflow.db)" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "the new server's artifact directory, where files are copied (default ./mlartifacts)" },
	{ "keep-artifact-locations", 0, CLI_TRUE, OPT(keep_artifact_locations), NULL,
	  "copy no files and keep every artifact location as MLflow stored it" },
	{ "dry-run", 0, CLI_TRUE, OPT(dry_run), NULL, "read and count the source, write nothing" },
	{ 0 },
};

/* ---- artifacts ------------------------------------------------------------------ */

struct artifact_copy {
	char from[PATH_MAX]; /* absolute, no trailing '/' */
	char to[PATH_MAX];
	bool active;         /* --artifacts-from given, locations not kept */
	int64_t files, skipped, bytes, kept;
	bool tty;
	int64_t started_ns, shown_ns;
};

/* The path below `from` that a source location names, or NULL when it
 * names nothing there (another scheme, another directory). Borrowed from
 * `uri` or `scratch`. */
static const char *location_below(const struct artifact_copy *ac, const char *uri)
{
	static const char scheme[] = "mlflow-artifacts:";
	if (strncmp(uri, scheme, sizeof(scheme) - 1) == 0) {
		const char *p = uri + sizeof(scheme) - 1;
		if (strncmp(p, "//", 2) == 0) { /* mlflow-artifacts://host:port/path */
			p = strchr(p + 2, '/');
			if (!p)
				return "";
		}
		while (*p == '/')
			p++;
		return p;
	}
	const char *path = uri;
	if (strncmp(path, "file://", 7) == 0)
		path += 7;
	if (path[0] != '/')
		return NULL;
	size_t n = strlen(ac->from);
	if (strncmp(path, ac->from, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	path += n;
	while (*path == '/')
		path++;
	return path;
}

static bool has_dotdot(const char *rel)
{
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		while (*p == '/')
			p++;
	}
	return false;
}

static const char *rewrite_location(void *ctx, const char *uri, struct arena *a)
{
	struct artifact_copy *ac = ctx;
	if (!ac->active || strncmp(uri, "mlflow-artifacts:", 17) == 0)
		return uri;
	const char *rel = location_below(ac, uri);
	if (!rel) {
		if (uri[0] == '/' || strncmp(uri, "file:", 5) == 0)
			ac->kept++;
		return uri;
	}
	return arena_printf(a, "%s%s%s%s", strncmp(uri, "file://", 7) == 0 ? "file://" : "", ac->to, *rel ? "/" : "",
			    rel);
}

static int mkdirs(const char *path, struct mlf_err *err)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(tmp))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long: '%s'", path);
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char c = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0777) < 0 && errno != EEXIST)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot create '%s': %s", tmp, strerror(errno));
		tmp[i] = c;
	}
	return 0;
}

/* Copies one regular file, unless `dst` already has its size. */
static int copy_file(struct artifact_copy *ac, const char *src, const char *dst, off_t size, struct mlf_err *err)
{
	struct stat st;
	if (stat(dst, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size) {
		ac->skipped++;
		return 0;
	}
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.mlflowc-import", dst) >= (int)sizeof(tmp))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long: '%s'", dst);
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read '%s': %s", src, strerror(errno));
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (out < 0) {
		close(in);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write '%s': %s", tmp, strerror(errno));
	}
	char block[1 << 16];
	ssize_t got;
	off_t copied = 0;
	int rc = 0;
	while ((got = read(in, block, sizeof(block))) > 0) {
		if (util_write_all(out, block, (size_t)got) < 0) {
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write '%s': %s", tmp, strerror(errno));
			break;
		}
		copied += got;
	}
	if (rc == 0 && got < 0)
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read '%s': %s", src, strerror(errno));
	if (rc == 0 && (fstat(out, &st) < 0 || st.st_size != size || copied != size))
		rc = mlf_errorf(err, MLF_DATA_LOSS, "'%s' has %lld bytes, its copy %lld", src, (long long)size,
				(long long)st.st_size);
	if (close(out) < 0 && rc == 0)
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write '%s': %s", tmp, strerror(errno));
	close(in);
	if (rc == 0 && rename(tmp, dst) < 0)
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot rename '%s': %s", tmp, strerror(errno));
	if (rc < 0) {
		unlink(tmp);
		return -1;
	}
	ac->files++;
	ac->bytes += size;
	return 0;
}

/* Copies the tree at `src` (a file or a directory; symbolic links are not
 * followed) to `dst`. */
static int copy_tree(struct artifact_copy *ac, const char *src, const char *dst, struct mlf_err *err)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return errno == ENOENT ? 0 : mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read '%s': %s", src,
							 strerror(errno));
	if (S_ISREG(st.st_mode))
		return copy_file(ac, src, dst, st.st_size, err);
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (mkdirs(dst, err) < 0)
		return -1;
	DIR *d = opendir(src);
	if (!d)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot list '%s': %s", src, strerror(errno));
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		size_t n = strlen(e->d_name);
		if (n > 15 && strcmp(e->d_name + n - 15, ".mlflowc-import") == 0)
			continue;
		char s2[PATH_MAX], d2[PATH_MAX];
		if (snprintf(s2, sizeof(s2), "%s/%s", src, e->d_name) >= (int)sizeof(s2) ||
		    snprintf(d2, sizeof(d2), "%s/%s", dst, e->d_name) >= (int)sizeof(d2)) {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long below '%s'", src);
			break;
		}
		rc = copy_tree(ac, s2, d2, err);
	}
	closedir(d);
	return rc;
}

static int copy_location(void *ctx, const char *uri, struct mlf_err *err)
{
	struct artifact_copy *ac = ctx;
	if (!ac->active)
		return 0;
	const char *rel = location_below(ac, uri);
	if (!rel)
		return 0;
	if (has_dotdot(rel))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifact location '%s' leaves '%s'", uri, ac->from);
	char src[PATH_MAX], dst[PATH_MAX];
	if (snprintf(src, sizeof(src), "%s/%s", ac->from, rel) >= (int)sizeof(src) ||
	    snprintf(dst, sizeof(dst), "%s/%s", ac->to, rel) >= (int)sizeof(dst))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "artifact location too long: '%s'", uri);
	return copy_tree(ac, src, dst, err);
}

/* ---- progress -------------------------------------------------------------------- */

static double per_second(int64_t n, int64_t ns)
{
	return ns > 0 ? (double)n * 1e9 / (double)ns : 0.0;
}

static void show_progress(void *ctx, const struct store_import_report *r, bool final)
{
	struct artifact_copy *ac = ctx;
	int64_t now = util_mono_ns();
	int64_t ns = now - ac->started_ns;
	if (!ac->tty) {
		if (final)
			fprintf(stderr,
				"mlflowc import: %lld experiments, %lld runs, %lld metric points in %.2f s "
				"(%.0f points/s, %.0f runs/s); %lld files copied (%lld bytes), %lld already there\n",
				(long long)r->experiments_done, (long long)r->runs_done, (long long)r->points_done,
				(double)ns / 1e9, per_second(r->points_done, ns), per_second(r->runs_done, ns),
				(long long)ac->files, (long long)ac->bytes, (long long)ac->skipped);
		return;
	}
	if (!final && now - ac->shown_ns < 100000000)
		return;
	ac->shown_ns = now;
	fprintf(stderr, "\rexperiments %lld/%lld  runs %lld  points %lld  %.0f points/s  %.0f runs/s  files %lld   %s",
		(long long)r->experiments_done, (long long)r->experiments_total, (long long)r->runs_done,
		(long long)r->points_done, per_second(r->points_done, ns), per_second(r->runs_done, ns),
		(long long)(ac->files + ac->skipped), final ? "\n" : "");
	fflush(stderr);
}

static void print_report(const struct store_import_report *r, bool dry_run)
{
	printf("%-28s %12s %12s\n", "table", "source", dry_run ? "" : "imported");
	for (size_t t = 0; t < STORE_IMPORT_N_TABLES; t++) {
		if (!r->present[t]) {
			printf("%-28s %12s %12s\n", store_import_table_name(t), "-", "-");
			continue;
		}
		if (dry_run)
			printf("%-28s %12lld\n", store_import_table_name(t), (long long)r->source[t]);
		else
			printf("%-28s %12lld %12lld%s\n", store_import_table_name(t), (long long)r->source[t],
			       (long long)r->imported[t], r->source[t] == r->imported[t] ? "" : "  MISMATCH");
	}
}

/* The kinds of source --from names, tried in order: the first whose
 * prefix matches (and, for a bare path, whose test passes) reads it. */
enum source_kind { SOURCE_SQLITE, SOURCE_MLRUNS, SOURCE_POSTGRES };

static bool is_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const struct {
	const char *prefix;               /* removed from the URI */
	bool (*bare)(const char *path);   /* for a path without a scheme: NULL takes any */
	enum source_kind kind;
	const char *describes;
} source_kinds[] = {
	{ "sqlite:///", NULL, SOURCE_SQLITE, "MLflow schema revision" },
	{ "postgresql://", NULL, SOURCE_POSTGRES, "MLflow schema revision" }, /* the whole URI is the source */
	{ "postgresql+", NULL, SOURCE_POSTGRES, "MLflow schema revision" },
	{ "postgres://", NULL, SOURCE_POSTGRES, "MLflow schema revision" },
	{ "file://", NULL, SOURCE_MLRUNS, "MLflow file store" },
	{ "file:", NULL, SOURCE_MLRUNS, "MLflow file store" },
	{ "", is_directory, SOURCE_MLRUNS, "MLflow file store" },
	{ "", NULL, SOURCE_SQLITE, "MLflow schema revision" },
};

/* The row of source_kinds[] for `uri` and its path (borrowed from `uri`);
 * -1 for another scheme. */
static int source_of(const char *uri, size_t *row, const char **path)
{
	for (size_t i = 0; i < ARRAY_SIZE(source_kinds); i++) {
		size_t n = strlen(source_kinds[i].prefix);
		if (strncmp(uri, source_kinds[i].prefix, n) != 0)
			continue;
		if (!n && strstr(uri, "://"))
			return -1;
		if (source_kinds[i].bare && !source_kinds[i].bare(uri))
			continue;
		*row = i;
		*path = source_kinds[i].kind == SOURCE_POSTGRES ? uri : uri + n;
		return 0;
	}
	return -1;
}

/* What MLflow's FileStore skips with a warning is skipped and told. */
static void tell_skipped(void *ctx, const char *path, const char *why)
{
	(void)ctx;
	fprintf(stderr, "mlflowc import: skipped '%s': %s (MLflow's file store leaves it out too)\n", path, why);
}

static int absolute(const char *path, char out[PATH_MAX])
{
	if (path[0] == '/')
		return snprintf(out, PATH_MAX, "%s", path) < PATH_MAX ? 0 : -1;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return snprintf(out, PATH_MAX, "%s/%s", cwd, path) < PATH_MAX ? 0 : -1;
}

static void strip_slashes(char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
}

/* An MLflow database on PostgreSQL, read through a snapshot in a scratch
 * SQLite file (store_import_pg.c) that is removed afterwards. */
struct pg_source {
	char dir[PATH_MAX];
	char snapshot[PATH_MAX];
	struct buf shown; /* the URI without its password */
};

static int pg_source_snapshot(struct pg_source *pg, const char *uri)
{
	struct buf conninfo = BUF_INIT;
	struct mlf_err err;
	buf_init(&pg->shown, 0);
	if (pg_uri_parse(uri, &conninfo, &pg->shown, &err) < 0) {
		buf_release(&conninfo);
		fprintf(stderr, "mlflowc import: %s\n", err.msg);
		return -1;
	}
	buf_release(&conninfo);
	const char *tmp = getenv("TMPDIR");
	if (snprintf(pg->dir, sizeof(pg->dir), "%s/mlflowc-import-XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
		    (int)sizeof(pg->dir) ||
	    !mkdtemp(pg->dir)) {
		fprintf(stderr, "mlflowc import: cannot make a scratch directory for the snapshot: %s\n", strerror(errno));
		pg->dir[0] = '\0';
		return -1;
	}
	if (snprintf(pg->snapshot, sizeof(pg->snapshot), "%s/source.db", pg->dir) >= (int)sizeof(pg->snapshot)) {
		fprintf(stderr, "mlflowc import: TMPDIR is too long\n");
		pg->snapshot[0] = '\0';
		return -1;
	}
	fprintf(stderr, "mlflowc import: reading %s in one snapshot ...\n", pg->shown.ptr);
	int64_t rows = 0;
	uint64_t t0 = util_mono_ns();
	if (store_import_pg_snapshot(uri, pg->snapshot, &rows, &err) < 0) {
		fprintf(stderr, "mlflowc import: %s\n", err.msg);
		return -1;
	}
	double seconds = (double)(util_mono_ns() - t0) / 1e9;
	fprintf(stderr, "mlflowc import: read %lld rows in %.1f s\n", (long long)rows, seconds);
	return 0;
}

static void pg_source_release(struct pg_source *pg)
{
	if (pg->snapshot[0])
		unlink(pg->snapshot);
	if (pg->dir[0])
		rmdir(pg->dir);
	buf_release(&pg->shown);
}

static int import_from(struct import_settings *sp, size_t kind, bool mlruns, const char *source,
		       const char *source_shown);

int cmd_import(int argc, char **argv)
{
	struct import_settings s = {
		.backend_store_uri = "sqlite:///mlflow.db",
		.artifacts_destination = "./mlartifacts",
	};
	int parsed = cli_parse("import", import_options, argc, argv, &s);
	if (parsed) {
		if (parsed > 0)
			cli_usage(stdout, "import", "Import an MLflow SQL database (SQLite) or file store (mlruns/) and its artifacts.",
				  import_options);
		return parsed > 0 ? 0 : 2;
	}
	size_t kind;
	const char *source;
	if (source_of(s.from, &kind, &source) < 0 || !*source) {
		fprintf(stderr,
			"mlflowc import: --from must be sqlite:///PATH, a database file, postgresql://..., a file store "
			"directory or file:///PATH, not '%s'\n",
			s.from);
		return 2;
	}
	bool mlruns = source_kinds[kind].kind == SOURCE_MLRUNS;
	struct pg_source pg = { 0 };
	const char *source_shown = source;
	if (source_kinds[kind].kind == SOURCE_POSTGRES) {
		if (pg_source_snapshot(&pg, source) < 0) {
			pg_source_release(&pg);
			return 1;
		}
		source = pg.snapshot;
		source_shown = pg.shown.ptr;
	}
	int status = import_from(&s, kind, mlruns, source, source_shown);
	pg_source_release(&pg);
	return status;
}

/* The import proper, from `source` (a SQLite file or an mlruns directory). */
static int import_from(struct import_settings *sp, size_t kind, bool mlruns, const char *source, const char *source_shown)
{
	struct import_settings s = *sp;
	struct artifact_copy ac = { .tty = isatty(2) != 0, .started_ns = util_mono_ns() };
	if (s.artifacts_from && !s.keep_artifact_locations) {
		struct stat st;
		if (strstr(s.artifacts_destination, "://")) {
			fprintf(stderr, "mlflowc import: --artifacts-from copies to a local --artifacts-destination only\n");
			return 2;
		}
		if (stat(s.artifacts_from, &st) < 0 || !S_ISDIR(st.st_mode) || !realpath(s.artifacts_from, ac.from)) {
			fprintf(stderr, "mlflowc import: --artifacts-from '%s' is not a directory\n", s.artifacts_from);
			return 2;
		}
		if (absolute(s.artifacts_destination, ac.to) < 0) {
			fprintf(stderr, "mlflowc import: --artifacts-destination '%s' is too long\n",
				s.artifacts_destination);
			return 2;
		}
		strip_slashes(ac.to);
		ac.active = !s.dry_run;
	}

	struct mlf_err err = { 0 };
	struct store *st = NULL;
	if ((mlruns ? store_import_check_mlruns(source, &err) : store_import_check_source(source, &err)) < 0) { /* before the destination is made */
		fprintf(stderr, "mlflowc import: %s\n", err.msg);
		return 1;
	}
	if (!s.dry_run) {
		struct store_options so = { .artifact_root = "mlflow-artifacts:/", .durability = STORE_DURABILITY_NORMAL };
		if (!(st = store_open(s.backend_store_uri, &so, &err))) {
			fprintf(stderr, "mlflowc import: %s\n", err.msg);
			return 1;
		}
		if (ac.active) {
			char given[PATH_MAX];
			memcpy(given, ac.to, sizeof(given));
			if (mkdirs(given, &err) < 0 || !realpath(given, ac.to)) {
				fprintf(stderr, "mlflowc import: %s\n", err.msg[0] ? err.msg : "cannot resolve destination");
				store_close(st);
				return 1;
			}
		}
	}
	struct store_import_hooks hooks = {
		.ctx = &ac,
		.location = rewrite_location,
		.copy = copy_location,
		.progress = show_progress,
		.skipped = tell_skipped,
	};
	struct store_import_report rep;
	int rc = mlruns ? store_import_mlflow_mlruns(st, source, &hooks, s.dry_run, &rep, &err)
			: store_import_mlflow_sqlite(st, source, &hooks, s.dry_run, &rep, &err);
	store_close(st);
	if ((rep.head[0] || rep.file_store) && (rc == 0 || err.code == MLF_DATA_LOSS)) {
		printf("source %s (%s%s%s)%s\n", source_shown, source_kinds[kind].describes, rep.head[0] ? " " : "", rep.head,
		       s.dry_run ? ": dry run" : "");
		print_report(&rep, s.dry_run);
		if (rep.latest_differ)
			printf("latest metrics differing from MLflow's latest_metrics table: %lld\n",
			       (long long)rep.latest_differ);
		if (ac.kept)
			printf("artifact locations outside --artifacts-from, kept as they were: %lld\n", (long long)ac.kept);
		if (rep.duplicate_points)
			printf("metric lines repeating a point (same timestamp, step and value), kept once: %lld\n",
			       (long long)rep.duplicate_points);
		if (rep.skipped)
			printf("entries skipped as MLflow skips them (no meta.yaml; named above): %lld\n",
			       (long long)rep.skipped);
	}
	if (rc < 0) {
		fprintf(stderr, "mlflowc import: %s\n", err.msg);
		return 1;
	}
	return 0;
}
