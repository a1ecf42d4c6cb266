/*
 * Reports of a whole run, one spec after another: the table, JSON (one
 * spec: its report; several: environment, specs, summary), JSON lines,
 * TAP version 14 (a subtest per spec, a test point per step) and JUnit XML
 * (a testsuite per spec, a testcase per step).  Each spec is written as
 * soon as it has run, so a long run streams.
 */
#define _GNU_SOURCE
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "replay/report.h"
#include "replay/tables.h"

void rp_environment(struct rp_environment *e, const char *version)
{
	struct utsname u;
	memset(e, 0, sizeof(*e));
	if (uname(&u) == 0)
		snprintf(e->kernel, sizeof(e->kernel), "%s", u.release);
	snprintf(e->libc, sizeof(e->libc), "glibc %s", gnu_get_libc_version());
	e->arch = rp_native_arch();
	unsigned char nonce[8];
	if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
		memset(nonce, 0, sizeof(nonce));
	for (int i = 0; i < 8; i++)
		snprintf(e->run_id + 2 * i, 3, "%02x", nonce[i]);
	e->uid = getuid();
	e->version = version;
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &e->caps) == 1)
			break;
	if (f)
		fclose(f);
}

void rp_environment_json(FILE *out, const struct rp_environment *e)
{
	fputs("{\"kernel\": ", out);
	rp_json_string(out, e->kernel);
	fputs(", \"arch\": ", out);
	rp_json_string(out, e->arch);
	fputs(", \"libc\": ", out);
	rp_json_string(out, e->libc);
	fprintf(out, ", \"uid\": %u, \"capabilities\": \"%016llx\", \"replay\": ", e->uid, e->caps);
	rp_json_string(out, e->version);
	fprintf(out, ", \"run_id\": \"%s\"", e->run_id);
	fputc('}', out);
}

static void xml_str(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, out);
		}
	}
}

/* What became of a step, in a word, and why, for TAP and JUnit. */
enum outcome { STEP_OK, STEP_FAILED, STEP_SKIPPED, STEP_BROKEN };

static enum outcome step_outcome(const struct rp_report_context *c, unsigned i, char *why,
				 size_t size)
{
	const struct rp_step_info *info = &c->prog->info[i];
	const struct rp_row *row = &c->run->rows[i];
	char result[64];
	why[0] = '\0';
	if (info->skipped_because) {
		snprintf(why, size, "%s", info->skipped_because);
		return STEP_SKIPPED;
	}
	if (rp_row_skipped_by_errno(info, row)) {
		snprintf(why, size, "%s: not on this kernel (expect: skip:)", rp_errno_name(row->err));
		return STEP_SKIPPED;
	}
	switch (row->state) {
	case RP_ROW_SKIPPED:
		snprintf(why, size, "when: condition false");
		return STEP_SKIPPED;
	case RP_ROW_UNAVAILABLE:
		snprintf(why, size, "%s", info->unavailable ? info->unavailable : "unavailable");
		return STEP_SKIPPED;
	case RP_ROW_DONE:
		if (c->judgement->met[i])
			return STEP_OK;
		snprintf(why, size, "expectation unmet: got %s%s",
			 rp_row_result(row, result, sizeof(result)),
			 row->count > 1 ? " (last of several calls)" : "");
		return STEP_FAILED;
	case RP_ROW_BLOCKED:
		snprintf(why, size, "still in the kernel at its timeout: killed");
		return STEP_BROKEN;
	case RP_ROW_STARTED:
		if (c->judgement->met[i])
			return STEP_OK; /* its process ended here, as exit_group does */
		snprintf(why, size, "the run died in this step (signal %d)", c->run->signal);
		return STEP_BROKEN;
	default:
		snprintf(why, size, "not reached");
		return STEP_BROKEN;
	}
}

struct rp_reporter {
	enum { F_TABLE, F_JSON, F_JSONL, F_TAP, F_JUNIT } format;
	FILE *out;
	int many;      /* several specs: the wrapped forms */
	unsigned specs;
	const struct rp_environment *env;
};

int rp_format_known(const char *format)
{
	static const char *const names[] = {"table", "json", "jsonl", "tap", "junit"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(format, names[i]) == 0)
			return (int)i;
	return -1;
}

struct rp_reporter *rp_reporter_new(const char *format, FILE *out, int many,
				    const struct rp_environment *env)
{
	struct rp_reporter *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->format = rp_format_known(format);
	r->out = out;
	r->many = many;
	r->env = env;
	switch (r->format) {
	case F_JSON:
		if (many) {
			fputs("{\n\"environment\": ", out);
			rp_environment_json(out, env);
			fputs(",\n\"specs\": [\n", out);
		}
		break;
	case F_JSONL:
		fputs("{\"type\": \"environment\", \"environment\": ", out);
		rp_environment_json(out, env);
		fputs("}\n", out);
		break;
	case F_TAP:
		fprintf(out, "TAP version 14\n# replay %s, run %s, on %s, Linux %s, %s, uid %u, "
			     "capabilities %016llx\n",
			env->version, env->run_id, env->arch, env->kernel, env->libc, env->uid, env->caps);
		break;
	case F_JUNIT:
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"replay\">\n", out);
		break;
	default:
		break;
	}
	return r;
}

static void jsonl_spec(struct rp_reporter *r, const struct rp_report_context *c)
{
	FILE *out = r->out;
	for (unsigned i = 0; !c->skipped && i < c->prog->step_count; i++) {
		const struct rp_step_info *info = &c->prog->info[i];
		const struct rp_row *row = &c->run->rows[i];
		char why[200];
		if (info->hidden)
			continue;
		static const char *const words[] = {"ok", "failed", "skipped", "broken"};
		enum outcome o = step_outcome(c, i, why, sizeof(why));
		fputs("{\"type\": \"step\", \"spec\": ", out);
		rp_json_string(out, c->prog->name);
		fprintf(out, ", \"index\": %u, \"id\": ", info->number);
		if (info->id)
			rp_json_string(out, info->id);
		else
			fputs("null", out);
		fputs(", \"call\": ", out);
		rp_json_string(out, info->call);
		fprintf(out, ", \"nr\": %ld, \"pid\": %d, \"tid\": %d, \"outcome\": \"%s\"", c->prog->ops[i].nr,
			(int)row->pid, (int)row->tid, words[o]);
		if (row->state == RP_ROW_DONE) {
			fprintf(out, ", \"ret\": %lld, \"errno\": ", (long long)row->ret);
			if (row->err)
				rp_json_string(out, rp_errno_name(row->err));
			else
				fputs("null", out);
			fprintf(out, ", \"count\": %llu, \"time_ns\": %llu", (unsigned long long)row->count,
				(unsigned long long)row->ns);
		}
		if (why[0]) {
			fputs(", \"reason\": ", out);
			rp_json_string(out, why);
		}
		fputs("}\n", out);
	}
	fputs("{\"type\": \"spec\", \"spec\": ", out);
	rp_json_string(out, c->prog->name);
	fputs(", \"file\": ", out);
	rp_json_string(out, c->spec_file);
	fprintf(out, ", \"verdict\": \"%s\"", c->skipped ? "SKIP" : rp_verdict_word(c->judgement->verdict));
	if (c->skipped) {
		fputs(", \"reason\": ", out);
		rp_json_string(out, c->skipped);
	}
	fputs("}\n", out);
}

/* A TAP description: '#' would start a directive (TODO hides a failure), so escape it. */
static void tap_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', out);
		fputc(*s == '\n' ? ' ' : *s, out);
	}
}

static void tap_spec(struct rp_reporter *r, const struct rp_report_context *c)
{
	FILE *out = r->out;
	unsigned n = ++r->specs;
	if (c->skipped) {
		fprintf(out, "ok %u - ", n);
		tap_text(out, c->prog->name);
		fprintf(out, " # SKIP %s\n", c->skipped);
		return;
	}
	fputs("# Subtest: ", out);
	tap_text(out, c->prog->name);
	fputc('\n', out);
	unsigned points = 0;
	for (unsigned i = 0; i < c->prog->step_count; i++) {
		const struct rp_step_info *info = &c->prog->info[i];
		if (info->hidden)
			continue;
		char why[200];
		enum outcome o = step_outcome(c, i, why, sizeof(why));
		points++;
		fprintf(out, "    %s %u - %s", o == STEP_OK || o == STEP_SKIPPED ? "ok" : "not ok", points,
			info->call);
		if (info->id) {
			fputc(' ', out);
			tap_text(out, info->id);
		}
		if (o == STEP_SKIPPED)
			fprintf(out, " # SKIP %s", why);
		fputc('\n', out);
		if (o == STEP_FAILED || o == STEP_BROKEN) {
			const struct rp_row *row = &c->run->rows[i];
			fprintf(out, "      ---\n      message: \"%s\"\n      step: %u\n      syscall: %s\n",
				why, info->number, info->call);
			if (row->state == RP_ROW_DONE && row->err)
				fprintf(out, "      errno: %s\n", rp_errno_name(row->err));
			fputs("      ...\n", out);
		}
	}
	fprintf(out, "    1..%u\n", points);
	int ok = c->judgement->verdict == RP_PASS;
	fprintf(out, "%s %u - ", ok ? "ok" : "not ok", n);
	tap_text(out, c->prog->name);
	fputc('\n', out);
	if (!ok)
		fprintf(out, "  ---\n  message: \"%s\"\n  verdict: %s\n  ...\n",
			c->judgement->verdict == RP_BROKEN ? "the run broke" : "an expectation was not met",
			rp_verdict_word(c->judgement->verdict));
}

static void junit_spec(struct rp_reporter *r, const struct rp_report_context *c)
{
	FILE *out = r->out;
	const struct rp_judgement *j = c->judgement;
	unsigned tests = 0, failures = 0, errors = 0, skipped = 0;
	char why[200];
	for (unsigned i = 0; !c->skipped && i < c->prog->step_count; i++) {
		if (c->prog->info[i].hidden)
			continue;
		enum outcome o = step_outcome(c, i, why, sizeof(why));
		tests++;
		failures += o == STEP_FAILED;
		errors += o == STEP_BROKEN;
		skipped += o == STEP_SKIPPED;
	}
	fputs("  <testsuite name=\"", out);
	xml_str(out, c->prog->name);
	fprintf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.6f\">\n",
		c->skipped ? 1 : tests, failures, errors, c->skipped ? 1 : skipped,
		c->skipped ? 0.0 : (double)j->total_ns / 1e9);
	fputs("    <properties>\n", out);
	fprintf(out, "      <property name=\"file\" value=\"");
	xml_str(out, c->spec_file);
	fprintf(out, "\"/>\n      <property name=\"kernel\" value=\"");
	xml_str(out, r->env->kernel);
	fprintf(out, "\"/>\n      <property name=\"arch\" value=\"%s\"/>\n"
		     "      <property name=\"uid\" value=\"%u\"/>\n"
		     "      <property name=\"libc\" value=\"%s\"/>\n"
		     "      <property name=\"capabilities\" value=\"%016llx\"/>\n"
		     "      <property name=\"replay\" value=\"%s\"/>\n"
		     "      <property name=\"run_id\" value=\"%s\"/>\n    </properties>\n",
		r->env->arch, r->env->uid, r->env->libc, r->env->caps, r->env->version, r->env->run_id);
	if (c->skipped) {
		fputs("    <testcase name=\"spec\" classname=\"", out);
		xml_str(out, c->prog->name);
		fputs("\"><skipped message=\"", out);
		xml_str(out, c->skipped);
		fputs("\"/></testcase>\n  </testsuite>\n", out);
		return;
	}
	for (unsigned i = 0; i < c->prog->step_count; i++) {
		const struct rp_step_info *info = &c->prog->info[i];
		const struct rp_row *row = &c->run->rows[i];
		if (info->hidden)
			continue;
		enum outcome o = step_outcome(c, i, why, sizeof(why));
		fprintf(out, "    <testcase name=\"%u %s%s", info->number, info->call, info->id ? " " : "");
		xml_str(out, info->id);
		fputs("\" classname=\"", out);
		xml_str(out, c->prog->name);
		fprintf(out, "\" time=\"%.9f\"", (double)row->ns / 1e9);
		if (o == STEP_OK) {
			fputs("/>\n", out);
			continue;
		}
		fputs(">", out);
		const char *tag = o == STEP_SKIPPED ? "skipped" : o == STEP_FAILED ? "failure" : "error";
		fprintf(out, "<%s message=\"", tag);
		xml_str(out, why);
		if (o == STEP_SKIPPED)
			fputs("\"/>", out);
		else
			fprintf(out, "\" type=\"%s\">step %u %s: %s</%s>", o == STEP_FAILED ? "unmet" : "broken",
				info->number, info->call,
				row->state == RP_ROW_DONE && row->err ? rp_errno_name(row->err) : "", tag);
		fputs("</testcase>\n", out);
	}
	fputs("  </testsuite>\n", out);
}

void rp_reporter_spec(struct rp_reporter *r, const struct rp_report_context *c)
{
	switch (r->format) {
	case F_TABLE:
		rp_report_table(r->out, c);
		if (r->many)
			fputc('\n', r->out);
		break;
	case F_JSON:
		if (r->many && r->specs++)
			fputs(",\n", r->out);
		rp_report_json(r->out, c);
		break;
	case F_JSONL:
		jsonl_spec(r, c);
		break;
	case F_TAP:
		tap_spec(r, c);
		break;
	case F_JUNIT:
		junit_spec(r, c);
		break;
	}
	fflush(r->out);
}

void rp_reporter_end(struct rp_reporter *r, const struct rp_run_summary *s)
{
	FILE *out = r->out;
	switch (r->format) {
	case F_TABLE:
		if (r->many)
			fprintf(out, "%u specs: %u passed, %u failed, %u skipped, %u broken\n", s->specs,
				s->passed, s->failed, s->skipped, s->broken);
		break;
	case F_JSON:
		if (r->many)
			fprintf(out, "],\n\"summary\": {\"specs\": %u, \"passed\": %u, \"failed\": %u, "
				     "\"skipped\": %u, \"broken\": %u}\n}\n",
				s->specs, s->passed, s->failed, s->skipped, s->broken);
		break;
	case F_JSONL:
		fprintf(out, "{\"type\": \"summary\", \"specs\": %u, \"passed\": %u, \"failed\": %u, "
			     "\"skipped\": %u, \"broken\": %u}\n",
			s->specs, s->passed, s->failed, s->skipped, s->broken);
		break;
	case F_TAP:
		fprintf(out, "1..%u\n", r->specs);
		break;
	case F_JUNIT:
		fputs("</testsuites>\n", out);
		break;
	}
	fflush(out);
	free(r);
}
