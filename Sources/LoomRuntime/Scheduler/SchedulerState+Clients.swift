import LoomCore

// Clients' interest in keys. Each client counts how many times it wants a key (every want in a
// graph update or scatter adds one, every release drops one); a key no client wants and no
// dependent waits for is released, and forgotten once nothing refers to it.

extension SchedulerState {
    mutating func clientJoined(_ client: ClientID) { ensureClient(client) }

    mutating func ensureClient(_ client: ClientID) {
        guard clients[client] == nil else { return }
        clients[client] = ClientRecord()
        clientOrder.append(client)
    }

    mutating func clientLeft(_ client: ClientID) {
        guard let record = clients.removeValue(forKey: client) else { return }
        clientOrder.removeAll { $0 == client }
        for (task, count) in record.wants {
            tasks[Int(task)].wantCount -= count
            releaseCandidates.append(task)
        }
    }

    mutating func clientResumed(_ client: ClientID) {
        guard let wants = clients[client]?.wants else { return }
        for task in wants.keys.sorted() {
            switch tasks[Int(task)].state {
            case .memory: notifyInMemory(task, only: client)
            case .erred: notifyErred(task, only: client)
            default: break
            }
        }
    }

    mutating func clientStillWaiting(_ client: ClientID, keys: [Key]) {
        let gone = keys.filter { key in taskSlots[key].map { clients[client]?.wants[$0] == nil } ?? true }
        if !gone.isEmpty { effects.append(.cancelled(client: client, keys: gone)) }
    }

    mutating func addWant(_ client: ClientID, _ task: TaskSlot) {
        clients[client, default: ClientRecord()].wants[task, default: 0] += 1
        tasks[Int(task)].wantCount += 1
    }

    /// Drops `count` of the client's wants of the task (all of them when `nil`); returns
    /// whether the client wanted it.
    @discardableResult
    mutating func dropWant(_ client: ClientID, _ task: TaskSlot, count: Int32? = nil) -> Bool {
        guard let wanted = clients[client]?.wants[task] else { return false }
        let dropped = min(count ?? wanted, wanted)
        if dropped == wanted {
            clients[client]?.wants[task] = nil
        } else {
            clients[client]?.wants[task] = wanted - dropped
        }
        tasks[Int(task)].wantCount -= dropped
        if tasks[Int(task)].wantCount == 0 { releaseCandidates.append(task) }
        return true
    }

    /// The scheduler wants each key that is still to be computed until it is done
    /// (`notifyInMemory`/`notifyErred` drop that want), whoever else stops wanting it.
    mutating func fireAndForget(_ keys: [Key]) {
        ensureClient(.fireAndForget)
        for key in keys {
            guard let task = taskSlots[key], tasks[Int(task)].state != .memory, tasks[Int(task)].state != .erred,
                  clients[.fireAndForget]?.wants[task] == nil else { continue }
            addWant(.fireAndForget, task)
        }
    }

    /// Like Dask's `retry`: the client's erred keys, and the erred tasks they depend on, are
    /// released and computed again (their failures forgotten); other keys are left alone.
    mutating func retry(client: ClientID, keys: [Key]) {
        guard let wants = clients[client]?.wants else { return }
        let roots = keys.compactMap { taskSlots[$0] }.filter { wants[$0] != nil && tasks[Int($0)].state == .erred }
        var erred: [TaskSlot] = []
        var visited: Set<TaskSlot> = []
        var stack = roots
        while let task = stack.popLast() {
            guard visited.insert(task).inserted, tasks[Int(task)].state == .erred else { continue }
            erred.append(task)
            stack.append(contentsOf: tasks[Int(task)].dependencies)
        }
        for task in erred {
            failures[task] = nil
            setState(task, .released)
        }
        for task in roots { require(task) }
    }

    mutating func releaseKeys(client: ClientID, keys: [Key]) {
        for key in keys {
            if let task = taskSlots[key] { dropWant(client, task, count: 1) }
        }
    }

    /// Like Dask's `cancel`: the client stops wanting the keys and every dependent of them it
    /// wants, and hears which were cancelled. Other clients' wants keep tasks alive.
    mutating func cancelKeys(client: ClientID, keys: [Key]) {
        guard clients[client] != nil else { return }
        var visited: Set<TaskSlot> = []
        var stack = keys.compactMap { taskSlots[$0] }.reversed() as [TaskSlot]
        var cancelled: [Key] = []
        while let task = stack.popLast() {
            guard visited.insert(task).inserted else { continue }
            if dropWant(client, task) { cancelled.append(tasks[Int(task)].key) }
            stack.append(contentsOf: tasks[Int(task)].dependents)
        }
        if !cancelled.isEmpty { effects.append(.cancelled(client: client, keys: cancelled)) }
    }
}
