/*
 * --isolate: the child enters new namespaces before its first step, so even
 * a root run cannot change the host's mounts, swap or network.  In a new
 * user namespace replay's uid becomes root of that namespace only: mounts
 * of tmpfs work there, swapon and friends get EPERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/exec.h"
#include "supervise.h"

static const struct {
	const char *name;
	unsigned bit;
} namespaces[] = {
	{"user", RP_ISOLATE_USER}, {"mount", RP_ISOLATE_MOUNT},
	{"net", RP_ISOLATE_NET}, {"pid", RP_ISOLATE_PID},
};

int rp_isolate_parse(const char *list, unsigned *out)
{
	unsigned bits = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == 0 || (p[n] == ',' && p[n + 1] == '\0'))
			return -1; /* "user,,net" or "user," */
		size_t i;
		for (i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
			if (strlen(namespaces[i].name) == n && strncmp(p, namespaces[i].name, n) == 0)
				break;
		if (i == sizeof(namespaces) / sizeof(namespaces[0]))
			return -1;
		bits |= namespaces[i].bit;
		p += n + (p[n] == ',');
	}
	*out = bits;
	return 0;
}

static int fail(struct rp_live *live, const char *what)
{
	live->setup_errno = errno ? errno : EINVAL;
	snprintf(live->setup_what, sizeof(live->setup_what), "%s", what);
	return -1;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Our uid and gid become 0 inside: the spec runs as the namespace's root. */
static int map_ids(struct rp_live *live, uid_t uid, gid_t gid)
{
	char map[64];
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) != 0)
		return fail(live, "write /proc/self/uid_map");
	if (write_file("/proc/self/setgroups", "deny\n") != 0 && errno != ENOENT)
		return fail(live, "write /proc/self/setgroups");
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) != 0)
		return fail(live, "write /proc/self/gid_map");
	return 0;
}

/* In a new pid namespace only our children are inside: run the steps in one,
 * and pass its end (exit status or signal) on as ours. */
static void become_pid_one(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* we die with replay, it dies with us */
		return;
	}
	int status = 0;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid > 0 && WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		kill(getpid(), WTERMSIG(status));
	}
	_exit(pid > 0 ? WEXITSTATUS(status) : RP_SETUP_FAILED);
}

int rp_isolate_child(unsigned isolate, struct rp_live *live)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	int flags = 0;
	if (isolate & RP_ISOLATE_USER)
		flags |= CLONE_NEWUSER;
	if (isolate & RP_ISOLATE_MOUNT)
		flags |= CLONE_NEWNS;
	if (isolate & RP_ISOLATE_NET)
		flags |= CLONE_NEWNET;
	if (isolate & RP_ISOLATE_PID)
		flags |= CLONE_NEWPID;
	errno = 0;
	if (unshare(flags) != 0)
		return fail(live, "unshare");
	if ((isolate & RP_ISOLATE_USER) && map_ids(live, uid, gid) != 0)
		return -1;
	/* Credentials in a new user namespace clear the parent-death signal: set it again. */
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* see die_with_replay() in run.c */
	/* Private, so nothing mounted here propagates back to the host's namespace. */
	if ((isolate & RP_ISOLATE_MOUNT) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return fail(live, "make / private in the new mount namespace");
	if (isolate & RP_ISOLATE_PID)
		become_pid_one();
	return 0;
}
