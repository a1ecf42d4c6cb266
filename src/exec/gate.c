/* Probing the machine for a spec's needs: uname, euid, CapEff, tracefs or kallsyms, /proc/sys. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "replay/arena.h"
#include "replay/gate.h"
#include "replay/tables.h"

static void running_kernel(unsigned v[3])
{
	struct utsname u;
	v[0] = v[1] = v[2] = 0;
	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u.%u", &v[0], &v[1], &v[2]);
}

static int version_below(const unsigned have[3], const unsigned want[3])
{
	for (int i = 0; i < 3; i++)
		if (have[i] != want[i])
			return have[i] < want[i];
	return 0;
}

static uint64_t effective_caps(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long caps = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps;
}

/* tracefs knows each syscall's tracepoint; kallsyms its entry symbol. */
int rp_kernel_has_syscall(const char *call)
{
	const char *name = rp_kernel_name(call);
	static const char *const tracefs[] = {"/sys/kernel/tracing/events/syscalls",
					      "/sys/kernel/debug/tracing/events/syscalls"};
	char path[256];
	struct stat st;
	for (size_t i = 0; i < 2; i++) {
		if (stat(tracefs[i], &st) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/sys_enter_%s", tracefs[i], name);
		return stat(path, &st) == 0;
	}
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	char want[3][96], line[256];
	snprintf(want[0], sizeof(want[0]), " __x64_sys_%s\n", name);
	snprintf(want[1], sizeof(want[1]), " __arm64_sys_%s\n", name);
	snprintf(want[2], sizeof(want[2]), " sys_%s\n", name);
	int found = 0;
	while (!found && fgets(line, sizeof(line), f))
		for (int i = 0; i < 3 && !found; i++) {
			size_t ll = strlen(line), wl = strlen(want[i]);
			found = ll >= wl && strcmp(line + ll - wl, want[i]) == 0;
		}
	fclose(f);
	return found;
}

static int sysctl_is(const char *name, const char *value)
{
	char path[256], got[256] = "";
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(got, sizeof(got), f))
		got[0] = '\0';
	fclose(f);
	got[strcspn(got, "\n")] = '\0';
	return strcmp(got, value) == 0;
}

static const char *cap_name(unsigned bit)
{
	static char buf[32];
	static const char *const names[] = {"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE",
					    "CAP_PERFMON", "CAP_BPF", "CAP_SYS_RESOURCE"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct rp_constant *c = rp_constant_by_name(names[i]);
		if (c && c->value == (int64_t)bit)
			return names[i];
	}
	snprintf(buf, sizeof(buf), "capability %u", bit);
	return buf;
}

int rp_needs_met(const struct rp_needs_c *n, char *why, size_t size)
{
	unsigned have[3];
	running_kernel(have);
	if (n->kernel[0] && version_below(have, n->kernel)) {
		snprintf(why, size, "needs Linux >= %u.%u.%u, this is %u.%u.%u", n->kernel[0],
			 n->kernel[1], n->kernel[2], have[0], have[1], have[2]);
		return 1;
	}
	if (n->arch_mask) {
		const char *const *names = rp_arch_names();
		unsigned k = 0;
		while (names[k] && strcmp(names[k], rp_native_arch()) != 0)
			k++;
		if (!(n->arch_mask & (1u << k))) {
			snprintf(why, size, "not for %s", rp_native_arch());
			return 1;
		}
	}
	if (n->root && geteuid() != 0) {
		snprintf(why, size, "needs root");
		return 1;
	}
	uint64_t missing = n->caps & ~effective_caps();
	if (missing) {
		snprintf(why, size, "needs %s", cap_name((unsigned)__builtin_ctzll(missing)));
		return 1;
	}
	for (unsigned i = 0; i < n->syscall_count; i++)
		if (rp_kernel_has_syscall(n->syscalls[i]) == 0) {
			snprintf(why, size, "this kernel has no %s", n->syscalls[i]);
			return 1;
		}
	for (unsigned i = 0; i < n->sysctl_count; i++)
		if (!sysctl_is(n->sysctl_names[i], n->sysctl_values[i])) {
			snprintf(why, size, "needs sysctl %s = %s", n->sysctl_names[i], n->sysctl_values[i]);
			return 1;
		}
	return 0;
}

const char *rp_gate_program(struct rp_program *prog)
{
	char why[160];
	if (prog->needs && rp_needs_met(prog->needs, why, sizeof(why)))
		return rp_arena_strdup(&prog->arena, why);
	for (unsigned i = 0; i < prog->step_count; i++) {
		const struct rp_needs_c *n = prog->info[i].needs;
		if (n && rp_needs_met(n, why, sizeof(why))) {
			prog->info[i].skipped_because = rp_arena_strdup(&prog->arena, why);
			prog->ops[i].nr = -1; /* not run: the loop treats it as unavailable */
		}
	}
	return NULL;
}
