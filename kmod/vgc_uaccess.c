// SPDX-License-Identifier: GPL-2.0
/*
 * Argument structs in and out of user space, for every command of every
 * path (ioctl, io_uring).  Each struct starts with its size, so that the
 * ABI can grow: an old binary passes a smaller struct, a newer one a larger
 * one whose unknown tail must be zero.
 */
#include <linux/uaccess.h>
#include <linux/minmax.h>
#include "vgc_internal.h"

/*
 * copy_struct_from_user() semantics behind the ABI's "size" member: smaller
 * than VER0 is -EINVAL, unknown trailing bytes must be zero (-E2BIG).
 */
int vgc_copy_in(void *dst, size_t ksize, size_t ver0,
		const void __user *arg, u32 *usize)
{
	u32 size;
	int ret;

	if (get_user(size, (const u32 __user *)arg))
		return -EFAULT;
	if (size < ver0)
		return -EINVAL;
	/* As clone3() and openat2(): no struct grows past a page. */
	if (size > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(dst, ksize, arg, size);
	if (ret)
		return ret;
	*usize = size;
	return 0;
}

int vgc_copy_out(void __user *arg, const void *src, size_t ksize, u32 usize)
{
	if (copy_to_user(arg, src, min_t(size_t, ksize, usize)))
		return -EFAULT;
	return 0;
}
