/*
 * cmd_db.c - `mlflowc db upgrade` and `mlflowc db check`: the store's
 * schema without serving. `upgrade` applies the migrations a store lacks
 * (what `mlflowc server` would do at start, under the same lock, so it is
 * safe beside running replicas); `check` changes nothing: it connects,
 * says which backend and schema version the store is at against the
 * newest this program knows, and exits 0 only when the store is reachable
 * and up to date (1 when it is not, 2 for a usage error). Both name the
 * store with its password redacted.
 */
#include "cli.h"
#include "../store/store.h"
#include "../store/pg_conn.h"
#include <string.h>

struct db_settings {
	const char *backend_store_uri;
};

#define OPT(field) offsetof(struct db_settings, field)
static const struct cli_option db_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "the store (default sqlite:///mlflow.db; postgresql://user@host:port/db, password from PGPASSWORD or "
	  "~/.pgpass)" },
	{ 0 },
};

/* The URI to print: a PostgreSQL one without its password. */
static void shown_uri(const char *uri, struct buf *out)
{
	struct buf conninfo = BUF_INIT;
	struct mlf_err ignored;
	if (pg_uri_parse(uri, &conninfo, out, &ignored) < 0) {
		buf_reset(out);
		buf_adds(out, uri);
	}
	buf_release(&conninfo);
}

static int parse(const char *cmd, const char *summary, int argc, char **argv, struct db_settings *s)
{
	s->backend_store_uri = "sqlite:///mlflow.db";
	int parsed = cli_parse(cmd, db_options, argc, argv, s);
	if (parsed > 0)
		cli_usage(stdout, cmd, summary, db_options);
	return parsed > 0 ? 0 : parsed < 0 ? 2 : -1;
}

static int db_check(int argc, char **argv)
{
	struct db_settings s;
	int rc = parse("db check", "Check the store's schema and connectivity; changes nothing.", argc, argv, &s);
	if (rc >= 0)
		return rc;
	struct buf shown = BUF_INIT;
	shown_uri(s.backend_store_uri, &shown);
	struct store_schema_info info;
	struct mlf_err err;
	int status = 0;
	if (store_inspect(s.backend_store_uri, &info, &err) < 0) {
		fprintf(stderr, "mlflowc db check: %s\n", err.msg);
		status = 1;
	} else {
		printf("store: %s (%s)\nschema version: %lld; this mlflowc knows %lld\n", shown.ptr, info.backend,
		       (long long)info.version, (long long)info.known);
		if (info.version == info.known) {
			printf("status: up to date\n");
		} else if (info.version > info.known) {
			printf("status: newer than this mlflowc; run a newer mlflowc\n");
			status = 1;
		} else {
			printf("status: %lld migration(s) to apply: mlflowc db upgrade --backend-store-uri %s\n",
			       (long long)(info.known - info.version), shown.ptr);
			status = 1;
		}
	}
	buf_release(&shown);
	return status;
}

static int db_upgrade(int argc, char **argv)
{
	struct db_settings s;
	int rc = parse("db upgrade", "Apply the schema migrations the store lacks, without serving.", argc, argv, &s);
	if (rc >= 0)
		return rc;
	struct buf shown = BUF_INIT;
	shown_uri(s.backend_store_uri, &shown);
	struct store_schema_info before, after;
	struct mlf_err err;
	struct store_options so = { .artifact_root = "./mlruns", .durability = STORE_DURABILITY_FULL, .pool_size = 1 };
	int status = 1;
	if (store_inspect(s.backend_store_uri, &before, &err) == 0) {
		struct store *st = store_open(s.backend_store_uri, &so, &err);
		if (st) {
			store_close(st);
			if (store_inspect(s.backend_store_uri, &after, &err) == 0) {
				printf("%s: schema version %lld -> %lld (%s)\n", shown.ptr, (long long)before.version,
				       (long long)after.version,
				       before.version == after.version ? "already up to date" : "upgraded");
				status = 0;
			}
		}
	}
	if (status)
		fprintf(stderr, "mlflowc db upgrade: %s\n", err.msg);
	buf_release(&shown);
	return status;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} db_commands[] = {
	{ "upgrade", db_upgrade, "apply the schema migrations the store lacks, without serving" },
	{ "check", db_check, "say the store's schema version and whether it is up to date; changes nothing" },
};

int cmd_db(int argc, char **argv)
{
	if (argc >= 1)
		for (size_t i = 0; i < ARRAY_SIZE(db_commands); i++)
			if (!strcmp(argv[0], db_commands[i].name))
				return db_commands[i].fn(argc - 1, argv + 1);
	FILE *f = argc >= 1 && !strcmp(argv[0], "--help") ? stdout : stderr;
	fprintf(f, "usage: mlflowc db <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(db_commands); i++)
		fprintf(f, "  %-8s %s\n", db_commands[i].name, db_commands[i].summary);
	return f == stdout ? 0 : 2;
}
