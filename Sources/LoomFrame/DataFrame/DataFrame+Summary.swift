import LoomCore
import LoomLocal

/// Whole-frame summaries, as pandas' and Dask's `drop_duplicates`, `value_counts`, `nunique`
/// and `describe`.
extension DataFrame {
    /// The first row of each distinct combination of `subset` (nil: every column), in one
    /// partition: each partition deduplicated, then `splitEvery` results at a time.
    public func dropDuplicates(_ subset: [String]? = nil, splitEvery: Int = 8) -> DataFrame {
        DataFrame(plan: .distinct(plan, subset: subset, splitEvery: splitEvery))
    }

    /// How often each value of `column` occurs: the column and `count`, most frequent first
    /// (nulls not counted).
    public func valueCounts(_ column: String) -> DataFrame {
        groupBy(column).agg(.count()).sortValues(["count", column], ascending: [false, true])
    }

    /// The number of distinct values of `column` that are not null.
    public func nunique(_ column: String, scheduler: Scheduler? = nil) async throws -> Int {
        try await select(column).filter(col(column).notNull()).dropDuplicates().count(scheduler: scheduler)
    }

    /// count, mean, std, min, 25%, 50%, 75% and max of each numeric column (pandas'
    /// `describe`): a column `statistic`, then one per numeric column. Quantiles are exact while
    /// a partition has at most 4096 values, else from a merged sketch of that many points.
    public func describe(scheduler: Scheduler? = nil) async throws -> Table {
        let numeric = try schema.fields.filter { $0.type.isNumeric }.map(\.name)
        guard !numeric.isEmpty else { throw LoomError(.invalidArgument, "describe() needs a numeric column; the columns are \(try schema)") }
        let plan = try plan.optimized(needing: Set(numeric))
        let root = try FramePlan.tree(try plan.partitions(), width: 8, leaf: { partition in
            FramePlan.task(FrameKernels.describeChunk.erased, "describe-chunk", [.literal(numeric), partition])
        }, combine: { parts in
            FramePlan.task(FrameKernels.describeCombine.erased, "describe", [.list(parts)])
        })
        guard let summaries = try await run([root], scheduler: scheduler).first as? [ColumnSummary] else {
            throw LoomError(.typeMismatch, "describe's result came back as another type")
        }
        var columns = [Column(ColumnSummary.statistics)]
        columns += summaries.map { Column($0.described) }
        return try Table(names: ["statistic"] + numeric, columns: columns)
    }
}
