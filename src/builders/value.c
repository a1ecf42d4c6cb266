/*
 * Argument builders: each key of a value mapping names one builder.
 * A builder turns its YAML scalar (or mapping) into bytes at `dst`, a 64-bit
 * syscall argument or a struct field of `width` bytes, and returns the text
 * used when the call is rendered.  Results of earlier steps and sandbox
 * paths are not known yet: those builders register a fixup or relocation.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "replay/arena.h"
#include "replay/compile.h"
#include "replay/tables.h"

static const struct builder_key {
	const char *key;
	uint8_t arg_kind;
	uint8_t width;   /* width keys: bytes; pointers: 8; 0: needs `type:` in a struct */
} builder_keys[RP_KEY_TYPE] = {
	[RP_KEY_INT] = {"int", RP_ARG_INT, 0},
	[RP_KEY_CONST] = {"const", RP_ARG_CONST, 0},
	[RP_KEY_FLAGS] = {"flags", RP_ARG_FLAGS, 0},
	[RP_KEY_CSTRING] = {"cstring", RP_ARG_CSTRING, 8},
	[RP_KEY_PATH] = {"path", RP_ARG_PATH, 8},
	[RP_KEY_TEMPFILE] = {"tempfile", RP_ARG_PATH, 8},
	[RP_KEY_FD] = {"fd", RP_ARG_FD, 0},
	[RP_KEY_RET] = {"ret", RP_ARG_RET, 0},
	[RP_KEY_NULL] = {"null", RP_ARG_NULL, 8},
	[RP_KEY_BUFFER] = {"buffer", RP_ARG_OBJECT, 8},
	[RP_KEY_STRUCT] = {"struct", RP_ARG_OBJECT, 8},
	[RP_KEY_BYTES] = {"bytes", RP_ARG_OBJECT, 8},
	[RP_KEY_SIZEOF] = {"sizeof", RP_ARG_SIZEOF, 0},
	[RP_KEY_REF] = {"ref", RP_ARG_OBJECT, 8},
	[RP_KEY_LOAD] = {"load", RP_ARG_LOAD, 0},
	[RP_KEY_PID] = {"pid", RP_ARG_SELF, 0},
	[RP_KEY_TID] = {"tid", RP_ARG_SELF, 0},
	[RP_KEY_RUN_ID] = {"run_id", RP_ARG_CSTRING, 8},
	[RP_KEY_ARRAY] = {"array", RP_ARG_OBJECT, 8},
	[RP_KEY_CHARS] = {"chars", RP_ARG_OBJECT, 8},
	[RP_KEY_U8] = {"u8", RP_ARG_INT, 1},
	[RP_KEY_U16] = {"u16", RP_ARG_INT, 2},
	[RP_KEY_U32] = {"u32", RP_ARG_INT, 4},
	[RP_KEY_U64] = {"u64", RP_ARG_INT, 8},
	[RP_KEY_I8] = {"i8", RP_ARG_INT, 1},
	[RP_KEY_I16] = {"i16", RP_ARG_INT, 2},
	[RP_KEY_I32] = {"i32", RP_ARG_INT, 4},
	[RP_KEY_I64] = {"i64", RP_ARG_INT, 8},
};

typedef enum rp_value_key builder;

/* Builders whose scalar is their value: YAML null (~) there is a mistake.
 * null: and run_id: take ~; flags and the mapping builders are not scalars. */
static int needs_text(int k)
{
	switch (k) {
	case RP_KEY_NULL: case RP_KEY_RUN_ID: case RP_KEY_FLAGS: case RP_KEY_TEMPFILE:
	case RP_KEY_BUFFER: case RP_KEY_STRUCT: case RP_KEY_BYTES: case RP_KEY_LOAD:
	case RP_KEY_ARRAY: case RP_KEY_CHARS:
		return 0;
	default: /* int, const, cstring, path, fd, ret, sizeof, ref, pid, tid, u8 .. i64 */
		return 1;
	}
}

static int null_value(struct rp_build *b, int k)
{
	size_t mark = rp_path_push(b, "%s", builder_keys[k].key);
	rp_error(b, "%s: needs a value, not YAML null (~, null or nothing)%s", builder_keys[k].key,
		 k == RP_KEY_CSTRING || k == RP_KEY_PATH ? "; for a NULL pointer write {null: ~}" : "");
	rp_path_pop(b, mark);
	return -1;
}

/* The one builder key of a value mapping; -1 (reported) if none or several. */
static int which_builder(struct rp_build *b, const struct rp_value *v)
{
	uint32_t given = v->keys & RP_BUILDER_KEYS;
	if (given && !(given & (given - 1)))
		return needs_text(__builtin_ctz(given)) && v->text == rp_yaml_null
			       ? null_value(b, __builtin_ctz(given))
			       : __builtin_ctz(given);
	if (!given) {
		rp_error(b, "value has no builder key (one of int, const, flags, cstring, path, "
			    "tempfile, fd, ret, null, buffer, struct, bytes, sizeof, ref, load, pid, tid, array, chars, run_id; "
			    "in a struct field also u8, u16, u32, u64, i8, i16, i32, i64)");
		return -1;
	}
	char keys[256] = "";
	for (int k = 0; k < RP_KEY_TYPE; k++)
		if (given >> k & 1) {
			if (keys[0])
				strncat(keys, ", ", sizeof(keys) - strlen(keys) - 1);
			strncat(keys, builder_keys[k].key, sizeof(keys) - strlen(keys) - 1);
		}
	rp_error(b, "value has %d builder keys (%s); give exactly one", __builtin_popcount(given), keys);
	return -1;
}

/* A struct field's type as rendered: its type:, its width key, or ptr. */
const char *rp_field_type(const struct rp_value *v)
{
	if (v->type)
		return v->type;
	for (int k = RP_KEY_U8; k <= RP_KEY_I64; k++)
		if (rp_value_of(v, (builder)k))
			return builder_keys[k].key;
	return "ptr";
}

void rp_store(void *dst, unsigned width, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;
	switch (width) {
	case 1: memcpy(dst, &u8, 1); break;
	case 2: memcpy(dst, &u16, 2); break;
	case 4: memcpy(dst, &u32, 4); break;
	default: memcpy(dst, &v, 8); break;
	}
}

static int constant_value(struct rp_build *b, const char *name, int64_t *out)
{
	const struct rp_constant *c = rp_constant_by_name(name);
	if (c) {
		*out = c->value;
		return 0;
	}
	const char *near = rp_closest_constant(name);
	if (near)
		rp_error(b, "unknown constant '%s'; did you mean '%s'?", name, near);
	else
		rp_error(b, "unknown constant '%s'", name);
	return -1;
}

static int is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

/* One term: a number or a constant name. */
static int term_value(struct rp_build *b, const char *term, int64_t *out)
{
	if (is_name_start(term[0]))
		return constant_value(b, term, out);
	if (rp_parse_number(term, out) == 0)
		return 0;
	rp_error(b, "'%s' is not a number (decimal, 0x hex, 0o or leading-0 octal, 0b binary) "
		    "or a constant name", term);
	return -1;
}

/* "A|B|0x10": terms OR'd together. */
int rp_scalar_expr(struct rp_build *b, const char *text, int64_t *out)
{
	char buf[256];
	uint64_t acc = 0;
	const char *p = text;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(buf)) {
			rp_error(b, "'%s' is not a number, constant or A|B expression", text);
			return -1;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		int64_t v;
		if (term_value(b, buf, &v) != 0)
			return -1;
		acc |= (uint64_t)v;
		if (!bar)
			break;
		p = bar + 1;
	}
	*out = (int64_t)acc;
	return 0;
}

static int build_int(struct rp_build *b, const char *text, int64_t *out)
{
	if (rp_parse_number(text, out) == 0)
		return 0;
	if (is_name_start(text[0]) && rp_constant_by_name(text))
		rp_error(b, "'%s' is a constant, not an integer: write {const: %s}", text, text);
	else
		rp_error(b, "'%s' is not an integer (decimal, 0x hex, 0o or leading-0 octal, 0b binary, "
			    "optionally negative, within 64 bits)", text);
	return -1;
}

/* "A|B|C", built once: joining one flag at a time was quadratic in long lists. */
static const char *join_flags(struct rp_build *b, const struct rp_value *v, size_t len)
{
	char *joined = rp_arena_alloc(&b->prog->arena, len ? len : 1, 1), *p = joined;
	for (unsigned i = 0; i < v->flags_count; i++) {
		size_t n = strlen(v->flags[i]);
		if (i)
			*p++ = '|';
		memcpy(p, v->flags[i], n);
		p += n;
	}
	*p = '\0';
	return joined;
}

static int build_flags(struct rp_build *b, const struct rp_value *v, int64_t *out,
		       const char **text)
{
	uint64_t acc = 0;
	int bad = 0;
	size_t len = 0;
	for (unsigned i = 0; i < v->flags_count; i++) {
		size_t mark = rp_path_push(b, "flags.%u", i);
		int64_t term;
		if (rp_scalar_expr(b, v->flags[i], &term) != 0)
			bad = 1;
		else
			acc |= (uint64_t)term;
		rp_path_pop(b, mark);
		len += strlen(v->flags[i]) + 1;
	}
	*out = (int64_t)acc;
	*text = b->render ? join_flags(b, v, len) : NULL;
	return bad ? -1 : 0;
}

static const char *quote(struct rp_build *b, const char *s)
{
	if (!b->render)
		return NULL;
	size_t n = strlen(s);
	char *q = rp_arena_alloc(&b->prog->arena, n * 4 + 3, 1), *p = q;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			p += sprintf(p, "\\%c", c);
		else if (c == '\n')
			p += sprintf(p, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p++ = '"';
	*p = '\0';
	return q;
}

static int build_reference(struct rp_build *b, const char *id, builder k, void *dst,
			   unsigned width, const char **text)
{
	unsigned src;
	if (rp_step_ref(b, id, &src) != 0)
		return -1;
	if (k == RP_KEY_FD && !(b->prog->info[src].flags & RP_SC_RETFD))
		rp_warning(b, "step '%s' calls %s, which does not return a file descriptor", id,
			   b->prog->info[src].call);
	rp_add_fixup(b, dst, width, src, k == RP_KEY_FD ? RP_REF_FD : RP_REF_RET);
	*text = rp_text(b, "%s(%s)", k == RP_KEY_FD ? "fd" : "ret", id);
	return 0;
}

static int build_path(struct rp_build *b, const char *rel, uint64_t *slot, const char **text)
{
	if (rp_sandbox_relpath(b, rel) != 0)
		return -1;
	rp_add_reloc(b, slot, rel);
	*text = strcmp(rel, ".") == 0 ? "\"<sandbox>\""
				      : rp_text(b, "\"<sandbox>/%s\"", rel);
	return 0;
}

static int pointer_builder(struct rp_build *b, const struct rp_value *v, builder k,
			   uint64_t *slot, const char **text)
{
	size_t mark = rp_path_push(b, "%s", builder_keys[k].key);
	int rc = 0;
	switch (k) {
	case RP_KEY_CSTRING:
		*slot = (uint64_t)(uintptr_t)rp_arena_strdup(&b->prog->arena, v->text);
		*text = quote(b, v->text);
		break;
	case RP_KEY_PATH:
		rc = build_path(b, v->text, slot, text);
		break;
	case RP_KEY_TEMPFILE:
		rc = rp_add_sandbox_file(b, v->tempfile);
		if (rc == 0) {
			size_t m2 = rp_path_push(b, "name");
			rc = build_path(b, v->tempfile->name, slot, text);
			rp_path_pop(b, m2);
		}
		break;
	case RP_KEY_NULL:
		*slot = 0;
		*text = "NULL";
		break;
	case RP_KEY_BUFFER:
		rc = rp_build_buffer(b, v->buffer, slot, text);
		break;
	case RP_KEY_STRUCT:
		rc = rp_build_struct(b, v->struct_, slot, text);
		break;
	case RP_KEY_BYTES:
		rc = rp_build_bytes(b, v->bytes, slot, text);
		break;
	case RP_KEY_ARRAY:
	case RP_KEY_CHARS:
		rp_path_pop(b, mark); /* the aggregate builder names its own path */
		mark = rp_path_mark(b);
		rc = rp_build_aggregate(b, v, slot, text);
		break;
	case RP_KEY_RUN_ID: /* bound with the sandbox: the run's nonce, as a C string */
		rp_add_reloc(b, slot, NULL);
		*text = "run_id";
		break;
	case RP_KEY_REF:
		rc = rp_object_ref(b, v->text, slot);
		*text = rp_text(b, "&%s", v->text);
		break;
	default:
		break;
	}
	rp_path_pop(b, mark);
	return rc;
}

/* Scalar builders: value into `dst` of `width` bytes. */
/* "a u8", "an i8", "an int", "an fd": the article as it is read aloud. */
static const char *article(const char *word)
{
	return strchr("aeio", word[0]) || strcmp(word, "fd") == 0 ? "an" : "a";
}

/* Does v fit a field of this type ("u8" .. "i64")?  Unsigned fields take 0..2^N-1,
 * signed ones -2^(N-1)..2^(N-1)-1: write 0xffffffff, not -1, for an all-ones u32. */
static int fits(const char *type, unsigned width, int64_t v)
{
	if (width >= 8)
		return 1;
	int64_t bits = (int64_t)width * 8;
	if (type[0] == 'i')
		return v >= -(INT64_C(1) << (bits - 1)) && v < (INT64_C(1) << (bits - 1));
	return v >= 0 && v < (INT64_C(1) << bits);
}

/* field_type: "u8" .. "i64" for struct fields (range-checked), NULL for arguments. */
static int scalar_builder(struct rp_build *b, const struct rp_value *v, builder k,
			  void *dst, unsigned width, const char *field_type, const char **text)
{
	size_t mark = rp_path_push(b, "%s", builder_keys[k].key);
	int64_t val = 0;
	int rc = 0;
	switch (k) {
	case RP_KEY_INT:
		rc = build_int(b, v->text, &val);
		*text = v->text;
		break;
	case RP_KEY_CONST:
		if (strchr(v->text, '|')) {
			rp_error(b, "const takes one constant name, not the expression '%s' "
				    "(use flags: for A|B)", v->text);
			rc = -1;
		} else if (!is_name_start(v->text[0])) {
			rp_error(b, "const takes a constant name, not '%s' (use int: for numbers)",
				 v->text);
			rc = -1;
		} else {
			rc = constant_value(b, v->text, &val);
		}
		*text = v->text;
		break;
	case RP_KEY_FLAGS:
		rp_path_pop(b, mark);
		mark = rp_path_mark(b);
		rc = build_flags(b, v, &val, text);
		break;
	case RP_KEY_FD:
	case RP_KEY_RET:
		rc = build_reference(b, v->text, k, dst, width, text);
		rp_path_pop(b, mark);
		return rc;
	case RP_KEY_LOAD:
		rc = rp_build_load(b, v->load, dst, width, text);
		rp_path_pop(b, mark);
		return rc;
	case RP_KEY_PID:
	case RP_KEY_TID:
		/* Known only in the process (or thread) that runs the step. */
		if (strcmp(v->text, "self") != 0) {
			rp_error(b, "%s takes 'self' (the process or thread running the step), not '%s'",
				 builder_keys[k].key, v->text);
			rc = -1;
		} else {
			rp_add_fixup(b, dst, width, b->step, k == RP_KEY_PID ? RP_REF_PID : RP_REF_TID);
			*text = rp_text(b, "%s(self)", builder_keys[k].key);
		}
		rp_path_pop(b, mark);
		return rc;
	case RP_KEY_SIZEOF: {
		size_t size = 0;
		rc = rp_object_size(b, v->text, &size);
		val = (int64_t)size;
		*text = rp_text(b, "%zu", size);
		break;
	}
	default: /* width keys */
		rc = rp_scalar_expr(b, v->text, &val);
		*text = v->text;
		break;
	}
	if (rc == 0 && field_type && !fits(field_type, width, val)) {
		rp_error(b, "value %lld does not fit %s %s field", (long long)val, article(field_type),
			 field_type);
		rc = -1;
	}
	if (rc == 0)
		rp_store(dst, width, (uint64_t)val);
	rp_path_pop(b, mark);
	return rc;
}

static int is_pointer_builder(builder k)
{
	return k == RP_KEY_CSTRING || k == RP_KEY_PATH || k == RP_KEY_TEMPFILE || k == RP_KEY_NULL || k == RP_KEY_BUFFER ||
	       k == RP_KEY_STRUCT || k == RP_KEY_BYTES || k == RP_KEY_REF || k == RP_KEY_ARRAY || k == RP_KEY_CHARS ||
	       k == RP_KEY_RUN_ID;
}

/* What lies behind a pointer argument, for the event record (size, or a C string). */
static uint32_t pointed_bytes(struct rp_build *b, const struct rp_value *v, builder k)
{
	size_t size = 0;
	struct rp_diags *loud = b->diags, quiet;
	rp_diags_init(&quiet, loud->file);
	b->diags = &quiet; /* sizes were checked where the values were built */
	switch (k) {
	case RP_KEY_CSTRING:
	case RP_KEY_PATH:
	case RP_KEY_TEMPFILE:
	case RP_KEY_RUN_ID:
		size = RP_ARG_STRING;
		break;
	case RP_KEY_REF:
		rp_object_size(b, v->text, &size);
		break;
	case RP_KEY_NULL:
		break;
	default:
		rp_value_size(b, v, &size);
	}
	b->diags = loud;
	rp_diags_free(&quiet);
	return (uint32_t)size;
}

/* {u8: ...} as an argument: passed as 64 bits, but it must fit its width ({u8: 0x1ff} does not). */
static int width_argument(struct rp_build *b, const struct rp_value *v, builder k, uint64_t *slot,
			  const char **text)
{
	if (scalar_builder(b, v, k, slot, 8, NULL, text) != 0)
		return -1;
	if (fits(builder_keys[k].key, builder_keys[k].width, (int64_t)*slot))
		return 0;
	size_t mark = rp_path_push(b, "%s", builder_keys[k].key);
	rp_error(b, "value %lld does not fit %s %s argument", (long long)*slot,
		 article(builder_keys[k].key), builder_keys[k].key);
	rp_path_pop(b, mark);
	return -1;
}

int rp_build_arg(struct rp_build *b, const struct rp_value *v, uint64_t *slot, const char **text,
		 uint8_t *kind, uint32_t *bytes)
{
	int k = which_builder(b, v);
	if (k < 0)
		return -1;
	if (v->type) {
		size_t mark = rp_path_push(b, "type");
		rp_error(b, "'type' gives a struct field its width; arguments are always 64-bit");
		rp_path_pop(b, mark);
		return -1;
	}
	*kind = builder_keys[k].arg_kind;
	if (k >= RP_KEY_U8 && k <= RP_KEY_I64)
		return width_argument(b, v, k, slot, text);
	if (is_pointer_builder((builder)k)) {
		*bytes = pointed_bytes(b, v, (builder)k);
		return pointer_builder(b, v, (builder)k, slot, text);
	}
	return scalar_builder(b, v, (builder)k, slot, 8, NULL, text);
}

static const struct {
	const char *name;
	unsigned width;
} type_names[] = {
	{"u8", 1}, {"u16", 2}, {"u32", 4}, {"u64", 8},
	{"i8", 1}, {"i16", 2}, {"i32", 4}, {"i64", 8}, {"ptr", 8},
};

int rp_field_width(struct rp_build *b, const struct rp_value *v, unsigned *width)
{
	int k = which_builder(b, v);
	if (k < 0)
		return -1;
	if (v->type) {
		for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
			if (strcmp(v->type, type_names[i].name) == 0) {
				*width = type_names[i].width;
				if (is_pointer_builder((builder)k) && strcmp(v->type, "u64") &&
				    strcmp(v->type, "ptr"))
					break;
				if (!is_pointer_builder((builder)k) && strcmp(v->type, "ptr") == 0)
					break;
				if (builder_keys[k].width && !is_pointer_builder((builder)k))
					break; /* u32 plus type: ambiguous */
				return 0;
			}
		size_t mark = rp_path_push(b, "type");
		rp_error(b, "bad field type '%s' for %s %s field (%s)", v->type,
			 article(builder_keys[k].key), builder_keys[k].key,
			 is_pointer_builder((builder)k) ? "a pointer field is u64 or ptr"
			 : builder_keys[k].width ? "a width key takes no type"
			 : "u8, u16, u32, u64, i8, i16, i32 or i64");
		rp_path_pop(b, mark);
		return -1;
	}
	if (builder_keys[k].width) {
		*width = builder_keys[k].width;
		return 0;
	}
	rp_error(b, "%s %s field needs a width: add type: (u8, u16, u32, u64, i8, i16, i32, i64)",
		 article(builder_keys[k].key), builder_keys[k].key);
	return -1;
}

int rp_build_field(struct rp_build *b, const struct rp_value *v, void *dst, unsigned width,
		   const char **text)
{
	int k = which_builder(b, v);
	if (k < 0)
		return -1;
	/* Pointer fields are 8 bytes and 8-aligned: build in place so relocations hit them. */
	if (is_pointer_builder((builder)k))
		return pointer_builder(b, v, (builder)k, dst, text);
	const char *type = v->type ? v->type : builder_keys[k].key;
	return scalar_builder(b, v, (builder)k, dst, width, type, text);
}
