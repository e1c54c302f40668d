/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VGC kernel module: state shared by the files of vgc.ko.
 *
 * Interfaces used outside the core files (kmod/vgc_uring.c):
 *
 *   long vgc_cmd_dispatch(struct file *file, unsigned int nr,
 *                         void __user *arg);
 *	Runs command _IOC_NR(VGC_IOC_*) == nr synchronously, exactly as the
 *	ioctl does (same validation, same return values).  Process context.
 *
 *   struct vgc_arena *vgc_file_arena(struct file *file);
 *	The arena of an fd, or NULL.  The pointer stays valid as long as the
 *	caller holds the file; vgc_arena_get()/vgc_arena_put() pin it beyond.
 *
 *   int vgc_checkpoint_copy_in(const void __user *arg,
 *                              struct vgc_checkpoint *ck, u32 *usize);
 *	Copies and validates a VGC_IOC_CHECKPOINT argument (size, flags,
 *	reserved fields).  0 or -errno.
 *
 *   int vgc_checkpoint_start(struct vgc_arena *arena,
 *                            struct vgc_checkpoint *ck,
 *                            void (*done)(void *ctx, long res), void *ctx);
 *	Runs the checkpoint described by *ck (already copied in) on a module
 *	workqueue.  Returns 0 when queued (done() is then called exactly once,
 *	from a workqueue, after *ck holds the outputs; res is 0 or -errno) or
 *	-errno without calling done().  *ck must stay valid until done().  The
 *	arena is pinned until done() returns.  Checkpoints of one arena are
 *	serialised, so several may be queued at once, up to
 *	VGC_CKPT_MAX_INFLIGHT per arena: beyond that -EBUSY.
 *
 *   bool vgc_checkpoint_cancel(struct vgc_arena *arena, void *ctx);
 *	Withdraws the queued checkpoint started with ctx if it has not begun
 *	to run: true means it never runs and done() is never called (*ck is
 *	not touched again); false means done() is or was called as usual.
 *
 *   int vgc_checkpoint_copy_out(void __user *arg,
 *                               const struct vgc_checkpoint *ck, u32 usize);
 *	Writes the outputs back (min(usize, sizeof) bytes).  Must run in the
 *	submitter's task context.
 */
#ifndef _VGC_INTERNAL_H
#define _VGC_INTERNAL_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/rwsem.h>
#include <linux/list.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/gfp.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/vgc.h>
#include "vgc_core.h"

struct io_uring_cmd;

/* A debugfs file waiting for removal, see vgc_debugfs.c. */
struct vgc_arena_dbg_rm {
	struct list_head node;
	struct dentry *dentry;
};

/* Async checkpoints queued or running per arena, see vgc_checkpoint_start. */
#define VGC_CKPT_MAX_INFLIGHT	64

/*
 * The module's allocations charged to the caller's memory cgroup: beyond
 * memory.max or under global pressure they fail (-ENOMEM) instead of
 * invoking the OOM killer, which order-0 __GFP_ACCOUNT would do.
 */
#define VGC_GFP_ACCOUNT		(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOWARN)

/*
 * Pages freed between two chances to reschedule.  A 1 GiB arena is 262144
 * pages, and a debug kernel poisons and unmaps each one as it is freed:
 * without a break that is seconds on one CPU with its softirqs (and so
 * RCU's grace periods) held off.  Every caller may sleep (file release,
 * VMA close, workqueue, a failed allocation).
 */
#define VGC_FREE_RESCHED_PAGES	512

struct vgc_acct;

struct vgc_thread_rec {
	struct pid *pid;		/* NULL: slot free */
	u32 partition;
	u32 tid;			/* in the registering task's pid ns */
};

struct vgc_arena {
	struct kref ref;
	struct list_head node;		/* vgc_arenas */
	u64 id;
	struct vgc_arena_dbg_rm *dbg_rm;
	/* The creating task, for debugfs: tgid in the initial pid ns. */
	pid_t owner_tgid;
	char owner_comm[TASK_COMM_LEN];

	/* Serialises grow, thread registration and checkpoints. */
	struct mutex lock;

	struct vgc_arena_params params;
	u32 nr_partitions;
	u32 gen_permille[VGC_NR_GENS];	/* defaults applied */
	struct vgc_cadence cadence;
	u32 nr_regions;
	/*
	 * [zone * nr_partitions + partition], as reported by GET_LAYOUT;
	 * node and nr_chunks follow the pages, committed_granules and Gen0
	 * grow, under lock.
	 */
	struct vgc_region *regions;
	struct vgc_layout layout;	/* from vgc_core_layout() */

	/*
	 * One entry per page of the mapping, indexed by page offset, so that
	 * the fault handler is O(1).  Entries of uncommitted data are NULL;
	 * VGC_IOC_GROW publishes new ones with release semantics.
	 */
	struct page **pages;
	unsigned long nr_pages;
	unsigned long meta_pages;	/* pages[0 .. meta_pages) */
	/*
	 * ctrl, threads, spans and sums: pages[0 .. head_pages), allocated at
	 * creation and vmapped.  Plane pl's pages follow at pages[head_pages
	 * + pl * plane_pages ...]; each is allocated (all planes at once)
	 * when a granule it covers is first committed and read through
	 * vgc_plane_word(), never vmapped.
	 */
	unsigned long head_pages;
	/*
	 * Taken for read by the fault handler around its look-up and
	 * get_page(), for write by VGC_IOC_DECOMMIT around taking data
	 * pages out of pages[]: a fault that found a page holds a reference
	 * to it before decommit can free it.
	 */
	rwlock_t fault_lock;
	/*
	 * Held for write while fork() copies the arena (vgc_fork.c), for
	 * read by the fault handler and the batch requests: the user and
	 * kernel writers that run without arena->lock wait for the copy, so
	 * that it is the arena of one instant.
	 */
	struct rw_semaphore fork_sem;
	unsigned long plane_pages;	/* per plane */
	void *meta;			/* vmap of the head pages */

	struct vgc_ctrl *ctrl;
	struct vgc_thread_slot *slots;
	u16 *spans;
	struct vgc_span_sum *sums;	/* one per span, in the head */

	struct vgc_acct *acct;		/* module, user, locked memory */
	u64 charged_bytes;		/* to acct */
	u64 committed_bytes;		/* data pages */
	u64 metadata_bytes;
	atomic_long_t *node_pages;	/* [nr_node_ids] */

	/* grace periods, under lock */
	struct vgc_thread_rec threads[VGC_MAX_THREADS];
	u32 nr_threads;
	u64 gp_seq;
	u64 checkpoints;
	u64 reclaimed_objects;
	u64 reclaimed_bytes;
	u64 dead_threads_dropped;
	/* The arena this one is fork()'s copy of, for debugfs; else 0. */
	u64 forked_from;
	bool forked;
	atomic_t async_inflight;	/* vgc_checkpoint_start() */
	spinlock_t async_lock;
	struct list_head async_queued;	/* not started yet */
};

/* Granules one plane page covers: 32768 with 4 KiB pages, eight spans. */
#define VGC_PLANE_PAGE_GRANULES	(PAGE_SIZE * BITS_PER_BYTE)
#define VGC_PLANE_PAGE_WORDS	(PAGE_SIZE / sizeof(u64))

/**
 * vgc_plane_word() - the kernel address of one word of a plane
 * @arena: the arena
 * @pl: the plane, VGC_PLANE_*
 * @w: word index (granule / 64), below total_granules / 64
 *
 * Plane pages are published by vgc_arena_grow() with release semantics
 * and never freed before the arena, so callers without arena->lock (the
 * batch requests) may use the word as long as they hold the arena.
 *
 * Return: the word, or NULL when no committed granule has needed its page
 * yet (the granules it covers hold no object).
 */
static inline u64 *vgc_plane_word(struct vgc_arena *arena, unsigned int pl,
				  u64 w)
{
	struct page *page;

	/* Pairs with the release in vgc_planes_publish(). */
	page = smp_load_acquire(&arena->pages[arena->head_pages +
					      pl * arena->plane_pages +
					      w / VGC_PLANE_PAGE_WORDS]);
	if (!page)
		return NULL;
	return (u64 *)page_address(page) + w % VGC_PLANE_PAGE_WORDS;
}

struct vgc_file {
	struct mutex lock;		/* serialises VGC_IOC_CREATE_ARENA */
	struct vgc_arena *arena;	/* published once, with release */
	/*
	 * The copies fork() made of the arena, one struct vgc_fork per
	 * child address space, see vgc_fork.c.  nr_forks is read without
	 * the lock: a child cannot run before its entry is in.
	 */
	spinlock_t fork_lock;
	struct list_head forks;
	unsigned int nr_forks;
};

/* vgc_main.c */
extern atomic64_t vgc_nr_arenas;
long vgc_cmd_dispatch(struct file *file, unsigned int nr, void __user *arg);
struct vgc_arena *vgc_file_arena(struct file *file);

/* vgc_uaccess.c */
int vgc_copy_in(void *dst, size_t ksize, size_t ver0,
		const void __user *arg, u32 *usize);
int vgc_copy_out(void __user *arg, const void *src, size_t ksize, u32 usize);

#ifdef CONFIG_IO_URING
/* vgc_uring.c */
int vgc_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);
#endif

/* vgc_arena.c */
int vgc_arena_create(struct vgc_file *vf, const void __user *arg);
int vgc_arena_layout(struct vgc_arena *arena, void __user *arg);
int vgc_arena_grow(struct vgc_arena *arena, void __user *arg);
int vgc_arena_span_cmd(struct vgc_arena *arena, struct file *file,
		       void __user *arg, bool commit);
struct vgc_arena *vgc_arena_alloc(const struct vgc_arena_params *p,
				  struct mm_struct *mm);
int vgc_meta_map(struct vgc_arena *arena);
void vgc_arena_publish(struct vgc_arena *arena, bool in_fork);
void vgc_arena_free(struct vgc_arena *arena);
void vgc_arena_get(struct vgc_arena *arena);
void vgc_arena_put(struct vgc_arena *arena);
struct vgc_arena *vgc_arena_find(u64 id);

/* vgc_limit.c: limits and accounting, see there and docs/limits.md */
extern unsigned int vgc_limit_mb;
extern atomic64_t vgc_used_bytes;
extern atomic_long_t *vgc_node_pages;
int vgc_limit_init(void);
void vgc_limit_exit(void);
int vgc_charge(u64 bytes);
void vgc_uncharge(u64 bytes);
bool vgc_node_room(int nid, unsigned long pages);
bool vgc_node_charge(int nid, unsigned long pages);
void vgc_node_uncharge(int nid, unsigned long pages);
bool vgc_mem_short(unsigned long pages);
struct vgc_acct *vgc_acct_new(struct mm_struct *mm);
int vgc_acct_charge(struct vgc_acct *acct, u64 bytes);
void vgc_acct_uncharge(struct vgc_acct *acct, u64 bytes);
void vgc_acct_release(struct vgc_acct *acct, u64 freed_bytes,
		      struct page **pages, unsigned long nr_held);

/* vgc_pages.c */
int vgc_pages_alloc(struct vgc_arena *arena, struct page **out,
		    unsigned long count, int node);
int vgc_pages_alloc_raw(struct vgc_arena *arena, struct page **out,
			unsigned long count, int node, bool zero);
void vgc_pages_free_array(struct vgc_arena *arena, struct page **pages,
			  unsigned long count);
void vgc_pages_publish(struct vgc_arena *arena, unsigned long first,
		       struct page **pages, unsigned long count);
u32 vgc_pages_chunks(struct vgc_arena *arena, unsigned long first,
		     unsigned long count);
unsigned long vgc_pages_release(struct vgc_arena *arena);

/* vgc_mmap.c */
int vgc_mmap(struct file *file, struct vm_area_struct *vma);

/* vgc_fork.c: a fork()ed child's copy of the arena, see there */
struct vgc_arena *vgc_fork_vma(struct file *file, struct vgc_arena *src,
			       struct mm_struct *mm);
void vgc_fork_mm_gone(struct vgc_file *vf, struct mm_struct *mm);
struct vgc_arena *vgc_fork_lookup(struct vgc_file *vf, struct vgc_arena *arena);
void vgc_fork_release(struct vgc_file *vf);

/* vgc_threads.c */
int vgc_thread_register(struct vgc_arena *arena, void __user *arg);
int vgc_thread_unregister(struct vgc_arena *arena, void __user *arg);
void vgc_threads_drop_dead(struct vgc_arena *arena);
void vgc_threads_release_all(struct vgc_arena *arena);
int vgc_threads_blocker(struct vgc_arena *arena, u32 *slot, u32 *tid);

/* vgc_checkpoint.c */
int vgc_checkpoint_init(void);
void vgc_checkpoint_exit(void);
int vgc_checkpoint_copy_in(const void __user *arg, struct vgc_checkpoint *ck,
			   u32 *usize);
int vgc_checkpoint_copy_out(void __user *arg, const struct vgc_checkpoint *ck,
			    u32 usize);
long vgc_checkpoint_run(struct vgc_arena *arena, struct vgc_checkpoint *ck);
int vgc_checkpoint_start(struct vgc_arena *arena, struct vgc_checkpoint *ck,
			 void (*done)(void *ctx, long res), void *ctx);
bool vgc_checkpoint_cancel(struct vgc_arena *arena, void *ctx);
int vgc_checkpoint_ioctl(struct vgc_arena *arena, void __user *arg);

/* vgc_batch.c */
int vgc_batch_one(struct vgc_arena *arena, u32 op, u64 index);
int vgc_batch_ioctl(struct vgc_arena *arena, void __user *arg);
int vgc_stats_ioctl(struct vgc_arena *arena, void __user *arg);

/* vgc_debugfs.c */
void vgc_debugfs_init(void);
void vgc_debugfs_exit(void);
void vgc_debugfs_add(struct vgc_arena *arena);
void vgc_debugfs_add_later(struct vgc_arena *arena);
void vgc_debugfs_remove(struct vgc_arena *arena);

#endif /* _VGC_INTERNAL_H */
