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

    static let writeParquet = TaskFunction("frame.write-parquet") { (program: PartitionProgram, path: String, options: ParquetWriteOptions, inputs: [Table]) in
        let table = try program.run(inputs)
        try ParquetWriter.write(table, to: path, options: options)
        return table.rowCount
    }

    /// A partition cut into `count` pieces by the hash of its keys (one side of a hash join).
    static let hashSplit = TaskFunction("frame.hash-split") { (program: PartitionProgram, keys: [String], types: [DataType], count: Int, inputs: [Table]) in
        try program.run(inputs).split(byHashOf: keys, as: types, into: count)
    }
    /// Piece `index` of a split.
    static let pick = TaskFunction("frame.pick") { (index: Int, pieces: [Table]) in pieces[index] }
    /// One output partition of a merge: each side's pieces together, then the join.
    static let merge = TaskFunction("frame.merge") { (spec: MergeSpec, left: [Table], right: [Table]) in
        try Table.concatenate(left).merge(try Table.concatenate(right), spec)
    }

    /// What `Loom.bootstrap` registers.
    public static var all: [AnyTaskFunction] {
        [partition.erased, count.erased, groupChunk.erased, groupCombine.erased, groupFinalize.erased, writeCSV.erased, writeParquet.erased,
         hashSplit.erased, pick.erased, merge.erased]
    }
}
