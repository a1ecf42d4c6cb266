/*
 * replay's command line: load -> compile -> (sandbox, execute) -> report.
 * Exit status: 0 passed, 1 an expectation failed or the run broke, 2 bad
 * spec or usage (and then nothing was executed).
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/compile.h"
#include "replay/exec.h"
#include "replay/gate.h"
#include "replay/load.h"
#include "replay/report.h"
#include "replay/sandbox.h"
#include "replay/tables.h"

#define REPLAY_VERSION "0.1.0"

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct options {
	const char *format;
	const char *arch;
	int dry_run;
	int keep_sandbox;
	int isolate_set;   /* --isolate or --no-isolate given: overrides the spec */
	const char *filter;
	const char *output;
	FILE *expectations; /* --expectations FILE, open for the whole run */
	FILE *events;       /* --events FILE */
	struct rp_exec_options exec;
};

static void usage(FILE *out)
{
	fputs("usage: replay [OPTIONS] SPEC|DIR...     run specs' syscalls, print results\n"
	      "       replay check [--arch A] SPEC|DIR...  validate specs, run nothing\n"
	      "       replay syscalls [--arch A]        list the built-in syscall table\n"
	      "options:\n"
	      "  --format FORMAT       table (default), json, jsonl, tap (TAP 14) or junit\n"
	      "  --output FILE         write the --format report to FILE, the table to stdout\n"
	      "  --filter GLOB         run only specs whose name or a tag matches\n"
	      "  --verify=ptrace       trace the run and check every step entered the kernel with\n"
	      "                        its number and arguments, and nothing else between steps\n"
	      "  --verify=tracepoints  count each call's sys_enter tracepoint (perf) and check it\n"
	      "                        against the table (root or CAP_PERFMON, else SKIP)\n"
	      "  --events FILE         write one JSON line per executed step: pid, tid, number,\n"
	      "                        argument words and the bytes behind them, result, times\n"
	      "  --expectations FILE   write what a tracer should see: per process, each\n"
	      "                        sys_enter_/sys_exit_ tracepoint and its least count\n"
	      "  --duration S          run each spec's steps again and again for S seconds\n"
	      "  --arch x86_64|aarch64 resolve numbers for this arch (check, --dry-run)\n"
	      "  --dry-run             print the compiled calls, run nothing\n"
	      "  --keep-sandbox        leave the sandbox directory after the run\n"
	      "  --step-timeout S      kill a step still in the kernel after S seconds (default 5,\n"
	      "                        0: never)\n"
	      "  --timeout S           kill the run after S seconds (default: no limit)\n"
	      "  --repeat N            run the whole spec N times in one process; rows add up\n"
	      "  --isolate[=LIST]      run in new namespaces: user,mount (default), net, pid\n"
	      "  --no-isolate          run in replay's own namespaces, whatever the spec says\n"
	      "  --version, --help\n"
	      "exit status: 0 passed, 1 an expectation failed or the run broke, 2 bad spec or usage,\n"
	      "             128+N interrupted by signal N\n",
	      out);
}

/* Load and compile one spec, printing diagnostics; NULL on error. */
static struct rp_program *build(const char *file, const char *arch, int render,
				struct rp_spec **spec_out)
{
	struct rp_diags diags;
	rp_diags_init(&diags, file);
	struct rp_spec *spec = rp_spec_load(file, &diags);
	struct rp_program *prog = NULL;
	if (spec) {
		struct rp_compile_options opt = {.arch = arch, .render = render};
		prog = rp_compile(spec, &opt, &diags);
	}
	rp_diags_print(&diags, stderr);
	rp_diags_free(&diags);
	if (!prog) {
		rp_spec_free(spec);
		spec = NULL;
	}
	*spec_out = spec;
	return prog;
}

static void print_dry_run(const struct rp_program *p)
{
	unsigned steps = 0;
	for (unsigned i = 0; i < p->step_count; i++)
		steps += !p->info[i].hidden;
	printf("# %s on %s: %u steps\n", p->name, p->arch, steps);
	for (unsigned i = 0; i < p->step_count; i++) {
		const struct rp_step_info *info = &p->info[i];
		if (info->hidden)
			continue;
		printf("%4u  %*s", info->number, 2 * info->depth, "");
		if (p->ops[i].kind == RP_OP_LOOP) {
			printf("loop:");
			if (p->ops[i].args[0])
				printf(" repeat %llu", (unsigned long long)p->ops[i].args[0]);
			if (p->ops[i].args[1])
				printf(" for %.3fs", (double)p->ops[i].args[1] / 1e9);
			if (p->ops[i].args[2])
				printf(" pause %.3fs", (double)p->ops[i].args[2] / 1e9);
			printf("\n");
			continue;
		}
		if (p->ops[i].kind == RP_OP_THREADS) {
			printf("threads: %llu\n", (unsigned long long)p->ops[i].args[0]);
			continue;
		}
		if (p->ops[i].kind == RP_OP_FORK)
			printf("process: ");
		if (p->ops[i].nr < 0)
			printf("[%s] ", info->unavailable);
		else
			printf("[%ld] ", p->ops[i].nr);
		printf("%s(", info->call);
		for (unsigned a = 0; a < info->nargs; a++)
			printf("%s%s", a ? ", " : "", info->arg_text[a]);
		printf(")");
		if (p->ops[i].when_kind != RP_WHEN_ALWAYS)
			printf("  when %s %s", p->ops[i].when_kind == RP_WHEN_OK ? "ok" : "failed",
			       p->info[p->ops[i].when_step].id);
		printf("\n");
	}
}

/* Does --filter match the spec's name or one of its tags? */
static int selected(const struct rp_program *prog, const char *filter)
{
	if (!filter || fnmatch(filter, prog->name, 0) == 0)
		return 1;
	for (unsigned i = 0; i < prog->tag_count; i++)
		if (fnmatch(filter, prog->tags[i], 0) == 0)
			return 1;
	return 0;
}

/* Verdict of one spec, or -1 for a spec that could not be run (bad, or not isolable). */
static void events_tick(void *arg)
{
	rp_events_flush(arg, 0);
}

static void report_to(struct rp_reporter *const reps[2], const struct rp_report_context *ctx)
{
	for (int i = 0; i < 2; i++)
		if (reps[i])
			rp_reporter_spec(reps[i], ctx);
}

static int run_one(const char *file, const struct options *o, struct rp_reporter *const reps[2],
		   const struct rp_environment *env, int *interrupted)
{
	struct rp_spec *spec;
	struct rp_program *prog = build(file, o->arch, o->dry_run, &spec);
	if (!prog)
		return -1;
	int verdict = -2; /* filtered out */
	if (!selected(prog, o->filter))
		goto out;
	if (o->dry_run) {
		print_dry_run(prog);
		verdict = RP_PASS;
		goto out;
	}
	struct rp_report_context ctx = {.prog = prog, .spec_file = file, .env = env};
	ctx.skipped = rp_gate_program(prog);
	if (ctx.skipped) { /* unmet needs skip, never fail: nothing is created or run */
		report_to(reps, &ctx);
		verdict = RP_SKIP;
		goto out;
	}
	if (rp_interrupted()) /* before its sandbox: nothing of this spec was made */
		goto out;
	struct rp_sandbox_dir sb;
	int cleaned = 0;
	verdict = RP_BROKEN;
	/* The run id goes into the sandbox's name, so paths in a trace lead back to the run. */
	char sb_name[128];
	snprintf(sb_name, sizeof(sb_name), "%.40s-%.8s", prog->name, env->run_id); /* the id survives a long name */
	if (rp_sandbox_create(&sb, sb_name, &prog->sandbox) != 0)
		goto out;
	struct rp_run run = {0};
	prog->run_id = env->run_id;
	if (rp_program_bind_sandbox(prog, sb.path) != 0) {
		verdict = -1;
		goto cleanup;
	}
	struct rp_exec_options exec = o->exec;
	if (!o->isolate_set)
		exec.isolate = prog->isolate;
	if ((exec.isolate & RP_ISOLATE_PID) && (exec.verify_ptrace || exec.verify_tracepoints)) {
		fprintf(stderr, "replay: %s: --verify cannot follow a run in a new pid namespace; "
				"drop pid from --isolate or isolate:\n", file);
		verdict = -1;
		goto cleanup;
	}
	/* --events: lines are written while the spec runs, from the shared rows. */
	struct rp_event_stream stream = {o->events, prog, &run, env->run_id, NULL};
	if (o->events) {
		stream.emitted = calloc(prog->step_count + 1, sizeof(uint64_t));
		exec.tick = events_tick;
		exec.tick_arg = &stream;
	}
	int ran = 0, nothing_ran = rp_interrupted() != 0;
	if (nothing_ran) {
		/* Interrupted while the sandbox was built: report every step as not run,
		 * so every format says what happened (an empty JSON file would not). */
		run.rows = calloc(prog->step_count ? prog->step_count : 1, sizeof(*run.rows));
		if (!run.rows)
			abort();
		run.count = prog->step_count;
		run.blocked_step = -1;
		run.interrupted = rp_interrupted();
		ran = 1;
	} else if (rp_execute(prog, &exec, &run) != 0) {
		perror("replay: cannot start the run");
	} else if (run.live->setup_errno) {
		fprintf(stderr, "replay: cannot isolate the run: %s: %s%s\n", run.live->setup_what,
			strerror(run.live->setup_errno),
			run.live->setup_errno == EPERM || run.live->setup_errno == ENOSPC
				? " (user namespaces disabled? see sysctl user.max_user_namespaces);"
				  " run with --no-isolate to run unisolated"
				: "");
		verdict = -1;
	} else {
		ran = 1;
	}
	if (ran) {
		/* Clean up before judging and reporting, so the report says if that
		 * failed, or if replay was interrupted meanwhile (its exit says so too). */
		if (!o->keep_sandbox && rp_sandbox_destroy(&sb) != 0)
			run.cleanup_failed = 1;
		cleaned = 1;
		if (!run.interrupted)
			run.interrupted = rp_interrupted();
		struct rp_judgement j;
		rp_judge(prog, &run, &j);
		if (run.cleanup_failed)
			j.verdict = RP_BROKEN;
		ctx.run = &run;
		ctx.judgement = &j;
		ctx.sandbox = sb.path;
		report_to(reps, &ctx);
		if (o->expectations)
			rp_write_expectations(o->expectations, &ctx);
		if (o->events)
			rp_events_flush(&stream, 1);
		verdict = (int)j.verdict;
		rp_judgement_free(&j);
	}
	if (nothing_ran) {
		free(run.rows);
		run.rows = NULL;
	}
	rp_run_free(&run);
	free(stream.emitted);
cleanup:
	if (o->keep_sandbox)
		fprintf(stderr, "replay: sandbox kept at %s\n", sb.path);
	else if (!cleaned && rp_sandbox_destroy(&sb) != 0 && verdict == RP_PASS)
		verdict = RP_BROKEN;
out:
	*interrupted = rp_interrupted();
	rp_program_free(prog);
	rp_spec_free(spec);
	return verdict;
}

/* Every spec of the command line, directories searched recursively in name order. */
struct spec_list {
	char **files;
	unsigned count, cap;
};

static void add_spec(struct spec_list *l, const char *file)
{
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->files = realloc(l->files, l->cap * sizeof(char *));
		if (!l->files)
			abort();
	}
	l->files[l->count++] = strdup(file);
}

static int is_spec_name(const char *name);
static int by_name(const struct dirent **a, const struct dirent **b);

static int collect(struct spec_list *l, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		add_spec(l, path);
		return 0;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char child[4096];
		snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
		struct stat cst;
		/* lstat: a symlinked directory is not followed (no loops); only regular
		 * files are specs (a FIFO named x.yaml would block the run). */
		int ok = names[i]->d_name[0] != '.' && lstat(child, &cst) == 0;
		int is_dir = ok && S_ISDIR(cst.st_mode);
		int is_file = ok && S_ISREG(cst.st_mode);
		if ((is_dir && depth < 32) || (is_file && is_spec_name(names[i]->d_name)))
			if (collect(l, child, depth + 1) != 0)
				rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static void free_list(struct spec_list *l)
{
	for (unsigned i = 0; i < l->count; i++)
		free(l->files[i]);
	free(l->files);
}

static int is_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One spec or many: each in its own child and sandbox, reported as it ends. */
static int run_specs(int argc, char **argv, const struct options *o)
{
	if (strcmp(o->arch, rp_native_arch()) != 0 && !o->dry_run) {
		fprintf(stderr, "replay: cannot run %s calls on %s (use check or --dry-run)\n",
			o->arch, rp_native_arch());
		return EXIT_USAGE;
	}
	rp_signals_catch();
	struct spec_list list = {0};
	int status = EXIT_PASS;
	for (int i = 0; i < argc; i++)
		if (collect(&list, argv[i], 0) != 0)
			status = EXIT_USAGE;
	if (!list.count) {
		fprintf(stderr, "replay: no spec (*.yaml, *.yml) in %s\n", argv[0]);
		return EXIT_USAGE;
	}
	/* A directory is a library: its report has the many-spec shape even with one spec. */
	int many = (list.count != 1 || argc != 1 || is_directory(argv[0])) && !o->dry_run;
	struct rp_environment env;
	rp_environment(&env, REPLAY_VERSION);
	/* --output: the report in --format goes to the file, the table to the terminal. */
	FILE *file_out = NULL;
	if (o->output && !(file_out = fopen(o->output, "w"))) {
		fprintf(stderr, "replay: %s: %s\n", o->output, strerror(errno));
		free_list(&list);
		return EXIT_USAGE;
	}
	struct rp_reporter *reps[2] = {
		rp_reporter_new(o->format, file_out ? file_out : stdout, many, &env),
		file_out ? rp_reporter_new("table", stdout, many, &env) : NULL,
	};
	struct rp_run_summary sum = {0};
	for (unsigned i = 0; i < list.count; i++) {
		int interrupted = 0;
		int v = run_one(list.files[i], o, reps, &env, &interrupted);
		if (v == -2 && interrupted) { /* it did not start, nor will the rest */
			fprintf(stderr, "replay: interrupted by signal %d: %s%s not started\n",
				interrupted, list.files[i], i + 1 < list.count ? " and the specs after it" : "");
			status = 128 + interrupted;
			break;
		}
		if (v == -2)
			continue; /* not selected by --filter */
		sum.specs++;
		sum.broken += v == RP_BROKEN || v == -1;
		sum.passed += v == RP_PASS;
		sum.failed += v == RP_FAIL;
		sum.skipped += v == RP_SKIP;
		if (v == -1) /* bad spec, or could not isolate: nothing of it ran */
			status = EXIT_USAGE;
		else if ((v == RP_FAIL || v == RP_BROKEN) && status == EXIT_PASS)
			status = EXIT_FAIL;
		if (interrupted) {
			status = 128 + interrupted;
			break; /* the rest of the run is not started */
		}
	}
	for (int i = 0; i < 2; i++)
		if (reps[i])
			rp_reporter_end(reps[i], &sum);
	/* A report that could not be written is a failed run, not a quiet one. */
	FILE *outs[] = {stdout, file_out, o->events, o->expectations};
	const char *names[] = {"standard output", o->output, "--events file", "--expectations file"};
	for (int i = 0; i < 4; i++)
		if (outs[i] && (fflush(outs[i]) != 0 || ferror(outs[i]))) {
			fprintf(stderr, "replay: cannot write the %s: %s\n", names[i],
				errno ? strerror(errno) : "write error");
			if (status == EXIT_PASS)
				status = EXIT_FAIL;
		}
	if (file_out && fclose(file_out) != 0 && status == EXIT_PASS)
		status = EXIT_FAIL;
	free_list(&list);
	return status;
}

static int check_one(const char *file, const struct options *o)
{
	struct rp_spec *spec;
	struct rp_program *prog = build(file, o->arch, 0, &spec);
	if (!prog)
		return EXIT_USAGE;
	unsigned steps = 0;
	for (unsigned i = 0; i < prog->step_count; i++)
		steps += !prog->info[i].hidden;
	printf("%s: ok (%u steps, %s)\n", file, steps, prog->arch);
	rp_program_free(prog);
	rp_spec_free(spec);
	return EXIT_PASS;
}

static int is_spec_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
				  (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Directories are checked recursively, in name order: every *.yaml and *.yml in them. */
static int check_specs(int argc, char **argv, const struct options *o)
{
	struct spec_list list = {0};
	int status = EXIT_PASS;
	for (int i = 0; i < argc; i++) {
		unsigned before = list.count;
		if (collect(&list, argv[i], 0) != 0) {
			status = EXIT_USAGE;
		} else if (list.count == before) { /* a directory with no spec: checking nothing is no pass */
			fprintf(stderr, "replay: no spec (*.yaml, *.yml) in %s\n", argv[i]);
			status = EXIT_USAGE;
		}
	}
	for (unsigned i = 0; i < list.count; i++)
		if (check_one(list.files[i], o) != EXIT_PASS)
			status = EXIT_USAGE;
	free_list(&list);
	return status;
}

static int list_syscalls(const struct options *o)
{
	unsigned n;
	const struct rp_syscall *t = rp_syscall_table(o->arch, &n);
	static const char *const classes[] = {"fd", "path", "retfd", "net", "proc", "sig", "ipc", "mem"};
	for (unsigned i = 0; i < n; i++) {
		char flags[64] = "";
		for (unsigned c = 0; c < 8; c++)
			if (t[i].flags & (1u << c))
				snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s",
					 flags[0] ? "," : "", classes[c]);
		printf("%4d %d %-14s %s\n", t[i].nr, t[i].nargs, flags[0] ? flags : "-", t[i].name);
	}
	return EXIT_PASS;
}

static int parse_seconds(const char *text, uint64_t *ns)
{
	if (rp_parse_seconds(text, ns) == 0 && *ns <= 1000000ull * 1000000000ull) {
		if (*ns == 0 && strpbrk(text, "123456789")) /* 1e-10: tiny, not "no limit" */
			*ns = 1;
		return 0;
	}
	fprintf(stderr, "replay: '%s' is not a number of seconds\n", text);
	return -1;
}

int main(int argc, char **argv)
{
	/* A closed pipe (replay ... | head) must not kill replay before its cleanup:
	 * writes fail instead, and the steps' process gets SIG_DFL back. */
	signal(SIGPIPE, SIG_IGN);
	struct options o = {.format = "table", .arch = rp_native_arch()};
	o.exec.step_timeout_ns = 5000000000ull;
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'}, {"arch", required_argument, NULL, 'a'},
		{"dry-run", no_argument, NULL, 'n'}, {"keep-sandbox", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
		{"step-timeout", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
		{"isolate", optional_argument, NULL, 'i'}, {"no-isolate", no_argument, NULL, 'I'},
		{"repeat", required_argument, NULL, 'r'}, {"filter", required_argument, NULL, 'F'},
		{"output", required_argument, NULL, 'o'}, {"duration", required_argument, NULL, 'D'},
		{"expectations", required_argument, NULL, 'x'}, {"verify", required_argument, NULL, 'v'},
		{"events", required_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	int c;
	/* Options may come anywhere (getopt permutes): `replay a.yaml --format json`
	 * must not run a.yaml and then fail on "--format". */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.format = optarg; break;
		case 'a': o.arch = optarg; break;
		case 'n': o.dry_run = 1; break;
		case 'k': o.keep_sandbox = 1; break;
		case 's':
		case 't':
			if (parse_seconds(optarg, c == 's' ? &o.exec.step_timeout_ns
							    : &o.exec.run_timeout_ns) != 0)
				return EXIT_USAGE;
			break;
		case 'i':
			o.isolate_set = 1;
			if (rp_isolate_parse(optarg ? optarg : "user,mount", &o.exec.isolate) != 0 ||
			    !o.exec.isolate) {
				fprintf(stderr, "replay: --isolate takes user, mount, net, pid\n");
				return EXIT_USAGE;
			}
			break;
		case 'I':
			o.isolate_set = 1;
			o.exec.isolate = 0;
			break;
		case 'r': {
			int64_t n;
			if (rp_parse_number(optarg, &n) != 0 || n < 1) {
				fprintf(stderr, "replay: --repeat takes a count of at least 1\n");
				return EXIT_USAGE;
			}
			o.exec.rounds = (uint64_t)n;
			break;
		}
		case 'F': o.filter = optarg; break;
		case 'o': o.output = optarg; break;
		case 'v':
			if (strcmp(optarg, "ptrace") == 0) {
				o.exec.verify_ptrace = 1;
			} else if (strcmp(optarg, "tracepoints") == 0) {
				o.exec.verify_tracepoints = 1;
			} else {
				fprintf(stderr, "replay: --verify takes ptrace or tracepoints\n");
				return EXIT_USAGE;
			}
			break;
		case 'e':
			o.exec.events = 1;
			if (!(o.events = fopen(optarg, "w"))) {
				fprintf(stderr, "replay: %s: %s\n", optarg, strerror(errno));
				return EXIT_USAGE;
			}
			break;
		case 'x':
			if (!(o.expectations = fopen(optarg, "w"))) {
				fprintf(stderr, "replay: %s: %s\n", optarg, strerror(errno));
				return EXIT_USAGE;
			}
			break;
		case 'D':
			if (parse_seconds(optarg, &o.exec.duration_ns) != 0)
				return EXIT_USAGE;
			if (!o.exec.duration_ns) {
				fprintf(stderr, "replay: --duration takes seconds above 0\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_PASS;
		case 'V': puts("replay " REPLAY_VERSION); return EXIT_PASS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	const char *cmd = optind < argc ? argv[optind] : NULL;
	int sub = cmd && (strcmp(cmd, "check") == 0 || strcmp(cmd, "syscalls") == 0);
	if (sub)
		optind++;
	if (rp_format_known(o.format) < 0) {
		fprintf(stderr, "replay: unknown format '%s' (table, json, jsonl, tap, junit)\n", o.format);
		return EXIT_USAGE;
	}
	if (!rp_arch_known(o.arch)) {
		fprintf(stderr, "replay: unknown arch '%s' (x86_64, aarch64)\n", o.arch);
		return EXIT_USAGE;
	}
	if (sub && strcmp(cmd, "syscalls") == 0)
		return optind == argc ? list_syscalls(&o) : (usage(stderr), EXIT_USAGE);
	if (sub)
		return optind < argc ? check_specs(argc - optind, argv + optind, &o)
				     : (usage(stderr), EXIT_USAGE);
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return run_specs(argc - optind, argv + optind, &o);
}
