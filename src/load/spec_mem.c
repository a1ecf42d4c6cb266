/* A spec's memory: arena for small blocks, malloc for large ones, all freed together. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay/arena.h"
#include "spec_mem.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
#define SMALL_MAX 0         /* every block its own malloc, so ASan sees each one's bounds */
#else
#define SMALL_MAX 4096      /* larger blocks live in malloc */
#endif
#define CLASS_STEP 16
#define CLASSES (SMALL_MAX / CLASS_STEP + 1) /* every small size is recycled */
#define LARGE_FLAG ((size_t)1)

/* Every block is preceded by its capacity; the low bit marks a large block. */
struct large {
	struct large *prev, *next;
	size_t cap; /* | LARGE_FLAG, directly before the data */
};

struct rp_spec_mem {
	struct rp_arena arena;
	struct large *large;
	void *recycled[CLASSES];
};

struct rp_spec_mem *rp_spec_mem_new(void)
{
	return calloc(1, sizeof(struct rp_spec_mem));
}

static size_t *cap_word(void *ptr)
{
	return (size_t *)ptr - 1;
}

static size_t round_up(size_t n)
{
	return (n + CLASS_STEP - 1) & ~(size_t)(CLASS_STEP - 1);
}

static void *small_alloc(struct rp_spec_mem *m, size_t size)
{
	size_t cap = round_up(size ? size : 1);
	size_t cls = cap / CLASS_STEP - 1;
	if (cls < CLASSES && m->recycled[cls]) {
		void *p = m->recycled[cls];
		memcpy(&m->recycled[cls], p, sizeof(void *));
		memset(p, 0, cap);
		return p;
	}
	size_t *h = rp_arena_alloc(&m->arena, sizeof(size_t) + cap, sizeof(size_t));
	*h = cap;
	return h + 1;
}

static void small_free(struct rp_spec_mem *m, void *ptr)
{
	size_t cls = *cap_word(ptr) / CLASS_STEP - 1;
	if (cls < CLASSES) {
		memcpy(ptr, &m->recycled[cls], sizeof(void *));
		m->recycled[cls] = ptr;
	}
}

static void *large_resize(struct rp_spec_mem *m, struct large *old, size_t cap)
{
	struct large *l = realloc(old, sizeof(*l) + cap);
	if (!l)
		return NULL;
	if (!old) {
		l->prev = NULL;
		l->next = m->large;
		if (m->large)
			m->large->prev = l;
		m->large = l;
	} else {
		if (l->prev)
			l->prev->next = l;
		else
			m->large = l;
		if (l->next)
			l->next->prev = l;
	}
	l->cap = cap | LARGE_FLAG;
	return l + 1;
}

static void large_free(struct rp_spec_mem *m, void *ptr)
{
	struct large *l = (struct large *)ptr - 1;
	if (l->prev)
		l->prev->next = l->next;
	else
		m->large = l->next;
	if (l->next)
		l->next->prev = l->prev;
	free(l);
}

static void *grow(struct rp_spec_mem *m, void *ptr, size_t size)
{
	size_t word = *cap_word(ptr), cap = word & ~LARGE_FLAG;
	if (size <= cap)
		return ptr;
	size_t want = size > cap + cap / 2 ? size : cap + cap / 2; /* amortised growth */
	if (word & LARGE_FLAG)
		return large_resize(m, (struct large *)ptr - 1, want);
	void *fresh = want > SMALL_MAX ? large_resize(m, NULL, want) : small_alloc(m, want);
	if (fresh) {
		memcpy(fresh, ptr, cap);
		small_free(m, ptr);
	}
	return fresh;
}

void *rp_spec_mem_fn(void *ctx, void *ptr, size_t size)
{
	struct rp_spec_mem *m = ctx;
	if (size == 0) {
		if (ptr && (*cap_word(ptr) & LARGE_FLAG))
			large_free(m, ptr);
		else if (ptr)
			small_free(m, ptr);
		return NULL;
	}
	if (!ptr)
		return size > SMALL_MAX ? large_resize(m, NULL, size) : small_alloc(m, size);
	return grow(m, ptr, size);
}

void rp_spec_mem_free(struct rp_spec_mem *m)
{
	if (!m)
		return;
	while (m->large) {
		struct large *next = m->large->next;
		free(m->large);
		m->large = next;
	}
	rp_arena_free(&m->arena);
	free(m);
}
