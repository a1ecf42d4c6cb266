/*
 * supervise.h - the parent's side of a run (internal to src/exec).
 *
 * Contract: while the child runs, replay's own SIGINT/SIGTERM/SIGHUP only
 * set a flag; rp_supervise() waits for the child, kills it when a step
 * outlives its timeout, the run its deadline, or replay is interrupted,
 * and fills in how the child ended.
 */
#ifndef REPLAY_SUPERVISE_H
#define REPLAY_SUPERVISE_H

#include "replay/exec.h"

/* Exit status of a child whose isolation failed before the first step. */
#define RP_SETUP_FAILED 125

/* Deadlines of a run: when it started, and calls returning (progress) since when. */
struct rp_watch {
	uint64_t start, progress, since;
};
void rp_watch_start(struct rp_watch *w);
/* Replay interrupted, a step in the kernel past --step-timeout, or the run past
 * --timeout: record which in `run`, kill the run's process group, return 1. */
int rp_should_stop(struct rp_run *run, const struct rp_exec_options *opt, struct rp_watch *w);
/* After the runner ended (wait status): kill what is left, mark blocked steps. */
void rp_run_ended(const struct rp_program *prog, struct rp_run *run, int status);

void rp_parent_signals_install(void);
void rp_parent_signals_restore(void);
void rp_child_signals(void);
/* src/exec/tracepoints.c: --verify=tracepoints */
#define RP_MAX_TP 256
struct rp_counters {
	const char *names[RP_MAX_TP];   /* kernel names of the calls */
	int fds[RP_MAX_TP][1 + 64];     /* per tracepoint: the runner, then each worker */
	unsigned char absent[RP_MAX_TP]; /* no such tracepoint on this kernel */
	unsigned n, threads;
	char why[160];
};
int rp_tracepoints_begin(const struct rp_program *prog, struct rp_run *run, struct rp_counters *c);
void rp_tracepoints_end(const struct rp_program *prog, struct rp_run *run, struct rp_counters *c);
/* src/exec/verify.c */
int rp_verify_child(void); /* 1: the test hook asks for a foreign call between steps */
void rp_verify_supervise(const struct rp_program *prog, struct rp_run *run,
			 const struct rp_exec_options *opt);
void rp_supervise(const struct rp_program *prog, struct rp_run *run,
		  const struct rp_exec_options *opt);

#endif
