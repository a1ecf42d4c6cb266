/* Bump allocator; chunks are chained and never moved. */
#include "replay/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_ARENA_CHUNK (64 * 1024)
#define RP_ARENA_CHUNK_MAX (4 * 1024 * 1024)

struct rp_arena_chunk {
	struct rp_arena_chunk *next;
	max_align_t data[];
};

/* Chunks double up to 4 MiB: few allocations for big specs, and chunks that
 * size come from mmap already zeroed, so calloc need not clear them. */
static int arena_grow(struct rp_arena *a, size_t need)
{
	size_t next = a->cap ? a->cap * 2 : RP_ARENA_CHUNK;
	if (next > RP_ARENA_CHUNK_MAX)
		next = RP_ARENA_CHUNK_MAX;
	size_t cap = need > next ? need : next;
	struct rp_arena_chunk *c = calloc(1, sizeof(*c) + cap);
	if (!c)
		return -1;
	c->next = a->head;
	a->head = c;
	a->used = 0;
	a->cap = cap;
	return 0;
}

void *rp_arena_alloc(struct rp_arena *a, size_t size, size_t align)
{
	if (align < 1)
		align = 1;
	size_t start = (a->used + align - 1) & ~(align - 1);
	if (!a->head || start + size > a->cap) {
		if (arena_grow(a, size + align) != 0) {
			fprintf(stderr, "replay: out of memory\n");
			exit(2);
		}
		start = 0;
	}
	a->used = start + size;
	return (char *)a->head->data + start;
}

char *rp_arena_strdup(struct rp_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(rp_arena_alloc(a, n, 1), s, n);
}

char *rp_arena_printf(struct rp_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = rp_arena_alloc(a, (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void rp_arena_free(struct rp_arena *a)
{
	while (a->head) {
		struct rp_arena_chunk *next = a->head->next;
		free(a->head);
		a->head = next;
	}
	a->used = a->cap = 0;
}
