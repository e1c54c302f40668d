// SPDX-License-Identifier: GPL-2.0
/*
 * vgcctl: inspect and exercise VGC (man vgcctl(8), docs/vgcctl.md).
 *
 *   vgcctl version [--json]   module ABI, features, limit and usage
 *   vgcctl stats [--json]     module-wide counters, and where each comes from
 *   vgcctl list [--json]      every arena on the machine, any backend
 *   vgcctl top [options]      a live view of the arenas, every second
 *   vgcctl demo [options]     an arena through libvgcu, see demo.c
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vgcctl.h"
#include "vgcu.h"

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

void usage(FILE *f)
{
	fprintf(f,
		"usage: vgcctl version [--json]\n"
		"       vgcctl stats [--json]\n"
		"       vgcctl list [--json] [--pid PID]\n"
		"       vgcctl top [--json] [--pid PID] [--iterations N] [--interval MS]\n"
		"       vgcctl demo [--backend auto|module|anon] [--objects N]\n"
		"                   [--zone-kib K] [--checkpoints N] [--hold SECONDS]\n"
		"                   [--json]\n");
}

/* Options of the commands that take only --json (and --help). */
static int json_only_opts(const char *cmd, int argc, char **argv, int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = 1;
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
		fprintf(stderr, "vgcctl %s: unexpected argument '%s'\n", cmd,
			argv[optind]);
		return 2;
	}
	return -1;
}

static void version_json(struct json *j, const struct vgc_version *v, int ret)
{
	unsigned int i;

	json_bool(j, "module_loaded", ret != -ENOENT && ret != -ENODEV &&
		  ret != -ENXIO && v->abi_version);
	json_str(j, "error", ret ? vgc_strerror(ret) : NULL);
	json_u64(j, "abi_version", v->abi_version);
	json_u64(j, "vgcctl_abi_version", VGC_ABI_VERSION);
	json_u64(j, "features_mask", v->features);
	json_arr(j, "features");
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (v->features & features[i].bit)
			json_str(j, NULL, features[i].name);
	json_arr_end(j);
	json_u64(j, "max_partitions", v->max_partitions);
	json_u64(j, "max_threads", v->max_threads);
	json_u64(j, "limit_bytes", v->limit_bytes);
	json_u64(j, "used_bytes", v->used_bytes);
	json_u64(j, "nr_arenas", v->nr_arenas);
}

int cmd_version(int argc, char **argv)
{
	struct vgc_version v;
	unsigned int i;
	int json = 0, ret;

	ret = json_only_opts("version", argc, argv, &json);
	if (ret >= 0)
		return ret;
	memset(&v, 0, sizeof(v));
	ret = vgc_module_version(&v);
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_obj(&j, NULL);
		version_json(&j, &v, ret);
		json_obj_end(&j);
		json_end(&j);
		return ret ? 1 : 0;
	}
	if (ret && ret != -EPROTO && ret != -ENODEV) {
		fprintf(stderr, "vgcctl: %s\n", vgc_strerror(ret));
		return 1;
	}
	printf("abi version    %u (this vgcctl: %u)\n", v.abi_version,
	       (unsigned int)VGC_ABI_VERSION);
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

/* "key value" lines of /sys/kernel/debug/vgc/global */
struct global_kv {
	char key[64];
	unsigned long long val;
};

static int read_global(struct global_kv *kv, int max, char *err, size_t len)
{
	char line[256];
	FILE *f;
	int n = 0;

	if (debugfs_check(err, len))
		return -1;
	f = fopen(VGCCTL_DEBUGFS_VGC "/global", "r");
	if (!f) {
		snprintf(err, len, "%s/global: %s", VGCCTL_DEBUGFS_VGC,
			 strerror(errno));
		return -1;
	}
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu", kv[n].key, &kv[n].val) == 2)
			n++;
	fclose(f);
	return n;
}

/*
 * Module-wide figures come from VGC_IOC_GET_VERSION, which needs only
 * /dev/vgc; pages per NUMA node exist in debugfs only.
 */
int cmd_stats(int argc, char **argv)
{
	struct global_kv kv[VGCCTL_MAX_NODES + 8];
	char err[256] = "";
	struct vgc_version v;
	int json = 0, ret, n, i, loaded;

	ret = json_only_opts("stats", argc, argv, &json);
	if (ret >= 0)
		return ret;
	memset(&v, 0, sizeof(v));
	ret = vgc_module_version(&v);
	loaded = !ret || ret == -EPROTO;
	n = read_global(kv, (int)(sizeof(kv) / sizeof(kv[0])), err,
			sizeof(err));
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_obj(&j, "module");
		json_str(&j, "source", "VGC_IOC_GET_VERSION on /dev/vgc");
		json_bool(&j, "available", loaded);
		json_str(&j, "error", ret ? vgc_strerror(ret) : NULL);
		if (loaded) {
			json_u64(&j, "abi_version", v.abi_version);
			json_u64(&j, "limit_bytes", v.limit_bytes);
			json_u64(&j, "used_bytes", v.used_bytes);
			json_u64(&j, "nr_arenas", v.nr_arenas);
		}
		json_obj_end(&j);
		json_obj(&j, "debugfs");
		json_str(&j, "source", VGCCTL_DEBUGFS_VGC "/global");
		json_bool(&j, "available", n >= 0);
		json_str(&j, "error", n < 0 ? err : NULL);
		json_obj(&j, "node_pages");
		for (i = 0; i < n; i++) {
			unsigned int nid;
			char key[16];

			if (sscanf(kv[i].key, "node%u_pages", &nid) == 1) {
				snprintf(key, sizeof(key), "%u", nid);
				json_u64(&j, key, kv[i].val);
			}
		}
		json_obj_end(&j);
		json_obj_end(&j);
		json_obj_end(&j);
		json_end(&j);
		return loaded ? 0 : 1;
	}
	printf("from VGC_IOC_GET_VERSION on /dev/vgc:\n");
	if (loaded) {
		printf("  abi version  %u\n", v.abi_version);
		printf("  limit        %llu MiB\n",
		       (unsigned long long)(v.limit_bytes >> 20));
		printf("  used         %llu bytes\n",
		       (unsigned long long)v.used_bytes);
		printf("  arenas       %llu\n", (unsigned long long)v.nr_arenas);
	} else {
		printf("  (%s)\n", vgc_strerror(ret));
	}
	printf("from %s/global (pages per NUMA node):\n", VGCCTL_DEBUGFS_VGC);
	if (n < 0)
		printf("  (%s)\n", err);
	for (i = 0; i < n; i++) {
		unsigned int nid;

		if (sscanf(kv[i].key, "node%u_pages", &nid) == 1)
			printf("  node %u       %llu pages\n", nid, kv[i].val);
	}
	printf("per arena: vgcctl list\n");
	return loaded ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "version"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "top"))
		return cmd_top(argc - 1, argv + 1);
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argc - 1, argv + 1);
	fprintf(stderr, "vgcctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
