// SPDX-License-Identifier: GPL-2.0
/*
 * vgcmalloc-stress: the malloc family's contract, then producer/consumer
 * threads that free across threads, with canaries.  Plain libc calls: the
 * same binary runs with and without LD_PRELOAD=libvgcmalloc.so, and both
 * runs must print the same lines (selftests/build/malloc_test.sh).
 *
 *   vgcmalloc-stress [threads] [items per producer]
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fails;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fails++;						\
		printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static void verdict(const char *what, int before)
{
	printf("%s: %s\n", what, fails == before ? "ok" : "FAILED");
}

/* Opaque to the compiler: no folding of malloc(0) == malloc(0) etc. */
static void *(*volatile p_malloc)(size_t) = malloc;
static void *(*volatile p_calloc)(size_t, size_t) = calloc;
static void *(*volatile p_realloc)(void *, size_t) = realloc;
static volatile size_t huge_n = SIZE_MAX / 2;

static void check_basic(void)
{
	int f = fails;
	void *a, *b, *p;
	size_t n;

	a = p_malloc(0);
	b = p_malloc(0);
	CHECK(a && b && a != b, "malloc(0) %p %p", a, b);
	free(a);
	free(b);
	free(NULL);
	p = p_realloc(NULL, 100);
	CHECK(p && malloc_usable_size(p) >= 100, "realloc(NULL, 100)");
	errno = 0;
	CHECK(p_realloc(p, 0) == NULL, "realloc(p, 0) frees");
	errno = 0;
	CHECK(p_malloc(SIZE_MAX - 4096) == NULL && errno == ENOMEM,
	      "malloc(huge): errno %d", errno);
	errno = 0;
	CHECK(p_calloc(huge_n, 3) == NULL && errno == ENOMEM,
	      "calloc overflow: errno %d", errno);
	errno = 0;
	CHECK(reallocarray(NULL, huge_n, 3) == NULL && errno == ENOMEM,
	      "reallocarray overflow: errno %d", errno);
	for (n = 1; n < 300000; n += n / 3 + 1) {
		p = p_malloc(n);
		CHECK(p && malloc_usable_size(p) >= n, "usable(%zu)", n);
		CHECK(((uintptr_t)p & 15) == 0, "malloc(%zu) = %p", n, p);
		memset(p, 0xa5, malloc_usable_size(p));
		free(p);
	}
	CHECK(malloc_usable_size(NULL) == 0, "usable(NULL)");
	/* calloc after the same size was dirtied and freed */
	for (n = 16; n < 600000; n *= 3) {
		unsigned char *c;
		size_t i, bad = 0;

		p = p_malloc(n);
		memset(p, 0xff, n);
		free(p);
		c = p_calloc(n, 1);
		for (i = 0; c && i < n; i++)
			bad += c[i] != 0;
		CHECK(c && !bad, "calloc(%zu): %zu bytes not zero", n, bad);
		free(c);
	}
	verdict("basic", f);
}

static void check_realloc(void)
{
	int f = fails;
	unsigned char *p = NULL, *q;
	size_t n, i, bad, last = 0;

	/* grow from 1 byte to 3 MiB and back, the contents kept */
	for (n = 1; n <= (3U << 20); n = n * 2 + 7) {
		size_t old = n / 2 > 3 ? (n - 7) / 2 : 0;

		q = p_realloc(p, n);
		CHECK(q, "realloc(%zu)", n);
		if (!q)
			break;
		p = q;
		for (i = 0, bad = 0; i < old; i++)
			bad += p[i] != (unsigned char)(i * 7);
		CHECK(!bad, "realloc grow to %zu: %zu bytes changed", n, bad);
		for (i = 0; i < n; i++)
			p[i] = (unsigned char)(i * 7);
		last = n;
	}
	for (n = last / 3; n > 1 && p; n /= 3) {
		q = p_realloc(p, n);
		CHECK(q, "realloc shrink %zu", n);
		p = q;
		for (i = 0, bad = 0; i < n; i++)
			bad += p[i] != (unsigned char)(i * 7);
		CHECK(!bad, "realloc shrink to %zu: %zu bytes changed", n, bad);
	}
	free(p);
	verdict("realloc", f);
}

static void check_aligned(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int f = fails, err;
	size_t al, n;
	void *p;

	for (al = sizeof(void *); al <= (4U << 20); al *= 2) {
		for (n = 1; n <= 300000; n = n * 5 + 3) {
			p = NULL;
			err = posix_memalign(&p, al, n);
			CHECK(!err && p && !((uintptr_t)p & (al - 1)),
			      "posix_memalign(%zu, %zu) = %d %p", al, n, err, p);
			if (err)
				continue;
			CHECK(malloc_usable_size(p) >= n, "usable %zu/%zu", al, n);
			memset(p, 0x5a, n);
			free(p);
		}
		p = aligned_alloc(al, 3 * al);
		CHECK(p && !((uintptr_t)p & (al - 1)), "aligned_alloc(%zu)", al);
		free(p);
		p = memalign(al, 100);
		CHECK(p && !((uintptr_t)p & (al - 1)), "memalign(%zu)", al);
		p = p_realloc(p, 200000);	/* realloc of an aligned block */
		CHECK(p, "realloc of memalign(%zu)", al);
		free(p);
	}
	p = (void *)1;
	CHECK(posix_memalign(&p, 24, 10) == EINVAL && p == (void *)1,
	      "posix_memalign(24)");
	CHECK(posix_memalign(&p, 4, 10) == EINVAL, "posix_memalign(4)");
	errno = 0;
	p = memalign(48, 10);		/* rounded up to 64, as glibc does */
	CHECK(p && !((uintptr_t)p & 63), "memalign(48) = %p", p);
	free(p);
	p = valloc(10);
	CHECK(p && !((uintptr_t)p & (pg - 1)), "valloc = %p", p);
	free(p);
	p = pvalloc(10);
	CHECK(p && !((uintptr_t)p & (pg - 1)) &&
	      malloc_usable_size(p) >= (size_t)pg, "pvalloc = %p", p);
	free(p);
	verdict("aligned", f);
}

/* ---- producer/consumer --------------------------------------------- */

#define QCAP	256
static struct {
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	struct item { unsigned char *p; size_t n; } q[QCAP];
	unsigned int head, tail, len;
	unsigned int producers_left;
} q = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.nonempty = PTHREAD_COND_INITIALIZER,
	.nonfull = PTHREAD_COND_INITIALIZER,
};
static unsigned long items, consumed, canary_bad;
static pthread_mutex_t tally = PTHREAD_MUTEX_INITIALIZER;

static unsigned char canary(const void *p, size_t i, size_t n)
{
	return (unsigned char)(((uintptr_t)p >> 4) ^ (i * 131) ^ n);
}

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = canary(p, i, n);
}

static unsigned long verify(const unsigned char *p, size_t n)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad += p[i] != canary(p, i, n);
	return bad;
}

static size_t pick(unsigned int *seed)
{
	unsigned int r = rand_r(seed);

	if (r % 97 == 0)
		return 65536 + r % 200000;	/* large objects now and then */
	if (r % 11 == 0)
		return 1 + r % 8192;
	return 1 + r % 256;
}

static void *producer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 2654435761U;
	unsigned long i, bad = 0;
	unsigned char *local[64] = { 0 };
	size_t localn[64] = { 0 };

	for (i = 0; i < items; i++) {
		size_t n = pick(&seed);
		unsigned int k = rand_r(&seed) % 64;
		unsigned char *p = p_malloc(n);

		if (!p) {
			bad++;
			continue;
		}
		fill(p, n);
		/* thread-local churn beside the hand-over */
		if (local[k]) {
			bad += verify(local[k], localn[k]);
			free(local[k]);
		}
		localn[k] = 1 + rand_r(&seed) % 512;
		local[k] = rand_r(&seed) & 1 ? p_malloc(localn[k]) :
			   p_calloc(1, localn[k]);
		if (local[k])
			fill(local[k], localn[k]);
		pthread_mutex_lock(&q.lock);
		while (q.len == QCAP)
			pthread_cond_wait(&q.nonfull, &q.lock);
		q.q[q.tail] = (struct item){ p, n };
		q.tail = (q.tail + 1) % QCAP;
		q.len++;
		pthread_cond_signal(&q.nonempty);
		pthread_mutex_unlock(&q.lock);
	}
	for (i = 0; i < 64; i++)
		if (local[i]) {
			bad += verify(local[i], localn[i]);
			free(local[i]);
		}
	pthread_mutex_lock(&q.lock);
	q.producers_left--;
	pthread_cond_broadcast(&q.nonempty);
	pthread_mutex_unlock(&q.lock);
	pthread_mutex_lock(&tally);
	canary_bad += bad;
	pthread_mutex_unlock(&tally);
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	unsigned long n = 0, bad = 0;
	struct item it;

	for (;;) {
		pthread_mutex_lock(&q.lock);
		while (!q.len && q.producers_left)
			pthread_cond_wait(&q.nonempty, &q.lock);
		if (!q.len) {
			pthread_mutex_unlock(&q.lock);
			break;
		}
		it = q.q[q.head];
		q.head = (q.head + 1) % QCAP;
		q.len--;
		pthread_cond_signal(&q.nonfull);
		pthread_mutex_unlock(&q.lock);
		bad += verify(it.p, it.n);
		bad += malloc_usable_size(it.p) < it.n;
		if (rand_r(&seed) % 8 == 0) {
			/* realloc in the consumer: contents must follow */
			size_t m = pick(&seed);
			unsigned char *r = p_realloc(it.p, m);

			if (r) {
				size_t keep = m < it.n ? m : it.n, i;

				for (i = 0; i < keep; i++)
					bad += r[i] != canary(it.p, i, it.n);
				it.p = r;
			}
		}
		free(it.p);
		n++;
	}
	pthread_mutex_lock(&tally);
	consumed += n;
	canary_bad += bad;
	pthread_mutex_unlock(&tally);
	return NULL;
}

static void check_threads(unsigned int nthreads)
{
	pthread_t t[64];
	unsigned int i, np = (nthreads + 1) / 2, nc = nthreads - np;
	int f = fails;

	if (!nc)
		nc = 1;
	q.producers_left = np;
	for (i = 0; i < np; i++)
		pthread_create(&t[i], NULL, producer, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < nc; i++)
		pthread_create(&t[np + i], NULL, consumer,
			       (void *)(uintptr_t)(i + 100));
	for (i = 0; i < np + nc; i++)
		pthread_join(t[i], NULL);
	CHECK(consumed == np * items, "consumed %lu of %lu", consumed,
	      np * items);
	CHECK(!canary_bad, "%lu canary bytes wrong", canary_bad);
	printf("threads: %u producers, %u consumers, %lu items each\n", np,
	       nc, items);
	verdict("threads", f);
}

int main(int argc, char **argv)
{
	unsigned int nthreads = argc > 1 ? (unsigned int)atoi(argv[1]) : 4;

	items = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
	if (nthreads < 2)
		nthreads = 2;
	if (nthreads > 64)
		nthreads = 64;
	setvbuf(stdout, NULL, _IOLBF, 0);
	check_basic();
	check_realloc();
	check_aligned();
	check_threads(nthreads);
	printf("%s\n", fails ? "FAILED" : "PASSED");
	return fails ? 1 : 0;
}
