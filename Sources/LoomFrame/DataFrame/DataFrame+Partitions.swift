import LoomCore
import LoomLocal

/// Partitions as units: code applied to each, kept in memory, joined or cut.
extension DataFrame {
    /// A registered function applied to every partition (Dask's `map_partitions`), returning
    /// tables of `schema` (checked when they come back). Runs on every scheduler and cluster.
    public func mapPartitions(_ function: TaskFunction<Table, Table>, schema: Schema) -> DataFrame {
        DataFrame(plan: .mapPartitions(plan, function.erased, schema))
    }

    /// A closure applied to every partition: the threads and synchronous schedulers only.
    public func mapPartitions(name: String = "map-partitions", schema: Schema, _ body: @escaping @Sendable (Table) throws -> Table) -> DataFrame {
        DataFrame(plan: .mapPartitions(plan, LocalFunction(name, body).erased, schema))
    }

    /// The partitions computed once and kept in this process's memory: later computations
    /// start from them.
    public func persist(scheduler: Scheduler? = nil) async throws -> DataFrame {
        let plan = try plan.optimized()
        let schema = try plan.schema()
        let tables = try await run(try plan.partitions(), scheduler: scheduler).enumerated().map { index, value in
            guard let table = value as? Table, table.schema == schema else { throw LoomError(.typeMismatch, "partition \(index) came back as \(type(of: value)), not a table of \(schema)") }
            return table
        }
        return DataFrame(plan: .tables(tables))
    }

    /// The partitions computed on a cluster and kept there (Dask's `persist`): frames built on
    /// the result read them from the workers' memory. The cluster releases them when the
    /// returned frame (and every frame built on it) is gone.
    public func persist(on runner: any GraphRunner) async throws -> DataFrame {
        try await FrameShuffling.onCluster(runner) { try await persisting(on: runner) }
    }

    private func persisting(on runner: any GraphRunner) async throws -> DataFrame {
        let plan = try plan.optimized()
        let schema = try plan.schema()
        let partitions = try plan.partitions()
        let nodes = partitions.compactMap { if case .node(let node) = $0 { node } else { nil } }
        guard nodes.count == partitions.count else {
            // Some partitions are literals already: nothing to keep on the cluster.
            return try await persist()
        }
        let persisted = try await runner.persist(TaskGraph(outputs: nodes))
        return DataFrame(plan: .persisted(PersistedPartitions(keys: persisted.keys, schema: schema, retainer: persisted.retainer)))
    }

    /// The same rows in `partitions` partitions: neighbours joined when fewer, each cut into
    /// equal pieces when more.
    public func repartition(partitions: Int) throws -> DataFrame {
        guard partitions >= 1 else { throw LoomError(.invalidArgument, "repartition needs at least one partition, not \(partitions)") }
        return DataFrame(plan: .repartition(plan, count: partitions))
    }

    /// Partitions of about `partitionSize` ("100MB", Dask's advice) each: the sizes of the
    /// partitions are computed first (as Dask does), then small neighbours are joined and large
    /// ones cut.
    public func repartition(partitionSize: String, scheduler: Scheduler? = nil) async throws -> DataFrame {
        let target = Double(try MemorySize.bytes(partitionSize))
        guard target > 0 else { throw LoomError(.invalidArgument, "a partition size must be more than 0 bytes, not \(partitionSize)") }
        let persisted = try await persist(scheduler: scheduler)
        guard case .tables(let tables) = persisted.plan else { return persisted }
        var output: [Table] = [], pending: [Table] = [], pendingBytes = 0.0
        func flush() throws {
            if !pending.isEmpty { output.append(try Table.concatenate(pending)) }
            pending = []
            pendingBytes = 0
        }
        for table in tables {
            let bytes = Double(table.byteCount)
            if bytes > target {
                try flush()
                let pieces = Int((bytes / target).rounded(.up))
                output += (0..<pieces).map { table.slice(table.rowCount * $0 / pieces..<table.rowCount * ($0 + 1) / pieces) }
                continue
            }
            if pendingBytes + bytes > target { try flush() }
            pending.append(table)
            pendingBytes += bytes
        }
        try flush()
        return try DataFrame(partitions: output.isEmpty ? [Table.empty(try schema)] : output)
    }
}
