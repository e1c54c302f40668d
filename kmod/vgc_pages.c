// SPDX-License-Identifier: GPL-2.0
/*
 * VGC page allocation: zone regions come from the NUMA node of their
 * partition's CPU in the largest physically contiguous blocks the buddy
 * allocator can give, zeroed and charged to the caller's memory cgroup.
 *
 * Blocks are split into order-0 pages so that every page has its own
 * refcount: the fault handler maps single pages and a partial munmap then
 * never has to know about the block a page came from.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include "vgc_internal.h"
#include "vgc_compat.h"

static gfp_t vgc_gfp(unsigned int order)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_ACCOUNT | __GFP_NOWARN;

	/*
	 * A high order is only an optimisation: give up quickly and fall
	 * back to smaller blocks instead of compacting or reclaiming hard.
	 */
	if (order)
		gfp |= __GFP_NORETRY;
	return gfp;
}

static void vgc_page_account(struct vgc_arena *arena, struct page *page,
			     long nr)
{
	int nid = page_to_nid(page);

	atomic_long_add(nr, &vgc_node_pages[nid]);
	atomic_long_add(nr, &arena->node_pages[nid]);
}

/*
 * Pages freed between two chances to reschedule.  A 1 GiB arena is 262144
 * pages, and a debug kernel poisons and unmaps each one as it is freed:
 * without a break that is seconds on one CPU with its softirqs (and so
 * RCU's grace periods) held off.  Every caller may sleep (file release,
 * VMA close, workqueue, a failed allocation).
 */
#define VGC_FREE_RESCHED_PAGES	512

void vgc_pages_free_array(struct vgc_arena *arena, struct page **pages,
			  unsigned long count)
{
	unsigned long i;

	for (i = 0; i < count; i++) {
		if (!pages[i])
			continue;
		vgc_page_account(arena, pages[i], -1);
		put_page(pages[i]);
		pages[i] = NULL;
		if (!((i + 1) % VGC_FREE_RESCHED_PAGES))
			cond_resched();
	}
}

/*
 * Fills out[0 .. count) with zeroed pages from node, highest order first.
 * On failure everything allocated so far is freed again.
 */
int vgc_pages_alloc(struct vgc_arena *arena, struct page **out,
		    unsigned long count, int node)
{
	unsigned int order;
	unsigned long done = 0, i;
	struct page *page;

	if (!count)
		return 0;
	order = min_t(unsigned int, VGC_MAX_ALLOC_ORDER, ilog2(count));
	while (done < count) {
		while ((1UL << order) > count - done)
			order--;
		page = alloc_pages_node(node, vgc_gfp(order), order);
		if (!page) {
			if (!order) {
				vgc_pages_free_array(arena, out, done);
				return -ENOMEM;
			}
			order--;
			continue;
		}
		if (order)
			split_page(page, order);
		vgc_page_account(arena, page, 1L << order);
		for (i = 0; i < (1UL << order); i++)
			out[done + i] = page + i;
		done += 1UL << order;
		cond_resched();
	}
	return 0;
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
	u32 chunks = 0;

	for (i = first; i < first + count; i++) {
		unsigned long pfn;

		if (!arena->pages[i])
			break;
		pfn = page_to_pfn(arena->pages[i]);
		if (!chunks || pfn != prev + 1)
			chunks++;
		prev = pfn;
	}
	return chunks;
}

void vgc_pages_free_all(struct vgc_arena *arena)
{
	if (arena->pages)
		vgc_pages_free_array(arena, arena->pages, arena->nr_pages);
}
