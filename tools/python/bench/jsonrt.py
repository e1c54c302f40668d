# SPDX-License-Identifier: GPL-2.0
"""json round trips: records to text and back, in rounds.

(Not named json.py: the script's directory comes first on sys.path.)
"""
import json

from _bench import main

ROUNDS = 4


def run(n, ck):
    for r in range(ROUNDS):
        recs = [{"id": i, "name": "user%d" % (i + r), "score": i * 0.25,
                 "tags": ["a", "b%d" % (i % 10)], "ok": i % 2 == 0,
                 "sub": {"x": i, "y": [i, -i]}}
                for i in range(n)]
        text = json.dumps(recs)
        back = json.loads(text)
        back[0]["round"] = r
        again = json.dumps(back, sort_keys=True)
        ck.add((len(text), len(again), sum(x["sub"]["x"] for x in back)))


if __name__ == "__main__":
    main(run, "records per round")
