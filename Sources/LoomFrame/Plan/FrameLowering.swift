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
        case .files(let scan):
            return scan.sources.map { PendingPartition(source: $0, inputs: [], steps: []) }
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
            if plan.splitOut > 1 {
                // The partials shuffled by their keys: output i combines and finishes the groups
                // whose keys hash to i.
                let schema = try input.schema()
                let cut = PieceCut.hash(keys: plan.keys, types: try plan.keys.map { try schema.field($0).type })
                let partials = level.map { ShuffleInput(program: PartitionProgram(steps: []), inputs: [$0]) }
                return FrameShuffling.current.exchange(partials, cut: cut, cutInputs: [], outputs: plan.splitOut).map { pieces in
                    PendingPartition(source: nil, inputs: [Self.task(FrameKernels.groupFinalize.erased, "groupby-agg", [.literal(plan), pieces])], steps: [])
                }
            }
            let width = Swift.max(2, splitEvery)
            while level.count > width {
                level = stride(from: 0, to: level.count, by: width).map { start in
                    Self.task(FrameKernels.groupCombine.erased, "groupby-combine", [.literal(plan), .list(Array(level[start..<Swift.min(start + width, level.count)]))])
                }
            }
            return [PendingPartition(source: nil, inputs: [Self.task(FrameKernels.groupFinalize.erased, "groupby-agg", [.literal(plan), .list(level)])], steps: [])]
        case .merge(let left, let right, let spec):
            func merged(_ leftInputs: [NodeInput], _ rightInputs: [NodeInput]) -> PendingPartition {
                PendingPartition(source: nil, inputs: [Self.task(FrameKernels.merge.erased, "merge", [.literal(spec), .list(leftInputs), .list(rightInputs)])], steps: [])
            }
            switch MergeStrategy(left: left.partitionCount, right: right.partitionCount, how: spec.how) {
            case .broadcastRight:
                let whole = try right.partitions()
                return try left.partitions().map { merged([$0], whole) }
            case .broadcastLeft:
                let whole = try left.partitions()
                return try right.partitions().map { merged(whole, [$0]) }
            case .shuffle(let buckets):
                let types = try spec.schema(left: try left.schema(), right: try right.schema()).fields.prefix(spec.on.count).map(\.type)
                let cut = PieceCut.hash(keys: spec.on, types: Array(types))
                // Both sides cut alike, so bucket i of each holds the same keys.
                let shuffler = FrameShuffling.current
                let leftPieces = shuffler.exchange(try left.shuffleInputs(), cut: cut, cutInputs: [], outputs: buckets)
                let rightPieces = shuffler.exchange(try right.shuffleInputs(), cut: cut, cutInputs: [], outputs: buckets)
                return zip(leftPieces, rightPieces).map { left, right in
                    PendingPartition(source: nil, inputs: [Self.task(FrameKernels.merge.erased, "merge", [.literal(spec), left, right])], steps: [])
                }
            }
        case .picked(let input, let index):
            return [try input.pending()[index]]
        case .sort(let input, let spec):
            let partitions = try input.pending()
            func sorted(_ pieces: NodeInput) -> PendingPartition {
                PendingPartition(source: nil, inputs: [Self.task(FrameKernels.sortPieces.erased, "sort-partition", [.literal(spec), pieces])], steps: [])
            }
            guard partitions.count > 1 else { return [sorted(.list(try input.partitions()))] }
            let samples = partitions.map { Self.task(FrameKernels.sortSample.erased, "sort-sample", [.literal(spec), .literal($0.program), .list($0.inputs)]) }
            let boundaries = Self.task(FrameKernels.sortBoundaries.erased, "sort-boundaries", [.literal(spec), .literal(partitions.count), .list(samples)])
            let inputs = partitions.map { ShuffleInput(program: $0.program, inputs: $0.inputs) }
            return FrameShuffling.current.exchange(inputs, cut: .range(spec), cutInputs: [boundaries], outputs: partitions.count).map(sorted)
        case .top(let input, let spec, let count):
            return [PendingPartition(source: nil, inputs: [try Self.tree(try input.partitions(), width: 8) { parts in
                Self.task(FrameKernels.top.erased, "top", [.literal(spec), .literal(count), .list(parts)])
            }], steps: [])]
        case .distinct(let input, let subset, let splitEvery):
            return [PendingPartition(source: nil, inputs: [try Self.tree(try input.partitions(), width: splitEvery) { parts in
                Self.task(FrameKernels.distinct.erased, "drop-duplicates", [.literal(subset), .list(parts)])
            }], steps: [])]
        case .mapPartitions(let input, let function, _):
            return try input.partitions().map { PendingPartition(source: nil, inputs: [Self.task(function, function.name, [$0])], steps: []) }
        case .computed(let inputs, _):
            return inputs.map { PendingPartition(source: nil, inputs: [$0], steps: []) }
        case .persisted(let stored):
            return stored.keys.map { PendingPartition(source: nil, inputs: [.existing($0)], steps: []) }
        case .repartition(let input, let count):
            let partitions = try input.partitions()
            func joined(_ parts: [NodeInput]) -> PendingPartition {
                PendingPartition(source: nil, inputs: [Self.task(FrameKernels.concatenate.erased, "repartition", [.list(parts)])], steps: [])
            }
            if count <= partitions.count {
                // Neighbours together, as evenly as whole partitions allow.
                return (0..<count).map { group in joined(Array(partitions[group * partitions.count / count..<(group + 1) * partitions.count / count])) }
            }
            // Each partition cut into pieces, the extra pieces spread over the first partitions.
            return try partitions.enumerated().flatMap { index, partition -> [PendingPartition] in
                let pieces = count / partitions.count + (index < count % partitions.count ? 1 : 0)
                let cut = Self.task(FrameKernels.cut.erased, "repartition-cut", [.literal(pieces), partition])
                return (0..<pieces).map { joined([Self.task(FrameKernels.pick.erased, "pick", [.literal($0), cut])]) }
            }
        }
    }

    /// A tree reduction: `leaf` over each partition (`combine` of it alone by default), then
    /// `combine` over `width` results at a time until one is left.
    static func tree(_ partitions: [NodeInput], width: Int, leaf: ((NodeInput) -> NodeInput)? = nil,
                     combine: ([NodeInput]) -> NodeInput) throws -> NodeInput {
        var level = partitions.map { leaf?($0) ?? combine([$0]) }
        let width = Swift.max(2, width)
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: width).map { start in combine(Array(level[start..<Swift.min(start + width, level.count)])) }
        }
        guard let root = level.first else { throw LoomError(.invalidArgument, "a reduction over no partitions") }
        return root
    }

    /// Each partition as a shuffle takes it: its program and the program's inputs.
    func shuffleInputs() throws -> [ShuffleInput] {
        try pending().map { ShuffleInput(program: $0.program, inputs: $0.inputs) }
    }

    /// One input per partition: a table in memory, or the task computing it.
    func partitions() throws -> [NodeInput] {
        try pending().map { partition in
            if partition.source == nil, partition.steps.isEmpty, let input = partition.inputs.first, !input.isExisting { return input }
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

extension NodeInput {
    /// A key a cluster holds: it becomes a value only as the input of a task.
    var isExisting: Bool {
        if case .existing = self { return true }
        return false
    }
}
