# SPDX-License-Identifier: GPL-2.0
"""The command line and the checksum line shared by vgc-bench python's workloads.

A workload is run(size, ck): it does its work and feeds what it computed
into ck, so that a checksum equal under both interpreters shows both did
the same work (vgc-bench compares them).  Timing is the parent's job:
nothing here reads a clock.
"""
import hashlib
import sys


class Checksum:
    """A 64-bit digest of the repr() of every value added, in order."""

    def __init__(self):
        self._h = hashlib.blake2b(digest_size=8)

    def add(self, value):
        self._h.update(repr(value).encode())
        self._h.update(b"\0")

    def hexdigest(self):
        return self._h.hexdigest()


def main(run, what):
    """Runs run(size, ck) with size from argv[1]; prints 'checksum HEX'."""
    args = sys.argv[1:]
    if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
        sys.exit(f"usage: {sys.argv[0]} SIZE  (SIZE: a positive integer, {what})")
    ck = Checksum()
    run(int(args[0]), ck)
    print("checksum", ck.hexdigest())


def lcg(seed):
    """Deterministic pseudo-random integers, the same on every interpreter."""
    x = seed
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        yield x >> 33
