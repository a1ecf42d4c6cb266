/*
 * build.h - state shared by the compiler and the argument builders
 * (internal to src/compile and src/builders).
 *
 * Contract: the compiler walks the spec once, keeping `path` pointed at the
 * node being built so that every diagnostic names its node.  Builders write
 * argument words and object bytes straight into the program's arena and
 * register fixups (results of earlier steps) and relocations (sandbox paths).
 */
#ifndef REPLAY_BUILD_H
#define REPLAY_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "replay/diag.h"
#include "replay/program.h"
#include "replay/spec.h"

/* name -> index, open addressing; names are borrowed from the spec. */
struct rp_names {
	const char **keys;
	unsigned *values;
	unsigned cap;
	unsigned count;
};

void rp_names_init(struct rp_names *n, unsigned expected);
void rp_names_free(struct rp_names *n);
/* Returns 0 if added, -1 if the name was already there (its index in *old). */
int rp_names_add(struct rp_names *n, const char *key, unsigned value, unsigned *old);
int rp_names_get(const struct rp_names *n, const char *key, unsigned *value);

struct rp_object {
	const char *name;
	const struct rp_value *value;
	char *path;      /* node path of its definition */
	void *mem;       /* where it was built; NULL until then */
	int last_step;   /* last step so far that passed it to the kernel, -1 if none */
	int prev_step;   /* the one before that: a load in last_step reads what it left */
	size_t size;
	int size_state;  /* 0 unknown, 1 computing, 2 known, -1 invalid */
};

struct rp_build {
	struct rp_program *prog;
	struct rp_diags *diags;
	const struct rp_spec *spec;
	const char *arch;
	int render; /* keep argument texts (dry runs): otherwise they cost memory for nothing */
	int in_process, in_threads;
	unsigned copy_lo, copy_hi, copy_offset; /* threads: copy 0's ops, this copy's shift */
	unsigned step;
	unsigned process;     /* the process the step runs in: its process: group's op + 1, 0 for main */
	unsigned *process_of; /* that, for every op compiled so far */
	/* The node being built, kept as parts and formatted only for a diagnostic:
	 * formatting it for every node was an eighth of a big spec's load time. */
	struct rp_path_part {
		const char *fmt; /* "steps.%u", "%s", "name": %u and %s only */
		uintptr_t arg[2];
	} parts[256];   /* 64 nested mappings (the loader's limit) take about 130 */
	size_t nparts;
	char path[4096];
	struct rp_names step_ids;
	struct rp_names object_names;
	struct rp_names file_names, file_dirs; /* sandbox files, and the directories they are in */
	struct rp_object *objects;
	unsigned object_count, object_cap;
	unsigned fixup_cap, reloc_cap, file_cap;
};

/* Path handling: push returns the mark to pop back to. */
size_t rp_path_push(struct rp_build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_path_pop(struct rp_build *b, size_t mark);
static inline size_t rp_path_mark(const struct rp_build *b)
{
	return b->nparts;
}
/* The current node path ("steps.2.args.0"), formatted into b->path. */
const char *rp_path_text(struct rp_build *b);
void rp_error(struct rp_build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text for rendering a value; NULL unless the compile renders. */
const char *rp_text(struct rp_build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_warning(struct rp_build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* src/builders/value.c */
int rp_build_arg(struct rp_build *b, const struct rp_value *v, uint64_t *slot, const char **text,
		 uint8_t *kind, uint32_t *bytes);
/* src/builders/object.c */
void rp_collect_objects(struct rp_build *b, const struct rp_value *v);
int rp_object_size(struct rp_build *b, const char *name, size_t *size);
int rp_object_ref(struct rp_build *b, const char *name, uint64_t *ptr);
int rp_build_load(struct rp_build *b, const struct rp_load *l, void *dst, unsigned width,
		  const char **text);
void rp_object_built(struct rp_build *b, const char *name, void *mem);
int rp_build_struct(struct rp_build *b, const struct rp_struct *s, uint64_t *ptr, const char **text);
int rp_build_buffer(struct rp_build *b, const struct rp_buffer *buf, uint64_t *ptr, const char **text);
int rp_build_bytes(struct rp_build *b, const struct rp_bytes *by, uint64_t *ptr, const char **text);
int rp_struct_size(struct rp_build *b, const struct rp_struct *s, size_t *size);
/* Size of the memory a struct:, buffer:, bytes:, array: or chars: value builds. */
int rp_value_size(struct rp_build *b, const struct rp_value *v, size_t *size);
/* src/builders/layout.c: members of structs and arrays */
int rp_member_layout(struct rp_build *b, const struct rp_value *v, int in_array, size_t *size,
		     size_t *align);
int rp_members_layout(struct rp_build *b, const struct rp_value *m, unsigned n, int in_array,
		      size_t *size, size_t *align);
int rp_build_members(struct rp_build *b, const struct rp_value *m, unsigned n, int in_array,
		     uint8_t *mem, const char **text);
int rp_build_aggregate(struct rp_build *b, const struct rp_value *v, uint64_t *ptr,
		       const char **text);
/* shared by both: store `width` low bytes of v at dst; width in {1,2,4,8} */
void rp_store(void *dst, unsigned width, uint64_t v);
/* value/width helpers */
int rp_build_field(struct rp_build *b, const struct rp_value *v, void *dst, unsigned width,
		   const char **text);
/* A struct field's type as rendered: its type:, its width key, or ptr. */
const char *rp_field_type(const struct rp_value *v);
int rp_field_width(struct rp_build *b, const struct rp_value *v, unsigned *width);
int rp_scalar_expr(struct rp_build *b, const char *text, int64_t *out);
int rp_sandbox_relpath(struct rp_build *b, const char *rel);
void rp_add_reloc(struct rp_build *b, uint64_t *slot, const char *rel);
void rp_add_fixup(struct rp_build *b, void *dst, unsigned width, unsigned src, int kind);
int rp_add_sandbox_file(struct rp_build *b, const struct rp_file *f);
int rp_step_ref(struct rp_build *b, const char *id, unsigned *index);

#endif
