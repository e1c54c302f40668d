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
#include <linux/pagemap.h>
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
 * Metadata pages.  ctrl, threads, spans and the span summaries (the head)
 * are small, allocated at creation on the first partition's node and
 * vmapped.  Plane pages come with the spans they cover, see
 * vgc_planes_commit().  The summaries are eager: 16 bytes per 64 KiB span
 * of index space (256 KiB per GiB of reserve, a 4096th), against 576
 * bytes per span for the planes, and contiguous they are one array for
 * the sweep and the requesters, with no page that could be missing.
 */
static int vgc_meta_alloc(struct vgc_arena *arena)
{
	int node0 = cpu_to_node(arena->params.cpus[0]);
	int ret;

	ret = vgc_pages_alloc(arena, arena->pages, arena->head_pages, node0);
	if (ret)
		return ret;
	return vgc_meta_map(arena);
}

/* vmaps the head pages, present in pages[], and points into them. */
int vgc_meta_map(struct vgc_arena *arena)
{
	arena->meta = vmap(arena->pages, arena->head_pages, VM_MAP,
			   PAGE_KERNEL);
	if (!arena->meta)
		return -ENOMEM;
	arena->ctrl = arena->meta + arena->layout.ctrl_offset;
	arena->slots = arena->meta + arena->layout.threads_offset;
	arena->spans = arena->meta + arena->layout.spans_offset;
	arena->sums = arena->meta + arena->layout.sums_offset;
	return 0;
}

static unsigned long vgc_plane_slot(struct vgc_arena *arena, unsigned int pl,
				    unsigned long i)
{
	return arena->head_pages + pl * arena->plane_pages + i;
}

/**
 * vgc_planes_commit() - allocate the plane pages granules [g0, g1) need
 * @arena: the arena, lock held (or not yet published)
 * @g0: first granule
 * @g1: end granule, above @g0
 * @out: the pages, at least VGC_NR_PLANES times the missing plane pages
 *	of the range; filled from 0 on, NULL-terminated per missing page
 * @nr: out: how many plane pages (of each plane) were missing
 *
 * Charges and allocates, for every plane page index covering the range
 * that has no page yet, one page of each plane: zeroed, S0 all ones (free
 * slots read 001), on the node of the region that owns the page's first
 * granule (a plane page covers eight spans), so that a partition's sweep
 * reads mostly local words.  Nothing is published: vgc_planes_publish().
 * All or nothing: on failure what was taken is freed and uncharged.
 *
 * Return: 0, or -ENOSPC, -EDQUOT, -EPERM, -ENOMEM, -EINTR.
 */
static int vgc_planes_commit(struct vgc_arena *arena, u64 g0, u64 g1,
			     struct page **out, unsigned long *nr)
{
	unsigned long i0 = g0 / VGC_PLANE_PAGE_GRANULES;
	unsigned long i1 = (g1 - 1) / VGC_PLANE_PAGE_GRANULES;
	int node0 = cpu_to_node(arena->params.cpus[0]);
	unsigned long i, n = 0, k = 0;
	unsigned int pl;
	u64 bytes;
	int ret;

	for (i = i0; i <= i1; i++)
		if (!arena->pages[vgc_plane_slot(arena, 0, i)])
			n++;
	*nr = n;
	if (!n)
		return 0;
	bytes = (u64)n * VGC_NR_PLANES << PAGE_SHIFT;
	ret = vgc_acct_charge(arena->acct, bytes);
	if (ret)
		return ret;
	for (i = i0; i <= i1; i++) {
		struct vgc_region *r;
		int node;

		if (arena->pages[vgc_plane_slot(arena, 0, i)])
			continue;
		r = vgc_region_of(arena, (u64)i * VGC_PLANE_PAGE_GRANULES);
		node = r ? cpu_to_node(r->cpu) : node0;
		for (pl = 0; pl < VGC_NR_PLANES; pl++, k++) {
			ret = vgc_pages_alloc(arena, &out[k], 1, node);
			if (ret)
				goto err;
		}
		memset(page_address(out[k - VGC_NR_PLANES + VGC_PLANE_S0]),
		       0xff, PAGE_SIZE);
	}
	arena->charged_bytes += bytes;
	arena->metadata_bytes += bytes;
	return 0;

err:
	vgc_pages_free_array(arena, out, k);
	vgc_acct_uncharge(arena->acct, bytes);
	return ret;
}

/* Publishes what vgc_planes_commit() allocated; VALID's page last. */
static void vgc_planes_publish(struct vgc_arena *arena, u64 g0, u64 g1,
			       struct page **pages)
{
	unsigned long i0 = g0 / VGC_PLANE_PAGE_GRANULES;
	unsigned long i1 = (g1 - 1) / VGC_PLANE_PAGE_GRANULES;
	unsigned long i, k = 0;
	int pl;

	for (i = i0; i <= i1; i++) {
		if (arena->pages[vgc_plane_slot(arena, 0, i)])
			continue;
		for (pl = VGC_NR_PLANES - 1; pl >= 0; pl--) {
			/* Pairs with the acquire in vgc_plane_word(). */
			smp_store_release(&arena->pages[vgc_plane_slot(arena, pl, i)],
					  pages[k + pl]);
		}
		k += VGC_NR_PLANES;
	}
}

/*
 * Commits granules more of r (the caller charged their data bytes): the
 * data pages and the plane pages they need, all or nothing.  Data pages
 * come in high-order blocks split into order-0 pages (vgc_pages_alloc()),
 * so that each has its own refcount and a single span's pages can be
 * freed again by VGC_IOC_DECOMMIT without knowing the block they came from.
 */
static int vgc_region_commit(struct vgc_arena *arena, struct vgc_region *r,
			     u64 granules)
{
	u64 g0 = r->first_granule + r->committed_granules;
	unsigned long first = vgc_region_first_page(arena, r) +
			      ((r->committed_granules << VGC_GRANULE_SHIFT) >> PAGE_SHIFT);
	unsigned long count = (granules << VGC_GRANULE_SHIFT) >> PAGE_SHIFT;
	unsigned long planes = (granules / VGC_PLANE_PAGE_GRANULES + 2) *
			       VGC_NR_PLANES;
	unsigned long nr_planes;
	struct page **tmp;
	int ret;

	tmp = kvcalloc(count + planes, sizeof(*tmp), VGC_GFP_ACCOUNT);
	if (!tmp)
		return -ENOMEM;
	ret = vgc_pages_alloc(arena, tmp, count, cpu_to_node(r->cpu));
	if (ret)
		goto out;
	ret = vgc_planes_commit(arena, g0, g0 + granules, tmp + count,
				&nr_planes);
	if (ret) {
		vgc_pages_free_array(arena, tmp, count);
		goto out;
	}
	vgc_planes_publish(arena, g0, g0 + granules, tmp + count);
	vgc_pages_publish(arena, first, tmp, count);
out:
	kvfree(tmp);
	return ret;
}

static void vgc_region_refresh(struct vgc_arena *arena, struct vgc_region *r)
{
	unsigned long first = vgc_region_first_page(arena, r);
	unsigned long count = (r->committed_granules << VGC_GRANULE_SHIFT) >> PAGE_SHIFT;
	unsigned long i;

	/* Decommitted spans have no pages: the first present one tells. */
	r->node = NUMA_NO_NODE;
	for (i = first; i < first + count; i += VGC_SPAN_SIZE >> PAGE_SHIFT) {
		if (arena->pages[i]) {
			r->node = page_to_nid(arena->pages[i]);
			break;
		}
	}
	r->nr_chunks = count ? vgc_pages_chunks(arena, first, count) : 0;
}

/*
 * May run in a VMA's ->close with mmap_lock held.  Pages still referenced
 * elsewhere stay charged until they are really freed (vgc_acct_release()).
 */
void vgc_arena_free(struct vgc_arena *arena)
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

/*
 * The struct, its accounting handle and its region array, with everything
 * that follows from the parameters alone; no page yet.
 */
struct vgc_arena *vgc_arena_alloc(const struct vgc_arena_params *p,
				  struct mm_struct *mm)
{
	struct vgc_arena *arena;
	int ret = -ENOMEM;

	arena = kzalloc(sizeof(*arena), VGC_GFP_ACCOUNT);
	if (!arena)
		return ERR_PTR(-ENOMEM);
	mutex_init(&arena->lock);
	rwlock_init(&arena->fault_lock);
	init_rwsem(&arena->fork_sem);
	kref_init(&arena->ref);
	INIT_LIST_HEAD(&arena->node);
	spin_lock_init(&arena->async_lock);
	INIT_LIST_HEAD(&arena->async_queued);
	arena->params = *p;
	vgc_core_gen_permille(p, arena->gen_permille);
	vgc_core_cadence(p, &arena->cadence);
	arena->nr_partitions = p->nr_partitions;
	arena->nr_regions = VGC_NR_ZONES * p->nr_partitions;

	arena->acct = vgc_acct_new(mm);
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
	arena->head_pages = arena->layout.plane_offset[0] >> PAGE_SHIFT;
	arena->plane_pages = arena->layout.plane_size >> PAGE_SHIFT;
	return arena;

err:
	vgc_arena_free(arena);
	return ERR_PTR(ret);
}

static struct vgc_arena *vgc_arena_build(const struct vgc_arena_params *p)
{
	struct vgc_arena *arena;
	unsigned int i;
	u64 data = 0;
	int ret;

	arena = vgc_arena_alloc(p, current->mm);
	if (IS_ERR(arena))
		return arena;

	for (i = 0; i < arena->nr_regions; i++)
		data += arena->regions[i].committed_granules << VGC_GRANULE_SHIFT;
	/*
	 * Refuse before allocating anything: cheap, and no memcg churn.  The
	 * plane pages of the committed part are charged as they are taken.
	 */
	ret = vgc_acct_charge(arena->acct,
			      ((u64)arena->head_pages << PAGE_SHIFT) + data);
	if (ret)
		goto err;
	arena->charged_bytes = ((u64)arena->head_pages << PAGE_SHIFT) + data;
	arena->committed_bytes = data;
	arena->metadata_bytes = (u64)arena->head_pages << PAGE_SHIFT;

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

/*
 * Gives a finished arena its id and makes it visible: list, debugfs, trace.
 * In fork() (mmap_lock held) the debugfs file comes from a work item:
 * creating it takes the directory's inode lock, which getdents holds
 * while it faults on user memory.
 */
void vgc_arena_publish(struct vgc_arena *arena, bool in_fork)
{
	spin_lock(&vgc_arenas_lock);
	arena->id = vgc_next_id++;
	list_add_tail(&arena->node, &vgc_arenas);
	spin_unlock(&vgc_arenas_lock);
	atomic64_inc(&vgc_nr_arenas);
	trace_vgc_arena_create(arena);
	if (in_fork)
		vgc_debugfs_add_later(arena);
	else
		vgc_debugfs_add(arena);
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
	vgc_arena_publish(arena, false);
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

#define VGC_SPAN_PAGES		(VGC_SPAN_SIZE >> PAGE_SHIFT)

/* pages[] index of span s's first data page. */
static unsigned long vgc_span_page(struct vgc_arena *arena, u64 s)
{
	return (arena->layout.data_offset + (s << VGC_SPAN_SHIFT)) >> PAGE_SHIFT;
}

/*
 * The region whose committed part holds spans [first, first + nr), or NULL.
 * Lock held: committed_granules moves with GROW.
 */
static struct vgc_region *vgc_span_region(struct vgc_arena *arena, u64 first,
					  u64 nr)
{
	u64 end, total = arena->layout.total_granules / VGC_SPAN_GRANULES;
	struct vgc_region *r;

	if (!nr || check_add_overflow(first, nr, &end) || end > total)
		return NULL;
	r = vgc_region_of(arena, first * VGC_SPAN_GRANULES);
	if (!r || first * VGC_SPAN_GRANULES < r->first_granule ||
	    end * VGC_SPAN_GRANULES > r->first_granule + r->committed_granules)
		return NULL;
	return r;
}

/**
 * vgc_spans_decommit() - free the data pages of committed spans
 * @arena: the arena, lock held
 * @file: the arena's file, whose mappings are all the arena's mappings
 * @first: first span
 * @nr: spans, checked by vgc_span_region()
 * @changed: out: spans decommitted (the others had no pages already)
 *
 * Takes the pages out of pages[] (new faults raise SIGBUS), waits for
 * faults that found them to finish (their page lock), unmaps the range
 * from every mapping, and frees and uncharges the pages.  A page still
 * referenced elsewhere after the unmap (a pin, a fixed buffer, a pipe)
 * would stay charged to nobody: then everything is put back, -EBUSY.
 *
 * Return: 0, -ENOMEM or -EBUSY.
 */
static int vgc_spans_decommit(struct vgc_arena *arena, struct file *file,
			      u64 first, u64 nr, u64 *changed)
{
	unsigned long n = 0, i, j, all;
	struct page **tmp;
	u64 s, bytes;

	*changed = 0;
	for (s = first; s < first + nr; s++)
		if (arena->pages[vgc_span_page(arena, s)])
			n++;
	if (!n)
		return 0;
	/* Per span of the range, so that a failure can put them back. */
	all = nr * VGC_SPAN_PAGES;
	tmp = kvcalloc(all, sizeof(*tmp), VGC_GFP_ACCOUNT);
	if (!tmp)
		return -ENOMEM;

	write_lock(&arena->fault_lock);
	for (s = first; s < first + nr; s++) {
		unsigned long p = vgc_span_page(arena, s);

		if (!arena->pages[p])
			continue;
		for (j = 0; j < VGC_SPAN_PAGES; j++) {
			tmp[(s - first) * VGC_SPAN_PAGES + j] = arena->pages[p + j];
			WRITE_ONCE(arena->pages[p + j], NULL);
		}
	}
	write_unlock(&arena->fault_lock);

	/* A fault past its check installs its PTE before it unlocks. */
	for (i = 0; i < all; i++) {
		if (!tmp[i])
			continue;
		lock_page(tmp[i]);
		unlock_page(tmp[i]);
	}
	/* Every VMA of the arena maps this file: a fork()ed child's too. */
	unmap_mapping_range(file->f_mapping,
			    (loff_t)vgc_span_page(arena, first) << PAGE_SHIFT,
			    (loff_t)nr << VGC_SPAN_SHIFT, 1);

	for (i = 0; i < all; i++)
		if (tmp[i] && page_count(tmp[i]) > 1)
			break;
	if (i < all) {
		for (s = first; s < first + nr; s++) {
			i = (s - first) * VGC_SPAN_PAGES;
			if (tmp[i])
				vgc_pages_publish(arena, vgc_span_page(arena, s),
						  &tmp[i], VGC_SPAN_PAGES);
		}
		kvfree(tmp);
		return -EBUSY;
	}

	bytes = (u64)n << VGC_SPAN_SHIFT;
	vgc_pages_free_array(arena, tmp, all);
	kvfree(tmp);
	vgc_acct_uncharge(arena->acct, bytes);
	arena->charged_bytes -= bytes;
	arena->committed_bytes -= bytes;
	*changed = n;
	return 0;
}

/**
 * vgc_spans_commit() - give decommitted spans fresh pages again
 * @arena: the arena, lock held
 * @r: the region of the spans
 * @first: first span
 * @nr: spans, checked by vgc_span_region()
 * @changed: out: spans committed (the others had their pages)
 *
 * Zeroed pages from the node of r's partition, charged as GROW charges,
 * all or nothing.
 *
 * Return: 0, or -ENOSPC, -EDQUOT, -EPERM, -ENOMEM, -EINTR.
 */
static int vgc_spans_commit(struct vgc_arena *arena, struct vgc_region *r,
			    u64 first, u64 nr, u64 *changed)
{
	int node = cpu_to_node(r->cpu);
	unsigned long n = 0, i = 0;
	struct page **tmp;
	u64 s, bytes;
	int ret;

	*changed = 0;
	for (s = first; s < first + nr; s++)
		if (!arena->pages[vgc_span_page(arena, s)])
			n++;
	if (!n)
		return 0;
	bytes = (u64)n << VGC_SPAN_SHIFT;
	ret = vgc_acct_charge(arena->acct, bytes);
	if (ret)
		return ret;
	tmp = kvcalloc(n * VGC_SPAN_PAGES, sizeof(*tmp), VGC_GFP_ACCOUNT);
	if (!tmp) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < n; i++) {
		ret = vgc_pages_alloc(arena, &tmp[i * VGC_SPAN_PAGES],
				      VGC_SPAN_PAGES, node);
		if (ret)
			goto err_free;
	}
	i = 0;
	for (s = first; s < first + nr; s++) {
		unsigned long p = vgc_span_page(arena, s);

		if (arena->pages[p])
			continue;
		vgc_pages_publish(arena, p, &tmp[i], VGC_SPAN_PAGES);
		i += VGC_SPAN_PAGES;
	}
	kvfree(tmp);
	arena->charged_bytes += bytes;
	arena->committed_bytes += bytes;
	*changed = n;
	return 0;

err_free:
	vgc_pages_free_array(arena, tmp, i * VGC_SPAN_PAGES);
	kvfree(tmp);
err:
	vgc_acct_uncharge(arena->acct, bytes);
	return ret;
}

/**
 * vgc_arena_span_cmd() - VGC_IOC_DECOMMIT and VGC_IOC_COMMIT
 * @arena: the file's arena
 * @file: the file, whose address space holds every mapping of the arena
 * @arg: user address of struct vgc_span_range
 * @commit: true for VGC_IOC_COMMIT
 *
 * No lock is held across the copies.
 *
 * Return: 0 or -errno, see struct vgc_span_range.
 */
int vgc_arena_span_cmd(struct vgc_arena *arena, struct file *file,
		       void __user *arg, bool commit)
{
	struct vgc_span_range sr;
	struct vgc_region *r;
	u32 usize;
	int ret;

	ret = vgc_copy_in(&sr, sizeof(sr), VGC_SPAN_RANGE_SIZE_VER0, arg,
			  &usize);
	if (ret)
		return ret;
	if (sr.flags || memchr_inv(sr.reserved, 0, sizeof(sr.reserved)))
		return -EINVAL;

	mutex_lock(&arena->lock);
	r = vgc_span_region(arena, sr.first_span, sr.nr_spans);
	if (!r) {
		ret = -EINVAL;
		goto out;
	}
	if (commit)
		ret = vgc_spans_commit(arena, r, sr.first_span, sr.nr_spans,
				       &sr.changed);
	else
		ret = vgc_spans_decommit(arena, file, sr.first_span,
					 sr.nr_spans, &sr.changed);
	if (ret || !sr.changed)
		goto out;
	vgc_region_refresh(arena, r);
	WRITE_ONCE(arena->ctrl->committed_bytes, arena->committed_bytes);
	if (commit)
		trace_vgc_commit(arena, r, sr.changed * VGC_SPAN_GRANULES);
	else
		trace_vgc_decommit(arena, r, sr.changed * VGC_SPAN_GRANULES);
out:
	mutex_unlock(&arena->lock);
	if (!ret)
		ret = vgc_copy_out(arg, &sr, sizeof(sr), usize);
	return ret;
}
