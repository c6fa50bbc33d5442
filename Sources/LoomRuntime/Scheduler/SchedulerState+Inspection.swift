import LoomCore

// Read-only views for the server (gather, `schedulerInfo()`), the dashboard and tests.

/// A worker as the scheduler sees it.
public struct WorkerInfo: Sendable, Hashable {
    public var spec: WorkerSpec
    public var paused: Bool
    /// Tasks sent to it that have not reported back.
    public var processing: Int
    /// Expected seconds of work in `processing`.
    public var occupancy: Double
    /// Keys it holds, and their bytes.
    public var keys: Int
    public var nbytes: Int
    /// Resources not reserved by its processing tasks.
    public var availableResources: [String: Double]
}

extension SchedulerState {
    /// `.forgotten` for a key the scheduler holds no record of.
    public func state(of key: Key) -> TaskState {
        taskSlots[key].map { tasks[Int($0)].state } ?? .forgotten
    }

    /// The workers holding the key's value (empty unless it is in memory).
    public func holders(of key: Key) -> [WorkerID] {
        taskSlots[key].map { holderIDs($0) } ?? []
    }

    public func nbytes(of key: Key) -> Int? {
        guard let slot = taskSlots[key], tasks[Int(slot)].state == .memory else { return nil }
        return tasks[Int(slot)].nbytes
    }

    public func failure(of key: Key) -> TaskFailure? {
        taskSlots[key].flatMap { failures[$0] }
    }

    /// The worker a processing task was sent to.
    public func worker(processing key: Key) -> WorkerID? {
        guard let slot = taskSlots[key], tasks[Int(slot)].processingOn >= 0 else { return nil }
        return workers[Int(tasks[Int(slot)].processingOn)].id
    }

    /// How many times the client wants the key (0 if not).
    public func wantCount(of key: Key, by client: ClientID) -> Int {
        guard let slot = taskSlots[key] else { return 0 }
        return Int(clients[client]?.wants[slot] ?? 0)
    }

    /// Tasks the scheduler holds a record of.
    public var taskCount: Int { taskSlots.count }

    public func count(of state: TaskState) -> Int {
        state == .forgotten ? 0 : stateCounts[Int(state.rawValue)]
    }

    public var workerIDs: [WorkerID] { activeWorkers.map { workers[Int($0)].id } }

    /// The address a live worker serves data at (one lookup: effects name workers by id).
    public func address(of id: WorkerID) -> String? {
        workerSlots[id].map { workers[Int($0)].spec.address }
    }

    /// The live worker that serves data at `address`.
    public func worker(at address: String) -> WorkerID? {
        workerSlotsByAddress[address].map { workers[Int($0)].id }
    }

    public func workerInfo(_ id: WorkerID) -> WorkerInfo? {
        guard let slot = workerSlots[id] else { return nil }
        let record = workers[Int(slot)]
        return WorkerInfo(
            spec: record.spec, paused: record.paused, processing: record.processing.count,
            occupancy: record.occupancy, keys: record.holding.count, nbytes: record.nbytes,
            availableResources: record.available)
    }

    /// The keys processing on a worker, by priority.
    public func processingKeys(on id: WorkerID) -> [Key] {
        guard let slot = workerSlots[id] else { return [] }
        return workers[Int(slot)].processing
            .sorted { tasks[Int($0)].priority != tasks[Int($1)].priority ? tasks[Int($0)].priority < tasks[Int($1)].priority : $0 < $1 }
            .map { tasks[Int($0)].key }
    }

    /// The keys a worker holds.
    public func keys(heldBy id: WorkerID) -> [Key] {
        guard let slot = workerSlots[id] else { return [] }
        return workers[Int(slot)].holding.map { tasks[Int($0)].key }.sorted()
    }

    /// The expected run time of a function's tasks, in seconds.
    public func expectedDuration(of function: String) -> Double {
        functionSlots[function].map { expectedDuration($0) } ?? configuration.defaultTaskDuration
    }

    public var clientIDs: [ClientID] { clientOrder }
}
