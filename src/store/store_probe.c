/*
 * store_probe.c - tells what a backend-store path holds without changing
 * it; see store_probe.h. Each kind of file is one row of a recogniser
 * table, tried in order: the first row that matches decides, and a row
 * with a refusal text stops the start with that text.
 */
#include "store_probe.h"
#include "../base/buf.h"
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQLITE_MAGIC "SQLite format 3"  /* plus its NUL: the first 16 bytes */
#define PROBE_NEW_FILE "e.g. --backend-store-uri sqlite:///mlflowc.db"
/* What to run with a file store instead (store.c's file: URI refusal too). */
#define PROBE_IMPORT_MLRUNS                                                                                   \
	"; to bring its data over run: mlflowc import --from <this directory> --artifacts-from <its artifacts " \
	"directory> --backend-store-uri sqlite:///mlflowc.db --artifacts-destination ./mlartifacts"

/* What has been learnt about the path so far; filled lazily by the rows. */
struct probe {
	const char *path;
	int stat_errno; /* 0 when `st` is valid */
	struct stat st;
	bool header_read;
	int header_errno;
	unsigned char header[16];
	size_t header_len;
	bool schema_read;
	char schema_error[160]; /* non-empty when the read-only connection failed */
	int user_version;
	size_t n_objects;         /* tables, indexes, views, triggers not named sqlite_* */
	bool has_alembic_version; /* MLflow's migration marker */
	bool has_metric_keys;     /* a table migration 1 of ours creates */
	char first_object[128]; /* "table 'name'", tables first */
	char detail[256]; /* set by the matching row, shown in parentheses */
};

static void probe_read_header(struct probe *p)
{
	if (p->header_read)
		return;
	p->header_read = true;
	FILE *f = fopen(p->path, "rb");
	if (!f) {
		p->header_errno = errno ? errno : EIO;
		return;
	}
	p->header_len = fread(p->header, 1, sizeof(p->header), f);
	if (ferror(f))
		p->header_errno = EIO;
	fclose(f);
}

/* The SQLite URI that opens `path` read-only. With no `-wal` file beside it
 * the file is complete on its own and is opened immutable: no lock, and no
 * `-shm`/`-wal` is made even for a WAL-mode file. With one, it is opened as
 * any reader would (the WAL's commits count; the `-shm` may be made).
 * The caller releases `uri`. */
void store_probe_readonly_uri(const char *path, struct buf *uri)
{
	struct buf wal;
	struct stat st;
	buf_init(&wal, strlen(path) + 8);
	buf_adds(&wal, path);
	buf_adds(&wal, "-wal");
	bool has_wal = stat(wal.ptr, &st) == 0;
	buf_release(&wal);
	buf_init(uri, strlen(path) + 32);
	buf_adds(uri, path[0] == '/' ? "file://" : "file:");
	for (const char *c = path; *c; c++) {
		if (*c == '%' || *c == '?' || *c == '#')
			buf_addf(uri, "%%%02X", (unsigned char)*c);
		else
			buf_addch(uri, *c);
	}
	buf_adds(uri, has_wal ? "?mode=ro" : "?mode=ro&immutable=1");
}

int store_probe_open_foreign(const char *path, sqlite3 **db)
{
	struct buf uri;
	sqlite3_stmt *s = NULL;
	store_probe_readonly_uri(path, &uri);
	int rc = sqlite3_open_v2(uri.ptr, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	buf_release(&uri);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(*db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
	sqlite3_finalize(s);
	return rc;
}

/* Reads the schema through a read-only connection: no journal-mode change,
 * no migration, and no file created beside it (store_probe_readonly_uri). */
static void probe_read_schema(struct probe *p)
{
	if (p->schema_read)
		return;
	p->schema_read = true;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct buf uri;
	store_probe_readonly_uri(p->path, &uri);
	int rc = sqlite3_open_v2(uri.ptr, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	buf_release(&uri);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		p->user_version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
					"ORDER BY type = 'table' DESC, name",
					-1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		rc = SQLITE_OK;
		if (!type || !name)
			continue;
		if (p->n_objects++ == 0)
			snprintf(p->first_object, sizeof(p->first_object), "%s '%s'", type, name);
		p->has_alembic_version |= strcmp(name, "alembic_version") == 0;
		p->has_metric_keys |= strcmp(name, "metric_keys") == 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		snprintf(p->schema_error, sizeof(p->schema_error), "%s",
			 db ? sqlite3_errmsg(db) : "out of memory");
	else if (p->has_alembic_version &&
		 sqlite3_prepare_v2(db, "SELECT version_num FROM alembic_version LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(p->detail, sizeof(p->detail), "alembic revision %s",
				 (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* ---- the recognisers, in the order the table tries them ---------------- */

static bool is_missing(struct probe *p)
{
	return p->stat_errno == ENOENT;
}

static bool is_directory(struct probe *p)
{
	return p->stat_errno == 0 && S_ISDIR(p->st.st_mode);
}

static bool is_special(struct probe *p)
{
	return p->stat_errno == 0 && !S_ISREG(p->st.st_mode);
}

static bool cannot_read_file(struct probe *p)
{
	if (p->stat_errno) {
		snprintf(p->detail, sizeof(p->detail), "%s", strerror(p->stat_errno));
		return true;
	}
	probe_read_header(p);
	if (p->header_errno)
		snprintf(p->detail, sizeof(p->detail), "%s", strerror(p->header_errno));
	return p->header_errno != 0;
}

static bool is_zero_bytes(struct probe *p)
{
	return p->st.st_size == 0;
}

static bool lacks_sqlite_header(struct probe *p)
{
	return p->header_len < sizeof(p->header) || memcmp(p->header, SQLITE_MAGIC, sizeof(p->header)) != 0;
}

static bool cannot_read_schema(struct probe *p)
{
	probe_read_schema(p);
	if (p->schema_error[0])
		snprintf(p->detail, sizeof(p->detail), "%s", p->schema_error);
	return p->schema_error[0] != 0;
}

static bool has_alembic_version(struct probe *p)
{
	return p->has_alembic_version;
}

/* Our migrations set user_version (schema_sqlite.h); migration 1 creates
 * metric_keys, a table MLflow's schema does not have. */
static bool has_mlflowc_schema(struct probe *p)
{
	return p->user_version >= 1 && p->has_metric_keys;
}

static bool has_no_tables(struct probe *p)
{
	return p->n_objects == 0 && p->user_version == 0;
}

static bool has_other_objects(struct probe *p)
{
	snprintf(p->detail, sizeof(p->detail), "e.g. %s", p->first_object);
	return true;
}

static const struct {
	enum store_probe_kind kind;
	bool (*matches)(struct probe *p);
	const char *what;   /* "'path' is <what>"; NULL: the store may open it */
	const char *advice; /* what to do instead */
} recognisers[] = {
	{ STORE_PROBE_MISSING, is_missing, NULL, NULL },
	{ STORE_PROBE_DIRECTORY, is_directory, "a directory, not a database file",
	  "MLflow's file store is not supported as a backend store; use a SQLite file, " PROBE_NEW_FILE
	  PROBE_IMPORT_MLRUNS },
	{ STORE_PROBE_SPECIAL, is_special, "not a regular file",
	  "mlflowc left it unchanged; use a new database file, " PROBE_NEW_FILE },
	{ STORE_PROBE_UNREADABLE, cannot_read_file, "a file mlflowc cannot read",
	  "mlflowc left it unchanged; fix its permissions or use a new database file, " PROBE_NEW_FILE },
	{ STORE_PROBE_EMPTY, is_zero_bytes, NULL, NULL },
	{ STORE_PROBE_NOT_SQLITE, lacks_sqlite_header, "not a SQLite database",
	  "mlflowc left it unchanged; use a new database file, " PROBE_NEW_FILE },
	{ STORE_PROBE_UNREADABLE, cannot_read_schema, "a SQLite file whose schema cannot be read",
	  "mlflowc left it unchanged; use a new database file, " PROBE_NEW_FILE },
	{ STORE_PROBE_MLFLOW, has_alembic_version, "a database written by MLflow",
	  "mlflowc does not open MLflow's databases in place and left it unchanged; copy its data into a new "
	  "database with: mlflowc import --from sqlite:///<this file> --artifacts-from <its artifacts directory> "
	  "--backend-store-uri sqlite:///mlflowc.db --artifacts-destination ./mlartifacts" },
	{ STORE_PROBE_MLFLOWC, has_mlflowc_schema, NULL, NULL },
	{ STORE_PROBE_EMPTY, has_no_tables, NULL, NULL },
	{ STORE_PROBE_FOREIGN, has_other_objects, "a SQLite database with tables mlflowc did not create",
	  "mlflowc left it unchanged; use a new database file, " PROBE_NEW_FILE },
};

int store_probe_sqlite(const char *path, enum store_probe_kind *kind, struct mlf_err *err)
{
	return store_probe_sqlite_schema(path, kind, NULL, err);
}

int store_probe_sqlite_schema(const char *path, enum store_probe_kind *kind, int64_t *version, struct mlf_err *err)
{
	struct probe p = { .path = path };
	if (stat(path, &p.st) < 0)
		p.stat_errno = errno ? errno : EIO;
	for (size_t i = 0; i < ARRAY_SIZE(recognisers); i++) {
		if (!recognisers[i].matches(&p))
			continue;
		*kind = recognisers[i].kind;
		if (version)
			*version = p.user_version;
		if (!recognisers[i].what)
			return 0;
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is %s%s%s%s: %s", path, recognisers[i].what,
				  p.detail[0] ? " (" : "", p.detail, p.detail[0] ? ")" : "", recognisers[i].advice);
	}
	*kind = STORE_PROBE_FOREIGN; /* not reached: the last row always matches */
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not a database mlflowc knows", path);
}

/* ---- bare paths that look like MLflow's file store ---------------------- */

/* `path` without trailing slashes: its last component starts at *base and
 * runs for the returned length; the directory part is path[0, *dir_len). */
static size_t split_path(const char *path, size_t *base, size_t *dir_len)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t b = n;
	while (b > 0 && path[b - 1] != '/')
		b--;
	*base = b;
	*dir_len = b;
	return n - b;
}

static bool named_mlruns(const char *path)
{
	size_t base, dir_len, len = split_path(path, &base, &dir_len);
	return len == 6 && memcmp(path + base, "mlruns", 6) == 0;
}

static bool existing_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory the path is in holds meta.yaml (an experiment or run of a
 * file store) or 0/meta.yaml (the store's root, with experiment 0). */
static bool inside_file_store(const char *path)
{
	static const char *const markers[] = { "meta.yaml", "0/meta.yaml" };
	size_t base, dir_len;
	split_path(path, &base, &dir_len);
	for (size_t i = 0; i < ARRAY_SIZE(markers); i++) {
		char marker[4096];
		int n = dir_len ? snprintf(marker, sizeof(marker), "%.*s%s", (int)dir_len, path, markers[i])
				: snprintf(marker, sizeof(marker), "%s", markers[i]);
		if (n > 0 && (size_t)n < sizeof(marker) && access(marker, F_OK) == 0)
			return true;
	}
	return false;
}

static const struct {
	bool (*matches)(const char *path);
	const char *reason;
} file_store_signs[] = {
	{ named_mlruns, "it is named mlruns" },
	{ existing_directory, "it is a directory" },
	{ inside_file_store, "its directory holds meta.yaml" },
};

int store_probe_bare_path(const char *path, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_store_signs); i++)
		if (file_store_signs[i].matches(path))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					  "'%s' looks like MLflow's file store (%s): MLflow's file store is not "
					  "supported as a backend store and mlflowc left it unchanged; use a SQLite "
					  "file, " PROBE_NEW_FILE PROBE_IMPORT_MLRUNS,
					  path, file_store_signs[i].reason);
	return 0;
}
