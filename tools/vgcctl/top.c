// SPDX-License-Identifier: GPL-2.0
/*
 * vgcctl top: the arenas of the machine, refreshed every interval: per arena
 * and zone the state counts, checkpoints per second, pause p50/p99 (from the
 * pause histograms of the interval) and reclaimed bytes per second.  On a
 * terminal the keyboard is in raw mode and 'q' quits; the terminal is
 * restored on exit and on SIGINT, SIGTERM and SIGHUP.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "vgcctl.h"

static struct termios saved_tio;
static int raw_on, cursor_hidden;
static volatile sig_atomic_t stop_sig;

static void term_restore(void)
{
	if (raw_on)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	raw_on = 0;
	if (cursor_hidden) {
		/* Show the cursor again. */
		fputs("\033[?25h", stdout);
		fflush(stdout);
	}
	cursor_hidden = 0;
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void term_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	t = saved_tio;
	/* Keys one by one, no echo; ISIG stays: ^C is SIGINT. */
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &t))
		raw_on = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bucket of the q-quantile (pause < 2^b us), -1 without samples. */
static int hist_quantile(const uint64_t *h, double q)
{
	uint64_t total = 0, sum = 0, want;
	int b;

	for (b = 0; b < VGC_PAUSE_BUCKETS; b++)
		total += h[b];
	if (!total)
		return -1;
	want = (uint64_t)(q * (double)total + 0.999999);
	if (!want)
		want = 1;
	for (b = 0; b < VGC_PAUSE_BUCKETS; b++) {
		sum += h[b];
		if (sum >= want)
			return b;
	}
	return VGC_PAUSE_BUCKETS - 1;
}

static void fmt_bucket(char *buf, size_t len, int b)
{
	uint64_t us;

	if (b < 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (b == VGC_PAUSE_BUCKETS - 1) {
		snprintf(buf, len, ">=%" PRIu64 "s",
			 ((uint64_t)1 << (b - 1)) / 1000000);
		return;
	}
	us = (uint64_t)1 << b;
	if (us < 1000)
		snprintf(buf, len, "<%" PRIu64 "us", us);
	else if (us < 1000000)
		snprintf(buf, len, "<%.1fms", (double)us / 1e3);
	else
		snprintf(buf, len, "<%.1fs", (double)us / 1e6);
}

struct rates {
	int valid;			/* a previous sample exists */
	double ckpt_per_s;
	double reclaimed_bps[VGC_NR_ZONES];
	uint64_t hist[VGC_NR_ZONES][VGC_PAUSE_BUCKETS];	/* of the interval */
	int interval_hist[VGC_NR_ZONES];	/* hist is the interval's */
};

static void compute_rates(const struct arena_info *a,
			  const struct arena_set *prev, double dt,
			  struct rates *r)
{
	const struct arena_info *p = NULL;
	unsigned int i, z, b;

	memset(r, 0, sizeof(*r));
	for (i = 0; prev && i < prev->n; i++)
		if (!strcmp(prev->a[i].name, a->name))
			p = &prev->a[i];
	for (z = 0; z < VGC_NR_ZONES; z++)
		memcpy(r->hist[z], a->zone[z].hist, sizeof(r->hist[z]));
	if (!p || dt <= 0)
		return;
	r->valid = 1;
	r->ckpt_per_s = a->checkpoints >= p->checkpoints ?
		(double)(a->checkpoints - p->checkpoints) / dt : 0;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		const struct zone_info *n = &a->zone[z], *o = &p->zone[z];
		uint64_t d = 0;

		r->reclaimed_bps[z] = n->reclaimed_bytes >= o->reclaimed_bytes ?
			(double)(n->reclaimed_bytes - o->reclaimed_bytes) / dt : 0;
		for (b = 0; b < VGC_PAUSE_BUCKETS; b++)
			d += n->hist[b] >= o->hist[b] ? n->hist[b] - o->hist[b] : 0;
		if (!d)
			continue;	/* no sweep in the interval: all of them */
		r->interval_hist[z] = 1;
		for (b = 0; b < VGC_PAUSE_BUCKETS; b++)
			r->hist[z][b] = n->hist[b] >= o->hist[b] ?
				n->hist[b] - o->hist[b] : 0;
	}
}

static void frame_text(const struct arena_set *set,
		       const struct arena_set *prev, double dt,
		       double interval, int tty)
{
	const char *eol = tty ? "\033[K\n" : "\n";
	char tbuf[32], b1[16], b2[16], b3[16], b4[16];
	time_t t = time(NULL);
	unsigned int i, z, s;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	if (tty)
		fputs("\033[H", stdout);
	printf("vgcctl top  %s  %u arena%s  every %.1fs%s%s", tbuf, set->n,
	       set->n == 1 ? "" : "s", interval, tty ? "  q quits" : "", eol);
	if (!set->debugfs_ok)
		printf("module arenas not listed: %s%s", set->debugfs_error,
		       eol);
	for (i = 0; i < set->n; i++) {
		const struct arena_info *a = &set->a[i];
		struct rates r;

		compute_rates(a, prev, dt, &r);
		printf("%s", eol);
		printf("%s  pid %d  %s  %s  %u partitions", a->name, a->pid,
		       a->comm, a->backend, a->partitions);
		if (a->threads != -1u)
			printf("  threads %u", a->threads);
		printf("  checkpoints %" PRIu64, a->checkpoints);
		if (r.valid)
			printf(" (%.1f/s)", r.ckpt_per_s);
		printf("%s", eol);
		if (a->note[0])
			printf("  %s%s", a->note, eol);
		printf("  %-5s %7s %8s %8s", "ZONE", "BYTES", "LIVE", "PENDING");
		for (s = 0; s < VGC_NR_STATES; s++)
			printf(" %8s", vgcctl_state_names[s]);
		printf(" %8s %8s %11s%s", "P50", "P99", "RECLAIMED/s", eol);
		for (z = 0; z < VGC_NR_ZONES; z++) {
			const struct zone_info *zi = &a->zone[z];

			fmt_bytes(b1, sizeof(b1), zi->bytes);
			printf("  %-5s %7s", vgcctl_zone_names[z], b1);
			if (!a->have_stats) {
				printf(" %8s %8s%s", "-", "-", eol);
				continue;
			}
			printf(" %8" PRIu64 " %8" PRIu64, zone_live(zi),
			       zone_pending(zi));
			for (s = 0; s < VGC_NR_STATES; s++)
				printf(" %8" PRIu64, zi->states[s]);
			fmt_bucket(b2, sizeof(b2), hist_quantile(r.hist[z], 0.5));
			fmt_bucket(b3, sizeof(b3), hist_quantile(r.hist[z], 0.99));
			if (r.valid) {
				fmt_bytes(b4, sizeof(b4),
					  (uint64_t)r.reclaimed_bps[z]);
			} else {
				snprintf(b4, sizeof(b4), "-");
			}
			printf(" %8s %8s %11s%s", b2, b3, b4, eol);
		}
	}
	if (!set->n)
		printf("%sno arenas%s", eol, eol);
	if (tty)
		fputs("\033[J", stdout);
	else
		printf("\n");
	fflush(stdout);
}

static void frame_json(const struct arena_set *set,
		       const struct arena_set *prev, double dt)
{
	unsigned int i, z;
	struct json j;

	json_init(&j, stdout);
	json_obj(&j, NULL);
	json_dbl(&j, "interval_s", prev ? dt : 0);
	sources_json(&j, set);
	json_arr(&j, "arenas");
	for (i = 0; i < set->n; i++) {
		struct rates r;

		compute_rates(&set->a[i], prev, dt, &r);
		json_obj(&j, NULL);
		arena_json(&j, &set->a[i], 1);
		json_obj(&j, "rates");
		if (r.valid)
			json_dbl(&j, "checkpoints_per_s", r.ckpt_per_s);
		else
			json_null(&j, "checkpoints_per_s");
		json_arr(&j, "zones");
		for (z = 0; z < VGC_NR_ZONES; z++) {
			int p50 = hist_quantile(r.hist[z], 0.5);
			int p99 = hist_quantile(r.hist[z], 0.99);

			json_obj(&j, NULL);
			json_str(&j, "zone", vgcctl_zone_names[z]);
			if (r.valid)
				json_dbl(&j, "reclaimed_bytes_per_s",
					 r.reclaimed_bps[z]);
			else
				json_null(&j, "reclaimed_bytes_per_s");
			json_str(&j, "pause_window",
				 r.interval_hist[z] ? "interval" : "all");
			/* pauses below 2^b microseconds */
			if (p50 >= 0 && set->a[i].have_stats) {
				json_u64(&j, "pause_p50_below_us", (uint64_t)1 << p50);
				json_u64(&j, "pause_p99_below_us", (uint64_t)1 << p99);
			} else {
				json_null(&j, "pause_p50_below_us");
				json_null(&j, "pause_p99_below_us");
			}
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

/* Waits up to ms; 1 when 'q' was pressed or a signal asks to stop. */
static int wait_key(int ms, int keys)
{
	double end = now_s() + ms / 1e3;

	for (;;) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int left = (int)((end - now_s()) * 1e3);
		char c;

		if (stop_sig)
			return 1;
		if (left <= 0)
			return 0;
		if (!keys) {
			struct timespec ts = { left / 1000,
					       (left % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&pfd, 1, left) > 0) {
			if (read(STDIN_FILENO, &c, 1) == 1) {
				if (c == 'q' || c == 'Q')
					return 1;
			} else {
				keys = 0;	/* EOF: no more keys */
			}
		}
	}
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int pid = 0, iters = 0, interval_ms = 1000, it;
	struct arena_set cur, prev;
	struct sigaction sa;
	int c, json = 0, tty, have_prev = 0;
	double t_prev = 0, t;

	while ((c = getopt_long(argc, argv, "jp:n:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'p':
			if (parse_uint("top", "--pid", optarg, 1, INT_MAX, &pid))
				return 2;
			break;
		case 'n':
			if (parse_uint("top", "--iterations", optarg, 0,
				       1000000, &iters))
				return 2;
			break;
		case 'i':
			if (parse_uint("top", "--interval", optarg, 100, 60000,
				       &interval_ms))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vgcctl top: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	tty = !json && isatty(STDOUT_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(term_restore);
	if (tty) {
		term_raw();
		fputs("\033[?25l\033[H\033[2J", stdout);
		cursor_hidden = 1;
	}
	memset(&prev, 0, sizeof(prev));
	for (it = 0; !iters || it < iters; it++) {
		arenas_collect(&cur, (int)pid);
		t = now_s();
		if (json)
			frame_json(&cur, have_prev ? &prev : NULL, t - t_prev);
		else
			frame_text(&cur, have_prev ? &prev : NULL, t - t_prev,
				   interval_ms / 1e3, tty);
		arenas_free(&prev);
		prev = cur;
		have_prev = 1;
		t_prev = t;
		if ((iters && it + 1 >= iters) ||
		    wait_key((int)interval_ms, raw_on))
			break;
	}
	arenas_free(&prev);
	term_restore();
	if (tty)
		printf("\n");
	return stop_sig ? 128 + stop_sig : 0;
}
