"""The h2o db-benchmark's groupby data, seeded (the original generator is R): id1, id2, id3
strings ("id001" ...), id4, id5, id6 ints, v1, v2 ints (1..5, 1..15), v3 double (0..100), K = 100
groups per id as in G1_1e7_1e2. Written once as CSV under .build/bench-data and reused.

    python frame_data.py ROWS PATH
"""
import os
import sys

import numpy as np
import pandas as pd


def generate(rows, path, k=100):
    rng = np.random.default_rng(42)
    nk = max(1, rows // k)
    frame = pd.DataFrame({
        "id1": np.char.add("id", np.char.zfill(rng.integers(1, k + 1, rows).astype(str), 3)),
        "id2": np.char.add("id", np.char.zfill(rng.integers(1, k + 1, rows).astype(str), 3)),
        "id3": np.char.add("id", np.char.zfill(rng.integers(1, nk + 1, rows).astype(str), 10)),
        "id4": rng.integers(1, k + 1, rows),
        "id5": rng.integers(1, k + 1, rows),
        "id6": rng.integers(1, nk + 1, rows),
        "v1": rng.integers(1, 6, rows),
        "v2": rng.integers(1, 16, rows),
        "v3": np.round(rng.uniform(0, 100, rows), 6),
    })
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + ".partial"
    frame.to_csv(partial, index=False)
    os.replace(partial, path)


if __name__ == "__main__":
    rows, path = int(sys.argv[1]), sys.argv[2]
    if not os.path.exists(path):
        generate(rows, path)
