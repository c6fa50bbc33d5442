import LoomCore
import LoomLocal

// A client as the default scheduler (Dask's newest client): `x.compute()` runs on its cluster.

extension Client: GraphRunner {
    /// False once the connection ended for good: `compute()` runs locally again.
    public var acceptsGraphs: Bool { !connection.closedForGood.withLock { $0 } }

    /// Runs `graph` on the cluster and returns its outputs' values, decoded with their
    /// functions' result types; the cluster releases them afterwards.
    public func run(_ graph: TaskGraph) async throws -> [any Sendable] {
        try await run(graph, progress: nil)
    }

    /// `run`, asking the scheduler every 100 ms how many of the graph's tasks are left (as
    /// Dask's progress bar does) and telling `progress` how many are done.
    public func run(_ graph: TaskGraph, progress: (@Sendable (Int) -> Void)?) async throws -> [any Sendable] {
        let keys = try await submit(graph)
        let outputs = graph.outputs.map(Int.init)
        defer { for key in keys { releaseLater(key) } }
        let total = graph.count
        let polling = progress.map { progress in
            Task {
                while !Task.isCancelled {
                    if let remaining = try? await remainingTasks(under: keys) { progress(max(0, total - remaining)) }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        defer { polling?.cancel() }
        let values = try await gatherEncoded(keys)
        polling?.cancel()
        await polling?.value  // a count asked for before the end must not land after it
        progress?(total)
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

extension Client {
    /// The workers' threads and memory limits, for collections that size their pieces.
    public func workerCapacities() async throws -> [WorkerCapacity] {
        try await schedulerInfo().map { WorkerCapacity(threads: $0.threads, memoryLimit: $0.memoryLimit) }
    }

    /// Submits `graph` and keeps its outputs on the cluster until the returned value is gone.
    public func persist(_ graph: TaskGraph) async throws -> PersistedOutputs {
        let keys = try await submit(graph)
        return PersistedOutputs(keys: keys, retainer: KeysHeld(keys, by: self))
    }

    /// Sends the graph to the scheduler, wanting its outputs; their keys, in output order.
    private func submit(_ graph: TaskGraph) async throws -> [Key] {
        if let local = graph.functions.first(where: { !$0.runsInOtherProcesses }) {
            throw LoomError(
                .unsupported, "'\(local.name)' is a local closure, which the cluster at \(schedulerAddress) cannot run; "
                    + "compute(scheduler: .threads()) runs it in this process (the newest Client is the default scheduler)",
                function: local.name)
        }
        let (tasks, functions) = try graph.wireTasks()
        let keys = graph.outputs.map { graph.keys[Int($0)] }
        try await connection.submit(tasks, wanted: keys, functions: functions)
        return keys
    }
}

/// Keys a client wants until this goes, as futures do, for outputs no typed future stands for.
private final class KeysHeld: Sendable {
    let keys: [Key]
    let client: Client

    init(_ keys: [Key], by client: Client) {
        self.keys = keys
        self.client = client
    }

    deinit { for key in keys { client.releaseLater(key) } }
}

extension Delayed where Value: Codable {
    /// Computes this value on `client`'s cluster: the same as `client.compute(self)`.
    public func compute(on client: Client) async throws -> Value {
        try await client.compute(self)
    }
}
