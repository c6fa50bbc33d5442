import LoomCore

// What adaptive scaling asks of the scheduler (Dask's `adaptive_target` and
// `workers_to_close`): how many workers the work in hand calls for, and which workers could go.

extension SchedulerState {
    /// The number of workers that would finish the known work in about `targetDuration`
    /// seconds: expected seconds of processing and queued tasks over the target duration, no
    /// more than there are tasks to run, doubled workers when held data passes 60 % of the
    /// memory limits, and fewer only when idle workers (whole `group`s) can go.
    public func adaptiveTarget(targetDuration: Double, group: (WorkerID) -> String? = { _ in nil }) -> Int {
        let workerCount = activeWorkers.count
        // Queued and unplaceable tasks: a sample of at most 100 stands for all of them.
        var waiting: [TaskSlot] = []
        for queue in queues where waiting.count < 100 { waiting += queue.unordered.prefix(100 - waiting.count).map(\.task) }
        for task in noWorkerTasks where waiting.count < 100 { waiting.append(task) }
        let waitingCount = queues.reduce(0) { $0 + $1.count } + noWorkerTasks.count
        var waitingSeconds = waiting.reduce(0) { $0 + expectedDuration(tasks[Int($1)].function) }
        if !waiting.isEmpty { waitingSeconds *= Double(waitingCount) / Double(waiting.count) }

        var occupancy = 0.0, processing = 0
        for worker in activeWorkers {
            occupancy += workers[Int(worker)].occupancy
            processing += workers[Int(worker)].processing.count
        }
        var cpu = Int(((occupancy + waitingSeconds) / max(targetDuration, 0.001)).rounded(.up))
        // A few long tasks do not call for many workers.
        cpu = min(cpu, waitingCount + processing)
        if waitingCount > 0, workerCount == 0 { cpu = max(cpu, 1) }

        let limit = activeWorkers.reduce(0) { $0 + workers[Int($1)].spec.memoryLimit }
        let held = activeWorkers.reduce(0) { $0 + workers[Int($1)].nbytes }
        let memory = limit > 0 && Double(held) > 0.6 * Double(limit) ? 2 * workerCount : 0

        let target = max(cpu, memory)
        if target >= workerCount { return target }
        return workerCount - workersToClose(group: group).count
    }

    /// Workers that could go, best candidates first: idle before busy, then those holding the
    /// fewest bytes. With `target`, as many as to leave `target` workers; without, idle workers
    /// as long as the rest keep at least twice the held bytes in memory limits.
    ///
    /// Workers `group` puts together (the workers of one batch job) go together or not at all:
    /// a group is ranked by its busiest member and its held bytes, and chosen only whole.
    public func workersToClose(target: Int? = nil, group: (WorkerID) -> String? = { _ in nil }) -> [WorkerID] {
        let active = activeWorkers
        var members: [String: [WorkerSlot]] = [:]
        var order: [String] = []
        for worker in active {
            let name = group(workers[Int(worker)].id) ?? "\u{0}\(workers[Int(worker)].id.rawValue)"
            if members[name] == nil { order.append(name) }
            members[name, default: []].append(worker)
        }
        // A group with a member already retiring is on its way out.
        var candidates = order.compactMap { members[$0] }.filter { $0.allSatisfy { !workers[Int($0)].retiring } }
        func busy(_ group: [WorkerSlot]) -> Bool { group.contains { !workers[Int($0)].processing.isEmpty } }
        func held(_ group: [WorkerSlot]) -> Int { group.reduce(0) { $0 + workers[Int($1)].nbytes } }
        candidates.sort { lhs, rhs in
            if busy(lhs) != busy(rhs) { return !busy(lhs) }
            return (held(lhs), lhs.min()!) < (held(rhs), rhs.min()!)
        }
        var chosen: [WorkerID] = []
        if let target {
            var remaining = candidates.reduce(0) { $0 + $1.count }
            for group in candidates where remaining - group.count >= target {
                remaining -= group.count
                chosen += group.map { workers[Int($0)].id }
            }
            return chosen
        }
        let heldBytes = candidates.reduce(0) { $0 + held($1) }
        var limit = candidates.joined().reduce(0) { $0 + workers[Int($1)].spec.memoryLimit }
        for group in candidates {
            guard !busy(group) else { break }
            let groupLimit = group.reduce(0) { $0 + workers[Int($1)].spec.memoryLimit }
            limit -= groupLimit
            // Without memory limits only idleness counts.
            guard groupLimit == 0 || limit >= 2 * heldBytes else { break }
            chosen += group.map { workers[Int($0)].id }
        }
        return chosen
    }
}
