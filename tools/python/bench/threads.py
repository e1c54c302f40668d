# SPDX-License-Identifier: GPL-2.0
"""Threads: objects made on one thread and freed on another, and private work.

Two producers hand batches of objects to two consumers through queues (a
free from another thread than the allocation's), while two more threads
build dicts of their own.  The checksum is of per-thread results, so it
does not depend on scheduling.
"""
import queue
import threading

from _bench import main

BATCH = 256


def produce(tid, n, q):
    for b in range(0, n, BATCH):
        q.put([(tid, i, str(i), [i] * (i & 3)) for i in range(b, min(n, b + BATCH))])
    q.put(None)


def consume(tid, q, out):
    total = 0
    while (batch := q.get()) is not None:
        total += sum(t[1] + len(t[2]) + len(t[3]) for t in batch)
    out[tid] = total


def private(tid, n, out):
    d = {}
    for i in range(n):
        k = (tid, i % 1024)
        d[k] = d.get(k, 0) + len(str(i * (tid + 1)))
        if i & 1023 == 0:
            d = {k: v for k, v in d.items() if v & 1}
    out[tid] = (len(d), sum(d.values()))


def run(n, ck):
    out = [None] * 6
    qs = [queue.Queue(maxsize=8), queue.Queue(maxsize=8)]
    ts = [threading.Thread(target=produce, args=(t, n, qs[t])) for t in range(2)]
    ts += [threading.Thread(target=consume, args=(2 + t, qs[t], out)) for t in range(2)]
    ts += [threading.Thread(target=private, args=(t, n, out)) for t in range(4, 6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ck.add(out[2:])


if __name__ == "__main__":
    main(run, "objects per thread")
