/* SPDX-License-Identifier: GPL-2.0 */
/* The allocator shim (shim.c): one struct per Python memory domain. */
#ifndef VGCPY_SHIM_H
#define VGCPY_SHIM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

struct vgcpy_domain {
	PyMemAllocatorDomain domain;
	const char *name;
	int dom;			/* VGCPY_MEM/OBJ; -1: RAW, unprofiled */
	PyMemAllocatorEx prev;		/* the allocator before ours */
};

/* Count the calls (--vgc-stats); atomic, as RAW has no GIL. */
extern int vgcpy_count_calls;

/* Tables of the fast paths, from the open arena; 0 or -1. */
int vgcpy_shim_init(void);
/* Installs the shim as @d's allocator. */
void vgcpy_install(struct vgcpy_domain *d);

#endif /* VGCPY_SHIM_H */
