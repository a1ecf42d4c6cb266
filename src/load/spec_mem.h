/*
 * spec_mem.h - the memory libcyaml loads a spec into (internal to src/load).
 *
 * Contract: an allocator behind libcyaml's mem_fn that frees everything at
 * once.  Small blocks come from a bump arena (no per-block malloc header),
 * blocks freed during the load are recycled by size class, and blocks that
 * grow past a few KiB (the steps array grows one entry at a time) move to
 * malloc, whose realloc of large blocks does not copy.
 */
#ifndef REPLAY_SPEC_MEM_H
#define REPLAY_SPEC_MEM_H

#include <stddef.h>

struct rp_spec_mem;

struct rp_spec_mem *rp_spec_mem_new(void);
/* libcyaml's cyaml_mem_fn_t: size 0 frees, ptr NULL allocates, else reallocates. */
void *rp_spec_mem_fn(void *ctx, void *ptr, size_t size);
void rp_spec_mem_free(struct rp_spec_mem *m);

#endif
