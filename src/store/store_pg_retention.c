/*
 * store_pg_retention.c - the rows of retention policies in the PostgreSQL
 * store (store_retention.h), the twin of store_sqlite_retention.c: the
 * policy tables of migrations 4 and 5, the runs and archived versions a policy
 * may act on, and the two changes applying one makes (a run soft-deleted,
 * a version's tombstone tag). Every statement binds its values; texts run
 * per call (a command, not a request path).
 *
 * SQLite's single writer makes each change atomic with its re-read; here
 * the change locks what it re-reads: the run FOR UPDATE before its soft
 * delete, the version FOR UPDATE before its tombstone, and, where files
 * are touched (a tombstone, `locked`), model_versions in SHARE ROW
 * EXCLUSIVE mode first, so no version is registered on or moved to a path
 * while files under it go (reads go on; gc's purges take the same lock).
 */
#include "store_retention.h"
#include "store_pg_int.h"
#include <string.h>

static int done(PGresult *r)
{
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static int lock_versions(struct pg_conn *c, struct mlf_err *err)
{
	return done(pg_query(c, err, "LOCK TABLE model_versions IN SHARE ROW EXCLUSIVE MODE", ""));
}

/* ---- policies ----------------------------------------------------------------------- */

struct put_args {
	const struct store_retention_policy *p;
	int64_t now;
};

static int put_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct put_args *x = arg;
	const struct store_retention_policy *p = x->p;
	if (p->experiment_id != STORE_RETENTION_DEFAULT) {
		PGresult *r = pg_query(c, err, "SELECT 1 FROM experiments WHERE experiment_id = $1 FOR SHARE", "i",
				       p->experiment_id);
		if (!r)
			return -1;
		bool found = PQntuples(r) > 0;
		PQclear(r);
		if (!found)
			return store_row_fail(err, STORE_ROW_EXPERIMENT_MISSING);
	}
	if (done(pg_query(c, err,
			  "INSERT INTO retention_policies (experiment_id, keep_days, keep_registered, prune_pattern,"
			  " keep_last, archived_days, archived_action, move_to, updated_time, move_storage_class)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (experiment_id) DO UPDATE SET"
			  " keep_days = excluded.keep_days, keep_registered = excluded.keep_registered,"
			  " prune_pattern = excluded.prune_pattern, keep_last = excluded.keep_last,"
			  " archived_days = excluded.archived_days, archived_action = excluded.archived_action,"
			  " move_to = excluded.move_to, updated_time = excluded.updated_time,"
			  " move_storage_class = excluded.move_storage_class",
			  "iibtiittit", p->experiment_id, p->keep_days, (int)p->keep_registered, p->prune, p->keep_last,
			  p->archived_days, p->archived_action, p->move_to, x->now, p->move_storage_class)) < 0 ||
	    done(pg_query(c, err, "DELETE FROM retention_keep_tags WHERE experiment_id = $1", "i", p->experiment_id)) < 0)
		return -1;
	if (!p->n_keep_tags)
		return 0;
	struct buf keys = BUF_INIT, values = BUF_INIT;
	pg_array_begin(&keys);
	pg_array_begin(&values);
	for (size_t i = 0; i < p->n_keep_tags; i++) {
		pg_array_add_text(&keys, p->keep_tags[i].key);
		pg_array_add_text(&values, p->keep_tags[i].value); /* NULL: any value */
	}
	pg_array_end(&keys);
	pg_array_end(&values);
	int rc = done(pg_query(c, err,
			       "INSERT INTO retention_keep_tags (experiment_id, position, key, value)"
			       " SELECT $1::bigint, o - 1, k, v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY"
			       " AS u(k, v, o)",
			       "itt", p->experiment_id, keys.ptr, values.ptr));
	buf_release(&keys);
	buf_release(&values);
	return rc;
}

static int pg_ret_policy_put(struct store *st, const struct store_retention_policy *p, int64_t now_ms,
			     struct mlf_err *err)
{
	struct put_args x = { p, now_ms };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, put_job, &x, err);
}

#define POLICY_COLUMNS                                                                                                 \
	"experiment_id, keep_days, keep_registered, prune_pattern, keep_last, archived_days, archived_action, move_to,"  \
	" updated_time, move_storage_class"

/* The policies `r` holds (POLICY_COLUMNS), each with its keep tags, read
 * in one more statement. */
static int load_policies(struct pg_conn *c, const PGresult *r, struct store_retention_policy **out, size_t *n,
			 struct arena *a, struct mlf_err *err)
{
	size_t k = (size_t)PQntuples(r);
	struct store_retention_policy *p = arena_alloc(a, (k ? k : 1) * sizeof(*p));
	struct buf ids = BUF_INIT;
	pg_array_begin(&ids);
	for (size_t i = 0; i < k; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].experiment_id = pg_col_int64(r, (int)i, 0);
		p[i].keep_days = pg_col_int64(r, (int)i, 1);
		p[i].keep_registered = pg_col_int64(r, (int)i, 2) != 0;
		p[i].prune = pg_col_text(r, (int)i, 3, a);
		p[i].keep_last = pg_col_int64(r, (int)i, 4);
		p[i].archived_days = pg_col_int64(r, (int)i, 5);
		p[i].archived_action = pg_col_text(r, (int)i, 6, a);
		p[i].move_to = pg_col_text(r, (int)i, 7, a);
		p[i].updated_time = pg_col_int64(r, (int)i, 8);
		p[i].move_storage_class = pg_col_text(r, (int)i, 9, a);
		p[i].keep_tags = arena_alloc(a, sizeof(*p[i].keep_tags));
		pg_array_add_int64(&ids, p[i].experiment_id);
	}
	pg_array_end(&ids);
	*out = p;
	*n = k;
	if (!k) {
		buf_release(&ids);
		return 0;
	}
	PGresult *t = pg_query(c, err,
			       "SELECT experiment_id, key, value FROM retention_keep_tags WHERE experiment_id ="
			       " ANY ($1::bigint[]) ORDER BY experiment_id, position",
			       "t", ids.ptr);
	buf_release(&ids);
	if (!t)
		return -1;
	int rows = PQntuples(t);
	for (int i = 0; i < rows; i++) {
		int64_t id = pg_col_int64(t, i, 0);
		for (size_t j = 0; j < k; j++) {
			if (p[j].experiment_id != id)
				continue;
			size_t m = p[j].n_keep_tags;
			if (m && (m & (m - 1)) == 0)
				p[j].keep_tags = arena_grow_array(a, p[j].keep_tags, m, 2 * m, sizeof(*p[j].keep_tags));
			p[j].keep_tags[m].key = pg_col_text(t, i, 1, a);
			p[j].keep_tags[m].value = pg_col_text(t, i, 2, a);
			p[j].n_keep_tags++;
			break;
		}
	}
	PQclear(t);
	return 0;
}

struct policies_args {
	bool one;
	int64_t id;
	struct store_retention_policy **out;
	size_t *n;
	struct arena *a;
};

static int policies_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct policies_args *x = arg;
	PGresult *r = x->one ? pg_query(c, err, "SELECT " POLICY_COLUMNS " FROM retention_policies WHERE experiment_id = $1",
					"i", x->id)
			     : pg_query(c, err, "SELECT " POLICY_COLUMNS " FROM retention_policies ORDER BY experiment_id",
					"");
	if (!r)
		return -1;
	int rc = load_policies(c, r, x->out, x->n, x->a, err);
	PQclear(r);
	return rc;
}

static int pg_ret_policy_get(struct store *st, int64_t experiment_id, struct store_retention_policy *out, bool *found,
			     struct arena *a, struct mlf_err *err)
{
	struct store_retention_policy *p = NULL;
	size_t n = 0;
	struct policies_args x = { true, experiment_id, &p, &n, a };
	int rc = pg_pool_tx(store_pg_pool(st), PG_TX_READ, policies_read, &x, err);
	*found = rc == 0 && n == 1;
	if (*found)
		*out = p[0];
	return rc;
}

static int pg_ret_policy_list(struct store *st, struct store_retention_policy **out, size_t *n, struct arena *a,
			      struct mlf_err *err)
{
	struct policies_args x = { false, 0, out, n, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, policies_read, &x, err);
}

struct delete_args {
	int64_t id;
	bool found;
};

static int delete_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct delete_args *x = arg;
	PGresult *r = pg_query(c, err, "DELETE FROM retention_policies WHERE experiment_id = $1", "i", x->id);
	if (!r)
		return -1;
	x->found = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	return done(pg_query(c, err, "DELETE FROM retention_keep_tags WHERE experiment_id = $1", "i", x->id));
}

static int pg_ret_policy_delete(struct store *st, int64_t experiment_id, bool *found, struct mlf_err *err)
{
	struct delete_args x = { experiment_id, false };
	*found = false;
	int rc = pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, delete_job, &x, err);
	if (rc == 0)
		*found = x.found;
	return rc;
}

/* ---- what a policy acts on --------------------------------------------------------------- */

struct ids_args {
	int64_t **ids;
	size_t *n;
	struct arena *a;
};

static int experiments_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct ids_args *x = arg;
	PGresult *r = pg_query(c, err,
			       "SELECT experiment_id FROM experiments WHERE lifecycle_stage = 'active' ORDER BY experiment_id",
			       "");
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	int64_t *v = arena_alloc(x->a, (k ? k : 1) * sizeof(*v));
	for (size_t i = 0; i < k; i++)
		v[i] = pg_col_int64(r, (int)i, 0);
	PQclear(r);
	*x->ids = v;
	*x->n = k;
	return 0;
}

static int pg_ret_active_experiments(struct store *st, int64_t **ids, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct ids_args x = { ids, n, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, experiments_read, &x, err);
}

struct runs_args {
	int64_t experiment_id;
	bool has_cutoff;
	int64_t cutoff;
	struct store_retention_run **out;
	size_t *n;
	struct arena *a;
};

static int runs_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct runs_args *x = arg;
	PGresult *r = pg_query(c, err,
			       "SELECT run_uuid, experiment_id, artifact_uri, start_time FROM runs"
			       " WHERE experiment_id = $1 AND lifecycle_stage = 'active' AND ($2::bigint = 0 OR start_time < $3)"
			       " ORDER BY start_time, run_pk",
			       "iii", x->experiment_id, (int64_t)x->has_cutoff, x->cutoff);
	if (!r)
		return -1;
	size_t k = (size_t)PQntuples(r);
	struct store_retention_run *v = arena_alloc(x->a, (k ? k : 1) * sizeof(*v));
	for (size_t i = 0; i < k; i++) {
		v[i].run_id = pg_col_text(r, (int)i, 0, x->a);
		v[i].experiment_id = pg_col_int64(r, (int)i, 1);
		v[i].artifact_uri = pg_col_text(r, (int)i, 2, x->a);
		v[i].start_time = pg_col_int64(r, (int)i, 3);
	}
	PQclear(r);
	*x->out = v;
	*x->n = k;
	return 0;
}

static int pg_ret_active_runs(struct store *st, int64_t experiment_id, bool has_cutoff, int64_t cutoff,
			      struct store_retention_run **out, size_t *n, struct arena *a, struct mlf_err *err)
{
	struct runs_args x = { experiment_id, has_cutoff, cutoff, out, n, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, runs_read, &x, err);
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

static int soft_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct soft_args *x = arg;
	/* a dry run reads in a read-only snapshot, where rows cannot be locked */
	PGresult *r = pg_query(c, err,
			       x->dry ? "SELECT run_pk, experiment_id, artifact_uri, start_time, lifecycle_stage FROM runs"
					" WHERE run_uuid = $1"
				      : "SELECT run_pk, experiment_id, artifact_uri, start_time, lifecycle_stage FROM runs"
					" WHERE run_uuid = $1 FOR UPDATE",
			       "t", x->run_id);
	if (!r)
		return -1;
	*x->outcome = STORE_RETENTION_CHANGED;
	*x->why = NULL;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	int64_t pk = pg_col_int64(r, 0, 0);
	struct store_retention_run run = {
		.run_id = x->run_id,
		.experiment_id = pg_col_int64(r, 0, 1),
		.artifact_uri = pg_col_text(r, 0, 2, x->a),
		.start_time = pg_col_int64(r, 0, 3),
	};
	bool active = !strcmp(PQgetvalue(r, 0, 4), "active");
	PQclear(r);
	if (!active || run.experiment_id != x->experiment_id || run.start_time >= x->cutoff)
		return 0;
	for (size_t i = 0; i < x->n_tags; i++) {
		r = pg_query(c, err, "SELECT 1 FROM tags WHERE run_pk = $1 AND key = $2 AND ($3::text IS NULL OR value = $3)",
			     "itt", pk, x->tags[i].key, x->tags[i].value);
		if (!r)
			return -1;
		bool row = PQntuples(r) > 0;
		PQclear(r);
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
	return done(pg_query(c, err, "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = $2 WHERE run_pk = $1",
			     "ii", pk, x->now));
}

static int pg_ret_soft_delete_run(struct store *st, const char *run_id, int64_t experiment_id, int64_t cutoff,
				  const struct store_retention_tag *keep_tags, size_t n_keep_tags,
				  store_retention_check_fn check, void *ctx, bool dry, int64_t now_ms,
				  enum store_retention_outcome *outcome, const char **why, struct arena *a,
				  struct mlf_err *err)
{
	struct soft_args x = { run_id, experiment_id, cutoff, now_ms, keep_tags, n_keep_tags, check, ctx, dry,
			       outcome, why, a };
	*why = NULL;
	return pg_pool_tx(store_pg_pool(st), dry ? PG_TX_READ : PG_TX_WRITE, soft_job, &x, err);
}

struct locked_args {
	int (*fn)(void *ctx, struct mlf_err *err);
	void *ctx;
};

static int locked_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct locked_args *x = arg;
	if (lock_versions(c, err) < 0)
		return -1;
	return x->fn(x->ctx, err);
}

static int pg_ret_locked(struct store *st, int (*fn)(void *ctx, struct mlf_err *err), void *ctx, struct mlf_err *err)
{
	struct locked_args x = { fn, ctx };
	return pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, locked_job, &x, err);
}

/* ---- archived versions -------------------------------------------------------------------- */

#define VERSION_COLUMNS                                                                                                \
	"m.name, v.version, v.source, v.storage_location, v.run_id, coalesce(r.experiment_id, -1), r.artifact_uri,"     \
	" v.last_updated_time"
#define VERSION_FROM                                                                                                   \
	" FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk"                                   \
	" LEFT JOIN runs r ON r.run_uuid = v.run_id AND v.run_id <> ''"                                                 \
	" WHERE v.current_stage = 'Archived' AND v.last_updated_time < $1 AND NOT EXISTS (SELECT 1 FROM"               \
	" model_version_tags t WHERE t.model_pk = v.model_pk AND t.version = v.version AND t.key IN"                   \
	" ('" STORE_RETENTION_MOVED_TAG "', '" STORE_RETENTION_DELETED_TAG "'))"

static void load_versions(const PGresult *r, struct store_retention_version **out, size_t *n, struct arena *a)
{
	size_t k = (size_t)PQntuples(r);
	struct store_retention_version *v = arena_alloc(a, (k ? k : 1) * sizeof(*v));
	for (size_t i = 0; i < k; i++) {
		v[i].model_name = pg_col_text(r, (int)i, 0, a);
		v[i].version = pg_col_int64(r, (int)i, 1);
		v[i].source = pg_col_text(r, (int)i, 2, a);
		v[i].storage_location = pg_col_text(r, (int)i, 3, a);
		v[i].run_id = pg_col_text(r, (int)i, 4, a);
		v[i].run_experiment_id = pg_col_int64(r, (int)i, 5);
		v[i].run_artifact_uri = pg_col_text(r, (int)i, 6, a);
		v[i].last_updated_time = pg_col_int64(r, (int)i, 7);
	}
	*out = v;
	*n = k;
}

struct versions_args {
	int64_t cutoff;
	struct store_retention_version **out;
	size_t *n;
	struct arena *a;
};

static int versions_read(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct versions_args *x = arg;
	PGresult *r = pg_query(c, err, "SELECT " VERSION_COLUMNS VERSION_FROM " ORDER BY m.name, v.version", "i",
			       x->cutoff);
	if (!r)
		return -1;
	load_versions(r, x->out, x->n, x->a);
	PQclear(r);
	return 0;
}

static int pg_ret_archived_versions(struct store *st, int64_t cutoff, struct store_retention_version **out, size_t *n,
				    struct arena *a, struct mlf_err *err)
{
	struct versions_args x = { cutoff, out, n, a };
	return pg_pool_tx(store_pg_pool(st), PG_TX_READ, versions_read, &x, err);
}

struct tomb_args {
	const char *name;
	int64_t version, cutoff;
	store_retention_files_fn files;
	void *ctx;
	enum store_retention_outcome outcome; /* written at the end of an attempt */
};

static int tomb_job(struct pg_conn *c, void *arg, struct mlf_err *err)
{
	struct tomb_args *x = arg;
	struct arena a = ARENA_INIT;
	struct store_retention_version *v;
	size_t n = 0;
	int rc = -1;
	if (lock_versions(c, err) < 0)
		return -1;
	PGresult *r = pg_query(c, err,
			       "SELECT " VERSION_COLUMNS VERSION_FROM " AND m.name = $2 AND v.version = $3 FOR UPDATE OF v",
			       "iti", x->cutoff, x->name, x->version);
	if (!r)
		return -1;
	load_versions(r, &v, &n, &a);
	PQclear(r);
	x->outcome = STORE_RETENTION_CHANGED;
	if (n != 1) {
		rc = 0;
		goto out;
	}
	struct store_retention_tombstone tomb = { 0 };
	if (x->files(x->ctx, &v[0], &tomb, &a, err) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tomb.tags) && rc == 0 && tomb.tags[i].key; i++)
		rc = done(pg_query(c, err,
				   "INSERT INTO model_version_tags (model_pk, version, key, value)"
				   " SELECT model_pk, $2::bigint, $3::text, $4::text FROM registered_models WHERE name = $1"
				   " ON CONFLICT (model_pk, version, key) DO UPDATE SET value = excluded.value",
				   "titt", x->name, x->version, tomb.tags[i].key, tomb.tags[i].value));
	if (rc == 0)
		x->outcome = STORE_RETENTION_DONE;
out:
	arena_release(&a);
	return rc;
}

static int pg_ret_tombstone_version(struct store *st, const char *model_name, int64_t version, int64_t cutoff,
				    store_retention_files_fn files, void *ctx, enum store_retention_outcome *outcome,
				    struct mlf_err *err)
{
	struct tomb_args x = { model_name, version, cutoff, files, ctx, STORE_RETENTION_CHANGED };
	int rc = pg_pool_tx(store_pg_pool(st), PG_TX_WRITE, tomb_job, &x, err);
	*outcome = x.outcome;
	return rc;
}

const struct store_retention_ops store_pg_retention_ops = {
	.policy_put = pg_ret_policy_put,
	.policy_get = pg_ret_policy_get,
	.policy_list = pg_ret_policy_list,
	.policy_delete = pg_ret_policy_delete,
	.active_experiments = pg_ret_active_experiments,
	.active_runs = pg_ret_active_runs,
	.soft_delete_run = pg_ret_soft_delete_run,
	.locked = pg_ret_locked,
	.archived_versions = pg_ret_archived_versions,
	.tombstone_version = pg_ret_tombstone_version,
};
