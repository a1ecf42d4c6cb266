/*
 * The interpreter loop and the child that runs it.  The loop is the only
 * code between the first and the last step: keep it free of anything that
 * could make a system call of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/exec.h"

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void apply_fixups(const struct rp_program *prog, const struct rp_op *op,
				const struct rp_row *rows)
{
	for (uint32_t i = 0; i < op->fixup_count; i++) {
		const struct rp_fixup *f = &prog->fixups[op->fixup_first + i];
		const struct rp_row *src = &rows[f->src];
		uint64_t v = (uint64_t)(f->kind == RP_REF_FD ? rp_row_fd(src) : rp_row_raw(src));
		switch (f->width) {
		case 1: *(uint8_t *)f->dst = (uint8_t)v; break;
		case 2: { uint16_t x = (uint16_t)v; memcpy(f->dst, &x, 2); break; }
		case 4: { uint32_t x = (uint32_t)v; memcpy(f->dst, &x, 4); break; }
		default: memcpy(f->dst, &v, 8); break;
		}
	}
}

static inline int condition_holds(const struct rp_op *op, const struct rp_row *rows)
{
	if (op->when_kind == RP_WHEN_ALWAYS)
		return 1;
	const struct rp_row *src = &rows[op->when_step];
	if (src->state != RP_ROW_DONE)
		return 0; /* a step that did not run neither succeeded nor failed */
	return op->when_kind == RP_WHEN_OK ? src->err == 0 : src->err != 0;
}

static void run_loop(const struct rp_program *prog, struct rp_row *rows)
{
	for (unsigned i = 0; i < prog->step_count; i++) {
		const struct rp_op *op = &prog->ops[i];
		struct rp_row *row = &rows[i];
		if (op->nr < 0) {
			row->state = RP_ROW_UNAVAILABLE;
			continue;
		}
		if (!condition_holds(op, rows)) {
			row->state = RP_ROW_SKIPPED;
			continue;
		}
		apply_fixups(prog, op, rows);
		row->state = RP_ROW_STARTED;
		uint64_t t0 = now_ns();
		long r = syscall(op->nr, op->args[0], op->args[1], op->args[2], op->args[3],
				 op->args[4], op->args[5]);
		if (op->forks && r == 0)
			_exit(0); /* a new process must not run the rest of the spec */
		int e = r == -1 ? errno : 0;
		uint64_t t1 = now_ns();
		row->ret = r;
		row->err = e;
		row->ns = t1 - t0;
		row->state = RP_ROW_DONE;
	}
}

static void ignore(int sig)
{
	(void)sig;
}

int rp_execute(struct rp_program *prog, struct rp_run *run)
{
	size_t size = (prog->step_count ? prog->step_count : 1) * sizeof(struct rp_row);
	memset(run, 0, sizeof(*run));
	run->rows = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run->rows == MAP_FAILED) {
		run->rows = NULL;
		return -1;
	}
	run->count = prog->step_count;
	/* Touch every page now, so the loop never faults in shared memory lazily. */
	memset(run->rows, 0, size);
	fflush(NULL);
	/* The parent outlives ^C so it can clean up and report; the child dies of it. */
	struct sigaction sa = {.sa_handler = ignore}, old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		run_loop(prog, run->rows);
		_exit(0);
	}
	run->pid = pid;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (WIFSIGNALED(status))
		run->signal = WTERMSIG(status);
	else
		run->exit_code = WEXITSTATUS(status);
	return 0;
}

void rp_run_free(struct rp_run *run)
{
	if (run->rows)
		munmap(run->rows, (run->count ? run->count : 1) * sizeof(struct rp_row));
	run->rows = NULL;
}
