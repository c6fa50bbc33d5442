import LoomCore

// Graph updates from clients: new tasks join the graph, keys already known are reused (as when
// two clients submit the same key), wanted keys start computing. Tasks that refer to unknown
// keys, or sit on a dependency cycle, are refused and reported; the rest of the update stands.

extension SchedulerState {
    mutating func updateGraph(client: ClientID, submissions: [WireTask], wants: [Key]) {
        ensureClient(client)
        generation += 1

        // 1. A record for every new key. `waitingOn` holds the task's position in the update
        //    until step 3 (released tasks do not use it).
        var created: [TaskSlot] = []
        created.reserveCapacity(submissions.count)
        var slotAt = [TaskSlot](repeating: -1, count: submissions.count)
        taskSlots.reserveCapacity(taskSlots.count + submissions.count)
        // Reserved geometrically: reserving just what one small update adds would copy the
        // whole table on every update (tasks launching tasks send one or two at a time).
        let growth = max(submissions.count - freeTaskSlots.count, 0)
        if tasks.count + growth > tasks.capacity { tasks.reserveCapacity(max(tasks.count + growth, 2 * tasks.capacity)) }
        if heapPositions.count + growth > heapPositions.capacity {
            heapPositions.reserveCapacity(max(heapPositions.count + growth, 2 * heapPositions.capacity))
        }
        var function: (name: String, slot: Int32) = ("", -1)
        for (position, submission) in submissions.enumerated() {
            if function.slot < 0 || function.name != submission.function {
                function = (submission.function, internFunction(submission.function))
            }
            guard let slot = createTask(
                key: submission.key, function: function.slot, recipe: submission,
                priority: TaskPriority(user: Int(clamping: submission.priority), generation: generation, order: Int(clamping: submission.order)),
                retries: Int(clamping: submission.retries),
                constraint: internConstraint(submission.workers, submission.resources, loose: submission.allowOtherWorkers))
            else { continue }  // known already: reused
            tasks[Int(slot)].waitingOn = Int32(truncatingIfNeeded: position)
            slotAt[position] = slot
            created.append(slot)
        }

        // 2. Dependencies. A cycle needs a dependency on a new task at the same or a later
        //    position; graphs in topological order (the usual case) skip the cycle search.
        var missingKeys: [Key] = []
        var rejectedRoots: [TaskSlot] = []
        var mayHaveCycle = false
        var dependencies: [TaskSlot] = []
        for (position, submission) in submissions.enumerated() {
            let slot = slotAt[position]
            guard slot >= 0 else { continue }
            dependencies.removeAll(keepingCapacity: true)
            let keys = submission.dependencies
            var seen: Set<TaskSlot>? = keys.count > 16 ? [] : nil
            for key in keys {
                guard let dependency = taskSlots[key] else {
                    missingKeys.append(key)
                    rejectedRoots.append(slot)
                    continue
                }
                if seen != nil {
                    guard seen!.insert(dependency).inserted else { continue }
                } else if dependencies.contains(dependency) {
                    continue
                }
                dependencies.append(dependency)
                if isNew(dependency), Int(tasks[Int(dependency)].waitingOn) >= position { mayHaveCycle = true }
            }
            for dependency in dependencies { tasks[Int(dependency)].dependents.insert(slot) }
            tasks[Int(slot)].dependencies = DependencyList(dependencies)
        }
        var cycle: [TaskSlot] = []
        if mayHaveCycle { cycle = tasksOnCycles(created) }
        for slot in created { tasks[Int(slot)].waitingOn = 0 }

        // 3. Refuse what cannot run.
        var rejectedKeys: Set<Key> = []
        let cycleKeys = cycle.map { tasks[Int($0)].key }.sorted()
        if !rejectedRoots.isEmpty || !cycle.isEmpty {
            rejectedKeys = reject(rejectedRoots + cycle)
            created.removeAll { tasks[Int($0)].state == .forgotten }
        }

        // 4. Wants: start what is needed, tell the client about what is already done.
        for key in wants {
            guard let slot = taskSlots[key] else {
                if !rejectedKeys.contains(key) { missingKeys.append(key) }
                continue
            }
            addWant(client, slot)
            switch tasks[Int(slot)].state {
            case .released: require(slot)
            case .memory: notifyInMemory(slot, only: client)
            case .erred: notifyErred(slot, only: client)
            default: break
            }
        }

        // 5. New tasks nothing needs are dropped (culled) when the event settles.
        forgetCandidates.append(contentsOf: created)

        if !missingKeys.isEmpty || !rejectedKeys.isEmpty {
            var seen: Set<Key> = []
            effects.append(.graphRejected(client: client, GraphRejection(
                missingKeys: missingKeys.filter { seen.insert($0).inserted },
                rejectedKeys: rejectedKeys.sorted(),
                cycleKeys: cycleKeys)))
        }
    }

    /// Whether the task was created by the update being handled.
    func isNew(_ task: TaskSlot) -> Bool { tasks[Int(task)].priority.generation == generation }

    /// Kahn's algorithm over the new tasks: those never freed of their new dependencies lie on
    /// a cycle or downstream of one. (Old tasks cannot depend on new ones.)
    mutating func tasksOnCycles(_ created: [TaskSlot]) -> [TaskSlot] {
        var order: [TaskSlot] = []
        order.reserveCapacity(created.count)
        for slot in created {
            let pending = tasks[Int(slot)].dependencies.reduce(Int32(0)) { $0 + (isNew($1) ? 1 : 0) }
            tasks[Int(slot)].waitingOn = pending
            if pending == 0 { order.append(slot) }
        }
        var head = 0
        while head < order.count {
            let slot = order[head]
            head += 1
            for dependent in tasks[Int(slot)].dependents {
                tasks[Int(dependent)].waitingOn -= 1
                if tasks[Int(dependent)].waitingOn == 0 { order.append(dependent) }
            }
        }
        guard order.count < created.count else { return [] }
        return created.filter { tasks[Int($0)].waitingOn > 0 }
    }

    /// Drops new tasks and everything of the update downstream of them; returns their keys.
    mutating func reject(_ roots: [TaskSlot]) -> Set<Key> {
        var doomed: Set<TaskSlot> = []
        var stack = roots
        while let slot = stack.popLast() {
            guard doomed.insert(slot).inserted else { continue }
            stack.append(contentsOf: tasks[Int(slot)].dependents)
        }
        var keys: Set<Key> = []
        for slot in doomed {
            let index = Int(slot)
            for dependency in tasks[index].dependencies where !doomed.contains(dependency) {
                tasks[Int(dependency)].dependents.remove(slot)
                forgetCandidates.append(dependency)
            }
            keys.insert(tasks[index].key)
            taskSlots[tasks[index].key] = nil
            stateCounts[Int(TaskState.released.rawValue)] -= 1
            tasks[index] = .free()
            freeTaskSlots.append(slot)
        }
        return keys
    }

    /// Values a client placed on workers itself; `holders` are the workers' addresses, and
    /// those of workers no longer here are left out.
    mutating func scatter(client: ClientID, values: [ScatteredValue]) {
        ensureClient(client)
        generation += 1
        let function = internFunction("scatter")
        for (position, item) in values.enumerated() {
            let holders = item.holders.compactMap { workerSlotsByAddress[$0] }
            let slot = taskSlots[item.key] ?? createTask(
                key: item.key, function: function, recipe: nil,
                priority: TaskPriority(user: 0, generation: generation, order: position), retries: 0, constraint: -1)!
            addWant(client, slot)
            let index = Int(slot)
            guard !holders.isEmpty else {
                // Every holder is gone already: recompute it, or err if it has no recipe.
                if tasks[index].state == .released { require(slot) }
                continue
            }
            switch tasks[index].state {
            case .memory:
                for holder in holders { addHolder(slot, holder) }
                notifyInMemory(slot, only: client)
                continue
            case .processing:
                let worker = tasks[index].processingOn
                removeFromProcessing(slot)
                emitFree(worker, item.key)
            case .queued, .noWorker:
                leaveQueue(slot)
            case .erred:
                failures[slot] = nil
            case .waiting, .released, .forgotten:
                break
            }
            becameMemory(slot, holders: holders, nbytes: Int(clamping: item.nbytes))
        }
    }

    // MARK: Records

    /// A released record for a new key, or `nil` if the key is known (one hash lookup either way
    /// in the common case).
    mutating func createTask(
        key: Key, function: Int32, recipe: WireTask?, priority: TaskPriority, retries: Int, constraint: Int32
    ) -> TaskSlot? {
        let slot = freeTaskSlots.last ?? TaskSlot(tasks.count)
        if let existing = taskSlots.updateValue(slot, forKey: key) {
            taskSlots[key] = existing
            return nil
        }
        if freeTaskSlots.isEmpty {
            tasks.append(.free())
            heapPositions.append(-1)
        } else {
            freeTaskSlots.removeLast()
        }
        tasks[Int(slot)] = TaskRecord(
            key: key, recipe: recipe, function: function, priority: priority, state: .released,
            retries: Int32(clamping: max(retries, 0)), constraint: constraint)
        stateCounts[Int(TaskState.released.rawValue)] += 1
        return slot
    }

    mutating func internConstraint(_ allowedWorkers: [String], _ resources: [String: Double], loose: Bool = false) -> Int32 {
        guard !allowedWorkers.isEmpty || !resources.isEmpty else { return -1 }
        let constraint = TaskConstraints(
            allowedWorkers: Set(allowedWorkers), loose: loose && !allowedWorkers.isEmpty, resources: resources.filter { $0.value > 0 })
        if let slot = constraintSlots[constraint] { return slot }
        let slot = Int32(constraints.count)
        constraints.append(constraint)
        constraintSlots[constraint] = slot
        queues.append(TaskQueue())
        return slot
    }
}
