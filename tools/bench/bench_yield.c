// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench yield: ephemeral values (the paper's "x = 85" and temporaries)
 * through Yield Memory, through zone allocation, and through malloc, in the
 * same run.
 *
 * One value = allocate 16..64 bytes, write it, read it back into the
 * checksum, and let it die: Yield frees it with its scope (one scope per
 * --batch values, nested one level like a call), the zone path releases it
 * so the checkpoint reclaims it (a checkpoint every --ckpt-every values,
 * grace periods included), malloc frees it.  Every contender computes the
 * same checksum.  Reported: ns of thread CPU time per value (the test
 * machines are shared; CPU time is what the path costs), median of --reps
 * interleaved repetitions, and the ratios to Yield.  The zone path gets a
 * fresh 16 MiB arena per repetition (setup not timed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vgcu.h>
#include <vgcu_yield.h>
#include "bench.h"
#include "bench_util.h"

struct yopts {
	uint64_t values;
	unsigned int batch;
	unsigned int ckpt_every;
	unsigned int reps;
	enum vgc_backend backend;
	int json;
};

static inline size_t vsize(uint64_t i)
{
	return 16 + (size_t)((i * 7) & 3) * 16;
}

static inline uint64_t use_value(uint64_t *p, uint64_t i, size_t sz)
{
	p[0] = i * 85;
	p[(sz >> 3) - 1] = i ^ 0x55;
	return p[0] + p[(sz >> 3) - 1];
}

static int run_yield(const struct yopts *o, uint64_t *sum, double *ns)
{
	struct vgc_yield_scope outer, inner;
	uint64_t i, s = 0, t0 = bu_thread_cpu_ns();

	for (i = 0; i < o->values; i += o->batch) {
		uint64_t k;

		vgc_yield_enter(&outer);
		vgc_yield_enter(&inner);
		for (k = i; k < i + o->batch && k < o->values; k++) {
			size_t sz = vsize(k);
			uint64_t *p = vgc_yield_alloc(sz);

			if (!p)
				return -ENOMEM;
			s += use_value(p, k, sz);
		}
		vgc_yield_exit(&inner);
		vgc_yield_exit(&outer);
	}
	*ns = (double)(bu_thread_cpu_ns() - t0) / (double)o->values;
	*sum = s;
	return 0;
}

/*
 * A fresh arena per repetition: the span carving of a long-lived arena is
 * not what is measured here.
 */
static int zone_open(const struct yopts *o, struct vgc_arena **a)
{
	struct vgc_config cfg;
	int ret;

	vgc_config_init(&cfg);
	cfg.backend = o->backend;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	cfg.zone_bytes[VGC_ZONE_RED] = 16ULL << 20;
	ret = vgc_arena_open(&cfg, a);
	if (ret)
		return ret;
	ret = vgc_thread_register(*a, 0);
	if (ret)
		vgc_arena_close(*a);
	return ret;
}

static void zone_close(struct vgc_arena *a)
{
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

static int run_zone(const struct yopts *o, struct vgc_arena *a, uint64_t *sum,
		    double *ns)
{
	uint64_t i, s = 0, t0 = bu_thread_cpu_ns();
	int ret;

	for (i = 0; i < o->values; i++) {
		size_t sz = vsize(i);
		uint64_t *p = vgc_alloc(a, sz, VGC_ZONE_RED);

		if (!p)
			return -ENOMEM;
		s += use_value(p, i, sz);
		ret = vgc_release(a, p);
		if (ret)
			return ret;
		if ((i + 1) % o->ckpt_every == 0) {
			vgc_quiescent(a);
			ret = vgc_checkpoint(a, NULL, NULL);
			if (ret)
				return ret;
		}
	}
	*ns = (double)(bu_thread_cpu_ns() - t0) / (double)o->values;
	*sum = s;
	return 0;
}

static int run_malloc(const struct yopts *o, uint64_t *sum, double *ns)
{
	uint64_t i, s = 0, t0 = bu_thread_cpu_ns();

	for (i = 0; i < o->values; i++) {
		size_t sz = vsize(i);
		uint64_t *p = malloc(sz);

		if (!p)
			return -ENOMEM;
		s += use_value(p, i, sz);
		free(p);
	}
	*ns = (double)(bu_thread_cpu_ns() - t0) / (double)o->values;
	*sum = s;
	return 0;
}

static void usage(void)
{
	printf("usage: vgc-bench yield [--json] [--values N] [--batch N] "
	       "[--ckpt-every N] [--reps N] [--backend anon|module|auto]\n");
}

int bench_yield(int argc, char **argv)
{
	struct yopts o = {
		.values = 1000000, .batch = 64, .ckpt_every = 4096, .reps = 5,
		.backend = VGC_BACKEND_AUTO,
	};
	static const char *const names[3] = { "yield", "zone", "malloc" };
	double *t[3], med[3];
	uint64_t sums[3] = { 0 }, s = 0;
	enum vgc_backend be = VGC_BACKEND_AUTO;
	struct vgc_arena *a;
	struct vgc_yield_stats yst;
	unsigned int r, k;
	int ret = 0;
	const struct bu_opt opts[] = {
		BU_FLAG("json", &o.json),
		BU_U64("values", &o.values, 1, 0),
		BU_UINT("batch", &o.batch, 1, 0),
		BU_UINT("ckpt-every", &o.ckpt_every, 1, 0),
		BU_UINT("reps", &o.reps, 1, 0),
		BENCH_OPT_BACKEND(&o.backend),
		BU_OPT_END
	};

	switch (bu_parse_opts("yield", argc, argv, opts, NULL, 0, NULL)) {
	case 0:
		break;
	case BU_OPTS_HELP:
		usage();
		return 0;
	default:
		usage();
		return 2;
	}
	for (k = 0; k < 3; k++)
		t[k] = calloc(o.reps, sizeof(double));
	for (r = 0; r < o.reps && !ret; r++) {
		for (k = 0; k < 3 && !ret; k++) {
			if (k == 0)
				ret = run_yield(&o, &s, &t[k][r]);
			else if (k == 1) {
				ret = zone_open(&o, &a);
				if (!ret) {
					if (!r)
						be = vgc_arena_backend(a);
					ret = run_zone(&o, a, &s, &t[k][r]);
					zone_close(a);
				}
			}
			else
				ret = run_malloc(&o, &s, &t[k][r]);
			if (!r)
				sums[k] = s;
			else if (sums[k] != s)
				ret = -EIO;
		}
	}
	if (ret) {
		fprintf(stderr, "yield: %s\n", vgc_strerror(ret));
		goto out;
	}
	for (k = 0; k < 3; k++)
		med[k] = bu_median(t[k], o.reps);
	vgc_yield_stats(&yst);
	if (o.json) {
		struct bj j;

		bj_init(&j, stdout);
		bj_obj_begin(&j, NULL);
		bj_str(&j, "benchmark", "yield");
		bj_str(&j, "backend", vgc_backend_name(be));
		bj_u64(&j, "values", o.values);
		bj_u64(&j, "batch", o.batch);
		bj_u64(&j, "ckpt_every", o.ckpt_every);
		bj_u64(&j, "reps", o.reps);
		for (k = 0; k < 3; k++) {
			bj_obj_begin(&j, names[k]);
			bj_num(&j, "ns_per_value_median", med[k]);
			bj_num(&j, "ratio_to_yield", med[k] / med[0]);
			bj_u64(&j, "checksum", sums[k]);
			bj_obj_end(&j);
		}
		bj_u64(&j, "yield_chunks", yst.chunks);
		bj_u64(&j, "yield_bytes_reserved", yst.bytes_reserved);
		bj_bool(&j, "checksums_equal",
			sums[0] == sums[1] && sums[1] == sums[2]);
		bj_obj_end(&j);
		bj_finish(&j);
	} else {
		printf("vgc-bench yield: %llu ephemeral values of 16..64 B, "
		       "scope per %u values, zone checkpoint every %u, "
		       "median of %u (backend %s)\n",
		       (unsigned long long)o.values, o.batch, o.ckpt_every,
		       o.reps, vgc_backend_name(be));
		printf("  %-8s %12s %10s %18s\n", "path", "ns/value",
		       "vs yield", "checksum");
		for (k = 0; k < 3; k++)
			printf("  %-8s %12.2f %9.2fx %18llx\n", names[k], med[k],
			       med[k] / med[0], (unsigned long long)sums[k]);
		printf("  yield chunks held: %llu (%llu bytes)\n",
		       (unsigned long long)yst.chunks,
		       (unsigned long long)yst.bytes_reserved);
		printf("checksum %s\n", sums[0] == sums[1] && sums[1] == sums[2] ?
		       "equal" : "MISMATCH");
	}
	if (sums[0] != sums[1] || sums[1] != sums[2])
		ret = -EIO;
out:
	for (k = 0; k < 3; k++)
		free(t[k]);
	vgc_yield_thread_release();
	return ret ? 1 : 0;
}
