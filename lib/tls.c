// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Per-thread state, keyed by arena id (ids are never reused, so a context
 * can outlive its arena without ever matching a new one).  A thread keeps a
 * list of contexts, one per arena it used, and a one-entry cache of the
 * last one: the common case is one TLS load and one compare.  At thread
 * exit a pthread key destructor folds the thread's pacer counts into the
 * arenas still open and unregisters its slots there, so an exited thread
 * never blocks a grace period and its allocations are not lost to the
 * pacer.  vgc_arena_close() takes an arena off the registry before it
 * frees what the destructor touches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vgcu_int.h"

VGCU_TLS struct vgcu_tctx *vgcu_tls_last;
static VGCU_TLS struct vgcu_tctx *vgcu_tls_head;

static pthread_once_t vgcu_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t vgcu_key;
static bool vgcu_key_ready;

/* Open arenas; the destructor only touches arenas listed here. */
static pthread_mutex_t vgcu_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vgc_arena *vgcu_reg[1024];
static unsigned int vgcu_reg_n;

void vgcu_arena_registry_add(struct vgc_arena *a)
{
	pthread_mutex_lock(&vgcu_reg_lock);
	if (vgcu_reg_n < sizeof(vgcu_reg) / sizeof(vgcu_reg[0]))
		vgcu_reg[vgcu_reg_n++] = a;
	pthread_mutex_unlock(&vgcu_reg_lock);
}

void vgcu_arena_registry_del(struct vgc_arena *a)
{
	unsigned int i;

	pthread_mutex_lock(&vgcu_reg_lock);
	for (i = 0; i < vgcu_reg_n; i++)
		if (vgcu_reg[i] == a) {
			vgcu_reg[i] = vgcu_reg[--vgcu_reg_n];
			break;
		}
	pthread_mutex_unlock(&vgcu_reg_lock);
}

static bool registry_has(const struct vgcu_tctx *t)
{
	unsigned int i;

	for (i = 0; i < vgcu_reg_n; i++)
		if (vgcu_reg[i] == t->arena && vgcu_reg[i]->id == t->arena_id)
			return true;
	return false;
}

static void vgcu_thread_dtor(void *arg)
{
	struct vgcu_tctx *t = arg, *n;

	pthread_mutex_lock(&vgcu_reg_lock);
	for (; t; t = n) {
		n = t->next;
		if (registry_has(t)) {
			vgcu_pacer_flush(t->arena, t);
			vgcu_thread_exit(t);
		}
		vgcu_meta_free(t, sizeof(*t));
	}
	pthread_mutex_unlock(&vgcu_reg_lock);
	vgcu_tls_head = NULL;
	vgcu_tls_last = NULL;
}

/*
 * fork() (docs/design.md, "fork()").  Like glibc malloc's arena locks:
 * prepare takes the registry lock, then every open arena's private sweep
 * locks in the documented order (part[] ascending, then gp), so that no
 * checkpoint, sweep, growth or decommit of this process is mid-flight
 * when the address space is copied; the parent releases them; the child,
 * whose only thread is the forking one, initialises them anew.  Arenas
 * with process-shared locks (an anonymous arena opened with
 * VGCU_ARENA_F_FORK_SHARED) are left alone there: the parent's threads
 * go on using those locks.
 *
 * Registered by vgc_arena_open() before anything else of the library
 * registers a handler (the driver's, at its first start), so prepare runs
 * after the driver's (drivers_lock, then ours) and child before it.
 */
static bool fork_private(const struct vgc_arena *a)
{
	return a->locks == &a->locks_private;
}

static void vgcu_atfork_prepare(void)
{
	unsigned int i;

	pthread_mutex_lock(&vgcu_reg_lock);
	for (i = 0; i < vgcu_reg_n; i++)
		if (fork_private(vgcu_reg[i])) {
			vgcu_sweep_lock(vgcu_reg[i]);
			vgcu_gp_lock(vgcu_reg[i]);
		}
}

static void vgcu_atfork_parent(void)
{
	unsigned int i;

	for (i = vgcu_reg_n; i-- > 0;)
		if (fork_private(vgcu_reg[i])) {
			vgcu_gp_unlock(vgcu_reg[i]);
			vgcu_sweep_unlock(vgcu_reg[i]);
		}
	pthread_mutex_unlock(&vgcu_reg_lock);
}

/*
 * The child of a private anonymous arena (not VGCU_ARENA_F_FORK_SHARED) owns its copy outright: every
 * thread slot of the parent (the forking thread's included) is free
 * there, so that its grace periods wait for the child's threads only.
 */
static void anon_child_slots(struct vgc_arena *a)
{
	unsigned int i;

	for (i = 0; i < a->nr_slots; i++) {
		struct vgc_thread_slot *ts = &a->threads[i];

		ts->online = 0;
		ts->tid = 0;
		ts->qs_seq = 0;
		ts->in_use = 0;
	}
	a->ctrl->nr_threads = 0;
}

/*
 * The child's copy of the forking thread's contexts forgets their slots:
 * freed above on a private anonymous arena, by the module in its copy of
 * a module arena (VGC_FEAT_FORK_COPY), still the parent's on a shared
 * one.  It starts unregistered, cursors reset.
 */
static void vgcu_atfork_child(void)
{
	struct vgcu_tctx *t;
	unsigned int i;

	for (i = 0; i < vgcu_reg_n; i++) {
		struct vgc_arena *a = vgcu_reg[i];

		if (fork_private(a))
			vgcu_sweep_locks_init(&a->locks_private, false);
		/* flags of the parent's threads, not the child's */
		a->heap.pass_busy = 0;
		vgcu_pacer_atfork_child(a);
		if (a->ops->id == VGC_BACKEND_ANON && !a->fork_shared)
			anon_child_slots(a);
	}
	for (t = vgcu_tls_head; t; t = t->next) {
		t->slot = -1;
		t->partition = -1;
		t->home = -1;
		t->ts = NULL;
		vgcu_tctx_reset_cursors(t);
	}
	pthread_mutex_init(&vgcu_reg_lock, NULL);
}

static pthread_once_t vgcu_fork_once = PTHREAD_ONCE_INIT;

static void vgcu_fork_init(void)
{
	pthread_atfork(vgcu_atfork_prepare, vgcu_atfork_parent,
		       vgcu_atfork_child);
}

void vgcu_fork_register(void)
{
	pthread_once(&vgcu_fork_once, vgcu_fork_init);
}

static void vgcu_key_init(void)
{
	vgcu_key_ready = !pthread_key_create(&vgcu_key, vgcu_thread_dtor);
}

struct vgcu_tctx *vgcu_tctx_slow(struct vgc_arena *a, bool create)
{
	struct vgcu_tctx *t;

	for (t = vgcu_tls_head; t; t = t->next)
		if (t->arena_id == a->id) {
			vgcu_tls_last = t;
			return t;
		}
	if (!create)
		return NULL;
	t = vgcu_meta_alloc(sizeof(*t));
	if (!t)
		return NULL;
	t->arena_id = a->id;
	t->arena = a;
	t->slot = -1;
	t->partition = -1;
	t->home = -1;
	pthread_once(&vgcu_key_once, vgcu_key_init);
	t->next = vgcu_tls_head;
	vgcu_tls_head = t;
	if (vgcu_key_ready)
		pthread_setspecific(vgcu_key, vgcu_tls_head);
	vgcu_tls_last = t;
	return t;
}

/* The closing thread's own context goes with the arena. */
void vgcu_tctx_drop(struct vgc_arena *a)
{
	struct vgcu_tctx **pp, *t;

	for (pp = &vgcu_tls_head; (t = *pp); pp = &t->next)
		if (t->arena_id == a->id) {
			*pp = t->next;
			if (vgcu_tls_last == t)
				vgcu_tls_last = NULL;
			vgcu_meta_free(t, sizeof(*t));
			break;
		}
	if (vgcu_tls_last && vgcu_tls_last->arena_id == a->id)
		vgcu_tls_last = NULL;
	if (vgcu_key_ready)
		pthread_setspecific(vgcu_key, vgcu_tls_head);
}
