/*
 * spec.h - the loaded spec, exactly as written in YAML.
 *
 * Contract: these structs are filled by rp_spec_load() (the libcyaml schema
 * in src/load/schema.c, read by src/load/read.c into one arena) and freed
 * with rp_spec_free().  Every scalar stays a string here; numbers, constants
 * and references are resolved by the compiler, which is why nothing in this
 * header is interpreted.  A NULL pointer means "key absent".
 */
#ifndef REPLAY_SPEC_H
#define REPLAY_SPEC_H

#include <stdint.h>

struct rp_value;
struct rp_arena;

/* A YAML null (~, null or nothing) where a string belongs: an empty string,
 * and this very pointer, so a builder that needs a value can tell. */
extern char rp_yaml_null[1];

/* A file created in the sandbox (spec `sandbox.files` and the tempfile builder). */
struct rp_file {
	char *name;
	char *content;
	char *mode;
};

/* Named block of typed fields laid out with C alignment. */
struct rp_struct {
	char *name;
	struct rp_value *fields;
	unsigned fields_count;
};

/* Writable memory the kernel fills (out-parameters). */
struct rp_buffer {
	char *name;
	char *size;
	char *fill;
};

/* Raw bytes given as hex. */
struct rp_bytes {
	char *name;
	char *hex;
};

/* Items laid out one after the other (structs among them inline): iovec[], pollfd[]. */
struct rp_array {
	char *name;
	struct rp_value *items;
	unsigned items_count;
};

/* A fixed-size char field (char sun_path[108]): text or a sandbox path, NUL-padded. */
struct rp_chars {
	char *name;
	char *size;
	char *text;
	char *path;
};

/* An integer an earlier step's call wrote into a named object (out-parameters). */
struct rp_load {
	char *from;
	char *offset;
	char *type;
};

/*
 * The keys of a value mapping, in the order of its schema (src/load/schema.c):
 * one builder key, and in a struct field maybe `type:`.
 */
enum rp_value_key {
	RP_KEY_INT, RP_KEY_CONST, RP_KEY_FLAGS, RP_KEY_CSTRING, RP_KEY_PATH, RP_KEY_TEMPFILE,
	RP_KEY_FD, RP_KEY_RET, RP_KEY_NULL, RP_KEY_BUFFER, RP_KEY_STRUCT, RP_KEY_BYTES,
	RP_KEY_SIZEOF, RP_KEY_REF, RP_KEY_LOAD, RP_KEY_PID, RP_KEY_TID, RP_KEY_RUN_ID,
	RP_KEY_ARRAY, RP_KEY_CHARS,
	RP_KEY_U8, RP_KEY_U16, RP_KEY_U32, RP_KEY_U64, RP_KEY_I8, RP_KEY_I16, RP_KEY_I32, RP_KEY_I64,
	RP_KEY_TYPE, /* not a builder: gives a builder's value a width in a struct */
	RP_KEY_COUNT
};

#define RP_BUILDER_KEYS (((uint32_t)1 << RP_KEY_TYPE) - 1)

/*
 * One argument or struct field: a mapping with exactly one builder key.
 * Struct fields may instead use a width key (u8 .. i64) holding a scalar,
 * or add `type:` to give a builder's value a width.  Every builder key's
 * value shares one slot, so an argument costs 24 bytes, not a pointer per
 * key; `keys` says which keys the mapping had (the loader sets it).
 */
struct rp_value {
	uint32_t keys;          /* bit 1 << RP_KEY_x for each key given */
	unsigned flags_count;
	char *type;
	union {                 /* the builder key's value; read it through rp_value_of() */
		char *text;     /* the scalar builders: int, const, path, fd, u32, ... */
		char **flags;
		struct rp_file *tempfile;
		struct rp_buffer *buffer;
		struct rp_struct *struct_;
		struct rp_bytes *bytes;
		struct rp_load *load;
		struct rp_array *array;
		struct rp_chars *chars;
	};
};

/* The value of builder key `k` if it is the value's only builder key, else NULL. */
static inline void *rp_value_of(const struct rp_value *v, enum rp_value_key k)
{
	return (v->keys & RP_BUILDER_KEYS) == (uint32_t)1 << k ? v->text : NULL;
}

struct rp_arch_numbers {
	char *x86_64;
	char *aarch64;
};

struct rp_syscall_override {
	char *name;
	char *x86_64;
	char *aarch64;
};

struct rp_sysctl {
	char *name;
	char *value;
};

/* What a spec or step needs of the machine; unmet needs skip, never fail. */
struct rp_needs {
	char *kernel;   /* minimum version, "5.2" */
	char **arch;
	unsigned arch_count;
	char *root;     /* "true" */
	char **caps;    /* CAP_SYS_ADMIN, ... */
	unsigned caps_count;
	char **syscalls;
	unsigned syscalls_count;
	struct rp_sysctl *sysctl;
	unsigned sysctl_count;
};

struct rp_when {
	char *ok;
	char *failed;
};

struct rp_expect {
	char *ret;
	char **errnos;
	unsigned errnos_count;
	char **skip;    /* errnos that mean "not here": the step is skipped, not failed */
	unsigned skip_count;
};

struct rp_step;

/* Steps run together: in a forked process, in a loop, or by threads. */
struct rp_group {
	char *count;    /* threads: how many */
	char *name;     /* threads: their name (prctl PR_SET_NAME, as a first step) */
	char *repeat;   /* loop: rounds */
	char *duration; /* loop: seconds */
	char *pause;    /* loop: seconds between rounds */
	struct rp_step *steps;
	unsigned steps_count;
};

struct rp_step {
	char *id;
	char *call;
	struct rp_group *process;
	struct rp_group *loop;
	struct rp_group *threads;
	struct rp_arch_numbers *nr;
	struct rp_value *args;
	unsigned args_count;
	struct rp_when *when;
	struct rp_expect *expect;
	char *repeat;
	struct rp_needs *needs;
	char *comment;
};

struct rp_sandbox {
	char **dirs;
	unsigned dirs_count;
	struct rp_file *files;
	unsigned files_count;
};

struct rp_spec {
	char *name;
	char *description;
	char **isolate;
	unsigned isolate_count;
	char **tags;
	unsigned tags_count;
	struct rp_needs *needs;
	struct rp_sandbox *sandbox;
	struct rp_syscall_override *syscalls;
	unsigned syscalls_count;
	struct rp_step *steps;
	unsigned steps_count;
	struct rp_arena *mem; /* not in the YAML: where all of this lives */
};

#endif
