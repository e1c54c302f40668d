// SPDX-License-Identifier: GPL-2.0
/*
 * VGC memory limits and accounting (docs/limits.md).
 *
 * An arena's pages are charged, before any is allocated, to:
 *   - the module limit limit_mb (default: half of RAM)        -ENOSPC
 *   - the caller's user, up to user_limit_mb (default: half of limit_mb;
 *     CAP_SYS_RESOURCE is exempt)                              -EDQUOT
 *   - the creator's pinned memory (mm->pinned_vm, VmPin), checked against
 *     the caller's RLIMIT_MEMLOCK (CAP_IPC_LOCK is exempt), as RDMA and
 *     io_uring account what they pin
 *                                                              -EPERM
 * and the request must leave 1/32 of RAM available          -ENOMEM.
 * The pages themselves are counted per node against node_limit_mb as they
 * are allocated (-ENOSPC) and charged to the caller's memory cgroup.
 *
 * Every charge lasts until the page is really freed.  When an arena goes,
 * a page that someone else still references (a pin, an io_uring fixed
 * buffer, a pipe) keeps our reference and its charges: it waits on the
 * zombie list, which a delayed work (the reaper) scans until only our
 * reference is left, and takes the freed pages off mm->pinned_vm.  At
 * module exit the
 * pages still held elsewhere are left to their other holders.
 *
 * Lowering a limit below current use is allowed: nothing is taken back,
 * new charges fail until use falls under the limit.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/nodemask.h>
#include <linux/workqueue.h>
#include "vgc_internal.h"

/* A limit parameter not given at load: computed from the machine. */
#define VGC_LIMIT_AUTO		UINT_MAX

unsigned int vgc_limit_mb = VGC_LIMIT_AUTO;
module_param_named(limit_mb, vgc_limit_mb, uint, 0644);
MODULE_PARM_DESC(limit_mb, "Limit of all arenas' memory in MiB (default: half of RAM)");

static unsigned int vgc_user_limit_mb = VGC_LIMIT_AUTO;
module_param_named(user_limit_mb, vgc_user_limit_mb, uint, 0644);
MODULE_PARM_DESC(user_limit_mb, "Limit of one user's arena memory in MiB, 0: none (default: half of limit_mb; CAP_SYS_RESOURCE is exempt)");

static unsigned int vgc_node_limit_mb[MAX_NUMNODES];
static unsigned int vgc_nr_node_limits;
module_param_array_named(node_limit_mb, vgc_node_limit_mb, uint,
			 &vgc_nr_node_limits, 0644);
MODULE_PARM_DESC(node_limit_mb, "Limit of arena pages per node in MiB, by node id, 0: none (default: none)");

atomic64_t vgc_used_bytes = ATOMIC64_INIT(0);
atomic_long_t *vgc_node_pages;

/* Pages the module leaves available to everything else: 1/32 of RAM. */
static unsigned long vgc_reserve_pages;

struct vgc_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int ref;		/* under vgc_users_lock */
	atomic64_t bytes;
};

static DEFINE_HASHTABLE(vgc_users, 6);
static DEFINE_SPINLOCK(vgc_users_lock);

/* Who an arena's pages are charged to; outlives the arena as a zombie. */
struct vgc_acct {
	struct list_head node;		/* vgc_zombies */
	struct vgc_user *user;
	struct mm_struct *mm;		/* mmgrab()bed; NULL: no mm */
	unsigned long locked;		/* pages on mm->pinned_vm */
	unsigned long unlock;		/* of those, to take off */
	struct page **pages;		/* held elsewhere, still charged */
	unsigned long nr_pages;
};

static LIST_HEAD(vgc_zombies);
static DEFINE_SPINLOCK(vgc_zombies_lock);
static void vgc_reaper_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vgc_reaper, vgc_reaper_fn);
static unsigned long vgc_reaper_delay;

#define VGC_REAP_MIN_DELAY	(HZ / 20)
#define VGC_REAP_MAX_DELAY	HZ

int vgc_charge(u64 bytes)
{
	u64 limit = (u64)READ_ONCE(vgc_limit_mb) << 20;

	if ((u64)atomic64_add_return(bytes, &vgc_used_bytes) > limit) {
		atomic64_sub(bytes, &vgc_used_bytes);
		return -ENOSPC;
	}
	return 0;
}

void vgc_uncharge(u64 bytes)
{
	atomic64_sub(bytes, &vgc_used_bytes);
}

static unsigned long vgc_node_limit_pages(int nid)
{
	unsigned int mb;

	if (nid < 0 || nid >= READ_ONCE(vgc_nr_node_limits))
		return ULONG_MAX;
	mb = READ_ONCE(vgc_node_limit_mb[nid]);
	return mb ? (unsigned long)mb << (20 - PAGE_SHIFT) : ULONG_MAX;
}

bool vgc_node_room(int nid, unsigned long pages)
{
	unsigned long limit = vgc_node_limit_pages(nid);

	if (limit == ULONG_MAX)
		return true;
	return atomic_long_read(&vgc_node_pages[nid]) + pages <= limit;
}

bool vgc_node_charge(int nid, unsigned long pages)
{
	unsigned long limit = vgc_node_limit_pages(nid);

	if ((unsigned long)atomic_long_add_return(pages, &vgc_node_pages[nid]) >
	    limit) {
		atomic_long_sub(pages, &vgc_node_pages[nid]);
		return false;
	}
	return true;
}

void vgc_node_uncharge(int nid, unsigned long pages)
{
	atomic_long_sub(pages, &vgc_node_pages[nid]);
}

/* Would taking pages more leave less than the reserve available? */
bool vgc_mem_short(unsigned long pages)
{
	long avail = si_mem_available();

	return avail < 0 || (unsigned long)avail < pages + vgc_reserve_pages;
}

static struct vgc_user *vgc_user_get(kuid_t uid)
{
	struct vgc_user *u, *fresh;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL | __GFP_RETRY_MAYFAIL);
	if (!fresh)
		return NULL;
	spin_lock(&vgc_users_lock);
	hash_for_each_possible(vgc_users, u, node, __kuid_val(uid)) {
		if (uid_eq(u->uid, uid)) {
			u->ref++;
			goto out;
		}
	}
	u = fresh;
	fresh = NULL;
	u->uid = uid;
	u->ref = 1;
	atomic64_set(&u->bytes, 0);
	hash_add(vgc_users, &u->node, __kuid_val(uid));
out:
	spin_unlock(&vgc_users_lock);
	kfree(fresh);
	return u;
}

static void vgc_user_put(struct vgc_user *u)
{
	bool last;

	spin_lock(&vgc_users_lock);
	last = !--u->ref;
	if (last)
		hash_del(&u->node);
	spin_unlock(&vgc_users_lock);
	if (last)
		kfree(u);
}

static int vgc_user_charge(struct vgc_user *u, u64 bytes)
{
	u64 limit = (u64)READ_ONCE(vgc_user_limit_mb) << 20;
	u64 now = atomic64_add_return(bytes, &u->bytes);

	/* Exempt callers are counted all the same. */
	if (limit && now > limit && !capable(CAP_SYS_RESOURCE)) {
		atomic64_sub(bytes, &u->bytes);
		return -EDQUOT;
	}
	return 0;
}

static void vgc_user_uncharge(struct vgc_user *u, u64 bytes)
{
	atomic64_sub(bytes, &u->bytes);
}

/*
 * The current user's accounting for a new arena whose locked memory is
 * charged to mm: the creator's, or a fork()ed child's for its copy.
 */
struct vgc_acct *vgc_acct_new(struct mm_struct *mm)
{
	struct vgc_acct *acct;

	acct = kzalloc(sizeof(*acct), VGC_GFP_ACCOUNT);
	if (!acct)
		return NULL;
	acct->user = vgc_user_get(current_uid());
	if (!acct->user) {
		kfree(acct);
		return NULL;
	}
	if (mm) {
		acct->mm = mm;
		mmgrab(acct->mm);
	}
	return acct;
}

/*
 * RLIMIT_MEMLOCK as RDMA and io_uring apply it to the memory they pin:
 * on mm->pinned_vm (VmPin), with atomics.  account_locked_vm() would take
 * mmap_lock, and arenas are charged under arena->lock, which fork() takes
 * with mmap_lock held (vgc_fork.c).  -ENOMEM past the limit, like
 * account_locked_vm().
 */
static int vgc_pin_vm(struct vgc_acct *acct, unsigned long pages, bool inc)
{
	unsigned long limit;

	if (!pages)
		return 0;
	if (!inc) {
		atomic64_sub(pages, &acct->mm->pinned_vm);
		return 0;
	}
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (atomic64_add_return(pages, &acct->mm->pinned_vm) > limit &&
	    !capable(CAP_IPC_LOCK)) {
		atomic64_sub(pages, &acct->mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Charges bytes (whole pages) of an arena to the module limit, its user
 * and its creator's pinned memory, all or nothing.  Process context.
 */
int vgc_acct_charge(struct vgc_acct *acct, u64 bytes)
{
	unsigned long pages = bytes >> PAGE_SHIFT;
	int ret;

	ret = vgc_charge(bytes);
	if (ret)
		return ret;
	ret = vgc_user_charge(acct->user, bytes);
	if (ret)
		goto err_module;
	if (acct->mm) {
		/* -ENOMEM from it means RLIMIT_MEMLOCK, not a shortage. */
		if (vgc_pin_vm(acct, pages, true)) {
			ret = -EPERM;
			goto err_user;
		}
		acct->locked += pages;
	}
	/* Cheap before the work: what cannot fit fails at once. */
	if (vgc_mem_short(pages)) {
		ret = -ENOMEM;
		goto err_locked;
	}
	return 0;

err_locked:
	if (acct->mm) {
		vgc_pin_vm(acct, pages, false);
		acct->locked -= pages;
	}
err_user:
	vgc_user_uncharge(acct->user, bytes);
err_module:
	vgc_uncharge(bytes);
	return ret;
}

/* Undoes vgc_acct_charge(); same context. */
void vgc_acct_uncharge(struct vgc_acct *acct, u64 bytes)
{
	unsigned long pages = bytes >> PAGE_SHIFT;

	if (acct->mm) {
		vgc_pin_vm(acct, pages, false);
		acct->locked -= pages;
	}
	vgc_user_uncharge(acct->user, bytes);
	vgc_uncharge(bytes);
}

/* Takes the pages freed since the last call off the creator's pinned_vm. */
static void vgc_acct_unlock(struct vgc_acct *acct)
{
	unsigned long n = min(acct->unlock, acct->locked);

	acct->unlock = 0;
	if (!acct->mm || !n)
		return;
	acct->locked -= n;
	/* mmgrab() keeps the struct, dead or alive */
	vgc_pin_vm(acct, n, false);
}

/* Frees the zombie pages only we reference now; uncharges them. */
static void vgc_acct_reap(struct vgc_acct *acct)
{
	unsigned long i, kept = 0, freed = 0;

	for (i = 0; i < acct->nr_pages; i++) {
		struct page *page = acct->pages[i];

		if (page_count(page) > 1) {
			acct->pages[kept++] = page;
			continue;
		}
		vgc_node_uncharge(page_to_nid(page), 1);
		put_page(page);
		freed++;
		if (!(freed % VGC_FREE_RESCHED_PAGES))
			cond_resched();
	}
	acct->nr_pages = kept;
	if (freed) {
		vgc_user_uncharge(acct->user, (u64)freed << PAGE_SHIFT);
		vgc_uncharge((u64)freed << PAGE_SHIFT);
		acct->unlock += freed;
	}
	vgc_acct_unlock(acct);
}

static void vgc_acct_free(struct vgc_acct *acct)
{
	vgc_user_put(acct->user);
	if (acct->mm)
		mmdrop(acct->mm);
	kvfree(acct->pages);
	kfree(acct);
}

/*
 * An arena is gone: freed_bytes of its charge belong to pages already
 * freed; pages[0 .. nr_held) are still referenced elsewhere and stay
 * charged (with our reference) until the reaper frees them.  Takes over
 * pages (a kvmalloc()ed array, may be NULL) and acct.  Takes no mm lock:
 * the caller may hold mmap_lock.
 */
void vgc_acct_release(struct vgc_acct *acct, u64 freed_bytes,
		      struct page **pages, unsigned long nr_held)
{
	vgc_user_uncharge(acct->user, freed_bytes);
	vgc_uncharge(freed_bytes);
	acct->unlock += freed_bytes >> PAGE_SHIFT;
	acct->pages = pages;
	acct->nr_pages = nr_held;
	spin_lock(&vgc_zombies_lock);
	list_add_tail(&acct->node, &vgc_zombies);
	vgc_reaper_delay = VGC_REAP_MIN_DELAY;
	spin_unlock(&vgc_zombies_lock);
	mod_delayed_work(system_wq, &vgc_reaper, 0);
}

static void vgc_reaper_fn(struct work_struct *work)
{
	struct vgc_acct *acct, *tmp;
	unsigned long delay;
	LIST_HEAD(zombies);

	spin_lock(&vgc_zombies_lock);
	list_splice_init(&vgc_zombies, &zombies);
	spin_unlock(&vgc_zombies_lock);

	list_for_each_entry_safe(acct, tmp, &zombies, node) {
		vgc_acct_reap(acct);
		if (acct->nr_pages)
			continue;
		list_del(&acct->node);
		vgc_acct_free(acct);
	}
	/* What is left has pages that others still hold. */
	if (list_empty(&zombies))
		return;

	/* Pinned pages may stay for long: back off up to a second. */
	spin_lock(&vgc_zombies_lock);
	list_splice(&zombies, &vgc_zombies);
	delay = vgc_reaper_delay;
	vgc_reaper_delay = min_t(unsigned long, delay * 2, VGC_REAP_MAX_DELAY);
	spin_unlock(&vgc_zombies_lock);
	queue_delayed_work(system_wq, &vgc_reaper, delay);
}

int vgc_limit_init(void)
{
	unsigned long ram = totalram_pages();

	vgc_node_pages = kcalloc(nr_node_ids, sizeof(*vgc_node_pages),
				 GFP_KERNEL);
	if (!vgc_node_pages)
		return -ENOMEM;
	if (vgc_limit_mb == VGC_LIMIT_AUTO)
		vgc_limit_mb = ram >> (21 - PAGE_SHIFT);
	if (vgc_user_limit_mb == VGC_LIMIT_AUTO)
		vgc_user_limit_mb = vgc_limit_mb / 2;
	vgc_reserve_pages = ram / 32;
	vgc_reaper_delay = VGC_REAP_MIN_DELAY;
	return 0;
}

/*
 * Every arena is gone (no file, no mapping, no async checkpoint).  What is
 * still held elsewhere loses our reference: its last holder frees it.
 */
void vgc_limit_exit(void)
{
	unsigned long left = 0, i;
	struct vgc_acct *acct, *tmp;

	cancel_delayed_work_sync(&vgc_reaper);
	list_for_each_entry_safe(acct, tmp, &vgc_zombies, node) {
		vgc_acct_reap(acct);
		for (i = 0; i < acct->nr_pages; i++) {
			vgc_node_uncharge(page_to_nid(acct->pages[i]), 1);
			put_page(acct->pages[i]);
		}
		left += acct->nr_pages;
		vgc_user_uncharge(acct->user,
				  (u64)acct->nr_pages << PAGE_SHIFT);
		vgc_uncharge((u64)acct->nr_pages << PAGE_SHIFT);
		acct->unlock += acct->nr_pages;
		vgc_acct_unlock(acct);
		list_del(&acct->node);
		vgc_acct_free(acct);
	}
	if (left)
		pr_info("vgc: %lu pages still referenced elsewhere at unload, left to their holders\n",
			left);
	kfree(vgc_node_pages);
}
