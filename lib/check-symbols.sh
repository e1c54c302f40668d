#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-symbols.sh [SO]
#
# The exported ABI of libvgcu, three ways that must agree:
#   * the functions the public headers lib/include/*.h declare (extern,
#     as the compiler sees them: gcc -aux-info),
#   * the names lib/libvgcu.map lists, each node sorted, without
#     wildcards (the local: * catch-all aside),
#   * what the shared object exports (nm -D), every symbol at a version
#     of the map, and its soname libvgcu.so.1.
# Prints one TAP line per check and fails when any check fails.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
so=${1:-$top/build/lib/libvgcu.so}
map=$top/lib/libvgcu.map
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

check() {	# check NAME FILE-WITH-PROBLEMS
	n=$((n + 1))
	if [ -s "$2" ]; then
		echo "not ok $n symbols: $1"
		sed 's/^/#   /' "$2"
		fails=$((fails + 1))
	else
		echo "ok $n symbols: $1"
	fi
}

# The map without comments: the names of the global: parts, the versions.
sed -e 's,/\*.*\*/,,' -e '/\/\*/,/\*\//d' "$map" >"$tmp/map.txt"
awk '/global:/ { g = 1; next } /local:/ { g = 0 } /}/ { g = 0 }
     g && NF { sub(/;$/, "", $1); print $1 }' "$tmp/map.txt" >"$tmp/map.names"
# the same, one "node name" per line: each node is sorted on its own
awk '/^[A-Z][A-Z0-9_.]* *\{/ { v = $1 } /global:/ { g = 1; next }
     /local:/ { g = 0 } /}/ { g = 0 }
     g && NF { sub(/;$/, "", $1); print v, $1 }' "$tmp/map.txt" >"$tmp/map.nodes"
grep -oE '^[A-Z][A-Z0-9_.]* *\{' "$tmp/map.txt" | tr -d ' {' >"$tmp/map.versions"

for h in "$top"/lib/include/*.h; do
	echo "#include \"$h\""
done >"$tmp/all.c"
if ! $cc -D_GNU_SOURCE -I"$top/uapi" -I"$top/lib/include" -fsyntax-only \
	-aux-info "$tmp/aux" "$tmp/all.c" 2>"$tmp/cc.err"; then
	cat "$tmp/cc.err"
	echo "not ok 1 symbols: the public headers do not compile"
	exit 1
fi
grep -F "/* $top/lib/include/" "$tmp/aux" | grep -F ' */ extern ' |
	sed -e 's/^.*\*\/ extern //' -e 's/ (.*//' -e 's/.*[ *]//' |
	LC_ALL=C sort -u >"$tmp/hdr"

if [ ! -f "$so" ]; then
	echo "not ok 1 symbols: $so not built"
	exit 1
fi
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' >"$tmp/so.versioned"
sed 's/@.*//' "$tmp/so.versioned" | LC_ALL=C sort >"$tmp/so"

# 1: each node of the map is a sorted list of names, no wildcard, no
# name twice in the whole map
{
	grep -n '[*?[]' "$tmp/map.names" | sed 's/^/wildcard: /'
	LC_ALL=C sort -c -s -k1,1 -k2,2 "$tmp/map.nodes" 2>&1 |
		sed 's/^.*disorder: /out of order: /'
	LC_ALL=C sort "$tmp/map.names" | uniq -d | sed 's/^/twice: /'
} >"$tmp/p1"
check "lib/libvgcu.map is sorted and explicit" "$tmp/p1"

LC_ALL=C sort -u "$tmp/map.names" >"$tmp/map.sorted"
LC_ALL=C comm -23 "$tmp/hdr" "$tmp/map.sorted" |
	sed 's/^/declared in lib\/include but not in the map: /' >"$tmp/p2"
LC_ALL=C comm -13 "$tmp/hdr" "$tmp/map.sorted" |
	sed 's/^/in the map but declared in no public header: /' >>"$tmp/p2"
check "public headers and lib/libvgcu.map list the same functions" "$tmp/p2"

LC_ALL=C comm -23 "$tmp/so" "$tmp/map.sorted" |
	sed 's/^/exported but not in the map: /' >"$tmp/p3"
LC_ALL=C comm -13 "$tmp/so" "$tmp/map.sorted" |
	sed 's/^/in the map but not exported: /' >>"$tmp/p3"
check "$(basename "$so") exports exactly lib/libvgcu.map" "$tmp/p3"

{
	grep -vE "@@?($(paste -sd'|' "$tmp/map.versions" | sed 's/\./\\./g'))\$" \
		"$tmp/so.versioned" | sed 's/^/not at a version of the map: /'
	soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
	[ "$soname" = libvgcu.so.1 ] || echo "soname $soname, not libvgcu.so.1"
} >"$tmp/p4"
check "versioned $(paste -sd' ' "$tmp/map.versions"), soname libvgcu.so.1" "$tmp/p4"

echo "# symbols: $(wc -l <"$tmp/map.sorted") functions; $((n - fails)) of $n checks passed"
[ "$fails" -eq 0 ]
