# SPDX-License-Identifier: GPL-2.0
"""Object churn: short-lived tuples, strings, lists, floats and bytes.

Most objects die at once; a ring of 4096 keeps some alive for a while, so
frees come in a different order from the allocations, as in real programs.
"""
from _bench import main

RING = 4096


def run(n, ck):
    ring = [None] * RING
    acc = 0
    for i in range(n):
        t = (i, str(i), [i, i + 1], i * 0.5, bytes(i & 63))
        ring[i & (RING - 1)] = t
        old = ring[(i * 7 + 13) & (RING - 1)]
        if old is not None:
            acc += old[0] + len(old[1]) + old[2][1] + len(old[4])
        if i % 8192 == 0:
            ck.add(acc)
    ck.add(acc)
    ck.add(sum(len(t[1]) for t in ring if t is not None))


if __name__ == "__main__":
    main(run, "objects created")
