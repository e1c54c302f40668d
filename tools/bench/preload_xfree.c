// SPDX-License-Identifier: GPL-2.0
/*
 * The threaded program of vgc-bench preload (run as a child of its own,
 * "vgc-bench preload --child-xfree THREADS ITEMS", so that the allocator
 * under test is whatever LD_PRELOAD put there): every thread allocates
 * ITEMS blocks of 16 B..2 KiB (one in 64 of 16..64 KiB), fills each with
 * a pattern of its serial number, keeps one in four for a while and frees
 * it itself, and hands the others in batches to the next thread, which
 * checks the pattern and frees them: most frees are remote, as in a
 * server whose worker frees what the acceptor allocated.  The batches
 * themselves are malloc'ed by the sender and freed by the receiver.
 *
 * Output: blocks checked, damaged, and a checksum of the serials and
 * sizes received, independent of the schedule.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "preload.h"

#define BATCH		64
#define MAX_QUEUED	32	/* batches in an inbox before the sender waits */
#define KEEP		1024	/* the local window of blocks freed by their owner */

struct blk {
	uint64_t serial;
	uint64_t size;
	unsigned char fill[];
};

struct batch {
	struct batch *next;
	unsigned int n;
	struct blk *b[BATCH];
};

struct inbox {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct batch *head, *tail;
	unsigned int queued;
} __attribute__((aligned(64)));

struct worker {
	pthread_t th;
	unsigned int id;
	uint64_t items;
	struct inbox *in, *next;
	uint64_t checked, bad, sum;
};

static _Atomic uint64_t received, expected;

static inline uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 17;
}

static unsigned char pat(uint64_t serial, size_t i)
{
	return (unsigned char)(serial * 131 + i * 7);
}

static struct blk *make(uint64_t serial, uint64_t r)
{
	size_t size = r % 64 == 0 ? 16384 + r % 49152 : 16 + r % 2033, i;
	struct blk *b = malloc(sizeof(*b) + size);

	if (!b)
		return NULL;
	b->serial = serial;
	b->size = size;
	for (i = 0; i < size; i++)
		b->fill[i] = pat(serial, i);
	return b;
}

/* Checks a block (both ends and every 61st byte) and frees it. */
static void take(struct worker *w, struct blk *b)
{
	size_t i, n = b->size;
	int ok = 1;

	for (i = 0; i < n; i += 61)
		ok &= b->fill[i] == pat(b->serial, i);
	ok &= b->fill[n - 1] == pat(b->serial, n - 1);
	w->checked++;
	w->bad += !ok;
	w->sum += b->serial * 0x9e3779b97f4a7c15ULL ^ n;
	free(b);
}

static void post(struct inbox *q, struct batch *bt)
{
	pthread_mutex_lock(&q->lock);
	bt->next = NULL;
	if (q->tail)
		q->tail->next = bt;
	else
		q->head = bt;
	q->tail = bt;
	q->queued++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/* Empties the own inbox; returns the number of batches taken. */
static unsigned int drain(struct worker *w, int wait)
{
	struct batch *bt, *nx;
	unsigned int n = 0, i;

	pthread_mutex_lock(&w->in->lock);
	if (!w->in->head && wait) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->in->cond, &w->in->lock, &ts);
	}
	bt = w->in->head;
	w->in->head = w->in->tail = NULL;
	w->in->queued = 0;
	pthread_mutex_unlock(&w->in->lock);
	for (; bt; bt = nx) {
		nx = bt->next;
		for (i = 0; i < bt->n; i++)
			take(w, bt->b[i]);
		atomic_fetch_add(&received, bt->n);
		free(bt);
		n++;
	}
	return n;
}

static unsigned int queued(struct inbox *q)
{
	unsigned int n;

	pthread_mutex_lock(&q->lock);
	n = q->queued;
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct blk *keep[KEEP] = { 0 };
	struct batch *bt = NULL;
	uint64_t seed = w->id * 0x100000001b3ULL + 1, i;

	for (i = 0; i < w->items; i++) {
		uint64_t r = lcg(&seed);
		struct blk *b = make((uint64_t)w->id << 40 | i, r);

		if (!b)
			return (void *)1;
		if (r % 4 == 1) {	/* local: freed by its owner later */
			struct blk **k = &keep[(r >> 8) % KEEP];

			if (*k) {
				take(w, *k);
				atomic_fetch_add(&received, 1);
			}
			*k = b;
			continue;
		}
		if (!bt) {
			bt = malloc(sizeof(*bt));
			if (!bt)
				return (void *)1;
			bt->n = 0;
		}
		bt->b[bt->n++] = b;
		if (bt->n == BATCH) {
			while (queued(w->next) >= MAX_QUEUED)
				if (!drain(w, 0))
					sched_yield();
			post(w->next, bt);
			bt = NULL;
		}
		if (i % BATCH == 0)
			drain(w, 0);
	}
	if (bt)
		post(w->next, bt);
	for (i = 0; i < KEEP; i++)
		if (keep[i]) {
			take(w, keep[i]);
			atomic_fetch_add(&received, 1);
		}
	while (atomic_load(&received) < atomic_load(&expected))
		drain(w, 1);
	return NULL;
}

int preload_xfree(unsigned int threads, uint64_t items)
{
	struct worker *w = calloc(threads, sizeof(*w));
	struct inbox *q = calloc(threads, sizeof(*q));
	uint64_t checked = 0, bad = 0, sum = 0;
	unsigned int t;
	int fail = 0;

	if (!w || !q)
		return 1;
	atomic_store(&expected, threads * items);
	for (t = 0; t < threads; t++) {
		pthread_mutex_init(&q[t].lock, NULL);
		pthread_cond_init(&q[t].cond, NULL);
	}
	for (t = 0; t < threads; t++) {
		w[t] = (struct worker){ .id = t, .items = items, .in = &q[t],
					.next = &q[(t + 1) % threads] };
		if (pthread_create(&w[t].th, NULL, work, &w[t]))
			return 1;
	}
	for (t = 0; t < threads; t++) {
		void *rv;

		pthread_join(w[t].th, &rv);
		fail |= rv != NULL;
		checked += w[t].checked;
		bad += w[t].bad;
		sum += w[t].sum;
	}
	printf("xfree: %u threads, %llu blocks checked, %llu damaged, checksum %016llx\n",
	       threads, (unsigned long long)checked, (unsigned long long)bad,
	       (unsigned long long)sum);
	free(w);
	free(q);
	return fail || bad || checked != threads * items;
}
