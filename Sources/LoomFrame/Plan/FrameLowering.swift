import LoomCore

/// A plan as tasks. Partitionwise steps never get tasks of their own: they ride in the task
/// that reads the partition, or that aggregates it.
extension FramePlan {
    /// A partition before its task: a source to read or an input to take, and the steps after.
    struct PendingPartition {
        var source: PartitionSource?
        var inputs: [NodeInput]
        var steps: [PartitionStep]

        var program: PartitionProgram { PartitionProgram(source: source, steps: steps) }
    }

    func pending() throws -> [PendingPartition] {
        switch self {
        case .tables(let tables):
            return tables.map { PendingPartition(source: nil, inputs: [.literal($0)], steps: []) }
        case .files(let sources):
            return sources.map { PendingPartition(source: $0, inputs: [], steps: []) }
        case .map(let input, let steps):
            return try input.pending().map { partition in
                var fused = partition
                fused.steps += steps
                return fused
            }
        case .groupBy(let input, let plan, let splitEvery):
            var level = try input.pending().map { partition in
                Self.task(FrameKernels.groupChunk.erased, "groupby-chunk", [.literal(partition.program), .literal(plan), .list(partition.inputs)])
            }
            let width = Swift.max(2, splitEvery)
            while level.count > width {
                level = stride(from: 0, to: level.count, by: width).map { start in
                    Self.task(FrameKernels.groupCombine.erased, "groupby-combine", [.literal(plan), .list(Array(level[start..<Swift.min(start + width, level.count)]))])
                }
            }
            return [PendingPartition(source: nil, inputs: [Self.task(FrameKernels.groupFinalize.erased, "groupby-agg", [.literal(plan), .list(level)])], steps: [])]
        }
    }

    /// One input per partition: a table in memory, or the task computing it.
    func partitions() throws -> [NodeInput] {
        try pending().map { partition in
            if partition.source == nil, partition.steps.isEmpty, let input = partition.inputs.first { return input }
            return Self.task(FrameKernels.partition.erased, "partition", [.literal(partition.program), .list(partition.inputs)])
        }
    }

    /// One task per partition counting its rows.
    func counts() throws -> [NodeInput] {
        try pending().map { partition in
            Self.task(FrameKernels.count.erased, "count", [.literal(partition.program), .list(partition.inputs)])
        }
    }

    static func task(_ function: AnyTaskFunction, _ name: String, _ inputs: [NodeInput]) -> NodeInput {
        .node(TaskNode(key: Key.unique(prefix: name), function: function, inputs: inputs))
    }
}
