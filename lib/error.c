// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error messages in VGC's terms: the same errno means different things at
 * different calls, so each message names the VGC situations that return it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "vgcu_int.h"

static const struct {
	int err;
	const char *msg;
} vgcu_msgs[] = {
	{ 0,		"success" },
	{ EINVAL,	"VGC: invalid argument (bad zone, generation, flags or size; pointer not a live object; request that does not apply to the object's state)" },
	{ ENOMEM,	"VGC: out of memory: no free slot of this size class in the thread's partition (checkpoints reclaim released objects), or the kernel or the memory cgroup could not provide pages" },
	{ E2BIG,	"VGC: too large (object over 64 KiB, arena beyond the index space, or a struct larger than the module knows)" },
	{ EAGAIN,	"VGC: grace period not complete: a registered online thread has not announced a quiescent state (see vgc_blocker)" },
	{ EALREADY,	"VGC: object already released (release pending, Deferred, Marked or Expired)" },
	{ EPERM,	"VGC: object is Persistent (pinned) and is never released, or the arena would exceed RLIMIT_MEMLOCK" },
	{ EDQUOT,	"VGC: per-user module memory limit reached (vgc.ko user_limit_mb)" },
	{ EACCES,	"VGC: permission denied on /dev/vgc" },
	{ ENOSPC,	"VGC: module memory limit reached (vgc.ko limit_mb or node_limit_mb), no thread slot left, or no reserve left to grow into" },
	{ ENODEV,	"VGC: module backend unavailable (/dev/vgc missing or not a VGC device)" },
	{ ENOENT,	"VGC: /dev/vgc does not exist (vgc.ko not loaded)" },
	{ EFAULT,	"VGC: bad address passed to the module" },
	{ EBUSY,	"VGC: busy (arena being destroyed, or thread slots all in use)" },
	{ EPROTO,	"VGC: ABI version mismatch between libvgcu and vgc.ko" },
	{ EOPNOTSUPP,	"VGC: not supported by this backend or CPU (e.g. AVX2 sweep, module feature)" },
	{ ENOTTY,	"VGC: the device does not understand this command (old vgc.ko?)" },
	{ ESRCH,	"VGC: the calling thread is not registered with this arena" },
	{ EEXIST,	"VGC: the calling thread is already registered with this arena" },
	{ ERANGE,	"VGC: partition, zone or CPU out of range" },
	{ EBADF,	"VGC: arena file descriptor is not open" },
	{ EMFILE,	"VGC: too many open files to open /dev/vgc" },
	{ EOVERFLOW,	"VGC: size computation overflows" },
};

const char *vgc_strerror(int err)
{
	static __thread char buf[96];
	unsigned int i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(vgcu_msgs) / sizeof(vgcu_msgs[0]); i++)
		if (vgcu_msgs[i].err == err)
			return vgcu_msgs[i].msg;
	snprintf(buf, sizeof(buf), "VGC: %s (errno %d)", strerror(err), err);
	return buf;
}

/* A negative errno from a failed libc call, never 0. */
int vgcu_errno(int err)
{
	return err > 0 ? -err : -EIO;
}
