/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-arena statistics files: how "vgcctl list" and "vgcctl top" find
 * arenas of every backend, the anonymous one included, which the module
 * never sees.  Format and rules: docs/vgcctl.md.
 *
 * One file per open arena, "<dir>/<pid>-<arena id>", exactly
 * VGCU_STATFILE_SIZE bytes, published complete by rename(2) at
 * vgc_arena_open() and unlinked at vgc_arena_close().  Version 1 holds what
 * does not change while the arena lives; the live figures (state counts,
 * pauses, checkpoints) are the arena's control page, which a reader with
 * ptrace access copies out of the owner with process_vm_readv(2) at
 * ctrl_addr.
 */
#ifndef VGCU_STATFILE_H
#define VGCU_STATFILE_H

#include <stdint.h>
#include <linux/vgc.h>

#define VGCU_STATFILE_MAGIC	"VGCSTAT"	/* 8 bytes with the NUL */
#define VGCU_STATFILE_VERSION	1
#define VGCU_STATFILE_SIZE	8192
#define VGCU_STATFILE_DIR_ROOT	"/run/vgc"
#define VGCU_STATFILE_DIR_SHM	"/dev/shm/vgc-"	/* + uid */

struct vgcu_statfile_region {
	uint16_t zone;
	uint16_t partition;
	uint32_t cpu;
	int32_t node;			/* node the region is bound to, -1 */
	uint32_t pad;
	uint64_t committed_bytes;	/* at open */
};

struct vgcu_statfile {
	char magic[8];			/* VGCU_STATFILE_MAGIC */
	uint32_t version;		/* VGCU_STATFILE_VERSION */
	uint32_t size;			/* VGCU_STATFILE_SIZE */
	uint32_t pid;			/* owner: getpid() at open */
	uint32_t uid;			/* its effective uid */
	uint64_t start_time;		/* field 22 of /proc/<pid>/stat */
	uint64_t arena_id;		/* the library's id within the process */
	uint64_t created_ns;		/* CLOCK_REALTIME at open */
	char comm[16];			/* owner's comm at open */
	uint32_t backend;		/* enum vgc_backend: 1 module, 2 anon */
	uint32_t nr_partitions;
	uint64_t map_addr;		/* the arena's mapping in the owner */
	uint64_t map_size;
	uint64_t ctrl_addr;		/* struct vgc_ctrl in the owner */
	uint64_t ctrl_size;
	uint64_t reserved[8];		/* zero */
	/* [zone * nr_partitions + partition], nr_partitions * 3 used */
	struct vgcu_statfile_region regions[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
};

_Static_assert(sizeof(struct vgcu_statfile) <= VGCU_STATFILE_SIZE,
	       "statfile header too large");

struct vgc_arena;

/* lib/statfile.c; both ignore every error: statistics never fail an arena. */
void vgcu_statfile_create(struct vgc_arena *a);
void vgcu_statfile_remove(struct vgc_arena *a);
/* The directory this process writes to (no trailing '/'), "" when none. */
void vgcu_statfile_dir(char *buf, size_t len);
/* Field 22 of /proc/<pid>/stat (start time in clock ticks), 0: unknown. */
uint64_t vgcu_proc_start_time(int pid);

#endif
