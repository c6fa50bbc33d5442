import LoomCore

/// The task functions frame plans lower to; every Loom executable registers them
/// (`Loom.bootstrap`), so workers of any program run them.
public enum FrameKernels {
    static let partition = TaskFunction("frame.partition") { (program: PartitionProgram, table: Table) in try program.apply(table) }
    static let count = TaskFunction("frame.count") { (program: PartitionProgram, table: Table) in try program.apply(table).rowCount }
    /// A partition's partial aggregation, after its own steps.
    static let groupChunk = TaskFunction("frame.groupby-chunk") { (program: PartitionProgram, plan: GroupByPlan, table: Table) in
        try plan.chunk(try program.apply(table))
    }
    static let groupCombine = TaskFunction("frame.groupby-combine") { (plan: GroupByPlan, partials: [Table]) in try plan.combine(partials) }
    static let groupFinalize = TaskFunction("frame.groupby-finalize") { (plan: GroupByPlan, partials: [Table]) in
        try plan.finalize(try plan.combine(partials))
    }

    /// What `Loom.bootstrap` registers.
    public static var all: [AnyTaskFunction] {
        [partition.erased, count.erased, groupChunk.erased, groupCombine.erased, groupFinalize.erased]
    }
}
