/*
 * store_sqlite_retention.c - the rows of retention policies in the SQLite
 * store (store_retention.h): the policy tables of migrations 4 and 5, the runs
 * and archived versions a policy may act on, and the two changes applying
 * one makes (a run soft-deleted, a version's tombstone tag), each one
 * write transaction that re-reads its row first. Every statement binds its
 * values; statements are prepared per call (a command, not a request path).
 */
#include "store_retention.h"
#include "store_sqlite_int.h"
#include <stdarg.h>

/* Prepares `sql` and binds 't' text (NULL binds NULL) and 'i' int64
 * values. The caller finalizes it; NULL with `err` set. */
static sqlite3_stmt *ret_prepare(struct sqlite_conn *c, struct mlf_err *err, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite_conn_fail(c, sql, err);
		return NULL;
	}
	va_list ap;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't') {
			const char *v = va_arg(ap, const char *);
			if (v)
				sqlite_bind_text(s, i + 1, v);
			else
				sqlite3_bind_null(s, i + 1);
		} else {
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		}
	}
	va_end(ap);
	return s;
}

static int ret_done(struct sqlite_conn *c, sqlite3_stmt *s, struct mlf_err *err)
{
	int rc = s ? sqlite_step_done(c, s, err) : -1;
	sqlite3_finalize(s);
	return rc;
}

static void *grow(void *items, size_t size, size_t k, size_t *cap, struct arena *a)
{
	if (k < *cap)
		return items;
	void *bigger = arena_alloc(a, 2 * *cap * size);
	memcpy(bigger, items, *cap * size);
	*cap *= 2;
	return bigger;
}

/* ---- policies ----------------------------------------------------------------------- */

struct put_args {
	const struct store_retention_policy *p;
	int64_t now;
};

static int put_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct put_args *x = arg;
	const struct store_retention_policy *p = x->p;
	if (p->experiment_id != STORE_RETENTION_DEFAULT) {
		sqlite3_stmt *s = ret_prepare(c, err, "SELECT 1 FROM experiments WHERE experiment_id = ?1", "i",
					      p->experiment_id);
		bool row;
		if (!s || sqlite_step_row(c, s, &row, err) < 0) {
			sqlite3_finalize(s);
			return -1;
		}
		sqlite3_finalize(s);
		if (!row)
			return store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	}
	if (ret_done(c,
		     ret_prepare(c, err,
				 "INSERT OR REPLACE INTO retention_policies (experiment_id, keep_days, keep_registered,"
				 " prune_pattern, keep_last, archived_days, archived_action, move_to, updated_time,"
				 " move_storage_class) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
				 "iiitiittit", p->experiment_id, p->keep_days, (int64_t)p->keep_registered, p->prune,
				 p->keep_last, p->archived_days, p->archived_action, p->move_to, x->now,
				 p->move_storage_class),
		     err) < 0 ||
	    ret_done(c, ret_prepare(c, err, "DELETE FROM retention_keep_tags WHERE experiment_id = ?1", "i", p->experiment_id),
		     err) < 0)
		return -1;
	for (size_t i = 0; i < p->n_keep_tags; i++)
		if (ret_done(c,
			     ret_prepare(c, err,
					 "INSERT INTO retention_keep_tags (experiment_id, position, key, value)"
					 " VALUES (?1, ?2, ?3, ?4)",
					 "iitt", p->experiment_id, (int64_t)i, p->keep_tags[i].key, p->keep_tags[i].value),
			     err) < 0)
			return -1;
	return 0;
}

static int sq_policy_put(struct store *st, const struct store_retention_policy *p, int64_t now_ms, struct mlf_err *err)
{
	struct put_args x = { p, now_ms };
	return sqlite_pool_write(store_sqlite_pool(st), put_job, &x, err);
}

#define POLICY_COLUMNS                                                                                                 \
	"experiment_id, keep_days, keep_registered, prune_pattern, keep_last, archived_days, archived_action, move_to,"  \
	" updated_time, move_storage_class"

/* Reads the policies `s` selects, each with its keep tags. */
static int load_policies(struct sqlite_conn *c, sqlite3_stmt *s, struct store_retention_policy **out, size_t *n,
			 struct arena *a, struct mlf_err *err)
{
	size_t cap = 4, k = 0;
	struct store_retention_policy *p = arena_alloc(a, cap * sizeof(*p));
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		p = grow(p, sizeof(*p), k, &cap, a);
		memset(&p[k], 0, sizeof(p[k]));
		p[k].experiment_id = sqlite3_column_int64(s, 0);
		p[k].keep_days = sqlite3_column_int64(s, 1);
		p[k].keep_registered = sqlite3_column_int64(s, 2) != 0;
		p[k].prune = sqlite_col_text(s, 3, a);
		p[k].keep_last = sqlite3_column_int64(s, 4);
		p[k].archived_days = sqlite3_column_int64(s, 5);
		p[k].archived_action = sqlite_col_text(s, 6, a);
		p[k].move_to = sqlite_col_text(s, 7, a);
		p[k].updated_time = sqlite3_column_int64(s, 8);
		p[k].move_storage_class = sqlite_col_text(s, 9, a);
		k++;
	}
	if (step != SQLITE_DONE)
		return sqlite_conn_fail(c, "retention policies", err);
	for (size_t i = 0; i < k; i++) {
		sqlite3_stmt *t = ret_prepare(c, err,
					      "SELECT key, value FROM retention_keep_tags WHERE experiment_id = ?1"
					      " ORDER BY position",
					      "i", p[i].experiment_id);
		if (!t)
			return -1;
		size_t tcap = 2, m = 0;
		struct store_retention_tag *tags = arena_alloc(a, tcap * sizeof(*tags));
		while ((step = sqlite3_step(t)) == SQLITE_ROW) {
			tags = grow(tags, sizeof(*tags), m, &tcap, a);
			tags[m].key = sqlite_col_text(t, 0, a);
			tags[m].value = sqlite_col_text(t, 1, a);
			m++;
		}
		sqlite3_finalize(t);
		if (step != SQLITE_DONE)
			return sqlite_conn_fail(c, "retention keep tags", err);
		p[i].keep_tags = tags;
		p[i].n_keep_tags = m;
	}
	*out = p;
	*n = k;
	return 0;
}

static int sq_policy_get(struct store *st, int64_t experiment_id, struct store_retention_policy *out, bool *found,
			 struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = ret_prepare(c, err, "SELECT " POLICY_COLUMNS " FROM retention_policies WHERE experiment_id = ?1",
				      "i", experiment_id);
	struct store_retention_policy *p;
	size_t n = 0;
	int rc = s ? 0 : -1;
	if (s) {
		rc = load_policies(c, s, &p, &n, a, err);
		sqlite3_finalize(s);
	}
	*found = rc == 0 && n == 1;
	if (*found)
		*out = p[0];
	return sqlite_read_end(c, rc);
}

static int sq_policy_list(struct store *st, struct store_retention_policy **out, size_t *n, struct arena *a,
			  struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = ret_prepare(c, err, "SELECT " POLICY_COLUMNS " FROM retention_policies ORDER BY experiment_id", "");
	int rc = s ? load_policies(c, s, out, n, a, err) : -1;
	sqlite3_finalize(s);
	return sqlite_read_end(c, rc);
}

struct delete_args {
	int64_t id;
	bool *found;
};

static int delete_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct delete_args *x = arg;
	if (ret_done(c, ret_prepare(c, err, "DELETE FROM retention_policies WHERE experiment_id = ?1", "i", x->id), err) < 0)
		return -1;
	*x->found = sqlite3_changes(c->db) > 0;
	return ret_done(c, ret_prepare(c, err, "DELETE FROM retention_keep_tags WHERE experiment_id = ?1", "i", x->id), err);
}

static int sq_policy_delete(struct store *st, int64_t experiment_id, bool *found, struct mlf_err *err)
{
	struct delete_args x = { experiment_id, found };
	*found = false;
	return sqlite_pool_write(store_sqlite_pool(st), delete_job, &x, err);
}

/* ---- what a policy acts on --------------------------------------------------------------- */

static int sq_active_experiments(struct store *st, int64_t **ids, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = ret_prepare(c, err,
				      "SELECT experiment_id FROM experiments WHERE lifecycle_stage = 'active'"
				      " ORDER BY experiment_id",
				      "");
	int rc = s ? 0 : -1, step = SQLITE_DONE;
	size_t cap = 8, k = 0;
	int64_t *v = arena_alloc(a, cap * sizeof(*v));
	while (s && (step = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, sizeof(*v), k, &cap, a);
		v[k++] = sqlite3_column_int64(s, 0);
	}
	if (s && step != SQLITE_DONE)
		rc = sqlite_conn_fail(c, "active experiments", err);
	sqlite3_finalize(s);
	*ids = v;
	*n = k;
	return sqlite_read_end(c, rc);
}

static int sq_active_runs(struct store *st, int64_t experiment_id, bool has_cutoff, int64_t cutoff,
			  struct store_retention_run **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = ret_prepare(c, err,
				      "SELECT run_uuid, experiment_id, artifact_uri, start_time FROM runs"
				      " WHERE experiment_id = ?1 AND lifecycle_stage = 'active' AND (?2 = 0 OR start_time < ?3)"
				      " ORDER BY start_time, run_pk",
				      "iii", experiment_id, (int64_t)has_cutoff, cutoff);
	int rc = s ? 0 : -1, step = SQLITE_DONE;
	size_t cap = 16, k = 0;
	struct store_retention_run *r = arena_alloc(a, cap * sizeof(*r));
	while (s && (step = sqlite3_step(s)) == SQLITE_ROW) {
		r = grow(r, sizeof(*r), k, &cap, a);
		r[k].run_id = sqlite_col_text(s, 0, a);
		r[k].experiment_id = sqlite3_column_int64(s, 1);
		r[k].artifact_uri = sqlite_col_text(s, 2, a);
		r[k].start_time = sqlite3_column_int64(s, 3);
		k++;
	}
	if (s && step != SQLITE_DONE)
		rc = sqlite_conn_fail(c, "runs of a retention policy", err);
	sqlite3_finalize(s);
	*out = r;
	*n = k;
	return sqlite_read_end(c, rc);
}

/* ---- soft deletes ----------------------------------------------------------------------- */

struct soft_args {
	const char *run_id;
	int64_t experiment_id, cutoff, now;
	const struct store_retention_tag *tags;
	size_t n_tags;
	store_retention_check_fn check;
	void *ctx;
	bool dry;
	enum store_retention_outcome *outcome;
	const char **why;
	struct arena *a;
};

static int soft_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct soft_args *x = arg;
	sqlite3_stmt *s = ret_prepare(c, err,
				      "SELECT run_pk, experiment_id, artifact_uri, start_time, lifecycle_stage FROM runs"
				      " WHERE run_uuid = ?1",
				      "t", x->run_id);
	bool row;
	if (!s || sqlite_step_row(c, s, &row, err) < 0) {
		sqlite3_finalize(s);
		return -1;
	}
	*x->outcome = STORE_RETENTION_CHANGED;
	if (!row) {
		sqlite3_finalize(s);
		return 0;
	}
	int64_t pk = sqlite3_column_int64(s, 0);
	struct store_retention_run run = {
		.run_id = x->run_id,
		.experiment_id = sqlite3_column_int64(s, 1),
		.artifact_uri = sqlite_col_text(s, 2, x->a),
		.start_time = sqlite3_column_int64(s, 3),
	};
	bool active = !strcmp((const char *)sqlite3_column_text(s, 4), "active");
	sqlite3_finalize(s);
	if (!active || run.experiment_id != x->experiment_id || run.start_time >= x->cutoff)
		return 0;
	for (size_t i = 0; i < x->n_tags; i++) {
		s = ret_prepare(c, err,
				"SELECT 1 FROM tags WHERE run_pk = ?1 AND key = ?2 AND (?3 IS NULL OR value = ?3)", "itt",
				pk, x->tags[i].key, x->tags[i].value);
		if (!s || sqlite_step_row(c, s, &row, err) < 0) {
			sqlite3_finalize(s);
			return -1;
		}
		sqlite3_finalize(s);
		if (row) {
			*x->outcome = STORE_RETENTION_KEPT_TAG;
			*x->why = x->tags[i].value ? arena_printf(x->a, "tag %s=%s", x->tags[i].key, x->tags[i].value)
						   : arena_printf(x->a, "tag %s", x->tags[i].key);
			return 0;
		}
	}
	if (x->check) {
		bool keep = false;
		if (x->check(x->ctx, &run, &keep, x->why, x->a, err) < 0)
			return -1;
		if (keep) {
			*x->outcome = STORE_RETENTION_KEPT_REGISTERED;
			return 0;
		}
	}
	*x->outcome = STORE_RETENTION_DONE;
	if (x->dry)
		return 0;
	return ret_done(c,
			ret_prepare(c, err,
				    "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?2 WHERE run_pk = ?1", "ii",
				    pk, x->now),
			err);
}

static int sq_soft_delete_run(struct store *st, const char *run_id, int64_t experiment_id, int64_t cutoff,
			      const struct store_retention_tag *keep_tags, size_t n_keep_tags,
			      store_retention_check_fn check, void *ctx, bool dry, int64_t now_ms,
			      enum store_retention_outcome *outcome, const char **why, struct arena *a, struct mlf_err *err)
{
	struct soft_args x = { run_id, experiment_id, cutoff, now_ms, keep_tags, n_keep_tags, check, ctx, dry,
			       outcome, why, a };
	*why = NULL;
	if (dry) { /* the same checks on the reader: a dry run writes nothing (no
		    * transaction around them: the check opens its own) */
		struct sqlite_conn *c = sqlite_pool_reader(store_sqlite_pool(st), err);
		return c ? soft_job(c, &x, err) : -1;
	}
	return sqlite_pool_write(store_sqlite_pool(st), soft_job, &x, err);
}

struct locked_args {
	int (*fn)(void *ctx, struct mlf_err *err);
	void *ctx;
};

static int locked_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	(void)c;
	struct locked_args *x = arg;
	return x->fn(x->ctx, err);
}

static int sq_locked(struct store *st, int (*fn)(void *ctx, struct mlf_err *err), void *ctx, struct mlf_err *err)
{
	struct locked_args x = { fn, ctx };
	return sqlite_pool_write(store_sqlite_pool(st), locked_job, &x, err);
}

/* ---- archived versions -------------------------------------------------------------------- */

#define VERSION_COLUMNS                                                                                                \
	"m.name, v.version, v.source, v.storage_location, v.run_id, coalesce(r.experiment_id, -1), r.artifact_uri,"     \
	" v.last_updated_time"
#define VERSION_FROM                                                                                                   \
	" FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk"                                   \
	" LEFT JOIN runs r ON r.run_uuid = v.run_id AND v.run_id != ''"                                                 \
	" WHERE v.current_stage = 'Archived' AND v.last_updated_time < ?1 AND NOT EXISTS (SELECT 1 FROM"               \
	" model_version_tags t WHERE t.model_pk = v.model_pk AND t.version = v.version AND t.key IN"                   \
	" ('" STORE_RETENTION_MOVED_TAG "', '" STORE_RETENTION_DELETED_TAG "'))"

static int load_versions(struct sqlite_conn *c, sqlite3_stmt *s, struct store_retention_version **out, size_t *n,
			 struct arena *a, struct mlf_err *err)
{
	size_t cap = 8, k = 0;
	struct store_retention_version *v = arena_alloc(a, cap * sizeof(*v));
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, sizeof(*v), k, &cap, a);
		v[k].model_name = sqlite_col_text(s, 0, a);
		v[k].version = sqlite3_column_int64(s, 1);
		v[k].source = sqlite_col_text(s, 2, a);
		v[k].storage_location = sqlite_col_text(s, 3, a);
		v[k].run_id = sqlite_col_text(s, 4, a);
		v[k].run_experiment_id = sqlite3_column_int64(s, 5);
		v[k].run_artifact_uri = sqlite_col_text(s, 6, a);
		v[k].last_updated_time = sqlite3_column_int64(s, 7);
		k++;
	}
	if (step != SQLITE_DONE)
		return sqlite_conn_fail(c, "archived versions", err);
	*out = v;
	*n = k;
	return 0;
}

static int sq_archived_versions(struct store *st, int64_t cutoff, struct store_retention_version **out, size_t *n,
				struct arena *a, struct mlf_err *err)
{
	struct sqlite_conn *c = sqlite_read_begin(store_sqlite_pool(st), err);
	if (!c)
		return -1;
	sqlite3_stmt *s = ret_prepare(c, err, "SELECT " VERSION_COLUMNS VERSION_FROM " ORDER BY m.name, v.version", "i",
				      cutoff);
	int rc = s ? load_versions(c, s, out, n, a, err) : -1;
	sqlite3_finalize(s);
	return sqlite_read_end(c, rc);
}

struct tomb_args {
	const char *name;
	int64_t version, cutoff;
	store_retention_files_fn files;
	void *ctx;
	enum store_retention_outcome *outcome;
};

static int tomb_job(struct sqlite_conn *c, void *arg, struct mlf_err *err)
{
	struct tomb_args *x = arg;
	struct arena a = ARENA_INIT;
	struct store_retention_version *v;
	size_t n = 0;
	int rc = -1;
	sqlite3_stmt *s = ret_prepare(c, err, "SELECT " VERSION_COLUMNS VERSION_FROM " AND m.name = ?2 AND v.version = ?3",
				      "iti", x->cutoff, x->name, x->version);
	if (!s)
		return -1;
	rc = load_versions(c, s, &v, &n, &a, err);
	sqlite3_finalize(s);
	*x->outcome = STORE_RETENTION_CHANGED;
	if (rc < 0 || n != 1)
		goto out;
	struct store_retention_tombstone tomb = { 0 };
	rc = -1;
	if (x->files(x->ctx, &v[0], &tomb, &a, err) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tomb.tags) && rc == 0 && tomb.tags[i].key; i++)
		rc = ret_done(c,
			      ret_prepare(c, err,
					  "INSERT OR REPLACE INTO model_version_tags (model_pk, version, key, value)"
					  " SELECT model_pk, ?2, ?3, ?4 FROM registered_models WHERE name = ?1",
					  "titt", x->name, x->version, tomb.tags[i].key, tomb.tags[i].value),
			      err);
	if (rc == 0)
		*x->outcome = STORE_RETENTION_DONE;
out:
	arena_release(&a);
	return rc;
}

static int sq_tombstone_version(struct store *st, const char *model_name, int64_t version, int64_t cutoff,
				store_retention_files_fn files, void *ctx, enum store_retention_outcome *outcome,
				struct mlf_err *err)
{
	struct tomb_args x = { model_name, version, cutoff, files, ctx, outcome };
	return sqlite_pool_write(store_sqlite_pool(st), tomb_job, &x, err);
}

const struct store_retention_ops store_sqlite_retention_ops = {
	.policy_put = sq_policy_put,
	.policy_get = sq_policy_get,
	.policy_list = sq_policy_list,
	.policy_delete = sq_policy_delete,
	.active_experiments = sq_active_experiments,
	.active_runs = sq_active_runs,
	.soft_delete_run = sq_soft_delete_run,
	.locked = sq_locked,
	.archived_versions = sq_archived_versions,
	.tombstone_version = sq_tombstone_version,
};
