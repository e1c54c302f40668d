# SPDX-License-Identifier: GPL-2.0
"""Sorting with key objects: tuple keys, cmp_to_key wrappers, __lt__.

Each sort allocates one key object per element and drops them all after.
"""
from functools import cmp_to_key
from operator import attrgetter

from _bench import lcg, main


class Rec:
    __slots__ = ("a", "b", "s")

    def __init__(self, a, b, s):
        self.a = a
        self.b = b
        self.s = s

    def __lt__(self, other):
        return (self.b, self.a) < (other.b, other.a)


def cmp(x, y):
    return (x.a > y.a) - (x.a < y.a) or (x.b > y.b) - (x.b < y.b)


def run(n, ck):
    rnd = lcg(42)
    recs = [Rec(next(rnd) % 1000, next(rnd) % 100000, str(next(rnd))) for _ in range(n)]
    step = max(1, n // 64)
    for order in (sorted(recs, key=lambda r: (r.a, r.s)),
                  sorted(recs, key=cmp_to_key(cmp)),
                  sorted(recs, key=attrgetter("s"), reverse=True),
                  sorted(recs)):
        ck.add([r.b for r in order[::step]])


if __name__ == "__main__":
    main(run, "records sorted four ways")
