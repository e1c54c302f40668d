# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by selftests/build/*_test.sh: TAP results and a make of our own.
# Sets $top (the source tree); tap_ok RC DESCRIPTION counts one case,
# tap_skip DESCRIPTION WHY one skipped case; tap_done prints the harness's
# Totals line and returns the verdict.

top=$(cd "$(dirname "$0")/../.." && pwd)
tap_n=0
tap_fails=0
tap_skips=0

tap_ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n $2"
	else
		echo "not ok $tap_n $2"
		tap_fails=$((tap_fails + 1))
	fi
}

tap_skip() {
	tap_n=$((tap_n + 1))
	tap_skips=$((tap_skips + 1))
	echo "ok $tap_n $1 # SKIP $2"
}

tap_done() {
	echo "# Totals: pass:$((tap_n - tap_fails - tap_skips)) fail:$tap_fails xfail:0 xpass:0 skip:$tap_skips error:0"
	[ $tap_fails = 0 ]
}

# A make of our own, not a sub-make of whatever runs the test.
mk() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$top" --no-print-directory "$@"
}
