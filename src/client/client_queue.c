/*
 * client_queue.c - the asynchronous metric pipeline: a bounded ring of
 * points filled by mlf_log_metric and drained by one sender thread into
 * runs/log-batch requests.
 *
 * The producer's path is a mutex, an intern-table lookup of the key (so a
 * point holds pointers to strings that live as long as the client, never
 * copies) and a 40-byte copy; it signals the sender only when the sender
 * sleeps. The sender takes up to 1000 points at a time from the head,
 * freeing their slots at once, and sends them grouped by run (each run's
 * points in queue order, so per-key order is call order). Points leave the
 * `done` count only after the server acknowledged them or their request
 * failed for good; mlf_flush waits on that count.
 */
#include "client_int.h"
#include "../base/util.h"
#include "../json/jw.h"

/* ---------------------------------------------------------------- intern */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int intern_rehash(struct intern *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 64;
	uint32_t *slots = malloc(n * sizeof(*slots));
	if (!slots)
		return -1;
	memset(slots, 0xff, n * sizeof(*slots));
	for (size_t i = 0; i < t->n; i++) {
		size_t k = hash_str(t->names[i]) & (n - 1);
		while (slots[k] != UINT32_MAX)
			k = (k + 1) & (n - 1);
		slots[k] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

static const char *intern_add(struct intern *t, const char *s, size_t slot)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **names = realloc(t->names, cap * sizeof(*names));
		if (!names)
			return NULL;
		t->names = names;
		t->cap = cap;
	}
	size_t len = strlen(s);
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len + 1);
	t->names[t->n] = copy;
	t->slots[slot] = (uint32_t)t->n++;
	return copy;
}

const char *intern_get(struct intern *t, const char *s)
{
	if ((t->n + 1) * 2 > t->nslots && intern_rehash(t))
		return NULL;
	size_t k = hash_str(s) & (t->nslots - 1);
	for (; t->slots[k] != UINT32_MAX; k = (k + 1) & (t->nslots - 1)) {
		const char *name = t->names[t->slots[k]];
		if (strcmp(name, s) == 0)
			return name;
	}
	return intern_add(t, s, k);
}

void intern_release(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- producer */

enum mlf_result mlf_log_metric(mlf_run *run, const char *key, double value, int64_t timestamp_ms, int64_t step)
{
	if (!run || !key || !*key || strlen(key) > CLIENT_KEY_MAX)
		return client_fail(MLF_CLIENT_ERR_INVALID, "metric key must be 1 to %d bytes", CLIENT_KEY_MAX);
	mlf_client *c = run->client;
	struct point p = { run->id, NULL, value, timestamp_ms ? timestamp_ms : util_now_ms(), step };
	pthread_mutex_lock(&c->mu);
	enum mlf_result r = MLF_CLIENT_OK;
	while (!c->stopping && c->count == c->opt.queue_capacity && c->opt.on_full == MLF_QUEUE_FULL_BLOCK) {
		c->producers_waiting++;
		pthread_cond_wait(&c->not_full, &c->mu);
		c->producers_waiting--;
	}
	if (c->stopping)
		r = client_fail(MLF_CLIENT_ERR_CLOSED, "the client is closing");
	else if (c->count == c->opt.queue_capacity)
		r = client_fail(MLF_CLIENT_ERR_QUEUE_FULL, "metric queue full (%zu points)", c->count);
	else if (!(p.key = intern_get(&c->names, key)))
		r = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory interning a metric key");
	if (r == MLF_CLIENT_OK) {
		size_t tail = c->head + c->count;
		c->ring[tail >= c->opt.queue_capacity ? tail - c->opt.queue_capacity : tail] = p;
		c->count++;
		c->enqueued++;
		if (c->sender_idle)
			pthread_cond_signal(&c->not_empty);
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* ---------------------------------------------------------------- sender */

/* The outcome of sending one taken batch. */
struct batch_result {
	uint64_t acked, failed;
	enum mlf_result last;  /* MLF_CLIENT_OK, or the last failure */
	char err[512];
};

static void write_metric(struct jw *w, const struct point *p)
{
	jw_obj_begin(w);
	jw_kv_str(w, "key", p->key);
	jw_kv_double(w, "value", p->value);
	jw_kv_int(w, "timestamp", p->timestamp);
	jw_kv_int(w, "step", p->step);
	jw_obj_end(w);
}

/* Writes the log-batch body for the points of b[first]'s run, marking them
 * used. Returns how many, or 0 when the body could not be allocated. */
static size_t write_batch(const struct point *b, size_t n, size_t first, bool *used, struct buf *body)
{
	const char *run = b[first].run_id;
	buf_reset(body);
	struct jw w;
	jw_init(&w, body);
	jw_obj_begin(&w);
	jw_kv_str(&w, "run_id", run);
	jw_key(&w, "metrics");
	jw_arr_begin(&w);
	size_t m = 0;
	for (size_t i = first; i < n; i++) {
		if (used[i] || b[i].run_id != run)
			continue;
		write_metric(&w, &b[i]);
		used[i] = true;
		m++;
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	return jw_failed(&w) ? 0 : m;
}

static size_t count_run(const struct point *b, size_t n, size_t first, const bool *used)
{
	size_t m = 0;
	for (size_t i = first; i < n; i++)
		m += !used[i] && b[i].run_id == b[first].run_id;
	return m;
}

static void send_one(mlf_client *c, struct buf *body, size_t m, struct batch_result *res)
{
	struct creply rep = { .body = BUF_INIT_STICKY };
	enum mlf_result r = c->transport->call(c, &c->send, "POST", "runs/log-batch", body, &rep);
	buf_release(&rep.body);
	if (r == MLF_CLIENT_OK) {
		res->acked += m;
		return;
	}
	res->failed += m;
	res->last = r;
	snprintf(res->err, sizeof(res->err), "%s", mlf_last_error());
}

static void send_batch(mlf_client *c, const struct point *b, size_t n, struct batch_result *res)
{
	bool used[CLIENT_BATCH_MAX] = { false };
	struct buf body = BUF_INIT_STICKY;
	for (size_t i = 0; i < n; i++) {
		if (used[i])
			continue;
		size_t want = count_run(b, n, i, used);
		size_t m = write_batch(b, n, i, used, &body);
		if (m == 0) { /* no memory for the body: those points fail */
			for (size_t j = i; j < n; j++)
				used[j] = used[j] || b[j].run_id == b[i].run_id;
			res->failed += want;
			res->last = client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory writing a log-batch body");
			snprintf(res->err, sizeof(res->err), "%s", mlf_last_error());
			continue;
		}
		send_one(c, &body, m, res);
	}
	buf_release(&body);
}

/* Under c->mu: waits for points, copies up to a batch out of the ring. */
static size_t take(mlf_client *c, struct point *b)
{
	while (c->count == 0 && !c->stopping) {
		c->sender_idle = true;
		pthread_cond_wait(&c->not_empty, &c->mu);
		c->sender_idle = false;
	}
	size_t n = c->count < CLIENT_BATCH_MAX ? c->count : CLIENT_BATCH_MAX;
	for (size_t i = 0; i < n; i++) {
		b[i] = c->ring[c->head];
		if (++c->head == c->opt.queue_capacity)
			c->head = 0;
	}
	c->count -= n;
	if (n && c->producers_waiting)
		pthread_cond_broadcast(&c->not_full);
	return n;
}

static void settle(mlf_client *c, size_t n, const struct batch_result *res)
{
	c->st.sent += res->acked;
	c->st.failed += res->failed;
	c->done += n;
	if (res->last != MLF_CLIENT_OK) {
		c->async_result = res->last;
		snprintf(c->async_err, sizeof(c->async_err), "%s", res->err);
	}
	if (c->flushers_waiting)
		pthread_cond_broadcast(&c->drained);
}

static void *sender_main(void *arg)
{
	mlf_client *c = arg;
	struct point *b = c->batch;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		size_t n = take(c, b);
		if (n == 0)
			break; /* stopping and drained */
		pthread_mutex_unlock(&c->mu);
		struct batch_result res = { .last = MLF_CLIENT_OK };
		send_batch(c, b, n, &res);
		pthread_mutex_lock(&c->mu);
		settle(c, n, &res);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* ---------------------------------------------------------------- lifecycle */

enum mlf_result queue_init(mlf_client *c)
{
	c->ring = malloc(c->opt.queue_capacity * sizeof(*c->ring));
	c->batch = malloc(CLIENT_BATCH_MAX * sizeof(*c->batch));
	if (!c->ring || !c->batch)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "out of memory for a %zu-point queue", c->opt.queue_capacity);
	/* Touch the ring now so that page faults are paid at open, not inside
	 * the producers' mlf_log_metric calls. Through a volatile pointer and
	 * one write per page: a memset of zeros after malloc is turned into
	 * calloc by the compiler, which maps zero pages lazily and so moved
	 * every fault back into mlf_log_metric. */
	volatile char *touch = (volatile char *)c->ring;
	size_t bytes = c->opt.queue_capacity * sizeof(*c->ring);
	for (size_t off = 0; off < bytes; off += 4096)
		touch[off] = 1;
	return chttp_init(&c->send);
}

enum mlf_result queue_start(mlf_client *c)
{
	if (pthread_create(&c->sender, NULL, sender_main, c) != 0)
		return client_fail(MLF_CLIENT_ERR_NOMEM, "cannot start the sender thread");
	c->sender_started = true;
	return MLF_CLIENT_OK;
}

void queue_stop(mlf_client *c)
{
	if (c->sender_started) {
		pthread_mutex_lock(&c->mu);
		c->stopping = true;
		pthread_cond_broadcast(&c->not_empty);
		pthread_cond_broadcast(&c->not_full);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->sender, NULL);
		c->sender_started = false;
	}
	chttp_release(&c->send);
	free(c->ring);
	free(c->batch);
	c->ring = c->batch = NULL;
}
