#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgcctl on the host, without the module: strict numbers (exit 2 and a
# message naming the option and its range), valid JSON from every command,
# "vgcctl list" showing the anonymous-backend arena of a running
# "vgcctl demo --hold" and no longer after it exits, a stale statistics
# file of a killed process removed, "vgcctl top" under tmux showing the
# arena, and the manual page rendering without warnings.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
vgcctl=$top/build/tools/vgcctl
statdir=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	tmux kill-session -t "vgcctl-test-$$" 2>/dev/null
	rm -rf "$statdir"
}
trap cleanup EXIT
export VGC_STATDIR=$statdir VGC_BACKEND=anon
echo "TAP version 13"
echo "1..27"
out=$(mk "$vgcctl" 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "vgcctl builds"

# 11 bad numbers: exit 2, the option and "accepted" in the message.
bad() {
	local opt=$1 err rc
	shift
	err=$("$vgcctl" "$@" 2>&1 >/dev/null)
	rc=$?
	echo "# vgcctl $*: exit $rc: $err"
	[ $rc = 2 ] && [[ $err == *"$opt"*accepted* ]]
	tap_ok $? "vgcctl $* is rejected with exit 2 naming $opt"
}
bad --objects demo --objects abc
bad --objects demo --objects 999999999
bad --objects demo --objects -5
bad --objects demo --objects 12x
bad --objects demo --objects ''
bad --zone-kib demo --zone-kib 99999999999999999999999
bad --checkpoints demo --checkpoints 0x10
bad --hold demo --hold 1.5
bad --iterations top --iterations abc
bad --interval top --interval 10
bad --pid list --pid 0

# 5 valid JSON
json() {
	local what=$1 out rc
	shift
	out=$(timeout 60 "$vgcctl" "$@" 2>/dev/null)
	python3 -m json.tool <<<"$out" >/dev/null 2>&1
	rc=$?
	[ $rc = 0 ] || echo "$out" | head -n 5 | sed 's/^/# /'
	tap_ok $rc "vgcctl $* prints valid JSON ($what)"
}
json version version --json
json stats stats --json
json list list --json
json top top --json --iterations 1
json demo demo --json --objects 20 --checkpoints 2

# list: a live anonymous arena, then none after exit
"$vgcctl" demo --objects 50 --hold 30 >"$statdir/demo.out" 2>&1 &
demo=$!
pids+=("$demo")
for _ in $(seq 50); do
	grep -q '^holding' "$statdir/demo.out" && break
	sleep 0.2
done
out=$("$vgcctl" list --json)
python3 -c '
import json, sys
d = json.load(sys.stdin)
pid = int(sys.argv[1])
a = [x for x in d["arenas"] if x["pid"] == pid]
assert len(a) == 1, "arenas of pid %d: %r" % (pid, d["arenas"])
a = a[0]
assert a["backend"] == "anon" and a["source"] == "statfile", a
assert a["comm"] == "vgcctl", a
assert a["live_stats"] and a["live"] > 0, a
assert sum(z["bytes"] for z in a["zones"]) > 0, a
assert sum(a["node_bytes"].values()) > 0, a
' "$demo" <<<"$out"
tap_ok $? "vgcctl list --json shows the anon arena of pid $demo with live figures"
"$vgcctl" list | sed 's/^/# /'
"$vgcctl" list | grep -q "^anon:$demo-1 .* anon "
tap_ok $? "vgcctl list shows anon:$demo-1"

# top under tmux: the screen shows the arena
if command -v tmux >/dev/null; then
	s=vgcctl-test-$$
	tmux new-session -d -s "$s" -x 180 -y 40 \
		"env VGC_STATDIR=$statdir $vgcctl top --iterations 3; echo vgcctl-top-exit=\$?; sleep 30"
	screen=
	for _ in $(seq 50); do
		sleep 0.2
		screen=$(tmux capture-pane -p -t "$s" 2>/dev/null)
		[[ $screen == *vgcctl-top-exit=* ]] && break
	done
	echo "$screen" | grep -v '^$' | sed 's/^/# screen: /'
	grep -q "^anon:$demo-1 .*checkpoints [0-9]* ([0-9.]*/s)" <<<"$screen" &&
		grep -qE '^  green +[0-9.]+[KMG] +[0-9]+ +[0-9]+' <<<"$screen"
	tap_ok $? "vgcctl top under tmux shows anon:$demo-1 with checkpoints/s and zones"
	grep -q 'vgcctl-top-exit=0' <<<"$screen"
	tap_ok $? "vgcctl top --iterations 3 exits 0 by itself"
	tmux kill-session -t "$s" 2>/dev/null
	# q quits a top without --iterations
	tmux new-session -d -s "$s" -x 180 -y 40 \
		"env VGC_STATDIR=$statdir $vgcctl top; echo vgcctl-top-exit=\$?; stty -a; sleep 30"
	sleep 1.5
	tmux send-keys -t "$s" q
	for _ in $(seq 25); do
		sleep 0.2
		screen=$(tmux capture-pane -p -t "$s" 2>/dev/null)
		[[ $screen == *vgcctl-top-exit=* ]] && break
	done
	grep -q 'vgcctl-top-exit=0' <<<"$screen" &&
		grep -qE '(^| )icanon( |$)' <<<"$screen" &&
		grep -qE '(^| )echo( |$)' <<<"$screen"
	tap_ok $? "q quits vgcctl top and the terminal is back in canonical mode"
	tmux kill-session -t "$s" 2>/dev/null
else
	tap_skip "vgcctl top under tmux" "tmux is not installed (tools/deps.sh)"
	tap_skip "vgcctl top --iterations exits" "tmux is not installed"
	tap_skip "q quits vgcctl top" "tmux is not installed"
fi

kill "$demo" 2>/dev/null
wait "$demo" 2>/dev/null
# SIGTERM kills it without vgc_arena_close: its file is now stale
"$vgcctl" list | sed 's/^/# /'
! "$vgcctl" list | grep -q "^anon:$demo-"
tap_ok $? "vgcctl list no longer shows anon:$demo-1 after the process is gone"
[ ! -e "$statdir/$demo-1" ]
tap_ok $? "vgcctl list removed the stale statistics file of pid $demo"

# a clean exit removes its own file
"$vgcctl" demo --objects 10 --checkpoints 1 >/dev/null 2>&1
left=$(find "$statdir" -name '[0-9]*-*' | wc -l)
[ "$left" = 0 ]
tap_ok $? "vgc_arena_close removes the statistics file ($left left)"
VGC_STATFILE=0 "$vgcctl" demo --objects 10 --hold 30 >"$statdir/demo2.out" 2>&1 &
demo2=$!
pids+=("$demo2")
for _ in $(seq 50); do
	grep -q '^holding' "$statdir/demo2.out" && break
	sleep 0.2
done
out=$("$vgcctl" list --json --pid "$demo2")
grep -q '^holding' "$statdir/demo2.out" &&
	python3 -c 'import json,sys; assert not json.load(sys.stdin)["arenas"]' <<<"$out"
tap_ok $? "VGC_STATFILE=0 publishes no statistics file"
kill "$demo2" 2>/dev/null
wait "$demo2" 2>/dev/null

if command -v man >/dev/null; then
	w=$(LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$top/man/vgcctl.8" 2>&1 >/dev/null)
	[ -z "$w" ] || echo "$w" | sed 's/^/# /'
	[ -z "$w" ]
	tap_ok $? "man/vgcctl.8 renders without warnings"
else
	tap_skip "man/vgcctl.8 renders" "man is not installed"
fi
tap_done
