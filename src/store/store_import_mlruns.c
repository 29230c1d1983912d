/*
 * store_import_mlruns.c - the front of an import from MLflow's file store
 * (`mlruns/`, spec §8): walks the directory tree read-only and hands what
 * it finds to the same writers as the SQL import (store_import.h,
 * store_import_int.h), one transaction per experiment and one for the
 * registry.
 *
 * meta.yaml files are PyYAML's and are read with the project's YAML reader
 * (model_yaml.h, the safe loader's typing). Params and tags are one file
 * per key (nested keys are subdirectories, joined with '/'), the file's
 * bytes the value. Metric files hold `timestamp value step` lines (2-field
 * legacy lines mean step 0; 3.x's 5-field lines carry a dataset too);
 * `nan` becomes is_nan with value 0 and +/-inf +/-DBL_MAX, as MLflow's SQL
 * store keeps them. MLflow 3's logged models (`<experiment>/models/<id>/`:
 * meta.yaml, params/, tags/, metrics/ with `timestamp value step run_id
 * [dataset_name dataset_digest]` lines, artifacts/) go to the logged-model
 * tables with their artifacts copied and located as a run's; the runs'
 * inputs/ and outputs/ name them. Deleted experiments are read from `.trash/`. As
 * MLflow's FileStore does, a run directory (or experiment, or registered
 * model) without meta.yaml is left out; each is told through the `skipped`
 * hook and counted in the report. A metric line that is not one of the
 * three forms, or a meta.yaml that is not YAML, fails the import (the
 * experiment being written rolls back) rather than losing data quietly.
 * A dry run walks the tree exactly the same with writers that write
 * nothing. Source counts are counted as the tree is read; a metric line
 * repeating a point of its file counts as a duplicate, not a row, since
 * MLflow's SQL store and ours keep such a point once.
 */
#include "store_import_int.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "../model/model_yaml.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MLRUNS_MAX_DEPTH 32              /* nested key directories */
#define MLRUNS_MAX_FILE ((size_t)1 << 30) /* one metric file */

/* Run statuses as the file store writes them (RunStatus numbers). */
static const char *const run_status_names[] = { NULL, "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED" };

/* Sub-directories of an experiment that are not runs (spec §8.1). */
static const char *const experiment_reserved[] = { "tags", "datasets", "traces", "models" };

struct mlruns_ctx {
	struct store_import_job job;
	const char *root; /* as given */
	char root_abs[PATH_MAX];
	int64_t experiment_id;
	const char *experiment_dir;      /* in job.a */
	const char *experiment_location; /* as the source has it; NULL: nothing copied for it as a whole */
};

/* ---- files ------------------------------------------------------------------------ */

/* The whole of regular file `path` in `out` (NUL-terminated; the caller
 * releases it). *missing says it does not exist (then 0 is returned). */
static int read_file(const char *path, struct buf *out, bool *missing, struct mlf_err *err)
{
	buf_init(out, 64);
	if (missing)
		*missing = false;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && missing) {
			*missing = true;
			return 0;
		}
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read '%s': %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MLRUNS_MAX_FILE) {
		close(fd);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not a regular file of a file store", path);
	}
	buf_grow(out, (size_t)st.st_size + 1);
	char block[1 << 16];
	ssize_t got;
	while ((got = read(fd, block, sizeof(block))) > 0)
		buf_add(out, block, (size_t)got);
	int saved = errno;
	close(fd);
	if (got < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot read '%s': %s", path, strerror(saved));
	buf_addch(out, '\0');
	out->len--;
	return 0;
}

/* meta.yaml at `dir` parsed into *doc (owned by the caller; NULL when the
 * file is missing or empty, with *why saying which). */
static int read_meta(const char *dir, json_t **doc, const char **why, struct mlf_err *err)
{
	char path[PATH_MAX];
	*doc = NULL;
	*why = NULL;
	if (snprintf(path, sizeof(path), "%s/meta.yaml", dir) >= (int)sizeof(path))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long: '%s'", dir);
	struct buf text;
	bool missing;
	if (read_file(path, &text, &missing, err) < 0) {
		buf_release(&text);
		return -1;
	}
	if (missing) {
		buf_release(&text);
		*why = "it has no meta.yaml";
		return 0;
	}
	int rc = model_yaml_parse(text.ptr ? text.ptr : "", text.len, path, doc, err);
	buf_release(&text);
	if (rc < 0)
		return -1;
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		*why = "its meta.yaml is empty or not a mapping";
	}
	return 0;
}

/* The sorted names in `dir` (not . and ..), or n = 0 when it does not
 * exist. The caller frees each name and the array (free_names). */
static int list_dir(const char *dir, char ***names, size_t *n, struct mlf_err *err)
{
	*names = NULL;
	*n = 0;
	struct dirent **list = NULL;
	int got = scandir(dir, &list, NULL, alphasort);
	if (got < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot list '%s': %s", dir, strerror(errno));
	}
	*names = calloc((size_t)got + 1, sizeof(**names));
	for (int i = 0; i < got; i++) {
		const char *name = list[i]->d_name;
		if (*names && strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			(*names)[(*n)++] = strdup(name);
		free(list[i]);
	}
	free(list);
	if (!*names)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory listing '%s'", dir);
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* `dir`/`name` in `a`. */
static const char *join(struct arena *a, const char *dir, const char *name)
{
	return arena_printf(a, "%s/%s", dir, name);
}

/* Calls fn(arg, key, value, err) for each file below `dir` (a params/,
 * tags/ or metrics/ folder), keys being the relative paths joined with
 * '/', in sorted order. A missing `dir` has no keys. */
typedef int (*kv_fn)(void *arg, const char *key, const char *path, struct mlf_err *err);

static int walk_keys(const char *dir, const char *prefix, int depth, kv_fn fn, void *arg, struct mlf_err *err)
{
	if (depth > MLRUNS_MAX_DEPTH)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "keys nested too deep below '%s'", dir);
	char **names;
	size_t n;
	if (list_dir(dir, &names, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX], key[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path) ||
		    snprintf(key, sizeof(key), "%s%s", prefix, names[i]) >= (int)sizeof(key)) {
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "path too long below '%s'", dir);
			break;
		}
		if (is_dir(path)) {
			char sub[PATH_MAX + 1];
			if (snprintf(sub, sizeof(sub), "%s/", key) >= (int)sizeof(sub))
				rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "key too long below '%s'", dir);
			else
				rc = walk_keys(path, sub, depth + 1, fn, arg, err);
		} else {
			rc = fn(arg, key, path, err);
		}
	}
	free_names(names, n);
	return rc;
}

/* ---- YAML values ------------------------------------------------------------------- */

/* The text of `key` (a string, or a number's text in `a`); NULL when
 * absent or null. */
static const char *y_text(json_t *doc, const char *key, struct arena *a)
{
	json_t *v = json_object_get(doc, key);
	if (json_is_string(v))
		return arena_strdup(a, json_string_value(v));
	if (json_is_integer(v))
		return arena_printf(a, "%lld", (long long)json_integer_value(v));
	if (json_is_boolean(v))
		return json_is_true(v) ? "True" : "False";
	if (json_is_real(v))
		return arena_printf(a, "%.17g", json_real_value(v));
	return NULL;
}

/* The integer `key` (a YAML int, or a string of digits); `dflt` when
 * absent, null or not a number. */
static int64_t y_int(json_t *doc, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(doc, key);
	int64_t out;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v) && util_parse_int64(json_string_value(v), &out))
		return out;
	return dflt;
}

/* ---- one experiment ---------------------------------------------------------------- */

struct kv_list {
	struct store_kv *items;
	size_t n, cap;
	struct arena *a;
};

static int collect_kv(void *arg, const char *key, const char *path, struct mlf_err *err)
{
	struct kv_list *l = arg;
	struct buf text;
	if (read_file(path, &text, NULL, err) < 0) {
		buf_release(&text);
		return -1;
	}
	if (l->n == l->cap) {
		l->items = arena_grow_array(l->a, l->items, l->cap, l->cap ? l->cap * 2 : 8, sizeof(*l->items));
		l->cap = l->cap ? l->cap * 2 : 8;
	}
	l->items[l->n].key = arena_strdup(l->a, key);
	l->items[l->n++].value = arena_strndup(l->a, text.ptr ? text.ptr : "", text.len);
	buf_release(&text);
	return 0;
}

static int read_kv_dir(struct arena *a, const char *dir, struct kv_list *out, struct mlf_err *err)
{
	memset(out, 0, sizeof(*out));
	out->a = a;
	return walk_keys(dir, "", 0, collect_kv, out, err);
}

static void skip(struct mlruns_ctx *mc, const char *path, const char *why)
{
	mc->job.rep->skipped++;
	if (mc->job.hooks && mc->job.hooks->skipped)
		mc->job.hooks->skipped(mc->job.hooks->ctx, path, why);
}

static int import_datasets(struct store_import_tx *tx, struct mlruns_ctx *mc, struct mlf_err *err)
{
	const char *dir = join(&mc->job.a, mc->experiment_dir, "datasets");
	char **names;
	size_t n;
	if (list_dir(dir, &names, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *ddir = join(&mc->job.a, dir, names[i]);
		json_t *doc;
		const char *why;
		if (!is_dir(ddir))
			continue;
		if ((rc = read_meta(ddir, &doc, &why, err)) < 0)
			break;
		if (!doc) {
			skip(mc, ddir, why);
			continue;
		}
		struct arena *a = &mc->job.a;
		const char *name = y_text(doc, "name", a), *digest = y_text(doc, "digest", a),
			   *source_type = y_text(doc, "source_type", a), *source = y_text(doc, "source", a);
		struct store_dataset d = {
			.name = name ? name : "",
			.digest = digest ? digest : "",
			.source_type = source_type ? source_type : "",
			.source = source ? source : "",
			.schema = y_text(doc, "schema", a),
			.profile = y_text(doc, "profile", a),
		};
		json_decref(doc);
		mc->job.rep->source[STORE_IMPORT_DATASETS]++;
		rc = mc->job.ops->put_dataset(tx, names[i], mc->experiment_id, &d, err);
	}
	free_names(names, n);
	return rc;
}

struct metric_walk {
	struct store_import_tx *tx;
	struct mlruns_ctx *mc;
};

/* One point of a metric file: `timestamp value [step [dataset_name
 * dataset_digest]]`. */
static int parse_point(char *line, int64_t *ts, double *value, bool *is_nan, int64_t *step)
{
	char *fields[6];
	int n = 0;
	for (char *p = line; *p && n < 6;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (n != 2 && n != 3 && n != 5)
		return -1;
	if (!util_parse_int64(fields[0], ts))
		return -1;
	char *end;
	errno = 0;
	double v = strtod(fields[1], &end);
	if (end == fields[1] || *end)
		return -1;
	*step = 0;
	if (n >= 3 && !util_parse_int64(fields[2], step))
		return -1;
	*is_nan = isnan(v);
	*value = *is_nan ? 0.0 : isinf(v) ? (v > 0 ? DBL_MAX : -DBL_MAX) : v;
	return 0;
}

struct point {
	int64_t ts, step;
	double value;
	bool is_nan;
};

static int by_point(const void *a, const void *b)
{
	const struct point *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (int)x->is_nan - (int)y->is_nan;
}

/* One metric file: its lines parsed, sorted, and each distinct point put
 * once (a point logged twice is two lines here and one row in MLflow's SQL
 * store and ours: counted as a duplicate, not as a source row). */
static int import_metric_file(void *arg, const char *key, const char *path, struct mlf_err *err)
{
	struct metric_walk *w = arg;
	struct mlruns_ctx *mc = w->mc;
	struct buf text;
	if (read_file(path, &text, NULL, err) < 0) {
		buf_release(&text);
		return -1;
	}
	struct point *points = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	int64_t lineno = 0;
	char *p = text.ptr ? text.ptr : "";
	while (*p && rc == 0) {
		char *eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		lineno++;
		if (strspn(p, " \t\r") != strlen(p)) {
			if (n == cap) {
				size_t grown = cap ? cap * 2 : 64;
				struct point *more = realloc(points, grown * sizeof(*points));
				if (!more) {
					rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory reading '%s'", path);
					break;
				}
				points = more;
				cap = grown;
			}
			struct point *pt = &points[n];
			if (parse_point(p, &pt->ts, &pt->value, &pt->is_nan, &pt->step) < 0)
				rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
						"line %lld of metric file '%s' is not 'timestamp value step'",
						(long long)lineno, path);
			else
				n++;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	buf_release(&text);
	if (rc == 0 && n)
		qsort(points, n, sizeof(*points), by_point);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i && by_point(&points[i - 1], &points[i]) == 0) {
			mc->job.rep->duplicate_points++;
			continue;
		}
		rc = mc->job.ops->put_metric(w->tx, key, points[i].value, points[i].ts, points[i].step, points[i].is_nan,
					     err);
		mc->job.rep->source[STORE_IMPORT_METRICS]++;
		mc->job.rep->points_done++;
	}
	free(points);
	if (rc == 0 && n)
		mc->job.rep->source[STORE_IMPORT_LATEST_METRICS]++; /* one latest point per key */
	return rc;
}

static const struct {
	const char *dir;
	enum store_import_table table;
	bool param; /* put_param, else put_tag */
} run_kv_dirs[] = {
	{ "params", STORE_IMPORT_PARAMS, true },
	{ "tags", STORE_IMPORT_TAGS, false },
};

/* The run's inputs (datasets, 3.x model inputs) and 3.x model outputs. */
static int import_run_edges(struct store_import_tx *tx, struct mlruns_ctx *mc, const char *run_dir,
			    struct mlf_err *err)
{
	struct arena *a = &mc->job.a;
	static const char *const edge_dirs[] = { "inputs", "outputs" };
	int64_t seq = 0;
	for (size_t e = 0; e < ARRAY_SIZE(edge_dirs); e++) {
		const char *dir = join(a, run_dir, edge_dirs[e]);
		char **names;
		size_t n;
		if (list_dir(dir, &names, &n, err) < 0)
			return -1;
		int rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			const char *idir = join(a, dir, names[i]);
			json_t *doc;
			const char *why;
			if (!is_dir(idir))
				continue;
			if ((rc = read_meta(idir, &doc, &why, err)) < 0)
				break;
			if (!doc) {
				skip(mc, idir, why);
				continue;
			}
			const char *kind = y_text(doc, "source_type", a);
			const char *source_id = y_text(doc, "source_id", a);
			int64_t step = y_int(doc, "step", 0);
			struct store_kv *tags = NULL;
			size_t n_tags = 0;
			json_t *t = json_object_get(doc, "tags");
			if (json_is_object(t) && json_object_size(t)) {
				tags = arena_alloc(a, json_object_size(t) * sizeof(*tags));
				const char *k;
				json_t *v;
				json_object_foreach(t, k, v)
				{
					tags[n_tags].key = arena_strdup(a, k);
					tags[n_tags++].value = json_is_string(v) ? arena_strdup(a, json_string_value(v))
										 : arena_strdup(a, "");
				}
			}
			json_decref(doc);
			if (e == 1) { /* outputs/<model_id>/ */
				mc->job.rep->source[STORE_IMPORT_MODEL_LINKS]++;
				rc = mc->job.ops->put_model_link(tx, "output", names[i], step, err);
			} else if (kind && strcmp(kind, "MODEL") == 0) {
				mc->job.rep->source[STORE_IMPORT_MODEL_LINKS]++;
				rc = mc->job.ops->put_model_link(tx, "input", source_id ? source_id : "", step, err);
			} else {
				mc->job.rep->source[STORE_IMPORT_INPUTS]++;
				mc->job.rep->source[STORE_IMPORT_INPUT_TAGS] += (int64_t)n_tags;
				rc = mc->job.ops->put_input(tx, source_id ? source_id : "", seq++, tags, n_tags, err);
			}
		}
		free_names(names, n);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static const char *run_status(json_t *meta, struct arena *a)
{
	json_t *v = json_object_get(meta, "status");
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		return i >= 1 && i < (json_int_t)ARRAY_SIZE(run_status_names) ? run_status_names[i]
									       : arena_printf(a, "%lld", (long long)i);
	}
	return json_is_string(v) ? arena_strdup(a, json_string_value(v)) : "RUNNING";
}

static int import_run(struct store_import_tx *tx, struct mlruns_ctx *mc, const char *run_dir, const char *dir_name,
		      json_t *meta, struct mlf_err *err)
{
	struct arena *a = &mc->job.a;
	const char *run_id = y_text(meta, "run_id", a);
	if (!run_id)
		run_id = y_text(meta, "run_uuid", a);
	if (!run_id)
		run_id = dir_name;
	struct kv_list kv[ARRAY_SIZE(run_kv_dirs)];
	for (size_t i = 0; i < ARRAY_SIZE(run_kv_dirs); i++)
		if (read_kv_dir(a, join(a, run_dir, run_kv_dirs[i].dir), &kv[i], err) < 0)
			return -1;
	const char *name = y_text(meta, "run_name", a);
	for (size_t i = 0; !name && i < kv[1].n; i++) /* before 1.29 the name was only a tag */
		if (strcmp(kv[1].items[i].key, "mlflow.runName") == 0)
			name = kv[1].items[i].value;
	const char *uri = y_text(meta, "artifact_uri", a);
	uri = uri ? uri : "";
	if ((!mc->experiment_location || !store_import_uri_under(uri, mc->experiment_location)) &&
	    store_import_copy(&mc->job, uri, err) < 0)
		return -1;
	const char *user = y_text(meta, "user_id", a), *stage = y_text(meta, "lifecycle_stage", a);
	struct store_import_run r = {
		.run_id = run_id,
		.name = name ? name : "",
		.user_id = user ? user : "",
		.status = run_status(meta, a),
		.start_time = y_int(meta, "start_time", 0),
		.end_time = y_int(meta, "end_time", -1),
		.artifact_uri = store_import_relocate(&mc->job, uri),
		.lifecycle_stage = stage ? stage : "active",
		.deleted_time = y_int(meta, "deleted_time", -1),
		.experiment_id = mc->experiment_id,
	};
	const struct store_import_ops *ops = mc->job.ops;
	if (ops->put_run(tx, &r, err) < 0)
		return -1;
	mc->job.rep->source[STORE_IMPORT_RUNS]++;
	for (size_t d = 0; d < ARRAY_SIZE(run_kv_dirs); d++)
		for (size_t i = 0; i < kv[d].n; i++) {
			const struct store_kv *p = &kv[d].items[i];
			if ((run_kv_dirs[d].param ? ops->put_param : ops->put_tag)(tx, p->key, p->value, err) < 0)
				return -1;
			mc->job.rep->source[run_kv_dirs[d].table]++;
		}
	struct metric_walk w = { .tx = tx, .mc = mc };
	if (walk_keys(join(a, run_dir, "metrics"), "", 0, import_metric_file, &w, err) < 0 ||
	    ops->finish_run(tx, err) < 0)
		return -1;
	return import_run_edges(tx, mc, run_dir, err);
}

static bool reserved_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(experiment_reserved); i++)
		if (strcmp(name, experiment_reserved[i]) == 0)
			return true;
	return false;
}

static int import_runs(struct store_import_tx *tx, struct mlruns_ctx *mc, struct mlf_err *err)
{
	char **names;
	size_t n;
	if (list_dir(mc->experiment_dir, &names, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *run_dir = join(&mc->job.a, mc->experiment_dir, names[i]);
		if (reserved_name(names[i]) || !is_dir(run_dir))
			continue;
		json_t *meta;
		const char *why;
		if ((rc = read_meta(run_dir, &meta, &why, err)) < 0)
			break;
		if (!meta) { /* MLflow's FileStore leaves such a directory out of every listing */
			skip(mc, run_dir, why);
			continue;
		}
		rc = import_run(tx, mc, run_dir, names[i], meta, err);
		json_decref(meta);
		if (rc < 0) {
			char what[PATH_MAX + 16];
			snprintf(what, sizeof(what), "run %s", names[i]);
			rc = store_import_err_within(err, what);
			break;
		}
		mc->job.rep->runs_done++;
		store_import_progress(&mc->job, false);
	}
	free_names(names, n);
	return rc;
}

/* ---- 3.x logged models (`<experiment>/models/<model_id>/`) ---------------------------- */

/* LoggedModelStatus as the file store may spell it: the number, the
 * entity's name or the proto's. */
static const struct {
	const char *name;
	int64_t number;
} logged_model_statuses[] = {
	{ "LOGGED_MODEL_STATUS_UNSPECIFIED", 0 }, { "UNSPECIFIED", 0 },
	{ "LOGGED_MODEL_PENDING", 1 },            { "PENDING", 1 },
	{ "LOGGED_MODEL_READY", 2 },              { "READY", 2 },
	{ "LOGGED_MODEL_UPLOAD_FAILED", 3 },      { "FAILED", 3 },
};

static int64_t logged_model_status(json_t *meta)
{
	json_t *v = json_object_get(meta, "status");
	if (json_is_integer(v))
		return json_integer_value(v);
	for (size_t i = 0; json_is_string(v) && i < ARRAY_SIZE(logged_model_statuses); i++)
		if (strcmp(json_string_value(v), logged_model_statuses[i].name) == 0)
			return logged_model_statuses[i].number;
	return 0;
}

/* The first of `keys` the meta.yaml holds as an integer (3.x's entity
 * names and the SQL columns' names), else `dflt`. */
static int64_t y_int_any(json_t *doc, const char *const *keys, size_t n, int64_t dflt)
{
	for (size_t i = 0; i < n; i++)
		if (json_object_get(doc, keys[i]))
			return y_int(doc, keys[i], dflt);
	return dflt;
}

/* One point of a logged model's metric file: `timestamp value step run_id
 * [dataset_name dataset_digest]`, or without the run (3 or 5 fields: no
 * run_id, stored as ""). */
struct model_point {
	struct store_metric m;
	bool is_nan;
	size_t line; /* the later of two lines for one point wins */
};

static int parse_model_point(char *line, struct model_point *pt, struct arena *a)
{
	char *fields[7];
	int n = 0;
	for (char *p = line; *p && n < 7;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (n < 3 || n > 6)
		return -1;
	bool has_run = n == 4 || n == 6;
	char head[256];
	/* the first three fields are a run's metric line */
	if (snprintf(head, sizeof(head), "%s %s %s", fields[0], fields[1], fields[2]) >= (int)sizeof(head) ||
	    parse_point(head, &pt->m.timestamp, &pt->m.value, &pt->is_nan, &pt->m.step) < 0)
		return -1;
	int d = has_run ? 4 : 3; /* where the dataset fields start */
	pt->m.run_id = has_run ? arena_strdup(a, fields[3]) : "";
	pt->m.dataset_name = n >= d + 2 ? arena_strdup(a, fields[d]) : NULL;
	pt->m.dataset_digest = n >= d + 2 ? arena_strdup(a, fields[d + 1]) : NULL;
	return 0;
}

/* The key of logged_model_metrics: (timestamp, step, run_id); then the line. */
static int by_model_point(const void *pa, const void *pb)
{
	const struct model_point *x = pa, *y = pb;
	if (x->m.timestamp != y->m.timestamp)
		return x->m.timestamp < y->m.timestamp ? -1 : 1;
	if (x->m.step != y->m.step)
		return x->m.step < y->m.step ? -1 : 1;
	int c = strcmp(x->m.run_id, y->m.run_id);
	if (c)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

struct model_metric_walk {
	struct store_import_tx *tx;
	struct mlruns_ctx *mc;
	const char *model_id;
};

static int import_model_metric_file(void *arg, const char *key, const char *path, struct mlf_err *err)
{
	struct model_metric_walk *w = arg;
	struct mlruns_ctx *mc = w->mc;
	struct arena *a = &mc->job.a;
	struct buf text;
	if (read_file(path, &text, NULL, err) < 0) {
		buf_release(&text);
		return -1;
	}
	struct model_point *points = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	char *p = text.ptr ? text.ptr : "";
	for (size_t lineno = 1; *p && rc == 0; lineno++) {
		char *eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		if (strspn(p, " \t\r") != strlen(p)) {
			if (n == cap) {
				size_t grown = cap ? cap * 2 : 16;
				points = arena_grow_array(a, points, cap, grown, sizeof(*points));
				cap = grown;
			}
			points[n] = (struct model_point){ .m = { .key = key }, .line = lineno };
			if (parse_model_point(p, &points[n], a) < 0)
				rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
						"line %zu of logged model metric file '%s' is not 'timestamp value step "
						"[run_id] [dataset_name dataset_digest]'",
						lineno, path);
			else
				n++;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	buf_release(&text);
	if (rc == 0 && n)
		qsort(points, n, sizeof(*points), by_model_point);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i + 1 < n && points[i].m.timestamp == points[i + 1].m.timestamp &&
		    points[i].m.step == points[i + 1].m.step && !strcmp(points[i].m.run_id, points[i + 1].m.run_id)) {
			mc->job.rep->duplicate_points++; /* one row per point: the later line wins */
			continue;
		}
		rc = mc->job.ops->put_logged_model_metric(w->tx, w->model_id, &points[i].m, points[i].is_nan, err);
		mc->job.rep->source[STORE_IMPORT_LOGGED_MODEL_METRICS]++;
	}
	return rc;
}

static int import_logged_model(struct store_import_tx *tx, struct mlruns_ctx *mc, const char *mdir,
			       const char *dir_name, json_t *meta, struct mlf_err *err)
{
	static const char *const created_keys[] = { "creation_timestamp", "creation_timestamp_ms", "creation_time" };
	static const char *const updated_keys[] = { "last_updated_timestamp", "last_updated_timestamp_ms",
						    "last_update_time" };
	struct arena *a = &mc->job.a;
	const char *model_id = y_text(meta, "model_id", a);
	model_id = model_id ? model_id : dir_name;
	const char *name = y_text(meta, "name", a), *uri = y_text(meta, "artifact_location", a),
		   *stage = y_text(meta, "lifecycle_stage", a);
	uri = uri ? uri : "";
	if ((!mc->experiment_location || !store_import_uri_under(uri, mc->experiment_location)) &&
	    store_import_copy(&mc->job, uri, err) < 0)
		return -1;
	struct store_import_logged_model m = {
		.model_id = model_id,
		.name = name ? name : "",
		.artifact_location = store_import_relocate(&mc->job, uri),
		.lifecycle_stage = stage ? stage : "active",
		.model_type = y_text(meta, "model_type", a),
		.source_run_id = y_text(meta, "source_run_id", a), /* null: "", as the SQL import stores it */
		.status_message = y_text(meta, "status_message", a),
		.experiment_id = mc->experiment_id,
		.creation_time = y_int_any(meta, created_keys, ARRAY_SIZE(created_keys), 0),
		.status = logged_model_status(meta),
	};
	m.last_updated_time = y_int_any(meta, updated_keys, ARRAY_SIZE(updated_keys), m.creation_time);
	m.model_type = m.model_type ? m.model_type : "";
	m.source_run_id = m.source_run_id ? m.source_run_id : "";
	const struct store_import_ops *ops = mc->job.ops;
	if (ops->put_logged_model(tx, &m, err) < 0)
		return -1;
	mc->job.rep->source[STORE_IMPORT_LOGGED_MODELS]++;
	struct kv_list params, tags;
	if (read_kv_dir(a, join(a, mdir, "params"), &params, err) < 0 ||
	    read_kv_dir(a, join(a, mdir, "tags"), &tags, err) < 0)
		return -1;
	for (size_t i = 0; i < params.n; i++) {
		if (ops->put_logged_model_param(tx, model_id, params.items[i].key, params.items[i].value, err) < 0)
			return -1;
		mc->job.rep->source[STORE_IMPORT_LOGGED_MODEL_PARAMS]++;
	}
	for (size_t i = 0; i < tags.n; i++) {
		if (ops->put_logged_model_tag(tx, model_id, tags.items[i].key, tags.items[i].value, err) < 0)
			return -1;
		mc->job.rep->source[STORE_IMPORT_LOGGED_MODEL_TAGS]++;
	}
	struct model_metric_walk w = { tx, mc, model_id };
	return walk_keys(join(a, mdir, "metrics"), "", 0, import_model_metric_file, &w, err);
}

/* Every logged model of the experiment, with its params, tags and metrics;
 * its artifacts are copied (unless the experiment's location already
 * brought them) and its location rewritten as a run's. A directory without
 * meta.yaml is left out, as MLflow's FileStore leaves it out. */
static int import_logged_models(struct store_import_tx *tx, struct mlruns_ctx *mc, struct mlf_err *err)
{
	char **names;
	size_t n;
	const char *dir = join(&mc->job.a, mc->experiment_dir, "models");
	if (list_dir(dir, &names, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *mdir = join(&mc->job.a, dir, names[i]);
		json_t *meta;
		const char *why;
		if (!is_dir(mdir))
			continue;
		if ((rc = read_meta(mdir, &meta, &why, err)) < 0)
			break;
		if (!meta) {
			skip(mc, mdir, why);
			continue;
		}
		rc = import_logged_model(tx, mc, mdir, names[i], meta, err);
		json_decref(meta);
		if (rc < 0) {
			char what[PATH_MAX + 24];
			snprintf(what, sizeof(what), "logged model %s", names[i]);
			rc = store_import_err_within(err, what);
		}
	}
	free_names(names, n);
	return rc;
}

static int import_experiment_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct mlruns_ctx *mc = arg;
	struct arena *a = &mc->job.a;
	json_t *meta;
	const char *why;
	if (read_meta(mc->experiment_dir, &meta, &why, err) < 0)
		return -1;
	struct kv_list tags;
	if (read_kv_dir(a, join(a, mc->experiment_dir, "tags"), &tags, err) < 0) {
		json_decref(meta);
		return -1;
	}
	const char *name = y_text(meta, "name", a), *location = y_text(meta, "artifact_location", a),
		   *stage = y_text(meta, "lifecycle_stage", a);
	json_int_t created = y_int(meta, "creation_time", -1), updated = y_int(meta, "last_update_time", -1);
	json_decref(meta);
	location = location ? location : "";
	/* a default location inside the file store holds runs' metadata too:
	 * then only each run's own artifact URI is copied */
	const char *path = strncmp(location, "file://", 7) == 0 ? location + 7 : location;
	mc->experiment_location = store_import_uri_under(path, mc->root_abs) ? NULL : location;
	struct store_experiment x = {
		.id = mc->experiment_id,
		.name = name ? name : "",
		.artifact_location = store_import_relocate(&mc->job, location),
		.lifecycle_stage = stage ? stage : "active",
		.creation_time = created,
		.last_update_time = updated,
		.tags = tags.items,
		.n_tags = tags.n,
	};
	int rc = store_import_copy(&mc->job, mc->experiment_location, err);
	if (rc == 0 && (rc = mc->job.ops->put_experiment(tx, &x, err)) == 0) {
		mc->job.rep->source[STORE_IMPORT_EXPERIMENTS]++;
		mc->job.rep->source[STORE_IMPORT_EXPERIMENT_TAGS] += (int64_t)tags.n;
	}
	if (rc == 0)
		rc = import_datasets(tx, mc, err);
	if (rc == 0)
		rc = import_logged_models(tx, mc, err);
	if (rc == 0)
		rc = import_runs(tx, mc, err);
	if (rc < 0) {
		char what[64];
		snprintf(what, sizeof(what), "experiment %lld (rolled back)", (long long)mc->experiment_id);
		return store_import_err_within(err, what);
	}
	return mc->job.ops->count_experiment(tx, mc->experiment_id, mc->job.counts, err);
}

/* ---- the registry ------------------------------------------------------------------ */

struct version_dir {
	int64_t version;
	char *name;
};

static int by_version(const void *a, const void *b)
{
	const struct version_dir *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

struct model_walk {
	struct store_import_tx *tx;
	struct mlruns_ctx *mc;
	const char *name;
	int64_t version; /* 0: the registered model's tags */
};

static int put_model_tags(void *arg, const char *key, const char *path, struct mlf_err *err)
{
	struct model_walk *w = arg;
	struct buf text;
	if (read_file(path, &text, NULL, err) < 0) {
		buf_release(&text);
		return -1;
	}
	const char *value = text.ptr ? text.ptr : "";
	int rc;
	if (w->version) {
		rc = w->mc->job.ops->put_model_version_tag(w->tx, w->name, w->version, key, value, err);
		w->mc->job.rep->source[STORE_IMPORT_MODEL_VERSION_TAGS]++;
	} else {
		rc = w->mc->job.ops->put_registered_model_tag(w->tx, w->name, key, value, err);
		w->mc->job.rep->source[STORE_IMPORT_REGISTERED_MODEL_TAGS]++;
	}
	buf_release(&text);
	return rc;
}

static int put_alias_file(void *arg, const char *key, const char *path, struct mlf_err *err)
{
	struct model_walk *w = arg;
	struct buf text;
	if (read_file(path, &text, NULL, err) < 0) {
		buf_release(&text);
		return -1;
	}
	char *v = text.ptr ? text.ptr : "";
	v[strcspn(v, " \t\r\n")] = '\0';
	int64_t version;
	int rc = util_parse_int64(v, &version)
			 ? w->mc->job.ops->put_alias(w->tx, w->name, key, version, err)
			 : mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "alias file '%s' holds no version number", path);
	buf_release(&text);
	w->mc->job.rep->source[STORE_IMPORT_ALIASES]++;
	return rc;
}

static int import_versions(struct store_import_tx *tx, struct mlruns_ctx *mc, const char *mdir, const char *name,
			   struct mlf_err *err)
{
	struct arena *a = &mc->job.a;
	char **names;
	size_t n;
	if (list_dir(mdir, &names, &n, err) < 0)
		return -1;
	struct version_dir *versions = arena_alloc(a, (n ? n : 1) * sizeof(*versions));
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t v;
		if (strncmp(names[i], "version-", 8) == 0 && util_parse_int64(names[i] + 8, &v) &&
		    is_dir(join(a, mdir, names[i])))
			versions[nv++] = (struct version_dir){ v, names[i] };
	}
	qsort(versions, nv, sizeof(*versions), by_version);
	int rc = 0;
	for (size_t i = 0; i < nv && rc == 0; i++) {
		const char *vdir = join(a, mdir, versions[i].name);
		json_t *doc;
		const char *why;
		if ((rc = read_meta(vdir, &doc, &why, err)) < 0)
			break;
		if (!doc) {
			skip(mc, vdir, why);
			continue;
		}
		struct store_import_version v = {
			.name = name,
			.version = y_int(doc, "version", versions[i].version),
			.creation_time = y_int(doc, "creation_timestamp", 0),
			.last_updated_time = y_int(doc, "last_updated_timestamp", 0),
			.description = y_text(doc, "description", a),
			.user_id = y_text(doc, "user_id", a),
			.current_stage = y_text(doc, "current_stage", a),
			.source = store_import_relocate(&mc->job, y_text(doc, "source", a)),
			.storage_location = store_import_relocate(&mc->job, y_text(doc, "storage_location", a)),
			.run_id = y_text(doc, "run_id", a),
			.run_link = y_text(doc, "run_link", a),
			.status = y_text(doc, "status", a),
			.status_message = y_text(doc, "status_message", a),
		};
		json_decref(doc);
		if ((rc = mc->job.ops->put_model_version(tx, &v, err)) < 0)
			break;
		mc->job.rep->source[STORE_IMPORT_MODEL_VERSIONS]++;
		struct model_walk w = { tx, mc, name, v.version };
		rc = walk_keys(join(a, vdir, "tags"), "", 0, put_model_tags, &w, err);
	}
	free_names(names, n);
	return rc;
}

static int import_registry_tx(struct store_import_tx *tx, void *arg, struct mlf_err *err)
{
	struct mlruns_ctx *mc = arg;
	struct arena *a = &mc->job.a;
	const char *models = join(a, mc->root, "models");
	char **names;
	size_t n;
	if (list_dir(models, &names, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *mdir = join(a, models, names[i]);
		if (!is_dir(mdir))
			continue;
		json_t *doc;
		const char *why;
		if ((rc = read_meta(mdir, &doc, &why, err)) < 0)
			break;
		if (!doc) {
			skip(mc, mdir, why);
			continue;
		}
		const char *name = y_text(doc, "name", a);
		name = name ? name : arena_strdup(a, names[i]);
		rc = mc->job.ops->put_registered_model(tx, name, y_int(doc, "creation_timestamp", 0),
						       y_int(doc, "last_updated_timestamp", 0),
						       y_text(doc, "description", a), err);
		json_decref(doc);
		if (rc < 0)
			break;
		mc->job.rep->source[STORE_IMPORT_REGISTERED_MODELS]++;
		struct model_walk w = { tx, mc, name, 0 };
		if ((rc = walk_keys(join(a, mdir, "tags"), "", 0, put_model_tags, &w, err)) < 0 ||
		    (rc = import_versions(tx, mc, mdir, name, err)) < 0 ||
		    (rc = walk_keys(join(a, mdir, "aliases"), "", 0, put_alias_file, &w, err)) < 0)
			break;
		rc = mc->job.ops->count_model(tx, name, mc->job.counts, err);
	}
	free_names(names, n);
	if (rc < 0)
		return store_import_err_within(err, "the model registry (rolled back)");
	return 0;
}

/* ---- writers for a dry run ---------------------------------------------------------- */

static int dry_transaction(struct store *st, int (*fn)(struct store_import_tx *, void *, struct mlf_err *), void *arg,
			   struct mlf_err *err)
{
	(void)st;
	return fn(NULL, arg, err);
}
#define DRY(name, params, ...)                                                        \
	static int dry_##name(struct store_import_tx *tx, params, struct mlf_err *err) \
	{                                                                              \
		(void)tx;                                                              \
		(void)err;                                                             \
		__VA_ARGS__;                                                           \
		return 0;                                                              \
	}
#define P(...) __VA_ARGS__
DRY(put_experiment, const struct store_experiment *e, (void)e)
DRY(put_run, const struct store_import_run *r, (void)r)
DRY(put_kv, P(const char *k, const char *v), (void)k, (void)v)
DRY(put_metric, P(const char *k, double v, int64_t ts, int64_t step, bool nan), (void)k, (void)v, (void)ts,
    (void)step, (void)nan)
DRY(put_dataset, P(const char *id, int64_t e, const struct store_dataset *d), (void)id, (void)e, (void)d)
DRY(put_input, P(const char *id, int64_t seq, const struct store_kv *t, size_t n), (void)id, (void)seq, (void)t,
    (void)n)
DRY(put_model_link, P(const char *dir, const char *id, int64_t step), (void)dir, (void)id, (void)step)
DRY(count_experiment, P(int64_t id, int64_t counts[STORE_IMPORT_N_TABLES]), (void)id, (void)counts)
DRY(put_registered_model, P(const char *n, int64_t c, int64_t u, const char *d), (void)n, (void)c, (void)u,
    (void)d)
DRY(put_model_kv, P(const char *n, const char *k, const char *v), (void)n, (void)k, (void)v)
DRY(put_model_version, const struct store_import_version *v, (void)v)
DRY(put_model_version_tag, P(const char *n, int64_t v, const char *k, const char *t), (void)n, (void)v, (void)k,
    (void)t)
DRY(put_alias, P(const char *n, const char *al, int64_t v), (void)n, (void)al, (void)v)
DRY(count_model, P(const char *n, int64_t counts[STORE_IMPORT_N_TABLES]), (void)n, (void)counts)
#undef P
#undef DRY

static int dry_finish_run(struct store_import_tx *tx, struct mlf_err *err)
{
	(void)tx;
	(void)err;
	return 0;
}

static const struct store_import_ops dry_ops = {
	.transaction = dry_transaction,
	.put_experiment = dry_put_experiment,
	.put_run = dry_put_run,
	.put_param = dry_put_kv,
	.put_tag = dry_put_kv,
	.put_metric = dry_put_metric,
	.finish_run = dry_finish_run,
	.put_dataset = dry_put_dataset,
	.put_input = dry_put_input,
	.put_model_link = dry_put_model_link,
	.count_experiment = dry_count_experiment,
	.put_registered_model = dry_put_registered_model,
	.put_registered_model_tag = dry_put_model_kv,
	.put_model_version = dry_put_model_version,
	.put_model_version_tag = dry_put_model_version_tag,
	.put_alias = dry_put_alias,
	.count_model = dry_count_model,
};

/* ---- the whole import ---------------------------------------------------------------- */

struct experiment_dir {
	int64_t id;
	char *dir; /* malloc'd */
};

static int by_id(const void *a, const void *b)
{
	const struct experiment_dir *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Every `<id>/` of the root and of `.trash/`, sorted by id; experiment
 * directories without meta.yaml are told to `mc` (when given) and left
 * out. The caller frees each dir and the array. */
static int list_experiments(const char *root, struct mlruns_ctx *mc, struct experiment_dir **out, size_t *n_out,
			    struct mlf_err *err)
{
	*out = NULL;
	*n_out = 0;
	size_t cap = 0;
	static const char *const parents[] = { "", "/.trash" };
	for (size_t p = 0; p < ARRAY_SIZE(parents); p++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s%s", root, parents[p]);
		char **names;
		size_t n;
		if (list_dir(dir, &names, &n, err) < 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			char edir[PATH_MAX], meta[PATH_MAX];
			int64_t id;
			if (!all_digits(names[i]))
				continue;
			if (snprintf(edir, sizeof(edir), "%s/%s", dir, names[i]) >= (int)sizeof(edir) ||
			    snprintf(meta, sizeof(meta), "%s/meta.yaml", edir) >= (int)sizeof(meta) || !is_dir(edir))
				continue;
			if (!util_parse_int64(names[i], &id)) {
				free_names(names, n);
				mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					   "experiment directory '%s' has an id beyond 64-bit integers", edir);
				goto fail;
			}
			if (access(meta, F_OK) != 0) {
				if (mc)
					skip(mc, edir, "it has no meta.yaml");
				continue;
			}
			if (*n_out == cap) {
				cap = cap ? cap * 2 : 16;
				struct experiment_dir *grown = realloc(*out, cap * sizeof(**out));
				if (!grown) {
					free_names(names, n);
					mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
					goto fail;
				}
				*out = grown;
			}
			(*out)[*n_out].id = id;
			(*out)[(*n_out)++].dir = strdup(edir);
		}
		free_names(names, n);
	}
	if (*n_out)
		qsort(*out, *n_out, sizeof(**out), by_id);
	for (size_t i = 1; i < *n_out; i++)
		if ((*out)[i].id == (*out)[i - 1].id) {
			mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "experiment %lld is in both '%s' and '%s'",
				   (long long)(*out)[i].id, (*out)[i - 1].dir, (*out)[i].dir);
			goto fail;
		}
	return 0;
fail:
	for (size_t i = 0; i < *n_out; i++)
		free((*out)[i].dir);
	free(*out);
	*out = NULL;
	*n_out = 0;
	return -1;
}

static void free_experiments(struct experiment_dir *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].dir);
	free(e);
}

int store_import_check_mlruns(const char *root, struct mlf_err *err)
{
	struct stat st;
	if (stat(root, &st) < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' does not exist", root);
	if (!S_ISDIR(st.st_mode))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%s' is not a directory", root);
	struct experiment_dir *e;
	size_t n;
	if (list_experiments(root, NULL, &e, &n, err) < 0)
		return -1;
	free_experiments(e, n);
	if (!n)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "'%s' is not an MLflow file store (no <experiment id>/meta.yaml in it or in its .trash)",
				  root);
	return 0;
}

static const enum store_import_table mlruns_tables[] = {
	STORE_IMPORT_EXPERIMENTS,	    STORE_IMPORT_EXPERIMENT_TAGS,  STORE_IMPORT_RUNS,
	STORE_IMPORT_PARAMS,		    STORE_IMPORT_TAGS,		   STORE_IMPORT_METRICS,
	STORE_IMPORT_LATEST_METRICS,	    STORE_IMPORT_DATASETS,	   STORE_IMPORT_INPUTS,
	STORE_IMPORT_INPUT_TAGS,	    STORE_IMPORT_MODEL_LINKS,	   STORE_IMPORT_LOGGED_MODELS,
	STORE_IMPORT_REGISTERED_MODELS,	    STORE_IMPORT_REGISTERED_MODEL_TAGS, STORE_IMPORT_MODEL_VERSIONS,
	STORE_IMPORT_MODEL_VERSION_TAGS, STORE_IMPORT_ALIASES, STORE_IMPORT_LOGGED_MODEL_PARAMS,
	STORE_IMPORT_LOGGED_MODEL_TAGS,	 STORE_IMPORT_LOGGED_MODEL_METRICS,
};

int store_import_mlflow_mlruns(struct store *st, const char *root, const struct store_import_hooks *h, bool dry_run,
			       struct store_import_report *rep, struct mlf_err *err)
{
	memset(rep, 0, sizeof(*rep));
	rep->file_store = true;
	if (!dry_run && (!st || !st->import))
		return mlf_errorf(err, MLF_NOT_IMPLEMENTED, "this backend store cannot import");
	if (store_import_check_mlruns(root, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(mlruns_tables); i++)
		rep->present[mlruns_tables[i]] = true;
	struct mlruns_ctx mc = {
		.job = { .st = st, .ops = dry_run ? &dry_ops : st->import, .hooks = h, .rep = rep },
		.root = root,
	};
	if (!realpath(root, mc.root_abs))
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot resolve '%s': %s", root, strerror(errno));
	struct experiment_dir *exps;
	size_t n;
	if (list_experiments(root, &mc, &exps, &n, err) < 0)
		return -1;
	rep->experiments_total = (int64_t)n;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		mc.experiment_id = exps[i].id;
		mc.experiment_dir = exps[i].dir;
		mc.experiment_location = NULL;
		if ((rc = store_import_commit(&mc.job, import_experiment_tx, &mc, err)) == 0) {
			rep->experiments_done++;
			store_import_progress(&mc.job, false);
		}
	}
	free_experiments(exps, n);
	if (rc == 0)
		rc = store_import_commit(&mc.job, import_registry_tx, &mc, err);
	arena_release(&mc.job.a);
	store_import_progress(&mc.job, true);
	if (rc == 0 && !dry_run)
		rc = store_import_check_counts(rep, err);
	return rc;
}
