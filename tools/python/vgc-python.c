// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-python: CPython 3.11 with libvgcu as its allocator.
 *
 * Embeds Debian's libpython3.11.  After Py_PreInitialize(), before the
 * interpreter allocates anything in them, PYMEM_DOMAIN_MEM and
 * PYMEM_DOMAIN_OBJ (and PYMEM_DOMAIN_RAW with --raw) get an allocator
 * whose malloc/calloc/realloc/free are vgc_alloc/vgc_calloc/vgc_realloc/
 * vgc_free on one process-wide arena, all in the Green zone; then
 * Py_BytesMain() runs with the user's arguments, so the launcher takes
 * python3.11's command line.  Every Python thread allocates through the
 * library's lazy thread context; a refcount that drops to zero frees at
 * once with vgc_free() (under the GIL the object is unreachable).
 *
 * A pointer the domain's previous allocator returned (a few blocks of the
 * pre-initialisation, RAW ones before --raw took over) is not in the arena:
 * vgc_free() and vgc_realloc() refuse it with EINVAL, and it goes back to
 * that allocator.
 *
 * An allocator the user asked for (PYTHONMALLOC, -X dev) is honoured: VGC
 * then serves no domain.
 *
 * Options of the launcher, taken only at the front of the command line
 * (docs/vgc-python.md): --vgc-info, --vgc-stats, --raw.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgcu.h>

#define VGC_PY_ZONE	VGC_ZONE_GREEN

/*
 * libpython3.11 exports it (pycore_pymem.h): "pymalloc", "pymalloc_debug",
 * "malloc", "malloc_debug", or NULL for an allocator it does not know.
 */
extern const char *_PyMem_GetCurrentAllocatorName(void);

static struct vgc_arena *arena;
static int opt_stats;
/* NULL: VGC serves the domains; else the allocator asked for instead. */
static const char *stepped_aside;

/* Counted only with --vgc-stats: a predictable branch otherwise. */
static atomic_ullong n_alloc, n_free, n_realloc, n_foreign;

struct vgc_py_domain {
	PyMemAllocatorDomain domain;
	const char *name;
	PyMemAllocatorEx prev;		/* the allocator before ours */
};

static struct vgc_py_domain dom_raw = { PYMEM_DOMAIN_RAW, "raw", { 0 } };
static struct vgc_py_domain dom_mem = { PYMEM_DOMAIN_MEM, "mem", { 0 } };
static struct vgc_py_domain dom_obj = { PYMEM_DOMAIN_OBJ, "obj", { 0 } };

static void count(atomic_ullong *c)
{
	if (opt_stats)
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Not in the arena at all: the previous allocator's block. */
static int foreign(const void *p)
{
	struct vgc_objinfo info;

	return vgc_locate(arena, p, &info) == -EINVAL;
}

/* Size 0 must still be a unique pointer: one granule. */
static void *vgc_py_malloc(void *ctx, size_t size)
{
	(void)ctx;
	count(&n_alloc);
	return vgc_alloc(arena, size ? size : 1, VGC_PY_ZONE);
}

static void *vgc_py_calloc(void *ctx, size_t nelem, size_t elsize)
{
	(void)ctx;
	count(&n_alloc);
	if (!nelem || !elsize)
		return vgc_calloc(arena, 1, 1, VGC_PY_ZONE);
	return vgc_calloc(arena, nelem, elsize, VGC_PY_ZONE);
}

static void *vgc_py_realloc(void *ctx, void *p, size_t size)
{
	struct vgc_py_domain *d = ctx;
	void *q;

	if (!p)
		return vgc_py_malloc(ctx, size);
	count(&n_realloc);
	q = vgc_realloc(arena, p, size ? size : 1, VGC_PY_ZONE);
	if (!q && errno == EINVAL && foreign(p)) {
		count(&n_foreign);
		return d->prev.realloc(d->prev.ctx, p, size);
	}
	return q;
}

static void vgc_py_free(void *ctx, void *p)
{
	struct vgc_py_domain *d = ctx;
	int rc;

	if (!p)
		return;
	count(&n_free);
	rc = vgc_free(arena, p);
	if (rc == 0)
		return;
	if (rc == -EINVAL && foreign(p)) {
		count(&n_foreign);
		d->prev.free(d->prev.ctx, p);
		return;
	}
	fprintf(stderr, "vgc-python: vgc_free(%p) of the %s domain: %s\n",
		p, d->name, strerror(-rc));
	abort();
}

static void install(struct vgc_py_domain *d)
{
	PyMemAllocatorEx a = {
		.ctx = d,
		.malloc = vgc_py_malloc,
		.calloc = vgc_py_calloc,
		.realloc = vgc_py_realloc,
		.free = vgc_py_free,
	};

	PyMem_GetAllocator(d->domain, &d->prev);
	PyMem_SetAllocator(d->domain, &a);
}

static const char *const zone_names[VGC_NR_ZONES] = {
	[VGC_ZONE_RED] = "red", [VGC_ZONE_GREEN] = "green",
	[VGC_ZONE_BLUE] = "blue",
};

static void print_info(FILE *f, int raw)
{
	fprintf(f, "vgc-python: backend %s (%s), %u partitions, zone green, "
		"domains %s, Python %s\n",
		vgc_backend_name(vgc_arena_backend(arena)),
		vgc_backend_reason(arena), vgc_arena_partitions(arena),
		stepped_aside ? "none" : raw ? "mem obj raw" : "mem obj",
		Py_GetVersion());
	if (stepped_aside)
		fprintf(f, "vgc-python: allocator %s asked for (PYTHONMALLOC or "
			"-X dev): VGC serves no domain\n", stepped_aside);
}

static void print_stats(void)
{
	unsigned int np = vgc_arena_partitions(arena);
	struct vgc_heap_stats hs;
	struct vgc_stats st = { .size = sizeof(st) };

	fprintf(stderr, "vgc-python: calls alloc %llu free %llu realloc %llu "
		"foreign %llu\n", (unsigned long long)n_alloc,
		(unsigned long long)n_free, (unsigned long long)n_realloc,
		(unsigned long long)n_foreign);
	for (unsigned int z = 0; z < VGC_NR_ZONES; z++) {
		struct vgc_usage sum = { 0 };

		for (unsigned int p = 0; p < np; p++) {
			struct vgc_usage u;

			if (vgc_region_usage(arena, z, p, 0, &u))
				continue;
			sum.spans += u.spans;
			sum.spans_used += u.spans_used;
			sum.live += u.live;
			sum.live_bytes += u.live_bytes;
		}
		fprintf(stderr, "vgc-python: zone %s: objects %llu bytes %llu "
			"spans %llu carved %llu\n", zone_names[z],
			(unsigned long long)sum.live,
			(unsigned long long)sum.live_bytes,
			(unsigned long long)sum.spans,
			(unsigned long long)sum.spans_used);
	}
	if (!vgc_heap_stats(arena, &hs)) {
		char line[512];

		vgc_heap_stats_format(&hs, line, sizeof(line));
		fprintf(stderr, "vgc-python: heap: %s\n", line);
	}
	if (!vgc_arena_stats(arena, &st))
		fprintf(stderr, "vgc-python: arena: committed_bytes %llu "
			"metadata_bytes %llu checkpoints %llu threads %u\n",
			(unsigned long long)st.committed_bytes,
			(unsigned long long)st.metadata_bytes,
			(unsigned long long)st.checkpoints, st.nr_threads);
}

static int env_on(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

static void usage_exit(void)
{
	fprintf(stderr,
		"usage: vgc-python [--vgc-info] [--vgc-stats] [--raw] "
		"[python3.11 arguments]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int info = 0, raw = env_on("VGC_PYTHON_RAW"), i, rc;
	const char *name;
	PyPreConfig pre;
	PyStatus status;

	opt_stats = env_on("VGC_PYTHON_STATS");
	/* Launcher options only at the front: "script.py --raw" is the script's. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vgc-info"))
			info = 1;
		else if (!strcmp(argv[i], "--vgc-stats"))
			opt_stats = 1;
		else if (!strcmp(argv[i], "--raw"))
			raw = 1;
		else if (!strcmp(argv[i], "--vgc-help"))
			usage_exit();
		else
			break;
	}
	/* argv[0] stays: Python derives sys.executable from it. */
	memmove(argv + 1, argv + i, (argc - i + 1) * sizeof(*argv));
	argc -= i - 1;
	/* The interpreters the test suite starts run as this one does. */
	if (raw)
		setenv("VGC_PYTHON_RAW", "1", 1);

	rc = vgc_arena_open(NULL, &arena);
	if (rc) {
		fprintf(stderr, "vgc-python: vgc_arena_open: %s\n",
			strerror(-rc));
		return 1;
	}

	/* Parses -E, -I, -X dev, -X utf8 and PYTHONMALLOC as python3.11 does. */
	PyPreConfig_InitPythonConfig(&pre);
	status = Py_PreInitializeFromBytesArgs(&pre, argc, argv);
	if (PyStatus_Exception(status))
		Py_ExitStatusException(status);
	/*
	 * An allocator the user chose (PYTHONMALLOC, the debug hooks of -X
	 * dev) wins: the interpreter runs on it, as python3.11 would.
	 */
	name = _PyMem_GetCurrentAllocatorName();
	if (!name || strcmp(name, "pymalloc") ||
	    (getenv("PYTHONMALLOC") && *getenv("PYTHONMALLOC")))
		stepped_aside = name ? name : "unknown";
	if (info) {
		print_info(argc > 1 ? stderr : stdout, raw);
		if (argc == 1)
			return 0;
	}
	if (!stepped_aside) {
		if (raw)
			install(&dom_raw);
		install(&dom_mem);
		install(&dom_obj);
	}

	rc = Py_BytesMain(argc, argv);
	if (opt_stats)
		print_stats();
	/* No vgc_arena_close(): blocks freed after this are still ours. */
	return rc;
}
