/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgc-fuzz internals: the model of what the worker created (arenas, their
 * layouts and mappings), the per-thread PRNG and operation ring, the errno
 * sets and the command table shared by the operation files.
 *
 *   fuzz_core.c   shared state, time, operation ring, failure report
 *   fuzz_cmd.c    errno sets, command table, argument buffers, mutations
 *   fuzz_uring.c  io_uring passthrough
 *   fuzz_arena.c  arena shapes, layout checks, base mappings
 *   fuzz_ops.c    operations through ioctl and the planes
 *   fuzz_mmap.c   mmap/munmap/mremap and fault-tolerant touches
 *   fuzz_proc.c   threads sharing one fd, forked and killed children
 *   vgc-fuzz.c    options, the per-process loop, seeds, main
 */
#ifndef VGC_FUZZ_H
#define VGC_FUZZ_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <liburing.h>
#include <linux/vgc.h>

#define MAX_ARENAS	3
#define MAX_MAPS	16
#define MAX_OBJS	512
#define MAX_SLOTS	16
#define MAX_REGIONS	(VGC_NR_ZONES * VGC_MAX_PARTITIONS)
#define RING_LEN	48
#define LINE_LEN	160

/* ---- options (vgc-fuzz.c) ------------------------------------------------ */

extern const char *dev_path;
extern uint64_t opt_ops;
extern double opt_time;			/* seconds for the whole run, 0: none */
extern int opt_verbose;
extern bool opt_no_uring, opt_no_fork, opt_no_threads, opt_no_leak_check;

/* ---- shared counters and state (fuzz_core.c) ------------------------------ */

struct counters {
	_Atomic uint64_t ops, ioctls, uring_cmds, mmaps, touches, forks, kills,
		threads, arenas, sigbus, failures, lost_copies;
};

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

extern struct counters *cnt;		/* MAP_SHARED: children add to it */
extern uint64_t cur_seed;
extern uint64_t features;
extern int ncpus;
extern double t_start;
extern struct arena arenas[MAX_ARENAS];
extern struct map maps[MAX_MAPS];
extern __thread struct io_uring uring;
extern __thread bool have_uring;
extern long page_size;

double now(void);
bool out_of_time(void);

/* ---- PRNG: splitmix64, one state per thread ------------------------------- */

extern __thread uint64_t rng;

static inline uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static inline bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* ---- operation ring and failures (fuzz_core.c) ---------------------------- */

extern __thread uint64_t oplog_n;
extern __thread const char *who;

__attribute__((format(printf, 1, 2))) void logop(const char *fmt, ...);
void logres(long ret, int err);
__attribute__((format(printf, 1, 2), noreturn)) void fail(const char *fmt, ...);

/* ---- errno sets and the command table (fuzz_cmd.c) ------------------------ */

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

enum { C_VERSION, C_CREATE, C_LAYOUT, C_GROW, C_REG, C_UNREG, C_CKPT, C_BATCH, C_STATS, NR_CMDS };

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

struct call {
	int cmd;
	enum mut mut;
	uint8_t *arg;			/* what is passed */
	uint8_t *st;			/* where the struct lives */
	unsigned int allowed;		/* errnos beyond the command's base */
	bool must_fail;
};

extern __thread uint8_t *argpage;	/* 2 pages: rw | none */

bool errno_allowed(int err, unsigned int set);
uint8_t *argbuf(size_t len);
void call_init(struct call *c, int cmd);
void call_mutate(struct call *c, enum mut m);
/* Runs a call through ioctl or io_uring; returns 0 or -errno. */
int call_run(int fd, struct call *c, bool via_uring);

/* ---- io_uring passthrough (fuzz_uring.c) ---------------------------------- */

int uring_cmd(int fd, unsigned long op, uint64_t arg, uint32_t flags,
	      uint32_t count, struct io_uring_cqe *out);
void fuzz_uring_init(void);
void op_uring_burst(struct arena *a);

/* ---- arenas (fuzz_arena.c) ------------------------------------------------ */

int vgc_open(void);
void version(int fd, struct vgc_version *v);
void random_params(struct vgc_arena_params *p);
const char *bad_params(struct vgc_arena_params *p);
bool layout_of(int fd, struct vgc_layout *lay, struct vgc_region *reg);
void check_layout(const struct vgc_layout *l, const struct vgc_region *reg);
void arena_map_base(struct arena *a);
void arena_drop(int i);
struct arena *pick_arena(bool need_fd);

/* ---- operations (fuzz_ops.c, fuzz_mmap.c, fuzz_proc.c) -------------------- */

void op_create(void);
void op_ioctl_random(struct arena *a, bool via_uring);
void op_grow(struct arena *a);
void op_alloc(struct arena *a);
void op_plane_req(struct arena *a);
void op_batch(struct arena *a);
void op_checkpoint(struct arena *a);
void op_thread_slot(struct arena *a);
void op_stats(struct arena *a);
void op_unknown(struct arena *a);
void op_close(void);

void on_fault(int sig, siginfo_t *si, void *uc);
int touch(volatile uint8_t *p, bool write, uint8_t val);
void op_mmap(struct arena *a);
void op_munmap(void);
void op_remap(void);
/* Where a mapping offset falls; returns whether touching it is safe. */
bool offset_committed(struct arena *a, uint64_t off);
void op_touch(struct arena *a, bool in_thread);

void op_threads(struct arena *a);
void op_fork(void);

/* ---- the per-process loop (vgc-fuzz.c) ------------------------------------ */

void fuzz_loop(uint64_t ops, int depth);

#endif /* VGC_FUZZ_H */
