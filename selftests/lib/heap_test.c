// SPDX-License-Identifier: GPL-2.0
/*
 * The elastic heap on the backend $VGC_BACKEND selects (anonymous on the
 * host, the module in the VM): growth up to the reserve and recovery after
 * ENOMEM, re-carving of empty spans for other classes, large objects,
 * decommit of empty spans (RSS from /proc/self/smaps, the module's
 * committed bytes) and recommit of zeroed memory, the malloc-grade calls
 * (vgc_free, vgc_realloc, vgc_calloc, vgc_aligned_alloc) and their errors,
 * remote frees under load, and that none of it calls libc malloc: this
 * executable defines malloc and friends, forwarding to glibc's, and counts
 * the calls made while armed.
 */
#include <execinfo.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define SPAN		((uint64_t)VGC_SPAN_SIZE)

/* ---- malloc interposition ------------------------------------------------ */

/*
 * glibc lets an executable define malloc; these forward to glibc's own
 * and, while armed, count the call and keep the backtrace of the first few
 * (backtrace() is warmed up before arming: its first call loads libgcc).
 */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t sz);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

#define TRAP_BT		32
#define TRAP_DEPTH	24
static volatile int trap_armed;
static int trap_calls;
static const char *trap_what[TRAP_BT];
static void *trap_bt[TRAP_BT][TRAP_DEPTH];
static int trap_bt_n[TRAP_BT];
static __thread int trap_inside;

static void trap_hit(const char *what)
{
	int n;

	if (!trap_armed || trap_inside)
		return;
	trap_inside = 1;
	n = __atomic_fetch_add(&trap_calls, 1, __ATOMIC_RELAXED);
	if (n < TRAP_BT) {
		trap_what[n] = what;
		trap_bt_n[n] = backtrace(trap_bt[n], TRAP_DEPTH);
	}
	trap_inside = 0;
}

void *malloc(size_t n)
{
	trap_hit("malloc");
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t sz)
{
	trap_hit("calloc");
	return __libc_calloc(n, sz);
}

void *realloc(void *p, size_t n)
{
	trap_hit("realloc");
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (p)
		trap_hit("free");
	__libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	trap_hit("posix_memalign");
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
	trap_hit("aligned_alloc");
	return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
	trap_hit("memalign");
	return __libc_memalign(align, n);
}

static void trap_arm(void)
{
	void *warm[4];

	backtrace(warm, 4);
	trap_calls = 0;
	__atomic_store_n(&trap_armed, 1, __ATOMIC_SEQ_CST);
}

/* Disarms; prints the backtraces (no malloc: backtrace_symbols_fd). */
static int trap_disarm(void)
{
	int i, n;

	__atomic_store_n(&trap_armed, 0, __ATOMIC_SEQ_CST);
	n = trap_calls;
	for (i = 0; i < n && i < TRAP_BT; i++) {
		fprintf(stderr, "# libc %s called while armed:\n", trap_what[i]);
		backtrace_symbols_fd(trap_bt[i], trap_bt_n[i], 2);
	}
	return n;
}

/* ---- helpers ----------------------------------------------------------- */

FIXTURE(heap) {
	struct vgc_arena *a;
};

FIXTURE_SETUP(heap)
{
	self->a = NULL;
}

FIXTURE_TEARDOWN(heap)
{
	vgc_arena_close(self->a);
}

static int backend_is_module(struct vgc_arena *a)
{
	return vgc_arena_backend(a) == VGC_BACKEND_MODULE;
}

#define OPEN(nparts, zone, reserve)					\
	do {								\
		int err_ = vgct_open_reserve(&self->a, nparts, zone, reserve); \
		ASSERT_EQ(0, err_) TH_LOG("open: %s", vgc_strerror(err_)); \
		TH_LOG("backend %s", vgc_backend_name(vgc_arena_backend(self->a))); \
	} while (0)

/*
 * Canary words: the top 16 bits are 0xca11, never a tag of the remote
 * free test (0x71fe live, 0xdead freed).
 */
static inline uint64_t canary(uint64_t seed, uint64_t i)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL;

	return (x & 0x0000ffffffffffffULL) | (0xca11ULL << 48);
}

static void fill(void *p, size_t n, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < n / 8; i++)
		w[i] = canary(seed, i);
}

/* Index of the first bad word, or -1. */
static long check(const void *p, size_t n, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < n / 8; i++)
		if (w[i] != canary(seed, i))
			return (long)i;
	return -1;
}

static int all_zero(const void *p, size_t n)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < n / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

static uint64_t round_span(uint64_t n)
{
	return (n + SPAN - 1) & ~(SPAN - 1);
}

static void heap_stats(struct vgc_arena *a, struct vgc_heap_stats *st)
{
	memset(st, 0xff, sizeof(*st));
	vgc_heap_stats(a, st);
}

static int ckpts(struct vgc_arena *a, int n)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = vgct_ckpt(a, VGC_CKPT_F_ALL_ZONES, NULL);
		if (err)
			return err;
	}
	return 0;
}

/* Rss in bytes of the mappings inside the arena's mapping, -1: none. */
static long arena_rss(struct vgc_arena *a)
{
	struct vgct_smaps m;

	if (vgct_arena_smaps(a, &m) || !m.vmas)
		return -1;
	return m.rss_kb * 1024;
}

static uint64_t committed_granules(struct vgc_arena *a, unsigned int zone,
				   unsigned int part)
{
	return vgc_arena_region(a, zone, part)->committed_granules;
}

/* Memory before a give-back, for gave_back(). */
struct mem {
	long rss;
	uint64_t committed;
};

static void mem_now(struct vgc_arena *a, struct mem *m)
{
	struct vgc_stats st;

	m->rss = arena_rss(a);
	m->committed = vgc_arena_stats(a, &st) ? UINT64_MAX : st.committed_bytes;
}

/*
 * bytes went back since m: RSS fell by 15/16 of them at least, and on the
 * module the committed bytes by all of them.
 */
static void gave_back(struct __test_metadata *_metadata, struct vgc_arena *a,
		      const struct mem *m, uint64_t bytes, const char *what)
{
	struct mem n;

	mem_now(a, &n);
	TH_LOG("%s: rss %ld -> %ld KiB, committed %" PRIu64 " -> %" PRIu64 " KiB",
	       what, m->rss / 1024, n.rss / 1024, m->committed / KiB,
	       n.committed / KiB);
	ASSERT_NE(UINT64_MAX, n.committed);
	ASSERT_LE(n.rss, m->rss - (long)(bytes / 16 * 15));
	if (backend_is_module(a))
		ASSERT_LE(n.committed + bytes, m->committed);
}

/* ---- 1. growth up to the reserve, ENOMEM there, recovery ------------- */

struct rec {
	void *p;
	size_t size;
	uint64_t seed;
};

static const size_t grow_sizes[] = {
	16, 48, 256, 1000, 4096, 20000, 65536, 100000, 24, 512, 3000, 300000,
};

TEST_F_TIMEOUT(heap, grow_to_the_reserve_and_recover, 120)
{
	const uint64_t zone = 1 * MiB, reserve = 8 * MiB;
	const size_t max = 1 << 20;
	struct rec *o = calloc(max, sizeof(*o));
	const struct vgc_region *r;
	struct vgc_heap_stats st;
	uint64_t bytes = 0, cap, left;
	size_t n = 0, i, nsizes = sizeof(grow_sizes) / sizeof(grow_sizes[0]);
	size_t first_fail = 0;
	struct vgc_objinfo oi;
	long bad;

	ASSERT_NE(NULL, o);
	OPEN(1, zone, reserve);
	r = vgc_arena_region(self->a, VGC_ZONE_RED, 0);
	cap = r->capacity_granules * 16;
	TH_LOG("capacity %" PRIu64 " KiB, committed %" PRIu64 " KiB",
	       cap / KiB, r->committed_granules * 16 / KiB);
	ASSERT_GE(cap, zone + reserve);

	/* mixed sizes, large objects among them, up to the first NULL */
	for (;;) {
		size_t sz = grow_sizes[n % nsizes];
		void *p;

		ASSERT_LT(n, max);
		errno = 0;
		p = vgc_alloc(self->a, sz, VGC_ZONE_RED);
		if (!p) {
			ASSERT_EQ(ENOMEM, errno);
			first_fail = sz;
			break;
		}
		ASSERT_EQ(0, vgc_locate(self->a, p, &oi));
		ASSERT_EQ(VGC_ZONE_RED, oi.zone);
		ASSERT_EQ(VGC_GEN0, oi.gen);
		ASSERT_EQ(1, oi.valid);
		ASSERT_GE(vgc_usable_size(self->a, p), sz);
		o[n] = (struct rec){ p, sz, n };
		fill(p, sz, n);
		bytes += sz;
		n++;
	}
	/* NULL only when growth could not give what the request needed */
	left = cap - committed_granules(self->a, VGC_ZONE_RED, 0) * 16;
	TH_LOG("first NULL after %zu objects, %" PRIu64 " KiB, for %zu B; %" PRIu64 " KiB uncommitted",
	       n, bytes / KiB, first_fail, left / KiB);
	ASSERT_GT(bytes, zone);
	ASSERT_LT(left, round_span(first_fail));

	/* then the smallest class fills what is left, up to the cap */
	for (;;) {
		void *p;

		ASSERT_LT(n, max);
		errno = 0;
		p = vgc_alloc(self->a, 16, VGC_ZONE_RED);
		if (!p) {
			ASSERT_EQ(ENOMEM, errno);
			break;
		}
		o[n] = (struct rec){ p, 16, n };
		fill(p, 16, n);
		bytes += 16;
		n++;
	}
	ASSERT_EQ(cap / 16, committed_granules(self->a, VGC_ZONE_RED, 0));
	ASSERT_GT(bytes, cap / 2);
	/* stays at the cap: ENOMEM again, for every kind of request */
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, 16, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, 2 * MiB, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	/* other zones are not touched by Red's cap */
	{
		void *g = vgc_alloc(self->a, 64, VGC_ZONE_GREEN);

		ASSERT_NE(NULL, g);
		ASSERT_EQ(0, vgc_free(self->a, g));
	}
	heap_stats(self->a, &st);
	TH_LOG("%zu objects, %" PRIu64 " KiB; grown_spans %" PRIu64 " grow_calls %" PRIu64 " grow_failed %" PRIu64,
	       n, bytes / KiB, st.grown_spans, st.grow_calls, st.grow_failed);
	ASSERT_EQ((cap - zone) / SPAN, st.grown_spans);
	ASSERT_GT(st.grow_calls, 1);
	ASSERT_GE(st.large_allocs, 1);

	for (i = 0; i < n; i++) {
		bad = check(o[i].p, o[i].size, o[i].seed);
		ASSERT_EQ(-1, bad) TH_LOG("object %zu (%zu B) word %ld", i,
					  o[i].size, bad);
	}

	/* recovery: every other object freed, the same sizes fit again */
	for (i = 0; i < n; i += 2)
		ASSERT_EQ(0, vgc_free(self->a, o[i].p)) TH_LOG("free %zu", i);
	for (i = 1; i < n; i += 2) {
		bad = check(o[i].p, o[i].size, o[i].seed);
		ASSERT_EQ(-1, bad) TH_LOG("survivor %zu word %ld", i, bad);
	}
	for (i = 0; i < n; i += 2) {
		errno = 0;
		o[i].p = vgc_alloc(self->a, o[i].size, VGC_ZONE_RED);
		ASSERT_NE(NULL, o[i].p) TH_LOG("again %zu (%zu B): %s", i,
					       o[i].size, strerror(errno));
		o[i].seed = n + i;
		fill(o[i].p, o[i].size, o[i].seed);
	}
	for (i = 0; i < n; i++) {
		bad = check(o[i].p, o[i].size, o[i].seed);
		ASSERT_EQ(-1, bad) TH_LOG("after recovery %zu word %ld", i, bad);
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vgc_free(self->a, o[i].p));
	{
		struct vgc_usage u;

		ASSERT_EQ(0, vgc_region_usage(self->a, VGC_ZONE_RED, 0, 0, &u));
		ASSERT_EQ(0, u.live);
	}
	free(o);
}

/* ---- 2. re-carving --------------------------------------------------- */

TEST_F_TIMEOUT(heap, recarve_across_classes, 60)
{
	const uint64_t zone = 1 * MiB;
	const struct vgc_region *r;
	struct vgc_heap_stats st0, st;
	uint64_t gen0, spans, n, i;
	void **p;
	void *q, *big;
	struct vgc_objinfo oi;

	OPEN(1, zone, 0);
	r = vgc_arena_region(self->a, VGC_ZONE_RED, 0);
	gen0 = r->gen_granules[VGC_GEN0];
	spans = gen0 / VGC_SPAN_GRANULES;
	ASSERT_EQ(r->capacity_granules, r->committed_granules);
	p = calloc(gen0 + 1, sizeof(*p));
	ASSERT_NE(NULL, p);

	/* a fixed capacity holds exactly Gen0's granules of 16 B objects */
	for (n = 0;; n++) {
		ASSERT_LE(n, gen0);
		errno = 0;
		p[n] = vgc_alloc(self->a, 16, VGC_ZONE_RED);
		if (!p[n])
			break;
		*(uint64_t *)p[n] = canary(1, n);
	}
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(gen0, n);
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, 1024, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(canary(1, i), *(uint64_t *)p[i]);
		ASSERT_EQ(0, vgc_free(self->a, p[i]));
	}
	heap_stats(self->a, &st0);

	/* the empty 16 B spans serve 1 KiB and 64 KiB objects */
	q = vgc_alloc(self->a, 1024, VGC_ZONE_RED);
	ASSERT_NE(NULL, q) TH_LOG("1 KiB after freeing all: %s", strerror(errno));
	ASSERT_EQ(0, vgc_locate(self->a, q, &oi));
	ASSERT_EQ(1024, oi.size);
	ASSERT_EQ(VGC_GEN0, oi.gen);
	big = vgc_alloc(self->a, 64 * KiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, big) TH_LOG("64 KiB: %s", strerror(errno));
	ASSERT_EQ(64 * KiB, vgc_usable_size(self->a, big));
	memset(big, 0x3c, 64 * KiB);
	heap_stats(self->a, &st);
	TH_LOG("recarved %" PRIu64 " -> %" PRIu64, st0.recarved, st.recarved);
	ASSERT_GE(st.recarved, st0.recarved + 2);

	/* and every other span too: 1 KiB objects fill the rest */
	for (n = 1;; n++) {
		ASSERT_LE(n, spans * 64);
		p[n - 1] = vgc_alloc(self->a, 1024, VGC_ZONE_RED);
		if (!p[n - 1])
			break;
	}
	ASSERT_EQ(ENOMEM, errno);
	/* q and the n - 1 new ones: all spans but the 64 KiB object's */
	ASSERT_EQ((spans - 1) * 64, n);
	for (i = 0; i + 1 < n; i++)
		ASSERT_EQ(0, vgc_free(self->a, p[i]));
	ASSERT_EQ(0, vgc_free(self->a, q));
	ASSERT_EQ(0, vgc_free(self->a, big));

	/* a large object: a run of empty spans of other classes */
	big = vgc_alloc(self->a, 2 * SPAN, VGC_ZONE_RED);
	ASSERT_NE(NULL, big) TH_LOG("128 KiB in an empty fixed zone: %s",
				    strerror(errno));
	ASSERT_EQ(0, vgc_free(self->a, big));
	/* the 16 B class comes back after the others */
	for (n = 0;; n++) {
		ASSERT_LE(n, gen0);
		p[n] = vgc_alloc(self->a, 16, VGC_ZONE_RED);
		if (!p[n])
			break;
	}
	ASSERT_EQ(gen0, n);
	free(p);
}

/* ---- 3. large objects ------------------------------------------------ */

TEST_F_TIMEOUT(heap, large_objects, 120)
{
	static const size_t sizes[] = { 65537, 1 * MiB, 16 * MiB, 64 * MiB };
	const size_t ns = sizeof(sizes) / sizeof(sizes[0]);
	char *p[4];
	struct vgc_heap_stats st0, st;
	struct vgc_objinfo oi, oj;
	char *base;
	size_t i, u;
	void *x;
	int local;

	OPEN(1, 1 * MiB, 128 * MiB);
	base = vgc_arena_base(self->a);
	heap_stats(self->a, &st0);
	for (i = 0; i < ns; i++) {
		p[i] = vgc_alloc(self->a, sizes[i], VGC_ZONE_RED);
		ASSERT_NE(NULL, p[i]) TH_LOG("%zu B: %s", sizes[i],
					     strerror(errno));
		u = vgc_usable_size(self->a, p[i]);
		ASSERT_EQ(round_span(sizes[i]), u);
		ASSERT_EQ(0, ((uintptr_t)p[i]) % SPAN);
		fill(p[i], u, 100 + i);

		ASSERT_EQ(0, vgc_locate(self->a, p[i], &oi));
		ASSERT_EQ((uint64_t)(p[i] - base) >> 4, oi.index);
		ASSERT_EQ(u, oi.size);
		ASSERT_EQ(1, oi.valid);
		ASSERT_EQ(VGC_ST_ACTIVE, oi.state);
		ASSERT_EQ(VGC_ZONE_RED, oi.zone);
		ASSERT_EQ(VGC_GEN0, oi.gen);
		/* interior pointers: the last byte, the middle, span 1 */
		ASSERT_EQ(0, vgc_locate(self->a, p[i] + u - 1, &oj));
		ASSERT_EQ(oi.index, oj.index);
		ASSERT_EQ(u, oj.size);
		ASSERT_EQ(1, oj.valid);
		ASSERT_EQ(0, vgc_locate(self->a, p[i] + u / 2 + 8, &oj));
		ASSERT_EQ(oi.index, oj.index);
		ASSERT_EQ(0, vgc_locate(self->a, p[i] + SPAN, &oj));
		ASSERT_EQ(oi.index, oj.index);
		ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p[i] + u - 1));
		ASSERT_EQ(u, vgc_usable_size(self->a, p[i] + u - 1));
		ASSERT_EQ(0, vgc_touch(self->a, p[i] + u - 1));
		/* not the start of the object */
		ASSERT_EQ(-EINVAL, vgc_free(self->a, p[i] + 16));
		ASSERT_EQ(-EINVAL, vgc_free(self->a, p[i] + SPAN));
		ASSERT_EQ(-EINVAL, vgc_free(self->a, p[i] + u - 16));
		errno = 0;
		ASSERT_EQ(NULL, vgc_realloc(self->a, p[i] + SPAN, 16, 0));
		ASSERT_EQ(EINVAL, errno);
		/* the slot past the end is not part of it */
		if (vgc_locate(self->a, p[i] + u, &oj) == 0)
			ASSERT_NE(oi.index, oj.index);
	}
	heap_stats(self->a, &st);
	ASSERT_EQ(st0.large_allocs + ns, st.large_allocs);
	ASSERT_GE(st.large_spans, st0.large_spans + (64 + 16 + 1 + 2) * MiB / SPAN / 16);
	ASSERT_EQ(0, ckpts(self->a, 2));
	for (i = 0; i < ns; i++) {
		u = vgc_usable_size(self->a, p[i]);
		ASSERT_EQ(-1, check(p[i], u, 100 + i)) TH_LOG("large %zu", i);
		/* touched in the first window, Idle after the second */
		ASSERT_EQ(VGC_ST_IDLE, vgc_state(self->a, p[i]));
	}
	/* vgc_free gives the spans back at once */
	for (i = 0; i < ns; i++) {
		heap_stats(self->a, &st0);
		ASSERT_EQ(0, vgc_free(self->a, p[i]));
		heap_stats(self->a, &st);
		ASSERT_EQ(st0.large_frees + 1, st.large_frees);
		ASSERT_EQ(-EINVAL, vgc_state(self->a, p[i]));
		ASSERT_EQ(0, vgc_usable_size(self->a, p[i]));
		ASSERT_EQ(-EINVAL, vgc_free(self->a, p[i]));
		ASSERT_EQ(-EINVAL, vgc_release(self->a, p[i]));
		ASSERT_EQ(-EINVAL, vgc_state(self->a, p[i] + SPAN));
	}

	/* vgc_release + checkpoints: the decommit pass returns the spans */
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, 0));
	x = vgc_alloc(self->a, 16 * MiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, x);
	memset(x, 0x77, 16 * MiB);
	ASSERT_EQ(0, vgc_release(self->a, (char *)x + 5 * MiB));
	ASSERT_EQ(-EALREADY, vgc_release(self->a, x));
	ASSERT_EQ(-EALREADY, vgc_free(self->a, x));
	heap_stats(self->a, &st0);
	ASSERT_EQ(0, ckpts(self->a, 6));
	heap_stats(self->a, &st);
	ASSERT_EQ(st0.large_frees + 1, st.large_frees);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, x));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, x));

	/* the space comes back: 64 + 48 MiB fit the 128 MiB reserve again */
	p[0] = vgc_alloc(self->a, 64 * MiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, p[0]) TH_LOG("64 MiB again: %s", strerror(errno));
	p[1] = vgc_alloc(self->a, 48 * MiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, p[1]) TH_LOG("48 MiB: %s", strerror(errno));
	/* recommitted spans read zero */
	ASSERT_TRUE(all_zero(p[0], 64 * MiB));
	ASSERT_TRUE(all_zero(p[1], 48 * MiB));
	ASSERT_EQ(0, vgc_free(self->a, p[0]));
	ASSERT_EQ(0, vgc_free(self->a, p[1]));

	/* Persistent large objects: not released, freed */
	x = vgc_alloc_gen(self->a, 3 * SPAN, VGC_ZONE_RED, VGC_GEN0,
			  VGC_ALLOC_F_PERSISTENT);
	ASSERT_NE(NULL, x);
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, x));
	ASSERT_EQ(-EPERM, vgc_release(self->a, x));
	ASSERT_EQ(0, ckpts(self->a, 4));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, x));
	ASSERT_EQ(0, vgc_free(self->a, x));

	/* Gen1 does not grow: 2 spans fit its 4, 1 MiB does not */
	x = vgc_alloc_gen(self->a, 2 * SPAN, VGC_ZONE_RED, VGC_GEN1, 0);
	ASSERT_NE(NULL, x) TH_LOG("Gen1 128 KiB: %s", strerror(errno));
	ASSERT_EQ(0, vgc_locate(self->a, x, &oi));
	ASSERT_EQ(VGC_GEN1, oi.gen);
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc_gen(self->a, 1 * MiB, VGC_ZONE_RED,
				      VGC_GEN1, 0));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, vgc_free(self->a, x));

	/* beyond the reserve, beyond any index space */
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, 200 * MiB, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, SIZE_MAX, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, SIZE_MAX - SPAN + 2, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, 1ULL << 45, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(-EINVAL, vgc_free(self->a, &local));
	/* still usable after the failures */
	x = vgc_alloc(self->a, 100 * MiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, x) TH_LOG("100 MiB: %s", strerror(errno));
	ASSERT_EQ(0, vgc_free(self->a, x));
}

/*
 * A released large object is reclaimed whole: the sweep's reclaimed bytes,
 * the region's and the pacer's count its run, the bytes vgc_release()
 * counted, so that nothing stays pending (it counted the head's 64 KiB
 * once, and a pacer with pending_max ran a checkpoint on every release).
 */
TEST_F_TIMEOUT(heap, large_release_reclaims_whole_run, 60)
{
	static const size_t sizes[] = { 65537, 1 * MiB, 3 * MiB + 1 };
	const size_t ns = sizeof(sizes) / sizeof(sizes[0]);
	const struct vgc_region_stats *rs;
	struct vgc_pacer_stats ps0, ps;
	struct vgc_checkpoint res;
	uint64_t want = 0, got = 0, objs = 0, rb0;
	struct vgc_usage u;
	char *p[3];
	size_t i;
	int n;

	OPEN(1, 1 * MiB, 128 * MiB);
	/* a live one counts its run too */
	p[0] = vgc_alloc(self->a, 3 * MiB + 1, VGC_ZONE_RED);
	ASSERT_NE(NULL, p[0]);
	ASSERT_EQ(0, vgc_region_usage(self->a, VGC_ZONE_RED, 0, 0, &u));
	ASSERT_EQ(1, u.live);
	ASSERT_EQ(vgc_usable_size(self->a, p[0]), u.live_bytes);
	ASSERT_EQ(0, vgc_free(self->a, p[0]));

	rs = vgc_region_stats(self->a, VGC_ZONE_RED, 0);
	ASSERT_NE(NULL, rs);
	rb0 = rs->reclaimed_bytes;
	vgc_pacer_stats(self->a, &ps0);
	for (i = 0; i < ns; i++) {
		p[i] = vgc_alloc(self->a, sizes[i], VGC_ZONE_RED);
		ASSERT_NE(NULL, p[i]) TH_LOG("%zu B: %s", sizes[i],
					     strerror(errno));
		want += vgc_usable_size(self->a, p[i]);
	}
	for (i = 0; i < ns; i++)
		ASSERT_EQ(0, vgc_release(self->a, p[i]));
	for (n = 0; n < 20 && objs < ns; n++) {
		memset(&res, 0, sizeof(res));
		res.size = sizeof(res);
		ASSERT_EQ(0, vgct_ckpt(self->a, VGC_CKPT_F_ALL_ZONES, &res));
		objs += res.counts.reclaimed;
		got += res.counts.reclaimed_bytes;
	}
	ASSERT_EQ(ns, objs) TH_LOG("%d checkpoints", n);
	ASSERT_EQ(want, got);
	ASSERT_EQ(want, rs->reclaimed_bytes - rb0);
	vgc_pacer_stats(self->a, &ps);
	ASSERT_EQ(want, ps.released_bytes - ps0.released_bytes);
	ASSERT_EQ(want, ps.reclaimed_bytes - ps0.reclaimed_bytes);
	ASSERT_EQ(0, ps.pending_bytes);
	for (i = 0; i < ns; i++)
		ASSERT_EQ(-EINVAL, vgc_state(self->a, p[i]));
	ASSERT_EQ(0, vgc_region_usage(self->a, VGC_ZONE_RED, 0, 0, &u));
	ASSERT_EQ(0, u.live);
	ASSERT_EQ(0, u.live_bytes);
}

/* ---- 4. decommit ----------------------------------------------------- */

TEST_F_TIMEOUT(heap, decommit_lowers_memory, 120)
{
	const size_t osz = 512, total = 32 * MiB, n = total / osz;
	long rss0, rss1, rss2, rss3;
	struct vgc_stats as0, as1, as2;
	struct vgc_heap_stats st0, st1, st2;
	void **p = calloc(n, sizeof(*p));
	void *big[40];
	size_t i, nb = 0;
	int module;

	ASSERT_NE(NULL, p);
	OPEN(1, 1 * MiB, 64 * MiB);
	module = backend_is_module(self->a);
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, -1));
	rss0 = arena_rss(self->a);
	ASSERT_GE(rss0, 0) TH_LOG("no Rss for the arena's mapping");
	for (i = 0; i < n; i++) {
		p[i] = vgc_alloc(self->a, osz, VGC_ZONE_RED);
		ASSERT_NE(NULL, p[i]) TH_LOG("object %zu: %s", i, strerror(errno));
		memset(p[i], 0xa5, osz);
	}
	rss1 = arena_rss(self->a);
	ASSERT_EQ(0, vgc_arena_stats(self->a, &as0));
	heap_stats(self->a, &st0);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vgc_free(self->a, p[i]));
	/* never: checkpoints alone decommit nothing */
	ASSERT_EQ(0, ckpts(self->a, 3));
	heap_stats(self->a, &st1);
	ASSERT_EQ(st0.decommitted, st1.decommitted);
	ASSERT_EQ(-1, st1.decommit_delay_ms);

	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, 0));
	heap_stats(self->a, &st1);
	ASSERT_EQ(0, st1.decommit_delay_ms);
	ASSERT_EQ(0, ckpts(self->a, 3));
	heap_stats(self->a, &st1);
	rss2 = arena_rss(self->a);
	ASSERT_EQ(0, vgc_arena_stats(self->a, &as1));
	TH_LOG("rss: open %ld KiB, 32 MiB allocated %ld KiB, freed and decommitted %ld KiB",
	       rss0 / 1024, rss1 / 1024, rss2 / 1024);
	TH_LOG("committed_bytes %" PRIu64 " KiB -> %" PRIu64 " KiB; decommitted spans %" PRIu64 " -> %" PRIu64,
	       (uint64_t)(as0.committed_bytes / KiB),
	       (uint64_t)(as1.committed_bytes / KiB), st0.decommitted,
	       st1.decommitted);
	ASSERT_GE(rss1 - rss0, (long)(total * 3 / 4));
	ASSERT_GE(st1.decommitted - st0.decommitted, total / SPAN);
	ASSERT_LE(rss2, rss1 - (long)(total * 3 / 4));
	if (module)
		ASSERT_LE(as1.committed_bytes + total, as0.committed_bytes);

	/* recommitted on demand, zeroed: 1 MiB large objects on the old spans */
	for (nb = 0; nb < 24; nb++) {
		big[nb] = vgc_alloc(self->a, 1 * MiB, VGC_ZONE_RED);
		ASSERT_NE(NULL, big[nb]);
		ASSERT_TRUE(all_zero(big[nb], 1 * MiB)) TH_LOG("large %zu", nb);
		fill(big[nb], 1 * MiB, nb);
	}
	/* and small objects: every slot of a recommitted span is zero */
	heap_stats(self->a, &st0);
	for (i = 0; i < 8192; i++) {
		p[i] = vgc_alloc(self->a, osz, VGC_ZONE_RED);
		ASSERT_NE(NULL, p[i]);
	}
	heap_stats(self->a, &st2);
	TH_LOG("recommitted %" PRIu64 " -> %" PRIu64, st1.recommitted,
	       st2.recommitted);
	ASSERT_GE(st2.recommitted, st1.recommitted + 24 * MiB / SPAN);
	for (i = 0; i < 8192; i++)
		ASSERT_TRUE(all_zero(p[i], osz)) TH_LOG("small %zu", i);
	rss3 = arena_rss(self->a);
	ASSERT_EQ(0, vgc_arena_stats(self->a, &as2));
	TH_LOG("recommitted 28 MiB: rss %ld KiB, committed_bytes %" PRIu64 " KiB",
	       rss3 / 1024, (uint64_t)(as2.committed_bytes / KiB));
	if (module)
		ASSERT_GE(as2.committed_bytes, as1.committed_bytes + 24 * MiB);
	for (i = 0; i < nb; i++)
		ASSERT_EQ(-1, check(big[i], 1 * MiB, i));
	free(p);
}

/*
 * The delay's bounds: long delays decommit nothing, whatever their size;
 * bad arguments are EINVAL.
 */
TEST_F(heap, decommit_delay_bounds)
{
	static const int64_t longs[] = { 60000, 1LL << 32, (1LL << 32) + 5,
					 1LL << 45, INT64_MAX };
	struct vgc_heap_stats st, st0;
	void *p[64];
	size_t k;
	int i;

	OPEN(1, 1 * MiB, 16 * MiB);
	ASSERT_EQ(-EINVAL, vgc_heap_stats(NULL, &st));
	ASSERT_EQ(-EINVAL, vgc_heap_stats(self->a, NULL));
	ASSERT_EQ(-EINVAL, vgc_heap_set_decommit(NULL, 0));
	heap_stats(self->a, &st);
	ASSERT_EQ(250, st.decommit_delay_ms);	/* the default */
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, -5));
	heap_stats(self->a, &st);
	ASSERT_EQ(-1, st.decommit_delay_ms);
	for (k = 0; k < sizeof(longs) / sizeof(longs[0]); k++) {
		ASSERT_EQ(0, vgc_heap_set_decommit(self->a, longs[k]));
		heap_stats(self->a, &st);
		/* at most some 49 days: the empty stamps are 32-bit ms */
		ASSERT_EQ(st.decommit_delay_ms, longs[k] < UINT32_MAX - 1 ?
			  longs[k] : UINT32_MAX - 1)
			TH_LOG("delay %" PRId64 " reads %" PRId64, longs[k],
			       st.decommit_delay_ms);
		heap_stats(self->a, &st0);
		for (i = 0; i < 64; i++) {
			p[i] = vgc_alloc(self->a, 4096, VGC_ZONE_RED);
			ASSERT_NE(NULL, p[i]);
		}
		for (i = 0; i < 64; i++)
			ASSERT_EQ(0, vgc_free(self->a, p[i]));
		ASSERT_EQ(0, ckpts(self->a, 3));
		heap_stats(self->a, &st);
		ASSERT_EQ(st0.decommitted, st.decommitted)
			TH_LOG("delay %" PRId64 " ms decommitted at once",
			       longs[k]);
	}
}

/*
 * A large object freed with vgc_free stays committed for the decommit
 * delay (the next large allocation reuses it without faults), and is
 * decommitted at once with a delay of 0.
 */
TEST_F(heap, large_free_decommits)
{
	struct vgc_heap_stats hs;
	struct mem m;
	long rss0;
	void *x, *y;

	OPEN(1, 1 * MiB, 64 * MiB);
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, -1));
	x = vgc_alloc(self->a, 32 * MiB, VGC_ZONE_BLUE);
	ASSERT_NE(NULL, x);
	memset(x, 1, 32 * MiB);
	rss0 = arena_rss(self->a);
	ASSERT_EQ(0, vgc_free(self->a, x));
	ASSERT_GE(arena_rss(self->a), rss0 - (long)(1 * MiB));
	y = vgc_alloc(self->a, 32 * MiB, VGC_ZONE_BLUE);
	ASSERT_EQ(x, y);		/* the same run, still committed */
	heap_stats(self->a, &hs);
	ASSERT_EQ(0, hs.decommitted);

	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, 0));
	mem_now(self->a, &m);
	ASSERT_EQ(0, vgc_free(self->a, y));
	gave_back(_metadata, self->a, &m, 32 * MiB, "freed 32 MiB, delay 0");
	/* the same spans again, committed anew: zero without a memset */
	x = vgc_alloc(self->a, 32 * MiB, VGC_ZONE_BLUE);
	ASSERT_NE(NULL, x);
	ASSERT_TRUE(all_zero(x, 32 * MiB));
	ASSERT_EQ(0, vgc_free(self->a, x));
}

/*
 * A large object freed while Persistent and touched leaves its head span
 * clean: the next small object carved there starts Active and is
 * reclaimed like any.  Runs of one size come back first fit: a ring of
 * large objects freed oldest first reuses the runs it freed and does not
 * grow the region.
 */
TEST_F(heap, large_free_leaves_clean_spans)
{
	struct vgc_heap_stats st0, st;
	char *x, *p, *ring[8];
	int i, k;

	OPEN(1, 1 * MiB, 64 * MiB);
	x = vgc_alloc_gen(self->a, 3 * SPAN, VGC_ZONE_BLUE, VGC_GEN0,
			  VGC_ALLOC_F_PERSISTENT);
	ASSERT_NE(NULL, x);
	ASSERT_EQ(0, vgc_touch(self->a, x));
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, x));
	ASSERT_EQ(0, vgc_touch(self->a, x));
	ASSERT_EQ(0, vgc_free(self->a, x));
	/* a class the zone never used: carved at the lowest free span */
	p = vgc_alloc(self->a, 3000, VGC_ZONE_BLUE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(x, p) TH_LOG("the freed head span is the lowest free one");
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
	ASSERT_EQ(0, ckpts(self->a, 1));
	/* an open object, not the Persistent one that lived there */
	ASSERT_EQ(VGC_ST_IDLE, vgc_state(self->a, p));
	ASSERT_EQ(0, vgc_release(self->a, p));
	ASSERT_EQ(0, ckpts(self->a, 6));
	ASSERT_EQ(-EINVAL, vgc_state(self->a, p)) TH_LOG("reclaimed");

	for (i = 0; i < 8; i++) {
		ring[i] = vgc_alloc(self->a, 256 * KiB, VGC_ZONE_GREEN);
		ASSERT_NE(NULL, ring[i]);
		memset(ring[i], i, 256 * KiB);
	}
	heap_stats(self->a, &st0);
	for (k = 0; k < 64; k++) {
		char *old = ring[k % 8];

		ASSERT_EQ(0, vgc_free(self->a, old));
		ring[k % 8] = vgc_alloc(self->a, 256 * KiB, VGC_ZONE_GREEN);
		ASSERT_EQ(old, ring[k % 8]) TH_LOG("op %d: the run just freed", k);
		memset(ring[k % 8], k, 256 * KiB);
	}
	heap_stats(self->a, &st);
	ASSERT_EQ(st0.grown_spans, st.grown_spans);
	ASSERT_EQ(st0.large_allocs + 64, st.large_allocs);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, vgc_free(self->a, ring[i]));
}

/* A large Blue object of bytes, written, freed and kept: its address. */
static char *freed_and_kept(struct __test_metadata *_metadata,
			    struct vgc_arena *a, size_t bytes, int c)
{
	char *x = vgc_alloc(a, bytes, VGC_ZONE_BLUE);

	EXPECT_NE(NULL, x) TH_LOG("%zu B: %s", bytes, strerror(errno));
	if (!x)
		return NULL;
	memset(x, c, bytes);
	EXPECT_EQ(0, vgc_free(a, x));
	EXPECT_EQ(VGC_SPAN_KEPT, vgct_span_entry(a, x));
	return x;
}

/*
 * The large object freed last in a (region, gen) is kept whole (large.c):
 * while kept it is no object and its head is VGC_SPAN_KEPT; the next
 * allocation of its size there is the same run; a run of another size,
 * a small class that carves a span, a delay of 0, or the decommit pass
 * after the delay give its spans back, and nothing is lost to it: the
 * reserve holds what it held before.
 */
TEST_F_TIMEOUT(heap, large_run_kept, 60)
{
	struct vgc_heap_stats st0, st;
	struct vgc_objinfo oi;
	char *x, *y, *z, **p;
	struct mem m;
	size_t i, n;
	int k;

	OPEN(1, 1 * MiB, 64 * MiB);
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, -1));
	x = vgc_alloc(self->a, 1 * MiB, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, x);
	fill(x, 1 * MiB, 7);
	ASSERT_EQ(VGC_SPAN_GRANULES, vgct_span_entry(self->a, x));
	ASSERT_EQ(0, vgc_free(self->a, x));
	ASSERT_EQ(VGC_SPAN_KEPT, vgct_span_entry(self->a, x));
	ASSERT_EQ(VGC_SPAN_CONT, vgct_span_entry(self->a, x + SPAN));
	/* no object, nor part of one */
	ASSERT_EQ(0, vgc_locate(self->a, x, &oi));
	ASSERT_EQ(0, oi.valid);
	ASSERT_EQ(0, oi.size);
	ASSERT_EQ(0, vgc_locate(self->a, x + 5 * SPAN + 16, &oi));
	ASSERT_EQ(0, oi.valid);
	ASSERT_EQ(0, oi.size);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, x));
	ASSERT_EQ(0, vgc_usable_size(self->a, x));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, x));
	ASSERT_EQ(-EINVAL, vgc_release(self->a, x));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, x + SPAN));
	/* sweeps pass it by */
	ASSERT_EQ(0, ckpts(self->a, 6));
	ASSERT_EQ(VGC_SPAN_KEPT, vgct_span_entry(self->a, x));

	heap_stats(self->a, &st0);
	for (k = 0; k < 64; k++) {
		y = vgc_alloc(self->a, 1 * MiB - 100, VGC_ZONE_GREEN);
		ASSERT_EQ(x, y) TH_LOG("op %d: the kept run", k);
		ASSERT_EQ(VGC_SPAN_GRANULES, vgct_span_entry(self->a, y));
		ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, y));
		ASSERT_EQ(0, vgc_locate(self->a, y + 1 * MiB - 1, &oi));
		ASSERT_EQ(1 * MiB, oi.size);
		ASSERT_EQ(1, oi.valid);
		ASSERT_EQ(-1, check(y, 1 * MiB, 7 + k));
		fill(y, 1 * MiB, 8 + k);
		ASSERT_EQ(0, vgc_free(self->a, y));
		ASSERT_EQ(-EINVAL, vgc_free(self->a, y));
	}
	heap_stats(self->a, &st);
	ASSERT_EQ(st0.large_allocs + 64, st.large_allocs);
	ASSERT_EQ(st0.large_frees + 64, st.large_frees);
	ASSERT_EQ(st0.grown_spans, st.grown_spans);

	/* Persistent, then freed: kept clean, the next one starts Active */
	y = vgc_alloc_gen(self->a, 1 * MiB, VGC_ZONE_GREEN, VGC_GEN0,
			  VGC_ALLOC_F_PERSISTENT);
	ASSERT_EQ(x, y);
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, y));
	ASSERT_EQ(0, vgc_free(self->a, y));
	y = vgc_alloc(self->a, 1 * MiB, VGC_ZONE_GREEN);
	ASSERT_EQ(x, y);
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_IDLE, vgc_state(self->a, y));
	ASSERT_EQ(0, vgc_free(self->a, y));

	/* another size: the kept run goes back and is found first fit */
	z = vgc_alloc(self->a, 512 * KiB, VGC_ZONE_GREEN);
	ASSERT_EQ(x, z);
	ASSERT_EQ(VGC_SPAN_FREE, vgct_span_entry(self->a, x + 8 * SPAN));
	/* another zone's slot is its own */
	y = vgc_alloc(self->a, 1 * MiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, y);
	ASSERT_EQ(0, vgc_free(self->a, y));
	ASSERT_EQ(VGC_SPAN_KEPT, vgct_span_entry(self->a, y));
	ASSERT_EQ(0, vgc_free(self->a, z));
	ASSERT_EQ(VGC_SPAN_KEPT, vgct_span_entry(self->a, z));

	/*
	 * Small objects carve the kept spans before the region grows: 40 MiB
	 * freed and kept, then 56 MiB of 1 KiB objects in a 64 MiB reserve.
	 */
	x = freed_and_kept(_metadata, self->a, 40 * MiB, 0x59);
	ASSERT_NE(NULL, x);
	n = 56 * MiB / KiB;
	p = calloc(n, sizeof(*p));
	ASSERT_NE(NULL, p);
	for (i = 0; i < n; i++) {
		p[i] = vgc_alloc(self->a, KiB, VGC_ZONE_BLUE);
		ASSERT_NE(NULL, p[i]) TH_LOG("object %zu: %s", i, strerror(errno));
	}
	ASSERT_NE(VGC_SPAN_KEPT, vgct_span_entry(self->a, x));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vgc_free(self->a, p[i]));
	free(p);

	/* a delay of 0 gives a kept run's pages back at once */
	x = freed_and_kept(_metadata, self->a, 16 * MiB, 0x5a);
	ASSERT_NE(NULL, x);
	mem_now(self->a, &m);
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, 0));
	gave_back(_metadata, self->a, &m, 16 * MiB, "kept 16 MiB, delay 0");
	ASSERT_EQ(VGC_SPAN_DECOMMITTED, vgct_span_entry(self->a, x));
	/* and with a delay of 0 nothing is kept */
	x = vgc_alloc(self->a, 16 * MiB, VGC_ZONE_BLUE);
	ASSERT_NE(NULL, x);
	ASSERT_TRUE(all_zero(x, 16 * MiB));
	ASSERT_EQ(0, vgc_free(self->a, x));
	ASSERT_EQ(VGC_SPAN_DECOMMITTED, vgct_span_entry(self->a, x));

	/* after the delay the decommit pass gives them back */
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, 20));
	x = freed_and_kept(_metadata, self->a, 16 * MiB, 0x5b);
	ASSERT_NE(NULL, x);
	mem_now(self->a, &m);
	/* the first pass stamps it, one a delay later gives it back */
	for (k = 0; k < 50 && vgct_span_entry(self->a, x) == VGC_SPAN_KEPT; k++) {
		usleep(30 * 1000);
		ASSERT_EQ(0, ckpts(self->a, 1));
	}
	TH_LOG("kept 16 MiB, delay 20 ms: given back after %d passes of 30 ms", k);
	ASSERT_GE(k, 2);
	ASSERT_EQ(VGC_SPAN_DECOMMITTED, vgct_span_entry(self->a, x));
	gave_back(_metadata, self->a, &m, 16 * MiB, "kept 16 MiB, delay 20 ms");
}

/* ---- 5. realloc, calloc, aligned_alloc ------------------------------ */

TEST_F(heap, realloc_semantics)
{
	char *p, *q, *r;
	int local;
	size_t i;

	OPEN(1, 4 * MiB, 64 * MiB);
	/* NULL: an allocation in the zone asked for */
	p = vgc_realloc(self->a, NULL, 100, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, p);
	{
		struct vgc_objinfo oi;

		ASSERT_EQ(0, vgc_locate(self->a, p, &oi));
		ASSERT_EQ(VGC_ZONE_GREEN, oi.zone);
		ASSERT_EQ(112, oi.size);
	}
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, NULL, 0, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, NULL, 16, 7));
	ASSERT_EQ(EINVAL, errno);
	for (i = 0; i < 100; i++)
		p[i] = (char)i;
	/* in place while >= half the usable size */
	ASSERT_EQ(p, vgc_realloc(self->a, p, 112, VGC_ZONE_RED));
	ASSERT_EQ(p, vgc_realloc(self->a, p, 56, VGC_ZONE_RED));
	ASSERT_EQ(p, vgc_realloc(self->a, p, 100, VGC_ZONE_RED));
	/* grow: moves, keeps the contents, frees the old object */
	q = vgc_realloc(self->a, p, 5000, VGC_ZONE_RED);
	ASSERT_NE(NULL, q);
	ASSERT_NE(p, q);
	ASSERT_GE(vgc_usable_size(self->a, q), 5000);
	for (i = 0; i < 100; i++)
		ASSERT_EQ((char)i, q[i]);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, p));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, p));
	{
		struct vgc_objinfo oi;

		ASSERT_EQ(0, vgc_locate(self->a, q, &oi));
		ASSERT_EQ(VGC_ZONE_GREEN, oi.zone);	/* stays in its zone */
	}
	memset(q, 0x42, 5000);
	/* shrink below half: moves, keeps the first bytes */
	r = vgc_realloc(self->a, q, 1000, VGC_ZONE_RED);
	ASSERT_NE(NULL, r);
	ASSERT_NE(q, r);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0x42, r[i]);
	/* small -> large -> larger -> in place -> small */
	p = vgc_realloc(self->a, r, 300 * KiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(320 * KiB, vgc_usable_size(self->a, p));
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0x42, p[i]);
	fill(p, 300 * KiB, 9);
	q = vgc_realloc(self->a, p, 2 * MiB, VGC_ZONE_RED);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(-1, check(q, 300 * KiB, 9));
	ASSERT_EQ(q, vgc_realloc(self->a, q, 1 * MiB + 1, VGC_ZONE_RED));
	ASSERT_EQ(q, vgc_realloc(self->a, q, 1 * MiB, VGC_ZONE_RED));
	r = vgc_realloc(self->a, q, 64, VGC_ZONE_RED);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(-1, check(r, 64, 9));
	ASSERT_EQ(-EINVAL, vgc_state(self->a, q));

	/* failure leaves the object alone */
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, r, 1ULL << 44, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, r));
	ASSERT_EQ(-1, check(r, 64, 9));
	/* bad pointers: EINVAL, nothing freed */
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, r + 16, 128, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, &local, 128, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, q, 128, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, r + 16, 0, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, r));
	/* size 0 frees */
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, r, 0, VGC_ZONE_RED));
	ASSERT_EQ(0, errno);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, r));
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, r, 0, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	/* a released object: not resized in place, not freed */
	p = vgc_alloc(self->a, 64, VGC_ZONE_RED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_release(self->a, p));
	errno = 0;
	ASSERT_EQ(NULL, vgc_realloc(self->a, p, 0, VGC_ZONE_RED));
	ASSERT_EQ(EALREADY, errno);
	/* Persistent stays Persistent when it moves */
	p = vgc_alloc_gen(self->a, 64, VGC_ZONE_RED, VGC_GEN0,
			  VGC_ALLOC_F_PERSISTENT);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, p));
	q = vgc_realloc(self->a, p, 4096, VGC_ZONE_RED);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, q));
	ASSERT_EQ(0, vgc_free(self->a, q));
}

TEST_F(heap, calloc_semantics)
{
	unsigned char *p, *q;
	size_t i;

	OPEN(1, 4 * MiB, 64 * MiB);
	/* a dirty slot comes back zeroed: the same slot, freed and taken */
	p = vgc_alloc(self->a, 200, VGC_ZONE_RED);
	ASSERT_NE(NULL, p);
	memset(p, 0xff, vgc_usable_size(self->a, p));
	ASSERT_EQ(0, vgc_free(self->a, p));
	q = vgc_calloc(self->a, 25, 8, VGC_ZONE_RED);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(p, q);
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, q[i]) TH_LOG("byte %zu", i);
	ASSERT_GE(vgc_usable_size(self->a, q), 200);
	/* large */
	p = vgc_calloc(self->a, 3, 100 * KiB, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, p);
	ASSERT_TRUE(all_zero(p, 300 * KiB));
	memset(p, 0xee, 300 * KiB);
	ASSERT_EQ(0, vgc_free(self->a, p));
	p = vgc_calloc(self->a, 300, KiB, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, p);
	ASSERT_TRUE(all_zero(p, 300 * KiB));
	ASSERT_EQ(0, vgc_free(self->a, p));
	/* overflow of n * size */
	errno = 0;
	ASSERT_EQ(NULL, vgc_calloc(self->a, SIZE_MAX / 2, 3, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_calloc(self->a, (size_t)1 << 33, (size_t)1 << 31,
				   VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_calloc(self->a, SIZE_MAX, SIZE_MAX, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	/* too big without overflow */
	errno = 0;
	ASSERT_EQ(NULL, vgc_calloc(self->a, 1 << 20, 1 << 20, VGC_ZONE_RED));
	ASSERT_EQ(ENOMEM, errno);
	/* nothing to allocate, bad zone */
	errno = 0;
	ASSERT_EQ(NULL, vgc_calloc(self->a, 0, 16, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_calloc(self->a, 16, 0, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_calloc(self->a, 1, 16, 3));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vgc_free(self->a, q));
}

TEST_F(heap, aligned_alloc_semantics)
{
	static const size_t bad_align[] = { 0, 3, 24, 48, 96, 65535,
					    131072, 1 << 20 };
	size_t align, k, sz;
	char *p;

	OPEN(1, 4 * MiB, 64 * MiB);
	for (align = 1; align <= 65536; align <<= 1) {
		const size_t sizes[] = { 1, align > 1 ? align - 1 : 1, align,
					 align + 1, 3 * align, 100 };

		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			sz = sizes[k];
			p = vgc_aligned_alloc(self->a, align, sz, VGC_ZONE_RED);
			ASSERT_NE(NULL, p) TH_LOG("align %zu size %zu: %s",
						  align, sz, strerror(errno));
			ASSERT_EQ(0, (uintptr_t)p % align)
				TH_LOG("align %zu size %zu: %p", align, sz, p);
			ASSERT_EQ(0, (uintptr_t)p % 16);
			ASSERT_GE(vgc_usable_size(self->a, p), sz);
			ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
			memset(p, 0x11, sz);
			/* a second one of the class is aligned too */
			{
				char *p2 = vgc_aligned_alloc(self->a, align, sz,
							     VGC_ZONE_RED);

				ASSERT_NE(NULL, p2);
				ASSERT_EQ(0, (uintptr_t)p2 % align);
				ASSERT_NE(p, p2);
				ASSERT_EQ(0, vgc_free(self->a, p2));
			}
			ASSERT_EQ(0, vgc_free(self->a, p));
		}
	}
	for (k = 0; k < sizeof(bad_align) / sizeof(bad_align[0]); k++) {
		errno = 0;
		ASSERT_EQ(NULL, vgc_aligned_alloc(self->a, bad_align[k], 64,
						  VGC_ZONE_RED));
		ASSERT_EQ(EINVAL, errno) TH_LOG("align %zu", bad_align[k]);
	}
	errno = 0;
	ASSERT_EQ(NULL, vgc_aligned_alloc(self->a, 64, 0, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, vgc_aligned_alloc(self->a, 64, 64, 3));
	ASSERT_EQ(EINVAL, errno);
	/* large objects are span aligned */
	p = vgc_aligned_alloc(self->a, 65536, 200 * KiB, VGC_ZONE_BLUE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, (uintptr_t)p % SPAN);
	ASSERT_EQ(256 * KiB, vgc_usable_size(self->a, p));
	ASSERT_EQ(0, vgc_free(self->a, p));
	errno = 0;
	ASSERT_EQ(NULL, vgc_aligned_alloc(self->a, 4096, 1ULL << 44,
					  VGC_ZONE_BLUE));
	ASSERT_EQ(ENOMEM, errno);
}

/* ---- 6. vgc_free ----------------------------------------------------- */

TEST_F(heap, free_errors)
{
	struct vgc_objinfo oi;
	char *p, *q, *n[16];
	int local, i;

	OPEN(1, 4 * MiB, 0);
	ASSERT_EQ(0, vgc_free(self->a, NULL));
	ASSERT_EQ(-EINVAL, vgc_free(NULL, &local));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, &local));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, (char *)vgc_arena_base(self->a) - 16));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, (void *)16));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, (void *)UINTPTR_MAX));
	/* a span never carved */
	ASSERT_EQ(-EINVAL, vgc_free(self->a, vgc_arena_base(self->a)));

	for (i = 0; i < 16; i++) {
		n[i] = vgc_alloc(self->a, 64, VGC_ZONE_RED);
		ASSERT_NE(NULL, n[i]);
		fill(n[i], 64, i);
	}
	p = n[5];
	/* interior pointers */
	ASSERT_EQ(-EINVAL, vgc_free(self->a, p + 16));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, p + 63));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, p + 1));
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
	ASSERT_EQ(-1, check(p, 64, 5));
	/* a slot never allocated */
	ASSERT_EQ(-EINVAL, vgc_free(self->a, n[15] + 64));
	/* free, then it reads free, then a double free */
	ASSERT_EQ(0, vgc_free(self->a, p));
	ASSERT_EQ(0, vgc_locate(self->a, p, &oi));
	ASSERT_EQ(0, oi.valid);
	ASSERT_EQ(VGC_ST_ACTIVE, oi.state);	/* the free preset 001 */
	ASSERT_EQ(64, oi.size);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, p));
	ASSERT_EQ(0, vgc_usable_size(self->a, p));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, p));
	ASSERT_EQ(-EINVAL, vgc_release(self->a, p));
	ASSERT_EQ(-EINVAL, vgc_touch(self->a, p));
	/* the neighbours are untouched */
	for (i = 0; i < 16; i++)
		if (i != 5)
			ASSERT_EQ(-1, check(n[i], 64, i)) TH_LOG("obj %d", i);
	/* the next allocation of the class takes the freed slot */
	q = vgc_alloc(self->a, 64, VGC_ZONE_RED);
	ASSERT_EQ(p, q);
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, q));
	/* another class does not */
	ASSERT_EQ(0, vgc_free(self->a, q));
	q = vgc_alloc(self->a, 48, VGC_ZONE_RED);
	ASSERT_NE(NULL, q);
	ASSERT_NE(p, q);

	/* released: the sweep's, EALREADY until it is reclaimed */
	ASSERT_EQ(0, vgc_release(self->a, n[6]));
	ASSERT_EQ(-EALREADY, vgc_free(self->a, n[6]));
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(self->a, n[6]));
	ASSERT_EQ(-EALREADY, vgc_free(self->a, n[6]));
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(-EALREADY, vgc_free(self->a, n[6]));
	ASSERT_EQ(0, ckpts(self->a, 2));
	ASSERT_EQ(-EINVAL, vgc_state(self->a, n[6]));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, n[6]));

	/* pending requests go with the free: a pin does not reach the next */
	p = vgc_alloc_gen(self->a, 64, VGC_ZONE_RED, VGC_GEN0,
			  VGC_ALLOC_F_PERSISTENT);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_touch(self->a, p));
	ASSERT_EQ(0, vgc_promote(self->a, p));
	ASSERT_EQ(0, vgc_free(self->a, p));
	q = vgc_alloc(self->a, 64, VGC_ZONE_RED);
	ASSERT_EQ(p, q);
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_IDLE, vgc_state(self->a, q));
	ASSERT_EQ(0, vgc_free(self->a, q));
	/* Persistent and candidate objects may be freed; they come back 001 */
	p = vgc_alloc_gen(self->a, 64, VGC_ZONE_RED, VGC_GEN0,
			  VGC_ALLOC_F_PERSISTENT);
	q = vgc_alloc(self->a, 64, VGC_ZONE_RED);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, vgc_demote(self->a, q));
	ASSERT_EQ(0, ckpts(self->a, 1));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, p));
	ASSERT_EQ(VGC_ST_DEMOTE, vgc_state(self->a, q));
	ASSERT_EQ(0, vgc_free(self->a, p));
	ASSERT_EQ(0, vgc_free(self->a, q));
	ASSERT_EQ(0, vgc_locate(self->a, p, &oi));
	ASSERT_EQ(0, oi.valid);
	ASSERT_EQ(VGC_ST_ACTIVE, oi.state);
	ASSERT_EQ(0, vgc_locate(self->a, q, &oi));
	ASSERT_EQ(0, oi.valid);
	ASSERT_EQ(VGC_ST_ACTIVE, oi.state);
	p = vgc_alloc(self->a, 64, VGC_ZONE_RED);
	q = vgc_alloc(self->a, 64, VGC_ZONE_RED);
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, q));
	/* Gen1 and Gen2 objects */
	p = vgc_alloc_gen(self->a, 64, VGC_ZONE_BLUE, VGC_GEN2, 0);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_free(self->a, p));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, p));
	/* after the slot's object was freed and reused by another: EINVAL
	 * for an interior pointer, 0 for the new head only once */
	p = vgc_alloc(self->a, 4096, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_free(self->a, p));
	q = vgc_alloc(self->a, 4096, VGC_ZONE_GREEN);
	ASSERT_EQ(p, q);
	ASSERT_EQ(-EINVAL, vgc_free(self->a, q + 2048));
	ASSERT_EQ(0, vgc_free(self->a, q));
	ASSERT_EQ(-EINVAL, vgc_free(self->a, q));
}

/* ---- 7. remote frees under load ------------------------------------- */

#define RF_THREADS	4
#define RF_QCAP		1024
#define TAG_LIVE	(0x71feULL << 48)
#define TAG_DEAD	(0xdeadULL << 48)
#define TAG_MASK	(0xffffULL << 48)

struct rf_queue {
	pthread_mutex_t lock;
	unsigned int head, tail;	/* tail - head entries */
	void *slot[RF_QCAP];
};

struct rf_shared {
	struct vgc_arena *a;
	struct rf_queue q[RF_THREADS];
	unsigned int iters;
	unsigned int done;		/* threads done producing */
	pthread_barrier_t bar;
};

struct rf_thread {
	struct rf_shared *sh;
	pthread_t tid;
	unsigned int id;
	uint64_t made, verified, freed, local, large;
	uint64_t dup, corrupt, free_err, alloc_fail, ckpts, eagain;
	int reg_err;
	char why[320];
};

/* The first thing that went wrong in a thread, for the log. */
static void rf_note(struct rf_thread *t, const char *what, void *p,
		    uint64_t tag, long word, int err)
{
	struct vgc_objinfo oi = { 0 };

	if (t->why[0])
		return;
	vgc_locate(t->sh->a, p, &oi);
	snprintf(t->why, sizeof(t->why),
		 "%s: %p tag %#" PRIx64 " w1 %#" PRIx64 " word %ld err %d; locate index %" PRIu64 " valid %u state %u size %zu gen %u span %u",
		 what, p, tag, ((uint64_t *)p)[1], word, err, oi.index,
		 oi.valid, oi.state, oi.size, oi.gen,
		 (unsigned int)vgc_arena_spans(t->sh->a)[oi.index >> 12]);
}

/*
 * Header: word 0 the owner tag (live/dead, thread, sequence), word 1 the
 * size; the rest canary words seeded by the tag.
 */
static void *rf_make(struct rf_thread *t, uint64_t seq, uint64_t *rng)
{
	uint64_t tag = TAG_LIVE | ((uint64_t)t->id << 40) | seq, old, *w;
	size_t sz;
	void *p;

	*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
	if (((*rng >> 33) & 511) == 0) {
		sz = 65537 + (size_t)((*rng >> 20) % (3 * SPAN));
		t->large++;
	} else {
		sz = 16 + (size_t)((*rng >> 40) % 2048);
	}
	sz &= ~(size_t)15;
	if (sz < 16)
		sz = 16;
	p = vgc_alloc(t->sh->a, sz, (enum vgc_zone)(seq % VGC_NR_ZONES));
	if (!p) {
		t->alloc_fail++;
		return NULL;
	}
	w = p;
	old = __atomic_exchange_n(&w[0], tag, __ATOMIC_SEQ_CST);
	if ((old & TAG_MASK) == TAG_LIVE) {
		t->dup++;	/* someone else's live object */
		rf_note(t, "dup", p, old, -1, 0);
	}
	w[1] = (0x5151ULL << 48) | sz;
	fill(w + 2, sz - 16, tag);
	t->made++;
	return p;
}

static void rf_take(struct rf_thread *t, void *p)
{
	uint64_t *w = p, tag = __atomic_load_n(&w[0], __ATOMIC_ACQUIRE);
	size_t sz = (size_t)(w[1] & 0xffffffffffffULL);
	long bad = -2;
	int err;

	if ((tag & TAG_MASK) != TAG_LIVE || (w[1] >> 48) != 0x5151 ||
	    sz < 16 || sz > 4 * SPAN || vgc_usable_size(t->sh->a, p) < sz ||
	    (bad = check(w + 2, sz - 16, tag)) != -1) {
		t->corrupt++;
		rf_note(t, "corrupt", p, tag, bad, 0);
	} else {
		t->verified++;
	}
	__atomic_store_n(&w[0], TAG_DEAD | (tag & ~TAG_MASK), __ATOMIC_SEQ_CST);
	err = vgc_free(t->sh->a, p);
	if (err) {
		t->free_err++;
		rf_note(t, "free", p, tag, -1, err);
	} else {
		t->freed++;
	}
}

static int rf_push(struct rf_queue *q, void *p)
{
	int ok = 0;

	pthread_mutex_lock(&q->lock);
	if (q->tail - q->head < RF_QCAP) {
		q->slot[q->tail++ % RF_QCAP] = p;
		ok = 1;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static void *rf_pop(struct rf_queue *q)
{
	void *p = NULL;

	pthread_mutex_lock(&q->lock);
	if (q->tail != q->head)
		p = q->slot[q->head++ % RF_QCAP];
	pthread_mutex_unlock(&q->lock);
	return p;
}

static void *rf_main(void *arg)
{
	struct rf_thread *t = arg;
	struct rf_shared *sh = t->sh;
	struct rf_queue *mine = &sh->q[t->id];
	struct rf_queue *next = &sh->q[(t->id + 1) % RF_THREADS];
	uint64_t rng = 0x1234567ULL * (t->id + 1), i;
	unsigned int k;
	void *p;
	int err;

	t->reg_err = vgc_thread_register(sh->a, (int)(t->id %
				vgc_arena_partitions(sh->a)));
	pthread_barrier_wait(&sh->bar);
	for (i = 0; i < sh->iters; i++) {
		p = rf_make(t, i, &rng);
		/*
		 * The neighbour is behind: work on our own queue meanwhile
		 * (someone always drains, so this ends), and after a while
		 * free the object here.
		 */
		for (k = 0; p && !rf_push(next, p); k++) {
			void *o = rf_pop(mine);

			if (o)
				rf_take(t, o);
			else if (k < 64)
				sched_yield();
			else {
				rf_take(t, p);
				t->local++;
				break;
			}
		}
		/* take up to two: the queues stay short, frees stay remote */
		p = rf_pop(mine);
		if (p) {
			rf_take(t, p);
			p = rf_pop(mine);
			if (p)
				rf_take(t, p);
		}
		if (!(i & 63))
			vgc_quiescent(sh->a);
		if (t->id == 0 && !(i & 1023)) {
			err = vgct_ckpt(sh->a, VGC_CKPT_F_ALL_ZONES, NULL);
			if (err == -EAGAIN)
				t->eagain++;
			else if (!err)
				t->ckpts++;
		}
	}
	vgc_thread_offline(sh->a);
	/* a neighbour may still wait for room in our queue */
	__atomic_fetch_add(&sh->done, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) < RF_THREADS) {
		p = rf_pop(mine);
		if (p)
			rf_take(t, p);
		else
			sched_yield();
	}
	/* everyone stopped producing: drain what is left for us */
	while ((p = rf_pop(mine)))
		rf_take(t, p);
	vgc_thread_unregister(sh->a);
	return NULL;
}

TEST_F_TIMEOUT(heap, remote_free_under_load, 240)
{
	struct rf_shared *sh = calloc(1, sizeof(*sh));
	struct rf_thread t[RF_THREADS];
	struct vgc_heap_stats st;
	uint64_t made = 0, verified = 0, freed = 0, committed = 0, large = 0;
	uint64_t start, ms;
	unsigned int i, z, part;

	ASSERT_NE(NULL, sh);
	OPEN(2, 1 * MiB, 256 * MiB);
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, 0));
	sh->a = self->a;
	/* TCG in the VM runs about 20 times slower than the host */
	sh->iters = backend_is_module(self->a) ? 8000 : 300000;
	pthread_barrier_init(&sh->bar, NULL, RF_THREADS);
	for (i = 0; i < RF_THREADS; i++)
		pthread_mutex_init(&sh->q[i].lock, NULL);
	memset(t, 0, sizeof(t));
	start = vgct_now_ns();
	for (i = 0; i < RF_THREADS; i++) {
		t[i].sh = sh;
		t[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[i].tid, NULL, rf_main, &t[i]));
	}
	for (i = 0; i < RF_THREADS; i++)
		pthread_join(t[i].tid, NULL);
	ms = (vgct_now_ns() - start) / 1000000;
	for (i = 0; i < RF_THREADS; i++) {
		TH_LOG("thread %u: made %" PRIu64 " verified %" PRIu64 " (local %" PRIu64 ") large %" PRIu64 " dup %" PRIu64 " corrupt %" PRIu64 " free_err %" PRIu64 " alloc_fail %" PRIu64 " ckpts %" PRIu64 " eagain %" PRIu64,
		       i, t[i].made, t[i].verified, t[i].local, t[i].large,
		       t[i].dup, t[i].corrupt, t[i].free_err, t[i].alloc_fail,
		       t[i].ckpts, t[i].eagain);
		if (t[i].why[0])
			TH_LOG("thread %u: %s", i, t[i].why);
		EXPECT_EQ(0, t[i].reg_err);
		EXPECT_EQ(0, t[i].dup);
		EXPECT_EQ(0, t[i].corrupt);
		EXPECT_EQ(0, t[i].free_err);
		EXPECT_EQ(0, t[i].alloc_fail);
		made += t[i].made;
		verified += t[i].verified;
		freed += t[i].freed;
		large += t[i].large;
	}
	ASSERT_EQ((uint64_t)sh->iters * RF_THREADS, made);
	ASSERT_EQ(made, verified);
	ASSERT_EQ(made, freed);
	ASSERT_GT(t[0].ckpts, 0);
	/* all freed: nothing live, and the heap stayed small */
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (part = 0; part < vgc_arena_partitions(self->a); part++) {
			struct vgc_usage u;

			ASSERT_EQ(0, vgc_region_usage(self->a, z, part, 0, &u));
			ASSERT_EQ(0, u.live) TH_LOG("zone %u part %u", z, part);
			committed += committed_granules(self->a, z, part) * 16;
		}
	}
	heap_stats(self->a, &st);
	TH_LOG("%u threads x %u objects in %" PRIu64 " ms; %" PRIu64 " large; committed %" PRIu64 " KiB, grown_spans %" PRIu64 ", decommitted %" PRIu64 ", recommitted %" PRIu64 ", recarved %" PRIu64,
	       RF_THREADS, sh->iters, ms, large, committed / KiB,
	       st.grown_spans, st.decommitted, st.recommitted, st.recarved);
	/* some 20 MiB were live at most; 400 MiB went through */
	ASSERT_LE(committed, 64 * MiB);
	ASSERT_EQ(st.large_allocs, st.large_frees);
	free(sh);
}

/* ---- 8. no libc malloc ---------------------------------------------- */

TEST_F(heap, no_libc_malloc)
{
	struct vgc_heap_stats st;
	struct vgc_stats as;
	struct vgc_usage u;
	struct vgc_objinfo oi;
	struct vgc_checkpoint res;
	void *p[64], *q, *big;
	int i, calls, err = 0;

	OPEN(1, 1 * MiB, 64 * MiB);
	/* first allocations: thread context, cursors */
	q = vgc_alloc(self->a, 16, VGC_ZONE_RED);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, vgc_free(self->a, q));

	trap_arm();
	for (i = 0; i < 64; i++)
		p[i] = vgc_alloc(self->a, 16 + 100 * i, (enum vgc_zone)(i % 3));
	for (i = 0; i < 64; i += 2)
		err |= vgc_free(self->a, p[i]);
	for (i = 1; i < 64; i += 2)
		p[i] = vgc_realloc(self->a, p[i], 3000, VGC_ZONE_RED);
	q = vgc_calloc(self->a, 10, 100, VGC_ZONE_GREEN);
	err |= vgc_free(self->a, q);
	q = vgc_aligned_alloc(self->a, 4096, 100, VGC_ZONE_BLUE);
	err |= vgc_free(self->a, q);
	big = vgc_alloc(self->a, 2 * MiB, VGC_ZONE_RED);
	big = vgc_realloc(self->a, big, 5 * MiB, VGC_ZONE_RED);
	err |= vgc_release(self->a, big);
	err |= vgc_heap_set_decommit(self->a, 0);
	for (i = 0; i < 6; i++)
		err |= vgc_checkpoint(self->a, NULL, &res);
	/* growth past the 1 MiB zone */
	for (i = 0; i < 2048; i++) {
		q = vgc_alloc(self->a, 1024, VGC_ZONE_RED);
		if (!q)
			err |= 1;
		else
			err |= vgc_release(self->a, q);
	}
	err |= ckpts(self->a, 5);
	err |= vgc_heap_stats(self->a, &st);
	err |= vgc_arena_stats(self->a, &as);
	err |= vgc_region_usage(self->a, VGC_ZONE_RED, 0, 0, &u);
	err |= vgc_locate(self->a, p[1], &oi);
	err |= vgc_state(self->a, p[1]) < 0;
	err |= vgc_free(self->a, (char *)p[1] + 16) != -EINVAL;
	errno = 0;
	q = vgc_realloc(self->a, &err, 10, VGC_ZONE_RED);
	err |= q != NULL;
	err |= vgc_thread_register(self->a, 0);
	q = vgc_alloc(self->a, 64, VGC_ZONE_RED);
	vgc_quiescent(self->a);
	err |= vgc_free(self->a, q);
	err |= vgc_thread_unregister(self->a);
	calls = trap_disarm();

	ASSERT_EQ(0, err);
	ASSERT_EQ(0, calls) TH_LOG("libvgcu called libc's allocator %d times", calls);
	TH_LOG("decommitted %" PRIu64 " recommitted %" PRIu64 " large_frees %" PRIu64,
	       st.decommitted, st.recommitted, st.large_frees);
	ASSERT_GE(st.large_frees, 2);
	ASSERT_GT(st.grown_spans, 0);
}

/* Open and close: the arena, its pacer and statistics file too. */
TEST(no_libc_malloc_open_close)
{
	struct vgc_arena *a = NULL;
	void *p;
	int calls, err;

	/* warm the process up: the first open creates the statfile dir */
	err = vgct_open_reserve(&a, 1, 1 * MiB, 8 * MiB);
	ASSERT_EQ(0, err);
	vgc_arena_close(a);
	a = NULL;

	trap_arm();
	err = vgct_open_reserve(&a, 1, 1 * MiB, 8 * MiB);
	p = err ? NULL : vgc_alloc(a, 100, VGC_ZONE_RED);
	if (p)
		err = vgc_free(a, p);
	vgc_arena_close(a);
	calls = trap_disarm();
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, calls) TH_LOG("open/close called libc's allocator %d times",
				   calls);
}

TEST_HARNESS_MAIN
