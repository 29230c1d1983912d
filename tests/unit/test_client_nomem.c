/*
 * test_client_nomem.c - allocation-failure injection for libmlflowc: checks
 * the promise of include/mlflowc.h that the library never aborts its host
 * (an allocation failure is MLF_CLIENT_ERR_NOMEM, not a crash).
 *
 * This executable defines malloc, calloc, realloc, free and the aligned
 * forms on top of glibc's __libc_* entry points, so every allocation of the
 * process goes through them: libmlflowc's, jansson's, libcurl's (and
 * OpenSSL's), glibc's own (fopen, strdup, pthread_create). A countdown makes
 * the Nth allocation fail, once, but only in "client" threads: the test's
 * thread while it runs the scenario (the host), and the threads that thread
 * starts (pthread_create is wrapped so a new thread inherits the role): the
 * library's metric sender and libcurl's resolver. The fake MLflow server
 * running in this process (src/http, whose kits abort on OOM by design) is
 * started before any role is set, so its threads never fail.
 *
 * The scenario is a complete HTTP-mode session: open, experiment
 * get-or-create, run start with caller tags and the reproducibility tags,
 * log-param, set-tag, mlf_log_batch, 2,000 mlf_log_metric, flush, run get,
 * a two-page run search, metric history, one artifact uploaded, listed and
 * downloaded through the artifact proxy, run end, close. It runs once per
 * N = 1, 2, 3, ... of the host's allocations until a run passes without the
 * injection firing, then the same over the library threads' allocations
 * (two countdowns keep each numbering deterministic). For each N:
 *   - every call returns MLF_CLIENT_OK or NOMEM (TRANSPORT or PROTOCOL are
 *     tolerated for failures inside libcurl: 7.88.1 can send a GET without
 *     its query string when it runs out of memory), with a non-empty mlf_last_error(), and only after the
 *     injection fired; a failure in the sender reaches the host through the
 *     next mlf_flush (or run end, or close);
 *   - the same call made again succeeds (the client is still usable), or,
 *     for run end and close, the handle is freed anyway;
 *   - results are intact (ids, counts, values: jansson 2.14 drops bytes
 *     when it runs out of memory, see cjson_load), a run started with
 *     MLF_CLIENT_OK carries every context tag, and a point mlf_log_metric
 *     accepted reaches the server or is counted in `failed` and reported
 *     by a flush (never dropped silently);
 *   - nothing hangs (an alarm bounds each scenario);
 *   - nothing leaks: once the client is closed, the blocks that client
 *     threads allocated and nobody freed are as many as before the run, and
 *     after each sweep no more file descriptors are open than before.
 * The summary lines say how many injection points were exercised, how many
 * made a call fail and how many libcurl or stdio worked around.
 *
 * Under the ASan build (SANITIZE=1) the sanitizer owns malloc: replacing
 * it here would conflict, so the test is compiled as a cmocka skip().
 *
 * Debugging: MLFLOWC_NOMEM_ONLY=N runs just injection point N of the host's
 * thread (-N: of the library's threads); MLFLOWC_NOMEM_STRIDE=K tries every
 * Kth point only; MLFLOWC_NOMEM_TRACE=1 prints the stack of each injected
 * failure that no call reported (2: of every one); MLFLOWC_NOMEM_LEAKS=1
 * the stack of each block left behind (link with -rdynamic for names).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#define NOMEM_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOMEM_UNDER_ASAN 1
#endif
#endif

#ifdef NOMEM_UNDER_ASAN

static void test_nomem_skipped_under_asan(void **state)
{
	(void)state;
	print_message("test_client_nomem: skipped under ASan (the sanitizer owns malloc; this test replaces it)\n");
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nomem_skipped_under_asan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

#include "base/lazylink.h" /* the library's lazy libcurl, under its own names */
#include <dlfcn.h>
#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <malloc.h> /* memalign, pvalloc */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "http/http.h"
#include "../../include/mlflowc.h"

/* ---------------------------------------------------------------- allocator */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);

enum thread_role { ROLE_NONE = 0, ROLE_HOST = 1, ROLE_LIBRARY = 2 };

static _Thread_local int tl_role;        /* allocations of ROLE_HOST/LIBRARY threads may fail */
static _Thread_local bool tl_in_create;  /* inside pthread_create: glibc's thread cache */
static atomic_int target_role;           /* the role whose allocations count down */
static atomic_long countdown;            /* > 0: the allocation that brings it to 0 fails */
static atomic_long role_allocs[3];       /* allocations made by client threads, per role */
static atomic_long injected_host;        /* failures injected in the host's thread */
static atomic_long injected_library;     /* ... in threads the library (or libcurl) started */

static bool trace_injection;             /* MLFLOWC_NOMEM_TRACE: print where it fails */
static void *injected_frames[32];        /* ... the stack of the injected failure */
static int injected_frames_n;
static bool trace_leaks;                 /* MLFLOWC_NOMEM_LEAKS: remember where blocks come from */

static bool inject_now(void)
{
	if (tl_role == ROLE_NONE)
		return false;
	atomic_fetch_add(&role_allocs[tl_role], 1);
	if (tl_role != atomic_load(&target_role) || atomic_fetch_sub(&countdown, 1) != 1)
		return false;
	atomic_fetch_add(tl_role == ROLE_HOST ? &injected_host : &injected_library, 1);
	if (trace_injection)
		injected_frames_n = backtrace(injected_frames, 32);
	errno = ENOMEM;
	return true;
}

static long injected(void)
{
	return atomic_load(&injected_host) + atomic_load(&injected_library);
}

/* The live blocks client threads allocated (whoever frees them): an
 * open-addressing set of pointers. Only these count for leaks: the fake
 * server frees its connections' memory lazily, and the stacks (with their
 * TLS vectors) of finished threads stay in glibc's cache by design. */
#define TRACK_SLOTS (1u << 16)
#define TRACK_FRAMES 12
struct tracked {
	void *p;
	void *frames[TRACK_FRAMES]; /* with MLFLOWC_NOMEM_LEAKS */
	int n;
};
static struct tracked track[TRACK_SLOTS];
static long track_live;
static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t track_home(const void *p)
{
	return ((uintptr_t)p >> 4) & (TRACK_SLOTS - 1);
}

static void track_add(void *p, bool client)
{
	if (!p || !client || tl_in_create)
		return;
	void *frames[TRACK_FRAMES];
	int n = trace_leaks ? backtrace(frames, TRACK_FRAMES) : 0;
	pthread_mutex_lock(&track_mu);
	if (track_live + 1 >= (long)TRACK_SLOTS) {
		static const char msg[] = "test_client_nomem: too many live blocks to track\n";
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(4);
		abort();
	}
	size_t k = track_home(p);
	while (track[k].p)
		k = (k + 1) & (TRACK_SLOTS - 1);
	track[k].p = p;
	track[k].n = n;
	memcpy(track[k].frames, frames, sizeof(void *) * (size_t)n);
	track_live++;
	pthread_mutex_unlock(&track_mu);
}

/* Forgets p; true when it was a client block. */
static bool track_del(void *p)
{
	bool found = false;
	pthread_mutex_lock(&track_mu);
	for (size_t k = track_home(p); track[k].p; k = (k + 1) & (TRACK_SLOTS - 1)) {
		if (track[k].p != p)
			continue;
		/* backward-shift deletion keeps the probe chains whole */
		size_t hole = k;
		for (size_t j = (k + 1) & (TRACK_SLOTS - 1); track[j].p; j = (j + 1) & (TRACK_SLOTS - 1)) {
			size_t home = track_home(track[j].p);
			if (((j - home) & (TRACK_SLOTS - 1)) >= ((j - hole) & (TRACK_SLOTS - 1))) {
				track[hole] = track[j];
				hole = j;
			}
		}
		track[hole].p = NULL;
		track_live--;
		found = true;
		break;
	}
	pthread_mutex_unlock(&track_mu);
	return found;
}

static long live_blocks(void)
{
	pthread_mutex_lock(&track_mu);
	long n = track_live;
	pthread_mutex_unlock(&track_mu);
	return n;
}

static void track_print(void)
{
	pthread_mutex_lock(&track_mu);
	for (size_t k = 0; k < TRACK_SLOTS; k++) {
		if (!track[k].p)
			continue;
		fprintf(stderr, "live block %p allocated at:\n", track[k].p);
		backtrace_symbols_fd(track[k].frames, track[k].n, 2);
	}
	pthread_mutex_unlock(&track_mu);
}

void *malloc(size_t size)
{
	if (inject_now())
		return NULL;
	void *p = __libc_malloc(size);
	track_add(p, tl_role != ROLE_NONE);
	return p;
}

void *calloc(size_t n, size_t size)
{
	if (inject_now())
		return NULL;
	void *p = __libc_calloc(n, size);
	track_add(p, tl_role != ROLE_NONE);
	return p;
}

void *realloc(void *old, size_t size)
{
	if (!old)
		return malloc(size);
	if (size == 0) { /* glibc: frees and returns NULL */
		track_del(old);
		return __libc_realloc(old, 0);
	}
	if (inject_now())
		return NULL;
	/* a client block moves under the lock, so no free of the old address
	 * by another thread can be confused with it */
	bool was_client = track_del(old);
	void *p = __libc_realloc(old, size);
	track_add(p ? p : old, was_client || (p && tl_role != ROLE_NONE));
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	track_del(p);
	__libc_free(p);
}

static void *aligned(size_t align, size_t size)
{
	if (inject_now())
		return NULL;
	void *p = __libc_memalign(align, size);
	track_add(p, tl_role != ROLE_NONE);
	return p;
}

void *memalign(size_t align, size_t size)
{
	return aligned(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return aligned(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = aligned(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return aligned((size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return aligned(page, (size + page - 1) & ~(page - 1));
}

/* ---------------------------------------------------------------- threads
 * A thread started by a client thread is a client thread too (the sender,
 * libcurl's resolver); its allocations before the start routine runs are
 * glibc's and are not counted as its own. */

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static pthread_create_fn real_pthread_create;

struct start {
	void *(*fn)(void *);
	void *arg;
	int role;
};

static void *start_thread(void *arg)
{
	struct start s = *(struct start *)arg;
	__libc_free(arg);
	tl_role = s.role;
	return s.fn(s.arg);
}

int pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict attr, void *(*fn)(void *),
		   void *restrict arg)
{
	if (tl_role == ROLE_NONE)
		return real_pthread_create(t, attr, fn, arg);
	if (inject_now())
		return EAGAIN;
	struct start *s = __libc_malloc(sizeof(*s));
	if (!s)
		return EAGAIN;
	*s = (struct start){ fn, arg, ROLE_LIBRARY };
	tl_in_create = true;
	int rc = real_pthread_create(t, attr, start_thread, s);
	tl_in_create = false;
	if (rc != 0)
		__libc_free(s);
	return rc;
}

/* ---------------------------------------------------------------- fake server */

#define RUN_ID "0123456789abcdef0123456789abcdef"
/* user_id comes first and is 16 bytes with its quotes: jansson's token
 * buffer (16 bytes, doubling) grows on its closing quote, the case where a
 * failed growth made jansson 2.14 decode past the buffer */
#define RUN_JSON                                                                                                    \
	"{\"info\":{\"user_id\":\"u0123456789abc\",\"run_id\":\"" RUN_ID "\",\"run_name\":\"r\","                  \
	"\"experiment_id\":\"7\",\"status\":\"RUNNING\","                                                             \
	"\"start_time\":1700000000000,\"lifecycle_stage\":\"active\",\"artifact_uri\":\"mlflow-artifacts:/7/x\"},"   \
	"\"data\":{\"metrics\":[{\"key\":\"m0\",\"value\":1.5,\"timestamp\":1,\"step\":2},"                         \
	"{\"key\":\"m1\",\"value\":\"NaN\",\"timestamp\":\"3\",\"step\":4}],"                                        \
	"\"params\":[{\"key\":\"p\",\"value\":\"1\"},{\"key\":\"q\",\"value\":\"2\"}],"                              \
	"\"tags\":[{\"key\":\"t\",\"value\":\"x\"},{\"key\":\"mlflow.user\",\"value\":\"u\"}]}}"

struct fake {
	pthread_mutex_t mu;
	long queued_points;  /* points of keys "m*" (mlf_log_metric) the server accepted */
	long batch_points;   /* points of keys "b*" (mlf_log_batch) */
	size_t create_tags;  /* tags in the last runs/create */
	bool uploaded;       /* the artifact PUT carried the file's bytes */
	struct http_server *srv;
	char url[64];
};

static struct fake F;

static void answer(struct http_response *resp, int status, const char *body)
{
	resp->status = status;
	buf_adds(&resp->body, body);
}

static void on_log_batch(const struct http_request *req, struct http_response *resp)
{
	json_t *j = json_loads(req->body, 0, NULL);
	size_t i;
	json_t *m;
	pthread_mutex_lock(&F.mu);
	json_array_foreach(json_object_get(j, "metrics"), i, m) {
		const char *key = json_string_value(json_object_get(m, "key"));
		if (key && key[0] == 'm')
			F.queued_points++;
		else if (key && key[0] == 'b')
			F.batch_points++;
	}
	pthread_mutex_unlock(&F.mu);
	json_decref(j);
	answer(resp, 200, "{}");
}

static void on_run_create(const struct http_request *req, struct http_response *resp)
{
	json_t *j = json_loads(req->body, 0, NULL);
	pthread_mutex_lock(&F.mu);
	F.create_tags = json_array_size(json_object_get(j, "tags"));
	pthread_mutex_unlock(&F.mu);
	json_decref(j);
	answer(resp, 200, "{\"run\":" RUN_JSON "}");
}

static void on_run_search(const struct http_request *req, struct http_response *resp)
{
	json_t *j = json_loads(req->body, 0, NULL);
	const char *token = json_string_value(json_object_get(j, "page_token"));
	if (token && strcmp(token, "p2") == 0)
		answer(resp, 200, "{\"runs\":[" RUN_JSON "]}");
	else
		answer(resp, 200, "{\"runs\":[" RUN_JSON "],\"next_page_token\":\"p2\"}");
	json_decref(j);
}

/* The artifact proxy: PUT stores the body as the one file f.txt of the
 * run's root; a listing (?path=) of the root names it, of the file itself
 * is empty (how the proxy answers for a file); GET returns it. */
static void on_proxy(const struct http_request *req, struct http_response *resp)
{
	if (req->method == HTTP_PUT) {
		pthread_mutex_lock(&F.mu);
		F.uploaded = req->body_len == 5 && memcmp(req->body, "hello", 5) == 0;
		pthread_mutex_unlock(&F.mu);
		answer(resp, 200, "{}");
		return;
	}
	const char *listed = NULL;
	for (size_t i = 0; i < req->n_query; i++)
		if (strcmp(req->query[i].key, "path") == 0)
			listed = req->query[i].value;
	if (listed && !strstr(listed, "f.txt")) {
		answer(resp, 200, "{\"files\":[{\"path\":\"f.txt\",\"is_dir\":false,\"file_size\":\"5\"}]}");
	} else if (listed) {
		answer(resp, 200, "{}");
	} else {
		resp->content_type = "application/octet-stream";
		answer(resp, 200, "hello");
	}
}

static void handler(void *app, const struct http_request *req, struct http_response *resp)
{
	(void)app;
	const char *p = req->path;
	if (strstr(p, "/mlflow-artifacts/artifacts"))
		on_proxy(req, resp);
	else if (strstr(p, "artifacts/list"))
		answer(resp, 200, "{\"root_uri\":\"mlflow-artifacts:/7/x\",\"files\":[{\"path\":\"f.txt\","
				  "\"is_dir\":false,\"file_size\":\"5\"}]}");
	else if (strstr(p, "runs/log-batch"))
		on_log_batch(req, resp);
	else if (strstr(p, "runs/create"))
		on_run_create(req, resp);
	else if (strstr(p, "runs/search"))
		on_run_search(req, resp);
	else if (strstr(p, "runs/get"))
		answer(resp, 200, "{\"run\":" RUN_JSON "}");
	else if (strstr(p, "metrics/get-history"))
		answer(resp, 200, "{\"metrics\":[{\"key\":\"m0\",\"value\":1,\"timestamp\":1,\"step\":0},"
				  "{\"key\":\"m0\",\"value\":2,\"timestamp\":2,\"step\":1}]}");
	else if (strstr(p, "experiments/get-by-name"))
		answer(resp, 404, "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"no such\"}");
	else if (strstr(p, "experiments/create"))
		answer(resp, 200, "{\"experiment_id\":\"7\"}");
	else
		answer(resp, 200, "{}"); /* log-parameter, set-tag, update */
}

static void fake_reset(void)
{
	pthread_mutex_lock(&F.mu);
	F.queued_points = F.batch_points = 0;
	F.create_tags = 0;
	F.uploaded = false;
	pthread_mutex_unlock(&F.mu);
}

/* ---------------------------------------------------------------- scenario */

#define N_POINTS 2000
#define SCENARIO_SECONDS 120 /* a scenario that takes longer is a hang */

/* What one scenario saw. */
struct outcome {
	unsigned failed_calls;   /* calls that returned an error */
	unsigned by_code[8];     /* ... by result code */
	bool pipeline_reported;  /* a flush, run end or close reported a metric failure */
	size_t create_tags;      /* tags the server got with the run that was kept */
};

static bool allowed(enum mlf_result r)
{
	return r == MLF_CLIENT_ERR_NOMEM || r == MLF_CLIENT_ERR_TRANSPORT || r == MLF_CLIENT_ERR_PROTOCOL;
}

static long current_n;

/* A call failed: it must be one of the allowed kinds, caused by the
 * injection, and say why. */
static void failed(struct outcome *o, enum mlf_result r, const char *what)
{
	if (!allowed(r) || injected() == 0 || !*mlf_last_error())
		fail_msg("injection point %ld: %s returned %s (%s) with %ld injected failure(s)", current_n, what,
			 mlf_result_name(r), mlf_last_error(), injected());
	if (trace_injection)
		fprintf(stderr, "injection point %ld: %s returned %s (%s)\n", current_n, what, mlf_result_name(r),
			mlf_last_error());
	o->failed_calls++;
	o->by_code[r]++;
}

/* Runs `call`; when it fails, checks the failure and runs it again, which
 * must succeed: the client is still usable. */
#define STEP(o, call)                                                                                               \
	do {                                                                                                        \
		enum mlf_result r_ = (call);                                                                        \
		if (r_ != MLF_CLIENT_OK) {                                                                          \
			failed((o), r_, #call);                                                                     \
			r_ = (call);                                                                                \
			if (r_ != MLF_CLIENT_OK)                                                                    \
				fail_msg("injection point %ld: %s failed again: %s (%s)", current_n, #call,         \
					 mlf_result_name(r_), mlf_last_error());                                    \
		}                                                                                                   \
	} while (0)

/* Checks that name the injection point (cmocka's asserts would not). */
#define EXPECT(cond)                                                                                                \
	do {                                                                                                        \
		if (!(cond))                                                                                        \
			fail_msg("injection point %ld, line %d: %s", current_n, __LINE__, #cond);                   \
	} while (0)
#define EXPECT_STR(got, want)                                                                                       \
	do {                                                                                                        \
		const char *got_ = (got);                                                                           \
		if (strcmp(got_, (want)) != 0)                                                                      \
			fail_msg("injection point %ld, line %d: '%s' where '%s' was expected", current_n, __LINE__, \
				 got_, (want));                                                                     \
	} while (0)

static void check_run(const struct mlf_runs *runs, size_t count)
{
	EXPECT((runs->count) == (count));
	for (size_t i = 0; i < count; i++) {
		const struct mlf_run_record *r = &runs->items[i];
		EXPECT_STR(r->run_id, RUN_ID);
		EXPECT((r->n_metrics) == (2));
		EXPECT((r->n_params) == (2));
		EXPECT((r->n_tags) == (2));
		EXPECT_STR(r->tags[1].value, "u");
	}
	EXPECT(strstr(runs->json, RUN_ID) != NULL);
}

/* The artifact file the scenario uploads and where it downloads it. */
static char art_file[300], art_dst[300];

static void check_downloaded(const char *local)
{
	char got[16] = "";
	int fd = open(local, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, got, sizeof(got) - 1) : -1;
	if (fd >= 0)
		close(fd);
	EXPECT(n == 5 && memcmp(got, "hello", 5) == 0);
	EXPECT(unlink(local) == 0);
}

static void scenario(struct outcome *o)
{
	static const char *const keys[] = { "m0", "m1", "m2" };
	struct mlf_client_options opt = { .max_attempts = 2, .retry_base_ms = 1, .retry_max_ms = 2,
					  .timeout_ms = 20000 };
	mlf_client *c = NULL;
	char errbuf[256];
	enum mlf_result r = mlf_client_open(F.url, &opt, &c, errbuf, sizeof(errbuf));
	if (r != MLF_CLIENT_OK) {
		EXPECT(c == NULL);
		EXPECT(errbuf[0] != '\0');
		failed(o, r, "mlf_client_open");
		EXPECT((mlf_client_open(F.url, &opt, &c, errbuf, sizeof(errbuf))) == (MLF_CLIENT_OK));
	}

	char exp[32];
	STEP(o, mlf_experiment_get_or_create(c, "nomem", exp));
	EXPECT_STR(exp, "7");

	const struct mlf_tag run_tags[] = { { "team", "c" }, { "stage", "nomem" } };
	const struct mlf_run_options ro = { .experiment_id = exp, .run_name = "r", .tags = run_tags, .n_tags = 2,
					    .description = "allocation failures" };
	mlf_run *run = NULL;
	STEP(o, mlf_run_start_opts(c, &ro, &run));
	EXPECT_STR(mlf_run_id(run), RUN_ID);
	pthread_mutex_lock(&F.mu);
	o->create_tags = F.create_tags;
	pthread_mutex_unlock(&F.mu);

	STEP(o, mlf_log_param(run, "lr", "0.01"));
	STEP(o, mlf_set_tag(run, "phase", "train"));

	struct mlf_metric bm[40];
	for (int i = 0; i < 40; i++)
		bm[i] = (struct mlf_metric){ i % 2 ? "b1" : "b0", i * 0.25, 1700000000000 + i, i };
	const struct mlf_tag bp[] = { { "batch", "64" }, { "opt", "adam" } };
	const struct mlf_tag bt[] = { { "k", "v" } };
	STEP(o, mlf_log_batch(run, bm, 40, bp, 2, bt, 1));
	pthread_mutex_lock(&F.mu);
	long batch_at_server = F.batch_points;
	pthread_mutex_unlock(&F.mu);
	EXPECT(batch_at_server >= 40);

	long accepted = 0;
	for (int i = 0; i < N_POINTS; i++) {
		STEP(o, mlf_log_metric(run, keys[i % 3], i * 0.5, 1700000000000 + i, i / 3));
		accepted++;
	}

	r = mlf_flush(c);
	if (r != MLF_CLIENT_OK) {
		failed(o, r, "mlf_flush");
		o->pipeline_reported = true;
		EXPECT((mlf_flush(c)) == (MLF_CLIENT_OK)); /* reported once */
	}
	struct mlf_client_stats st;
	EXPECT((mlf_client_stats(c, &st)) == (MLF_CLIENT_OK));
	EXPECT((st.queued) == (0));
	EXPECT((st.sent + st.failed) == ((uint64_t)accepted));
	if (st.failed)
		EXPECT(o->pipeline_reported); /* never dropped silently */
	pthread_mutex_lock(&F.mu);
	long at_server = F.queued_points;
	pthread_mutex_unlock(&F.mu);
	EXPECT(at_server >= (long)st.sent);

	struct mlf_runs *runs = NULL;
	STEP(o, mlf_run_get(c, RUN_ID, &runs));
	check_run(runs, 1);
	mlf_runs_free(runs);

	const char *const ids[] = { exp };
	const char *const order[] = { "metrics.m0 DESC" };
	const struct mlf_run_search q = { .experiment_ids = ids, .n_experiment_ids = 1, .filter = "params.lr = '0.01'",
					  .order_by = order, .n_order_by = 1 };
	runs = NULL;
	STEP(o, mlf_run_search(c, &q, &runs));
	check_run(runs, 2); /* both pages gathered */
	mlf_runs_free(runs);

	struct mlf_metrics *hist = NULL;
	STEP(o, mlf_metric_history(c, RUN_ID, "m0", &hist));
	EXPECT((hist->count) == (2));
	EXPECT(hist->items[1].value == 2.0);
	mlf_metrics_free(hist);

	/* artifacts: one file up, a listing, the file down (through the proxy) */
	STEP(o, mlf_log_artifact(c, RUN_ID, art_file, NULL));
	pthread_mutex_lock(&F.mu);
	bool uploaded = F.uploaded;
	pthread_mutex_unlock(&F.mu);
	EXPECT(uploaded);
	struct mlf_artifacts *arts = NULL;
	STEP(o, mlf_artifact_list(c, RUN_ID, NULL, &arts));
	EXPECT(arts->count == 1);
	EXPECT_STR(arts->items[0].path, "f.txt");
	EXPECT(arts->items[0].file_size == 5);
	mlf_artifacts_free(arts);
	char local[600];
	STEP(o, mlf_artifact_download(c, RUN_ID, "f.txt", art_dst, local, sizeof(local)));
	check_downloaded(local);

	/* run end and close free their handle whatever they return */
	r = mlf_run_end(run, MLF_RUN_FINISHED);
	if (r != MLF_CLIENT_OK)
		failed(o, r, "mlf_run_end");
	r = mlf_client_close(c);
	if (r != MLF_CLIENT_OK)
		failed(o, r, "mlf_client_close");
}

/* ---------------------------------------------------------------- driver */

static void on_alarm(int sig)
{
	(void)sig;
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "test_client_nomem: injection point %ld hangs (> %d s)\n", current_n,
			 SCENARIO_SECONDS);
	if (write(2, msg, (size_t)n) < 0)
		_exit(3);
	_exit(2);
}

/* The live block count once it stops moving (bounded wait): the fake
 * server frees a connection's memory when it sees the client's close, a
 * little after mlf_client_close returned. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static long settle_live(long baseline)
{
	long now = live_blocks();
	if (now == baseline)
		return now;
	int still = 0;
	for (int i = 0; i < 500 && still < 5; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		long next = live_blocks();
		still = next == now && next <= baseline ? still + 1 : 0;
		now = next;
	}
	return now;
}

/* Runs the scenario on this thread with the nth allocation of a `role`
 * thread failing (n 0: none). */
static void run_once(enum thread_role role, long n, struct outcome *o)
{
	fake_reset();
	*o = (struct outcome){ 0 };
	current_n = n;
	atomic_store(&injected_host, 0);
	atomic_store(&injected_library, 0);
	atomic_store(&role_allocs[ROLE_HOST], 0);
	atomic_store(&role_allocs[ROLE_LIBRARY], 0);
	atomic_store(&target_role, role);
	atomic_store(&countdown, n);
	alarm(SCENARIO_SECONDS);
	tl_role = ROLE_HOST;
	scenario(o);
	tl_role = ROLE_NONE;
	alarm(0);
	atomic_store(&countdown, 0);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : def;
}

/* What a sweep saw. */
struct sweep {
	long points, absorbed, failing_runs;
	unsigned by_code[8];
	double seconds;
};

/* Fails, one run each, the 1st, 2nd, ... allocation of `role` threads
 * until a run passes without the injection firing. */
static void sweep(enum thread_role role, long only, long stride, size_t full_tags, long *baseline,
		  int base_fds, struct sweep *sw)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct outcome o;
	for (long n = only ? only : 1;; n += stride) {
		run_once(role, n, &o);
		long live_now = settle_live(*baseline);
		if (live_now < *baseline)
			*baseline = live_now; /* one-time state freed late */
		if (live_now > *baseline && trace_leaks)
			track_print();
		if (live_now > *baseline)
			fail_msg("%s injection point %ld: %ld blocks leaked (%ld live, baseline %ld)",
				 role == ROLE_HOST ? "host" : "library", n, live_now - *baseline, live_now, *baseline);
		if (injected() == 0)
			break; /* n is past the scenario's last allocation */
		if (trace_injection && (o.failed_calls == 0 || env_long("MLFLOWC_NOMEM_TRACE", 0) > 1)) {
			fprintf(stderr, "%s injection point %ld %s:\n", role == ROLE_HOST ? "host" : "library", n,
				o.failed_calls ? "made a call fail" : "was absorbed");
			backtrace_symbols_fd(injected_frames, injected_frames_n, 2);
		}
		sw->points++;
		sw->absorbed += o.failed_calls == 0;
		sw->failing_runs += o.failed_calls != 0;
		for (int i = 0; i < 8; i++)
			sw->by_code[i] += o.by_code[i];
		if (only)
			break;
		EXPECT(o.create_tags == full_tags); /* the context tags are never left out silently */
		assert_true(n < 1000000); /* the countdown must run out */
	}
	/* file descriptors, once per sweep: the server closes its side of each
	 * connection a little after the client, so a leak is what stays */
	int fds = open_fds();
	for (int i = 0; i < 500 && fds > base_fds; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		fds = open_fds();
	}
	if (fds > base_fds)
		fail_msg("%s threads: %d file descriptors leaked over the sweep (MLFLOWC_NOMEM_ONLY finds where)",
			 role == ROLE_HOST ? "host" : "library", fds - base_fds);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sw->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("test_client_nomem: %s: %ld injection points exercised in %.1f s; %ld made a call fail "
		      "(%u NOMEM, %u TRANSPORT, %u PROTOCOL), %ld were worked around inside libcurl or stdio\n",
		      role == ROLE_HOST ? "host thread" : "library threads (sender, resolver)", sw->points, sw->seconds,
		      sw->failing_runs, sw->by_code[MLF_CLIENT_ERR_NOMEM], sw->by_code[MLF_CLIENT_ERR_TRANSPORT],
		      sw->by_code[MLF_CLIENT_ERR_PROTOCOL], sw->absorbed);
}

static void test_every_allocation_fails_once(void **state)
{
	(void)state;
	signal(SIGALRM, on_alarm);
	if (env_long("MLFLOWC_NOMEM_TRACE", 0)) {
		void *frame;
		backtrace(&frame, 1); /* loads libgcc before anything can fail */
		trace_injection = true;
	}
	if (env_long("MLFLOWC_NOMEM_LEAKS", 0)) {
		void *frame;
		backtrace(&frame, 1);
		trace_leaks = true;
	}
	/* reference runs: the library's one-time state (the exit-flush
	 * registration, libcurl's lazy parts) is made before the baseline */
	struct outcome o;
	run_once(ROLE_NONE, 0, &o);
	assert_int_equal(o.failed_calls, 0);
	const size_t full_tags = o.create_tags;
	run_once(ROLE_NONE, 0, &o);
	const long host_allocs = atomic_load(&role_allocs[ROLE_HOST]);
	const long library_allocs = atomic_load(&role_allocs[ROLE_LIBRARY]);
	long baseline = settle_live(LONG_MAX);
	const int base_fds = open_fds();
	print_message("test_client_nomem: the scenario makes %ld allocations in the host's thread and %ld in "
		      "library threads; runs/create carries %zu tags\n", host_allocs, library_allocs, full_tags);

	/* MLFLOWC_NOMEM_ONLY=N (host) or -N (library threads) */
	const long only = env_long("MLFLOWC_NOMEM_ONLY", 0);
	const long stride = env_long("MLFLOWC_NOMEM_STRIDE", 1) > 0 ? env_long("MLFLOWC_NOMEM_STRIDE", 1) : 1;
	struct sweep host = { 0 }, library = { 0 };
	if (only >= 0)
		sweep(ROLE_HOST, only, stride, full_tags, &baseline, base_fds, &host);
	if (only <= 0)
		sweep(ROLE_LIBRARY, -only, stride, full_tags, &baseline, base_fds, &library);
	print_message("test_client_nomem: %ld injection points exercised in %.1f s\n", host.points + library.points,
		      host.seconds + library.seconds);
	if (!only) {
		assert_true(host.points * stride >= host_allocs / 2);
		assert_true(library.points * stride >= library_allocs / 2);
	}
}

static int setup(void **state)
{
	(void)state;
	real_pthread_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
	assert_non_null(real_pthread_create);
	memset(&F, 0, sizeof(F));
	pthread_mutex_init(&F.mu, NULL);
	/* mlflow.user from the environment, not getpwuid_r: glibc's NSS
	 * loads its modules again after a failed lookup and keeps them (dlopen
	 * state that is glibc's, not a leak of the library's) */
	setenv("USER", "nomem", 1);
	char tmpl[] = "/tmp/mlflowc-nomem-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	snprintf(art_file, sizeof(art_file), "%s/f.txt", tmpl);
	snprintf(art_dst, sizeof(art_dst), "%s/dst", tmpl);
	FILE *f = fopen(art_file, "w");
	assert_non_null(f);
	fputs("hello", f);
	fclose(f);
	/* libcurl's global state lives until exit: made before any baseline */
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	struct http_config cfg = { .host = "127.0.0.1", .port = 0, .threads = 2, .max_body = 64 << 20 };
	struct mlf_err err;
	F.srv = http_server_start(&cfg, handler, NULL, NULL, &err);
	assert_non_null(F.srv);
	snprintf(F.url, sizeof(F.url), "http://127.0.0.1:%u/", http_server_port(F.srv));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	http_server_stop(F.srv);
	pthread_mutex_destroy(&F.mu);
	rmdir(art_dst);
	unlink(art_file);
	char *slash = strrchr(art_file, '/');
	if (slash) {
		*slash = '\0';
		rmdir(art_file);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_fails_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#endif
