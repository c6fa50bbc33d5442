import LoomCore

/// The distributed scheduler's brain: a pure state machine that takes events and returns effects.
///
/// It does no I/O, reads no clock and starts no threads. The scheduler server owns the sockets,
/// decodes each message into a `SchedulerEvent`, calls `handle(_:into:)` (from one place at a
/// time: an actor or a `Mutex`), and sends the `SchedulerEffect`s in order, batched per
/// connection. Time arrives in `tick` events.
///
/// It follows Dask's scheduler: task states `released → waiting → (queued | no-worker) →
/// processing → memory | erred → released → forgotten`; placement on the worker that minimises
/// `occupancy / nthreads + bytes to fetch / bandwidth`; tasks without dependencies queued on the
/// scheduler while every worker is saturated; work stealing from saturated to idle workers;
/// recomputation of values lost with a worker; `KilledWorker` after `allowedFailures` deaths.
///
/// Every transition costs O(1) in the size of the graph (plus the task's own dependencies and
/// dependents, and a scan of the workers when placing it), so a million-task graph is fine.
///
/// A task arrives as the client sent it (`WireTask`): the scheduler reads its key, function,
/// dependencies and restrictions, forwards it untouched to the worker that runs it, and keeps
/// it until the task is forgotten, to compute the value again if every copy is lost.
///
/// What it expects of workers (the worker state machine's side of the contract):
/// - echo the `runID` of a `compute` or `stealRequest` in `taskFinished`, `taskErred` and
///   `stealResponse`; reports with an older run are ignored;
/// - keep a value it reported finished until told `freeKeys`, and forget a task by itself once
///   it reported it erred or gave it up to an accepted steal;
/// - drop the dependency copies it fetched once its own tasks no longer need them, unless it
///   reported them with `keysAdded` (then they are the scheduler's to free);
/// - on `freeKeys`, drop the value or cancel the task, whichever it has.
/// Of the server: one `WorkerID`/`ClientID` per connection, events of a connection in the order
/// they arrived, and a `workerLeft` when a worker's connection drops.
public struct SchedulerState: Sendable {
    public typealias Event = SchedulerEvent
    public typealias Effect = SchedulerEffect

    public let configuration: SchedulerConfiguration

    // MARK: Tasks
    var tasks: ContiguousArray<TaskRecord> = []
    var freeTaskSlots: [TaskSlot] = []
    var taskSlots: [Key: TaskSlot] = [:]
    /// Each task's index in the heap it is queued in, or -1 (parallel to `tasks`).
    var heapPositions: [Int32] = []
    var stateCounts = [Int](repeating: 0, count: TaskState.allCases.count)
    var failures: [TaskSlot: TaskFailure] = [:]
    /// Values being moved by a rebalance: the worker whose copy goes once the new one lands.
    var pendingMoves: [TaskSlot: WorkerSlot] = [:]
    var functions: [FunctionStats] = []
    var functionSlots: [String: Int32] = [:]
    var constraints: [TaskConstraints] = []
    var constraintSlots: [TaskConstraints: Int32] = [:]
    /// `queues[0]`: ready root tasks waiting for a free slot; `queues[c + 1]`: tasks with
    /// constraint `c` waiting for resources.
    var queues: [TaskQueue] = [TaskQueue()]
    /// The constraint queues (indices into `queues`) that hold tasks.
    var resourceQueuesInUse: Set<Int> = []
    var noWorkerTasks: Set<TaskSlot> = []
    /// When each task first seen in `noWorkerTasks` by a tick was seen there (tick time), while
    /// `configuration.unrunnableTimeout` is set.
    var unrunnableSince: [TaskSlot: Double] = [:]
    var generation = 0
    var lastRunID = 0

    // MARK: Workers and clients
    var workers: [WorkerRecord] = []
    var freeWorkerSlots: [WorkerSlot] = []
    var workerSlots: [WorkerID: WorkerSlot] = [:]
    /// Live workers by the address they serve data on (scattered values name their holders so).
    var workerSlotsByAddress: [String: WorkerSlot] = [:]
    /// Live workers, in the order they joined.
    var activeWorkers: [WorkerSlot] = []
    var steals: [TaskSlot: InFlightSteal] = [:]
    var clients: [ClientID: ClientRecord] = [:]
    /// Live clients, in the order they joined (so notifications come in a stable order).
    var clientOrder: [ClientID] = []

    // MARK: Transitions, for the scheduler's plugins
    /// Whether every state change is recorded for `takeTransitions()`; off, nothing is.
    public var recordsTransitions = false
    var transitionLog: [RecordedTransition] = []

    // MARK: Work lists for the event being handled
    var effects: [Effect] = []
    /// Waiting tasks whose dependencies are all in memory; placed by priority when the event
    /// settles (entries are re-checked, so stale ones are harmless).
    var readyTasks: [TaskSlot] = []
    var releaseCandidates: [TaskSlot] = []
    var forgetCandidates: [TaskSlot] = []
    /// A slot opened, a worker appeared, or something was queued.
    var queuesMayDrain = false
    /// Scratch: bytes of a task's dependencies each worker holds (by worker slot).
    var heldBytes: [Int] = []
    /// Per worker slot: the index in `effects` of its `freeKeys` effect that later frees of
    /// this event may join, or -1.
    var openFrees: [Int] = []
    var scratch: [TaskSlot] = []

    public init(configuration: SchedulerConfiguration = SchedulerConfiguration()) {
        self.configuration = configuration
    }

    /// Handles one event and returns what to do about it.
    public mutating func handle(_ event: Event) -> [Effect] {
        var output: [Effect] = []
        handle(event, into: &output)
        return output
    }

    /// Handles one event, appending what to do about it to `output` (which the server may reuse
    /// across events to save allocations).
    public mutating func handle(_ event: Event, into output: inout [Effect]) {
        swap(&effects, &output)
        defer { swap(&effects, &output) }
        for worker in activeWorkers { openFrees[Int(worker)] = -1 }
        switch event {
        case .workerJoined(let id, let hello): workerJoined(WorkerSpec(id: id, hello))
        case .workerLeft(let id, let departure): workerLeft(id, departure)
        case .workerPaused(let id, let paused): workerPaused(id, paused)
        case .retireWorkers(let ids): retireWorkers(ids)
        case .keepWorkers(let ids): keepWorkers(ids)
        case .clientJoined(let client): clientJoined(client)
        case .clientLeft(let client): clientLeft(client)
        case .clientResumed(let client): clientResumed(client)
        case .clientStillWaiting(let client, let keys): clientStillWaiting(client, keys: keys)
        case .updateGraph(let client, let submissions, let wants):
            updateGraph(client: client, submissions: submissions, wants: wants)
        case .scatter(let client, let values): scatter(client: client, values: values)
        case .fireAndForget(let keys): fireAndForget(keys)
        case .retry(let client, let keys): retry(client: client, keys: keys)
        case .replicate(let keys, let copies): replicate(keys, copies: copies)
        case .rebalance(let keys): rebalance(keys)
        case .keep(let keys):
            ensureClient(.kept)
            for key in keys { if let task = taskSlots[key] { addWant(.kept, task) } }
        case .stopKeeping(let keys): releaseKeys(client: .kept, keys: keys)
        case .releaseKeys(let client, let keys): releaseKeys(client: client, keys: keys)
        case .cancelKeys(let client, let keys): cancelKeys(client: client, keys: keys)
        case .cancelAllWork:
            for client in clientOrder { cancelKeys(client: client, keys: clients[client]?.wants.keys.map { tasks[Int($0)].key } ?? []) }
        case .taskFinished(let worker, let key, let runID, let nbytes, let duration, let function):
            taskFinished(worker: worker, key: key, runID: runID, nbytes: nbytes, duration: duration, function: function)
        case .taskErred(let worker, let key, let runID, let message, let errorType):
            taskErred(worker: worker, key: key, runID: runID, message: message, errorType: errorType)
        case .taskSeceded(let worker, let key, let runID): taskSeceded(worker: worker, key: key, runID: runID)
        case .stealResponse(let worker, let key, let runID, let accepted):
            stealResponse(worker: worker, key: key, runID: runID, accepted: accepted)
        case .keysAdded(let worker, let keys): keysAdded(worker: worker, keys: keys)
        case .keysLost(let worker, let keys): keysLost(worker: worker, keys: keys)
        case .fetchFailed(let worker, let key, let holder): fetchFailed(worker: worker, key: key, holder: holder)
        case .tick(let now):
            failUnrunnable(now: now)
            balance()
        }
        settle()
    }

    /// Runs the deferred work of an event until nothing is left: releases and forgets what is no
    /// longer needed, places ready tasks in priority order, and fills free slots from the queues.
    mutating func settle() {
        repeat {
            flushReleases()
            placeReadyTasks()
            if queuesMayDrain {
                queuesMayDrain = false
                drainQueues()
            }
        } while !readyTasks.isEmpty || !releaseCandidates.isEmpty || !forgetCandidates.isEmpty
    }

    // MARK: Effects

    /// Tells a worker to forget a key. Keys join the worker's last `freeKeys` effect of this
    /// event unless something else was sent to that worker since, so each worker's effects keep
    /// their order but frees come in few messages.
    mutating func emitFree(_ worker: WorkerSlot, _ key: Key) {
        let slot = Int(worker)
        guard workers[slot].live else { return }
        let id = workers[slot].id
        let open = openFrees[slot]
        if open >= 0, open < effects.count, case .freeKeys(let target, var keys) = effects[open], target == id {
            effects[open] = .freeKeys(worker: id, keys: [])
            keys.append(key)
            effects[open] = .freeKeys(worker: id, keys: keys)
        } else {
            openFrees[slot] = effects.count
            effects.append(.freeKeys(worker: id, keys: [key]))
        }
    }

    /// Appends an effect for a worker other than `freeKeys` (which later frees must follow).
    mutating func emit(_ effect: Effect, to worker: WorkerSlot) {
        openFrees[Int(worker)] = -1
        effects.append(effect)
    }

    /// The clients that want `task`, in the order they joined.
    func wanters(of task: TaskSlot) -> [ClientID] {
        guard tasks[Int(task)].wantCount > 0 else { return [] }
        return clientOrder.filter { clients[$0]?.wants[task] != nil }
    }

    func holderIDs(_ task: TaskSlot) -> [WorkerID] {
        tasks[Int(task)].holders.map { workers[Int($0)].id }
    }

    mutating func notifyInMemory(_ task: TaskSlot, only client: ClientID? = nil) {
        let clients = client.map { [$0] } ?? wanters(of: task)
        guard !clients.isEmpty else { return }
        let record = tasks[Int(task)]
        let holders = holderIDs(task)
        for client in clients {
            if client == .fireAndForget {
                dropWant(client, task)
                continue
            }
            if client == .kept { continue }
            effects.append(.keyInMemory(client: client, key: record.key, holders: holders, nbytes: record.nbytes))
        }
    }

    mutating func notifyErred(_ task: TaskSlot, only client: ClientID? = nil) {
        guard let failure = failures[task] else { return }
        for client in client.map({ [$0] }) ?? wanters(of: task) {
            if client == .fireAndForget {
                dropWant(client, task)
                continue
            }
            if client == .kept { continue }
            effects.append(.taskErred(client: client, failure))
        }
    }
}
