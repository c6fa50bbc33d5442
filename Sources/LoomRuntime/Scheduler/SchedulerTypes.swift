import LoomCore

// The plain values the scheduler's state machine takes in. Everything here is data: the server
// decodes messages into these, feeds them to `SchedulerState.handle(_:)`, and sends the effects.

/// A worker, for as long as its connection lives. The server picks the number (e.g. a counter);
/// the scheduler never reuses one it has seen join, as long as the server does not.
public struct WorkerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "worker#\(rawValue)" }
    public static func < (lhs: WorkerID, rhs: WorkerID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A client connection. The server picks the number.
public struct ClientID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String {
        switch self {
        case .fireAndForget: "fire-and-forget"
        case .kept: "kept"
        default: "client#\(rawValue)"
        }
    }
    public static func < (lhs: ClientID, rhs: ClientID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The scheduler's own want of keys a client fired and forgot: dropped once each is done.
    public static let fireAndForget = ClientID(-1)
    /// The scheduler's own want of the keys it keeps: one per publication of a dataset, and one
    /// per variable or queue item holding a future.
    public static let kept = ClientID(-2)
}

/// Where a task is in its life on the scheduler (Dask's scheduler task states).
public enum TaskState: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Known, not needed by anyone right now (its value, if it had one, was freed).
    case released
    /// Needed; some dependencies are not in memory yet.
    case waiting
    /// Ready, but no connected worker satisfies its restrictions or resources.
    case noWorker
    /// Ready and held on the scheduler until a worker has a free slot (root tasks while every
    /// worker is saturated) or the resources it needs are free on a worker that has them.
    case queued
    /// Sent to a worker, which has not reported back yet.
    case processing
    /// Its value is held by at least one worker.
    case memory
    /// It failed, or a dependency failed, or the workers running it kept dying.
    case erred
    /// The scheduler holds no record of it.
    case forgotten

    public var description: String {
        switch self {
        case .released: "released"
        case .waiting: "waiting"
        case .noWorker: "no-worker"
        case .queued: "queued"
        case .processing: "processing"
        case .memory: "memory"
        case .erred: "erred"
        case .forgotten: "forgotten"
        }
    }

    /// States in which a task still needs its dependencies' values (it counts as their waiter).
    var needsDependencies: Bool {
        switch self {
        case .waiting, .noWorker, .queued, .processing: true
        default: false
        }
    }
}

/// The order tasks run in: a smaller priority runs first.
///
/// Like Dask: a higher user priority runs first; among equal user priorities, earlier graph
/// submissions run first (first in, first out); within a submission, the client's graph order.
public struct TaskPriority: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The user's priority: higher runs first.
    public var user: Int
    /// Which graph submission created the task (the scheduler counts them).
    public var generation: Int
    /// The position the client gave the task in its graph (lower runs first).
    public var order: Int

    public init(user: Int, generation: Int, order: Int) {
        self.user = user
        self.generation = generation
        self.order = order
    }

    public static func < (lhs: TaskPriority, rhs: TaskPriority) -> Bool {
        if lhs.user != rhs.user { return lhs.user > rhs.user }
        if lhs.generation != rhs.generation { return lhs.generation < rhs.generation }
        return lhs.order < rhs.order
    }

    public var description: String { "(\(-user), \(generation), \(order))" }
}

/// A worker as it introduces itself.
public struct WorkerSpec: Sendable, Hashable {
    public var id: WorkerID
    public var name: String
    public var address: String
    public var nthreads: Int
    public var memoryLimit: Int
    public var resources: [String: Double]

    public init(
        id: WorkerID, name: String, address: String, nthreads: Int = 1, memoryLimit: Int = 0,
        resources: [String: Double] = [:]
    ) {
        self.id = id
        self.name = name
        self.address = address
        self.nthreads = nthreads
        self.memoryLimit = memoryLimit
        self.resources = resources
    }
}

extension WorkerSpec {
    /// The worker a `hello` introduces, on connection `id`.
    public init(id: WorkerID, _ hello: Hello) {
        self.init(id: id, name: hello.name, address: hello.address, nthreads: hello.threads,
                  memoryLimit: Int(clamping: hello.memoryLimit), resources: hello.resources)
    }
}

/// Why a worker went away.
public enum WorkerDeparture: Sendable, Hashable {
    /// The connection broke or the heartbeat timed out: its tasks count towards `KilledWorker`.
    case lost
    /// It retired on purpose (scale down, `--lifetime`): its tasks are rescheduled, not blamed.
    case retired
}

/// Everything that can happen to the scheduler. `runID` values come from the `TaskAssignment`
/// (and `stealRequest`) the worker received, so stale reports from an earlier run are ignored.
public enum SchedulerEvent: Sendable {
    /// A worker's `hello`, on the connection the server numbered `id`.
    case workerJoined(WorkerID, Hello)
    case workerLeft(WorkerID, WorkerDeparture)
    /// The worker stopped (`paused: true`, e.g. memory above the pause fraction) or resumed
    /// accepting new tasks. A paused worker keeps its tasks and data and may be stolen from.
    case workerPaused(WorkerID, paused: Bool)
    /// These workers are to leave on purpose (scale down, adaptive): they take no new work, and
    /// the values only they hold are copied to staying workers (`replicate`). Sent again, it
    /// asks again for copies that have not arrived. The server removes each worker with
    /// `workerLeft(_, .retired)` once `onlyCopies(heldBy:)` is 0.
    case retireWorkers([WorkerID])
    /// The workers stay after all (their data could not be copied in time).
    case keepWorkers([WorkerID])

    case clientJoined(ClientID)
    /// The client's wanted keys are released.
    case clientLeft(ClientID)
    /// A client that had lost its connection is back: it hears again about every key it wants
    /// that is in memory or erred (what it missed while away).
    case clientResumed(ClientID)
    /// A reconnected client still waits for these keys: those it no longer wants here (work
    /// cancelled or released while it was away) are reported cancelled to it.
    case clientStillWaiting(client: ClientID, keys: [Key])
    /// New tasks, as the client sent them, plus the keys it wants (each want counts once; see
    /// `releaseKeys`). A task's position in the update is its graph `order`.
    case updateGraph(client: ClientID, tasks: [WireTask], wants: [Key])
    /// Values the client put on workers itself (holders by address); the client wants each once.
    case scatter(client: ClientID, values: [ScatteredValue])
    /// The keys are to run even when no client wants them any more (Dask's `fire_and_forget`):
    /// the scheduler wants each itself until it is in memory or erred.
    case fireAndForget(keys: [Key])
    /// A client asks for its erred keys again (`Future.retry`).
    case retry(client: ClientID, keys: [Key])
    /// Copies of these values on `copies` workers (all of them, if fewer).
    case replicate(keys: [Key], copies: Int)
    /// Move values (these, or all when `nil`) from workers holding more than the mean to those
    /// holding less.
    case rebalance(keys: [Key]?)
    /// The scheduler keeps these keys for someone other than a client (a published dataset, a
    /// variable or queue holding futures), once for each `keep` until as many `stopKeeping`.
    case keep(keys: [Key])
    case stopKeeping(keys: [Key])
    /// Drops one want of each key by this client (a key a client wanted twice needs two).
    case releaseKeys(client: ClientID, keys: [Key])
    /// Drops every want of these keys by this client, and of their dependents it wants, and
    /// tells it they were cancelled.
    case cancelKeys(client: ClientID, keys: [Key])
    /// `Client.restart`: every client's work is cancelled (each hears which keys); the server
    /// restarts the workers.
    case cancelAllWork

    /// `function`, when given, names the statistics the duration counts towards (defaults to
    /// the task's function).
    case taskFinished(worker: WorkerID, key: Key, runID: Int, nbytes: Int, duration: Double, function: String?)
    case taskErred(worker: WorkerID, key: Key, runID: Int, message: String, errorType: String = TaskFailure.schedulerErrorType)
    /// The running task gave its thread back while it waits on tasks it launched (Dask's
    /// `secede`): the worker may take more work; the task still reports as usual.
    case taskSeceded(worker: WorkerID, key: Key, runID: Int)
    /// The worker's answer to a `stealRequest`: `accepted` when it had not started the task
    /// and dropped it.
    case stealResponse(worker: WorkerID, key: Key, runID: Int, accepted: Bool)
    /// The worker now holds copies of these keys too (it fetched them as dependencies).
    case keysAdded(worker: WorkerID, keys: [Key: Int])
    /// The worker says it no longer holds these keys.
    case keysLost(worker: WorkerID, keys: [Key])
    /// `worker` could not fetch `key` from `holder`: the scheduler stops counting `holder` as
    /// holding it, and either tells `worker` who else has it or recomputes the key.
    case fetchFailed(worker: WorkerID, key: Key, holder: WorkerID)

    /// Periodic (Dask: every 100 ms): balances load by work stealing. `now` is seconds on any
    /// monotonic clock; stealing itself needs no clock, so it is there for time-based policies.
    case tick(now: Double)
}

/// A task's state change as the state machine records it for plugins (`takeTransitions`).
public struct RecordedTransition: Sendable, Equatable {
    public var key: Key
    public var start: TaskState
    public var finish: TaskState
    /// The worker the task is processing on at the change, if any.
    public var worker: WorkerID?
}
