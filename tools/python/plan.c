// SPDX-License-Identifier: GPL-2.0
/*
 * Passive VGC plans (docs/vgc-python.md, "Plans"): --vgc-record writes
 * what the profile decided as a static plan, --vgc-plan starts a run with
 * one, so that zones are right from the first allocation.
 *
 *	{
 *	  "version": 1,
 *	  "windows": 12,
 *	  "classes": [
 *	    { "domain": "obj", "class": 3, "size": 64, "zone": "red",
 *	      "persistent": false }, ...
 *	  ],
 *	  "regions": [
 *	    { "zone": "green", "partition": 0, "bytes": 8388608 }, ...
 *	  ]
 *	}
 *
 * Loading is all or nothing: the whole file is read (at most
 * VGCPY_PLAN_MAX_BYTES), parsed (json.c) and checked against this arena
 * into a struct vgcpy_plan before anything is applied, and the launcher
 * exits on the first error, before the interpreter is initialised.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "vgcpy.h"

#define PLAN_MAX_NODES	4096

const char *const vgcpy_zone_names[VGC_NR_ZONES] = {
	[VGC_ZONE_RED] = "red", [VGC_ZONE_GREEN] = "green",
	[VGC_ZONE_BLUE] = "blue",
};
const char *const vgcpy_domain_names[VGCPY_NR_DOMAINS] = {
	[VGCPY_MEM] = "mem", [VGCPY_OBJ] = "obj",
};

static int name_index(const char *const *names, int n, const char *s,
		      size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], s, len))
			return i;
	return -1;
}

int vgcpy_zone_index(const char *s, size_t len)
{
	return name_index(vgcpy_zone_names, VGC_NR_ZONES, s, len);
}

int vgcpy_domain_index(const char *s, size_t len)
{
	return name_index(vgcpy_domain_names, VGCPY_NR_DOMAINS, s, len);
}

struct checker {
	const char *path;
	struct json_doc *d;
};

static int bad(const struct checker *c, size_t off, const char *fmt, ...)
{
	unsigned int line, col;
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_where(c->d, off, &line, &col);
	fprintf(stderr, "vgc-python: plan %s:%u:%u (byte %zu): %s\n",
		c->path, line, col, off, msg);
	return -1;
}

/* Every member of object @obj is one of @allowed (NULL-terminated). */
static int only_keys(const struct checker *c, int obj,
		     const char *const *allowed)
{
	const struct json_node *n = c->d->nodes;
	int j;

	for (j = n[obj].first; j >= 0; j = n[j].next) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strlen(*a) == n[j].key_len &&
			    !memcmp(*a, n[j].key, n[j].key_len))
				break;
		if (!*a)
			return bad(c, n[j].key_off, "unknown key \"%.*s\"",
				   (int)n[j].key_len, n[j].key);
	}
	return 0;
}

/* Member @key of @obj, of @type; -1 after a message when absent. */
static int need(const struct checker *c, int obj, const char *key,
		enum json_type type, const char *what)
{
	int k = json_member(c->d, obj, key);

	if (k < 0)
		return bad(c, c->d->nodes[obj].off, "missing \"%s\"", key), -1;
	if (c->d->nodes[k].type != type)
		return bad(c, c->d->nodes[k].off, "\"%s\" must be %s", key,
			   what), -1;
	return k;
}

static int need_int(const struct checker *c, int obj, const char *key,
		    int64_t lo, int64_t hi, int64_t *v)
{
	int k = need(c, obj, key, JSON_INT, "an integer");

	if (k < 0)
		return -1;
	*v = c->d->nodes[k].num;
	if (*v < lo || *v > hi)
		return bad(c, c->d->nodes[k].off, "\"%s\" %lld is out of "
			   "range [%lld, %lld]", key, (long long)*v,
			   (long long)lo, (long long)hi);
	return 0;
}

static int need_name(const struct checker *c, int obj, const char *key,
		     int (*index)(const char *, size_t), const char *what)
{
	int k = need(c, obj, key, JSON_STR, "a string"), i;

	if (k < 0)
		return -1;
	i = index(c->d->nodes[k].str, c->d->nodes[k].str_len);
	if (i < 0)
		return bad(c, c->d->nodes[k].off, "unknown %s \"%.*s\"", what,
			   (int)c->d->nodes[k].str_len, c->d->nodes[k].str);
	return i;
}

static int check_class(const struct checker *c, int obj,
		       struct vgcpy_plan *plan)
{
	static const char *const keys[] = {
		"domain", "class", "size", "zone", "persistent", NULL
	};
	struct vgcpy_plan_class *pc;
	int64_t cls, size;
	int dom, zone, k;

	if (c->d->nodes[obj].type != JSON_OBJ)
		return bad(c, c->d->nodes[obj].off, "a class must be an object");
	if (only_keys(c, obj, keys))
		return -1;
	dom = need_name(c, obj, "domain", vgcpy_domain_index, "domain");
	if (dom < 0 || need_int(c, obj, "class", 0, VGCPY_NR_CLASSES - 1, &cls))
		return -1;
	if (need_int(c, obj, "size", 1, VGC_SPAN_SIZE, &size))
		return -1;
	if (size != (int64_t)vgc_class_granules((unsigned int)cls) *
		    VGC_GRANULE_SIZE)
		return bad(c, c->d->nodes[json_member(c->d, obj, "size")].off,
			   "class %lld is %u bytes here, not %lld",
			   (long long)cls,
			   vgc_class_granules((unsigned int)cls) *
				   VGC_GRANULE_SIZE, (long long)size);
	zone = need_name(c, obj, "zone", vgcpy_zone_index, "zone");
	if (zone < 0)
		return -1;
	k = need(c, obj, "persistent", JSON_BOOL, "true or false");
	if (k < 0)
		return -1;
	pc = &plan->cls[dom][cls];
	if (pc->set)
		return bad(c, c->d->nodes[obj].off, "class %s/%lld given twice",
			   vgcpy_domain_names[dom], (long long)cls);
	pc->set = 1;
	pc->zone = zone;
	pc->persistent = (int)c->d->nodes[k].num;
	plan->nr_classes++;
	return 0;
}

static int check_region(const struct checker *c, int obj,
			unsigned int partitions, struct vgcpy_plan *plan)
{
	static const char *const keys[] = {
		"zone", "partition", "bytes", NULL
	};
	int64_t part, bytes;
	int zone;

	if (c->d->nodes[obj].type != JSON_OBJ)
		return bad(c, c->d->nodes[obj].off, "a region must be an object");
	if (only_keys(c, obj, keys))
		return -1;
	zone = need_name(c, obj, "zone", vgcpy_zone_index, "zone");
	if (zone < 0 ||
	    need_int(c, obj, "partition", 0, (int64_t)partitions - 1, &part) ||
	    need_int(c, obj, "bytes", 0, (int64_t)VGCPY_PLAN_MAX_REGION, &bytes))
		return -1;
	if (plan->region_set[zone][part])
		return bad(c, c->d->nodes[obj].off, "region %s/%lld given twice",
			   vgcpy_zone_names[zone], (long long)part);
	plan->region_set[zone][part] = 1;
	plan->region_bytes[zone][part] = (uint64_t)bytes;
	plan->nr_regions++;
	return 0;
}

static int check_plan(const struct checker *c, unsigned int partitions,
		      struct vgcpy_plan *plan)
{
	static const char *const keys[] = {
		"version", "windows", "classes", "regions", NULL
	};
	const struct json_node *n = c->d->nodes;
	int64_t v;
	int k, j;

	if (n[0].type != JSON_OBJ)
		return bad(c, n[0].off, "a plan is a JSON object");
	if (only_keys(c, 0, keys))
		return -1;
	k = need(c, 0, "version", JSON_INT, "an integer");
	if (k < 0)
		return -1;
	if (n[k].num != VGCPY_PLAN_VERSION)
		return bad(c, n[k].off, "version %lld is not supported (this "
			   "vgc-python reads version %d)", (long long)n[k].num,
			   VGCPY_PLAN_VERSION);
	if (json_member(c->d, 0, "windows") >= 0 &&
	    need_int(c, 0, "windows", 0, INT64_C(1) << 40, &v))
		return -1;
	k = need(c, 0, "classes", JSON_ARR, "an array");
	if (k < 0)
		return -1;
	for (j = n[k].first; j >= 0; j = n[j].next)
		if (check_class(c, j, plan))
			return -1;
	k = json_member(c->d, 0, "regions");
	if (k < 0)
		return 0;
	if (n[k].type != JSON_ARR)
		return bad(c, n[k].off, "\"regions\" must be an array");
	for (j = n[k].first; j >= 0; j = n[j].next)
		if (check_region(c, j, partitions, plan))
			return -1;
	return 0;
}

/* The whole file into a fresh buffer of at most the limit; -1: message. */
static char *read_plan(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "vgc-python: plan %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "vgc-python: plan %s: not a regular file\n",
			path);
		close(fd);
		return NULL;
	}
	buf = malloc(VGCPY_PLAN_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	/* One byte past the limit tells a file that is too large. */
	while (got <= VGCPY_PLAN_MAX_BYTES) {
		r = read(fd, buf + got, VGCPY_PLAN_MAX_BYTES + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "vgc-python: plan %s: %s\n", path,
				strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > VGCPY_PLAN_MAX_BYTES) {
		fprintf(stderr, "vgc-python: plan %s: larger than %d bytes\n",
			path, VGCPY_PLAN_MAX_BYTES);
		goto fail;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

int vgcpy_plan_load(const char *path, unsigned int partitions,
		    struct vgcpy_plan *plan)
{
	struct json_node *nodes = calloc(PLAN_MAX_NODES, sizeof(*nodes));
	struct json_doc d;
	struct checker c = { .path = path, .d = &d };
	size_t len;
	char *buf;
	int rc = -1;

	memset(plan, 0, sizeof(*plan));
	buf = nodes ? read_plan(path, &len) : NULL;
	if (!buf)
		goto out;
	if (json_parse(&d, buf, len, nodes, PLAN_MAX_NODES,
		       VGCPY_PLAN_MAX_DEPTH)) {
		bad(&c, d.err_off, "%s", d.err);
		goto out;
	}
	rc = check_plan(&c, partitions, plan);
out:
	free(buf);
	free(nodes);
	return rc;
}

int vgcpy_plan_apply(const struct vgcpy_plan *plan, const char *path)
{
	unsigned int np = vgc_arena_partitions(vgcpy_arena), d, c, z, p;

	for (z = 0; z < VGC_NR_ZONES; z++)
		for (p = 0; p < np; p++) {
			const struct vgc_region *r =
				vgc_arena_region(vgcpy_arena, z, p);
			uint64_t want = plan->region_bytes[z][p], have;
			int rc;

			have = r->gen_granules[VGC_GEN0] * VGC_GRANULE_SIZE;
			if (want <= have)
				continue;
			rc = vgc_grow(vgcpy_arena, z, p, want - have, NULL);
			if (rc) {
				fprintf(stderr, "vgc-python: plan %s: region "
					"%s/%u to %llu bytes: %s\n", path,
					vgcpy_zone_names[z], p,
					(unsigned long long)want,
					vgc_strerror(rc));
				return -1;
			}
		}
	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++) {
			const struct vgcpy_plan_class *pc = &plan->cls[d][c];

			if (!pc->set)
				continue;
			vgcpy_zone_of[d][c] = (unsigned char)pc->zone;
			vgcpy_persist_of[d][c] = (unsigned char)pc->persistent;
			vgcpy_prof.key[d][c].planned = 1;
			/* the profile goes on from the plan's decision */
			vgcpy_prof.key[d][c].decided = pc->zone;
			vgcpy_prof.key[d][c].streak = 1;
		}
	return 0;
}

int vgcpy_plan_record(const char *path)
{
	unsigned int np = vgc_arena_partitions(vgcpy_arena), d, c, z, p;
	const char *sep = "";
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "vgc-python: --vgc-record %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	vgcpy_profile_regions();
	fprintf(f, "{\n  \"version\": %d,\n  \"windows\": %llu,\n"
		"  \"classes\": [", VGCPY_PLAN_VERSION,
		(unsigned long long)vgcpy_prof.windows);
	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++) {
			const struct vgcpy_key *k = &vgcpy_prof.key[d][c];

			/* a key never decided keeps the default zone */
			if (k->decided < 0)
				continue;
			fprintf(f, "%s\n    { \"domain\": \"%s\", \"class\": %u, "
				"\"size\": %u, \"zone\": \"%s\", "
				"\"persistent\": %s }", sep,
				vgcpy_domain_names[d], c,
				vgc_class_granules(c) * VGC_GRANULE_SIZE,
				vgcpy_zone_names[vgcpy_zone_of[d][c]],
				vgcpy_key_persistent(d, c) ? "true" : "false");
			sep = ",";
		}
	fprintf(f, "\n  ],\n  \"regions\": [");
	sep = "";
	for (z = 0; z < VGC_NR_ZONES; z++)
		for (p = 0; p < np && p < VGC_MAX_PARTITIONS; p++) {
			fprintf(f, "%s\n    { \"zone\": \"%s\", \"partition\": %u, "
				"\"bytes\": %llu }", sep, vgcpy_zone_names[z], p,
				(unsigned long long)vgcpy_prof.peak_gen0[z][p]);
			sep = ",";
		}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "vgc-python: --vgc-record %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}
