/*
 * store_import_pg.c - an MLflow database on PostgreSQL as an import source:
 * its tables are copied, in one REPEATABLE READ snapshot, into a scratch
 * SQLite file that the SQLite reader (store_import.c) then imports like any
 * MLflow SQLite database. MLflow's schema is the same on both engines (one
 * SQLAlchemy model), so every rule of the import (revisions, columns a
 * revision lacks, latest metrics, counts) is the one already tested there,
 * and the source database sees only reads.
 *
 * Only MLflow's tables that the import reads are copied, by name from the
 * list below; column names come from the catalog and are used only when
 * they are plain lower-case identifiers (else the import is refused), always
 * quoted. Values keep their kind: integers and booleans (as 0/1) become
 * SQLite integers, floating-point numbers (NaN and infinities included)
 * reals, the rest text. Rows are copied in their physical order, which is
 * the order MLflow inserted them (the reader relies on it for run inputs,
 * as it relies on rowid in SQLite), through a cursor, a few thousand rows
 * at a time.
 */
#include "store_import.h"
#include "pg_conn.h"
#include "../base/buf.h"
#include "../base/log.h"
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define SNAPSHOT_FETCH_ROWS 5000

/* MLflow's tables the import reads (store_import.c), and its revision. */
static const char *const snapshot_tables[] = {
	"alembic_version",
	"experiments",
	"experiment_tags",
	"runs",
	"tags",
	"params",
	"metrics",
	"latest_metrics",
	"datasets",
	"inputs",
	"input_tags",
	"logged_models",
	"logged_model_params",
	"logged_model_tags",
	"logged_model_metrics",
	"registered_models",
	"registered_model_tags",
	"model_versions",
	"model_version_tags",
	"registered_model_aliases",
};

enum col_kind { COL_TEXT, COL_INTEGER, COL_BOOLEAN, COL_REAL };

/* PostgreSQL's data_type names (information_schema) by kind; any other
 * type is copied as text. */
static const struct {
	const char *type;
	enum col_kind kind;
} type_kinds[] = {
	{ "smallint", COL_INTEGER },       { "integer", COL_INTEGER }, { "bigint", COL_INTEGER },
	{ "boolean", COL_BOOLEAN },        { "real", COL_REAL },       { "double precision", COL_REAL },
	{ "numeric", COL_REAL },
};

static const char *const kind_affinity[] = {
	[COL_TEXT] = "TEXT", [COL_INTEGER] = "INTEGER", [COL_BOOLEAN] = "INTEGER", [COL_REAL] = "REAL",
};

struct snapshot {
	const char *uri_shown; /* the source, password redacted */
	sqlite3 *out;
	int64_t rows;
};

static bool plain_identifier(const char *s)
{
	if (!*s || strlen(s) > 63 || (*s >= '0' && *s <= '9'))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

static int out_fail(struct snapshot *snap, const char *what, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot write the import's snapshot (%s): %s", what,
			  sqlite3_errmsg(snap->out));
}

/* Binds one text value of the source as its column's kind. */
static void bind_value(sqlite3_stmt *s, int i, const PGresult *r, int row, int col, enum col_kind kind)
{
	if (pg_col_null(r, row, col)) {
		sqlite3_bind_null(s, i);
		return;
	}
	const char *v = PQgetvalue(r, row, col);
	switch (kind) {
	case COL_INTEGER:
		sqlite3_bind_int64(s, i, pg_col_int64(r, row, col));
		break;
	case COL_BOOLEAN:
		sqlite3_bind_int(s, i, v[0] == 't');
		break;
	case COL_REAL: {
		double d = pg_col_double(r, row, col);
		if (isnan(d)) /* SQLite stores NaN as NULL; MLflow keeps is_nan beside it */
			sqlite3_bind_text(s, i, "NaN", -1, SQLITE_STATIC);
		else
			sqlite3_bind_double(s, i, d);
		break;
	}
	default:
		sqlite3_bind_text(s, i, v, PQgetlength(r, row, col), SQLITE_STATIC);
	}
}

/* Copies table `table` (which exists in the source) into the snapshot. */
static int copy_table(struct pg_conn *c, struct snapshot *snap, const char *table, struct mlf_err *err)
{
	PGresult *cols = pg_query(c, err,
				  "SELECT column_name, data_type FROM information_schema.columns "
				  "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
				  "t", table);
	if (!cols)
		return -1;
	int n = PQntuples(cols);
	enum col_kind *kinds = calloc((size_t)(n ? n : 1), sizeof(*kinds));
	struct buf create = BUF_INIT, select = BUF_INIT, insert = BUF_INIT;
	int rc = -1;
	buf_addf(&create, "CREATE TABLE \"%s\" (", table);
	buf_adds(&select, "SELECT ");
	buf_addf(&insert, "INSERT INTO \"%s\" VALUES (", table);
	for (int i = 0; i < n; i++) {
		const char *name = PQgetvalue(cols, i, 0), *type = PQgetvalue(cols, i, 1);
		if (!plain_identifier(name)) {
			mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				   "%s: table %s has a column named '%.64s', which MLflow's schema does not have",
				   snap->uri_shown, table, name);
			goto done;
		}
		kinds[i] = COL_TEXT;
		for (size_t k = 0; k < ARRAY_SIZE(type_kinds); k++)
			if (!strcmp(type, type_kinds[k].type))
				kinds[i] = type_kinds[k].kind;
		buf_addf(&create, "%s\"%s\" %s", i ? ", " : "", name, kind_affinity[kinds[i]]);
		buf_addf(&select, "%s\"%s\"", i ? ", " : "", name);
		buf_addf(&insert, "%s?%d", i ? ", " : "", i + 1);
	}
	buf_adds(&create, ")");
	buf_addf(&select, " FROM \"%s\" ORDER BY ctid", table);
	buf_adds(&insert, ")");
	if (!n) {
		rc = 0;
		goto done;
	}
	if (sqlite3_exec(snap->out, create.ptr, NULL, NULL, NULL) != SQLITE_OK) {
		out_fail(snap, table, err);
		goto done;
	}
	sqlite3_stmt *ins = NULL;
	if (sqlite3_prepare_v2(snap->out, insert.ptr, -1, &ins, NULL) != SQLITE_OK) {
		out_fail(snap, table, err);
		goto done;
	}
	struct buf declare = BUF_INIT;
	buf_addf(&declare, "DECLARE mlflowc_snapshot NO SCROLL CURSOR FOR %s", select.ptr);
	PGresult *r = pg_query(c, err, declare.ptr, "");
	buf_release(&declare);
	if (r) {
		PQclear(r);
		for (;;) {
			char fetch[64];
			snprintf(fetch, sizeof(fetch), "FETCH %d FROM mlflowc_snapshot", SNAPSHOT_FETCH_ROWS);
			if (!(r = pg_query(c, err, fetch, "")))
				break;
			int rows = PQntuples(r);
			for (int row = 0; row < rows && r; row++) {
				for (int col = 0; col < n; col++)
					bind_value(ins, col + 1, r, row, col, kinds[col]);
				if (sqlite3_step(ins) != SQLITE_DONE) {
					out_fail(snap, table, err);
					PQclear(r);
					r = NULL;
					break;
				}
				sqlite3_reset(ins);
			}
			if (!r)
				break;
			PQclear(r);
			snap->rows += rows;
			if (rows < SNAPSHOT_FETCH_ROWS) {
				if ((r = pg_query(c, err, "CLOSE mlflowc_snapshot", ""))) {
					PQclear(r);
					rc = 0;
				}
				break;
			}
		}
	}
	sqlite3_finalize(ins);
done:
	PQclear(cols);
	free(kinds);
	buf_release(&create);
	buf_release(&select);
	buf_release(&insert);
	return rc;
}

static int snapshot_tx(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct snapshot *snap = arg;
	bool mlflow = false;
	for (size_t i = 0; i < ARRAY_SIZE(snapshot_tables); i++) {
		PGresult *r = pg_query(c, err,
				       "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1",
				       "t", snapshot_tables[i]);
		if (!r)
			return -1;
		bool exists = PQntuples(r) > 0;
		PQclear(r);
		if (i == 0 && !exists)
			break; /* no alembic_version: not MLflow's */
		mlflow = true;
		if (exists && copy_table(c, snap, snapshot_tables[i], err) < 0)
			return -1;
	}
	if (!mlflow)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "%s is not an MLflow tracking database (it has no alembic_version table)",
				  snap->uri_shown);
	return 0;
}

int store_import_pg_snapshot(const char *uri, const char *sqlite_path, int64_t *rows, struct mlf_err *err)
{
	struct buf conninfo = BUF_INIT, shown = BUF_INIT;
	if (pg_uri_parse(uri, &conninfo, &shown, err) < 0) {
		buf_release(&conninfo);
		buf_release(&shown);
		return -1;
	}
	buf_release(&conninfo);
	struct snapshot snap = { .uri_shown = shown.ptr };
	int rc = -1;
	if (sqlite3_open_v2(sqlite_path, &snap.out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot create the import's snapshot '%s'", sqlite_path);
		goto done;
	}
	/* a scratch file: no journal, no syncs */
	if (sqlite3_exec(snap.out, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		out_fail(&snap, "begin", err);
		goto done;
	}
	struct pg_pool pool;
	/* no migrations, no statement table: this pool only reads MLflow's tables */
	if (pg_pool_open_raw(&pool, uri, 1, err) < 0)
		goto done;
	rc = pg_pool_tx(&pool, PG_TX_READ, snapshot_tx, &snap, err);
	pg_pool_release(&pool);
	if (rc == 0 && sqlite3_exec(snap.out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = out_fail(&snap, "commit", err);
	if (rows)
		*rows = snap.rows;
done:
	sqlite3_close(snap.out);
	buf_release(&shown);
	return rc;
}
