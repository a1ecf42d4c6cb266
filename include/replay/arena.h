/*
 * arena.h - bump allocator for everything a compiled program points at.
 *
 * Contract: allocations never move and are freed all at once.  Memory is
 * zeroed.  All allocation happens before the first step runs, so the run
 * loop never calls malloc (which could mmap and show up in a trace).
 */
#ifndef REPLAY_ARENA_H
#define REPLAY_ARENA_H

#include <stddef.h>

struct rp_arena_chunk;

struct rp_arena {
	struct rp_arena_chunk *head;
	size_t used;
	size_t cap;
};

void *rp_arena_alloc(struct rp_arena *a, size_t size, size_t align);
char *rp_arena_strdup(struct rp_arena *a, const char *s);
char *rp_arena_printf(struct rp_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rp_arena_free(struct rp_arena *a);

#endif
