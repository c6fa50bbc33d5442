"""The table peers of Loom's dataframe benchmarks: pandas, Dask (threads), Polars and DuckDB,
chosen by LOOM_FRAME_ENGINE, on the h2o groupby data at LOOM_BENCH_H2O_CSV (bench/run makes it).

    python frame_bench.py <workload> [--quick]

  frame-groupby  load the CSV into memory (not timed), then h2o questions 1-5 one after the
                 other: q1 sum v1 by id1; q2 sum v1 by id1, id2; q3 sum v1, mean v3 by id3;
                 q4 mean v1, v2, v3 by id4; q5 sum v1, v2, v3 by id6. Two threads where the
                 engine has threads (pandas has one).
  frame-csv      read the whole CSV into memory.
  frame-join     (data at LOOM_BENCH_H2O_JOIN) load x, small and medium (not timed), then h2o
                 join questions 1-2: x inner join small on id1, x inner join medium on id2.
  bag-wordcount  (text at LOOM_BENCH_TEXT) dask.bag: read_text (64 MB blocks), split, flatten,
                 frequencies, topk(10) by count, on Dask's default scheduler for bags
                 (processes), 2 workers.
  frame-shuffle-distributed  (CSV at LOOM_BENCH_H2O_CSV, 2 MB blocks) set_index("id3") with
                 the P2P shuffle on a LocalCluster of 2 workers x 1 thread with LOOM_BENCH_SHUFFLE_MEMORY each
                 (140MB: the data is about three times the cluster's memory), written as
                 Parquet; peak_rss_bytes is the workers' peaks summed.
  frame-parquet  (data at LOOM_BENCH_H2O_PARQUET) read the Parquet file whole, read id1 and v3
                 where v3 > 99, write the whole table as Parquet (Snappy): the sum is timed
                 (pyarrow, Dask and Polars).

Prints `RESULT seconds=<s> tasks=<groups or rows> value=<checksum>`.
"""
import os
import sys
import time

ENGINE = os.environ.get("LOOM_FRAME_ENGINE", "pandas")
PATH = os.environ.get("LOOM_BENCH_H2O_CSV")
PARQUET = os.environ.get("LOOM_BENCH_H2O_PARQUET")
TEXT = os.environ.get("LOOM_BENCH_TEXT")
JOIN = os.environ.get("LOOM_BENCH_H2O_JOIN")
THREADS = 2


def load():
    if ENGINE == "pandas":
        import pandas as pd
        return pd.read_csv(PATH)
    if ENGINE == "dask":
        import dask
        import dask.dataframe as dd
        dask.config.set(scheduler="threads", num_workers=THREADS)
        return dd.read_csv(PATH, blocksize="64MB").persist()
    if ENGINE == "polars":
        import polars as pl
        return pl.read_csv(PATH)
    if ENGINE == "duckdb":
        import duckdb
        con = duckdb.connect()
        con.execute(f"SET threads={THREADS}")
        con.execute(f"CREATE TABLE x AS SELECT * FROM read_csv_auto('{PATH}')")
        return con
    raise SystemExit(f"unknown engine {ENGINE}")


QUESTIONS = [
    (["id1"], [("v1", "sum")]),
    (["id1", "id2"], [("v1", "sum")]),
    (["id3"], [("v1", "sum"), ("v3", "mean")]),
    (["id4"], [("v1", "mean"), ("v2", "mean"), ("v3", "mean")]),
    (["id6"], [("v1", "sum"), ("v2", "sum"), ("v3", "sum")]),
]


def question(x, keys, aggs):
    """One answer's row count and the sum of its first aggregate (a checksum)."""
    if ENGINE == "pandas":
        r = x.groupby(keys, sort=True).agg(**{f"{c}_{f}": (c, f) for c, f in aggs}).reset_index()
        return len(r), float(r.iloc[:, len(keys)].sum())
    if ENGINE == "dask":
        r = x.groupby(keys).agg({c: f for c, f in aggs}).compute()
        return len(r), float(r.iloc[:, 0].sum())
    if ENGINE == "polars":
        import polars as pl
        exprs = [getattr(pl.col(c), f)().alias(f"{c}_{f}") for c, f in aggs]
        r = x.group_by(keys).agg(exprs).sort(keys)
        return r.height, float(r[f"{aggs[0][0]}_{aggs[0][1]}"].sum())
    if ENGINE == "duckdb":
        select = ", ".join(f"{'avg' if f == 'mean' else f}({c}) AS {c}_{f}" for c, f in aggs)
        r = x.execute(f"SELECT {', '.join(keys)}, {select} FROM x GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)}").fetchall()
        return len(r), float(sum(row[len(keys)] for row in r))


def maxrss_bytes():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def join():
    """Loads the three tables, times both questions; rows of both answers and the sum of v2."""
    tables = {}
    for name in ("x", "small", "medium"):
        path = os.path.join(JOIN, f"{name}.csv")
        if ENGINE == "pandas":
            import pandas as pd
            tables[name] = pd.read_csv(path)
        elif ENGINE == "dask":
            import dask
            import dask.dataframe as dd
            dask.config.set(scheduler="threads", num_workers=THREADS)
            tables[name] = dd.read_csv(path, blocksize="64MB").persist()
        elif ENGINE == "polars":
            import polars as pl
            tables[name] = pl.read_csv(path)
        else:
            import duckdb
            con = tables.setdefault("con", duckdb.connect())
            con.execute(f"SET threads={THREADS}")
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv_auto('{path}')")
    started = time.perf_counter()
    rows, checksum = 0, 0.0
    for right, key in (("small", "id1"), ("medium", "id2")):
        if ENGINE == "pandas":
            r = tables["x"].merge(tables[right], on=key, how="inner")
            rows, checksum = rows + len(r), checksum + float(r["v2"].sum())
        elif ENGINE == "dask":
            r = tables["x"].merge(tables[right], on=key, how="inner").compute()
            rows, checksum = rows + len(r), checksum + float(r["v2"].sum())
        elif ENGINE == "polars":
            r = tables["x"].join(tables[right], on=key, how="inner")
            rows, checksum = rows + r.height, checksum + float(r["v2"].sum())
        else:
            con = tables["con"]
            con.execute(f"CREATE OR REPLACE TABLE answer AS SELECT * FROM x JOIN {right} USING ({key})")
            n, s = con.execute("SELECT count(*), sum(v2) FROM answer").fetchone()
            rows, checksum = rows + n, checksum + float(s)
    seconds = time.perf_counter() - started
    print(f"RESULT seconds={seconds} tasks={rows} value={checksum:.6g} peak_rss_bytes={maxrss_bytes()}")
    return 0


def parquet():
    """Read whole, read two columns with a filter, write; seconds of each in parts=."""
    import shutil
    import tempfile
    out = tempfile.mkdtemp(prefix="frame-parquet-")
    try:
        started = time.perf_counter()
        if ENGINE == "pyarrow":
            import pyarrow.parquet as pq
            whole = pq.read_table(PARQUET)
            read = time.perf_counter()
            selected = pq.read_table(PARQUET, columns=["id1", "v3"], filters=[("v3", ">", 99.0)]).num_rows
            filtered = time.perf_counter()
            pq.write_table(whole, os.path.join(out, "part.0.parquet"), compression="snappy")
            rows = whole.num_rows
        elif ENGINE == "dask":
            import dask
            import dask.dataframe as dd
            dask.config.set(scheduler="threads", num_workers=THREADS)
            whole = dd.read_parquet(PARQUET).compute()
            read = time.perf_counter()
            selected = len(dd.read_parquet(PARQUET, columns=["id1", "v3"], filters=[("v3", ">", 99.0)]).compute())
            filtered = time.perf_counter()
            dd.from_pandas(whole, npartitions=10).to_parquet(out, compression="snappy", write_index=False)
            rows = len(whole)
        elif ENGINE == "polars":
            import polars as pl
            whole = pl.read_parquet(PARQUET)
            read = time.perf_counter()
            selected = pl.scan_parquet(PARQUET).filter(pl.col("v3") > 99.0).select(["id1", "v3"]).collect().height
            filtered = time.perf_counter()
            whole.write_parquet(os.path.join(out, "part.0.parquet"), compression="snappy")
            rows = whole.height
        else:
            raise SystemExit(f"frame-parquet has no engine {ENGINE}")
        written = time.perf_counter()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    parts = f"read:{read - started:.3f},select:{filtered - read:.3f},write:{written - filtered:.3f}"
    print(f"RESULT seconds={written - started} tasks={rows} value={selected} parts={parts}")
    return 0


def wordcount():
    """The ten most frequent words; tasks = how many came back (10)."""
    import dask
    import dask.bag as db
    started = time.perf_counter()
    words = db.read_text(TEXT, blocksize="64MB").str.split().flatten()
    top = words.frequencies().topk(10, key=1).compute(scheduler="processes", num_workers=THREADS)
    seconds = time.perf_counter() - started
    print(f"RESULT seconds={seconds} tasks={len(top)} value={top[0][1]}")
    return 0


def shuffle_distributed():
    import resource
    import shutil
    import tempfile
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    memory = os.environ.get("LOOM_BENCH_SHUFFLE_MEMORY", "140MB")
    out = tempfile.mkdtemp(prefix="frame-shuffle-")
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory) as cluster, Client(cluster) as client:
            started = time.perf_counter()
            frame = dd.read_csv(PATH, blocksize="2MB")
            frame.set_index("id3", shuffle_method="p2p").to_parquet(out, write_index=True)
            seconds = time.perf_counter() - started
            peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        rows = len(dd.read_parquet(out))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"RESULT seconds={seconds} tasks={rows} peak_rss_bytes={sum(peaks.values())}")
    return 0


def main(argv):
    workload = next(a for a in argv if not a.startswith("--"))
    if workload == "frame-shuffle-distributed":
        return shuffle_distributed()
    if workload == "bag-wordcount":
        return wordcount()
    if workload == "frame-parquet":
        if ENGINE == "polars":
            os.environ.setdefault("POLARS_MAX_THREADS", str(THREADS))
        if ENGINE == "pyarrow":
            import pyarrow
            pyarrow.set_cpu_count(THREADS)
            pyarrow.set_io_thread_count(THREADS)
        return parquet()
    if workload == "frame-join":
        if ENGINE == "polars":
            os.environ.setdefault("POLARS_MAX_THREADS", str(THREADS))
        return join()
    if ENGINE == "polars":
        os.environ.setdefault("POLARS_MAX_THREADS", str(THREADS))
    if workload == "frame-csv":
        started = time.perf_counter()
        x = load()
        rows = x.execute("SELECT count(*) FROM x").fetchone()[0] if ENGINE == "duckdb" else len(x)
        print(f"RESULT seconds={time.perf_counter() - started} tasks={rows} value={rows}")
        return 0
    x = load()
    started = time.perf_counter()
    groups, checksum = 0, 0.0
    for keys, aggs in QUESTIONS:
        n, s = question(x, keys, aggs)
        groups += n
        checksum += s
    print(f"RESULT seconds={time.perf_counter() - started} tasks={groups} value={checksum:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
