import LoomCore

// Tasks held on the scheduler until a worker can take them (Dask's queuing). Root tasks — no
// dependencies, no restrictions — wait in `queues[0]` while every worker is saturated, so a huge
// map does not flood workers' memory; each freed slot takes the highest-priority one. Tasks
// whose resources are all reserved wait in the queue of their constraint until a task holding
// them leaves its worker. Tasks no running worker may run wait in `noWorkerTasks` until one joins.

extension SchedulerState {
    mutating func enqueue(_ task: TaskSlot, queue: Int) {
        setState(task, .queued)
        queues[queue].insert(task, priority: tasks[Int(task)].priority, positions: &heapPositions)
        if queue > 0 { resourceQueuesInUse.insert(queue) }
        queuesMayDrain = true
    }

    /// Takes a queued or no-worker task out of its queue; the caller moves it on.
    mutating func leaveQueue(_ task: TaskSlot) {
        switch tasks[Int(task)].state {
        case .queued:
            // Unconstrained tasks queue only for a slot; constrained ones only for resources.
            let constraint = tasks[Int(task)].constraint
            let queue = constraint >= 0 ? Int(constraint) + 1 : 0
            queues[queue].remove(task, positions: &heapPositions)
            if queue > 0, queues[queue].isEmpty { resourceQueuesInUse.remove(queue) }
        case .noWorker:
            noWorkerTasks.remove(task)
        default:
            break
        }
    }

    /// Fills free slots and free resources from the queues, highest priority first.
    mutating func drainQueues() {
        while let task = queues[0].firstTask, let worker = leastBusyUnsaturatedWorker(for: task) {
            _ = queues[0].popFirstTask(positions: &heapPositions)
            assign(task, to: worker)
        }
        guard !resourceQueuesInUse.isEmpty else { return }
        for queue in resourceQueuesInUse.sorted() {
            defer { if queues[queue].isEmpty { resourceQueuesInUse.remove(queue) } }
            drain: while let task = queues[queue].firstTask {
                switch decideWorker(task) {
                case .worker(let worker):
                    _ = queues[queue].popFirstTask(positions: &heapPositions)
                    assign(task, to: worker)
                case .busy:
                    break drain
                case .none:
                    _ = queues[queue].popFirstTask(positions: &heapPositions)
                    setState(task, .noWorker)
                    noWorkerTasks.insert(task)
                }
            }
        }
    }

    /// Saturated for root tasks: Dask's slots are taken and enough expected work waits per thread
    /// to cover a round trip, or the hard cap of slots is reached.
    func isSaturated(_ worker: WorkerRecord) -> Bool {
        guard worker.isSaturated else { return false }
        let enoughWork = worker.occupancy / Double(max(1, worker.nthreads)) >= configuration.minimumQueuedWork
        let capped = worker.slots == Int.max || worker.running >= worker.slots.multipliedReportingOverflow(by: configuration.maximumSlotMultiple).partialValue
        return enoughWork || capped
    }

    /// The running, unsaturated worker where a root task would start soonest (an idle one for
    /// a suspicious task).
    func leastBusyUnsaturatedWorker(for task: TaskSlot) -> WorkerSlot? {
        var best: WorkerSlot = -1
        var bestScore = Double.infinity, bestProcessing = Int.max
        for worker in activeWorkers {
            let index = Int(worker)
            guard workers[index].acceptsWork, !isSaturated(workers[index]), isolationAllows(task, on: worker) else { continue }
            let score = workers[index].occupancy / Double(workers[index].nthreads)
            let processing = workers[index].running
            if isBetter(score, processing, workers[index].id, than: bestScore, bestProcessing, best) {
                best = worker
                bestScore = score
                bestProcessing = processing
            }
        }
        return best >= 0 ? best : nil
    }

    /// Errs the tasks that have had no worker to run them for `unrunnableTimeout`, saying what
    /// they ask for. A task that goes back to waiting meanwhile (a worker joined) and finds no
    /// worker again keeps its first time, so workers coming and going do not keep it waiting.
    mutating func failUnrunnable(now: Double) {
        guard let timeout = configuration.unrunnableTimeout else { return }
        for task in noWorkerTasks where unrunnableSince[task] == nil { unrunnableSince[task] = now }
        var expired: [TaskSlot] = []
        for (task, since) in unrunnableSince where tasks[Int(task)].state == .noWorker && now - since >= timeout {
            expired.append(task)
        }
        for task in expired.sorted() {
            unrunnableSince[task] = nil
            let index = Int(task), constraint = tasks[index].constraint
            var asks: [String] = []
            if constraint >= 0 {
                let wanted = constraints[Int(constraint)]
                if !wanted.allowedWorkers.isEmpty { asks.append("workers \(wanted.allowedWorkers.sorted().joined(separator: ", "))") }
                if !wanted.resources.isEmpty {
                    asks.append("resources " + wanted.resources.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
                }
            }
            let why = activeWorkers.isEmpty ? "there were no workers" : "no worker has \(asks.joined(separator: " and "))"
            markErred(task, TaskFailure(
                key: tasks[index].key, function: functionName(task), failedKey: tasks[index].key,
                cause: "no worker could run it for \(timeout) s (scheduler.unrunnable-timeout): \(why)"))
        }
    }

    /// A worker joined or resumed: tasks that had no worker try again, by priority.
    mutating func retryNoWorkerTasks() {
        queuesMayDrain = true
        guard !noWorkerTasks.isEmpty else { return }
        let retry = noWorkerTasks.sorted { lhs, rhs in
            let left = tasks[Int(lhs)].priority, right = tasks[Int(rhs)].priority
            return left != right ? left < right : lhs < rhs
        }
        noWorkerTasks.removeAll()
        for task in retry {
            setState(task, .waiting)
            tasks[Int(task)].waitingOn = 0
            readyTasks.append(task)
        }
    }
}
