/*
 * Baseline for target 3: a bare libyaml event parse of a file, the least any
 * YAML-reading tool must do.  The file is read into memory first (as replay
 * does: it reads the spec once and parses from that text), then every event
 * is pulled with yaml_parser_parse and freed.  No tree, no checks.
 *
 *   yaml_parse_only FILE      prints the number of events on stderr with -v
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

int main(int argc, char **argv)
{
	int verbose = argc > 2 && strcmp(argv[1], "-v") == 0;
	const char *path = argv[argc - 1];
	if (argc < 2) {
		fprintf(stderr, "usage: %s [-v] FILE\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 1 << 16, len = 0;
	unsigned char *buf = malloc(cap);
	for (size_t got; buf && (got = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += got;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf) {
		perror("malloc");
		return 1;
	}

	yaml_parser_t parser;
	yaml_event_t event;
	unsigned long events = 0;
	int done = 0, rc = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			fprintf(stderr, "%s:%zu:%zu: YAML syntax: %s\n", path,
				parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "error");
			rc = 1;
			break;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		events++;
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	free(buf);
	if (verbose)
		fprintf(stderr, "%s: %lu events\n", path, events);
	return rc;
}
