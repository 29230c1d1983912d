/*
 * common.h - the one thin umbrella every translation unit includes first.
 *
 * It holds only C11 includes, a few attribute macros and ARRAY_SIZE; no
 * application types live here. Banned libc functions (sprintf, strcpy,
 * strcat, strtok, gmtime, localtime) are poisoned so they cannot creep in.
 */
#ifndef MLF_COMMON_H
#define MLF_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h> /* before the poison below, which covers gmtime/localtime */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MLF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define MLF_NORETURN _Noreturn
#define MLF_UNUSED __attribute__((unused))

#define MLF_VERSION "0.1.0"
/* The MLflow version whose wire protocol we speak; reported by /version. */
#define MLF_MLFLOW_COMPAT_VERSION "2.17.0"

#ifndef MLF_ALLOW_BANNED
#pragma GCC poison sprintf strcpy strcat strtok gmtime localtime
#endif

#endif
