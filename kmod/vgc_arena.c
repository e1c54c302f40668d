// SPDX-License-Identifier: GPL-2.0
/*
 * VGC arenas: creation, the pages behind the layout, growth and teardown.
 * Their memory is charged through vgc_limit.c before any page is
 * allocated.  The layout itself (every offset and region of the mapping)
 * is computed by the shared core, core/vgc_layout.c, which the library's
 * anonymous backend runs too.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/overflow.h>
#include <linux/uaccess.h>
#include <linux/cpumask.h>
#include <linux/topology.h>
#include <linux/nodemask.h>
#include "vgc_internal.h"
#include "vgc_trace.h"

static DEFINE_SPINLOCK(vgc_arenas_lock);
static LIST_HEAD(vgc_arenas);
static u64 vgc_next_id;

static int vgc_params_check(struct vgc_arena_params *p)
{
	unsigned int i;
	int ret;

	ret = vgc_core_params_check(p);
	if (ret)
		return ret;
	for (i = 0; i < p->nr_partitions; i++)
		if (p->cpus[i] >= nr_cpu_ids || !cpu_online(p->cpus[i]))
			return -EINVAL;
	return 0;
}

static struct vgc_region *vgc_region_of(struct vgc_arena *arena, u64 granule)
{
	unsigned int i;

	for (i = 0; i < arena->nr_regions; i++) {
		struct vgc_region *r = &arena->regions[i];

		if (granule < r->first_granule + r->capacity_granules)
			return r;
	}
	return NULL;
}

static unsigned long vgc_region_first_page(struct vgc_arena *arena,
					   const struct vgc_region *r)
{
	return (arena->layout.data_offset +
		(r->first_granule << VGC_GRANULE_SHIFT)) >> PAGE_SHIFT;
}

/*
 * Metadata pages.  ctrl, threads and spans are small and go to the first
 * partition's node.  Each plane page covers 32768 granules (512 KiB of data,
 * eight spans): it goes to the node of the region owning its first granule,
 * so that a partition's sweep mostly reads local plane words.
 */
static int vgc_meta_alloc(struct vgc_arena *arena)
{
	int node0 = cpu_to_node(arena->params.cpus[0]);
	unsigned long head = arena->layout.plane_offset[0] >> PAGE_SHIFT;
	unsigned long plane_pages = arena->layout.plane_size >> PAGE_SHIFT;
	unsigned long i;
	unsigned int pl;
	int ret;

	ret = vgc_pages_alloc(arena, arena->pages, head, node0);
	if (ret)
		return ret;
	for (pl = 0; pl < VGC_NR_PLANES; pl++) {
		for (i = 0; i < plane_pages; i++) {
			u64 g = (u64)i * PAGE_SIZE * 8;
			struct vgc_region *r = vgc_region_of(arena, g);
			int node = r ? cpu_to_node(r->cpu) : node0;

			ret = vgc_pages_alloc(arena,
					      &arena->pages[head + pl * plane_pages + i],
					      1, node);
			if (ret)
				return ret;
		}
	}
	arena->meta = vmap(arena->pages, arena->meta_pages, VM_MAP,
			   PAGE_KERNEL);
	if (!arena->meta)
		return -ENOMEM;
	arena->ctrl = arena->meta + arena->layout.ctrl_offset;
	arena->slots = arena->meta + arena->layout.threads_offset;
	arena->spans = arena->meta + arena->layout.spans_offset;
	for (pl = 0; pl < VGC_NR_PLANES; pl++)
		arena->plane[pl] = arena->meta + arena->layout.plane_offset[pl];
	/* Free slots read 001, so allocation is one atomic OR of VALID. */
	memset(arena->plane[VGC_PLANE_S0], 0xff, arena->layout.plane_size);
	return 0;
}

static int vgc_region_commit(struct vgc_arena *arena, struct vgc_region *r,
			     u64 granules)
{
	unsigned long first = vgc_region_first_page(arena, r) +
			      ((r->committed_granules << VGC_GRANULE_SHIFT) >> PAGE_SHIFT);
	unsigned long count = (granules << VGC_GRANULE_SHIFT) >> PAGE_SHIFT;
	struct page **tmp;
	int ret;

	tmp = kvcalloc(count, sizeof(*tmp), VGC_GFP_ACCOUNT);
	if (!tmp)
		return -ENOMEM;
	ret = vgc_pages_alloc(arena, tmp, count, cpu_to_node(r->cpu));
	if (!ret)
		vgc_pages_publish(arena, first, tmp, count);
	kvfree(tmp);
	return ret;
}

static void vgc_region_refresh(struct vgc_arena *arena, struct vgc_region *r)
{
	unsigned long first = vgc_region_first_page(arena, r);
	unsigned long count = (r->committed_granules << VGC_GRANULE_SHIFT) >> PAGE_SHIFT;

	r->node = count ? page_to_nid(arena->pages[first]) : NUMA_NO_NODE;
	r->nr_chunks = count ? vgc_pages_chunks(arena, first, count) : 0;
}

/*
 * May run in a VMA's ->close with mmap_lock held.  Pages still referenced
 * elsewhere stay charged until they are really freed (vgc_acct_release()).
 */
static void vgc_arena_free(struct vgc_arena *arena)
{
	unsigned long held = 0;

	if (arena->meta)
		vunmap(arena->meta);
	if (arena->pages)
		held = vgc_pages_release(arena);
	if (arena->acct)
		vgc_acct_release(arena->acct, arena->charged_bytes -
				 ((u64)held << PAGE_SHIFT), arena->pages, held);
	else
		kvfree(arena->pages);
	kfree(arena->node_pages);
	kfree(arena->regions);
	mutex_destroy(&arena->lock);
	kfree(arena);
}

static struct vgc_arena *vgc_arena_build(const struct vgc_arena_params *p)
{
	struct vgc_arena *arena;
	unsigned int i;
	u64 data = 0;
	int ret = -ENOMEM;

	arena = kzalloc(sizeof(*arena), VGC_GFP_ACCOUNT);
	if (!arena)
		return ERR_PTR(-ENOMEM);
	mutex_init(&arena->lock);
	kref_init(&arena->ref);
	INIT_LIST_HEAD(&arena->node);
	spin_lock_init(&arena->async_lock);
	INIT_LIST_HEAD(&arena->async_queued);
	arena->params = *p;
	vgc_core_gen_permille(p, arena->gen_permille);
	vgc_core_cadence(p, &arena->cadence);
	arena->nr_partitions = p->nr_partitions;
	arena->nr_regions = VGC_NR_ZONES * p->nr_partitions;

	arena->acct = vgc_acct_new();
	arena->regions = kcalloc(arena->nr_regions, sizeof(*arena->regions),
				 VGC_GFP_ACCOUNT);
	arena->node_pages = kcalloc(nr_node_ids, sizeof(*arena->node_pages),
				    VGC_GFP_ACCOUNT);
	if (!arena->acct || !arena->regions || !arena->node_pages)
		goto err;
	ret = vgc_core_layout(&arena->params, PAGE_SIZE, &arena->layout,
			      arena->regions);
	if (ret)
		goto err;
	arena->nr_pages = arena->layout.map_size >> PAGE_SHIFT;
	arena->meta_pages = arena->layout.data_offset >> PAGE_SHIFT;

	for (i = 0; i < arena->nr_regions; i++)
		data += arena->regions[i].committed_granules << VGC_GRANULE_SHIFT;
	/* Refuse before allocating anything: cheap, and no memcg churn. */
	ret = vgc_acct_charge(arena->acct,
			      ((u64)arena->meta_pages << PAGE_SHIFT) + data);
	if (ret)
		goto err;
	arena->charged_bytes = ((u64)arena->meta_pages << PAGE_SHIFT) + data;
	arena->committed_bytes = data;
	arena->metadata_bytes = (u64)arena->meta_pages << PAGE_SHIFT;

	ret = -ENOMEM;
	/* Huge reserves under a raised limit may not fit: fail quietly. */
	arena->pages = kvcalloc(arena->nr_pages, sizeof(*arena->pages),
				VGC_GFP_ACCOUNT);
	if (!arena->pages)
		goto err;
	ret = vgc_meta_alloc(arena);
	if (ret)
		goto err;

	for (i = 0; i < arena->nr_regions; i++) {
		struct vgc_region *r = &arena->regions[i];
		u64 com = r->committed_granules;

		if (!com)
			continue;
		r->committed_granules = 0;
		ret = vgc_region_commit(arena, r, com);
		r->committed_granules = com;
		if (ret)
			goto err;
		vgc_region_refresh(arena, r);
	}

	arena->ctrl->abi_version = VGC_ABI_VERSION;
	arena->ctrl->nr_partitions = arena->nr_partitions;
	arena->ctrl->committed_bytes = arena->committed_bytes;
	return arena;

err:
	/* Synchronously, so that a retry finds its locked memory back. */
	if (arena->charged_bytes)
		vgc_acct_uncharge(arena->acct, arena->charged_bytes);
	arena->charged_bytes = 0;
	vgc_arena_free(arena);
	return ERR_PTR(ret);
}

int vgc_arena_create(struct vgc_file *vf, const void __user *arg)
{
	struct vgc_arena_params p;
	struct vgc_arena *arena;
	u32 usize;
	int ret;

	if (READ_ONCE(vf->arena))
		return -EBUSY;
	ret = vgc_copy_in(&p, sizeof(p), VGC_ARENA_PARAMS_SIZE_VER0, arg,
			  &usize);
	if (ret)
		return ret;
	ret = vgc_params_check(&p);
	if (ret)
		return ret;

	mutex_lock(&vf->lock);
	if (vf->arena) {
		ret = -EBUSY;
		goto out;
	}
	arena = vgc_arena_build(&p);
	if (IS_ERR(arena)) {
		ret = PTR_ERR(arena);
		goto out;
	}
	arena->owner_tgid = task_tgid_nr(current);
	get_task_comm(arena->owner_comm, current);
	spin_lock(&vgc_arenas_lock);
	arena->id = vgc_next_id++;
	list_add_tail(&arena->node, &vgc_arenas);
	spin_unlock(&vgc_arenas_lock);
	atomic64_inc(&vgc_nr_arenas);
	trace_vgc_arena_create(arena);
	vgc_debugfs_add(arena);
	/* Pairs with the acquire in vgc_file_arena(). */
	smp_store_release(&vf->arena, arena);
out:
	mutex_unlock(&vf->lock);
	return ret;
}

static void vgc_arena_release(struct kref *ref)
{
	struct vgc_arena *arena = container_of(ref, struct vgc_arena, ref);

	trace_vgc_arena_destroy(arena);
	spin_lock(&vgc_arenas_lock);
	list_del(&arena->node);
	spin_unlock(&vgc_arenas_lock);
	vgc_debugfs_remove(arena);
	vgc_arena_free(arena);
	atomic64_dec(&vgc_nr_arenas);
}

void vgc_arena_get(struct vgc_arena *arena)
{
	kref_get(&arena->ref);
}

/*
 * The last put may come from a VMA's ->close with mmap_lock held: nothing
 * below takes mm locks or waits for user space.
 */
void vgc_arena_put(struct vgc_arena *arena)
{
	kref_put(&arena->ref, vgc_arena_release);
}

/*
 * Pins the arena with the given id if it is still alive, for debugfs
 * readers, which know arenas only by id.
 */
struct vgc_arena *vgc_arena_find(u64 id)
{
	struct vgc_arena *arena, *found = NULL;

	spin_lock(&vgc_arenas_lock);
	list_for_each_entry(arena, &vgc_arenas, node) {
		if (arena->id == id) {
			if (kref_get_unless_zero(&arena->ref))
				found = arena;
			break;
		}
	}
	spin_unlock(&vgc_arenas_lock);
	return found;
}

int vgc_arena_layout(struct vgc_arena *arena, void __user *arg)
{
	struct vgc_region *regs = NULL;
	struct vgc_layout l;
	u32 usize, size, cap;
	unsigned int n;
	u64 ptr;
	int ret;

	ret = vgc_copy_in(&l, sizeof(l), VGC_LAYOUT_SIZE_VER0, arg, &usize);
	if (ret)
		return ret;
	if (memchr_inv(l.reserved, 0, sizeof(l.reserved)))
		return -EINVAL;
	if (l.regions_cap && !l.regions_ptr)
		return -EFAULT;

	n = min_t(u32, l.regions_cap, arena->nr_regions);
	if (n) {
		regs = kcalloc(n, sizeof(*regs), GFP_KERNEL);
		if (!regs)
			return -ENOMEM;
	}
	/* Snapshot under the lock, copy to user space after dropping it. */
	if (n) {
		mutex_lock(&arena->lock);
		memcpy(regs, arena->regions, array_size(n, sizeof(*regs)));
		mutex_unlock(&arena->lock);
	}

	/* The caller's size and region buffer stay as they came in. */
	size = l.size;
	cap = l.regions_cap;
	ptr = l.regions_ptr;
	l = arena->layout;
	l.size = size;
	l.regions_cap = cap;
	l.regions_ptr = ptr;

	ret = 0;
	if (n && copy_to_user(u64_to_user_ptr(l.regions_ptr), regs,
			      array_size(n, sizeof(*regs))))
		ret = -EFAULT;
	kfree(regs);
	if (!ret)
		ret = vgc_copy_out(arg, &l, sizeof(l), usize);
	return ret;
}

int vgc_arena_grow(struct vgc_arena *arena, void __user *arg)
{
	struct vgc_region *r;
	struct vgc_grow gr;
	u64 bytes;
	u32 usize;
	int ret;

	ret = vgc_copy_in(&gr, sizeof(gr), VGC_GROW_SIZE_VER0, arg, &usize);
	if (ret)
		return ret;
	if (gr.pad || memchr_inv(gr.reserved, 0, sizeof(gr.reserved)))
		return -EINVAL;
	if (gr.zone >= VGC_NR_ZONES || gr.partition >= arena->nr_partitions)
		return -EINVAL;
	if (!gr.granules || gr.granules % VGC_SPAN_GRANULES)
		return -EINVAL;
	r = &arena->regions[gr.zone * arena->nr_partitions + gr.partition];

	mutex_lock(&arena->lock);
	if (gr.granules > r->capacity_granules - r->committed_granules) {
		ret = -ENOSPC;
		goto out;
	}
	bytes = gr.granules << VGC_GRANULE_SHIFT;
	ret = vgc_acct_charge(arena->acct, bytes);
	if (ret)
		goto out;
	ret = vgc_region_commit(arena, r, gr.granules);
	if (ret) {
		vgc_acct_uncharge(arena->acct, bytes);
		goto out;
	}
	arena->charged_bytes += bytes;
	arena->committed_bytes += bytes;
	r->committed_granules += gr.granules;
	r->gen_granules[VGC_GEN0] += gr.granules;
	vgc_region_refresh(arena, r);
	WRITE_ONCE(arena->ctrl->committed_bytes, arena->committed_bytes);
	gr.committed_granules = r->committed_granules;
	trace_vgc_grow(arena, r, gr.granules);
out:
	mutex_unlock(&arena->lock);
	if (!ret)
		ret = vgc_copy_out(arg, &gr, sizeof(gr), usize);
	return ret;
}
