// SPDX-License-Identifier: GPL-2.0
/* vgcctl list: every arena on the machine, module and anonymous. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "vgcctl.h"

void fmt_bytes(char *buf, size_t len, uint64_t v)
{
	static const char unit[] = "BKMGTP";
	double d = (double)v;
	unsigned int u = 0;

	while (d >= 1024 && u < sizeof(unit) - 2) {
		d /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%" PRIu64 "B", v);
	else
		snprintf(buf, len, "%.*f%c", d < 10 ? 1 : 0, d, unit[u]);
}

/* The space-separated directories that were read, as strings. */
static void dirs_json(struct json *j, const char *dirs)
{
	char buf[sizeof(((struct arena_set *)0)->statdirs)], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", dirs);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		json_str(j, NULL, tok);
}

void sources_json(struct json *j, const struct arena_set *set)
{
	json_obj(j, "sources");
	json_obj(j, "debugfs");
	json_str(j, "path", VGCCTL_DEBUGFS_VGC);
	json_bool(j, "available", set->debugfs_ok);
	json_str(j, "error", set->debugfs_ok ? NULL : set->debugfs_error);
	json_obj_end(j);
	json_obj(j, "statfiles");
	json_arr(j, "dirs");
	dirs_json(j, set->statdirs);
	json_arr_end(j);
	json_u64(j, "stale_removed", set->stale_removed);
	json_obj_end(j);
	json_obj_end(j);
}

void arena_json(struct json *j, const struct arena_info *a, int zones_full)
{
	unsigned int z, s, i;
	uint64_t live = 0, pending = 0;

	json_str(j, "name", a->name);
	json_i64(j, "pid", a->pid);
	json_str(j, "comm", a->comm);
	json_str(j, "backend", a->backend);
	json_str(j, "source", a->source);
	json_u64(j, "id", a->id);
	json_u64(j, "partitions", a->partitions);
	if (a->threads != -1u)
		json_u64(j, "threads", a->threads);
	else
		json_null(j, "threads");
	json_u64(j, "checkpoints", a->checkpoints);
	json_u64(j, "committed_bytes", a->committed_bytes);
	json_u64(j, "map_size", a->map_size);
	json_obj(j, "node_bytes");
	for (i = 0; i < VGCCTL_MAX_NODES; i++) {
		char key[16];

		if (a->node_bytes[i]) {
			snprintf(key, sizeof(key), "%u", i);
			json_u64(j, key, a->node_bytes[i]);
		}
	}
	json_obj_end(j);
	json_str(j, "node_source", a->node_source);
	json_bool(j, "live_stats", a->have_stats);
	json_str(j, "note", a->note[0] ? a->note : NULL);
	json_arr(j, "zones");
	for (z = 0; z < VGC_NR_ZONES; z++) {
		const struct zone_info *zi = &a->zone[z];

		json_obj(j, NULL);
		json_str(j, "zone", vgcctl_zone_names[z]);
		json_u64(j, "bytes", zi->bytes);
		if (a->have_stats) {
			json_u64(j, "live", zone_live(zi));
			json_u64(j, "pending", zone_pending(zi));
			live += zone_live(zi);
			pending += zone_pending(zi);
			json_obj(j, "states");
			for (s = 0; s < VGC_NR_STATES; s++)
				json_u64(j, vgcctl_state_names[s],
					 zi->states[s]);
			json_obj_end(j);
		} else {
			json_null(j, "live");
			json_null(j, "pending");
		}
		json_u64(j, "sweeps", zi->sweeps);
		json_u64(j, "reclaimed_objects", zi->reclaimed_objects);
		json_u64(j, "reclaimed_bytes", zi->reclaimed_bytes);
		json_u64(j, "max_pause_ns", zi->max_pause_ns);
		if (zones_full && a->have_stats) {
			json_arr(j, "pause_hist");
			for (i = 0; i < VGC_PAUSE_BUCKETS; i++)
				json_u64(j, NULL, zi->hist[i]);
			json_arr_end(j);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	if (a->have_stats) {
		json_u64(j, "live", live);
		json_u64(j, "pending", pending);
	} else {
		json_null(j, "live");
		json_null(j, "pending");
	}
}

static void list_text(const struct arena_set *set)
{
	unsigned int i, z, k;

	if (!set->debugfs_ok)
		printf("# module arenas: not listed: %s\n", set->debugfs_error);
	if (set->stale_removed)
		printf("# removed %u stale statistics files\n",
		       set->stale_removed);
	if (!set->n) {
		printf("no arenas\n");
		return;
	}
	printf("%-20s %7s %-15s %-7s %5s %-20s %-22s %9s %9s\n", "ARENA", "PID",
	       "COMM", "BACKEND", "PARTS", "ZONES red/green/blue",
	       "BYTES PER NODE", "LIVE", "PENDING");
	for (i = 0; i < set->n; i++) {
		const struct arena_info *a = &set->a[i];
		char zones[64] = "", nodes[256] = "", b[16];
		uint64_t live = 0, pending = 0;
		size_t l;

		for (z = 0; z < VGC_NR_ZONES; z++) {
			fmt_bytes(b, sizeof(b), a->zone[z].bytes);
			l = strlen(zones);
			snprintf(zones + l, sizeof(zones) - l, "%s%s",
				 z ? "/" : "", b);
			live += zone_live(&a->zone[z]);
			pending += zone_pending(&a->zone[z]);
		}
		for (k = 0; k < VGCCTL_MAX_NODES; k++) {
			if (!a->node_bytes[k])
				continue;
			fmt_bytes(b, sizeof(b), a->node_bytes[k]);
			l = strlen(nodes);
			snprintf(nodes + l, sizeof(nodes) - l, "%sn%u=%s",
				 l ? " " : "", k, b);
		}
		printf("%-20s %7d %-15s %-7s %5u %-20s %-22s", a->name, a->pid,
		       a->comm, a->backend, a->partitions, zones,
		       nodes[0] ? nodes : "-");
		if (a->have_stats)
			printf(" %9" PRIu64 " %9" PRIu64 "\n", live, pending);
		else
			printf(" %9s %9s\n", "-", "-");
		if (a->note[0])
			printf("%20s # %s\n", "", a->note);
	}
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct arena_set set;
	unsigned int pid = 0, i;
	int c, json = 0;

	while ((c = getopt_long(argc, argv, "jp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'p':
			if (parse_uint("list", "--pid", optarg, 1, INT_MAX, &pid))
				return 2;
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
		fprintf(stderr, "vgcctl list: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	arenas_collect(&set, (int)pid);
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_obj(&j, NULL);
		sources_json(&j, &set);
		json_arr(&j, "arenas");
		for (i = 0; i < set.n; i++) {
			json_obj(&j, NULL);
			arena_json(&j, &set.a[i], 0);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
	} else {
		list_text(&set);
	}
	arenas_free(&set);
	return 0;
}
