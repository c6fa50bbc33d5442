import Loom

// The README's examples after the first, each in a function of its own (they reuse names), with
// what they take from the text around them as parameters. Compiled, never run.

/// The README's "a plugin of your own".
final class MyPlugin: SchedulerPlugin {
    let name = "my-plugin"
}

func clients(c: Delayed<Int>, bigArray: [Double]) async throws {
    let cluster = try await LocalCluster(workers: 2, threadsPerWorker: 1, memoryLimit: "2GB")
    let client = try await Client(cluster)                 // or Client(address: "tcp://host:8786")
    let futures = try await client.map(Tasks.inc, Array(0..<1000))
    let total = try await client.gather(futures).reduce(0, +)
    let five = try await client.compute(c)                 // a Delayed graph
    let later = try await client.submit(Tasks.add, futures[0], 10)   // futures as arguments
    let table = try await client.scatter(bigArray, broadcast: true)    // a large input sent once
    try await client.wait(futures, timeout: .seconds(30))             // or returnWhen: .firstCompleted
    for await done in client.asCompleted(futures) { print(try await done.result()) }
    for try await (_, value) in client.asCompleted(futures).withResults { print(value) }
    let survivors = try await client.gather(futures, errors: .skip)   // the failed left out
    let soon = try await later.result(timeout: .seconds(5))           // a .timeout error if not ready
    later.onCompletion { result in print(result) }                    // once done: the value or the error
    try await later.retry()                                           // erred? computed again, with the erred tasks under it
    let holders = try await client.whoHas(futures)                    // key → workers holding it
    let held = try await client.hasWhat()                             // worker → keys it holds
    try await client.replicate(futures, n: 2)                         // copies on 2 workers (all when n is nil)
    try await client.rebalance()                                      // values moved until each worker holds about the mean
    try await client.retireWorkers([cluster.workerNames[1]])            // hand its values on, then close it
    let schedulerPID = try await client.runOnScheduler(Tasks.processID)  // in the scheduler's process
    let once = try await client.submit(Tasks.inc, 1, pure: true)      // keyed by the call: one task, from any client
    client.fireAndForget(once)                                        // runs to the end even after every future is gone
    try await client.cancel([later])
    let pids = try await client.run(Tasks.processID)                   // on every worker, now: address → pid
    let first = cluster.workerNames[0]                                 // "local-<hex>-0"; names or addresses
    let sums = try await client.map(Tasks.add, [1, 2, 3], [10, 20, 30], workers: [first])  // as submit takes
    print(try await c.compute())              // after Client(cluster), compute() runs on the cluster
}

func coordination(client: Client) async throws {
    let counter = try await Variable<Int>("counter", client: client)            // set(_:), get(timeout:), delete()
    let queue = try await LoomQueue<String>("jobs", client: client, maxSize: 100) // put(_:), get(timeout:), get(batch:), getAll(), count
    let lock = try await DistributedLock("db", client: client)                   // acquire(timeout:), release(), withLock { }
    let slots = try await Semaphore("api", maxLeases: 4, client: client)         // a dead holder's leases expire
    let ready = try await Event("ready", client: client)                         // set(), clear(), wait(timeout:)
    let topic = try await Pub<String>("progress", client: client)                // put(_:) to every subscriber now
    let updates = try await Sub<String>("progress", client: client)              // for try await update in updates { }
}

final class Counter {
    var count: Int
    init(start: Int) { count = start }
    static let add = ActorMethod("counter.add") { (counter: Counter, n: Int) -> Int in
        counter.count += n
        return counter.count
    }
}
enum Actors {
    static let counter = ActorType("counter", methods: [Counter.add]) { (start: Int) in Counter(start: start) }
}

func actors(client: Client) async throws {
    let counter = try await client.submitActor(Actors.counter, 10)   // workers: to choose where
    let now = try await counter.call(Counter.add, 5)                 // 15, computed on that worker
}

func datasets(client: Client, other: Client, futures: [Future<[Double]>]) async throws {
    try await client.publish(dataset: futures, name: "features")                 // replace: true to overwrite
    let features: [Future<[Double]>] = try await other.dataset(named: "features")
    try await other.unpublish(dataset: "features")                                // and datasetNames()
}

enum Jobs {
    static let fib: TaskFunction<Int, Int> = TaskFunction("fib") { (n: Int) async throws -> Int in
        if n < 2 { return n }
        let client = try await TaskContext.client()   // secedes: gives its thread slot back
        let a = try await client.submit(Jobs.fib, n - 1), b = try await client.submit(Jobs.fib, n - 2)
        return try await a.result() + b.result()
    }
}

func jobQueuePlugins() async throws {
    var setup = try JobQueueSetup.configured(for: .slurm)   // from loom.yaml's jobqueue.slurm
    setup.plugins = [MyPlugin()]
    let cluster = try await SLURMCluster(cores: 24, memory: "128GB", setup: setup)
}

func scaling(cluster: LocalCluster, client: Client) async throws {
    cluster.adapt(minimum: 0, maximum: 8)     // grow with queued work, retire idle workers
    try await cluster.scale(2)                // retiring workers hand their data over first
    let retried = try await client.submit(Tasks.inc, 1, retries: 3)   // runs again if it fails
    try await client.restart()                // fresh worker processes; all work cancelled
}

func diagnostics(client: Client, c: Delayed<Int>, futures: [Future<Int>]) async throws {
    print(client.dashboardLink ?? "")                  // http://127.0.0.1:8787/status
    try await client.performanceReport(to: "report.html") { try await client.compute(c) }
    await client.progress(futures)                     // a terminal progress bar
    let logs = try await client.workerLogs(n: 100)     // and client.schedulerLogs(n:)
}

func arrays(client: Client) async throws {
    let x = ChunkedArray<Double>.random(shape: [20_000, 20_000], chunks: .shape([2_000, 2_000]), seed: 1)
    let y = (x + x.transposed()).mean(axis: 0).sum()         // lazy: nothing runs yet
    print(try await y.compute().scalar)                       // threads; NDArray<Double> back
    let part = try await x[100..<400, 50..<60].compute()      // shape [300, 10], row-major scalars
    let a = ChunkedArray<Double>.random(shape: [4_000, 4_000], chunks: .shape([1_000, 1_000]), seed: 2)
    let c = try await a.matmul(a).compute(on: client)         // on a cluster, through BLAS
}

func frames(client: Client) async throws {
    let df = try DataFrame.readParquet("data/*.parquet")              // lazy; a partition per row group
    let big = df.filter(col("v1") > 5 && col("id1") != "id016").assign("v4", col("v1") * 2 + col("v2"))
    let g = big.groupBy("id1", "id2").agg(.sum("v1"), .mean("v3"), .count())
    let table = try await g.compute()                                // a Table, on threads
    let same = try await g.compute(on: client)                       // on a cluster
    let top = try await df.sortValues("v3", ascending: false).head(10)
    try await df.setIndex("id3").toParquet("sorted/")                // files in id3 order, pyarrow reads them
    print(try df.explain())                                          // the optimised plan: pushdowns, fusion
    let words = BagFlatMap("words") { (line: String) in line.split(separator: " ").map(String.init) }
    let common = try await Bag.readText("logs/*.txt").flatMap(words).frequencies().topK(10).compute()
    _ = (table, same, top, common)
}

func security() async throws {
    let cluster = try await LocalCluster(workers: 2, security: try Security.temporary())  // in memory
    let client = try await Client(cluster)                                                // takes the cluster's
    let remote = try await Client(address: "tls://10.0.0.1:8786", security: try Security(
        ca: .file("ca.pem"), client: .init(certificate: .file("client.pem"), key: .file("client.key"))))
}

func ssh() async throws {
    let cluster = try await SSHCluster(hosts: ["node1", "node2", "node3"], connect: SSHConnectOptions(user: "me"),
                                       workers: SSHWorkerOptions(threads: 8, memoryLimit: "16GB"))
}

func batchSystems() async throws {
    let cluster = try await SLURMCluster(queue: "normal", cores: 24, memory: "128GB", walltime: "02:00:00",
                                         jobExtraDirectives: ["--constraint=haswell"])  // over loom.yaml's jobqueue.slurm
    try await cluster.scale(jobs: 10)                  // cluster.jobs: each job's id and state
    try await Client(cluster).waitForWorkers(10 * cluster.options.workerProcesses)  // once the jobs started
    cluster.adapt(minimumJobs: 0, maximumJobs: 20)     // whole jobs, replaced when their walltime ends
}

func aws() async throws {
    let cluster = try await FargateCluster(image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/myapp:1",
                                           workerCPU: 1024, workerMemory: 4096,   // a Fargate size, checked first
                                           executable: "/app/myapp")              // this program, inside the image
    try await cluster.scale(3)
    let client = try await Client(cluster)
    await cluster.close()                                                         // tasks stopped, all it made removed
    _ = client
}

func kubernetes() async throws {
    let cluster = try await KubeCluster.fromYAML("worker-spec.yaml")   // credentials as kubectl finds them
    try await cluster.scale(20)                                        // 20 worker pods, each named as its worker
    let client = try await Client(cluster)
    cluster.adapt(minimum: 0, maximum: 50)                             // at most a quarter fewer per step, 15 s apart
}
