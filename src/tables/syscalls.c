/* Per-arch syscall tables, generated from tables/syscalls/ARCH.tbl. */
#include <stdlib.h>
#include <string.h>

#include "replay/tables.h"

#include "syscalls_x86_64.inc"
#include "syscalls_aarch64.inc"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct arch_table {
	const char *arch;
	const struct rp_syscall *calls;
	unsigned count;
};

static const struct arch_table arch_tables[] = {
	{"x86_64", rp_syscalls_x86_64, COUNT(rp_syscalls_x86_64)},
	{"aarch64", rp_syscalls_aarch64, COUNT(rp_syscalls_aarch64)},
};

static const char *const arch_names[] = {"x86_64", "aarch64", NULL};

const char *rp_native_arch(void)
{
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#else
#error "replay has syscall tables for x86_64 and aarch64 only"
#endif
}

const char *const *rp_arch_names(void)
{
	return arch_names;
}

static const struct arch_table *find_arch(const char *arch)
{
	for (size_t i = 0; i < COUNT(arch_tables); i++)
		if (strcmp(arch_tables[i].arch, arch) == 0)
			return &arch_tables[i];
	return NULL;
}

int rp_arch_known(const char *arch)
{
	return find_arch(arch) != NULL;
}

const struct rp_syscall *rp_syscall_table(const char *arch, unsigned *count)
{
	const struct arch_table *t = find_arch(arch);
	*count = t ? t->count : 0;
	return t ? t->calls : NULL;
}

static int by_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct rp_syscall *)elem)->name);
}

const struct rp_syscall *rp_syscall_by_name(const char *arch, const char *name)
{
	const struct arch_table *t = find_arch(arch);
	if (!t)
		return NULL;
	return bsearch(name, t->calls, t->count, sizeof(t->calls[0]), by_name);
}

/* Where the kernel's SYSCALL_DEFINE (and so its tracepoints and symbols) is
 * named otherwise than the call. */
static const char *const kernel_names[][2] = {
	{"stat", "newstat"}, {"fstat", "newfstat"}, {"lstat", "newlstat"},
	{"uname", "newuname"}, {"umount2", "umount"},
};

const char *rp_kernel_name(const char *call)
{
	for (size_t i = 0; i < COUNT(kernel_names); i++)
		if (strcmp(call, kernel_names[i][0]) == 0)
			return kernel_names[i][1];
	return call;
}

const char *rp_closest_syscall(const char *arch, const char *want)
{
	const struct arch_table *t = find_arch(arch);
	static const char *names[1024];
	unsigned n = 0;
	for (unsigned i = 0; t && i < t->count && n < COUNT(names); i++)
		names[n++] = t->calls[i].name;
	return rp_closest_name(want, names, n);
}
