/*
 * log.h - leveled logging to stderr with a UTC timestamp.
 *
 * One sink (stderr), one function; the macros add file and line. Never log
 * secrets (credentials, Authorization headers).
 */
#ifndef MLF_LOG_H
#define MLF_LOG_H

#include "common.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Messages below `level` are dropped. Not thread-safe; call at start-up. */
void log_set_level(enum log_level level);
void log_write(enum log_level level, const char *file, int line, const char *fmt, ...) MLF_PRINTF(4, 5);

#define log_debug(...) log_write(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
