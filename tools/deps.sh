#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs the Debian 12 packages that building and testing VGC needs, and
# only those that are missing.  One dpkg-query call when nothing is missing,
# so "make check" and "make run" can call it every time.
set -euo pipefail

PKGS=(
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.1
	qemu-system-x86 busybox-static cpio xz-utils kmod
	liburing-dev libnuma-dev numactl
	sparse cppcheck dkms gnuplot-nox
	libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev libgc-dev liburcu-dev
	python3.11 libpython3.11-dev libpython3.11-testsuite tmux
	git sqlite3
	pkg-config bc flex bison libelf-dev libssl-dev gcc make
)

missing=()
# dpkg-query exits non-zero when a package is unknown; its output still lists
# the known ones, which is all that is needed here.
status=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
	if ! grep -q "^$p ii" <<<"$status"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive $cmd" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
