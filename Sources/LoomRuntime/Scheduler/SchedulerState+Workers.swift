import LoomCore

// What workers tell the scheduler: joining, leaving (their tasks rescheduled, their only copies
// recomputed), pausing, and how their tasks went.

extension SchedulerState {
    mutating func workerJoined(_ spec: WorkerSpec) {
        guard workerSlots[spec.id] == nil else { return }
        let saturation = configuration.workerSaturation
        let nthreads = max(spec.nthreads, 1)
        let slots = saturation.isFinite ? max(Int((Double(nthreads) * saturation).rounded(.up)), 1) : Int.max
        let record = WorkerRecord(spec: spec, live: true, slots: slots, available: spec.resources)
        let slot: WorkerSlot
        if let free = freeWorkerSlots.popLast() {
            slot = free
            workers[Int(slot)] = record
        } else {
            slot = WorkerSlot(workers.count)
            workers.append(record)
        }
        workerSlots[spec.id] = slot
        workerSlotsByAddress[spec.address] = slot
        activeWorkers.append(slot)
        if openFrees.count < workers.count { openFrees.append(-1) }
        openFrees[Int(slot)] = -1
        retryNoWorkerTasks()
    }

    mutating func workerPaused(_ id: WorkerID, _ paused: Bool) {
        guard let slot = workerSlots[id], workers[Int(slot)].paused != paused else { return }
        workers[Int(slot)].paused = paused
        if !paused { retryNoWorkerTasks() }
    }

    /// Reschedules the worker's processing tasks (erring those that have now killed
    /// `allowedFailures` workers), then recomputes the values only it held.
    mutating func workerLeft(_ id: WorkerID, _ departure: WorkerDeparture) {
        guard let slot = workerSlots.removeValue(forKey: id) else { return }
        let index = Int(slot)
        if workerSlotsByAddress[workers[index].spec.address] == slot { workerSlotsByAddress[workers[index].spec.address] = nil }
        workers[index].live = false
        activeWorkers.removeAll { $0 == slot }
        for (task, steal) in steals where steal.thief == slot { steals[task]?.thief = -1 }

        let processing = workers[index].processing.sorted { lhs, rhs in
            let left = tasks[Int(lhs)].priority, right = tasks[Int(rhs)].priority
            return left != right ? left < right : lhs < rhs
        }
        for task in processing {
            removeFromProcessing(task)
            if departure == .lost { tasks[Int(task)].suspicious += 1 }
            if departure == .lost, Int(tasks[Int(task)].suspicious) >= configuration.allowedFailures {
                markErred(task, killedWorkerFailure(task, lastWorker: workers[index].spec))
            } else {
                returnToWaiting(task)
            }
        }
        for task in workers[index].holding.sorted() { removeHolder(task, slot) }

        workers[index] = WorkerRecord(spec: workers[index].spec, live: false, slots: 0, available: [:])
        freeWorkerSlots.append(slot)
        queuesMayDrain = true
    }

    func killedWorkerFailure(_ task: TaskSlot, lastWorker: WorkerSpec) -> TaskFailure {
        let key = tasks[Int(task)].key
        let deaths = tasks[Int(task)].suspicious
        return TaskFailure(
            key: key, function: functionName(task), failedKey: key,
            cause: "KilledWorker: task '\(key)' was running on \(deaths) workers that died (the last was "
                + "'\(lastWorker.name)' at \(lastWorker.address)). The task may be crashing its worker, e.g. by "
                + "running out of memory or by a fault in native code; look at those workers' logs.",
            killedWorker: true)
    }

    mutating func taskFinished(worker id: WorkerID, key: Key, runID: Int, nbytes: Int, duration: Double, function: String?) {
        guard let worker = workerSlots[id] else { return }
        guard let task = taskSlots[key] else {
            emitFree(worker, key)
            return
        }
        let index = Int(task)
        guard tasks[index].state == .processing, tasks[index].processingOn == worker else {
            // A result nobody asked this worker for (the task was released, moved or already
            // done): the worker must drop it, as the scheduler does not count this copy.
            if !(tasks[index].state == .memory && tasks[index].holders.contains(worker)) { emitFree(worker, key) }
            return
        }
        // An older run of a task that was sent to this worker again: its new run will report.
        guard tasks[index].runID == runID else { return }
        recordDuration(function.map { internFunction($0) } ?? tasks[index].function, duration)
        removeFromProcessing(task)
        becameMemory(task, holders: [worker], nbytes: nbytes)
    }

    /// The task gave its thread back to wait on other tasks (`secede`): its slot is free for
    /// queued work, and it is no longer counted as work the worker has to do.
    mutating func taskSeceded(worker id: WorkerID, key: Key, runID: Int) {
        guard let worker = workerSlots[id], let task = taskSlots[key] else { return }
        let index = Int(task), workerIndex = Int(worker)
        guard tasks[index].state == .processing, tasks[index].processingOn == worker, tasks[index].runID == runID,
              workers[workerIndex].longRunning.insert(task).inserted else { return }
        workers[workerIndex].occupancy = max(0, workers[workerIndex].occupancy - tasks[index].cost)
        tasks[index].cost = 0
        queuesMayDrain = true
    }

    mutating func taskErred(worker id: WorkerID, key: Key, runID: Int, message: String, errorType: String) {
        guard let worker = workerSlots[id], let task = taskSlots[key] else { return }
        let index = Int(task)
        guard tasks[index].state == .processing, tasks[index].processingOn == worker,
              tasks[index].runID == runID else { return }
        removeFromProcessing(task)
        if tasks[index].retries > 0 {
            tasks[index].retries -= 1
            returnToWaiting(task)
        } else {
            markErred(task, TaskFailure(key: key, function: functionName(task), failedKey: key, cause: message, errorType: errorType))
        }
    }

    mutating func keysAdded(worker id: WorkerID, keys: [Key: Int]) {
        guard let worker = workerSlots[id] else { return }
        for key in keys.keys.sorted() {
            if let task = taskSlots[key], tasks[Int(task)].state == .memory {
                addHolder(task, worker)
                moveLanded(task, on: worker)
            } else {
                emitFree(worker, key)
            }
        }
    }

    mutating func keysLost(worker id: WorkerID, keys: [Key]) {
        guard let worker = workerSlots[id] else { return }
        for key in keys {
            if let task = taskSlots[key] { removeHolder(task, worker) }
        }
    }

    mutating func fetchFailed(worker id: WorkerID, key: Key, holder holderID: WorkerID) {
        guard let worker = workerSlots[id], let task = taskSlots[key] else { return }
        if let holder = workerSlots[holderID] { removeHolder(task, holder) }
        if tasks[Int(task)].state == .memory {
            emit(.whoHas(worker: id, key: key, holders: holderIDs(task)), to: worker)
        }
    }
}
