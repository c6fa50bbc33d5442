import LoomCore

// What the scheduler's state machine asks the server to do. Each effect is addressed to one
// worker or one client; the server batches them per connection, in the order given (the order
// matters for a worker: a `freeKeys` may precede a new `compute` of the same key).

public enum SchedulerEffect: Sendable, Equatable {
    /// Run a task. The worker fetches each dependency from one of its holders, peer to peer.
    case compute(worker: WorkerID, TaskAssignment)
    /// Forget these keys: drop the value if held, cancel the task if assigned and not finished.
    /// (A worker forgets a task by itself after reporting it erred or giving it up to a steal.)
    case freeKeys(worker: WorkerID, keys: [Key])
    /// Give back the task if it has not started; answer with `SchedulerEvent.stealResponse`.
    case stealRequest(worker: WorkerID, key: Key, runID: Int)
    /// After a `fetchFailed`: the workers that (still) hold `key`.
    case whoHas(worker: WorkerID, key: Key, holders: [WorkerID])
    /// Fetch copies of these keys from their holders and keep them (report with `keysAdded`):
    /// a worker that is retiring holds their only copies.
    case replicate(worker: WorkerID, keys: [Key: [WorkerID]])

    /// A key the client wants is in memory.
    case keyInMemory(client: ClientID, key: Key, holders: [WorkerID], nbytes: Int)
    /// A key the client wants lost its last copy and is being recomputed.
    case keyLost(client: ClientID, key: Key)
    /// A key the client wants erred (itself, or because a dependency did).
    case taskErred(client: ClientID, TaskFailure)
    /// These keys' futures were cancelled at the client's request.
    case cancelled(client: ClientID, keys: [Key])
    /// Part of a graph update was refused; the rest of it was accepted.
    case graphRejected(client: ClientID, GraphRejection)

    /// The worker this effect goes to, if it goes to a worker.
    public var worker: WorkerID? {
        switch self {
        case .compute(let worker, _), .freeKeys(let worker, _), .stealRequest(let worker, _, _),
             .whoHas(let worker, _, _), .replicate(let worker, _):
            worker
        default: nil
        }
    }

    /// The client this effect goes to, if it goes to a client.
    public var client: ClientID? {
        switch self {
        case .keyInMemory(let client, _, _, _), .keyLost(let client, _), .taskErred(let client, _),
             .cancelled(let client, _), .graphRejected(let client, _):
            client
        default: nil
        }
    }
}


/// Everything a worker needs to run one task.
public struct TaskAssignment: Sendable, Equatable {
    public var key: Key
    public var function: String
    /// The task as its client sent it: what the worker runs.
    public var task: WireTask
    /// Echo it in `taskFinished`, `taskErred` and `stealResponse`.
    public var runID: Int
    /// The worker runs its ready tasks in this order (smaller first).
    public var priority: TaskPriority
    public var dependencies: [DependencyLocation]
    /// Resources the scheduler reserved on the worker for this task while it runs.
    public var resources: [String: Double]
    /// The scheduler's estimate of the run time, in seconds.
    public var expectedDuration: Double
}


/// Where a dependency's value can be fetched from.
public struct DependencyLocation: Sendable, Hashable {
    public var key: Key
    public var nbytes: Int
    /// Never empty when sent; the worker tries them in order.
    public var holders: [WorkerID]
}

/// Why a key erred: the failed key, its function and message, for the client to raise.
public struct TaskFailure: Sendable, Hashable, CustomStringConvertible {
    /// The key this failure is reported for.
    public var key: Key
    /// The function of `key`.
    public var function: String
    /// The task that actually failed: `key` itself, or the dependency whose failure this is.
    public var failedKey: Key
    /// The original error message of `failedKey`.
    public var cause: String
    /// The type of `failedKey`'s error: the Swift type its task threw, `KilledWorker`, or
    /// `LoomError` for a failure the scheduler decided (lost data, no worker to run it).
    public var errorType: String

    public static let schedulerErrorType = "LoomError"

    /// Whether `failedKey` failed because the workers running it kept dying.
    public var killedWorker: Bool { errorType == LoomError.killedWorkerType }

    public init(key: Key, function: String, failedKey: Key, cause: String, killedWorker: Bool = false, errorType: String? = nil) {
        self.key = key
        self.function = function
        self.failedKey = failedKey
        self.cause = cause
        self.errorType = errorType ?? (killedWorker ? LoomError.killedWorkerType : Self.schedulerErrorType)
    }

    /// What to show the user: names the failed key and carries the original message.
    public var message: String {
        failedKey == key ? cause : "dependency '\(failedKey)' failed: \(cause)"
    }

    public var description: String { "task '\(key)' (function '\(function)') erred: \(message)" }
}

/// The part of a graph update the scheduler refused.
public struct GraphRejection: Sendable, Hashable, CustomStringConvertible {
    /// Keys referred to (as dependencies or wants) that are neither in the update nor known.
    public var missingKeys: [Key]
    /// Tasks of the update that were dropped: they depend, directly or not, on a missing key,
    /// or sit on (or downstream of) a dependency cycle.
    public var rejectedKeys: [Key]
    /// Tasks of the update that form or follow a dependency cycle (a subset of `rejectedKeys`).
    public var cycleKeys: [Key]

    public var description: String {
        var parts: [String] = []
        if !missingKeys.isEmpty {
            parts.append("unknown keys \(Self.list(missingKeys)) (submit them first, or in the same update)")
        }
        if !cycleKeys.isEmpty { parts.append("a dependency cycle through \(Self.list(cycleKeys))") }
        let what = parts.joined(separator: " and ")
        if rejectedKeys.isEmpty { return "graph update refers to \(what)" }
        return "graph update refers to \(what); rejected tasks \(Self.list(rejectedKeys))"
    }

    private static func list(_ keys: [Key]) -> String {
        let shown = keys.prefix(10).map { "'\($0)'" }.joined(separator: ", ")
        return keys.count > 10 ? shown + " and \(keys.count - 10) more" : shown
    }
}
