/*
 * store_sqlite_export.c - the SQLite rows behind store_export.h: a run's
 * deletion time, a registered model's redacted versions, an experiment's
 * datasets and logged model ids, every registered model name, the highest
 * experiment id given. Read-only; each
 * call is one read transaction on the calling thread's connection. The
 * statements are prepared per call (exports are rare), not cached.
 */
#include "store_export.h"
#include "store_sqlite_int.h"

static sqlite3_stmt *export_prepare(struct sqlite_conn *c, const char *sql, struct mlf_err *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite_conn_fail(c, "export read", err);
		return NULL;
	}
	return s;
}

/* Steps `s` to its end, handing each row to `put` to fill the next item
 * of *out (`size` bytes each, grown in `a`); finalizes `s`. 0, or -1 with
 * `err` set. */
static int collect_rows(struct sqlite_conn *c, sqlite3_stmt *s, void **out, size_t *n, size_t size,
			void (*put)(sqlite3_stmt *s, void *item, struct arena *a), struct arena *a, struct mlf_err *err)
{
	size_t cap = 0;
	bool found;
	int rc = 0;
	for (;;) {
		if (sqlite_step_row(c, s, &found, err) < 0) {
			rc = -1;
			break;
		}
		if (!found)
			break;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			*out = arena_grow_array(a, *out, *n, ncap, size);
			cap = ncap;
		}
		put(s, (char *)*out + *n * size, a);
		(*n)++;
	}
	sqlite3_finalize(s);
	return rc;
}

static int sqe_run_deleted_time(struct store *st, const char *run_id, int64_t *deleted_time, bool *has,
				struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	sqlite3_stmt *s;
	bool found;
	int rc = -1;
	if (!c)
		return -1;
	if (!(s = export_prepare(c, "SELECT deleted_time FROM runs WHERE run_uuid = ?1", err)))
		return sqlite_read_end(c, -1);
	sqlite_bind_text(s, 1, run_id);
	if (sqlite_step_row(c, s, &found, err) == 0) {
		if (!found) {
			rc = store_row_fail(err, STORE_ROW_RUN_MISSING);
		} else {
			*has = sqlite3_column_type(s, 0) != SQLITE_NULL;
			*deleted_time = *has ? sqlite3_column_int64(s, 0) : 0;
			rc = 0;
		}
	}
	sqlite3_finalize(s);
	return sqlite_read_end(c, rc);
}

static void put_deleted_version(sqlite3_stmt *s, void *item, struct arena *a)
{
	(void)a;
	*(struct store_deleted_version *)item = (struct store_deleted_version){
		.version = sqlite3_column_int64(s, 0),
		.creation_time = sqlite3_column_int64(s, 1),
		.last_updated_time = sqlite3_column_int64(s, 2),
	};
}

static int sqe_deleted_versions(struct store *st, const char *name, struct store_deleted_version **out, size_t *n,
				struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	sqlite3_stmt *s;
	bool found;
	int rc;
	if (!c)
		return -1;
	if (!(s = export_prepare(c, "SELECT model_pk FROM registered_models WHERE name = ?1", err)))
		return sqlite_read_end(c, -1);
	sqlite_bind_text(s, 1, name);
	rc = sqlite_step_row(c, s, &found, err);
	int64_t pk = rc == 0 && found ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc < 0)
		return sqlite_read_end(c, -1);
	if (!found)
		return sqlite_read_end(c, store_row_fail(err, STORE_ROW_MODEL_MISSING));
	if (!(s = export_prepare(c,
				 "SELECT version, creation_time, last_updated_time FROM model_versions"
				 " WHERE model_pk = ?1 AND current_stage = 'Deleted_Internal' ORDER BY version",
				 err)))
		return sqlite_read_end(c, -1);
	sqlite3_bind_int64(s, 1, pk);
	return sqlite_read_end(c, collect_rows(c, s, (void **)out, n, sizeof(**out), put_deleted_version, a, err));
}

static void put_dataset(sqlite3_stmt *s, void *item, struct arena *a)
{
	*(struct store_export_dataset *)item = (struct store_export_dataset){
		.dataset_uuid = sqlite_col_text(s, 0, a),
		.d = {
			.name = sqlite_col_text(s, 1, a),
			.digest = sqlite_col_text(s, 2, a),
			.source_type = sqlite_col_text(s, 3, a),
			.source = sqlite_col_text(s, 4, a),
			.schema = sqlite_col_text(s, 5, a),
			.profile = sqlite_col_text(s, 6, a),
		},
	};
}

/* Every row of `sql` (?1 bound to `key` when it has one), each handed to
 * `put` to fill an item of `size` bytes of *out, in `a`. */
static int read_rows(struct store *st, const char *sql, int64_t key, void **out, size_t *n, size_t size,
		     void (*put)(sqlite3_stmt *s, void *item, struct arena *a), struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	sqlite3_stmt *s;
	if (!c)
		return -1;
	if (!(s = export_prepare(c, sql, err)))
		return sqlite_read_end(c, -1);
	if (sqlite3_bind_parameter_count(s) >= 1)
		sqlite3_bind_int64(s, 1, key);
	return sqlite_read_end(c, collect_rows(c, s, out, n, size, put, a, err));
}

static int sqe_experiment_datasets(struct store *st, int64_t experiment_id, struct store_export_dataset **out,
				   size_t *n, struct arena *a, struct mlf_err *err)
{
	return read_rows(st,
			 "SELECT dataset_uuid, name, digest, source_type, source, schema, profile FROM datasets"
			 " WHERE experiment_id = ?1 ORDER BY dataset_pk",
			 experiment_id, (void **)out, n, sizeof(**out), put_dataset, a, err);
}

static void put_text(sqlite3_stmt *s, void *item, struct arena *a)
{
	const char *v = sqlite_col_text(s, 0, a);
	*(const char **)item = v ? v : "";
}

/* The first column of every row of `sql`, as strings in `a`. */
static int read_texts(struct store *st, const char *sql, int64_t key, const char ***out, size_t *n,
		      struct arena *a, struct mlf_err *err)
{
	return read_rows(st, sql, key, (void **)out, n, sizeof(**out), put_text, a, err);
}

static int sqe_logged_model_ids(struct store *st, int64_t experiment_id, const char ***out, size_t *n,
				struct arena *a, struct mlf_err *err)
{
	return read_texts(st,
			  "SELECT model_id FROM logged_models WHERE experiment_id = ?1 ORDER BY creation_time, model_id",
			  experiment_id, out, n, a, err);
}

static int sqe_registered_model_names(struct store *st, const char ***out, size_t *n, struct arena *a,
				      struct mlf_err *err)
{
	return read_texts(st, "SELECT name FROM registered_models ORDER BY name", 0, out, n, a, err);
}

static int sqe_experiment_id_high(struct store *st, int64_t *high, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	sqlite3_stmt *s;
	bool found;
	if (!c)
		return -1;
	if (!(s = export_prepare(c,
				 "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'experiments'), 0),"
				 " coalesce((SELECT max(experiment_id) FROM experiments), 0))",
				 err)))
		return sqlite_read_end(c, -1);
	int rc = sqlite_step_row(c, s, &found, err);
	*high = rc == 0 && found ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return sqlite_read_end(c, rc);
}

const struct store_export_ops store_sqlite_export_ops = {
	.run_deleted_time = sqe_run_deleted_time,
	.deleted_versions = sqe_deleted_versions,
	.experiment_datasets = sqe_experiment_datasets,
	.logged_model_ids = sqe_logged_model_ids,
	.registered_model_names = sqe_registered_model_names,
	.experiment_id_high = sqe_experiment_id_high,
};
