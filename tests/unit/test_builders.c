/*
 * Unit tests for the builders and the compiler: every builder's bytes,
 * struct layout and alignment, number syntax, references to earlier steps
 * (including the -1 a failed step yields), and compile errors by path.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "replay/compile.h"
#include "replay/exec.h"
#include "replay/load.h"
#include "replay/tables.h"

struct compiled {
	struct rp_spec *spec;
	struct rp_program *prog;
	struct rp_diags diags;
	char file[64];
};

static struct compiled compile_text(const char *yaml)
{
	struct compiled c = {0};
	snprintf(c.file, sizeof(c.file), "/tmp/replay-unit-XXXXXX");
	int fd = mkstemp(c.file);
	if (fd < 0 || write(fd, yaml, strlen(yaml)) != (ssize_t)strlen(yaml))
		abort();
	close(fd);
	rp_diags_init(&c.diags, c.file);
	c.spec = rp_spec_load(c.file, &c.diags);
	if (c.spec)
		c.prog = rp_compile(c.spec, &(struct rp_compile_options){.render = 1}, &c.diags);
	rp_diags_locate(&c.diags);
	return c;
}

static void release(struct compiled *c)
{
	rp_program_free(c->prog);
	rp_spec_free(c->spec);
	rp_diags_free(&c->diags);
	unlink(c->file);
}

/* The first error's message and position, for error tests. */
static const struct rp_diag *first_error(const struct compiled *c)
{
	for (unsigned i = 0; i < c->diags.count; i++)
		if (c->diags.v[i].severity == RP_ERROR)
			return &c->diags.v[i];
	return NULL;
}

static void test_numbers(void)
{
	int64_t v;
	CHECK_INT(rp_parse_number("0", &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(rp_parse_number("430", &v), 0);
	CHECK_INT(v, 430);
	CHECK_INT(rp_parse_number("-100", &v), 0);
	CHECK_INT(v, -100);
	CHECK_INT(rp_parse_number("0x1F", &v), 0);
	CHECK_INT(v, 31);
	CHECK_INT(rp_parse_number("0600", &v), 0);
	CHECK_INT(v, 0600);
	CHECK_INT(rp_parse_number("0o17", &v), 0);
	CHECK_INT(v, 15);
	CHECK_INT(rp_parse_number("0b101", &v), 0);
	CHECK_INT(v, 5);
	CHECK_INT(rp_parse_number("0xffffffffffffffff", &v), 0);
	CHECK_INT(v, -1);
	CHECK_INT(rp_parse_number("-9223372036854775808", &v), 0);
	CHECK_INT(v, INT64_MIN);
	CHECK_INT(rp_parse_number("430abc", &v), -1);
	CHECK_INT(rp_parse_number("09", &v), -1);
	CHECK_INT(rp_parse_number("0x", &v), -1);
	CHECK_INT(rp_parse_number("", &v), -1);
	CHECK_INT(rp_parse_number("-", &v), -1);
	CHECK_INT(rp_parse_number("18446744073709551616", &v), -1);
	CHECK_INT(rp_parse_number("-9223372036854775809", &v), -1);
	CHECK_INT(rp_parse_number(" 1", &v), -1);
}

static void test_scalars(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - call: mount\n"
		"    args: [{int: -1}, {const: AT_FDCWD}, {flags: [MS_RDONLY, MS_NOSUID, 0x1000]},\n"
		"           {flags: [\"MS_BIND|MS_REC\"]}, {null: ~}, {int: 0x7fffffffffffffff}]\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	const struct rp_op *op = &c.prog->ops[0];
	CHECK_INT(op->nr, rp_syscall_by_name(rp_native_arch(), "mount")->nr);
	CHECK_INT(op->args[0], -1);
	CHECK_INT(op->args[1], AT_FDCWD);
	CHECK_INT(op->args[2], MS_RDONLY | MS_NOSUID | 0x1000);
	CHECK_INT(op->args[3], MS_BIND | MS_REC);
	CHECK_INT(op->args[4], 0);
	CHECK_INT(op->args[5], INT64_MAX);
	CHECK_STR(c.prog->info[0].arg_text[2], "MS_RDONLY|MS_NOSUID|0x1000");
	release(&c);
}

static void test_strings_and_paths(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"sandbox: {dirs: [d/e]}\n"
		"steps:\n"
		"  - call: openat\n"
		"    args: [{const: AT_FDCWD}, {path: d/e}, {cstring: \"a\\\"b\"}, {path: .},\n"
		"           {tempfile: {name: t.txt, content: hi, mode: \"0640\"}}]\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	const struct rp_op *op = &c.prog->ops[0];
	CHECK_STR((const char *)(uintptr_t)op->args[2], "a\"b");
	CHECK_STR(c.prog->info[0].arg_text[2], "\"a\\\"b\"");
	CHECK_INT(op->args[1], 0); /* bound later */
	rp_program_bind_sandbox(c.prog, "/tmp/sb");
	CHECK_STR((const char *)(uintptr_t)op->args[1], "/tmp/sb/d/e");
	CHECK_STR((const char *)(uintptr_t)op->args[3], "/tmp/sb");
	CHECK_STR((const char *)(uintptr_t)op->args[4], "/tmp/sb/t.txt");
	CHECK_INT(c.prog->sandbox.file_count, 1);
	CHECK_STR(c.prog->sandbox.files[0].name, "t.txt");
	CHECK_INT(c.prog->sandbox.files[0].mode, 0640);
	CHECK_INT(c.prog->sandbox.files[0].size, 2);
	CHECK_INT(c.prog->sandbox.dir_count, 1);
	release(&c);
}

/* u8 at 0, u32 at 4, u16 at 8, u64 at 16, i8 at 24: 32 bytes, like a C compiler. */
static void test_struct_layout(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - call: write\n"
		"    args:\n"
		"      - {int: 1}\n"
		"      - struct:\n"
		"          name: s\n"
		"          fields: [{u8: 0xab}, {u32: \"O_CREAT|O_EXCL\"}, {u16: 65535}, {u64: -2},\n"
		"                   {i8: -1}]\n"
		"      - {sizeof: s}\n"
		"  - call: write\n"
		"    args: [{int: 1}, {struct: {name: p, fields: [{u8: 1}, {cstring: x}, {type: u16, sizeof: s}]}},\n"
		"           {sizeof: p}, {ref: s}]\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	const struct rp_op *op = &c.prog->ops[0];
	const uint8_t *mem = (const uint8_t *)(uintptr_t)op->args[1];
	uint32_t u32;
	uint16_t u16;
	uint64_t u64;
	CHECK_INT(op->args[2], 32);
	CHECK_INT(mem[0], 0xab);
	CHECK_INT(mem[1] | mem[2] | mem[3], 0); /* padding is zero */
	memcpy(&u32, mem + 4, 4);
	CHECK_INT(u32, O_CREAT | O_EXCL);
	memcpy(&u16, mem + 8, 2);
	CHECK_INT(u16, 65535);
	memcpy(&u64, mem + 16, 8);
	CHECK_INT((int64_t)u64, -2);
	CHECK_INT(mem[24], 0xff);
	CHECK_INT(((uintptr_t)mem) % 8, 0);
	/* pointer field at 8 after a u8; u16 at 16; size padded to 24 */
	const struct rp_op *op2 = &c.prog->ops[1];
	const uint8_t *p = (const uint8_t *)(uintptr_t)op2->args[1];
	CHECK_INT(op2->args[2], 24);
	memcpy(&u64, p + 8, 8);
	CHECK_STR((const char *)(uintptr_t)u64, "x");
	memcpy(&u16, p + 16, 2);
	CHECK_INT(u16, 32);
	CHECK_INT(op2->args[3], op->args[1]); /* ref: the same memory */
	CHECK_STR(c.prog->info[0].arg_text[1], "{u8 0xab, u32 O_CREAT|O_EXCL, u16 65535, u64 -2, i8 -1}");
	release(&c);
}

static void test_modes_and_warnings(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"sandbox: {files: [{name: a, mode: 644}, {name: b, mode: \"0o4755\"}, {name: c}]}\n"
		"steps:\n"
		"  - {call: getpid, args: [{int: 1}]}\n");
	CHECK(c.prog != NULL);
	if (c.prog) {
		CHECK_INT(c.prog->sandbox.files[0].mode, 0644);
		CHECK_INT(c.prog->sandbox.files[1].mode, 04755);
		CHECK_INT(c.prog->sandbox.files[2].mode, 0600);
	}
	CHECK_INT(c.diags.warnings, 1);
	if (c.diags.count) {
		CHECK_STR(c.diags.v[0].msg, "getpid takes 0 arguments; 1 given (the kernel ignores the rest)");
		CHECK_INT(c.diags.v[0].line, 4);
		CHECK_INT(c.diags.v[0].col, 27);
	}
	release(&c);
}

/* array: items one after the other, structs inline; chars: embedded, NUL-padded. */
static void test_arrays_and_chars(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - call: readv\n"
		"    args:\n"
		"      - {int: 0}\n"
		"      - array:\n"
		"          name: iov\n"
		"          items:\n"
		"            - struct: {fields: [{cstring: ab}, {u64: 2}]}\n"
		"            - struct: {fields: [{u8: 7}, {u32: 9}]}\n"
		"            - {u16: 3}\n"
		"      - {sizeof: iov}\n"
		"  - call: bind\n"
		"    args: [{int: 0}, {struct: {name: a, fields: [{u16: 1}, {chars: {size: 10, text: hi}},\n"
		"           {chars: {size: 108, path: s}}, {u32: 5}]}}, {sizeof: a}]\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	const uint8_t *iov = (const uint8_t *)(uintptr_t)c.prog->ops[0].args[1];
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	/* {ptr, u64} at 0 (16 bytes), {u8, u32} at 16 (8 bytes), u16 at 24; size 32 */
	CHECK_INT(c.prog->ops[0].args[2], 32);
	memcpy(&u64, iov, 8);
	CHECK_STR((const char *)(uintptr_t)u64, "ab");
	memcpy(&u64, iov + 8, 8);
	CHECK_INT(u64, 2);
	CHECK_INT(iov[16], 7);
	memcpy(&u32, iov + 20, 4);
	CHECK_INT(u32, 9);
	memcpy(&u16, iov + 24, 2);
	CHECK_INT(u16, 3);
	/* u16 at 0, chars[10] at 2, chars[108] at 12, u32 at 120: size 124 */
	const uint8_t *a = (const uint8_t *)(uintptr_t)c.prog->ops[1].args[1];
	CHECK_INT(c.prog->ops[1].args[2], 124);
	CHECK_STR((const char *)a + 2, "hi");
	CHECK_INT(a[11], 0);
	CHECK_INT(rp_program_bind_sandbox(c.prog, "/tmp/sb"), 0);
	CHECK_STR((const char *)a + 12, "/tmp/sb/s");
	memcpy(&u32, a + 120, 4);
	CHECK_INT(u32, 5);
	CHECK_STR(c.prog->info[0].arg_text[1], "[{ptr \"ab\", u64 2}, {u8 7, u32 9}, u16 3]");
	release(&c);
	/* A sandbox path longer than its chars is refused when the sandbox is bound. */
	c = compile_text("name: t\nsteps: [{call: bind, args: [{int: 0}, {chars: {size: 12, path: sock}}]}]\n");
	CHECK(c.prog != NULL);
	if (c.prog)
		CHECK_INT(rp_program_bind_sandbox(c.prog, "/tmp/a-long-sandbox"), -1);
	release(&c);
}

static void test_buffers_and_bytes(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - call: read\n"
		"    args: [{int: 0}, {buffer: {name: b, size: 100, fill: 0x5a}}, {sizeof: b},\n"
		"           {bytes: {name: raw, hex: \"de ad:BE ef 00\"}}, {sizeof: raw}]\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	const struct rp_op *op = &c.prog->ops[0];
	const uint8_t *buf = (const uint8_t *)(uintptr_t)op->args[1];
	CHECK_INT(op->args[2], 100);
	CHECK_INT(buf[0], 0x5a);
	CHECK_INT(buf[99], 0x5a);
	const uint8_t *raw = (const uint8_t *)(uintptr_t)op->args[3];
	CHECK_INT(op->args[4], 5);
	CHECK_INT(raw[0], 0xde);
	CHECK_INT(raw[2], 0xbe);
	CHECK_INT(raw[4], 0);
	release(&c);
}

static void test_references_compile(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - {id: a, call: openat, args: [{const: AT_FDCWD}, {cstring: /}, {flags: [O_RDONLY]}]}\n"
		"  - call: fcntl\n"
		"    when: {ok: a}\n"
		"    args: [{fd: a}, {const: F_GETFD}]\n"
		"  - call: write\n"
		"    args: [{int: 1}, {struct: {fields: [{type: i32, fd: a}, {type: u64, ret: a}]}}]\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	CHECK_INT(c.prog->fixup_count, 3);
	CHECK_INT(c.prog->ops[1].fixup_count, 1);
	CHECK(c.prog->fixups[0].dst == &c.prog->ops[1].args[0]);
	CHECK_INT(c.prog->fixups[0].width, 8);
	CHECK_INT(c.prog->fixups[0].kind, RP_REF_FD);
	CHECK_INT(c.prog->fixups[1].width, 4);
	CHECK_INT(c.prog->fixups[2].width, 8);
	CHECK_INT(c.prog->fixups[2].kind, RP_REF_RET);
	CHECK_INT(c.prog->ops[1].when_kind, RP_WHEN_OK);
	CHECK_INT(c.prog->ops[1].when_step, 0);
	CHECK_STR(c.prog->info[1].arg_text[0], "fd(a)");
	release(&c);
}

/*
 * umask returns the previous mask, so a second umask shows what the first
 * one received: the fd of a failed step must arrive as -1 (mask 0777), the
 * fd of a successful one as itself, and a skipped step must not run.
 */
/* load: values the kernel wrote into an object, read back just before a later step. */
static void test_load_run(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - {id: p, call: pipe2, args: [{buffer: {name: fds, size: 8}}, {int: 0}]}\n"
		"  - {call: umask, args: [{load: {from: fds, offset: 4, type: i32}}]}\n"
		"  - {id: probe1, call: umask, args: [{int: 022}]}\n"
		"  - {call: write, args: [{int: 1}, {ref: fds}, {int: 0}]}\n"
		"  - {call: umask, args: [{load: {from: fds, type: u8}}]}\n"
		"  - {id: probe2, call: umask, args: [{int: 022}]}\n"
		"  - {id: bad, call: pipe2, args: [{buffer: {name: f2, size: 8, fill: 0x77}}, {int: -1}]}\n"
		"  - {call: umask, args: [{load: {from: f2, type: i32}}]}\n"
		"  - {id: probe3, call: umask, args: [{int: 022}]}\n"
		"  - {call: close, args: [{load: {from: fds, type: i32}}]}\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	CHECK_INT(c.prog->fixups[0].kind, RP_REF_LOAD);
	CHECK_INT(c.prog->fixups[0].src, 0);
	CHECK_INT(c.prog->fixups[1].src, 3); /* the write passed fds last */
	struct rp_run run;
	CHECK_INT(rp_execute(c.prog, NULL, &run), 0);
	CHECK_INT(run.rows[0].ret, 0);
	CHECK(run.rows[2].ret >= 3);                /* umask got fds[1], an fd number */
	CHECK_INT(run.rows[5].ret, run.rows[2].ret - 1); /* fds[0] = fds[1] - 1 */
	CHECK_INT(run.rows[6].err, 22);
	CHECK_INT(run.rows[8].ret, 0777);            /* a failed producer gives -1 */
	CHECK_INT(run.rows[9].ret, 0);
	rp_run_free(&run);
	release(&c);
}

static void test_references_run(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - {id: bad, call: close, args: [{int: -1}]}\n"
		"  - {call: umask, args: [{fd: bad}]}\n"
		"  - {id: probe1, call: umask, args: [{int: 0}]}\n"
		"  - {id: good, call: dup, args: [{int: 1}]}\n"
		"  - {call: umask, args: [{fd: good}]}\n"
		"  - {id: probe2, call: umask, args: [{int: 0}]}\n"
		"  - {call: umask, args: [{ret: bad}]}\n"
		"  - {id: probe3, call: umask, args: [{int: 022}]}\n"
		"  - {id: skipped, call: getpid, when: {ok: bad}}\n"
		"  - {call: getppid, when: {failed: bad}}\n"
		"  - {call: umask, args: [{fd: skipped}]}\n"
		"  - {id: probe4, call: umask, args: [{int: 022}]}\n"
		"  - {call: getppid, when: {failed: skipped}}\n"
		"  - {call: umask, args: [{ret: skipped}]}\n"
		"  - {id: probe5, call: umask, args: [{int: 022}]}\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	struct rp_run run;
	CHECK_INT(rp_execute(c.prog, NULL, &run), 0);
	CHECK_INT(run.signal, 0);
	CHECK_INT(run.rows[0].err, 9 /* EBADF */);
	CHECK_INT(run.rows[2].ret, 0777);
	CHECK(run.rows[3].ret >= 3);
	CHECK_INT(run.rows[5].ret, run.rows[3].ret & 0777);
	CHECK_INT(run.rows[7].ret, (-9) & 0777); /* ret: the kernel's raw -EBADF */
	CHECK_INT(run.rows[8].state, RP_ROW_SKIPPED);
	CHECK_INT(run.rows[9].state, RP_ROW_DONE);
	CHECK_INT(run.rows[9].ret, getpid());
	CHECK_INT(run.rows[11].ret, 0777);
	CHECK_INT(run.rows[12].state, RP_ROW_SKIPPED); /* a skipped step did not fail either */
	CHECK_INT(run.rows[14].ret, 0777);             /* ret of a step that did not run: -1 */
	rp_run_free(&run);
	release(&c);
}

static void test_crash_keeps_rows(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"steps:\n"
		"  - {id: me, call: getpid}\n"
		"  - {call: umask, args: [{int: 077}]}\n"
		"  - {call: kill, args: [{ret: me}, {int: 9}]}\n"
		"  - {call: getpid}\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	struct rp_run run;
	CHECK_INT(rp_execute(c.prog, NULL, &run), 0);
	CHECK_INT(run.signal, 9);
	CHECK_INT(run.rows[0].state, RP_ROW_DONE);
	CHECK_INT(run.rows[0].ret, run.pid);
	CHECK_INT(run.rows[1].state, RP_ROW_DONE);
	CHECK_INT(run.rows[2].state, RP_ROW_STARTED);
	CHECK_INT(run.rows[3].state, RP_ROW_NOT_RUN);
	rp_run_free(&run);
	release(&c);
}

static void test_arch_numbers(void)
{
	CHECK_INT(rp_syscall_by_name("x86_64", "fsopen")->nr, 430);
	CHECK_INT(rp_syscall_by_name("aarch64", "fsopen")->nr, 430);
	CHECK_INT(rp_syscall_by_name("x86_64", "getppid")->nr, 110);
	CHECK_INT(rp_syscall_by_name("aarch64", "getppid")->nr, 173);
	CHECK_INT(rp_syscall_by_name("x86_64", "statmount")->nr, 457);
	CHECK_INT(rp_syscall_by_name("x86_64", "listns")->nr, 470);
	CHECK(rp_syscall_by_name("aarch64", "fork") == NULL);
	CHECK(rp_syscall_by_name("x86_64", "fsopen")->flags & RP_SC_RETFD);
	CHECK_STR(rp_errno_name(2), "ENOENT");
	CHECK_INT(rp_errno_by_name("EPERM"), 1);
	CHECK_STR(rp_closest_constant("FSOPEN_CLOEXE"), "FSOPEN_CLOEXEC");
	CHECK_STR(rp_closest_syscall("x86_64", "fsopn"), "fsopen");
	CHECK(rp_closest_syscall("x86_64", "zzzzzzzz") == NULL);
}

static void test_overrides_and_unavailable(void)
{
	struct compiled c = compile_text(
		"name: t\n"
		"syscalls: [{name: brand_new, x86_64: 999, aarch64: 998}]\n"
		"steps:\n"
		"  - {call: brand_new}\n"
		"  - {call: getppid, nr: {x86_64: 39, aarch64: 172}}\n"
		"  - {call: fork, nr: {x86_64: 57}}\n"
		"  - {call: only_arm, nr: {aarch64: 5}}\n");
	CHECK(c.prog != NULL);
	if (!c.prog)
		return release(&c);
	int x86 = strcmp(rp_native_arch(), "x86_64") == 0;
	CHECK_INT(c.prog->ops[0].nr, x86 ? 999 : 998);
	CHECK_INT(c.prog->ops[1].nr, x86 ? 39 : 172);
	CHECK_INT(c.prog->ops[3].nr, x86 ? -1 : 5);
	if (x86)
		CHECK_STR(c.prog->info[3].unavailable, "only_arm has no number on x86_64");
	release(&c);
	struct rp_compile_options arm = {.arch = "aarch64"};
	c = compile_text("name: t\nsteps: [{call: fork}, {call: openat}]\n");
	rp_program_free(c.prog);
	c.prog = rp_compile(c.spec, &arm, &c.diags);
	CHECK(c.prog != NULL);
	if (c.prog) {
		CHECK_INT(c.prog->ops[0].nr, -1);
		CHECK_STR(c.prog->info[0].unavailable, "fork has no number on aarch64");
		CHECK_INT(c.prog->ops[1].nr, 56);
	}
	release(&c);
}

struct error_case {
	const char *yaml;
	unsigned line, col;
	const char *msg;
};

static void test_errors(void)
{
	static const struct error_case cases[] = {
		{"name: t\nsteps:\n  - call: fsopn\n", 3, 11,
		 "unknown syscall 'fsopn' on %s; did you mean 'fsopen'? (give its number with nr: or syscalls:)"},
		{"name: t\nsteps:\n  - {call: close, args: [{const: AT_FDCWDD}]}\n", 3, 34,
		 "unknown constant 'AT_FDCWDD'; did you mean 'AT_FDCWD'?"},
		{"name: t\nsteps:\n  - {call: close, args: [{int: 430abc}]}\n", 3, 32,
		 "'430abc' is not an integer (decimal, 0x hex, 0o or leading-0 octal, 0b binary, optionally negative, within 64 bits)"},
		{"name: t\nsteps:\n  - {call: close, args: [{fd: nope}]}\n", 3, 31, "no step has id 'nope'"},
		{"name: t\nsteps:\n  - {call: close, args: [{fd: x}]}\n  - {id: x, call: getpid}\n", 3, 31,
		 "step 'x' comes later; a step can only use results of earlier steps"},
		{"name: t\nsteps:\n  - {call: openat, args: [{int: 0}, {path: ../etc}]}\n", 3, 44,
		 "path '../etc' leaves the sandbox through '..'"},
		{"name: t\nsteps:\n  - {call: openat, args: [{int: 0}, {path: /etc}]}\n", 3, 44,
		 "path '/etc' is absolute; paths are relative to the run's sandbox"},
		{"name: t\nsteps:\n  - {call: close, args: [{int: 1, const: O_RDONLY}]}\n", 3, 26,
		 "value has 2 builder keys (int, const); give exactly one"},
		{"name: t\nsteps:\n  - {call: close, args: [{struct: {fields: [{u8: 256}]}}]}\n", 3, 50,
		 "value 256 does not fit a u8 field"},
		{"name: t\nsteps:\n  - {call: close, args: [{sizeof: nothing}]}\n", 3, 35,
		 "sizeof names no object 'nothing' (name a struct, array, chars, buffer or bytes with name:)"},
		{"name: t\nsteps:\n  - {call: close, args: [{int: 1},{int: 1},{int: 1},{int: 1},{int: 1},{int: 1},{int: 1}]}\n",
		 3, 80, "close has 7 arguments; a syscall takes at most 6"},
		{"name: t\nsteps:\n  - {id: a, call: getpid}\n  - {id: a, call: getpid}\n", 4, 10,
		 "step id 'a' is already used at 3:10"},
		{"name: t\nsteps: []\n", 2, 8, "'steps' needs at least 1 entry"},
		{"name: t\nsteps:\n  - call: close\n    bogus: 1\n", 4, 5, "unknown key 'bogus'"},
		{"name: t\nsteps:\n  - {call: close, args: [{struct: {fields: [{type: u8, int: 300}]}}]}\n",
		 3, 61, "value 300 does not fit a u8 field"},
		{"name: t\nsteps:\n  - {call: close, args: [{struct: {fields: [{u8: -1}]}}]}\n", 3, 50,
		 "value -1 does not fit a u8 field"},
		{"name: t\nsteps:\n  - {call: close, args: [{struct: {fields: [{i8: 128}]}}]}\n", 3, 50,
		 "value 128 does not fit an i8 field"},
		{"name: t\nsteps:\n  - {call: close, args: [{struct: {fields: [{type: i64, cstring: x}]}}]}\n",
		 3, 52, "bad field type 'i64' for a cstring field (a pointer field is u64 or ptr)"},
		{"name: t\nsteps:\n  - {call: close, args: [{buffer: {size: 4, fill: 256}}]}\n", 3, 51,
		 "fill byte '256' is not a number from 0 to 255"},
		{"name: t\nsandbox: {files: [{name: f, mode: \"0999\"}]}\nsteps: [{call: getpid}]\n", 2, 35,
		 "mode '0999' is not an octal file mode from 0 to 7777 (like \"0600\")"},
		{"name: t\nsandbox: {dirs: [a], files: [{name: a}]}\nsteps: [{call: getpid}]\n", 2, 37,
		 "'a' is a directory of the sandbox; it cannot also be a file"},
		{"name: t\nsandbox: {files: [{name: a}, {name: a/b}]}\nsteps: [{call: getpid}]\n", 2, 37,
		 "sandbox file 'a/b' and 'a' cannot both exist"},
		{"name: t\nsandbox: {files: [{name: .}]}\nsteps: [{call: getpid}]\n", 2, 26,
		 "file name '.' has an empty or '.' component"},
		{"name: t\nsyscalls: [{name: x, x86_64: 1}, {name: x, aarch64: 2}]\nsteps: [{call: getpid}]\n",
		 2, 41, "syscall 'x' already has numbers in entry 1"},
		{"name: t\nsyscalls: [{name: unused, aarch64: abc}]\nsteps: [{call: getpid}]\n", 2, 36,
		 "syscall number 'abc' is not a number from 0 to 65535"},
		{"name: t\nsteps:\n  - {call: getpid, nr: {aarch64: 99999}}\n", 3, 34,
		 "syscall number '99999' is not a number from 0 to 65535"},
		{"name: t\nsteps:\n  - {call: getpid, repeat: 0}\n", 3, 28,
		 "repeat '0' is not a count from 1 to 4294967295"},
		{"name: t\nsteps:\n  - {call: fork, repeat: 2}\n", 3, 26,
		 "fork cannot be repeated: every call would leave a process behind"},
		{"name: t\nsteps:\n  - {call: close, args: [{load: {from: nope, type: i32}}]}\n", 3, 40,
		 "load names no object 'nope' (name a struct, array, chars, buffer or bytes with name:)"},
		{"name: t\nsteps:\n  - {call: pipe, args: [{buffer: {name: f, size: 8}}]}\n"
		 "  - {call: close, args: [{load: {from: f, offset: 6, type: i32}}]}\n", 4, 33,
		 "i32 at offset 6 is past the end of 'f' (8 bytes)"},
		{"name: t\nsteps:\n  - {call: pipe, args: [{buffer: {name: f, size: 8}}]}\n"
		 "  - {call: close, args: [{load: {from: f, type: int}}]}\n", 4, 49,
		 "load type 'int' is not one of u8, u16, u32, u64, i8, i16, i32, i64"},
		{"name: t\nsteps:\n  - {call: pipe, args: [{buffer: {name: f, size: 8}}, {load: {from: f, type: i32}}]}\n",
		 3, 62, "no earlier step passes 'f' to the kernel: load reads what a previous step's call wrote"},
		{"name: t\nsteps:\n  - {id: x}\n", 3, 5, "a step needs call:, process:, loop: or threads:"},
		{"name: t\nsteps:\n  - {call: getpid, loop: {repeat: 2, steps: [{call: getpid}]}}\n", 3, 5,
		 "a step is one of call:, process:, loop: or threads:, not several"},
		{"name: t\nsteps:\n  - {loop: {steps: [{call: getpid}]}}\n", 3, 12,
		 "a loop needs repeat: N, duration: SECONDS or both"},
		{"name: t\nsteps:\n  - {process: {steps: [{call: getpid}]}, args: [{int: 1}]}\n", 3, 42,
		 "args:, nr:, expect: and repeat: belong to a call; a process: group has only id:, when:, "
		 "needs:, comment: and its steps"},
		{"name: t\nsteps:\n  - {call: kill, args: [{pid: parent}]}\n", 3, 31,
		 "pid takes 'self' (the process or thread running the step), not 'parent'"},
		{"name: t\nsteps:\n  - {loop: {repeat: 2, pause: x, steps: [{call: getpid}]}}\n", 3, 31,
		 "pause 'x' is not a number of seconds"},
		{"name: t\nsteps:\n  - {threads: {count: 0, steps: [{call: getpid}]}}\n", 3, 23,
		 "count '0' is not a number of threads from 1 to 64"},
		{"name: t\nsteps:\n  - {threads: {count: 2, name: a-very-long-thread-name, steps: [{call: getpid}]}}\n",
		 3, 32, "thread name 'a-very-long-thread-name' must be 1 to 15 characters (the kernel keeps 15)"},
		{"name: t\nsteps:\n  - {threads: {count: 2, steps: [{process: {steps: [{call: getpid}]}}]}}\n",
		 3, 34, "a threads: body holds calls only, not a process: group"},
		{"name: t\nsteps:\n  - {process: {steps: [{threads: {count: 2, steps: [{call: getpid}]}}]}}\n",
		 3, 24, "threads: cannot run inside a process: group (its child has no workers)"},
		{"name: t\nsteps:\n  - {call: close, args: [{chars: {size: 2, text: abc}}]}\n", 3, 50,
		 "text of 3 bytes does not fit chars[2] with its NUL"},
		{"name: t\nsteps:\n  - {call: close, args: [{chars: {size: 2}}]}\n", 3, 34,
		 "chars takes text: or path:, exactly one"},
		{"name: t\nsteps:\n  - {call: close, args: [{chars: {size: 0, text: a}}]}\n", 3, 41,
		 "chars size '0' is not a number from 1 to 65536"},
		{"", 1, 1, "the spec is empty: it needs at least name: and steps:"},
		{"# only a comment\n", 1, 1, "the spec is empty: it needs at least name: and steps:"},
		{"name: t\nsandbox: {files: [{name: e/}]}\nsteps: [{call: getpid}]\n", 2, 26,
		 "file name 'e/' has an empty or '.' component"},
		{"name: t\nsteps:\n  - call: getpid\n    ? {expect: ret}\n    : 0\n", 4, 7,
		 "a key must be a plain name, not a mapping"},
		{"name: t\nsteps:\n  - {call: vfork}\n", 3, 12,
		 "vfork cannot be replayed: its child would return into the engine's stack, shared with "
		 "the suspended parent (use fork or clone)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct compiled c = compile_text(cases[i].yaml);
		const struct rp_diag *e = first_error(&c);
		char want[512];
		snprintf(want, sizeof(want), cases[i].msg, rp_native_arch());
		CHECK(c.prog == NULL);
		CHECK(e != NULL);
		if (e) {
			CHECK_STR(e->msg, want);
			CHECK_INT(e->line, cases[i].line);
			CHECK_INT(e->col, cases[i].col);
		}
		release(&c);
	}
}

int main(void)
{
	test_numbers();
	test_scalars();
	test_strings_and_paths();
	test_struct_layout();
	test_buffers_and_bytes();
	test_arrays_and_chars();
	test_modes_and_warnings();
	test_references_compile();
	test_references_run();
	test_load_run();
	test_crash_keeps_rows();
	test_arch_numbers();
	test_overrides_and_unavailable();
	test_errors();
	return check_report();
}
