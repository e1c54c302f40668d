// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints of vgc.ko (docs/tracing.md): every event of events/vgc/ has
 * the documented fields, and a scripted run (create, register, grow,
 * checkpoints that succeed and one that fails with -EAGAIN, a dead thread
 * dropped, unregister, close with a thread registered) leaves exactly the
 * expected events in the trace buffer, with the right fields and in order.
 *
 * Uses tracefs at /sys/kernel/tracing (mounted there when needed and
 * unmounted after) or debugfs's tracing/; skips when neither exists.  The
 * events go to a trace instance of the test's own, removed after, so that
 * the global buffer and its settings are left alone; its "mono" trace
 * clock (one clocksource for all CPUs) makes events of different CPUs merge
 * in real order, and sweeps are paired with their checkpoint by gp_seq.
 */
#include <limits.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "kselftest_harness.h"
#include "vgc_test.h"
#include "ckpt_util.h"

#define TRACEFS		"/sys/kernel/tracing"
#define DEBUGFS_TRACING	"/sys/kernel/debug/tracing"
#define INSTANCE	"instances/vgc_trace_test"
#define MAX_EVENTS	256
#define NP		2

struct ev {
	char name[32];
	char args[480];
	int common_pid;
};

FIXTURE(trace) {
	char top[64];			/* tracefs */
	char root[128];			/* our instance in it */
	bool mounted;
	struct ev evs[MAX_EVENTS];
	int nr;
};

static int tr_path(char *buf, size_t len, const char *root, const char *f)
{
	return snprintf(buf, len, "%s/%s", root, f) >= (int)len ? -ENAMETOOLONG : 0;
}

static int tr_write(const char *root, const char *file, const char *s)
{
	char p[256];
	int fd, ret = 0;

	if (tr_path(p, sizeof(p), root, file))
		return -ENAMETOOLONG;
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

/* A 0/1 file: its value, or -1. */
static int tr_read_bool(const char *root, const char *file)
{
	char p[256], c = 0;
	int fd;
	ssize_t n;

	if (tr_path(p, sizeof(p), root, file))
		return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 && (c == '0' || c == '1') ? c - '0' : -1;
}

static bool tr_exists(const char *root, const char *file)
{
	char p[256];

	return !tr_path(p, sizeof(p), root, file) && !access(p, F_OK);
}

FIXTURE_SETUP(trace)
{
	int fd, record_cmd, ret;

	fd = vgc_open_dev();
	if (fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
	close(fd);

	if (tr_exists(TRACEFS, "trace")) {
		strcpy(self->top, TRACEFS);
	} else if (!access(TRACEFS, F_OK) &&
		   !mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		strcpy(self->top, TRACEFS);
		self->mounted = true;
	} else if (tr_exists(DEBUGFS_TRACING, "trace")) {
		strcpy(self->top, DEBUGFS_TRACING);
	} else {
		SKIP(return, "no tracefs (kernel without CONFIG_TRACING?)");
	}
	/* Tracing is there: the module's events must be too. */
	ASSERT_TRUE(tr_exists(self->top, "events/vgc/enable"))
		TH_LOG("%s/events/vgc missing with vgc.ko loaded", self->top);

	/* A stale instance of an earlier run that died goes first. */
	snprintf(self->root, sizeof(self->root), "%s/%s", self->top, INSTANCE);
	rmdir(self->root);
	/*
	 * An instance takes record-cmd from the top level when it is made.
	 * With it, enabling an event registers the comm recorder on
	 * sched_switch and sched_wakeup, whose static keys are then patched
	 * (an int3 first) under every CPU's feet: under QEMU's multi-threaded
	 * TCG a CPU has run into such an int3 after the patching was done
	 * ("Oops: int3" in ttwu_do_activate, a panic of the 6.12 VM in CI).
	 * The test needs no comm: its instance is made without, and the top
	 * level is set back at once.
	 */
	record_cmd = tr_read_bool(self->top, "options/record-cmd");
	if (record_cmd == 1)
		tr_write(self->top, "options/record-cmd", "0");
	ret = mkdir(self->root, 0700) ? -errno : 0;
	if (record_cmd == 1)
		tr_write(self->top, "options/record-cmd", "1");
	ASSERT_EQ(0, ret)
		TH_LOG("%s: %s", self->root, strerror(-ret));
	ASSERT_TRUE(tr_exists(self->root, "events/vgc/enable"));
	ASSERT_EQ(0, tr_write(self->root, "trace_clock", "mono"));
	ASSERT_EQ(0, tr_write(self->root, "trace", ""));
	ASSERT_EQ(0, tr_write(self->root, "tracing_on", "1"));
}

FIXTURE_TEARDOWN(trace)
{
	if (self->root[0]) {
		tr_write(self->root, "events/vgc/enable", "0");
		if (rmdir(self->root) && errno != ENOENT)
			TH_LOG("rmdir %s: %s", self->root, strerror(errno));
	}
	if (self->mounted)
		umount(TRACEFS);
}

/* Every documented event, with the fields docs/tracing.md lists. */
static const char *const formats[][12] = {
	{ "vgc_arena_create", "id", "pid", "nr_partitions", "map_size",
	  "committed", "metadata", "node", "nodes" },
	{ "vgc_arena_destroy", "id", "committed", "checkpoints", "reclaimed",
	  "reclaimed_bytes" },
	{ "vgc_grow", "id", "zone", "partition", "granules",
	  "region_committed", "committed", "node" },
	{ "vgc_decommit", "id", "zone", "partition", "granules",
	  "region_committed", "committed", "node" },
	{ "vgc_checkpoint_begin", "id", "gp_seq", "mask", "flags", "zones",
	  "gens" },
	{ "vgc_checkpoint_end", "id", "gp_seq", "result", "reclaimed",
	  "reclaimed_bytes", "live", "words", "sweep_ns", "ns",
	  "blocker_slot", "blocker_tid" },
	{ "vgc_sweep", "id", "gp_seq", "partition", "cpu", "home", "words",
	  "reclaimed", "ns" },
	{ "vgc_thread_register", "id", "slot", "tid", "partition" },
	{ "vgc_thread_unregister", "id", "slot", "tid", "partition" },
	{ "vgc_thread_drop", "id", "slot", "tid", "partition", "reason" },
};

TEST_F(trace, formats)
{
	char path[256], line[512], want[64];
	unsigned int i, j;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		for (j = 1; j < 12 && formats[i][j]; j++) {
			bool found = false;
			FILE *f;

			snprintf(path, sizeof(path), "%s/events/vgc/%s/format",
				 self->root, formats[i][0]);
			f = fopen(path, "re");
			ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
			snprintf(want, sizeof(want), " %s;", formats[i][j]);
			while (!found && fgets(line, sizeof(line), f))
				found = strncmp(line, "\tfield:", 7) == 0 &&
					strstr(line, want);
			fclose(f);
			EXPECT_TRUE(found) TH_LOG("%s: no field %s", formats[i][0],
						  formats[i][j]);
		}
	}
}

/* Reads the buffer: the events of arena id (all vgc events if id < 0). */
static int read_events(struct __test_metadata *_metadata,
		       FIXTURE_DATA(trace) *self, long long id)
{
	char path[256], line[1024], want[32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", self->root);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "id=%lld ", id);
	self->nr = 0;
	while (fgets(line, sizeof(line), f)) {
		char *ev, *colon, *dash, *br;
		struct ev *e;

		if (line[0] == '#')
			continue;
		ev = strstr(line, ": vgc_");
		if (!ev)
			continue;
		ev += 2;
		colon = strchr(ev, ':');
		if (!colon || colon - ev >= (long)sizeof(e->name))
			continue;
		if (id >= 0 && strncmp(colon + 2, want, strlen(want)))
			continue;
		if (self->nr == MAX_EVENTS) {
			TH_LOG("more than %d events", MAX_EVENTS);
			break;
		}
		e = &self->evs[self->nr++];
		memcpy(e->name, ev, colon - ev);
		e->name[colon - ev] = 0;
		snprintf(e->args, sizeof(e->args), " %s", colon + 2);
		e->args[strcspn(e->args, "\n")] = 0;
		/* "comm-pid [cpu] ...": the pid ends at the last '-'. */
		br = strchr(line, '[');
		e->common_pid = -1;
		if (br) {
			*br = 0;
			dash = strrchr(line, '-');
			if (dash)
				e->common_pid = atoi(dash + 1);
		}
	}
	fclose(f);
	return 0;
}

/* Value of field key of an event, LLONG_MIN when it has none. */
static long long fld(const struct ev *e, const char *key)
{
	char want[40];
	const char *p;

	snprintf(want, sizeof(want), " %s=", key);
	p = strstr(e->args, want);
	if (!p)
		return LLONG_MIN;
	return strtoll(p + strlen(want), NULL, 0);
}

static bool fld_is(const struct ev *e, const char *key, const char *val)
{
	char want[64];

	snprintf(want, sizeof(want), " %s=%s", key, val);
	return strstr(e->args, want) != NULL;
}

struct peer {
	struct ckpt_arena *a;
	__u32 slot;
	pid_t tid;
	int ret;
};

/* Registers and exits without unregistering: dropped at a checkpoint. */
static void *peer_main(void *arg)
{
	struct peer *pe = arg;

	pe->tid = ckpt_gettid();
	pe->ret = ckpt_register(pe->a, 0, &pe->slot);
	return NULL;
}

/*
 * A checkpoint's sweeps: one per partition, on its CPU, summing to end.
 * They are the sweeps of end's gp_seq, wherever the buffer lists them: two
 * CPUs' stamps need not order a worker's event before the end it precedes.
 */
static int check_sweeps(struct __test_metadata *_metadata,
			const struct vgc_arena_params *p,
			const struct ev *ev, int nr, int end)
{
	long long words = 0, reclaimed = 0, seen = 0;
	int i, n = 0;

	for (i = 0; i < nr; i++) {
		if (strcmp(ev[i].name, "vgc_sweep") ||
		    fld(&ev[i], "gp_seq") != fld(&ev[end], "gp_seq"))
			continue;
		EXPECT_EQ(0, seen & (1LL << fld(&ev[i], "partition")));
		seen |= 1LL << fld(&ev[i], "partition");
		EXPECT_EQ(p->cpus[fld(&ev[i], "partition") & 1],
			  fld(&ev[i], "home"));
		EXPECT_EQ(fld(&ev[i], "home"), fld(&ev[i], "cpu"));
		EXPECT_LE(0, fld(&ev[i], "ns"));
		words += fld(&ev[i], "words");
		reclaimed += fld(&ev[i], "reclaimed");
		n++;
	}
	EXPECT_EQ((1LL << NP) - 1, seen) TH_LOG("gp_seq %lld",
						fld(&ev[end], "gp_seq"));
	EXPECT_EQ(fld(&ev[end], "words"), words);
	EXPECT_EQ(fld(&ev[end], "reclaimed"), reclaimed);
	EXPECT_LT(0, words);
	return n;
}

TEST_F(trace, scripted_run)
{
	static const char *const seq[] = {
		"vgc_arena_create", "vgc_thread_register", "vgc_grow",
		"vgc_checkpoint_begin", "vgc_checkpoint_end",	/* 1: ok */
		"vgc_checkpoint_begin", "vgc_checkpoint_end",	/* -EAGAIN */
		"vgc_checkpoint_begin", "vgc_checkpoint_end",	/* 2: ok */
		"vgc_thread_register",				/* peer */
		"vgc_checkpoint_begin", "vgc_thread_drop",	/* 3: exited */
		"vgc_checkpoint_end",
		"vgc_thread_unregister",
		"vgc_checkpoint_begin", "vgc_checkpoint_end",	/* 4: reclaims */
		"vgc_thread_register", "vgc_thread_drop",	/* closed */
		"vgc_arena_destroy",
	};
	struct vgc_arena_params p;
	struct vgc_checkpoint ck;
	struct ckpt_arena a;
	struct peer pe = { .a = &a };
	const struct vgc_region *r;
	struct vgc_grow g;
	struct ev *ev = self->evs;
	pthread_t th;
	__u32 slot, slot2;
	__u64 obj, committed0, committed1, grown;
	long long id, last_gp = -1;
	int i, n, ck_nr = 0, begin = -1, sweeps = 0, swept = 0;
	char tid[16];

	ckpt_params(&p, NP, VGC_SPAN_GRANULES, VGC_SPAN_GRANULES, 0);
	/* The last CPU: on another node than CPU 0 in the test VM. */
	p.cpus[1] = ckpt_nr_cpus() - 1;
	p.zone_reserve_granules[VGC_ZONE_GREEN] = VGC_SPAN_GRANULES;
	ASSERT_EQ(0, tr_write(self->root, "events/vgc/enable", "1"));

	ASSERT_EQ(0, ckpt_open(&a, &p));
	committed0 = a.ctrl->committed_bytes;
	/* An object to release: reclaimed by the fourth checkpoint. */
	r = ckpt_region(&a, VGC_ZONE_GREEN, 0);
	obj = r->first_granule + 64 * 3 + 5;
	ckpt_alloc(&a, obj, 4);
	ASSERT_EQ(0, ckpt_batch1(&a, VGC_BATCH_RELEASE, obj));

	ASSERT_EQ(0, ckpt_register(&a, 1, &slot));
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.zone = VGC_ZONE_GREEN;
	g.partition = 1;
	g.granules = VGC_SPAN_GRANULES;
	ASSERT_EQ(0, ckpt_ioctl(a.fd, VGC_IOC_GROW, &g));
	grown = g.committed_granules;
	committed1 = a.ctrl->committed_bytes;
	ASSERT_EQ(committed0 + VGC_SPAN_GRANULES * VGC_GRANULE_SIZE, committed1);
	ASSERT_EQ(0, ckpt_layout(&a));

	ASSERT_EQ(0, ckpt_run(&a, 0, 0, &ck));
	ASSERT_EQ(-EAGAIN, ckpt_run(&a, 0, 0, &ck));
	ASSERT_EQ(slot, ck.blocker_slot);
	ckpt_announce(&a, slot);
	ASSERT_EQ(0, ckpt_run(&a, 0, 0, &ck));

	ASSERT_EQ(0, pthread_create(&th, NULL, peer_main, &pe));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, pe.ret);
	ckpt_announce(&a, slot);
	ASSERT_EQ(0, ckpt_run(&a, 0, 0, &ck));

	ASSERT_EQ(0, ckpt_unregister(&a, slot));
	ASSERT_EQ(0, ckpt_run(&a, 0, 0, &ck));
	ASSERT_EQ(1, ck.counts.reclaimed);

	/* Closed with a thread registered: the release drops it. */
	ASSERT_EQ(0, ckpt_register(&a, 0, &slot2));
	ckpt_close(&a);
	ASSERT_EQ(0, vgc_wait_idle(5000));
	ASSERT_EQ(0, tr_write(self->root, "events/vgc/enable", "0"));

	/* Our arena is the one whose creator is this process. */
	ASSERT_EQ(0, read_events(_metadata, self, -1));
	id = -1;
	for (i = 0; i < self->nr; i++)
		if (!strcmp(ev[i].name, "vgc_arena_create") &&
		    fld(&ev[i], "pid") == getpid()) {
			ASSERT_EQ(-1, id) TH_LOG("two arenas created by us");
			id = fld(&ev[i], "id");
		}
	ASSERT_LE(0, id) TH_LOG("no vgc_arena_create with pid=%d in %d events",
				getpid(), self->nr);
	ASSERT_EQ(0, read_events(_metadata, self, id));
	for (i = 0; i < self->nr; i++)
		TH_LOG("%s:%s", ev[i].name, ev[i].args);

	/* The sequence, sweeps aside. */
	for (i = 0, n = 0; i < self->nr; i++) {
		if (!strcmp(ev[i].name, "vgc_sweep")) {
			sweeps++;
			continue;
		}
		ASSERT_LT(n, (int)(sizeof(seq) / sizeof(seq[0])));
		ASSERT_STREQ(seq[n], ev[i].name) TH_LOG("event %d", n);
		n++;
	}
	ASSERT_EQ((int)(sizeof(seq) / sizeof(seq[0])), n);

	for (i = 0; i < self->nr; i++) {
		const struct ev *e = &ev[i];

		if (!strcmp(e->name, "vgc_arena_create")) {
			EXPECT_EQ(getpid(), fld(e, "pid"));
			EXPECT_EQ(getpid(), e->common_pid);
			EXPECT_EQ(NP, fld(e, "nr_partitions"));
			EXPECT_EQ((long long)a.lay.map_size, fld(e, "map_size"));
			EXPECT_EQ((long long)committed0, fld(e, "committed"));
			EXPECT_EQ((long long)a.lay.data_offset,
				  fld(e, "metadata"));
			EXPECT_EQ(ckpt_region(&a, VGC_ZONE_RED, 0)->node,
				  fld(e, "node"));
			EXPECT_EQ((1LL << ckpt_region(&a, VGC_ZONE_RED, 0)->node) |
				  (1LL << ckpt_region(&a, VGC_ZONE_RED, 1)->node),
				  fld(e, "nodes"));
		} else if (!strcmp(e->name, "vgc_grow")) {
			EXPECT_EQ(VGC_ZONE_GREEN, fld(e, "zone"));
			EXPECT_EQ(1, fld(e, "partition"));
			EXPECT_EQ(VGC_SPAN_GRANULES, fld(e, "granules"));
			EXPECT_EQ((long long)grown, fld(e, "region_committed"));
			EXPECT_EQ((long long)committed1, fld(e, "committed"));
			EXPECT_EQ(ckpt_region(&a, VGC_ZONE_GREEN, 1)->node,
				  fld(e, "node"));
		} else if (!strcmp(e->name, "vgc_checkpoint_begin")) {
			begin = i;
			EXPECT_EQ((1LL << NP) - 1, fld(e, "mask"));
			EXPECT_EQ(0, fld(e, "flags"));
			EXPECT_NE(0, fld(e, "zones") & (1 << VGC_ZONE_GREEN));
			EXPECT_NE(0, fld(e, "gens") & (1 << VGC_GEN0));
		} else if (!strcmp(e->name, "vgc_checkpoint_end")) {
			ASSERT_LE(0, begin);
			EXPECT_LE(fld(e, "sweep_ns"), fld(e, "ns"));
			if (fld(e, "result") == -EAGAIN) {
				/* The failed one: second, gp_seq unchanged. */
				EXPECT_EQ(1, ck_nr);
				EXPECT_EQ(fld(&ev[begin], "gp_seq"),
					  fld(e, "gp_seq"));
				EXPECT_EQ(last_gp, fld(e, "gp_seq"));
				EXPECT_EQ(slot, fld(e, "blocker_slot"));
				EXPECT_EQ(ckpt_gettid(), fld(e, "blocker_tid"));
			} else {
				EXPECT_EQ(0, fld(e, "result"));
				EXPECT_EQ(fld(&ev[begin], "gp_seq") + 1,
					  fld(e, "gp_seq"));
				EXPECT_LT(last_gp, fld(e, "gp_seq"));
				EXPECT_EQ(0, fld(e, "blocker_tid"));
				last_gp = fld(e, "gp_seq");
				swept += check_sweeps(_metadata, &p, ev,
						      self->nr, i);
				/* released, then 3 more: reclaimed at the 4th */
				EXPECT_EQ(ck_nr == 4 ? 1 : 0,
					  fld(e, "reclaimed"));
				EXPECT_EQ(ck_nr == 4 ? 4 * VGC_GRANULE_SIZE : 0,
					  fld(e, "reclaimed_bytes"));
			}
			ck_nr++;
		} else if (!strcmp(e->name, "vgc_thread_register")) {
			EXPECT_EQ(e->common_pid, fld(e, "tid"));
		} else if (!strcmp(e->name, "vgc_thread_drop")) {
			if (fld_is(e, "reason", "exited")) {
				EXPECT_EQ(pe.slot, fld(e, "slot"));
				EXPECT_EQ(pe.tid, fld(e, "tid"));
				EXPECT_EQ(0, fld(e, "partition"));
			} else {
				EXPECT_TRUE(fld_is(e, "reason", "closed"));
				EXPECT_EQ(slot2, fld(e, "slot"));
				EXPECT_EQ(ckpt_gettid(), fld(e, "tid"));
			}
		} else if (!strcmp(e->name, "vgc_thread_unregister")) {
			EXPECT_EQ(slot, fld(e, "slot"));
			EXPECT_EQ(ckpt_gettid(), fld(e, "tid"));
			EXPECT_EQ(1, fld(e, "partition"));
		} else if (!strcmp(e->name, "vgc_arena_destroy")) {
			EXPECT_EQ((long long)committed1, fld(e, "committed"));
			EXPECT_EQ(4, fld(e, "checkpoints"));
			EXPECT_EQ(1, fld(e, "reclaimed"));
			EXPECT_EQ(4 * VGC_GRANULE_SIZE,
				  fld(e, "reclaimed_bytes"));
		}
	}
	EXPECT_EQ(5, ck_nr);
	/* None from the failed checkpoint, none of another gp_seq. */
	EXPECT_EQ(4 * NP, sweeps);
	EXPECT_EQ(sweeps, swept);
	/* The first register is ours, on partition 1; the peer's on 0. */
	for (i = 0, n = 0; i < self->nr; i++) {
		if (strcmp(ev[i].name, "vgc_thread_register"))
			continue;
		snprintf(tid, sizeof(tid), "%d",
			 n == 1 ? pe.tid : ckpt_gettid());
		EXPECT_TRUE(fld_is(&ev[i], "tid", tid)) TH_LOG("register %d", n);
		EXPECT_EQ(n == 0 ? 1 : 0, fld(&ev[i], "partition"));
		EXPECT_EQ(n == 0 ? slot : n == 1 ? pe.slot : slot2,
			  fld(&ev[i], "slot"));
		n++;
	}
	EXPECT_EQ(3, n);
}

TEST_HARNESS_MAIN
