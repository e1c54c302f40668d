#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgc-python's zones from behaviour and Passive VGC plans
# (docs/vgc-python.md, "Zones from behaviour", "Plans"): --vgc-stats shows
# the zone decided per (domain, size class); --vgc-record writes a plan
# that --vgc-plan starts the next run with; a plan that is missing,
# empty, truncated, of another version or hostile is a clear error, with
# a non-zero exit, before any Python code runs.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
echo "TAP version 13"

vgcpy=$top/build/tools/vgc-python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name|contents (printf format) of each bad plan, and what the error says
bad_plans=(
	"empty||empty file"
	"truncated|{\"version\": 1, \"classes\": [ {\"domain\": \"obj\"|unexpected end of file"
	"version|{\"version\": 2, \"classes\": []}|version 2 is not supported"
	"zone|{\"version\": 1, \"classes\": [{\"domain\": \"obj\", \"class\": 1, \"size\": 32, \"zone\": \"purple\", \"persistent\": false}]}|unknown zone \"purple\""
	"class|{\"version\": 1, \"classes\": [{\"domain\": \"obj\", \"class\": 99, \"size\": 32, \"zone\": \"red\", \"persistent\": false}]}|\"class\" 99 is out of range"
	"huge|{\"version\": 1, \"classes\": [], \"windows\": 123456789012345678901}|more than 15 digits"
	"negative|{\"version\": 1, \"classes\": [], \"regions\": [{\"zone\": \"red\", \"partition\": 0, \"bytes\": -1}]}|\"bytes\" -1 is out of range"
	"fraction|{\"version\": 1.5, \"classes\": []}|only integers"
	"size|{\"version\": 1, \"classes\": [{\"domain\": \"obj\", \"class\": 1, \"size\": 48, \"zone\": \"red\", \"persistent\": false}]}|class 1 is 32 bytes here"
	"duplicate|{\"version\": 1, \"classes\": [{\"domain\": \"obj\", \"class\": 1, \"size\": 32, \"zone\": \"red\", \"persistent\": false}, {\"domain\": \"obj\", \"class\": 1, \"size\": 32, \"zone\": \"blue\", \"persistent\": false}]}|given twice"
	"dupkey|{\"version\": 1, \"version\": 1, \"classes\": []}|duplicate key \"version\""
	"unknown|{\"version\": 1, \"classes\": [], \"zones\": 3}|unknown key \"zones\""
	"partition|{\"version\": 1, \"classes\": [], \"regions\": [{\"zone\": \"red\", \"partition\": 64, \"bytes\": 0}]}|\"partition\" 64 is out of range"
	"trailing|{\"version\": 1, \"classes\": []} x|trailing garbage"
	"escape|{\"version\": 1, \"classes\": [{\"domain\": \"o\\\\u0062j\"}]}|escapes are not allowed"
	"notobject|[1, 2, 3]|a plan is a JSON object"
)
echo "1..$((6 + ${#bad_plans[@]} + 3))"

if [ ! -x /usr/bin/python3.11-config ]; then
	for ((i = 0; i < 6 + ${#bad_plans[@]} + 3; i++)); do
		tap_skip "python plan case $((i + 1))" "no libpython3.11-dev"
	done
	tap_done
	exit
fi

out=$(mk vgc-python 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "make vgc-python"

# Temporaries (generator frames, short strings) and a long-lived, growing
# set of dicts and lists: both kinds of class for the profile to tell
# apart, over several driver periods (--vgc-period 20).
cat >"$work/work.py" <<'EOF'
keep = []
for i in range(40000):
    s = sum(x * 2 for x in range(40))
    t = [str(j) for j in range(16)]
    if i % 8 == 0:
        keep.append({"k": i, "v": [i] * 6})
print("done", len(keep), s, len(t))
EOF

run() {
	"$vgcpy" --vgc-stats --vgc-period 20 "$@" "$work/work.py" 2>&1
}

out=$(run --vgc-record "$work/plan.json")
rc=$?
echo "$out" | grep -E '^vgc-python: (profile|first|zone)' | sed 's/^/# record: /'
/usr/bin/python3.11 - "$work/plan.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["version"] == 1, p["version"]
assert p["windows"] >= 2, p["windows"]
zones = {c["zone"] for c in p["classes"]}
assert len(p["classes"]) >= 4 and len(zones) >= 2, zones
assert all(r["bytes"] > 0 for r in p["regions"] if r["zone"] == "green")
print("# plan: %d classes, zones %s" % (len(p["classes"]), sorted(zones)))
EOF
[ $rc = 0 ] && [ $? = 0 ] && grep -q '^done 5000 ' <<<"$out"
tap_ok $? "--vgc-record writes a version 1 plan with classes in two zones or more"

# Every decided class has a line naming its zone, and the zones differ.
zones=$(sed -n 's/^vgc-python: class \(mem\|obj\)\/[0-9]* size [0-9]* zone \([a-z]*\).*/\2/p' <<<"$out" | sort -u)
echo "# zones in --vgc-stats:" $zones
[ "$(wc -l <<<"$zones")" -ge 2 ] &&
	grep -Eq '^vgc-python: zone red: objects [0-9]+ bytes [0-9]+ .* freed_bytes [0-9]+ .*sweeps [0-9]+ pause_total_ns [0-9]+' <<<"$out"
tap_ok $? "--vgc-stats: per class zone, per zone objects, bytes, freed, pauses"

misplaced() {
	sed -n 's/^vgc-python: first checkpoint: misplaced .* (\([0-9.]*\) %)$/\1/p' <<<"$1"
}
plain=$(misplaced "$out")
out=$(run --vgc-plan "$work/plan.json")
rc=$?
echo "$out" | grep -E '^vgc-python: (profile|first)' | sed 's/^/# planned: /'
planned=$(misplaced "$out")
echo "# first-checkpoint misplacements: ${plain:-?} % without the plan, ${planned:-?} % with it"
[ $rc = 0 ] && grep -q '^done 5000 ' <<<"$out" &&
	grep -q '^vgc-python: class .* planned' <<<"$out" &&
	awk -v a="${plain:-0}" -v b="${planned:-100}" 'BEGIN { exit !(b < a) }'
tap_ok $? "--vgc-plan: the planned classes start in their zones (fewer misplaced)"

# A plan with persistent classes: their startup objects go to Gen2, pinned.
/usr/bin/python3.11 - "$work/plan.json" "$work/persist.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
for c in p["classes"]:
    c["persistent"] = True
json.dump(p, open(sys.argv[2], "w"))
EOF
out=$(run --vgc-plan "$work/persist.json")
rc=$?
statics=$(sed -n 's/^vgc-python: class .* static \([0-9]*\)$/\1/p' <<<"$out" | awk '{ s += $1 } END { print s + 0 }')
echo "# static (Gen2, pinned) allocations: $statics"
[ $rc = 0 ] && grep -q '^done 5000 ' <<<"$out" && [ "$statics" -gt 0 ]
tap_ok $? "--vgc-plan: persistent classes allocate their startup objects pinned"

out=$("$vgcpy" --vgc-plan "$work/none.json" -c 'print("PYTHON-RAN")' 2>&1)
rc=$?
echo "# $out"
[ $rc = 2 ] && ! grep -q PYTHON-RAN <<<"$out" &&
	grep -q "^vgc-python: plan $work/none.json: No such file" <<<"$out"
tap_ok $? "--vgc-plan: a missing file is an error before Python runs"

for b in "${bad_plans[@]}"; do
	name=${b%%|*}
	rest=${b#*|}
	body=${rest%|*}
	want=${rest##*|}
	printf '%s' "$body" >"$work/$name.json"
	out=$("$vgcpy" --vgc-plan "$work/$name.json" -c 'print("PYTHON-RAN")' 2>&1)
	rc=$?
	echo "# $name: $out"
	[ $rc = 2 ] && ! grep -q PYTHON-RAN <<<"$out" &&
		grep -q "^vgc-python: plan $work/$name.json:[0-9]*:[0-9]* (byte [0-9]*): .*$want" <<<"$out"
	tap_ok $? "--vgc-plan: $name plan is an error naming the place"
done

# Hostile sizes: 1 MB of '[' is over the size limit; 1000 of them within
# it are over the depth limit.
head -c 1000000 /dev/zero | tr '\0' '[' >"$work/deep.json"
out=$("$vgcpy" --vgc-plan "$work/deep.json" -c 'print("PYTHON-RAN")' 2>&1)
rc=$?
echo "# 1 MB of [: $out"
[ $rc = 2 ] && ! grep -q PYTHON-RAN <<<"$out" && grep -q "larger than 65536 bytes" <<<"$out"
tap_ok $? "--vgc-plan: 1 MB of '[' is refused by size"

head -c 1000 /dev/zero | tr '\0' '[' >"$work/deep.json"
out=$("$vgcpy" --vgc-plan "$work/deep.json" -c 'print("PYTHON-RAN")' 2>&1)
rc=$?
echo "# 1000 [: $out"
[ $rc = 2 ] && ! grep -q PYTHON-RAN <<<"$out" && grep -q "nesting deeper than 8 levels" <<<"$out"
tap_ok $? "--vgc-plan: deep nesting is refused"

out=$("$vgcpy" --vgc-plan "$work" -c 'print("PYTHON-RAN")' 2>&1)
rc=$?
echo "# directory: $out"
[ $rc = 2 ] && ! grep -q PYTHON-RAN <<<"$out" && grep -q "not a regular file" <<<"$out"
tap_ok $? "--vgc-plan: a directory is refused"

tap_done
