import LoomCore

/// A partitioned, columnar, lazy table (Dask's `dask.dataframe`): operations build a plan, and
/// `compute()` runs it — on threads by default, on any local scheduler, or on a cluster
/// (`compute(on: client)`). Each partition is a `Table`.
///
/// ```swift
/// let df = try DataFrame(table, partitions: 4)
/// let g = df.filter(col("v1") > 2).groupBy("id1").agg(.sum("v1"), .mean("v3"), .count())
/// let result = try await g.compute()
/// ```
/// Operations do not throw; what is wrong with a plan (an unknown column, a type clash) is
/// thrown by `schema`, `explain()` and `compute()`, before anything runs.
public struct DataFrame: Sendable {
    let plan: FramePlan

    init(plan: FramePlan) { self.plan = plan }

    /// `table` cut into `partitions` of nearly equal rows.
    public init(_ table: Table, partitions: Int = 1) throws {
        guard partitions >= 1 else { throw LoomError(.invalidArgument, "a dataframe needs at least one partition, not \(partitions)") }
        let count = Swift.min(partitions, Swift.max(1, table.rowCount))
        let bounds = (0...count).map { table.rowCount * $0 / count }
        plan = .tables((0..<count).map { table.slice(bounds[$0]..<bounds[$0 + 1]) })
    }

    /// One partition per table; their schemas must agree.
    public init(partitions tables: [Table]) throws {
        guard let first = tables.first else { throw LoomError(.invalidArgument, "a dataframe needs at least one partition") }
        for (index, table) in tables.enumerated() where table.schema != first.schema {
            throw LoomError(.typeMismatch, "partition \(index) has columns \(table.schema), but partition 0 has \(first.schema)")
        }
        plan = .tables(tables)
    }

    /// The columns and their types, checked through the whole plan.
    public var schema: Schema { get throws { try plan.schema() } }

    public var columnNames: [String] { get throws { try schema.names } }

    public var partitionCount: Int { plan.partitionCount }

    /// Partition `index` as a frame of its own (Dask's `get_partition`).
    public func partition(_ index: Int) throws -> DataFrame {
        guard (0..<partitionCount).contains(index) else {
            throw LoomError(.invalidArgument, "no partition \(index): the frame has \(partitionCount)")
        }
        return DataFrame(plan: plan.partition(index))
    }

    /// The rows where `predicate` holds (rows where it is null go).
    public func filter(_ predicate: ColumnExpression) -> DataFrame { DataFrame(plan: plan.adding(.filter(predicate))) }

    /// A column `name` computed by `expression` (replacing one of that name).
    public func assign(_ name: String, _ expression: ColumnExpression) -> DataFrame { DataFrame(plan: plan.adding(.assign(name, expression))) }

    /// The columns `names`, in that order.
    public func select(_ names: String...) -> DataFrame { select(names) }
    public func select(_ names: [String]) -> DataFrame { DataFrame(plan: plan.adding(.select(names))) }

    public func drop(_ names: String...) -> DataFrame { DataFrame(plan: plan.adding(.drop(names))) }

    /// Columns renamed (`["v1": "value"]`).
    public func rename(_ names: [String: String]) -> DataFrame { DataFrame(plan: plan.adding(.rename(names))) }

    /// The plan as it will run, after the optimizer, one node a line (the steps fused into each
    /// task on one line; what was pushed into the readers on theirs).
    public func explain() throws -> String {
        try plan.optimized().explained().joined(separator: "\n")
    }
}

extension DataFrame {
    /// The rows of this frame and `other` with equal `on` keys, as pandas' `merge`: the keys,
    /// then this frame's other columns, then `other`'s (a name on both sides gets `_x` and `_y`).
    /// A side of one partition (or few beside many, Dask's rule) is broadcast to every partition
    /// of the other; otherwise both sides are hash-shuffled by their keys.
    public func merge(_ other: DataFrame, on keys: [String], how: MergeHow = .inner, suffixes: (String, String) = ("_x", "_y")) -> DataFrame {
        DataFrame(plan: .merge(plan, other.plan, MergeSpec(on: keys, how: how, suffixes: [suffixes.0, suffixes.1])))
    }

    public func merge(_ other: DataFrame, on key: String, how: MergeHow = .inner) -> DataFrame {
        merge(other, on: [key], how: how)
    }

    /// Groups by `keys`, for `agg`.
    public func groupBy(_ keys: String...) -> GroupedFrame { GroupedFrame(frame: self, keys: keys) }
    public func groupBy(_ keys: [String]) -> GroupedFrame { GroupedFrame(frame: self, keys: keys) }
}

/// A dataframe grouped by key columns.
public struct GroupedFrame: Sendable {
    let frame: DataFrame
    let keys: [String]

    /// One row per group (null keys dropped, sorted by the keys): the keys, then a column per
    /// aggregation (`v1_sum`, `v3_mean`, `count`). A tree reduction: each partition reduces
    /// alone, then `splitEvery` partials at a time combine. With `splitOut` above 1 (for many
    /// groups), the partials are shuffled by key into that many partitions instead, each
    /// holding its groups sorted by the keys.
    public func agg(_ aggregations: Aggregation..., splitEvery: Int = 8, splitOut: Int = 1) -> DataFrame {
        agg(aggregations, splitEvery: splitEvery, splitOut: splitOut)
    }

    public func agg(_ aggregations: [Aggregation], splitEvery: Int = 8, splitOut: Int = 1) -> DataFrame {
        let distinct = aggregations.filter { $0.kind == .nunique }
        let others = aggregations.filter { $0.kind != .nunique }
        guard !distinct.isEmpty else {
            return DataFrame(plan: .groupBy(frame.plan, GroupByPlan(keys: keys, aggregations: aggregations, splitOut: splitOut), splitEvery: splitEvery))
        }
        // A distinct count is a group-by of the keys and the column (its nulls a group, so no
        // group of keys is lost), then a count of the column's values in each group of keys.
        var parts = distinct.map { aggregation in
            let column = aggregation.column ?? ""
            let pairs = FramePlan.groupBy(frame.plan, GroupByPlan(keys: keys + [column], aggregations: [.size(as: "__pairs")], keysKeepingNulls: [column]),
                                          splitEvery: splitEvery)
            return FramePlan.groupBy(pairs, GroupByPlan(keys: keys, aggregations: [.count(column, as: aggregation.name)]), splitEvery: splitEvery)
        }
        if !others.isEmpty { parts.insert(.groupBy(frame.plan, GroupByPlan(keys: keys, aggregations: others), splitEvery: splitEvery), at: 0) }
        let joined = parts.dropFirst().reduce(parts[0]) { .merge($0, $1, MergeSpec(on: keys, how: .inner, suffixes: ["_x", "_y"])) }
        return DataFrame(plan: joined).select(keys + aggregations.map(\.name))
    }

    public func sum(_ column: String) -> DataFrame { agg(.sum(column)) }
    public func mean(_ column: String) -> DataFrame { agg(.mean(column)) }
    /// Rows per group.
    public func size() -> DataFrame { agg(.size()) }
}
