#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dmesg-scan.sh [FILE...]
#
# Prints the kernel log lines (from FILE or stdin) that report a bug: BUG,
# WARNING, oops, bad page, KASAN/KFENCE/UBSAN reports, kmemleak leaks,
# lockdep splats, RCU stalls, hung tasks.  Exits 1 when there is any.
set -uo pipefail

BAD='BUG:|WARNING:|Oops|general protection fault|kernel BUG at|Bad page|KASAN|KFENCE|UBSAN:|kmemleak|possible circular locking|inconsistent lock state|possible recursive locking|lockdep|detected stall|self-detected stall|rcu_.* stall|blocked for more than [0-9]+ seconds|Kernel panic'
# Lines that contain a pattern word but report no bug.
BENIGN='RCU lockdep checking is enabled|kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic memory scanning thread started'
BENIGN="$BENIGN|kmemleak: Cannot allocate a scan area|kmemleak: Automatic memory scanning thread ended"

hits=$(cat "$@" | grep -E "$BAD" | grep -vE "$BENIGN")
if [ -n "$hits" ]; then
	printf '%s\n' "$hits"
	exit 1
fi
exit 0
