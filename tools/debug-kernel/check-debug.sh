#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh: the debug-kernel lane of CI (make check-debug).
#
#  1. build or reuse the debug kernel (tools/debug-kernel/build.sh, cached
#     outside the clone);
#  2. build vgc.ko against that tree (make module KDIR=...);
#  3. boot it with tools/vm/vgc-vm and run tools/debug-kernel/guest.sh: every
#     selftest, a bounded vgc-fuzz run, rmmod, an explicit kmemleak scan;
#  4. fail on any test failure, fuzz failure, kernel report (KASAN, KFENCE,
#     lockdep, BUG, WARNING, bad page, kmemleak), counters not back to 0 or
#     a failed rmmod; print the figures.
#
# Environment: FUZZ_SEEDS, FUZZ_OPS, FUZZ_TIME, DEBUG_VM_TIMEOUT,
# DEBUG_TEST_TIMEOUT, DEBUG_TESTS (run-tests.sh filter; "none" runs no
# selftests, for long fuzz runs).  DEBUG_STOCK_KERNEL=6.1 (or 6.12) runs the
# same lane on a Debian kernel instead, without building the debug kernel: a
# dry run of the pipeline, with no KASAN, kmemleak or fault injection.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$top/build
make=make
res=$build/vm/check-debug

say() { echo "check-debug: $*"; }
die() { say "FAIL: $*"; exit 1; }

t0=$(date +%s)
vmargs=()
if [ -n "${DEBUG_STOCK_KERNEL:-}" ]; then
	krel=$(ls -d /lib/modules/"$DEBUG_STOCK_KERNEL".*-amd64 2>/dev/null |
	       xargs -rn1 basename | sort -V | tail -n1)
	[ -n "$krel" ] || die "no Debian kernel $DEBUG_STOCK_KERNEL installed"
	say "dry run on the stock Debian kernel $krel (no debug options)"
	t_kernel=0
	t1=$(date +%s)
	$make --no-print-directory -C "$top" module WERROR=1 KVERS="$krel" || die "vgc.ko does not build"
	vmargs=(--kernel "$krel")
	export VGC_DEBUG_STOCK=1
else
	tree=$("$here/build.sh" --dir) || die "no debug kernel path"
	say "debug kernel: $tree"
	# Held until the lane ends, so that no other run's prune.sh removes
	# the tree under this one's VM.
	key_dir=$(dirname "$tree")
	mkdir -p "$(dirname "$key_dir")"
	exec 7>"$key_dir.inuse"
	flock -s 7
	if "$here/build.sh" --cached; then
		say "debug kernel cached"
	fi
	tree=$("$here/build.sh" | tail -n1) || die "debug kernel build failed"
	t_kernel=$(($(date +%s) - t0))
	"$here/prune.sh" "$(dirname "$key_dir")" "$(basename "$key_dir")" ||
		say "prune.sh failed; the cache is left as it is"
	image=$tree/arch/x86/boot/bzImage
	[ -r "$image" ] || die "no bzImage in $tree"
	krel=$(cat "$tree/include/config/kernel.release")
	t1=$(date +%s)
	$make --no-print-directory -C "$top" module WERROR=1 KDIR="$tree" ||
		die "vgc.ko does not build against $tree"
	vmargs=(--kernel-image "$image")
fi
ko=$build/kmod/$krel/vgc.ko
[ -r "$ko" ] || die "$ko missing after make module"
t_module=$(($(date +%s) - t1))

rm -rf "$res"
mkdir -p "$res"
t2=$(date +%s)
VGC_FUZZ_SEEDS=${FUZZ_SEEDS:-1-60} VGC_FUZZ_OPS=${FUZZ_OPS:-2000} \
VGC_FUZZ_TIME=${FUZZ_TIME:-180} VGC_TEST_TIMEOUT=${DEBUG_TEST_TIMEOUT:-900} \
VGC_DEATH_ROUNDS=${VGC_DEATH_ROUNDS:-4} \
VGC_DEBUG_TESTS=${DEBUG_TESTS:-} \
	"$top/tools/vm/vgc-vm" "${vmargs[@]}" --module "$ko" \
	--timeout "${DEBUG_VM_TIMEOUT:-2400}" --results "$res" \
	--append "page_poison=1 kfence.sample_interval=10 no_timer_check" \
	-- "$here/guest.sh"
vmrc=$?
t_vm=$(($(date +%s) - t2))

# ---- verdict and figures --------------------------------------------------
fails=()
# vgc-vm exits 1 for a kernel-log report after a passing job; the log is
# judged below, where the baseline scan of boot-time objects is forgiven.
guestrc=$(cat "$res/rc" 2>/dev/null || echo missing)
if [ "$vmrc" -ne 0 ] && ! { [ "$vmrc" -eq 1 ] && [ "$guestrc" = 0 ]; }; then
	fails+=("VM or guest script exit $vmrc (guest $guestrc)")
fi

read -r tp tf ts 2>/dev/null <"$res/counts" || { tp=0; tf=0; ts=0; }
if [ "$tf" -gt 0 ]; then
	fails+=("$tf selftests failed")
	say "failed tests and checks (all of it in $res/tests.log):"
	"$top/tools/vm/tap-failures.sh" "$res/tests.log" 24
fi

fuzz_ops=$(grep -oE 'operations [0-9]+' "$res/fuzz.log" 2>/dev/null | tail -n1 | cut -d' ' -f2)
fuzz_ops=${fuzz_ops:-0}
fuzz_rc=$(cat "$res/fuzz.rc" 2>/dev/null || echo missing)
[ "$fuzz_rc" = 0 ] || fails+=("vgc-fuzz exit $fuzz_rc")

faults=$(grep -hoE 'faults injected: [0-9]+' "$res/tests.log" 2>/dev/null |
	 awk '{s += $3} END {print s + 0}')

# Reports: the kernel log after the VM's start line, and kmemleak's list.
reports=0
if [ -s "$res/dmesg" ]; then
	# guest.sh stops kmemleak's scan thread ("scan=off"), which says so.
	splat=$( { sed -n '/vgc-vm: start/,/debug-guest: baseline done/p' "$res/dmesg" |
		   grep -vE 'kmemleak: [0-9]+ new suspected memory leaks'
		   sed -n '/debug-guest: baseline done/,$p' "$res/dmesg"; } |
		 grep -v 'kmemleak: Automatic memory scanning thread ended' |
		 "$top/tools/vm/dmesg-scan.sh")
	if [ -n "$splat" ]; then
		reports=$(printf '%s\n' "$splat" | grep -cE 'BUG:|WARNING:|Oops|general protection|Bad page|KASAN|KFENCE|UBSAN|circular locking|inconsistent lock|recursive locking|stall|blocked for more|Kernel panic|suspected memory leak')
		[ "$reports" -gt 0 ] || reports=1
		fails+=("kernel log reports problems")
		say "kernel log:"
		printf '%s\n' "$splat" | head -n 40
	fi
else
	fails+=("no kernel log from the guest")
fi
leaks=$(grep -c '^unreferenced object' "$res/kmemleak.txt" 2>/dev/null)
leaks=${leaks:-0}
if [ -n "${DEBUG_STOCK_KERNEL:-}" ]; then
	say "stock kernel: no kmemleak scan"
elif [ ! -f "$res/kmemleak.txt" ]; then
	fails+=("no kmemleak scan result")
elif [ "$leaks" -gt 0 ]; then
	reports=$((reports + leaks))
	fails+=("kmemleak: $leaks unreferenced objects")
	say "kmemleak:"
	head -n 60 "$res/kmemleak.txt"
fi
[ "$(cat "$res/idle.rc" 2>/dev/null)" = 0 ] ||
	fails+=("module counters not back to 0: $(cat "$res/idle.log" 2>/dev/null)")
[ "$(cat "$res/rmmod-debug.rc" 2>/dev/null)" = 0 ] ||
	fails+=("rmmod vgc failed: $(cat "$res/rmmod-debug.log" 2>/dev/null)")

t_total=$(($(date +%s) - t0))
say "kernel $krel: tests run $((tp + tf + ts)) ($tp passed, $tf failed, $ts skipped)," \
    "fuzz operations $fuzz_ops, faults injected $faults, reports $reports"
say "time: kernel ${t_kernel}s, module ${t_module}s, VM ${t_vm}s" \
    "($(cat "$res/phases" 2>/dev/null | tr '\n' ' ')), total ${t_total}s"
if [ ${#fails[@]} -gt 0 ]; then
	for f in "${fails[@]}"; do say "FAIL: $f"; done
	say "results in $res"
	exit 1
fi
if [ -n "${DEBUG_STOCK_KERNEL:-}" ]; then
	say "PASS (dry run on a stock kernel: no KASAN, KFENCE, lockdep, kmemleak or fault injection)"
else
	say "PASS"
fi
