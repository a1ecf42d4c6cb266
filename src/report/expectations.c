/*
 * --expectations FILE: what a tracer should have seen, per process, the way
 * tracer integration tests state it: each syscalls:sys_enter_NAME and
 * sys_exit_NAME tracepoint with the least number of times it must fire.
 * One JSON line per spec.  A call that never returned (exit_group, a
 * killed or blocked step) entered but did not exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/report.h"
#include "replay/tables.h"


struct count {
	int pid;
	const char *name;
	uint64_t enter, exit;
};

static int by_pid_then_name(const void *a, const void *b)
{
	const struct count *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void add(struct count *v, unsigned *n, int pid, const char *name, uint64_t enter,
		uint64_t exit)
{
	for (unsigned i = 0; i < *n; i++)
		if (v[i].pid == pid && strcmp(v[i].name, name) == 0) {
			v[i].enter += enter;
			v[i].exit += exit;
			return;
		}
	v[(*n)++] = (struct count){pid, name, enter, exit};
}

void rp_write_expectations(FILE *out, const struct rp_report_context *c)
{
	const struct rp_program *p = c->prog;
	struct count *v = calloc(p->step_count + 1, sizeof(*v));
	unsigned n = 0;
	if (!v)
		abort();
	for (unsigned i = 0; !c->skipped && i < p->step_count; i++) {
		const struct rp_row *row = &c->run->rows[i];
		uint8_t kind = p->ops[i].kind;
		if ((kind != RP_OP_CALL && kind != RP_OP_FORK) || !row->pid)
			continue;
		uint64_t entered = row->count + (row->state == RP_ROW_STARTED || row->state == RP_ROW_BLOCKED);
		if (entered)
			add(v, &n, row->pid, rp_kernel_name(p->info[i].call), entered, row->count);
	}
	qsort(v, n, sizeof(*v), by_pid_then_name);
	fprintf(out, "{\"spec\": \"%s\", \"file\": \"%s\", \"processes\": [", p->name, c->spec_file);
	for (unsigned i = 0; i < n; i++) {
		int first_of_pid = i == 0 || v[i].pid != v[i - 1].pid;
		if (first_of_pid)
			fprintf(out, "%s{\"pid\": %d, \"tracepoints\": {", i ? "}}, " : "", v[i].pid);
		else
			fputs(", ", out);
		fprintf(out, "\"syscalls:sys_enter_%s\": %llu", v[i].name, (unsigned long long)v[i].enter);
		if (v[i].exit)
			fprintf(out, ", \"syscalls:sys_exit_%s\": %llu", v[i].name,
				(unsigned long long)v[i].exit);
	}
	fprintf(out, "%s]}\n", n ? "}}" : "");
	fflush(out);
	free(v);
}
