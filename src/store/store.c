/*
 * store.c - the store front (store.h): picks a backend from the
 * backend-store URI, and wraps every backend row function in the rules
 * MLflow defines, so that each backend only reads and writes rows.
 *
 * Opening: a bare path is a SQLite file unless it looks like MLflow's file
 * store, which is refused before anything is created (store_probe.h).
 * Operations: a store_*() function checks and completes its input
 * (defaults, tag mlflow.runName, the prompt rule), calls the backend, and
 * when the backend reports a row condition (store_row_fail) words it as
 * MLflow does for that operation; the words live in the tables below.
 */
#include "store.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "logged_model.h"
#include "registry.h"
#include "store_probe.h"
#include "store_pg.h"
#include "store_sqlite.h"
#include <strings.h>

#define RUN_NAME_TAG "mlflow.runName"
#define PROMPT_TAG "mlflow.prompt.is_prompt"
#define METRICS_PREFIX "metrics."
#define DEFAULT_EXPERIMENT_NAME "Default"

/* Appends `root` and, unless it ends with one, a '/': MLflow puts an
 * experiment's default location at `<root>/<id>` with one slash between. */
static void add_location_prefix(struct buf *out, const char *root)
{
	size_t n = strlen(root);
	buf_adds(out, root);
	if (n && root[n - 1] != '/')
		buf_addch(out, '/');
}

static int check_sqlite(const char *path, struct mlf_err *err)
{
	enum store_probe_kind kind;
	return store_probe_sqlite(path, &kind, err);
}

/* MLflow's file store (file:///path/mlruns) has no backend here. */
static int refuse_file_store(const char *path, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			  "a file: URI names MLflow's file store, and MLflow's file store is not supported as a "
			  "backend store; use a SQLite file, e.g. --backend-store-uri sqlite:///mlflowc.db; to bring its "
			  "data over run: mlflowc import --from file:%s%s --backend-store-uri sqlite:///mlflowc.db",
			  path[0] == '/' ? "/" : "", path); /* the URI as given: the resolver took one '/' */
}

static const struct {
	const char *scheme; /* URI prefix */
	int (*check)(const char *path, struct mlf_err *err); /* changes nothing */
	struct store *(*open)(const char *path, const struct store_options *opt, struct mlf_err *err);
	int (*inspect)(const char *path, struct store_schema_info *out, struct mlf_err *err); /* changes nothing */
	bool whole_uri; /* the backend takes the URI as given, not the path after the scheme */
} store_backends[] = {
	{ "sqlite://", check_sqlite, store_sqlite_open, store_sqlite_inspect, false },
	{ "file:", refuse_file_store, NULL, NULL, false },
	{ "postgresql://", store_pg_check, store_pg_open, store_pg_inspect, true },
	{ "postgresql+", store_pg_check, store_pg_open, store_pg_inspect, true },
	{ "postgres://", store_pg_check, store_pg_open, store_pg_inspect, true },
};

/* The backend row for `uri` (a bare path is SQLite's) and the path after
 * its scheme, borrowed from `uri`. -1 with `err` set for an unknown scheme
 * or a bare path that looks like MLflow's file store. */
static int store_resolve(const char *uri, size_t *backend, const char **path, struct mlf_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(store_backends); i++) {
		size_t n = strlen(store_backends[i].scheme);
		if (strncmp(uri, store_backends[i].scheme, n) == 0) {
			*backend = i;
			if (store_backends[i].whole_uri) {
				*path = uri;
				return 0;
			}
			*path = uri + n;
			/* sqlite:///rel.db -> "rel.db"; sqlite:////abs.db -> "/abs.db" */
			if (**path == '/')
				(*path)++;
			if (!**path)
				*path = ":memory:";
			return 0;
		}
	}
	if (strstr(uri, "://"))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "unsupported backend store URI '%s'", uri);
	if (store_probe_bare_path(uri, err) < 0)
		return -1;
	*backend = 0;
	*path = uri;
	return 0;
}

int store_check_uri(const char *uri, struct mlf_err *err)
{
	size_t backend;
	const char *path;
	if (store_resolve(uri, &backend, &path, err) < 0)
		return -1;
	return store_backends[backend].check(path, err);
}

int store_inspect(const char *uri, struct store_schema_info *out, struct mlf_err *err)
{
	size_t backend;
	const char *path;
	memset(out, 0, sizeof(*out));
	if (store_resolve(uri, &backend, &path, err) < 0 || store_backends[backend].check(path, err) < 0)
		return -1;
	return store_backends[backend].inspect(path, out, err);
}

int store_ping(struct store *st, struct mlf_err *err)
{
	return st->ping ? st->ping(st, err) : 0;
}

static const char *const durability_names[] = {
	[STORE_DURABILITY_NORMAL] = "normal",
	[STORE_DURABILITY_FULL] = "full",
};

int store_durability_parse(const char *name, enum store_durability *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(durability_names); i++)
		if (strcmp(name, durability_names[i]) == 0) {
			*out = (enum store_durability)i;
			return 0;
		}
	return -1;
}

struct store *store_open(const char *uri, const struct store_options *opt, struct mlf_err *err)
{
	size_t backend;
	const char *path;
	if (store_resolve(uri, &backend, &path, err) < 0 || store_backends[backend].check(path, err) < 0)
		return NULL;
	struct store *st = store_backends[backend].open(path, opt, err);
	if (!st)
		return NULL;
	/* MLflow's default experiment: id 0, "Default", <root>/0 */
	struct buf location = BUF_INIT;
	add_location_prefix(&location, opt->artifact_root);
	buf_addch(&location, '0');
	int rc = st->ops->experiment_create_default(st, DEFAULT_EXPERIMENT_NAME, location.ptr, err);
	buf_release(&location);
	if (rc < 0) {
		store_close(st);
		return NULL;
	}
	return st;
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

static int cmp_int64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* First index with steps[i] >= v (or > v when `after`). */
static size_t bisect(const int64_t *steps, size_t n, int64_t v, bool after)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (steps[mid] < v || (after && steps[mid] == v))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t store_sample_steps(const int64_t *steps, size_t n_steps, const int64_t *bounds, size_t n_bounds,
			  bool has_range, int64_t start, int64_t end, size_t max_results, int64_t *out)
{
	size_t n = 0;
	if (!has_range) {
		start = 0;
		end = n_steps ? steps[n_steps - 1] : 0;
	}
	size_t lo = bisect(steps, n_steps, start, false), hi = bisect(steps, n_steps, end, true);
	if (hi > lo && hi - lo <= max_results) {
		for (size_t i = lo; i < hi; i++)
			out[n++] = steps[i];
	} else if (hi > lo && max_results > 0) {
		double interval = (double)(hi - lo) / (double)max_results;
		for (size_t i = 0; i < max_results; i++) {
			size_t idx = lo + (size_t)((double)i * interval);
			if (idx < hi)
				out[n++] = steps[idx];
		}
		out[n++] = steps[hi - 1];
	}
	for (size_t i = 0; i < n_bounds; i++)
		if (bounds[i] >= start && bounds[i] <= end)
			out[n++] = bounds[i];
	qsort(out, n, sizeof(*out), cmp_int64);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || out[k - 1] != out[i])
			out[k++] = out[i];
	return k;
}

/* ---- row conditions and MLflow's words for them --------------------------- */

int store_row_fail(struct mlf_err *err, enum store_row row)
{
	mlf_errorf(err, MLF_INTERNAL_ERROR, "store row condition %d not worded", (int)row);
	if (err)
		err->detail = (int)row;
	return -1;
}

/* What an operation names in its messages. */
struct row_subject {
	int64_t experiment_id;
	const char *name;     /* experiment or registered model */
	const char *new_name; /* renames */
	const char *run_id;
	const char *key;      /* a tag's */
	int64_t version;
	const char *alias;
	const char *model_id; /* a logged model's */
};

typedef void row_say_fn(const struct row_subject *s, struct mlf_err *err);

struct row_message {
	enum store_row row;
	row_say_fn *say;
};

static void say_experiment_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "No Experiment with id=%lld exists", (long long)s->experiment_id);
}

static void say_experiment_name_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Could not find experiment with name '%s'", s->name);
}

static void say_experiment_deleted(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
		   "The experiment %lld must be in the 'active' state. Current state is deleted.",
		   (long long)s->experiment_id);
}

static void say_experiment_rename_deleted(const struct row_subject *s, struct mlf_err *err)
{
	(void)s;
	mlf_errorf(err, MLF_INVALID_STATE, "Cannot rename a non-active experiment.");
}

static void say_experiment_taken(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_ALREADY_EXISTS, "Experiment(name=%s) already exists.", s->name);
}

static void say_experiment_rename_taken(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_BAD_REQUEST, "Experiment(name=%s) already exists.", s->new_name);
}

static void say_experiment_tag_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "No tag with name: %s in experiment with id %lld", s->key,
		   (long long)s->experiment_id);
}

static void say_run_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Run with id=%s not found", s->run_id);
}

static void say_run_deleted(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
		   "The run %s must be in the 'active' state. Current state is deleted.", s->run_id);
}

static void say_run_tag_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "No tag with name: %s in run with id %s", s->key, s->run_id);
}

static void say_model_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Registered Model with name=%s not found", s->name);
}

static void say_model_taken(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_ALREADY_EXISTS, "Registered Model (name=%s) already exists.",
		   s->new_name ? s->new_name : s->name);
}

static void say_version_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Model Version (name=%s, version=%lld) not found", s->name,
		   (long long)s->version);
}

static void say_no_versions(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Registered Model %s has no versions", s->name);
}

static void say_alias_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Registered model alias %s not found.", s->alias);
}

static void say_logged_model_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "Logged model with ID '%s' not found.", s->model_id);
}

static void say_logged_tag_missing(const struct row_subject *s, struct mlf_err *err)
{
	mlf_errorf(err, MLF_RESOURCE_DOES_NOT_EXIST, "No tag with key '%s' found for model with ID '%s'.", s->key,
		   s->model_id);
}

/* The words every operation uses unless its own table says otherwise. */
static const struct row_message default_words[] = {
	{ STORE_ROW_EXPERIMENT_MISSING, say_experiment_missing },
	{ STORE_ROW_EXPERIMENT_DELETED, say_experiment_deleted },
	{ STORE_ROW_WRONG_STAGE, say_experiment_missing },
	{ STORE_ROW_NAME_TAKEN, say_experiment_taken },
	{ STORE_ROW_RUN_MISSING, say_run_missing },
	{ STORE_ROW_RUN_DELETED, say_run_deleted },
	{ STORE_ROW_TAG_MISSING, say_run_tag_missing },
	{ STORE_ROW_MODEL_MISSING, say_model_missing },
	{ STORE_ROW_VERSION_MISSING, say_version_missing },
	{ STORE_ROW_NO_VERSIONS, say_no_versions },
	{ STORE_ROW_ALIAS_MISSING, say_alias_missing },
	{ STORE_ROW_LOGGED_MODEL_MISSING, say_logged_model_missing },
};

static const struct row_message experiment_by_name_words[] = {
	{ STORE_ROW_EXPERIMENT_MISSING, say_experiment_name_missing },
	{ STORE_ROW_NONE, NULL },
};
static const struct row_message experiment_rename_words[] = {
	{ STORE_ROW_EXPERIMENT_DELETED, say_experiment_rename_deleted },
	{ STORE_ROW_NAME_TAKEN, say_experiment_rename_taken },
	{ STORE_ROW_NONE, NULL },
};
static const struct row_message experiment_tag_words[] = {
	{ STORE_ROW_TAG_MISSING, say_experiment_tag_missing },
	{ STORE_ROW_NONE, NULL },
};
static const struct row_message registry_words[] = {
	{ STORE_ROW_NAME_TAKEN, say_model_taken },
	{ STORE_ROW_NONE, NULL },
};
static const struct row_message logged_words[] = {
	{ STORE_ROW_TAG_MISSING, say_logged_tag_missing },
	{ STORE_ROW_NONE, NULL },
};

/* Passes `rc` through; when the backend failed on a row condition,
 * replaces its placeholder with MLflow's words for it (`words` first,
 * then the defaults). */
static int worded(int rc, const struct row_subject *subject, const struct row_message *words, struct mlf_err *err)
{
	if (rc == 0 || !err || err->detail == STORE_ROW_NONE || !subject)
		return rc; /* no condition, or one the operation cannot meet: left as the backend said */
	enum store_row row = (enum store_row)err->detail;
	for (const struct row_message *w = words; w && w->say; w++)
		if (w->row == row) {
			w->say(subject, err);
			return -1;
		}
	for (size_t i = 0; i < ARRAY_SIZE(default_words); i++)
		if (default_words[i].row == row) {
			default_words[i].say(subject, err);
			return -1;
		}
	return -1;
}

#define BE(st) ((st)->ops)
#define REG(st) ((st)->ops->registry)
#define LOGGED(st) ((st)->ops->registry->logged)

/* ---- experiments ------------------------------------------------------------ */

int store_experiment_create(struct store *st, const char *name, const char *artifact_location,
			    const char *artifact_root, const struct store_kv *tags, size_t n_tags, int64_t *id,
			    struct mlf_err *err)
{
	struct buf prefix = BUF_INIT;
	add_location_prefix(&prefix, artifact_root);
	struct row_subject who = { .name = name };
	int rc = BE(st)->experiment_create(st, name, artifact_location && *artifact_location ? artifact_location : NULL,
					   prefix.ptr, tags, n_tags, id, err);
	buf_release(&prefix);
	return worded(rc, &who, NULL, err);
}

int store_experiment_get(struct store *st, int64_t id, struct store_experiment *out, struct arena *a,
			 struct mlf_err *err)
{
	struct row_subject who = { .experiment_id = id };
	return worded(BE(st)->experiment_get(st, id, out, a, err), &who, NULL, err);
}

int store_experiment_get_by_name(struct store *st, const char *name, struct store_experiment *out,
				 struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name };
	return worded(BE(st)->experiment_get_by_name(st, name, out, a, err), &who, experiment_by_name_words, err);
}

int store_experiment_set_lifecycle(struct store *st, int64_t id, bool deleted, struct mlf_err *err)
{
	struct row_subject who = { .experiment_id = id };
	return worded(BE(st)->experiment_set_lifecycle(st, id, deleted, err), &who, NULL, err);
}

int store_experiment_rename(struct store *st, int64_t id, const char *new_name, struct mlf_err *err)
{
	struct row_subject who = { .experiment_id = id, .new_name = new_name };
	return worded(BE(st)->experiment_rename(st, id, new_name, err), &who, experiment_rename_words, err);
}

int store_experiment_set_tag(struct store *st, int64_t id, const char *key, const char *value,
			     struct mlf_err *err)
{
	struct row_subject who = { .experiment_id = id, .key = key };
	return worded(BE(st)->experiment_set_tag(st, id, key, value ? value : "", err), &who, experiment_tag_words,
		      err);
}

int store_experiment_delete_tag(struct store *st, int64_t id, const char *key, struct mlf_err *err)
{
	struct row_subject who = { .experiment_id = id, .key = key };
	return worded(BE(st)->experiment_delete_tag(st, id, key, err), &who, experiment_tag_words, err);
}

int store_experiment_search(struct store *st, const struct store_search *q, struct store_experiment **out,
			    size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	return worded(BE(st)->experiment_search(st, q, out, n, more, a, err), NULL, NULL, err);
}

/* ---- runs ------------------------------------------------------------------- */

int store_run_create(struct store *st, const struct store_run_create *rc, struct store_run *out,
		     struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .experiment_id = rc->experiment_id };
	struct store_experiment e;
	if (worded(BE(st)->experiment_get(st, rc->experiment_id, &e, a, err), &who, NULL, err) < 0)
		return -1;
	if (strcmp(e.lifecycle_stage, "active") != 0)
		return worded(store_row_fail(err, STORE_ROW_EXPERIMENT_DELETED), &who, NULL, err);

	char run_id[33];
	util_uuid_hex(run_id);
	size_t loc_len = strlen(e.artifact_location);
	struct store_run_create row = *rc;
	row.run_id = run_id;
	row.artifact_uri = arena_printf(a, "%s%s%s/artifacts", e.artifact_location,
					loc_len && e.artifact_location[loc_len - 1] == '/' ? "" : "/", run_id);
	/* The name is also tag mlflow.runName, whatever the tags said. */
	struct store_kv *tags = arena_alloc(a, (rc->n_tags + 1) * sizeof(*tags));
	size_t n = 0;
	for (size_t i = 0; i < rc->n_tags; i++)
		if (strcmp(rc->tags[i].key, RUN_NAME_TAG) != 0)
			tags[n++] = rc->tags[i];
	tags[n++] = (struct store_kv){ RUN_NAME_TAG, rc->run_name };
	row.tags = tags;
	row.n_tags = n;
	return worded(BE(st)->run_create(st, &row, out, a, err), &who, NULL, err);
}

int store_run_info(struct store *st, const char *run_id, struct store_run_info *out, struct arena *a,
		   struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	return worded(BE(st)->run_info(st, run_id, out, a, err), &who, NULL, err);
}

int store_run_get(struct store *st, const char *run_id, struct store_run *out, struct arena *a,
		  struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	return worded(BE(st)->run_get(st, run_id, out, a, err), &who, NULL, err);
}

int store_run_update(struct store *st, const char *run_id, const struct store_run_update *u,
		     struct store_run_info *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	struct store_run_update row = *u;
	struct store_kv name_tag = { RUN_NAME_TAG, u->run_name };
	if (u->run_name && *u->run_name) {
		row.tags = &name_tag;
		row.n_tags = 1;
	} else {
		row.run_name = NULL;
		row.tags = NULL;
		row.n_tags = 0;
	}
	return worded(BE(st)->run_update(st, run_id, &row, out, a, err), &who, NULL, err);
}

int store_run_set_lifecycle(struct store *st, const char *run_id, bool deleted, struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	return worded(BE(st)->run_set_lifecycle(st, run_id, deleted, err), &who, NULL, err);
}

/* The value a param of the run had before b->params[i] was written, as the
 * backend saw it: the stored one, else the first earlier one in the batch
 * (the first write of a key wins). NULL when none. */
static const char *param_before(const struct store_run *r, const struct store_batch *b, size_t i)
{
	const char *key = b->params[i].key;
	for (size_t j = 0; j < r->n_params; j++)
		if (strcmp(r->params[j].key, key) == 0)
			return r->params[j].value;
	for (size_t j = 0; j < i; j++)
		if (strcmp(b->params[j].key, key) == 0)
			return b->params[j].value ? b->params[j].value : "";
	return NULL;
}

/* MLflow's words for a param logged again with another value: the first
 * param of `b` that differs from the value before it. The batch was rolled
 * back, so the run reads as it was. */
static int say_param_changed(struct store *st, const char *run_id, const struct store_batch *b, struct mlf_err *err)
{
	struct arena a = ARENA_INIT;
	struct store_run r;
	struct mlf_err read_err;
	bool said = false;
	if (BE(st)->run_get(st, run_id, &r, &a, &read_err) == 0)
		for (size_t i = 0; i < b->n_params && !said; i++) {
			const char *value = b->params[i].value ? b->params[i].value : "";
			const char *old = param_before(&r, b, i);
			if (old && strcmp(old, value) != 0) {
				mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					   "Changing param values is not allowed. Param with key='%s' was already "
					   "logged with value='%s' for run ID='%s'. Attempted logging new value '%s'.",
					   b->params[i].key, old, run_id, value);
				said = true;
			}
		}
	if (!said) /* changed again since: say so without the values */
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Changing param values is not allowed (run ID='%s').",
			   run_id);
	arena_release(&a);
	return -1;
}

int store_run_log_batch(struct store *st, const char *run_id, const struct store_batch *b, struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	const char *run_name = NULL;
	for (size_t i = 0; i < b->n_tags; i++)
		if (strcmp(b->tags[i].key, RUN_NAME_TAG) == 0)
			run_name = b->tags[i].value ? b->tags[i].value : "";
	int rc = BE(st)->run_log_batch(st, run_id, b, run_name, err);
	if (rc < 0 && err && err->detail == STORE_ROW_PARAM_CHANGED)
		return say_param_changed(st, run_id, b, err);
	return worded(rc, &who, NULL, err);
}

int store_run_delete_tag(struct store *st, const char *run_id, const char *key, struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id, .key = key };
	return worded(BE(st)->run_delete_tag(st, run_id, key, err), &who, NULL, err);
}

int store_run_log_inputs(struct store *st, const char *run_id, const struct store_dataset_input *in, size_t n,
			 struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	return worded(BE(st)->run_log_inputs(st, run_id, in, n, err), &who, NULL, err);
}

int store_run_search(struct store *st, const int64_t *experiment_ids, size_t n_exp, const struct store_search *q,
		     struct store_run **out, size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	return worded(BE(st)->run_search(st, experiment_ids, n_exp, q, out, n, more, a, err), NULL, NULL, err);
}

int store_metric_history(struct store *st, const char *run_id, const char *key, int64_t offset, int64_t limit,
			 struct store_metric **out, size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	return worded(BE(st)->metric_history(st, run_id, key, offset, limit, out, n, more, a, err), &who, NULL, err);
}

int store_metric_bulk_interval(struct store *st, const struct store_bulk_interval *q, struct store_metric **out,
			       size_t *n, struct arena *a, struct mlf_err *err)
{
	return worded(BE(st)->metric_bulk_interval(st, q, out, n, a, err), NULL, NULL, err);
}

int store_dataset_search(struct store *st, const int64_t *experiment_ids, size_t n_exp,
			 struct store_dataset_summary **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	return worded(BE(st)->dataset_search(st, experiment_ids, n_exp, out, n, a, err), NULL, NULL, err);
}

/* ---- registered models ---------------------------------------------------------- */

int store_registered_model_create(struct store *st, const char *name, const char *description,
				  const struct store_kv *tags, size_t n_tags, struct store_registered_model *out,
				  struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name };
	return worded(REG(st)->model_create(st, name, description, tags, n_tags, out, a, err), &who, registry_words,
		      err);
}

int store_registered_model_get(struct store *st, const char *name, struct store_registered_model *out,
			       struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name };
	return worded(REG(st)->model_get(st, name, out, a, err), &who, registry_words, err);
}

int store_registered_model_rename(struct store *st, const char *name, const char *new_name,
				  struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name, .new_name = new_name };
	return worded(REG(st)->model_rename(st, name, new_name, out, a, err), &who, registry_words, err);
}

int store_registered_model_update(struct store *st, const char *name, const char *description,
				  struct store_registered_model *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name };
	return worded(REG(st)->model_update(st, name, description, out, a, err), &who, registry_words, err);
}

int store_registered_model_delete(struct store *st, const char *name, struct mlf_err *err)
{
	struct row_subject who = { .name = name };
	return worded(REG(st)->model_delete(st, name, err), &who, registry_words, err);
}

/* MLflow's test for a search that asks for prompts: the first condition
 * on the prompt tag is `= 'true'` or `!= 'false'` (any case). */
static bool querying_prompts(const struct filter *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct filter_cond *c = &f->conds[i];
		if (c->entity != FE_TAG || strcmp(c->key, PROMPT_TAG) != 0)
			continue;
		if (c->value.kind != FV_STRING)
			return false;
		return (c->op == FOP_EQ && !strcasecmp(c->value.str, "true")) ||
		       (c->op == FOP_NE && !strcasecmp(c->value.str, "false"));
	}
	return false;
}

/* Not asking for prompts: MLflow drops every condition on the prompt tag
 * (so `!= 'true'`, which the 3.x client appends, holds for a model without
 * the tag) and leaves prompts out; asking: they are ordinary tag
 * conditions. */
static struct store_search prompt_rule(const struct store_search *q)
{
	struct store_search row = *q;
	row.hide_tag = NULL;
	if (!querying_prompts(&q->filter)) {
		filter_assume_true(&q->filter, PROMPT_TAG);
		row.hide_tag = PROMPT_TAG;
	}
	return row;
}

int store_registered_model_search(struct store *st, const struct store_search *q,
				  struct store_registered_model **out, size_t *n, bool *more, struct arena *a,
				  struct mlf_err *err)
{
	struct store_search row = prompt_rule(q);
	return worded(REG(st)->model_search(st, &row, out, n, more, a, err), NULL, registry_words, err);
}

int store_registered_model_set_tag(struct store *st, const char *name, const char *key, const char *value,
				   struct mlf_err *err)
{
	struct row_subject who = { .name = name, .key = key };
	return worded(REG(st)->model_set_tag(st, name, key, value, err), &who, registry_words, err);
}

int store_registered_model_delete_tag(struct store *st, const char *name, const char *key, struct mlf_err *err)
{
	struct row_subject who = { .name = name, .key = key };
	return worded(REG(st)->model_delete_tag(st, name, key, err), &who, registry_words, err);
}

int store_registered_model_latest_versions(struct store *st, const char *name, const char *const *stages,
					   size_t n_stages, struct store_model_version **out, size_t *n,
					   struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name };
	return worded(REG(st)->latest_versions(st, name, stages, n_stages, out, n, a, err), &who, registry_words, err);
}

/* ---- aliases ----------------------------------------------------------------------- */

int store_model_alias_set(struct store *st, const char *name, const char *alias, int64_t version,
			  const struct store_actor *who, struct mlf_err *err)
{
	struct row_subject subject = { .name = name, .alias = alias, .version = version };
	return worded(REG(st)->alias_set(st, name, alias, version, who, err), &subject, registry_words, err);
}

int store_model_alias_delete(struct store *st, const char *name, const char *alias, const struct store_actor *who,
			     struct mlf_err *err)
{
	struct row_subject subject = { .name = name, .alias = alias };
	return worded(REG(st)->alias_delete(st, name, alias, who, err), &subject, registry_words, err);
}

int store_model_alias_get(struct store *st, const char *name, const char *alias, struct store_model_version *out,
			  struct arena *a, struct mlf_err *err)
{
	struct row_subject subject = { .name = name, .alias = alias };
	if (strcasecmp(alias, "latest") != 0)
		return worded(REG(st)->alias_get(st, name, alias, out, a, err), &subject, registry_words, err);
	/* MLflow's "latest": the highest live version, the top of its stage */
	struct store_model_version *latest;
	size_t n;
	if (worded(REG(st)->latest_versions(st, name, NULL, 0, &latest, &n, a, err), &subject, registry_words, err) < 0)
		return -1;
	if (!n)
		return worded(store_row_fail(err, STORE_ROW_NO_VERSIONS), &subject, registry_words, err);
	subject.version = latest[0].version;
	for (size_t i = 1; i < n; i++)
		if (latest[i].version > subject.version)
			subject.version = latest[i].version;
	return worded(REG(st)->version_get(st, name, subject.version, out, a, err), &subject, registry_words, err);
}

/* ---- model versions -------------------------------------------------------------- */

int store_model_version_create(struct store *st, const struct store_version_create *vc,
			       struct store_model_version *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = vc->name };
	return worded(REG(st)->version_create(st, vc, out, a, err), &who, registry_words, err);
}

int store_model_version_get(struct store *st, const char *name, int64_t version, struct store_model_version *out,
			    struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name, .version = version };
	return worded(REG(st)->version_get(st, name, version, out, a, err), &who, registry_words, err);
}

int store_model_version_update(struct store *st, const char *name, int64_t version, const char *description,
			       struct store_model_version *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name, .version = version };
	return worded(REG(st)->version_update(st, name, version, description, out, a, err), &who, registry_words, err);
}

int store_model_version_delete(struct store *st, const char *name, int64_t version, struct mlf_err *err)
{
	struct row_subject who = { .name = name, .version = version };
	return worded(REG(st)->version_delete(st, name, version, err), &who, registry_words, err);
}

int store_model_version_transition(struct store *st, const char *name, int64_t version, const char *stage,
				   bool archive_others, const struct store_actor *who, struct store_model_version *out,
				   struct arena *a, struct mlf_err *err)
{
	struct row_subject subject = { .name = name, .version = version };
	return worded(REG(st)->version_transition(st, name, version, stage, archive_others, who, out, a, err),
		      &subject, registry_words, err);
}

int store_model_version_search(struct store *st, const struct store_search *q, struct store_model_version **out,
			       size_t *n, bool *more, struct arena *a, struct mlf_err *err)
{
	struct store_search row = prompt_rule(q);
	return worded(REG(st)->version_search(st, &row, out, n, more, a, err), NULL, registry_words, err);
}

int store_model_version_set_tag(struct store *st, const char *name, int64_t version, const char *key,
				const char *value, struct mlf_err *err)
{
	struct row_subject who = { .name = name, .version = version, .key = key };
	return worded(REG(st)->version_set_tag(st, name, version, key, value, err), &who, registry_words, err);
}

int store_model_version_delete_tag(struct store *st, const char *name, int64_t version, const char *key,
				   struct mlf_err *err)
{
	struct row_subject who = { .name = name, .version = version, .key = key };
	return worded(REG(st)->version_delete_tag(st, name, version, key, err), &who, registry_words, err);
}

int store_registry_history(struct store *st, const char *name, int64_t version, struct store_registry_event **out,
			   size_t *n, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .name = name, .version = version };
	return worded(REG(st)->history(st, name, version, out, n, a, err), &who, registry_words, err);
}

/* ---- logged models ----------------------------------------------------------------- */

const char *const store_logged_order_fields[] = {
	"name", "model_id", "model_type", "status", "source_run_id",
	"creation_timestamp", "creation_timestamp_ms", "creation_time",
	"last_updated_timestamp", "last_updated_timestamp_ms", "last_updated_time",
	NULL,
};

int store_logged_model_create(struct store *st, const struct store_logged_model_create *lc,
			      struct store_logged_model *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .experiment_id = lc->experiment_id };
	struct store_experiment e;
	if (worded(BE(st)->experiment_get(st, lc->experiment_id, &e, a, err), &who, NULL, err) < 0)
		return -1;
	if (strcmp(e.lifecycle_stage, "active") != 0)
		return worded(store_row_fail(err, STORE_ROW_EXPERIMENT_DELETED), &who, NULL, err);
	/* MLflow's id and location: m-<32 hex>, <location>/models/<id>/artifacts */
	char hex[33];
	util_uuid_hex(hex);
	struct store_logged_model_create row = *lc;
	row.model_id = arena_printf(a, "m-%s", hex);
	size_t len = strlen(e.artifact_location);
	while (len && e.artifact_location[len - 1] == '/')
		len--;
	row.artifact_location =
		arena_printf(a, "%.*s/models/%s/artifacts", (int)len, e.artifact_location, row.model_id);
	return worded(LOGGED(st)->create(st, &row, out, a, err), &who, logged_words, err);
}

int store_logged_model_get(struct store *st, const char *model_id, bool allow_deleted,
			   struct store_logged_model *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .model_id = model_id };
	return worded(LOGGED(st)->get(st, model_id, allow_deleted, out, a, err), &who, logged_words, err);
}

int store_logged_model_finalize(struct store *st, const char *model_id, enum logged_model_status status,
				struct store_logged_model *out, struct arena *a, struct mlf_err *err)
{
	struct row_subject who = { .model_id = model_id };
	return worded(LOGGED(st)->finalize(st, model_id, status, out, a, err), &who, logged_words, err);
}

int store_logged_model_delete(struct store *st, const char *model_id, struct mlf_err *err)
{
	struct row_subject who = { .model_id = model_id };
	return worded(LOGGED(st)->delete_model(st, model_id, err), &who, logged_words, err);
}

int store_logged_model_set_tags(struct store *st, const char *model_id, const struct store_kv *tags, size_t n,
				struct mlf_err *err)
{
	struct row_subject who = { .model_id = model_id };
	return worded(LOGGED(st)->set_tags(st, model_id, tags, n, err), &who, logged_words, err);
}

int store_logged_model_delete_tag(struct store *st, const char *model_id, const char *key, struct mlf_err *err)
{
	struct row_subject who = { .model_id = model_id, .key = key };
	return worded(LOGGED(st)->delete_tag(st, model_id, key, err), &who, logged_words, err);
}

int store_logged_model_log_params(struct store *st, const char *model_id, const struct store_kv *params, size_t n,
				  struct mlf_err *err)
{
	struct row_subject who = { .model_id = model_id };
	return worded(LOGGED(st)->log_params(st, model_id, params, n, err), &who, logged_words, err);
}

/* MLflow's order fields: metrics.<key>, or a name from the list. */
static int check_logged_order(const struct store_logged_order *o, struct mlf_err *err)
{
	size_t np = strlen(METRICS_PREFIX);
	if (!strncmp(o->field, METRICS_PREFIX, np) && o->field[np])
		return 0;
	if (strchr(o->field, '.'))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "Invalid order by field name: %s. Only metrics are supported.", o->field);
	for (size_t i = 0; store_logged_order_fields[i]; i++)
		if (!strcmp(o->field, store_logged_order_fields[i]))
			return 0;
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Invalid order by field name: %s", o->field);
}

int store_logged_model_search(struct store *st, const struct store_logged_search *q,
			      struct store_logged_model **out, size_t *n, bool *more, struct arena *a,
			      struct mlf_err *err)
{
	for (size_t i = 0; i < q->n_order; i++)
		if (check_logged_order(&q->order[i], err) < 0)
			return -1;
	return worded(LOGGED(st)->search(st, q, out, n, more, a, err), NULL, logged_words, err);
}

int store_logged_model_link_run(struct store *st, const char *run_id, bool outputs,
				const struct store_model_link *links, size_t n, struct mlf_err *err)
{
	struct row_subject who = { .run_id = run_id };
	return worded(LOGGED(st)->link_run(st, run_id, outputs, links, n, err), &who, logged_words, err);
}
