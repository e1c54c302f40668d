#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-vm.sh [--timeout S] [--test-timeout S] [--filter SUBSTR]
#             [--counts-dir DIR] KVER...
#
# One VM per kernel: loads build/kmod/KVER/vgc.ko, runs tools/vm/run-tests.sh
# over the kmod and lib tests, unloads the module.  Writes
# DIR/vm-KVER.counts ("passed failed skipped"); a VM that times out, panics,
# cannot load the module, fails rmmod or leaves a splat outside a test adds
# one failure to what the tests reported.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$top/build
vm_timeout=1800
test_timeout=300
filter=
counts_dir=$build/check

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) vm_timeout=$2; shift 2 ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--counts-dir) counts_dir=$2; shift 2 ;;
	-*) echo "check-vm: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "check-vm: no kernel given (KVERS)" >&2; exit 2; }
mkdir -p "$counts_dir"

any_failed=0
summary=()
for k in "$@"; do
	res=$build/vm/check-$k-$$
	rm -rf "$res"
	mkdir -p "$res"
	echo "check-vm: kernel $k"
	# The VM runs a snapshot of the binaries, so that a rebuild in the
	# build tree while it runs cannot pull a test out from under it.
	snap=$res/snap
	mkdir -p "$snap/selftests"
	cp -a "$build/selftests/kmod" "$build/selftests/lib" \
		"$build/selftests/vgc-counters" "$snap/selftests/" 2>/dev/null
	cp "$build/kmod/$k/vgc.ko" "$snap/vgc.ko" 2>/dev/null
	# lib/vgcctl_arena_test and lib/python_module_test run the tools they
	# test from the snapshot (no vgc-python without libpython3.11-dev).
	mkdir -p "$snap/tools"
	cp "$build/tools/vgcctl" "$snap/tools/" 2>/dev/null
	cp "$build/tools/vgc-python" "$snap/tools/" 2>/dev/null
	# lib/malloc_module_test preloads the library of the snapshot.
	mkdir -p "$snap/malloc"
	cp "$build/malloc/libvgcmalloc.so" "$build/malloc/vgcmalloc-stress" \
		"$snap/malloc/" 2>/dev/null
	start=$(date +%s)
	"$here/vgc-vm" --kernel "$k" --module "$snap/vgc.ko" --rmmod \
		--timeout "$vm_timeout" --results "$res" -- \
		"$here/run-tests.sh" --timeout "$test_timeout" \
		--filter "$filter" --label "vm-$k" --build "$snap"
	rc=$?
	secs=$(($(date +%s) - start))

	read -r p f s 2>/dev/null <"$res/counts" || { p=0; f=0; s=0; }
	# The runner's own verdict covers what happens outside the tests.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	elif [ -s "$res/rmmod.rc" ] && [ "$(cat "$res/rmmod.rc")" != 0 ]; then
		f=$((f + 1))
	fi
	echo "$p $f $s" >"$counts_dir/vm-$k.counts"
	if [ "$f" -eq 0 ]; then
		rm -rf "$res"
	else
		any_failed=1
		"$here/tap-failures.sh" "$res/console.log" 16 |
			sed "s/^/check-vm: $k: /"
		echo "check-vm: $k: console, dmesg and binaries kept in $res"
	fi
	summary+=("check-vm: $k: $p passed, $f failed, $s skipped in ${secs}s ($(cat "$build/vm/accel" 2>/dev/null || echo "${VGC_VM_ACCEL:-?}"))")
done
printf '%s\n' "${summary[@]}"
exit $any_failed
