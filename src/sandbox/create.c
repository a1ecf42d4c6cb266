/* Creating the sandbox: mkdtemp, then the spec's dirs and files, relative to its fd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/sandbox.h"

static void safe_name(char *out, size_t size, const char *name)
{
	size_t n = 0;
	for (; *name && n + 1 < size && n < 40; name++)
		out[n++] = (*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
				   (*name >= '0' && *name <= '9') || *name == '-' || *name == '_'
			       ? *name : '_';
	out[n] = '\0';
}

/* mkdir -p of `rel` (relative to dfd); the last component too if `last`. */
static int make_dirs(int dfd, const char *rel, int last)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (buf[0] && strcmp(buf, ".") && mkdirat(dfd, buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (last && strcmp(buf, ".") && mkdirat(dfd, buf, 0755) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int write_all(int fd, const char *data, size_t size)
{
	while (size) {
		ssize_t n = write(fd, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

static int make_file(int dfd, const struct rp_sandbox_file *f)
{
	if (make_dirs(dfd, f->name, 0) != 0)
		return -1;
	int fd = openat(dfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, f->content, f->size);
	if (rc == 0)
		rc = fchmod(fd, f->mode); /* the exact mode, whatever the umask */
	close(fd);
	return rc;
}

int rp_sandbox_create(struct rp_sandbox_dir *sb, const char *spec_name,
		      const struct rp_sandbox_plan *plan)
{
	const char *tmp = getenv("TMPDIR");
	char name[64];
	safe_name(name, sizeof(name), spec_name);
	snprintf(sb->path, sizeof(sb->path), "%s/replay-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(sb->path)) {
		fprintf(stderr, "replay: cannot create sandbox %s: %s\n", sb->path, strerror(errno));
		return -1;
	}
	/* The canonical path is what mountinfo shows: TMPDIR may hold symlinks or "//". */
	char real[PATH_MAX];
	if (!realpath(sb->path, real)) {
		fprintf(stderr, "replay: sandbox %s: %s\n", sb->path, strerror(errno));
		rmdir(sb->path);
		return -1;
	}
	snprintf(sb->path, sizeof(sb->path), "%s", real);
	int dfd = open(sb->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = dfd < 0 ? -1 : 0;
	struct stat st;
	if (dfd >= 0 && fstat(dfd, &st) == 0) { /* cleanup checks it is still this directory */
		sb->dev = st.st_dev;
		sb->ino = st.st_ino;
	}
	for (unsigned i = 0; rc == 0 && i < plan->dir_count; i++)
		if (make_dirs(dfd, plan->dirs[i], 1) != 0) {
			fprintf(stderr, "replay: sandbox dir %s: %s\n", plan->dirs[i], strerror(errno));
			rc = -1;
		}
	for (unsigned i = 0; rc == 0 && i < plan->file_count; i++)
		if (make_file(dfd, &plan->files[i]) != 0) {
			fprintf(stderr, "replay: sandbox file %s: %s\n", plan->files[i].name,
				strerror(errno));
			rc = -1;
		}
	if (dfd >= 0)
		close(dfd);
	if (rc != 0)
		rp_sandbox_destroy(sb);
	return rc;
}
