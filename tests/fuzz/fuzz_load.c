/*
 * libFuzzer harness for load + compile: any bytes as a spec, compiled for
 * both arches, diagnostics located and printed.  Nothing is executed.
 * Build and run: tests/fuzz/run.sh [SECONDS]
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay/compile.h"
#include "replay/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	struct rp_diags diags;
	rp_diags_init(&diags, "fuzz.yaml");
	struct rp_spec *spec = rp_spec_load_data(data, size, &diags);
	if (spec) {
		static const char *const arches[] = {"x86_64", "aarch64"};
		for (int i = 0; i < 2; i++) {
			struct rp_compile_options opt = {.arch = arches[i]};
			struct rp_program *prog = rp_compile(spec, &opt, &diags);
			if (prog)
				rp_program_bind_sandbox(prog, "/nonexistent/sandbox");
			rp_program_free(prog);
		}
	}
	rp_diags_print(&diags, sink);
	rp_diags_free(&diags);
	rp_spec_free(spec);
	return 0;
}
