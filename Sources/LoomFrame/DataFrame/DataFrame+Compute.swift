import LoomCore
import LoomLocal

/// Running a plan: its partitions become tasks, a scheduler or a cluster runs them, and the
/// results come back as one table.
extension DataFrame {
    /// The whole frame as one table.
    ///
    /// - Parameter scheduler: a local scheduler; nil uses the default graph runner (the newest
    ///   distributed `Client`) if there is one, else the configured default (threads).
    public func compute(scheduler: Scheduler? = nil) async throws -> Table {
        if scheduler == nil, let runner = DefaultGraphRunner.runner { return try await compute(on: runner) }
        return try await assemble { graph in try await graph.execute(on: scheduler).outputs }
    }

    /// The whole frame as one table, computed on a cluster (`compute(on: client)`). Shuffles
    /// there go peer to peer (`FrameShuffling`); one that lost data with a worker runs again.
    public func compute(on runner: any GraphRunner) async throws -> Table {
        try await FrameShuffling.onCluster(runner) { try await assemble { graph in try await runner.run(graph) } }
    }

    /// The number of rows, counted where the partitions are (only counts travel).
    public func count(scheduler: Scheduler? = nil) async throws -> Int {
        let values = try await run(try plan.optimized(needing: []).counts(), scheduler: scheduler)
        return try values.reduce(0) { total, value in
            guard let count = value as? Int else { throw LoomError(.typeMismatch, "a partition's count came back as \(type(of: value))") }
            return total + count
        }
    }

    /// The first `count` rows, computing partitions in order only until there are enough.
    public func head(_ count: Int = 5, scheduler: Scheduler? = nil) async throws -> Table {
        let plan = try plan.optimized()
        let schema = try plan.schema()
        var tables: [Table] = [], rows = 0
        for partition in try plan.partitions() where rows < count {
            let table = try Self.table(try await run([partition], scheduler: scheduler)[0], schema: schema, index: tables.count)
            tables.append(table)
            rows += table.rowCount
        }
        return tables.isEmpty ? .empty(schema) : try Table.concatenate(tables).head(count)
    }

    /// The value of each partition input, running those that are tasks on `scheduler` (nil: the
    /// default graph runner if there is one, else the configured local scheduler).
    func run(_ partitions: [NodeInput], scheduler: Scheduler?) async throws -> [any Sendable] {
        try await PartitionValues.of(partitions, scheduler: scheduler)
    }

    private func assemble(_ execute: (TaskGraph) async throws -> [any Sendable]) async throws -> Table {
        let plan = try plan.optimized()
        let schema = try plan.schema()
        let values = try await PartitionValues.of(try plan.partitions(), execute)
        let tables = try values.enumerated().map { index, value in try Self.table(value, schema: schema, index: index) }
        return tables.isEmpty ? .empty(schema) : try await Table.concatenateConcurrently(tables)
    }

    private static func table(_ value: any Sendable, schema: Schema, index: Int) throws -> Table {
        guard let table = value as? Table else {
            throw LoomError(.typeMismatch, "partition \(index) came back as \(type(of: value)), not a Table")
        }
        guard table.schema == schema else {
            throw LoomError(.typeMismatch, "partition \(index) has columns \(table.schema), but the plan says \(schema)")
        }
        return table
    }
}
