# SPDX-License-Identifier: GPL-2.0
"""Regular expressions: findall, sub with a function, split, match groups.

Every match is an object, every group a new string.
"""
import re

from _bench import main

WORD = re.compile(r"([a-z]+)(\d+)")
KEY = re.compile(r"=v(\d+)")
REC = re.compile(r"^item(?P<id>\d+) user(?P<user>\d+)")


def run(n, ck):
    counts = {}
    total = 0
    users = 0
    for i in range(n):
        line = f"item{i} user{i * 7 % 1000} code{i % 97}-x key=v{i % 13}; tail {i:x}"
        for word, digits in WORD.findall(line):
            counts[word] = counts.get(word, 0) + int(digits)
        line2 = KEY.sub(lambda m: "=" + m.group(1) * 2, line)
        total += len(line2.split(";")[0])
        m = REC.match(line2)
        users += int(m.group("user"))
    ck.add(sorted(counts.items()))
    ck.add((total, users))


if __name__ == "__main__":
    main(run, "lines")
