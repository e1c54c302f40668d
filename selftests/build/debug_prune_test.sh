#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/debug-kernel/prune.sh on a cache of fake trees: it keeps this run's
# key, the newest other finished tree and any tree a run holds in use;
# removes older and unfinished trees and nothing that is not a key; prunes
# nothing while another run holds the build lock; refuses bad arguments.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
echo "TAP version 13"
echo "1..8"

prune=$top/tools/debug-kernel/prune.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cur=00000000000000cc
k1=1111111111111111 k2=2222222222222222 k3=3333333333333333
k4=4444444444444444 kx=aaaaaaaaaaaaaaaa

# A cache: k1..k4 finished, done stamped an hour apart (k4 newest), kx
# unfinished, this run's key, and two entries that are not keys.
mkcache() {
	local i=1 k
	rm -rf "$work/c"
	mkdir -p "$work/c/notes" "$work/c/$cur/linux"
	touch "$work/c/$cur/done" "$work/c/README"
	for k in $k1 $k2 $k3 $k4; do
		mkdir -p "$work/c/$k/linux"
		head -c 65536 /dev/zero >"$work/c/$k/linux/vmlinux"
		echo "built" >"$work/c/$k/done"
		touch -d "@$(( $(date +%s) - 3600 * (5 - i) ))" "$work/c/$k/done"
		i=$((i + 1))
	done
	mkdir -p "$work/c/$kx/linux"
}

# diag TEXT: TEXT as TAP comment lines.
diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$1"; }

# present K...: every K's directory is there; absent K...: none is.
present() { local k; for k; do [ -d "$work/c/$k" ] || return 1; done; }
absent() { local k; for k; do [ ! -e "$work/c/$k" ] || return 1; done; }

mkcache
out=$("$prune" "$work/c" $cur 2>&1)
rc=$?
diag "$out"
present $cur $k4 notes && [ -f "$work/c/README" ] && absent $k1 $k2 $k3 $kx
tap_ok $(( rc | $? )) "keeps this run's key and the newest other one, removes the rest"
echo "$out" | grep -q "4 trees removed"
tap_ok $? "says how many trees it removed"

mkcache
out=$(VGC_DEBUG_KERNEL_KEEP=3 "$prune" "$work/c" $cur 2>&1)
rc=$?
present $cur $k4 $k3 && absent $k1 $k2 $kx
tap_ok $(( rc | $? )) "VGC_DEBUG_KERNEL_KEEP=3 keeps two others"

# prune_held MODE FILE: prune.sh's output while this shell holds FILE's
# lock (MODE -s shared, -x exclusive), as another run would.
prune_held() {
	local out rc

	exec 5>"$2"
	flock "$1" 5
	out=$("$prune" "$work/c" $cur 2>&1)
	rc=$?
	exec 5>&-
	echo "$out"
	return $rc
}

# A run holding k2 in use (as check-debug.sh does during its VM).
mkcache
out=$(prune_held -s "$work/c/$k2.inuse")
rc=$?
diag "$out"
present $cur $k4 $k2 && absent $k1 $k3 $kx && echo "$out" | grep -q "kept $k2: in use"
tap_ok $(( rc | $? )) "a tree in use by another run is kept"

# Another run building: the build lock is held, nothing is touched.
mkcache
out=$(prune_held -x "$work/c/.lock")
rc=$?
present $cur $k1 $k2 $k3 $k4 $kx && echo "$out" | grep -q "not pruning"
tap_ok $(( rc | $? )) "prunes nothing while another run holds the build lock"

mkcache
"$prune" "$work/c" 2>/dev/null
rc1=$?
"$prune" "$work/nowhere" $cur 2>/dev/null
rc2=$?
"$prune" "$work/c" ../../etc 2>/dev/null
rc3=$?
[ $rc1 = 2 ] && [ $rc2 = 2 ] && [ $rc3 = 2 ] && present $k1 $k2 $k3 $k4 $kx
tap_ok $? "missing key, missing cache, a key that is a path: exit 2, nothing removed"

bad_rc=0
for bad in 0 x -1 1000; do
	VGC_DEBUG_KERNEL_KEEP=$bad "$prune" "$work/c" $cur 2>/dev/null
	[ $? = 2 ] || bad_rc=1
done
present $k1 $k2 $k3 $k4 $kx
tap_ok $(( bad_rc | $? )) "VGC_DEBUG_KERNEL_KEEP of 0, x, -1, 1000: exit 2, nothing removed"

# An empty cache (first run on a machine): nothing to do, exit 0.
rm -rf "$work/c" && mkdir -p "$work/c"
"$prune" "$work/c" $cur 2>/dev/null
tap_ok $? "an empty cache: exit 0"

tap_done
