// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: io_uring passthrough (IORING_OP_URING_CMD): one command and
 * its completion, bursts of mixed commands, the per-thread ring.
 */
#include <errno.h>
#include <string.h>
#include "fuzz.h"

/* ---- io_uring passthrough ---------------------------------------------------- */

int uring_cmd(int fd, unsigned long op, uint64_t arg, uint32_t flags,
	      uint32_t count, struct io_uring_cqe *out)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&uring);
	struct io_uring_cqe *cqe;
	struct vgc_uring_cmd pl = { .arg = arg, .flags = flags, .count = count };
	int ret;

	if (!sqe)
		fail("io_uring_get_sqe: ring full");
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &pl, sizeof(pl));
	if (chance(10))
		sqe->flags |= IOSQE_ASYNC;
	ret = io_uring_submit(&uring);
	if (ret != 1)
		fail("io_uring_submit: %d", ret);
	do
		ret = io_uring_wait_cqe(&uring, &cqe);
	while (ret == -EINTR);
	if (ret)
		fail("io_uring_wait_cqe: %d", ret);
	ret = cqe->res;
	if (out)
		*out = *cqe;
	io_uring_cqe_seen(&uring, cqe);
	return ret;
}

/* Many SQEs in one submit, mixed; some left in flight at teardown. */
void op_uring_burst(struct arena *a)
{
	static __thread uint64_t idx[16];
	static __thread struct vgc_stats st[16];
	int n = 1 + below(16);

	if (!have_uring || !a->nobjs)
		return;
	logop("uring burst of %d", n);
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&uring);
		struct vgc_uring_cmd pl = { 0 };
		unsigned long op;

		if (!sqe)
			break;
		memset(sqe, 0, sizeof(*sqe));
		switch (below(4)) {
		case 0:
			op = VGC_URING_OBJ;
			pl.arg = a->objs[below(a->nobjs)];
			pl.flags = 1 + below(7);
			break;
		case 1:
			op = VGC_URING_CHECKPOINT;
			break;
		case 2:
			idx[i] = a->objs[below(a->nobjs)];
			op = VGC_URING_BATCH;
			pl.arg = (uint64_t)(uintptr_t)&idx[i];
			pl.flags = 1 + below(7);
			pl.count = 1;
			break;
		default:
			memset(&st[i], 0, sizeof(st[i]));
			st[i].size = sizeof(st[i]);
			op = VGC_IOC_GET_STATS;
			pl.arg = (uint64_t)(uintptr_t)&st[i];
			break;
		}
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = a->fd;
		sqe->cmd_op = op;
		memcpy(sqe->cmd, &pl, sizeof(pl));
	}
	io_uring_submit(&uring);
	for (int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		int ret;

		do
			ret = io_uring_wait_cqe(&uring, &cqe);
		while (ret == -EINTR);
		if (ret)
			fail("uring burst wait: %d", ret);
		if (cqe->res && !errno_allowed(-cqe->res, A_INVAL | A_BATCH | A_AGAIN |
					       A_NOMEM | A_CANCEL))
			fail("uring burst: res %d", cqe->res);
		io_uring_cqe_seen(&uring, cqe);
	}
	cnt->uring_cmds += n;
}

void fuzz_uring_init(void)
{
	have_uring = false;
	if (opt_no_uring || !(features & VGC_FEAT_URING_CMD))
		return;
	if (io_uring_queue_init(64, &uring, 0) == 0)
		have_uring = true;
}
