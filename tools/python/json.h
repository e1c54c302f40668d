/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict, bounded JSON reader for vgc-python's plan files: the subset
 * a plan needs and nothing else.  Integers only (no fraction, exponent or
 * more than 15 digits: never a rounded value), strings of printable ASCII
 * without escapes (at most 64 bytes), objects with distinct keys, a
 * bounded depth and node count, nothing after the top value but white
 * space.  Every node keeps its byte offset, so that an error names where.
 */
#ifndef VGCPY_JSON_H
#define VGCPY_JSON_H

#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_INT, JSON_STR, JSON_ARR, JSON_OBJ };

#define JSON_MAX_STR	64
#define JSON_MAX_DIGITS	15

struct json_node {
	enum json_type type;
	int first, next;		/* children of ARR/OBJ, -1: none */
	size_t off;			/* byte offset of the value */
	const char *key;		/* member of an OBJ: its key */
	size_t key_len, key_off;
	const char *str;		/* STR */
	size_t str_len;
	int64_t num;			/* INT, BOOL */
};

struct json_doc {
	const char *buf;
	size_t len;
	struct json_node *nodes;
	unsigned int n, cap, max_depth;
	char err[160];			/* the first error */
	size_t err_off;
};

/*
 * Parses @buf (@len bytes) into @nodes (@cap of them), root at index 0.
 * Return: 0, or -1 with d->err and d->err_off set.
 */
int json_parse(struct json_doc *d, const char *buf, size_t len,
	       struct json_node *nodes, unsigned int cap,
	       unsigned int max_depth);
/* 1-based line and column of a byte offset. */
void json_where(const struct json_doc *d, size_t off, unsigned int *line,
		unsigned int *col);
/* The member @key of object @obj, -1 when absent. */
int json_member(const struct json_doc *d, int obj, const char *key);
/* Whether a string node equals @s. */
int json_str_is(const struct json_node *n, const char *s);

#endif /* VGCPY_JSON_H */
