/* SPDX-License-Identifier: GPL-2.0 */
/* vgcctl: shared declarations of its commands. */
#ifndef VGCCTL_H
#define VGCCTL_H

#include <stdint.h>
#include <stdio.h>
#include <linux/vgc.h>

#define VGCCTL_DEBUGFS		"/sys/kernel/debug"
#define VGCCTL_DEBUGFS_VGC	VGCCTL_DEBUGFS "/vgc"
#define VGCCTL_MAX_NODES	64

extern const char *const vgcctl_zone_names[VGC_NR_ZONES];
extern const char *const vgcctl_state_names[VGC_NR_STATES];

/* util.c: strict numbers; on error a message naming opt, return 2. */
int parse_u64(const char *cmd, const char *opt, const char *s,
	      uint64_t min, uint64_t max, uint64_t *out);
int parse_uint(const char *cmd, const char *opt, const char *s,
	       unsigned int min, unsigned int max, unsigned int *out);

/* util.c: a JSON writer; keys may be NULL inside arrays. */
struct json {
	FILE *f;
	int depth;
	unsigned char first[32];
};

void json_init(struct json *j, FILE *f);
void json_obj(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_dbl(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, int val);
void json_null(struct json *j, const char *key);
void json_end(struct json *j);		/* newline after the document */

/* arenas.c: every arena of the machine, from debugfs and statistics files */
struct zone_info {
	uint64_t bytes;			/* committed data bytes */
	uint64_t states[VGC_NR_STATES];	/* all generations, last sweeps */
	uint64_t reclaimed_objects;
	uint64_t reclaimed_bytes;
	uint64_t sweeps;
	uint64_t total_pause_ns;
	uint64_t max_pause_ns;
	uint64_t hist[VGC_PAUSE_BUCKETS];
};

struct arena_info {
	char name[48];			/* module:<id> or anon:<pid>-<id> */
	const char *backend;		/* "module" or "anon" */
	const char *source;		/* "debugfs" or "statfile" */
	int pid;			/* -1: unknown */
	char comm[32];
	uint64_t id;
	unsigned int partitions;
	unsigned int threads;		/* registered, -1u: unknown */
	uint64_t checkpoints;
	uint64_t committed_bytes;
	uint64_t map_size;
	int have_stats;			/* zone[].states and pauses valid */
	const char *node_source;	/* debugfs, numa_maps, regions */
	uint64_t node_bytes[VGCCTL_MAX_NODES];
	struct zone_info zone[VGC_NR_ZONES];
	char note[160];			/* why something is missing */
};

struct arena_set {
	struct arena_info *a;
	unsigned int n;
	/* where the figures came from and what was not readable */
	int debugfs_ok;
	char debugfs_error[200];
	char statdirs[512];
	unsigned int stale_removed;
};

void arenas_collect(struct arena_set *set, int pid_filter);
void arenas_free(struct arena_set *set);
/* debugfs state: 0 readable, else a message in buf */
int debugfs_check(char *buf, size_t len);
uint64_t zone_live(const struct zone_info *z);
uint64_t zone_pending(const struct zone_info *z);

/* list.c: shared with top */
void fmt_bytes(char *buf, size_t len, uint64_t v);
void sources_json(struct json *j, const struct arena_set *set);
void arena_json(struct json *j, const struct arena_info *a, int zones_full);

/* commands */
int cmd_version(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_demo(int argc, char **argv);
void usage(FILE *f);

#endif
