/* The human-readable result table. */
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/report.h"
#include "replay/tables.h"

static void format_duration(char *buf, size_t size, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, size, "%.1fus", (double)ns / 1e3);
	else
		snprintf(buf, size, "%.1fms", (double)ns / 1e6);
}

/* Time per call: the mean when the step ran more than once. */
static void format_ns(char *buf, size_t size, const struct rp_row *row)
{
	if (row->state != RP_ROW_DONE || !row->count)
		snprintf(buf, size, "-");
	else
		format_duration(buf, size, row->ns / row->count);
}

/* "1000000 calls, 0 failed; min/median/max 180ns/210ns/9.1us" */
static const char *repeat_note(const struct rp_report_context *c, unsigned i, char *buf, size_t size)
{
	const struct rp_row *row = &c->run->rows[i];
	const struct rp_stats *st = c->run->stats ? &c->run->stats[i] : NULL;
	int n = snprintf(buf, size, "%llu calls, %llu failed", (unsigned long long)row->count,
			 (unsigned long long)row->failures);
	if (st && st->timed && n > 0 && (size_t)n < size) {
		char lo[16], mid[16], hi[16];
		format_duration(lo, sizeof(lo), st->min_ns);
		format_duration(mid, sizeof(mid), rp_stats_median(st));
		format_duration(hi, sizeof(hi), st->max_ns);
		snprintf(buf + n, size - (size_t)n, "; min/median/max %s/%s/%s", lo, mid, hi);
	}
	if (row->unmet)
		snprintf(buf + strlen(buf), size - strlen(buf), "; %llu UNMET expectation",
			 (unsigned long long)row->unmet);
	return buf;
}

/* A step that ended the run mid-repeat: how many of its calls had returned. */
static const char *completed_note(const struct rp_report_context *c, unsigned i, char *buf,
				  size_t size)
{
	uint64_t n = c->run->rows[i].count;
	size_t used = strlen(buf);
	if (n)
		snprintf(buf + used, size - used, "; %llu earlier call%s returned",
			 (unsigned long long)n, n == 1 ? "" : "s");
	return buf;
}

static const char *mark(const struct rp_report_context *c, unsigned i, char *buf, size_t size)
{
	const struct rp_step_info *info = &c->prog->info[i];
	const struct rp_row *row = &c->run->rows[i];
	if (info->skipped_because)
		return info->skipped_because;
	if (rp_row_skipped_by_errno(info, row)) {
		snprintf(buf, size, "skipped: %s is expect: skip:", rp_errno_name(row->err));
		return buf;
	}
	switch (row->state) {
	case RP_ROW_SKIPPED:
		return "when: condition false";
	case RP_ROW_UNAVAILABLE:
		return info->unavailable;
	case RP_ROW_NOT_RUN:
		return "not reached";
	case RP_ROW_BLOCKED:
		snprintf(buf, size, "still in the kernel at its timeout: killed");
		return completed_note(c, i, buf, size);
	case RP_ROW_STARTED:
		if (row->pid && row->pid != c->run->pid)
			snprintf(buf, size, "its process (%d) ended here", (int)row->pid);
		else if (c->run->signal)
			snprintf(buf, size, "killed by signal %d (%s)", c->run->signal,
				 strsignal(c->run->signal));
		else
			snprintf(buf, size, "the process exited here, status %d", c->run->exit_code);
		return completed_note(c, i, buf, size);
	default:
		if (c->prog->ops[i].kind == RP_OP_FORK && row->child_status >= 0) {
			int st = row->child_status;
			if (WIFSIGNALED(st))
				snprintf(buf, size, "child killed by signal %d", WTERMSIG(st));
			else
				snprintf(buf, size, "child exited with status %d", WEXITSTATUS(st));
			return buf;
		}
		if (c->prog->ops[i].kind == RP_OP_LOOP || c->prog->ops[i].kind == RP_OP_THREADS)
			return "";
		if (row->count > 1)
			return repeat_note(c, i, buf, size);
		return c->judgement->met[i] ? "" : "UNMET expectation";
	}
}

void rp_report_table(FILE *out, const struct rp_report_context *c)
{
	const struct rp_program *p = c->prog;
	const struct rp_judgement *j = c->judgement;
	if (c->skipped) {
		fprintf(out, "spec %s (%s), %s: skipped: %s\nverdict: SKIP\n", p->name, c->spec_file,
			p->arch, c->skipped);
		return;
	}
	fprintf(out, "spec %s (%s), %s, uid %u, sandbox %s\n", p->name, c->spec_file, p->arch,
		(unsigned)getuid(), c->sandbox);
	fprintf(out, "%4s %13s  %-16s %-16s %4s  %-18s %9s  %s\n", "#", "pid[/tid]", "id", "syscall",
		"nr", "result", "time", "note");
	/* Rows end at the time column unless there is a note: no trailing blanks. */
	for (unsigned i = 0; i < p->step_count; i++) {
		const struct rp_step_info *info = &p->info[i];
		const struct rp_row *row = &c->run->rows[i];
		if (info->hidden)
			continue;
		char buf[64], t[32], why[160], pid[32], call[64], nr[16];
		const char *result = buf;
		format_ns(t, sizeof(t), row);
		if (p->ops[i].kind != RP_OP_CALL && row->state == RP_ROW_DONE)
			format_duration(t, sizeof(t), row->ns); /* a group: its whole time */
		const char *note = mark(c, i, why, sizeof(why));
		/* A worker thread's tid follows its process id. */
		if (row->tid && row->tid != row->pid)
			snprintf(pid, sizeof(pid), "%d/%d", (int)row->pid, (int)row->tid);
		else
			snprintf(pid, sizeof(pid), "%d", (int)row->pid);
		/* Steps inside groups are indented under their process: or loop: */
		snprintf(call, sizeof(call), "%*s%s", 2 * info->depth, "", info->call);
		snprintf(nr, sizeof(nr), "%ld", p->ops[i].nr);
		int group = p->ops[i].kind == RP_OP_LOOP || p->ops[i].kind == RP_OP_THREADS;
		if (group && row->state == RP_ROW_DONE)
			snprintf(buf, sizeof(buf), "%lld %s", (long long)row->ret,
				 p->ops[i].kind == RP_OP_LOOP ? "rounds" : "threads");
		else if (info->skipped_because)
			result = "skipped";
		else
			result = rp_row_result(row, buf, sizeof(buf));
		fprintf(out, "%4u %13s  %-16s %-16s %4s  %-18s %9s%s%s\n", info->number,
			row->pid ? pid : "-", info->id ? info->id : "-", call,
			group ? "-" : nr, result, t,
			note && *note ? "  " : "", note ? note : "");
	}
	fprintf(out, "summary: %u steps: %u ok, %u failed with errno, %u skipped, %u unavailable",
		j->steps, j->ok, j->failed, j->skipped, j->unavailable);
	if (j->not_run)
		fprintf(out, ", %u not run", j->not_run);
	fprintf(out, "; %u expectation%s unmet; syscall time %.1fus\n", j->unmet,
		j->unmet == 1 ? "" : "s", (double)j->total_ns / 1e3);
	if (c->run->interrupted)
		fprintf(out, "interrupted by signal %d (%s): the run was stopped\n", c->run->interrupted,
			strsignal(c->run->interrupted));
	else if (c->run->blocked_step >= 0)
		fprintf(out, "step %u (%s) blocked past its timeout: the run was stopped\n",
			p->info[c->run->blocked_step].number, p->info[c->run->blocked_step].call);
	else if (c->run->run_timed_out)
		fprintf(out, "the run passed its timeout and was stopped\n");
	else if (c->run->signal && j->crashed_step >= 0)
		fprintf(out, "the run was killed by signal %d (%s) in step %u (%s)\n", c->run->signal,
			strsignal(c->run->signal), p->info[j->crashed_step].number,
			p->info[j->crashed_step].call);
	else if (c->run->signal)
		fprintf(out, "the run was killed by signal %d (%s)\n", c->run->signal,
			strsignal(c->run->signal));
	else if (j->crashed_step >= 0)
		fprintf(out, "the process exited in step %u (%s) with status %d%s\n",
			p->info[j->crashed_step].number, p->info[j->crashed_step].call, c->run->exit_code,
			j->not_run ? "; later steps did not run" : "");
	if (c->run->cleanup_failed)
		fprintf(out, "cleanup failed: the sandbox was not fully removed (see the messages above)\n");
	if (c->run->verify.enabled && c->run->verify.skipped[0])
		fprintf(out, "verify=%s: SKIP: %s\n", c->run->verify.mode, c->run->verify.skipped);
	else if (c->run->verify.enabled && strcmp(c->run->verify.mode, "tracepoints") == 0)
		fprintf(out, "verify=tracepoints: %llu tracepoints counted as the table says, %llu not%s%s\n",
			(unsigned long long)c->run->verify.checked,
			(unsigned long long)c->run->verify.mismatches, c->run->verify.first[0] ? "; first: " : "",
			c->run->verify.first);
	else if (c->run->verify.enabled)
		fprintf(out, "verify=ptrace: %llu calls entered as specified, %llu did not, %llu syscalls "
			     "of replay's own between steps%s%s\n",
			(unsigned long long)c->run->verify.checked,
			(unsigned long long)c->run->verify.mismatches,
			(unsigned long long)c->run->verify.foreign, c->run->verify.first[0] ? "; first: " : "",
			c->run->verify.first);
	fprintf(out, "verdict: %s\n", rp_verdict_word(j->verdict));
}
