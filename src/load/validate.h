/*
 * validate.h - checking a YAML file against a libcyaml schema, reporting
 * every structural problem (unknown, duplicate and missing keys, wrong node
 * kinds, list lengths, syntax) at its exact line:col.
 *
 * Contract: libcyaml stops at its first error and places some of them at
 * the enclosing node, so the loader runs this pass after a failed load.
 * Returns the number of errors added to `diags` (0 if it found nothing).
 */
#ifndef REPLAY_VALIDATE_H
#define REPLAY_VALIDATE_H

#include <cyaml/cyaml.h>

#include "replay/diag.h"

unsigned rp_validate_yaml(const unsigned char *data, size_t len,
			  const cyaml_schema_value_t *schema, struct rp_diags *diags);

#endif
