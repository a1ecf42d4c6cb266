/* Expectations and the run's verdict. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/report.h"
#include "replay/tables.h"

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
	if (x->any)
		return 1;
	/* ret: -1 is "fails with any errno": syscall() returns -1 for every error. */
	if (x->has_ret && row->ret == x->ret)
		return 1;
	for (unsigned i = 0; i < x->errno_count; i++)
		if (row->err == x->errnos[i])
			return 1;
	return 0;
}

void rp_judge(const struct rp_program *prog, const struct rp_run *run, struct rp_judgement *j)
{
	memset(j, 0, sizeof(*j));
	j->crashed_step = -1;
	j->met = calloc(prog->step_count + 1, 1);
	for (unsigned i = 0; i < prog->step_count; i++) {
		const struct rp_row *row = &run->rows[i];
		switch (row->state) {
		case RP_ROW_DONE:
			if (row->err)
				j->failed++;
			else
				j->ok++;
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
	if (run->signal || j->not_run || run->interrupted || run->blocked_step >= 0)
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
	return v == RP_PASS ? "PASS" : v == RP_FAIL ? "FAIL" : "BROKEN";
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
