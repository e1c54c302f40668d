#!/bin/bash
# Build (or reuse) the VGC debug kernel: Debian's linux-source-6.1 with
# defconfig + kvm_guest.config, less tools/debug-kernel/trim.config, plus
# tools/debug-kernel/debug.config.
#
# The tree is cached outside the clone, in $VGC_DEBUG_KERNEL_CACHE
# (default /var/cache/vgc/debug-kernel)/<key>/, where <key> hashes the
# source package version, the config fragments and this script: a second run
# on the same machine only prints the path.
#
#   build.sh            build if needed, print the tree path (last stdout line)
#   build.sh --dir      print the tree path, build nothing
#   build.sh --cached   exit 0 iff a finished tree is cached
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tarball=${VGC_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
cache=${VGC_DEBUG_KERNEL_CACHE:-/var/cache/vgc/debug-kernel}
jobs=${VGC_DEBUG_KERNEL_JOBS:-2}
fragment=$here/debug.config
trim=$here/trim.config

[ -r "$tarball" ] || { echo "build.sh: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 2; }
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || true)
srcver="$srcver $(stat -c '%s' "$tarball")"
key=$( { echo "$srcver"; cat "$fragment" "$trim" "$0"; } | sha256sum | cut -c1-16)
dir=$cache/$key
tree=$dir/linux

case "${1:-}" in
--dir) echo "$tree"; exit 0 ;;
--cached) [ -f "$dir/done" ]; exit $? ;;
"") ;;
*) echo "usage: $0 [--dir|--cached]" >&2; exit 2 ;;
esac

log() { echo "debug-kernel: $*" >&2; }

if [ -f "$dir/done" ]; then
	log "cached: $tree ($(cat "$dir/done"))"
	echo "$tree"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
log "waiting for the build lock $cache/.lock"
flock 9
if [ -f "$dir/done" ]; then
	log "built by another run meanwhile: $tree"
	echo "$tree"
	exit 0
fi

start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
log "extracting $tarball into $dir"
tar -C "$dir" -xf "$tarball"
mv "$dir"/linux-source-* "$tree"
cd "$tree"

# Quiet, deterministic build identity.
export KBUILD_BUILD_USER=vgc KBUILD_BUILD_HOST=vgc-debug

# apply FILE: set each CONFIG_X=v line of a fragment with scripts/config.
apply() {
	local line opt val
	while IFS= read -r line; do
		case "$line" in ''|'#'*) continue ;; esac
		opt=${line%%=*}; opt=${opt#CONFIG_}; val=${line#*=}
		case "$val" in
		y) scripts/config --enable "$opt" ;;
		n) scripts/config --disable "$opt" ;;
		m) scripts/config --module "$opt" ;;
		*) scripts/config --set-val "$opt" "$val" ;;
		esac
	done < "$1"
}

# verify FILE: print each option of FILE that olddefconfig did not keep.
verify() {
	local line opt val got
	while IFS= read -r line; do
		case "$line" in ''|'#'*) continue ;; esac
		opt=${line%%=*}; opt=${opt#CONFIG_}; val=${line#*=}
		got=$(scripts/config --state "$opt")
		case "$val" in
		n) [ "$got" = n ] || [ "$got" = undef ] || echo "CONFIG_$opt is '$got', want n" ;;
		*) [ "$got" = "$val" ] || echo "CONFIG_$opt is '$got', want $val" ;;
		esac
	done < "$1"
}

make -s defconfig
make -s kvm_guest.config
apply "$trim"
apply "$fragment"
make -s olddefconfig

verify "$trim" | sed 's/^/debug-kernel: trim: /' >&2
bad=$(verify "$fragment")
if [ -n "$bad" ]; then
	sed 's/^/debug-kernel: /' <<<"$bad" >&2
	log "config check failed"
	exit 1
fi
log "config verified"

log "make -j$jobs bzImage modules_prepare (about 14 min on 2 idle cores)"
nice -n 10 make -s -j"$jobs" bzImage modules_prepare
# External modules resolve kernel symbols from Module.symvers; with no
# in-tree module build it is exactly vmlinux's export list.
[ -f Module.symvers ] || cp vmlinux.symvers Module.symvers

end=$(date +%s)
echo "built $(date -u +%FT%TZ) in $((end - start)) s, $(make -s kernelrelease)" > "$dir/done"
log "done in $((end - start)) s: $tree/arch/x86/boot/bzImage"
echo "$tree"
