import LoomCore

/// Everything the scheduler, workers and clients say to each other (docs/protocol.md).
///
/// Messages travel in batches, one batch per frame; encoded values (task arguments and results)
/// ride along as attachments after the messages, so they are copied, never re-encoded.
public enum Message: Equatable, Sendable {
    // Handshake, first message on every connection.
    case hello(Hello)
    case welcome(Welcome)
    /// The connection is refused; the reason says why and what to do.
    case refused(String)

    // Client → scheduler.
    /// `functions`: name → signature of each function the tasks use, checked against the workers'.
    case updateGraph(tasks: [WireTask], wanted: [Key], functions: [String: String])
    case releaseKeys([Key])
    case cancelKeys([Key])
    case whoHas(request: UInt64, keys: [Key])
    case schedulerInfoRequest(request: UInt64)
    /// Cancel all work, restart every worker, and answer with `restarted` once they are back
    /// (or `timeout` seconds passed).
    case restart(request: UInt64, timeout: Double)
    /// The client is closing: release its work at once rather than waiting for it to reconnect.
    case closeClient
    /// The last `count` log records of the scheduler's process, or of a worker's (sent to it).
    case logsRequest(request: UInt64, count: UInt64)
    /// A request for the scheduler plugin named `plugin` (a performance report asks the
    /// dashboard's diagnostics); what `payload` means is the plugin's business.
    case pluginRequest(request: UInt64, plugin: String, payload: [UInt8])
    /// Values the client put on workers itself (`scatter`); it wants each once.
    case scattered([ScatteredValue])
    /// Sent on reconnecting: the keys this client still waits for or holds. The scheduler answers
    /// `keyCancelled` for those it no longer keeps for this client (cancelled by a restart, or
    /// released because the client stayed away too long), which it could not tell it meanwhile.
    case stillWaiting([Key])
    /// Run these keys even once no client wants them (`Client.fireAndForget`).
    case fireAndForget([Key])
    /// Compute these erred keys again, with the erred tasks they depend on (`Future.retry`).
    case retry([Key])

    // Scheduler → client.
    case keyInMemory(key: Key, nbytes: UInt64, holders: [String])
    /// `errorType` names the error's type (the Swift type a task threw, or `KilledWorker`).
    case taskErred(key: Key, function: String, message: String, errorType: String)
    case keyCancelled(key: Key)
    case graphRejected(message: String)
    case whoHasReply(request: UInt64, holders: [Key: [String]])
    case schedulerInfo(request: UInt64, workers: [WorkerSummary])
    /// `error` says which workers did not come back, if some did not.
    case restarted(request: UInt64, error: String?)
    /// The answer to `logsRequest`, oldest first.
    case logs(request: UInt64, records: [LogRecord])
    /// The plugin's answer to `pluginRequest`, or why there is none.
    case pluginReply(request: UInt64, payload: [UInt8], error: String?)

    // Scheduler → worker.
    case compute(ComputeRequest)
    case freeKeys([Key])
    /// Give the task back if it has not started; answer with `stealResponse`.
    case steal(key: Key, run: Int64)
    /// Where a value the worker could not fetch is held now (the answer to `fetchFailed`).
    case holders(key: Key, addresses: [String])
    /// Fetch these keys from the listed holders and keep them (answer with `keysAdded`): a
    /// retiring worker holds their only copies.
    case replicate([Key: [String]])
    /// Exit so the nanny starts a fresh process (`Client.restart`).
    case restartWorker
    /// You are retired (your data is safe elsewhere): exit, and do not come back.
    case closeWorker
    /// Make the worker plugin registered as `type` from `options` and set it up, replacing one
    /// of the same name (`Client.registerPlugin`); answered with `pluginInstalled`.
    case installPlugin(type: String, options: [UInt8])

    // Worker → scheduler; `run` echoes the compute request's, so stale reports are ignored.
    /// `seconds` is the whole call; `timing` says when and where it ran, and how much of it was
    /// (de)serialisation.
    case taskFinished(key: Key, run: Int64, nbytes: UInt64, seconds: Double, timing: TaskTiming = TaskTiming())
    case taskFailed(key: Key, run: Int64, message: String, errorType: String)
    /// The running task gave its thread back while it waits on tasks it launched (Dask's
    /// `secede`, by `TaskContext.client()`); it reports `taskFinished` or `taskFailed` later.
    case taskSeceded(key: Key, run: Int64)
    case stealResponse(key: Key, run: Int64, accepted: Bool)
    /// None of these holders gave the worker `key`; its tasks wait for `holders` or a `freeKeys`.
    case fetchFailed(key: Key, holders: [String])
    /// Periodic, and at once when the worker pauses or resumes; its absence for the scheduler's
    /// time-to-live counts the worker as lost.
    case heartbeat(WorkerMetrics)
    /// The worker now keeps copies of these keys (their bytes), as `replicate` asked.
    case keysAdded([Key: UInt64])
    /// The worker reached its lifetime: retire it gracefully (answered by `closeWorker`).
    case retireRequest
    /// The plugin `installPlugin` asked for is set up (`error`: why not).
    case pluginInstalled(type: String, error: String?)

    // Anyone → worker, and the worker's answer: data moves peer to peer.
    case getData(request: UInt64, keys: [Key])
    case data(request: UInt64, values: [Key: [UInt8]], missing: [Key])

    // Client → worker, and the worker's answers.
    /// Keep these values until the scheduler frees them (`scatter`); answered by `dataStored`.
    case putData(request: UInt64, values: [Key: [UInt8]])
    case dataStored(request: UInt64)
    /// Call a registered function now, outside the task threads (`Client.run`).
    case runFunction(request: UInt64, function: String, arguments: [[UInt8]])
    /// Call the actor method `method` on the actor instance made by task `actor`, after the
    /// calls on it that came before (answered with `runResult`).
    case actorCall(request: UInt64, actor: Key, method: String, arguments: [[UInt8]])
    /// `error` is nil when the call returned `value`.
    case runResult(request: UInt64, value: [UInt8], error: String?)

    /// The request id of a reply a peer matches to its request, if this is one.
    package var replyRequest: UInt64? {
        switch self {
        case .data(let request, _, _), .dataStored(let request), .runResult(let request, _, _), .logs(let request, _): request
        default: nil
        }
    }
}

/// A value placed on workers by a client.
public struct ScatteredValue: Equatable, Sendable {
    public var key: Key
    public var nbytes: UInt64
    /// Addresses of the workers holding it.
    public var holders: [String]
    public init(key: Key, nbytes: UInt64, holders: [String]) {
        self.key = key
        self.nbytes = nbytes
        self.holders = holders
    }
}

/// Who is connecting, and what it can run.
public struct Hello: Equatable, Sendable {
    public enum Role: UInt8, Sendable { case client = 1, worker = 2, peer = 3 }
    public var protocolVersion: UInt64
    public var role: Role
    public var name: String
    /// Where a worker serves data to peers (`tcp://host:port`); for a worker's own client (its
    /// tasks'), that worker's; empty for other clients.
    public var address: String
    public var threads: Int
    public var memoryLimit: UInt64
    public var resources: [String: Double]
    /// Task function name → signature; the scheduler refuses a worker or client that differs.
    public var functions: [String: String]
    /// A worker with a nanny (or a cluster) that starts it again after `restartWorker`.
    public var supervised: Bool

    public init(
        protocolVersion: UInt64 = Wire.protocolVersion, role: Role, name: String, address: String = "", threads: Int = 0,
        memoryLimit: UInt64 = 0, resources: [String: Double] = [:], functions: [String: String] = [:], supervised: Bool = false
    ) {
        self.protocolVersion = protocolVersion
        self.role = role
        self.name = name
        self.address = address
        self.threads = threads
        self.memoryLimit = memoryLimit
        self.resources = resources
        self.functions = functions
        self.supervised = supervised
    }
}

public struct Welcome: Equatable, Sendable {
    public var protocolVersion: UInt64
    /// The scheduler's identity, for logs.
    public var scheduler: String
    /// The dashboard's link, empty without one.
    public var dashboard: String
    public init(protocolVersion: UInt64 = Wire.protocolVersion, scheduler: String, dashboard: String = "") {
        self.protocolVersion = protocolVersion
        self.scheduler = scheduler
        self.dashboard = dashboard
    }
}

/// A task as a client submits it.
public struct WireTask: Equatable, Sendable {
    public var key: Key
    public var function: String
    public var arguments: [WireArgument]
    /// Graph order within the submission (lower runs first).
    public var order: Int64
    /// User priority: higher runs first.
    public var priority: Int64
    public var retries: Int64
    /// Worker names or addresses allowed to run it; empty means any.
    public var workers: [String]
    /// `workers` are a preference: while none of them is running, any worker may run it.
    public var allowOtherWorkers: Bool
    public var resources: [String: Double]

    public init(
        key: Key, function: String, arguments: [WireArgument], order: Int64 = 0, priority: Int64 = 0, retries: Int64 = 0,
        workers: [String] = [], allowOtherWorkers: Bool = false, resources: [String: Double] = [:]
    ) {
        self.key = key
        self.function = function
        self.arguments = arguments
        self.order = order
        self.priority = priority
        self.retries = retries
        self.workers = workers
        self.allowOtherWorkers = allowOtherWorkers
        self.resources = resources
    }

    /// The keys this task reads, each once.
    public var dependencies: [Key] {
        var seen: [Key] = []
        Self.collectKeys(arguments, into: &seen)
        return seen
    }

    // A static function rather than a closure capturing `seen`: a captured variable's every
    // access is checked for exclusivity, and this runs for every task on both sides.
    private static func collectKeys(_ arguments: [WireArgument], into seen: inout [Key]) {
        for argument in arguments {
            switch argument {
            case .value: break
            case .key(let key): if !seen.contains(key) { seen.append(key) }
            case .list(let parts): collectKeys(parts, into: &seen)
            }
        }
    }
}

/// An argument of a task on the wire: an encoded value, another task's result, or a list.
public indirect enum WireArgument: Equatable, Sendable {
    case value([UInt8])
    case key(Key)
    case list([WireArgument])
}

/// What a worker needs to run one task: the task, and where each dependency can be fetched.
public struct ComputeRequest: Equatable, Sendable {
    public var task: WireTask
    /// Dependency key → addresses of workers holding it.
    public var holders: [Key: [String]]
    /// Which assignment of the task this is; reports echo it.
    public var run: Int64
    /// The submission the task came in (earlier submissions run first at equal priority).
    public var generation: Int64
    public init(task: WireTask, holders: [Key: [String]], run: Int64 = 0, generation: Int64 = 0) {
        self.task = task
        self.holders = holders
        self.run = run
        self.generation = generation
    }
}

public struct WorkerSummary: Equatable, Sendable {
    public var name: String
    public var address: String
    public var threads: Int
    public var memoryLimit: UInt64
    public var processing: Int
    /// Keys the worker holds, in memory or spilled.
    public var inMemory: Int
    /// The worker's last heartbeat.
    public var metrics: WorkerMetrics
    public init(name: String, address: String, threads: Int, memoryLimit: UInt64, processing: Int, inMemory: Int,
                metrics: WorkerMetrics = WorkerMetrics()) {
        self.name = name
        self.address = address
        self.threads = threads
        self.memoryLimit = memoryLimit
        self.processing = processing
        self.inMemory = inMemory
        self.metrics = metrics
    }
}

/// How a worker's memory stands, as Dask's dashboard splits it.
public struct WorkerMetrics: Equatable, Sendable {
    /// Bytes of values held in memory.
    public var managedBytes: UInt64
    /// Bytes of values spilled to the local directory.
    public var spilledBytes: UInt64
    /// The process's resident memory, as the operating system counts it.
    public var processBytes: UInt64
    /// Whether the worker stopped starting tasks (memory above the pause fraction).
    public var paused: Bool
    /// Totals since the worker started: bytes spilled to disk, and the seconds writing took.
    public var spillWrittenBytes: UInt64
    public var spillWriteSeconds: Double
    /// Totals since the worker started, by key prefix: fetching values from peers, and
    /// spilling or loading them.
    public var phases: [String: PhaseTotals]

    /// Process memory not accounted for by held values: the runtime, buffers, fragmentation.
    public var unmanagedBytes: UInt64 { processBytes > managedBytes ? processBytes - managedBytes : 0 }

    public init(managedBytes: UInt64 = 0, spilledBytes: UInt64 = 0, processBytes: UInt64 = 0, paused: Bool = false,
                spillWrittenBytes: UInt64 = 0, spillWriteSeconds: Double = 0, phases: [String: PhaseTotals] = [:]) {
        self.managedBytes = managedBytes
        self.spilledBytes = spilledBytes
        self.processBytes = processBytes
        self.paused = paused
        self.spillWrittenBytes = spillWrittenBytes
        self.spillWriteSeconds = spillWriteSeconds
        self.phases = phases
    }
}

/// Where a worker's time went for values of one key prefix, besides running tasks.
public struct PhaseTotals: Equatable, Sendable, Codable {
    public var transferSeconds: Double
    public var transferBytes: UInt64
    public var diskSeconds: Double

    public init(transferSeconds: Double = 0, transferBytes: UInt64 = 0, diskSeconds: Double = 0) {
        self.transferSeconds = transferSeconds
        self.transferBytes = transferBytes
        self.diskSeconds = diskSeconds
    }
}

/// When and where a task ran, for the task stream and the profile.
public struct TaskTiming: Equatable, Sendable {
    /// Seconds since 1970 when a thread started it.
    public var startedAt: Double
    /// Which of the worker's task threads ran it.
    public var thread: Int
    /// Seconds of the call spent decoding arguments and encoding the result.
    public var serializationSeconds: Double

    public init(startedAt: Double = 0, thread: Int = 0, serializationSeconds: Double = 0) {
        self.startedAt = startedAt
        self.thread = thread
        self.serializationSeconds = serializationSeconds
    }
}
