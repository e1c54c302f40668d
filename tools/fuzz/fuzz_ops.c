// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: operations through the ioctl interface and the planes: create,
 * random commands, grow, allocation, requests, batches, checkpoints,
 * thread slots, statistics, unknown commands, close.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "fuzz.h"

/* ---- operations ------------------------------------------------------------- */

void op_create(void)
{
	int slot = -1;
	struct call c;
	struct arena *a;
	int fd, ret;
	const char *why = NULL;

	for (int i = 0; i < MAX_ARENAS; i++)
		if (!arenas[i].live) {
			slot = i;
			break;
		}
	if (slot < 0) {
		slot = below(MAX_ARENAS);
		arena_drop(slot);
	}
	a = &arenas[slot];
	fd = vgc_open();
	call_init(&c, C_CREATE);
	random_params((struct vgc_arena_params *)c.st);
	if (chance(15)) {
		why = bad_params((struct vgc_arena_params *)c.st);
		c.allowed |= A_INVAL;
		c.must_fail = true;
	} else if (chance(20)) {
		call_mutate(&c, 1 + below(NR_MUT - 1));
	}
	if (why)
		logop("create: %s", why);
	ret = call_run(fd, &c, false);
	if (ret) {
		close(fd);
		return;
	}
	cnt->arenas++;
	a->live = true;
	a->fd = fd;
	a->nr_part = ((struct vgc_arena_params *)c.st)->nr_partitions;
	if (chance(5)) {
		/* a second arena on the same fd */
		call_init(&c, C_CREATE);
		random_params((struct vgc_arena_params *)c.st);
		c.allowed |= A_EXIST | A_INVAL;
		c.must_fail = true;
		call_run(fd, &c, false);
	}
	if (!layout_of(fd, &a->lay, a->reg))
		fail("GET_LAYOUT after create: %s", strerror(errno));
	if (a->lay.nr_partitions != a->nr_part)
		fail("layout nr_partitions %u, created %u", a->lay.nr_partitions, a->nr_part);
	check_layout(&a->lay, a->reg);
	logop("create ok: map_size %llu total_granules %llu",
	      (unsigned long long)a->lay.map_size, (unsigned long long)a->lay.total_granules);
	arena_map_base(a);
}

void op_ioctl_random(struct arena *a, bool via_uring)
{
	struct call c;
	int cmd = below(NR_CMDS);
	int fd = a ? a->fd : vgc_open();

	if (cmd == C_CREATE)
		cmd = C_VERSION;
	call_init(&c, cmd);
	switch (cmd) {
	case C_LAYOUT: {
		struct vgc_layout *l = (struct vgc_layout *)c.st;
		static __thread struct vgc_region regs[MAX_REGIONS + 1];

		l->regions_cap = below(MAX_REGIONS + 2);
		l->regions_ptr = (uint64_t)(uintptr_t)regs;
		if (chance(10)) {
			l->regions_ptr = chance(50) ? 8 : 0xffff888000001000ULL;
			if (l->regions_cap) {
				c.allowed |= A_FAULT;
				/* cap 0 or no regions: pointer never read */
				c.allowed |= A_OK;
			}
		}
		break;
	}
	case C_GROW: {
		struct vgc_grow *g = (struct vgc_grow *)c.st;

		g->zone = chance(90) ? below(3) : below(1000);
		g->partition = a && chance(90) ? below(a->nr_part) : below(100);
		g->granules = chance(70) ? below(3) * VGC_SPAN_GRANULES :
			      chance(50) ? below(VGC_SPAN_GRANULES * 4) : rnd();
		c.allowed |= A_INVAL | A_2BIG;
		break;
	}
	case C_REG: {
		struct vgc_thread_reg *r = (struct vgc_thread_reg *)c.st;

		r->partition = a && chance(90) ? below(a->nr_part) : below(100);
		c.allowed |= A_INVAL;
		break;
	}
	case C_UNREG: {
		struct vgc_thread_reg *r = (struct vgc_thread_reg *)c.st;

		r->slot = chance(50) ? below(8) : rnd() >> below(64);
		c.allowed |= A_INVAL | A_PERM;
		break;
	}
	case C_CKPT: {
		struct vgc_checkpoint *k = (struct vgc_checkpoint *)c.st;

		k->flags = below(2);
		k->partition_mask = chance(50) ? 0 : rnd();
		c.allowed |= A_INVAL;
		break;
	}
	case C_BATCH: {
		struct vgc_batch *b = (struct vgc_batch *)c.st;
		static __thread uint64_t idx[64];
		int n = below(64);

		b->op = chance(90) ? 1 + below(7) : below(1 << 16);
		b->count = chance(95) ? (uint32_t)n : VGC_BATCH_MAX + (uint32_t)below(100);
		for (int i = 0; i < n; i++)
			idx[i] = a && a->nobjs && chance(70) ? a->objs[below(a->nobjs)] :
				 chance(50) ? below(1 << 20) : rnd();
		b->indices_ptr = chance(95) ? (uint64_t)(uintptr_t)idx : rnd();
		c.allowed |= A_INVAL | A_2BIG | A_FAULT | A_BATCH;
		break;
	}
	default:
		break;
	}
	if (chance(30))
		call_mutate(&c, 1 + below(NR_MUT - 1));
	if (!a)
		c.allowed |= A_NOARENA;
	via_uring = via_uring && have_uring;
	if (call_run(fd, &c, via_uring) == 0 && cmd == C_REG && !via_uring &&
	    c.mut == M_NONE && a) {
		struct vgc_thread_reg *r = (struct vgc_thread_reg *)c.st;

		if (r->slot >= VGC_MAX_THREADS)
			fail("THREAD_REGISTER gave slot %u", r->slot);
		if (a->nslots < MAX_SLOTS)
			a->slots[a->nslots++] = r->slot;
	}
	if (!a)
		close(fd);
}

/* Valid GROW of a random region; refreshes the layout. */
void op_grow(struct arena *a)
{
	struct call c;
	struct vgc_grow *g;
	uint32_t z = below(3), p = below(a->nr_part);
	const struct vgc_region *r = &a->reg[z * a->nr_part + p];
	uint64_t room, before;

	/* children and threads may have grown it meanwhile */
	if (!layout_of(a->fd, &a->lay, a->reg))
		fail("GET_LAYOUT before GROW: %s", strerror(errno));
	room = r->capacity_granules - r->committed_granules;
	before = r->committed_granules;
	call_init(&c, C_GROW);
	g = (struct vgc_grow *)c.st;
	g->zone = z;
	g->partition = p;
	g->granules = (1 + below(2)) * VGC_SPAN_GRANULES;
	if (g->granules > room)
		c.allowed |= A_INVAL | A_NOMEM | A_2BIG;
	if (call_run(a->fd, &c, have_uring && chance(20)))
		return;
	if (g->committed_granules != before + g->granules)
		fail("GROW: committed %llu, was %llu + %llu",
		     (unsigned long long)g->committed_granules,
		     (unsigned long long)before, (unsigned long long)g->granules);
	if (!layout_of(a->fd, &a->lay, a->reg))
		fail("GET_LAYOUT after GROW: %s", strerror(errno));
	check_layout(&a->lay, a->reg);
}

/* Allocate an object the way libvgcu does: class in the span table, VALID bit. */
void op_alloc(struct arena *a)
{
	uint32_t ri = below(a->lay.nr_regions);
	const struct vgc_region *r = &a->reg[ri];
	uint64_t spans = r->committed_granules / VGC_SPAN_GRANULES, span, g, idx;
	volatile uint16_t *st;
	_Atomic uint64_t *valid;
	uint16_t cls;

	if (!spans || a->nobjs >= MAX_OBJS || !a->rw)
		return;
	span = (r->first_granule >> 12) + below(spans);
	st = (volatile uint16_t *)(a->rw + a->lay.spans_offset - a->lay.threads_offset);
	cls = st[span];
	if (cls == VGC_SPAN_FREE || cls == VGC_SPAN_CONT || cls > VGC_SPAN_GRANULES) {
		cls = 1 << below(8);
		st[span] = cls;
	}
	g = below(VGC_SPAN_GRANULES / cls) * cls;
	idx = (span << 12) + g;
	valid = (_Atomic uint64_t *)(a->rw + a->lay.plane_offset[VGC_PLANE_VALID] -
				     a->lay.threads_offset);
	logop("alloc idx %llu class %u", (unsigned long long)idx, cls);
	atomic_fetch_or(&valid[idx >> 6], 1ULL << (idx & 63));
	a->objs[a->nobjs++] = idx;
}

/* Requests through the planes: release, pin, touch bits. */
void op_plane_req(struct arena *a)
{
	static const int planes[] = { VGC_PLANE_ACCESS, VGC_PLANE_MUTATE, VGC_PLANE_RELEASE,
				      VGC_PLANE_PIN, VGC_PLANE_KEEP, VGC_PLANE_PROMOTE,
				      VGC_PLANE_DEMOTE };
	int pl = planes[below(7)];
	uint64_t idx;
	_Atomic uint64_t *w;

	if (!a->nobjs || !a->rw)
		return;
	idx = a->objs[below(a->nobjs)];
	w = (_Atomic uint64_t *)(a->rw + a->lay.plane_offset[pl] - a->lay.threads_offset);
	logop("plane %d set idx %llu", pl, (unsigned long long)idx);
	atomic_fetch_or(&w[idx >> 6], 1ULL << (idx & 63));
}

/* Valid batch of known objects, via ioctl or one of the uring forms. */
void op_batch(struct arena *a)
{
	static __thread uint64_t idx[128];
	int n = 1 + below(a->nobjs < 128 ? a->nobjs : 128);
	uint32_t op = 1 + below(7);
	struct call c;
	struct vgc_batch *b;
	int ret, form = have_uring ? below(3) : 0;

	if (!a->nobjs)
		return;
	for (int i = 0; i < n; i++)
		idx[i] = a->objs[below(a->nobjs)];
	if (form == 1) {
		logop("uring OBJ op %u idx %llu", op, (unsigned long long)idx[0]);
		ret = uring_cmd(a->fd, VGC_URING_OBJ, idx[0], op, 0, NULL);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret && !errno_allowed(-ret, A_INVAL | A_BATCH | A_NOMEM | A_CANCEL))
			fail("URING_OBJ: errno %s", strerrorname_np(-ret));
		return;
	}
	if (form == 2) {
		logop("uring BATCH op %u count %d", op, n);
		ret = uring_cmd(a->fd, VGC_URING_BATCH, (uint64_t)(uintptr_t)idx, op, n, NULL);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret && !errno_allowed(-ret, A_INVAL | A_BATCH | A_NOMEM | A_CANCEL))
			fail("URING_BATCH: errno %s", strerrorname_np(-ret));
		return;
	}
	call_init(&c, C_BATCH);
	b = (struct vgc_batch *)c.st;
	b->op = op;
	b->count = n;
	b->indices_ptr = (uint64_t)(uintptr_t)idx;
	c.allowed |= A_INVAL;
	ret = call_run(a->fd, &c, false);
	if (b->done > b->count)
		fail("BATCH done %u > count %u", b->done, b->count);
	if (!ret && b->error == 0 && b->done != b->count)
		fail("BATCH returned 0 with done %u of %u", b->done, b->count);
	if (b->error && !errno_allowed(-b->error > 0 ? -b->error : b->error,
				       A_INVAL | A_BATCH))
		fail("BATCH error field %d not in the documented set", b->error);
}

void op_checkpoint(struct arena *a)
{
	struct call c;
	struct vgc_checkpoint *k;
	int ret, form = have_uring ? below(3) : 0;

	if (form == 2) {
		struct io_uring_cqe cqe;

		logop("uring CHECKPOINT");
		ret = uring_cmd(a->fd, VGC_URING_CHECKPOINT, chance(70) ? 0 : rnd(),
				below(2), 0, &cqe);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret && !errno_allowed(-ret, A_AGAIN | A_NOMEM | A_CANCEL | A_INVAL))
			fail("URING_CHECKPOINT: errno %s", strerrorname_np(-ret));
		return;
	}
	call_init(&c, C_CKPT);
	k = (struct vgc_checkpoint *)c.st;
	k->flags = below(2);
	if (chance(30))
		k->partition_mask = a->nr_part >= 64 ? ~0ULL : (1ULL << a->nr_part) - 1;
	ret = call_run(a->fd, &c, form == 1);
	if (ret == -EAGAIN && form == 0 && k->blocker_slot >= VGC_MAX_THREADS)
		fail("CHECKPOINT -EAGAIN with blocker_slot %u", k->blocker_slot);
}

/* Register a thread, announce quiescent states through its slot, unregister. */
void op_thread_slot(struct arena *a)
{
	struct call c;
	struct vgc_thread_reg *r;

	if (a->nslots && chance(50)) {
		int i = below(a->nslots);

		call_init(&c, C_UNREG);
		r = (struct vgc_thread_reg *)c.st;
		r->slot = a->slots[i];
		/* a thread of this process may have dropped it already */
		c.allowed |= A_INVAL;
		call_run(a->fd, &c, false);
		a->slots[i] = a->slots[--a->nslots];
		return;
	}
	if (a->nslots && chance(70) && a->rw) {
		uint32_t s = a->slots[below(a->nslots)];
		volatile struct vgc_thread_slot *sl = (volatile struct vgc_thread_slot *)
			(a->rw + s * sizeof(struct vgc_thread_slot));
		const volatile struct vgc_ctrl *ctrl = (const volatile struct vgc_ctrl *)a->ctrl;

		if ((s + 1) * sizeof(*sl) > a->lay.threads_size)
			fail("slot %u beyond the threads region", s);
		logop("slot %u: quiescent (gp %llu)%s", s, (unsigned long long)ctrl->gp_seq,
		      chance(20) ? " offline" : "");
		__atomic_store_n(&sl->qs_seq, ctrl->gp_seq, __ATOMIC_RELEASE);
		sl->online = chance(80);
		return;
	}
	if (a->nslots >= MAX_SLOTS)
		return;
	call_init(&c, C_REG);
	r = (struct vgc_thread_reg *)c.st;
	r->partition = below(a->nr_part);
	if (call_run(a->fd, &c, false) == 0) {
		if (r->slot >= VGC_MAX_THREADS)
			fail("THREAD_REGISTER gave slot %u", r->slot);
		a->slots[a->nslots++] = r->slot;
	}
}

void op_stats(struct arena *a)
{
	struct vgc_stats s = { .size = sizeof(s) };
	struct vgc_version v;
	int fd = a->fd;

	logop("stats fd=%d", fd);
	if (ioctl(fd, VGC_IOC_GET_STATS, &s))
		fail("GET_STATS: %s", strerror(errno));
	version(fd, &v);
	if (v.limit_bytes && v.used_bytes > v.limit_bytes + (64ULL << 20))
		fail("used_bytes %llu above limit %llu", (unsigned long long)v.used_bytes,
		     (unsigned long long)v.limit_bytes);
	if (!v.nr_arenas)
		fail("GET_VERSION reports 0 arenas while one is open");
}

/* Unknown commands and wrong magic: ENOTTY. */
void op_unknown(struct arena *a)
{
	uint8_t *buf = argbuf(256);
	unsigned long nr;
	int ret;

	if (chance(50))
		nr = _IOWR(VGC_IOC_MAGIC, 0x09 + below(0x37), struct vgc_stats);
	else
		nr = _IOWR('v' + below(2) * 5, below(16), struct vgc_stats);
	logop("ioctl unknown %#lx", nr);
	ret = ioctl(a->fd, nr, buf);
	logres(ret, errno);
	cnt->ioctls++;
	if (ret == 0)
		fail("unknown ioctl %#lx succeeded", nr);
	if (errno != ENOTTY && errno != EINVAL)
		fail("unknown ioctl %#lx: %s", nr, strerrorname_np(errno));
	if (have_uring && chance(50)) {
		logop("uring unknown cmd_op %#lx", nr);
		ret = uring_cmd(a->fd, nr, (uint64_t)(uintptr_t)buf, 0, 0, NULL);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret != -ENOTTY && ret != -EINVAL && ret != -EOPNOTSUPP)
			fail("uring unknown cmd_op %#lx: %d", nr, ret);
		/* non-zero payload flags/count where none are defined */
		logop("uring GET_VERSION with flags");
		ret = uring_cmd(a->fd, VGC_IOC_GET_VERSION, (uint64_t)(uintptr_t)buf,
				1 + below(100), 0, NULL);
		logres(ret, -ret);
		if (ret != -EINVAL)
			fail("uring GET_VERSION with payload flags: %d, want -EINVAL", ret);
	}
}

void op_close(void)
{
	struct arena *a = pick_arena(true);

	if (!a)
		return;
	/* closing the fd must keep the mapped pages alive */
	logop("close fd %d (mappings stay)", a->fd);
	close(a->fd);
	a->fd = -1;
	a->nslots = 0;
}
