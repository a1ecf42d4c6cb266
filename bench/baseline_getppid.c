/*
 * Baseline for target 1: what a tester would hand-write instead of a spec
 * with `repeat: 1000000`.  N raw getppid calls through glibc's syscall(2)
 * wrapper, nothing else in the loop (no clock, no errno bookkeeping).
 *
 *   baseline_getppid [N]      N defaults to 1000000
 *
 * Check it: strace -f -c -e trace=getppid ./baseline_getppid 1000
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	if (n < 0) {
		fprintf(stderr, "usage: %s [COUNT]\n", argv[0]);
		return 2;
	}
	long bad = 0;
	for (long i = 0; i < n; i++)
		if (syscall(SYS_getppid) <= 0) /* the result is used: the call cannot be dropped */
			bad++;
	return bad != 0;
}
