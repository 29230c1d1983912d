/*
 * test_store_fixture.c - the store fixture's PostgreSQL side
 * (store_fixture.h): which URIs it takes for PostgreSQL, which database
 * name it reads from one, and, against a real cluster (MLF_TEST_PG_ADMIN
 * and a PostgreSQL MLF_TEST_STORE_URI, as scripts/pg_test_cluster.sh
 * prints them; skipped otherwise), that opening a store creates its
 * database fresh (a leftover of the same name is replaced) and closing it
 * drops it. The database checks go through psql, as the fixture does, and
 * hold whether or not this build has a PostgreSQL backend: the store's
 * open may fail, the database must exist all the same.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_fixture.h"

static void test_postgresql_uris_are_recognised(void **state)
{
	(void)state;
	assert_true(store_fixture_is_pg("postgresql://postgres@127.0.0.1:5432/{id}"));
	assert_true(store_fixture_is_pg("postgres://u:p@db/mlflow"));
	assert_true(store_fixture_is_pg("postgresql+psycopg2://u@db/mlflow?sslmode=require"));
	assert_false(store_fixture_is_pg("sqlite:///{dir}/store.db"));
	assert_false(store_fixture_is_pg("postgresqlx://db/mlflow"));
	assert_false(store_fixture_is_pg("postgres:/db"));
	assert_false(store_fixture_is_pg("/tmp/postgresql://x"));
}

static void test_database_name_is_the_path(void **state)
{
	(void)state;
	char name[64];
	struct mlf_err e;
	assert_int_equal(store_fixture_pg_database("postgresql://postgres@127.0.0.1:5/mlflowc_test_1_2", name,
						   sizeof(name), &e), 0);
	assert_string_equal(name, "mlflowc_test_1_2");
	assert_int_equal(store_fixture_pg_database("postgres://h/Db9?sslmode=disable&x=1", name, sizeof(name), &e), 0);
	assert_string_equal(name, "Db9");
	static const char *const refused[] = {
		"postgresql://127.0.0.1:5",        /* no database */
		"postgresql://127.0.0.1:5/",       /* an empty one */
		"postgresql://127.0.0.1:5/a-b",    /* not an identifier the fixture quotes safely */
		"postgresql://127.0.0.1:5/a\"b",
		"postgresql://127.0.0.1:5/a'b",
		"postgresql://127.0.0.1:5/x/y",
		"postgresql://127.0.0.1:5/abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", /* 64 */
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(store_fixture_pg_database(refused[i], name, sizeof(name), &e), -1);
		assert_non_null(strstr(e.msg, "not letters, digits and '_'"));
	}
}

/* What psql prints for `sql` (no single quote in it; $$...$$ quotes
 * strings) on the database `uri`, first line, trailing newline removed. */
static void psql_answer(const char *uri, const char *sql, char *out, size_t size)
{
	char cmd[1536];
	snprintf(cmd, sizeof(cmd), "psql -X -A -t -q -d '%s' -c '%s'", uri, sql);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, (int)size, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(pclose(p), 0);
}

static int database_exists(const char *name)
{
	char sql[160], answer[32];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_database WHERE datname = $$%s$$", name);
	psql_answer(getenv("MLF_TEST_PG_ADMIN"), sql, answer, sizeof(answer));
	return strcmp(answer, "1") == 0;
}

/* Skips unless a cluster is named for the store tests. */
static void need_cluster(void)
{
	const char *admin = getenv("MLF_TEST_PG_ADMIN");
	if (!admin || !*admin || !store_fixture_is_pg(store_fixture_template()))
		skip();
}

static void test_open_creates_and_close_drops_the_database(void **state)
{
	(void)state;
	need_cluster();
	struct store_fixture f;
	struct mlf_err e;
	struct store *s = store_fixture_open(&f, "/tmp/artifacts", &e);
	assert_true(f.pg_database[0] != '\0');
	assert_non_null(strstr(f.uri, f.pg_database));
	assert_true(database_exists(f.pg_database));
	char name[sizeof(f.pg_database)];
	memcpy(name, f.pg_database, sizeof(name));
	store_fixture_close(&f, s);
	assert_false(database_exists(name));
	assert_string_equal(f.pg_database, "");
}

static void test_a_leftover_database_of_the_same_name_is_replaced(void **state)
{
	(void)state;
	need_cluster();
	/* the fixture's next name: its serial counts the opens of this program, one before this */
	char name[64], sql[256];
	snprintf(name, sizeof(name), "mlflowc_test_%ld_%u", (long)getpid(), 1u);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
	struct mlf_err e;
	assert_int_equal(store_fixture_psql(sql, &e), 0);
	assert_true(database_exists(name));

	struct store_fixture f;
	struct store *s = store_fixture_open(&f, "/tmp/artifacts", &e);
	assert_string_equal(f.pg_database, name);
	assert_true(database_exists(name));
	store_fixture_close(&f, s);
	assert_false(database_exists(name));
}

static void test_open_without_admin_uri_says_what_is_missing(void **state)
{
	(void)state;
	need_cluster();
	char *admin = strdup(getenv("MLF_TEST_PG_ADMIN"));
	assert_non_null(admin);
	unsetenv("MLF_TEST_PG_ADMIN");
	struct store_fixture f;
	struct mlf_err e;
	assert_null(store_fixture_open(&f, "/tmp/artifacts", &e));
	assert_non_null(strstr(e.msg, "needs MLF_TEST_PG_ADMIN"));
	store_fixture_close(&f, NULL);
	setenv("MLF_TEST_PG_ADMIN", admin, 1);
	free(admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgresql_uris_are_recognised),
		cmocka_unit_test(test_database_name_is_the_path),
		cmocka_unit_test(test_open_creates_and_close_drops_the_database),
		cmocka_unit_test(test_a_leftover_database_of_the_same_name_is_replaced),
		cmocka_unit_test(test_open_without_admin_uri_says_what_is_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
