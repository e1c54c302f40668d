// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/vgc/: "global" (limit, bytes, arenas, pages per node)
 * and one "arena-<id>" file per arena.
 *
 * Arena files know their arena by id only and pin it for the length of a
 * read.  Holding a pointer instead would make the last put (which may run
 * in a VMA's ->close under mmap_lock) wait for debugfs readers, and a reader
 * may be faulting on that very mm in copy_to_user.  For the same reason the
 * file itself is removed from a workqueue.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/nodemask.h>
#include <linux/workqueue.h>
#include "vgc_internal.h"

static struct dentry *vgc_dbg_root;

static int vgc_global_show(struct seq_file *m, void *unused)
{
	int nid;

	seq_printf(m, "abi_version %u\n", VGC_ABI_VERSION);
	seq_printf(m, "limit_bytes %llu\n", (u64)READ_ONCE(vgc_limit_mb) << 20);
	seq_printf(m, "used_bytes %lld\n", (s64)atomic64_read(&vgc_used_bytes));
	seq_printf(m, "arenas %lld\n", (s64)atomic64_read(&vgc_nr_arenas));
	for_each_node(nid)
		seq_printf(m, "node%d_pages %ld\n", nid,
			   atomic_long_read(&vgc_node_pages[nid]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vgc_global);

/*
 * One "region_stats" line per region for vgcctl: objects per state (all
 * generations, after the last sweep), reclaimed bytes, total pause and the
 * pause histogram, as in the control page.
 */
static void vgc_region_stats_show(struct seq_file *m, struct vgc_arena *arena,
				  const char * const *zname)
{
	unsigned int i, g, s, b;

	seq_puts(m, "# region_stats zone part idle active promote demote persist deferred marked expired reclaimed_bytes total_pause_ns pause_hist0..\n");
	for (i = 0; i < arena->nr_regions; i++) {
		const struct vgc_region_stats *st = &arena->ctrl->regions[i];
		const struct vgc_region *r = &arena->regions[i];

		seq_printf(m, "region_stats %s %u", zname[r->zone],
			   r->partition);
		for (s = 0; s < VGC_NR_STATES; s++) {
			u64 n = 0;

			for (g = 0; g < VGC_NR_GENS; g++)
				n += READ_ONCE(st->states[g][s]);
			seq_printf(m, " %llu", n);
		}
		seq_printf(m, " %llu %llu", READ_ONCE(st->reclaimed_bytes),
			   READ_ONCE(st->total_pause_ns));
		for (b = 0; b < VGC_PAUSE_BUCKETS; b++)
			seq_printf(m, " %llu", READ_ONCE(st->pause_hist[b]));
		seq_putc(m, '\n');
	}
}

static void vgc_arena_show_one(struct seq_file *m, struct vgc_arena *arena)
{
	static const char * const zname[VGC_NR_ZONES] = {
		"red", "green", "blue"
	};
	struct vgc_region r;
	unsigned int i;
	int nid;

	mutex_lock(&arena->lock);
	seq_printf(m, "id %llu\n", arena->id);
	seq_printf(m, "pid %d\n", arena->owner_tgid);
	seq_printf(m, "comm %s\n", arena->owner_comm);
	if (arena->forked)
		seq_printf(m, "forked_from %llu\n", arena->forked_from);
	seq_printf(m, "partitions %u\n", arena->nr_partitions);
	seq_printf(m, "map_size %llu\n", arena->layout.map_size);
	seq_printf(m, "total_granules %llu\n", arena->layout.total_granules);
	seq_printf(m, "committed_bytes %llu\n", arena->committed_bytes);
	seq_printf(m, "metadata_bytes %llu\n", arena->metadata_bytes);
	seq_printf(m, "threads %u\n", arena->nr_threads);
	seq_printf(m, "gp_seq %llu\n", arena->gp_seq);
	seq_printf(m, "checkpoints %llu\n", arena->checkpoints);
	seq_printf(m, "reclaimed_objects %llu\n", arena->reclaimed_objects);
	seq_printf(m, "reclaimed_bytes %llu\n", arena->reclaimed_bytes);
	seq_printf(m, "dead_threads_dropped %llu\n",
		   arena->dead_threads_dropped);
	for_each_node(nid)
		seq_printf(m, "node%d_pages %ld\n", nid,
			   atomic_long_read(&arena->node_pages[nid]));
	seq_puts(m, "zone part cpu node chunks first committed capacity gen0 gen1 gen2 sweeps reclaimed last_pause_ns max_pause_ns\n");
	for (i = 0; i < arena->nr_regions; i++) {
		const struct vgc_region_stats *st = &arena->ctrl->regions[i];

		r = arena->regions[i];
		seq_printf(m, "%s %u %u %d %u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   zname[r.zone], r.partition, r.cpu, r.node,
			   r.nr_chunks, r.first_granule, r.committed_granules,
			   r.capacity_granules, r.gen_granules[0],
			   r.gen_granules[1], r.gen_granules[2],
			   READ_ONCE(st->sweeps),
			   READ_ONCE(st->reclaimed_objects),
			   READ_ONCE(st->last_pause_ns),
			   READ_ONCE(st->max_pause_ns));
	}
	vgc_region_stats_show(m, arena, zname);
	mutex_unlock(&arena->lock);
}

static int vgc_arena_dbg_show(struct seq_file *m, void *unused)
{
	struct vgc_arena *arena = vgc_arena_find((uintptr_t)m->private);

	if (!arena)
		return -ENOENT;
	vgc_arena_show_one(m, arena);
	vgc_arena_put(arena);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vgc_arena_dbg);

/*
 * The removal record is allocated up front so that the last put, which
 * must not fail, only has to queue it.
 */
void vgc_debugfs_add(struct vgc_arena *arena)
{
	struct vgc_arena_dbg_rm *rm;
	char name[32];

	if (IS_ERR_OR_NULL(vgc_dbg_root))
		return;
	rm = kzalloc(sizeof(*rm), GFP_KERNEL);
	if (!rm)
		return;
	snprintf(name, sizeof(name), "arena-%llu", arena->id);
	rm->dentry = debugfs_create_file(name, 0400, vgc_dbg_root,
					 (void *)(uintptr_t)arena->id,
					 &vgc_arena_dbg_fops);
	arena->dbg_rm = rm;
}

static DEFINE_SPINLOCK(vgc_dbg_lock);
static LIST_HEAD(vgc_dbg_dead);
static LIST_HEAD(vgc_dbg_new);

/* An arena whose file vgc_debugfs_add_later() left to the work. */
struct vgc_dbg_add {
	struct list_head node;
	struct vgc_arena *arena;	/* a reference */
};

static void vgc_dbg_rm_work(struct work_struct *work)
{
	struct vgc_arena_dbg_rm *rm;
	struct vgc_dbg_add *add;

	for (;;) {
		spin_lock(&vgc_dbg_lock);
		add = list_first_entry_or_null(&vgc_dbg_new,
					       struct vgc_dbg_add, node);
		if (add)
			list_del(&add->node);
		spin_unlock(&vgc_dbg_lock);
		if (!add)
			break;
		vgc_debugfs_add(add->arena);
		/* May be the last: the removal is queued behind us. */
		vgc_arena_put(add->arena);
		kfree(add);
	}
	for (;;) {
		spin_lock(&vgc_dbg_lock);
		rm = list_first_entry_or_null(&vgc_dbg_dead,
					      struct vgc_arena_dbg_rm, node);
		if (rm)
			list_del(&rm->node);
		spin_unlock(&vgc_dbg_lock);
		if (!rm)
			break;
		debugfs_remove(rm->dentry);
		kfree(rm);
	}
}

static DECLARE_WORK(vgc_dbg_work, vgc_dbg_rm_work);

/*
 * vgc_debugfs_add() from the work, for callers that hold mmap_lock: the
 * file's creation takes the directory's inode lock.  Best effort, like
 * vgc_debugfs_add(): without memory the arena has no file.
 */
void vgc_debugfs_add_later(struct vgc_arena *arena)
{
	struct vgc_dbg_add *add;

	if (IS_ERR_OR_NULL(vgc_dbg_root))
		return;
	add = kzalloc(sizeof(*add), GFP_KERNEL);
	if (!add)
		return;
	vgc_arena_get(arena);
	add->arena = arena;
	spin_lock(&vgc_dbg_lock);
	list_add_tail(&add->node, &vgc_dbg_new);
	spin_unlock(&vgc_dbg_lock);
	schedule_work(&vgc_dbg_work);
}

void vgc_debugfs_remove(struct vgc_arena *arena)
{
	struct vgc_arena_dbg_rm *rm = arena->dbg_rm;

	if (!rm)
		return;
	arena->dbg_rm = NULL;
	spin_lock(&vgc_dbg_lock);
	list_add_tail(&rm->node, &vgc_dbg_dead);
	spin_unlock(&vgc_dbg_lock);
	schedule_work(&vgc_dbg_work);
}

void vgc_debugfs_init(void)
{
	vgc_dbg_root = debugfs_create_dir("vgc", NULL);
	debugfs_create_file("global", 0400, vgc_dbg_root, NULL,
			    &vgc_global_fops);
}

void vgc_debugfs_exit(void)
{
	/* Pending removals of arena files must not outlive the module. */
	flush_work(&vgc_dbg_work);
	debugfs_remove_recursive(vgc_dbg_root);
}
