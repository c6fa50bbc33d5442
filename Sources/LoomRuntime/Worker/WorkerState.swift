import LoomCore

/// What a worker knows and decides: which tasks wait for which data, what to fetch from which
/// peer, what to run next, what to tell the scheduler, which values to spill, when to pause.
/// It does no I/O and reads no clock: the worker server carries out its effects (sends the
/// messages, runs the tasks, writes and reads the spill files) and feeds it memory samples.
///
/// The worker server feeds it events (a task arrived, data came back, a task finished) and
/// carries out the effects it returns. Data a task fetched from a peer is dropped once no task
/// here needs it; data this worker computed stays until the scheduler frees it.
///
/// Ready tasks are handed to the task threads a few at a time beyond their number (`runAhead`),
/// so a thread that finishes a tiny task starts the next at once instead of waiting for the
/// network thread to hear of it — that round trip between threads would cost more than the
/// task. A handed-out task that has not started can still be withdrawn (for a steal or a free).
package struct WorkerState {
    package enum Effect: Equatable {
        case tellScheduler(Message)
        /// Ask `peer` for the values of `keys`; answer with `received` or `fetchFailed` for `request`.
        case fetch(request: Int, peer: String, keys: [Key])
        /// Run `task` with these arguments, in argument order (a spilled one is read back first).
        case execute(task: WireTask, arguments: [StoredArgument])
        /// Write `bytes`, a value leaving memory, to `key`'s spill file; a failure is answered
        /// with `spillFailed`.
        case spill(key: Key, bytes: [UInt8])
        /// Delete `key`'s spill file: its value was freed, replaced or read back.
        case deleteSpilled(key: Key)
        /// Memory passed the pause threshold (true) or is back under it: tell the scheduler now.
        case pausedChanged(Bool)
        /// Take the task back from the threads if none started it; answer with `withdrawal`.
        case withdraw(key: Key, run: Int64, forSteal: Bool)
    }

    private struct Task {
        var request: WireTask
        var run: Int64
        var missing: Set<Key>
        /// Handed to the task threads (it may not have started yet).
        var handedOut = false
        /// The scheduler freed it while handed out: its result is dropped, not reported.
        var freed = false
        /// Running, but it gave its thread slot back while it waits on other tasks (`seceded`).
        var seceded = false
        /// The arrival number of its entry in `ready` (0: none). Entries of tasks dropped or
        /// queued again since no longer match, and are skipped when they come out.
        var readyArrival: Int64 = 0
    }

    let threads: Int
    /// How many tasks beyond `threads` the task threads may hold queued.
    let runAhead: Int
    let maximumTransfers: Int
    /// The values held here, results and fetched copies alike.
    package var values: StoredValues
    /// Memory thresholds in bytes (none without a memory limit).
    let memory: WorkerMemoryThresholds
    /// Spill-file work decided since the last effects were returned (they go first).
    var fileWork: [Effect] = []
    /// Above the pause fraction of its memory limit the worker starts nothing new.
    package private(set) var paused = false
    /// Values fetched from peers for local tasks, dropped when no local task needs them.
    private var borrowed: Set<Key> = []
    /// Keys the scheduler asked this worker to copy and keep (`replicate`), not yet here.
    private var replicas: Set<Key> = []
    private var tasks: [Key: Task] = [:]
    /// Dependency key → how many local tasks read it (a borrowed value goes when none does).
    private var localUses: [Key: Int] = [:]
    /// Dependency key → keys of local tasks waiting for it.
    private var waiters: [Key: Set<Key>] = [:]
    /// Dependency key → peers that may hold it, not asked yet, tried in order.
    private var sources: [Key: [String]] = [:]
    /// Fetch requests in flight: id → the peer and the keys asked for.
    private var inFlight: [Int: (peer: String, keys: [Key])] = [:]
    private var fetching: Set<Key> = []
    /// Dependency key → the peers that did not give it, to tell the scheduler once all failed.
    private var failedHolders: [Key: [String]] = [:]
    private var nextRequest = 1
    private var ready = BinaryHeap<ReadyTask>()
    private var handedOut = 0
    /// Whether task state changes are recorded for `takeTransitions()` (while worker plugins listen).
    package var recordsTransitions = false
    private var transitionLog: [(key: Key, start: WorkerTaskState, finish: WorkerTaskState)] = []
    private var sequence: Int64 = 0
    private var generations: [Key: Int64] = [:]

    package init(threads: Int, runAhead: Int? = nil, maximumTransfers: Int = 16, memory: WorkerMemoryThresholds = WorkerMemoryThresholds()) {
        self.memory = memory
        values = StoredValues(target: memory.target)
        self.threads = max(1, threads)
        self.runAhead = max(0, runAhead ?? 4 * self.threads)
        self.maximumTransfers = max(1, maximumTransfers)
    }

    /// Tasks known here: waiting for data, ready, or with the task threads.
    var taskCount: Int { tasks.count }

    package mutating func compute(_ request: ComputeRequest) -> [Effect] {
        let task = request.task
        guard tasks[task.key] == nil else { return [] }  // already on its way
        if let nbytes = values.nbytes(of: task.key) {
            // Already here (computed, or fetched for another task): keep it and say so.
            borrowed.remove(task.key)
            return [.tellScheduler(.taskFinished(key: task.key, run: request.run, nbytes: UInt64(nbytes), seconds: 0))]
        }
        let missing = Set(task.dependencies.filter { !values.contains($0) })
        tasks[task.key] = Task(request: task, run: request.run, missing: missing)
        for dependency in task.dependencies { localUses[dependency, default: 0] += 1 }
        for dependency in missing {
            waiters[dependency, default: []].insert(task.key)
            if sources[dependency]?.isEmpty ?? true, !fetching.contains(dependency) {
                sources[dependency] = request.holders[dependency] ?? []
            }
        }
        generations[task.key] = request.generation
        note(task.key, .released, missing.isEmpty ? .ready : .waiting)
        if missing.isEmpty { enqueue(task.key) }
        return startFetches() + startTasks()
    }

    package mutating func received(request: Int, values: [Key: [UInt8]]) -> [Effect] {
        guard let (peer, asked) = inFlight.removeValue(forKey: request) else { return [] }
        var effects: [Effect] = []
        for key in asked {
            fetching.remove(key)
            if let value = values[key] {
                if replicas.remove(key) != nil {
                    if !self.values.contains(key) { keep(key, value) }
                    borrowed.remove(key)  // the scheduler counts this copy now
                    effects.append(.tellScheduler(.keysAdded([key: UInt64(value.count)])))
                    arrived(key)
                    continue
                }
                guard waiters[key] != nil else { continue }  // nobody needs it any more
                if !self.values.contains(key) {
                    keep(key, value)
                    borrowed.insert(key)
                }
                arrived(key)
            } else {
                effects += lost(key, from: peer)
            }
        }
        return effects + startFetches() + startTasks()
    }

    package mutating func fetchFailed(request: Int, reason: String) -> [Effect] {
        guard let (peer, asked) = inFlight.removeValue(forKey: request) else { return [] }
        var effects: [Effect] = []
        for key in asked {
            fetching.remove(key)
            effects += lost(key, from: peer)
        }
        return effects + startFetches() + startTasks()
    }

    /// A dependency could not be had from one peer: try the next; once none is left, ask the
    /// scheduler, which answers with other holders (`holders(of:are:)`) or, if the value is
    /// gone, frees the waiting tasks and computes it again. A peer that died is not the task's
    /// fault, so the task is not failed.
    private mutating func lost(_ key: Key, from peer: String) -> [Effect] {
        if replicas.contains(key), waiters[key] == nil {
            // A copy for a retiring worker: the scheduler asks again if it still matters.
            if sources[key]?.isEmpty ?? true {
                replicas.remove(key)
                sources[key] = nil
            }
            return []
        }
        guard waiters[key] != nil else {
            sources[key] = nil
            failedHolders[key] = nil
            return []
        }
        failedHolders[key, default: []].append(peer)
        if let next = sources[key], !next.isEmpty { return [] }  // more holders to try
        sources[key] = []
        return [.tellScheduler(.fetchFailed(key: key, holders: failedHolders.removeValue(forKey: key) ?? []))]
    }

    /// The scheduler's answer to `fetchFailed`: where `key` is held now.
    package mutating func holders(of key: Key, are addresses: [String]) -> [Effect] {
        guard waiters[key] != nil, !fetching.contains(key), !values.contains(key) else { return [] }
        sources[key] = addresses
        return startFetches() + startTasks()
    }

    /// A running task gave its thread slot back while it waits on tasks it launched (Dask's
    /// `secede`): another task may start in its place, and the scheduler hears so, as its
    /// slots count the same way. The task reports as usual when it ends.
    package mutating func seceded(_ key: Key) -> [Effect] {
        guard var task = tasks[key], task.handedOut, !task.seceded else { return [] }
        task.seceded = true
        tasks[key] = task
        handedOut -= 1
        let told: [Effect] = task.freed ? [] : [.tellScheduler(.taskSeceded(key: key, run: task.run))]
        return told + startTasks()
    }

    package mutating func finished(_ key: Key, result: [UInt8], seconds: Double, timing: TaskTiming = TaskTiming()) -> [Effect] {
        guard let task = tasks.removeValue(forKey: key) else { return startTasks() }
        if !task.seceded { handedOut -= 1 }
        generations[key] = nil
        dropUses(of: task)
        note(key, .executing, task.freed ? .released : .memory)
        if task.freed { return startTasks() }
        keep(key, result)
        borrowed.remove(key)
        return [.tellScheduler(.taskFinished(key: key, run: task.run, nbytes: UInt64(result.count), seconds: seconds, timing: timing))]
            + startTasks()
    }

    package mutating func failed(_ key: Key, message: String, errorType: String = TaskFailure.schedulerErrorType) -> [Effect] {
        guard let task = tasks.removeValue(forKey: key) else { return startTasks() }
        if !task.seceded { handedOut -= 1 }
        generations[key] = nil
        dropUses(of: task)
        note(key, .executing, task.freed ? .released : .error)
        if task.freed { return startTasks() }
        return [.tellScheduler(.taskFailed(key: key, run: task.run, message: message, errorType: errorType))] + startTasks()
    }

    /// The scheduler asks for copies of these keys, from these holders, to keep.
    package mutating func replicate(_ keys: [Key: [String]]) -> [Effect] {
        var effects: [Effect] = []
        for (key, holders) in keys.sorted(by: { $0.key < $1.key }) {
            if let nbytes = values.nbytes(of: key) {
                borrowed.remove(key)
                effects.append(.tellScheduler(.keysAdded([key: UInt64(nbytes)])))
                continue
            }
            guard replicas.insert(key).inserted || !fetching.contains(key) else { continue }
            if !fetching.contains(key), sources[key]?.isEmpty ?? true { sources[key] = holders }
        }
        return effects + startFetches() + startTasks()
    }

    /// The scheduler no longer needs these keys here: drop their data and any unstarted task.
    package mutating func free(_ keys: [Key]) -> [Effect] {
        var effects: [Effect] = []
        for key in keys {
            if replicas.remove(key) != nil, waiters[key] == nil, !fetching.contains(key) { sources[key] = nil }
            if values.contains(key) {
                // A task here still reading it keeps it, as if fetched.
                if localUses[key] == nil {
                    drop(key)
                    borrowed.remove(key)
                } else {
                    borrowed.insert(key)
                }
            }
            guard var task = tasks[key] else { continue }
            if task.handedOut {
                if !task.freed {
                    task.freed = true
                    tasks[key] = task
                    effects.append(.withdraw(key: key, run: task.run, forSteal: false))
                }
            } else {
                forget(key, task)
            }
        }
        return effects + startTasks()
    }

    /// The scheduler wants a task back to run elsewhere: given up unless it already started.
    package mutating func steal(_ key: Key, run: Int64) -> [Effect] {
        guard let task = tasks[key], task.run == run, !task.freed else {
            return [.tellScheduler(.stealResponse(key: key, run: run, accepted: false))]
        }
        if task.handedOut { return [.withdraw(key: key, run: run, forSteal: true)] }
        forget(key, task)
        return [.tellScheduler(.stealResponse(key: key, run: run, accepted: true))] + startTasks()
    }

    /// The task threads' answer to `withdraw`: `succeeded` if no thread had started the task.
    package mutating func withdrawal(_ key: Key, run: Int64, forSteal: Bool, succeeded: Bool) -> [Effect] {
        var effects: [Effect] = []
        if succeeded, let task = tasks[key], task.run == run {
            handedOut -= 1
            forget(key, task)
        }
        if forSteal { effects.append(.tellScheduler(.stealResponse(key: key, run: run, accepted: succeeded))) }
        return effects + startTasks()
    }

    /// Drops a task that will not run here.
    private mutating func forget(_ key: Key, _ task: Task) {
        note(key, task.handedOut ? .executing : task.missing.isEmpty ? .ready : .waiting, .released)
        tasks[key] = nil
        generations[key] = nil
        for dependency in task.missing { waiters[dependency]?.remove(key) }
        dropUses(of: task)
    }

    /// Values a client placed here (`scatter`): kept until the scheduler frees them, like results.
    package mutating func store(_ incoming: [Key: [UInt8]]) -> [Effect] {
        for (key, value) in incoming {
            keep(key, value)
            borrowed.remove(key)
            arrived(key)  // a task here may have been waiting to fetch exactly this value
        }
        return startTasks()
    }

    /// `key`'s value is here now: stop looking for it, and queue the tasks it completes.
    private mutating func arrived(_ key: Key) {
        sources[key] = nil
        for waiter in waiters.removeValue(forKey: key) ?? [] {
            tasks[waiter]?.missing.remove(key)
            if let task = tasks[waiter], task.missing.isEmpty {
                note(waiter, .waiting, .ready)
                enqueue(waiter)
            }
        }
    }

    /// Pauses (nothing new starts) or resumes.
    mutating func setPaused(_ paused: Bool) -> [Effect] {
        guard paused != self.paused else { return [] }
        self.paused = paused
        return startTasks()
    }

    /// Values a peer or client asked for: those in memory, the keys of those spilled (the
    /// server reads them back, then calls `loaded`), and the keys this worker does not have.
    package mutating func values(for keys: [Key]) -> (values: [Key: [UInt8]], spilled: [Key], missing: [Key]) {
        var found: [Key: [UInt8]] = [:]
        var spilled: [Key] = [], missing: [Key] = []
        for key in keys {
            switch values.use(key) {
            case .memory(let bytes): found[key] = bytes
            case .spilled: spilled.append(key)
            case nil: missing.append(key)
            }
        }
        return (found, spilled, missing)
    }

    /// The task no longer reads its dependencies; borrowed values nobody here reads go.
    private mutating func dropUses(of task: Task) {
        for dependency in task.request.dependencies {
            guard let uses = localUses[dependency] else { continue }
            if uses > 1 {
                localUses[dependency] = uses - 1
                continue
            }
            localUses[dependency] = nil
            if borrowed.remove(dependency) != nil { drop(dependency) }
            if waiters[dependency]?.isEmpty ?? false {
                waiters[dependency] = nil
                failedHolders[dependency] = nil
                if !fetching.contains(dependency), !replicas.contains(dependency) { sources[dependency] = nil }
            }
        }
    }

    /// Records a task's state change for worker plugins, while they listen.
    private mutating func note(_ key: Key, _ start: WorkerTaskState, _ finish: WorkerTaskState) {
        if recordsTransitions { transitionLog.append((key, start, finish)) }
    }

    /// The state changes since the last call (see `recordsTransitions`), oldest first.
    package mutating func takeTransitions() -> [(key: Key, start: WorkerTaskState, finish: WorkerTaskState)] {
        guard !transitionLog.isEmpty else { return [] }
        defer { transitionLog.removeAll(keepingCapacity: true) }
        return transitionLog
    }

    private mutating func enqueue(_ key: Key) {
        guard let request = tasks[key]?.request else { return }
        sequence += 1
        tasks[key]?.readyArrival = sequence
        ready.insert(ReadyTask(
            key: key, priority: request.priority, generation: generations[key] ?? 0, order: request.order, arrival: sequence))
    }

    private mutating func startTasks() -> [Effect] {
        var effects = fileWork
        fileWork.removeAll()
        while !paused, handedOut < threads + runAhead, let next = ready.min {
            let key = next.key
            guard var task = tasks[key], task.readyArrival == next.arrival else {
                _ = ready.popMin()
                continue
            }
            // A task run ahead waits with its arguments in hand: not one whose value must come
            // back from disk, which would hold memory the spill accounting already gave up.
            if handedOut >= threads, values.spilledBytes > 0, task.request.arguments.contains(where: { readsSpilled($0) }) { break }
            _ = ready.popMin()
            task.handedOut = true
            tasks[key] = task
            handedOut += 1
            note(key, .ready, .executing)
            effects.append(.execute(task: task.request, arguments: task.request.arguments.map { stored($0) }))
        }
        return effects
    }

    private func readsSpilled(_ argument: WireArgument) -> Bool {
        switch argument {
        case .value: false
        case .key(let key): values.isSpilled(key)
        case .list(let parts): parts.contains { readsSpilled($0) }
        }
    }

    /// An argument as the task threads get it: bytes, or the key of a spilled value to read back.
    private mutating func stored(_ argument: WireArgument) -> StoredArgument {
        switch argument {
        case .value(let bytes): return .bytes(bytes)
        case .key(let key):
            switch values.use(key) {
            case .memory(let bytes): return .bytes(bytes)
            case .spilled: return .spilled(key)
            case nil: return .bytes([])
            }
        case .list(let parts):
            let items = parts.map { stored($0) }
            // Most lists hold no spilled value: encode them here once.
            if items.allSatisfy({ if case .bytes = $0 { true } else { false } }) {
                return .bytes(ValueCodec.encodeList(of: items.map { if case .bytes(let bytes) = $0 { bytes } else { [] } }))
            }
            return .list(items)
        }
    }

    /// Asks for every missing key that has a source, one request per peer, within the limit
    /// on requests in flight.
    private mutating func startFetches() -> [Effect] {
        guard inFlight.count < maximumTransfers else { return [] }
        var byPeer: [String: [Key]] = [:]
        for (key, holders) in sources where !fetching.contains(key) {
            guard let peer = holders.first else { continue }
            byPeer[peer, default: []].append(key)
        }
        var effects: [Effect] = []
        for (peer, keys) in byPeer.sorted(by: { $0.key < $1.key }) where inFlight.count < maximumTransfers {
            let request = nextRequest
            nextRequest += 1
            inFlight[request] = (peer, keys)
            for key in keys {
                fetching.insert(key)
                sources[key]?.removeFirst()
            }
            effects.append(.fetch(request: request, peer: peer, keys: keys.sorted()))
        }
        return effects
    }
}
