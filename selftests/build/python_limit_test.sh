#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgc-python under an arena limit too small for the program (issue 15's
# bad-input case): allocation past VGC_RESERVE_MB ends in Python's
# MemoryError, which the program catches, and after it frees what it held
# it allocates again; nothing crashes.  VGC_RESERVE_MB bounds how far each
# zone of each partition may grow (docs/libvgcu.md, "Allocation"): with it
# every region is 1 MiB + the reserve.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
echo "TAP version 13"
echo "1..5"

vgcpy=$top/build/tools/vgc-python
export VGC_BACKEND=anon
if [ ! -x /usr/bin/python3.11-config ]; then
	for i in 1 2 3 4 5; do
		tap_skip "vgc-python limit case $i" "no libpython3.11-dev"
	done
	tap_done
	exit
fi

out=$(mk vgc-python 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "make vgc-python"

# Small objects, one huge object and a list that grows by realloc, each
# until MemoryError; then, with everything freed, more work that fits.
# Until the program has freed, it allocates nothing (a new int, a print
# would raise MemoryError again): it reads how far it got from the last
# object it made, which holds its own index.
fill='
def fill():
    held = []
    try:
        while True:
            held.append([len(held)] * 1000)
    except MemoryError:
        ok = held[-1][0] > 100
    del held
    return ok

print("small", fill())
try:
    b = bytearray(1 << 34)
    print("huge allocated")
except MemoryError:
    print("huge MemoryError")
grow = []
try:
    while True:
        grow.append(len(grow))
except MemoryError:
    ok = grow[-1] > 100000
del grow
print("grow", ok)
print("after", sum(len(str(i)) for i in range(10 ** 6)), len({i: str(i) for i in range(10 ** 4)}))
'
want='small True
huge MemoryError
grow True
after 5888890 10000'

work_err=$(mktemp)
trap 'rm -f "$work_err"' EXIT

# One run: "$@" is the launcher's options; checks the lines and the exit
# status, and that VGC served the allocations (--vgc-stats).
run_fill() {
	local out rc n
	out=$(VGC_RESERVE_MB=32 timeout 120 "$vgcpy" --vgc-stats "$@" -c "$fill" 2>"$work_err")
	rc=$?
	echo "$out" | sed "s/^/# ${*:-mem+obj}: /"
	sed "s/^/# ${*:-mem+obj}: /" "$work_err"
	n=$(sed -n 's/^vgc-python: calls alloc \([0-9]*\) .*/\1/p' "$work_err")
	[ $rc = 0 ] && [ "$out" = "$want" ] && [ "${n:-0}" -gt 100000 ]
}
run_fill
tap_ok $? "VGC_RESERVE_MB=32: MemoryError caught (small, huge, growing), allocation works after"

run_fill --raw
tap_ok $? "the same with PYMEM_DOMAIN_RAW on VGC (--raw)"

# Four threads reach the limit together; each catches its MemoryError.
# The handlers allocate nothing (bool, a list slot) before they free: the
# other threads may still hold all the memory there is.
prog='
import threading
out = [None] * 4
def work(t):
    held = []
    try:
        while True:
            held.append([t] * 500)
    except MemoryError:
        ok = bool(held)
        del held
        out[t] = ok
ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(out)
'
out=$(VGC_RESERVE_MB=32 timeout 120 "$vgcpy" -c "$prog" 2>&1)
rc=$?
echo "# threads: $out (exit $rc)"
[ $rc = 0 ] && [ "$out" = "[True, True, True, True]" ]
tap_ok $? "four threads at the limit: each catches MemoryError"

# Too small for the interpreter's own start-up: CPython's fatal error
# names MemoryError and exits 1 (Py_ExitStatusException), no signal.
out=$(VGC_RESERVE_MB=1 timeout 60 "$vgcpy" -c 'print("started")' 2>&1)
rc=$?
echo "$out" | head -n 3 | sed 's/^/# VGC_RESERVE_MB=1: /'
echo "# VGC_RESERVE_MB=1: exit $rc"
[ $rc = 1 ] && grep -q '^MemoryError' <<<"$out"
tap_ok $? "a limit below start-up: Python's MemoryError, exit 1, no crash"
tap_done
