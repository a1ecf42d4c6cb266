/* "Did you mean" support: the nearest name by edit distance. */
#include <string.h>

#include "replay/tables.h"

#define MAX_NAME 64

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

/* Levenshtein distance with transpositions counted as one edit. */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la >= MAX_NAME || lb >= MAX_NAME)
		return ~0u;
	unsigned d[MAX_NAME + 1][MAX_NAME + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	return d[la][lb];
}

const char *rp_closest_name(const char *want, const char *const *names, unsigned count)
{
	const char *best = NULL;
	unsigned best_d = ~0u;
	for (unsigned i = 0; i < count; i++) {
		unsigned d = edit_distance(want, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	/* Only a near miss is worth suggesting: a third of the name, at least 1. */
	size_t len = strlen(want);
	unsigned limit = len >= 6 ? (unsigned)(len / 3) : 1;
	return best && best_d <= limit ? best : NULL;
}
