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
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "replay/exec.h"
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
			  uint64_t args[6])
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
		case RP_REF_PID:
		case RP_REF_TID: v = (uint64_t)(int64_t)run->pid; break;
		default: v = ok ? peek(run->pid, f->from, f->from_width, f->from_signed) : (uint64_t)-1;
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

static void check_entry(const struct rp_program *prog, struct rp_run *run,
			const struct __ptrace_syscall_info *si)
{
	struct rp_verify *v = &run->verify;
	unsigned i = run->live->current;
	const struct rp_row *row = i < run->count ? &run->rows[i] : NULL;
	int in_step = row && row->state == RP_ROW_STARTED && prog->ops[i].kind == RP_OP_CALL;
	if (!in_step) {
		/* Setup happens before the stop; reaping after `finished`. Anything between is ours. */
		if (v->window_open && !run->live->finished) {
			v->foreign++;
			note(v, "syscall %llu between steps (after step %u)", (unsigned long long)si->entry.nr,
			     prog->info[i].number);
		}
		return;
	}
	v->window_open = 1;
	uint64_t want[6];
	expected_args(prog, run, i, want);
	if (v->tamper == 'a' && i == v->tamper_step)
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

void rp_verify_supervise(const struct rp_program *prog, struct rp_run *run)
{
	int status = 0, started = 0;
	/* Test hooks proving the verifier can fail: REPLAY_VERIFY_TAMPER=args expects a
	 * wrong first argument of the last step; =foreign makes the runner issue a call of
	 * its own between two steps (see rp_verify_child). */
	const char *tamper = getenv("REPLAY_VERIFY_TAMPER");
	run->verify.tamper = tamper && strcmp(tamper, "args") == 0 ? 'a' : 0;
	run->verify.tamper_step = prog->step_count ? prog->step_count - 1 : 0;
	for (;;) {
		pid_t got = waitpid(run->pid, &status, __WALL);
		if (got < 0 && errno == EINTR) {
			if (rp_interrupted()) {
				run->interrupted = rp_interrupted();
				kill(-run->pid, SIGKILL);
				kill(run->pid, SIGKILL);
			}
			continue;
		}
		if (got < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			break;
		int sig = WSTOPSIG(status);
		if (!started && sig == SIGSTOP) {
			ptrace(PTRACE_SETOPTIONS, run->pid, NULL,
			       PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
			started = 1;
			sig = 0;
		} else if (sig == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info si;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, run->pid, sizeof(si), &si) > 0 &&
			    si.op == PTRACE_SYSCALL_INFO_ENTRY)
				check_entry(prog, run, &si);
			sig = 0;
		}
		ptrace(PTRACE_SYSCALL, run->pid, NULL, sig);
	}
	kill(-run->pid, SIGKILL);
	run->verify.enabled = 1;
	run->verify.mode = "ptrace";
	if (WIFSIGNALED(status))
		run->signal = WTERMSIG(status);
	else
		run->exit_code = WEXITSTATUS(status);
}
