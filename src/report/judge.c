/* Expectations and the run's verdict. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/report.h"
#include "replay/tables.h"

int rp_row_skipped_by_errno(const struct rp_step_info *info, const struct rp_row *row)
{
	if (row->state != RP_ROW_DONE || !row->err)
		return 0;
	for (unsigned i = 0; i < info->expect.skip_count; i++)
		if (row->err == info->expect.skip[i])
			return 1;
	return 0;
}

static int expectation_met(const struct rp_expectation *x, const struct rp_row *row,
			   const struct rp_run *run)
{
	switch (row->state) {
	case RP_ROW_DONE:
		break;
	case RP_ROW_SKIPPED:
	case RP_ROW_UNAVAILABLE:
		return 1; /* nothing ran, nothing to judge */
	case RP_ROW_STARTED:
		return !run->signal; /* exit/exit_group ends the process inside its step */
	case RP_ROW_BLOCKED:
		return 0;
	default:
		return 0; /* never reached */
	}
	/* Every call was checked as it returned (src/exec/run.c, call_meets). */
	return x->any || row->unmet == 0;
}

void rp_judge(const struct rp_program *prog, const struct rp_run *run, struct rp_judgement *j)
{
	memset(j, 0, sizeof(*j));
	j->crashed_step = -1;
	j->met = calloc(prog->step_count + 1, 1);
	for (unsigned i = 0; i < prog->step_count; i++) {
		const struct rp_row *row = &run->rows[i];
		if (prog->info[i].hidden) {
			j->met[i] = 1;
			continue;
		}
		j->steps++;
		if (row->state == RP_ROW_STARTED && row->pid && row->pid != run->pid) {
			/* A process: group's child ended inside this step (exit_group, a signal):
			 * that is the child's business; its parent may wait4 for the status. */
			j->met[i] = 1;
			j->ok++;
			continue;
		}
		if (rp_row_skipped_by_errno(&prog->info[i], row) ||
		    (row->state == RP_ROW_UNAVAILABLE && prog->info[i].skipped_because)) {
			j->met[i] = 1;
			j->skipped++;
			continue;
		}
		switch (row->state) {
		case RP_ROW_DONE:
			if (row->err)
				j->failed++;
			else
				j->ok++;
			if (prog->ops[i].kind == RP_OP_CALL) /* groups would count their steps twice */
				j->total_ns += row->ns;
			break;
		case RP_ROW_SKIPPED: j->skipped++; break;
		case RP_ROW_UNAVAILABLE: j->unavailable++; break;
		case RP_ROW_STARTED:
		case RP_ROW_BLOCKED: j->crashed_step = (int)i; break;
		default: j->not_run++; break;
		}
		j->met[i] = (unsigned char)expectation_met(&prog->info[i].expect, row, run);
		if (!j->met[i] && row->state == RP_ROW_DONE)
			j->unmet++;
	}
	/* A step may end the process on purpose (exit_group last): only a signal or
	 * steps never reached make the run BROKEN. */
	if (run->verify.enabled && !run->verify.skipped[0] &&
	    (run->verify.mismatches || run->verify.foreign))
		j->verdict = RP_FAIL; /* what reached the kernel is not what the spec says */
	else if (run->signal || j->not_run || run->interrupted || run->blocked_step >= 0)
		j->verdict = RP_BROKEN;
	else
		j->verdict = j->unmet ? RP_FAIL : RP_PASS;
}

void rp_judgement_free(struct rp_judgement *j)
{
	free(j->met);
	j->met = NULL;
}

const char *rp_verdict_word(enum rp_verdict v)
{
	return v == RP_PASS ? "PASS" : v == RP_FAIL ? "FAIL" : v == RP_SKIP ? "SKIP" : "BROKEN";
}

/* The middle of the median's bucket, kept within the observed min and max. */
uint64_t rp_stats_median(const struct rp_stats *st)
{
	uint64_t seen = 0, half = (st->timed + 1) / 2;
	for (unsigned b = 0; b < RP_LAT_BUCKETS; b++) {
		seen += st->latency[b];
		if (seen >= half && seen) {
			uint64_t lo = rp_latency_floor(b);
			uint64_t hi = b + 1 < RP_LAT_BUCKETS ? rp_latency_floor(b + 1) : lo * 2;
			uint64_t mid = lo + (hi - lo) / 2;
			return mid < st->min_ns ? st->min_ns : mid > st->max_ns ? st->max_ns : mid;
		}
	}
	return 0;
}

const char *rp_row_result(const struct rp_row *row, char *buf, size_t size)
{
	switch (row->state) {
	case RP_ROW_DONE:
		if (row->err) {
			const char *name = rp_errno_name(row->err);
			if (name)
				snprintf(buf, size, "-1 %s", name);
			else
				snprintf(buf, size, "-1 errno %d", row->err);
		} else {
			snprintf(buf, size, "%lld", (long long)row->ret);
		}
		return buf;
	case RP_ROW_SKIPPED: return "skipped";
	case RP_ROW_UNAVAILABLE: return "unavailable";
	case RP_ROW_STARTED: return "ended the run";
	case RP_ROW_BLOCKED: return "blocked";
	default: return "not run";
	}
}
