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

#include "vgcu.h"
#include "vgcu_int.h"
#include "vgcu_uring.h"
#include "vgcu_zone.h"

#define VGC_API		__attribute__((visibility("default")))
#define URING_MAX_DEPTH	4096U
#define URING_DEF_DEPTH	256U

enum ucmd_kind {
	UK_IOCTL,		/* VGC_IOC_* with its argument struct */
	UK_OBJ,			/* VGC_URING_OBJ */
	UK_BATCH,		/* VGC_URING_BATCH */
	UK_CKPT,		/* VGC_URING_CHECKPOINT */
};

struct ucmd {
	uint64_t user_data;
	unsigned long ioc;	/* UK_IOCTL */
	void *arg;		/* UK_IOCTL */
	struct vgc_uring_cmd pl;
	enum ucmd_kind kind;
};

struct vgc_uring {
	int fd;
	struct vgc_arena *arena;	/* NULL: opened on a bare fd */
	enum vgc_uring_path path;
	unsigned int depth;
	unsigned int setup_flags;
	int have_ring;
	int fixed_fd;			/* the fd is registered file 0 */
	struct io_uring ring;

	struct ucmd *slot;		/* [depth] */
	uint32_t *free_slot;		/* stack of free slot ids */
	unsigned int nr_free;
	unsigned int queued;		/* queued, not submitted */
	unsigned int inflight;		/* submitted, not reaped */

	/* ioctl path: queued slot ids and finished results, FIFOs */
	uint32_t *pend;
	unsigned int pend_n;
	struct vgc_uring_result *done_q;
	uint32_t *done_slot;		/* slot of each result, freed at reap */
	unsigned int done_head, done_n;

	char reason[192];
};

VGC_API const char *vgc_uring_path_name(enum vgc_uring_path p)
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

VGC_API enum vgc_uring_path vgc_uring_path(const struct vgc_uring *u)
{
	return u->path;
}

VGC_API const char *vgc_uring_reason(const struct vgc_uring *u)
{
	return u->reason;
}

VGC_API unsigned int vgc_uring_setup_flags(const struct vgc_uring *u)
{
	return u->path == VGC_URING_PATH_URING ? u->setup_flags : 0;
}

VGC_API unsigned int vgc_uring_space(const struct vgc_uring *u)
{
	return u->nr_free;
}

VGC_API unsigned int vgc_uring_inflight(const struct vgc_uring *u)
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
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->fd = fd;
	u->depth = d;
	u->slot = calloc(d, sizeof(*u->slot));
	u->free_slot = calloc(d, sizeof(*u->free_slot));
	u->pend = calloc(d, sizeof(*u->pend));
	u->done_q = calloc(d, sizeof(*u->done_q));
	u->done_slot = calloc(d, sizeof(*u->done_slot));
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

VGC_API int vgc_uring_open_fd(int fd, unsigned int depth, unsigned int flags,
			      struct vgc_uring **out)
{
	if (fd < 0)
		return -EINVAL;
	return uring_new(fd, depth, flags, out);
}

VGC_API int vgc_uring_open(struct vgc_arena *a, unsigned int depth,
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

VGC_API void vgc_uring_close(struct vgc_uring *u)
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
	free(u->slot);
	free(u->free_slot);
	free(u->pend);
	free(u->done_q);
	free(u->done_slot);
	free(u);
}

/* ---- queueing ----------------------------------------------------------- */

static struct ucmd *slot_get(struct vgc_uring *u, uint32_t *id)
{
	if (!u->nr_free)
		return NULL;
	*id = u->free_slot[--u->nr_free];
	return &u->slot[*id];
}

static void slot_put(struct vgc_uring *u, uint32_t id)
{
	u->free_slot[u->nr_free++] = id;
}

static int queue(struct vgc_uring *u, enum ucmd_kind kind, unsigned long ioc,
		 void *arg, uint32_t cmd_op, uint64_t pl_arg,
		 uint32_t pl_flags, uint32_t pl_count, uint64_t user_data)
{
	struct io_uring_sqe *sqe;
	struct ucmd *c;
	uint32_t id;

	if (!u)
		return -EINVAL;
	c = slot_get(u, &id);
	if (!c)
		return -EBUSY;
	c->user_data = user_data;
	c->kind = kind;
	c->ioc = ioc;
	c->arg = arg;
	c->pl.arg = pl_arg;
	c->pl.flags = pl_flags;
	c->pl.count = pl_count;

	if (u->path != VGC_URING_PATH_URING) {
		u->pend[u->pend_n++] = id;
		u->queued++;
		return 0;
	}
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		slot_put(u, id);
		return -EBUSY;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	if (u->fixed_fd) {
		sqe->fd = 0;
		sqe->flags = IOSQE_FIXED_FILE;
	} else {
		sqe->fd = u->fd;
	}
	sqe->cmd_op = cmd_op;
	sqe->user_data = id;
	memcpy(sqe->cmd, &c->pl, sizeof(c->pl));
	u->queued++;
	return 0;
}

/*
 * The library samples its zone profile before every checkpoint (see
 * vgc_profile_sample_mask()); a checkpoint queued here is no exception.
 */
static void before_checkpoint(struct vgc_uring *u, unsigned int flags,
			      uint64_t mask)
{
	if (u && u->arena && u->nr_free)
		vgc_profile_sample_mask(u->arena, flags, mask);
}

VGC_API int vgc_uring_queue_ioctl(struct vgc_uring *u, unsigned long ioc,
				  void *arg, uint64_t user_data)
{
	if (_IOC_TYPE(ioc) != VGC_IOC_MAGIC)
		return -EINVAL;
	if (_IOC_NR(ioc) == _IOC_NR(VGC_IOC_CHECKPOINT) && arg) {
		const struct vgc_checkpoint *c = arg;

		before_checkpoint(u, c->flags, c->partition_mask);
	}
	return queue(u, UK_IOCTL, ioc, arg, (uint32_t)ioc,
		     (uint64_t)(uintptr_t)arg, 0, 0, user_data);
}

VGC_API int vgc_uring_queue_obj(struct vgc_uring *u, unsigned int op,
				uint64_t index, uint64_t user_data)
{
	return queue(u, UK_OBJ, 0, NULL, VGC_URING_OBJ, index, op, 0,
		     user_data);
}

VGC_API int vgc_uring_queue_batch(struct vgc_uring *u, unsigned int op,
				  const uint64_t *indices, uint32_t count,
				  uint64_t user_data)
{
	return queue(u, UK_BATCH, 0, NULL, VGC_URING_BATCH,
		     (uint64_t)(uintptr_t)indices, op, count, user_data);
}

VGC_API int vgc_uring_queue_checkpoint(struct vgc_uring *u,
				       uint64_t partition_mask,
				       unsigned int flags, uint64_t user_data)
{
	before_checkpoint(u, flags, partition_mask);
	return queue(u, UK_CKPT, 0, NULL, VGC_URING_CHECKPOINT,
		     partition_mask, flags, 0, user_data);
}

/* ---- the ioctl path ----------------------------------------------------- */

static int sys_ioctl(int fd, unsigned long ioc, void *arg)
{
	int r;

	if (fd < 0)
		return -ENODEV;
	r = ioctl(fd, ioc, arg);
	return r < 0 ? -errno : r;
}

/*
 * VGC_IOC_BATCH reports a failing object both as the ioctl's return value
 * and in "error"; a failure of the call itself (bad struct) only as the
 * return value.  Either way the first error is the result.
 */
static void run_batch(struct vgc_uring *u, const struct ucmd *c,
		      struct vgc_uring_result *r)
{
	struct vgc_batch b;
	uint64_t one = c->pl.arg;
	int ret;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.op = c->pl.flags;
	if (c->kind == UK_OBJ) {
		b.count = 1;
		b.indices_ptr = (uint64_t)(uintptr_t)&one;
	} else {
		b.count = c->pl.count;
		b.indices_ptr = c->pl.arg;
	}
	ret = sys_ioctl(u->fd, VGC_IOC_BATCH, &b);
	r->done = b.done;
	if (ret)
		r->res = ret;
	else
		r->res = b.error > 0 ? -b.error : b.error;
}

static void run_ckpt(struct vgc_uring *u, const struct ucmd *c,
		     struct vgc_uring_result *r)
{
	struct vgc_checkpoint ck;

	memset(&ck, 0, sizeof(ck));
	ck.size = sizeof(ck);
	ck.flags = c->pl.flags;
	ck.partition_mask = c->pl.arg;
	r->res = sys_ioctl(u->fd, VGC_IOC_CHECKPOINT, &ck);
	if (!r->res)
		r->aux = ck.gp_seq;
	else if (r->res == -EAGAIN)
		r->aux = (uint64_t)ck.blocker_tid << 32 | ck.blocker_slot;
}

static void note_blocker(struct vgc_uring *u, const struct ucmd *c,
			 const struct vgc_uring_result *r);

/* ---- the library path (no /dev/vgc: the anonymous backend) ------------ */

static int lib_obj(struct vgc_arena *a, unsigned int op, uint64_t index)
{
	const void *p = vgc_object_at(a, index);

	if (!p)
		return -EINVAL;
	switch (op) {
	case VGC_BATCH_RELEASE:
		return vgc_release(a, p);
	case VGC_BATCH_PIN:
		return vgc_pin(a, p);
	case VGC_BATCH_TOUCH:
		return vgc_touch(a, p);
	case VGC_BATCH_MUTATE:
		return vgc_mutate(a, p);
	case VGC_BATCH_KEEP:
		return vgc_keep(a, p);
	case VGC_BATCH_PROMOTE:
		return vgc_promote(a, p);
	case VGC_BATCH_DEMOTE:
		return vgc_demote(a, p);
	}
	return -EINVAL;
}

/* The module's checks (the shared core's), in its order. */
static void lib_objects(struct vgc_uring *u, const struct ucmd *c,
			struct vgc_uring_result *r)
{
	const uint64_t *idx = (const uint64_t *)(uintptr_t)c->pl.arg;
	unsigned int op = c->pl.flags;
	uint32_t i;

	r->res = vgc_core_batch_check(op, 0,
				      c->kind == UK_OBJ ? 0 : c->pl.count);
	if (r->res)
		return;
	if (c->kind == UK_OBJ) {
		r->res = lib_obj(u->arena, op, c->pl.arg);
		r->done = !r->res;
		return;
	}
	if (c->pl.count && !idx) {
		r->res = -EFAULT;
		return;
	}
	for (i = 0; i < c->pl.count; i++) {
		r->res = lib_obj(u->arena, op, idx[i]);
		if (r->res)
			return;
		r->done++;
	}
}

static int lib_ckpt(struct vgc_arena *a, unsigned int flags, uint64_t mask,
		    struct vgc_checkpoint *ck)
{
	struct vgc_ckpt_opts o = { .partition_mask = mask, .flags = flags };

	return vgc_checkpoint(a, &o, ck);
}

static void lib_one(struct vgc_uring *u, const struct ucmd *c,
		    struct vgc_uring_result *r)
{
	struct vgc_checkpoint ck;

	switch (c->kind) {
	case UK_OBJ:
	case UK_BATCH:
		lib_objects(u, c, r);
		return;
	case UK_CKPT:
		memset(&ck, 0, sizeof(ck));
		r->res = lib_ckpt(u->arena, c->pl.flags, c->pl.arg, &ck);
		if (!r->res)
			r->aux = ck.gp_seq;
		else if (r->res == -EAGAIN)
			r->aux = (uint64_t)ck.blocker_tid << 32 |
				 ck.blocker_slot;
		return;
	case UK_IOCTL:
		break;
	}
	if (!c->arg) {
		r->res = -EFAULT;
		return;
	}
	switch (_IOC_NR(c->ioc)) {
	case _IOC_NR(VGC_IOC_GET_STATS):
		r->res = vgc_arena_stats(u->arena, c->arg);
		return;
	case _IOC_NR(VGC_IOC_CHECKPOINT): {
		struct vgc_checkpoint *in = c->arg;

		r->res = lib_ckpt(u->arena, in->flags, in->partition_mask,
				  in);
		return;
	}
	}
	/* the rest needs the module: versions, layouts, quorum, growth */
	r->res = -EOPNOTSUPP;
}

static void run_one(struct vgc_uring *u, const struct ucmd *c,
		    struct vgc_uring_result *r)
{
	memset(r, 0, sizeof(*r));
	r->user_data = c->user_data;
	if (u->path == VGC_URING_PATH_LIBRARY) {
		lib_one(u, c, r);
		return;
	}
	switch (c->kind) {
	case UK_IOCTL:
		r->res = sys_ioctl(u->fd, c->ioc, c->arg);
		break;
	case UK_OBJ:
	case UK_BATCH:
		run_batch(u, c, r);
		break;
	case UK_CKPT:
		run_ckpt(u, c, r);
		break;
	}
	note_blocker(u, c, r);
}

static int ioctl_submit(struct vgc_uring *u)
{
	unsigned int i, n = u->pend_n;

	for (i = 0; i < n; i++) {
		unsigned int tail = (u->done_head + u->done_n) % u->depth;

		run_one(u, &u->slot[u->pend[i]], &u->done_q[tail]);
		u->done_slot[tail] = u->pend[i];
		u->done_n++;
	}
	u->pend_n = 0;
	u->queued = 0;
	u->inflight += n;
	return (int)n;
}

static int ioctl_reap(struct vgc_uring *u, struct vgc_uring_result *out,
		      unsigned int max)
{
	unsigned int n = 0;

	while (n < max && u->done_n) {
		slot_put(u, u->done_slot[u->done_head]);
		out[n++] = u->done_q[u->done_head];
		u->done_head = (u->done_head + 1) % u->depth;
		u->done_n--;
	}
	u->inflight -= n;
	return (int)n;
}

/* ---- the io_uring path -------------------------------------------------- */

/* vgc_blocker() names the blocker of the last -EAGAIN checkpoint. */
static void note_blocker(struct vgc_uring *u, const struct ucmd *c,
			 const struct vgc_uring_result *r)
{
	const struct vgc_checkpoint *ck = c->arg;

	if (!u->arena || r->res != -EAGAIN)
		return;
	if (c->kind == UK_CKPT && (u->setup_flags & IORING_SETUP_CQE32 ||
				   u->path != VGC_URING_PATH_URING)) {
		u->arena->blocker_slot = (uint32_t)r->aux;
		u->arena->blocker_tid = (uint32_t)(r->aux >> 32);
	} else if (c->kind == UK_IOCTL && ck &&
		   _IOC_NR(c->ioc) == _IOC_NR(VGC_IOC_CHECKPOINT)) {
		u->arena->blocker_slot = ck->blocker_slot;
		u->arena->blocker_tid = ck->blocker_tid;
	}
}

static void cqe_result(struct vgc_uring *u, const struct io_uring_cqe *cqe,
		       struct vgc_uring_result *r)
{
	uint32_t id = (uint32_t)cqe->user_data;
	const struct ucmd *c = &u->slot[id];
	int big = !!(u->setup_flags & IORING_SETUP_CQE32);

	r->user_data = c->user_data;
	r->res = cqe->res;
	r->done = 0;
	r->aux = 0;
	switch (c->kind) {
	case UK_IOCTL:
		break;
	case UK_OBJ:
		r->done = !cqe->res;
		break;
	case UK_BATCH:
		if (big)
			r->done = (uint32_t)cqe->big_cqe[0];
		else if (!cqe->res)
			r->done = c->pl.count;
		break;
	case UK_CKPT:
		if (big)
			r->aux = cqe->big_cqe[0];
		break;
	}
	note_blocker(u, c, r);
	slot_put(u, id);
}

static int ring_reap(struct vgc_uring *u, struct vgc_uring_result *out,
		     unsigned int max, unsigned int min)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret;

	if (min > max)
		min = max;
	if (min > u->inflight)
		min = u->inflight;
	if (min && io_uring_cq_ready(&u->ring) < min) {
		ret = io_uring_wait_cqe_nr(&u->ring, &cqe, min);
		if (ret < 0 && ret != -EINTR)
			return ret;
	} else if (!min && u->inflight && !io_uring_cq_ready(&u->ring) &&
		   (u->setup_flags & IORING_SETUP_DEFER_TASKRUN)) {
		/*
		 * Deferred completions (checkpoints) are posted only when
		 * the task asks for events: a poll must ask too.
		 */
		ret = io_uring_get_events(&u->ring);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			return ret;
	}
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		if (n == max)
			break;
		cqe_result(u, cqe, &out[n++]);
	}
	io_uring_cq_advance(&u->ring, n);
	u->inflight -= n;
	return (int)n;
}

VGC_API int vgc_uring_submit(struct vgc_uring *u)
{
	int ret;

	if (!u)
		return -EINVAL;
	if (u->path != VGC_URING_PATH_URING)
		return ioctl_submit(u);
	if (!u->queued)
		return 0;
	ret = io_uring_submit(&u->ring);
	if (ret < 0)
		return ret;
	u->queued -= (unsigned int)ret;
	u->inflight += (unsigned int)ret;
	return ret;
}

VGC_API int vgc_uring_reap(struct vgc_uring *u, struct vgc_uring_result *out,
			   unsigned int max, unsigned int min)
{
	if (!u || (!out && max))
		return -EINVAL;
	if (u->path != VGC_URING_PATH_URING)
		return ioctl_reap(u, out, max);
	return ring_reap(u, out, max, min);
}

VGC_API int vgc_uring_run(struct vgc_uring *u, struct vgc_uring_result *out,
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
