/*
 * sandbox.h - the run's private directory.
 *
 * Contract: rp_sandbox_create() makes a fresh 0700 directory with mkdtemp
 * and the dirs and files of the plan; rp_sandbox_destroy() detaches every
 * mount at or below it (deepest first) and removes it without following
 * any symlink a step may have planted (openat/unlinkat, never a path walk).
 */
#ifndef REPLAY_SANDBOX_H
#define REPLAY_SANDBOX_H

#include "replay/program.h"

struct rp_sandbox_dir {
	char path[4096];
	unsigned long long dev, ino; /* the directory made, so cleanup knows if a step moved it */
};

int rp_sandbox_create(struct rp_sandbox_dir *sb, const char *spec_name,
		      const struct rp_sandbox_plan *plan);
/* Returns 0 if everything was unmounted and removed. */
int rp_sandbox_destroy(const struct rp_sandbox_dir *sb);
/* Number of mounts at or below `dir` in /proc/self/mountinfo (tests, cleanup). */
int rp_mounts_under(const char *dir, char (*out)[4096], int max);

#endif
