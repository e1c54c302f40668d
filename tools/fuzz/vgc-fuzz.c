// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: ABI-aware fuzzer of /dev/vgc.
 *
 * Each seed drives one worker process through a random sequence that mostly
 * creates valid arenas of random shapes and then mixes valid and invalid
 * commands (ioctl and io_uring passthrough), mmap/munmap/mprotect at random
 * offsets, touches of the mapped planes and data, forks, SIGKILLed children,
 * threads sharing one fd, checkpoints and thread (un)registration.
 *
 * Invariants checked:
 *  - every command fails only with an errno of its documented set, and the
 *    errno that vgc.h prescribes for a single injected fault (short size,
 *    non-zero reserved/pad, unknown flags, bad pointer, oversized tail);
 *  - committed data and metadata never fault, ctrl cannot become writable,
 *    data past the committed size raises SIGBUS;
 *  - after a worker and all its children exited, the module-wide counters
 *    (arenas, bytes in use) return to 0.
 *
 * A failure prints the seed, the last operations of the failing thread and
 * exits 1; `vgc-fuzz --seed N --ops M` replays it (interleavings of threads
 * and the timing of kills may differ between runs).
 *
 *   vgc-fuzz --seeds 1-20 --ops 2000 --time 120      bounded run
 *   vgc-fuzz --seed 7 --ops 5000 -v                  replay one seed
 *   vgc-fuzz --check-idle                            counters are 0
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "fuzz.h"

/* ---- options ------------------------------------------------------------ */

const char *dev_path = VGC_DEVICE_PATH;
uint64_t opt_ops = 2000;
double opt_time;			/* seconds for the whole run, 0: none */
int opt_verbose;
bool opt_no_uring, opt_no_fork, opt_no_threads, opt_no_leak_check;

/* ---- the per-process loop ------------------------------------------------ */

void fuzz_loop(uint64_t ops, int depth)
{
	for (uint64_t i = 0; i < ops && !out_of_time(); i++) {
		struct arena *a = pick_arena(true);
		struct arena *any = pick_arena(false);
		unsigned int r = below(1000);

		cnt->ops++;
		if (!a) {
			if (!depth && r < 900)
				op_create();
			else
				op_ioctl_random(NULL, chance(30));
			continue;
		}
		if (r < 30 && !depth)
			op_create();
		else if (r < 60)
			op_ioctl_random(NULL, chance(30));
		else if (r < 260)
			op_ioctl_random(a, chance(30));
		else if (r < 300)
			op_grow(a);
		else if (r < 360)
			op_mmap(a);
		else if (r < 380)
			op_munmap();
		else if (r < 390)
			op_remap();
		else if (r < 520)
			op_touch(any ? any : a, false);
		else if (r < 580)
			op_alloc(a);
		else if (r < 640)
			op_plane_req(a);
		else if (r < 730)
			op_batch(a);
		else if (r < 810)
			op_checkpoint(a);
		else if (r < 870)
			op_thread_slot(a);
		else if (r < 900)
			op_stats(a);
		else if (r < 930)
			op_unknown(a);
		else if (r < 960)
			op_uring_burst(a);
		else if (r < 975 && !depth && !opt_no_fork)
			op_fork();
		else if (r < 985 && !depth && !opt_no_threads)
			op_threads(a);
		else if (r < 993 && !depth)
			op_close();
		else if (!depth)
			arena_drop(a - arenas);
	}
}

/* ---- module-wide counters ------------------------------------------------ */

static bool counters_idle(struct vgc_version *v, double wait_s)
{
	double until = now() + wait_s;
	int fd = vgc_open();

	for (;;) {
		version(fd, v);
		if (!v->nr_arenas && !v->used_bytes)
			break;
		if (now() > until) {
			close(fd);
			return false;
		}
		usleep(20000);
	}
	close(fd);
	return true;
}

static int run_seed(uint64_t seed)
{
	struct vgc_version v;
	int status;
	pid_t pid;

	cur_seed = seed;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		rng = seed * 0x2545f4914f6cdd1dULL + 1;
		for (int i = 0; i < MAX_ARENAS; i++)
			arenas[i].fd = -1;
		fuzz_uring_init();
		fuzz_loop(opt_ops, 0);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "vgc-fuzz: FAIL seed %" PRIu64 ": worker died of signal %d\n",
				seed, WTERMSIG(status));
			fprintf(stderr, "vgc-fuzz: replay: vgc-fuzz --seed %" PRIu64 " --ops %" PRIu64
				" -vv\n", seed, opt_ops);
		}
		return 1;
	}
	if (!opt_no_leak_check && !counters_idle(&v, 10.0)) {
		fprintf(stderr, "vgc-fuzz: FAIL seed %" PRIu64 ": after exit %llu arenas, %llu bytes still in use\n",
			seed, (unsigned long long)v.nr_arenas, (unsigned long long)v.used_bytes);
		cnt->failures++;
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vgc-fuzz [--seed N | --seeds A-B] [--ops N] [--time S] [--dev PATH]\n"
		"                [--no-uring] [--no-fork] [--no-threads] [--no-leak-check] [-v[v]]\n"
		"       vgc-fuzz --check-idle [--wait S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t first = 1, last = 10;
	bool check_idle = false;
	double wait_s = 5;
	struct sigaction sa = { 0 };
	struct vgc_version v;
	int fails = 0, fd;
	uint64_t seeds_run = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *n = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed") && n) {
			first = last = strtoull(n, NULL, 0);
			i++;
		} else if (!strcmp(a, "--seeds") && n) {
			if (sscanf(n, "%" SCNu64 "-%" SCNu64, &first, &last) != 2 || last < first)
				usage();
			i++;
		} else if (!strcmp(a, "--ops") && n) {
			opt_ops = strtoull(n, NULL, 0);
			i++;
		} else if (!strcmp(a, "--time") && n) {
			opt_time = atof(n);
			i++;
		} else if (!strcmp(a, "--wait") && n) {
			wait_s = atof(n);
			i++;
		} else if (!strcmp(a, "--dev") && n) {
			dev_path = n;
			i++;
		} else if (!strcmp(a, "--no-uring")) {
			opt_no_uring = true;
		} else if (!strcmp(a, "--no-fork")) {
			opt_no_fork = true;
		} else if (!strcmp(a, "--no-threads")) {
			opt_no_threads = true;
		} else if (!strcmp(a, "--no-leak-check")) {
			opt_no_leak_check = true;
		} else if (!strcmp(a, "--check-idle")) {
			check_idle = true;
		} else if (!strcmp(a, "-v")) {
			opt_verbose = 1;
		} else if (!strcmp(a, "-vv")) {
			opt_verbose = 2;
		} else {
			usage();
		}
	}
	page_size = sysconf(_SC_PAGESIZE);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	cnt = mmap(NULL, sizeof(*cnt), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cnt == MAP_FAILED)
		return 2;
	t_start = now();

	if (check_idle) {
		if (counters_idle(&v, wait_s)) {
			printf("vgc-fuzz: module idle: 0 arenas, 0 bytes in use\n");
			return 0;
		}
		printf("vgc-fuzz: module NOT idle: %llu arenas, %llu bytes in use\n",
		       (unsigned long long)v.nr_arenas, (unsigned long long)v.used_bytes);
		return 1;
	}

	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = vgc_open();
	version(fd, &v);
	close(fd);
	features = v.features;
	printf("vgc-fuzz: abi %u features %#llx limit %llu MiB, seeds %" PRIu64 "-%" PRIu64
	       ", %" PRIu64 " ops each%s\n", v.abi_version, (unsigned long long)v.features,
	       (unsigned long long)(v.limit_bytes >> 20), first, last, opt_ops,
	       (v.features & VGC_FEAT_URING_CMD) && !opt_no_uring ? ", io_uring on" : "");
	fflush(stdout);

	for (uint64_t s = first; s <= last && !out_of_time(); s++) {
		uint64_t before = cnt->ops;

		fails += run_seed(s);
		seeds_run++;
		if (opt_verbose)
			printf("vgc-fuzz: seed %" PRIu64 ": %" PRIu64 " ops\n", s, cnt->ops - before);
		if (fails)
			break;
	}
	printf("vgc-fuzz: seeds %" PRIu64 ", operations %llu (ioctl %llu, io_uring %llu, mmap %llu, "
	       "touches %llu, SIGBUS %llu, arenas %llu, forks %llu (copies over the limit %llu), "
	       "kills %llu, threads %llu), failures %d, %.1f s\n", seeds_run,
	       (unsigned long long)cnt->ops,
	       (unsigned long long)cnt->ioctls, (unsigned long long)cnt->uring_cmds,
	       (unsigned long long)cnt->mmaps, (unsigned long long)cnt->touches,
	       (unsigned long long)cnt->sigbus, (unsigned long long)cnt->arenas,
	       (unsigned long long)cnt->forks, (unsigned long long)cnt->lost_copies,
	       (unsigned long long)cnt->kills,
	       (unsigned long long)cnt->threads, fails, now() - t_start);
	return fails ? 1 : 0;
}
