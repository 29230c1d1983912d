/*
 * store_import.h - bringing an MLflow SQL database (SQLite) into a store,
 * every entity with its identity: experiment ids, run uuids, registered
 * model names, version numbers (with the gaps MLflow left), aliases, the
 * full metric history as MLflow stored it (NaN in is_nan, +/-inf as
 * +/-DBL_MAX), datasets and inputs, MLflow 3's logged models.
 *
 * The front (store_import.c) reads MLflow's database through a read-only,
 * immutable connection (its bytes never change), checks its alembic head
 * against the migration chain it knows, reads each table by the columns
 * that exist, and hands rows to a backend through `struct
 * store_import_ops` (hung off `struct store` as `import`), which only
 * writes rows: one transaction per experiment (its runs, params, tags,
 * metrics, inputs, logged models) and one for the registry. Every write is
 * an upsert keyed by MLflow's identity, so an interrupted import run again
 * finishes without duplicates and a second import changes nothing. At the
 * end the report holds, per table, the rows found in the source and the
 * rows the destination holds for them.
 */
#ifndef MLF_STORE_IMPORT_H
#define MLF_STORE_IMPORT_H

#include "store.h"

/* The tables the report counts, in the order it prints them. */
#define STORE_IMPORT_TABLES(X)                 \
	X(EXPERIMENTS, "experiments")          \
	X(EXPERIMENT_TAGS, "experiment_tags")  \
	X(RUNS, "runs")                        \
	X(PARAMS, "params")                    \
	X(TAGS, "tags")                        \
	X(METRICS, "metrics")                  \
	X(LATEST_METRICS, "latest_metrics")    \
	X(DATASETS, "datasets")                \
	X(INPUTS, "inputs")                    \
	X(INPUT_TAGS, "input_tags")            \
	X(MODEL_LINKS, "inputs (models)")      \
	X(LOGGED_MODELS, "logged_models")      \
	X(LOGGED_MODEL_PARAMS, "logged_model_params") \
	X(LOGGED_MODEL_TAGS, "logged_model_tags") \
	X(LOGGED_MODEL_METRICS, "logged_model_metrics") \
	X(REGISTERED_MODELS, "registered_models") \
	X(REGISTERED_MODEL_TAGS, "registered_model_tags") \
	X(MODEL_VERSIONS, "model_versions")    \
	X(MODEL_VERSION_TAGS, "model_version_tags") \
	X(ALIASES, "registered_model_aliases")

#define X(id, name) STORE_IMPORT_##id,
enum store_import_table { STORE_IMPORT_TABLES(X) STORE_IMPORT_N_TABLES };
#undef X

/* Borrowed static name of a report table ("metrics"...). */
const char *store_import_table_name(enum store_import_table t);

struct store_import_report {
	char head[40];                            /* the source's alembic revision */
	bool present[STORE_IMPORT_N_TABLES];      /* the source has the table */
	int64_t source[STORE_IMPORT_N_TABLES];    /* rows in the source */
	int64_t imported[STORE_IMPORT_N_TABLES];  /* rows the destination holds for them */
	int64_t latest_differ; /* latest metrics where our rule and MLflow's table disagree */
	int64_t experiments_done, experiments_total;
	int64_t runs_done, points_done; /* for the progress line */
	int64_t locations_kept; /* locations outside --artifacts-from, left as they were */
	bool file_store;        /* the source is MLflow's file store (no alembic head) */
	int64_t skipped;        /* file-store entries left out as MLflow leaves them out (hook `skipped`) */
	int64_t duplicate_points; /* file-store metric lines repeating a point: one row, as in MLflow's SQL */
};

/* What the caller does around the rows (the CLI: artifacts, progress). */
struct store_import_hooks {
	void *ctx;
	/* The location to store for an artifact location `uri` read from the
	 * source: `uri` itself, or a rewritten one allocated in `a`. NULL hook:
	 * every location is kept. */
	const char *(*location)(void *ctx, const char *uri, struct arena *a);
	/* Copies the artifacts under the source location `uri`; runs before
	 * the rows that name it commit. 0, or -1 with `err` set. */
	int (*copy)(void *ctx, const char *uri, struct mlf_err *err);
	/* Called after each run and at the end (`final`). */
	void (*progress)(void *ctx, const struct store_import_report *r, bool final);
	/* A file-store entry MLflow itself would skip (a run directory without
	 * meta.yaml...): `path` and why, both borrowed. NULL: not told. */
	void (*skipped)(void *ctx, const char *path, const char *why);
};

/* Imports the MLflow SQLite database at `source_path` into `st` (NULL with
 * `dry_run`: only the source is read and counted). Fills `rep`. Returns 0
 * when every table's counts match, -1 with `err` set otherwise (a source
 * that is not MLflow's, an unknown alembic head, a failed write: the
 * experiment being written is rolled back, those before it stay). */
int store_import_mlflow_sqlite(struct store *st, const char *source_path, const struct store_import_hooks *h,
			       bool dry_run, struct store_import_report *rep, struct mlf_err *err);

/* Opens the source as store_import_mlflow_sqlite() would and closes it:
 * 0 when it is an MLflow database of a known revision, -1 with `err`
 * saying what it is otherwise. Nothing is written anywhere. */
int store_import_check_source(const char *source_path, struct mlf_err *err);

/* Imports MLflow's file store rooted at `root` (an `mlruns/` directory,
 * spec §8: experiments, `.trash/`, runs, metric files, datasets, inputs,
 * `models/` for the registry) into `st` (NULL with `dry_run`), through the
 * same writers and with the same guarantees as store_import_mlflow_sqlite().
 * Nothing under `root` is written. Returns 0 when every count matches, -1
 * with `err` set otherwise. */
int store_import_mlflow_mlruns(struct store *st, const char *root, const struct store_import_hooks *h, bool dry_run,
			       struct store_import_report *rep, struct mlf_err *err);

/* 0 when `root` is a directory holding an MLflow file store (an
 * `<experiment id>/meta.yaml`, or one under `.trash/`), -1 with `err`
 * saying what it is otherwise. Nothing is written anywhere. */
int store_import_check_mlruns(const char *root, struct mlf_err *err);

/* ---- for backends: the rows of an import ---------------------------------- */

struct store_import_tx; /* a backend's open import transaction */

struct store_import_run {
	const char *run_id, *name, *user_id, *status, *artifact_uri, *lifecycle_stage;
	int64_t experiment_id, start_time;
	int64_t end_time, deleted_time; /* -1: NULL */
};

struct store_import_version {
	const char *name; /* the registered model's */
	int64_t version, creation_time, last_updated_time;
	const char *description, *user_id, *current_stage, *source, *storage_location, *run_id, *run_link,
		*status, *status_message; /* NULL where MLflow kept NULL */
	const char *model_id; /* the logged model it came from (MLflow 3); NULL: none */
};

struct store_import_logged_model {
	const char *model_id, *name, *artifact_location, *lifecycle_stage, *model_type, *source_run_id,
		*status_message;
	int64_t experiment_id, creation_time, last_updated_time, status;
};

/* Each writer upserts by MLflow's identity and returns 0, or -1 with `err`
 * set. Strings are borrowed for the call. The run writers act on the run
 * most recently given to put_run. */
struct store_import_ops {
	/* Runs fn(tx, arg, err) in one transaction: committed when it returns
	 * 0, rolled back otherwise. */
	int (*transaction)(struct store *st, int (*fn)(struct store_import_tx *tx, void *arg, struct mlf_err *err),
			   void *arg, struct mlf_err *err);
	/* The experiment with its id (the id counter stays above it) and tags. */
	int (*put_experiment)(struct store_import_tx *tx, const struct store_experiment *e, struct mlf_err *err);
	int (*put_run)(struct store_import_tx *tx, const struct store_import_run *r, struct mlf_err *err);
	int (*put_param)(struct store_import_tx *tx, const char *key, const char *value, struct mlf_err *err);
	int (*put_tag)(struct store_import_tx *tx, const char *key, const char *value, struct mlf_err *err);
	/* A point as MLflow stored it: `value` is 0 when is_nan, +/-DBL_MAX for +/-inf. */
	int (*put_metric)(struct store_import_tx *tx, const char *key, double value, int64_t timestamp,
			  int64_t step, bool is_nan, struct mlf_err *err);
	/* Sets the run's latest metrics from its history by MLflow's rule
	 * (highest step, then timestamp, then value). */
	int (*finish_run)(struct store_import_tx *tx, struct mlf_err *err);
	/* The latest point of `key` of the current run; *found false when none. */
	int (*latest_metric)(struct store_import_tx *tx, const char *key, double *value, int64_t *timestamp,
			     int64_t *step, bool *is_nan, bool *found, struct mlf_err *err);
	int (*put_dataset)(struct store_import_tx *tx, const char *dataset_uuid, int64_t experiment_id,
			   const struct store_dataset *d, struct mlf_err *err);
	/* The current run used dataset `dataset_uuid` (seq orders its inputs). */
	int (*put_input)(struct store_import_tx *tx, const char *dataset_uuid, int64_t seq, const struct store_kv *tags,
			 size_t n_tags, struct mlf_err *err);
	/* The current run's link to a logged model: direction "input"/"output". */
	int (*put_model_link)(struct store_import_tx *tx, const char *direction, const char *model_id, int64_t step,
			      struct mlf_err *err);
	int (*put_logged_model)(struct store_import_tx *tx, const struct store_import_logged_model *m,
				struct mlf_err *err);
	int (*put_logged_model_param)(struct store_import_tx *tx, const char *model_id, const char *key,
				      const char *value, struct mlf_err *err);
	int (*put_logged_model_tag)(struct store_import_tx *tx, const char *model_id, const char *key,
				    const char *value, struct mlf_err *err);
	int (*put_logged_model_metric)(struct store_import_tx *tx, const char *model_id, const struct store_metric *m,
				       bool is_nan, struct mlf_err *err);
	/* Adds to counts[] the rows the destination holds for experiment `id`
	 * (experiments ... logged_model_metrics). */
	int (*count_experiment)(struct store_import_tx *tx, int64_t id, int64_t counts[STORE_IMPORT_N_TABLES],
				struct mlf_err *err);

	/* The registered model named `name` (a new key when it is new) with tags. */
	int (*put_registered_model)(struct store_import_tx *tx, const char *name, int64_t creation_time,
				    int64_t last_updated_time, const char *description, struct mlf_err *err);
	int (*put_registered_model_tag)(struct store_import_tx *tx, const char *name, const char *key,
					const char *value, struct mlf_err *err);
	int (*put_model_version)(struct store_import_tx *tx, const struct store_import_version *v, struct mlf_err *err);
	int (*put_model_version_tag)(struct store_import_tx *tx, const char *name, int64_t version, const char *key,
				     const char *value, struct mlf_err *err);
	int (*put_alias)(struct store_import_tx *tx, const char *name, const char *alias, int64_t version,
			 struct mlf_err *err);
	/* Adds to counts[] the rows the destination holds for model `name`
	 * (registered_models ... aliases). */
	int (*count_model)(struct store_import_tx *tx, const char *name, int64_t counts[STORE_IMPORT_N_TABLES],
			   struct mlf_err *err);
	/* New experiments get ids above `high` from now on (the counter only
	 * ever moves up), as the source would number them after ids it gave
	 * and later removed for good. */
	int (*reserve_experiment_ids)(struct store_import_tx *tx, int64_t high, struct mlf_err *err);
};

/* Copies the MLflow database on PostgreSQL that `uri` names, in one
 * read-only snapshot, into a new SQLite file at `sqlite_path` (which must
 * not exist) that store_import_mlflow_sqlite() then reads as the source
 * (store_import_pg.c). Sets *rows to the rows copied. The source is only
 * read. 0, or -1 with `err` set (naming the source without its password). */
int store_import_pg_snapshot(const char *uri, const char *sqlite_path, int64_t *rows, struct mlf_err *err);

/* The SQLite backend's import rows (store_sqlite_import.c). */
extern const struct store_import_ops store_sqlite_import_ops;

#endif
