/*
 * Members of aggregates: a struct's fields and an array's items, laid out
 * the way a C compiler does (each member aligned to its own alignment, the
 * whole padded to the largest).  Scalars and pointers are fields of their
 * width; an array: or chars: member is embedded; a struct: is embedded as
 * an array item (iovec[2]) and a pointer anywhere else.
 */
#include <string.h>

#include "build.h"
#include "replay/arena.h"
#include "replay/compile.h"

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int chars_size(struct rp_build *b, const struct rp_chars *c, size_t *size)
{
	int64_t n;
	size_t mark = rp_path_push(b, "size");
	int rc = 0;
	if (rp_parse_number(c->size, &n) != 0 || n < 1 || n > 65536) {
		rp_error(b, "chars size '%s' is not a number from 1 to 65536", c->size);
		rc = -1;
	}
	rp_path_pop(b, mark);
	*size = rc == 0 ? (size_t)n : 1;
	return rc;
}

int rp_member_layout(struct rp_build *b, const struct rp_value *v, int in_array, size_t *size,
		     size_t *align)
{
	int rc;
	size_t mark;
	const struct rp_array *array = rp_value_of(v, RP_KEY_ARRAY);
	const struct rp_chars *chars = rp_value_of(v, RP_KEY_CHARS);
	const struct rp_struct *st = rp_value_of(v, RP_KEY_STRUCT);
	if (array) {
		mark = rp_path_push(b, "array");
		rc = rp_members_layout(b, array->items, array->items_count, 1, size, align);
		rp_path_pop(b, mark);
		return rc;
	}
	if (chars) {
		mark = rp_path_push(b, "chars");
		rc = chars_size(b, chars, size);
		rp_path_pop(b, mark);
		*align = 1;
		return rc;
	}
	if (st && in_array) {
		mark = rp_path_push(b, "struct");
		rc = rp_members_layout(b, st->fields, st->fields_count, 0, size, align);
		rp_path_pop(b, mark);
		return rc;
	}
	unsigned w = 8;
	rc = rp_field_width(b, v, &w);
	*size = *align = w;
	return rc;
}

int rp_members_layout(struct rp_build *b, const struct rp_value *m, unsigned n, int in_array,
		      size_t *size, size_t *align)
{
	size_t off = 0, max_align = 1;
	int bad = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t mark = rp_path_push(b, in_array ? "items.%u" : "fields.%u", i);
		size_t s, a;
		if (rp_member_layout(b, &m[i], in_array, &s, &a) != 0) {
			bad = 1;
		} else {
			off = align_up(off, a) + s;
			if (a > max_align)
				max_align = a;
		}
		rp_path_pop(b, mark);
	}
	*size = align_up(off, max_align);
	*align = max_align;
	return bad ? -1 : 0;
}

/* chars: text, or a sandbox path copied in when the sandbox is bound. */
static int build_chars(struct rp_build *b, const struct rp_chars *c, uint8_t *dst, size_t size,
		       const char **text)
{
	if (!!c->text + !!c->path != 1) {
		rp_error(b, "chars takes text: or path:, exactly one");
		return -1;
	}
	if (c->text) {
		size_t n = strlen(c->text);
		if (n >= size) {
			size_t mark = rp_path_push(b, "text");
			rp_error(b, "text of %zu bytes does not fit chars[%zu] with its NUL", n, size);
			rp_path_pop(b, mark);
			return -1;
		}
		memcpy(dst, c->text, n);
		*text = rp_text(b, "\"%s\"", c->text);
		return 0;
	}
	size_t mark = rp_path_push(b, "path");
	int rc = rp_sandbox_relpath(b, c->path);
	rp_path_pop(b, mark);
	if (rc != 0)
		return -1;
	rp_add_reloc(b, (uint64_t *)(void *)dst, c->path);
	b->prog->relocs[b->prog->reloc_count - 1].copy_size = (uint32_t)size;
	*text = rp_text(b, "\"<sandbox>/%s\"", c->path);
	return 0;
}

/* Build member v into dst, a slot laid out by rp_member_layout. */
static int build_member(struct rp_build *b, const struct rp_value *v, int in_array, uint8_t *dst,
			const char **text)
{
	int rc;
	size_t size, align, mark;
	const struct rp_array *array = rp_value_of(v, RP_KEY_ARRAY);
	const struct rp_chars *chars = rp_value_of(v, RP_KEY_CHARS);
	const struct rp_struct *st = rp_value_of(v, RP_KEY_STRUCT);
	if (v->type && (array || chars)) {
		mark = rp_path_push(b, "type");
		rp_error(b, "%s: is laid out by its own items; it takes no type:",
			 array ? "array" : "chars");
		rp_path_pop(b, mark);
		return -1;
	}
	if (array) {
		mark = rp_path_push(b, "array");
		rc = rp_build_members(b, array->items, array->items_count, 1, dst, text);
		rp_object_built(b, array->name, dst);
		rp_path_pop(b, mark);
		return rc;
	}
	if (chars) {
		mark = rp_path_push(b, "chars");
		rc = chars_size(b, chars, &size);
		if (rc == 0)
			rc = build_chars(b, chars, dst, size, text);
		rp_object_built(b, chars->name, dst);
		rp_path_pop(b, mark);
		return rc;
	}
	if (st && in_array) {
		mark = rp_path_push(b, "struct");
		rc = rp_build_members(b, st->fields, st->fields_count, 0, dst, text);
		rp_object_built(b, st->name, dst);
		rp_path_pop(b, mark);
		return rc;
	}
	if (rp_member_layout(b, v, in_array, &size, &align) != 0)
		return -1;
	const char *ftext = NULL;
	rc = rp_build_field(b, v, dst, (unsigned)size, &ftext);
	*text = rp_text(b, "%s %s", rp_field_type(v), ftext);
	return rc;
}

int rp_build_members(struct rp_build *b, const struct rp_value *m, unsigned n, int in_array,
		     uint8_t *mem, const char **text)
{
	size_t off = 0;
	int bad = 0;
	const char *render = NULL;
	for (unsigned i = 0; i < n; i++) {
		size_t mark = rp_path_push(b, in_array ? "items.%u" : "fields.%u", i);
		size_t s, a;
		/* Layout errors were reported with the size; members without a layout
		 * were left out of it too, so the offsets stay in bounds. */
		struct rp_diags *loud = b->diags, quiet;
		rp_diags_init(&quiet, loud->file);
		b->diags = &quiet;
		int laid = rp_member_layout(b, &m[i], in_array, &s, &a) == 0;
		b->diags = loud;
		rp_diags_free(&quiet);
		if (!laid) {
			bad = 1;
			rp_member_layout(b, &m[i], in_array, &s, &a); /* report, once */
			rp_path_pop(b, mark);
			continue;
		}
		off = align_up(off, a);
		const char *mtext = NULL;
		if (build_member(b, &m[i], in_array, mem + off, &mtext) != 0)
			bad = 1;
		render = render ? rp_text(b, "%s, %s", render, mtext) : rp_text(b, "%s", mtext);
		off += s;
		rp_path_pop(b, mark);
	}
	*text = rp_text(b, in_array ? "[%s]" : "{%s}", render ? render : "");
	return bad ? -1 : 0;
}

/* array: or chars: as an argument: a pointer to its own memory. */
int rp_build_aggregate(struct rp_build *b, const struct rp_value *v, uint64_t *ptr,
		       const char **text)
{
	size_t size, align;
	struct rp_diags *loud = b->diags, quiet;
	rp_diags_init(&quiet, loud->file);
	b->diags = &quiet;
	int laid = rp_member_layout(b, v, 0, &size, &align) == 0;
	b->diags = loud;
	rp_diags_free(&quiet);
	if (!laid)
		size = 0;
	uint8_t *mem = rp_arena_alloc(&b->prog->arena, size ? size : 1, 16);
	int rc = build_member(b, v, 0, mem, text);
	*ptr = (uint64_t)(uintptr_t)mem;
	return laid ? rc : -1;
}
