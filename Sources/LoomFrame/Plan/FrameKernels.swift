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

    /// A partition cut into one piece per output of a shuffle (`TaskShuffler`).
    static let cutPieces = TaskFunction("frame.cut-pieces") { (cut: PieceCut, boundaries: [Table], count: Int, program: PartitionProgram, inputs: [Table]) in
        try cut.cut(try program.run(inputs), into: count, boundaries: boundaries)
    }
    /// Piece `index` of a split.
    static let pick = TaskFunction("frame.pick") { (index: Int, pieces: [Table]) in pieces[index] }
    /// One output partition of a merge: each side's pieces together, then the join.
    static let merge = TaskFunction("frame.merge") { (spec: MergeSpec, left: [Table], right: [Table]) in
        try Table.concatenate(left).merge(try Table.concatenate(right), spec)
    }

    /// A distributed sort's steps (`SortSpec`).
    /// A partition made (read, its steps run) only to be sampled: the shuffle makes it again,
    /// so no partition is held whole while the boundaries wait for every sample (Dask reads
    /// twice for the same reason).
    static let sortSample = TaskFunction("frame.sort-sample") { (spec: SortSpec, program: PartitionProgram, inputs: [Table]) in
        try spec.sample(try program.run(inputs))
    }
    static let sortBoundaries = TaskFunction("frame.sort-boundaries") { (spec: SortSpec, parts: Int, samples: [Table]) in
        try spec.boundaries(samples, parts: parts)
    }
    static let sortPieces = TaskFunction("frame.sort-partition") { (spec: SortSpec, pieces: [Table]) in try spec.sortPieces(pieces) }
    /// The first `count` rows in `spec`'s order of some tables (nlargest, nsmallest).
    static let top = TaskFunction("frame.top") { (spec: SortSpec, count: Int, tables: [Table]) in
        try Table.concatenate(tables).sorted(by: spec.keys, ascending: spec.ascending).head(count)
    }
    static let distinct = TaskFunction("frame.drop-duplicates") { (subset: [String]?, tables: [Table]) in
        try Table.concatenate(tables).droppingDuplicates(subset)
    }

    static let describeChunk = TaskFunction("frame.describe-chunk") { (names: [String], table: Table) in
        try names.map { try ColumnSummary(try table[$0]) }
    }
    static let describeCombine = TaskFunction("frame.describe") { (parts: [[ColumnSummary]]) in
        (0..<(parts.first?.count ?? 0)).map { column in ColumnSummary.merged(parts.map { $0[column] }) }
    }

    static let concatenate = TaskFunction("frame.concatenate") { (tables: [Table]) in try Table.concatenate(tables) }
    /// A table cut into `count` pieces of nearly equal rows.
    static let cut = TaskFunction("frame.cut") { (count: Int, table: Table) in
        (0..<count).map { table.slice(table.rowCount * $0 / count..<table.rowCount * ($0 + 1) / count) }
    }

    /// What `Loom.bootstrap` registers (bags' too).
    public static var all: [any TaskFunctionRepresentable] {
        BagSources.all + [partition.erased, count.erased, groupChunk.erased, groupCombine.erased, groupFinalize.erased, writeCSV.erased, writeParquet.erased,
         cutPieces.erased, pick.erased, merge.erased, sortSample.erased, sortBoundaries.erased,
         sortPieces.erased, top.erased, distinct.erased, describeChunk.erased, describeCombine.erased,
         concatenate.erased, cut.erased, ShuffleSpill.put.erased, ShuffleSpill.take.erased] as [any TaskFunctionRepresentable]
    }
}
