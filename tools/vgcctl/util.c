// SPDX-License-Identifier: GPL-2.0
/* vgcctl: strict number parsing and a small JSON writer. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "vgcctl.h"

const char *const vgcctl_zone_names[VGC_NR_ZONES] = { "red", "green", "blue" };
const char *const vgcctl_state_names[VGC_NR_STATES] = {
	"idle", "active", "promote", "demote",
	"persist", "deferred", "marked", "expired",
};

/*
 * Decimal digits only (no sign, no spaces, no suffix, no empty string), in
 * [min, max]; anything else is an error that names the option and range.
 */
int parse_u64(const char *cmd, const char *opt, const char *s,
	      uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	const char *p;
	char *end;

	for (p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			break;
	if (!*s || *p) {
		fprintf(stderr,
			"vgcctl %s: %s: '%s' is not a number (accepted: %" PRIu64 "..%" PRIu64 ")\n",
			cmd, opt, s, min, max);
		return 2;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v < min || v > max) {
		fprintf(stderr,
			"vgcctl %s: %s: %s is out of range (accepted: %" PRIu64 "..%" PRIu64 ")\n",
			cmd, opt, s, min, max);
		return 2;
	}
	*out = v;
	return 0;
}

int parse_uint(const char *cmd, const char *opt, const char *s,
	       unsigned int min, unsigned int max, unsigned int *out)
{
	uint64_t v;
	int ret = parse_u64(cmd, opt, s, min, max, &v);

	if (!ret)
		*out = (unsigned int)v;
	return ret;
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = 1;
}

static void json_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (key) {
		json_quote(j->f, key);
		fputc(':', j->f);
	}
}

static void json_open(struct json *j, const char *key, int c)
{
	json_key(j, key);
	fputc(c, j->f);
	if (j->depth < (int)sizeof(j->first) - 1)
		j->depth++;
	j->first[j->depth] = 1;
}

void json_obj(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_arr(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_obj_end(struct json *j)
{
	fputc('}', j->f);
	if (j->depth)
		j->depth--;
}

void json_arr_end(struct json *j)
{
	fputc(']', j->f);
	if (j->depth)
		j->depth--;
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_key(j, key);
	if (val)
		json_quote(j->f, val);
	else
		fputs("null", j->f);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	json_key(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
	json_key(j, key);
	fprintf(j->f, "%" PRId64, val);
}

void json_dbl(struct json *j, const char *key, double val)
{
	json_key(j, key);
	if (isfinite(val))
		fprintf(j->f, "%.3f", val);
	else
		fputs("null", j->f);
}

void json_bool(struct json *j, const char *key, int val)
{
	json_key(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

void json_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
