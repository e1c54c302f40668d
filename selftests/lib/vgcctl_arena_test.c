// SPDX-License-Identifier: GPL-2.0
/*
 * vgcctl list and top see this process's arena, with the right owner: on
 * the module (in the VM) through debugfs, whose arena file names our pid
 * and comm; on the anonymous backend (on the host) through the library's
 * statistics file.  Needs build/tools/vgcctl next to the selftests.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

static int vgcctl_path(char *buf, size_t len)
{
	if (vgct_build_path(buf, len, "tools/vgcctl"))
		return -1;
	return access(buf, X_OK);
}

/* Output of a command that succeeded, NUL-terminated, or NULL. */
static char *run(const char *cmd)
{
	int st;
	char *out = vgct_run(cmd, 1 << 20, &st);

	if (out && st) {
		free(out);
		return NULL;
	}
	return out;
}

static struct vgc_arena *open_busy_arena(struct __test_metadata *_metadata)
{
	struct vgc_arena *a;
	void *p[64];
	int err, i;

	err = vgc_arena_open(NULL, &a);
	EXPECT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	if (err)
		return NULL;
	EXPECT_EQ(0, vgc_thread_register(a, 0));
	for (i = 0; i < 64; i++) {
		p[i] = vgc_alloc(a, 32, VGC_ZONE_GREEN);
		EXPECT_NE(NULL, p[i]);
		if (p[i] && i % 2)
			vgc_release(a, p[i]);
	}
	vgc_quiescent(a);
	vgc_thread_offline(a);
	EXPECT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	return a;
}

TEST(list_shows_owner)
{
	char vgcctl[PATH_MAX], cmd[PATH_MAX + 64], want[128], comm[17] = "";
	struct vgc_arena *a;
	char *out, *rate, *p;
	int module;

	if (vgcctl_path(vgcctl, sizeof(vgcctl)))
		SKIP(return, "%.900s not built (make tools)", vgcctl);
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	a = open_busy_arena(_metadata);
	ASSERT_NE(NULL, a);
	module = vgc_arena_backend(a) == VGC_BACKEND_MODULE;

	snprintf(cmd, sizeof(cmd), "%s list --json --pid %d", vgcctl,
		 (int)getpid());
	out = run(cmd);
	ASSERT_NE(NULL, out);
	TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"pid\":%d,\"comm\":\"%s\",\"backend\":\"%s\",\"source\":\"%s\"",
		 (int)getpid(), comm, module ? "module" : "anon",
		 module ? "debugfs" : "statfile");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no %s", want);
	EXPECT_NE(NULL, strstr(out, "\"live_stats\":true"));
	free(out);

	snprintf(cmd, sizeof(cmd), "%s list", vgcctl);
	out = run(cmd);
	ASSERT_NE(NULL, out);
	TH_LOG("%s", out);
	snprintf(want, sizeof(want), " %d %s ", (int)getpid(), comm);
	EXPECT_NE(NULL, strstr(out, want));
	free(out);

	/* top: two frames, the second with rates */
	snprintf(cmd, sizeof(cmd), "%s top --json --iterations 2 --interval 200 --pid %d",
		 vgcctl, (int)getpid());
	out = run(cmd);
	ASSERT_NE(NULL, out);
	/* the second frame's, the first has no previous sample */
	for (rate = NULL, p = out; (p = strstr(p, "\"checkpoints_per_s\":")); p++)
		rate = p;
	EXPECT_NE(NULL, rate) TH_LOG("%s", out);
	if (rate)
		EXPECT_TRUE(isdigit((unsigned char)rate[20])) TH_LOG("%s", rate);
	free(out);
	vgc_arena_close(a);
}

/* On the module, the debugfs file itself names the owner. */
TEST(debugfs_names_owner)
{
	char want_pid[32], want_comm[32], comm[17] = "", buf[8192];
	struct vgc_arena *a;
	int found = 0;
	size_t i;
	glob_t g;

	a = open_busy_arena(_metadata);
	ASSERT_NE(NULL, a);
	if (vgc_arena_backend(a) != VGC_BACKEND_MODULE) {
		vgc_arena_close(a);
		SKIP(return, "anonymous backend: no debugfs file");
	}
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	snprintf(want_pid, sizeof(want_pid), "\npid %d\n", (int)getpid());
	snprintf(want_comm, sizeof(want_comm), "\ncomm %s\n", comm);
	if (glob("/sys/kernel/debug/vgc/arena-*", 0, NULL, &g)) {
		vgc_arena_close(a);
		SKIP(return, "no readable /sys/kernel/debug/vgc/arena-*");
	}
	for (i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		size_t n;

		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strstr(buf, want_pid)) {
			found = 1;
			EXPECT_NE(NULL, strstr(buf, want_comm)) TH_LOG("%s", buf);
			EXPECT_NE(NULL, strstr(buf, "\nregion_stats green 0 "));
		}
	}
	globfree(&g);
	EXPECT_TRUE(found);
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
