/*
 * logged_model.h - MLflow 3's logged models in the store interface: the
 * entity every 3.x `mlflow.<flavor>.log_model` creates, its params, tags
 * and metrics, and the links between runs and models (runs/outputs,
 * log-inputs `models`). Reached through store_registry_ops.logged (the
 * registry is where models live in this store); same rules as store.h:
 * results live in the arena the caller passes, inputs are borrowed for the
 * call, functions return 0 or -1 with `err` set, all are thread-safe.
 *
 * Handlers call the store_logged_model_* front functions (store.c), which
 * own the messages, the check of order fields, the model id (`m-` + 32
 * hex) and the artifact location
 * (`<experiment artifact_location>/models/<model_id>/artifacts`);
 * store_logged_model_ops is the backend's row half, which owns the checks
 * that must be atomic with a write (the experiment or run is active),
 * reported as row conditions. The API layer owns name
 * validation, generated names and the JSON of tags such as
 * mlflow.modelVersions.
 *
 * Errors (MLflow's, worded by the front): an unknown or deleted model is RESOURCE_DOES_NOT_EXIST
 * "Logged model with ID 'X' not found."; an unknown experiment is
 * RESOURCE_DOES_NOT_EXIST; a deleted experiment or run is
 * INVALID_PARAMETER_VALUE.
 */
#ifndef MLF_LOGGED_MODEL_H
#define MLF_LOGGED_MODEL_H

#include "store.h"

/* MLflow's LoggedModelStatus numbers. */
enum logged_model_status {
	LOGGED_MODEL_STATUS_UNSPECIFIED = 0,
	LOGGED_MODEL_PENDING = 1,
	LOGGED_MODEL_READY = 2,
	LOGGED_MODEL_UPLOAD_FAILED = 3,
};

struct store_logged_metric {
	struct store_metric m; /* key, value, timestamp, step */
	const char *run_id;    /* NULL when none */
	const char *dataset_name, *dataset_digest; /* NULL when none */
};

struct store_logged_model {
	const char *model_id;
	int64_t experiment_id;
	const char *name;
	const char *artifact_location;
	int64_t creation_time;     /* ms */
	int64_t last_updated_time; /* ms */
	enum logged_model_status status;
	const char *lifecycle_stage; /* "active" / "deleted" */
	const char *model_type;      /* as given; "" when not given */
	const char *source_run_id;   /* as given; "" when not given */
	const char *status_message;  /* NULL when unset */
	struct store_kv *tags;       /* by key */
	size_t n_tags;
	struct store_kv *params;     /* by key */
	size_t n_params;
	struct store_logged_metric *metrics;
	size_t n_metrics;
};

struct store_logged_model_create {
	int64_t experiment_id;
	const char *name; /* required: the API layer picks one when the client did not */
	const char *model_type, *source_run_id; /* NULL stores "" */
	const struct store_kv *params;
	size_t n_params;
	const struct store_kv *tags;
	size_t n_tags;
	/* Set by the front for the backend (callers leave them NULL). */
	const char *model_id;
	const char *artifact_location;
};

/* Search: experiments, filter, datasets, paging, and order terms.
 * `field` is a name MLflow accepts (name, model_id, model_type, status,
 * source_run_id, creation_timestamp[_ms] / creation_time,
 * last_updated_timestamp[_ms] / last_updated_time) or `metrics.<key>`,
 * which orders by the key's latest point (by timestamp, then step) among
 * the points on `dataset_name` / `dataset_digest` when given; models
 * without such a point sort last both ways, NaN just before them. The
 * front refuses other fields with INVALID_PARAMETER_VALUE "Invalid order by
 * field name: X"; the backend maps fields to columns through a whitelist. Without a
 * creation term, newest first is the last tie-breaker but one (model_id). */
struct store_logged_order {
	const char *field;
	bool ascending;
	const char *dataset_name, *dataset_digest; /* NULL when not given */
};

/* `filter` is parsed as FILTER_LOGGED_MODELS. `datasets` (n_datasets
 * names, digests may be NULL) scope the filter's metric conditions; with
 * datasets but no metric condition, only models with a metric on one of
 * them match (MLflow's rule). */
struct store_logged_search {
	const int64_t *experiment_ids;
	size_t n_experiments;
	struct filter filter;
	const char *const *dataset_names;
	const char *const *dataset_digests;
	size_t n_datasets;
	const struct store_logged_order *order;
	size_t n_order;
	int64_t max_results;
	int64_t offset;
};

/* struct store_model_link (a run's model input or output) is in store.h. */
struct store_logged_model_ops {
	/* Creates a PENDING model in an active experiment and returns it. */
	int (*create)(struct store *st, const struct store_logged_model_create *lc, struct store_logged_model *out,
		      struct arena *a, struct mlf_err *err);
	/* A model with its tags, params and metrics; deleted ones only with
	 * `allow_deleted`. */
	int (*get)(struct store *st, const char *model_id, bool allow_deleted, struct store_logged_model *out,
		   struct arena *a, struct mlf_err *err);
	/* Sets the status (READY, UPLOAD_FAILED, ...) and returns the model. */
	int (*finalize)(struct store *st, const char *model_id, enum logged_model_status status,
			struct store_logged_model *out, struct arena *a, struct mlf_err *err);
	/* Soft delete. */
	int (*delete_model)(struct store *st, const char *model_id, struct mlf_err *err);
	/* Upserts tags. */
	int (*set_tags)(struct store *st, const char *model_id, const struct store_kv *tags, size_t n,
			struct mlf_err *err);
	/* A missing tag is RESOURCE_DOES_NOT_EXIST "No tag with key 'K' found
	 * for model with ID 'X'." */
	int (*delete_tag)(struct store *st, const char *model_id, const char *key, struct mlf_err *err);
	/* Upserts params. */
	int (*log_params)(struct store *st, const char *model_id, const struct store_kv *params, size_t n,
			  struct mlf_err *err);
	/* Active models of the experiments, one page; *more when another follows. */
	int (*search)(struct store *st, const struct store_logged_search *q, struct store_logged_model **out, size_t *n,
		      bool *more, struct arena *a, struct mlf_err *err);
	/* Links models to an active run as its outputs (`outputs`) or inputs;
	 * a link given twice is kept once. The models need not exist (MLflow
	 * does not check). */
	int (*link_run)(struct store *st, const char *run_id, bool outputs, const struct store_model_link *links,
			size_t n, struct mlf_err *err);
};

/* ---- the front (store.c): what handlers call; each does what the row
 * function of the same name above documents, with MLflow's messages. -- */

int store_logged_model_create(struct store *st, const struct store_logged_model_create *lc,
			      struct store_logged_model *out, struct arena *a, struct mlf_err *err);
int store_logged_model_get(struct store *st, const char *model_id, bool allow_deleted,
			   struct store_logged_model *out, struct arena *a, struct mlf_err *err);
int store_logged_model_finalize(struct store *st, const char *model_id, enum logged_model_status status,
				struct store_logged_model *out, struct arena *a, struct mlf_err *err);
int store_logged_model_delete(struct store *st, const char *model_id, struct mlf_err *err);
int store_logged_model_set_tags(struct store *st, const char *model_id, const struct store_kv *tags, size_t n,
				struct mlf_err *err);
int store_logged_model_delete_tag(struct store *st, const char *model_id, const char *key, struct mlf_err *err);
int store_logged_model_log_params(struct store *st, const char *model_id, const struct store_kv *params, size_t n,
				  struct mlf_err *err);
/* Refuses an order field MLflow does not accept before the backend runs. */
int store_logged_model_search(struct store *st, const struct store_logged_search *q,
			      struct store_logged_model **out, size_t *n, bool *more, struct arena *a,
			      struct mlf_err *err);
int store_logged_model_link_run(struct store *st, const char *run_id, bool outputs,
				const struct store_model_link *links, size_t n, struct mlf_err *err);

/* The order fields MLflow accepts besides metrics.<key> (NULL-terminated;
 * a backend maps each to a column). Borrowed static strings. */
extern const char *const store_logged_order_fields[];

#endif
