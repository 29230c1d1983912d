/*
 * loadgen_pg.h - the PostgreSQL side of the benchmark (bench/loadgen.c):
 * a fresh database per run on the server a --store URI names, the CPU its
 * backends spend, and the ceiling, COPY of the log-batch rows into the
 * same tables (src/store/schema_pg.h) from one client. A bench tool, so it
 * links libpq directly (-lpq) rather than through the store's pg_lib.
 */
#ifndef MLF_BENCH_LOADGEN_PG_H
#define MLF_BENCH_LOADGEN_PG_H

#include "base/err.h"
#include <stdbool.h>
#include <stddef.h>

/* One metric point of a log-batch request (loadgen.c builds them). */
struct metric_row {
	int key; /* index into the phase's key names */
	long long timestamp, step;
	double value;
};

#define BENCH_PG_MAX_PIDS 256

struct bench_pg {
	char *admin_uri;  /* what libpq connects with to create/drop databases */
	char *server_uri; /* the --store URI naming the bench database, for the server */
	char db[64];	  /* the bench database (created here, dropped by teardown) */
	char copy_db[80]; /* the ceiling's scratch database, "" when none */
	void *admin;	  /* PGconn *, kept open for the CPU probe */
};

/* Backend CPU seconds at one moment, per backend of the bench database. */
struct bench_pg_cpu {
	int n;
	int pid[BENCH_PG_MAX_PIDS];
	double cpu_s[BENCH_PG_MAX_PIDS];
};

/* True for postgresql://, postgres:// and postgresql+<driver>:// URIs. */
bool bench_pg_is_uri(const char *uri);

/* Connects to the server `uri` names (to the database it names, or to
 * "postgres" when it names none or a "{id}" template) and creates a fresh
 * database mlflowc_bench_<pid>_<n>; pg->server_uri is `uri` with its
 * database replaced by that one (scheme, user, password and options as the
 * user wrote them). The strings in `pg` are owned by it until
 * bench_pg_teardown(). Returns 0, or -1 with `err` set. */
int bench_pg_setup(struct bench_pg *pg, const char *uri, struct mlf_err *err);

/* Drops the databases this run created (unless `keep`, then it names them
 * on stderr), closes the admin connection and frees pg's strings. Safe to
 * call twice and on a pg that setup never filled. */
void bench_pg_teardown(struct bench_pg *pg, bool keep);

/* Reads the CPU time (from /proc, so only for a server on this machine) of
 * every backend connected to the bench database into `out`; out->n is 0
 * when none can be read. */
void bench_pg_cpu_read(struct bench_pg *pg, struct bench_pg_cpu *out);
/* The backends' CPU seconds from `start` to `end` (a backend missing from
 * `start` counts from zero); -1 when no backend could be read. */
double bench_pg_cpu_delta(const struct bench_pg_cpu *start, const struct bench_pg_cpu *end);

/* The ceiling: in a scratch database with the server's schema
 * (schema_pg_migrations), one experiment, one run and `n_keys` metric keys
 * named `key_names`, inserts `batches` batches of `batch_rows` rows from
 * `rows` (batch b at rows + b * batch_rows), each batch one transaction:
 * COPY into metrics, then one latest_metrics upsert for the batch's latest
 * point of each key (MLflow's rule, as the server applies it). The clock
 * covers only the transactions. *rows_s receives rows per second; the
 * scratch database is dropped afterwards. Returns 0, or -1 with `err` set. */
int bench_pg_copy_ceiling(struct bench_pg *pg, const struct metric_row *rows, int batches, int batch_rows,
			  const char *const *key_names, int n_keys, double *rows_s, struct mlf_err *err);

#endif
