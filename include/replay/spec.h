/*
 * spec.h - the loaded spec, exactly as written in YAML.
 *
 * Contract: these structs are filled by rp_spec_load() (libcyaml, schema in
 * src/load/schema.c) and freed with rp_spec_free().  Every scalar stays a
 * string here; numbers, constants and references are resolved by the
 * compiler, which is why nothing in this header is interpreted.
 * A NULL pointer means "key absent".
 */
#ifndef REPLAY_SPEC_H
#define REPLAY_SPEC_H

struct rp_value;

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
 * One argument or struct field: a mapping with exactly one builder key.
 * Struct fields may instead use a width key (u8 .. i64) holding a scalar,
 * or add `type:` to give a builder's value a width.
 */
struct rp_value {
	char *int_;
	char *const_;
	char **flags;
	unsigned flags_count;
	char *cstring;
	char *path;
	struct rp_file *tempfile;
	char *fd;
	char *ret;
	char *null;
	struct rp_buffer *buffer;
	struct rp_struct *struct_;
	struct rp_bytes *bytes;
	char *sizeof_;
	char *ref;
	struct rp_load *load;
	char *pid;
	char *tid;
	char *run_id;
	struct rp_array *array;
	struct rp_chars *chars;
	/* struct fields only */
	char *type;
	char *u8, *u16, *u32, *u64, *i8, *i16, *i32, *i64;
};

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
	struct rp_spec_mem *mem; /* not in the YAML: where all of this lives */
};

#endif
