/*
 * fuzz_check.h - CHECK(cond) for fuzz targets: an invariant a target asserts
 * beyond "no crash". A failed one prints the condition and where, then
 * aborts, which libFuzzer reports as a finding and saves the input of.
 */
#ifndef MLF_FUZZ_CHECK_H
#define MLF_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                                         \
		}                                                                        \
	} while (0)

#endif
