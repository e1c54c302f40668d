#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's commands on a machine that has no kernels yet.  A stub deps
# step "installs" a kernel into a fake module tree while make runs, as
# tools/deps.sh does on a fresh Debian machine: make run must find it (it
# used to resolve the kernel before the deps step and fail the first time),
# and a kernel that is not installed must be an error for make module and
# make modules_install, not "nothing to be done".
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/modules"
cat >"$tmp/deps" <<STUB
#!/bin/sh
mkdir -p "$tmp/modules/6.12.99+deb12-amd64/build"
touch "$tmp/modules/6.12.99+deb12-amd64/build/Makefile"
STUB
chmod +x "$tmp/deps"

echo "TAP version 13"
echo "1..4"

out=$(mk run RUN_DRY=1 DEPS="$tmp/deps" MODULES_ROOT="$tmp/modules" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] && grep -q "^run: kernel 6.12.99+deb12-amd64 " <<<"$out"
tap_ok $? "make run finds the kernel that its deps step installed"

rm -rf "$tmp/modules"/*
out=$(mk run RUN_DRY=1 DEPS=true MODULES_ROOT="$tmp/modules" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] && grep -q "no Debian 6.12 kernel" <<<"$out"
tap_ok $? "make run without a kernel says so and fails"

out=$(mk module KVERS=6.5 MODULES_ROOT="$tmp/modules" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 2 ] && grep -q "no kernel headers for KVERS=6.5" <<<"$out"
tap_ok $? "make module for a kernel that is not installed fails"

out=$(mk modules_install KVERS=6.5 MODULES_ROOT="$tmp/modules" \
	DESTDIR="$tmp/dest" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] && [ ! -e "$tmp/dest" ]
tap_ok $? "make modules_install for a kernel that is not installed fails"

tap_done
