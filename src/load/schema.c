/*
 * The spec's libcyaml schema, beside the structs it fills (replay/spec.h),
 * and the loader that reads a spec file with it (src/load/read.c does the
 * walk).  Every scalar is loaded as a string: the compiler parses numbers
 * itself, because libcyaml accepts "430abc" and reads "010" as octal.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "replay/load.h"
#include "read.h"

#define OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define STR(key, type, member) \
	CYAML_FIELD_STRING_PTR(key, OPT, type, member, 0, CYAML_UNLIMITED)
#define REQ_STR(key, type, member) \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER, type, member, 0, CYAML_UNLIMITED)

static const cyaml_schema_value_t string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t file_fields[] = {
	REQ_STR("name", struct rp_file, name),
	STR("content", struct rp_file, content),
	STR("mode", struct rp_file, mode),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t file_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct rp_file, file_fields),
};

static const cyaml_schema_field_t buffer_fields[] = {
	STR("name", struct rp_buffer, name),
	REQ_STR("size", struct rp_buffer, size),
	STR("fill", struct rp_buffer, fill),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t bytes_fields[] = {
	STR("name", struct rp_bytes, name),
	REQ_STR("hex", struct rp_bytes, hex),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t load_fields[] = {
	REQ_STR("from", struct rp_load, from),
	STR("offset", struct rp_load, offset),
	REQ_STR("type", struct rp_load, type),
	CYAML_FIELD_END,
};

/* Values nest through structs, so the schema refers to itself. */
static const cyaml_schema_value_t value_entry;

static const cyaml_schema_field_t array_fields[] = {
	STR("name", struct rp_array, name),
	CYAML_FIELD_SEQUENCE("items", CYAML_FLAG_POINTER, struct rp_array, items, &value_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t chars_fields[] = {
	STR("name", struct rp_chars, name),
	REQ_STR("size", struct rp_chars, size),
	STR("text", struct rp_chars, text),
	STR("path", struct rp_chars, path),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t struct_fields[] = {
	STR("name", struct rp_struct, name),
	CYAML_FIELD_SEQUENCE("fields", CYAML_FLAG_POINTER, struct rp_struct, fields,
			     &value_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

/* Keyed (see read.h): the builder keys share one slot, `keys` says which were given. */
#define BUILDER(key, index, member) [index] = STR(key, struct rp_value, member)
#define BUILDER_MAPPING(key, index, member, fields) \
	[index] = CYAML_FIELD_MAPPING_PTR(key, OPT, struct rp_value, member, fields)

static const cyaml_schema_field_t value_fields[RP_KEY_COUNT + 1] = {
	BUILDER("int", RP_KEY_INT, text),
	BUILDER("const", RP_KEY_CONST, text),
	[RP_KEY_FLAGS] = CYAML_FIELD_SEQUENCE("flags", OPT, struct rp_value, flags, &string_entry,
					      1, CYAML_UNLIMITED),
	BUILDER("cstring", RP_KEY_CSTRING, text),
	BUILDER("path", RP_KEY_PATH, text),
	BUILDER_MAPPING("tempfile", RP_KEY_TEMPFILE, tempfile, file_fields),
	BUILDER("fd", RP_KEY_FD, text),
	BUILDER("ret", RP_KEY_RET, text),
	BUILDER("null", RP_KEY_NULL, text),
	BUILDER_MAPPING("buffer", RP_KEY_BUFFER, buffer, buffer_fields),
	BUILDER_MAPPING("struct", RP_KEY_STRUCT, struct_, struct_fields),
	BUILDER_MAPPING("bytes", RP_KEY_BYTES, bytes, bytes_fields),
	BUILDER("sizeof", RP_KEY_SIZEOF, text),
	BUILDER("ref", RP_KEY_REF, text),
	BUILDER_MAPPING("load", RP_KEY_LOAD, load, load_fields),
	BUILDER("pid", RP_KEY_PID, text),
	BUILDER("tid", RP_KEY_TID, text),
	BUILDER("run_id", RP_KEY_RUN_ID, text),
	BUILDER_MAPPING("array", RP_KEY_ARRAY, array, array_fields),
	BUILDER_MAPPING("chars", RP_KEY_CHARS, chars, chars_fields),
	[RP_KEY_TYPE] = STR("type", struct rp_value, type),
	BUILDER("u8", RP_KEY_U8, text),
	BUILDER("u16", RP_KEY_U16, text),
	BUILDER("u32", RP_KEY_U32, text),
	BUILDER("u64", RP_KEY_U64, text),
	BUILDER("i8", RP_KEY_I8, text),
	BUILDER("i16", RP_KEY_I16, text),
	BUILDER("i32", RP_KEY_I32, text),
	BUILDER("i64", RP_KEY_I64, text),
	[RP_KEY_COUNT] = CYAML_FIELD_END,
};
_Static_assert(RP_KEY_COUNT <= 32, "a keyed record holds one bit per key");

static const cyaml_schema_value_t value_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct rp_value, value_fields),
};

static const cyaml_schema_field_t arch_number_fields[] = {
	STR("x86_64", struct rp_arch_numbers, x86_64),
	STR("aarch64", struct rp_arch_numbers, aarch64),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t override_fields[] = {
	REQ_STR("name", struct rp_syscall_override, name),
	STR("x86_64", struct rp_syscall_override, x86_64),
	STR("aarch64", struct rp_syscall_override, aarch64),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t override_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct rp_syscall_override, override_fields),
};

static const cyaml_schema_field_t sysctl_fields[] = {
	REQ_STR("name", struct rp_sysctl, name),
	REQ_STR("value", struct rp_sysctl, value),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t sysctl_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct rp_sysctl, sysctl_fields),
};

static const cyaml_schema_field_t needs_fields[] = {
	STR("kernel", struct rp_needs, kernel),
	CYAML_FIELD_SEQUENCE("arch", OPT, struct rp_needs, arch, &string_entry, 1, CYAML_UNLIMITED),
	STR("root", struct rp_needs, root),
	CYAML_FIELD_SEQUENCE("caps", OPT, struct rp_needs, caps, &string_entry, 1, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("syscalls", OPT, struct rp_needs, syscalls, &string_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("sysctl", OPT, struct rp_needs, sysctl, &sysctl_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t when_fields[] = {
	STR("ok", struct rp_when, ok),
	STR("failed", struct rp_when, failed),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t expect_fields[] = {
	STR("ret", struct rp_expect, ret),
	CYAML_FIELD_SEQUENCE("errno", OPT, struct rp_expect, errnos, &string_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("skip", OPT, struct rp_expect, skip, &string_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

/* Groups hold steps, so the step schema refers to itself. */
static const cyaml_schema_value_t step_entry;

static const cyaml_schema_field_t process_fields[] = {
	CYAML_FIELD_SEQUENCE("steps", CYAML_FLAG_POINTER, struct rp_group, steps, &step_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t loop_fields[] = {
	STR("repeat", struct rp_group, repeat),
	STR("duration", struct rp_group, duration),
	STR("pause", struct rp_group, pause),
	CYAML_FIELD_SEQUENCE("steps", CYAML_FLAG_POINTER, struct rp_group, steps, &step_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t threads_fields[] = {
	REQ_STR("count", struct rp_group, count),
	STR("name", struct rp_group, name),
	CYAML_FIELD_SEQUENCE("steps", CYAML_FLAG_POINTER, struct rp_group, steps, &step_entry, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t step_fields[] = {
	STR("id", struct rp_step, id),
	STR("call", struct rp_step, call),
	CYAML_FIELD_MAPPING_PTR("process", OPT, struct rp_step, process, process_fields),
	CYAML_FIELD_MAPPING_PTR("loop", OPT, struct rp_step, loop, loop_fields),
	CYAML_FIELD_MAPPING_PTR("threads", OPT, struct rp_step, threads, threads_fields),
	CYAML_FIELD_MAPPING_PTR("nr", OPT, struct rp_step, nr, arch_number_fields),
	CYAML_FIELD_SEQUENCE("args", OPT, struct rp_step, args, &value_entry, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("when", OPT, struct rp_step, when, when_fields),
	CYAML_FIELD_MAPPING_PTR("expect", OPT, struct rp_step, expect, expect_fields),
	STR("repeat", struct rp_step, repeat),
	CYAML_FIELD_MAPPING_PTR("needs", OPT, struct rp_step, needs, needs_fields),
	STR("comment", struct rp_step, comment),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t step_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct rp_step, step_fields),
};

static const cyaml_schema_field_t sandbox_fields[] = {
	CYAML_FIELD_SEQUENCE("dirs", OPT, struct rp_sandbox, dirs, &string_entry, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("files", OPT, struct rp_sandbox, files, &file_entry, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t spec_fields[] = {
	REQ_STR("name", struct rp_spec, name),
	STR("description", struct rp_spec, description),
	CYAML_FIELD_SEQUENCE("isolate", OPT, struct rp_spec, isolate, &string_entry, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("tags", OPT, struct rp_spec, tags, &string_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("needs", OPT, struct rp_spec, needs, needs_fields),
	CYAML_FIELD_MAPPING_PTR("sandbox", OPT, struct rp_spec, sandbox, sandbox_fields),
	CYAML_FIELD_SEQUENCE("syscalls", OPT, struct rp_spec, syscalls, &override_entry, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("steps", CYAML_FLAG_POINTER, struct rp_spec, steps, &step_entry,
			     1, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t spec_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct rp_spec, spec_fields),
};

static const struct rp_read_schema spec_reading = {
	.root = &spec_schema,
	.keyed = value_fields,
	.keys_offset = offsetof(struct rp_value, keys),
};

/* Parse diags->source; the loaders below only differ in how the text arrives. */
static struct rp_spec *load_source(struct rp_diags *diags)
{
	struct rp_arena *mem = calloc(1, sizeof(*mem));
	if (!mem)
		abort();
	struct rp_spec *spec = rp_read_yaml(diags->source, diags->source_len, &spec_reading, mem,
					    diags);
	if (!spec) {
		rp_arena_free(mem);
		free(mem);
		return NULL;
	}
	spec->mem = mem;
	return spec;
}

#define MAX_SPEC_BYTES (256u << 20)

int rp_diags_read_source(struct rp_diags *diags)
{
	FILE *f = fopen(diags->file, "rb");
	if (!f) {
		rp_diag_at(diags, RP_ERROR, 0, 0, "cannot open spec: %s", strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, len = 0;
	unsigned char *text = malloc(cap);
	for (size_t n; text && (n = fread(text + len, 1, cap - len, f)) > 0;) {
		len += n;
		if (len == cap && cap < MAX_SPEC_BYTES) {
			unsigned char *bigger = realloc(text, cap *= 2);
			if (!bigger)
				free(text);
			text = bigger;
		} else if (len == cap) {
			break;
		}
	}
	int bad = ferror(f) || !text || len >= MAX_SPEC_BYTES;
	struct stat st;
	if (!bad && fstat(fileno(f), &st) == 0) {
		unsigned long long stamp[5] = {st.st_dev, st.st_ino, (unsigned long long)st.st_size,
					       (unsigned long long)st.st_mtim.tv_sec,
					       (unsigned long long)st.st_mtim.tv_nsec};
		memcpy(diags->stamp, stamp, sizeof(stamp));
		diags->regular = S_ISREG(st.st_mode);
	}
	fclose(f);
	if (bad) {
		free(text);
		rp_diag_at(diags, RP_ERROR, 0, 0, "cannot read spec (larger than %u MiB?)",
			   MAX_SPEC_BYTES >> 20);
		return -1;
	}
	free(diags->source);
	diags->source = text;
	diags->source_len = len;
	return 0;
}

int rp_diags_reread(struct rp_diags *diags)
{
	unsigned long long loaded[5];
	memcpy(loaded, diags->stamp, sizeof(loaded));
	diags->reread = 0; /* once: a failure is not retried for every diagnostic */
	if (rp_diags_read_source(diags) != 0)
		return -1;
	if (memcmp(loaded, diags->stamp, sizeof(loaded)) == 0)
		return 0;
	free(diags->source);
	diags->source = NULL;
	diags->source_len = 0;
	rp_diag_at(diags, RP_NOTE, 0, 0, "the file changed while replay read it: positions not shown");
	return -1;
}

struct rp_spec *rp_spec_load(const char *file, struct rp_diags *diags)
{
	diags->file = file;
	if (rp_diags_read_source(diags) != 0)
		return NULL;
	struct rp_spec *spec = load_source(diags);
	if (spec && !diags->count && diags->regular) {
		/* Compile errors are rare: the file is read again if they need placing. */
		free(diags->source);
		diags->source = NULL;
		diags->source_len = 0;
		diags->reread = 1;
	}
	return spec;
}

struct rp_spec *rp_spec_load_data(const void *data, size_t len, struct rp_diags *diags)
{
	free(diags->source);
	diags->source = malloc(len ? len : 1);
	if (!diags->source)
		abort();
	memcpy(diags->source, data, len);
	diags->source_len = len;
	return load_source(diags);
}

void rp_spec_free(struct rp_spec *spec)
{
	if (!spec)
		return;
	struct rp_arena *mem = spec->mem; /* the spec itself lives there too */
	rp_arena_free(mem);
	free(mem);
}
