/*
 * Unit tests for the loader (src/load/read.c): the structs it fills from
 * YAML, the keyed argument record (one slot, key bits), list counts and
 * order, nesting, and that a spec with errors yields NULL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "replay/load.h"

static struct rp_spec *load(const char *yaml, struct rp_diags *d)
{
	rp_diags_init(d, "unit.yaml");
	return rp_spec_load_data(yaml, strlen(yaml), d);
}

static void test_record_size(void)
{
	/* The point of the keyed record: an argument is three words, not one per key. */
	CHECK_INT(sizeof(struct rp_value), 24);
}

static void test_steps_and_args(void)
{
	struct rp_diags d;
	struct rp_spec *s = load("name: t\n"
				 "description: two steps\n"
				 "tags: [a, b, c]\n"
				 "steps:\n"
				 "  - id: open\n"
				 "    call: openat\n"
				 "    args: [{const: AT_FDCWD}, {path: f}, {flags: [O_RDONLY, O_CLOEXEC]}, {int: 0}]\n"
				 "    expect: {errno: [ENOENT, EACCES]}\n"
				 "  - call: close\n"
				 "    args: [{fd: open}]\n"
				 "    when: {ok: open}\n"
				 "  - call: getpid\n"
				 "    args: []\n",
				 &d);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->name, "t");
	CHECK_STR(s->description, "two steps");
	CHECK_INT(s->tags_count, 3);
	CHECK_STR(s->tags[2], "c");
	CHECK_INT(s->steps_count, 3);
	const struct rp_step *open = &s->steps[0];
	CHECK_STR(open->id, "open");
	CHECK_STR(open->call, "openat");
	CHECK_INT(open->args_count, 4);
	CHECK_INT(open->args[0].keys, 1u << RP_KEY_CONST);
	CHECK_STR(rp_value_of(&open->args[0], RP_KEY_CONST), "AT_FDCWD");
	CHECK(rp_value_of(&open->args[0], RP_KEY_INT) == NULL);
	CHECK_STR(rp_value_of(&open->args[1], RP_KEY_PATH), "f");
	CHECK_INT(open->args[2].keys, 1u << RP_KEY_FLAGS);
	CHECK_INT(open->args[2].flags_count, 2);
	CHECK_STR(open->args[2].flags[0], "O_RDONLY");
	CHECK_STR(open->args[2].flags[1], "O_CLOEXEC");
	CHECK_STR(rp_value_of(&open->args[3], RP_KEY_INT), "0");
	CHECK(open->expect != NULL && open->expect->errnos_count == 2);
	CHECK_STR(open->expect->errnos[1], "EACCES");
	CHECK(open->when == NULL);
	const struct rp_step *close = &s->steps[1];
	CHECK(close->id == NULL);
	CHECK_STR(rp_value_of(&close->args[0], RP_KEY_FD), "open");
	CHECK_STR(close->when->ok, "open");
	CHECK(close->when->failed == NULL);
	CHECK_INT(s->steps[2].args_count, 0);
	CHECK(s->steps[2].args == NULL);
	CHECK_INT(d.count, 0);
	rp_spec_free(s);
	rp_diags_free(&d);
}

static void test_nested_values(void)
{
	struct rp_diags d;
	struct rp_spec *s = load("name: t\n"
				 "steps:\n"
				 "  - call: utimensat\n"
				 "    args:\n"
				 "      - struct:\n"
				 "          name: times\n"
				 "          fields:\n"
				 "            - {i64: 1}\n"
				 "            - {const: UTIME_OMIT, type: i64}\n"
				 "            - struct: {fields: [{u8: 7}]}\n"
				 "            - array: {items: [{u16: 1}, {u16: 2}, {u16: 3}]}\n"
				 "      - {buffer: {name: buf, size: 64, fill: 0xff}}\n"
				 "      - {tempfile: {name: t.txt, content: hi}}\n",
				 &d);
	CHECK(s != NULL);
	if (!s)
		return;
	const struct rp_value *a = s->steps[0].args;
	const struct rp_struct *st = rp_value_of(&a[0], RP_KEY_STRUCT);
	CHECK(st != NULL);
	CHECK_STR(st->name, "times");
	CHECK_INT(st->fields_count, 4);
	CHECK_STR(rp_value_of(&st->fields[0], RP_KEY_I64), "1");
	CHECK_INT(st->fields[1].keys, (1u << RP_KEY_CONST) | (1u << RP_KEY_TYPE));
	CHECK_STR(st->fields[1].type, "i64");
	CHECK_STR(rp_value_of(&st->fields[1], RP_KEY_CONST), "UTIME_OMIT");
	const struct rp_struct *inner = rp_value_of(&st->fields[2], RP_KEY_STRUCT);
	CHECK(inner != NULL && inner->fields_count == 1 && inner->name == NULL);
	CHECK_STR(rp_value_of(&inner->fields[0], RP_KEY_U8), "7");
	const struct rp_array *arr = rp_value_of(&st->fields[3], RP_KEY_ARRAY);
	CHECK(arr != NULL && arr->items_count == 3);
	CHECK_STR(rp_value_of(&arr->items[2], RP_KEY_U16), "3");
	const struct rp_buffer *buf = rp_value_of(&a[1], RP_KEY_BUFFER);
	CHECK_STR(buf->name, "buf");
	CHECK_STR(buf->size, "64");
	CHECK_STR(buf->fill, "0xff");
	const struct rp_file *tf = rp_value_of(&a[2], RP_KEY_TEMPFILE);
	CHECK_STR(tf->name, "t.txt");
	CHECK_STR(tf->content, "hi");
	CHECK(tf->mode == NULL);
	rp_spec_free(s);
	rp_diags_free(&d);
}

/* Two builder keys: both bits are kept, and rp_value_of gives neither. */
static void test_two_keys(void)
{
	struct rp_diags d;
	struct rp_spec *s = load("name: t\nsteps:\n  - call: close\n    args: [{int: 1, const: X}]\n",
				 &d);
	CHECK(s != NULL);
	if (!s)
		return;
	const struct rp_value *v = &s->steps[0].args[0];
	CHECK_INT(v->keys, (1u << RP_KEY_INT) | (1u << RP_KEY_CONST));
	CHECK(rp_value_of(v, RP_KEY_INT) == NULL);
	CHECK(rp_value_of(v, RP_KEY_CONST) == NULL);
	rp_spec_free(s);
	rp_diags_free(&d);
}

static void test_groups(void)
{
	struct rp_diags d;
	struct rp_spec *s = load("name: t\nsteps:\n"
				 "  - loop:\n      repeat: 3\n      steps:\n"
				 "        - call: getpid\n"
				 "        - process:\n            steps: [{call: getppid}, {call: gettid}]\n"
				 "  - call: sync\n",
				 &d);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(s->steps_count, 2);
	const struct rp_group *loop = s->steps[0].loop;
	CHECK(loop != NULL);
	CHECK_STR(loop->repeat, "3");
	CHECK_INT(loop->steps_count, 2);
	CHECK_STR(loop->steps[0].call, "getpid");
	const struct rp_group *proc = loop->steps[1].process;
	CHECK(proc != NULL && proc->steps_count == 2);
	CHECK_STR(proc->steps[1].call, "gettid");
	CHECK_STR(s->steps[1].call, "sync");
	rp_spec_free(s);
	rp_diags_free(&d);
}

/* Every error found in one pass, and no spec. */
static void test_errors(void)
{
	struct rp_diags d;
	struct rp_spec *s = load("name: t\nsteps:\n  - call: close\n    args: [{fdd: a}]\n"
				 "  - call: [x]\n    bogus: 1\n",
				 &d);
	CHECK(s == NULL);
	CHECK_INT(d.count, 3);
	if (d.count == 3) {
		CHECK_INT(d.v[0].line, 4);
		CHECK_INT(d.v[0].col, 13);
		CHECK(strstr(d.v[0].msg, "unknown key 'fdd'; did you mean 'fd'?") != NULL);
		CHECK_INT(d.v[1].line, 5);
		CHECK(strstr(d.v[1].msg, "expected a scalar here, not a list") != NULL);
		CHECK_INT(d.v[2].line, 6);
		CHECK(strstr(d.v[2].msg, "unknown key 'bogus'") != NULL);
	}
	rp_diags_free(&d);
}

/* Positions of compile errors come from reading the file again: only if it is the same file. */
static void test_reread(void)
{
	char file[] = "/tmp/replay-unit-read-XXXXXX";
	int fd = mkstemp(file);
	const char *text = "name: t\nsteps:\n  - call: close\n";
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	for (int changed = 0; changed < 2; changed++) {
		struct rp_diags d;
		rp_diags_init(&d, file);
		struct rp_spec *s = rp_spec_load(file, &d);
		CHECK(s != NULL);
		CHECK(d.source == NULL && d.reread == 1); /* a regular file's text is dropped */
		if (changed) {
			FILE *f = fopen(file, "a");
			fputs("# edited\n", f);
			fclose(f);
		}
		rp_diag_path(&d, RP_ERROR, "steps.0.call", "probe");
		rp_diags_locate(&d);
		const struct rp_diag *probe = NULL, *note = NULL;
		for (unsigned i = 0; i < d.count; i++)
			if (d.v[i].severity == RP_NOTE)
				note = &d.v[i];
			else
				probe = &d.v[i];
		CHECK(probe != NULL);
		if (probe && !changed) {
			CHECK_INT(probe->line, 3);
			CHECK_INT(probe->col, 11);
			CHECK(note == NULL);
		}
		if (probe && changed) {
			CHECK_INT(probe->line, 0);
			CHECK(note != NULL && strstr(note->msg, "the file changed") != NULL);
		}
		rp_spec_free(s);
		rp_diags_free(&d);
	}
	unlink(file);
}

int main(void)
{
	test_record_size();
	test_steps_and_args();
	test_nested_values();
	test_two_keys();
	test_groups();
	test_errors();
	test_reread();
	return check_report();
}
