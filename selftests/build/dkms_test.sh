#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms builds vgc.ko from the source tree that "make dkms-install" would
# install, for every kernel of KVERS (default: Debian 6.1 and 6.12), in a
# private dkms tree under build/dkms, and the module carries the project's
# version.  Nothing is installed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

echo "TAP version 13"
echo "1..1"
if ! command -v dkms >/dev/null; then
	echo "ok 1 # SKIP dkms is not installed (make deps)"
	exit 0
fi
out=$(env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	make -C "$top" --no-print-directory dkms-check 2>&1)
rc=$?
echo "$out" | grep -E '^dkms-check|rror' | sed 's/^/# /'
if [ $rc = 0 ]; then
	echo "ok 1 dkms build of vgc.ko for $(grep -c '^dkms-check: ' <<<"$out") kernels"
else
	echo "$out" | tail -n 20 | sed 's/^/# /'
	echo "not ok 1 dkms build of vgc.ko"
fi
[ $rc = 0 ]
