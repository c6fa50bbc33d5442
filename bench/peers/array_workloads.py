"""What the array workloads compute, shared by dask_bench.py and numpy_bench.py (loom-bench's
bench/Sources/loom-bench/ArrayWorkloads.swift does the same): sizes, the value each result must
be near, and the RESULT line. Standard library only (the peers import numpy or Dask themselves).

  array-memory-bound  x = random n x n float64 (seed 1), (x + x.T).mean(axis=0).sum()
  array-distributed   the same on a LocalCluster (Dask only)
  array-blas          a = random n x n float64 (seed 1), (a @ a).sum()

The peers' random numbers differ (numpy draws one stream, Dask one per chunk), so each result is
checked against what it must be near, not against the other sides:
  mean-sum = 2 * x.sum() / n, near n (its spread is about 0.6 for any n; allowed: 0.1 % of n);
  (a @ a).sum() = sum_k colsum_k(a) * rowsum_k(a), near n**3 / 4 (spread ~0.8 / n of it;
  allowed: 1 %).
"""

import resource
import sys

# name: ((n, chunk side) in full, (n, chunk side) with --quick)
SIZES = {
    "array-memory-bound": ((20_000, 2_000), (4_000, 1_000)),
    "array-distributed": ((20_000, 2_000), (4_000, 1_000)),
    "array-blas": ((4_000, 1_000), (1_000, 250)),
}

MEMORY_BOUND_TOLERANCE = 1e-3  # relative
BLAS_TOLERANCE = 1e-2          # relative


def expected(workload, n):
    """(value the result must be near, relative tolerance)."""
    if workload == "array-blas":
        return n ** 3 / 4, BLAS_TOLERANCE
    return float(n), MEMORY_BOUND_TOLERANCE


def check(workload, n, value):
    """Prints the value to stderr; exits 1 if it is not near what it must be."""
    want, tolerance = expected(workload, n)
    sys.stderr.write(f"value={value!r} (expected near {want:g}, n={n})\n")
    if not abs(value - want) <= tolerance * want:
        sys.stderr.write(f"WRONG RESULT: {workload} gave {value!r}, expected {want:g} "
                         f"within {tolerance:.1%}\n")
        sys.exit(1)


def maxrss_bytes():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB, macOS bytes


def report(seconds, tasks, value, peak_rss_bytes=None):
    """The RESULT line (value= is only logged by bench/run)."""
    peak = "" if peak_rss_bytes is None else f" peak_rss_bytes={peak_rss_bytes}"
    print(f"RESULT seconds={seconds:.6f} tasks={tasks}{peak} value={value!r}", flush=True)
