// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library's own memory: arena structs, thread contexts, lookup tables.
 * All of it comes from mmap, never from libc malloc, so that libvgcu can
 * serve as a process's malloc (an LD_PRELOAD drop-in calls into it from
 * inside malloc) and so that its tables of the index space cost only what
 * is touched: the pages of a large, mostly uncommitted reserve stay
 * unbacked until a span there is committed.
 *
 * None of it takes transparent huge pages.  Where THP is "always" (Debian's
 * default), the first touch of an aligned 2 MiB of an anonymous mapping
 * faults in all of it: one plane word written for one object cost 2 MiB
 * (a huge page of a plane covers 256 MiB of data), and so did a region's
 * first object (measured on 6.12: a ring of 4096 16-byte objects, 64 KiB
 * live, peaked at 16.9 MiB RSS, 3.5x mimalloc's).  It would also undo
 * decommit: khugepaged collapses a range whose 64 KiB spans were given
 * back into one huge page again.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vgcu_int.h"

static size_t page_round(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t p = pg > 0 ? (size_t)pg : 4096;

	return (n + p - 1) & ~(p - 1);
}

/*
 * Best effort: EINVAL means a kernel built without THP, where there is
 * nothing to turn off.
 */
void vgcu_map_no_thp(void *p, size_t size)
{
	(void)madvise(p, page_round(size), MADV_NOHUGEPAGE);
}

void *vgcu_meta_alloc(size_t size)
{
	void *p;

	if (!size)
		size = 1;
	p = mmap(NULL, page_round(size), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	vgcu_map_no_thp(p, size);
	return p;
}

void vgcu_meta_free(void *p, size_t size)
{
	if (p)
		munmap(p, page_round(size ? size : 1));
}

/*
 * An inaccessible range of size bytes at which data_offset falls on an
 * align boundary (a power of two), for the backends to map their arena
 * over with MAP_FIXED: spans then start on 64 KiB boundaries in the
 * address space, which is what vgc_aligned_alloc() promises.  The slack
 * around it is unmapped again.
 */
void *vgcu_map_reserve(size_t size, size_t data_offset, size_t align)
{
	size_t len = size + align;
	uintptr_t raw, base, end;
	void *m;

	m = mmap(NULL, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return MAP_FAILED;
	raw = (uintptr_t)m;
	base = ((raw + data_offset + align - 1) & ~(uintptr_t)(align - 1)) -
	       data_offset;
	if (base < raw)
		base += align;
	end = base + page_round(size);
	if (base > raw)
		munmap(m, base - raw);
	if (raw + len > end)
		munmap((void *)end, raw + len - end);
	return (void *)base;
}
