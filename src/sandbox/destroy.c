/*
 * Removing the sandbox.  Mounts first (a tmpfs a step mounted would otherwise
 * make the directory busy, or worse, be deleted into), then the tree, walked
 * with directory fds and O_NOFOLLOW so a planted symlink is removed, not
 * followed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/sandbox.h"


/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static int is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int rp_mounts_under(const char *dir, char (*out)[4096], int max)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[8192], point[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape(point);
		if (is_under(point, dir)) {
			if (out && n < max)
				snprintf(out[n], sizeof(out[n]), "%s", point);
			n++;
		}
	}
	fclose(f);
	return n;
}

static int longest_first(const void *a, const void *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

static int shortest_first(const void *a, const void *b)
{
	return longest_first(b, a);
}

/* One pass over every mount at or below dir, in the given order: how many went. */
static int unmount_pass(char (*points)[4096], int n, int (*order)(const void *, const void *))
{
	int gone = 0;
	qsort(points, (size_t)n, sizeof(points[0]), order);
	for (int i = 0; i < n; i++) {
		if (umount2(points[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			gone++;
		else if (errno != EINVAL && errno != ENOENT) /* already gone with one above it */
			fprintf(stderr, "replay: cleanup: umount %s: %s\n", points[i], strerror(errno));
	}
	return gone;
}

static int unmount_all(const char *dir)
{
	/* Deepest first, so a mount goes before the one it sits on; stacked mounts
	 * reappear as the top one goes, so repeat while passes make progress.  If
	 * one does not, the mounts left are hidden under a mount on a parent
	 * (a step mounted over m after stacking on m/n): shallowest first then. */
	for (;;) {
		int n = rp_mounts_under(dir, NULL, 0);
		if (n <= 0)
			return n;
		char (*points)[4096] = malloc((size_t)n * sizeof(*points));
		if (!points)
			return n;
		int now = rp_mounts_under(dir, points, n); /* filled: at most n */
		n = now < n ? now : n;
		int gone = unmount_pass(points, n, longest_first);
		if (!gone)
			gone = unmount_pass(points, n, shortest_first);
		free(points);
		if (!gone)
			return rp_mounts_under(dir, NULL, 0);
	}
}

static int remove_at(int parent, const char *name, int depth, dev_t dev);

static int remove_children(int dfd, int depth, dev_t dev)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(d), e->d_name, depth + 1, dev) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* Remove `name` and below, staying on device `dev`: a mount that survived
 * the unmount pass is another filesystem, never to be emptied by us. */
static int remove_at(int parent, const char *name, int depth, dev_t dev)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (st.st_dev != dev) {
		fprintf(stderr, "replay: cleanup: %s is on another filesystem (a mount?): not removed\n",
			name);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0);
	if (depth > 256)
		return -1;
	int dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == EACCES && fchmodat(parent, name, 0700, 0) == 0)
		dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	/* A step may have taken write permission away; we need it to unlink. */
	fchmod(dfd, 0700);
	int rc = remove_children(dfd, depth, dev);
	if (unlinkat(parent, name, AT_REMOVEDIR) != 0)
		rc = -1;
	return rc;
}

int rp_sandbox_destroy(const struct rp_sandbox_dir *sb)
{
	int rc = 0;
	int left = unmount_all(sb->path);
	if (left < 0) /* no /proc (a bare chroot): removal below still never crosses a mount */
		fprintf(stderr, "replay: cleanup: cannot read /proc/self/mountinfo; mounts under %s "
				"were not looked for\n", sb->path);
	else if (left > 0) {
		fprintf(stderr, "replay: cleanup: mounts remain under %s\n", sb->path);
		rc = -1;
	}
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", sb->path);
	char *slash = strrchr(parent, '/');
	if (!slash)
		return -1;
	const char *base = sb->path + (slash - parent) + 1;
	*slash = '\0';
	int pfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	struct stat root;
	int found = fstatat(pfd, base, &root, AT_SYMLINK_NOFOLLOW) == 0;
	if (!found || root.st_dev != sb->dev || root.st_ino != sb->ino) {
		/* A step renamed or removed it: whatever was mounted in it went along,
		 * out of sight of the mountinfo scan above.  What is at its path now is
		 * not what replay made (a step may have moved any directory there), so
		 * it is left alone.  Say so: it is not clean. */
		fprintf(stderr, "replay: cleanup: the sandbox %s was moved, removed or replaced by a "
				"step; mounts and files made in it were not looked for where it went%s\n",
			sb->path, found ? ", and what is at its path now was not removed" : "");
		close(pfd);
		return -1;
	}
	if (remove_at(pfd, base, 0, root.st_dev) != 0) {
		fprintf(stderr, "replay: cleanup: cannot remove %s: %s\n", sb->path, strerror(errno));
		rc = -1;
	}
	close(pfd);
	return rc;
}
