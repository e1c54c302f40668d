// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep --change: checkpoint cost against the live heap when the
 * change per checkpoint is fixed, full sweep (VGC_CKPT_F_FULL) beside the
 * change-proportional checkpoint that skips settled spans (docs/design.md,
 * "Work proportional to change").
 *
 * The world: N live 128-byte objects (512 per span) in one Green Gen0
 * region.  Between two
 * checkpoints the mutator releases CH_RELEASES random objects, touches
 * CH_TOUCHES random ones (vgc_release(), vgc_touch(): both note their
 * span) and allocates back what the last checkpoint reclaimed, so every
 * checkpoint has the same amount of work to do whatever N is.  CPU time
 * per checkpoint is the median of CH_ROUNDS checkpoints after CH_WARM
 * warm-up rounds; instructions per checkpoint are callgrind's count of
 * vgc_checkpoint() over the CH_ROUNDS rounds of a child.  The checksum
 * folds every count the checkpoints returned: equal checksums for the two
 * modes show that they did the same work.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vgcu.h>
#include "bench_util.h"
#include "bench_sweep.h"

#define CH_OBJ		128
#define CH_RELEASES	16U
#define CH_TOUCHES	48U
#define CH_WARM		8
#define CH_ROUNDS	32U
#define CH_SIZES	3

static const uint64_t ch_sizes[CH_SIZES] = { 4096, 131072, 1048576 };

struct ch_world {
	struct world w;
	void **obj;
	uint64_t *holes, nholes, lcg, refill;
};

static uint64_t ch_rnd(struct ch_world *c)
{
	c->lcg = c->lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return c->lcg >> 17;
}

static int ch_open(struct ch_world *c, uint64_t n)
{
	struct vgc_config cfg;
	uint64_t i, bytes;
	int err;

	memset(c, 0, sizeof(*c));
	c->lcg = 42;
	c->w.n = n;
	c->w.checksum = BU_FNV_SEED;
	c->obj = calloc(n, sizeof(*c->obj));
	c->holes = calloc(n, sizeof(*c->holes));
	if (!c->obj || !c->holes)
		return -ENOMEM;
	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	/* N objects and the releases on their way, whole spans */
	bytes = n * CH_OBJ + 8 * VGC_SPAN_SIZE;
	bytes = (bytes + VGC_SPAN_SIZE - 1) / VGC_SPAN_SIZE * VGC_SPAN_SIZE;
	cfg.zone_bytes[VGC_ZONE_RED] = 0;
	cfg.zone_bytes[VGC_ZONE_GREEN] = bytes;
	cfg.zone_bytes[VGC_ZONE_BLUE] = 0;
	cfg.gen_permille[0] = 1000;
	err = vgc_arena_open(&cfg, &c->w.a);
	if (err)
		return err;
	err = vgc_thread_register(c->w.a, 0);
	if (err < 0)
		return err;
	bu_pin_cpu(0);
	for (i = 0; i < n; i++) {
		c->obj[i] = vgc_alloc(c->w.a, CH_OBJ, VGC_ZONE_GREEN);
		if (!c->obj[i])
			return -errno;
	}
	return 0;
}

static void ch_close(struct ch_world *c)
{
	if (c->w.a)
		world_close(&c->w);
	free(c->obj);
	free(c->holes);
}

static void ch_step(struct ch_world *c)
{
	uint64_t n = c->w.n, i, k;

	for (; c->refill && c->nholes; c->refill--) {
		void *p = vgc_alloc(c->w.a, CH_OBJ, VGC_ZONE_GREEN);

		if (!p)
			break;
		c->obj[c->holes[--c->nholes]] = p;
	}
	c->refill = 0;
	for (k = 0; k < CH_RELEASES; k++) {
		i = ch_rnd(c) % n;
		if (c->obj[i] && !vgc_release(c->w.a, c->obj[i])) {
			c->obj[i] = NULL;
			c->holes[c->nholes++] = i;
		}
	}
	for (k = 0; k < CH_TOUCHES; k++) {
		i = ch_rnd(c) % n;
		if (c->obj[i])
			vgc_touch(c->w.a, c->obj[i]);
	}
}

static int ch_checkpoint(struct ch_world *c, unsigned int flags, double *cpu)
{
	struct vgc_ckpt_opts co = { .flags = flags };
	struct vgc_checkpoint res;
	uint64_t c0;
	int err;

	memset(&res, 0, sizeof(res));
	res.size = sizeof(res);
	vgc_quiescent(c->w.a);
	c0 = bu_thread_cpu_ns();
	err = vgc_checkpoint(c->w.a, &co, &res);
	*cpu = (double)(bu_thread_cpu_ns() - c0);
	if (err)
		return err;
	fold_counts(&c->w, &res.counts);
	c->refill = res.counts.reclaimed;
	return 0;
}

/* CH_WARM + CH_ROUNDS rounds; median CPU ns of the timed checkpoints. */
static int ch_run(uint64_t n, int full, double *cpu_ns, uint64_t *sum)
{
	unsigned int flags = full ? VGC_CKPT_F_FULL : 0;
	double v[CH_ROUNDS], t;
	struct ch_world c;
	unsigned int r;
	int err = ch_open(&c, n);

	for (r = 0; r < CH_WARM + CH_ROUNDS && !err; r++) {
		ch_step(&c);
		err = ch_checkpoint(&c, flags, &t);
		if (r >= CH_WARM)
			v[r - CH_WARM] = t;
	}
	if (!err) {
		*cpu_ns = bu_median(v, CH_ROUNDS);
		*sum = c.w.checksum;
	}
	ch_close(&c);
	return err;
}

int change_child(uint64_t n, int full)
{
	uint64_t sum = 0;
	double ns;
	int err = ch_run(n, full, &ns, &sum);

	printf("CHANGE %llu %d %016llx\n", (unsigned long long)n, full,
	       (unsigned long long)sum);
	return err ? 1 : 0;
}

int run_change(int callgrind, int json)
{
	double cpu[CH_SIZES][2], ir[CH_SIZES][2];
	uint64_t sum[CH_SIZES][2];
	unsigned int i, m;
	int bad = 0;

	for (i = 0; i < CH_SIZES; i++)
		for (m = 0; m < 2; m++) {
			char ns[32], ms[4];
			char *av[] = { self_exe, "sweep", "--child-change", ns,
				       "--change-mode", ms, NULL };

			ir[i][m] = NAN;
			if (ch_run(ch_sizes[i], (int)m, &cpu[i][m], &sum[i][m])) {
				fprintf(stderr, "vgc-bench sweep --change: %llu failed\n",
					(unsigned long long)ch_sizes[i]);
				return 1;
			}
			if (!callgrind)
				continue;
			snprintf(ns, sizeof(ns), "%llu",
				 (unsigned long long)ch_sizes[i]);
			snprintf(ms, sizeof(ms), "%u", m);
			/* warm-up checkpoints are counted too: all of them */
			ir[i][m] = cg_run(av, "vgc_checkpoint", NULL) /
				   (CH_WARM + CH_ROUNDS);
		}
	for (i = 0; i < CH_SIZES; i++)
		bad |= sum[i][0] != sum[i][1];
	if (json) {
		printf("{\"benchmark\":\"sweep-change\",\"releases\":%u,\"touches\":%u,\"rows\":[",
		       CH_RELEASES, CH_TOUCHES);
		for (i = 0; i < CH_SIZES; i++)
			printf("%s{\"live\":%llu,\"full_cpu_ns\":%.0f,\"prop_cpu_ns\":%.0f,"
			       "\"full_instr\":%.0f,\"prop_instr\":%.0f,\"checksum\":\"%016llx\","
			       "\"same\":%s}", i ? "," : "",
			       (unsigned long long)ch_sizes[i], cpu[i][1], cpu[i][0],
			       ir[i][1], ir[i][0], (unsigned long long)sum[i][0],
			       sum[i][0] == sum[i][1] ? "true" : "false");
		printf("]}\n");
		return bad;
	}
	printf("sweep --change: one checkpoint after %u releases, %u touches and the\n"
	       "  refill of what was reclaimed, N live 128-byte objects; CPU time per\n"
	       "  checkpoint (median of %u) and instructions per checkpoint (callgrind,\n"
	       "  vgc_checkpoint only); full = VGC_CKPT_F_FULL, prop = the default\n\n",
	       CH_RELEASES, CH_TOUCHES, CH_ROUNDS);
	printf("%10s | %12s %12s %7s | %14s %14s %7s | %16s\n", "live",
	       "full cpu us", "prop cpu us", "ratio", "full instr", "prop instr",
	       "ratio", "checksum");
	for (i = 0; i < CH_SIZES; i++)
		printf("%10llu | %12.1f %12.1f %7.1f | %14.0f %14.0f %7.1f | %016llx%s\n",
		       (unsigned long long)ch_sizes[i], cpu[i][1] / 1e3,
		       cpu[i][0] / 1e3, cpu[i][1] / cpu[i][0], ir[i][1], ir[i][0],
		       ir[i][1] / ir[i][0], (unsigned long long)sum[i][0],
		       sum[i][0] == sum[i][1] ? "" : " (full differs!)");
	printf("\nchecksums %s between the modes\n", bad ? "DIFFER" : "agree");
	return bad;
}
