#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgc-bench python --quick --no-callgrind: every workload runs under
# python3.11, vgc-python on pymalloc and vgc-python, VGC served its allocations, the table prints with a
# checksum per workload and the checksums agree.  Not a timed test: the
# numbers are not looked at.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
bench=$top/build/tools/vgc-bench
export VGC_BACKEND=anon
echo "TAP version 13"
echo "1..8"
if [ ! -x /usr/bin/python3.11-config ]; then
	for i in 1 2 3 4 5 6 7 8; do
		tap_skip "vgc-bench python case $i" "no libpython3.11-dev"
	done
	tap_done
	exit
fi

out=$(mk "$bench" vgc-python 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "vgc-bench and vgc-python build"

out=$(timeout 300 "$bench" python --quick --no-callgrind 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
tap_ok $rc "vgc-bench python --quick --no-callgrind exits 0"

# served: a row per workload, more than 1000 allocations each
n=$(awk '/^served by VGC/ { on = 1; next } on && /^$/ { on = 0 }
	on && $1 != "workload" && $3 > 1000 { n++ } END { print n + 0 }' <<<"$out")
[ "$n" = 7 ]
tap_ok $? "VGC served every workload's allocations (got $n of 7)"

# timed: 7 rows, each ending in its 16-digit checksum, and the geomean
rows=$(grep -cE '^[a-z]+ +[0-9]+ \|.*\| [0-9a-f]{16}$' <<<"$out")
[ "$rows" = 7 ] && grep -q '^geomean ' <<<"$out" &&
	grep -qE '^target: CPU time <= 1.05x python3.11: (met|not met)' <<<"$out"
tap_ok $? "the table: 7 workloads with checksums, geomean, targets (got $rows)"

grep -q '^checksums: equal under all interpreters in every run$' <<<"$out" &&
	! grep -q 'BAD' <<<"$out"
tap_ok $? "checksums equal under all interpreters"

# --json: one object, the same workloads, their checksums agreeing.
out=$(timeout 300 "$bench" python --quick --no-callgrind --json 2>&1)
rc=$?
summary=$(/usr/bin/python3.11 -c '
import json, sys
d = json.loads(sys.stdin.read())
w = d["workloads"]
print(len(w), all(x["ok"] and len(x["checksum"]) == 16 for x in w),
      d["checksums_equal"], "met" in d["targets"]["cpu_time"]["python3.11"])
' <<<"$out" 2>&1)
echo "# --json: $summary (exit $rc)"
[ $rc = 0 ] && [ "$summary" = "7 True True True" ]
tap_ok $? "--json: 7 workloads with checksums, targets, checksums equal"

# A workload whose result differs between the interpreters fails the run.
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
cp "$top/tools/python/bench/_bench.py" "$fake/"
cat >"$fake/churn.py" <<'PY'
import sys
print("checksum", "%016x" % ("vgc" in sys.executable))
PY
out=$("$bench" python --quick --no-callgrind --only churn --scripts "$fake" 2>&1)
rc=$?
grep 'checksum' <<<"$out" | sed 's/^/# mismatch: /'
[ $rc = 1 ] && grep -q '^checksums: MISMATCH' <<<"$out" &&
	grep -qE 'churn [0-9]+: checksum 000000000000000[01] under python3.11 \(timed\), 000000000000000[01] under vgc-python' <<<"$out"
tap_ok $? "a checksum that differs between the interpreters: exit 1"

# A workload that does not exist is an error, not an empty table.
"$bench" python --only nosuch >/dev/null 2>&1
[ $? = 2 ]
tap_ok $? "--only with an unknown workload: exit 2"
tap_done
