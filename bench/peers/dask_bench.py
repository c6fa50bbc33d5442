"""Dask side of Loom's benchmarks (run by bench/run inside its virtual environment).

    python dask_bench.py <workload> [--quick]

Does one run and prints one line to stdout:

    RESULT seconds=<float> tasks=<int> [peak_rss_bytes=<int>] [value=<float>]

Workloads (Loom's loom-bench does exactly the same):
  tree-sum-sync       n=100 000 inc leaves + pairwise add tree, scheduler="sync"
  tree-sum-threads    same graph, scheduler="threads", num_workers=2
  tree-sum-processes  n=20 000, scheduler="processes", num_workers=2 (dask's default "spawn")
  graph-1m            n=500 000 (~1 000 000 tasks) on threads; build + compute timed together;
                      peak_rss_bytes = ru_maxrss after compute - ru_maxrss before building
Distributed (bench/peers/ray_bench.py does the same on Ray), each on
LocalCluster(n_workers=2, threads_per_worker=1, processes=True) + Client, started untimed, both
workers ready (client.wait_for_workers(2)) and one untimed warm-up (`noop` on each worker):
  tree-sum-distributed  the tree-sum graph, n=20 000, built untimed; client.compute(root).result()
  map-distributed       client.map(inc, range(20 000)) + client.gather(futures), both timed
  latency-distributed   200 x (client.submit(inc, i).result()); seconds = median round trip, tasks=1
  fib-distributed       client.submit(fib, 22).result(), fib launching fib(n-1) and fib(n-2)
                        through worker_client (it secedes while it waits); tasks = 57 313 calls
  queue-throughput      10 000 items through a distributed Queue from a producer task on one
                        worker to a consumer task on the other; tasks = items
  lock-latency          200 x (Lock.acquire() + release()) from the client; median seconds
  cluster-start         seconds = LocalCluster(...) + Client(cluster) + wait_for_workers(2);
                        closed untimed; tasks=1
  kube-scale-20         classic dask-kubernetes KubeCluster on the Kubernetes stand-in:
                        seconds = scale(20) + wait_for_workers(20); tasks=20
  cloud-scale-20        dask-cloudprovider FargateCluster on moto and the task agent: seconds =
                        from nothing to 20 workers joined + a 2 000-task map; tasks=2000
Arrays (bench/peers/numpy_bench.py does the same in numpy; sizes and checks in
bench/peers/array_workloads.py), each drawn with da.random.default_rng(1).random(...); the
expression is built untimed, its compute (which draws the chunks) is timed; tasks = the tasks in
its graph (len(y.__dask_graph__()), before Dask's optimization):
  array-memory-bound  x 20 000 x 20 000 float64, chunks 2 000 x 2 000,
                      (x + x.T).mean(axis=0).sum() on scheduler="threads", num_workers=2;
                      peak_rss_bytes = ru_maxrss after compute - ru_maxrss before building x
  array-blas          a 4 000 x 4 000, chunks 1 000 x 1 000, (a @ a).sum() on threads (2);
                      bench/run sets OPENBLAS_NUM_THREADS=1: the parallelism is over blocks
  array-distributed   array-memory-bound on the LocalCluster above: client.compute(y).result()
--quick: n=2 000 for tree-sum-* and *-distributed, n=10 000 for graph-1m, 20 round trips;
4 000 x 4 000 in chunks of 1 000 x 1 000 for array-memory-bound and array-distributed,
1 000 x 1 000 in chunks of 250 x 250 for array-blas.

The task functions live at the top level of this module so the processes scheduler can use them.
"""

import resource
import statistics
import sys
import time

import array_workloads  # bench/peers/array_workloads.py, beside this script
import peer_main  # bench/peers/peer_main.py, beside this script


def inc(i):
    return i + 1


def add(a, b):
    return a + b


def noop(i):
    return i


def build_tree(n):
    """n delayed inc leaves, then a pairwise add reduction; returns (root, task count)."""
    import dask

    level = [dask.delayed(inc, pure=False)(i) for i in range(n)]
    tasks = n
    while len(level) > 1:
        nxt = []
        for j in range(0, len(level) - 1, 2):
            nxt.append(dask.delayed(add, pure=False)(level[j], level[j + 1]))
        tasks += len(nxt)
        if len(level) % 2:
            nxt.append(level[-1])  # an odd element passes through to the next level
        level = nxt
    assert tasks == 2 * n - 1
    return level[0], tasks


def expected(n):
    return n * (n + 1) // 2  # sum(i + 1 for i in range(n))


def check(value, n):
    if value != expected(n):
        sys.stderr.write(f"WRONG RESULT: got {value!r}, expected {expected(n)} (n={n})\n")
        sys.exit(1)


def maxrss_bytes():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB, macOS bytes


def tree_sum(scheduler, n):
    root, tasks = build_tree(n)  # not timed
    kwargs = {} if scheduler == "sync" else {"num_workers": 2}
    t0 = time.perf_counter()
    value = root.compute(scheduler=scheduler, **kwargs)
    seconds = time.perf_counter() - t0
    check(value, n)
    print(f"RESULT seconds={seconds:.6f} tasks={tasks}", flush=True)


def graph_1m(n):
    import dask  # noqa: F401  (imported before the baseline so it is not counted)

    baseline = maxrss_bytes()
    t0 = time.perf_counter()
    root, tasks = build_tree(n)
    value = root.compute(scheduler="threads", num_workers=2)
    seconds = time.perf_counter() - t0
    peak = maxrss_bytes()
    check(value, n)
    print(f"RESULT seconds={seconds:.6f} tasks={tasks} peak_rss_bytes={peak - baseline}", flush=True)


# --- Distributed: a LocalCluster of 2 worker processes x 1 thread --------------------------------

def start_cluster(tls=False):
    from distributed import Client, LocalCluster

    if tls:
        # Mutual TLS on every connection with an in-memory certificate (needs `cryptography`).
        from distributed.security import Security

        security = Security.temporary()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, security=security)
        client = Client(cluster, security=security)
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
        client = Client(cluster)
    client.wait_for_workers(2)
    return cluster, client


def stop_cluster(cluster, client):
    client.close()
    cluster.close()


def on_cluster(body, tls=False):
    """Runs body(client) on a started cluster whose both workers have run a task (untimed)."""
    cluster, client = start_cluster(tls)
    try:
        workers = list(client.scheduler_info()["workers"])
        warm = [client.submit(noop, i, workers=[w], pure=False) for i, w in enumerate(workers)]
        assert client.gather(warm) == list(range(len(workers)))
        return body(client)
    finally:
        stop_cluster(cluster, client)


def tree_sum_distributed(n):
    root, tasks = build_tree(n)  # not timed

    def body(client):
        t0 = time.perf_counter()
        value = client.compute(root).result()
        seconds = time.perf_counter() - t0
        return value, seconds

    value, seconds = on_cluster(body)
    check(value, n)
    print(f"RESULT seconds={seconds:.6f} tasks={tasks}", flush=True)


def map_distributed(n, tls=False):
    def body(client):
        t0 = time.perf_counter()
        futures = client.map(inc, range(n))
        values = client.gather(futures)
        seconds = time.perf_counter() - t0
        return values, seconds

    values, seconds = on_cluster(body, tls)
    if values != [i + 1 for i in range(n)]:
        sys.stderr.write(f"WRONG RESULT: map-distributed values differ from inc(i) (n={n})\n")
        sys.exit(1)
    print(f"RESULT seconds={seconds:.6f} tasks={n}", flush=True)


def latency_distributed(rounds, tls=False):
    def body(client):
        times = []
        for i in range(rounds):
            t0 = time.perf_counter()
            value = client.submit(inc, i, pure=False).result()
            times.append(time.perf_counter() - t0)
            if value != i + 1:
                sys.stderr.write(f"WRONG RESULT: inc({i}) = {value!r}\n")
                sys.exit(1)
        return times

    times = on_cluster(body, tls)
    sys.stderr.write(f"round trips (s): min {min(times):.6f} median {statistics.median(times):.6f} "
                     f"max {max(times):.6f} (first {times[0]:.6f})\n")
    print(f"RESULT seconds={statistics.median(times):.6f} tasks=1", flush=True)


def fib(n):
    """Tasks launching tasks, as Dask documents it: worker_client secedes while it waits."""
    from distributed import worker_client

    if n < 2:
        return n
    with worker_client() as client:
        a = client.submit(fib, n - 1, pure=False)
        b = client.submit(fib, n - 2, pure=False)
        return a.result() + b.result()


def fib_distributed(n):
    def body(client):
        t0 = time.perf_counter()
        value = client.submit(fib, n, pure=False).result()
        return value, time.perf_counter() - t0

    value, seconds = on_cluster(body)
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    if value != a:
        sys.stderr.write(f"WRONG RESULT: fib({n}) = {value!r}, expected {a}\n")
        sys.exit(1)
    print(f"RESULT seconds={seconds:.6f} tasks={2 * b - 1}", flush=True)


def produce(name, count):
    from distributed import Queue, get_client

    queue = Queue(name, client=get_client())
    for item in range(count):
        queue.put(item)
    return count


def consume(name, count):
    from distributed import Queue, get_client, secede

    secede()  # it waits on the producer: its thread must not hold the producer back
    queue = Queue(name, client=get_client())
    return sum(queue.get(timeout=60) for _ in range(count))


def queue_throughput(count):
    def body(client):
        workers = list(client.scheduler_info()["workers"])
        t0 = time.perf_counter()
        consumer = client.submit(consume, "items", count, workers=[workers[0]], pure=False)
        producer = client.submit(produce, "items", count, workers=[workers[-1]], pure=False)
        total = consumer.result()
        seconds = time.perf_counter() - t0
        return total, producer.result(), seconds

    total, produced, seconds = on_cluster(body)
    if produced != count or total != count * (count - 1) // 2:
        sys.stderr.write(f"WRONG RESULT: the consumer summed {total}\n")
        sys.exit(1)
    print(f"RESULT seconds={seconds:.6f} tasks={count}", flush=True)


def lock_latency(rounds):
    from distributed import Lock

    def body(client):
        lock = Lock("bench")  # the default client: the one on_cluster made
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            if not lock.acquire():
                sys.exit(1)
            lock.release()
            times.append(time.perf_counter() - t0)
        return times

    times = on_cluster(body)
    print(f"RESULT seconds={statistics.median(times):.6f} tasks=1", flush=True)


def cluster_start(_n):
    import distributed  # noqa: F401  (the import is not part of the start)

    t0 = time.perf_counter()
    cluster, client = start_cluster()
    seconds = time.perf_counter() - t0
    workers = len(client.scheduler_info()["workers"])
    stop_cluster(cluster, client)  # not timed
    if workers != 2:
        sys.stderr.write(f"WRONG RESULT: {workers} workers, expected 2\n")
        sys.exit(1)
    print(f"RESULT seconds={seconds:.6f} tasks=1", flush=True)


def batch_scale_up(system, n):
    """dask-jobqueue's SLURMCluster or SGECluster on the local batch system: from scale(jobs=2) to
    both workers up and a small computation done."""
    import dask_jobqueue
    from distributed import Client

    import tempfile

    kind = {"slurm": dask_jobqueue.SLURMCluster, "sge": dask_jobqueue.SGECluster}[system]
    # The jobs' output goes to a folder of its own, not the directory the bench runs in.
    cluster = kind(cores=1, processes=1, memory="1GB", walltime="00:10:00",
                   scheduler_options={"host": "127.0.0.1"}, job_name="dask-bench",
                   log_directory=tempfile.mkdtemp(prefix="dask-bench-jobs-"))
    client = Client(cluster)
    t0 = time.perf_counter()
    cluster.scale(jobs=2)
    client.wait_for_workers(2)
    total = sum(client.gather(client.map(inc, range(n))))
    seconds = time.perf_counter() - t0
    client.close()
    cluster.close()
    if total != expected(n):
        sys.stderr.write(f"WRONG RESULT: got {total}, expected {expected(n)}\n")
        sys.exit(1)
    print(f"RESULT seconds={seconds:.6f} tasks={n}", flush=True)


def kube_scale(n):
    """dask-kubernetes' classic KubeCluster in local mode against the stand-in bench/run starts
    (KUBECONFIG; its node's address in LOOM_BENCH_KUBE_NODE): from scale(n) to n connected
    workers; then a small computation (untimed), as loom-bench does."""
    import os
    import warnings

    from dask_kubernetes.classic import KubeCluster, make_pod_spec
    from distributed import Client

    warnings.simplefilter("ignore", DeprecationWarning)
    pod = make_pod_spec(image="dask-bench", memory_limit="1G", memory_request="256M", cpu_limit=1,
                        cpu_request="100m", threads_per_worker=1)
    cluster = KubeCluster(pod, deploy_mode="local", host=os.environ["LOOM_BENCH_KUBE_NODE"], port=0,
                          dashboard_address=":0")
    client = Client(cluster)
    t0 = time.perf_counter()
    cluster.scale(n)
    client.wait_for_workers(n)
    seconds = time.perf_counter() - t0
    total = sum(client.gather(client.map(inc, range(100))))
    client.close()
    cluster.close()
    if total != expected(100):
        sys.stderr.write(f"WRONG RESULT: got {total}, expected {expected(100)}\n")
        sys.exit(1)
    print(f"RESULT seconds={seconds:.6f} tasks={n}", flush=True)


def cloud_scale(n, tasks=2000):
    """dask-cloudprovider's FargateCluster against moto and the task agent bench/run starts
    (AWS_ENDPOINT_URL): from nothing to n workers joined (Fargate tasks the agent runs as
    `dask worker` processes) and a map of `tasks` incs; closing is not timed. Its scheduler is
    in this program (`scheduler_address`), as Loom's `.local` is; nothing of dask-cloudprovider
    is patched. Set for moto: `fargate_use_private_ip` (moto's network interfaces have no public
    address, which dask-cloudprovider reads as `interface["Association"]["PublicIp"]`),
    `shutdown_scheduler=False` (a given scheduler has no `close`), and the account's
    `taskLongArnFormat` setting, which real accounts have and moto lists only once it is put."""
    import asyncio
    import weakref

    import boto3
    from dask_cloudprovider.aws import FargateCluster
    from distributed import Client, Scheduler

    boto3.client("ecs").put_account_setting(name="taskLongArnFormat", value="enabled")

    async def run():
        t0 = time.perf_counter()
        scheduler = await Scheduler(host="127.0.0.1", port=0, dashboard_address=":0")
        cluster = await FargateCluster(
            n_workers=n, image="dask-bench", worker_cpu=1024, worker_mem=2048, scheduler_address=scheduler.address,
            shutdown_scheduler=False, fargate_use_private_ip=True, asynchronous=True)
        client = await Client(cluster, asynchronous=True)
        await client.wait_for_workers(n)
        total = sum(await client.gather(client.map(inc, range(tasks))))
        seconds = time.perf_counter() - t0
        await client.close()
        # Its finalizers would run again at exit, on a closed event loop.
        for ref, info in list(weakref.finalize._registry.items()):
            if info.weakref() is cluster:
                ref.detach()
        await cluster.close()
        await scheduler.close()
        return seconds, total

    seconds, total = asyncio.run(run())
    if total != expected(tasks):
        sys.stderr.write(f"WRONG RESULT: got {total}, expected {expected(tasks)}\n")
        sys.exit(1)
    print(f"RESULT seconds={seconds:.6f} tasks={tasks}", flush=True)


# --- Arrays ----------------------------------------------------------------------------------------

def random_array(size):
    import dask.array as da

    n, chunk = size
    return da.random.default_rng(1).random((n, n), chunks=(chunk, chunk))


def array_memory_bound(size):
    import dask.array  # noqa: F401  (imported before the baseline so it is not counted)

    baseline = maxrss_bytes()
    x = random_array(size)
    y = (x + x.T).mean(axis=0).sum()
    tasks = len(y.__dask_graph__())
    t0 = time.perf_counter()
    value = float(y.compute(scheduler="threads", num_workers=2))
    seconds = time.perf_counter() - t0
    peak = maxrss_bytes() - baseline
    array_workloads.check("array-memory-bound", size[0], value)
    array_workloads.report(seconds, tasks, value, peak)


def array_blas(size):
    a = random_array(size)
    y = (a @ a).sum()
    tasks = len(y.__dask_graph__())
    t0 = time.perf_counter()
    value = float(y.compute(scheduler="threads", num_workers=2))
    seconds = time.perf_counter() - t0
    array_workloads.check("array-blas", size[0], value)
    array_workloads.report(seconds, tasks, value)


def array_distributed(size):
    x = random_array(size)
    y = (x + x.T).mean(axis=0).sum()
    tasks = len(y.__dask_graph__())

    def body(client):
        t0 = time.perf_counter()
        value = float(client.compute(y).result())
        return value, time.perf_counter() - t0

    value, seconds = on_cluster(body)
    array_workloads.check("array-distributed", size[0], value)
    array_workloads.report(seconds, tasks, value)


WORKLOADS = {
    # name: (function, full n, --quick n)
    "tree-sum-sync": (lambda n: tree_sum("sync", n), 100_000, 2_000),
    "tree-sum-threads": (lambda n: tree_sum("threads", n), 100_000, 2_000),
    "tree-sum-processes": (lambda n: tree_sum("processes", n), 20_000, 2_000),
    "graph-1m": (graph_1m, 500_000, 10_000),
    "tree-sum-distributed": (tree_sum_distributed, 20_000, 2_000),
    "map-distributed": (map_distributed, 20_000, 2_000),
    "latency-distributed": (latency_distributed, 200, 20),  # round trips
    "map-distributed-tls": (lambda n: map_distributed(n, tls=True), 20_000, 2_000),
    "latency-distributed-tls": (lambda n: latency_distributed(n, tls=True), 200, 20),
    "cluster-start": (cluster_start, 1, 1),
    "fib-distributed": (fib_distributed, 22, 15),
    "queue-throughput": (queue_throughput, 10_000, 1_000),  # items
    "lock-latency": (lock_latency, 200, 20),  # acquire + release round trips
    "slurm-scale-up": (lambda n: batch_scale_up("slurm", n), 100, 100),
    "sge-scale-up": (lambda n: batch_scale_up("sge", n), 100, 100),
    "kube-scale-20": (kube_scale, 20, 20),
    "cloud-scale-20": (cloud_scale, 20, 20),
    # arrays: (n, chunk side) in full and with --quick
    "array-memory-bound": (array_memory_bound, *array_workloads.SIZES["array-memory-bound"]),
    "array-blas": (array_blas, *array_workloads.SIZES["array-blas"]),
    "array-distributed": (array_distributed, *array_workloads.SIZES["array-distributed"]),
}


def main(argv):
    return peer_main.run(WORKLOADS, "dask_bench.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
