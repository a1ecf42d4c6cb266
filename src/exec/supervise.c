/* Waiting for the child with deadlines: a pidfd when the kernel has one, else polling. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervise.h"

#define TICK_MS 20

static volatile sig_atomic_t interrupted;
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction saved[3];

static void on_signal(int sig)
{
	interrupted = sig;
}

void rp_signals_catch(void)
{
	/* From here to exit, SIGINT/SIGTERM/SIGHUP only set a flag: replay stops
	 * between specs, and never between creating a sandbox and removing it.
	 * SA_RESTART: building or removing a sandbox must not see EINTR. */
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	for (int i = 0; i < 3; i++)
		sigaction(forwarded[i], &sa, NULL);
}

void rp_parent_signals_install(void)
{
	/* No SA_RESTART: the wait below must wake up to act on it. */
	struct sigaction sa = {.sa_handler = on_signal};
	for (int i = 0; i < 3; i++)
		sigaction(forwarded[i], &sa, &saved[i]);
}

void rp_parent_signals_restore(void)
{
	for (int i = 0; i < 3; i++)
		sigaction(forwarded[i], &saved[i], NULL);
}

int rp_interrupted(void)
{
	return interrupted;
}

void rp_child_signals(void)
{
	for (int i = 0; i < 3; i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL); /* replay ignores it; the steps get the default */
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A step in the kernel while no call has returned for the step timeout. */
static int in_kernel_too_long(const struct rp_run *run, const struct rp_exec_options *opt,
			      struct rp_watch *w, uint64_t now)
{
	if (!opt->step_timeout_ns)
		return 0;
	uint64_t progress = run->live->progress;
	uint64_t started = run->live->started_ns;
	if (progress != w->progress) {
		w->progress = progress;
		w->since = now;
	}
	uint64_t stuck = started > w->since ? started : w->since;
	if (now <= stuck + opt->step_timeout_ns)
		return 0;
	for (unsigned i = 0; i < run->count; i++)
		if (run->rows[i].state == RP_ROW_STARTED)
			return 1;
	return 0;
}

static void wait_tick(int pidfd)
{
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		poll(&p, 1, TICK_MS);
	} else {
		struct timespec ts = {0, TICK_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
}

void rp_watch_start(struct rp_watch *w)
{
	w->start = w->since = now_ns();
	w->progress = 0;
}

/* Which deadline (or signal) stops the run, recorded in `run`; 0 if none yet. */
static int stop_reason(struct rp_run *run, const struct rp_exec_options *opt, struct rp_watch *w)
{
	uint64_t now = now_ns();
	if (interrupted) {
		run->interrupted = interrupted;
		return 1;
	}
	if (in_kernel_too_long(run, opt, w, now)) {
		run->blocked_step = (int)run->live->current;
		run->any_blocked = 1;
		return 1;
	}
	if (opt->run_timeout_ns && now > w->start + opt->run_timeout_ns) {
		run->run_timed_out = 1;
		return 1;
	}
	return 0;
}

int rp_should_stop(struct rp_run *run, const struct rp_exec_options *opt, struct rp_watch *w)
{
	if (!stop_reason(run, opt, w))
		return 0;
	/* The runner leads its own process group: its process: children go too. */
	kill(-run->pid, SIGKILL);
	kill(run->pid, SIGKILL);
	return 1;
}

/* replay is the subreaper of its runs (rp_execute): a process of the run that
 * left its process group (setsid) and lost its parent is replay's child now.
 * Kill and reap every such child, so none outlives the run or stays a zombie. */
static void kill_strays(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	/* Kill, then wait for exactly those: a grandchild that was alive a moment ago
	 * becomes our child when its parent dies, and is found on the next round
	 * (a blocking wait for any child would wait for it forever). */
	for (int round = 0; round < 1024; round++) {
		FILE *f = fopen(path, "r");
		int pids[256], n = 0;
		while (f && n < 256 && fscanf(f, "%d", &pids[n]) == 1)
			kill(pids[n++], SIGKILL);
		if (f)
			fclose(f);
		for (int i = 0; i < n; i++)
			while (waitpid(pids[i], NULL, __WALL) < 0 && errno == EINTR)
				;
		if (!n)
			return;
	}
}

void rp_run_ended(const struct rp_program *prog, struct rp_run *run, int status)
{
	/* Nothing of the run may outlive it, even a child the runner could not reap. */
	kill(-run->pid, SIGKILL);
	kill_strays();
	/* Every step still in the kernel when the run was stopped for it: blocked.
	 * (Groups' own rows stay as they are: their steps tell.) */
	if (run->any_blocked) {
		run->blocked_step = -1;
		for (unsigned i = 0; i < run->count; i++)
			if (run->rows[i].state == RP_ROW_STARTED && prog->ops[i].kind == RP_OP_CALL) {
				run->rows[i].state = RP_ROW_BLOCKED;
				if (run->blocked_step < 0)
					run->blocked_step = (int)i;
			}
	}
	if (WIFSIGNALED(status))
		run->signal = WTERMSIG(status);
	else
		run->exit_code = WEXITSTATUS(status);
}

void rp_supervise(const struct rp_program *prog, struct rp_run *run,
		  const struct rp_exec_options *opt)
{
	int pidfd = (int)syscall(SYS_pidfd_open, run->pid, 0);
	int status = 0, killed = 0, counting = 0, counted = 0;
	struct rp_watch w;
	rp_watch_start(&w);
	struct rp_counters *tp = opt->verify_tracepoints ? calloc(1, sizeof(*tp)) : NULL;
	for (;;) {
		if (tp && !counting && run->live->ready) {
			counting = 1;
			if (rp_tracepoints_begin(prog, run, tp) != 0) {
				snprintf(run->verify.skipped, sizeof(run->verify.skipped), "%s", tp->why);
				counted = 1; /* nothing to read at the end */
			}
			run->live->go = 1;
		}
		if (tp && counting && !counted && run->live->finished) {
			rp_tracepoints_end(prog, run, tp);
			counted = 1;
			run->live->go2 = 1;
		}
		if (tp && counted && run->live->finished)
			run->live->go2 = 1;
		pid_t got = waitpid(run->pid, &status, killed ? 0 : WNOHANG);
		if (got == run->pid)
			break;
		if (got < 0 && errno != EINTR)
			break;
		if (killed || (killed = rp_should_stop(run, opt, &w)))
			continue; /* now a blocking wait */
		if (opt->tick)
			opt->tick(opt->tick_arg);
		wait_tick(pidfd);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (tp) {
		if (counting && !counted)
			rp_tracepoints_end(prog, run, tp); /* the run died: count what it did */
		run->verify.enabled = 1;
		run->verify.mode = "tracepoints";
		free(tp);
	}
	rp_run_ended(prog, run, status);
}
