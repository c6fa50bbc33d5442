import LoomCore

extension Client {
    /// Places each of `values` on a worker and returns a future for each, like Dask's `scatter`
    /// of a list: pass the futures to tasks instead of the values, so a large input travels once.
    ///
    /// Values go round-robin to the workers named in `workers` (names or addresses; all when
    /// empty), or to every one of them with `broadcast`. They stay until their futures are released.
    public func scatter<Value: Codable & Sendable>(
        contentsOf values: [Value], workers: [String] = [], broadcast: Bool = false
    ) async throws -> [Future<Value>] {
        let targets = try await workerAddresses(named: workers)
        guard !targets.isEmpty else {
            let which = workers.isEmpty ? "the scheduler has no workers" : "no connected worker is named \(workers)"
            throw LoomError(.unsupported, "cannot scatter: \(which)")
        }
        var placements: [String: [Key: [UInt8]]] = [:]
        var scattered: [ScatteredValue] = []
        for (index, value) in values.enumerated() {
            let key = Key.unique(prefix: String(describing: Value.self))
            let bytes = try ValueCodec.encode(value)
            let holders = broadcast ? targets : [targets[index % targets.count]]
            for holder in holders { placements[holder, default: [:]][key] = bytes }
            scattered.append(ScatteredValue(key: key, nbytes: UInt64(bytes.count), holders: holders))
        }
        try await withThrowingDiscardingTaskGroup { group in
            for (worker, values) in placements {
                group.addTask { [peers] in
                    guard case .dataStored = try await peers.request({ .putData(request: $0, values: values) }, to: worker) else {
                        throw TransportError("worker \(worker) answered scattered data with something else")
                    }
                }
            }
        }
        try await connection.scattered(scattered)
        return scattered.map { Future(key: $0.key, client: self) }
    }

    /// Places one value (an array too, whole) on a worker, or on every worker with `broadcast`.
    public func scatter<Value: Codable & Sendable>(_ value: Value, workers: [String] = [], broadcast: Bool = false) async throws -> Future<Value> {
        try await scatter(contentsOf: [value], workers: workers, broadcast: broadcast)[0]
    }
}
