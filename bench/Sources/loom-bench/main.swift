import Foundation
import Loom

// One benchmark run per process, printed as the line bench/run reads (bench/README.md):
// RESULT seconds=<s> tasks=<n> [peak_rss_bytes=<b>] [held_peak=<n>]

enum BenchTasks {
    static let inc = TaskFunction("inc") { (x: Int) in x + 1 }
    static let add = TaskFunction("add") { (a: Int, b: Int) in a + b }
    /// `count` bytes of a pattern that depends on `seed`.
    static let chunk = TaskFunction("chunk") { (count: Int, seed: Int) -> [UInt8] in
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }
    static let sleepThenEcho = TaskFunction("sleep-then-echo") { (x: Int, seconds: Double) -> Int in
        Thread.sleep(forTimeInterval: seconds)
        return x
    }
    /// Tasks launching tasks (fib-distributed): each call waits on two more.
    static let fib: TaskFunction<Int, Int> = TaskFunction("fib") { (n: Int) async throws -> Int in
        if n < 2 { return n }
        let client = try await TaskContext.client()
        let a = try await client.submit(BenchTasks.fib, n - 1), b = try await client.submit(BenchTasks.fib, n - 2)
        return try await a.result() + b.result()
    }
    /// queue-throughput's two ends: puts 0..<count on the queue, and takes count items off it.
    static let produce = TaskFunction("produce") { (queue: String, count: Int) async throws -> Int in
        let queue = try await LoomQueue<Int>(queue, client: try await TaskContext.client())
        for item in 0..<count { try await queue.put(item) }
        return count
    }
    static let consume = TaskFunction("consume") { (queue: String, count: Int) async throws -> Int in
        let queue = try await LoomQueue<Int>(queue, client: try await TaskContext.client())
        var total = 0
        for _ in 0..<count { total += try await queue.get(timeout: .seconds(60)) }
        return total
    }
}

try await Loom.bootstrap(registering: BenchTasks.inc, BenchTasks.add, BenchTasks.chunk, BenchTasks.sleepThenEcho, BenchTasks.fib,
                         BenchTasks.produce, BenchTasks.consume, FrameWorkloads.peakResident)

/// inc on 0..<n, then a pairwise tree of adds (an odd element passes through to the next level).
func treeSum(leaves n: Int) -> Delayed<Int> {
    var level = (0..<n).map { BenchTasks.inc.delayed($0) }
    while level.count > 1 {
        var next: [Delayed<Int>] = []
        next.reserveCapacity(level.count / 2 + 1)
        for pair in stride(from: 0, to: level.count, by: 2) {
            next.append(pair + 1 < level.count ? BenchTasks.add.delayed(level[pair], level[pair + 1]) : level[pair])
        }
        level = next
    }
    return level[0]
}

/// The most memory this process has held so far (ru_maxrss, KiB on Linux).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
}

let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
/// Also print where the time went (graph building vs execution) to standard error.
let verbose = arguments.contains("--verbose")
let workloads = [
    "tree-sum-sync", "tree-sum-threads", "tree-sum-processes", "graph-1m", "tree-sum-distributed", "map-distributed",
    "latency-distributed", "cluster-start", "scheduler-memory", "spill-throughput", "worker-recovery",
    "dashboard-overhead", "map-distributed-no-dashboard", "slurm-scale-up", "sge-scale-up",
    "map-distributed-tls", "latency-distributed-tls",
] + ArrayWorkloads.names + FrameWorkloads.names
guard let workload = arguments.first(where: { !$0.hasPrefix("--") }) else {
    FileHandle.standardError.write(Data("usage: loom-bench <\(workloads.joined(separator: "|"))> [--quick]\n".utf8))
    exit(2)
}

func check(_ total: Int, leaves n: Int) {
    let expected = n * (n + 1) / 2
    guard total == expected else {
        FileHandle.standardError.write(Data(("wrong result: \(total), expected \(expected)\n").utf8))
        exit(1)
    }
}

switch workload {
case "tree-sum-sync", "tree-sum-threads", "tree-sum-processes":
    let scheduler: Scheduler = switch workload {
    case "tree-sum-sync": .synchronous
    case "tree-sum-threads": .threads(2)
    default: .processes(2)
    }
    let n = quick ? 2_000 : (workload == "tree-sum-processes" ? 20_000 : 100_000)
    let graph = treeSum(leaves: n)
    let started = ContinuousClock.now
    let built = graph.graph()
    let executing = ContinuousClock.now
    let report = try await built.execute(on: scheduler)
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    if verbose {
        let building = (executing - started) / .seconds(1)
        FileHandle.standardError.write(Data("graph \(building) s, execute \(seconds - building) s\n".utf8))
    }
    check(report.outputs[0] as! Int, leaves: n)
    print("RESULT seconds=\(seconds) tasks=\(report.tasks) held_peak=\(report.peakHeldResults)")
case "graph-1m":
    let n = quick ? 10_000 : 500_000
    let baseline = peakResidentBytes()
    let started = ContinuousClock.now
    let report = try await treeSum(leaves: n).graph().execute(on: .threads(2))
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    check(report.outputs[0] as! Int, leaves: n)
    print("RESULT seconds=\(seconds) tasks=\(report.tasks) peak_rss_bytes=\(peakResidentBytes() - baseline) held_peak=\(report.peakHeldResults)")
case "tree-sum-distributed":
    let n = quick ? 2_000 : 20_000
    try await onCluster { client in
        let total = treeSum(leaves: n)
        let started = ContinuousClock.now
        let result = try await client.compute(total)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        check(result, leaves: n)
        print("RESULT seconds=\(seconds) tasks=\(2 * n - 1)")
    }
case "map-distributed", "map-distributed-no-dashboard", "dashboard-overhead", "map-distributed-tls":
    let n = quick ? 2_000 : 20_000
    let dashboard: String? = workload.hasPrefix("map-distributed") && workload != "map-distributed-no-dashboard"
        ? ":8787" : (workload == "dashboard-overhead" ? ":0" : nil)
    // -tls: mutual TLS on every connection, with a certificate made in memory (as Dask's Security.temporary()).
    let security = workload.hasSuffix("-tls") ? try Security.temporary() : nil
    try await onCluster(dashboard: dashboard, security: security) { client in
        // dashboard-overhead: the status page open in a browser, receiving its live updates.
        let browser = workload == "dashboard-overhead" ? try await openInBrowser(await client.dashboardLink ?? "") : nil
        defer { browser.map(closeBrowser) }
        let started = ContinuousClock.now
        let futures = try await client.map(BenchTasks.inc, Array(0..<n))
        let values = try await client.gather(futures)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        check(values.reduce(0, +), leaves: n)
        print("RESULT seconds=\(seconds) tasks=\(n)")
    }
case "latency-distributed", "latency-distributed-tls":
    let rounds = quick ? 20 : 200
    try await onCluster(security: workload.hasSuffix("-tls") ? try Security.temporary() : nil) { client in
        var times: [Double] = []
        for round in 0..<rounds {
            let started = ContinuousClock.now
            let value = try await client.submit(BenchTasks.inc, round).result()
            times.append((ContinuousClock.now - started) / .seconds(1))
            guard value == round + 1 else { exit(1) }
        }
        print("RESULT seconds=\(times.sorted()[times.count / 2]) tasks=1")
    }
case "fib-distributed":
    let n = quick ? 15 : 22
    try await onCluster { client in
        let started = ContinuousClock.now
        let value = try await client.submit(BenchTasks.fib, n).result()
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        var (a, b) = (0, 1)
        for _ in 0..<n { (a, b) = (b, a + b) }
        guard value == a else {
            FileHandle.standardError.write(Data("wrong result: fib(\(n)) = \(value), expected \(a)\n".utf8))
            exit(1)
        }
        // fib(n) makes 2 fib(n + 1) - 1 calls, each a task.
        print("RESULT seconds=\(seconds) tasks=\(2 * b - 1)")
    }
case "queue-throughput":
    let count = quick ? 1_000 : 10_000
    try await onCluster { client in
        let workers = try await client.schedulerInfo().map(\.name)
        let started = ContinuousClock.now
        // One end on each worker: every item crosses from one process to the other.
        let consumer = try await client.submit(BenchTasks.consume, "items", count, workers: [workers[0]])
        let producer = try await client.submit(BenchTasks.produce, "items", count, workers: [workers[workers.count - 1]])
        let total = try await consumer.result()
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        guard try await producer.result() == count, total == count * (count - 1) / 2 else {
            FileHandle.standardError.write(Data("wrong result: the consumer summed \(total)\n".utf8))
            exit(1)
        }
        print("RESULT seconds=\(seconds) tasks=\(count)")
    }
case "lock-latency":
    let rounds = quick ? 20 : 200
    try await onCluster { client in
        let lock = try await DistributedLock("bench", client: client)
        var times: [Double] = []
        for _ in 0..<rounds {
            let started = ContinuousClock.now
            guard try await lock.acquire() else { exit(1) }
            try await lock.release()
            times.append((ContinuousClock.now - started) / .seconds(1))
        }
        print("RESULT seconds=\(times.sorted()[times.count / 2]) tasks=1")
    }
case "cluster-start":
    let started = ContinuousClock.now
    let cluster = try await LocalCluster(workers: 2, threadsPerWorker: 1)
    let client = try await Client(cluster)
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    await client.close()
    await cluster.close()
    print("RESULT seconds=\(seconds) tasks=1")
case "scheduler-memory":
    try await measureSchedulerMemory(leaves: quick ? 10_000 : 500_000)
case "spill-throughput":
    try await measureSpillThroughput(chunks: quick ? 60 : 200)
case "slurm-scale-up", "sge-scale-up":
    // The local SLURM or Grid Engine of scripts/start-*: from scale(jobs: 2) to both workers up and 100 tasks done.
    var options = JobQueueOptions(cores: 1, memory: "1GB")
    options.walltime = "00:10:00"
    options.jobName = "loom-bench"
    let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-slurm-\(getpid())").path
    let setup = JobQueueSetup(host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil)
    let seconds: Double
    if workload == "slurm-scale-up" {
        seconds = try await measureScaleUp(try await SLURMCluster(options: options, setup: setup))
    } else {
        seconds = try await measureScaleUp(try await SGECluster(options: options, setup: setup))
    }
    try? FileManager.default.removeItem(atPath: jobs)
    print("RESULT seconds=\(seconds) tasks=100")
case "kube-scale-20":
    // Against the Kubernetes stand-in bench/run starts (KUBECONFIG, its node's address in
    // LOOM_BENCH_KUBE_NODE; the image loom-bench is this executable): from scale(20) to 20
    // connected workers, each a pod in a network namespace of its own.
    let environment = ProcessInfo.processInfo.environment
    guard let node = environment["LOOM_BENCH_KUBE_NODE"] else { fatalError("kube-scale-20 runs under bench/run, which starts the stand-in") }
    let template = try PodTemplate.yaml("""
        containers:
        - name: worker
          image: loom-bench
          resources: {requests: {cpu: 100m, memory: 256M}, limits: {cpu: "1", memory: 1G}}
        """)
    let cluster = try await KubeCluster(podTemplate: template, options: KubeClusterOptions(schedulerHost: node, dashboardAddress: nil))
    let client = try await Client(cluster)
    let started = ContinuousClock.now
    try await cluster.scale(20)  // returns once the scheduler sees all 20
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    let total = try await client.gather(client.map(BenchTasks.inc, Array(0..<100))).reduce(0, +)
    await client.close()
    await cluster.close()
    check(total, leaves: 100)
    print("RESULT seconds=\(seconds) tasks=20")
case "cloud-scale-20":
    // Against moto and the task agent bench/run starts (the endpoint in AWS_ENDPOINT_URL; the
    // image loom-bench is this executable): from nothing — no ECS cluster, role, log group,
    // security group or task definition — to 20 workers joined, each a Fargate task run by the
    // agent as a process here, and a 2 000-task map on them; closing is not timed.
    guard ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"] != nil else { fatalError("cloud-scale-20 runs under bench/run, which starts moto and the agent") }
    let started = ContinuousClock.now
    let cluster = try await FargateCluster(
        name: "loom-bench-\(getpid())", image: "loom-bench", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom-bench",
        schedulerHost: "127.0.0.1", logRetentionDays: 1)
    let made = ContinuousClock.now
    try await cluster.scale(20)  // returns once the scheduler sees all 20
    let joined = ContinuousClock.now
    let client = try await Client(cluster)
    let total = try await client.gather(client.map(BenchTasks.inc, Array(0..<2_000))).reduce(0, +)
    let ended = ContinuousClock.now
    let seconds = (ended - started) / .seconds(1)
    await client.close()
    await cluster.close()
    check(total, leaves: 2_000)
    let parts = [("make", made - started), ("scale", joined - made), ("map", ended - joined)]
        .map { "\($0.0):\(String(format: "%.2f", $0.1 / .seconds(1)))" }.joined(separator: ",")
    print("RESULT seconds=\(seconds) tasks=2000 parts=\(parts)")
case let name where FrameWorkloads.names.contains(name):
    // Dataframes against Dask's, pandas', Polars' and DuckDB's (FrameWorkloads.swift).
    try await FrameWorkloads.run(name)
case let name where ArrayWorkloads.names.contains(name):
    // Chunked arrays against Dask's and numpy's (ArrayWorkloads.swift).
    try await ArrayWorkloads.run(name, quick: quick)
case "worker-recovery":
    try await measureWorkerRecovery(tasks: quick ? 2_000 : 10_000)
case "serve-scheduler":
    // Used by scheduler-memory: a scheduler alone in this process.
    try await SchedulerServer(options: SchedulerOptions(port: 0)).run { address in
        FileHandle.standardOutput.write(Data("\(address)\n".utf8))
    }
default:
    FileHandle.standardError.write(Data(("unknown workload '\(workload)'\n").utf8))
    exit(2)
}

/// A LocalCluster of 2 worker processes × 1 thread, as the peers use, and a client of it.
func onCluster(dashboard: String? = ":8787", security: Security? = nil, _ body: (Client) async throws -> Void) async throws {
    let cluster = try await LocalCluster(workers: 2, threadsPerWorker: 1, dashboardAddress: dashboard, security: security)
    let client = try await Client(cluster)
    try await body(client)
    await client.close()
    await cluster.close()
}

/// Submits a tree-sum graph to a scheduler running alone in a child process (no workers, so
/// every task stays held) and reports how much the scheduler's resident memory grew per task.
func measureSchedulerMemory(leaves: Int) async throws {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
    child.arguments = ["serve-scheduler"]
    let output = Pipe()
    child.standardOutput = output
    try child.run()
    defer { kill(child.processIdentifier, SIGKILL) }
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) { line.append(output.fileHandleForReading.availableData) }
    let address = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    func resident() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(child.processIdentifier)/status", encoding: .utf8)) ?? ""
        let field = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(field.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
    let client = try await Client(address: address)
    _ = try await client.schedulerInfo()
    let before = resident()
    let started = ContinuousClock.now
    let root = try await client.persist(treeSum(leaves: leaves))
    _ = try await client.schedulerInfo()  // answered after the graph update was handled
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    let tasks = 2 * leaves - 1
    print("RESULT seconds=\(seconds) tasks=\(tasks) peak_rss_bytes=\(resident() - before)")
    _ = root
    await client.close()
}

/// Holds twice the memory limit of two workers (250 MB each) in 5-MB chunks, so they spill,
/// and compares their spill writing speed with `dd` writing 1 GiB to the same directory.
func measureSpillThroughput(chunks: Int) async throws {
    // Each measurement starts with no dirty pages waiting to be written back.
    flushToDisk()
    let cluster = try await LocalCluster(workers: 2, threadsPerWorker: 1, memoryLimit: "250MB")
    let client = try await Client(cluster)
    let started = ContinuousClock.now
    let futures = try await client.persist((0..<chunks).map { BenchTasks.chunk.delayed(5_000_000, $0) })
    _ = try await client.wait(futures)
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    try await Task.sleep(for: .milliseconds(800))  // a heartbeat carries the totals
    let workers = try await client.schedulerInfo()
    let written = workers.map(\.metrics.spillWrittenBytes).reduce(0, +)
    let writing = workers.map(\.metrics.spillWriteSeconds).reduce(0, +)
    _ = futures
    await client.close()
    await cluster.close()
    guard written > 0, writing > 0 else {
        FileHandle.standardError.write(Data("nothing was spilled\n".utf8))
        exit(1)
    }
    let spill = Double(written) / writing / 1e6
    flushToDisk()
    let cached = try ddWrite(sync: false)
    flushToDisk()
    let synced = try ddWrite(sync: true)
    print("spilled \(written / 1_000_000) MB in \(String(format: "%.2f", writing)) s of writing (two workers)")
    print("BENCH spill-throughput loom=\(Int(spill))MB/s dd=\(Int(cached))MB/s ratio=\(String(format: "%.2f", spill / cached))")
    print("BENCH spill-throughput loom=\(Int(spill))MB/s dd-fdatasync=\(Int(synced))MB/s ratio=\(String(format: "%.2f", spill / synced))")
    print("RESULT seconds=\(seconds) tasks=\(chunks)")
}

func flushToDisk() {
    sync()
}

/// `dd` writing 1 GiB in 1-MiB blocks into the directory workers spill to; MB/s.
func ddWrite(sync: Bool) throws -> Double {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-dd-\(getpid())").path
    defer { unlink(file) }
    let dd = Process()
    dd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    dd.arguments = ["dd", "if=/dev/zero", "of=\(file)", "bs=1M", "count=1024"] + (sync ? ["conv=fdatasync"] : [])
    dd.standardError = FileHandle.nullDevice
    let started = ContinuousClock.now
    try dd.run()
    dd.waitUntilExit()
    return Double(1 << 30) / ((ContinuousClock.now - started) / .seconds(1)) / 1e6
}

/// Runs `tasks` tasks of 1 ms on two workers, once undisturbed and once with one worker
/// SIGKILLed halfway; reports how long the nanny took to bring a worker back and how much
/// longer the computation took.
func measureWorkerRecovery(tasks: Int) async throws {
    let cluster = try await LocalCluster(workers: 2, threadsPerWorker: 1)
    let client = try await Client(cluster)
    func run(killing: Bool) async throws -> (total: Double, rejoined: Double?) {
        let started = ContinuousClock.now
        let futures = try await client.persist((0..<tasks).map { BenchTasks.sleepThenEcho.delayed($0, 0.001) })
        var rejoined: Double?
        if killing {
            try await Task.sleep(for: .seconds(Double(tasks) * 0.001 / 4))
            guard let victim = cluster.nannies.first?.processIdentifier else { exit(1) }
            let killed = ContinuousClock.now
            kill(victim, SIGKILL)
            while try await client.schedulerInfo().count == 2 { try await Task.sleep(for: .milliseconds(1)) }
            while try await client.schedulerInfo().count < 2 { try await Task.sleep(for: .milliseconds(1)) }
            rejoined = (ContinuousClock.now - killed) / .seconds(1)
        }
        let values = try await client.gather(futures)
        guard values == Array(0..<tasks) else { exit(1) }
        return ((ContinuousClock.now - started) / .seconds(1), rejoined)
    }
    let undisturbed = try await run(killing: false)
    let disturbed = try await run(killing: true)
    await client.close()
    await cluster.close()
    print("worker back \(String(format: "%.3f", disturbed.rejoined ?? 0)) s after SIGKILL; computation "
        + "\(String(format: "%.3f", disturbed.total)) s against \(String(format: "%.3f", undisturbed.total)) s undisturbed")
    print("RESULT seconds=\(disturbed.total - undisturbed.total) tasks=\(tasks) rejoin_seconds=\(disturbed.rejoined ?? 0)")
}

/// Headless Chromium showing `link`, once it has loaded the page and its live updates flow;
/// its profile directory names all its processes for `closeBrowser`.
func openInBrowser(_ link: String) async throws -> String {
    guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
        FileHandle.standardError.write(Data("dashboard-overhead needs Chromium (Debian's chromium package)\n".utf8))
        exit(1)
    }
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-chromium-\(getpid())").path
    let browser = Process()
    browser.executableURL = URL(fileURLWithPath: chromium)
    browser.arguments = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile)",
        "--timeout=600000", "--dump-dom", link,
    ]
    browser.standardOutput = FileHandle.nullDevice
    browser.standardError = FileHandle.nullDevice
    try browser.run()
    try await Task.sleep(for: .seconds(2))
    return profile
}

func closeBrowser(_ profile: String) {
    let pkill = Process()
    pkill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
    pkill.arguments = ["-9", "-f", profile]
    try? pkill.run()
    pkill.waitUntilExit()
    try? FileManager.default.removeItem(atPath: profile)
}

/// Seconds from `scale(jobs: 2)` to both workers up and 100 tasks done on them.
func measureScaleUp<Dialect: BatchDialect>(_ cluster: JobQueueCluster<Dialect>) async throws -> Double {
    let client = try await Client(cluster)
    let started = ContinuousClock.now
    try await cluster.scale(jobs: 2)
    // As users wait (dask's side calls wait_for_workers, which asks every 100 ms; this one asks
    // every 10 ms for 2 s, then every 100 ms).
    try await client.waitForWorkers(2)
    let total = try await client.gather(client.map(BenchTasks.inc, Array(0..<100))).reduce(0, +)
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    await client.close()
    await cluster.close()
    check(total, leaves: 100)
    return seconds
}
