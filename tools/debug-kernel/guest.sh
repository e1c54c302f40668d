#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh: the job of the debug VM (see check-debug.sh), run by vgc-vm in
# the guest with vgc.ko loaded.  Writes into $VGC_VM_RESULTS:
#   counts        selftests "passed failed skipped" (run-tests.sh)
#   tests.log     their TAP output
#   fuzz.log/.rc  the bounded vgc-fuzz run
#   idle.log/.rc  module counters back to 0 after everything
#   rmmod-debug.rc/.log
#   kmemleak.txt  kmemleak's report after rmmod and two scans
#   phases        seconds per phase
# The exit status is 0 when every step passed; the host judges the kernel
# log and the files.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$top/build
R=${VGC_VM_RESULTS:?run by vgc-vm}
KL=/sys/kernel/debug/kmemleak
status=0

phase() {
	echo "$1 $(($(date +%s) - pstart))s" >>"$R/phases"
	pstart=$(date +%s)
}
# Notes go to the kernel log as well, as markers; they must not contain
# the words that dmesg-scan.sh looks for.
note() { echo "debug-guest: $*"; echo "debug-guest: $*" >/dev/kmsg; }

: >"$R/phases"
pstart=$(date +%s)
if [ ! -w "$KL" ]; then
	note "no leak detector in debugfs: not the debug kernel${VGC_DEBUG_STOCK:+ (dry run on a stock kernel)}"
	[ -n "${VGC_DEBUG_STOCK:-}" ] || status=1
else
	# Only our explicit scans; boot-time objects are not ours to judge.
	echo scan=off >"$KL"
	echo scan >"$KL"
	echo clear >"$KL"
fi
# check-debug.sh forgives the baseline scan's leak line before this marker.
note "baseline done"
note "kernel $(uname -r), $(nproc) CPUs, $(grep MemTotal /proc/meminfo)"
phase baseline

if [ "${VGC_DEBUG_TESTS:-}" = none ]; then
	echo "0 0 0" >"$R/counts"
	: >"$R/tests.log"
else
	"$top/tools/vm/run-tests.sh" --timeout "${VGC_TEST_TIMEOUT:-900}" \
		--filter "${VGC_DEBUG_TESTS:-}" --label debug-kernel \
		--counts "$R/counts" 2>&1 | tee "$R/tests.log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
phase selftests

note "vgc-fuzz --seeds ${VGC_FUZZ_SEEDS:-1-60} --ops ${VGC_FUZZ_OPS:-2000} --time ${VGC_FUZZ_TIME:-300}"
"$build/tools/vgc-fuzz" --seeds "${VGC_FUZZ_SEEDS:-1-60}" --ops "${VGC_FUZZ_OPS:-2000}" \
	--time "${VGC_FUZZ_TIME:-300}" >"$R/fuzz.log" 2>&1
echo $? >"$R/fuzz.rc"
tail -n 80 "$R/fuzz.log"
[ "$(cat "$R/fuzz.rc")" = 0 ] || status=1
phase fuzz

"$build/tools/vgc-fuzz" --check-idle --wait 20 >"$R/idle.log" 2>&1
echo $? >"$R/idle.rc"
cat "$R/idle.log"
[ "$(cat "$R/idle.rc")" = 0 ] || status=1
note "module refcnt $(cat /sys/module/vgc/refcnt 2>/dev/null)"

rmmod vgc >"$R/rmmod-debug.log" 2>&1
echo $? >"$R/rmmod-debug.rc"
[ "$(cat "$R/rmmod-debug.rc")" = 0 ] || { note "rmmod failed: $(cat "$R/rmmod-debug.log")"; status=1; }
phase rmmod

# kmemleak reports objects older than 5 s that nothing points to; two scans
# apart settle the grey ones.
if [ -w "$KL" ]; then
	sleep 6
	echo scan >"$KL"
	sleep 6
	echo scan >"$KL"
	cat "$KL" >"$R/kmemleak.txt"
	n=$(grep -c '^unreferenced object' "$R/kmemleak.txt")
	note "leak scan after rmmod: $n unreferenced objects"
	[ "$n" -eq 0 ] || { head -n 60 "$R/kmemleak.txt"; status=1; }
fi
phase kmemleak
exit $status
