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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "vgcpy.h"

#define DEFAULT_SAMPLE		64
#define DEFAULT_PERIOD_MS	100

/*
 * libpython3.11 exports it (pycore_pymem.h): "pymalloc", "pymalloc_debug",
 * "malloc", "malloc_debug", or NULL for an allocator it does not know.
 */
extern const char *_PyMem_GetCurrentAllocatorName(void);

/* NULL: VGC serves the domains; else the allocator asked for instead. */
static const char *stepped_aside;

static struct vgcpy_domain dom_raw = { PYMEM_DOMAIN_RAW, "raw", -1, { 0 } };
static struct vgcpy_domain dom_mem = {
	PYMEM_DOMAIN_MEM, "mem", VGCPY_MEM, { 0 }
};
static struct vgcpy_domain dom_obj = {
	PYMEM_DOMAIN_OBJ, "obj", VGCPY_OBJ, { 0 }
};

static void print_info(FILE *f, int raw, int profile)
{
	fprintf(f, "vgc-python: backend %s (%s), %u partitions, zones %s, "
		"domains %s, Python %s\n",
		vgc_backend_name(vgc_arena_backend(vgcpy_arena)),
		vgc_backend_reason(vgcpy_arena),
		vgc_arena_partitions(vgcpy_arena),
		profile ? "from the profile" : "green",
		stepped_aside ? "none" : raw ? "mem obj raw" : "mem obj",
		Py_GetVersion());
	if (stepped_aside)
		fprintf(f, "vgc-python: allocator %s asked for (PYTHONMALLOC or "
			"-X dev): VGC serves no domain\n", stepped_aside);
}

static void print_stats(void)
{
	struct vgc_heap_stats hs;
	struct vgc_stats st = { .size = sizeof(st) };

	fprintf(stderr, "vgc-python: calls alloc %llu free %llu realloc %llu "
		"foreign %llu\n", (unsigned long long)vgcpy_calls.alloc,
		(unsigned long long)vgcpy_calls.free,
		(unsigned long long)vgcpy_calls.realloc,
		(unsigned long long)vgcpy_calls.foreign);
	vgcpy_print_zones(stderr);
	vgcpy_print_profile(stderr);
	if (!vgc_heap_stats(vgcpy_arena, &hs)) {
		char line[512];

		vgc_heap_stats_format(&hs, line, sizeof(line));
		fprintf(stderr, "vgc-python: heap: %s\n", line);
	}
	if (!vgc_arena_stats(vgcpy_arena, &st))
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
		"usage: vgc-python [--vgc-info] [--vgc-stats] [--raw]\n"
		"                  [--vgc-no-profile] [--vgc-sample N] "
		"[--vgc-period MS]\n"
		"                  [--vgc-record PLAN] [--vgc-plan PLAN] "
		"[python3.11 arguments]\n");
	exit(2);
}

/* A whole decimal number in [lo, hi], or a usage error naming @what. */
static unsigned int number(const char *s, const char *what, unsigned int lo,
			   unsigned int hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = s ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "vgc-python: %s must be a number in [%u, %u], "
			"not \"%s\"\n", what, lo, hi, s ? s : "");
		exit(2);
	}
	return (unsigned int)v;
}

/* The option's argument, or a usage error. */
static const char *arg_of(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "vgc-python: %s needs an argument\n", argv[*i]);
		exit(2);
	}
	return argv[++*i];
}

int main(int argc, char **argv)
{
	int info = 0, raw = env_on("VGC_PYTHON_RAW"), i, rc;
	int profile = !getenv("VGC_PYTHON_PROFILE") ||
		      env_on("VGC_PYTHON_PROFILE");
	unsigned int sample = DEFAULT_SAMPLE, period = DEFAULT_PERIOD_MS;
	const char *record = NULL, *plan_path = NULL, *name;
	static struct vgcpy_plan plan;
	PyPreConfig pre;
	PyStatus status;

	vgcpy_count_calls = env_on("VGC_PYTHON_STATS");
	if (getenv("VGC_PYTHON_SAMPLE"))
		sample = number(getenv("VGC_PYTHON_SAMPLE"),
				"$VGC_PYTHON_SAMPLE", 1, 1U << 20);
	if (getenv("VGC_PYTHON_PERIOD"))
		period = number(getenv("VGC_PYTHON_PERIOD"),
				"$VGC_PYTHON_PERIOD", 1, 60000);
	/* Launcher options only at the front: "script.py --raw" is the script's. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vgc-info"))
			info = 1;
		else if (!strcmp(argv[i], "--vgc-stats"))
			vgcpy_count_calls = 1;
		else if (!strcmp(argv[i], "--raw"))
			raw = 1;
		else if (!strcmp(argv[i], "--vgc-no-profile"))
			profile = 0;
		else if (!strcmp(argv[i], "--vgc-sample"))
			sample = number(arg_of(argc, argv, &i), "--vgc-sample",
					1, 1U << 20);
		else if (!strcmp(argv[i], "--vgc-period"))
			period = number(arg_of(argc, argv, &i), "--vgc-period",
					1, 60000);
		else if (!strcmp(argv[i], "--vgc-record"))
			record = arg_of(argc, argv, &i);
		else if (!strcmp(argv[i], "--vgc-plan"))
			plan_path = arg_of(argc, argv, &i);
		else if (!strcmp(argv[i], "--vgc-help"))
			usage_exit();
		else
			break;
	}
	if (record && !profile) {
		fprintf(stderr, "vgc-python: --vgc-record needs the profile "
			"(not --vgc-no-profile)\n");
		return 2;
	}
	/* argv[0] stays: Python derives sys.executable from it. */
	memmove(argv + 1, argv + i, (argc - i + 1) * sizeof(*argv));
	argc -= i - 1;
	/* The interpreters the test suite starts run as this one does. */
	if (raw)
		setenv("VGC_PYTHON_RAW", "1", 1);
	if (!profile)
		setenv("VGC_PYTHON_PROFILE", "0", 1);

	rc = vgc_arena_open(NULL, &vgcpy_arena);
	if (rc) {
		fprintf(stderr, "vgc-python: vgc_arena_open: %s\n",
			strerror(-rc));
		return 1;
	}
	if (vgcpy_shim_init() || vgcpy_profile_init(profile ? sample : 0, period)) {
		fprintf(stderr, "vgc-python: no memory for the profile\n");
		return 1;
	}
	/*
	 * All of the plan is read and checked before it is applied, and
	 * applied before the interpreter allocates: a bad plan never leaves
	 * a half-configured interpreter behind.
	 */
	if (plan_path &&
	    (vgcpy_plan_load(plan_path, vgc_arena_partitions(vgcpy_arena),
			     &plan) ||
	     vgcpy_plan_apply(&plan, plan_path)))
		return 2;

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
		print_info(argc > 1 ? stderr : stdout, raw, profile);
		if (argc == 1)
			return 0;
	}
	if (!stepped_aside) {
		if (raw)
			vgcpy_install(&dom_raw);
		vgcpy_install(&dom_mem);
		vgcpy_install(&dom_obj);
	}
	/*
	 * The profile's windows are the library's checkpoints: its driver
	 * runs one a period (or sooner, when the pacer finds one due).
	 */
	if (profile && !stepped_aside) {
		struct vgc_driver_cfg dc = {
			.period_ms = period, .flags = VGC_DRIVER_F_QUIET,
		};

		rc = vgc_driver_start(vgcpy_arena, &dc);
		if (rc && rc != -EALREADY) {
			fprintf(stderr, "vgc-python: vgc_driver_start: %s\n",
				vgc_strerror(rc));
			return 1;
		}
	}

	rc = Py_BytesMain(argc, argv);
	if (record && vgcpy_plan_record(record) && !rc)
		rc = 1;
	if (vgcpy_count_calls)
		print_stats();
	/* No vgc_arena_close(): blocks freed after this are still ours. */
	return rc;
}
