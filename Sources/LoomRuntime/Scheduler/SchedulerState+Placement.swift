import LoomCore

// Deciding where a ready task runs (Dask's `decide_worker`): among the running workers its
// restrictions allow and whose free resources fit, the one where it would start soonest,
// `occupancy / nthreads + bytes of dependencies it lacks / bandwidth`; ties go to the worker
// with fewer processing tasks, then the lower id.

enum Placement {
    case worker(WorkerSlot)
    /// Allowed workers exist but none has the task's resources free right now.
    case busy
    /// No running worker may run it.
    case none
}

extension SchedulerState {
    /// Places the ready tasks gathered while handling an event, highest priority first.
    mutating func placeReadyTasks() {
        guard !readyTasks.isEmpty else { return }
        var batch = readyTasks
        readyTasks = []
        if batch.count > 1 {
            batch.sort { lhs, rhs in
                let left = tasks[Int(lhs)].priority, right = tasks[Int(rhs)].priority
                return left != right ? left < right : lhs < rhs
            }
        }
        for task in batch where tasks[Int(task)].state == .waiting && tasks[Int(task)].waitingOn == 0 {
            schedule(task)
        }
        batch.removeAll(keepingCapacity: true)
        if readyTasks.isEmpty { readyTasks = batch }
    }

    /// A waiting task whose dependencies are all in memory goes to a worker, or to a queue, or
    /// waits for a worker that may run it.
    mutating func schedule(_ task: TaskSlot) {
        let index = Int(task)
        let constraint = tasks[index].constraint
        if constraint < 0, tasks[index].dependencies.isEmpty, configuration.workerSaturation.isFinite,
           !activeWorkers.isEmpty, tasks[index].suspicious == 0 {
            enqueue(task, queue: 0)
            return
        }
        switch decideWorker(task) {
        case .worker(let worker): assign(task, to: worker)
        case .busy: enqueue(task, queue: Int(constraint) + 1)
        case .none:
            setState(task, .noWorker)
            noWorkerTasks.insert(task)
        }
    }

    /// A suspicious task runs on a worker with nothing else to do, and nothing joins it there:
    /// if that worker dies too, the task alone is to blame and no bystander is.
    func isolationAllows(_ task: TaskSlot, on worker: WorkerSlot) -> Bool {
        let record = workers[Int(worker)]
        return record.suspects == 0 && (tasks[Int(task)].suspicious == 0 || record.processing.isEmpty)
    }

    func allows(_ constraint: Int32, _ worker: WorkerSlot, strictly: Bool = true) -> Bool {
        constraint < 0 || constraints[Int(constraint)].allows(workers[Int(worker)].spec, strictly: strictly)
    }

    func fitsNow(_ constraint: Int32, _ worker: WorkerSlot) -> Bool {
        constraint < 0 || constraints[Int(constraint)].fits(workers[Int(worker)].available)
    }

    /// The best running worker for a task (see the top of this file). A task whose workers are
    /// only preferred (loose) goes to any other while none of them is running.
    mutating func decideWorker(_ task: TaskSlot) -> Placement {
        let constraint = tasks[Int(task)].constraint
        let totalBytes = tallyHeldBytes(task)
        let placement = decideWorker(task, totalBytes: totalBytes, strictly: true)
        if case .none = placement, constraint >= 0, constraints[Int(constraint)].loose {
            return decideWorker(task, totalBytes: totalBytes, strictly: false)
        }
        return placement
    }

    private func decideWorker(_ task: TaskSlot, totalBytes: Int, strictly: Bool) -> Placement {
        let constraint = tasks[Int(task)].constraint
        let bandwidth = configuration.bandwidth
        var best: WorkerSlot = -1
        var bestScore = Double.infinity, bestProcessing = Int.max
        var anyAllowed = false
        for worker in activeWorkers {
            let slot = Int(worker)
            guard workers[slot].acceptsWork, allows(constraint, worker, strictly: strictly) else { continue }
            anyAllowed = true
            guard fitsNow(constraint, worker), isolationAllows(task, on: worker) else { continue }
            let missingBytes = totalBytes - (totalBytes > 0 ? heldBytes[slot] : 0)
            let score = workers[slot].occupancy / Double(workers[slot].nthreads) + Double(missingBytes) / bandwidth
            let processing = workers[slot].running
            if isBetter(score, processing, workers[slot].id, than: bestScore, bestProcessing, best) {
                best = worker
                bestScore = score
                bestProcessing = processing
            }
        }
        if best >= 0 { return .worker(best) }
        return anyAllowed ? .busy : .none
    }

    func isBetter(_ score: Double, _ processing: Int, _ id: WorkerID,
                  than bestScore: Double, _ bestProcessing: Int, _ best: WorkerSlot) -> Bool {
        if best < 0 { return true }
        if score != bestScore { return score < bestScore }
        if processing != bestProcessing { return processing < bestProcessing }
        return id < workers[Int(best)].id
    }

    /// Fills `heldBytes[worker]` with the bytes of the task's dependencies each worker holds;
    /// returns the dependencies' total bytes.
    mutating func tallyHeldBytes(_ task: TaskSlot) -> Int {
        let dependencies = tasks[Int(task)].dependencies
        guard !dependencies.isEmpty else { return 0 }
        if heldBytes.count < workers.count { heldBytes += [Int](repeating: 0, count: workers.count - heldBytes.count) }
        for worker in activeWorkers { heldBytes[Int(worker)] = 0 }
        var total = 0
        for dependency in dependencies {
            let nbytes = tasks[Int(dependency)].nbytes
            total += nbytes
            for holder in tasks[Int(dependency)].holders { heldBytes[Int(holder)] += nbytes }
        }
        return total
    }

    /// Bytes of the task's dependencies `worker` lacks.
    func missingBytes(_ task: TaskSlot, on worker: WorkerSlot) -> Int {
        var missing = 0
        for dependency in tasks[Int(task)].dependencies where !tasks[Int(dependency)].holders.contains(worker) {
            missing += tasks[Int(dependency)].nbytes
        }
        return missing
    }

    /// Sends a ready task to a worker.
    mutating func assign(_ task: TaskSlot, to worker: WorkerSlot) {
        let index = Int(task), workerIndex = Int(worker)
        let cost = expectedDuration(tasks[index].function)
        lastRunID += 1
        tasks[index].processingOn = worker
        tasks[index].cost = cost
        tasks[index].runID = lastRunID
        workers[workerIndex].processing.insert(task)
        workers[workerIndex].occupancy += cost
        if tasks[index].suspicious > 0 { workers[workerIndex].suspects += 1 }
        let constraint = tasks[index].constraint
        var resources: [String: Double] = [:]
        if constraint >= 0 {
            resources = constraints[Int(constraint)].resources
            for (name, amount) in resources { workers[workerIndex].available[name, default: 0] -= amount }
        }
        setState(task, .processing)

        let dependencies = tasks[index].dependencies.map { dependency in
            DependencyLocation(
                key: tasks[Int(dependency)].key, nbytes: tasks[Int(dependency)].nbytes,
                holders: holderIDs(dependency))
        }
        guard let recipe = tasks[index].recipe else { preconditionFailure("a task without a recipe was scheduled") }
        emit(.compute(worker: workers[workerIndex].id, TaskAssignment(
            key: tasks[index].key, function: functionName(task), task: recipe, runID: lastRunID,
            priority: tasks[index].priority, dependencies: dependencies, resources: resources,
            expectedDuration: cost)), to: worker)
    }

    /// Takes a processing task off its worker: occupancy, resources, any steal in flight. The
    /// task keeps its state; the caller moves it on.
    mutating func removeFromProcessing(_ task: TaskSlot) {
        let index = Int(task)
        let worker = tasks[index].processingOn
        guard worker >= 0 else { return }
        let workerIndex = Int(worker)
        workers[workerIndex].processing.remove(task)
        workers[workerIndex].longRunning.remove(task)
        workers[workerIndex].occupancy -= tasks[index].cost
        if tasks[index].suspicious > 0 { workers[workerIndex].suspects -= 1 }
        if workers[workerIndex].processing.isEmpty || workers[workerIndex].occupancy < 0 {
            workers[workerIndex].occupancy = 0
        }
        let constraint = tasks[index].constraint
        if constraint >= 0 {
            for (name, amount) in constraints[Int(constraint)].resources {
                workers[workerIndex].available[name, default: 0] += amount
            }
        }
        tasks[index].processingOn = -1
        tasks[index].cost = 0
        if let steal = steals.removeValue(forKey: task) { endSteal(steal) }
        queuesMayDrain = true
    }
}
