// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgcu: batched checkpoint commands over io_uring (IORING_OP_URING_CMD on
 * /dev/vgc), with one ioctl per command where that is not available.
 *
 * liburing 2.3 has no uring_cmd helper, so SQEs are filled here.  Each SQE's
 * user_data is the index of a command slot that remembers what the caller
 * asked for; the slot turns a CQE into a vgc_uring_result the same way the
 * ioctl path turns the ioctl's output into one, so both paths give the
 * same results.  The depth bounds queued plus in-flight commands, and the
 * CQ ring is twice the depth, so the CQ never overflows.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uring_int.h"


VGCU_API const char *vgc_uring_path_name(enum vgc_uring_path p)
{
	switch (p) {
	case VGC_URING_PATH_URING:
		return "io_uring";
	case VGC_URING_PATH_IOCTL:
		return "ioctl";
	case VGC_URING_PATH_LIBRARY:
		return "library";
	}
	return "unknown";
}

VGCU_API enum vgc_uring_path vgc_uring_path(const struct vgc_uring *u)
{
	return u->path;
}

VGCU_API const char *vgc_uring_reason(const struct vgc_uring *u)
{
	return u->reason;
}

VGCU_API unsigned int vgc_uring_setup_flags(const struct vgc_uring *u)
{
	return u->path == VGC_URING_PATH_URING ? u->setup_flags : 0;
}

VGCU_API unsigned int vgc_uring_space(const struct vgc_uring *u)
{
	return u->nr_free;
}

VGCU_API unsigned int vgc_uring_inflight(const struct vgc_uring *u)
{
	return u->inflight;
}

static void flags_str(char *buf, size_t len, unsigned int f)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL" },
		{ IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN" },
		{ IORING_SETUP_CQE32, "CQE32" },
		{ IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER" },
		{ IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(f & names[i].bit))
			continue;
		n += snprintf(buf + n, len > n ? len - n : 0, "%s%s",
			      n ? "|" : "", names[i].name);
	}
	if (!n)
		snprintf(buf, len, "none");
}

/*
 * Cheapest configuration first: completions posted during the submitting
 * io_uring_enter with no task-work interrupts (DEFER_TASKRUN needs
 * SINGLE_ISSUER), then the older kernels' variants.  CQE32 carries the
 * second result ("done", gp_seq); without it the library derives it.
 */
static const unsigned int ring_flag_sets[] = {
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQE32 |
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQE32 |
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
	IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQE32,
	IORING_SETUP_CQE32,
	0,
};

#define PLAIN_RING_FIRST	2

static int ring_setup(struct vgc_uring *u, unsigned int flags)
{
	size_t i = (flags & VGC_URING_F_PLAIN_RING) ? PLAIN_RING_FIRST : 0;
	struct io_uring_params p;
	int ret = -EINVAL;

	for (; i < sizeof(ring_flag_sets) / sizeof(ring_flag_sets[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = ring_flag_sets[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = 2 * u->depth;
		ret = io_uring_queue_init_params(u->depth, &u->ring, &p);
		if (!ret) {
			u->setup_flags = ring_flag_sets[i];
			u->have_ring = 1;
			/* a registered file spares each SQE an fget/fput */
			u->fixed_fd = !io_uring_register_files(&u->ring,
							       &u->fd, 1);
			return 0;
		}
		if (ret != -EINVAL)
			break;
	}
	return ret;
}

/*
 * Sends one VGC_IOC_GET_VERSION through the ring: a kernel without
 * IORING_OP_URING_CMD or a module without ->uring_cmd answer it with
 * -EINVAL / -EOPNOTSUPP rather than a version.
 */
static int ring_probe(struct vgc_uring *u)
{
	struct vgc_version v;
	struct vgc_uring_result r;
	int ret;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	u->path = VGC_URING_PATH_URING;
	ret = vgc_uring_queue_ioctl(u, VGC_IOC_GET_VERSION, &v, 0);
	if (ret)
		return ret;
	ret = vgc_uring_run(u, &r, 1);
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -EIO;
	if (r.res)
		return r.res;
	return v.abi_version == VGC_ABI_VERSION ? 0 : -EPROTO;
}

static void pick_path(struct vgc_uring *u, unsigned int flags)
{
	const char *env = getenv("VGC_URING");
	struct vgc_version v;
	char fl[96];
	int ret;

	u->path = VGC_URING_PATH_IOCTL;
	if ((flags & VGC_URING_F_IOCTL) || (env && !strcmp(env, "ioctl"))) {
		snprintf(u->reason, sizeof(u->reason),
			 "ioctl: requested by the caller");
		return;
	}
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (ioctl(u->fd, VGC_IOC_GET_VERSION, &v) < 0) {
		snprintf(u->reason, sizeof(u->reason),
			 "ioctl: VGC_IOC_GET_VERSION: %s", strerror(errno));
		return;
	}
	if (!(v.features & VGC_FEAT_URING_CMD)) {
		snprintf(u->reason, sizeof(u->reason),
			 "ioctl: the module lacks VGC_FEAT_URING_CMD");
		return;
	}
	ret = ring_setup(u, flags);
	if (ret) {
		snprintf(u->reason, sizeof(u->reason),
			 "ioctl: io_uring_setup: %s", strerror(-ret));
		return;
	}
	ret = ring_probe(u);
	if (ret) {
		u->path = VGC_URING_PATH_IOCTL;
		io_uring_queue_exit(&u->ring);
		u->have_ring = 0;
		snprintf(u->reason, sizeof(u->reason),
			 "ioctl: IORING_OP_URING_CMD on /dev/vgc: %s",
			 strerror(-ret));
		return;
	}
	flags_str(fl, sizeof(fl), u->setup_flags);
	snprintf(u->reason, sizeof(u->reason), "io_uring: setup flags %s%s",
		 fl, u->fixed_fd ? ", registered fd" : "");
}

static int uring_new(int fd, unsigned int depth, unsigned int flags,
		     struct vgc_uring **out)
{
	struct vgc_uring *u;
	unsigned int d, i;

	if (!out || depth > URING_MAX_DEPTH ||
	    (flags & ~(VGC_URING_F_IOCTL | VGC_URING_F_PLAIN_RING)))
		return -EINVAL;
	if (!depth)
		depth = URING_DEF_DEPTH;
	for (d = 1; d < depth; d <<= 1)
		;
	u = vgcu_meta_alloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->fd = fd;
	u->depth = d;
	u->slot = vgcu_meta_alloc(d * sizeof(*u->slot));
	u->free_slot = vgcu_meta_alloc(d * sizeof(*u->free_slot));
	u->pend = vgcu_meta_alloc(d * sizeof(*u->pend));
	u->done_q = vgcu_meta_alloc(d * sizeof(*u->done_q));
	u->done_slot = vgcu_meta_alloc(d * sizeof(*u->done_slot));
	if (!u->slot || !u->free_slot || !u->pend || !u->done_q ||
	    !u->done_slot) {
		vgc_uring_close(u);
		return -ENOMEM;
	}
	for (i = 0; i < d; i++)
		u->free_slot[i] = d - 1 - i;
	u->nr_free = d;
	if (fd >= 0) {
		pick_path(u, flags);
	} else {
		u->path = VGC_URING_PATH_IOCTL;
		snprintf(u->reason, sizeof(u->reason),
			 "ioctl: no /dev/vgc fd (every command fails with -ENODEV)");
	}
	*out = u;
	return 0;
}

VGCU_API int vgc_uring_open_fd(int fd, unsigned int depth, unsigned int flags,
			      struct vgc_uring **out)
{
	if (fd < 0)
		return -EINVAL;
	return uring_new(fd, depth, flags, out);
}

VGCU_API int vgc_uring_open(struct vgc_arena *a, unsigned int depth,
			   unsigned int flags, struct vgc_uring **out)
{
	int fd, ret;

	if (!a || !out)
		return -EINVAL;
	fd = vgc_arena_fd(a);
	ret = uring_new(fd < 0 ? -1 : fd, depth, flags, out);
	if (ret)
		return ret;
	(*out)->arena = a;
	if (fd < 0) {
		(*out)->path = VGC_URING_PATH_LIBRARY;
		snprintf((*out)->reason, sizeof((*out)->reason),
			 "library: the %s backend has no /dev/vgc; commands run as library calls",
			 vgc_backend_name(vgc_arena_backend(a)));
	}
	return 0;
}

VGCU_API void vgc_uring_close(struct vgc_uring *u)
{
	struct vgc_uring_result r[16];

	if (!u)
		return;
	if (u->queued)
		vgc_uring_submit(u);
	while (u->inflight && vgc_uring_reap(u, r, 16, 1) > 0)
		;
	if (u->have_ring)
		io_uring_queue_exit(&u->ring);
	vgcu_meta_free(u->slot, u->depth * sizeof(*u->slot));
	vgcu_meta_free(u->free_slot, u->depth * sizeof(*u->free_slot));
	vgcu_meta_free(u->pend, u->depth * sizeof(*u->pend));
	vgcu_meta_free(u->done_q, u->depth * sizeof(*u->done_q));
	vgcu_meta_free(u->done_slot, u->depth * sizeof(*u->done_slot));
	vgcu_meta_free(u, sizeof(*u));
}

VGCU_API int vgc_uring_submit(struct vgc_uring *u)
{
	int ret;

	if (!u)
		return -EINVAL;
	if (u->path != VGC_URING_PATH_URING)
		return vgcu_uring_sync_submit(u);
	if (!u->queued)
		return 0;
	ret = io_uring_submit(&u->ring);
	if (ret < 0)
		return ret;
	u->queued -= (unsigned int)ret;
	u->inflight += (unsigned int)ret;
	return ret;
}

VGCU_API int vgc_uring_reap(struct vgc_uring *u, struct vgc_uring_result *out,
			   unsigned int max, unsigned int min)
{
	if (!u || (!out && max))
		return -EINVAL;
	if (u->path != VGC_URING_PATH_URING)
		return vgcu_uring_sync_reap(u, out, max);
	return vgcu_uring_ring_reap(u, out, max, min);
}

VGCU_API int vgc_uring_run(struct vgc_uring *u, struct vgc_uring_result *out,
			  unsigned int max)
{
	unsigned int got = 0;
	int ret;

	if (!u || (!out && max))
		return -EINVAL;
	if (u->path == VGC_URING_PATH_URING && u->queued) {
		/* one io_uring_enter submits and waits for the whole batch */
		ret = io_uring_submit_and_wait(&u->ring,
					       u->inflight + u->queued);
		if (ret < 0 && ret != -EINTR)
			return ret;
		if (ret > 0) {
			u->queued -= (unsigned int)ret;
			u->inflight += (unsigned int)ret;
		}
	} else {
		ret = vgc_uring_submit(u);
		if (ret < 0)
			return ret;
	}
	while (got < max && u->inflight) {
		ret = vgc_uring_reap(u, out + got, max - got,
				     u->inflight < max - got ?
				     u->inflight : max - got);
		if (ret < 0)
			return ret;
		got += (unsigned int)ret;
	}
	return (int)got;
}
