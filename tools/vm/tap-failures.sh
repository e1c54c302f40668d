#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-failures.sh FILE N
#
# The first N lines of a kselftest TAP log (a guest console or a test log)
# that say what failed and where: failed tests, at any nesting depth, the
# harness's "Expected" lines and terminated tests.  CI keeps only the tail
# of its log, so check-vm.sh and check-debug.sh repeat them by their verdict.
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: tap-failures.sh FILE N" >&2; exit 2; }
tr -d '\r' 2>/dev/null <"$1" |
	grep -E '^not ok |^# not ok |Expected |Test terminated' |
	head -n "$2"
exit 0
