/*
 * --verify=ptrace: the supervisor traces the runner and checks, at every
 * syscall entry, that it is the step the runner says it is in (its number
 * and its six argument words, with earlier results filled in), and that no
 * other syscall happens between the first step and the last.  The runner
 * stops itself (SIGSTOP, after PTRACE_TRACEME) once its setup is done, so
 * the setup's own calls are not in the window.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "replay/exec.h"
#include "replay/tables.h"

static long rp_exit_group_nr(void)
{
	const struct rp_syscall *sc = rp_syscall_by_name(rp_native_arch(), "exit_group");
	return sc ? sc->nr : -1;
}
#include "supervise.h"

/* A word the child wrote (load:), read from the child. */
static uint64_t peek(pid_t pid, const void *addr, unsigned width, int is_signed)
{
	uint64_t word = 0;
	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, pid, addr, NULL);
	if (errno)
		return (uint64_t)-1;
	memcpy(&word, &v, sizeof(word));
	switch (width) {
	case 1: return is_signed ? (uint64_t)(int8_t)word : (uint8_t)word;
	case 2: return is_signed ? (uint64_t)(int16_t)word : (uint16_t)word;
	case 4: return is_signed ? (uint64_t)(int32_t)word : (uint32_t)word;
	default: return word;
	}
}

/* The argument words step i must enter the kernel with, as the runner computes them. */
static void expected_args(const struct rp_program *prog, const struct rp_run *run, unsigned i,
			  pid_t tid, uint64_t args[6])
{
	const struct rp_op *op = &prog->ops[i];
	memcpy(args, op->args, sizeof(op->args));
	for (uint32_t k = 0; k < op->fixup_count; k++) {
		const struct rp_fixup *f = &prog->fixups[op->fixup_first + k];
		const uint64_t *lo = op->args, *hi = op->args + 6;
		if ((const uint64_t *)f->dst < lo || (const uint64_t *)f->dst >= hi)
			continue; /* inside a struct: the pointer argument itself is unchanged */
		const struct rp_row *src = &run->rows[f->src];
		int ok = src->state == RP_ROW_DONE && src->err == 0;
		uint64_t v;
		switch (f->kind) {
		case RP_REF_FD: v = ok ? (uint64_t)src->ret : (uint64_t)-1; break;
		case RP_REF_RET: v = (uint64_t)rp_row_raw(src); break;
		case RP_REF_PID: v = (uint64_t)(int64_t)run->rows[i].pid; break;
		case RP_REF_TID: v = (uint64_t)(int64_t)run->rows[i].tid; break;
		default: v = ok ? peek(tid, f->from, f->from_width, f->from_signed) : (uint64_t)-1;
		}
		args[(const uint64_t *)f->dst - lo] = v;
	}
}

static void note(struct rp_verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct rp_verify *v, const char *fmt, ...)
{
	if (v->first[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->first, sizeof(v->first), fmt, ap);
	va_end(ap);
}

/* Ops that are a syscall: calls, and process: groups' fork. */
static int is_call(const struct rp_program *prog, unsigned i)
{
	return prog->ops[i].kind == RP_OP_CALL || prog->ops[i].kind == RP_OP_FORK;
}

/* The step thread `tid` is in: the one the run says is current, or else the
 * STARTED call row it ran (rows carry the pid and tid of whoever runs them). */
static int step_of(const struct rp_program *prog, const struct rp_run *run, pid_t tid)
{
	unsigned i = run->live->current;
	if (i < run->count && run->rows[i].state == RP_ROW_STARTED && run->rows[i].tid == tid &&
	    is_call(prog, i))
		return (int)i;
	for (unsigned k = 0; k < run->count; k++)
		if (run->rows[k].state == RP_ROW_STARTED && run->rows[k].tid == tid && is_call(prog, k))
			return (int)k;
	return -1;
}

static void check_entry(const struct rp_program *prog, struct rp_run *run, pid_t tid,
			const struct __ptrace_syscall_info *si)
{
	struct rp_verify *v = &run->verify;
	int i = step_of(prog, run, tid);
	if (i < 0) {
		/* Setup happens before the first stop and reaping after `finished`; a
		 * process: child's own exit after its steps is its end, not a step. */
		if (tid != run->pid && (long)si->entry.nr == v->exit_group_nr)
			return;
		if (v->window_open && !run->live->finished) {
			v->foreign++;
			note(v, "syscall %llu in %d between steps", (unsigned long long)si->entry.nr,
			     (int)tid);
		}
		return;
	}
	v->window_open = 1;
	uint64_t want[6];
	expected_args(prog, run, (unsigned)i, tid, want);
	if (v->tamper == 'a' && (unsigned)i == v->tamper_step)
		want[0] ^= 1; /* a deliberately wrong expectation: the check must say so */
	if ((long)si->entry.nr != prog->ops[i].nr) {
		v->mismatches++;
		note(v, "step %u (%s): syscall %llu entered, %ld expected", prog->info[i].number,
		     prog->info[i].call, (unsigned long long)si->entry.nr, prog->ops[i].nr);
		return;
	}
	for (int a = 0; a < 6; a++)
		if (si->entry.args[a] != want[a]) {
			v->mismatches++;
			note(v, "step %u (%s): argument %d was 0x%llx, 0x%llx expected", prog->info[i].number,
			     prog->info[i].call, a + 1, (unsigned long long)si->entry.args[a],
			     (unsigned long long)want[a]);
			return;
		}
	v->checked++;
}

int rp_verify_child(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP); /* the tracer takes over here, before the first step */
	const char *tamper = getenv("REPLAY_VERIFY_TAMPER");
	return tamper && strcmp(tamper, "foreign") == 0;
}

#define TRACE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK | \
		       PTRACE_O_TRACECLONE)

/* Workers started before the runner stopped itself: attach to each. */
static void seize_workers(const struct rp_program *prog, struct rp_run *run)
{
	for (unsigned k = 0; k < prog->max_threads; k++) {
		pid_t tid = run->live->worker_tids[k];
		if (tid > 0 && ptrace(PTRACE_SEIZE, tid, NULL, TRACE_OPTIONS) == 0)
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	}
}

static void on_tick(int sig)
{
	(void)sig; /* only to make waitpid return EINTR */
}

/* waitpid blocks while the run is in a step: a 20 ms interval timer wakes it to
 * check the deadlines and replay's own signals, as rp_supervise's poll does. */
static void ticks(int on, struct sigaction *saved)
{
	struct itimerval every = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
	if (on) {
		struct sigaction sa = {.sa_handler = on_tick}; /* no SA_RESTART */
		sigaction(SIGALRM, &sa, saved);
		setitimer(ITIMER_REAL, &every, NULL);
	} else {
		setitimer(ITIMER_REAL, &off, NULL);
		sigaction(SIGALRM, saved, NULL);
	}
}

void rp_verify_supervise(const struct rp_program *prog, struct rp_run *run,
			 const struct rp_exec_options *opt)
{
	int status = 0, runner_status = 0, started = 0, killed = 0;
	struct rp_watch w;
	struct sigaction saved;
	rp_watch_start(&w);
	ticks(1, &saved);
	/* Test hooks proving the verifier can fail: REPLAY_VERIFY_TAMPER=args expects a
	 * wrong first argument of the last step; =foreign makes the runner issue a call of
	 * its own between two steps (see rp_verify_child). */
	const char *tamper = getenv("REPLAY_VERIFY_TAMPER");
	run->verify.tamper = tamper && strcmp(tamper, "args") == 0 ? 'a' : 0;
	run->verify.tamper_step = prog->step_count ? prog->step_count - 1 : 0;
	run->verify.exit_group_nr = rp_exit_group_nr();
	for (;;) {
		if (!killed)
			killed = rp_should_stop(run, opt, &w);
		pid_t got = waitpid(-1, &status, __WALL);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (got == run->pid) {
				runner_status = status;
				break;
			}
			continue;
		}
		int sig = WSTOPSIG(status);
		if (!started && got == run->pid && sig == SIGSTOP) {
			ptrace(PTRACE_SETOPTIONS, run->pid, NULL, TRACE_OPTIONS);
			seize_workers(prog, run);
			started = 1;
			sig = 0;
		} else if (sig == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info si;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, got, sizeof(si), &si) > 0 &&
			    si.op == PTRACE_SYSCALL_INFO_ENTRY)
				check_entry(prog, run, got, &si);
			sig = 0;
		} else if (status >> 16) {
			sig = 0; /* fork, clone or interrupt events: nothing to deliver */
		} else if (sig == SIGSTOP && got != run->pid) {
			sig = 0; /* a new child's first stop */
		}
		ptrace(PTRACE_SYSCALL, got, NULL, sig);
	}
	ticks(0, &saved);
	kill(-run->pid, SIGKILL);
	while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
		;
	run->verify.enabled = 1;
	run->verify.mode = "ptrace";
	rp_run_ended(prog, run, runner_status);
}
