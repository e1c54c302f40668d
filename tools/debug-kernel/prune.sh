#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# prune.sh CACHE KEY: remove the debug-kernel trees of build.sh's cache that
# no run needs any more.  Every change to build.sh or a config fragment
# makes a new key and leaves the old tree behind, 2-2.5 GB each.
#
# Kept: KEY (the tree this run uses), the newest other finished trees up to
# $VGC_DEBUG_KERNEL_KEEP trees in all (default 2: a checkout one change
# behind still finds its tree), and every tree whose CACHE/<key>.inuse a
# run holds with flock -s (check-debug.sh does, from before build.sh until
# its VM is done).  Removed: older finished trees and unfinished ones (a
# build that failed or was killed; none is running while the build lock is
# held).  Only entries named like build.sh's keys (16 hex digits) are ever
# touched.  When another run holds the build lock, nothing is pruned.
#
# Exit: 0 (pruned or nothing to do), 2 on bad arguments.
set -euo pipefail

say() { echo "debug-kernel: prune: $*" >&2; }
usage() { echo "usage: $0 CACHE KEY (VGC_DEBUG_KERNEL_KEEP=N, N >= 1)" >&2; exit 2; }

[ $# -eq 2 ] || usage
cache=$1
current=$2
keep=${VGC_DEBUG_KERNEL_KEEP:-2}
[ -d "$cache" ] || { say "$cache: not a directory"; exit 2; }
[[ $current =~ ^[0-9a-f]{16}$ ]] || { say "key '$current' is not 16 hex digits"; exit 2; }
[[ $keep =~ ^[1-9][0-9]{0,2}$ ]] || { say "VGC_DEBUG_KERNEL_KEEP='$keep' is not 1..999"; exit 2; }

exec 9>"$cache/.lock"
if ! flock -n 9; then
	say "another run holds the build lock; not pruning"
	exit 0
fi

# other K: K is one of build.sh's keys, not this run's.
other() { [[ $1 =~ ^[0-9a-f]{16}$ ]] && [ "$1" != "$current" ]; }

# Finished trees other than KEY, newest first; unfinished ones apart.
finished=()
unfinished=()
stamped=()
for d in "$cache"/*/; do
	k=$(basename "$d")
	other "$k" || continue
	if [ -f "$d/done" ]; then
		stamped+=("$(stat -c %Y "$d/done") $k")
	else
		unfinished+=("$k")
	fi
done
[ ${#stamped[@]} -eq 0 ] ||
	mapfile -t finished < <(printf '%s\n' "${stamped[@]}" | sort -rn | cut -d' ' -f2)

victims=("${unfinished[@]}")
for ((i = keep - 1; i < ${#finished[@]}; i++)); do
	victims+=("${finished[i]}")
done

removed=0
freed=0
for k in "${victims[@]}"; do
	exec 8>"$cache/$k.inuse"
	if ! flock -n -x 8; then
		say "kept $k: in use by another run"
		exec 8>&-
		continue
	fi
	mib=$(du -sm "$cache/$k" | cut -f1)
	rm -rf "${cache:?}/$k"
	rm -f "$cache/$k.inuse"
	exec 8>&-
	say "removed $k ($mib MiB)"
	removed=$((removed + 1))
	freed=$((freed + mib))
done
case $removed in
0) ;;
1) say "1 tree removed, $freed MiB freed" ;;
*) say "$removed trees removed, $freed MiB freed" ;;
esac
exit 0
