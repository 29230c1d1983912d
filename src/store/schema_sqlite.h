/*
 * schema_sqlite.h - the SQLite schema of mlflowc, as ordered migrations.
 *
 * This schema is ours, not MLflow's (docs/storage.md explains each choice):
 * runs get an integer surrogate key (`run_pk`) so the hot tables are keyed by
 * small integers; metric keys are interned in `metric_keys`; the metric
 * history is a WITHOUT ROWID table clustered by (run, key, timestamp, step,
 * value, is_nan), which is both MLflow's de-duplication rule and the order
 * get-history returns. Migration 2 adds the model registry, migration 3
 * MLflow 3's logged models, migration 4 retention policies, migration 5 their
 * S3 storage class of moved copies, migration 6 users, their permissions
 * and tokens and the audit trail (docs/storage.md).
 * Migration N is applied when PRAGMA user_version < N,
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

	/* 2: model registry. Every child table is keyed by the model's integer
	 * `model_pk`, so a rename touches one row; versions are never reused
	 * (a deleted version stays as a redacted 'Deleted_Internal' row); the
	 * history is append-only, enforced by triggers, and outlives models. */
	"CREATE TABLE registered_models ("
	"  model_pk INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: history rows keep it */
	"  name TEXT NOT NULL UNIQUE,"
	"  creation_time INTEGER NOT NULL,"
	"  last_updated_time INTEGER NOT NULL,"
	"  description TEXT);"
	"CREATE INDEX registered_models_by_update ON registered_models (last_updated_time);"
	"CREATE TABLE registered_model_tags ("
	"  model_pk INTEGER NOT NULL REFERENCES registered_models(model_pk),"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (model_pk, key)) WITHOUT ROWID;"
	"CREATE INDEX registered_model_tags_by_key ON registered_model_tags (key, value);"
	"CREATE TABLE model_versions ("
	"  model_pk INTEGER NOT NULL REFERENCES registered_models(model_pk),"
	"  version INTEGER NOT NULL,"
	"  creation_time INTEGER NOT NULL,"
	"  last_updated_time INTEGER NOT NULL,"
	"  description TEXT,"
	"  user_id TEXT,"
	"  current_stage TEXT NOT NULL CHECK (current_stage IN"
	"    ('None','Staging','Production','Archived','Deleted_Internal')),"
	"  source TEXT NOT NULL,"
	"  storage_location TEXT,"
	"  run_id TEXT NOT NULL DEFAULT '',"
	"  run_link TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL DEFAULT 'READY',"
	"  status_message TEXT,"
	"  PRIMARY KEY (model_pk, version)) WITHOUT ROWID;"
	"CREATE INDEX model_versions_by_stage ON model_versions (model_pk, current_stage, version);"
	"CREATE INDEX model_versions_by_run ON model_versions (run_id);"
	"CREATE INDEX model_versions_by_update ON model_versions (last_updated_time);"
	"CREATE TABLE model_version_tags ("
	"  model_pk INTEGER NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (model_pk, version, key)) WITHOUT ROWID;"
	"CREATE INDEX model_version_tags_by_key ON model_version_tags (key, value);"
	"CREATE TABLE registered_model_aliases ("
	"  model_pk INTEGER NOT NULL REFERENCES registered_models(model_pk),"
	"  alias TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  PRIMARY KEY (model_pk, alias)) WITHOUT ROWID;"
	"CREATE TABLE registry_history ("
	"  event_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  model_pk INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('stage','alias')),"
	"  alias TEXT,"
	"  from_value TEXT,"
	"  to_value TEXT,"
	"  user_id TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  comment TEXT);"
	"CREATE INDEX registry_history_by_model ON registry_history (model_pk, version, event_id);"
	"CREATE TRIGGER registry_history_no_update BEFORE UPDATE ON registry_history"
	"  BEGIN SELECT RAISE(ABORT, 'registry history is append-only'); END;"
	"CREATE TRIGGER registry_history_no_delete BEFORE DELETE ON registry_history"
	"  BEGIN SELECT RAISE(ABORT, 'registry history is append-only'); END;",

	/* 3: MLflow 3's logged models. Keyed by their text id (`m-` + 32 hex,
	 * what clients send); run links carry the run's integer key like every
	 * run table; a model version remembers the logged model it came from. */
	"CREATE TABLE logged_models ("
	"  model_id TEXT PRIMARY KEY,"
	"  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),"
	"  name TEXT NOT NULL,"
	"  artifact_location TEXT NOT NULL,"
	"  creation_time INTEGER NOT NULL,"
	"  last_updated_time INTEGER NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  lifecycle_stage TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active','deleted')),"
	"  model_type TEXT NOT NULL DEFAULT '',"
	"  source_run_id TEXT NOT NULL DEFAULT '',"
	"  status_message TEXT);"
	"CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, creation_time);"
	"CREATE TABLE logged_model_params ("
	"  model_id TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (model_id, key)) WITHOUT ROWID;"
	"CREATE TABLE logged_model_tags ("
	"  model_id TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (model_id, key)) WITHOUT ROWID;"
	"CREATE TABLE logged_model_metrics ("
	"  model_id TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  timestamp INTEGER NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  value REAL NOT NULL,"
	"  is_nan INTEGER NOT NULL,"
	"  run_id TEXT NOT NULL DEFAULT '',"
	"  dataset_name TEXT,"
	"  dataset_digest TEXT,"
	"  PRIMARY KEY (model_id, key, timestamp, step, run_id)) WITHOUT ROWID;"
	"CREATE TABLE run_model_links ("
	"  link_id INTEGER PRIMARY KEY," /* keeps the order links were made */
	"  run_pk INTEGER NOT NULL,"
	"  direction TEXT NOT NULL CHECK (direction IN ('input','output')),"
	"  model_id TEXT NOT NULL,"
	"  step INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (run_pk, direction, model_id, step));"
	"ALTER TABLE model_versions ADD COLUMN model_id TEXT;",

	/* 4: retention policies (mlflowc retention), one row per experiment
	 * and the server-wide default at experiment_id -1 (0 is MLflow's
	 * Default experiment); -1 in a days column: that part is off. */
	"CREATE TABLE retention_policies ("
	"  experiment_id INTEGER PRIMARY KEY CHECK (experiment_id >= -1),"
	"  keep_days INTEGER NOT NULL DEFAULT -1,"
	"  keep_registered INTEGER NOT NULL DEFAULT 0,"
	"  prune_pattern TEXT,"
	"  keep_last INTEGER NOT NULL DEFAULT -1,"
	"  archived_days INTEGER NOT NULL DEFAULT -1,"
	"  archived_action TEXT CHECK (archived_action IN ('delete','move')),"
	"  move_to TEXT,"
	"  updated_time INTEGER NOT NULL);"
	"CREATE TABLE retention_keep_tags ("
	"  experiment_id INTEGER NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT," /* NULL: any value */
	"  PRIMARY KEY (experiment_id, position)) WITHOUT ROWID;",

	/* 5: the S3 storage class a policy's moved copies are written with
	 * (--move-storage-class); NULL: none asked, the bucket's default. */
	"ALTER TABLE retention_policies ADD COLUMN move_storage_class TEXT;",
	/* 6: users and permissions (store_auth.h): the tables of MLflow's
	 * basic-auth app (spec §14.2; permissions keep MLflow's names, an
	 * experiment id is text as MLflow keeps it), bearer tokens and UI
	 * sessions (only a digest of the secret is stored) and the audit trail
	 * of answered writes. foreign_keys is off on our connections: the store
	 * deletes a user's permissions and tokens itself, in the transaction
	 * that deletes the user (the REFERENCES say what belongs to whom). */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  username TEXT NOT NULL UNIQUE,"
	"  password_hash TEXT NOT NULL,"
	"  is_admin INTEGER NOT NULL DEFAULT 0,"
	"  created_time INTEGER NOT NULL,"
	"  password_changed_time INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE experiment_permissions ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  experiment_id TEXT NOT NULL,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  permission TEXT NOT NULL,"
	"  UNIQUE (experiment_id, user_id));"
	"CREATE INDEX experiment_permissions_by_user ON experiment_permissions (user_id, experiment_id);"
	"CREATE TABLE registered_model_permissions ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  permission TEXT NOT NULL,"
	"  UNIQUE (name, user_id));"
	"CREATE INDEX registered_model_permissions_by_user ON registered_model_permissions (user_id, name);"
	"CREATE TABLE auth_tokens ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('api','session')),"
	"  name TEXT NOT NULL DEFAULT '',"
	"  digest TEXT NOT NULL UNIQUE,"
	"  created_time INTEGER NOT NULL,"
	"  expiry_time INTEGER NOT NULL DEFAULT 0," /* 0: never */
	"  last_used_time INTEGER NOT NULL DEFAULT 0,"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX auth_tokens_by_user ON auth_tokens (user_id, kind);"
	"CREATE INDEX auth_tokens_by_expiry ON auth_tokens (expiry_time) WHERE expiry_time > 0;"
	/* one row per write while auth is on: as cheap to append as can be
	 * (no AUTOINCREMENT bookkeeping; rows are never deleted, so ids only
	 * grow), one index for a user's rows newest first */
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  username TEXT," /* NULL: anonymous */
	"  method TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  resource TEXT);"
	"CREATE INDEX audit_log_by_user ON audit_log (username, id);",
};

#endif
