/*
 * Object builders: memory a pointer argument points at.  Structs are laid
 * out like a C compiler would (each field aligned to its size, the struct
 * padded to its largest field); buffers are zeroed or filled memory the
 * kernel writes into; bytes are raw hex.  Named objects can be measured
 * with the sizeof builder from anywhere in the spec.
 */
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "replay/arena.h"
#include "replay/compile.h"
#include "replay/tables.h"

static void register_object(struct rp_build *b, const char *name, const struct rp_value *v)
{
	unsigned old;
	if (rp_names_add(&b->object_names, name, b->object_count, &old) != 0) {
		unsigned line = 0, col = 0;
		if (rp_diags_position_of(b->diags, b->objects[old].path, &line, &col) == 0)
			rp_error(b, "object name '%s' is already used at %u:%u", name, line, col);
		else
			rp_error(b, "object name '%s' is already used", name);
		return;
	}
	if (b->object_count == b->object_cap) {
		b->object_cap = b->object_cap ? b->object_cap * 2 : 16;
		b->objects = realloc(b->objects, b->object_cap * sizeof(*b->objects));
		if (!b->objects)
			abort();
	}
	b->objects[b->object_count++] = (struct rp_object){
		.name = name, .value = v, .path = strdup(rp_path_text(b)), .last_step = -1, .prev_step = -1};
}

/* First pass: every named object, wherever it is, so sizeof can look ahead. */
void rp_collect_objects(struct rp_build *b, const struct rp_value *v)
{
	const char *name = NULL;
	const char *key = NULL;
	const struct rp_struct *st = rp_value_of(v, RP_KEY_STRUCT);
	const struct rp_buffer *buffer = rp_value_of(v, RP_KEY_BUFFER);
	const struct rp_bytes *bytes = rp_value_of(v, RP_KEY_BYTES);
	const struct rp_array *array = rp_value_of(v, RP_KEY_ARRAY);
	const struct rp_chars *chars = rp_value_of(v, RP_KEY_CHARS);
	if (st) {
		name = st->name;
		key = "struct";
	} else if (buffer) {
		name = buffer->name;
		key = "buffer";
	} else if (bytes) {
		name = bytes->name;
		key = "bytes";
	} else if (array) {
		name = array->name;
		key = "array";
	} else if (chars) {
		name = chars->name;
		key = "chars";
	}
	if (!key)
		return;
	size_t mark = rp_path_push(b, "%s", key);
	if (name) {
		size_t m2 = rp_path_push(b, "name");
		register_object(b, name, v);
		rp_path_pop(b, m2);
	}
	if (st)
		for (unsigned i = 0; i < st->fields_count; i++) {
			size_t m3 = rp_path_push(b, "fields.%u", i);
			rp_collect_objects(b, &st->fields[i]);
			rp_path_pop(b, m3);
		}
	if (array)
		for (unsigned i = 0; i < array->items_count; i++) {
			size_t m3 = rp_path_push(b, "items.%u", i);
			rp_collect_objects(b, &array->items[i]);
			rp_path_pop(b, m3);
		}
	rp_path_pop(b, mark);
}

static int parse_size(struct rp_build *b, const char *what, const char *text, size_t limit,
		      size_t *out)
{
	int64_t v;
	if (rp_parse_number(text, &v) != 0 || v < 0 || (uint64_t)v > limit) {
		rp_error(b, "%s '%s' is not a number from 0 to %zu", what, text, limit);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

#define MAX_OBJECT (64u << 20)

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode "de ad be ef" or "deadbeef"; out may be NULL to count only. */
static int decode_hex(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = 0;
	for (const char *p = hex; *p;) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == ':') {
			p++;
			continue;
		}
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);
		if (hi < 0 || lo < 0)
			return -1;
		if (out)
			out[n] = (uint8_t)(hi << 4 | lo);
		n++;
		p += 2;
	}
	*len = n;
	return 0;
}

static int bytes_size(struct rp_build *b, const struct rp_bytes *by, size_t *size)
{
	if (decode_hex(by->hex, NULL, size) == 0)
		return 0;
	size_t mark = rp_path_push(b, "hex");
	rp_error(b, "hex bytes must be pairs of hex digits, optionally separated by spaces or ':'");
	rp_path_pop(b, mark);
	return -1;
}

int rp_struct_size(struct rp_build *b, const struct rp_struct *s, size_t *size)
{
	size_t align;
	return rp_members_layout(b, s->fields, s->fields_count, 0, size, &align);
}

int rp_value_size(struct rp_build *b, const struct rp_value *v, size_t *size)
{
	size_t align;
	const struct rp_struct *st = rp_value_of(v, RP_KEY_STRUCT);
	const struct rp_buffer *buffer = rp_value_of(v, RP_KEY_BUFFER);
	if (rp_value_of(v, RP_KEY_ARRAY) || rp_value_of(v, RP_KEY_CHARS))
		return rp_member_layout(b, v, 0, size, &align);
	if (st)
		return rp_struct_size(b, st, size);
	if (buffer)
		return parse_size(b, "size", buffer->size, MAX_OBJECT, size);
	const struct rp_bytes *bytes = rp_value_of(v, RP_KEY_BYTES);
	if (!bytes) { /* no object builder: its error was reported where it was built */
		*size = 0;
		return -1;
	}
	return bytes_size(b, bytes, size);
}

static int find_object(struct rp_build *b, const char *builder, const char *name, unsigned *index)
{
	unsigned i = 0;
	if (rp_names_get(&b->object_names, name, &i) != 0) {
		const char *names[256];
		unsigned n = 0;
		for (unsigned j = 0; j < b->object_count && n < 256; j++)
			names[n++] = b->objects[j].name;
		const char *near = rp_closest_name(name, names, n);
		if (near)
			rp_error(b, "%s names no object '%s'; did you mean '%s'?", builder, name, near);
		else
			rp_error(b, "%s names no object '%s' (name a struct, array, chars, buffer or "
				    "bytes with name:)", builder, name);
		return -1;
	}
	*index = i;
	return 0;
}

/* Step `step` passes the object to the kernel. */
static void passed_in(struct rp_object *o, unsigned step)
{
	if (o->last_step != (int)step) {
		o->prev_step = o->last_step;
		o->last_step = (int)step;
	}
}

int rp_object_ref(struct rp_build *b, const char *name, uint64_t *ptr)
{
	unsigned i = 0;
	if (find_object(b, "ref", name, &i) != 0)
		return -1;
	if (!b->objects[i].mem) {
		rp_error(b, "object '%s' is defined later; ref can only point at an object "
			    "defined before it", name);
		return -1;
	}
	*ptr = (uint64_t)(uintptr_t)b->objects[i].mem;
	passed_in(&b->objects[i], b->step);
	return 0;
}

static const struct {
	const char *name;
	unsigned width;
	int is_signed;
} load_types[] = {
	{"u8", 1, 0}, {"u16", 2, 0}, {"u32", 4, 0}, {"u64", 8, 0},
	{"i8", 1, 1}, {"i16", 2, 1}, {"i32", 4, 1}, {"i64", 8, 1},
};

/* "The i32 at offset 4 of fds, as the last step that passed fds left it." */
int rp_build_load(struct rp_build *b, const struct rp_load *l, void *dst, unsigned width,
		  const char **text)
{
	unsigned i = 0;
	size_t mark = rp_path_push(b, "from");
	int rc = find_object(b, "load", l->from, &i);
	rp_path_pop(b, mark);
	if (rc != 0)
		return -1;
	struct rp_object *o = &b->objects[i];
	size_t t;
	for (t = 0; t < sizeof(load_types) / sizeof(load_types[0]); t++)
		if (strcmp(l->type, load_types[t].name) == 0)
			break;
	if (t == sizeof(load_types) / sizeof(load_types[0])) {
		mark = rp_path_push(b, "type");
		rp_error(b, "load type '%s' is not one of u8, u16, u32, u64, i8, i16, i32, i64", l->type);
		rp_path_pop(b, mark);
		return -1;
	}
	int64_t off = 0;
	if (l->offset) {
		mark = rp_path_push(b, "offset");
		if (rp_parse_number(l->offset, &off) != 0 || off < 0) {
			rp_error(b, "offset '%s' is not a byte offset", l->offset);
			rp_path_pop(b, mark);
			return -1;
		}
		rp_path_pop(b, mark);
	}
	size_t size = 0;
	if (rp_object_size(b, l->from, &size) != 0)
		return -1;
	if ((uint64_t)off + load_types[t].width > size) {
		rp_error(b, "%s at offset %lld is past the end of '%s' (%zu bytes)", l->type,
			 (long long)off, l->from, size);
		return -1;
	}
	/* A ref: to the object earlier in this very step does not make it the writer. */
	int writer = o->last_step == (int)b->step ? o->prev_step : o->last_step;
	if (!o->mem || writer < 0) {
		rp_error(b, "no earlier step passes '%s' to the kernel: load reads what a previous "
			    "step's call wrote", l->from);
		return -1;
	}
	rp_add_fixup(b, dst, width, (unsigned)writer, RP_REF_LOAD);
	struct rp_fixup *f = &b->prog->fixups[b->prog->fixup_count - 1];
	f->from = (const uint8_t *)o->mem + off;
	f->from_width = (uint8_t)load_types[t].width;
	f->from_signed = (uint8_t)load_types[t].is_signed;
	*text = rp_text(b, "%s(%s+%lld)", l->type, l->from, (long long)off);
	return 0;
}

void rp_object_built(struct rp_build *b, const char *name, void *mem)
{
	unsigned i = 0;
	/* Built again for each thread's copy of a threads: body: the copy being
	 * compiled sees its own. */
	if (name && rp_names_get(&b->object_names, name, &i) == 0) {
		b->objects[i].mem = mem;
		passed_in(&b->objects[i], b->step);
	}
}

int rp_object_size(struct rp_build *b, const char *name, size_t *size)
{
	unsigned i = 0;
	if (find_object(b, "sizeof", name, &i) != 0)
		return -1;
	struct rp_object *o = &b->objects[i];
	if (o->size_state == 0) {
		/* Sizes never depend on values, so errors here are reported where built. */
		struct rp_diags quiet;
		struct rp_diags *loud = b->diags;
		rp_diags_init(&quiet, loud->file);
		b->diags = &quiet;
		o->size_state = rp_value_size(b, o->value, &o->size) == 0 ? 2 : -1;
		b->diags = loud;
		rp_diags_free(&quiet);
	}
	*size = o->size;
	return o->size_state == 2 ? 0 : -1;
}

int rp_build_struct(struct rp_build *b, const struct rp_struct *s, uint64_t *ptr,
		    const char **text)
{
	size_t size;
	struct rp_diags *loud = b->diags, quiet;
	/* Layout errors are reported member by member below, with the value errors. */
	rp_diags_init(&quiet, loud->file);
	b->diags = &quiet;
	rp_struct_size(b, s, &size);
	b->diags = loud;
	rp_diags_free(&quiet);
	uint8_t *mem = rp_arena_alloc(&b->prog->arena, size ? size : 1, 16);
	int rc = rp_build_members(b, s->fields, s->fields_count, 0, mem, text);
	*ptr = (uint64_t)(uintptr_t)mem;
	rp_object_built(b, s->name, mem);
	return rc;
}

int rp_build_buffer(struct rp_build *b, const struct rp_buffer *buf, uint64_t *ptr,
		    const char **text)
{
	size_t size, mark = rp_path_push(b, "size");
	int rc = parse_size(b, "size", buf->size, MAX_OBJECT, &size);
	rp_path_pop(b, mark);
	if (rc != 0)
		return -1;
	uint8_t *mem = rp_arena_alloc(&b->prog->arena, size ? size : 1, 16);
	if (buf->fill) {
		size_t m2 = rp_path_push(b, "fill");
		size_t fill;
		rc = parse_size(b, "fill byte", buf->fill, 255, &fill);
		rp_path_pop(b, m2);
		if (rc != 0)
			return -1;
		memset(mem, (int)fill, size);
	}
	*ptr = (uint64_t)(uintptr_t)mem;
	rp_object_built(b, buf->name, mem);
	*text = buf->name ? rp_text(b, "%s[%zu]", buf->name, size)
			  : rp_text(b, "buffer[%zu]", size);
	return 0;
}

int rp_build_bytes(struct rp_build *b, const struct rp_bytes *by, uint64_t *ptr,
		   const char **text)
{
	size_t size;
	if (bytes_size(b, by, &size) != 0)
		return -1;
	uint8_t *mem = rp_arena_alloc(&b->prog->arena, size ? size : 1, 16);
	decode_hex(by->hex, mem, &size);
	*ptr = (uint64_t)(uintptr_t)mem;
	rp_object_built(b, by->name, mem);
	*text = by->name ? rp_text(b, "&%s", by->name)
			 : rp_text(b, "bytes[%zu]", size);
	return 0;
}
