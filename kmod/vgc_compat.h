/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels vgc.ko supports (Debian 12's 6.1 and
 * 6.12 LTS) lives here.  Tests are on features, not LINUX_VERSION_CODE,
 * because distributions backport features into older series.
 */
#ifndef _VGC_COMPAT_H
#define _VGC_COMPAT_H

#include <linux/mm.h>
#include <linux/mmzone.h>

/*
 * Largest order the buddy allocator hands out.  6.8 renamed MAX_ORDER
 * (exclusive bound) to MAX_PAGE_ORDER (inclusive).
 */
#ifdef MAX_PAGE_ORDER
#define VGC_MAX_ALLOC_ORDER	MAX_PAGE_ORDER
#else
#define VGC_MAX_ALLOC_ORDER	(MAX_ORDER - 1)
#endif

/*
 * 6.3 made vma->vm_flags read-only behind vm_flags_set()/vm_flags_clear();
 * VM_LOCKED_MASK arrived with that series and is the feature test.
 */
#ifdef VM_LOCKED_MASK
static inline void vgc_vm_flags_set(struct vm_area_struct *vma,
				    vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}

static inline void vgc_vm_flags_clear(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vm_flags_clear(vma, flags);
}
#else
static inline void vgc_vm_flags_set(struct vm_area_struct *vma,
				    vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vgc_vm_flags_clear(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * io_uring passthrough.  6.7 moved the uring_cmd API to <linux/io_uring/cmd.h>,
 * reached the payload through ->sqe instead of ->cmd, and added
 * cancellation (IO_URING_F_CANCEL, io_uring_cmd_mark_cancelable()); the
 * header is the feature test for all three (probed in Kbuild).
 */
#ifdef CONFIG_IO_URING
#ifdef VGC_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>

static inline const void *vgc_uring_payload(const struct io_uring_cmd *cmd)
{
	return io_uring_sqe_cmd(cmd->sqe);
}

static inline bool vgc_uring_is_cancel(unsigned int issue_flags)
{
	return issue_flags & IO_URING_F_CANCEL;
}

static inline void vgc_uring_mark_cancelable(struct io_uring_cmd *cmd,
					     unsigned int issue_flags)
{
	io_uring_cmd_mark_cancelable(cmd, issue_flags);
}
#else
#include <linux/io_uring.h>

static inline const void *vgc_uring_payload(const struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}

static inline bool vgc_uring_is_cancel(unsigned int issue_flags)
{
	return false;
}

static inline void vgc_uring_mark_cancelable(struct io_uring_cmd *cmd,
					     unsigned int issue_flags)
{
}
#endif
#endif /* CONFIG_IO_URING */

#endif /* _VGC_COMPAT_H */
