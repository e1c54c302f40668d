// SPDX-License-Identifier: GPL-2.0
/*
 * VGC page allocation: zone regions come from the NUMA node of their
 * partition's CPU in the largest physically contiguous blocks the buddy
 * allocator can give, zeroed and charged to the caller's memory cgroup.
 *
 * Blocks are split into order-0 pages so that every page has its own
 * refcount: the fault handler maps single pages and a partial munmap then
 * never has to know about the block a page came from.
 *
 * Under pressure the allocation fails, it never OOM-kills: order 0 uses
 * __GFP_RETRY_MAYFAIL, so beyond the memory cgroup's memory.max the charge
 * fails and under global pressure the allocator gives up rather than
 * invoke the OOM killer; higher orders __GFP_NORETRY.  The loop also stops
 * when the caller gets a fatal signal (its pages would only delay the OOM
 * reaper) and when the machine's available memory drops under the
 * module's reserve (vgc_mem_short()), and frees what it took.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>
#include "vgc_internal.h"
#include "vgc_compat.h"

static gfp_t vgc_gfp(unsigned int order, bool zero)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ACCOUNT | __GFP_NOWARN;

	if (zero)
		gfp |= __GFP_ZERO;
	/*
	 * A high order is only an optimisation: give up quickly and fall
	 * back to smaller blocks instead of compacting or reclaiming hard.
	 * Order 0 reclaims as it must, but fails rather than OOM-kill.
	 */
	if (order)
		gfp |= __GFP_NORETRY;
	else
		gfp |= __GFP_RETRY_MAYFAIL;
	return gfp;
}

/* Available memory is looked at again every this many pages (2 MiB). */
#define VGC_MEM_CHECK_PAGES	512

void vgc_pages_free_array(struct vgc_arena *arena, struct page **pages,
			  unsigned long count)
{
	unsigned long i;

	for (i = 0; i < count; i++) {
		struct page *page = pages[i];
		int nid;

		if (!page)
			continue;
		nid = page_to_nid(page);
		vgc_node_uncharge(nid, 1);
		atomic_long_dec(&arena->node_pages[nid]);
		put_page(page);
		pages[i] = NULL;
		if (!((i + 1) % VGC_FREE_RESCHED_PAGES))
			cond_resched();
	}
}

/*
 * Fills out[0 .. count) with pages from node, highest order first, zeroed
 * unless the caller overwrites every byte before anyone can see them (the
 * copy fork() makes).  On failure everything allocated so far is freed
 * again: -ENOMEM (no memory, memory cgroup full, reserve reached),
 * -ENOSPC (node_limit_mb), -EINTR (fatal signal).
 */
int vgc_pages_alloc_raw(struct vgc_arena *arena, struct page **out,
			unsigned long count, int node, bool zero)
{
	unsigned long done = 0, check = VGC_MEM_CHECK_PAGES, i, n;
	unsigned int order;
	struct page *page;
	int nid, ret;

	if (!count)
		return 0;
	if (node >= 0 && !vgc_node_room(node, count))
		return -ENOSPC;
	order = min_t(unsigned int, VGC_MAX_ALLOC_ORDER, ilog2(count));
	while (done < count) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto fail;
		}
		if (done >= check) {
			check = done + VGC_MEM_CHECK_PAGES;
			if (vgc_mem_short(0)) {
				ret = -ENOMEM;
				goto fail;
			}
		}
		while ((1UL << order) > count - done)
			order--;
		page = alloc_pages_node(node, vgc_gfp(order, zero), order);
		if (!page) {
			if (!order) {
				ret = -ENOMEM;
				goto fail;
			}
			order--;
			continue;
		}
		n = 1UL << order;
		nid = page_to_nid(page);
		if (!vgc_node_charge(nid, n)) {
			__free_pages(page, order);
			ret = -ENOSPC;
			goto fail;
		}
		atomic_long_add(n, &arena->node_pages[nid]);
		if (order)
			split_page(page, order);
		for (i = 0; i < n; i++)
			out[done + i] = page + i;
		done += n;
		cond_resched();
	}
	return 0;

fail:
	vgc_pages_free_array(arena, out, done);
	return ret;
}

/* Zeroed pages, see vgc_pages_alloc_raw(). */
int vgc_pages_alloc(struct vgc_arena *arena, struct page **out,
		    unsigned long count, int node)
{
	return vgc_pages_alloc_raw(arena, out, count, node, true);
}

/* Publishes pages to the fault handler, which reads them with acquire. */
void vgc_pages_publish(struct vgc_arena *arena, unsigned long first,
		       struct page **pages, unsigned long count)
{
	unsigned long i;

	for (i = 0; i < count; i++) {
		/* Zeroed contents visible before the fault handler sees it. */
		smp_store_release(&arena->pages[first + i], pages[i]);
	}
}

/* Physically contiguous runs among pages[first .. first + count). */
u32 vgc_pages_chunks(struct vgc_arena *arena, unsigned long first,
		     unsigned long count)
{
	unsigned long i, prev = 0;
	bool run = false;
	u32 chunks = 0;

	for (i = first; i < first + count; i++) {
		unsigned long pfn;

		/* A decommitted span ends a run. */
		if (!arena->pages[i]) {
			run = false;
			continue;
		}
		pfn = page_to_pfn(arena->pages[i]);
		if (!run || pfn != prev + 1)
			chunks++;
		run = true;
		prev = pfn;
	}
	return chunks;
}

/*
 * The arena goes: frees the pages nobody else references.  Those still
 * referenced elsewhere (a pin, an io_uring fixed buffer, a pipe) keep our
 * reference and move to the front of arena->pages; returns how many.
 */
unsigned long vgc_pages_release(struct vgc_arena *arena)
{
	unsigned long i, kept = 0;

	for (i = 0; i < arena->nr_pages; i++) {
		struct page *page = arena->pages[i];

		if (!page)
			continue;
		if (page_count(page) > 1) {
			arena->pages[i] = NULL;
			arena->pages[kept++] = page;
			continue;
		}
		vgc_pages_free_array(arena, &arena->pages[i], 1);
		if (!((i + 1) % VGC_FREE_RESCHED_PAGES))
			cond_resched();
	}
	return kept;
}
