/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later */
/*
 * The few things the shared core needs from its host, spelled once for the
 * kernel and once for user space.  Everything else in core/ is plain C over
 * <linux/types.h> and the ABI of <linux/vgc.h>, so that vgc.ko and libvgcu
 * compile the same files (netmap keeps its OS-neutral core the same way).
 */
#ifndef _VGC_OS_H
#define _VGC_OS_H

#include <linux/types.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/compiler.h>
#include <asm/barrier.h>
#include <linux/math64.h>
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/atomic.h>

#define VGC_READ_ONCE(x)		READ_ONCE(x)
#define VGC_WRITE_ONCE(x, v)		WRITE_ONCE(x, v)
/* Pairs with the writer's release store; each use says which. */
#define VGC_LOAD_ACQUIRE(p)		smp_load_acquire(p)
#define vgc_div_u64(n, d)		div_u64(n, d)
#define vgc_fls64(x)			fls64(x)
/* Sweep word operations (core/vgc_sweep.h); p is a __u64 *. */
#define VGC_XCHG(p, v)			xchg(p, v)
#define VGC_ANDNOT(p, m)		atomic64_andnot(m, (atomic64_t *)(p))
#define VGC_OR(p, m)			atomic64_or(m, (atomic64_t *)(p))
/* Orders the request takes before the VALID load, see vgc_sweep.h. */
#define VGC_RMB()			smp_rmb()
/* Orders the S stores before the VALID AND-NOT, see vgc_sweep.h. */
#define VGC_MB_BEFORE_ATOMIC()		smp_mb__before_atomic()
/* Orders the sweep's clear of a span summary before its takes. */
#define VGC_MB()			smp_mb()
/* Orders a request bit's atomic OR before the summary load (note). */
#define VGC_MB_AFTER_ATOMIC()		smp_mb__after_atomic()
#define VGC_LOAD_SC(x)			READ_ONCE(x)
#else
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define VGC_READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define VGC_WRITE_ONCE(x, v)		__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define VGC_LOAD_ACQUIRE(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define vgc_div_u64(n, d)		((__u64)(n) / (__u32)(d))
#define vgc_fls64(x)			((x) ? 64 - __builtin_clzll(x) : 0)
#define VGC_XCHG(p, v)			__atomic_exchange_n(p, v, __ATOMIC_ACQ_REL)
#define VGC_ANDNOT(p, m)		__atomic_fetch_and(p, ~(m), __ATOMIC_RELEASE)
#define VGC_OR(p, m)			__atomic_fetch_or(p, m, __ATOMIC_RELEASE)
#define VGC_RMB()			__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define VGC_MB_BEFORE_ATOMIC()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define VGC_MB()			__atomic_thread_fence(__ATOMIC_SEQ_CST)
/*
 * Requests are seq_cst RMWs and the summary load after them is seq_cst
 * too, which the C11 model orders against the sweep's fence (VGC_MB()).
 */
#define VGC_MB_AFTER_ATOMIC()		__atomic_signal_fence(__ATOMIC_SEQ_CST)
#define VGC_LOAD_SC(x)			__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)			(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef BIT_ULL
#define BIT_ULL(n)			(1ULL << (n))
#endif
#endif

#endif /* _VGC_OS_H */
