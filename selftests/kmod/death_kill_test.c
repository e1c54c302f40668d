// SPDX-License-Identifier: GPL-2.0
/*
 * Processes killed with SIGKILL in the middle of every kind of operation:
 * while creating and mapping arenas, while faulting pages in, while
 * checkpoints run, with threads hammering one fd, with io_uring commands in
 * flight, and while holding a registered thread slot that blocks the quorum.
 * Afterwards the module's arena and byte counters must be back to 0 (and
 * the module must unload, which the VM runner checks), and a surviving
 * process must see the dead task's slot dropped.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <liburing.h>
#include "kselftest_harness.h"
#include "vgc_test.h"

#define SPAN		VGC_SPAN_GRANULES
/* Kills per test; VGC_DEATH_ROUNDS overrides (slow debug kernels). */
static int rounds(void)
{
	const char *e = getenv("VGC_DEATH_ROUNDS");

	return e ? atoi(e) : 8;
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Runs fn in a child, kills it after delay_us, reaps it. */
static int kill_after(void (*fn)(void), unsigned int delay_us)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	usleep(delay_us);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return 0;
}

static int new_arena_flags(unsigned int parts, uint64_t spans_per_zone,
			   struct vgc_layout *l, struct vgc_region *r,
			   unsigned int cap, unsigned int flags)
{
	struct vgc_arena_params p;
	int fd = vgc_open_dev();

	if (fd < 0)
		return -1;
	vgc_params_init(&p, parts, spans_per_zone * SPAN, spans_per_zone * SPAN,
			spans_per_zone * SPAN);
	p.flags = flags;
	p.zone_reserve_granules[VGC_ZONE_GREEN] = 8 * SPAN;
	if (vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p) ||
	    vgc_get_layout(fd, l, r, cap)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int new_arena(unsigned int parts, uint64_t spans_per_zone, struct vgc_layout *l,
		     struct vgc_region *r, unsigned int cap)
{
	return new_arena_flags(parts, spans_per_zone, l, r, cap, 0);
}

/* Child bodies: loop until killed. */

static void body_create_map(void)
{
	for (;;) {
		struct vgc_layout l;
		struct vgc_region r[3 * 4];
		int fd = new_arena(1 + rnd() % 4, 1 + rnd() % 3, &l, r, 12);
		char *m;

		if (fd < 0)
			continue;
		m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, l.threads_offset);
		if (m != MAP_FAILED) {
			/* fault in every committed page of every region */
			for (unsigned int i = 0; i < l.nr_regions; i++)
				for (uint64_t o = 0; o < r[i].committed_granules * 16; o += 4096)
					m[r[i].offset - l.threads_offset + o] = 1;
			if (rnd() % 2)
				munmap(m, l.map_size - l.threads_offset);
		}
		if (rnd() % 2)
			close(fd);
	}
}

static void body_grow(void)
{
	struct vgc_layout l;
	struct vgc_region r[6];
	int fd = new_arena(2, 1, &l, r, 6);
	char *m;

	if (fd < 0)
		return;
	m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 l.threads_offset);
	for (;;) {
		struct vgc_grow g = { .size = sizeof(g) };

		g.zone = VGC_ZONE_GREEN;
		g.partition = rnd() % 2;
		g.granules = SPAN;
		if (vgc_ioctl(fd, VGC_IOC_GROW, &g) == 0 && m != MAP_FAILED)
			m[r[VGC_ZONE_GREEN * 2 + g.partition].offset - l.threads_offset +
			  (g.committed_granules - 1) * 16] = 1;
		if (g.committed_granules >= 9 * SPAN) {
			/* start over with a fresh arena, the old one dies with us */
			fd = new_arena(2, 1, &l, r, 6);
			if (fd < 0)
				return;
			m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, l.threads_offset);
		}
	}
}

/*
 * Many live objects so that the sweeps take a while, then checkpoints (full
 * ones: settled spans would be skipped, and the bits are written unnoted).
 */
static void fill_objects(int fd, const struct vgc_layout *l, const struct vgc_region *r,
			 char *m)
{
	uint16_t *spans = (uint16_t *)(m + l->spans_offset - l->threads_offset);
	uint64_t *valid = (uint64_t *)(m + l->plane_offset[VGC_PLANE_VALID] - l->threads_offset);
	uint64_t *rel = (uint64_t *)(m + l->plane_offset[VGC_PLANE_RELEASE] - l->threads_offset);

	(void)fd;
	for (unsigned int i = 0; i < l->nr_regions; i++) {
		uint64_t first = r[i].first_granule, n = r[i].committed_granules;

		for (uint64_t s = 0; s < n / SPAN; s++)
			spans[(first >> 12) + s] = 1;
		for (uint64_t w = first / 64; w < (first + n) / 64; w++) {
			__atomic_fetch_or(&valid[w], ~0ULL, __ATOMIC_RELAXED);
			if (w % 3 == 0)
				__atomic_fetch_or(&rel[w], 0x5555555555555555ULL, __ATOMIC_RELAXED);
		}
	}
}

static void body_checkpoint(void)
{
	struct vgc_layout l;
	struct vgc_region r[3 * 8];
	int fd = new_arena(8, 4, &l, r, 24);
	char *m;

	if (fd < 0)
		return;
	m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 l.threads_offset);
	if (m == MAP_FAILED)
		return;
	for (;;) {
		struct vgc_checkpoint c = { .size = sizeof(c),
					     .flags = VGC_CKPT_F_ALL_ZONES | VGC_CKPT_F_FULL };

		fill_objects(fd, &l, r, m);
		vgc_ioctl(fd, VGC_IOC_CHECKPOINT, &c);
	}
}

static int shared_fd;
static struct vgc_layout shared_l;
static struct vgc_region shared_r[3 * 4];
static char *shared_m;

static void *thread_body(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	for (;;) {
		struct vgc_thread_reg t = { .size = sizeof(t), .partition = i % 4 };
		struct vgc_checkpoint c = { .size = sizeof(c) };
		struct vgc_stats s = { .size = sizeof(s) };
		struct vgc_grow g = { .size = sizeof(g), .zone = VGC_ZONE_GREEN,
				      .partition = i % 4, .granules = SPAN };

		switch (rnd() % 4) {
		case 0:
			if (vgc_ioctl(shared_fd, VGC_IOC_THREAD_REGISTER, &t) == 0) {
				vgc_ioctl(shared_fd, VGC_IOC_CHECKPOINT, &c);
				if (rnd() % 2)
					vgc_ioctl(shared_fd, VGC_IOC_THREAD_UNREGISTER, &t);
			}
			break;
		case 1:
			vgc_ioctl(shared_fd, VGC_IOC_CHECKPOINT, &c);
			break;
		case 2:
			vgc_ioctl(shared_fd, VGC_IOC_GROW, &g);
			break;
		default:
			vgc_ioctl(shared_fd, VGC_IOC_GET_STATS, &s);
			break;
		}
	}
	return NULL;
}

static void body_threads(void)
{
	pthread_t th[6];

	shared_fd = new_arena(4, 2, &shared_l, shared_r, 12);
	if (shared_fd < 0)
		return;
	shared_m = mmap(NULL, shared_l.map_size - shared_l.threads_offset,
			PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd, shared_l.threads_offset);
	if (shared_m != MAP_FAILED)
		fill_objects(shared_fd, &shared_l, shared_r, shared_m);
	for (uintptr_t i = 0; i < 6; i++)
		pthread_create(&th[i], NULL, thread_body, (void *)i);
	pause();
}

/* Submits batches of checkpoints and stats without reaping, until killed. */
static void body_uring(void)
{
	struct vgc_layout l;
	struct vgc_region r[3 * 4];
	struct io_uring ring;
	struct vgc_stats st = { .size = sizeof(st) };
	int fd = new_arena(4, 2, &l, r, 12);
	char *m;

	if (fd < 0 || io_uring_queue_init(64, &ring, 0))
		return;
	m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 l.threads_offset);
	if (m != MAP_FAILED)
		fill_objects(fd, &l, r, m);
	for (unsigned int n = 0;; n++) {
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;

		while ((sqe = io_uring_get_sqe(&ring))) {
			struct vgc_uring_cmd pl = { 0 };

			memset(sqe, 0, sizeof(*sqe));
			sqe->opcode = IORING_OP_URING_CMD;
			sqe->fd = fd;
			if (rnd() % 2) {
				sqe->cmd_op = VGC_URING_CHECKPOINT;
				pl.flags = VGC_CKPT_F_ALL_ZONES | VGC_CKPT_F_FULL;
			} else {
				sqe->cmd_op = VGC_IOC_GET_STATS;
				pl.arg = (uintptr_t)&st;
			}
			if (rnd() % 4 == 0)
				sqe->flags |= IOSQE_ASYNC;
			memcpy(sqe->cmd, &pl, sizeof(pl));
		}
		io_uring_submit(&ring);
		/* reap only some: the rest stays in flight when the kill lands */
		while (io_uring_peek_cqe(&ring, &cqe) == 0)
			io_uring_cqe_seen(&ring, cqe);
		if (n % 8 == 7 && io_uring_wait_cqe(&ring, &cqe) == 0)
			io_uring_cqe_seen(&ring, cqe);
	}
}

/*
 * The 6.1 harness runs the test body after a SKIP in the setup: bodies
 * return early unless the setup completed.
 */
FIXTURE(death) {
	bool ready;
};

FIXTURE_SETUP(death)
{
	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing (vgc.ko not loaded)", VGC_DEVICE_PATH);
	ASSERT_EQ(0, vgc_wait_idle(5000));
	rng_state ^= (uint64_t)getpid() << 20;
	self->ready = true;
}

FIXTURE_TEARDOWN(death)
{
}

static void kill_rounds(struct __test_metadata *_metadata, void (*fn)(void),
			unsigned int max_delay_us)
{
	for (int i = 0, n = rounds(); i < n; i++) {
		unsigned int d = 1000 + rnd() % max_delay_us;

		ASSERT_EQ(0, kill_after(fn, d));
		ASSERT_EQ(0, vgc_wait_idle(10000)) TH_LOG("counters not 0 after round %d (kill at %u us)",
							   i, d);
	}
}

TEST_F(death, while_creating_and_mapping)
{
	if (!self->ready)
		return;
	kill_rounds(_metadata, body_create_map, 200000);
}

TEST_F(death, while_growing)
{
	if (!self->ready)
		return;
	kill_rounds(_metadata, body_grow, 200000);
}

TEST_F(death, while_checkpointing)
{
	if (!self->ready)
		return;
	kill_rounds(_metadata, body_checkpoint, 300000);
}

TEST_F(death, threads_on_one_fd)
{
	if (!self->ready)
		return;
	kill_rounds(_metadata, body_threads, 300000);
}

TEST_F(death, uring_in_flight)
{
	struct vgc_version v;
	int fd;

	if (!self->ready)
		return;
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	close(fd);
	if (!(v.features & VGC_FEAT_URING_CMD))
		SKIP(return, "module without io_uring passthrough");
	kill_rounds(_metadata, body_uring, 300000);
}

/*
 * A child registers a thread on the parent's arena and dies without a
 * quiescent state: the kernel must drop its slot so that the parent's
 * checkpoints complete again.
 */
TEST_F(death, dead_thread_leaves_quorum)
{
	struct vgc_layout l;
	struct vgc_region r[3];
	struct vgc_checkpoint c = { .size = sizeof(c) };
	struct vgc_stats s = { .size = sizeof(s) };
	int fd, pfd[2], status, ret;
	uint32_t slot;
	pid_t pid;

	if (!self->ready)
		return;
	/* The child registers in the parent's quorum: a shared arena. */
	fd = new_arena_flags(1, 1, &l, r, 3, VGC_ARENA_F_FORK_SHARED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vgc_thread_reg t = { .size = sizeof(t) };
		char *m;

		if (vgc_ioctl(fd, VGC_IOC_THREAD_REGISTER, &t))
			_exit(1);
		m = mmap(NULL, l.threads_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 l.threads_offset);
		if (m != MAP_FAILED) {
			volatile struct vgc_thread_slot *ts = (struct vgc_thread_slot *)m + t.slot;

			/* online, and never quiescent: gp_seq cannot reach ~0 */
			ts->qs_seq = ~0ULL;
			ts->online = 1;
		}
		if (write(pfd[1], &t.slot, sizeof(t.slot)) != sizeof(t.slot))
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(sizeof(slot), read(pfd[0], &slot, sizeof(slot)));
	/* the child is online and has not announced a quiescent state */
	ret = vgc_ioctl(fd, VGC_IOC_CHECKPOINT, &c);
	EXPECT_EQ(-EAGAIN, ret);
	if (ret == -EAGAIN)
		EXPECT_EQ(slot, c.blocker_slot);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	for (int i = 0; i < 500; i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		ret = vgc_ioctl(fd, VGC_IOC_CHECKPOINT, &c);
		if (ret != -EAGAIN)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, vgc_ioctl(fd, VGC_IOC_GET_STATS, &s));
	EXPECT_EQ(0, s.nr_threads);
	EXPECT_LE(1, s.dead_threads_dropped);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	EXPECT_EQ(0, vgc_wait_idle(10000));
}

TEST_HARNESS_MAIN
