// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: threads sharing one fd, forked children sharing the fds and
 * mappings, SIGKILLed at random.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "fuzz.h"

/* ---- threads sharing one fd ------------------------------------------------- */

struct thr_arg {
	struct arena *a;
	uint64_t seed;
	int ops;
	int idx;
};

static void *thr_main(void *p)
{
	struct thr_arg *t = p;
	struct arena *a = t->a;
	char name[32];

	snprintf(name, sizeof(name), "thread %d", t->idx);
	who = name;
	rng = t->seed;
	/* each thread gets its own ring; io_uring state is per thread here */
	fuzz_uring_init();
	for (int i = 0; i < t->ops && !out_of_time(); i++) {
		cnt->ops++;
		switch (below(8)) {
		case 0: op_ioctl_random(a, chance(30)); break;
		case 1: op_batch(a); break;
		case 2: op_checkpoint(a); break;
		case 3: op_touch(a, true); break;
		case 4: op_plane_req(a); break;
		case 5: op_stats(a); break;
		case 6: {
			/* register, quiesce, unregister: the slot is this thread's */
			struct vgc_thread_reg r = { .size = sizeof(r) };

			r.partition = below(a->nr_part);
			logop("thread register");
			if (ioctl(a->fd, VGC_IOC_THREAD_REGISTER, &r) == 0) {
				volatile struct vgc_thread_slot *sl =
					(volatile struct vgc_thread_slot *)(a->rw + r.slot *
						sizeof(struct vgc_thread_slot));

				sl->qs_seq = ((const volatile struct vgc_ctrl *)a->ctrl)->gp_seq;
				sl->online = 1;
				op_checkpoint(a);
				logop("thread unregister slot %u", r.slot);
				if (ioctl(a->fd, VGC_IOC_THREAD_UNREGISTER, &r) &&
				    !errno_allowed(errno, A_INVAL | A_PERM))
					fail("UNREGISTER of own slot: %s", strerrorname_np(errno));
			} else if (!errno_allowed(errno, A_NOMEM | A_AGAIN | A_EXIST)) {
				fail("THREAD_REGISTER: %s", strerrorname_np(errno));
			}
			cnt->ioctls += 2;
			break;
		}
		default: op_uring_burst(a); break;
		}
	}
	if (have_uring)
		io_uring_queue_exit(&uring);
	if (argpage)
		munmap(argpage, 2 * page_size);
	argpage = NULL;
	return NULL;
}

void op_threads(struct arena *a)
{
	pthread_t th[4];
	struct thr_arg ta[4];
	int n = 2 + below(3);

	if (!a->rw)
		return;
	logop("spawn %d threads on fd %d", n, a->fd);
	for (int i = 0; i < n; i++) {
		ta[i] = (struct thr_arg){ a, rnd(), 20 + below(60), i };
		if (pthread_create(&th[i], NULL, thr_main, &ta[i]))
			fail("pthread_create");
		cnt->threads++;
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	logop("threads joined");
}

/* ---- processes sharing fds and mappings -------------------------------------- */

/*
 * fork() gave the child a copy of each arena (VGC_FEAT_FORK_COPY), or, for
 * one past the module's limit, none: then its commands on the fd fail
 * with ENXIO and its mappings raise SIGBUS (docs/abi.md, "fork()").  The
 * child checks that each arena is either usable or lost in both ways, and
 * drops the lost ones from its model.  An arena known only by mappings
 * cannot be asked: the child drops it too.
 */
static void child_adopt_copies(void)
{
	for (int i = 0; i < MAX_ARENAS; i++) {
		struct arena *a = &arenas[i];
		struct vgc_stats s = { .size = sizeof(s) };
		bool lost;

		if (!a->live)
			continue;
		if (a->fd < 0 && !a->ctrl) {
			arena_drop(i);
			continue;
		}
		if (a->fd >= 0) {
			lost = ioctl(a->fd, VGC_IOC_GET_STATS, &s) != 0;
			if (lost && errno != ENXIO)
				fail("GET_STATS after fork: %s", strerror(errno));
		} else {
			lost = touch((volatile uint8_t *)a->ctrl, false, 0) == SIGBUS;
		}
		if (!(features & VGC_FEAT_FORK_COPY) && lost)
			fail("arena %d lost in a child without VGC_FEAT_FORK_COPY", i);
		if (lost && a->ctrl &&
		    touch((volatile uint8_t *)a->ctrl, false, 0) != SIGBUS)
			fail("arena %d: no copy (ENXIO), but its ctrl reads", i);
		if (lost) {
			logop("arena %d: no copy for the child (module limit)", i);
			cnt->lost_copies++;
			arena_drop(i);
		}
	}
}

/* Fork a child that fuzzes on the shared fds and mappings; maybe SIGKILL it. */
void op_fork(void)
{
	uint64_t seed = rnd();
	bool kill_it = chance(50);
	uint64_t delay_us = below(20000);
	int status;
	pid_t pid;

	logop("fork (child seed %#llx)%s", (unsigned long long)seed,
	      kill_it ? " then SIGKILL" : "");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		who = "child";
		rng = seed;
		oplog_n = 0;
		if (have_uring) {
			/* the parent's ring is not ours to use */
			have_uring = false;
		}
		fuzz_uring_init();
		child_adopt_copies();
		fuzz_loop(50 + below(200), 1);
		_exit(0);
	}
	cnt->forks++;
	if (kill_it) {
		usleep(delay_us);
		kill(pid, SIGKILL);
		cnt->kills++;
	}
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fail("child %d failed (its operations are printed above)", pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		fail("child %d died of signal %d", pid, WTERMSIG(status));
}
