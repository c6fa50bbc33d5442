import LoomCore
import Synchronization

/// Runs whole graphs somewhere other than this process. A distributed `Client` is one: the
/// newest client makes itself the default, so `compute()` without a scheduler runs on its
/// cluster, as Dask's newest client becomes its default scheduler. `compute(scheduler:)` still
/// chooses a local one.
public protocol GraphRunner: AnyObject, Sendable {
    /// The values of the graph's outputs, in the order asked for.
    func run(_ graph: TaskGraph) async throws -> [any Sendable]
    /// False once it can run nothing any more (a client whose connection is gone for good):
    /// `compute()` then runs locally again.
    var acceptsGraphs: Bool { get }
}

/// The graph runner `compute()` uses when given no scheduler, if any (held weakly: a runner
/// that goes away stops being the default).
public enum DefaultGraphRunner {
    private final class Weak: Sendable {
        weak let runner: (any GraphRunner)?
        init(_ runner: any GraphRunner) { self.runner = runner }
    }

    private static let current = Mutex<Weak?>(nil)

    /// The default now, if one is set and still exists.
    public static var runner: (any GraphRunner)? {
        current.withLock { $0?.runner }.flatMap { $0.acceptsGraphs ? $0 : nil }
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
