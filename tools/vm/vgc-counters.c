// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-counters [--wait-zero SECONDS]
 *
 * Prints the module-wide counters of vgc.ko (used_bytes, nr_arenas).  With
 * --wait-zero it waits up to SECONDS for both to drop to 0, because the last
 * reference of an arena may be put from a workqueue after its process exits,
 * and exits 1 if they do not: the test runner's leak check after every test.
 * Only libc and <linux/vgc.h>, so it works whatever state libvgcu is in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vgc.h>

static int query(struct vgc_version *v)
{
	int fd = open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	ret = ioctl(fd, VGC_IOC_GET_VERSION, v) ? -errno : 0;
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct vgc_version v;
	double wait_s = -1;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int waited_ms = 0;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--wait-zero")) {
		wait_s = atof(argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: vgc-counters [--wait-zero SECONDS]\n");
		return 2;
	}
	for (;;) {
		ret = query(&v);
		if (ret) {
			fprintf(stderr, "vgc-counters: %s: %s\n",
				VGC_DEVICE_PATH, strerror(-ret));
			return 2;
		}
		if (wait_s < 0 || (!v.used_bytes && !v.nr_arenas) ||
		    waited_ms >= wait_s * 1000)
			break;
		nanosleep(&ts, NULL);
		waited_ms += 20;
	}
	printf("used_bytes=%llu nr_arenas=%llu\n",
	       (unsigned long long)v.used_bytes,
	       (unsigned long long)v.nr_arenas);
	return wait_s >= 0 && (v.used_bytes || v.nr_arenas) ? 1 : 0;
}
