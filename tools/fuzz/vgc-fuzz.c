// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: ABI-aware fuzzer of /dev/vgc.
 *
 * Each seed drives one worker process through a random sequence that mostly
 * creates valid arenas of random shapes and then mixes valid and invalid
 * commands (ioctl and io_uring passthrough), mmap/munmap/mprotect at random
 * offsets, touches of the mapped planes and data, forks, SIGKILLed children,
 * threads sharing one fd, checkpoints and thread (un)registration.
 *
 * Invariants checked:
 *  - every command fails only with an errno of its documented set, and the
 *    errno that vgc.h prescribes for a single injected fault (short size,
 *    non-zero reserved/pad, unknown flags, bad pointer, oversized tail);
 *  - committed data and metadata never fault, ctrl cannot become writable,
 *    data past the committed size raises SIGBUS;
 *  - after a worker and all its children exited, the module-wide counters
 *    (arenas, bytes in use) return to 0.
 *
 * A failure prints the seed, the last operations of the failing thread and
 * exits 1; `vgc-fuzz --seed N --ops M` replays it (interleavings of threads
 * and the timing of kills may differ between runs).
 *
 *   vgc-fuzz --seeds 1-20 --ops 2000 --time 120      bounded run
 *   vgc-fuzz --seed 7 --ops 5000 -v                  replay one seed
 *   vgc-fuzz --check-idle                            counters are 0
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <liburing.h>
#include <linux/vgc.h>

#define MAX_ARENAS	3
#define MAX_MAPS	16
#define MAX_OBJS	512
#define MAX_SLOTS	16
#define MAX_REGIONS	(VGC_NR_ZONES * VGC_MAX_PARTITIONS)
#define RING_LEN	48
#define LINE_LEN	160

/* ---- options and shared counters -------------------------------------- */

static const char *dev_path = VGC_DEVICE_PATH;
static uint64_t opt_ops = 2000;
static double opt_time;			/* seconds for the whole run, 0: none */
static int opt_verbose;
static bool opt_no_uring, opt_no_fork, opt_no_threads, opt_no_leak_check;
static double t_start;

struct counters {
	_Atomic uint64_t ops, ioctls, uring_cmds, mmaps, touches, forks, kills,
		threads, arenas, sigbus, failures;
};
static struct counters *cnt;		/* MAP_SHARED: children add to it */

static uint64_t cur_seed;
static uint64_t features;
static int ncpus;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool out_of_time(void)
{
	return opt_time > 0 && now() - t_start > opt_time;
}

/* ---- PRNG: splitmix64, one state per thread --------------------------- */

static __thread uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* ---- operation ring: the last operations of this thread --------------- */

struct ring_ent {
	uint64_t n;
	char line[LINE_LEN];
};

static __thread struct ring_ent oplog[RING_LEN];
static __thread uint64_t oplog_n;
static __thread const char *who = "main";
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void logop(const char *fmt, ...)
{
	struct ring_ent *e = &oplog[oplog_n % RING_LEN];
	va_list ap;

	e->n = oplog_n++;
	va_start(ap, fmt);
	vsnprintf(e->line, sizeof(e->line), fmt, ap);
	va_end(ap);
	if (opt_verbose > 1)
		fprintf(stderr, "[%s %" PRIu64 "] %s\n", who, e->n, e->line);
}

/* Appends the result to the current ring line. */
static void logres(long ret, int err)
{
	struct ring_ent *e = &oplog[(oplog_n - 1) % RING_LEN];
	size_t l = strlen(e->line);

	if (ret < 0)
		snprintf(e->line + l, sizeof(e->line) - l, " = -%s", strerrorname_np(err) ?: "?");
	else
		snprintf(e->line + l, sizeof(e->line) - l, " = %ld", ret);
	if (opt_verbose > 1)
		fprintf(stderr, "[%s]   -> %s\n", who, e->line + l);
}

static void dump_ring(void)
{
	uint64_t first = oplog_n > RING_LEN ? oplog_n - RING_LEN : 0;

	fprintf(stderr, "vgc-fuzz: last %" PRIu64 " operations of %s (pid %d tid %ld):\n",
		oplog_n - first, who, getpid(), syscall(SYS_gettid));
	for (uint64_t i = first; i < oplog_n; i++)
		fprintf(stderr, "  #%-6" PRIu64 " %s\n", oplog[i % RING_LEN].n,
			oplog[i % RING_LEN].line);
}

static __attribute__((format(printf, 1, 2), noreturn)) void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	cnt->failures++;
	fprintf(stderr, "vgc-fuzz: FAIL seed %" PRIu64 " (%s): ", cur_seed, who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_ring();
	fprintf(stderr, "vgc-fuzz: replay: vgc-fuzz --seed %" PRIu64 " --ops %" PRIu64 " -vv\n",
		cur_seed, opt_ops);
	fflush(stderr);
	_exit(3);
}

/* ---- fault-tolerant touches ------------------------------------------- */

static __thread sigjmp_buf touch_jb;
static __thread volatile int touch_armed;
static __thread volatile int touch_sig;

static void on_fault(int sig, siginfo_t *si, void *uc)
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
static int touch(volatile uint8_t *p, bool write, uint8_t val)
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

/* ---- arenas ---------------------------------------------------------------- */

struct arena {
	int fd;				/* -1: closed (mappings may live on) */
	bool live;			/* slot in use */
	uint32_t nr_part;
	struct vgc_layout lay;
	struct vgc_region reg[MAX_REGIONS];
	const volatile uint8_t *ctrl;	/* RO mapping of ctrl */
	volatile uint8_t *rw;		/* mapping of [threads_offset, map_size) */
	size_t rw_len;
	uint64_t objs[MAX_OBJS];	/* indices this process made valid */
	int nobjs;
	uint32_t slots[MAX_SLOTS];	/* registered thread slots (main thread) */
	int nslots;
};

struct map {
	bool live;
	int arena;
	uint8_t *addr;
	size_t len;
	uint64_t off;
	int prot;
};

static struct arena arenas[MAX_ARENAS];
static struct map maps[MAX_MAPS];
static __thread struct io_uring uring;
static __thread bool have_uring;
static long page_size;

/* ---- errno sets ----------------------------------------------------------- */

enum {
	A_NOARENA = 1 << 0,	/* ENXIO: no arena on this fd */
	A_NOMEM = 1 << 1,	/* ENOMEM, ENOSPC */
	A_AGAIN = 1 << 2,	/* EAGAIN, EINTR, EBUSY */
	A_INVAL = 1 << 3,
	A_FAULT = 1 << 4,
	A_2BIG = 1 << 5,
	A_BATCH = 1 << 6,	/* EALREADY, EPERM */
	A_PERM = 1 << 7,	/* EPERM, EACCES */
	A_NOTTY = 1 << 8,
	A_EXIST = 1 << 9,	/* EBUSY, EEXIST: second arena on one fd */
	A_NOTSUP = 1 << 10,	/* EOPNOTSUPP */
	A_CANCEL = 1 << 11,	/* ECANCELED */
	A_OK = 1 << 12,		/* success allowed although a fault was injected */
};

static bool errno_allowed(int err, unsigned int set)
{
	switch (err) {
	case ENXIO: return set & A_NOARENA;
	case ENOMEM: case ENOSPC: return set & A_NOMEM;
	case EAGAIN: case EINTR: return set & A_AGAIN;
	case EBUSY: return set & (A_AGAIN | A_EXIST);
	case EEXIST: return set & A_EXIST;
	case EINVAL: return set & A_INVAL;
	case EFAULT: return set & A_FAULT;
	case E2BIG: return set & A_2BIG;
	case EALREADY: return set & A_BATCH;
	case EPERM: return set & (A_BATCH | A_PERM);
	case EACCES: return set & A_PERM;
	case ENOTTY: return set & A_NOTTY;
	case EOPNOTSUPP: return set & A_NOTSUP;
	case ECANCELED: return set & A_CANCEL;
	}
	return false;
}

/* ---- command table -------------------------------------------------------- */

struct cmd {
	const char *name;
	unsigned long nr;
	size_t size;			/* sizeof() of the struct */
	size_t ver0;
	size_t reserved_off;
	size_t reserved_len;
	int flags_off;			/* -1: no flags member */
	uint32_t flags_valid;
	int pad_off[2];			/* -1: none */
	int pad_len[2];
	unsigned int base;		/* errnos any call may see */
};

#define CMD(n, ioc, st, v0, fl_off, fl_valid, p0, l0, p1, l1, b) \
	{ n, ioc, sizeof(struct st), v0, offsetof(struct st, reserved), \
	  sizeof(((struct st *)0)->reserved), fl_off, fl_valid, { p0, p1 }, { l0, l1 }, b }

enum { C_VERSION, C_CREATE, C_LAYOUT, C_GROW, C_REG, C_UNREG, C_CKPT, C_BATCH, C_STATS, NR_CMDS };

static const struct cmd cmds[NR_CMDS] = {
	[C_VERSION] = CMD("GET_VERSION", VGC_IOC_GET_VERSION, vgc_version,
			  VGC_VERSION_SIZE_VER0, -1, 0, -1, 0, -1, 0, 0),
	[C_CREATE] = CMD("CREATE_ARENA", VGC_IOC_CREATE_ARENA, vgc_arena_params,
			 VGC_ARENA_PARAMS_SIZE_VER0, offsetof(struct vgc_arena_params, flags),
			 VGC_ARENA_F_ALL, offsetof(struct vgc_arena_params, pad0), 2,
			 offsetof(struct vgc_arena_params, pad1), 4, A_NOMEM | A_EXIST | A_2BIG),
	[C_LAYOUT] = CMD("GET_LAYOUT", VGC_IOC_GET_LAYOUT, vgc_layout,
			 VGC_LAYOUT_SIZE_VER0, -1, 0, -1, 0, -1, 0, A_NOARENA),
	[C_GROW] = CMD("GROW", VGC_IOC_GROW, vgc_grow, VGC_GROW_SIZE_VER0, -1, 0,
		       offsetof(struct vgc_grow, pad), 4, -1, 0, A_NOARENA | A_NOMEM | A_2BIG),
	[C_REG] = CMD("THREAD_REGISTER", VGC_IOC_THREAD_REGISTER, vgc_thread_reg,
		      VGC_THREAD_REG_SIZE_VER0, offsetof(struct vgc_thread_reg, flags), 0,
		      -1, 0, -1, 0, A_NOARENA | A_NOMEM | A_EXIST | A_AGAIN),
	[C_UNREG] = CMD("THREAD_UNREGISTER", VGC_IOC_THREAD_UNREGISTER, vgc_thread_reg,
			VGC_THREAD_REG_SIZE_VER0, offsetof(struct vgc_thread_reg, flags), 0,
			-1, 0, -1, 0, A_NOARENA | A_PERM),
	[C_CKPT] = CMD("CHECKPOINT", VGC_IOC_CHECKPOINT, vgc_checkpoint,
		       VGC_CHECKPOINT_SIZE_VER0, offsetof(struct vgc_checkpoint, flags),
		       VGC_CKPT_F_FLAGS_ALL, -1, 0, -1, 0, A_NOARENA | A_AGAIN | A_NOMEM),
	[C_BATCH] = CMD("BATCH", VGC_IOC_BATCH, vgc_batch, VGC_BATCH_SIZE_VER0,
			offsetof(struct vgc_batch, flags), 0, -1, 0, -1, 0,
			A_NOARENA | A_BATCH | A_NOMEM),
	[C_STATS] = CMD("GET_STATS", VGC_IOC_GET_STATS, vgc_stats, VGC_STATS_SIZE_VER0,
			-1, 0, -1, 0, -1, 0, A_NOARENA),
};

/*
 * Argument buffer: the struct sits at the end of a page that is followed by
 * a PROT_NONE page, so a size field larger than the buffer makes the kernel
 * read into the guard page (-EFAULT), and pointer faults are easy to build.
 */
static __thread uint8_t *argpage;	/* 2 pages: rw | none */

static uint8_t *argbuf(size_t len)
{
	if (!argpage) {
		argpage = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (argpage == MAP_FAILED)
			fail("mmap of the argument page: %s", strerror(errno));
		mprotect(argpage + page_size, page_size, PROT_NONE);
	}
	memset(argpage, 0, page_size);
	return argpage + page_size - len;
}

/* Single-fault mutations of an argument struct. */
enum mut {
	M_NONE,
	M_SHORT,	/* size < VER0: EINVAL */
	M_TAIL,		/* size > sizeof, non-zero tail: E2BIG */
	M_LONGZERO,	/* size > sizeof, zero tail: as valid (or E2BIG) */
	M_RESERVED,	/* reserved non-zero: EINVAL */
	M_PAD,		/* pad non-zero: EINVAL */
	M_FLAGS,	/* unknown flag: EINVAL */
	M_NULLPTR,	/* arg NULL: EFAULT */
	M_KPTR,		/* kernel address: EFAULT */
	M_GUARD,	/* struct straddles into PROT_NONE: EFAULT */
	NR_MUT,
};

static const char *const mut_name[NR_MUT] = {
	"", "short-size", "nonzero-tail", "zero-tail", "reserved", "pad", "flags",
	"null-ptr", "kernel-ptr", "guard-page",
};

struct call {
	int cmd;
	enum mut mut;
	uint8_t *arg;			/* what is passed */
	uint8_t *st;			/* where the struct lives */
	unsigned int allowed;		/* errnos beyond the command's base */
	bool must_fail;
};

/*
 * Prepares a call of cmd: the caller fills *st (a zeroed struct of
 * cmds[cmd].size bytes, size set) and may then apply a mutation.
 */
static void call_init(struct call *c, int cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	/* room for an oversized tail before the guard page */
	c->st = argbuf(cmds[cmd].size + 64);
	c->arg = c->st;
	*(uint32_t *)c->st = cmds[cmd].size;
}

static void call_mutate(struct call *c, enum mut m)
{
	const struct cmd *d = &cmds[c->cmd];
	uint32_t *size = (uint32_t *)c->st;

	switch (m) {
	case M_FLAGS:
		if (d->flags_off < 0)
			m = M_RESERVED;
		break;
	case M_PAD:
		if (d->pad_off[0] < 0)
			m = M_RESERVED;
		break;
	default:
		break;
	}
	c->mut = m;
	switch (m) {
	case M_NONE:
		break;
	case M_SHORT:
		*size = below(d->ver0);
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	case M_TAIL:
		*size = d->size + 1 + below(63);
		c->st[*size - 1 - below(*size - d->size)] = 1 + below(255);
		c->allowed |= A_2BIG;
		c->must_fail = true;
		break;
	case M_LONGZERO:
		*size = d->size + 1 + below(64);
		c->allowed |= A_2BIG | A_OK;
		break;
	case M_RESERVED: {
		size_t k = below(d->reserved_len);

		c->st[d->reserved_off + k] = 1 + below(255);
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	}
	case M_PAD: {
		int i = d->pad_off[1] >= 0 ? below(2) : 0;

		c->st[d->pad_off[i] + below(d->pad_len[i])] = 1 + below(255);
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	}
	case M_FLAGS: {
		uint32_t bad = ~d->flags_valid;
		uint32_t bit;

		do
			bit = 1U << below(32);
		while (!(bit & bad));
		*(uint32_t *)(c->st + d->flags_off) |= bit;
		c->allowed |= A_INVAL;
		c->must_fail = true;
		break;
	}
	case M_NULLPTR:
		c->arg = NULL;
		c->allowed |= A_FAULT;
		c->must_fail = true;
		break;
	case M_KPTR:
		c->arg = (uint8_t *)(0xffff888000000000ULL + below(1ULL << 30));
		c->allowed |= A_FAULT;
		c->must_fail = true;
		break;
	case M_GUARD: {
		/* move the struct so that its last bytes are in the guard page */
		size_t cut = 1 + below(d->size - 1);
		uint8_t *p = argpage + page_size - (d->size - cut);

		memmove(p, c->st, d->size - cut);
		c->arg = p;
		c->allowed |= A_FAULT;
		c->must_fail = true;
		break;
	}
	default:
		break;
	}
}

/* Runs a call through ioctl or io_uring; returns 0 or -errno. */
static int uring_cmd(int fd, unsigned long op, uint64_t arg, uint32_t flags,
		     uint32_t count, struct io_uring_cqe *out);

static int call_run(int fd, struct call *c, bool via_uring)
{
	const struct cmd *d = &cmds[c->cmd];
	int ret, err;
	unsigned int allowed = d->base | c->allowed;

	if (c->mut == M_NONE)
		allowed |= A_OK;
	logop("%s %s fd=%d%s%s", via_uring ? "uring" : "ioctl", d->name, fd,
	      c->mut ? " mut=" : "", mut_name[c->mut]);
	if (via_uring) {
		ret = uring_cmd(fd, d->nr, (uint64_t)(uintptr_t)c->arg, 0, 0, NULL);
		err = -ret;
		cnt->uring_cmds++;
		allowed |= A_CANCEL;
		/* register/unregister from io-wq workers is not supported */
		if (c->cmd == C_REG || c->cmd == C_UNREG)
			allowed |= A_NOTSUP;
	} else {
		ret = ioctl(fd, d->nr, c->arg);
		err = ret < 0 ? errno : 0;
		if (ret < 0)
			ret = -err;
		cnt->ioctls++;
	}
	logres(ret, err);
	if (ret > 0)
		fail("%s returned %d, expected 0 or -errno", d->name, ret);
	if (ret == 0 && c->must_fail)
		fail("%s with %s succeeded", d->name, mut_name[c->mut]);
	if (ret < 0 && !errno_allowed(err, allowed))
		fail("%s%s%s: errno %s is not in its documented set", d->name,
		     c->mut ? " with " : "", mut_name[c->mut], strerrorname_np(err));
	return ret;
}

/* ---- io_uring passthrough ---------------------------------------------------- */

static int uring_cmd(int fd, unsigned long op, uint64_t arg, uint32_t flags,
		     uint32_t count, struct io_uring_cqe *out)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&uring);
	struct io_uring_cqe *cqe;
	struct vgc_uring_cmd pl = { .arg = arg, .flags = flags, .count = count };
	int ret;

	if (!sqe)
		fail("io_uring_get_sqe: ring full");
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &pl, sizeof(pl));
	if (chance(10))
		sqe->flags |= IOSQE_ASYNC;
	ret = io_uring_submit(&uring);
	if (ret != 1)
		fail("io_uring_submit: %d", ret);
	do
		ret = io_uring_wait_cqe(&uring, &cqe);
	while (ret == -EINTR);
	if (ret)
		fail("io_uring_wait_cqe: %d", ret);
	ret = cqe->res;
	if (out)
		*out = *cqe;
	io_uring_cqe_seen(&uring, cqe);
	return ret;
}

/* ---- helpers on arenas --------------------------------------------------------- */

static int vgc_open(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open %s: %s", dev_path, strerror(errno));
	return fd;
}

static void version(int fd, struct vgc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	if (ioctl(fd, VGC_IOC_GET_VERSION, v))
		fail("GET_VERSION: %s", strerror(errno));
}

static int online_cpu(void)
{
	return below(ncpus);
}

/* A random valid arena shape; big shapes are rare and may hit the limit. */
static void random_params(struct vgc_arena_params *p)
{
	bool big = chance(3);
	int nz = 0;

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->flags = chance(30) ? VGC_ARENA_F_PROFILE : 0;
	p->nr_partitions = chance(60) ? 1 + below(2) : 1 + below(big ? 64 : 8);
	if (chance(50)) {
		uint16_t a = below(1001), b = below(1001 - a);

		p->gen_permille[0] = a;
		p->gen_permille[1] = b;
		p->gen_permille[2] = 1000 - a - b;
	}
	for (int z = 0; z < VGC_NR_ZONES; z++) {
		if (chance(25))
			continue;
		p->zone_granules[z] = chance(80) ? below(3 * VGC_SPAN_GRANULES) + 1 :
				      below((big ? 1024 : 16) * (uint64_t)VGC_SPAN_GRANULES) + 1;
		p->zone_reserve_granules[z] = chance(50) ? 0 : below(8) * VGC_SPAN_GRANULES;
		nz++;
	}
	if (!nz)
		p->zone_granules[below(3)] = VGC_SPAN_GRANULES;
	p->blue_every = below(9);
	p->gen1_every = below(9);
	p->gen2_every = below(33);
	for (uint32_t i = 0; i < p->nr_partitions; i++)
		p->cpus[i] = online_cpu();
}

/* Semantic faults of arena params: all EINVAL. */
static const char *bad_params(struct vgc_arena_params *p)
{
	switch (below(8)) {
	case 0:
		p->nr_partitions = 0;
		return "nr_partitions=0";
	case 1:
		p->nr_partitions = VGC_MAX_PARTITIONS + 1 + below(1000);
		return "nr_partitions>max";
	case 2:
		p->zone_granules[0] = p->zone_granules[1] = p->zone_granules[2] = 0;
		return "no zone";
	case 3:
		p->gen_permille[0] = 1 + below(1000);
		p->gen_permille[1] = 1000 - p->gen_permille[0] + 1 + below(100);
		p->gen_permille[2] = 0;
		return "permille sum";
	case 4:
		p->cpus[below(p->nr_partitions)] = 4096 + below(1 << 20);
		return "cpu>=nr_cpu_ids";
	case 5:
		p->zone_granules[below(3)] = ~0ULL - below(1 << 20);
		return "huge zone";
	case 6:
		p->zone_reserve_granules[below(3)] = ~0ULL >> below(8);
		return "huge reserve";
	default:
		p->gen_permille[0] = 1001;
		p->gen_permille[1] = p->gen_permille[2] = 0;
		return "permille>1000";
	}
}

static void arena_unmap_base(struct arena *a)
{
	if (a->ctrl)
		munmap((void *)a->ctrl, a->lay.ctrl_size);
	if (a->rw)
		munmap((void *)a->rw, a->rw_len);
	a->ctrl = NULL;
	a->rw = NULL;
}

static bool layout_of(int fd, struct vgc_layout *lay, struct vgc_region *reg)
{
	memset(lay, 0, sizeof(*lay));
	lay->size = sizeof(*lay);
	lay->regions_cap = MAX_REGIONS;
	lay->regions_ptr = (uint64_t)(uintptr_t)reg;
	return ioctl(fd, VGC_IOC_GET_LAYOUT, lay) == 0;
}

static void check_layout(const struct vgc_layout *l, const struct vgc_region *reg)
{
	uint64_t pg = page_size - 1;

	if ((l->ctrl_offset | l->ctrl_size | l->threads_offset | l->spans_offset |
	     l->plane_size | l->data_offset | l->map_size) & pg)
		fail("layout offsets not page aligned");
	if (l->ctrl_offset != 0 || l->threads_offset < l->ctrl_size ||
	    l->data_offset + l->data_size > l->map_size)
		fail("layout order or size wrong: ctrl %#llx+%#llx threads %#llx data %#llx+%#llx map %#llx",
		     (unsigned long long)l->ctrl_offset, (unsigned long long)l->ctrl_size,
		     (unsigned long long)l->threads_offset, (unsigned long long)l->data_offset,
		     (unsigned long long)l->data_size, (unsigned long long)l->map_size);
	for (int p = 0; p < VGC_NR_PLANES; p++)
		if (l->plane_offset[p] & pg || l->plane_offset[p] + l->plane_size > l->data_offset)
			fail("plane %d misplaced", p);
	if (l->plane_size * 8 * VGC_GRANULE_SIZE < l->total_granules * VGC_GRANULE_SIZE)
		fail("plane_size %llu too small for %llu granules",
		     (unsigned long long)l->plane_size, (unsigned long long)l->total_granules);
	if (l->spans_size < (l->total_granules >> 12) * 2)
		fail("span table of %llu bytes for %llu granules",
		     (unsigned long long)l->spans_size, (unsigned long long)l->total_granules);
	if (l->nr_regions != VGC_NR_ZONES * l->nr_partitions)
		fail("nr_regions %u != 3 * %u", l->nr_regions, l->nr_partitions);
	for (uint32_t i = 0; i < l->nr_regions && i < MAX_REGIONS; i++) {
		const struct vgc_region *r = &reg[i];

		if (r->committed_granules > r->capacity_granules ||
		    r->first_granule + r->capacity_granules > l->total_granules ||
		    r->offset != l->data_offset + r->first_granule * VGC_GRANULE_SIZE)
			fail("region %u inconsistent", i);
	}
}

static void arena_map_base(struct arena *a)
{
	void *p;

	p = mmap(NULL, a->lay.ctrl_size, PROT_READ, MAP_SHARED, a->fd, 0);
	if (p == MAP_FAILED)
		fail("mmap ctrl: %s", strerror(errno));
	a->ctrl = p;
	a->rw_len = a->lay.map_size - a->lay.threads_offset;
	p = mmap(NULL, a->rw_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd,
		 a->lay.threads_offset);
	if (p == MAP_FAILED)
		fail("mmap rw part (%zu bytes): %s", a->rw_len, strerror(errno));
	a->rw = p;
	cnt->mmaps += 2;
}

static void arena_drop(int i)
{
	struct arena *a = &arenas[i];

	arena_unmap_base(a);
	for (int m = 0; m < MAX_MAPS; m++)
		if (maps[m].live && maps[m].arena == i) {
			munmap(maps[m].addr, maps[m].len);
			maps[m].live = false;
		}
	if (a->fd >= 0)
		close(a->fd);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

static struct arena *pick_arena(bool need_fd)
{
	int start = below(MAX_ARENAS);

	for (int k = 0; k < MAX_ARENAS; k++) {
		struct arena *a = &arenas[(start + k) % MAX_ARENAS];

		if (a->live && (!need_fd || a->fd >= 0))
			return a;
	}
	return NULL;
}

/* ---- operations ------------------------------------------------------------- */

static void op_create(void)
{
	int slot = -1;
	struct call c;
	struct arena *a;
	int fd, ret;
	const char *why = NULL;

	for (int i = 0; i < MAX_ARENAS; i++)
		if (!arenas[i].live) {
			slot = i;
			break;
		}
	if (slot < 0) {
		slot = below(MAX_ARENAS);
		arena_drop(slot);
	}
	a = &arenas[slot];
	fd = vgc_open();
	call_init(&c, C_CREATE);
	random_params((struct vgc_arena_params *)c.st);
	if (chance(15)) {
		why = bad_params((struct vgc_arena_params *)c.st);
		c.allowed |= A_INVAL;
		c.must_fail = true;
	} else if (chance(20)) {
		call_mutate(&c, 1 + below(NR_MUT - 1));
	}
	if (why)
		logop("create: %s", why);
	ret = call_run(fd, &c, false);
	if (ret) {
		close(fd);
		return;
	}
	cnt->arenas++;
	a->live = true;
	a->fd = fd;
	a->nr_part = ((struct vgc_arena_params *)c.st)->nr_partitions;
	if (chance(5)) {
		/* a second arena on the same fd */
		call_init(&c, C_CREATE);
		random_params((struct vgc_arena_params *)c.st);
		c.allowed |= A_EXIST | A_INVAL;
		c.must_fail = true;
		call_run(fd, &c, false);
	}
	if (!layout_of(fd, &a->lay, a->reg))
		fail("GET_LAYOUT after create: %s", strerror(errno));
	if (a->lay.nr_partitions != a->nr_part)
		fail("layout nr_partitions %u, created %u", a->lay.nr_partitions, a->nr_part);
	check_layout(&a->lay, a->reg);
	logop("create ok: map_size %llu total_granules %llu",
	      (unsigned long long)a->lay.map_size, (unsigned long long)a->lay.total_granules);
	arena_map_base(a);
}

static void op_ioctl_random(struct arena *a, bool via_uring)
{
	struct call c;
	int cmd = below(NR_CMDS);
	int fd = a ? a->fd : vgc_open();

	if (cmd == C_CREATE)
		cmd = C_VERSION;
	call_init(&c, cmd);
	switch (cmd) {
	case C_LAYOUT: {
		struct vgc_layout *l = (struct vgc_layout *)c.st;
		static __thread struct vgc_region regs[MAX_REGIONS + 1];

		l->regions_cap = below(MAX_REGIONS + 2);
		l->regions_ptr = (uint64_t)(uintptr_t)regs;
		if (chance(10)) {
			l->regions_ptr = chance(50) ? 8 : 0xffff888000001000ULL;
			if (l->regions_cap) {
				c.allowed |= A_FAULT;
				/* cap 0 or no regions: pointer never read */
				c.allowed |= A_OK;
			}
		}
		break;
	}
	case C_GROW: {
		struct vgc_grow *g = (struct vgc_grow *)c.st;

		g->zone = chance(90) ? below(3) : below(1000);
		g->partition = a && chance(90) ? below(a->nr_part) : below(100);
		g->granules = chance(70) ? below(3) * VGC_SPAN_GRANULES :
			      chance(50) ? below(VGC_SPAN_GRANULES * 4) : rnd();
		c.allowed |= A_INVAL | A_2BIG;
		break;
	}
	case C_REG: {
		struct vgc_thread_reg *r = (struct vgc_thread_reg *)c.st;

		r->partition = a && chance(90) ? below(a->nr_part) : below(100);
		c.allowed |= A_INVAL;
		break;
	}
	case C_UNREG: {
		struct vgc_thread_reg *r = (struct vgc_thread_reg *)c.st;

		r->slot = chance(50) ? below(8) : rnd() >> below(64);
		c.allowed |= A_INVAL | A_PERM;
		break;
	}
	case C_CKPT: {
		struct vgc_checkpoint *k = (struct vgc_checkpoint *)c.st;

		k->flags = below(2);
		k->partition_mask = chance(50) ? 0 : rnd();
		c.allowed |= A_INVAL;
		break;
	}
	case C_BATCH: {
		struct vgc_batch *b = (struct vgc_batch *)c.st;
		static __thread uint64_t idx[64];
		int n = below(64);

		b->op = chance(90) ? 1 + below(7) : below(1 << 16);
		b->count = chance(95) ? (uint32_t)n : VGC_BATCH_MAX + (uint32_t)below(100);
		for (int i = 0; i < n; i++)
			idx[i] = a && a->nobjs && chance(70) ? a->objs[below(a->nobjs)] :
				 chance(50) ? below(1 << 20) : rnd();
		b->indices_ptr = chance(95) ? (uint64_t)(uintptr_t)idx : rnd();
		c.allowed |= A_INVAL | A_2BIG | A_FAULT | A_BATCH;
		break;
	}
	default:
		break;
	}
	if (chance(30))
		call_mutate(&c, 1 + below(NR_MUT - 1));
	if (!a)
		c.allowed |= A_NOARENA;
	via_uring = via_uring && have_uring;
	if (call_run(fd, &c, via_uring) == 0 && cmd == C_REG && !via_uring &&
	    c.mut == M_NONE && a) {
		struct vgc_thread_reg *r = (struct vgc_thread_reg *)c.st;

		if (r->slot >= VGC_MAX_THREADS)
			fail("THREAD_REGISTER gave slot %u", r->slot);
		if (a->nslots < MAX_SLOTS)
			a->slots[a->nslots++] = r->slot;
	}
	if (!a)
		close(fd);
}

/* Valid GROW of a random region; refreshes the layout. */
static void op_grow(struct arena *a)
{
	struct call c;
	struct vgc_grow *g;
	uint32_t z = below(3), p = below(a->nr_part);
	const struct vgc_region *r = &a->reg[z * a->nr_part + p];
	uint64_t room, before;

	/* children and threads may have grown it meanwhile */
	if (!layout_of(a->fd, &a->lay, a->reg))
		fail("GET_LAYOUT before GROW: %s", strerror(errno));
	room = r->capacity_granules - r->committed_granules;
	before = r->committed_granules;
	call_init(&c, C_GROW);
	g = (struct vgc_grow *)c.st;
	g->zone = z;
	g->partition = p;
	g->granules = (1 + below(2)) * VGC_SPAN_GRANULES;
	if (g->granules > room)
		c.allowed |= A_INVAL | A_NOMEM | A_2BIG;
	if (call_run(a->fd, &c, have_uring && chance(20)))
		return;
	if (g->committed_granules != before + g->granules)
		fail("GROW: committed %llu, was %llu + %llu",
		     (unsigned long long)g->committed_granules,
		     (unsigned long long)before, (unsigned long long)g->granules);
	if (!layout_of(a->fd, &a->lay, a->reg))
		fail("GET_LAYOUT after GROW: %s", strerror(errno));
	check_layout(&a->lay, a->reg);
}

/* mmap at random offsets, lengths, prots and flags. */
static void op_mmap(struct arena *a)
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

static void op_munmap(void)
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

static bool offset_committed(struct arena *a, uint64_t off);

/*
 * mremap (shrink, move; growth is refused: VM_DONTEXPAND) and
 * MADV_DONTNEED, after which a committed page must read back what was
 * written: the mapping is shared, the page is the arena's.
 */
static void op_remap(void)
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
static bool offset_committed(struct arena *a, uint64_t off)
{
	if (off < a->lay.data_offset)
		return true;
	for (uint32_t i = 0; i < a->lay.nr_regions && i < MAX_REGIONS; i++) {
		const struct vgc_region *r = &a->reg[i];
		uint64_t s = r->offset, e = s + r->committed_granules * VGC_GRANULE_SIZE;

		if (off >= s && off < r->offset + r->capacity_granules * VGC_GRANULE_SIZE)
			return off < e;
	}
	return false;
}

static void op_touch(struct arena *a, bool in_thread)
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

/* Allocate an object the way libvgcu does: class in the span table, VALID bit. */
static void op_alloc(struct arena *a)
{
	uint32_t ri = below(a->lay.nr_regions);
	const struct vgc_region *r = &a->reg[ri];
	uint64_t spans = r->committed_granules / VGC_SPAN_GRANULES, span, g, idx;
	volatile uint16_t *st;
	_Atomic uint64_t *valid;
	uint16_t cls;

	if (!spans || a->nobjs >= MAX_OBJS || !a->rw)
		return;
	span = (r->first_granule >> 12) + below(spans);
	st = (volatile uint16_t *)(a->rw + a->lay.spans_offset - a->lay.threads_offset);
	cls = st[span];
	if (cls == VGC_SPAN_FREE || cls == VGC_SPAN_CONT || cls > VGC_SPAN_GRANULES) {
		cls = 1 << below(8);
		st[span] = cls;
	}
	g = below(VGC_SPAN_GRANULES / cls) * cls;
	idx = (span << 12) + g;
	valid = (_Atomic uint64_t *)(a->rw + a->lay.plane_offset[VGC_PLANE_VALID] -
				     a->lay.threads_offset);
	logop("alloc idx %llu class %u", (unsigned long long)idx, cls);
	atomic_fetch_or(&valid[idx >> 6], 1ULL << (idx & 63));
	a->objs[a->nobjs++] = idx;
}

/* Requests through the planes: release, pin, touch bits. */
static void op_plane_req(struct arena *a)
{
	static const int planes[] = { VGC_PLANE_ACCESS, VGC_PLANE_MUTATE, VGC_PLANE_RELEASE,
				      VGC_PLANE_PIN, VGC_PLANE_KEEP, VGC_PLANE_PROMOTE,
				      VGC_PLANE_DEMOTE };
	int pl = planes[below(7)];
	uint64_t idx;
	_Atomic uint64_t *w;

	if (!a->nobjs || !a->rw)
		return;
	idx = a->objs[below(a->nobjs)];
	w = (_Atomic uint64_t *)(a->rw + a->lay.plane_offset[pl] - a->lay.threads_offset);
	logop("plane %d set idx %llu", pl, (unsigned long long)idx);
	atomic_fetch_or(&w[idx >> 6], 1ULL << (idx & 63));
}

/* Valid batch of known objects, via ioctl or one of the uring forms. */
static void op_batch(struct arena *a)
{
	static __thread uint64_t idx[128];
	int n = 1 + below(a->nobjs < 128 ? a->nobjs : 128);
	uint32_t op = 1 + below(7);
	struct call c;
	struct vgc_batch *b;
	int ret, form = have_uring ? below(3) : 0;

	if (!a->nobjs)
		return;
	for (int i = 0; i < n; i++)
		idx[i] = a->objs[below(a->nobjs)];
	if (form == 1) {
		logop("uring OBJ op %u idx %llu", op, (unsigned long long)idx[0]);
		ret = uring_cmd(a->fd, VGC_URING_OBJ, idx[0], op, 0, NULL);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret && !errno_allowed(-ret, A_INVAL | A_BATCH | A_NOMEM | A_CANCEL))
			fail("URING_OBJ: errno %s", strerrorname_np(-ret));
		return;
	}
	if (form == 2) {
		logop("uring BATCH op %u count %d", op, n);
		ret = uring_cmd(a->fd, VGC_URING_BATCH, (uint64_t)(uintptr_t)idx, op, n, NULL);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret && !errno_allowed(-ret, A_INVAL | A_BATCH | A_NOMEM | A_CANCEL))
			fail("URING_BATCH: errno %s", strerrorname_np(-ret));
		return;
	}
	call_init(&c, C_BATCH);
	b = (struct vgc_batch *)c.st;
	b->op = op;
	b->count = n;
	b->indices_ptr = (uint64_t)(uintptr_t)idx;
	c.allowed |= A_INVAL;
	ret = call_run(a->fd, &c, false);
	if (b->done > b->count)
		fail("BATCH done %u > count %u", b->done, b->count);
	if (!ret && b->error == 0 && b->done != b->count)
		fail("BATCH returned 0 with done %u of %u", b->done, b->count);
	if (b->error && !errno_allowed(-b->error > 0 ? -b->error : b->error,
				       A_INVAL | A_BATCH))
		fail("BATCH error field %d not in the documented set", b->error);
}

static void op_checkpoint(struct arena *a)
{
	struct call c;
	struct vgc_checkpoint *k;
	int ret, form = have_uring ? below(3) : 0;

	if (form == 2) {
		struct io_uring_cqe cqe;

		logop("uring CHECKPOINT");
		ret = uring_cmd(a->fd, VGC_URING_CHECKPOINT, chance(70) ? 0 : rnd(),
				below(2), 0, &cqe);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret && !errno_allowed(-ret, A_AGAIN | A_NOMEM | A_CANCEL | A_INVAL))
			fail("URING_CHECKPOINT: errno %s", strerrorname_np(-ret));
		return;
	}
	call_init(&c, C_CKPT);
	k = (struct vgc_checkpoint *)c.st;
	k->flags = below(2);
	if (chance(30))
		k->partition_mask = a->nr_part >= 64 ? ~0ULL : (1ULL << a->nr_part) - 1;
	ret = call_run(a->fd, &c, form == 1);
	if (ret == -EAGAIN && form == 0 && k->blocker_slot >= VGC_MAX_THREADS)
		fail("CHECKPOINT -EAGAIN with blocker_slot %u", k->blocker_slot);
}

/* Register a thread, announce quiescent states through its slot, unregister. */
static void op_thread_slot(struct arena *a)
{
	struct call c;
	struct vgc_thread_reg *r;

	if (a->nslots && chance(50)) {
		int i = below(a->nslots);

		call_init(&c, C_UNREG);
		r = (struct vgc_thread_reg *)c.st;
		r->slot = a->slots[i];
		/* a thread of this process may have dropped it already */
		c.allowed |= A_INVAL;
		call_run(a->fd, &c, false);
		a->slots[i] = a->slots[--a->nslots];
		return;
	}
	if (a->nslots && chance(70) && a->rw) {
		uint32_t s = a->slots[below(a->nslots)];
		volatile struct vgc_thread_slot *sl = (volatile struct vgc_thread_slot *)
			(a->rw + s * sizeof(struct vgc_thread_slot));
		const volatile struct vgc_ctrl *ctrl = (const volatile struct vgc_ctrl *)a->ctrl;

		if ((s + 1) * sizeof(*sl) > a->lay.threads_size)
			fail("slot %u beyond the threads region", s);
		logop("slot %u: quiescent (gp %llu)%s", s, (unsigned long long)ctrl->gp_seq,
		      chance(20) ? " offline" : "");
		__atomic_store_n(&sl->qs_seq, ctrl->gp_seq, __ATOMIC_RELEASE);
		sl->online = chance(80);
		return;
	}
	if (a->nslots >= MAX_SLOTS)
		return;
	call_init(&c, C_REG);
	r = (struct vgc_thread_reg *)c.st;
	r->partition = below(a->nr_part);
	if (call_run(a->fd, &c, false) == 0) {
		if (r->slot >= VGC_MAX_THREADS)
			fail("THREAD_REGISTER gave slot %u", r->slot);
		a->slots[a->nslots++] = r->slot;
	}
}

static void op_stats(struct arena *a)
{
	struct vgc_stats s = { .size = sizeof(s) };
	struct vgc_version v;
	int fd = a->fd;

	logop("stats fd=%d", fd);
	if (ioctl(fd, VGC_IOC_GET_STATS, &s))
		fail("GET_STATS: %s", strerror(errno));
	version(fd, &v);
	if (v.limit_bytes && v.used_bytes > v.limit_bytes + (64ULL << 20))
		fail("used_bytes %llu above limit %llu", (unsigned long long)v.used_bytes,
		     (unsigned long long)v.limit_bytes);
	if (!v.nr_arenas)
		fail("GET_VERSION reports 0 arenas while one is open");
}

/* Unknown commands and wrong magic: ENOTTY. */
static void op_unknown(struct arena *a)
{
	uint8_t *buf = argbuf(256);
	unsigned long nr;
	int ret;

	if (chance(50))
		nr = _IOWR(VGC_IOC_MAGIC, 0x09 + below(0x37), struct vgc_stats);
	else
		nr = _IOWR('v' + below(2) * 5, below(16), struct vgc_stats);
	logop("ioctl unknown %#lx", nr);
	ret = ioctl(a->fd, nr, buf);
	logres(ret, errno);
	cnt->ioctls++;
	if (ret == 0)
		fail("unknown ioctl %#lx succeeded", nr);
	if (errno != ENOTTY && errno != EINVAL)
		fail("unknown ioctl %#lx: %s", nr, strerrorname_np(errno));
	if (have_uring && chance(50)) {
		logop("uring unknown cmd_op %#lx", nr);
		ret = uring_cmd(a->fd, nr, (uint64_t)(uintptr_t)buf, 0, 0, NULL);
		logres(ret, -ret);
		cnt->uring_cmds++;
		if (ret != -ENOTTY && ret != -EINVAL && ret != -EOPNOTSUPP)
			fail("uring unknown cmd_op %#lx: %d", nr, ret);
		/* non-zero payload flags/count where none are defined */
		logop("uring GET_VERSION with flags");
		ret = uring_cmd(a->fd, VGC_IOC_GET_VERSION, (uint64_t)(uintptr_t)buf,
				1 + below(100), 0, NULL);
		logres(ret, -ret);
		if (ret != -EINVAL)
			fail("uring GET_VERSION with payload flags: %d, want -EINVAL", ret);
	}
}

/* Many SQEs in one submit, mixed; some left in flight at teardown. */
static void op_uring_burst(struct arena *a)
{
	static __thread uint64_t idx[16];
	static __thread struct vgc_stats st[16];
	int n = 1 + below(16);

	if (!have_uring || !a->nobjs)
		return;
	logop("uring burst of %d", n);
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&uring);
		struct vgc_uring_cmd pl = { 0 };
		unsigned long op;

		if (!sqe)
			break;
		memset(sqe, 0, sizeof(*sqe));
		switch (below(4)) {
		case 0:
			op = VGC_URING_OBJ;
			pl.arg = a->objs[below(a->nobjs)];
			pl.flags = 1 + below(7);
			break;
		case 1:
			op = VGC_URING_CHECKPOINT;
			break;
		case 2:
			idx[i] = a->objs[below(a->nobjs)];
			op = VGC_URING_BATCH;
			pl.arg = (uint64_t)(uintptr_t)&idx[i];
			pl.flags = 1 + below(7);
			pl.count = 1;
			break;
		default:
			memset(&st[i], 0, sizeof(st[i]));
			st[i].size = sizeof(st[i]);
			op = VGC_IOC_GET_STATS;
			pl.arg = (uint64_t)(uintptr_t)&st[i];
			break;
		}
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = a->fd;
		sqe->cmd_op = op;
		memcpy(sqe->cmd, &pl, sizeof(pl));
	}
	io_uring_submit(&uring);
	for (int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		int ret;

		do
			ret = io_uring_wait_cqe(&uring, &cqe);
		while (ret == -EINTR);
		if (ret)
			fail("uring burst wait: %d", ret);
		if (cqe->res && !errno_allowed(-cqe->res, A_INVAL | A_BATCH | A_AGAIN |
					       A_NOMEM | A_CANCEL))
			fail("uring burst: res %d", cqe->res);
		io_uring_cqe_seen(&uring, cqe);
	}
	cnt->uring_cmds += n;
}

static void op_close(void)
{
	struct arena *a = pick_arena(true);

	if (!a)
		return;
	/* closing the fd must keep the mapped pages alive */
	logop("close fd %d (mappings stay)", a->fd);
	close(a->fd);
	a->fd = -1;
	a->nslots = 0;
}

/* ---- threads sharing one fd ------------------------------------------------- */

struct thr_arg {
	struct arena *a;
	uint64_t seed;
	int ops;
	int idx;
};

static void fuzz_uring_init(void)
{
	have_uring = false;
	if (opt_no_uring || !(features & VGC_FEAT_URING_CMD))
		return;
	if (io_uring_queue_init(64, &uring, 0) == 0)
		have_uring = true;
}

static void *thr_main(void *p)
{
	struct thr_arg *t = p;
	struct arena *a = t->a;
	char name[32];

	snprintf(name, sizeof(name), "thread %d", t->idx);
	who = name;
	rng = t->seed;
	/* each thread gets its own ring; io_uring state is per thread here */
	fuzz_uring_init();
	for (int i = 0; i < t->ops && !out_of_time(); i++) {
		cnt->ops++;
		switch (below(8)) {
		case 0: op_ioctl_random(a, chance(30)); break;
		case 1: op_batch(a); break;
		case 2: op_checkpoint(a); break;
		case 3: op_touch(a, true); break;
		case 4: op_plane_req(a); break;
		case 5: op_stats(a); break;
		case 6: {
			/* register, quiesce, unregister: the slot is this thread's */
			struct vgc_thread_reg r = { .size = sizeof(r) };

			r.partition = below(a->nr_part);
			logop("thread register");
			if (ioctl(a->fd, VGC_IOC_THREAD_REGISTER, &r) == 0) {
				volatile struct vgc_thread_slot *sl =
					(volatile struct vgc_thread_slot *)(a->rw + r.slot *
						sizeof(struct vgc_thread_slot));

				sl->qs_seq = ((const volatile struct vgc_ctrl *)a->ctrl)->gp_seq;
				sl->online = 1;
				op_checkpoint(a);
				logop("thread unregister slot %u", r.slot);
				if (ioctl(a->fd, VGC_IOC_THREAD_UNREGISTER, &r) &&
				    !errno_allowed(errno, A_INVAL | A_PERM))
					fail("UNREGISTER of own slot: %s", strerrorname_np(errno));
			} else if (!errno_allowed(errno, A_NOMEM | A_AGAIN | A_EXIST)) {
				fail("THREAD_REGISTER: %s", strerrorname_np(errno));
			}
			cnt->ioctls += 2;
			break;
		}
		default: op_uring_burst(a); break;
		}
	}
	if (have_uring)
		io_uring_queue_exit(&uring);
	if (argpage)
		munmap(argpage, 2 * page_size);
	argpage = NULL;
	return NULL;
}

static void op_threads(struct arena *a)
{
	pthread_t th[4];
	struct thr_arg ta[4];
	int n = 2 + below(3);

	if (!a->rw)
		return;
	logop("spawn %d threads on fd %d", n, a->fd);
	for (int i = 0; i < n; i++) {
		ta[i] = (struct thr_arg){ a, rnd(), 20 + below(60), i };
		if (pthread_create(&th[i], NULL, thr_main, &ta[i]))
			fail("pthread_create");
		cnt->threads++;
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	logop("threads joined");
}

/* ---- the per-process loop ------------------------------------------------ */

static void fuzz_loop(uint64_t ops, int depth);

/* Fork a child that fuzzes on the shared fds and mappings; maybe SIGKILL it. */
static void op_fork(void)
{
	uint64_t seed = rnd();
	bool kill_it = chance(50);
	uint64_t delay_us = below(20000);
	int status;
	pid_t pid;

	logop("fork (child seed %#llx)%s", (unsigned long long)seed,
	      kill_it ? " then SIGKILL" : "");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		who = "child";
		rng = seed;
		oplog_n = 0;
		if (have_uring) {
			/* the parent's ring is not ours to use */
			have_uring = false;
		}
		fuzz_uring_init();
		fuzz_loop(50 + below(200), 1);
		_exit(0);
	}
	cnt->forks++;
	if (kill_it) {
		usleep(delay_us);
		kill(pid, SIGKILL);
		cnt->kills++;
	}
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fail("child %d failed (its operations are printed above)", pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		fail("child %d died of signal %d", pid, WTERMSIG(status));
}

static void fuzz_loop(uint64_t ops, int depth)
{
	for (uint64_t i = 0; i < ops && !out_of_time(); i++) {
		struct arena *a = pick_arena(true);
		struct arena *any = pick_arena(false);
		unsigned int r = below(1000);

		cnt->ops++;
		if (!a) {
			if (!depth && r < 900)
				op_create();
			else
				op_ioctl_random(NULL, chance(30));
			continue;
		}
		if (r < 30 && !depth)
			op_create();
		else if (r < 60)
			op_ioctl_random(NULL, chance(30));
		else if (r < 260)
			op_ioctl_random(a, chance(30));
		else if (r < 300)
			op_grow(a);
		else if (r < 360)
			op_mmap(a);
		else if (r < 380)
			op_munmap();
		else if (r < 390)
			op_remap();
		else if (r < 520)
			op_touch(any ? any : a, false);
		else if (r < 580)
			op_alloc(a);
		else if (r < 640)
			op_plane_req(a);
		else if (r < 730)
			op_batch(a);
		else if (r < 810)
			op_checkpoint(a);
		else if (r < 870)
			op_thread_slot(a);
		else if (r < 900)
			op_stats(a);
		else if (r < 930)
			op_unknown(a);
		else if (r < 960)
			op_uring_burst(a);
		else if (r < 975 && !depth && !opt_no_fork)
			op_fork();
		else if (r < 985 && !depth && !opt_no_threads)
			op_threads(a);
		else if (r < 993 && !depth)
			op_close();
		else if (!depth)
			arena_drop(a - arenas);
	}
}

/* ---- module-wide counters ------------------------------------------------ */

static bool counters_idle(struct vgc_version *v, double wait_s)
{
	double until = now() + wait_s;
	int fd = vgc_open();

	for (;;) {
		version(fd, v);
		if (!v->nr_arenas && !v->used_bytes)
			break;
		if (now() > until) {
			close(fd);
			return false;
		}
		usleep(20000);
	}
	close(fd);
	return true;
}

static int run_seed(uint64_t seed)
{
	struct vgc_version v;
	int status;
	pid_t pid;

	cur_seed = seed;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		rng = seed * 0x2545f4914f6cdd1dULL + 1;
		for (int i = 0; i < MAX_ARENAS; i++)
			arenas[i].fd = -1;
		fuzz_uring_init();
		fuzz_loop(opt_ops, 0);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "vgc-fuzz: FAIL seed %" PRIu64 ": worker died of signal %d\n",
				seed, WTERMSIG(status));
			fprintf(stderr, "vgc-fuzz: replay: vgc-fuzz --seed %" PRIu64 " --ops %" PRIu64
				" -vv\n", seed, opt_ops);
		}
		return 1;
	}
	if (!opt_no_leak_check && !counters_idle(&v, 10.0)) {
		fprintf(stderr, "vgc-fuzz: FAIL seed %" PRIu64 ": after exit %llu arenas, %llu bytes still in use\n",
			seed, (unsigned long long)v.nr_arenas, (unsigned long long)v.used_bytes);
		cnt->failures++;
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vgc-fuzz [--seed N | --seeds A-B] [--ops N] [--time S] [--dev PATH]\n"
		"                [--no-uring] [--no-fork] [--no-threads] [--no-leak-check] [-v[v]]\n"
		"       vgc-fuzz --check-idle [--wait S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t first = 1, last = 10;
	bool check_idle = false;
	double wait_s = 5;
	struct sigaction sa = { 0 };
	struct vgc_version v;
	int fails = 0, fd;
	uint64_t seeds_run = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *n = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed") && n) {
			first = last = strtoull(n, NULL, 0);
			i++;
		} else if (!strcmp(a, "--seeds") && n) {
			if (sscanf(n, "%" SCNu64 "-%" SCNu64, &first, &last) != 2 || last < first)
				usage();
			i++;
		} else if (!strcmp(a, "--ops") && n) {
			opt_ops = strtoull(n, NULL, 0);
			i++;
		} else if (!strcmp(a, "--time") && n) {
			opt_time = atof(n);
			i++;
		} else if (!strcmp(a, "--wait") && n) {
			wait_s = atof(n);
			i++;
		} else if (!strcmp(a, "--dev") && n) {
			dev_path = n;
			i++;
		} else if (!strcmp(a, "--no-uring")) {
			opt_no_uring = true;
		} else if (!strcmp(a, "--no-fork")) {
			opt_no_fork = true;
		} else if (!strcmp(a, "--no-threads")) {
			opt_no_threads = true;
		} else if (!strcmp(a, "--no-leak-check")) {
			opt_no_leak_check = true;
		} else if (!strcmp(a, "--check-idle")) {
			check_idle = true;
		} else if (!strcmp(a, "-v")) {
			opt_verbose = 1;
		} else if (!strcmp(a, "-vv")) {
			opt_verbose = 2;
		} else {
			usage();
		}
	}
	page_size = sysconf(_SC_PAGESIZE);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	cnt = mmap(NULL, sizeof(*cnt), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cnt == MAP_FAILED)
		return 2;
	t_start = now();

	if (check_idle) {
		if (counters_idle(&v, wait_s)) {
			printf("vgc-fuzz: module idle: 0 arenas, 0 bytes in use\n");
			return 0;
		}
		printf("vgc-fuzz: module NOT idle: %llu arenas, %llu bytes in use\n",
		       (unsigned long long)v.nr_arenas, (unsigned long long)v.used_bytes);
		return 1;
	}

	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = vgc_open();
	version(fd, &v);
	close(fd);
	features = v.features;
	printf("vgc-fuzz: abi %u features %#llx limit %llu MiB, seeds %" PRIu64 "-%" PRIu64
	       ", %" PRIu64 " ops each%s\n", v.abi_version, (unsigned long long)v.features,
	       (unsigned long long)(v.limit_bytes >> 20), first, last, opt_ops,
	       (v.features & VGC_FEAT_URING_CMD) && !opt_no_uring ? ", io_uring on" : "");
	fflush(stdout);

	for (uint64_t s = first; s <= last && !out_of_time(); s++) {
		uint64_t before = cnt->ops;

		fails += run_seed(s);
		seeds_run++;
		if (opt_verbose)
			printf("vgc-fuzz: seed %" PRIu64 ": %" PRIu64 " ops\n", s, cnt->ops - before);
		if (fails)
			break;
	}
	printf("vgc-fuzz: seeds %" PRIu64 ", operations %llu (ioctl %llu, io_uring %llu, mmap %llu, "
	       "touches %llu, SIGBUS %llu, arenas %llu, forks %llu, kills %llu, threads %llu), "
	       "failures %d, %.1f s\n", seeds_run, (unsigned long long)cnt->ops,
	       (unsigned long long)cnt->ioctls, (unsigned long long)cnt->uring_cmds,
	       (unsigned long long)cnt->mmaps, (unsigned long long)cnt->touches,
	       (unsigned long long)cnt->sigbus, (unsigned long long)cnt->arenas,
	       (unsigned long long)cnt->forks, (unsigned long long)cnt->kills,
	       (unsigned long long)cnt->threads, fails, now() - t_start);
	return fails ? 1 : 0;
}
