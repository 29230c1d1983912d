/*
 * loadgen.c - the mlflowc benchmark (not a test).
 *
 * It starts a real `mlflowc server` in a fresh temp dir on a free 127.0.0.1
 * port, drives it over HTTP with libcurl (multi interface, keep-alive
 * connections, request bodies built before the clock starts) and measures:
 * log-batch metrics/s with 4 and 16 clients, single log-metric requests/s,
 * create-run/s, search-runs and get-history latency, idle and peak RSS and
 * start-up time. After stopping the server it inserts the log-batch rows
 * straight into the store as the ceiling: into SQLite in-process (same
 * schema, pragmas and statements as the server), or with COPY from one
 * client into a scratch PostgreSQL database of the server's schema
 * (loadgen_pg.c), then prints a table against the targets. --store picks
 * the store (sqlite, a postgresql:// URI, or both, side by side); each
 * PostgreSQL run gets a fresh database, dropped at the end. It exits non-zero
 * only when the server misbehaves (non-200 answers, wrong counts, crash,
 * unclean shutdown), never because a figure misses its target.
 *
 * --auth-compare measures the cost of the basic-auth app instead: two
 * servers side by side, one with --app-name basic-auth, the same log-batch
 * and log-metric load against each (as a non-admin user with EDIT on the
 * experiment, HTTP Basic, so the credential cache and the permission check
 * run on every request), and the rates with their ratio.
 * bench/README.md explains the figures; bench/run.sh is the entry point.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/util.h"
#include "base/xalloc.h"
#include "store/schema_sqlite.h"
#include "loadgen_pg.h"
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH_ROWS 1000	    /* metrics per log-batch request */
#define BATCH_KEYS 10	    /* ... as BATCH_KEYS keys x (BATCH_ROWS / BATCH_KEYS) steps */
#define SEARCH_KEYS 10	    /* params and metrics per seeded search run */
#define SEARCH_MAX_RESULTS 1000
#define HISTORY_KEY "history"
#define BASE_TIMESTAMP 1700000000000LL
#define REQUEST_TIMEOUT_S 60L
#define PHASE_TIMEOUT_S 600.0
#define STARTUP_TIMEOUT_S 10.0
#define SHUTDOWN_TIMEOUT_S 10.0

/* The stores a run can measure; the targets (print_report) differ. */
enum store_kind { STORE_SQLITE, STORE_PG, N_STORE_KINDS };
static const char *const store_kind_names[N_STORE_KINDS] = { "sqlite", "postgresql" };
#define MAX_STORES 4
/* --store both: the PostgreSQL server comes from this variable (or the
 * test cluster's MLF_TEST_PG_ADMIN). */
#define PG_URI_ENV "MLF_BENCH_PG_URI"

static const char *const metric_names[BATCH_KEYS] = { "m0", "m1", "m2", "m3", "m4",
						      "m5", "m6", "m7", "m8", "m9" };
static const char *const param_names[SEARCH_KEYS] = { "p0", "p1", "p2", "p3", "p4",
						      "p5", "p6", "p7", "p8", "p9" };
static const char *const history_names[1] = { HISTORY_KEY };

/* ---- settings ------------------------------------------------------------- */

#define MAX_SERVER_ARGS 16

struct config {
	const char *server_path;
	int batches;	    /* 1000-metric log-batch requests */
	int batch_clients;  /* concurrent log-batch clients */
	int batch_clients_high; /* ... in the second log-batch phase */
	int log_metrics;    /* single log-metric requests */
	int create_runs;    /* create-run requests */
	int conns;	    /* connections for log-metric and create-run */
	int search_runs;    /* runs seeded for search-runs */
	int search_calls;   /* timed search-runs calls */
	int history_points; /* points of one key, a multiple of BATCH_ROWS */
	int history_calls;  /* timed get-history calls */
	int workers;	    /* server --workers; 0 = server default */
	bool quick;
	bool keep_dir;
	const char *server_args[MAX_SERVER_ARGS]; /* extra server arguments (--server-arg) */
	int n_server_args;
	const char *stores[MAX_STORES]; /* "sqlite" or a PostgreSQL URI, run in turn */
	int n_stores;
	const char *auth_header; /* --auth-header: sent with every request */
	bool auth_compare;       /* --auth-compare */
};

static const struct config full_config = {
	.server_path = "build/mlflowc",
	.batches = 300,
	.batch_clients = 4,
	.batch_clients_high = 16,
	.log_metrics = 40000,
	.create_runs = 10000,
	.conns = 8,
	.search_runs = 5000,
	.search_calls = 20,
	.history_points = 100000,
	.history_calls = 10,
};

/* A smoke run: every phase, tiny counts, a few seconds. */
static void apply_quick(struct config *c)
{
	c->quick = true;
	c->batches = 20;
	c->log_metrics = 2000;
	c->create_runs = 500;
	c->search_runs = 500;
	c->search_calls = 5;
	c->history_points = 10000;
	c->history_calls = 3;
}

/* ---- the server process and clean-up on every exit path -------------------- */

static struct {
	volatile pid_t pid;
	volatile pid_t spare_pid; /* --auth-compare: the other server, not in use now */
	char dir[128];
	char base_url[64];
	bool keep_dir;
	bool failed;
	enum store_kind kind;	 /* of the run in progress */
	struct bench_pg pg;	 /* STORE_PG: the run's database */
	bool pg_set_up;
} server = { .pid = -1, .spare_pid = -1 };

/* The header line every request carries ("Authorization: ..."), or NULL. */
static const char *auth_header_line;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_temp_dir(void)
{
	if (!server.dir[0])
		return;
	if (server.keep_dir || server.failed) {
		fprintf(stderr, "loadgen: kept %s (server log: %s/server.log)\n", server.dir, server.dir);
		return;
	}
	nftw(server.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* SIGTERM, bounded wait, SIGKILL. Returns the wait status, or -1. */
static int server_stop(void)
{
	int status = -1;
	pid_t pid = server.pid;
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	for (int i = 0; i < (int)(SHUTDOWN_TIMEOUT_S * 100); i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			server.pid = -1;
			return status;
		}
		usleep(10000);
	}
	fprintf(stderr, "loadgen: server ignored SIGTERM for %.0f s, killing it\n", SHUTDOWN_TIMEOUT_S);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	server.pid = -1;
	server.failed = true;
	return -1;
}

/* Drops the run's PostgreSQL database (kept, and named, after a failure). */
static void pg_teardown(void)
{
	if (!server.pg_set_up)
		return;
	server.pg_set_up = false;
	bench_pg_teardown(&server.pg, server.keep_dir || server.failed);
}

static void at_exit_cleanup(void)
{
	if (server.spare_pid > 0) {
		kill(server.spare_pid, SIGKILL);
		waitpid(server.spare_pid, NULL, 0);
		server.spare_pid = -1;
	}
	server_stop();
	pg_teardown();
	remove_temp_dir();
}

/* Only async-signal-safe calls here; the temp dir is left for the user. */
static void on_fatal_signal(int sig)
{
	static const char msg[] = "loadgen: interrupted; server killed, temp dir (and any mlflowc_bench_* "
				  "PostgreSQL database) left: ";
	if (server.pid > 0)
		kill(server.pid, SIGKILL);
	if (server.spare_pid > 0)
		kill(server.spare_pid, SIGKILL);
	if (server.dir[0]) {
		ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		ignored = write(STDERR_FILENO, server.dir, strlen(server.dir));
		ignored = write(STDERR_FILENO, "\n", 1);
		(void)ignored;
	}
	_exit(128 + sig);
}

static void install_cleanup(void)
{
	atexit(at_exit_cleanup);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGPIPE, SIG_IGN);
}

static MLF_NORETURN MLF_PRINTF(1, 2) void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "loadgen: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	server.failed = true;
	exit(1);
}

/* ---- small helpers ---------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile (sorts the samples). */
static double percentile(double *samples, int n, double pct)
{
	qsort(samples, (size_t)n, sizeof(*samples), compare_doubles);
	int rank = (int)ceil(pct / 100.0 * n);
	return samples[rank < 1 ? 0 : rank - 1];
}

/* A deterministic value in [0, 1) spread evenly over (a, b). */
static double bench_value(long long a, long long b)
{
	return (double)((a * 7919 + b * 104729) % 10007) / 10007.0;
}

/* "1234567.8" -> "1,234,568" */
static const char *with_commas(double v, char *out, size_t size)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%.0f", v), o = 0;
	for (int i = 0; i < n && (size_t)o + 2 < size; i++) {
		if (i > 0 && digits[i - 1] != '-' && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return out;
}

/* One "VmRSS:"-style line of /proc/<pid>/status, in MB. */
static double proc_status_mb(pid_t pid, const char *field)
{
	char path[64], line[256];
	double kb = -1;
	size_t n = strlen(field);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s (did the server die?)", path);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kb = strtod(line + n + 1, NULL);
	fclose(f);
	if (kb < 0)
		die("no %s in %s", field, path);
	return kb / 1024.0;
}

/* CPU seconds (user + system) the server has used so far. */
static double server_cpu_s(void)
{
	char path[64], line[1024];
	unsigned long long utime = 0, stime = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)server.pid);
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s (did the server die?)", path);
	char *fields = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	/* after "pid (comm)": state, then 10 fields, then utime and stime */
	if (!fields || sscanf(fields + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		die("cannot parse %s", path);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Where the CPU went during a phase: tells a server limit from a client one. */
struct cpu_mark {
	double wall, server, self;
	struct bench_pg_cpu pg; /* the bench database's backends (PostgreSQL runs) */
};

static void cpu_mark_now(struct cpu_mark *m)
{
	m->pg.n = 0;
	if (server.kind == STORE_PG)
		bench_pg_cpu_read(&server.pg, &m->pg);
	m->wall = now_s();
	m->server = server_cpu_s();
	m->self = self_cpu_s();
}

/* PostgreSQL's backends count when they run on this machine (/proc). */
static void print_cpu_since(const struct cpu_mark *m)
{
	double wall = now_s() - m->wall, srv = server_cpu_s() - m->server, self = self_cpu_s() - m->self;
	printf("    cpu: server %.2f s (%.0f%% of a core), loadgen %.2f s (%.0f%%)", srv, 100.0 * srv / wall, self,
	       100.0 * self / wall);
	if (server.kind == STORE_PG) {
		struct bench_pg_cpu end;
		bench_pg_cpu_read(&server.pg, &end);
		double pg = bench_pg_cpu_delta(&m->pg, &end);
		if (pg >= 0)
			printf(", postgres %.2f s (%.0f%%, %d backends)", pg, 100.0 * pg / wall, end.n);
		else
			printf(", postgres: not on this machine");
	}
	printf(" over %.2f s\n", wall);
}

/* ---- starting the server ---------------------------------------------------- */

static int free_loopback_port(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
		die("cannot find a free port on 127.0.0.1: %s", strerror(errno));
	close(fd);
	return ntohs(addr.sin_port);
}

static void make_temp_dir(void)
{
	snprintf(server.dir, sizeof(server.dir), "/tmp/mlflowc-bench-XXXXXX");
	if (!mkdtemp(server.dir)) {
		server.dir[0] = '\0';
		die("mkdtemp: %s", strerror(errno));
	}
}

/* In the child: server output to <dir>/server.log, die with the parent.
 * `name` (NULL: none) names a server of --auth-compare: its database,
 * artifacts and log are <dir>/<name>.db, <name>-artifacts, <name>.log;
 * `auth`: with --app-name basic-auth and <dir>/auth.ini. */
static MLF_NORETURN void exec_server(const struct config *cfg, int port, const char *name, bool auth)
{
	char store[1024], artifacts[256], log_path[256], port_s[16], workers_s[16], auth_ini[256];
	if (server.kind == STORE_PG)
		snprintf(store, sizeof(store), "%s", server.pg.server_uri);
	else
		snprintf(store, sizeof(store), "sqlite:///%s/%s.db", server.dir, name ? name : "mlflow");
	snprintf(artifacts, sizeof(artifacts), "%s/%s", server.dir, name ? name : "artifacts");
	snprintf(log_path, sizeof(log_path), "%s/%s.log", server.dir, name ? name : "server");
	snprintf(auth_ini, sizeof(auth_ini), "%s/auth.ini", server.dir);
	if (auth)
		setenv("MLFLOW_AUTH_CONFIG_PATH", auth_ini, 1);
	snprintf(port_s, sizeof(port_s), "%d", port);
	snprintf(workers_s, sizeof(workers_s), "%d", cfg->workers);
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	char *argv[16 + MAX_SERVER_ARGS] = { (char *)cfg->server_path, "server", "--backend-store-uri", store,
					     "--artifacts-destination", artifacts, "--host", "127.0.0.1",
					     "--port", port_s };
	int argc = 10;
	if (cfg->workers > 0) {
		argv[argc++] = "--workers";
		argv[argc++] = workers_s;
	}
	for (int i = 0; i < cfg->n_server_args; i++)
		argv[argc++] = (char *)cfg->server_args[i];
	if (auth) {
		argv[argc++] = "--app-name";
		argv[argc++] = "basic-auth";
	}
	argv[argc] = NULL;
	execv(cfg->server_path, argv);
	fprintf(stderr, "exec %s: %s\n", cfg->server_path, strerror(errno));
	_exit(127);
}

static void server_spawn(const struct config *cfg, int port, const char *name, bool auth)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		exec_server(cfg, port, name, auth);
	server.pid = pid;
}

static void die_if_server_exited(void)
{
	int status;
	if (server.pid > 0 && waitpid(server.pid, &status, WNOHANG) == server.pid) {
		server.pid = -1;
		die("the server exited early (status 0x%x); see %s/server.log", (unsigned)status, server.dir);
	}
}

static long get_status(CURL *easy, const char *url)
{
	long code = 0;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	if (curl_easy_perform(easy) == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static size_t discard_body(char *data, size_t size, size_t n, void *user)
{
	(void)data;
	(void)user;
	return size * n;
}

/* Polls GET /health until the first 200; returns seconds since t0. */
static double wait_until_healthy(double t0)
{
	char url[128];
	CURL *easy = curl_easy_init();
	snprintf(url, sizeof(url), "%s/health", server.base_url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
	while (now_s() - t0 < STARTUP_TIMEOUT_S) {
		if (get_status(easy, url) == 200) {
			double elapsed = now_s() - t0;
			curl_easy_cleanup(easy);
			return elapsed;
		}
		die_if_server_exited();
		usleep(200);
	}
	curl_easy_cleanup(easy);
	die("no 200 on GET /health within %.0f s", STARTUP_TIMEOUT_S);
}

/* ---- HTTP: one sequential client ------------------------------------------- */

static size_t collect_body(char *data, size_t size, size_t n, void *user)
{
	buf_add(user, data, size * n);
	return size * n;
}

static struct curl_slist *json_headers(void)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	if (auth_header_line)
		h = curl_slist_append(h, auth_header_line);
	return curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
}

static CURL *new_easy(struct buf *resp, struct curl_slist *headers)
{
	CURL *easy = curl_easy_init();
	if (!easy)
		die("curl_easy_init failed");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	return easy;
}

struct client {
	CURL *easy;
	struct buf resp;
	struct curl_slist *headers;
};

static struct client client;

static void client_init(void)
{
	client.headers = json_headers();
	client.easy = new_easy(&client.resp, client.headers);
}

static void client_release(void)
{
	curl_easy_cleanup(client.easy);
	curl_slist_free_all(client.headers);
	buf_release(&client.resp);
}

static MLF_NORETURN void die_bad_answer(const char *what, CURLcode rc, long code, const struct buf *resp)
{
	if (rc != CURLE_OK)
		die("%s: %s", what, curl_easy_strerror(rc));
	die("%s: HTTP %ld: %.300s", what, code, resp->ptr);
}

/* One request on the sequential client (body NULL = GET); dies unless 200.
 * Returns the wall time in ms; the answer is in client.resp. */
static double client_call(const char *path, const char *body)
{
	char url[512];
	long code = 0;
	snprintf(url, sizeof(url), "%s%s", server.base_url, path);
	buf_reset(&client.resp);
	curl_easy_setopt(client.easy, CURLOPT_URL, url);
	if (body)
		curl_easy_setopt(client.easy, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(client.easy, CURLOPT_HTTPGET, 1L);
	double t0 = now_s();
	CURLcode rc = curl_easy_perform(client.easy);
	double ms = (now_s() - t0) * 1000.0;
	curl_easy_getinfo(client.easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 200)
		die_bad_answer(path, rc, code, &client.resp);
	return ms;
}

static json_t *parse_json(const struct buf *b, const char *what)
{
	json_error_t jerr;
	json_t *j = json_loadb(b->ptr, b->len, 0, &jerr);
	if (!j)
		die("%s: the answer is not JSON (%s): %.200s", what, jerr.text, b->ptr);
	return j;
}

/* ---- HTTP: many requests over concurrent keep-alive connections ------------- */

/* Checks one 200 answer; returns false when it is wrong. */
typedef bool (*answer_check_fn)(void *ctx, size_t index, const struct buf *answer);

struct load {
	const char *path; /* every request is a POST to this path */
	char **bodies;
	size_t n;
	int conns;
	answer_check_fn check; /* may be NULL */
	void *ctx;
};

struct slot {
	CURL *easy;
	struct buf resp;
	size_t index; /* the request in flight */
};

static void slot_submit(CURLM *multi, struct slot *s, const struct load *l, size_t index)
{
	s->index = index;
	buf_reset(&s->resp);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, l->bodies[index]);
	curl_multi_add_handle(multi, s->easy);
}

static struct slot *slot_of(struct slot *slots, int n, CURL *easy)
{
	for (int i = 0; i < n; i++)
		if (slots[i].easy == easy)
			return &slots[i];
	die("curl returned an unknown handle");
}

static void check_answer(const struct load *l, struct slot *s, CURLcode rc)
{
	long code = 0;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 200)
		die_bad_answer(l->path, rc, code, &s->resp);
	if (l->check && !l->check(l->ctx, s->index, &s->resp))
		die("%s: wrong answer to request %zu: %.300s", l->path, s->index, s->resp.ptr);
}

/* Harvests finished transfers and refills their slots; returns how many finished. */
static size_t harvest(CURLM *multi, struct slot *slots, const struct load *l, size_t *next)
{
	size_t finished = 0;
	int left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct slot *s = slot_of(slots, l->conns, msg->easy_handle);
		CURLcode rc = msg->data.result;
		curl_multi_remove_handle(multi, s->easy); /* the connection stays cached */
		check_answer(l, s, rc);
		finished++;
		if (*next < l->n)
			slot_submit(multi, s, l, (*next)++);
	}
	return finished;
}

/* Runs every request of the load, l->conns in flight; returns seconds. */
static double run_load(const struct load *l)
{
	char url[512];
	struct curl_slist *headers = json_headers();
	struct slot *slots = xcalloc((size_t)l->conns, sizeof(*slots));
	CURLM *multi = curl_multi_init();
	size_t next = 0, done = 0;
	snprintf(url, sizeof(url), "%s%s", server.base_url, l->path);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)l->conns);
	for (int i = 0; i < l->conns; i++) {
		slots[i].resp = (struct buf)BUF_INIT;
		slots[i].easy = new_easy(&slots[i].resp, headers);
		curl_easy_setopt(slots[i].easy, CURLOPT_URL, url);
	}
	double t0 = now_s();
	for (int i = 0; i < l->conns && next < l->n; i++)
		slot_submit(multi, &slots[i], l, next++);
	while (done < l->n) {
		int running;
		curl_multi_perform(multi, &running);
		done += harvest(multi, slots, l, &next);
		if (done < l->n)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
		if (now_s() - t0 > PHASE_TIMEOUT_S)
			die("%s: only %zu of %zu answers after %.0f s", l->path, done, l->n, PHASE_TIMEOUT_S);
	}
	double elapsed = now_s() - t0;
	for (int i = 0; i < l->conns; i++) {
		curl_easy_cleanup(slots[i].easy);
		buf_release(&slots[i].resp);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	free(slots);
	return elapsed;
}

static void free_bodies(char **bodies, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
}

static bool answer_is_empty_object(void *ctx, size_t index, const struct buf *answer)
{
	(void)ctx;
	(void)index;
	return strcmp(answer->ptr, "{}") == 0;
}

/* ---- request bodies ----------------------------------------------------------- */

/* Log-batch batch b: BATCH_KEYS keys x (BATCH_ROWS / BATCH_KEYS) new steps. */
static void log_batch_rows(int b, struct metric_row *rows)
{
	for (int r = 0; r < BATCH_ROWS; r++) {
		long long step = (long long)b * (BATCH_ROWS / BATCH_KEYS) + r / BATCH_KEYS;
		rows[r] = (struct metric_row){ r % BATCH_KEYS, BASE_TIMESTAMP + step, step, bench_value(step, r % BATCH_KEYS) };
	}
}

/* History batch b: BATCH_ROWS consecutive steps of the one key. */
static void history_rows(int b, struct metric_row *rows)
{
	for (int r = 0; r < BATCH_ROWS; r++) {
		long long step = (long long)b * BATCH_ROWS + r;
		rows[r] = (struct metric_row){ 0, BASE_TIMESTAMP + step, step, bench_value(step, 7) };
	}
}

static void add_metrics_json(struct buf *b, const struct metric_row *rows, int n, const char *const *names)
{
	buf_adds(b, "\"metrics\":[");
	for (int i = 0; i < n; i++)
		buf_addf(b, "%s{\"key\":\"%s\",\"value\":%.17g,\"timestamp\":%lld,\"step\":%lld}", i ? "," : "",
			 names[rows[i].key], rows[i].value, rows[i].timestamp, rows[i].step);
	buf_addch(b, ']');
}

static char *log_batch_body(const char *run_id, const struct metric_row *rows, int n, const char *const *names)
{
	struct buf b = BUF_INIT;
	buf_grow(&b, (size_t)n * 80 + 128);
	buf_addf(&b, "{\"run_id\":\"%s\",", run_id);
	add_metrics_json(&b, rows, n, names);
	buf_addch(&b, '}');
	return buf_detach(&b, NULL);
}

typedef void (*rows_fn)(int batch, struct metric_row *rows);

/* Bodies of batches first .. first + n - 1. */
static char **log_batch_bodies(const char *run_id, int first, int n, rows_fn make_rows, const char *const *names)
{
	char **bodies = xcalloc((size_t)n, sizeof(*bodies));
	struct metric_row *rows = xcalloc(BATCH_ROWS, sizeof(*rows));
	for (int b = 0; b < n; b++) {
		make_rows(first + b, rows);
		bodies[b] = log_batch_body(run_id, rows, BATCH_ROWS, names);
	}
	free(rows);
	return bodies;
}

static char *create_run_body(const char *experiment_id, long long i)
{
	char body[160];
	snprintf(body, sizeof(body), "{\"experiment_id\":\"%s\",\"start_time\":%lld}", experiment_id,
		 BASE_TIMESTAMP + i);
	return xstrdup(body);
}

static char *log_metric_body(const char *run_id, long long i)
{
	char body[256];
	long long step = i / BATCH_KEYS;
	snprintf(body, sizeof(body), "{\"run_id\":\"%s\",\"key\":\"%s\",\"value\":%.17g,\"timestamp\":%lld,\"step\":%lld}",
		 run_id, metric_names[i % BATCH_KEYS], bench_value(step, i % BATCH_KEYS), BASE_TIMESTAMP + step,
		 step);
	return xstrdup(body);
}

/* Seeded search runs: param p<j> is "v1" unless (run + j) % 5 == 0; metric
 * m<j> is bench_value(run, j), so about 40% of runs match the filter. */
static const char *search_param_value(int run, int j)
{
	return (run + j) % 5 == 0 ? "v0" : "v1";
}

static bool search_run_matches(int run)
{
	return bench_value(run, 3) > 0.5 && strcmp(search_param_value(run, 2), "v1") == 0;
}

static char *search_seed_body(const char *run_id, int run)
{
	struct metric_row rows[SEARCH_KEYS];
	struct buf b = BUF_INIT;
	for (int j = 0; j < SEARCH_KEYS; j++)
		rows[j] = (struct metric_row){ j, BASE_TIMESTAMP, 0, bench_value(run, j) };
	buf_addf(&b, "{\"run_id\":\"%s\",", run_id);
	add_metrics_json(&b, rows, SEARCH_KEYS, metric_names);
	buf_adds(&b, ",\"params\":[");
	for (int j = 0; j < SEARCH_KEYS; j++)
		buf_addf(&b, "%s{\"key\":\"%s\",\"value\":\"%s\"}", j ? "," : "", param_names[j],
			 search_param_value(run, j));
	buf_adds(&b, "]}");
	return buf_detach(&b, NULL);
}

/* ---- setup calls ---------------------------------------------------------------- */

static const char *json_string_at(json_t *root, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(json_object_get(json_object_get(root, a), b), c);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void create_experiment(const char *name, char *id, size_t size)
{
	char body[160];
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	client_call("/api/2.0/mlflow/experiments/create", body);
	json_t *j = parse_json(&client.resp, "experiments/create");
	json_t *v = json_object_get(j, "experiment_id");
	if (!json_is_string(v))
		die("experiments/create: no experiment_id in %.200s", client.resp.ptr);
	snprintf(id, size, "%s", json_string_value(v));
	json_decref(j);
}

/* Run ids are 32 hex digits. */
#define RUN_ID_SIZE 40

static bool copy_run_id(const struct buf *answer, char *out)
{
	json_t *j = json_loadb(answer->ptr, answer->len, 0, NULL);
	const char *id = j ? json_string_at(j, "run", "info", "run_id") : NULL;
	bool ok = id && strlen(id) == 32;
	if (ok)
		snprintf(out, RUN_ID_SIZE, "%s", id);
	json_decref(j);
	return ok;
}

static void create_run(const char *experiment_id, char *run_id)
{
	char *body = create_run_body(experiment_id, 0);
	client_call("/api/2.0/mlflow/runs/create", body);
	free(body);
	if (!copy_run_id(&client.resp, run_id))
		die("runs/create: no run id in %.200s", client.resp.ptr);
}

/* ---- the phases -------------------------------------------------------------- */

struct results {
	double startup_ms, idle_rss_mb, peak_rss_mb;
	double batch_metrics_s, batch_s;   /* batch_clients */
	double batch_high_metrics_s;	    /* batch_clients_high, into a second run */
	double log_metric_req_s;
	double create_run_s;
	double search_median_ms, search_p95_ms;
	int search_returned, search_matching;
	double history_median_ms;
	int history_returned;
	double ceiling_rows_s; /* raw SQLite or COPY */
	double batch_vs_ceiling_pct, high_vs_low_pct;
	int server_exit_status;
};

static void phase_startup(const struct config *cfg, struct results *res)
{
	int port = free_loopback_port();
	snprintf(server.base_url, sizeof(server.base_url), "http://127.0.0.1:%d", port);
	double t0 = now_s();
	server_spawn(cfg, port, NULL, false);
	res->startup_ms = wait_until_healthy(t0) * 1000.0;
	res->idle_rss_mb = proc_status_mb(server.pid, "VmRSS");
	printf("start-up: %.1f ms to the first 200 on /health; idle RSS %.1f MB (port %d, dir %s)\n",
	       res->startup_ms, res->idle_rss_mb, port, server.dir);
}

/* Log-batch batches first .. first + n - 1 into one run with `clients` in
 * flight; returns seconds. */
static double log_batch_part(const char *run_id, int first, int n, int clients)
{
	if (n <= 0)
		return 0;
	char **bodies = log_batch_bodies(run_id, first, n, log_batch_rows, metric_names);
	struct load l = { "/api/2.0/mlflow/runs/log-batch", bodies, (size_t)n, clients, answer_is_empty_object,
			  NULL };
	struct cpu_mark mark;
	cpu_mark_now(&mark);
	double s = run_load(&l);
	free_bodies(bodies, l.n);
	printf("log-batch: batches %d-%d x %d metrics, %d clients: %.2f s, %.0f metrics/s\n", first, first + n - 1,
	       BATCH_ROWS, clients, s, (double)n * BATCH_ROWS / s);
	print_cpu_since(&mark);
	return s;
}

/* The log-batch rows with batch_clients into one run and with
 * batch_clients_high into another, in the order low, high, high, low (half
 * the batches each time), so that what changes while the tables grow
 * (checkpoints, autovacuum, deeper indexes, other jobs) weighs on both alike. */
static void phase_log_batch(const struct config *cfg, const char *low_run, const char *high_run,
			    struct results *res)
{
	int half = cfg->batches / 2, rest = cfg->batches - half;
	double low_s = log_batch_part(low_run, 0, half, cfg->batch_clients);
	double high_s = log_batch_part(high_run, 0, half, cfg->batch_clients_high);
	high_s += log_batch_part(high_run, half, rest, cfg->batch_clients_high);
	low_s += log_batch_part(low_run, half, rest, cfg->batch_clients);
	res->batch_metrics_s = (double)cfg->batches * BATCH_ROWS / low_s;
	res->batch_high_metrics_s = (double)cfg->batches * BATCH_ROWS / high_s;
	printf("log-batch: %d batches x %d metrics: %d clients %.0f metrics/s, %d clients %.0f metrics/s\n",
	       cfg->batches, BATCH_ROWS, cfg->batch_clients, res->batch_metrics_s, cfg->batch_clients_high,
	       res->batch_high_metrics_s);
}

static void phase_log_metric(const struct config *cfg, const char *run_id, struct results *res)
{
	char **bodies = xcalloc((size_t)cfg->log_metrics, sizeof(*bodies));
	for (int i = 0; i < cfg->log_metrics; i++)
		bodies[i] = log_metric_body(run_id, i);
	struct load l = { "/api/2.0/mlflow/runs/log-metric", bodies, (size_t)cfg->log_metrics, cfg->conns,
			  answer_is_empty_object, NULL };
	struct cpu_mark mark;
	cpu_mark_now(&mark);
	double s = run_load(&l);
	res->log_metric_req_s = cfg->log_metrics / s;
	free_bodies(bodies, l.n);
	printf("log-metric: %d requests, %d connections: %.2f s, %.0f req/s\n", cfg->log_metrics, cfg->conns, s,
	       res->log_metric_req_s);
	print_cpu_since(&mark);
}

static bool collect_run_id(void *ctx, size_t index, const struct buf *answer)
{
	char (*run_ids)[RUN_ID_SIZE] = ctx;
	return copy_run_id(answer, run_ids[index]);
}

/* Creates n runs over conns connections, ids into run_ids; returns seconds. */
static double create_runs(const char *experiment_id, int n, int conns, char (*run_ids)[RUN_ID_SIZE])
{
	char **bodies = xcalloc((size_t)n, sizeof(*bodies));
	for (int i = 0; i < n; i++)
		bodies[i] = create_run_body(experiment_id, i);
	struct load l = { "/api/2.0/mlflow/runs/create", bodies, (size_t)n, conns, collect_run_id, run_ids };
	double s = run_load(&l);
	free_bodies(bodies, l.n);
	return s;
}

static void phase_create_run(const struct config *cfg, struct results *res)
{
	char experiment_id[64];
	char(*run_ids)[RUN_ID_SIZE] = xcalloc((size_t)cfg->create_runs, RUN_ID_SIZE);
	create_experiment("bench-create-run", experiment_id, sizeof(experiment_id));
	struct cpu_mark mark;
	cpu_mark_now(&mark);
	double s = create_runs(experiment_id, cfg->create_runs, cfg->conns, run_ids);
	res->create_run_s = cfg->create_runs / s;
	free(run_ids);
	printf("create-run: %d requests, %d connections: %.2f s, %.0f runs/s\n", cfg->create_runs, cfg->conns, s,
	       res->create_run_s);
	print_cpu_since(&mark);
}

static void seed_search_runs(const struct config *cfg, const char *experiment_id)
{
	int n = cfg->search_runs;
	char(*run_ids)[RUN_ID_SIZE] = xcalloc((size_t)n, RUN_ID_SIZE);
	double t0 = now_s();
	create_runs(experiment_id, n, cfg->conns, run_ids);
	char **bodies = xcalloc((size_t)n, sizeof(*bodies));
	for (int r = 0; r < n; r++)
		bodies[r] = search_seed_body(run_ids[r], r);
	struct load l = { "/api/2.0/mlflow/runs/log-batch", bodies, (size_t)n, cfg->conns, answer_is_empty_object,
			  NULL };
	run_load(&l);
	free_bodies(bodies, l.n);
	free(run_ids);
	printf("search-runs: seeded %d runs x %d params x %d metrics in %.2f s\n", n, SEARCH_KEYS, SEARCH_KEYS,
	       now_s() - t0);
}

static int count_array(const char *what, const char *member)
{
	json_t *j = parse_json(&client.resp, what);
	json_t *a = json_object_get(j, member);
	int n = json_is_array(a) ? (int)json_array_size(a) : 0;
	if (a && !json_is_array(a))
		die("%s: \"%s\" is not an array", what, member);
	json_decref(j);
	return n;
}

static void phase_search(const struct config *cfg, struct results *res)
{
	char experiment_id[64], body[512];
	int expected = 0;
	create_experiment("bench-search", experiment_id, sizeof(experiment_id));
	seed_search_runs(cfg, experiment_id);
	for (int r = 0; r < cfg->search_runs; r++)
		expected += search_run_matches(r);
	res->search_matching = expected;
	expected = expected < SEARCH_MAX_RESULTS ? expected : SEARCH_MAX_RESULTS;
	snprintf(body, sizeof(body),
		 "{\"experiment_ids\":[\"%s\"],\"filter\":\"metrics.m3 > 0.5 and params.p2 = 'v1'\","
		 "\"order_by\":[\"metrics.m1 DESC\"],\"max_results\":%d}",
		 experiment_id, SEARCH_MAX_RESULTS);
	double *ms = xcalloc((size_t)cfg->search_calls, sizeof(*ms));
	struct cpu_mark mark;
	cpu_mark_now(&mark);
	for (int i = 0; i < cfg->search_calls; i++) {
		ms[i] = client_call("/api/2.0/mlflow/runs/search", body);
		res->search_returned = count_array("runs/search", "runs");
		if (res->search_returned != expected || expected == 0)
			die("runs/search returned %d runs, expected %d (of %d matching)", res->search_returned,
			    expected, res->search_matching);
	}
	res->search_median_ms = percentile(ms, cfg->search_calls, 50);
	res->search_p95_ms = percentile(ms, cfg->search_calls, 95);
	free(ms);
	printf("search-runs: %d calls, %d runs returned (%d match): median %.1f ms, p95 %.1f ms\n",
	       cfg->search_calls, res->search_returned, res->search_matching, res->search_median_ms,
	       res->search_p95_ms);
	print_cpu_since(&mark);
}

static void seed_history(const struct config *cfg, const char *run_id)
{
	int n = cfg->history_points / BATCH_ROWS;
	char **bodies = log_batch_bodies(run_id, 0, n, history_rows, history_names);
	struct load l = { "/api/2.0/mlflow/runs/log-batch", bodies, (size_t)n, cfg->batch_clients,
			  answer_is_empty_object, NULL };
	run_load(&l);
	free_bodies(bodies, l.n);
}

static void phase_history(const struct config *cfg, const char *experiment_id, struct results *res)
{
	char run_id[RUN_ID_SIZE], path[256];
	create_run(experiment_id, run_id);
	seed_history(cfg, run_id);
	snprintf(path, sizeof(path), "/api/2.0/mlflow/metrics/get-history?run_id=%s&metric_key=%s", run_id,
		 HISTORY_KEY);
	double *ms = xcalloc((size_t)cfg->history_calls, sizeof(*ms));
	struct cpu_mark mark;
	cpu_mark_now(&mark);
	for (int i = 0; i < cfg->history_calls; i++) {
		ms[i] = client_call(path, NULL);
		res->history_returned = count_array("metrics/get-history", "metrics");
		if (res->history_returned != cfg->history_points)
			die("metrics/get-history returned %d points, expected %d", res->history_returned,
			    cfg->history_points);
	}
	res->history_median_ms = percentile(ms, cfg->history_calls, 50);
	free(ms);
	printf("get-history: %d calls, %d points each (%.1f MB JSON): median %.1f ms\n", cfg->history_calls,
	       res->history_returned, (double)client.resp.len / 1e6, res->history_median_ms);
	print_cpu_since(&mark);
}

static void phase_stop(struct results *res)
{
	res->peak_rss_mb = proc_status_mb(server.pid, "VmHWM");
	double t0 = now_s();
	res->server_exit_status = server_stop();
	printf("peak RSS %.1f MB; SIGTERM -> exit in %.0f ms (status 0x%x)\n", res->peak_rss_mb,
	       (now_s() - t0) * 1000.0, (unsigned)res->server_exit_status);
}

/* ---- the raw SQLite ceiling -------------------------------------------------- */

/* The server's pragmas (sqlite_conn.c) and metric statements (store_sqlite.c). */
static const char raw_pragmas[] = "PRAGMA journal_mode=WAL;"
				  "PRAGMA synchronous=NORMAL;"
				  "PRAGMA foreign_keys=OFF;"
				  "PRAGMA case_sensitive_like=ON;"
				  "PRAGMA temp_store=MEMORY;"
				  "PRAGMA cache_size=-8192;";
static const char raw_metric_insert[] =
	"INSERT OR IGNORE INTO metrics(run_pk, key_id, timestamp, step, value, is_nan) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char raw_latest_upsert[] =
	"INSERT INTO latest_metrics(run_pk, key_id, value, timestamp, step, is_nan) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
	"ON CONFLICT(run_pk, key_id) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, "
	"step = excluded.step, is_nan = excluded.is_nan "
	"WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, "
	"latest_metrics.value)";

struct raw_db {
	sqlite3 *db;
	sqlite3_stmt *metric_insert, *latest_upsert;
};

static void raw_exec(struct raw_db *r, const char *sql)
{
	if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die("raw sqlite: %.80s: %s", sql, sqlite3_errmsg(r->db));
}

static sqlite3_stmt *raw_prepare(struct raw_db *r, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		die("raw sqlite: prepare %.80s: %s", sql, sqlite3_errmsg(r->db));
	return s;
}

/* Fresh db, server pragmas and schema, one experiment, one run, the keys. */
static void raw_open(struct raw_db *r, const char *path)
{
	char sql[256];
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL))
		die("raw sqlite: cannot open %s", path);
	sqlite3_busy_timeout(r->db, 10000); /* before journal_mode, as the server */
	raw_exec(r, raw_pragmas);
	for (size_t i = 0; i < ARRAY_SIZE(schema_sqlite_migrations); i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%zu;", i + 1);
		raw_exec(r, "BEGIN IMMEDIATE");
		raw_exec(r, schema_sqlite_migrations[i]);
		raw_exec(r, sql);
		raw_exec(r, "COMMIT");
	}
	raw_exec(r, "INSERT INTO experiments(experiment_id, name, artifact_location) VALUES(1, 'raw', '')");
	raw_exec(r, "INSERT INTO runs(run_pk, run_uuid, experiment_id, status) VALUES(1, 'raw', 1, 'RUNNING')");
	for (int k = 0; k < BATCH_KEYS; k++) {
		snprintf(sql, sizeof(sql), "INSERT INTO metric_keys(key_id, key) VALUES(%d, '%s')", k + 1,
			 metric_names[k]);
		raw_exec(r, sql);
	}
	r->metric_insert = raw_prepare(r, raw_metric_insert);
	r->latest_upsert = raw_prepare(r, raw_latest_upsert);
}

static void raw_close(struct raw_db *r)
{
	sqlite3_finalize(r->metric_insert);
	sqlite3_finalize(r->latest_upsert);
	sqlite3_close(r->db);
}

static void raw_step(struct raw_db *r, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die("raw sqlite: %.60s: %s", sqlite3_sql(s), sqlite3_errmsg(r->db));
	sqlite3_reset(s);
}

static void raw_insert_point(struct raw_db *r, const struct metric_row *m)
{
	sqlite3_stmt *s = r->metric_insert;
	sqlite3_bind_int64(s, 1, 1);
	sqlite3_bind_int64(s, 2, m->key + 1);
	sqlite3_bind_int64(s, 3, m->timestamp);
	sqlite3_bind_int64(s, 4, m->step);
	sqlite3_bind_double(s, 5, m->value);
	sqlite3_bind_int(s, 6, 0);
	raw_step(r, s);
}

static void raw_upsert_latest(struct raw_db *r, const struct metric_row *m)
{
	sqlite3_stmt *s = r->latest_upsert;
	sqlite3_bind_int64(s, 1, 1);
	sqlite3_bind_int64(s, 2, m->key + 1);
	sqlite3_bind_double(s, 3, m->value);
	sqlite3_bind_int64(s, 4, m->timestamp);
	sqlite3_bind_int64(s, 5, m->step);
	sqlite3_bind_int(s, 6, 0);
	raw_step(r, s);
}

/* MLflow's "latest" rule: the largest (step, timestamp, value). */
static bool row_later(const struct metric_row *a, const struct metric_row *b)
{
	if (a->step != b->step)
		return a->step > b->step;
	if (a->timestamp != b->timestamp)
		return a->timestamp > b->timestamp;
	return a->value > b->value;
}

/* One transaction: every point, then one latest_metrics upsert per key. */
static void raw_insert_batch(struct raw_db *r, const struct metric_row *rows, int n)
{
	const struct metric_row *latest[BATCH_KEYS] = { 0 };
	raw_exec(r, "BEGIN IMMEDIATE");
	for (int i = 0; i < n; i++) {
		raw_insert_point(r, &rows[i]);
		if (!latest[rows[i].key] || row_later(&rows[i], latest[rows[i].key]))
			latest[rows[i].key] = &rows[i];
	}
	for (int k = 0; k < BATCH_KEYS; k++)
		if (latest[k])
			raw_upsert_latest(r, latest[k]);
	raw_exec(r, "COMMIT");
}

static struct metric_row *all_log_batch_rows(const struct config *cfg)
{
	struct metric_row *rows = xcalloc((size_t)cfg->batches * BATCH_ROWS, sizeof(*rows));
	for (int b = 0; b < cfg->batches; b++)
		log_batch_rows(b, rows + (size_t)b * BATCH_ROWS);
	return rows;
}

/* The ceiling runs twice, before the server starts and after it stops (so
 * it never competes with the server for CPU), and the figure is both runs
 * together: a machine whose load changes during the run weighs on the
 * ceiling as on the server's figures. Each returns seconds. */
static double raw_sqlite_ceiling(const struct config *cfg, const char *when)
{
	char path[256];
	struct raw_db r = { 0 };
	struct metric_row *rows = all_log_batch_rows(cfg);
	snprintf(path, sizeof(path), "%s/raw-%s.db", server.dir, when);
	raw_open(&r, path);
	double t0 = now_s();
	for (int b = 0; b < cfg->batches; b++)
		raw_insert_batch(&r, rows + (size_t)b * BATCH_ROWS, BATCH_ROWS);
	double s = now_s() - t0;
	raw_close(&r);
	free(rows);
	printf("raw SQLite (%s): %d transactions x %d rows in-process: %.2f s, %.0f rows/s\n", when, cfg->batches,
	       BATCH_ROWS, s, (double)cfg->batches * BATCH_ROWS / s);
	return s;
}

/* ---- the PostgreSQL COPY ceiling ------------------------------------------------ */

static double copy_ceiling(const struct config *cfg, const char *when)
{
	struct mlf_err err;
	double rows_s = 0;
	struct metric_row *rows = all_log_batch_rows(cfg);
	int rc = bench_pg_copy_ceiling(&server.pg, rows, cfg->batches, BATCH_ROWS, metric_names, BATCH_KEYS,
				       &rows_s, &err);
	free(rows);
	if (rc < 0)
		die("COPY ceiling: %s", err.msg);
	printf("COPY ceiling (%s): %d transactions x %d rows (COPY, then the latest_metrics upsert), one client: "
	       "%.0f rows/s\n",
	       when, cfg->batches, BATCH_ROWS, rows_s);
	return (double)cfg->batches * BATCH_ROWS / rows_s;
}

static double phase_ceiling(const struct config *cfg, const char *when)
{
	return server.kind == STORE_PG ? copy_ceiling(cfg, when) : raw_sqlite_ceiling(cfg, when);
}

/* ---- the report ---------------------------------------------------------------- */

enum goal { GOAL_NONE, GOAL_AT_LEAST, GOAL_AT_MOST };

/* One line of the report: a double of struct results and its target per
 * store (0: none for that store). */
static const struct figure {
	const char *label;
	size_t offset;
	const char *unit;
	bool rate; /* printed as an integer with thousands separators */
	enum goal goal;
	double target[N_STORE_KINDS]; /* sqlite, postgresql */
} figures[] = {
	{ "log-batch, 4 clients", offsetof(struct results, batch_metrics_s), "metrics/s", true, GOAL_AT_LEAST,
	  { 150000, 0 } },
	{ "log-batch, 16 clients", offsetof(struct results, batch_high_metrics_s), "metrics/s", true, GOAL_AT_LEAST,
	  { 0, 0 } },
	{ "log-batch 16 cl. vs 4 cl.", offsetof(struct results, high_vs_low_pct), "%", false, GOAL_AT_LEAST,
	  { 0, 100 } },
	{ "log-batch 4 cl. / ceiling", offsetof(struct results, batch_vs_ceiling_pct), "%", false, GOAL_AT_LEAST,
	  { 60, 50 } },
	{ "ceiling (raw SQLite / COPY)", offsetof(struct results, ceiling_rows_s), "rows/s", true, GOAL_NONE,
	  { 0, 0 } },
	{ "single log-metric", offsetof(struct results, log_metric_req_s), "req/s", true, GOAL_AT_LEAST,
	  { 10000, 0 } },
	{ "create-run", offsetof(struct results, create_run_s), "runs/s", true, GOAL_NONE, { 0, 0 } },
	{ "search-runs median", offsetof(struct results, search_median_ms), "ms", false, GOAL_AT_MOST, { 50, 50 } },
	{ "search-runs p95", offsetof(struct results, search_p95_ms), "ms", false, GOAL_AT_MOST, { 50, 50 } },
	{ "get-history median", offsetof(struct results, history_median_ms), "ms", false, GOAL_AT_MOST,
	  { 100, 150 } },
	{ "idle RSS (VmRSS after start)", offsetof(struct results, idle_rss_mb), "MB", false, GOAL_AT_MOST,
	  { 10, 10 } },
	{ "peak RSS (VmHWM after load)", offsetof(struct results, peak_rss_mb), "MB", false, GOAL_AT_MOST,
	  { 64, 64 } },
	{ "start-up (exec to /health 200)", offsetof(struct results, startup_ms), "ms", false, GOAL_AT_MOST,
	  { 20, 0 } },
};

struct store_run {
	const char *store; /* "sqlite" or the URI */
	enum store_kind kind;
	struct results res;
};

static double figure_value(const struct figure *f, const struct results *res)
{
	return *(const double *)(const void *)((const char *)res + f->offset);
}

static void format_value(const struct figure *f, double v, char *out, size_t size)
{
	char num[48];
	if (f->rate)
		snprintf(out, size, "%s %s", with_commas(v, num, sizeof(num)), f->unit);
	else
		snprintf(out, size, "%.*f %s", strcmp(f->unit, "%") == 0 ? 0 : 1, v, f->unit);
}

/* The target as text and whether `v` meets it (-1: no target). */
static int format_goal(const struct figure *f, enum store_kind kind, double v, char *out, size_t size)
{
	char num[48];
	double t = f->target[kind];
	if (f->goal == GOAL_NONE || t <= 0) {
		snprintf(out, size, "-");
		return -1;
	}
	if (f->rate)
		snprintf(out, size, "%s %s", f->goal == GOAL_AT_LEAST ? ">=" : "<=", with_commas(t, num, sizeof(num)));
	else
		snprintf(out, size, "%s %.0f %s", f->goal == GOAL_AT_LEAST ? ">=" : "<=", t, f->unit);
	return f->goal == GOAL_AT_LEAST ? v >= t : v <= t;
}

static const char *verdict(int pass)
{
	return pass < 0 ? "-" : pass ? "PASS" : "MISS";
}

static void print_report(const struct config *cfg, const struct store_run *run)
{
	char value[64], goal[48];
	printf("\nmlflowc benchmark (%s run, store %s)%s\n", cfg->quick ? "quick" : "full", store_kind_names[run->kind],
	       cfg->quick ? ": smoke counts, figures not comparable to the targets" : "");
	printf("  %-32s %20s   %-16s %s\n", "figure", "value", "target", "result");
	for (size_t i = 0; i < ARRAY_SIZE(figures); i++) {
		double v = figure_value(&figures[i], &run->res);
		format_value(&figures[i], v, value, sizeof(value));
		int pass = format_goal(&figures[i], run->kind, v, goal, sizeof(goal));
		printf("  %-32s %20s   %-16s %s\n", figures[i].label, value, goal, verdict(pass));
	}
}

/* Every store of the run in one table, each with its own targets. */
static void print_side_by_side(const struct config *cfg, const struct store_run *runs, int n)
{
	char value[64], goal[48], head[48];
	printf("\nside by side (%s run; search over %d runs, history of %d points)\n", cfg->quick ? "quick" : "full",
	       cfg->search_runs, cfg->history_points);
	printf("  %-30s", "figure");
	for (int s = 0; s < n; s++) {
		snprintf(head, sizeof(head), "%s", store_kind_names[runs[s].kind]);
		printf(" | %18s %-13s %-4s", head, "target", "");
	}
	printf("\n  %-30s", "");
	for (int s = 0; s < n; s++)
		printf(" | %18s %-13s %-4s", "------------------", "-------------", "----");
	printf("\n");
	for (size_t i = 0; i < ARRAY_SIZE(figures); i++) {
		printf("  %-30s", figures[i].label);
		for (int s = 0; s < n; s++) {
			double v = figure_value(&figures[i], &runs[s].res);
			format_value(&figures[i], v, value, sizeof(value));
			int pass = format_goal(&figures[i], runs[s].kind, v, goal, sizeof(goal));
			printf(" | %18s %-13s %-4s", value, goal, verdict(pass));
		}
		printf("\n");
	}
}

/* ---- --auth-compare: the cost of the basic-auth app ------------------------------
 * Two servers side by side on one store kind (SQLite), `off` without auth
 * and `on` with --app-name basic-auth; the same log-batch and log-metric
 * load goes to each, in the order off, on, on, off (half the requests each
 * time, each figure its two halves together), so that a machine whose load
 * drifts weighs on both alike. On `on` the load is sent by `bench`, a
 * non-admin user with EDIT on the experiment (the default permission is
 * NO_PERMISSIONS), with HTTP Basic: every request goes through the
 * credential cache and the permission check (a row lookup). */

#define AUTH_ADMIN "admin"
#define AUTH_ADMIN_PASSWORD "bench-admin-password-1"
#define AUTH_USER "bench"
#define AUTH_USER_PASSWORD "bench-user-password-1"
#define AUTH_TARGET_PCT 90.0 /* the target: at most 10% lower */

enum { SIDE_OFF, SIDE_ON, N_SIDES };

struct side {
	const char *name;  /* of its files */
	const char *state; /* "off", "on" */
	pid_t pid;
	char base_url[64];
	char *header; /* "Authorization: Basic ..." of the load's sender; NULL: none */
	char batch_run[RUN_ID_SIZE], metric_run[RUN_ID_SIZE];
	double batch_s, metric_s;         /* wall seconds, both halves */
	double batch_cpu_s, metric_cpu_s; /* server CPU seconds, both halves */
	double first_basic_ms, next_basic_ms;
	int exit_status;
};

static char *basic_header_line(const char *user, const char *password)
{
	struct buf pair = BUF_INIT, line = BUF_INIT;
	buf_addf(&pair, "%s:%s", user, password);
	buf_adds(&line, "Authorization: Basic ");
	util_base64_encode(&line, pair.ptr, pair.len);
	buf_release(&pair);
	return buf_detach(&line, NULL);
}

/* Makes `side` the server that server.*, client_call and run_load talk to,
 * with `header` on every request; the other one's pid waits in spare_pid. */
static void use_side(struct side *sides, int which, const char *header)
{
	server.pid = sides[which].pid;
	server.spare_pid = sides[!which].pid;
	snprintf(server.base_url, sizeof(server.base_url), "%s", sides[which].base_url);
	auth_header_line = header;
	curl_slist_free_all(client.headers);
	client.headers = json_headers();
	curl_easy_setopt(client.easy, CURLOPT_HTTPHEADER, client.headers);
}

static void write_auth_ini(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/auth.ini", server.dir);
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	fprintf(f, "[mlflow]\ndefault_permission = NO_PERMISSIONS\nadmin_username = %s\nadmin_password = %s\n",
		AUTH_ADMIN, AUTH_ADMIN_PASSWORD);
	fclose(f);
}

static void start_side(const struct config *cfg, struct side *sides, int which)
{
	struct side *s = &sides[which];
	int port = free_loopback_port();
	snprintf(s->base_url, sizeof(s->base_url), "http://127.0.0.1:%d", port);
	snprintf(server.base_url, sizeof(server.base_url), "%s", s->base_url);
	server.spare_pid = sides[!which].pid;
	server.pid = -1;
	double t0 = now_s();
	server_spawn(cfg, port, s->name, which == SIDE_ON);
	s->pid = server.pid;
	double ms = wait_until_healthy(t0) * 1000.0;
	printf("server %s (%s): up in %.1f ms on port %d, log %s/%s.log\n", s->name,
	       which == SIDE_ON ? "--app-name basic-auth" : "no auth", ms, port, server.dir, s->name);
}

/* The experiment and runs of one side; on `on` the admin makes the user and
 * the experiment and grants EDIT, and the user makes the runs. */
static void setup_side(struct side *sides, int which)
{
	struct side *s = &sides[which];
	char experiment_id[64], body[256];
	if (which == SIDE_ON) {
		char *admin = basic_header_line(AUTH_ADMIN, AUTH_ADMIN_PASSWORD);
		use_side(sides, which, admin);
		snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", AUTH_USER, AUTH_USER_PASSWORD);
		client_call("/api/2.0/mlflow/users/create", body);
		create_experiment("bench-auth", experiment_id, sizeof(experiment_id));
		snprintf(body, sizeof(body), "{\"experiment_id\":\"%s\",\"username\":\"%s\",\"permission\":\"EDIT\"}",
			 experiment_id, AUTH_USER);
		client_call("/api/2.0/mlflow/experiments/permissions/create", body);
		use_side(sides, which, s->header);
		free(admin);
	} else {
		use_side(sides, which, NULL);
		create_experiment("bench-auth", experiment_id, sizeof(experiment_id));
	}
	/* the first request with new credentials pays the KDF, the next hit the cache */
	char *run_body = create_run_body(experiment_id, 0);
	s->first_basic_ms = client_call("/api/2.0/mlflow/runs/create", run_body);
	if (!copy_run_id(&client.resp, s->batch_run))
		die("runs/create: no run id in %.200s", client.resp.ptr);
	s->next_basic_ms = client_call("/api/2.0/mlflow/runs/create", run_body);
	if (!copy_run_id(&client.resp, s->metric_run))
		die("runs/create: no run id in %.200s", client.resp.ptr);
	free(run_body);
}

/* One half of a phase on one side: returns wall seconds, adds server CPU. */
static double compare_part(struct side *sides, int which, const struct load *l, double *cpu)
{
	use_side(sides, which, sides[which].header);
	double cpu0 = server_cpu_s();
	double s = run_load(l);
	*cpu += server_cpu_s() - cpu0;
	return s;
}

static void compare_phase(const struct config *cfg, struct side *sides, bool batch)
{
	int n = batch ? cfg->batches : cfg->log_metrics, half = n / 2;
	int conns = batch ? cfg->batch_clients : cfg->conns;
	static const int order[4] = { SIDE_OFF, SIDE_ON, SIDE_ON, SIDE_OFF };
	bool second[N_SIDES] = { false, false };
	for (int k = 0; k < 4; k++) {
		struct side *s = &sides[order[k]];
		const char *run_id = batch ? s->batch_run : s->metric_run;
		int first = second[order[k]] ? half : 0, count = second[order[k]] ? n - half : half;
		second[order[k]] = true;
		if (count <= 0)
			continue;
		char **bodies;
		if (batch) {
			bodies = log_batch_bodies(run_id, first, count, log_batch_rows, metric_names);
		} else {
			bodies = xcalloc((size_t)count, sizeof(*bodies));
			for (int i = 0; i < count; i++)
				bodies[i] = log_metric_body(run_id, first + i);
		}
		struct load l = { batch ? "/api/2.0/mlflow/runs/log-batch" : "/api/2.0/mlflow/runs/log-metric", bodies,
				  (size_t)count, conns, answer_is_empty_object, NULL };
		double secs = compare_part(sides, order[k], &l, batch ? &s->batch_cpu_s : &s->metric_cpu_s);
		*(batch ? &s->batch_s : &s->metric_s) += secs;
		printf("%s, auth %s: %d requests %d-%d, %d connections: %.2f s, %.0f %s\n",
		       batch ? "log-batch" : "log-metric", s->state, count, first, first + count - 1, conns, secs,
		       batch ? (double)count * BATCH_ROWS / secs : count / secs, batch ? "metrics/s" : "req/s");
		free_bodies(bodies, l.n);
	}
}

static void print_compare_line(const char *label, double off, double on, const char *unit, double requests,
			       double off_cpu, double on_cpu)
{
	char a[48], b[48];
	double pct = 100.0 * on / off;
	printf("  %-22s %18s %18s %8.1f%%   >= %.0f%%   %s\n", label, with_commas(off, a, sizeof(a)),
	       with_commas(on, b, sizeof(b)), pct, AUTH_TARGET_PCT, pct >= AUTH_TARGET_PCT ? "PASS" : "MISS");
	printf("  %-22s %15.3f ms %15.3f ms %+8.1f%%   (server CPU per request; %s)\n", "", 1000.0 * off_cpu / requests,
	       1000.0 * on_cpu / requests, 100.0 * (on_cpu - off_cpu) / off_cpu, unit);
}

static int run_auth_compare(const struct config *cfg)
{
	struct side sides[N_SIDES] = { { .name = "auth-off", .state = "off", .pid = -1 },
					{ .name = "auth-on", .state = "on", .pid = -1 } };
	sides[SIDE_ON].header = basic_header_line(AUTH_USER, AUTH_USER_PASSWORD);
	server.kind = STORE_SQLITE;
	make_temp_dir();
	write_auth_ini();
	printf("auth compare: SQLite stores in %s, the servers side by side\n", server.dir);
	start_side(cfg, sides, SIDE_OFF);
	start_side(cfg, sides, SIDE_ON);
	client_init();
	setup_side(sides, SIDE_OFF);
	setup_side(sides, SIDE_ON);
	printf("auth on: first Basic request of '%s' (argon2id, then cached) %.1f ms, the next %.1f ms "
	       "(auth off: %.1f ms, %.1f ms)\n",
	       AUTH_USER, sides[SIDE_ON].first_basic_ms, sides[SIDE_ON].next_basic_ms, sides[SIDE_OFF].first_basic_ms,
	       sides[SIDE_OFF].next_basic_ms);
	compare_phase(cfg, sides, true);
	compare_phase(cfg, sides, false);
	client_release();
	auth_header_line = NULL;
	for (int w = 0; w < N_SIDES; w++) {
		server.pid = sides[w].pid;
		server.spare_pid = sides[!w].pid;
		sides[w].exit_status = server_stop();
		sides[w].pid = -1;
	}
	server.spare_pid = -1;
	printf("\nauth on vs off (%s run; %d log-batch x %d metrics on %d clients, %d log-metric on %d connections)\n",
	       cfg->quick ? "quick" : "full", cfg->batches, BATCH_ROWS, cfg->batch_clients, cfg->log_metrics, cfg->conns);
	printf("  %-22s %18s %18s %9s   %-6s   %s\n", "figure", "auth off", "auth on", "on/off", "target", "result");
	print_compare_line("log-batch metrics/s", (double)cfg->batches * BATCH_ROWS / sides[SIDE_OFF].batch_s,
			   (double)cfg->batches * BATCH_ROWS / sides[SIDE_ON].batch_s, "1000 metrics each", cfg->batches,
			   sides[SIDE_OFF].batch_cpu_s, sides[SIDE_ON].batch_cpu_s);
	print_compare_line("single log-metric req/s", cfg->log_metrics / sides[SIDE_OFF].metric_s,
			   cfg->log_metrics / sides[SIDE_ON].metric_s, "one metric each", cfg->log_metrics,
			   sides[SIDE_OFF].metric_cpu_s, sides[SIDE_ON].metric_cpu_s);
	free(sides[SIDE_ON].header);
	int status = 0;
	for (int w = 0; w < N_SIDES; w++)
		if (sides[w].exit_status != 0) {
			fprintf(stderr, "loadgen: the %s server did not exit cleanly on SIGTERM (status 0x%x)\n", sides[w].name,
				(unsigned)sides[w].exit_status);
			server.failed = true;
			status = 1;
		}
	remove_temp_dir();
	server.dir[0] = '\0';
	return status;
}

/* ---- options and main ------------------------------------------------------------ */

static const struct {
	const char *name;
	size_t offset;
	int min;
	const char *help;
} int_options[] = {
	{ "--batches", offsetof(struct config, batches), 1, "log-batch requests of 1000 metrics (300)" },
	{ "--batch-clients", offsetof(struct config, batch_clients), 1, "concurrent log-batch clients (4)" },
	{ "--batch-clients-high", offsetof(struct config, batch_clients_high), 1,
	  "log-batch clients of the second log-batch phase (16)" },
	{ "--log-metrics", offsetof(struct config, log_metrics), 1, "single log-metric requests (40000)" },
	{ "--create-runs", offsetof(struct config, create_runs), 1, "create-run requests (10000)" },
	{ "--conns", offsetof(struct config, conns), 1, "connections for log-metric, create-run, seeding (8)" },
	{ "--search-runs", offsetof(struct config, search_runs), 1, "runs seeded for search-runs (5000)" },
	{ "--search-calls", offsetof(struct config, search_calls), 1, "timed search-runs calls (20)" },
	{ "--history-points", offsetof(struct config, history_points), BATCH_ROWS,
	  "points of one key, a multiple of 1000 (100000)" },
	{ "--history-calls", offsetof(struct config, history_calls), 1, "timed get-history calls (10)" },
	{ "--workers", offsetof(struct config, workers), 0, "server --workers (server default)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: loadgen [--quick] [--keep] [--server PATH] [options]\n"
		     "  --quick                a smoke run with tiny counts (a few seconds)\n"
		     "  --keep                 keep the temp dir (database, server.log)\n"
		     "  --server PATH          the mlflowc binary (build/mlflowc)\n"
		     "  --server-arg ARG       one more server argument, e.g. --server-arg --durability\n"
		     "                         --server-arg full (repeatable)\n"
		     "  --store STORE          sqlite (the default), a postgresql:// URI naming a server\n"
		     "                         (each run creates a fresh database there and drops it), or\n"
		     "                         both: sqlite, then $" PG_URI_ENV " (else $MLF_TEST_PG_ADMIN),\n"
		     "                         side by side; repeatable (every store in turn, one table)\n"
		     "  --auth-header VALUE    send 'Authorization: VALUE' with every request (a server\n"
		     "                         started with --server-arg --app-name --server-arg basic-auth)\n"
		     "  --auth-compare         the cost of auth: log-batch and log-metric against two\n"
		     "                         servers side by side, --app-name basic-auth and none (SQLite)\n");
	for (size_t i = 0; i < ARRAY_SIZE(int_options); i++)
		fprintf(out, "  %-16s N      %s\n", int_options[i].name, int_options[i].help);
}

static int parse_int_option(struct config *cfg, const char *name, const char *value)
{
	for (size_t i = 0; i < ARRAY_SIZE(int_options); i++) {
		if (strcmp(name, int_options[i].name) != 0)
			continue;
		char *end;
		long v = value ? strtol(value, &end, 10) : -1;
		if (!value || *end || v < int_options[i].min || v > 10000000) {
			fprintf(stderr, "loadgen: %s needs a number >= %d\n", name, int_options[i].min);
			return -1;
		}
		*(int *)((char *)cfg + int_options[i].offset) = (int)v;
		return 1;
	}
	return 0;
}

static int add_store(struct config *cfg, const char *store)
{
	if (strcmp(store, "sqlite") != 0 && !bench_pg_is_uri(store)) {
		fprintf(stderr, "loadgen: --store takes sqlite, both or a postgresql:// URI, not %s\n", store);
		return -1;
	}
	if (cfg->n_stores == MAX_STORES) {
		fprintf(stderr, "loadgen: at most %d stores\n", MAX_STORES);
		return -1;
	}
	cfg->stores[cfg->n_stores++] = store;
	return 0;
}

/* "both": SQLite, then the PostgreSQL server of $MLF_BENCH_PG_URI. */
static int add_stores(struct config *cfg, const char *store)
{
	if (strcmp(store, "both") != 0)
		return add_store(cfg, store);
	const char *pg = getenv(PG_URI_ENV);
	if (!pg || !*pg)
		pg = getenv("MLF_TEST_PG_ADMIN");
	if (!pg || !*pg) {
		fprintf(stderr, "loadgen: --store both needs $" PG_URI_ENV " (a postgresql:// URI)\n");
		return -1;
	}
	return add_store(cfg, "sqlite") < 0 ? -1 : add_store(cfg, pg);
}

/* --quick applies first, so explicit counts override it. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--quick") == 0)
			apply_quick(cfg);
	for (int i = 1; i < argc; i++) {
		int rc;
		if (strcmp(argv[i], "--quick") == 0)
			continue;
		if (strcmp(argv[i], "--keep") == 0) {
			cfg->keep_dir = true;
		} else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
			cfg->server_path = argv[++i];
		} else if (strcmp(argv[i], "--server-arg") == 0 && i + 1 < argc) {
			if (cfg->n_server_args == MAX_SERVER_ARGS) {
				fprintf(stderr, "loadgen: at most %d --server-arg\n", MAX_SERVER_ARGS);
				return -1;
			}
			cfg->server_args[cfg->n_server_args++] = argv[++i];
		} else if (strcmp(argv[i], "--auth-header") == 0 && i + 1 < argc) {
			cfg->auth_header = argv[++i];
		} else if (strcmp(argv[i], "--auth-compare") == 0) {
			cfg->auth_compare = true;
		} else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
			if (add_stores(cfg, argv[++i]) < 0)
				return -1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if ((rc = parse_int_option(cfg, argv[i], i + 1 < argc ? argv[i + 1] : NULL)) != 0) {
			if (rc < 0)
				return -1;
			i++;
		} else {
			usage(stderr);
			return -1;
		}
	}
	if (cfg->history_points % BATCH_ROWS) {
		fprintf(stderr, "loadgen: --history-points must be a multiple of %d\n", BATCH_ROWS);
		return -1;
	}
	return 0;
}

static void run_phases(const struct config *cfg, struct results *res)
{
	char experiment_id[64], batch_run[RUN_ID_SIZE], high_run[RUN_ID_SIZE], metric_run[RUN_ID_SIZE];
	double ceiling_s = phase_ceiling(cfg, "before the server");
	phase_startup(cfg, res);
	client_init();
	create_experiment("bench", experiment_id, sizeof(experiment_id));
	create_run(experiment_id, batch_run);
	create_run(experiment_id, high_run);
	create_run(experiment_id, metric_run);
	phase_log_batch(cfg, batch_run, high_run, res);
	phase_log_metric(cfg, metric_run, res);
	phase_create_run(cfg, res);
	phase_search(cfg, res);
	phase_history(cfg, experiment_id, res);
	client_release();
	phase_stop(res);
	ceiling_s += phase_ceiling(cfg, "after the server");
	res->ceiling_rows_s = 2.0 * cfg->batches * BATCH_ROWS / ceiling_s;
	printf("ceiling: %.0f rows/s (both runs)\n", res->ceiling_rows_s);
	res->batch_vs_ceiling_pct = 100.0 * res->batch_metrics_s / res->ceiling_rows_s;
	res->high_vs_low_pct = 100.0 * res->batch_high_metrics_s / res->batch_metrics_s;
}

/* One store from start to end: temp dir, database, server, phases, clean-up. */
static void run_store(const struct config *cfg, struct store_run *run)
{
	struct mlf_err err;
	run->kind = strcmp(run->store, "sqlite") == 0 ? STORE_SQLITE : STORE_PG;
	server.kind = run->kind;
	server.failed = false;
	if (run->kind == STORE_PG) {
		if (bench_pg_setup(&server.pg, run->store, &err) < 0)
			die("--store: %s", err.msg);
		server.pg_set_up = true;
	}
	make_temp_dir();
	if (run->kind == STORE_PG) {
		printf("store: PostgreSQL, fresh database %s\n", server.pg.db);
	} else {
		printf("store: SQLite in %s\n", server.dir);
	}
	run_phases(cfg, &run->res);
	if (run->res.server_exit_status != 0)
		server.failed = true;
	pg_teardown();
	remove_temp_dir();
	server.dir[0] = '\0';
}

int main(int argc, char **argv)
{
	struct config cfg = full_config;
	struct store_run runs[MAX_STORES] = { 0 };
	int status = 0;
	if (parse_args(argc, argv, &cfg) < 0)
		return 2;
	if (cfg.n_stores == 0)
		cfg.stores[cfg.n_stores++] = "sqlite";
	if (access(cfg.server_path, X_OK) != 0) {
		fprintf(stderr, "loadgen: %s is not an executable (run make first)\n", cfg.server_path);
		return 2;
	}
	server.keep_dir = cfg.keep_dir;
	install_cleanup();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cfg.auth_compare) {
		status = run_auth_compare(&cfg);
		curl_global_cleanup();
		return status;
	}
	struct buf header_line = BUF_INIT;
	if (cfg.auth_header) {
		buf_addf(&header_line, "Authorization: %s", cfg.auth_header);
		auth_header_line = header_line.ptr;
	}
	for (int s = 0; s < cfg.n_stores; s++) {
		runs[s].store = cfg.stores[s];
		if (cfg.n_stores > 1)
			printf("%s== %s\n", s ? "\n" : "", s ? "next store" : "first store");
		run_store(&cfg, &runs[s]);
	}
	for (int s = 0; s < cfg.n_stores; s++)
		print_report(&cfg, &runs[s]);
	if (cfg.n_stores > 1)
		print_side_by_side(&cfg, runs, cfg.n_stores);
	curl_global_cleanup();
	buf_release(&header_line);
	for (int s = 0; s < cfg.n_stores; s++)
		if (runs[s].res.server_exit_status != 0) {
			fprintf(stderr, "loadgen: the %s server did not exit cleanly on SIGTERM (status 0x%x)\n",
				store_kind_names[runs[s].kind], (unsigned)runs[s].res.server_exit_status);
			status = 1;
		}
	return status;
}
