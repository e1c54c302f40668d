#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgc-bench alloc --quick: both tables (alloc + free by size against the
# mallocs, alloc + deferred free against call_rcu) complete, every row
# carries its check value, no object was clobbered and the sums agree.
# Not a timed test: the numbers are not looked at.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
bench=$top/build/tools/vgc-bench
export VGC_BACKEND=anon
echo "TAP version 13"
echo "1..5"
out=$(mk "$bench" 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "vgc-bench builds"

out=$(timeout 300 "$bench" alloc --quick 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
tap_ok $rc "vgc-bench alloc --quick exits 0"

# 9 sizes: every VGC row has a check value (8 hex digits), no BAD
rows=$(grep -cE '^ *[0-9]+K? vgc .* [0-9a-f]{8}$' <<<"$out")
[ "$rows" = 9 ] && ! grep -q ' BAD ' <<<"$out"
tap_ok $? "alloc + free: 9 VGC rows with check values, none BAD (got $rows)"

# deferred: VGC with the pacer and the driver, 1 and 2 threads, checked
rows=$(grep -cE '^vgc\+(pacer|driver) +[12]t .* [0-9a-f]{16}$' <<<"$out")
[ "$rows" = 4 ]
tap_ok $? "alloc + deferred free: 4 VGC rows with checksums (got $rows)"

grep -q '^objects clobbered or sums differing: 0$' <<<"$out" &&
	grep -qE '^checksum: [0-9a-f]{16}$' <<<"$out"
tap_ok $? "no object clobbered, sums agree, checksum printed"
tap_done
