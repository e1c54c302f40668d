# SPDX-License-Identifier: GPL-2.0
"""dict and list building: grouping, nested records, deletion, merging.

Dicts and lists grow through realloc of their tables, so this stresses
resizing as much as small objects.
"""
from _bench import main


def run(n, ck):
    groups = {}
    nkeys = n // 4 + 1
    for i in range(n):
        groups.setdefault(f"k{i % nkeys}", []).append(i)
    ck.add(len(groups))
    ck.add(sum(len(v) for v in groups.values()))

    rows = [{"id": i, "name": f"n{i}", "tags": [i % 3, i % 5]} for i in range(n // 2)]
    by_tag = {}
    for r in rows:
        by_tag.setdefault(r["tags"][1], []).append(r["id"])
    ck.add({k: (len(v), sum(v)) for k, v in sorted(by_tag.items())})

    for k in list(groups)[::2]:
        del groups[k]
    merged = {**groups, **{f"m{i}": [i] for i in range(n // 8)}}
    ck.add(len(merged))
    ck.add(sorted(merged)[:16])
    pairs = [(k, len(v)) for k, v in merged.items() if len(v) > 2]
    ck.add(len(pairs))


if __name__ == "__main__":
    main(run, "items grouped")
