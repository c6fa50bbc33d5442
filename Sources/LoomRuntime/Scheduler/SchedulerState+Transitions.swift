import LoomCore

// The task state transitions. Each keeps these facts true:
// - `waiters` of a task = its dependents in a state that needs its value;
// - a waiting task's `waitingOn` = its dependencies not in memory;
// - a task in memory is needed (wanted, or waited on); a released one is wanted by no client
//   and is forgotten once no dependent refers to it.
// Cascades (releasing upstream, erring downstream, recomputing lost keys) use work lists, never
// recursion, so a chain of a million tasks cannot overflow the stack.

extension SchedulerState {
    /// Moves a task to `new`, keeping its dependencies' waiter counts right.
    mutating func setState(_ task: TaskSlot, _ new: TaskState) {
        let index = Int(task)
        let old = tasks[index].state
        guard old != new else { return }
        if recordsTransitions { record(index, old, new) }
        tasks[index].state = new
        stateCounts[Int(old.rawValue)] -= 1
        stateCounts[Int(new.rawValue)] += 1
        let wasWaiter = old.needsDependencies, isWaiter = new.needsDependencies
        guard wasWaiter != isWaiter else { return }
        let dependencies = tasks[index].dependencies
        if isWaiter {
            for dependency in dependencies { tasks[Int(dependency)].waiters += 1 }
        } else {
            for dependency in dependencies {
                tasks[Int(dependency)].waiters -= 1
                if tasks[Int(dependency)].waiters == 0 { releaseCandidates.append(dependency) }
            }
        }
    }

    /// Notes a state change for the scheduler's plugins (only while they listen: it costs a
    /// string copy per change).
    private mutating func record(_ index: Int, _ start: TaskState, _ finish: TaskState) {
        let worker = tasks[index].processingOn
        transitionLog.append(RecordedTransition(
            key: tasks[index].key, start: start, finish: finish, worker: worker >= 0 ? workers[Int(worker)].id : nil))
    }

    /// The state changes recorded since the last call (see `recordsTransitions`), oldest first.
    public mutating func takeTransitions() -> [RecordedTransition] {
        guard !transitionLog.isEmpty else { return [] }
        defer { transitionLog.removeAll(keepingCapacity: true) }
        return transitionLog
    }

    /// Makes a released task, and transitively the released dependencies it needs, wait to be
    /// computed. A task whose dependency erred errs too; scattered data cannot be recomputed.
    mutating func require(_ root: TaskSlot) {
        guard tasks[Int(root)].state == .released else { return }
        var stack = scratch
        scratch = []
        stack.removeAll(keepingCapacity: true)
        stack.append(root)
        while let task = stack.popLast() {
            let index = Int(task)
            guard tasks[index].state == .released else { continue }
            if tasks[index].recipe == nil {
                let key = tasks[index].key
                markErred(task, TaskFailure(
                    key: key, function: functionName(task), failedKey: key,
                    cause: "the data of '\(key)' was lost with the workers that held it, and it has no recipe to recompute it (it was scattered)"))
                continue
            }
            let dependencies = tasks[index].dependencies
            if let erred = dependencies.first(where: { tasks[Int($0)].state == .erred }) {
                markErred(task, dependentFailure(task, of: erred))
                continue
            }
            var missing: Int32 = 0
            for dependency in dependencies {
                switch tasks[Int(dependency)].state {
                case .memory: continue
                case .released: stack.append(dependency)
                default: break
                }
                missing += 1
            }
            setState(task, .waiting)
            tasks[index].waitingOn = missing
            if missing == 0 { readyTasks.append(task) }
        }
        scratch = stack
    }

    /// How many of a task's dependencies are not in memory (for a task going back to waiting);
    /// released ones are required again.
    mutating func recountWaiting(_ task: TaskSlot) {
        var missing: Int32 = 0
        for dependency in tasks[Int(task)].dependencies where tasks[Int(dependency)].state != .memory {
            missing += 1
            if tasks[Int(dependency)].state == .released { require(dependency) }
        }
        tasks[Int(task)].waitingOn = missing
        if missing == 0 { readyTasks.append(task) }
    }

    /// Sends a task that was queued, without a worker or processing back to waiting (after a
    /// dependency's value was lost, a retry, or a steal). The caller has already taken it off
    /// its worker or queue.
    mutating func returnToWaiting(_ task: TaskSlot) {
        setState(task, .waiting)
        recountWaiting(task)
    }

    /// A task's value is now held by `holders` (it finished, or a client scattered it).
    mutating func becameMemory(_ task: TaskSlot, holders: [WorkerSlot], nbytes: Int) {
        let index = Int(task)
        tasks[index].nbytes = max(nbytes, 0)
        for worker in holders { addHolder(task, worker) }
        setState(task, .memory)
        notifyInMemory(task)
        for dependent in tasks[index].dependents where tasks[Int(dependent)].state == .waiting {
            tasks[Int(dependent)].waitingOn -= 1
            if tasks[Int(dependent)].waitingOn == 0 { readyTasks.append(dependent) }
        }
        if !tasks[index].isNeeded { releaseCandidates.append(task) }
    }

    mutating func addHolder(_ task: TaskSlot, _ worker: WorkerSlot) {
        guard tasks[Int(task)].holders.insert(worker) else { return }
        workers[Int(worker)].holding.insert(task)
        workers[Int(worker)].nbytes += tasks[Int(task)].nbytes
    }

    /// Stops counting `worker` as holding the task's value; recomputes it if that was the last
    /// copy.
    mutating func removeHolder(_ task: TaskSlot, _ worker: WorkerSlot) {
        guard tasks[Int(task)].holders.remove(worker) else { return }
        workers[Int(worker)].holding.remove(task)
        workers[Int(worker)].nbytes -= tasks[Int(task)].nbytes
        if tasks[Int(task)].holders.isEmpty, tasks[Int(task)].state == .memory { valueLost(task) }
    }

    /// The last copy of a value is gone: tell the clients, send its dependents that were about
    /// to fetch it back to waiting, and compute it again (with whatever it needs in turn).
    mutating func valueLost(_ task: TaskSlot) {
        let index = Int(task)
        for client in wanters(of: task) { effects.append(.keyLost(client: client, key: tasks[index].key)) }
        setState(task, .released)
        for dependent in tasks[index].dependents {
            let dependentIndex = Int(dependent)
            switch tasks[dependentIndex].state {
            case .waiting:
                tasks[dependentIndex].waitingOn += 1
            case .processing:
                let worker = tasks[dependentIndex].processingOn
                removeFromProcessing(dependent)
                emitFree(worker, tasks[dependentIndex].key)
                setState(dependent, .waiting)
                tasks[dependentIndex].waitingOn = 1
            case .queued, .noWorker:
                leaveQueue(dependent)
                setState(dependent, .waiting)
                tasks[dependentIndex].waitingOn = 1
            default:
                break
            }
        }
        // The other dependencies of those dependents are in memory (they were ready), so one
        // missing value is right; the lost task is needed, since it had waiters or wants.
        if tasks[index].isNeeded { require(task) } else { forgetCandidates.append(task) }
    }

    /// Errs a task and, transitively, every dependent that was going to run.
    mutating func markErred(_ root: TaskSlot, _ failure: TaskFailure) {
        var stack: [(TaskSlot, TaskFailure)] = [(root, failure)]
        while let (task, failure) = stack.popLast() {
            let index = Int(task)
            switch tasks[index].state {
            case .processing:
                // The caller took a task that failed on its worker off it already.
                let worker = tasks[index].processingOn
                if worker >= 0 {
                    removeFromProcessing(task)
                    emitFree(worker, tasks[index].key)
                }
            case .queued, .noWorker:
                leaveQueue(task)
            case .erred, .forgotten:
                continue
            default:
                break
            }
            setState(task, .erred)
            failures[task] = failure
            notifyErred(task)
            for dependent in tasks[index].dependents {
                switch tasks[Int(dependent)].state {
                case .waiting, .queued, .noWorker, .processing:
                    stack.append((dependent, dependentFailure(dependent, of: task)))
                default:
                    break
                }
            }
            if !tasks[index].isNeeded { releaseCandidates.append(task) }
        }
    }

    /// The failure a dependent of the erred `dependency` reports: it blames the task that
    /// actually failed.
    func dependentFailure(_ dependent: TaskSlot, of dependency: TaskSlot) -> TaskFailure {
        let original = failures[dependency]
        return TaskFailure(
            key: tasks[Int(dependent)].key, function: functionName(dependent),
            failedKey: original?.failedKey ?? tasks[Int(dependency)].key,
            cause: original?.cause ?? "unknown error", errorType: original?.errorType)
    }

    // MARK: Releasing and forgetting

    mutating func flushReleases() {
        while !releaseCandidates.isEmpty || !forgetCandidates.isEmpty {
            while let task = releaseCandidates.popLast() { releaseIfUnneeded(task) }
            while let task = forgetCandidates.popLast() { forgetIfUnreferenced(task) }
        }
    }

    /// Releases a task nobody needs any more: frees its value on the workers, cancels it where
    /// it runs. Erred tasks stay (to explain their dependents' failures) until no dependent
    /// refers to them.
    mutating func releaseIfUnneeded(_ task: TaskSlot) {
        let record = tasks[Int(task)]
        guard !record.isNeeded else { return }
        switch record.state {
        case .memory, .waiting, .noWorker, .queued, .processing: release(task)
        case .erred: if record.dependents.isEmpty { release(task) }
        case .released: forgetCandidates.append(task)
        case .forgotten: break
        }
    }

    mutating func release(_ task: TaskSlot) {
        let index = Int(task)
        switch tasks[index].state {
        case .memory:
            let key = tasks[index].key, nbytes = tasks[index].nbytes
            for worker in tasks[index].holders {
                workers[Int(worker)].holding.remove(task)
                workers[Int(worker)].nbytes -= nbytes
                emitFree(worker, key)
            }
            tasks[index].holders.removeAll()
        case .processing:
            let worker = tasks[index].processingOn
            removeFromProcessing(task)
            emitFree(worker, tasks[index].key)
        case .queued, .noWorker:
            leaveQueue(task)
        case .erred:
            failures[task] = nil
        case .waiting, .released, .forgotten:
            break
        }
        setState(task, .released)
        forgetCandidates.append(task)
    }

    /// Drops the record of a released task no client wants and no dependent refers to; its
    /// dependencies may then be forgotten too.
    mutating func forgetIfUnreferenced(_ task: TaskSlot) {
        let index = Int(task)
        guard tasks[index].wantCount == 0, tasks[index].dependents.isEmpty else { return }
        if tasks[index].state == .erred { release(task) }
        guard tasks[index].state == .released else { return }
        for dependency in tasks[index].dependencies {
            tasks[Int(dependency)].dependents.remove(task)
            if tasks[Int(dependency)].dependents.isEmpty { forgetCandidates.append(dependency) }
        }
        if recordsTransitions { record(index, .released, .forgotten) }
        taskSlots[tasks[index].key] = nil
        stateCounts[Int(TaskState.released.rawValue)] -= 1
        tasks[index] = .free()
        heapPositions[index] = -1
        freeTaskSlots.append(task)
        unrunnableSince[task] = nil
    }

    // MARK: Functions

    func functionName(_ task: TaskSlot) -> String { functions[Int(tasks[Int(task)].function)].name }

    mutating func internFunction(_ name: String) -> Int32 {
        if let slot = functionSlots[name] { return slot }
        let slot = Int32(functions.count)
        functions.append(FunctionStats(name: name))
        functionSlots[name] = slot
        return slot
    }

    func expectedDuration(_ function: Int32) -> Double {
        let stats = functions[Int(function)]
        return stats.samples > 0 ? stats.meanDuration : configuration.defaultTaskDuration
    }

    /// A plain mean of the first `durationWindow` samples, then a moving average.
    mutating func recordDuration(_ function: Int32, _ duration: Double) {
        guard duration.isFinite, duration >= 0 else { return }
        let index = Int(function)
        functions[index].samples += 1
        let weight = 1 / Double(min(functions[index].samples, max(configuration.durationWindow, 1)))
        functions[index].meanDuration += (duration - functions[index].meanDuration) * weight
    }
}
