// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Policy hooks: the checkpoint and close paths call the policies hung on
 * an arena (see struct vgcu_policy_ops in vgcu_int.h) and know none of
 * them by name.  A few slots per arena; attach and detach are rare and
 * serialised by one library-wide mutex, the hook calls read the slots
 * without a lock: ops is published with release after priv, and a policy
 * is detached only while no other thread uses the arena.  An arena
 * without policies pays one load per checkpoint.
 *
 * Detach and the driver.  Hooks run in whichever thread runs the
 * checkpoint, and the background driver (driver.c) runs checkpoints on a
 * thread of the library's, which the runtime cannot keep away from the
 * arena: a profile freed by vgc_profile_detach() while the driver's
 * checkpoint samples it would be used after free.  So "no other thread"
 * is the caller's rule for its own threads, and detach keeps the driver
 * out itself: vgcu_driver_pause() waits for the driver's checkpoint in
 * flight and holds the next one back until the slot is unhooked; the next
 * checkpoint no longer finds ops or priv.  A detach from inside a hook
 * (the VGC_ARENA_F_PROFILE stand-in unhooks itself) may run on the
 * driver's own thread, must not pause (in_hook), and frees nothing.
 * vgcu_policy_close() runs after vgc_arena_close() stopped the driver.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include "vgcu_int.h"

static pthread_mutex_t policy_lock = PTHREAD_MUTEX_INITIALIZER;
/* This thread is inside vgcu_policy_before_checkpoint()'s hooks. */
static VGCU_TLS unsigned int in_hook;

int vgcu_policy_attach(struct vgc_arena *a, const struct vgcu_policy_ops *ops,
		       void *priv)
{
	struct vgcu_policy *free_slot = NULL;
	unsigned int i;
	int ret = 0;

	if (!a || !ops)
		return -EINVAL;
	pthread_mutex_lock(&policy_lock);
	for (i = 0; i < VGCU_MAX_POLICIES; i++) {
		struct vgcu_policy *s = &a->policy[i];

		if (s->ops == ops) {
			ret = -EBUSY;
			break;
		}
		if (!s->ops && !free_slot)
			free_slot = s;
	}
	if (!ret && !free_slot)
		ret = -ENOSPC;
	if (!ret) {
		free_slot->priv = priv;
		__atomic_store_n(&free_slot->ops, ops, __ATOMIC_RELEASE);
		__atomic_add_fetch(&a->nr_policies, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&policy_lock);
	return ret;
}

/*
 * Unhooks ops (NULL: the first policy attached) under policy_lock; false
 * when there is none.  Its ops and priv come back in *opsp and *privp.
 */
static bool unhook(struct vgc_arena *a, const struct vgcu_policy_ops *ops,
		   const struct vgcu_policy_ops **opsp, void **privp)
{
	unsigned int i;

	for (i = 0; i < VGCU_MAX_POLICIES; i++) {
		struct vgcu_policy *s = &a->policy[i];

		if (!s->ops || (ops && s->ops != ops))
			continue;
		*opsp = s->ops;
		*privp = s->priv;
		__atomic_store_n(&s->ops, NULL, __ATOMIC_RELEASE);
		s->priv = NULL;
		__atomic_sub_fetch(&a->nr_policies, 1, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

void *vgcu_policy_detach(struct vgc_arena *a,
			 const struct vgcu_policy_ops *ops)
{
	const struct vgcu_policy_ops *o;
	struct vgcu_driver *d;
	void *priv = NULL;

	if (!a || !ops)
		return NULL;
	d = in_hook ? NULL : vgcu_driver_pause(a);
	pthread_mutex_lock(&policy_lock);
	if (!unhook(a, ops, &o, &priv))
		priv = NULL;
	pthread_mutex_unlock(&policy_lock);
	vgcu_driver_resume(d);
	return priv;
}

void *vgcu_policy_priv(const struct vgc_arena *a,
		       const struct vgcu_policy_ops *ops)
{
	unsigned int i;

	if (!a || !__atomic_load_n(&a->nr_policies, __ATOMIC_ACQUIRE))
		return NULL;
	for (i = 0; i < VGCU_MAX_POLICIES; i++)
		if (__atomic_load_n(&a->policy[i].ops, __ATOMIC_ACQUIRE) == ops)
			return a->policy[i].priv;
	return NULL;
}

/*
 * Arena flags that ask for a policy, and the function that hangs it on
 * the arena at open.
 */
static const struct {
	unsigned int flag;
	int (*open)(struct vgc_arena *a);
} policy_flags[] = {
	{ VGC_ARENA_F_PROFILE, vgcu_profile_auto },
};

int vgcu_policy_open(struct vgc_arena *a, unsigned int arena_flags)
{
	size_t i;
	int ret;

	for (i = 0; i < sizeof(policy_flags) / sizeof(policy_flags[0]); i++) {
		if (!(arena_flags & policy_flags[i].flag))
			continue;
		ret = policy_flags[i].open(a);
		if (ret)
			return ret;
	}
	return 0;
}

void vgcu_policy_before_checkpoint(struct vgc_arena *a,
				   const struct vgc_ckpt_opts *o)
{
	unsigned int i;

	if (!__atomic_load_n(&a->nr_policies, __ATOMIC_ACQUIRE))
		return;
	/* slot by slot: a hook may attach a policy (it runs too) or detach */
	in_hook++;
	for (i = 0; i < VGCU_MAX_POLICIES; i++) {
		const struct vgcu_policy_ops *ops =
			__atomic_load_n(&a->policy[i].ops, __ATOMIC_ACQUIRE);

		if (ops && ops->before_checkpoint)
			ops->before_checkpoint(a, a->policy[i].priv, o);
	}
	in_hook--;
}

/* Unhooks every policy, then lets each release what it holds. */
void vgcu_policy_close(struct vgc_arena *a)
{
	const struct vgcu_policy_ops *ops;
	void *priv;
	bool found;

	for (;;) {
		pthread_mutex_lock(&policy_lock);
		found = unhook(a, NULL, &ops, &priv);
		pthread_mutex_unlock(&policy_lock);
		if (!found)
			return;
		if (ops->close)
			ops->close(a, priv);
	}
}
