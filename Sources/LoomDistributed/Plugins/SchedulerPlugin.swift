import Foundation
import LoomCore

/// Code that runs inside the scheduler and hears what happens there, as Dask's
/// `SchedulerPlugin`: the dashboard, its Prometheus metrics and a job-queue cluster's jobs report
/// are plugins, and so can be yours.
///
/// ```swift
/// final class FinishedCounter: SchedulerPlugin {
///     let name = "finished-counter"
///     let finished = Mutex(0)
///     func transition(_ transition: TaskTransition) {
///         if transition.finish == .memory { finished.withLock { $0 += 1 } }
///     }
///     func status() async -> (any Encodable & Sendable)? { finished.withLock { $0 } }
/// }
/// let cluster = try await LocalCluster(workers: 2, plugins: [FinishedCounter()])
/// ```
/// The hooks run on the scheduler, in the order things happen there, and hold it up while they
/// run: record what you need (behind a lock) and return. Work that takes time belongs in a task
/// the plugin starts in `start` and ends in `close`. Every hook has a default that does nothing.
public protocol SchedulerPlugin: AnyObject, Sendable {
    /// Unique among one scheduler's plugins: clients' requests and the dashboard find it by name.
    var name: String { get }
    /// Called once the scheduler listens, before it accepts anyone (so a link the plugin
    /// publishes with `SchedulerServer.publishDashboard(link:)` reaches every client). A plugin
    /// that throws here stops the scheduler from starting.
    func start(_ scheduler: SchedulerServer) async throws
    /// What the plugin does while the scheduler serves (sampling, polling): run in the
    /// scheduler's task group once every plugin started, and cancelled when it stops, before
    /// `close()`. Returns at once by default.
    func run(_ scheduler: SchedulerServer) async
    /// Called once when the scheduler stops.
    func close() async
    /// Whether `transition` is called: the state machine records transitions only while some
    /// plugin observes them (each costs a little on the scheduler's hot path). True by default.
    var observesTransitions: Bool { get }
    /// A task moved from one state to another.
    func transition(_ transition: TaskTransition)
    /// A worker joined the scheduler.
    func workerAdded(_ worker: WorkerSpec)
    /// A worker left: its connection dropped or it went silent (`lost`), or it was retired.
    func workerRemoved(_ name: String, lost: Bool)
    /// A worker's heartbeat (every 500 ms): its memory, and its transfer and disk totals.
    func heartbeat(_ worker: String, metrics: WorkerMetrics)
    /// What the plugin contributes to the dashboard, as JSON (`/api/plugins` and, for some
    /// names, a page of their own, like `jobs`); nil for nothing.
    func status() async -> (any Encodable & Sendable)?
    /// Answers a client's `pluginRequest(_:payload:)`: bytes in, bytes out. A thrown error
    /// reaches the client as the request's error.
    func handle(request payload: [UInt8]) async throws -> [UInt8]
}

extension SchedulerPlugin {
    public func start(_ scheduler: SchedulerServer) async throws {}
    public func run(_ scheduler: SchedulerServer) async {}
    public func close() async {}
    public var observesTransitions: Bool { true }
    public func transition(_ transition: TaskTransition) {}
    public func workerAdded(_ worker: WorkerSpec) {}
    public func workerRemoved(_ name: String, lost: Bool) {}
    public func heartbeat(_ worker: String, metrics: WorkerMetrics) {}
    public func status() async -> (any Encodable & Sendable)? { nil }
    public func handle(request payload: [UInt8]) async throws -> [UInt8] {
        throw LoomError(.plugin, "scheduler plugin '\(name)' answers no requests")
    }
}

/// One task changing state on the scheduler, as a plugin hears it.
public struct TaskTransition: Sendable {
    public var key: Key
    public var start: TaskState
    public var finish: TaskState
    /// The worker it was sent to (to processing) or that computed it (processing to memory or erred).
    public var worker: String?
    /// Processing to memory: how the run went on its worker.
    public var run: TaskRun?
    /// To erred: the error, as the task's caller sees it.
    public var message: String?
}

/// How one run of a task went on its worker.
public struct TaskRun: Sendable {
    /// Seconds the run took, (de)serialisation included.
    public var seconds: Double
    /// The size of its result, encoded.
    public var nbytes: Int
    /// When it started, on which thread, and how much of it was (de)serialisation.
    public var timing: TaskTiming
}
