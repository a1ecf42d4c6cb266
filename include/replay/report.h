/*
 * report.h - judging a run and printing it.
 *
 * Contract: rp_judge() compares each row with its step's expectation and
 * decides the verdict; the printers only format what rp_judge() decided.
 * Reports are written after the run, never during it.
 */
#ifndef REPLAY_REPORT_H
#define REPLAY_REPORT_H

#include <stdio.h>

#include "replay/exec.h"
#include "replay/program.h"

enum rp_verdict { RP_PASS, RP_FAIL, RP_BROKEN, RP_SKIP };

struct rp_judgement {
	enum rp_verdict verdict;
	unsigned steps; /* as reports number them: groups' end ops not counted */
	unsigned ok, failed, skipped, unavailable, not_run, unmet;
	int crashed_step;       /* index of the step the child died in, or -1 */
	unsigned char *met;     /* per step: 1 expectation met or not applicable */
	uint64_t total_ns;
};

struct rp_report_context {
	const struct rp_program *prog;
	const struct rp_run *run;
	const struct rp_judgement *judgement;
	const char *spec_file;
	const char *sandbox;
	const char *skipped;  /* the spec's needs are not met here: nothing ran */
	const struct rp_environment *env; /* printed by the JSON report when set */
};

/* A step that failed with one of its expect: skip: errnos counts as skipped. */
int rp_row_skipped_by_errno(const struct rp_step_info *info, const struct rp_row *row);

void rp_judge(const struct rp_program *prog, const struct rp_run *run, struct rp_judgement *j);
void rp_judgement_free(struct rp_judgement *j);
const char *rp_verdict_word(enum rp_verdict v);
/* Median latency of a repeated step's timed calls, to a quarter octave (about 12%). */
uint64_t rp_stats_median(const struct rp_stats *st);
/* "-1 ENOENT", "3", "skipped", ... into buf. */
const char *rp_row_result(const struct rp_row *row, char *buf, size_t size);

void rp_report_table(FILE *out, const struct rp_report_context *ctx);
void rp_report_json(FILE *out, const struct rp_report_context *ctx);
/* A JSON string literal of s (null for NULL), escaped. */
void rp_json_string(FILE *out, const char *s);

/* What a run was made on: in every machine-readable report. */
struct rp_environment {
	char kernel[65];
	char libc[32];
	const char *arch;
	unsigned uid;
	unsigned long long caps; /* CapEff */
	const char *version;
	char run_id[17];         /* nonce of this replay run, also in sandbox names */
};

struct rp_run_summary {
	unsigned specs, passed, failed, skipped, broken;
};

void rp_environment(struct rp_environment *e, const char *version);
void rp_environment_json(FILE *out, const struct rp_environment *e);

/* src/report/expectations.c: one JSON line per spec: per process, each
 * syscalls:sys_enter_/sys_exit_ tracepoint and the least times it fires. */
void rp_write_expectations(FILE *out, const struct rp_report_context *ctx);
/* src/report/events.c: one JSON line per executed step (see --events),
 * written while the spec runs. */
struct rp_event_stream {
	FILE *out;
	const struct rp_program *prog;
	const struct rp_run *run;
	const char *run_id;
	uint64_t *emitted; /* per step: calls already written */
};
void rp_events_flush(struct rp_event_stream *s, int final);

/* src/report/formats.c: a whole run's report, spec by spec. */
struct rp_reporter;
int rp_format_known(const char *format); /* -1 if not table, json, jsonl, tap, junit */
struct rp_reporter *rp_reporter_new(const char *format, FILE *out, int many,
				    const struct rp_environment *env);
void rp_reporter_spec(struct rp_reporter *r, const struct rp_report_context *ctx);
void rp_reporter_end(struct rp_reporter *r, const struct rp_run_summary *s);

#endif
