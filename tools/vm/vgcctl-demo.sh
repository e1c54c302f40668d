#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vgcctl-demo.sh: in the VM with vgc.ko loaded, "vgcctl list" and
# "vgcctl top" show the module arena of a running "vgcctl demo --hold" with
# the demo's pid; under tmux (when installed) top's screen is captured.
# Part of "make run" (run-demo.sh); exits 1 when the arena is not listed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vgcctl=$(cd "$here/../.." && pwd)/build/tools/vgcctl
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${demo:-}" ] && kill "$demo" 2>/dev/null' EXIT
rc=0

"$vgcctl" demo --hold 20 >"$out" 2>&1 &
demo=$!
for _ in $(seq 100); do
	grep -q '^holding' "$out" && break
	sleep 0.2
done
echo "vgcctl demo --hold 20: pid $demo"
listing=$("$vgcctl" list)
echo "$listing"
if ! grep -qE "^module:[0-9]+ +$demo vgcctl +module " <<<"$listing"; then
	echo "vgcctl list does not show the module arena of pid $demo"
	rc=1
fi
for cmd in "list --json" "top --json --iterations 1" "stats --json" "version --json"; do
	# shellcheck disable=SC2086
	if ! "$vgcctl" $cmd | python3 -m json.tool >/dev/null; then
		echo "vgcctl $cmd: not valid JSON"
		rc=1
	fi
done
if command -v tmux >/dev/null; then
	s=vgcctl-demo-$$
	tmux new-session -d -s "$s" -x 150 -y 30 \
		"$vgcctl top --pid $demo --iterations 3; echo top-exit=\$?; sleep 20"
	for _ in $(seq 60); do
		sleep 0.2
		screen=$(tmux capture-pane -p -t "$s")
		[[ $screen == *top-exit=* ]] && break
	done
	tmux kill-session -t "$s"
	echo "--- vgcctl top under tmux (capture-pane):"
	grep -v '^$' <<<"$screen"
	grep -q "top-exit=0" <<<"$screen" || rc=1
	if ! grep -qE "^module:[0-9]+  pid $demo  vgcctl  module" <<<"$screen"; then
		echo "vgcctl top does not show the module arena of pid $demo"
		rc=1
	fi
else
	"$vgcctl" top --pid "$demo" --iterations 2 | tee "$out" || rc=1
	grep -qE "^module:[0-9]+  pid $demo " "$out" || rc=1
fi
wait "$demo" || rc=1
demo=
exit $rc
