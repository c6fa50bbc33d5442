import LoomCore
import LoomLocal

// A client as the default scheduler (Dask's newest client): `x.compute()` runs on its cluster.

extension Client: GraphRunner {
    /// False once the connection ended for good: `compute()` runs locally again.
    public var acceptsGraphs: Bool { !connection.closedForGood.withLock { $0 } }

    /// Runs `graph` on the cluster and returns its outputs' values, decoded with their
    /// functions' result types; the cluster releases them afterwards.
    public func run(_ graph: TaskGraph) async throws -> [any Sendable] {
        if let local = graph.functions.first(where: { !$0.runsInOtherProcesses }) {
            throw LoomError(
                .unsupported, "'\(local.name)' is a local closure, which the cluster at \(schedulerAddress) cannot run; "
                    + "compute(scheduler: .threads()) runs it in this process (the newest Client is the default scheduler)",
                function: local.name)
        }
        let (tasks, functions) = try graph.wireTasks()
        let outputs = graph.outputs.map(Int.init)
        let keys = outputs.map { graph.keys[$0] }
        try await connection.submit(tasks, wanted: keys, functions: functions)
        defer { for key in keys { releaseLater(key) } }
        let values = try await gatherEncoded(keys)
        return try zip(outputs, keys).map { task, key in
            try values[key]!.withUnsafeBytes { bytes in
                do {
                    return try graph.functions[task].decodeResult(bytes)
                } catch {
                    throw LoomError(.typeMismatch, "the result does not decode: \(error)", key: key, function: graph.functions[task].name, underlying: error)
                }
            }
        }
    }
}

extension Delayed where Value: Codable {
    /// Computes this value on `client`'s cluster: the same as `client.compute(self)`.
    public func compute(on client: Client) async throws -> Value {
        try await client.compute(self)
    }
}
