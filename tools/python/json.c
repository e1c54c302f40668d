// SPDX-License-Identifier: GPL-2.0
/*
 * The plan files' JSON reader (json.h): recursive descent over a buffer
 * whose length the caller bounded, into a node array the caller sized.
 * The recursion is bounded by max_depth, checked before descending, so a
 * file of nothing but '[' costs one frame per allowed level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

struct cursor {
	struct json_doc *d;
	size_t pos;
};

static int fail(struct cursor *c, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (!c->d->err[0]) {
		va_start(ap, fmt);
		vsnprintf(c->d->err, sizeof(c->d->err), fmt, ap);
		va_end(ap);
		c->d->err_off = off;
	}
	return -1;
}

static void skip_ws(struct cursor *c)
{
	while (c->pos < c->d->len) {
		char ch = c->d->buf[c->pos];

		if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
			break;
		c->pos++;
	}
}

static int peek(struct cursor *c)
{
	return c->pos < c->d->len ? (unsigned char)c->d->buf[c->pos] : -1;
}

static int new_node(struct cursor *c, enum json_type t)
{
	struct json_node *n;

	if (c->d->n >= c->d->cap)
		return fail(c, c->pos, "more than %u values", c->d->cap);
	n = &c->d->nodes[c->d->n];
	memset(n, 0, sizeof(*n));
	n->type = t;
	n->first = n->next = -1;
	n->off = c->pos;
	return (int)c->d->n++;
}

static int unexpected(struct cursor *c, const char *what)
{
	int ch = peek(c);

	if (ch < 0)
		return fail(c, c->pos, "unexpected end of file, %s expected",
			    what);
	if (ch >= 0x20 && ch < 0x7f)
		return fail(c, c->pos, "'%c' where %s was expected", ch, what);
	return fail(c, c->pos, "byte 0x%02x where %s was expected", ch, what);
}

/* A string at c->pos: its contents in *s, *len. */
static int parse_str(struct cursor *c, const char **s, size_t *len)
{
	size_t start;

	if (peek(c) != '"')
		return unexpected(c, "a string");
	start = ++c->pos;
	for (;;) {
		int ch = peek(c);

		if (ch < 0)
			return fail(c, start - 1, "unterminated string");
		if (ch == '"')
			break;
		if (ch == '\\')
			return fail(c, c->pos, "escapes are not allowed in "
				    "a plan's strings");
		if (ch < 0x20 || ch >= 0x7f)
			return fail(c, c->pos, "byte 0x%02x in a string "
				    "(printable ASCII only)", ch);
		if (c->pos - start >= JSON_MAX_STR)
			return fail(c, start - 1, "string longer than %d "
				    "bytes", JSON_MAX_STR);
		c->pos++;
	}
	*s = c->d->buf + start;
	*len = c->pos - start;
	c->pos++;
	return 0;
}

static int parse_int(struct cursor *c, int64_t *v)
{
	size_t start = c->pos, digits = 0;
	int neg = 0;
	int64_t x = 0;

	if (peek(c) == '-') {
		neg = 1;
		c->pos++;
	}
	if (peek(c) < '0' || peek(c) > '9')
		return unexpected(c, "a digit");
	if (peek(c) == '0' && c->pos + 1 < c->d->len &&
	    c->d->buf[c->pos + 1] >= '0' && c->d->buf[c->pos + 1] <= '9')
		return fail(c, start, "number with a leading zero");
	while (peek(c) >= '0' && peek(c) <= '9') {
		if (++digits > JSON_MAX_DIGITS)
			return fail(c, start, "number of more than %d digits",
				    JSON_MAX_DIGITS);
		x = x * 10 + (peek(c) - '0');
		c->pos++;
	}
	if (peek(c) == '.' || peek(c) == 'e' || peek(c) == 'E')
		return fail(c, start, "only integers are allowed");
	*v = neg ? -x : x;
	return 0;
}

static int parse_word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);

	if (c->d->len - c->pos < n || memcmp(c->d->buf + c->pos, w, n))
		return unexpected(c, "a value");
	c->pos += n;
	return 0;
}

static int parse_value(struct cursor *c, unsigned int depth);

/* Appends child @k to @parent's list, whose last child is *last. */
static void link_child(struct json_doc *d, int parent, int *last, int k)
{
	if (*last < 0)
		d->nodes[parent].first = k;
	else
		d->nodes[*last].next = k;
	*last = k;
}

static int parse_array(struct cursor *c, int self, unsigned int depth)
{
	int last = -1, k;

	c->pos++;
	skip_ws(c);
	if (peek(c) == ']') {
		c->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(c);
		k = parse_value(c, depth + 1);
		if (k < 0)
			return -1;
		link_child(c->d, self, &last, k);
		skip_ws(c);
		if (peek(c) == ',') {
			c->pos++;
			continue;
		}
		if (peek(c) == ']') {
			c->pos++;
			return 0;
		}
		return unexpected(c, "',' or ']'");
	}
}

static int parse_object(struct cursor *c, int self, unsigned int depth)
{
	int last = -1, k, j;

	c->pos++;
	skip_ws(c);
	if (peek(c) == '}') {
		c->pos++;
		return 0;
	}
	for (;;) {
		const char *key;
		size_t key_len, key_off;

		skip_ws(c);
		key_off = c->pos;
		if (parse_str(c, &key, &key_len))
			return -1;
		for (j = c->d->nodes[self].first; j >= 0;
		     j = c->d->nodes[j].next)
			if (c->d->nodes[j].key_len == key_len &&
			    !memcmp(c->d->nodes[j].key, key, key_len))
				return fail(c, key_off, "duplicate key \"%.*s\"",
					    (int)key_len, key);
		skip_ws(c);
		if (peek(c) != ':')
			return unexpected(c, "':'");
		c->pos++;
		skip_ws(c);
		k = parse_value(c, depth + 1);
		if (k < 0)
			return -1;
		c->d->nodes[k].key = key;
		c->d->nodes[k].key_len = key_len;
		c->d->nodes[k].key_off = key_off;
		link_child(c->d, self, &last, k);
		skip_ws(c);
		if (peek(c) == ',') {
			c->pos++;
			continue;
		}
		if (peek(c) == '}') {
			c->pos++;
			return 0;
		}
		return unexpected(c, "',' or '}'");
	}
}

/* The value at c->pos (white space skipped): its node index, or -1. */
static int parse_value(struct cursor *c, unsigned int depth)
{
	int ch = peek(c), k;

	if (ch == '[' || ch == '{') {
		if (depth >= c->d->max_depth)
			return fail(c, c->pos, "nesting deeper than %u levels",
				    c->d->max_depth);
		k = new_node(c, ch == '[' ? JSON_ARR : JSON_OBJ);
		if (k < 0)
			return -1;
		if ((ch == '[' ? parse_array : parse_object)(c, k, depth))
			return -1;
		return k;
	}
	if (ch == '"') {
		k = new_node(c, JSON_STR);
		if (k < 0 || parse_str(c, &c->d->nodes[k].str,
				       &c->d->nodes[k].str_len))
			return -1;
		return k;
	}
	if (ch == '-' || (ch >= '0' && ch <= '9')) {
		k = new_node(c, JSON_INT);
		if (k < 0 || parse_int(c, &c->d->nodes[k].num))
			return -1;
		return k;
	}
	if (ch == 't' || ch == 'f') {
		k = new_node(c, JSON_BOOL);
		if (k < 0 || parse_word(c, ch == 't' ? "true" : "false"))
			return -1;
		c->d->nodes[k].num = ch == 't';
		return k;
	}
	if (ch == 'n') {
		k = new_node(c, JSON_NULL);
		if (k < 0 || parse_word(c, "null"))
			return -1;
		return k;
	}
	return unexpected(c, "a value");
}

int json_parse(struct json_doc *d, const char *buf, size_t len,
	       struct json_node *nodes, unsigned int cap,
	       unsigned int max_depth)
{
	struct cursor c = { .d = d, .pos = 0 };

	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->len = len;
	d->nodes = nodes;
	d->cap = cap;
	d->max_depth = max_depth;
	skip_ws(&c);
	if (c.pos == len)
		return fail(&c, c.pos, "empty file");
	if (parse_value(&c, 0) < 0)
		return -1;
	skip_ws(&c);
	if (c.pos != len)
		return fail(&c, c.pos, "trailing garbage after the top value");
	return 0;
}

void json_where(const struct json_doc *d, size_t off, unsigned int *line,
		unsigned int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < d->len; i++) {
		if (d->buf[i] == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

int json_member(const struct json_doc *d, int obj, const char *key)
{
	size_t n = strlen(key);
	int j;

	for (j = d->nodes[obj].first; j >= 0; j = d->nodes[j].next)
		if (d->nodes[j].key_len == n && !memcmp(d->nodes[j].key, key, n))
			return j;
	return -1;
}

int json_str_is(const struct json_node *n, const char *s)
{
	return n->type == JSON_STR && strlen(s) == n->str_len &&
	       !memcmp(n->str, s, n->str_len);
}
