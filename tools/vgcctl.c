// SPDX-License-Identifier: GPL-2.0
/*
 * vgcctl: inspect and exercise VGC.
 *
 *   vgcctl version          module ABI, features, limit and usage
 *   vgcctl stats            module counters and the module's debugfs files
 *   vgcctl demo [options]   an arena through libvgcu: every partition's
 *                           thread allocates in every zone, touches and
 *                           releases some objects, checkpoints run, and the
 *                           occupancy per zone, partition and NUMA node is
 *                           printed with the node of the pages
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vgc.h>
#include "vgcu.h"

static const char *const zone_names[VGC_NR_ZONES] = { "red", "green", "blue" };
static const char *const state_names[VGC_NR_STATES] = {
	"idle", "active", "promote", "demote",
	"persist", "deferred", "marked", "expired",
};

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ VGC_FEAT_ARENA, "arena" },
	{ VGC_FEAT_NODE_QUERY, "node-query" },
	{ VGC_FEAT_GROW, "grow" },
	{ VGC_FEAT_THREADS, "threads" },
	{ VGC_FEAT_CHECKPOINT, "checkpoint" },
	{ VGC_FEAT_BATCH, "batch" },
	{ VGC_FEAT_STATS, "stats" },
	{ VGC_FEAT_URING_CMD, "uring-cmd" },
};

static int cmd_version(void)
{
	struct vgc_version v;
	unsigned int i;
	int ret = vgc_module_version(&v);

	if (ret && ret != -EPROTO && ret != -ENODEV) {
		fprintf(stderr, "vgcctl: %s\n", vgc_strerror(ret));
		return 1;
	}
	printf("abi version    %u (this vgcctl: %u)\n", v.abi_version,
	       VGC_ABI_VERSION);
	printf("features       0x%llx", (unsigned long long)v.features);
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (v.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\n");
	printf("max partitions %u\n", v.max_partitions);
	printf("max threads    %u\n", v.max_threads);
	printf("limit          %llu MiB\n",
	       (unsigned long long)(v.limit_bytes >> 20));
	printf("used           %llu bytes\n", (unsigned long long)v.used_bytes);
	printf("arenas         %llu\n", (unsigned long long)v.nr_arenas);
	if (ret)
		fprintf(stderr, "vgcctl: %s\n", vgc_strerror(ret));
	return ret ? 1 : 0;
}

static void cat_dir(const char *dir)
{
	struct dirent **names;
	char path[512], buf[4096];
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		printf("(%s: %s)\n", dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		FILE *f;
		size_t len;

		if (names[i]->d_name[0] == '.')
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		f = fopen(path, "r");
		if (!f)
			goto next;
		printf("--- %s\n", path);
		while ((len = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, len, stdout);
		fclose(f);
next:
		free(names[i]);
	}
	free(names);
}

static int cmd_stats(void)
{
	if (cmd_version())
		return 1;
	cat_dir("/sys/kernel/debug/vgc");
	return 0;
}

/* ---- demo ---------------------------------------------------------------- */

struct demo {
	struct vgc_arena *a;
	unsigned int objects;		/* per zone and thread */
	unsigned int release_every;
	unsigned int touch_every;
};

struct worker {
	struct demo *d;
	unsigned int partition;
	unsigned int cpu;
	pthread_t tid;
	int err;
	unsigned long allocated, released, touched, failed;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct demo *d = w->d;
	cpu_set_t set;
	unsigned int z, i;
	int ret;

	/* Run on the partition's CPU, so first touches are local too. */
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	ret = vgc_thread_register(d->a, (int)w->partition);
	if (ret < 0) {
		w->err = ret;
		return NULL;
	}
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (i = 0; i < d->objects; i++) {
			/* 16 B .. 128 B: four size classes per zone. */
			size_t size = 16u << (i % 4);
			char *p = vgc_alloc(d->a, size, (enum vgc_zone)z);

			if (!p) {
				w->failed++;
				continue;
			}
			w->allocated++;
			memset(p, (int)(i & 0xff), size);
			if (d->release_every && i % d->release_every == 0) {
				if (!vgc_release(d->a, p))
					w->released++;
			} else if (d->touch_every && i % d->touch_every == 0) {
				if (!vgc_touch(d->a, p))
					w->touched++;
			}
		}
	}
	vgc_quiescent(d->a);
	w->err = vgc_thread_unregister(d->a);
	return NULL;
}

/* Node of the page at p by move_pages(2), -errno when unknown. */
static int page_node(void *p)
{
	int status = -1;
	void *pages[1] = { p };

	if (move_pages(0, 1, pages, NULL, &status, 0))
		return -errno;
	return status;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vgcctl version\n"
		"       vgcctl stats\n"
		"       vgcctl demo [--backend auto|module|anon] [--objects N]\n"
		"                   [--zone-kib K] [--checkpoints N]\n");
}

static int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "objects", required_argument, NULL, 'n' },
		{ "zone-kib", required_argument, NULL, 'z' },
		{ "checkpoints", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { .objects = 200, .release_every = 4, .touch_every = 3 };
	uint64_t node_objs[64] = { 0 }, node_bytes[64] = { 0 };
	unsigned int np, p, z, i, ckpts = 4, mismatches = 0;
	struct vgc_config cfg;
	struct worker *w;
	uint64_t zone_kib = 1024;
	int c, ret;

	vgc_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "b:n:z:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (vgc_backend_parse(optarg, &cfg.backend))
				return usage(stderr), 2;
			break;
		case 'n':
			d.objects = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'z':
			zone_kib = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			ckpts = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (z = 0; z < VGC_NR_ZONES; z++)
		cfg.zone_bytes[z] = zone_kib << 10;

	ret = vgc_arena_open(&cfg, &d.a);
	if (ret < 0) {
		fprintf(stderr, "vgcctl demo: arena: %s\n", vgc_strerror(ret));
		return 1;
	}
	np = vgc_arena_partitions(d.a);
	printf("backend: %s (%s)\n", vgc_backend_name(vgc_arena_backend(d.a)),
	       vgc_backend_reason(d.a));
	printf("arena: %u partitions, %llu KiB per zone and partition, %u objects per zone and thread\n",
	       np, (unsigned long long)zone_kib, d.objects);

	w = calloc(np, sizeof(*w));
	if (!w)
		return 1;
	for (p = 0; p < np; p++) {
		w[p].d = &d;
		w[p].partition = p;
		w[p].cpu = vgc_arena_region(d.a, VGC_ZONE_RED, p)->cpu;
		if (pthread_create(&w[p].tid, NULL, worker_main, &w[p])) {
			fprintf(stderr, "vgcctl demo: pthread_create failed\n");
			return 1;
		}
	}
	for (p = 0; p < np; p++) {
		pthread_join(w[p].tid, NULL);
		printf("partition %u (cpu %u): allocated %lu, released %lu, touched %lu, full %lu%s%s\n",
		       p, w[p].cpu, w[p].allocated, w[p].released, w[p].touched,
		       w[p].failed, w[p].err ? ", error: " : "",
		       w[p].err ? vgc_strerror(w[p].err) : "");
	}

	/* Released objects go Deferred -> Marked -> Expired -> reclaimed. */
	for (i = 1; i <= ckpts; i++) {
		struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };
		struct vgc_checkpoint r;

		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		ret = vgc_checkpoint(d.a, &o, &r);
		if (ret < 0) {
			printf("checkpoint %u: %s\n", i, vgc_strerror(ret));
			continue;
		}
		printf("checkpoint %u: %llu us, live %llu, to idle %llu, to active %llu, deferred %llu, marked %llu, expired %llu, reclaimed %llu (%llu bytes)\n",
		       i, (unsigned long long)(r.sweep_ns / 1000),
		       (unsigned long long)r.counts.live,
		       (unsigned long long)r.counts.to_idle,
		       (unsigned long long)r.counts.to_active,
		       (unsigned long long)r.counts.deferred,
		       (unsigned long long)r.counts.marked,
		       (unsigned long long)r.counts.expired,
		       (unsigned long long)r.counts.reclaimed,
		       (unsigned long long)r.counts.reclaimed_bytes);
	}

	printf("\n%-6s %4s %4s %9s %10s %8s %9s", "zone", "part", "cpu",
	       "node:cpu", "node:pages", "objects", "bytes");
	for (i = 0; i < VGC_NR_STATES; i++)
		printf(" %8s", state_names[i]);
	printf("\n");
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (p = 0; p < np; p++) {
			const struct vgc_region *r = vgc_arena_region(d.a, z, p);
			int want = numa_node_of_cpu((int)r->cpu);
			int got = -1;
			struct vgc_usage u;

			memset(&u, 0, sizeof(u));
			ret = vgc_region_usage(d.a, z, p, 0, &u);
			if (ret < 0)
				printf("usage of %s/%u: %s\n", zone_names[z], p,
				       vgc_strerror(ret));
			/* The nursery's first page: where the objects went. */
			if (r->gen_granules[VGC_GEN0]) {
				volatile char *pg = (char *)vgc_arena_base(d.a) +
					(r->gen_first[VGC_GEN0] << VGC_GRANULE_SHIFT);

				(void)*pg;
				got = page_node((void *)pg);
			}
			printf("%-6s %4u %4u %9d %10d %8llu %9llu", zone_names[z],
			       p, r->cpu, want, got, (unsigned long long)u.live,
			       (unsigned long long)u.live_bytes);
			for (i = 0; i < VGC_NR_STATES; i++)
				printf(" %8llu", (unsigned long long)u.states[i]);
			if (got >= 0 && got != want) {
				printf("  MISMATCH");
				mismatches++;
			}
			printf("\n");
			if (got >= 0 && got < 63) {
				node_objs[got] += u.live;
				node_bytes[got] += u.live_bytes;
			} else {
				node_objs[63] += u.live;
				node_bytes[63] += u.live_bytes;
			}
		}
	}
	printf("\nper NUMA node (node of the pages):\n");
	for (i = 0; i < 63; i++)
		if (node_objs[i] || node_bytes[i])
			printf("node %u: %llu objects, %llu bytes\n", i,
			       (unsigned long long)node_objs[i],
			       (unsigned long long)node_bytes[i]);
	if (node_objs[63])
		printf("node unknown: %llu objects, %llu bytes\n",
		       (unsigned long long)node_objs[63],
		       (unsigned long long)node_bytes[63]);
	if (mismatches)
		printf("%u regions are not on their CPU's node\n", mismatches);
	else
		printf("every region is on its CPU's node\n");

	vgc_arena_close(d.a);
	free(w);
	return mismatches ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "version"))
		return cmd_version();
	if (!strcmp(argv[1], "stats"))
		return cmd_stats();
	if (!strcmp(argv[1], "demo"))
		return cmd_demo(argc - 1, argv + 1);
	fprintf(stderr, "vgcctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
