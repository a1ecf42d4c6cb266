/* Numbers as testers write them, parsed strictly (no "430abc", no silent octal surprises
 * beyond C's own leading-zero rule, which syscall people expect for modes). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "replay/compile.h"

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 99;
}

static const char *base_prefix(const char *s, unsigned *base)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		*base = 16;
		return s + 2;
	}
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		*base = 8;
		return s + 2;
	}
	if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		*base = 2;
		return s + 2;
	}
	if (s[0] == '0' && s[1] != '\0') {
		*base = 8;
		return s + 1;
	}
	*base = 10;
	return s;
}

int rp_parse_seconds(const char *text, uint64_t *ns)
{
	char *end;
	errno = 0;
	double s = strtod(text, &end);
	if (errno || end == text || *end || !(s >= 0) || s > 1e9)
		return -1;
	*ns = (uint64_t)(s * 1e9 + 0.5);
	return 0;
}

int rp_parse_number(const char *s, int64_t *out)
{
	int negative = 0;
	if (*s == '-' || *s == '+')
		negative = *s++ == '-';
	unsigned base;
	const char *p = base_prefix(s, &base);
	if (*p == '\0')
		return -1;
	uint64_t v = 0;
	for (; *p; p++) {
		int d = digit_value(*p);
		if (d >= (int)base)
			return -1;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	if (negative) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = (int64_t)(0 - v);
	} else {
		*out = (int64_t)v;
	}
	return 0;
}
