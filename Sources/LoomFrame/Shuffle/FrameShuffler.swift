import Foundation
import Synchronization
import LoomCore
import LoomLocal

/// How a partition is cut into one piece per output partition of a shuffle.
public enum PieceCut: Sendable, Codable, Hashable {
    /// By a hash of `keys` compared as `types` (a hash join's sides: equal keys meet).
    case hash(keys: [String], types: [DataType])
    /// By the ranges between sorted boundaries (a sort's; the boundaries come as an input).
    case range(SortSpec)

    /// `table` in `count` pieces; `boundaries` is the range cut's boundary table.
    public func cut(_ table: Table, into count: Int, boundaries: [Table]) throws -> [Table] {
        switch self {
        case .hash(let keys, let types): return try table.split(byHashOf: keys, as: types, into: count)
        case .range(let spec):
            guard let bounds = boundaries.first else { throw LoomError(.invalidArgument, "a range cut without its boundaries") }
            return try spec.split(table, by: bounds)
        }
    }
}

/// One input partition of a shuffle, before its task: the program that makes it (a file read
/// and fused steps, or steps after an input) and that program's inputs. The shuffle's own task
/// runs the program, so a partition read from files is never held whole between tasks.
public struct ShuffleInput: Sendable {
    public let program: PartitionProgram
    public let inputs: [NodeInput]
}

/// Moves rows between partitions: every input partition is cut into `outputs` pieces, and
/// output i gets piece i of every input, in input order. What comes back is, per output, an
/// input that evaluates to those pieces (`[Table]`).
public protocol FrameShuffler: Sendable {
    func exchange(_ partitions: [ShuffleInput], cut: PieceCut, cutInputs: [NodeInput], outputs: Int) -> [NodeInput]
    /// Frees what the shuffle runs `runs` still hold on `runner`'s workers, once the
    /// computation that lowered them is done or has failed.
    func release(_ runs: [String], on runner: any GraphRunner) async
    /// The shuffler to lower a computation for `runner` with (one that knows its workers).
    func prepared(on runner: any GraphRunner) async throws -> any FrameShuffler
}

extension FrameShuffler {
    public func release(_ runs: [String], on runner: any GraphRunner) async {}
    public func prepared(on runner: any GraphRunner) async throws -> any FrameShuffler { self }
}

/// The shuffle as tasks: a cut task per input, a pick task per piece. Every piece stays in
/// memory until its consumer ran; clusters use it when no peer-to-peer shuffle is installed.
public struct TaskShuffler: FrameShuffler {
    public init() {}

    public func exchange(_ partitions: [ShuffleInput], cut: PieceCut, cutInputs: [NodeInput], outputs: Int) -> [NodeInput] {
        let cuts = partitions.map { partition in
            FramePlan.task(FrameKernels.cutPieces.erased, "shuffle-cut",
                           [.literal(cut), .list(cutInputs), .literal(outputs), .literal(partition.program), .list(partition.inputs)])
        }
        return (0..<outputs).map { output in .list(cuts.map { FramePlan.task(FrameKernels.pick.erased, "pick", [.literal(output), $0]) }) }
    }
}

/// Which shuffler a plan lowers to: `SpillingShuffler` unless a computation on a cluster asks
/// for the installed cluster shuffler (`Loom.bootstrap` installs the peer-to-peer one).
public enum FrameShuffling {
    /// Set while a computation for a cluster lowers its plan: the shuffler it lowers to.
    @TaskLocal static var clusterShuffler: (any FrameShuffler)?

    private static let installed = LockedShuffler()

    /// The shuffler computations on a cluster use.
    public static func install(forClusters shuffler: any FrameShuffler) { installed.set(shuffler) }

    static var current: any FrameShuffler { clusterShuffler ?? SpillingShuffler() }

    /// How many bytes of pieces a local shuffle keeps in memory before it writes them to
    /// files (`SpillingShuffler`): a quarter of the machine's memory unless set for a scope.
    @TaskLocal public static var localMemoryLimit = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)

    /// Where a local shuffle writes what it spills: a folder a run, removed when its
    /// computation is done (`loom-shuffle` in the temporary directory unless set for a scope).
    @TaskLocal public static var localSpillDirectory = defaultSpillDirectory
    static let defaultSpillDirectory = NSTemporaryDirectory().appending("loom-shuffle")

    /// Whether a failed computation lost shuffle data with a worker, and may run again under a
    /// new run.
    public static func lostShuffleData(_ error: any Error) -> Bool {
        "\(error)".contains(lostDataMarker)
    }

    /// `body` lowered and run for a cluster: its shuffles peer to peer, and run again (so
    /// lowered again, under new run ids) up to `attempts` times while one loses data with a
    /// worker that left. After each attempt, what its runs left on the workers is released.
    static func onCluster<T>(_ runner: any GraphRunner, attempts: Int = 3, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            let lowered = LoweredRuns()
            do {
                // Prepared each attempt: a run after a loss goes to the workers there are now.
                let shuffler = try await installed.get()?.prepared(on: runner) ?? TaskShuffler()
                let result = try await $loweredRuns.withValue(lowered) { try await $clusterShuffler.withValue(shuffler) { try await body() } }
                await release(lowered, on: runner)
                return result
            } catch where lostShuffleData(error) && attempt < attempts {
                await release(lowered, on: runner)
                attempt += 1
                restarts.add(1, ordering: .relaxed)
            } catch {
                await release(lowered, on: runner)
                throw error
            }
        }
    }

    /// The runs lowered in the current computation for a cluster (a shuffler records each).
    @TaskLocal static var loweredRuns: LoweredRuns?

    /// Records `run` as lowered by the computation under way.
    public static func lowered(run: String) { loweredRuns?.add(run) }

    private static func release(_ lowered: LoweredRuns, on runner: any GraphRunner) async {
        let runs = lowered.runs
        guard !runs.isEmpty, let shuffler = installed.get() else { return }
        await shuffler.release(runs, on: runner)
    }

    public static let lostDataMarker = "shuffle data lost"

    /// How many shuffles this process ran again after losing data with a worker.
    public static var restartCount: Int { restarts.load(ordering: .relaxed) }
    private static let restarts = Atomic<Int>(0)
}

final class LoweredRuns: Sendable {
    private let ids = Mutex<[String]>([])
    func add(_ run: String) { ids.withLock { $0.append(run) } }
    var runs: [String] { ids.withLock { $0 } }
}

final class LockedShuffler: Sendable {
    private let value = Mutex<(any FrameShuffler)?>(nil)
    func set(_ shuffler: any FrameShuffler) { value.withLock { $0 = shuffler } }
    func get() -> (any FrameShuffler)? { value.withLock { $0 } }
}
