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
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fails=$((fails + 1))
	fi
}

# A make of our own, not a sub-make of whatever runs this test.
mk() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$top" --no-print-directory "$@"
}

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
ok $? "make run finds the kernel that its deps step installed"

rm -rf "$tmp/modules"/*
out=$(mk run RUN_DRY=1 DEPS=true MODULES_ROOT="$tmp/modules" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] && grep -q "no Debian 6.12 kernel" <<<"$out"
ok $? "make run without a kernel says so and fails"

out=$(mk module KVERS=6.5 MODULES_ROOT="$tmp/modules" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 2 ] && grep -q "no kernel headers for KVERS=6.5" <<<"$out"
ok $? "make module for a kernel that is not installed fails"

out=$(mk modules_install KVERS=6.5 MODULES_ROOT="$tmp/modules" \
	DESTDIR="$tmp/dest" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc != 0 ] && [ ! -e "$tmp/dest" ]
ok $? "make modules_install for a kernel that is not installed fails"

echo "# Totals: pass:$((n - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ $fails = 0 ]
