/*
 * gate.h - does this machine give a spec what it needs?
 *
 * Contract: rp_gate_program() checks the spec's needs: and every step's
 * against the running kernel (version, arch, root, capabilities, syscalls
 * present, sysctl values) before anything runs.  An unmet spec need makes
 * the whole spec SKIP (the reason is returned); an unmet step need makes
 * that step skipped with its reason.  Nothing unmet ever fails a run.
 */
#ifndef REPLAY_GATE_H
#define REPLAY_GATE_H

#include <stddef.h>

#include "replay/program.h"

/* 0 if met, else 1 with the first unmet need in `why`. */
int rp_needs_met(const struct rp_needs_c *n, char *why, size_t size);
/* NULL if the spec may run (steps may have been gated), else why it is skipped. */
const char *rp_gate_program(struct rp_program *prog);
/* Is this syscall in the running kernel?  1 yes, 0 no, -1 cannot tell. */
int rp_kernel_has_syscall(const char *name);

#endif
