// SPDX-License-Identifier: GPL-2.0
/*
 * VGC mmap: the arena's pages are served by a fault handler from the flat
 * page array, so that pages are mapped on first touch, uncommitted reserve
 * raises SIGBUS until VGC_IOC_GROW commits it (and a decommitted span until
 * VGC_IOC_COMMIT), and the pages stay ordinary
 * struct-page mappings (numa_maps and move_pages report their node).
 *
 * Every VMA holds an arena reference: the pages outlive close(fd) while a
 * mapping exists.  A fork()ed child's VMAs get a copy of the arena
 * (vgc_fork.c) unless it was created with VGC_ARENA_F_FORK_SHARED; a
 * VMA whose copy failed has no arena and raises SIGBUS.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/fs.h>
#include "vgc_internal.h"
#include "vgc_compat.h"

/*
 * Called for a VMA split or moved in its own address space, and by
 * dup_mmap() for the child's copy of a VMA, whose vm_mm is then not the
 * forking task's.
 */
static void vgc_vm_open(struct vm_area_struct *vma)
{
	struct vgc_arena *arena = vma->vm_private_data;

	if (arena && vma->vm_mm != current->mm &&
	    !(arena->params.flags & VGC_ARENA_F_FORK_SHARED)) {
		vma->vm_private_data = vgc_fork_vma(vma->vm_file, arena,
						    vma->vm_mm);
		return;
	}
	if (arena)
		vgc_arena_get(arena);
}

static void vgc_vm_close(struct vm_area_struct *vma)
{
	struct vgc_arena *arena = vma->vm_private_data;

	/* exit_mmap(): a child's entry in the file goes with it. */
	if (!atomic_read(&vma->vm_mm->mm_users))
		vgc_fork_mm_gone(vma->vm_file->private_data, vma->vm_mm);
	if (arena)
		vgc_arena_put(arena);
}

/*
 * Returns the page locked, after checking under its lock that it is still
 * the arena's: VGC_IOC_DECOMMIT takes pages out of pages[] and then locks
 * each before unmapping, so a fault either sees the page gone here or
 * has its PTE installed (the core unlocks after that) before the unmap.
 */
static vm_fault_t vgc_vm_fault(struct vm_fault *vmf)
{
	struct vgc_arena *arena = vmf->vma->vm_private_data;
	struct page *page;

	if (!arena || vmf->pgoff >= arena->nr_pages)
		return VM_FAULT_SIGBUS;
	/* A fork() copying the arena: wait, as a COW fault waits for it. */
	down_read(&arena->fork_sem);
	read_lock(&arena->fault_lock);
	/* Pairs with the release in vgc_pages_publish(). */
	page = smp_load_acquire(&arena->pages[vmf->pgoff]);
	if (page)
		get_page(page);
	read_unlock(&arena->fault_lock);
	up_read(&arena->fork_sem);
	/* Uncommitted, decommitted, or a plane page not needed yet. */
	if (!page)
		return VM_FAULT_SIGBUS;
	lock_page(page);
	if (READ_ONCE(arena->pages[vmf->pgoff]) != page) {
		unlock_page(page);
		put_page(page);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct vgc_vm_ops = {
	.open	= vgc_vm_open,
	.close	= vgc_vm_close,
	.fault	= vgc_vm_fault,
};

int vgc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vgc_arena *arena = vgc_file_arena(file);
	u64 start, len, end;

	if (!arena)
		return -ENXIO;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff > (arena->layout.map_size >> PAGE_SHIFT))
		return -EINVAL;
	start = (u64)vma->vm_pgoff << PAGE_SHIFT;
	len = vma->vm_end - vma->vm_start;
	if (len > arena->layout.map_size - start)
		return -EINVAL;
	end = start + len;
	if (start < arena->layout.ctrl_size) {
		if (end > arena->layout.ctrl_size)
			return -EINVAL;
		/* The kernel trusts the control page: never writable. */
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		vgc_vm_flags_clear(vma, VM_MAYWRITE);
	}
	vgc_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vgc_vm_ops;
	vma->vm_private_data = arena;
	/* Last: ->close is not called for a failed ->mmap. */
	vgc_arena_get(arena);
	return 0;
}
