/*
 * run_names.h - random run names for runs created without a name.
 */
#ifndef MLF_RUN_NAMES_H
#define MLF_RUN_NAMES_H

#include "../base/common.h"

#define RUN_NAME_RANDOM_MAX 20

/* Writes a NUL-terminated random name of at most 20 characters. */
void run_name_random(char out[RUN_NAME_RANDOM_MAX + 1]);

#endif
