/*
 * store_fixture.h - the one way unit tests open a store, so that every
 * store test runs against any backend by changing one variable.
 *
 * MLF_TEST_STORE_URI is a backend-store URI template; unset or empty it is
 * "sqlite:///{dir}/store.db". Each store_fixture_open() makes a fresh
 * temporary directory and replaces "{dir}" with it and "{id}" with a name
 * unique to this store (letters, digits and '_', e.g. for a database a
 * test server creates), so every store starts empty. store_fixture_close()
 * closes the store and removes the directory. docs/architecture.md
 * ("Testing a store backend") describes it.
 *
 * A PostgreSQL template (postgresql://, postgres:// or postgresql+DRIVER://,
 * e.g. "postgresql://postgres@127.0.0.1:PORT/{id}" as
 * scripts/pg_test_cluster.sh prints it) names a database per store: the
 * fixture creates it with psql on the admin URI in MLF_TEST_PG_ADMIN before
 * opening the store (dropping first one of that name a crashed run left),
 * and drops it when the store is closed.
 *
 * Header-only (static functions) because every tests/unit/test_*.c is its
 * own program.
 */
#ifndef MLF_TEST_STORE_FIXTURE_H
#define MLF_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "store/store.h"

#define STORE_FIXTURE_DEFAULT_URI "sqlite:///{dir}/store.db"

struct store_fixture {
	char dir[64];  /* the fresh directory; "" before open */
	char uri[1024]; /* the URI the store was opened with */
	char pg_database[64]; /* the PostgreSQL database the fixture created; "" when none */
};

/* Appends `tmpl` to `out` with {dir} and {id} filled in. */
static inline void store_fixture_expand(const char *tmpl, const char *dir, const char *id, struct buf *out)
{
	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "{dir}", 5)) {
			buf_adds(out, dir);
			p += 5;
		} else if (!strncmp(p, "{id}", 4)) {
			buf_adds(out, id);
			p += 4;
		} else {
			buf_addch(out, *p++);
		}
	}
}

/* The URI template in use: MLF_TEST_STORE_URI or SQLite's default.
 * Borrowed (the environment or a static string). */
static inline const char *store_fixture_template(void)
{
	const char *t = getenv("MLF_TEST_STORE_URI");
	return t && *t ? t : STORE_FIXTURE_DEFAULT_URI;
}

/* True when `uri` is a PostgreSQL store URI as MLflow users write it. */
static inline int store_fixture_is_pg(const char *uri)
{
	return !strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11) ||
	       !strncmp(uri, "postgresql+", 11);
}

/* Runs one SQL statement through psql on the admin database named by
 * MLF_TEST_PG_ADMIN. `sql` holds no single quote (the fixture's own
 * statements on its own identifiers). 0, or -1 with `err` set. */
static inline int store_fixture_psql(const char *sql, struct mlf_err *err)
{
	const char *admin = getenv("MLF_TEST_PG_ADMIN");
	if (!admin || !*admin)
		return mlf_errorf(err, MLF_INTERNAL_ERROR,
				  "a PostgreSQL MLF_TEST_STORE_URI needs MLF_TEST_PG_ADMIN "
				  "(scripts/pg_test_cluster.sh start prints both)");
	if (strchr(admin, '\'') || strchr(sql, '\''))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "store_fixture: a quote in MLF_TEST_PG_ADMIN or the SQL");
	struct buf cmd = BUF_INIT;
	buf_adds(&cmd, "PGCONNECT_TIMEOUT=10 PGOPTIONS=\"-c client_min_messages=warning\" psql -X -q -v ON_ERROR_STOP=1 -d '");
	buf_adds(&cmd, admin);
	buf_adds(&cmd, "' -c '");
	buf_adds(&cmd, sql);
	buf_adds(&cmd, "' >/dev/null");
	int rc = system(cmd.ptr);
	buf_release(&cmd);
	if (rc != 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "store_fixture: psql failed (status %d) on: %s", rc, sql);
	return 0;
}

/* The database a PostgreSQL URI names (its path up to '?'), copied into
 * `name` (`size` bytes); -1 with `err` set when it is not 1..size-1
 * letters, digits and '_'. */
static inline int store_fixture_pg_database(const char *uri, char *name, size_t size, struct mlf_err *err)
{
	const char *p = strstr(uri, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	size_t n = 0;
	if (p) {
		p++;
		while (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
		       (p[n] >= '0' && p[n] <= '9'))
			n++;
	}
	if (!p || n == 0 || n >= size || (p[n] && p[n] != '?'))
		return mlf_errorf(err, MLF_INTERNAL_ERROR,
				  "store_fixture: the database of '%s' is not letters, digits and '_'", uri);
	memcpy(name, p, n);
	name[n] = '\0';
	return 0;
}

/* Opens a fresh, empty store of the backend under test whose default
 * artifact root is `artifact_root`. Returns the store (the caller closes
 * it with store_fixture_close()) or NULL with `err` set. */
static inline struct store *store_fixture_open(struct store_fixture *f, const char *artifact_root, struct mlf_err *err)
{
	static unsigned serial;
	char id[64];
	snprintf(f->dir, sizeof(f->dir), "/tmp/mlflowc-test-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		f->dir[0] = '\0';
		mlf_errorf(err, MLF_INTERNAL_ERROR, "mkdtemp failed");
		return NULL;
	}
	snprintf(id, sizeof(id), "mlflowc_test_%ld_%u", (long)getpid(), serial++);
	struct buf uri = BUF_INIT;
	store_fixture_expand(store_fixture_template(), f->dir, id, &uri);
	snprintf(f->uri, sizeof(f->uri), "%s", uri.ptr ? uri.ptr : "");
	buf_release(&uri);
	f->pg_database[0] = '\0';
	if (store_fixture_is_pg(f->uri)) {
		char name[sizeof(f->pg_database)], sql[160];
		if (store_fixture_pg_database(f->uri, name, sizeof(name), err) < 0)
			return NULL;
		/* a fresh store: a database of that name left by a crashed run goes first */
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
		if (store_fixture_psql(sql, err) < 0)
			return NULL;
		snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
		if (store_fixture_psql(sql, err) < 0)
			return NULL;
		memcpy(f->pg_database, name, sizeof(name));
	}
	return store_open(f->uri, &(struct store_options){ .artifact_root = artifact_root }, err);
}

/* The file of the store when the backend under test is SQLite, for tests
 * of SQLite itself (they skip otherwise); NULL for other backends.
 * Borrowed from `f`. */
static inline const char *store_fixture_sqlite_path(const struct store_fixture *f)
{
	static const char scheme[] = "sqlite:///";
	if (strncmp(f->uri, scheme, sizeof(scheme) - 1) != 0)
		return NULL;
	return f->uri + sizeof(scheme) - 1;
}

/* Closes `st` (NULL is fine), drops the PostgreSQL database the fixture
 * made (if any) and removes the fixture's directory. */
static inline void store_fixture_close(struct store_fixture *f, struct store *st)
{
	store_close(st);
	if (f->pg_database[0]) {
		char sql[160];
		struct mlf_err e;
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", f->pg_database);
		if (store_fixture_psql(sql, &e) < 0)
			fprintf(stderr, "%s\n", e.msg);
		f->pg_database[0] = '\0';
	}
	if (f->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "store_fixture: could not remove %s\n", f->dir);
		f->dir[0] = '\0';
	}
}

/* Defines what a store test file shares: the fixture `fx`, the store `st`
 * and the error `err`, and cmocka group setup/teardown functions
 * store_suite_setup / store_suite_teardown that open a fresh store whose
 * artifact root is `artifact_root` and close it. */
#define STORE_FIXTURE_SUITE(artifact_root)                                   \
	static struct store_fixture fx;                                      \
	static struct store *st;                                             \
	static struct mlf_err err;                                           \
	static int store_suite_setup(void **state)                          \
	{                                                                    \
		(void)state;                                                 \
		st = store_fixture_open(&fx, artifact_root, &err);           \
		assert_non_null(st);                                         \
		return 0;                                                    \
	}                                                                    \
	static int store_suite_teardown(void **state)                       \
	{                                                                    \
		(void)state;                                                 \
		store_fixture_close(&fx, st);                                \
		return 0;                                                    \
	}

#endif
