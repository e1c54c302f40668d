// SPDX-License-Identifier: GPL-2.0
/*
 * VGC fork(): a child gets its own copy of the arena, as it gets a copy of
 * its malloc memory (docs/design.md, "fork()").
 *
 * dup_mmap() calls ->open on each VMA it duplicates, with the parent's
 * mmap_lock held for write, before the child can run.  The first such call
 * for a child address space copies the arena: every page present in
 * pages[] (head, plane and data pages) into a fresh page on the same node,
 * under the source's lock, so that no growth, commit, decommit or
 * checkpoint of the source is half-done in the copy.  The child's VMAs
 * point at the copy; the shared VMA is not PFNMAP/MIXEDMAP and has no
 * anon_vma, so dup_mmap() copies none of its PTEs and the child faults its
 * own pages in.  The copy is of one instant: the parent's PTEs of the
 * arena are zapped first and its faults and batch requests wait on
 * fork_sem, so that a parent thread that goes on storing into the arena
 * waits at its next store, as at a write-protected anonymous page.
 *
 * The copy has no registered thread: the parent's threads are not in the
 * child's quorum, and the threads region is cleared in the copy.
 *
 * The child also shares the parent's file, so commands on it must find
 * the copy: struct vgc_file keeps one entry per child address space
 * (mmgrab()ed, so that the key is never reused), and vgc_fork_lookup()
 * answers by current->mm.  An entry goes when its address space is torn
 * down (the last ->close under exit_mmap(), mm_users 0), when a later
 * fork finds its address space gone, and with the file.
 *
 * ->open cannot fail.  When the copy cannot be made (module limit, memory
 * cgroup, no memory) the child's VMAs are left without an arena, so that
 * its accesses raise SIGBUS and its commands on the file fail with
 * -ENXIO: the child learns, and nothing of the parent's is shared behind
 * its back.
 *
 * VGC_ARENA_F_FORK_SHARED keeps the old behaviour: the child shares the
 * arena.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "vgc_internal.h"

struct vgc_fork {
	struct list_head node;		/* vgc_file.forks */
	struct mm_struct *mm;		/* mmgrab()ed */
	struct vgc_arena *arena;	/* a reference; NULL: the copy failed */
};

/* Pages copied between two chances to reschedule, and per allocation. */
#define VGC_FORK_RUN_PAGES	512

/*
 * Copies src's present pages run by run, each run from the node of its
 * source pages, so that the child's regions stay core-local.  Not zeroed
 * first: every byte is copied before the child can map the page.
 * vgc_pages_alloc_raw() does the limits, the node charge and the
 * fatal-signal check.  Lock of src held.
 */
static int vgc_fork_copy_pages(struct vgc_arena *dst, struct vgc_arena *src)
{
	unsigned long i = 0, j, n;
	int nid, ret;

	while (i < src->nr_pages) {
		if (!src->pages[i]) {
			i++;
			continue;
		}
		nid = page_to_nid(src->pages[i]);
		for (n = 1; n < VGC_FORK_RUN_PAGES && i + n < src->nr_pages; n++)
			if (!src->pages[i + n] ||
			    page_to_nid(src->pages[i + n]) != nid)
				break;
		ret = vgc_pages_alloc_raw(dst, &dst->pages[i], n, nid, false);
		if (ret)
			return ret;
		for (j = i; j < i + n; j++)
			copy_highpage(dst->pages[j], src->pages[j]);
		i += n;
		cond_resched();
	}
	return 0;
}

/* Nobody is registered in the copy, see vgc_threads.c for the fields. */
static void vgc_fork_clear_threads(struct vgc_arena *a)
{
	unsigned int i;

	for (i = 0; i < VGC_MAX_THREADS; i++) {
		struct vgc_thread_slot *s = &a->slots[i];

		WRITE_ONCE(s->in_use, 0);
		WRITE_ONCE(s->online, 0);
		WRITE_ONCE(s->tid, 0);
		WRITE_ONCE(s->partition, 0);
		WRITE_ONCE(s->qs_seq, 0);
	}
	WRITE_ONCE(a->ctrl->nr_threads, 0);
}

/**
 * vgc_arena_copy() - a new arena with a copy of src's pages and state
 * @src: the arena, pinned by the caller
 * @file: its file, whose address space holds every mapping of it
 * @mm: the child's address space, whose pinned memory the copy is
 *
 * Charges the copy as src is charged (module limit, per-user limits, the
 * child's pinned memory, the current task's memory cgroup) before
 * allocating.
 *
 * Return: the copy, with one reference, or ERR_PTR(-ENOSPC, -EDQUOT,
 * -EPERM, -ENOMEM, -EINTR).
 */
static struct vgc_arena *vgc_arena_copy(struct vgc_arena *src,
					struct file *file,
					struct mm_struct *mm)
{
	struct vgc_arena *a;
	int ret;

	a = vgc_arena_alloc(&src->params, mm);
	if (IS_ERR(a))
		return a;
	ret = -ENOMEM;
	a->pages = kvcalloc(a->nr_pages, sizeof(*a->pages), VGC_GFP_ACCOUNT);
	if (!a->pages)
		goto err;

	/*
	 * One instant: new faults and batch requests wait, and the PTEs
	 * that let threads store without a fault go (from every mapping of
	 * the file: they fault back in), then nothing but the holders of
	 * src->lock can write the arena.
	 */
	down_write(&src->fork_sem);
	unmap_mapping_range(file->f_mapping, 0,
			    (loff_t)src->nr_pages << PAGE_SHIFT, 1);
	mutex_lock(&src->lock);
	ret = vgc_acct_charge(a->acct, src->charged_bytes);
	if (ret)
		goto err_unlock;
	a->charged_bytes = src->charged_bytes;
	ret = vgc_fork_copy_pages(a, src);
	if (ret)
		goto err_unlock;
	memcpy(a->regions, src->regions,
	       array_size(a->nr_regions, sizeof(*a->regions)));
	a->committed_bytes = src->committed_bytes;
	a->metadata_bytes = src->metadata_bytes;
	a->gp_seq = src->gp_seq;
	a->checkpoints = src->checkpoints;
	a->reclaimed_objects = src->reclaimed_objects;
	a->reclaimed_bytes = src->reclaimed_bytes;
	a->forked_from = src->id;
	a->forked = true;
	/* The child's tgid is known at its first command, see lookup. */
	a->owner_tgid = 0;
	memcpy(a->owner_comm, src->owner_comm, sizeof(a->owner_comm));
	mutex_unlock(&src->lock);
	up_write(&src->fork_sem);

	ret = vgc_meta_map(a);
	if (ret)
		goto err;
	vgc_fork_clear_threads(a);
	vgc_arena_publish(a, true);
	return a;

err_unlock:
	mutex_unlock(&src->lock);
	up_write(&src->fork_sem);
err:
	/* Synchronously, so that the child's pinned memory is right. */
	if (a->charged_bytes)
		vgc_acct_uncharge(a->acct, a->charged_bytes);
	a->charged_bytes = 0;
	vgc_arena_free(a);
	return ERR_PTR(ret);
}

static struct vgc_fork *vgc_fork_find(struct vgc_file *vf,
				      struct mm_struct *mm)
{
	struct vgc_fork *f;

	list_for_each_entry(f, &vf->forks, node)
		if (f->mm == mm)
			return f;
	return NULL;
}

static void vgc_fork_free(struct vgc_fork *f)
{
	if (f->arena) {
		vgc_threads_release_all(f->arena);
		vgc_arena_put(f->arena);
	}
	mmdrop(f->mm);
	kfree(f);
}

/* Entries whose address space is gone: a child that unmapped and exited. */
static void vgc_fork_prune(struct vgc_file *vf)
{
	struct vgc_fork *f, *tmp;
	LIST_HEAD(gone);

	spin_lock(&vf->fork_lock);
	list_for_each_entry_safe(f, tmp, &vf->forks, node) {
		if (!atomic_read(&f->mm->mm_users)) {
			list_move(&f->node, &gone);
			vf->nr_forks--;
		}
	}
	spin_unlock(&vf->fork_lock);
	list_for_each_entry_safe(f, tmp, &gone, node)
		vgc_fork_free(f);
}

/**
 * vgc_fork_vma() - the arena of a VMA dup_mmap() made for a child
 * @file: the file of the VMA
 * @src: the arena of the parent's VMA
 * @mm: the child's address space
 *
 * Called from ->open with the parent's mmap_lock held for write.  The
 * first VMA of a child copies the arena; the others find the copy.
 *
 * Return: the copy, with a reference for the VMA, or NULL when it could
 * not be made (see the top of this file).
 */
struct vgc_arena *vgc_fork_vma(struct file *file, struct vgc_arena *src,
			       struct mm_struct *mm)
{
	struct vgc_file *vf = file->private_data;
	struct vgc_arena *copy;
	struct vgc_fork *f;

	spin_lock(&vf->fork_lock);
	f = vgc_fork_find(vf, mm);
	copy = f ? f->arena : NULL;
	if (copy)
		vgc_arena_get(copy);
	spin_unlock(&vf->fork_lock);
	if (f)
		return copy;

	vgc_fork_prune(vf);
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	copy = vgc_arena_copy(src, file, mm);
	if (IS_ERR(copy)) {
		pr_warn_ratelimited("vgc: fork: no copy of arena %llu for the child (%ld): its mappings raise SIGBUS\n",
				    src->id, PTR_ERR(copy));
		copy = NULL;
	}
	if (!f) {
		/* No entry: the child's commands would reach the parent's. */
		if (copy)
			vgc_arena_put(copy);
		return NULL;
	}
	mmgrab(mm);
	f->mm = mm;
	f->arena = copy;
	spin_lock(&vf->fork_lock);
	list_add(&f->node, &vf->forks);
	WRITE_ONCE(vf->nr_forks, vf->nr_forks + 1);
	spin_unlock(&vf->fork_lock);
	if (copy)
		vgc_arena_get(copy);
	return copy;
}

/**
 * vgc_fork_mm_gone() - an address space with VMAs of the file is torn down
 * @vf: the file
 * @mm: the address space, mm_users 0
 *
 * From ->close under exit_mmap(): drops the entry of a child, if @mm is
 * one; its VMAs still hold the copy until they are closed.
 */
void vgc_fork_mm_gone(struct vgc_file *vf, struct mm_struct *mm)
{
	struct vgc_fork *f;

	if (!READ_ONCE(vf->nr_forks))
		return;
	spin_lock(&vf->fork_lock);
	f = vgc_fork_find(vf, mm);
	if (f) {
		list_del(&f->node);
		vf->nr_forks--;
	}
	spin_unlock(&vf->fork_lock);
	if (f)
		vgc_fork_free(f);
}

/**
 * vgc_fork_lookup() - the arena current's commands on the file act on
 * @vf: the file
 * @arena: the file's own arena
 *
 * Return: @arena, or in a fork()ed child the child's copy, NULL if that
 * could not be made.  Valid as long as the caller holds the file and runs
 * in current->mm (which keeps the entry).
 */
struct vgc_arena *vgc_fork_lookup(struct vgc_file *vf, struct vgc_arena *arena)
{
	struct vgc_fork *f;

	if (!READ_ONCE(vf->nr_forks) || !current->mm)
		return arena;
	spin_lock(&vf->fork_lock);
	f = vgc_fork_find(vf, current->mm);
	if (f)
		arena = f->arena;
	spin_unlock(&vf->fork_lock);
	if (f && arena && !READ_ONCE(arena->owner_tgid))
		WRITE_ONCE(arena->owner_tgid, task_tgid_nr(current));
	return arena;
}

/* The file goes: its children's copies live on in their VMAs only. */
void vgc_fork_release(struct vgc_file *vf)
{
	struct vgc_fork *f, *tmp;

	list_for_each_entry_safe(f, tmp, &vf->forks, node) {
		list_del(&f->node);
		vgc_fork_free(f);
	}
	vf->nr_forks = 0;
}
