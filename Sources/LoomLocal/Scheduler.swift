import Foundation
import LoomCore

/// Where a local computation runs: `compute(scheduler: .threads())`, `.processes(4)`,
/// `.synchronous`. Without one, `compute()` uses the configured default (threads).
public struct Scheduler: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case synchronous, threads, processes
    }

    public let kind: Kind
    /// Threads or processes; nil means one per core (or the configured `local.workers`).
    public let workers: Int?
    /// The executable process workers run; nil means this one. It must call
    /// `Loom.bootstrap(registering:)` first thing in main, with the functions the graph uses.
    public let executable: String?

    /// One task at a time on the calling thread: for debugging.
    public static let synchronous = Scheduler(kind: .synchronous, workers: 1, executable: nil)

    /// Dedicated threads in this process; tasks may block.
    public static func threads(_ workers: Int? = nil) -> Scheduler {
        Scheduler(kind: .threads, workers: workers, executable: nil)
    }

    /// Worker processes started from `executable` (default: this executable); arguments and
    /// results travel encoded, so tasks must use registered `TaskFunction`s.
    public static func processes(_ workers: Int? = nil, executable: String? = nil) -> Scheduler {
        Scheduler(kind: .processes, workers: workers, executable: executable)
    }

    /// The scheduler configuration names (`local.scheduler`, `local.workers`).
    public static func configured(_ configuration: Configuration) -> Scheduler {
        switch configuration.localScheduler {
        case .synchronous: .synchronous
        case .threads: .threads(configuration.localWorkers)
        case .processes: .processes(configuration.localWorkers)
        }
    }

    /// Workers to start: as given, else as configured, else one per core.
    var resolvedWorkers: Int {
        if let workers { return workers }
        if let configured = try? Configuration.current.localWorkers { return configured }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    public var description: String {
        switch kind {
        case .synchronous: "synchronous"
        case .threads: "threads(\(resolvedWorkers))"
        case .processes: "processes(\(resolvedWorkers))"
        }
    }
}
