/*
 * arena.h - a bump allocator for request-scoped memory.
 *
 * Everything a request allocates while it is handled (parsed parameters,
 * query results, temporary strings) comes from one arena that is released
 * after the response is queued, so handlers never call free(). Memory is
 * 16-byte aligned. An arena is not thread-safe; each request owns one.
 */
#ifndef MLF_ARENA_H
#define MLF_ARENA_H

#include "common.h"
#include <stdarg.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

#define ARENA_INIT { NULL }

/* All return memory owned by the arena, valid until arena_release(). */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) MLF_PRINTF(2, 3);
/* Grows an array allocated in the arena: returns a copy with room for
 * `new_count` elements (old contents kept). */
void *arena_grow_array(struct arena *a, void *old, size_t old_count, size_t new_count, size_t elem);
/* Frees every chunk; the arena is empty and reusable afterwards. */
void arena_release(struct arena *a);

#endif
