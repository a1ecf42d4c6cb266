#define _GNU_SOURCE
/* Collecting, sorting and printing diagnostics. */
#include "replay/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void rp_diags_init(struct rp_diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

void rp_diags_free(struct rp_diags *d)
{
	for (unsigned i = 0; i < d->count; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	free(d->source);
	d->source = NULL;
	d->source_len = 0;
	d->v = NULL;
	d->count = d->cap = d->errors = d->warnings = 0;
}

static struct rp_diag *push(struct rp_diags *d, enum rp_severity sev, const char *fmt,
			    va_list ap)
{
	if (d->count == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		if (!d->v)
			abort();
	}
	struct rp_diag *g = &d->v[d->count++];
	memset(g, 0, sizeof(*g));
	g->severity = sev;
	g->seq = d->count - 1;
	if (vasprintf(&g->msg, fmt, ap) < 0)
		abort();
	if (sev == RP_ERROR)
		d->errors++;
	else if (sev == RP_WARNING)
		d->warnings++;
	return g;
}

void rp_diag_at(struct rp_diags *d, enum rp_severity sev, unsigned line, unsigned col,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct rp_diag *g = push(d, sev, fmt, ap);
	va_end(ap);
	g->line = line;
	g->col = col;
}

void rp_diag_path(struct rp_diags *d, enum rp_severity sev, const char *path,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct rp_diag *g = push(d, sev, fmt, ap);
	va_end(ap);
	g->path = strdup(path);
}

static int by_position(const void *a, const void *b)
{
	const struct rp_diag *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq; /* qsort is not stable */
}

static const char *severity_word(enum rp_severity s)
{
	return s == RP_ERROR ? "error" : s == RP_WARNING ? "warning" : "note";
}

/* One diagnostic, one line: a spec's own text quoted in a message may hold
 * newlines or other control characters, which would fake or split lines.
 * The result is malloc'd: one write per line (stderr is unbuffered). */
static char *escaped(const char *msg)
{
	char *out = malloc(strlen(msg) * 4 + 1), *p = out;
	if (!out)
		abort();
	for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
		if (*c == '\n')
			p += sprintf(p, "\\n");
		else if (*c == '\t')
			p += sprintf(p, "\\t");
		else if (*c < 0x20 || *c == 0x7f)
			p += sprintf(p, "\\x%02x", *c);
		else
			*p++ = (char)*c;
	}
	*p = '\0';
	return out;
}

void rp_diags_print(struct rp_diags *d, FILE *out)
{
	rp_diags_locate(d);
	if (d->count > 1)
		qsort(d->v, d->count, sizeof(*d->v), by_position);
	for (unsigned i = 0; i < d->count; i++) {
		const struct rp_diag *g = &d->v[i];
		char *msg = escaped(g->msg);
		if (g->line)
			fprintf(out, "%s:%u:%u: %s: %s\n", d->file, g->line, g->col,
				severity_word(g->severity), msg);
		else /* about the file as a whole (cannot read it) */
			fprintf(out, "%s: %s: %s\n", d->file, severity_word(g->severity), msg);
		free(msg);
	}
}

void rp_diags_truncate(struct rp_diags *d, unsigned count)
{
	while (d->count > count) {
		struct rp_diag *g = &d->v[--d->count];
		if (g->severity == RP_ERROR)
			d->errors--;
		else if (g->severity == RP_WARNING)
			d->warnings--;
		free(g->path);
		free(g->msg);
	}
}
