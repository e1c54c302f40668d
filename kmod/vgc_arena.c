// SPDX-License-Identifier: GPL-2.0
/*
 * VGC arenas: validation of the creation parameters, the layout of the
 * mapping, the module-wide memory limit, growth and teardown.
 *
 * Mapping (every part page aligned):  ctrl | threads | spans | planes | data
 * Data: zone-major, then partition: Red p0..pN, Green p0..pN, Blue p0..pN.
 * Each region: Gen2 | Gen1 | Gen0 | reserve, so that growth extends Gen0.
 * Gen1 and Gen2 get floor(spans * permille / 1000) whole spans and Gen0 the
 * rest, so rounding never shrinks the nursery.
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

static DEFINE_SPINLOCK(vgc_arenas_lock);
static LIST_HEAD(vgc_arenas);
static u64 vgc_next_id;

int vgc_charge(u64 bytes)
{
	u64 limit = (u64)READ_ONCE(vgc_limit_mb) << 20;

	if (atomic64_add_return(bytes, &vgc_used_bytes) > limit) {
		atomic64_sub(bytes, &vgc_used_bytes);
		return -ENOSPC;
	}
	return 0;
}

void vgc_uncharge(u64 bytes)
{
	atomic64_sub(bytes, &vgc_used_bytes);
}

static int vgc_params_check(struct vgc_arena_params *p)
{
	u64 total = 0;
	unsigned int i, z;

	if (p->flags & ~VGC_ARENA_F_ALL)
		return -EINVAL;
	if (p->pad0 || p->pad1 || memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	if (!p->nr_partitions || p->nr_partitions > VGC_MAX_PARTITIONS)
		return -EINVAL;
	for (i = 0; i < p->nr_partitions; i++)
		if (p->cpus[i] >= nr_cpu_ids || !cpu_online(p->cpus[i]))
			return -EINVAL;
	if (p->gen_permille[0] || p->gen_permille[1] || p->gen_permille[2]) {
		if ((u32)p->gen_permille[0] + p->gen_permille[1] +
		    p->gen_permille[2] != 1000)
			return -EINVAL;
	}
	if (!p->zone_granules[0] && !p->zone_granules[1] && !p->zone_granules[2])
		return -EINVAL;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		u64 cap, all;

		if (p->zone_granules[z] > VGC_MAX_ARENA_GRANULES ||
		    p->zone_reserve_granules[z] > VGC_MAX_ARENA_GRANULES)
			return -E2BIG;
		cap = round_up(p->zone_granules[z], VGC_SPAN_GRANULES) +
		      round_up(p->zone_reserve_granules[z], VGC_SPAN_GRANULES);
		if (check_mul_overflow(cap, (u64)p->nr_partitions, &all) ||
		    check_add_overflow(total, all, &total) ||
		    total > VGC_MAX_ARENA_GRANULES)
			return -E2BIG;
	}
	return 0;
}

static void vgc_region_gens(struct vgc_arena *arena, struct vgc_kregion *r)
{
	const struct vgc_arena_params *p = &arena->params;
	u64 spans = r->committed / VGC_SPAN_GRANULES;
	u64 g2 = spans * p->gen_permille[2] / 1000;
	u64 g1 = spans * p->gen_permille[1] / 1000;

	r->gen_first[2] = r->first_granule;
	r->gen_granules[2] = g2 * VGC_SPAN_GRANULES;
	r->gen_first[1] = r->gen_first[2] + r->gen_granules[2];
	r->gen_granules[1] = g1 * VGC_SPAN_GRANULES;
	r->gen_first[0] = r->gen_first[1] + r->gen_granules[1];
	r->gen_granules[0] = r->committed - r->gen_granules[1] -
			     r->gen_granules[2];
}

static void vgc_layout_compute(struct vgc_arena *arena)
{
	const struct vgc_arena_params *p = &arena->params;
	u64 g = 0, off;
	unsigned int z, i, pl;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		u64 com = round_up(p->zone_granules[z], VGC_SPAN_GRANULES);
		u64 cap = com + round_up(p->zone_reserve_granules[z],
					 VGC_SPAN_GRANULES);

		for (i = 0; i < arena->nr_partitions; i++) {
			struct vgc_kregion *r =
				&arena->regions[z * arena->nr_partitions + i];

			r->zone = z;
			r->partition = i;
			r->cpu = p->cpus[i];
			r->node = -1;
			r->first_granule = g;
			r->committed = com;
			r->capacity = cap;
			vgc_region_gens(arena, r);
			g += cap;
		}
	}
	arena->total_granules = g;

	off = 0;
	arena->ctrl_offset = off;
	arena->ctrl_size = PAGE_ALIGN(sizeof(struct vgc_ctrl));
	off += arena->ctrl_size;
	arena->threads_offset = off;
	arena->threads_size = PAGE_ALIGN(sizeof(struct vgc_thread_slot) *
					 VGC_MAX_THREADS);
	off += arena->threads_size;
	arena->spans_offset = off;
	arena->spans_size = PAGE_ALIGN(g / VGC_SPAN_GRANULES * sizeof(u16));
	off += arena->spans_size;
	arena->plane_size = PAGE_ALIGN(g / 8);
	for (pl = 0; pl < VGC_NR_PLANES; pl++) {
		arena->plane_offset[pl] = off;
		off += arena->plane_size;
	}
	arena->data_offset = off;
	arena->data_size = g << VGC_GRANULE_SHIFT;
	arena->map_size = off + arena->data_size;
	arena->nr_pages = arena->map_size >> PAGE_SHIFT;
	arena->meta_pages = arena->data_offset >> PAGE_SHIFT;
}

static struct vgc_kregion *vgc_region_of(struct vgc_arena *arena, u64 granule)
{
	unsigned int i;

	for (i = 0; i < arena->nr_regions; i++) {
		struct vgc_kregion *r = &arena->regions[i];

		if (granule < r->first_granule + r->capacity)
			return r;
	}
	return NULL;
}

static unsigned long vgc_region_first_page(struct vgc_arena *arena,
					   const struct vgc_kregion *r)
{
	return (arena->data_offset +
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
	unsigned long head = arena->plane_offset[0] >> PAGE_SHIFT;
	unsigned long plane_pages = arena->plane_size >> PAGE_SHIFT;
	unsigned long i;
	unsigned int pl;
	int ret;

	ret = vgc_pages_alloc(arena, arena->pages, head, node0);
	if (ret)
		return ret;
	for (pl = 0; pl < VGC_NR_PLANES; pl++) {
		for (i = 0; i < plane_pages; i++) {
			u64 g = (u64)i * PAGE_SIZE * 8;
			struct vgc_kregion *r = vgc_region_of(arena, g);
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
	arena->ctrl = arena->meta + arena->ctrl_offset;
	arena->slots = arena->meta + arena->threads_offset;
	arena->spans = arena->meta + arena->spans_offset;
	for (pl = 0; pl < VGC_NR_PLANES; pl++)
		arena->plane[pl] = arena->meta + arena->plane_offset[pl];
	/* Free slots read 001, so allocation is one atomic OR of VALID. */
	memset(arena->plane[VGC_PLANE_S0], 0xff, arena->plane_size);
	return 0;
}

static int vgc_region_commit(struct vgc_arena *arena, struct vgc_kregion *r,
			     u64 granules)
{
	unsigned long first = vgc_region_first_page(arena, r) +
			      ((r->committed << VGC_GRANULE_SHIFT) >> PAGE_SHIFT);
	unsigned long count = (granules << VGC_GRANULE_SHIFT) >> PAGE_SHIFT;
	struct page **tmp;
	int ret;

	tmp = kvcalloc(count, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	ret = vgc_pages_alloc(arena, tmp, count, cpu_to_node(r->cpu));
	if (!ret)
		vgc_pages_publish(arena, first, tmp, count);
	kvfree(tmp);
	return ret;
}

static void vgc_region_refresh(struct vgc_arena *arena, struct vgc_kregion *r)
{
	unsigned long first = vgc_region_first_page(arena, r);
	unsigned long count = (r->committed << VGC_GRANULE_SHIFT) >> PAGE_SHIFT;

	r->node = count ? page_to_nid(arena->pages[first]) : NUMA_NO_NODE;
	r->nr_chunks = count ? vgc_pages_chunks(arena, first, count) : 0;
}

static void vgc_arena_free(struct vgc_arena *arena)
{
	if (arena->meta)
		vunmap(arena->meta);
	vgc_pages_free_all(arena);
	kvfree(arena->pages);
	kfree(arena->node_pages);
	kfree(arena->regions);
	if (arena->charged_bytes)
		vgc_uncharge(arena->charged_bytes);
	mutex_destroy(&arena->lock);
	kfree(arena);
}

static struct vgc_arena *vgc_arena_build(const struct vgc_arena_params *p)
{
	struct vgc_arena *arena;
	unsigned int i;
	u64 data = 0;
	int ret = -ENOMEM;

	arena = kzalloc(sizeof(*arena), GFP_KERNEL_ACCOUNT);
	if (!arena)
		return ERR_PTR(-ENOMEM);
	mutex_init(&arena->lock);
	kref_init(&arena->ref);
	INIT_LIST_HEAD(&arena->node);
	spin_lock_init(&arena->async_lock);
	INIT_LIST_HEAD(&arena->async_queued);
	arena->params = *p;
	if (!p->gen_permille[0] && !p->gen_permille[1] && !p->gen_permille[2]) {
		arena->params.gen_permille[0] = 500;
		arena->params.gen_permille[1] = 300;
		arena->params.gen_permille[2] = 200;
	}
	arena->nr_partitions = p->nr_partitions;
	arena->nr_regions = VGC_NR_ZONES * p->nr_partitions;
	arena->blue_every = p->blue_every ? p->blue_every : 4;
	arena->gen1_every = p->gen1_every ? p->gen1_every : 4;
	arena->gen2_every = p->gen2_every ? p->gen2_every : 16;

	arena->regions = kcalloc(arena->nr_regions, sizeof(*arena->regions),
				 GFP_KERNEL_ACCOUNT);
	arena->node_pages = kcalloc(nr_node_ids, sizeof(*arena->node_pages),
				    GFP_KERNEL);
	if (!arena->regions || !arena->node_pages)
		goto err;
	vgc_layout_compute(arena);

	for (i = 0; i < arena->nr_regions; i++)
		data += arena->regions[i].committed << VGC_GRANULE_SHIFT;
	/* Refuse before allocating anything: cheap, and no memcg churn. */
	ret = vgc_charge(((u64)arena->meta_pages << PAGE_SHIFT) + data);
	if (ret)
		goto err;
	arena->charged_bytes = ((u64)arena->meta_pages << PAGE_SHIFT) + data;
	arena->committed_bytes = data;
	arena->metadata_bytes = (u64)arena->meta_pages << PAGE_SHIFT;

	ret = -ENOMEM;
	/* Huge reserves under a raised limit may not fit: fail quietly. */
	arena->pages = kvcalloc(arena->nr_pages, sizeof(*arena->pages),
				GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!arena->pages)
		goto err;
	ret = vgc_meta_alloc(arena);
	if (ret)
		goto err;

	for (i = 0; i < arena->nr_regions; i++) {
		struct vgc_kregion *r = &arena->regions[i];
		u64 com = r->committed;

		if (!com)
			continue;
		r->committed = 0;
		ret = vgc_region_commit(arena, r, com);
		r->committed = com;
		if (ret)
			goto err;
		vgc_region_refresh(arena, r);
	}

	arena->ctrl->abi_version = VGC_ABI_VERSION;
	arena->ctrl->nr_partitions = arena->nr_partitions;
	arena->ctrl->committed_bytes = arena->committed_bytes;
	return arena;

err:
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
	spin_lock(&vgc_arenas_lock);
	arena->id = vgc_next_id++;
	list_add_tail(&arena->node, &vgc_arenas);
	spin_unlock(&vgc_arenas_lock);
	atomic64_inc(&vgc_nr_arenas);
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

void vgc_region_export(struct vgc_arena *arena, const struct vgc_kregion *r,
		       struct vgc_region *out)
{
	unsigned int g;

	memset(out, 0, sizeof(*out));
	out->offset = arena->data_offset +
		      (r->first_granule << VGC_GRANULE_SHIFT);
	out->first_granule = r->first_granule;
	out->committed_granules = r->committed;
	out->capacity_granules = r->capacity;
	for (g = 0; g < VGC_NR_GENS; g++) {
		out->gen_first[g] = r->gen_first[g];
		out->gen_granules[g] = r->gen_granules[g];
	}
	out->zone = r->zone;
	out->partition = r->partition;
	out->cpu = r->cpu;
	out->node = r->node;
	out->nr_chunks = r->nr_chunks;
}

int vgc_arena_layout(struct vgc_arena *arena, void __user *arg)
{
	struct vgc_region *regs = NULL;
	struct vgc_layout l;
	unsigned int i, n;
	u32 usize;
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
	mutex_lock(&arena->lock);
	for (i = 0; i < n; i++)
		vgc_region_export(arena, &arena->regions[i], &regs[i]);
	mutex_unlock(&arena->lock);

	l.nr_partitions = arena->nr_partitions;
	l.map_size = arena->map_size;
	l.total_granules = arena->total_granules;
	l.ctrl_offset = arena->ctrl_offset;
	l.ctrl_size = arena->ctrl_size;
	l.threads_offset = arena->threads_offset;
	l.threads_size = arena->threads_size;
	l.spans_offset = arena->spans_offset;
	l.spans_size = arena->spans_size;
	for (i = 0; i < VGC_NR_PLANES; i++)
		l.plane_offset[i] = arena->plane_offset[i];
	l.plane_size = arena->plane_size;
	l.data_offset = arena->data_offset;
	l.data_size = arena->data_size;
	l.nr_regions = arena->nr_regions;

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
	struct vgc_kregion *r;
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
	if (gr.granules > r->capacity - r->committed) {
		ret = -ENOSPC;
		goto out;
	}
	bytes = gr.granules << VGC_GRANULE_SHIFT;
	ret = vgc_charge(bytes);
	if (ret)
		goto out;
	ret = vgc_region_commit(arena, r, gr.granules);
	if (ret) {
		vgc_uncharge(bytes);
		goto out;
	}
	arena->charged_bytes += bytes;
	arena->committed_bytes += bytes;
	r->committed += gr.granules;
	r->gen_granules[VGC_GEN0] += gr.granules;
	vgc_region_refresh(arena, r);
	WRITE_ONCE(arena->ctrl->committed_bytes, arena->committed_bytes);
	gr.committed_granules = r->committed;
out:
	mutex_unlock(&arena->lock);
	if (!ret)
		ret = vgc_copy_out(arg, &gr, sizeof(gr), usize);
	return ret;
}
