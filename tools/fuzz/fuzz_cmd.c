// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: the ioctl ABI: errno sets, the command table, argument buffers
 * with a guard page, single-fault mutations, and one checked call.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "fuzz.h"

/* ---- errno sets ----------------------------------------------------------- */

bool errno_allowed(int err, unsigned int set)
{
	switch (err) {
	case ENXIO: return set & A_NOARENA;
	case ENOMEM: case ENOSPC: return set & A_NOMEM;
	case EAGAIN: case EINTR: return set & A_AGAIN;
	case EBUSY: return set & (A_AGAIN | A_EXIST);
	case EEXIST: return set & A_EXIST;
	case EINVAL: return set & A_INVAL;
	case EFAULT: return set & A_FAULT;
	case E2BIG: return set & A_2BIG;
	case EALREADY: return set & A_BATCH;
	case EPERM: return set & (A_BATCH | A_PERM);
	case EACCES: return set & A_PERM;
	case ENOTTY: return set & A_NOTTY;
	case EOPNOTSUPP: return set & A_NOTSUP;
	case ECANCELED: return set & A_CANCEL;
	}
	return false;
}

/* ---- command table -------------------------------------------------------- */

struct cmd {
	const char *name;
	unsigned long nr;
	size_t size;			/* sizeof() of the struct */
	size_t ver0;
	size_t reserved_off;
	size_t reserved_len;
	int flags_off;			/* -1: no flags member */
	uint32_t flags_valid;
	int pad_off[2];			/* -1: none */
	int pad_len[2];
	unsigned int base;		/* errnos any call may see */
};

#define CMD(n, ioc, st, v0, fl_off, fl_valid, p0, l0, p1, l1, b) \
	{ n, ioc, sizeof(struct st), v0, offsetof(struct st, reserved), \
	  sizeof(((struct st *)0)->reserved), fl_off, fl_valid, { p0, p1 }, { l0, l1 }, b }

static const struct cmd cmds[NR_CMDS] = {
	[C_VERSION] = CMD("GET_VERSION", VGC_IOC_GET_VERSION, vgc_version,
			  VGC_VERSION_SIZE_VER0, -1, 0, -1, 0, -1, 0, 0),
	[C_CREATE] = CMD("CREATE_ARENA", VGC_IOC_CREATE_ARENA, vgc_arena_params,
			 VGC_ARENA_PARAMS_SIZE_VER0, offsetof(struct vgc_arena_params, flags),
			 VGC_ARENA_F_ALL, offsetof(struct vgc_arena_params, pad0), 2,
			 offsetof(struct vgc_arena_params, pad1), 4, A_NOMEM | A_EXIST | A_2BIG),
	[C_LAYOUT] = CMD("GET_LAYOUT", VGC_IOC_GET_LAYOUT, vgc_layout,
			 VGC_LAYOUT_SIZE_VER0, -1, 0, -1, 0, -1, 0, A_NOARENA),
	[C_GROW] = CMD("GROW", VGC_IOC_GROW, vgc_grow, VGC_GROW_SIZE_VER0, -1, 0,
		       offsetof(struct vgc_grow, pad), 4, -1, 0, A_NOARENA | A_NOMEM | A_2BIG),
	[C_REG] = CMD("THREAD_REGISTER", VGC_IOC_THREAD_REGISTER, vgc_thread_reg,
		      VGC_THREAD_REG_SIZE_VER0, offsetof(struct vgc_thread_reg, flags), 0,
		      -1, 0, -1, 0, A_NOARENA | A_NOMEM | A_EXIST | A_AGAIN),
	[C_UNREG] = CMD("THREAD_UNREGISTER", VGC_IOC_THREAD_UNREGISTER, vgc_thread_reg,
			VGC_THREAD_REG_SIZE_VER0, offsetof(struct vgc_thread_reg, flags), 0,
			-1, 0, -1, 0, A_NOARENA | A_PERM),
	[C_CKPT] = CMD("CHECKPOINT", VGC_IOC_CHECKPOINT, vgc_checkpoint,
		       VGC_CHECKPOINT_SIZE_VER0, offsetof(struct vgc_checkpoint, flags),
		       VGC_CKPT_F_FLAGS_ALL, -1, 0, -1, 0, A_NOARENA | A_AGAIN | A_NOMEM),
	[C_BATCH] = CMD("BATCH", VGC_IOC_BATCH, vgc_batch, VGC_BATCH_SIZE_VER0,
			offsetof(struct vgc_batch, flags), 0, -1, 0, -1, 0,
			A_NOARENA | A_BATCH | A_NOMEM),
	[C_STATS] = CMD("GET_STATS", VGC_IOC_GET_STATS, vgc_stats, VGC_STATS_SIZE_VER0,
			-1, 0, -1, 0, -1, 0, A_NOARENA),
};

/*
 * Argument buffer: the struct sits at the end of a page that is followed by
 * a PROT_NONE page, so a size field larger than the buffer makes the kernel
 * read into the guard page (-EFAULT), and pointer faults are easy to build.
 */
__thread uint8_t *argpage;	/* 2 pages: rw | none */

uint8_t *argbuf(size_t len)
{
	if (!argpage) {
		argpage = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (argpage == MAP_FAILED)
			fail("mmap of the argument page: %s", strerror(errno));
		mprotect(argpage + page_size, page_size, PROT_NONE);
	}
	memset(argpage, 0, page_size);
	return argpage + page_size - len;
}

static const char *const mut_name[NR_MUT] = {
	"", "short-size", "nonzero-tail", "zero-tail", "reserved", "pad", "flags",
	"null-ptr", "kernel-ptr", "guard-page",
};

/*
 * Prepares a call of cmd: the caller fills *st (a zeroed struct of
 * cmds[cmd].size bytes, size set) and may then apply a mutation.
 */
void call_init(struct call *c, int cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	/* room for an oversized tail before the guard page */
	c->st = argbuf(cmds[cmd].size + 64);
	c->arg = c->st;
	*(uint32_t *)c->st = cmds[cmd].size;
}

void call_mutate(struct call *c, enum mut m)
{
	const struct cmd *d = &cmds[c->cmd];
	uint32_t *size = (uint32_t *)c->st;

	switch (m) {
	case M_FLAGS:
		if (d->flags_off < 0)
			m = M_RESERVED;
		break;
	case M_PAD:
		if (d->pad_off[0] < 0)
			m = M_RESERVED;
		break;
	default:
		break;
	}
	c->mut = m;
	switch (m) {
	case M_NONE:
		break;
	case M_SHORT:
		*size = below(d->ver0);
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	case M_TAIL:
		*size = d->size + 1 + below(63);
		c->st[*size - 1 - below(*size - d->size)] = 1 + below(255);
		c->allowed |= A_2BIG;
		c->must_fail = true;
		break;
	case M_LONGZERO:
		*size = d->size + 1 + below(64);
		c->allowed |= A_2BIG | A_OK;
		break;
	case M_RESERVED: {
		size_t k = below(d->reserved_len);

		c->st[d->reserved_off + k] = 1 + below(255);
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	}
	case M_PAD: {
		int i = d->pad_off[1] >= 0 ? below(2) : 0;

		c->st[d->pad_off[i] + below(d->pad_len[i])] = 1 + below(255);
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	}
	case M_FLAGS: {
		uint32_t bad = ~d->flags_valid;
		uint32_t bit;

		do
			bit = 1U << below(32);
		while (!(bit & bad));
		*(uint32_t *)(c->st + d->flags_off) |= bit;
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	}
	case M_NULLPTR:
		c->arg = NULL;
		c->allowed |= A_FAULT;
		c->must_fail = true;
		break;
	case M_KPTR:
		c->arg = (uint8_t *)(0xffff888000000000ULL + below(1ULL << 30));
		c->allowed |= A_FAULT;
		c->must_fail = true;
		break;
	case M_GUARD: {
		/* move the struct so that its last bytes are in the guard page */
		size_t cut = 1 + below(d->size - 1);
		uint8_t *p = argpage + page_size - (d->size - cut);

		memmove(p, c->st, d->size - cut);
		c->arg = p;
		c->allowed |= A_FAULT;
		c->must_fail = true;
		break;
	}
	default:
		break;
	}
}

int call_run(int fd, struct call *c, bool via_uring)
{
	const struct cmd *d = &cmds[c->cmd];
	int ret, err;
	unsigned int allowed = d->base | c->allowed;

	if (c->mut == M_NONE)
		allowed |= A_OK;
	logop("%s %s fd=%d%s%s", via_uring ? "uring" : "ioctl", d->name, fd,
	      c->mut ? " mut=" : "", mut_name[c->mut]);
	if (via_uring) {
		ret = uring_cmd(fd, d->nr, (uint64_t)(uintptr_t)c->arg, 0, 0, NULL);
		err = -ret;
		cnt->uring_cmds++;
		allowed |= A_CANCEL;
		/* register/unregister from io-wq workers is not supported */
		if (c->cmd == C_REG || c->cmd == C_UNREG)
			allowed |= A_NOTSUP;
	} else {
		ret = ioctl(fd, d->nr, c->arg);
		err = ret < 0 ? errno : 0;
		if (ret < 0)
			ret = -err;
		cnt->ioctls++;
	}
	logres(ret, err);
	if (ret > 0)
		fail("%s returned %d, expected 0 or -errno", d->name, ret);
	if (ret == 0 && c->must_fail)
		fail("%s with %s succeeded", d->name, mut_name[c->mut]);
	if (ret < 0 && !errno_allowed(err, allowed))
		fail("%s%s%s: errno %s is not in its documented set", d->name,
		     c->mut ? " with " : "", mut_name[c->mut], strerrorname_np(err));
	return ret;
}
