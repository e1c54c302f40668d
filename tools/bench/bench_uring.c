// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench uring: checkpoint commands per second, one ioctl per command
 * (the baseline) against libvgcu's io_uring batches of 1, 8, 64 and 256
 * commands per submit, in the same run against vgc.ko.
 *
 * One command = one object operation (VGC_BATCH_TOUCH of one object): the
 * ioctl side issues VGC_IOC_BATCH with a count of 1, the ring side one
 * VGC_URING_OBJ SQE (inline payload, no argument struct).  Every result is
 * checked; the checksum folds the index of every command that succeeded
 * and must be the same for every mode.  Informative rows: the library's
 * ioctl fallback with batches of 64, and the vector forms (VGC_IOC_BATCH
 * with 64 indices against one VGC_URING_BATCH SQE of 64), whose commands
 * are objects too.  Repetitions interleave the modes; rates are medians
 * (and the best rep), ratios the median over reps of the rep's rate over the
 * ioctl rate of the same rep, which a noisy, shared host disturbs least.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <vgcu.h>
#include <vgcu_uring.h>
#include "bench.h"
#include "bench_util.h"

#define NOBJ		4096
#define MAX_REPS	64
#define TARGET_BATCH	64
#define TARGET_RATIO	3.0

enum mode_kind { M_IOCTL, M_URING, M_LIB_IOCTL, M_IOCTL_VEC, M_URING_VEC };

struct mode {
	const char *name;
	enum mode_kind kind;
	unsigned int batch;	/* commands per submit (per ioctl for VEC) */
	double rate[MAX_REPS];
	double ratio[MAX_REPS];		/* against ioctl in the same rep */
	double med, best, ratio_med;
	uint64_t checksum;
	uint64_t failed;
};

static struct mode modes[] = {
	{ .name = "ioctl",		.kind = M_IOCTL,	.batch = 1 },
	{ .name = "uring",		.kind = M_URING,	.batch = 1 },
	{ .name = "uring",		.kind = M_URING,	.batch = 8 },
	{ .name = "uring",		.kind = M_URING,	.batch = 64 },
	{ .name = "uring",		.kind = M_URING,	.batch = 256 },
	{ .name = "lib-ioctl-fallback",	.kind = M_LIB_IOCTL,	.batch = 64 },
	{ .name = "ioctl-vector",	.kind = M_IOCTL_VEC,	.batch = 64 },
	{ .name = "uring-vector",	.kind = M_URING_VEC,	.batch = 64 },
};
#define NR_MODES	(sizeof(modes) / sizeof(modes[0]))

struct bctx {
	int fd;
	uint64_t idx[NOBJ];
	struct vgc_uring *ring;		/* io_uring path */
	struct vgc_uring *fallback;	/* forced ioctl path */
	struct vgc_uring_result res[256];
};

static int setup_arena(struct bctx *b, char *err, size_t errlen)
{
	struct vgc_arena_params p;
	struct vgc_layout l;
	struct vgc_region reg[VGC_NR_ZONES];
	uint64_t *valid;
	uint8_t *rw;
	size_t len;
	unsigned int i;

	b->fd = open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (b->fd < 0) {
		snprintf(err, errlen, "%s: %s (load vgc.ko)", VGC_DEVICE_PATH,
			 strerror(errno));
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.nr_partitions = 1;
	p.zone_granules[VGC_ZONE_GREEN] = VGC_SPAN_GRANULES;
	p.cpus[0] = sched_getcpu() > 0 ? (unsigned int)sched_getcpu() : 0;
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.regions_cap = VGC_NR_ZONES;
	l.regions_ptr = (uintptr_t)reg;
	if (ioctl(b->fd, VGC_IOC_CREATE_ARENA, &p) ||
	    ioctl(b->fd, VGC_IOC_GET_LAYOUT, &l)) {
		snprintf(err, errlen, "arena: %s", strerror(errno));
		return -1;
	}
	len = l.map_size - l.threads_offset;
	rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd,
		  l.threads_offset);
	if (rw == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		return -1;
	}
	/* NOBJ one-granule objects, allocated as libvgcu does: VALID set */
	valid = (uint64_t *)(rw + l.plane_offset[VGC_PLANE_VALID] -
			     l.threads_offset);
	for (i = 0; i < NOBJ; i++) {
		b->idx[i] = reg[VGC_ZONE_GREEN].first_granule + i;
		__atomic_fetch_or(&valid[b->idx[i] >> 6],
				  1ULL << (b->idx[i] & 63), __ATOMIC_RELEASE);
	}
	return 0;
}

static uint64_t fold(uint64_t sum, uint64_t index)
{
	return sum + (index ^ (index >> 7)) * 0x9e3779b97f4a7c15ULL;
}

static int run_ioctl(struct bctx *b, struct mode *m, uint64_t n)
{
	struct vgc_batch bt;
	uint64_t i, k;

	memset(&bt, 0, sizeof(bt));
	for (i = 0; i < n; i += m->batch) {
		k = i % NOBJ;
		bt.size = sizeof(bt);
		bt.op = VGC_BATCH_TOUCH;
		bt.count = m->batch;
		bt.indices_ptr = (uintptr_t)&b->idx[k];
		bt.flags = 0;
		bt.reserved[0] = bt.reserved[1] = 0;
		if (ioctl(b->fd, VGC_IOC_BATCH, &bt)) {
			m->failed += m->batch;
			continue;
		}
		for (; k < i % NOBJ + bt.done; k++)
			m->checksum = fold(m->checksum, b->idx[k]);
		m->failed += m->batch - bt.done;
	}
	return 0;
}

static int run_ring(struct bctx *b, struct vgc_uring *u, struct mode *m,
		    uint64_t n)
{
	uint64_t i;
	unsigned int j;
	int got, ret;

	for (i = 0; i < n; i += m->batch) {
		if (m->kind == M_URING_VEC) {
			ret = vgc_uring_queue_batch(u, VGC_BATCH_TOUCH,
						    &b->idx[i % NOBJ],
						    m->batch, i % NOBJ);
			if (ret)
				return ret;
		} else {
			for (j = 0; j < m->batch; j++) {
				uint64_t k = (i + j) % NOBJ;

				ret = vgc_uring_queue_obj(u, VGC_BATCH_TOUCH,
							  b->idx[k], k);
				if (ret)
					return ret;
			}
		}
		got = vgc_uring_run(u, b->res, 256);
		if (got < 0)
			return got;
		for (j = 0; j < (unsigned int)got; j++) {
			const struct vgc_uring_result *r = &b->res[j];
			uint64_t k;

			for (k = 0; k < r->done; k++)
				m->checksum = fold(m->checksum,
						   b->idx[r->user_data + k]);
			if (m->kind == M_URING_VEC)
				m->failed += m->batch - r->done;
			else
				m->failed += r->res != 0;
		}
	}
	return 0;
}

static int run_mode(struct bctx *b, struct mode *m, uint64_t n, double *rate)
{
	uint64_t t0, t1;
	int ret;

	t0 = bu_now_ns();
	switch (m->kind) {
	case M_IOCTL:
	case M_IOCTL_VEC:
		ret = run_ioctl(b, m, n);
		break;
	case M_URING:
	case M_URING_VEC:
		ret = run_ring(b, b->ring, m, n);
		break;
	default:
		ret = run_ring(b, b->fallback, m, n);
		break;
	}
	t1 = bu_now_ns();
	*rate = (double)n * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgc-bench uring [--json] [--cmds N] [--reps R] [--cpu C]\n"
"  --cmds N   commands per mode and repetition (default 10240, a multiple\n"
"             of 256)\n"
"  --reps R   repetitions, modes interleaved (default 11); rates are\n"
"             medians, ratios the median of each rep's ratio to ioctl\n"
"  --cpu C    pin to CPU C (default 0; -1: no pinning)\n");
}

int bench_uring(int argc, char **argv)
{
	static struct bctx b;
	uint64_t n = 10240, ref = 0;
	int json = 0, reps = 11, cpu = 0, ret, rep, same = 1;
	double target_ratio = 0;
	unsigned int mi, k, setup = 0;
	char err[256], fl[160];
	const char *path;
	struct bj j;
	const struct bu_opt opts[] = {
		BU_FLAG("json", &json),
		BU_U64("cmds", &n, 256, 0),
		BU_INT("reps", &reps, 1, MAX_REPS),
		BU_INT("cpu", &cpu, -1, INT_MAX),	/* -1: do not pin */
		BU_OPT_END
	};

	switch (bu_parse_opts("uring", argc, argv, opts, NULL, 0, NULL)) {
	case 0:
		break;
	case BU_OPTS_HELP:
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
	n -= n % 256;
	if (cpu >= 0 && bu_pin_cpu(cpu))
		fprintf(stderr, "uring: cannot pin to CPU %d\n", cpu);
	if (setup_arena(&b, err, sizeof(err))) {
		fprintf(stderr, "uring: %s\n", err);
		return 1;
	}
	ret = vgc_uring_open_fd(b.fd, 256, 0, &b.ring);
	if (!ret)
		ret = vgc_uring_open_fd(b.fd, 256, VGC_URING_F_IOCTL,
					&b.fallback);
	if (ret) {
		fprintf(stderr, "uring: vgc_uring_open_fd: %s\n",
			strerror(-ret));
		return 1;
	}
	path = vgc_uring_path_name(vgc_uring_path(b.ring));
	setup = vgc_uring_setup_flags(b.ring);
	snprintf(fl, sizeof(fl), "%s", vgc_uring_reason(b.ring));

	/* each rep starts with another mode, so order effects cancel out */
	for (rep = 0; rep < reps; rep++)
		for (k = 0; k < NR_MODES; k++) {
			struct mode *m = &modes[(k + rep) % NR_MODES];

			m->checksum = 0;
			m->failed = 0;
			ret = run_mode(&b, m, n, &m->rate[rep]);
			if (ret) {
				fprintf(stderr, "uring: %s/%u: %s\n",
					m->name, m->batch, strerror(-ret));
				return 1;
			}
		}
	for (mi = 0; mi < NR_MODES; mi++) {
		for (rep = 0; rep < reps; rep++)
			modes[mi].ratio[rep] = modes[mi].rate[rep] /
					       modes[0].rate[rep];
		modes[mi].ratio_med = bu_median(modes[mi].ratio, (size_t)reps);
		modes[mi].best = bu_max(modes[mi].rate, (size_t)reps);
		modes[mi].med = bu_median(modes[mi].rate, (size_t)reps);
		if (!mi)
			ref = modes[mi].checksum;
		same &= modes[mi].checksum == ref && !modes[mi].failed;
		if (modes[mi].kind == M_URING &&
		    modes[mi].batch == TARGET_BATCH)
			target_ratio = modes[mi].ratio_med;
	}

	if (json) {
		bj_init(&j, stdout);
		bj_obj_begin(&j, NULL);
		bj_str(&j, "benchmark", "uring");
		bj_obj_begin(&j, "params");
		bj_u64(&j, "cmds", n);
		bj_u64(&j, "reps", (uint64_t)reps);
		bj_i64(&j, "cpu", cpu);
		bj_str(&j, "command", "VGC_BATCH_TOUCH of one object");
		bj_str(&j, "path", path);
		bj_str(&j, "reason", fl);
		bj_u64(&j, "setup_flags", setup);
		bj_obj_end(&j);
		bj_arr_begin(&j, "results");
		for (mi = 0; mi < NR_MODES; mi++) {
			bj_obj_begin(&j, NULL);
			bj_str(&j, "mode", modes[mi].name);
			bj_u64(&j, "batch", modes[mi].batch);
			bj_num(&j, "cmds_per_s", modes[mi].med);
			bj_num(&j, "cmds_per_s_best", modes[mi].best);
			bj_num(&j, "ratio_vs_ioctl", modes[mi].ratio_med);
			bj_u64(&j, "checksum", modes[mi].checksum);
			bj_u64(&j, "failed", modes[mi].failed);
			bj_obj_end(&j);
		}
		bj_arr_end(&j);
		bj_obj_begin(&j, "target");
		bj_u64(&j, "batch", TARGET_BATCH);
		bj_num(&j, "goal_ratio", TARGET_RATIO);
		bj_num(&j, "ratio", target_ratio);
		bj_str(&j, "verdict", bu_met(target_ratio >= TARGET_RATIO));
		bj_obj_end(&j);
		bj_bool(&j, "checksums_equal", same);
		bj_obj_end(&j);
		bj_finish(&j);
	} else {
		printf("vgc-bench uring: %llu commands (TOUCH of one object) per mode, %d reps, median\n",
		       (unsigned long long)n, reps);
		printf("ring path: %s (%s)\n\n", path, fl);
		printf("%-20s %6s %14s %14s %10s %20s\n", "mode", "batch",
		       "commands/s", "best", "vs ioctl", "checksum");
		for (mi = 0; mi < NR_MODES; mi++)
			printf("%-20s %6u %14.0f %14.0f %9.2fx %20llu%s\n",
			       modes[mi].name, modes[mi].batch, modes[mi].med,
			       modes[mi].best, modes[mi].ratio_med,
			       (unsigned long long)modes[mi].checksum,
			       modes[mi].failed ? " FAILED" : "");
		printf("\nchecksums equal: %s\n", same ? "yes" : "NO");
		printf("target: io_uring batch %d >= %.1fx ioctl: %.2fx, %s\n",
		       TARGET_BATCH, TARGET_RATIO, target_ratio,
		       bu_met(target_ratio >= TARGET_RATIO));
	}
	vgc_uring_close(b.ring);
	vgc_uring_close(b.fallback);
	close(b.fd);
	return same ? 0 : 1;
}
