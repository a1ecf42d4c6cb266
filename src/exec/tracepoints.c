/*
 * --verify=tracepoints: count syscalls:sys_enter_NAME events for the run with
 * perf_event_open and check each count equals the number of times the result
 * table says the call ran.  The counters are opened and enabled while the
 * runner waits at a barrier after its setup, and disabled while it waits at a
 * second one after its last step, so only the steps are counted.  Tracepoint
 * ids come from tracefs; where it is not mounted, a short-lived child mounts
 * it in a mount namespace of its own and reads them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/exec.h"
#include "replay/tables.h"
#include "supervise.h"

static const char *const tracefs_dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

static long read_id(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s/id", dir, name);
	FILE *f = fopen(path, "re");
	long id = -1;
	if (f) {
		if (fscanf(f, "%ld", &id) != 1)
			id = -1;
		fclose(f);
	}
	return id;
}

/* ids[i] for names[i]; -1 where the kernel has no such tracepoint.  0 if tracefs was read. */
static int tracepoint_ids(const char *const *names, unsigned n, long *ids, char *why, size_t size)
{
	for (size_t d = 0; d < 2; d++) {
		char probe[128];
		snprintf(probe, sizeof(probe), "%s/events/syscalls", tracefs_dirs[d]);
		if (access(probe, R_OK) == 0) {
			for (unsigned i = 0; i < n; i++)
				ids[i] = read_id(tracefs_dirs[d], names[i]);
			return 0;
		}
	}
	/* Not mounted: a child mounts it privately and sends the ids back. */
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("nodev", tracefs_dirs[0], "tracefs", 0, NULL) != 0)
			_exit(1);
		for (unsigned i = 0; i < n; i++) {
			long id = read_id(tracefs_dirs[0], names[i]);
			if (write(fds[1], &id, sizeof(id)) != sizeof(id))
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	int ok = pid > 0;
	for (unsigned i = 0; ok && i < n; i++)
		ok = read(fds[0], &ids[i], sizeof(ids[i])) == sizeof(ids[i]);
	close(fds[0]);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!ok || !WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, size, "cannot mount tracefs to read tracepoint ids (needs root)");
		return -1;
	}
	return 0;
}

static int open_counter(long id, pid_t tid)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(a),
		.config = (uint64_t)id,
		.disabled = 1,
		.inherit = 1, /* processes the steps fork */
	};
	return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The tracepoints a program's steps fire: distinct kernel names of its calls. */
static unsigned distinct_calls(const struct rp_program *prog, const char **names, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < prog->step_count && n < max; i++) {
		uint8_t k = prog->ops[i].kind;
		if ((k != RP_OP_CALL && k != RP_OP_FORK) || prog->ops[i].nr < 0)
			continue;
		const char *name = rp_kernel_name(prog->info[i].call);
		unsigned j = 0;
		while (j < n && strcmp(names[j], name) != 0)
			j++;
		if (j == n)
			names[n++] = name;
	}
	return n;
}

int rp_tracepoints_begin(const struct rp_program *prog, struct rp_run *run, struct rp_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->n = distinct_calls(prog, c->names, RP_MAX_TP);
	long ids[RP_MAX_TP];
	if (tracepoint_ids(c->names, c->n, ids, c->why, sizeof(c->why)) != 0)
		return -1;
	/* The runner, and each worker thread: they exist before the counters do. */
	pid_t tids[1 + 64];
	unsigned ntids = 0;
	tids[ntids++] = run->pid;
	for (unsigned k = 0; k < prog->max_threads; k++)
		tids[ntids++] = run->live->worker_tids[k];
	for (unsigned i = 0; i < c->n; i++) {
		c->fds[i][0] = -1;
		c->absent[i] = ids[i] < 0;
		for (unsigned t = 0; !c->absent[i] && t < ntids; t++) {
			c->fds[i][t] = open_counter(ids[i], tids[t]);
			if (c->fds[i][t] < 0) {
				snprintf(c->why, sizeof(c->why), "perf_event_open: %s (needs root or "
					 "CAP_PERFMON)", strerror(errno));
				return -1;
			}
		}
		c->threads = ntids;
	}
	for (unsigned i = 0; i < c->n; i++)
		for (unsigned t = 0; !c->absent[i] && t < ntids; t++)
			ioctl(c->fds[i][t], PERF_EVENT_IOC_ENABLE, 0);
	return 0;
}

void rp_tracepoints_end(const struct rp_program *prog, struct rp_run *run, struct rp_counters *c)
{
	struct rp_verify *v = &run->verify;
	for (unsigned i = 0; i < c->n; i++) {
		uint64_t seen = 0;
		for (unsigned t = 0; !c->absent[i] && t < c->threads; t++) {
			uint64_t x = 0;
			ioctl(c->fds[i][t], PERF_EVENT_IOC_DISABLE, 0);
			if (read(c->fds[i][t], &x, sizeof(x)) == sizeof(x))
				seen += x;
			close(c->fds[i][t]);
		}
		uint64_t want = 0;
		for (unsigned s = 0; s < prog->step_count; s++) {
			const struct rp_row *row = &run->rows[s];
			if (strcmp(rp_kernel_name(prog->info[s].call), c->names[i]) == 0 &&
			    (prog->ops[s].kind == RP_OP_CALL || prog->ops[s].kind == RP_OP_FORK))
				want += row->count + (row->state == RP_ROW_STARTED || row->state == RP_ROW_BLOCKED);
		}
		/* A process: child that ran its steps to the end exits (exit_group) on its own. */
		for (unsigned s = 0; strcmp(c->names[i], "exit_group") == 0 && s < prog->step_count; s++)
			want += prog->ops[s].kind == RP_OP_EXIT && run->rows[s].state == RP_ROW_DONE;
		if (getenv("REPLAY_VERIFY_TAMPER") && strcmp(getenv("REPLAY_VERIFY_TAMPER"), "count") == 0 &&
		    i == 0)
			want++; /* test hook: a deliberately wrong expectation */
		if (c->absent[i])
			continue; /* the kernel has no tracepoint for it: nothing to count */
		if (seen == want) {
			v->checked++;
		} else {
			v->mismatches++;
			if (!v->first[0])
				snprintf(v->first, sizeof(v->first),
					 "syscalls:sys_enter_%s fired %llu times, the table says %llu",
					 c->names[i], (unsigned long long)seen, (unsigned long long)want);
		}
	}
}
