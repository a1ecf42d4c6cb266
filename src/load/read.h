/*
 * read.h - reading YAML into the structs a libcyaml schema describes.
 *
 * Contract: one pass of libyaml events, walked in step with the schema,
 * fills the structs into `arena` (strings, records and lists alike, so a
 * spec costs what its structs and strings take) and reports every
 * structural problem (unknown, duplicate and missing keys, wrong node kinds,
 * list lengths, nesting depth, aliases, a second document, syntax) at its
 * own line:col.  It returns the root record, or NULL when it reported an
 * error; the arena then holds garbage for the caller to free.
 *
 * It reads the subset of libcyaml's schema that spec.h needs: strings
 * (pointers), mappings (inline or pointers) and sequences (pointers with a
 * count field).  One mapping may be "keyed": its fields share storage, and
 * the loader records which keys were given as bits of a uint32_t at
 * `keys_offset` (struct rp_value).  libcyaml 1.3 has no such union, and a
 * pointer per key made every argument ten times its size.
 */
#ifndef REPLAY_READ_H
#define REPLAY_READ_H

#include <cyaml/cyaml.h>

#include "replay/arena.h"
#include "replay/diag.h"

struct rp_read_schema {
	const cyaml_schema_value_t *root;
	const cyaml_schema_field_t *keyed; /* fields of the keyed mapping, or NULL */
	size_t keys_offset;                /* where its record holds the key bits */
};

void *rp_read_yaml(const unsigned char *data, size_t len, const struct rp_read_schema *schema,
		   struct rp_arena *arena, struct rp_diags *diags);

#endif
