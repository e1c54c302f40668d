#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libvgcmalloc.so under real programs, on the anonymous backend: each runs
# with LD_PRELOAD and VGC_SHOW_STATS=1 and again without, and the two runs
# must agree (same object files, same output, same verdicts), while the
# statistics prove that VGC served the calls: more than 1000 malloc calls
# summed over the run's processes, committed bytes > 0, and nothing served
# by glibc.  gcc compiling lib/*.c, git (init, commits, log, gc), sqlite3
# on a generated database, the test program vgcmalloc-stress (contract
# checks, cross-thread frees with canaries), and Debian's python3.11
# (json, re, threads, and a few of its own regression tests where
# libpython3.11-testsuite is installed).  Some children fork and keep
# running without exec'ing (bash subshells, test_re's multiprocessing
# Process): the anonymous arena is MAP_PRIVATE, so each has its own copy
# of the heap.  The module backend's share runs in the VM:
# selftests/lib/malloc_module_test.c.
set -u
# shellcheck source=selftests/build/tap.sh
. "$(dirname "$0")/tap.sh"
so=$top/build/malloc/libvgcmalloc.so
stress=$top/build/malloc/vgcmalloc-stress
py=/usr/bin/python3.11		# Debian's, not a pyenv shim first on PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VGC_BACKEND=anon VGC_STATFILE=0 LC_ALL=C
echo "TAP version 13"
echo "1..8"

out=$(mk malloc 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_ok $rc "libvgcmalloc.so and vgcmalloc-stress build"

want="aligned_alloc calloc cfree free malloc malloc_usable_size memalign posix_memalign pvalloc realloc reallocarray valloc"
got=$(nm -D --defined-only "$so" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort | xargs)
[ "$got" = "$want" ] || echo "# exports: $got"
[ "$got" = "$want" ]
tap_ok $? "exports exactly the malloc family, unversioned"

# pre NAME CMD...: run CMD under the preload, stats to $tmp/NAME.stats
pre() {
	local name=$1
	shift
	env LD_PRELOAD="$so" VGC_SHOW_STATS=1 "$@" 2>>"$tmp/$name.err"
}

# served NAME: the stats of $tmp/NAME.err prove that VGC served the run
served() {
	local f=$tmp/$1.err mallocs procs committed glibc
	grep '^vgcmalloc: ' "$f" >"$tmp/$1.stats"
	grep -v '^vgcmalloc: ' "$f" >"$tmp/$1.stderr"
	procs=$(grep -c ' calls: ' "$tmp/$1.stats")
	mallocs=$(awk '/ calls: / { for (i = 1; i < NF; i++) if ($i == "malloc") s += $(i + 1) } END { print s + 0 }' "$tmp/$1.stats")
	committed=$(awk '/ heap: / { for (i = 1; i < NF; i++) if ($i == "committed" && $(i + 1) > m) m = $(i + 1) } END { print m + 0 }' "$tmp/$1.stats")
	glibc=$(awk '/ bytes: / { s += $NF } END { print s + 0 }' "$tmp/$1.stats")
	echo "# $1: $procs processes, $mallocs malloc calls, max committed $committed bytes, glibc $glibc"
	grep -m1 ' calls: ' "$tmp/$1.stats" | sed 's/^/#   /'
	grep -m1 ' heap: ' "$tmp/$1.stats" | sed 's/^/#   /'
	[ "$procs" -gt 0 ] && [ "$mallocs" -gt 1000 ] && [ "$committed" -gt 0 ] &&
		[ "$glibc" = 0 ]
}

# ---- vgcmalloc-stress ------------------------------------------------------
"$stress" 4 50000 >"$tmp/stress.ref" 2>&1
ref=$?
pre stress "$stress" 4 50000 >"$tmp/stress.out"
rc=$?
s=1
served stress && s=0
[ $ref = 0 ] && [ $rc = 0 ] && [ $s = 0 ] && cmp -s "$tmp/stress.ref" "$tmp/stress.out"
rc=$?
[ $rc = 0 ] || { diff "$tmp/stress.ref" "$tmp/stress.out" | head -20 | sed 's/^/# /'; tail -5 "$tmp/stress.stderr" | sed 's/^/# /'; }
tap_ok $rc "vgcmalloc-stress: contract, cross-thread frees, canaries"

# ---- gcc -------------------------------------------------------------------
cflags="-O2 -D_GNU_SOURCE -I$top/uapi -I$top/lib/include -I$top/core -I$top/lib"
rc=0
mkdir -p "$tmp/gcc-ref" "$tmp/gcc-pre"
for f in span alloc zone_profile_sample; do
	gcc $cflags -c -o "$tmp/gcc-ref/$f.o" "$top/lib/$f.c" || rc=1
done
for f in span alloc zone_profile_sample; do
	pre gcc gcc $cflags -c -o "$tmp/gcc-pre/$f.o" "$top/lib/$f.c" || rc=1
done
[ $rc = 0 ] && served gcc && grep -q '(cc1)' "$tmp/gcc.stats" || rc=1
for f in span alloc zone_profile_sample; do
	cmp -s "$tmp/gcc-ref/$f.o" "$tmp/gcc-pre/$f.o" || { echo "# $f.o differs"; rc=1; }
done
tap_ok $rc "gcc -O2 -c lib/{span,alloc,zone_profile_sample}.c: identical objects"

# ---- git -------------------------------------------------------------------
# gitrun DIR PRE: a repository of commits with fixed dates, so that both
# runs make the same hashes; prints log, fsck and count-objects.
gitrun() {
	local d=$1
	shift
	mkdir -p "$d" && cd "$d" || return 1
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
	export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
	export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
	export GIT_CONFIG_NOSYSTEM=1 HOME=$d
	"$@" git init -q -b main . || return 1
	for i in 1 2 3 4 5; do
		seq $((i * 3000)) >"f$i.txt"
		cp "$top/lib/$(ls "$top/lib" | grep '\.c$' | sed -n "${i}p")" "src$i.c"
		"$@" git add . || return 1
		"$@" git commit -q -m "commit $i" || return 1
	done
	"$@" git log --stat --format='%H %s' || return 1
	"$@" git gc -q || return 1
	"$@" git fsck --no-progress 2>&1 || return 1
	"$@" git count-objects -v | grep -v size || return 1
	cd "$tmp" || return 1
}
(gitrun "$tmp/git-ref") >"$tmp/git.ref" 2>&1
ref=$?
(gitrun "$tmp/git-pre" env LD_PRELOAD="$so" VGC_SHOW_STATS=1) >"$tmp/git.out" 2>"$tmp/git.err"
rc=$?
s=1
served git && s=0
[ $ref = 0 ] && [ $rc = 0 ] && [ $s = 0 ] && cmp -s "$tmp/git.ref" <(grep -v '^vgcmalloc: ' "$tmp/git.out")
rc=$?
[ $rc = 0 ] || { diff "$tmp/git.ref" "$tmp/git.out" | head -20 | sed 's/^/# /'; tail -5 "$tmp/git.stderr" | sed 's/^/# /'; }
tap_ok $rc "git init, commit, log, gc, fsck: same history and objects"

# ---- sqlite3 ---------------------------------------------------------------
if command -v sqlite3 >/dev/null; then
	cat >"$tmp/db.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT, b BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000)
INSERT INTO t SELECT x, (x * 7919) % 1000, printf('row-%08d-%s', x, hex(x * x)),
	zeroblob(x % 700) FROM c;
CREATE INDEX tk ON t(k);
CREATE TABLE u AS SELECT k, count(*) AS n, sum(length(s)) AS l FROM t GROUP BY k;
SELECT count(*), sum(k), sum(length(b)), max(s) FROM t;
SELECT k, n, l FROM u ORDER BY n DESC, k LIMIT 5;
SELECT t.k, count(*) FROM t JOIN u ON t.k = u.k WHERE u.n > 59 GROUP BY t.k ORDER BY 2 DESC, 1 LIMIT 5;
SELECT group_concat(s, ',') IS NOT NULL, length(group_concat(s, ',')) FROM t WHERE k < 20;
SELECT s FROM t ORDER BY s DESC LIMIT 3;
UPDATE t SET s = upper(s) || s WHERE k % 3 = 0;
DELETE FROM t WHERE k % 5 = 0;
VACUUM;
PRAGMA integrity_check;
SELECT count(*), sum(length(s)) FROM t;
EOF
	sqlite3 "$tmp/ref.db" <"$tmp/db.sql" >"$tmp/sql.ref" 2>&1
	ref=$?
	pre sql sqlite3 "$tmp/pre.db" <"$tmp/db.sql" >"$tmp/sql.out"
	rc=$?
	s=1
	served sql && s=0
	[ $ref = 0 ] && [ $rc = 0 ] && [ $s = 0 ] && cmp -s "$tmp/sql.ref" "$tmp/sql.out"
	rc=$?
	[ $rc = 0 ] || { diff "$tmp/sql.ref" "$tmp/sql.out" | head -20 | sed 's/^/# /'; tail -5 "$tmp/sql.stderr" | sed 's/^/# /'; }
	tap_ok $rc "sqlite3: 60000 rows, index, join, vacuum: same output"
else
	tap_skip "sqlite3: 60000 rows, index, join, vacuum: same output" "no sqlite3"
fi

# ---- python3.11 ------------------------------------------------------------
cat >"$tmp/t.py" <<'EOF'
import json, re, threading, hashlib, collections
doc = {"k%d" % i: [i, str(i) * (i % 7), {"f": i / 3.0, "t": [True, None]}] for i in range(20000)}
s = json.dumps(doc, sort_keys=True)
back = json.loads(s)
print(len(s), back == doc, hashlib.sha256(s.encode()).hexdigest())
words = re.findall(r"k(\d+)\"?: \[\d+, \"(\d*)\"", s)
print(len(words), sum(int(a) for a, _ in words), collections.Counter(len(b) for _, b in words).most_common(3))
print(re.sub(r"(\d)(\d)", r"\2\1", s[:200]))
out = [None] * 8
def work(n):
    d = {}
    for i in range(30000):
        d[str(i * n)] = [i] * (i % 5)
        if i % 3 == 0:
            d.pop(str((i - 3) * n), None)
    out[n] = (len(d), sum(len(v) for v in d.values()), json.dumps(sorted(d)[:3]))
ts = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print(out)
print(sorted(set(bytes(range(256)).decode("latin-1")))[:5], "".join(reversed("vgc" * 3)))
EOF
if [ -x "$py" ]; then
	"$py" "$tmp/t.py" >"$tmp/py.ref" 2>&1
	ref=$?
	pre py "$py" "$tmp/t.py" >"$tmp/py.out"
	rc=$?
	s=1
	served py && s=0
	[ $ref = 0 ] && [ $rc = 0 ] && [ $s = 0 ] && cmp -s "$tmp/py.ref" "$tmp/py.out"
	rc=$?
	[ $rc = 0 ] || { diff "$tmp/py.ref" "$tmp/py.out" | head -20 | sed 's/^/# /'; tail -5 "$tmp/py.stderr" | sed 's/^/# /'; }
	tap_ok $rc "python3.11: json, re, threads: same output"
else
	tap_skip "python3.11: json, re, threads: same output" "no $py"
fi

# fork() without exec: a child that keeps running on its copy of the heap
# (bash subshells; test_re's gh94675 below runs a multiprocessing.Process)
out=$(env LD_PRELOAD="$so" bash -c 'x=$(echo hi); y=$( (echo "$x"; echo there) | tr "\n" " "); echo "$y"' 2>&1)
[ "$out" = "hi there " ]
tap_ok $? "bash subshells fork and keep running on their own heap"

# A few regression tests, the verdict lines of both runs must agree.
pytests="test_json test_re test_list test_dict test_set test_string test_bytes"
pyskip=""
if [ -x "$py" ] && [ -e /usr/lib/python3.11/test/test_re.py ]; then
	verdicts() { grep -E '^(test_[a-z_]+ |Result:|Tests result:|== Tests result)|(passed|failed)' | sed 's/ in [0-9.]*[a-z ]*$//;s/^0:[0-9:]* load avg: [0-9.]* //;s/\[ *[0-9]*\/[0-9]*\] //' | grep -v '^Total duration'; }
	(cd "$tmp" && "$py" -m test -q $pyskip $pytests 2>&1) | verdicts >"$tmp/pyt.ref"
	(cd "$tmp" && env LD_PRELOAD="$so" VGC_SHOW_STATS="$tmp/pyt.err" "$py" -m test -q $pyskip $pytests 2>&1) | verdicts >"$tmp/pyt.out"
	s=1
	served pyt && s=0
	grep -q 'SUCCESS' "$tmp/pyt.ref" && [ $s = 0 ] && cmp -s "$tmp/pyt.ref" "$tmp/pyt.out"
	rc=$?
	sed 's/^/# ref: /' "$tmp/pyt.ref" | tail -3
	[ $rc = 0 ] || { diff "$tmp/pyt.ref" "$tmp/pyt.out" | head -20 | sed 's/^/# /'; tail -5 "$tmp/pyt.stderr" | sed 's/^/# /'; }
	tap_ok $rc "python3.11 -m test $pytests: same verdicts"
else
	tap_skip "python3.11 -m test $pytests: same verdicts" "no libpython3.11-testsuite"
fi

tap_done
