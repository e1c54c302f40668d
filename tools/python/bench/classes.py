# SPDX-License-Identifier: GPL-2.0
"""Class instances: binary trees built and dropped, a small hierarchy.

Instances with a __dict__ (allocated apart from the object) and with
__slots__; trees of many depths live and die together, as the
binary-trees benchmark's do.
"""
from _bench import main


class Node:
    def __init__(self, left, right):
        self.left = left
        self.right = right


class Shape:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def area(self):
        return 0


class Rect(Shape):
    __slots__ = ("w", "h")

    def __init__(self, x, y, w, h):
        super().__init__(x, y)
        self.w = w
        self.h = h

    def area(self):
        return self.w * self.h


class Tagged:
    """Attributes added after __init__: the instance dict grows."""

    def __init__(self, i):
        self.i = i


def make(depth):
    if depth == 0:
        return Node(None, None)
    return Node(make(depth - 1), make(depth - 1))


def count(t):
    if t.left is None:
        return 1
    return 1 + count(t.left) + count(t.right)


def run(depth, ck):
    long_lived = make(depth)
    for d in range(4, depth + 1, 2):
        iters = 1 << (depth - d + 4)
        ck.add((d, sum(count(make(d)) for _ in range(iters))))
    shapes = [Rect(i, i, i % 7, i % 11) if i % 3 else Shape(i, i) for i in range(1 << depth)]
    ck.add(sum(s.area() for s in shapes))
    tags = []
    for i in range(1 << depth):
        t = Tagged(i)
        for k in range(i % 6):
            setattr(t, "a%d" % k, k)
        tags.append(t)
    ck.add(sum(len(vars(t)) for t in tags))
    ck.add(count(long_lived))


if __name__ == "__main__":
    main(run, "tree depth")
