/*
 * log.c - stderr logger; one fprintf per line so threads do not interleave.
 */
#include "log.h"
#include <stdarg.h>
#include <time.h>

static enum log_level log_min_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	log_min_level = level;
}

void log_write(enum log_level level, const char *file, int line, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level < log_min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level >= LOG_WARN)
		fprintf(stderr, "%s.%03ldZ %s %s (%s:%d)\n", stamp, ts.tv_nsec / 1000000, names[level], msg, file, line);
	else
		fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000, names[level], msg);
}
