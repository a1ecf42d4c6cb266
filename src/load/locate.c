/*
 * Turning node paths ("steps.2.args.0") into line:col with one libyaml
 * event pass.  It runs only when there are diagnostics to place, so loading
 * a good spec never pays for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "replay/diag.h"

#define MAX_DEPTH 256 /* containers: the loader allows 64 mappings, lists between them */
#define MAX_PATH 4096

struct frame {
	int is_map;
	int want_key; /* in a mapping: the next scalar is a key */
	unsigned index;
	size_t path_len; /* length of the path up to this container */
};

struct walker {
	struct frame stack[MAX_DEPTH];
	int depth;
	char path[MAX_PATH];
	size_t len;
	struct rp_diags *diags;
	unsigned pending;
	struct rp_diag **by_path; /* the unplaced ones, sorted by path: a lookup per node */
	unsigned count;
};

static int path_order(const void *a, const void *b)
{
	return strcmp((*(struct rp_diag *const *)a)->path, (*(struct rp_diag *const *)b)->path);
}

/* The first diagnostic at w->path in by_path, or count if none. */
static unsigned first_at(const struct walker *w)
{
	unsigned lo = 0, hi = w->count;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (strcmp(w->by_path[mid]->path, w->path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void place(struct walker *w, const yaml_mark_t *mark)
{
	for (unsigned i = first_at(w); i < w->count && strcmp(w->by_path[i]->path, w->path) == 0; i++) {
		struct rp_diag *g = w->by_path[i];
		if (!g->line) {
			g->line = (unsigned)mark->line + 1;
			g->col = (unsigned)mark->column + 1;
			w->pending--;
		}
	}
}

/* Extend the path for the node about to start inside the top frame. */
static void enter_child(struct walker *w)
{
	if (w->depth == 0)
		return;
	struct frame *f = &w->stack[w->depth - 1];
	if (!f->is_map) {
		int n = snprintf(w->path + f->path_len, MAX_PATH - f->path_len, "%s%u",
				 f->path_len ? "." : "", f->index++);
		w->len = f->path_len + (n > 0 ? (size_t)n : 0);
	}
	/* mapping values: the key was appended when it was read */
}

static void after_child(struct walker *w)
{
	if (w->depth == 0)
		return;
	struct frame *f = &w->stack[w->depth - 1];
	if (f->is_map)
		f->want_key = 1;
	w->len = f->path_len;
	w->path[w->len] = '\0';
}

static void on_key(struct walker *w, const yaml_event_t *ev)
{
	struct frame *f = &w->stack[w->depth - 1];
	int n = snprintf(w->path + f->path_len, MAX_PATH - f->path_len, "%s%s",
			 f->path_len ? "." : "", (const char *)ev->data.scalar.value);
	w->len = f->path_len + (n > 0 ? (size_t)n : 0);
	if (w->len >= MAX_PATH)
		w->len = MAX_PATH - 1;
	/* "KEY.@key" names the key itself (for unknown or duplicate keys). */
	size_t keep = w->len;
	snprintf(w->path + keep, MAX_PATH - keep, ".@key");
	place(w, &ev->start_mark);
	w->path[keep] = '\0';
	f->want_key = 0;
}

static void push_frame(struct walker *w, int is_map)
{
	if (w->depth == MAX_DEPTH)
		return;
	struct frame *f = &w->stack[w->depth++];
	f->is_map = is_map;
	f->want_key = is_map;
	f->index = 0;
	f->path_len = w->len;
}

static int in_key_position(struct walker *w)
{
	return w->depth > 0 && w->stack[w->depth - 1].is_map && w->stack[w->depth - 1].want_key;
}

static int step(struct walker *w, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (in_key_position(w)) {
			on_key(w, ev);
			break;
		}
		enter_child(w);
		place(w, &ev->start_mark);
		after_child(w);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (in_key_position(w))
			return -1; /* complex keys: not in a spec */
		enter_child(w);
		place(w, &ev->start_mark);
		push_frame(w, ev->type == YAML_MAPPING_START_EVENT);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (w->depth > 0)
			w->depth--;
		after_child(w);
		break;
	case YAML_STREAM_END_EVENT:
		return -1;
	default:
		break;
	}
	return 0;
}

void rp_diags_locate(struct rp_diags *d)
{
	struct walker w = {.diags = d};
	for (unsigned i = 0; i < d->count; i++)
		if (!d->v[i].line && d->v[i].path)
			w.pending++;
	if (!w.pending)
		return;
	if (!d->source && d->reread && rp_diags_reread(d) != 0)
		return;
	if (!d->source)
		return;
	w.by_path = malloc(w.pending * sizeof(*w.by_path));
	if (!w.by_path)
		return;
	for (unsigned i = 0; i < d->count; i++)
		if (!d->v[i].line && d->v[i].path)
			w.by_path[w.count++] = &d->v[i];
	qsort(w.by_path, w.count, sizeof(*w.by_path), path_order);
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, d->source, d->source_len);
	for (int done = 0; !done && w.pending;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev))
			break;
		done = step(&w, &ev) != 0;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	free(w.by_path);
}


int rp_diags_position_of(struct rp_diags *d, const char *path, unsigned *line, unsigned *col)
{
	struct rp_diags probe;
	if (!d->source && d->reread && rp_diags_reread(d) != 0)
		return -1;
	rp_diags_init(&probe, d->file);
	probe.source = d->source; /* borrowed */
	probe.source_len = d->source_len;
	rp_diag_path(&probe, RP_NOTE, path, "probe");
	rp_diags_locate(&probe);
	*line = probe.v[0].line;
	*col = probe.v[0].col;
	probe.source = NULL;
	rp_diags_free(&probe);
	return *line ? 0 : -1;
}
