/*
 * compile.h - struct rp_spec -> struct rp_program (see program.h).
 *
 * Contract: rp_compile() resolves every syscall number for the target arch,
 * every constant, step reference and object name, lays out every struct and
 * builds every argument into the program's arena.  It reports all problems
 * it finds to `diags` (with node paths) and returns NULL if any is an
 * error.  It touches nothing outside memory: the sandbox is created later
 * and bound with rp_program_bind_sandbox().
 */
#ifndef REPLAY_COMPILE_H
#define REPLAY_COMPILE_H

#include "replay/diag.h"
#include "replay/program.h"
#include "replay/spec.h"

struct rp_compile_options {
	const char *arch; /* NULL: the arch replay runs on */
	int render;       /* keep each argument's text (rp_step_info.arg_text) for printing */
};

struct rp_program *rp_compile(const struct rp_spec *spec, const struct rp_compile_options *opt,
			      struct rp_diags *diags);
void rp_program_free(struct rp_program *prog);

/* Fill every sandbox path slot with `dir`/rel.  Allocates; call before running.
 * -1 (said on stderr) if a path does not fit the chars: it goes into. */
int rp_program_bind_sandbox(struct rp_program *prog, const char *dir);

/* Strict number parsing: decimal, 0x hex, 0o/0 octal, 0b binary, optional sign,
 * no trailing characters.  Returns 0 on success. */
int rp_parse_number(const char *s, int64_t *out);
/* "0.5" -> 500000000 ns: decimal seconds, not negative.  Returns 0 on success. */
int rp_parse_seconds(const char *text, uint64_t *ns);

#endif
