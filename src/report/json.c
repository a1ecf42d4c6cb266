/* The JSON report (schemas/replay-report.schema.json describes it). */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/report.h"
#include "replay/tables.h"

void rp_json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static const char *state_word(const struct rp_step_info *info, const struct rp_row *row,
			      int signal)
{
	if (info->skipped_because || rp_row_skipped_by_errno(info, row))
		return "skipped";
	static const char *const words[] = {
		[RP_ROW_NOT_RUN] = "not-run", [RP_ROW_STARTED] = "killed",
		[RP_ROW_DONE] = "done", [RP_ROW_SKIPPED] = "skipped",
		[RP_ROW_UNAVAILABLE] = "unavailable", [RP_ROW_BLOCKED] = "blocked",
	};
	if (row->state == RP_ROW_DONE)
		return row->err ? "error" : "ok";
	if (row->state == RP_ROW_STARTED && !signal)
		return "exited";
	return words[row->state];
}

/* Distribution of a repeated step: sampled latencies and an errno histogram. */
static void stats_json(FILE *out, const struct rp_stats *st)
{
	if (st->timed)
		fprintf(out, ", \"latency_ns\": {\"timed\": %llu, \"min\": %llu, \"median\": %llu, "
			     "\"max\": %llu}",
			(unsigned long long)st->timed, (unsigned long long)st->min_ns,
			(unsigned long long)rp_stats_median(st), (unsigned long long)st->max_ns);
	fputs(", \"errnos\": {", out);
	int first = 1;
	for (unsigned k = 0; k < RP_ERRNO_SLOTS && st->errnos[k].err; k++) {
		const char *name = rp_errno_name(st->errnos[k].err);
		fprintf(out, "%s", first ? "" : ", ");
		if (name)
			fprintf(out, "\"%s\": %llu", name, (unsigned long long)st->errnos[k].n);
		else
			fprintf(out, "\"errno %d\": %llu", st->errnos[k].err,
				(unsigned long long)st->errnos[k].n);
		first = 0;
	}
	if (st->other_errnos)
		fprintf(out, "%s\"other\": %llu", first ? "" : ", ",
			(unsigned long long)st->other_errnos);
	fputc('}', out);
}

static void step_json(FILE *out, const struct rp_report_context *c, unsigned i)
{
	const struct rp_step_info *info = &c->prog->info[i];
	const struct rp_row *row = &c->run->rows[i];
	static const char *const kinds[] = {"call", "process", "end", "loop", "end", "threads",
					    "end", "end"};
	fprintf(out, "    {\"index\": %u, \"kind\": \"%s\", \"depth\": %u, \"pid\": %d, "
		     "\"tid\": %d, \"id\": ",
		info->number, kinds[c->prog->ops[i].kind], info->depth, (int)row->pid, (int)row->tid);
	rp_json_string(out, info->id);
	fputs(", \"call\": ", out);
	rp_json_string(out, info->call);
	fprintf(out, ", \"nr\": %ld, \"status\": \"%s\"", c->prog->ops[i].nr, state_word(info, row, c->run->signal));
	if (row->state == RP_ROW_DONE) {
		fprintf(out, ", \"ret\": %lld, \"errno\": ", (long long)row->ret);
		rp_json_string(out, row->err ? rp_errno_name(row->err) : NULL);
		fprintf(out, ", \"errno_number\": %d, \"time_ns\": %llu, \"count\": %llu, "
			     "\"failures\": %llu, \"unmet\": %llu", row->err,
			(unsigned long long)row->ns, (unsigned long long)row->count,
			(unsigned long long)row->failures, (unsigned long long)row->unmet);
		if (c->run->stats)
			stats_json(out, &c->run->stats[i]);
	}
	if ((row->state == RP_ROW_STARTED || row->state == RP_ROW_BLOCKED) && row->count)
		fprintf(out, ", \"completed\": %llu", (unsigned long long)row->count);
	if (c->prog->ops[i].kind == RP_OP_FORK && row->state == RP_ROW_DONE && row->child_status >= 0) {
		int st = row->child_status;
		if (WIFSIGNALED(st))
			fprintf(out, ", \"child_signal\": %d", WTERMSIG(st));
		else
			fprintf(out, ", \"child_exit_status\": %d", WEXITSTATUS(st));
	}
	if (info->skipped_because || (row->state == RP_ROW_UNAVAILABLE && info->unavailable)) {
		fputs(", \"reason\": ", out);
		rp_json_string(out, info->skipped_because ? info->skipped_because : info->unavailable);
	}
	fprintf(out, ", \"expectation_met\": %s}", c->judgement->met[i] ? "true" : "false");
}

/* What every spec report starts with, run or skipped. */
static void header(FILE *out, const struct rp_report_context *c)
{
	fputs("{\n  \"spec\": ", out);
	rp_json_string(out, c->prog->name);
	fputs(",\n  \"file\": ", out);
	rp_json_string(out, c->spec_file);
	fputs(",\n  \"arch\": ", out);
	rp_json_string(out, c->prog->arch);
	if (c->env) {
		fputs(",\n  \"environment\": ", out);
		rp_environment_json(out, c->env);
	}
	fprintf(out, ",\n  \"uid\": %u,\n  \"sandbox\": ", (unsigned)getuid());
	rp_json_string(out, c->sandbox ? c->sandbox : "");
}

void rp_report_json(FILE *out, const struct rp_report_context *c)
{
	const struct rp_program *p = c->prog;
	const struct rp_judgement *j = c->judgement;
	header(out, c);
	if (c->skipped) { /* nothing ran: no steps, zero counts, the reason */
		fprintf(out, ",\n  \"steps\": [],\n"
			     "  \"summary\": {\"steps\": 0, \"ok\": 0, \"failed\": 0, \"skipped\": 0, "
			     "\"unavailable\": 0, \"not_run\": 0, \"unmet\": 0, \"syscall_time_ns\": 0, "
			     "\"signal\": 0, \"exit_status\": 0, \"interrupted\": 0, \"timed_out\": false},\n"
			     "  \"reason\": ");
		rp_json_string(out, c->skipped);
		fputs(",\n  \"verdict\": \"SKIP\"\n}\n", out);
		return;
	}
	fputs(",\n  \"steps\": [\n", out);
	int first = 1;
	for (unsigned i = 0; i < p->step_count; i++) {
		if (p->info[i].hidden)
			continue;
		fputs(first ? "" : ",\n", out);
		step_json(out, c, i);
		first = 0;
	}
	fputs("\n", out);
	fprintf(out, "  ],\n  \"summary\": {\"steps\": %u, \"ok\": %u, \"failed\": %u, "
		     "\"skipped\": %u, \"unavailable\": %u, \"not_run\": %u, \"unmet\": %u, "
		     "\"syscall_time_ns\": %llu, \"signal\": %d, \"exit_status\": %d, "
		     "\"interrupted\": %d, \"timed_out\": %s, \"cleanup_failed\": %s},\n",
		j->steps, j->ok, j->failed, j->skipped, j->unavailable, j->not_run, j->unmet,
		(unsigned long long)j->total_ns, c->run->signal, c->run->exit_code,
		c->run->interrupted,
		c->run->blocked_step >= 0 || c->run->run_timed_out ? "true" : "false",
		c->run->cleanup_failed ? "true" : "false");
	if (c->run->verify.enabled) {
		fprintf(out, "  \"verify\": {\"mode\": \"%s\", ", c->run->verify.mode);
		if (c->run->verify.skipped[0]) {
			fputs("\"skipped\": ", out);
			rp_json_string(out, c->run->verify.skipped);
			fputs(", ", out);
		}
		fprintf(out, "\"checked\": %llu, \"mismatches\": %llu, "
			     "\"foreign\": %llu, \"first_problem\": ",
			(unsigned long long)c->run->verify.checked,
			(unsigned long long)c->run->verify.mismatches,
			(unsigned long long)c->run->verify.foreign);
		rp_json_string(out, c->run->verify.first[0] ? c->run->verify.first : NULL);
		fputs("},\n", out);
	}
	fprintf(out, "  \"verdict\": \"%s\"\n}\n", rp_verdict_word(j->verdict));
}
