import LoomCore

// Retiring workers gracefully (Dask's `retire_workers`): a retiring worker takes no new work,
// and each value only retiring workers hold is copied to a staying worker before they go, so
// scaling down loses nothing and recomputes nothing.

extension SchedulerState {
    mutating func retireWorkers(_ ids: [WorkerID]) {
        let leaving = ids.compactMap { workerSlots[$0] }
        for worker in leaving { workers[Int(worker)].retiring = true }
        var staying = activeWorkers.filter { !workers[Int($0)].retiring }
        guard !staying.isEmpty else { return }
        // Each copy goes to the staying worker holding the fewest bytes so far.
        var planned = Dictionary(uniqueKeysWithValues: staying.map { ($0, workers[Int($0)].nbytes) })
        var requests: [WorkerSlot: [Key: [WorkerID]]] = [:]
        for worker in leaving {
            for task in workers[Int(worker)].holding.sorted() where isOnlyOnRetiringWorkers(task) {
                staying.sort { (planned[$0]!, $0) < (planned[$1]!, $1) }
                let recipient = staying[0]
                planned[recipient]! += tasks[Int(task)].nbytes
                requests[recipient, default: [:]][tasks[Int(task)].key] = holderIDs(task)
            }
        }
        for (recipient, keys) in requests.sorted(by: { $0.key < $1.key }) {
            emit(.replicate(worker: workers[Int(recipient)].id, keys: keys), to: recipient)
        }
    }

    mutating func keepWorkers(_ ids: [WorkerID]) {
        for id in ids {
            guard let slot = workerSlots[id], workers[Int(slot)].retiring else { continue }
            workers[Int(slot)].retiring = false
        }
        retryNoWorkerTasks()
    }

    private func isOnlyOnRetiringWorkers(_ task: TaskSlot) -> Bool {
        tasks[Int(task)].state == .memory && tasks[Int(task)].holders.allSatisfy { workers[Int($0)].retiring }
    }

    /// How many values the worker holds that no staying worker has a copy of.
    public func onlyCopies(heldBy id: WorkerID) -> Int {
        guard let slot = workerSlots[id] else { return 0 }
        return workers[Int(slot)].holding.count { isOnlyOnRetiringWorkers($0) || tasks[Int($0)].holders.count == 1 }
    }
}
