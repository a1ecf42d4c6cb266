/*
 * Baseline for target 2: specs/mountfs-management.yaml written by hand in C.
 * The same 24 calls, in the same order, with the same arguments as the spec
 * (and the seed it comes from, shared/seeds/mountfs-management.go.txt),
 * issued ROUNDS times through glibc's syscall(2), as `replay --repeat ROUNDS`
 * does in one child.
 *
 *   baseline_mountfs [ROUNDS]      ROUNDS defaults to 1000
 *
 * Like replay's sandbox it makes its own directory, $TMPDIR (or /tmp)
 * /bench-mountfs-management-XXXXXX (mode 0700, made canonical with
 * realpath), with mnt/ (0755) and a 4-byte file swapfile ("swap", 0600), and
 * removes it at the end.  Every path it passes is inside that directory,
 * except fspick's "/", which the spec passes too and which changes nothing
 * (a context on "/" reconfigures nothing until an fsconfig that never comes).
 *
 * As root: mount() really mounts a tmpfs on mnt and the first umount2() takes
 * it off again, every round; the second umount2 (MNT_DETACH) then fails with
 * EINVAL.  mount_setattr, move_mount and pivot_root get a path that is not a
 * mount (EINVAL/EBUSY); pivot_root's put_old is not under new_root, so it can
 * never succeed.  swapon gets a file with no swap signature (EINVAL).
 * Anything still mounted on mnt at the end is detached before removal.
 *
 * Check it: strace -f -e trace=%file,fsopen,fsconfig,... ./baseline_mountfs 1
 * (bench/run.sh compares that trace with replay's, call by call).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Numbers newer than some libc headers (same on x86_64 and aarch64). */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
#define NR_LISTNS 470 /* the seed hard-codes it for amd64 and arm64 */
#ifndef MNT_ID_REQ_SIZE_VER0
#define MNT_ID_REQ_SIZE_VER0 24
#endif
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif
#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW 8
#endif

struct bench_mount_attr { /* struct mount_attr */
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
struct bench_mnt_id_req { /* struct mnt_id_req, version 0 */
	uint32_t size, spare;
	uint64_t mnt_id, param;
};

static char dir[PATH_MAX], mnt[PATH_MAX + 16], swapfile[PATH_MAX + 16];

static int setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	if (snprintf(tmpl, sizeof tmpl, "%s/bench-mountfs-management-XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof tmpl) {
		fprintf(stderr, "baseline_mountfs: TMPDIR too long\n");
		return -1;
	}
	if (!mkdtemp(tmpl)) {
		perror("baseline_mountfs: mkdtemp");
		return -1;
	}
	if (!realpath(tmpl, dir)) {
		perror("baseline_mountfs: realpath");
		rmdir(tmpl);
		return -1;
	}
	snprintf(mnt, sizeof mnt, "%s/mnt", dir);
	snprintf(swapfile, sizeof swapfile, "%s/swapfile", dir);
	if (mkdir(mnt, 0755) != 0) {
		perror("baseline_mountfs: mkdir mnt");
		return -1;
	}
	int fd = open(swapfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, "swap", 4) != 4) {
		perror("baseline_mountfs: swapfile");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int cleanup(void)
{
	int rc = 0;
	/* Detach whatever a round left on mnt (stacked mounts: until EINVAL). */
	for (int i = 0; i < 64; i++)
		if (syscall(SYS_umount2, mnt, MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
			break;
	if (unlink(swapfile) != 0 && errno != ENOENT)
		perror("baseline_mountfs: unlink swapfile"), rc = -1;
	if (rmdir(mnt) != 0)
		perror("baseline_mountfs: rmdir mnt"), rc = -1;
	if (rmdir(dir) != 0)
		perror("baseline_mountfs: rmdir"), rc = -1;
	return rc;
}

static void round_once(void)
{
	static struct bench_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	static struct bench_mnt_id_req req = {.size = MNT_ID_REQ_SIZE_VER0};
	static unsigned char statbuf[256], mount_ids[64], ns_ids[64];
	long fd;

	/* 1-4: fsopen, fsconfig x2 on its fd (or -1), close when ok */
	long fsfd = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	long ctx = fsfd >= 0 ? fsfd : -1;
	syscall(SYS_fsconfig, ctx, FSCONFIG_SET_STRING, "source", "none", 0);
	syscall(SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	if (fsfd >= 0)
		syscall(SYS_close, fsfd);
	/* 5-6: fspick "/", close when ok */
	fd = syscall(SYS_fspick, AT_FDCWD, "/", FSPICK_NO_AUTOMOUNT);
	if (fd >= 0)
		syscall(SYS_close, fd);
	/* 7-8: open_tree clone of mnt, close when ok */
	fd = syscall(SYS_open_tree, AT_FDCWD, mnt, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd >= 0)
		syscall(SYS_close, fd);
	/* 9-16 */
	syscall(SYS_mount_setattr, AT_FDCWD, mnt, 0, &attr, sizeof attr);
	syscall(SYS_mount, "none", mnt, "tmpfs", 0, NULL);
	syscall(SYS_umount2, mnt, 0);
	syscall(SYS_umount2, mnt, MNT_DETACH);
	syscall(SYS_move_mount, AT_FDCWD, mnt, AT_FDCWD, mnt, 0);
	syscall(SYS_fsmount, -1, 0, 0);
	syscall(SYS_pivot_root, mnt, dir);
	syscall(SYS_quotactl, 0, mnt, 0, NULL);
	/* 17-19: openat mnt, quotactl_fd and close when ok */
	fd = syscall(SYS_openat, AT_FDCWD, mnt, O_RDONLY);
	if (fd >= 0) {
		syscall(SYS_quotactl_fd, fd, 0, 0, NULL);
		syscall(SYS_close, fd);
	}
	/* 20-24 */
	syscall(SYS_swapon, swapfile, 0);
	syscall(SYS_swapoff, swapfile);
	syscall(SYS_statmount, &req, statbuf, sizeof statbuf, 0);
	syscall(SYS_listmount, &req, mount_ids, 8, 0);
	syscall(NR_LISTNS, &req, ns_ids, 8, 0);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	if (rounds < 0) {
		fprintf(stderr, "usage: %s [ROUNDS]\n", argv[0]);
		return 2;
	}
	if (setup() != 0) {
		if (dir[0])
			cleanup();
		return 1;
	}
	for (long i = 0; i < rounds; i++)
		round_once();
	return cleanup() != 0;
}
