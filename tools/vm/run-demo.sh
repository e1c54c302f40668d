#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-demo.sh: what "make run" shows inside the VM, with vgc.ko loaded:
# the module's version, the vgcctl demo bound to each NUMA node in turn,
# and the module's counters.  The PPE tables run on the host (tools/run.sh):
# the guest's CPU is emulated and its timings mean nothing for PPE.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tools=$(cd "$here/../.." && pwd)/build/tools
rc=0

step() {
	echo
	echo "=== $*"
	"$@" || { echo "=== FAILED (exit $?): $*"; rc=1; }
}

step "$tools/vgcctl" version
nodes=$(numactl --hardware | sed -n 's/^available: \([0-9]*\) nodes.*/\1/p')
for ((n = 0; n < ${nodes:-1}; n++)); do
	step numactl --cpunodebind=$n --membind=$n "$tools/vgcctl" demo
done
step "$here/vgcctl-demo.sh"
step "$tools/vgcctl" stats
exit $rc
