import LoomCore
import LoomLocal

/// The values of a collection's partitions: literals as they are, tasks run in one graph.
enum PartitionValues {
    /// On `scheduler`; nil: the default graph runner if there is one, else the configured
    /// local scheduler.
    static func of(_ partitions: [NodeInput], scheduler: Scheduler?) async throws -> [any Sendable] {
        try await of(partitions) { graph in
            if scheduler == nil, let runner = DefaultGraphRunner.runner { return try await runner.run(graph) }
            return try await graph.execute(on: scheduler).outputs
        }
    }

    static func of(_ partitions: [NodeInput], on runner: any GraphRunner) async throws -> [any Sendable] {
        try await of(partitions) { graph in try await runner.run(graph) }
    }

    static func of(_ partitions: [NodeInput], _ execute: (TaskGraph) async throws -> [any Sendable]) async throws -> [any Sendable] {
        let nodes = partitions.compactMap { if case .node(let node) = $0 { node } else { nil } }
        var results = (nodes.isEmpty ? [] : try await run(TaskGraph(outputs: nodes), execute)).makeIterator()
        return partitions.map { partition in
            if case .literal(let value) = partition { return value }
            return results.next()!
        }
    }

    /// The graph's outputs; what its local shuffles still hold goes with it, also when it fails.
    private static func run(_ graph: TaskGraph, _ execute: (TaskGraph) async throws -> [any Sendable]) async throws -> [any Sendable] {
        let runs = ShuffleSpill.runs(in: graph)
        defer { ShuffleSpill.shared.drop(runs) }
        return try await execute(graph)
    }
}
