#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh KVER: what "make run" shows.  The module demo runs in a VM on
# Debian KVER (vgc.ko loaded, the demo bound to each NUMA node in turn);
# the PPE paper tables run here, on the host's real CPUs, because the
# guest's CPU is emulated (TCG) on these machines and its timings say
# nothing about PPE.  Ends with a summary a newcomer can read.
set -uo pipefail

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
tools=$top/build/tools
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

"$top/tools/vm/vgc-vm" --kernel "$kver" --module "$top/build/kmod/$kver/vgc.ko" \
	--rmmod --timeout 1200 -- "$top/tools/vm/run-demo.sh" 2>&1 | tee "$log/vm"
vm_rc=${PIPESTATUS[0]}

paper_rc=0
if [ -x "$tools/vgc-bench" ]; then
	echo
	echo "=== vgc-bench paper, on this machine's CPUs (anonymous backend)"
	VGC_BACKEND=anon "$tools/vgc-bench" paper 2>&1 | tee "$log/paper"
	paper_rc=${PIPESTATUS[0]}
else
	echo "=== vgc-bench did not build: no PPE tables" | tee "$log/paper"
fi

accel=$(sed -n 's/^vgc-vm: kernel [^,]*, \([a-z]*\),.*/\1/p' "$log/vm" | tail -n 1)
demos=$(grep -c '^=== numactl --cpunodebind' "$log/vm")
vfail=$(grep -c '^=== FAILED' "$log/vm")
met=$(sed -n 's/^targets met \([0-9]* of [0-9]*\); checksum mismatches \([0-9]*\).*/\1, checksum mismatches \2/p' "$log/paper" | head -n 1)
load=$(sed -n 's/^load average \([0-9.]*\) at start.*/\1/p' "$log/paper" | head -n 1)

echo
echo "=== summary"
echo "module:  vgc.ko on Debian $kver in a ${accel:-?} VM, demo on $demos NUMA node(s), $vfail step(s) failed, VM exit $vm_rc"
echo "PPE:     paper tables on $(nproc) host CPU(s), targets met ${met:-?}${load:+, load average $load at start}"
if [ "$vm_rc" = 0 ] && [ "$vfail" = 0 ] && [ "$paper_rc" = 0 ]; then
	echo "result:  OK"
	exit 0
fi
echo "result:  FAILED (see above)"
exit 1
