#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sum-counts.sh FILE...
#
# Sums "passed failed skipped" lines and prints the closing line of
# "make check".  Fails when anything failed or nothing ran at all.
set -uo pipefail

p=0 f=0 s=0
for c in "$@"; do
	[ -f "$c" ] || continue
	read -r a b d <"$c" || continue
	p=$((p + a)); f=$((f + b)); s=$((s + d))
done
if [ $((p + f + s)) -eq 0 ]; then
	f=1
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
