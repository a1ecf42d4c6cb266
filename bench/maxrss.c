/*
 * Peak resident set of a command, in KiB: the median of RUNS runs.
 *
 *   maxrss RUNS CMD [ARG...]
 *
 * Each run is a fork + exec from this small process and is reaped with
 * wait4(2), whose ru_maxrss is the child's peak RSS.  (A Python wrapper would
 * not do: ru_maxrss survives exec, so every child would start at the
 * interpreter's ~15 MiB.)  The command's stdout goes to /dev/null; a run that
 * does not exit 0 is an error.  `replay check` does not fork, so this is
 * replay's own peak.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	if (runs < 1 || runs > 99) {
		fprintf(stderr, "usage: %s RUNS(1-99) CMD [ARG...]\n", argv[0]);
		return 2;
	}
	long peaks[99];
	for (int i = 0; i < runs; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("maxrss: fork");
			return 1;
		}
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, 1);
			execvp(argv[2], argv + 2);
			perror(argv[2]);
			_exit(127);
		}
		int status;
		struct rusage ru;
		if (wait4(pid, &status, 0, &ru) != pid) {
			perror("maxrss: wait4");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "maxrss: %s: did not exit 0 (status 0x%x)\n", argv[2], status);
			return 1;
		}
		peaks[i] = ru.ru_maxrss;
	}
	qsort(peaks, runs, sizeof peaks[0], cmp);
	printf("%ld\n", peaks[runs / 2]);
	return 0;
}
