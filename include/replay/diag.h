/*
 * diag.h - diagnostics in the compilers' format: "file:line:col: error: msg".
 *
 * Contract: loader and compiler report problems either at a known position
 * (libcyaml's backtrace, libyaml's marks) or at a node path such as
 * "steps.2.args.0.const" (0-based indices).  Paths are turned into
 * positions by one libyaml pass over the file, run only when there is
 * something to report.  rp_diag_print() prints every diagnostic, sorted by
 * position, so a file's errors all come out in one run.
 */
#ifndef REPLAY_DIAG_H
#define REPLAY_DIAG_H

#include <stdio.h>

enum rp_severity { RP_ERROR, RP_WARNING, RP_NOTE };

struct rp_diag {
	enum rp_severity severity;
	unsigned line, col; /* 1-based; 0 = not located yet */
	char *path;         /* node path, or NULL */
	char *msg;
	unsigned seq;       /* order of reporting, to keep sorting stable */
};

struct rp_diags {
	const char *file;
	/* The spec's text (owned), kept to place path diagnostics. */
	unsigned char *source;
	size_t source_len;
	int reread; /* source was dropped after loading: read `file` again to place */
	/* What was read (device, inode, size, mtime): a reread must find the same file,
	 * and only a regular file is dropped (a pipe or FIFO cannot be read twice). */
	unsigned long long stamp[5];
	int regular;
	struct rp_diag *v;
	unsigned count, cap;
	unsigned errors, warnings;
};

void rp_diags_init(struct rp_diags *d, const char *file);
void rp_diags_free(struct rp_diags *d);
/* Drop every diagnostic added after the first `count`. */
void rp_diags_truncate(struct rp_diags *d, unsigned count);

void rp_diag_at(struct rp_diags *d, enum rp_severity sev, unsigned line, unsigned col,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void rp_diag_path(struct rp_diags *d, enum rp_severity sev, const char *path,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Read `file` into source (src/load/schema.c); 0 or -1 with an error added. */
int rp_diags_read_source(struct rp_diags *d);
/* Read it again to place diagnostics after the text was dropped: 0, or -1 (a note
 * added) if the file changed since it was loaded. */
int rp_diags_reread(struct rp_diags *d);
/* Fill in positions of path diagnostics from the spec's text (src/load/locate.c). */
void rp_diags_locate(struct rp_diags *d);
void rp_diags_print(struct rp_diags *d, FILE *out);
/* line:col of a node path in the spec's text; 0 if found. */
int rp_diags_position_of(struct rp_diags *d, const char *path, unsigned *line, unsigned *col);


#endif
