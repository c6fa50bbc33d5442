import LoomCore

// A full consistency check of the state (O(everything)): for tests and debugging only.

extension SchedulerState {
    /// Every broken invariant, described; empty when the state is sound. Call it between events.
    func invariantViolations() -> [String] {
        var problems: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition, problems.count < 50 { problems.append(message()) }
        }
        var counts = [Int](repeating: 0, count: TaskState.allCases.count)
        var processingSeen = [Int](repeating: 0, count: workers.count)
        var wantTotals: [TaskSlot: Int32] = [:]
        for client in clientOrder {
            for (task, count) in clients[client]?.wants ?? [:] { wantTotals[task, default: 0] += count }
        }
        check(clientOrder.count == clients.count, "client order out of sync")

        for (key, slot) in taskSlots {
            let task = tasks[Int(slot)]
            let name = "task '\(key)' (\(task.state))"
            check(task.key == key, "\(name): slot holds '\(task.key)'")
            check(task.state != .forgotten, "\(name): indexed but forgotten")
            counts[Int(task.state.rawValue)] += 1
            check(task.wantCount == wantTotals[slot, default: 0], "\(name): wantCount \(task.wantCount) != clients' \(wantTotals[slot, default: 0])")
            let waiters = task.dependents.filter { tasks[Int($0)].state.needsDependencies }.count
            check(Int(task.waiters) == waiters, "\(name): waiters \(task.waiters) != \(waiters)")
            for dependency in task.dependencies {
                check(tasks[Int(dependency)].state != .forgotten, "\(name): dependency forgotten")
                check(tasks[Int(dependency)].dependents.contains(slot), "\(name): not a dependent of its dependency '\(tasks[Int(dependency)].key)'")
            }
            for dependent in task.dependents {
                check(tasks[Int(dependent)].dependencies.contains(slot), "\(name): lists a dependent that does not depend on it")
            }
            let notInMemory = task.dependencies.filter { tasks[Int($0)].state != .memory }
            switch task.state {
            case .released:
                check(task.wantCount == 0, "\(name): wanted but released (stuck)")
                check(!task.dependents.isEmpty, "\(name): released with no dependents (should be forgotten)")
            case .waiting:
                check(Int(task.waitingOn) == notInMemory.count, "\(name): waitingOn \(task.waitingOn) != \(notInMemory.count)")
                check(task.waitingOn > 0, "\(name): waiting with every dependency in memory (stuck)")
                for dependency in notInMemory {
                    let state = tasks[Int(dependency)].state
                    check(state.needsDependencies || state == .waiting, "\(name): waits on '\(tasks[Int(dependency)].key)' which is \(state) (stuck)")
                }
            case .noWorker, .queued, .processing:
                check(notInMemory.isEmpty, "\(name): a dependency is not in memory")
                check(task.isNeeded, "\(name): not needed")
            case .memory:
                check(!task.holders.isEmpty, "\(name): no holders")
                check(task.isNeeded, "\(name): not needed but kept in memory")
            case .erred:
                check(failures[slot] != nil, "\(name): no failure recorded")
                check(task.wantCount > 0 || !task.dependents.isEmpty, "\(name): unreferenced")
            case .forgotten:
                break
            }
            check((task.state == .processing) == (task.processingOn >= 0), "\(name): processingOn \(task.processingOn)")
            if task.processingOn >= 0 {
                let worker = workers[Int(task.processingOn)]
                check(worker.live && worker.processing.contains(slot), "\(name): not in its worker's processing")
                processingSeen[Int(task.processingOn)] += 1
            }
            for holder in task.holders {
                check(workers[Int(holder)].live && workers[Int(holder)].holding.contains(slot), "\(name): holder does not list it")
            }
            if task.state != .memory { check(task.holders.isEmpty, "\(name): has holders") }
            check((task.state == .noWorker) == noWorkerTasks.contains(slot), "\(name): no-worker set out of sync")
            check((task.state == .queued) == (heapPositions[Int(slot)] >= 0), "\(name): queue position \(heapPositions[Int(slot)])")
            check((task.state == .erred) == (failures[slot] != nil), "\(name): failure record out of sync")
        }
        for state in TaskState.allCases where state != .forgotten {
            check(counts[Int(state.rawValue)] == stateCounts[Int(state.rawValue)], "count of \(state): \(stateCounts[Int(state.rawValue)]) != \(counts[Int(state.rawValue)])")
        }
        for (queue, heap) in queues.enumerated() {
            for entry in heap.unordered {
                check(tasks[Int(entry.task)].state == .queued, "queue \(queue) holds '\(tasks[Int(entry.task)].key)' in \(tasks[Int(entry.task)].state)")
            }
        }
        for (slot, worker) in workers.enumerated() where worker.live {
            check(workerSlots[worker.id] == WorkerSlot(slot), "\(worker.id): slot map out of sync")
            check(worker.processing.count == processingSeen[slot], "\(worker.id): processing set has stale tasks")
            check(worker.longRunning.isSubset(of: worker.processing), "\(worker.id): a seceded task is not processing there")
            let occupancy = worker.processing.reduce(0.0) { $0 + tasks[Int($1)].cost }
            check(abs(occupancy - worker.occupancy) < 1e-6, "\(worker.id): occupancy \(worker.occupancy) != \(occupancy)")
            var used: [String: Double] = [:]
            for task in worker.processing where tasks[Int(task)].constraint >= 0 {
                for (name, amount) in constraints[Int(tasks[Int(task)].constraint)].resources { used[name, default: 0] += amount }
            }
            for (name, total) in worker.spec.resources {
                check(abs(total - used[name, default: 0] - worker.available[name, default: 0]) < 1e-9, "\(worker.id): resource \(name) accounting")
            }
            let nbytes = worker.holding.reduce(0) { $0 + tasks[Int($1)].nbytes }
            check(nbytes == worker.nbytes, "\(worker.id): nbytes \(worker.nbytes) != \(nbytes)")
            let stealsOut = steals.values.filter { $0.victim == WorkerSlot(slot) }.count
            let stealsIn = steals.values.filter { $0.thief == WorkerSlot(slot) }.count
            check(worker.stealsOut == stealsOut && worker.stealsIn == stealsIn, "\(worker.id): steal counts")
        }
        check(activeWorkers.count == workerSlots.count, "active workers out of sync")
        for (task, steal) in steals {
            check(tasks[Int(task)].processingOn == steal.victim, "steal of '\(tasks[Int(task)].key)' from a worker not running it")
        }
        check(readyTasks.isEmpty && releaseCandidates.isEmpty && forgetCandidates.isEmpty, "work lists not settled")
        return problems
    }
}
