/*
 * pyworker.c - the pool of Python worker processes behind the
 * python_function flavor (see pyworker.h for the contract, pyworker.py for
 * the program each worker runs and the frames they exchange).
 *
 * Every fork happens on the pool's supervisor thread, which lives as long
 * as the pool: PR_SET_PDEATHSIG fires when the *thread* that forked a child
 * ends, so workers forked from a short-lived caller thread would die with
 * it. The supervisor starts the first workers (load waits for it), then
 * sleeps until a slot needs a new worker. A request takes an idle slot under
 * the mutex, then talks to its worker without holding it; whoever finds a
 * worker dead or late reaps it and hands the slot back for a respawn.
 */
#include "pyworker.h"

#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
extern const char pyworker_py[];

#define EXIT_GRACE_MS 1000u /* a worker that closed its socket gets this long to exit */
#define STOP_GRACE_MS 2000u /* all workers, at stop */

static _Thread_local char tls_trace[PYWORKER_TRACE_MAX];

enum slot_state {
	SLOT_EMPTY,    /* no worker: the supervisor starts one */
	SLOT_STARTING, /* spawned, loading the model */
	SLOT_IDLE,
	SLOT_BUSY,     /* a request owns it (or someone is reaping it) */
};

struct slot {
	enum slot_state state;
	pid_t pid;
	int fd;          /* our end of the worker's socket, O_NONBLOCK */
	struct buf rx;   /* the answer being read */
};

struct pyworker_pool {
	char *python;
	char *config;
	size_t config_len;
	unsigned n, timeout_ms, start_timeout_ms;
	char *argv[5];
	char **envp; /* the server's environment, copied at start, with the thread defaults */
	struct slot *slots;

	pthread_mutex_t mu;
	pthread_cond_t idle;    /* a slot became idle, or the pool's health changed */
	pthread_cond_t work;    /* the supervisor has something to do */
	pthread_t supervisor;
	bool stopping;
	/* the first start, reported by the supervisor */
	bool started;
	int start_rc;
	struct mlf_err start_err;
	/* respawns that fail: requests fail fast while no worker lives */
	bool failing;
	char fail_msg[MLF_ERR_MSG_MAX];
	int64_t retry_at_ns;
	unsigned backoff_ms;
	unsigned restarts;
	char python_version[32];
};

/* ---- processes ---------------------------------------------------------- */

struct child_fds {
	int in, out, err; /* become 0, 1, 2 */
	int chan;         /* becomes 3, or -1 */
};

/* After fork: only async-signal-safe calls until exec. */
static MLF_NORETURN void child_exec(const struct child_fds *f, pid_t parent, char *const argv[], char *const envp[],
				    int maxfd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT };
	for (size_t i = 0; i < ARRAY_SIZE(reset); i++)
		sigaction(reset[i], &dfl, NULL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	/* Lift every descriptor we keep above 10 first, so the dup2s below
	 * cannot overwrite one another; dup2 clears O_CLOEXEC on its target. */
	int in = fcntl(f->in, F_DUPFD, 10);
	int out = fcntl(f->out, F_DUPFD, 10);
	int er = fcntl(f->err, F_DUPFD, 10);
	int chan = f->chan >= 0 ? fcntl(f->chan, F_DUPFD, 10) : -1;
	if (in < 0 || out < 0 || er < 0 || (f->chan >= 0 && chan < 0))
		_exit(127);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(er, 2) < 0 || (chan >= 0 && dup2(chan, 3) < 0))
		_exit(127);
	unsigned first = chan >= 0 ? 4 : 3;
	if (close_range(first, ~0u, 0) < 0)
		for (int fd = (int)first; fd < maxfd; fd++)
			close(fd);
	execve(argv[0], argv, envp);
	_exit(127);
}

static int max_fd(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (1u << 20))
		return (int)rl.rlim_cur;
	return 1 << 16;
}

static pid_t spawn(char *const argv[], char *const envp[], const struct child_fds *f, struct mlf_err *err)
{
	int maxfd = max_fd();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot start %s: fork: %s", argv[0], strerror(errno));
	if (pid == 0)
		child_exec(f, parent, argv, envp, maxfd);
	setpgid(pid, pid); /* also done by the child: whichever runs first */
	return pid;
}

void pyworker_describe_status(int status, char *out, size_t size)
{
	if (WIFEXITED(status)) {
		snprintf(out, size, "exited with code %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		snprintf(out, size, "killed by signal %d (SIG%s)", WTERMSIG(status), abbrev ? abbrev : "?");
	} else {
		snprintf(out, size, "ended with status %d", status);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* Waits up to grace_ms for `pid` to exit by itself, then SIGKILLs its
 * process group (what it started goes too; the zombie still holds the
 * pid, so the group cannot be someone else's yet) and reaps it. Returns
 * the status, or -1 when someone else reaped it. */
static int reap(pid_t pid, unsigned grace_ms)
{
	int64_t end = util_mono_ns() + (int64_t)grace_ms * 1000000;
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
			break;
		if (si.si_pid == pid || util_mono_ns() >= end)
			break;
		sleep_ms(2);
	}
	kill(-pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

/* ---- frames --------------------------------------------------------------- */

enum io_result { IO_OK, IO_EOF, IO_TIMEOUT, IO_GARBAGE, IO_ERROR };

static int remaining_ms(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - util_mono_ns();
	if (left <= 0)
		return 0;
	return (int)((left + 999999) / 1000000);
}

static enum io_result wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	for (;;) {
		int ms = remaining_ms(deadline);
		int r = poll(&pfd, 1, ms);
		if (r > 0)
			return IO_OK;
		if (r == 0)
			return IO_TIMEOUT;
		if (errno != EINTR)
			return IO_ERROR;
	}
}

static enum io_result send_frame(int fd, const char *data, size_t len, int64_t deadline)
{
	unsigned char head[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
				  (unsigned char)len };
	size_t sent = 0, total = len + 4;
	while (sent < total) {
		struct iovec iov[2];
		int n = 0;
		if (sent < 4) {
			iov[n++] = (struct iovec){ head + sent, 4 - sent };
			iov[n++] = (struct iovec){ (void *)data, len };
		} else {
			iov[n++] = (struct iovec){ (void *)(data + (sent - 4)), total - sent };
		}
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (w >= 0) {
			sent += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			enum io_result r = wait_fd(fd, POLLOUT, deadline);
			if (r != IO_OK)
				return r;
			continue;
		}
		return errno == EPIPE || errno == ECONNRESET ? IO_EOF : IO_ERROR;
	}
	return IO_OK;
}

/* Reads one answer into rx: tag, then the payload at rx->ptr + 5. */
static enum io_result recv_frame(int fd, struct buf *rx, int64_t deadline, char *tag, size_t *payload_len)
{
	buf_reset(rx);
	size_t want = 5;
	for (;;) {
		if (rx->len >= 5) {
			const unsigned char *h = (const unsigned char *)rx->ptr;
			size_t n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
			if (n > PYWORKER_MAX_ANSWER)
				return IO_GARBAGE;
			want = 5 + n;
			if (rx->len > want)
				return IO_GARBAGE; /* more than one frame: out of step */
			if (rx->len == want) {
				*tag = rx->ptr[0];
				*payload_len = n;
				return IO_OK;
			}
		}
		size_t room = want - rx->len;
		if (room < 65536)
			room = 65536;
		buf_grow(rx, room);
		ssize_t r = recv(fd, rx->ptr + rx->len, room, 0);
		if (r > 0) {
			rx->len += (size_t)r;
			rx->ptr[rx->len] = '\0';
			continue;
		}
		if (r == 0)
			return IO_EOF;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			enum io_result w = wait_fd(fd, POLLIN, deadline);
			if (w != IO_OK)
				return w;
			continue;
		}
		return errno == ECONNRESET ? IO_EOF : IO_ERROR;
	}
}

/* The "message" (and "stack_trace") of an error payload. */
static void error_payload(const char *data, size_t len, char *msg, size_t msg_size, char *trace, size_t trace_size)
{
	json_error_t jerr;
	json_t *v = json_loadb(data, len, 0, &jerr);
	const char *m = v ? json_string_value(json_object_get(v, "message")) : NULL;
	snprintf(msg, msg_size, "%s", m ? m : "(the worker's error did not read)");
	if (trace && trace_size > 0) {
		const char *t = v ? json_string_value(json_object_get(v, "stack_trace")) : NULL;
		size_t tl = t ? strlen(t) : 0;
		if (tl >= trace_size) { /* keep the end: the innermost frames and the exception */
			t += tl - (trace_size - 1);
			tl = trace_size - 1;
		}
		if (t)
			memcpy(trace, t, tl);
		trace[tl] = '\0';
	}
	json_decref(v);
}

/* ---- starting one worker ----------------------------------------------- */

static int worker_spawn(struct pyworker_pool *p, pid_t *pid, int *fd, struct mlf_err *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot start a Python worker: socketpair: %s", strerror(errno));
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		close(sv[0]);
		close(sv[1]);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot open /dev/null: %s", strerror(errno));
	}
	struct child_fds f = { .in = devnull, .out = STDERR_FILENO, .err = STDERR_FILENO, .chan = sv[1] };
	pid_t child = spawn(p->argv, p->envp, &f, err);
	close(devnull);
	close(sv[1]);
	if (child < 0) {
		close(sv[0]);
		return -1;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	*pid = child;
	*fd = sv[0];
	return 0;
}

static int worker_died(pid_t pid, unsigned grace_ms, const char *when, struct mlf_err *err, enum mlf_code code,
		       const struct pyworker_pool *p)
{
	int status = reap(pid, grace_ms);
	char how[96];
	if (status < 0)
		snprintf(how, sizeof(how), "ended");
	else
		pyworker_describe_status(status, how, sizeof(how));
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return mlf_errorf(err, code, "the Python worker (%s, pid %d) %s %s: the interpreter could not be run",
				  p->python, (int)pid, how, when);
	return mlf_errorf(err, code, "the Python worker (%s, pid %d) %s %s (its output is in the server's log)",
			  p->python, (int)pid, how, when);
}

/* Sends the configuration and waits for the worker's verdict. On failure
 * the worker is reaped. */
static int worker_handshake(struct pyworker_pool *p, struct slot *s, pid_t pid, int fd, struct mlf_err *err)
{
	int64_t deadline = util_mono_ns() + (int64_t)p->start_timeout_ms * 1000000;
	enum io_result r = send_frame(fd, p->config, p->config_len, deadline);
	char tag = 0;
	size_t n = 0;
	if (r == IO_OK)
		r = recv_frame(fd, &s->rx, deadline, &tag, &n);
	if (r == IO_OK && tag == 'R') {
		json_error_t jerr;
		json_t *v = json_loadb(s->rx.ptr + 5, n, 0, &jerr);
		const char *ver = v ? json_string_value(json_object_get(v, "python")) : NULL;
		if (ver && !p->python_version[0])
			snprintf(p->python_version, sizeof(p->python_version), "%s", ver);
		json_decref(v);
		return 0;
	}
	if (r == IO_OK && tag == 'L') {
		char msg[MLF_ERR_MSG_MAX];
		error_payload(s->rx.ptr + 5, n, msg, sizeof(msg), NULL, 0);
		reap(pid, EXIT_GRACE_MS);
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s", msg);
	}
	if (r == IO_TIMEOUT) {
		reap(pid, 0);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "the Python worker (%s) did not load the model within %u s",
				  p->python, p->start_timeout_ms / 1000);
	}
	if (r == IO_OK || r == IO_GARBAGE) {
		reap(pid, 0);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "the Python worker (%s) answered garbage while loading",
				  p->python);
	}
	return worker_died(pid, EXIT_GRACE_MS, "while loading the model", err, MLF_INTERNAL_ERROR, p);
}

/* ---- the supervisor -------------------------------------------------------- */

static void slot_clear(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->pid = 0;
	s->state = SLOT_EMPTY;
}

/* The first start: every worker spawned, then each one's handshake (they
 * load in parallel meanwhile). */
static int start_all(struct pyworker_pool *p, struct mlf_err *err)
{
	int rc = 0;
	for (unsigned i = 0; i < p->n && rc == 0; i++) {
		struct slot *s = &p->slots[i];
		pthread_mutex_lock(&p->mu);
		bool stop = p->stopping;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "the pool was stopped while starting");
		pid_t pid;
		int fd;
		rc = worker_spawn(p, &pid, &fd, err);
		if (rc == 0) {
			pthread_mutex_lock(&p->mu);
			s->pid = pid;
			s->fd = fd;
			s->state = SLOT_STARTING;
			pthread_mutex_unlock(&p->mu);
		}
	}
	for (unsigned i = 0; i < p->n && rc == 0; i++) {
		struct slot *s = &p->slots[i];
		if (worker_handshake(p, s, s->pid, s->fd, err) < 0) {
			pthread_mutex_lock(&p->mu);
			slot_clear(s);
			pthread_mutex_unlock(&p->mu);
			rc = -1;
			break;
		}
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_IDLE;
		pthread_mutex_unlock(&p->mu);
	}
	if (rc < 0) {
		for (unsigned i = 0; i < p->n; i++) {
			struct slot *s = &p->slots[i];
			if (s->pid > 0) {
				close(s->fd);
				s->fd = -1;
				reap(s->pid, 0);
			}
			pthread_mutex_lock(&p->mu);
			slot_clear(s);
			pthread_mutex_unlock(&p->mu);
		}
	}
	return rc;
}

static void *supervise(void *arg)
{
	struct pyworker_pool *p = arg;
	struct mlf_err err;
	int rc = start_all(p, &err);
	pthread_mutex_lock(&p->mu);
	p->start_rc = rc;
	if (rc < 0)
		p->start_err = err;
	p->started = true;
	pthread_cond_broadcast(&p->idle);
	if (rc < 0) {
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	while (!p->stopping) {
		struct slot *s = NULL;
		for (unsigned i = 0; i < p->n && !s; i++)
			if (p->slots[i].state == SLOT_EMPTY)
				s = &p->slots[i];
		if (!s) {
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		int64_t now = util_mono_ns();
		if (p->failing && now < p->retry_at_ns) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + (p->retry_at_ns - now);
			ts.tv_sec = (time_t)(ns / 1000000000);
			ts.tv_nsec = (long)(ns % 1000000000);
			pthread_cond_timedwait(&p->work, &p->mu, &ts);
			continue;
		}
		s->state = SLOT_STARTING;
		pthread_mutex_unlock(&p->mu);

		pid_t pid = 0;
		int fd = -1;
		rc = worker_spawn(p, &pid, &fd, &err);
		pthread_mutex_lock(&p->mu);
		if (rc == 0) {
			s->pid = pid;
			s->fd = fd;
		}
		bool stop = p->stopping;
		pthread_mutex_unlock(&p->mu);
		if (rc == 0 && stop) {
			rc = mlf_errorf(&err, MLF_INTERNAL_ERROR, "stopping");
			reap(pid, 0);
		} else if (rc == 0) {
			rc = worker_handshake(p, s, pid, fd, &err);
		}
		pthread_mutex_lock(&p->mu);
		if (rc == 0) {
			s->state = SLOT_IDLE;
			p->failing = false;
			p->backoff_ms = 0;
			log_info("python worker %d is ready (replacing one that ended)", (int)pid);
		} else {
			slot_clear(s);
			if (!p->stopping) {
				p->failing = true;
				snprintf(p->fail_msg, sizeof(p->fail_msg), "%s", err.msg);
				p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : 500;
				if (p->backoff_ms > 30000)
					p->backoff_ms = 30000;
				p->retry_at_ns = util_mono_ns() + (int64_t)p->backoff_ms * 1000000;
				log_error("python worker could not be started again (retrying in %u ms): %s",
					  p->backoff_ms, err.msg);
			}
		}
		pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the pool ------------------------------------------------------------ */

/* Numeric libraries run one thread per worker unless the user says
 * otherwise: the pool's parallelism is its processes, and an OpenMP or BLAS
 * team in every worker, spinning on a machine with few cores, made one-row
 * xgboost predictions some 60 times slower. */
static const char *const single_thread_env[] = { "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1",
						 "MKL_NUM_THREADS=1" };

static char **worker_env(void)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = xcalloc(n + ARRAY_SIZE(single_thread_env) + 1, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		env[k++] = xstrdup(environ[i]);
	for (size_t j = 0; j < ARRAY_SIZE(single_thread_env); j++) {
		const char *eq = strchr(single_thread_env[j], '=');
		size_t name_len = (size_t)(eq - single_thread_env[j]) + 1;
		bool set = false;
		for (size_t i = 0; i < n && !set; i++)
			set = strncmp(environ[i], single_thread_env[j], name_len) == 0;
		if (!set)
			env[k++] = xstrdup(single_thread_env[j]);
	}
	env[k] = NULL;
	return env;
}

static void pool_free(struct pyworker_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		buf_release(&p->slots[i].rx);
	free(p->slots);
	for (size_t i = 0; p->envp && p->envp[i]; i++)
		free(p->envp[i]);
	free(p->envp);
	free(p->python);
	free(p->config);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->work);
	free(p);
}

int pyworker_pool_start(const struct pyworker_config *cfg, struct pyworker_pool **out, struct mlf_err *err)
{
	*out = NULL;
	if (access(cfg->python, X_OK) != 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "the Python interpreter %s cannot be run: %s",
				  cfg->python, strerror(errno));
	struct pyworker_pool *p = xcalloc(1, sizeof(*p));
	p->python = xstrdup(cfg->python);
	p->config_len = strlen(cfg->config_json);
	p->config = xstrndup(cfg->config_json, p->config_len);
	p->n = cfg->workers ? cfg->workers : 1;
	p->timeout_ms = cfg->timeout_ms;
	p->start_timeout_ms = cfg->start_timeout_ms ? cfg->start_timeout_ms : PYWORKER_START_TIMEOUT_MS;
	p->argv[0] = p->python;
	p->argv[1] = (char *)"-B"; /* no __pycache__ written into the model's code/ */
	p->argv[2] = (char *)"-c";
	p->argv[3] = (char *)pyworker_py;
	p->argv[4] = NULL;
	p->envp = worker_env();
	p->slots = xcalloc(p->n, sizeof(*p->slots));
	for (unsigned i = 0; i < p->n; i++) {
		p->slots[i].fd = -1;
		p->slots[i].state = SLOT_STARTING;
		p->slots[i].rx = (struct buf)BUF_INIT;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->idle, &ca);
	pthread_cond_init(&p->work, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&p->supervisor, NULL, supervise, p) != 0) {
		pool_free(p);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot start the worker pool's thread");
	}
	pthread_mutex_lock(&p->mu);
	while (!p->started)
		pthread_cond_wait(&p->idle, &p->mu);
	int rc = p->start_rc;
	if (rc < 0 && err)
		*err = p->start_err;
	pthread_mutex_unlock(&p->mu);
	if (rc < 0) {
		pthread_join(p->supervisor, NULL);
		pool_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

const char *pyworker_stack_trace(void)
{
	return tls_trace;
}

const char *pyworker_pool_python_version(const struct pyworker_pool *p)
{
	return p->python_version;
}

unsigned pyworker_pool_restarts(struct pyworker_pool *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned n = p->restarts;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* The slot's worker is gone or must go: reaped here (outside the lock),
 * then handed to the supervisor. */
static void slot_replace(struct pyworker_pool *p, struct slot *s)
{
	pthread_mutex_lock(&p->mu);
	slot_clear(s);
	p->restarts++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

static void slot_release(struct pyworker_pool *p, struct slot *s)
{
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_IDLE;
	pthread_cond_signal(&p->idle);
	pthread_mutex_unlock(&p->mu);
}

/* Whether an idle worker has something to say (it cannot, unless it died
 * or is out of step). */
static bool idle_worker_spoke(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	return poll(&pfd, 1, 0) != 0;
}

static int deadline_error(const struct pyworker_pool *p, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_DEADLINE_EXCEEDED, "Request processing time exceeded limit (%u ms)", p->timeout_ms);
}

/* Takes an idle slot, waiting until the deadline. */
static struct slot *acquire(struct pyworker_pool *p, int64_t deadline, struct mlf_err *err)
{
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->stopping) {
			pthread_mutex_unlock(&p->mu);
			mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "the model is being unloaded");
			return NULL;
		}
		bool alive = false, rescan = false;
		for (unsigned i = 0; i < p->n; i++) {
			struct slot *s = &p->slots[i];
			if (s->state == SLOT_IDLE) {
				s->state = SLOT_BUSY;
				pthread_mutex_unlock(&p->mu);
				if (!idle_worker_spoke(s->fd))
					return s;
				log_warn("python worker %d ended while idle; replacing it", (int)s->pid);
				close(s->fd);
				s->fd = -1;
				reap(s->pid, EXIT_GRACE_MS);
				slot_replace(p, s);
				pthread_mutex_lock(&p->mu);
				rescan = true;
				break;
			}
			if (s->state != SLOT_EMPTY)
				alive = true;
		}
		if (rescan)
			continue;
		if (!alive && p->failing) {
			mlf_errorf(err, MLF_TEMPORARILY_UNAVAILABLE, "no Python worker is running: %s", p->fail_msg);
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		if (deadline < 0) {
			pthread_cond_wait(&p->idle, &p->mu);
			continue;
		}
		int64_t left = deadline - util_mono_ns();
		if (left <= 0) {
			pthread_mutex_unlock(&p->mu);
			deadline_error(p, err);
			return NULL;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + left;
		ts.tv_sec = (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&p->idle, &p->mu, &ts);
	}
}

int pyworker_pool_predict(struct pyworker_pool *p, const char *req, size_t len, struct buf *out, struct mlf_err *err)
{
	tls_trace[0] = '\0';
	if (len > PYWORKER_MAX_REQUEST)
		return mlf_errorf(err, MLF_BAD_REQUEST, "the request is too large for a Python worker");
	int64_t deadline = p->timeout_ms ? util_mono_ns() + (int64_t)p->timeout_ms * 1000000 : -1;
	struct slot *s = acquire(p, deadline, err);
	if (!s)
		return -1;
	pid_t pid = s->pid;
	char tag = 0;
	size_t n = 0;
	enum io_result r = send_frame(s->fd, req, len, deadline);
	if (r == IO_OK)
		r = recv_frame(s->fd, &s->rx, deadline, &tag, &n);
	if (r == IO_OK && tag == 'O') {
		buf_add(out, s->rx.ptr + 5, n);
		slot_release(p, s);
		return 0;
	}
	if (r == IO_OK && (tag == 'E' || tag == 'I')) {
		char msg[MLF_ERR_MSG_MAX - 200];
		error_payload(s->rx.ptr + 5, n, msg, sizeof(msg), tag == 'E' ? tls_trace : NULL, sizeof(tls_trace));
		slot_release(p, s);
		if (tag == 'I')
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "%s", msg);
		return mlf_errorf(err, MLF_BAD_REQUEST,
				  "Encountered an unexpected error while evaluating the model. Verify that the "
				  "serialized input Dataframe is compatible with the model for inference. Error: %s",
				  msg);
	}
	close(s->fd);
	s->fd = -1;
	int rc;
	if (r == IO_TIMEOUT) {
		log_warn("python worker %d ran past the %u ms timeout; killing it", (int)pid, p->timeout_ms);
		reap(pid, 0);
		rc = deadline_error(p, err);
	} else if (r == IO_OK || r == IO_GARBAGE) {
		log_error("python worker %d answered garbage; replacing it", (int)pid);
		reap(pid, 0);
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "the model's Python worker answered garbage; it is replaced");
	} else {
		rc = worker_died(pid, EXIT_GRACE_MS, "while predicting; it is replaced", err,
				 MLF_TEMPORARILY_UNAVAILABLE, p);
		log_error("%s", err ? err->msg : "python worker died");
	}
	slot_replace(p, s);
	return rc;
}

void pyworker_pool_stop(struct pyworker_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	/* A worker still loading is killed, so the supervisor's handshake ends. */
	for (unsigned i = 0; i < p->n; i++)
		if (p->slots[i].state == SLOT_STARTING && p->slots[i].pid > 0)
			kill(-p->slots[i].pid, SIGKILL);
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->supervisor, NULL);
	/* EOF on every socket asks each worker to leave; the stragglers are killed. */
	for (unsigned i = 0; i < p->n; i++)
		if (p->slots[i].fd >= 0) {
			close(p->slots[i].fd);
			p->slots[i].fd = -1;
		}
	int64_t end = util_mono_ns() + (int64_t)STOP_GRACE_MS * 1000000;
	for (unsigned i = 0; i < p->n; i++) {
		if (p->slots[i].pid <= 0)
			continue;
		int64_t left = end - util_mono_ns();
		reap(p->slots[i].pid, left > 0 ? (unsigned)(left / 1000000) : 0);
		p->slots[i].pid = 0;
	}
	pool_free(p);
}

/* ---- running a tool (venv, pip) ------------------------------------------ */

static void keep_tail(struct buf *tail, size_t tail_max)
{
	if (tail->len > 2 * tail_max) {
		size_t drop = tail->len - tail_max;
		memmove(tail->ptr, tail->ptr + drop, tail_max);
		tail->len = tail_max;
		tail->ptr[tail->len] = '\0';
	}
}

int pyworker_run(char *const argv[], unsigned timeout_ms, size_t tail_max, struct buf *tail, int *status,
		 struct mlf_err *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot open /dev/null: %s", strerror(errno));
	}
	struct child_fds f = { .in = devnull, .out = pfd[1], .err = pfd[1], .chan = -1 };
	pid_t pid = spawn(argv, environ, &f, err);
	close(devnull);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	int64_t deadline = timeout_ms ? util_mono_ns() + (int64_t)timeout_ms * 1000000 : -1;
	bool timed_out = false;
	char chunk[4096];
	for (;;) {
		enum io_result w = wait_fd(pfd[0], POLLIN, deadline);
		if (w == IO_TIMEOUT) {
			timed_out = true;
			break;
		}
		ssize_t r = read(pfd[0], chunk, sizeof(chunk));
		if (r > 0) {
			buf_add(tail, chunk, (size_t)r);
			keep_tail(tail, tail_max);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	close(pfd[0]);
	int st = reap(pid, timed_out ? 0 : 60000);
	if (tail->len > tail_max) {
		memmove(tail->ptr, tail->ptr + tail->len - tail_max, tail_max);
		tail->len = tail_max;
		tail->ptr[tail->len] = '\0';
	}
	if (timed_out)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "%s did not finish within %u s and was killed", argv[0],
				  timeout_ms / 1000);
	*status = st;
	return 0;
}
