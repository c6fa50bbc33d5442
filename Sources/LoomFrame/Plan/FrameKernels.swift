import LoomCore

/// The task functions frame plans lower to; every Loom executable registers them
/// (`Loom.bootstrap`), so workers of any program run them.
public enum FrameKernels {
    /// A partition: read (or taken from its input) and put through its fused steps.
    static let partition = TaskFunction("frame.partition") { (program: PartitionProgram, inputs: [Table]) in try program.run(inputs) }
    static let count = TaskFunction("frame.count") { (program: PartitionProgram, inputs: [Table]) in try program.run(inputs).rowCount }
    /// A partition's partial aggregation, in the same task as its reading and steps.
    static let groupChunk = TaskFunction("frame.groupby-chunk") { (program: PartitionProgram, plan: GroupByPlan, inputs: [Table]) in
        try plan.chunk(try program.run(inputs))
    }
    static let groupCombine = TaskFunction("frame.groupby-combine") { (plan: GroupByPlan, partials: [Table]) in try plan.combine(partials) }
    static let groupFinalize = TaskFunction("frame.groupby-finalize") { (plan: GroupByPlan, partials: [Table]) in
        try plan.finalize(try plan.combine(partials))
    }

    /// A partition written as a file, where the task runs; its row count comes back.
    static let writeCSV = TaskFunction("frame.write-csv") { (program: PartitionProgram, path: String, options: CSVOptions, inputs: [Table]) in
        let table = try program.run(inputs)
        try CSVWriter.write(table, to: path, options: options)
        return table.rowCount
    }

    /// What `Loom.bootstrap` registers.
    public static var all: [AnyTaskFunction] {
        [partition.erased, count.erased, groupChunk.erased, groupCombine.erased, groupFinalize.erased, writeCSV.erased]
    }
}
