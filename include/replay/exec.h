/*
 * exec.h - running a compiled program.
 *
 * Contract: rp_execute() runs the program in a forked child so that a step
 * that kills the process cannot take the results with it: rows live in
 * shared memory and are written as each step runs.  Between its first and
 * last step the child makes no system call but the steps' own (timing uses
 * the vDSO clock; nothing is allocated or printed).  The parent supervises:
 * a step blocked past its timeout, or a SIGINT/SIGTERM/SIGHUP to replay,
 * kills the child, and the rows so far are still reported.
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
	RP_ROW_BLOCKED,     /* still in the kernel at its timeout: the child was killed */
};

/* One step's results: the last call's value, and totals over every call
 * (a step runs more than once with repeat: or --repeat). */
struct rp_row {
	int64_t ret;       /* last call's return value */
	int32_t err;       /* last call's errno, 0 if it succeeded */
	int32_t pid;       /* process that ran it (a process: group's child has its own) */
	int32_t tid;       /* thread that ran it (a threads: group's worker has its own) */
	int32_t child_status; /* process: begin rows: the child's wait status, -1 until known */
	uint8_t state;
	uint64_t ns;       /* wall time of all its calls (per call: ns / count) */
	uint64_t count;    /* calls made */
	uint64_t failures; /* calls that returned an error */
	uint64_t unmet;    /* calls that missed the step's expect: */
};

#define RP_LAT_BUCKETS 96
#define RP_ERRNO_SLOTS 6
#define RP_SAMPLE_EVERY 64 /* repeated calls: one in 64 is timed on its own */

/* Distribution of a repeated step (kept only when something repeats). */
struct rp_stats {
	uint64_t timed;                  /* calls timed one by one */
	uint64_t min_ns, max_ns;
	uint32_t latency[RP_LAT_BUCKETS]; /* rp_latency_bucket() of each timed call */
	struct {
		int32_t err;
		uint64_t n;
	} errnos[RP_ERRNO_SLOTS];
	uint64_t other_errnos;
};

/* Quarter-octave buckets: 0-3 ns exact, then 4 per power of two; the last holds >= 14.7 ms. */
static inline unsigned rp_latency_bucket(uint64_t ns)
{
	if (ns < 4)
		return (unsigned)ns;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns);
	unsigned b = (e - 1) * 4 + (unsigned)((ns >> (e - 2)) & 3);
	return b < RP_LAT_BUCKETS ? b : RP_LAT_BUCKETS - 1;
}

/* Smallest duration that falls in bucket b. */
static inline uint64_t rp_latency_floor(unsigned b)
{
	if (b < 4)
		return b;
	unsigned e = b / 4 + 1;
	return (4ull | (b % 4)) << (e - 2);
}

#define RP_EVENT_BYTES 128 /* captured behind each pointer argument, at most */

/* --events: a step's last call as it entered the kernel (written by the child
 * just before the call: memory copies only). */
struct rp_event {
	uint64_t args[6];
	uint64_t enter_ns, exit_ns;
	uint16_t len[6];        /* bytes captured behind each argument */
	uint8_t truncated[6];
	uint8_t bytes[6][RP_EVENT_BYTES];
};

/* Namespaces for --isolate (a step's mounts, swap and network stay inside). */
enum {
	RP_ISOLATE_USER = 1 << 0,
	RP_ISOLATE_MOUNT = 1 << 1,
	RP_ISOLATE_NET = 1 << 2,
	RP_ISOLATE_PID = 1 << 3,
};

struct rp_exec_options {
	uint64_t step_timeout_ns; /* 0: none */
	uint64_t run_timeout_ns;  /* 0: none */
	unsigned isolate;         /* RP_ISOLATE_* */
	uint64_t rounds;          /* --repeat: run the whole program this many times (0 = 1) */
	uint64_t duration_ns;     /* --duration: run it again and again for this long */
	int verify_ptrace;        /* --verify=ptrace */
	int verify_tracepoints;   /* --verify=tracepoints */
	int events;               /* keep struct rp_event per step (--events) */
	void (*tick)(void *arg);  /* called by the supervisor as the run goes (20 ms) */
	void *tick_arg;
};

/* Written by the child as it goes, read by the parent (shared memory). */
struct rp_live {
	volatile uint32_t current;    /* index of the step in the kernel */
	volatile uint64_t started_ns; /* CLOCK_MONOTONIC when it entered */
	volatile uint64_t progress;   /* calls made so far: a repeated step is not blocked */
	volatile int setup_errno;     /* isolation failed before the first step */
	volatile int finished;        /* the runner is past its last step */
	volatile int ready, go, go2;  /* --verify=tracepoints barriers around the steps */
	volatile int32_t worker_tids[64];
	char setup_what[120];
};

/* --verify=ptrace: what the tracer saw. */
struct rp_verify {
	int enabled;
	const char *mode;      /* "ptrace" or "tracepoints" */
	char skipped[160];     /* could not verify here: why */
	int window_open;       /* the first step has entered the kernel */
	uint64_t checked;      /* calls that matched their step */
	uint64_t mismatches;   /* a step entered with another number or argument */
	uint64_t foreign;      /* syscalls between steps: the engine's own */
	char first[200];       /* the first problem, for the report */
	int tamper;            /* test hook, see src/exec/verify.c */
	long exit_group_nr;
	unsigned tamper_step;
};

struct rp_run {
	struct rp_live *live;  /* shared mapping: live block, then the rows */
	struct rp_row *rows;
	struct rp_stats *stats; /* per step, or NULL when nothing repeats */
	struct rp_event *events; /* per step with --events, else NULL */
	unsigned count;
	pid_t pid;
	int signal;            /* fatal signal of the child, or 0 */
	int exit_code;
	int interrupted;       /* signal that interrupted replay itself, or 0 */
	int blocked_step;      /* step killed at its timeout, or -1 */
	int any_blocked;       /* the run was stopped for a step timeout */
	int run_timed_out;     /* the whole run passed its timeout */
	int cleanup_failed;    /* mounts or files of the sandbox remain (set by the caller) */
	struct rp_verify verify;
};

int rp_execute(struct rp_program *prog, const struct rp_exec_options *opt, struct rp_run *run);
/* Catch SIGINT/SIGTERM/SIGHUP for the rest of replay's life: they set a flag
 * that rp_interrupted() returns (the signal, or 0), and a run in progress is
 * stopped; sandboxes are never left half built or half removed. */
void rp_signals_catch(void);
int rp_interrupted(void);
void rp_run_free(struct rp_run *run);

/* src/exec/isolate.c: enter the namespaces in the child; 0 or -1 (live->setup_*). */
int rp_isolate_child(unsigned isolate, struct rp_live *live);
/* "user,mount,net,pid" -> RP_ISOLATE_*; -1 on an unknown name. */
int rp_isolate_parse(const char *list, unsigned *out);

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
