"""numpy side of Loom's array benchmarks (run by bench/run inside its virtual environment, where
numpy comes with Dask): the same expression in one process, the physical reference for
memory-bound and BLAS-bound work.

    python numpy_bench.py <workload> [--quick]

Does one run and prints one line to stdout:

    RESULT seconds=<float> tasks=1 [peak_rss_bytes=<int>] value=<float>

  array-memory-bound  x = np.random.default_rng(1).random((20 000, 20 000)) (3.2 GB);
                      (x + x.T).mean(axis=0).sum(); peak_rss_bytes = ru_maxrss after it minus
                      ru_maxrss before x was drawn
  array-blas          a = np.random.default_rng(1).random((4 000, 4 000)); (a @ a).sum()
--quick: 4 000 x 4 000 and 1 000 x 1 000 (bench/peers/array_workloads.py).

Timed: drawing the random array and the expression, as the Dask and Loom sides' compute draws
their chunks. numpy's matmul uses the OpenBLAS bundled with numpy, with OPENBLAS_NUM_THREADS
threads: bench/run sets it to 1 (peer `numpy`) or 2 (peer `numpy-2threads`); it must be set
before numpy is imported, so this script only reports it.
"""

import os
import sys
import time

import numpy as np

import array_workloads  # bench/peers/array_workloads.py, beside this script
import peer_main


def blas_threads():
    return os.environ.get("OPENBLAS_NUM_THREADS", "unset (OpenBLAS's default: one per core)")


def memory_bound(size):
    n, _chunk = size  # one array, no chunks
    baseline = array_workloads.maxrss_bytes()
    t0 = time.perf_counter()
    x = np.random.default_rng(1).random((n, n))
    value = float((x + x.T).mean(axis=0).sum())
    seconds = time.perf_counter() - t0
    peak = array_workloads.maxrss_bytes() - baseline
    del x
    array_workloads.check("array-memory-bound", n, value)
    array_workloads.report(seconds, 1, value, peak)


def blas(size):
    n, _chunk = size
    sys.stderr.write(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={blas_threads()}\n")
    baseline = array_workloads.maxrss_bytes()
    t0 = time.perf_counter()
    a = np.random.default_rng(1).random((n, n))
    value = float((a @ a).sum())
    seconds = time.perf_counter() - t0
    peak = array_workloads.maxrss_bytes() - baseline
    array_workloads.check("array-blas", n, value)
    array_workloads.report(seconds, 1, value, peak)


WORKLOADS = {
    # name: (function, full size, --quick size); sizes are (n, chunk side)
    "array-memory-bound": (memory_bound, *array_workloads.SIZES["array-memory-bound"]),
    "array-blas": (blas, *array_workloads.SIZES["array-blas"]),
}


def main(argv):
    return peer_main.run(WORKLOADS, "numpy_bench.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
