/*
 * tables.h - syscall numbers per architecture and symbolic constants.
 *
 * Contract: lookups by name over tables generated from the files under tables/.
 * Syscall tables exist for every arch in rp_arch_names(); constants have the
 * values of the architecture replay was built for.
 */
#ifndef REPLAY_TABLES_H
#define REPLAY_TABLES_H

#include <stdint.h>

/* Classes of a syscall (columns of tables/syscalls/ARCH.tbl). */
enum {
	RP_SC_FD = 1 << 0,    /* takes a file descriptor */
	RP_SC_PATH = 1 << 1,  /* takes a pathname */
	RP_SC_RETFD = 1 << 2, /* returns a new file descriptor */
	RP_SC_NET = 1 << 3,
	RP_SC_PROC = 1 << 4,
	RP_SC_SIG = 1 << 5,
	RP_SC_IPC = 1 << 6,
	RP_SC_MEM = 1 << 7,
};

struct rp_syscall {
	const char *name;
	int nr;
	int nargs;
	unsigned flags;
};

struct rp_constant {
	const char *name;
	int64_t value;
};

/* The arch replay runs on ("x86_64", "aarch64"). */
const char *rp_native_arch(void);
/* NULL-terminated list of arches with a syscall table. */
const char *const *rp_arch_names(void);
int rp_arch_known(const char *arch);

const struct rp_syscall *rp_syscall_by_name(const char *arch, const char *name);
const struct rp_syscall *rp_syscall_table(const char *arch, unsigned *count);
/* The kernel's own name of a call, as in tracepoints and symbols ("umount2" -> "umount"). */
const char *rp_kernel_name(const char *call);

const struct rp_constant *rp_constant_by_name(const char *name);
/* "ENOENT" for 2; NULL if unknown. */
const char *rp_errno_name(int err);
/* Errno number for "ENOENT"; -1 if the name is not an errno. */
int rp_errno_by_name(const char *name);

/* Closest name in a sorted-or-not list, for "did you mean"; NULL if none is close. */
const char *rp_closest_name(const char *want, const char *const *names, unsigned count);
const char *rp_closest_constant(const char *want);
const char *rp_closest_syscall(const char *arch, const char *want);

#endif
