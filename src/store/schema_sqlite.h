/*
 * schema_sqlite.h - the SQLite schema of mlflowc, as ordered migrations.
 *
 * This schema is ours, not MLflow's (docs/storage.md explains each choice):
 * runs get an integer surrogate key (`run_pk`) so the hot tables are keyed by
 * small integers; metric keys are interned in `metric_keys`; the metric
 * history is a WITHOUT ROWID table clustered by (run, key, timestamp, step,
 * value, is_nan), which is both MLflow's de-duplication rule and the order
 * get-history returns. Migration N is applied when PRAGMA user_version < N,
 * each in its own transaction; rows are only appended, never edited.
 */
#ifndef MLF_SCHEMA_SQLITE_H
#define MLF_SCHEMA_SQLITE_H

static const char *const schema_sqlite_migrations[] = {
	/* 1: tracking core */
	"CREATE TABLE experiments ("
	"  experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE,"
	"  artifact_location TEXT NOT NULL,"
	"  lifecycle_stage TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active','deleted')),"
	"  creation_time INTEGER,"
	"  last_update_time INTEGER);"
	"CREATE TABLE experiment_tags ("
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (experiment_id, key)) WITHOUT ROWID;"
	"CREATE TABLE runs ("
	"  run_pk INTEGER PRIMARY KEY,"
	"  run_uuid TEXT NOT NULL UNIQUE,"
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),"
	"  name TEXT NOT NULL DEFAULT '',"
	"  user_id TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL CHECK (status IN ('RUNNING','SCHEDULED','FINISHED','FAILED','KILLED')),"
	"  start_time INTEGER NOT NULL DEFAULT 0,"
	"  end_time INTEGER,"
	"  artifact_uri TEXT NOT NULL DEFAULT '',"
	"  lifecycle_stage TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active','deleted')),"
	"  deleted_time INTEGER);"
	"CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);"
	"CREATE TABLE metric_keys ("
	"  key_id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE);"
	"CREATE TABLE metrics ("
	"  run_pk INTEGER NOT NULL,"
	"  key_id INTEGER NOT NULL,"
	"  timestamp INTEGER NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  value REAL NOT NULL,"
	"  is_nan INTEGER NOT NULL,"
	"  PRIMARY KEY (run_pk, key_id, timestamp, step, value, is_nan)) WITHOUT ROWID;"
	"CREATE TABLE latest_metrics ("
	"  run_pk INTEGER NOT NULL,"
	"  key_id INTEGER NOT NULL,"
	"  value REAL NOT NULL,"
	"  timestamp INTEGER NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  is_nan INTEGER NOT NULL,"
	"  PRIMARY KEY (run_pk, key_id)) WITHOUT ROWID;"
	"CREATE INDEX latest_metrics_by_key ON latest_metrics (key_id, value);"
	"CREATE TABLE params ("
	"  run_pk INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (run_pk, key)) WITHOUT ROWID;"
	"CREATE INDEX params_by_key ON params (key, value);"
	"CREATE TABLE tags ("
	"  run_pk INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (run_pk, key)) WITHOUT ROWID;"
	"CREATE INDEX tags_by_key ON tags (key, value);"
	"CREATE TABLE datasets ("
	"  dataset_pk INTEGER PRIMARY KEY,"
	"  dataset_uuid TEXT NOT NULL UNIQUE,"
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),"
	"  name TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  source_type TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  schema TEXT,"
	"  profile TEXT,"
	"  UNIQUE (experiment_id, name, digest));"
	"CREATE TABLE run_inputs ("
	"  run_pk INTEGER NOT NULL,"
	"  dataset_pk INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  PRIMARY KEY (run_pk, dataset_pk)) WITHOUT ROWID;"
	"CREATE TABLE input_tags ("
	"  run_pk INTEGER NOT NULL,"
	"  dataset_pk INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (run_pk, dataset_pk, key)) WITHOUT ROWID;",
};

#endif
