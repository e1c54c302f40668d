// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: mappings: fault-tolerant touches, mmap at random offsets,
 * munmap, mremap and MADV_DONTNEED, touches of planes and data.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include "fuzz.h"

/* ---- fault-tolerant touches ------------------------------------------- */

static __thread sigjmp_buf touch_jb;
static __thread volatile int touch_armed;
static __thread volatile int touch_sig;

void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (touch_armed) {
		touch_sig = sig;
		touch_armed = 0;
		siglongjmp(touch_jb, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Returns 0 when the access completed, else the signal it raised. */
int touch(volatile uint8_t *p, bool write, uint8_t val)
{
	touch_sig = 0;
	if (sigsetjmp(touch_jb, 1) == 0) {
		touch_armed = 1;
		if (write)
			*p = val;
		else
			(void)*p;
		touch_armed = 0;
	}
	cnt->touches++;
	return touch_sig;
}

/* mmap at random offsets, lengths, prots and flags. */
void op_mmap(struct arena *a)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_NONE, PROT_WRITE };
	uint64_t pages = a->lay.map_size / page_size;
	uint64_t off = below(pages + 2) * page_size;
	size_t len = (1 + below(chance(70) ? 4 : pages + 2)) * page_size;
	int prot = prots[below(4)];
	int flags = chance(90) ? MAP_SHARED : MAP_PRIVATE;
	bool in, straddle, ctrl_w, ok;
	int slot = -1, err;
	void *p;

	if (chance(40))
		off = a->lay.threads_offset + below((a->lay.map_size - a->lay.threads_offset) /
						    page_size) * page_size;
	if (len > (64ULL << 20))
		len = 64ULL << 20;
	in = off + len <= a->lay.map_size;
	straddle = off < a->lay.ctrl_size && off + len > a->lay.ctrl_size;
	ctrl_w = off < a->lay.ctrl_size && (prot & PROT_WRITE);
	ok = in && !straddle && !ctrl_w && flags == MAP_SHARED;
	for (int m = 0; m < MAX_MAPS; m++)
		if (!maps[m].live) {
			slot = m;
			break;
		}
	if (slot < 0) {
		slot = below(MAX_MAPS);
		munmap(maps[slot].addr, maps[slot].len);
		maps[slot].live = false;
	}
	logop("mmap off %#llx len %#zx prot %d %s (map_size %#llx)", (unsigned long long)off, len,
	      prot, flags == MAP_SHARED ? "shared" : "private",
	      (unsigned long long)a->lay.map_size);
	p = mmap(NULL, len, prot, flags, a->fd, off);
	err = p == MAP_FAILED ? errno : 0;
	logres(p == MAP_FAILED ? -1 : 0, err);
	cnt->mmaps++;
	if (ok && p == MAP_FAILED && err != ENOMEM)
		fail("valid mmap failed: %s", strerror(err));
	if (!ok && p != MAP_FAILED)
		fail("invalid mmap (in %d straddle %d ctrl_w %d shared %d) succeeded",
		     in, straddle, ctrl_w, flags == MAP_SHARED);
	if (!ok && !(err == EINVAL || err == EPERM || err == EACCES || err == ENXIO ||
		     err == ENOMEM || err == EOVERFLOW))
		fail("invalid mmap: errno %s", strerrorname_np(err));
	if (p == MAP_FAILED)
		return;
	maps[slot] = (struct map){ true, (int)(a - arenas), p, len, off, prot };
	if (off < a->lay.ctrl_size && chance(50)) {
		logop("mprotect ctrl mapping RW");
		if (mprotect(p, len, PROT_READ | PROT_WRITE) == 0)
			fail("ctrl mapping became writable");
		logres(-1, errno);
	}
}

void op_munmap(void)
{
	int m = below(MAX_MAPS);
	size_t pages, first, n;

	if (!maps[m].live)
		return;
	pages = maps[m].len / page_size;
	first = below(pages);
	n = 1 + below(pages - first);
	logop("munmap map %d pages %zu+%zu of %zu", m, first, n, pages);
	munmap(maps[m].addr + first * page_size, n * page_size);
	/* keep the remaining head only, the tail is forgotten (and leaks until exit) */
	if (first == 0) {
		maps[m].live = false;
	} else {
		maps[m].len = first * page_size;
	}
}

/*
 * mremap (shrink, move; growth is refused: VM_DONTEXPAND) and
 * MADV_DONTNEED, after which a committed page must read back what was
 * written: the mapping is shared, the page is the arena's.
 */
void op_remap(void)
{
	int m = below(MAX_MAPS);
	struct map *mp = &maps[m];
	struct arena *ma;
	size_t pages;

	if (!mp->live || !arenas[mp->arena].live)
		return;
	ma = &arenas[mp->arena];
	pages = mp->len / page_size;
	if (chance(50) && (mp->prot & PROT_READ) && (mp->prot & PROT_WRITE)) {
		size_t pg = below(pages);
		uint64_t off = mp->off + pg * page_size;
		volatile uint8_t *p = mp->addr + pg * page_size + below(page_size);
		uint8_t v = 1 + below(255);

		if (!offset_committed(ma, off) || off < ma->lay.threads_offset)
			return;
		logop("madvise DONTNEED map %d page %zu, value %u kept", m, pg, v);
		if (touch(p, true, v))
			fail("write to committed offset %#llx faulted", (unsigned long long)off);
		if (madvise(mp->addr + pg * page_size, page_size, MADV_DONTNEED))
			fail("madvise DONTNEED: %s", strerror(errno));
		if (*p != v)
			fail("offset %#llx lost its value after MADV_DONTNEED: %u != %u",
			     (unsigned long long)off, *p, v);
		return;
	}
	if (chance(30)) {
		void *q;

		logop("mremap map %d grow %zu -> %zu pages", m, pages, pages + 1);
		q = mremap(mp->addr, mp->len, mp->len + page_size, MREMAP_MAYMOVE);
		logres(q == MAP_FAILED ? -1 : 0, errno);
		if (q != MAP_FAILED)
			fail("mremap grew a VM_DONTEXPAND mapping");
		return;
	}
	{
		size_t npages = 1 + below(pages);
		void *q;

		if (chance(50)) {
			/* a forced move to a reserved address */
			void *t = mmap(NULL, npages * page_size, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (t == MAP_FAILED)
				return;
			logop("mremap map %d to %p, %zu -> %zu pages", m, t, pages, npages);
			q = mremap(mp->addr, mp->len, npages * page_size,
				   MREMAP_MAYMOVE | MREMAP_FIXED, t);
			if (q == MAP_FAILED)
				munmap(t, npages * page_size);
		} else {
			logop("mremap map %d shrink, %zu -> %zu pages", m, pages, npages);
			q = mremap(mp->addr, mp->len, npages * page_size, MREMAP_MAYMOVE);
		}
		logres(q == MAP_FAILED ? -1 : 0, errno);
		if (q == MAP_FAILED) {
			if (errno != ENOMEM)
				fail("mremap shrink/move: %s", strerror(errno));
			return;
		}
		mp->addr = q;
		mp->len = npages * page_size;
	}
}

/* Where a mapping offset falls; returns whether touching it is safe. */
/*
 * A plane page is allocated once a granule it covers is committed (the
 * module allocates plane pages lazily, docs/design.md "Mapping layout"),
 * and stays until the arena goes: committed sizes only grow.
 */
static bool plane_page_backed(struct arena *a, uint64_t off)
{
	uint64_t rel, g0, g1;
	uint32_t p, i;

	for (p = 0; p < VGC_NR_PLANES; p++)
		if (off >= a->lay.plane_offset[p] &&
		    off < a->lay.plane_offset[p] + a->lay.plane_size)
			break;
	if (p == VGC_NR_PLANES)
		return true;		/* ctrl, threads, spans, summaries */
	rel = (off - a->lay.plane_offset[p]) & ~(uint64_t)(page_size - 1);
	g0 = rel * 8;
	g1 = (rel + page_size) * 8;
	for (i = 0; i < a->lay.nr_regions && i < MAX_REGIONS; i++) {
		const struct vgc_region *r = &a->reg[i];
		uint64_t s = r->first_granule, e = s + r->committed_granules;

		if (s < g1 && e > g0 && e > s)
			return true;
	}
	return false;
}

bool offset_committed(struct arena *a, uint64_t off)
{
	if (off < a->lay.data_offset)
		return plane_page_backed(a, off);
	for (uint32_t i = 0; i < a->lay.nr_regions && i < MAX_REGIONS; i++) {
		const struct vgc_region *r = &a->reg[i];
		uint64_t s = r->offset, e = s + r->committed_granules * VGC_GRANULE_SIZE;

		if (off >= s && off < r->offset + r->capacity_granules * VGC_GRANULE_SIZE)
			return off < e;
	}
	return false;
}

void op_touch(struct arena *a, bool in_thread)
{
	uint64_t off;
	bool write = chance(50);
	bool safe;
	int sig;

	if (!in_thread && chance(40)) {
		/* one of the random mappings */
		int m = below(MAX_MAPS);
		struct map *mp = &maps[m];
		struct arena *ma;

		if (!mp->live || !arenas[mp->arena].live)
			return;
		ma = &arenas[mp->arena];
		off = below(mp->len);
		safe = offset_committed(ma, mp->off + off) && (mp->prot & PROT_READ) &&
		       (!write || (mp->prot & PROT_WRITE));
		if (mp->off < ma->lay.ctrl_size) {
			/* ctrl: never written, the write must fault */
			safe = !write && (mp->prot & PROT_READ);
		}
		/* write-only mappings are readable on x86 */
		if (mp->prot == PROT_WRITE)
			safe = offset_committed(ma, mp->off + off);
		logop("touch map %d off %#llx %s", m, (unsigned long long)(mp->off + off),
		      write ? "write" : "read");
		sig = touch(mp->addr + off, write, (uint8_t)rnd());
		logres(sig ? -1 : 0, sig == SIGBUS ? EIO : sig ? EFAULT : 0);
		if (safe && sig)
			fail("touch of mapped offset %#llx raised signal %d",
			     (unsigned long long)(mp->off + off), sig);
		if (sig == SIGBUS)
			cnt->sigbus++;
		return;
	}
	if (!a->rw)
		return;
	if (chance(15) && a->ctrl) {
		logop("read ctrl");
		sig = touch((volatile uint8_t *)a->ctrl + below(a->lay.ctrl_size), false, 0);
		if (sig)
			fail("reading ctrl raised signal %d", sig);
		if (!in_thread && chance(10)) {
			logop("write ctrl (must fault)");
			if (!touch((volatile uint8_t *)a->ctrl, true, 0))
				fail("write to ctrl did not fault");
		}
		return;
	}
	/* metadata mostly, data otherwise */
	if (chance(50))
		off = a->lay.threads_offset + below(a->lay.data_offset - a->lay.threads_offset);
	else
		off = a->lay.data_offset + below(a->lay.map_size - a->lay.data_offset);
	safe = offset_committed(a, off);
	/* garbage in the metadata is the kernel's problem, but keep it rare */
	if (write && off < a->lay.data_offset && !chance(10))
		write = false;
	logop("touch off %#llx %s%s", (unsigned long long)off, write ? "write" : "read",
	      safe ? "" : " (uncommitted)");
	sig = touch(a->rw + off - a->lay.threads_offset, write, (uint8_t)rnd());
	logres(sig ? -1 : 0, sig == SIGBUS ? EIO : sig ? EFAULT : 0);
	if (safe && sig)
		fail("touch of committed offset %#llx raised signal %d", (unsigned long long)off, sig);
	if (sig == SIGBUS)
		cnt->sigbus++;
	if (!safe && !sig && !in_thread && a->fd >= 0) {
		/* no SIGBUS: only right if the region grew meanwhile */
		if (layout_of(a->fd, &a->lay, a->reg) && !offset_committed(a, off))
			fail("touch of uncommitted data offset %#llx did not raise SIGBUS",
			     (unsigned long long)off);
	}
}
