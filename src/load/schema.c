/*
 * The spec's libcyaml schema, beside the structs it fills (replay/spec.h),
 * and the loader that turns libcyaml's log text into positioned errors.
 * Every scalar is loaded as a string: the compiler parses numbers itself,
 * because libcyaml accepts "430abc" and reads "010" as octal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "replay/load.h"
#include "spec_mem.h"
#include "validate.h"

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

static const cyaml_schema_field_t value_fields[] = {
	STR("int", struct rp_value, int_),
	STR("const", struct rp_value, const_),
	CYAML_FIELD_SEQUENCE("flags", OPT, struct rp_value, flags, &string_entry, 1,
			     CYAML_UNLIMITED),
	STR("cstring", struct rp_value, cstring),
	STR("path", struct rp_value, path),
	CYAML_FIELD_MAPPING_PTR("tempfile", OPT, struct rp_value, tempfile, file_fields),
	STR("fd", struct rp_value, fd),
	STR("ret", struct rp_value, ret),
	STR("null", struct rp_value, null),
	CYAML_FIELD_MAPPING_PTR("buffer", OPT, struct rp_value, buffer, buffer_fields),
	CYAML_FIELD_MAPPING_PTR("struct", OPT, struct rp_value, struct_, struct_fields),
	CYAML_FIELD_MAPPING_PTR("bytes", OPT, struct rp_value, bytes, bytes_fields),
	STR("sizeof", struct rp_value, sizeof_),
	STR("ref", struct rp_value, ref),
	CYAML_FIELD_MAPPING_PTR("load", OPT, struct rp_value, load, load_fields),
	STR("pid", struct rp_value, pid),
	STR("tid", struct rp_value, tid),
	STR("run_id", struct rp_value, run_id),
	CYAML_FIELD_MAPPING_PTR("array", OPT, struct rp_value, array, array_fields),
	CYAML_FIELD_MAPPING_PTR("chars", OPT, struct rp_value, chars, chars_fields),
	STR("type", struct rp_value, type),
	STR("u8", struct rp_value, u8),
	STR("u16", struct rp_value, u16),
	STR("u32", struct rp_value, u32),
	STR("u64", struct rp_value, u64),
	STR("i8", struct rp_value, i8),
	STR("i16", struct rp_value, i16),
	STR("i32", struct rp_value, i32),
	STR("i64", struct rp_value, i64),
	CYAML_FIELD_END,
};

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

/* What libcyaml said: its first error line and the innermost backtrace position. */
struct cyaml_report {
	char msg[512];
	unsigned line, col;
	int in_backtrace;
};

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static void log_hook(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cyaml_report *r = ctx;
	char line[480];
	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, args);
	chomp(line);
	const char *text = strncmp(line, "Load: ", 6) == 0 ? line + 6 : line;
	if (strcmp(text, "Backtrace:") == 0) {
		r->in_backtrace = 1;
		return;
	}
	unsigned l, c;
	const char *pos = strstr(text, "(line: ");
	if (r->in_backtrace && pos && !r->line && sscanf(pos, "(line: %u, column: %u)", &l, &c) == 2) {
		r->line = l;
		r->col = c;
		return;
	}
	if (!r->msg[0] && !r->in_backtrace)
		snprintf(r->msg, sizeof(r->msg), "%s", text);
}

static const char *node_kind(const char *name)
{
	if (strncmp(name, "SEQUENCE", 8) == 0)
		return "a list";
	if (strncmp(name, "MAPPING", 7) == 0)
		return "a mapping";
	if (strcmp(name, "STRING") == 0 || strcmp(name, "SCALAR") == 0)
		return "a scalar";
	return NULL;
}

/* "Expecting STRING, got event: SEQUENCE_START" -> "expected a scalar here, not a list" */
static void reword_type_error(char *msg, size_t size)
{
	char want[32], got[32];
	if (sscanf(msg, "Expecting %31[A-Z_], got event: %31[A-Z_]", want, got) != 2)
		return;
	const char *w = node_kind(want), *g = node_kind(got);
	if (w && g)
		snprintf(msg, size, "expected %s here, not %s", w, g);
}

static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
}

static cyaml_config_t config(struct cyaml_report *r, struct rp_spec_mem *mem)
{
	return (cyaml_config_t){
		.log_fn = log_hook,
		.log_ctx = r,
		.mem_fn = rp_spec_mem_fn,
		.mem_ctx = mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_NO_ALIAS,
	};
}

/* A "---" or "..." line: where a second YAML document could begin. */
static int has_document_marker(const unsigned char *text, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++) {
		if ((i == 0 || text[i - 1] == '\n') &&
		    (memcmp(text + i, "---", 3) == 0 || memcmp(text + i, "...", 3) == 0) &&
		    (i + 3 == len || strchr(" \t\r\n", text[i + 3])))
			return 1;
	}
	return 0;
}

/* Parse diags->source; the loaders below only differ in how the text arrives. */
static struct rp_spec *load_source(struct rp_diags *diags)
{
	struct cyaml_report report = {0};
	struct rp_spec *spec = NULL;
	struct rp_spec_mem *mem = rp_spec_mem_new();
	if (!mem)
		abort();
	cyaml_config_t cfg = config(&report, mem);
	cyaml_err_t err = cyaml_load_data(diags->source, diags->source_len, &cfg, &spec_schema,
					  (cyaml_data_t **)&spec, NULL);
	if (err == CYAML_OK && spec)
		spec->mem = mem;
	else
		rp_spec_mem_free(mem);
	if (err == CYAML_OK && spec && !has_document_marker(diags->source, diags->source_len))
		return spec;
	if (err == CYAML_OK && spec) {
		/* libcyaml reads the first document and ignores the rest: refuse a second. */
		if (rp_validate_yaml(diags->source, diags->source_len, &spec_schema, diags) == 0)
			return spec;
		rp_spec_free(spec);
		return NULL;
	}
	if (err == CYAML_OK) { /* nothing but comments, or nothing at all */
		rp_diag_at(diags, RP_ERROR, 1, 1, "the spec is empty: it needs at least name: and steps:");
		return NULL;
	}
	/* Our own walk finds every structural problem at its exact place. */
	if (rp_validate_yaml(diags->source, diags->source_len, &spec_schema, diags) > 0)
		return NULL;
	if (!report.msg[0])
		snprintf(report.msg, sizeof(report.msg), "%s", cyaml_strerror(err));
	reword_type_error(report.msg, sizeof(report.msg));
	lower_first(report.msg);
	rp_diag_at(diags, RP_ERROR, report.line, report.col, "%s", report.msg);
	return NULL;
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

struct rp_spec *rp_spec_load(const char *file, struct rp_diags *diags)
{
	diags->file = file;
	if (rp_diags_read_source(diags) != 0)
		return NULL;
	struct rp_spec *spec = load_source(diags);
	if (spec && !diags->count) {
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
	if (spec)
		rp_spec_mem_free(spec->mem); /* the spec itself lives there too */
}
