import LoomCore
import Logging
import Synchronization

/// Runs whole graphs somewhere other than this process: the seam through which collections
/// (arrays, dataframes) reach a cluster without knowing the distributed layer. A distributed
/// `Client` is one: the newest client makes itself the default, so `compute()` without a
/// scheduler runs on its cluster, as Dask's newest client becomes its default scheduler.
/// `compute(scheduler:)` still chooses a local one.
public protocol GraphRunner: AnyObject, Sendable {
    /// The values of the graph's outputs, in the order asked for.
    func run(_ graph: TaskGraph) async throws -> [any Sendable]
    /// `run`, telling `progress` now and then how many of the graph's tasks are done (for
    /// `compute(progress:)`); by default `run` without telling.
    func run(_ graph: TaskGraph, progress: (@Sendable (Int) -> Void)?) async throws -> [any Sendable]
    /// False once it can run nothing any more (a client whose connection is gone for good):
    /// `compute()` then runs locally again.
    var acceptsGraphs: Bool { get }
    /// The workers that run the graphs, as a planner sizes its pieces for them (an array's
    /// `.auto` chunks fit the smallest worker's memory per thread).
    func workerCapacities() async throws -> [WorkerCapacity]
    /// Starts computing the graph's outputs and keeps them where they are computed (Dask's
    /// `persist`); later graphs read them as `.existing` keys. They are released once the
    /// returned value (every copy of it) is gone.
    func persist(_ graph: TaskGraph) async throws -> PersistedOutputs
}

extension GraphRunner {
    public func run(_ graph: TaskGraph, progress: (@Sendable (Int) -> Void)?) async throws -> [any Sendable] {
        try await run(graph)
    }
}

/// What a planner needs to know of one worker.
public struct WorkerCapacity: Sendable, Hashable {
    public var threads: Int
    /// Bytes; 0 for no limit.
    public var memoryLimit: UInt64

    public init(threads: Int, memoryLimit: UInt64) {
        self.threads = threads
        self.memoryLimit = memoryLimit
    }
}

/// Outputs a `GraphRunner` keeps: their keys, and what keeps them alive there.
public struct PersistedOutputs: Sendable {
    /// The key of each output, in the graph's output order.
    public let keys: [Key]
    /// Holds the values on the runner; the runner releases them when this goes.
    public let retainer: any Sendable

    public init(keys: [Key], retainer: any Sendable) {
        self.keys = keys
        self.retainer = retainer
    }
}

/// The graph runner `compute()` uses when given no scheduler, if any: the one a scope chose
/// (`withRunner`, `withClient(client) { }`), else the newest client that made itself the
/// default (held weakly: a runner that goes away stops being the default). When a default goes
/// without being resigned — dropped, or its connection lost for good — `compute()` says so
/// once, then runs locally.
public enum DefaultGraphRunner {
    private final class Weak: Sendable {
        weak let runner: (any GraphRunner)?
        init(_ runner: any GraphRunner) { self.runner = runner }
    }

    private static let current = Mutex<Weak?>(nil)
    @TaskLocal private static var scoped: (any GraphRunner)?
    private static let logger = Logger(label: "loom.compute")

    /// The default now, if one is set and still runs graphs.
    public static var runner: (any GraphRunner)? {
        if let scoped {
            if scoped.acceptsGraphs { return scoped }
            logger.warning("the client this scope computes on can run nothing any more (closed, or its connection lost for good); compute() runs on this process's threads")
            return nil
        }
        let (runner, lost) = current.withLock { slot -> ((any GraphRunner)?, Bool) in
            guard let held = slot else { return (nil, false) }
            if let runner = held.runner, runner.acceptsGraphs { return (runner, false) }
            slot = nil
            return (nil, true)
        }
        if lost {
            logger.warning("the default client is gone (dropped without close(), or its connection lost for good); compute() without a scheduler runs on this process's threads from now on. Keep the client, or choose one for a scope with withClient(client) { }")
        }
        return runner
    }

    /// Runs `body` with `runner` as the default for `compute()` in it and the tasks it starts,
    /// whatever the newest client is.
    public static func withRunner<T>(_ runner: any GraphRunner, _ body: () async throws -> T) async rethrows -> T {
        try await $scoped.withValue(runner, operation: body)
    }

    /// Makes `runner` the default (the newest client does this unless told not to).
    public static func set(_ runner: any GraphRunner) {
        current.withLock { $0 = Weak(runner) }
    }

    /// Stops `runner` being the default, if it is (a client closing does this).
    public static func resign(_ runner: any GraphRunner) {
        current.withLock { current in
            if current?.runner === runner { current = nil }
        }
    }
}
