/*
 * A second reading of a spec that failed to load: libyaml events walked in
 * step with the libcyaml schema, so every problem gets its own line:col and
 * all of them are reported, not just libcyaml's first.
 */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "replay/tables.h"
#include "validate.h"

#define MAX_FIELDS 64

struct walk {
	yaml_parser_t parser;
	struct rp_diags *diags;
	unsigned errors;
	int broken; /* syntax error or end of input: stop */
	unsigned first_diag;
	int ended;  /* STREAM-END seen */
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

static int next(struct walk *w, yaml_event_t *ev)
{
	if (w->broken || w->ended)
		return -1;
	if (!yaml_parser_parse(&w->parser, ev)) {
		/* Whatever was found so far may be a consequence: the syntax error is the news. */
		rp_diags_truncate(w->diags, w->first_diag);
		w->errors = 0;
		yaml_mark_t m = w->parser.problem_mark;
		error_at(w, &m, "YAML syntax: %s%s%s", w->parser.problem ? w->parser.problem : "error",
			 w->parser.context ? " " : "", w->parser.context ? w->parser.context : "");
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
		yaml_event_delete(&e);
	}
}

static void value(struct walk *w, const char *key, const cyaml_schema_value_t *s,
		  const yaml_event_t *ev);

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

static void mapping(struct walk *w, const cyaml_schema_field_t *fields, const yaml_event_t *start)
{
	unsigned char seen[MAX_FIELDS] = {0};
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
		const cyaml_schema_field_t *f = find_field(fields, (const char *)key.data.scalar.value, &i);
		if (!f) {
			unknown_key(w, fields, &key);
			skip_node(w, &val);
		} else if (seen[i]) {
			error_at(w, &key.start_mark, "duplicate key '%s'", f->key);
			skip_node(w, &val);
		} else {
			seen[i] = 1;
			value(w, f->key, &f->value, &val);
		}
		yaml_event_delete(&key);
		yaml_event_delete(&val);
	}
	for (unsigned i = 0; fields[i].key; i++)
		if (!seen[i] && !(fields[i].value.flags & CYAML_FLAG_OPTIONAL))
			error_at(w, &start->start_mark, "missing required key '%s'", fields[i].key);
}

static void sequence(struct walk *w, const char *key, const cyaml_schema_value_t *s,
		     const yaml_event_t *start)
{
	unsigned count = 0;
	for (;;) {
		yaml_event_t e;
		if (next(w, &e) != 0)
			return;
		if (e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		if (++count == s->sequence.max + 1 && s->sequence.max != CYAML_UNLIMITED)
			error_at(w, &e.start_mark, "'%s' takes at most %u entries", key, s->sequence.max);
		value(w, key, s->sequence.entry, &e);
		yaml_event_delete(&e);
	}
	if (count < s->sequence.min)
		error_at(w, &start->start_mark, "'%s' needs at least %u entr%s", key, s->sequence.min,
			 s->sequence.min == 1 ? "y" : "ies");
}

static void value(struct walk *w, const char *key, const cyaml_schema_value_t *s,
		  const yaml_event_t *ev)
{
	if (ev->type == YAML_ALIAS_EVENT) {
		error_at(w, &ev->start_mark, "YAML aliases are not allowed in a spec");
		return;
	}
	switch (s->type) {
	case CYAML_MAPPING:
		if (ev->type == YAML_MAPPING_START_EVENT)
			return mapping(w, s->mapping.fields, ev);
		error_at(w, &ev->start_mark, "expected a mapping here, not %s", kind_of(ev));
		break;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		if (ev->type == YAML_SEQUENCE_START_EVENT)
			return sequence(w, key, s, ev);
		error_at(w, &ev->start_mark, "expected a list here, not %s", kind_of(ev));
		break;
	default:
		if (ev->type == YAML_SCALAR_EVENT)
			return;
		error_at(w, &ev->start_mark, "expected a scalar here, not %s", kind_of(ev));
		break;
	}
	skip_node(w, ev);
}

static void document(struct walk *w, const cyaml_schema_value_t *schema)
{
	yaml_event_t e;
	int documents = 0;
	while (next(w, &e) == 0) {
		yaml_event_type_t t = e.type;
		if (t == YAML_DOCUMENT_START_EVENT && ++documents == 2)
			error_at(w, &e.start_mark, "a spec is one YAML document; remove this one");
		if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
		    t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
			if (documents == 1)
				value(w, "spec", schema, &e);
			else
				skip_node(w, &e);
		}
		if (t == YAML_STREAM_END_EVENT && documents == 0)
			error_at(w, &e.start_mark, "the spec is empty");
		yaml_event_delete(&e);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
}

unsigned rp_validate_yaml(const unsigned char *data, size_t len,
			  const cyaml_schema_value_t *schema, struct rp_diags *diags)
{
	struct walk w = {.diags = diags, .first_diag = diags->count};
	yaml_parser_initialize(&w.parser);
	yaml_parser_set_input_string(&w.parser, data, len);
	document(&w, schema);
	yaml_parser_delete(&w.parser);
	return w.errors;
}
