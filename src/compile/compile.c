/*
 * The compiler: one pass over the steps, after a first pass that indexes
 * step ids and named objects.  Each step becomes an rp_op (number + six
 * argument words) and an rp_step_info (everything for reports).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "replay/arena.h"
#include "replay/compile.h"
#include "replay/exec.h"
#include "replay/tables.h"

size_t rp_path_push(struct rp_build *b, const char *fmt, ...)
{
	size_t mark = b->nparts;
	if (b->nparts == sizeof(b->parts) / sizeof(b->parts[0]))
		return mark; /* deeper than any spec: the path is cut, nothing else */
	struct rp_path_part *p = &b->parts[b->nparts++];
	p->fmt = fmt;
	va_list ap;
	va_start(ap, fmt);
	unsigned n = 0;
	for (const char *c = fmt; *c && n < 2; c++)
		if (c[0] == '%' && c[1] == 'u')
			p->arg[n++] = va_arg(ap, unsigned);
		else if (c[0] == '%' && c[1] == 's')
			p->arg[n++] = (uintptr_t)va_arg(ap, const char *);
	va_end(ap);
	return mark;
}

void rp_path_pop(struct rp_build *b, size_t mark)
{
	b->nparts = mark;
}

const char *rp_path_text(struct rp_build *b)
{
	size_t len = 0, room = sizeof(b->path);
	b->path[0] = '\0';
	for (size_t i = 0; i < b->nparts && len + 1 < room; i++) {
		const struct rp_path_part *p = &b->parts[i];
		unsigned n = 0;
		if (len)
			b->path[len++] = '.';
		for (const char *c = p->fmt; *c && len + 1 < room; c++) {
			if (c[0] == '%' && (c[1] == 'u' || c[1] == 's') && n < 2) {
				int w = c[1] == 'u'
						? snprintf(b->path + len, room - len, "%u", (unsigned)p->arg[n])
						: snprintf(b->path + len, room - len, "%s", (const char *)p->arg[n]);
				n++;
				c++;
				len += w > 0 && (size_t)w < room - len ? (size_t)w : 0;
			} else {
				b->path[len++] = *c;
			}
		}
		b->path[len] = '\0';
	}
	return b->path;
}

static void report(struct rp_build *b, enum rp_severity sev, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	rp_diag_path(b->diags, sev, rp_path_text(b), "%s", msg);
}

void rp_error(struct rp_build *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(b, RP_ERROR, fmt, ap);
	va_end(ap);
}

const char *rp_text(struct rp_build *b, const char *fmt, ...)
{
	if (!b->render)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = rp_arena_alloc(&b->prog->arena, (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void rp_warning(struct rp_build *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(b, RP_WARNING, fmt, ap);
	va_end(ap);
}

static void *grow(void *v, unsigned count, unsigned *cap, size_t elem)
{
	if (count < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 16;
	v = realloc(v, *cap * elem);
	if (!v)
		abort();
	return v;
}

void rp_add_fixup(struct rp_build *b, void *dst, unsigned width, unsigned src, int kind)
{
	struct rp_program *p = b->prog;
	p->fixups = grow(p->fixups, p->fixup_count, &b->fixup_cap, sizeof(*p->fixups));
	p->fixups[p->fixup_count++] = (struct rp_fixup){
		.dst = dst, .src = src, .width = (uint8_t)width, .kind = (uint8_t)kind};
}

void rp_add_reloc(struct rp_build *b, uint64_t *slot, const char *rel)
{
	struct rp_program *p = b->prog;
	p->relocs = grow(p->relocs, p->reloc_count, &b->reloc_cap, sizeof(*p->relocs));
	p->relocs[p->reloc_count++] = (struct rp_path_reloc){.slot = slot, .rel = rel};
}

/* A sandbox-relative path: no leading '/', no '..' component, not empty. */
int rp_sandbox_relpath(struct rp_build *b, const char *rel)
{
	if (rel[0] == '\0') {
		rp_error(b, "empty path; use '.' for the sandbox directory itself");
		return -1;
	}
	if (rel[0] == '/') {
		rp_error(b, "path '%s' is absolute; paths are relative to the run's sandbox", rel);
		return -1;
	}
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			rp_error(b, "path '%s' leaves the sandbox through '..'", rel);
			return -1;
		}
		p += n;
		p += *p == '/';
	}
	return 0;
}

/* Modes are octal whether or not they start with 0: "644" means 0644, as for chmod(1). */
static int parse_mode(struct rp_build *b, const char *text, unsigned *mode)
{
	const char *p = strncmp(text, "0o", 2) == 0 ? text + 2 : text;
	unsigned v = 0;
	size_t n = strspn(p, "01234567");
	if (n == 0 || n > 5 || p[n] != '\0' || (v = (unsigned)strtoul(p, NULL, 8)) > 07777) {
		rp_error(b, "mode '%s' is not an octal file mode from 0 to 7777 (like \"0600\")", text);
		return -1;
	}
	*mode = v;
	return 0;
}

/* Is `a` the path `b` or one of its parent directories? */
static int is_prefix_path(const char *a, const char *b)
{
	size_t n = strlen(a);
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* A file may not stand where a directory or another file of the plan is. */
static int check_file_place(struct rp_build *b, const struct rp_sandbox_plan *plan,
			    const char *name)
{
	size_t len = strlen(name);
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || name[len - 1] == '/') {
			rp_error(b, "file name '%s' has an empty or '.' component", name);
			return -1;
		}
		p += n;
		p += *p == '/';
	}
	for (unsigned i = 0; i < plan->dir_count; i++)
		if (is_prefix_path(name, plan->dirs[i])) {
			rp_error(b, "'%s' is a directory of the sandbox; it cannot also be a file", name);
			return -1;
		}
	/* Hashed, not compared pairwise: 40,000 files took 15 s that way. */
	unsigned other;
	if (rp_names_get(&b->file_names, name, &other) == 0) {
		rp_error(b, "sandbox file '%s' is created twice", name);
		return -1;
	}
	int clash = rp_names_get(&b->file_dirs, name, &other) == 0; /* a file below name */
	char prefix[4096];
	for (size_t n = 0; !clash && name[n]; n++) /* a file above name */
		if (name[n] == '/' && n < sizeof(prefix)) {
			memcpy(prefix, name, n);
			prefix[n] = '\0';
			clash = rp_names_get(&b->file_names, prefix, &other) == 0;
		}
	if (clash) {
		rp_error(b, "sandbox file '%s' and '%s' cannot both exist", name,
			 plan->files[other].name);
		return -1;
	}
	return 0;
}

/* Index a new sandbox file: its name, and every directory it sits in. */
static void remember_file(struct rp_build *b, const char *name, unsigned index)
{
	unsigned old;
	rp_names_add(&b->file_names, name, index, &old);
	for (size_t n = 0; name[n]; n++)
		if (name[n] == '/') {
			char *dir = rp_arena_alloc(&b->prog->arena, n + 1, 1);
			memcpy(dir, name, n);
			rp_names_add(&b->file_dirs, dir, index, &old); /* the first file there is named */
		}
}

int rp_add_sandbox_file(struct rp_build *b, const struct rp_file *f)
{
	struct rp_sandbox_plan *plan = &b->prog->sandbox;
	unsigned mode = 0600;
	size_t mark = rp_path_push(b, "name");
	int rc = rp_sandbox_relpath(b, f->name);
	rp_path_pop(b, mark);
	if (f->mode) {
		mark = rp_path_push(b, "mode");
		if (parse_mode(b, f->mode, &mode) != 0)
			rc = -1;
		rp_path_pop(b, mark);
	}
	if (rc != 0)
		return -1;
	mark = rp_path_push(b, "name");
	rc = check_file_place(b, plan, f->name);
	rp_path_pop(b, mark);
	if (rc != 0)
		return -1;
	plan->files = grow(plan->files, plan->file_count, &b->file_cap, sizeof(*plan->files));
	remember_file(b, f->name, plan->file_count);
	plan->files[plan->file_count++] = (struct rp_sandbox_file){
		.name = f->name,
		.content = f->content ? f->content : "",
		.size = f->content ? strlen(f->content) : 0,
		.mode = mode,
	};
	return 0;
}

/* Is process `older` (a process: group's fork op + 1, 0 for the main one) the
 * process `p` or one it was forked from? */
static int is_same_or_ancestor(const struct rp_build *b, unsigned older, unsigned p)
{
	for (;; p = b->process_of[p - 1]) {
		if (p == older)
			return 1;
		if (p == 0)
			return 0;
	}
}

static int is_wait(const char *call)
{
	return call && (strcmp(call, "wait4") == 0 || strcmp(call, "waitid") == 0 ||
			strcmp(call, "waitpid") == 0);
}

/* A result from this process or one it was forked from is there when the step
 * runs; one from a child (or a sibling) is there only once we waited for it. */
static int result_is_settled(const struct rp_build *b, unsigned src)
{
	if (is_same_or_ancestor(b, b->process_of[src], b->process))
		return 1;
	for (unsigned j = src + 1; j < b->step; j++)
		if (b->process_of[j] == b->process && is_wait(b->prog->info[j].call))
			return 1;
	return 0;
}

int rp_step_ref(struct rp_build *b, const char *id, unsigned *index)
{
	int found = rp_names_get(&b->step_ids, id, index) == 0;
	/* Inside a threads: body, a step of the body means this thread's own copy. */
	if (found && b->copy_offset && *index >= b->copy_lo && *index < b->copy_hi)
		*index += b->copy_offset;
	if (!found) {
		const char *names[512];
		unsigned n = 0;
		for (unsigned i = 0; i < b->step && n < 512; i++)
			if (b->spec->steps[i].id)
				names[n++] = b->spec->steps[i].id;
		const char *near = rp_closest_name(id, names, n);
		if (near)
			rp_error(b, "no step has id '%s'; did you mean '%s'?", id, near);
		else
			rp_error(b, "no step has id '%s'", id);
		return -1;
	}
	if (*index >= b->step) {
		rp_error(b, "step '%s' %s; a step can only use results of earlier steps", id,
			 *index == b->step ? "is this step" : "comes later");
		return -1;
	}
	if (!result_is_settled(b, *index))
		rp_warning(b, "step '%s' runs in another process (a process: group), which may not "
			      "have reached it yet: its result reads as -1 until it has; call wait4 "
			      "for that process first", id);
	return 0;
}

static int parse_nr(struct rp_build *b, const char *text, long *nr)
{
	int64_t v;
	if (rp_parse_number(text, &v) != 0 || v < 0 || v > 0xffff) {
		rp_error(b, "syscall number '%s' is not a number from 0 to 65535", text);
		return -1;
	}
	*nr = (long)v;
	return 0;
}

static const char *arch_number(const struct rp_arch_numbers *n, const char *arch)
{
	return strcmp(arch, "x86_64") == 0 ? n->x86_64 : n->aarch64;
}

static const struct rp_syscall_override *find_override(const struct rp_spec *spec,
						       const char *name, unsigned *index)
{
	for (unsigned i = 0; i < spec->syscalls_count; i++)
		if (strcmp(spec->syscalls[i].name, name) == 0) {
			*index = i;
			return &spec->syscalls[i];
		}
	return NULL;
}

static const struct rp_syscall *any_arch_entry(const char *name)
{
	for (const char *const *a = rp_arch_names(); *a; a++) {
		const struct rp_syscall *sc = rp_syscall_by_name(*a, name);
		if (sc)
			return sc;
	}
	return NULL;
}

/* Number for the target arch: step nr:, then spec syscalls:, then the table. */
static int resolve_syscall(struct rp_build *b, const struct rp_step *s, struct rp_op *op,
			   struct rp_step_info *info)
{
	const struct rp_syscall *sc = rp_syscall_by_name(b->arch, s->call);
	const struct rp_syscall *known = sc ? sc : any_arch_entry(s->call);
	unsigned oi = 0;
	const struct rp_syscall_override *ov = find_override(b->spec, s->call, &oi);
	info->flags = known ? known->flags : 0;
	op->nr = sc ? sc->nr : -1;
	if (s->nr) {
		/* Both arches' numbers are checked, whichever this compile is for. */
		int rc = 0;
		long nr;
		for (const char *const *a = rp_arch_names(); *a; a++) {
			const char *text = arch_number(s->nr, *a);
			size_t mark = rp_path_push(b, "nr.%s", *a);
			if (text && parse_nr(b, text, &nr) != 0)
				rc = -1;
			else if (text && strcmp(*a, b->arch) == 0)
				op->nr = nr;
			rp_path_pop(b, mark);
		}
		if (!s->nr->x86_64 && !s->nr->aarch64) {
			size_t mark = rp_path_push(b, "nr");
			rp_error(b, "nr: needs a number for x86_64, aarch64 or both");
			rp_path_pop(b, mark);
			rc = -1;
		}
		if (rc != 0 || arch_number(s->nr, b->arch))
			return rc;
	}
	const char *ov_text = ov ? (strcmp(b->arch, "x86_64") == 0 ? ov->x86_64 : ov->aarch64) : NULL;
	if (ov_text) {
		int64_t v; /* validated by check_overrides() */
		if (rp_parse_number(ov_text, &v) != 0)
			return -1;
		op->nr = (long)v;
		return 0;
	}
	if (sc)
		return 0;
	if (known || ov || s->nr) {
		info->unavailable = rp_arena_printf(&b->prog->arena, "%s has no number on %s",
						    s->call, b->arch);
		return 0;
	}
	size_t mark = rp_path_push(b, "call");
	const char *near = rp_closest_syscall(b->arch, s->call);
	if (near)
		rp_error(b, "unknown syscall '%s' on %s; did you mean '%s'? (give its number with "
			    "nr: or syscalls:)", s->call, b->arch, near);
	else
		rp_error(b, "unknown syscall '%s' on %s (give its number with nr: or syscalls:)",
			 s->call, b->arch);
	rp_path_pop(b, mark);
	return -1;
}

/* Calls that make a new process running this very loop. */
static int check_process_call(struct rp_build *b, const struct rp_step *s, struct rp_op *op)
{
	static const char *const forking[] = {"fork", "clone", "clone3"};
	/* By number as well as by name: nr: and syscalls: may call them anything. */
	const struct rp_syscall *vfork = rp_syscall_by_name(b->arch, "vfork");
	if (strcmp(s->call, "vfork") == 0 || (vfork && op->nr == vfork->nr)) {
		size_t mark = rp_path_push(b, "call");
		rp_error(b, "vfork cannot be replayed: its child would return into the engine's "
			    "stack, shared with the suspended parent (use fork or clone)");
		rp_path_pop(b, mark);
		return -1;
	}
	for (size_t i = 0; i < sizeof(forking) / sizeof(forking[0]); i++) {
		const struct rp_syscall *sc = rp_syscall_by_name(b->arch, forking[i]);
		if (strcmp(s->call, forking[i]) == 0 || (sc && op->nr == sc->nr))
			op->forks = 1;
	}
	return 0;
}

static int compile_when(struct rp_build *b, const struct rp_when *w, struct rp_op *op)
{
	size_t mark = rp_path_push(b, "when");
	int rc = 0;
	if (!!w->ok + !!w->failed != 1) {
		rp_error(b, "when takes exactly one of ok: STEP or failed: STEP");
		rc = -1;
	} else {
		size_t m2 = rp_path_push(b, w->ok ? "ok" : "failed");
		rc = rp_step_ref(b, w->ok ? w->ok : w->failed, &op->when_step);
		op->when_kind = w->ok ? RP_WHEN_OK : RP_WHEN_FAILED;
		rp_path_pop(b, m2);
	}
	rp_path_pop(b, mark);
	return rc;
}

/* Errno names into numbers, each reported at its own node. */
static const int *compile_errnos(struct rp_build *b, const char *key, char **names, unsigned n,
				 int *rc)
{
	int *out = rp_arena_alloc(&b->prog->arena, n * sizeof(int) + 1, 8);
	for (unsigned i = 0; i < n; i++) {
		size_t m2 = rp_path_push(b, "%s.%u", key, i);
		out[i] = rp_errno_by_name(names[i]);
		if (out[i] < 0) {
			*rc = -1;
			const struct rp_constant *c = rp_constant_by_name(names[i]);
			const char *near = rp_closest_constant(names[i]);
			if (!c && near && rp_errno_by_name(near) >= 0)
				rp_error(b, "unknown errno name '%s'; did you mean '%s'?", names[i], near);
			else
				rp_error(b, "unknown errno name '%s'", names[i]);
		}
		rp_path_pop(b, m2);
	}
	return out;
}

static int compile_expect(struct rp_build *b, const struct rp_expect *e,
			  struct rp_expectation *x)
{
	size_t mark = rp_path_push(b, "expect");
	int rc = 0;
	x->any = !e->ret && !e->errnos_count; /* skip: alone keeps best effort */
	if (!e->ret && !e->errnos_count && !e->skip_count) {
		rp_error(b, "expect needs ret: N, errno: [NAMES], skip: [NAMES] or some of them");
		rc = -1;
	}
	if (e->ret) {
		size_t m2 = rp_path_push(b, "ret");
		x->has_ret = 1;
		if (rp_parse_number(e->ret, &x->ret) != 0) {
			rp_error(b, "expected return value '%s' is not an integer", e->ret);
			rc = -1;
		}
		rp_path_pop(b, m2);
	}
	x->errnos = compile_errnos(b, "errno", e->errnos, e->errnos_count, &rc);
	x->errno_count = e->errnos_count;
	x->skip = compile_errnos(b, "skip", e->skip, e->skip_count, &rc);
	x->skip_count = e->skip_count;
	rp_path_pop(b, mark);
	return rc;
}

static int parse_version(const char *text, unsigned v[3])
{
	v[0] = v[1] = v[2] = 0;
	int n = 0, used = 0;
	if (sscanf(text, "%u%n.%u%n.%u%n", &v[0], &n, &v[1], &n, &v[2], &n) < 1)
		return -1;
	used = n;
	return text[used] == '\0' ? 0 : -1;
}

/* needs: checked now for spelling; against the machine by rp_gate (src/exec/gate.c). */
static const struct rp_needs_c *compile_needs(struct rp_build *b, const struct rp_needs *n)
{
	struct rp_needs_c *c = rp_arena_alloc(&b->prog->arena, sizeof(*c), 8);
	size_t mark = rp_path_push(b, "needs");
	if (n->kernel) {
		size_t m2 = rp_path_push(b, "kernel");
		if (parse_version(n->kernel, c->kernel) != 0)
			rp_error(b, "kernel '%s' is not a version like 5.2 or 6.8.1", n->kernel);
		rp_path_pop(b, m2);
	}
	for (unsigned i = 0; i < n->arch_count; i++) {
		size_t m2 = rp_path_push(b, "arch.%u", i);
		unsigned k = 0;
		const char *const *names = rp_arch_names();
		while (names[k] && strcmp(names[k], n->arch[i]) != 0)
			k++;
		if (!names[k])
			rp_error(b, "unknown arch '%s' (x86_64, aarch64)", n->arch[i]);
		else
			c->arch_mask |= 1u << k;
		rp_path_pop(b, m2);
	}
	if (n->root) {
		size_t m2 = rp_path_push(b, "root");
		if (strcmp(n->root, "true") && strcmp(n->root, "false"))
			rp_error(b, "root takes true or false, not '%s'", n->root);
		c->root = strcmp(n->root, "true") == 0;
		rp_path_pop(b, m2);
	}
	for (unsigned i = 0; i < n->caps_count; i++) {
		size_t m2 = rp_path_push(b, "caps.%u", i);
		const struct rp_constant *k = strncmp(n->caps[i], "CAP_", 4) == 0
						      ? rp_constant_by_name(n->caps[i]) : NULL;
		if (!k || k->value < 0 || k->value > 63)
			rp_error(b, "unknown capability '%s' (CAP_SYS_ADMIN, CAP_NET_ADMIN, ...)", n->caps[i]);
		else
			c->caps |= 1ull << k->value;
		rp_path_pop(b, m2);
	}
	c->syscalls = (const char **)n->syscalls;
	c->syscall_count = n->syscalls_count;
	for (unsigned i = 0; i < n->syscalls_count; i++) {
		size_t m2 = rp_path_push(b, "syscalls.%u", i);
		if (!any_arch_entry(n->syscalls[i])) {
			const char *near = rp_closest_syscall(b->arch, n->syscalls[i]);
			if (near)
				rp_error(b, "unknown syscall '%s'; did you mean '%s'?", n->syscalls[i], near);
			else
				rp_error(b, "unknown syscall '%s'", n->syscalls[i]);
		}
		rp_path_pop(b, m2);
	}
	c->sysctl_count = n->sysctl_count;
	c->sysctl_names = rp_arena_alloc(&b->prog->arena, (n->sysctl_count + 1) * sizeof(char *), 8);
	c->sysctl_values = rp_arena_alloc(&b->prog->arena, (n->sysctl_count + 1) * sizeof(char *), 8);
	for (unsigned i = 0; i < n->sysctl_count; i++) {
		size_t m2 = rp_path_push(b, "sysctl.%u.name", i);
		const char *name = n->sysctl[i].name;
		if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name) ||
		    strstr(name, ".."))
			rp_error(b, "sysctl name '%s' is not like kernel.pid_max", name);
		c->sysctl_names[i] = name;
		c->sysctl_values[i] = n->sysctl[i].value;
		rp_path_pop(b, m2);
	}
	rp_path_pop(b, mark);
	return c;
}

static int compile_args(struct rp_build *b, const struct rp_step *s, struct rp_op *op,
			struct rp_step_info *info)
{
	int rc = 0;
	if (s->args_count > RP_MAX_ARGS) {
		size_t mark = rp_path_push(b, "args.%u", (unsigned)RP_MAX_ARGS);
		rp_error(b, "%s has %u arguments; a syscall takes at most %d", s->call,
			 s->args_count, RP_MAX_ARGS);
		rp_path_pop(b, mark);
		return -1;
	}
	const struct rp_syscall *sc = rp_syscall_by_name(b->arch, s->call);
	if (!sc)
		sc = any_arch_entry(s->call);
	if (sc && s->args_count > (unsigned)sc->nargs) {
		size_t mark = rp_path_push(b, "args.%u", (unsigned)sc->nargs);
		rp_warning(b, "%s takes %d argument%s; %u given (the kernel ignores the rest)", s->call,
			   sc->nargs, sc->nargs == 1 ? "" : "s", s->args_count);
		rp_path_pop(b, mark);
	}
	for (unsigned i = 0; i < s->args_count; i++) {
		size_t mark = rp_path_push(b, "args.%u", i);
		if (rp_build_arg(b, &s->args[i], &op->args[i], &info->arg_text[i],
				 &info->arg_kind[i], &info->arg_bytes[i]) != 0)
			rc = -1;
		rp_path_pop(b, mark);
	}
	info->nargs = s->args_count;
	return rc;
}

static int compile_repeat(struct rp_build *b, const struct rp_step *s, struct rp_op *op)
{
	int64_t n = 1;
	op->repeat = 1;
	if (!s->repeat)
		return 0;
	size_t mark = rp_path_push(b, "repeat");
	int rc = 0;
	if (rp_parse_number(s->repeat, &n) != 0 || n < 1 || n > UINT32_MAX) {
		rp_error(b, "repeat '%s' is not a count from 1 to %u", s->repeat, UINT32_MAX);
		rc = -1;
	} else if (n > 1 && op->forks) {
		rp_error(b, "%s cannot be repeated: every call would leave a process behind", s->call);
		rc = -1;
	} else {
		op->repeat = (uint32_t)n;
		b->prog->repeats |= n > 1;
	}
	rp_path_pop(b, mark);
	return rc;
}

static const struct rp_group *group_of(const struct rp_step *s)
{
	return s->process ? s->process : s->loop ? s->loop : s->threads;
}

static const char *group_key(const struct rp_step *s)
{
	return s->process ? "process" : s->loop ? "loop" : "threads";
}

#define MAX_THREADS 64

/* A threads: group's count, 1 if it is not valid (the compile reports that). */
static unsigned thread_count(const struct rp_group *g)
{
	int64_t n;
	if (rp_parse_number(g->count, &n) != 0 || n < 1 || n > MAX_THREADS)
		return 1;
	return (unsigned)n;
}

static unsigned count_ops(const struct rp_step *steps, unsigned n);

/* Ops of one thread's copy of a threads: body: its prctl naming, the body, DONE. */
static unsigned thread_stride(const struct rp_group *g)
{
	return (g->name ? 1 : 0) + count_ops(g->steps, g->steps_count) + 1;
}

/* Ops a list of steps compiles to: one per call, two more per group; a threads:
 * group holds one copy of its body per thread, so each has its own rows. */
static unsigned count_ops(const struct rp_step *steps, unsigned n)
{
	unsigned total = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct rp_group *g = group_of(&steps[i]);
		if (steps[i].threads)
			total += 2 + thread_count(g) * thread_stride(g);
		else
			total += g ? 2 + count_ops(g->steps, g->steps_count) : 1;
	}
	return total;
}

/* Reject keys that only make sense on a call, and a step that is neither or both. */
static int check_step_shape(struct rp_build *b, const struct rp_step *s)
{
	int groups = !!s->process + !!s->loop + !!s->threads;
	if (!s->call && !groups) {
		rp_error(b, "a step needs call:, process:, loop: or threads:");
		return -1;
	}
	if ((s->call && groups) || groups > 1) {
		rp_error(b, "a step is one of call:, process:, loop: or threads:, not several");
		return -1;
	}
	if (groups && (s->args || s->nr || s->expect || s->repeat)) {
		/* At the first such key, not at the step. */
		size_t mark = rp_path_push(b, "%s.@key", s->args ? "args" : s->nr ? "nr"
							 : s->expect ? "expect" : "repeat");
		rp_error(b, "args:, nr:, expect: and repeat: belong to a call; a %s: group has "
			    "only id:, when:, needs:, comment: and its steps", group_key(s));
		rp_path_pop(b, mark);
		return -1;
	}
	/* Workers exist only in the runner, and a forked child has no threads. */
	if (groups && b->in_threads) {
		rp_error(b, "a threads: body holds calls only, not a %s: group",
			 group_key(s));
		return -1;
	}
	if (s->threads && b->in_process) {
		rp_error(b, "threads: cannot run inside a process: group (its child has no workers)");
		return -1;
	}
	return 0;
}

/* clone(CLONE_VM, ...): the child would run the engine on the parent's memory
 * (and, with no stack, on its stack), as vfork's does.  Known by number, not
 * name (nr: and syscalls: can name it anything).  Flags are clone's first
 * argument on every arch replay knows; 0x100 is CLONE_VM everywhere.  Flags an
 * earlier step supplies could hold it too, so they must be known now. */
static int shares_memory(struct rp_build *b, const struct rp_op *op)
{
	const struct rp_syscall *clone = rp_syscall_by_name(b->arch, "clone");
	if (!clone || op->nr != clone->nr)
		return 0;
	size_t mark = rp_path_push(b, "args.0");
	int bad = 1;
	for (unsigned f = op->fixup_first; f < b->prog->fixup_count && bad == 1; f++)
		if (b->prog->fixups[f].dst == &op->args[0])
			bad = 2;
	if (bad == 2)
		rp_error(b, "clone's flags must be known before the run, not come from an earlier "
			    "step: with CLONE_VM the child would run the engine on the parent's memory");
	else if (op->args[0] & 0x100)
		rp_error(b, "clone with CLONE_VM cannot be replayed: the child would run the engine "
			    "on the parent's memory (use a threads: group, or clone without CLONE_VM)");
	else
		bad = 0;
	rp_path_pop(b, mark);
	return bad;
}

static int compile_call(struct rp_build *b, const struct rp_step *s, struct rp_op *op,
			struct rp_step_info *info)
{
	int rc = 0;
	if (resolve_syscall(b, s, op, info) != 0 || check_process_call(b, s, op) != 0)
		rc = -1;
	if (s->expect && compile_expect(b, s->expect, &info->expect) != 0)
		rc = -1;
	if (compile_args(b, s, op, info) != 0)
		rc = -1;
	else if (shares_memory(b, op) != 0)
		rc = -1;
	if (compile_repeat(b, s, op) != 0)
		rc = -1;
	op->expects = !info->expect.any;
	return rc;
}

/* A process begins with fork where the arch has it, else clone(SIGCHLD). */
static void compile_fork(struct rp_build *b, struct rp_op *op, struct rp_step_info *info)
{
	const struct rp_syscall *fork_call = rp_syscall_by_name(b->arch, "fork");
	const struct rp_syscall *clone_call = rp_syscall_by_name(b->arch, "clone");
	op->kind = RP_OP_FORK;
	op->forks = 1;
	if (fork_call) {
		op->nr = fork_call->nr;
		info->call = "fork";
	} else {
		op->nr = clone_call ? clone_call->nr : -1;
		op->args[0] = 17; /* SIGCHLD, the same on every arch replay knows */
		info->call = "clone";
		info->nargs = 1;
		info->arg_text[0] = "SIGCHLD";
	}
}

static int compile_loop(struct rp_build *b, const struct rp_group *g, struct rp_op *op,
			struct rp_step_info *info)
{
	int rc = 0;
	int64_t rounds = 0;
	op->kind = RP_OP_LOOP;
	op->nr = 0;
	info->call = "loop";
	if (g->repeat) {
		size_t mark = rp_path_push(b, "repeat");
		if (rp_parse_number(g->repeat, &rounds) != 0 || rounds < 1) {
			rp_error(b, "repeat '%s' is not a count of at least 1", g->repeat);
			rc = -1;
		}
		rp_path_pop(b, mark);
	}
	uint64_t duration = 0, pause = 0;
	if (g->duration) {
		size_t mark = rp_path_push(b, "duration");
		if (rp_parse_seconds(g->duration, &duration) != 0 || !duration) {
			rp_error(b, "duration '%s' is not a number of seconds above 0", g->duration);
			rc = -1;
		}
		rp_path_pop(b, mark);
	}
	if (g->pause) {
		size_t mark = rp_path_push(b, "pause");
		if (rp_parse_seconds(g->pause, &pause) != 0) {
			rp_error(b, "pause '%s' is not a number of seconds", g->pause);
			rc = -1;
		}
		rp_path_pop(b, mark);
	}
	if (!g->repeat && !g->duration) {
		rp_error(b, "a loop needs repeat: N, duration: SECONDS or both");
		rc = -1;
	}
	op->args[0] = (uint64_t)rounds;
	op->args[1] = duration;
	op->args[2] = pause;
	return rc;
}

static int compile_steps(struct rp_build *b, const struct rp_step *steps, unsigned n,
			 unsigned *next, unsigned depth);

/* The thread's own name, as a visible first step: prctl(PR_SET_NAME, name). */
static void compile_thread_name(struct rp_build *b, const char *name, unsigned *next,
				unsigned depth)
{
	unsigned i = (*next)++;
	struct rp_op *op = &b->prog->ops[i];
	struct rp_step_info *info = &b->prog->info[i];
	const struct rp_syscall *prctl = rp_syscall_by_name(b->arch, "prctl");
	*op = (struct rp_op){.kind = RP_OP_CALL, .repeat = 1, .nr = prctl ? prctl->nr : -1,
			     .fixup_first = b->prog->fixup_count};
	op->args[0] = 15; /* PR_SET_NAME */
	op->args[1] = (uint64_t)(uintptr_t)rp_arena_strdup(&b->prog->arena, name);
	*info = (struct rp_step_info){.call = "prctl", .nargs = 2, .depth = (uint8_t)depth,
				      .expect = {.any = 1}};
	info->arg_text[0] = "PR_SET_NAME";
	info->arg_text[1] = rp_text(b, "\"%s\"", name);
}

static int compile_threads(struct rp_build *b, const struct rp_group *g, unsigned begin,
			   unsigned *next, unsigned depth)
{
	int rc = 0;
	int64_t n = 0;
	size_t mark = rp_path_push(b, "count");
	if (rp_parse_number(g->count, &n) != 0 || n < 1 || n > MAX_THREADS) {
		rp_error(b, "count '%s' is not a number of threads from 1 to %d", g->count, MAX_THREADS);
		rc = -1;
	}
	rp_path_pop(b, mark);
	if (g->name && (strlen(g->name) == 0 || strlen(g->name) > 15)) {
		mark = rp_path_push(b, "name");
		rp_error(b, "thread name '%s' must be 1 to 15 characters (the kernel keeps 15)", g->name);
		rp_path_pop(b, mark);
		rc = -1;
	}
	unsigned count = thread_count(g), stride = thread_stride(g);
	struct rp_op *op = &b->prog->ops[begin];
	op->kind = RP_OP_THREADS;
	op->nr = 0;
	op->args[0] = count;
	op->args[1] = stride;
	b->prog->info[begin].call = "threads";
	if (count > b->prog->max_threads)
		b->prog->max_threads = count;
	/* Each thread gets its own copy of the body; references inside the body
	 * stay inside the copy they are compiled into. */
	b->in_threads = 1;
	b->copy_lo = begin + 1;
	b->copy_hi = begin + 1 + stride;
	for (unsigned k = 0; k < count; k++) {
		b->copy_offset = k * stride;
		if (g->name)
			compile_thread_name(b, g->name, next, depth + 1);
		if (compile_steps(b, g->steps, g->steps_count, next, depth + 1) != 0)
			rc = -1;
		unsigned done = (*next)++;
		b->prog->ops[done] = (struct rp_op){.kind = RP_OP_DONE, .jump = begin, .repeat = 1};
		b->prog->info[done] = (struct rp_step_info){.call = "end", .hidden = 1,
							    .depth = (uint8_t)(depth + 1),
							    .expect = {.any = 1}};
		if (k == 0 && rc != 0)
			break; /* the same errors again for every copy help nobody */
	}
	*next = begin + 1 + count * stride;
	b->in_threads = 0;
	b->copy_offset = 0;
	return rc;
}

static int compile_step(struct rp_build *b, const struct rp_step *s, unsigned *next,
			unsigned depth)
{
	unsigned i = (*next)++;
	struct rp_op *op = &b->prog->ops[i];
	struct rp_step_info *info = &b->prog->info[i];
	int rc = 0;
	b->step = i;
	b->process_of[i] = b->process;
	info->id = s->id;
	info->call = s->call;
	info->depth = (uint8_t)(depth < 255 ? depth : 255);
	info->expect.any = 1;
	op->repeat = 1;
	op->fixup_first = b->prog->fixup_count;
	if (check_step_shape(b, s) != 0)
		return -1;
	if (s->when && compile_when(b, s->when, op) != 0)
		rc = -1;
	if (s->needs)
		info->needs = compile_needs(b, s->needs);
	const struct rp_group *g = group_of(s);
	if (!g) {
		if (compile_call(b, s, op, info) != 0)
			rc = -1;
		op->fixup_count = b->prog->fixup_count - op->fixup_first;
		return rc;
	}
	size_t mark = rp_path_push(b, "%s", group_key(s));
	if (s->process)
		compile_fork(b, op, info);
	else if (s->loop && compile_loop(b, g, op, info) != 0)
		rc = -1;
	op->fixup_count = b->prog->fixup_count - op->fixup_first;
	int was_in_process = b->in_process;
	unsigned parent = b->process;
	b->in_process |= s->process != NULL;
	if (s->process)
		b->process = i + 1;
	if (s->threads) {
		if (compile_threads(b, g, i, next, depth) != 0)
			rc = -1;
	} else if (compile_steps(b, g->steps, g->steps_count, next, depth + 1) != 0) {
		rc = -1;
	}
	b->in_process = was_in_process;
	rp_path_pop(b, mark);
	unsigned end = (*next)++;
	b->process_of[end] = b->process; /* a process: group's end runs in the child */
	b->process = parent;
	b->prog->ops[end] = (struct rp_op){.kind = s->process ? RP_OP_EXIT
						   : s->loop ? RP_OP_NEXT : RP_OP_JOIN,
					   .jump = i, .repeat = 1, .nr = 0};
	b->prog->info[end] = (struct rp_step_info){.call = "end", .hidden = 1,
						   .depth = info->depth, .expect = {.any = 1}};
	op->jump = end;
	return rc;
}

/* Step numbers as reports show them: every op but the groups' end ops. */
static void number_steps(struct rp_program *prog)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < prog->step_count; i++)
		prog->info[i].number = prog->info[i].hidden ? n : ++n;
}

static int compile_steps(struct rp_build *b, const struct rp_step *steps, unsigned n,
			 unsigned *next, unsigned depth)
{
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t mark = rp_path_push(b, "steps.%u", i);
		if (compile_step(b, &steps[i], next, depth) != 0)
			rc = -1;
		rp_path_pop(b, mark);
	}
	return rc;
}

/* The node path of the first step with this id ("steps.0.process.steps.2.id"), for
 * the duplicate's message. */
static int first_id_path(const struct rp_step *steps, unsigned n, const char *id, char *out,
			 size_t room, const char *prefix)
{
	for (unsigned i = 0; i < n; i++) {
		char here[512];
		snprintf(here, sizeof(here), "%ssteps.%u", prefix, i);
		if (steps[i].id && strcmp(steps[i].id, id) == 0) {
			snprintf(out, room, "%s.id", here);
			return 0;
		}
		const struct rp_group *g = group_of(&steps[i]);
		if (g) {
			char inner[sizeof(here) + 16]; /* here + ".threads." */
			snprintf(inner, sizeof(inner), "%s.%s.", here, group_key(&steps[i]));
			if (first_id_path(g->steps, g->steps_count, id, out, room, inner) == 0)
				return 0;
		}
	}
	return -1;
}

/* First pass, in the same order as compile_steps: ids to op indices, named objects. */
static void index_steps(struct rp_build *b, const struct rp_step *steps, unsigned n,
			unsigned *next)
{
	for (unsigned i = 0; i < n; i++) {
		const struct rp_step *s = &steps[i];
		size_t mark = rp_path_push(b, "steps.%u", i);
		unsigned k = (*next)++, old;
		if (s->id && !s->id[0]) {
			size_t m2 = rp_path_push(b, "id");
			rp_error(b, "empty step id; give the step a name or leave id: out");
			rp_path_pop(b, m2);
		} else if (s->id && rp_names_add(&b->step_ids, s->id, k, &old) != 0) {
			size_t m2 = rp_path_push(b, "id");
			char first[1024]; /* a step path (under 512) and ".id" */
			unsigned line, col;
			if (first_id_path(b->spec->steps, b->spec->steps_count, s->id, first, sizeof(first),
					  "") == 0 &&
			    rp_diags_position_of(b->diags, first, &line, &col) == 0)
				rp_error(b, "step id '%s' is already used at %u:%u", s->id, line, col);
			else
				rp_error(b, "step id '%s' is already used by an earlier step", s->id);
			rp_path_pop(b, m2);
		}
		for (unsigned j = 0; j < s->args_count; j++) {
			size_t m2 = rp_path_push(b, "args.%u", j);
			rp_collect_objects(b, &s->args[j]);
			rp_path_pop(b, m2);
		}
		const struct rp_group *g = group_of(s);
		if (g) {
			size_t m2 = rp_path_push(b, "%s", group_key(s));
			unsigned body = *next;
			*next += s->threads && g->name ? 1 : 0; /* the naming prctl */
			index_steps(b, g->steps, g->steps_count, next);
			rp_path_pop(b, m2);
			/* Ids of a threads: body name the first thread's copy. */
			if (s->threads)
				*next = body + thread_count(g) * thread_stride(g);
			(*next)++; /* the group's end op */
		}
		rp_path_pop(b, mark);
	}
}

static void check_isolation(struct rp_build *b)
{
	for (unsigned i = 0; i < b->spec->isolate_count; i++) {
		unsigned bits;
		size_t mark = rp_path_push(b, "isolate.%u", i);
		if (rp_isolate_parse(b->spec->isolate[i], &bits) != 0 || !bits)
			rp_error(b, "unknown namespace '%s' (user, mount, net, pid)", b->spec->isolate[i]);
		else
			b->prog->isolate |= bits;
		rp_path_pop(b, mark);
	}
}
/* Every entry of syscalls:, used or not, for both arches. */
static void check_overrides(struct rp_build *b)
{
	const struct rp_spec *spec = b->spec;
	for (unsigned i = 0; i < spec->syscalls_count; i++) {
		const struct rp_syscall_override *ov = &spec->syscalls[i];
		size_t mark = rp_path_push(b, "syscalls.%u", i);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(spec->syscalls[j].name, ov->name) == 0) {
				size_t m2 = rp_path_push(b, "name");
				rp_error(b, "syscall '%s' already has numbers in entry %u", ov->name, j + 1);
				rp_path_pop(b, m2);
			}
		if (!ov->x86_64 && !ov->aarch64)
			rp_error(b, "give '%s' a number for x86_64, aarch64 or both", ov->name);
		long nr;
		if (ov->x86_64) {
			size_t m2 = rp_path_push(b, "x86_64");
			parse_nr(b, ov->x86_64, &nr);
			rp_path_pop(b, m2);
		}
		if (ov->aarch64) {
			size_t m2 = rp_path_push(b, "aarch64");
			parse_nr(b, ov->aarch64, &nr);
			rp_path_pop(b, m2);
		}
		rp_path_pop(b, mark);
	}
}

static void plan_sandbox(struct rp_build *b)
{
	const struct rp_sandbox *sb = b->spec->sandbox;
	if (!sb)
		return;
	struct rp_sandbox_plan *plan = &b->prog->sandbox;
	plan->dirs = rp_arena_alloc(&b->prog->arena, (sb->dirs_count + 1) * sizeof(char *), 8);
	for (unsigned i = 0; i < sb->dirs_count; i++) {
		size_t mark = rp_path_push(b, "sandbox.dirs.%u", i);
		if (rp_sandbox_relpath(b, sb->dirs[i]) == 0)
			plan->dirs[plan->dir_count++] = sb->dirs[i];
		rp_path_pop(b, mark);
	}
	for (unsigned i = 0; i < sb->files_count; i++) {
		size_t mark = rp_path_push(b, "sandbox.files.%u", i);
		rp_add_sandbox_file(b, &sb->files[i]);
		rp_path_pop(b, mark);
	}
}

struct rp_program *rp_compile(const struct rp_spec *spec, const struct rp_compile_options *opt,
			      struct rp_diags *diags)
{
	struct rp_program *prog = calloc(1, sizeof(*prog));
	struct rp_build *b = calloc(1, sizeof(*b));
	if (!prog || !b)
		abort();
	*b = (struct rp_build){.prog = prog, .diags = diags, .spec = spec};
	b->arch = opt && opt->arch ? opt->arch : rp_native_arch();
	b->render = opt && opt->render;
	prog->name = spec->name;
	prog->arch = b->arch;
	prog->step_count = count_ops(spec->steps, spec->steps_count);
	prog->ops = rp_arena_alloc(&prog->arena, prog->step_count * sizeof(*prog->ops), 64);
	prog->info = rp_arena_alloc(&prog->arena, prog->step_count * sizeof(*prog->info), 8);
	b->process_of = calloc(prog->step_count ? prog->step_count : 1, sizeof(*b->process_of));
	if (!b->process_of)
		abort();
	rp_names_init(&b->step_ids, prog->step_count);
	rp_names_init(&b->object_names, 16);
	rp_names_init(&b->file_names, 16);
	rp_names_init(&b->file_dirs, 16);
	unsigned errors_before = diags->errors;
	if (!spec->name[0]) {
		size_t mark = rp_path_push(b, "name");
		rp_error(b, "the spec's name is empty; reports and sandboxes are named after it");
		rp_path_pop(b, mark);
	}
	plan_sandbox(b);
	check_isolation(b);
	if (spec->needs)
		prog->needs = compile_needs(b, spec->needs);
	prog->tags = (const char *const *)spec->tags;
	prog->tag_count = spec->tags_count;
	check_overrides(b);
	unsigned next = 0;
	index_steps(b, spec->steps, spec->steps_count, &next);
	next = 0;
	compile_steps(b, spec->steps, spec->steps_count, &next, 0);
	number_steps(prog);
	free(b->process_of);
	rp_names_free(&b->step_ids);
	rp_names_free(&b->object_names);
	rp_names_free(&b->file_names);
	rp_names_free(&b->file_dirs);
	for (unsigned i = 0; i < b->object_count; i++)
		free(b->objects[i].path);
	free(b->objects);
	int failed = diags->errors != errors_before;
	free(b);
	if (failed) {
		rp_program_free(prog);
		return NULL;
	}
	return prog;
}

int rp_program_bind_sandbox(struct rp_program *prog, const char *dir)
{
	int rc = 0;
	for (unsigned i = 0; i < prog->reloc_count; i++) {
		const struct rp_path_reloc *r = &prog->relocs[i];
		if (!r->rel) { /* run_id: a C string of the run's nonce */
			uint64_t ptr = (uint64_t)(uintptr_t)rp_arena_strdup(&prog->arena,
									   prog->run_id ? prog->run_id : "");
			memcpy(r->slot, &ptr, sizeof(ptr));
			continue;
		}
		char *abs = strcmp(r->rel, ".") == 0 ? rp_arena_strdup(&prog->arena, dir)
						     : rp_arena_printf(&prog->arena, "%s/%s", dir, r->rel);
		if (r->copy_size) {
			/* chars: the path itself goes in, NUL-padded (sockaddr_un.sun_path) */
			size_t n = strlen(abs);
			if (n >= r->copy_size) {
				fprintf(stderr, "replay: sandbox path %s (%zu bytes) does not fit chars[%u]; "
						"set TMPDIR to a shorter directory\n", abs, n, r->copy_size);
				rc = -1;
				continue;
			}
			memcpy(r->slot, abs, n + 1);
			continue;
		}
		uint64_t ptr = (uint64_t)(uintptr_t)abs;
		memcpy(r->slot, &ptr, sizeof(ptr));
	}
	return rc;
}

void rp_program_free(struct rp_program *prog)
{
	if (!prog)
		return;
	free(prog->fixups);
	free(prog->relocs);
	free(prog->sandbox.files);
	rp_arena_free(&prog->arena);
	free(prog);
}
