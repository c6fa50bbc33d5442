import ArgumentParser
import Foundation
import Loom

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count the primes below a limit on Loom's local schedulers and a local cluster, and compare them; reduce a chunked array and group a dataframe on the cluster.")

    @Option(help: "Count primes below this number.")
    var limit = 100_000_000

    @Option(help: "Numbers per sieve task.")
    var segment = 1_000_000

    @Option(help: "Schedulers to run, comma separated: synchronous, threads, processes, cluster.")
    var schedulers = "synchronous,threads,processes,cluster"

    @Option(help: "Threads or processes per scheduler (default: one per core).")
    var workers: Int?

    @Option(help: "Write the task graph as Graphviz DOT to this file.")
    var dot: String?

    @Option(help: "Side of the random array the cluster also reduces, (x + xᵀ).mean(axis: 0).sum(); 0 skips it.")
    var array = 8_000

    @Option(help: "Rows of the random dataframe the cluster filters and groups; 0 skips it.")
    var frame = 2_000_000

    @Option(help: "Keep the local cluster and its dashboard up this many seconds after computing.")
    var linger: Double = 0

    func validate() throws {
        guard limit >= 2 else { throw ValidationError("--limit must be at least 2") }
        guard segment >= 1 else { throw ValidationError("--segment must be at least 1") }
        guard array >= 0 else { throw ValidationError("--array must be zero or more") }
        guard frame >= 0 else { throw ValidationError("--frame must be zero or more") }
        for name in schedulers.split(separator: ",") where name != "cluster" && Scheduler.Kind(rawValue: String(name)) == nil {
            throw ValidationError("unknown scheduler '\(name)'; use synchronous, threads, processes or cluster")
        }
    }

    func run() async throws {
        let primes = DemoTasks.primes(below: limit, segment: segment)
        let graph = primes.graph()
        print("Counting primes below \(limit.formatted()) in \(graph.count) tasks (sieve segments of \(segment.formatted()), merged pairwise)")
        if let dot {
            try graph.dot().write(toFile: dot, atomically: true, encoding: .utf8)
            print("Task graph written to \(dot)")
        }
        var answers: [PrimeStats] = []
        for name in schedulers.split(separator: ",") {
            if name == "cluster" {
                answers.append(try await onLocalCluster(primes))
                continue
            }
            let scheduler: Scheduler = switch Scheduler.Kind(rawValue: String(name))! {
            case .synchronous: .synchronous
            case .threads: .threads(workers)
            case .processes: .processes(workers)
            }
            let clock = ContinuousClock.now
            let stats = try await primes.compute(scheduler: scheduler, progress: ProgressBar())
            let seconds = (ContinuousClock.now - clock) / .seconds(1)
            answers.append(stats)
            print("  \(scheduler.description.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%7.3f", seconds)) s   \(stats.count.formatted()) primes")
        }
        guard let stats = answers.first else { return }
        guard answers.allSatisfy({ $0 == stats }) else { throw ValidationError("schedulers disagree: \(answers)") }
        print("π(\(limit.formatted())) = \(stats.count.formatted()); their sum is \(stats.sum.formatted())")
        if let start = stats.widestGapStart {
            print("The widest gap between consecutive primes below \(limit.formatted()) is \(stats.widestGap), after \(start.formatted())")
        }
        if let known = Self.knownCounts[limit] {
            print(known == stats.count ? "Matches the known value of π(\(limit.formatted()))." : "MISMATCH: known value is \(known)")
            if known != stats.count { throw ExitCode.failure }
        }
    }

    /// The same graph on a scheduler and worker processes of this executable, over TCP.
    func onLocalCluster(_ primes: Delayed<PrimeStats>) async throws -> PrimeStats {
        let started = ContinuousClock.now
        let cluster = try await LocalCluster(workers: workers, threadsPerWorker: 1)
        let client = try await Client(cluster)
        print("  LocalCluster at \(cluster.schedulerAddress) with workers \(cluster.workerNames.joined(separator: ", ")) (started in \(String(format: "%.3f", (ContinuousClock.now - started) / .seconds(1))) s)")
        print("  dashboard: \(cluster.dashboardLink ?? "none")")
        let clock = ContinuousClock.now
        let stats = try await client.compute(primes)
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        print("  \("cluster".padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%7.3f", seconds)) s   \(stats.count.formatted()) primes")
        if array > 0 { try await reduceAnArray(on: client) }
        if frame > 0 { try await groupAFrame(on: client) }
        if linger > 0 {
            print("  the dashboard stays up for \(linger.formatted()) s (--linger)")
            try await Task.sleep(for: .seconds(linger))
        }
        await client.close()
        await cluster.close()
        return stats
    }

    /// A chunked array on the same cluster, checked against the thread pool: the mean of
    /// x + xᵀ over each column, summed, is twice the mean of x times n (about n).
    func reduceAnArray(on client: Client) async throws {
        let chunk = Swift.max(1, array / 4)
        let x = ChunkedArray<Double>.random(shape: [array, array], chunks: .shape([chunk, chunk]), seed: 1)
        let y = (x + x.transposed()).mean(axis: 0).sum()
        let clock = ContinuousClock.now
        let onCluster = try await y.compute(on: client).scalar
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        let onThreads = try await y.compute(scheduler: .threads(workers)).scalar
        print("  cluster        \(String(format: "%7.3f", seconds)) s   (x + xᵀ).mean(axis: 0).sum() = \(String(format: "%.6f", onCluster)) for a random \(array.formatted()) × \(array.formatted()) array in blocks of \(chunk.formatted())²")
        guard Swift.abs(onCluster - onThreads) <= 1e-9 * Swift.abs(onThreads) else {
            throw ValidationError("the cluster's array result \(onCluster) differs from the thread pool's \(onThreads)")
        }
    }

    static let knownCounts = [1_000: 168, 1_000_000: 78_498, 10_000_000: 664_579, 50_000_000: 3_001_134, 100_000_000: 5_761_455]

    /// A random dataframe in 8 partitions, filtered and grouped on the cluster, checked against
    /// the thread pool: rows per key and the mean of v, for the keys with the largest sums.
    func groupAFrame(on client: Client) async throws {
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let ids = (0..<frame).map { _ in "id\(String(format: "%03d", next(100) + 1))" }
        let v = (0..<frame).map { _ in Int64(next(5) + 1) }
        let x = (0..<frame).map { _ in Double(next(1_000_000)) / 10_000 }
        let table = try Table(["id": Column(ids), "v": Column(v), "x": Column(x)])
        let grouped = try DataFrame(table, partitions: 8)
            .filter(col("v") > 1 && col("x") < 90)
            .assign("y", col("x") * 2 + col("v"))
            .groupBy("id").agg(.count(), .sum("y"), .mean("v"))
            .sortValues("y_sum", ascending: false)
        let clock = ContinuousClock.now
        let onCluster = try await grouped.compute(on: client)
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        let onThreads = try await grouped.compute(scheduler: .threads(workers))
        guard try onCluster["id"].strings == onThreads["id"].strings, try onCluster["count"].int64s == onThreads["count"].int64s else {
            throw ValidationError("the cluster's dataframe result differs from the thread pool's")
        }
        print("  cluster        \(String(format: "%7.3f", seconds)) s   a dataframe of \(frame.formatted()) rows filtered and grouped by id into \(onCluster.rowCount) groups; the largest sums of y:")
        print(onCluster.head(3).description.split(separator: "\n").map { "                 " + $0 }.joined(separator: "\n"))
    }
}
