// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The background driver: one library thread per arena that runs the
 * pacer's checkpoints, so that reclamation needs no help from the runtime.
 *
 * The thread is not registered in the quorum (it holds no object) and
 * blocks every signal.  It sleeps on a condition variable (CLOCK_MONOTONIC)
 * until the pacer kicks it (a fold found a checkpoint due; the kick is one
 * exchange, and a signal only when the flag was clear) or a period passes.
 * Awake, it runs a checkpoint when the pacer finds one due, when the last
 * one failed with -EAGAIN (retried with a backoff from 1 ms, doubling up to
 * the period), or, after a whole period without a checkpoint, when
 * anything was allocated or released since the last one or objects are
 * still on their way to reclamation.  An idle arena costs one wake-up per
 * period and no sweep.
 *
 * Stalls.  On -EAGAIN the driver scans the thread slots: a registered
 * online slot behind the current grace period is tracked from the first
 * time it is seen behind; once it has been behind for stall_ms in one
 * grace period it counts as a stall, and the first stall of each thread
 * (tid) prints one line on stderr.
 *
 * Pausing.  The driver runs each checkpoint under d->run, which
 * vgcu_driver_pause() takes: whoever changes what a checkpoint reads
 * without a lock (a policy's priv, policy.c) waits for the checkpoint in
 * flight and holds the next one back until vgcu_driver_resume().
 *
 * fork().  Only the forking thread survives in a child.  An atfork child
 * handler marks every driver of the process as gone (running = 0, fresh
 * mutex and condition variable, the owner pid no longer ours), so that
 * the child's pacer runs its checkpoints in the child's own threads, and
 * vgc_driver_stop()/close never join a thread that does not exist.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "vgcu_int.h"

#define DRIVER_PERIOD_MS	100
#define DRIVER_STALL_MS		1000

struct slot_track {
	uint32_t tid;		/* 0: not behind */
	uint64_t gp;		/* the grace period it was behind in */
	uint64_t since_ns;
	bool counted;
};

struct vgcu_driver {
	struct vgc_arena *arena;
	struct vgcu_driver *next;	/* list of this process's drivers */
	/*
	 * The driver this one replaced: an allocating thread may still hold
	 * it (vgcu_driver_active(), then kick), so it lives until close.
	 */
	struct vgcu_driver *older;
	pid_t pid;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_mutex_t run;		/* held for each checkpoint, see above */
	pthread_cond_t cond;
	uint32_t kicked;
	bool stop;
	int running;
	struct vgc_driver_cfg cfg;
	struct vgc_driver_stats st;	/* under lock for readers */
	struct slot_track *track;	/* nslots */
	uint32_t *warned;		/* tids warned about, nslots */
	size_t nslots;			/* the arena's nr_slots, at least 1 */
};

static pthread_mutex_t drivers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vgcu_driver *drivers;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void drivers_prepare(void)
{
	pthread_mutex_lock(&drivers_lock);
}

static void drivers_parent(void)
{
	pthread_mutex_unlock(&drivers_lock);
}

/* The child has none of the parent's driver threads. */
static void drivers_child(void)
{
	struct vgcu_driver *d;
	pthread_condattr_t ca;

	for (d = drivers; d; d = d->next) {
		__atomic_store_n(&d->running, 0, __ATOMIC_RELAXED);
		d->st.running = 0;
		pthread_mutex_init(&d->lock, NULL);
		pthread_mutex_init(&d->run, NULL);
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&d->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	drivers = NULL;
	pthread_mutex_init(&drivers_lock, NULL);
}

static void atfork_init(void)
{
	pthread_atfork(drivers_prepare, drivers_parent, drivers_child);
}

bool vgcu_driver_active(const struct vgc_arena *a)
{
	const struct vgcu_driver *d = __atomic_load_n(&a->driver,
						      __ATOMIC_ACQUIRE);

	return d && __atomic_load_n(&d->running, __ATOMIC_RELAXED);
}

void vgcu_driver_kick(struct vgc_arena *a)
{
	struct vgcu_driver *d = __atomic_load_n(&a->driver, __ATOMIC_ACQUIRE);

	if (!d || __atomic_exchange_n(&d->kicked, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_lock(&d->lock);
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Registered online slots behind the current grace period. */
static void scan_stalls(struct vgcu_driver *d, uint64_t now)
{
	struct vgc_arena *a = d->arena;
	uint64_t gp = vgcu_load(&a->ctrl->gp_seq);
	uint64_t stall_ns = (uint64_t)d->cfg.stall_ms * 1000000ULL;
	unsigned int s;

	for (s = 0; s < a->nr_slots; s++) {
		const struct vgc_thread_slot *ts = &a->threads[s];
		struct slot_track *tr = &d->track[s];
		uint32_t tid = vgcu_load(&ts->tid);

		if (!vgcu_load(&ts->in_use) || !vgcu_load(&ts->online) ||
		    vgcu_load(&ts->qs_seq) == gp || !tid) {
			tr->tid = 0;
			continue;
		}
		if (tr->tid != tid || tr->gp != gp) {
			tr->tid = tid;
			tr->gp = gp;
			tr->since_ns = now;
			tr->counted = false;
			continue;
		}
		if (tr->counted || now - tr->since_ns < stall_ns)
			continue;
		tr->counted = true;
		pthread_mutex_lock(&d->lock);
		d->st.stalls++;
		pthread_mutex_unlock(&d->lock);
		if (d->warned[s] == tid || (d->cfg.flags & VGC_DRIVER_F_QUIET))
			continue;
		d->warned[s] = tid;
		fprintf(stderr,
			"vgc: thread %u (slot %u) has held reclamation up for %llu ms: call vgc_quiescent() or vgc_thread_offline()\n",
			tid, s,
			(unsigned long long)((now - tr->since_ns) / 1000000ULL));
	}
}

static void deadline(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *driver_main(void *arg)
{
	struct vgcu_driver *d = arg;
	struct vgc_arena *a = d->arena;
	uint64_t last_ckpt = vgcu_now_ns(), period_ns;
	unsigned int backoff = 0;	/* ms, 0: no retry pending */
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	period_ns = (uint64_t)d->cfg.period_ms * 1000000ULL;
	for (;;) {
		struct vgc_ckpt_opts o = { 0 };
		struct vgc_checkpoint res;
		struct timespec ts;
		unsigned int flags = 0;
		uint64_t now;
		bool run;
		int err;

		pthread_mutex_lock(&d->lock);
		if (!d->stop && !__atomic_load_n(&d->kicked, __ATOMIC_ACQUIRE)) {
			deadline(&ts, backoff ? backoff : d->cfg.period_ms);
			pthread_cond_timedwait(&d->cond, &d->lock, &ts);
		}
		__atomic_store_n(&d->kicked, 0, __ATOMIC_RELEASE);
		if (d->stop) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		d->st.wakeups++;
		pthread_mutex_unlock(&d->lock);

		now = vgcu_now_ns();
		run = vgcu_pacer_due(a, &flags) || backoff;
		if (!run && now - last_ckpt >= period_ns)
			run = vgcu_pacer_idle_work(a);
		if (!run)
			continue;
		o.flags = flags;
		memset(&res, 0, sizeof(res));
		res.size = sizeof(res);
		pthread_mutex_lock(&d->run);
		err = vgc_checkpoint(a, &o, &res);
		pthread_mutex_unlock(&d->run);
		now = vgcu_now_ns();
		pthread_mutex_lock(&d->lock);
		if (!err) {
			d->st.checkpoints++;
		} else if (err == -EAGAIN) {
			d->st.eagain++;
			d->st.last_blocker_slot = res.blocker_slot;
			d->st.last_blocker_tid = res.blocker_tid;
		} else {
			d->st.errors++;
			d->st.last_error = err;
		}
		pthread_mutex_unlock(&d->lock);
		if (err == -EAGAIN) {
			scan_stalls(d, now);
			backoff = backoff ? backoff * 2 : 1;
			if (backoff > d->cfg.period_ms)
				backoff = d->cfg.period_ms;
		} else {
			backoff = 0;
			last_ckpt = now;
		}
	}
	return NULL;
}

/* Frees a driver that no longer runs (or belongs to our parent). */
static void driver_free(struct vgcu_driver *d)
{
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->run);
	pthread_cond_destroy(&d->cond);
	vgcu_meta_free(d->track, d->nslots * sizeof(*d->track));
	vgcu_meta_free(d->warned, d->nslots * sizeof(*d->warned));
	vgcu_meta_free(d, sizeof(*d));
}

/* A driver and every driver it replaced. */
static void driver_free_chain(struct vgcu_driver *d)
{
	while (d) {
		struct vgcu_driver *older = d->older;

		driver_free(d);
		d = older;
	}
}

/* This process's driver of a, or NULL (after fork(): the parent's). */
static struct vgcu_driver *own_driver(const struct vgc_arena *a)
{
	struct vgcu_driver *d = a->driver;

	return d && d->pid == getpid() ? d : NULL;
}

static void list_del(struct vgcu_driver *d)
{
	struct vgcu_driver **pp;

	pthread_mutex_lock(&drivers_lock);
	for (pp = &drivers; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	pthread_mutex_unlock(&drivers_lock);
}

int vgc_driver_start(struct vgc_arena *a, const struct vgc_driver_cfg *cfg)
{
	struct vgc_driver_cfg c = { 0 };
	struct vgcu_driver *d;
	pthread_condattr_t ca;
	sigset_t all, old;
	int err;

	if (cfg)
		c = *cfg;
	if ((c.flags & ~VGC_DRIVER_F_QUIET) || c.reserved)
		return -EINVAL;
	if (!c.period_ms)
		c.period_ms = DRIVER_PERIOD_MS;
	if (!c.stall_ms)
		c.stall_ms = DRIVER_STALL_MS;
	pthread_once(&atfork_once, atfork_init);
	d = own_driver(a);
	if (d && d->running)
		return -EALREADY;
	d = vgcu_meta_alloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->nslots = a->nr_slots ? a->nr_slots : 1;
	d->track = vgcu_meta_alloc(d->nslots * sizeof(*d->track));
	d->warned = vgcu_meta_alloc(d->nslots * sizeof(*d->warned));
	if (!d->track || !d->warned) {
		vgcu_meta_free(d->track, d->nslots * sizeof(*d->track));
		vgcu_meta_free(d->warned, d->nslots * sizeof(*d->warned));
		vgcu_meta_free(d, sizeof(*d));
		return -ENOMEM;
	}
	d->arena = a;
	d->cfg = c;
	d->pid = getpid();
	/* a stopped driver of ours, or the parent's copy: kept, see older */
	d->older = a->driver;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->run, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* the thread starts with every signal blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&drivers_lock);
	err = pthread_create(&d->th, NULL, driver_main, d);
	if (!err) {
		d->next = drivers;
		drivers = d;
		d->running = 1;
		d->st.running = 1;
		vgcu_pacer_enable_default(a);
		/* allocating threads read it without a lock */
		__atomic_store_n(&a->driver, d, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&drivers_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		driver_free(d);
		return -err;
	}
	pthread_setname_np(d->th, "vgc-driver");
	return 0;
}

int vgc_driver_stop(struct vgc_arena *a)
{
	struct vgcu_driver *d = own_driver(a);

	if (!d || !__atomic_load_n(&d->running, __ATOMIC_RELAXED))
		return -ESRCH;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->th, NULL);
	list_del(d);
	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->running, 0, __ATOMIC_RELAXED);
	d->st.running = 0;
	d->stop = false;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int vgc_driver_stats(const struct vgc_arena *a, struct vgc_driver_stats *st)
{
	struct vgcu_driver *d = own_driver(a);

	if (!st)
		return -EINVAL;
	if (!d)
		return -ESRCH;
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/*
 * No checkpoint of this process's driver runs until vgcu_driver_resume()
 * (NULL: there is none).  Never from the driver's thread, nor from a
 * checkpoint's policy hook: that may be the driver's checkpoint.
 */
struct vgcu_driver *vgcu_driver_pause(struct vgc_arena *a)
{
	struct vgcu_driver *d = __atomic_load_n(&a->driver, __ATOMIC_ACQUIRE);

	if (!d || d->pid != getpid())
		return NULL;
	pthread_mutex_lock(&d->run);
	return d;
}

void vgcu_driver_resume(struct vgcu_driver *d)
{
	if (d)
		pthread_mutex_unlock(&d->run);
}

/* vgc_arena_close(): stop this process's driver, free any copy. */
void vgcu_driver_close(struct vgc_arena *a)
{
	struct vgcu_driver *d = own_driver(a);

	if (d)
		vgc_driver_stop(a);
	driver_free_chain(a->driver);
	a->driver = NULL;
}
