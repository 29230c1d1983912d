/*
 * pyworker.h - a pool of Python worker processes that each load one model
 * once and then answer predictions, one request at a time per process (so
 * N workers predict in parallel, with no GIL shared between them).
 *
 * Each worker runs mlflowc's own loader (src/model/pyworker.py, embedded at
 * build time and passed with `python3 -B -c`), in its own process group,
 * with one Unix socket on descriptor 3 as its only channel to the server
 * (stdin is /dev/null, stdout goes to the server's stderr, no other
 * descriptor is inherited) and SIGKILL as its parent-death signal. Its
 * environment is the server's, with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS
 * and MKL_NUM_THREADS set to 1 where the server's leaves them unset (the
 * pool's parallelism is its processes). The frames are described at the
 * top of pyworker.py.
 *
 * A worker that dies (EOF, a signal, an exit), runs past the request's
 * deadline (its process group is SIGKILLed) or answers garbage is reaped
 * and replaced by the pool's supervisor thread; the request it held fails
 * with an error, never a hang.
 */
#ifndef MLF_PYWORKER_H
#define MLF_PYWORKER_H

#include "../base/buf.h"
#include "../base/err.h"

#define PYWORKER_MAX_ANSWER (64u << 20)     /* bytes of predictions one worker may send */
#define PYWORKER_MAX_REQUEST 0xffffffffu     /* bytes of one request frame */
#define PYWORKER_START_TIMEOUT_MS (300u * 1000) /* loading the model, per worker */
#define PYWORKER_TRACE_MAX 16384             /* bytes of a traceback kept per thread */

struct pyworker_config {
	const char *python;      /* the interpreter (absolute path) */
	const char *config_json; /* the first frame: what the worker loads (pyworker.py's cfg) */
	unsigned workers;        /* 0 = 1 */
	unsigned timeout_ms;     /* a request's limit, queueing included; 0 = none */
	unsigned start_timeout_ms; /* 0 = PYWORKER_START_TIMEOUT_MS */
};

struct pyworker_pool;

/* Starts cfg->workers processes (copied; `cfg` may go) and waits until
 * every one has loaded the model. Returns 0 with *out owned by the caller
 * (pyworker_pool_stop frees it), or -1 with err set and nothing left
 * running: the model's own load error (what to install, the exception)
 * as INVALID_PARAMETER_VALUE, a worker that died or hung while loading as
 * INTERNAL_ERROR. */
int pyworker_pool_start(const struct pyworker_config *cfg, struct pyworker_pool **out, struct mlf_err *err);

/* Sends one request (a JSON line, scoring_input_to_json) to an idle worker,
 * waiting for one while all are busy, and appends the predictions' JSON to
 * `out`. Safe from many threads at once. Returns 0, or -1 with:
 * BAD_REQUEST (the model raised; its traceback is pyworker_stack_trace()),
 * DEADLINE_EXCEEDED (past timeout_ms, waiting or predicting: the worker is
 * killed and replaced), TEMPORARILY_UNAVAILABLE (the worker died; or no
 * worker can be started again), INTERNAL_ERROR (garbage or an answer the
 * worker could not write). */
int pyworker_pool_predict(struct pyworker_pool *p, const char *req, size_t len, struct buf *out,
			  struct mlf_err *err);

/* The Python traceback of this thread's last BAD_REQUEST from
 * pyworker_pool_predict ("" when none), for MLflow's `stack_trace` field.
 * Thread-local; borrowed until this thread's next predict. */
const char *pyworker_stack_trace(void);

/* The Python version the workers reported ("3.11.2"); borrowed from the pool. */
const char *pyworker_pool_python_version(const struct pyworker_pool *p);

/* How many workers have been replaced since the start (crashed, killed). */
unsigned pyworker_pool_restarts(struct pyworker_pool *p);

/* Stops every worker (EOF on its socket, then SIGKILL to its group after a
 * grace period), reaps them, joins the supervisor and frees the pool. No
 * predict may be in flight. NULL is a no-op. */
void pyworker_pool_stop(struct pyworker_pool *p);

/* Runs argv (argv[0] an absolute path) with stdin /dev/null and stdout and
 * stderr captured, in its own process group, killed (the whole group) at
 * `timeout_ms` (0 = none). Keeps the last `tail_max` bytes of the output
 * in *tail (the caller releases it). Returns the exit status as waitpid
 * gives it in *status and 0, or -1 with err set when it could not run or
 * timed out (the output's tail is kept then too). */
int pyworker_run(char *const argv[], unsigned timeout_ms, size_t tail_max, struct buf *tail, int *status,
		 struct mlf_err *err);

/* "exited with code 3", "killed by signal 9 (SIGKILL)" for a waitpid status,
 * written into out[size]. */
void pyworker_describe_status(int status, char *out, size_t size);

#endif
