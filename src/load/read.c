/*
 * Reading a spec: libyaml events walked in step with the libcyaml schema.
 * Records are built on the C stack and copied to the arena when complete;
 * list entries wait on a scratch stack until their list ends, so every list
 * is allocated once, at its final size.  Errors do not stop the walk: every
 * problem gets its own line:col.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "read.h"
#include "replay/tables.h"

#define MAX_FIELDS 32  /* keys of one mapping: a bit each in a keyed record */
#define MAX_RECORD 256 /* bytes of the largest struct in spec.h */
#define MAX_DEPTH 64   /* nested mappings; every level costs C stack */
#define MAX_SKIP_DEPTH 256 /* nested nodes inside one that is skipped (an unknown key's) */

/* Storage for a record under construction, aligned for any member. */
union record {
	max_align_t align;
	unsigned char bytes[MAX_RECORD];
};

struct walk {
	yaml_parser_t parser;
	struct rp_diags *diags;
	unsigned errors;
	int broken; /* syntax error or end of input: stop */
	unsigned first_diag;
	int ended;  /* STREAM-END seen */
	int depth;
	const struct rp_read_schema *schema;
	struct rp_arena *arena;
	const unsigned char *data; /* the text, for positions libyaml gives as offsets */
	size_t len;
	unsigned char *stack; /* entries of the lists being read, innermost on top */
	size_t stack_len, stack_cap;
};

static void error_at(struct walk *w, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_at(struct walk *w, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rp_diag_at(w->diags, RP_ERROR, (unsigned)m->line + 1, (unsigned)m->column + 1, "%s", msg);
	w->errors++;
}

/* Where byte `offset` is, as libyaml counts: lines from 0, columns in characters. */
static yaml_mark_t mark_of_offset(const struct walk *w, size_t offset)
{
	yaml_mark_t m = {0};
	for (size_t i = 0; i < offset && i < w->len; i++) {
		if (w->data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if ((w->data[i] & 0xc0) != 0x80) { /* not a UTF-8 continuation byte */
			m.column++;
		}
	}
	return m;
}

static void syntax_error(struct walk *w)
{
	const yaml_parser_t *p = &w->parser;
	/* Encoding errors (bad UTF-8, control characters) have only a byte offset. */
	yaml_mark_t m = p->error == YAML_READER_ERROR ? mark_of_offset(w, p->problem_offset)
						      : p->problem_mark;
	char where[64] = "";
	if (p->context && p->context_mark.line != p->problem_mark.line)
		snprintf(where, sizeof(where), " that starts at %u:%u",
			 (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
	error_at(w, &m, "YAML syntax: %s%s%s%s", p->problem ? p->problem : "error",
		 p->context ? " " : "", p->context ? p->context : "", where);
}

static int next(struct walk *w, yaml_event_t *ev)
{
	if (w->broken || w->ended)
		return -1;
	if (!yaml_parser_parse(&w->parser, ev)) {
		/* Whatever was found so far may be a consequence: the syntax error is the news. */
		rp_diags_truncate(w->diags, w->first_diag);
		w->errors = 0;
		syntax_error(w);
		w->broken = 1;
		return -1;
	}
	if (ev->type == YAML_STREAM_END_EVENT)
		w->ended = 1; /* libyaml would repeat it forever */
	return 0;
}

static const char *kind_of(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT: return "a scalar";
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_ALIAS_EVENT: return "an alias";
	default: return "nothing";
	}
}

/* Consume the rest of a node whose first event is `ev`. */
static void skip_node(struct walk *w, const yaml_event_t *ev)
{
	if (ev->type != YAML_SEQUENCE_START_EVENT && ev->type != YAML_MAPPING_START_EVENT)
		return;
	for (int depth = 1; depth > 0;) {
		yaml_event_t e;
		if (next(w, &e) != 0)
			return;
		if (e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > MAX_SKIP_DEPTH) {
			/* libyaml's cost per event grows with the nesting: stop reading. */
			error_at(w, &e.start_mark, "nested more than %d levels deep", MAX_SKIP_DEPTH);
			w->broken = 1;
		}
		yaml_event_delete(&e);
	}
}

static void put_pointer(unsigned char *dst, const void *p)
{
	memcpy(dst, &p, sizeof(p));
}

static void put_count(unsigned char *dst, unsigned size, uint32_t n)
{
	uint8_t n8 = (uint8_t)n;
	uint16_t n16 = (uint16_t)n;
	uint64_t n64 = n;
	switch (size) {
	case 1: memcpy(dst, &n8, 1); break;
	case 2: memcpy(dst, &n16, 2); break;
	case 8: memcpy(dst, &n64, 8); break;
	default: memcpy(dst, &n, 4); break;
	}
}

static void *copy_out(struct walk *w, const void *src, size_t size)
{
	return memcpy(rp_arena_alloc(w->arena, size, sizeof(max_align_t)), src, size);
}

static void push_entry(struct walk *w, const void *entry, size_t size)
{
	if (w->stack_len + size > w->stack_cap) {
		size_t cap = w->stack_cap ? w->stack_cap * 2 : 4096;
		while (cap < w->stack_len + size)
			cap *= 2;
		unsigned char *bigger = realloc(w->stack, cap);
		if (!bigger) {
			fprintf(stderr, "replay: out of memory\n");
			exit(2);
		}
		w->stack = bigger;
		w->stack_cap = cap;
	}
	memcpy(w->stack + w->stack_len, entry, size);
	w->stack_len += size;
}

/* "\0" in a quoted scalar: C strings would end there, and "ab\0cd" be "ab". */
static int nul_inside(struct walk *w, const yaml_event_t *ev)
{
	if (!memchr(ev->data.scalar.value, 0, ev->data.scalar.length))
		return 0;
	error_at(w, &ev->start_mark, "a NUL character (\\0) cannot be part of a spec's text; "
				     "give binary data with bytes: {hex: ...}");
	return 1;
}

static void value(struct walk *w, const char *key, const cyaml_schema_value_t *s,
		  const yaml_event_t *ev, unsigned char *dst, uint32_t *count);

static const cyaml_schema_field_t *find_field(const cyaml_schema_field_t *f, const char *key,
					      unsigned *index)
{
	for (unsigned i = 0; f[i].key; i++)
		if (strcmp(f[i].key, key) == 0) {
			*index = i;
			return &f[i];
		}
	return NULL;
}

static void unknown_key(struct walk *w, const cyaml_schema_field_t *fields, const yaml_event_t *key)
{
	const char *names[MAX_FIELDS];
	unsigned n = 0;
	for (; fields[n].key && n < MAX_FIELDS; n++)
		names[n] = fields[n].key;
	const char *k = (const char *)key->data.scalar.value;
	const char *near = rp_closest_name(k, names, n);
	if (near)
		error_at(w, &key->start_mark, "unknown key '%s'; did you mean '%s'?", k, near);
	else
		error_at(w, &key->start_mark, "unknown key '%s'", k);
}

/* A mapping's keys, each loaded into `rec` where its field says. */
static void fields_of(struct walk *w, const cyaml_schema_field_t *fields, const yaml_event_t *start,
		      unsigned char *rec)
{
	uint32_t seen = 0;
	for (;;) {
		yaml_event_t key, val;
		if (next(w, &key) != 0)
			return;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			break;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			/* A complex key: the whole key node comes before its value. */
			error_at(w, &key.start_mark, "a key must be a plain name, not %s", kind_of(&key));
			skip_node(w, &key);
			yaml_event_delete(&key);
			if (next(w, &val) != 0)
				return;
			skip_node(w, &val);
			yaml_event_delete(&val);
			continue;
		}
		if (next(w, &val) != 0) {
			yaml_event_delete(&key);
			return;
		}
		unsigned i = 0;
		const cyaml_schema_field_t *f = NULL;
		if (nul_inside(w, &key))
			skip_node(w, &val);
		else if (!(f = find_field(fields, (const char *)key.data.scalar.value, &i))) {
			if (strcmp((const char *)key.data.scalar.value, "<<") == 0)
				error_at(w, &key.start_mark, "YAML merge keys (<<) are not supported in a "
							     "spec; write the keys out");
			else
				unknown_key(w, fields, &key);
			skip_node(w, &val);
		} else if (seen >> i & 1) {
			error_at(w, &key.start_mark, "duplicate key '%s'", f->key);
			skip_node(w, &val);
		} else {
			uint32_t n = 0;
			seen |= (uint32_t)1 << i;
			value(w, f->key, &f->value, &val, rec + f->data_offset, &n);
			if (f->value.type == CYAML_SEQUENCE)
				put_count(rec + f->count_offset, f->count_size, n);
		}
		yaml_event_delete(&key);
		yaml_event_delete(&val);
	}
	for (unsigned i = 0; fields[i].key; i++)
		if (!(seen >> i & 1) && !(fields[i].value.flags & CYAML_FLAG_OPTIONAL))
			error_at(w, &start->start_mark, "missing required key '%s'", fields[i].key);
	if (fields == w->schema->keyed)
		memcpy(rec + w->schema->keys_offset, &seen, sizeof(seen));
}

static void mapping(struct walk *w, const cyaml_schema_value_t *s, const yaml_event_t *start,
		    unsigned char *dst)
{
	if (w->depth == MAX_DEPTH) {
		error_at(w, &start->start_mark, "nested more than %d mappings deep", MAX_DEPTH);
		skip_node(w, start);
		return;
	}
	union record rec;
	if (s->data_size > MAX_RECORD)
		abort(); /* a struct in spec.h outgrew MAX_RECORD */
	memset(rec.bytes, 0, s->data_size);
	w->depth++;
	fields_of(w, s->mapping.fields, start, rec.bytes);
	w->depth--;
	if (s->flags & CYAML_FLAG_POINTER)
		put_pointer(dst, copy_out(w, rec.bytes, s->data_size));
	else
		memcpy(dst, rec.bytes, s->data_size);
}

static size_t entry_size(const cyaml_schema_value_t *entry)
{
	return entry->flags & CYAML_FLAG_POINTER ? sizeof(void *) : entry->data_size;
}

static void sequence(struct walk *w, const char *key, const cyaml_schema_value_t *s,
		     const yaml_event_t *start, unsigned char *dst, uint32_t *count)
{
	const cyaml_schema_value_t *entry = s->sequence.entry;
	size_t size = entry_size(entry), base = w->stack_len;
	if (size > MAX_RECORD)
		abort(); /* as in mapping() */
	uint32_t n = 0;
	for (;;) {
		yaml_event_t e;
		if (next(w, &e) != 0)
			break;
		if (e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		if (++n == s->sequence.max + 1 && s->sequence.max != CYAML_UNLIMITED)
			error_at(w, &e.start_mark, "'%s' takes at most %u entries", key, s->sequence.max);
		union record item;
		memset(item.bytes, 0, size);
		value(w, key, entry, &e, item.bytes, NULL);
		push_entry(w, item.bytes, size);
		yaml_event_delete(&e);
	}
	if (n < s->sequence.min && !w->broken)
		error_at(w, &start->start_mark, "'%s' needs at least %u entr%s", key, s->sequence.min,
			 s->sequence.min == 1 ? "y" : "ies");
	put_pointer(dst, n ? copy_out(w, w->stack + base, n * size) : NULL);
	*count = n;
	w->stack_len = base;
}

char rp_yaml_null[1];

static int is_null_scalar(const yaml_event_t *ev)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL"};
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	if (ev->data.scalar.length == 0)
		return 1;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp((const char *)ev->data.scalar.value, nulls[i]) == 0)
			return 1;
	return 0;
}

static void scalar(struct walk *w, const yaml_event_t *ev, unsigned char *dst)
{
	if (nul_inside(w, ev))
		return;
	if (is_null_scalar(ev)) {
		put_pointer(dst, rp_yaml_null);
		return;
	}
	size_t n = ev->data.scalar.length;
	char *text = rp_arena_alloc(w->arena, n + 1, 1); /* zeroed: the NUL is there */
	memcpy(text, ev->data.scalar.value, n);
	put_pointer(dst, text);
}

/* Load the node that starts with `ev` into `dst`, as schema `s` says. */
static void value(struct walk *w, const char *key, const cyaml_schema_value_t *s,
		  const yaml_event_t *ev, unsigned char *dst, uint32_t *count)
{
	if (ev->type == YAML_ALIAS_EVENT) {
		error_at(w, &ev->start_mark, "YAML aliases are not allowed in a spec");
		return;
	}
	switch (s->type) {
	case CYAML_MAPPING:
		if (ev->type == YAML_MAPPING_START_EVENT)
			return mapping(w, s, ev, dst);
		error_at(w, &ev->start_mark, "expected a mapping here, not %s", kind_of(ev));
		break;
	case CYAML_SEQUENCE:
		if (ev->type == YAML_SEQUENCE_START_EVENT && count)
			return sequence(w, key, s, ev, dst, count);
		if (ev->type == YAML_SCALAR_EVENT && s->sequence.entry->type == CYAML_STRING &&
		    ev->data.scalar.length <= 60 &&
		    ev->data.scalar.length && !memchr(ev->data.scalar.value, 0, ev->data.scalar.length))
			error_at(w, &ev->start_mark, "expected a list here, not a scalar: write [%s]",
				 (const char *)ev->data.scalar.value);
		else
			error_at(w, &ev->start_mark, "expected a list here, not %s", kind_of(ev));
		break;
	default: /* CYAML_STRING: every scalar stays a string */
		if (ev->type == YAML_SCALAR_EVENT)
			return scalar(w, ev, dst);
		error_at(w, &ev->start_mark, "expected a scalar here, not %s", kind_of(ev));
		break;
	}
	skip_node(w, ev);
}

/* A document of nothing but "---": libyaml gives an empty plain scalar. */
static int is_null(const yaml_event_t *e)
{
	return e->type == YAML_SCALAR_EVENT && e->data.scalar.length == 0 &&
	       e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static void empty(struct walk *w)
{
	yaml_mark_t top = {0};
	error_at(w, &top, "the spec is empty: it needs at least name: and steps:");
}

static void *document(struct walk *w)
{
	yaml_event_t e;
	int documents = 0;
	unsigned char root[sizeof(void *)] = {0};
	while (next(w, &e) == 0) {
		yaml_event_type_t t = e.type;
		if (t == YAML_DOCUMENT_START_EVENT && ++documents == 2)
			error_at(w, &e.start_mark, "a spec is one YAML document; remove this one");
		if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
		    t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
			if (documents == 1 && is_null(&e))
				empty(w);
			else if (documents == 1)
				value(w, "spec", w->schema->root, &e, root, NULL);
			else
				skip_node(w, &e);
		}
		if (t == YAML_STREAM_END_EVENT && documents == 0)
			empty(w);
		yaml_event_delete(&e);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	void *p;
	memcpy(&p, root, sizeof(p));
	return p;
}

void *rp_read_yaml(const unsigned char *data, size_t len, const struct rp_read_schema *schema,
		   struct rp_arena *arena, struct rp_diags *diags)
{
	struct walk w = {.diags = diags, .first_diag = diags->count, .schema = schema,
			 .arena = arena, .data = data, .len = len};
	yaml_parser_initialize(&w.parser);
	yaml_parser_set_input_string(&w.parser, data, len);
	void *root = document(&w);
	yaml_parser_delete(&w.parser);
	free(w.stack);
	return w.errors ? NULL : root;
}
