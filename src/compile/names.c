/* A small string -> index hash table (FNV-1a, linear probing). */
#include <stdlib.h>
#include <string.h>

#include "build.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void rp_names_init(struct rp_names *n, unsigned expected)
{
	unsigned cap = 16;
	while (cap < expected * 2)
		cap *= 2;
	n->cap = cap;
	n->count = 0;
	n->keys = calloc(cap, sizeof(*n->keys));
	n->values = calloc(cap, sizeof(*n->values));
	if (!n->keys || !n->values)
		abort();
}

void rp_names_free(struct rp_names *n)
{
	free(n->keys);
	free(n->values);
	memset(n, 0, sizeof(*n));
}

static unsigned slot_of(const struct rp_names *n, const char *key)
{
	unsigned i = (unsigned)fnv1a(key) & (n->cap - 1);
	while (n->keys[i] && strcmp(n->keys[i], key) != 0)
		i = (i + 1) & (n->cap - 1);
	return i;
}

static void grow(struct rp_names *n)
{
	struct rp_names bigger;
	rp_names_init(&bigger, n->cap);
	for (unsigned i = 0; i < n->cap; i++)
		if (n->keys[i]) {
			unsigned s = slot_of(&bigger, n->keys[i]);
			bigger.keys[s] = n->keys[i];
			bigger.values[s] = n->values[i];
		}
	bigger.count = n->count;
	rp_names_free(n);
	*n = bigger;
}

int rp_names_add(struct rp_names *n, const char *key, unsigned value, unsigned *old)
{
	unsigned s = slot_of(n, key);
	if (n->keys[s]) {
		*old = n->values[s];
		return -1;
	}
	if ((n->count + 1) * 2 > n->cap) {
		grow(n);
		s = slot_of(n, key);
	}
	n->keys[s] = key;
	n->values[s] = value;
	n->count++;
	return 0;
}

int rp_names_get(const struct rp_names *n, const char *key, unsigned *value)
{
	unsigned s = slot_of(n, key);
	if (!n->keys[s])
		return -1;
	*value = n->values[s];
	return 0;
}
