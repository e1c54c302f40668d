# SPDX-License-Identifier: GPL-2.0
# Run by python_module_test (copied to its scratch directory as procs.py,
# which the subprocess child imports): every way CPython starts or forks
# an interpreter -- os.fork(), subprocess, threads, multiprocessing's
# fork, forkserver and spawn -- doing work whose results are printed.  The
# output must be the same under vgc-python and /usr/bin/python3.11; each
# process also checks that /dev/vgc is mapped in it exactly when
# $VGC_PYMOD_WANT is 1, so a child that fell off the module shows up as
# False.  What each step took goes to stderr.
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time

WANT = os.environ["VGC_PYMOD_WANT"] == "1"


def arena_ok():
    with open("/proc/self/maps") as f:
        return ("/dev/vgc" in f.read()) == WANT


def work(n):
    d = {str(i): [i] * (i % 5) for i in range(n)}
    s = "".join(sorted(d)[:50])
    return sum(map(len, d.values())) + len(d) + len(s)


def task(x):
    return work(200 + x), arena_ok()


def to_queue(q, n):
    q.put((work(n), arena_ok()))


def show(what, results):
    print(what, [r[0] for r in results], all(r[1] for r in results))


def fork():
    keep = [work(100)] * 3
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        keep[0] = -1
        keep.extend(range(1000))
        os.write(w, repr((work(3000), arena_ok(), len(keep))).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        got = eval(f.read())
    st = os.waitpid(pid, 0)[1]
    print("fork", got, os.waitstatus_to_exitcode(st), keep)


def spawn_subprocess():
    code = ("import sys; sys.path.insert(0, %r); import procs; "
            "print(procs.work(1500), procs.arena_ok())" % sys.path[0])
    out = subprocess.run([sys.executable, "-c", code], check=True,
                         capture_output=True, text=True).stdout
    print("subprocess", out.split())


def threads():
    out = [None] * 4

    def run(i):
        out[i] = (work(2000 + i), arena_ok())

    ts = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    show("threads", out)


def pool(method):
    with mp.get_context(method).Pool(2) as p:
        show(method + " pool", p.map(task, range(6)))


def process():
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=to_queue, args=(q, 1000))
    p.start()
    got = q.get(timeout=120)
    p.join()
    show("fork process", [got])
    print("fork exit", p.exitcode)


def timed(name, step, *args):
    t0 = time.monotonic()
    step(*args)
    sys.stdout.flush()
    print("%s: %.1f s" % (name, time.monotonic() - t0), file=sys.stderr)


if __name__ == "__main__":
    print("main", work(1000), arena_ok())
    timed("os.fork", fork)
    timed("subprocess", spawn_subprocess)
    timed("threads", threads)
    timed("process", process)
    for m in ("fork", "forkserver", "spawn"):
        timed(m + " pool", pool, m)
    print("done")
