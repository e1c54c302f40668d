// SPDX-License-Identifier: GPL-2.0
/*
 * VGC: /dev/vgc, module parameters and ioctl dispatch.
 *
 * One arena per open file.  A fork()ed child shares the file but gets a
 * copy of the arena with its mappings (vgc_fork.c), which its commands on
 * the file act on.  With VGC_ARENA_F_FORK_SHARED, and for a process that
 * got the file any other way (fd passing, exec), the arena is shared, and
 * the quorum holds threads of all of them (each slot remembers its task,
 * so that threads are dropped when they exit).
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/nodemask.h>
#include <linux/capability.h>
#include <linux/user_namespace.h>
#include <linux/vgc.h>
#include "vgc_internal.h"

atomic64_t vgc_nr_arenas = ATOMIC64_INIT(0);

struct vgc_arena *vgc_file_arena(struct file *file)
{
	struct vgc_file *vf = file->private_data;
	/* Pairs with the release store in vgc_arena_create(). */
	struct vgc_arena *arena = smp_load_acquire(&vf->arena);

	return arena ? vgc_fork_lookup(vf, arena) : NULL;
}

static int vgc_get_version(void __user *arg)
{
	struct vgc_version v;
	u32 usize;
	int ret;

	ret = vgc_copy_in(&v, sizeof(v), VGC_VERSION_SIZE_VER0, arg, &usize);
	if (ret)
		return ret;
	if (memchr_inv(v.reserved, 0, sizeof(v.reserved)))
		return -EINVAL;
	v.abi_version = VGC_ABI_VERSION;
	v.features = VGC_FEAT_ARENA | VGC_FEAT_NODE_QUERY | VGC_FEAT_GROW |
		     VGC_FEAT_THREADS | VGC_FEAT_CHECKPOINT | VGC_FEAT_BATCH |
		     VGC_FEAT_STATS | VGC_FEAT_DECOMMIT | VGC_FEAT_SPAN_SUMS |
		     VGC_FEAT_FORK_COPY;
#ifdef CONFIG_IO_URING
	v.features |= VGC_FEAT_URING_CMD;
#endif
	v.max_partitions = VGC_MAX_PARTITIONS;
	v.max_threads = VGC_MAX_THREADS;
	v.limit_bytes = (u64)READ_ONCE(vgc_limit_mb) << 20;
	/*
	 * What other users' arenas take is theirs to know: module-wide
	 * figures for CAP_SYS_ADMIN only, 0 for everyone else.  A query,
	 * not a denial: no audit record.
	 */
	if (ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN)) {
		v.used_bytes = atomic64_read(&vgc_used_bytes);
		v.nr_arenas = atomic64_read(&vgc_nr_arenas);
	} else {
		v.used_bytes = 0;
		v.nr_arenas = 0;
	}
	return vgc_copy_out(arg, &v, sizeof(v), usize);
}

long vgc_cmd_dispatch(struct file *file, unsigned int nr, void __user *arg)
{
	struct vgc_file *vf = file->private_data;
	struct vgc_arena *arena;

	switch (nr) {
	case _IOC_NR(VGC_IOC_GET_VERSION):
		return vgc_get_version(arg);
	case _IOC_NR(VGC_IOC_CREATE_ARENA):
		return vgc_arena_create(vf, arg);
	}

	if (nr > _IOC_NR(VGC_IOC_COMMIT))
		return -ENOTTY;
	arena = vgc_file_arena(file);
	if (!arena)
		return -ENXIO;

	switch (nr) {
	case _IOC_NR(VGC_IOC_GET_LAYOUT):
		return vgc_arena_layout(arena, arg);
	case _IOC_NR(VGC_IOC_GROW):
		return vgc_arena_grow(arena, arg);
	case _IOC_NR(VGC_IOC_THREAD_REGISTER):
		return vgc_thread_register(arena, arg);
	case _IOC_NR(VGC_IOC_THREAD_UNREGISTER):
		return vgc_thread_unregister(arena, arg);
	case _IOC_NR(VGC_IOC_CHECKPOINT):
		return vgc_checkpoint_ioctl(arena, arg);
	case _IOC_NR(VGC_IOC_BATCH):
		return vgc_batch_ioctl(arena, arg);
	case _IOC_NR(VGC_IOC_GET_STATS):
		return vgc_stats_ioctl(arena, arg);
	case _IOC_NR(VGC_IOC_DECOMMIT):
		return vgc_arena_span_cmd(arena, file, arg, false);
	case _IOC_NR(VGC_IOC_COMMIT):
		return vgc_arena_span_cmd(arena, file, arg, true);
	}
	return -ENOTTY;
}

static long vgc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (_IOC_TYPE(cmd) != VGC_IOC_MAGIC)
		return -ENOTTY;
	return vgc_cmd_dispatch(file, _IOC_NR(cmd), (void __user *)arg);
}

static int vgc_open(struct inode *inode, struct file *file)
{
	struct vgc_file *vf;

	vf = kzalloc(sizeof(*vf), VGC_GFP_ACCOUNT);
	if (!vf)
		return -ENOMEM;
	mutex_init(&vf->lock);
	spin_lock_init(&vf->fork_lock);
	INIT_LIST_HEAD(&vf->forks);
	file->private_data = vf;
	return 0;
}

static int vgc_release(struct inode *inode, struct file *file)
{
	struct vgc_file *vf = file->private_data;
	struct vgc_arena *arena = vf->arena;

	if (arena) {
		/* No thread of a closed file may hold up reclamation. */
		vgc_threads_release_all(arena);
		vgc_arena_put(arena);
	}
	vgc_fork_release(vf);
	mutex_destroy(&vf->lock);
	kfree(vf);
	return 0;
}

static const struct file_operations vgc_fops = {
	.owner		= THIS_MODULE,
	.open		= vgc_open,
	.release	= vgc_release,
	.unlocked_ioctl	= vgc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vgc_mmap,
	.llseek		= noop_llseek,
#ifdef CONFIG_IO_URING
	.uring_cmd	= vgc_uring_cmd,
#endif
};

/*
 * A fixed misc minor (unassigned in Documentation/admin-guide/devices.txt
 * of 6.1 and 6.12) lets the devname alias below create /dev/vgc at boot
 * and load the module on its first open.  Should another driver hold it,
 * the device still registers, with a dynamic minor.
 */
#define VGC_MISC_MINOR	247

static struct miscdevice vgc_misc = {
	.minor	= VGC_MISC_MINOR,
	.name	= "vgc",
	.fops	= &vgc_fops,
};

static int __init vgc_init(void)
{
	int ret;

	ret = vgc_limit_init();
	if (ret)
		return ret;
	ret = vgc_checkpoint_init();
	if (ret)
		goto err_free;
	vgc_debugfs_init();
	ret = misc_register(&vgc_misc);
	if (ret == -EBUSY) {
		pr_info("vgc: misc minor %d taken, using a dynamic one\n",
			VGC_MISC_MINOR);
		vgc_misc.minor = MISC_DYNAMIC_MINOR;
		ret = misc_register(&vgc_misc);
	}
	if (ret)
		goto err_debugfs;
	return 0;

err_debugfs:
	vgc_debugfs_exit();
	vgc_checkpoint_exit();
err_free:
	vgc_limit_exit();
	return ret;
}

static void __exit vgc_exit(void)
{
	misc_deregister(&vgc_misc);
	/*
	 * An async checkpoint may outlive its file and hold the last arena
	 * reference: drain it before the debugfs removal work is flushed.
	 */
	vgc_checkpoint_exit();
	vgc_debugfs_exit();
	/* Last: arenas freed above hand their pages to the reaper. */
	vgc_limit_exit();
}

module_init(vgc_init);
module_exit(vgc_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VGC project");
MODULE_DESCRIPTION("VGC zone-based memory lifecycle manager");
/* The library's version: one VERSION file for the module and libvgcu. */
MODULE_VERSION(VGC_VERSION);
MODULE_ALIAS_MISCDEV(VGC_MISC_MINOR);
MODULE_ALIAS("devname:vgc");
