/*
 * program.h - the compiled, flat form of a spec (the "bytecode").
 *
 * Contract: rp_compile() turns a loaded spec into an rp_program whose ops
 * hold final syscall numbers and argument words.  The only values not known
 * at compile time are (a) results of earlier steps, patched into place by
 * fixups just before a step runs, and (b) the sandbox directory, bound once
 * by rp_program_bind_sandbox() before the first step.  Everything else the
 * executor needs is already in memory: the run loop allocates nothing.
 */
#ifndef REPLAY_PROGRAM_H
#define REPLAY_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "replay/arena.h"

#define RP_MAX_ARGS 6
#define RP_ARG_STRING 0xffffffffu

enum rp_ref_kind {
	RP_REF_LOAD, /* an integer the step wrote into memory (from), if it succeeded, else -1 */
	RP_REF_FD,  /* the step's return value if it succeeded, else -1 */
	RP_REF_RET, /* the kernel's raw return value: -errno on failure, -1 if it did not run */
	RP_REF_PID, /* the pid of the process running the step */
	RP_REF_TID, /* its thread id */
};

/* "Before step N runs, store the result of step src into dst (width bytes)." */
struct rp_fixup {
	void *dst;
	const void *from;  /* RP_REF_LOAD: where the step wrote it */
	uint32_t src;
	uint8_t width;
	uint8_t kind;
	uint8_t from_width;
	uint8_t from_signed;
};

/* A pointer slot that receives the absolute path of a sandbox entry. */
struct rp_path_reloc {
	uint64_t *slot;  /* a pointer slot, or with copy_size a char array */
	const char *rel; /* "." is the sandbox itself; NULL: the run id string */
	uint32_t copy_size; /* chars: copy the path in (NUL-padded) instead of pointing at it */
};

enum rp_when_kind {
	RP_WHEN_ALWAYS,
	RP_WHEN_OK,     /* run only if step `when_step` succeeded */
	RP_WHEN_FAILED, /* run only if step `when_step` ran and returned an error */
};

/* What an op does.  Groups compile to a begin op, their body, and an end op
 * that jumps (Lua-style: one flat array, a small loop over it). */
enum rp_op_kind {
	RP_OP_CALL,  /* one syscall (repeat: times) */
	RP_OP_FORK,  /* process: begin; the child runs the body, the parent jumps past it */
	RP_OP_EXIT,  /* process: end of the body; the child exits */
	RP_OP_LOOP,  /* loop: begin; args[0] rounds (0: no limit), args[1] duration ns,
	                args[2] pause ns between rounds */
	RP_OP_NEXT,  /* loop: end of the body; back to the begin op, or on */
	RP_OP_THREADS, /* threads: begin; args[0] threads, args[1] ops per thread copy; copy k
	                  starts at this op + 1 + k * args[1] and ends with RP_OP_DONE */
	RP_OP_DONE,  /* threads: end of one thread's copy of the body */
	RP_OP_JOIN,  /* threads: end of the group */
};

struct rp_op {
	long nr; /* -1: the call has no number on the target arch */
	uint64_t args[RP_MAX_ARGS];
	uint32_t fixup_first;
	uint32_t fixup_count;
	uint32_t when_step;
	uint8_t when_kind;
	uint8_t forks;   /* fork, clone, clone3: the new process exits at once */
	uint8_t expects; /* the step has an expect: to check on every call */
	uint32_t repeat; /* calls in a row (repeat:), at least 1 */
	uint8_t kind;    /* enum rp_op_kind */
	uint32_t jump;   /* begin <-> end op of a group */
};

/* What a spec or step needs of the machine, compiled (src/exec/gate.c checks it). */
struct rp_needs_c {
	unsigned kernel[3];      /* minimum version; 0.0.0: any */
	unsigned arch_mask;      /* bit per rp_arch_names() entry; 0: any */
	int root;
	uint64_t caps;           /* CAP_* bits */
	const char **syscalls;
	unsigned syscall_count;
	const char **sysctl_names, **sysctl_values;
	unsigned sysctl_count;
};

/* How an argument was built, kept for rendering (dry run, reports). */
enum rp_arg_kind {
	RP_ARG_INT, RP_ARG_CONST, RP_ARG_FLAGS, RP_ARG_CSTRING, RP_ARG_PATH,
	RP_ARG_FD, RP_ARG_RET, RP_ARG_NULL, RP_ARG_OBJECT, RP_ARG_SIZEOF, RP_ARG_LOAD, RP_ARG_SELF,
};

struct rp_expectation {
	int any;          /* no expect: best effort */
	int has_ret;
	int64_t ret;
	const int *errnos;
	unsigned errno_count;
	const int *skip;  /* errnos that make the step skipped ("not in this kernel") */
	unsigned skip_count;
};

/* Everything about a step that the run loop does not need. */
struct rp_step_info {
	const char *id;   /* may be NULL */
	const char *call;
	unsigned nargs;   /* arguments written in the spec */
	unsigned flags;   /* RP_SC_* classes of the call */
	const char *unavailable; /* why the step cannot run here, or NULL */
	uint8_t depth;    /* nesting in groups, for printing */
	uint8_t hidden;   /* group end ops: not a step of their own in reports */
	uint32_t number;  /* 1-based step number as reports show it (end ops not counted) */
	const struct rp_needs_c *needs; /* or NULL */
	const char *skipped_because; /* its needs are not met here (set by rp_gate_program) */
	struct rp_expectation expect;
	uint8_t arg_kind[RP_MAX_ARGS];
	uint32_t arg_bytes[RP_MAX_ARGS]; /* pointer args: bytes behind them; RP_ARG_STRING: a C string */
	const char *arg_text[RP_MAX_ARGS]; /* rendered builder, for dry runs */
};

struct rp_sandbox_plan {
	const char **dirs;
	unsigned dir_count;
	struct rp_sandbox_file {
		const char *name;
		const char *content;
		size_t size;
		unsigned mode;
	} *files;
	unsigned file_count;
};

struct rp_program {
	const char *name;
	const char *arch;
	unsigned step_count;
	struct rp_op *ops;
	struct rp_step_info *info;
	struct rp_fixup *fixups;
	unsigned fixup_count;
	struct rp_path_reloc *relocs;
	unsigned reloc_count;
	struct rp_sandbox_plan sandbox;
	int repeats; /* some step has repeat: > 1 */
	unsigned max_threads; /* worker threads the largest threads: group needs */
	unsigned isolate; /* RP_ISOLATE_* the spec asks for */
	const struct rp_needs_c *needs; /* the spec's, or NULL */
	const char *run_id;  /* set before binding: what {run_id: ~} points at */
	const char *const *tags;
	unsigned tag_count;
	struct rp_arena arena;
};

#endif
