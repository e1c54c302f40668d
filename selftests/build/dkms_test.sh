#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms builds vgc.ko from the source tree that "make dkms-install" would
# install, for every kernel of KVERS (default: Debian 6.1 and 6.12), in a
# private dkms tree under build/dkms, and the module carries the project's
# version.  Nothing is installed.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
echo "TAP version 13"
echo "1..1"
if ! command -v dkms >/dev/null; then
	tap_skip "dkms build of vgc.ko" "dkms is not installed (make deps)"
	tap_done
	exit
fi
out=$(mk dkms-check 2>&1)
rc=$?
echo "$out" | grep -E '^dkms-check|rror' | sed 's/^/# /'
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
echo "# $(grep -c '^dkms-check: ' <<<"$out") kernels built"
tap_ok $rc "dkms build of vgc.ko for every kernel of KVERS"
tap_done
