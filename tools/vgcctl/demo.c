// SPDX-License-Identifier: GPL-2.0
/*
 * vgcctl demo: an arena through libvgcu: every partition's thread allocates
 * in every zone, touches and releases some objects, checkpoints run, and
 * the occupancy per zone, partition and NUMA node is printed with the node
 * of the pages.  --hold keeps the arena open for a while with a little
 * churn, so that "vgcctl list" and "vgcctl top" have a live arena to show.
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/vgc.h>
#include "vgcu.h"
#include "vgcctl.h"

#define zone_names vgcctl_zone_names
#define state_names vgcctl_state_names
#define DEMO_MAX_CKPTS 1000

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

/*
 * Keeps the arena open for hold_s seconds: every 100 ms the calling thread
 * allocates a few objects in every zone, releases those of the previous
 * round and runs a checkpoint, so that list and top see it move.
 */
static void demo_hold(struct vgc_arena *a, unsigned int hold_s)
{
	enum { PER_ZONE = 64 };
	void *objs[VGC_NR_ZONES][PER_ZONE] = { { NULL } };
	struct timespec tick = { 0, 100 * 1000 * 1000 }, now;
	unsigned int z, i;
	time_t end;

	clock_gettime(CLOCK_MONOTONIC, &now);
	end = now.tv_sec + (time_t)hold_s;

	if (vgc_thread_register(a, 0) < 0) {
		sleep(hold_s);
		return;
	}
	for (;;) {
		struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec >= end)
			break;

		for (z = 0; z < VGC_NR_ZONES; z++) {
			for (i = 0; i < PER_ZONE; i++) {
				if (objs[z][i])
					vgc_release(a, objs[z][i]);
				objs[z][i] = vgc_alloc(a, 16u << (i % 4),
						       (enum vgc_zone)z);
				if (objs[z][i] && i % 3 == 0)
					vgc_touch(a, objs[z][i]);
			}
		}
		vgc_quiescent(a);
		vgc_thread_offline(a);
		vgc_checkpoint(a, &o, NULL);
		nanosleep(&tick, NULL);
		vgc_thread_online(a);
		vgc_quiescent(a);
	}
	vgc_thread_unregister(a);
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "objects", required_argument, NULL, 'n' },
		{ "zone-kib", required_argument, NULL, 'z' },
		{ "checkpoints", required_argument, NULL, 'c' },
		{ "hold", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { .objects = 200, .release_every = 4, .touch_every = 3 };
	uint64_t node_objs[64] = { 0 }, node_bytes[64] = { 0 };
	unsigned int np, p, z, i, ckpts = 4, mismatches = 0, hold = 0;
	struct vgc_checkpoint *res;
	struct vgc_config cfg;
	struct worker *w;
	uint64_t zone_kib = 1024;
	int c, ret, json = 0;
	struct json j;

	vgc_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "b:n:z:c:H:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (vgc_backend_parse(optarg, &cfg.backend)) {
				fprintf(stderr,
					"vgcctl demo: --backend: '%s' is not a backend (accepted: auto, module, anon)\n",
					optarg);
				return 2;
			}
			break;
		case 'n':
			if (parse_uint("demo", "--objects", optarg, 1, 1000000,
				       &d.objects))
				return 2;
			break;
		case 'z':
			if (parse_u64("demo", "--zone-kib", optarg, 64, 262144,
				      &zone_kib))
				return 2;
			break;
		case 'c':
			if (parse_uint("demo", "--checkpoints", optarg, 0,
				       DEMO_MAX_CKPTS, &ckpts))
				return 2;
			break;
		case 'H':
			if (parse_uint("demo", "--hold", optarg, 0, 86400, &hold))
				return 2;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vgcctl demo: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	for (z = 0; z < VGC_NR_ZONES; z++)
		cfg.zone_bytes[z] = zone_kib << 10;

	ret = vgc_arena_open(&cfg, &d.a);
	if (ret < 0) {
		fprintf(stderr, "vgcctl demo: arena: %s\n", vgc_strerror(ret));
		return 1;
	}
	np = vgc_arena_partitions(d.a);
	if (json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_i64(&j, "pid", getpid());
		json_str(&j, "backend",
			 vgc_backend_name(vgc_arena_backend(d.a)));
		json_str(&j, "backend_reason", vgc_backend_reason(d.a));
		json_u64(&j, "partitions", np);
		json_u64(&j, "zone_kib", zone_kib);
		json_u64(&j, "objects", d.objects);
	} else {
		printf("backend: %s (%s)\n",
		       vgc_backend_name(vgc_arena_backend(d.a)),
		       vgc_backend_reason(d.a));
		printf("arena: %u partitions, %llu KiB per zone and partition, %u objects per zone and thread\n",
		       np, (unsigned long long)zone_kib, d.objects);
	}

	w = calloc(np, sizeof(*w));
	res = calloc(ckpts + 1, sizeof(*res));
	if (!w || !res)
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
	if (json)
		json_arr(&j, "workers");
	for (p = 0; p < np; p++) {
		pthread_join(w[p].tid, NULL);
		if (json) {
			json_obj(&j, NULL);
			json_u64(&j, "partition", p);
			json_u64(&j, "cpu", w[p].cpu);
			json_u64(&j, "allocated", w[p].allocated);
			json_u64(&j, "released", w[p].released);
			json_u64(&j, "touched", w[p].touched);
			json_u64(&j, "full", w[p].failed);
			json_str(&j, "error",
				 w[p].err ? vgc_strerror(w[p].err) : NULL);
			json_obj_end(&j);
			continue;
		}
		printf("partition %u (cpu %u): allocated %lu, released %lu, touched %lu, full %lu%s%s\n",
		       p, w[p].cpu, w[p].allocated, w[p].released, w[p].touched,
		       w[p].failed, w[p].err ? ", error: " : "",
		       w[p].err ? vgc_strerror(w[p].err) : "");
	}
	if (json) {
		json_arr_end(&j);
		json_arr(&j, "checkpoints");
	}

	/* Released objects go Deferred -> Marked -> Expired -> reclaimed. */
	for (i = 1; i <= ckpts; i++) {
		struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };
		struct vgc_checkpoint *r = &res[i];

		r->size = sizeof(*r);
		ret = vgc_checkpoint(d.a, &o, r);
		if (json) {
			json_obj(&j, NULL);
			json_u64(&j, "n", i);
			json_str(&j, "error", ret < 0 ? vgc_strerror(ret) : NULL);
			json_u64(&j, "sweep_ns", r->sweep_ns);
			json_u64(&j, "live", r->counts.live);
			json_u64(&j, "to_idle", r->counts.to_idle);
			json_u64(&j, "to_active", r->counts.to_active);
			json_u64(&j, "deferred", r->counts.deferred);
			json_u64(&j, "marked", r->counts.marked);
			json_u64(&j, "expired", r->counts.expired);
			json_u64(&j, "reclaimed", r->counts.reclaimed);
			json_u64(&j, "reclaimed_bytes", r->counts.reclaimed_bytes);
			json_obj_end(&j);
			continue;
		}
		if (ret < 0) {
			printf("checkpoint %u: %s\n", i, vgc_strerror(ret));
			continue;
		}
		printf("checkpoint %u: %llu us, live %llu, to idle %llu, to active %llu, deferred %llu, marked %llu, expired %llu, reclaimed %llu (%llu bytes)\n",
		       i, (unsigned long long)(r->sweep_ns / 1000),
		       (unsigned long long)r->counts.live,
		       (unsigned long long)r->counts.to_idle,
		       (unsigned long long)r->counts.to_active,
		       (unsigned long long)r->counts.deferred,
		       (unsigned long long)r->counts.marked,
		       (unsigned long long)r->counts.expired,
		       (unsigned long long)r->counts.reclaimed,
		       (unsigned long long)r->counts.reclaimed_bytes);
	}

	if (json) {
		json_arr_end(&j);
		json_arr(&j, "regions");
	} else {
		printf("\n%-6s %4s %4s %9s %10s %8s %9s", "zone", "part", "cpu",
		       "node:cpu", "node:pages", "objects", "bytes");
		for (i = 0; i < VGC_NR_STATES; i++)
			printf(" %8s", state_names[i]);
		printf("\n");
	}
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (p = 0; p < np; p++) {
			const struct vgc_region *r = vgc_arena_region(d.a, z, p);
			int want = numa_node_of_cpu((int)r->cpu);
			int got = -1;
			struct vgc_usage u;

			memset(&u, 0, sizeof(u));
			ret = vgc_region_usage(d.a, z, p, 0, &u);
			if (ret < 0)
				fprintf(stderr, "vgcctl demo: usage of %s/%u: %s\n",
					zone_names[z], p, vgc_strerror(ret));
			/* The nursery's first page: where the objects went. */
			if (r->gen_granules[VGC_GEN0]) {
				volatile char *pg = (char *)vgc_arena_base(d.a) +
					(r->gen_first[VGC_GEN0] << VGC_GRANULE_SHIFT);

				(void)*pg;
				got = page_node((void *)pg);
			}
			if (got >= 0 && got != want)
				mismatches++;
			if (got >= 0 && got < 63) {
				node_objs[got] += u.live;
				node_bytes[got] += u.live_bytes;
			} else {
				node_objs[63] += u.live;
				node_bytes[63] += u.live_bytes;
			}
			if (json) {
				json_obj(&j, NULL);
				json_str(&j, "zone", zone_names[z]);
				json_u64(&j, "partition", p);
				json_u64(&j, "cpu", r->cpu);
				json_i64(&j, "cpu_node", want);
				json_i64(&j, "page_node", got);
				json_u64(&j, "objects", u.live);
				json_u64(&j, "bytes", u.live_bytes);
				json_obj(&j, "states");
				for (i = 0; i < VGC_NR_STATES; i++)
					json_u64(&j, state_names[i], u.states[i]);
				json_obj_end(&j);
				json_obj_end(&j);
				continue;
			}
			printf("%-6s %4u %4u %9d %10d %8llu %9llu", zone_names[z],
			       p, r->cpu, want, got, (unsigned long long)u.live,
			       (unsigned long long)u.live_bytes);
			for (i = 0; i < VGC_NR_STATES; i++)
				printf(" %8llu", (unsigned long long)u.states[i]);
			if (got >= 0 && got != want)
				printf("  MISMATCH");
			printf("\n");
		}
	}
	if (json) {
		json_arr_end(&j);
		json_u64(&j, "mismatches", mismatches);
		json_u64(&j, "hold_s", hold);
		json_obj_end(&j);
		json_end(&j);
	} else {
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
			printf("%u regions are not on their CPU's node\n",
			       mismatches);
		else
			printf("every region is on its CPU's node\n");
	}
	if (hold) {
		if (!json)
			printf("holding the arena for %u s (pid %d): vgcctl list, vgcctl top\n",
			       hold, (int)getpid());
		fflush(stdout);
		demo_hold(d.a, hold);
	}

	vgc_arena_close(d.a);
	free(w);
	free(res);
	return mismatches ? 1 : 0;
}
