// SPDX-License-Identifier: GPL-2.0
/* Shared helpers of the vgc-bench subcommands, see bench_util.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <immintrin.h>
#include "bench_util.h"

uint64_t bu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t bu_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t bu_process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- options ------------------------------------------------------------- */

/* An integral "1e6" / "2.5e3" form: exact, below 2^63. */
static int parse_exp(const char *s, uint64_t *out)
{
	char *end;
	double v;

	if (!strpbrk(s, "eE") || strpbrk(s, "xX"))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= 0) || v >= 9.2e18 ||
	    v != floor(v))
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int bu_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ' || *s == '\t')
		return -1;
	errno = 0;
	/* decimal, or 0x hexadecimal: a leading 0 is not octal */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -1;
		v = strtoull(s + 2, &end, 16);
	} else {
		v = strtoull(s, &end, 10);
	}
	if (end == s || errno)
		return -1;
	if (*end)
		return parse_exp(s, out);
	*out = v;
	return 0;
}

int bu_parse_i64(const char *s, int64_t *out)
{
	uint64_t u;

	if (s && *s == '-') {
		if (bu_parse_u64(s + 1, &u) || u > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
		return 0;
	}
	if (bu_parse_u64(s, &u) || u > INT64_MAX)
		return -1;
	*out = (int64_t)u;
	return 0;
}

/* Checks and stores the value of option o, spelt as on the command line. */
static int opt_value(const char *cmd, const struct bu_opt *o,
		     const char *spelt, const char *arg)
{
	int64_t lo = o->min, v = 0;
	uint64_t hi = (uint64_t)o->max, u = 0;
	int ok;

	switch (o->type) {
	case BU_OPT_STR:
		*(const char **)o->dst = arg;
		return 0;
	case BU_OPT_FN:
		if (!o->fn(arg, o->dst))
			return 0;
		fprintf(stderr, "vgc-bench %s: %s: invalid value '%s'%s%s\n", cmd,
			spelt, arg, o->what ? ", expected " : "",
			o->what ? o->what : "");
		return -1;
	case BU_OPT_INT:
		if (!o->min && !o->max) {
			lo = INT_MIN;
			hi = INT_MAX;
		}
		ok = !bu_parse_i64(arg, &v);
		if (ok && v >= lo && v <= (int64_t)hi) {
			*(int *)o->dst = (int)v;
			return 0;
		}
		break;
	default:	/* BU_OPT_U64, BU_OPT_UINT */
		if (!hi)
			hi = o->type == BU_OPT_UINT ? UINT_MAX : UINT64_MAX;
		ok = !bu_parse_u64(arg, &u);
		if (ok && u >= (uint64_t)lo && u <= hi) {
			if (o->type == BU_OPT_UINT)
				*(unsigned int *)o->dst = (unsigned int)u;
			else
				*(uint64_t *)o->dst = u;
			return 0;
		}
		break;
	}
	if (!ok)
		fprintf(stderr, "vgc-bench %s: %s: '%s' is not %s\n", cmd, spelt,
			arg, o->type == BU_OPT_INT ? "an integer" :
			"a non-negative integer");
	else if (o->type != BU_OPT_INT && !o->max && u < (uint64_t)lo)
		fprintf(stderr, "vgc-bench %s: %s: %s is below %lld\n", cmd, spelt,
			arg, (long long)lo);
	else
		fprintf(stderr, "vgc-bench %s: %s: %s is outside %lld..%llu\n", cmd,
			spelt, arg, (long long)lo, (unsigned long long)hi);
	return -1;
}

int bu_parse_opts(const char *cmd, int argc, char **argv,
		  const struct bu_opt *opts, char **pos, int max_pos,
		  int *npos)
{
	int i, n = 0;

	if (npos)
		*npos = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *arg = NULL, *eq = NULL;
		const struct bu_opt *o;
		size_t len;

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return BU_OPTS_HELP;
		if (a[0] != '-' || !a[1]) {
			if (!pos || n >= max_pos) {
				fprintf(stderr, "vgc-bench %s: unexpected argument '%s'\n",
					cmd, a);
				return -1;
			}
			pos[n++] = argv[i];
			if (npos)
				*npos = n;
			continue;
		}
		if (a[1] == '-') {
			name = a + 2;
			eq = strchr(name, '=');
			len = eq ? (size_t)(eq - name) : strlen(name);
			for (o = opts; o->name; o++)
				if (strlen(o->name) == len && !strncmp(o->name, name, len))
					break;
		} else {
			for (o = opts; o->name; o++)
				if (o->short_name && o->short_name == a[1] && !a[2])
					break;
		}
		if (!o->name) {
			fprintf(stderr, "vgc-bench %s: unknown option '%s'\n", cmd, a);
			return -1;
		}
		if (o->type == BU_OPT_FLAG) {
			if (eq) {
				fprintf(stderr, "vgc-bench %s: --%s takes no value\n",
					cmd, o->name);
				return -1;
			}
			*(int *)o->dst = 1;
			continue;
		}
		if (eq) {
			arg = eq + 1;
		} else if (i + 1 < argc) {
			arg = argv[++i];
		} else {
			fprintf(stderr, "vgc-bench %s: %s needs a value\n", cmd, a);
			return -1;
		}
		if (eq) {
			char spelt[64];

			snprintf(spelt, sizeof(spelt), "--%s", o->name);
			if (opt_value(cmd, o, spelt, arg))
				return -1;
		} else if (opt_value(cmd, o, a, arg)) {
			return -1;
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bu_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	/* nearest rank: the smallest value with at least p % at or below it */
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

double bu_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	if (n & 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bu_max(const double *v, size_t n)
{
	double m = n ? v[0] : NAN;
	size_t i;

	for (i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

uint64_t bu_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t bu_mix(uint64_t h, uint64_t v)
{
	return bu_fnv1a(h, &v, sizeof(v));
}

static volatile uint64_t bu_sink_word;

void bu_sink(uint64_t v)
{
	bu_sink_word += v;
}

int bu_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return 0;
}

int bu_nr_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

int bu_have_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

/*
 * The loops are kept out of line and unvectorised so that "scalar" means
 * one 64-bit word per load; the AVX2 versions below are the vector peers.
 */
__attribute__((noinline, optimize("no-tree-vectorize")))
static uint64_t read_pass(const uint64_t *w, size_t n)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i;

	for (i = 0; i < n; i += 4) {
		s0 += w[i];
		s1 += w[i + 1];
		s2 += w[i + 2];
		s3 += w[i + 3];
	}
	return s0 ^ s1 ^ s2 ^ s3;
}

__attribute__((noinline, optimize("no-tree-vectorize")))
static uint64_t rmw_pass(uint64_t *w, size_t n, uint64_t k)
{
	size_t i;

	for (i = 0; i < n; i += 4) {
		w[i] ^= k;
		w[i + 1] ^= k;
		w[i + 2] ^= k;
		w[i + 3] ^= k;
	}
	return w[0];
}

__attribute__((noinline, target("avx2")))
static uint64_t read_pass_avx2(const uint64_t *w, size_t n)
{
	__m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
	uint64_t out[4];
	size_t i;

	for (i = 0; i < n; i += 8) {
		s0 = _mm256_add_epi64(s0, _mm256_loadu_si256((const void *)(w + i)));
		s1 = _mm256_add_epi64(s1, _mm256_loadu_si256((const void *)(w + i + 4)));
	}
	_mm256_storeu_si256((void *)out, _mm256_xor_si256(s0, s1));
	return out[0] ^ out[1] ^ out[2] ^ out[3];
}

__attribute__((noinline, target("avx2")))
static uint64_t rmw_pass_avx2(uint64_t *w, size_t n, uint64_t k)
{
	const __m256i kk = _mm256_set1_epi64x((long long)k);
	size_t i;

	for (i = 0; i < n; i += 8) {
		__m256i a = _mm256_loadu_si256((void *)(w + i));
		__m256i b = _mm256_loadu_si256((void *)(w + i + 4));

		_mm256_storeu_si256((void *)(w + i), _mm256_xor_si256(a, kk));
		_mm256_storeu_si256((void *)(w + i + 4), _mm256_xor_si256(b, kk));
	}
	return w[0];
}

enum bw_kind { BW_READ, BW_RMW, BW_READ_AVX2, BW_RMW_AVX2 };

static double bw_run(uint64_t *buf, size_t bytes, uint64_t min_ns,
		     uint64_t *sum, enum bw_kind kind)
{
	size_t n = bytes / 8 & ~(size_t)7;
	uint64_t start = bu_now_ns(), best = UINT64_MAX, s = 0;
	unsigned int pass = 0;

	if (!n)
		return 0;
	/* one untimed pass faults the pages in and warms the caches */
	s ^= read_pass(buf, n);
	do {
		/* CPU time: a pass preempted by another process is not slower */
		uint64_t t0 = bu_thread_cpu_ns(), t;

		switch (kind) {
		case BW_READ:
			s ^= read_pass(buf, n);
			break;
		case BW_RMW:
			s ^= rmw_pass(buf, n, pass | 1);
			break;
		case BW_READ_AVX2:
			s ^= read_pass_avx2(buf, n);
			break;
		case BW_RMW_AVX2:
			s ^= rmw_pass_avx2(buf, n, pass | 1);
			break;
		}
		t = bu_thread_cpu_ns() - t0;
		if (t < best)
			best = t;
		pass++;
	} while (bu_now_ns() - start < min_ns || pass < 3);
	if (sum)
		*sum = s;
	bu_sink(s);
	return (double)(n * 8) / (double)(best ? best : 1);
}

double bu_bw_read(uint64_t *buf, size_t bytes, uint64_t min_ns, uint64_t *sum)
{
	return bw_run(buf, bytes, min_ns, sum, BW_READ);
}

double bu_bw_rmw(uint64_t *buf, size_t bytes, uint64_t min_ns, uint64_t *sum)
{
	return bw_run(buf, bytes, min_ns, sum, BW_RMW);
}

double bu_bw_read_avx2(uint64_t *buf, size_t bytes, uint64_t min_ns,
		       uint64_t *sum)
{
	return bw_run(buf, bytes, min_ns, sum, BW_READ_AVX2);
}

double bu_bw_rmw_avx2(uint64_t *buf, size_t bytes, uint64_t min_ns,
		      uint64_t *sum)
{
	return bw_run(buf, bytes, min_ns, sum, BW_RMW_AVX2);
}

/* ---- JSON -------------------------------------------------------------- */

void bj_init(struct bj *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void bj_key(struct bj *j, const char *key)
{
	if (j->depth > 0 && j->count[j->depth - 1]++)
		fputc(',', j->f);
	if (key && j->depth > 0)
		fprintf(j->f, "\"%s\":", key);
}

static void bj_push(struct bj *j, const char *key, char c)
{
	bj_key(j, key);
	fputc(c, j->f);
	if (j->depth < BJ_MAX_DEPTH)
		j->count[j->depth] = 0;
	j->depth++;
}

void bj_obj_begin(struct bj *j, const char *key)
{
	bj_push(j, key, '{');
}

void bj_obj_end(struct bj *j)
{
	j->depth--;
	fputc('}', j->f);
}

void bj_arr_begin(struct bj *j, const char *key)
{
	bj_push(j, key, '[');
}

void bj_arr_end(struct bj *j)
{
	j->depth--;
	fputc(']', j->f);
}

void bj_num(struct bj *j, const char *key, double v)
{
	bj_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void bj_u64(struct bj *j, const char *key, uint64_t v)
{
	bj_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void bj_i64(struct bj *j, const char *key, int64_t v)
{
	bj_key(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void bj_str(struct bj *j, const char *key, const char *v)
{
	bj_key(j, key);
	fputc('"', j->f);
	for (; v && *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c < 0x20)
			fprintf(j->f, "\\u%04x", c);
		else
			fputc(c, j->f);
	}
	fputc('"', j->f);
}

void bj_bool(struct bj *j, const char *key, int v)
{
	bj_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void bj_null(struct bj *j, const char *key)
{
	bj_key(j, key);
	fputs("null", j->f);
}

void bj_finish(struct bj *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

/* ---- child processes --------------------------------------------------- */

char *bu_run_capture(char *const argv[], const char *env, int timeout_s,
		     int *status)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	int fds[2], st = -1;
	uint64_t deadline;
	pid_t pid;

	if (!out || pipe(fds)) {
		free(out);
		return NULL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		free(out);
		return NULL;
	}
	if (!pid) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[1]);
		if (env)
			putenv((char *)env);
		execvp(argv[0], argv);
		fprintf(stderr, "vgc-bench: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	deadline = timeout_s > 0 ? bu_now_ns() + (uint64_t)timeout_s * 1000000000ULL : 0;
	for (;;) {
		ssize_t r;

		if (len + 1024 > cap) {
			char *n = realloc(out, cap * 2);

			if (!n)
				break;
			out = n;
			cap *= 2;
		}
		if (deadline) {
			fd_set rs;
			struct timeval tv = { .tv_sec = 1 };

			FD_ZERO(&rs);
			FD_SET(fds[0], &rs);
			if (bu_now_ns() > deadline) {
				kill(pid, SIGKILL);
				break;
			}
			if (select(fds[0] + 1, &rs, NULL, NULL, &tv) <= 0)
				continue;
		}
		r = read(fds[0], out + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = 0;
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (status)
		*status = st;
	return out;
}

double bu_callgrind_ir(const char *path)
{
	char line[512];
	double ir = NAN;
	FILE *f = fopen(path, "r");

	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "totals:", 7) || !strncmp(line, "summary:", 8))
			ir = strtod(strchr(line, ':') + 1, NULL);
	fclose(f);
	unlink(path);
	return ir;
}

const char *bu_met(int ok)
{
	return ok ? "met" : "not met";
}
