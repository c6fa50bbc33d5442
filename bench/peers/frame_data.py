"""The h2o db-benchmark's data, seeded (the original generator is R), written once as CSV under
.build/bench-data and reused.

groupby (G1_1e7_1e2): id1, id2, id3 strings ("id001" ...), id4, id5, id6 ints, v1, v2 ints
(1..5, 1..15), v3 double (0..100), K = 100 groups per id.
join (J1 in the h2o shape): x with id1 (1..ROWS/1e6), id2 (1..ROWS/1e3), id4 strings and v1;
small with every id1 once and v2; medium with every id2 once, id4 and v2.

    python frame_data.py ROWS PATH           # groupby data, one CSV
    python frame_data.py ROWS DIR --join     # DIR/x.csv, DIR/small.csv, DIR/medium.csv
    python frame_data.py ROWS PATH --parquet  # the groupby data as Parquet (pyarrow's defaults:
                                              # Snappy, row groups of 1 Mi rows), from its CSV
    python frame_data.py BYTES PATH --text    # about BYTES of text: lines of 1-19 words drawn
                                              # Zipf-like from 50 000 ("w" + a number)
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
    write(frame, path)


def write(frame, path):
    partial = path + ".partial"
    frame.to_csv(partial, index=False)
    os.replace(partial, path)


def generate_join(rows, directory):
    rng = np.random.default_rng(7)
    n_small, n_medium = max(1, rows // 1_000_000), max(1, rows // 1_000)
    os.makedirs(directory, exist_ok=True)
    ids = lambda n: np.char.add("id", rng.integers(1, n + 1, rows).astype(str))
    write(pd.DataFrame({"id1": np.arange(1, n_small + 1), "v2": np.round(rng.uniform(0, 100, n_small), 6)}),
          os.path.join(directory, "small.csv"))
    write(pd.DataFrame({"id2": np.arange(1, n_medium + 1), "id4": np.char.add("m", np.arange(1, n_medium + 1).astype(str)),
                        "v2": np.round(rng.uniform(0, 100, n_medium), 6)}), os.path.join(directory, "medium.csv"))
    # x last: its presence says the data is complete.
    write(pd.DataFrame({"id1": rng.integers(1, n_small + 1, rows), "id2": rng.integers(1, n_medium + 1, rows),
                        "id4": ids(100), "v1": np.round(rng.uniform(0, 100, rows), 6)}), os.path.join(directory, "x.csv"))


def generate_text(size, path):
    rng = np.random.default_rng(11)
    vocabulary = np.array([f"w{i}" for i in range(50_000)])
    partial = path + ".partial"
    written = 0
    with open(partial, "w") as out:
        while written < size:
            words = vocabulary[np.minimum(rng.zipf(1.2, 1_000_000) - 1, len(vocabulary) - 1)]
            lengths = rng.integers(1, 20, 200_000)
            ends = np.cumsum(lengths)
            ends = ends[ends <= len(words)]
            starts = np.concatenate([[0], ends[:-1]])
            text = "\n".join(" ".join(words[a:b]) for a, b in zip(starts, ends)) + "\n"
            out.write(text)
            written += len(text)
    os.replace(partial, path)


def parquet_from_csv(csv_path, path):
    import pyarrow.csv
    import pyarrow.parquet
    partial = path + ".partial"
    pyarrow.parquet.write_table(pyarrow.csv.read_csv(csv_path), partial, compression="snappy")
    os.replace(partial, path)


if __name__ == "__main__":
    rows, path = int(sys.argv[1]), sys.argv[2]
    if "--text" in sys.argv:
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            generate_text(rows, path)
    elif "--parquet" in sys.argv:
        csv_path = path[: -len(".parquet")] + ".csv"
        if not os.path.exists(csv_path):
            generate(rows, csv_path)
        if not os.path.exists(path):
            parquet_from_csv(csv_path, path)
    elif "--join" in sys.argv:
        if not os.path.exists(os.path.join(path, "x.csv")):
            generate_join(rows, path)
    elif not os.path.exists(path):
        generate(rows, path)
