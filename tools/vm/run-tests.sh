#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh [--host] [--timeout S] [--filter SUBSTR[,SUBSTR...]] [--counts FILE]
#              [--label NAME] [--build DIR]
#
# Runs the selftests and reports TAP.  In the VM (default): every
# build/selftests/kmod/* test, then every build/selftests/lib/* test with
# VGC_BACKEND=module; after each one the kernel log is scanned for splats and
# the module's counters must be back to 0.  With --host: the lib tests only,
# with VGC_BACKEND=anon.
#
# Counts are kselftest test cases (the harness's "Totals" line); a binary
# that crashes, times out, leaves a splat or a leak counts one more failure.
# The counts file ("passed failed skipped") is rewritten after every test so
# that a VM that dies half way still reports what ran.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$here/../.." && pwd)/build
host=
timeout_s=${VGC_TEST_TIMEOUT:-300}
filter=
counts=
label=

while [ $# -gt 0 ]; do
	case $1 in
	--host) host=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--counts) counts=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) echo "run-tests: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$label" ]; then
	if [ -n "$host" ]; then label=host; else label=vm-$(uname -r); fi
fi
if [ -z "$counts" ] && [ -z "$host" ] && [ -n "${VGC_VM_RESULTS:-}" ]; then
	counts=$VGC_VM_RESULTS/counts
fi

# Every selftests/<dir>/*_test.c is a test: one whose binary is missing did
# not build and fails, rather than silently vanishing from the count.
src=$(cd "$here/../.." && pwd)/selftests
tests=()
# A filter "a,b" picks the tests that contain a or b.
matches() {
	local alt
	[ -n "$filter" ] || return 0
	IFS=, read -ra alts <<<"$filter"
	for alt in "${alts[@]}"; do
		[[ "$1" == *"$alt"* ]] && return 0
	done
	return 1
}
add_tests() {
	local f name
	for f in "$src/$1"/*_test.c; do
		[ -f "$f" ] || continue
		name=$1/$(basename "$f" .c)
		matches "$name" || continue
		tests+=("$name")
	done
}
[ -n "$host" ] || add_tests kmod
add_tests lib

passed=0
failed=0
skipped=0
write_counts() {
	[ -n "$counts" ] && echo "$passed $failed $skipped" >"$counts"
	return 0
}
write_counts

counters=$build/selftests/vgc-counters
if [ -z "$host" ]; then
	if [ ! -x "$counters" ]; then
		echo "run-tests: $counters missing (make selftests)" >&2
		failed=$((failed + 1)); write_counts
	fi
	if [ ! -e /dev/vgc ]; then
		echo "run-tests: /dev/vgc missing: is vgc.ko loaded?" >&2
		failed=$((failed + 1)); write_counts
	fi
fi

echo "TAP version 13"
echo "1..${#tests[@]}"
n=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${tests[@]}"; do
	n=$((n + 1))
	case $t in
	lib/*) if [ -n "$host" ]; then be=anon; else be=module; fi ;;
	*) be= ;;
	esac
	if [ -z "$host" ]; then
		echo "vgc-test: start $t" >/dev/kmsg
		before=$(dmesg | wc -l)
	fi
	start=$(date +%s.%N)
	echo "# $t"
	if [ ! -x "$build/selftests/$t" ]; then
		failed=$((failed + 1)); write_counts
		echo "not ok $n $t # not built"
		continue
	fi
	VGC_BACKEND=${be:-${VGC_BACKEND:-}} timeout -k 5 "$timeout_s" \
		"$build/selftests/$t" 2>&1 | tee "$log" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")

	reasons=()
	tot=$(grep -oE 'Totals: pass:[0-9]+ fail:[0-9]+ xfail:[0-9]+ xpass:[0-9]+ skip:[0-9]+ error:[0-9]+' "$log" | tail -n1)
	if [ -n "$tot" ]; then
		read -r p f s e < <(sed -E 's/.*pass:([0-9]+) fail:([0-9]+) .* skip:([0-9]+) error:([0-9]+)/\1 \2 \3 \4/' <<<"$tot")
		passed=$((passed + p))
		failed=$((failed + f + e))
		skipped=$((skipped + s))
		[ "$f" -eq 0 ] && [ "$e" -eq 0 ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] &&
			{ reasons+=("exit $rc"); failed=$((failed + 1)); }
		[ "$f" -ne 0 ] || [ "$e" -ne 0 ] && reasons+=("$f failed")
	elif [ "$rc" -eq 4 ]; then
		skipped=$((skipped + 1))
	elif [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			reasons+=("timeout ${timeout_s}s")
		else
			reasons+=("exit $rc")
		fi
	fi

	if [ -z "$host" ]; then
		if splat=$(dmesg | tail -n +"$((before + 1))" | "$here/dmesg-scan.sh"); then
			:
		else
			printf '# dmesg: %s\n' "${splat//$'\n'/$'\n'# dmesg: }"
			reasons+=("kernel splat")
			failed=$((failed + 1))
		fi
		if [ -x "$counters" ] && ! c=$("$counters" --wait-zero 5 2>&1); then
			echo "# counters not back to 0: $c"
			reasons+=("leak: $c")
			failed=$((failed + 1))
		fi
	fi
	write_counts
	if [ ${#reasons[@]} -eq 0 ]; then
		if [ "$rc" -eq 4 ] && [ -z "$tot" ]; then
			echo "ok $n $t # SKIP (${secs}s)"
		else
			echo "ok $n $t # ${secs}s"
		fi
	else
		r=$(IFS=';'; echo "${reasons[*]}")
		echo "not ok $n $t # ${r//;/, } (${secs}s)"
	fi
done

echo "# $label: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
