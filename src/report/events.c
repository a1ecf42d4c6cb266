/*
 * --events FILE: a tracer-neutral record of each executed step, one JSON
 * line each: the run id, spec, step, pid and tid, syscall name and number,
 * the six argument words as they entered the kernel, the bytes behind each
 * pointer argument at entry (C strings as text, the rest as hex, capped at
 * RP_EVENT_BYTES), the result, and monotonic enter/exit times.  A tracer's
 * test compares its own output with this file.  For a step that ran more
 * than once (repeat:, loops, --repeat), the line describes its last call.
 */
#include <stdio.h>
#include <string.h>

#include "replay/report.h"
#include "replay/tables.h"

static int printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

static void text(FILE *out, const uint8_t *p, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fputc('\\', out);
		fputc(p[i], out);
	}
	fputc('"', out);
}

static void data(FILE *out, const struct rp_step_info *info, const struct rp_event *ev, unsigned a)
{
	if (a >= info->nargs || !info->arg_bytes[a] || !ev->args[a]) {
		fputs("null", out);
		return;
	}
	if (info->arg_bytes[a] == RP_ARG_STRING && printable(ev->bytes[a], ev->len[a])) {
		fputs("{\"text\": ", out);
		text(out, ev->bytes[a], ev->len[a]);
	} else {
		fputs("{\"hex\": \"", out);
		for (unsigned i = 0; i < ev->len[a]; i++)
			fprintf(out, "%02x", ev->bytes[a][i]);
		fputc('"', out);
	}
	fprintf(out, ", \"truncated\": %s}", ev->truncated[a] ? "true" : "false");
}

static void write_line(FILE *out, const struct rp_program *p, const struct rp_row *row,
		       const struct rp_event *ev, unsigned i, const char *run_id)
{
	const struct rp_step_info *info = &p->info[i];
	fprintf(out, "{\"run_id\": \"%s\", \"spec\": ", run_id);
	text(out, (const uint8_t *)p->name, strlen(p->name));
	fprintf(out, ", \"step\": %u, \"id\": ", info->number);
	if (info->id)
		text(out, (const uint8_t *)info->id, strlen(info->id));
	else
		fputs("null", out);
	fprintf(out, ", \"pid\": %d, \"tid\": %d, \"syscall\": \"%s\", \"nr\": %ld, \"args\": [",
		(int)row->pid, (int)row->tid, info->call, p->ops[i].nr);
	for (unsigned a = 0; a < 6; a++)
		fprintf(out, "%s\"0x%llx\"", a ? ", " : "", (unsigned long long)ev->args[a]);
	fputs("], \"data\": [", out);
	for (unsigned a = 0; a < 6; a++) {
		fputs(a ? ", " : "", out);
		data(out, info, ev, a);
	}
	fputs("]", out);
	if (row->state == RP_ROW_DONE) {
		fprintf(out, ", \"ret\": %lld, \"errno\": ", (long long)row->ret);
		if (row->err)
			text(out, (const uint8_t *)rp_errno_name(row->err), strlen(rp_errno_name(row->err)));
		else
			fputs("null", out);
		fprintf(out, ", \"enter_ns\": %llu, \"exit_ns\": %llu", (unsigned long long)ev->enter_ns,
			(unsigned long long)ev->exit_ns);
	} else {
		fputs(", \"ret\": null, \"errno\": null, \"returned\": false", out);
	}
	fprintf(out, ", \"count\": %llu}\n", (unsigned long long)row->count);
}

/*
 * Called while the spec runs (every supervisor tick) and once at its end:
 * a line for each step that has run again since the last line.  A row is
 * copied first and used only if the child did not touch it meanwhile.
 */
void rp_events_flush(struct rp_event_stream *s, int final)
{
	const struct rp_program *p = s->prog;
	for (unsigned i = 0; s->run->events && i < p->step_count; i++) {
		if (p->ops[i].kind != RP_OP_CALL)
			continue;
		const struct rp_row *live = &s->run->rows[i];
		uint8_t state = __atomic_load_n(&live->state, __ATOMIC_ACQUIRE);
		int unfinished = state == RP_ROW_STARTED || state == RP_ROW_BLOCKED;
		if (!(state == RP_ROW_DONE || (final && unfinished)))
			continue;
		struct rp_row row = *live;
		struct rp_event ev = s->run->events[i];
		if (__atomic_load_n(&live->state, __ATOMIC_ACQUIRE) != state)
			continue; /* it is running again: next tick */
		if (row.count <= s->emitted[i] && !(final && unfinished))
			continue;
		s->emitted[i] = row.count + unfinished;
		write_line(s->out, p, &row, &ev, i, s->run_id);
	}
	fflush(s->out);
}
