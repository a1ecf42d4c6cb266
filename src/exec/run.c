/*
 * The interpreter loop and the child that runs it.  The loop is the only
 * code between the first and the last step: keep it free of anything that
 * could make a system call of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "replay/exec.h"
#include "supervise.h"

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Who runs the steps: set before the first step, never by a syscall after. */
static int32_t self_pid;
static __thread int32_t self_tid;
static __thread int is_runner; /* the runner's main thread: not a child, not a worker */
static int inject_foreign;     /* --verify test hook: a call of our own after step 1 */

/* threads: workers, started before the first step and handed work through memory. */
struct worker {
	pthread_t thread;
	uint32_t start; /* op to run from, 0 when idle */
	const struct rp_program *prog;
	struct rp_row *rows;
	struct rp_stats *stats;
	struct rp_live *live;
};

static struct worker workers[64];
static uint32_t workers_ready, workers_done;
/* The runner's tid, which the kernel clears when the runner's thread ends
 * (set_tid_address): a spec's `exit` step ends that thread only, and the
 * idle workers must then end the process with the status it asked for. */
static int runner_alive;

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An integer of from_width bytes the kernel wrote, widened by its signedness. */
static inline uint64_t load_value(const struct rp_fixup *f)
{
	switch (f->from_width) {
	case 1: { uint8_t x; memcpy(&x, f->from, 1); return f->from_signed ? (uint64_t)(int8_t)x : x; }
	case 2: { uint16_t x; memcpy(&x, f->from, 2); return f->from_signed ? (uint64_t)(int16_t)x : x; }
	case 4: { uint32_t x; memcpy(&x, f->from, 4); return f->from_signed ? (uint64_t)(int32_t)x : x; }
	default: { uint64_t x; memcpy(&x, f->from, 8); return x; }
	}
}

static inline void apply_fixups(const struct rp_program *prog, const struct rp_op *op,
				const struct rp_row *rows)
{
	for (uint32_t i = 0; i < op->fixup_count; i++) {
		const struct rp_fixup *f = &prog->fixups[op->fixup_first + i];
		const struct rp_row *src = &rows[f->src];
		uint64_t v;
		if (f->kind == RP_REF_PID)
			v = (uint64_t)(int64_t)self_pid;
		else if (f->kind == RP_REF_TID)
			v = (uint64_t)(int64_t)self_tid;
		else if (f->kind == RP_REF_LOAD)
			v = src->state == RP_ROW_DONE && src->err == 0 ? load_value(f) : (uint64_t)-1;
		else
			v = (uint64_t)(f->kind == RP_REF_FD ? rp_row_fd(src) : rp_row_raw(src));
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

/* Does one call meet the step's expect:?  (Same rule as the report's.) */
static inline int call_meets(const struct rp_expectation *x, long r, int e)
{
	if (x->has_ret && r == x->ret)
		return 1;
	for (unsigned i = 0; i < x->errno_count; i++)
		if (e == x->errnos[i])
			return 1;
	for (unsigned i = 0; i < x->skip_count; i++)
		if (e == x->skip[i])
			return 1; /* skipped, not failed */
	return 0;
}

static inline void count_errno(struct rp_stats *st, int e)
{
	for (unsigned i = 0; i < RP_ERRNO_SLOTS; i++) {
		if (st->errnos[i].err == e || st->errnos[i].err == 0) {
			st->errnos[i].err = e;
			st->errnos[i].n++;
			return;
		}
	}
	st->other_errnos++;
}

static inline void record_latency(struct rp_stats *st, uint64_t ns)
{
	if (!st->timed || ns < st->min_ns)
		st->min_ns = ns;
	if (ns > st->max_ns)
		st->max_ns = ns;
	st->timed++;
	st->latency[rp_latency_bucket(ns)]++;
}

/* One call of a step: the syscall and everything recorded about it. */
static inline void call_once(const struct rp_program *prog, unsigned i, const struct rp_op *op,
			     struct rp_row *row, struct rp_stats *st, struct rp_live *live, int timed)
{
	uint64_t t0 = timed ? now_ns() : 0;
	long r = syscall(op->nr, op->args[0], op->args[1], op->args[2], op->args[3], op->args[4],
			 op->args[5]);
	uint64_t t1 = timed ? now_ns() : 0;
	if (op->forks && r == 0)
		_exit(0); /* a new process must not run the rest of the spec */
	int e = r == -1 ? errno : 0;
	/* Progress is only watched for change: once per timed call is enough
	 * (the pid and tid were set by run_step, once per step). */
	if (timed || !st)
		live->progress++;
	row->ret = r;
	row->err = e;
	row->count++;
	if (e) {
		row->failures++;
		if (st)
			count_errno(st, e);
	}
	if (op->expects && !call_meets(&prog->info[i].expect, r, e))
		row->unmet++;
	if (timed && st)
		record_latency(st, t1 - t0);
}

static struct rp_event *events; /* --events: the shared event area, or NULL */

/* A step begins: any process or thread of the run says which, and since
 * when; the supervisor only needs that, and to see calls keep returning. */
static inline uint64_t enter_step(unsigned i, struct rp_row *row, struct rp_live *live)
{
	uint64_t t0 = now_ns();
	live->current = i;
	live->started_ns = t0;
	row->pid = self_pid;
	row->tid = self_tid;
	row->state = RP_ROW_STARTED;
	return t0;
}

/* The call's arguments and what their pointers point at, as the kernel gets them. */
static inline void capture(const struct rp_program *prog, unsigned i, struct rp_event *ev)
{
	const struct rp_op *op = &prog->ops[i];
	const struct rp_step_info *info = &prog->info[i];
	memcpy(ev->args, op->args, sizeof(ev->args));
	for (unsigned a = 0; a < RP_MAX_ARGS; a++) {
		uint32_t want = a < info->nargs ? info->arg_bytes[a] : 0;
		const uint8_t *p = (const uint8_t *)(uintptr_t)op->args[a];
		size_t n = 0;
		if (want && p) {
			size_t limit = want == RP_ARG_STRING ? RP_EVENT_BYTES + 1 : want;
			while (n < limit && n <= RP_EVENT_BYTES && (want != RP_ARG_STRING || p[n]))
				n++;
		}
		ev->truncated[a] = n > RP_EVENT_BYTES;
		ev->len[a] = (uint16_t)(n > RP_EVENT_BYTES ? RP_EVENT_BYTES : n);
		memcpy(ev->bytes[a], p ? p : (const uint8_t *)"", ev->len[a]);
	}
}

/* `n` more calls of a repeated step with no expect: to check: as little as the
 * syscall itself, the results folded into the row afterwards. */
static inline void bare_calls(const struct rp_op *op, struct rp_row *row, struct rp_stats *st,
			      struct rp_live *live, uint32_t n)
{
	long r = 0;
	int e = 0;
	for (uint32_t j = 0; j < n; j++) {
		r = syscall(op->nr, op->args[0], op->args[1], op->args[2], op->args[3], op->args[4],
			    op->args[5]);
		e = 0;
		live->progress++; /* a slow call that keeps returning is not blocked */
		row->count++;     /* per call: a step killed mid-batch still says how far it got */
		if (__builtin_expect(r == -1, 0)) {
			e = errno;
			row->failures++;
			count_errno(st, e);
		}
	}
	row->ret = r;
	row->err = e;
}

static void run_step(const struct rp_program *prog, unsigned i, struct rp_row *row,
		     struct rp_stats *st, struct rp_live *live)
{
	const struct rp_op *op = &prog->ops[i];
	if (events)
		capture(prog, i, &events[i]);
	uint64_t t0 = enter_step(i, row, live);
	if (op->repeat == 1 && !st) {
		call_once(prog, i, op, row, NULL, live, 0);
	} else {
		/* Timing every call would cost a fifth of a fast syscall: one call in
		 * RP_SAMPLE_EVERY is timed, the others go through a bare loop. */
		for (uint32_t k = 0; k < op->repeat;) {
			call_once(prog, i, op, row, st, live, 1);
			k++;
			uint32_t batch = op->repeat - k < RP_SAMPLE_EVERY - 1 ? op->repeat - k
									  : RP_SAMPLE_EVERY - 1;
			if (op->expects) /* every call is checked: the general path */
				for (uint32_t j = 0; j < batch; j++)
					call_once(prog, i, op, row, st, live, 0);
			else if (batch)
				bare_calls(op, row, st, live, batch);
			k += batch;
		}
	}
	uint64_t t1 = now_ns();
	row->ns += t1 - t0;
	if (events) {
		events[i].enter_ns = t0;
		events[i].exit_ns = t1;
	}
	row->state = RP_ROW_DONE;
}

/* A group that does not run: its body's rows say skipped, not "never reached". */
static void skip_body(const struct rp_program *prog, struct rp_row *rows, unsigned begin)
{
	for (unsigned j = begin + 1; j <= prog->ops[begin].jump; j++)
		if (rows[j].state == RP_ROW_NOT_RUN)
			rows[j].state = RP_ROW_SKIPPED;
}

/* Wait for every child (and orphaned grandchild: we are their subreaper), and
 * record how each process: child ended in its group's row, unless the spec's
 * own wait4 already took that status. */
static void reap_children(const struct rp_program *prog, struct rp_row *rows)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return;
		for (unsigned i = 0; i < prog->step_count; i++)
			if (prog->ops[i].kind == RP_OP_FORK && rows[i].ret == pid)
				rows[i].child_status = status;
	}
}

static unsigned run_fork(const struct rp_program *prog, unsigned i, struct rp_row *rows)
{
	const struct rp_op *op = &prog->ops[i];
	struct rp_row *row = &rows[i];
	row->pid = self_pid;
	row->tid = self_tid;
	__atomic_store_n(&row->state, RP_ROW_STARTED, __ATOMIC_RELEASE);
	uint64_t t0 = now_ns();
	long r = syscall(op->nr, op->args[0], op->args[1], op->args[2], op->args[3], op->args[4],
			 op->args[5]);
	if (r == 0) {
		/* The child learns its pid from the row the parent fills in: no getpid. */
		while (__atomic_load_n(&row->state, __ATOMIC_ACQUIRE) != RP_ROW_DONE)
			cpu_relax();
		self_pid = (int32_t)row->ret;
		self_tid = self_pid;
		is_runner = 0;
		return i + 1;
	}
	int e = r == -1 ? errno : 0;
	row->pid = self_pid;
	row->tid = self_tid;
	row->ret = r;
	row->err = e;
	row->child_status = -1;
	row->count++;
	row->failures += e != 0;
	row->ns += now_ns() - t0;
	__atomic_store_n(&row->state, RP_ROW_DONE, __ATOMIC_RELEASE);
	if (e)
		skip_body(prog, rows, i);
	return op->jump + 1;
}

/* Busy-wait on the vDSO clock: a loop's pause must not show up as a syscall. */
static void pause_for(uint64_t ns)
{
	uint64_t until = now_ns() + ns;
	while (now_ns() < until)
		cpu_relax();
}

static unsigned run_next(const struct rp_program *prog, unsigned i, struct rp_row *rows)
{
	unsigned begin = prog->ops[i].jump;
	const struct rp_op *loop = &prog->ops[begin];
	struct rp_row *lrow = &rows[begin];
	uint64_t now = now_ns(), start = (uint64_t)lrow->ret;
	lrow->count++;
	rows[i].state = RP_ROW_DONE;
	int more = (!loop->args[0] || lrow->count < loop->args[0]) &&
		   (!loop->args[1] || now - start < loop->args[1]);
	if (more) {
		if (loop->args[2])
			pause_for(loop->args[2]);
		return begin + 1;
	}
	lrow->ns = now - start;
	lrow->ret = (int64_t)lrow->count;
	lrow->pid = self_pid;
	lrow->tid = self_tid;
	lrow->state = RP_ROW_DONE;
	return i + 1;
}

static unsigned run_threads(const struct rp_program *prog, unsigned i, struct rp_row *rows,
			    struct rp_live *live)
{
	const struct rp_op *op = &prog->ops[i];
	struct rp_row *row = &rows[i];
	uint64_t t0 = enter_step(i, row, live);
	__atomic_store_n(&workers_done, 0, __ATOMIC_RELEASE);
	for (uint32_t k = 0; k < op->args[0]; k++)
		__atomic_store_n(&workers[k].start, (uint32_t)(i + 1 + k * op->args[1]),
				 __ATOMIC_RELEASE);
	while (__atomic_load_n(&workers_done, __ATOMIC_ACQUIRE) < op->args[0])
		cpu_relax();
	row->ret = (int64_t)op->args[0];
	row->count++;
	row->ns += now_ns() - t0;
	row->state = RP_ROW_DONE;
	rows[op->jump].state = RP_ROW_DONE;
	return op->jump + 1;
}

static void run_loop(const struct rp_program *prog, unsigned from, struct rp_row *rows,
		     struct rp_stats *stats, struct rp_live *live)
{
	for (unsigned i = from; i < prog->step_count;) {
		const struct rp_op *op = &prog->ops[i];
		struct rp_row *row = &rows[i];
		int group = op->kind == RP_OP_FORK || op->kind == RP_OP_LOOP ||
			    op->kind == RP_OP_THREADS;
		if (op->nr < 0 || !condition_holds(op, rows)) {
			row->state = op->nr < 0 ? RP_ROW_UNAVAILABLE : RP_ROW_SKIPPED;
			if (group)
				skip_body(prog, rows, i);
			i = group ? op->jump + 1 : i + 1;
			continue;
		}
		switch (op->kind) {
		case RP_OP_CALL:
			apply_fixups(prog, op, rows);
			run_step(prog, i, row, stats ? &stats[i] : NULL, live);
			if (inject_foreign && i == 0)
				syscall(SYS_getppid); /* only ever under REPLAY_VERIFY_TAMPER=foreign */
			i++;
			break;
		case RP_OP_FORK:
			i = run_fork(prog, i, rows);
			break;
		case RP_OP_EXIT:
			/* Its own children go to the runner, the run's subreaper: the child's
			 * only call after its steps is the exit itself. */
			row->state = RP_ROW_DONE;
			rows[op->jump].child_status = 0; /* the body ran to its end: exit 0 */
			_exit(0);
		case RP_OP_LOOP:
			row->state = RP_ROW_STARTED;
			row->count = 0;
			row->ret = (int64_t)now_ns(); /* the start, until the loop ends */
			i++;
			break;
		case RP_OP_THREADS:
			i = run_threads(prog, i, rows, live);
			break;
		case RP_OP_DONE: /* a worker's copy ends: back to waiting */
			row->state = RP_ROW_DONE;
			return;
		case RP_OP_JOIN:
			row->state = RP_ROW_DONE;
			i++;
			break;
		default: /* RP_OP_NEXT */
			i = run_next(prog, i, rows);
			break;
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	self_tid = (int32_t)syscall(SYS_gettid); /* before the first step: see start_workers */
	w->live->worker_tids[w - workers] = self_tid;
	__atomic_fetch_add(&workers_ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		uint32_t start;
		while (!(start = __atomic_load_n(&w->start, __ATOMIC_ACQUIRE))) {
			if (!__atomic_load_n(&runner_alive, __ATOMIC_ACQUIRE)) /* the runner's exit step */
				syscall(SYS_exit_group, w->prog->ops[w->live->current].args[0]);
			cpu_relax();
		}
		run_loop(w->prog, start, w->rows, w->stats, w->live);
		__atomic_store_n(&w->start, 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&workers_done, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Threads cost mmap and clone: made before the first step, so the trace between the
 * first and last step holds only the spec's calls.  Idle workers spin (no futex). */
static int start_workers(const struct rp_program *prog, struct rp_run *run)
{
	runner_alive = (int)syscall(SYS_set_tid_address, &runner_alive);
	for (unsigned k = 0; k < prog->max_threads; k++) {
		workers[k] = (struct worker){.prog = prog, .rows = run->rows, .stats = run->stats,
					     .live = run->live};
		if (pthread_create(&workers[k].thread, NULL, worker_main, &workers[k]) != 0)
			return -1;
	}
	while (__atomic_load_n(&workers_ready, __ATOMIC_ACQUIRE) < prog->max_threads)
		cpu_relax();
	return 0;
}

static size_t mapping_size(unsigned steps, int with_stats, int with_events)
{
	size_t n = steps ? steps : 1;
	return sizeof(struct rp_live) + n * sizeof(struct rp_row) +
	       (with_stats ? n * sizeof(struct rp_stats) : 0) +
	       (with_events ? n * sizeof(struct rp_event) : 0);
}

/* If replay is killed outright (SIGKILL, the OOM killer, a CI job's timeout), the
 * run must not go on without it: the kernel kills the runner when replay dies. */
static void die_with_replay(void)
{
	/* No getppid() or kill(pid, 0) to catch a replay that died in the microseconds
	 * since fork: tracers count those calls and tell processes apart by them, and
	 * the trace must hold the spec's.  A runner orphaned in that window runs the
	 * spec and ends (under --verify=tracepoints it waits for a go that never comes). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void child(const struct rp_program *prog, const struct rp_exec_options *opt,
		  struct rp_run *run)
{
	die_with_replay();
	rp_child_signals();
	if (opt->isolate && rp_isolate_child(opt->isolate, run->live) != 0)
		_exit(RP_SETUP_FAILED);
	/* The steps start from fds 0-2 only, whatever replay's caller left open (and
	 * replay's own --events and --expectations files): fd numbers are the same in
	 * every run. */
	if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	/* Before the first step: our own process group (the supervisor can stop every
	 * process of the run at once) and subreaper of whatever the steps fork. */
	setpgid(0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	self_pid = (int32_t)getpid();
	self_tid = self_pid;
	is_runner = 1;
	if (prog->max_threads && start_workers(prog, run) != 0) {
		run->live->setup_errno = EAGAIN;
		snprintf(run->live->setup_what, sizeof(run->live->setup_what), "start threads");
		_exit(RP_SETUP_FAILED);
	}
	if (opt->verify_ptrace && rp_verify_child())
		inject_foreign = 1;
	if (opt->verify_tracepoints) { /* the counters start here: setup is not counted */
		run->live->ready = 1;
		while (!run->live->go)
			cpu_relax();
	}
	/* --repeat N rounds; --duration S: rounds until S has passed (and N, if given). */
	uint64_t rounds = opt->rounds ? opt->rounds : opt->duration_ns ? UINT64_MAX : 1;
	uint64_t until = opt->duration_ns ? now_ns() + opt->duration_ns : 0;
	for (uint64_t k = 0; k < rounds && (!until || k == 0 || now_ns() < until); k++)
		run_loop(prog, 0, run->rows, run->stats, run->live);
	run->live->finished = 1;
	if (opt->verify_tracepoints) /* and stop here, before our own reaping */
		while (!run->live->go2)
			cpu_relax();
	reap_children(prog, run->rows); /* after the last step: the run ends when all its processes have */
	_exit(0);
}

int rp_execute(struct rp_program *prog, const struct rp_exec_options *opt, struct rp_run *run)
{
	static const struct rp_exec_options defaults;
	if (!opt)
		opt = &defaults;
	int with_stats = prog->repeats || opt->rounds > 1 || opt->duration_ns;
	size_t size = mapping_size(prog->step_count, with_stats, opt->events);
	memset(run, 0, sizeof(*run));
	run->blocked_step = -1;
	void *shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	/* Touch every page now, so the loop never faults in shared memory lazily. */
	memset(shared, 0, size);
	run->live = shared;
	run->rows = (struct rp_row *)((char *)shared + sizeof(struct rp_live));
	run->count = prog->step_count;
	size_t n = prog->step_count ? prog->step_count : 1;
	if (with_stats)
		run->stats = (struct rp_stats *)(run->rows + n);
	if (opt->events)
		run->events = (struct rp_event *)((char *)(run->rows + n) +
						  (with_stats ? n * sizeof(struct rp_stats) : 0));
	events = run->events;
	fflush(NULL);
	rp_parent_signals_install();
	/* Orphans of the run come to replay, not to init: see rp_run_ended(). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t pid = fork();
	if (pid < 0) {
		rp_parent_signals_restore();
		return -1;
	}
	if (pid == 0)
		child(prog, opt, run);
	run->pid = pid;
	if (opt->verify_ptrace)
		rp_verify_supervise(prog, run, opt);
	else
		rp_supervise(prog, run, opt);
	rp_parent_signals_restore();
	return 0;
}

void rp_run_free(struct rp_run *run)
{
	if (run->live)
		munmap(run->live, mapping_size(run->count, run->stats != NULL, run->events != NULL));
	run->live = NULL;
	run->rows = NULL;
}
