#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgc-bench preload --quick: every real program either prints its table
# with the same output hash under every allocator or says why it was
# skipped, VGC served the libvgcmalloc runs (statistics read back, glibc
# served nothing), and the fork cost table has its three heaps.  Bad
# options and a missing allocator are reported, not ignored.  Not a timed
# test: the numbers are not looked at.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
bench=$top/build/tools/vgc-bench
export VGC_BACKEND=anon VGC_STATFILE=0
echo "TAP version 13"
echo "1..7"
out=$(mk "$bench" malloc 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "vgc-bench and libvgcmalloc.so build"

out=$(timeout 300 "$bench" preload --quick 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
tap_ok $rc "vgc-bench preload --quick exits 0"

# python gcc git sqlite xfree: a table each, or a reason to skip it
progs=$(grep -cE '^(python|gcc|git|sqlite|xfree): ' <<<"$out")
tables=$(grep -cE '^  output hash [0-9a-f]{16}: the same in every run' <<<"$out")
skipped=$(grep -cE '^  skipped: ' <<<"$out")
[ "$progs" = 5 ] && [ $((tables + skipped)) = 5 ] && [ "$tables" -ge 3 ] &&
	! grep -q 'DIFFER' <<<"$out"
tap_ok $? "5 programs: $tables with equal output hashes, $skipped skipped"

served=$(grep -cE '^  VGC served [1-9][0-9]* allocations in [1-9][0-9]* processes .*glibc served 0, fallbacks 0: ok$' <<<"$out")
[ "$served" = "$tables" ]
tap_ok $? "VGC served every libvgcmalloc run ($served of $tables)"

rows=$(grep -cE '^ +16  (malloc|VGC).* [0-9.]+ +[0-9.]+$' <<<"$out")
[ "$rows" = 3 ] && grep -q '^errors: 0$' <<<"$out" &&
	grep -qE '^checksum: [0-9a-f]{16}$' <<<"$out"
tap_ok $? "fork table: 3 heaps of 16 MiB, no errors, checksum (got $rows rows)"

out=$("$bench" preload --only nosuch 2>&1)
rc=$?
[ $rc = 2 ] && grep -q 'no such program' <<<"$out"
tap_ok $? "--only nosuch: exit 2 and a clear error"

out=$("$bench" preload --quick --only xfree --vgcmalloc /nonexistent.so 2>&1)
rc=$?
[ $rc = 0 ] && grep -qE '^  vgcmalloc +skipped: /nonexistent.so missing' <<<"$out" &&
	grep -qE '^  glibc ' <<<"$out"
tap_ok $? "a missing allocator is reported as skipped, the others run"
tap_done
