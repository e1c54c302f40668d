// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgcmalloc.so: the C allocator of a process served by one VGC arena,
 * for LD_PRELOAD.  libvgcu is linked in statically; the version script
 * exports only the malloc family (docs/malloc.md, libvgcmalloc(3)).
 *
 * The arena is opened lazily by the first call, whoever makes it: ld.so
 * between relocation and the constructors, another library's constructor,
 * a thread, but not before libnuma's constructor has run: the anonymous
 * backend asks libnuma for the node of each CPU, and libnuma exits the
 * process when asked before its numa_init().  Until then, and while the
 * arena opens, the library, libnuma and glibc allocate too
 * (the pacer's state, the statistics file's record, dlsym's buffers): those
 * calls, and those of any other thread that comes in meanwhile, are served
 * by a static bump area that never blocks.  free() of a bootstrap pointer
 * does nothing, realloc() copies it out.  Once the arena is up, every call
 * goes to it; when it cannot be opened (VGC_BACKEND=module without the
 * module, an address-space limit), glibc's own allocator serves the
 * process, after one line on stderr.
 *
 * Pointers are told apart by address: the arena's data range, the
 * bootstrap area, and (only after a failed open) glibc.  Alignments up to
 * 64 KiB come from size classes whose slots are aligned; larger ones from
 * a large object (64 KiB aligned) with room to slide to the alignment,
 * the interior pointer recorded in a small table so that free() finds the
 * object again.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vgcu.h>
#include "statfile.h"

#define EXPORT	__attribute__((visibility("default")))
#define RLX	__ATOMIC_RELAXED
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* glibc's allocator, for a process whose arena could not be opened */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

/* <malloc.h> declares these; it would also bring glibc's hooks */
EXPORT void cfree(void *p);
EXPORT void *memalign(size_t align, size_t n);
EXPORT void *pvalloc(size_t n);
EXPORT size_t malloc_usable_size(void *p);

enum { ST_NONE, ST_OPENING, ST_READY, ST_LIBC };

static int state;			/* ST_*, acquire/release */
static struct vgc_arena *arena;
static enum vgc_zone zone = VGC_ZONE_GREEN;
static uintptr_t data_lo, data_hi;	/* the arena's data range */
static bool show_stats;
static __thread int in_open;		/* this thread is opening the arena */
static size_t (*libc_usable)(void *);

/* ---- bootstrap ---------------------------------------------------------- */

#define BOOT_SIZE	(2U << 20)
#define BOOT_HDR	16U

static char boot[BOOT_SIZE] __attribute__((aligned(4096)));
static size_t boot_off;
static uint64_t boot_calls, boot_bytes, boot_frees;

static inline bool is_boot(const void *p)
{
	return (uintptr_t)p - (uintptr_t)boot < BOOT_SIZE;
}

/* 16-byte header before each block: its usable size. */
static void *boot_alloc(size_t align, size_t n)
{
	size_t off, start, end;
	char *p;

	if (align < 16)
		align = 16;
	if (n > BOOT_SIZE || align > BOOT_SIZE / 4)
		goto nomem;
	n = (n + 15) & ~(size_t)15;
	off = __atomic_load_n(&boot_off, RLX);
	do {
		start = (off + BOOT_HDR + align - 1) & ~(align - 1);
		end = start + n;
		if (end > BOOT_SIZE)
			goto nomem;
	} while (!__atomic_compare_exchange_n(&boot_off, &off, end, true,
					      RLX, RLX));
	p = boot + start;
	*(size_t *)(p - BOOT_HDR) = n;
	__atomic_fetch_add(&boot_calls, 1, RLX);
	__atomic_fetch_add(&boot_bytes, n, RLX);
	return p;
nomem:
	errno = ENOMEM;
	return NULL;
}

static inline size_t boot_usable(const void *p)
{
	return *(const size_t *)((const char *)p - BOOT_HDR);
}

/* ---- statistics (VGC_SHOW_STATS=1 only) -------------------------------- */

enum {
	C_MALLOC, C_CALLOC, C_REALLOC, C_ALIGNED, C_FREE, C_USABLE,
	C_BYTES, C_FAILED, C_NR
};

#define STRIPES	64
struct stripe {
	uint64_t c[C_NR];
} __attribute__((aligned(128)));

static struct stripe stripes[STRIPES];
static unsigned int stripe_next;
static __thread int my_stripe = -1;
static int64_t live_bytes, peak_bytes;
static uint64_t libc_calls, big_aligned;

static inline struct stripe *stripe(void)
{
	if (unlikely(my_stripe < 0))
		my_stripe = (int)(__atomic_fetch_add(&stripe_next, 1, RLX) %
				  STRIPES);
	return &stripes[my_stripe];
}

static inline void count(unsigned int c, uint64_t v)
{
	if (unlikely(show_stats))
		__atomic_fetch_add(&stripe()->c[c], v, RLX);
}

static void live_add(int64_t d)
{
	int64_t now = __atomic_add_fetch(&live_bytes, d, RLX);
	int64_t pk = __atomic_load_n(&peak_bytes, RLX);

	while (now > pk &&
	       !__atomic_compare_exchange_n(&peak_bytes, &pk, now, true, RLX,
					    RLX))
		;
}

/* ---- over-aligned pointers ------------------------------------------- */

#define ATAB_CAP	1024
static struct { void *user, *head; } atab[ATAB_CAP];
static unsigned int atab_n;
static pthread_mutex_t atab_lock = PTHREAD_MUTEX_INITIALIZER;

static int atab_add(void *user, void *head)
{
	int ok = 0;

	pthread_mutex_lock(&atab_lock);
	if (atab_n < ATAB_CAP) {
		atab[atab_n].user = user;
		atab[atab_n++].head = head;
		ok = 1;
	}
	pthread_mutex_unlock(&atab_lock);
	return ok;
}

/* The object an over-aligned pointer lies in, NULL for any other. */
static void *atab_find(const void *user, bool remove)
{
	void *head = NULL;
	unsigned int i;

	if (!__atomic_load_n(&atab_n, RLX))
		return NULL;
	pthread_mutex_lock(&atab_lock);
	for (i = 0; i < atab_n; i++)
		if (atab[i].user == user) {
			head = atab[i].head;
			if (remove)
				atab[i] = atab[--atab_n];
			break;
		}
	pthread_mutex_unlock(&atab_lock);
	return head;
}

static void atab_prepare(void)
{
	pthread_mutex_lock(&atab_lock);
}

static void atab_release(void)
{
	pthread_mutex_unlock(&atab_lock);
}

/* ---- opening the arena ------------------------------------------------- */

static int say_fd = 2;
static char stats_path[4096];	/* VGC_SHOW_STATS=/path: append there */

/* stderr without stdio: no allocation, no lock, safe at any point */
static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(say_fd, buf, (size_t)n) < 0)
		return;
}

static __attribute__((noreturn)) void bad_pointer(const char *fn, void *p)
{
	say("vgcmalloc: %s(): invalid pointer %p (pid %d)\n", fn, p,
	    (int)getpid());
	abort();
}

static void parse_env(void)
{
	const char *e = getenv("VGC_SHOW_STATS");

	show_stats = e && *e && strcmp(e, "0");
	if (show_stats && e[0] == '/' && strlen(e) < sizeof(stats_path))
		strcpy(stats_path, e);
	e = getenv("VGC_MALLOC_ZONE");
	if (!e || !*e || !strcmp(e, "green"))
		zone = VGC_ZONE_GREEN;
	else if (!strcmp(e, "red"))
		zone = VGC_ZONE_RED;
	else if (!strcmp(e, "blue"))
		zone = VGC_ZONE_BLUE;
	else
		say("vgcmalloc: VGC_MALLOC_ZONE=%s: not red, green or blue; "
		    "using green\n", e);
}

static void open_arena(void)
{
	struct vgc_config cfg;
	unsigned int z;
	void *p;
	int err;

	in_open = 1;
	parse_env();
	vgc_config_init(&cfg);
	/* only the zone in use: the others cost neither memory nor space */
	for (z = 0; z < VGC_NR_ZONES; z++)
		if (z != (unsigned int)zone)
			cfg.zone_bytes[z] = 0;
	err = vgc_arena_open(&cfg, &arena);
	if (!err) {
		data_lo = (uintptr_t)vgc_arena_base(arena);
		data_hi = data_lo + (vgc_arena_layout(arena)->total_granules <<
				     VGC_GRANULE_SHIFT);
		/* the thread context, TLS key and atfork of libvgcu now */
		p = vgc_alloc(arena, 1, zone);
		if (p)
			vgc_free(arena, p);
		pthread_atfork(atab_prepare, atab_release, atab_release);
		__atomic_store_n(&state, ST_READY, __ATOMIC_RELEASE);
	} else {
		say("vgcmalloc: vgc_arena_open: %s; glibc malloc serves this "
		    "process\n", vgc_strerror(err));
		libc_usable = (size_t (*)(void *))dlsym(RTLD_NEXT,
							"malloc_usable_size");
		__atomic_store_n(&state, ST_LIBC, __ATOMIC_RELEASE);
	}
	in_open = 0;
}

/*
 * libnuma's constructor allocates numa_no_nodes_ptr last; ours runs after
 * it (libnuma is our dependency), in case a libnuma does it otherwise.
 */
static bool ctor_ran;

__attribute__((constructor)) static void vgcm_init(void)
{
	__atomic_store_n(&ctor_ran, true, __ATOMIC_RELEASE);
}

static inline bool numa_ready(void)
{
	return __atomic_load_n(&ctor_ran, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&numa_no_nodes_ptr, __ATOMIC_ACQUIRE);
}

/*
 * ST_READY or ST_LIBC once the arena's fate is known; ST_OPENING to the
 * opening thread itself and to any other thread while it opens.
 */
static int vgcm_state_slow(void)
{
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);

	if (s >= ST_READY || in_open)
		return s;
	if (!numa_ready())
		return ST_OPENING;	/* early start-up: bootstrap */
	s = ST_NONE;
	if (__atomic_compare_exchange_n(&state, &s, ST_OPENING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		open_arena();
		return __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	}
	return s;	/* ST_OPENING by another thread, or its outcome */
}

static inline int vgcm_state(void)
{
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);

	return likely(s == ST_READY) ? s : vgcm_state_slow();
}

static inline bool in_arena(const void *p)
{
	return (uintptr_t)p - data_lo < data_hi - data_lo;
}

/* ---- the calls ---------------------------------------------------------- */

static void *alloc_common(size_t align, size_t n, unsigned int what);

EXPORT void *malloc(size_t n)
{
	void *p;

	if (likely(vgcm_state() == ST_READY)) {
		p = vgc_alloc(arena, n ? n : 1, zone);
		if (likely(!show_stats) || !p)
			goto out;
		count(C_MALLOC, 1);
		count(C_BYTES, n);
		live_add((int64_t)vgc_usable_size(arena, p));
out:
		if (unlikely(!p))
			errno = ENOMEM;
		return p;
	}
	return alloc_common(0, n, C_MALLOC);
}

/*
 * Everything but the common malloc(): bootstrap, glibc fallback,
 * alignment.  align 0: malloc's own.
 */
static void *alloc_common(size_t align, size_t n, unsigned int what)
{
	size_t total;
	uintptr_t u;
	void *p, *head;
	int s = vgcm_state();

	if (s == ST_OPENING)
		return boot_alloc(align, n ? n : 1);
	if (s == ST_LIBC) {
		__atomic_fetch_add(&libc_calls, 1, RLX);
		return align > 16 ? __libc_memalign(align, n) : __libc_malloc(n);
	}
	if (!n)
		n = 1;
	if (align <= VGC_GRANULE_SIZE) {
		p = vgc_alloc(arena, n, zone);
	} else if (align <= VGC_SPAN_SIZE) {
		p = vgc_aligned_alloc(arena, align, n, zone);
	} else {
		/* a large object is span aligned: slide within it */
		if (__builtin_add_overflow(n, align - VGC_SPAN_SIZE, &total)) {
			errno = ENOMEM;
			return NULL;
		}
		head = vgc_alloc(arena, total, zone);
		if (!head)
			goto fail;
		u = ((uintptr_t)head + align - 1) & ~(uintptr_t)(align - 1);
		p = (void *)u;
		if (p != head && !atab_add(p, head)) {
			vgc_free(arena, head);
			errno = ENOMEM;
			return NULL;
		}
		if (show_stats)
			__atomic_fetch_add(&big_aligned, 1, RLX);
	}
	if (!p)
		goto fail;
	if (show_stats) {
		count(what, 1);
		count(C_BYTES, n);
		live_add((int64_t)vgc_usable_size(arena, p));
	}
	return p;
fail:
	count(C_FAILED, 1);
	if (errno != EINVAL)
		errno = ENOMEM;		/* E2BIG etc.: malloc says ENOMEM */
	return NULL;
}

static void free_arena(void *p, const char *fn)
{
	size_t sz = show_stats ? vgc_usable_size(arena, p) : 0;
	void *head;
	int err;

	err = vgc_free(arena, p);
	if (likely(!err)) {
		if (show_stats)
			live_add(-(int64_t)sz);
		return;
	}
	head = atab_find(p, true);
	if (!head)
		bad_pointer(fn, p);	/* double free, interior, foreign */
	if (show_stats)
		live_add(-(int64_t)vgc_usable_size(arena, head));
	vgc_free(arena, head);
}

EXPORT void free(void *p)
{
	int s;

	if (!p)
		return;
	s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	if (likely(s == ST_READY && in_arena(p))) {
		count(C_FREE, 1);
		if (likely(!show_stats)) {
			if (likely(!vgc_free(arena, p)))
				return;
		}
		free_arena(p, "free");
		return;
	}
	if (is_boot(p)) {
		__atomic_fetch_add(&boot_frees, 1, RLX);
		return;
	}
	if (s == ST_LIBC) {
		__libc_free(p);
		return;
	}
	bad_pointer("free", p);
}

EXPORT void cfree(void *p)
{
	free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;
	int s;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	s = vgcm_state();
	if (s == ST_READY) {
		p = vgc_calloc(arena, 1, bytes ? bytes : 1, zone);
		if (!p) {
			count(C_FAILED, 1);
			errno = ENOMEM;
			return NULL;
		}
		if (show_stats) {
			count(C_CALLOC, 1);
			count(C_BYTES, bytes);
			live_add((int64_t)vgc_usable_size(arena, p));
		}
		return p;
	}
	if (s == ST_LIBC) {
		__atomic_fetch_add(&libc_calls, 1, RLX);
		return __libc_calloc(n, size);
	}
	return boot_alloc(0, bytes ? bytes : 1);	/* static: zeroed */
}

/* Copy into a new block and free the old one (not arena-resizable). */
static void *realloc_copy(void *p, size_t old, size_t n)
{
	void *q = malloc(n);

	if (!q)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	free(p);
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	size_t before = 0;
	void *q, *head;
	int s;

	if (!p)
		return malloc(n);
	if (!n) {
		free(p);		/* glibc: realloc(p, 0) frees */
		return NULL;
	}
	s = vgcm_state();
	if (is_boot(p))
		return realloc_copy(p, boot_usable(p), n);
	if (s == ST_LIBC) {
		__atomic_fetch_add(&libc_calls, 1, RLX);
		return __libc_realloc(p, n);
	}
	if (s != ST_READY || !in_arena(p))
		bad_pointer("realloc", p);
	head = atab_find(p, false);
	if (head)
		return realloc_copy(p, vgc_usable_size(arena, head) -
				       (size_t)((char *)p - (char *)head), n);
	if (show_stats)
		before = vgc_usable_size(arena, p);
	q = vgc_realloc(arena, p, n, zone);
	if (!q) {
		if (errno == EINVAL)
			bad_pointer("realloc", p);
		count(C_FAILED, 1);
		errno = ENOMEM;
		return NULL;
	}
	if (show_stats) {
		count(C_REALLOC, 1);
		count(C_BYTES, n);
		live_add((int64_t)vgc_usable_size(arena, q) - (int64_t)before);
	}
	return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

static inline bool pow2(size_t x)
{
	return x && !(x & (x - 1));
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	int saved = errno, err = 0;
	void *p;

	if (!pow2(align) || align % sizeof(void *))
		return EINVAL;
	p = alloc_common(align, n, C_ALIGNED);
	if (!p)
		err = errno == EINVAL ? EINVAL : ENOMEM;
	else
		*out = p;
	errno = saved;
	return err;
}

/* C17 and glibc 2.38: a power of two, else EINVAL. */
EXPORT void *aligned_alloc(size_t align, size_t n)
{
	if (!pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_common(align, n, C_ALIGNED);
}

/* glibc: an alignment that is not a power of two is rounded up to one. */
EXPORT void *memalign(size_t align, size_t n)
{
	if (align > ((size_t)1 << (sizeof(size_t) * 8 - 2))) {
		errno = EINVAL;
		return NULL;
	}
	while (!pow2(align))
		align = align ? (align | (align >> 1)) + 1 : 1;
	return alloc_common(align, n, C_ALIGNED);
}

static size_t page_size(void)
{
	static size_t pg;

	if (!pg) {
		long v = sysconf(_SC_PAGESIZE);

		pg = v > 0 ? (size_t)v : 4096;
	}
	return pg;
}

EXPORT void *valloc(size_t n)
{
	return alloc_common(page_size(), n, C_ALIGNED);
}

EXPORT void *pvalloc(size_t n)
{
	size_t pg = page_size(), r;

	if (__builtin_add_overflow(n, pg - 1, &r)) {
		errno = ENOMEM;
		return NULL;
	}
	r &= ~(pg - 1);
	return alloc_common(pg, r ? r : pg, C_ALIGNED);
}

EXPORT size_t malloc_usable_size(void *p)
{
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	void *head;

	if (!p)
		return 0;
	if (is_boot(p))
		return boot_usable(p);
	if (s == ST_LIBC)
		return libc_usable ? libc_usable(p) : 0;
	if (s != ST_READY || !in_arena(p))
		return 0;
	count(C_USABLE, 1);
	head = atab_find(p, false);
	if (head)
		return vgc_usable_size(arena, head) -
		       (size_t)((char *)p - (char *)head);
	return vgc_usable_size(arena, p);
}

/* ---- exit --------------------------------------------------------------- */

static void print_stats(void)
{
	struct vgc_heap_stats hs;
	struct vgc_stats as;
	uint64_t c[C_NR] = { 0 };
	unsigned int i, k;

	for (i = 0; i < STRIPES; i++)
		for (k = 0; k < C_NR; k++)
			c[k] += __atomic_load_n(&stripes[i].c[k], RLX);
	say("vgcmalloc: pid %d (%s): backend %s (%s), zone %s\n",
	    (int)getpid(), program_invocation_short_name,
	    vgc_backend_name(vgc_arena_backend(arena)),
	    vgc_backend_reason(arena),
	    zone == VGC_ZONE_RED ? "red" : zone == VGC_ZONE_BLUE ? "blue" :
	    "green");
	say("vgcmalloc: pid %d calls: malloc %llu calloc %llu realloc %llu "
	    "aligned %llu free %llu usable_size %llu failed %llu\n",
	    (int)getpid(), (unsigned long long)c[C_MALLOC],
	    (unsigned long long)c[C_CALLOC], (unsigned long long)c[C_REALLOC],
	    (unsigned long long)c[C_ALIGNED], (unsigned long long)c[C_FREE],
	    (unsigned long long)c[C_USABLE], (unsigned long long)c[C_FAILED]);
	say("vgcmalloc: pid %d bytes: requested %llu live %lld peak %lld; "
	    "bootstrap %llu calls %llu bytes %llu frees; over-aligned %llu; "
	    "glibc %llu\n", (int)getpid(), (unsigned long long)c[C_BYTES],
	    (long long)live_bytes, (long long)peak_bytes,
	    (unsigned long long)boot_calls, (unsigned long long)boot_bytes,
	    (unsigned long long)boot_frees, (unsigned long long)big_aligned,
	    (unsigned long long)libc_calls);
	memset(&as, 0, sizeof(as));
	as.size = sizeof(as);
	if (!vgc_heap_stats(arena, &hs) && !vgc_arena_stats(arena, &as)) {
		char line[512];

		vgc_heap_stats_format(&hs, line, sizeof(line));
		say("vgcmalloc: pid %d heap: committed %llu metadata %llu %s\n",
		    (int)getpid(), (unsigned long long)as.committed_bytes,
		    (unsigned long long)as.metadata_bytes, line);
	}
}

/*
 * At exit the arena stays: destructors that run after this one, and other
 * threads, still allocate and free.  Only the statistics file goes.
 */
__attribute__((destructor)) static void vgcm_fini(void)
{
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);

	if (show_stats && stats_path[0]) {
		int fd = open(stats_path, O_WRONLY | O_APPEND | O_CREAT |
			      O_CLOEXEC, 0644);

		if (fd < 0)
			return;
		say_fd = fd;
	}
	if (s == ST_LIBC && show_stats)
		say("vgcmalloc: pid %d (%s): no arena; glibc served %llu "
		    "calls, bootstrap %llu\n", (int)getpid(),
		    program_invocation_short_name,
		    (unsigned long long)libc_calls,
		    (unsigned long long)boot_calls);
	if (s == ST_READY && show_stats)
		print_stats();
	if (say_fd != 2) {
		close(say_fd);
		say_fd = 2;
	}
	if (s == ST_READY)
		vgcu_statfile_remove(arena);
}
