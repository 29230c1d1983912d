/*
 * registry.h - the model registry half of the store interface: registered
 * models, model versions, stages, aliases, tags, and the history of stage
 * transitions and alias moves. Same memory and error rules as store.h:
 * results live in the arena the caller passes, inputs are borrowed for the
 * call, functions return 0 or -1 with `err` set, and every function is
 * thread-safe.
 *
 * Handlers call the store_registered_model_*, store_model_alias_*,
 * store_model_version_* and store_registry_history front functions
 * (store.c), which own the messages and the prompt rule; the backend's
 * store_registry_ops only reads and writes rows. The backend owns what
 * must be atomic with a write: version numbering (max + 1, never reused),
 * archiving the other versions of a stage, and the history rows written in
 * the same transaction as the change they record. The API layer owns
 * request validation (names, alias rules, stage names, sources, lengths).
 * Stage names reaching the store are canonical ("None", "Staging",
 * "Production", "Archived").
 *
 * Errors (worded by the front): an unknown model is
 * RESOURCE_DOES_NOT_EXIST "Registered Model with name=X not found"; an
 * unknown or deleted version is RESOURCE_DOES_NOT_EXIST "Model Version
 * (name=X, version=N) not found"; a name taken is RESOURCE_ALREADY_EXISTS;
 * an unknown alias on lookup is INVALID_PARAMETER_VALUE "Registered model
 * alias A not found." (MLflow's codes).
 */
#ifndef MLF_REGISTRY_H
#define MLF_REGISTRY_H

#include "../base/arena.h"
#include "../base/err.h"
#include "logged_model.h"
#include "store.h"

struct store;

struct store_model_version {
	const char *name;
	int64_t version;
	int64_t creation_time;      /* ms */
	int64_t last_updated_time;  /* ms */
	const char *user_id;        /* NULL when unset */
	const char *current_stage;  /* "None", "Staging", "Production", "Archived" */
	const char *description;    /* NULL when unset */
	const char *source;
	const char *storage_location; /* where the files are; NULL: same as source */
	const char *run_id;         /* "" when none */
	const char *run_link;       /* "" when none */
	const char *status;         /* "READY" */
	const char *status_message; /* NULL when unset */
	const char *model_id;       /* the logged model (MLflow 3) it came from; NULL when none */
	struct store_kv *tags;
	size_t n_tags;
	const char **aliases;       /* filled by version_get and alias_get only */
	size_t n_aliases;
};

struct store_model_alias {
	const char *alias;
	int64_t version;
};

struct store_registered_model {
	const char *name;
	int64_t creation_time;
	int64_t last_updated_time;
	const char *description;    /* NULL or "" when unset */
	struct store_model_version *latest; /* latest version per stage, MLflow's order */
	size_t n_latest;
	struct store_kv *tags;
	size_t n_tags;
	struct store_model_alias *aliases; /* by alias name */
	size_t n_aliases;
};

struct store_version_create {
	const char *name;
	const char *source;
	const char *storage_location; /* NULL: the source */
	const char *run_id;           /* NULL or "" when none */
	const char *run_link;
	const char *description;
	const char *user_id;
	const char *model_id;         /* NULL or "" when none */
	const struct store_kv *tags;
	size_t n_tags;
};

/* Who makes a recorded change (stage transitions, alias moves). */
struct store_actor {
	const char *user;    /* never NULL: "unknown" when nobody is known */
	const char *comment; /* NULL when none */
};

/* One row of the append-only registry history. */
struct store_registry_event {
	int64_t id;          /* increasing in the order the changes were made */
	const char *name;    /* the model's name when the change was made */
	int64_t version;     /* the version moved (stage) or now pointed at (alias; the old one on delete) */
	const char *kind;    /* "stage" or "alias" */
	const char *alias;   /* alias events */
	const char *from;    /* previous stage / version number; NULL: none */
	const char *to;      /* new stage / version number; NULL: alias removed */
	const char *user;
	int64_t time;        /* ms */
	const char *comment; /* NULL when none */
};

struct store_registry_ops {
	/* MLflow 3's logged models (logged_model.h), which versions are
	 * registered from. */
	const struct store_logged_model_ops *logged;

	/* ---- registered models ------------------------------------------- */
	int (*model_create)(struct store *st, const char *name, const char *description, const struct store_kv *tags,
			    size_t n_tags, struct store_registered_model *out, struct arena *a, struct mlf_err *err);
	int (*model_get)(struct store *st, const char *name, struct store_registered_model *out, struct arena *a,
			 struct mlf_err *err);
	/* Renaming onto the same name only bumps last_updated_time. */
	int (*model_rename)(struct store *st, const char *name, const char *new_name,
			    struct store_registered_model *out, struct arena *a, struct mlf_err *err);
	/* `description` NULL clears it. */
	int (*model_update)(struct store *st, const char *name, const char *description,
			    struct store_registered_model *out, struct arena *a, struct mlf_err *err);
	/* Removes the model with its versions, tags and aliases (the history stays). */
	int (*model_delete)(struct store *st, const char *name, struct mlf_err *err);
	/* Filter and order_by of kind FILTER_REGISTERED_MODELS; `q->view` is
	 * ignored; max_results may be 0; models tagged q->hide_tag = 'true'
	 * are left out. */
	int (*model_search)(struct store *st, const struct store_search *q, struct store_registered_model **out,
			    size_t *n, bool *more, struct arena *a, struct mlf_err *err);
	int (*model_set_tag)(struct store *st, const char *name, const char *key, const char *value,
			     struct mlf_err *err);
	/* A missing tag is not an error; a missing model is. */
	int (*model_delete_tag)(struct store *st, const char *name, const char *key, struct mlf_err *err);
	/* The highest version of each stage in `stages` (all stages when
	 * n_stages == 0), ordered like MLflow (by the lowest version number
	 * that stage holds). */
	int (*latest_versions)(struct store *st, const char *name, const char *const *stages, size_t n_stages,
			       struct store_model_version **out, size_t *n, struct arena *a, struct mlf_err *err);

	/* ---- aliases ------------------------------------------------------ */
	/* Sets or moves `alias` to `version` (which must exist) and records it. */
	int (*alias_set)(struct store *st, const char *name, const char *alias, int64_t version,
			 const struct store_actor *who, struct mlf_err *err);
	/* A missing alias is not an error; a missing model is. */
	int (*alias_delete)(struct store *st, const char *name, const char *alias, const struct store_actor *who,
			    struct mlf_err *err);
	/* The version `alias` points at (the front answers "latest"). */
	int (*alias_get)(struct store *st, const char *name, const char *alias, struct store_model_version *out,
			 struct arena *a, struct mlf_err *err);

	/* ---- model versions ------------------------------------------------ */
	int (*version_create)(struct store *st, const struct store_version_create *vc, struct store_model_version *out,
			      struct arena *a, struct mlf_err *err);
	int (*version_get)(struct store *st, const char *name, int64_t version, struct store_model_version *out,
			   struct arena *a, struct mlf_err *err);
	/* `description` NULL clears it. */
	int (*version_update)(struct store *st, const char *name, int64_t version, const char *description,
			      struct store_model_version *out, struct arena *a, struct mlf_err *err);
	/* Redacts the version (its number is never reused) and drops its tags. */
	int (*version_delete)(struct store *st, const char *name, int64_t version, struct mlf_err *err);
	/* Moves a version to `stage`; with `archive_others`, every other version
	 * in that stage goes to Archived. Each move is recorded. */
	int (*version_transition)(struct store *st, const char *name, int64_t version, const char *stage,
				  bool archive_others, const struct store_actor *who, struct store_model_version *out,
				  struct arena *a, struct mlf_err *err);
	/* Filter and order_by of kind FILTER_MODEL_VERSIONS; deleted versions
	 * and versions of models tagged q->hide_tag = 'true' are left out. */
	int (*version_search)(struct store *st, const struct store_search *q, struct store_model_version **out,
			      size_t *n, bool *more, struct arena *a, struct mlf_err *err);
	int (*version_set_tag)(struct store *st, const char *name, int64_t version, const char *key,
			       const char *value, struct mlf_err *err);
	int (*version_delete_tag)(struct store *st, const char *name, int64_t version, const char *key,
				  struct mlf_err *err);

	/* ---- history ------------------------------------------------------- */
	/* The recorded changes of the model now called `name` (also those made
	 * under earlier names), oldest first; only those of `version` when
	 * version > 0. */
	int (*history)(struct store *st, const char *name, int64_t version, struct store_registry_event **out,
		       size_t *n, struct arena *a, struct mlf_err *err);
};

/* ---- the front (store.c): what handlers call; each does what the row
 * function of the same name in store_registry_ops documents, with
 * MLflow's messages. ---------------------------------------------------- */

int store_registered_model_create(struct store *st, const char *name, const char *description,
				  const struct store_kv *tags, size_t n_tags, struct store_registered_model *out,
				  struct arena *a, struct mlf_err *err);
int store_registered_model_get(struct store *st, const char *name, struct store_registered_model *out,
			       struct arena *a, struct mlf_err *err);
int store_registered_model_rename(struct store *st, const char *name, const char *new_name,
				  struct store_registered_model *out, struct arena *a, struct mlf_err *err);
int store_registered_model_update(struct store *st, const char *name, const char *description,
				  struct store_registered_model *out, struct arena *a, struct mlf_err *err);
int store_registered_model_delete(struct store *st, const char *name, struct mlf_err *err);
/* Models tagged as prompts (mlflow.prompt.is_prompt = 'true') are left
 * out unless the filter asks for them (MLflow's rule); conditions on that
 * tag are then dropped from the filter. */
int store_registered_model_search(struct store *st, const struct store_search *q,
				  struct store_registered_model **out, size_t *n, bool *more, struct arena *a,
				  struct mlf_err *err);
int store_registered_model_set_tag(struct store *st, const char *name, const char *key, const char *value,
				   struct mlf_err *err);
int store_registered_model_delete_tag(struct store *st, const char *name, const char *key, struct mlf_err *err);
int store_registered_model_latest_versions(struct store *st, const char *name, const char *const *stages,
					   size_t n_stages, struct store_model_version **out, size_t *n,
					   struct arena *a, struct mlf_err *err);
int store_model_alias_set(struct store *st, const char *name, const char *alias, int64_t version,
			  const struct store_actor *who, struct mlf_err *err);
int store_model_alias_delete(struct store *st, const char *name, const char *alias, const struct store_actor *who,
			     struct mlf_err *err);
/* The version `alias` points at; "latest" (any case) is the highest live
 * version, as in MLflow. */
int store_model_alias_get(struct store *st, const char *name, const char *alias, struct store_model_version *out,
			  struct arena *a, struct mlf_err *err);
int store_model_version_create(struct store *st, const struct store_version_create *vc,
			       struct store_model_version *out, struct arena *a, struct mlf_err *err);
int store_model_version_get(struct store *st, const char *name, int64_t version, struct store_model_version *out,
			    struct arena *a, struct mlf_err *err);
int store_model_version_update(struct store *st, const char *name, int64_t version, const char *description,
			       struct store_model_version *out, struct arena *a, struct mlf_err *err);
int store_model_version_delete(struct store *st, const char *name, int64_t version, struct mlf_err *err);
int store_model_version_transition(struct store *st, const char *name, int64_t version, const char *stage,
				   bool archive_others, const struct store_actor *who, struct store_model_version *out,
				   struct arena *a, struct mlf_err *err);
/* Versions of prompts are left out unless the filter asks for them, as
 * for store_registered_model_search(). */
int store_model_version_search(struct store *st, const struct store_search *q, struct store_model_version **out,
			       size_t *n, bool *more, struct arena *a, struct mlf_err *err);
int store_model_version_set_tag(struct store *st, const char *name, int64_t version, const char *key,
				const char *value, struct mlf_err *err);
int store_model_version_delete_tag(struct store *st, const char *name, int64_t version, const char *key,
				   struct mlf_err *err);
int store_registry_history(struct store *st, const char *name, int64_t version, struct store_registry_event **out,
			   size_t *n, struct arena *a, struct mlf_err *err);

#endif
