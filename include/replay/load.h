/*
 * load.h - YAML file -> struct rp_spec, as the libcyaml schema describes it.
 *
 * Contract: rp_spec_load() returns the spec or NULL; on NULL it has added at
 * least one positioned error to `diags`.  The spec is freed with
 * rp_spec_free().  Nothing here interprets values: see compile.h.
 */
#ifndef REPLAY_LOAD_H
#define REPLAY_LOAD_H

#include "replay/diag.h"
#include "replay/spec.h"

struct rp_spec *rp_spec_load(const char *file, struct rp_diags *diags);
/* The same from memory (messages name diags->file); the text is copied. */
struct rp_spec *rp_spec_load_data(const void *data, size_t len, struct rp_diags *diags);
void rp_spec_free(struct rp_spec *spec);

#endif
