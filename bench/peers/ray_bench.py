"""Ray side of Loom's distributed benchmarks (run by bench/run inside its virtual environment).

    python ray_bench.py <workload> [--quick]

Does one run and prints one line to stdout:

    RESULT seconds=<float> tasks=<int>

Every workload starts its own local Ray instance with `ray.init(num_cpus=2,
include_dashboard=False)` -- Ray's counterpart of a LocalCluster of 2 worker processes x 1 thread:
Ray has no worker count, it runs as many worker processes as there are CPUs for 1-CPU tasks --
and `ray.shutdown()`s it at the end (untimed). Except for cluster-start, the instance is started
untimed, both CPUs are registered and one untimed warm-up runs a `noop` task per CPU, so both
worker processes are up before the timer starts (bench/peers/dask_bench.py does the same on Dask).

  tree-sum-distributed  inc.remote(i) for i in range(20 000), then the pairwise add.remote(a, b)
                        tree (an odd element passes through); tasks = 2n - 1. Ray has no graph to
                        build before computing: submitting *is* building, so the time runs from the
                        first .remote() to ray.get of the root.
  map-distributed       [inc.remote(i) for i in range(20 000)] + ray.get(refs), both timed
  latency-distributed   200 x ray.get(inc.remote(i)); seconds = median round trip, tasks = 1
  cluster-start         seconds = ray.init(...) until ray.cluster_resources() shows 2 CPUs (Ray's
                        worker processes may still be starting then); shutdown untimed; tasks = 1
--quick: n = 2 000, 20 round trips.

Environment set here before Ray is imported (an explicit value in the environment wins):
  RAY_USAGE_STATS_ENABLED=0               no usage report is sent anywhere
  RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0     the single-node instance uses 127.0.0.1, as Ray does on
                                          macOS/Windows, not this machine's network address
"""

import os
import statistics
import sys
import time

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import ray  # noqa: E402  (after the environment above; imported untimed)

import peer_main  # bench/peers/peer_main.py, beside this script

CPUS = 2


@ray.remote
def inc(i):
    return i + 1


@ray.remote
def add(a, b):
    return a + b


@ray.remote
def noop(i):
    return i


def expected(n):
    return n * (n + 1) // 2  # sum(i + 1 for i in range(n))


def fail(message):
    sys.stderr.write(f"WRONG RESULT: {message}\n")
    ray.shutdown()
    sys.exit(1)


def start():
    ray.init(num_cpus=CPUS, include_dashboard=False)
    deadline = time.monotonic() + 120
    while ray.cluster_resources().get("CPU", 0) < CPUS:
        if time.monotonic() > deadline:
            raise RuntimeError(f"Ray shows {ray.cluster_resources()} after 120 s, wants {CPUS} CPUs")
        time.sleep(0.005)


def on_cluster(body):
    """Runs body() on a started Ray instance whose worker processes have each run a task (untimed)."""
    start()
    try:
        if ray.get([noop.remote(i) for i in range(CPUS)]) != list(range(CPUS)):
            raise RuntimeError("warm-up returned a wrong result")
        return body()
    finally:
        ray.shutdown()


def tree_sum_distributed(n):
    def body():
        t0 = time.perf_counter()
        level = [inc.remote(i) for i in range(n)]
        tasks = n
        while len(level) > 1:
            nxt = [add.remote(level[j], level[j + 1]) for j in range(0, len(level) - 1, 2)]
            tasks += len(nxt)
            if len(level) % 2:
                nxt.append(level[-1])  # an odd element passes through to the next level
            level = nxt
        value = ray.get(level[0])
        seconds = time.perf_counter() - t0
        return value, seconds, tasks

    value, seconds, tasks = on_cluster(body)
    if tasks != 2 * n - 1:
        fail(f"{tasks} tasks, expected {2 * n - 1}")
    if value != expected(n):
        fail(f"got {value!r}, expected {expected(n)} (n={n})")
    print(f"RESULT seconds={seconds:.6f} tasks={tasks}", flush=True)


def map_distributed(n):
    def body():
        t0 = time.perf_counter()
        refs = [inc.remote(i) for i in range(n)]
        values = ray.get(refs)
        seconds = time.perf_counter() - t0
        return values, seconds

    values, seconds = on_cluster(body)
    if values != [i + 1 for i in range(n)]:
        fail(f"map-distributed values differ from inc(i) (n={n})")
    print(f"RESULT seconds={seconds:.6f} tasks={n}", flush=True)


def latency_distributed(rounds):
    def body():
        times = []
        for i in range(rounds):
            t0 = time.perf_counter()
            value = ray.get(inc.remote(i))
            times.append(time.perf_counter() - t0)
            if value != i + 1:
                return i, value, times
        return None, None, times

    bad, value, times = on_cluster(body)
    if bad is not None:
        fail(f"inc({bad}) = {value!r}")
    sys.stderr.write(f"round trips (s): min {min(times):.6f} median {statistics.median(times):.6f} "
                     f"max {max(times):.6f} (first {times[0]:.6f})\n")
    print(f"RESULT seconds={statistics.median(times):.6f} tasks=1", flush=True)


def cluster_start(_n):
    t0 = time.perf_counter()
    start()
    seconds = time.perf_counter() - t0
    cpus = ray.cluster_resources().get("CPU", 0)
    ray.shutdown()  # not timed
    if cpus != CPUS:
        fail(f"{cpus} CPUs, expected {CPUS}")
    print(f"RESULT seconds={seconds:.6f} tasks=1", flush=True)


WORKLOADS = {
    # name: (function, full n, --quick n)
    "tree-sum-distributed": (tree_sum_distributed, 20_000, 2_000),
    "map-distributed": (map_distributed, 20_000, 2_000),
    "latency-distributed": (latency_distributed, 200, 20),  # round trips
    "cluster-start": (cluster_start, 1, 1),
}


def main(argv):
    return peer_main.run(WORKLOADS, "ray_bench.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
