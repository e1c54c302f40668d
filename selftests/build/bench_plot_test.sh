#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgc-bench --plot DIR: the chart is rendered in DIR whatever its name
# (quotes, spaces and a shell command in it run nothing), a missing
# gnuplot leaves the data and the script with a hint, and a gnuplot that
# fails is reported.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
bench=$top/build/tools/vgc-bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VGC_BACKEND=anon
echo "TAP version 13"
echo "1..4"
out=$(mk "$bench" 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "vgc-bench builds"

# stderr (the plot messages) only
# shellcheck disable=SC2069
plot() {
	(cd "$tmp" && "$bench" alloc --ops 20000 --reps 1 --only vgc,glibc \
		--plot "$1" 2>&1 >/dev/null)
}

dir="$tmp/a b'; touch pwned; echo \$(touch pwned2) '"
if command -v gnuplot >/dev/null; then
	out=$(plot "$dir")
	rc=$?
	echo "$out" | sed 's/^/# /'
	[ $rc = 0 ] && [ -s "$dir/alloc.svg" ] && [ ! -e "$tmp/pwned" ] &&
		[ ! -e "$tmp/pwned2" ] && [ ! -e "$dir/pwned" ]
	tap_ok $? "--plot renders alloc.svg in a directory named like a command"
else
	tap_skip "--plot renders alloc.svg" "gnuplot is not installed (tools/deps.sh)"
fi

out=$(PATH=$tmp/none plot "$tmp/nognuplot")
echo "$out" | sed 's/^/# /'
[ -s "$tmp/nognuplot/alloc.dat" ] && [ -s "$tmp/nognuplot/alloc.gp" ] &&
	grep -q "gnuplot not installed" <<<"$out"
tap_ok $? "without gnuplot the data and the script stay, with a hint"

mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexit 3\n' >"$tmp/bin/gnuplot"
chmod +x "$tmp/bin/gnuplot"
out=$(PATH=$tmp/bin plot "$tmp/failing")
echo "$out" | sed 's/^/# /'
grep -q "gnuplot exited with 3" <<<"$out"
tap_ok $? "a gnuplot that fails is reported with its exit status"
tap_done
