/*
 * retention_schedule.c - the server's retention pass on a schedule; see
 * retention_schedule.h.
 */
#include "retention_schedule.h"
#include "../base/arena.h"
#include "../base/log.h"
#include "../base/util.h"
#include "../base/xalloc.h"
#include "../lifecycle/lifecycle.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

struct retention_schedule {
	struct store *st;
	struct artifact_repo *proxy;
	const struct artifact_roots *roots;
	int64_t interval_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC */
	atomic_bool stop;
};

static void log_line(void *ctx, enum lifecycle_level level, const char *text)
{
	(void)ctx;
	if (level == LIFECYCLE_ERROR)
		log_warn("%s", text);
	else
		log_debug("%s", text);
}

static void run_pass(struct retention_schedule *s)
{
	struct arena a = ARENA_INIT;
	struct lifecycle_artifacts g = { .out = { log_line, NULL } };
	struct lifecycle_retention_opts opts = { .only_experiment = -1, .stop = &s->stop };
	struct lifecycle_retention_result res;
	int64_t started = util_now_ms();
	lifecycle_artifacts_borrow(&g, s->proxy, s->roots);
	lifecycle_retention_apply(s->st, &g, &opts, &res, &a);
	lifecycle_artifacts_close(&g);
	log_info("retention pass: %zu runs soft-deleted, %zu kept, %zu paths pruned, %zu archived versions moved or "
		 "deleted, %zu failed%s (%lld ms)",
		 res.n_deleted, res.n_kept, res.n_pruned, res.n_versions, res.n_failed,
		 res.stopped ? ", stopped by shutdown" : "", (long long)(util_now_ms() - started));
	arena_release(&a);
}

/* Waits until `interval_ms` from now or a stop; false once stopping. */
static bool wait_interval(struct retention_schedule *s)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(s->interval_ms / 1000);
	until.tv_nsec += (long)(s->interval_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!atomic_load(&s->stop) && pthread_cond_timedwait(&s->wake, &s->mu, &until) == 0)
		; /* woken early: a stop, or spuriously */
	pthread_mutex_unlock(&s->mu);
	return !atomic_load(&s->stop);
}

static void *schedule_main(void *arg)
{
	struct retention_schedule *s = arg;
	while (wait_interval(s))
		run_pass(s);
	return NULL;
}

struct retention_schedule *retention_schedule_start(struct store *st, struct artifact_repo *proxy,
						    const struct artifact_roots *roots, int64_t interval_ms,
						    struct mlf_err *err)
{
	struct retention_schedule *s = xcalloc(1, sizeof(*s));
	*s = (struct retention_schedule){ .st = st, .proxy = proxy, .roots = roots, .interval_ms = interval_ms };
	atomic_init(&s->stop, false);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&s->thread, NULL, schedule_main, s);
	if (rc) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->mu);
		free(s);
		mlf_errorf(err, MLF_INTERNAL_ERROR, "cannot start the retention thread: %s", strerror(rc));
		return NULL;
	}
	log_info("retention policies are applied every %lld s (first pass in %lld s)", (long long)(interval_ms / 1000),
		 (long long)(interval_ms / 1000));
	return s;
}

void retention_schedule_stop(struct retention_schedule *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, true);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
