#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitrd.sh KVER|none OUTPUT
#
# Builds the test VM's initramfs: busybox-static, the guest /init and, for a
# Debian kernel, the 9p and virtio modules it needs to mount the host root.
# "none" is for kernels with 9p and virtio built in (debug kernels).
set -euo pipefail

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

# Load order that satisfies the dependencies on Debian's 6.1 and 6.12; a name
# that is built into the kernel has no .ko and is skipped.
MODS=(netfs fscache 9pnet virtio_ring virtio virtio_pci_legacy_dev
      virtio_pci_modern_dev virtio_pci 9pnet_virtio 9p)

# busybox-static's binary; the dynamic busybox package uses the same path but
# would need the host's libc inside the initramfs.
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitrd: busybox-static is not installed (tools/deps.sh)" >&2
	exit 1
fi

stage=$(mktemp -d -p "$(dirname "$out")")
trap 'rm -rf "$stage" "$stage.cpio.gz"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,newroot,modules}
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
done
install -m 0755 "$here/init" "$stage/init"

: >"$stage/modules/order"
if [ "$kver" != none ]; then
	kdir=/lib/modules/$kver/kernel
	if [ ! -d "$kdir" ]; then
		echo "mkinitrd: no modules for kernel $kver in $kdir" >&2
		exit 1
	fi
	for m in "${MODS[@]}"; do
		f=$(find "$kdir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n1)
		[ -n "$f" ] || continue
		case $f in
		*.xz)  xz -dc "$f" >"$stage/modules/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$stage/modules/$m.ko" ;;
		*.gz)  gzip -dc "$f" >"$stage/modules/$m.ko" ;;
		*)     cp "$f" "$stage/modules/$m.ko" ;;
		esac
		echo "$m" >>"$stage/modules/order"
	done
fi

# Concurrent runs may build the same initrd: each writes its own file and
# renames it into place atomically.
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$stage.cpio.gz"
mv "$stage.cpio.gz" "$out"
