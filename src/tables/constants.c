/*
 * Constant and errno names, with values from this build's C headers.
 * The name list is tables/constants.tbl; the headers below are the ones
 * that define those names (glibc's sys/mount.h already carries the new
 * mount API, so <linux/mount.h> is not needed and would clash with it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/quota.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "replay/tables.h"

#include "constants.inc"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int by_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct rp_constant *)elem)->name);
}

const struct rp_constant *rp_constant_by_name(const char *name)
{
	return bsearch(name, rp_constant_table, COUNT(rp_constant_table),
		       sizeof(rp_constant_table[0]), by_name);
}

const char *rp_errno_name(int err)
{
	for (size_t i = 0; i < COUNT(rp_errno_table); i++)
		if (rp_errno_table[i].value == err)
			return rp_errno_table[i].name;
	return NULL;
}

int rp_errno_by_name(const char *name)
{
	for (size_t i = 0; i < COUNT(rp_errno_table); i++)
		if (strcmp(rp_errno_table[i].name, name) == 0)
			return (int)rp_errno_table[i].value;
	return -1;
}

const char *rp_closest_constant(const char *want)
{
	static const char *names[COUNT(rp_constant_table)];
	for (size_t i = 0; i < COUNT(rp_constant_table); i++)
		names[i] = rp_constant_table[i].name;
	return rp_closest_name(want, names, COUNT(names));
}
