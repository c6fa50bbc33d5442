import LoomCore

/// A plan as tasks: one input per partition — a table in memory, or the task computing it.
extension FramePlan {
    func partitions() throws -> [NodeInput] {
        switch self {
        case .tables(let tables):
            return tables.map { .literal($0) }
        case .map(let input, let steps):
            let program = PartitionProgram(steps: steps)
            return try input.partitions().map { task(FrameKernels.partition.erased, "partition", [.literal(program), $0]) }
        case .groupBy(let input, let plan, let splitEvery):
            // The steps before the group-by run inside each chunk task.
            let (source, program) = input.splitSteps()
            var level = try source.partitions().map { task(FrameKernels.groupChunk.erased, "groupby-chunk", [.literal(program), .literal(plan), $0]) }
            let width = Swift.max(2, splitEvery)
            while level.count > width {
                level = stride(from: 0, to: level.count, by: width).map { start in
                    task(FrameKernels.groupCombine.erased, "groupby-combine", [.literal(plan), .list(Array(level[start..<Swift.min(start + width, level.count)]))])
                }
            }
            return [task(FrameKernels.groupFinalize.erased, "groupby-agg", [.literal(plan), .list(level)])]
        }
    }

    /// The plan's partitions before its trailing steps, and those steps (for kernels that
    /// apply them inside their own task).
    func splitSteps() -> (FramePlan, PartitionProgram) {
        if case .map(let input, let steps) = self { return (input, PartitionProgram(steps: steps)) }
        return (self, PartitionProgram(steps: []))
    }

    private func task(_ function: AnyTaskFunction, _ name: String, _ inputs: [NodeInput]) -> NodeInput {
        .node(TaskNode(key: Key.unique(prefix: name), function: function, inputs: inputs))
    }
}
