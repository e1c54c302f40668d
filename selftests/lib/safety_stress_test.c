// SPDX-License-Identifier: GPL-2.0
/*
 * Safety stress (issue 3): four registered threads allocate in ONE
 * partition, write a canary, hand each object to the next thread through a
 * queue; the receiver checks the canary and releases the object.  Both the
 * producer and the releaser go on reading the objects they sent / released
 * until their next quiescent state, while another thread runs checkpoints
 * back to back.  A slot reused too early, or handed to two allocators,
 * shows up as a broken canary.  Bounded by a count and by time.  At the end
 * every release must have been reclaimed (no release lost) and, at every
 * step of the drain, allocated + free + pending == capacity.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

#define NWORKERS	4
#define OBJ_SIZE	64
#define BATCH		16
#define QCAP		4096
#define MAX_OBJS	200000		/* per worker */
#define MAX_SECONDS	3
#define HOLD		(2 * BATCH)
#define MIN_CKPTS	12		/* at least three reclamation cycles */

struct ref {
	uint64_t *o;
	uint64_t id;
};

struct queue {
	pthread_mutex_t lock;
	struct ref items[QCAP];
	unsigned int head, tail;	/* tail - head items */
};

struct shared {
	struct vgc_arena *a;
	struct queue q[NWORKERS];
	volatile int stop;
	uint64_t deadline_ns, hard_deadline_ns;
	/* results */
	uint64_t allocs[NWORKERS], releases[NWORKERS], enomem[NWORKERS];
	uint64_t bad_canary, bad_release, reg_fail;
	uint64_t ckpt_ok, ckpt_again, reclaimed;
	int bad_release_err;
	int ckpt_err;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static void canary_write(uint64_t *o, uint64_t id)
{
	unsigned int i;

	o[0] = id;
	for (i = 1; i < OBJ_SIZE / 8; i++)
		o[i] = mix(id + i);
}

/* Intact and still the object we were given (id), not a reused slot. */
static int canary_ok(const volatile uint64_t *o, uint64_t id)
{
	unsigned int i;

	if (o[0] != id)
		return 0;
	for (i = 1; i < OBJ_SIZE / 8; i++)
		if (o[i] != mix(id + i))
			return 0;
	return 1;
}

static int q_push(struct queue *q, struct ref o)
{
	int ok = 0;

	pthread_mutex_lock(&q->lock);
	if (q->tail - q->head < QCAP) {
		q->items[q->tail++ % QCAP] = o;
		ok = 1;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static int q_pop(struct queue *q, struct ref *o)
{
	int ok = 0;

	pthread_mutex_lock(&q->lock);
	if (q->tail != q->head) {
		*o = q->items[q->head++ % QCAP];
		ok = 1;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/* Widens the window in which an early reuse would be caught. */
static void spin_us(unsigned int us)
{
	uint64_t end = vgct_now_ns() + us * 1000ULL;

	while (vgct_now_ns() < end)
		;
}

struct worker {
	struct shared *s;
	unsigned int id;
};

static void check_held(struct shared *s, struct ref *held, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!canary_ok(held[i].o, held[i].id))
			__atomic_fetch_add(&s->bad_canary, 1, __ATOMIC_RELAXED);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	struct queue *out = &s->q[(w->id + 1) % NWORKERS];
	struct queue *in = &s->q[w->id];
	struct ref held[2 * HOLD];	/* sent or released since quiescent */
	uint64_t seq = 0;
	unsigned int nh, i;

	if (vgc_thread_register(s->a, 0)) {
		__atomic_fetch_add(&s->reg_fail, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	while (!s->stop && (seq < MAX_OBJS ||
			    __atomic_load_n(&s->ckpt_ok, __ATOMIC_RELAXED) < MIN_CKPTS) &&
	       vgct_now_ns() < s->hard_deadline_ns) {
		nh = 0;
		for (i = 0; i < BATCH && seq < MAX_OBJS; i++) {
			struct ref r;

			r.o = vgc_alloc(s->a, OBJ_SIZE, VGC_ZONE_GREEN);
			if (!r.o) {
				s->enomem[w->id]++;
				break;
			}
			r.id = (uint64_t)w->id << 48 | seq++;
			canary_write(r.o, r.id);
			s->allocs[w->id]++;
			if (!q_push(out, r)) {
				/* receiver far behind: release it ourselves */
				int err = vgc_release(s->a, r.o);

				if (err) {
					s->bad_release++;
					s->bad_release_err = err;
				}
				s->releases[w->id]++;
			}
			held[nh++] = r;
		}
		for (i = 0; i < BATCH; i++) {
			struct ref r;
			int err;

			if (!q_pop(in, &r))
				break;
			if (!canary_ok(r.o, r.id))
				__atomic_fetch_add(&s->bad_canary, 1,
						   __ATOMIC_RELAXED);
			err = vgc_release(s->a, r.o);
			if (err) {
				__atomic_fetch_add(&s->bad_release, 1,
						   __ATOMIC_RELAXED);
				s->bad_release_err = err;
			}
			s->releases[w->id]++;
			held[nh++] = r;
		}
		/*
		 * Everything in held[] may already be released by someone;
		 * we have not passed a quiescent state, so it must be intact.
		 */
		check_held(s, held, nh);
		/* now and then a slow reader: others reallocate meanwhile */
		for (i = 0; i < ((seq / BATCH) % 8 ? 1 : 20); i++) {
			spin_us(20);
			sched_yield();
			check_held(s, held, nh);
		}
		vgc_quiescent(s->a);
		/*
		 * Time is up once enough checkpoints ran to reclaim and reuse
		 * (a slow emulated guest needs longer), and in any case at the
		 * hard deadline.
		 */
		if ((vgct_now_ns() > s->deadline_ns &&
		     __atomic_load_n(&s->ckpt_ok, __ATOMIC_RELAXED) >= MIN_CKPTS) ||
		    vgct_now_ns() > s->hard_deadline_ns)
			s->stop = 1;
	}
	vgc_thread_unregister(s->a);
	return NULL;
}

static void *ckpt_main(void *arg)
{
	struct shared *s = arg;

	while (!s->stop) {
		struct vgc_checkpoint r;
		int err = vgc_checkpoint(s->a, NULL, &r);

		if (!err) {
			__atomic_fetch_add(&s->ckpt_ok, 1, __ATOMIC_RELAXED);
			s->reclaimed += r.counts.reclaimed;
		} else if (err == -EAGAIN) {
			s->ckpt_again++;
			sched_yield();
		} else {
			s->ckpt_err = err;
			break;
		}
	}
	return NULL;
}

static uint64_t capacity_slots(struct vgc_arena *a)
{
	const struct vgc_region *r = vgc_arena_region(a, VGC_ZONE_GREEN, 0);
	int cls = vgc_size_class(OBJ_SIZE);

	return r->gen_granules[VGC_GEN0] / VGC_SPAN_GRANULES *
	       (VGC_SPAN_GRANULES / vgc_class_granules(cls));
}

TEST(safety_stress)
{
	static struct shared s;
	struct worker w[NWORKERS];
	pthread_t th[NWORKERS], ck;
	uint64_t allocs = 0, releases = 0, enomem = 0, cap;
	struct ref o;
	struct vgc_usage u;
	unsigned int i, k;
	int err;

	memset(&s, 0, sizeof(s));
	err = vgct_open(&s.a, 1, 2 * VGC_SPAN_SIZE);
	ASSERT_EQ(0, err) TH_LOG("open: %s", vgc_strerror(err));
	TH_LOG("backend %s, sweep %s", vgc_backend_name(vgc_arena_backend(s.a)),
	       vgc_sweep_impl_name(VGC_SWEEP_AUTO));
	for (i = 0; i < NWORKERS; i++)
		pthread_mutex_init(&s.q[i].lock, NULL);
	s.deadline_ns = vgct_now_ns() + MAX_SECONDS * 1000000000ULL;
	s.hard_deadline_ns = s.deadline_ns + 3 * MAX_SECONDS * 1000000000ULL;
	cap = capacity_slots(s.a);

	ASSERT_EQ(0, pthread_create(&ck, NULL, ckpt_main, &s));
	for (i = 0; i < NWORKERS; i++) {
		w[i].s = &s;
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker_main, &w[i]));
	}
	for (i = 0; i < NWORKERS; i++)
		pthread_join(th[i], NULL);
	s.stop = 1;
	pthread_join(ck, NULL);

	ASSERT_EQ(0, s.reg_fail);
	ASSERT_EQ(0, s.ckpt_err) TH_LOG("%s", vgc_strerror(s.ckpt_err));
	/* what is still queued was never released: release it now */
	for (i = 0; i < NWORKERS; i++) {
		while (q_pop(&s.q[i], &o)) {
			ASSERT_TRUE(canary_ok(o.o, o.id));
			ASSERT_EQ(0, vgc_release(s.a, o.o));
			releases++;
		}
	}
	for (i = 0; i < NWORKERS; i++) {
		allocs += s.allocs[i];
		releases += s.releases[i];
		enomem += s.enomem[i];
	}
	TH_LOG("%llu objects, %llu checkpoints (%llu -EAGAIN), %llu ENOMEM retries, capacity %llu",
	       (unsigned long long)allocs, (unsigned long long)s.ckpt_ok,
	       (unsigned long long)s.ckpt_again, (unsigned long long)enomem,
	       (unsigned long long)cap);
	ASSERT_EQ(0, s.bad_canary);
	ASSERT_EQ(0, s.bad_release) TH_LOG("%s", vgc_strerror(s.bad_release_err));
	ASSERT_EQ(allocs, releases);
	ASSERT_GE(s.ckpt_ok, 4);

	/* the test holds nothing now: allocated 0, and the books balance */
	for (k = 0; k < 4; k++) {
		struct vgc_checkpoint r;

		ASSERT_EQ(0, vgc_region_usage(s.a, VGC_ZONE_GREEN, 0, 1U << VGC_GEN0, &u));
		/* allocated (held by the test: 0) + free + pending */
		ASSERT_EQ(cap, 0 + (cap - u.live) + u.pending);
		ASSERT_LE(u.slots, cap);
		ASSERT_EQ(0, vgc_checkpoint(s.a, NULL, &r));
		s.reclaimed += r.counts.reclaimed;
	}
	ASSERT_EQ(0, vgc_region_usage(s.a, VGC_ZONE_GREEN, 0, 1U << VGC_GEN0, &u));
	ASSERT_EQ(0, u.live);
	ASSERT_EQ(0, u.pending);
	/* no release lost: every object released was reclaimed */
	ASSERT_EQ(releases, s.reclaimed);
	vgc_arena_close(s.a);
}

/* Eight threads fill one partition: every slot exactly once. */
struct filler {
	struct vgc_arena *a;
	uint64_t **out;
	uint64_t n, cap;
	size_t size;
	pthread_barrier_t *bar;
};

static void *fill_main(void *arg)
{
	struct filler *f = arg;
	uint64_t *p;

	vgc_thread_register(f->a, 0);
	pthread_barrier_wait(f->bar);
	while (f->n < f->cap && (p = vgc_alloc(f->a, f->size, VGC_ZONE_RED))) {
		*p = (uint64_t)(uintptr_t)p;
		f->out[f->n++] = p;
	}
	vgc_thread_unregister(f->a);
	return NULL;
}

static int cmp_ptr(const void *x, const void *y)
{
	uintptr_t a = *(const uintptr_t *)x, b = *(const uintptr_t *)y;

	return a < b ? -1 : a > b;
}

TEST(concurrent_fill_is_exact)
{
	enum { T = 8 };
	static const size_t sizes[] = { 16, 48, 4096 };
	struct filler f[T];
	pthread_t th[T];
	pthread_barrier_t bar;
	struct vgc_arena *a;
	unsigned int i, k;
	int err;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t cap, total = 0, **all;
		const struct vgc_region *r;
		struct vgc_usage u;

		err = vgct_open(&a, 1, 8 * VGC_SPAN_SIZE);
		ASSERT_EQ(0, err) TH_LOG("open: %s", vgc_strerror(err));
		r = vgc_arena_region(a, VGC_ZONE_RED, 0);
		cap = r->gen_granules[VGC_GEN0] / VGC_SPAN_GRANULES *
		      (VGC_SPAN_GRANULES /
		       vgc_class_granules(vgc_size_class(sizes[k])));
		all = calloc(cap * T, sizeof(*all));
		ASSERT_NE(NULL, all);
		pthread_barrier_init(&bar, NULL, T);
		for (i = 0; i < T; i++) {
			f[i] = (struct filler){ .a = a, .out = all + i * cap,
						.cap = cap, .size = sizes[k],
						.bar = &bar };
			ASSERT_EQ(0, pthread_create(&th[i], NULL, fill_main, &f[i]));
		}
		for (i = 0; i < T; i++) {
			pthread_join(th[i], NULL);
			memmove(all + total, f[i].out, f[i].n * sizeof(*all));
			total += f[i].n;
		}
		pthread_barrier_destroy(&bar);
		ASSERT_EQ(cap, total) TH_LOG("size %zu", sizes[k]);
		qsort(all, total, sizeof(*all), cmp_ptr);
		for (i = 0; i < total; i++) {
			if (i)
				ASSERT_NE(all[i - 1], all[i]);
			ASSERT_EQ((uint64_t)(uintptr_t)all[i], *all[i]);
		}
		ASSERT_EQ(0, vgc_region_usage(a, VGC_ZONE_RED, 0, 1U << VGC_GEN0, &u));
		ASSERT_EQ(cap, u.live);
		ASSERT_EQ(cap, u.slots);
		free(all);
		vgc_arena_close(a);
	}
}

TEST_HARNESS_MAIN
