#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall into a DESTDIR: the library, its headers
# and vgcu.pc (with the PREFIX of this install, not of the first build),
# libvgcmalloc.so exporting the malloc family, vgcctl, vgc-bench,
# vgc-python (where libpython3.11-dev is installed) and the manual: every
# function that libvgcu.so exports has its section-3 page, every page
# renders without a groff
# warning and carries the version of VERSION.  Uninstall leaves no file
# behind.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
dest=$(mktemp -d)
stats=$(mktemp)
trap 'rm -rf "$dest" "$stats"' EXIT
echo "TAP version 13"
echo "1..9"
prefix=/opt/vgc-test
out=$(mk install DESTDIR="$dest" PREFIX=$prefix 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "make install DESTDIR PREFIX=$prefix"

root=$dest$prefix
missing=0
for f in lib/libvgcu.so.1 lib/libvgcu.a lib/libvgcmalloc.so lib/pkgconfig/vgcu.pc include/vgcu.h \
	 include/linux/vgc.h include/linux/vgc_state.h sbin/vgcctl bin/vgc-bench \
	 share/man/man4/vgc.4 share/man/man7/libvgcu.7 share/man/man8/vgcctl.8 \
	 share/man/man1/vgc-bench.1 share/man/man3/libvgcmalloc.3 \
	 share/man/man1/vgc-python.1 share/vgc/python-bench/_bench.py \
	 share/vgc/python-bench/churn.py \
	 $([ -x /usr/bin/python3.11-config ] && echo bin/vgc-python); do
	[ -e "$root/$f" ] || { echo "# missing: $f"; missing=1; }
done
tap_ok $missing "library, headers, tools and manual pages installed"

if [ -x /usr/bin/python3.11-config ]; then
	out=$("$root/bin/vgc-python" -c 'import sys, json; print(sys.executable, json.__file__)' 2>&1)
	echo "# installed vgc-python: $out"
	[ "$out" = "$root/bin/vgc-python /usr/lib/python3.11/json/__init__.py" ]
	tap_ok $? "the installed vgc-python finds the stdlib"
else
	tap_skip "the installed vgc-python finds the stdlib" "no libpython3.11-dev"
fi

grep -qx "prefix=$prefix" "$root/lib/pkgconfig/vgcu.pc"
tap_ok $? "vgcu.pc carries this install's prefix"

libs=$(PKG_CONFIG_PATH=$root/lib/pkgconfig pkg-config --static --libs vgcu 2>&1)
echo "# pkg-config --static --libs vgcu: $libs"
grep -q -- "-lnuma" <<<"$libs" && grep -q -- "-luring" <<<"$libs" &&
	grep -q "^Requires.private: numa liburing" "$root/lib/pkgconfig/vgcu.pc"
tap_ok $? "vgcu.pc: Requires.private numa liburing"

# The preload object: the malloc family, no libvgcu symbol, and it serves
# echo (coreutils closes stderr at exit: the statistics go to a file).
syms=$(nm -D --defined-only "$root/lib/libvgcmalloc.so" 2>/dev/null |
       awk '$2 == "T" { print $3 }' | sort | xargs)
echo "# libvgcmalloc.so exports: $syms"
[[ $syms == *"malloc "*"posix_memalign"* ]] && [[ $syms != *vgc_* ]] &&
	LD_PRELOAD=$root/lib/libvgcmalloc.so VGC_BACKEND=anon VGC_STATFILE=0 \
		VGC_SHOW_STATS=$stats /bin/echo hi >/dev/null &&
	grep -q ' calls: malloc [1-9]' "$stats" && grep -q ' heap: committed [1-9]' "$stats"
tap_ok $? "libvgcmalloc.so exports the malloc family and serves /bin/echo"

nopage=0
total=0
for s in $(nm -D --defined-only "$root/lib/libvgcu.so.1" |
	   awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }'); do
	total=$((total + 1))
	[ -s "$root/share/man/man3/$s.3" ] || { echo "# no page: $s(3)"; nopage=1; }
done
echo "# $total exported functions"
[ $total -gt 0 ] && [ $nopage = 0 ]
tap_ok $? "every exported function has a man page"

warn=0
for p in "$root"/share/man/man*/*; do
	w=$(LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
	[ -z "$w" ] || { echo "# $p: $w"; warn=1; }
done
tap_ok $warn "every man page renders without warnings"

ver=$(cat "$top/VERSION")
nover=0
for p in "$root"/share/man/man*/*; do
	grep -q "^\.TH .* \"\(vgc\|libvgcu\) $ver\"" "$p" ||
		{ echo "# $p: $(grep -m1 '^\.TH' "$p")"; nover=1; }
done
tap_ok $nover "every man page carries version $ver"

out=$(mk uninstall DESTDIR="$dest" PREFIX=$prefix 2>&1)
rc=$?
left=$(find "$dest" -type f -o -type l)
[ -z "$left" ] || echo "$left" | sed 's/^/# left: /'
[ $rc = 0 ] && [ -z "$left" ]
tap_ok $? "make uninstall removes every installed file"

tap_done
