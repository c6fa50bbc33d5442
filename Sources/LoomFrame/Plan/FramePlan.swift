import LoomCore

/// What a dataframe is, as data: where its partitions come from and what happens to them. It
/// becomes tasks only when computed (`FrameLowering`), so the whole plan is checked first.
indirect enum FramePlan: Sendable {
    /// Partitions already in memory.
    case tables([Table])
    /// Partitions read from files, a block or row group each.
    case files(FileScan)
    /// Steps each partition goes through alone, fused into one task per partition.
    case map(FramePlan, [PartitionStep])
    /// A group-by aggregation: a tree reduction with `splitEvery` partials per combining task.
    case groupBy(FramePlan, GroupByPlan, splitEvery: Int)
    /// One partition of another plan (a merge's, which cannot be cut before it is lowered).
    case picked(FramePlan, Int)
    /// A join of two plans: broadcast (each partition of the larger side against all of the
    /// smaller) or hash-shuffled (both sides cut by key hash, bucket by bucket).
    case merge(FramePlan, FramePlan, MergeSpec)
    /// The rows in key order across partitions: partition i's rows all sort before partition
    /// i + 1's (sampled boundaries, a range shuffle, a sort per partition).
    case sort(FramePlan, SortSpec)
    /// The `count` rows that sort first, in one partition: each partition's first, then theirs.
    case top(FramePlan, SortSpec, count: Int)
    /// Rows unique in `subset` (nil: every column), in one partition: a tree of deduplications.
    case distinct(FramePlan, subset: [String]?, splitEvery: Int)
    /// A registered function applied to each partition, giving tables of `schema`.
    case mapPartitions(FramePlan, AnyTaskFunction, Schema)
    /// Partitions other tasks compute (a bag's, as tables of `schema`).
    case computed([NodeInput], Schema)
    /// Partitions a cluster holds (`persist(on:)`).
    case persisted(PersistedPartitions)
    /// The same rows in `count` partitions: neighbours joined, or each cut into equal pieces.
    case repartition(FramePlan, count: Int)

    /// The columns it has; throws what is wrong with the plan (an unknown column, a type clash).
    func schema() throws -> Schema {
        switch self {
        case .tables(let tables): return tables.first?.schema ?? Schema([])
        case .files(let scan): return scan.schema
        case .map(let input, let steps): return try steps.reduce(try input.schema()) { try $1.schema(after: $0) }
        case .groupBy(let input, let plan, _): return try plan.schema(of: try input.schema())
        case .merge(let left, let right, let spec): return try spec.schema(left: try left.schema(), right: try right.schema())
        case .picked(let input, _): return try input.schema()
        case .sort(let input, let spec), .top(let input, let spec, _):
            let schema = try input.schema()
            for key in spec.keys { _ = try schema.field(key) }
            return schema
        case .distinct(let input, let subset, _):
            let schema = try input.schema()
            for key in subset ?? [] { _ = try schema.field(key) }
            return schema
        case .mapPartitions(let input, _, let schema):
            _ = try input.schema()
            return schema
        case .persisted(let stored): return stored.schema
        case .computed(_, let schema): return schema
        case .repartition(let input, _): return try input.schema()
        }
    }

    var partitionCount: Int {
        switch self {
        case .tables(let tables): tables.count
        case .files(let scan): scan.sources.count
        case .map(let input, _): input.partitionCount
        case .groupBy(_, let plan, _): plan.splitOut
        case .merge(let left, let right, let spec):
            switch MergeStrategy(left: left.partitionCount, right: right.partitionCount, how: spec.how) {
            case .broadcastRight: left.partitionCount
            case .broadcastLeft: right.partitionCount
            case .shuffle(let buckets): buckets
            }
        case .picked: 1
        case .sort(let input, _): input.partitionCount
        case .top, .distinct: 1
        case .mapPartitions(let input, _, _): input.partitionCount
        case .persisted(let stored): stored.keys.count
        case .computed(let inputs, _): inputs.count
        case .repartition(_, let count): count
        }
    }

    /// Partition `index` alone (its index is checked by the caller).
    func partition(_ index: Int) -> FramePlan {
        switch self {
        case .tables(let tables): .tables([tables[index]])
        case .files(let scan): .files(scan.picking(index))
        case .map(let input, let steps): .map(input.partition(index), steps)
        case .groupBy(_, let plan, _): plan.splitOut > 1 ? .picked(self, index) : self
        // A partition of a merge needs every partition of its inputs: lowered whole, then picked.
        case .merge, .sort, .repartition: .picked(self, index)
        case .picked, .top, .distinct: self
        case .mapPartitions(let input, let function, let schema): .mapPartitions(input.partition(index), function, schema)
        case .persisted(let stored): .persisted(stored.picking(index))
        case .computed(let inputs, let schema): .computed([inputs[index]], schema)
        }
    }

    /// The plan with `step` after it, fused into the steps already there.
    func adding(_ step: PartitionStep) -> FramePlan {
        if case .map(let input, let steps) = self { return .map(input, steps + [step]) }
        return .map(self, [step])
    }

    /// One line per node, innermost last, as `explain()` prints it.
    func explained(indent: String = "") -> [String] {
        switch self {
        case .tables(let tables):
            return ["\(indent)Tables: \(tables.count) partitions in memory, \(tables.reduce(0) { $0 + $1.rowCount }) rows"]
        case .files(let scan):
            return ["\(indent)\(scan)"]
        case .map(let input, let steps):
            return ["\(indent)Partitionwise (one task per partition): \(steps.map(\.description).joined(separator: "; "))"]
                + input.explained(indent: indent + "  ")
        case .groupBy(let input, let plan, let splitEvery):
            let aggregations = plan.aggregations.map { "\($0.name) = \($0.kind.rawValue)(\($0.column ?? "*"))" }.joined(separator: ", ")
            let shape = plan.splitOut > 1 ? "partials shuffled by key into \(plan.splitOut) partitions" : "tree reduction, splitEvery \(splitEvery)"
            return ["\(indent)GroupBy [\(plan.keys.joined(separator: ", "))]: \(aggregations); \(shape)"]
                + input.explained(indent: indent + "  ")
        case .merge(let left, let right, let spec):
            let strategy = MergeStrategy(left: left.partitionCount, right: right.partitionCount, how: spec.how)
            return ["\(indent)Merge \(spec.how.rawValue) on [\(spec.on.joined(separator: ", "))]: \(strategy)"]
                + left.explained(indent: indent + "  ") + right.explained(indent: indent + "  ")
        case .picked(let input, let index):
            return ["\(indent)Partition \(index) of:"] + input.explained(indent: indent + "  ")
        case .sort(let input, let spec):
            return ["\(indent)Sort by [\(spec.describedKeys)]: sampled boundaries, a range shuffle into \(input.partitionCount) partitions, each sorted"]
                + input.explained(indent: indent + "  ")
        case .top(let input, let spec, let count):
            return ["\(indent)Top \(count) by [\(spec.describedKeys)]: each partition's, then theirs"] + input.explained(indent: indent + "  ")
        case .mapPartitions(let input, let function, _):
            return ["\(indent)MapPartitions \(function.name) (one task per partition)"] + input.explained(indent: indent + "  ")
        case .persisted(let stored):
            return ["\(indent)Persisted: \(stored.keys.count) partitions held by the cluster"]
        case .computed(let inputs, _):
            return ["\(indent)Computed: \(inputs.count) partitions from other tasks"]
        case .repartition(let input, let count):
            return ["\(indent)Repartition: \(input.partitionCount) partitions into \(count)"] + input.explained(indent: indent + "  ")
        case .distinct(let input, let subset, let splitEvery):
            return ["\(indent)DropDuplicates [\(subset?.joined(separator: ", ") ?? "all columns")]: tree reduction, splitEvery \(splitEvery)"]
                + input.explained(indent: indent + "  ")
        }
    }
}
