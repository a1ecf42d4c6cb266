/*
 * exec.h - running a compiled program.
 *
 * Contract: rp_execute() runs the program in a forked child so that a step
 * that kills the process cannot take the results with it: rows live in
 * shared memory and are written as each step runs.  Between its first and
 * last step the child makes no system call but the steps' own (timing uses
 * the vDSO clock; nothing is allocated or printed).
 */
#ifndef REPLAY_EXEC_H
#define REPLAY_EXEC_H

#include <stdint.h>
#include <sys/types.h>

#include "replay/program.h"

enum rp_row_state {
	RP_ROW_NOT_RUN,     /* the run ended before this step */
	RP_ROW_STARTED,     /* entered, never returned: the child died in it */
	RP_ROW_DONE,
	RP_ROW_SKIPPED,     /* its when: condition was false */
	RP_ROW_UNAVAILABLE, /* no syscall number on this arch */
};

struct rp_row {
	int64_t ret;
	int32_t err;
	uint8_t state;
	uint64_t ns;
};

struct rp_run {
	struct rp_row *rows; /* shared mapping, prog->step_count entries */
	unsigned count;
	pid_t pid;
	int signal;          /* fatal signal of the child, or 0 */
	int exit_code;
};

int rp_execute(struct rp_program *prog, struct rp_run *run);
void rp_run_free(struct rp_run *run);

/* The kernel's raw return value: the result, -errno on failure, -1 if the step did not run. */
static inline int64_t rp_row_raw(const struct rp_row *r)
{
	if (r->state != RP_ROW_DONE)
		return -1;
	return r->err ? -(int64_t)r->err : r->ret;
}

/* fd-style value of a finished row: its return value if it succeeded, else -1. */
static inline int64_t rp_row_fd(const struct rp_row *r)
{
	return r->state == RP_ROW_DONE && r->err == 0 ? r->ret : -1;
}

#endif
